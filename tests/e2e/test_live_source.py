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
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from cemigrate.adapters.zendesk.convert import ATTACHMENT_ONLY_BODY, EMPTY_BODY, SLA_NOTE_HEADING
from cemigrate.ledger import EntryState, Ledger
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.testing.kill import (
    ZENDESK_EMAIL,
    ZENDESK_ENV,
    ZENDESK_TOKEN,
    ShiftedClock,
    run_copier,
    zendesk_source_account,
    zendesk_source_plan,
)

ZENDESK_TARGET = """
[target]
platform = "zendesk"
base_url = "{}"
plan = "enterprise_plus"
high_volume = true
email_env = "KILL_TEST_EMAIL"
token_env = "KILL_TEST_TOKEN"
"""

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


@pytest.fixture
def zendesk_pair() -> Iterator[tuple[ShiftedClock, ZendeskSandbox, Any, ZendeskSandbox, Any]]:
    clock = ShiftedClock()
    old = zendesk_source_account(clock, tickets=400, seed=8)
    new = ZendeskSandbox(
        tickets=0,
        seed=8,
        instance="new",
        subdomain="new",
        empty=True,
        plan="enterprise_plus",
        high_volume=True,
        clock=clock,
    )
    clock.ahead = 120  # the seeded history is exportable; what the agent does is not, yet
    with old.serve() as old_server, new.serve() as new_server:
        yield clock, old, old_server, new, new_server


@pytest.mark.slow
def test_a_source_that_changes_while_the_run_is_killed_and_resumed_ends_equal_after_a_delta(
    tmp_path: Path,
    zendesk_pair: tuple[ShiftedClock, ZendeskSandbox, Any, ZendeskSandbox, Any],
) -> None:
    clock, _, old_server, new, new_server = zendesk_pair
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'ledger = "ledger.sqlite"\n'
        + zendesk_source_plan(old_server.url)
        + ZENDESK_TARGET.format(new_server.url),
        encoding="utf-8",
    )
    kills = [("user: wrote a batch", 1), ("ticket: wrote a batch", 1), ("ticket: wrote a batch", 2)]
    gone_after_migration: list[int] = []
    with Agent(old_server.url, seed=16) as agent:
        for number, (text, nth) in enumerate(kills):
            code, log = run_copier(
                plan, env=ZENDESK_ENV, resume=number > 0, kill_at=(text, nth, 0.0)
            )
            assert code < 0, f"the run ended before it was killed:\n{log}"
            clock.ahead += 40  # part of what the agent did becomes exportable
            # Some tickets already migrated are deleted in the source.
            migrated = {
                int(t["external_id"].rsplit(":", 1)[1])
                for t in list(new.backend.tickets.values())
                if t["external_id"]
            } - set(gone_after_migration)
            gone_after_migration += agent.delete_some_of(migrated, min(2, len(migrated)))
        code, log = run_copier(plan, env=ZENDESK_ENV, resume=True, kill_at=None)
        assert code == 0, failures(tmp_path) or log
    assert agent.errors == []
    assert agent.done >= 20, "the agent did too little while the run went on"
    # Cutover: the source is frozen, a minute passes, the final delta carries the rest.
    clock.ahead += 120
    code, log = run_copier(plan, env=ZENDESK_ENV, resume=False, kill_at=None, delta=True)
    assert code == 0, failures(tmp_path) or log

    clock.ahead += 120  # later: the target's own export serves what the delta wrote
    session = zendesk_session()
    source = zendesk_tickets(session, old_server.url)
    live = {t["id"] for t in source if t["status"] != "deleted"}
    deleted = {t["id"] for t in source if t["status"] == "deleted"}
    target = [t for t in zendesk_tickets(session, new_server.url) if t["status"] != "deleted"]
    keys = [t["external_id"] for t in target]
    assert len(keys) == len(set(keys)), "a ticket is in the target twice"
    by_key = {t["external_id"]: t["id"] for t in target}
    missing = {i for i in live if f"exchange:ticket:{i}" not in by_key}
    assert missing == set(), f"live source tickets missing from the target: {sorted(missing)}"
    extra = {k for k in by_key if int(k.rsplit(":", 1)[1]) not in live}
    # What is in the target beyond the live tickets: tickets deleted after they were migrated,
    # each recorded as skipped under the target's policy.
    assert {int(k.rsplit(":", 1)[1]) for k in extra} <= deleted
    assert {f"exchange:ticket:{i}" for i in gone_after_migration} <= extra
    assert gone_after_migration, "no migrated ticket was deleted: the case is not tested"
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        entries = ledger.lookup(sorted(extra))
        assert all(e.state is EntryState.SKIPPED and e.target_id for e in entries.values())
        assert len(entries) == len(extra)
        assert ledger.failures() == []
    for ticket_id in sorted(live):
        want = zendesk_comments(session, old_server.url, ticket_id)
        got = zendesk_comments(session, new_server.url, by_key[f"exchange:ticket:{ticket_id}"])
        assert [public for _, public in got] == [public for _, public in want], ticket_id
        # Zendesk takes no blank comment: one without text says so.
        blank = (ATTACHMENT_ONLY_BODY, EMPTY_BODY)
        assert [b if b not in blank else "" for b, _ in got] == [b for b, _ in want], ticket_id
