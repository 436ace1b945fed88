"""A disk that fills up under a run, as an operator meets it: under the export spool in the
private temporary folder, under a target's attachment spool, under the reconciliation's
report (the ledger's own full disk: ``test_signals.py``). Each ends the
command with one line naming what filled up and where, exit 3 (stopped: continue with
--resume once there is space), no temporary file left, and a resume that carries every record
once. The full disk is injected (SQLite's page cap, or ``ENOSPC`` from a write), not made.

The export spool: Zendesk → Zendesk on loopback, served by this process; the attachment spool
and the report: the in-process memory platform. The command runs in this process too.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.adapters.private import SPOOL_DIR_ENV, private_dir, remove_private_dir
from cemigrate.adapters.zendesk.spool import ExportSpool
from cemigrate.cli import EXIT_OK, EXIT_STOPPED, main
from cemigrate.ledger import Ledger
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind
from cemigrate.testing.kill import (
    ZENDESK_ENV,
    ShiftedClock,
    zendesk_source_account,
    zendesk_source_plan,
    zendesk_target_account,
    zendesk_target_plan,
)

TICKETS = 40


class Desk:
    """The plan, its ledger, the spool folder and the two accounts."""

    def __init__(self, plan: Path, spools: Path, source: ZendeskSandbox, target: ZendeskSandbox):
        self.plan, self.spools, self.source, self.target = plan, spools, source, target
        self.ledger = plan.parent / "ledger.sqlite"

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
        """``cemigrate ARGS``: its exit code and the one line it printed on stderr (if any)."""
        capsys.readouterr()
        remove_private_dir()  # a new process has none yet: it makes one under the spool folder
        code = main([*args])
        remove_private_dir()  # what the process's exit does
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) <= 1, err
        return code, lines[0] if lines else ""

    def assert_every_record_once(self) -> None:
        """Every source ticket once in the target with its comments once; users once."""
        live = {t.id: t for t in self.source.backend.desk.tickets if not t.deleted}
        backend = self.target.backend
        imported = {t["external_id"]: tid for tid, t in backend.tickets.items()}
        assert len(imported) == len(backend.tickets), "a ticket was imported twice"
        assert set(imported) == {f"exchange:ticket:{i}" for i in live}
        for source_id, ticket in live.items():
            comments = backend.comments[imported[f"exchange:ticket:{source_id}"]]
            assert len(comments) >= len(ticket.comments), source_id
        emails = [u["email"].lower() for u in backend.users.values() if u.get("email")]
        assert len(emails) == len(set(emails)), "a user was created twice"

    def last_status(self) -> str:
        with Ledger.open(self.ledger, read_only=True) as ledger:
            last = ledger.last_run()
            assert last is not None
            ledger.verify_journal()
            return last.status


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    clock = ShiftedClock()
    source = zendesk_source_account(clock, tickets=TICKETS, seed=11)
    target = zendesk_target_account(clock, seed=11)
    clock.ahead = 120  # every seeded record is exportable (exports leave out the last minute)
    spools = tmp_path / "spools"
    spools.mkdir()
    for name, value in {**ZENDESK_ENV, SPOOL_DIR_ENV: str(spools)}.items():
        monkeypatch.setenv(name, value)
    with source.serve() as source_server, target.serve() as target_server:
        plan = tmp_path / "plan.toml"
        plan.write_text(
            'ledger = "ledger.sqlite"\n\n'
            + zendesk_source_plan(source_server.url)
            + zendesk_target_plan(target_server.url),
            encoding="utf-8",
        )
        yield Desk(plan, spools, source, target)


def test_a_full_temporary_folder_under_the_export_spool_stops_with_one_line_and_resumes(
    desk: Desk, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = ExportSpool.__init__

    def capped(self: ExportSpool, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)  # then the spool's file may grow a few pages, no more
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        self._db.execute(f"PRAGMA max_page_count = {pages + 2}")

    with monkeypatch.context() as patch:
        patch.setattr(ExportSpool, "__init__", capped)
        code, line = desk.run(capsys, "run", str(desk.plan), "--no-progress")

    assert code == EXIT_STOPPED
    assert line.startswith(f"cemigrate: stopped: {desk.spools}/cemigrate-")
    assert "no space left for the events export spool (database or disk is full)" in line
    assert line.endswith("free some space, then continue with --resume")
    assert list(desk.spools.iterdir()) == [], "a temporary file outlived the run"
    assert desk.last_status() in ("failed", "running")

    assert desk.run(capsys, "run", str(desk.plan), "--resume", "--no-progress") == (EXIT_OK, "")
    assert desk.last_status() == "completed"
    desk.assert_every_record_once()


MEMORY_PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "memory"
tickets = 30
seed = 4

[target]
platform = "memory"
path = "target.sqlite"
batch_size = 5
"""


def test_a_full_disk_under_an_attachment_spool_stops_with_one_line_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(MEMORY_PLAN, encoding="utf-8")
    spools = tmp_path / "spools"
    spools.mkdir()
    monkeypatch.setenv(SPOOL_DIR_ENV, str(spools))
    stored = MemoryTarget._store_attachments
    calls = 0

    def spooled(self: MemoryTarget, *args: Any) -> Any:
        # As a target that buffers each file in the private folder on its way: the tenth
        # ticket's file finds the disk full part-way (a write names no file).
        nonlocal calls
        calls += 1
        with tempfile.TemporaryFile(dir=private_dir()) as spool:
            spool.write(b"x" * 1000)
            if calls == 10:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return stored(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(MemoryTarget, "_store_attachments", spooled)
        code = main(["run", str(plan), "--no-progress"])
    remove_private_dir()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == EXIT_STOPPED
    assert err == (
        f"cemigrate: stopped: a temporary file under {spools}: no space left on the disk"
        " (No space left on device); free some space, then continue with --resume\n"
    )
    assert list(spools.iterdir()) == []
    with Ledger.open(tmp_path / "ledger.sqlite", read_only=True) as ledger:
        ledger.verify_journal()
        done_before = ledger.counts()["ticket"]["done"]
    assert 0 < done_before < 30

    assert main(["run", str(plan), "--resume", "--no-progress"]) == EXIT_OK
    with Ledger.open(tmp_path / "ledger.sqlite", read_only=True) as ledger:
        assert ledger.counts()["ticket"] == {"done": 30, "failed": 0, "pending": 0, "skipped": 0}
    target = MemoryTarget(path=tmp_path / "target.sqlite")
    try:
        keys = [record.external_id for record in target.records(Kind.TICKET)]
    finally:
        target.close()
    assert len(keys) == len(set(keys)) == 30, "a ticket lost or written twice"


def test_a_full_disk_under_the_report_keeps_no_partial_file_and_the_old_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(MEMORY_PLAN + "keep_files = true\n", encoding="utf-8")
    assert main(["run", str(plan), "--no-progress"]) == EXIT_OK
    out = tmp_path / "proof"
    # Exit 1 or 0: the report is written either way.
    assert main(["reconcile", str(plan), "--out", str(out)]) in (0, 1)
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "report.html"}
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    opened = Path.open

    def full(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        file = opened(self, mode, *args, **kwargs)
        if "w" not in mode or self.parent != out:
            return file

        class Full(io.TextIOWrapper):
            def write(self, text: str) -> int:
                super().write(text[:100])  # some of it reaches the disk, then it is full
                self.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        file.close()
        return Full(opened(self, "wb"), encoding="utf-8")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "open", full)
        capsys.readouterr()
        code = main(["reconcile", str(plan), "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err

    assert code == EXIT_STOPPED
    assert err == (
        f"cemigrate: stopped: {out / 'report.json'}: no space left for the reconciliation's"
        " report.json (No space left on device); free some space, then run the command again\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "a half-written report"
