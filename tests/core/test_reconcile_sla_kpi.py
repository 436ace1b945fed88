"""What a Salesforce target view reads back of the SLA history the target wrote, and how the
satisfaction KPI is stated on each side (compared, none, or a documented loss)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.registry import profile_for
from cemigrate.adapters.salesforce import convert
from cemigrate.adapters.salesforce.source import _kept_history
from cemigrate.reconcile.sla_readback import (
    NO_RATINGS,
    NOT_HELD,
    satisfaction_row,
    sla_verifiable,
)
from cemigrate.schema import (
    Kind,
    Minutes,
    Ref,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SourceKey,
    TicketMetrics,
)

TICKET = Ref(kind=Kind.TICKET, id="7")
CASE = "5005g0000000001AAA"


def _as_read(payload: dict[str, Any], row_id: str) -> dict[str, Any]:
    """The row as a query gives it back: its own Id, Number fields as JSON numbers with a
    fraction (``120.0``), unset fields null."""
    row: dict[str, Any] = {"Id": row_id, "SystemModstamp": "2026-01-02T00:00:00.000+0000"}
    for name, value in payload.items():
        row[name] = (
            float(value) if isinstance(value, int) and not isinstance(value, bool) else value
        )
    return row


def test_an_sla_event_written_to_salesforce_reads_back_as_the_same_event() -> None:
    event = SlaEvent(
        id="300",
        ticket=TICKET,
        metric=SlaMetric.FIRST_REPLY_TIME,
        kind=SlaEventKind.BREACH,
        time=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        target_minutes=120,
        business_hours=False,
        policy=Ref(kind=Kind.SLA_POLICY, id="44"),
    )
    outgoing = Outgoing(
        key=SourceKey("old", Kind.SLA_EVENT, "300"), record=event, links={TICKET: CASE}
    )
    back = convert.kept_sla_event(_as_read(convert.sla_event_payload(outgoing), "a01000000000001"))
    assert back == SlaEvent(
        id="a01000000000001",
        ticket=Ref(kind=Kind.TICKET, id=CASE),
        metric=event.metric,
        kind=event.kind,
        time=event.time,
        target_minutes=120,
        business_hours=False,
        policy=event.policy,
    )


def test_ticket_metrics_written_to_salesforce_read_back_with_their_minutes() -> None:
    metrics = TicketMetrics(
        id="7",
        ticket=TICKET,
        first_reply=Minutes(calendar=95, business=60),
        full_resolution=Minutes(calendar=1440),
        reopens=1,
        replies=3,
    )
    outgoing = Outgoing(
        key=SourceKey("old", Kind.TICKET_METRICS, "7"), record=metrics, links={TICKET: CASE}
    )
    back = convert.kept_metrics(_as_read(convert.metrics_payload(outgoing), "a02000000000001"))
    assert (back.id, back.ticket.id) == ("a02000000000001", CASE)
    assert (back.first_reply, back.full_resolution) == (
        metrics.first_reply,
        metrics.full_resolution,
    )
    assert (back.agent_wait, back.reopens, back.replies) == (Minutes(), 1, 3)


def test_a_row_edited_into_an_unknown_kind_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = {
        "Id": "a01000000000001",
        "Case__c": CASE,
        "Metric__c": "first_reply_time",
        "Kind__c": "breach",
        "Time__c": "2026-03-01T09:30:00.000+0000",
    }
    edited = {**good, "Id": "a01000000000002", "Kind__c": "broken"}
    with caplog.at_level(logging.WARNING, logger="cemigrate.salesforce"):
        read = _kept_history("Cemigrate_Sla_Event__c", [good, edited])
    assert [r.id for r in read] == ["a01000000000001"]
    assert "a01000000000002 left out" in caplog.text


def test_every_target_reads_its_sla_history_back() -> None:
    for platform in ("salesforce", "zendesk", "freshdesk", "memory"):
        assert sla_verifiable(profile_for(platform)), platform


def test_satisfaction_with_no_source_rating_reads_none_on_both_sides() -> None:
    row = satisfaction_row(profile_for("zendesk"), Counter(), Counter())
    assert (row["source"], row["target"], row["compare"]) == (NO_RATINGS, NO_RATINGS, False)


def test_satisfaction_a_target_cannot_hold_is_a_stated_loss() -> None:
    row = satisfaction_row(profile_for("salesforce"), Counter(good=3, bad=1), Counter())
    assert (row["source"], row["target"], row["compare"]) == (0.75, NOT_HELD, False)
    assert row["loss"] == (
        "satisfaction ratings: 4 in the source, not carried over: Salesforce has no object for "
        "satisfaction ratings"
    )


def test_satisfaction_a_target_holds_is_compared() -> None:
    row = satisfaction_row(profile_for("memory"), Counter(good=3, bad=1), Counter(good=1, bad=1))
    assert (row["source"], row["target"], row["compare"]) == (0.75, 0.5, True)
    assert row["ratings"] == {"source": 4, "target": 2}
