"""Freshdesk JSON ⇄ the common schema: pure functions on dicts, the only place that knows
Freshdesk's shapes (API v2; the data model is ``docs/freshdesk.md``).

Reading (Freshdesk → schema): one function per object, named after the record it returns.
Ids become strings, timestamps timezone-aware UTC datetimes; a payload missing a required field
or carrying a value of the wrong type raises :class:`~cemigrate.errors.RecordError` naming the
object and the field, never its content.

Writing (schema → Freshdesk): ``*_payload`` functions build the JSON a create call takes.
References become target ids through ``Outgoing.links``; a reference without a link raises
``RecordError``.

Decisions, stated once:

* **The first comment is the description.** Freshdesk has no first conversation: a ticket's
  ``description`` (and its ``attachments``) is its first comment, authored by the requester,
  public, at the ticket's creation time.
* **Codes** (``docs/freshdesk.md``): status new/open 2, pending 3, solved 4, closed 5, hold 6
  (a custom status "Waiting on third party"); other custom statuses read as open. ``new`` is
  read back as ``open`` (documented loss).
* **Original times.** Freshdesk sets ``created_at`` itself. A written ticket keeps its original
  times in ``cf_cemigrate_created_at`` / ``_updated_at`` / ``_solved_at`` (ISO text), and each
  conversation starts with :data:`ORIGINAL_TIME_PREFIX`; reading takes both back.
* **Field names.** A custom field's key is its ``name`` without ``cf_``; payloads use the name
  as the account lists it.
* **Empty bodies.** Freshdesk refuses a blank conversation: an empty comment is written as
  :data:`EMPTY_BODY` or :data:`ATTACHMENT_ONLY_BODY`, and read back as empty.
* **Dropdown choices** are the options' stable values (Freshdesk shows a choice as its value).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

import attrs

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.freshdesk.rules import FRESHDESK_RULES
from cemigrate.adapters.origin import ORIGIN_FIELD, origin_text
from cemigrate.adapters.readers import JsonReader
from cemigrate.adapters.sla_history import is_sla_note
from cemigrate.errors import RecordError
from cemigrate.rules.names import with_names
from cemigrate.schema import (
    Action,
    Attachment,
    Brand,
    Channel,
    Comment,
    Condition,
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    FieldValue,
    Group,
    GroupMembership,
    Identity,
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
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    Status,
    Ticket,
    TicketMetrics,
    TicketType,
    User,
)

__all__ = [
    "ADDRESS_KEYS",
    "ADMIN_ROLE_NAMES",
    "ADOPTABLE_DEFAULTS",
    "ATTACHMENT_ONLY_BODY",
    "CEMIGRATE_COMPANY_FIELDS",
    "CEMIGRATE_CONTACT_FIELDS",
    "CEMIGRATE_TICKET_FIELDS",
    "CONVERSATION_METADATA",
    "CONVERSATION_SOURCE_NAMES",
    "DEFAULT_VALUES",
    "EMPTY_BODY",
    "LABEL_FIELDS",
    "MAX_OTHER_EMAILS",
    "MAX_PARAGRAPH_CHARS",
    "MAX_TEXT_CHARS",
    "NATIVE_VALUES",
    "ORIGINAL_TIME_PREFIX",
    "ORIGIN_BUDGET",
    "OVERFLOW_PREFIX",
    "SOURCE_EXTERNAL_ID",
    "SOURCE_NAMES",
    "THREAD_KEYS",
    "TICKET_SCOPES",
    "TICKET_TYPE_FIELD",
    "TICKET_VIA",
    "Json",
    "adopted_field",
    "agent",
    "attachment",
    "brand",
    "company_payload",
    "contact",
    "contact_payload",
    "conversation",
    "conversation_body",
    "conversation_metadata",
    "field",
    "field_payload",
    "fitted_origin",
    "format_time",
    "group",
    "group_memberships",
    "held_as",
    "organization",
    "organization_memberships",
    "parse_time",
    "rule",
    "satisfaction_rating",
    "sla_events",
    "sla_policy",
    "source_names",
    "ticket",
    "ticket_metrics",
    "ticket_payload",
    "ticket_scope",
    "ticket_type_field",
    "ticket_via",
]

Json: TypeAlias = Mapping[str, Any]
"""A Freshdesk JSON object as decoded by ``json.loads``."""

EMPTY_BODY: Final = "(empty comment)"
ATTACHMENT_ONLY_BODY: Final = "(attachment only)"
ORIGINAL_TIME_PREFIX: Final = "[cemigrate: originally at "
"""First line of every conversation cemigrate writes: ``[cemigrate: originally at <ISO>]``."""
OVERFLOW_PREFIX: Final = "[cemigrate: attachments of comment "
"""First line of a private note carrying files that did not fit their comment's 20 MB."""

ADMIN_ROLE_NAMES: Final = frozenset({"account administrator", "administrator"})
"""Roles that make an agent an admin in the schema."""

CEMIGRATE_TICKET_FIELDS: Final[tuple[FieldDef, ...]] = tuple(
    FieldDef(id=key, object=FieldObject.TICKET, key=key, title=key, type=FieldType.TEXT)
    for key in (
        "cemigrate_id",
        "cemigrate_created_at",
        "cemigrate_updated_at",
        "cemigrate_solved_at",
        "cemigrate_conversations",
    )
)
"""cemigrate's own ticket fields: the source key (what ``find`` searches), original times, and
how many conversations the ticket gets (``find`` reports a ticket only once it holds them all:
a ticket is a create and then a call per conversation, and a crash can fall in between)."""

LABEL_FIELDS: Final[Mapping[str, FieldDef]] = {
    attribute: FieldDef(id=key, object=FieldObject.TICKET, key=key, title=key, type=FieldType.TEXT)
    for attribute, key in (
        ("brand", "cemigrate_brand"),
        ("form", "cemigrate_form"),
        ("custom_status", "cemigrate_custom_status"),
    )
}
"""Ticket references Freshdesk has no record for that the API can create, kept as the
referenced record's name in a text field: attribute → the field. The API reference lists
Products and Business Hours as read-only (view, list: facts 3.5), and has no call that creates
a ticket form or adds a choice to the status field; see ``docs/freshdesk.md``."""

MAX_TEXT_CHARS: Final = 255
"""A single-line text value (and ``name``, ``phone``, ``twitter_id`` ...): Freshdesk's
``ApiConstants::MAX_LENGTH_STRING`` in its contact and ticket validations."""
MAX_PARAGRAPH_CHARS: Final = 65_535
"""What cemigrate puts in a paragraph (multi-line text) field at most: the size of the text
column behind it. The API reference states no limit for paragraph values; a longer origin
fails its ticket with a clear reason rather than being cut."""
MAX_OTHER_EMAILS: Final = 9
"""E-mails a contact holds besides its primary one: ``ContactConstants::MAX_OTHER_EMAILS_COUNT``
= ``User::MAX_USER_EMAILS`` (10) - 1 in Freshdesk's own validation of ``other_emails``;
more is a 400 ``invalid_value`` on ``other_emails``."""
NOTES_HEADING: Final = "[cemigrate: notes]"
"""In a contact's ``description``: the source's private notes about the person follow."""
IDENTITIES_HEADING: Final = "[cemigrate: further identities]"
"""In a contact's ``description``: identities Freshdesk has no place for, one
``type: value`` a line (e-mails past :data:`MAX_OTHER_EMAILS`, a third phone, facebook ...)."""

CEMIGRATE_COMPANY_FIELDS: Final[tuple[FieldDef, ...]] = tuple(
    FieldDef(id=key, object=FieldObject.ORGANIZATION, key=key, title=key, type=FieldType.TEXT)
    for key in ("cemigrate_id", "cemigrate_tags")
)
"""cemigrate's own company fields: the source key and the tags (companies have none)."""

SOURCE_EXTERNAL_ID: Final = "cemigrate_external_id"
"""The contact field keeping the person's own external id from the source: the contact's
``unique_external_id`` holds cemigrate's source key (what ``find`` looks up after a crash).
Read back, the field's value is the user's external id."""

CEMIGRATE_CONTACT_FIELDS: Final[tuple[FieldDef, ...]] = (
    FieldDef(
        id=SOURCE_EXTERNAL_ID,
        object=FieldObject.USER,
        key=SOURCE_EXTERNAL_ID,
        title=SOURCE_EXTERNAL_ID,
        type=FieldType.TEXT,
    ),
)
"""cemigrate's own contact fields: :data:`SOURCE_EXTERNAL_ID`."""

_ORIGINAL_LINE: Final = re.compile(
    r"^\s*(?:<p>|<div>)?\s*\[cemigrate: originally at ([0-9T:+.Z-]+)\]\s*(?:</p>|</div>|<br\s*/?>)?"
    r"\s*\n?"
)

# --- small readers ------------------------------------------------------------------------


def parse_time(value: object) -> datetime:
    """A Freshdesk timestamp (``2016-05-18T04:36:04Z``, ``2014-07-28T16:20:03+05:30``) as an
    aware UTC datetime; ``ValueError`` if it is not one."""
    if not isinstance(value, str):
        raise ValueError("a timestamp must be text")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone")
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """An aware datetime as Freshdesk takes it: ISO-8601 in UTC, ``2016-05-18T04:36:04Z``."""
    if value.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_read = JsonReader("freshdesk", parse_time=parse_time)
_fail, _need, _id, _ref = _read.fail, _read.need, _read.id, _read.ref
_text, _tags, _time, _opt_time = _read.text, _read.tags, _read.time, _read.opt_time


def _minutes_between(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds() // 60))


def _plain(body_html: str) -> str:
    """Text of an HTML body (when Freshdesk gives no ``body_text``)."""
    text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", body_html)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


# --- vocabularies -------------------------------------------------------------------------

STATUS_CODES: Final[Mapping[Status, int]] = {
    Status.NEW: 2,
    Status.OPEN: 2,
    Status.PENDING: 3,
    Status.SOLVED: 4,
    Status.CLOSED: 5,
    Status.HOLD: 6,
}
_STATUSES: Final[Mapping[int, Status]] = {
    2: Status.OPEN,
    3: Status.PENDING,
    4: Status.SOLVED,
    5: Status.CLOSED,
    6: Status.HOLD,
}
PRIORITY_CODES: Final[Mapping[Priority, int]] = {
    Priority.LOW: 1,
    Priority.NORMAL: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}
_PRIORITIES: Final = {code: p for p, code in PRIORITY_CODES.items()}
SOURCE_CODES: Final[Mapping[Channel, int]] = {
    Channel.EMAIL: 1,
    Channel.WEB: 2,
    Channel.PHONE: 3,
    Channel.CHAT: 7,
    Channel.API: 2,  # no code of its own
    Channel.SOCIAL: 2,  # social codes are the channels' own, not for an API create
    Channel.OTHER: 2,
}
SOURCE_NAMES: Final[Mapping[int, tuple[str, Channel]]] = {
    1: ("Email", Channel.EMAIL),
    2: ("Portal", Channel.WEB),
    3: ("Phone", Channel.PHONE),
    4: ("Forum", Channel.OTHER),  # old data
    5: ("Twitter", Channel.SOCIAL),
    6: ("Facebook", Channel.SOCIAL),
    7: ("Chat", Channel.CHAT),
    8: ("MobiHelp", Channel.WEB),  # the in-app form of the mobile SDK
    9: ("Feedback Widget", Channel.WEB),
    10: ("Outbound Email", Channel.EMAIL),
    11: ("Ecommerce", Channel.OTHER),
    12: ("Bot", Channel.CHAT),
    13: ("Whatsapp", Channel.SOCIAL),
}
"""A ticket's ``source`` code → Freshdesk's name for it and the schema channel. The names are
the choices of the default ``source`` ticket field as a real account lists them
(``GET /api/v2/ticket_fields``: Email 1 ... Outbound Email 10, Ecommerce 11, Bot 12, Whatsapp
13, recorded in the public gofreshdesk client's tests); the API reference's "Ticket
Properties" names 1, 2, 3, 7, 9 and 10. A code not in the table reads as channel ``other``;
the code (and the account's own name for it, if its ``source`` field lists one) is kept in
``Ticket.via`` either way."""
_SOURCES: Final[Mapping[int, Channel]] = {
    code: channel for code, (_, channel) in SOURCE_NAMES.items()
}
CONVERSATION_SOURCE_NAMES: Final[Mapping[int, tuple[str, Channel]]] = {
    0: ("Reply", Channel.EMAIL),
    2: ("Note", Channel.WEB),
    5: ("Tweet", Channel.SOCIAL),
    6: ("Survey feedback", Channel.WEB),
    7: ("Facebook post", Channel.SOCIAL),
    8: ("Forwarded email", Channel.EMAIL),
    9: ("Phone", Channel.PHONE),
    11: ("E-Commerce", Channel.OTHER),
}
"""A conversation's ``source`` → its name and channel (API reference, "Conversation
Properties"); the code is kept in ``Comment.metadata`` either way."""
_CONVERSATION_SOURCES: Final[Mapping[int, Channel]] = {
    code: channel for code, (_, channel) in CONVERSATION_SOURCE_NAMES.items()
}
CONVERSATION_METADATA: Final = (
    "source",
    "category",
    "auto_response",
    "thread_id",
    "thread_message_id",
    "support_email",
    "from_email",
    "to_emails",
    "cc_emails",
    "bcc_emails",
)
"""The attributes of a conversation kept verbatim in ``Comment.metadata`` (when present and
not empty): how it was sent and to whom. Private: targets keep them in ``cemigrate_origin``."""
TICKET_VIA: Final = (
    "to_emails",
    "cc_emails",
    "ticket_cc_emails",
    "ticket_bcc_emails",
    "fwd_emails",
    "reply_cc_emails",
    "email_config_id",
    "product_id",
    "form_id",
    "spam",
    "association_type",
    "associated_tickets_list",
    "associated_tickets_count",
    "nr_due_by",
    "nr_escalated",
)
"""Ticket attributes kept verbatim in ``Ticket.via`` beside the source code (when present and
not empty): addresses, the mailbox, product and form ids, spam, parent/child and tracker
links, the next-response SLA. None of them has a schema attribute that holds it whole."""
TICKET_TYPE_FIELD: Final = "ticket_type"
"""The key of Freshdesk's default type field: the account's ticket types are its choices."""
_TYPES: Final[Mapping[str, TicketType]] = {t.value: t for t in TicketType}

_FIELD_TYPES: Final[Mapping[str, FieldType]] = {
    "custom_text": FieldType.TEXT,
    "custom_paragraph": FieldType.TEXTAREA,
    "custom_number": FieldType.INTEGER,
    "custom_decimal": FieldType.DECIMAL,
    "custom_checkbox": FieldType.CHECKBOX,
    "custom_date": FieldType.DATE,
    "custom_dropdown": FieldType.DROPDOWN,
    "custom_multi_select_dropdown": FieldType.MULTISELECT,
    # contact and company fields name their types without the prefix
    "text": FieldType.TEXT,
    "paragraph": FieldType.TEXTAREA,
    "number": FieldType.INTEGER,
    "decimal": FieldType.DECIMAL,
    "checkbox": FieldType.CHECKBOX,
    "date": FieldType.DATE,
    "dropdown": FieldType.DROPDOWN,
    "multi_select_dropdown": FieldType.MULTISELECT,
}
FIELD_TYPE_NAMES: Final[Mapping[FieldType, str]] = {
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
"""Schema field type → Freshdesk ``type`` for a create (``docs/freshdesk.md``). A lookup is a
text field: the API's ticket, contact and company field types have no lookup (Freshdesk API
v2 reference: Ticket Fields, Contact Fields, Company Fields list the custom types)."""

_LOOKUP_NOTE: Final = re.compile(
    r"^Holds an? (user|organization|ticket|group) lookup of the source"
)
"""How the description of a text field holding a lookup begins (:func:`lookup_note`)."""


def lookup_note(kind: Kind) -> str:
    """The description of the text field a lookup to ``kind`` becomes: it holds the id of the
    record in this account (a group's name: a group id means nothing to a reader)."""
    article = "an" if kind is Kind.ORGANIZATION else "a"
    what = "the group's name" if kind is Kind.GROUP else f"the {kind}'s id in this account"
    return f"Holds {article} {kind} lookup of the source: {what}."


def lookup_kinds(fields: Mapping[str, FieldDef]) -> dict[str, Kind]:
    """Which of ``fields`` (by the key records name them with) are text fields holding a
    lookup (:func:`lookup_note`), and the kind their values name."""
    found: dict[str, Kind] = {}
    for key, definition in fields.items():
        matched = _LOOKUP_NOTE.match(definition.description)
        if matched is not None:
            found[key] = Kind(matched.group(1))
    return found


def with_lookups(
    outgoing: Outgoing, lookups: Mapping[str, Kind], group_names: Mapping[str, str]
) -> Outgoing:
    """``outgoing`` with each lookup value as the target's id of the record it names (through
    ``outgoing.links``; a group's as its name, ``group_names``: target id → name). A record
    the target does not hold (yet) leaves the field empty, never the source's id."""
    record = outgoing.record
    if not isinstance(record, Ticket | User | Organization):
        return outgoing
    custom = record.custom_fields
    if not any(key in lookups for key in custom):
        return outgoing
    values: dict[str, FieldValue] = {}
    for key, value in custom.items():
        kind = lookups.get(key)
        if kind is None or value is None:
            values[key] = value
            continue
        target = outgoing.links.get(Ref(kind=kind, id=str(value)))
        if kind is Kind.GROUP and target is not None:
            target = group_names.get(target)
        values[key] = target
    return attrs.evolve(outgoing, record=attrs.evolve(record, custom_fields=values))


DEFAULT_VALUES: Final[Mapping[str, Mapping[str, str]]] = {
    "status": {s.value: str(code) for s, code in STATUS_CODES.items()},
    "priority": {p.value: str(code) for p, code in PRIORITY_CODES.items()},
    "type": {t.value: t.value.capitalize() for t in TicketType},
    "channel": {c.value: str(code) for c, code in SOURCE_CODES.items()},
}
"""How a ticket attribute is written when the mapping says nothing (schema → Freshdesk)."""

NATIVE_VALUES: Final[Mapping[str, tuple[str, ...]]] = {
    "status": ("2", "3", "4", "5", "6"),
    "priority": ("1", "2", "3", "4"),
    "type": tuple(t.value.capitalize() for t in TicketType),
    "channel": ("1", "2", "3", "7", "9", "10"),
}
"""The values a Freshdesk ticket takes for each mapped attribute (codes as text; status 6 is
the custom status the data model adds; an account's own custom statuses come on top)."""


def _native(values: Mapping[str, Mapping[str, str]], attribute: str, value: str) -> str:
    return values.get(attribute, {}).get(value) or DEFAULT_VALUES[attribute][value]


def _code(values: Mapping[str, Mapping[str, str]], attribute: str, value: str) -> int:
    native = _native(values, attribute, value)
    try:
        return int(native)
    except ValueError:
        raise RecordError(
            f"freshdesk ticket: {attribute} {value!r} maps to {native!r}, not a Freshdesk code",
            platform_message=f"{attribute}: {native!r} is not a code",
        ) from None


# --- reading ------------------------------------------------------------------------------


_OWN_SUFFIXED: Final = re.compile(r"^(cemigrate_[a-z_]*[a-z])_\d+$")


def field_key(name: str) -> str:
    """A custom field's schema key: its Freshdesk name without ``cf_`` (and, for cemigrate's
    own fields, without the account number Freshdesk appends to names it derives)."""
    key = name.removeprefix("cf_")
    own = _OWN_SUFFIXED.match(key)
    return own.group(1) if own else key


ADOPTABLE_DEFAULTS: Final[Mapping[FieldObject, frozenset[str]]] = {
    FieldObject.USER: frozenset({"job_title", "address", "description"}),
    FieldObject.ORGANIZATION: frozenset(
        {"note", "health_score", "account_tier", "renewal_date", "industry"}
    ),
}
"""Freshdesk's own contact and company fields that hold a free value no schema attribute
reads: a source field of that name or label is adopted by the target (its value sent at the
top level of the contact or company) rather than created beside it, and the target view
(:class:`~cemigrate.adapters.freshdesk.source.FreshdeskSource` with ``target_view=True``)
reads them back as fields. Identity and schema fields (``name``, ``email``, ``domains``...)
are never adopted: a custom value must not overwrite them."""
_ADOPTED_TYPES: Final[Mapping[str, FieldType]] = {
    "renewal_date": FieldType.DATE,
    "note": FieldType.TEXTAREA,
    "description": FieldType.TEXTAREA,
    "address": FieldType.TEXTAREA,
}


def _options(d: Json) -> tuple[FieldOption, ...]:
    choices = d.get("choices") or []
    options: list[FieldOption] = []
    if isinstance(choices, Mapping):  # some field types answer {label: value}
        choices = list(choices)
    for position, choice in enumerate(choices):
        value = choice.get("value") if isinstance(choice, Mapping) else choice
        if value in (None, ""):
            continue
        options.append(FieldOption(name=str(value), value=str(value), position=position))
    return tuple(options)


def adopted_field(d: Json, *, object: FieldObject) -> FieldDef | None:
    """One of Freshdesk's own fields in :data:`ADOPTABLE_DEFAULTS`, as the definition the
    target adopts for a source field of that name or label (its id is the default field's);
    ``None`` for any other field. Read only by the target view."""
    what = f"{object} field"
    name = str(d.get("name") or "")
    if not d.get("default") or name not in ADOPTABLE_DEFAULTS.get(object, frozenset()):
        return None
    options = _options(d)
    return FieldDef(
        id=_id(d, "id", what),
        object=object,
        key=name,
        title=_text(d, "label", what) or name,
        type=_ADOPTED_TYPES.get(name, FieldType.DROPDOWN if options else FieldType.TEXT),
        options=options,
        position=max(0, int(d.get("position") or 0)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def field(d: Json, *, object: FieldObject) -> FieldDef | None:
    """A custom field definition, or ``None`` for one of Freshdesk's default fields."""
    what = f"{object} field"
    if d.get("default") or not str(d.get("name") or "").strip():
        return None
    kind = _FIELD_TYPES.get(str(d.get("type")))
    if kind is None:
        return None  # a type with no schema equivalent (lookup, encrypted, ...)
    return FieldDef(
        id=_id(d, "id", what),
        object=object,
        key=field_key(str(d["name"])),
        title=_text(d, "label", what) or str(d["name"]),
        type=kind,
        options=_options(d),
        required=bool(d.get("required_for_agents") or d.get("required_for_closure")),
        description=_text(d, "description", what),
        position=max(0, int(d.get("position") or 0)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def _custom_values(d: Json, what: str) -> dict[str, FieldValue]:
    values = d.get("custom_fields") or d.get("custom_field") or {}
    if not isinstance(values, Mapping):
        raise _fail(what, "custom_fields", "is not an object")
    found: dict[str, FieldValue] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            found[field_key(name)] = tuple(str(v) for v in value)
        elif isinstance(value, str | int | float | bool):
            found[field_key(name)] = value
        else:
            raise _fail(what, f"custom_fields.{name}", "is not a field value")
    return found


def _adopted_values(d: Json, names: Iterable[str], what: str) -> dict[str, FieldValue]:
    """The top-level values of adopted default fields (``account_tier``...), as custom
    values under the field's name."""
    found: dict[str, FieldValue] = {}
    for name in names:
        value = d.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str | int | float | bool):
            raise _fail(what, name, "is not a field value")
        found[name] = value
    return found


def organization(d: Json, *, adopted: Iterable[str] = ()) -> Organization:
    """A company (its tags come back from cemigrate's ``cemigrate_tags`` field, if any).
    ``adopted`` names default fields read as custom values (the target view: see
    :data:`ADOPTABLE_DEFAULTS`)."""
    what = "company"
    custom = {**_adopted_values(d, adopted, what), **_custom_values(d, what)}
    custom.pop("cemigrate_id", None)
    tags = str(custom.pop("cemigrate_tags", "") or "").split()
    return Organization(
        id=_id(d, "id", what),
        name=str(_need(d, "name", what)),
        domains=_tags(d, "domains", what),
        details=_text(d, "description", what),
        notes=_text(d, "note", what),
        tags=tuple(tags),
        custom_fields=custom,
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def _language(d: Json) -> str:
    language = str(d.get("language") or "en")
    return language if "-" in language else {"en": "en-US"}.get(language, language)


def contact(d: Json, *, adopted: Iterable[str] = ()) -> User:
    """A contact: an end user. Blocked reads as suspended; a (soft-)deleted contact as
    deleted *and* suspended: Freshdesk lets it in no more (no portal sign-in, its mail goes to
    spam), which is how the target keeps a suspended or deleted user out. ``adopted`` names
    default fields read as custom values (the target view: see :data:`ADOPTABLE_DEFAULTS`)."""
    what = "contact"
    email = d.get("email")
    identities = []
    if email:
        identities.append(Identity(type="email", value=str(email), primary=True, verified=True))
    for other in d.get("other_emails") or ():
        identities.append(Identity(type="email", value=str(other)))
    for key, kind in (
        ("phone", "phone_number"),
        ("mobile", "phone_number"),
        ("twitter_id", "twitter"),
    ):
        if d.get(key):
            identities.append(Identity(type=kind, value=str(d[key])))
    details, notes, further = split_description(_text(d, "description", what))
    identities.extend(further)
    custom = {**_adopted_values(d, adopted, what), **_custom_values(d, what)}
    phone = d.get("phone") or d.get("mobile")  # for some contacts the mobile is the only number
    return User(
        id=_id(d, "id", what),
        name=str(d.get("name") or email or d.get("id")),
        email=str(email) if email else None,
        role=Role.END_USER,
        suspended=bool(d.get("blocked") or d.get("deleted")),
        deleted=bool(d.get("deleted")),
        identities=tuple(identities),
        organization=_ref(Kind.ORGANIZATION, d, "company_id", what),
        locale=_language(d),
        time_zone=str(d.get("time_zone") or "UTC"),
        phone=str(phone) if phone else None,
        external_id=_contact_external_id(d, custom),
        details=details,
        notes=notes,
        tags=_tags(d, "tags", what),
        custom_fields=custom,
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
        address=None if "address" in adopted else (_text(d, "address", what) or None),
    )


def _contact_external_id(d: Json, custom: dict[str, FieldValue]) -> str | None:
    """The person's own external id: the :data:`SOURCE_EXTERNAL_ID` field's value where the
    account has that field (a contact cemigrate wrote: its ``unique_external_id`` is the source
    key), else ``unique_external_id``. The field is taken out of ``custom``."""
    raw = d.get("custom_fields") or d.get("custom_field") or {}
    if isinstance(raw, Mapping) and any(field_key(k) == SOURCE_EXTERNAL_ID for k in raw):
        value = custom.pop(SOURCE_EXTERNAL_ID, None)
        return None if value in (None, "") else str(value)
    value = d.get("unique_external_id")
    return None if value in (None, "") else str(value)


def split_description(text: str) -> tuple[str, str, list[Identity]]:
    """A contact's ``description`` as :func:`contact_description` composed it: the details,
    the notes and the further identities (a description without headings is all details)."""
    details, _, rest = text.partition(NOTES_HEADING)
    if not rest:
        details, _, further = text.partition(IDENTITIES_HEADING)
        notes = ""
    else:
        notes, _, further = rest.partition(IDENTITIES_HEADING)
    found = []
    for line in further.splitlines():
        kind, sep, value = line.partition(": ")
        if sep and kind.strip() and value.strip():
            found.append(Identity(type=kind.strip(), value=value.strip()))
    return details.strip(), notes.strip(), found


def organization_memberships(d: Json) -> list[OrganizationMembership]:
    """A contact's companies: ``company_id`` is the default membership, each entry of
    ``other_companies`` another (ids ``<contact>-<company>``)."""
    what = "contact"
    contact_id = _id(d, "id", what)
    user = Ref(kind=Kind.USER, id=contact_id)
    found = []
    if d.get("company_id") is not None:
        found.append(
            OrganizationMembership(
                id=f"{contact_id}-{d['company_id']}",
                user=user,
                organization=Ref(kind=Kind.ORGANIZATION, id=str(d["company_id"])),
                default=True,
                view_tickets=bool(d.get("view_all_tickets")),
            )
        )
    for other in d.get("other_companies") or ():
        if not isinstance(other, Mapping) or other.get("company_id") is None:
            raise _fail(what, "other_companies", "holds an entry without company_id")
        found.append(
            OrganizationMembership(
                id=f"{contact_id}-{other['company_id']}",
                user=user,
                organization=Ref(kind=Kind.ORGANIZATION, id=str(other["company_id"])),
                view_tickets=bool(other.get("view_all_tickets")),
            )
        )
    return found


TICKET_SCOPES: Final[Mapping[str, int]] = {
    "groups": 2,
    "assigned": 3,
    "requested": 3,
    "organization": 3,
}
"""An agent's ``ticket_restriction`` → Freshdesk's ``ticket_scope`` (1 all tickets, 2 the
agent's groups', 3 only the agent's own: facts 3.5). Freshdesk has no scope for "tickets of my
organization" or "tickets I requested": both become 3, the narrower one, and read back as
``assigned``."""
_RESTRICTIONS: Final[Mapping[int, str]] = {2: "groups", 3: "assigned"}


def ticket_scope(restriction: str | None) -> int:
    """The ``ticket_scope`` for an agent's ``ticket_restriction`` (None: all tickets, 1)."""
    return 1 if restriction is None else TICKET_SCOPES.get(restriction, 3)


def agent(d: Json, *, admin_role_ids: Iterable[str] = ()) -> User:
    """An agent as ``GET /agents/{id}`` shows it (the list leaves out ``role_ids``): its
    embedded ``contact`` holds name, e-mail, phone and mobile. Admin when it holds an
    administrator role; suspended when its contact is not active. ``ticket_scope`` is the
    ticket restriction, ``type`` the agent type, ``occasional`` a day-pass agent."""
    what = "agent"
    person = d.get("contact") or {}
    if not isinstance(person, Mapping):
        raise _fail(what, "contact", "is not an object")
    email = person.get("email")
    admins = set(admin_role_ids)
    role = Role.ADMIN if {str(r) for r in d.get("role_ids") or ()} & admins else Role.AGENT
    identities = [Identity(type="email", value=str(email), primary=True, verified=True)]
    if not email:
        identities = []
    for key in ("phone", "mobile"):
        if person.get(key):
            identities.append(Identity(type="phone_number", value=str(person[key])))
    phone = person.get("phone") or person.get("mobile")
    occasional = d.get("occasional")
    return User(
        id=_id(d, "id", what),
        name=str(person.get("name") or email or d.get("id")),
        email=str(email) if email else None,
        role=role,
        suspended=person.get("active") is False,
        deleted=bool(d.get("deleted")),
        identities=tuple(identities),
        locale=_language(person),
        time_zone=str(person.get("time_zone") or "UTC"),
        phone=str(phone) if phone else None,
        ticket_restriction=_RESTRICTIONS.get(int(d.get("ticket_scope") or 1)),
        signature=_text(d, "signature", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
        agent_type=str(d["type"]) if d.get("type") else None,
        occasional=occasional if isinstance(occasional, bool) else None,
    )


def group(d: Json) -> Group:
    """A group."""
    what = "group"
    return Group(
        id=_id(d, "id", what),
        name=str(_need(d, "name", what)),
        description=_text(d, "description", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def group_memberships(d: Json) -> list[GroupMembership]:
    """A group's memberships: one per id in its ``agent_ids`` (id ``<group>-<agent>``)."""
    what = "group"
    group_id = _id(d, "id", what)
    return [
        GroupMembership(
            id=f"{group_id}-{agent_id}",
            user=Ref(kind=Kind.USER, id=str(agent_id)),
            group=Ref(kind=Kind.GROUP, id=group_id),
            updated_at=_opt_time(d, "updated_at", what),
        )
        for agent_id in d.get("agent_ids") or ()
    ]


def attachment(d: Json) -> Attachment:
    """An attachment of a ticket or conversation (bytes at ``attachment_url``)."""
    what = "attachment"
    return Attachment(
        id=_id(d, "id", what),
        file_name=str(_need(d, "name", what)),
        content_type=_text(d, "content_type", what) or "application/octet-stream",
        size=int(d.get("file_size") or d.get("size") or 0),
        location=_text(d, "attachment_url", what),
    )


def _original(body_html: str, body_text: str) -> tuple[str, str, datetime | None]:
    """Strip cemigrate's first line from a body; the original time it names, if any."""
    match = _ORIGINAL_LINE.match(body_html)
    if match is None:
        return body_html, body_text, None
    try:
        moment = parse_time(match.group(1))
    except ValueError:
        return body_html, body_text, None
    text = body_text.split("\n", 1)[1] if body_text.startswith(ORIGINAL_TIME_PREFIX) else body_text
    if text.startswith(ORIGINAL_TIME_PREFIX):
        text = ""
    return body_html[match.end() :], text.lstrip("\n"), moment


def _unmarked(text: str) -> str:
    return "" if text.strip() in (EMPTY_BODY, ATTACHMENT_ONLY_BODY) else text


def conversation(d: Json) -> Comment:
    """A reply or note. Private notes stay private; anything else is public."""
    what = "conversation"
    body_html = _text(d, "body", what)
    body_text = _text(d, "body_text", what) or _plain(body_html)
    body_html, body_text, original = _original(body_html, body_text)
    if _unmarked(_plain(body_html)) == "":
        body_html, body_text = "", ""
    source = d.get("source")
    return Comment(
        id=_id(d, "id", what),
        author=_ref(Kind.USER, d, "user_id", what),
        public=not bool(d.get("private")),
        body_html=body_html,
        body_plain=_unmarked(body_text),
        created_at=original or _time(d, "created_at", what),
        channel=_CONVERSATION_SOURCES.get(source, Channel.OTHER)
        if isinstance(source, int)
        else Channel.OTHER,
        attachments=tuple(attachment(a) for a in d.get("attachments") or ()),
        metadata=conversation_metadata(d),
    )


def conversation_metadata(d: Json) -> dict[str, JsonValue]:
    """How a conversation was sent, verbatim (:data:`CONVERSATION_METADATA`, those with a
    value). The ``source`` code's name is not repeated: :data:`CONVERSATION_SOURCE_NAMES`
    has it, and a ticket keeps every comment's metadata in one field of limited size."""
    return {key: d[key] for key in CONVERSATION_METADATA if d.get(key) not in (None, "", [])}


def is_overflow_note(d: Json) -> bool:
    """Whether a conversation is a private note cemigrate added for files that did not fit."""
    text = _text(d, "body_text", "conversation") or _plain(_text(d, "body", "conversation"))
    return bool(d.get("private")) and OVERFLOW_PREFIX in text[:200]


def ticket(
    d: Json,
    conversations: Sequence[Json] = (),
    *,
    instance: str = "",
    fields: Mapping[str, FieldDef] | None = None,
    source_names: Mapping[int, str] | None = None,
) -> Ticket:
    """A ticket with its description as first comment and its conversations after it.

    Files of overflow notes (``[cemigrate: attachments of comment N ...]``) go back to comment N;
    cemigrate's SLA history note is left out (it is the SLA history, read as such).

    The ticket's ``type`` is ``Ticket.type`` when it is one of the schema's four (question,
    incident, problem, task, any case); any other (an account's own: "Feature Request") is
    kept verbatim as the custom value ``ticket_type`` (the account's types are the choices of
    that default field: :func:`ticket_type_field`), a value the mapping maps or drops. The four
    are not repeated there: a Freshdesk target writes both as its ``type``, and a ticket read
    back must hold what the source ticket held, whichever platform that was. ``source_names``
    are the account's own
    names of ``source`` codes (the choices of its default ``source`` field); ``Ticket.via``
    keeps the code and its name (:func:`ticket_via`).
    """
    what = "ticket"
    ticket_id = _id(d, "id", what)
    custom = _custom_values(d, what)
    created = _time(d, "created_at", what)
    stats = d.get("stats") or {}
    original_created = _stored_time(custom.pop("cemigrate_created_at", None))
    custom.pop("cemigrate_updated_at", None)
    original_solved = _stored_time(custom.pop("cemigrate_solved_at", None))
    custom.pop("cemigrate_id", None)
    custom.pop("cemigrate_conversations", None)
    if fields is not None:
        custom = {k: _typed(v, fields[k]) if k in fields else v for k, v in custom.items()}
    requester = _ref(Kind.USER, d, "requester_id", what)
    description_html = _text(d, "description", what)
    description_text = _text(d, "description_text", what) or _plain(description_html)
    first = Comment(
        id=f"{ticket_id}-description",
        author=requester,
        public=True,
        body_html=description_html if _unmarked(_plain(description_html)) else "",
        body_plain=_unmarked(description_text),
        created_at=original_created or created,
        channel=_channel(d),
        attachments=tuple(attachment(a) for a in d.get("attachments") or ()),
    )
    comments = [first]
    overflow: list[tuple[int, tuple[Attachment, ...]]] = []
    for data in conversations:
        if is_overflow_note(data):
            found = re.search(r"comment (\d+)", _plain(_text(data, "body", what)))
            files = tuple(attachment(a) for a in data.get("attachments") or ())
            overflow.append((int(found.group(1)) if found else len(comments), files))
            continue
        note = conversation(data)
        if is_sla_note(note):
            continue
        comments.append(note)
    for number, files in overflow:
        index = min(max(number - 1, 0), len(comments) - 1)
        comments[index] = _with_files(comments[index], files)
    status = _STATUSES.get(int(d.get("status") or 2), Status.OPEN)
    solved = original_solved or _opt_time(stats, "resolved_at", what)
    if solved is None and status is Status.CLOSED:
        solved = _opt_time(stats, "closed_at", what)
    type_text = str(d.get("type") or "")
    standard = _TYPES.get(type_text.strip().lower())
    if type_text and standard is None:
        custom[TICKET_TYPE_FIELD] = type_text
    product = d.get("product_id")
    built = Ticket(
        id=ticket_id,
        instance=instance,
        subject=_text(d, "subject", what),
        description=description_text,
        status=status,
        priority=_PRIORITIES.get(d.get("priority") or 0),
        type=standard,
        channel=_channel(d),
        tags=_tags(d, "tags", what),
        custom_fields=custom,
        requester=requester,
        assignee=_ref(Kind.USER, d, "responder_id", what),
        group=_ref(Kind.GROUP, d, "group_id", what),
        organization=_ref(Kind.ORGANIZATION, d, "company_id", what),
        created_at=original_created or created,
        updated_at=max(_time(d, "updated_at", what), original_created or created),
        solved_at=solved if status in (Status.SOLVED, Status.CLOSED) else None,
        brand=None if product is None else Ref(kind=Kind.BRAND, id=str(product)),
        recipient=_recipient(d),
        via=ticket_via(d, source_names),
        deleted=bool(d.get("deleted")),
        comments=tuple(comments),
    )
    return fitted_origin(built)


ORIGIN_BUDGET: Final = 48_000
"""Characters a ticket's origin (``via`` and every comment's metadata, as
:func:`~cemigrate.adapters.origin.origin_text` writes it) may take before the comments'
addresses are summarised (:func:`fitted_origin`): every target keeps the origin in one field of
65,535 characters (Freshdesk, Zendesk), and a ticket's own fields need the rest."""
ADDRESS_KEYS: Final = ("support_email", "from_email", "to_emails", "cc_emails", "bcc_emails")
"""The conversation metadata that :func:`fitted_origin` gathers at the ticket."""
_PLAIN_SOURCES: Final = frozenset({0, 2})
"""A reply and a note: what ``Comment.public`` and ``channel`` already say."""


THREAD_KEYS: Final = ("thread_id", "thread_message_id")
"""Freshdesk's own ids of a conversation's thread: the first details a long ticket gives up."""


def fitted_origin(ticket: Ticket) -> Ticket:
    """``ticket`` as read, unless its origin would take more than :data:`ORIGIN_BUDGET`
    characters (several hundred e-mailed conversations). Then, one step at a time until it
    fits: (1) the comments' addresses (:data:`ADDRESS_KEYS`) are listed once, in
    ``via["conversation_addresses"]``, and a plain reply or note's ``source`` code goes;
    (2) Freshdesk's thread ids (:data:`THREAD_KEYS`) go; (3) the later comments' details go,
    and ``via["comment_details_left_out"]`` says for how many comments; (4) the address list
    is cut, ``via["conversation_addresses_left_out"]`` counting the rest. Which conversation
    named which address, its thread ids and, on the longest tickets, the later comments'
    details are the documented loss of such a ticket; the ticket itself then fits every
    target (the origin field holds 65,535 characters on Zendesk and Freshdesk)."""
    text = origin_text(ticket)
    if text is None or len(text) <= ORIGIN_BUDGET:
        return ticket
    addresses: set[str] = set()
    comments = []
    for comment in ticket.comments:
        kept: dict[str, JsonValue] = {}
        for key, value in comment.metadata.items():
            if key in ADDRESS_KEYS:
                addresses.update(str(v) for v in (value if isinstance(value, list) else [value]))
            elif not (key == "source" and value in _PLAIN_SOURCES):
                kept[key] = value
        comments.append(attrs.evolve(comment, metadata=kept))
    via: dict[str, JsonValue] = dict(ticket.via)
    if addresses:
        named: list[JsonValue] = [*sorted(addresses)]
        via["conversation_addresses"] = named
    fitted = attrs.evolve(ticket, via=via, comments=tuple(comments))
    if len(origin_text(fitted) or "") <= ORIGIN_BUDGET:
        return fitted
    comments = [
        attrs.evolve(c, metadata={k: v for k, v in c.metadata.items() if k not in THREAD_KEYS})
        for c in fitted.comments
    ]
    fitted = attrs.evolve(fitted, comments=tuple(comments))
    left_out = addresses_left_out = 0
    while len(origin_text(fitted) or "") > ORIGIN_BUDGET:
        detailed = [i for i, c in enumerate(comments) if c.metadata]
        if detailed:
            for index in detailed[len(detailed) // 2 :]:  # the later half of what is left
                comments[index] = attrs.evolve(comments[index], metadata={})
                left_out += 1
            via["comment_details_left_out"] = left_out
        else:  # (4) the address list itself is too long: its first addresses are kept
            listed = via.get("conversation_addresses")
            if not isinstance(listed, list) or not listed:
                break
            keep = len(listed) // 2
            addresses_left_out += len(listed) - keep
            via["conversation_addresses"] = listed[:keep]
            via["conversation_addresses_left_out"] = addresses_left_out
        fitted = attrs.evolve(fitted, via=via, comments=tuple(comments))
    return fitted


def _channel(d: Json) -> Channel:
    source = d.get("source")
    if source is None:
        return Channel.WEB  # Freshdesk's default source: the portal
    return _SOURCES.get(source, Channel.OTHER) if isinstance(source, int) else Channel.OTHER


def _recipient(d: Json) -> str | None:
    """The support address written to: ``support_email`` when the answer has one, else the
    one address of ``to_emails``."""
    if isinstance(d.get("support_email"), str) and d["support_email"]:
        return str(d["support_email"])
    to = d.get("to_emails")
    if isinstance(to, list) and len(to) == 1 and isinstance(to[0], str):
        return to[0]
    return None


def ticket_via(d: Json, source_names: Mapping[int, str] | None = None) -> dict[str, JsonValue]:
    """How a ticket arrived, verbatim: ``source`` (its code) and ``source_name`` (the
    account's own name for it, else Freshdesk's from :data:`SOURCE_NAMES`, else None), then
    every attribute of :data:`TICKET_VIA` that has a value, and ``structured_description``
    when it holds more than text (a chat or bot ticket's cards and images)."""
    source = d.get("source")
    found: dict[str, JsonValue] = {}
    if source is not None:
        named = SOURCE_NAMES.get(source) if isinstance(source, int) else None
        own = (source_names or {}).get(source) if isinstance(source, int) else None
        found["source"] = source
        found["source_name"] = own or (named[0] if named else None)
    for key in TICKET_VIA:
        value = d.get(key)
        if value not in (None, "", [], False):
            found[key] = value
    structured = d.get("structured_description")
    if isinstance(structured, Mapping):
        contents = structured.get("description_contents") or ()
        if any(isinstance(c, Mapping) and c.get("type") != "text" for c in contents):
            found["structured_description"] = dict(structured)
    return found


def ticket_type_field(d: Json) -> FieldDef | None:
    """Freshdesk's default ``ticket_type`` field as a dropdown whose options are the
    account's ticket types (its ``choices``); None for any other field."""
    if str(d.get("name") or "") != TICKET_TYPE_FIELD or not d.get("default"):
        return None
    what = "ticket field"
    return FieldDef(
        id=_id(d, "id", what),
        object=FieldObject.TICKET,
        key=TICKET_TYPE_FIELD,
        title=_text(d, "label", what) or "Type",
        type=FieldType.DROPDOWN,
        options=_options(d),
        description=_text(d, "description", what),
        position=max(0, int(d.get("position") or 0)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def source_names(d: Json) -> dict[int, str]:
    """The account's names of ticket ``source`` codes: the choices of its default
    ``source`` field (``{"Email": 1, ...}``); empty for any other field."""
    if str(d.get("name") or "") != "source" or not d.get("default"):
        return {}
    choices = d.get("choices")
    if not isinstance(choices, Mapping):
        return {}
    return {code: str(name) for name, code in choices.items() if isinstance(code, int)}


def brand(d: Json) -> Brand:
    """A product (``GET /api/v2/products``; the list carries every attribute the view does):
    Freshdesk's brands, each with its own support portal. Its ``description`` has no place in
    the schema's brand."""
    what = "product"
    return Brand(
        id=_id(d, "id", what),
        name=str(_need(d, "name", what)),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def _with_files(note: Comment, files: tuple[Attachment, ...]) -> Comment:
    return attrs.evolve(note, attachments=(*note.attachments, *files))


def _stored_time(value: FieldValue) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _typed(value: FieldValue, definition: FieldDef) -> FieldValue:
    """A value as its field's type says (Freshdesk answers numbers of text fields as text)."""
    if definition.type is FieldType.INTEGER and isinstance(value, str) and value.isdigit():
        return int(value)
    if definition.type is FieldType.MULTISELECT and isinstance(value, str):
        return tuple(v for v in value.split(";") if v)
    return value


def sla_policy(d: Json) -> SlaPolicy:
    """An SLA policy: ``sla_target.priority_N`` seconds → first reply, next reply and
    resolution minutes."""
    what = "sla policy"
    targets = []
    for code, priority in _PRIORITIES.items():
        target = (d.get("sla_target") or {}).get(f"priority_{code}")
        if not isinstance(target, Mapping):
            continue
        business = bool(target.get("business_hours", True))
        for key, metric in (
            ("respond_within", SlaMetric.FIRST_REPLY_TIME),
            ("next_respond_within", SlaMetric.NEXT_REPLY_TIME),
            ("resolve_within", SlaMetric.RESOLUTION_TIME),
        ):
            seconds = target.get(key)
            if isinstance(seconds, int) and seconds >= 0:
                targets.append(
                    SlaTarget(
                        priority=priority,
                        metric=metric,
                        minutes=seconds // 60,
                        business_hours=business,
                    )
                )
    return with_names(
        SlaPolicy(
            id=_id(d, "id", what),
            title=str(_need(d, "name", what)),
            description=_text(d, "description", what),
            position=max(0, int(d.get("position") or 0)),
            active=bool(d.get("active", True)),
            targets=tuple(targets),
            raw=dict(d),
            created_at=_opt_time(d, "created_at", what),
            updated_at=_opt_time(d, "updated_at", what),
        ),
        FRESHDESK_RULES,
    )


def sla_events(d: Json) -> list[SlaEvent]:
    """A ticket's SLA history as Freshdesk keeps it: per metric (first reply: ``fr_due_by`` and
    ``fr_escalated``; resolution: ``due_by`` and ``is_escalated``) an apply at creation with the
    target in calendar minutes, then a breach at the due time when escalated, else a fulfil
    when the ticket was answered (``stats.first_responded_at``) or resolved
    (``stats.resolved_at``). Event ids are ``<ticket>-<metric>-<kind>``."""
    what = "ticket"
    ticket_id = _id(d, "id", what)
    ticket_ref = Ref(kind=Kind.TICKET, id=ticket_id)
    created = _time(d, "created_at", what)
    updated = _time(d, "updated_at", what)
    stats = d.get("stats") or {}
    events = []
    for metric, due_key, escalated_key, done_key in (
        (SlaMetric.FIRST_REPLY_TIME, "fr_due_by", "fr_escalated", "first_responded_at"),
        (SlaMetric.RESOLUTION_TIME, "due_by", "is_escalated", "resolved_at"),
    ):
        due = _opt_time(d, due_key, what)
        if due is None:
            continue
        short = "frt" if metric is SlaMetric.FIRST_REPLY_TIME else "res"
        steps = [(SlaEventKind.APPLY, created)]
        done = _opt_time(stats, done_key, what)
        if d.get(escalated_key):
            steps.append((SlaEventKind.BREACH, due))
        elif done is not None:
            steps.append((SlaEventKind.FULFILL, done))
        events += [
            SlaEvent(
                id=f"{ticket_id}-{short}-{kind.value}",
                ticket=ticket_ref,
                metric=metric,
                kind=kind,
                time=moment,
                target_minutes=_minutes_between(created, due),
                business_hours=False,
                updated_at=updated,
            )
            for kind, moment in steps
        ]
    return events


def ticket_metrics(d: Json) -> TicketMetrics | None:
    """A ticket's measured times from ``stats`` (calendar minutes; Freshdesk's API gives no
    business-hour figures), or None when the ticket carries no stats."""
    what = "ticket"
    stats = d.get("stats")
    if not isinstance(stats, Mapping):
        return None
    ticket_id = _id(d, "id", what)
    created = _time(d, "created_at", what)
    return TicketMetrics(
        id=ticket_id,
        ticket=Ref(kind=Kind.TICKET, id=ticket_id),
        first_reply=Minutes(
            calendar=_minutes_between(created, _opt_time(stats, "first_responded_at", what))
        ),
        full_resolution=Minutes(
            calendar=_minutes_between(created, _opt_time(stats, "resolved_at", what))
        ),
        reopens=1 if stats.get("reopened_at") else 0,
        created_at=created,
        updated_at=_time(d, "updated_at", what),
    )


def satisfaction_rating(d: Json) -> SatisfactionRating | None:
    """A satisfaction rating: the default question's answer, good above neutral and bad below
    (classic surveys: 1 happy, 3 unhappy; 2 neutral has no schema equivalent: offered)."""
    what = "satisfaction rating"
    ratings = d.get("ratings") or {}
    value = ratings.get("default_question") if isinstance(ratings, Mapping) else None
    if not isinstance(value, int):
        return None
    if value in (1, 2, 3):
        score = {1: SatisfactionScore.GOOD, 2: SatisfactionScore.OFFERED}.get(
            value, SatisfactionScore.BAD
        )
    else:
        score = (
            SatisfactionScore.GOOD
            if value > 100
            else SatisfactionScore.BAD
            if value < -100
            else SatisfactionScore.OFFERED
        )
    return SatisfactionRating(
        id=_id(d, "id", what),
        ticket=Ref(kind=Kind.TICKET, id=_id(d, "ticket_id", what)),
        score=score,
        requester=_ref(Kind.USER, d, "user_id", what),
        assignee=_ref(Kind.USER, d, "agent_id", what),
        group=_ref(Kind.GROUP, d, "group_id", what),
        comment=_text(d, "feedback", what),
        created_at=_opt_time(d, "created_at", what),
        updated_at=_opt_time(d, "updated_at", what),
    )


def rule(d: Json, kind: RuleKind) -> Rule:
    """An automation rule: the properties of its condition sets (``all`` sets into
    ``conditions_all``, ``any`` sets into ``conditions_any``), its actions, and the payload."""
    what = "automation rule"
    all_of: list[Condition] = []
    any_of: list[Condition] = []
    for condition_set in d.get("conditions") or ():
        if not isinstance(condition_set, Mapping):
            continue
        into = any_of if condition_set.get("match_type") == "any" else all_of
        for prop in condition_set.get("properties") or ():
            if isinstance(prop, Mapping):
                into.append(
                    Condition(
                        field=str(prop.get("field_name")),
                        operator=str(prop.get("operator")),
                        value=prop.get("value"),
                    )
                )
    actions = [
        Action(field=str(a.get("field_name")), value=a.get("value"))
        for a in d.get("actions") or ()
        if isinstance(a, Mapping)
    ]
    return with_names(
        Rule(
            id=_id(d, "id", what),
            kind=kind,
            title=str(d.get("name") or ""),
            active=bool(d.get("active", True)),
            position=max(0, int(d.get("position") or 0)),
            conditions_all=tuple(all_of),
            conditions_any=tuple(any_of),
            actions=tuple(actions),
            raw=dict(d),
            created_at=_opt_time(d, "created_at", what),
            updated_at=_opt_time(d, "updated_at", what),
        ),
        FRESHDESK_RULES,
    )


# --- writing ------------------------------------------------------------------------------


def _link(outgoing: Outgoing, ref: Ref | None, name: str, *, required: bool = False) -> int | None:
    if ref is None:
        if required:
            raise RecordError(f"freshdesk {outgoing.key.kind}: {name} is required")
        return None
    target = outgoing.links.get(ref)
    if target is None:
        raise RecordError(
            f"freshdesk {outgoing.key.kind}: its {name} ({ref}) is not in the target",
            platform_message=f"{ref.kind} {ref.id} is not in the target",
        )
    return int(target)


def _payload_value(value: FieldValue) -> JsonValue:
    return list(value) if isinstance(value, tuple) else value


def custom_values(
    values: Mapping[str, FieldValue], names: Mapping[str, str], what: str
) -> dict[str, JsonValue]:
    """Custom field values by the target's field names; a key the target lacks is an error.
    A name starting with ``.`` is one of Freshdesk's default fields (a top-level attribute:
    :func:`split_defaults` moves it out)."""
    found: dict[str, JsonValue] = {}
    for key, value in values.items():
        if value is None:
            continue
        name = names.get(key)
        if name is None:
            raise RecordError(
                f"freshdesk {what}: the target has no field {key!r}",
                platform_message=f"custom_fields: no field {key!r}",
            )
        found[name] = _payload_value(value)
    return found


def split_defaults(payload: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Move values of Freshdesk's default fields (``.name`` in ``custom_fields``) to the top
    level of a contact or company payload, where Freshdesk takes them."""
    custom = payload.get("custom_fields")
    if isinstance(custom, dict):
        for name in [n for n in custom if n.startswith(".")]:
            payload[name[1:]] = custom.pop(name)
    return payload


def field_payload(definition: FieldDef) -> dict[str, JsonValue]:
    """A field create: label, type and, for dropdowns, the options' values as choices."""
    payload: dict[str, JsonValue] = {
        "label": definition.title,
        "label_for_customers": definition.title,
        "type": FIELD_TYPE_NAMES[definition.type],
        "description": (
            f"{lookup_note(definition.references)} {definition.description}".strip()
            if definition.type is FieldType.LOOKUP and definition.references is not None
            else definition.description
        ),
        "position": definition.position + 1,
    }
    if definition.key.startswith("cemigrate_"):
        # cemigrate's own fields (source keys, times, labels, the private origin) are never
        # shown to the requester in the portal.
        payload["displayed_to_customers"] = False
        payload["customers_can_edit"] = False
    if definition.options:
        payload["choices"] = [
            {"value": o.value, "position": i + 1} for i, o in enumerate(definition.options)
        ]
    return payload


def company_payload(outgoing: Outgoing, names: Mapping[str, str]) -> dict[str, JsonValue]:
    """A company create: its source key and tags in cemigrate's own fields."""
    org = outgoing.record
    if not isinstance(org, Organization):
        raise TypeError(f"not an organization: {org.KIND}")
    values: dict[str, FieldValue] = {
        **org.custom_fields,
        "cemigrate_id": outgoing.external_id,
        "cemigrate_tags": " ".join(org.tags) or None,
    }
    payload: dict[str, JsonValue] = {
        "name": org.name,
        "description": org.details or None,
        "note": org.notes or None,
        "domains": list(org.domains),
        "custom_fields": custom_values(values, names, "company"),
    }
    return split_defaults({k: v for k, v in payload.items() if v is not None})


_LANGUAGES_WITH_REGION: Final = frozenset({"pt-BR", "pt-PT", "zh-CN", "zh-TW", "es-LA"})


def _freshdesk_language(locale: str) -> str:
    return locale if locale in _LANGUAGES_WITH_REGION else locale.split("-")[0].lower()


def contact_payload(outgoing: Outgoing, names: Mapping[str, str]) -> dict[str, JsonValue]:
    """A contact create or update, with the source key as ``unique_external_id`` and the
    person's own external id in :data:`SOURCE_EXTERNAL_ID`.

    The time zone is not sent: Freshdesk takes its own zone names, not IANA ones. A source
    field adopted as ``address`` (:data:`ADOPTABLE_DEFAULTS`) takes the place of the user's
    address."""
    person = outgoing.record
    if not isinstance(person, User):
        raise TypeError(f"not a user: {person.KIND}")
    places = contact_identities(person)
    values: dict[str, FieldValue] = dict(person.custom_fields)
    if person.external_id:
        values[SOURCE_EXTERNAL_ID] = person.external_id
    payload: dict[str, JsonValue] = {
        "name": person.name,
        "email": person.email,
        **places.fields,
        "description": contact_description(person.details, person.notes, places.further),
        "company_id": _link(outgoing, person.organization, "organization"),
        "tags": list(person.tags),
        "language": _freshdesk_language(person.locale),
        "address": person.address or None,
        "unique_external_id": outgoing.external_id,
        "custom_fields": custom_values(values, names, "contact"),
    }
    return split_defaults({k: v for k, v in payload.items() if v is not None})


def held_as(kind: Kind, record: Record, target_of: Callable[[Ref], str]) -> Record:
    """A source record as a Freshdesk account holds it (reconciliation compares this with
    what reads back). An end user is a contact as :func:`contact_payload` writes it and
    :func:`contact` reads it: identities in the contact's fields (the rest in its
    description), the phone or else the mobile, the language for the locale; a contact holds
    no ticket scope or signature. An agent is the account's own seat: the scope it is given
    reads back as Freshdesk keeps it (:data:`TICKET_SCOPES`). A company's note is its default
    field ``note``, which the target view reads as a field too (:data:`ADOPTABLE_DEFAULTS`)."""
    if isinstance(record, FieldDef):
        return _field_held_as(record)
    if isinstance(record, Organization) and record.notes.strip():
        return attrs.evolve(record, custom_fields={"note": record.notes, **record.custom_fields})
    if not isinstance(record, User):
        return record
    if record.role is not Role.END_USER:
        scope = ticket_scope(record.ticket_restriction)
        return attrs.evolve(record, ticket_restriction=_RESTRICTIONS.get(scope))
    places = contact_identities(record)
    row: dict[str, JsonValue] = {
        "id": record.id,
        "name": record.name,
        "email": record.email,
        **places.fields,
        "description": contact_description(record.details, record.notes, places.further),
        "language": _freshdesk_language(record.locale),
    }
    seen = contact(row)
    # The target view reads the adopted default fields as fields too: the description, and
    # the address in place of the attribute (ADOPTABLE_DEFAULTS).
    shown = {"description": row["description"], "address": record.address or None}
    return attrs.evolve(
        record,
        custom_fields={**{k: v for k, v in shown.items() if v}, **record.custom_fields},
        address=None,
        name=seen.name,
        identities=seen.identities,
        phone=seen.phone,
        details=seen.details,
        notes=seen.notes,
        locale=seen.locale,
        ticket_restriction=None,
        signature="",
    )


def _field_held_as(definition: FieldDef) -> FieldDef:
    """A created field as it reads back: a lookup or pattern field is text (a lookup's
    description starts with its note, :func:`field_payload`), a choice is its value (the
    API's choices hold one text each), in the order sent."""
    lookup = definition.type is FieldType.LOOKUP and definition.references is not None
    return attrs.evolve(
        definition,
        type=FieldType.TEXT
        if definition.type in (FieldType.LOOKUP, FieldType.REGEXP)
        else definition.type,
        references=None,
        description=str(field_payload(definition)["description"] or "")
        if lookup
        else definition.description,
        options=tuple(
            FieldOption(name=o.value, value=o.value, position=i)
            for i, o in enumerate(definition.options)
        ),
    )


@attrs.frozen
class ContactIdentities:
    """Where a user's identities go on a contact: top-level fields, and the rest."""

    fields: Mapping[str, JsonValue]
    """``phone``, ``mobile``, ``twitter_id``, ``other_emails`` (only those with a value)."""
    further: tuple[Identity, ...]
    """Identities Freshdesk has no field for (kept in the ``description``)."""


def contact_identities(person: User) -> ContactIdentities:
    """The contact fields a user's identities fill: the primary e-mail is ``email``; other
    e-mails ``other_emails`` (up to :data:`MAX_OTHER_EMAILS`, and only beside a primary
    e-mail: Freshdesk refuses them without one); the user's phone ``phone``, the first other
    phone number ``mobile``; the first twitter handle ``twitter_id``. The rest is returned in
    ``further``."""
    primary = (person.email or "").strip().lower()
    emails: list[str] = []
    phones: list[str] = [person.phone.strip()] if person.phone and person.phone.strip() else []
    twitter: str | None = None
    further: list[Identity] = []
    for identity in person.identities:
        value = identity.value.strip()
        if not value:
            continue
        if identity.type == "email":
            if value.lower() == primary or value.lower() in (e.lower() for e in emails):
                continue
            if primary and len(emails) < MAX_OTHER_EMAILS:
                emails.append(value)
            else:
                further.append(Identity(type="email", value=value))
        elif identity.type == "phone_number":
            if value in phones:
                continue
            if len(phones) < 2:
                phones.append(value)
            else:
                further.append(Identity(type="phone_number", value=value))
        elif identity.type == "twitter" and twitter is None:
            twitter = value
        else:
            further.append(Identity(type=identity.type, value=value))
    fields: dict[str, JsonValue] = {}
    for name, value in zip(("phone", "mobile"), phones, strict=False):
        fields[name] = value
    if twitter:
        fields["twitter_id"] = twitter
    if emails:
        fields["other_emails"] = list(emails)
    return ContactIdentities(fields=fields, further=tuple(further))


def contact_description(details: str, notes: str, further: Sequence[Identity]) -> str | None:
    """A contact's ``description``: the user's details, then (under :data:`NOTES_HEADING`)
    the notes, then (under :data:`IDENTITIES_HEADING`) identities without a field of their
    own. :func:`split_description` reads it back."""
    parts = [details.strip()] if details.strip() else []
    if notes.strip():
        parts.append(f"{NOTES_HEADING}\n{notes.strip()}")
    if further:
        lines = "\n".join(f"{i.type}: {i.value}" for i in further)
        parts.append(f"{IDENTITIES_HEADING}\n{lines}")
    return "\n\n".join(parts) or None


def ticket_labels(outgoing: Outgoing) -> dict[str, FieldValue]:
    """The label fields of a ticket (:data:`LABEL_FIELDS`): the name the target id of its
    brand, form and custom status stands for (the target writes those kinds as labels). A
    reference the ledger has no target id for gets no label."""
    record = outgoing.record
    if not isinstance(record, Ticket):
        raise TypeError(f"not a ticket: {record.KIND}")
    found: dict[str, FieldValue] = {}
    for attribute, definition in LABEL_FIELDS.items():
        ref = getattr(record, attribute)
        if ref is None:
            continue
        label = outgoing.links.get(ref)
        if label is None:
            # Never read (a source that does not serve the kind): no label. One that failed
            # fails the ticket before it gets here (the copier's "refers to a record that
            # failed").
            continue
        if len(label) > MAX_TEXT_CHARS:
            raise RecordError(
                f"freshdesk ticket: the {attribute} name is longer than {MAX_TEXT_CHARS}"
                " characters (a text field's limit)",
                platform_message=f"{definition.key}: {len(label)} characters",
            )
        found[definition.key] = label
    return found


def ticket_origin(record: Ticket) -> dict[str, FieldValue]:
    """The ticket's origin (:func:`cemigrate.adapters.origin.origin_text`) for the private
    paragraph field ``cemigrate_origin``; a ticket whose origin does not fit
    :data:`MAX_PARAGRAPH_CHARS` fails with that reason."""
    text = origin_text(record)
    if text is None:
        return {}
    if len(text) > MAX_PARAGRAPH_CHARS:
        raise RecordError(
            f"freshdesk ticket: its origin (via and comment metadata) is {len(text)} characters,"
            f" more than the {MAX_PARAGRAPH_CHARS} cemigrate_origin holds",
            platform_message=f"{ORIGIN_FIELD}: {len(text)} characters",
        )
    return {ORIGIN_FIELD: text}


def conversation_body(note: Comment) -> str:
    """A conversation body: cemigrate's first line with the original time, then the comment."""
    body = note.body_html or html.escape(note.body_plain).replace("\n", "<br>")
    if not body.strip():
        body = ATTACHMENT_ONLY_BODY if note.attachments else EMPTY_BODY
    return f"<p>{ORIGINAL_TIME_PREFIX}{format_time(note.created_at)}]</p>{body}"


def ticket_payload(
    outgoing: Outgoing,
    names: Mapping[str, str],
    *,
    history: Mapping[str, FieldValue] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, JsonValue]:
    """A ticket create (or update): attributes (through the mapping's value tables
    ``values``, else :data:`DEFAULT_VALUES`), the first comment as description, the source
    key and original times in cemigrate's fields, and ``history`` (SLA field values)."""
    tables = values or {}
    record = outgoing.record
    if not isinstance(record, Ticket):
        raise TypeError(f"not a ticket: {record.KIND}")
    first = record.comments[0] if record.comments else None
    description = first.body_html if first is not None else ""
    if not description.strip():
        description = html.escape(record.description or record.subject or EMPTY_BODY)
    fields: dict[str, FieldValue] = {
        **record.custom_fields,
        "cemigrate_id": outgoing.external_id,
        "cemigrate_created_at": format_time(record.created_at),
        "cemigrate_updated_at": format_time(record.updated_at),
        "cemigrate_solved_at": format_time(record.solved_at) if record.solved_at else None,
        **ticket_labels(outgoing),
        **ticket_origin(record),
        **(history or {}),
    }
    payload: dict[str, JsonValue] = {
        "subject": record.subject or "(no subject)",
        "description": description,
        "status": _code(tables, "status", record.status.value),
        "priority": _code(tables, "priority", (record.priority or Priority.NORMAL).value),
        "source": _code(tables, "channel", record.channel.value),
        "type": _native(tables, "type", record.type.value) if record.type else None,
        "tags": list(record.tags),
        "requester_id": _link(outgoing, record.requester, "requester", required=True),
        "responder_id": _link(outgoing, record.assignee, "assignee"),
        "group_id": _link(outgoing, record.group, "group"),
        "company_id": _link(outgoing, record.organization, "organization"),
        "custom_fields": custom_values(fields, names, "ticket"),
    }
    # ticket_type is Freshdesk's own type field: its value (mapped or verbatim) is the type.
    return split_defaults({k: v for k, v in payload.items() if v is not None})
