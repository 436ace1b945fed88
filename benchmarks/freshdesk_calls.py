"""→ Freshdesk: the API calls a whole migration spends from each account's budgets, against the
fewest Freshdesk allows.

Prints one JSON line. A generated N-ticket Freshdesk account (the in-process emulator) is
migrated into an empty one (``FreshdeskSandbox(tickets=0, empty=True)``, the desk's agents added
first: agents are paid seats, matched by e-mail and never created) through
:class:`cemigrate.copier.Migration`, in process, on one :class:`~cemigrate.ratelimit.ManualClock`,
so every budget wait is instant and the simulated clock says how long the calls take under the
plan's limits. Freshdesk → Freshdesk, so both accounts' sub-limits are exercised: the source's
ticket and contact lists, the target's ticket creates and updates.

- ``calls_by_budget``: the budgets' own ``calls`` counters, source and target accounts apart:
  ``freshdesk.core`` (every call) and the sub-limits ``freshdesk.ticket_create``,
  ``freshdesk.ticket_update``, ``freshdesk.tickets_list``, ``freshdesk.contacts_list``;
  ``credits_by_budget`` what they spent (each resource in a ticket page's ``include`` costs 2
  credits more: 3 with ``stats``, 5 with ``description,stats``). ``calls_total`` counts each
  HTTP request once (the core budgets), checked against the emulators' request logs
  (``requests_check``); ``calls_by_endpoint`` groups those logs.
- ``bound_breakdown``: the fewest calls Freshdesk allows for this data set (see
  ``docs/performance.md``): list pages of 100 (ticket pages with their include credits), one
  view per live ticket (its description's files), its conversations 100 a page (at least one
  page: none cannot be known without asking), one download per file, one create per ticket,
  contact, company, group and field (no bulk create), one call per further conversation (each
  overflow note of files beyond 20 MB too), one SLA history note per ticket that has a history,
  one ``PUT`` per group with members. ``lower_bound`` is their sum, ``ratio`` =
  ``calls_total / lower_bound`` (goal ≤ 1.10); ``excess_by_endpoint`` says where calls above the
  bound went.
- ``lower_bound_minutes``: :meth:`Budgets.lower_bound` (``(credits − burst) / rate``, max over
  the budgets of both accounts) for the bound's credits and for the measured ones; the
  ticket-create sub-limit alone (``create_limited_minutes``) for comparison.
- ``read_strategies`` (with ``--strategies``): every ticket read once more per ``ticket_read``
  strategy (:class:`~cemigrate.adapters.freshdesk.source.TicketRead`): the credits the emulator
  charged (``X-RateLimit-Used-CurrentRequest``), **credits per ticket**, the strategy's bound in
  credits, what it lost against the account (comments, files, the descriptions' files) and the
  hours its credits take for 1,000,000 tickets on the plan's account budget.
- ``extrapolation``: 1,000,000 tickets on the plan, scaling each per-ticket term (fields, groups,
  memberships and agents stay): calls and hours at the bound and at the measured ratio.

    .venv/bin/python benchmarks/freshdesk_calls.py --tickets 2000
    .venv/bin/python benchmarks/freshdesk_calls.py --tickets 10000 --strategies
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.convert import OVERFLOW_PREFIX
from cemigrate.adapters.freshdesk.limits import FRESHDESK_PLANS
from cemigrate.adapters.freshdesk.source import FreshdeskSource, TicketRead
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.sla_history import SLA_NOTE_HEADING
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import Budgets, ManualClock, budgets_for
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.schema import Kind, Ticket

CORE = "freshdesk.core"
CREATE = "freshdesk.ticket_create"
UPDATE = "freshdesk.ticket_update"
TICKETS_LIST = "freshdesk.tickets_list"
CONTACTS_LIST = "freshdesk.contacts_list"
KEYS = (CORE, CREATE, UPDATE, TICKETS_LIST, CONTACTS_LIST)
EXTRAPOLATE_TO = 1_000_000
PAGE = 100
EMBEDDED_CONVERSATIONS = 10
"""A ticket view with ``include=conversations`` embeds ten conversations at most."""
LIVE_LIST_CREDITS = 3  # a ticket page with stats: 1 + 2 per include [API reference]
DELETED_LIST_CREDITS = 5  # a deleted-ticket page with description and stats


def pages(count: float, size: int = PAGE) -> int:
    """Pages a list of ``count`` records needs (an empty list still answers one page)."""
    return max(1, math.ceil(count / size))


_ID = re.compile(r"/\d+(?=/|$)")


def endpoint(method: str, path: str) -> str:
    """One name per endpoint, ids left out; replies and notes are both ``POST conversation``,
    every file download ``GET attachment``."""
    if path.startswith("/data/"):
        return "GET attachment"
    if method == "POST" and path.endswith(("/reply", "/notes")):
        return "POST conversation"
    return f"{method} {_ID.sub('/{id}', path)}"


def by_endpoint(sandbox: FreshdeskSandbox) -> dict[str, int]:
    """The emulator's request log grouped by :func:`endpoint`."""
    counts = Counter(endpoint(m, p) for m, p, _, _ in sandbox.freshdesk.requests)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def data_set(
    old: FreshdeskSandbox, new: FreshdeskSandbox, before: Mapping[str, int]
) -> dict[str, int]:
    """What the migration had to move, counted in both accounts afterwards (``before``: the
    target's own fields when it started)."""
    src, dst = old.backend, new.backend
    live = list(src.live_ticket_ids())
    conversations = {t: src.conversations(t) for t in live}
    files = sum(len(src.ticket_view(t).get("attachments") or ()) for t in live) + sum(
        len(c.get("attachments") or ()) for convs in conversations.values() for c in convs
    )
    contacts = list(src.contacts.values())
    created_contacts = [c for c in dst.contacts.values() if c.get("unique_external_id")]
    written = [c for t in dst.live_ticket_ids() for c in dst.conversations(t)]
    return {
        "tickets": len(src.ticket_keys),
        "live_tickets": len(live),
        "deleted_tickets": len(src.ticket_keys) - len(live),
        "conversations": sum(len(c) for c in conversations.values()),
        "tickets_over_ten_conversations": sum(
            pages(len(c)) for c in conversations.values() if len(c) >= EMBEDDED_CONVERSATIONS
        ),
        "conversation_pages": sum(pages(len(c)) for c in conversations.values()),
        "description_files": sum(len(src.ticket_view(t).get("attachments") or ()) for t in live),
        "files": files,
        "contacts": sum(1 for c in contacts if not c.get("blocked") and not c.get("deleted")),
        "blocked_contacts": sum(1 for c in contacts if c.get("blocked")),
        "deleted_contacts": sum(1 for c in contacts if c.get("deleted")),
        "companies": len(src.companies),
        "agents": len(src.agents),
        "groups": len(src.groups),
        "source_fields_ticket": len(src.fields["ticket"]),
        "source_fields_contact": len(src.fields["contact"]),
        "source_fields_company": len(src.fields["company"]),
        "target_agents": len(dst.agents),
        "target_fields_before_ticket": before["ticket"],
        "target_fields_before_contact": before["contact"],
        "target_fields_before_company": before["company"],
        "created_fields": sum(len(dst.fields[k]) - before[k] for k in before),
        "created_companies": len(dst.companies),
        "created_contacts": len(created_contacts),
        "created_groups": len(dst.groups),
        "groups_with_members": sum(1 for g in dst.groups.values() if g.get("agent_ids")),
        "created_tickets": sum(1 for _ in dst.live_ticket_ids()),
        "written_conversations": len(written),
        "sla_notes": sum(1 for c in written if SLA_NOTE_HEADING in str(c.get("body"))),
        "overflow_notes": sum(1 for c in written if OVERFLOW_PREFIX in str(c.get("body"))),
    }


PER_TICKET_COUNTS = frozenset(
    {
        "tickets",
        "live_tickets",
        "deleted_tickets",
        "conversations",
        "tickets_over_ten_conversations",
        "conversation_pages",
        "description_files",
        "files",
        "contacts",
        "blocked_contacts",
        "deleted_contacts",
        "companies",
        "created_companies",
        "created_contacts",
        "created_tickets",
        "written_conversations",
        "sla_notes",
        "overflow_notes",
    }
)
"""Counts that grow with the account (scaled per ticket in the extrapolation); fields, agents,
groups and memberships are the account's setup and stay as they are."""


def bound_terms(n: Mapping[str, float]) -> dict[str, int]:
    """The fewest calls each step needs for a data set, by side and endpoint name."""
    fields = ("ticket", "contact", "company")
    return {
        # the source: every list once, 100 a page; each live ticket viewed once (its
        # description's files) and its conversations listed, 100 a page (ticket_read = "view")
        "source GET /api/v2/tickets": pages(n["live_tickets"]) + pages(n["deleted_tickets"]),
        "source GET /api/v2/tickets/{id}": round(n["live_tickets"]),
        "source GET /api/v2/tickets/{id}/conversations": round(n["conversation_pages"]),
        "source GET attachment": round(n["files"]),
        "source GET /api/v2/contacts": sum(
            pages(n[k]) for k in ("contacts", "blocked_contacts", "deleted_contacts")
        ),
        "source GET /api/v2/companies": pages(n["companies"]),
        "source GET /api/v2/agents": pages(n["agents"]),
        "source GET /api/v2/roles": 1,
        "source GET /api/v2/groups": pages(n["groups"]),
        **{f"source GET /api/v2/{o}_fields": pages(n[f"source_fields_{o}"]) for o in fields},
        # the target: what is there (find-or-create by natural key), then one write per record
        **{f"target GET /api/v2/{o}_fields": pages(n[f"target_fields_before_{o}"]) for o in fields},
        "target GET /api/v2/agents": pages(n["target_agents"]),
        "target GET /api/v2/groups": 1,
        "target GET /api/v2/companies": 1,
        "target POST fields": round(n["created_fields"]),
        "target POST /api/v2/companies": round(n["created_companies"]),
        "target POST /api/v2/contacts": round(n["created_contacts"]),
        "target POST /api/v2/groups": round(n["created_groups"]),
        "target PUT /api/v2/groups/{id}": round(n["groups_with_members"]),
        "target POST /api/v2/tickets": round(n["created_tickets"]),
        "target POST conversation": round(n["written_conversations"]),
    }


def credits_needed(
    terms: Mapping[str, float], side: str, n: Mapping[str, float]
) -> dict[str, float]:
    """Credits per budget key of one account: a live-ticket page costs 3 (stats), a
    deleted-ticket page 5 (description and stats), both on the list sub-limit; any other
    call 1."""
    mine = {k.split(" ", 1)[1]: v for k, v in terms.items() if k.startswith(side + " ")}
    listed = 0.0
    if "GET /api/v2/tickets" in mine:
        listed = LIVE_LIST_CREDITS * pages(n["live_tickets"]) + DELETED_LIST_CREDITS * pages(
            n["deleted_tickets"]
        )
    return {
        CORE: sum(mine.values()) - mine.get("GET /api/v2/tickets", 0) + listed,
        CREATE: mine.get("POST /api/v2/tickets", 0),
        UPDATE: mine.get("PUT /api/v2/tickets/{id}", 0),
        TICKETS_LIST: listed,
        CONTACTS_LIST: mine.get("GET /api/v2/contacts", 0),
    }


STRATEGY_NOTES: Final = {
    TicketRead.VIEW: "list (stats) + view + conversations, 100 a page",
    TicketRead.EMBEDDED: "list (stats) + view with include=conversations (+ list when 10 came)",
    TicketRead.CONVERSATIONS: "list (description, stats) + conversations, 100 a page",
}


def strategy_bound(strategy: TicketRead, n: Mapping[str, float]) -> float:
    """The fewest credits Freshdesk allows for reading the tickets ``strategy``'s way: the
    list pages at their include credits, then per live ticket what the strategy must call
    (a ticket's conversations cannot be known empty without listing them)."""
    live_pages, deleted_pages = pages(n["live_tickets"]), pages(n["deleted_tickets"])
    fields = pages(n["source_fields_ticket"])
    if strategy is TicketRead.CONVERSATIONS:
        listed = DELETED_LIST_CREDITS * (live_pages + deleted_pages)
        return fields + listed + n["conversation_pages"]
    listed = LIVE_LIST_CREDITS * live_pages + DELETED_LIST_CREDITS * deleted_pages
    if strategy is TicketRead.VIEW:
        return fields + listed + n["live_tickets"] + n["conversation_pages"]
    return fields + listed + 2 * n["live_tickets"] + n["tickets_over_ten_conversations"]


def read_strategies(
    old: FreshdeskSandbox, plan: str, n: Mapping[str, float], tickets: int, clock: ManualClock
) -> dict[str, Any]:
    """Each :class:`TicketRead` strategy reads every ticket of ``old`` (kind ``ticket`` only,
    a source of its own, on the emulator's clock): the credits Freshdesk charged for it (the
    emulator's ``X-RateLimit-Used-CurrentRequest`` of each request, checked against the
    client's own count), per ticket, against :func:`strategy_bound`; and what it read against
    what the account holds (comments and files of live tickets; the description's files
    apart)."""
    found: dict[str, Any] = {}
    for strategy in TicketRead:
        source = FreshdeskSource(
            instance="old",
            base_url=old.base_url,
            credentials=FreshdeskCredentials(api_key=old.api_key),
            plan=plan,
            session=old.session(authenticated=False),
            clock=clock,
            ticket_read=strategy,
        )
        first = len(old.freshdesk.requests)
        wall = time.perf_counter()
        read = [
            record
            for batch in source.read(Kind.TICKET)
            for record in batch.records
            if isinstance(record, Ticket) and not record.deleted
        ]
        seconds = time.perf_counter() - wall
        charged = sum(c for *_, c in old.freshdesk.requests[first:])
        bound = strategy_bound(strategy, n)
        comments = sum(len(t.comments) for t in read)
        files = sum(len(c.attachments) for t in read for c in t.comments)
        description_files = sum(len(t.comments[0].attachments) for t in read if t.comments)
        lost = {
            "comments": round(n["live_tickets"] + n["conversations"]) - comments,
            "files": round(n["files"]) - files,
            "description_files": round(n["description_files"]) - description_files,
        }
        found[strategy.value] = {
            "how": STRATEGY_NOTES[strategy],
            "credits": charged,
            "credits_client": source.budgets[CORE].spent,
            "requests": len(old.freshdesk.requests) - first,
            "credits_per_ticket": round(charged / tickets, 3),
            "bound_credits": bound,
            "bound_credits_per_ticket": round(bound / tickets, 3),
            "ratio": round(charged / bound, 3),
            "lost": lost,
            "loses_nothing": not any(lost.values()),
            "hours_for_1m_tickets": round(
                budgets(plan).lower_bound({CORE: charged * EXTRAPOLATE_TO / tickets}) / 3600, 1
            ),
            "wall_s": round(seconds, 1),
        }
    return found


def budgets(plan: str) -> Budgets:
    return budgets_for(FRESHDESK_PLANS, plan, clock=ManualClock())


def bound_minutes(plan: str, by_side: Mapping[str, Mapping[str, float]]) -> float:
    """Max over both accounts' budgets (each account has its own) of (credits − burst) / rate."""
    limits = budgets(plan)
    return max(limits.lower_bound(credits) for credits in by_side.values()) / 60


def binding(plan: str, by_side: Mapping[str, Mapping[str, float]]) -> str:
    """The account and budget that set :func:`bound_minutes`."""
    limits = budgets(plan)
    return max(
        (limits.lower_bound({key: credits}), f"{side} {key}")
        for side, needed in by_side.items()
        for key, credits in needed.items()
    )[1]


def add_agents(new: FreshdeskSandbox, old: FreshdeskSandbox) -> None:
    """The source's agents exist in the target before a migration (paid seats)."""
    for agent in old.backend.agents.values():
        contact = agent.get("contact") or {}
        email = str(contact.get("email") or "").lower()
        if email and email != new.backend.owner_email:
            new.add_agent(name=str(contact.get("name") or email), email=email)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plan", default="enterprise")
    parser.add_argument(
        "--strategies",
        action="store_true",
        help="also read the tickets each ticket_read way: credits per ticket, what is lost",
    )
    args = parser.parse_args(argv)
    plan = args.plan

    clock = ManualClock()
    wall = time.perf_counter()
    old = FreshdeskSandbox(
        tickets=args.tickets,
        seed=args.seed,
        instance="old",
        plan=plan,
        clock=clock,
        domain="old.freshdesk.com",
    )
    new = FreshdeskSandbox(
        tickets=0, instance="new", plan=plan, clock=clock, empty=True, domain="new.freshdesk.com"
    )
    add_agents(new, old)
    fields_before = {k: len(v) for k, v in new.backend.fields.items()}
    setup_s = time.perf_counter() - wall
    credentials = FreshdeskCredentials(api_key=old.api_key)
    source = FreshdeskSource(
        instance="old",
        base_url=old.base_url,
        credentials=credentials,
        plan=plan,
        session=old.session(authenticated=False),
        clock=clock,
    )
    target = FreshdeskTarget(
        base_url=new.base_url,
        credentials=credentials,
        plan=plan,
        session=new.session(authenticated=False),
        clock=clock,
    )
    started, wall = clock.monotonic(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Ledger.open(Path(tmp) / "ledger.sqlite") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        report = migration.run()
        failures = len(ledger.failures())
        migration.close()
    run_s = time.perf_counter() - wall
    simulated = (clock.monotonic() - started) / 60

    sides = {"source": (source.budgets, old), "target": (target.budgets, new)}
    counted = {side: {k: b[k].calls for k in KEYS} for side, (b, _) in sides.items()}
    spent = {side: {k: b[k].spent for k in KEYS} for side, (b, _) in sides.items()}
    logged = {side: len(box.freshdesk.requests) for side, (_, box) in sides.items()}
    endpoints = {side: by_endpoint(box) for side, (_, box) in sides.items()}
    counts = data_set(old, new, fields_before)
    terms = bound_terms(counts)
    bound = {side: credits_needed(terms, side, counts) for side in sides}
    calls_total = sum(c[CORE] for c in counted.values())
    lower_bound = sum(terms.values())
    measured: dict[str, int] = {}
    for side, named in endpoints.items():
        for name, calls in named.items():
            if name.startswith("POST /api/v2/") and name.endswith("_fields"):
                name = "POST fields"
            measured[f"{side} {name}"] = measured.get(f"{side} {name}", 0) + calls
    excess = {
        k: measured.get(k, 0) - terms.get(k, 0)
        for k in set(measured) | set(terms)
        if measured.get(k, 0) != terms.get(k, 0)
    }

    scale = EXTRAPOLATE_TO / args.tickets
    scaled_counts = {k: v * scale if k in PER_TICKET_COUNTS else v for k, v in counts.items()}
    scaled = bound_terms(scaled_counts)
    at_bound = {side: credits_needed(scaled, side, scaled_counts) for side in sides}
    ratio_by_key = {
        side: {k: (spent[side][k] / bound[side][k] if bound[side][k] else 1.0) for k in KEYS}
        for side in sides
    }
    at_measured = {
        side: {k: v * ratio_by_key[side][k] for k, v in at_bound[side].items()} for side in sides
    }
    creates_1m = at_bound["target"][CREATE]

    result: dict[str, Any] = {
        "tickets": args.tickets,
        "plan": plan,
        "status": report.status,
        "failures": failures,
        "data_set": counts,
        "written": {kind: tally.as_dict() for kind, tally in report.kinds.items()},
        "calls_total": calls_total,
        "lower_bound": lower_bound,
        "ratio": round(calls_total / lower_bound, 3),
        "calls_per_ticket": round(calls_total / args.tickets, 3),
        "calls_per_ticket_by_side": {
            side: round(c[CORE] / args.tickets, 3) for side, c in counted.items()
        },
        "calls_by_budget": counted,
        "credits_by_budget": spent,
        "bound_credits_by_budget": bound,
        "requests_check": {
            "logged": logged,
            "throttled": {
                side: sum(1 for *_, s, _ in box.freshdesk.requests if s == 429)
                for side, (_, box) in sides.items()
            },
            "budgets_match_logs": all(logged[s] == counted[s][CORE] for s in sides),
        },
        "bound_breakdown": terms,
        "calls_by_endpoint": measured,
        "excess_by_endpoint": dict(sorted(excess.items(), key=lambda kv: -kv[1])),
        "minutes": round(simulated, 1),
        "lower_bound_minutes": round(bound_minutes(plan, bound), 1),
        "measured_calls_bound_minutes": round(bound_minutes(plan, spent), 1),
        "create_limited_minutes": round(
            budgets(plan).lower_bound({CREATE: bound["target"][CREATE]}) / 60, 1
        ),
        "binding_budget": binding(plan, bound),
        "extrapolation": {
            "tickets": EXTRAPOLATE_TO,
            "plan": plan,
            "credits_at_bound": {
                s: {k: round(v) for k, v in c.items()} for s, c in at_bound.items()
            },
            "hours_at_bound": round(bound_minutes(plan, at_bound) / 60, 1),
            "hours_at_measured_calls": round(bound_minutes(plan, at_measured) / 60, 1),
            "hours_if_only_ticket_creates_limited": round(
                budgets(plan).lower_bound({CREATE: creates_1m}) / 3600, 1
            ),
            "binding_budget": binding(plan, at_bound),
        },
        "wall_s": {"setup": round(setup_s, 1), "run": round(run_s, 1)},
    }
    if args.strategies:
        result["read_strategies"] = read_strategies(old, plan, counts, args.tickets, clock)
    print(json.dumps(result))
    return 0 if report.status == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
