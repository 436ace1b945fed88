"""Zendesk comment reads: per-ticket comment pages against the ticket-event export.

Prints one JSON line. N generated tickets are served by the in-process Zendesk emulator; a
:class:`~cemigrate.ratelimit.ManualClock` shared by the emulator and the client makes every
wait instant (and moves the emulator's "now"). The clock is first advanced 120 s, because the
emulator, like Zendesk, leaves the last minute of changes out of its exports.

Both strategies read every ticket from the incremental ticket export (1,000 a page, the
sideloads the source asks for) and then its comments:

- ``per_ticket``: ``/tickets/{id}/comments.json``, cursor pages of 100, for each ticket
  (not for deleted ones: their comments are gone), as ``source.py`` does today;
- ``ticket_events``: the ticket-event export with ``include=comment_events`` read first into
  the SQLite spool of :class:`cemigrate.adapters.zendesk.events.EventComments`, then each
  ticket's comments taken from the spool.

Calls per budget come from the budgets' own counters (an export call spends ``zendesk.export``
and ``zendesk.core``). ``lower_bound_minutes`` is :meth:`Budgets.lower_bound` for the plan:
``max over budgets ((calls - burst) / rate)``. ``simulated_minutes`` is the manual clock's
time for the whole read (budget waits included), which should sit just above the bound. Both
strategies must produce the same comments (ids, order, bodies, public flags, authors, times,
channels, attachments), or the benchmark fails.

The extrapolation to 1,000,000 tickets scales the measured calls per ticket linearly and
prints the bound for Enterprise and Enterprise + High Volume; ``with_sla_events`` adds the
calls of the SLA-history export (``ticket_metric_events``, 100 a page as the object table
says, also on the export budget), which a whole migration reads as well;
``with_sla_events_1000_a_page`` the same if that time-based export gave 1,000 a page (not
verified). ``break_even_events_per_ticket`` is the
number of exported ticket events per ticket (every update is an event on a real account, not
only comments; the emulator makes one per comment) above which per-ticket reads are faster.

    .venv/bin/python benchmarks/zendesk_read_calls.py --tickets 2000
    .venv/bin/python benchmarks/zendesk_read_calls.py --tickets 10000 --plan enterprise
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskClient, ZendeskCredentials
from cemigrate.adapters.zendesk.events import EventComments
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.objects import BY_NAME, Read
from cemigrate.ratelimit import Budgets, ManualClock, RetryPolicy, budgets_for
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Comment

BUDGETS = ("zendesk.core", "zendesk.export")
EXTRAPOLATE_TO = 1_000_000


def _read(name: str) -> Read:
    read = BY_NAME[name].read
    assert read is not None
    return read


def _client(sandbox: ZendeskSandbox, clock: ManualClock, plan: str, hv: bool) -> ZendeskClient:
    return ZendeskClient(
        base_url=sandbox.base_url,
        credentials=ZendeskCredentials(email=sandbox.email, token=sandbox.token),
        budgets=_budgets(plan, hv, clock),
        retry=RetryPolicy(clock),
        session=sandbox.session(authenticated=False),
    )


def _budgets(plan: str, hv: bool, clock: ManualClock | None = None) -> Budgets:
    options: dict[str, object] = {"high_volume": True} if hv else {}
    return budgets_for(ZENDESK_PLANS, plan, clock=clock or ManualClock(), prefix=None, **options)


Comments = dict[str, list[Comment]]


def _tickets(
    client: ZendeskClient, comments_of: Callable[[str, Mapping[str, Any]], list[Comment]]
) -> Comments:
    out: Comments = {}
    for page in client.pages(_read("tickets")):
        for data in page.records:
            ticket_id = str(data["id"])
            out[ticket_id] = [] if data.get("status") == "deleted" else comments_of(ticket_id, data)
    return out


def per_ticket(client: ZendeskClient) -> tuple[Comments, dict[str, Any]]:
    comments_read = _read("ticket_comments")

    def comments_of(ticket_id: str, _: Mapping[str, Any]) -> list[Comment]:
        return [
            convert.comment(c)
            for page in client.pages(comments_read, id=ticket_id)
            for c in page.records
        ]

    return _tickets(client, comments_of), {}


def ticket_events(client: ZendeskClient) -> tuple[Comments, dict[str, Any]]:
    with EventComments(client) as events:
        events.fill(start_time=0)
        extra = {
            "export_pages": events.pages_read,
            "duplicate_events": events.duplicates,
            "spool_bytes": events.spool_bytes(),
        }
        fallback = _read("ticket_comments")

        def comments_of(ticket_id: str, data: Mapping[str, Any]) -> list[Comment]:
            created = convert.parse_time(data.get("created_at"))
            updated = convert.parse_time(data.get("updated_at"))
            if events.covers(created, updated):
                return events.comments_for(ticket_id)
            extra["fallbacks"] = extra.get("fallbacks", 0) + 1
            return [
                convert.comment(c)
                for page in client.pages(fallback, id=ticket_id)
                for c in page.records
            ]

        got = _tickets(client, comments_of)
        extra.setdefault("fallbacks", 0)
    return got, extra


def calls(budgets: Budgets) -> dict[str, int]:
    return {key: budgets[key].calls for key in BUDGETS}


def minutes(budgets: Budgets, needed: Mapping[str, float]) -> float:
    return round(budgets.lower_bound(needed) / 60, 1)


def run(
    sandbox: ZendeskSandbox,
    clock: ManualClock,
    strategy: Callable[[ZendeskClient], tuple[Comments, dict[str, Any]]],
    plan: str,
    hv: bool,
) -> tuple[Comments, dict[str, Any]]:
    sandbox.zendesk.reset_limits()
    sandbox.zendesk.requests.clear()
    client = _client(sandbox, clock, plan, hv)
    started, wall = clock.monotonic(), time.perf_counter()
    got, extra = strategy(client)
    by_budget = calls(client.budgets)
    report = {
        "calls_by_budget": by_budget,
        "lower_bound_minutes": minutes(client.budgets, by_budget),
        "simulated_minutes": round((clock.monotonic() - started) / 60, 1),
        "sandbox_requests": len(sandbox.zendesk.requests),
        "throttled": sum(1 for _, _, status in sandbox.zendesk.requests if status == 429),
        "wall_s": round(time.perf_counter() - wall, 1),
        **extra,
    }
    return got, report


def sla_event_calls(
    sandbox: ZendeskSandbox, clock: ManualClock, plan: str, hv: bool
) -> tuple[int, int]:
    """Export calls and records of the SLA-history export (``ticket_metric_events``)."""
    sandbox.zendesk.reset_limits()
    client = _client(sandbox, clock, plan, hv)
    records = sum(len(page.records) for page in client.pages(_read("ticket_metric_events")))
    return client.budgets["zendesk.export"].calls, records


def extrapolate(
    tickets: int,
    strategies: Mapping[str, Mapping[str, int]],
    sla_export: int,
    sla_records: int,
    plan: str,
) -> dict[str, Any]:
    scale = EXTRAPOLATE_TO / tickets
    out: dict[str, Any] = {"tickets": EXTRAPOLATE_TO}
    for label, hv in ((plan, False), (f"{plan}+high_volume", True)):
        budgets = _budgets(plan, hv)
        entry: dict[str, Any] = {}
        for name, by_budget in strategies.items():
            needed = {k: v * scale for k, v in by_budget.items()}
            whole, whole_1000 = dict(needed), dict(needed)
            for key in BUDGETS:
                whole[key] += sla_export * scale
                whole_1000[key] += math.ceil(sla_records * scale / 1000)
            entry[name] = {
                "calls_by_budget": {k: round(v) for k, v in needed.items()},
                "lower_bound_minutes": minutes(budgets, needed),
                "with_sla_events_minutes": minutes(budgets, whole),
                "with_sla_events_1000_a_page_minutes": minutes(budgets, whole_1000),
            }
        entry["choice"] = min(strategies, key=lambda n: entry[n]["lower_bound_minutes"])
        for variant in ("with_sla_events", "with_sla_events_1000_a_page"):
            bounds = {n: entry[n][f"{variant}_minutes"] for n in strategies}
            entry[f"choice_{variant}"] = min(bounds, key=bounds.__getitem__)
        out[label] = entry
    return out


def break_even(
    tickets: int, per: Mapping[str, int], events: Mapping[str, int], pages: int, plan: str
) -> dict[str, float]:
    """Exported events per ticket at which the event export takes as long as per-ticket reads
    (1,000 events a page; the ticket export's own pages are counted on both sides)."""
    out = {}
    ticket_pages = events["zendesk.export"] - pages
    for label, hv in ((plan, False), (f"{plan}+high_volume", True)):
        budgets = _budgets(plan, hv)
        scale = EXTRAPOLATE_TO / tickets
        per_seconds = budgets.lower_bound({k: v * scale for k, v in per.items()})
        export = budgets["zendesk.export"]
        export_calls = per_seconds * export.rate_per_second + export.capacity
        event_pages = export_calls - ticket_pages * scale
        out[label] = round(event_pages * 1000 / EXTRAPOLATE_TO, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plan", default="enterprise")
    parser.add_argument("--high-volume", action="store_true")
    args = parser.parse_args(argv)

    clock = ManualClock()
    sandbox = ZendeskSandbox(
        tickets=args.tickets,
        seed=args.seed,
        plan=args.plan,
        high_volume=args.high_volume,
        clock=clock,
    )
    clock.advance(120)  # exports leave out the last minute, as Zendesk's do
    hv = args.high_volume
    a, per = run(sandbox, clock, per_ticket, args.plan, hv)
    b, events = run(sandbox, clock, ticket_events, args.plan, hv)
    same = a == b
    sla_export, sla_records = sla_event_calls(sandbox, clock, args.plan, hv)
    strategies = {"per_ticket": per["calls_by_budget"], "ticket_events": events["calls_by_budget"]}
    result = {
        "tickets": args.tickets,
        "comments": sum(len(c) for c in a.values()),
        "plan": args.plan + ("+high_volume" if hv else ""),
        "same_comments": same,
        "per_ticket": per,
        "ticket_events": events,
        "sla_events": {"records": sla_records, "export_calls": sla_export},
        # Equal bounds (both inside the burst a full bucket allows): fewer calls wins.
        "choice": min(
            strategies,
            key=lambda n: (
                {"per_ticket": per, "ticket_events": events}[n]["lower_bound_minutes"],
                sum(strategies[n].values()),
            ),
        ),
        "extrapolation": extrapolate(args.tickets, strategies, sla_export, sla_records, args.plan),
        "break_even_events_per_ticket": break_even(
            args.tickets,
            strategies["per_ticket"],
            strategies["ticket_events"],
            events["export_pages"],
            args.plan,
        ),
    }
    print(json.dumps(result))
    if not same:
        print("the two strategies read different comments", file=sys.stderr)
        return 1
    return 0 if math.isfinite(per["lower_bound_minutes"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
