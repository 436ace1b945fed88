"""What a platform pair gives the conformance suite: fresh sources and targets, and a view of
the target's content that does not depend on target ids."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

import attrs

from cemigrate.adapters import Source, Target
from cemigrate.ratelimit import Clock
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.http import WireFaults
from cemigrate.schema import Record

if TYPE_CHECKING:
    from cemigrate.testing.kill import Killable


@attrs.frozen(kw_only=True)
class Faults:
    """Misbehaviour to inject, in platform-neutral terms; each pair translates it."""

    throttle_rate: float = 0.0
    """Share of calls answered with a 429 (or the platform's equivalent)."""
    reject: Mapping[str, str] = attrs.field(factory=dict)
    """External id → the message the target refuses that record with."""
    crash_after_records: int | None = None
    """The target "dies" after persisting this many records (mid-batch)."""
    garbled_rate: float = 0.0
    """Share of answers that arrive broken (cut short) after the platform acted on the request:
    only pairs that talk HTTP (``wire``) can show it."""
    seed: int = 0

    def on_the_wire(self) -> WireFaults | None:
        """These faults as an emulator shows them on the wire (``None``: none)."""
        if self.throttle_rate <= 0 and self.garbled_rate <= 0:
            return None
        return WireFaults(
            rate_429=self.throttle_rate, rate_garbled=self.garbled_rate, seed=self.seed
        )


Snapshot = Mapping[str, list[tuple[str, str]]]
"""Kind → sorted ``(external id, fingerprint)``; two targets holding the same records have equal
snapshots even when their target ids differ."""


class AdapterPair(Protocol):
    """A source platform and a target platform, as the conformance suite drives them."""

    name: str
    wire: bool = False
    """Whether its adapters talk HTTP to emulators, which can then break answers on the wire
    (:attr:`Faults.garbled_rate`); the suite tests broken answers only then."""

    def make_source(
        self, desk: HelpDesk, *, clock: Clock, faults: Faults, page_size: int | None = None
    ) -> Source:
        """A source serving ``desk``."""
        ...

    def make_target(self, *, clock: Clock, faults: Faults) -> Target:
        """A fresh, empty target (its state must outlive a crashed run's copier)."""
        ...

    def with_faults(self, target: Target, faults: Faults) -> None:
        """Change the faults an existing target shows."""
        ...

    def snapshot(self, target: Target) -> Snapshot:
        """The target's content, target ids translated to external ids."""
        ...

    def broken_answers(self, target: Target) -> int:
        """How many of ``target``'s answers arrived broken so far (:attr:`Faults.garbled_rate`);
        0 for a pair not on the wire."""
        return 0

    def change(self, source: Source, record: Record) -> bool:
        """Put ``record`` (changed) into ``source``, one this pair made, as a user of the
        platform would change it, so that a delta run reads it again. Whether it could; by
        default it cannot (``False``), and the suite skips the tests that change records."""
        return False


class KillablePair(AdapterPair, Protocol):
    """A pair whose target the suite also migrates into with ``cemigrate run`` processes that
    are SIGKILLed and resumed, against emulators served on loopback (optional: the suite adds
    that case when the pair has this hook)."""

    def killable(self) -> AbstractContextManager[Killable]:
        """Serve a source and this pair's target on loopback for as long as the context lasts,
        and say how a plan reaches them, where to kill its runs and how to check the target."""
        ...
