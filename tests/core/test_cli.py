"""The command line as a user meets it: run, status, dry run; and what the ledger keeps
(the demo: ``test_demo.py``)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemoryFaults, MemorySource, MemoryTarget
from cemigrate.cli import EXIT_OK, EXIT_STOPPED, _exit_code, main
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Kind

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "memory"
tickets = 60
seed = 4

[target]
platform = "memory"
path = "target.sqlite"
"""


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    return path


def test_status_shows_counts_cursors_and_the_verified_journal(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(plan), "--no-progress"]) == EXIT_OK
    capsys.readouterr()
    assert main(["status", str(plan), "--failures"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "last run: 1 (full) completed" in printed
    ticket_row = next(line for line in printed.splitlines() if line.strip().startswith("ticket "))
    assert ticket_row.split()[1:] == ["60", "0", "0", "0"]
    assert "cursor exchange/ticket:" in printed
    assert "hash chain verifies" in printed


def test_dry_run_writes_its_plan_and_nothing_else(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(plan), "--dry-run", "--no-progress"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "dry run (nothing written)" in printed
    assert "estimated duration: at least" in printed
    fidelity = json.loads((plan.parent / "dryrun.json").read_text())
    assert fidelity["schema_version"] == 1
    assert fidelity["lost"] == 0
    assert fidelity["kinds"]["ticket"]["exactly"] == 60
    assert fidelity["not_carried"] == []
    assert fidelity["estimate"]["target_calls"] > 0
    report = fidelity["run"]
    assert report["dry_run"] is True
    assert report["kinds"]["ticket"]["created"] == 60
    assert "| ticket | 60 | 60 | 0 | 0 (0) |" in (plan.parent / "dryrun.md").read_text()
    connection = sqlite3.connect(plan.parent / "target.sqlite")
    assert connection.execute("SELECT COUNT(*) FROM records").fetchone() == (0,)
    connection.close()
    with Ledger.open(plan.parent / "ledger.sqlite") as ledger:
        assert ledger.last_run() is None


def test_an_unfinished_run_is_refused_until_resumed(
    plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger.open(plan.parent / "ledger.sqlite") as ledger:
        ledger.start_run("full", "")  # a run that died
    assert main(["run", str(plan)]) == 2
    assert "continue it with --resume" in capsys.readouterr().err
    assert main(["run", str(plan), "--resume", "--no-progress"]) == EXIT_OK


def test_a_429_storm_stops_the_run_cleanly_and_resume_finishes_it(tmp_path: Path) -> None:
    clock = ManualClock()
    desk = generate(tickets=30, seed=2, instance="s")
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind}, instance="s", blobs=desk.blob, clock=clock
    )
    target = MemoryTarget(clock=clock, faults=MemoryFaults(throttle_rate=1.0))
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        stopped = migration.run()
        assert stopped.status == "interrupted"
        assert "429" in stopped.stopped_because
        assert _exit_code(stopped) == EXIT_STOPPED
        assert sum(c["pending"] for c in ledger.counts().values()) > 0  # left to resume
        assert clock.sleeps  # it waited on the clock between tries, never for real
        target.faults = MemoryFaults()
        finished = migration.run(resume=True)
    assert finished.status == "completed"
    assert len(target.records(Kind.TICKET)) == 30


def test_the_ledger_holds_no_ticket_content(plan: Path) -> None:
    assert main(["run", str(plan), "--no-progress"]) == EXIT_OK
    with Ledger.open(plan.parent / "ledger.sqlite"):
        pass  # closing checkpoints the WAL into the file
    raw = b"".join(p.read_bytes() for p in plan.parent.glob("ledger.sqlite*"))
    desk = generate(tickets=60, seed=4, instance="exchange")
    texts = [t.subject for t in desk.tickets] + [
        c.body_plain for t in desk.tickets for c in t.comments if len(c.body_plain) > 20
    ]
    texts += [u.email for u in desk.users if u.email]
    assert texts
    leaked = [text for text in texts if text.encode("utf-8") in raw]
    assert leaked == []


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_is_taken_before_or_after_the_command(plan: Path, where: str) -> None:
    command = ["run", str(plan), "--no-progress"]
    argv = ["-v", *command] if where == "before" else [*command, "-v"]
    cemigrate = Path(sys.executable).with_name("cemigrate")
    done = subprocess.run(
        [str(cemigrate), *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert " INFO cemigrate." in done.stderr  # the batches are logged
