"""What a rollback lists as left among the records a run matched: one matched only after a
send an interruption left unanswered, and a custom field matched by a run that followed an
unfinished one (whose setup may have created it); never one matched in one go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.copier.rollback import rollback
from cemigrate.ledger import EntryState, Ledger, Outcome, PendingEntry


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with Ledger.open(":memory:") as opened:
        yield opened


def _send(ledger: Ledger, run: int, key: str) -> None:
    instance, kind, source_id = key.split(":")
    entry = PendingEntry(
        key=key, instance=instance, kind=kind, source_id=source_id, content_hash="h"
    )
    ledger.mark_pending(run, [entry])


def _matched(ledger: Ledger, run: int, key: str, target_id: str) -> None:
    outcome = Outcome(key=key, state=EntryState.DONE, action="matched", target_id=target_id)
    ledger.record_outcomes(run, [outcome])


def _left(ledger: Ledger, since_run: int | None = None) -> list[tuple[str, str]]:
    target = MemoryTarget()
    try:
        report = rollback(target, ledger, dry_run=True, since_run=since_run)
    finally:
        target.close()
    return [(item.kind, item.target_id) for item in report.left]


def test_a_record_matched_after_an_unanswered_send_is_listed_and_one_matched_at_once_is_not(
    ledger: Ledger,
) -> None:
    first = ledger.start_run("full", "")
    _send(ledger, first, "old:group:1")  # sent, then the run was killed: no answer
    _send(ledger, first, "old:group:2")
    _matched(ledger, first, "old:group:2", "20")  # the account's own, matched at once
    ledger.finish_run(first, "interrupted")
    second = ledger.start_run("full", "")
    _send(ledger, second, "old:group:1")
    _matched(ledger, second, "old:group:1", "10")  # found by name: maybe the first run's
    ledger.finish_run(second, "completed")
    third = ledger.start_run("delta", "")
    ledger.finish_run(third, "completed")

    assert _left(ledger) == [("group", "10")]
    assert _left(ledger, since_run=second) == [("group", "10")]
    assert _left(ledger, since_run=third) == []  # matched before the runs rolled back


def test_a_field_matched_by_a_run_after_an_unfinished_one_is_listed(ledger: Ledger) -> None:
    first = ledger.start_run("full", "")
    _send(ledger, first, "old:field:1")
    _matched(ledger, first, "old:field:1", "100")  # matched before anything was interrupted
    ledger.finish_run(first, "interrupted")  # stopped after its setup created field 2
    second = ledger.start_run("full", "")
    _send(ledger, second, "old:field:2")
    _matched(ledger, second, "old:field:2", "200")
    ledger.finish_run(second, "completed")

    assert _left(ledger) == [("field", "200")]
