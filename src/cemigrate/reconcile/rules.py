"""The rules section of a reconciliation: every source rule accounted for, and nothing active.

For each business rule read from a source, the section says how much of it the target can
hold — ``translated``, ``partial`` (what is missing) or ``untranslated`` (why) — recomputed
with :func:`~cemigrate.rules.translation_report` from what the copier had: the links of the
ledger's done entries, the mapping's value tables and, for a Freshdesk target, its custom field
names (``rule_field_names``). It says whether the rule arrived (written, with its target id;
skipped, under its named policy; failed, with the ledger's reason) and, when the target can
tell (:class:`~cemigrate.adapters.contract.RuleSwitch`), whether it is active there. SLA
policies the ledger carried are listed the same way, without a translation status.

Rules are created inactive and only the activation step (:mod:`cemigrate.copier.activate`,
which records each rule it switches on in the ledger) turns them on, so a rule active in the
target that the step did not switch on is the one finding that blocks a sign-off: it may have
fired on imported history. The other findings name rules the ledger says were written that
the target no longer has, translatable rules that never arrived, and skips the translation no
longer explains. Untranslated and partial rules are not defects: the table lists them with
what is missing and why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from cemigrate.adapters.contract import Target
from cemigrate.adapters.registry import PLATFORMS
from cemigrate.adapters.rule_dialects import dialect_of
from cemigrate.copier.activate import activated_ids
from cemigrate.ledger import Entry, EntryState, Ledger
from cemigrate.mapping import RecordMapping, Skip
from cemigrate.reconcile.findings import Area, Finding, Findings, Severity
from cemigrate.rules.dialect import RuleDialect
from cemigrate.rules.sla import SlaTranslation, sla_refs, sla_report
from cemigrate.rules.translate import (
    UNTRANSLATABLE_RULE,
    Translation,
    TranslationStatus,
    rule_refs,
    translation_report,
)
from cemigrate.schema import Kind, Record, Ref, Rule, RuleKind, SlaPolicy, SourceKey, refs_of

__all__ = ["SLA_POLICY_PREFIX", "UNTRANSLATABLE_RULE", "RulesSection", "activated_target_ids"]


SLA_POLICY_PREFIX: Final = "sla_policies/"
"""Target ids of SLA policies that a :class:`RuleSwitch` target reports the state of."""

Declines = Callable[[Kind, Record], str]

_MANUAL: Final = frozenset({str(RuleKind.MACRO), str(RuleKind.VIEW)})
"""Rules that never fire on their own: agents apply macros and open views."""


def activated_target_ids(ledger: Ledger) -> set[str]:
    """Target ids the activation step switched on, as its journal rows say (empty when it has
    never run): the one place reconciliation asks the activation step."""
    return set(activated_ids(ledger))


@attrs.define
class _Row:
    """One rule or SLA policy, as the report lists it."""

    key: str
    instance: str
    kind: str
    rule_kind: str
    id: str
    title: str
    record: Rule | SlaPolicy
    translation: Translation | SlaTranslation | None = None
    outcome: str = "no outcome"
    target_id: str | None = None
    policy: str = ""
    state: str | None = None
    activated: bool = False

    def as_dict(self) -> dict[str, Any]:
        t = self.translation
        return {
            "source_key": self.key,
            "kind": self.kind,
            "rule_kind": self.rule_kind,
            "id": self.id,
            "title": self.title,
            "status": None if t is None else str(t.status),
            "target_kind": getattr(t, "kind", None),
            "reason": "" if t is None else t.reason,
            "missing": [] if t is None else [g.as_json() for g in t.gaps],
            "outcome": self.outcome,
            "target_id": self.target_id,
            "policy": self.policy,
            "state": self.state,
            "activated": self.activated,
        }


@attrs.define
class RulesSection:
    """Builds the ``rules`` section of ``report.json`` and its findings.

    ``target`` is the target adapter (for ``rule_states``, ``rule_field_names`` and
    ``rule_field_options``), ``values`` the mapping's value tables, ``options`` its option
    tables by source field id (:attr:`~cemigrate.adapters.Needs.options`); ``read_back`` is
    true when the target view reads rules back (the ledger sweep then already names a missing
    rule).
    """

    ledger: Ledger
    target_platform: str
    target: Target | None = None
    mapping: RecordMapping | None = None
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    options: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    declines: Declines | None = None
    read_back: bool = False

    def build(
        self,
        rules: Sequence[tuple[str, Rule]],
        policies: Sequence[tuple[str, SlaPolicy]],
        findings: Findings,
        skipped_by_policy: Counter[str],
    ) -> dict[str, Any]:
        """The section for ``rules`` and ``policies`` (each with its source instance); adds
        its findings and counts each rule skipped under a policy into ``skipped_by_policy``."""
        carried = self.ledger.counts()
        rows = self._rule_rows(rules, findings, skipped_by_policy)
        policy_rows = (
            self._policy_rows(policies) if Kind.SLA_POLICY.value in carried and policies else []
        )
        states = self._states([*rows, *policy_rows])
        activated = activated_target_ids(self.ledger)
        for row in (*rows, *policy_rows):
            self._check_state(row, states, activated, findings)
        return {
            "target": self.target_platform,
            "states_read": states is not None,
            "counts": _counts(rows),
            "sla_policy_counts": _counts(policy_rows) if policy_rows else None,
            "items": [r.as_dict() for r in sorted((*rows, *policy_rows), key=_order)],
        }

    # -- rules ---------------------------------------------------------------------------------

    def _rule_rows(
        self,
        rules: Sequence[tuple[str, Rule]],
        findings: Findings,
        skipped_by_policy: Counter[str],
    ) -> list[_Row]:
        keyed = {str(SourceKey(instance, Kind.RULE, r.id)): (instance, r) for instance, r in rules}
        entries = self.ledger.lookup(list(keyed))
        failures = {f.key: f.reason for f in self.ledger.failures(kind=Kind.RULE.value)}
        mapped: dict[str, Rule | Skip | None] = {}
        for key, (_, rule) in keyed.items():
            outcome = rule if self.mapping is None else self.mapping.apply(Kind.RULE, rule)
            mapped[key] = (
                outcome if isinstance(outcome, Rule | Skip) else None
            )  # a Refuse fails in the copier: the ledger has its reason
        translations = self._translate(
            [
                (instance, m)
                for key, (instance, _) in keyed.items()
                if isinstance(m := mapped[key], Rule)
            ],
        )
        rows = []
        for key, (instance, rule) in sorted(keyed.items()):
            row = _Row(
                key=key,
                instance=instance,
                kind=Kind.RULE.value,
                rule_kind=str(rule.kind),
                id=rule.id,
                title=rule.title,
                record=rule,
                translation=translations.get(key),
            )
            self._arrival(row, entries.get(key), mapped[key], failures, findings)
            if row.outcome == "skipped" and row.policy:
                skipped_by_policy[f"{Kind.RULE.value}: {row.policy.split(':')[0]}"] += 1
            rows.append(row)
        return rows

    def _translate(self, rules: Sequence[tuple[str, Rule]]) -> dict[str, Translation]:
        """Each rule translated as the copier did, by source key."""
        writes = PLATFORMS[self.target_platform].rules
        if writes is None or not rules:
            return {}  # a target that keeps rules as read (the memory target): no status
        names = self.target.rule_field_names() if self.target is not None else {}
        held = self.target.rule_field_options() if self.target is not None else {}
        groups: dict[tuple[str, RuleDialect], list[Rule]] = {}
        for instance, rule in rules:
            groups.setdefault((instance, dialect_of(rule)), []).append(rule)
        out: dict[str, Translation] = {}
        links_of: dict[str, Mapping[Ref, str]] = {}
        for (instance, reads), group in groups.items():
            if instance not in links_of:
                links_of[instance] = self._links(instance, [r for i, r in rules if i == instance])
            report = translation_report(
                group,
                source=reads,
                target=writes,
                links=links_of[instance],
                mapping=self.values,
                field_names=names,
                options=self.options,
                target_options=held,
            )
            for t in report.translations:
                out[str(SourceKey(instance, Kind.RULE, t.rule.id))] = t
        return out

    def _links(self, instance: str, records: Iterable[Rule | SlaPolicy]) -> dict[Ref, str]:
        """The target ids of everything these rules name that the ledger has done: the links
        the copier gave the target when it wrote them."""
        refs: set[Ref] = set()
        for record in records:
            refs.update(refs_of(record))
            if isinstance(record, Rule):
                refs.update(rule_refs(record, dialect_of(record)))
            else:
                refs.update(sla_refs(record, dialect_of(record)))
        by_key = {str(SourceKey.of(instance, ref)): ref for ref in refs}
        return {
            by_key[key]: entry.target_id
            for key, entry in self.ledger.lookup(list(by_key)).items()
            if entry.state is EntryState.DONE and entry.target_id is not None
        }

    def _arrival(
        self,
        row: _Row,
        entry: Entry | None,
        mapped: Rule | Skip | None,
        failures: Mapping[str, str],
        findings: Findings,
    ) -> None:
        """Where the rule stands in the ledger, and the findings of a lost or unexplained rule
        (a failed rule is named by the ledger's own check, ``record.failed``)."""
        t = row.translation
        if entry is None or entry.state is EntryState.PENDING:
            row.outcome = "no outcome" if entry is None else "pending"
            why = (
                "the ledger has no outcome for it"
                if entry is None
                else "still pending in the ledger: sent, never confirmed"
            )
            if isinstance(mapped, Skip):
                self._add(
                    findings,
                    row,
                    Severity.MINOR,
                    "rule.unaccounted",
                    f"skipped by the mapping ({mapped.policy}), but {why}",
                )
            elif t is not None and t.status is TranslationStatus.UNTRANSLATED:
                self._add(
                    findings,
                    row,
                    Severity.MINOR,
                    "rule.unaccounted",
                    f"cannot be translated ({t.reason}), and {why}",
                )
            else:
                status = "to be carried over" if t is None else str(t.status)
                self._add(
                    findings,
                    row,
                    Severity.MAJOR,
                    "rule.lost",
                    f"{status}, but {why}: not in the target",
                )
            return
        if entry.state is EntryState.FAILED:
            row.outcome = "failed"
            row.policy = failures.get(row.key, "no reason recorded")
            return
        if entry.state is EntryState.SKIPPED:
            row.outcome = "skipped"
            row.policy = self._skip_policy(row, mapped, findings)
            return
        row.outcome = "written"
        row.target_id = entry.target_id

    def _skip_policy(self, row: _Row, mapped: Rule | Skip | None, findings: Findings) -> str:
        """The named policy a skipped rule falls under. The ledger keeps no skip reason, so
        it is recomputed: the mapping's skip, else the translation's reason."""
        if isinstance(mapped, Skip):
            return mapped.policy
        t = row.translation
        if t is not None and t.status is TranslationStatus.UNTRANSLATED:
            return f"{UNTRANSLATABLE_RULE}: {t.reason}"
        if t is not None:
            self._add(
                findings,
                row,
                Severity.MAJOR,
                "rule.skip_unexplained",
                f"skipped, but it translates ({t.status}) with the ids the ledger holds: it "
                "should be in the target (run the migration again)",
            )
            return ""
        return "" if self.declines is None else self.declines(Kind.RULE, row.record)

    # -- SLA policies --------------------------------------------------------------------------

    def _policy_rows(self, policies: Sequence[tuple[str, SlaPolicy]]) -> list[_Row]:
        keyed = {
            str(SourceKey(instance, Kind.SLA_POLICY, p.id)): (instance, p)
            for instance, p in policies
        }
        entries = self.ledger.lookup(list(keyed))
        failures = {f.key: f.reason for f in self.ledger.failures(kind=Kind.SLA_POLICY.value)}
        translations = self._translate_policies(list(keyed.values()))
        rows = []
        for key, (instance, policy) in sorted(keyed.items()):
            row = _Row(
                key=key,
                instance=instance,
                kind=Kind.SLA_POLICY.value,
                rule_kind="sla",
                id=policy.id,
                title=policy.title,
                record=policy,
                translation=translations.get(key),
            )
            entry = entries.get(key)
            if entry is not None and entry.state is EntryState.DONE:
                row.outcome, row.target_id = "written", entry.target_id
            elif entry is not None and entry.state is EntryState.FAILED:
                row.outcome, row.policy = "failed", failures.get(key, "no reason recorded")
            elif entry is not None and entry.state is EntryState.SKIPPED:
                row.outcome = "skipped"
                t = row.translation
                declined = self.declines(Kind.SLA_POLICY, policy) if self.declines else ""
                if not declined and t is not None and t.status is TranslationStatus.UNTRANSLATED:
                    declined = t.reason
                row.policy = declined
            elif entry is not None:
                row.outcome = "pending"
            rows.append(row)  # an unaccounted policy is named by the ledger's own check
        return rows

    def _translate_policies(
        self, policies: Sequence[tuple[str, SlaPolicy]]
    ) -> dict[str, SlaTranslation]:
        """Each SLA policy translated as the copier did, by source key."""
        writes = PLATFORMS[self.target_platform].rules
        if writes is None:
            return {}  # a target that keeps policies as read (the memory target)
        groups: dict[tuple[str, RuleDialect], list[SlaPolicy]] = {}
        for instance, policy in policies:
            groups.setdefault((instance, dialect_of(policy)), []).append(policy)
        out: dict[str, SlaTranslation] = {}
        for (instance, reads), group in groups.items():
            report = sla_report(
                group,
                source=reads,
                target=writes,
                links=self._links(instance, group),
                mapping=self.values,
            )
            for t in report.translations:
                out[str(SourceKey(instance, Kind.SLA_POLICY, t.policy.id))] = t
        return out

    # -- state in the target -------------------------------------------------------------------

    def _states(self, rows: Sequence[_Row]) -> Mapping[str, bool] | None:
        """Active or not, by target id, for every written rule (one call); ``None`` when the
        target cannot tell."""
        switch = self.target.rule_switch() if self.target is not None else None
        if switch is None:
            return None
        ids = sorted({r.target_id for r in rows if _stateful(r) and r.target_id is not None})
        return switch.rule_states(ids) if ids else {}

    def _check_state(
        self,
        row: _Row,
        states: Mapping[str, bool] | None,
        activated: set[str],
        findings: Findings,
    ) -> None:
        if row.outcome != "written" or row.target_id is None:
            return
        row.activated = row.target_id in activated
        if states is None or not _stateful(row):
            return
        if row.target_id not in states:
            row.state = "missing"
            if not (self.read_back and row.kind == Kind.RULE.value):
                self._add(
                    findings,
                    row,
                    Severity.MAJOR,
                    f"{row.kind}.missing" if row.kind != Kind.RULE.value else "rule.missing",
                    f"the ledger says written as {row.target_id}, but the target no longer has it",
                )
            return
        active = states[row.target_id]
        row.state = "active" if active else "inactive"
        if active and not row.activated:
            manual = row.rule_kind in _MANUAL
            self._add(
                findings,
                row,
                Severity.MINOR if manual else Severity.CRITICAL,
                "rule.active_not_activated",
                "active in the target, but the activation step did not switch it on ("
                "switched on by hand, created active, or an active rule of the same name the "
                "migration adopted)"
                + (
                    ": agents can use it before cutover"
                    if manual
                    else ": it may fire on imported history"
                ),
            )

    def _add(
        self, findings: Findings, row: _Row, severity: Severity, check: str, message: str
    ) -> None:
        findings.add(
            Finding(
                severity=severity,
                area=Area.RULES,
                check=check,
                kind=row.kind,
                message=f"{_label(row)}: {message}",
                source_key=row.key,
                source_id=row.id,
                target_id=row.target_id,
            )
        )


def _stateful(row: _Row) -> bool:
    """Whether a target's ``rule_states`` reports this row: every rule, and SLA policies
    written under :data:`SLA_POLICY_PREFIX` ids."""
    if row.kind == Kind.RULE.value:
        return True
    return (row.target_id or "").startswith(SLA_POLICY_PREFIX)


def _label(row: _Row) -> str:
    what = "SLA policy" if row.kind == Kind.SLA_POLICY.value else row.rule_kind
    return f"{what} {row.id} “{row.title}”"


def _order(row: _Row) -> tuple[int, str]:
    return (0 if row.kind == Kind.RULE.value else 1, row.key)


def _counts(rows: Sequence[_Row]) -> dict[str, int]:
    statuses = Counter(str(r.translation.status) for r in rows if r.translation is not None)
    outcomes = Counter(r.outcome for r in rows)
    states = Counter(r.state for r in rows if r.state is not None)
    return {
        "total": len(rows),
        "translated": statuses[str(TranslationStatus.TRANSLATED)],
        "partial": statuses[str(TranslationStatus.PARTIAL)],
        "untranslated": statuses[str(TranslationStatus.UNTRANSLATED)],
        "written": outcomes["written"],
        "skipped": outcomes["skipped"],
        "failed": outcomes["failed"],
        "unaccounted": outcomes["no outcome"] + outcomes["pending"],
        "active": states["active"],
        "inactive": states["inactive"],
        "missing": states["missing"],
        "activated": sum(1 for r in rows if r.activated),
    }
