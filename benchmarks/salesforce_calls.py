"""→ Salesforce: the API calls a whole migration spends from the org's daily allowance, against
the fewest Salesforce allows.

Prints one JSON line. A generated N-ticket help desk (:class:`MemorySource`, so the source costs
no calls and every call counted is the org's) is migrated into an empty emulated org (its agents
added as Users beforehand: a migration never creates Users) through
:class:`cemigrate.copier.Migration`, in process, on a :class:`~cemigrate.ratelimit.ManualClock`.

- ``calls_by_budget``: the target's budgets' own ``calls`` counters (``salesforce.daily`` is the
  rolling 24 h allowance every REST, Tooling and Bulk call spends); ``calls_total`` is the daily
  calls, checked against the emulator's request log (``requests_check``); ``daily_allowance``
  the org's allowance and the share of it the run used. ``bulk_jobs`` counts Bulk API 2.0 jobs.
- ``bound_breakdown``: the fewest calls Salesforce allows for this data set (see
  ``docs/performance.md``): one describe per object written, one Tooling create per custom
  object, custom fields 25 to a Tooling composite call, one query per setup lookup, sObject
  collections of 200, or one Bulk API 2.0 job (create, upload, close, one poll, successful
  results: 5 calls) where that is fewer, files several to a multipart sObject Collections insert
  (200 records and 500 MB a request), flows 25 to a Tooling composite call, milestone types,
  business hours, holidays and account relations in collections, entitlement processes 10 to a
  Metadata API call, and one query per lookup by natural key. ``lower_bound`` is their sum;
  ``ratio`` = ``calls_total / lower_bound`` (goal ≤ 1.10); ``excess_by_endpoint`` says where
  calls above the bound went.
- ``extrapolation``: 1,000,000 tickets, scaling the per-ticket terms (setup stays): calls at the
  bound and at the measured ratio of the per-ticket calls, and the days they take on an org
  with a 300,000-call daily allowance (all of it, and half of it).

    .venv/bin/python benchmarks/salesforce_calls.py --tickets 2000
    .venv/bin/python benchmarks/salesforce_calls.py --tickets 10000
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import requests

from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.objects import DEFAULT_BULK_THRESHOLD
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import Kind, Role

DAILY = "salesforce.daily"
COLLECTION = 200
BULK_JOB = 5  # create, upload, close, one poll, successful results
FILE_REQUEST_BYTES = 500 * 1024 * 1024
METADATA_BATCH = 10
TOOLING_COMPOSITE = 25
EXTRAPOLATE_TO = 1_000_000
ALLOWANCE_1M = 300_000
WRITTEN_OBJECTS = (
    "Account",
    "Contact",
    "User",
    "Case",
    "EmailMessage",
    "Cemigrate_Sla_Event__c",
    "Cemigrate_Ticket_Metrics__c",
)
SETUP_TERMS = frozenset(
    {
        "describe",
        "tooling CustomObject",
        "tooling CustomField",
        "query setup",
        "update User",
        "create Group",
        "create QueueSobject",
        "create GroupMember",
        "tooling Flow",
        "create MilestoneType",
        "metadata upsert",
        "create BusinessHours",
        "create Holiday",
    }
)
"""Terms that do not grow with tickets (the org's setup and its agents and queues)."""

SETUP_QUERIES = (
    "User",
    "Group",
    "GroupMember",
    "FlowDefinition",
    "BusinessHours",
    "Holiday",
    "MilestoneType",
    "RecordType",
    "AccountContactRelation",
)
"""Objects the target looks up by natural key (no external id): its setup queries."""

_FROM = re.compile(r"\bFROM\s+(\w+)")
_TYPE = re.compile(rb'"type":\s*"([A-Za-z0-9_]+)"')
_JOB = re.compile(r"/jobs/ingest/([^/]+)")
_TOOLING = re.compile(rb"/tooling/sobjects/([A-Za-z0-9_]+)")


class CallLog:
    """Names each request the target sends by what it does (``upsert Case``, ``bulk Case``,
    ``file upload``, ...), from the request itself: a response hook on the session."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.jobs: dict[str, str] = {}

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        method = request.method or "GET"
        path = (request.path_url or "").split("?")[0]
        body = request.body if isinstance(request.body, bytes) else b""
        if isinstance(request.body, str):
            body = request.body.encode()
        found = _TYPE.search(body[:400])
        kind = found.group(1).decode() if found else ""
        if "/jobs/ingest" in path:
            job = _JOB.search(path)
            if job is None:
                answer = response.json()
                self.jobs[str(answer.get("id"))] = str(answer.get("object"))
                label = f"bulk {answer.get('object')}"
            else:
                label = f"bulk {self.jobs.get(job.group(1), '?')}"
        elif path.endswith("/describe"):
            label = "describe"
        elif "/tooling/sobjects/" in path:
            label = "tooling " + path.rsplit("/", 1)[-1]
        elif path.endswith("/tooling/composite"):
            # Tooling creates 25 a call: named by the sObject of its first subrequest.
            found_tooling = _TOOLING.search(body)
            label = "tooling " + (found_tooling.group(1).decode() if found_tooling else "?")
        elif "/query" in path:
            found_from = _FROM.search(unquote_plus(request.url or ""))
            setup = found_from is not None and found_from.group(1) in SETUP_QUERIES
            label = "query setup" if setup else "query"
        elif "/Soap/m/" in path:
            label = "metadata read" if b"readMetadata" in body[:2000] else "metadata upsert"
        elif path.endswith("/sobjects/MilestoneType"):
            label = "create MilestoneType"
        elif path.endswith("/sobjects/ContentVersion"):
            label = "file upload"
        elif path.endswith("/composite/sobjects") and str(
            request.headers.get("Content-Type", "")
        ).startswith("multipart/"):
            label = "file upload"  # several ContentVersions in one multipart collection
        elif "/composite/sobjects/" in path and method == "PATCH":
            label = f"upsert {path.split('/composite/sobjects/')[1].split('/')[0]}"
        elif path.endswith("/composite/sobjects"):
            label = {"POST": "create", "PATCH": "update", "DELETE": "delete"}[method]
            label = f"{label} {kind}".strip()
        else:
            label = f"{method} {path}"
        self.calls[label] += 1


def add_agents(org: SalesforceSandbox, desk: HelpDesk) -> int:
    seen: set[str] = set()
    for person in desk.users:
        email = (person.email or "").lower()
        if person.role is Role.END_USER or not email or email in seen:
            continue
        seen.add(email)
        profile = "System Administrator" if person.role is Role.ADMIN else "Standard User"
        org.add_user(name=person.name, email=person.email or "", profile=profile)
    return len(seen)


def collections_or_bulk(rows: float, name: str) -> dict[str, int]:
    """The fewer of collections (200 a call) and one Bulk job, under its endpoint label."""
    if rows <= 0:
        return {}
    by_collections = math.ceil(rows / COLLECTION)
    if by_collections > BULK_JOB:
        return {f"bulk {name.split(' ', 1)[1]}": BULK_JOB}
    return {name: by_collections}


def data_set(org: SalesforceSandbox, desk: HelpDesk, agents: int) -> dict[str, int]:
    """What the migration had to write, counted in the org afterwards (a body over a field's
    limit is several rows, and they all had to be written)."""
    table = org.backend.table
    return {
        "tickets": len(desk.tickets),
        "cases": sum(1 for c in table("Case") if c.get("Cemigrate_Id__c")),
        "email_messages": len(table("EmailMessage")),
        "case_comments": len(table("CaseComment")),
        "files": len(table("ContentVersion")),
        "file_bytes": sum(int(v["ContentSize"] or 0) for v in table("ContentVersion")),
        "contacts": sum(1 for c in table("Contact") if c.get("Cemigrate_Id__c")),
        "accounts": sum(1 for a in table("Account") if a.get("Cemigrate_Id__c")),
        "agents": agents,
        "queues": sum(1 for g in table("Group") if g.get("Type") == "Queue"),
        "memberships": len(table("GroupMember")),
        "sla_events": len(table("Cemigrate_Sla_Event__c")),
        "ticket_metrics": len(table("Cemigrate_Ticket_Metrics__c")),
        "custom_objects": len(org.backend.tooling["CustomObject"]),
        "custom_fields": len(org.backend.tooling["CustomField"]),
        "flows": len(org.backend.tooling["Flow"]),
        "milestone_types": len(table("MilestoneType")),
        "entitlement_processes": len(org.backend.metadata.get("EntitlementProcess", {})),
        "business_hours": sum(1 for b in table("BusinessHours") if not b.get("IsDefault")),
        "holidays": len(table("Holiday")),
        "record_type_queries": 1 if desk.records(Kind.TICKET_FORM) else 0,
        # the relations Salesforce makes itself from a Contact's AccountId are not written
        "relations": sum(1 for r in table("AccountContactRelation") if not r.get("IsDirect")),
    }


PER_TICKET_COUNTS = frozenset(
    {
        "tickets",
        "cases",
        "email_messages",
        "case_comments",
        "files",
        "file_bytes",
        "contacts",
        "accounts",
        "sla_events",
        "ticket_metrics",
        "relations",
    }
)


def bound_terms(n: Mapping[str, float]) -> dict[str, int]:
    """The fewest calls Salesforce allows for a data set, by endpoint label."""
    terms: dict[str, int] = {
        "describe": len(WRITTEN_OBJECTS),
        "tooling CustomObject": round(n["custom_objects"]),
        # Tooling creates go 25 to a composite call (Tooling API Developer Guide, "Improve
        # Performance with the Composite Resource").
        "tooling CustomField": math.ceil(n["custom_fields"] / TOOLING_COMPOSITE),
        "query setup": 3,  # Users by e-mail, queues, memberships (no external id on the last two)
        "update User": math.ceil(n["agents"] / COLLECTION),
        "create Group": math.ceil(n["queues"] / COLLECTION),
        "create QueueSobject": math.ceil(n["queues"] / COLLECTION),
        "create GroupMember": math.ceil(n["memberships"] / COLLECTION),
        # Several files to a multipart sObject Collections insert: 200 records and 500 MB of
        # files a request (REST API Developer Guide, "Insert or Update Blob Data").
        "file upload": max(
            math.ceil(n["files"] / COLLECTION), math.ceil(n["file_bytes"] / FILE_REQUEST_BYTES)
        ),
        # What issue 17 added (business hours and holidays, contacts' other accounts) and the
        # rules and SLA policies: flows 25 to a Tooling composite call, milestone types in
        # collections, entitlement processes 10 to an ``upsertMetadata`` call.
        "tooling Flow": math.ceil(n["flows"] / TOOLING_COMPOSITE),
        "create MilestoneType": math.ceil(n["milestone_types"] / COLLECTION),
        "metadata upsert": math.ceil(n["entitlement_processes"] / METADATA_BATCH),
        "create BusinessHours": math.ceil(n["business_hours"] / COLLECTION),
        "create Holiday": math.ceil(n["holidays"] / COLLECTION),
        "create AccountContactRelation": math.ceil(n["relations"] / COLLECTION),
    }
    # Lookups by natural key where there is no external id: the org's flows, business hours,
    # holidays, milestone types, Case record types (when there are forms), once each; the
    # relations the contacts have, 200 contacts a query.
    terms["query setup"] += (
        (1 if n["flows"] else 0)
        + (2 if n["business_hours"] else 0)
        + (1 if n["milestone_types"] else 0)
        + round(n["record_type_queries"])
        + math.ceil(n["relations"] / COLLECTION)
    )
    for rows, name in (
        (n["accounts"], "upsert Account"),
        (n["contacts"], "upsert Contact"),
        (n["cases"], "upsert Case"),
        (n["email_messages"], "upsert EmailMessage"),
        (n["case_comments"], "create CaseComment"),
        (n["sla_events"], "upsert Cemigrate_Sla_Event__c"),
        (n["ticket_metrics"], "upsert Cemigrate_Ticket_Metrics__c"),
    ):
        for label, calls in collections_or_bulk(rows, name).items():
            terms[label] = terms.get(label, 0) + calls
    return terms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bulk-threshold", type=int, default=DEFAULT_BULK_THRESHOLD)
    args = parser.parse_args(argv)

    wall = time.perf_counter()
    clock = ManualClock()
    desk = generate(tickets=args.tickets, seed=args.seed, instance="old")
    org = SalesforceSandbox(tickets=0, instance="new", empty=True, clock=clock, licences=200)
    agents = add_agents(org, desk)
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance="old",
        blobs=desk.blob,
        page_size=1000,
        clock=clock,
    )
    session = org.session(authenticated=False)
    log = CallLog()
    session.hooks["response"].append(log)
    target = SalesforceTarget(
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=session,
        clock=clock,
        licences=200,
        bulk_threshold=args.bulk_threshold,
    )
    setup_s = time.perf_counter() - wall
    started, wall = clock.monotonic(), time.perf_counter()
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        report = migration.run()
        failures = len(ledger.failures())
    run_s = time.perf_counter() - wall

    calls_by_budget = {name: budget.calls for name, budget in target.budgets.items()}
    calls_total = target.budgets[DAILY].calls
    logged = sum(
        1
        for _, path, _ in org.salesforce.requests
        if path.startswith(("/services/data", "/services/Soap"))
    )
    counts = data_set(org, desk, agents)
    terms = bound_terms(counts)
    lower_bound = sum(terms.values())
    measured = dict(sorted(log.calls.items(), key=lambda kv: -kv[1]))
    excess = {
        label: measured.get(label, 0) - terms.get(label, 0)
        for label in set(measured) | set(terms)
        if measured.get(label, 0) != terms.get(label, 0)
    }

    scale = EXTRAPOLATE_TO / args.tickets
    scaled = bound_terms({k: v * scale if k in PER_TICKET_COUNTS else v for k, v in counts.items()})
    setup_bound = sum(v for k, v in terms.items() if k in SETUP_TERMS)
    setup_measured = sum(v for k, v in measured.items() if k in SETUP_TERMS)
    growing_ratio = (calls_total - setup_measured) / max(1, lower_bound - setup_bound)
    at_bound = sum(scaled.values())
    scaled_setup = sum(v for k, v in scaled.items() if k in SETUP_TERMS)
    at_measured = round(setup_measured + (at_bound - scaled_setup) * growing_ratio)

    result = {
        "tickets": args.tickets,
        "status": report.status,
        "failures": failures,
        "data_set": counts,
        "written": {kind: tally.as_dict() for kind, tally in report.kinds.items()},
        "calls_total": calls_total,
        "lower_bound": lower_bound,
        "ratio": round(calls_total / lower_bound, 3),
        "calls_per_ticket": round(calls_total / args.tickets, 3),
        "calls_by_budget": calls_by_budget,
        "daily_allowance": {
            "allowance": org.salesforce.daily_allowance,
            "used": calls_total,
            "share": round(calls_total / org.salesforce.daily_allowance, 4),
        },
        "bulk_jobs": len(log.jobs),
        "bulk_jobs_by_object": dict(Counter(log.jobs.values())),
        "requests_check": {"logged": logged, "budget_matches_log": logged == calls_total},
        "bound_breakdown": terms,
        "calls_by_endpoint": measured,
        "excess_by_endpoint": dict(sorted(excess.items(), key=lambda kv: -kv[1])),
        "extrapolation": {
            "tickets": EXTRAPOLATE_TO,
            "calls_at_bound": at_bound,
            "calls_at_measured_ratio": at_measured,
            "daily_allowance": ALLOWANCE_1M,
            "days_at_bound": round(at_bound / ALLOWANCE_1M, 2),
            "days_at_measured": round(at_measured / ALLOWANCE_1M, 2),
            "days_at_half_the_allowance": round(at_measured / (ALLOWANCE_1M / 2), 2),
        },
        "simulated_minutes": round((clock.monotonic() - started) / 60, 1),
        "wall_s": {"setup": round(setup_s, 1), "run": round(run_s, 1)},
    }
    print(json.dumps(result))
    return 0 if report.status == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
