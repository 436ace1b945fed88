"""Batches set aside until what they refer to has landed, while the copier goes on.

A batch that refers to a record of a batch still in flight (a ticket and its problem ticket)
must not be written before it. Waiting for it on the copier's thread stops every other batch
behind it: measured at 0.3 s a call, a Freshdesk ticket with 1,040 conversations (312 s of
calls one after another, its order is the platform's) held up the 117 tickets read after the
one ticket that named it as its problem, and the run went at one request in flight for five
minutes. :class:`Parking` keeps such a batch aside, before it is marked ``pending`` (a crash
leaves it unread: the stream's cursor does not move past a batch that is not settled), and
hands it back once nothing in flight, and no batch parked before it, carries what it needs. A
batch that needs a parked batch's records is parked behind it, so the order that matters is
kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

import attrs

__all__ = ["Parking"]

T = TypeVar("T")


@attrs.define
class _Parked(Generic[T]):
    batch: T
    keys: frozenset[str]
    needs: frozenset[str]


class Parking(Generic[T]):
    """Batches waiting for records in flight, in the order they were parked."""

    def __init__(self) -> None:
        self._parked: list[_Parked[T]] = []
        self._releasing = False
        self.most = 0
        """The most batches that were parked at once."""

    def __len__(self) -> int:
        return len(self._parked)

    def park(
        self,
        batch: T,
        keys: Iterable[str],
        needs: Iterable[str],
        in_flight: Callable[[set[str]], set[str]],
    ) -> bool:
        """Set ``batch`` aside if ``in_flight`` (which of these keys work in flight carries)
        or a parked batch carries one of ``needs``; whether it was."""
        wanted = set(needs)
        if not self._carried(wanted) and not in_flight(wanted):
            return False
        self._parked.append(_Parked(batch, frozenset(keys), frozenset(wanted)))
        self.most = max(self.most, len(self._parked))
        return True

    def release(self, in_flight: Callable[[set[str]], set[str]], send: Callable[[T], None]) -> None:
        """``send`` every parked batch whose needs nothing in flight and no batch parked
        before it carries any more, in the order they were parked (not re-entrant: a batch
        sent from here that releases again is a no-op)."""
        if self._releasing or not self._parked:
            return
        self._releasing = True
        try:
            index = 0
            while index < len(self._parked):
                parked = self._parked[index]
                earlier = set().union(*(p.keys for p in self._parked[:index]))
                if parked.needs & earlier or in_flight(set(parked.needs)):
                    index += 1
                    continue
                del self._parked[index]
                send(parked.batch)
                index = 0  # what it sent may hold what a later one needs: look again
        finally:
            self._releasing = False

    def flush(
        self,
        wait_for: Callable[[set[str]], None],
        send: Callable[[T], None],
    ) -> None:
        """Send every parked batch in order, waiting (``wait_for``) for what each needs (a
        batch is not yet in flight while it is being sent: nothing is released meanwhile)."""
        self._releasing = True
        try:
            while self._parked:
                parked = self._parked.pop(0)
                wait_for(set(parked.needs))
                send(parked.batch)
        finally:
            self._releasing = False

    def carrying(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` parked batches carry."""
        wanted = set(keys)
        found: set[str] = set()
        for parked in self._parked:
            found |= parked.keys & wanted
        return found

    def _carried(self, keys: set[str]) -> bool:
        return any(p.keys & keys for p in self._parked)
