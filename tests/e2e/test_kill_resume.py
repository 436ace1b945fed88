"""`cemigrate run`, killed with SIGKILL mid-run and re-run with --resume, ends as a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.cli import main
from cemigrate.ledger import Ledger
from cemigrate.testing import Snapshot
from cemigrate.testing.memory import memory_snapshot

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "memory"
tickets = 150
seed = 5
page_size = 20

[target]
platform = "memory"
path = "target.sqlite"
batch_size = 10
"""


def make_plan(folder: Path) -> Path:
    folder.mkdir()
    plan = folder / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    return plan


def snapshot(folder: Path) -> Snapshot:
    target = MemoryTarget(folder / "target.sqlite")
    try:
        return memory_snapshot(target)
    finally:
        target.close()


def run_and_kill(plan: Path, *, after: str, batches: int) -> None:
    """Start `cemigrate -v run PLAN` and SIGKILL it right after its Nth batch of `after`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cemigrate.cli", "-v", "run", str(plan), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = 0
    for line in process.stderr:
        if f"{after}: wrote a batch" in line:
            seen += 1
            if seen == batches:
                os.kill(process.pid, signal.SIGKILL)
                break
    process.wait(timeout=60)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"


@pytest.mark.slow
@pytest.mark.parametrize(("after", "batches"), [("user", 3), ("ticket", 1), ("ticket", 9)])
def test_sigkill_mid_run_then_resume_leaves_no_duplicate_and_nothing_missing(
    tmp_path: Path, after: str, batches: int
) -> None:
    clean_plan = make_plan(tmp_path / "clean")
    assert main(["run", str(clean_plan), "--no-progress"]) == 0
    clean = snapshot(tmp_path / "clean")

    plan = make_plan(tmp_path / "killed")
    run_and_kill(plan, after=after, batches=batches)
    with Ledger.open(plan.parent / "ledger.sqlite") as ledger:
        last = ledger.last_run()
        assert last is not None
        assert last.status == "running"
    assert main(["run", str(plan), "--resume", "--no-progress"]) == 0

    assert snapshot(plan.parent) == clean
    with Ledger.open(plan.parent / "ledger.sqlite") as ledger:
        assert all(c["pending"] == 0 and c["failed"] == 0 for c in ledger.counts().values())
        ledger.verify_journal()
