"""SIGKILL the copier at random moments of a Zendesk → Zendesk migration against emulators
served on loopback (they outlive it, as real accounts do), resume, and find every record once."""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cemigrate.adapters.zendesk.convert import SLA_NOTE_HEADING
from cemigrate.ledger import Ledger
from cemigrate.sandbox.http import SandboxServer
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.testing.kill import ShiftedClock, run_copier

TICKETS = 2000
EMAIL, TOKEN = "admin@demo.example", "sandbox-token"
ENV = {"KILL_TEST_EMAIL": EMAIL, "KILL_TEST_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def accounts() -> Iterator[tuple[ZendeskSandbox, ZendeskSandbox, SandboxServer, SandboxServer]]:
    # Enterprise Plus with High Volume: the run needs no rate-limit waits on a real clock.
    clock = ShiftedClock()
    options = {"plan": "enterprise_plus", "high_volume": True, "clock": clock}
    old = ZendeskSandbox(tickets=TICKETS, seed=5, instance="exchange", subdomain="old", **options)
    new = ZendeskSandbox(tickets=0, seed=5, instance="new", subdomain="new", empty=True, **options)
    clock.ahead = 120  # two minutes pass at once: every seeded record is exportable
    with old.serve() as old_server, new.serve() as new_server:
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
platform = "zendesk"
base_url = "{target_url}"
plan = "enterprise_plus"
high_volume = true
email_env = "KILL_TEST_EMAIL"
token_env = "KILL_TEST_TOKEN"
""",
        encoding="utf-8",
    )
    return plan


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_leaves_every_record_once(
    accounts: tuple[ZendeskSandbox, ZendeskSandbox, SandboxServer, SandboxServer],
    tmp_path: Path,
) -> None:
    old, new, old_server, new_server = accounts
    plan = write_plan(tmp_path, old_server.url, new_server.url)
    moments = random.Random(20261122)
    kills = [
        ("user", moments.randint(1, 8)),
        *(("ticket", moments.randint(1, 6)) for _ in range(3)),
    ]
    for number, (kind, batch) in enumerate(kills):
        at = (f"{kind}: wrote a batch", batch, 0.0)
        code, tail = run_copier(plan, env=ENV, resume=number > 0, kill_at=at)
        assert code == -signal.SIGKILL, f"run {number} ended ({code}) before it was killed:\n{tail}"
    code, tail = run_copier(plan, env=ENV, resume=True, kill_at=None)
    assert code == 0, tail

    live = {t.id: t for t in old.backend.desk.tickets if not t.deleted}
    imported = {t["external_id"]: tid for tid, t in new.backend.tickets.items()}
    assert len(imported) == len(new.backend.tickets), "a ticket was imported twice"
    assert set(imported) == {f"exchange:ticket:{i}" for i in live}
    for source_id, ticket in live.items():
        comments = new.backend.comments[imported[f"exchange:ticket:{source_id}"]]
        notes = [c for c in comments if c["plain_body"].startswith(SLA_NOTE_HEADING)]
        assert [c["public"] for c in notes] == [False], source_id  # its SLA history, private
        kept = [c["public"] for c in comments if c not in notes]
        assert kept == [c.public for c in ticket.comments], source_id
    emails = [u["email"].lower() for u in new.backend.users.values() if u.get("email")]
    assert len(emails) == len(set(emails)), "a user was created twice"
    wanted = {u.email.lower() for u in old.backend.desk.users if u.email}
    assert wanted <= set(emails), "a user is missing"
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        counts = ledger.counts()
        assert all(c["pending"] == 0 and c["failed"] == 0 for c in counts.values())
        assert len(ledger.runs()) == len(kills) + 1
        ledger.verify_journal()
