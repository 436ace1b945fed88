"""Salesforce rules as record-triggered flows: the vocabulary, both ways.

cemigrate writes a migrated rule into Salesforce as a record-triggered flow on Case, saved as a
**Draft** (inactive): the flow's entry conditions (``start.filters`` and ``filterLogic``) hold
the rule's conditions, one *Update Records* element on ``$Record`` holds its field changes and
assignments, and a time-based rule gets a scheduled path (``N`` hours after the triggering
change, or after ``CreatedDate`` / ``LastModifiedDate``). Assignment and escalation rules can
only assign and notify; a flow can also set the status, priority and custom fields a Zendesk or
Freshdesk rule sets, which is why cemigrate writes flows.

This module holds what both directions share (field names, operators, value tables) and reads a
flow's ``Metadata`` (as the Tooling API serves it), and one entry of an assignment or escalation
rule (as the Metadata API serves it), into the normalised model;
:func:`cemigrate.rules.translate.translate` writes one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from cemigrate.rules.model import (
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
)
from cemigrate.schema import JsonValue, Rule, RuleKind

__all__ = [
    "CASE_FIELDS",
    "FILTER_OPERATORS",
    "GROUP_ID_PREFIX",
    "TAGS_FIELD",
    "UPDATE_ELEMENT",
    "add_tags_formula",
    "case_value",
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


def _tables() -> Mapping[str, Mapping[str, str]]:
    # Imported when used: the adapter package imports this one.
    from cemigrate.adapters.salesforce.convert import DEFAULT_VALUES

    return DEFAULT_VALUES


def case_value(field: str, value: str, values: Mapping[str, Mapping[str, str]]) -> str:
    """A schema status, priority, type or channel as the Case picklist value: the mapping's
    table first (``values``), then cemigrate's defaults; other values as they are."""
    mapped = values.get(field, {}).get(value)
    if mapped:
        return mapped
    return _tables().get(field, {}).get(value.lower(), value)


def schema_value(field: str, value: str) -> str:
    """A Case picklist value read back as the schema's (``Resolved`` → ``solved``)."""
    table = {v.lower(): k for k, v in _tables().get(field, {}).items()}
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
