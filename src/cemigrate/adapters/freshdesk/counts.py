"""Freshdesk's own counts: the filter API's ``total``.

``GET /api/v2/search/tickets?query="..."`` (and ``/search/companies``) answers ``{"results":
[...], "total": N}``: ``total`` is every match, though a query serves at most 10 pages of 30
results (developers.freshdesk.com/api/#filter_tickets; the query is at most 512 characters,
in double quotes; ``created_at`` takes ``:>`` with a 'yyyy-mm-dd' date; custom fields by
their ``cf_`` name, ``null`` for no value; archived, spam and deleted tickets are not
matched). Only the first page is asked for, and only ``total`` is read (no converter).

As a source: tickets and companies created since 1970, i.e. all of them. As a target: those
carrying a source key in cemigrate's ``cemigrate_id`` field: all of them minus those whose
field is ``null`` (the filter cannot match a key's beginning, so the keys of every migration
into the account are counted). Contacts carry their key in ``unique_external_id``, which the
contact filter cannot test, and agents and groups have no filter: they are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from cemigrate.adapters.contract import Source
from cemigrate.adapters.counting import Count, CountScope
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.schema import Kind

__all__ = ["count"]

_ALL: Final = "created_at:>'1970-01-01'"
"""A filter every record matches."""
_FILTERED: Final[Mapping[Kind, tuple[str, str]]] = {
    Kind.TICKET: ("tickets", "/api/v2/ticket_fields"),
    Kind.ORGANIZATION: ("companies", "/api/v2/company_fields"),
}
"""Kind → the filter endpoint's resource and where its fields are listed."""
_KEY_FIELD: Final = re.compile(r"^(cf_)?cemigrate_id(_\d+)?$")
"""The name Freshdesk gives cemigrate's key field (``cf_`` on tickets; a number appended
when it derives the name from the label)."""


def count(source: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    """One count per kind: one filter call as a source, two as a target."""
    out: list[Count] = []
    for kind in kinds:
        filtered = _FILTERED.get(kind)
        if not isinstance(source, FreshdeskSource):
            out.append(Count(kind=kind, value=None, how="not a Freshdesk account"))
        elif filtered is None:
            why = (
                "contacts keep their key in unique_external_id, which the filter cannot test"
                if kind is Kind.USER and instances is not None
                else "Freshdesk has no filter or count"
            )
            out.append(Count(kind=kind, value=None, how=why))
        elif instances is None:
            resource, _ = filtered
            value, how = _total(source, resource, _ALL)
            out.append(Count(kind=kind, value=value, how=how))
        else:
            out.append(_keyed(source, kind, *filtered))
    return out


def _keyed(account: FreshdeskSource, kind: Kind, resource: str, fields: str) -> Count:
    listed: Any = account.client.get_json(fields)
    names = [
        str(f.get("name"))
        for f in (listed if isinstance(listed, list) else [])
        if isinstance(f, Mapping) and _KEY_FIELD.match(str(f.get("name") or ""))
    ]
    if not names:
        return Count(kind=kind, value=None, how=f"the account has no cemigrate_id {resource} field")
    every, how_all = _total(account, resource, _ALL)
    unkeyed, how_null = _total(account, resource, f"{names[0]}:null")
    return Count(
        kind=kind,
        value=every - unkeyed,
        how=f"{how_all} − {how_null}",
        scope=CountScope.ANY_KEY,
    )


def _total(account: FreshdeskSource, resource: str, query: str) -> tuple[int, str]:
    path = f"/api/v2/search/{resource}"
    body = account.client.get_json(path, query=f'"{query}"')
    total = body.get("total") if isinstance(body, Mapping) else None
    return (int(total) if isinstance(total, int) else 0), f'GET {path}?query="{query}" (total)'


def cost(kinds: Sequence[Kind], instances: Sequence[str] | None) -> int:
    """Calls :func:`count` makes: one filter call a kind as a source; the fields list and two
    filter calls as a target."""
    return sum(1 if instances is None else 3 for kind in kinds if kind in _FILTERED)
