"""The Salesforce target's own behaviour, written through the copier over the emulator.

Bad input (bodies over a field's limit, picklists, quota, duplicate external ids, large files,
no audit fields) is in ``test_salesforce_bad_input.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.client import Credentials
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import Channel, Comment, Kind, Ref, Role, Ticket, User

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
    target = SalesforceTarget(
        instance_url=org.base_url,
        credentials=Credentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )
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
