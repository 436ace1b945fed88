"""Translate a business rule from one platform into another's, always inactive.

:func:`translate` reads a rule through the source's dialect
(:class:`~cemigrate.rules.dialect.RuleDialect`, which lives beside each adapter) into the
normalised model and writes each condition and action through the target's dialect: ids of
groups, agents, organizations and custom fields are remapped through ``links`` (the ledger's
id map), statuses and priorities through the mapping's value tables when given, and the option
values of custom fields through the mapping's option tables (checked against the options the
target's field holds, when known). What the target cannot express
is a :class:`Gap` naming the reason and the rule's original text: never dropped silently. The
result, a :class:`Translation`, is ``translated``, ``partial`` (written without its gaps) or
``untranslated`` (nothing written, with the reason), and carries the target payload with
``active: false``: nothing a migration creates fires on imported history.

:func:`translation_report` runs it over a source's rules and writes ``translation.json`` and
``translation.md``.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Final

import attrs

from cemigrate.rules.dialect import (
    ID_KINDS,
    Context,
    Missing,
    Notification,
    Options,
    RuleDialect,
    Values,
    is_id,
    original_action,
    original_condition,
)
from cemigrate.rules.model import TAG_ACTIONS, ActionKind, NormalAction, NormalCondition, NormalRule
from cemigrate.rules.outcome import Gap, Translation, TranslationStatus
from cemigrate.schema import JsonValue, Kind, Ref, Rule

__all__ = [
    "EVERY_LINK",
    "UNTRANSLATABLE_RULE",
    "Gap",
    "ListDialect",
    "Options",
    "Translation",
    "TranslationReport",
    "TranslationStatus",
    "canonical",
    "canonical_operator",
    "count_statuses",
    "outcome_markdown",
    "rule_refs",
    "translate",
    "translation_report",
    "untranslated",
    "write_lists",
    "write_report",
    "written",
]

UNTRANSLATABLE_RULE: Final = "untranslatable-rule"
"""The policy under which a target skips a rule it cannot express (the reason follows)."""


# --- what every platform shares --------------------------------------------------------

_CANONICAL_OPERATORS: Final[Mapping[str, str]] = {
    "contains": "includes",
    "not_contains": "not_includes",
}


def canonical_operator(operator: str) -> str:
    """An operator with its synonyms folded (``contains`` is ``includes``)."""
    return _CANONICAL_OPERATORS.get(operator, operator)


def canonical(condition: NormalCondition) -> tuple[str, str, JsonValue]:
    """A condition as ``(field, operator, value)`` with synonyms folded (``contains`` and
    ``includes`` on tags are the same test): what a round trip must keep."""
    return condition.field, canonical_operator(condition.operator), condition.value


def rule_refs(rule: Rule, dialect: RuleDialect) -> list[Ref]:
    """The groups, agents, organizations and custom fields a rule (read from ``dialect``'s
    platform) names by id: what the ledger must map for :func:`translate` to remap them."""
    normal = dialect.normalise(rule)
    found: list[Ref] = []
    items: list[tuple[str, JsonValue]] = [
        (c.field, c.value) for c in (*normal.conditions_all, *normal.conditions_any)
    ]
    items += [(a.field, a.value) for a in normal.actions]
    for field, value in items:
        if field.startswith("custom:"):
            found.append(Ref(kind=Kind.FIELD, id=field.removeprefix("custom:")))
        kind = ID_KINDS.get(field)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if kind is not None and isinstance(v, str) and is_id(v):
                found.append(Ref(kind=kind, id=v))
    return list(dict.fromkeys(found))


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


def untranslated(
    normal: NormalRule, ctx: Context, reason: str, *, kind: str = "", gaps: Sequence[Gap] = ()
) -> Translation:
    """A translation of nothing, with why (and what was found missing on the way)."""
    return Translation(
        rule=normal.rule,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.UNTRANSLATED,
        kind=kind,
        gaps=tuple(gaps),
        reason=reason,
    )


def write_lists(
    normal: NormalRule,
    ctx: Context,
    kind: str,
    gaps: list[Gap],
    *,
    condition: Callable[[NormalCondition], JsonValue],
    action: Callable[[int], JsonValue],
    payload: Callable[[list[JsonValue], list[JsonValue], list[JsonValue]], dict[str, JsonValue]],
    needs_actions: bool = True,
) -> Translation:
    """A rule written as lists of conditions (``all``, ``any``) and actions: each part
    through ``condition`` and ``action`` (the action's index in the rule), what they cannot
    express (:class:`~cemigrate.rules.dialect.Missing`) kept as a gap, then the lists
    through ``payload``. A rule none of whose actions can be written is untranslated (unless
    ``needs_actions`` is false: a view only lists)."""

    def conditions(items: Sequence[NormalCondition]) -> list[JsonValue]:
        out: list[JsonValue] = []
        for c in items:
            try:
                out.append(condition(c))
            except Missing as exc:
                gaps.append(Gap(part="condition", original=original_condition(c), reason=str(exc)))
        return out

    all_of = conditions(normal.conditions_all)
    any_of = conditions(normal.conditions_any)
    actions: list[JsonValue] = []
    for index, a in enumerate(normal.actions):
        try:
            actions.append(action(index))
        except Missing as exc:
            gaps.append(Gap(part="action", original=original_action(a), reason=str(exc)))
    if normal.actions and not actions and needs_actions:
        return untranslated(
            normal,
            ctx,
            "none of its actions can be expressed in " + ctx.target,
            kind=kind,
            gaps=tuple(gaps),
        )
    return written(normal, ctx, kind, payload(all_of, any_of, actions), gaps)


def written(
    normal: NormalRule, ctx: Context, kind: str, payload: Mapping[str, JsonValue], gaps: list[Gap]
) -> Translation:
    """A rule written as ``payload``: translated, or partial when ``gaps`` holds anything."""
    return Translation(
        rule=normal.rule,
        source=ctx.source,
        target=ctx.target,
        status=TranslationStatus.PARTIAL if gaps else TranslationStatus.TRANSLATED,
        kind=kind,
        payload=payload,
        gaps=tuple(gaps),
    )


class ListDialect(RuleDialect):
    """A dialect whose rules are lists: conditions under ``all`` and ``any``, and actions,
    each a small object naming a field (Zendesk's, Freshdesk's)."""

    item_key: ClassVar[str] = "field"
    """The key an action names its field by."""

    @abc.abstractmethod
    def condition(self, ctx: Context, c: NormalCondition) -> JsonValue:
        """One condition as written here."""

    @abc.abstractmethod
    def notify(self, ctx: Context, note: Notification) -> JsonValue:
        """A notification (its audience is not ``other``) as an action here."""

    @abc.abstractmethod
    def tag_action(self, kind: ActionKind, value: JsonValue) -> JsonValue:
        """An action adding, removing or setting tags (``value`` as written here)."""

    @abc.abstractmethod
    def payload(
        self,
        normal: NormalRule,
        ctx: Context,
        kind: str,
        all_of: list[JsonValue],
        any_of: list[JsonValue],
        actions: list[JsonValue],
    ) -> dict[str, JsonValue]:
        """The create call's body from the written lists, inactive."""

    def needs_actions(self, kind: str) -> bool:
        """Whether a rule of ``kind`` none of whose actions can be written is untranslated."""
        return True

    def comment(self, ctx: Context, rule: Rule, a: NormalAction) -> JsonValue:
        """An action adding a comment: kept between accounts of the same platform."""
        if ctx.same_platform:
            return {self.item_key: a.source_field, "value": a.value}
        raise Missing(f"{ctx.target} rules cannot add the {a.source_field!r} comment")

    def settable(self, field: str) -> None:
        """Raise :class:`Missing` when an action here cannot set the normal ``field``."""

    def action(self, ctx: Context, normal: NormalRule, index: int) -> JsonValue:
        """The ``index``-th action of ``normal`` as written here."""
        a = normal.actions[index]
        if a.kind is ActionKind.NOTIFY:
            note = ctx.reader.notification(normal.rule, index, a)
            if note.audience == "other":
                raise Missing(
                    f"{ctx.target} has no equivalent of the {a.source_field} notification"
                )
            return self.notify(ctx, note)
        if a.kind is ActionKind.WEBHOOK:
            raise Missing("webhooks are per account: create it in the target and add it by hand")
        if a.kind is ActionKind.OTHER:
            raise Missing(f"{ctx.target} has no action {a.source_field!r}")
        if a.kind is ActionKind.COMMENT:
            return self.comment(ctx, normal.rule, a)
        if a.kind in TAG_ACTIONS:
            return self.tag_action(a.kind, self.value(ctx, "tags", a.value))
        field = self.field_name(ctx, a.field)
        self.settable(a.field)
        return {self.item_key: field, "value": self.value(ctx, a.field, a.value)}

    def write_rule(
        self, normal: NormalRule, ctx: Context, kind: str, gaps: list[Gap]
    ) -> Translation:
        """The rule's lists, each part written or kept as a gap (:func:`write_lists`)."""
        return write_lists(
            normal,
            ctx,
            kind,
            gaps,
            condition=lambda c: self.condition(ctx, c),
            action=lambda index: self.action(ctx, normal, index),
            payload=lambda all_of, any_of, actions: self.payload(
                normal, ctx, kind, all_of, any_of, actions
            ),
            needs_actions=self.needs_actions(kind),
        )


def translate(
    rule: Rule,
    *,
    source: RuleDialect,
    target: RuleDialect,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
    field_names: Mapping[str, str] | None = None,
    options: Options | None = None,
    target_options: Mapping[str, Collection[str]] | None = None,
) -> Translation:
    """``rule`` (read through the ``source`` dialect) as a ``target`` payload, inactive.

    ``links`` maps source references (groups, agents, organizations, custom fields) to target
    ids; ``mapping`` holds the mapping's value tables (``status``, ``priority``: schema value
    → target value); ``field_names`` gives a Freshdesk target's custom field name by field id.
    ``options`` holds the mapping's option tables by the field the rule names (its source id):
    a dropdown's option value is written as the target's; ``target_options`` gives the option
    values each target field holds, by target field id, and an option a field lacks is a gap.
    Between two accounts of the same platform without ``links``, ids are kept.
    """
    normal = source.normalise(rule)
    ctx = Context(
        reader=source,
        target=target.platform,
        links=links or {},
        values=mapping or {},
        field_names=field_names or {},
        options=options or {},
        target_options=target_options or {},
    )
    if normal.opaque:
        reason = f"{source.platform} keeps this rule's entries in metadata cemigrate does not read"
        return untranslated(normal, ctx, reason)
    kind, gaps = target.rule_kind(normal)
    if not kind:
        why = target.no_kind.get(rule.kind, f"{target.platform} has no kind for a {rule.kind}")
        return untranslated(normal, ctx, why)
    return target.write_rule(normal, ctx, kind, gaps)


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
    source: RuleDialect,
    target: RuleDialect,
    links: Mapping[Ref, str] | None = None,
    mapping: Values | None = None,
    field_names: Mapping[str, str] | None = None,
    options: Options | None = None,
    target_options: Mapping[str, Collection[str]] | None = None,
) -> TranslationReport:
    """Translate every rule of ``source`` for ``target`` and account for each (the arguments
    as :func:`translate` takes them)."""
    return TranslationReport(
        source=source.platform,
        target=target.platform,
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
