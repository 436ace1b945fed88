"""A target wrapper that refuses chosen records and dies mid-batch, for any platform.

Throttling is injected by each platform's own emulator (real 429s on the wire); refusals and
crashes are the same for every target, so they are injected here, around ``write``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cemigrate.adapters import FileSource, Metadata, Needs, Outgoing, Target, WriteResult
from cemigrate.adapters.contract import Change
from cemigrate.adapters.memory import SimulatedCrash
from cemigrate.ratelimit import Budgets
from cemigrate.schema import Kind, SourceKey
from cemigrate.testing.pair import Faults


class FaultyTarget(Target):
    """Delegates to ``inner``; refuses ``faults.reject`` keys with their message, and dies
    after persisting ``faults.crash_after_records`` more records (part of a batch applied)."""

    def __init__(self, inner: Target, faults: Faults | None = None) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.budgets: Budgets = inner.budgets
        self.batch_size: Mapping[Kind, int] = inner.batch_size
        self.concurrent: frozenset[Kind] = getattr(inner, "concurrent", frozenset())
        """The kinds the inner target takes from several batches at once: the faults are
        injected with requests in flight as they would be without them."""
        self.faults = faults or Faults()
        self._countdown = self.faults.crash_after_records
        self._lock = threading.Lock()  # batches in flight count down one shared budget

    def set_faults(self, faults: Faults) -> None:
        """Change the injected faults."""
        self.faults = faults
        self._countdown = faults.crash_after_records

    def describe(self) -> Metadata:
        """The inner target's description."""
        return self.inner.describe()

    def prepare(self, needs: Needs, *, dry_run: bool) -> list[Change]:
        """The inner target's setup."""
        return self.inner.prepare(needs, dry_run=dry_run)

    def declines(self, kind: Kind, record: Any) -> str:
        """The inner target's policy."""
        return self.inner.declines(kind, record)

    def close(self) -> None:
        """Close the inner target."""
        self.inner.close()

    def account_url(self) -> str:
        """The inner target's account."""
        return self.inner.account_url()

    def foresee(self, kind: Kind, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """The inner target's answers, with the chosen records refused as ``write`` will."""
        answers = self.inner.foresee(kind, batch)
        return [
            WriteResult(key=o.key, error="refused by the target", platform_message=message)
            if (message := self.faults.reject.get(o.external_id)) is not None
            else answer
            for o, answer in zip(batch, answers, strict=True)
        ]

    def rule_field_names(self) -> Mapping[str, str]:
        """The inner target's."""
        return self.inner.rule_field_names()

    def rule_field_options(self) -> Mapping[str, frozenset[str]]:
        """The inner target's."""
        return self.inner.rule_field_options()

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Refuse the chosen records, write the rest, and die where told to."""
        refused = {
            i: WriteResult(key=o.key, error="refused by the target", platform_message=message)
            for i, o in enumerate(batch)
            if (message := self.faults.reject.get(o.external_id)) is not None
        }
        passed = [o for i, o in enumerate(batch) if i not in refused]
        with self._lock:
            crash_after = self._countdown
            if crash_after is not None and crash_after < len(passed):
                self._countdown = None
            elif crash_after is not None:
                self._countdown = crash_after - len(passed)
                crash_after = None
        if crash_after is not None:
            self.inner.write(kind, passed[: crash_after + 1], files)
            raise SimulatedCrash("the copier died with part of a batch applied (injected)")
        written = iter(self.inner.write(kind, passed, files) if passed else [])
        return [refused[i] if i in refused else next(written) for i in range(len(batch))]

    def find(self, kind: Kind, keys: Sequence[SourceKey]) -> dict[SourceKey, str]:
        """The inner target's lookup."""
        return self.inner.find(kind, keys)

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        """The inner target's delete."""
        self.inner.delete(kind, target_ids)

    def last_changed(self, kind: Kind, target_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """The inner target's change times."""
        return self.inner.last_changed(kind, target_ids)
