"""Freshdesk's plans and the budgets each gives (platform facts 0 and 3.1)."""

from __future__ import annotations

from typing import Final

from cemigrate.ratelimit import BudgetSpec, PlanPreset, PlatformPlans

__all__ = ["FRESHDESK_PLANS"]

_LIMITS: Final = {
    # plan: (core, ticket_create, ticket_update, tickets_list, contacts_list) per minute [facts 3.1]
    # The facts give trial accounts only a total, so their endpoint budgets equal it.
    "trial": (50, 50, 50, 50, 50),
    "growth": (200, 80, 80, 20, 20),
    "pro": (400, 160, 160, 100, 100),
    "enterprise": (700, 280, 280, 200, 200),
    "purchased_1000": (1000, 400, 400, 300, 300),
    "purchased_2000": (2000, 800, 800, 400, 400),
}

FRESHDESK_PLANS: Final = PlatformPlans(
    platform="freshdesk",
    plans={
        plan: PlanPreset(
            {
                "freshdesk.core": BudgetSpec(core, source="platform-facts 0, 3.1: plan rpm"),
                "freshdesk.ticket_create": BudgetSpec(create, source="platform-facts 3.1"),
                "freshdesk.ticket_update": BudgetSpec(update, source="platform-facts 3.1"),
                "freshdesk.tickets_list": BudgetSpec(tickets, source="platform-facts 3.1"),
                "freshdesk.contacts_list": BudgetSpec(contacts, source="platform-facts 3.1"),
            }
        )
        for plan, (core, create, update, tickets, contacts) in _LIMITS.items()
    },
)
"""Freshdesk's plans: a total per minute, and endpoints with budgets of their own."""
