"""Business rules: a normalised view over each platform's rules, and an audit of them."""

from cemigrate.rules.audit import AuditReport, Check, Finding, audit
from cemigrate.rules.model import (
    ActionKind,
    Event,
    NormalAction,
    NormalCondition,
    NormalRule,
    normalise,
)

__all__ = [
    "ActionKind",
    "AuditReport",
    "Check",
    "Event",
    "Finding",
    "NormalAction",
    "NormalCondition",
    "NormalRule",
    "audit",
    "normalise",
]
