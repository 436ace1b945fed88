"""Counts per kind from a platform's own counting endpoints or queries: a second path to the
numbers reconciliation compares, beside reading every record through the adapters.

Each platform's ``counts.py`` asks its account how many records of a kind it holds (Zendesk's
count endpoints, Salesforce's ``SELECT COUNT()``, Freshdesk's filter totals) with plain HTTP
through the adapter's client, parsing only the number: no converter is involved, so a
converter bug cannot hide itself on both sides. A kind the platform has no counting endpoint
for is a :class:`Count` with no value and the reason.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

import attrs

from cemigrate.adapters.contract import Source
from cemigrate.schema import Kind

__all__ = ["Count", "CountScope", "Counting"]


class CountScope(enum.StrEnum):
    """Which records a count covers."""

    ACCOUNT = "account"
    """Every record of the kind the account holds (live ones: deleted records are not
    counted)."""
    KEYS = "keys"
    """The records carrying a source key of the given instances (what this migration wrote)."""
    ANY_KEY = "any key"
    """The records carrying any source key, whatever the instance (the platform's filter
    cannot match a key's beginning)."""


@attrs.frozen(kw_only=True)
class Count:
    """How many records of one kind one side holds, or why it was not counted."""

    kind: Kind
    value: int | None
    """``None``: not counted (``how`` says why)."""
    how: str
    """The request or query that counted (``GET /api/v2/tickets/count``), or the reason there
    is none."""
    scope: CountScope = CountScope.ACCOUNT
    approximate: bool = False
    """The platform says the number may be stale (Zendesk's counts past 100,000)."""


CountFn = Callable[[Source, Sequence[Kind], Sequence[str] | None], list[Count]]
"""``(adapter, kinds, instances)`` → one :class:`Count` per kind. ``instances`` ``None``: the
account as a source (every record); else the account as a target (the records carrying those
instances' source keys, where the platform can tell)."""
CostFn = Callable[[Sequence[Kind], Sequence[str] | None], int]
"""``(kinds, instances)`` → the calls counting them costs (on the platform's core budget)."""


@attrs.frozen
class Counting:
    """A platform's counting: how it counts, and what counting costs."""

    count: CountFn
    cost: CostFn
