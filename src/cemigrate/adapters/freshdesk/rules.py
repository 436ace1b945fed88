"""Freshdesk's rule dialect: dispatcher, observer and supervisor automations, SLA policies.

Reading: a dispatcher rule runs on creation, an observer on update, a supervisor hourly.
Conditions are ``{"field_name", "operator", "value"}`` properties in condition sets; statuses
and priorities are codes (status 2 open … 5 closed, priority 1 low … 4 urgent).

Writing: every automation is created with ``active: false`` and one type: 1 (creation), 4
(update) or 3 (hourly). An SLA policy has, per priority ``priority_1`` (low) to
``priority_4`` (urgent), ``respond_within``, ``next_respond_within`` and ``resolve_within`` in
seconds (multiples of 60, at least 900) and one ``business_hours`` flag; every priority needs
``respond_within`` and ``resolve_within``. It applies to the tickets its ``applicable_to``
lists (companies, groups, types, sources, products); only the default policy applies to all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar, Final

from cemigrate.rules.dialect import (
    Context,
    Missing,
    Notification,
    field_target,
    original_condition,
)
from cemigrate.rules.model import (
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
    as_text,
    tag_list,
)
from cemigrate.rules.sla import (
    METRIC_WORDS,
    ScopeList,
    SlaScope,
    SlaTranslation,
    target_text,
    untranslated_sla,
    written_sla,
)
from cemigrate.rules.translate import Gap, ListDialect, canonical_operator
from cemigrate.schema import (
    Condition,
    JsonValue,
    Kind,
    Priority,
    Ref,
    Rule,
    RuleKind,
    SlaMetric,
    SlaPolicy,
)

__all__ = [
    "FRESHDESK_MIN_SECONDS",
    "FRESHDESK_PLACEHOLDER_SECONDS",
    "FRESHDESK_RULES",
    "FreshdeskRules",
]

FRESHDESK_MIN_SECONDS: Final = 900
"""Freshdesk's shortest target (15 minutes); targets are whole minutes."""
FRESHDESK_PLACEHOLDER_SECONDS: Final = 30 * 24 * 3600
"""What a Freshdesk priority gets for a required target the source policy does not set (30
days, listed as a gap to review before activation)."""

# --- reading -------------------------------------------------------------------------------

_EVENTS: Final[Mapping[RuleKind, Event]] = {
    RuleKind.DISPATCHER: Event.CREATED,
    RuleKind.OBSERVER: Event.UPDATED,
    RuleKind.SUPERVISOR: Event.TIME_BASED,
}
_READ_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "ticket_type": "type",
    "group_id": "group",
    "responder_id": "assignee",
    "requester_id": "requester",
    "company_id": "organization",
    "tag_names": "tags",
    "tags": "tags",
    "subject": "subject",
    "description": "description",
    "subject_or_description": "subject",
    "source": "channel",
    "from_email": "requester_email",
    "product_id": "product",
}
_READ_STATUS: Final[Mapping[str, str]] = {"2": "open", "3": "pending", "4": "solved", "5": "closed"}
_READ_PRIORITY: Final[Mapping[str, str]] = {"1": "low", "2": "normal", "3": "high", "4": "urgent"}
_READ_OPERATORS: Final[Mapping[str, str]] = {
    "in": "is",
    "not_in": "is_not",
    "does_not_contain": "not_contains",
    "is_any_of": "is",
    "is_none_of": "is_not",
}
_NOTIFY: Final[frozenset[str]] = frozenset(
    {
        "send_email_to_requester",
        "send_email_to_group",
        "send_email_to_agent",
        "add_watcher",
        "add_a_cc",
        "forward_ticket",
    }
)
_AUDIENCES: Final[Mapping[str, str]] = {
    "send_email_to_requester": "requester",
    "send_email_to_group": "group",
    "send_email_to_agent": "agent",
}
_SCOPE: Final[Mapping[str, str]] = {
    "company_ids": "organization",
    "group_ids": "group",
    "ticket_types": "type",
    "sources": "channel",
    "product_ids": "freshdesk:product_id",
    "contact_segments": "freshdesk:contact_segment",
    "company_segments": "freshdesk:company_segment",
}
"""``applicable_to`` keys and the normal field each tests."""


def _read_field(name: str) -> str:
    if name in _READ_FIELDS:
        return _READ_FIELDS[name]
    if name.startswith("hours_since_"):
        return "hours_since:" + name.removeprefix("hours_since_")
    if name.startswith("cf_"):
        return f"custom:{name}"
    return f"freshdesk:{name}"


def _read_value(field: str, value: JsonValue) -> JsonValue:
    if isinstance(value, list):
        return [_read_value(field, v) for v in value]
    if field == "tags":
        return tag_list(value)
    table = {"status": _READ_STATUS, "priority": _READ_PRIORITY}.get(field)
    text = as_text(value)
    if table is not None and isinstance(text, str):
        return table.get(text, text.lower())
    return text


def _scope_value(field: str, value: JsonValue) -> JsonValue:
    """An ``applicable_to`` value in the normal vocabulary."""
    if field in ("organization", "group"):
        return str(value)
    if field == "type" and isinstance(value, str):
        return value.lower()
    return value


def _escalation_agents(escalation: JsonValue) -> list[int]:
    """Every positive agent id an escalation block names (``-1`` is "the assigned agent")."""
    out: list[int] = []
    if isinstance(escalation, dict):
        for value in escalation.values():
            if isinstance(value, dict) and "agent_ids" in value:
                ids = value.get("agent_ids")
                out += (
                    [a for a in ids if isinstance(a, int) and a > 0]
                    if isinstance(ids, list)
                    else []
                )
            elif isinstance(value, dict):
                out += _escalation_agents(value)
    return out


# --- writing -------------------------------------------------------------------------------

_WRITE_OPERATORS: Final[Mapping[str, str]] = {
    "includes": "contains",
    "not_includes": "does_not_contain",
    "not_contains": "does_not_contain",
}
_STATUS: Final[Mapping[str, int]] = {"open": 2, "pending": 3, "solved": 4, "closed": 5}
_PRIORITY: Final[Mapping[str, int]] = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
_OPERATORS: Final[frozenset[str]] = frozenset(
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
_METRICS: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.FIRST_REPLY_TIME: "respond_within",
    SlaMetric.NEXT_REPLY_TIME: "next_respond_within",
    SlaMetric.RESOLUTION_TIME: "resolve_within",
}
_REQUIRED: Final = (SlaMetric.FIRST_REPLY_TIME, SlaMetric.RESOLUTION_TIME)
_CODES: Final[Mapping[int, Priority]] = {
    1: Priority.LOW,
    2: Priority.NORMAL,
    3: Priority.HIGH,
    4: Priority.URGENT,
}
_SCOPE_KEYS: Final[Mapping[str, str]] = {
    "organization": "company_ids",
    "group": "group_ids",
    "type": "ticket_types",
}
"""Normal fields a filter condition can become in ``applicable_to``."""
_SCOPE_IDS: Final[Mapping[str, str]] = {"company_ids": "organization", "group_ids": "group"}
_UNMIGRATED_SCOPE: Final = frozenset({"product_ids", "contact_segments", "company_segments"})


class FreshdeskRules(ListDialect):
    """Freshdesk's automation rules and SLA policies."""

    platform: ClassVar[str] = "freshdesk"
    rule_kinds: ClassVar[frozenset[RuleKind]] = frozenset(_EVENTS)
    no_kind: ClassVar[Mapping[RuleKind, str]] = {
        RuleKind.MACRO: "Freshdesk's API has no write for scenario automations (macros)",
        RuleKind.VIEW: "Freshdesk's API has no write for ticket views",
        RuleKind.SLA: "SLA policies travel as SLA policies, not automation rules",
    }
    fields: ClassVar[Mapping[str, str]] = {
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
    item_key: ClassVar[str] = "field_name"

    # --- reading ---------------------------------------------------------------------------

    def normalise(self, rule: Rule) -> NormalRule:
        """A dispatcher, observer or supervisor rule in common words."""
        event = _EVENTS.get(rule.kind)
        events = frozenset({event}) if event else frozenset({Event.MANUAL})

        def condition(c: Condition) -> NormalCondition:
            field = _read_field(c.field)
            return NormalCondition(
                field=field,
                operator=_READ_OPERATORS.get(c.operator, c.operator),
                value=_read_value(field, c.value),
                source_field=c.field,
            )

        actions: list[NormalAction] = []
        for a in rule.actions:
            name = a.field
            if name == "add_tag":
                kind, field = ActionKind.ADD_TAGS, "tags"
            elif name in _NOTIFY:
                kind, field = ActionKind.NOTIFY, "notify"
            elif name == "trigger_webhook":
                kind, field = ActionKind.WEBHOOK, "webhook"
            elif name in ("add_note", "add_comment"):
                kind, field = ActionKind.COMMENT, "comment"
            elif name in ("delete_ticket", "mark_as_spam", "skip_notification"):
                kind, field = ActionKind.OTHER, f"freshdesk:{name}"
            else:
                field = _read_field(name)
                kind = {"group": ActionKind.ASSIGN_GROUP, "assignee": ActionKind.ASSIGN_AGENT}.get(
                    field, ActionKind.SET_FIELD
                )
            actions.append(
                NormalAction(
                    kind=kind, field=field, value=_read_value(field, a.value), source_field=name
                )
            )
        return NormalRule(
            rule=rule,
            platform=self.platform,
            events=events,
            conditions_all=tuple(condition(c) for c in rule.conditions_all),
            conditions_any=tuple(condition(c) for c in rule.conditions_any),
            actions=tuple(actions),
        )

    def notification(self, rule: Rule, index: int, action: NormalAction) -> Notification:
        """An ``send_email_to_*`` action: its subject, body and ``email_to`` are in the raw
        action beside it."""
        if isinstance(action.value, list):
            return super().notification(rule, index, action)
        actions = rule.raw.get("actions")
        item = actions[index] if isinstance(actions, list) and index < len(actions) else None
        raw: Mapping[str, JsonValue] = item if isinstance(item, dict) else {}
        to = raw.get("email_to")
        return Notification(
            audience=_AUDIENCES.get(action.source_field, "other"),
            who=str(to[0] if isinstance(to, list) and to else to or ""),
            subject=str(raw.get("email_subject") or ""),
            body=str(raw.get("email_body") or ""),
        )

    def holds_policy(self, raw: Mapping[str, JsonValue]) -> bool:
        """A Freshdesk policy has ``sla_target``."""
        return "sla_target" in raw

    def sla_scope(self, policy: SlaPolicy) -> SlaScope:
        """``applicable_to`` as lists, the escalations, and whether it is the default."""
        raw = policy.raw
        found = raw.get("applicable_to")
        lists: list[ScopeList] = []
        for key, values in (found if isinstance(found, dict) else {}).items():
            if not isinstance(values, list) or not values:
                continue
            field = _SCOPE.get(key, f"freshdesk:{key}")
            lists.append(
                ScopeList(
                    field=field,
                    key=key,
                    values=tuple(_scope_value(field, v) for v in values),
                    raw=tuple(values),
                    original=f"applicable_to.{key} = {json.dumps(values)}",
                )
            )
        targets = raw.get("sla_target")
        escalating = [
            key
            for key, value in sorted((targets if isinstance(targets, dict) else {}).items())
            if isinstance(value, dict) and value.get("escalation_enabled")
        ]
        escalation = (
            f"escalation_enabled for {', '.join(escalating)}: "
            + json.dumps(raw.get("escalation"), sort_keys=True)
            if escalating
            else ""
        )
        keys = ("applicable_to", "sla_target", "escalation")
        return SlaScope(
            lists=tuple(lists),
            escalation=escalation,
            named=tuple(
                Ref(kind=Kind.USER, id=str(a)) for a in _escalation_agents(raw.get("escalation"))
            ),
            default=bool(raw.get("is_default")),
            original={k: raw[k] for k in keys if k in raw},
        )

    # --- writing: values -------------------------------------------------------------------

    def id_written(self, mapped: str) -> JsonValue:
        """Ids are numbers."""
        return int(mapped) if mapped.isdigit() else mapped

    def code(self, field: str, name: str) -> JsonValue:
        """Statuses and priorities are codes."""
        if name.isdigit():
            return int(name)
        code = (_STATUS if field == "status" else _PRIORITY).get(name.lower())
        if code is None:
            raise Missing(f"Freshdesk has no {field} {name!r}")
        return code

    def type_value(self, value: str) -> JsonValue:
        """Ticket types are capitalised (``Question``)."""
        return value.capitalize()

    def custom_field(self, ctx: Context, key: str) -> str:
        """A custom field's name (``cf_order_id``), from the target's fields."""
        target = field_target(ctx, key)
        if target is None:
            return key
        name = ctx.field_names.get(target)
        if name is None:
            raise Missing(f"custom field {key} has no name in the target")
        return name

    def hours_field(self, since: str) -> str:
        """``hours_since_<what>``."""
        return f"hours_since_{since}"

    # --- writing: rules --------------------------------------------------------------------

    def rule_kind(self, normal: NormalRule) -> tuple[str, list[Gap]]:
        """Type 1 (creation), 4 (update) or 3 (hourly); a rule running on both creation and
        update is written as an update rule, with a gap."""
        if normal.kind in (RuleKind.MACRO, RuleKind.VIEW, RuleKind.SLA) or not normal.automatic:
            return "", []
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

    def condition(self, ctx: Context, c: NormalCondition) -> JsonValue:
        """A ticket property: ``{"resource_type", "field_name", "operator", "value"}``."""
        field = self.field_name(ctx, c.field)
        operator = canonical_operator(c.operator)
        value = self.value(ctx, c.field, c.value)
        operator = _WRITE_OPERATORS.get(operator, operator)
        if operator not in _OPERATORS:
            raise Missing(f"Freshdesk conditions have no operator {c.operator!r}")
        prop: dict[str, JsonValue] = {
            "resource_type": "ticket",
            "field_name": field,
            "operator": operator,
        }
        if operator != "changed":
            prop["value"] = value
        return prop

    def notify(self, ctx: Context, note: Notification) -> JsonValue:
        """``send_email_to_requester``, ``_group`` or ``_agent`` (which name recipients)."""
        if note.audience == "requester":
            return {
                "field_name": "send_email_to_requester",
                "email_subject": note.subject,
                "email_body": note.body,
            }
        if note.who.isdigit():
            field = "group" if note.audience == "group" else "assignee"
            target = self.id_value(ctx, field, note.who)
            return {
                "field_name": f"send_email_to_{'group' if note.audience == 'group' else 'agent'}",
                "email_to": [target],
                "email_subject": note.subject,
                "email_body": note.body,
            }
        raise Missing(f"Freshdesk e-mails name their recipients; {note.who!r} is not one")

    def tag_action(self, kind: ActionKind, value: JsonValue) -> JsonValue:
        """``add_tag`` only: automations cannot remove or set tags."""
        if kind is not ActionKind.ADD_TAGS:
            raise Missing("Freshdesk automations can only add tags")
        return {"field_name": "add_tag", "value": value}

    def settable(self, field: str) -> None:
        """Automations cannot set the requester, the satisfaction or the source."""
        if field in ("requester", "satisfaction", "channel"):
            raise Missing(f"Freshdesk automations cannot set {field!r}")

    def payload(
        self,
        normal: NormalRule,
        ctx: Context,
        kind: str,
        all_of: list[JsonValue],
        any_of: list[JsonValue],
        actions: list[JsonValue],
    ) -> dict[str, JsonValue]:
        """Condition sets (``all``, then ``any``), the actions; an update rule names its
        performer and event."""
        sets: list[JsonValue] = [
            {"name": "condition_set_1", "match_type": "all", "properties": all_of}
        ]
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

    # --- writing: SLA policies -------------------------------------------------------------

    def _priority(self, ctx: Context, priority: Priority) -> int:
        coded = self.coded(ctx, "priority", str(priority))
        if not (isinstance(coded, int) and coded in _CODES):
            raise Missing(f"Freshdesk has no priority {coded!r}")
        return coded

    def write_sla(self, policy: SlaPolicy, scope: SlaScope, ctx: Context) -> SlaTranslation:
        """The body of a create call on ``/api/v2/sla_policies``, with ``active: false``."""
        gaps: list[Gap] = []
        if ctx.same_platform and scope.default:
            return untranslated_sla(
                policy,
                ctx,
                "it is Freshdesk's default policy, which every account has and the API cannot "
                "change (cannot_update_default_sla): set its targets by hand",
            )
        by_code: dict[int, dict[SlaMetric, tuple[int, bool, str]]] = {}
        for t in policy.targets:
            original = target_text(t.priority, t.metric, t.minutes, t.business_hours)
            name = _METRICS.get(t.metric)
            if name is None:
                what = METRIC_WORDS.get(t.metric, str(t.metric))
                reason = f"Freshdesk SLA policies have no {what} target"
                gaps.append(Gap(part="target", original=original, reason=reason))
                continue
            try:
                code = self._priority(ctx, t.priority)
            except Missing as exc:
                gaps.append(Gap(part="target", original=original, reason=str(exc)))
                continue
            slot = by_code.setdefault(code, {})
            if t.metric in slot:
                gaps.append(
                    Gap(
                        part="target",
                        original=original,
                        reason=f"the mapping gives Freshdesk priority_{code} twice; "
                        f"kept {slot[t.metric][2]}",
                    )
                )
                continue
            slot[t.metric] = (t.minutes, t.business_hours, original)
        if not by_code:
            reason = (
                "none of its targets can be expressed in freshdesk"
                if policy.targets
                else "it has no targets"
            )
            return untranslated_sla(policy, ctx, reason, gaps)
        applicable = self._scope(ctx, scope, gaps)
        if not applicable:
            narrowed = any(g.part == "filter" for g in gaps)
            reason = (
                "none of the conditions choosing its tickets can be expressed in Freshdesk's "
                "applicable_to, and without them it would apply to every ticket"
                if narrowed
                else "it applies to every ticket: in Freshdesk only the default policy does, "
                "and the API cannot change it (cannot_update_default_sla); set its targets by "
                "hand"
            )
            return untranslated_sla(policy, ctx, reason, gaps)
        sla_target = self._targets(policy, ctx, by_code, gaps)
        payload: dict[str, JsonValue] = {
            "name": policy.title,
            "description": policy.description,
            "active": False,
            "sla_target": sla_target,
            "applicable_to": applicable,
        }
        escalation = policy.raw.get("escalation")
        if ctx.same_platform and isinstance(escalation, dict):
            payload["escalation"] = self._escalation(escalation, ctx, gaps)
        return written_sla(policy, ctx, payload, gaps)

    def _targets(
        self,
        policy: SlaPolicy,
        ctx: Context,
        by_code: Mapping[int, Mapping[SlaMetric, tuple[int, bool, str]]],
        gaps: list[Gap],
    ) -> dict[str, JsonValue]:
        """``sla_target`` with all four priorities, as Freshdesk requires."""
        raw_targets = policy.raw.get("sla_target") if ctx.same_platform else None
        out: dict[str, JsonValue] = {}
        for code in sorted(_CODES, reverse=True):
            slot = by_code.get(code, {})
            entry: dict[str, JsonValue] = {}
            flags = [(metric, business) for metric, (_, business, _) in slot.items()]
            business = flags[0][1] if flags else True
            for metric, flag in flags[1:]:
                if flag != business:
                    gaps.append(
                        Gap(
                            part="target",
                            original=slot[metric][2],
                            reason=f"a Freshdesk priority has one business-hours flag: written "
                            f"with {'business' if business else 'calendar'} hours",
                        )
                    )
            for metric, name in _METRICS.items():
                if metric in slot:
                    seconds = slot[metric][0] * 60
                    if seconds < FRESHDESK_MIN_SECONDS:
                        gaps.append(
                            Gap(
                                part="target",
                                original=slot[metric][2],
                                reason="Freshdesk's shortest target is 15 minutes: written as 15",
                            )
                        )
                        seconds = FRESHDESK_MIN_SECONDS
                    entry[name] = seconds
                elif metric in _REQUIRED:
                    entry[name] = FRESHDESK_PLACEHOLDER_SECONDS
                    gaps.append(
                        Gap(
                            part="target",
                            original=f"{_CODES[code]} {metric}: none",
                            reason=f"Freshdesk requires {name} for every priority: written as "
                            "30 days, review before activation",
                        )
                    )
            escalate = False
            if isinstance(raw_targets, dict):
                raw_entry = raw_targets.get(f"priority_{code}")
                escalate = (
                    bool(raw_entry.get("escalation_enabled"))
                    if isinstance(raw_entry, dict)
                    else False
                )
            entry["business_hours"] = business
            entry["escalation_enabled"] = escalate
            out[f"priority_{code}"] = entry
        return out

    def _scope(self, ctx: Context, scope: SlaScope, gaps: list[Gap]) -> dict[str, JsonValue]:
        """``applicable_to``: another Freshdesk policy's lists by key (ids remapped), and
        ``is`` conditions on organization, group and type (an ``any`` group of them on one
        of those fields)."""
        out: dict[str, list[JsonValue]] = {}
        for listed in scope.lists:
            if ctx.same_platform:
                self._own_list(ctx, listed, out, gaps)
                continue
            for value in listed.values:
                condition = NormalCondition(
                    field=listed.field, operator="is", value=value, source_field=listed.key
                )
                self._add(ctx, condition, out, gaps)
        for c in scope.all_of:
            self._add(ctx, c, out, gaps)
        if scope.any_of:
            fields = {c.field for c in scope.any_of}
            if len(fields) > 1:
                for c in scope.any_of:
                    gaps.append(
                        Gap(
                            part="filter",
                            original=original_condition(c),
                            reason="Freshdesk's applicable_to requires every listed kind; an "
                            "'any' across several fields cannot be expressed",
                        )
                    )
            else:
                for c in scope.any_of:
                    self._add(ctx, c, out, gaps)
        return {k: list(dict.fromkeys(v)) for k, v in out.items()}

    def _own_list(
        self,
        ctx: Context,
        listed: ScopeList,
        out: dict[str, list[JsonValue]],
        gaps: list[Gap],
    ) -> None:
        field = _SCOPE_IDS.get(listed.key)
        if field is None:
            if ctx.links and listed.key in _UNMIGRATED_SCOPE:
                gaps.append(
                    Gap(
                        part="filter",
                        original=listed.original,
                        reason=f"cemigrate does not migrate {listed.key.removesuffix('_ids')}s: "
                        "their ids differ in the target",
                    )
                )
                return
            out[listed.key] = list(listed.raw)
            return
        kept: list[JsonValue] = []
        for value in listed.raw:
            try:
                kept.append(self.id_value(ctx, field, str(value)))
            except Missing as exc:
                original = f"applicable_to.{listed.key} {value}"
                gaps.append(Gap(part="filter", original=original, reason=str(exc)))
        if kept:
            out[listed.key] = kept

    def _add(
        self,
        ctx: Context,
        c: NormalCondition,
        out: dict[str, list[JsonValue]],
        gaps: list[Gap],
    ) -> None:
        key = _SCOPE_KEYS.get(c.field)
        if key is None or c.operator != "is":
            reason = (
                "Freshdesk SLA policies apply by company, group, ticket type, source or "
                f"product only ('is' conditions), not by {c.source_field or c.field} "
                f"{c.operator}"
            )
            gaps.append(Gap(part="filter", original=original_condition(c), reason=reason))
            return
        try:
            value = (
                str(c.value).capitalize()
                if c.field == "type"
                else self.id_value(ctx, c.field, c.value)
            )
        except Missing as exc:
            gaps.append(Gap(part="filter", original=original_condition(c), reason=str(exc)))
            return
        out.setdefault(key, []).append(value)

    def _escalation(
        self, escalation: Mapping[str, JsonValue], ctx: Context, gaps: list[Gap]
    ) -> JsonValue:
        """The escalation block with its agents remapped (``-1``, the assigned agent,
        kept)."""
        out: dict[str, JsonValue] = {}
        for key, value in escalation.items():
            if not isinstance(value, dict):
                out[key] = value
            elif "agent_ids" in value:
                agents: list[JsonValue] = []
                ids = value.get("agent_ids")
                for agent in ids if isinstance(ids, list) else []:
                    if not isinstance(agent, int) or agent <= 0:
                        agents.append(agent)
                        continue
                    try:
                        agents.append(self.id_value(ctx, "assignee", str(agent)))
                    except Missing as exc:
                        gaps.append(
                            Gap(part="escalation", original=f"{key} agent {agent}", reason=str(exc))
                        )
                out[key] = {**value, "agent_ids": agents}
            else:
                out[key] = self._escalation(value, ctx, gaps)
        return out


FRESHDESK_RULES: Final = FreshdeskRules()
"""Freshdesk's dialect."""
