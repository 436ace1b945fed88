"""Ticket comments from the incremental ticket-event export, spooled on disk per ticket.

``GET /api/v2/incremental/ticket_events.json?include=comment_events`` lists every ticket update
of the account in time order, 1,000 a page, on the export budget (10 calls a minute, 30 with
High Volume); each update's ``child_events`` carry its comments (facts 1.3). One call thus
brings the comments of many tickets, where ``/tickets/{id}/comments.json`` costs at least one
call of the account budget per ticket. The price: the stream is ordered by time, not by
ticket, so comments must be held until their ticket is read. :class:`EventComments` holds
them in an SQLite file (never in memory: an account may have millions of tickets), keyed by
comment id, so the repeats of a time-based export (a page starts *at* the previous page's
``end_time``) are stored once.

How a source uses it (the lead wires it into ``source.py``)::

    with EventComments(client, spool=path_or_None) as events:
        events.fill(start_time=0)              # 1. every comment up to the export's end
        for page in client.pages(tickets_read):  # 2. then the tickets
            for data in page.records:
                ticket_id = str(data["id"])
                if data.get("status") == "deleted":
                    comments = []                # a deleted ticket's comments are gone
                elif events.covers(created_at, updated_at):
                    comments = events.comments_for(ticket_id)
                else:                            # changed since step 1, or older than the
                    comments = per_ticket(...)   # window: /tickets/{id}/comments.json

Or interleave the two time-ordered streams instead of filling first: call
``events.advance_to(updated_at.timestamp())`` before each ticket, so that writes can start
before the whole event export has been read.

Read the events *first* (or up to the ticket, as above): a ticket read afterwards whose last
change is no later than :attr:`EventComments.covered_until` has all its comments in the spool.
A ticket changed after that (the account is live during a migration) is either read from its
own comments endpoint or waits for :meth:`EventComments.fill` to be called again, which resumes
from the stored position. A delta window (``start_time`` > 0) holds only the comments made in
the window, so a ticket created before it is complete only from its own endpoint:
:meth:`EventComments.covers` says which case a ticket is in. Comments of tickets the ticket
stream never names (deleted, merged away, outside its window) stay in the spool unasked;
:meth:`EventComments.ticket_ids` lists every ticket that has comments.

With ``spool=None`` the file is a temporary one, removed by :meth:`EventComments.close`; with
a path it persists, and a new :class:`EventComments` on the same path resumes after the last
page stored (each page and its position are committed in one transaction).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, Final

from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskClient
from cemigrate.adapters.zendesk.objects import BY_NAME, Read
from cemigrate.adapters.zendesk.spool import ExportSpool, SpoolItem
from cemigrate.errors import ConfigError, RecordError
from cemigrate.schema import Comment

__all__ = ["EventComments", "comment_events"]

_COMMENT_TYPES: Final = frozenset({"Comment", "VoiceComment"})

_VIA_ALIASES: Final[Mapping[str, str]] = {
    # The export names the channel as text ("Web form", "Mail"), not as via.channel. [unverified
    # against a live account: the names below are the common ones; others become OTHER]
    "mail": "email",
    "web_service": "api",
    "web_service_(api)": "api",
    "phone_call_(inbound)": "voice",
    "phone_call_(outbound)": "voice",
    "voicemail": "voice",
    "text": "sms",
    "messaging": "native_messaging",
}


def _channel_via(via: object) -> object:
    """``via`` as ``convert`` reads it: the export's text becomes ``{"channel": name}``."""
    if isinstance(via, str):
        name = via.strip().lower().replace(" ", "_")
        return {"channel": _VIA_ALIASES.get(name, name)}
    return via


def comment_events(event: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The comment child events of one ticket event, each completed from its parent.

    A child without its own ``created_at`` or ``via`` takes the parent's; ``via`` given as text
    (as the export does) becomes ``{"channel": ...}``; the parent's ``system`` record becomes
    the comment's ``metadata.system``. A comment listed only as
    ``comment_present`` means the export was read without ``include=comment_events``.
    """
    children = event.get("child_events") or []
    if not isinstance(children, list):
        raise RecordError("ticket event: child_events is not a list")
    for child in children:
        if not isinstance(child, Mapping):
            continue
        kind = child.get("type") or child.get("event_type")
        if kind not in _COMMENT_TYPES:
            continue
        if "comment_present" in child and not ({"body", "html_body", "plain_body"} & set(child)):
            raise ConfigError(
                "zendesk ticket_events: comments arrived without their bodies; "
                "read the export with include=comment_events"
            )
        merged: dict[str, Any] = {"created_at": event.get("created_at"), "via": event.get("via")}
        merged.update({k: v for k, v in child.items() if v is not None})
        merged["type"] = kind
        merged["via"] = _channel_via(merged.get("via"))
        system = event.get("system")
        if isinstance(system, Mapping) and "metadata" not in merged:
            # The export records the system's details on the update, not on the comment.
            merged["metadata"] = {"system": dict(system)}
        yield merged


class EventComments(ExportSpool):
    """Comments of every ticket, read from the ticket-event export into an SQLite spool.

    ``client`` reads the export (its budgets are spent: ``zendesk.export`` and
    ``zendesk.core``); ``spool`` is the SQLite file (a temporary one when None); ``read`` is the
    object-table row to read (the ``ticket_events`` row by default). Thread-safe: a reader
    thread may call :meth:`comments_for` while another fills the spool.
    """

    prefix = "cemigrate-events-"

    def __init__(
        self,
        client: ZendeskClient,
        *,
        spool: str | os.PathLike[str] | None = None,
        read: Read | None = None,
    ) -> None:
        row = read or BY_NAME["ticket_events"].read
        assert row is not None
        super().__init__(client, row, spool=spool)

    def _items(self, record: dict[str, Any]) -> Iterator[SpoolItem]:
        ticket_id = record.get("ticket_id")
        if ticket_id is None:
            raise RecordError("ticket event without ticket_id")
        for merged in comment_events(record):
            comment_id = merged.get("id")
            if comment_id is None:
                raise RecordError(f"ticket {ticket_id}: a comment event without id")
            created = convert.parse_time(merged.get("created_at"))
            yield str(comment_id), str(ticket_id), created.timestamp(), merged

    def comments_for(self, ticket_id: str | int) -> list[Comment]:
        """The ticket's comments in the spool, oldest first (ties in export order)."""
        payloads = self.payloads_for([str(ticket_id)]).get(str(ticket_id), [])
        return [convert.comment_from_event(p) for p in payloads]
