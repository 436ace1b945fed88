"""Faults the memory adapters can be told to show, so the copier's defences can be tested."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping

import attrs

from cemigrate.errors import RateLimited
from cemigrate.ratelimit import Budget, RetryPolicy


class SimulatedCrash(BaseException):
    """The process "dies" here: not an Exception, so no handler in the copier catches it."""


@attrs.define(kw_only=True)
class MemoryFaults:
    """Injected misbehaviour of an in-process platform.

    ``throttle_rate`` is the share of calls answered with a 429 (seeded, so repeatable);
    ``reject`` maps external ids to the platform message their write is refused with;
    ``crash_after_records`` makes the target die after persisting that many more records,
    possibly in the middle of a batch.
    """

    throttle_rate: float = 0.0
    retry_after: float = 1.0
    reject: Mapping[str, str] = attrs.field(factory=dict)
    crash_after_records: int | None = None
    seed: int = 0
    _random: random.Random = attrs.field(init=False)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def throttled(self) -> bool:
        """Whether this call is answered with a 429."""
        if self.throttle_rate <= 0:
            return False
        with self._lock:
            return self._random.random() < self.throttle_rate

    def call(self, retry: RetryPolicy, budget: Budget, what: str) -> None:
        """Spend one call of ``budget`` through ``retry``, answered with a 429 when due."""
        if self.throttle_rate <= 0:
            budget.acquire()  # nothing to retry: spare the in-process call tenacity's overhead
            return

        def attempt() -> None:
            if self.throttled():
                raise RateLimited(
                    f"{what}: 429 Too Many Requests (injected)",
                    budget=budget.name,
                    retry_after=self.retry_after,
                )

        retry.call(attempt, budgets=[budget], what=what)

    def record_persisted(self) -> None:
        """Count one persisted record; die when the countdown reaches zero."""
        if self.crash_after_records is None:
            return
        self.crash_after_records -= 1
        if self.crash_after_records < 0:
            self.crash_after_records = None
            raise SimulatedCrash("the target died mid-write (injected)")
