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
from collections.abc import Iterator, Sequence
from typing import Any

from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskClient
from cemigrate.adapters.zendesk.objects import BY_NAME
from cemigrate.adapters.zendesk.spool import ExportSpool, SpoolItem
from cemigrate.errors import RecordError
from cemigrate.schema import SlaEvent

__all__ = ["SlaEvents"]


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
