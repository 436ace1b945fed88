"""Build a :class:`~cemigrate.copier.run.Migration` from a plan file, checking everything first."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cemigrate.adapters.registry import PLATFORMS
from cemigrate.copier.plan import load_plan
from cemigrate.ledger import Ledger
from cemigrate.mapping import IDENTITY, load_mapping
from cemigrate.ratelimit import Clock, SystemClock

if TYPE_CHECKING:
    from cemigrate.copier.run import Migration


def build(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    progress: bool | None = None,
) -> Migration:
    """Plan, mapping, credentials and adapter options are checked before the ledger is opened
    or created."""
    from cemigrate.copier.run import Migration

    plan = load_plan(path)
    mapping = load_mapping(plan.mapping) if plan.mapping else IDENTITY
    clock = clock or SystemClock()
    source_settings = [plan.settings(spec, clock=clock, env=env) for spec in plan.sources]
    target_settings = plan.settings(plan.target, clock=clock, env=env)
    # Adapters are built (and their options checked) before the ledger is opened, so a plan
    # the builders refuse leaves no ledger file behind.
    sources = []
    for spec, settings in zip(plan.sources, source_settings, strict=True):
        build_source = PLATFORMS[spec.platform].build_source
        assert build_source is not None  # the plan loader checked it
        sources.append(build_source(settings))
    build_target = PLATFORMS[plan.target.platform].build_target
    assert build_target is not None
    target = build_target(target_settings)
    try:
        ledger = Ledger.open(plan.ledger)
    except BaseException:
        closer = getattr(target, "close", None)
        if callable(closer):
            closer()
        raise
    return Migration(
        sources=sources,
        target=target,
        ledger=ledger,
        mapping=mapping,
        progress=progress,
        plan_digest=plan.digest,
    )
