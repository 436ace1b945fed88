"""Zendesk to Salesforce through the copier: 2,000 tickets from the Zendesk emulator into an
empty emulated Salesforce org, then the org's rows compared with the help desk they came from.

The checks read the org as a Salesforce admin would see it: one Case per live ticket, its
comments as EmailMessage and CaseComment rows with the right visibility, its files as
ContentVersion rows whose bytes hash to the source's SHA-256, Contacts, Accounts, queues and
their members, and the SLA history in cemigrate's custom objects.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.convert import STATUS, format_time
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Role, Ticket

TICKETS = 2000
SEED = 3
EXT = "Cemigrate_Id__c"
_AUTHOR = re.compile(r"^\[Originally by \S+ at \S+\]\n")
_PART = re.compile(r"^\[cemigrate part (\d+)/(\d+)\]\n")

Row = Mapping[str, Any]


@dataclass
class Migrated:
    report: RunReport
    ledger: Ledger
    desk: HelpDesk
    org: SalesforceSandbox

    def rows(self, sobject: str) -> list[Row]:
        return list(self.org.backend.table(sobject))


def add_agents(org: SalesforceSandbox, desk: HelpDesk) -> None:
    """The agents exist in the org before the migration (Users need licences)."""
    seen: set[str] = set()
    for person in desk.users:
        if person.role is Role.END_USER or not person.email or person.email.lower() in seen:
            continue
        seen.add(person.email.lower())
        profile = "System Administrator" if person.role is Role.ADMIN else "Standard User"
        org.add_user(name=person.name, email=person.email, profile=profile)


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    desk = generate(tickets=TICKETS, seed=SEED, instance="emea")
    zendesk = ZendeskSandbox(tickets=TICKETS, seed=SEED, instance="emea", clock=clock)
    org = SalesforceSandbox(tickets=0, instance="new", empty=True, clock=clock)
    add_agents(org, desk)
    clock.advance(120)  # past Zendesk's one-minute export delay
    source = ZendeskSource(
        instance="emea",
        base_url=zendesk.base_url,
        credentials=ZendeskCredentials(email="admin@demo.example", token="sandbox-token"),
        session=zendesk.session(authenticated=False),
        clock=clock,
    )
    target = SalesforceTarget(
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        yield Migrated(report, ledger, desk, org)


def live_tickets(desk: HelpDesk) -> dict[str, Ticket]:
    return {t.id: t for t in desk.tickets if not t.deleted}


def cases_by_ticket(m: Migrated) -> dict[str, Row]:
    cases = [c for c in m.rows("Case") if c.get(EXT)]
    by_key = {str(c[EXT]): c for c in cases}
    assert len(by_key) == len(cases), "a ticket became two cases"
    return {key.removeprefix("emea:ticket:"): case for key, case in by_key.items()}


def body_of(text: str) -> tuple[str, tuple[int, int] | None]:
    """A stored body without cemigrate's author line, and its part number if split."""
    text = _AUTHOR.sub("", text, count=1)
    part = _PART.match(text)
    if part is None:
        return text, None
    return text[part.end() :], (int(part.group(1)), int(part.group(2)))


def joined(rows: list[tuple[str, tuple[int, int] | None]]) -> list[str]:
    """Bodies with their numbered parts put back together (parts are consecutive)."""
    out: list[str] = []
    pending: list[str] = []
    for text, part in rows:
        if part is None:
            out.append(text)
            continue
        pending.append(text)
        if part[0] == part[1]:
            out.append("".join(pending))
            pending = []
    assert pending == [], "a split body lost its last part"
    return out


def comments_in_org(m: Migrated) -> dict[str, Counter[tuple[str, bool, str]]]:
    """Per case id: (body, public, where) for every comment, parts joined."""
    found: dict[str, Counter[tuple[str, bool, str]]] = {}
    notes: dict[tuple[str, bool], list[Row]] = {}
    for note in m.rows("CaseComment"):
        notes.setdefault((str(note["ParentId"]), bool(note["IsPublished"])), []).append(note)
    for (case_id, public), rows in notes.items():
        rows.sort(key=lambda r: (str(r["CreatedDate"]), str(r["Id"])))
        bodies = joined([body_of(str(r.get("CommentBody") or "")) for r in rows])
        found.setdefault(case_id, Counter()).update((b, public, "CaseComment") for b in bodies)
    mails: dict[str, list[Row]] = {}
    for mail in m.rows("EmailMessage"):
        mails.setdefault(str(mail["ParentId"]), []).append(mail)
    for case_id, rows in mails.items():
        rows.sort(key=lambda r: str(r[EXT]))
        bodies = joined([body_of(str(r.get("TextBody") or "")) for r in rows])
        found.setdefault(case_id, Counter()).update((b, True, "EmailMessage") for b in bodies)
    return found


@pytest.mark.slow
def test_every_ticket_arrived_once_and_only_the_deleted_ticket_was_skipped(
    migrated: Migrated,
) -> None:
    report = migrated.report
    assert report.status == "completed"
    assert migrated.ledger.failures() == []
    deleted = migrated.desk.edge_cases["deleted_ticket"][0]
    skipped = [
        e.key for e in migrated.ledger.entries(state=EntryState.SKIPPED) if e.kind == "ticket"
    ]
    assert skipped == [f"emea:ticket:{deleted}"]
    cases = cases_by_ticket(migrated)
    assert set(cases) == set(live_tickets(migrated.desk))
    assert all(c["Cemigrate_Complete__c"] is True for c in cases.values())


@pytest.mark.slow
def test_cases_keep_subject_status_and_original_times(migrated: Migrated) -> None:
    cases = cases_by_ticket(migrated)
    for tid, ticket in live_tickets(migrated.desk).items():
        case = cases[tid]
        assert case["Subject"] == ticket.subject[:255], tid
        assert case["Status"] == STATUS[ticket.status], tid
        # The org has the audit-field permission: the original times are the record's own.
        assert case["CreatedDate"] == format_time(ticket.created_at), tid
        assert case["Cemigrate_Created_At__c"] == format_time(ticket.created_at), tid


@pytest.mark.slow
def test_every_comment_arrived_once_with_its_visibility(migrated: Migrated) -> None:
    cases = cases_by_ticket(migrated)
    in_org = comments_in_org(migrated)
    for tid, ticket in live_tickets(migrated.desk).items():
        arrived = in_org.get(str(cases[tid]["Id"]), Counter())
        seen = Counter((body, public) for body, public, _ in arrived.elements())
        expected = Counter((c.body_plain, c.public) for c in ticket.comments)
        assert seen == expected, tid
        # A private comment is never an e-mail and never published.
        assert not any(not public and where == "EmailMessage" for _, public, where in arrived)


@pytest.mark.slow
def test_files_arrive_with_their_bytes_and_sha256_on_their_comment(migrated: Migrated) -> None:
    cases = cases_by_ticket(migrated)
    mails = {str(r["Id"]): str(r["ParentId"]) for r in migrated.rows("EmailMessage")}
    versions = {str(v["ContentDocumentId"]): v for v in migrated.rows("ContentVersion")}
    stored: dict[str, list[Row]] = {}
    for link in migrated.rows("ContentDocumentLink"):
        owner = str(link["LinkedEntityId"])
        case_id = mails.get(owner, owner)
        stored.setdefault(case_id, []).append(versions[str(link["ContentDocumentId"])])
    total = 0
    for tid, ticket in live_tickets(migrated.desk).items():
        expected = Counter(
            (a.file_name, a.size, a.sha256) for c in ticket.comments for a in c.attachments
        )
        found = Counter(
            (
                str(v["PathOnClient"]),
                int(v["ContentSize"]),
                hashlib.sha256(migrated.org.backend.blob(str(v["Id"]))).hexdigest(),
            )
            for v in stored.get(str(cases[tid]["Id"]), [])
        )
        assert found == expected, tid
        total += sum(expected.values())
    assert total == len(versions) > 1000


@pytest.mark.slow
def test_contacts_accounts_queues_and_members_arrive(migrated: Migrated) -> None:
    desk = migrated.desk
    accounts = {str(a[EXT]): a for a in migrated.rows("Account") if a.get(EXT)}
    assert {k.removeprefix("emea:organization:") for k in accounts} == {
        o.id for o in desk.organizations
    }
    for org in desk.organizations:
        assert accounts[f"emea:organization:{org.id}"]["Name"] == org.name
    contacts = {str(c["Id"]): c for c in migrated.rows("Contact")}
    users = {
        e.source_id: e.target_id
        for e in migrated.ledger.entries(kind="user", state=EntryState.DONE)
        if e.target_id is not None
    }
    for person in desk.users:
        if person.role is Role.END_USER:
            # One Contact per e-mail: an end user sharing one with another user is matched.
            contact = contacts[users[person.id]]
            assert (contact["Email"] or "").lower() == (person.email or "").lower(), person.id
    assert len(contacts) == len({users[u.id] for u in desk.users if u.role is Role.END_USER})
    agents = {str(u[EXT]) for u in migrated.rows("User") if u.get(EXT)}
    assert agents == {f"emea:user:{u.id}" for u in desk.users if u.role is not Role.END_USER}
    queues = {str(g["Name"]) for g in migrated.rows("Group") if g.get("Type") == "Queue"}
    assert {g.name[:40] for g in desk.groups if not g.deleted} <= queues
    routed = {str(q["QueueId"]) for q in migrated.rows("QueueSobject")}
    assert all(str(g["Id"]) in routed for g in migrated.rows("Group") if g.get("Type") == "Queue")
    live_groups = {g.id for g in desk.groups if not g.deleted}
    memberships = [m for m in desk.memberships if m.group.id in live_groups]
    assert len(migrated.rows("GroupMember")) == len(memberships)


@pytest.mark.slow
def test_sla_history_lands_in_the_custom_objects(migrated: Migrated) -> None:
    events = [r for r in migrated.rows("Cemigrate_Sla_Event__c") if r.get(EXT)]
    metrics = [r for r in migrated.rows("Cemigrate_Ticket_Metrics__c") if r.get(EXT)]
    live = live_tickets(migrated.desk)
    assert sorted(str(r[EXT]) for r in events) == sorted(
        f"emea:sla_event:{e.id}" for e in migrated.desk.sla_events if e.ticket.id in live
    )
    assert sorted(str(r[EXT]) for r in metrics) == sorted(
        f"emea:ticket_metrics:{m.id}" for m in migrated.desk.metrics if m.ticket.id in live
    )
    cases = {str(c["Id"]) for c in migrated.rows("Case")}
    assert all(str(r["Case__c"]) in cases for r in events + metrics)
