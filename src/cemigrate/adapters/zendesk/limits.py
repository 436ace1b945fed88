"""Zendesk's plans and the budgets each gives (platform facts 0 and 1.1)."""

from __future__ import annotations

from typing import Final

from cemigrate.ratelimit import AddOn, BudgetSpec, PlanPreset, PlatformPlans

__all__ = ["ZENDESK_PLANS"]

_CORE: Final = {
    # Suite plans, plus the legacy Support "essential" plan. [facts 0, 1.1]
    "essential": 10,
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "enterprise_plus": 2500,
}

ZENDESK_PLANS: Final = PlatformPlans(
    platform="zendesk",
    plans={
        plan: PlanPreset(
            {
                "zendesk.core": BudgetSpec(core, source="platform-facts 0, 1.1: plan rpm"),
                "zendesk.export": BudgetSpec(10, source="platform-facts 1.1: incremental exports"),
                "zendesk.ticket_update": BudgetSpec(
                    100, source="platform-facts 1.1: PUT /api/v2/tickets/{id}, per account [3P]"
                ),
            }
        )
        for plan, core in _CORE.items()
    },
    add_ons={
        # The add-on replaces the plan limit (it does not add to it) on Growth / Professional
        # and up. [facts 1.1; ticket update 300 rpm is 3P]
        "high_volume": AddOn(
            title="High Volume",
            plans=frozenset({"growth", "professional", "enterprise", "enterprise_plus"}),
            limits={"zendesk.core": 2500, "zendesk.export": 30, "zendesk.ticket_update": 300},
        ),
    },
)
"""Zendesk's plans: the core budget by plan, exports and ticket updates per account."""
