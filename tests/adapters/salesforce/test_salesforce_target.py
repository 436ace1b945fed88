"""The Salesforce target's own behaviour, written through the copier over the emulator.

Bad input (bodies over a field's limit, picklists, quota, duplicate external ids, large files,
no audit fields) is in ``test_salesforce_bad_input.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from cemigrate.adapters.memory import MemorySource
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import (
    Channel,
    Comment,
    Kind,
    Ref,
    Role,
    SlaEvent,
    SlaEventKind,
    SlaMetric,
    Status,
    Ticket,
    User,
)
from cemigrate.testing.salesforce import org_target

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def person(uid: str, email: str, role: Role = Role.END_USER) -> User:
    return User(id=uid, name=f"User {uid}", email=email, role=role, created_at=T0, updated_at=T0)


def ticket(tid: str, *, body: str = "hello", public: bool = False) -> Ticket:
    note = Comment(
        id=f"c{tid}",
        author=Ref(kind=Kind.USER, id="agent"),
        public=public,
        body_html="",
        body_plain=body,
        created_at=T0,
        channel=Channel.WEB,
    )
    return Ticket(
        id=tid,
        subject=f"ticket {tid}",
        description="d",
        status="open",
        created_at=T0 + timedelta(minutes=int(tid)),
        updated_at=T0 + timedelta(minutes=int(tid)),
        requester=Ref(kind=Kind.USER, id="alice"),
        assignee=Ref(kind=Kind.USER, id="agent"),
        comments=(note,),
    )


def migrate(org: SalesforceSandbox, clock: ManualClock, tickets: list[Ticket], users: list[User]):  # type: ignore[no-untyped-def]
    source = MemorySource({Kind.USER: users, Kind.TICKET: tickets}, instance="m", clock=clock)
    target = org_target(org, clock=clock)
    ledger = Ledger.open(":memory:")
    migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
    return migration, ledger


def test_an_agent_no_user_matches_is_a_failure_row_naming_the_email_and_the_rest_lands() -> None:
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    migration, ledger = migrate(
        org,
        clock,
        [],
        [person("agent", "ghost@example.com", Role.AGENT), person("alice", "alice@example.com")],
    )
    report = migration.run()
    (failure,) = ledger.failures()
    assert failure.key == "m:user:agent"
    assert "ghost@example.com" in failure.reason
    assert report.kinds["user"].created == 1


def test_a_large_write_goes_through_bulk_jobs_and_a_refused_row_carries_salesforces_words() -> None:
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    org.add_user(name="Agent Smith", email="agent@example.com")
    case = org.backend.spec("Case")
    status = case.fields["Status"]
    case.add(attrs.evolve(status, picklist=tuple(v for v in status.picklist if v != "On Hold")))
    tickets = [ticket(str(i)) for i in range(1, 13)]
    tickets[4] = attrs.evolve(tickets[4], status=Status.HOLD)
    events = [
        SlaEvent(
            id=f"e{t.id}",
            ticket=Ref(kind=Kind.TICKET, id=t.id),
            metric=SlaMetric.FIRST_REPLY_TIME,
            kind=SlaEventKind.APPLY,
            time=T0,
            target_minutes=60,
        )
        for t in tickets
    ]
    users = [person("agent", "agent@example.com", Role.AGENT), person("alice", "alice@example.com")]
    source = MemorySource(
        {Kind.USER: users, Kind.TICKET: tickets, Kind.SLA_EVENT: events}, instance="m", clock=clock
    )
    target = org_target(org, clock=clock, bulk_threshold=10)
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        assert report.status == "completed"
        failures = {f.key: f for f in ledger.failures()}
        assert set(failures) == {"m:ticket:5", "m:sla_event:e5"}
        message = failures["m:ticket:5"].platform_message  # the Bulk job's sf__Error
        assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in message
        assert "bad value for restricted picklist field: On Hold" in message
        # Its SLA event cannot point at a case that is not there; the rest lands.
        assert "ticket" in failures["m:sla_event:e5"].reason
        assert report.kinds["sla_event"].created == 11
    jobs = [p for m, p, _ in org.salesforce.requests if m == "POST" and p.endswith("/jobs/ingest")]
    # the cases, their comments, their completion flags, then the SLA events
    assert len(jobs) == 4
    cases = [c for c in org.backend.table("Case") if c.get("Cemigrate_Id__c")]
    assert sorted(c["Cemigrate_Id__c"] for c in cases) == sorted(
        f"m:ticket:{t.id}" for t in tickets if t.id != "5"
    )
    assert all(c["Cemigrate_Complete__c"] for c in cases)
    assert len(org.backend.table("CaseComment")) == 11
    assert len(org.backend.table("Cemigrate_Sla_Event__c")) == 11
