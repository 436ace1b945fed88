"""Zendesk → Freshdesk and Freshdesk → Zendesk through the copier, against the emulators, read
back from the target and compared record by record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.sla_history import SLA_NOTE_HEADING, is_sla_note
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Record, Ref, Status, Ticket
from cemigrate.testing.desks import text_without_image_markers

KEY = "migration-key"
ZD = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
FD = FreshdeskCredentials(api_key=KEY)
TICKETS = 200


@dataclass
class Migrated:
    report: RunReport
    ledger: Ledger
    source: Any
    view: Any  # the target account, read back the way a source reads
    account: Any = None  # the target emulator


def _freshdesk_view(
    account: FreshdeskSandbox, clock: ManualClock, instance: str
) -> FreshdeskSource:
    return FreshdeskSource(
        instance=instance,
        base_url=account.base_url,
        credentials=FD,
        session=account.session(authenticated=False),
        clock=clock,
    )


def _zendesk_view(account: ZendeskSandbox, clock: ManualClock, instance: str) -> ZendeskSource:
    return ZendeskSource(
        instance=instance,
        base_url=account.base_url,
        credentials=ZD,
        session=account.session(authenticated=False),
        clock=clock,
    )


def zendesk_to_freshdesk(tickets: int) -> Iterator[Migrated]:
    clock = ManualClock()
    old = ZendeskSandbox(tickets=tickets, seed=3, instance="emea", clock=clock, subdomain="old")
    new = FreshdeskSandbox(tickets=0, instance="new", clock=clock, empty=True, api_key=KEY)
    new.add_seats(generate(tickets=tickets, seed=3, instance="emea"))  # agents, ticket types
    clock.advance(120)  # past Zendesk's one-minute export delay
    source = _zendesk_view(old, clock, "emea")
    target = FreshdeskTarget(
        base_url=new.base_url, credentials=FD, session=new.session(authenticated=False), clock=clock
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        yield Migrated(report, ledger, source, _freshdesk_view(new, clock, "new"), new)


def freshdesk_to_zendesk(tickets: int) -> Iterator[Migrated]:
    clock = ManualClock()
    old = FreshdeskSandbox(tickets=tickets, seed=5, instance="apac", clock=clock, api_key=KEY)
    new = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new", empty=True)
    source = _freshdesk_view(old, clock, "apac")
    target = ZendeskTarget(
        base_url=new.base_url, credentials=ZD, session=new.session(authenticated=False), clock=clock
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        clock.advance(120)
        yield Migrated(report, ledger, source, _zendesk_view(new, clock, "new"))


@pytest.fixture(scope="module")
def to_freshdesk() -> Iterator[Migrated]:
    yield from zendesk_to_freshdesk(TICKETS)


@pytest.fixture(scope="module")
def to_zendesk() -> Iterator[Migrated]:
    yield from freshdesk_to_zendesk(TICKETS)


def target_ids(ledger: Ledger, kind: Kind) -> dict[str, str]:
    return {
        e.source_id: e.target_id
        for e in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if e.target_id is not None
    }


def read(view: Any, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in view.read(kind) for r in batch.records}


def _text(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def compare(migrated: Migrated, *, new_reads_as_open: bool) -> int:
    """Every ticket done in the ledger, compared with what the target holds; returns how many."""
    tickets = target_ids(migrated.ledger, Kind.TICKET)
    users = target_ids(migrated.ledger, Kind.USER)
    originals = read(migrated.source, Kind.TICKET)
    arrived = read(migrated.view, Kind.TICKET)
    assert set(tickets.values()) <= set(arrived)
    for source_id, target_id in tickets.items():
        before, after = originals[source_id], arrived[target_id]
        assert isinstance(before, Ticket)
        assert isinstance(after, Ticket)
        status = Status.OPEN if new_reads_as_open and before.status is Status.NEW else before.status
        assert (after.subject, after.status, after.created_at) == (
            before.subject,
            status,
            before.created_at,
        ), source_id
        comments = [c for c in after.comments if not is_sla_note(c)]
        assert len(comments) == len(before.comments), source_id
        for old, new in zip(before.comments, comments, strict=True):
            assert new.public is old.public, (source_id, old.id)  # privacy survives exactly
            assert new.created_at == old.created_at, (source_id, old.id)
            if old.author is not None and old.author.id in users:
                assert new.author == Ref(kind=Kind.USER, id=users[old.author.id]), source_id
            shown = text_without_image_markers(new.body_plain or "", old)
            assert _text(shown) == _text(old.body_plain), (source_id, old.id)
            assert sorted(a.file_name for a in new.attachments) == sorted(
                a.file_name for a in old.attachments
            ), (source_id, old.id, before.comments.index(old), old.public)
            assert sorted(a.file_name for a in new.attachments) == sorted(
                a.file_name for a in old.attachments
            )
    return len(tickets)


def test_zendesk_to_freshdesk_every_ticket_arrives_once_with_its_comments(
    to_freshdesk: Migrated,
) -> None:
    assert to_freshdesk.report.status == "completed"
    failures = to_freshdesk.ledger.failures()
    assert failures == [], failures[:3]
    checked = compare(to_freshdesk, new_reads_as_open=True)
    desk = generate(tickets=TICKETS, seed=3, instance="emea")
    assert checked == sum(1 for t in desk.tickets if not t.deleted)


def test_zendesk_to_freshdesk_keeps_sla_history_in_fields_and_a_private_note(
    to_freshdesk: Migrated,
) -> None:
    arrived = read(to_freshdesk.view, Kind.TICKET)  # the reader sets SLA notes aside
    backend = to_freshdesk.account.backend
    noted = 0
    for target_id, ticket in arrived.items():
        assert isinstance(ticket, Ticket)
        notes = [
            c
            for c in backend.conversations(int(target_id))
            if str(c.get("body_text") or "").startswith(SLA_NOTE_HEADING)
        ]
        assert len(notes) <= 1
        if notes:
            noted += 1
            assert notes[0]["private"] is True  # service levels are internal
            assert "cemigrate_sla_breaches" in ticket.custom_fields
    assert noted > TICKETS // 2


def test_freshdesk_to_zendesk_every_ticket_arrives_once_with_its_comments(
    to_zendesk: Migrated,
) -> None:
    assert to_zendesk.report.status == "completed"
    failures = to_zendesk.ledger.failures()
    assert failures == [], failures[:3]
    checked = compare(to_zendesk, new_reads_as_open=False)
    desk = generate(tickets=TICKETS, seed=5, instance="apac")
    assert checked == sum(1 for t in desk.tickets if not t.deleted)


@pytest.mark.slow
def test_zendesk_to_freshdesk_2000_tickets() -> None:
    for migrated in zendesk_to_freshdesk(2000):
        assert migrated.report.status == "completed"
        assert migrated.ledger.failures() == []
        assert compare(migrated, new_reads_as_open=True) == 1999
