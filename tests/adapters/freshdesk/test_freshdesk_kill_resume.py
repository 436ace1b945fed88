"""SIGKILL the copier at several moments of a 2,000-ticket Zendesk → Freshdesk migration against
emulators served on loopback (they outlive it, as real accounts do), resume, and find every
record in the Freshdesk account once.

Freshdesk writes a ticket as several calls (the create, then each conversation), so a kill can
leave a ticket created with only some of its conversations: the resumed run finds it by the
filter search on ``cemigrate_id`` and writes only the conversations it lacks.
"""

from __future__ import annotations

import random
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.freshdesk.convert import OVERFLOW_PREFIX
from cemigrate.adapters.sla_history import SLA_NOTE_HEADING
from cemigrate.ledger import Ledger
from cemigrate.sandbox.freshdesk import FreshdeskSandbox, serve_freshdesk
from cemigrate.sandbox.freshdesk.urls import CreditBucket, PlanLimits
from cemigrate.sandbox.http import SandboxServer
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Role
from cemigrate.testing.kill import ShiftedClock, run_copier

TICKETS = 2000
SEED = 5
EMAIL, TOKEN, API_KEY = "admin@demo.example", "sandbox-token", "kill-test-key"
ENV = {"KILL_TEST_EMAIL": EMAIL, "KILL_TEST_TOKEN": TOKEN, "KILL_TEST_FD_KEY": API_KEY}
SUB_LIMITS = ("ticket_create", "ticket_update", "tickets_list", "contacts_list")


def raise_limits(account: FreshdeskSandbox, per_minute: int) -> None:
    """An account with a larger purchased limit than the presets know: the emulator allows
    ``per_minute`` credits, and says so in ``X-Ratelimit-Total``, which the copier's account
    budget adopts. The copier's own ticket-create sub-limit stays the plan's (800 a minute,
    a full minute's worth at each start), so each run below creates fewer tickets than that."""
    app = account.freshdesk
    clock = account.clock
    app.plan = PlanLimits(per_minute, per_minute, per_minute, per_minute, per_minute)
    app.account = CreditBucket(per_minute, clock)
    app.sub_limits = {name: CreditBucket(per_minute, clock) for name in SUB_LIMITS}


@pytest.fixture(scope="module")
def accounts() -> Iterator[tuple[ZendeskSandbox, FreshdeskSandbox, SandboxServer, SandboxServer]]:
    # Enterprise Plus with High Volume on the Zendesk side: the read needs no real waits.
    old = ZendeskSandbox(
        tickets=TICKETS,
        seed=SEED,
        instance="exchange",
        subdomain="old",
        plan="enterprise_plus",
        high_volume=True,
        clock=(clock := ShiftedClock()),
    )
    clock.ahead = 120.0
    new, new_server = serve_freshdesk(
        port=0,
        tickets=0,
        seed=SEED,
        instance="new",
        empty=True,
        plan="purchased_2000",
        api_key=API_KEY,
    )
    raise_limits(new, 60_000)
    seen: set[str] = set()
    for person in old.backend.desk.users:
        email = (person.email or "").lower()
        if person.role is not Role.END_USER and email and email not in seen:
            seen.add(email)  # agents are paid seats: they exist before a migration
            new.add_agent(name=person.name, email=email, admin=person.role is Role.ADMIN)
    with old.serve() as old_server, new_server:
        yield old, new, old_server, new_server


def write_plan(folder: Path, source_url: str, target_url: str) -> Path:
    plan = folder / "plan.toml"
    plan.write_text(
        f"""ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "zendesk"
base_url = "{source_url}"
plan = "enterprise_plus"
high_volume = true
sla_events = false  # 100 events a page at 30 export calls a minute: minutes on a real clock
email_env = "KILL_TEST_EMAIL"
token_env = "KILL_TEST_TOKEN"

[target]
platform = "freshdesk"
base_url = "{target_url}"
plan = "purchased_2000"
api_key_env = "KILL_TEST_FD_KEY"
""",
        encoding="utf-8",
    )
    return plan


def _kind(conversation: dict[str, Any]) -> str:
    body = str(conversation.get("body") or "")
    if SLA_NOTE_HEADING in body:
        return "sla"
    if OVERFLOW_PREFIX in body:
        return "overflow"
    return "comment"


@pytest.mark.slow
def test_sigkill_at_several_moments_then_resume_leaves_every_record_once(
    accounts: tuple[ZendeskSandbox, FreshdeskSandbox, SandboxServer, SandboxServer],
    tmp_path: Path,
) -> None:
    old, new, old_server, new_server = accounts
    plan = write_plan(tmp_path, old_server.url, new_server.url)
    moments = random.Random(20261124)
    kills = [
        ("user: wrote a batch", moments.randint(1, 6), 0.0),
        # Between tickets, and inside one: created with only some of its conversations.
        ("ticket: wrote a batch", moments.randint(300, 500), 0.0),
        ("ticket: wrote a batch", moments.randint(300, 500), moments.uniform(0.002, 0.02)),
        ("ticket: wrote a batch", moments.randint(300, 500), moments.uniform(0.002, 0.02)),
    ]
    for number, kill_after in enumerate(kills):
        code, tail = run_copier(plan, env=ENV, resume=number > 0, kill_at=kill_after)
        assert code == -signal.SIGKILL, f"run {number} ended ({code}) before it was killed:\n{tail}"
    code, tail = run_copier(plan, env=ENV, resume=True, kill_at=None)
    assert code == 0, tail

    backend = new.backend
    live = {t.id: t for t in old.backend.desk.tickets if not t.deleted}
    field = next(
        f["name"] for f in backend.fields["ticket"].values() if "cemigrate_id" in f["name"]
    )
    tickets = {tid: backend.ticket(tid) for tid in backend.live_ticket_ids()}
    by_key = Counter(str((t.get("custom_fields") or {}).get(field)) for t in tickets.values())
    assert [k for k, n in by_key.items() if n > 1] == [], "a ticket was created twice"
    assert set(by_key) == {f"exchange:ticket:{i}" for i in live}
    ticket_of = {
        tid: str(t["custom_fields"][field]).rsplit(":", 1)[1] for tid, t in tickets.items()
    }
    # Every later comment once, in order of visibility; one SLA note at most per ticket.
    files: Counter[tuple[str, int]] = Counter()
    for tid, data in tickets.items():
        source = live[ticket_of[tid]]
        held = backend.conversations(tid)
        kinds = Counter(_kind(c) for c in held)
        comments = [c for c in held if _kind(c) == "comment"]
        assert len(comments) == len(source.comments) - 1, source.id
        assert [bool(c["private"]) for c in comments] == [
            not c.public for c in source.comments[1:]
        ], source.id
        assert kinds["sla"] <= 1, source.id
        for item in [data, *held]:
            files.update(
                (str(a["name"]), int(a["file_size"])) for a in item.get("attachments") or ()
            )
    expected = Counter(
        (a.file_name, a.size) for t in live.values() for c in t.comments for a in c.attachments
    )
    assert files == expected, "a file is missing or was written twice"
    externals = [
        c["unique_external_id"] for c in backend.contacts.values() if c.get("unique_external_id")
    ]
    assert len(externals) == len(set(externals)), "a contact was created twice"
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        counts = ledger.counts()
        assert all(c["pending"] == 0 and c["failed"] == 0 for c in counts.values()), counts
        assert len(ledger.runs()) == len(kills) + 1
        ledger.verify_journal()
