"""How a ticket and each of its comments arrived, kept in one private field of the target.

A source records the channel details of a ticket (``via``: the from and to addresses, the
support address written to) and of every comment, and for comments the system's record (IP
address, location, mail or API client). For an account-security team this is evidence, and it
is private: no platform lets an import set it, and it must never become something an end user
sees. Every target keeps it as one compact JSON text in the ticket field :data:`ORIGIN_FIELD`,
which ``prepare`` creates hidden from end users (a field, not a note, so it adds no comment and
never risks a public body). Platform-neutral: each target writes :func:`origin_text`, and
reconciliation compares :func:`parse_origin` of the read-back value with the source ticket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from cemigrate.schema import FieldDef, FieldObject, FieldType, JsonValue, Ticket

__all__ = ["ORIGIN_FIELD", "ORIGIN_FIELD_DEF", "origin_of", "origin_text", "parse_origin"]

ORIGIN_FIELD: Final = "cemigrate_origin"
"""The key of the private ticket field that holds a ticket's origin."""

ORIGIN_FIELD_DEF: Final = FieldDef(
    id=ORIGIN_FIELD,
    object=FieldObject.TICKET,
    key=ORIGIN_FIELD,
    title="Cemigrate origin",
    type=FieldType.TEXTAREA,
    description=(
        "How the ticket and each comment arrived in the source help desk (channel, addresses, "
        "IP address, location, client), as JSON. Private: never shown to end users."
    ),
)
"""The field's definition, for a target's ``prepare`` (its title slugs to its key)."""


def origin_of(ticket: Ticket) -> dict[str, JsonValue]:
    """The origin of ``ticket`` as a JSON object: ``external_id``, ``recipient`` and ``via`` of
    the ticket and,
    per comment with metadata, its source id, time and metadata. Empty when there is none."""
    found: dict[str, JsonValue] = {}
    if ticket.external_id:
        found["external_id"] = ticket.external_id
    if ticket.recipient:
        found["recipient"] = ticket.recipient
    if ticket.via:
        found["via"] = dict(ticket.via)
    comments: list[JsonValue] = [
        {
            "id": comment.id,
            "at": comment.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "metadata": dict(comment.metadata),
        }
        for comment in ticket.comments
        if comment.metadata
    ]
    if comments:
        found["comments"] = comments
    return found


def origin_text(ticket: Ticket) -> str | None:
    """The field value for ``ticket`` (compact, keys sorted), or None when it has no origin."""
    found = origin_of(ticket)
    if not found:
        return None
    return json.dumps(found, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_origin(value: object) -> Mapping[str, JsonValue] | None:
    """A read-back field value as the object :func:`origin_of` made, or None when the value is
    missing or not such an object."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
