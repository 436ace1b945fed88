"""Which dialect a rule or SLA policy speaks: every platform's, by name or by the record.

A rule's kind tells its platform (a trigger is Zendesk's, a dispatcher rule Freshdesk's, a flow
Salesforce's); an SLA policy's payload does (Freshdesk's have ``sla_target``, Salesforce's
entitlement processes an ``Id``, Zendesk's no marker). Targets use this to read a record from
any source; the descriptors (:mod:`cemigrate.adapters.registry`) name each platform's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from cemigrate.adapters.freshdesk.rules import FRESHDESK_RULES
from cemigrate.adapters.salesforce.rules import SALESFORCE_RULES
from cemigrate.adapters.zendesk.rules import ZENDESK_RULES
from cemigrate.rules.dialect import Options, RuleDialect
from cemigrate.rules.sla import untranslatable
from cemigrate.schema import Rule, SlaPolicy

__all__ = ["DIALECTS", "dialect_of", "rule_dialect", "untranslatable_reason"]

DIALECTS: Final[tuple[RuleDialect, ...]] = (SALESFORCE_RULES, FRESHDESK_RULES, ZENDESK_RULES)
"""Every dialect; Zendesk's last, since it claims every policy no other dialect does."""

_BY_NAME: Final[Mapping[str, RuleDialect]] = {d.platform: d for d in DIALECTS}


def rule_dialect(platform: str) -> RuleDialect:
    """The dialect of ``platform`` (``zendesk``, ``freshdesk``, ``salesforce``)."""
    try:
        return _BY_NAME[platform]
    except KeyError:
        raise ValueError(f"rules: unknown platform {platform!r}") from None


def dialect_of(record: Rule | SlaPolicy) -> RuleDialect:
    """The dialect ``record`` was read in: a rule's by its kind, a policy's by its payload."""
    if isinstance(record, Rule):
        for dialect in DIALECTS:
            if record.kind in dialect.rule_kinds:
                return dialect
    return next(d for d in DIALECTS if d.holds_policy(record.raw))


def untranslatable_reason(
    record: object, target: RuleDialect, *, options: Options | None = None
) -> str:
    """Why ``target`` declines ``record`` (``"policy: reason"``) when it is a rule or an SLA
    policy no id can make translatable; ``""`` otherwise."""
    if isinstance(record, Rule | SlaPolicy):
        return untranslatable(record, source=dialect_of(record), target=target, options=options)
    return ""
