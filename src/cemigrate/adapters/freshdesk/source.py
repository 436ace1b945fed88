"""Read a Freshdesk account (API v2) into the common schema.

Each schema kind is read from the Freshdesk lists the table in :mod:`.objects` names for it,
in order; a cursor says which list and where in it to resume.

Tickets are listed 100 a page, ordered by ``updated_at`` ascending from ``updated_since``. One
listing serves at most 300 pages, so past 30,000 tickets the listing is restarted from the last
``updated_at`` seen. The cursor is exact at that boundary: it holds that time *and the ids
already read at it*; ``updated_since`` is inclusive, so the restarted listing begins with those
tickets again and they are passed over: no ticket is skipped, none is read twice. Every batch's
cursor has the same form, so a resume (or a delta) continues the same way. Deleted tickets are a
second listing (``filter=deleted``, not viewed: they are not migrated).

Each resource in the list's ``include`` costs 2 credits more; the list never carries the
description's attachments, and nothing cheap says which tickets have some. How each live ticket
is read whole is the plan's ``ticket_read`` (:class:`TicketRead`): ``view`` (the default, loses
nothing: the list with ``include=stats``, a view per ticket and its conversations 100 a page,
about 2.03 credits a ticket), ``embedded`` (the view with ``include=conversations``) or
``conversations`` (the list with ``include=description,stats`` and the conversations: about
1.05 credits a ticket, the descriptions' attachments unread, which :meth:`describe` says in
``Metadata.not_read`` for the dry run and the run report).

The account's ticket types are the choices of the default ``ticket_type`` field: read as a
dropdown field of that key; a ticket's ``type`` is ``Ticket.type`` when it is one of the
schema's four, else its ``ticket_type`` value, verbatim (:func:`.convert.ticket`). The
names of ``source`` codes come from the default ``source`` field; a code cemigrate's table lacks
reads as channel ``other``, is kept in ``via`` and logged once. Products are read as brands
(an account answering 404 for them offers none).

People and groups are read whole: the lists leave out what only a record's own view holds
(the group's ``agent_ids``, the agent's ``role_ids``, the contact's ``other_emails``, ``tags``,
``other_companies`` and ``view_all_tickets``), so each group, agent and contact is viewed once
(``GET /groups/{id}``, ``/agents/{id}``, ``/contacts/{id}``: 1 credit each). A contact's view
serves both its user and its organization memberships: the user read keeps each contact's
companies, and the memberships read (the contact list again, 1 credit a page of 100) takes
them from there; a contact with no ``company_id`` has no memberships and is never viewed for
them. Only a memberships read with nothing kept (a resumed run) views contacts again.

SLA events and metrics are derived from each ticket's ``due_by``, ``fr_due_by``,
``fr_escalated``, ``is_escalated`` and ``stats`` (:func:`.convert.sla_events`,
:func:`.convert.ticket_metrics`): read as kinds of their own (a ticket listing without
conversations), or asked for by a target while it writes the tickets
(:meth:`FreshdeskSource.sla_history`), from the ticket pages already read.

Attachment bytes are streamed from ``attachment_url`` and hashed on the way; the API key is
not sent with them (they live on a file host).

Reconciliation reads a Freshdesk *target* with ``target_view=True``: the default contact and
company fields the target adopts (``account_tier``...) are then read as fields, and their
top-level values as custom values, as the target wrote them.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO, Final, TypeVar
from urllib.parse import urlsplit

import attrs
import requests

from cemigrate.adapters.contract import Batch, Metadata, SlaHistory, Source
from cemigrate.adapters.files import attachment_stream
from cemigrate.adapters.freshdesk import convert
from cemigrate.adapters.freshdesk.client import FreshdeskClient, FreshdeskCredentials
from cemigrate.adapters.freshdesk.limits import FRESHDESK_PLANS
from cemigrate.adapters.freshdesk.objects import (
    BY_NAME,
    OBJECTS,
    PAGE_SIZE,
    SOURCE_CAPABILITIES,
    STATS_ONLY,
    TICKET_LIST_PAGES,
    FreshdeskObject,
)
from cemigrate.adapters.transport import account_address
from cemigrate.errors import RecordError, TransientError
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.schema import (
    Attachment,
    FieldDef,
    FieldObject,
    Kind,
    OrganizationMembership,
    Record,
    Ticket,
)

__all__ = [
    "DESCRIPTION_FILES_NOT_READ",
    "EPOCH",
    "FreshdeskSource",
    "TicketPage",
    "TicketRead",
    "ticket_pages",
]

log = logging.getLogger(__name__)

EPOCH: Final = "2000-01-01T00:00:00Z"
"""``updated_since`` of a first read: before any Freshdesk account existed."""
EMBEDDED_CONVERSATIONS: Final = 10
"""A ticket view with ``include=conversations`` embeds this many conversations at most."""
DESCRIPTION_FILES_NOT_READ: Final = (
    "freshdesk tickets: the descriptions' attachments and the parent/child and tracker links"
    ' are not read (ticket_read = "conversations": the ticket list never carries them; "view"'
    " reads them, 1 more credit a ticket)"
)
"""What the dry run and the run report say when the plan reads tickets the cheapest way: the
list answer has no ``attachments`` and no ``association_type``/``associated_tickets_list``
(API reference: List All Tickets against View a Ticket)."""


class TicketRead(enum.StrEnum):
    """How a Freshdesk source reads each live ticket beyond its list page (plan key
    ``ticket_read``). The list (``include=description,stats``, 5 credits a page of 100) never
    carries the description's attachments, and nothing in it or in any other cheap answer
    says which tickets have some, so reading them costs a view of every ticket.

    Credits per ticket, measured by ``benchmarks/freshdesk_calls.py`` (docs/performance.md)."""

    VIEW = "view"
    """The default, loses nothing: ``GET /tickets/{id}`` (1 credit: the description and its
    files) and the conversations, 100 a page (1 credit a page)."""
    EMBEDDED = "embedded"
    """``GET /tickets/{id}?include=conversations`` (2 credits: the description, its files and
    up to ten conversations); the conversations list too when ten came. Loses nothing; as
    many credits as ``view`` for a ticket with fewer than ten conversations, one more for the
    others, half the requests."""
    CONVERSATIONS = "conversations"
    """The conversations only, 100 a page (1 credit): half the credits, but the descriptions'
    attachments and the tickets' parent/child and tracker links (view only) are not read (the
    dry run and the run report say so)."""


_UNREAD: Final = object()
_HELD: Final = 50_000
"""Tickets read but not yet written whose SLA data is held for :meth:`sla_history`."""
_KEPT_MEMBERSHIPS: Final = 500_000
"""Contacts whose companies this source keeps from their shows for the memberships read (the
show is read once per contact); past this many the memberships read shows the rest again."""
_TICKET_KINDS: Final = {Kind.TICKET, Kind.SLA_EVENT, Kind.TICKET_METRICS}
_SKIP: Final = frozenset({"conversations", "deleted_tickets"})
_KEYED: Final[Mapping[str, str]] = {
    "tickets": "custom",
    "companies": "custom",
    "contacts": "unique_external_id",
    "blocked_contacts": "unique_external_id",
    "deleted_contacts": "unique_external_id",
}
"""Lists whose records carry the source key the target wrote: tickets and companies in the
``cemigrate_id`` custom field, contacts (soft-deleted ones too: the target keeps suspended
users out that way) in ``unique_external_id`` (:mod:`.target`). Deleted tickets are not: a
ticket the target deleted again after a refused comment is no duplicate."""


def _streams(kind: Kind) -> tuple[FreshdeskObject, ...]:
    """The Freshdesk lists a schema kind is read from, in table order."""
    if kind in _TICKET_KINDS:
        return (BY_NAME["tickets"], BY_NAME["deleted_tickets"])
    return tuple(row for row in OBJECTS if row.kind is kind and row.name not in _SKIP)


class TicketPage:
    """One page of the ticket listing: the tickets new to this read, and the cursor after."""

    def __init__(self, tickets: list[dict[str, Any]], cursor: dict[str, Any]) -> None:
        self.tickets = tickets
        self.cursor = cursor


def ticket_pages(
    client: FreshdeskClient,
    row: FreshdeskObject,
    since: str,
    seen: Sequence[str] = (),
    *,
    max_pages: int = TICKET_LIST_PAGES,
) -> Iterator[TicketPage]:
    """Every ticket of ``row`` updated at or after ``since``, in ``updated_at`` order, but
    those in ``seen`` (ids already read *at* ``since``).

    Each page's cursor is ``{"since": T, "seen": [ids read at T]}`` where T is the latest
    ``updated_at`` read so far: restarting from it (after the 300-page cap, or on resume)
    reads every later ticket once. A ticket changed meanwhile moves past T and is read again,
    with its new content, which is what an incremental read is for.
    """
    seen_at: set[str] = set(seen)
    while True:
        restart = False
        fresh_in_listing = 0
        params: dict[str, str | int] = {**row.params, "updated_since": since}
        for page in client.pages(row.path, params):
            new: list[dict[str, Any]] = []
            for data in page.records:
                ticket_id = str(data.get("id"))
                updated = str(data.get("updated_at") or "")
                stamp = _stamp(updated)
                if stamp == _stamp(since) and ticket_id in seen_at:
                    continue  # read at the boundary before the restart
                if stamp < _stamp(since):
                    continue  # never expected: updated_since is inclusive
                if stamp > _stamp(since):
                    since, seen_at = updated, set()
                seen_at.add(ticket_id)
                new.append(data)
            fresh_in_listing += len(new)
            yield TicketPage(new, {"since": since, "seen": sorted(seen_at)})
            if page.next_url is None:
                return
            if page.number >= max_pages:
                restart = True
                break
        if restart and fresh_in_listing == 0:
            raise TransientError(
                f"freshdesk {row.path}: more than {max_pages} pages of tickets share the"
                f" update time {since}; the listing cannot move past it"
            )
        log.info("freshdesk: %d ticket pages listed; restarting from %s", max_pages, since)


def _stamp(value: str) -> datetime:
    try:
        return convert.parse_time(value)
    except ValueError:
        raise RecordError("freshdesk ticket: field 'updated_at' is not a timestamp") from None


class FreshdeskSource(Source):
    """A Freshdesk account as a source of records."""

    platform = "freshdesk"

    def __init__(
        self,
        *,
        instance: str,
        base_url: str,
        credentials: FreshdeskCredentials,
        plan: str = "enterprise",
        session: requests.Session | None = None,
        clock: Clock | None = None,
        max_pages: int = TICKET_LIST_PAGES,
        target_view: bool = False,
        ticket_read: TicketRead | str = TicketRead.VIEW,
    ) -> None:
        clock = clock or SystemClock()
        self.instance = instance
        self.ticket_read = TicketRead(ticket_read)
        """How each ticket's description files and conversations are read (:class:`TicketRead`)."""
        self.target_view = target_view
        """Read the account as reconciliation reads a target: Freshdesk's own contact and
        company fields the target adopts (:data:`.convert.ADOPTABLE_DEFAULTS`, e.g. a
        company's ``account_tier``) are read as fields, their values as custom values. A
        source leaves them out: they are Freshdesk's, not the account's own fields."""
        self.budgets: Budgets = budgets_for(FRESHDESK_PLANS, plan, clock=clock, prefix=instance)
        self.client = FreshdeskClient(
            base_url=base_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(clock),
            session=session,
        )
        self.max_pages = max_pages
        """Pages one ticket listing serves (300 on Freshdesk; lower in tests)."""
        self._fields: dict[str, FieldDef] | None = None
        self._source_names: dict[int, str] = {}
        self._product_page: object = _UNREAD
        self._unknown_sources: set[object] = set()
        self._admin_roles: set[str] | None = None
        self._memberships: dict[str, tuple[OrganizationMembership, ...]] = {}
        """Contact id → its organization memberships, from the show read for the user."""
        self._held: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._held_lock = threading.Lock()
        self._on_external_id: Callable[[Kind, str, str], None] | None = None
        """Called with (kind, id, source key) for every record read that carries one
        (:meth:`report_external_ids`)."""

    def report_external_ids(self, note: Callable[[Kind, str, str], None]) -> bool:
        """Call ``note(kind, id, key)`` for every ticket, company and contact read that
        carries a source key where the Freshdesk target stores it (:data:`_KEYED`):
        reconciliation reads a target account back through a source and finds extra and
        duplicate records by it."""
        self._on_external_id = note
        return True

    def _report_external_ids(self, row: FreshdeskObject, records: Sequence[Any]) -> None:
        where = _KEYED.get(row.name)
        if self._on_external_id is None or where is None:
            return
        for data in records:
            if not isinstance(data, Mapping) or data.get("id") is None:
                continue
            if where == "custom":
                values = data.get("custom_fields") or {}
                keys = [
                    v
                    for name, v in (values.items() if isinstance(values, Mapping) else ())
                    if convert.field_key(str(name)) == "cemigrate_id"
                ]
            else:
                keys = [data.get(where)]
            for key in keys:
                if key:
                    self._on_external_id(row.kind, str(data["id"]), str(key))

    def account_url(self) -> str:
        """The account's address this source reads (its base URL)."""
        return account_address(self.client.base_url)

    def describe(self) -> Metadata:
        """The kinds Freshdesk offers and this account's ticket fields (its ticket types as
        the options of ``ticket_type``); what the plan's ticket read leaves out."""
        fields = tuple(self._ticket_fields().values())  # first: it proves the address
        return Metadata(
            platform=self.platform,
            kinds=frozenset(
                kind
                for kind in Kind
                if _streams(kind) and (kind is not Kind.BRAND or self._products() is not None)
            ),
            fields=fields,
            capabilities=SOURCE_CAPABILITIES,
            rule_field_prefix="cf_",  # dispatcher and SLA rules name custom fields cf_<key>
            not_read=(DESCRIPTION_FILES_NOT_READ,)
            if self.ticket_read is TicketRead.CONVERSATIONS
            else (),
        )

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Stream ``kind`` after ``cursor``: each batch's cursor resumes after it.

        A cursor is ``{"object": i, "at": {list name: position}}``: the list being read and
        where every incremental list of the kind got to, so that after the last list the
        cursor still says where each one resumes (a delta reads only what changed)."""
        streams = _streams(kind)
        start: dict[str, Any] = json.loads(cursor) if cursor else {"object": 0, "at": {}}
        at: dict[str, Any] = dict(start.get("at") or {})
        for index in range(int(start.get("object", 0)), len(streams)):
            row = streams[index]
            position = at.get(row.name) or {}
            if row.name in ("tickets", "deleted_tickets"):
                batches = self._ticket_batches(kind, row, position)
            elif row.name == "products" and not position:
                batches = self._product_batches(row)
            else:
                batches = self._list_batches(row, position)
            for records, after in batches:
                if after is None:
                    at.pop(row.name, None)
                else:
                    at[row.name] = after
                finished = after is None or ("page" not in after and after.get("done"))
                more = index + 1 < len(streams)
                if finished and more:
                    state: dict[str, Any] | None = {"object": index + 1, "at": at}
                elif finished:
                    state = {"object": 0, "at": at} if at else None
                else:
                    state = {"object": index, "at": at}
                yield Batch(records=records, cursor=json.dumps(state) if state else None)

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """SLA events and metrics of tickets this source has just served, from their pages."""
        with self._held_lock:
            held = {t.id: self._held.pop(t.id, None) for t in tickets}
        history = {}
        for ticket_id, data in held.items():
            if data is None:
                continue
            found = SlaHistory(
                events=tuple(convert.sla_events(data)), metrics=convert.ticket_metrics(data)
            )
            if found:
                history[ticket_id] = found
        return history

    def close(self) -> None:
        """Nothing to release: every request's answer is read whole or streamed and closed."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The bytes at ``attachment_url``, streamed and hashed (never whole in memory)."""
        if not attachment.location:
            raise RecordError(f"attachment {attachment.id} has no attachment_url")
        same_host = urlsplit(attachment.location).netloc == urlsplit(self.client.base_url).netloc
        response = self.client.session.get(
            attachment.location,
            stream=True,
            timeout=60,
            # The file host is not the API: the key stays home unless it is the same host.
            auth=None if same_host else _no_auth,
        )
        return attachment_stream(attachment, response)

    # -- lists ---------------------------------------------------------------------------------

    def _list_batches(
        self, row: FreshdeskObject, position: Mapping[str, Any]
    ) -> Iterator[tuple[tuple[Record, ...], dict[str, Any] | None]]:
        """A plain list, page by page. Incremental lists end on ``{"since": latest}``;
        the others on None (read whole next time)."""
        params: dict[str, str | int] = dict(row.params)
        since = position.get("since")
        if row.incremental and since:
            params["updated_since"] = since
        first = int(position.get("page", 1))
        latest = since
        one = self._converter(row)
        whole = self._shows(row)
        for page in self.client.pages(row.path, params, first_page=first):
            self._report_external_ids(row, page.records)
            records = tuple(r for data in page.records for r in one(whole(data)))
            for data in page.records:
                stamp = data.get("updated_at") if isinstance(data, Mapping) else None
                if isinstance(stamp, str) and (latest is None or stamp > latest):
                    latest = stamp
            if page.next_url is not None:
                resume: dict[str, Any] = {"page": page.number + 1}
                if since:
                    resume["since"] = since
                yield records, resume
            elif row.incremental and latest:
                yield records, {"since": latest, "done": True}
            else:
                yield records, None

    def _shows(self, row: FreshdeskObject) -> Callable[[Any], Any]:
        """What turns a list entry into the whole record: the lists leave out what only the
        record's own view holds (decision of issue 18, from the API reference's samples:
        developers.freshdesk.com/api, "List All Agents" has no ``role_ids``/``group_ids``,
        "List All Groups" no ``agent_ids``, "List All Contacts" no ``other_emails``, ``tags``,
        ``other_companies``, ``view_all_tickets``; their "View" calls have them). One view per
        record, 1 credit each; groups and agents are few, contacts are viewed once each."""
        if row.name == "agents":
            return lambda d: self._view("agents", d)
        if row.name == "group_memberships":
            return lambda d: self._view("groups", d)
        if row.name in ("contacts", "blocked_contacts", "deleted_contacts"):
            return self._contact_show
        return lambda d: d

    def _view(self, what: str, listed: Any) -> Any:
        """``GET /api/v2/{what}/{id}`` of a listed record; the list entry itself when the
        record went between the list and the view (404)."""
        shown = self.client.find_json(f"/api/v2/{what}/{listed['id']}")
        return listed if shown is None else {**listed, **shown}

    def _contact_show(self, listed: Any) -> Any:
        """A listed contact as its view shows it (the list's own ``deleted``/``blocked`` state
        kept); its companies are kept for the memberships read."""
        whole = self._view("contacts", listed)
        if listed.get("company_id") is not None and len(self._memberships) < _KEPT_MEMBERSHIPS:
            self._memberships[str(listed["id"])] = tuple(convert.organization_memberships(whole))
        return whole

    def _contact_memberships(self, listed: Any) -> Sequence[OrganizationMembership]:
        """A listed contact's memberships: none without a ``company_id`` (a contact has other
        companies only beside a default one), else those kept when the user was read, else
        from its view."""
        if listed.get("company_id") is None:
            return []
        kept = self._memberships.get(str(listed["id"]))
        if kept is not None:
            return kept
        shown = self.client.find_json(f"/api/v2/contacts/{listed['id']}")
        return convert.organization_memberships({**listed, **(shown or {})})

    def _product_batches(
        self, row: FreshdeskObject
    ) -> Iterator[tuple[tuple[Record, ...], dict[str, Any] | None]]:
        """The products (brands): an account has a few, one page (:meth:`_products`)."""
        first = self._products()
        if first is None:
            yield (), None
            return
        records = tuple(convert.brand(d) for d in first)
        if len(first) < PAGE_SIZE:
            yield records, None
            return
        yield records, {"page": 2}
        yield from self._list_batches(row, {"page": 2})

    def _products(self) -> list[Any] | None:
        """The first page of products (read once); None when the account answers 404 (no
        products feature): it then offers no brands."""
        if self._product_page is _UNREAD:
            path = BY_NAME["products"].path
            found = self.client.find_json(f"{path}?per_page={PAGE_SIZE}")
            if found is None:
                log.info("freshdesk: %s answered 404: the account has no products", path)
            self._product_page = found if isinstance(found, list) or found is None else []
        return self._product_page  # type: ignore[return-value]

    def _converter(self, row: FreshdeskObject) -> Callable[[Any], Sequence[Record]]:
        if row.field_object is FieldObject.TICKET:
            return lambda d: [
                f
                for f in (
                    convert.field(d, object=FieldObject.TICKET) or convert.ticket_type_field(d),
                )
                if f is not None
            ]
        if row.field_object is not None:
            owner: FieldObject = row.field_object
            if self.target_view and owner in convert.ADOPTABLE_DEFAULTS:
                return lambda d: [
                    f
                    for f in (
                        convert.field(d, object=owner) or convert.adopted_field(d, object=owner),
                    )
                    if f is not None
                ]
            return lambda d: [f] if (f := convert.field(d, object=owner)) else []
        if row.rule_kind is not None:
            rule_kind = row.rule_kind
            return lambda d: [convert.rule(d, rule_kind)]
        if row.name == "agents":
            admins = self._admin_role_ids()
            return lambda d: [convert.agent(d, admin_role_ids=admins)]
        if row.name == "satisfaction_ratings":
            return lambda d: [r] if (r := convert.satisfaction_rating(d)) else []
        adopted = convert.ADOPTABLE_DEFAULTS if self.target_view else {}
        orgs = adopted.get(FieldObject.ORGANIZATION, frozenset())
        users = adopted.get(FieldObject.USER, frozenset())
        one: Mapping[str, Callable[[Any], Sequence[Record]]] = {
            "companies": lambda d: [convert.organization(d, adopted=orgs)],
            "contacts": lambda d: [convert.contact(d, adopted=users)],
            "blocked_contacts": lambda d: [convert.contact({**d, "blocked": True}, adopted=users)],
            "deleted_contacts": lambda d: [convert.contact({**d, "deleted": True}, adopted=users)],
            "groups": lambda d: [convert.group(d)],
            "group_memberships": convert.group_memberships,
            "organization_memberships": self._contact_memberships,
            "sla_policies": lambda d: [convert.sla_policy(d)],
            "products": lambda d: [convert.brand(d)],
        }
        return one[row.name]

    # -- tickets -------------------------------------------------------------------------------

    def _ticket_batches(
        self, kind: Kind, row: FreshdeskObject, position: Mapping[str, Any]
    ) -> Iterator[tuple[tuple[Record, ...], dict[str, Any] | None]]:
        since = str(position.get("since") or EPOCH)
        seen = position.get("seen") or ()
        fields = self._ticket_fields()
        viewed = kind is Kind.TICKET and row.name == "tickets"
        if (viewed and self.ticket_read is not TicketRead.CONVERSATIONS) or kind is not Kind.TICKET:
            # The view has the description (and its files); SLA kinds need the stats only.
            row = attrs.evolve(row, params={**row.params, "include": STATS_ONLY})
        pages = ticket_pages(self.client, row, since, seen, max_pages=self.max_pages)
        for page, last in _lookahead(pages):
            if kind is Kind.TICKET:
                self._report_external_ids(row, page.tickets)
            records: list[Record] = []
            for data in page.tickets:
                if kind is Kind.TICKET:
                    records.append(self._ticket(data, fields, deleted=row.name != "tickets"))
                elif kind is Kind.SLA_EVENT:
                    records += convert.sla_events(data)
                elif (metrics := convert.ticket_metrics(data)) is not None:
                    records.append(metrics)
            yield tuple(records), {**page.cursor, "done": last}

    def _ticket(
        self, data: dict[str, Any], fields: Mapping[str, FieldDef], *, deleted: bool
    ) -> Ticket:
        ticket_id = str(data.get("id"))
        if deleted:
            data = {**data, "deleted": True}
        conversations: list[Any] = []
        if not data.get("deleted"):  # a deleted ticket is not migrated: save its calls
            data, conversations = self._read_whole(ticket_id, data)
        self._hold(ticket_id, data)
        self._warn_unknown_source(data)
        return convert.ticket(
            data,
            conversations,
            instance=self.instance,
            fields=fields,
            source_names=self._source_names,
        )

    def _read_whole(self, ticket_id: str, data: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """The ticket with what its list page lacks, and its conversations, read the plan's
        way (:class:`TicketRead`)."""
        if self.ticket_read is TicketRead.CONVERSATIONS:
            return data, self._conversations(ticket_id)
        if self.ticket_read is TicketRead.VIEW:
            view = self.client.get_json(f"/api/v2/tickets/{ticket_id}")
            return {**data, **view}, self._conversations(ticket_id)
        view = self.client.get_json(f"/api/v2/tickets/{ticket_id}", include="conversations")
        embedded = view.pop("conversations", None)
        data = {**data, **view}
        if isinstance(embedded, list) and len(embedded) < EMBEDDED_CONVERSATIONS:
            return data, embedded
        return data, self._conversations(ticket_id)  # ten or more: the paged list has all

    def _conversations(self, ticket_id: str) -> list[Any]:
        """Every conversation of a ticket, 100 a page (1 credit a page)."""
        return [
            c
            for page in self.client.pages(f"/api/v2/tickets/{ticket_id}/conversations")
            for c in page.records
        ]

    def _warn_unknown_source(self, data: Mapping[str, Any]) -> None:
        source = data.get("source")
        if source is None or source in convert.SOURCE_NAMES or source in self._unknown_sources:
            return
        self._unknown_sources.add(source)
        name = self._source_names.get(source) if isinstance(source, int) else None
        log.warning(
            "freshdesk: ticket source %r (%s) is not in cemigrate's table: read as channel"
            " 'other', the code kept in via",
            source,
            repr(name) if name else "no name in the account's source field",
        )

    def _hold(self, ticket_id: str, data: Mapping[str, Any]) -> None:
        sla = {
            k: data.get(k)
            for k in (
                "id",
                "created_at",
                "updated_at",
                "due_by",
                "fr_due_by",
                "fr_escalated",
                "is_escalated",
                "stats",
            )
        }
        with self._held_lock:
            self._held[ticket_id] = sla
            while len(self._held) > _HELD:
                self._held.popitem(last=False)

    def _ticket_fields(self) -> dict[str, FieldDef]:
        """Ticket field definitions by key (read once per source)."""
        if self._fields is None:
            row = BY_NAME["ticket_fields"]
            self._fields = {}
            for page in self.client.pages(row.path):
                for data in page.records:
                    definition = convert.field(
                        data, object=FieldObject.TICKET
                    ) or convert.ticket_type_field(data)
                    if definition is not None:
                        self._fields[definition.key] = definition
                    self._source_names.update(convert.source_names(data))
        return self._fields

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        """Users (a contact, else an agent) and organizations (companies) by id, one call each
        (Freshdesk reads records by id one at a time; 1 credit each); a 404 means deleted for
        good. A soft-deleted or blocked contact is served, as its list serves it."""
        found: list[Record] = []
        for record_id in dict.fromkeys(ids):
            if not record_id.isdigit():
                continue
            if kind is Kind.ORGANIZATION:
                data = self.client.find_json(f"/api/v2/companies/{record_id}")
                if data is not None:
                    found.append(convert.organization(data))
            elif kind is Kind.USER:
                data = self.client.find_json(f"/api/v2/contacts/{record_id}")
                if data is not None:
                    found.append(convert.contact(data))
                    continue
                data = self.client.find_json(f"/api/v2/agents/{record_id}")
                if data is not None:
                    found.append(convert.agent(data, admin_role_ids=self._admin_role_ids()))
        return tuple(found)

    def _admin_role_ids(self) -> set[str]:
        """Ids of the roles that make an agent an admin (read once)."""
        if self._admin_roles is None:
            self._admin_roles = {
                str(role.get("id"))
                for page in self.client.pages("/api/v2/roles")
                for role in page.records
                if str(role.get("name") or "").strip().lower() in convert.ADMIN_ROLE_NAMES
            }
        return self._admin_roles


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Send a request without the session's credentials."""
    request.headers.pop("Authorization", None)
    return request


T = TypeVar("T")


def _lookahead(items: Iterator[T]) -> Iterator[tuple[T, bool]]:
    """Each item with whether it is the last one."""
    previous: T | None = None
    started = False
    for item in items:
        if started:
            yield previous, False  # type: ignore[misc]
        previous, started = item, True
    if started:
        yield previous, True  # type: ignore[misc]
