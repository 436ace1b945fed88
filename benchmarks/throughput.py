"""→ each target at a real API's latency: calls a minute against the quota's ceiling.

Prints one JSON line per target. A generated N-ticket help desk (a :class:`MemorySource`: the
source costs nothing, so the target alone sets the pace) is migrated through
:class:`cemigrate.copier.Migration` into an empty emulated account served **over loopback with
``--latency`` seconds injected per request** (``cemigrate sandbox serve --latency``), on the real
clock: every budget wait and every Bulk poll is spent for real.

- ``calls``: requests the account answered, counted on the client's side of the wire under the
  budgets and retries (``status_429``: how many were 429s, ``share_429``); ``max_in_flight``:
  the most requests on the wire at once.
- ``steady``: the write phase without its first and last tenth of requests: ``calls_per_min``
  achieved, and per budget its rate against its ceiling (``limit / period``, per minute); the
  **binding** budget is the one closest to its ceiling, ``share`` = achieved / ceiling;
  ``paced``: the same once the binding budget's bucket ran dry (its burst spent: what a long
  migration sees), counted on the wire; none when the run is too short to empty it.
- ``before_tickets``: the calls before the first ticket is written (the setup, organizations,
  users), by request, and when the last of them was answered;
- ``bulk_jobs`` (Salesforce): Bulk API 2.0 ingest jobs and the seconds at least one was open,
  from its creation to its results read: wall time the org's processing sets, not the calls;
- ``drain_s``: from the last request that starts a ticket to the run's last request (a
  ticket with a thousand conversations is written one call at a time to the end);
- ``wall_s``: the whole migration; ``bound_s``: the fewest seconds its calls can take under the
  budgets (``Budgets.lower_bound``: a full bucket at once, the rest at the sustained rate);
  ``wall_vs_bound`` = ``wall_s / bound_s`` (goal ≤ 1.15; only meaningful when the calls are
  more than a full bucket).

    .venv/bin/python benchmarks/throughput.py --target freshdesk --tickets 400
    .venv/bin/python benchmarks/throughput.py --target zendesk --tickets 1000
    .venv/bin/python benchmarks/throughput.py --target salesforce --tickets 300
    .venv/bin/python benchmarks/throughput.py --target freshdesk --in-flight 1   # one at a time
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import requests.adapters

from cemigrate.adapters import Target
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.copier.inflight import AUTO
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import SystemClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.http import Latency
from cemigrate.sandbox.registry import EMULATORS
from cemigrate.schema import Kind

TARGETS = ("freshdesk", "zendesk", "salesforce")
TICKET_WRITES: dict[str, Callable[[str], bool]] = {
    # A ticket's create; its conversations follow it, one after another (their order is the
    # platform's), so after the last create only the longest tickets are left: the drain.
    "freshdesk": lambda what: what == "POST /api/v2/tickets",
    "zendesk": lambda what: what.startswith(("POST /api/v2/uploads", "POST /api/v2/imports")),
    "salesforce": lambda what: "/jobs/ingest" in what or "ContentVersion" in what,
}
"""The requests that start writing tickets, per target: the steady phase is between the first
and the last (without their first and last tenth); what comes after the last is the drain
(``drain_s``)."""


class Wire(requests.adapters.HTTPAdapter):
    """The client's side of the wire, under the budgets and retries: when each request was
    answered, with what status (429s included, which the retries hide from the adapter), and
    how many were on the wire at once."""

    def __init__(self) -> None:
        super().__init__(pool_maxsize=32)
        self.lock = threading.Lock()
        self.answered: list[tuple[float, int, str]] = []
        self.spans: list[tuple[float, float]] = []
        """(sent, answered) of every request, for the requests on the wire over time."""
        self.now = 0
        self.most = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        sent = time.perf_counter()
        status = 0
        try:
            response = super().send(request, *args, **kwargs)
            status = response.status_code
            return response
        finally:
            path = (request.path_url or "").split("?")[0]
            answered = time.perf_counter()
            with self.lock:
                self.now -= 1
                self.answered.append((answered, status, f"{request.method} {path}"))
                self.spans.append((sent, answered))


def wire_use(spans: list[tuple[float, float]], begin: float, end: float) -> dict[str, float]:
    """How the wire was used between ``begin`` and ``end``: requests on it on average, the
    share of the time nothing was, of the time one at most was (a lone ticket's calls, one
    after another), and the mean round trip (latency injected plus the
    emulator's own time plus the client's) of the requests answered in the window."""
    events: list[tuple[float, int]] = []
    for sent, answered in spans:
        if answered <= begin or sent >= end:
            continue
        events.append((max(sent, begin), 1))
        events.append((min(answered, end), -1))
    events.sort()
    busy_area = idle = alone = 0.0
    level, last = 0, begin
    for moment, step in events:
        busy_area += level * (moment - last)
        if level == 0:
            idle += moment - last
        if level <= 1:
            alone += moment - last
        level, last = level + step, moment
    idle += end - last if level == 0 else 0.0
    alone += end - last if level <= 1 else 0.0
    busy_area += level * (end - last)
    span = max(end - begin, 1e-9)
    trips = [answered - sent for sent, answered in spans if begin <= answered <= end]
    return {
        "mean_in_flight": round(busy_area / span, 2),
        "idle_share": round(idle / span, 3),
        "one_at_most_share": round(alone / span, 3),
        "mean_round_trip_s": round(sum(trips) / max(1, len(trips)), 3),
    }


def _serve_account(
    name: str, tickets: int, seed: int, latency: float, jitter: float, out: Any
) -> None:
    """In a process of its own, as a real API is: an empty account with a seat for each agent
    of the ``tickets``-ticket desk (a larger desk has more agents), served with the latency
    until the process is ended."""
    options: dict[str, Any] = {"licences": 200} if name == "salesforce" else {}
    account = EMULATORS[name](tickets=0, empty=True, instance="new", seed=seed, **options)
    account.add_seats(generate(tickets=tickets, seed=seed, instance="old"))
    server = account.serve(latency=Latency(seconds=latency, jitter=jitter, seed=seed))
    out.put((server.url, account.credentials()))
    server.wait()


class BudgetSampler:
    """The target's budget counters, read twice a second on a thread of its own."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.samples: list[tuple[float, dict[str, int]]] = []

        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            self.take()
            self.stop.wait(0.5)

    def take(self) -> None:
        counts = {key: budget.calls for key, budget in self.target.budgets.items()}
        self.samples.append((time.perf_counter(), counts))

    def at(self, moment: float) -> tuple[float, dict[str, int]]:
        """The sample nearest to ``moment``."""
        return min(self.samples, key=lambda sample: abs(sample[0] - moment))


def target_for(name: str, url: str, credentials: dict[str, str], wire: Wire) -> Target:
    """The platform's target for the account at ``url``, on the real clock, its requests
    going through ``wire``."""
    session = requests.Session()
    session.mount("http://", wire)
    clock = SystemClock()
    if name == "freshdesk":
        return FreshdeskTarget(
            base_url=url,
            credentials=FreshdeskCredentials(**credentials),
            plan="enterprise",
            session=session,
            clock=clock,
        )
    if name == "zendesk":
        return ZendeskTarget(
            base_url=url,
            credentials=ZendeskCredentials(**credentials),
            plan="enterprise",
            session=session,
            clock=clock,
        )
    return SalesforceTarget(
        instance_url=url,
        credentials=SalesforceCredentials(**credentials),
        licences=200,
        session=session,
        clock=clock,
    )


def measure(name: str, args: argparse.Namespace) -> dict[str, Any]:
    desk = generate(tickets=args.tickets, seed=args.seed, instance="old")
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance="old",
        blobs=desk.blob,
        page_size=100,
        clock=SystemClock(),
    )
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(
        target=_serve_account,
        args=(name, args.tickets, args.seed, args.latency, args.jitter, out),
    )
    child.start()
    recorder = Wire()
    try:
        url, credentials = out.get(timeout=120)
        target = target_for(name, url, credentials, recorder)
        sampler = BudgetSampler(target)
        sampler.thread.start()
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp, Ledger.open(Path(tmp) / "l.sqlite") as ledger:
            migration = Migration(
                sources=[source],
                target=target,
                ledger=ledger,
                progress=False,
                concurrency=args.in_flight,
            )
            report = migration.run()
            failures = len(ledger.failures())
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.thread.join()
        sampler.take()
    finally:
        child.terminate()
        child.join()
    answered = sorted(recorder.answered)
    statuses = Counter(status for _, status, _ in answered)
    # The write phase: from the first to the last request that writes tickets, without its
    # first and last tenth (the pipeline filling and draining).
    marks = [i for i, (_, _, what) in enumerate(answered) if TICKET_WRITES[name](what)]
    phase = answered[marks[0] : marks[-1] + 1] if marks else answered
    tenth = len(phase) // 10
    window = phase[tenth : len(phase) - tenth] if len(phase) > 20 else phase
    begin, end = window[0][0], window[-1][0]
    drain = answered[-1][0] - phase[-1][0] if phase else 0.0
    minutes = max(end - begin, 1e-9) / 60
    (t0, before), (t1, after) = sampler.at(begin), sampler.at(end)
    sampled_minutes = max(t1 - t0, 1e-9) / 60
    budgets = {}
    for key, budget in target.budgets.items():
        ceiling = budget.rate_per_second * 60
        rate = (after.get(key, 0) - before.get(key, 0)) / sampled_minutes
        budgets[key] = {
            "calls_per_min": round(rate, 1),
            "ceiling_per_min": round(ceiling, 1),
            "share": round(rate / ceiling, 3) if ceiling else None,
        }
    binding = max(budgets, key=lambda k: budgets[k]["share"] or 0.0)
    # Paced: the part of the window after the binding budget's bucket ran (nearly) dry: a
    # bucket of its capacity, refilled at its rate, spent one token a call answered, below a
    # tenth of its capacity. From there only the sustained rate counts.
    bucket = target.budgets[binding]
    tokens, last, dry = bucket.capacity, answered[0][0], None
    for moment, _, _ in answered:
        tokens = min(bucket.capacity, tokens + (moment - last) * bucket.rate_per_second) - 1
        last = moment
        if tokens < 0.1 * bucket.capacity:
            dry = moment
            break
    paced = None
    if dry is not None and dry < end - 10:
        start = max(dry, begin)
        inside = [t for t, _, _ in window if t >= start]
        rate = len(inside) / ((end - start) / 60)
        paced = {
            "seconds": round(end - start, 1),
            "calls_per_min": round(rate, 1),
            "share": round(rate / budgets[binding]["ceiling_per_min"], 3),
            **wire_use(recorder.spans, start, end),
        }
    calls_by_key = {key: float(budget.calls) for key, budget in target.budgets.items()}
    bound = target.budgets.lower_bound(calls_by_key)
    bulk = bulk_jobs(recorder.answered)
    # Before the first ticket: setup, organizations and users, by request (ids folded).
    before_tickets = answered[: marks[0]] if marks else []
    by_request = Counter(_folded(what) for _, _, what in before_tickets)
    return {
        "target": name,
        "tickets": args.tickets,
        "latency_s": args.latency,
        "jitter_s": args.jitter,
        "in_flight": args.in_flight or "auto",
        "status": report.status,
        "failures": failures,
        "calls": len(answered),
        "status_429": statuses.get(429, 0),
        "share_429": round(statuses.get(429, 0) / max(1, len(answered)), 4),
        "max_in_flight": recorder.most,
        "steady": {
            "calls": len(window),
            "calls_per_min": round(len(window) / minutes, 1),
            **wire_use(recorder.spans, begin, end),
            "binding_budget": binding,
            "share": budgets[binding]["share"],
            "budgets": budgets,
            "paced": paced,
        },
        "before_tickets": {
            "calls": len(before_tickets),
            "seconds": round(before_tickets[-1][0] - started, 1) if before_tickets else 0.0,
            "by_request": dict(by_request.most_common(10)),
        },
        "bulk_jobs": bulk,
        "drain_s": round(drain, 1),
        "wall_s": round(wall, 1),
        "bound_s": round(bound, 1),
        "wall_vs_bound": round(wall / bound, 3) if bound > 0 else None,
        "calls_by_budget": {k: int(v) for k, v in calls_by_key.items()},
    }


def bulk_jobs(answered: list[tuple[float, int, str]]) -> dict[str, Any] | None:
    """Salesforce's Bulk API 2.0 ingest jobs: how many, and the seconds during which at
    least one was open (from its first request naming it, its data's upload, to its results
    read), the part of the wall time the org's processing of the jobs sets, not the calls;
    None without any."""
    first: dict[str, float] = {}
    spans: list[tuple[float, float]] = []
    for moment, _, what in sorted(answered):
        found = re.search(r"/jobs/ingest/([^/]+)", what)
        if found is None:
            continue
        job = found.group(1)
        first.setdefault(job, moment)
        if what.startswith("GET") and what.endswith("/successfulResults/"):
            spans.append((first[job], moment))
    if not spans:
        return None
    covered, reach = 0.0, float("-inf")
    for begin, end in sorted(spans):
        covered += max(0.0, end - max(begin, reach))
        reach = max(reach, end)
    return {"jobs": len(spans), "open_s": round(covered, 1)}


def _folded(what: str) -> str:
    """A request with its ids replaced by ``{id}``: one line per endpoint."""
    return "/".join("{id}" if part.isdigit() else part for part in what.split("/"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--jitter", type=float, default=0.05)
    parser.add_argument(
        "--in-flight", type=int, default=AUTO, help="batches in flight (default: auto)"
    )
    args = parser.parse_args(argv)
    ok = True
    for name in TARGETS if args.target == "all" else (args.target,):
        result = measure(name, args)
        ok = ok and result["status"] == "completed"
        print(json.dumps(result), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
