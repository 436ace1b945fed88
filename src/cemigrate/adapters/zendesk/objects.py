"""The Zendesk objects a migration reads and writes, as a table of data.

Each row of :data:`OBJECTS` names one Zendesk object: the schema kind it becomes, where it is
read (endpoint, data key, paging style, page size, sideloads, budget) and where it is written
(endpoint, body key, batch size, whether the write is an asynchronous job). The source and the
target loop over these rows; nothing here branches.

Facts come from ``reference/platform-facts.md`` section 1 (cited as ``facts 1.x``); a fact
marked ``[3P]`` comes from a third-party summary and is to be verified against a live account.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from cemigrate.adapters.contract import Capability
from cemigrate.schema import FieldObject, Kind, RuleKind

__all__ = [
    "BATCH_SIZE",
    "BY_NAME",
    "CUSTOM_ROLES",
    "OBJECTS",
    "SOURCE_CAPABILITIES",
    "TARGET_CAPABILITIES",
    "USER_IDENTITIES",
    "Paging",
    "Read",
    "Write",
    "ZendeskObject",
]

_CORE: Final = "zendesk.core"
_EXPORT: Final = "zendesk.export"


class Paging(enum.StrEnum):
    """How a Zendesk list endpoint pages."""

    EXPORT_CURSOR = "export_cursor"
    """Incremental cursor export: ``?start_time=`` then ``?cursor=after_cursor`` until
    ``end_of_stream`` is true (a page may be empty before the end). [facts 1.3]"""
    EXPORT_TIME = "export_time"
    """Incremental time-based export: follow ``next_page`` (``end_time``) until
    ``end_of_stream``; duplicates across pages are possible. [facts 1.3]"""
    CURSOR = "cursor"
    """List cursor pagination: ``page[size]=N``, follow ``links.next`` while
    ``meta.has_more``. [facts 1.2]"""
    SINGLE = "single"
    """Not paginated: one response holds every record (SLA policies [facts 1.9]; schedules,
    holidays, custom statuses and ticket forms, per the API reference)."""


@attrs.frozen(kw_only=True)
class Read:
    """Where and how an object is read."""

    path: str
    """Path under the account's base URL; ``{id}`` is the parent record's id."""
    data_key: str
    """The response key that holds the records."""
    paging: Paging
    page_size: int
    budget: str
    """The :mod:`cemigrate.ratelimit` budget every page spends."""
    params: Mapping[str, str] = attrs.field(factory=dict)
    """Fixed query parameters (sideloads, filters); the start time or cursor is added."""
    sideloads: tuple[str, ...] = ()
    """Related objects fetched with the page (``include=``), saving calls."""


@attrs.frozen(kw_only=True)
class Write:
    """Where and how an object is written."""

    method: str
    path: str
    body_key: str
    """The request body wraps the payload(s) under this key."""
    batch_size: int
    """Records per call (1: one call per record)."""
    job: bool
    """True when the call answers with a ``job_status`` to poll. [facts 1.6]"""
    budget: str = _CORE
    params: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ZendeskObject:
    """One Zendesk object: the schema kind it becomes, how it is read and written."""

    name: str
    """Zendesk's own name for it, as in its endpoint."""
    kind: Kind
    """The schema kind (comments travel inside tickets, so they are ``Kind.TICKET``)."""
    read: Read | None = None
    """None: nothing to list (the object is only ever written)."""
    write: Write | None = None
    """None: the API cannot create it (what is kept then is described in ``note``)."""
    field_object: FieldObject | None = None
    """For field definitions: the object whose fields they are."""
    rule_kind: RuleKind | None = None
    """For business rules: which kind."""
    note: str = ""


def _cursor(path: str, data_key: str, budget: str = _CORE) -> Read:
    """A plain list endpoint with cursor pagination, 100 a page. [facts 1.2]"""
    return Read(path=path, data_key=data_key, paging=Paging.CURSOR, page_size=100, budget=budget)


def _single(path: str, data_key: str) -> Read:
    """A list endpoint that is not paginated: one answer holds every record."""
    return Read(path=path, data_key=data_key, paging=Paging.SINGLE, page_size=0, budget=_CORE)


def _one_by_one(path: str, body_key: str) -> Write:
    """A create endpoint that takes one record a call."""
    return Write(method="POST", path=path, body_key=body_key, batch_size=1, job=False)


OBJECTS: Final[tuple[ZendeskObject, ...]] = (
    ZendeskObject(
        name="ticket_fields",
        kind=Kind.FIELD,
        field_object=FieldObject.TICKET,
        read=_cursor("/api/v2/ticket_fields.json", "ticket_fields"),  # facts 1.8
        write=_one_by_one("/api/v2/ticket_fields.json", "ticket_field"),
        note="System fields (subject, status, ...) are listed too; convert.field skips them.",
    ),
    ZendeskObject(
        name="user_fields",
        kind=Kind.FIELD,
        field_object=FieldObject.USER,
        read=_cursor("/api/v2/user_fields.json", "user_fields"),  # facts 1.8
        write=_one_by_one("/api/v2/user_fields.json", "user_field"),
    ),
    ZendeskObject(
        name="organization_fields",
        kind=Kind.FIELD,
        field_object=FieldObject.ORGANIZATION,
        read=_cursor("/api/v2/organization_fields.json", "organization_fields"),  # facts 1.8
        write=_one_by_one("/api/v2/organization_fields.json", "organization_field"),
    ),
    ZendeskObject(
        name="brands",
        kind=Kind.BRAND,
        # Cursor or offset pagination, sorted by name (Zendesk API reference, "Brands").
        read=_cursor("/api/v2/brands.json", "brands"),
        write=_one_by_one("/api/v2/brands.json", "brand"),
        note="A brand's subdomain is unique across Zendesk: the target derives one from its "
        "own subdomain and the brand's name.",
    ),
    ZendeskObject(
        name="schedules",
        kind=Kind.SCHEDULE,
        # Not paginated (API reference, "Schedules"); holidays are read per schedule.
        read=_single("/api/v2/business_hours/schedules.json", "schedules"),
        write=_one_by_one("/api/v2/business_hours/schedules.json", "schedule"),
        note="Intervals are written only by the workweek call, after the schedule exists.",
    ),
    ZendeskObject(
        name="workweek",
        kind=Kind.SCHEDULE,
        write=Write(
            method="PUT",
            path="/api/v2/business_hours/schedules/{id}/workweek.json",
            body_key="workweek",
            batch_size=1,
            job=False,
        ),
        note="A schedule's intervals (minutes from Sunday 00:00, none spanning two days).",
    ),
    ZendeskObject(
        name="holidays",
        kind=Kind.SCHEDULE,
        read=_single("/api/v2/business_hours/schedules/{id}/holidays.json", "holidays"),
        write=_one_by_one("/api/v2/business_hours/schedules/{id}/holidays.json", "holiday"),
        note="Per schedule: travel inside the schedule record, one call each way per schedule "
        "(read) or holiday (write).",
    ),
    ZendeskObject(
        name="custom_statuses",
        kind=Kind.CUSTOM_STATUS,
        # "No pagination is provided" (API reference, "Custom Ticket Statuses").
        read=_single("/api/v2/custom_statuses.json", "custom_statuses"),
        write=_one_by_one("/api/v2/custom_statuses.json", "custom_status"),
        note="Creating one needs the account to have activated custom statuses; the default "
        "status of each category always exists.",
    ),
    ZendeskObject(
        name="ticket_forms",
        kind=Kind.TICKET_FORM,
        # Not paginated (API reference, "Ticket Forms"); Suite Growth / Enterprise and up.
        read=_single("/api/v2/ticket_forms.json", "ticket_forms"),
        write=_one_by_one("/api/v2/ticket_forms.json", "ticket_form"),
        note="ticket_field_ids lists system fields too; they become TicketForm.system_fields.",
    ),
    ZendeskObject(
        name="organizations",
        kind=Kind.ORGANIZATION,
        # Time-based only; 1000 a page observed for tickets and users, assumed here. [facts 1.3]
        read=Read(
            path="/api/v2/incremental/organizations.json",
            data_key="organizations",
            paging=Paging.EXPORT_TIME,
            page_size=1000,
            budget=_EXPORT,
        ),
        write=Write(
            method="POST",
            path="/api/v2/organizations/create_many.json",
            body_key="organizations",
            batch_size=100,  # facts 0: ≤100 objects → job_status
            job=True,
        ),
    ),
    ZendeskObject(
        name="users",
        kind=Kind.USER,
        read=Read(
            path="/api/v2/incremental/users/cursor.json",
            data_key="users",
            paging=Paging.EXPORT_CURSOR,
            page_size=1000,  # observed [facts 1.3, REC]
            budget=_EXPORT,
            params={"include": "identities"},
            sideloads=("identities",),
        ),
        write=Write(
            method="POST",
            path="/api/v2/users/create_or_update_many.json",
            body_key="users",
            batch_size=100,  # facts 1.7 (upsert), 0 (≤100)
            job=True,
        ),
        note="Bulk user imports must be enabled by the account owner, else 403. [facts 1.6]",
    ),
    ZendeskObject(
        name="groups",
        kind=Kind.GROUP,
        read=_cursor("/api/v2/groups.json", "groups"),  # ≤100 a page [facts 1.2, 1.7]
        write=_one_by_one("/api/v2/groups.json", "group"),
    ),
    ZendeskObject(
        name="group_memberships",
        kind=Kind.GROUP_MEMBERSHIP,
        read=_cursor("/api/v2/group_memberships.json", "group_memberships"),  # facts 1.7
        # One by one: the bulk variant's limit is unverified [3P] and memberships are few.
        write=_one_by_one("/api/v2/group_memberships.json", "group_membership"),
    ),
    ZendeskObject(
        name="organization_memberships",
        kind=Kind.ORGANIZATION_MEMBERSHIP,
        # Cursor or offset, at most 100 a page. [Zendesk API reference: Organization
        # Memberships, List Memberships]
        read=_cursor("/api/v2/organization_memberships.json", "organization_memberships"),
        # One by one, find-or-create by (user, organization): Zendesk answers 422 to a
        # second membership of the same pair, and a user's default membership already exists
        # once its organization_id is set by the user upsert. [Organization Memberships,
        # Create Membership]
        write=_one_by_one("/api/v2/organization_memberships.json", "organization_membership"),
        note="Users in several organizations (Enterprise, or with multiple organizations on).",
    ),
    ZendeskObject(
        name="sla_policies",
        kind=Kind.SLA_POLICY,
        read=Read(
            path="/api/v2/slas/policies.json",
            data_key="sla_policies",
            paging=Paging.SINGLE,  # not paginated [facts 1.9]
            page_size=0,
            budget=_CORE,
        ),
        write=_one_by_one("/api/v2/slas/policies.json", "sla_policy"),
        note="Professional / Suite Growth and above. [facts 1.9]",
    ),
    ZendeskObject(
        name="tickets",
        kind=Kind.TICKET,
        read=Read(
            path="/api/v2/incremental/tickets/cursor.json",
            data_key="tickets",
            paging=Paging.EXPORT_CURSOR,
            page_size=1000,  # observed [facts 1.3, REC]
            budget=_EXPORT,
            params={"include": "users,groups,organizations,metric_sets"},
            sideloads=("users", "groups", "organizations", "metric_sets"),
        ),
        write=Write(
            method="POST",
            path="/api/v2/imports/tickets/create_many.json",
            body_key="tickets",
            batch_size=100,  # facts 1.4
            job=True,
            # Closed tickets go straight to the archive. [facts 1.4]
            params={"archive_immediately": "true"},
        ),
        note="The Ticket Import API keeps created/updated/solved times and comment authors; "
        "no triggers, metrics or SLAs run on imported tickets. [facts 1.4]",
    ),
    ZendeskObject(
        name="ticket_events",
        kind=Kind.TICKET,
        # Comments of every ticket in one export stream; page size not re-verified. [facts 1.3]
        read=Read(
            path="/api/v2/incremental/ticket_events.json",
            data_key="ticket_events",
            paging=Paging.EXPORT_TIME,
            page_size=1000,
            budget=_EXPORT,
            params={"include": "comment_events"},
            sideloads=("comment_events",),
        ),
        note="Comments in child_events; written inside the ticket import.",
    ),
    ZendeskObject(
        name="ticket_comments",
        kind=Kind.TICKET,
        read=_cursor("/api/v2/tickets/{id}/comments.json", "comments"),  # facts 1.2
        note="Per ticket: the alternative to ticket_events when few tickets change.",
    ),
    ZendeskObject(
        name="uploads",
        kind=Kind.TICKET,
        write=Write(
            method="POST",
            path="/api/v2/uploads.json",  # ?filename=<name>, raw bytes [facts 1.5]
            body_key="upload",
            batch_size=1,
            job=False,
        ),
        note="Attachment bytes; a token is valid 60 minutes, 50 MB a file [3P]. [facts 1.5]",
    ),
    ZendeskObject(
        name="ticket_metric_events",
        kind=Kind.SLA_EVENT,
        read=Read(
            path="/api/v2/incremental/ticket_metric_events.json",
            data_key="ticket_metric_events",
            # Time-based (the export also pages by cursor, 100 a page); resumes at end_time.
            paging=Paging.EXPORT_TIME,  # [facts 1.3]
            page_size=100,
            budget=_EXPORT,  # an incremental export: 10 a minute [facts 1.1]
        ),
        note="Not writable: kept as a private note and custom fields (convert.sla_history_*).",
    ),
    ZendeskObject(
        name="ticket_metrics",
        kind=Kind.TICKET_METRICS,
        read=_cursor("/api/v2/ticket_metrics.json", "ticket_metrics"),  # facts 1.10
        note="Not writable; archived tickets are excluded from the list. [facts 1.10]",
    ),
    ZendeskObject(
        name="satisfaction_ratings",
        kind=Kind.SATISFACTION_RATING,
        read=_cursor("/api/v2/satisfaction_ratings.json", "satisfaction_ratings"),  # facts 1.11
        note="Not writable by an admin (only the requester rates a ticket).",
    ),
    ZendeskObject(
        name="triggers",
        kind=Kind.RULE,
        rule_kind=RuleKind.TRIGGER,
        read=_cursor("/api/v2/triggers.json", "triggers"),  # facts 1.9
        write=_one_by_one("/api/v2/triggers.json", "trigger"),
    ),
    ZendeskObject(
        name="automations",
        kind=Kind.RULE,
        rule_kind=RuleKind.AUTOMATION,
        read=_cursor("/api/v2/automations.json", "automations"),  # facts 1.9
        write=_one_by_one("/api/v2/automations.json", "automation"),
    ),
    ZendeskObject(
        name="macros",
        kind=Kind.RULE,
        rule_kind=RuleKind.MACRO,
        read=_cursor("/api/v2/macros.json", "macros"),  # facts 1.9
        write=_one_by_one("/api/v2/macros.json", "macro"),
    ),
    ZendeskObject(
        name="views",
        kind=Kind.RULE,
        rule_kind=RuleKind.VIEW,
        read=_cursor("/api/v2/views.json", "views"),  # facts 1.9
        write=_one_by_one("/api/v2/views.json", "view"),
    ),
)
"""Every Zendesk object cemigrate reads or writes, in plan order."""

CUSTOM_ROLES: Final = Read(
    path="/api/v2/custom_roles.json",
    data_key="custom_roles",
    paging=Paging.SINGLE,  # not paginated [Zendesk API reference: Custom Agent Roles]
    page_size=0,
    budget=_CORE,
)
"""The account's custom agent roles: users name theirs by ``custom_role_id``; read once."""

USER_IDENTITIES: Final = Write(
    method="POST",
    path="/api/v2/users/{id}/identities.json",
    body_key="identity",
    batch_size=1,
    job=False,
)
"""Add one identity to a user. [Zendesk API reference: User Identities, Create Identity]"""

BY_NAME: Final[Mapping[str, ZendeskObject]] = {row.name: row for row in OBJECTS}
"""The rows of :data:`OBJECTS` by Zendesk name."""

BATCH_SIZE: Final[Mapping[Kind, int]] = {
    row.kind: row.write.batch_size
    for row in OBJECTS
    if row.write is not None and row.name != "uploads"  # attachments travel inside tickets
}
"""Records per ``Target.write`` call for each kind Zendesk can write."""

SOURCE_CAPABILITIES: Final = frozenset({Capability.INCREMENTAL_READ})
"""What a Zendesk source declares: incremental exports resume after the last change."""

TARGET_CAPABILITIES: Final = frozenset(
    {
        Capability.ORIGINAL_TIMESTAMPS,  # Ticket Import API [facts 1.4]
        Capability.ORIGINAL_AUTHORS,  # comment author_id on import [facts 1.4]
        Capability.BULK_WRITE,  # create_many endpoints [facts 0]
        Capability.FIND_BY_EXTERNAL_ID,  # external_id on tickets, users, orgs [facts 1.7]
        Capability.DELETE,
        Capability.CREATE_FIELDS,
        Capability.VALUE_MAPS,  # status, priority, type and channel through the mapping
    }
)
"""What a Zendesk target declares."""
