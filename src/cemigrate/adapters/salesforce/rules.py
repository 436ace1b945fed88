"""Salesforce rules as record-triggered flows: the vocabulary, both ways.

cemigrate writes a migrated rule into Salesforce as a record-triggered flow on Case, saved as a
**Draft** (inactive): the flow's entry conditions (``start.filters`` and ``filterLogic``) hold
the rule's conditions, one *Update Records* element on ``$Record`` holds its field changes and
assignments, and a time-based rule gets a scheduled path (``N`` hours after the triggering
change, or after ``CreatedDate`` / ``LastModifiedDate``). Assignment and escalation rules can
only assign and notify; a flow can also set the status, priority and custom fields a Zendesk or
Freshdesk rule sets, which is why cemigrate writes flows.

This module is Salesforce's rule dialect (:data:`SALESFORCE_RULES`): it reads a flow's
``Metadata`` (as the Tooling API serves it), and one entry of an assignment or escalation rule
(as the Metadata API serves it), into the normalised model, and writes a rule as a flow.

SLA policies are entitlement processes (Metadata API ``EntitlementProcess`` on Case), written
with ``active`` false; one milestone per metric and priority, whose criteria test
``Case.Priority`` (:data:`SALESFORCE_MILESTONES` names the milestone types). Activation sets
``active`` true. Periodic update, requester wait and agent work time have no milestone
counterpart, and an entitlement process cannot say which cases it applies to (entitlements are
assigned per account or contact): gaps, with the reason. A source org's processes keep their
milestones in metadata cemigrate does not read: they are not translated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar, Final

import attrs

from cemigrate.adapters.salesforce.picklists import DEFAULT_VALUES
from cemigrate.rules.dialect import (
    ID_KINDS,
    Context,
    Missing,
    RuleDialect,
    field_target,
    flat,
    original_action,
    original_condition,
    remap_id,
    remap_option,
)
from cemigrate.rules.model import (
    STATUS_ORDER,
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
)
from cemigrate.rules.sla import (
    METRIC_WORDS,
    SlaScope,
    SlaTranslation,
    target_text,
    untranslated_sla,
    written_sla,
)
from cemigrate.rules.translate import Gap, Translation, untranslated, written
from cemigrate.schema import JsonValue, Priority, Rule, RuleKind, SlaMetric, SlaPolicy

__all__ = [
    "CASE_FIELDS",
    "FILTER_OPERATORS",
    "GROUP_ID_PREFIX",
    "SALESFORCE_MILESTONES",
    "SALESFORCE_RECURRENCE",
    "SALESFORCE_RULES",
    "TAGS_FIELD",
    "UPDATE_ELEMENT",
    "SalesforceRules",
    "add_tags_formula",
    "case_value",
    "entitlement_process_full_name",
    "entitlement_process_name",
    "flow_name",
    "normalise_entry",
    "normalise_flow",
    "schema_value",
]

CASE_FIELDS: Final[Mapping[str, str]] = {
    "status": "Status",
    "priority": "Priority",
    "type": "Type",
    "channel": "Origin",
    "group": "OwnerId",
    "assignee": "OwnerId",
    "requester": "ContactId",
    "organization": "AccountId",
    "subject": "Subject",
    "description": "Description",
    "tags": "Cemigrate_Tags__c",
}
"""Normal field → the Case field a flow tests or sets (groups are queues: both own a case)."""

TAGS_FIELD: Final = "Cemigrate_Tags__c"
"""Where cemigrate keeps a case's tags (space-separated; created by the target's prepare)."""

GROUP_ID_PREFIX: Final = "00G"
"""The key prefix of Group ids (queues): an ``OwnerId`` with it is a group, else an agent."""

UPDATE_ELEMENT: Final = "Cemigrate_Update"
"""The name of the one *Update Records* element a migrated flow has."""

FILTER_OPERATORS: Final[Mapping[str, str]] = {
    "is": "EqualTo",
    "is_not": "NotEqualTo",
    "includes": "Contains",
    "contains": "Contains",
    "starts_with": "StartsWith",
    "ends_with": "EndsWith",
    "greater_than": "GreaterThan",
    "less_than": "LessThan",
}
"""Normal operator → flow record filter operator (``changed``, ``present`` are built apart)."""

_READ_OPERATORS: Final[Mapping[str, str]] = {
    "EqualTo": "is",
    "NotEqualTo": "is_not",
    "Contains": "contains",
    "StartsWith": "starts_with",
    "EndsWith": "ends_with",
    "GreaterThan": "greater_than",
    "LessThan": "less_than",
    "GreaterThanOrEqualTo": "greater_than_or_equal",
    "LessThanOrEqualTo": "less_than_or_equal",
}
_READ_FIELDS: Final[Mapping[str, str]] = {
    v: k for k, v in CASE_FIELDS.items() if k not in ("group", "assignee")
}
_PICKLISTS: Final[frozenset[str]] = frozenset({"status", "priority", "type", "channel"})
_TIME_FIELDS: Final[Mapping[str, str]] = {"CreatedDate": "created", "LastModifiedDate": "updated"}
_PATH_NAME = re.compile(r"^Hours_Since_([A-Za-z_]+?)(?:_\d+)?$")


def case_value(field: str, value: str, values: Mapping[str, Mapping[str, str]]) -> str:
    """A schema status, priority, type or channel as the Case picklist value: the mapping's
    table first (``values``), then cemigrate's defaults; other values as they are."""
    mapped = values.get(field, {}).get(value)
    if mapped:
        return mapped
    return DEFAULT_VALUES.get(field, {}).get(value.lower(), value)


def schema_value(field: str, value: str) -> str:
    """A Case picklist value read back as the schema's (``Resolved`` → ``solved``)."""
    table = {v.lower(): k for k, v in DEFAULT_VALUES.get(field, {}).items()}
    return table.get(value.lower(), value.lower())


def flow_name(title: str, rule_id: str) -> str:
    """A flow API name for a migrated rule: letters, digits and single underscores, starting
    with a letter, at most 80 characters, unique by the source rule's id."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", title) if w]
    ident = "_".join(w for w in re.split(r"[^A-Za-z0-9]+", rule_id) if w) or "0"
    head = "_".join(words)[: 80 - len("Cemigrate__") - len(ident)].strip("_")
    return "_".join(p for p in ("Cemigrate", head, ident) if p)


def add_tags_formula(words: str) -> str:
    """The flow formula that appends ``words`` to a case's tags."""
    return f'TRIM({{!$Record.{TAGS_FIELD}}} & " {words}")'


_ADD_TAGS = re.compile(r"^TRIM\(\{!\$Record\." + TAGS_FIELD + r'\} & " (?P<words>[^"]*)"\)$')
_MERGE_FIELDS: Final[Mapping[str, str]] = {
    "{!$Record.Subject}": "{{ticket.title}}",
    "{!$Record.CaseNumber}": "{{ticket.id}}",
    "{!$Record.Status}": "{{ticket.status}}",
    "{!$Record.Priority}": "{{ticket.priority}}",
}
_RECIPIENTS: Final[Mapping[str, str]] = {
    "$Record.ContactId": "requester_id",
    "$Record.OwnerId": "assignee_id",
}


# --- reading a flow ------------------------------------------------------------------------


def _scalar(value: JsonValue) -> JsonValue:
    """A flow value (``{"stringValue": ...}``, ...) as a plain value."""
    if not isinstance(value, Mapping):
        return value
    for key in ("stringValue", "numberValue", "booleanValue", "dateTimeValue", "dateValue"):
        if key in value:
            return value[key]
    ref = value.get("elementReference")
    return None if ref is None else f"{{!{ref}}}"


def _field_of(name: str, value: JsonValue) -> str:
    if name == "OwnerId":
        return "group" if str(value or "").startswith(GROUP_ID_PREFIX) else "assignee"
    if name in _READ_FIELDS:
        return _READ_FIELDS[name]
    if name.endswith("__c"):
        return f"custom:Case.{name}"
    return f"salesforce:{name}"


def _read_value(field: str, value: JsonValue) -> JsonValue:
    if field in _PICKLISTS and isinstance(value, str):
        return schema_value(field, value)
    if field == "tags":
        words = str(value or "").split()
        return [*sorted({w.lower() for w in words})]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _filter(item: Mapping[str, JsonValue]) -> NormalCondition:
    name = str(item.get("field") or "")
    raw = _scalar(item.get("value"))
    operator = str(item.get("operator") or "")
    field = _field_of(name, raw)
    if operator == "IsChanged":
        return NormalCondition(field=field, operator="changed", value=None, source_field=name)
    if operator == "IsNull":
        op = "not_present" if raw in (True, "true") else "present"
        return NormalCondition(field=field, operator=op, value=None, source_field=name)
    op = _READ_OPERATORS.get(operator, operator)
    if field == "tags" and op == "contains":
        op = "includes"
    return NormalCondition(
        field=field, operator=op, value=_read_value(field, raw), source_field=name
    )


def _split_top(text: str, word: str) -> list[str]:
    """``text`` split on `` word `` outside parentheses."""
    parts, depth, start = [], 0, 0
    token = f" {word} "
    upper = text.upper()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and upper.startswith(token, i):
            parts.append(text[start:i])
            i += len(token)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _unwrap(text: str) -> str:
    """``text`` without parentheses that enclose all of it (``(1 OR 2)`` → ``1 OR 2``)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and i < len(text) - 1:
                return text  # the first group closes before the end: "(1) AND (2)"
        text = text[1:-1].strip()
    return text


def _groups(logic: str, count: int) -> tuple[list[int], list[int]]:
    """Filter positions (0-based) under *all* and under *any* from a flow's ``filterLogic``:
    ``and``, ``or``, or ``1 AND 2 AND (3 OR 4)`` as cemigrate writes it."""
    everything = list(range(count))
    word = logic.strip().lower()
    if word in ("", "and"):
        return everything, []
    if word == "or":
        return [], everything
    all_of: list[int] = []
    any_of: list[int] = []
    for part in _split_top(_unwrap(logic), "AND"):
        inner = _unwrap(part)
        alternatives = _split_top(inner, "OR")
        if len(alternatives) > 1 or (part.startswith("(") and inner.isdigit()):
            numbers = [_unwrap(n) for n in alternatives]  # "1 AND (2)" as written: any
            any_of.extend(int(n) - 1 for n in numbers if n.isdigit() and 0 < int(n) <= count)
        else:
            numbers = [_unwrap(n) for n in _split_top(inner, "AND")]
            all_of.extend(int(n) - 1 for n in numbers if n.isdigit() and 0 < int(n) <= count)
    return all_of, any_of


def _fold_changes(items: Sequence[NormalCondition]) -> list[NormalCondition]:
    """``IsChanged`` and ``EqualTo`` on one field read as ``changed_to`` (how it is written)."""
    out: list[NormalCondition] = []
    changed = {c.field for c in items if c.operator == "changed"}
    equal = {c.field for c in items if c.operator == "is"}
    for c in items:
        if c.operator == "changed" and c.field in equal:
            continue
        if c.operator == "is" and c.field in changed:
            c = NormalCondition(
                field=c.field, operator="changed_to", value=c.value, source_field=c.source_field
            )
        out.append(c)
    return out


def _time_condition(path: Mapping[str, JsonValue]) -> NormalCondition:
    hours = path.get("offsetNumber")
    unit = str(path.get("offsetUnit") or "Hours")
    number = int(hours) if isinstance(hours, int | float) else 0
    if unit.lower().startswith("day"):
        number *= 24
    since = "trigger"
    match = _PATH_NAME.match(str(path.get("name") or ""))
    if match:
        since = match.group(1).lower()
    elif str(path.get("timeSource")) == "RecordField":
        since = _TIME_FIELDS.get(str(path.get("recordField")), str(path.get("recordField")))
    return NormalCondition(
        field=f"hours_since:{since}",
        operator="is",
        value=str(number),
        source_field=str(path.get("name") or "scheduledPath"),
    )


def _items(metadata: Mapping[str, JsonValue], key: str) -> list[Mapping[str, JsonValue]]:
    found = metadata.get(key)
    return [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []


def _assignment(item: Mapping[str, JsonValue], formulas: Mapping[str, str]) -> NormalAction:
    name = str(item.get("field") or "")
    value = item.get("value")
    ref = value.get("elementReference") if isinstance(value, Mapping) else None
    if name == TAGS_FIELD:
        expression = formulas.get(str(ref), "") if ref is not None else ""
        added = _ADD_TAGS.match(expression)
        if added:
            return NormalAction(
                kind=ActionKind.ADD_TAGS,
                field="tags",
                value=_read_value("tags", added.group("words")),
                source_field=name,
            )
        if ref is None:
            return NormalAction(
                kind=ActionKind.SET_TAGS,
                field="tags",
                value=_read_value("tags", _scalar(value)),
                source_field=name,
            )
    raw = _scalar(value)
    field = _field_of(name, raw)
    kind = {"group": ActionKind.ASSIGN_GROUP, "assignee": ActionKind.ASSIGN_AGENT}.get(
        field, ActionKind.SET_FIELD
    )
    return NormalAction(kind=kind, field=field, value=_read_value(field, raw), source_field=name)


def _unmerge(text: str) -> str:
    for merge, placeholder in _MERGE_FIELDS.items():
        text = text.replace(merge, placeholder)
    return text


def _email(call: Mapping[str, JsonValue]) -> NormalAction:
    """A *Send Email* action as a notification ``[recipient, subject, body]``."""
    params = {str(p.get("name")): p.get("value") for p in _items(call, "inputParameters")}
    recipient = params.get("recipientId")
    ref = recipient.get("elementReference") if isinstance(recipient, Mapping) else None
    who = _RECIPIENTS.get(str(ref), str(ref)) if ref is not None else str(_scalar(recipient))
    subject = _unmerge(str(_scalar(params.get("emailSubject")) or ""))
    body = _unmerge(str(_scalar(params.get("emailBody")) or ""))
    return NormalAction(
        kind=ActionKind.NOTIFY,
        field="notify",
        value=[who, subject, body],
        source_field="notification_user",
    )


def _actions(metadata: Mapping[str, JsonValue]) -> list[NormalAction]:
    """The flow's actions, following its elements from the start (assignments, e-mails)."""
    formulas = {
        str(f.get("name")): str(f.get("expression") or "") for f in _items(metadata, "formulas")
    }
    out: list[NormalAction] = []
    for update in _items(metadata, "recordUpdates"):
        if update.get("inputReference") == "$Record":
            out += [_assignment(i, formulas) for i in _items(update, "inputAssignments")]
    for call in _items(metadata, "actionCalls"):
        if call.get("actionType") == "emailSimple":
            out.append(_email(call))
        else:
            name = str(call.get("actionName") or call.get("actionType") or "action")
            out.append(
                NormalAction(kind=ActionKind.OTHER, field=f"salesforce:{name}", source_field=name)
            )
    return out


def normalise_flow(rule: Rule) -> NormalRule:
    """A record-triggered flow (``rule.raw["Metadata"]``) in the common vocabulary."""
    raw = rule.raw.get("Metadata")
    metadata: Mapping[str, JsonValue] = raw if isinstance(raw, Mapping) else {}
    start_raw = metadata.get("start")
    start: Mapping[str, JsonValue] = start_raw if isinstance(start_raw, Mapping) else {}
    trigger = str(start.get("recordTriggerType") or "CreateAndUpdate")
    events = {
        "Create": frozenset({Event.CREATED}),
        "Update": frozenset({Event.UPDATED}),
    }.get(trigger, frozenset({Event.CREATED, Event.UPDATED}))
    filters_raw = start.get("filters")
    filters = [
        _filter(f)
        for f in (filters_raw if isinstance(filters_raw, list) else [])
        if isinstance(f, Mapping)
    ]
    all_idx, any_idx = _groups(str(start.get("filterLogic") or "and"), len(filters))
    all_of = _fold_changes([filters[i] for i in all_idx])
    any_of = [filters[i] for i in any_idx]
    paths = start.get("scheduledPaths")
    if isinstance(paths, list) and paths:
        events = frozenset({Event.TIME_BASED})
        all_of += [_time_condition(p) for p in paths if isinstance(p, Mapping)]
    return NormalRule(
        rule=rule,
        platform="salesforce",
        events=events,
        conditions_all=tuple(all_of),
        conditions_any=tuple(any_of),
        actions=tuple(_actions(metadata)),
    )


# --- reading an assignment or escalation rule entry ----------------------------------------

_CRITERIA_OPERATORS: Final[Mapping[str, str]] = {
    "equals": "is",
    "notEqual": "is_not",
    "lessThan": "less_than",
    "greaterThan": "greater_than",
    "lessOrEqual": "less_than_or_equal",
    "greaterOrEqual": "greater_than_or_equal",
    "contains": "contains",
    "notContain": "not_contains",
    "startsWith": "starts_with",
    "includes": "includes",
    "excludes": "not_includes",
}
"""Metadata ``FilterItem.operation`` → normal operator (``within`` is kept as it is)."""
_START_TIMES: Final[Mapping[str, str]] = {
    "CaseCreation": "created",
    "CaseLastModified": "updated",
}
"""``escalationStartTime`` → what an escalation's hours count from."""


def _criteria(item: Mapping[str, JsonValue]) -> NormalCondition:
    """A criteria item (``Case.Status equals New,Working``) as a normal condition; a list of
    values (comma-separated) reads as a list."""
    name = str(item.get("field") or "").split(".", 1)[-1]
    text = str(item.get("value") or "")
    field = _field_of(name, text)
    op = str(item.get("operation") or "")
    operator = _CRITERIA_OPERATORS.get(op, op)
    if field == "tags" and operator == "contains":
        operator = "includes"
    parts = [p.strip() for p in text.split(",")] if "," in text else [text]
    values = [_read_value(field, p) for p in parts]
    value: JsonValue = values[0] if len(values) == 1 else values
    return NormalCondition(
        field=field, operator=operator, value=value, source_field=str(item.get("field") or "")
    )


def _owner(item: Mapping[str, JsonValue]) -> NormalAction:
    """``assignedTo`` as an assignment to a queue (group) or a user (agent): the id the source
    resolved (``assignedToId``), else the name as Salesforce gives it."""
    value = item.get("assignedToId") or item.get("assignedTo")
    queue = str(item.get("assignedToType") or "") == "Queue"
    return NormalAction(
        kind=ActionKind.ASSIGN_GROUP if queue else ActionKind.ASSIGN_AGENT,
        field="group" if queue else "assignee",
        value=None if value is None else str(value),
        source_field="assignedTo",
    )


def _notice(who: str, template: JsonValue) -> NormalAction:
    """An e-mail Salesforce sends with one of its templates (translations report it: the
    template lives in Salesforce)."""
    return NormalAction(
        kind=ActionKind.NOTIFY,
        field="notify",
        value=[who, "", str(template or "")],
        source_field="salesforce_template",
    )


def normalise_entry(rule: Rule) -> NormalRule:
    """One entry of an assignment or escalation rule (``rule.raw["entry"]``, as the source
    reads it, one schema rule per entry) in the common vocabulary.

    An assignment entry runs when a case is created; its criteria are its conditions
    (``booleanFilter`` split into *all* and *any* as a flow's ``filterLogic``; a ``formula``
    becomes a ``salesforce:formula`` condition) and it assigns the case to its queue or user,
    and e-mails the new owner when it names a ``template``. An escalation entry is time-based:
    ``hours_since:created`` (``CaseCreation``) or ``hours_since:updated``
    (``CaseLastModified``) is at least its first action's ``minutesToEscalation`` in hours;
    that action's reassignment and notifications are the actions, and each later action (a
    later escalation step) is an ``other`` action naming its minutes."""
    raw = rule.raw.get("entry")
    entry: Mapping[str, JsonValue] = raw if isinstance(raw, Mapping) else {}
    items_raw = entry.get("criteriaItems")
    items = [
        i for i in (items_raw if isinstance(items_raw, list) else []) if isinstance(i, Mapping)
    ]
    criteria = [_criteria(i) for i in items]
    all_idx, any_idx = _groups(str(entry.get("booleanFilter") or "and"), len(criteria))
    all_of = [criteria[i] for i in all_idx]
    any_of = [criteria[i] for i in any_idx]
    if entry.get("formula"):
        all_of.append(
            NormalCondition(
                field="salesforce:formula",
                operator="is",
                value=str(entry.get("formula")),
                source_field="formula",
            )
        )
    actions: list[NormalAction] = []
    if rule.kind is RuleKind.ESCALATION:
        events = frozenset({Event.TIME_BASED})
        steps_raw = entry.get("escalationAction")
        steps = [
            s for s in (steps_raw if isinstance(steps_raw, list) else []) if isinstance(s, Mapping)
        ]
        start = str(entry.get("escalationStartTime") or "CaseCreation")
        since = _START_TIMES.get(start, start.lower())
        if steps:
            first = steps[0]
            minutes = first.get("minutesToEscalation")
            hours = float(str(minutes)) / 60 if str(minutes or "").strip() else 0.0
            all_of.append(
                NormalCondition(
                    field=f"hours_since:{since}",
                    operator="is",
                    value=str(int(hours)) if hours.is_integer() else str(round(hours, 2)),
                    source_field="minutesToEscalation",
                )
            )
            if first.get("assignedTo"):
                actions.append(_owner(first))
            if first.get("notifyTo"):
                actions.append(_notice(str(first.get("notifyTo")), first.get("notifyToTemplate")))
            if str(first.get("notifyCaseOwner") or "").lower() == "true":
                actions.append(_notice("assignee_id", first.get("notifyToTemplate")))
            for later in steps[1:]:
                actions.append(
                    NormalAction(
                        kind=ActionKind.OTHER,
                        field="salesforce:escalationAction",
                        value=str(later.get("minutesToEscalation") or ""),
                        source_field="escalationAction",
                    )
                )
    else:
        events = frozenset({Event.CREATED})
        if entry.get("assignedTo"):
            actions.append(_owner(entry))
        if entry.get("template"):
            actions.append(_notice("assignee_id", entry.get("template")))
    return NormalRule(
        rule=rule,
        platform="salesforce",
        events=events,
        conditions_all=tuple(all_of),
        conditions_any=tuple(any_of),
        actions=tuple(actions),
    )


_OPAQUE_EVENTS: Final[Mapping[RuleKind, Event]] = {
    RuleKind.ASSIGNMENT: Event.CREATED,
    RuleKind.ESCALATION: Event.TIME_BASED,
}


def _opaque(rule: Rule, platform: str) -> NormalRule:
    """Assignment and escalation rules read without their entries (the org refused
    ``readMetadata``): only when they run is known (the payload stays in ``raw``)."""
    event = _OPAQUE_EVENTS.get(rule.kind, Event.MANUAL)
    return NormalRule(
        rule=rule,
        platform=platform,
        events=frozenset({event}),
        conditions_all=(),
        conditions_any=(),
        actions=(),
        opaque=True,
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


def _sf_value(ctx: Context, field: str, value: JsonValue) -> JsonValue:
    """A value as the Case holds it: ids remapped, picklist values through the mapping."""
    if isinstance(value, list):
        values = flat(value)
        if len(values) != 1:
            raise Missing("a Salesforce filter tests one value; this tests " + json.dumps(value))
        value = values[0]
    if field.startswith("custom:"):
        return remap_option(ctx, field.removeprefix("custom:"), value)
    if field in ID_KINDS:
        return remap_id(ctx, field, value)
    if field in ("status", "priority", "type", "channel") and isinstance(value, str):
        return case_value(field, value, ctx.values)
    return value


def _sf_field(ctx: Context, field: str) -> str:
    if field.startswith("custom:"):
        target = field_target(ctx, field.removeprefix("custom:"))
        return (field.removeprefix("custom:") if target is None else target).rpartition(".")[2]
    prefix, _, name = field.partition(":")
    if prefix == "salesforce":
        if ctx.same_platform:
            return name
        raise Missing(f"salesforce's {name!r} has no equivalent")
    if prefix in ("zendesk", "freshdesk", "hours_since"):
        raise Missing(f"{prefix}'s {name!r} has no Salesforce equivalent")
    if field not in CASE_FIELDS:
        raise Missing(f"Salesforce flows on Case cannot test or set {field!r}")
    return CASE_FIELDS[field]


def _sf_filters(
    ctx: Context, c: NormalCondition, *, grouped: bool, created: bool
) -> list[JsonValue]:
    """The flow filters for one condition (``changed_to`` is two: changed, and equal). On a
    flow that runs on creation only, Salesforce refuses ``IsChanged``: every value is new, so
    ``changed to v`` is ``equal to v`` and ``changed`` cannot be said."""
    field = _sf_field(ctx, c.field)
    operator = c.operator
    if created and operator == "changed":
        raise Missing("on creation every value is new: a flow cannot test that it changed")
    if created and operator == "changed_to":
        operator = "is"
    if operator == "changed":
        return [{"field": field, "operator": "IsChanged", "value": {"booleanValue": True}}]
    if operator in ("present", "not_present"):
        null = operator == "not_present"
        return [{"field": field, "operator": "IsNull", "value": {"booleanValue": null}}]
    if operator == "changed_to":
        if grouped:
            raise Missing("a flow's 'any' conditions cannot test a change to a value")
        value = _sf_value(ctx, c.field, c.value)
        return [
            {"field": field, "operator": "IsChanged", "value": {"booleanValue": True}},
            {"field": field, "operator": "EqualTo", "value": _flow_value(value)},
        ]
    flow_operator = FILTER_OPERATORS.get(operator)
    if flow_operator is None:
        raise Missing(f"Salesforce flow filters have no operator {c.operator!r}")
    if c.field in ("status", "priority") and operator in ("greater_than", "less_than"):
        raise Missing("Salesforce compares picklist values as text, not in their order")
    value = _sf_value(ctx, c.field, c.value)
    return [{"field": field, "operator": flow_operator, "value": _flow_value(value)}]


def _sf_schedule(
    ctx: Context, c: NormalCondition, scheduled: list[JsonValue]
) -> dict[str, JsonValue]:
    """A time condition (``hours since X is N``) as the flow's scheduled path."""
    since = c.field.removeprefix("hours_since:")
    if scheduled:
        raise Missing(
            "a flow runs one scheduled path per rule here; the first time condition is kept"
        )
    if c.operator not in ("is", "greater_than"):
        raise Missing(f"a scheduled path runs N hours after; {c.operator!r} has no equivalent")
    try:
        hours = int(str(c.value))
    except ValueError:
        raise Missing(f"{c.value!r} is not a number of hours") from None
    path: dict[str, JsonValue] = {
        "name": "Hours_Since_" + "_".join(w.capitalize() for w in since.split("_")),
        "label": f"{hours} hours after {since.replace('_', ' ')}",
        "offsetNumber": hours,
        "offsetUnit": "Hours",
    }
    if since in _FLOW_TIME_FIELDS:
        path["timeSource"] = "RecordField"
        path["recordField"] = _FLOW_TIME_FIELDS[since]
    elif since in STATUS_ORDER:
        path["timeSource"] = "RecordTriggerEvent"  # when the case came to meet the conditions
    else:
        raise Missing(f"a flow cannot wait for 'hours since {since}'")
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


def _sf_email(ctx: Context, rule: Rule, index: int, a: NormalAction) -> dict[str, JsonValue]:
    """A notification as the flow's *Send Email* core action (``emailSimple``)."""
    note = ctx.reader.notification(rule, index, a)
    audience, who, subject, body = note.audience, note.who, note.subject, note.body
    recipient: dict[str, JsonValue]
    if audience == "requester":
        recipient = {"elementReference": "$Record.ContactId"}
    elif audience == "agent" and who in ("assignee_id", "{!$Record.OwnerId}"):
        recipient = {"elementReference": "$Record.OwnerId"}
    elif audience == "agent" and (who.isdigit() or who.startswith("005")):
        recipient = {"stringValue": str(remap_id(ctx, "assignee", who))}
    elif audience == "group":
        raise Missing("a flow e-mails people, not a queue: name its members by hand")
    else:
        raise Missing(f"Salesforce has no recipient like {who!r}")
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


def _sf_action(ctx: Context, rule: Rule, index: int, a: NormalAction, out: _FlowActions) -> None:
    if a.kind is ActionKind.NOTIFY:
        out.emails.append(_sf_email(ctx, rule, index, a))
        return
    if a.kind is ActionKind.WEBHOOK:
        raise Missing("outbound calls need a named credential: add them to the flow by hand")
    if a.kind is ActionKind.COMMENT:
        raise Missing("a flow cannot add an e-mail or comment to a case this way")
    if a.kind is ActionKind.REMOVE_TAGS:
        raise Missing(f"a flow cannot take words out of {TAGS_FIELD} this way")
    if a.kind in (ActionKind.ADD_TAGS, ActionKind.SET_TAGS):
        words = " ".join(str(w) for w in flat(a.value))
        if a.kind is ActionKind.SET_TAGS:
            value: dict[str, JsonValue] = {"stringValue": words}
        else:
            name = f"Cemigrate_Tags_{len(out.formulas) + 1}"
            out.formulas.append(
                {
                    "name": name,
                    "dataType": "String",
                    "expression": add_tags_formula(words),
                }
            )
            value = {"elementReference": name}
        out.assignments.append({"field": TAGS_FIELD, "value": value})
        return
    if a.kind is ActionKind.OTHER:
        raise Missing(f"Salesforce has no action {a.source_field!r}")
    if a.field in ("requester", "organization", "subject", "description", "tags"):
        raise Missing(f"migrated flows do not set {a.field!r}")
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


def _to_salesforce(normal: NormalRule, ctx: Context, gaps: list[Gap]) -> Translation:
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
                        raise Missing("a time condition must hold for the whole rule")
                    scheduled.append(_sf_schedule(ctx, c, scheduled))
                    continue
                made = _sf_filters(
                    ctx, c, grouped=grouped, created=normal.events == {Event.CREATED}
                )
            except Missing as exc:
                gaps.append(Gap(part="condition", original=original_condition(c), reason=str(exc)))
                continue
            (filters_any if grouped else filters_all).extend(made)
            (counts_any if grouped else counts_all).append(len(made))
    if normal.time_based and not scheduled:
        reason = "a time-based rule needs an 'hours since' condition a flow can wait for"
        return untranslated(normal, ctx, reason, kind="Flow", gaps=gaps)
    done = _FlowActions()
    for index, a in enumerate(normal.actions):
        try:
            _sf_action(ctx, rule, index, a, done)
        except Missing as exc:
            gaps.append(Gap(part="action", original=original_action(a), reason=str(exc)))
    elements = [UPDATE_ELEMENT] if done.assignments else []
    elements += [f"Cemigrate_Email_{i + 1}" for i in range(len(done.emails))]
    if not elements:
        reason = "none of its actions can be expressed in salesforce"
        return untranslated(normal, ctx, reason, kind="Flow", gaps=gaps)
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
            "name": UPDATE_ELEMENT,
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
    payload: dict[str, JsonValue] = {
        "FullName": flow_name(rule.title, rule.id),
        "Metadata": metadata,
    }
    return written(normal, ctx, "Flow", payload, gaps)


# --- Salesforce: entitlement processes ------------------------------------------------------

SALESFORCE_MILESTONES: Final[Mapping[SlaMetric, tuple[str, ...]]] = {
    SlaMetric.FIRST_REPLY_TIME: ("First Response", "First Response Time"),
    SlaMetric.NEXT_REPLY_TIME: ("Next Response", "Next Response Time"),
    SlaMetric.RESOLUTION_TIME: ("Resolution", "Resolution Time"),
}
"""Metric → the ``MilestoneType`` names that measure it: the first is the one cemigrate
creates, the others are adopted when the org already has them."""
SALESFORCE_RECURRENCE: Final[Mapping[str, str]] = {"Next Response": "recursChained"}
"""``RecurrenceType`` of a milestone type cemigrate creates (``none`` when absent): the next
reply is due again after each reply, a sequential recurrence."""
SALESFORCE_METADATA_NAME_LENGTH: Final = 80
"""Longest entitlement process name cemigrate writes."""
_SALESFORCE_NO_MILESTONE: Final = (
    "Salesforce has no standard milestone for {what}: a milestone only counts the time "
    "until something marks it complete, and no entitlement process setting can tell when "
    "{what} is met (add a milestone type and a flow that completes it by hand)"
)
_SALESFORCE_CRITERIA: Final[Mapping[str, str]] = {"type": "Type", "status": "Status"}
"""Normal fields a milestone's criteria can test (``Case.<field> equals <picklist value>``)."""
_SALESFORCE_OPERATIONS: Final[Mapping[str, str]] = {"is": "equals", "is_not": "notEqual"}


def entitlement_process_name(title: str) -> str:
    """The name of the entitlement process for a policy title: letters, digits, spaces,
    ``_`` and ``-`` (others become spaces), at most 80 characters."""
    plain = re.sub(r"[^A-Za-z0-9 _-]+", " ", title)
    return " ".join(plain.split())[:SALESFORCE_METADATA_NAME_LENGTH].strip() or "SLA policy"


def entitlement_process_full_name(title: str) -> str:
    """The Metadata API ``fullName`` of the process: its name in lower case, as Salesforce
    keeps it (``SlaProcess.NameNorm``; without entitlement versioning, no ``_vN`` suffix)."""
    return entitlement_process_name(title).lower()


def _salesforce_priority(ctx: Context, priority: Priority) -> str:
    return case_value("priority", str(priority), ctx.values)


def _entitlement_process(policy: SlaPolicy, scope: SlaScope, ctx: Context) -> SlaTranslation:
    """An entitlement process on Case, inactive, with one milestone per metric and priority;
    the milestone's criteria test ``Case.Priority`` (and what of the policy's filter a case
    field can say)."""
    gaps: list[Gap] = []
    criteria = _salesforce_criteria(scope, ctx, gaps)
    milestones: list[JsonValue] = []
    seen: dict[tuple[str, str], str] = {}
    calendar: list[str] = []
    for t in policy.targets:
        original = target_text(t.priority, t.metric, t.minutes, t.business_hours)
        names = SALESFORCE_MILESTONES.get(t.metric)
        if names is None:
            reason = _SALESFORCE_NO_MILESTONE.format(what=METRIC_WORDS.get(t.metric, str(t.metric)))
            gaps.append(Gap(part="target", original=original, reason=reason))
            continue
        if t.minutes <= 0:
            gaps.append(
                Gap(part="target", original=original, reason="a milestone needs at least 1 minute")
            )
            continue
        priority = _salesforce_priority(ctx, t.priority)
        if (priority, names[0]) in seen:
            gaps.append(
                Gap(
                    part="target",
                    original=original,
                    reason=f"the mapping gives Salesforce priority {priority} twice; "
                    f"kept {seen[(priority, names[0])]}",
                )
            )
            continue
        seen[(priority, names[0])] = original
        if not t.business_hours:
            calendar.append(original)
        milestones.append(
            {
                "milestoneName": names[0],
                "minutesToComplete": t.minutes,
                "milestoneCriteriaFilterItems": [
                    {"field": "Case.Priority", "operation": "equals", "value": priority},
                    *criteria,
                ],
                "useCriteriaStartTime": False,
            }
        )
    if calendar:
        gaps.append(
            Gap(
                part="target",
                original="; ".join(calendar),
                reason="measured in calendar hours: the milestones count the entitlement "
                "process's business hours (the org's default business hours, 24/7 in a new "
                "org); set 24/7 business hours on these milestones if the default differs",
            )
        )
    if not milestones:
        reason = (
            "none of its targets can be expressed as a Salesforce milestone"
            if policy.targets
            else "it has no targets"
        )
        return untranslated_sla(policy, ctx, reason, gaps)
    if scope.escalation:
        gaps.append(
            Gap(
                part="escalation",
                original=scope.escalation,
                reason="a milestone escalates through its time triggers (violation actions), "
                "which cemigrate does not write: add them to the milestones",
            )
        )
    name = entitlement_process_name(policy.title)
    payload: dict[str, JsonValue] = {
        "fullName": entitlement_process_full_name(policy.title),
        "name": name,
        "description": policy.description or None,
        "active": False,
        "SObjectType": "Case",
        "milestones": milestones,
    }
    return written_sla(policy, ctx, {k: v for k, v in payload.items() if v is not None}, gaps)


def _salesforce_criteria(scope: SlaScope, ctx: Context, gaps: list[Gap]) -> list[JsonValue]:
    """What of the policy's filter each milestone's criteria can test; the rest are gaps
    (an entitlement process applies to the cases whose entitlement names it)."""
    conditions: list[tuple[str, NormalCondition]] = [
        (
            listed.original,
            NormalCondition(
                field=listed.field,
                operator="is",
                value=list(listed.values),
                source_field=listed.key,
            ),
        )
        for listed in scope.lists
    ]
    conditions += [(original_condition(c), c) for c in scope.all_of]
    if len(scope.any_of) == 1:
        conditions += [(original_condition(c), c) for c in scope.any_of]
    elif scope.any_of:
        gaps.append(
            Gap(
                part="filter",
                original=" OR ".join(original_condition(c) for c in scope.any_of),
                reason="a milestone's criteria here are all ANDed: cemigrate writes no "
                "criteria logic for 'any' conditions",
            )
        )
    out: list[JsonValue] = []
    for original, c in conditions:
        try:
            out.append(_salesforce_item(ctx, c))
        except Missing as exc:
            gaps.append(Gap(part="filter", original=original, reason=str(exc)))
    return out


def _salesforce_item(ctx: Context, c: NormalCondition) -> dict[str, JsonValue]:
    """One policy filter condition as a milestone criteria filter item."""
    if c.field == "organization":
        try:
            accounts = remap_id(ctx, "organization", c.value)
        except Missing as exc:
            accounts = f"(not migrated: {exc})"
        raise Missing(
            "an entitlement process cannot test the account: entitlements are assigned per "
            "account or contact, so give these accounts an Entitlement with this process "
            f"({json.dumps(accounts)})"
        )
    column = _SALESFORCE_CRITERIA.get(c.field)
    operation = _SALESFORCE_OPERATIONS.get(c.operator)
    if column is None or operation is None:
        raise Missing(
            f"a milestone's criteria test Case type and status with is/is not; cemigrate "
            f"cannot write {c.field} {c.operator} (an entitlement process applies to the cases "
            "whose entitlement names it)"
        )
    values = c.value if isinstance(c.value, list) else [c.value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise Missing(f"{c.field} {c.operator} needs picklist values, not {c.value!r}")
    picked = [case_value(c.field, str(v), ctx.values) for v in values]
    if any("," in v for v in picked):
        raise Missing(f"a criteria value cannot hold a comma: {picked!r}")
    if operation == "notEqual" and len(picked) > 1:
        raise Missing("'is not' with several values needs criteria logic cemigrate does not write")
    return {"field": f"Case.{column}", "operation": operation, "value": ",".join(picked)}


class SalesforceRules(RuleDialect):
    """Salesforce's assignment, escalation and flow rules, and entitlement processes."""

    platform: ClassVar[str] = "salesforce"
    rule_kinds: ClassVar[frozenset[RuleKind]] = frozenset(
        {RuleKind.ASSIGNMENT, RuleKind.ESCALATION, RuleKind.FLOW}
    )
    no_kind: ClassVar[Mapping[RuleKind, str]] = {
        RuleKind.MACRO: "Salesforce macros are Macro records with instructions tied to the "
        "console's UI; cemigrate does not write them",
        RuleKind.VIEW: "Salesforce list views are ListView metadata with their own filter "
        "language; cemigrate does not write them",
        RuleKind.SLA: "SLA policies travel as SLA policies, not flows",
    }
    fields: ClassVar[Mapping[str, str]] = CASE_FIELDS

    def normalise(self, rule: Rule) -> NormalRule:
        """A flow, or an assignment or escalation rule's entry; one read without its entry
        (the org refused ``readMetadata``) is opaque: only when it runs is known."""
        if rule.kind is RuleKind.FLOW:
            return normalise_flow(rule)
        if rule.kind in _OPAQUE_EVENTS and isinstance(rule.raw.get("entry"), Mapping):
            return normalise_entry(rule)
        return _opaque(rule, self.platform)

    def holds_policy(self, raw: Mapping[str, JsonValue]) -> bool:
        """An entitlement process as read has an ``Id`` (or ``IsActive``)."""
        return "Id" in raw or "IsActive" in raw

    def sla_unread(self, policy: SlaPolicy) -> str:
        """A process's milestones are metadata cemigrate does not read."""
        return (
            "a Salesforce entitlement process keeps its milestones (the targets) in metadata "
            "cemigrate does not read"
        )

    def sla_scope(self, policy: SlaPolicy) -> SlaScope:
        """Nothing read: an entitlement process applies to the cases whose entitlement
        names it."""
        return SlaScope()

    def rule_kind(self, normal: NormalRule) -> tuple[str, list[Gap]]:
        """A record-triggered ``Flow`` for every rule that runs on its own."""
        if normal.kind in (RuleKind.MACRO, RuleKind.VIEW, RuleKind.SLA) or not normal.automatic:
            return "", []
        return "Flow", []

    def write_rule(
        self, normal: NormalRule, ctx: Context, kind: str, gaps: list[Gap]
    ) -> Translation:
        """A record-triggered flow on Case, saved as a draft."""
        return _to_salesforce(normal, ctx, gaps)

    def write_sla(self, policy: SlaPolicy, scope: SlaScope, ctx: Context) -> SlaTranslation:
        """An entitlement process on Case, inactive."""
        return _entitlement_process(policy, scope, ctx)


SALESFORCE_RULES: Final = SalesforceRules()
"""Salesforce's dialect."""
