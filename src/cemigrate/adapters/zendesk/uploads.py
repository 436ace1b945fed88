"""A ticket batch's attachments uploaded several at once, before its import job.

An attachment reaches an imported ticket as an upload token: ``POST /api/v2/uploads.json``
per file, its token in the comment's ``uploads`` (tokens expire after 60 minutes, so they are
uploaded just before the batch's import; developer.zendesk.com "Attachments": "Upload Files").
Uploads of one batch do not depend on each other; sent one after another they put a round
trip per file on the batch's path, and a run with few batches (a few hundred tickets) cannot
keep the account's rate busy. :class:`UploadPool` sends them from a few threads. What bounds
them is shared by every batch in flight: at most ``limit()`` uploads at once across the
target (the budgets' own :meth:`~cemigrate.ratelimit.Budgets.in_flight`), so batches written
at once do not multiply the requests on the wire; the budgets pace every call as before.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

__all__ = ["UPLOADERS", "UploadPool"]

UPLOADERS: Final = 8
"""Threads uploading for the target (the shared limit may allow fewer at once)."""

T = TypeVar("T")
R = TypeVar("R")


class UploadPool:
    """Uploads for a target, from a few threads, at most ``limit()`` at once across the
    batches in flight."""

    def __init__(self, limit: Callable[[], int], *, threads: int = UPLOADERS) -> None:
        self._limit = limit
        self._threads = threads
        self._lock = threading.Condition()
        self._busy = 0
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.most = 0
        """The most uploads that were under way at once."""

    def map(self, upload: Callable[[T], R], items: Sequence[T]) -> list[R | BaseException]:
        """``upload(item)`` for every item, several at once; each result or the exception it
        raised, in the items' order."""
        if len(items) <= 1 or self._threads <= 1:
            return [_outcome(upload, item) for item in items]
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self._threads, thread_name_prefix="cemigrate-upload"
                )
            pool = self._pool
        futures = [pool.submit(self._one, upload, item) for item in items]
        return [future.result() for future in futures]

    def close(self) -> None:
        """Stop the threads."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _one(self, upload: Callable[[T], R], item: T) -> R | BaseException:
        with self._lock:
            while self._busy >= max(1, self._limit()):
                self._lock.wait()
            self._busy += 1
            self.most = max(self.most, self._busy)
        try:
            return _outcome(upload, item)
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()


def _outcome(upload: Callable[[T], R], item: T) -> R | BaseException:
    try:
        return upload(item)
    except BaseException as exc:  # handed back to the batch's writer, which raises it
        return exc
