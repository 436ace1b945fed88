"""Plain-data views of records: JSON-ready dicts and the content hash used by delta runs."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime
from typing import Any, cast

import attrs

from cemigrate.schema.records import Record, Ref


def _plain(_inst: object, _field: object, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_dict(record: Record | attrs.AttrsInstance) -> dict[str, Any]:
    """A JSON-ready dict of a record: enums as values, datetimes as ISO-8601, refs as dicts."""
    return attrs.asdict(record, value_serializer=_plain)


def content_hash(record: Record) -> str:
    """SHA-256 of a record's canonical JSON; equal records hash equal, any change shows."""
    text = json.dumps(to_dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refs_of(record: Record | attrs.AttrsInstance) -> list[Ref]:
    """Every reference a record makes (top-level, in tuples, and inside nested records)."""
    found: list[Ref] = []
    for field in attrs.fields(type(record)):
        _collect(getattr(record, field.name), found)
    return found


def _collect(value: object, found: list[Ref]) -> None:
    if isinstance(value, Ref):
        found.append(value)
    elif isinstance(value, tuple):
        for item in value:
            _collect(item, found)
    elif attrs.has(type(value)):
        for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(value))):
            _collect(getattr(value, field.name), found)
