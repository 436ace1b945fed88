"""Business rules: a normalised view over each platform's rules, an audit, and translation."""

from cemigrate.rules.audit import AuditFinding, AuditReport, Check, audit
from cemigrate.rules.model import (
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
    normalise,
)
from cemigrate.rules.translate import (
    Gap,
    Translation,
    TranslationReport,
    TranslationStatus,
    canonical,
    platform_of,
    rule_refs,
    translate,
    translation_report,
)

__all__ = [
    "ActionKind",
    "AuditFinding",
    "AuditReport",
    "Check",
    "Event",
    "Gap",
    "NormalAction",
    "NormalCondition",
    "NormalRule",
    "Translation",
    "TranslationReport",
    "TranslationStatus",
    "audit",
    "canonical",
    "normalise",
    "platform_of",
    "rule_refs",
    "translate",
    "translation_report",
]
