"""Freshdesk tickets written several at once: each ticket's conversations follow its create in
order while other tickets' calls are in flight, and a run that dies with several tickets half
written resumes to exactly what a clean run writes (every conversation once, in order)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import requests

from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.memory import SimulatedCrash
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.testing.freshdesk import API_KEY, FreshdeskPair
from cemigrate.testing.pair import Faults

SEED = 11


class _Wire(requests.adapters.BaseAdapter):
    """The account's in-process adapter, watched: which tickets' calls overlap, and a death
    after ``die_after`` conversations (from then on nothing leaves the "process")."""

    def __init__(self, inner: requests.adapters.BaseAdapter, die_after: int | None) -> None:
        super().__init__()
        self.inner = inner
        self.die_after = die_after
        self.lock = threading.Condition()
        self.conversations = 0
        self.dead = False
        self.open_tickets: set[str] = set()
        self.most_tickets = 0
        self.order: dict[str, list[str]] = {}
        """Ticket id → its conversation calls in the order they were sent."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        path = (request.path_url or "").split("?")[0]
        parts = path.split("/")
        ticket = parts[4] if len(parts) > 5 and parts[3] == "tickets" else None
        with self.lock:
            if self.dead:
                raise SimulatedCrash("the process is gone")
            if request.method == "POST" and ticket is not None:
                self.conversations += 1
                if self.die_after is not None and self.conversations > self.die_after:
                    self.dead = True
                    raise SimulatedCrash("killed between two conversations")
                self.order.setdefault(ticket, []).append(parts[5])
            if ticket is not None:
                self.open_tickets.add(ticket)
                self.most_tickets = max(self.most_tickets, len(self.open_tickets))
                self.lock.notify_all()
                # Calls in process take no time: hold the first ticket call until another
                # ticket's call is on the wire too (or give up after a while), so the overlap
                # is shown, not left to the scheduler.
                if self.most_tickets < 2:
                    self.lock.wait_for(lambda: self.most_tickets >= 2, timeout=0.2)
        try:
            return self.inner.send(request, *args, **kwargs)
        finally:
            with self.lock:
                self.open_tickets.discard(ticket or "")
                self.lock.notify_all()

    def close(self) -> None:
        self.inner.close()


def _target(pair: FreshdeskPair, account: Any, clock: ManualClock, die_after: int | None) -> Any:
    session = account.session(authenticated=False)
    prefix = account.base_url.rstrip("/") + "/"
    wire = _Wire(session.get_adapter(prefix), die_after)
    session.mount(prefix, wire)
    target = FreshdeskTarget(
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=API_KEY),
        session=session,
        clock=clock,
    )
    return target, wire


def _migrate(source: Any, target: Any, ledger: Path, **options: Any) -> Any:
    with Ledger.open(ledger) as opened:
        return Migration(
            sources=[source], target=target, ledger=opened, progress=False, concurrency=4
        ).run(**options)


def test_a_run_killed_with_tickets_half_written_resumes_to_the_clean_target(
    tmp_path: Path,
) -> None:
    desk = generate(tickets=16, seed=SEED, instance="old")
    pair = FreshdeskPair(seed=SEED)
    clock = ManualClock()
    source = pair.make_source(desk, clock=clock, faults=Faults())

    clean_holder = pair.make_target(clock=clock, faults=Faults())
    clean_account = pair._accounts[id(clean_holder)][0]
    clean_target, clean_wire = _target(pair, clean_account, clock, None)
    assert _migrate(source, clean_target, tmp_path / "clean.sqlite").status == "completed"
    clean = pair.snapshot(clean_holder)
    assert clean_wire.most_tickets > 1  # several tickets' calls were on the wire at once
    assert sum(len(calls) for calls in clean_wire.order.values()) > 20

    holder = pair.make_target(clock=clock, faults=Faults())
    account = pair._accounts[id(holder)][0]
    dying, wire = _target(pair, account, clock, die_after=12)
    try:
        _migrate(source, dying, tmp_path / "l.sqlite")
    except SimulatedCrash:
        pass
    else:  # pragma: no cover - the test's own precondition
        raise AssertionError("the run did not die")
    assert wire.most_tickets > 1

    resumed, after = _target(pair, account, clock, None)
    report = _migrate(source, resumed, tmp_path / "l.sqlite", resume=True)
    assert report.status == "completed"
    # A ticket created before the death, some of its conversations written, got the rest
    # after the resume (same account, same ticket ids), not a second copy.
    finished_later = set(wire.order) & set(after.order)
    assert finished_later
    # Each ticket once, with every conversation once and in the source's order (the snapshot
    # digests each ticket's conversations as a list, read back through the API).
    assert pair.snapshot(holder) == clean
