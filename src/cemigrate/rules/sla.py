"""Translate an SLA policy from one platform into another's, always inactive.

:func:`translate_sla` reads a :class:`~cemigrate.schema.SlaPolicy` through the source's dialect
(which tickets it applies to: an :class:`SlaScope` in the common vocabulary) and writes it
through the target's dialect: its targets per priority and metric (priorities through the
mapping's value table when given) and its scope (groups, organizations, agents and custom
fields remapped through ``links``, the ledger's id map). What the target cannot express is a
:class:`~cemigrate.rules.translate.Gap` naming the reason and the original: never dropped
silently. The result, an :class:`SlaTranslation`, is ``translated``, ``partial`` (written
without its gaps) or ``untranslated`` (nothing written, with the reason).

Nothing a migration creates may fire on imported history, so every policy is created
**inactive**, and activation is a separate step after cutover; how each platform keeps a
policy inactive is its dialect's business (``docs/rules.md``).

:func:`sla_report` runs it over a source's policies and writes ``sla.json`` and ``sla.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from cemigrate.rules.dialect import Context, Options, RuleDialect, Values
from cemigrate.rules.outcome import ScopeList, SlaScope, SlaTranslation
from cemigrate.rules.translate import (
    EVERY_LINK,
    UNTRANSLATABLE_RULE,
    Gap,
    TranslationStatus,
    count_statuses,
    outcome_markdown,
    translate,
    write_report,
)
from cemigrate.schema import JsonValue, Kind, Priority, Ref, Rule, SlaMetric, SlaPolicy

__all__ = [
    "METRIC_WORDS",
    "UNTRANSLATABLE_SLA_POLICY",
    "ScopeList",
    "SlaReport",
    "SlaScope",
    "SlaTranslation",
    "sla_refs",
    "sla_report",
    "target_text",
    "translate_sla",
    "untranslatable",
    "untranslated_sla",
    "written_sla",
]

METRIC_WORDS: Final[Mapping[SlaMetric, str]] = {
    SlaMetric.PERIODIC_UPDATE_TIME: "periodic update",
    SlaMetric.REQUESTER_WAIT_TIME: "requester wait time",
    SlaMetric.AGENT_WORK_TIME: "agent work time",
}
"""Metrics some platforms lack, in words for a gap's reason."""

_REF_KINDS: Final[Mapping[str, Kind]] = {
    "group": Kind.GROUP,
    "organization": Kind.ORGANIZATION,
    "assignee": Kind.USER,
    "requester": Kind.USER,
}


def target_text(priority: Priority, metric: SlaMetric, minutes: int, business: bool) -> str:
    """One target in words, for a gap (``urgent first_reply_time 60 min (business hours)``)."""
    hours = "business hours" if business else "calendar hours"
    return f"{priority} {metric} {minutes} min ({hours})"


def sla_refs(policy: SlaPolicy, dialect: RuleDialect) -> list[Ref]:
    """The groups, agents, organizations and custom fields a policy (read through
    ``dialect``) names by id: what the ledger must map for :func:`translate_sla` to remap
    them."""
    scope = dialect.sla_scope(policy)
    found: list[Ref] = []
    for listed in scope.lists:
        kind = _REF_KINDS.get(listed.field)
        if kind is not None:
            found += [Ref(kind=kind, id=str(v)) for v in listed.raw]
    found += scope.named
    for c in (*scope.all_of, *scope.any_of):
        if c.field.startswith("custom:"):
            found.append(Ref(kind=Kind.FIELD, id=c.field.removeprefix("custom:")))
        kind = _REF_KINDS.get(c.field)
        values = c.value if isinstance(c.value, list) else [c.value]
        for v in values:
            if kind is not None and isinstance(v, str) and v.isdigit():
                found.append(Ref(kind=kind, id=v))
    return list(dict.fromkeys(found))


def untranslated_sla(
    policy: SlaPolicy, ctx: Context, reason: str, gaps: Sequence[Gap] = ()
) -> SlaTranslation:
    """A translation of nothing, with why."""
    return SlaTranslation(
        policy=policy,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.UNTRANSLATED,
        gaps=tuple(gaps),
        reason=reason,
    )


def written_sla(
    policy: SlaPolicy, ctx: Context, payload: Mapping[str, JsonValue], gaps: Sequence[Gap]
) -> SlaTranslation:
    """A policy written as ``payload``: translated, or partial when ``gaps`` holds any."""
    return SlaTranslation(
        policy=policy,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        payload=payload,
        gaps=tuple(gaps),
    )


def translate_sla(
    policy: SlaPolicy,
    *,
    source: RuleDialect,
    target: RuleDialect,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
) -> SlaTranslation:
    """``policy`` (read through the ``source`` dialect) as a ``target`` create payload,
    inactive.

    ``links`` maps source references (groups, agents, organizations, custom fields) to target
    ids; ``mapping`` holds the mapping's value tables (``priority``: schema value → target
    value). Between two accounts of the same platform without ``links``, ids are kept.
    """
    ctx = Context(reader=source, target=target.platform, links=links or {}, values=mapping or {})
    unread = source.sla_unread(policy)
    if unread:
        done = untranslated_sla(policy, ctx, unread)
    else:
        scope = source.sla_scope(policy)
        done = attrs.evolve(target.write_sla(policy, scope, ctx), original=scope.original)
    return done


# --- the report ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SlaReport:
    """Every source SLA policy's translation for one target."""

    source: str
    target: str
    translations: tuple[SlaTranslation, ...]
    note: str = "Every policy is created **inactive**; turn it on after cutover."
    """How the target keeps a created policy inactive."""

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
            self.note,
            self.counts,
            (
                (
                    f"{t.policy.title} (SLA policy {t.policy.id})",
                    t.status,
                    t.reason,
                    t.gaps,
                    t.as_json()["original"],
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
    source: RuleDialect,
    target: RuleDialect,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
) -> SlaReport:
    """Translate every SLA policy of ``source`` for ``target`` and account for each."""
    return SlaReport(
        source=source.platform,
        target=target.platform,
        note=target.sla_note,
        translations=tuple(
            translate_sla(p, source=source, target=target, links=links, mapping=mapping)
            for p in policies
        ),
    )


UNTRANSLATABLE_SLA_POLICY: Final = "untranslatable-sla-policy"
"""The policy under which a target skips an SLA policy it cannot express (the reason follows)."""


def untranslatable(
    record: Rule | SlaPolicy,
    *,
    source: RuleDialect,
    target: RuleDialect,
    options: Options | None = None,
) -> str:
    """Why ``target`` declines a rule or SLA policy read through ``source``
    (``"policy: reason"``), or ``""``: what a target's ``declines`` answers before a run knows
    target ids, so every reference counts as linked and only what no id can fix is
    untranslatable."""
    if isinstance(record, SlaPolicy):
        sla = translate_sla(record, source=source, target=target, links=EVERY_LINK)
        if sla.status is TranslationStatus.UNTRANSLATED:
            return f"{UNTRANSLATABLE_SLA_POLICY}: {sla.reason}"
        return ""
    done = translate(record, source=source, target=target, links=EVERY_LINK, options=options)
    if done.status is TranslationStatus.UNTRANSLATED:
        return f"{UNTRANSLATABLE_RULE}: {done.reason}"
    return ""
