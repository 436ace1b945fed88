"""A ticket left ``pending`` by a killed run that the resumed ticket stream does not read again
(a live source: the ticket changed meanwhile and its export leaves out the last minute) is
still written before the records that hang off it: its metrics are never failed as "not in
the target", nor written unlinked.

What ``tests/e2e/test_live_source.py`` showed now and then on a busy machine, made exact: the
kill lands between marking a ticket batch pending and sending it, and the agent answers one of
its tickets before the resume reads the tickets again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from cemigrate.adapters import Batch
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration, Mode
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.schema import Kind, Record, Ref, Ticket, TicketMetrics, User

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class Killed(BaseException):
    """Stands for SIGKILL: nothing of the run's own handling runs after it."""


class LiveSource(MemorySource):
    """Its ticket export leaves out tickets changed after ``horizon`` (Zendesk's leaves out
    the last minute); its ticket metrics list and its reads by id serve everything now."""

    def __init__(self, *args: object, horizon: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.horizon = horizon
        self.fetched: list[tuple[Kind, tuple[str, ...]]] = []

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        for batch in super().read(kind, cursor):
            if kind is not Kind.TICKET:
                yield batch
                continue
            kept = tuple(r for r in batch.records if _updated(r) <= self.horizon)
            if len(kept) == len(batch.records):
                yield batch
                continue
            # Served in update order: the export ends at the horizon, its cursor after the
            # last record it served.
            if kept:
                last = kept[-1]
                after = json.dumps({"u": _updated(last).isoformat(), "id": last.id})
                yield Batch(records=kept, cursor=after)
            return

    def fetch(self, kind: Kind, ids: list[str]) -> tuple[Record, ...]:  # type: ignore[override]
        self.fetched.append((kind, tuple(ids)))
        return super().fetch(kind, ids)


def _updated(record: Record) -> datetime:
    updated = getattr(record, "updated_at", None)
    assert isinstance(updated, datetime)
    return updated


def ticket(number: int, *, hours: int | None = None, subject: str = "") -> Ticket:
    return Ticket(
        id=str(number),
        subject=subject or f"ticket {number}",
        description="",
        status="open",
        created_at=T0,
        updated_at=T0 + timedelta(hours=number if hours is None else hours),
        requester=Ref(kind="user", id="1"),
    )


def metrics(number: int, *, replies: int = 0) -> TicketMetrics:
    return TicketMetrics(
        id=f"m{number}",
        ticket=Ref(kind="ticket", id=str(number)),
        replies=replies,
        updated_at=T0 + timedelta(hours=number),
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def killed_at_pending(nth: int) -> object:
    """A probe that kills the run once the ``nth`` batch is marked pending, before it is sent."""
    seen: list[str] = []

    def probe(step: str) -> None:
        seen.append(step)
        if step == "pending" and seen.count("pending") == nth:
            raise Killed

    return probe


def source(clock: ManualClock) -> LiveSource:
    return LiveSource(
        {
            Kind.USER: [User(id="1", name="Ann", email="ann@x.test", updated_at=T0)],
            Kind.TICKET: [ticket(n) for n in range(1, 5)],
            Kind.TICKET_METRICS: [metrics(n) for n in range(1, 5)],
        },
        instance="live",
        clock=clock,
        page_size=2,
        horizon=T0 + timedelta(days=1),
    )


def check_every_metric_on_its_ticket(target: MemoryTarget, ledger: Ledger) -> None:
    tickets = {r.external_id: r.target_id for r in target.records(Kind.TICKET)}
    assert sorted(tickets) == [f"live:ticket:{n}" for n in range(1, 5)]  # each once
    held = target.records(Kind.TICKET_METRICS)
    assert len(held) == 4
    for stored in held:
        number = stored.external_id.rsplit(":m", 1)[1]
        assert stored.data["links"] == {f"ticket:{number}": tickets[f"live:ticket:{number}"]}
    assert ledger.failures() == []
    assert all(c["pending"] == 0 for c in ledger.counts().values())


def test_a_ticket_left_pending_and_not_read_again_is_written_before_its_metrics(
    ledger: Ledger,
) -> None:
    clock = ManualClock()
    src = source(clock)
    target = MemoryTarget(clock=clock, batch_size=2)
    # Batches: the user, tickets 1-2, tickets 3-4 (killed once pending, never sent).
    run = Migration(sources=[src], target=target, ledger=ledger, progress=False)
    run._probe = killed_at_pending(3)  # type: ignore[assignment]
    with pytest.raises(Killed):
        run.run()
    assert ledger.lookup(["live:ticket:4"])["live:ticket:4"].state is EntryState.PENDING
    # The agent answers ticket 4: its export now puts it past the horizon (the last minute).
    src.put(ticket(4, hours=48, subject="ticket 4, answered"))

    report = Migration(sources=[src], target=target, ledger=ledger, progress=False).run(resume=True)

    assert report.status == "completed", report
    assert report.kinds["ticket_metrics"].failed == 0
    assert report.kinds["ticket"].fetched == 1  # read by id, as a late reference
    assert (Kind.TICKET, ("4",)) in src.fetched
    check_every_metric_on_its_ticket(target, ledger)
    answered = [r for r in target.records(Kind.TICKET) if r.external_id == "live:ticket:4"]
    assert answered[0].data["subject"] == "ticket 4, answered"
    # Once the export serves ticket 4, a delta finds it unchanged: nothing written twice.
    src.horizon = T0 + timedelta(days=3)
    again = Migration(sources=[src], target=target, ledger=ledger, progress=False)
    assert again.run(mode=Mode.DELTA).kinds["ticket"].created == 0
    check_every_metric_on_its_ticket(target, ledger)


def test_a_ticket_update_left_pending_and_not_read_again_is_sent_before_its_metrics(
    ledger: Ledger,
) -> None:
    clock = ManualClock()
    src = source(clock)
    target = MemoryTarget(clock=clock, batch_size=2)
    Migration(sources=[src], target=target, ledger=ledger, progress=False).run()
    # Ticket 4 and its metrics change; the delta is killed with the update pending.
    src.put(ticket(4, hours=20, subject="ticket 4, reopened"))
    src.put(attrs.evolve(metrics(4, replies=1), updated_at=T0 + timedelta(hours=20)))
    run = Migration(sources=[src], target=target, ledger=ledger, progress=False)
    run._probe = killed_at_pending(1)  # type: ignore[assignment]
    with pytest.raises(Killed):
        run.run(mode=Mode.DELTA)
    assert ledger.lookup(["live:ticket:4"])["live:ticket:4"].state is EntryState.PENDING
    src.put(ticket(4, hours=48, subject="ticket 4, answered"))

    report = Migration(sources=[src], target=target, ledger=ledger, progress=False).run(resume=True)

    assert report.status == "completed", report
    assert report.kinds["ticket"].updated == 1
    assert report.kinds["ticket_metrics"].updated == 1
    check_every_metric_on_its_ticket(target, ledger)
    answered = [r for r in target.records(Kind.TICKET) if r.external_id == "live:ticket:4"]
    assert answered[0].data["subject"] == "ticket 4, answered"
