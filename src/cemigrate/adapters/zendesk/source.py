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
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

import attrs
import requests

from cemigrate.adapters.contract import Batch, Metadata, SlaHistory, Source
from cemigrate.adapters.files import attachment_stream
from cemigrate.adapters.transport import NotFound, account_address
from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import Page, ZendeskClient, ZendeskCredentials
from cemigrate.adapters.zendesk.events import EventComments
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.objects import (
    BY_NAME,
    CUSTOM_ROLES,
    OBJECTS,
    SOURCE_CAPABILITIES,
    Paging,
    ZendeskObject,
)
from cemigrate.adapters.zendesk.sla import SlaEvents, settle_horizon
from cemigrate.errors import ConfigError, RecordError
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.schema import (
    Attachment,
    Comment,
    FieldDef,
    FieldObject,
    Kind,
    Record,
    Ticket,
    TicketMetrics,
)

log = logging.getLogger(__name__)

_COMMENT_OBJECTS = frozenset({"ticket_events", "ticket_comments"})
"""Comments travel inside tickets; these rows are how they are read, not streams of their own."""
_INSIDE_SCHEDULES = frozenset({"holidays"})
"""Holidays travel inside their schedule (one call per schedule), not as a stream."""

_METRICS_HELD = 50_000
"""Metric sets of tickets read but not yet written, held for :meth:`ZendeskSource.sla_history`
(the copier reads at most a few pages ahead of its writes)."""
_SLA_PAGE = 1000
_INCREMENTAL = frozenset({Paging.EXPORT_CURSOR, Paging.EXPORT_TIME})
_SHOW_MANY: dict[Kind, tuple[str, str, str | None]] = {
    Kind.USER: ("/api/v2/users/show_many.json", "users", "identities"),
    Kind.ORGANIZATION: ("/api/v2/organizations/show_many.json", "organizations", None),
    Kind.TICKET: ("/api/v2/tickets/show_many.json", "tickets", "metric_sets"),
}
"""What :meth:`ZendeskSource.fetch` reads by id: the endpoint, its answer's key and the
sideload asked for with it."""
_SHOW_MANY_IDS = 100
"""Ids one ``show_many`` call takes (users, organizations and tickets). [facts 1.7]"""


def _streams(kind: Kind) -> tuple[ZendeskObject, ...]:
    """The Zendesk objects a schema kind is read from, in table order."""
    return tuple(
        row
        for row in OBJECTS
        if row.kind is kind
        and row.read is not None
        and row.name not in _COMMENT_OBJECTS | _INSIDE_SCHEDULES
    )


class ZendeskSource(Source):
    """A Zendesk Support account as a source of records."""

    platform = "zendesk"

    def __init__(
        self,
        *,
        instance: str,
        base_url: str,
        credentials: ZendeskCredentials,
        plan: str = "enterprise",
        high_volume: bool = False,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        comments: str = "events",
        spool: str | os.PathLike[str] | None = None,
        sla_events: bool = True,
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
        self.sla_events = sla_events
        """Whether SLA events are read (``ticket_metric_events``: 100 a page on the export
        budget, so about as many export calls as the ticket export and the comment events
        together; an account that needs no SLA history can save them)."""
        self._events: EventComments | None = None
        options: dict[str, object] = {"high_volume": True} if high_volume else {}
        self.budgets: Budgets = budgets_for(
            ZENDESK_PLANS, plan, clock=clock, prefix=instance, **options
        )
        self.client = ZendeskClient(
            base_url=base_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(clock),
            session=session,
        )
        self._fields: dict[str, FieldDef] | None = None
        self._system_fields: dict[str, str] = {}
        """Built-in ticket field id → schema name (read with the custom ones)."""
        self._sla: SlaEvents | None = None
        self._sla_from_start = True
        self._metrics: OrderedDict[str, TicketMetrics] = OrderedDict()
        self._metrics_lock = threading.Lock()
        self._roles: dict[str, str] | None = None
        """Custom role names by id (:meth:`_custom_roles`)."""
        self._on_external_id: Callable[[Kind, str, str], None] | None = None
        """Called with (kind, id, external id) for every record read that carries an external
        id (:meth:`report_external_ids`)."""

    def account_url(self) -> str:
        """The account's address this source reads (its base URL)."""
        return account_address(self.client.base_url)

    def describe(self) -> Metadata:
        """The kinds Zendesk offers and this account's custom fields."""
        return Metadata(
            platform=self.platform,
            kinds=frozenset(
                kind
                for kind in Kind
                if _streams(kind) and (self.sla_events or kind is not Kind.SLA_EVENT)
            ),
            fields=tuple(self._ticket_fields().values()),
            capabilities=SOURCE_CAPABILITIES,
        )

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Stream ``kind`` after ``cursor``: each batch's cursor resumes after it."""
        streams = _streams(kind)
        start: dict[str, Any] = json.loads(cursor) if cursor else {"object": 0, "position": None}
        if kind is Kind.SLA_EVENT and self._spool_covers(start["position"]):
            yield from self._spooled_sla_events(start["position"])
            return
        for index in range(start["object"], len(streams)):
            row = streams[index]
            assert row.read is not None
            position = start["position"] if index == start["object"] else None
            convert_page = self._converter(row, resuming=position is not None)
            incremental = row.read.paging in _INCREMENTAL
            repeats = _Repeats() if row.read.paging is Paging.EXPORT_TIME else None
            for page in self.client.pages(row.read, position=position):
                if repeats is not None:  # a time-based page starts at the last one's end_time
                    page = repeats.drop(page)
                records = tuple(convert_page(page))
                if self._on_external_id is not None:
                    self._report_external_ids(kind, page)
                after: str | None = json.dumps({"object": index, "position": page.position})
                if page.last and not incremental:
                    # A list is read whole: next time, the next object, or the kind afresh.
                    more = index + 1 < len(streams)
                    after = json.dumps({"object": index + 1, "position": None}) if more else None
                yield Batch(records=records, cursor=after)

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        """Users, organizations and tickets by id, 100 a call (``show_many``, on the core
        budget; a ticket's comments then from its comments endpoint); other kinds are read
        whole by their streams (none fetched: brands, ticket forms, custom statuses and
        schedules are short lists read whole before any ticket, so a ticket's references to
        them never need a fetch). A user deleted for good is not served; one
        deleted softly is (``active: false``), as the export serves it; a deleted ticket is
        not served."""
        wanted = [i for i in dict.fromkeys(ids) if i.isdigit()]
        show_many = _SHOW_MANY.get(kind)
        if show_many is None:
            return ()
        path, data_key, include = show_many
        found: list[Record] = []
        for start in range(0, len(wanted), _SHOW_MANY_IDS):
            chunk = wanted[start : start + _SHOW_MANY_IDS]
            params = {"ids": ",".join(chunk)}
            if include is not None:
                params["include"] = include
            body = self.client.get_json(path, **params)
            page = Page(
                records=tuple(body.get(data_key) or ()),
                sideloads={} if include is None else {include: tuple(body.get(include) or ())},
                position=None,
                last=True,
            )
            if kind is Kind.USER:
                found.extend(self._users(page))
            elif kind is Kind.TICKET:  # one deleted since show_many answered is not served
                found.extend(t for t in self._tickets(page, None) if not _deleted(t))
            else:
                found.extend(convert.organization(data) for data in page.records)
        return tuple(found)

    def report_external_ids(self, note: Callable[[Kind, str, str], None]) -> bool:
        """Call ``note(kind, id, external id)`` for every record read that carries an external
        id: reconciliation reads a target account back through a source and finds the records
        cemigrate wrote (and their duplicates) by it."""
        self._on_external_id = note
        return True

    def _report_external_ids(self, kind: Kind, page: Page) -> None:
        assert self._on_external_id is not None
        for data in page.records:
            external_id = data.get("external_id")
            if external_id:
                self._on_external_id(kind, str(data.get("id")), str(external_id))

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """The SLA events and metrics of tickets this source has just served.

        Metrics come from the ``metric_sets`` read with the tickets; events from the
        ``ticket_metric_events`` export, spooled on disk and read up to the latest change of
        these tickets (so that a later ``sla_event`` read is served from the spool instead of
        reading the export twice)."""
        if not tickets:
            return {}
        if not self.sla_events:
            with self._metrics_lock:
                held = {t.id: self._metrics.pop(t.id, None) for t in tickets}
            return {tid: SlaHistory(metrics=m) for tid, m in held.items() if m is not None}
        spool = self._sla_spool(min(t.created_at for t in tickets).timestamp())
        started = spool.started_at or 0
        early = [t.id for t in tickets if t.created_at.timestamp() < started]
        if early:
            log.warning(
                "zendesk: SLA events before %s are not spooled; tickets %s carry only the "
                "events since then",
                started,
                ", ".join(early[:5]),
            )
        ids = [t.id for t in tickets]
        spool.advance_to(max(t.updated_at for t in tickets).timestamp(), start_time=started)
        events = spool.events_for(ids)
        # A target still running at a ticket's last change breaches later without changing the
        # ticket: read on to the latest moment one of these targets could still settle.
        horizon = settle_horizon(events)
        if horizon is not None and horizon > (spool.covered_until or 0):
            spool.advance_to(horizon, start_time=started)
            events = spool.events_for(ids)
        with self._metrics_lock:
            metrics = {t.id: self._metrics.pop(t.id, None) for t in tickets}
        history = {
            t.id: SlaHistory(events=events.get(t.id, ()), metrics=metrics[t.id]) for t in tickets
        }
        return {ticket_id: found for ticket_id, found in history.items() if found}

    def _sla_spool(self, earliest: float) -> SlaEvents:
        if self._sla is None:
            self._sla = SlaEvents(self.client)
            # Read from the start, every event is wanted; from a cursor (a delta or a resume),
            # only tickets created since the earliest one asked about are new to the target.
            start = 0 if self._sla_from_start else int(earliest)
            self._sla.advance_to(start, start_time=start)
        return self._sla

    def _spool_covers(self, position: str | None) -> bool:
        started = None if self._sla is None else self._sla.started_at
        return started is not None and int(position or 0) >= started

    def _spooled_sla_events(self, position: str | None) -> Iterator[Batch]:
        """The ``sla_event`` kind from the spool (read on to the export's end first)."""
        spool = self._sla
        assert spool is not None
        spool.fill(spool.started_at or 0)
        chunks = list(spool.payloads_since(float(position or 0), size=_SLA_PAGE))
        if not chunks:
            yield Batch(records=(), cursor=json.dumps({"object": 0, "position": spool.position}))
        for number, chunk in enumerate(chunks, start=1):
            records = tuple(e for e in (convert.sla_event(p) for _, p in chunk) if e is not None)
            last = number == len(chunks)
            at = spool.position if last else str(int(chunk[-1][0]))
            yield Batch(records=records, cursor=json.dumps({"object": 0, "position": at}))

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The attachment's bytes from its ``content_url``, streamed (never whole in memory)."""
        if not attachment.location:
            raise RecordError(f"attachment {attachment.id} has no content_url")
        response = self.client.session.get(attachment.location, stream=True, timeout=60)
        return attachment_stream(attachment, response)

    # -- conversion ----------------------------------------------------------------------------

    def _converter(
        self, row: ZendeskObject, *, resuming: bool = False
    ) -> Callable[[Page], Iterator[Record]]:
        if row.name == "tickets":
            # Read from the start, comments come from the event export alongside the tickets;
            # read from a cursor (a delta or a resume), each ticket's own comments are fewer
            # calls than the event history from the beginning.
            events = None
            self._sla_from_start = not resuming
            if self.comments == "events" and not resuming:
                self.close()
                self._events = events = EventComments(self.client, spool=self._spool)
            return lambda page: self._tickets(page, events)
        if row.name == "users":
            return self._users
        if row.name == "schedules":
            return self._schedules
        if row.name == "ticket_forms":
            self._ticket_fields()  # which of a form's field ids are built-in fields
            system = self._system_fields
            return lambda page: (convert.ticket_form(d, system_fields=system) for d in page.records)
        one = self._one(row)

        def each(page: Page) -> Iterator[Record]:
            for data in page.records:
                record = one(data)
                if record is not None:
                    yield record

        return each

    def _schedules(self, page: Page) -> Iterator[Record]:
        """Schedules with their holidays: one holidays call per schedule."""
        read = BY_NAME["holidays"].read
        assert read is not None
        for data in page.records:
            holidays = [
                h
                for holiday_page in self.client.pages(read, id=str(data.get("id")))
                for h in holiday_page.records
            ]
            yield convert.schedule(data, holidays)

    def _users(self, page: Page) -> Iterator[Record]:
        """A page of users with their identities (the ``identities`` sideload of the same
        call: no call per user) and their custom roles named."""
        identities = _by_user(page.sideloads.get("identities", ()))
        roles = self._custom_roles() if any(d.get("custom_role_id") for d in page.records) else {}
        for data in page.records:
            yield convert.user(data, identities.get(str(data.get("id")), ()), custom_roles=roles)

    def _custom_roles(self) -> Mapping[str, str]:
        """Custom role names by id (one unpaginated call, read once; an account without
        custom roles, below Enterprise, answers 403 or 404: no names then)."""
        if self._roles is None:
            try:
                self._roles = {
                    str(data.get("id")): str(data.get("name") or "")
                    for page in self.client.pages(CUSTOM_ROLES)
                    for data in page.records
                }
            except (RecordError, ConfigError) as exc:  # 404 or 403 below Enterprise
                log.warning("zendesk: custom roles are not readable (%s); not named", exc)
                self._roles = {}
        return self._roles

    @staticmethod
    def _one(row: ZendeskObject) -> Callable[[Mapping[str, Any]], Record | None]:
        if row.field_object is not None:
            owner: FieldObject = row.field_object
            return lambda data: convert.field(data, object=owner)
        if row.rule_kind is not None:
            rule_kind = row.rule_kind
            return lambda data: convert.rule(data, rule_kind)
        converters: Mapping[str, Callable[[Mapping[str, Any]], Record | None]] = {
            "brands": convert.brand,
            "custom_statuses": convert.custom_status,
            "organizations": convert.organization,
            "groups": convert.group,
            "group_memberships": convert.group_membership,
            "organization_memberships": convert.organization_membership,
            "sla_policies": convert.sla_policy,
            "ticket_metric_events": convert.sla_event,
            "ticket_metrics": convert.ticket_metrics,
            "satisfaction_ratings": convert.satisfaction_rating,
        }
        return converters[row.name]

    def close(self) -> None:
        """Remove the comment and SLA spools (temporary files unless a path was given)."""
        if self._events is not None:
            self._events.close()
            self._events = None
        if self._sla is not None:
            self._sla.close()
            self._sla = None

    def _tickets(self, page: Page, events: EventComments | None) -> Iterator[Record]:
        fields = self._ticket_fields()
        metric_sets = {str(m.get("ticket_id")): m for m in page.sideloads.get("metric_sets", ())}
        self._hold_metrics(metric_sets.values())
        for data in page.records:
            ticket_id = str(data.get("id"))
            comments: list[Comment] | None = []
            if data.get("status") != "deleted":  # a deleted ticket's comments are gone
                comments = self._comments_of(data, events)
            if comments is None:  # deleted since the page was served
                data, comments = {**data, "status": "deleted"}, []
            yield convert.ticket(
                data,
                comments,
                instance=self.instance,
                fields_by_id=fields,
                metric_set=metric_sets.get(ticket_id),
            )

    def _hold_metrics(self, metric_sets: Iterable[Mapping[str, Any]]) -> None:
        """Keep the metric sets of a page for :meth:`sla_history` (a bounded number)."""
        held = []
        for data in metric_sets:
            try:
                held.append(convert.ticket_metrics(data))
            except RecordError as exc:
                log.warning("zendesk: a metric set is not readable: %s", exc)
        with self._metrics_lock:
            for metrics in held:
                self._metrics[metrics.ticket.id] = metrics
            while len(self._metrics) > _METRICS_HELD:
                self._metrics.popitem(last=False)

    def _comments_of(
        self, data: Mapping[str, Any], events: EventComments | None
    ) -> list[Comment] | None:
        """A ticket's comments: from the event spool when it holds all of them, else from the
        ticket's own comments endpoint; None when that answers 404: the ticket was deleted
        after the page that listed it was served (people keep working in a live account;
        https://github.com/airbytehq/airbyte/pull/6513 meets the same 404)."""
        ticket_id = str(data.get("id"))
        if events is not None:
            created = convert.parse_time(data.get("created_at"))
            updated = convert.parse_time(data.get("updated_at"))
            events.advance_to(updated.timestamp())
            if events.covers(created, updated):
                return events.comments_for(ticket_id)
        read = BY_NAME["ticket_comments"].read
        assert read is not None
        try:
            return [
                convert.comment(c)
                for page in self.client.pages(read, id=ticket_id)
                for c in page.records
            ]
        except NotFound:
            log.info("zendesk: ticket %s was deleted while it was read", ticket_id)
            return None

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
                    elif data.get("type") in convert.SYSTEM_FIELDS:
                        name = convert.SYSTEM_FIELDS[str(data["type"])]
                        self._system_fields[str(data.get("id"))] = name
        return self._fields


class _Repeats:
    """Drops the items a time-based export serves a second time.

    A time-based page starts *at* the previous page's ``end_time``, so the items of that second
    come again on the next page (Zendesk warns that time-based exports may hold duplicate items,
    to be excluded by id). An item is a repeat when an earlier page held it with the same id
    and the same content (a changed item is a newer version, not a repeat). Only the last
    pages' items are remembered, as digests: a repeat is always on the page right before (or,
    when a page held nothing new, on the pages before that)."""

    def __init__(self) -> None:
        self._recent: dict[str, bytes] = {}
        self.dropped = 0
        """Items left out as repeats."""

    def drop(self, page: Page) -> Page:
        """``page`` without the items an earlier page already served."""
        fresh: list[dict[str, Any]] = []
        seen: dict[str, bytes] = {}
        for data in page.records:
            key = str(data.get("id"))
            digest = hashlib.blake2b(
                json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode(),
                digest_size=16,
            ).digest()
            repeat = self._recent.get(key) == digest or seen.get(key) == digest
            seen[key] = digest  # a repeat, too, may come once more on the next page
            if repeat:
                self.dropped += 1
            else:
                fresh.append(data)
        self._recent = seen if fresh else {**self._recent, **seen}
        if len(fresh) == len(page.records):
            return page
        return attrs.evolve(page, records=tuple(fresh))


def _deleted(record: Record) -> bool:
    """Whether ``record`` is a ticket deleted in the source."""
    return isinstance(record, Ticket) and record.deleted


def _by_user(identities: tuple[dict[str, Any], ...]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for identity in identities:
        grouped.setdefault(str(identity.get("user_id")), []).append(identity)
    return grouped
