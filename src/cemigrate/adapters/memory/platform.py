"""The memory reference adapters as a plan names them (``platform = "memory"``)."""

from __future__ import annotations

import attrs

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.memory.limits import MEMORY_PLANS
from cemigrate.adapters.memory.source import MemorySource
from cemigrate.adapters.memory.target import MemoryTarget
from cemigrate.adapters.memory.view import MemoryTargetView, record_class
from cemigrate.adapters.platform import AdapterSettings, Platform
from cemigrate.adapters.profile import TargetProfile
from cemigrate.errors import ConfigError
from cemigrate.schema import Kind
from cemigrate.schema.records import LINK_ONLY

__all__ = ["PLATFORM"]


def _source(settings: AdapterSettings) -> Source:
    from cemigrate.sandbox.dataset import generate

    desk = generate(
        tickets=int(settings.options.get("tickets", 200)),
        seed=int(settings.options.get("seed", 7)),
        instance=settings.name,
    )
    return MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance=settings.name,
        blobs=desk.blob,
        page_size=int(settings.options.get("page_size", 100)),
        clock=settings.clock,
    )


def _target(settings: AdapterSettings) -> Target:
    path = settings.options.get("path")
    return MemoryTarget(
        settings.base_dir / path if path else ":memory:",
        batch_size=int(settings.options.get("batch_size", 100)),
        clock=settings.clock,
        keep_files=bool(settings.options.get("keep_files", False)),
    )


def _target_view(settings: AdapterSettings) -> Source:
    """The target's store read back (a file store: one held in memory is gone with its
    process); its files are hashed when the target kept them (``keep_files``)."""
    if not settings.options.get("path"):
        raise ConfigError(
            "memory: a target held in memory is gone with its process; give it a path to read "
            "it back"
        )
    target = _target(settings)
    assert isinstance(target, MemoryTarget)
    return MemoryTargetView(target, clock=settings.clock)


PLATFORM = Platform(
    plans=MEMORY_PLANS,
    name="memory",
    source_keys={"tickets": int, "seed": int, "page_size": int},
    target_keys={"path": str, "batch_size": int, "keep_files": bool},
    build_source=_source,
    build_target=_target,
    build_target_view=_target_view,
    # Everything it receives is held natively, satisfaction ratings included, every attribute
    # as the source had it (reconciliation compares them all, references through the ledger),
    # but for link-only references (an incident's problem, the names a rule holds): linked
    # only when the target held the record when it was written.
    profile=TargetProfile(
        platform="memory",
        read_back=frozenset(Kind),
        carries_ratings=True,
        keeps={
            kind: frozenset(
                f.name for f in attrs.fields(record_class(kind)) if not f.metadata.get(LINK_ONLY)
            )
            for kind in Kind
        },
    ),
)
"""The memory reference adapters: the descriptor the registry lists."""
