"""Several target batches in flight: the quota, not the round trip, sets the pace."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from cemigrate.adapters import FileSource, Outgoing, WriteResult
from cemigrate.adapters.memory import MemoryTarget
from cemigrate.copier import Migration
from cemigrate.copier.inflight import AUTO, MAX_IN_FLIGHT, InFlight, in_flight_for
from cemigrate.errors import ConfigError, TransientError
from cemigrate.ledger import Ledger
from cemigrate.plan import load_plan
from cemigrate.ratelimit import Budget, Budgets, ManualClock
from cemigrate.schema import Kind, Ref
from cemigrate.testing.memory import WritesAtOnce, tickets_of_one_user


class _Overlapping(MemoryTarget):
    """Takes ticket batches from several threads; each write waits until ``together`` of them
    are being written at once (or a timeout), so overlap is proved, not assumed."""

    concurrent = frozenset({Kind.TICKET})

    def __init__(
        self, together: int, *, fail_batch: int | None = None, patience: float = 5.0
    ) -> None:
        super().__init__(batch_size=2)
        self.barrier = threading.Barrier(together, timeout=patience)
        self.writes = WritesAtOnce()
        self.fail_batch = fail_batch
        self.links_seen: dict[str, dict[Ref, str]] = {}

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if kind is not Kind.TICKET:
            return super().write(kind, batch, files)
        with self.writes.writing() as (number, _):
            # the last batches of a stream have fewer partners
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait()
            if number == self.fail_batch:
                raise TransientError("the platform answered 503")
            for item in batch:
                self.links_seen[item.external_id] = dict(item.links)
            return super().write(kind, batch, files)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def test_several_ticket_batches_are_written_at_once_each_record_once(ledger: Ledger) -> None:
    target = _Overlapping(together=3)
    steps: list[str] = []
    report = Migration(
        sources=[tickets_of_one_user(24)],
        target=target,
        ledger=ledger,
        progress=False,
        concurrency=3,
        probe=steps.append,
    ).run()
    assert report.status == "completed"
    assert target.writes.most == 3  # three batches were being written at the same moment
    stored = sorted(r.external_id for r in target.records(Kind.TICKET))
    assert stored == sorted(f"s:ticket:{i}" for i in range(1, 25))
    assert report.kinds["ticket"].created == 24
    # every batch marked pending before it was handed over, recorded after: 12 of each
    assert steps.count("pending") == steps.count("done") == 12 + 1  # + the user's batch
    assert '"id": "24"' in (ledger.get_cursor("s", "ticket") or "")  # past the last ticket
    assert all(c["pending"] == 0 for c in ledger.counts().values())


def test_by_default_as_many_batches_are_in_flight_as_the_budgets_take(ledger: Ledger) -> None:
    target = _Overlapping(together=3)
    for key in target.budgets:  # its calls took 0.3 s: Little's law wants several in flight
        target.budgets[key].observe_latency(0.3)
    assert in_flight_for(target.budgets) >= 3
    report = Migration(
        sources=[tickets_of_one_user(24)], target=target, ledger=ledger, progress=False
    ).run()
    assert report.status == "completed"
    assert target.writes.most >= 3
    stored = sorted(r.external_id for r in target.records(Kind.TICKET))
    assert stored == sorted(f"s:ticket:{i}" for i in range(1, 25))
    # ``in_flight = 1`` (concurrency=1) writes one batch at a time whatever the latency
    serial = _Overlapping(together=2, patience=0.2)
    for key in serial.budgets:
        serial.budgets[key].observe_latency(0.3)
    with Ledger.open(Path(ledger.path).with_name("serial.sqlite")) as other:
        Migration(
            sources=[tickets_of_one_user(4)],
            target=serial,
            ledger=other,
            progress=False,
            concurrency=1,
        ).run()
    assert serial.writes.most == 1


def test_a_ticket_waits_for_the_batch_in_flight_that_holds_its_problem(ledger: Ledger) -> None:
    # Ticket 3 (second batch) names ticket 1 (first batch) as its problem, ticket 6 (third)
    # ticket 2: each is prepared only once the batch it needs landed, so the link is there.
    # Each batch waits (half a second at most) for a partner: were the second handed over
    # while the first is in flight, they would be written together, the link missing.
    target = _Overlapping(together=2, patience=0.5)
    report = Migration(
        sources=[tickets_of_one_user(6, problem_of={3: 1, 6: 2})],
        target=target,
        ledger=ledger,
        progress=False,
        concurrency=4,
    ).run()
    assert report.status == "completed"
    assert Ref(kind=Kind.TICKET, id="1") in target.links_seen["s:ticket:3"]
    assert Ref(kind=Kind.TICKET, id="2") in target.links_seen["s:ticket:6"]
    ticket_3 = next(r for r in target.records(Kind.TICKET) if r.external_id == "s:ticket:3")
    ticket_1 = next(r for r in target.records(Kind.TICKET) if r.external_id == "s:ticket:1")
    assert ticket_3.data["links"]["ticket:1"] == ticket_1.target_id


def test_a_batch_that_fails_in_flight_stops_the_run_after_the_others_landed_and_resume_ends_it(
    ledger: Ledger,
) -> None:
    target = _Overlapping(together=3, fail_batch=4)
    source = tickets_of_one_user(24)
    first = Migration(
        sources=[source], target=target, ledger=ledger, progress=False, concurrency=3
    ).run()
    assert first.status == "interrupted"
    assert "503" in first.stopped_because
    # the batches in flight beside the failed one were recorded: only its two are pending
    pending = [e.key for e in ledger.entries(state="pending")]
    assert len(pending) == 2
    target.fail_batch = None
    target.barrier = threading.Barrier(1)  # the failed batch goes alone
    second = Migration(
        sources=[source], target=target, ledger=ledger, progress=False, concurrency=3
    ).run(resume=True)
    assert second.status == "completed"
    stored = sorted(r.external_id for r in target.records(Kind.TICKET))
    assert stored == sorted(f"s:ticket:{i}" for i in range(1, 25))  # each once


def _budgets(per_minute: float, latency: float, *, long_running: int | None = None) -> Budgets:
    budget = Budget("t.core", per_minute, 60, ManualClock())
    if latency:
        budget.observe_latency(latency)
    return Budgets({"core": budget}, max_long_running=long_running)


def test_requests_in_flight_follow_the_rate_and_the_latency_within_the_platforms_limit() -> None:
    assert in_flight_for(_budgets(700, 0)) == 1  # nothing timed yet
    assert in_flight_for(_budgets(700, 0.005)) == 1  # an in-process emulator
    # Little's law: 700 a minute is 11.7 a second; at 0.3 s a call 3.5 in flight, twice that
    assert in_flight_for(_budgets(700, 0.3)) == 7
    assert in_flight_for(_budgets(2500, 0.3)) == MAX_IN_FLIGHT
    assert in_flight_for(_budgets(2500, 0.3, long_running=5)) == 5


def test_in_flight_settles_work_as_it_finishes_and_raises_where_it_is_settled() -> None:
    order: list[int] = []
    gate = threading.Event()
    flight: InFlight[int] = InFlight(lambda: 3)

    def slow() -> int:
        gate.wait(5)
        return 1

    flight.submit(slow, {"a"}, order.append)
    flight.submit(lambda: 2, {"b"}, order.append)
    assert flight.held({"a", "b", "c"}) == {"a", "b"}
    flight.wait_for({"b"})  # the second finished first: it is not held up by the first
    assert order == [2]
    assert flight.held({"a", "b"}) == {"a"}
    gate.set()
    flight.drain()
    assert order == [2, 1]

    def broken() -> int:
        raise ValueError("boom")

    flight.submit(broken, {"x"}, order.append)
    with pytest.raises(ValueError, match="boom"):
        flight.drain()
    assert flight.broken
    flight.close()


def test_a_plan_names_its_requests_in_flight_and_a_wrong_number_is_one_line(
    tmp_path: Path,
) -> None:
    body = '[[source]]\nplatform = "memory"\nname = "s"\n\n[target]\nplatform = "memory"\n'
    plan = tmp_path / "plan.toml"
    plan.write_text(f'ledger = "l.sqlite"\nin_flight = 4\n\n{body}', encoding="utf-8")
    assert load_plan(plan).in_flight == 4
    plan.write_text(f'ledger = "l.sqlite"\nin_flight = "auto"\n\n{body}', encoding="utf-8")
    assert load_plan(plan).in_flight == AUTO
    plan.write_text(f'ledger = "l.sqlite"\n\n{body}', encoding="utf-8")
    assert load_plan(plan).in_flight is None  # the copier's default, "auto"
    plan.write_text(f'ledger = "l.sqlite"\nin_flight = 1\n\n{body}', encoding="utf-8")
    assert load_plan(plan).in_flight == 1  # one batch at a time, said so
    plan.write_text(f'ledger = "l.sqlite"\nin_flight = 0\n\n{body}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'plan\.toml.*in_flight.*"auto" or a number between 1'):
        load_plan(plan)


def test_only_the_records_that_name_a_record_in_flight_wait_for_it(ledger: Ledger) -> None:
    # Batches of two. Ticket 4 names ticket 1 (first batch, in flight) as its problem; ticket
    # 3, beside it in the second batch, needs nothing in flight: it is written while the first
    # batch is (each write waits, 1.5 s at most, for a partner), ticket 4 after it.
    target = _Overlapping(together=2, patience=1.5)
    report = Migration(
        sources=[tickets_of_one_user(4, problem_of={4: 1})],
        target=target,
        ledger=ledger,
        progress=False,
        concurrency=2,
    ).run()
    assert report.status == "completed"
    assert target.writes.most == 2
    assert Ref(kind=Kind.TICKET, id="1") in target.links_seen["s:ticket:4"]
    stored = sorted(r.external_id for r in target.records(Kind.TICKET))
    assert stored == sorted(f"s:ticket:{i}" for i in range(1, 5))
    assert ledger.failures() == []
