"""Business rules: a normalised view over each platform's rules, an audit, and translation."""

from cemigrate.rules.audit import AuditReport, Check, Finding, audit
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
    Status,
    Translation,
    TranslationReport,
    canonical,
    platform_of,
    rule_refs,
    translate,
    translation_report,
)

__all__ = [
    "ActionKind",
    "AuditReport",
    "Check",
    "Event",
    "Finding",
    "Gap",
    "NormalAction",
    "NormalCondition",
    "NormalRule",
    "Status",
    "Translation",
    "TranslationReport",
    "audit",
    "canonical",
    "normalise",
    "platform_of",
    "rule_refs",
    "translate",
    "translation_report",
]
