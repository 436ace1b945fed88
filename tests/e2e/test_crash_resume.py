"""A run killed at any point of the write protocol resumes to exactly a clean run's target."""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cemigrate.adapters.memory import MemoryFaults, MemorySource, MemoryTarget, SimulatedCrash
from cemigrate.copier import Migration
from cemigrate.errors import JournalBroken
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import Kind
from cemigrate.testing import CRASH_POINTS, Crasher, Snapshot
from cemigrate.testing.memory import memory_snapshot

PAGE, BATCH = 9, 6


@cache
def desk() -> HelpDesk:
    return generate(tickets=12, seed=3, instance="x")


class World:
    """A source and a target that outlive the copier processes that come and go."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        clock = ManualClock()
        self.ledger_path = folder / "ledger.sqlite"
        self.source = MemorySource(
            {kind: desk().records(kind) for kind in Kind},
            instance="x",
            blobs=desk().blob,
            page_size=PAGE,
            clock=clock,
        )
        self.target = MemoryTarget(batch_size=BATCH, clock=clock)

    def run(self, *, probe: Crasher | Counter[str] | None = None, resume: bool = False) -> bool:
        """One copier "process"; True when it finished, False when it died."""
        hook = (lambda step: probe.update([step])) if isinstance(probe, Counter) else probe
        ledger = Ledger.open(self.ledger_path)
        try:
            Migration(
                sources=[self.source], target=self.target, ledger=ledger, probe=hook, progress=False
            ).run(resume=resume)
        except SimulatedCrash:
            return False
        finally:
            ledger.close()
        return True

    def unfinished(self) -> bool:
        with Ledger.open(self.ledger_path) as ledger:
            last = ledger.last_run()
            return last is not None and last.status != "completed"

    def finish(self) -> Snapshot:
        self.target.faults = MemoryFaults()
        if self.unfinished():
            assert self.run(resume=True)
        with Ledger.open(self.ledger_path) as ledger:
            assert all(c["pending"] == 0 for c in ledger.counts().values())
            ledger.verify_journal()
        return memory_snapshot(self.target)


@cache
def clean_run() -> tuple[Snapshot, Counter[str], int]:
    """The target after an uninterrupted run, how often each step ran, records written."""
    steps: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        assert world.run(probe=steps)
        written = world.target.store.count()
        return world.finish(), steps, written


def every_crash() -> list[tuple[str, int]]:
    _, steps, written = clean_run()
    points = [(point, nth) for point in CRASH_POINTS for nth in range(1, steps[point] + 1)]
    # Mid-batch: after the 1st, 4th, 7th... record persisted, which lands on every position
    # inside a batch of six as the batches go by.
    return points + [("mid-batch", n) for n in range(1, written + 1, 3)]


def crash_once(folder: Path, point: str, nth: int) -> World:
    world = World(folder)
    if point == "mid-batch":
        world.target.faults = MemoryFaults(crash_after_records=nth - 1)
        assert not world.run()
    else:
        assert not world.run(probe=Crasher(point, nth))
    return world


def test_the_clean_run_exercises_every_step_many_times() -> None:
    snapshot, steps, written = clean_run()
    assert all(steps[point] >= 10 for point in CRASH_POINTS), steps
    assert written == sum(len(rows) for rows in snapshot.values())


def test_a_crash_at_every_point_of_the_protocol_resumes_to_the_clean_target(tmp_path: Path) -> None:
    clean, _, _ = clean_run()
    for number, (point, nth) in enumerate(every_crash()):
        world = crash_once(tmp_path / str(number), point, nth)
        assert world.finish() == clean, f"after a crash at {point} #{nth}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    crashes=st.lists(
        st.tuples(st.sampled_from([*CRASH_POINTS, "mid-batch"]), st.integers(1, 40)),
        min_size=1,
        max_size=4,
    )
)
def test_any_sequence_of_crashes_and_resumes_ends_as_the_clean_run(
    crashes: list[tuple[str, int]],
) -> None:
    clean, _, _ = clean_run()
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        for point, nth in crashes:
            resume = world.unfinished()
            if point == "mid-batch":
                world.target.faults = MemoryFaults(crash_after_records=nth)
                world.run(resume=resume)
            else:
                world.run(probe=Crasher(point, nth), resume=resume)
        assert world.finish() == clean


def test_a_tampered_journal_row_is_detected_after_a_resumed_run(tmp_path: Path) -> None:
    world = crash_once(tmp_path, "sent", 3)
    world.finish()
    conn = sqlite3.connect(world.ledger_path)
    seq, target_id = conn.execute(
        "SELECT seq, target_id FROM journal WHERE target_id IS NOT NULL"
        " ORDER BY seq LIMIT 1 OFFSET 7"
    ).fetchone()
    conn.execute("UPDATE journal SET target_id = ? WHERE seq = ?", (target_id + "0", seq))
    conn.commit()
    conn.close()
    with Ledger.open(world.ledger_path) as ledger, pytest.raises(JournalBroken) as broken:
        ledger.verify_journal()
    assert broken.value.seq == seq
