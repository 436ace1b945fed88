"""Zendesk JSON ⇄ the common schema: pure functions on dicts, the only place that knows
Zendesk's shapes.

Reading (Zendesk → schema): one function per object, named after the record it returns
(:func:`ticket`, :func:`comment`, :func:`user`, ...). Ids become strings, timestamps become
timezone-aware UTC datetimes, and a payload missing a required field or carrying a value of the
wrong type raises :class:`~cemigrate.errors.RecordError` naming the object and the field, never
its content.

Writing (schema → Zendesk): ``*_payload`` functions build the object a create call takes (the
caller wraps it under the body key of :mod:`.objects`). References become target ids through
``Outgoing.links``; a reference without a link raises ``RecordError``.

Decisions, stated once:

* **System fields.** ``/ticket_fields`` also lists Zendesk's built-in fields (subject, status,
  priority, group, assignee, ...). They are not custom fields: :func:`field` returns ``None`` for
  them (see :data:`SYSTEM_FIELD_TYPES`) and the caller skips them.
* **Field keys.** User and organization fields have a ``key``; ticket fields do not, so their
  key is the slug of their title (``Transaction ID`` → ``transaction_id``).
* **Empty comment bodies.** Zendesk refuses a blank comment. A comment with no text is sent as
  :data:`ATTACHMENT_ONLY_BODY` when it carries files, else :data:`EMPTY_BODY`; reading maps
  both markers back to an empty body, so the round trip keeps it empty.
* **Private notes stay private.** ``public`` is copied as given, never defaulted.
* **Channel.** The Ticket Import API does not take the channel, so it travels as the tag
  ``cemigrate_via_<channel>``, which :func:`ticket` reads back.
* **SLA history.** Zendesk computes no metrics or SLAs for imported tickets. What the source
  measured is kept as a private note (:func:`sla_history_note`) and as values of the custom
  fields in :data:`SLA_HISTORY_FIELDS` (:func:`sla_history_fields`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

import attrs

from cemigrate.adapters.contract import Outgoing, SlaHistory
from cemigrate.adapters.origin import ORIGIN_FIELD, origin_text
from cemigrate.adapters.readers import JsonReader
from cemigrate.adapters.sla_history import (
    SLA_HISTORY_FIELDS,
    SLA_NOTE_HEADING,
    is_sla_note,
    sla_history_fields,
    sla_history_note,
)
from cemigrate.adapters.zendesk.rules import ZENDESK_RULES, zendesk_active
from cemigrate.errors import RecordError
from cemigrate.rules.names import with_names
from cemigrate.schema import (
    Action,
    Attachment,
    Brand,
    Channel,
    Comment,
    Condition,
    CustomStatus,
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    FieldValue,
    Group,
    GroupMembership,
    Holiday,
    Identity,
    Interval,
    JsonValue,
    Kind,
    Minutes,
    Organization,
    OrganizationMembership,
    Priority,
    Record,
    Ref,
    Role,
    Rule,
    RuleKind,
    SatisfactionRating,
    SatisfactionScore,
    Schedule,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    Status,
    Ticket,
    TicketForm,
    TicketMetrics,
    TicketType,
    User,
)

__all__ = [
    "ATTACHMENT_ONLY_BODY",
    "CHANNEL_TAG_PREFIX",
    "DEFAULT_SIGNATURE",
    "EMPTY_BODY",
    "IDENTITY_TYPES",
    "MAX_TEXTAREA_CHARS",
    "NATIVE_VALUES",
    "SLA_HISTORY_FIELDS",
    "SLA_NOTE_HEADING",
    "SOURCE_EXTERNAL_ID",
    "SOURCE_EXTERNAL_ID_FIELDS",
    "SYSTEM_FIELDS",
    "SYSTEM_FIELD_TYPES",
    "USER_ADDRESS",
    "USER_ADDRESS_FIELD",
    "Json",
    "attachment",
    "brand",
    "brand_payload",
    "comment",
    "comment_from_event",
    "comment_payload",
    "comments_from_audit",
    "custom_status",
    "custom_status_payload",
    "export_row_metrics",
    "export_row_ticket",
    "field",
    "field_payload",
    "format_time",
    "group",
    "group_membership",
    "group_payload",
    "held_as",
    "holiday",
    "holiday_payload",
    "identity",
    "identity_payload",
    "is_sla_note",
    "membership_payload",
    "organization",
    "organization_membership",
    "organization_membership_payload",
    "organization_payload",
    "parse_time",
    "rule",
    "satisfaction_rating",
    "schedule",
    "schedule_payload",
    "sla_event",
    "sla_history_fields",
    "sla_history_note",
    "sla_policy",
    "ticket",
    "ticket_form",
    "ticket_form_payload",
    "ticket_import_payload",
    "ticket_metrics",
    "ticket_update_payload",
    "user",
    "user_payload",
    "workweek_payload",
]

Json: TypeAlias = Mapping[str, Any]
"""A Zendesk JSON object as decoded by ``json.loads``."""

EMPTY_BODY: Final = "(empty comment)"
"""What a comment without text or files is imported as (Zendesk rejects a blank body)."""

ATTACHMENT_ONLY_BODY: Final = "(attachment only)"
"""What a comment with files but no text is imported as."""

CHANNEL_TAG_PREFIX: Final = "cemigrate_via_"
"""Tag prefix that keeps a ticket's original channel on import (``cemigrate_via_email``)."""

MAX_TEXTAREA_CHARS: Final = 65_535
"""The most a multi-line text field value holds, as cemigrate assumes: the API reference
states no limit (searched: Ticket Fields, Tickets); 64 KiB is the size of a text column.
[unverified against a live account] A longer origin fails its ticket with this number."""

SOURCE_EXTERNAL_ID: Final = "cemigrate_external_id"
"""The user and organization field that keeps the source's own external id: Zendesk's single
``external_id`` holds cemigrate's source key (:meth:`Outgoing.external_id`), which finds the
record again after a crash. Read back, the field's value is the record's external id."""

SOURCE_EXTERNAL_ID_FIELDS: Final = tuple(
    FieldDef(
        id=f"{SOURCE_EXTERNAL_ID}_{owner}",
        object=owner,
        key=SOURCE_EXTERNAL_ID,
        title="Cemigrate source external ID",
        type=FieldType.TEXT,
        description="The record's external id in the help desk it was migrated from.",
    )
    for owner in (FieldObject.USER, FieldObject.ORGANIZATION)
)
"""The user and organization fields holding :data:`SOURCE_EXTERNAL_ID`; ``prepare``
creates them."""

USER_ADDRESS: Final = "cemigrate_address"
"""The user field keeping a person's postal address (:attr:`User.address`): a Zendesk user has
no address of its own (Users API: no such property). Read back, its value is the address."""

USER_ADDRESS_FIELD: Final = FieldDef(
    id=USER_ADDRESS,
    object=FieldObject.USER,
    key=USER_ADDRESS,
    title="Cemigrate address",
    type=FieldType.TEXTAREA,
    description="The person's postal address in the help desk it was migrated from.",
)
"""The user field holding :data:`USER_ADDRESS`; ``prepare`` creates it."""

SYSTEM_FIELD_TYPES: Final = frozenset(
    {
        "subject",
        "description",
        "status",
        "custom_status",
        "tickettype",
        "priority",
        "basic_priority",
        "group",
        "assignee",
        "brand",
        "ticket_form",
    }
)
"""Ticket field types that are Zendesk's built-in fields, not custom fields."""

SYSTEM_FIELDS: Final[Mapping[str, str]] = {
    "subject": "subject",
    "description": "description",
    "status": "status",
    "custom_status": "custom_status",
    "tickettype": "type",
    "priority": "priority",
    "basic_priority": "priority",
    "group": "group",
    "assignee": "assignee",
    "brand": "brand",
    "ticket_form": "form",
}
"""A built-in ticket field's type → the schema's name for it (``TicketForm.system_fields``);
a target puts the field of that type on a form."""

# --- small readers ------------------------------------------------------------------------


def _member(table: Mapping[str, Any], d: Json, key: str, what: str) -> Any:
    value = _need(d, key, what)
    if not isinstance(value, str) or value.lower() not in table:
        raise _fail(what, key, f"has an unknown value (expected one of: {', '.join(table)})")
    return table[value.lower()]


def _opt_member(table: Mapping[str, Any], d: Json, key: str, what: str) -> Any:
    return None if d.get(key) in (None, "", "-") else _member(table, d, key, what)


def parse_time(value: object) -> datetime:
    """A Zendesk timestamp (``2015-06-03T19:31:44Z``, or the legacy export's
    ``2012-09-06 12:18:55 -0800``) as an aware UTC datetime; ``ValueError`` if it is not one."""
    if not isinstance(value, str):
        raise ValueError("a timestamp must be text")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone")
    return parsed.astimezone(UTC)


_read = JsonReader("zendesk", parse_time=parse_time)
_fail, _need, _id, _opt_id = _read.fail, _read.need, _read.id, _read.opt_id
_ref, _refs, _text, _flag, _int = _read.ref, _read.refs, _read.text, _read.flag, _read.whole
_tags, _time, _opt_time = _read.tags, _read.time, _read.opt_time


def format_time(value: datetime) -> str:
    """An aware datetime as Zendesk writes it: ISO-8601 in UTC, ``2015-06-03T19:31:44Z``."""
    if value.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- vocabularies -------------------------------------------------------------------------

_ROLES: Final[Mapping[str, Role]] = {
    "end-user": Role.END_USER,
    "agent": Role.AGENT,
    "admin": Role.ADMIN,
}
_ROLE_NAMES: Final = {role: name for name, role in _ROLES.items()}

_STATUSES: Final[Mapping[str, Status]] = {
    "new": Status.NEW,
    "open": Status.OPEN,
    "pending": Status.PENDING,
    "hold": Status.HOLD,
    "solved": Status.SOLVED,
    "closed": Status.CLOSED,
    # The incremental export lists deleted tickets with this status; they stay closed.
    "deleted": Status.CLOSED,
}
_PRIORITIES: Final = {p.value: p for p in Priority}
_TYPES: Final = {t.value: t for t in TicketType}

_CHANNELS: Final[Mapping[str, Channel]] = {
    "email": Channel.EMAIL,
    "web": Channel.WEB,
    "web_form": Channel.WEB,
    "web_widget": Channel.WEB,
    "help_center": Channel.WEB,
    "mobile": Channel.WEB,
    "mobile_sdk": Channel.WEB,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "voice": Channel.PHONE,
    "phone": Channel.PHONE,
    "sms": Channel.PHONE,
    "api": Channel.API,
    "twitter": Channel.SOCIAL,
    "facebook": Channel.SOCIAL,
    "instagram_dm": Channel.SOCIAL,
    "whatsapp": Channel.SOCIAL,
    "line": Channel.SOCIAL,
    "wechat": Channel.SOCIAL,
}
"""``via.channel`` → schema channel; anything else (rule, closed_ticket, ...) is OTHER."""

_FIELD_TYPES: Final[Mapping[str, FieldType]] = {
    "text": FieldType.TEXT,
    "textarea": FieldType.TEXTAREA,
    "integer": FieldType.INTEGER,
    "decimal": FieldType.DECIMAL,
    "checkbox": FieldType.CHECKBOX,
    "date": FieldType.DATE,
    "tagger": FieldType.DROPDOWN,  # ticket drop-downs
    "dropdown": FieldType.DROPDOWN,  # user and organization drop-downs
    "multiselect": FieldType.MULTISELECT,
    "regexp": FieldType.REGEXP,
    "partialcreditcard": FieldType.TEXT,  # masked text; its digits are never readable
}

_SLA_METRICS: Final[Mapping[str, SlaMetric]] = {
    "first_reply_time": SlaMetric.FIRST_REPLY_TIME,
    "next_reply_time": SlaMetric.NEXT_REPLY_TIME,
    "periodic_update_time": SlaMetric.PERIODIC_UPDATE_TIME,
    # The schema has one update metric; the pausable variant is kept verbatim in ``raw``.
    "pausable_update_time": SlaMetric.PERIODIC_UPDATE_TIME,
    "requester_wait_time": SlaMetric.REQUESTER_WAIT_TIME,
    "agent_work_time": SlaMetric.AGENT_WORK_TIME,
    "resolution_time": SlaMetric.RESOLUTION_TIME,
    "total_resolution_time": SlaMetric.RESOLUTION_TIME,  # the policy metric's API name
}

_SLA_EVENT_KINDS: Final[Mapping[str, SlaEventKind]] = {
    "apply_sla": SlaEventKind.APPLY,
    "activate": SlaEventKind.ACTIVATE,
    "pause": SlaEventKind.PAUSE,
    "fulfill": SlaEventKind.FULFILL,
    "breach": SlaEventKind.BREACH,
}

_SCORES: Final[Mapping[str, SatisfactionScore | None]] = {
    "good": SatisfactionScore.GOOD,
    "good_with_comment": SatisfactionScore.GOOD,
    "bad": SatisfactionScore.BAD,
    "bad_with_comment": SatisfactionScore.BAD,
    "offered": SatisfactionScore.OFFERED,
    "unoffered": None,  # never sent to the customer: nothing to migrate
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# --- Zendesk → schema ---------------------------------------------------------------------


def organization(d: Json) -> Organization:
    """An organization from ``/organizations`` or the incremental organization export (notes,
    external id, default group and the sharing flags as Zendesk holds them)."""
    what = "organization"
    return Organization(
        id=_id(d, "id", what),
        name=_text(d, "name", what),
        domains=_tags(d, "domain_names", what),
        details=_text(d, "details", what),
        notes=_text(d, "notes", what),
        external_id=_external_id(d, "organization_fields", what),
        group=_ref(Kind.GROUP, d, "group_id", what),
        shared_tickets=_flag(d, "shared_tickets", what),
        shared_comments=_flag(d, "shared_comments", what),
        tags=_tags(d, "tags", what),
        custom_fields=_without_source_id(_keyed_values(d, "organization_fields", what)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def _external_id(d: Json, fields_key: str, what: str) -> str | None:
    """A user's or organization's own external id: the :data:`SOURCE_EXTERNAL_ID` field's
    value where the account has that field (one cemigrate wrote: its ``external_id`` is the
    source key), else ``external_id``."""
    fields = d.get(fields_key)
    if isinstance(fields, Mapping) and SOURCE_EXTERNAL_ID in fields:
        value = fields[SOURCE_EXTERNAL_ID]
        return None if value in (None, "") else str(value)
    return _opt_id(d, "external_id", what)


def _without_source_id(values: dict[str, FieldValue]) -> dict[str, FieldValue]:
    values.pop(SOURCE_EXTERNAL_ID, None)
    values.pop(USER_ADDRESS, None)
    return values


def _user_address(d: Json) -> str | None:
    """The :data:`USER_ADDRESS` field's value (None without it, or empty)."""
    fields = d.get("user_fields")
    value = fields.get(USER_ADDRESS) if isinstance(fields, Mapping) else None
    return None if value in (None, "") else str(value)


def _keyed_values(d: Json, key: str, what: str) -> dict[str, FieldValue]:
    values = d.get(key) or {}
    if not isinstance(values, Mapping):
        raise _fail(what, key, "is not an object")
    return {k: _field_value(v, what, key) for k, v in values.items() if v is not None}


def _field_value(value: object, what: str, key: str) -> FieldValue:
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise _fail(what, key, "holds a list that is not of option values")
        return tuple(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _fail(what, key, f"holds a {type(value).__name__}, not a field value")


def identity(d: Json) -> Identity:
    """A user identity from ``/users/{id}/identities`` or the ``identities`` sideload; its type
    as Zendesk names it (``email``, ``phone_number``, ``twitter``, ...)."""
    what = "identity"
    return Identity(
        type=_text(d, "type", what) or "email",
        value=str(_need(d, "value", what)),
        primary=_flag(d, "primary", what),
        verified=_flag(d, "verified", what),
        id=_opt_id(d, "id", what) or "",
    )


IDENTITY_TYPES: Final[Mapping[str, str]] = {"phone": "phone_number"}
"""Identity type names other platforms use → Zendesk's (the rest are the same)."""


def user(
    d: Json, identities: Sequence[Json] = (), *, custom_roles: Mapping[str, str] | None = None
) -> User:
    """A user from ``/users`` or the incremental user export.

    ``identities`` are the user's entries of the ``identities`` sideload (or of
    ``/users/{id}/identities``); without them the identities are the user's e-mail and phone.
    ``active: false`` means the user was deleted. The IANA time zone is kept when Zendesk
    gives it (``iana_time_zone``), else its own zone name. ``custom_roles`` (role id → name,
    from ``/custom_roles``) names an agent's custom role; an id it lacks is not named.
    """
    what = "user"
    email = _text(d, "email", what) or None
    phone = _text(d, "phone", what) or None
    if identities:
        found = tuple(identity(i) for i in identities)
    else:
        found = tuple(
            Identity(type=kind, value=value, primary=True, verified=_flag(d, "verified", what))
            for kind, value in (("email", email), ("phone_number", phone))
            if value
        )
    role_id = _opt_id(d, "custom_role_id", what)
    return User(
        id=_id(d, "id", what),
        name=_text(d, "name", what),
        email=email,
        role=_member(_ROLES, d, "role", what),
        suspended=_flag(d, "suspended", what),
        deleted=not _flag(d, "active", what, default=True),
        identities=found,
        organization=_ref(Kind.ORGANIZATION, d, "organization_id", what),
        locale=_text(d, "locale", what) or "en-US",
        time_zone=_text(d, "iana_time_zone", what) or _text(d, "time_zone", what) or "UTC",
        phone=phone,
        external_id=_external_id(d, "user_fields", what),
        address=_user_address(d),
        default_group=_ref(Kind.GROUP, d, "default_group_id", what),
        custom_role=(custom_roles or {}).get(role_id) if role_id else None,
        # An end user's "requested" is Zendesk's fixed default for every end user, not a
        # restriction an admin chose: only an agent's is carried.
        ticket_restriction=(
            None
            if _text(d, "role", what) == "end-user"
            else _text(d, "ticket_restriction", what) or None
        ),
        only_private_comments=_flag(d, "only_private_comments", what),
        alias=_text(d, "alias", what),
        signature=_text(d, "signature", what),
        details=_text(d, "details", what),
        notes=_text(d, "notes", what),
        tags=_tags(d, "tags", what),
        custom_fields=_without_source_id(_keyed_values(d, "user_fields", what)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def group(d: Json) -> Group:
    """A group from ``/groups``."""
    what = "group"
    return Group(
        id=_id(d, "id", what),
        name=_text(d, "name", what),
        description=_text(d, "description", what),
        public=_flag(d, "is_public", what, default=True),
        deleted=_flag(d, "deleted", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def group_membership(d: Json) -> GroupMembership:
    """An agent's membership of a group, from ``/group_memberships``."""
    what = "group membership"
    return GroupMembership(
        id=_id(d, "id", what),
        user=Ref(kind=Kind.USER, id=_id(d, "user_id", what)),
        group=Ref(kind=Kind.GROUP, id=_id(d, "group_id", what)),
        default=_flag(d, "default", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def organization_membership(d: Json) -> OrganizationMembership:
    """A user's membership of an organization, from ``/organization_memberships`` (``default``
    is null when false; ``view_tickets`` is read-only in Zendesk)."""
    what = "organization membership"
    return OrganizationMembership(
        id=_id(d, "id", what),
        user=Ref(kind=Kind.USER, id=_id(d, "user_id", what)),
        organization=Ref(kind=Kind.ORGANIZATION, id=_id(d, "organization_id", what)),
        default=_flag(d, "default", what),
        view_tickets=_flag(d, "view_tickets", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


LOOKUP_TARGETS: Final[Mapping[str, Kind]] = {
    "zen:user": Kind.USER,
    "zen:organization": Kind.ORGANIZATION,
    "zen:ticket": Kind.TICKET,
}
"""What a lookup relationship field's values name, by its ``relationship_target_type``; a
lookup to a custom object (``zen:custom_object:<key>``) is kept as text holding the source's
id. [Zendesk API reference: Lookup Relationships; a value is the target record's id]"""


def _lookup(d: Json, what: str) -> tuple[FieldType, Kind | None, str]:
    """A lookup field's type, the kind its values name, and what a text field that keeps a
    lookup to a record the migration does not carry says it pointed to."""
    target = _text(d, "relationship_target_type", what)
    kind = LOOKUP_TARGETS.get(target)
    if kind is not None:
        return FieldType.LOOKUP, kind, ""
    return FieldType.TEXT, None, f"Lookup to {target or 'an unknown object'} (the source's id)"


def field(d: Json, *, object: FieldObject) -> FieldDef | None:
    """A custom field definition, or ``None`` for a built-in ticket field (see
    :data:`SYSTEM_FIELD_TYPES`). ``object`` says whose fields these are. A lookup
    relationship field to a user, an organization or a ticket is a :attr:`FieldType.LOOKUP`
    (its values the source's ids); one to a custom object is text (:data:`LOOKUP_TARGETS`)."""
    what = f"{object} field"
    kind = _need(d, "type", what)
    if kind in SYSTEM_FIELD_TYPES:
        return None
    references: Kind | None = None
    kept_as = ""
    if kind == "lookup":
        field_type, references, kept_as = _lookup(d, what)
    else:
        field_type = _member(_FIELD_TYPES, d, "type", what)
    title = _text(d, "title", what)
    key = _text(d, "key", what) or _slug(_text(d, "raw_title", what) or title)
    if not key:
        raise _fail(what, "key", "is missing and the title gives none")
    raw_options = d.get("custom_field_options") or []
    if not isinstance(raw_options, list):
        raise _fail(what, "custom_field_options", "is not a list")
    options = tuple(
        FieldOption(
            name=_text(o, "name", what),
            value=str(_need(o, "value", what)),
            position=_int(o, "position", what, default=position),
        )
        for position, o in enumerate(raw_options)
    )
    return FieldDef(
        id=_id(d, "id", what),
        object=object,
        key=key,
        title=title,
        type=field_type,
        options=options,
        required=_flag(d, "required", what),
        active=_flag(d, "active", what, default=True),
        description=kept_as or _text(d, "description", what),
        references=references,
        position=max(0, _int(d, "position", what)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def _channel(d: Json, what: str) -> Channel:
    via = d.get("via") or {}
    if not isinstance(via, Mapping):
        raise _fail(what, "via", "is not an object")
    name = via.get("channel")
    if name is None:
        return Channel.WEB
    if not isinstance(name, str | int):
        raise _fail(what, "via.channel", "is not a channel name")
    return _CHANNELS.get(str(name).lower(), Channel.OTHER)


def _custom_values(
    d: Json, fields_by_id: Mapping[str, FieldDef], what: str
) -> dict[str, FieldValue]:
    entries = d.get("custom_fields") or []
    if not isinstance(entries, list):
        raise _fail(what, "custom_fields", "is not a list")
    values: dict[str, FieldValue] = {}
    for entry in entries:
        field_id = _id(entry, "id", what)
        value = _field_value(entry.get("value"), what, "custom_fields")
        if value is None or value == () or value == "":
            continue  # unset: Zendesk lists every field of the form, set or not
        definition = fields_by_id.get(field_id)
        if definition is None:
            values[field_id] = value  # a field the account no longer describes: keep by id
            continue
        values[definition.key] = _typed(value, definition.type)
    return values


def _typed(value: FieldValue, kind: FieldType) -> FieldValue:
    # Zendesk returns numbers of integer and decimal fields as text.
    if kind is FieldType.INTEGER and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind is FieldType.DECIMAL and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind is FieldType.MULTISELECT and isinstance(value, str):
        return (value,)
    if kind is FieldType.LOOKUP and isinstance(value, int):
        return str(value)  # a record's id, as the schema holds ids
    return value


def ticket(
    d: Json,
    comments: Sequence[Comment] = (),
    *,
    instance: str,
    fields_by_id: Mapping[str, FieldDef],
    metric_set: Json | None = None,
) -> Ticket:
    """A ticket from the incremental ticket export (or ``/tickets``) with its comments.

    ``fields_by_id`` (Zendesk field id → definition) turns ``custom_fields [{id, value}]`` into
    values keyed by field key; unset values are omitted. ``solved_at`` comes from the ticket's
    ``metric_set`` (the ``metric_sets`` sideload) when given. A ticket of status ``deleted`` is
    closed and marked deleted. A ``cemigrate_via_*`` tag restores the original channel.
    """
    what = "ticket"
    tags = _tags(d, "tags", what)
    channel = _channel(d, what)
    kept = tuple(tag for tag in tags if not tag.startswith(CHANNEL_TAG_PREFIX))
    for tag in tags:
        original = tag.removeprefix(CHANNEL_TAG_PREFIX)
        if tag != original and original in {c.value for c in Channel}:
            channel = Channel(original)
    ccs = _refs(Kind.USER, d, "email_cc_ids", what) or _refs(Kind.USER, d, "collaborator_ids", what)
    solved_at = _opt_time(d, "solved_at", what)
    if metric_set is not None:
        solved_at = _opt_time(metric_set, "solved_at", "metric set") or solved_at
    status = _text(d, "status", what).lower()
    return Ticket(
        id=_id(d, "id", what),
        subject=_text(d, "subject", what) or _text(d, "raw_subject", what),
        description=_text(d, "description", what),
        status=_member(_STATUSES, d, "status", what),
        created_at=_time(d, "created_at", what),
        updated_at=_time(d, "updated_at", what),
        instance=instance,
        priority=_opt_member(_PRIORITIES, d, "priority", what),
        type=_opt_member(_TYPES, d, "type", what),
        channel=channel,
        tags=kept,
        custom_fields=_custom_values(d, fields_by_id, what),
        requester=_ref(Kind.USER, d, "requester_id", what),
        submitter=_ref(Kind.USER, d, "submitter_id", what),
        assignee=_ref(Kind.USER, d, "assignee_id", what),
        group=_ref(Kind.GROUP, d, "group_id", what),
        organization=_ref(Kind.ORGANIZATION, d, "organization_id", what),
        ccs=ccs,
        followers=_refs(Kind.USER, d, "follower_ids", what),
        solved_at=solved_at,
        brand=_ref(Kind.BRAND, d, "brand_id", what),
        recipient=_text(d, "recipient", what) or None,
        via=_object(d, "via", what),
        form=_ref(Kind.TICKET_FORM, d, "ticket_form_id", what),
        custom_status=_ref(Kind.CUSTOM_STATUS, d, "custom_status_id", what),
        due_at=_opt_time(d, "due_at", what),
        problem=_ref(Kind.TICKET, d, "problem_id", what),
        external_id=_opt_id(d, "external_id", what),
        deleted=status == "deleted",
        comments=tuple(comments),
    )


def _object(d: Json, key: str, what: str) -> dict[str, JsonValue]:
    """A JSON object attribute verbatim (empty when absent)."""
    value = d.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(what, key, "is not an object")
    return dict(value)


def _addressed(via: Mapping[str, Any]) -> bool:
    """Whether a ``via`` says more than the channel (which :class:`Comment` keeps): addresses
    in ``source.from``/``source.to`` or a ``rel``. Most comments' via is the bare channel;
    keeping it would make a long ticket's origin outgrow its field for nothing."""
    source = via.get("source")
    if not isinstance(source, Mapping):
        return False
    return bool(source.get("from") or source.get("to") or source.get("rel"))


def _comment_metadata(d: Json, what: str) -> dict[str, JsonValue]:
    """How a comment was made, verbatim: its ``via`` when it names addresses (the channel
    alone is the comment's ``channel``) and its ``metadata.system`` record (IP address,
    location, client; entries without a value left out); empty when Zendesk gives neither."""
    found: dict[str, JsonValue] = {}
    via = _object(d, "via", what)
    if _addressed(via):
        found["via"] = via
    metadata = _object(d, "metadata", what)
    system = metadata.get("system")
    if isinstance(system, Mapping):
        # Entries Zendesk leaves null say nothing (the event export lists client, location
        # and coordinates even when unknown): the same comment reads alike from both.
        recorded: dict[str, JsonValue] = {k: v for k, v in system.items() if v is not None}
        if recorded:
            found["system"] = recorded
    return found


DEFAULT_SIGNATURE: Final = "{{agent.signature}}"
"""A Zendesk brand's signature template until someone changes it (the agent's own signature)."""


def _own_signature(template: str) -> str:
    """A brand's signature template, empty when it is Zendesk's default: the schema's "no
    template of its own", which every platform reads and writes the same way."""
    return "" if template.strip() == DEFAULT_SIGNATURE else template


def brand(d: Json) -> Brand:
    """A brand from ``/brands`` (its signature template empty when it is Zendesk's default)."""
    what = "brand"
    return Brand(
        id=_id(d, "id", what),
        name=_text(d, "name", what),
        subdomain=_text(d, "subdomain", what),
        host_mapping=_text(d, "host_mapping", what),
        active=_flag(d, "active", what, default=True),
        default=_flag(d, "default", what),
        signature_template=_own_signature(_text(d, "signature_template", what)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def custom_status(d: Json) -> CustomStatus:
    """A custom ticket status from ``/custom_statuses`` (its category is a status)."""
    what = "custom status"
    return CustomStatus(
        id=_id(d, "id", what),
        category=_member(_STATUSES, d, "status_category", what),
        agent_label=_text(d, "agent_label", what) or _text(d, "raw_agent_label", what),
        end_user_label=_text(d, "end_user_label", what),
        description=_text(d, "description", what),
        end_user_description=_text(d, "end_user_description", what),
        active=_flag(d, "active", what, default=True),
        default=_flag(d, "default", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def ticket_form(d: Json, *, system_fields: Mapping[str, str]) -> TicketForm:
    """A ticket form from ``/ticket_forms``. ``system_fields`` maps the id of each built-in
    ticket field to its schema name (:data:`SYSTEM_FIELDS`): those ids of ``ticket_field_ids``
    become :attr:`TicketForm.system_fields`, the others references to custom fields."""
    what = "ticket form"
    ids = d.get("ticket_field_ids") or []
    if not isinstance(ids, list):
        raise _fail(what, "ticket_field_ids", "is not a list")
    fields: list[Ref] = []
    builtin: list[str] = []
    for raw in ids:
        name = system_fields.get(str(raw))
        if name is not None:
            builtin.append(name)
        else:
            fields.append(Ref(kind=Kind.FIELD, id=str(raw)))
    in_all = _flag(d, "in_all_brands", what, default=True)
    conditions = {key: d[key] for key in ("agent_conditions", "end_user_conditions") if d.get(key)}
    return TicketForm(
        id=_id(d, "id", what),
        name=_text(d, "name", what) or _text(d, "raw_name", what),
        display_name=_text(d, "display_name", what),
        fields=tuple(fields),
        system_fields=tuple(dict.fromkeys(builtin)),
        brands=() if in_all else _refs(Kind.BRAND, d, "restricted_brand_ids", what),
        in_all_brands=in_all,
        end_user_visible=_flag(d, "end_user_visible", what, default=True),
        active=_flag(d, "active", what, default=True),
        default=_flag(d, "default", what),
        position=max(0, _int(d, "position", what)),
        conditions=conditions,
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def holiday(d: Json) -> Holiday:
    """A holiday of a schedule (``/business_hours/schedules/{id}/holidays``)."""
    what = "holiday"
    return Holiday(
        id=_id(d, "id", what),
        name=_text(d, "name", what),
        start_date=_text(d, "start_date", what),
        end_date=_text(d, "end_date", what),
    )


def schedule(d: Json, holidays: Sequence[Json] = ()) -> Schedule:
    """A business-hours schedule from ``/business_hours/schedules`` with its holidays."""
    what = "schedule"
    raw = d.get("intervals") or []
    if not isinstance(raw, list):
        raise _fail(what, "intervals", "is not a list")
    intervals = tuple(
        Interval(start=_int(i, "start_time", what), end=_int(i, "end_time", what)) for i in raw
    )
    return Schedule(
        id=_id(d, "id", what),
        name=_text(d, "name", what),
        time_zone=_text(d, "time_zone", what) or "UTC",
        intervals=intervals,
        holidays=tuple(holiday(h) for h in holidays),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def attachment(d: Json) -> Attachment:
    """An attachment of a comment (or of an upload); its bytes stay at ``content_url``."""
    what = "attachment"
    return Attachment(
        id=_id(d, "id", what),
        file_name=_text(d, "file_name", what) or "unnamed",
        content_type=_text(d, "content_type", what) or "application/octet-stream",
        size=_int(d, "size", what),
        location=_text(d, "content_url", what),
        inline=_flag(d, "inline", what),
    )


def _attachments(d: Json, what: str) -> tuple[Attachment, ...]:
    values = d.get("attachments") or []
    if not isinstance(values, list):
        raise _fail(what, "attachments", "is not a list")
    return tuple(attachment(a) for a in values)


def comment(d: Json) -> Comment:
    """A comment from ``/tickets/{id}/comments``."""
    what = "comment"
    html = _text(d, "html_body", what)
    plain = _text(d, "plain_body", what) or _text(d, "body", what)
    if plain.strip() in (EMPTY_BODY, ATTACHMENT_ONLY_BODY):
        html = plain = ""  # our own marker for a comment that had no text
    return Comment(
        id=_id(d, "id", what),
        author=_ref(Kind.USER, d, "author_id", what),
        public=_flag(d, "public", what, default=False),
        body_html=html,
        body_plain=plain,
        created_at=_time(d, "created_at", what),
        channel=_channel(d, what),
        attachments=_attachments(d, what),
        metadata=_comment_metadata(d, what),
    )


def comment_from_event(event: Json, *, parent: Json | None = None) -> Comment:
    """A comment from a ``Comment`` child event of the incremental ticket-event export
    (``include=comment_events``) or of an audit. A child event without its own
    ``created_at`` or ``via`` takes them from ``parent`` (the ticket event or audit)."""
    what = "comment event"
    if _text(event, "type", what) not in ("Comment", "VoiceComment"):
        raise _fail(what, "type", "is not a comment event")
    merged: dict[str, Any] = {}
    if parent is not None:
        merged["created_at"] = parent.get("created_at")
        merged["via"] = parent.get("via")
    merged.update({k: v for k, v in event.items() if v is not None})
    return comment(merged)


def comments_from_audit(audit: Json) -> tuple[Comment, ...]:
    """The comments of one ticket audit (``/tickets/{id}/audits``)."""
    events = audit.get("events") or []
    if not isinstance(events, list):
        raise _fail("audit", "events", "is not a list")
    return tuple(
        comment_from_event(e, parent=audit)
        for e in events
        if isinstance(e, Mapping) and e.get("type") in ("Comment", "VoiceComment")
    )


def sla_policy(d: Json) -> SlaPolicy:
    """An SLA policy from ``/slas/policies``; the payload is kept verbatim in ``raw``. Zendesk
    policies have no active flag: one holding cemigrate's inactive guard reads as inactive."""
    what = "SLA policy"
    metrics = d.get("policy_metrics") or []
    if not isinstance(metrics, list):
        raise _fail(what, "policy_metrics", "is not a list")
    targets = []
    for m in metrics:
        minutes = m.get("target")
        if minutes is None and m.get("target_in_seconds") is not None:
            minutes = _int(m, "target_in_seconds", what) // 60
        targets.append(
            SlaTarget(
                priority=_member(_PRIORITIES, m, "priority", what),
                metric=_member(_SLA_METRICS, m, "metric", what),
                minutes=_int({"target": minutes}, "target", what),
                business_hours=_flag(m, "business_hours", what, default=True),
            )
        )
    return with_names(
        SlaPolicy(
            id=_id(d, "id", what),
            title=_text(d, "title", what),
            targets=tuple(targets),
            description=_text(d, "description", what),
            position=max(0, _int(d, "position", what)),
            active=zendesk_active(d),
            raw=dict(d),
            created_at=_opt_time(d, "created_at", what),
            updated_at=_opt_time(d, "updated_at", what),
        ),
        ZENDESK_RULES,
    )


def sla_event(d: Json) -> SlaEvent | None:
    """One ticket metric event (``/incremental/ticket_metric_events``) as SLA history, or
    ``None`` for event types with no schema equivalent (``apply_group_sla``,
    ``update_status``, ``measure``).

    ``reply_time`` is the first reply for ``instance_id`` 1 and a next reply after it.
    """
    what = "ticket metric event"
    kind = _need(d, "type", what)
    if kind not in _SLA_EVENT_KINDS:
        return None
    metric_name = _need(d, "metric", what)
    if metric_name == "reply_time":
        first = _int(d, "instance_id", what, default=1) <= 1
        metric = SlaMetric.FIRST_REPLY_TIME if first else SlaMetric.NEXT_REPLY_TIME
    else:
        metric = _member(_SLA_METRICS, d, "metric", what)
    sla = d.get("sla") or {}
    if not isinstance(sla, Mapping):
        raise _fail(what, "sla", "is not an object")
    policy = sla.get("policy") or {}
    time = _time(d, "time", what)
    return SlaEvent(
        id=_id(d, "id", what),
        ticket=Ref(kind=Kind.TICKET, id=_id(d, "ticket_id", what)),
        metric=metric,
        kind=_SLA_EVENT_KINDS[kind],
        time=time,
        policy=_ref(Kind.SLA_POLICY, policy, "id", what) if isinstance(policy, Mapping) else None,
        target_minutes=_int(sla, "target", what) if sla.get("target") is not None else None,
        business_hours=_flag(sla, "business_hours", what, default=True),
        updated_at=time,
    )


def _minutes(d: Json, key: str, what: str) -> Minutes:
    value = d.get(key) or {}
    if not isinstance(value, Mapping):
        raise _fail(what, key, "is not an object of calendar and business minutes")
    return Minutes(
        calendar=_int(value, "calendar", what) if value.get("calendar") is not None else None,
        business=_int(value, "business", what) if value.get("business") is not None else None,
    )


def ticket_metrics(d: Json) -> TicketMetrics:
    """A ticket's measured service levels, from ``/ticket_metrics`` or ``metric_sets``."""
    what = "ticket metrics"
    return TicketMetrics(
        id=_id(d, "id", what),
        ticket=Ref(kind=Kind.TICKET, id=_id(d, "ticket_id", what)),
        first_reply=_minutes(d, "reply_time_in_minutes", what),
        full_resolution=_minutes(d, "full_resolution_time_in_minutes", what),
        agent_wait=_minutes(d, "agent_wait_time_in_minutes", what),
        requester_wait=_minutes(d, "requester_wait_time_in_minutes", what),
        reopens=_int(d, "reopens", what),
        replies=_int(d, "replies", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def satisfaction_rating(d: Json) -> SatisfactionRating | None:
    """A satisfaction rating from ``/satisfaction_ratings``; ``None`` when it was never offered
    (score ``unoffered``)."""
    what = "satisfaction rating"
    score = _member(_SCORES, d, "score", what)
    if score is None:
        return None
    return SatisfactionRating(
        id=_id(d, "id", what),
        ticket=Ref(kind=Kind.TICKET, id=_id(d, "ticket_id", what)),
        score=score,
        requester=_ref(Kind.USER, d, "requester_id", what),
        assignee=_ref(Kind.USER, d, "assignee_id", what),
        group=_ref(Kind.GROUP, d, "group_id", what),
        comment=_text(d, "comment", what),
        reason=_text(d, "reason", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def _conditions(items: object, what: str, key: str) -> tuple[Condition, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise _fail(what, key, "is not a list")
    return tuple(
        Condition(
            field=str(_need(c, "field", what)),
            operator=_text(c, "operator", what),
            value=c.get("value"),
        )
        for c in items
    )


def rule(d: Json, kind: RuleKind) -> Rule:
    """A trigger, automation, macro or view; the payload is kept verbatim in ``raw`` (macros'
    restriction, views' execution and anything the schema does not model)."""
    what = str(kind)
    conditions = d.get("conditions") or {}
    if not isinstance(conditions, Mapping):
        raise _fail(what, "conditions", "is not an object of all and any")
    actions = d.get("actions") or []
    if not isinstance(actions, list):
        raise _fail(what, "actions", "is not a list")
    return with_names(
        Rule(
            id=_id(d, "id", what),
            kind=kind,
            title=_text(d, "title", what),
            active=_flag(d, "active", what, default=True),
            position=max(0, _int(d, "position", what)),
            conditions_all=_conditions(conditions.get("all"), what, "conditions.all"),
            conditions_any=_conditions(conditions.get("any"), what, "conditions.any"),
            actions=tuple(
                Action(field=str(_need(a, "field", what)), value=a.get("value")) for a in actions
            ),
            raw=dict(d),
            created_at=_opt_time(d, "created_at", what),
            updated_at=_opt_time(d, "updated_at", what),
        ),
        ZENDESK_RULES,
    )


# --- the legacy export (/api/v2/exports/tickets): flat rows with display names -------------

_LEGACY_VIA: Final[Mapping[str, Channel]] = {
    "web service": Channel.API,
    "web form": Channel.WEB,
    "mail": Channel.EMAIL,
    "email": Channel.EMAIL,
    "chat": Channel.CHAT,
    "voice": Channel.PHONE,
    "twitter": Channel.SOCIAL,
    "facebook": Channel.SOCIAL,
}


_LEGACY_TYPES: Final[Mapping[str, TicketType | None]] = {**_TYPES, "ticket": None}
"""The legacy export calls a ticket without a type "Ticket"."""


def _legacy_minutes(d: Json, key: str, what: str) -> Minutes:
    return Minutes(
        calendar=_int(d, f"{key}_in_minutes", what) if d.get(f"{key}_in_minutes") else None,
        business=(
            _int(d, f"{key}_in_minutes_within_business_hours", what)
            if d.get(f"{key}_in_minutes_within_business_hours")
            else None
        ),
    )


def export_row_ticket(d: Json, *, instance: str) -> Ticket:
    """A ticket from a row of the legacy ``/exports/tickets`` export (no comments, no
    assignee id: the row carries names)."""
    what = "export row"
    status = _text(d, "status", what).lower()
    return Ticket(
        id=_id(d, "id", what),
        subject=_text(d, "subject", what),
        description="",
        status=_member(_STATUSES, d, "status", what),
        created_at=_time(d, "created_at", what),
        updated_at=_time(d, "updated_at", what),
        instance=instance,
        priority=_opt_member(_PRIORITIES, d, "priority", what),
        type=_opt_member(_LEGACY_TYPES, d, "ticket_type", what),
        channel=_LEGACY_VIA.get(_text(d, "via", what).lower(), Channel.OTHER),
        tags=tuple(_text(d, "current_tags", what).split()),
        requester=_ref(Kind.USER, d, "req_id", what),
        solved_at=_opt_time(d, "solved_at", what),
        deleted=status == "deleted",
    )


def export_row_metrics(d: Json) -> TicketMetrics:
    """The measured service levels in a row of the legacy ``/exports/tickets`` export."""
    what = "export row"
    return TicketMetrics(
        id=_id(d, "id", what),
        ticket=Ref(kind=Kind.TICKET, id=_id(d, "id", what)),
        first_reply=_legacy_minutes(d, "first_reply_time", what),
        full_resolution=_legacy_minutes(d, "full_resolution_time", what),
        agent_wait=_legacy_minutes(d, "agent_wait_time", what),
        requester_wait=_legacy_minutes(d, "requester_wait_time", what),
        reopens=_int(d, "reopens", what),
        replies=_int(d, "replies", what),
        created_at=_time(d, "created_at", what),
        updated_at=_time(d, "updated_at", what),
    )


# --- schema → Zendesk ---------------------------------------------------------------------


def _link(outgoing: Outgoing, ref: Ref | None, name: str) -> int | None:
    if ref is None:
        return None
    target = outgoing.links.get(ref)
    if target is None:
        raise RecordError(f"zendesk {outgoing.key.kind}: {name} {ref} is not in the target yet")
    return _target_id(target, name)


def _target_id(value: str, name: str) -> int:
    if not value.isdigit():
        raise RecordError(f"zendesk: {name} target id {value!r} is not a Zendesk id")
    return int(value)


def _payload_value(value: FieldValue) -> JsonValue:
    return list(value) if isinstance(value, tuple) else value


def _without_none(payload: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    return {k: v for k, v in payload.items() if v is not None}


def _record(outgoing: Outgoing, cls: type[Any]) -> Any:
    if not isinstance(outgoing.record, cls):
        raise RecordError(
            f"zendesk: expected a {cls.__name__} record, got {type(outgoing.record).__name__}"
        )
    return outgoing.record


def organization_payload(
    outgoing: Outgoing,
    *,
    lookups: Mapping[str, Kind] | None = None,
    group_names: Mapping[str, str] | None = None,
) -> dict[str, JsonValue]:
    """The body of one organization for ``organizations/create_many``: its notes, default
    group (through the ledger) and sharing flags as the source had them; its own external id
    in :data:`SOURCE_EXTERNAL_ID` (Zendesk's ``external_id`` holds the source key); its lookup
    fields' values (``lookups``) as the target's ids."""
    org: Organization = _record(outgoing, Organization)
    linked = _linked_values(outgoing, org.custom_fields, lookups or {}, group_names)
    fields = {k: _payload_value(v) for k, v in linked.items()}
    if org.external_id:
        fields[SOURCE_EXTERNAL_ID] = org.external_id
    return _without_none(
        {
            "external_id": outgoing.external_id,
            "name": org.name,
            "domain_names": list(org.domains),
            "details": org.details,
            "notes": org.notes,
            "group_id": _link(outgoing, org.group, "group"),
            "shared_tickets": org.shared_tickets,
            "shared_comments": org.shared_comments,
            "tags": list(org.tags),
            "organization_fields": fields,
        }
    )


def identity_payload(found: Identity) -> dict[str, JsonValue]:
    """The body of one identity for ``POST /users/{id}/identities`` (Zendesk's type names)."""
    return {
        "type": IDENTITY_TYPES.get(found.type, found.type),
        "value": found.value,
        "verified": found.verified,
    }


def user_payload(
    outgoing: Outgoing,
    *,
    custom_roles: Mapping[str, int] | None = None,
    lookups: Mapping[str, Kind] | None = None,
    group_names: Mapping[str, str] | None = None,
) -> dict[str, JsonValue]:
    """The body of one user for ``users/create_or_update_many``.

    A user deleted in the source is written suspended, so the comments it wrote keep their
    author; the e-mail verification mail is skipped. ``custom_roles`` (name → the target's
    role id) gives an agent its custom role; a role the target lacks is left out (the agent
    keeps the plain agent role). The agent's default group goes through the ledger; the
    user's own external id goes into :data:`SOURCE_EXTERNAL_ID`, the address into
    :data:`USER_ADDRESS`. Lookup fields' values (``lookups``) are written as the target's ids.
    """
    person: User = _record(outgoing, User)
    identities: list[JsonValue] = [
        {**identity_payload(i), "primary": i.primary} for i in person.identities
    ]
    agent = person.role is not Role.END_USER
    role_id = (custom_roles or {}).get(person.custom_role or "")
    linked = _linked_values(outgoing, person.custom_fields, lookups or {}, group_names)
    fields = {k: _payload_value(v) for k, v in linked.items()}
    if person.external_id:
        fields[SOURCE_EXTERNAL_ID] = person.external_id
    if person.address:
        fields[USER_ADDRESS] = person.address
    return _without_none(
        {
            "external_id": outgoing.external_id,
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "role": _ROLE_NAMES[person.role],
            "custom_role_id": role_id if person.role is Role.AGENT else None,
            "suspended": person.suspended or person.deleted,
            "organization_id": _link(outgoing, person.organization, "organization"),
            "default_group_id": (
                _link(outgoing, person.default_group, "default group") if agent else None
            ),
            "ticket_restriction": person.ticket_restriction if agent else None,
            "only_private_comments": person.only_private_comments if agent else None,
            "alias": person.alias or None,
            "signature": person.signature or None,
            "details": person.details or None,
            "notes": person.notes or None,
            "identities": identities or None,
            "locale": person.locale,
            "time_zone": person.time_zone,
            "tags": list(person.tags),
            "user_fields": fields,
            "skip_verify_email": True,  # a migration must not e-mail customers [3P]
        }
    )


def group_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """The body of one group for ``POST /groups``."""
    team: Group = _record(outgoing, Group)
    return {"name": team.name, "description": team.description, "is_public": team.public}


def membership_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """The body of one membership for ``group_memberships/create_many``."""
    membership: GroupMembership = _record(outgoing, GroupMembership)
    return {
        "user_id": _link(outgoing, membership.user, "user"),
        "group_id": _link(outgoing, membership.group, "group"),
        "default": membership.default,
    }


def organization_membership_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """The body of one membership for ``POST /organization_memberships``."""
    membership: OrganizationMembership = _record(outgoing, OrganizationMembership)
    return {
        "user_id": _link(outgoing, membership.user, "user"),
        "organization_id": _link(outgoing, membership.organization, "organization"),
        "default": membership.default,
    }


def brand_payload(outgoing: Outgoing, *, subdomain: str) -> dict[str, JsonValue]:
    """The body of one brand for ``POST /brands``, on ``subdomain`` (the target account's
    to choose: subdomains are unique across Zendesk). The host mapping is not sent: the
    source's domain still points at the source."""
    item: Brand = _record(outgoing, Brand)
    payload: dict[str, JsonValue] = {
        "name": item.name,
        "subdomain": subdomain,
        "active": item.active,
    }
    if item.signature_template:
        payload["signature_template"] = item.signature_template
    return payload


def custom_status_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """The body of one custom status for ``POST /custom_statuses`` (a closed category is
    Zendesk's solved one)."""
    status: CustomStatus = _record(outgoing, CustomStatus)
    category = Status.SOLVED if status.category is Status.CLOSED else status.category
    return {
        "status_category": category.value,
        "agent_label": status.agent_label,
        "end_user_label": status.end_user_label or status.agent_label,
        "description": status.description,
        "end_user_description": status.end_user_description,
        "active": status.active,
    }


def ticket_form_payload(
    outgoing: Outgoing, *, system_field_ids: Mapping[str, int]
) -> dict[str, JsonValue]:
    """The body of one ticket form for ``POST /ticket_forms``: the target's ids of its custom
    fields (through the links) and of its built-in fields (``system_field_ids``: schema name
    → the target's field id; a name the target lacks is left out), its brands through the
    links. Conditional fields go with the target's field ids (:func:`_form_conditions`)."""
    form: TicketForm = _record(outgoing, TicketForm)
    ids: list[JsonValue] = [
        system_field_ids[name] for name in form.system_fields if name in system_field_ids
    ]
    linked = {ref.id: _link(outgoing, ref, "field") for ref in form.fields}
    ids += list(linked.values())
    brands: list[JsonValue] = [_link(outgoing, ref, "brand") for ref in form.brands]
    return {
        "name": form.name,
        "display_name": form.display_name or form.name,
        "end_user_visible": form.end_user_visible,
        "active": form.active,
        "position": form.position,
        "ticket_field_ids": list(dict.fromkeys(ids)),
        "in_all_brands": form.in_all_brands or not brands,
        "restricted_brand_ids": brands,
        **_form_conditions(form, linked),
    }


def _form_conditions(form: TicketForm, linked: Mapping[str, int | None]) -> dict[str, JsonValue]:
    """A form's conditional fields with the target's field ids: each condition whose parent
    and child fields are custom fields of the form, children that are not left out (a
    condition left without children is left out). A child's ``required_on_statuses`` keeps
    its statuses but not the source's custom status ids."""
    out: dict[str, JsonValue] = {}
    for key in ("agent_conditions", "end_user_conditions"):
        given = form.conditions.get(key)
        if not isinstance(given, list):
            continue
        kept: list[JsonValue] = []
        for condition in given:
            if not isinstance(condition, dict):
                continue
            parent = linked.get(str(condition.get("parent_field_id")))
            children: list[JsonValue] = []
            raw_children = condition.get("child_fields")
            for child in raw_children if isinstance(raw_children, list) else []:
                target = linked.get(str(child.get("id"))) if isinstance(child, dict) else None
                if target is None or not isinstance(child, dict):
                    continue
                moved: dict[str, JsonValue] = {**child, "id": target}
                required = child.get("required_on_statuses")
                if isinstance(required, dict):
                    moved["required_on_statuses"] = {
                        k: v for k, v in required.items() if k != "custom_statuses"
                    }
                children.append(moved)
            if parent is not None and children:
                kept.append({**condition, "parent_field_id": parent, "child_fields": children})
        out[key] = kept
    return out


def held_as(kind: Kind, record: Record, target_of: Callable[[Ref], str]) -> Record:
    """A source record as a Zendesk account holds it (reconciliation compares this with what
    reads back): a ticket field has no key of its own in Zendesk (it reads back as its
    title's, :func:`field`); a ticket form's conditional fields name the target's field ids,
    as :func:`ticket_form_payload` writes them."""
    if isinstance(record, FieldDef) and record.object is FieldObject.TICKET:
        return attrs.evolve(record, key=_slug(record.title) or record.key)
    if not isinstance(record, TicketForm) or not record.conditions:
        return record
    linked: dict[str, int | None] = {}
    for ref in record.fields:
        target = target_of(ref)
        linked[ref.id] = int(target) if target.isdigit() else None
    return attrs.evolve(record, conditions=_form_conditions(record, linked))


def schedule_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """The body of one schedule for ``POST /business_hours/schedules`` (its intervals go by
    :func:`workweek_payload`, its holidays by :func:`holiday_payload`)."""
    item: Schedule = _record(outgoing, Schedule)
    return {"name": item.name, "time_zone": item.time_zone}


def workweek_payload(item: Schedule) -> dict[str, JsonValue]:
    """The body of ``PUT /business_hours/schedules/{id}/workweek``: the open intervals."""
    return {"intervals": [{"start_time": i.start, "end_time": i.end} for i in item.intervals]}


def holiday_payload(item: Holiday) -> dict[str, JsonValue]:
    """The body of one holiday for ``POST /business_hours/schedules/{id}/holidays``."""
    return {"name": item.name, "start_date": item.start_date, "end_date": item.end_date}


_FIELD_TYPE_NAMES: Final[Mapping[FieldObject, Mapping[FieldType, str]]] = {
    obj: {
        **{t: t.value for t in FieldType},
        FieldType.DROPDOWN: "tagger" if obj is FieldObject.TICKET else "dropdown",
    }
    for obj in FieldObject
}


_LOOKUP_TYPES: Final[Mapping[Kind, str]] = {kind: name for name, kind in LOOKUP_TARGETS.items()}

GROUP_NAME_NOTE: Final = "Holds a group's name: a lookup to a group in the source."
"""The description of the text field a lookup to a group becomes (Zendesk has no lookup to a
group): the field's values are the names of the target's groups."""


def lookup_kinds(fields: Iterable[FieldDef], owner: FieldObject) -> dict[str, Kind]:
    """The lookup fields of ``owner`` records among ``fields`` (the target's), by key, and
    what their values name: the payloads write those values as the target's ids (a group's
    as its name, in the text field :data:`GROUP_NAME_NOTE` describes)."""
    found: dict[str, Kind] = {}
    for f in fields:
        if f.object is not owner:
            continue
        if f.type is FieldType.LOOKUP and f.references is not None:
            found[f.key] = f.references
        elif f.type is FieldType.TEXT and f.description.startswith(GROUP_NAME_NOTE):
            found[f.key] = Kind.GROUP
    return found


def _linked_values(
    outgoing: Outgoing,
    values: Mapping[str, FieldValue],
    lookups: Mapping[str, Kind],
    group_names: Mapping[str, str] | None = None,
) -> dict[str, FieldValue]:
    """``values`` with each lookup field's value as the target id of the record it names
    (through ``outgoing.links``), a group's as its name (``group_names``: target id → name);
    one the target does not hold is written empty."""
    out: dict[str, FieldValue] = {}
    for key, value in values.items():
        kind = lookups.get(key)
        if kind is None or value is None:
            out[key] = value
            continue
        target = outgoing.links.get(Ref(kind=kind, id=str(value)))
        if kind is Kind.GROUP and target is not None:
            target = (group_names or {}).get(target)
        out[key] = target
    return out


def field_payload(definition: FieldDef) -> dict[str, JsonValue]:
    """The body of one field for ``POST /ticket_fields`` (``/user_fields``,
    ``/organization_fields``). A regexp field gets the widest pattern: the common schema does
    not carry the source's pattern."""
    payload: dict[str, JsonValue] = {
        "type": _FIELD_TYPE_NAMES[definition.object][definition.type],
        "title": definition.title,
        "description": definition.description,
        "active": definition.active,
        "required": definition.required,
        "position": definition.position,
    }
    if definition.object is not FieldObject.TICKET:
        payload["key"] = definition.key
    if definition.key == ORIGIN_FIELD and definition.object is FieldObject.TICKET:
        # Private: agents only, never shown to or edited by end users. [Zendesk API
        # reference: Ticket Fields, visible_in_portal / editable_in_portal]
        payload["visible_in_portal"] = False
        payload["editable_in_portal"] = False
    if definition.type is FieldType.LOOKUP:
        target = _LOOKUP_TYPES.get(definition.references or Kind.FIELD)
        if target is None:  # a group: Zendesk has no lookup to one, its name is kept as text
            payload["type"] = "text"
            payload["description"] = f"{GROUP_NAME_NOTE} {definition.description}".strip()
        else:
            payload["relationship_target_type"] = target
    if definition.type is FieldType.REGEXP:
        payload["regexp_for_validation"] = ".*"
    if definition.options:
        ordered = sorted(definition.options, key=lambda o: o.position)
        payload["custom_field_options"] = [{"name": o.name, "value": o.value} for o in ordered]
    return payload


def _comment_payload(
    outgoing: Outgoing, note: Comment, upload_tokens: Mapping[str, str]
) -> dict[str, JsonValue]:
    uploads: list[JsonValue] = []
    for file in note.attachments:
        token = upload_tokens.get(file.id)
        if token is None:
            raise RecordError(
                f"zendesk ticket: attachment {file.id} of comment {note.id} has no upload token"
            )
        uploads.append(token)
    payload: dict[str, JsonValue] = {}
    if note.author is not None:
        payload["author_id"] = _link(outgoing, note.author, f"author of comment {note.id}")
    payload["created_at"] = format_time(note.created_at)
    payload["public"] = note.public is True
    if note.body_html.strip():
        payload["html_body"] = note.body_html
    elif note.body_plain.strip():
        payload["value"] = note.body_plain
    else:
        payload["value"] = ATTACHMENT_ONLY_BODY if note.attachments else EMPTY_BODY
    if uploads:
        payload["uploads"] = uploads
    return payload


NATIVE_VALUES: Final[Mapping[str, tuple[str, ...]]] = {
    "status": tuple(s.value for s in Status),
    "priority": tuple(p.value for p in Priority),
    "type": tuple(t.value for t in TicketType),
    "channel": tuple(c.value for c in Channel),
}
"""The values a Zendesk ticket takes for each mapped attribute: the schema's own (the channel
is kept as a ``cemigrate_via_*`` tag, since an import cannot set ``via``)."""


def _native(values: Mapping[str, Mapping[str, str]], attribute: str, value: str) -> str:
    return values.get(attribute, {}).get(value, value)


def _ticket_attributes(
    outgoing: Outgoing,
    record: Ticket,
    field_ids: Mapping[str, int],
    stored: Mapping[str, FieldValue],
    values: Mapping[str, Mapping[str, str]] | None = None,
    lookups: Mapping[str, Kind] | None = None,
    group_names: Mapping[str, str] | None = None,
) -> dict[str, JsonValue]:
    """What an import and an update both send: the ticket's own attributes and links, the
    attributes written through the mapping's value tables (``values``)."""
    tables = values or {}
    linked = _linked_values(outgoing, record.custom_fields, lookups or {}, group_names)
    given: dict[str, FieldValue] = {**linked, **stored}
    origin = origin_text(record)
    if origin is not None and ORIGIN_FIELD in field_ids:
        if len(origin) > MAX_TEXTAREA_CHARS:
            raise RecordError(
                f"zendesk ticket: its origin (recipient, via and comment metadata) is "
                f"{len(origin):,} characters, over the {MAX_TEXTAREA_CHARS:,} a multi-line "
                f"field {ORIGIN_FIELD!r} holds"
            )
        given[ORIGIN_FIELD] = origin
    custom: list[JsonValue] = []
    for key, value in sorted(given.items()):
        field_id = field_ids.get(key)
        if field_id is None:
            raise RecordError(f"zendesk ticket: custom field {key!r} does not exist in the target")
        custom.append({"id": field_id, "value": _payload_value(value)})
    channel = _native(tables, "channel", record.channel.value)
    tags = [*record.tags, f"{CHANNEL_TAG_PREFIX}{channel}"]
    priority, kind = record.priority, record.type
    return {
        "external_id": outgoing.external_id,
        "subject": record.subject,
        "status": _native(tables, "status", record.status.value),
        "priority": None if priority is None else _native(tables, "priority", priority.value),
        "type": None if kind is None else _native(tables, "type", kind.value),
        "tags": list(dict.fromkeys(tags)),
        "custom_fields": custom,
        "requester_id": _link(outgoing, record.requester, "requester"),
        "assignee_id": _link(outgoing, record.assignee, "assignee"),
        "group_id": _link(outgoing, record.group, "group"),
        "organization_id": _link(outgoing, record.organization, "organization"),
        # The support address written to: notifications go out from it. [Zendesk API
        # reference: Tickets, recipient]
        "recipient": record.recipient,
        "brand_id": _link(outgoing, record.brand, "brand"),
        "ticket_form_id": _link(outgoing, record.form, "ticket form"),
        "custom_status_id": _link(outgoing, record.custom_status, "custom status"),
        "due_at": None if record.due_at is None else format_time(record.due_at),
        # Link-only: an incident whose problem the target does not hold yet is written without.
        "problem_id": _linked_or_none(outgoing, record.problem),
    }


def _linked_or_none(outgoing: Outgoing, ref: Ref | None) -> int | None:
    target = None if ref is None else outgoing.links.get(ref)
    return None if target is None or not target.isdigit() else int(target)


def ticket_update_payload(
    outgoing: Outgoing,
    *,
    field_ids: Mapping[str, int],
    values: Mapping[str, Mapping[str, str]] | None = None,
    lookups: Mapping[str, Kind] | None = None,
    group_names: Mapping[str, str] | None = None,
) -> dict[str, JsonValue]:
    """One item of ``tickets/update_many``: the attributes of a ticket imported before (its
    ``id`` is the target id). Comments are added one update each (:func:`comment_payload`)."""
    record: Ticket = _record(outgoing, Ticket)
    assert outgoing.target_id is not None
    payload = _ticket_attributes(outgoing, record, field_ids, {}, values, lookups, group_names)
    payload["id"] = _target_id(outgoing.target_id, "ticket")
    return _without_none(payload)


def comment_payload(
    outgoing: Outgoing, note: Comment, upload_tokens: Mapping[str, str]
) -> dict[str, JsonValue]:
    """A comment added to a ticket by an update: author, public flag, body and files (Zendesk
    dates it at the update; only an import keeps a comment's own time)."""
    payload = _comment_payload(outgoing, note, upload_tokens)
    payload.pop("created_at", None)
    return payload


def ticket_import_payload(
    outgoing: Outgoing,
    *,
    field_ids: Mapping[str, int],
    upload_tokens: Mapping[str, str],
    sla: SlaHistory | None = None,
    sla_author: int | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    lookups: Mapping[str, Kind] | None = None,
    group_names: Mapping[str, str] | None = None,
) -> dict[str, JsonValue]:
    """The body of one ticket for the Ticket Import API (``imports/tickets/create_many``).

    ``field_ids`` maps a custom field key to the target's field id; ``upload_tokens`` maps an
    attachment id to the token its upload returned. The description is not sent: Zendesk takes
    it from the first comment (a ticket without comments sends its description instead).
    Comments keep their author, time and ``public`` flag; a closed ticket is imported closed.

    ``sla`` is the ticket's SLA history in the source: Zendesk computes none for imported
    tickets, so it is kept in the :data:`SLA_HISTORY_FIELDS` (when they exist in the target)
    and in a private note by ``sla_author``, dated at the ticket's last update. ``lookups``
    (:func:`lookup_kinds`) says which fields hold references, written as the target's ids
    (a group's as its name: ``group_names``, target id → name).
    """
    record: Ticket = _record(outgoing, Ticket)
    if record.deleted:
        raise RecordError("zendesk ticket: deleted in the source; it is not imported")
    stored: dict[str, FieldValue] = {}
    if sla:
        history = sla_history_fields(sla.metrics, sla.events)
        stored = {k: v for k, v in history.items() if k in field_ids and v is not None}
    payload = _ticket_attributes(outgoing, record, field_ids, stored, values, lookups, group_names)
    payload.update(
        {
            "submitter_id": _link(outgoing, record.submitter, "submitter"),
            "collaborator_ids": [_link(outgoing, r, "cc") for r in record.ccs],
            "follower_ids": [_link(outgoing, r, "follower") for r in record.followers],
            "created_at": format_time(record.created_at),
            "updated_at": format_time(record.updated_at),
            "solved_at": None if record.solved_at is None else format_time(record.solved_at),
        }
    )
    comments: list[JsonValue] = [
        _comment_payload(outgoing, c, upload_tokens) for c in record.comments
    ]
    if not comments:
        payload["description"] = record.description if record.description.strip() else EMPTY_BODY
    if sla:
        if not comments:  # the note must not become the description
            first: dict[str, JsonValue] = {"value": payload.pop("description"), "public": True}
            if payload.get("requester_id") is not None:
                first["author_id"] = payload["requester_id"]
            first["created_at"] = format_time(record.created_at)
            comments.append(first)
        note: dict[str, JsonValue] = {
            "value": sla_history_note(sla.events, sla.metrics),
            "public": False,  # service levels are internal: never shown to the requester
            "created_at": format_time(record.updated_at),
        }
        if sla_author is not None:
            note["author_id"] = sla_author
        comments.append(note)
    if comments:
        payload["comments"] = comments
    return _without_none(payload)
