"""The rules audit: what is wrong with a help desk's business rules, with the rule ids involved.

Checks (:class:`Check`), each finding explained in one line:

- ``conflict``: two active rules can fire on the same ticket (same event, conditions not
  contradictory together) and set the same field to different values;
- ``loop``: active rules whose actions make each other's conditions true on update (a cycle
  in the graph "A's action sets what B's condition reads, to a value B wants");
- ``never_fires``: a rule whose ``all`` conditions contradict each other;
- ``duplicate`` / ``near_duplicate``: same kind, events, conditions and actions; or the same
  up to one condition or action (and at least two in common);
- ``reference``: a group, agent, field or field option that is deleted, inactive or absent;
- ``no_nullifying_condition``: an active time-based rule none of whose conditions its own
  actions make false (it would fire again every hour);
- ``order_dependence``: two active rules of the same kind on the same event whose tag actions
  do not commute (one adds a tag the other removes, or one replaces all tags), so the result
  depends on their positions.

Rules whose contents the adapter does not read (Salesforce assignment and escalation rules)
are counted but not judged. Findings do not depend on the order rules are given in.
"""

from __future__ import annotations

import enum
import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from cemigrate.rules.dialect import RuleDialect
from cemigrate.rules.model import (
    PRIORITY_ORDER,
    STATUS_ORDER,
    TAG_ACTIONS,
    WRITES,
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
)
from cemigrate.schema import FieldDef, Group, JsonValue, Rule, User

REPORT_VERSION: Final = 1
"""Version of the ``audit.json`` layout."""


class Check(enum.StrEnum):
    """The kinds of finding, in report order."""

    NEVER_FIRES = "never_fires"
    CONFLICT = "conflict"
    LOOP = "loop"
    NO_NULLIFYING_CONDITION = "no_nullifying_condition"
    REFERENCE = "reference"
    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    ORDER_DEPENDENCE = "order_dependence"


_CHECK_ORDER: Final = {check: n for n, check in enumerate(Check)}


@attrs.frozen(kw_only=True)
class AuditFinding:
    """One problem: the check that found it, the rules involved and a one-line explanation."""

    check: Check
    rule_ids: tuple[str, ...]
    message: str


@attrs.frozen(kw_only=True)
class AuditReport:
    """Every finding of one audit, in a stable order, and how many rules were read."""

    findings: tuple[AuditFinding, ...]
    rules: int
    judged: int
    """Rules whose conditions and actions are known (the rest are opaque, not judged)."""
    titles: Mapping[str, str] = attrs.field(factory=dict)

    def by_check(self, check: Check) -> list[AuditFinding]:
        """The findings of one check."""
        return [f for f in self.findings if f.check is check]

    def flagged(self) -> set[str]:
        """Ids of every rule named by at least one finding."""
        return {i for f in self.findings for i in f.rule_ids}

    def content(self) -> dict[str, Any]:
        """The report as JSON-ready data (the ``audit.json`` layout)."""
        counts = {str(c): len(self.by_check(c)) for c in Check}
        return {
            "version": REPORT_VERSION,
            "rules": self.rules,
            "judged": self.judged,
            "counts": counts,
            "findings": [
                {
                    "check": str(f.check),
                    "rule_ids": list(f.rule_ids),
                    "titles": [self.titles.get(i, "") for i in f.rule_ids],
                    "message": f.message,
                }
                for f in self.findings
            ],
        }

    def markdown(self) -> str:
        """The report as Markdown: a summary table, then the findings grouped by check."""
        lines = [
            "# Rules audit",
            "",
            f"{self.rules} rules read, {self.judged} judged, {len(self.findings)} finding(s).",
            "",
            "| check | findings |",
            "|---|---|",
        ]
        lines += [f"| {c} | {len(self.by_check(c))} |" for c in Check]
        for check in Check:
            found = self.by_check(check)
            if not found:
                continue
            lines += ["", f"## {check}", ""]
            for f in found:
                named = ", ".join(f"{i} ({self.titles.get(i, '')})" for i in f.rule_ids)
                lines.append(f"- **{named}**: {f.message}")
        return "\n".join(lines) + "\n"

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write ``audit.json`` and ``audit.md`` into ``out`` (created if missing)."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        as_json, as_md = folder / "audit.json", folder / "audit.md"
        as_json.write_text(json.dumps(self.content(), indent=2, sort_keys=True) + "\n")
        as_md.write_text(self.markdown())
        return {"audit.json": as_json, "audit.md": as_md}


def audit(
    rules: Iterable[Rule | NormalRule],
    *,
    groups: Iterable[Group] = (),
    users: Iterable[User] = (),
    fields: Iterable[FieldDef] = (),
    dialect: RuleDialect | None = None,
) -> AuditReport:
    """Audit ``rules`` (rules already normalised, or schema rules read through ``dialect``),
    checking references against the account's ``groups``, ``users`` and ``fields``."""

    def normalised(rule: Rule | NormalRule) -> NormalRule:
        if isinstance(rule, NormalRule):
            return rule
        if dialect is None:
            raise TypeError(f"audit: rule {rule.id} needs the dialect it was read in")
        return dialect.normalise(rule)

    normal = sorted((normalised(r) for r in rules), key=_order)
    judged = [r for r in normal if not r.opaque]
    findings: list[AuditFinding] = []
    findings += _never_fires(judged)
    findings += _conflicts(judged)
    findings += _loops(judged)
    findings += _no_nullifying_condition(judged)
    findings += _references(judged, list(groups), list(users), list(fields))
    findings += _duplicates(judged)
    findings += _order_dependence(judged)
    findings.sort(key=lambda f: (_CHECK_ORDER[f.check], f.rule_ids, f.message))
    return AuditReport(
        findings=tuple(findings),
        rules=len(normal),
        judged=len(judged),
        titles={r.id: r.rule.title for r in normal},
    )


# --- helpers ------------------------------------------------------------------------------


def _order(rule: NormalRule) -> tuple[str, int, str]:
    return (str(rule.kind), rule.rule.position, rule.id)


def _ids(*rules: NormalRule) -> tuple[str, ...]:
    return tuple(r.id for r in sorted(rules, key=_order))


def _values(value: JsonValue) -> set[str]:
    if isinstance(value, list):
        return {str(v).lower() for v in value}
    return {"" if value is None else str(value).lower()}


def _rank(field: str, value: str) -> float | None:
    """A comparable number for ``less_than`` and ``greater_than``, or None."""
    if field == "status":
        return float(STATUS_ORDER.index(value)) if value in STATUS_ORDER else None
    if field == "priority":
        return float(PRIORITY_ORDER.index(value)) if value in PRIORITY_ORDER else None
    if field.startswith("hours_since:"):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _discrete(field: str) -> tuple[str, ...] | None:
    return {"status": STATUS_ORDER, "priority": PRIORITY_ORDER}.get(field)


def _show(c: NormalCondition) -> str:
    value = " ".join(sorted(_values(c.value)))
    return f"{c.field} {c.operator} {value}".rstrip()


_EQUALS: Final = frozenset({"is", "changed_to"})
_NOT_EQUALS: Final = frozenset({"is_not", "not_changed_to"})
_CHANGED: Final = frozenset({"changed", "changed_to", "changed_from", "not_changed_from"})


def _field_contradiction(field: str, conds: Sequence[NormalCondition]) -> str | None:
    """Why ``conds`` (all on ``field``) cannot hold together, or None if they can."""
    if field == "tags":
        forbidden: set[str] = set()
        for c in conds:
            if c.operator == "not_includes":
                forbidden |= _values(c.value)
        for c in conds:
            wanted = _values(c.value)
            if c.operator == "includes" and wanted and wanted <= forbidden:
                return f"tags must include {' or '.join(sorted(wanted))} and must not"
        return None
    ops = {c.operator for c in conds}
    if "not_changed" in ops and ops & _CHANGED:
        return f"{field} must both change and not change"
    allowed: set[str] | None = None
    excluded: set[str] = set()
    low, high = -math.inf, math.inf
    for c in conds:
        values = _values(c.value)
        if c.operator in _EQUALS:
            allowed = values if allowed is None else allowed & values
        elif c.operator in _NOT_EQUALS:
            excluded |= values
        elif c.operator in ("less_than", "greater_than"):
            ranks = [r for v in values if (r := _rank(field, v)) is not None]
            if len(ranks) != 1:
                continue
            if c.operator == "less_than":
                high = min(high, ranks[0])
            else:
                low = max(low, ranks[0])
    why = " and ".join(_show(c) for c in conds)
    if allowed is not None:
        left = allowed - excluded
        left = {v for v in left if (r := _rank(field, v)) is None or low < r < high}
        return None if left else why
    discrete = _discrete(field)
    if discrete is not None:
        open_ranks = {float(n) for n, v in enumerate(discrete) if v not in excluded}
        return None if any(low < r < high for r in open_ranks) else why
    return None if low < high else why


def _contradiction(conds: Iterable[NormalCondition]) -> str | None:
    by_field: dict[str, list[NormalCondition]] = defaultdict(list)
    for c in conds:
        by_field[c.field].append(c)
    for field in sorted(by_field):
        why = _field_contradiction(field, by_field[field])
        if why is not None:
            return why
    return None


def _can_hold(rule: NormalRule, extra: Sequence[NormalCondition] = ()) -> bool:
    """Whether ``rule``'s conditions (with ``extra`` ones) can all be true at once."""
    base = [*rule.conditions_all, *extra]
    if not rule.conditions_any:
        return _contradiction(base) is None
    return any(_contradiction([*base, c]) is None for c in rule.conditions_any)


def _co_fire(a: NormalRule, b: NormalRule) -> bool:
    """Whether two active automatic rules can fire on the same ticket on the same event."""
    if not (a.active and b.active and a.automatic and b.automatic):
        return False
    if not (a.events & b.events):
        return False
    base = [*a.conditions_all, *b.conditions_all]
    anys_a: Sequence[NormalCondition | None] = a.conditions_any or (None,)
    anys_b: Sequence[NormalCondition | None] = b.conditions_any or (None,)
    for x, y in itertools.product(anys_a, anys_b):
        extra = [c for c in (x, y) if c is not None]
        if _contradiction([*base, *extra]) is None:
            return True
    return False


def _holds(cond: NormalCondition, value: JsonValue) -> bool | None:
    """Whether ``cond`` holds right after its field is set to ``value`` (None: unknown)."""
    written = _values(value)
    wanted = _values(cond.value)
    if cond.operator in _EQUALS:
        return written <= wanted
    if cond.operator in _NOT_EQUALS:
        return not (written & wanted)
    if cond.operator == "changed":
        return True
    if cond.operator == "not_changed":
        return False
    if cond.operator in ("less_than", "greater_than") and len(written) == 1:
        mine = _rank(cond.field, next(iter(written)))
        theirs = [r for v in wanted if (r := _rank(cond.field, v)) is not None]
        if mine is None or len(theirs) != 1:
            return None
        return mine < theirs[0] if cond.operator == "less_than" else mine > theirs[0]
    return None


def _tag_effect(cond: NormalCondition, action: NormalAction) -> bool | None:
    """Whether ``cond`` (on tags) holds after the tag ``action`` (None: unknown)."""
    tags, wanted = _values(action.value), _values(cond.value)
    if action.kind is ActionKind.ADD_TAGS:
        if cond.operator == "includes" and tags & wanted:
            return True
        if cond.operator == "not_includes" and tags & wanted:
            return False
    elif action.kind is ActionKind.REMOVE_TAGS:
        if cond.operator == "includes" and wanted <= tags:
            return False
        if cond.operator == "not_includes" and wanted <= tags:
            return True
    elif action.kind is ActionKind.SET_TAGS:
        if cond.operator == "includes":
            return bool(tags & wanted)
        if cond.operator == "not_includes":
            return not (tags & wanted)
    return None


def _effect(cond: NormalCondition, action: NormalAction) -> bool | None:
    """Whether ``action`` leaves ``cond`` true, false, or does not decide it (None)."""
    if action.field != cond.field:
        return None
    if action.kind in TAG_ACTIONS:
        return _tag_effect(cond, action)
    if action.kind in WRITES:
        return _holds(cond, action.value)
    return None


# --- checks -------------------------------------------------------------------------------


def _never_fires(rules: Sequence[NormalRule]) -> list[AuditFinding]:
    out = []
    for rule in rules:
        if rule.kind == "macro" or not (rule.conditions_all or rule.conditions_any):
            continue
        why = _contradiction(rule.conditions_all)
        if why is None and rule.conditions_any and not _can_hold(rule):
            why = "no condition under 'any' is compatible with the conditions under 'all'"
        if why is not None:
            out.append(AuditFinding(check=Check.NEVER_FIRES, rule_ids=(rule.id,), message=f"{why}"))
    return out


def _writes(rule: NormalRule) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for action in rule.actions:
        if action.kind in WRITES or action.kind is ActionKind.SET_TAGS:
            out[action.field] |= {" ".join(sorted(_values(action.value)))}
    return out


def _conflicts(rules: Sequence[NormalRule]) -> list[AuditFinding]:
    out = []
    for a, b in itertools.combinations(rules, 2):
        if not _co_fire(a, b):
            continue
        wa, wb = _writes(a), _writes(b)
        for field in sorted(wa.keys() & wb.keys()):
            if wa[field] != wb[field]:
                first, second = sorted((a, b), key=_order)
                out.append(
                    AuditFinding(
                        check=Check.CONFLICT,
                        rule_ids=_ids(a, b),
                        message=(
                            f"both can fire on the same {'/'.join(sorted(a.events & b.events))}"
                            f" ticket and set {field}: {first.id} to"
                            f" {' '.join(sorted(_writes(first)[field]))!r},"
                            f" {second.id} to {' '.join(sorted(_writes(second)[field]))!r}"
                        ),
                    )
                )
    return out


def _retriggers(a: NormalRule, b: NormalRule) -> str | None:
    """How ``a``'s actions make ``b`` fire on the update they cause, or None."""
    if not (a.active and b.active and a.automatic and b.automatic):
        return None
    if Event.UPDATED not in b.events or Event.MANUAL in a.events:
        return None
    for action in a.actions:
        if action.kind not in WRITES and action.kind not in TAG_ACTIONS:
            continue
        for cond in (*b.conditions_all, *b.conditions_any):
            if _effect(cond, action) is not True:
                continue
            assumed = (
                [NormalCondition(field=action.field, operator="is", value=action.value)]
                if action.kind in WRITES
                else []
            )
            if _can_hold(b, assumed):
                return f"{a.id} sets {action.field} so that {b.id}'s '{_show(cond)}' holds"
    return None


def _loops(rules: Sequence[NormalRule]) -> list[AuditFinding]:
    edges: dict[str, dict[str, str]] = defaultdict(dict)
    by_id = {r.id: r for r in rules}
    for a, b in itertools.permutations(rules, 2):
        why = _retriggers(a, b)
        if why is not None:
            edges[a.id][b.id] = why

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            for nxt in edges.get(node, {}):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {r.id: reach(r.id) for r in rules}
    out, done = [], set()
    for rule in rules:
        if rule.id in done or rule.id not in reachable[rule.id]:
            continue
        cycle = {rule.id} | {n for n in reachable[rule.id] if rule.id in reachable[n]}
        done |= cycle
        members = [by_id[i] for i in cycle]
        hows = sorted(why for x in cycle for y, why in edges[x].items() if y in cycle)
        out.append(
            AuditFinding(
                check=Check.LOOP,
                rule_ids=_ids(*members),
                message="these rules re-trigger each other on update: " + "; ".join(hows),
            )
        )
    return out


def _no_nullifying_condition(rules: Sequence[NormalRule]) -> list[AuditFinding]:
    out = []
    for rule in rules:
        if not (rule.active and rule.automatic and rule.time_based):
            continue
        conds = (*rule.conditions_all, *rule.conditions_any)
        if any(c.field.startswith("hours_since:") and c.operator == "is" for c in conds):
            continue  # "hours since ... is N" holds during one hour only
        nullified = any(_effect(c, a) is False for c in rule.conditions_all for a in rule.actions)
        if not nullified and rule.conditions_any:
            nullified = all(
                any(_effect(c, a) is False for a in rule.actions) for c in rule.conditions_any
            )
        if not nullified:
            out.append(
                AuditFinding(
                    check=Check.NO_NULLIFYING_CONDITION,
                    rule_ids=(rule.id,),
                    message=(
                        "no condition is made false by the rule's own actions:"
                        " it fires again on the same tickets every hour"
                    ),
                )
            )
    return out


_USER_FIELDS: Final = frozenset({"assignee", "requester"})


def _references(
    rules: Sequence[NormalRule],
    groups: Sequence[Group],
    users: Sequence[User],
    fields: Sequence[FieldDef],
) -> list[AuditFinding]:
    group_by_id = {g.id: g for g in groups}
    user_by_id = {u.id: u for u in users}
    field_by_name = {**{f.key: f for f in fields}, **{f.id: f for f in fields}}
    out = []

    def ids(value: JsonValue) -> list[str]:
        # Placeholders ("current_user", "requester_id", "") are not ids; platform ids are
        # digits, or one of the account's own ids.
        known = group_by_id.keys() | user_by_id.keys()
        return sorted(v for v in _values(value) if v.isdigit() or v in known)

    for rule in rules:
        problems: set[str] = set()
        items: list[tuple[str, JsonValue, str]] = [
            (c.field, c.value, c.operator) for c in (*rule.conditions_all, *rule.conditions_any)
        ]
        for a in rule.actions:
            if a.kind is ActionKind.NOTIFY and isinstance(a.value, list) and a.value:
                target = "group" if a.source_field.endswith("group") else "assignee"
                items.append((target, a.value[0], "is"))
            else:
                items.append((a.field, a.value, "is"))
        for field, value, operator in items:
            if field == "group" and groups:
                for i in ids(value):
                    group = group_by_id.get(i)
                    if group is None:
                        problems.add(f"group {i}, which does not exist")
                    elif group.deleted:
                        problems.add(f"group {i} ({group.name}), deleted")
            elif field in _USER_FIELDS and users:
                for i in ids(value):
                    user = user_by_id.get(i)
                    if user is None:
                        problems.add(f"agent {i}, who does not exist")
                    elif user.deleted:
                        problems.add(f"agent {i} ({user.name}), deleted")
                    elif user.suspended:
                        problems.add(f"agent {i} ({user.name}), suspended")
            elif field.startswith("custom:") and fields:
                name = field.removeprefix("custom:")
                fdef = field_by_name.get(name)
                if fdef is None:
                    problems.add(f"field {name}, which does not exist")
                elif not fdef.active:
                    problems.add(f"field {name} ({fdef.title}), inactive")
                elif fdef.options and operator in (*_EQUALS, *_NOT_EQUALS, "changed_from"):
                    options = {o.value.lower() for o in fdef.options}
                    for v in sorted(_values(value) - options - {""}):
                        problems.add(f"option {v!r} of field {name}, which it does not have")
        out += [
            AuditFinding(check=Check.REFERENCE, rule_ids=(rule.id,), message=f"names {p}")
            for p in sorted(problems)
        ]
    return out


def _signature(rule: NormalRule) -> frozenset[str]:
    def key(*parts: object) -> str:
        return json.dumps(parts, sort_keys=True, default=str)

    items = {key("all", c.field, c.operator, c.value) for c in rule.conditions_all}
    items |= {key("any", c.field, c.operator, c.value) for c in rule.conditions_any}
    items |= {key("do", str(a.kind), a.field, a.value) for a in rule.actions}
    return frozenset(items)


def _duplicates(rules: Sequence[NormalRule]) -> list[AuditFinding]:
    out = []
    groups: dict[tuple[str, frozenset[Event], frozenset[str]], list[NormalRule]] = defaultdict(list)
    for rule in rules:
        groups[(str(rule.kind), rule.events, _signature(rule))].append(rule)
    for members in groups.values():
        if len(members) > 1 and members[0].rule.conditions_all + members[0].rule.actions:
            out.append(
                AuditFinding(
                    check=Check.DUPLICATE,
                    rule_ids=_ids(*members),
                    message=f"same {members[0].kind} events, conditions and actions",
                )
            )
    for a, b in itertools.combinations(rules, 2):
        if a.kind != b.kind or a.events != b.events:
            continue
        sa, sb = _signature(a), _signature(b)
        if sa != sb and len(sa & sb) >= 2 and len(sa - sb) <= 1 and len(sb - sa) <= 1:
            out.append(
                AuditFinding(
                    check=Check.NEAR_DUPLICATE,
                    rule_ids=_ids(a, b),
                    message=(
                        f"same {a.kind} up to one condition or action ({len(sa & sb)} in common)"
                    ),
                )
            )
    return out


def _tags_clash(x: NormalAction, y: NormalAction) -> bool:
    tx, ty = _values(x.value), _values(y.value)
    kinds = {x.kind, y.kind}
    if kinds == {ActionKind.ADD_TAGS, ActionKind.REMOVE_TAGS}:
        return bool(tx & ty)
    if ActionKind.SET_TAGS in kinds and x.kind != y.kind:
        other = y if x.kind is ActionKind.SET_TAGS else x
        tags = tx if x.kind is ActionKind.SET_TAGS else ty
        added = other.kind is ActionKind.ADD_TAGS
        return not (_values(other.value) <= tags) if added else bool(_values(other.value) & tags)
    return False


def _order_dependence(rules: Sequence[NormalRule]) -> list[AuditFinding]:
    out = []
    for a, b in itertools.combinations(rules, 2):
        if a.kind != b.kind or not _co_fire(a, b):
            continue
        first, second = sorted((a, b), key=_order)
        for x, y in itertools.product(first.actions, second.actions):
            if x.kind in TAG_ACTIONS and y.kind in TAG_ACTIONS and _tags_clash(x, y):
                out.append(
                    AuditFinding(
                        check=Check.ORDER_DEPENDENCE,
                        rule_ids=(first.id, second.id),
                        message=(
                            f"{first.id} (position {first.rule.position}) {x.kind}"
                            f" {' '.join(sorted(_values(x.value)))} and {second.id}"
                            f" (position {second.rule.position}) {y.kind}"
                            f" {' '.join(sorted(_values(y.value)))}: the later one wins"
                        ),
                    )
                )
                break
    return out
