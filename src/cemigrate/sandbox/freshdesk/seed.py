"""How a generated help desk becomes Freshdesk objects (the data model of ``docs/freshdesk.md``).

Pure functions from :mod:`cemigrate.schema` records to the JSON Freshdesk API v2 sends. The
backend (:mod:`~cemigrate.sandbox.freshdesk.models`) calls them once at seeding for the small
objects (companies, contacts, agents, groups, fields, SLA policies, rules, ratings) and on
demand for tickets and conversations, so a desk of 35,000 tickets costs little more than the
generator itself. Every choice is listed in ``README.md`` beside this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from cemigrate.sandbox.dataset import SUPPORT_DOMAIN, add_business
from cemigrate.schema import (
    Attachment,
    Brand,
    Channel,
    Comment,
    FieldDef,
    FieldType,
    Group,
    GroupMembership,
    Organization,
    OrganizationMembership,
    Priority,
    Role,
    Rule,
    RuleKind,
    SatisfactionRating,
    SatisfactionScore,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    Status,
    Ticket,
    TicketMetrics,
    TicketType,
    User,
)

__all__ = [
    "ACCOUNT_ADMIN_ROLE",
    "ADMIN_ROLE",
    "AGENT_ROLE",
    "ATTACHMENT_PATH",
    "BASE",
    "CHANNEL_SOURCES",
    "FIELD_TYPES",
    "PRIORITY_CODES",
    "PRIORITY_NAMES",
    "ROLES",
    "SOURCE_CODES",
    "SOURCE_NAMES",
    "STATUS_CODES",
    "STATUS_NAMES",
    "TICKET_SCOPES",
    "TICKET_TYPE_KEY",
    "TYPE_NAMES",
    "Json",
    "agent_json",
    "attachment_json",
    "automation_rules",
    "company_json",
    "contact_json",
    "conversation_json",
    "custom_field_name",
    "custom_values",
    "default_object_fields",
    "default_ticket_fields",
    "field_json",
    "field_value",
    "group_json",
    "iso",
    "parse_time",
    "product_json",
    "rating_json",
    "sla_dates",
    "sla_policy_json",
    "source_code",
    "ticket_json",
    "ticket_stats",
    "ticket_type_name",
]

Json = dict[str, Any]

BASE: Final = "https://freshdesk.sandbox.invalid"
"""Placeholder host in stored URLs, replaced by the request's own scheme and host on output."""
ATTACHMENT_PATH: Final = "/data/helpdesk/attachments/production"
"""Where attachment bytes are served (the path of Freshdesk's CDN URLs, on the sandbox host)."""

STATUS_CODES: Final[Mapping[Status, int]] = {
    Status.NEW: 2,
    Status.OPEN: 2,
    Status.PENDING: 3,
    Status.HOLD: 6,
    Status.SOLVED: 4,
    Status.CLOSED: 5,
}
"""Schema status → Freshdesk status code (6 is the custom status "Waiting on third party")."""
STATUS_NAMES: Final[Mapping[int, str]] = {
    2: "Open",
    3: "Pending",
    4: "Resolved",
    5: "Closed",
    6: "Waiting on third party",
}
"""The account's statuses, as the status ticket field lists them."""
PRIORITY_CODES: Final[Mapping[Priority, int]] = {
    Priority.LOW: 1,
    Priority.NORMAL: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}
"""Schema priority → Freshdesk priority code."""
PRIORITY_NAMES: Final[Mapping[int, str]] = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
"""Freshdesk's priority names."""
CHANNEL_SOURCES: Final[Mapping[Channel, int]] = {
    Channel.EMAIL: 1,
    Channel.WEB: 2,
    Channel.PHONE: 3,
    Channel.CHAT: 7,
    Channel.API: 2,
    Channel.SOCIAL: 5,
    Channel.OTHER: 9,
}
"""Schema channel → ticket ``source`` (api has no code of its own: Portal)."""
SOURCE_NAMES: Final[Mapping[int, str]] = {
    1: "Email",
    2: "Portal",
    3: "Phone",
    4: "Forum",
    5: "Twitter",
    6: "Facebook",
    7: "Chat",
    8: "MobiHelp",
    9: "Feedback Widget",
    10: "Outbound Email",
    11: "Ecommerce",
    12: "Bot",
    13: "Whatsapp",
}
"""Ticket sources this account knows: the choices of its default ``source`` ticket field, as a
real account's ``GET /api/v2/ticket_fields`` lists them (recorded in Airbyte's Freshdesk
connector test data, ``integration_tests/expected_records.jsonl``; the API reference's ticket
section names 1-3, 7, 9 and 10, older accounts hold the others)."""
SOURCE_CODES: Final[Mapping[str, int]] = {name: code for code, name in SOURCE_NAMES.items()}
"""Source name → code (the ``source`` field's ``choices`` object)."""
TICKET_TYPE_KEY: Final = "ticket_type"
"""The key of the desk's ticket field that holds a ticket's type by name (the account's own
types included): on Freshdesk it is the default ``ticket_type`` field, not a custom one."""
TYPE_NAMES: Final[Mapping[TicketType, str]] = {
    TicketType.QUESTION: "Question",
    TicketType.INCIDENT: "Incident",
    TicketType.PROBLEM: "Problem",
    TicketType.TASK: "Task",
}
"""Schema ticket type → the ``type`` dropdown's choice."""
FIELD_TYPES: Final[Mapping[FieldType, str]] = {
    FieldType.TEXT: "custom_text",
    FieldType.TEXTAREA: "custom_paragraph",
    FieldType.INTEGER: "custom_number",
    FieldType.DECIMAL: "custom_decimal",
    FieldType.CHECKBOX: "custom_checkbox",
    FieldType.DATE: "custom_date",
    FieldType.DROPDOWN: "custom_dropdown",
    FieldType.MULTISELECT: "custom_multi_select_dropdown",
    FieldType.REGEXP: "custom_text",
    FieldType.LOOKUP: "custom_text",
}
"""Schema field type → Freshdesk custom field type (a lookup holds the source's id as text)."""
ROLES: Final[tuple[tuple[int, str, str], ...]] = (
    (367_000_000_001, "Account Administrator", "Has complete control over the help desk."),
    (
        367_000_000_002,
        "Administrator",
        "Can configure all features through the Admin tab, but is restricted from viewing"
        " Account or Billing related information.",
    ),
    (
        367_000_000_003,
        "Supervisor",
        "Can perform all agent related activities and access reports.",
    ),
    (
        367_000_000_004,
        "Agent",
        "Can log, view, reply, update and resolve tickets and manage contacts.",
    ),
)
"""The roles every Freshdesk account has: id, name, description."""
ACCOUNT_ADMIN_ROLE, ADMIN_ROLE, AGENT_ROLE = ROLES[0][0], ROLES[1][0], ROLES[3][0]
"""Ids of the roles agents are seeded with (the owner, other admins, agents)."""

_SUPPORT_FROM: Final = f"Support <support@{SUPPORT_DOMAIN}>"
_CONFIG_TIME: Final = "2023-01-05T09:00:00Z"


def iso(moment: datetime | None) -> str | None:
    """Freshdesk's timestamp format: ``2016-02-13T23:27:49Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime | None:
    """Read a date or time in one of the formats the API accepts (``None`` if it is none)."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00"
    text = text.replace("Z", "+00:00").replace(" ", "+")
    match = re.fullmatch(r"(.*[+-])(\d{2})(\d{2})?", text)
    if match and "T" in match.group(1):  # ±hh and ±hhmm offsets
        text = f"{match.group(1)}{match.group(2)}:{match.group(3) or '00'}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _ref_id(ref: Any) -> int | None:
    return None if ref is None else int(ref.id)


def custom_field_name(field: FieldDef) -> str:
    """The Freshdesk name of a seeded custom field: ``cf_<key>`` on tickets, ``<key>`` elsewhere."""
    return f"cf_{field.key}" if field.object.value == "ticket" else field.key


def field_value(field: FieldDef, value: Any) -> Any:
    """A custom field value as Freshdesk shows it (a list for a multiselect)."""
    if value is None:
        return None
    if field.type is FieldType.MULTISELECT:
        return list(value) if isinstance(value, tuple | list) else [value]
    if field.type is FieldType.INTEGER and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def custom_values(fields: Sequence[FieldDef], values: Mapping[str, Any]) -> Json:
    """A record's ``custom_fields``: every field of its object, ``null`` when unset."""
    return {custom_field_name(f): field_value(f, values.get(f.key)) for f in fields}


def field_json(field: FieldDef, position: int) -> Json:
    """A seeded custom field as ``/ticket_fields`` (or contact/company fields) lists it."""
    out: Json = {
        "id": int(field.id),
        "name": custom_field_name(field),
        "label": field.title,
        "description": field.description,
        "position": position,
        "type": FIELD_TYPES[field.type],
        "default": False,
        "required_for_closure": False,
        "required_for_agents": field.required,
        "required_for_customers": False,
        "label_for_customers": field.title,
        "customers_can_edit": True,
        "displayed_to_customers": True,
        "created_at": iso(field.created_at),
        "updated_at": iso(field.updated_at),
    }
    if field.type in (FieldType.DROPDOWN, FieldType.MULTISELECT):
        # Freshdesk keeps one string per choice: the option's value (its name is not kept)
        out["choices"] = [option.value for option in field.options]
    return out


def company_json(org: Organization, fields: Sequence[FieldDef]) -> Json:
    """An organization as a Freshdesk company."""
    return {
        "id": int(org.id),
        "name": org.name,
        "description": org.details or None,
        "note": org.notes or None,
        "domains": list(org.domains),
        "custom_fields": custom_values(fields, org.custom_fields),
        "health_score": None,
        "account_tier": None,
        "renewal_date": None,
        "industry": None,
        "created_at": iso(org.created_at),
        "updated_at": iso(org.updated_at),
    }


def contact_json(
    user: User,
    fields: Sequence[FieldDef],
    memberships: Sequence[OrganizationMembership] = (),
) -> Json:
    """An end user as a Freshdesk contact, as ``GET /api/v2/contacts/{id}`` shows it (blocked
    when suspended, deleted when deleted; the list leaves some keys out: see
    ``FreshdeskResponses.list_contacts``). ``memberships`` are the user's organization
    memberships: those other than the user's organization become ``other_companies``.
    ``phone`` is the user's phone and ``mobile`` the first other phone identity (a user with a
    phone identity and no phone has only a mobile); ``unique_external_id`` the user's external
    id. E-mails past the 9 other e-mails Freshdesk holds, phones past ``phone`` and
    ``mobile``, are not seeded (Freshdesk has no place)."""
    phones = [
        i.value for i in user.identities if i.type == "phone_number" and i.value != user.phone
    ]
    default = _ref_id(user.organization)
    others = [
        {"company_id": int(m.organization.id), "view_all_tickets": m.view_tickets}
        for m in memberships
        if int(m.organization.id) != default
    ]
    address = getattr(user, "address", None)  # a User attribute newer than this module
    out: Json = {
        "active": not user.deleted,
        "address": address or None,
        "avatar": None,
        "company_id": default,
        "view_all_tickets": any(
            m.view_tickets for m in memberships if int(m.organization.id) == default
        ),
        "description": user.details or None,
        "email": user.email,
        "id": int(user.id),
        "job_title": None,
        "language": user.locale,
        "mobile": phones[0] if phones else None,
        "name": user.name,
        "phone": user.phone,
        "time_zone": user.time_zone,
        "twitter_id": next((i.value for i in user.identities if i.type == "twitter"), None),
        "facebook_id": None,
        "other_emails": [
            i.value for i in user.identities if i.type == "email" and i.value != user.email
        ][:9],
        "other_companies": others[:299] if default is not None else [],
        "tags": list(user.tags),
        "unique_external_id": user.external_id or None,
        "custom_fields": custom_values(fields, user.custom_fields),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
    }
    if user.suspended:
        out["blocked"] = True
        out["blocked_at"] = iso(user.updated_at)
    if user.deleted:
        out["deleted"] = True
    return out


TICKET_SCOPES: Final[Mapping[str | None, int]] = {
    None: 1,
    "groups": 2,
    "organization": 2,
    "assigned": 3,
    "requested": 3,
}
"""``User.ticket_restriction`` → ``ticket_scope``: 1 global access, 2 the agent's groups'
tickets, 3 only the tickets assigned to the agent (API reference, Agents: ``ticket_scope``)."""


def agent_json(user: User, group_ids: Sequence[int], *, owner: bool = False) -> Json:
    """An agent or admin as ``GET /api/v2/agents/{id}`` shows it, with its embedded contact
    (the list leaves ``role_ids``, ``group_ids`` and ``skill_ids`` out). ``type`` and
    ``occasional`` are the user's agent type and occasional flag where the desk has them
    (``support_agent``, full time, otherwise); ``ticket_scope`` follows the ticket restriction;
    ``signature`` is the user's, verbatim."""
    if user.role is Role.ADMIN:
        role_ids = [ACCOUNT_ADMIN_ROLE if owner else ADMIN_ROLE]
    else:
        role_ids = [AGENT_ROLE]
    # User attributes newer than this module: read where the desk has them
    agent_type = getattr(user, "agent_type", None) or "support_agent"
    occasional = bool(getattr(user, "occasional", None))
    return {
        "available": not (user.suspended or user.deleted),
        "occasional": occasional,
        "signature": user.signature or None,
        "id": int(user.id),
        "ticket_scope": TICKET_SCOPES.get(user.ticket_restriction, 1),
        "type": agent_type,
        "group_ids": list(group_ids),
        "role_ids": role_ids,
        "skill_ids": [],
        "available_since": None,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "last_active_at": None,
        "contact": {
            "active": not (user.suspended or user.deleted),
            "email": user.email,
            "job_title": None,
            "language": user.locale,
            "last_login_at": None,
            "mobile": None,
            "name": user.name,
            "phone": user.phone,
            "time_zone": user.time_zone,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.updated_at),
        },
    }


def group_json(group: Group, memberships: Iterable[GroupMembership]) -> Json:
    """A group as ``GET /api/v2/groups/{id}`` shows it: its members in ``agent_ids`` (the list
    leaves them out) and ``auto_ticket_assign`` an integer, 0 or 1, as real group answers carry
    it (Airbyte's recorded ``groups`` stream)."""
    return {
        "id": int(group.id),
        "name": group.name,
        "description": group.description,
        "business_hour_id": None,
        "escalate_to": None,
        "unassigned_for": None,
        "agent_ids": sorted(int(m.user.id) for m in memberships if m.group.id == group.id),
        "auto_ticket_assign": 0,
        "group_type": "support_agent_group",
        "created_at": iso(group.created_at),
        "updated_at": iso(group.updated_at),
    }


def sla_policy_json(policy: SlaPolicy, *, company_ids: Sequence[int]) -> Json:
    """An SLA policy: targets per priority in seconds; the unconditional one is the default.
    ``applicable_to`` holds only the conditions a policy has (a real answer leaves the others
    out: ``company_ids``, ``group_ids``, ``product_ids``, ``sources``, ``ticket_types``)."""
    targets: dict[str, Json] = {}
    for priority, code in PRIORITY_CODES.items():
        by_metric = {t.metric: t for t in policy.targets if t.priority is priority}
        first = by_metric.get(SlaMetric.FIRST_REPLY_TIME)
        following = by_metric.get(SlaMetric.NEXT_REPLY_TIME)
        resolution = by_metric.get(SlaMetric.RESOLUTION_TIME)
        if first is None and resolution is None:
            continue
        business = resolution.business_hours if resolution else bool(first and first.business_hours)
        targets[f"priority_{code}"] = {
            "respond_within": first.minutes * 60 if first else None,
            "next_respond_within": following.minutes * 60 if following else None,
            "resolve_within": resolution.minutes * 60 if resolution else None,
            "business_hours": business,
            "escalation_enabled": True,
        }
    conditional = bool((policy.raw.get("filter") or {}).get("all"))  # type: ignore[union-attr]
    return {
        "id": int(policy.id),
        "name": policy.title,
        "description": policy.description,
        "active": policy.active,
        "is_default": not conditional,
        "position": policy.position,
        "sla_target": targets,
        "applicable_to": (
            {"company_ids": list(company_ids)} if conditional and company_ids else {}
        ),
        # The shape of a real policy (Airbyte's recorded ``sla_policies`` stream): reminders,
        # the response escalation and up to three resolution levels; the default policy has
        # none. Agent -1 is the ticket's assigned agent.
        "escalation": (
            {
                "reminder_response": {},
                "reminder_resolution": {},
                "reminder_next_response": {},
                "response": {"escalation_time": 1800, "agent_ids": [-1]},
                "next_response": {},
                "resolution": {
                    "level_1": {"escalation_time": 1800, "agent_ids": [-1]},
                    "level_2": {"escalation_time": 3600, "agent_ids": [-1]},
                    "level_3": {"escalation_time": 7200, "agent_ids": [-1]},
                },
            }
            if conditional
            else {}
        ),
        "created_at": iso(policy.created_at),
        "updated_at": iso(policy.updated_at),
    }


# -- tickets --------------------------------------------------------------------------------


def attachment_json(attachment: Attachment, created: datetime) -> Json:
    """An attachment of a ticket or conversation; ``attachment_url`` serves its bytes."""
    name = quote(attachment.file_name)
    return {
        "id": int(attachment.id),
        "content_type": attachment.content_type,
        "file_size": attachment.size,
        "name": attachment.file_name,
        "attachment_url": f"{BASE}{ATTACHMENT_PATH}/{attachment.id}/original/{name}",
        "created_at": iso(created),
        "updated_at": iso(created),
    }


def _roles(users: Mapping[str, User], ref: Any) -> Role | None:
    user = None if ref is None else users.get(ref.id)
    return None if user is None else user.role


def conversation_json(
    comment: Comment,
    ticket_id: int,
    *,
    users: Mapping[str, User],
    requester_email: str | None,
    fallback_user: int,
) -> Json:
    """A later comment as a conversation: private note, agent reply or incoming reply, with
    the keys a real ``GET /tickets/{id}/conversations`` answer carries (Airbyte's recorded
    ``conversations`` stream: ``category``, ``auto_response``, ``thread_id``,
    ``thread_message_id``, ``source_additional_info``, ``automation_id`` ...)."""
    role = _roles(users, comment.author)
    author = users.get(comment.author.id) if comment.author else None
    agent = role in (Role.AGENT, Role.ADMIN)
    incoming = comment.public and not agent and author is not None
    to_emails: list[str] = []
    if not comment.public:
        source, from_email = 2, None
    elif incoming:
        source, from_email = 0, author.email if author else None
    else:
        source, from_email = 0, _SUPPORT_FROM
        to_emails = [requester_email] if requester_email else []
    stamp = iso(comment.created_at)
    # category: Freshdesk's note categories (1 a customer's response, 2 an agent's private
    # note, 3 an agent's public reply), as real conversation answers carry them
    category = 2 if not comment.public else 1 if incoming else 3
    return {
        "body": comment.body_html,
        "body_text": comment.body_plain,
        "id": int(comment.id),
        "incoming": incoming,
        "private": not comment.public,
        "user_id": int(comment.author.id) if comment.author else fallback_user,
        "support_email": None if incoming or not comment.public else f"support@{SUPPORT_DOMAIN}",
        "source": source,
        "category": category,
        "ticket_id": ticket_id,
        "to_emails": to_emails,
        "from_email": from_email,
        "cc_emails": [],
        "bcc_emails": None,
        "email_failure_count": None,
        "outgoing_failures": None,
        "thread_id": None,
        "thread_message_id": None,
        "attachments": [attachment_json(a, comment.created_at) for a in comment.attachments],
        "automation_id": None,
        "automation_type_id": None,
        "auto_response": False,
        "source_additional_info": None,
        "last_edited_at": None,
        "last_edited_user_id": None,
        "created_at": stamp,
        "updated_at": stamp,
    }


def ticket_stats(ticket: Ticket, metrics: TicketMetrics | None, users: Mapping[str, User]) -> Json:
    """``include=stats``: response and status times derived from the comments and metrics."""
    agent_times = [
        c.created_at
        for c in ticket.comments[1:]
        if c.public and _roles(users, c.author) in (Role.AGENT, Role.ADMIN)
    ]
    requester_times = [
        c.created_at
        for c in ticket.comments[1:]
        if c.public and _roles(users, c.author) is Role.END_USER
    ]
    first = agent_times[0] if agent_times else None
    if first is None and metrics is not None and metrics.first_reply.calendar is not None:
        first = ticket.created_at + timedelta(minutes=metrics.first_reply.calendar)
    done = ticket.status in (Status.SOLVED, Status.CLOSED)
    resolved = (ticket.solved_at or ticket.updated_at) if done else None
    return {
        "agent_responded_at": iso(agent_times[-1]) if agent_times else None,
        "requester_responded_at": iso(requester_times[-1]) if requester_times else None,
        "first_responded_at": iso(first),
        "status_updated_at": iso(resolved or ticket.updated_at),
        "reopened_at": None,
        "resolved_at": iso(resolved),
        "closed_at": iso(ticket.updated_at) if ticket.status is Status.CLOSED else None,
        "pending_since": iso(ticket.updated_at) if ticket.status is Status.PENDING else None,
    }


def sla_dates(
    created: datetime, events: Sequence[SlaEvent], fallback: Mapping[str, Json] | None, code: int
) -> Json:
    """``fr_due_by``, ``due_by``, ``nr_due_by`` and the escalation flags from SLA events.

    A deadline is the last ``apply`` of its metric plus the target (in business hours when
    the target says so); a ``breach`` sets the flag. Without events (a ticket created through
    the API) the deadlines come from the default policy's targets for the priority.
    """
    due: dict[SlaMetric, datetime] = {}
    breached: set[SlaMetric] = set()
    for event in events:
        if event.kind is SlaEventKind.APPLY and event.target_minutes is not None:
            start = int(event.time.timestamp())
            seconds = event.target_minutes * 60
            end = add_business(start, seconds) if event.business_hours else start + seconds
            due[event.metric] = datetime.fromtimestamp(end, UTC)
        elif event.kind is SlaEventKind.BREACH:
            breached.add(event.metric)
    if not events and fallback is not None:
        target = fallback.get(f"priority_{code}") or {}
        start = int(created.timestamp())
        for metric, key in (
            (SlaMetric.FIRST_REPLY_TIME, "respond_within"),
            (SlaMetric.RESOLUTION_TIME, "resolve_within"),
        ):
            if target.get(key):
                seconds = int(target[key])
                end = (
                    add_business(start, seconds)
                    if target.get("business_hours")
                    else start + seconds
                )
                due[metric] = datetime.fromtimestamp(end, UTC)
    return {
        "due_by": iso(due.get(SlaMetric.RESOLUTION_TIME)),
        "fr_due_by": iso(due.get(SlaMetric.FIRST_REPLY_TIME)),
        "fr_escalated": SlaMetric.FIRST_REPLY_TIME in breached,
        "is_escalated": bool(breached),
        "nr_due_by": iso(due.get(SlaMetric.NEXT_REPLY_TIME)),
        "nr_escalated": SlaMetric.NEXT_REPLY_TIME in breached,
    }


def ticket_type_name(ticket: Ticket) -> str | None:
    """The ticket's ``type``: the value of the desk's ``ticket_type`` field (an account's own
    type, "Feature Request"), else the schema type's name."""
    named = ticket.custom_fields.get(TICKET_TYPE_KEY)
    if isinstance(named, str) and named:
        return named
    return TYPE_NAMES[ticket.type] if ticket.type else None


def source_code(ticket: Ticket) -> int:
    """The ticket's ``source``: the code the desk's ``via`` names for Freshdesk
    (``{"freshdesk": {"source": 12, "source_name": "Bot"}}``), else the channel's."""
    given = ticket.via.get("freshdesk")
    if isinstance(given, Mapping):
        code = given.get("source")
        if isinstance(code, int) and not isinstance(code, bool):
            return code
    return CHANNEL_SOURCES[ticket.channel]


def product_json(brand: Brand) -> Json:
    """A brand as a Freshdesk product (``GET /api/v2/products``: id, name, description, times;
    the shape of Airbyte's ``products`` stream schema)."""
    return {
        "id": int(brand.id),
        "name": brand.name,
        "description": None,
        "created_at": iso(brand.created_at),
        "updated_at": iso(brand.updated_at),
    }


def ticket_json(
    ticket: Ticket,
    *,
    fields: Sequence[FieldDef],
    users: Mapping[str, User],
    events: Sequence[SlaEvent],
    fallback_sla: Mapping[str, Json] | None,
) -> Json:
    """A ticket as ``GET /api/v2/tickets/{id}`` answers it, without embeds.

    The first comment is the description (with its attachments); the others are conversations.
    ``fields`` are the ticket's custom fields (not the ``ticket_type`` one: its value is the
    ticket's ``type``); the brand is the ``product_id``, the recipient the ``support_email``.
    The keys are those of real ticket answers (``ticket_bcc_emails``, ``structured_description``,
    ``associated_tickets_count``, ``internal_agent_id`` ... as recorded by public clients).
    """
    first = ticket.comments[0] if ticket.comments else None
    if first is not None:
        description, text = first.body_html, first.body_plain
        attachments = [attachment_json(a, first.created_at) for a in first.attachments]
    else:
        description = f"<div>{html.escape(ticket.description)}</div>" if ticket.description else ""
        text, attachments = ticket.description, []
    priority = PRIORITY_CODES[ticket.priority] if ticket.priority else 1
    cc = [users[r.id].email for r in ticket.ccs if r.id in users and users[r.id].email]
    out: Json = {
        "cc_emails": cc,
        "fwd_emails": [],
        "reply_cc_emails": list(cc),
        "ticket_cc_emails": list(cc),
        "ticket_bcc_emails": [],
        "email_config_id": None,
        "fr_escalated": False,
        "group_id": _ref_id(ticket.group),
        "priority": priority,
        "requester_id": _ref_id(ticket.requester),
        "responder_id": _ref_id(ticket.assignee),
        "source": source_code(ticket),
        "spam": False,
        "status": STATUS_CODES[ticket.status],
        "subject": ticket.subject,
        "type": ticket_type_name(ticket),
        "company_id": _ref_id(ticket.organization),
        "id": int(ticket.id),
        "to_emails": None,
        "product_id": _ref_id(ticket.brand),
        "association_type": None,
        "associated_tickets_count": None,
        "internal_agent_id": None,
        "internal_group_id": None,
        "support_email": ticket.recipient,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "due_by": None,
        "fr_due_by": None,
        "is_escalated": False,
        "nr_due_by": None,
        "nr_escalated": False,
        "description": description,
        "description_text": text,
        "structured_description": None,
        "custom_fields": custom_values(fields, ticket.custom_fields),
        "tags": list(ticket.tags),
        "attachments": attachments,
    }
    out.update(sla_dates(ticket.created_at, events, fallback_sla, priority))
    if ticket.deleted:
        out["deleted"] = True
    return out


def rating_json(rating: SatisfactionRating) -> Json | None:
    """A satisfaction rating (good 103, bad -103); an offered survey has no answer yet."""
    if rating.score is SatisfactionScore.OFFERED:
        return None
    value = 103 if rating.score is SatisfactionScore.GOOD else -103
    return {
        "id": int(rating.id),
        "survey_id": 1,
        "user_id": _ref_id(rating.requester),
        "agent_id": _ref_id(rating.assignee),
        "feedback": rating.comment or None,
        "group_id": _ref_id(rating.group),
        "ticket_id": int(rating.ticket.id),
        "ratings": {"default_question": value},
        "created_at": iso(rating.created_at),
        "updated_at": iso(rating.updated_at),
    }


# -- automation rules ---------------------------------------------------------------------

_CONDITION_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "group_id": "group_id",
    "assignee_id": "responder_id",
    "organization_id": "company_id",
    "current_tags": "tags",
    "ticket_type_id": "ticket_type",
    "type": "ticket_type",
}
_OPERATORS: Final[Mapping[str, str]] = {
    "is": "is",
    "is_not": "is_not",
    "includes": "contains",
    "not_includes": "does_not_contain",
    "greater_than": "greater_than",
    "less_than": "less_than",
    "changed": "changed",
}
_CODE_VALUES: Final[Mapping[str, Mapping[str, int]]] = {
    "status": {s.value: code for s, code in STATUS_CODES.items()},
    "priority": {p.value: code for p, code in PRIORITY_CODES.items()},
}


def _rule_field(field: str, custom: Mapping[str, str]) -> str:
    if field.startswith("custom_fields_"):
        return custom.get(field.removeprefix("custom_fields_"), field)
    return _CONDITION_FIELDS.get(field, field)


def _rule_value(field: str, value: Any) -> Any:
    codes = _CODE_VALUES.get(field)
    if codes is not None and isinstance(value, str) and value in codes:
        return codes[value]
    if field in ("group_id", "responder_id", "company_id") and isinstance(value, str):
        return int(value) if value.isdigit() else value
    return value


def _conditions(raw: Any, custom: Mapping[str, str]) -> list[Json]:
    properties = []
    for condition in raw if isinstance(raw, list) else []:
        field = str(condition.get("field"))
        if field == "update_type":
            continue  # carried by the rule's type (creation or update)
        name = _rule_field(field, custom)
        prop: Json = {
            "resource_type": "ticket",
            "field_name": name,
            "operator": _OPERATORS.get(str(condition.get("operator")), condition.get("operator")),
        }
        if "value" in condition:
            prop["value"] = _rule_value(name, condition["value"])
        properties.append(prop)
    return properties


def _actions(raw: Any, custom: Mapping[str, str]) -> list[Json]:
    out: list[Json] = []
    for action in raw if isinstance(raw, list) else []:
        field = str(action.get("field"))
        value = action.get("value")
        if field.startswith("notification_"):
            target = value[0] if isinstance(value, list) and value else None
            subject = value[1] if isinstance(value, list) and len(value) > 1 else ""
            body = value[2] if isinstance(value, list) and len(value) > 2 else ""
            kind = (
                "send_email_to_group"
                if field == "notification_group"
                else (
                    "send_email_to_requester"
                    if target in ("requester_id", "requester_and_ccs")
                    else "send_email_to_agent"
                )
            )
            out.append({"field_name": kind, "email_subject": subject, "email_body": body})
        elif field == "current_tags":
            out.append({"field_name": "add_tag", "value": str(value).split()})
        else:
            name = _rule_field(field, custom)
            out.append({"field_name": name, "value": _rule_value(name, value)})
    return out


def automation_rules(rules: Sequence[Rule], fields: Sequence[FieldDef]) -> dict[int, list[Json]]:
    """The dataset's rules that have a Freshdesk kind, by automation type (1, 3, 4).

    Triggers that act on creation become ticket-creation rules (type 1, Dispatch'r), other
    triggers ticket-update rules (type 4, Observer), time-based automations hourly rules
    (type 3, Supervisor). Macros and views have no automation type and are left out.
    """
    custom = {f.id: custom_field_name(f) for f in fields}
    out: dict[int, list[Json]] = {1: [], 3: [], 4: []}
    for rule in rules:
        raw = rule.raw
        conditions = raw.get("conditions") if isinstance(raw.get("conditions"), dict) else {}
        assert isinstance(conditions, dict)
        every = conditions.get("all") or []
        assert isinstance(every, list)
        if rule.kind is RuleKind.TRIGGER:
            creates = any(
                c.get("field") == "update_type" and c.get("value") == "Create"
                for c in every
                if isinstance(c, dict)
            )
            kind = 1 if creates else 4
        elif rule.kind is RuleKind.AUTOMATION:
            kind = 3
        elif rule.kind in (RuleKind.DISPATCHER, RuleKind.SUPERVISOR, RuleKind.OBSERVER):
            kind = {RuleKind.DISPATCHER: 1, RuleKind.SUPERVISOR: 3, RuleKind.OBSERVER: 4}[rule.kind]
        else:
            continue
        condition_sets = [
            {
                "name": "condition_set_1",
                "match_type": "all",
                "properties": _conditions(every, custom),
            }
        ]
        if conditions.get("any"):
            condition_sets.append(
                {
                    "name": "condition_set_2",
                    "match_type": "any",
                    "properties": _conditions(conditions.get("any"), custom),
                }
            )
        item: Json = {
            "id": int(rule.id),
            "name": rule.title,
            "position": len(out[kind]) + 1,
            "active": rule.active,
            "automation_type_id": kind,
            "conditions": condition_sets,
            "operator": "condition_set_1 and condition_set_2" if len(condition_sets) > 1 else None,
            "actions": _actions(raw.get("actions"), custom),
            "outdated": False,
            "last_updated_by": None,
            "summary": {},
            "created_at": iso(rule.created_at),
            "updated_at": iso(rule.updated_at),
        }
        if kind == 4:
            item["performer"] = {"type": 4}
            item["events"] = [{"field_name": "ticket_action", "value": "update"}]
        out[kind].append(item)
    return out


def default_ticket_fields(
    types: Sequence[str] = tuple(TYPE_NAMES.values()), products: Mapping[str, int] | None = None
) -> list[Json]:
    """Freshdesk's own ticket fields: requester, subject, type, source, status, ...

    ``types`` are the account's ticket types, its own ones included: the ``ticket_type``
    field's ``choices`` (a list of names); ``source`` lists every source code by name and,
    when the account has ``products``, a ``product`` field lists them by name (``{name: id}``),
    as a real account's ``GET /api/v2/ticket_fields`` does (Airbyte's recorded
    ``ticket_fields`` stream)."""
    specs: list[tuple[str, str, str, Any]] = [
        ("requester", "Search a requester", "default_requester", None),
        ("subject", "Subject", "default_subject", None),
        ("ticket_type", "Type", "default_ticket_type", list(types)),
        ("source", "Source", "default_source", {n: c for c, n in SOURCE_NAMES.items()}),
        (
            "status",
            "Status",
            "default_status",
            {str(code): [name, name] for code, name in STATUS_NAMES.items()},
        ),
        ("priority", "Priority", "default_priority", {n: c for c, n in PRIORITY_NAMES.items()}),
        ("group", "Group", "default_group", {}),
        ("agent", "Agent", "default_agent", {}),
        ("company", "Company", "default_company", None),
        ("description", "Description", "default_description", None),
    ]
    if products:
        specs.append(("product", "Product", "default_product", dict(products)))
    out = []
    for position, (name, label, kind, choices) in enumerate(specs, start=1):
        field: Json = {
            "id": 364_000_000_000 + position,
            "name": name,
            "label": label,
            "description": label,
            "position": position,
            "type": kind,
            "default": True,
            "required_for_closure": False,
            "required_for_agents": name in ("requester", "subject", "status", "priority"),
            "required_for_customers": name in ("requester", "subject"),
            "label_for_customers": label,
            "customers_can_edit": True,
            "displayed_to_customers": True,
            "created_at": _CONFIG_TIME,
            "updated_at": _CONFIG_TIME,
        }
        if name == "requester":
            field["portal_cc"] = False
            field["portal_cc_to"] = "company"
        if choices is not None:
            field["choices"] = choices
        out.append(field)
    return out


def default_object_fields(kind: str) -> list[Json]:
    """Freshdesk's own contact or company fields."""
    if kind == "contact":
        names = [
            ("name", "Full name"),
            ("job_title", "Title"),
            ("email", "Email"),
            ("phone", "Work phone"),
            ("mobile", "Mobile phone"),
            ("twitter_id", "Twitter"),
            ("company_name", "Company"),
            ("address", "Address"),
            ("time_zone", "Time zone"),
            ("language", "Language"),
            ("tag_names", "Tags"),
            ("description", "About"),
            ("unique_external_id", "Unique external ID"),
        ]
    else:
        names = [
            ("name", "Company Name"),
            ("description", "Description"),
            ("note", "Notes"),
            ("domains", "Domains for this company"),
            ("health_score", "Health score"),
            ("account_tier", "Account tier"),
            ("renewal_date", "Renewal date"),
            ("industry", "Industry"),
        ]
    return [
        {
            "id": (365_500_000_000 if kind == "contact" else 365_600_000_000) + position,
            "name": name,
            "label": label,
            "position": position,
            "required_for_agents": name == "name",
            "type": f"default_{name}",
            "default": True,
            "customers_can_edit": kind == "contact",
            "label_for_customers": label,
            "required_for_customers": False,
            "displayed_for_customers": kind == "contact",
            "created_at": _CONFIG_TIME,
            "updated_at": _CONFIG_TIME,
        }
        for position, (name, label) in enumerate(names, start=1)
    ]
