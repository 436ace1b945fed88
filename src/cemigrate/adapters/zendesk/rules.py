"""Zendesk's rule dialect: triggers, automations, macros and views, and SLA policies.

Reading: a trigger runs on creation and update (a ``update_type`` condition narrows it to one),
an automation hourly, a macro or view when a person applies it. Conditions are
``{"field", "operator", "value"}`` under ``all`` and ``any``; actions ``{"field", "value"}``.

Writing: every rule is created with ``active: false``. SLA policies have no such flag: they
are created with a guard condition in ``filter.all``, ``current_tags includes
cemigrate_sla_inactive`` (:data:`ZENDESK_INACTIVE_GUARD`): no ticket carries that tag, so the
policy applies to none. Activation removes the guard (:func:`zendesk_activated`); a policy is
active when the guard is absent (:func:`zendesk_active`). A Zendesk policy measures first
reply, next reply, periodic (and pausable) update, requester wait, agent work and total
resolution time per priority, each in minutes with its own business-hours flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar, Final

from cemigrate.rules.dialect import (
    Context,
    Missing,
    Notification,
    field_target,
    original_condition,
)
from cemigrate.rules.model import (
    MANUAL_KINDS,
    STATUS_ORDER,
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
    as_text,
    tag_list,
)
from cemigrate.rules.sla import (
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
    Priority,
    Rule,
    RuleKind,
    SlaMetric,
    SlaPolicy,
)

__all__ = [
    "SLA_INACTIVE_TAG",
    "ZENDESK_INACTIVE_GUARD",
    "ZENDESK_METRIC_NAMES",
    "ZENDESK_RULES",
    "ZendeskRules",
    "is_zendesk_guard",
    "zendesk_activated",
    "zendesk_active",
]

SLA_INACTIVE_TAG: Final = "cemigrate_sla_inactive"
"""The tag a Zendesk policy created by cemigrate requires while it is inactive."""
ZENDESK_INACTIVE_GUARD: Final[Mapping[str, JsonValue]] = {
    "field": "current_tags",
    "operator": "includes",
    "value": SLA_INACTIVE_TAG,
}
"""The ``filter.all`` condition no ticket meets: a Zendesk policy holding it applies to none."""

_METRICS: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.FIRST_REPLY_TIME: "first_reply_time",
    SlaMetric.NEXT_REPLY_TIME: "next_reply_time",
    SlaMetric.PERIODIC_UPDATE_TIME: "periodic_update_time",
    SlaMetric.REQUESTER_WAIT_TIME: "requester_wait_time",
    SlaMetric.AGENT_WORK_TIME: "agent_work_time",
    SlaMetric.RESOLUTION_TIME: "total_resolution_time",
}
ZENDESK_METRIC_NAMES: Final = frozenset({*_METRICS.values(), "pausable_update_time"})
"""The metrics a Zendesk SLA policy accepts."""
_TYPES: Final = frozenset({"question", "incident", "problem", "task"})

# --- reading -------------------------------------------------------------------------------

_READ_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "ticket_type_id": "type",
    "group_id": "group",
    "assignee_id": "assignee",
    "requester_id": "requester",
    "organization_id": "organization",
    "current_tags": "tags",
    "subject_includes_word": "subject",
    "comment_includes_word": "comment",
    "comment_is_public": "comment_public",
    "satisfaction_score": "satisfaction",
    "via_id": "channel",
    "brand_id": "brand",
    "ticket_form_id": "form",
    "locale_id": "locale",
}
_READ_OPERATORS: Final[Mapping[str, str]] = {
    "value": "changed_to",
    "value_previous": "changed_from",
    "not_value": "not_changed_to",
    "not_value_previous": "not_changed_from",
}
_READ_HOURS: Final[frozenset[str]] = frozenset(
    {"NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "CLOSED"}
)
"""Time conditions of automations named by status (hours since the ticket became ...)."""
_READ_HOURS_SINCE: Final[frozenset[str]] = frozenset(
    {
        "assigned_at",
        "updated_at",
        "requester_updated_at",
        "assignee_updated_at",
        "due_date",
        "until_due_date",
        "created_at",
    }
)
_NOTIFY: Final[frozenset[str]] = frozenset(
    {
        "notification_user",
        "notification_group",
        "notification_sms_user",
        "notification_sms_group",
        "notification_messaging_csat",
        "cc",
        "follower",
    }
)
_WEBHOOK: Final[frozenset[str]] = frozenset({"notification_webhook", "notification_target"})
_COMMENT: Final[frozenset[str]] = frozenset(
    {"comment_value", "comment_value_html", "comment_mode_is_public", "subject"}
)
_CUSTOM = re.compile(r"^custom_fields_(\w+)$")


def _read_field(name: str) -> str:
    if name in _READ_FIELDS:
        return _READ_FIELDS[name]
    if name in _READ_HOURS:
        return f"hours_since:{name.lower()}"
    if name in _READ_HOURS_SINCE:
        return f"hours_since:{name.removesuffix('_at')}"
    custom = _CUSTOM.match(name)
    if custom:
        return f"custom:{custom.group(1)}"
    return f"zendesk:{name}"


def read_condition(c: Condition) -> NormalCondition:
    """A Zendesk condition (of a rule, or of an SLA policy's filter) in common words."""
    field = _read_field(c.field)
    operator = _READ_OPERATORS.get(c.operator, c.operator)
    value: JsonValue = tag_list(c.value) if field == "tags" else as_text(c.value)
    if field in ("status", "priority", "type") and isinstance(value, str):
        value = value.lower()
    return NormalCondition(field=field, operator=operator, value=value, source_field=c.field)


def _read_action(field: str, value: JsonValue) -> NormalAction:
    if field == "current_tags":
        return NormalAction(
            kind=ActionKind.ADD_TAGS, field="tags", value=tag_list(value), source_field=field
        )
    if field == "remove_tags":
        return NormalAction(
            kind=ActionKind.REMOVE_TAGS, field="tags", value=tag_list(value), source_field=field
        )
    if field == "set_tags":
        return NormalAction(
            kind=ActionKind.SET_TAGS, field="tags", value=tag_list(value), source_field=field
        )
    if field in _NOTIFY:
        return NormalAction(
            kind=ActionKind.NOTIFY, field="notify", value=as_text(value), source_field=field
        )
    if field in _WEBHOOK:
        return NormalAction(
            kind=ActionKind.WEBHOOK, field="webhook", value=as_text(value), source_field=field
        )
    if field in _COMMENT:
        return NormalAction(
            kind=ActionKind.COMMENT, field="comment", value=as_text(value), source_field=field
        )
    normal = _read_field(field)
    kind = {"group": ActionKind.ASSIGN_GROUP, "assignee": ActionKind.ASSIGN_AGENT}.get(
        normal, ActionKind.SET_FIELD
    )
    out = as_text(value)
    if normal in ("status", "priority", "type") and isinstance(out, str):
        out = out.lower()
    return NormalAction(kind=kind, field=normal, value=out, source_field=field)


# --- the SLA guard -------------------------------------------------------------------------


def is_zendesk_guard(condition: object) -> bool:
    """Whether a Zendesk filter condition is cemigrate's inactive guard."""
    if not isinstance(condition, Mapping):
        return False
    value = condition.get("value")
    words = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return (
        condition.get("field") == "current_tags"
        and condition.get("operator") == "includes"
        and words == [SLA_INACTIVE_TAG]
    )


def zendesk_active(policy: Mapping[str, object]) -> bool:
    """Whether a Zendesk SLA policy (as the API returns it) applies to tickets: its
    ``filter.all`` does not hold the inactive guard."""
    found = policy.get("filter")
    conditions = found.get("all") if isinstance(found, Mapping) else None
    return not any(is_zendesk_guard(c) for c in conditions or ())


def zendesk_activated(policy: Mapping[str, object]) -> dict[str, JsonValue]:
    """The ``filter`` of a Zendesk SLA policy without the inactive guard (the body of the
    activation's update)."""
    found = policy.get("filter")
    current: Mapping[str, object] = found if isinstance(found, Mapping) else {}
    all_of = current.get("all")
    any_of = current.get("any")
    return {
        "all": [c for c in all_of if not is_zendesk_guard(c)] if isinstance(all_of, list) else [],
        "any": list(any_of) if isinstance(any_of, list) else [],
    }


# --- writing -------------------------------------------------------------------------------

_WRITE_OPERATORS: Final[Mapping[str, str]] = {
    "changed_to": "value",
    "changed_from": "value_previous",
    "not_changed_to": "not_value",
    "not_changed_from": "not_value_previous",
}
_HOURS_SINCE: Final[frozenset[str]] = frozenset(
    {"assigned", "updated", "requester_updated", "assignee_updated", "created"}
)
_HOURS_PLAIN: Final[frozenset[str]] = frozenset({"due_date", "until_due_date"})
_KINDS: Final[Mapping[RuleKind, str]] = {
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
_TAG_ACTIONS: Final[Mapping[ActionKind, str]] = {
    ActionKind.ADD_TAGS: "current_tags",
    ActionKind.REMOVE_TAGS: "remove_tags",
    ActionKind.SET_TAGS: "set_tags",
}


class ZendeskRules(ListDialect):
    """Zendesk Support's business rules and SLA policies."""

    platform: ClassVar[str] = "zendesk"
    rule_kinds: ClassVar[frozenset[RuleKind]] = frozenset(
        {RuleKind.TRIGGER, RuleKind.AUTOMATION, RuleKind.MACRO, RuleKind.VIEW}
    )
    no_kind: ClassVar[Mapping[RuleKind, str]] = {
        RuleKind.SLA: "SLA policies travel as SLA policies, not business rules",
    }
    sla_note: ClassVar[str] = (
        "Every policy is created **inactive** (Zendesk: it requires the tag "
        f"`{SLA_INACTIVE_TAG}`, which no ticket has); turn it on after cutover."
    )
    fields: ClassVar[Mapping[str, str]] = {
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

    # --- reading ---------------------------------------------------------------------------

    def normalise(self, rule: Rule) -> NormalRule:
        """A trigger, automation, macro or view in common words."""
        if rule.kind in MANUAL_KINDS:
            events = frozenset({Event.MANUAL})
        elif rule.kind is RuleKind.AUTOMATION:
            events = frozenset({Event.TIME_BASED})
        else:
            events = frozenset({Event.CREATED, Event.UPDATED})
        all_of: list[NormalCondition] = []
        for c in rule.conditions_all:
            if c.field == "update_type" and c.operator in ("is", "is_not"):
                # "Ticket is Created/Updated" is the trigger's event, not a ticket field.
                created = str(c.value).lower() == "create"
                wanted = Event.CREATED if created == (c.operator == "is") else Event.UPDATED
                events = events & {wanted}
                continue
            all_of.append(read_condition(c))
        return NormalRule(
            rule=rule,
            platform=self.platform,
            events=events,
            conditions_all=tuple(all_of),
            conditions_any=tuple(read_condition(c) for c in rule.conditions_any),
            actions=tuple(_read_action(a.field, a.value) for a in rule.actions),
        )

    def holds_policy(self, raw: Mapping[str, JsonValue]) -> bool:
        """Every policy no other dialect claims (a Zendesk policy carries no marker)."""
        return True

    def sla_scope(self, policy: SlaPolicy) -> SlaScope:
        """The policy's ``filter`` (without cemigrate's inactive guard)."""
        found = policy.raw.get("filter")
        current: Mapping[str, JsonValue] = found if isinstance(found, dict) else {}

        def read(items: JsonValue) -> tuple[NormalCondition, ...]:
            return tuple(
                read_condition(
                    Condition(
                        field=str(c.get("field")),
                        operator=str(c.get("operator")),
                        value=c.get("value"),
                    )
                )
                for c in (items if isinstance(items, list) else [])
                if isinstance(c, dict) and not is_zendesk_guard(c)
            )

        keys = ("filter", "policy_metrics")
        return SlaScope(
            all_of=read(current.get("all")),
            any_of=read(current.get("any")),
            original={k: policy.raw[k] for k in keys if k in policy.raw},
        )

    # --- writing: values -------------------------------------------------------------------

    def code(self, field: str, name: str) -> JsonValue:
        """Statuses and priorities by name, in lower case."""
        return name.lower()

    def tags_value(self, words: list[JsonValue]) -> JsonValue:
        """Tags as one space-separated string."""
        return " ".join(str(w) for w in words)

    def custom_field(self, ctx: Context, key: str) -> str:
        """``custom_fields_<id>``."""
        target = field_target(ctx, key)
        return f"custom_fields_{key if target is None else target}"

    def hours_field(self, since: str) -> str:
        """``OPEN`` (hours since open), ``assigned_at``, ``due_date``, ..."""
        if since in STATUS_ORDER:
            return since.upper()
        if since in _HOURS_SINCE:
            return f"{since}_at"
        if since in _HOURS_PLAIN:
            return since
        raise Missing(f"Zendesk has no time condition 'hours since {since}'")

    # --- writing: rules --------------------------------------------------------------------

    def rule_kind(self, normal: NormalRule) -> tuple[str, list[Gap]]:
        """Triggers, automations, macros or views (a flow by when it runs)."""
        if normal.kind is RuleKind.FLOW:
            return ("automations" if normal.time_based else "triggers"), []
        return _KINDS.get(normal.kind, ""), []

    def needs_actions(self, kind: str) -> bool:
        """A view lists tickets: it has no actions to lose."""
        return kind != "views"

    def condition(self, ctx: Context, c: NormalCondition) -> JsonValue:
        """``{"field", "operator", "value"}``."""
        operator = canonical_operator(c.operator)
        return {
            "field": self.field_name(ctx, c.field),
            "operator": _WRITE_OPERATORS.get(operator, operator),
            "value": self.value(ctx, c.field, c.value),
        }

    def notify(self, ctx: Context, note: Notification) -> JsonValue:
        """``notification_user`` or ``notification_group``: ``[recipient, subject, body]``."""
        subject, body = note.subject, note.body
        if note.audience == "requester":
            recipient = note.who if ctx.same_platform else "requester_id"
            return {"field": "notification_user", "value": [recipient, subject, body]}
        if note.audience == "group":
            group = self.id_value(ctx, "group", note.who)
            return {"field": "notification_group", "value": [str(group), subject, body]}
        agent = self.id_value(ctx, "assignee", note.who)
        return {"field": "notification_user", "value": [str(agent), subject, body]}

    def tag_action(self, kind: ActionKind, value: JsonValue) -> JsonValue:
        """``current_tags`` (adds), ``remove_tags`` or ``set_tags``."""
        return {"field": _TAG_ACTIONS[kind], "value": value}

    def comment(self, ctx: Context, rule: Rule, a: NormalAction) -> JsonValue:
        """A macro's comment is ``comment_value`` whatever the source called it."""
        if not ctx.same_platform and rule.kind is RuleKind.MACRO:
            return {"field": "comment_value", "value": a.value}
        return super().comment(ctx, rule, a)

    def payload(
        self,
        normal: NormalRule,
        ctx: Context,
        kind: str,
        all_of: list[JsonValue],
        any_of: list[JsonValue],
        actions: list[JsonValue],
    ) -> dict[str, JsonValue]:
        """A trigger from another platform gets the ``update_type`` condition of its one
        event; a macro has actions only, a view conditions and its columns."""
        rule = normal.rule
        if kind == "triggers" and not ctx.same_platform:
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

    # --- writing: SLA policies -------------------------------------------------------------

    def _priority(self, ctx: Context, priority: Priority) -> str:
        coded = self.coded(ctx, "priority", str(priority))
        if coded not in {str(p) for p in Priority}:
            raise Missing(f"Zendesk has no priority {coded!r}")
        return str(coded)

    def write_sla(self, policy: SlaPolicy, scope: SlaScope, ctx: Context) -> SlaTranslation:
        """The body of a create call on ``/api/v2/slas/policies``, guarded inactive."""
        gaps: list[Gap] = []
        pausable = _pausable(policy) if ctx.same_platform else set()
        metrics: list[JsonValue] = []
        seen: dict[tuple[str, str], str] = {}
        for t in policy.targets:
            original = target_text(t.priority, t.metric, t.minutes, t.business_hours)
            try:
                priority = self._priority(ctx, t.priority)
            except Missing as exc:
                gaps.append(Gap(part="target", original=original, reason=str(exc)))
                continue
            name = _METRICS[t.metric]
            if t.metric is SlaMetric.PERIODIC_UPDATE_TIME and str(t.priority) in pausable:
                name = "pausable_update_time"
            if (priority, name) in seen:
                gaps.append(
                    Gap(
                        part="target",
                        original=original,
                        reason=f"the mapping gives Zendesk priority {priority} twice; "
                        f"kept {seen[(priority, name)]}",
                    )
                )
                continue
            seen[(priority, name)] = original
            metrics.append(
                {
                    "priority": priority,
                    "metric": name,
                    "target": t.minutes,
                    "business_hours": t.business_hours,
                }
            )
        all_of = self._filter(ctx, scope.all_of, gaps)
        any_of = self._filter(ctx, scope.any_of, gaps)
        self._lists(ctx, scope.lists, all_of, any_of, gaps)
        if scope.escalation:
            gaps.append(
                Gap(
                    part="escalation",
                    original=scope.escalation,
                    reason="Zendesk SLA policies do not escalate: add an automation on the "
                    "hours until the next SLA breach",
                )
            )
        if policy.targets and not metrics:
            reason = "none of its targets can be expressed in zendesk"
            return untranslated_sla(policy, ctx, reason, gaps)
        payload: dict[str, JsonValue] = {
            "title": policy.title,
            "description": policy.description,
            "filter": {"all": [dict(ZENDESK_INACTIVE_GUARD), *all_of], "any": any_of},
            "policy_metrics": metrics,
        }
        return written_sla(policy, ctx, payload, gaps)

    def _filter(
        self, ctx: Context, items: Sequence[NormalCondition], gaps: list[Gap]
    ) -> list[JsonValue]:
        out: list[JsonValue] = []
        for c in items:
            try:
                out.append(self.condition(ctx, c))
            except Missing as exc:
                gaps.append(Gap(part="filter", original=original_condition(c), reason=str(exc)))
        return out

    def _lists(
        self,
        ctx: Context,
        lists: Sequence[ScopeList],
        all_of: list[JsonValue],
        any_of: list[JsonValue],
        gaps: list[Gap],
    ) -> None:
        """Scope lists as filter conditions: one value is an ``all`` condition; several are
        the ``any`` group (a filter has one, so a second such list is a gap)."""
        for listed in lists:
            converted: list[JsonValue] = []
            try:
                if listed.field == "channel":
                    raise Missing(
                        f"{ctx.source.capitalize()} source codes and Zendesk via ids are "
                        "different numberings; cemigrate does not map them"
                    )
                for value, raw in zip(listed.values, listed.raw, strict=True):
                    normal = NormalCondition(
                        field=listed.field, operator="is", value=value, source_field=listed.key
                    )
                    if listed.field == "type" and value not in _TYPES:
                        raise Missing(f"Zendesk has no ticket type {raw!r}")
                    converted.append(self.condition(ctx, normal))
            except Missing as exc:
                gaps.append(Gap(part="filter", original=listed.original, reason=str(exc)))
                continue
            if len(converted) == 1:
                all_of += converted
            elif not any_of:
                any_of += converted
            else:
                gaps.append(
                    Gap(
                        part="filter",
                        original=listed.original,
                        reason="a Zendesk filter has one 'any' group, already used by another "
                        "list of this policy",
                    )
                )


def _pausable(policy: SlaPolicy) -> set[str]:
    """Priorities whose update target the Zendesk source measures as pausable."""
    found = policy.raw.get("policy_metrics")
    return {
        str(m.get("priority"))
        for m in (found if isinstance(found, list) else [])
        if isinstance(m, dict) and m.get("metric") == "pausable_update_time"
    }


ZENDESK_RULES: Final = ZendeskRules()
"""Zendesk's dialect."""
