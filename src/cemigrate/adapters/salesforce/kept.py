"""Where a Salesforce org keeps what help desks hold beyond cases, contacts and accounts.

Salesforce has no brands or custom ticket statuses, and a ticket form's counterpart, a Case
record type, is usable only once an admin gives profiles it and a layout: a case keeps the
referenced record's name in a text field of its own (:data:`~.objects.CASE_LABEL_FIELDS`), and
a ticket's origin goes in the Long Text Area :data:`~.objects.ORIGIN_API_NAME`. A person's
e-mail and first three phone numbers go in the Contact's own fields (``Email``, ``Phone``,
``MobilePhone``, ``OtherPhone``), every other identity in ``Cemigrate_Identities__c`` as JSON.
A schedule is a ``BusinessHours`` row (one open interval a day) with one all-day ``Holiday``
row per closed day. docs/salesforce.md, "Brands, forms, statuses, schedules, identities and
memberships", says why each lives where it does.

Facts (Salesforce Object Reference): BusinessHours supports create, query, update and upsert,
not delete, and holds one ``{Day}StartTime``/``{Day}EndTime`` pair a day in ``TimeZoneSidKey``;
Holiday supports create and holds one date (``ActivityDate``, ``IsAllDay``) and no field naming
business hours (the two are linked in Setup); AccountContactRelation (API 37.0, "Contacts to
Multiple Accounts") supports create, its ``IsDirect`` is not createable, and ``AccountId`` and
``ContactId`` cannot change after insert; a Long Text Area holds 256 to 131,072 characters;
Contact (Field Reference) holds ``Email`` in 80 characters, ``Phone``, ``MobilePhone`` and
``OtherPhone`` in 40 each and ``Description`` in 32,000.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

import attrs

from cemigrate.adapters.origin import ORIGIN_FIELD, origin_text
from cemigrate.adapters.salesforce.objects import (
    CASE_LABEL_FIELDS,
    LONG_TEXT_LIMIT,
    ORIGIN_API_NAME,
    WEEKDAYS,
)
from cemigrate.errors import RecordError
from cemigrate.schema import (
    FieldDef,
    FieldType,
    Group,
    Holiday,
    Identity,
    Interval,
    JsonValue,
    Kind,
    Organization,
    OrganizationMembership,
    Record,
    Ref,
    Schedule,
    Ticket,
    User,
)

__all__ = [
    "IDENTITIES_FIELD",
    "LABEL_KEYS",
    "PHONE_FIELDS",
    "UNEXPRESSIBLE_SCHEDULE",
    "business_hours_payload",
    "case_kept_fields",
    "case_kept_values",
    "contact_identities",
    "held_as",
    "holiday_payloads",
    "identities_of",
    "mailing_street",
    "membership",
    "schedule",
    "schedule_tag",
]

IDENTITIES_FIELD: Final = "Cemigrate_Identities__c"
"""The Contact Long Text Area holding the identities its own fields do not."""
PHONE_FIELDS: Final = ("Phone", "MobilePhone", "OtherPhone")
"""The Contact's phone fields, filled in this order."""
_PHONE_LENGTH: Final = 40
_STREET_LENGTH: Final = 255
"""``MailingStreet``: a Text Area of 255 characters (Contact, Field Reference)."""
_EMAIL_LENGTH: Final = 80
_PHONE_TYPES: Final = frozenset({"phone_number", "phone"})

LABEL_KEYS: Final[Mapping[str, str]] = {
    attribute: name.removesuffix("__c").lower() for attribute, name in CASE_LABEL_FIELDS.items()
}
"""Ticket attribute → the custom field key the label reads back as (``cemigrate_brand``)."""

UNEXPRESSIBLE_SCHEDULE: Final = "schedule-not-expressible"
"""Skip policy: Salesforce business hours hold one open interval a day."""

_QUEUE_NAME: Final = 40
"""A queue's ``Name`` (Group, Object Reference): 40 characters."""
_LABEL_WIDTH: Final = 255
_NAME: Final = 80
"""BusinessHours' ``Name`` length."""
_HOLIDAY_NAME: Final = 80
_HOLIDAY_DESCRIPTION: Final = 100
_DAY: Final = 24 * 60


# -- cases ---------------------------------------------------------------------------------


def case_kept_fields(ticket: Ticket, links: Mapping[Ref, str]) -> dict[str, JsonValue]:
    """The Case's label fields (the brand's, form's and custom status's names, which the
    records' writes answered as their target ids) and its origin.

    Raises :class:`RecordError` when the origin is longer than the field can hold."""
    payload: dict[str, JsonValue] = {}
    for attribute, name in CASE_LABEL_FIELDS.items():
        ref = getattr(ticket, attribute)
        label = None if ref is None else links.get(ref)
        payload[name] = label[:_LABEL_WIDTH] if label else None
    origin = origin_text(ticket)
    if origin is not None and len(origin) > LONG_TEXT_LIMIT:
        raise RecordError(
            f"salesforce Case: the ticket's origin is {len(origin):,} characters,"
            f" over the {LONG_TEXT_LIMIT:,} a Long Text Area holds ({ORIGIN_API_NAME})",
            platform_message=f"STRING_TOO_LONG: {ORIGIN_API_NAME}",
        )
    payload[ORIGIN_API_NAME] = origin
    return payload


def case_kept_values(d: Mapping[str, Any]) -> dict[str, str]:
    """The label and origin fields of a Case row as custom field values: ``cemigrate_brand``,
    ``cemigrate_form``, ``cemigrate_custom_status`` and ``cemigrate_origin``."""
    values: dict[str, str] = {}
    for attribute, name in CASE_LABEL_FIELDS.items():
        value = d.get(name)
        if isinstance(value, str) and value:
            values[LABEL_KEYS[attribute]] = value
    origin = d.get(ORIGIN_API_NAME)
    if isinstance(origin, str) and origin:
        values[ORIGIN_FIELD] = origin
    return values


# -- identities ----------------------------------------------------------------------------


def mailing_street(person: User) -> str | None:
    """The person's address for the Contact's ``MailingStreet``: the whole address as the
    source holds it (one text; Freshdesk's contact ``address``). Raises :class:`RecordError`
    when it is longer than the 255 characters the field holds."""
    address = (person.address or "").strip()
    if len(address) > _STREET_LENGTH:
        raise RecordError(
            f"salesforce Contact: the address is {len(address)} characters, over the"
            f" {_STREET_LENGTH} MailingStreet holds",
            platform_message="STRING_TOO_LONG: MailingStreet",
        )
    return address or None


def contact_identities(person: User) -> dict[str, JsonValue]:
    """``Email``, the phone fields and ``Cemigrate_Identities__c`` for ``person``: the e-mail
    is the person's own, the phones the person's phone then its phone identities in order (up
    to three, each at most 40 characters); every other identity is kept as JSON."""
    phones: list[str] = []
    for value in [person.phone or "", *(i.value for i in person.identities if _is_phone(i))]:
        if value and value not in phones and len(value) <= _PHONE_LENGTH:
            phones.append(value)
    phones = phones[: len(PHONE_FIELDS)]
    email = (person.email or "").strip()
    rest: list[JsonValue] = []
    for identity in person.identities:
        if identity.type == "email" and identity.value.strip().lower() == email.lower():
            continue
        if _is_phone(identity) and identity.value in phones:
            continue
        rest.append(_identity_json(identity))
    payload: dict[str, JsonValue] = {"Email": email[:_EMAIL_LENGTH] or None}
    payload.update(zip(PHONE_FIELDS, [*phones, None, None, None], strict=False))
    payload[IDENTITIES_FIELD] = (
        json.dumps(rest, ensure_ascii=False, separators=(",", ":")) if rest else None
    )
    return payload


def identities_of(d: Mapping[str, Any]) -> tuple[Identity, ...]:
    """A Contact's identities: its e-mail (primary), its phones, then those kept as JSON.
    Salesforce keeps no verification flag for its own fields."""
    found: list[Identity] = []
    email = d.get("Email")
    if isinstance(email, str) and email:
        found.append(Identity(type="email", value=email, primary=True))
    for name in PHONE_FIELDS:
        phone = d.get(name)
        if isinstance(phone, str) and phone:
            found.append(Identity(type="phone_number", value=phone))
    kept = d.get(IDENTITIES_FIELD)
    if isinstance(kept, str) and kept.strip():
        try:
            rows = json.loads(kept)
        except ValueError:
            rows = []
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("type") and row.get("value"):
                found.append(
                    Identity(
                        type=str(row["type"]),
                        value=str(row["value"]),
                        primary=bool(row.get("primary")),
                        verified=bool(row.get("verified")),
                        id=str(row.get("id") or ""),
                    )
                )
    return tuple(found)


def _is_phone(identity: Identity) -> bool:
    return identity.type in _PHONE_TYPES


def _identity_json(identity: Identity) -> JsonValue:
    out: dict[str, JsonValue] = {"type": identity.type, "value": identity.value}
    if identity.primary:
        out["primary"] = True
    if identity.verified:
        out["verified"] = True
    if identity.id:
        out["id"] = identity.id
    return out


# -- memberships ---------------------------------------------------------------------------


def membership(d: Mapping[str, Any]) -> OrganizationMembership:
    """An organization membership from an ``AccountContactRelation`` row; the direct relation
    (the Contact's own account) is the default one."""
    return OrganizationMembership(
        id=str(d["Id"]),
        user=Ref(kind=Kind.USER, id=str(d["ContactId"])),
        organization=Ref(kind=Kind.ORGANIZATION, id=str(d["AccountId"])),
        default=bool(d.get("IsDirect")),
    )


# -- schedules -----------------------------------------------------------------------------


def _clock(minutes: int) -> str:
    """A Salesforce ``time`` value; the end of a day is ``00:00``."""
    minutes %= _DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00.000Z"


def _minutes(value: object) -> int | None:
    if not isinstance(value, str) or len(value) < 5:
        return None
    try:
        return int(value[:2]) * 60 + int(value[3:5])
    except ValueError:
        return None


def business_hours_payload(record: Schedule) -> dict[str, JsonValue]:
    """One ``BusinessHours`` row (active, never the org's default) for ``record``.

    Raises :class:`RecordError` when a day has more than one open interval or an interval
    crosses midnight: a BusinessHours row holds one start and one end a day."""
    days: dict[int, tuple[int, int]] = {}
    for interval in sorted(record.intervals, key=lambda i: i.start):
        day = interval.start // _DAY
        start, end = interval.start - day * _DAY, interval.end - day * _DAY
        if end > _DAY or day >= len(WEEKDAYS):
            raise RecordError(
                f"salesforce BusinessHours: schedule {record.name!r} has an interval crossing"
                " midnight",
                platform_message=f"{UNEXPRESSIBLE_SCHEDULE}: interval {interval.start}"
                f"-{interval.end}",
            )
        if day in days:
            before = days[day]
            if before[1] != start:
                raise RecordError(
                    f"salesforce BusinessHours: schedule {record.name!r} opens twice on"
                    f" {WEEKDAYS[day]}",
                    platform_message=f"{UNEXPRESSIBLE_SCHEDULE}: {WEEKDAYS[day]}",
                )
            start = before[0]  # touching intervals are one
        days[day] = (start, end)
    payload: dict[str, JsonValue] = {
        "Name": record.name[:_NAME],
        "IsActive": True,
        "TimeZoneSidKey": record.time_zone or "UTC",
    }
    for index, weekday in enumerate(WEEKDAYS):
        opened = days.get(index)
        payload[f"{weekday}StartTime"] = None if opened is None else _clock(opened[0])
        payload[f"{weekday}EndTime"] = None if opened is None else _clock(opened[1])
    return payload


def schedule_tag(record: Schedule | str) -> str:
    """The ``Description`` of a schedule's Holiday rows (from the schedule or its
    BusinessHours' ``Name``): how they are found again."""
    name = record if isinstance(record, str) else record.name[:_NAME]
    return f"cemigrate: {name}"[:_HOLIDAY_DESCRIPTION]


def holiday_payloads(record: Schedule) -> list[dict[str, JsonValue]]:
    """One all-day ``Holiday`` row per closed day of the schedule's holidays."""
    rows: list[dict[str, JsonValue]] = []
    for holiday in record.holidays:
        first, last = date.fromisoformat(holiday.start_date), date.fromisoformat(holiday.end_date)
        day = first
        while day <= last:
            rows.append(
                {
                    "Name": holiday.name[:_HOLIDAY_NAME],
                    "ActivityDate": day.isoformat(),
                    "IsAllDay": True,
                    "Description": schedule_tag(record),
                }
            )
            day += timedelta(days=1)
    return rows


def schedule(d: Mapping[str, Any], holidays: Sequence[Mapping[str, Any]] = ()) -> Schedule:
    """A schedule from a ``BusinessHours`` row and the Holiday rows tagged with its name
    (consecutive days of one name are one holiday)."""
    intervals: list[Interval] = []
    for index, day in enumerate(WEEKDAYS):
        start, end = _minutes(d.get(f"{day}StartTime")), _minutes(d.get(f"{day}EndTime"))
        if start is None or end is None:
            continue
        if end <= start:
            end += _DAY  # ends at midnight (00:00), or open all day
        intervals.append(Interval(start=index * _DAY + start, end=index * _DAY + end))
    merged: list[Holiday] = []
    for row in sorted(holidays, key=lambda r: (str(r.get("ActivityDate")), str(r.get("Name")))):
        name, when = str(row.get("Name") or ""), str(row.get("ActivityDate") or "")[:10]
        if not when:
            continue
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.name == name
            and date.fromisoformat(last.end_date) + timedelta(days=1) == date.fromisoformat(when)
        ):
            merged[-1] = Holiday(name=name, start_date=last.start_date, end_date=when, id=last.id)
        else:
            merged.append(Holiday(name=name, start_date=when, end_date=when, id=str(row["Id"])))
    return Schedule(
        id=str(d["Id"]),
        name=str(d.get("Name") or ""),
        time_zone=str(d.get("TimeZoneSidKey") or "UTC"),
        intervals=tuple(intervals),
        holidays=tuple(merged),
        default=bool(d.get("IsDefault")),
    )


# -- what reconciliation expects back --------------------------------------------------------


def _words(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags as ``Cemigrate_Tags__c`` keeps them: one space-separated text."""
    return tuple(" ".join(tags).split())


def _person_name(person: User) -> str:
    """``FirstName`` and ``LastName`` as the Contact is written, joined again as read: the
    last word is the last name (the e-mail, else ``Unknown``, when there is no name)."""
    words = person.name.split()
    last = (words[-1] if words else (person.email or "Unknown"))[:80]
    return " ".join(p for p in (" ".join(words[:-1]), last) if p)


_LOOKUP_OBJECTS: Final = frozenset({Kind.ORGANIZATION, Kind.TICKET})
"""The kinds a custom Lookup field is created to (``convert.LOOKUP_OBJECTS``: an Account or
a Case); a lookup to users or groups is an 18-character text field holding the target id."""
_LABEL: Final = 40
_HELP: Final = 510
"""A custom field's label and field-level help lengths (``convert.field_metadata``)."""


def _field_held_as(definition: FieldDef) -> FieldDef:
    """A created custom field as its describe reads back: a pattern field is text, a lookup
    to users or groups text, the label and help cut to their lengths."""
    kind = definition.type
    lookup = kind is FieldType.LOOKUP and definition.references in _LOOKUP_OBJECTS
    if kind is FieldType.REGEXP or (kind is FieldType.LOOKUP and not lookup):
        kind = FieldType.TEXT
    return attrs.evolve(
        definition,
        type=kind,
        references=definition.references if lookup else None,
        title=definition.title[:_LABEL] or definition.key,
        description=definition.description[:_HELP],
    )


def held_as(kind: Kind, record: Record, target_of: Callable[[Ref], str]) -> Record:
    """A source record as a Salesforce org holds it (reconciliation compares this with what
    reads back): an end user's Contact as its fields hold the person (:func:`contact_identities`,
    the name split into first and last), a queue's name in 40 characters, a case's contact only
    when the requester is a Contact (an agent who asked is a User, which ``ContactId`` cannot
    name), tags as one space-separated text."""
    if isinstance(record, User):
        places = contact_identities(record)
        phone, email = places.get("Phone"), places.get("Email")
        try:
            address = mailing_street(record)
        except RecordError:
            address = record.address  # refused at the write: never compared
        return attrs.evolve(
            record,
            name=_person_name(record),
            email=email if isinstance(email, str) else None,
            phone=phone if isinstance(phone, str) else None,
            identities=identities_of(places),
            address=address,
            external_id=(record.external_id or "")[:255] or None,
            tags=_words(record.tags),
        )
    if isinstance(record, FieldDef):
        return _field_held_as(record)
    if isinstance(record, Group):
        return attrs.evolve(record, name=record.name[:_QUEUE_NAME])
    if isinstance(record, Ticket):
        requester = record.requester
        if requester is not None and not target_of(requester).startswith("003"):
            requester = None
        return attrs.evolve(record, requester=requester, tags=_words(record.tags))
    if isinstance(record, Organization):
        return attrs.evolve(record, tags=_words(record.tags))
    return record
