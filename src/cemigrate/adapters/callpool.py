"""Independent calls of one batch, several at once, bounded across the target.

A batch often holds calls that do not depend on each other: the files of an import batch
(each one upload), the custom fields, groups, brands or schedules of an account's setup (each
one create). Sent one after another they put a round trip per call on the batch's path: at
0.3 s a call, 150 setup calls are 45 s while the account's rate would take them in 13.
:class:`CallPool` sends them from a few threads. What bounds them is shared by every batch in
flight: at most ``limit()`` calls at once across the target (the budgets' own
:meth:`~cemigrate.ratelimit.Budgets.in_flight`, sized from their rate and the latency
observed), so batches written at once do not multiply the requests on the wire; the budgets
pace every call as before.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from cemigrate.ratelimit import CallTally, current_tally, tallying

__all__ = ["CALLERS", "CallPool", "outcome"]

CALLERS: Final = 8
"""Threads calling for a target (the shared limit may allow fewer at once)."""

T = TypeVar("T")
R = TypeVar("R")


class CallPool:
    """Calls for a target, from a few threads, at most ``limit()`` at once across the
    batches in flight."""

    def __init__(self, limit: Callable[[], int], *, threads: int = CALLERS) -> None:
        self._limit = limit
        self._threads = threads
        self._lock = threading.Condition()
        self._busy = 0
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.most = 0
        """The most calls that were under way at once."""

    def map(self, call: Callable[[T], R], items: Sequence[T]) -> list[R | BaseException]:
        """``call(item)`` for every item, several at once; each result or the exception it
        raised, in the items' order, once every call is back."""
        if len(items) <= 1 or self._threads <= 1 or self._limit() <= 1:
            # One at a time: on the caller's thread, in the items' order.
            return [outcome(call, item) for item in items]
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self._threads, thread_name_prefix="cemigrate-call"
                )
            pool = self._pool
        tally = current_tally()  # the calls count for the batch that makes them
        futures = [pool.submit(self._one, call, item, tally) for item in items]
        return [future.result() for future in futures]

    def limit(self) -> int:
        """How many calls may be under way at once now (at least 1, at most the threads)."""
        return max(1, min(self._threads, self._limit()))

    def close(self) -> None:
        """Stop the threads."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _one(self, call: Callable[[T], R], item: T, tally: CallTally | None) -> R | BaseException:
        with self._lock:
            while self._busy >= max(1, self._limit()):
                self._lock.wait()
            self._busy += 1
            self.most = max(self.most, self._busy)
        try:
            with tallying(tally):
                return outcome(call, item)
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()


def outcome(call: Callable[[T], R], item: T) -> R | BaseException:
    """``call(item)``, or the exception it raised (handed back to the batch's writer, which
    raises it where it would have been raised)."""
    try:
        return call(item)
    except BaseException as exc:
        return exc
