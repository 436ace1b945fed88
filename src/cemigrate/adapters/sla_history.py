"""A ticket's SLA history kept where a target cannot recompute it: a private note and fields.

No platform lets an API write historical SLA events, so a target that receives a ticket keeps
what the source measured as custom field values (:data:`SLA_HISTORY_FIELDS`,
:func:`sla_history_fields`) and as one private note (:func:`sla_history_note`) whose first line
is :data:`SLA_NOTE_HEADING`. Platform-neutral: the Zendesk and Freshdesk targets both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from cemigrate.schema import (
    Comment,
    FieldDef,
    FieldObject,
    FieldType,
    FieldValue,
    Minutes,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    TicketMetrics,
)

__all__ = [
    "SLA_HISTORY_FIELDS",
    "SLA_NOTE_HEADING",
    "is_sla_note",
    "sla_history_fields",
    "sla_history_note",
]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SLA_HISTORY_FIELDS: Final[tuple[FieldDef, ...]] = (
    FieldDef(
        id="cemigrate_first_reply_minutes",
        object=FieldObject.TICKET,
        key="cemigrate_first_reply_minutes",
        title="Cemigrate first reply minutes",
        type=FieldType.INTEGER,
        description="Calendar minutes to the first public agent reply in the source help desk.",
    ),
    FieldDef(
        id="cemigrate_resolution_minutes",
        object=FieldObject.TICKET,
        key="cemigrate_resolution_minutes",
        title="Cemigrate resolution minutes",
        type=FieldType.INTEGER,
        description="Calendar minutes from creation to the last solve in the source help desk.",
    ),
    FieldDef(
        id="cemigrate_sla_breaches",
        object=FieldObject.TICKET,
        key="cemigrate_sla_breaches",
        title="Cemigrate SLA breaches",
        type=FieldType.INTEGER,
        description="SLA targets the source help desk recorded as breached on this ticket.",
    ),
)
"""The ticket fields that store a ticket's original service levels in a Zendesk target (a
ticket field's key is the slug of its title, so the titles spell the keys)."""

_METRIC_TITLES: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.FIRST_REPLY_TIME: "first reply time",
    SlaMetric.NEXT_REPLY_TIME: "next reply time",
    SlaMetric.PERIODIC_UPDATE_TIME: "periodic update time",
    SlaMetric.REQUESTER_WAIT_TIME: "requester wait time",
    SlaMetric.AGENT_WORK_TIME: "agent work time",
    SlaMetric.RESOLUTION_TIME: "resolution time",
}


def _duration(minutes: Minutes) -> str:
    if minutes.calendar is None and minutes.business is None:
        return "not measured"
    parts = []
    if minutes.calendar is not None:
        parts.append(f"{minutes.calendar} min")
    if minutes.business is not None:
        parts.append(f"{minutes.business} business min")
    return ", ".join(parts)


SLA_NOTE_HEADING: Final = "Service levels measured in the source help desk (imported by cemigrate)."
"""The first line of every SLA history note (how a reader tells the note from a comment)."""


def is_sla_note(comment: Comment) -> bool:
    """Whether a comment read from Zendesk is an SLA history note cemigrate imported."""
    return comment.public is False and comment.body_plain.startswith(SLA_NOTE_HEADING)


def sla_history_note(events: Iterable[SlaEvent], metrics: TicketMetrics | None) -> str:
    """The body of a private note that records a ticket's original service levels: measured
    times, and each SLA target with how it ended (fulfilled or breached). Deterministic: the
    same history gives the same text."""
    lines = [SLA_NOTE_HEADING]
    if metrics is not None:
        lines += [
            f"First reply: {_duration(metrics.first_reply)}",
            f"Full resolution: {_duration(metrics.full_resolution)}",
            f"Requester wait: {_duration(metrics.requester_wait)}",
            f"Agent wait: {_duration(metrics.agent_wait)}",
            f"Replies: {metrics.replies}; reopens: {metrics.reopens}",
        ]
    ordered = sorted(events, key=lambda e: (e.time, e.id))
    targets = [e for e in ordered if e.kind is SlaEventKind.APPLY]
    outcomes = [e for e in ordered if e.kind in (SlaEventKind.FULFILL, SlaEventKind.BREACH)]
    for target in targets:
        hours = "business" if target.business_hours else "calendar"
        minutes = "no target" if target.target_minutes is None else f"{target.target_minutes}"
        ends = [
            f"{'breached' if e.kind is SlaEventKind.BREACH else 'fulfilled'} {_iso(e.time)}"
            for e in outcomes
            if e.metric is target.metric and e.time >= target.time
        ]
        lines.append(
            f"SLA {_METRIC_TITLES[target.metric]}: target {minutes} {hours} min, applied "
            f"{_iso(target.time)}; " + ("; ".join(ends) or "still running")
        )
    breaches = sum(1 for e in ordered if e.kind is SlaEventKind.BREACH)
    lines.append(f"SLA breaches: {breaches}")
    return "\n".join(lines)


def sla_history_fields(
    metrics: TicketMetrics | None, events: Iterable[SlaEvent] = ()
) -> dict[str, FieldValue]:
    """Values of :data:`SLA_HISTORY_FIELDS` for one ticket: original first-reply and
    full-resolution minutes (calendar; ``None`` when not measured) and the number of breaches
    among ``events``."""
    return {
        "cemigrate_first_reply_minutes": None if metrics is None else metrics.first_reply.calendar,
        "cemigrate_resolution_minutes": (
            None if metrics is None else metrics.full_resolution.calendar
        ),
        "cemigrate_sla_breaches": sum(1 for e in events if e.kind is SlaEventKind.BREACH),
    }
