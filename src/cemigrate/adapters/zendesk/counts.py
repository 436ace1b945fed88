"""Zendesk's own counts: ``GET /api/v2/{tickets,users,organizations,groups}/count``.

Each answers ``{"count": {"value": N, "refreshed_at": "..."}}``; Zendesk says the count is
approximate once it passes 100,000 and is then refreshed every 24 hours
(developer.zendesk.com/api-reference/ticketing/tickets/tickets/#count-tickets, and the same
note under Count Users, Count Organizations; Count Groups). Deleted records are not counted.
Plain HTTP through the source's client, parsing only the number (no converter).

The endpoints count the whole account: as a target, every ticket, user, organization and group
the account holds, the migration's and any held before (Zendesk's search could match one
external id at a time, not a key's beginning). Other kinds have no count endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from cemigrate.adapters.contract import Source
from cemigrate.adapters.counting import Count, CountScope
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.schema import Kind

__all__ = ["APPROXIMATE_ABOVE", "COUNTED", "count"]

COUNTED: Final[Mapping[Kind, str]] = {
    Kind.TICKET: "tickets",
    Kind.USER: "users",
    Kind.ORGANIZATION: "organizations",
    Kind.GROUP: "groups",
}
"""Kinds with a count endpoint → the endpoint's resource."""
APPROXIMATE_ABOVE: Final = 100_000
"""Past this many records Zendesk's count is approximate (refreshed once a day)."""


def count(source: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    """One count per kind: the account's records of it, one call each (core budget)."""
    out: list[Count] = []
    for kind in kinds:
        resource = COUNTED.get(kind)
        if resource is None:
            out.append(Count(kind=kind, value=None, how="Zendesk has no count endpoint"))
            continue
        if not isinstance(source, ZendeskSource):
            out.append(Count(kind=kind, value=None, how="not a Zendesk account"))
            continue
        path = f"/api/v2/{resource}/count"
        body = source.client.get_json(f"{path}.json")
        value = (body.get("count") or {}).get("value")
        if not isinstance(value, int):
            out.append(Count(kind=kind, value=None, how=f"GET {path} answered no count"))
            continue
        out.append(
            Count(
                kind=kind,
                value=value,
                how=f"GET {path}",
                scope=CountScope.ACCOUNT,
                approximate=value > APPROXIMATE_ABOVE,
            )
        )
    return out


def cost(kinds: Sequence[Kind], instances: Sequence[str] | None) -> int:
    """Calls :func:`count` makes: one per kind with a count endpoint."""
    return sum(1 for kind in kinds if kind in COUNTED)
