"""SLA history and KPIs as each target holds them: what reconciliation reads back and how the
satisfaction KPI is stated.

Every target keeps a ticket's SLA history where it can (``TargetProfile``): Zendesk and
Freshdesk in the ticket (``cemigrate_*`` fields and a private note, ``profile.sla``),
Salesforce in the ``Cemigrate_Sla_Event__c`` and ``Cemigrate_Ticket_Metrics__c`` rows its
target view reads back as SLA events and ticket metrics (``profile.read_back``). Satisfaction
ratings are compared where the target holds them (``carries_ratings``); where the source has
none, both sides say so; where the target cannot hold them, the row states the documented loss
(``ratings_loss``) instead of a missing value.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from cemigrate.adapters.profile import TargetProfile
from cemigrate.reconcile.stats import share
from cemigrate.schema import Kind

__all__ = ["KPI_NAME", "NOT_HELD", "NO_RATINGS", "SLA_KINDS", "satisfaction_row", "sla_verifiable"]

SLA_KINDS: Final = frozenset({Kind.SLA_EVENT, Kind.TICKET_METRICS})
"""The kinds a target holding SLA history as records of its own reads back."""

NO_RATINGS: Final = "none (0 ratings)"
"""The satisfaction KPI of a side that holds no rating."""

NOT_HELD: Final = "not held (documented loss)"
"""The target's satisfaction KPI where the target cannot hold ratings."""

KPI_NAME: Final = "satisfaction: good share"
"""The satisfaction KPI row's name."""


def sla_verifiable(profile: TargetProfile) -> bool:
    """Whether the target's stored SLA history is read back: kept in its tickets
    (``profile.sla``) or held as SLA event and ticket metrics records."""
    return profile.sla is not None or profile.read_back >= SLA_KINDS


def _rated(ratings: Counter[str]) -> int:
    return ratings["good"] + ratings["bad"]


def satisfaction_row(
    profile: TargetProfile, source: Counter[str], target: Counter[str]
) -> dict[str, Any]:
    """The satisfaction KPI row: the good share of good and bad ratings on each side, with
    the counts. A side with no rating reads :data:`NO_RATINGS`; a target that cannot hold
    ratings reads :data:`NOT_HELD` when the source has some, and ``loss`` says why. ``compare``
    is whether the two values are to be compared (a difference is a drift)."""
    rated = _rated(source)
    source_value: object = share(source["good"], rated) if rated else NO_RATINGS
    row: dict[str, Any] = {"kpi": KPI_NAME, "source": source_value}
    if profile.carries_ratings:
        held = _rated(target)
        row["target"] = share(target["good"], held) if held else NO_RATINGS
        row["ratings"] = {"source": rated, "target": held}
        row["compare"] = True
    elif rated:
        row["target"] = NOT_HELD
        row["ratings"] = {"source": rated, "target": None}
        row["compare"] = False
        row["loss"] = (
            f"satisfaction ratings: {rated:,} in the source, not carried over: "
            f"{profile.ratings_loss or f'the {profile.platform} target does not hold them'}"
        )
    else:
        row["target"] = NO_RATINGS
        row["ratings"] = {"source": 0, "target": 0}
        row["compare"] = False
    return row
