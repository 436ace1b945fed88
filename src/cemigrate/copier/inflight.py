"""Target batches written on worker threads while the copier reads and prepares the next.

A platform call takes 100 to 600 ms, so one request in flight cannot reach a per-minute quota
(700 a minute is one call every 86 ms). :class:`InFlight` keeps several target batches being
written at once, as many as the target's budgets can take at the latency its calls show
(Little's law: requests in flight = rate × latency), never more than the platform allows at
once. The budgets still pace every call: more batches in flight only stop the round trip from
being the limit. A batch that mostly waits (a Salesforce Bulk job the org processes, a Zendesk
import job queued) spends little of a budget per second it is in flight: :class:`BatchPace`
times each batch against what it spent (a :class:`~cemigrate.ratelimit.CallTally`), and as many
batches go at once as reach the rate of the budget they would run dry first.

What stays on the copier's own thread, so the ledger protocol is the serial one: marking a
batch ``pending`` before it is handed over, and recording its outcomes once it is written. Batches
are recorded **as they finish** (a ticket with twenty conversations does not hold up the ones
behind it); a stream's cursor moves only past batches that are all recorded, in the order they
were read. A batch that refers to a record of a batch still in flight (a ticket and its problem
ticket, two users of one e-mail) waits for it first, so nothing is written before what it
needs.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Final, Generic, TypeVar

import attrs

from cemigrate.ratelimit import IN_FLIGHT_HEADROOM, MAX_IN_FLIGHT, Budgets, CallTally, tallying

__all__ = [
    "AUTO",
    "IN_FLIGHT_HEADROOM",
    "MAX_IN_FLIGHT",
    "BatchPace",
    "InFlight",
    "in_flight_for",
]

log = logging.getLogger("cemigrate.copier")

T = TypeVar("T")


AUTO: Final = 0
"""``Migration(concurrency=AUTO)``, a plan's ``in_flight = "auto"``, the default: as many batches
in flight as the target's budgets take at the latency its calls show (one until a call was
timed). ``in_flight = 1`` writes one batch at a time."""


def in_flight_for(budgets: Budgets, pace: BatchPace | None = None) -> int:
    """Batches in flight a target's budgets can take (:meth:`Budgets.in_flight`), at the
    pace its batches showed so far."""
    return budgets.in_flight(pace.seconds_per_unit() if pace is not None else None)


class BatchPace:
    """The seconds a target batch takes per unit it spends of each budget: a moving average
    (1/5 weight, as :attr:`~cemigrate.ratelimit.Budget.latency`) over the batches timed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pace: dict[str, float] = {}

    @contextlib.contextmanager
    def timing(self) -> Iterator[CallTally]:
        """Time the block, a batch's write on the calling thread, against what it spent;
        a write that raised is not counted (it may have stopped half-way). The time the
        write waited for tokens is left out: a budget that binds makes batches slower, and
        more of them at once would only wait beside them."""
        tally = CallTally()
        started = self._clock()
        with tallying(tally):
            yield tally
        seconds = max(0.0, self._clock() - started - tally.waited)
        with self._lock:
            for budget, spent in tally.spent.items():
                if spent <= 0 or seconds <= 0:
                    continue
                sample = seconds / spent
                before = self._pace.get(budget)
                self._pace[budget] = sample if before is None else 0.8 * before + 0.2 * sample

    def seconds_per_unit(self) -> dict[str, float]:
        """Seconds a batch took per unit spent, by budget name (those batches spent on)."""
        with self._lock:
            return dict(self._pace)


@attrs.define
class _Sent(Generic[T]):
    future: concurrent.futures.Future[T]
    keys: frozenset[str]
    settle: Callable[[T], None]
    size: int = 0


class InFlight(Generic[T]):
    """Work handed to worker threads, settled on the caller's thread as it finishes.

    ``limit`` says how many may be in flight (asked before each hand-over: it follows the
    latency observed so far). ``settle`` callbacks run on the thread that calls :meth:`submit`,
    :meth:`make_room`, :meth:`wait_for` or :meth:`drain`, for work that finished (several
    finished at once: in the order they were handed over); an exception a piece of work raised
    is raised there, from its own ``settle`` turn.
    """

    def __init__(self, limit: Callable[[], int], *, max_bytes: int | None = None) -> None:
        self._limit = limit
        self._max_bytes = max_bytes
        self._queue: list[_Sent[T]] = []
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.most = 0
        """The most pieces of work that were in flight at once."""
        self.broken = False
        """Whether a piece of work failed (its ``settle`` raised)."""

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
        self,
        work: Callable[[], T],
        keys: Iterable[str],
        settle: Callable[[T], None],
        *,
        size: int = 0,
    ) -> None:
        """Hand ``work`` to a worker (with a limit of 1 and nothing in flight, do it here);
        ``settle`` gets its result once it finished. ``size``: the bytes of records it holds
        (with ``max_bytes``, work waits until those in flight and it fit)."""
        limit = self.make_room(size)
        if limit == 1:
            settle(work())
            return
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=MAX_IN_FLIGHT, thread_name_prefix="cemigrate-write"
            )
        self._queue.append(_Sent(self._pool.submit(work), frozenset(keys), settle, size))
        self.most = max(self.most, len(self._queue))

    def make_room(self, size: int = 0) -> int:
        """Settle finished work (waiting for some when all is busy, or when the records in
        flight and ``size`` more bytes would pass ``max_bytes``) until one more may be handed
        over; the limit now."""
        limit = max(1, self._limit())
        self._settle_finished()
        while len(self._queue) >= limit or (
            self._queue
            and self._max_bytes is not None
            and sum(sent.size for sent in self._queue) + size > self._max_bytes
        ):
            self._settle_next()
        return limit

    def wait_for(self, keys: Iterable[str]) -> None:
        """Settle work as it finishes until none in flight carries any of ``keys``."""
        wanted = set(keys)
        if not wanted:
            return
        while any(sent.keys & wanted for sent in self._queue):
            self._settle_next()

    def drain(self) -> None:
        """Settle everything in flight."""
        while self._queue:
            self._settle_next()

    def abandon(self) -> None:
        """After an error: wait for the work in flight and settle what finished well (its
        writes happened: recording them spares the resume a look-up); errors of the others are
        logged, the first error is the one being raised already."""
        while self._queue:
            try:
                self._settle_next()
            except Exception as exc:  # the first error is on its way already
                log.info("a batch in flight ended too: %s", exc)

    def close(self) -> None:
        """Stop the worker threads (after :meth:`drain` or :meth:`abandon`)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _settle_finished(self) -> None:
        """Settle what finished already, without waiting."""
        while any(sent.future.done() for sent in self._queue):
            self._settle_next()

    def _settle_next(self) -> None:
        """Settle the first piece of work (in hand-over order) that finished, waiting for one
        when none has."""
        done = next((sent for sent in self._queue if sent.future.done()), None)
        if done is None:
            concurrent.futures.wait(
                [sent.future for sent in self._queue],
                return_when=concurrent.futures.FIRST_COMPLETED,
            )
            done = next(sent for sent in self._queue if sent.future.done())
        self._queue.remove(done)
        try:
            done.settle(done.future.result())
        except BaseException:
            self.broken = True
            raise
