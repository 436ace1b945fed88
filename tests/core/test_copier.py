"""The copier's own behaviour, on small hand-made help desks."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from cemigrate.adapters import Batch, FileSource, Outgoing, WriteResult
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration, Mode
from cemigrate.copier.pipeline import Reader, Stream
from cemigrate.errors import ConfigError, Interrupted, RecordError
from cemigrate.ledger import Ledger
from cemigrate.mapping import MappingFile
from cemigrate.ratelimit import ManualClock
from cemigrate.schema import Kind, Organization, Record, Ref, Ticket, User

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def users(emails: Sequence[str | None]) -> list[User]:
    return [
        User(id=str(i), name=f"user {i}", email=email, updated_at=T0 + timedelta(minutes=i))
        for i, email in enumerate(emails, start=1)
    ]


def tickets(count: int, *, requester: str = "1") -> list[Ticket]:
    return [
        Ticket(
            id=str(i),
            subject=f"ticket {i}",
            description="",
            status="open",
            created_at=T0,
            updated_at=T0 + timedelta(hours=i),
            requester=Ref(kind="user", id=requester),
        )
        for i in range(1, count + 1)
    ]


def migration(
    sources: Sequence[MemorySource], target: MemoryTarget, ledger: Ledger, **options: object
) -> Migration:
    return Migration(sources=sources, target=target, ledger=ledger, progress=False, **options)  # type: ignore[arg-type]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def test_consolidation_matches_users_by_email_ignoring_case(ledger: Ledger) -> None:
    clock = ManualClock()
    emea = MemorySource(
        {Kind.USER: users(["Ana.Lima@example.com", "bo@example.com"]), Kind.TICKET: tickets(3)},
        instance="emea",
        clock=clock,
    )
    apac = MemorySource(
        {
            Kind.USER: users(["ana.lima@EXAMPLE.com", "chen@example.com", None]),
            Kind.TICKET: tickets(2),
        },
        instance="apac",
        clock=clock,
    )
    target = MemoryTarget(clock=clock)
    report = migration([emea, apac], target, ledger).run()
    stored = target.records(Kind.USER)
    assert sorted(r.data["email"] or "" for r in stored) == sorted(
        ["", "Ana.Lima@example.com", "bo@example.com", "chen@example.com"]
    )
    assert report.kinds["user"].matched == 1
    # Both instances' tickets arrived, keyed by instance, and apac's ticket 1 points at the
    # user that emea created.
    ticket_ids = sorted(r.external_id for r in target.records(Kind.TICKET))
    assert ticket_ids == sorted(
        ["emea:ticket:1", "emea:ticket:2", "emea:ticket:3", "apac:ticket:1", "apac:ticket:2"]
    )
    ana = next(r.target_id for r in stored if r.data["email"] == "Ana.Lima@example.com")
    apac_ticket = next(r for r in target.records(Kind.TICKET) if r.external_id == "apac:ticket:1")
    assert apac_ticket.data["links"]["user:1"] == ana
    # The ledger holds a digest of the e-mail, never the address.
    assert "example.com" not in "".join(str(e) for e in ledger.entries())


def test_two_users_with_one_email_in_one_batch_become_one(ledger: Ledger) -> None:
    source = MemorySource({Kind.USER: users(["a@x.io", "A@X.io", "b@x.io"])}, instance="one")
    target = MemoryTarget()
    report = migration([source], target, ledger).run()
    assert len(target.records(Kind.USER)) == 2
    assert report.kinds["user"].matched == 1


class _RefusesBatchesWith(MemoryTarget):
    """A target that refuses a whole batch when it contains one bad record (as an API that
    validates a batch before accepting any of it)."""

    def __init__(self, bad: str) -> None:
        super().__init__(batch_size=8)
        self.bad = bad
        self.calls = 0

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        self.calls += 1
        if any(item.external_id == self.bad for item in batch):
            raise RecordError("batch refused", platform_message=f"RecordInvalid: {self.bad}")
        return super().write(kind, batch, files)


def test_a_refused_batch_is_split_until_the_bad_record_fails_alone(ledger: Ledger) -> None:
    source = MemorySource({Kind.USER: users(["a@x.io"]), Kind.TICKET: tickets(8)}, instance="s")
    target = _RefusesBatchesWith("s:ticket:5")
    report = migration([source], target, ledger).run()
    assert report.kinds["ticket"].created == 7
    assert report.kinds["ticket"].failed == 1
    (failure,) = ledger.failures()
    assert failure.key == "s:ticket:5"
    assert failure.platform_message == "RecordInvalid: s:ticket:5"
    # 8 -> 4+4 -> 2+2 -> 1+1: log2(8) levels of splitting, not one call per record.
    assert target.calls <= 1 + 1 + 2 * 3


def test_a_reference_to_a_record_that_failed_fails_with_the_platform_message(
    ledger: Ledger,
) -> None:
    source = MemorySource(
        {Kind.USER: users(["a@x.io"]), Kind.TICKET: tickets(2, requester="99")}, instance="s"
    )
    # User 99 is not in the source: under the ``fail`` policy its records fail (the default
    # writes a placeholder user instead; see test_late_references.py).
    fail = MappingFile.from_dict({"users": {"missing": "fail"}})
    report = migration([source], MemoryTarget(), ledger, mapping=fail).run()
    assert report.kinds["ticket"].failed == 2
    assert {f.platform_message for f in ledger.failures()} == {"RecordInvalid: user 99 not found"}


class _GatedSource(MemorySource):
    """Yields its second page only after being told the first page is being written."""

    def __init__(self, records: dict[Kind, list[Record]], gate: threading.Event) -> None:
        super().__init__(records, instance="s", page_size=1)
        self.gate = gate
        self.second_page_read = threading.Event()

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        for number, batch in enumerate(super().read(kind, cursor)):
            if number == 1:
                self.second_page_read.set()
            yield batch


class _WaitingTarget(MemoryTarget):
    """Writing the first organization waits until the source has read ahead."""

    def __init__(self, source: _GatedSource) -> None:
        super().__init__(batch_size=1)
        self.source = source
        self.read_ahead_while_writing = False

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if not self.read_ahead_while_writing:
            # A copier that reads and writes in turn would never read page 2 now.
            self.read_ahead_while_writing = self.source.second_page_read.wait(timeout=10)
        return super().write(kind, batch, files)


def test_reading_runs_ahead_while_a_batch_is_being_written(ledger: Ledger) -> None:
    orgs: list[Record] = [
        Organization(id=str(i), name=f"org {i}", updated_at=T0 + timedelta(minutes=i))
        for i in range(3)
    ]
    source = _GatedSource({Kind.ORGANIZATION: orgs}, threading.Event())
    target = _WaitingTarget(source)
    migration([source], target, ledger).run()
    assert target.read_ahead_while_writing
    assert len(target.records(Kind.ORGANIZATION)) == 3


def test_an_unfinished_run_must_be_resumed_explicitly(ledger: Ledger) -> None:
    ledger.start_run("full", "")  # as if the process had died
    source = MemorySource({Kind.USER: users(["a@x.io"])}, instance="s")
    with pytest.raises(ConfigError, match="did not finish: continue it with --resume"):
        migration([source], MemoryTarget(), ledger).run()
    assert migration([source], MemoryTarget(), ledger).run(resume=True).status == "completed"


def test_resume_with_nothing_to_resume_says_so(ledger: Ledger) -> None:
    source = MemorySource({Kind.USER: users(["a@x.io"])}, instance="s")
    migration([source], MemoryTarget(), ledger).run()
    with pytest.raises(ConfigError, match="nothing to resume"):
        migration([source], MemoryTarget(), ledger).run(resume=True)


def test_only_failed_leaves_the_delta_cursor_where_it_was(ledger: Ledger) -> None:
    source = MemorySource({Kind.USER: users(["a@x.io"]), Kind.TICKET: tickets(4)}, instance="s")
    target = MemoryTarget()
    migration([source], target, ledger).run()
    cursor = ledger.get_cursor("s", "ticket")
    report = migration([source], target, ledger).run(mode=Mode.ONLY_FAILED)
    assert report.total("created") == 0
    assert ledger.get_cursor("s", "ticket") == cursor


# -- asked to stop (what SIGINT and SIGTERM do through the command line) ----------------------


def test_a_stop_asked_mid_run_ends_the_step_under_way_then_resume_writes_each_record_once(
    ledger: Ledger,
) -> None:
    source = MemorySource(
        {Kind.USER: users(["a@x.io"]), Kind.TICKET: tickets(40)}, instance="s", page_size=5
    )
    target = MemoryTarget(batch_size=4)
    stop = threading.Event()
    steps: list[str] = []

    def probe(step: str) -> None:
        steps.append(step)
        if steps.count("done") == 3:  # asked while the third batch is being recorded
            stop.set()

    report = migration([source], target, ledger, probe=probe).run(stop=stop)

    assert report.status == "interrupted"
    assert report.stopped_because == "asked to stop"
    assert steps[-1] in ("done", "cursor"), "a batch was sent after the stop"
    assert steps.count("pending") == steps.count("done") == 3
    last = ledger.last_run()
    assert last is not None
    assert last.status == "interrupted"
    assert all(c["pending"] == 0 for c in ledger.counts().values())
    assert 0 < len(target.records(Kind.TICKET)) < 40

    report = migration([source], target, ledger).run(resume=True)
    assert report.status == "completed"
    stored = [r.external_id for r in target.records(Kind.TICKET)]
    assert sorted(stored) == sorted(f"s:ticket:{i}" for i in range(1, 41))


def test_a_run_that_failed_is_resumed(ledger: Ledger) -> None:
    # A ledger fault (a full disk) fails the run; fixed, --resume continues it.
    ledger.finish_run(ledger.start_run("full", ""), "failed")
    source = MemorySource({Kind.USER: users(["a@x.io"])}, instance="s")
    assert migration([source], MemoryTarget(), ledger).run(resume=True).status == "completed"


def test_the_reader_thread_stops_reading_when_the_run_is_asked_to_stop() -> None:
    pages = 0

    class Endless:
        instance = "s"

        def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
            nonlocal pages
            while True:
                pages += 1
                yield Batch(records=tuple(users([f"{pages}@x.io"])), cursor=str(pages))

    stop = threading.Event()
    reader = Reader([Stream(Endless(), Kind.USER, None)], depth=2, stop=stop)  # type: ignore[arg-type]

    def consume() -> None:
        for n, _ in enumerate(reader, start=1):
            if n == 3:
                stop.set()

    with reader, pytest.raises(Interrupted):
        consume()
    assert not reader._thread.is_alive()
    read = pages
    assert read <= 3 + 2 + 1  # what was queued ahead, and the page in hand


def test_a_stop_asked_before_the_copy_begins_records_no_run(ledger: Ledger) -> None:
    source = MemorySource({Kind.USER: users(["a@x.io"])}, instance="s")
    stop = threading.Event()
    stop.set()
    report = migration([source], MemoryTarget(), ledger).run(stop=stop)
    assert report.status == "interrupted"
    assert ledger.runs() == []
    assert migration([source], MemoryTarget(), ledger).run().status == "completed"


class _CountingBatches(MemoryTarget):
    """A target that takes up to 1,000 records a write and remembers each ticket batch."""

    def __init__(self) -> None:
        super().__init__(batch_size=1000)
        self.ticket_batches: list[int] = []

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if kind is Kind.TICKET:
            self.ticket_batches.append(len(batch))
        return super().write(kind, batch, files)


def test_a_write_batch_holds_no_more_record_data_than_the_cap(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target that takes thousands of records a call still gets fewer when they are large:
    the batch is held in memory while it is written."""
    from cemigrate.copier import run

    monkeypatch.setattr(run, "BATCH_BYTES", 20_000)
    large = [attrs.evolve(ticket, description="x" * 3_000 + ticket.id) for ticket in tickets(30)]
    source = MemorySource({Kind.USER: users(["a@x.io"]), Kind.TICKET: large}, instance="s")
    target = _CountingBatches()
    report = migration([source], target, ledger).run()
    assert report.kinds["ticket"].created == 30
    assert sum(target.ticket_batches) == 30
    # over 3 KB a ticket: at most six a batch under 20,000 bytes, never one batch of 30
    assert len(target.ticket_batches) >= 5
    assert all(n * 3_000 <= 20_000 for n in target.ticket_batches)
