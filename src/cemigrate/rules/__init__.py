"""Business rules: a normalised view over each platform's rules, an audit, and translation.

Nothing here knows a platform: each speaks through its :class:`RuleDialect`, which lives beside
its adapter (``cemigrate/adapters/<platform>/rules.py``).
"""

from cemigrate.rules.audit import AuditFinding, AuditReport, Check, audit
from cemigrate.rules.dialect import RuleDialect
from cemigrate.rules.model import (
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
)
from cemigrate.rules.translate import (
    Gap,
    Translation,
    TranslationReport,
    TranslationStatus,
    canonical,
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
    "RuleDialect",
    "Translation",
    "TranslationReport",
    "TranslationStatus",
    "audit",
    "canonical",
    "rule_refs",
    "translate",
    "translation_report",
]
