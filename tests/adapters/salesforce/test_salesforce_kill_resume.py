"""SIGKILL the copier at random moments of a Zendesk → Salesforce migration against emulators
served on loopback (they outlive it, as real accounts do), resume, and find every record once.

The target writes cases through Bulk API 2.0 jobs (``bulk_threshold = 400``: five ticket
batches), so kills land between jobs, comments and files of half-written tickets.
"""

from __future__ import annotations

import random
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from cemigrate.ledger import Ledger
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.http import SandboxServer
from cemigrate.sandbox.salesforce import SalesforceSandbox, serve_salesforce
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Role
from cemigrate.testing.kill import ShiftedClock, run_copier

TICKETS = 2000
SEED = 5
EMAIL, TOKEN = "admin@demo.example", "sandbox-token"
EXT = "Cemigrate_Id__c"


def env(token: str) -> dict[str, str]:
    """The credentials the plan names."""
    return {"KILL_TEST_EMAIL": EMAIL, "KILL_TEST_TOKEN": TOKEN, "KILL_TEST_SF_TOKEN": token}


LATER_PART = re.compile(r"^\[cemigrate part (?!1/)\d+/\d+\]$", re.MULTILINE)


class BusyOrgClock:
    """Time in the emulated org runs ten times faster than real time, so its Bulk jobs are
    done by the copier's first poll (2 s real) instead of its second."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def monotonic(self) -> float:
        return self.start + (time.monotonic() - self.start) * 10

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / 10)


@pytest.fixture(scope="module")
def accounts() -> Iterator[tuple[ZendeskSandbox, SalesforceSandbox, SandboxServer, SandboxServer]]:
    # Enterprise Plus with High Volume, and an org with a full sandbox's allowance: the run
    # needs no rate-limit waits on a real clock.
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
    new, new_server = serve_salesforce(
        port=0,
        tickets=0,
        seed=SEED,
        instance="new",
        empty=True,
        edition="full_sandbox",
        clock=BusyOrgClock(),
    )
    seen: set[str] = set()
    for person in old.backend.desk.users:
        email = (person.email or "").lower()
        if person.role is not Role.END_USER and email and email not in seen:
            seen.add(email)
            new.add_user(name=person.name, email=person.email)
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
platform = "salesforce"
base_url = "{target_url}"
edition = "full_sandbox"
bulk_threshold = 400
access_token_env = "KILL_TEST_SF_TOKEN"
""",
        encoding="utf-8",
    )
    return plan


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_leaves_every_record_once(
    accounts: tuple[ZendeskSandbox, SalesforceSandbox, SandboxServer, SandboxServer],
    tmp_path: Path,
) -> None:
    _old, new, old_server, new_server = accounts
    plan = write_plan(tmp_path, old_server.url, new_server.url)
    moments = random.Random(20261123)
    kills = [
        ("user: wrote a batch", moments.randint(1, 6), 0.0),
        # A Bulk job opened and never closed: the resumed run opens another.
        ("bulk job", moments.randint(1, 2), 0.0),
        # Cases and comments written, files half uploaded, the cases not marked complete.
        ("uploading", moments.randint(1, 2), moments.uniform(0.05, 0.5)),
        ("ticket: wrote a batch", 1, 0.0),
    ]
    for number, kill_after in enumerate(kills):
        code, tail = run_copier(
            plan, env=env(new.access_token), resume=number > 0, kill_at=kill_after
        )
        assert code == -signal.SIGKILL, f"run {number} ended ({code}) before it was killed:\n{tail}"
    code, tail = run_copier(plan, env=env(new.access_token), resume=True, kill_at=None)
    assert code == 0, tail

    desk = generate(tickets=TICKETS, seed=SEED, instance="exchange")
    live = {t.id: t for t in desk.tickets if not t.deleted}
    cases = [c for c in new.backend.table("Case") if c.get(EXT)]
    by_key = Counter(str(c[EXT]) for c in cases)
    assert [k for k, n in by_key.items() if n > 1] == [], "a ticket became two cases"
    assert set(by_key) == {f"exchange:ticket:{i}" for i in live}
    assert all(c["Cemigrate_Complete__c"] for c in cases)
    case_of = {str(c["Id"]): str(c[EXT]).rsplit(":", 1)[1] for c in cases}
    # Every comment once, with its visibility: a private comment is never published.
    notes: Counter[tuple[str, bool]] = Counter()
    for note in new.backend.table("CaseComment"):
        if not LATER_PART.search(str(note["CommentBody"])):
            notes[(case_of[str(note["ParentId"])], bool(note["IsPublished"]))] += 1
    mails = Counter(
        case_of[str(m["ParentId"])]
        for m in new.backend.table("EmailMessage")
        if not LATER_PART.search(str(m["TextBody"]))
    )
    ext_ids = [str(m[EXT]) for m in new.backend.table("EmailMessage")]
    assert len(ext_ids) == len(set(ext_ids)), "an e-mail was written twice"
    for tid, ticket in live.items():
        private = sum(1 for c in ticket.comments if not c.public)
        public = len(ticket.comments) - private
        assert notes[(tid, False)] == private, tid
        assert notes[(tid, True)] + mails[tid] == public, tid
    # Every file once.
    files = Counter(
        (str(v["PathOnClient"]), int(v["ContentSize"])) for v in new.backend.table("ContentVersion")
    )
    expected = Counter(
        (a.file_name, a.size) for t in live.values() for c in t.comments for a in c.attachments
    )
    assert files == expected
    contacts = [str(c[EXT]) for c in new.backend.table("Contact") if c.get(EXT)]
    assert len(contacts) == len(set(contacts)), "a contact was created twice"
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        counts = ledger.counts()
        assert all(c["pending"] == 0 and c["failed"] == 0 for c in counts.values()), counts
        assert len(ledger.runs()) == len(kills) + 1
        ledger.verify_journal()
