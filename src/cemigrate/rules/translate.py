"""Translate a business rule from one platform into another's, always inactive.

:func:`translate` reads a rule through the normalised model (:func:`~cemigrate.rules.normalise`)
and writes each condition and action in the target's vocabulary: ids of groups, agents,
organizations and custom fields are remapped through ``links`` (the ledger's id map), statuses
and priorities through the mapping's value tables when given, and the option values of custom
fields through the mapping's option tables (checked against the options the target's field
holds, when known). What the target cannot express
is a :class:`Gap` naming the reason and the rule's original text: never dropped silently. The
result, a :class:`Translation`, is ``translated``, ``partial`` (written without its gaps) or
``untranslated`` (nothing written, with the reason), and carries the target payload with
``active: false``: nothing a migration creates fires on imported history.

:func:`translation_report` runs it over a source's rules and writes ``translation.json`` and
``translation.md``.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from cemigrate.rules import salesforce as sf_rules
from cemigrate.rules.model import (
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
    normalise,
)
from cemigrate.schema import JsonValue, Kind, Ref, Rule, RuleKind

__all__ = [
    "EVERY_LINK",
    "UNTRANSLATABLE_RULE",
    "Gap",
    "Options",
    "Translation",
    "TranslationReport",
    "TranslationStatus",
    "canonical",
    "count_statuses",
    "outcome_markdown",
    "platform_of",
    "rule_refs",
    "translate",
    "translation_report",
    "write_report",
]

UNTRANSLATABLE_RULE: Final = "untranslatable-rule"
"""The policy under which a target skips a rule it cannot express (the reason follows)."""

Values = Mapping[str, Mapping[str, str]]
"""A mapping's value tables: attribute → schema value → the target's value."""

Options = Mapping[str, Mapping[str, str]]
"""A mapping's option tables for custom fields: the field as a rule names it (its source id;
a Freshdesk rule's ``cf_`` name) → source option value → the target's option value."""


class TranslationStatus(enum.StrEnum):
    """How much of a rule the target can hold."""

    TRANSLATED = "translated"
    PARTIAL = "partial"
    UNTRANSLATED = "untranslated"


@attrs.frozen(kw_only=True)
class Gap:
    """One condition or action the target cannot express, with why and its original text."""

    part: str
    """``condition``, ``action`` or ``event``."""
    original: str
    """The source rule's own text for it (``field operator value`` or ``field = value``)."""
    reason: str

    def as_json(self) -> dict[str, JsonValue]:
        """The gap as JSON."""
        return {"part": self.part, "original": self.original, "reason": self.reason}


@attrs.frozen(kw_only=True)
class Translation:
    """A rule translated for a target platform (``payload`` is empty when untranslated)."""

    rule: Rule
    source: str
    target: str
    status: TranslationStatus
    kind: str = ""
    """The target's kind: ``triggers``, ``automations``, ``macros``, ``views`` (Zendesk) or
    the Freshdesk automation type ``1``, ``3``, ``4``."""
    payload: Mapping[str, JsonValue] = attrs.field(factory=dict)
    gaps: tuple[Gap, ...] = ()
    reason: str = ""
    """Why nothing was translated (``untranslated`` only)."""

    def as_json(self) -> dict[str, JsonValue]:
        """The translation as JSON: the rule's title and raw conditions/actions, the outcome."""
        raw = self.rule.raw
        return {
            "id": self.rule.id,
            "kind": str(self.rule.kind),
            "title": self.rule.title,
            "status": str(self.status),
            "target_kind": self.kind,
            "reason": self.reason,
            "missing": [g.as_json() for g in self.gaps],
            "conditions": raw.get("conditions"),
            "actions": raw.get("actions"),
        }


# --- the two vocabularies ------------------------------------------------------------------

_ZENDESK_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "group": "group_id",
    "assignee": "assignee_id",
    "requester": "requester_id",
    "organization": "organization_id",
    "tags": "current_tags",
    "subject": "subject_includes_word",
    "comment": "comment_includes_word",
    "comment_public": "comment_is_public",
    "satisfaction": "satisfaction_score",
    "channel": "via_id",
    "brand": "brand_id",
    "form": "ticket_form_id",
    "locale": "locale_id",
}
_ZENDESK_OPERATORS: Final[Mapping[str, str]] = {
    "changed_to": "value",
    "changed_from": "value_previous",
    "not_changed_to": "not_value",
    "not_changed_from": "not_value_previous",
}
_ZENDESK_HOURS_STATUS: Final[frozenset[str]] = frozenset(
    {"new", "open", "pending", "hold", "solved", "closed"}
)
_ZENDESK_HOURS_SINCE: Final[frozenset[str]] = frozenset(
    {"assigned", "updated", "requester_updated", "assignee_updated", "created"}
)
_ZENDESK_HOURS_PLAIN: Final[frozenset[str]] = frozenset({"due_date", "until_due_date"})

_FRESHDESK_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "type": "ticket_type",
    "group": "group_id",
    "assignee": "responder_id",
    "requester": "requester_id",
    "organization": "company_id",
    "tags": "tag_names",
    "subject": "subject",
    "description": "description",
    "channel": "source",
    "requester_email": "from_email",
    "product": "product_id",
}
_FRESHDESK_OPERATORS: Final[Mapping[str, str]] = {
    "includes": "contains",
    "not_includes": "does_not_contain",
    "not_contains": "does_not_contain",
}
_FRESHDESK_STATUS: Final[Mapping[str, int]] = {"open": 2, "pending": 3, "solved": 4, "closed": 5}
_FRESHDESK_PRIORITY: Final[Mapping[str, int]] = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
_FRESHDESK_OPERATOR_SET: Final[frozenset[str]] = frozenset(
    {
        "is",
        "is_not",
        "contains",
        "does_not_contain",
        "starts_with",
        "ends_with",
        "greater_than",
        "less_than",
        "changed",
        "is_any_of",
        "is_none_of",
    }
)
_FRESHDESK_TYPES: Final[Mapping[Event, int]] = {
    Event.CREATED: 1,
    Event.TIME_BASED: 3,
    Event.UPDATED: 4,
}

_ID_KINDS: Final[Mapping[str, Kind]] = {
    "group": Kind.GROUP,
    "assignee": Kind.USER,
    "requester": Kind.USER,
    "organization": Kind.ORGANIZATION,
}
_CANONICAL_OPERATORS: Final[Mapping[str, str]] = {
    "contains": "includes",
    "not_contains": "not_includes",
}


def canonical(condition: NormalCondition) -> tuple[str, str, JsonValue]:
    """A condition as ``(field, operator, value)`` with synonyms folded (``contains`` and
    ``includes`` on tags are the same test): what a round trip must keep."""
    operator = _CANONICAL_OPERATORS.get(condition.operator, condition.operator)
    return condition.field, operator, condition.value


_SALESFORCE_ID: Final = re.compile(r"^[a-zA-Z0-9]{3}[0-9][a-zA-Z0-9]{11}(?:[a-zA-Z0-9]{3})?$")


def _is_id(text: str) -> bool:
    """Whether a condition or action value names a record: a Zendesk or Freshdesk number, or
    a Salesforce id (15 or 18 characters)."""
    return text.isdigit() or bool(_SALESFORCE_ID.match(text))


def rule_refs(rule: Rule, platform: str) -> list[Ref]:
    """The groups, agents, organizations and custom fields a rule names by id: what the
    ledger must map for :func:`translate` to remap them."""
    normal = normalise(rule, platform)
    found: list[Ref] = []
    items: list[tuple[str, JsonValue]] = [
        (c.field, c.value) for c in (*normal.conditions_all, *normal.conditions_any)
    ]
    items += [(a.field, a.value) for a in normal.actions]
    for field, value in items:
        if field.startswith("custom:"):
            found.append(Ref(kind=Kind.FIELD, id=field.removeprefix("custom:")))
        kind = _ID_KINDS.get(field)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if kind is not None and isinstance(v, str) and _is_id(v):
                found.append(Ref(kind=kind, id=v))
    return list(dict.fromkeys(found))


# --- translation ---------------------------------------------------------------------------


class _Missing(Exception):
    """One part the target cannot express (the message is the reason)."""


@attrs.define
class _Context:
    source: str
    target: str
    links: Mapping[Ref, str]
    values: Values
    field_names: Mapping[str, str]
    options: Options = attrs.field(factory=dict)
    target_options: Mapping[str, Collection[str]] = attrs.field(factory=dict)
    """Target field id → the option values it holds (a field absent here: not known)."""


def _original_condition(c: NormalCondition) -> str:
    return f"{c.source_field or c.field} {c.operator} {json.dumps(c.value)}"


def _original_action(a: NormalAction) -> str:
    return f"{a.source_field or a.field} = {json.dumps(a.value)}"


class _EveryLink(Mapping[Ref, str]):
    """A link for every reference (its own id): what a target's ``declines`` translates with
    before a run knows the target ids, so only what no id can fix counts as untranslatable."""

    def __getitem__(self, ref: Ref) -> str:
        return ref.id

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, Ref)

    def __iter__(self) -> Iterator[Ref]:
        return iter(())

    def __len__(self) -> int:
        return 1  # truthy: ids are "linked", not kept as the same account's


EVERY_LINK: Final[Mapping[Ref, str]] = _EveryLink()
"""Links for :func:`translate` that assume every referenced record is in the target."""


def _link(ctx: _Context, kind: Kind, value: str) -> str:
    if ctx.source == ctx.target and not ctx.links:
        return value  # the same account's ids
    target = ctx.links.get(Ref(kind=kind, id=value))
    if target is None:
        raise _Missing(f"{kind} {value} is not in the target (no id in the ledger's map)")
    return target


def _id_value(ctx: _Context, field: str, value: JsonValue) -> JsonValue:
    """An id field's value remapped; the platform's special values kept where both share
    them (Zendesk's ``current_user`` has no Freshdesk counterpart)."""
    if isinstance(value, list):
        return [_id_value(ctx, field, v) for v in value]
    text = "" if value is None else str(value)
    if _is_id(text):
        mapped = _link(ctx, _ID_KINDS[field], text)
        return int(mapped) if ctx.target == "freshdesk" and mapped.isdigit() else mapped
    if text == "" or ctx.source == ctx.target:
        return value
    raise _Missing(f"{text!r} has no {ctx.target} equivalent for {field}")


def _coded(ctx: _Context, field: str, value: JsonValue) -> JsonValue:
    """A status or priority in the target's terms (through the mapping's table if given)."""
    if isinstance(value, list):
        return [_coded(ctx, field, v) for v in value]
    if not isinstance(value, str):
        return value
    name = ctx.values.get(field, {}).get(value, value)
    if ctx.target == "zendesk":
        return name.lower()
    table = _FRESHDESK_STATUS if field == "status" else _FRESHDESK_PRIORITY
    if name.isdigit():
        return int(name)
    code = table.get(name.lower())
    if code is None:
        raise _Missing(f"Freshdesk has no {field} {name!r}")
    return code


def _option(ctx: _Context, key: str, value: JsonValue) -> JsonValue:
    """A custom field's value as the target's field names its option: through the mapping's
    option table, then checked against the options the target field holds (when known). An
    option the target field lacks is missing, never kept as it was."""
    if isinstance(value, list):
        return [_option(ctx, key, v) for v in value]
    if not isinstance(value, str) or value == "":
        return value
    mapped = ctx.options.get(key, {}).get(value, value)
    if ctx.source == ctx.target and not ctx.links:
        target_id: str | None = key
    else:
        target_id = ctx.links.get(Ref(kind=Kind.FIELD, id=key))
    held = ctx.target_options.get(target_id) if target_id is not None else None
    if not held or mapped in held:
        return mapped
    spelled = {option.lower(): option for option in held}.get(mapped.lower())
    if spelled is not None:
        return spelled  # the same option, as the target spells it
    renamed = f" (mapped from {value!r})" if mapped != value else ""
    raise _Missing(f"option {mapped!r}{renamed} of field {key} is not in the target")


def _value(ctx: _Context, field: str, value: JsonValue) -> JsonValue:
    if field.startswith("custom:"):
        return _option(ctx, field.removeprefix("custom:"), value)
    if field in _ID_KINDS:
        return _id_value(ctx, field, value)
    if field in ("status", "priority"):
        return _coded(ctx, field, value)
    if field == "tags":
        words = _flat(value)
        if ctx.target == "zendesk":
            return " ".join(str(w) for w in words)
        return [str(w) for w in words]
    if field == "type" and isinstance(value, str) and ctx.target == "freshdesk":
        return value.capitalize()
    return value


def _flat(value: JsonValue) -> list[JsonValue]:
    """Tags as a flat list (the model reads a Freshdesk tag list as a list of lists)."""
    if isinstance(value, list):
        return [w for v in value for w in _flat(v)]
    return [] if value is None else [value]


def _custom_field(ctx: _Context, key: str) -> str:
    if ctx.source == ctx.target and not ctx.links:
        if ctx.target == "salesforce":
            return key.rpartition(".")[2]
        return f"custom_fields_{key}" if ctx.target == "zendesk" else key
    target = ctx.links.get(Ref(kind=Kind.FIELD, id=key))
    if target is None:
        raise _Missing(f"custom field {key} is not in the target (no id in the ledger's map)")
    if ctx.target == "zendesk":
        return f"custom_fields_{target}"
    if ctx.target == "salesforce":
        return target.rpartition(".")[2]  # "Case.Order_Id__c"
    name = ctx.field_names.get(target)
    if name is None:
        raise _Missing(f"custom field {key} has no name in the target")
    return name


def _field(ctx: _Context, field: str) -> str:
    """A normal field name in the target's vocabulary."""
    if field.startswith("custom:"):
        return _custom_field(ctx, field.removeprefix("custom:"))
    prefix, _, name = field.partition(":")
    if prefix == ctx.target:
        return name  # the target's own field (same-platform copies)
    if prefix in ("zendesk", "freshdesk", "salesforce"):
        raise _Missing(f"{prefix}'s {name!r} has no {ctx.target} equivalent")
    if prefix == "hours_since":
        if ctx.target == "freshdesk":
            return f"hours_since_{name}"
        if name in _ZENDESK_HOURS_STATUS:
            return name.upper()
        if name in _ZENDESK_HOURS_SINCE:
            return f"{name}_at"
        if name in _ZENDESK_HOURS_PLAIN:
            return name
        raise _Missing(f"Zendesk has no time condition 'hours since {name}'")
    table = _ZENDESK_FIELDS if ctx.target == "zendesk" else _FRESHDESK_FIELDS
    if field not in table:
        raise _Missing(f"{ctx.target} rules cannot test or set {field!r}")
    return table[field]


def _condition(ctx: _Context, c: NormalCondition) -> dict[str, JsonValue]:
    field = _field(ctx, c.field)
    operator = _CANONICAL_OPERATORS.get(c.operator, c.operator)
    value = _value(ctx, c.field, c.value)
    if ctx.target == "zendesk":
        return {
            "field": field,
            "operator": _ZENDESK_OPERATORS.get(operator, operator),
            "value": value,
        }
    operator = _FRESHDESK_OPERATORS.get(operator, operator)
    if operator not in _FRESHDESK_OPERATOR_SET:
        raise _Missing(f"Freshdesk conditions have no operator {c.operator!r}")
    prop: dict[str, JsonValue] = {
        "resource_type": "ticket",
        "field_name": field,
        "operator": operator,
    }
    if operator != "changed":
        prop["value"] = value
    return prop


def _raw_action(rule: Rule, index: int) -> Mapping[str, JsonValue]:
    actions = rule.raw.get("actions")
    item = actions[index] if isinstance(actions, list) and index < len(actions) else None
    return item if isinstance(item, dict) else {}


def _notification(rule: Rule, index: int, a: NormalAction) -> tuple[str, str, str, str]:
    """(audience, who, subject, body) of a notification action on either platform."""
    if isinstance(a.value, list):  # Zendesk: [recipient, subject, body]
        parts = [str(p) for p in a.value] + ["", "", ""]
        who, subject, body = parts[0], parts[1], parts[2]
        if a.source_field == "notification_group":
            return "group", who, subject, body
        if a.source_field == "notification_user":
            if who in ("requester_id", "requester_and_ccs"):
                return "requester", who, subject, body
            return "agent", who, subject, body
        return "other", who, subject, body
    raw = _raw_action(rule, index)
    subject, body = str(raw.get("email_subject") or ""), str(raw.get("email_body") or "")
    to = raw.get("email_to")
    who = str(to[0] if isinstance(to, list) and to else to or "")
    audience = {
        "send_email_to_requester": "requester",
        "send_email_to_group": "group",
        "send_email_to_agent": "agent",
    }.get(a.source_field, "other")
    return audience, who, subject, body


def _notify(ctx: _Context, rule: Rule, index: int, a: NormalAction) -> dict[str, JsonValue]:
    audience, who, subject, body = _notification(rule, index, a)
    if audience == "other":
        raise _Missing(f"{ctx.target} has no equivalent of the {a.source_field} notification")
    if ctx.target == "zendesk":
        if audience == "requester":
            recipient = who if ctx.source == "zendesk" else "requester_id"
            return {"field": "notification_user", "value": [recipient, subject, body]}
        if audience == "group":
            group = _id_value(ctx, "group", who)
            return {"field": "notification_group", "value": [str(group), subject, body]}
        agent = _id_value(ctx, "assignee", who)
        return {"field": "notification_user", "value": [str(agent), subject, body]}
    if audience == "requester":
        return {
            "field_name": "send_email_to_requester",
            "email_subject": subject,
            "email_body": body,
        }
    if who.isdigit():
        field = "group" if audience == "group" else "assignee"
        target = _id_value(ctx, field, who)
        return {
            "field_name": f"send_email_to_{'group' if audience == 'group' else 'agent'}",
            "email_to": [target],
            "email_subject": subject,
            "email_body": body,
        }
    raise _Missing(f"Freshdesk e-mails name their recipients; {who!r} is not one")


def _action(ctx: _Context, rule: Rule, index: int, a: NormalAction) -> dict[str, JsonValue]:
    zendesk = ctx.target == "zendesk"
    if a.kind is ActionKind.NOTIFY:
        return _notify(ctx, rule, index, a)
    if a.kind is ActionKind.WEBHOOK:
        raise _Missing("webhooks are per account: create it in the target and add it by hand")
    if a.kind is ActionKind.OTHER:
        raise _Missing(f"{ctx.target} has no action {a.source_field!r}")
    if a.kind is ActionKind.COMMENT:
        if ctx.source == ctx.target:
            return {"field" if zendesk else "field_name": a.source_field, "value": a.value}
        if zendesk and rule.kind is RuleKind.MACRO:
            return {"field": "comment_value", "value": a.value}
        raise _Missing(f"{ctx.target} rules cannot add the {a.source_field!r} comment")
    if a.kind in (ActionKind.ADD_TAGS, ActionKind.REMOVE_TAGS, ActionKind.SET_TAGS):
        value = _value(ctx, "tags", a.value)
        if zendesk:
            name = {
                ActionKind.ADD_TAGS: "current_tags",
                ActionKind.REMOVE_TAGS: "remove_tags",
                ActionKind.SET_TAGS: "set_tags",
            }[a.kind]
            return {"field": name, "value": value}
        if a.kind is not ActionKind.ADD_TAGS:
            raise _Missing("Freshdesk automations can only add tags")
        return {"field_name": "add_tag", "value": value}
    field = _field(ctx, a.field)
    if not zendesk and a.field in ("requester", "satisfaction", "channel"):
        raise _Missing(f"Freshdesk automations cannot set {a.field!r}")
    value = _value(ctx, a.field, a.value)
    return {"field": field, "value": value} if zendesk else {"field_name": field, "value": value}


def _target_kind(normal: NormalRule, target: str) -> tuple[str, list[Gap]]:
    """The target's kind for the rule (``""`` when it has none) and any event it loses."""
    kind = normal.kind
    if target == "zendesk":
        by_kind = {
            RuleKind.TRIGGER: "triggers",
            RuleKind.DISPATCHER: "triggers",
            RuleKind.OBSERVER: "triggers",
            RuleKind.ASSIGNMENT: "triggers",
            RuleKind.AUTOMATION: "automations",
            RuleKind.SUPERVISOR: "automations",
            RuleKind.ESCALATION: "automations",
            RuleKind.MACRO: "macros",
            RuleKind.VIEW: "views",
        }
        if kind is RuleKind.FLOW:
            return ("automations" if normal.time_based else "triggers"), []
        return by_kind.get(kind, ""), []
    if kind in (RuleKind.MACRO, RuleKind.VIEW, RuleKind.SLA) or not normal.automatic:
        return "", []
    if target == "salesforce":
        return "Flow", []
    events = normal.events
    if Event.TIME_BASED in events:
        return "3", []
    if events == {Event.CREATED}:
        return "1", []
    if events == {Event.UPDATED}:
        return "4", []
    gap = Gap(
        part="event",
        original="runs on creation and on update",
        reason="a Freshdesk rule runs on one event: written as an update rule (type 4); "
        "creation needs a dispatcher rule (type 1) too",
    )
    return "4", [gap]


_NO_KIND: Final[Mapping[str, Mapping[RuleKind, str]]] = {
    "freshdesk": {
        RuleKind.MACRO: "Freshdesk's API has no write for scenario automations (macros)",
        RuleKind.VIEW: "Freshdesk's API has no write for ticket views",
        RuleKind.SLA: "SLA policies travel as SLA policies, not automation rules",
    },
    "zendesk": {
        RuleKind.SLA: "SLA policies travel as SLA policies, not business rules",
    },
    "salesforce": {
        RuleKind.MACRO: "Salesforce macros are Macro records with instructions tied to the "
        "console's UI; cemigrate does not write them",
        RuleKind.VIEW: "Salesforce list views are ListView metadata with their own filter "
        "language; cemigrate does not write them",
        RuleKind.SLA: "SLA policies travel as SLA policies, not flows",
    },
}


def translate(
    rule: Rule,
    *,
    source: str,
    target: str,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
    field_names: Mapping[str, str] | None = None,
    options: Options | None = None,
    target_options: Mapping[str, Collection[str]] | None = None,
) -> Translation:
    """``rule`` (read from ``source``) as a ``target`` payload, inactive.

    ``links`` maps source references (groups, agents, organizations, custom fields) to target
    ids; ``mapping`` holds the mapping's value tables (``status``, ``priority``: schema value
    → target value); ``field_names`` gives a Freshdesk target's custom field name by field id.
    ``options`` holds the mapping's option tables by the field the rule names (its source id):
    a dropdown's option value is written as the target's; ``target_options`` gives the option
    values each target field holds, by target field id, and an option a field lacks is a gap.
    Between two accounts of the same platform without ``links``, ids are kept.
    """
    if target not in ("zendesk", "freshdesk", "salesforce"):
        raise ValueError(f"rules: unknown target {target!r}")
    normal = normalise(rule, source)
    platform = "zendesk" if normal.platform == "memory" else normal.platform
    if normal.opaque:
        return Translation(
            rule=rule,
            source=source,
            target=target,
            status=TranslationStatus.UNTRANSLATED,
            reason=f"{source} keeps this rule's entries in metadata cemigrate does not read",
        )
    kind, gaps = _target_kind(normal, target)
    if not kind:
        why = _NO_KIND.get(target, {}).get(rule.kind, f"{target} has no kind for a {rule.kind}")
        return Translation(
            rule=rule,
            source=source,
            target=target,
            status=TranslationStatus.UNTRANSLATED,
            reason=why,
        )
    ctx = _Context(
        source=platform,
        target=target,
        links=links or {},
        values=mapping or {},
        field_names=field_names or {},
        options=options or {},
        target_options=target_options or {},
    )
    if target == "salesforce":
        return _to_salesforce(normal, ctx, gaps)

    def conditions(items: Sequence[NormalCondition]) -> list[JsonValue]:
        out: list[JsonValue] = []
        for c in items:
            try:
                out.append(_condition(ctx, c))
            except _Missing as exc:
                gaps.append(Gap(part="condition", original=_original_condition(c), reason=str(exc)))
        return out

    all_of = conditions(normal.conditions_all)
    any_of = conditions(normal.conditions_any)
    actions: list[JsonValue] = []
    for index, a in enumerate(normal.actions):
        try:
            actions.append(_action(ctx, rule, index, a))
        except _Missing as exc:
            gaps.append(Gap(part="action", original=_original_action(a), reason=str(exc)))
    if normal.actions and not actions and kind not in ("views",):
        return Translation(
            rule=rule,
            source=source,
            target=target,
            status=TranslationStatus.UNTRANSLATED,
            kind=kind,
            gaps=tuple(gaps),
            reason="none of its actions can be expressed in " + target,
        )
    payload = (
        _zendesk_payload(normal, kind, all_of, any_of, actions)
        if target == "zendesk"
        else _freshdesk_payload(normal, kind, all_of, any_of, actions)
    )
    return Translation(
        rule=rule,
        source=source,
        target=target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        kind=kind,
        payload=payload,
        gaps=tuple(gaps),
    )


# --- Salesforce: a record-triggered flow, saved as a draft ---------------------------------

_FLOW_TRIGGERS: Final[Mapping[frozenset[Event], str]] = {
    frozenset({Event.CREATED}): "Create",
    frozenset({Event.UPDATED}): "Update",
}
_FLOW_TIME_FIELDS: Final[Mapping[str, str]] = {
    "created": "CreatedDate",
    "updated": "LastModifiedDate",
}
_FLOW_API_VERSION: Final = 60.0


def _flow_value(value: JsonValue) -> dict[str, JsonValue]:
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    return {"stringValue": "" if value is None else str(value)}


def _sf_value(ctx: _Context, field: str, value: JsonValue) -> JsonValue:
    """A value as the Case holds it: ids remapped, picklist values through the mapping."""
    if isinstance(value, list):
        flat = _flat(value)
        if len(flat) != 1:
            raise _Missing("a Salesforce filter tests one value; this tests " + json.dumps(value))
        value = flat[0]
    if field.startswith("custom:"):
        return _option(ctx, field.removeprefix("custom:"), value)
    if field in _ID_KINDS:
        return _id_value(ctx, field, value)
    if field in ("status", "priority", "type", "channel") and isinstance(value, str):
        return sf_rules.case_value(field, value, ctx.values)
    return value


def _sf_field(ctx: _Context, field: str) -> str:
    if field.startswith("custom:"):
        return _custom_field(ctx, field.removeprefix("custom:"))
    prefix, _, name = field.partition(":")
    if prefix == "salesforce":
        if ctx.source == "salesforce":
            return name
        raise _Missing(f"salesforce's {name!r} has no equivalent")
    if prefix in ("zendesk", "freshdesk", "hours_since"):
        raise _Missing(f"{prefix}'s {name!r} has no Salesforce equivalent")
    if field not in sf_rules.CASE_FIELDS:
        raise _Missing(f"Salesforce flows on Case cannot test or set {field!r}")
    return sf_rules.CASE_FIELDS[field]


def _sf_filters(
    ctx: _Context, c: NormalCondition, *, grouped: bool, created: bool
) -> list[JsonValue]:
    """The flow filters for one condition (``changed_to`` is two: changed, and equal). On a
    flow that runs on creation only, Salesforce refuses ``IsChanged``: every value is new, so
    ``changed to v`` is ``equal to v`` and ``changed`` cannot be said."""
    field = _sf_field(ctx, c.field)
    operator = c.operator
    if created and operator == "changed":
        raise _Missing("on creation every value is new: a flow cannot test that it changed")
    if created and operator == "changed_to":
        operator = "is"
    if operator == "changed":
        return [{"field": field, "operator": "IsChanged", "value": {"booleanValue": True}}]
    if operator in ("present", "not_present"):
        null = operator == "not_present"
        return [{"field": field, "operator": "IsNull", "value": {"booleanValue": null}}]
    if operator == "changed_to":
        if grouped:
            raise _Missing("a flow's 'any' conditions cannot test a change to a value")
        value = _sf_value(ctx, c.field, c.value)
        return [
            {"field": field, "operator": "IsChanged", "value": {"booleanValue": True}},
            {"field": field, "operator": "EqualTo", "value": _flow_value(value)},
        ]
    flow_operator = sf_rules.FILTER_OPERATORS.get(operator)
    if flow_operator is None:
        raise _Missing(f"Salesforce flow filters have no operator {c.operator!r}")
    if c.field in ("status", "priority") and operator in ("greater_than", "less_than"):
        raise _Missing("Salesforce compares picklist values as text, not in their order")
    value = _sf_value(ctx, c.field, c.value)
    return [{"field": field, "operator": flow_operator, "value": _flow_value(value)}]


def _sf_schedule(
    ctx: _Context, c: NormalCondition, scheduled: list[JsonValue]
) -> dict[str, JsonValue]:
    """A time condition (``hours since X is N``) as the flow's scheduled path."""
    since = c.field.removeprefix("hours_since:")
    if scheduled:
        raise _Missing(
            "a flow runs one scheduled path per rule here; the first time condition is kept"
        )
    if c.operator not in ("is", "greater_than"):
        raise _Missing(f"a scheduled path runs N hours after; {c.operator!r} has no equivalent")
    try:
        hours = int(str(c.value))
    except ValueError:
        raise _Missing(f"{c.value!r} is not a number of hours") from None
    path: dict[str, JsonValue] = {
        "name": "Hours_Since_" + "_".join(w.capitalize() for w in since.split("_")),
        "label": f"{hours} hours after {since.replace('_', ' ')}",
        "offsetNumber": hours,
        "offsetUnit": "Hours",
    }
    if since in _FLOW_TIME_FIELDS:
        path["timeSource"] = "RecordField"
        path["recordField"] = _FLOW_TIME_FIELDS[since]
    elif since in _ZENDESK_HOURS_STATUS:
        path["timeSource"] = "RecordTriggerEvent"  # when the case came to meet the conditions
    else:
        raise _Missing(f"a flow cannot wait for 'hours since {since}'")
    return path


_SF_PLACEHOLDERS: Final[Mapping[str, str]] = {
    "{{ticket.title}}": "{!$Record.Subject}",
    "{{ticket.subject}}": "{!$Record.Subject}",
    "{{ticket.id}}": "{!$Record.CaseNumber}",
    "{{ticket.status}}": "{!$Record.Status}",
    "{{ticket.priority}}": "{!$Record.Priority}",
}
"""Zendesk and Freshdesk placeholders a flow's merge fields say the same way."""


@attrs.define
class _FlowActions:
    """What a rule's actions become in a flow: field assignments, formulas, e-mails."""

    assignments: list[JsonValue] = attrs.field(factory=list)
    formulas: list[JsonValue] = attrs.field(factory=list)
    emails: list[dict[str, JsonValue]] = attrs.field(factory=list)


def _merge_fields(text: str) -> str:
    for placeholder, merge in _SF_PLACEHOLDERS.items():
        text = text.replace(placeholder, merge)
    return text


def _sf_email(ctx: _Context, rule: Rule, index: int, a: NormalAction) -> dict[str, JsonValue]:
    """A notification as the flow's *Send Email* core action (``emailSimple``)."""
    audience, who, subject, body = _notification(rule, index, a)
    recipient: dict[str, JsonValue]
    if audience == "requester":
        recipient = {"elementReference": "$Record.ContactId"}
    elif audience == "agent" and who in ("assignee_id", "{!$Record.OwnerId}"):
        recipient = {"elementReference": "$Record.OwnerId"}
    elif audience == "agent" and (who.isdigit() or who.startswith("005")):
        recipient = {"stringValue": str(_id_value(ctx, "assignee", who))}
    elif audience == "group":
        raise _Missing("a flow e-mails people, not a queue: name its members by hand")
    else:
        raise _Missing(f"Salesforce has no recipient like {who!r}")
    return {
        "actionName": "emailSimple",
        "actionType": "emailSimple",
        "inputParameters": [
            {"name": "recipientId", "value": recipient},
            {"name": "emailSubject", "value": {"stringValue": _merge_fields(subject)}},
            {"name": "emailBody", "value": {"stringValue": _merge_fields(body)}},
            {"name": "relatedRecordId", "value": {"elementReference": "$Record.Id"}},
        ],
    }


def _sf_action(ctx: _Context, rule: Rule, index: int, a: NormalAction, out: _FlowActions) -> None:
    if a.kind is ActionKind.NOTIFY:
        out.emails.append(_sf_email(ctx, rule, index, a))
        return
    if a.kind is ActionKind.WEBHOOK:
        raise _Missing("outbound calls need a named credential: add them to the flow by hand")
    if a.kind is ActionKind.COMMENT:
        raise _Missing("a flow cannot add an e-mail or comment to a case this way")
    if a.kind is ActionKind.REMOVE_TAGS:
        raise _Missing(f"a flow cannot take words out of {sf_rules.TAGS_FIELD} this way")
    if a.kind in (ActionKind.ADD_TAGS, ActionKind.SET_TAGS):
        words = " ".join(str(w) for w in _flat(a.value))
        if a.kind is ActionKind.SET_TAGS:
            value: dict[str, JsonValue] = {"stringValue": words}
        else:
            name = f"Cemigrate_Tags_{len(out.formulas) + 1}"
            out.formulas.append(
                {
                    "name": name,
                    "dataType": "String",
                    "expression": sf_rules.add_tags_formula(words),
                }
            )
            value = {"elementReference": name}
        out.assignments.append({"field": sf_rules.TAGS_FIELD, "value": value})
        return
    if a.kind is ActionKind.OTHER:
        raise _Missing(f"Salesforce has no action {a.source_field!r}")
    if a.field in ("requester", "organization", "subject", "description", "tags"):
        raise _Missing(f"migrated flows do not set {a.field!r}")
    field = _sf_field(ctx, a.field)
    out.assignments.append({"field": field, "value": _flow_value(_sf_value(ctx, a.field, a.value))})


def _filter_logic(all_counts: list[int], any_counts: list[int]) -> str:
    """``and``, ``or``, or ``1 AND 2 AND (3 OR 4)`` for the filters in order."""
    if not any_counts:
        return "and"
    if not all_counts:
        return "or"
    number = 0
    all_terms: list[str] = []
    for n in all_counts:
        all_terms += [str(number + i + 1) for i in range(n)]
        number += n
    any_terms = [str(number + i + 1) for i in range(sum(any_counts))]
    return " AND ".join([*all_terms, "(" + " OR ".join(any_terms) + ")"])


def _to_salesforce(normal: NormalRule, ctx: _Context, gaps: list[Gap]) -> Translation:
    rule = normal.rule
    filters_all: list[JsonValue] = []
    filters_any: list[JsonValue] = []
    counts_all: list[int] = []
    counts_any: list[int] = []
    scheduled: list[JsonValue] = []
    for grouped, items in ((False, normal.conditions_all), (True, normal.conditions_any)):
        for c in items:
            try:
                if c.field.startswith("hours_since:"):
                    if grouped:
                        raise _Missing("a time condition must hold for the whole rule")
                    scheduled.append(_sf_schedule(ctx, c, scheduled))
                    continue
                made = _sf_filters(
                    ctx, c, grouped=grouped, created=normal.events == {Event.CREATED}
                )
            except _Missing as exc:
                gaps.append(Gap(part="condition", original=_original_condition(c), reason=str(exc)))
                continue
            (filters_any if grouped else filters_all).extend(made)
            (counts_any if grouped else counts_all).append(len(made))
    if normal.time_based and not scheduled:
        return Translation(
            rule=rule,
            source=ctx.source,
            target=ctx.target,
            status=TranslationStatus.UNTRANSLATED,
            kind="Flow",
            gaps=tuple(gaps),
            reason="a time-based rule needs an 'hours since' condition a flow can wait for",
        )
    done = _FlowActions()
    for index, a in enumerate(normal.actions):
        try:
            _sf_action(ctx, rule, index, a, done)
        except _Missing as exc:
            gaps.append(Gap(part="action", original=_original_action(a), reason=str(exc)))
    elements = [sf_rules.UPDATE_ELEMENT] if done.assignments else []
    elements += [f"Cemigrate_Email_{i + 1}" for i in range(len(done.emails))]
    if not elements:
        return Translation(
            rule=rule,
            source=ctx.source,
            target=ctx.target,
            status=TranslationStatus.UNTRANSLATED,
            kind="Flow",
            gaps=tuple(gaps),
            reason="none of its actions can be expressed in salesforce",
        )
    filters = [*filters_all, *filters_any]
    start: dict[str, JsonValue] = {
        "object": "Case",
        "triggerType": "RecordAfterSave",
        "recordTriggerType": _FLOW_TRIGGERS.get(normal.events, "CreateAndUpdate"),
    }
    if filters:
        start["filterLogic"] = _filter_logic(counts_all, counts_any)
        start["filters"] = filters
    first: dict[str, JsonValue] = {"targetReference": elements[0]}
    if scheduled:
        for path in scheduled:
            assert isinstance(path, dict)
            path["connector"] = first
        start["scheduledPaths"] = scheduled
        start["doesRequireRecordChangedToMeetCriteria"] = True
    else:
        start["connector"] = first
    description = f"Migrated by cemigrate from {ctx.source} {rule.kind} {rule.id}: {rule.title}"
    metadata: dict[str, JsonValue] = {
        "label": rule.title[:255] or rule.id,
        "description": description[:255],
        "processType": "AutoLaunchedFlow",
        "status": "Draft",
        "apiVersion": _FLOW_API_VERSION,
        "start": start,
    }
    following = [*elements[1:], None]
    if done.assignments:
        update: dict[str, JsonValue] = {
            "name": sf_rules.UPDATE_ELEMENT,
            "label": "Update the case",
            "inputReference": "$Record",
            "inputAssignments": done.assignments,
        }
        if following[0] is not None:
            update["connector"] = {"targetReference": following[0]}
        following = following[1:]
        metadata["recordUpdates"] = [update]
    calls: list[JsonValue] = []
    for i, (email, after) in enumerate(zip(done.emails, following, strict=True)):
        call: dict[str, JsonValue] = {
            "name": f"Cemigrate_Email_{i + 1}",
            "label": f"Send e-mail {i + 1}",
            **email,
        }
        if after is not None:
            call["connector"] = {"targetReference": after}
        calls.append(call)
    if calls:
        metadata["actionCalls"] = calls
    if done.formulas:
        metadata["formulas"] = done.formulas
    return Translation(
        rule=rule,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        kind="Flow",
        payload={"FullName": sf_rules.flow_name(rule.title, rule.id), "Metadata": metadata},
        gaps=tuple(gaps),
    )


def _zendesk_payload(
    normal: NormalRule,
    kind: str,
    all_of: list[JsonValue],
    any_of: list[JsonValue],
    actions: list[JsonValue],
) -> dict[str, JsonValue]:
    rule = normal.rule
    if kind == "triggers" and normal.platform in ("freshdesk", "salesforce"):
        if normal.events in ({Event.CREATED}, {Event.UPDATED}):
            event = "Create" if Event.CREATED in normal.events else "Change"
            all_of = [{"field": "update_type", "operator": "is", "value": event}, *all_of]
    elif kind == "triggers":
        kept = [
            {"field": c.field, "operator": c.operator, "value": c.value}
            for c in rule.conditions_all
            if c.field == "update_type"
        ]
        all_of = [*kept, *all_of]
    payload: dict[str, JsonValue] = {"title": rule.title, "active": False}
    if kind == "macros":
        payload["actions"] = actions
        return payload
    payload["conditions"] = {"all": all_of, "any": any_of}
    if kind == "views":
        execution = rule.raw.get("execution")
        if isinstance(execution, dict):
            payload["output"] = {
                "columns": execution.get("columns") or [],
                "group_by": execution.get("group_by"),
                "sort_by": execution.get("sort_by"),
                "sort_order": execution.get("sort_order"),
            }
        return payload
    payload["actions"] = actions
    return payload


def _freshdesk_payload(
    normal: NormalRule,
    kind: str,
    all_of: list[JsonValue],
    any_of: list[JsonValue],
    actions: list[JsonValue],
) -> dict[str, JsonValue]:
    sets: list[JsonValue] = [{"name": "condition_set_1", "match_type": "all", "properties": all_of}]
    if any_of:
        sets.append({"name": "condition_set_2", "match_type": "any", "properties": any_of})
    payload: dict[str, JsonValue] = {
        "name": normal.rule.title,
        "active": False,
        "conditions": sets,
        "actions": actions,
    }
    if len(sets) > 1:
        payload["operator"] = "condition_set_1 and condition_set_2"
    if kind == "4":
        payload["performer"] = {"type": 4}
        payload["events"] = [{"field_name": "ticket_action", "value": "update"}]
    return payload


# --- the report ----------------------------------------------------------------------------


def count_statuses(statuses: Iterable[TranslationStatus]) -> dict[str, int]:
    """How many are translated, partial and untranslated."""
    out = {str(s): 0 for s in TranslationStatus}
    for status in statuses:
        out[str(status)] += 1
    return out


def outcome_markdown(
    heading: str,
    note: str,
    counts: Mapping[str, int],
    outcomes: Iterable[tuple[str, TranslationStatus, str, Sequence[Gap], JsonValue]],
) -> str:
    """A translation report as Markdown: the counts, then per item (its heading, status, why
    it was not translated, each gap, and its original text when not wholly translated)."""
    lines = [
        f"# {heading}",
        "",
        note,
        "",
        "| translated | partial | untranslated |",
        "|---|---|---|",
        f"| {counts['translated']} | {counts['partial']} | {counts['untranslated']} |",
        "",
    ]
    for title, status, reason, gaps, original in outcomes:
        lines.append(f"## {title}: {status}")
        if reason:
            lines.append(f"- not translated: {reason}")
        for gap in gaps:
            lines.append(f"- missing {gap.part} `{gap.original}`: {gap.reason}")
        if status is not TranslationStatus.TRANSLATED and original:
            lines += ["", "```json", json.dumps(original, indent=2, sort_keys=True), "```"]
        lines.append("")
    return "\n".join(lines)


def write_report(
    directory: str | Path, stem: str, content: Mapping[str, JsonValue], markdown: str
) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    as_json = out / f"{stem}.json"
    as_json.write_text(json.dumps(dict(content), indent=2, sort_keys=True), encoding="utf-8")
    as_md = out / f"{stem}.md"
    as_md.write_text(markdown, encoding="utf-8")
    return as_json, as_md


@attrs.frozen(kw_only=True)
class TranslationReport:
    """Every source rule's translation for one target."""

    source: str
    target: str
    translations: tuple[Translation, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many rules are translated, partial and untranslated."""
        return count_statuses(t.status for t in self.translations)

    def as_json(self) -> dict[str, JsonValue]:
        """The report as JSON (``version`` 1)."""
        return {
            "version": 1,
            "source": self.source,
            "target": self.target,
            "active": False,
            "counts": dict(self.counts),
            "rules": [t.as_json() for t in self.translations],
        }

    def markdown(self) -> str:
        """The report as Markdown."""

        def original(rule: Rule) -> JsonValue:
            return {k: rule.raw.get(k) for k in ("conditions", "actions") if k in rule.raw}

        return outcome_markdown(
            f"Rule translation: {self.source} → {self.target}",
            "Every rule is created **inactive**; turn it on after cutover.",
            self.counts,
            (
                (
                    f"{t.rule.title} ({t.rule.kind} {t.rule.id})",
                    t.status,
                    t.reason,
                    t.gaps,
                    original(t.rule),
                )
                for t in self.translations
            ),
        )

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write ``translation.json`` and ``translation.md`` into ``directory``."""
        return write_report(directory, "translation", self.as_json(), self.markdown())


def translation_report(
    rules: Iterable[Rule],
    *,
    source: str,
    target: str,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
    field_names: Mapping[str, str] | None = None,
    options: Options | None = None,
    target_options: Mapping[str, Collection[str]] | None = None,
) -> TranslationReport:
    """Translate every rule of ``source`` for ``target`` and account for each (the arguments
    as :func:`translate` takes them)."""
    return TranslationReport(
        source=source,
        target=target,
        translations=tuple(
            translate(
                r,
                source=source,
                target=target,
                links=links,
                mapping=mapping,
                field_names=field_names,
                options=options,
                target_options=target_options,
            )
            for r in rules
        ),
    )


_PLATFORM_OF_KIND: Final[Mapping[RuleKind, str]] = {
    RuleKind.TRIGGER: "zendesk",
    RuleKind.AUTOMATION: "zendesk",
    RuleKind.MACRO: "zendesk",
    RuleKind.VIEW: "zendesk",
    RuleKind.DISPATCHER: "freshdesk",
    RuleKind.OBSERVER: "freshdesk",
    RuleKind.SUPERVISOR: "freshdesk",
    RuleKind.ASSIGNMENT: "salesforce",
    RuleKind.ESCALATION: "salesforce",
    RuleKind.FLOW: "salesforce",
}


def platform_of(rule: Rule) -> str:
    """The platform a schema rule was read from, by its kind (an SLA policy's by its payload:
    Freshdesk's have ``sla_target``)."""
    if rule.kind in _PLATFORM_OF_KIND:
        return _PLATFORM_OF_KIND[rule.kind]
    return "freshdesk" if "sla_target" in rule.raw else "zendesk"
