"""Translate an SLA policy from one platform into another's, always inactive.

:func:`translate_sla` writes a :class:`~cemigrate.schema.SlaPolicy` in the target's terms:
its targets per priority and metric (priorities through the mapping's value table when given)
and the tickets it applies to (groups, organizations, agents and custom fields remapped
through ``links``, the ledger's id map). What the target cannot express is a
:class:`~cemigrate.rules.translate.Gap` naming the reason and the original: never dropped
silently. The result, an :class:`SlaTranslation`, is ``translated``, ``partial`` (written
without its gaps) or ``untranslated`` (nothing written, with the reason).

Nothing a migration creates may fire on imported history, so every policy is created
**inactive**, and activation is a separate step after cutover:

- **Freshdesk** policies have an ``active`` flag: written ``false``.
- **Zendesk** policies have none. They are created with a guard condition in ``filter.all``,
  ``current_tags includes cemigrate_sla_inactive`` (:data:`ZENDESK_INACTIVE_GUARD`): no ticket
  carries that tag, so the policy applies to none. Activation removes the guard
  (:func:`zendesk_activated`); a policy is active when the guard is absent
  (:func:`zendesk_active`).
- **Salesforce** policies are entitlement processes (Metadata API ``EntitlementProcess`` on
  Case), written with ``active`` false; one milestone per metric and priority, whose criteria
  test ``Case.Priority`` (:data:`SALESFORCE_MILESTONES` names the milestone types). Activation
  sets ``active`` true. Periodic update, requester wait and agent work time have no milestone
  counterpart, and an entitlement process cannot say which cases it applies to (entitlements
  are assigned per account or contact): gaps, with the reason.

Metrics: Zendesk measures first reply, next reply, periodic (and pausable) update, requester
wait, agent work and total resolution time per priority, each in minutes with its own
business-hours flag. Freshdesk has, per priority ``priority_1`` (low) to ``priority_4``
(urgent), ``respond_within``, ``next_respond_within`` and ``resolve_within`` in seconds
(multiples of 60, at least 900) and one ``business_hours`` flag; every priority needs
``respond_within`` and ``resolve_within``.

:func:`sla_report` runs it over a source's policies and writes ``sla.json`` and ``sla.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from cemigrate.rules.model import NormalCondition, _zendesk_condition
from cemigrate.rules.translate import (
    EVERY_LINK,
    UNTRANSLATABLE_RULE,
    Gap,
    Options,
    TranslationStatus,
    Values,
    _coded,
    _condition,
    _Context,
    _id_value,
    _Missing,
    count_statuses,
    outcome_markdown,
    platform_of,
    translate,
    write_report,
)
from cemigrate.schema import (
    Condition,
    JsonValue,
    Kind,
    Priority,
    Ref,
    Rule,
    SlaMetric,
    SlaPolicy,
)

__all__ = [
    "FRESHDESK_MIN_SECONDS",
    "FRESHDESK_PLACEHOLDER_SECONDS",
    "SALESFORCE_MILESTONES",
    "SALESFORCE_NO_SLA_WRITE",
    "SALESFORCE_RECURRENCE",
    "SLA_INACTIVE_TAG",
    "UNTRANSLATABLE_SLA_POLICY",
    "ZENDESK_INACTIVE_GUARD",
    "ZENDESK_METRIC_NAMES",
    "SlaReport",
    "SlaTranslation",
    "entitlement_process_full_name",
    "entitlement_process_name",
    "is_zendesk_guard",
    "sla_platform_of",
    "sla_refs",
    "sla_report",
    "translate_sla",
    "untranslatable",
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

SALESFORCE_NO_SLA_WRITE: Final = (
    "no-sla-write: Salesforce SLA policies are entitlement processes, Metadata API records "
    "(EntitlementProcess with its milestones) that need Entitlement Management enabled and a "
    "MilestoneType record per metric; cemigrate does not write Salesforce metadata yet"
)
"""Kept for reports written before cemigrate wrote entitlement processes."""
FRESHDESK_MIN_SECONDS: Final = 900
"""Freshdesk's shortest target (15 minutes); targets are whole minutes."""
FRESHDESK_PLACEHOLDER_SECONDS: Final = 30 * 24 * 3600
"""What a Freshdesk priority gets for a required target the source policy does not set (30
days, listed as a gap to review before activation)."""

_ZENDESK_METRICS: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.FIRST_REPLY_TIME: "first_reply_time",
    SlaMetric.NEXT_REPLY_TIME: "next_reply_time",
    SlaMetric.PERIODIC_UPDATE_TIME: "periodic_update_time",
    SlaMetric.REQUESTER_WAIT_TIME: "requester_wait_time",
    SlaMetric.AGENT_WORK_TIME: "agent_work_time",
    SlaMetric.RESOLUTION_TIME: "total_resolution_time",
}
ZENDESK_METRIC_NAMES: Final = frozenset({*_ZENDESK_METRICS.values(), "pausable_update_time"})
"""The metrics a Zendesk SLA policy accepts."""
_FRESHDESK_METRICS: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.FIRST_REPLY_TIME: "respond_within",
    SlaMetric.NEXT_REPLY_TIME: "next_respond_within",
    SlaMetric.RESOLUTION_TIME: "resolve_within",
}
_FRESHDESK_REQUIRED: Final = (SlaMetric.FIRST_REPLY_TIME, SlaMetric.RESOLUTION_TIME)
_FRESHDESK_CODES: Final[Mapping[int, Priority]] = {
    1: Priority.LOW,
    2: Priority.NORMAL,
    3: Priority.HIGH,
    4: Priority.URGENT,
}
_FRESHDESK_SCOPE: Final[Mapping[str, str]] = {
    "company_ids": "organization",
    "group_ids": "group",
    "ticket_types": "type",
    "sources": "channel",
    "product_ids": "freshdesk:product_id",
    "contact_segments": "freshdesk:contact_segment",
    "company_segments": "freshdesk:company_segment",
}
"""``applicable_to`` keys and the normal field each tests."""
_FRESHDESK_SCOPE_KEYS: Final[Mapping[str, str]] = {
    "organization": "company_ids",
    "group": "group_ids",
    "type": "ticket_types",
}
"""Normal fields a Zendesk filter condition can become in ``applicable_to``."""
_ZENDESK_TYPES: Final = frozenset({"question", "incident", "problem", "task"})
_MISSING_REASON: Final = "Freshdesk SLA policies have no {what} target"
_WHAT: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.PERIODIC_UPDATE_TIME: "periodic update",
    SlaMetric.REQUESTER_WAIT_TIME: "requester wait time",
    SlaMetric.AGENT_WORK_TIME: "agent work time",
}


@attrs.frozen(kw_only=True)
class SlaTranslation:
    """An SLA policy translated for a target platform (``payload`` empty when untranslated)."""

    policy: SlaPolicy
    source: str
    target: str
    status: TranslationStatus
    payload: Mapping[str, JsonValue] = attrs.field(factory=dict)
    """The body of the create call: Zendesk's ``sla_policy`` object (with the inactive guard)
    or Freshdesk's policy (``active: false``)."""
    gaps: tuple[Gap, ...] = ()
    reason: str = ""
    """Why nothing was translated (``untranslated`` only)."""

    def as_json(self) -> dict[str, JsonValue]:
        """The translation as JSON: the policy's title, outcome and original scope/targets."""
        return {
            "id": self.policy.id,
            "title": self.policy.title,
            "status": str(self.status),
            "reason": self.reason,
            "missing": [g.as_json() for g in self.gaps],
            "original": _original(self.policy),
        }


def _original(policy: SlaPolicy) -> dict[str, JsonValue]:
    raw = policy.raw
    keys = ("filter", "policy_metrics", "applicable_to", "sla_target", "escalation")
    kept: dict[str, JsonValue] = {k: raw[k] for k in keys if k in raw}
    if not kept:
        kept["targets"] = [
            {
                "priority": str(t.priority),
                "metric": str(t.metric),
                "minutes": t.minutes,
                "business_hours": t.business_hours,
            }
            for t in policy.targets
        ]
    return kept


# --- the Zendesk guard ---------------------------------------------------------------------


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


# --- reading the source --------------------------------------------------------------------


def sla_platform_of(policy: SlaPolicy) -> str:
    """The platform an SLA policy was read from, by its payload (Freshdesk's have
    ``sla_target``, Salesforce's entitlement processes an ``Id``); Zendesk otherwise."""
    if "sla_target" in policy.raw:
        return "freshdesk"
    if "Id" in policy.raw or "IsActive" in policy.raw:
        return "salesforce"
    return "zendesk"


def _zendesk_filter(policy: SlaPolicy) -> tuple[list[NormalCondition], list[NormalCondition]]:
    found = policy.raw.get("filter")
    current: Mapping[str, JsonValue] = found if isinstance(found, dict) else {}

    def read(items: JsonValue) -> list[NormalCondition]:
        out = []
        for c in items if isinstance(items, list) else []:
            if not isinstance(c, dict) or is_zendesk_guard(c):
                continue
            out.append(
                _zendesk_condition(
                    Condition(
                        field=str(c.get("field")),
                        operator=str(c.get("operator")),
                        value=c.get("value"),
                    )
                )
            )
        return out

    return read(current.get("all")), read(current.get("any"))


def _freshdesk_scope(policy: SlaPolicy) -> dict[str, list[JsonValue]]:
    found = policy.raw.get("applicable_to")
    scope: dict[str, list[JsonValue]] = {}
    for key, values in (found if isinstance(found, dict) else {}).items():
        if isinstance(values, list) and values:
            scope[key] = list(values)
    return scope


def _scope_value(field: str, value: JsonValue) -> JsonValue:
    """A Freshdesk ``applicable_to`` value in the normal vocabulary."""
    if field in ("organization", "group"):
        return str(value)
    if field == "type" and isinstance(value, str):
        return value.lower()
    return value


def sla_refs(policy: SlaPolicy, platform: str | None = None) -> list[Ref]:
    """The groups, agents, organizations and custom fields a policy names by id: what the
    ledger must map for :func:`translate_sla` to remap them."""
    platform = platform or sla_platform_of(policy)
    found: list[Ref] = []
    kinds = {
        "group": Kind.GROUP,
        "organization": Kind.ORGANIZATION,
        "assignee": Kind.USER,
        "requester": Kind.USER,
    }
    if platform == "freshdesk":
        for key, values in _freshdesk_scope(policy).items():
            kind = kinds.get(_FRESHDESK_SCOPE.get(key, ""))
            if kind is not None:
                found += [Ref(kind=kind, id=str(v)) for v in values]
        for agent in _escalation_agents(policy.raw.get("escalation")):
            found.append(Ref(kind=Kind.USER, id=str(agent)))
        return list(dict.fromkeys(found))
    all_of, any_of = _zendesk_filter(policy)
    for c in (*all_of, *any_of):
        if c.field.startswith("custom:"):
            found.append(Ref(kind=Kind.FIELD, id=c.field.removeprefix("custom:")))
        kind = kinds.get(c.field)
        values = c.value if isinstance(c.value, list) else [c.value]
        for v in values:
            if kind is not None and isinstance(v, str) and v.isdigit():
                found.append(Ref(kind=kind, id=v))
    return list(dict.fromkeys(found))


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


# --- translation ---------------------------------------------------------------------------


def _untranslated(
    policy: SlaPolicy, source: str, target: str, reason: str, gaps: Sequence[Gap] = ()
) -> SlaTranslation:
    return SlaTranslation(
        policy=policy,
        source=source,
        target=target,
        status=TranslationStatus.UNTRANSLATED,
        gaps=tuple(gaps),
        reason=reason,
    )


def _target_text(priority: Priority, metric: SlaMetric, minutes: int, business: bool) -> str:
    hours = "business hours" if business else "calendar hours"
    return f"{priority} {metric} {minutes} min ({hours})"


def translate_sla(
    policy: SlaPolicy,
    *,
    source: str,
    target: str,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
) -> SlaTranslation:
    """``policy`` (read from ``source``) as a ``target`` create payload, inactive.

    ``links`` maps source references (groups, agents, organizations, custom fields) to target
    ids; ``mapping`` holds the mapping's value tables (``priority``: schema value → target
    value). Between two accounts of the same platform without ``links``, ids are kept.
    """
    if target not in ("zendesk", "freshdesk", "salesforce"):
        raise ValueError(f"sla: unknown target {target!r}")
    platform = "zendesk" if source == "memory" else source
    if platform == "salesforce":
        return _untranslated(
            policy,
            source,
            target,
            "a Salesforce entitlement process keeps its milestones (the targets) in metadata "
            "cemigrate does not read",
        )
    ctx = _Context(
        source=platform, target=target, links=links or {}, values=mapping or {}, field_names={}
    )
    if target == "zendesk":
        return _to_zendesk(policy, ctx)
    if target == "salesforce":
        return _to_salesforce(policy, ctx)
    return _to_freshdesk(policy, ctx)


def _priority(ctx: _Context, priority: Priority) -> str:
    """The target's priority for a schema priority (Zendesk name, Freshdesk code)."""
    coded = _coded(ctx, "priority", str(priority))
    if ctx.target == "freshdesk" and not (isinstance(coded, int) and coded in _FRESHDESK_CODES):
        raise _Missing(f"Freshdesk has no priority {coded!r}")
    if ctx.target == "zendesk" and coded not in {str(p) for p in Priority}:
        raise _Missing(f"Zendesk has no priority {coded!r}")
    return str(coded)


def _to_zendesk(policy: SlaPolicy, ctx: _Context) -> SlaTranslation:
    gaps: list[Gap] = []
    pausable = _pausable(policy) if ctx.source == "zendesk" else set()
    metrics: list[JsonValue] = []
    seen: dict[tuple[str, str], str] = {}
    for t in policy.targets:
        original = _target_text(t.priority, t.metric, t.minutes, t.business_hours)
        try:
            priority = _priority(ctx, t.priority)
        except _Missing as exc:
            gaps.append(Gap(part="target", original=original, reason=str(exc)))
            continue
        name = _ZENDESK_METRICS[t.metric]
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
    if ctx.source == "freshdesk":
        all_of, any_of = _freshdesk_scope_to_zendesk(policy, ctx, gaps)
        gaps += _escalation_gaps(policy)
    else:
        all_of, any_of = _zendesk_filter_to_zendesk(policy, ctx, gaps)
    if policy.targets and not metrics:
        return _untranslated(
            policy, ctx.source, ctx.target, "none of its targets can be expressed in zendesk", gaps
        )
    payload: dict[str, JsonValue] = {
        "title": policy.title,
        "description": policy.description,
        "filter": {"all": [dict(ZENDESK_INACTIVE_GUARD), *all_of], "any": any_of},
        "policy_metrics": metrics,
    }
    return SlaTranslation(
        policy=policy,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        payload=payload,
        gaps=tuple(gaps),
    )


def _pausable(policy: SlaPolicy) -> set[str]:
    """Priorities whose update target the Zendesk source measures as pausable."""
    found = policy.raw.get("policy_metrics")
    return {
        str(m.get("priority"))
        for m in (found if isinstance(found, list) else [])
        if isinstance(m, dict) and m.get("metric") == "pausable_update_time"
    }


def _zendesk_filter_to_zendesk(
    policy: SlaPolicy, ctx: _Context, gaps: list[Gap]
) -> tuple[list[JsonValue], list[JsonValue]]:
    all_of, any_of = _zendesk_filter(policy)

    def convert(items: Sequence[NormalCondition]) -> list[JsonValue]:
        out: list[JsonValue] = []
        for c in items:
            try:
                out.append(_condition(ctx, c))
            except _Missing as exc:
                gaps.append(Gap(part="filter", original=_text(c), reason=str(exc)))
        return out

    return convert(all_of), convert(any_of)


def _text(c: NormalCondition) -> str:
    return f"{c.source_field or c.field} {c.operator} {json.dumps(c.value)}"


def _freshdesk_scope_to_zendesk(
    policy: SlaPolicy, ctx: _Context, gaps: list[Gap]
) -> tuple[list[JsonValue], list[JsonValue]]:
    """``applicable_to`` as a Zendesk filter: one value of a kind is an ``all`` condition;
    several are the ``any`` group (Zendesk has one, so a second such kind is a gap)."""
    all_of: list[JsonValue] = []
    any_of: list[JsonValue] = []
    for key, values in _freshdesk_scope(policy).items():
        field = _FRESHDESK_SCOPE.get(key, f"freshdesk:{key}")
        original = f"applicable_to.{key} = {json.dumps(values)}"
        converted: list[JsonValue] = []
        try:
            if field == "channel":
                raise _Missing(
                    "Freshdesk source codes and Zendesk via ids are different numberings; "
                    "cemigrate does not map them"
                )
            for value in values:
                normal = NormalCondition(
                    field=field, operator="is", value=_scope_value(field, value), source_field=key
                )
                if field == "type" and normal.value not in _ZENDESK_TYPES:
                    raise _Missing(f"Zendesk has no ticket type {value!r}")
                converted.append(_condition(ctx, normal))
        except _Missing as exc:
            gaps.append(Gap(part="filter", original=original, reason=str(exc)))
            continue
        if len(converted) == 1:
            all_of += converted
        elif not any_of:
            any_of = converted
        else:
            gaps.append(
                Gap(
                    part="filter",
                    original=original,
                    reason="a Zendesk filter has one 'any' group, already used by another "
                    "list of this policy",
                )
            )
    return all_of, any_of


def _escalation_gaps(policy: SlaPolicy, *, target: str = "zendesk") -> list[Gap]:
    targets = policy.raw.get("sla_target")
    escalating = [
        key
        for key, value in sorted((targets if isinstance(targets, dict) else {}).items())
        if isinstance(value, dict) and value.get("escalation_enabled")
    ]
    if not escalating:
        return []
    return [
        Gap(
            part="escalation",
            original=f"escalation_enabled for {', '.join(escalating)}: "
            + json.dumps(policy.raw.get("escalation"), sort_keys=True),
            reason="Zendesk SLA policies do not escalate: add an automation on the hours "
            "until the next SLA breach"
            if target == "zendesk"
            else "a milestone escalates through its time triggers (violation actions), which "
            "cemigrate does not write: add them to the milestones",
        )
    ]


def _to_freshdesk(policy: SlaPolicy, ctx: _Context) -> SlaTranslation:
    gaps: list[Gap] = []
    if ctx.source == "freshdesk" and policy.raw.get("is_default"):
        return _untranslated(
            policy,
            ctx.source,
            ctx.target,
            "it is Freshdesk's default policy, which every account has and the API cannot "
            "change (cannot_update_default_sla): set its targets by hand",
        )
    by_code: dict[int, dict[SlaMetric, tuple[int, bool, str]]] = {}
    for t in policy.targets:
        original = _target_text(t.priority, t.metric, t.minutes, t.business_hours)
        name = _FRESHDESK_METRICS.get(t.metric)
        if name is None:
            reason = _MISSING_REASON.format(what=_WHAT.get(t.metric, str(t.metric)))
            gaps.append(Gap(part="target", original=original, reason=reason))
            continue
        try:
            code = int(_priority(ctx, t.priority))
        except _Missing as exc:
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
        return _untranslated(policy, ctx.source, ctx.target, reason, gaps)
    if ctx.source == "freshdesk":
        scope = _freshdesk_scope_to_freshdesk(policy, ctx, gaps)
    else:
        scope = _zendesk_filter_to_freshdesk(policy, ctx, gaps)
    if not scope:
        narrowed = any(g.part == "filter" for g in gaps)
        reason = (
            "none of the conditions choosing its tickets can be expressed in Freshdesk's "
            "applicable_to, and without them it would apply to every ticket"
            if narrowed
            else "it applies to every ticket: in Freshdesk only the default policy does, and "
            "the API cannot change it (cannot_update_default_sla); set its targets by hand"
        )
        return _untranslated(policy, ctx.source, ctx.target, reason, gaps)
    sla_target = _freshdesk_targets(policy, ctx, by_code, gaps)
    payload: dict[str, JsonValue] = {
        "name": policy.title,
        "description": policy.description,
        "active": False,
        "sla_target": sla_target,
        "applicable_to": scope,
    }
    escalation = policy.raw.get("escalation")
    if ctx.source == "freshdesk" and isinstance(escalation, dict):
        payload["escalation"] = _escalation(escalation, ctx, gaps)
    return SlaTranslation(
        policy=policy,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        payload=payload,
        gaps=tuple(gaps),
    )


def _freshdesk_targets(
    policy: SlaPolicy,
    ctx: _Context,
    by_code: Mapping[int, Mapping[SlaMetric, tuple[int, bool, str]]],
    gaps: list[Gap],
) -> dict[str, JsonValue]:
    """``sla_target`` with all four priorities, as Freshdesk requires."""
    raw_targets = policy.raw.get("sla_target") if ctx.source == "freshdesk" else None
    out: dict[str, JsonValue] = {}
    for code in sorted(_FRESHDESK_CODES, reverse=True):
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
        for metric, name in _FRESHDESK_METRICS.items():
            if metric in slot:
                minutes = slot[metric][0]
                seconds = minutes * 60
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
            elif metric in _FRESHDESK_REQUIRED:
                entry[name] = FRESHDESK_PLACEHOLDER_SECONDS
                gaps.append(
                    Gap(
                        part="target",
                        original=f"{_FRESHDESK_CODES[code]} {metric}: none",
                        reason=f"Freshdesk requires {name} for every priority: written as 30 "
                        "days, review before activation",
                    )
                )
        escalate = False
        if isinstance(raw_targets, dict):
            raw_entry = raw_targets.get(f"priority_{code}")
            escalate = (
                bool(raw_entry.get("escalation_enabled")) if isinstance(raw_entry, dict) else False
            )
        entry["business_hours"] = business
        entry["escalation_enabled"] = escalate
        out[f"priority_{code}"] = entry
    return out


def _freshdesk_scope_to_freshdesk(
    policy: SlaPolicy, ctx: _Context, gaps: list[Gap]
) -> dict[str, JsonValue]:
    kinds = {"company_ids": "organization", "group_ids": "group"}
    out: dict[str, JsonValue] = {}
    for key, values in _freshdesk_scope(policy).items():
        field = kinds.get(key)
        if field is None:
            if ctx.links and key in ("product_ids", "contact_segments", "company_segments"):
                gaps.append(
                    Gap(
                        part="filter",
                        original=f"applicable_to.{key} = {json.dumps(values)}",
                        reason=f"cemigrate does not migrate {key.removesuffix('_ids')}s: "
                        "their ids differ in the target",
                    )
                )
                continue
            out[key] = list(values)
            continue
        kept: list[JsonValue] = []
        for value in values:
            try:
                kept.append(_id_value(ctx, field, str(value)))
            except _Missing as exc:
                gaps.append(
                    Gap(part="filter", original=f"applicable_to.{key} {value}", reason=str(exc))
                )
        if kept:
            out[key] = kept
    return out


def _zendesk_filter_to_freshdesk(
    policy: SlaPolicy, ctx: _Context, gaps: list[Gap]
) -> dict[str, JsonValue]:
    """A Zendesk filter as ``applicable_to``: ``is`` conditions on organization, group and
    type; an ``any`` group of them on one of those fields."""
    all_of, any_of = _zendesk_filter(policy)
    out: dict[str, list[JsonValue]] = {}

    def value_of(c: NormalCondition) -> tuple[str, JsonValue]:
        key = _FRESHDESK_SCOPE_KEYS.get(c.field)
        if key is None or c.operator != "is":
            raise _Missing(
                "Freshdesk SLA policies apply by company, group, ticket type, source or "
                f"product only ('is' conditions), not by {c.source_field or c.field} "
                f"{c.operator}"
            )
        if c.field == "type":
            return key, str(c.value).capitalize()
        return key, _id_value(ctx, c.field, c.value)

    for c in all_of:
        try:
            key, value = value_of(c)
        except _Missing as exc:
            gaps.append(Gap(part="filter", original=_text(c), reason=str(exc)))
            continue
        out.setdefault(key, []).append(value)
    if any_of:
        fields = {c.field for c in any_of}
        if len(fields) > 1:
            for c in any_of:
                gaps.append(
                    Gap(
                        part="filter",
                        original=_text(c),
                        reason="Freshdesk's applicable_to requires every listed kind; an "
                        "'any' across several fields cannot be expressed",
                    )
                )
        else:
            for c in any_of:
                try:
                    key, value = value_of(c)
                except _Missing as exc:
                    gaps.append(Gap(part="filter", original=_text(c), reason=str(exc)))
                    continue
                out.setdefault(key, []).append(value)
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}


def _escalation(escalation: Mapping[str, JsonValue], ctx: _Context, gaps: list[Gap]) -> JsonValue:
    """Freshdesk's escalation block with its agents remapped (``-1``, the assigned agent,
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
                    agents.append(_id_value(ctx, "assignee", str(agent)))
                except _Missing as exc:
                    gaps.append(
                        Gap(part="escalation", original=f"{key} agent {agent}", reason=str(exc))
                    )
            out[key] = {**value, "agent_ids": agents}
        else:
            nested = _escalation(value, ctx, gaps)
            out[key] = nested
    return out


# --- the report ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SlaReport:
    """Every source SLA policy's translation for one target."""

    source: str
    target: str
    translations: tuple[SlaTranslation, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many policies are translated, partial and untranslated."""
        return count_statuses(t.status for t in self.translations)

    def as_json(self) -> dict[str, JsonValue]:
        """The report as JSON (``version`` 1)."""
        return {
            "version": 1,
            "source": self.source,
            "target": self.target,
            "active": False,
            "counts": dict(self.counts),
            "policies": [t.as_json() for t in self.translations],
        }

    def markdown(self) -> str:
        """The report as Markdown."""
        return outcome_markdown(
            f"SLA policy translation: {self.source} → {self.target}",
            "Every policy is created **inactive** (Zendesk: it requires the tag "
            f"`{SLA_INACTIVE_TAG}`, which no ticket has); turn it on after cutover.",
            self.counts,
            (
                (
                    f"{t.policy.title} (SLA policy {t.policy.id})",
                    t.status,
                    t.reason,
                    t.gaps,
                    _original(t.policy),
                )
                for t in self.translations
            ),
        )

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write ``sla.json`` and ``sla.md`` into ``directory``."""
        return write_report(directory, "sla", self.as_json(), self.markdown())


def sla_report(
    policies: Iterable[SlaPolicy],
    *,
    source: str,
    target: str,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
) -> SlaReport:
    """Translate every SLA policy of ``source`` for ``target`` and account for each."""
    return SlaReport(
        source=source,
        target=target,
        translations=tuple(
            translate_sla(p, source=source, target=target, links=links, mapping=mapping)
            for p in policies
        ),
    )


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


def _salesforce_priority(ctx: _Context, priority: Priority) -> str:
    # Imported here: the Salesforce adapter package imports this module.
    from cemigrate.rules.salesforce import case_value

    return case_value("priority", str(priority), ctx.values)


def _to_salesforce(policy: SlaPolicy, ctx: _Context) -> SlaTranslation:
    """An entitlement process on Case, inactive, with one milestone per metric and priority;
    the milestone's criteria test ``Case.Priority`` (and what of the policy's filter a case
    field can say)."""
    gaps: list[Gap] = []
    criteria = _salesforce_criteria(policy, ctx, gaps)
    milestones: list[JsonValue] = []
    seen: dict[tuple[str, str], str] = {}
    calendar: list[str] = []
    for t in policy.targets:
        original = _target_text(t.priority, t.metric, t.minutes, t.business_hours)
        names = SALESFORCE_MILESTONES.get(t.metric)
        if names is None:
            reason = _SALESFORCE_NO_MILESTONE.format(what=_WHAT.get(t.metric, str(t.metric)))
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
        return _untranslated(policy, ctx.source, ctx.target, reason, gaps)
    if ctx.source == "freshdesk":
        gaps += _escalation_gaps(policy, target="salesforce")
    name = entitlement_process_name(policy.title)
    payload: dict[str, JsonValue] = {
        "fullName": entitlement_process_full_name(policy.title),
        "name": name,
        "description": policy.description or None,
        "active": False,
        "SObjectType": "Case",
        "milestones": milestones,
    }
    return SlaTranslation(
        policy=policy,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        payload={k: v for k, v in payload.items() if v is not None},
        gaps=tuple(gaps),
    )


def _salesforce_criteria(policy: SlaPolicy, ctx: _Context, gaps: list[Gap]) -> list[JsonValue]:
    """What of the policy's filter each milestone's criteria can test; the rest are gaps
    (an entitlement process applies to the cases whose entitlement names it)."""
    conditions: list[tuple[str, NormalCondition]] = []
    if ctx.source == "freshdesk":
        for key, values in _freshdesk_scope(policy).items():
            field = _FRESHDESK_SCOPE.get(key, f"freshdesk:{key}")
            original = f"applicable_to.{key} = {json.dumps(values)}"
            conditions.append(
                (
                    original,
                    NormalCondition(
                        field=field,
                        operator="is",
                        value=[_scope_value(field, v) for v in values],
                        source_field=key,
                    ),
                )
            )
    else:
        all_of, any_of = _zendesk_filter(policy)
        conditions += [(_text(c), c) for c in all_of]
        if len(any_of) == 1:
            conditions += [(_text(c), c) for c in any_of]
        elif any_of:
            gaps.append(
                Gap(
                    part="filter",
                    original=" OR ".join(_text(c) for c in any_of),
                    reason="a milestone's criteria here are all ANDed: cemigrate writes no "
                    "criteria logic for 'any' conditions",
                )
            )
    out: list[JsonValue] = []
    for original, c in conditions:
        try:
            out.append(_salesforce_item(ctx, c))
        except _Missing as exc:
            gaps.append(Gap(part="filter", original=original, reason=str(exc)))
    return out


def _salesforce_item(ctx: _Context, c: NormalCondition) -> dict[str, JsonValue]:
    """One policy filter condition as a milestone criteria filter item."""
    from cemigrate.rules.salesforce import case_value

    if c.field == "organization":
        try:
            accounts = _id_value(ctx, "organization", c.value)
        except _Missing as exc:
            accounts = f"(not migrated: {exc})"
        raise _Missing(
            "an entitlement process cannot test the account: entitlements are assigned per "
            "account or contact, so give these accounts an Entitlement with this process "
            f"({json.dumps(accounts)})"
        )
    column = _SALESFORCE_CRITERIA.get(c.field)
    operation = _SALESFORCE_OPERATIONS.get(c.operator)
    if column is None or operation is None:
        raise _Missing(
            f"a milestone's criteria test Case type and status with is/is not; cemigrate "
            f"cannot write {c.field} {c.operator} (an entitlement process applies to the cases "
            "whose entitlement names it)"
        )
    values = c.value if isinstance(c.value, list) else [c.value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise _Missing(f"{c.field} {c.operator} needs picklist values, not {c.value!r}")
    picked = [case_value(c.field, str(v), ctx.values) for v in values]
    if any("," in v for v in picked):
        raise _Missing(f"a criteria value cannot hold a comma: {picked!r}")
    if operation == "notEqual" and len(picked) > 1:
        raise _Missing("'is not' with several values needs criteria logic cemigrate does not write")
    return {"field": f"Case.{column}", "operation": operation, "value": ",".join(picked)}


UNTRANSLATABLE_SLA_POLICY: Final = "untranslatable-sla-policy"
"""The policy under which a target skips an SLA policy it cannot express (the reason follows)."""


def untranslatable(record: object, *, target: str, options: Options | None = None) -> str:
    """Why ``target`` declines a rule or SLA policy (``"policy: reason"``), or ``""``: what a
    target's ``declines`` answers before a run knows target ids, so every reference counts as
    linked and only what no id can fix is untranslatable."""
    if isinstance(record, SlaPolicy):
        sla = translate_sla(record, source=sla_platform_of(record), target=target, links=EVERY_LINK)
        if sla.status is TranslationStatus.UNTRANSLATED:
            return f"{UNTRANSLATABLE_SLA_POLICY}: {sla.reason}"
    if isinstance(record, Rule):
        done = translate(
            record, source=platform_of(record), target=target, links=EVERY_LINK, options=options
        )
        if done.status is TranslationStatus.UNTRANSLATED:
            return f"{UNTRANSLATABLE_RULE}: {done.reason}"
    return ""
