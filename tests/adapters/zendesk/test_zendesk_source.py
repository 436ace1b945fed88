"""The Zendesk source against the emulator: what a migration reads from an account."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.copier import Migration, Mode
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Record, Ticket, to_dict
from cemigrate.testing.zendesk import account_source

TICKETS, SEED, INSTANCE = 30, 3, "z"


@cache
def desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)


@pytest.fixture
def sandbox() -> ZendeskSandbox:
    return ZendeskSandbox(tickets=TICKETS, seed=SEED, instance=INSTANCE)


@pytest.fixture
def source(sandbox: ZendeskSandbox) -> ZendeskSource:
    return account_source(sandbox, instance=INSTANCE, clock=ManualClock())


def read_all(source: ZendeskSource, kind: Kind, cursor: str | None = None) -> dict[str, Record]:
    return {record.id: record for batch in source.read(kind, cursor) for record in batch.records}


@pytest.mark.parametrize(
    "kind", [Kind.ORGANIZATION, Kind.GROUP, Kind.GROUP_MEMBERSHIP, Kind.SLA_POLICY]
)
def test_records_arrive_exactly_as_the_account_holds_them(
    source: ZendeskSource, kind: Kind
) -> None:
    expected = {record.id: _comparable(record) for record in desk().records(kind)}
    assert {i: _comparable(r) for i, r in read_all(source, kind).items()} == expected


def _comparable(record: Record) -> dict[str, object]:
    """A record's fields; ``raw`` is the platform's payload as served, compared on its own."""
    data = to_dict(record)
    data.pop("raw", None)
    return data


def test_sla_policies_keep_the_served_payload_verbatim(source: ZendeskSource) -> None:
    got = read_all(source, Kind.SLA_POLICY)
    for policy in desk().sla_policies:
        raw = got[policy.id].raw  # type: ignore[union-attr]
        assert raw["policy_metrics"] == policy.raw["policy_metrics"]
        assert raw["filter"] == policy.raw["filter"]


def test_users_keep_role_suspension_deletion_and_email(source: ZendeskSource) -> None:
    got = read_all(source, Kind.USER)
    assert set(got) == {user.id for user in desk().users}
    for user in desk().users:
        read = got[user.id]
        assert (read.role, read.suspended, read.deleted, read.email) == (  # type: ignore[union-attr]
            user.role,
            user.suspended,
            user.deleted,
            user.email,
        )


def test_every_ticket_once_with_its_comments_privacy_authors_and_times(
    source: ZendeskSource,
) -> None:
    got = read_all(source, Kind.TICKET)
    assert set(got) == {ticket.id for ticket in desk().tickets}
    for ticket in desk().tickets:
        read = got[ticket.id]
        assert isinstance(read, Ticket)
        assert (read.subject, read.status, read.created_at) == (
            ticket.subject,
            ticket.status,
            ticket.created_at,
        )
        if ticket.deleted:
            continue  # a deleted ticket's comments are gone from Zendesk
        assert [(c.id, c.public, c.author, c.created_at) for c in read.comments] == [
            (c.id, c.public, c.author, c.created_at) for c in ticket.comments
        ]


def test_rules_resume_across_their_four_endpoints_without_repeats(
    source: ZendeskSource,
) -> None:
    batches = list(source.read(Kind.RULE))
    assert len(batches) >= 4  # triggers, automations, macros, views
    first = {record.id for record in batches[0].records}
    rest = read_all(source, Kind.RULE, batches[0].cursor)
    assert not first & set(rest)
    assert first | set(rest) == {rule.id for rule in desk().rules}


def test_attachments_stream_with_the_bytes_and_sha256_of_the_original(
    source: ZendeskSource,
) -> None:
    tickets = read_all(source, Kind.TICKET)
    originals = {
        a.id: a for t in desk().tickets for c in t.comments for a in c.attachments if not t.deleted
    }
    read = [a for t in tickets.values() for c in t.comments for a in c.attachments]  # type: ignore[union-attr]
    assert {a.id for a in read} == set(originals)
    for attachment in read[:8]:
        with source.open_attachment(attachment) as stream:
            data = stream.read()
        original = originals[attachment.id]
        assert len(data) == original.size
        assert hashlib.sha256(data).hexdigest() == original.sha256


def test_comments_come_from_the_event_export_not_one_call_per_ticket(
    source: ZendeskSource,
) -> None:
    tickets = read_all(source, Kind.TICKET)
    export = source.budgets["zendesk.export"]
    core = source.budgets["zendesk.core"]
    assert source.comments == "events"
    # One ticket export page and one event page hold all 30 tickets' comments...
    assert export.calls <= 3
    # ...and the account budget pays for field definitions, not a call per ticket.
    assert core.calls < TICKETS / 2
    assert sum(len(t.comments) for t in tickets.values()) == sum(  # type: ignore[union-attr]
        len(t.comments) for t in desk().tickets if not t.deleted
    )


def test_per_ticket_comments_give_the_same_comments(sandbox: ZendeskSandbox) -> None:
    def comments(strategy: str) -> dict[str, list[tuple[str, bool]]]:
        reader = account_source(sandbox, instance=INSTANCE, clock=ManualClock(), comments=strategy)
        got = read_all(reader, Kind.TICKET)
        reader.close()
        return {i: [(c.id, c.public) for c in t.comments] for i, t in got.items()}  # type: ignore[union-attr]

    assert comments("events") == comments("per_ticket")


def test_a_whole_account_migrates_under_its_budgets_and_a_delta_then_writes_nothing() -> None:
    clock = ManualClock()
    sandbox = ZendeskSandbox(tickets=120, seed=SEED, instance=INSTANCE, clock=clock)
    clock.advance(120)  # past Zendesk's one-minute export delay
    zendesk = account_source(sandbox, instance=INSTANCE, clock=clock)
    target = MemoryTarget(clock=clock)
    started = clock.monotonic()
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[zendesk], target=target, ledger=ledger, progress=False)
        report = migration.run()
        assert report.status == "completed"
        assert report.failed == 0
        desk_ = generate(tickets=120, seed=SEED, instance=INSTANCE)
        for kind in (Kind.TICKET, Kind.ORGANIZATION, Kind.GROUP, Kind.RULE, Kind.FIELD):
            assert len(target.records(kind)) == len(desk_.records(kind)), kind
        users = target.records(Kind.USER)
        emails = {u.email.lower() for u in desk_.users if u.email}
        assert len(users) == len(emails) + sum(1 for u in desk_.users if not u.email)
        export = report.budgets[f"{INSTANCE}.zendesk.export"]
        assert export["throttled"] == 0
        assert report.budgets[f"{INSTANCE}.zendesk.core"]["throttled"] == 0
        minutes = (clock.monotonic() - started) / 60
        assert export["calls"] <= 10 * (minutes + 1)  # paced at the export limit, no faster
        delta = migration.run(mode=Mode.DELTA)
    assert delta.total("created") == delta.total("updated") == delta.failed == 0
