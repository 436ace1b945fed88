"""Zendesk to Zendesk through the copier, read back from the target and compared."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.convert import is_sla_note
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Record, Ref, SlaEventKind, Ticket, User
from cemigrate.testing.desks import text_without_image_markers

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


@dataclass
class Migrated:
    report: RunReport
    ledger: Ledger
    source: ZendeskSource
    target_view: ZendeskSource  # the target account, read back the way a source reads


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    source_account = ZendeskSandbox(tickets=2000, seed=3, instance="emea", clock=clock)
    # An empty target: a seeded demo account holds people under the source's e-mails (an agent
    # where the source has an admin), which the migration adopts as they are.
    target_account = ZendeskSandbox(
        tickets=0, empty=True, seed=9, instance="t", clock=clock, subdomain="new"
    )
    clock.advance(120)  # past Zendesk's one-minute export delay
    source = ZendeskSource(
        instance="emea",
        base_url=source_account.base_url,
        credentials=CREDENTIALS,
        session=source_account.session(authenticated=False),
        clock=clock,
    )
    target = ZendeskTarget(
        base_url=target_account.base_url,
        credentials=CREDENTIALS,
        session=target_account.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        clock.advance(120)
        view = ZendeskSource(
            instance="new",
            base_url=target_account.base_url,
            credentials=CREDENTIALS,
            session=target_account.session(authenticated=False),
            clock=clock,
        )
        yield Migrated(report, ledger, source, view)


def target_ids(ledger: Ledger, kind: Kind) -> dict[str, str]:
    """Source id → target id for everything of ``kind`` that is done."""
    return {
        entry.source_id: entry.target_id
        for entry in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if entry.target_id is not None
    }


def read(view: ZendeskSource, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in view.read(kind) for r in batch.records}


def test_every_record_arrived_once_and_only_the_deleted_ticket_was_skipped(
    migrated: Migrated,
) -> None:
    desk = generate(tickets=2000, seed=3, instance="emea")
    report = migrated.report
    assert report.status == "completed"
    assert migrated.ledger.failures() == []
    skipped = list(migrated.ledger.entries(state=EntryState.SKIPPED))
    deleted = desk.edge_cases["deleted_ticket"][0]
    assert [e.key for e in skipped if e.kind == "ticket"] == [f"emea:ticket:{deleted}"]
    assert report.kinds["ticket"].skipped == 1
    # SLA history travels inside its ticket: every event and metric read is accounted for as
    # skipped (kept in the ticket, or following the deleted ticket), none created or lost.
    for kind in (Kind.SLA_EVENT, Kind.TICKET_METRICS):
        accounted = {e.source_id for e in skipped if e.kind == kind.value}
        assert accounted == set(read(migrated.source, kind))
        assert len(accounted) == report.kinds[kind.value].read
    assert len(accounted) >= len(desk.metrics) - 1  # Zendesk lists no metrics of a deleted one
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    assert len(tickets) == len(set(tickets.values())) == 1999


def test_tickets_keep_subject_status_times_and_every_comment(migrated: Migrated) -> None:
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    users = target_ids(migrated.ledger, Kind.USER)
    originals = read(migrated.source, Kind.TICKET)
    arrived = read(migrated.target_view, Kind.TICKET)
    assert set(arrived) == set(tickets.values())
    for source_id, target_id in tickets.items():
        before, after = originals[source_id], arrived[target_id]
        assert isinstance(before, Ticket)
        assert isinstance(after, Ticket)
        assert (after.subject, after.status, after.created_at, after.updated_at) == (
            before.subject,
            before.status,
            before.created_at,
            before.updated_at,
        ), source_id
        assert after.solved_at == before.solved_at, source_id
        comments = [c for c in after.comments if not is_sla_note(c)]
        assert len(comments) == len(before.comments), source_id
        for old, new in zip(before.comments, comments, strict=True):
            assert new.public is old.public, (source_id, old.id)  # privacy survives exactly
            assert new.created_at == old.created_at
            assert new.author == _moved(old.author, users)
            # An inline image's tag became a marker naming the file (the image stays an
            # attachment): the target's text is the source's with the marker where it was.
            assert text_without_image_markers(new.body_plain or "", old) == (old.body_plain or "")


def test_sla_history_is_kept_in_a_private_note_and_fields(migrated: Migrated) -> None:
    desk = generate(tickets=2000, seed=3, instance="emea")
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    arrived = read(migrated.target_view, Kind.TICKET)
    metrics = {m.ticket.id: m for m in desk.metrics}
    breaches: dict[str, int] = {}
    for event in desk.sla_events:
        if event.kind is SlaEventKind.BREACH:
            breaches[event.ticket.id] = breaches.get(event.ticket.id, 0) + 1
    with_history = {e.ticket.id for e in desk.sla_events} | set(metrics)
    checked = 0
    for source_id, target_id in tickets.items():
        after = arrived[target_id]
        assert isinstance(after, Ticket)
        notes = [c for c in after.comments if is_sla_note(c)]
        if source_id not in with_history:
            assert notes == [], source_id
            continue
        assert len(notes) == 1, source_id
        assert notes[0].public is False  # service levels are internal, never shown publicly
        measured = metrics.get(source_id)
        if measured is not None and measured.first_reply.calendar is not None:
            assert after.custom_fields["cemigrate_first_reply_minutes"] == (
                measured.first_reply.calendar
            )
            assert f"First reply: {measured.first_reply.calendar} min" in notes[0].body_plain
        assert after.custom_fields.get("cemigrate_sla_breaches", 0) == breaches.get(source_id, 0)
        checked += 1
    assert checked > 1000


def test_attachments_arrive_with_their_bytes(migrated: Migrated) -> None:
    arrived = read(migrated.target_view, Kind.TICKET)
    files = [a for t in arrived.values() for c in t.comments for a in c.attachments]  # type: ignore[union-attr]
    desk = generate(tickets=2000, seed=3, instance="emea")
    originals = {
        (a.file_name, a.size): a.sha256
        for t in desk.tickets
        if not t.deleted
        for c in t.comments
        for a in c.attachments
    }
    assert len(files) == sum(
        len(c.attachments) for t in desk.tickets if not t.deleted for c in t.comments
    )
    for attachment in files[:: max(1, len(files) // 60)]:  # every 60th, multi-MB ones included
        with migrated.target_view.open_attachment(attachment) as stream:
            data = stream.read()
        assert originals[(attachment.file_name, len(data))] == hashlib.sha256(data).hexdigest()


def test_users_keep_role_and_suspension_and_no_end_user_became_an_agent(
    migrated: Migrated,
) -> None:
    users = target_ids(migrated.ledger, Kind.USER)
    originals = read(migrated.source, Kind.USER)
    arrived = read(migrated.target_view, Kind.USER)
    for source_id, target_id in users.items():
        before, after = originals[source_id], arrived[target_id]
        assert isinstance(before, User)
        assert isinstance(after, User)
        assert after.role == before.role, source_id
        # A deleted user is kept suspended, so its comments keep their author.
        assert after.suspended == (before.suspended or before.deleted), source_id


def test_organizations_groups_memberships_and_fields_arrive(migrated: Migrated) -> None:
    for kind in (Kind.ORGANIZATION, Kind.GROUP, Kind.GROUP_MEMBERSHIP):
        originals = read(migrated.source, kind)
        assert set(target_ids(migrated.ledger, kind)) == set(originals), kind
    names = {g.name for g in read(migrated.target_view, Kind.GROUP).values()}  # type: ignore[union-attr]
    assert {g.name for g in read(migrated.source, Kind.GROUP).values()} <= names  # type: ignore[union-attr]
    keys = {(f.object, f.key) for f in read(migrated.target_view, Kind.FIELD).values()}  # type: ignore[union-attr]
    assert {(f.object, f.key) for f in read(migrated.source, Kind.FIELD).values()} <= keys  # type: ignore[union-attr]


def _moved(ref: Ref | None, ids: dict[str, str]) -> Ref | None:
    return None if ref is None else Ref(kind=ref.kind, id=ids[ref.id])
