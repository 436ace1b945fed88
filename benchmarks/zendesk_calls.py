"""Zendesk → Zendesk: the API calls a whole migration makes, against the fewest Zendesk allows.

Prints one JSON line. A generated N-ticket account (the in-process emulator) is migrated into
a brand-new one (``empty=True``) through :class:`cemigrate.copier.Migration`, in process, on
one shared :class:`~cemigrate.ratelimit.ManualClock` (advanced 120 s first: exports leave out
the last minute, as Zendesk's do), so every budget wait is instant and the simulated clock says
how long the same calls take under the plan's rate limits.

- ``calls_by_budget``: the budgets' own ``calls`` counters, source and target accounts apart
  (an export call spends ``zendesk.export`` and ``zendesk.core``); ``calls_total`` counts each
  HTTP request once (the core budgets), checked against the emulators' request logs
  (``requests_check``); ``calls_by_endpoint`` groups those logs by endpoint.
- ``bound_breakdown``: the fewest calls the platform allows for this data set (see
  ``docs/performance.md``): export pages at 1,000 a page (SLA events: 100), list pages at 100,
  one download and one upload per attachment, create_many batches of 100, one create per
  group, membership and field (no bulk create), one job-status poll per job, one ``users/me``;
  people: organization membership list pages at 100 (source, and the target's once after its
  users), one create per membership beyond a user's default one, one ``custom_roles`` read per
  account whose agents hold custom roles, one ``users/show_many`` with identities per user
  batch (which identities an upserted user lacks) and one create per identity it lacks.
  The account's configuration adds: on the source, the brand list pages (100 a page), one
  call each for ticket forms, custom statuses and schedules (not paginated) and one holidays
  call per schedule; on the target, each of the four lists once when the source has records
  of it (find-or-create by name), one
  create per brand, ticket form, custom status and schedule the target lacked, one workweek
  call per schedule created and one create per holiday.
  ``lower_bound`` is their sum and ``ratio`` = ``calls_total / lower_bound`` (goal ≤ 1.10);
  ``excess_by_endpoint`` says where calls above the bound went.
- ``minutes``: simulated minutes of the run. ``lower_bound_minutes``: max over the budgets of
  both accounts of :meth:`Budgets.lower_bound` (``(calls − burst) / rate``), for the bound's
  calls and for the measured ones.
- ``extrapolation``: a 1,000,000-ticket account on the plan and with High Volume, scaling the
  calls per ticket of each term (setup terms that do not grow with tickets are kept as they
  are): hours at the bound and at the measured calls.

    .venv/bin/python benchmarks/zendesk_calls.py --tickets 2000
    .venv/bin/python benchmarks/zendesk_calls.py --tickets 10000 --plan enterprise --high-volume
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import Budgets, ManualClock, budgets_for
from cemigrate.sandbox.zendesk import ZendeskSandbox

CORE, EXPORT = "zendesk.core", "zendesk.export"
EXTRAPOLATE_TO = 1_000_000
EXPORT_PAGE, LIST_PAGE, BATCH = 1000, 100, 100
SLA_EVENT_PAGE = 100  # ticket_metric_events pages hold 100 events [facts 1.3]

EXPORTS = frozenset(
    {
        "source.ticket_export_pages",
        "source.ticket_event_pages",
        "source.user_export_pages",
        "source.organization_export_pages",
        "source.sla_event_pages",
    }
)
"""Bound terms on the incremental export budget (which also spend the core one)."""


class ThreadClock(ManualClock):
    """The shared manual clock, noting whose sleeps (budget waits, job-poll pauses) moved it.

    Two threads sleeping at once each move it, so their waits add up where a real clock would
    let them overlap: ``minutes`` is an upper estimate of the run's time."""

    def __init__(self) -> None:
        super().__init__()
        self.by_thread: Counter[str] = Counter()

    def sleep(self, seconds: float) -> None:
        name = threading.current_thread().name
        self.by_thread["writer" if name == "MainThread" else "reader"] += max(0.0, seconds)
        super().sleep(seconds)


def pages(count: int, size: int) -> int:
    """Pages a list of ``count`` records needs (an empty list still answers one page)."""
    return max(1, math.ceil(count / size))


_ID = re.compile(r"/\d+(?=[./]|$)")
_TOKEN = re.compile(r"(/attachments/token/)[^/]+")
_JOB = re.compile(r"(/job_statuses/)[^/.]+")


def _ts(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def endpoint(method: str, path: str) -> str:
    """``GET /api/v2/job_statuses/{id}.json``: one name per endpoint, ids left out."""
    path = _JOB.sub(r"\1{id}", _TOKEN.sub(r"\1{token}", path))
    return f"{method} {_ID.sub('/{id}', path)}"


def by_endpoint(sandbox: ZendeskSandbox) -> dict[str, int]:
    counts = Counter(endpoint(m, p) for m, p, _ in sandbox.zendesk.requests)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def configuration(sandbox: ZendeskSandbox) -> dict[str, int]:
    """How many brands, ticket forms, custom statuses, schedules and holidays an account has."""
    config = sandbox.backend.config
    return {
        "brands": len(config.brands),
        "ticket_forms": len(config.ticket_forms),
        "custom_statuses": len(config.custom_statuses),
        "schedules": len(config.schedules),
        "holidays": sum(len(h) for h in config.holidays.values()),
    }


def data_set(
    old: ZendeskSandbox,
    new: ZendeskSandbox,
    before: Mapping[str, int],
    identities_before: Mapping[int, int],
    config_before: Mapping[str, int],
) -> dict[str, int]:
    """What the migration had to move: records per kind (``before``: the target's own fields;
    ``identities_before``: the identities of the target's own users; ``config_before``: its
    own brands, forms, statuses, schedules and holidays)."""
    src, dst = old.backend, new.backend
    source_config, target_config = configuration(old), configuration(new)
    visible = src.now_ts() - 60  # what the exports could see when the run started
    live = [tid for tid, state in src.ticket_state.items() if not state.deleted]
    return {
        "tickets": len(src.ticket_state),
        "ticket_events": sum(1 for e in src.ticket_events() if e["timestamp"] <= visible),
        "comments": sum(len(src.comments.get(tid, ())) for tid in live),
        "attachments": sum(
            len(c["attachments"]) for tid in live for c in src.comments.get(tid, ())
        ),
        "sla_events": sum(1 for e in src.metric_events if _ts(e["time"]) <= visible),
        "ticket_metrics": len(src.metrics),
        "users": len(src.users),
        "organizations": len(src.organizations),
        "source_fields_ticket": len(src.fields["ticket"]),
        "source_fields_user": len(src.fields["user"]),
        "source_fields_organization": len(src.fields["organization"]),
        "groups": len(src.groups),
        "memberships": len(src.memberships),
        "target_fields_before_ticket": before["ticket"],
        "target_fields_before_user": before["user"],
        "target_fields_before_organization": before["organization"],
        "imported_tickets": len(dst.ticket_state),
        "created_users": len(dst.users),
        "created_organizations": len(dst.organizations),
        "created_fields": sum(len(dst.fields[obj]) - before[obj] for obj in before),
        "created_groups": len(dst.groups),
        "created_memberships": len(dst.memberships),
        "organization_memberships": len(src.organization_memberships),
        "created_organization_memberships": len(dst.organization_memberships),
        # Memberships beyond each user's default one (the upsert's organization_id makes that)
        "added_organization_memberships": sum(
            1 for m in dst.organization_memberships.values() if not m["default"]
        ),
        # Identities added to users the target held before the run (the upsert of a new user
        # creates its identities with it)
        "added_identities": sum(
            len(dst.identities.get(uid, ())) - count for uid, count in identities_before.items()
        ),
        "source_custom_roles_read": int(any(u["custom_role_id"] for u in src.users.values())),
        "target_custom_roles_read": int(any(u["custom_role_id"] for u in dst.users.values())),
        **source_config,
        **{f"target_{k}_before": v for k, v in config_before.items()},
        **{f"created_{k}": target_config[k] - config_before[k] for k in target_config},
    }


PER_TICKET_COUNTS = frozenset(
    {
        "tickets",
        "ticket_events",
        "sla_events",
        "ticket_metrics",
        "comments",
        "attachments",
        "users",
        "organizations",
        "imported_tickets",
        "created_users",
        "created_organizations",
        "organization_memberships",
        "created_organization_memberships",
        "added_organization_memberships",
    }
)
"""Counts that grow with the account (scaled per ticket in the extrapolation); fields, groups
and memberships are the account's setup and stay as they are."""


def bound_terms(n: Mapping[str, float]) -> dict[str, int]:
    """The fewest calls each step needs for a data set (see docs/performance.md)."""
    imports = math.ceil(n["imported_tickets"] / BATCH)
    user_jobs = math.ceil(n["users"] / BATCH)
    org_jobs = math.ceil(n["organizations"] / BATCH)
    fields = ("ticket", "user", "organization")
    return {
        # the source: read everything once
        "source.ticket_export_pages": pages(n["tickets"], EXPORT_PAGE),
        "source.ticket_event_pages": pages(n["ticket_events"], EXPORT_PAGE),
        "source.user_export_pages": pages(n["users"], EXPORT_PAGE),
        "source.organization_export_pages": pages(n["organizations"], EXPORT_PAGE),
        "source.sla_event_pages": pages(n["sla_events"], SLA_EVENT_PAGE),
        "source.ticket_metric_pages": pages(n["ticket_metrics"], LIST_PAGE),
        "source.field_list_pages": sum(pages(n[f"source_fields_{o}"], LIST_PAGE) for o in fields),
        "source.group_list_pages": pages(n["groups"], LIST_PAGE),
        "source.membership_list_pages": pages(n["memberships"], LIST_PAGE),
        "source.attachment_downloads": round(n["attachments"]),
        # the target: what is there already (find-or-create by natural key), then the writes
        "target.field_list_pages": sum(
            pages(n[f"target_fields_before_{o}"], LIST_PAGE) for o in fields
        ),
        "target.group_list_pages": 1,
        "target.me": 1,  # the API user, author of the SLA history notes
        "target.membership_list_pages": 1,
        "target.field_creates": round(n["created_fields"]),
        "target.group_creates": round(n["created_groups"]),
        "target.membership_creates": round(n["created_memberships"]),
        "target.organization_batches": org_jobs,
        "target.user_batches": user_jobs,
        "target.attachment_uploads": round(n["attachments"]),
        "target.ticket_import_batches": imports,
        "target.job_polls": imports + user_jobs + org_jobs,
        # people (docs/performance.md, "Users, identities and organization memberships")
        "source.organization_membership_list_pages": pages(
            n["organization_memberships"], LIST_PAGE
        ),
        "source.custom_roles": round(n["source_custom_roles_read"]),
        "target.custom_roles": round(n["target_custom_roles_read"]),
        "target.identity_checks": user_jobs,
        "target.identity_creates": round(n["added_identities"]),
        "target.organization_membership_list_pages": pages(
            n["created_organization_memberships"], LIST_PAGE
        ),
        "target.organization_membership_creates": round(n["added_organization_memberships"]),
        # the account's configuration: short lists read whole, then one create per record
        "source.brand_list_pages": pages(n["brands"], LIST_PAGE),
        "source.ticket_form_lists": 1,  # not paginated
        "source.custom_status_lists": 1,  # not paginated
        "source.schedule_lists": 1,  # not paginated
        "source.holiday_lists": round(n["schedules"]),  # one per schedule
        # the target lists its own only when the source has some to find or create
        "target.brand_list_pages": pages(n["target_brands_before"], LIST_PAGE)
        if n["brands"]
        else 0,
        "target.ticket_form_lists": 1 if n["ticket_forms"] else 0,
        "target.custom_status_lists": 1 if n["custom_statuses"] else 0,
        "target.schedule_lists": 1 if n["schedules"] else 0,
        "target.brand_creates": round(n["created_brands"]),
        "target.ticket_form_creates": round(n["created_ticket_forms"]),
        "target.custom_status_creates": round(n["created_custom_statuses"]),
        "target.schedule_creates": round(n["created_schedules"]),
        "target.workweek_updates": round(n["created_schedules"]),
        "target.holiday_creates": round(n["created_holidays"]),
    }


def needed(terms: Mapping[str, float], side: str) -> dict[str, float]:
    """Calls per budget key of one account: every call spends core, export pages export too."""
    mine = {k: v for k, v in terms.items() if k.startswith(side + ".")}
    return {CORE: sum(mine.values()), EXPORT: sum(v for k, v in mine.items() if k in EXPORTS)}


def budgets(plan: str, hv: bool) -> Budgets:
    options: dict[str, object] = {"high_volume": True} if hv else {}
    return budgets_for(ZENDESK_PLANS, plan, clock=ManualClock(), **options)


def bound_minutes(plan: str, hv: bool, by_side: Mapping[str, Mapping[str, float]]) -> float:
    """Max over both accounts' budgets (each account has its own) of (calls − burst) / rate."""
    limits = budgets(plan, hv)
    return max(limits.lower_bound(calls) for calls in by_side.values()) / 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plan", default="enterprise")
    parser.add_argument("--high-volume", action="store_true")
    args = parser.parse_args(argv)
    plan, hv = args.plan, args.high_volume

    clock = ThreadClock()
    wall = time.perf_counter()
    old = ZendeskSandbox(
        tickets=args.tickets,
        seed=args.seed,
        instance="old",
        plan=plan,
        high_volume=hv,
        clock=clock,
        subdomain="old",
    )
    new = ZendeskSandbox(
        tickets=0,
        seed=args.seed + 1,
        instance="new",
        plan=plan,
        high_volume=hv,
        clock=clock,
        subdomain="new",
        empty=True,
    )
    setup_s = time.perf_counter() - wall
    fields_before = {obj: len(fields) for obj, fields in new.backend.fields.items()}
    identities_before = {uid: len(found) for uid, found in new.backend.identities.items()}
    config_before = configuration(new)
    clock.advance(120)  # exports leave out the last minute, as Zendesk's do
    credentials = ZendeskCredentials(email=old.email, token=old.token)
    source = ZendeskSource(
        instance="old",
        base_url=old.base_url,
        credentials=credentials,
        plan=plan,
        high_volume=hv,
        session=old.session(authenticated=False),
        clock=clock,
    )
    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=credentials,
        plan=plan,
        high_volume=hv,
        session=new.session(authenticated=False),
        clock=clock,
    )
    started, wall = clock.monotonic(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Ledger.open(Path(tmp) / "ledger.sqlite") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger)
        report = migration.run()
        migration.close()
    run_s = time.perf_counter() - wall
    simulated = (clock.monotonic() - started) / 60

    counted = {
        "source": {k: source.budgets[k].calls for k in (CORE, EXPORT)},
        "target": {k: target.budgets[k].calls for k in (CORE, EXPORT)},
    }
    logged = {"source": len(old.zendesk.requests), "target": len(new.zendesk.requests)}
    counts = data_set(old, new, fields_before, identities_before, config_before)
    terms = bound_terms(counts)
    bound = {side: needed(terms, side) for side in ("source", "target")}
    calls_total = sum(c[CORE] for c in counted.values())
    lower_bound = sum(terms.values())
    endpoints = {"source": by_endpoint(old), "target": by_endpoint(new)}

    scale = EXTRAPOLATE_TO / args.tickets
    scaled = bound_terms({k: v * scale if k in PER_TICKET_COUNTS else v for k, v in counts.items()})
    ratio_by_side = {
        side: {
            k: (counted[side][k] / bound[side][k] if bound[side][k] else 1.0) for k in bound[side]
        }
        for side in bound
    }
    extrapolation: dict[str, Any] = {"tickets": EXTRAPOLATE_TO}
    for label, high in ((plan, False), (f"{plan}+high_volume", True)):
        at_bound = {side: needed(scaled, side) for side in ("source", "target")}
        measured = {
            side: {k: v * ratio_by_side[side][k] for k, v in at_bound[side].items()}
            for side in at_bound
        }
        extrapolation[label] = {
            "calls_at_bound": {s: {k: round(v) for k, v in c.items()} for s, c in at_bound.items()},
            "hours_at_bound": round(bound_minutes(plan, high, at_bound) / 60, 1),
            "hours_at_measured_calls": round(bound_minutes(plan, high, measured) / 60, 1),
        }

    result = {
        "tickets": args.tickets,
        "plan": plan + ("+high_volume" if hv else ""),
        "status": report.status,
        "data_set": counts,
        "written": {kind: tally.as_dict() for kind, tally in report.kinds.items()},
        "calls_total": calls_total,
        "lower_bound": lower_bound,
        "ratio": round(calls_total / lower_bound, 3),
        "calls_per_ticket": round(calls_total / args.tickets, 3),
        "calls_by_budget": counted,
        "bound_by_budget": bound,
        "requests_check": {
            "logged": logged,
            "throttled": {
                "source": sum(1 for *_, s in old.zendesk.requests if s == 429),
                "target": sum(1 for *_, s in new.zendesk.requests if s == 429),
            },
            "budgets_match_logs": all(logged[s] == counted[s][CORE] for s in logged),
        },
        "bound_breakdown": terms,
        "calls_by_endpoint": endpoints,
        "minutes": round(simulated, 1),
        "waited_minutes_by_thread": {k: round(v / 60, 1) for k, v in clock.by_thread.items()},
        "lower_bound_minutes": round(bound_minutes(plan, hv, bound), 1),
        "measured_calls_bound_minutes": round(bound_minutes(plan, hv, counted), 1),
        "extrapolation": extrapolation,
        "wall_s": {"setup": round(setup_s, 1), "run": round(run_s, 1)},
    }
    print(json.dumps(result))
    return 0 if report.status == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
