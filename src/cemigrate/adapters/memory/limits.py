"""The memory reference's one plan: a budget generous enough never to slow a test."""

from __future__ import annotations

from typing import Final

from cemigrate.ratelimit import BudgetSpec, PlanPreset, PlatformPlans

__all__ = ["MEMORY_PLANS"]

MEMORY_PLANS: Final = PlatformPlans(
    platform="memory",
    plans={
        "default": PlanPreset(
            {"memory.core": BudgetSpec(1_000_000, source="cemigrate's in-process reference")}
        ),
    },
)
"""The memory reference's plan (``default``)."""
