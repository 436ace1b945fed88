"""Salesforce rows ⇄ the common schema: pure functions on dicts, the only place that knows
Salesforce's shapes (the data model is docs/salesforce.md).

Reading (Salesforce → schema): one function per sObject, named after the record it returns.
Ids stay Salesforce's 18-character ids (a Contact's and a User's both become ``Ref(user, id)``;
their prefixes ``003`` and ``005`` never collide). A row missing a required field raises
:class:`~cemigrate.errors.RecordError` naming the object and field, never its content.

Writing (schema → Salesforce): ``*_payload`` functions build one sObject record for a
collections call. References become target ids through ``Outgoing.links``.

Decisions, stated once:

* **Picklists.** :data:`STATUS`, :data:`PRIORITY`, :data:`TYPE`, :data:`ORIGIN` are the default
  value maps; a value the org lacks is refused by Salesforce and becomes a failure row.
* **Comment routing.** A public comment on the e-mail channel is an ``EmailMessage``; any other
  public comment is a published ``CaseComment``; a private comment is an unpublished
  ``CaseComment`` — never anything a customer can see (:func:`route`).
* **Bodies over a field's limit** are split into numbered parts, each its own record whose
  first line is ``[cemigrate part i/n]``; reading joins consecutive parts back into one
  comment, so nothing is cut and nothing is attached elsewhere (:func:`split_body`).
* **Authors and times that Salesforce cannot hold natively** (an end user as a
  ``CaseComment``'s author, or any author without the audit-field permission) travel as the
  first line ``[Originally by <id> at <ISO time>]``, which reading strips and honours.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.readers import JsonReader
from cemigrate.adapters.salesforce import kept
from cemigrate.adapters.salesforce.objects import CASE_LABEL_FIELDS
from cemigrate.adapters.salesforce.picklists import DEFAULT_VALUES, ORIGIN, PRIORITY, STATUS, TYPE
from cemigrate.adapters.salesforce.rules import SALESFORCE_RULES
from cemigrate.errors import RecordError
from cemigrate.rules.names import with_names
from cemigrate.schema import (
    Action,
    Attachment,
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
    Ref,
    Role,
    Rule,
    RuleKind,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    SlaPolicy,
    Status,
    Ticket,
    TicketForm,
    TicketMetrics,
    User,
)

__all__ = [
    "CASE_COMMENT_LIMIT_BYTES",
    "CASE_PICKLISTS",
    "COMMENT_ROUTES",
    "CONTACT_TO_PERSON",
    "DEFAULT_VALUES",
    "EMAIL_BODY_LIMIT",
    "EMAIL_THREADING",
    "FIELD_OBJECTS",
    "LOOKUP_KINDS",
    "LOOKUP_OBJECTS",
    "MASTER_RECORD_TYPE",
    "ORIGIN",
    "PERSON_FIELDS",
    "PRIORITY",
    "STATUS",
    "TYPE",
    "Row",
    "account",
    "account_payload",
    "api_name_to_key",
    "attachment",
    "case",
    "case_comment",
    "case_comment_payloads",
    "case_payload",
    "case_picklist_values",
    "contact",
    "contact_payload",
    "email_message",
    "email_message_payloads",
    "email_threading",
    "feed_item",
    "field",
    "field_metadata",
    "flow_rule",
    "format_time",
    "group_member",
    "join_parts",
    "kept_metrics",
    "kept_sla_event",
    "key_to_api_name",
    "listed",
    "metrics_payload",
    "milestone_events",
    "milestone_metrics",
    "parse_time",
    "person_account",
    "person_account_payload",
    "queue",
    "record_type",
    "route",
    "rule",
    "rule_entries",
    "sla_event_payload",
    "sla_process",
    "split_body",
    "user",
]

Row: TypeAlias = Mapping[str, Any]
"""A Salesforce record as a query returns it (``attributes`` removed)."""

CASE_COMMENT_LIMIT_BYTES: Final = 4000
"""``CaseComment.CommentBody`` holds 4,000 bytes. (docs/salesforce.md)"""

EMAIL_BODY_LIMIT: Final = 32000
"""``EmailMessage.HtmlBody`` / ``TextBody`` hold 32,000 characters. (docs/salesforce.md)"""

FIELD_OBJECTS: Final[Mapping[FieldObject, str]] = {
    FieldObject.TICKET: "Case",
    FieldObject.USER: "Contact",
    FieldObject.ORGANIZATION: "Account",
}
"""The sObject that carries each schema object's custom fields."""

_STATUS_READ: Final = {v.lower(): k for k, v in STATUS.items()} | {"escalated": Status.OPEN}

_PRIORITY_READ: Final = {v.lower(): k for k, v in PRIORITY.items()}

_TYPE_READ: Final = {v.lower(): k for k, v in TYPE.items()}


CASE_PICKLISTS: Final[Mapping[str, str]] = {
    "status": "Status",
    "priority": "Priority",
    "type": "Type",
    "channel": "Origin",
}
"""The Case field that holds each mapped ticket attribute."""


def _value(values: Mapping[str, Mapping[str, str]] | None, attribute: str, schema: str) -> str:
    """The Case value for a schema value: the mapping's table first, then the default."""
    table = (values or {}).get(attribute, {})
    return table.get(schema) or DEFAULT_VALUES[attribute][schema]


_ORIGIN_READ: Final = {v.lower(): k for k, v in ORIGIN.items()}

_AUTHOR_LINE: Final = re.compile(r"^\[Originally by (\S+) at (\S+)\]\n")
_PART_LINE: Final = re.compile(r"^\[cemigrate part (\d+)/(\d+)\]\n")
_ADMIN_PROFILE: Final = "System Administrator"

# --- small readers ------------------------------------------------------------------------


def _id(d: Row, key: str, what: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(what, key, "is missing")
    return value


def _opt_id(d: Row, key: str) -> str | None:
    value = d.get(key)
    return value if isinstance(value, str) and value else None


def _text(d: Row, key: str) -> str:
    value = d.get(key)
    return value if isinstance(value, str) else ""


def _flag(d: Row, key: str) -> bool:
    value = d.get(key)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _words(d: Row, key: str) -> tuple[str, ...]:
    return tuple(_text(d, key).split())


def parse_time(value: object) -> datetime:
    """A Salesforce datetime (``2024-03-01T09:00:00.000+0000``) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError("a timestamp must be text")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone")
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """An aware datetime as Salesforce writes it: ``2024-03-01T09:00:00.000+0000``."""
    if value.tzinfo is None:
        raise ValueError("a timestamp must carry a time zone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


_read = JsonReader("salesforce", parse_time=parse_time)
_fail, _time, _opt_time = _read.fail, _read.time, _read.opt_time


def _first_time(d: Row, keys: Sequence[str], what: str) -> datetime | None:
    for key in keys:
        if d.get(key) not in (None, ""):
            return _time(d, key, what)
    return None


def key_to_api_name(key: str) -> str:
    """A custom field key as its API name: ``order_id`` → ``Order_Id__c``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", key) if w]
    if not words:
        raise RecordError(f"salesforce: field key {key!r} gives no API name")
    name = "_".join(w[:1].upper() + w[1:] for w in words)
    if not name[0].isalpha():
        name = f"F_{name}"
    return f"{name[:40]}__c"


def api_name_to_key(name: str) -> str:
    """An API name as a field key: ``Order_Id__c`` → ``order_id``."""
    return name.removesuffix("__c").lower()


_NATIVE_EXTRAS: Final = frozenset({"Tags__c", "Domains__c", "Suspended__c"})
"""Fields an org may already keep tags, domains and suspension in (read like ours)."""


def _is_ours(name: str) -> bool:
    return name.startswith("Cemigrate_") or name in _NATIVE_EXTRAS


def _either(d: Row, ours: str, native: str) -> tuple[str, ...]:
    return _words(d, ours) or _words(d, native)


# --- fields -------------------------------------------------------------------------------

_DESCRIBE_TYPES: Final[Mapping[str, FieldType]] = {
    "string": FieldType.TEXT,
    "email": FieldType.TEXT,
    "phone": FieldType.TEXT,
    "url": FieldType.TEXT,
    "textarea": FieldType.TEXTAREA,
    "int": FieldType.INTEGER,
    "double": FieldType.DECIMAL,
    "currency": FieldType.DECIMAL,
    "percent": FieldType.DECIMAL,
    "boolean": FieldType.CHECKBOX,
    "date": FieldType.DATE,
    "picklist": FieldType.DROPDOWN,
    "multipicklist": FieldType.MULTISELECT,
}


LOOKUP_KINDS: Final[Mapping[str, Kind]] = {
    "Contact": Kind.USER,
    "User": Kind.USER,
    "Account": Kind.ORGANIZATION,
    "Case": Kind.TICKET,
    "Group": Kind.GROUP,
}
"""The objects a migration carries, as the kind a lookup to them names (a Contact and a User
are both users, as their ids are in every other reference)."""


def _lookup(d: Row) -> tuple[FieldType, Kind | None, str]:
    """A custom lookup's type, the kind it names and what it points to: a lookup to one
    carried object (or to several that are one kind) is a LOOKUP, any other is TEXT holding
    the source's id. ``referenceTo`` lists the objects (describe, ``DescribeFieldResult``)."""
    targets = [str(t) for t in d.get("referenceTo") or [] if t]
    kinds = {LOOKUP_KINDS.get(t) for t in targets}
    pointed = ", ".join(targets) or "another record"
    if targets and len(kinds) == 1 and None not in kinds:
        return FieldType.LOOKUP, kinds.pop(), pointed
    return FieldType.TEXT, None, pointed


def field(d: Row, *, object: FieldObject) -> FieldDef | None:
    """A custom field from an sObject describe (``fields[]``), or None for a standard field,
    one of cemigrate's own, or a type the schema cannot hold.

    A lookup (``type: reference``) to a carried object is a LOOKUP naming its kind, its values
    the source's ids; a lookup to anything else (an Asset, a custom object) is TEXT holding the
    id, its description naming the object. A formula or roll-up summary (``calculated``) or an
    auto-number (``autoNumber``) is read-only, the formula kept (``calculatedFormula``; a
    roll-up has none). A rich text area (``extraTypeInfo: richtextarea``) is a textarea whose
    values are read as the HTML they are. Field-level help (``inlineHelpText``) is the
    description. (Salesforce REST API, DescribeFieldResult properties.)"""
    what = f"{object} field"
    name = _id(d, "name", what)
    if not d.get("custom") and not name.endswith("__c"):
        return None
    if _is_ours(name) or name.endswith("__pc"):
        return None  # a person contact's field on Account: read on Contact, as a user's
    sf_type = _text(d, "type")
    references: Kind | None = None
    description = _text(d, "inlineHelpText")
    if sf_type == "reference":
        kind, references, pointed = _lookup(d)
        if references is None:
            note = f"Lookup to {pointed}: holds the source record's id."
            description = f"{note} {description}".strip()
    else:
        found = _DESCRIBE_TYPES.get(sf_type)
        if found is None:
            return None
        kind = found
    if kind is FieldType.DECIMAL and sf_type == "double" and d.get("scale") == 0:
        kind = FieldType.INTEGER
    options = tuple(
        FieldOption(
            name=_text(o, "label") or _text(o, "value"), value=_text(o, "value"), position=i
        )
        for i, o in enumerate(d.get("picklistValues") or [])
        if isinstance(o, Mapping) and _text(o, "value") and o.get("active", True)
    )
    read_only = bool(d.get("calculated")) or bool(d.get("autoNumber"))
    return FieldDef(
        id=f"{FIELD_OBJECTS[object]}.{name}",
        object=object,
        key=api_name_to_key(name),
        title=_text(d, "label") or name,
        type=kind,
        options=options,
        required=not read_only and not d.get("nillable", True) and bool(d.get("createable", True)),
        description=description,
        references=references,
        read_only=read_only,
        formula=_text(d, "calculatedFormula") if read_only else "",
    )


def field_metadata(definition: FieldDef) -> dict[str, JsonValue]:
    """The Tooling ``CustomField`` body that creates a schema field on its sObject."""
    meta: dict[str, JsonValue] = {"label": definition.title[:40] or definition.key}
    if definition.description:
        meta["inlineHelpText"] = definition.description[:510]
    kind = definition.type
    if kind in (FieldType.TEXT, FieldType.REGEXP):
        meta.update(type="Text", length=255)
    elif kind is FieldType.TEXTAREA:
        meta.update(type="LongTextArea", length=32768, visibleLines=3)
    elif kind is FieldType.INTEGER:
        meta.update(type="Number", precision=18, scale=0)
    elif kind is FieldType.DECIMAL:
        meta.update(type="Number", precision=18, scale=2)
    elif kind is FieldType.CHECKBOX:
        meta.update(type="Checkbox", defaultValue="false")
    elif kind is FieldType.DATE:
        meta.update(type="Date")
    elif kind is FieldType.LOOKUP:
        sobject = LOOKUP_OBJECTS.get(definition.references) if definition.references else None
        if sobject is None:
            # A user may be a Contact or a User, a group a queue: one custom lookup cannot
            # point at two objects, so the target id is kept as text.
            meta.update(type="Text", length=18)
        else:
            meta.update(
                type="Lookup",
                referenceTo=sobject,
                relationshipName=f"{key_to_api_name(definition.key).removesuffix('__c')}_Ref",
                deleteConstraint="SetNull",
            )
    else:
        values: list[JsonValue] = [
            {"fullName": o.value, "label": o.name or o.value, "default": False}
            for o in sorted(definition.options, key=lambda o: o.position)
        ]
        meta.update(
            type="Picklist" if kind is FieldType.DROPDOWN else "MultiselectPicklist",
            valueSet={"valueSetDefinition": {"value": values, "sorted": False}},
        )
        if kind is FieldType.MULTISELECT:
            meta["visibleLines"] = 4
    return {
        "FullName": f"{FIELD_OBJECTS[definition.object]}.{key_to_api_name(definition.key)}",
        "Metadata": meta,
    }


def _custom_values(d: Row, fields: Mapping[str, FieldDef]) -> dict[str, FieldValue]:
    """Values of the row's custom fields (``fields``: API name → definition)."""
    values: dict[str, FieldValue] = {}
    for name, definition in fields.items():
        value = d.get(name)
        if value is None or value == "":
            continue
        if definition.type is FieldType.MULTISELECT and isinstance(value, str):
            values[definition.key] = tuple(v for v in value.split(";") if v)
        elif definition.type is FieldType.INTEGER and isinstance(value, float):
            values[definition.key] = int(value)
        elif isinstance(value, str | int | float | bool):
            values[definition.key] = value
    return values


LOOKUP_OBJECTS: Final[Mapping[Kind, str]] = {
    Kind.ORGANIZATION: "Account",
    Kind.TICKET: "Case",
}
"""The sObject a lookup field to records of a kind is created to (a custom Lookup field,
Metadata API ``CustomField`` ``type: Lookup`` with ``referenceTo``). A lookup to users (a
Contact or a User: which is known only per value) or groups (queues are ``Group`` rows, which
a custom lookup cannot name) is created as an 18-character text field holding the target id."""


def _custom_payload(
    values: Mapping[str, FieldValue],
    allowed: Mapping[str, Any],
    what: str,
    outgoing: Outgoing | None = None,
    lookups: Mapping[str, Kind] | None = None,
) -> dict[str, JsonValue]:
    """The custom fields' values by API name. ``lookups`` (field key → the kind its values
    name): such a value is a source id, written as the target id the copier linked under
    ``Ref(kind, value)``; one whose record is not in the target is left empty (the copier
    counts it)."""
    payload: dict[str, JsonValue] = {}
    for key, value in sorted(values.items()):
        name = key_to_api_name(key)
        kind = (lookups or {}).get(key)
        if kind is not None:
            linked = None if outgoing is None else outgoing.links.get(Ref(kind=kind, id=str(value)))
            if linked is None:
                continue
            value = linked
        if name not in allowed:
            raise RecordError(
                f"salesforce {what}: custom field {key!r} ({name}) does not exist in the target",
                platform_message=f"INVALID_FIELD: No such column '{name}'",
            )
        if not _takes(allowed[name], linked=kind is not None):
            _left_out_once(what, key, name, allowed[name])
            continue
        payload[name] = ";".join(value) if isinstance(value, tuple) else value
    return payload


log = logging.getLogger("cemigrate.salesforce")
_LEFT_OUT: set[tuple[str, str]] = set()
"""Fields whose values were said to be left out (once each per process)."""


def _takes(field: Mapping[str, Any], *, linked: bool) -> bool:
    """Whether the org's own field takes a value the source wrote: not one Salesforce computes
    (a formula, roll-up or auto-number: neither createable nor updateable), and a lookup only
    a target id the copier linked (a source's text is no id of this org)."""
    if field.get("createable") is False and field.get("updateable") is False:
        return False
    return linked or field.get("type") != "reference"


def _left_out_once(what: str, key: str, name: str, field: Mapping[str, Any]) -> None:
    """Say once per field why its values are left out (the org computes it, or it is a lookup
    the source's values cannot name)."""
    if (what, name) in _LEFT_OUT:
        return
    _LEFT_OUT.add((what, name))
    why = (
        "the org computes it"
        if field.get("type") != "reference"
        else f"it is a lookup to {', '.join(field.get('referenceTo') or ()) or 'another object'}"
        " and the source's values are not records of this org"
    )
    log.warning("salesforce %s: field %r (%s) left out: %s", what, key, name, why)


# --- Salesforce → schema ------------------------------------------------------------------


def account(d: Row, fields: Mapping[str, FieldDef] | None = None) -> Organization:
    """An organization from an ``Account`` row."""
    what = "Account"
    website = re.sub(r"^https?://", "", _text(d, "Website")).strip("/")
    domains = tuple(
        dict.fromkeys(
            ([website] if website else []) + list(_either(d, "Cemigrate_Domains__c", "Domains__c"))
        )
    )
    return Organization(
        id=_id(d, "Id", what),
        name=_text(d, "Name"),
        domains=domains,
        details=_text(d, "Description"),
        notes=_text(d, "Cemigrate_Notes__c"),
        external_id=_text(d, "Cemigrate_External_Id__c") or None,
        tags=_either(d, "Cemigrate_Tags__c", "Tags__c"),
        custom_fields=_custom_values(d, fields or {}),
        created_at=_opt_time(d, "CreatedDate", what),
        updated_at=_opt_time(d, "LastModifiedDate", what),
    )


def contact(d: Row, fields: Mapping[str, FieldDef] | None = None) -> User:
    """An end user from a ``Contact`` row (a deleted row is a deleted user)."""
    what = "Contact"
    name = " ".join(p for p in (_text(d, "FirstName"), _text(d, "LastName")) if p)
    email = _text(d, "Email") or None
    phone = _text(d, "Phone") or None
    return User(
        id=_id(d, "Id", what),
        name=name or _text(d, "Name"),
        email=email,
        role=Role.END_USER,
        suspended=_flag(d, "Cemigrate_Suspended__c") or _flag(d, "Suspended__c"),
        deleted=_flag(d, "IsDeleted"),
        identities=kept.identities_of(d),
        organization=_ref(Kind.ORGANIZATION, d, "AccountId"),
        phone=phone,
        external_id=_text(d, "Cemigrate_External_Id__c") or None,
        address=_text(d, "MailingStreet") or None,
        details=_text(d, "Cemigrate_Details__c"),
        notes=_text(d, "Description"),
        tags=_either(d, "Cemigrate_Tags__c", "Tags__c"),
        custom_fields=_custom_values(d, fields or {}),
        created_at=_opt_time(d, "CreatedDate", what),
        updated_at=_opt_time(d, "LastModifiedDate", what),
    )


def user(d: Row) -> User:
    """An agent (or admin, by the System Administrator profile) from a ``User`` row."""
    what = "User"
    profile = d.get("Profile") or {}
    email = _text(d, "Email") or None
    admin = isinstance(profile, Mapping) and profile.get("Name") == _ADMIN_PROFILE
    return User(
        id=_id(d, "Id", what),
        name=_text(d, "Name"),
        email=email,
        role=Role.ADMIN if admin else Role.AGENT,
        suspended=not _flag(d, "IsActive"),
        identities=_identities(email, None),
        locale=_text(d, "LocaleSidKey").replace("_", "-") or "en-US",
        time_zone=_text(d, "TimeZoneSidKey") or "UTC",
        created_at=_opt_time(d, "CreatedDate", what),
        updated_at=_opt_time(d, "LastModifiedDate", what),
    )


def _identities(email: str | None, phone: str | None) -> tuple[Identity, ...]:
    """The e-mail (primary) and phone of a person; Salesforce keeps no verification flag."""
    found = [Identity(type="email", value=email, primary=True)] if email else []
    if phone:
        found.append(Identity(type="phone_number", value=phone))
    return tuple(found)


def _ref(kind: Kind, d: Row, key: str) -> Ref | None:
    value = _opt_id(d, key)
    return None if value is None else Ref(kind=kind, id=value)


def queue(d: Row) -> Group:
    """A group from a ``Group`` row of type ``Queue``."""
    what = "Group"
    return Group(
        id=_id(d, "Id", what),
        name=_text(d, "Name") or _text(d, "DeveloperName"),
        created_at=_opt_time(d, "CreatedDate", what),
        updated_at=_opt_time(d, "LastModifiedDate", what),
    )


def group_member(d: Row) -> GroupMembership | None:
    """A membership from a ``GroupMember`` row; None when the member is a group, not a user."""
    what = "GroupMember"
    member = _id(d, "UserOrGroupId", what)
    if not member.startswith("005"):
        return None
    return GroupMembership(
        id=_id(d, "Id", what),
        user=Ref(kind=Kind.USER, id=member),
        group=Ref(kind=Kind.GROUP, id=_id(d, "GroupId", what)),
    )


def case(
    d: Row,
    comments: Sequence[Comment] = (),
    *,
    instance: str,
    fields: Mapping[str, FieldDef] | None = None,
) -> Ticket:
    """A ticket from a ``Case`` row with its comments (see the module's decisions).

    Cemigrate's own ``Cemigrate_*_At__c`` fields, when set, win over the audit fields (they hold
    the originals where the org could not). The owner is the assignee when it is a User
    (``005``), the group when it is a queue (``00G``). The submitter is the case's contact
    (customers never create records in Salesforce themselves), else the User who created it.
    """
    what = "Case"
    owner = _opt_id(d, "OwnerId")
    status_text = _text(d, "Status").lower()
    status = _STATUS_READ.get(status_text)
    if status is None:
        status = Status.CLOSED if _flag(d, "IsClosed") else Status.OPEN
    group = _ref(Kind.GROUP, d, "Cemigrate_Queue_Id__c")
    if owner and owner.startswith("00G"):
        group = Ref(kind=Kind.GROUP, id=owner)
    created = _first_time(d, ("Cemigrate_Created_At__c", "CreatedDate"), what)
    updated = _first_time(
        d, ("Cemigrate_Updated_At__c", "LastModifiedDate", "SystemModstamp"), what
    )
    if created is None or updated is None:
        raise _fail(what, "CreatedDate", "is missing")
    solved = _first_time(d, ("Cemigrate_Solved_At__c",), what)
    if solved is None and status in (Status.SOLVED, Status.CLOSED):
        solved = _opt_time(d, "ClosedDate", what)
    return Ticket(
        id=_id(d, "Id", what),
        subject=_text(d, "Subject"),
        description=_text(d, "Description"),
        status=status,
        created_at=created,
        updated_at=updated,
        instance=instance,
        priority=_PRIORITY_READ.get(_text(d, "Priority").lower()),
        type=_TYPE_READ.get(_text(d, "Type").lower()),
        channel=_ORIGIN_READ.get(_text(d, "Origin").lower(), Channel.OTHER)
        if d.get("Origin")
        else Channel.WEB,
        tags=_either(d, "Cemigrate_Tags__c", "Tags__c"),
        custom_fields=_custom_values(d, fields or {}) | kept.case_kept_values(d),
        requester=_ref(Kind.USER, d, "ContactId"),
        submitter=_ref(Kind.USER, d, "ContactId") or _creator(d),
        assignee=Ref(kind=Kind.USER, id=owner) if owner and owner.startswith("005") else None,
        group=group,
        organization=None if _person(d) else _ref(Kind.ORGANIZATION, d, "AccountId"),
        form=_record_type(d),
        solved_at=solved,
        deleted=_flag(d, "IsDeleted"),
        comments=tuple(comments),
    )


MASTER_RECORD_TYPE: Final = "012000000000000AAA"
"""The master record type's id: what a record of an object without record types holds."""


def _record_type(d: Row) -> Ref | None:
    """The case's form: its record type, none for the master one."""
    value = _opt_id(d, "RecordTypeId")
    if value is None or value == MASTER_RECORD_TYPE:
        return None
    return Ref(kind=Kind.TICKET_FORM, id=value)


def _person(d: Row) -> bool:
    """Whether the case's account is a person account (``Account.IsPersonAccount`` read
    along): it is the requester, not an organization."""
    account = d.get("Account")
    return isinstance(account, Mapping) and bool(account.get("IsPersonAccount"))


def record_type(d: Row) -> TicketForm:
    """A ticket form from a Case ``RecordType`` row (``Name``, ``DeveloperName``,
    ``IsActive``, ``Description``; Object Reference: RecordType). Which fields a record type
    shows is its page layout's (metadata, not data): the form lists none."""
    what = "RecordType"
    return TicketForm(
        id=_id(d, "Id", what),
        name=_text(d, "Name") or _text(d, "DeveloperName"),
        display_name=_text(d, "Name"),
        active=_flag(d, "IsActive"),
        created_at=_opt_time(d, "CreatedDate", what),
        updated_at=_opt_time(d, "LastModifiedDate", what),
    )


PERSON_FIELDS: Final[Mapping[str, str]] = {
    "PersonEmail": "Email",
    "PersonMobilePhone": "MobilePhone",
    "PersonOtherPhone": "OtherPhone",
    "PersonMailingStreet": "MailingStreet",
}
"""A person account's ``Person*`` fields → the person contact's fields they show (Object
Reference: Account, person account fields; ``FirstName``, ``LastName``, ``Phone`` and
``Description`` keep their names)."""


def person_account(d: Row, fields: Mapping[str, FieldDef] | None = None) -> User:
    """An end user from a person ``Account`` row: its id is the person contact's
    (``PersonContactId``, the id cases name in ``ContactId``), its contact fields the
    ``Person*`` ones and the contact's custom fields their ``__pc`` twins (``fields``: the
    Contact's custom fields by API name). A person account belongs to no organization."""
    what = "Account"
    row: dict[str, Any] = {
        name.removesuffix("__pc") + "__c": value
        for name, value in d.items()
        if name.endswith("__pc")
    }
    for name in ("FirstName", "LastName", "Name", "Phone", "Description", "IsDeleted"):
        row[name] = d.get(name)
    for name in ("CreatedDate", "LastModifiedDate"):
        row[name] = d.get(name)
    for person, contact_name in PERSON_FIELDS.items():
        row[contact_name] = d.get(person)
    row["Id"] = _id(d, "PersonContactId", what)
    return contact(row, fields)


def _creator(d: Row) -> Ref | None:
    """The User who created a row (a Contact never creates anything in Salesforce)."""
    creator = _opt_id(d, "CreatedById")
    return Ref(kind=Kind.USER, id=creator) if creator and creator.startswith("005") else None


def _strip_markers(body: str) -> tuple[str, str | None, datetime | None, tuple[int, int] | None]:
    """Body without cemigrate's first lines; the original author, time and part number."""
    author: str | None = None
    when: datetime | None = None
    part: tuple[int, int] | None = None
    if match := _AUTHOR_LINE.match(body):
        author = match.group(1)
        try:
            when = parse_time(match.group(2))
        except ValueError:
            when = None
        body = body[match.end() :]
    if match := _PART_LINE.match(body):
        part = (int(match.group(1)), int(match.group(2)))
        body = body[match.end() :]
    return body, author, when, part


def case_comment(d: Row, *, channel: Channel) -> tuple[Comment, tuple[int, int] | None]:
    """A comment from a ``CaseComment`` row, with its part number when it is one part of a
    long body. ``channel`` is the case's (a CaseComment has none of its own)."""
    what = "CaseComment"
    body, author, when, part = _strip_markers(_text(d, "CommentBody"))
    author = author or _opt_id(d, "CreatedById")
    comment = Comment(
        id=_id(d, "Id", what),
        author=None if author is None else Ref(kind=Kind.USER, id=author),
        public=_flag(d, "IsPublished"),
        body_html="",
        body_plain=body,
        created_at=when or _time(d, "CreatedDate", what),
        channel=channel,
    )
    return comment, part


def email_message(d: Row, *, requester: str | None) -> tuple[Comment, tuple[int, int] | None]:
    """A public comment from an ``EmailMessage`` row. Its author is ``Cemigrate_Author__c``
    when set, else the case's contact for an incoming message, else its creator."""
    what = "EmailMessage"
    text, _, _, part = _strip_markers(_text(d, "TextBody"))
    markup, _, _, html_part = _strip_markers(_text(d, "HtmlBody"))
    author = _opt_id(d, "Cemigrate_Author__c")
    if author is None:
        author = requester if _flag(d, "Incoming") else _opt_id(d, "CreatedById")
    comment = Comment(
        id=_id(d, "Id", what),
        author=None if author is None else Ref(kind=Kind.USER, id=author),
        public=True,
        body_html=markup,
        body_plain=text or _plain_text(markup),
        created_at=_first_time(d, ("MessageDate", "CreatedDate"), what)
        or _time(d, "CreatedDate", what),
        channel=Channel.EMAIL,
        metadata=email_threading(d),
    )
    return comment, part or html_part


EMAIL_THREADING: Final[Mapping[str, str]] = {
    "ThreadIdentifier": "thread_identifier",
    "MessageIdentifier": "message_identifier",
    "ReplyToEmailMessageId": "reply_to_email_message_id",
    "Headers": "headers",
}
"""``EmailMessage`` fields that thread Email-to-Case mail (Object Reference: EmailMessage:
``ThreadIdentifier`` and ``MessageIdentifier`` from the mail's ``References`` and
``Message-ID``, ``ReplyToEmailMessageId`` the message replied to, ``Headers`` the raw
headers) → the comment's ``metadata`` keys that keep them."""


def email_threading(d: Row) -> dict[str, JsonValue]:
    """The threading fields an ``EmailMessage`` row holds, as comment metadata."""
    return {
        key: value
        for name, key in EMAIL_THREADING.items()
        if isinstance(value := d.get(name), str) and value
    }


def feed_item(d: Row, *, channel: Channel) -> Comment | None:
    """A comment from a Chatter ``FeedItem`` (text posts only; ``InternalUsers`` is private)."""
    what = "FeedItem"
    if _text(d, "Type") not in ("", "TextPost"):
        return None
    markup = _text(d, "Body")
    return Comment(
        id=_id(d, "Id", what),
        author=_ref(Kind.USER, d, "CreatedById"),
        public=_text(d, "Visibility") == "AllUsers",
        body_html=markup,
        body_plain=_plain_text(markup),
        created_at=_time(d, "CreatedDate", what),
        channel=channel,
    )


def _plain_text(markup: str) -> str:
    text = re.sub(r"<br\s*/?>|</p>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def join_parts(items: Sequence[tuple[Comment, tuple[int, int] | None]]) -> list[Comment]:
    """Comments in order, with consecutive numbered parts of one long body joined into one."""
    joined: list[Comment] = []
    pending: list[Comment] = []
    for comment, part in items:
        if part is None:
            joined.extend(pending)
            pending = []
            joined.append(comment)
            continue
        index, total = part
        if index == 1:
            joined.extend(pending)
            pending = []
        pending.append(comment)
        if index == total:
            first = pending[0]
            joined.append(
                Comment(
                    id=first.id,
                    author=first.author,
                    public=first.public,
                    body_html="".join(c.body_html for c in pending),
                    body_plain="".join(c.body_plain for c in pending),
                    created_at=first.created_at,
                    channel=first.channel,
                    attachments=tuple(a for c in pending for a in c.attachments),
                    metadata=first.metadata,
                )
            )
            pending = []
    joined.extend(pending)
    return joined


def attachment(d: Row) -> Attachment:
    """An attachment from a ``ContentVersion`` row; the bytes stay at its ``VersionData``."""
    what = "ContentVersion"
    version = _id(d, "Id", what)
    name = _text(d, "PathOnClient") or _text(d, "Title") or "unnamed"
    extension = _text(d, "FileExtension")
    if extension and not name.lower().endswith(f".{extension.lower()}"):
        name = f"{name}.{extension}"
    size = d.get("ContentSize")
    return Attachment(
        id=version,
        file_name=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=int(size) if isinstance(size, int | float) else 0,
        location=f"sobjects/ContentVersion/{version}/VersionData",
    )


# --- SLA and rules ------------------------------------------------------------------------

_MILESTONE_METRICS: Final = (
    ("first", SlaMetric.FIRST_REPLY_TIME),
    ("next", SlaMetric.NEXT_REPLY_TIME),
    ("update", SlaMetric.PERIODIC_UPDATE_TIME),
    ("wait", SlaMetric.REQUESTER_WAIT_TIME),
    ("work", SlaMetric.AGENT_WORK_TIME),
    ("resol", SlaMetric.RESOLUTION_TIME),
    ("close", SlaMetric.RESOLUTION_TIME),
)


def _milestone_metric(d: Row) -> SlaMetric:
    milestone = d.get("MilestoneType") or {}
    name = str(milestone.get("Name") if isinstance(milestone, Mapping) else "").lower()
    for word, metric in _MILESTONE_METRICS:
        if word in name:
            return metric
    return SlaMetric.RESOLUTION_TIME


def milestone_events(d: Row, *, policy: str | None = None) -> list[SlaEvent]:
    """The SLA history of one ``CaseMilestone``: applied at its start, breached at its target
    date when violated, fulfilled at its completion; each event carries the target minutes.

    ``policy`` is the entitlement process (``SlaProcess``) of the case's entitlement. Whether
    the target counts business hours is not a field of the milestone: it does when the target
    date is not the start plus the target minutes of calendar time."""
    what = "CaseMilestone"
    milestone = _id(d, "Id", what)
    ticket = Ref(kind=Kind.TICKET, id=_id(d, "CaseId", what))
    metric = _milestone_metric(d)
    minutes = d.get("TargetResponseInMins")
    target = int(minutes) if isinstance(minutes, int | float) else None
    started = _time(d, "StartDate", what)
    due = _opt_time(d, "TargetDate", what)
    business = True
    if due is not None and target is not None:
        business = (due - started).total_seconds() != target * 60
    common: dict[str, Any] = {
        "ticket": ticket,
        "metric": metric,
        "business_hours": business,
        "target_minutes": target,
        "policy": None if policy is None else Ref(kind=Kind.SLA_POLICY, id=policy),
    }
    events = [
        SlaEvent(
            id=f"{milestone}:apply",
            kind=SlaEventKind.APPLY,
            time=started,
            updated_at=started,
            **common,
        )
    ]
    if _flag(d, "IsViolated") and due is not None:
        events.append(
            SlaEvent(
                id=f"{milestone}:breach",
                kind=SlaEventKind.BREACH,
                time=due,
                updated_at=due,
                **common,
            )
        )
    if d.get("CompletionDate"):
        done = _time(d, "CompletionDate", what)
        events.append(
            SlaEvent(
                id=f"{milestone}:fulfill",
                kind=SlaEventKind.FULFILL,
                time=done,
                updated_at=done,
                **common,
            )
        )
    return events


def milestone_metrics(case_id: str, rows: Sequence[Row]) -> TicketMetrics | None:
    """A case's measured first reply and resolution from its completed milestones."""
    what = "CaseMilestone"
    measured: dict[SlaMetric, int] = {}
    for d in rows:
        if not d.get("CompletionDate"):
            continue
        span = _time(d, "CompletionDate", what) - _time(d, "StartDate", what)
        measured.setdefault(_milestone_metric(d), max(0, int(span.total_seconds() // 60)))
    if not measured:
        return None
    return TicketMetrics(
        id=case_id,
        ticket=Ref(kind=Kind.TICKET, id=case_id),
        first_reply=Minutes(calendar=measured.get(SlaMetric.FIRST_REPLY_TIME)),
        full_resolution=Minutes(calendar=measured.get(SlaMetric.RESOLUTION_TIME)),
    )


def sla_process(d: Row) -> SlaPolicy:
    """An SLA policy from an entitlement process (``SlaProcess``); its targets live in
    metadata this adapter does not read, so the row is kept verbatim in ``raw``."""
    what = "SlaProcess"
    return with_names(
        SlaPolicy(
            id=_id(d, "Id", what),
            title=_text(d, "Name"),
            description=_text(d, "Description"),
            active=_flag(d, "IsActive"),
            raw={
                k: v for k, v in d.items() if isinstance(v, str | int | float | bool) or v is None
            },
            created_at=_opt_time(d, "CreatedDate", what),
            updated_at=_opt_time(d, "LastModifiedDate", what),
        ),
        SALESFORCE_RULES,
    )


def rule(d: Row, kind: RuleKind) -> Rule:
    """An assignment or escalation rule; its entries are in metadata, so the row is ``raw``."""
    what = "rule"
    return with_names(
        Rule(
            id=_id(d, "Id", what),
            kind=kind,
            title=_text(d, "Name"),
            active=_flag(d, "Active"),
            raw={
                k: v for k, v in d.items() if isinstance(v, str | int | float | bool) or v is None
            },
            created_at=_opt_time(d, "CreatedDate", what),
            updated_at=_opt_time(d, "LastModifiedDate", what),
        ),
        SALESFORCE_RULES,
    )


def listed(value: Any) -> list[Any]:
    """A Metadata API member that may hold one item or several, as a list."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def rule_entries(d: Row, kind: RuleKind, entries: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """An assignment or escalation rule read with its entries (``ruleEntry`` of the
    ``AssignmentRules`` / ``EscalationRules`` metadata): one rule per entry, in order, with id
    ``<rule id>#<n>`` (n from 1), title ``<name> #<n>``, position n and the rule's ``active``.
    ``raw`` keeps the row's fields, the entry (``entry``, lists always lists), its number
    (``entry_number``) and the rule's name; the schema conditions and actions hold the entry's
    criteria and assignment in Salesforce's words (``Case.Status equals New``, ``assignedTo``).
    A rule without entries stays one rule (:func:`rule`)."""
    base = rule(d, kind)
    if not entries:
        return [base]
    out: list[Rule] = []
    for number, entry in enumerate(entries, start=1):
        plain = {
            **entry,
            "criteriaItems": listed(entry.get("criteriaItems")),
        }
        if kind is RuleKind.ESCALATION:
            plain["escalationAction"] = listed(entry.get("escalationAction"))
        items = [i for i in plain["criteriaItems"] if isinstance(i, Mapping)]
        conditions = [
            Condition(
                field=str(i.get("field") or ""),
                operator=str(i.get("operation") or ""),
                value=str(i.get("value") or ""),
            )
            for i in items
        ]
        logic = str(plain.get("booleanFilter") or "").strip()
        any_of = bool(logic) and " OR " in logic.upper() and " AND " not in logic.upper()
        assignments = (
            [plain] if kind is RuleKind.ASSIGNMENT else list(plain.get("escalationAction") or [])
        )
        actions = [
            Action(field="assignedTo", value=str(a.get("assignedTo")))
            for a in assignments
            if isinstance(a, Mapping) and a.get("assignedTo")
        ]
        out.append(
            Rule(
                id=f"{base.id}#{number}",
                kind=kind,
                title=f"{base.title} #{number}",
                active=base.active,
                position=number,
                conditions_all=() if any_of else tuple(conditions),
                conditions_any=tuple(conditions) if any_of else (),
                actions=tuple(actions),
                raw={**base.raw, "entry": plain, "entry_number": number, "rule_name": base.title},
                created_at=base.created_at,
                updated_at=base.updated_at,
            )
        )
    return [with_names(r, SALESFORCE_RULES) for r in out]


def flow_rule(version: Row, flow: Row, *, active: bool) -> Rule | None:
    """A record-triggered flow on Case as a rule, from its version row (Tooling ``Flow``) and
    the version read whole (``FullName``, ``Metadata``); None for any other flow (screen flows,
    flows on other objects, autolaunched flows without a record trigger). Its id is the
    ``FlowDefinition``'s, so every version of a flow is one rule."""
    what = "flow"
    metadata = flow.get("Metadata")
    start = metadata.get("start") if isinstance(metadata, Mapping) else None
    if not isinstance(start, Mapping) or not start.get("triggerType"):
        return None
    if str(start.get("object") or "") != "Case":
        return None
    return with_names(
        Rule(
            id=_id(version, "DefinitionId", what),
            kind=RuleKind.FLOW,
            title=_text(version, "MasterLabel") or _text(flow, "FullName"),
            active=active,
            raw={"FullName": flow.get("FullName"), "Metadata": metadata},
            created_at=_opt_time(version, "CreatedDate", what),
            updated_at=_opt_time(version, "LastModifiedDate", what),
        ),
        SALESFORCE_RULES,
    )


# --- schema → Salesforce ------------------------------------------------------------------


def _link(outgoing: Outgoing, ref: Ref | None, name: str) -> str | None:
    if ref is None:
        return None
    target = outgoing.links.get(ref)
    if target is None:
        raise RecordError(
            f"salesforce {outgoing.key.kind}: its {name} is not in the target",
            platform_message=f"{name} {ref} is not in the target",
        )
    return target


def _record(outgoing: Outgoing, cls: type[Any]) -> Any:
    if not isinstance(outgoing.record, cls):
        raise RecordError(
            f"salesforce: expected a {cls.__name__} record, got {type(outgoing.record).__name__}"
        )
    return outgoing.record


def _without_none(payload: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    return {k: v for k, v in payload.items() if v is not None}


def account_payload(
    outgoing: Outgoing, *, allowed: Mapping[str, Any], lookups: Mapping[str, Kind] | None = None
) -> dict[str, JsonValue]:
    """One ``Account`` for an upsert by ``Cemigrate_Id__c`` (``allowed``: the org's fields;
    ``lookups``: the lookup fields' keys and kinds, see :func:`_custom_payload`)."""
    org: Organization = _record(outgoing, Organization)
    return {
        "Cemigrate_Id__c": outgoing.external_id,
        "Name": org.name[:255],
        "Description": org.details or None,
        "Website": org.domains[0] if org.domains else None,
        "Cemigrate_Domains__c": " ".join(org.domains[1:]) or None,
        "Cemigrate_Tags__c": " ".join(org.tags) or None,
        **_without_none(
            {
                "Cemigrate_Notes__c": org.notes or None,
                "Cemigrate_External_Id__c": (org.external_id or "")[:255] or None,
            }
        ),
        **_custom_payload(org.custom_fields, allowed, "Account", outgoing, lookups),
    }


def contact_payload(
    outgoing: Outgoing, *, allowed: Mapping[str, Any], lookups: Mapping[str, Kind] | None = None
) -> dict[str, JsonValue]:
    """One ``Contact`` (an end user) for an upsert by ``Cemigrate_Id__c``."""
    person: User = _record(outgoing, User)
    words = person.name.split()
    last = words[-1] if words else (person.email or "Unknown")
    first = " ".join(words[:-1]) or None
    return {
        "Cemigrate_Id__c": outgoing.external_id,
        "FirstName": first,
        "LastName": last[:80],
        "Email": person.email,
        "Phone": person.phone,
        "AccountId": _link(outgoing, person.organization, "organization"),
        "Cemigrate_Suspended__c": person.suspended or person.deleted,
        **_without_none(
            {
                **kept.contact_identities(person),
                "Description": person.notes or None,
                "Cemigrate_Details__c": person.details or None,
                "Cemigrate_External_Id__c": (person.external_id or "")[:255] or None,
                "MailingStreet": kept.mailing_street(person),
                "Cemigrate_Tags__c": " ".join(person.tags) or None,
            }
        ),
        **_custom_payload(person.custom_fields, allowed, "Contact", outgoing, lookups),
    }


def case_picklist_values(
    ticket: Ticket, values: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, tuple[str, ...]]:
    """The values a ticket's case writes to ``Status``, ``Priority``, ``Type``, ``Origin`` and
    its custom fields (by API name; a multi-select's values one by one): what the dry run
    checks against the values its record type makes available."""
    out: dict[str, tuple[str, ...]] = {
        "Status": (_value(values, "status", ticket.status.value),),
        "Origin": (_value(values, "channel", ticket.channel.value),),
    }
    if ticket.priority is not None:
        out["Priority"] = (_value(values, "priority", ticket.priority.value),)
    if ticket.type is not None:
        out["Type"] = (_value(values, "type", ticket.type.value),)
    for key, value in ticket.custom_fields.items():
        if isinstance(value, tuple):
            out[key_to_api_name(key)] = tuple(str(v) for v in value)
        elif isinstance(value, str):
            out[key_to_api_name(key)] = (value,)
    return out


CONTACT_TO_PERSON: Final[Mapping[str, str]] = {
    contact_name: person for person, contact_name in PERSON_FIELDS.items()
}
"""A Contact field → the Person Account field that writes it (:data:`PERSON_FIELDS` turned
round); a Contact custom field ``X__c`` is the Account's ``X__pc``."""


def person_account_payload(
    outgoing: Outgoing,
    *,
    record_type: str,
    allowed: Mapping[str, Any],
    lookups: Mapping[str, Kind] | None = None,
) -> dict[str, JsonValue]:
    """One Person Account (an end user with no organization, in an org that has them) for an
    upsert by the Account's ``Cemigrate_Id__c``: the Contact :func:`contact_payload` would
    write, as the Account's person fields (``allowed``: the Contact's fields). Its person
    contact carries the source key too (``Cemigrate_Id__pc``), so it is found as a Contact."""
    contact = contact_payload(outgoing, allowed=allowed, lookups=lookups)
    contact.pop("AccountId", None)
    payload: dict[str, JsonValue] = {
        "Cemigrate_Id__c": outgoing.external_id,
        "RecordTypeId": record_type,
    }
    for name, value in contact.items():
        if value is None:
            continue
        if name in CONTACT_TO_PERSON:
            payload[CONTACT_TO_PERSON[name]] = value
        elif name.endswith("__c"):
            payload[f"{name.removesuffix('__c')}__pc"] = value
        else:
            payload[name] = value
    return payload


def case_payload(
    outgoing: Outgoing,
    *,
    allowed: Mapping[str, Any],
    audit: bool,
    owner_fallback: str | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    record_types: Mapping[str, str] | None = None,
    lookups: Mapping[str, Kind] | None = None,
) -> dict[str, JsonValue]:
    """One ``Case`` for an upsert by ``Cemigrate_Id__c``; ``values`` are the mapping's tables
    for status, priority, type and channel (:data:`DEFAULT_VALUES` where they say nothing).

    ``record_types``: the org's Case record types, id → name. A ticket form written as one
    (its target id a ``RecordTypeId``) sets the case's ``RecordTypeId``, and its name stays in
    ``Cemigrate_Form__c``; any other form is its label there.

    ``audit``: the org takes ``CreatedDate``/``LastModifiedDate`` on insert (only for a case
    that is not in the target yet). The originals are always kept in ``Cemigrate_*_At__c`` too.
    The owner is the assignee, else the group's queue; ``Cemigrate_Queue_Id__c`` keeps the group
    when an agent owns the case.
    """
    record: Ticket = _record(outgoing, Ticket)
    assignee = _link(outgoing, record.assignee, "assignee")
    queue_id = _link(outgoing, record.group, "group")
    requester = _link(outgoing, record.requester, "requester")
    payload: dict[str, JsonValue] = {
        "Cemigrate_Id__c": outgoing.external_id,
        "Subject": record.subject[:255],
        "Description": record.description[:32000],
        "Status": _value(values, "status", record.status.value),
        "Priority": None
        if record.priority is None
        else _value(values, "priority", record.priority.value),
        "Type": None if record.type is None else _value(values, "type", record.type.value),
        "Origin": _value(values, "channel", record.channel.value),
        "ContactId": requester if requester and requester.startswith("003") else None,
        "AccountId": _link(outgoing, record.organization, "organization"),
        "OwnerId": assignee or queue_id or owner_fallback,
        "Cemigrate_Queue_Id__c": queue_id if assignee else None,
        "Cemigrate_Tags__c": " ".join(record.tags) or None,
        "Cemigrate_Created_At__c": format_time(record.created_at),
        "Cemigrate_Updated_At__c": format_time(record.updated_at),
        "Cemigrate_Solved_At__c": None
        if record.solved_at is None
        else format_time(record.solved_at),
        "Cemigrate_Complete__c": False,
        **kept.case_kept_fields(record, outgoing.links),
        **_custom_payload(record.custom_fields, allowed, "Case", outgoing, lookups),
    }
    form = payload.get(CASE_LABEL_FIELDS["form"])
    if isinstance(form, str) and form in (record_types or {}):
        payload["RecordTypeId"] = form
        payload[CASE_LABEL_FIELDS["form"]] = (record_types or {})[form]
    if audit:
        payload["CreatedDate"] = format_time(record.created_at)
        payload["LastModifiedDate"] = format_time(record.updated_at)
    return {
        k: v
        for k, v in payload.items()
        if v is not None and (k in allowed or k == "Cemigrate_Id__c")
    }


COMMENT_ROUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "public_email": ("EmailMessage", "CaseComment"),
    "public_other": ("CaseComment", "EmailMessage"),
    "private": ("CaseComment",),
}
"""Where each kind of comment may go (the first is the default). A private comment only ever
becomes an unpublished ``CaseComment``: an ``EmailMessage`` is visible to the customer."""


def route(comment: Comment, routes: Mapping[str, str] | None = None) -> str:
    """Where a comment goes: ``EmailMessage`` or ``CaseComment`` (published only when public),
    by the mapping's ``routes`` within :data:`COMMENT_ROUTES`. A private comment never becomes
    public."""
    if not comment.public:
        return "CaseComment"
    which = "public_email" if comment.channel is Channel.EMAIL else "public_other"
    chosen = (routes or {}).get(which, COMMENT_ROUTES[which][0])
    return chosen if chosen in COMMENT_ROUTES[which] else COMMENT_ROUTES[which][0]


def _utf8_chunks(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-8 bytes, never inside a character."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > limit and current:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    chunks.append("".join(current))
    return chunks


def split_body(text: str, *, limit_bytes: int, prefix: str = "") -> list[str]:
    """``prefix + text`` as one body, or as numbered parts (``[cemigrate part i/n]``) each
    within ``limit_bytes`` when it is too long. Nothing is cut off."""
    whole = prefix + text
    if len(whole.encode("utf-8")) <= limit_bytes:
        return [whole]
    overhead = len(prefix.encode("utf-8")) + len("[cemigrate part 9999/9999]\n")
    pieces = _utf8_chunks(text, limit_bytes - overhead)
    return [
        f"{prefix}[cemigrate part {i}/{len(pieces)}]\n{piece}"
        for i, piece in enumerate(pieces, start=1)
    ]


def _is_user(target_id: str | None) -> bool:
    return bool(target_id) and str(target_id).startswith("005")


def case_comment_payloads(
    outgoing: Outgoing, comment: Comment, *, case_id: str, audit: bool
) -> list[dict[str, JsonValue]]:
    """The ``CaseComment`` record(s) of one comment (several when the body is over 4,000
    bytes). ``IsPublished`` is the comment's own public flag, never defaulted."""
    author = _link(outgoing, comment.author, f"author of comment {comment.id}")
    native = audit and _is_user(author)
    prefix = (
        ""
        if native
        else f"[Originally by {author or 'unknown'} at {format_time(comment.created_at)}]\n"
    )
    body = comment.body_plain or _plain_text(comment.body_html)
    records: list[dict[str, JsonValue]] = []
    for part in split_body(body, limit_bytes=CASE_COMMENT_LIMIT_BYTES, prefix=prefix):
        record: dict[str, JsonValue] = {
            "ParentId": case_id,
            "CommentBody": part,
            "IsPublished": comment.public is True,
        }
        if native:
            record["CreatedDate"] = format_time(comment.created_at)
            record["CreatedById"] = author
        records.append(record)
    return records


def email_message_payloads(
    outgoing: Outgoing, comment: Comment, *, case_id: str, audit: bool
) -> list[dict[str, JsonValue]]:
    """The ``EmailMessage`` record(s) of one public e-mail comment, upserted by
    ``Cemigrate_Id__c`` (``<ticket key>:comment:<id>``, ``:part<i>`` for later parts).
    ``Incoming`` is true when the author is not a User (an end user, or unknown)."""
    author = _link(outgoing, comment.author, f"author of comment {comment.id}")
    text_parts = split_body(comment.body_plain, limit_bytes=EMAIL_BODY_LIMIT)
    html_parts = split_body(comment.body_html, limit_bytes=EMAIL_BODY_LIMIT)
    count = max(len(text_parts), len(html_parts))
    if count > 1:
        text_parts = _numbered(comment.body_plain, count)
        html_parts = _numbered(comment.body_html, count)
    key = f"{outgoing.external_id}:comment:{comment.id}"
    records: list[dict[str, JsonValue]] = []
    for index in range(count):
        record: dict[str, JsonValue] = {
            "Cemigrate_Id__c": key if index == 0 else f"{key}:part{index + 1}",
            "ParentId": case_id,
            "Incoming": not _is_user(author),
            "Status": "1" if not _is_user(author) else "3",
            "TextBody": text_parts[index],
            "HtmlBody": html_parts[index] or None,
            "MessageDate": format_time(comment.created_at),
            "Cemigrate_Author__c": author,
        }
        if audit:
            record["CreatedDate"] = format_time(comment.created_at)
            if _is_user(author):
                record["CreatedById"] = author
        records.append(_without_none(record))
    return records


def _numbered(text: str, count: int) -> list[str]:
    """``text`` in exactly ``count`` numbered parts (some may be empty)."""
    size = -(-len(text) // count) if text else 0
    pieces = [text[i * size : (i + 1) * size] for i in range(count)] if size else [""] * count
    return [f"[cemigrate part {i}/{count}]\n{p}" for i, p in enumerate(pieces, start=1)]


def sla_event_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """One ``Cemigrate_Sla_Event__c`` for an upsert by ``Cemigrate_Id__c``."""
    event: SlaEvent = _record(outgoing, SlaEvent)
    return _without_none(
        {
            "Cemigrate_Id__c": outgoing.external_id,
            "Name": f"{event.metric} {event.kind}"[:80],
            "Case__c": _link(outgoing, event.ticket, "ticket"),
            "Metric__c": event.metric.value,
            "Kind__c": event.kind.value,
            "Time__c": format_time(event.time),
            "Target_Minutes__c": event.target_minutes,
            "Business_Hours__c": event.business_hours,
            "Policy__c": None if event.policy is None else event.policy.id,
        }
    )


def metrics_payload(outgoing: Outgoing) -> dict[str, JsonValue]:
    """One ``Cemigrate_Ticket_Metrics__c`` for an upsert by ``Cemigrate_Id__c``."""
    metrics: TicketMetrics = _record(outgoing, TicketMetrics)
    payload: dict[str, JsonValue] = {
        "Cemigrate_Id__c": outgoing.external_id,
        "Name": f"metrics {metrics.ticket.id}"[:80],
        "Case__c": _link(outgoing, metrics.ticket, "ticket"),
        "Reopens__c": metrics.reopens,
        "Replies__c": metrics.replies,
    }
    for name, minutes in (
        ("First_Reply", metrics.first_reply),
        ("Resolution", metrics.full_resolution),
        ("Agent_Wait", metrics.agent_wait),
        ("Requester_Wait", metrics.requester_wait),
    ):
        payload[f"{name}_Minutes__c"] = minutes.calendar
        payload[f"{name}_Business_Minutes__c"] = minutes.business
    return _without_none(payload)


def _kept_number(d: Row, key: str, what: str) -> int | None:
    """A Number field read back (JSON gives ``120`` or ``120.0``), ``None`` where empty."""
    value = d.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise _fail(what, key, "is not a whole number")
    if value < 0:
        raise _fail(what, key, "is negative")
    return int(value)


def kept_sla_event(d: Row) -> SlaEvent:
    """A ``Cemigrate_Sla_Event__c`` row read back from a target org: the event
    :func:`sla_event_payload` wrote, with the row's ``Id`` and its ``Case__c`` as the ticket.
    An unknown metric or kind (a row edited by hand) is a :class:`RecordError`."""
    what = "Cemigrate_Sla_Event__c"
    policy = _opt_id(d, "Policy__c")
    try:
        return SlaEvent(
            id=_id(d, "Id", what),
            ticket=Ref(kind=Kind.TICKET, id=_id(d, "Case__c", what)),
            metric=SlaMetric(_text(d, "Metric__c")),
            kind=SlaEventKind(_text(d, "Kind__c")),
            time=_time(d, "Time__c", what),
            target_minutes=_kept_number(d, "Target_Minutes__c", what),
            business_hours=_flag(d, "Business_Hours__c"),
            policy=None if policy is None else Ref(kind=Kind.SLA_POLICY, id=policy),
        )
    except ValueError as exc:
        raise RecordError(f"salesforce {what} {d.get('Id')}: {exc}") from None


def kept_metrics(d: Row) -> TicketMetrics:
    """A ``Cemigrate_Ticket_Metrics__c`` row read back from a target org: the measured times
    :func:`metrics_payload` wrote (calendar and business minutes), its ``Case__c`` the ticket."""
    what = "Cemigrate_Ticket_Metrics__c"

    def minutes(name: str) -> Minutes:
        return Minutes(
            calendar=_kept_number(d, f"{name}_Minutes__c", what),
            business=_kept_number(d, f"{name}_Business_Minutes__c", what),
        )

    return TicketMetrics(
        id=_id(d, "Id", what),
        ticket=Ref(kind=Kind.TICKET, id=_id(d, "Case__c", what)),
        first_reply=minutes("First_Reply"),
        full_resolution=minutes("Resolution"),
        agent_wait=minutes("Agent_Wait"),
        requester_wait=minutes("Requester_Wait"),
        reopens=_kept_number(d, "Reopens__c", what) or 0,
        replies=_kept_number(d, "Replies__c", what) or 0,
    )


def body_digest_key(parent: str, body: str) -> tuple[str, str]:
    """What a ``CaseComment`` already in the target is matched on when a ticket is re-sent:
    its case and its body (which carries any author line and part number)."""
    return (parent, body)


def group_items(values: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    """Values grouped by their first element, in order."""
    grouped: dict[str, list[Any]] = {}
    for key, value in values:
        grouped.setdefault(key, []).append(value)
    return grouped
