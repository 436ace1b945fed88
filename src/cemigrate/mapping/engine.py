"""Mapping files: load, validate, bind to a target, and apply to records.

A :class:`MappingFile` is the :class:`~cemigrate.mapping.RecordMapping` a TOML file in ``mappings/``
describes. It is checked in two steps, each error one line naming the file, the line and the
key:

1. :func:`load_mapping` — the file alone: every key known (:mod:`.spec`), of the right type,
   with an allowed value; source values that exist in the schema (``status.map.onhold`` is
   refused: there is no such status); the keys a policy needs present (``default`` for
   ``default``, ``field`` for ``keep-in-field``).
2. :meth:`MappingFile.bind` — against the target's :meth:`describe`: every value the map sends
   is one the target takes (``'On Hld' is not a salesforce ticket status; choose one of ...``).

Applying is deterministic and total: each source value either maps or follows its declared
policy, and what a policy did is counted (:meth:`MappingFile.notes`) for the dry run's fidelity
plan. A mapping never touches a comment's ``public`` flag.

A script can build or adjust a mapping in Python (:meth:`MappingFile.from_dict`) and pass its own
transform callables (``transforms``), applied after the file's rules.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import attrs

from cemigrate.errors import MappingError
from cemigrate.mapping._seam import Refuse, Skip
from cemigrate.mapping.spec import ATTRIBUTES, find_key, is_table
from cemigrate.schema import (
    Capability,
    Channel,
    Comment,
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    FieldValue,
    Group,
    Kind,
    Metadata,
    Needs,
    Organization,
    Record,
    Ticket,
    User,
)
from cemigrate.tomlfile import KeyPath, TomlFile, dotted

__all__ = ["MappingFile", "Note", "Transform", "load_mapping"]

Transform = Callable[[Kind, Record], "Record | Skip | Refuse"]
"""A script's own step: gets the record after the file's rules, returns it (changed or not), a
:class:`Skip` or a :class:`Refuse`."""

_EXAMPLES: Final = 5
_OWNERS: Final[Mapping[str, FieldObject]] = {o.value: o for o in FieldObject}


@attrs.frozen
class Note:
    """What the mapping did to some records: the fidelity plan's "carried over with a change"
    and "not carried" rows."""

    kind: str
    what: str
    count: int
    examples: tuple[str, ...]


@attrs.frozen
class _ValueRule:
    map: Mapping[str, str]
    unmapped: str
    default: str | None
    field: str | None


@attrs.frozen
class _FieldRule:
    target: str | None
    type: FieldType | None
    options: Mapping[str, str]
    unmapped: str
    default: FieldValue
    drop: bool


class MappingFile:
    """The mapping a file (or a dict built in Python) describes."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        file: TomlFile | None = None,
        transforms: Sequence[Transform] = (),
    ) -> None:
        self._file = file
        self.data = data
        self.name = str(data.get("name", file.path.stem if file else "mapping"))
        self.source: str | None = data.get("source")
        self.target: str | None = data.get("target")
        self.transforms = tuple(transforms)
        _check_keys(self, data, ())
        self.values = {a: self._value_rule(a) for a in ATTRIBUTES if a in data}
        self.fields = {
            _OWNERS[owner]: {key: self._field_rule(owner, key) for key in rules}
            for owner, rules in (data.get("fields") or {}).items()
        }
        self._rule_options: dict[str, Mapping[str, str]] = {}
        self.groups: Mapping[str, str] = dict((data.get("groups") or {}).get("map") or {})
        tags = data.get("tags") or {}
        self.tags_field: str | None = tags.get("field") if tags.get("mode") == "field" else None
        if tags.get("mode") == "field" and not self.tags_field:
            raise self.error(("tags", "mode"), "mode field needs tags.field (the field's key)")
        attachments = data.get("attachments") or {}
        self.max_bytes: int | None = attachments.get("max_bytes")
        self.blocked = frozenset(
            str(e).lower().lstrip(".") for e in attachments.get("blocked_extensions") or ()
        )
        self.attachment_policy = str(attachments.get("policy", "error"))
        users = data.get("users") or {}
        self.fallback_agent_email: str | None = users.get("fallback_agent_email")
        self.unmatched_agents = str(users.get("unmatched_agents", "error"))
        self.user_match = str(users.get("match", "email"))
        self.missing_users = str(users.get("missing", "placeholder"))
        """What a reference to a user the source no longer has becomes: ``placeholder`` or
        ``fail`` (``users.missing``)."""
        if self.unmatched_agents == "fallback" and not self.fallback_agent_email:
            raise self.error(
                ("users", "unmatched_agents"), "fallback needs users.fallback_agent_email"
            )
        self.mask_personal_data = bool((data.get("dry_run") or {}).get("mask_personal_data"))
        self._lock = threading.Lock()
        self._notes: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._changed: Counter[str] = Counter()

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, transforms: Sequence[Transform] = ()
    ) -> MappingFile:
        """A mapping built in Python (same keys as a file; errors name the key)."""
        return cls(data, transforms=transforms)

    def error(self, where: KeyPath, message: str) -> MappingError:
        """A one-line error naming the file, the line and the key."""
        if self._file is not None:
            error = self._file.error(where, message, error=MappingError)
            assert isinstance(error, MappingError)
            return error
        return MappingError(f"mapping {self.name}: {dotted(where)}: {message}")

    def _value_rule(self, attribute: str) -> _ValueRule:
        section = self.data[attribute]
        allowed = ATTRIBUTES[attribute]
        mapped = dict(section.get("map") or {})
        for value in mapped:
            if value not in allowed:
                raise self.error(
                    (attribute, "map", value),
                    f"{value!r} is not a ticket {attribute}; choose one of {', '.join(allowed)}",
                )
        unmapped = str(section.get("unmapped", "error"))
        default, field = section.get("default"), section.get("field")
        if unmapped in ("default", "keep-in-field") and default is None:
            raise self.error((attribute, "unmapped"), f"{unmapped} needs {attribute}.default")
        if unmapped == "keep-in-field" and not field:
            raise self.error((attribute, "unmapped"), f"keep-in-field needs {attribute}.field")
        if unmapped == "drop" and attribute == "status":
            raise self.error((attribute, "unmapped"), "a ticket always has a status: not drop")
        return _ValueRule(map=mapped, unmapped=unmapped, default=default, field=field)

    def _field_rule(self, owner: str, key: str) -> _FieldRule:
        section = self.data["fields"][owner][key]
        unmapped = str(section.get("unmapped", "error"))
        if unmapped == "default" and "default" not in section:
            raise self.error(("fields", owner, key, "unmapped"), "default needs a default value")
        if unmapped == "keep-in-field":
            raise self.error(
                ("fields", owner, key, "unmapped"),
                "keep-in-field is for ticket attributes; use default or drop for a field",
            )
        kind = section.get("type")
        return _FieldRule(
            target=section.get("target"),
            type=None if kind is None else FieldType(kind),
            options={str(k): str(v) for k, v in (section.get("options") or {}).items()},
            unmapped=unmapped,
            default=section.get("default"),
            drop=bool(section.get("drop", False)),
        )

    # -- the target ----------------------------------------------------------------------------

    def bind(self, target: Metadata, sources: Sequence[Metadata] = ()) -> None:
        """Check the mapping against the accounts: every value the map sends is one the target
        takes (its ``describe()``), and every field it maps exists in a source. The sources'
        ticket fields also say which field ids the option tables are for, so that rules naming
        a field by id are translated with its table (:meth:`needs`)."""
        self._rule_options = _rule_options(self.fields.get(FieldObject.TICKET, {}), sources)
        for owner, rules in self.fields.items():
            if not sources:
                break
            have = {f.key for source in sources for f in source.fields if f.object is owner}
            for key in rules:
                if key not in have:
                    listed = ", ".join(sorted(have)[:8]) or "none"
                    raise self.error(
                        ("fields", owner.value, key),
                        f"the source has no {owner} field {key!r} (it has: {listed})",
                    )
        if self.target is not None and self.target != target.platform:
            raise self.error(
                ("target",),
                f"the mapping is for {self.target}, the plan's target is {target.platform}",
            )
        routing = self.data.get("comments") or {}
        if routing and Capability.COMMENT_ROUTING not in target.capabilities:
            first = next(iter(routing))
            raise self.error(
                ("comments", first),
                f"the {target.platform} target routes comments its own way and does not take "
                "comment routing yet; leave [comments] out",
            )
        for which, where_to in routing.items():
            allowed_routes = target.comment_routes.get(which)
            if not allowed_routes:
                raise self.error(
                    ("comments", which),
                    f"{which!r} is not a kind of comment the {target.platform} target routes; "
                    f"choose one of {', '.join(target.comment_routes)}",
                )
            if where_to not in allowed_routes:
                raise self.error(
                    ("comments", which),
                    f"{where_to!r} is not where the {target.platform} target can put {which} "
                    f"comments; choose one of {', '.join(allowed_routes)}",
                )
        maps_values = Capability.VALUE_MAPS in target.capabilities
        for attribute, rule in self.values.items():
            allowed = target.values.get(attribute)
            own = target.default_values.get(attribute, {})
            sent: list[tuple[KeyPath, str, str | None]] = [
                ((attribute, "map", k), v, own.get(k)) for k, v in rule.map.items()
            ]
            if rule.default is not None:
                sent.append(((attribute, "default"), rule.default, None))
            for where, value, its_own in sent:
                if allowed and value not in allowed:
                    raise self.error(
                        where,
                        f"{value!r} is not a {target.platform} ticket {attribute}; "
                        f"choose one of {', '.join(allowed)}",
                    )
                if not maps_values and its_own is not None and value != its_own:
                    raise self.error(
                        where,
                        f"the {target.platform} target writes {its_own!r} here and does not "
                        "take value maps yet; map to its value or leave the key out",
                    )
        for owner, rules in self.fields.items():
            known = {f.key for f in target.fields if f.object is owner}
            creates = Capability.CREATE_FIELDS in target.capabilities
            for key, field_rule in rules.items():
                wanted = field_rule.target
                if wanted and not creates and wanted not in known:
                    raise self.error(
                        ("fields", owner.value, key, "target"),
                        f"{target.platform} has no {owner} field {wanted!r} and cannot create one",
                    )

    def needs(self) -> Needs:
        """The value tables, comment routing, the fields the policies write into and, once
        bound to the sources, the ticket fields' option tables by source field id."""
        values = {}
        for attribute, rule in self.values.items():
            table = dict(rule.map)
            if rule.unmapped in ("default", "keep-in-field") and rule.default is not None:
                for value in ATTRIBUTES[attribute]:
                    table.setdefault(value, rule.default)
            values[attribute] = table
        fields = [
            FieldDef(
                id=f"cemigrate-{key}",
                object=FieldObject.TICKET,
                key=key,
                title=title,
                type=FieldType.TEXTAREA if attribute == "tags" else FieldType.TEXT,
                description="Kept by cemigrate: the source's value, which the target lacks.",
            )
            for attribute, key, title in self._kept_fields()
        ]
        return Needs(
            fields=tuple(fields),
            values=values,
            comments={k: str(v) for k, v in (self.data.get("comments") or {}).items()},
            fallback_agent_email=(
                self.fallback_agent_email if self.unmatched_agents == "fallback" else None
            ),
            user_match=self.user_match,
            options=dict(self._rule_options),
        )

    def _kept_fields(self) -> list[tuple[str, str, str]]:
        kept = [
            (a, r.field, f"Original {a}")
            for a, r in self.values.items()
            if r.unmapped == "keep-in-field" and r.field
        ]
        if self.tags_field:
            kept.append(("tags", self.tags_field, "Tags"))
        return kept

    # -- applying ------------------------------------------------------------------------------

    def apply(self, kind: Kind, record: Record) -> Record | Skip | Refuse:
        """The record to write, a :class:`Skip` naming the policy, or a :class:`Refuse`."""
        result: Record | Skip | Refuse
        if isinstance(record, Ticket):
            result = self._ticket(record)
        elif isinstance(record, FieldDef):
            result = self._field_def(record)
        elif isinstance(record, User | Organization):
            result = self._owned(record)
        elif isinstance(record, Group) and record.name in self.groups:
            result = attrs.evolve(record, name=self.groups[record.name])
            self._note(kind, "group renamed by groups.map", record.id)
        else:
            result = record
        for transform in self.transforms:
            if isinstance(result, Skip | Refuse):
                break
            result = transform(kind, result)
        if result is not record and not isinstance(result, Skip | Refuse):
            with self._lock:
                self._changed[str(kind)] += 1
        return result

    def changed(self) -> dict[str, int]:
        """Records of each kind the mapping has changed so far (once each)."""
        with self._lock:
            return dict(self._changed)

    def notes(self) -> tuple[Note, ...]:
        """What the policies did so far: counts and a few example ids per change."""
        with self._lock:
            return tuple(
                Note(kind=kind, what=what, count=len(ids), examples=tuple(ids[:_EXAMPLES]))
                for (kind, what), ids in sorted(self._notes.items())
            )

    def _note(self, kind: Kind | str, what: str, record_id: str) -> None:
        with self._lock:
            self._notes[(str(kind), what)].append(record_id)

    def _ticket(self, ticket: Ticket) -> Ticket | Refuse:
        changes: dict[str, Any] = {}
        custom: dict[str, FieldValue] = {}
        for attribute, rule in self.values.items():
            value = getattr(ticket, attribute)
            if value is None or value.value in rule.map:
                continue
            where = f"{attribute}.unmapped = {rule.unmapped}"
            if rule.unmapped == "error":
                return Refuse(
                    f"ticket {attribute} {value.value!r} has no mapping ({self._at(where)})"
                )
            self._note(Kind.TICKET, f"{attribute} {value.value!r}: {rule.unmapped}", ticket.id)
            if rule.unmapped == "drop":
                changes[attribute] = Channel.OTHER if attribute == "channel" else None
            elif rule.unmapped == "keep-in-field" and rule.field:
                custom[rule.field] = value.value
        values = self._values(FieldObject.TICKET, ticket.id, ticket.custom_fields)
        if isinstance(values, Refuse):
            return values
        values.update(custom)
        if self.tags_field and ticket.tags:
            values[self.tags_field] = " ".join(ticket.tags)
            changes["tags"] = ()
            self._note(Kind.TICKET, f"tags kept in field {self.tags_field}", ticket.id)
        comments = self._comments(ticket)
        if isinstance(comments, Refuse):
            return comments
        if values != dict(ticket.custom_fields):
            changes["custom_fields"] = values
        if comments is not ticket.comments:
            changes["comments"] = comments
        return attrs.evolve(ticket, **changes) if changes else ticket

    def _comments(self, ticket: Ticket) -> tuple[Comment, ...] | Refuse:
        if self.max_bytes is None and not self.blocked:
            return ticket.comments
        kept: list[Comment] = []
        changed = False
        for comment in ticket.comments:
            files = []
            for attachment in comment.attachments:
                extension = os.path.splitext(attachment.file_name)[1].lower().lstrip(".")
                too_big = self.max_bytes is not None and attachment.size > self.max_bytes
                if not too_big and extension not in self.blocked:
                    files.append(attachment)
                    continue
                why = "over attachments.max_bytes" if too_big else "a blocked type"
                if self.attachment_policy == "error":
                    return Refuse(
                        f"attachment {attachment.file_name!r} is {why} "
                        f"({self._at('attachments.policy = error')})"
                    )
                self._note(Kind.TICKET, f"attachment left out: {why}", ticket.id)
                changed = True
            # Only the files change: the public flag, author and body are never touched.
            kept.append(attrs.evolve(comment, attachments=tuple(files)) if changed else comment)
        return tuple(kept) if changed else ticket.comments

    def _owned(self, record: User | Organization) -> Record | Refuse:
        owner = FieldObject.USER if isinstance(record, User) else FieldObject.ORGANIZATION
        values = self._values(owner, record.id, record.custom_fields)
        if isinstance(values, Refuse):
            return values
        if values == dict(record.custom_fields):
            return record
        return attrs.evolve(record, custom_fields=values)

    def _values(
        self, owner: FieldObject, record_id: str, given: Mapping[str, FieldValue]
    ) -> dict[str, FieldValue] | Refuse:
        rules = self.fields.get(owner, {})
        out: dict[str, FieldValue] = {}
        for key, value in given.items():
            rule = rules.get(key)
            if rule is None:
                out[key] = value
                continue
            if rule.drop:
                self._note(owner.value, f"field {key} left out (drop)", record_id)
                continue
            converted = self._convert(rule, value)
            if converted is _UNMAPPED:
                where = f"fields.{owner.value}.{key}.unmapped = {rule.unmapped}"
                if rule.unmapped == "error":
                    return Refuse(
                        f"{owner} field {key}: {value!r} has no mapping ({self._at(where)})"
                    )
                self._note(owner.value, f"field {key}: {rule.unmapped}", record_id)
                if rule.unmapped == "drop":
                    continue
                converted = rule.default
            out[rule.target or key] = converted  # type: ignore[assignment]
        return out

    def _convert(self, rule: _FieldRule, value: FieldValue) -> FieldValue | object:
        if rule.options:
            if isinstance(value, tuple):
                mapped = [rule.options.get(v) for v in value]
                return _UNMAPPED if None in mapped else tuple(str(m) for m in mapped)
            if value is None:
                return None
            return rule.options.get(str(value), _UNMAPPED)
        if rule.type is None or value is None:
            return value
        return _as_type(rule.type, value)

    def _field_def(self, definition: FieldDef) -> FieldDef | Skip:
        rule = self.fields.get(definition.object, {}).get(definition.key)
        if rule is None:
            return definition
        if rule.drop:
            return Skip(f"mapping: fields.{definition.object}.{definition.key}.drop")
        options = definition.options
        if rule.options:
            renamed = {o.value: rule.options.get(o.value, o.value) for o in options}
            options = tuple(
                FieldOption(name=o.name, value=renamed[o.value], position=o.position)
                for o in options
            )
        kind = rule.type or definition.type
        return attrs.evolve(
            definition,
            key=rule.target or definition.key,
            type=kind,
            options=options,
            # A type given by the mapping makes a computed field a plain writable one.
            read_only=definition.read_only and rule.type is None,
            references=definition.references if kind is FieldType.LOOKUP else None,
        )

    def field_type(self, owner: FieldObject, key: str) -> FieldType | None:
        """The type the mapping gives a source field (``fields.<owner>.<key>.type``), or
        None: a read-only field with one is carried as a plain field of that type."""
        rule = self.fields.get(owner, {}).get(key)
        return None if rule is None else rule.type

    def _at(self, where: str) -> str:
        return f"{self._file.path}: {where}" if self._file is not None else where


_UNMAPPED: Final = object()


def _rule_options(
    rules: Mapping[str, _FieldRule], sources: Sequence[Metadata]
) -> dict[str, Mapping[str, str]]:
    """The option tables of ticket fields by the names rules give them: each source field's
    id (and the name a platform's rules give it by key, a Freshdesk field's ``cf_`` name). An
    id two sources give different tables is left out: its rules are then checked against the
    target field's options alone."""
    found: dict[str, Mapping[str, str]] = {}
    clashes: set[str] = set()
    for source in sources:
        for definition in source.fields:
            rule = rules.get(definition.key)
            if definition.object is not FieldObject.TICKET or rule is None or not rule.options:
                continue
            names = [definition.id]
            if source.rule_field_prefix:  # rules that name the field by its key (Freshdesk)
                names.append(f"{source.rule_field_prefix}{definition.key}")
            for name in names:
                if found.get(name, rule.options) != rule.options:
                    clashes.add(name)
                found[name] = rule.options
    return {name: table for name, table in found.items() if name not in clashes}


def _as_type(kind: FieldType, value: FieldValue) -> FieldValue | object:
    """``value`` as a value of field type ``kind``, or the unmapped marker."""
    text = " ".join(value) if isinstance(value, tuple) else str(value)
    try:
        if kind is FieldType.INTEGER:
            number = Decimal(text)
            return int(number) if number == number.to_integral_value() else _UNMAPPED
        if kind is FieldType.DECIMAL:
            return float(Decimal(text))
    except InvalidOperation:
        return _UNMAPPED
    if kind is FieldType.CHECKBOX:
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0", ""):
            return False
        return _UNMAPPED
    if kind is FieldType.MULTISELECT:
        return value if isinstance(value, tuple) else (text,)
    return text


def _check_keys(mapping: MappingFile, data: Mapping[str, Any], where: tuple[str, ...]) -> None:
    """Every key known, of its type and within its choices (recursively)."""
    for key, value in data.items():
        path = (*where, str(key))
        spec = find_key(path)
        if spec is None:
            if is_table(path):
                if not isinstance(value, Mapping):
                    raise mapping.error(path, f"must be a table, not {_toml_type(value)}")
                _check_keys(mapping, value, path)
                continue
            raise mapping.error(path, "unknown key (see docs/mapping.md for the keys)")
        if isinstance(value, bool) and bool not in spec.types:
            raise mapping.error(path, f"must be of type {spec.type_name}, not boolean")
        if not isinstance(value, spec.types):
            raise mapping.error(
                path, f"must be of type {spec.type_name}, not {_toml_type(value)} ({value!r})"
            )
        if spec.choices and value not in spec.choices:
            raise mapping.error(
                path, f"{value!r} is not allowed; choose one of {', '.join(spec.choices)}"
            )


def _toml_type(value: object) -> str:
    names = {str: "string", int: "integer", float: "number", list: "list", dict: "table"}
    return names.get(type(value), type(value).__name__)


def load_mapping(path: str | Path, *, transforms: Sequence[Transform] = ()) -> MappingFile:
    """Load and validate a mapping file; a bad one raises a one-line :class:`MappingError`."""
    file = TomlFile.load(path, error=MappingError, what="mapping")
    return MappingFile(file.data, file=file, transforms=transforms)
