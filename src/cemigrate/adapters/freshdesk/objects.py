"""The Freshdesk objects a migration reads and writes, as a table of data.

Each row of :data:`OBJECTS` names one Freshdesk list endpoint: the schema kind it becomes, its
path, fixed query parameters, and what kind of record it holds. :data:`ROUTES` says which
budgets each endpoint spends: every call spends the account's ``freshdesk.core``; ticket
creates, ticket updates, the ticket list and the contact list spend their own per-minute
sub-limit as well, and an ``include`` costs extra credits (facts 3.1).

Facts come from ``reference/platform-facts.md`` part 3 (cited as ``facts 3.x``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

from cemigrate.adapters.contract import Capability
from cemigrate.schema import FieldObject, Kind, RuleKind

__all__ = [
    "BY_NAME",
    "CORE",
    "MAX_ATTACHMENT_BYTES",
    "OBJECTS",
    "PAGE_SIZE",
    "ROUTES",
    "SOURCE_CAPABILITIES",
    "STATS_ONLY",
    "TARGET_CAPABILITIES",
    "TICKET_INCLUDES",
    "TICKET_LIST_PAGES",
    "BudgetedEndpoint",
    "FreshdeskObject",
]

CORE: Final = "freshdesk.core"
PAGE_SIZE: Final = 100
"""``per_page`` maximum; more is an error. [facts 3.2]"""
TICKET_LIST_PAGES: Final = 300
"""The ticket list serves at most 300 pages (30,000 tickets) of one listing. [facts 3.2]"""
TICKET_INCLUDES: Final = "description,stats"
"""Sideloaded with every ticket page (2 credits each: 5 a page): the first comment (its text;
the list never carries its attachments) and the SLA timestamps. The requester is not: tickets
name it by ``requester_id`` and contacts are read whole. [API reference, List All Tickets]"""
STATS_ONLY: Final = "stats"
"""The ticket page's include when each ticket is viewed anyway (the view has the description)."""
MAX_ATTACHMENT_BYTES: Final = 20 * 1024 * 1024
"""All attachments of one ticket, reply or note together. [facts 3.3]"""


@attrs.frozen(kw_only=True)
class FreshdeskObject:
    """One Freshdesk list endpoint and the schema kind its records become."""

    name: str
    kind: Kind
    path: str
    """Path under the account's base URL; ``{id}`` is a parent record's id."""
    params: Mapping[str, str] = attrs.field(factory=dict)
    incremental: bool = False
    """Takes ``updated_since`` (a delta reads only what changed)."""
    field_object: FieldObject | None = None
    rule_kind: RuleKind | None = None
    note: str = ""


OBJECTS: Final[tuple[FreshdeskObject, ...]] = (
    FreshdeskObject(
        name="ticket_fields",
        kind=Kind.FIELD,
        path="/api/v2/ticket_fields",
        field_object=FieldObject.TICKET,
        note="Default fields (subject, status, ...) are listed too (default: true): skipped,"
        " but ticket_type, whose choices are the account's ticket types (a dropdown).",
    ),
    FreshdeskObject(
        name="contact_fields",
        kind=Kind.FIELD,
        path="/api/v2/contact_fields",
        field_object=FieldObject.USER,
    ),
    FreshdeskObject(
        name="company_fields",
        kind=Kind.FIELD,
        path="/api/v2/company_fields",
        field_object=FieldObject.ORGANIZATION,
    ),
    FreshdeskObject(
        name="companies", kind=Kind.ORGANIZATION, path="/api/v2/companies", incremental=True
    ),
    FreshdeskObject(
        name="contacts",
        kind=Kind.USER,
        path="/api/v2/contacts",
        incremental=True,
        note="Each contact viewed once (GET /contacts/{id}): the list has no other_emails, tags,"
        " other_companies, view_all_tickets.",
    ),
    FreshdeskObject(
        name="blocked_contacts",
        kind=Kind.USER,
        path="/api/v2/contacts",
        params={"state": "blocked"},
        incremental=True,
        note="Blocked contacts (suspended users) are left out of the plain list too.",
    ),
    FreshdeskObject(
        name="deleted_contacts",
        kind=Kind.USER,
        path="/api/v2/contacts",
        params={"state": "deleted"},
        incremental=True,
        note="Soft-deleted contacts are left out of the plain list; tickets still name them.",
    ),
    FreshdeskObject(
        name="agents",
        kind=Kind.USER,
        path="/api/v2/agents",
        note="Agents are users too, each viewed (GET /agents/{id}): the list has no role_ids;"
        " the role comes from role_ids (/api/v2/roles).",
    ),
    FreshdeskObject(name="groups", kind=Kind.GROUP, path="/api/v2/groups"),
    FreshdeskObject(
        name="group_memberships",
        kind=Kind.GROUP_MEMBERSHIP,
        path="/api/v2/groups",
        note="Memberships are the agent_ids of each group's view (GET /groups/{id}): the list"
        " has none.",
    ),
    FreshdeskObject(
        name="organization_memberships",
        kind=Kind.ORGANIZATION_MEMBERSHIP,
        path="/api/v2/contacts",
        note="A contact's company_id (the default) and other_companies, from the view the user"
        " read kept (else viewed again); a contact without company_id has none.",
    ),
    FreshdeskObject(
        name="products",
        kind=Kind.BRAND,
        path="/api/v2/products",
        note="Products are Freshdesk's brands; the list carries all a view does (admin only).",
    ),
    FreshdeskObject(name="sla_policies", kind=Kind.SLA_POLICY, path="/api/v2/sla_policies"),
    FreshdeskObject(
        name="tickets",
        kind=Kind.TICKET,
        path="/api/v2/tickets",
        params={"order_by": "updated_at", "order_type": "asc", "include": TICKET_INCLUDES},
        incremental=True,
        note="300 pages a listing at most: restarted from the last updated_at. [facts 3.2]",
    ),
    FreshdeskObject(
        name="deleted_tickets",
        kind=Kind.TICKET,
        path="/api/v2/tickets",
        params={
            "filter": "deleted",
            "order_by": "updated_at",
            "order_type": "asc",
            "include": TICKET_INCLUDES,
        },
        incremental=True,
        note="Deleted tickets are only listed with filter=deleted. [facts 3.2]",
    ),
    FreshdeskObject(
        name="conversations",
        kind=Kind.TICKET,
        path="/api/v2/tickets/{id}/conversations",
        note="Per ticket: the ticket's replies and notes (its description is the first comment).",
    ),
    FreshdeskObject(
        name="satisfaction_ratings",
        kind=Kind.SATISFACTION_RATING,
        path="/api/v2/surveys/satisfaction_ratings",
    ),
    FreshdeskObject(
        name="dispatcher_rules",
        kind=Kind.RULE,
        path="/api/v2/automations/1/rules",
        rule_kind=RuleKind.DISPATCHER,
    ),
    FreshdeskObject(
        name="supervisor_rules",
        kind=Kind.RULE,
        path="/api/v2/automations/3/rules",
        rule_kind=RuleKind.SUPERVISOR,
    ),
    FreshdeskObject(
        name="observer_rules",
        kind=Kind.RULE,
        path="/api/v2/automations/4/rules",
        rule_kind=RuleKind.OBSERVER,
    ),
)
"""Every Freshdesk list cemigrate reads, in plan order."""

BY_NAME: Final[Mapping[str, FreshdeskObject]] = {row.name: row for row in OBJECTS}
"""The rows of :data:`OBJECTS` by name."""


@attrs.frozen(kw_only=True)
class BudgetedEndpoint:
    """The budgets one endpoint spends beside ``freshdesk.core``, and its credits."""

    method: str
    pattern: str
    """A regular expression matched against the whole path."""
    budget: str | None
    """The endpoint's sub-limit (None: the account budget only)."""
    cost: float = 1.0
    include_cost: float = 1.0
    """Extra credits for each resource named in ``include``. [facts 3.1]"""


ROUTES: Final[tuple[BudgetedEndpoint, ...]] = (
    # The ticket list: 2 more credits per include ("Each include will consume an additional 2
    # credits": API reference, List All Tickets), 5 with description and stats.
    BudgetedEndpoint(
        method="GET", pattern=r"/api/v2/tickets", budget="freshdesk.tickets_list", include_cost=2.0
    ),
    BudgetedEndpoint(method="POST", pattern=r"/api/v2/tickets", budget="freshdesk.ticket_create"),
    BudgetedEndpoint(
        method="PUT", pattern=r"/api/v2/tickets/\d+", budget="freshdesk.ticket_update"
    ),
    BudgetedEndpoint(method="GET", pattern=r"/api/v2/contacts", budget="freshdesk.contacts_list"),
)
"""Endpoints with a sub-limit of their own (facts 3.1); any other spends the account budget,
plus one credit per embedded resource (a view with ``include=conversations`` costs 2)."""

SOURCE_CAPABILITIES: Final = frozenset({Capability.INCREMENTAL_READ})
"""What a Freshdesk source declares: tickets, contacts and companies read by ``updated_since``."""

TARGET_CAPABILITIES: Final = frozenset(
    {
        Capability.ORIGINAL_AUTHORS,  # user_id on replies and notes [facts 3.4]
        Capability.FIND_BY_EXTERNAL_ID,  # unique_external_id; cemigrate_id field + filter search
        Capability.DELETE,
        Capability.CREATE_FIELDS,
        Capability.VALUE_MAPS,  # status, priority, type and source codes from the mapping
    }
)
"""What a Freshdesk target declares: no original timestamps (kept in fields and first lines),
no bulk create (one ticket a call)."""
