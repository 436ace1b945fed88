"""Waiting for Zendesk background jobs without a fixed sleep between polls.

``create_many``, ``update_many`` and the ticket import answer with a job status, to be polled
(``GET /api/v2/job_statuses/{id}.json``) until its ``status`` is ``completed`` (or ``failed``,
``killed``); each poll is one call on the account's budget, and a job status carries ``total``
(tasks the job works through) and ``progress`` (tasks done)
(developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/).

A fixed second between polls made every small job cost a second of wall clock and a large one
several polls. :class:`JobPace` sizes the first wait from the job's ``total`` and the time per
task the account's finished jobs took at least (a little under it, so the poll does not come
late), then
from the progress the job reports, doubling when there is none, between :data:`SHORTEST` and
:data:`LONGEST`. Every wait goes through the target's clock (tests record them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

from cemigrate.errors import TransientError
from cemigrate.ratelimit import Clock

__all__ = ["FIRST_GUESS", "LONGEST", "SHORTEST", "JobPace"]

SHORTEST: Final = 0.1
"""The least wait before a poll (seconds)."""
LONGEST: Final = 10.0
"""The longest wait between two polls."""
FIRST_GUESS: Final = 0.01
"""Seconds per task assumed before any job of the account was seen to finish."""
EARLY: Final = 0.8
"""The share of a job's expected time waited before its first poll."""
MAX_POLLS: Final = 900
"""Polls of one job before it counts as stuck (a transient error: resume later)."""
_DONE: Final = ("completed", "failed", "killed")


class JobPace:
    """How fast the account's jobs go, and the waits before polling one (thread-safe: ticket
    batches in flight wait for their jobs at once)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.per_task: float | None = None
        """Seconds per task the finished jobs took (a moving average), once one was seen."""
        self.polls = 0
        """Polls made, in all."""

    def first_wait(self, total: int) -> float:
        """The wait before the first poll of a job of ``total`` tasks."""
        with self._lock:
            per_task = FIRST_GUESS if self.per_task is None else self.per_task
        return _bounded(EARLY * per_task * max(1, total))

    def next_wait(self, job: Mapping[str, Any], elapsed: float, last: float) -> float:
        """The wait before the next poll of an unfinished ``job``, ``elapsed`` seconds after
        it was queued, the last wait having been ``last``: what its progress says is left, or
        twice the last wait when it reports none."""
        total, progress = _count(job.get("total")), _count(job.get("progress"))
        if progress > 0 and total > progress and elapsed > 0:
            return _bounded((total - progress) * elapsed / progress)
        return _bounded(2 * last)

    def finished(self, total: int, elapsed: float) -> None:
        """Learn from a job of ``total`` tasks that took at least ``elapsed`` seconds (when it
        was last seen running: learning from when it was seen done would learn this pace's own
        lateness, and the waits would only grow)."""
        if total <= 0:
            return
        seen = elapsed / total
        with self._lock:
            self.per_task = seen if self.per_task is None else 0.7 * self.per_task + 0.3 * seen

    def wait(
        self, job: Mapping[str, Any], poll: Callable[[str], Mapping[str, Any]]
    ) -> Mapping[str, Any]:
        """Poll ``job`` (``poll(job id)`` → its status) until it is done; the completed job.
        A failed or killed job, or one still running after :data:`MAX_POLLS` polls, is a
        :class:`TransientError` (the batch is resumed)."""
        started = self.clock.monotonic()
        total = _count(job.get("total"))
        pause = self.first_wait(total)
        unfinished = 0.0  # when the job was last seen running: what it took at least
        for _ in range(MAX_POLLS):
            status = job.get("status")
            if status in _DONE:
                if status != "completed":
                    raise TransientError(f"zendesk job {job.get('id')} {status}")
                self.finished(total, unfinished)
                return job
            self.clock.sleep(pause)
            asked = self.clock.monotonic() - started
            job = poll(str(job["id"]))
            if job.get("status") not in _DONE:
                unfinished = asked
            with self._lock:
                self.polls += 1
            pause = self.next_wait(job, self.clock.monotonic() - started, pause)
        raise TransientError(f"zendesk job {job.get('id')} did not finish")


def _bounded(seconds: float) -> float:
    return min(LONGEST, max(SHORTEST, seconds))


def _count(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 0
