"""A rollback that dies at any step of its protocol, run again, deletes nothing twice and
leaves nothing of the migration behind."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemorySource, MemoryTarget, SimulatedCrash
from cemigrate.copier import Migration
from cemigrate.copier.rollback import DELETED, rollback
from cemigrate.errors import ConfigError, RecordError
from cemigrate.ledger import EntryState, Ledger, Outcome, PendingEntry
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Kind
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.pair import Faults


class CountingTarget(FaultyTarget):
    """Counts, per id, the deletes that removed a record and those sent for one the target no
    longer held; in the ``die_in_call``-th delete call the "process" dies with half of it
    applied."""

    def __init__(self, inner: MemoryTarget, *, copy_of: str, die_in_call: int | None) -> None:
        super().__init__(inner, Faults())
        self.copy_of = copy_of
        self.memory = inner
        self.deleted: Counter[str] = Counter()
        self.gone: Counter[str] = Counter()
        self.calls = 0
        self.die_in_call = die_in_call

    def account_url(self) -> str:
        """The account this one is a copy of, as the ledger recorded it."""
        return self.copy_of

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        self.calls += 1
        present = {r.target_id for r in self.memory.records(kind)}
        applied = list(target_ids)
        if self.calls == self.die_in_call:
            applied = applied[: max(1, len(applied) // 2)]
        for target_id in target_ids:
            if target_id not in present:
                self.gone[f"{kind}:{target_id}"] += 1
            elif target_id in applied:
                self.deleted[f"{kind}:{target_id}"] += 1
        self.memory.delete(kind, applied)
        if self.calls == self.die_in_call:
            raise SimulatedCrash("died with part of a delete applied (injected)")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger and a memory target after one migration of a small desk, to copy per case."""
    folder = tmp_path_factory.mktemp("migrated")
    desk = generate(tickets=12, seed=4, instance="x")
    clock = ManualClock()
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind}, instance="x", blobs=desk.blob, clock=clock
    )
    target = MemoryTarget(folder / "target.sqlite", batch_size=7, clock=clock)
    with Ledger.open(folder / "ledger.sqlite") as ledger:
        Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
    target.close()
    return folder


def _copy(migrated: Path, into: Path) -> tuple[Path, Path]:
    into.mkdir()
    for name in ("target.sqlite", "ledger.sqlite"):
        shutil.copy(migrated / name, into / name)
    return into / "ledger.sqlite", into / "target.sqlite"


class Crash:
    """A probe that dies at the ``nth`` time the rollback reaches ``step``."""

    def __init__(self, step: str, nth: int) -> None:
        self.step, self.nth, self.seen = step, nth, 0

    def __call__(self, step: str) -> None:
        if step == self.step:
            self.seen += 1
            if self.seen == self.nth:
                raise SimulatedCrash(f"died at {step} #{self.nth} (injected)")


def _created(ledger: Ledger) -> set[str]:
    return {r.key for r in ledger.journal() if r.action == "created"}


# Steps 1, 2 and 9 of the 16 kinds' delete steps; "call" dies inside a delete call.
CASES = [(step, nth) for step in ("sent", "deleted", "recorded", "call") for nth in (1, 2, 9)]


@pytest.mark.parametrize(("step", "nth"), CASES)
def test_a_rollback_killed_at_any_step_and_run_again_deletes_each_record_once(
    migrated: Path, tmp_path: Path, step: str, nth: int
) -> None:
    ledger_path, target_path = _copy(migrated, tmp_path / "world")
    memory = MemoryTarget(target_path, batch_size=7)
    original = MemoryTarget(migrated / "target.sqlite")
    copy_of = original.account_url()
    original.close()
    target = CountingTarget(memory, copy_of=copy_of, die_in_call=nth if step == "call" else None)
    probe = None if step == "call" else Crash(step, nth)
    try:
        with Ledger.open(ledger_path) as ledger:
            created = _created(ledger)
            with pytest.raises(SimulatedCrash):
                rollback(target, ledger, probe=probe)
        with Ledger.open(ledger_path) as ledger:  # the next "process"
            report = rollback(target, ledger)
            assert report.ok
            assert {kind.value: memory.records(kind) for kind in Kind} == {
                kind.value: [] for kind in Kind
            }
            assert not target.gone, "a delete was sent for a record already gone"
            assert set(target.deleted.values()) == {1}  # each record deleted once
            assert target.deleted.total() == len(created)
            rolled = Counter(r.key for r in ledger.journal() if r.action == DELETED)
            assert set(rolled) == created
            assert set(rolled.values()) == {1}
            assert not [e for e in ledger.entries() if e.state is not EntryState.SKIPPED]
            ledger.verify_journal()
    finally:
        memory.close()


def test_found_counts_as_ours_for_tickets_only_and_matched_is_never_touched(
    tmp_path: Path,
) -> None:
    target = MemoryTarget(tmp_path / "target.sqlite")
    held: dict[str, str] = {}
    with target.store.transaction() as store:
        for key in ("x:user:1", "x:user:2", "x:ticket:1"):
            held[key] = store.insert(key.split(":")[1], key, "{}", {})
    outcomes = [  # a user and a ticket found after an interruption; a user matched by e-mail
        Outcome(key, EntryState.DONE, action, target_id=held[key], **_parts(key))
        for key, action in (("x:user:1", "found"), ("x:ticket:1", "found"), ("x:user:2", "matched"))
    ]
    try:
        with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
            run = ledger.start_run("full", "")
            ledger.record_outcomes(run, outcomes)
            ledger.finish_run(run, "completed")
            report = rollback(target, ledger)
            assert report.deleted == Counter({"ticket": 1})
            assert [(k.key, k.why) for k in report.kept] == [
                (
                    "x:user:1",
                    "found after an interrupted run: it may be a record the target already held",
                )
            ]
            forced = rollback(target, ledger, force=True)
            assert forced.deleted == Counter({"user": 1})
            assert [r.external_id for r in target.records(Kind.USER)] == ["x:user:2"]
            assert target.records(Kind.TICKET) == []
    finally:
        target.close()


def _parts(key: str) -> dict[str, str]:
    instance, kind, source_id = key.split(":")
    return {"instance": instance, "kind": kind, "source_id": source_id}


class RefusingTarget(CountingTarget):
    """Deletes all but the ids in ``refuse`` and then answers with a refusal, as a collection
    delete does when some of its ids cannot go (``allOrNone=false``)."""

    def __init__(self, inner: MemoryTarget, *, copy_of: str, refuse: set[str]) -> None:
        super().__init__(inner, copy_of=copy_of, die_in_call=None)
        self.refuse = refuse

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        super().delete(kind, [i for i in target_ids if f"{kind}:{i}" not in self.refuse])
        if any(f"{kind}:{i}" in self.refuse for i in target_ids):
            raise RecordError("refused a delete", platform_message="DELETE_FAILED")


def test_a_delete_refused_in_part_records_what_went_and_lists_what_stayed(
    migrated: Path, tmp_path: Path
) -> None:
    ledger_path, target_path = _copy(migrated, tmp_path / "world")
    memory = MemoryTarget(target_path, batch_size=7)
    users = [r.target_id for r in memory.records(Kind.USER)]
    original = MemoryTarget(migrated / "target.sqlite")
    copy_of = original.account_url()
    original.close()
    target = RefusingTarget(memory, copy_of=copy_of, refuse={f"user:{users[0]}"})
    try:
        with Ledger.open(ledger_path) as ledger:
            report = rollback(target, ledger)
            assert [(k.kind, k.target_id) for k in report.left] == [("user", users[0])]
            assert report.left[0].why == "refused a delete (DELETE_FAILED)"
            assert report.deleted["user"] == len(users) - 1
            assert [r.target_id for r in memory.records(Kind.USER)] == [users[0]]
            target.refuse = set()
            again = rollback(target, ledger)
            assert again.ok
            assert again.deleted == Counter({"user": 1})
            assert set(target.deleted.values()) == {1}
            assert not target.gone
    finally:
        memory.close()


def test_a_run_stopped_with_records_pending_is_finished_before_a_rollback(
    migrated: Path, tmp_path: Path
) -> None:
    ledger_path, target_path = _copy(migrated, tmp_path / "world")
    memory = MemoryTarget(target_path)
    original = MemoryTarget(migrated / "target.sqlite")
    target = CountingTarget(memory, copy_of=original.account_url(), die_in_call=None)
    original.close()
    try:
        with Ledger.open(ledger_path) as ledger:
            run = ledger.start_run("full", "")
            ledger.mark_pending(run, [PendingEntry("x:ticket:new", "x", "ticket", "new", "h")])
            with pytest.raises(ConfigError, match="1 records were being written when a run"):
                rollback(target, ledger)
            assert len(memory.records(Kind.TICKET)) == 12
    finally:
        memory.close()
