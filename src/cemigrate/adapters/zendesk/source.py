"""Read a Zendesk Support account into the common schema.

Each schema kind is read from the Zendesk objects the table in :mod:`.objects` names for it
(custom fields from three field endpoints, rules from four), in order; a cursor says which of
them and where in it to resume. Tickets come from the incremental cursor export, 1,000 a page,
with users, groups, organizations and metric sets sideloaded; each ticket's comments are read
from its comments endpoint. Attachment bytes are streamed from their ``content_url`` and
hashed on the way.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

import requests

from cemigrate.adapters.contract import Batch, Metadata
from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import Credentials, Page, ZendeskClient
from cemigrate.adapters.zendesk.events import EventComments
from cemigrate.adapters.zendesk.objects import (
    BY_NAME,
    OBJECTS,
    SOURCE_CAPABILITIES,
    Paging,
    ZendeskObject,
)
from cemigrate.errors import ConfigError, RecordError
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.schema import Attachment, Comment, FieldDef, FieldObject, Kind, Record

_COMMENT_OBJECTS = frozenset({"ticket_events", "ticket_comments"})
"""Comments travel inside tickets; these rows are how they are read, not streams of their own."""

_CHUNK = 1 << 16
_INCREMENTAL = frozenset({Paging.EXPORT_CURSOR, Paging.EXPORT_TIME})


def _streams(kind: Kind) -> tuple[ZendeskObject, ...]:
    """The Zendesk objects a schema kind is read from, in table order."""
    return tuple(
        row
        for row in OBJECTS
        if row.kind is kind and row.read is not None and row.name not in _COMMENT_OBJECTS
    )


class ZendeskSource:
    """A Zendesk Support account as a source of records."""

    platform = "zendesk"

    def __init__(
        self,
        *,
        instance: str,
        base_url: str,
        credentials: Credentials,
        plan: str = "enterprise",
        high_volume: bool = False,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        comments: str = "events",
        spool: str | os.PathLike[str] | None = None,
    ) -> None:
        if comments not in ("events", "per_ticket"):
            raise ConfigError(
                f"zendesk source: comments must be events or per_ticket, not {comments!r}"
            )
        clock = clock or SystemClock()
        self.instance = instance
        self.comments = comments
        """How comments are read: from the ticket_events export (``events``: one call brings
        many tickets' comments; see docs/zendesk-comments-strategy.md) or per ticket."""
        self._spool = spool
        self._events: EventComments | None = None
        options: dict[str, object] = {"high_volume": True} if high_volume else {}
        self.budgets: Budgets = budgets_for(
            "zendesk", plan, clock=clock, prefix=instance, **options
        )
        self.client = ZendeskClient(
            base_url=base_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(clock),
            session=session,
        )
        self._fields: dict[str, FieldDef] | None = None

    def describe(self) -> Metadata:
        """The kinds Zendesk offers and this account's custom fields."""
        return Metadata(
            platform=self.platform,
            kinds=frozenset(kind for kind in Kind if _streams(kind)),
            fields=tuple(self._ticket_fields().values()),
            capabilities=SOURCE_CAPABILITIES,
        )

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Stream ``kind`` after ``cursor``: each batch's cursor resumes after it."""
        streams = _streams(kind)
        start: dict[str, Any] = json.loads(cursor) if cursor else {"object": 0, "position": None}
        for index in range(start["object"], len(streams)):
            row = streams[index]
            assert row.read is not None
            position = start["position"] if index == start["object"] else None
            convert_page = self._converter(row, resuming=position is not None)
            incremental = row.read.paging in _INCREMENTAL
            for page in self.client.pages(row.read, position=position):
                records = tuple(convert_page(page))
                after: str | None = json.dumps({"object": index, "position": page.position})
                if page.last and not incremental:
                    # A list is read whole: next time, the next object, or the kind afresh.
                    more = index + 1 < len(streams)
                    after = json.dumps({"object": index + 1, "position": None}) if more else None
                yield Batch(records=records, cursor=after)

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The attachment's bytes from its ``content_url``, streamed (never whole in memory)."""
        if not attachment.location:
            raise RecordError(f"attachment {attachment.id} has no content_url")
        response = self.client.session.get(attachment.location, stream=True, timeout=60)
        if response.status_code >= 400:
            response.close()
            raise RecordError(
                f"attachment {attachment.id} could not be downloaded",
                platform_message=f"{response.status_code} {response.reason}",
            )
        return io.BufferedReader(HashingStream(response), _CHUNK)

    # -- conversion ----------------------------------------------------------------------------

    def _converter(
        self, row: ZendeskObject, *, resuming: bool = False
    ) -> Callable[[Page], Iterator[Record]]:
        if row.name == "tickets":
            # Read from the start, comments come from the event export alongside the tickets;
            # read from a cursor (a delta or a resume), each ticket's own comments are fewer
            # calls than the event history from the beginning.
            events = None
            if self.comments == "events" and not resuming:
                self.close()
                self._events = events = EventComments(self.client, spool=self._spool)
            return lambda page: self._tickets(page, events)
        if row.name == "users":
            return self._users
        one = self._one(row)

        def each(page: Page) -> Iterator[Record]:
            for data in page.records:
                record = one(data)
                if record is not None:
                    yield record

        return each

    @staticmethod
    def _users(page: Page) -> Iterator[Record]:
        identities = _by_user(page.sideloads.get("identities", ()))
        for data in page.records:
            yield convert.user(data, identities.get(str(data.get("id")), ()))

    @staticmethod
    def _one(row: ZendeskObject) -> Callable[[Mapping[str, Any]], Record | None]:
        if row.field_object is not None:
            owner: FieldObject = row.field_object
            return lambda data: convert.field(data, object=owner)
        if row.rule_kind is not None:
            rule_kind = row.rule_kind
            return lambda data: convert.rule(data, rule_kind)
        converters: Mapping[str, Callable[[Mapping[str, Any]], Record | None]] = {
            "organizations": convert.organization,
            "groups": convert.group,
            "group_memberships": convert.group_membership,
            "sla_policies": convert.sla_policy,
            "ticket_metric_events": convert.sla_event,
            "ticket_metrics": convert.ticket_metrics,
            "satisfaction_ratings": convert.satisfaction_rating,
        }
        return converters[row.name]

    def close(self) -> None:
        """Remove the comment spool (a temporary file unless a path was given)."""
        if self._events is not None:
            self._events.close()
            self._events = None

    def _tickets(self, page: Page, events: EventComments | None) -> Iterator[Record]:
        fields = self._ticket_fields()
        metric_sets = {str(m.get("ticket_id")): m for m in page.sideloads.get("metric_sets", ())}
        for data in page.records:
            ticket_id = str(data.get("id"))
            comments: list[Comment] = []
            if data.get("status") != "deleted":  # a deleted ticket's comments are gone
                comments = self._comments_of(data, events)
            yield convert.ticket(
                data,
                comments,
                instance=self.instance,
                fields_by_id=fields,
                metric_set=metric_sets.get(ticket_id),
            )

    def _comments_of(self, data: Mapping[str, Any], events: EventComments | None) -> list[Comment]:
        """A ticket's comments: from the event spool when it holds all of them, else from the
        ticket's own comments endpoint."""
        ticket_id = str(data.get("id"))
        if events is not None:
            created = convert.parse_time(data.get("created_at"))
            updated = convert.parse_time(data.get("updated_at"))
            events.advance_to(updated.timestamp())
            if events.covers(created, updated):
                return events.comments_for(ticket_id)
        read = BY_NAME["ticket_comments"].read
        assert read is not None
        return [
            convert.comment(c)
            for page in self.client.pages(read, id=ticket_id)
            for c in page.records
        ]

    def _ticket_fields(self) -> dict[str, FieldDef]:
        """Ticket field definitions by Zendesk id (read once per source)."""
        if self._fields is None:
            row = BY_NAME["ticket_fields"]
            assert row.read is not None
            self._fields = {}
            for page in self.client.pages(row.read):
                for data in page.records:
                    definition = convert.field(data, object=FieldObject.TICKET)
                    if definition is not None:
                        self._fields[definition.id] = definition
        return self._fields


def _by_user(identities: tuple[dict[str, Any], ...]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for identity in identities:
        grouped.setdefault(str(identity.get("user_id")), []).append(identity)
    return grouped


class HashingStream(io.RawIOBase):
    """A streamed download that computes its SHA-256 and size as it is read."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_content(_CHUNK)
        self._pending = b""
        self.digest = hashlib.sha256()
        self.size = 0

    @property
    def sha256(self) -> str:
        """The digest of the bytes read so far (all of them once read to the end)."""
        return self.digest.hexdigest()

    def readable(self) -> bool:
        """It is."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the download; 0 at the end."""
        if not self._pending:
            self._pending = next(self._chunks, b"")
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self.digest.update(self._pending[:count])
        self.size += count
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        """Release the connection."""
        self._response.close()
        super().close()
