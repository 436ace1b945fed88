"""Salesforce's own counts: ``SELECT COUNT() FROM ...``, whose answer's ``totalSize`` is the
number of rows (SOQL and SOSL Reference, "COUNT() and COUNT(fieldName)": COUNT() must be the
only element of the SELECT list; the records field is empty). Plain REST queries through the
source's client, parsing only the number (no converter); deleted rows (the recycle bin) are
not counted (``query``, not ``queryAll``).

As a source: cases, accounts (person accounts left out), contacts and standard users, and
queues. As a target: the rows carrying a source key of the given instances in
``Cemigrate_Id__c`` (``LIKE '<instance>:<kind>:%'``, ``_`` and ``%`` in the name escaped):
cases, accounts, contacts and users (a person account's contact carries its key too), and
cemigrate's SLA objects; queues and business hours (kept without a key) are counted whole.
SOQL's ``LIKE`` ignores case: instance names differing only in case
are counted together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from cemigrate.adapters.contract import Source
from cemigrate.adapters.counting import Count, CountScope
from cemigrate.adapters.salesforce.objects import EXTERNAL_ID
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.schema import Kind

__all__ = ["count"]

_SOURCE: Final[Mapping[Kind, tuple[tuple[str, str], ...]]] = {
    Kind.TICKET: (("Case", ""),),
    Kind.ORGANIZATION: (("Account", ""),),
    Kind.USER: (("Contact", ""), ("User", "UserType = 'Standard'")),
    Kind.GROUP: (("Group", "Type = 'Queue'"),),
}
"""Kind → the objects (and fixed conditions) its records are read from in a source org."""
_TARGET: Final[Mapping[Kind, tuple[str, ...]]] = {
    Kind.TICKET: ("Case",),
    Kind.ORGANIZATION: ("Account",),
    Kind.USER: ("Contact", "User"),
    Kind.SLA_EVENT: ("Cemigrate_Sla_Event__c",),
    Kind.TICKET_METRICS: ("Cemigrate_Ticket_Metrics__c",),
}
"""Kind → the objects a target org keeps its records in, keyed by ``Cemigrate_Id__c``."""
_TARGET_ACCOUNT: Final[Mapping[Kind, tuple[str, str]]] = {
    Kind.GROUP: ("Group", "Type = 'Queue'"),
    Kind.SCHEDULE: ("BusinessHours", ""),
}
"""Kinds a target org keeps without a key (found again by name): counted whole, the org's own
queues and business hours with them."""


def count(source: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    """One count per kind: one ``COUNT()`` query per object (and per instance as a target)."""
    out: list[Count] = []
    for kind in kinds:
        if not isinstance(source, SalesforceSource):
            out.append(Count(kind=kind, value=None, how="not a Salesforce org"))
        elif instances is None:
            out.append(_source_count(source, kind))
        else:
            out.append(_target_count(source, kind, instances))
    return out


def _source_count(org: SalesforceSource, kind: Kind) -> Count:
    objects = _SOURCE.get(kind)
    if objects is None:
        return Count(kind=kind, value=None, how="no Salesforce object to count")
    total, queries = 0, []
    for sobject, where in objects:
        conditions = [where] if where else []
        fields = org.client.field_names(sobject)
        if sobject == "Account" and "IsPersonAccount" in fields:
            conditions.append("IsPersonAccount = false")  # person accounts are end users
        soql = f"SELECT COUNT() FROM {sobject}"
        if conditions:
            soql += f" WHERE {' AND '.join(conditions)}"
        total += org.client.count(soql)
        queries.append(soql)
    return Count(kind=kind, value=total, how=" + ".join(queries))


def _target_count(org: SalesforceSource, kind: Kind, instances: Sequence[str]) -> Count:
    whole = _TARGET_ACCOUNT.get(kind)
    if whole is not None:
        sobject, where = whole
        soql = f"SELECT COUNT() FROM {sobject}" + (f" WHERE {where}" if where else "")
        return Count(kind=kind, value=org.client.count(soql), how=soql)
    objects = _TARGET.get(kind)
    if objects is None:
        return Count(
            kind=kind, value=None, how="the Salesforce target keeps no rows of these by key"
        )
    total, queries = 0, []
    for sobject in objects:
        if EXTERNAL_ID not in org.client.field_names(sobject):
            continue  # prepare never made the key there: it holds none
        for instance in instances:
            pattern = _like(f"{instance}:{kind.value}:") + "%"
            soql = f"SELECT COUNT() FROM {sobject} WHERE {EXTERNAL_ID} LIKE '{pattern}'"
            total += org.client.count(soql)
            queries.append(soql)
    if not queries:
        return Count(kind=kind, value=None, how=f"no object in the org carries {EXTERNAL_ID}")
    return Count(kind=kind, value=total, how=" + ".join(queries), scope=CountScope.KEYS)


def _like(text: str) -> str:
    """``text`` as a literal inside a SOQL ``LIKE`` string (quote, backslash, ``%``, ``_``)."""
    out = text.replace("\\", "\\\\").replace("'", "\\'")
    return out.replace("%", "\\%").replace("_", "\\_")


def cost(kinds: Sequence[Kind], instances: Sequence[str] | None) -> int:
    """Queries :func:`count` makes (describes, cached by the client, not counted)."""
    if instances is None:
        return sum(len(_SOURCE.get(kind, ())) for kind in kinds)
    return sum(
        1 if kind in _TARGET_ACCOUNT else len(_TARGET.get(kind, ())) * len(instances)
        for kind in kinds
    )
