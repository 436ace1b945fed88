"""The ledger: the write protocol, runs, cursors, failures, the journal's chain, opening files."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

import cemigrate.ledger
from cemigrate.errors import JournalBroken, LedgerError, LedgerVersionError, NotALedgerError
from cemigrate.ledger import Entry, EntryState, Ledger, LedgerBusy, Outcome, PendingEntry
from cemigrate.ledger._journal import row_hash
from cemigrate.ledger._schema import MIGRATIONS, apply_migrations

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock that moves one second each time it is read."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.open(":memory:", now=Clock()) as opened:
        yield opened


def pending(
    source_id: str, *, kind: str = "ticket", instance: str = "emea", content: str = "h1"
) -> PendingEntry:
    return PendingEntry(
        key=f"{instance}:{kind}:{source_id}",
        instance=instance,
        kind=kind,
        source_id=source_id,
        content_hash=content,
    )


def created(key: str, target_id: str) -> Outcome:
    return Outcome(key, EntryState.DONE, "created", target_id=target_id)


def failed(key: str, reason: str = "rejected", message: str = "422: subject is blank") -> Outcome:
    return Outcome(key, EntryState.FAILED, "failed", reason=reason, platform_message=message)


def one(ledger: Ledger, key: str) -> Entry:
    return ledger.lookup([key])[key]


def fill_journal(ledger: Ledger, n: int) -> None:
    run = ledger.start_run("full", "digest")
    for start in range(0, n, 100):
        batch = [pending(str(i)) for i in range(start, min(n, start + 100))]
        ledger.mark_pending(run, batch)
        ledger.record_outcomes(
            run,
            [
                failed(p.key) if i % 7 == 0 else created(p.key, f"T{i}")
                for i, p in enumerate(batch, start)
            ],
        )


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# -- public surface ----------------------------------------------------------------------------


def test_exported_names_are_exactly_the_public_api() -> None:
    assert cemigrate.ledger.__all__ == [
        "Entry",
        "EntryState",
        "FailureRow",
        "JournalRow",
        "Ledger",
        "LedgerBusy",
        "Outcome",
        "PendingEntry",
        "RunInfo",
        "RunLock",
        "SideAccount",
    ]


# -- the write protocol ------------------------------------------------------------------------


def test_pending_then_done_records_target_id_and_the_hash_that_was_sent(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1", content="sent-hash")])

    during = one(ledger, "emea:ticket:1")
    assert (during.state, during.target_id, during.content_hash) == (EntryState.PENDING, None, None)

    ledger.record_outcomes(run, [created("emea:ticket:1", "500")])

    after = one(ledger, "emea:ticket:1")
    assert after.state is EntryState.DONE
    assert after.target_id == "500"
    assert after.content_hash == "sent-hash"
    assert (after.instance, after.kind, after.source_id) == ("emea", "ticket", "1")


def test_changed_record_keeps_target_id_and_old_hash_until_its_update_is_done(
    ledger: Ledger,
) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1", content="v1")])
    ledger.record_outcomes(run, [created("emea:ticket:1", "500")])

    ledger.mark_pending(run, [pending("1", content="v2")])
    while_pending = one(ledger, "emea:ticket:1")
    assert (while_pending.target_id, while_pending.content_hash) == ("500", "v1")

    ledger.record_outcomes(run, [Outcome("emea:ticket:1", EntryState.DONE, "updated")])
    updated = one(ledger, "emea:ticket:1")
    assert (updated.state, updated.target_id, updated.content_hash) == (
        EntryState.DONE,
        "500",
        "v2",
    )


def test_done_outcome_with_its_own_hash_overrides_the_pending_one(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1", content="sent")])
    ledger.record_outcomes(
        run, [Outcome("emea:ticket:1", EntryState.DONE, "created", "9", content_hash="stored")]
    )
    assert one(ledger, "emea:ticket:1").content_hash == "stored"


def test_attempts_count_every_time_a_key_is_marked_pending(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    for _ in range(3):
        ledger.mark_pending(run, [pending("1"), pending("2")])
        ledger.record_outcomes(run, [failed("emea:ticket:1")])
    assert one(ledger, "emea:ticket:1").attempts == 3
    assert one(ledger, "emea:ticket:2").attempts == 3


def test_key_left_pending_by_a_crash_is_found_on_resume_with_the_sent_hash(tmp_path: Path) -> None:
    path = tmp_path / "run.ledger"
    with Ledger.open(path, now=Clock()) as before_crash:
        run = before_crash.start_run("full", "digest")
        before_crash.mark_pending(run, [pending("1", content="sent")])

    with Ledger.open(path, now=Clock()) as resumed:
        [left] = resumed.entries(state=EntryState.PENDING)
        assert (left.key, left.content_hash) == ("emea:ticket:1", None)
        run = resumed.start_run("full", "digest")
        resumed.record_outcomes(run, [Outcome(left.key, EntryState.DONE, "found", "777")])
        found = one(resumed, left.key)
        assert (found.state, found.target_id, found.content_hash) == (
            EntryState.DONE,
            "777",
            "sent",
        )


def test_failed_outcome_adds_failure_row_with_platform_message_and_key_can_be_redriven(
    ledger: Ledger,
) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1"), pending("2")])
    ledger.record_outcomes(
        run,
        [created("emea:ticket:1", "500"), failed("emea:ticket:2", "no requester", "422 Invalid")],
    )

    [failure] = ledger.failures()
    assert (failure.key, failure.kind, failure.run_id) == ("emea:ticket:2", "ticket", run)
    assert (failure.reason, failure.platform_message) == ("no requester", "422 Invalid")
    assert [e.key for e in ledger.entries(state=EntryState.FAILED)] == ["emea:ticket:2"]

    redrive = ledger.start_run("only_failed", "digest")
    ledger.mark_pending(redrive, [pending("2")])
    ledger.record_outcomes(redrive, [created("emea:ticket:2", "501")])

    assert ledger.failures() == []
    assert [f.key for f in ledger.failures(latest_only=False)] == ["emea:ticket:2"]
    assert one(ledger, "emea:ticket:2").target_id == "501"


def test_failed_update_keeps_target_id_and_the_hash_the_target_has(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1", content="v1")])
    ledger.record_outcomes(run, [created("emea:ticket:1", "500")])
    ledger.mark_pending(run, [pending("1", content="v2")])
    ledger.record_outcomes(run, [failed("emea:ticket:1")])

    entry = one(ledger, "emea:ticket:1")
    assert (entry.state, entry.target_id, entry.content_hash) == (EntryState.FAILED, "500", "v1")


def test_latest_only_failures_give_each_failed_key_its_latest_reason(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    for reason in ("first", "second"):
        ledger.mark_pending(run, [pending("1"), pending("1", kind="user")])
        ledger.record_outcomes(
            run, [failed("emea:ticket:1", reason), failed("emea:user:1", reason)]
        )

    assert [(f.key, f.reason) for f in ledger.failures()] == [
        ("emea:ticket:1", "second"),
        ("emea:user:1", "second"),
    ]
    assert [(f.key, f.reason) for f in ledger.failures(kind="user", latest_only=False)] == [
        ("emea:user:1", "first"),
        ("emea:user:1", "second"),
    ]


def test_skipped_key_never_sent_gets_an_entry_from_the_outcome_fields(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.record_outcomes(
        run,
        [
            Outcome(
                "emea:rule:7",
                EntryState.SKIPPED,
                "skipped",
                reason="no equivalent trigger",
                kind="rule",
                instance="emea",
                source_id="7",
            )
        ],
    )
    entry = one(ledger, "emea:rule:7")
    assert (entry.state, entry.kind, entry.attempts, entry.target_id) == (
        EntryState.SKIPPED,
        "rule",
        0,
        None,
    )


def test_outcome_for_an_unknown_key_without_its_fields_is_refused_and_nothing_is_written(
    ledger: Ledger,
) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1")])
    with pytest.raises(ValueError, match="emea:rule:7"):
        ledger.record_outcomes(
            run,
            [
                created("emea:ticket:1", "500"),
                Outcome("emea:rule:7", EntryState.SKIPPED, "skipped"),
            ],
        )
    assert one(ledger, "emea:ticket:1").state is EntryState.PENDING
    assert list(ledger.journal()) == []

    ledger.record_outcomes(run, [created("emea:ticket:1", "500")])
    assert ledger.verify_journal() == 1


def test_outcome_action_must_agree_with_its_state() -> None:
    with pytest.raises(ValueError, match="does not go with state"):
        Outcome("emea:ticket:1", EntryState.DONE, "failed")
    with pytest.raises(ValueError, match="must be in"):
        Outcome("emea:ticket:1", EntryState.DONE, "teleported")


def test_key_must_be_instance_kind_and_source_id() -> None:
    with pytest.raises(ValueError, match="is not '<instance>:<kind>:<source_id>'"):
        PendingEntry("emea:ticket:1", "emea", "user", "1", "h")


def test_integer_target_id_is_kept_as_text(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1")])
    ledger.record_outcomes(run, [Outcome("emea:ticket:1", EntryState.DONE, "created", 500)])
    assert one(ledger, "emea:ticket:1").target_id == "500"
    assert ledger.verify_journal() == 1


def test_platform_message_that_echoes_a_payload_is_clipped() -> None:
    outcome = failed("emea:ticket:1", message="x" * 100_000)
    assert len(outcome.platform_message) == 2000
    assert outcome.platform_message.endswith("...")


# -- queries -----------------------------------------------------------------------------------


def test_failed_keys_can_be_redriven_while_they_are_being_streamed(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    keys = [pending(str(i)) for i in range(1200)]
    ledger.mark_pending(run, keys)
    ledger.record_outcomes(run, [failed(p.key) for p in keys])

    redrive = ledger.start_run("only_failed", "digest")
    batch: list[PendingEntry] = []
    for entry in ledger.entries(state=EntryState.FAILED):
        batch.append(pending(entry.source_id))
        if len(batch) == 100:
            ledger.mark_pending(redrive, batch)
            ledger.record_outcomes(redrive, [created(p.key, "T" + p.source_id) for p in batch])
            batch = []

    assert ledger.counts()["ticket"] == {"pending": 0, "done": 1200, "failed": 0, "skipped": 0}
    assert ledger.verify_journal() == 2400


def test_counts_list_every_state_of_every_kind_zero_filled(ledger: Ledger) -> None:
    assert ledger.counts() == {}
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending("1"), pending("2"), pending("1", kind="user")])
    ledger.record_outcomes(run, [created("emea:ticket:1", "9"), failed("emea:user:1")])

    assert ledger.counts() == {
        "ticket": {"pending": 1, "done": 1, "failed": 0, "skipped": 0},
        "user": {"pending": 0, "done": 0, "failed": 1, "skipped": 0},
    }


def test_entries_stream_in_key_order_filtered_by_state_kind_and_instance(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(
        run,
        [
            pending("2"),
            pending("1"),
            pending("1", instance="apac"),
            pending("1", kind="user"),
        ],
    )
    ledger.record_outcomes(run, [created("emea:ticket:1", "9")])

    assert [e.key for e in ledger.entries()] == [
        "apac:ticket:1",
        "emea:ticket:1",
        "emea:ticket:2",
        "emea:user:1",
    ]
    assert [e.key for e in ledger.entries(state=EntryState.PENDING, kind="ticket")] == [
        "apac:ticket:1",
        "emea:ticket:2",
    ]
    assert [e.key for e in ledger.entries(instance="apac")] == ["apac:ticket:1"]


def test_lookup_of_more_keys_than_sqlite_binds_in_one_statement(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending(str(i)) for i in range(2500)])

    wanted = [f"emea:ticket:{i}" for i in range(3000)] + ["emea:ticket:7"]
    found = ledger.lookup(wanted)

    assert len(found) == 2500
    assert found["emea:ticket:2499"].source_id == "2499"
    assert "emea:ticket:2500" not in found


def test_states_give_each_known_key_its_state_and_target_id(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    ledger.mark_pending(run, [pending(str(i)) for i in range(1000)])
    ledger.record_outcomes(
        run,
        [
            Outcome(key="emea:ticket:1", state=EntryState.DONE, action="created", target_id="t1"),
            Outcome(key="emea:ticket:2", state=EntryState.FAILED, action="failed", reason="no"),
        ],
    )
    states = ledger.states([f"emea:ticket:{i}" for i in range(999, 1002)] + ["emea:ticket:1"])
    assert states == {
        "emea:ticket:999": (EntryState.PENDING, None),
        "emea:ticket:1": (EntryState.DONE, "t1"),
    }
    assert ledger.states(["emea:ticket:2"]) == {"emea:ticket:2": (EntryState.FAILED, None)}


def test_find_match_returns_a_done_entry_of_that_kind_only(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    email_hash = "a" * 64
    ledger.mark_pending(
        run,
        [
            PendingEntry("emea:user:1", "emea", "user", "1", "h", match_key=email_hash),
            PendingEntry("apac:user:9", "apac", "user", "9", "h", match_key=email_hash),
        ],
    )
    assert ledger.find_match("user", email_hash) is None

    ledger.record_outcomes(run, [created("emea:user:1", "U1")])
    match = ledger.find_match("user", email_hash)
    assert match is not None
    assert (match.key, match.target_id) == ("emea:user:1", "U1")
    assert ledger.find_match("organization", email_hash) is None


# -- runs and cursors --------------------------------------------------------------------------


def test_runs_record_their_start_mode_digest_and_how_they_ended(ledger: Ledger) -> None:
    assert ledger.last_run() is None
    first = ledger.start_run("full", "plan-1")
    ledger.finish_run(first, "interrupted")
    second = ledger.start_run("delta", "plan-2")

    runs = ledger.runs()
    assert [(r.id, r.mode, r.status, r.plan_digest) for r in runs] == [
        (first, "full", "interrupted", "plan-1"),
        (second, "delta", "running", "plan-2"),
    ]
    assert runs[0].finished_at is not None
    assert runs[0].finished_at > runs[0].started_at
    assert ledger.last_run() == runs[1]
    assert runs[1].finished_at is None


def test_finishing_a_run_with_an_unknown_status_or_id_is_refused(ledger: Ledger) -> None:
    run = ledger.start_run("full", "digest")
    with pytest.raises(ValueError, match="run status"):
        ledger.finish_run(run, "done")
    with pytest.raises(ValueError, match="no run 99"):
        ledger.finish_run(99, "completed")


def test_cursors_are_kept_per_instance_and_stream(ledger: Ledger) -> None:
    assert ledger.get_cursor("emea", "tickets") is None
    ledger.set_cursor("emea", "tickets", "c1")
    ledger.set_cursor("apac", "tickets", "a1")
    ledger.set_cursor("emea", "users", "u1")
    ledger.set_cursor("emea", "tickets", "c2")
    ledger.set_cursor("apac", "tickets", None)

    assert ledger.get_cursor("emea", "tickets") == "c2"
    assert ledger.get_cursor("apac", "tickets") is None
    assert ledger.cursors() == {
        ("apac", "tickets"): None,
        ("emea", "tickets"): "c2",
        ("emea", "users"): "u1",
    }


# -- time --------------------------------------------------------------------------------------


def test_times_come_from_the_injected_clock_as_utc(ledger: Ledger) -> None:
    paris = timezone(timedelta(hours=1))
    with Ledger.open(":memory:", now=lambda: datetime(2024, 3, 1, 13, 0, tzinfo=paris)) as led:
        run = led.start_run("full", "digest")
        led.mark_pending(run, [pending("1")])
        stamp = one(led, "emea:ticket:1").updated_at
        assert stamp == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
        assert stamp.utcoffset() == timedelta(0)


def test_a_clock_without_timezone_is_refused() -> None:
    with Ledger.open(":memory:", now=datetime.now) as led, pytest.raises(ValueError, match="aware"):
        led.start_run("full", "digest")


# -- the journal -------------------------------------------------------------------------------


def test_journal_has_one_chained_row_per_outcome_and_verifies_after_1000(ledger: Ledger) -> None:
    fill_journal(ledger, 1000)

    rows = list(ledger.journal())
    assert ledger.verify_journal() == 1000
    assert [r.seq for r in rows] == list(range(1, 1001))
    assert rows[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert (rows[7].action, rows[7].target_id) == ("failed", None)
    assert (rows[8].action, rows[8].target_id, rows[8].kind) == ("created", "T8", "ticket")


def test_empty_journal_verifies(ledger: Ledger) -> None:
    assert ledger.verify_journal() == 0


def test_reopened_ledger_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "run.ledger"
    with Ledger.open(path, now=Clock()) as first:
        fill_journal(first, 150)
    with Ledger.open(path, now=Clock()) as second:
        run = second.start_run("delta", "digest")
        second.mark_pending(run, [pending("new")])
        second.record_outcomes(run, [created("emea:ticket:new", "N")])
        assert second.verify_journal() == 151


JOURNAL_ROWS = 30
FIELDS = ("seq", "run_id", "kind", "key", "target_id", "action", "at", "prev_hash", "hash")


@pytest.fixture(scope="module")
def journal_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "journal.ledger"
    with Ledger.open(path, now=Clock()) as led:
        fill_journal(led, JOURNAL_ROWS)
    return path


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scratch")


def tampered(template: Path, scratch: Path, *statements: tuple[str, tuple[object, ...]]) -> Path:
    path = scratch / "tampered.ledger"
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(template, path)
    conn = raw(path)
    for sql, params in statements:
        conn.execute(sql, params)
    conn.close()
    return path


def broken_at(path: Path) -> int:
    with Ledger.open(path) as led, pytest.raises(JournalBroken) as caught:
        led.verify_journal()
    assert str(path) in str(caught.value)
    return caught.value.seq


@st.composite
def edits(draw: st.DrawFn) -> tuple[int, str, object]:
    seq = draw(st.integers(1, JOURNAL_ROWS))
    field = draw(st.sampled_from(FIELDS))
    if field == "seq":
        value: object = JOURNAL_ROWS + draw(st.integers(1, 1000))
    elif field == "run_id":
        value = draw(st.integers(2, 10**9))
    else:
        value = draw(
            st.one_of(st.none(), st.text(max_size=70))
            if field == "target_id"
            else st.text(max_size=70)
        )
    return seq, field, value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edit=edits())
def test_editing_any_field_of_any_journal_row_breaks_the_chain_at_that_row(
    journal_template: Path, scratch: Path, edit: tuple[int, str, object]
) -> None:
    seq, field, value = edit
    conn = raw(journal_template)
    [original] = conn.execute(f"SELECT {field} FROM journal WHERE seq = ?", (seq,)).fetchone()
    conn.close()
    if value == original:
        value = f"{original}!"

    path = tampered(
        journal_template, scratch, (f"UPDATE journal SET {field} = ? WHERE seq = ?", (value, seq))
    )

    assert broken_at(path) == seq


@pytest.mark.parametrize("seq", [1, 12, JOURNAL_ROWS])
def test_deleting_a_journal_row_breaks_the_chain_at_that_row(
    journal_template: Path, scratch: Path, seq: int
) -> None:
    path = tampered(journal_template, scratch, ("DELETE FROM journal WHERE seq = ?", (seq,)))
    assert broken_at(path) == seq


def test_inserting_a_journal_row_breaks_the_chain_at_that_row(
    journal_template: Path, scratch: Path
) -> None:
    copy_last = (
        "INSERT INTO journal SELECT seq + 1, run_id, kind, key, target_id, action, at, hash, hash "
        "FROM journal WHERE seq = ?",
        (JOURNAL_ROWS,),
    )
    assert broken_at(tampered(journal_template, scratch, copy_last)) == JOURNAL_ROWS + 1

    before_first = (
        "INSERT INTO journal SELECT 0, run_id, kind, key, target_id, action, at, prev_hash, hash "
        "FROM journal WHERE seq = 1",
        (),
    )
    assert broken_at(tampered(journal_template, scratch, before_first)) == 0


def test_appending_a_correctly_chained_row_outside_cemigrate_is_noticed(
    journal_template: Path, scratch: Path
) -> None:
    conn = raw(journal_template)
    [last_hash] = conn.execute("SELECT hash FROM journal WHERE seq = ?", (JOURNAL_ROWS,)).fetchone()
    conn.close()
    seq, at = JOURNAL_ROWS + 1, "2024-03-01T12:00:00.000000+00:00"
    forged = row_hash(last_hash, seq, 1, "ticket", "emea:ticket:x", "X", "created", at)
    insert = (
        "INSERT INTO journal VALUES (?, 1, 'ticket', 'emea:ticket:x', 'X', 'created', ?, ?, ?)",
        (seq, at, last_hash, forged),
    )
    assert broken_at(tampered(journal_template, scratch, insert)) == seq


# -- opening files -----------------------------------------------------------------------------


def test_text_file_is_not_a_ledger_and_is_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"ledger = 'acme.ledger.sqlite'\n")
    with pytest.raises(NotALedgerError) as caught:
        Ledger.open(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == b"ledger = 'acme.ledger.sqlite'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_unrelated_sqlite_database_is_not_a_ledger_and_is_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    other = Database(path)
    other.table("tickets").insert({"id": 1, "subject": "hello"})
    other.close()
    before = path.read_bytes()

    with pytest.raises(NotALedgerError, match="not a cemigrate ledger") as caught:
        Ledger.open(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before


def test_directory_is_not_a_ledger(tmp_path: Path) -> None:
    with pytest.raises(NotALedgerError, match="directory"):
        Ledger.open(tmp_path)


def test_path_in_a_missing_folder_is_a_ledger_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "run.ledger"
    with pytest.raises(LedgerError, match="cannot be opened"):
        Ledger.open(path)


def test_ledger_from_a_newer_cemigrate_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "future.ledger"
    with Ledger.open(path, now=Clock()) as led:
        fill_journal(led, 10)
    newer = Ledger.SCHEMA_VERSION + 1
    conn = raw(path)
    conn.execute("UPDATE ledger_meta SET value = ? WHERE key = 'schema_version'", (str(newer),))
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.close()
    before = path.read_bytes()

    with pytest.raises(LedgerVersionError) as caught:
        Ledger.open(path)

    message = str(caught.value)
    assert str(path) in message
    assert f"version {newer}" in message
    assert f"up to version {Ledger.SCHEMA_VERSION}" in message
    assert "\n" not in message
    assert path.read_bytes() == before


def test_zero_byte_file_becomes_a_new_ledger(tmp_path: Path) -> None:
    path = tmp_path / "touched.ledger"
    path.touch()
    with Ledger.open(path) as led:
        assert led.counts() == {}
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


def test_new_ledger_file_is_in_wal_mode_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "run.ledger"
    Ledger.open(path).close()
    conn = raw(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA user_version").fetchone() == (Ledger.SCHEMA_VERSION,)
    conn.close()


def test_every_migration_is_applied_to_an_empty_database_at_version_0(tmp_path: Path) -> None:
    path = tmp_path / "empty.ledger"
    conn = raw(path)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("DROP TABLE scratch")
    conn.close()
    assert path.read_bytes().startswith(b"SQLite format 3\x00")

    Ledger.open(path).close()

    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    meta = dict(conn.execute("SELECT key, value FROM ledger_meta"))
    assert meta == {"format": "cemigrate-ledger", "schema_version": str(len(MIGRATIONS))}
    conn.close()


def test_only_missing_migrations_run_each_in_its_own_transaction() -> None:
    applied: list[str] = []

    def v2_add_notes(db: Database) -> None:
        applied.append("v2")
        db.create_table("notes", {"id": int}, pk="id")

    def v3_breaks(db: Database) -> None:
        db.create_table("half_done", {"id": int}, pk="id")
        raise RuntimeError("migration 3 failed")

    db = Database(sqlite3.connect(":memory:", isolation_level=None))
    first = MIGRATIONS[:1]
    assert apply_migrations(db, 0, first) == 1
    assert apply_migrations(db, 1, [*first, v2_add_notes]) == 2
    assert apply_migrations(db, 2, [*first, v2_add_notes]) == 2
    assert applied == ["v2"]

    with pytest.raises(RuntimeError, match="migration 3"):
        apply_migrations(db, 2, [*first, v2_add_notes, v3_breaks])
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    assert db.execute("SELECT value FROM ledger_meta WHERE key = 'schema_version'").fetchone() == (
        "2",
    )
    assert "notes" in db.table_names()
    assert "half_done" not in db.table_names()
    db.close()


def test_tables_have_exactly_the_expected_columns_so_no_body_can_be_stored(tmp_path: Path) -> None:
    path = tmp_path / "run.ledger"
    Ledger.open(path).close()
    db = Database(path)
    columns = {name: [c.name for c in db[name].columns] for name in db.table_names()}
    db.close()
    assert columns == {
        "ledger_meta": ["key", "value"],
        "runs": ["id", "mode", "status", "started_at", "finished_at", "plan_digest"],
        "cursors": ["instance", "stream", "cursor", "updated_at"],
        "id_map": [
            "key",
            "instance",
            "kind",
            "source_id",
            "target_id",
            "content_hash",
            "pending_hash",
            "state",
            "attempts",
            "match_key",
            "first_at",
            "updated_at",
            "run_id",
        ],
        "failures": ["id", "run_id", "key", "kind", "reason", "platform_message", "at"],
        "journal": list(FIELDS),
        "accounts": ["side", "instance", "platform", "account", "recorded_at"],
        # counters only (test_watch_status.py checks what the snapshot holds)
        "progress": ["run_id", "at", "snapshot"],
    }


# -- use -----------------------------------------------------------------------------------------


def test_ledger_opened_in_one_thread_can_be_used_in_another(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "run.ledger")
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            run = led.start_run("full", "digest")
            led.mark_pending(run, [pending("1")])
            led.record_outcomes(run, [created("emea:ticket:1", "9")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    assert errors == []
    assert one(led, "emea:ticket:1").state is EntryState.DONE
    led.close()


def test_size_grows_with_what_is_recorded(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "run.ledger") as led:
        empty = led.size_bytes()
        fill_journal(led, 500)
        assert led.size_bytes() > empty > 0


def test_in_memory_ledger_reports_its_size(ledger: Ledger) -> None:
    assert ledger.size_bytes() > 0
    assert ledger.path == ":memory:"


# --- the run lock ---------------------------------------------------------------------------


def test_a_second_writer_is_refused_at_once_naming_the_live_holder(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path, exclusive=True) as first:
        first.start_run("full", "x")
        with pytest.raises(LedgerBusy, match=f"in use by process {os.getpid()} on "):
            Ledger.open(path, exclusive=True)
        assert first.last_run() is not None  # the holder goes on undisturbed
        with Ledger.open(path) as reader:  # status and verify only read: no lock
            assert reader.last_run() is not None
    assert not (tmp_path / "ledger.sqlite.lock.holder").exists()
    with Ledger.open(path, exclusive=True) as again:
        assert again.last_run() is not None


def test_the_lock_of_a_killed_holder_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    hold = (
        "import sys; from cemigrate.ledger import Ledger; "
        f"ledger = Ledger.open({str(path)!r}, exclusive=True); "
        "print('held', flush=True); sys.stdin.read()"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(cemigrate.ledger.__file__).parents[2])}
    with subprocess.Popen(
        [sys.executable, "-c", hold],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as holder:
        assert holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "held"
            with pytest.raises(LedgerBusy, match=f"process {holder.pid} on "):
                Ledger.open(path, exclusive=True)
        finally:
            holder.kill()
    with Ledger.open(path, exclusive=True) as taken:  # the system dropped the dead one's lock
        assert taken.runs() == []


# -- faults of the file itself ---------------------------------------------------------------


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ledgers opened meanwhile get only ``room[0]`` more pages: SQLite then fails as on a full
    disk (SQLITE_FULL), which no test can otherwise cause without filling a real disk."""
    room = [2]

    def cap(conn: sqlite3.Connection) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + room[0]}")

    monkeypatch.setattr(Ledger, "on_connect", cap)
    return room


def test_a_full_disk_is_one_line_naming_the_file_and_the_step_is_rolled_back(
    tmp_path: Path, capped: list[int]
) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        run = ledger.start_run("full", "")
        ledger.mark_pending(run, [pending("1")])
        ledger.record_outcomes(run, [created("emea:ticket:1", "T1")])
        big = [pending(str(i), content="h" * 64) for i in range(2, 2000)]
        with pytest.raises(LedgerError) as raised:
            ledger.mark_pending(run, big)
        message = str(raised.value)
        assert message.startswith(f"{path}: the disk is full")
        assert "database or disk is full" in message
        assert "\n" not in message
        # Nothing of the failed batch was kept; what committed before is intact and usable.
        assert ledger.counts()["ticket"] == {"pending": 0, "done": 1, "failed": 0, "skipped": 0}
        ledger.finish_run(run, "failed")
        assert ledger.verify_journal() == 1


def test_a_ledger_opened_read_only_reads_but_never_writes_nor_creates_a_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path, exclusive=True) as ledger:
        run = ledger.start_run("full", "")
        ledger.mark_pending(run, [pending("1")])
        ledger.record_outcomes(run, [created("emea:ticket:1", "T1")])
        ledger.finish_run(run, "interrupted")
    files = sorted(p.name for p in tmp_path.iterdir())
    content = path.read_bytes()
    with Ledger.open(path, read_only=True) as reader:
        last = reader.last_run()
        assert last is not None
        assert last.status == "interrupted"
        assert reader.verify_journal() == 1
        with pytest.raises(LedgerError, match=r"cannot be written \(read-only media\?\)"):
            reader.start_run("full", "")
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    # Beside a live writer holding the run lock: a reader takes no lock.
    with Ledger.open(path, exclusive=True), Ledger.open(path, read_only=True) as reader:
        assert reader.counts()["ticket"]["done"] == 1


def test_read_only_open_of_a_missing_ledger_is_a_ledger_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger there"):
        Ledger.open(tmp_path / "none.sqlite", read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_a_ledger_with_damaged_pages_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        run = ledger.start_run("full", "")
        for start in range(0, 3000, 500):
            ledger.mark_pending(run, [pending(str(i)) for i in range(start, start + 500)])
    size = path.stat().st_size
    page = 4096
    with path.open("r+b") as file:  # every page but the first (the schema) overwritten
        file.seek(page)
        file.write(bytes(range(256)) * ((size - page) // 256))
    for read_only in (False, True):
        with pytest.raises(LedgerError) as raised, Ledger.open(path, read_only=read_only) as ledger:
            ledger.counts()
        assert str(raised.value).startswith(f"{path}: ")
        assert "\n" not in str(raised.value)
