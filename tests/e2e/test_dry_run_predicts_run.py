"""A dry run says what the run will do: on a 2 Zendesk + 1 Freshdesk consolidation, the counts
per kind and the failures per kind and reason of a dry run are those of the run that follows,
whether agents have no user in the target (and everything that needs them fails), a fallback
agent takes their place, or customers are already in the target by e-mail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from cemigrate.adapters import Source, Target
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import CONTACT_EXISTS, FreshdeskTarget
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.copier import Migration, Mode
from cemigrate.copier.report import RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import IDENTITY, MappingFile, RecordMapping
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Role, User

FALLBACK = "duty.manager@new.example"


class Accounts:
    """Two Zendesk accounts and a Freshdesk one (a few dozen tickets each) on one clock; the
    two Zendesk accounts share customers (and agents) by e-mail."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.emea = ZendeskSandbox(
            tickets=60, seed=7, instance="emea", clock=self.clock, subdomain="emea"
        )
        self.apac = ZendeskSandbox(
            tickets=50, seed=7, instance="apac", clock=self.clock, subdomain="apac"
        )
        self.fd = FreshdeskSandbox(
            tickets=50, seed=8, instance="fd", clock=self.clock, domain="fd.freshdesk.com"
        )
        self.clock.advance(120)  # past the Zendesk exports' last minute

    def users(self, name: str) -> list[User]:
        """The users an account holds."""
        account: Any = getattr(self, name)
        return list(account.backend.desk.users)

    def sources(self) -> list[Source]:
        """A source on each account, as a plan builds them."""
        zendesk: list[Source] = [
            ZendeskSource(
                instance=name,
                base_url=account.base_url,
                credentials=ZendeskCredentials(email=account.email, token=account.token),
                session=account.session(authenticated=False),
                clock=self.clock,
            )
            for name, account in (("emea", self.emea), ("apac", self.apac))
        ]
        return [
            *zendesk,
            FreshdeskSource(
                instance="fd",
                base_url=self.fd.base_url,
                credentials=FreshdeskCredentials(api_key=self.fd.api_key),
                session=self.fd.session(authenticated=False),
                clock=self.clock,
            ),
        ]


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


def recorded(session: requests.Session, calls: list[str]) -> requests.Session:
    """``session``, noting each request's method and path in ``calls``."""

    def note(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        calls.append(f"{request.method} {urlsplit(request.url or '').path}")

    session.hooks["response"].append(note)
    return session


def agents_of(users: list[User]) -> list[User]:
    return [u for u in users if u.role is not Role.END_USER and u.email]


def dry_run_then_run(
    accounts: Accounts, target: Any, mapping: RecordMapping = IDENTITY
) -> tuple[RunReport, RunReport, Ledger]:
    """A dry run, then the run, on one ledger, each with the plan's fresh adapters."""
    ledger = Ledger.open(":memory:")
    dry = Migration(
        sources=accounts.sources(), target=target(), ledger=ledger, mapping=mapping, progress=False
    ).run(dry_run=True)
    run = Migration(
        sources=accounts.sources(), target=target(), ledger=ledger, mapping=mapping, progress=False
    ).run()
    return dry, run, ledger


def counts(report: RunReport) -> dict[str, dict[str, int]]:
    """Per kind, what happened to the records (a dry run's ``invalid`` is the run's failed)."""
    out = {}
    for kind, tally in report.kinds.items():
        numbers = tally.as_dict()
        numbers["failed"] += numbers.pop("invalid")
        out[kind] = numbers
    return out


def reasons(report: RunReport) -> dict[tuple[str, str], int]:
    """Per kind and reason, how many records failed (or would fail)."""
    return {(p.kind, p.reason): p.count for p in report.problems}


def assert_predicted(dry: RunReport, run: RunReport) -> None:
    assert dry.dry_run
    assert not run.dry_run
    assert run.status == dry.status == "completed"
    assert counts(dry) == counts(run)
    assert reasons(dry) == reasons(run)


def test_agents_without_a_salesforce_user_fail_with_their_tickets_as_the_dry_run_said(
    accounts: Accounts,
) -> None:
    org = SalesforceSandbox(tickets=0, empty=True, clock=accounts.clock)
    seated: set[str] = set()
    for person in agents_of(accounts.users("emea")):  # only emea's agents have Users
        if person.email and person.email.lower() not in seated:
            seated.add(person.email.lower())
            org.add_user(name=person.name, email=person.email)
    calls: list[list[str]] = []

    def target() -> Target:
        calls.append([])
        return SalesforceTarget(
            instance_url=org.base_url,
            credentials=SalesforceCredentials(access_token=org.access_token),
            session=recorded(org.session(authenticated=False), calls[-1]),
            clock=accounts.clock,
        )

    dry, run, ledger = dry_run_then_run(accounts, target)

    assert_predicted(dry, run)
    unseated = {
        u.email.lower()
        for name in ("apac", "fd")
        for u in agents_of(accounts.users(name))
        if u.email and u.email.lower() not in seated
    }
    assert unseated  # some agents have no User: the case the dry run used to miss
    failed_users = [reason for (kind, reason) in reasons(run) if kind == "user"]
    assert failed_users
    assert all("no Salesforce user has the agent's e-mail" in r for r in failed_users)
    # The cascade: tickets whose agent failed, then their SLA history, fail naming the cause.
    assert reasons(run)[("ticket", "refers to a user that failed")] > 0
    assert reasons(run)[("ticket_metrics", "refers to a ticket that failed")] > 0
    rows = ledger.failures(kind="ticket")
    assert rows
    assert {row.reason for row in rows} == {"refers to a user that failed"}
    assert all(row.platform_message.endswith(" failed") for row in rows)
    # Agents that have a User are matched to it, never created (licences).
    assert run.kinds["user"].matched >= len(seated)
    # The dry run read the org's Users with one query, whatever the number of agents, and its
    # Case record types (what the ticket forms match) with one more.
    dry_calls = calls[0]
    assert [c for c in dry_calls if "/query" in c] == ["GET /services/data/v59.0/query/"] * 2
    assert all(c.startswith("GET ") for c in dry_calls)  # it wrote nothing
    # Every failed ticket is missing from the org; every other live one is there once.
    cases = org.backend.table("Case")
    done = {e.key for e in ledger.entries(kind="ticket", state=EntryState.DONE)}
    assert sorted(c["Cemigrate_Id__c"] for c in cases) == sorted(done)

    # A ticket the source gains afterwards, assigned to an agent who failed: a delta dry run
    # (which does not read the agent again) and the delta run agree that it fails too.
    agent = next(
        u
        for u in agents_of(accounts.users("apac"))
        if u.email and u.email.lower() in unseated and not u.deleted and not u.suspended
    )
    customer = next(u for u in accounts.users("apac") if u.role is Role.END_USER and u.email)
    session = accounts.apac.session(authenticated=True)
    created = session.post(
        f"{accounts.apac.base_url}/api/v2/imports/tickets.json",
        json={
            "ticket": {
                "subject": "Late arrival",
                "comments": [{"author_id": int(customer.id), "value": "Asked after the run"}],
                "requester_id": int(customer.id),
                "assignee_id": int(agent.id),
            }
        },
    )
    assert created.status_code == 201
    accounts.clock.advance(120)  # past the exports' last minute
    delta_dry = Migration(
        sources=accounts.sources(), target=target(), ledger=ledger, progress=False
    ).run(mode=Mode.DELTA, dry_run=True)
    delta = Migration(
        sources=accounts.sources(), target=target(), ledger=ledger, progress=False
    ).run(mode=Mode.DELTA)
    assert_predicted(delta_dry, delta)
    late = f"apac:ticket:{created.json()['ticket']['id']}"
    assert [row.reason for row in ledger.failures(kind="ticket") if row.key == late] == [
        "refers to a user that failed"
    ]
    ledger.close()


@pytest.mark.parametrize("match", ["email", "none"])
def test_a_freshdesk_target_takes_the_fallback_agent_and_existing_contacts_as_predicted(
    accounts: Accounts, match: str
) -> None:
    new = FreshdeskSandbox(tickets=0, empty=True, clock=accounts.clock, domain="new.freshdesk.com")
    new.add_agent(name="Duty Manager", email=FALLBACK)
    for person in agents_of(accounts.users("emea"))[:3]:  # most agents have no seat
        new.add_agent(name=person.name, email=person.email or "")
    new.add_ticket_types(["Feature Request", "Refund"])  # the sources' own types, set up first
    # Customers the account already knows, their e-mails written in another case.
    session = new.session(authenticated=True)
    known = [
        u
        for name in ("fd", "emea")
        for u in accounts.users(name)[:30]
        if u.role is Role.END_USER and u.email and not u.deleted and not u.suspended
    ][:6]
    held = {}
    for person in known:
        answer = session.post(
            f"{new.base_url}/api/v2/contacts",
            json={"name": f"CRM {person.name}", "email": (person.email or "").upper()},
        )
        assert answer.status_code == 201
        held[(person.email or "").lower()] = answer.json()["id"]
    mapping = MappingFile.from_dict(
        {
            "users": {
                "match": match,
                "unmatched_agents": "fallback",
                "fallback_agent_email": FALLBACK,
            }
        }
    )

    calls: list[list[str]] = []

    def target() -> Target:
        calls.append([])
        return FreshdeskTarget(
            base_url=new.base_url,
            credentials=FreshdeskCredentials(api_key=new.api_key),
            session=recorded(new.session(authenticated=False), calls[-1]),
            clock=accounts.clock,
        )

    dry, run, ledger = dry_run_then_run(accounts, target, mapping)

    assert_predicted(dry, run)
    # The dry run read the agents once and the contacts once per state (one page: 100 a page).
    dry_calls = calls[0]
    assert dry_calls.count("GET /api/v2/agents") == 1
    assert dry_calls.count("GET /api/v2/contacts") == 3  # active, blocked, deleted
    assert all(c.startswith("GET ") for c in dry_calls)  # it wrote nothing
    # Agents without a seat take the fallback's place: none fails, no seat is created.
    fallback = str(new.backend.find_contact(email=FALLBACK))
    stood_in = [
        e for e in ledger.entries(kind="user", state=EntryState.DONE) if e.target_id == fallback
    ]
    assert stood_in
    assert len(new.backend.agents) == 5  # the owner, the duty manager and three agents
    contacts = [c for c in new.backend.contacts.values() if c.get("email")]
    emails = [c["email"].lower() for c in contacts]
    assert len(emails) == len(set(emails))  # nobody twice
    for contact_id in held.values():
        contact = new.backend.contacts[contact_id]
        assert contact["name"].startswith("CRM ")  # the account's own contact, unchanged
        assert contact["unique_external_id"] is None
    if match == "email":
        assert run.failed == 0
        assert run.kinds["user"].matched >= len(held)
        # Their tickets are the account's contacts' tickets.
        asked = [
            contact_id
            for contact_id in held.values()
            if session.get(
                f"{new.base_url}/api/v2/tickets",
                params={"requester_id": contact_id, "updated_since": "2000-01-01T00:00:00Z"},
            ).json()
        ]
        assert asked
    else:
        assert reasons(run)[("user", CONTACT_EXISTS)] == len(held)
    ledger.close()
