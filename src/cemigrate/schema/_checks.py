"""Converters and validators for the schema's boundary: each message names the field."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

E = TypeVar("E", bound=enum.Enum)


def _where(instance: object, attribute: attrs.Attribute[Any]) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def as_member(cls: type[E], value: E | str) -> E:
    """``value`` as a member of ``cls``; an unknown value is kept for :func:`one_of` to reject."""
    try:
        return cls(value)
    except ValueError:
        return value  # type: ignore[return-value]  # one_of() rejects it, naming the field


def one_of(cls: type[enum.Enum], *, optional: bool = False) -> Callable[..., None]:
    """Reject a value that is not a member of ``cls``, naming the field and the choices."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, cls):
            choices = ", ".join(str(m.value) for m in cls)
            raise ValueError(
                f"{_where(instance, attribute)}: {value!r} is not a valid {cls.__name__}"
                f" (choose one of: {choices})"
            )

    return check


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC; a naive one is left for :func:`aware` to reject."""
    if isinstance(value, datetime) and value.tzinfo is not None and value.tzinfo is not UTC:
        return value.astimezone(UTC)
    return value


def to_optional_utc(value: datetime | None) -> datetime | None:
    """Like :func:`to_utc`, with ``None`` passed through."""
    return None if value is None else to_utc(value)


def aware(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Reject anything but a timezone-aware datetime (``None`` where the field allows it)."""
    if value is None and attribute.default is None:
        return
    if not isinstance(value, datetime):
        raise TypeError(f"{_where(instance, attribute)}: expected a datetime, got {value!r}")
    if value.tzinfo is None:
        raise ValueError(
            f"{_where(instance, attribute)}: naive datetime {value.isoformat()} has no time zone;"
            " give it one (cemigrate stores UTC)"
        )


def non_negative(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Reject a negative number (``None`` passes where the field allows it)."""
    if value is None:
        return
    if isinstance(value, int | float) and value < 0:
        raise ValueError(f"{_where(instance, attribute)}: {value!r} is negative")


def non_empty(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Reject an empty string (ids and keys must say something)."""
    if not value:
        raise ValueError(f"{_where(instance, attribute)}: must not be empty")


def sha256_hex(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Accept ``None`` (not yet computed) or 64 lowercase hex digits."""
    if value is None:
        return
    if not (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    ):
        raise ValueError(f"{_where(instance, attribute)}: {value!r} is not a SHA-256 hex digest")


def to_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """Freeze any iterable into a tuple (records are immutable)."""
    return values if isinstance(values, tuple) else tuple(values)


def to_plain_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    """Copy a mapping into a plain dict (the record keeps its own copy)."""
    return dict(values)


def to_str(value: object) -> str:
    """Source ids arrive as ints from some platforms; the schema keeps them as text."""
    return value if isinstance(value, str) else str(value)
