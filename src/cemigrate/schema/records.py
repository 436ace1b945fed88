"""The records of a help desk, independent of any platform.

Records are frozen attrs classes. They refer to each other by *source* reference
(:class:`Ref`), never by target id, so a record can be mapped before its neighbours exist in
the target. Timestamps are timezone-aware and normalised to UTC; a naive datetime, a negative
size or an unknown enum value is rejected with a message naming the field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, TypeAlias

import attrs

from cemigrate.schema._checks import (
    as_member,
    aware,
    non_empty,
    non_negative,
    one_of,
    sha256_hex,
    to_optional_utc,
    to_plain_dict,
    to_str,
    to_tuple,
    to_utc,
)

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
"""A value as it appears in a platform's JSON (kept verbatim in raw payloads)."""

FieldValue: TypeAlias = "str | int | float | bool | tuple[str, ...] | None"
"""A custom field's value: text, number, checkbox, option value, or several option values."""

LINK_ONLY = "cemigrate.link_only"
"""Field metadata: references the copier links when it can, which the record does not need."""


class Kind(enum.StrEnum):
    """The kinds of record a migration moves, each a stream in the ledger, in plan order."""

    FIELD = "field"
    BRAND = "brand"
    SCHEDULE = "schedule"
    CUSTOM_STATUS = "custom_status"
    TICKET_FORM = "ticket_form"
    GROUP = "group"
    ORGANIZATION = "organization"
    USER = "user"
    GROUP_MEMBERSHIP = "group_membership"
    ORGANIZATION_MEMBERSHIP = "organization_membership"
    SLA_POLICY = "sla_policy"
    TICKET = "ticket"
    SLA_EVENT = "sla_event"
    TICKET_METRICS = "ticket_metrics"
    SATISFACTION_RATING = "satisfaction_rating"
    RULE = "rule"


PLAN_ORDER: tuple[Kind, ...] = tuple(Kind)
"""Dependency order: a kind is written only after every kind it can refer to. Custom fields
come first because organizations, users and tickets carry values of them and ticket forms list
them; brands, schedules, custom statuses and forms come before the tickets that name them;
groups come before the organizations and users whose default group they are."""


class Role(enum.StrEnum):
    """What a user may do; an end user must never become an agent."""

    END_USER = "end_user"
    AGENT = "agent"
    ADMIN = "admin"


class FieldObject(enum.StrEnum):
    """The record a custom field belongs to."""

    TICKET = "ticket"
    USER = "user"
    ORGANIZATION = "organization"


class FieldType(enum.StrEnum):
    """Custom field types every platform can express in some form."""

    TEXT = "text"
    TEXTAREA = "textarea"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CHECKBOX = "checkbox"
    DATE = "date"
    DROPDOWN = "dropdown"
    MULTISELECT = "multiselect"
    REGEXP = "regexp"
    LOOKUP = "lookup"
    """A reference to another record (a Salesforce lookup, a Zendesk lookup relationship):
    its values are the *source's* ids of records of the kind :attr:`FieldDef.references`
    names, translated through the ledger by whoever writes them."""


class Status(enum.StrEnum):
    """Ticket status in the common vocabulary (Zendesk's, which the others map onto)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    """Ticket priority."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketType(enum.StrEnum):
    """Ticket type."""

    QUESTION = "question"
    INCIDENT = "incident"
    PROBLEM = "problem"
    TASK = "task"


class Channel(enum.StrEnum):
    """How a ticket or comment arrived."""

    EMAIL = "email"
    WEB = "web"
    CHAT = "chat"
    PHONE = "phone"
    API = "api"
    SOCIAL = "social"
    OTHER = "other"


class SlaMetric(enum.StrEnum):
    """What an SLA target measures."""

    FIRST_REPLY_TIME = "first_reply_time"
    NEXT_REPLY_TIME = "next_reply_time"
    PERIODIC_UPDATE_TIME = "periodic_update_time"
    REQUESTER_WAIT_TIME = "requester_wait_time"
    AGENT_WORK_TIME = "agent_work_time"
    RESOLUTION_TIME = "resolution_time"


class SlaEventKind(enum.StrEnum):
    """One step in the life of an SLA metric on a ticket."""

    APPLY = "apply"
    ACTIVATE = "activate"
    PAUSE = "pause"
    FULFILL = "fulfill"
    BREACH = "breach"


class SatisfactionScore(enum.StrEnum):
    """A customer's satisfaction answer."""

    GOOD = "good"
    BAD = "bad"
    OFFERED = "offered"


class RuleKind(enum.StrEnum):
    """Business rules across the three platforms."""

    TRIGGER = "trigger"
    AUTOMATION = "automation"
    MACRO = "macro"
    VIEW = "view"
    SLA = "sla"
    ASSIGNMENT = "assignment"
    ESCALATION = "escalation"
    DISPATCHER = "dispatcher"
    OBSERVER = "observer"
    SUPERVISOR = "supervisor"
    FLOW = "flow"
    """A Salesforce record-triggered flow (where cemigrate writes rules into Salesforce)."""


# Named converters: the attrs mypy plugin accepts only named functions as converters.
def _to_kind(value: Kind | str) -> Kind:
    return as_member(Kind, value)


def _to_role(value: Role | str) -> Role:
    return as_member(Role, value)


def _to_fieldobject(value: FieldObject | str) -> FieldObject:
    return as_member(FieldObject, value)


def _to_fieldtype(value: FieldType | str) -> FieldType:
    return as_member(FieldType, value)


def _to_status(value: Status | str) -> Status:
    return as_member(Status, value)


def _to_priority(value: Priority | str) -> Priority:
    return as_member(Priority, value)


def _to_tickettype(value: TicketType | str) -> TicketType:
    return as_member(TicketType, value)


def _to_channel(value: Channel | str) -> Channel:
    return as_member(Channel, value)


def _to_slametric(value: SlaMetric | str) -> SlaMetric:
    return as_member(SlaMetric, value)


def _to_slaeventkind(value: SlaEventKind | str) -> SlaEventKind:
    return as_member(SlaEventKind, value)


def _to_satisfactionscore(value: SatisfactionScore | str) -> SatisfactionScore:
    return as_member(SatisfactionScore, value)


def _to_rulekind(value: RuleKind | str) -> RuleKind:
    return as_member(RuleKind, value)


def _to_optional_priority(value: Priority | str | None) -> Priority | None:
    return None if value is None else as_member(Priority, value)


def _to_optional_tickettype(value: TicketType | str | None) -> TicketType | None:
    return None if value is None else as_member(TicketType, value)


def _to_optional_kind(value: Kind | str | None) -> Kind | None:
    return None if value is None else as_member(Kind, value)


@attrs.frozen(kw_only=True)
class Ref:
    """A reference to another record of the same source instance, by its source id."""

    kind: Kind = attrs.field(converter=_to_kind, validator=one_of(Kind))
    id: str = attrs.field(converter=to_str, validator=non_empty)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@attrs.frozen(kw_only=True)
class Brand:
    """A brand: one of the account's support sites, with its own address and look."""

    KIND: ClassVar[Kind] = Kind.BRAND
    id: str = attrs.field(converter=to_str, validator=non_empty)
    name: str
    subdomain: str = attrs.field(default="")
    """The brand's own host name part on its platform (``acme-pay`` of acme-pay.zendesk.com)."""
    host_mapping: str = attrs.field(default="")
    """A custom domain the brand's help center answers on."""
    active: bool = attrs.field(default=True)
    default: bool = attrs.field(default=False)
    """The account's default brand: tickets without a brand belong to it."""
    signature_template: str = attrs.field(default="")
    """The signature added to agents' replies on this brand, in the source's template language;
    empty when the brand has none of its own (the platform's default: the agent's signature)."""
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class Interval:
    """Open hours within a week, in minutes from Sunday 00:00 in the schedule's time zone."""

    start: int = attrs.field(validator=non_negative)
    end: int = attrs.field(validator=non_negative)


@attrs.frozen(kw_only=True)
class Holiday:
    """A closed day or run of days of a schedule (dates inclusive, ``YYYY-MM-DD``)."""

    name: str
    start_date: str = attrs.field(validator=non_empty)
    end_date: str = attrs.field(validator=non_empty)
    id: str = ""


@attrs.frozen(kw_only=True)
class Schedule:
    """Business hours: the weekly open intervals and the holidays that SLA targets count in."""

    KIND: ClassVar[Kind] = Kind.SCHEDULE
    id: str = attrs.field(converter=to_str, validator=non_empty)
    name: str
    time_zone: str = attrs.field(default="UTC")
    """An IANA zone name (``Europe/Berlin``)."""
    intervals: tuple[Interval, ...] = attrs.field(factory=tuple, converter=to_tuple)
    holidays: tuple[Holiday, ...] = attrs.field(factory=tuple, converter=to_tuple)
    default: bool = attrs.field(default=False)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class CustomStatus:
    """An account's own ticket status, within one of the common status categories."""

    KIND: ClassVar[Kind] = Kind.CUSTOM_STATUS
    id: str = attrs.field(converter=to_str, validator=non_empty)
    category: Status = attrs.field(converter=_to_status, validator=one_of(Status))
    """The common status a ticket in this status has (never ``closed``)."""
    agent_label: str = attrs.field(validator=non_empty)
    end_user_label: str = attrs.field(default="")
    description: str = attrs.field(default="")
    end_user_description: str = attrs.field(default="")
    active: bool = attrs.field(default=True)
    default: bool = attrs.field(default=False)
    """The category's default status (the one a platform without custom statuses shows)."""
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class TicketForm:
    """A ticket form: which fields a ticket of a kind shows, in which order, on which brands."""

    KIND: ClassVar[Kind] = Kind.TICKET_FORM
    id: str = attrs.field(converter=to_str, validator=non_empty)
    name: str
    display_name: str = attrs.field(default="")
    """The name end users see."""
    fields: tuple[Ref, ...] = attrs.field(factory=tuple, converter=to_tuple)
    """The custom fields on the form, in order."""
    system_fields: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    """The platform's own fields on the form, by the schema's names (``subject``,
    ``description``, ``status``, ``priority``, ``type``, ``group``, ``assignee``)."""
    brands: tuple[Ref, ...] = attrs.field(factory=tuple, converter=to_tuple)
    """The brands it is offered on (empty with ``in_all_brands``)."""
    in_all_brands: bool = attrs.field(default=True)
    end_user_visible: bool = attrs.field(default=True)
    active: bool = attrs.field(default=True)
    default: bool = attrs.field(default=False)
    position: int = attrs.field(default=0, validator=non_negative)
    conditions: Mapping[str, JsonValue] = attrs.field(factory=dict, converter=to_plain_dict)
    """Conditional fields verbatim from the source (``agent_conditions`` and
    ``end_user_conditions``), keyed by the source's field ids."""
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class Organization:
    """A customer company."""

    KIND: ClassVar[Kind] = Kind.ORGANIZATION
    id: str = attrs.field(converter=to_str, validator=non_empty)
    name: str
    domains: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    details: str = attrs.field(default="")
    notes: str = attrs.field(default="")
    """Agents' notes about the company (private: never shown to end users)."""
    external_id: str | None = attrs.field(default=None)
    """The company's id in the customer's own systems."""
    group: Ref | None = attrs.field(default=None)
    """The group new tickets of this company go to."""
    shared_tickets: bool = attrs.field(default=False)
    """Members see each other's tickets."""
    shared_comments: bool = attrs.field(default=False)
    """Members may comment on each other's tickets."""
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    custom_fields: Mapping[str, FieldValue] = attrs.field(factory=dict, converter=to_plain_dict)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class Identity:
    """One way to reach a user (e-mail, phone, ...)."""

    type: str
    """``email``, ``phone_number``, ``twitter``, ``facebook``, ``google``, ... as the source
    names it."""
    value: str
    primary: bool = False
    verified: bool = False
    id: str = ""
    """The identity's own id in the source ("" when the source has none)."""


@attrs.frozen(kw_only=True)
class User:
    """A person: an end user (customer) or an agent or admin of the help desk."""

    KIND: ClassVar[Kind] = Kind.USER
    id: str = attrs.field(converter=to_str, validator=non_empty)
    name: str
    email: str | None = None
    role: Role = attrs.field(default=Role.END_USER, converter=_to_role, validator=one_of(Role))
    suspended: bool = attrs.field(default=False)
    deleted: bool = attrs.field(default=False)
    identities: tuple[Identity, ...] = attrs.field(factory=tuple, converter=to_tuple)
    organization: Ref | None = attrs.field(default=None)
    locale: str = attrs.field(default="en-US")
    time_zone: str = attrs.field(default="UTC")
    phone: str | None = attrs.field(default=None)
    external_id: str | None = attrs.field(default=None)
    """The person's id in the customer's own systems."""
    default_group: Ref | None = attrs.field(default=None)
    """An agent's default group."""
    custom_role: str | None = attrs.field(default=None)
    """The name of an agent's custom role (the role itself is the target's to define)."""
    ticket_restriction: str | None = attrs.field(default=None)
    """Which tickets an agent may see: ``organization``, ``groups``, ``assigned``,
    ``requested``, or None for all."""
    only_private_comments: bool = attrs.field(default=False)
    """An agent who may only add private notes."""
    alias: str = attrs.field(default="")
    """The name an agent shows to end users."""
    signature: str = attrs.field(default="")
    details: str = attrs.field(default="")
    notes: str = attrs.field(default="")
    """Agents' notes about the person (private)."""
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    custom_fields: Mapping[str, FieldValue] = attrs.field(factory=dict, converter=to_plain_dict)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    agent_type: str | None = attrs.field(default=None)
    """The kind of agent seat as the source names it (Freshdesk's ``support_agent``,
    ``field_agent``, ``collaborator``); None for end users and where the platform has one kind."""
    occasional: bool | None = attrs.field(default=None)
    """An agent who signs in now and then on a day pass (Freshdesk) rather than holding a
    full-time seat; None where the source does not say."""
    address: str | None = attrs.field(default=None)
    """The person's postal address as one text (Freshdesk's contact ``address``)."""


@attrs.frozen(kw_only=True)
class Group:
    """A team of agents (a Salesforce queue)."""

    KIND: ClassVar[Kind] = Kind.GROUP
    id: str = attrs.field(converter=to_str, validator=non_empty)
    name: str
    description: str = attrs.field(default="")
    public: bool = attrs.field(default=True)
    """Whether end users may see the group (a private group's tickets stay with its agents)."""
    deleted: bool = attrs.field(default=False)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class GroupMembership:
    """An agent's membership of a group."""

    KIND: ClassVar[Kind] = Kind.GROUP_MEMBERSHIP
    id: str = attrs.field(converter=to_str, validator=non_empty)
    user: Ref
    group: Ref
    default: bool = attrs.field(default=False)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class OrganizationMembership:
    """A user's membership of an organization (a user may belong to several)."""

    KIND: ClassVar[Kind] = Kind.ORGANIZATION_MEMBERSHIP
    id: str = attrs.field(converter=to_str, validator=non_empty)
    user: Ref
    organization: Ref
    default: bool = attrs.field(default=False)
    """The user's default organization (new tickets belong to it)."""
    view_tickets: bool = attrs.field(default=False)
    """The user may see the organization's tickets."""
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class FieldOption:
    """One choice of a dropdown or multiselect field; ``value`` is stable, ``name`` is shown."""

    name: str
    value: str = attrs.field(validator=non_empty)
    position: int = attrs.field(default=0, validator=non_negative)


@attrs.frozen(kw_only=True)
class FieldDef:
    """A custom field definition; ``key`` is its stable machine name."""

    KIND: ClassVar[Kind] = Kind.FIELD
    id: str = attrs.field(converter=to_str, validator=non_empty)
    object: FieldObject = attrs.field(converter=_to_fieldobject, validator=one_of(FieldObject))
    key: str = attrs.field(validator=non_empty)
    title: str
    type: FieldType = attrs.field(converter=_to_fieldtype, validator=one_of(FieldType))
    options: tuple[FieldOption, ...] = attrs.field(factory=tuple, converter=to_tuple)
    required: bool = attrs.field(default=False)
    active: bool = attrs.field(default=True)
    description: str = attrs.field(default="")
    position: int = attrs.field(default=0, validator=non_negative)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    references: Kind | None = attrs.field(
        default=None, converter=_to_optional_kind, validator=one_of(Kind, optional=True)
    )
    """For a :attr:`FieldType.LOOKUP` field, the kind of record its values name (a user, an
    organization, a ticket, a group). A lookup to an object the migration does not carry is
    read as a TEXT field holding the source's id instead, never as a lookup."""
    read_only: bool = attrs.field(default=False)
    """Computed by the platform (a formula, a roll-up summary, an auto-number): its values are
    read as they stood, but no target creates it as a field people or rules could write;
    without a mapping that gives it a ``type`` it is left out (and the dry run says so)."""
    formula: str = attrs.field(default="")
    """For a read-only field, how the source computes it (a Salesforce formula), as evidence."""


@attrs.frozen(kw_only=True)
class Attachment:
    """A file attached to a comment. The bytes stay in the source until they are streamed."""

    id: str = attrs.field(converter=to_str, validator=non_empty)
    file_name: str = attrs.field(validator=non_empty)
    content_type: str
    size: int = attrs.field(validator=non_negative)
    sha256: str | None = attrs.field(default=None, validator=sha256_hex)
    location: str = attrs.field(default="")
    """Where the source keeps the bytes (a URL or an opaque locator for ``open_attachment``)."""
    inline: bool = attrs.field(default=False)


@attrs.frozen(kw_only=True)
class Comment:
    """A public reply or a private note on a ticket."""

    id: str = attrs.field(converter=to_str, validator=non_empty)
    author: Ref | None
    public: bool
    body_html: str
    body_plain: str
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    channel: Channel = attrs.field(
        default=Channel.WEB, converter=_to_channel, validator=one_of(Channel)
    )
    attachments: tuple[Attachment, ...] = attrs.field(factory=tuple, converter=to_tuple)
    metadata: Mapping[str, JsonValue] = attrs.field(factory=dict, converter=to_plain_dict)
    """How the comment was made, verbatim from the source: the channel's details (``via``:
    from and to addresses, the API or mail client) and the system's record (IP address,
    location, client). Evidence for an account-security team and private data: a target
    writes it only where end users never see it (a private note, a restricted field)."""


@attrs.frozen(kw_only=True)
class Ticket:
    """A support case with its comments and their attachments."""

    KIND: ClassVar[Kind] = Kind.TICKET
    id: str = attrs.field(converter=to_str, validator=non_empty)
    subject: str
    description: str
    status: Status = attrs.field(converter=_to_status, validator=one_of(Status))
    created_at: datetime = attrs.field(converter=to_utc, validator=aware)
    updated_at: datetime = attrs.field(converter=to_utc, validator=aware)
    instance: str = attrs.field(default="")
    """The source instance the ticket came from (consolidation keeps it visible)."""
    priority: Priority | None = attrs.field(
        default=None,
        converter=_to_optional_priority,
        validator=one_of(Priority, optional=True),
    )
    type: TicketType | None = attrs.field(
        default=None,
        converter=_to_optional_tickettype,
        validator=one_of(TicketType, optional=True),
    )
    channel: Channel = attrs.field(
        default=Channel.WEB, converter=_to_channel, validator=one_of(Channel)
    )
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_tuple)
    custom_fields: Mapping[str, FieldValue] = attrs.field(factory=dict, converter=to_plain_dict)
    requester: Ref | None = attrs.field(default=None)
    submitter: Ref | None = attrs.field(default=None)
    assignee: Ref | None = attrs.field(default=None)
    group: Ref | None = attrs.field(default=None)
    organization: Ref | None = attrs.field(default=None)
    ccs: tuple[Ref, ...] = attrs.field(factory=tuple, converter=to_tuple)
    followers: tuple[Ref, ...] = attrs.field(factory=tuple, converter=to_tuple)
    solved_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    brand: Ref | None = attrs.field(default=None)
    """The brand (support site) the ticket belongs to."""
    form: Ref | None = attrs.field(default=None)
    """The ticket form the ticket was filed with."""
    custom_status: Ref | None = attrs.field(default=None)
    """The account's own status; ``status`` is its category."""
    recipient: str | None = attrs.field(default=None)
    """The support address the customer wrote to."""
    external_id: str | None = attrs.field(default=None)
    """The ticket's id in another system (an earlier migration, an integration), as the source
    holds it."""
    via: Mapping[str, JsonValue] = attrs.field(factory=dict, converter=to_plain_dict)
    """How the ticket arrived, verbatim from the source (channel, from and to addresses)."""
    due_at: datetime | None = attrs.field(default=None, converter=to_optional_utc, validator=aware)
    """A task's due date."""
    problem: Ref | None = attrs.field(default=None, metadata={LINK_ONLY: True})
    """The problem ticket an incident is linked to: linked when the target holds it, never
    needed to write the incident."""
    deleted: bool = attrs.field(default=False)
    comments: tuple[Comment, ...] = attrs.field(factory=tuple, converter=to_tuple)


@attrs.frozen(kw_only=True)
class SlaTarget:
    """One target of an SLA policy: a metric, for a priority, in minutes."""

    priority: Priority = attrs.field(converter=_to_priority, validator=one_of(Priority))
    metric: SlaMetric = attrs.field(converter=_to_slametric, validator=one_of(SlaMetric))
    minutes: int = attrs.field(validator=non_negative)
    business_hours: bool = True


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """An SLA policy: which tickets it applies to and its targets per priority and metric."""

    KIND: ClassVar[Kind] = Kind.SLA_POLICY
    id: str = attrs.field(converter=to_str, validator=non_empty)
    title: str
    targets: tuple[SlaTarget, ...] = attrs.field(factory=tuple, converter=to_tuple)
    description: str = attrs.field(default="")
    position: int = attrs.field(default=0, validator=non_negative)
    active: bool = attrs.field(default=True)
    raw: Mapping[str, JsonValue] = attrs.field(factory=dict, converter=to_plain_dict)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    names: tuple[Ref, ...] = attrs.field(
        factory=tuple, converter=to_tuple, eq=False, metadata={LINK_ONLY: True}
    )
    """The groups, agents, organizations and custom fields it names by id, set by the source
    that read it (its platform's rule dialect knows where ids are): the records the copier
    links before writing it (:func:`~cemigrate.schema.linked_refs`); a name the target lacks
    is the translation's gap, not a missing reference (:func:`~cemigrate.schema.refs_of`).
    Not part of equality: the same policy read by another reader is the same policy."""


@attrs.frozen(kw_only=True)
class SlaEvent:
    """One step of an SLA metric's history on a ticket (applied, paused, fulfilled, breached)."""

    KIND: ClassVar[Kind] = Kind.SLA_EVENT
    id: str = attrs.field(converter=to_str, validator=non_empty)
    ticket: Ref
    metric: SlaMetric = attrs.field(converter=_to_slametric, validator=one_of(SlaMetric))
    kind: SlaEventKind = attrs.field(converter=_to_slaeventkind, validator=one_of(SlaEventKind))
    time: datetime = attrs.field(converter=to_utc, validator=aware)
    policy: Ref | None = attrs.field(default=None)
    target_minutes: int | None = attrs.field(default=None, validator=non_negative)
    business_hours: bool = attrs.field(default=True)
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class Minutes:
    """A duration in calendar and in business minutes (``None`` when not measured)."""

    calendar: int | None = attrs.field(default=None, validator=non_negative)
    business: int | None = attrs.field(default=None, validator=non_negative)


@attrs.frozen(kw_only=True)
class TicketMetrics:
    """A ticket's measured service levels."""

    KIND: ClassVar[Kind] = Kind.TICKET_METRICS
    id: str = attrs.field(converter=to_str, validator=non_empty)
    ticket: Ref
    first_reply: Minutes = attrs.field(factory=Minutes)
    full_resolution: Minutes = attrs.field(factory=Minutes)
    agent_wait: Minutes = attrs.field(factory=Minutes)
    requester_wait: Minutes = attrs.field(factory=Minutes)
    reopens: int = attrs.field(default=0, validator=non_negative)
    replies: int = attrs.field(default=0, validator=non_negative)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class SatisfactionRating:
    """A customer's satisfaction rating of a ticket."""

    KIND: ClassVar[Kind] = Kind.SATISFACTION_RATING
    id: str = attrs.field(converter=to_str, validator=non_empty)
    ticket: Ref
    score: SatisfactionScore = attrs.field(
        converter=_to_satisfactionscore, validator=one_of(SatisfactionScore)
    )
    requester: Ref | None = attrs.field(default=None)
    assignee: Ref | None = attrs.field(default=None)
    group: Ref | None = attrs.field(default=None)
    comment: str = attrs.field(default="")
    reason: str = attrs.field(default="")
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )


@attrs.frozen(kw_only=True)
class Condition:
    """One condition of a rule: ``field operator value``."""

    field: str
    operator: str
    value: JsonValue = None


@attrs.frozen(kw_only=True)
class Action:
    """One action of a rule: set ``field`` to ``value`` (or notify, assign, tag, ...)."""

    field: str
    value: JsonValue = None


@attrs.frozen(kw_only=True)
class Rule:
    """A business rule, parsed into conditions and actions, with the platform payload verbatim."""

    KIND: ClassVar[Kind] = Kind.RULE
    id: str = attrs.field(converter=to_str, validator=non_empty)
    kind: RuleKind = attrs.field(converter=_to_rulekind, validator=one_of(RuleKind))
    title: str
    active: bool = attrs.field(default=True)
    position: int = attrs.field(default=0, validator=non_negative)
    conditions_all: tuple[Condition, ...] = attrs.field(factory=tuple, converter=to_tuple)
    conditions_any: tuple[Condition, ...] = attrs.field(factory=tuple, converter=to_tuple)
    actions: tuple[Action, ...] = attrs.field(factory=tuple, converter=to_tuple)
    raw: Mapping[str, JsonValue] = attrs.field(factory=dict, converter=to_plain_dict)
    created_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    updated_at: datetime | None = attrs.field(
        default=None, converter=to_optional_utc, validator=aware
    )
    names: tuple[Ref, ...] = attrs.field(
        factory=tuple, converter=to_tuple, eq=False, metadata={LINK_ONLY: True}
    )
    """The groups, agents, organizations and custom fields it names by id, set by the source
    that read it (its platform's rule dialect knows where ids are): the records the copier
    links before writing it (:func:`~cemigrate.schema.linked_refs`); a name the target lacks
    is the translation's gap, not a missing reference (:func:`~cemigrate.schema.refs_of`).
    Not part of equality: the same rule read by another reader is the same rule."""


Record: TypeAlias = (
    Brand
    | Schedule
    | CustomStatus
    | TicketForm
    | Organization
    | User
    | Group
    | GroupMembership
    | OrganizationMembership
    | FieldDef
    | SlaPolicy
    | Ticket
    | SlaEvent
    | TicketMetrics
    | SatisfactionRating
    | Rule
)
"""Any record that is a stream of its own (comments and attachments travel inside tickets)."""

RECORD_TYPES: Mapping[Kind, type[Record]] = {
    cls.KIND: cls
    for cls in (
        Brand,
        Schedule,
        CustomStatus,
        TicketForm,
        Organization,
        User,
        Group,
        GroupMembership,
        OrganizationMembership,
        FieldDef,
        SlaPolicy,
        Ticket,
        SlaEvent,
        TicketMetrics,
        SatisfactionRating,
        Rule,
    )
}
"""The record class of each kind."""


def field_owner(record: Record) -> FieldObject | None:
    """The object whose custom fields ``record`` carries values of (None for other records)."""
    return _FIELD_OWNERS.get(type(record))


_FIELD_OWNERS: Mapping[type, FieldObject] = {
    Ticket: FieldObject.TICKET,
    User: FieldObject.USER,
    Organization: FieldObject.ORGANIZATION,
}


def owner_ticket(record: Record) -> Ref | None:
    """The ticket a record belongs to (an SLA event, a ticket's metrics, a satisfaction
    rating): skipped with it, written after it. None for records that stand alone."""
    if isinstance(record, SlaEvent | TicketMetrics | SatisfactionRating):
        return record.ticket
    return None
