"""Typed reads of a platform's JSON records, shared by every ``convert.py``.

A value of the wrong type is a :class:`~cemigrate.errors.RecordError` that names the
platform, the record and the field (``zendesk ticket: field 'id' is missing``): the record
fails with that reason and the run goes on. Each converter makes one :class:`JsonReader` for
its platform and reads through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from cemigrate.errors import RecordError
from cemigrate.schema import Kind, Ref

__all__ = ["JsonReader"]

Json = Mapping[str, Any]


class JsonReader:
    """Reads fields of one platform's JSON objects, with errors in that platform's name."""

    def __init__(self, platform: str, *, parse_time: Callable[[object], datetime]) -> None:
        self.platform = platform
        """Names the platform in every error."""
        self._parse_time = parse_time

    def fail(self, what: str, key: str, problem: str) -> RecordError:
        """The error for field ``key`` of a ``what`` record."""
        return RecordError(f"{self.platform} {what}: field {key!r} {problem}")

    def need(self, d: Json, key: str, what: str) -> Any:
        """A field that must be there (not null)."""
        if not isinstance(d, Mapping):
            raise RecordError(
                f"{self.platform} {what}: expected a JSON object, got {type(d).__name__}"
            )
        value = d.get(key)
        if value is None:
            raise self.fail(what, key, "is missing")
        return value

    def id(self, d: Json, key: str, what: str) -> str:
        """An id (a number or a non-empty string), as text."""
        value = self.need(d, key, what)
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise self.fail(what, key, f"is not an id (got {type(value).__name__})")
        return str(value)

    def opt_id(self, d: Json, key: str, what: str) -> str | None:
        """An id, or None where the field is null or empty."""
        if d.get(key) in (None, ""):
            return None
        return self.id(d, key, what)

    def ref(self, kind: Kind, d: Json, key: str, what: str) -> Ref | None:
        """A reference to a ``kind`` record by its id, or None."""
        value = self.opt_id(d, key, what)
        return None if value is None else Ref(kind=kind, id=value)

    def refs(self, kind: Kind, d: Json, key: str, what: str) -> tuple[Ref, ...]:
        """A list of ids as references to ``kind`` records (none where it is null)."""
        values = d.get(key) or []
        if not isinstance(values, list):
            raise self.fail(what, key, "is not a list")
        out: list[Ref] = []
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise self.fail(what, key, "holds a value that is not an id")
            out.append(Ref(kind=kind, id=str(value)))
        return tuple(out)

    def text(self, d: Json, key: str, what: str, default: str = "") -> str:
        """A string, ``default`` where it is null."""
        value = d.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(what, key, f"is not text (got {type(value).__name__})")
        return value

    def flag(self, d: Json, key: str, what: str, default: bool = False) -> bool:
        """A boolean, ``default`` where it is null."""
        value = d.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(what, key, f"is not true or false (got {type(value).__name__})")
        return value

    def whole(self, d: Json, key: str, what: str, default: int = 0) -> int:
        """A whole number (or a string of digits), ``default`` where it is null or empty."""
        value = d.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise self.fail(what, key, "is not a whole number")
        if isinstance(value, str) and value.isdigit():
            return int(value)
        if not isinstance(value, int):
            raise self.fail(what, key, "is not a whole number")
        return value

    def tags(self, d: Json, key: str, what: str) -> tuple[str, ...]:
        """A list of strings (empty where it is null)."""
        value = d.get(key) or []
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.fail(what, key, "is not a list of tags")
        return tuple(value)

    def time(self, d: Json, key: str, what: str) -> datetime:
        """A timestamp with a time zone, as an aware UTC datetime."""
        value = self.need(d, key, what)
        try:
            return self._parse_time(value)
        except ValueError:
            raise self.fail(what, key, "is not a timestamp with a time zone") from None

    def opt_time(self, d: Json, key: str, what: str) -> datetime | None:
        """A timestamp, or None where the field is null or empty."""
        return None if d.get(key) in (None, "") else self.time(d, key, what)
