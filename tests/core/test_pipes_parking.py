"""A ticket that names a ticket still being written as its problem waits aside; the tickets
read after it are written meanwhile (the copier does not stop behind a long ticket)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from cemigrate.adapters import FileSource, Outgoing, WriteResult
from cemigrate.adapters.memory import MemoryTarget
from cemigrate.copier import Migration
from cemigrate.copier.parking import Parking
from cemigrate.ledger import Ledger
from cemigrate.schema import Kind
from cemigrate.testing.memory import tickets_of_one_user


class _Long(MemoryTarget):
    """Ticket 1 is a long one: its write lasts until ticket 8 has been written (or a few
    seconds pass, which the test sees)."""

    concurrent = frozenset({Kind.TICKET})

    def __init__(self) -> None:
        super().__init__(batch_size=1)
        self.last_written = threading.Event()
        self.waited_out = False
        self.lock = threading.Lock()
        self.order: list[str] = []

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if kind is Kind.TICKET and batch[0].record.id == "1":
            self.waited_out = not self.last_written.wait(timeout=5)
        results = super().write(kind, batch, files)
        if kind is Kind.TICKET:
            with self.lock:
                self.order.append(batch[0].record.id)
            if batch[0].record.id == "8":
                self.last_written.set()
        return results


def test_tickets_behind_one_that_waits_for_a_long_ticket_are_written_meanwhile(
    tmp_path: Path,
) -> None:
    target = _Long()
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(
            sources=[tickets_of_one_user(8, problem_of={3: 1, 5: 3})],
            target=target,
            ledger=ledger,
            progress=False,
            concurrency=4,
        ).run()
    assert report.status == "completed"
    assert not target.waited_out  # ticket 8 was written while ticket 1 was
    assert target.order.index("8") < target.order.index("1")
    # Ticket 3 after its problem 1, ticket 5 after its problem 3, each linked.
    assert target.order.index("1") < target.order.index("3") < target.order.index("5")
    stored = {r.external_id: r for r in target.records(Kind.TICKET)}
    assert stored["s:ticket:3"].data["links"]["ticket:1"] == stored["s:ticket:1"].target_id
    assert stored["s:ticket:5"].data["links"]["ticket:3"] == stored["s:ticket:3"].target_id
    assert len(stored) == 8


def test_a_parked_batch_goes_in_order_once_nothing_it_needs_is_in_flight_or_parked() -> None:
    parking: Parking[str] = Parking()
    flying = {"t1"}

    def in_flight(keys: set[str]) -> set[str]:
        return keys & flying

    assert not parking.park("free", {"t9"}, {"t9", "u1"}, in_flight)
    assert parking.park("a", {"t3"}, {"t3", "t1"}, in_flight)  # needs t1, in flight
    assert parking.park("b", {"t5"}, {"t5", "t3"}, in_flight)  # needs t3, parked
    sent: list[str] = []
    parking.release(in_flight, sent.append)
    assert sent == []
    flying.clear()
    parking.release(in_flight, sent.append)
    assert sent == ["a", "b"]
    assert len(parking) == 0


class _LongPairs(_Long):
    """Two tickets a batch; the batch holding ticket 1 lasts until ticket 8 is written."""

    def __init__(self) -> None:
        super().__init__()
        self.batch_size = dict.fromkeys(Kind, 2)

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if kind is Kind.TICKET and batch[0].record.id == "1":
            self.waited_out = not self.last_written.wait(timeout=5)
        results = MemoryTarget.write(self, kind, batch, files)
        if kind is Kind.TICKET:
            with self.lock:
                self.order.extend(item.record.id for item in batch)
            if any(item.record.id == "8" for item in batch):
                self.last_written.set()
        return results


def test_a_set_aside_batch_that_refers_ahead_to_one_set_aside_after_it_is_not_held_forever(
    tmp_path: Path,
) -> None:
    # Batch (3, 4) waits for ticket 1; ticket 4 names ticket 6 as its problem, and batch (5, 6)
    # waits behind (3, 4) for ticket 3: each holds what the other refers to.
    target = _LongPairs()
    outcome: list[str] = []

    def migrate() -> None:
        with Ledger.open(tmp_path / "l.sqlite") as ledger:
            outcome.append(
                Migration(
                    sources=[tickets_of_one_user(8, problem_of={3: 1, 4: 6, 5: 3})],
                    target=target,
                    ledger=ledger,
                    progress=False,
                    concurrency=4,
                )
                .run()
                .status
            )

    runner = threading.Thread(target=migrate, daemon=True)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive(), "the run never ended"
    assert outcome == ["completed"]
    stored = {r.external_id: r for r in target.records(Kind.TICKET)}
    assert len(stored) == 8
    assert stored["s:ticket:3"].data["links"]["ticket:1"] == stored["s:ticket:1"].target_id
    assert stored["s:ticket:5"].data["links"]["ticket:3"] == stored["s:ticket:3"].target_id
