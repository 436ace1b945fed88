"""Target batches written on worker threads while the copier reads and prepares the next.

A platform call takes 100 to 600 ms, so one request in flight cannot reach a per-minute quota
(700 a minute is one call every 86 ms). :class:`InFlight` keeps several target batches being
written at once, as many as the target's budgets can take at the latency its calls show
(Little's law: requests in flight = rate × latency), never more than the platform allows at
once. The budgets still pace every call: more batches in flight only stop the round trip from
being the limit.

What stays on the copier's own thread, so the ledger protocol is the serial one: marking a
batch ``pending`` before it is handed over, and recording its outcomes afterwards, **in the order
the batches were sent** (the stream cursors move behind them). A batch that refers to a record of
a batch still in flight (a ticket and its problem ticket, two users of one e-mail) waits for it
first, so nothing is written before what it needs.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import math
from collections.abc import Callable, Iterable
from typing import Final, Generic, TypeVar

import attrs

from cemigrate.ratelimit import Budgets

__all__ = ["HEADROOM", "MAX_IN_FLIGHT", "InFlight", "in_flight_for"]

log = logging.getLogger("cemigrate.copier")

T = TypeVar("T")

MAX_IN_FLIGHT: Final = 16
"""Most target batches in flight whatever the budgets say (each one is held in memory)."""

HEADROOM: Final = 1.5
"""Batches in flight per request the rate and latency need: a batch's calls are not back to
back (the copier's own work, a Bulk job's wait between polls)."""


def in_flight_for(budgets: Budgets) -> int:
    """Batches in flight a target's budgets can take at the latency their calls show: the
    fastest budget's rate × the observed latency × :data:`HEADROOM`, at least 1, at most
    the platform's concurrent-request limit (``max_long_running``) and :data:`MAX_IN_FLIGHT`.
    Before any call was timed: 1."""
    wanted = 1
    for budget in budgets.values():
        latency = budget.latency
        if latency > 0:
            wanted = max(wanted, math.ceil(budget.rate_per_second * latency * HEADROOM))
    cap = MAX_IN_FLIGHT
    if budgets.max_long_running is not None:
        cap = min(cap, max(1, budgets.max_long_running))
    return max(1, min(wanted, cap))


@attrs.define
class _Sent(Generic[T]):
    future: concurrent.futures.Future[T]
    keys: frozenset[str]
    settle: Callable[[T], None]


class InFlight(Generic[T]):
    """Work handed to worker threads, settled on the caller's thread in the order it was sent.

    ``limit`` says how many may be in flight (asked before each hand-over: it follows the
    latency observed so far). ``settle`` callbacks run on the thread that calls :meth:`submit`,
    :meth:`wait_for` or :meth:`drain`; an exception a piece of work raised is raised there, from
    its own ``settle`` turn, after everything sent before it was settled.
    """

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._queue: collections.deque[_Sent[T]] = collections.deque()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.most = 0
        """The most pieces of work that were in flight at once."""
        self.broken = False
        """Whether a piece of work failed: what settles after it is no longer in order, so a
        caller that moves a position behind settled work stops moving it."""

    def __len__(self) -> int:
        return len(self._queue)

    def held(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` work in flight carries."""
        wanted = set(keys)
        found: set[str] = set()
        for sent in self._queue:
            found |= sent.keys & wanted
        return found

    def submit(
        self, work: Callable[[], T], keys: Iterable[str], settle: Callable[[T], None]
    ) -> None:
        """Hand ``work`` to a worker (or, with a limit of 1 and nothing in flight, do it here);
        ``settle`` gets its result once everything sent before it was settled."""
        limit = self.make_room()
        if limit == 1:
            settle(work())
            return
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=MAX_IN_FLIGHT, thread_name_prefix="cemigrate-write"
            )
        self._queue.append(_Sent(self._pool.submit(work), frozenset(keys), settle))
        self.most = max(self.most, len(self._queue))

    def make_room(self) -> int:
        """Settle the oldest work until one more may be handed over; the limit now."""
        limit = max(1, self._limit())
        while len(self._queue) >= limit:
            self._settle_oldest()
        return limit

    def wait_for(self, keys: Iterable[str]) -> None:
        """Settle work in flight, oldest first, until none carries any of ``keys``."""
        wanted = set(keys)
        if not wanted:
            return
        while any(sent.keys & wanted for sent in self._queue):
            self._settle_oldest()

    def drain(self) -> None:
        """Settle everything in flight."""
        while self._queue:
            self._settle_oldest()

    def abandon(self) -> None:
        """After an error: wait for the work in flight and settle what finished well (its
        writes happened: recording them spares the resume a look-up); errors of the others are
        logged, the first error is the one being raised already."""
        while self._queue:
            try:
                self._settle_oldest()
            except Exception as exc:  # the first error is on its way already
                log.info("a batch in flight ended too: %s", exc)

    def close(self) -> None:
        """Stop the worker threads (after :meth:`drain` or :meth:`abandon`)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _settle_oldest(self) -> None:
        sent = self._queue.popleft()
        try:
            sent.settle(sent.future.result())
        except BaseException:
            self.broken = True
            raise
