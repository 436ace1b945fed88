"""A platform's rule dialect: how it reads its rules and SLA policies, and how it writes them.

The rules layer knows no platform. Each platform's vocabulary (its condition fields, operators,
status codes, payload shapes, the way it keeps a policy inactive) is a :class:`RuleDialect`
that lives beside its adapter (``cemigrate/adapters/<platform>/rules.py``); translation takes
the source's dialect and the target's, reads through the first and writes through the second.

A dialect reads:

- :meth:`RuleDialect.normalise`: a schema rule in the common vocabulary
  (:class:`~cemigrate.rules.model.NormalRule`);
- :meth:`RuleDialect.notification`: who a notification action e-mails, and what;
- :meth:`RuleDialect.sla_scope`: which tickets an SLA policy applies to, in the common
  vocabulary (:class:`~cemigrate.rules.sla.SlaScope`);

and writes:

- :meth:`RuleDialect.rule_kind` and :meth:`RuleDialect.write_rule`: a rule as its payload;
- :meth:`RuleDialect.write_sla`: an SLA policy as its payload.

The value helpers here (:func:`remap_id`, :func:`remap_option`, :meth:`RuleDialect.value`)
remap ids through the ledger's links and option values through the mapping; a dialect adjusts
them through small hooks (:meth:`RuleDialect.id_written`,
:meth:`RuleDialect.code`, :meth:`RuleDialect.tags_value`, :meth:`RuleDialect.type_value`).
"""

from __future__ import annotations

import abc
import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import ClassVar, Final

import attrs

from cemigrate.rules.model import NormalAction, NormalCondition, NormalRule
from cemigrate.rules.outcome import Gap, SlaScope, SlaTranslation, Translation
from cemigrate.schema import JsonValue, Kind, Ref, Rule, RuleKind, SlaPolicy

__all__ = [
    "ID_KINDS",
    "Context",
    "Missing",
    "Notification",
    "Options",
    "RuleDialect",
    "Values",
    "field_target",
    "flat",
    "is_id",
    "link",
    "original_action",
    "original_condition",
    "remap_id",
    "remap_option",
]

Values = Mapping[str, Mapping[str, str]]
"""A mapping's value tables: attribute → schema value → the target's value."""

Options = Mapping[str, Mapping[str, str]]
"""A mapping's option tables for custom fields: the field as a rule names it (its source id;
a Freshdesk rule's ``cf_`` name) → source option value → the target's option value."""

ID_KINDS: Final[Mapping[str, Kind]] = {
    "group": Kind.GROUP,
    "assignee": Kind.USER,
    "requester": Kind.USER,
    "organization": Kind.ORGANIZATION,
}
"""Normal fields whose values are record ids, and the kind of record."""

_RECORD_ID: Final = re.compile(r"^[a-zA-Z0-9]{3}[0-9][a-zA-Z0-9]{11}(?:[a-zA-Z0-9]{3})?$")


def is_id(text: str) -> bool:
    """Whether a condition or action value names a record: a number, or a 15- or
    18-character record id."""
    return text.isdigit() or bool(_RECORD_ID.match(text))


class Missing(Exception):
    """One part the target cannot express (the message is the reason)."""


@attrs.define
class Context:
    """What one translation knows: the two platforms, the ledger's links, the mapping's tables
    and what the target's fields hold."""

    reader: RuleDialect
    """The source's dialect (what the translation reads was said in it)."""
    target: str
    """The target platform."""
    links: Mapping[Ref, str]
    """Source references → target ids (empty between two accounts kept as they are)."""
    values: Values
    field_names: Mapping[str, str] = attrs.field(factory=dict)
    """A target custom field's name by its id (Freshdesk rules name fields)."""
    options: Options = attrs.field(factory=dict)
    target_options: Mapping[str, Collection[str]] = attrs.field(factory=dict)
    """Target field id → the option values it holds (a field absent here: not known)."""

    @property
    def source(self) -> str:
        """The source platform."""
        return self.reader.platform

    @property
    def same_platform(self) -> bool:
        """Whether source and target speak the same dialect."""
        return self.source == self.target

    @property
    def same_account(self) -> bool:
        """Same platform and no links: ids are the account's own."""
        return self.same_platform and not self.links


@attrs.frozen(kw_only=True)
class Notification:
    """A notification action as every platform has it: who, and the e-mail."""

    audience: str
    """``requester``, ``agent``, ``group`` or ``other``."""
    who: str
    """The recipient as the source names it (an id, or a placeholder)."""
    subject: str
    body: str


def original_condition(c: NormalCondition) -> str:
    """A condition in the source rule's own words (``field operator value``)."""
    return f"{c.source_field or c.field} {c.operator} {json.dumps(c.value)}"


def original_action(a: NormalAction) -> str:
    """An action in the source rule's own words (``field = value``)."""
    return f"{a.source_field or a.field} = {json.dumps(a.value)}"


def flat(value: JsonValue) -> list[JsonValue]:
    """A value as a flat list (a tag list read as a list of lists, say)."""
    if isinstance(value, list):
        return [w for v in value for w in flat(v)]
    return [] if value is None else [value]


def field_target(ctx: Context, key: str) -> str | None:
    """The target id of the custom field a rule names as ``key``; ``None`` between two
    accounts kept as they are (the field is the account's own)."""
    if ctx.same_account:
        return None
    target = ctx.links.get(Ref(kind=Kind.FIELD, id=key))
    if target is None:
        raise Missing(f"custom field {key} is not in the target (no id in the ledger's map)")
    return target


def link(ctx: Context, kind: Kind, value: str) -> str:
    """The target id of the source record ``value`` of ``kind``."""
    if ctx.same_account:
        return value
    target = ctx.links.get(Ref(kind=kind, id=value))
    if target is None:
        raise Missing(f"{kind} {value} is not in the target (no id in the ledger's map)")
    return target


def remap_id(
    ctx: Context,
    field: str,
    value: JsonValue,
    written: Callable[[str], JsonValue] = str,
) -> JsonValue:
    """An id field's value remapped (each target id through ``written``); a special value
    (Zendesk's ``current_user``) kept only between accounts of the same platform."""
    if isinstance(value, list):
        return [remap_id(ctx, field, v, written) for v in value]
    text = "" if value is None else str(value)
    if is_id(text):
        return written(link(ctx, ID_KINDS[field], text))
    if text == "" or ctx.same_platform:
        return value
    raise Missing(f"{text!r} has no {ctx.target} equivalent for {field}")


def remap_option(ctx: Context, key: str, value: JsonValue) -> JsonValue:
    """A custom field's value as the target's field names its option: through the mapping's
    option table, then checked against the options the target field holds (when known). An
    option the target field lacks is missing, never kept as it was."""
    if isinstance(value, list):
        return [remap_option(ctx, key, v) for v in value]
    if not isinstance(value, str) or value == "":
        return value
    mapped = ctx.options.get(key, {}).get(value, value)
    target_id = key if ctx.same_account else ctx.links.get(Ref(kind=Kind.FIELD, id=key))
    held = ctx.target_options.get(target_id) if target_id is not None else None
    if not held or mapped in held:
        return mapped
    spelled = {option.lower(): option for option in held}.get(mapped.lower())
    if spelled is not None:
        return spelled  # the same option, as the target spells it
    renamed = f" (mapped from {value!r})" if mapped != value else ""
    raise Missing(f"option {mapped!r}{renamed} of field {key} is not in the target")


class RuleDialect(abc.ABC):
    """One platform's words for business rules and SLA policies, both ways."""

    platform: ClassVar[str]
    """The platform's name (``zendesk``): in reports, and to tell a same-platform copy."""
    rule_kinds: ClassVar[frozenset[RuleKind]]
    """The kinds the platform's rules come as (a rule's kind tells its dialect)."""
    no_kind: ClassVar[Mapping[RuleKind, str]] = {}
    """Why the platform cannot hold a rule of a kind (a rule whose kind has no payload here)."""
    sla_note: ClassVar[str] = "Every policy is created **inactive**; turn it on after cutover."
    """How a policy written here stays inactive, for the report."""
    fields: ClassVar[Mapping[str, str]] = {}
    """Normal field → the name a rule here tests or sets it by."""

    # --- reading ---------------------------------------------------------------------------

    @abc.abstractmethod
    def normalise(self, rule: Rule) -> NormalRule:
        """``rule`` (read from this platform) in the common vocabulary."""

    def notification(self, rule: Rule, index: int, action: NormalAction) -> Notification:
        """The notification ``action`` (the ``index``-th of ``rule``): by default a
        ``[recipient, subject, body]`` value."""
        parts = [str(p) for p in action.value] if isinstance(action.value, list) else []
        who, subject, body = [*parts, "", "", ""][:3]
        if action.source_field == "notification_group":
            return Notification(audience="group", who=who, subject=subject, body=body)
        if action.source_field == "notification_user":
            requester = who in ("requester_id", "requester_and_ccs")
            audience = "requester" if requester else "agent"
            return Notification(audience=audience, who=who, subject=subject, body=body)
        return Notification(audience="other", who=who, subject=subject, body=body)

    def holds_policy(self, raw: Mapping[str, JsonValue]) -> bool:
        """Whether an SLA policy's payload (``raw``) was read from this platform."""
        return False

    def sla_unread(self, policy: SlaPolicy) -> str:
        """Why this platform's policy cannot be translated as read (``""``: it can)."""
        return ""

    @abc.abstractmethod
    def sla_scope(self, policy: SlaPolicy) -> SlaScope:
        """The tickets ``policy`` (read from this platform) applies to, in common words."""

    # --- writing ---------------------------------------------------------------------------

    @abc.abstractmethod
    def rule_kind(self, normal: NormalRule) -> tuple[str, list[Gap]]:
        """The kind a rule is written as here (``""``: none) and any event it loses."""

    @abc.abstractmethod
    def write_rule(
        self, normal: NormalRule, ctx: Context, kind: str, gaps: list[Gap]
    ) -> Translation:
        """``normal`` written as a payload of ``kind``, inactive; ``gaps`` holds what is
        already lost."""

    @abc.abstractmethod
    def write_sla(self, policy: SlaPolicy, scope: SlaScope, ctx: Context) -> SlaTranslation:
        """``policy`` (applying to ``scope``) written as a create payload, inactive."""

    # --- fields ----------------------------------------------------------------------------

    def custom_field(self, ctx: Context, key: str) -> str:
        """The name a rule here gives the custom field the source rule names ``key``."""
        raise Missing(f"{ctx.target} rules cannot name custom fields")

    def hours_field(self, since: str) -> str:
        """The time condition "hours since ``since``" as named here."""
        raise Missing(f"{self.platform} has no time condition 'hours since {since}'")

    def field_name(self, ctx: Context, field: str) -> str:
        """A normal field as a rule here names it."""
        if field.startswith("custom:"):
            return self.custom_field(ctx, field.removeprefix("custom:"))
        prefix, _, name = field.partition(":")
        if name and prefix == ctx.target:
            return name  # the target's own field (same-platform copies)
        if prefix == "hours_since":
            return self.hours_field(name)
        if name:
            raise Missing(f"{prefix}'s {name!r} has no {ctx.target} equivalent")
        if field not in self.fields:
            raise Missing(f"{ctx.target} rules cannot test or set {field!r}")
        return self.fields[field]

    # --- values: hooks ---------------------------------------------------------------------

    def id_written(self, mapped: str) -> JsonValue:
        """A target id as the platform's payloads hold it (text by default)."""
        return mapped

    def code(self, field: str, name: str) -> JsonValue:
        """A status or priority (the schema's name, or the mapping's value) as written here."""
        return name

    def tags_value(self, words: list[JsonValue]) -> JsonValue:
        """Tags as a condition or action here holds them (a list by default)."""
        return [str(w) for w in words]

    def type_value(self, value: str) -> JsonValue:
        """A ticket type as written here."""
        return value

    # --- values: remapping -----------------------------------------------------------------

    def id_value(self, ctx: Context, field: str, value: JsonValue) -> JsonValue:
        """An id field's value remapped (:func:`remap_id`), as written here."""
        return remap_id(ctx, field, value, self.id_written)

    def coded(self, ctx: Context, field: str, value: JsonValue) -> JsonValue:
        """A status or priority in the target's terms (through the mapping's table if
        given)."""
        if isinstance(value, list):
            return [self.coded(ctx, field, v) for v in value]
        if not isinstance(value, str):
            return value
        return self.code(field, ctx.values.get(field, {}).get(value, value))

    def value(self, ctx: Context, field: str, value: JsonValue) -> JsonValue:
        """A condition's or action's value for the normal ``field``, as written here."""
        if field.startswith("custom:"):
            return remap_option(ctx, field.removeprefix("custom:"), value)
        if field in ID_KINDS:
            return self.id_value(ctx, field, value)
        if field in ("status", "priority"):
            return self.coded(ctx, field, value)
        if field == "tags":
            return self.tags_value(flat(value))
        if field == "type" and isinstance(value, str):
            return self.type_value(value)
        return value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.platform}>"
