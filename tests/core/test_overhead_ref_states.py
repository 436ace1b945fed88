"""A batch asks the ledger once about what it refers to; the answer is never stale."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cemigrate.copier.refstates import RefStates
from cemigrate.ledger import EntryState, Ledger, Outcome, PendingEntry


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.open(":memory:", now=lambda: datetime(2026, 12, 7, tzinfo=UTC)) as opened:
        yield opened


def _done(ledger: Ledger, run: int, source_id: str, target_id: str) -> None:
    key = f"zd:user:{source_id}"
    outcome = Outcome(
        key=key,
        state=EntryState.DONE,
        action="created",
        target_id=target_id,
        kind="user",
        instance="zd",
        source_id=source_id,
    )
    ledger.record_outcomes(run, [outcome])


class _Counting:
    """Counts the ``SELECT``s a ledger's connection runs."""

    def __init__(self, ledger: Ledger) -> None:
        self.selects = 0
        conn: sqlite3.Connection = ledger._conn
        conn.set_trace_callback(self._seen)

    def _seen(self, sql: str) -> None:
        self.selects += sql.lstrip().upper().startswith("SELECT")


def test_links_reuse_the_late_check_answer_when_nothing_was_recorded(ledger: Ledger) -> None:
    run = ledger.start_run("full", "plan")
    _done(ledger, run, "1", "T1")
    states = RefStates(ledger)
    counting = _Counting(ledger)
    states.expect(["zd:user:1", "zd:user:2"])
    assert states.held(["zd:user:2"]) == {}
    links = states.states(["zd:user:1", "zd:user:2"], own=set())
    assert links == {"zd:user:1": (EntryState.DONE, "T1")}
    assert counting.selects == 1


def test_a_record_written_in_between_is_asked_again(ledger: Ledger) -> None:
    run = ledger.start_run("full", "plan")
    states = RefStates(ledger)
    states.expect(["zd:user:2"])
    assert states.held(["zd:user:2"]) == {}  # not held: fetched late and written ...
    _done(ledger, run, "2", "T2")
    assert states.states(["zd:user:2"], own=set()) == {"zd:user:2": (EntryState.DONE, "T2")}


def test_the_batch_own_keys_are_read_after_they_are_marked_pending(ledger: Ledger) -> None:
    run = ledger.start_run("full", "plan")
    _done(ledger, run, "3", "T3")
    states = RefStates(ledger)
    states.expect(["zd:user:3"])
    assert states.held(["zd:user:3"]) == {"zd:user:3": (EntryState.DONE, "T3")}
    entry = PendingEntry(
        key="zd:user:3", instance="zd", kind="user", source_id="3", content_hash="h", match_key=None
    )
    ledger.mark_pending(run, [entry])  # the same record read again, in this batch
    assert states.states(["zd:user:3"], own={"zd:user:3"}) == {
        "zd:user:3": (EntryState.PENDING, "T3")
    }
