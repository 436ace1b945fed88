"""What a translation gives back: for a rule, a :class:`Translation`; for an SLA policy, an
:class:`SlaTranslation` (the policy's scope in common words is an :class:`SlaScope`); what the
target cannot express, a :class:`Gap`. The dialects (:mod:`cemigrate.rules.dialect`) and the
translations (:mod:`cemigrate.rules.translate`, :mod:`cemigrate.rules.sla`) share them."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from cemigrate.rules.model import NormalCondition
from cemigrate.schema import JsonValue, Ref, Rule, SlaPolicy

__all__ = ["Gap", "ScopeList", "SlaScope", "SlaTranslation", "Translation", "TranslationStatus"]


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
    """The target's kind, as its dialect names it (Zendesk's ``triggers``, a Freshdesk
    automation type ``1``, a Salesforce ``Flow``)."""
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


@attrs.frozen(kw_only=True)
class ScopeList:
    """Values one of which a ticket's field must hold (a Freshdesk ``applicable_to`` list)."""

    field: str
    """The normal field (``group``, ``organization``, ``type``, ``channel``, or
    ``<platform>:<name>``)."""
    key: str
    """The platform's own name for the list."""
    values: tuple[JsonValue, ...]
    """The values in the common vocabulary (ids as text, types in lower case)."""
    raw: tuple[JsonValue, ...]
    """The values as the platform lists them."""
    original: str
    """The list in the source's own words, for a gap."""


@attrs.frozen(kw_only=True)
class SlaScope:
    """Which tickets a policy applies to, and what else of it travels, in common words."""

    all_of: tuple[NormalCondition, ...] = ()
    """Conditions every ticket must meet."""
    any_of: tuple[NormalCondition, ...] = ()
    """Conditions one of which a ticket must meet."""
    lists: tuple[ScopeList, ...] = ()
    """Lists a ticket must be in, every one."""
    escalation: str = ""
    """The policy's escalations in the source's words (``""``: none)."""
    named: tuple[Ref, ...] = ()
    """Records the policy names outside its scope (an escalation's agents)."""
    default: bool = False
    """The source's default policy (every account has one; its targets are set by hand)."""
    original: Mapping[str, JsonValue] = attrs.field(factory=dict)
    """The policy's scope and targets as the source holds them, for reports."""


@attrs.frozen(kw_only=True)
class SlaTranslation:
    """An SLA policy translated for a target platform (``payload`` empty when untranslated)."""

    policy: SlaPolicy
    source: str
    target: str
    status: TranslationStatus
    payload: Mapping[str, JsonValue] = attrs.field(factory=dict)
    """The body of the create call, as the target's dialect writes it (inactive)."""
    gaps: tuple[Gap, ...] = ()
    reason: str = ""
    """Why nothing was translated (``untranslated`` only)."""
    original: Mapping[str, JsonValue] = attrs.field(factory=dict)
    """The policy's scope and targets as the source holds them."""

    def as_json(self) -> dict[str, JsonValue]:
        """The translation as JSON: the policy's title, outcome and original scope/targets."""
        return {
            "id": self.policy.id,
            "title": self.policy.title,
            "status": str(self.status),
            "reason": self.reason,
            "missing": [g.as_json() for g in self.gaps],
            "original": dict(self.original) or _targets(self.policy),
        }


def _targets(policy: SlaPolicy) -> dict[str, JsonValue]:
    return {
        "targets": [
            {
                "priority": str(t.priority),
                "metric": str(t.metric),
                "minutes": t.minutes,
                "business_hours": t.business_hours,
            }
            for t in policy.targets
        ]
    }
