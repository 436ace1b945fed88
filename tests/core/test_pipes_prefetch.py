"""Attachment bytes and SLA history come from the source off the target's writer thread."""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO

import attrs
import pytest

from cemigrate.adapters import SlaHistory
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.adapters.private import private_dir
from cemigrate.copier import Migration
from cemigrate.copier.prefetch import Prefetch
from cemigrate.errors import RecordError
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Attachment, Kind, Ticket


class _Watched(MemorySource):
    """A memory source that notes which thread opened each attachment and asked for history."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lock = threading.Lock()
        self.opened: list[str] = []
        self.opened_by: dict[str, str] = {}
        self.history_threads: list[str] = []

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        with self.lock:
            self.opened.append(threading.current_thread().name)
            self.opened_by[attachment.id] = threading.current_thread().name
        return super().open_attachment(attachment)

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        with self.lock:
            self.history_threads.append(threading.current_thread().name)
        return super().sla_history(tickets)


def _downloads_left() -> list[Path]:
    """The download spools in this process's private folder."""
    return list(private_dir().glob("download-*"))


def test_a_run_downloads_every_attachment_off_the_writer_and_the_target_gets_its_bytes(
    tmp_path: Path,
) -> None:
    before = set(_downloads_left())  # another test's run in this process is not ours
    desk = generate(tickets=30, seed=5, instance="old")
    clock = ManualClock()
    source = _Watched(
        {kind: desk.records(kind) for kind in Kind},
        instance="old",
        blobs=desk.blob,
        page_size=10,
        clock=clock,
    )
    # Its calls take a round trip (in process they would not: nothing is read ahead then).
    source.budgets["memory.core"].observe_latency(0.3)
    target = MemoryTarget(clock=clock, batch_size=5)
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
    assert report.status == "completed"
    tickets = [t for t in desk.records(Kind.TICKET) if isinstance(t, Ticket)]
    files = [a for t in tickets for c in t.comments for a in c.attachments]
    assert len(files) > 5
    assert len(source.opened) == len(files)  # each file read from the source once
    # The first batch with files shows the target opens them; every later one's are
    # downloaded ahead by the pool. A ticket deleted in the source is not fetched ahead (most
    # targets decline it; the memory target keeps it and reads its files itself).
    by_writer = {
        t.id
        for t in tickets
        if not t.deleted
        for c in t.comments
        for a in c.attachments
        if not source.opened_by[a.id].startswith("cemigrate-download")
    }
    assert len(by_writer) <= 5
    pooled = sum(n.startswith("cemigrate-download") for n in source.opened)
    assert pooled >= len(files) // 2
    stored = {
        attachment_id: held["sha256"]
        for record in target.store.records(Kind.TICKET)
        for attachment_id, held in record.data["stored_attachments"].items()
    }
    assert stored == {a.id: a.sha256 for a in files}
    assert set(_downloads_left()) - before == set()


class _Fake:
    """A source of three small files and some history, noting threads."""

    def __init__(self, *, broken: str = "") -> None:
        self.budgets = {"fake.core": SimpleNamespace(latency=0.3)}  # a round trip away
        self.broken = broken
        self.opened: list[str] = []
        self.history_threads: list[str] = []

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        self.opened.append(threading.current_thread().name)
        if attachment.id == self.broken:
            raise RecordError(f"attachment {attachment.id} could not be downloaded")
        return io.BytesIO(attachment.id.encode() * 10)

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        self.history_threads.append(threading.current_thread().name)
        return {t.id: SlaHistory(events=()) for t in tickets}

    def read_fields(self) -> tuple[()]:
        return ()


def _tickets(ids: Sequence[str]) -> list[Ticket]:
    desk = generate(tickets=3, seed=1, instance="old")
    template = next(iter(desk.records(Kind.TICKET)))
    assert isinstance(template, Ticket)
    comment = template.comments[0]
    made = []
    for ticket_id in ids:
        files = tuple(
            Attachment(
                id=f"{ticket_id}-{n}", file_name=f"f{n}.txt", content_type="text/plain", size=30
            )
            for n in range(3)
        )
        made.append(
            attrs.evolve(
                template,
                id=ticket_id,
                comments=(attrs.evolve(comment, id=f"c{ticket_id}", attachments=files),),
            )
        )
    return made


def test_history_is_asked_ahead_once_the_target_has_asked_for_it() -> None:
    source = _Fake()
    prefetch = Prefetch()
    first = prefetch.batch(source, _tickets(["1"]))  # type: ignore[arg-type]
    assert first.sla_history(_tickets(["1"])).keys() == {"1"}
    first.close()
    assert source.history_threads == [threading.current_thread().name]  # asked by the writer
    second = prefetch.batch(source, _tickets(["2", "3"]))  # type: ignore[arg-type]
    assert second.sla_history(_tickets(["2"])).keys() == {"2"}
    second.close()
    prefetch.close()
    assert len(source.history_threads) == 2
    assert source.history_threads[1].startswith("cemigrate-sla-history")


def test_over_the_spool_budget_the_writer_reads_from_the_source_and_nothing_is_left() -> None:
    before = set(_downloads_left())  # another test's run in this process is not ours
    source = _Fake()
    prefetch = Prefetch(spool_bytes=60)  # room for two of the three 30-byte files
    prefetch.wants_files = True  # the target opened files of an earlier batch
    files = prefetch.batch(source, _tickets(["1"]))  # type: ignore[arg-type]
    ticket = _tickets(["1"])[0]
    read = []
    for attachment in ticket.comments[0].attachments:
        with files.open_attachment(attachment) as stream:
            read.append(stream.read())
    files.close()
    prefetch.close()
    assert read == [f"1-{n}".encode() * 10 for n in range(3)]
    assert sorted(n.split("_")[0] for n in source.opened) == [
        "MainThread",
        "cemigrate-download",
        "cemigrate-download",
    ]
    assert prefetch._spooled == 0
    assert set(_downloads_left()) - before == set()


def test_a_failed_download_fails_where_the_writer_opens_it() -> None:
    before = set(_downloads_left())  # another test's run in this process is not ours
    source = _Fake(broken="1-1")
    prefetch = Prefetch()
    prefetch.wants_files = True
    files = prefetch.batch(source, _tickets(["1"]))  # type: ignore[arg-type]
    broken = _tickets(["1"])[0].comments[0].attachments[1]
    with pytest.raises(RecordError, match="could not be downloaded"):
        files.open_attachment(broken)
    files.close()  # the two unopened downloads are deleted
    prefetch.close()
    assert prefetch._spooled == 0
    assert set(_downloads_left()) - before == set()


def test_files_spooled_for_a_batch_never_written_are_deleted_when_the_run_stops() -> None:
    """A run that stopped on an earlier batch's error never hands this batch to its writer:
    stopping the prefetch deletes what its downloads spooled."""
    before = set(_downloads_left())
    source = _Fake()
    prefetch = Prefetch()
    prefetch.wants_files = True
    prefetch.batch(source, _tickets(["1", "2"]))  # type: ignore[arg-type]
    prefetch.close()
    assert prefetch._spooled == 0
    assert set(_downloads_left()) - before == set()


def test_nothing_is_fetched_ahead_for_a_target_that_never_opened_a_file_or_from_in_process() -> (
    None
):
    source = _Fake()
    prefetch = Prefetch()
    prefetch.batch(source, _tickets(["1"])).close()  # type: ignore[arg-type]
    assert source.opened == []  # the target has not shown it reads files
    prefetch.wants_files = True
    source.budgets = {"fake.core": SimpleNamespace(latency=0.0)}  # in process: no round trip
    prefetch.batch(source, _tickets(["2"])).close()  # type: ignore[arg-type]
    prefetch.close()
    assert source.opened == []
