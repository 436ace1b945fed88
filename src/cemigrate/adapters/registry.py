"""Which platforms exist, which plan keys each accepts, and how to build its adapters.

The plan loader validates a plan against this table, so a typo in a plan names its line
before anything runs; the copier builds adapters from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.ratelimit import Clock
from cemigrate.schema import Kind


@attrs.frozen(kw_only=True)
class AdapterSettings:
    """What a plan says about one side, with credentials already read from the environment."""

    name: str
    """The instance name (sources) or ``target``."""
    options: Mapping[str, Any]
    """The platform's own keys from the plan, type-checked."""
    credentials: Mapping[str, str] = attrs.field(repr=False)
    """Secrets by name (plan key ``token_env`` gives ``token``); kept out of repr, never
    logged or stored."""
    base_dir: Path
    """The plan file's folder: relative paths in options are relative to it."""
    clock: Clock


@attrs.frozen(kw_only=True)
class Platform:
    """One platform: the plan keys its source and target take, and their builders."""

    name: str
    source_keys: Mapping[str, type] = attrs.field(factory=dict)
    target_keys: Mapping[str, type] = attrs.field(factory=dict)
    build_source: Callable[[AdapterSettings], Source] | None = None
    build_target: Callable[[AdapterSettings], Target] | None = None


def _memory_source(settings: AdapterSettings) -> Source:
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


def _memory_target(settings: AdapterSettings) -> Target:
    path = settings.options.get("path")
    return MemoryTarget(
        settings.base_dir / path if path else ":memory:",
        batch_size=int(settings.options.get("batch_size", 100)),
        clock=settings.clock,
    )


PLATFORMS: Mapping[str, Platform] = {
    "memory": Platform(
        name="memory",
        source_keys={"tickets": int, "seed": int, "page_size": int},
        target_keys={"path": str, "batch_size": int},
        build_source=_memory_source,
        build_target=_memory_target,
    ),
}
"""Every platform cemigrate can read from or write to, by the name a plan uses."""
