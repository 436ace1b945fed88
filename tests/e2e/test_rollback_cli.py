"""`cemigrate rollback`: a dry run that changes nothing, one line and exit 2 for bad input, and
a rollback SIGKILLed mid-way that, run again, leaves nothing of the migration behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.cli import main
from cemigrate.copier.rollback import DELETED
from cemigrate.ledger import Ledger
from cemigrate.schema import Kind

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "memory"
tickets = 60
seed = 5
page_size = 20

[target]
platform = "memory"
path = "target.sqlite"
batch_size = 10
"""


def migrated(folder: Path) -> Path:
    folder.mkdir()
    plan = folder / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    assert main(["run", str(plan), "--no-progress"]) == 0
    return plan


def held(folder: Path) -> dict[str, int]:
    target = MemoryTarget(folder / "target.sqlite")
    try:
        return {kind.value: len(target.records(kind)) for kind in Kind}
    finally:
        target.close()


def test_dry_run_lists_what_would_go_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = migrated(tmp_path / "m")
    before = held(tmp_path / "m")
    journal = (tmp_path / "m" / "ledger.sqlite").stat().st_size
    capsys.readouterr()
    assert main(["rollback", str(plan), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rollback dry run (nothing deleted)")
    ticket_line = next(line for line in out.splitlines() if line.startswith("ticket "))
    assert ticket_line.split()[1] == str(before["ticket"])
    assert held(tmp_path / "m") == before
    assert (tmp_path / "m" / "ledger.sqlite").stat().st_size == journal


def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = migrated(tmp_path / "m")
    capsys.readouterr()
    assert main(["rollback", str(plan), "--run", "99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "there is no run 99" in err[0]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "plan.toml").write_text(PLAN, encoding="utf-8")
    assert main(["rollback", str(fresh / "plan.toml")]) == 2
    assert "no ledger yet" in capsys.readouterr().err


def test_rollback_of_later_runs_only_keeps_what_earlier_runs_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = migrated(tmp_path / "m")
    before = held(tmp_path / "m")
    assert main(["run", str(plan), "--delta", "--no-progress"]) == 0  # run 2 creates nothing
    assert main(["rollback", str(plan), "--run", "2"]) == 0
    assert held(tmp_path / "m") == before
    assert main(["rollback", str(plan), "--run", "1"]) == 0
    assert set(held(tmp_path / "m").values()) == {0}
    capsys.readouterr()
    assert main(["rollback", str(plan)]) == 0
    assert "nothing the migration created is in the target" in capsys.readouterr().out
    out = tmp_path / "proof"
    assert main(["reconcile", str(plan), "--out", str(out)]) == 0
    verdict = capsys.readouterr().out.strip().splitlines()[-1]
    assert verdict.startswith("verdict: rolled back (run 5): the target holds none of the")
    target = MemoryTarget(tmp_path / "m" / "target.sqlite")  # a ticket put back by someone
    with target.store.transaction() as store:
        store.insert(Kind.TICKET, "exchange:ticket:1", "{}", {})
    target.close()
    assert main(["reconcile", str(plan), "--out", str(out)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2].startswith("still there: exchange:ticket:1 (")
    assert "1 deleted records are still in the target" in lines[-1]
    target = MemoryTarget(tmp_path / "m" / "target.sqlite")
    with target.store.transaction() as store:
        store.delete(Kind.TICKET, [r.target_id for r in target.records(Kind.TICKET)])
    target.close()
    assert main(["run", str(plan), "--no-progress"]) == 0  # created again, cleanly
    assert held(tmp_path / "m") == before


def test_rollback_killed_with_sigkill_and_run_again_leaves_nothing(tmp_path: Path) -> None:
    plan = migrated(tmp_path / "m")
    process = subprocess.Popen(
        [sys.executable, "-m", "cemigrate.cli", "-v", "rollback", str(plan)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = 0
    for line in process.stderr:
        if ": deleted " in line:
            seen += 1
            if seen == 3:
                os.kill(process.pid, signal.SIGKILL)
                break
    process.wait(timeout=60)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the rollback ended before it could be killed"
    assert any(held(tmp_path / "m").values()), "nothing was left to resume"

    assert main(["rollback", str(plan)]) == 0
    assert set(held(tmp_path / "m").values()) == {0}
    with Ledger.open(tmp_path / "m" / "ledger.sqlite") as ledger:
        created = {r.key for r in ledger.journal() if r.action == "created"}
        rolled = Counter(r.key for r in ledger.journal() if r.action == DELETED)
        assert set(rolled) == created
        assert set(rolled.values()) == {1}
        ledger.verify_journal()
