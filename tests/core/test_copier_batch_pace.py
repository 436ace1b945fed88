"""Batches that mostly wait (a Bulk job the org processes, an import job queued) go several at
once: the copier times each batch against what it spent of the budgets."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from cemigrate.adapters import FileSource, Outgoing, WriteResult
from cemigrate.adapters.callpool import CallPool
from cemigrate.adapters.memory import MemoryTarget
from cemigrate.copier import Migration
from cemigrate.copier.inflight import BatchPace, in_flight_for
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import Budget, Budgets, ManualClock
from cemigrate.schema import Kind
from cemigrate.testing.memory import WritesAtOnce, tickets_of_one_user


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def test_a_batch_is_timed_against_what_it_and_the_threads_it_calls_from_spent() -> None:
    clock = ManualClock()
    budget = Budget("t.core", 60, 60, clock)
    pace = BatchPace(clock.monotonic)
    pool = CallPool(lambda: 4)
    try:
        with pace.timing():
            budget.acquire()
            pool.map(lambda _: budget.acquire(), [1, 2, 3])  # three calls on other threads
            clock.sleep(40)  # a job processing
    finally:
        pool.close()
    assert pace.seconds_per_unit() == {"t.core": 10.0}  # 40 s for 4 calls
    # a write that raised may have stopped half-way: it is not counted

    def failing() -> None:
        with pace.timing():
            budget.acquire()
            clock.sleep(1000)
            raise RuntimeError("the platform answered 503")

    with pytest.raises(RuntimeError):
        failing()
    assert pace.seconds_per_unit() == {"t.core": 10.0}
    # calls outside a timed batch count for none
    budget.acquire()
    with pace.timing():
        clock.sleep(20)
        budget.acquire()
    assert pace.seconds_per_unit() == {"t.core": 0.8 * 10.0 + 0.2 * 20.0}


def test_batches_in_flight_reach_the_rate_of_the_budget_they_would_run_dry_first() -> None:
    clock = ManualClock()
    daily = Budget("sf.daily", 300_000, 86_400, clock)  # 3.47 a second
    records = Budget("sf.bulk_records", 150_000_000, 86_400, clock)  # 1,736 a second
    budgets = Budgets({"daily": daily, "bulk_records": records}, max_long_running=25)
    daily.observe_latency(0.3)
    assert budgets.in_flight() == 3  # requests: 3.47 a second, 0.3 s, twice
    # A batch took 3 s per call of the day and 0.01 s per Bulk record: 11 batches reach the
    # daily rate, 18 the records' one; the day's allowance runs dry first, so 11.
    assert budgets.in_flight({"sf.daily": 3.0, "sf.bulk_records": 0.01}) == 11
    # never fewer than the requests need, never more than the platform allows at once
    assert budgets.in_flight({"sf.daily": 0.01}) == 3
    strict = Budgets({"daily": daily}, max_long_running=5)
    assert strict.in_flight({"sf.daily": 3.0}) == 5


class _Waiting(MemoryTarget):
    """Ticket batches from several threads, each spending one call and then waiting
    ``job_seconds`` on the clock (a job the platform processes); from the second batch on,
    each waits (real time, ``patience`` at most) for ``together`` batches to be in flight."""

    concurrent = frozenset({Kind.TICKET})

    def __init__(self, clock: ManualClock, *, job_seconds: float, together: int) -> None:
        super().__init__(batch_size=2, clock=clock)
        self.clock = clock
        self.budgets = Budgets({"memory.core": Budget("target.memory.core", 6, 60, clock)})
        self.job_seconds = job_seconds
        self.together = together
        self.writes = WritesAtOnce()
        self.crowd = threading.Event()

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if kind is not Kind.TICKET:
            return super().write(kind, batch, files)
        with self.writes.writing() as (number, now):
            if now >= self.together:
                self.crowd.set()
            self.budgets["memory.core"].acquire()
            self.clock.sleep(self.job_seconds)
            if number > 1:
                self.crowd.wait(timeout=5.0)
            return super().write(kind, batch, files)


def test_batches_that_mostly_wait_on_the_platform_go_several_at_once(ledger: Ledger) -> None:
    # 6 calls a minute, a batch a call and a minute's wait: one batch at a time would use a
    # sixth of the rate; timed, the batches go several at once. The calls' own latency is
    # nothing (in process): the requests alone would keep one in flight.
    target = _Waiting(ManualClock(), job_seconds=60, together=3)
    assert in_flight_for(target.budgets) == 1
    report = Migration(
        sources=[tickets_of_one_user(24)], target=target, ledger=ledger, progress=False
    ).run()
    assert report.status == "completed"
    assert target.writes.most >= 3
    stored = sorted(r.external_id for r in target.records(Kind.TICKET))
    assert stored == sorted(f"s:ticket:{i}" for i in range(1, 25))  # each once


def test_batches_that_do_not_wait_stay_one_at_a_time_in_process(ledger: Ledger) -> None:
    target = _Waiting(ManualClock(), job_seconds=0, together=1)
    report = Migration(
        sources=[tickets_of_one_user(8)], target=target, ledger=ledger, progress=False
    ).run()
    assert report.status == "completed"
    assert target.writes.most == 1


def test_the_time_a_batch_waited_for_tokens_is_not_its_pace() -> None:
    clock = ManualClock()
    budget = Budget("t.core", 6, 60, clock, capacity=1)  # one at once, then one every 10 s
    pace = BatchPace(clock.monotonic)
    with pace.timing():
        budget.acquire()
        budget.acquire()  # waits 10 s: the budget binds, more batches would wait too
        clock.sleep(4)
    assert pace.seconds_per_unit() == {"t.core": 2.0}


def test_batches_in_flight_hold_no_more_record_data_than_allowed() -> None:
    from cemigrate.copier.inflight import InFlight

    release = threading.Event()
    events: list[str] = []
    inflight: InFlight[str] = InFlight(lambda: 4, max_bytes=100)

    def batch(name: str) -> str:
        events.append(f"{name} starts")
        release.wait(timeout=5)
        return name

    def settle(name: str) -> None:
        events.append(f"{name} recorded")

    inflight.submit(lambda: batch("a"), ["a"], settle, size=60)
    inflight.submit(lambda: batch("b"), ["b"], settle, size=30)  # 90 bytes: both at once
    timer = threading.Timer(0.05, release.set)  # the platform answers the two
    timer.start()
    try:
        inflight.submit(lambda: batch("c"), ["c"], settle, size=60)  # 150: waits for room
        inflight.drain()
    finally:
        timer.cancel()
        inflight.close()
    assert events.index("a recorded") < events.index("c starts")
    assert sorted(events[:2]) == ["a starts", "b starts"]
    assert inflight.most == 2
