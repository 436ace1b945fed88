"""Salesforce to Zendesk through the copier: a seeded Salesforce org migrated into an empty
Zendesk account, read back with the Zendesk source and compared with what the Salesforce
source read."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.convert import is_sla_note
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.cli import EXIT_OK, main
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Record, Ref, SlaEventKind, Ticket, TicketMetrics, User

pytestmark = pytest.mark.slow  # one migration of 300 tickets shared by the module: ~8 s

TICKETS, SEED, INSTANCE = 300, 5, "sf"
ZENDESK = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


@dataclass
class Migrated:
    report: RunReport
    ledger: Ledger
    source: SalesforceSource
    read: dict[Kind, dict[str, Record]]
    """What the Salesforce source read, by kind and id."""
    target_view: ZendeskSource


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    org = SalesforceSandbox(tickets=TICKETS, seed=SEED, instance=INSTANCE, clock=clock)
    account = ZendeskSandbox(
        tickets=0, seed=9, instance="t", clock=clock, subdomain="new", empty=True
    )

    def salesforce() -> SalesforceSource:
        return SalesforceSource(
            instance=INSTANCE,
            instance_url=org.base_url,
            credentials=SalesforceCredentials(access_token=org.access_token),
            session=org.session(authenticated=False),
            clock=clock,
        )

    target = ZendeskTarget(
        base_url=account.base_url,
        credentials=ZENDESK,
        session=account.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        source = salesforce()
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        clock.advance(120)  # past Zendesk's one-minute export delay
        reader = salesforce()
        read = {
            kind: {r.id: r for batch in reader.read(kind) for r in batch.records}
            for kind in (Kind.TICKET, Kind.USER, Kind.ORGANIZATION, Kind.GROUP)
        }
        view = ZendeskSource(
            instance="new",
            base_url=account.base_url,
            credentials=ZENDESK,
            session=account.session(authenticated=False),
            clock=clock,
        )
        yield Migrated(report, ledger, reader, read, view)


def target_ids(ledger: Ledger, kind: Kind) -> dict[str, str]:
    """Source id → target id for everything of ``kind`` that is done."""
    return {
        entry.source_id: entry.target_id
        for entry in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if entry.target_id is not None
    }


def read(view: ZendeskSource, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in view.read(kind) for r in batch.records}


def _moved(ref: Ref | None, ids: dict[str, str]) -> Ref | None:
    return None if ref is None else Ref(kind=ref.kind, id=ids[ref.id])


def test_every_ticket_arrived_once_and_only_deleted_cases_were_skipped(
    migrated: Migrated,
) -> None:
    assert migrated.report.status == "completed"
    assert migrated.ledger.failures() == []
    cases = migrated.read[Kind.TICKET]
    deleted = {i for i, t in cases.items() if t.deleted}  # type: ignore[union-attr]
    skipped = {
        e.source_id for e in migrated.ledger.entries(kind="ticket", state=EntryState.SKIPPED)
    }
    assert skipped == deleted
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    assert set(tickets) == set(cases) - deleted
    assert len(set(tickets.values())) == len(tickets)
    assert set(read(migrated.target_view, Kind.TICKET)) == set(tickets.values())


def test_tickets_keep_subject_status_times_and_every_comment(migrated: Migrated) -> None:
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    users = target_ids(migrated.ledger, Kind.USER)
    arrived = read(migrated.target_view, Kind.TICKET)
    compared = 0
    for source_id, target_id in tickets.items():
        before, after = migrated.read[Kind.TICKET][source_id], arrived[target_id]
        assert isinstance(before, Ticket)
        assert isinstance(after, Ticket)
        assert (after.subject, after.status, after.created_at, after.updated_at) == (
            before.subject,
            before.status,
            before.created_at,
            before.updated_at,
        ), source_id
        assert after.solved_at == before.solved_at, source_id
        assert (after.priority, after.type, after.tags) == (
            before.priority,
            before.type,
            before.tags,
        )
        assert after.requester == _moved(before.requester, users)
        assert after.assignee == _moved(before.assignee, users)
        comments = [c for c in after.comments if not is_sla_note(c)]
        assert len(comments) == len(before.comments), source_id
        for old, new in zip(before.comments, comments, strict=True):
            assert new.public is old.public, (source_id, old.id)  # privacy survives exactly
            assert new.created_at == old.created_at
            assert new.author == _moved(old.author, users)
            assert (new.body_plain or "").strip() == (old.body_plain or "").strip()
            compared += 1
    assert compared > 1000


def test_attachments_arrive_with_their_bytes(migrated: Migrated) -> None:
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    arrived = read(migrated.target_view, Kind.TICKET)
    originals = [
        (source_id, a)
        for source_id in tickets
        for c in migrated.read[Kind.TICKET][source_id].comments  # type: ignore[union-attr]
        for a in c.attachments
    ]
    files = {(tickets[source_id], a.file_name, a.size): a for source_id, a in originals}
    landed = {
        (ticket_id, a.file_name, a.size): a
        for ticket_id, t in arrived.items()
        for c in t.comments  # type: ignore[union-attr]
        for a in c.attachments
    }
    assert set(landed) == set(files)
    for key in sorted(files)[:: max(1, len(files) // 25)]:
        with migrated.source.open_attachment(files[key]) as stream:
            before = hashlib.sha256(stream.read()).hexdigest()
        with migrated.target_view.open_attachment(landed[key]) as stream:
            after = hashlib.sha256(stream.read()).hexdigest()
        assert after == before, key


def test_users_keep_role_and_suspension_and_no_end_user_became_an_agent(
    migrated: Migrated,
) -> None:
    users = target_ids(migrated.ledger, Kind.USER)
    arrived = read(migrated.target_view, Kind.USER)
    assert set(users) == set(migrated.read[Kind.USER])
    for source_id, target_id in users.items():
        before, after = migrated.read[Kind.USER][source_id], arrived[target_id]
        assert isinstance(before, User)
        assert isinstance(after, User)
        assert after.role == before.role, source_id
        assert after.suspended == (before.suspended or before.deleted), source_id
        assert (after.email or "").lower() == (before.email or "").lower()


def test_organizations_and_groups_arrive(migrated: Migrated) -> None:
    for kind in (Kind.ORGANIZATION, Kind.GROUP):
        assert set(target_ids(migrated.ledger, kind)) == set(migrated.read[kind]), kind
    names = {g.name for g in read(migrated.target_view, Kind.GROUP).values()}  # type: ignore[union-attr]
    assert {g.name for g in migrated.read[Kind.GROUP].values()} <= names  # type: ignore[union-attr]
    orgs = {o.name for o in read(migrated.target_view, Kind.ORGANIZATION).values()}  # type: ignore[union-attr]
    assert {o.name for o in migrated.read[Kind.ORGANIZATION].values()} <= orgs  # type: ignore[union-attr]


def test_sla_history_is_kept_in_a_private_note_and_fields(migrated: Migrated) -> None:
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    arrived = read(migrated.target_view, Kind.TICKET)
    history = migrated.source.sla_history(
        [migrated.read[Kind.TICKET][i] for i in tickets]  # type: ignore[misc]
    )
    checked = 0
    for source_id, target_id in tickets.items():
        after = arrived[target_id]
        assert isinstance(after, Ticket)
        notes = [c for c in after.comments if is_sla_note(c)]
        found = history.get(source_id)
        if not found:
            assert notes == [], source_id
            continue
        assert len(notes) == 1, source_id
        assert notes[0].public is False  # service levels are internal, never shown publicly
        measured = found.metrics
        assert isinstance(measured, TicketMetrics)
        if measured.first_reply.calendar is not None:
            assert after.custom_fields["cemigrate_first_reply_minutes"] == (
                measured.first_reply.calendar
            )
            assert f"First reply: {measured.first_reply.calendar} min" in notes[0].body_plain
        breaches = sum(e.kind is SlaEventKind.BREACH for e in found.events)
        assert after.custom_fields.get("cemigrate_sla_breaches", 0) == breaches
        checked += 1
    assert checked > TICKETS / 2


PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "{instance}"
platform = "salesforce"
base_url = "{url}"
access_token_env = "TEST_SF_ACCESS_TOKEN"
edition = "enterprise"

[target]
platform = "memory"
path = "target.sqlite"
"""


def test_a_plan_naming_a_salesforce_source_runs_against_a_served_org(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    org = SalesforceSandbox(tickets=30, seed=SEED, instance=INSTANCE, clock=ManualClock())
    server = org.serve(port=0)
    try:
        monkeypatch.setenv("TEST_SF_ACCESS_TOKEN", org.access_token)
        plan = tmp_path / "plan.toml"
        plan.write_text(PLAN.format(instance=INSTANCE, url=server.url), encoding="utf-8")

        assert main(["run", str(plan), "--no-progress"]) == EXIT_OK
    finally:
        server.shutdown()
    out, err = capsys.readouterr()
    assert org.access_token not in out + err
    target = MemoryTarget(tmp_path / "target.sqlite")
    try:
        tickets = target.records(Kind.TICKET)
        assert len(tickets) == len(org.backend.rows["Case"])  # deleted cases too: a memory
        assert any(t.data["deleted"] for t in tickets)  # target keeps them, marked deleted
        assert len(target.records(Kind.ORGANIZATION)) == len(org.backend.rows["Account"])
        assert target.records(Kind.SLA_EVENT)
    finally:
        target.close()
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.failures() == []
