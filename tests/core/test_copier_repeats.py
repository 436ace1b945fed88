"""A record a source serves twice before its first reading is written is written, and counted
as created, once (the second reading is unchanged)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cemigrate.adapters import Batch
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.schema import Kind, Organization

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class OverlappingSource(MemorySource):
    """Each page starts with the last record of the page before, as a time-based export's
    pages do when the source does not leave the repeats out."""

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """The pages of :class:`MemorySource`, each but the first led by a repeat."""
        last = None
        for batch in super().read(kind, cursor):
            records = batch.records if last is None else (last, *batch.records)
            last = batch.records[-1] if batch.records else last
            yield Batch(records=records, cursor=batch.cursor)


def test_a_repeat_read_before_its_first_reading_is_written_is_counted_unchanged() -> None:
    clock = ManualClock()
    organizations = [
        Organization(id=str(i), name=f"org {i}", updated_at=T0 + timedelta(minutes=i))
        for i in range(1, 46)
    ]
    # Pages of 10, writes of 100: every repeat is still waiting in the copier's buffer.
    source = OverlappingSource(
        {Kind.ORGANIZATION: organizations}, instance="s", page_size=10, clock=clock
    )
    target = MemoryTarget(clock=clock, batch_size=100)
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        tally = report.kinds[Kind.ORGANIZATION.value]
        assert (tally.read, tally.created, tally.unchanged) == (45 + 4, 45, 4)
        stored = target.records(Kind.ORGANIZATION)
        assert sorted(r.data["id"] for r in stored) == sorted(o.id for o in organizations)
        again = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        rerun = again.run(resume=False).kinds[Kind.ORGANIZATION.value]
    assert rerun.created == 0
    assert len(target.records(Kind.ORGANIZATION)) == 45
