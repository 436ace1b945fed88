"""A live source: while ``cemigrate run`` is SIGKILLed and resumed several times, an agent
keeps working in the *source* help desk through its HTTP API (new customers writing in, new
comments, tickets deleted); after a final ``--delta`` the target holds every live source
ticket once, with its comments, read back through the target's own API.

A ticket deleted in the source after it was migrated stays in the target: the delta records
it as skipped under the target's ``deleted-in-source`` policy (the ledger keeps its target
id); a migration never deletes in the target (docs/concepts.md, "Late references").
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import requests

from cemigrate.adapters.freshdesk.convert import OVERFLOW_PREFIX
from cemigrate.adapters.freshdesk.source import EPOCH
from cemigrate.adapters.zendesk.convert import ATTACHMENT_ONLY_BODY, EMPTY_BODY, SLA_NOTE_HEADING
from cemigrate.ledger import EntryState, Ledger
from cemigrate.sandbox.freshdesk import serve_freshdesk
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.testing.freshdesk import raise_limits
from cemigrate.testing.kill import (
    ZENDESK_EMAIL,
    ZENDESK_ENV,
    ZENDESK_TOKEN,
    ShiftedClock,
    run_copier,
    zendesk_source_account,
    zendesk_source_plan,
    zendesk_target_account,
    zendesk_target_plan,
)

Comments = list[tuple[str, bool]]
"""A ticket's comments as (plain body, public), in order."""


def zendesk_session() -> requests.Session:
    session = requests.Session()
    session.auth = (f"{ZENDESK_EMAIL}/token", ZENDESK_TOKEN)
    return session


def zendesk_tickets(session: requests.Session, url: str) -> list[dict[str, Any]]:
    """Every ticket of the account, deleted ones too (``status: deleted``), from its
    incremental ticket export."""
    tickets: list[dict[str, Any]] = []
    params: dict[str, Any] = {"start_time": 0, "per_page": 1000}
    while True:
        answer = session.get(f"{url}/api/v2/incremental/tickets/cursor.json", params=params)
        answer.raise_for_status()
        body = answer.json()
        tickets.extend(body["tickets"])
        if body["end_of_stream"]:
            return tickets
        params = {"cursor": body["after_cursor"], "per_page": 1000}


_IMAGE_MARKER = re.compile(r"\[image: [^\]]+\]")
"""What stands in a migrated body where the source showed an inline image."""


def zendesk_comments(session: requests.Session, url: str, ticket_id: int) -> Comments:
    """A ticket's comments from ``/tickets/{id}/comments``, SLA notes left out."""
    comments: Comments = []
    next_url: str | None = f"{url}/api/v2/tickets/{ticket_id}/comments.json?page[size]=100"
    while next_url:
        answer = session.get(next_url)
        answer.raise_for_status()
        body = answer.json()
        comments.extend(
            (c["plain_body"], c["public"])
            for c in body["comments"]
            if not c["plain_body"].startswith(SLA_NOTE_HEADING)
        )
        next_url = body["links"]["next"] if body["meta"]["has_more"] else None
    return comments


class Agent:
    """Works in the source account over HTTP until stopped, as a help desk's people do: new
    customers write in (a ticket whose requester is new), known ones write again, agents
    answer open tickets, and some tickets are deleted."""

    def __init__(self, url: str, seed: int, *, limit: int = 200) -> None:
        self.url = url
        self.session = zendesk_session()
        self.random = random.Random(seed)
        self.limit = limit
        self.stop = threading.Event()
        self.done = 0
        self.errors: list[str] = []
        self.open: list[int] = []
        self.known_users: list[int] = []
        self.thread = threading.Thread(target=self._work, name="source-agent", daemon=True)

    def __enter__(self) -> Agent:
        tickets = zendesk_tickets(self.session, self.url)
        self.open = [t["id"] for t in tickets if t["status"] in ("new", "open", "pending")]
        self.known_users = sorted({t["requester_id"] for t in tickets if t["requester_id"]})
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)

    def _work(self) -> None:
        actions: list[Callable[[], None]] = [
            self._new_customer_writes_in,
            self._known_customer_writes_in,
            self._agent_answers,
            self._agent_answers,
            self._ticket_deleted,
        ]
        # Paced by the event, not by a clock: the copier runs meanwhile in other processes.
        while self.done < self.limit and not self.stop.wait(0.15):
            try:
                self.random.choice(actions)()
            except requests.RequestException as exc:  # pragma: no cover - reported below
                self.errors.append(str(exc))
            self.done += 1

    def _import(self, ticket: dict[str, Any]) -> None:
        answer = self.session.post(
            f"{self.url}/api/v2/imports/tickets.json", json={"ticket": ticket}
        )
        answer.raise_for_status()
        self.open.append(answer.json()["ticket"]["id"])

    def _new_customer_writes_in(self) -> None:
        number = self.done
        self._import(
            {
                "subject": f"Live question {number}",
                "status": "open",
                "requester": {"name": f"Live Customer {number}", "email": f"live{number}@x.test"},
                "comments": [{"body": f"First words of live ticket {number}", "public": True}],
            }
        )

    def _known_customer_writes_in(self) -> None:
        requester = self.random.choice(self.known_users)
        self._import(
            {
                "subject": f"Again {self.done}",
                "status": "open",
                "requester_id": requester,
                "comments": [{"body": f"Writing again ({self.done})", "public": True}],
            }
        )

    def _agent_answers(self) -> None:
        if not self.open:
            return
        ticket = self.random.choice(self.open)
        answer = self.session.put(
            f"{self.url}/api/v2/tickets/{ticket}.json",
            json={
                "ticket": {
                    "comment": {
                        "body": f"Answer {self.done} on {ticket}",
                        "public": self.random.random() < 0.7,
                    }
                }
            },
        )
        if answer.status_code == 404:  # deleted meanwhile
            self.open.remove(ticket)
            return
        answer.raise_for_status()

    def delete_some_of(self, migrated: set[int], count: int) -> list[int]:
        """Delete ``count`` of these tickets (ones already in the target) in the source."""
        chosen = self.random.sample(sorted(migrated), count)
        for ticket in chosen:
            answer = self.session.delete(f"{self.url}/api/v2/tickets/{ticket}.json")
            if answer.status_code != 404:
                answer.raise_for_status()
            if ticket in self.open:
                self.open.remove(ticket)
        return chosen

    def _ticket_deleted(self) -> None:
        if not self.open:
            return
        ticket = self.open.pop(self.random.randrange(len(self.open)))
        answer = self.session.delete(f"{self.url}/api/v2/tickets/{ticket}.json")
        if answer.status_code != 404:
            answer.raise_for_status()


def failures(folder: Path) -> str:
    """The ledger's failure rows, one a line (what a failed run's exit 1 is about)."""
    with Ledger.open(folder / "ledger.sqlite") as ledger:
        return "\n".join(f"{f.key}: {f.reason} ({f.platform_message})" for f in ledger.failures())


@attrs.frozen
class LiveTarget:
    """A target account served on loopback, read back through its own API."""

    table: str
    """The plan's ``[target]`` table."""
    env: dict[str, str]
    migrated: Callable[[], set[int]]
    """Source ids of the tickets the target holds now (to choose some to delete)."""
    tickets: Callable[[], dict[str, Comments]]
    """Source key → the comments of every live ticket the target holds (raises on a key held
    twice), read through the target's API."""
    later_comments: bool
    """The target keeps a ticket's first comment as the ticket itself (Freshdesk's
    description): the list holds the comments after it."""
    bodies: bool = True
    """The bodies read back are the source's (Freshdesk's carry a first line of their own:
    only the order and the visibility are compared)."""


def live_run(
    tmp_path: Path, clock: ShiftedClock, source_url: str, target: LiveTarget
) -> tuple[Agent, list[int]]:
    """Run, kill and resume the migration while an agent works in the source, delete a few
    migrated tickets between runs, then freeze the source and run the final ``--delta``:
    the agent, and the tickets deleted after they were migrated."""
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'ledger = "ledger.sqlite"\n' + zendesk_source_plan(source_url) + target.table,
        encoding="utf-8",
    )
    kills = [("user: wrote a batch", 1), ("ticket: wrote a batch", 1), ("ticket: wrote a batch", 2)]
    gone_after_migration: list[int] = []
    with Agent(source_url, seed=16) as agent:
        for number, (text, nth) in enumerate(kills):
            code, log = run_copier(
                plan, env=target.env, resume=number > 0, kill_at=(text, nth, 0.0)
            )
            assert code < 0, f"the run ended before it was killed:\n{log}"
            clock.ahead += 40  # part of what the agent did becomes exportable
            # Some tickets already migrated are deleted in the source.
            migrated = target.migrated() - set(gone_after_migration)
            gone_after_migration += agent.delete_some_of(migrated, min(2, len(migrated)))
        code, log = run_copier(plan, env=target.env, resume=True, kill_at=None)
        assert code == 0, failures(tmp_path) or log
    assert agent.errors == []
    assert agent.done >= 20, "the agent did too little while the run went on"
    # Cutover: the source is frozen, a minute passes, the final delta carries the rest.
    clock.ahead += 120
    code, log = run_copier(plan, env=target.env, resume=False, kill_at=None, delta=True)
    assert code == 0, failures(tmp_path) or log
    clock.ahead += 120  # later: a target's own export serves what the delta wrote
    return agent, gone_after_migration


def check_equal(
    tmp_path: Path, source_url: str, target: LiveTarget, gone_after_migration: list[int]
) -> None:
    """Every live source ticket once in the target with its comments; beyond them only
    tickets deleted after they were migrated, each skipped in the ledger by the target's
    policy; no failure row."""
    session = zendesk_session()
    source = zendesk_tickets(session, source_url)
    live = {t["id"] for t in source if t["status"] != "deleted"}
    deleted = {t["id"] for t in source if t["status"] == "deleted"}
    held = target.tickets()
    missing = {i for i in live if f"exchange:ticket:{i}" not in held}
    assert missing == set(), f"live source tickets missing from the target: {sorted(missing)}"
    extra = {k for k in held if int(k.rsplit(":", 1)[1]) not in live}
    assert {int(k.rsplit(":", 1)[1]) for k in extra} <= deleted
    assert {f"exchange:ticket:{i}" for i in gone_after_migration} <= extra
    assert gone_after_migration, "no migrated ticket was deleted: the case is not tested"
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        entries = ledger.lookup(sorted(extra))
        odd = {
            key: (entry.state, entry.target_id)
            for key, entry in entries.items()
            if entry.state is not EntryState.SKIPPED or not entry.target_id
        }
        assert odd == {}, "a ticket in the target that the ledger does not account for"
        assert len(entries) == len(extra)
        assert ledger.failures() == []
    blank = (ATTACHMENT_ONLY_BODY, EMPTY_BODY)  # what a target writes for a comment without text
    for ticket_id in sorted(live):
        want = zendesk_comments(session, source_url, ticket_id)
        if target.later_comments:
            want = want[1:]
        got = held[f"exchange:ticket:{ticket_id}"]
        assert [public for _, public in got] == [public for _, public in want], ticket_id
        if target.bodies:  # an inline image became a marker naming it (the file is attached)
            shown = [_IMAGE_MARKER.sub("", b) if b not in blank else "" for b, _ in got]
            assert shown == [b for b, _ in want], ticket_id


@pytest.fixture
def source() -> Iterator[tuple[ShiftedClock, ZendeskSandbox, Any]]:
    """The Zendesk account the agent works in, served on loopback (instance ``exchange``)."""
    clock = ShiftedClock()
    old = zendesk_source_account(clock, tickets=400, seed=8)
    clock.ahead = 120  # the seeded history is exportable; what the agent does is not, yet
    with old.serve() as server:
        yield clock, old, server


@pytest.mark.slow
def test_a_live_zendesk_source_killed_and_resumed_ends_equal_in_zendesk_after_a_delta(
    tmp_path: Path, source: tuple[ShiftedClock, ZendeskSandbox, Any]
) -> None:
    clock, _, old_server = source
    new = zendesk_target_account(clock, seed=8)
    with new.serve() as new_server:
        session = zendesk_session()

        def migrated() -> set[int]:
            return {
                int(t["external_id"].rsplit(":", 1)[1])
                for t in list(new.backend.tickets.values())
                if t["external_id"]
            }

        def tickets() -> dict[str, Comments]:
            held = [t for t in zendesk_tickets(session, new_server.url) if t["status"] != "deleted"]
            keys = [t["external_id"] for t in held]
            assert len(keys) == len(set(keys)), "a ticket is in the target twice"
            return {
                t["external_id"]: zendesk_comments(session, new_server.url, t["id"]) for t in held
            }

        target = LiveTarget(
            table=zendesk_target_plan(new_server.url),
            env=ZENDESK_ENV,
            migrated=migrated,
            tickets=tickets,
            later_comments=False,
        )
        _, gone = live_run(tmp_path, clock, old_server.url, target)
        check_equal(tmp_path, old_server.url, target, gone)


FRESHDESK_TARGET = """
[target]
platform = "freshdesk"
base_url = "{}"
plan = "purchased_2000"
api_key_env = "LIVE_TEST_FD_KEY"
"""


def freshdesk_all(session: requests.Session, url: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a Freshdesk list, page after page (100 a page)."""
    page = 1
    while True:
        answer = session.get(url, params={**params, "per_page": 100, "page": page})
        answer.raise_for_status()
        items = answer.json()
        yield from items
        if len(items) < 100:
            return
        page += 1


@pytest.mark.slow
def test_a_live_zendesk_source_killed_and_resumed_ends_equal_in_freshdesk_after_a_delta(
    tmp_path: Path, source: tuple[ShiftedClock, ZendeskSandbox, Any]
) -> None:
    clock, old, old_server = source
    new, new_server = serve_freshdesk(
        port=0, tickets=0, seed=8, instance="new", empty=True, plan="purchased_2000", api_key="k"
    )
    raise_limits(new, 60_000)  # the run needs no waits on a real clock
    new.add_seats(old.backend.desk)  # agents (paid seats) and ticket types exist before
    with new_server:
        session = requests.Session()
        session.auth = ("k", "X")
        api = f"{new_server.url}/api/v2"

        def key_of(ticket: dict[str, Any]) -> str:
            fields = ticket.get("custom_fields") or {}
            return str(next(v for k, v in fields.items() if "cemigrate_id" in k))

        def migrated() -> set[int]:
            return {
                int(key_of(new.backend.ticket(tid)).rsplit(":", 1)[1])
                for tid in list(new.backend.live_ticket_ids())
            }

        def tickets() -> dict[str, Comments]:
            held = list(freshdesk_all(session, f"{api}/tickets", updated_since=EPOCH))
            keys = [key_of(t) for t in held]
            assert len(keys) == len(set(keys)), "a ticket is in the target twice"
            return {
                key_of(t): [
                    ("", not c["private"])
                    for c in freshdesk_all(session, f"{api}/tickets/{t['id']}/conversations")
                    if SLA_NOTE_HEADING not in c["body"] and OVERFLOW_PREFIX not in c["body"]
                ]
                for t in held
            }

        target = LiveTarget(
            table=FRESHDESK_TARGET.format(new_server.url),
            env={**ZENDESK_ENV, "LIVE_TEST_FD_KEY": "k"},
            migrated=migrated,
            tickets=tickets,
            later_comments=True,
            bodies=False,
        )
        _, gone = live_run(tmp_path, clock, old_server.url, target)
        check_equal(tmp_path, old_server.url, target, gone)
