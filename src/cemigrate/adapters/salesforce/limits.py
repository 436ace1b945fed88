"""Salesforce's editions and the allowances each gives (platform facts 0 and 2.1)."""

from __future__ import annotations

from typing import Final

from cemigrate.errors import ConfigError
from cemigrate.ratelimit import DAY, BudgetSpec, PlanPreset, PlatformPlans

__all__ = ["SALESFORCE_PLANS", "salesforce_daily_allowance"]

_EDITIONS: Final = {
    # edition: (daily base, daily per licence, concurrent long-running) [facts 0, 2.1]
    "professional": (100_000, 1_000, 25),
    "enterprise": (100_000, 1_000, 25),
    "unlimited": (100_000, 5_000, 25),
    "performance": (100_000, 5_000, 25),
    "developer": (15_000, 0, 5),
    "full_sandbox": (5_000_000, 0, 25),
}

SALESFORCE_PLANS: Final = PlatformPlans(
    platform="salesforce",
    plans={
        edition: PlanPreset(
            {
                "salesforce.daily": BudgetSpec(
                    base,
                    period=DAY,
                    per_licence=per_licence,
                    daily_quota=True,
                    source="platform-facts 0, 2.1: rolling 24 h allocation",
                ),
                "salesforce.bulk_records": BudgetSpec(
                    150_000_000,
                    period=DAY,
                    daily_quota=True,
                    source="platform-facts 0: Bulk 2.0 ingest records per 24 h (cost = records)",
                ),
            },
            max_long_running=concurrent,
        )
        for edition, (base, per_licence, concurrent) in _EDITIONS.items()
    },
    options=frozenset({"licences", "daily_quota_share"}),
)
"""Salesforce's editions: a rolling 24 h allowance growing with the licences, the Bulk API's
records a day, and the long-running requests allowed at once."""


def salesforce_daily_allowance(edition: str, licences: int) -> int:
    """Salesforce's rolling 24 h API allocation for an edition and a number of user licences.

    ``100,000 + licences × 1,000`` (Professional, Enterprise) or ``× 5,000`` (Unlimited,
    Performance); Developer Edition a flat 15,000; a full sandbox 5,000,000. Purchased add-ons
    are not included (the ``Sforce-Limit-Info`` header corrects the budget at the first call).
    """
    if licences < 0:
        raise ConfigError(f"salesforce licences must not be negative ({licences})")
    spec = SALESFORCE_PLANS.preset(edition).budgets["salesforce.daily"]
    return int(spec.limit + spec.per_licence * licences)
