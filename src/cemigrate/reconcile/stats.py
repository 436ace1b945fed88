"""Small statistics for the report: quantiles, shares, and what a clean sample proves."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["defect_rate_bound", "quantile", "share"]


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or ``None`` when there is no whole."""
    return None if whole == 0 else part / whole


def defect_rate_bound(sampled: int, population: int, *, confidence: float = 0.95) -> float:
    """The defect rate a sample with no defect rules out: with ``sampled`` of ``population``
    records checked and none defective, the rate is below this at ``confidence``.

    ``1 − (1 − confidence)^(1/n)`` (the "rule of three" is its approximation, 3/n at 95 %);
    a whole population checked proves a rate of zero.
    """
    if sampled <= 0:
        return 1.0
    if sampled >= population:
        return 0.0
    return float(1.0 - (1.0 - confidence) ** (1.0 / sampled))
