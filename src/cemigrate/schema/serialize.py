"""Plain-data views of records: JSON-ready dicts, the content hash, the references a record makes.

These run for every record of a migration, so each record class gets a plan computed once from
its type hints: which fields to encode how, and which fields can hold a :class:`Ref` at all.
"""

from __future__ import annotations

import collections
import enum
import hashlib
import json
import threading
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, Final

import attrs

from cemigrate.schema import records
from cemigrate.schema.records import Record, Ref


def to_dict(record: Record | attrs.AttrsInstance) -> dict[str, Any]:
    """A JSON-ready dict of a record: enums as values, datetimes as ISO-8601, refs as dicts.

    Callers get a fresh top-level dict they may add keys to.
    """
    encoded = _encoded(record)
    if encoded.data is None:
        encoded.data = _encode_attrs(record)
    return dict(encoded.data)


_CANONICAL: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""``json.dumps(data, separators=(",", ":"), ensure_ascii=False)``, its encoder built once
rather than once a record."""

_SORTED: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode
"""The same with mapping keys sorted at every level: a JSON value's canonical text in one call."""

_STRING: Final[Callable[[str], str]] = json.encoder.encode_basestring
"""How the encoders above write a string (the C function, ``ensure_ascii=False``)."""


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _chunks(*, sort_keys: bool) -> Callable[[Any, int], Any] | None:
    """The C function the encoders above call, built once, without the per-call set-up of
    :meth:`json.JSONEncoder.encode` (None where Python has no C accelerator)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    chunks: Callable[[Any, int], Any] = make(
        None, _not_json, _STRING, None, ":", ",", sort_keys, False, True
    )
    return chunks


_PLAIN_CHUNKS: Final = _chunks(sort_keys=False)
_SORTED_CHUNKS: Final = _chunks(sort_keys=True)


def canonical_json(record: Record) -> str:
    """The record as canonical JSON: fields in class order, mapping keys sorted, no spaces."""
    encoded = _encoded(record)
    if encoded.text is None:
        try:
            cls: Any = record.__class__  # record classes are hashable; mypy cannot tell
            encoded.text = _class_text(cls)(record)
        except Exception:  # a value its type hint does not describe: the general path decides
            if encoded.data is None:
                encoded.data = _encode_attrs(record)
            encoded.text = _CANONICAL(encoded.data)
    return encoded.text


def content_hash(record: Record) -> str:
    """SHA-256 of a record's canonical JSON; equal records hash equal, any change shows."""
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def linked_refs(record: Record) -> list[Ref]:
    """What the copier links before writing ``record``: its references (:func:`refs_of`) and
    what it names by id beside them (a rule's or SLA policy's ``names``)."""
    linked = refs_of(record)
    cls: Any = type(record)  # record classes are hashable; mypy cannot tell from the union
    for name in _link_only_fields(cls):
        value = getattr(record, name)
        if isinstance(value, Ref):
            linked.append(value)
        elif value is not None:
            linked.extend(value)
    return linked


def refs_of(record: Record | attrs.AttrsInstance) -> list[Ref]:
    """Every reference a record needs (top-level, in tuples, and inside nested records): the
    records that must exist for it to be written. Link-only names are not among them."""
    encoded = _encoded(record)
    if encoded.refs is None:
        found: list[Ref] = []
        _collect_refs(record, found)
        encoded.refs = found
    return list(encoded.refs)


@attrs.define
class _Encoded:
    record: object
    data: dict[str, Any] | None = None
    text: str | None = None
    refs: list[Ref] | None = None


_RECENT_SIZE = 2048
_RECENT: collections.OrderedDict[int, _Encoded] = collections.OrderedDict()
_RECENT_LOCK = threading.Lock()


def _encoded(record: object) -> _Encoded:
    """The encoding of ``record``, remembered for the last few thousand records by identity.

    A migration hashes a record, looks up its references and hands it to the target, which
    encodes it again: this cache makes that one encoding. Holding the record keeps its id from
    being reused while it is cached.
    """
    with _RECENT_LOCK:
        hit = _RECENT.get(id(record))
    if hit is not None and hit.record is record:
        return hit
    encoded = _Encoded(record)
    with _RECENT_LOCK:
        _RECENT[id(record)] = encoded
        if len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    return encoded


# -- encoding ---------------------------------------------------------------------------------


_PLAIN: Final = frozenset({str, int, float, bool, type(None)})
"""Types a JSON value is encoded as itself: checked by exact type first, the common case of a raw
payload's leaves (a subclass, a ``StrEnum`` say, takes the general path, with the same result)."""


def _encode(value: Any) -> Any:
    """Encode a value whose type is not known in advance (raw payloads, field values)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:  # a raw payload's own objects: keys sorted, plain leaves without a call
        return {
            key: item if type(item := value[key]) in _PLAIN else _encode(item)
            for key in sorted(value)
        }
    if kind is list:
        return [item if type(item) in _PLAIN else _encode(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        return _encode_attrs(value)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):  # keys sorted, so equal mappings encode equal
        return {key: _encode(value[key]) for key in sorted(value)}
    return value


def _encode_attrs(value: Any) -> dict[str, Any]:
    return _class_encoder(value.__class__)(value)


@cache
def _class_encoder(cls: Any) -> Callable[[Any], dict[str, Any]]:
    """A straight-line encoder for one record class, generated once from its type hints (as
    attrs generates ``__init__``): no per-field dispatch when millions of records go through."""
    hints = typing.get_type_hints(cls, vars(records))
    scope: dict[str, Any] = {"_encode": _encode}
    items = []
    for number, field in enumerate(attrs.fields(cls)):
        hint = hints.get(field.name, Any)
        items.append(f"{field.name!r}: {_expression(hint, f'v.{field.name}', number, scope)}")
    source = f"def encode(v):\n    return {{{', '.join(items)}}}\n"
    exec(compile(source, f"<cemigrate encoder for {cls.__name__}>", "exec"), scope)
    encoder: Callable[[Any], dict[str, Any]] = scope["encode"]
    return encoder


def _expression(hint: Any, value: str, number: int, scope: dict[str, Any]) -> str:
    """Python source that encodes ``value`` (an expression) of type ``hint``."""
    if hint in (str, int, float, bool, type(None)):
        return value
    if hint is datetime:
        return f"{value}.isoformat()"
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        return f"str({value})"  # the member's value; StrEnum's .value lookup is slow
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"{value}.value"
    if isinstance(hint, type) and attrs.has(hint):
        name = f"_encode_{hint.__name__}"
        scope[name] = _class_encoder(hint)
        return f"{name}({value})"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        members = [arg for arg in args if arg is not type(None)]
        if len(members) == 1:
            temp = f"_t{number}"
            inner = _expression(members[0], temp, number, scope)
            if inner == temp:
                return value
            return f"(None if ({temp} := {value}) is None else {inner})"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = _expression(args[0], "_i", number, scope)
        return f"list({value})" if inner == "_i" else f"[{inner} for _i in {value}]"
    return f"_encode({value})"


# -- canonical text -------------------------------------------------------------------------


def _any_text(value: Any) -> str:
    """The canonical text of a value whose type is not known in advance: one call to the C
    encoder for plain JSON (a raw payload), else through :func:`_encode`."""
    if type(value) is dict and not value:
        return "{}"
    try:
        if _SORTED_CHUNKS is not None:
            return "".join(_SORTED_CHUNKS(value, 0))
        return _SORTED(value)
    except (TypeError, ValueError):  # a datetime, an enum, a record... inside
        return _CANONICAL(_encode(value))


@cache
def _class_text(cls: Any) -> Callable[[Any], str]:
    """A generated function writing one record class's canonical JSON straight from the record:
    the bytes ``_CANONICAL(_class_encoder(cls)(record))`` writes, without the dicts between."""
    hints = typing.get_type_hints(cls, vars(records))
    scope: dict[str, Any] = {"_S": _STRING, "_J": _scalar_text(), "_T": _any_text}
    parts: list[str] = []
    literal = "{"
    for number, field in enumerate(attrs.fields(cls)):
        literal += ("," if number else "") + _STRING(field.name) + ":"
        parts.append(repr(literal))
        literal = ""
        hint = hints.get(field.name, Any)
        parts.append(_text(hint, f"v.{field.name}", number, scope))
    parts.append(repr(literal + "}"))
    source = f"def text(v):\n    return ''.join(({', '.join(parts)},))\n"
    exec(compile(source, f"<cemigrate canonical text for {cls.__name__}>", "exec"), scope)
    text: Callable[[Any], str] = scope["text"]
    return text


def _scalar_text() -> Callable[[Any], str]:
    chunks = _PLAIN_CHUNKS
    if chunks is None:
        return _CANONICAL
    return lambda value: "".join(chunks(value, 0))


def _text(hint: Any, value: str, number: int, scope: dict[str, Any]) -> str:
    """Python source writing ``value`` (an expression) of type ``hint`` as canonical JSON, as
    :func:`_expression` encodes it and ``_CANONICAL`` then writes it. A value of another type
    than its hint raises or takes the general path: never other bytes."""
    if hint is str:
        return f"_S({value})"
    if hint is bool:
        return f"('true' if {value} is True else 'false' if {value} is False else _J({value}))"
    if hint is int:
        return f"(int.__repr__({value}) if type({value}) is int else _J({value}))"
    if hint in (float, type(None)):
        return f"_J({value})"
    if hint is datetime:
        return f"_S({value}.isoformat())"
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        return f"_S(str({value}))"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"_J({value}.value)"
    if isinstance(hint, type) and attrs.has(hint):
        name = f"_text_{hint.__name__}"
        scope[name] = _class_text(hint)
        return f"{name}({value})"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        members = [arg for arg in args if arg is not type(None)]
        if len(members) == 1:
            temp = f"_t{number}"
            inner = _text(members[0], temp, number, scope)
            return f"('null' if ({temp} := {value}) is None else {inner})"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = _text(args[0], "_i", number, scope)
        return f"'[' + ','.join([{inner} for _i in {value}]) + ']'"
    return f"_T({value})"


# -- references -------------------------------------------------------------------------------


def _collect_refs(value: Any, found: list[Ref]) -> None:
    for name, nested in _ref_fields(value.__class__):
        item = getattr(value, name)
        if item is None:
            continue
        if isinstance(item, Ref):
            found.append(item)
        elif isinstance(item, tuple):
            for element in item:
                if isinstance(element, Ref):
                    found.append(element)
                elif nested:
                    _collect_refs(element, found)
        elif nested:
            _collect_refs(item, found)


@cache
def _ref_fields(cls: Any) -> tuple[tuple[str, bool], ...]:
    """The fields of ``cls`` that can hold a Ref: ``(name, holds records that hold refs)``."""
    hints = typing.get_type_hints(cls, vars(records))
    plan = []
    for field in attrs.fields(cls):
        if field.metadata.get(records.LINK_ONLY):
            continue  # see linked_refs
        hint = hints.get(field.name, Any)
        if _mentions(hint, Ref):
            plan.append((field.name, False))
        elif any(_ref_fields(inner) for inner in _attrs_classes(hint)):
            plan.append((field.name, True))
    return tuple(plan)


@cache
def _link_only_fields(cls: Any) -> tuple[str, ...]:
    """The fields of ``cls`` that hold references to link only (``records.LINK_ONLY``)."""
    return tuple(f.name for f in attrs.fields(cls) if f.metadata.get(records.LINK_ONLY))


def _mentions(hint: Any, target: type) -> bool:
    if hint is target:
        return True
    return any(_mentions(arg, target) for arg in typing.get_args(hint))


def _attrs_classes(hint: Any) -> list[type]:
    if isinstance(hint, type) and attrs.has(hint):
        return [hint]
    return [cls for arg in typing.get_args(hint) for cls in _attrs_classes(arg)]
