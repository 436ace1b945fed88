"""Field by field: a source record against the record read back, for what the target keeps.

A target's profile names, per kind, the attributes it holds and reads back as the source had
them (``TargetProfile.keeps``). For each of them this module turns both sides into comparable
values: a reference becomes the target id it points at (the source's through the ledger's
source key → target id map of its kind, the target's as read), a tuple is compared as a
multiset (order is not meaningful: identities, intervals, holidays, a form's fields), a nested
record as its values without its own platform id, an enum as its value, a time as ISO text.

Severity: an attribute that decides who sees or does what (an identity, a membership's user
or organization, a role, a restriction, a schedule's hours, a form's fields) is **major**; a
label or a text (a name, a description, a signature, a position) is **minor**
(:data:`MINOR_ATTRIBUTES`).
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from cemigrate.adapters.profile import TargetProfile
from cemigrate.reconcile.findings import Area, Finding, Severity
from cemigrate.schema import FieldObject, Kind, Organization, Record, Ref, User

__all__ = [
    "ELSEWHERE",
    "MINOR_ATTRIBUTES",
    "Value",
    "attributes_of",
    "compare_kept",
    "kept_values",
    "matched_attributes",
    "not_held_reasons",
    "own_record_why",
    "severity_of",
    "show",
    "under_target_keys",
]

Value = Any
"""A comparable (hashable) value: text, number, tuple, or ``("ref", kind, target id)``."""

MINOR_ATTRIBUTES: Final = frozenset(
    {
        "name",
        "title",
        "display_name",
        "agent_label",
        "end_user_label",
        "description",
        "end_user_description",
        "signature",
        "signature_template",
        "alias",
        "details",
        "notes",
        "position",
        "locale",
        "tags",
        "default",
        "subdomain",
        "host_mapping",
        "created_at",
        "updated_at",
    }
)
"""Attributes whose difference changes no one's access or the record's meaning: minor."""

ELSEWHERE: Final = {
    Kind.TICKET: frozenset(
        {
            "id",
            "status",
            "priority",
            "type",
            "created_at",
            "tags",
            "custom_fields",
            "comments",
            "description",
            "subject",
            "updated_at",
            "solved_at",
            "channel",
            "instance",
            "deleted",
            "recipient",
            "via",
        }
    )
}
"""Attributes compared by another check (a ticket's status, comments, ...; its recipient and
via with the comments' metadata as the ticket's origin), or not at all (a ticket's subject and
description: bodies are never held), whatever ``keeps`` says."""

_REF_SEP: Final = "ref"


def attributes_of(kind: Kind, keeps: Mapping[Kind, frozenset[str]]) -> tuple[str, ...]:
    """The attributes of ``kind`` compared field by field, sorted."""
    return tuple(sorted(keeps.get(kind, frozenset()) - ELSEWHERE.get(kind, frozenset({"id"}))))


def not_held_reasons(
    attributes: Iterable[str], reasons: Mapping[str, str]
) -> tuple[list[tuple[list[str], str]], list[str]]:
    """Of ``attributes`` left uncompared, those the target does not hold, grouped by the
    reason its field ledger gives (attributes of one reason together), and the rest (no
    reason given)."""
    by_reason: dict[str, list[str]] = {}
    rest: list[str] = []
    for name in sorted(attributes):
        if name in reasons:
            by_reason.setdefault(reasons[name], []).append(name)
        else:
            rest.append(name)
    return [(names, why) for why, names in by_reason.items()], rest


_NESTED_OWN: Final = frozenset({"id", "verified"})
"""Attributes of a nested record each platform sets for itself."""


def _norm(value: Any, ref: Callable[[Ref], str]) -> Value:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Ref):
        return (_REF_SEP, value.kind.value, ref(value))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        # A nested record (an identity, an interval, a holiday): its values, not its own id,
        # which each platform gives afresh, nor an identity's verification, which the target
        # does itself (Zendesk verifies an added e-mail by mail).
        return tuple(
            (f.name, _norm(getattr(value, f.name), ref))
            for f in attrs.fields(type(value))
            if f.name not in _NESTED_OWN
        )
    if isinstance(value, tuple | list):
        items = [_norm(item, ref) for item in value]
        return tuple(sorted(items, key=_sort_key))
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return str(value)


def _sort_key(value: Value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def kept_values(
    record: Record, attributes: tuple[str, ...], ref: Callable[[Ref], str]
) -> dict[str, Value]:
    """The comparable values of ``record``'s ``attributes`` (``ref``: a reference's target
    id; a target record's refs already hold one)."""
    return {name: _norm(getattr(record, name, None), ref) for name in attributes}


def severity_of(attribute: str) -> Severity:
    """Minor for a label or a text, major for anything else."""
    return Severity.MINOR if attribute in MINOR_ATTRIBUTES else Severity.MAJOR


def show(value: Value) -> str:
    """A value as a finding shows it, cut to 60 characters (a reference as ``kind id``)."""
    if isinstance(value, tuple) and len(value) == 3 and value[0] == _REF_SEP:
        text = f"{value[1]} {value[2]}"
    elif isinstance(value, tuple):
        text = "[" + ", ".join(show(item) for item in value) + "]"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _empty(value: Value) -> bool:
    return value in (None, "", (), "{}")


def compare_kept(
    kind: Kind,
    before: Mapping[str, Value],
    after: Mapping[str, Value],
    *,
    key: str,
    source_id: str,
    target_id: str,
    defaulted: frozenset[str] = frozenset(),
    link_only: frozenset[str] = frozenset(),
) -> Iterator[Finding]:
    """A finding per attribute whose source and target values differ (both empty is equal;
    tuples are compared as multisets, so an identity lost names the identity). An attribute
    in ``defaulted`` that the source left empty is the target's own default, not a
    difference; one in ``link_only`` that the target left empty was not linked (counted by
    the run), not a difference."""
    for name in sorted(before):
        was, now = before[name], after.get(name)
        if was == now or (_empty(was) and _empty(now)) or (_empty(was) and name in defaulted):
            continue
        if _empty(now) and name in link_only:
            continue
        message = f"{name} is {show(now)} in the target, {show(was)} in the source"
        if isinstance(was, tuple) and isinstance(now, tuple) and not _is_ref(was):
            lost = list((Counter(was) - Counter(now)).elements())
            added = list((Counter(now) - Counter(was)).elements())
            parts = []
            if lost:
                parts.append(f"{len(lost)} missing in the target ({show(tuple(lost))})")
            if added:
                parts.append(f"{len(added)} not in the source ({show(tuple(added))})")
            message = f"{name}: " + "; ".join(parts)
        yield Finding(
            severity=severity_of(name),
            area=Area.RECORDS,
            check=f"{kind.value}.{name}",
            kind=kind.value,
            message=message,
            source_key=key,
            source_id=source_id,
            target_id=target_id,
        )


def _is_ref(value: Value) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and value[0] == _REF_SEP


def under_target_keys(
    record: User | Organization, keys: Mapping[tuple[FieldObject, str], str]
) -> User | Organization:
    """``record`` with its custom values under the keys the target named its fields by."""
    owner = FieldObject.USER if isinstance(record, User) else FieldObject.ORGANIZATION
    renamed = {keys.get((owner, k), k): v for k, v in record.custom_fields.items()}
    return attrs.evolve(record, custom_fields=renamed)


def matched_attributes(
    kind: Kind, names: tuple[str, ...], profile: TargetProfile, *, merged: bool
) -> tuple[str, ...]:
    """Of the attributes compared for ``kind``, those compared for a record matched to one
    the target held: what the migration writes on it (none for a record merged with others)."""
    if merged:
        return ()
    return tuple(n for n in names if n in profile.keeps_matched.get(kind, frozenset()))


def own_record_why(kind: Kind, profile: TargetProfile) -> str:
    """Why the records matched to (or merged into) the target's own are not compared as the
    source had them, and what of them is compared."""
    written = sorted(profile.keeps_matched.get(kind, frozenset()))
    checked = (
        "; their role and suspension are compared by the access check" if kind is Kind.USER else ""
    )
    what = f"; compared: {', '.join(written)}" if written else ""
    return (
        "matched to (or merged into) a record the target already held: the target's own "
        f"record, its attributes are that record's{what}{checked}"
    )
