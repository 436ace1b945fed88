"""SLA history of Zendesk tickets, gathered so that it can travel with each ticket.

Zendesk keeps a ticket's SLA history in two places: its metric set (sideloaded with the ticket
export as ``metric_sets``) and the time-ordered ``ticket_metric_events`` export, 100 events a
page on the export budget. A target that stores history inside the ticket it creates (a
Zendesk target: imported tickets are closed to later updates) asks for it while writing the
ticket; :class:`SlaEvents` spools the event export on disk so that each event is read once,
whether a target asks for it with its ticket or the copier reads the ``sla_event`` kind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskClient
from cemigrate.adapters.zendesk.objects import BY_NAME
from cemigrate.adapters.zendesk.spool import ExportSpool, SpoolItem
from cemigrate.errors import RecordError
from cemigrate.schema import SlaEvent, SlaEventKind, SlaMetric

__all__ = ["SlaEvents", "settle_horizon"]


class SlaEvents(ExportSpool):
    """Every ticket's SLA events, read from ``ticket_metric_events`` into an SQLite spool."""

    prefix = "cemigrate-sla-"

    def __init__(self, client: ZendeskClient, *, spool: str | os.PathLike[str] | None = None):
        read = BY_NAME["ticket_metric_events"].read
        assert read is not None
        super().__init__(client, read, spool=spool)

    def _items(self, record: dict[str, Any]) -> Iterator[SpoolItem]:
        event_id, ticket_id = record.get("id"), record.get("ticket_id")
        if event_id is None or ticket_id is None:
            raise RecordError("zendesk ticket metric event: without id or ticket_id")
        moment = convert.parse_time(record.get("time"))
        yield str(event_id), str(ticket_id), moment.timestamp(), record

    def events_for(self, ticket_ids: Sequence[str]) -> dict[str, tuple[SlaEvent, ...]]:
        """Each ticket's SLA events in the spool, in time order (event types with no schema
        equivalent left out)."""
        found: dict[str, tuple[SlaEvent, ...]] = {}
        for ticket_id, payloads in self.payloads_for(ticket_ids).items():
            events = tuple(e for e in map(convert.sla_event, payloads) if e is not None)
            if events:
                found[ticket_id] = events
        return found


BUSINESS_STRETCH: Final = 168 / 40
"""The most calendar time a business minute can take, on a 40-hour week."""
HOLIDAY_SLACK: Final = 4 * 24 * 3600
"""Seconds added to a business-hours target for holidays and a long weekend."""


def settle_horizon(events: Mapping[str, Sequence[SlaEvent]]) -> float | None:
    """The Unix time by which every SLA target still running in ``events`` (per ticket) has
    been fulfilled or breached at the latest; None when none is running.

    A running target breaches without changing its ticket, so the events a ticket's last
    change covers can miss its breach. Pausing, resuming and fulfilling do change the ticket;
    only the breach needs this bound. Business-hour targets are stretched to the longest
    calendar time they can take."""
    latest: float | None = None
    for ticket_events in events.values():
        targets: dict[SlaMetric, tuple[int, bool]] = {}
        running: dict[SlaMetric, float] = {}
        for event in sorted(ticket_events, key=lambda e: e.time):
            if event.kind is SlaEventKind.APPLY and event.target_minutes is not None:
                targets[event.metric] = (event.target_minutes, event.business_hours)
                running[event.metric] = event.time.timestamp()
            elif event.kind is SlaEventKind.ACTIVATE and event.metric in targets:
                running[event.metric] = event.time.timestamp()
            elif event.kind in (SlaEventKind.PAUSE, SlaEventKind.FULFILL, SlaEventKind.BREACH):
                running.pop(event.metric, None)
        for metric, since in running.items():
            minutes, business = targets[metric]
            span = minutes * 60 * (BUSINESS_STRETCH if business else 1.0)
            span += HOLIDAY_SLACK if business else 0
            latest = since + span if latest is None else max(latest, since + span)
    return latest
