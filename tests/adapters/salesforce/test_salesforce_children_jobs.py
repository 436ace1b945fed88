"""A ticket batch's e-mails and case comments need only their cases: their Bulk jobs are open
at once, so the org processes them side by side, and each record lands once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from cemigrate.adapters.memory import MemorySource
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import Channel, Comment, Kind, Ref, Role, Ticket, User
from cemigrate.testing.salesforce import org_target

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _user(uid: str, email: str, role: Role) -> User:
    return User(id=uid, name=f"User {uid}", email=email, role=role, created_at=T0, updated_at=T0)


def _comment(cid: str, *, public: bool, channel: Channel) -> Comment:
    return Comment(
        id=cid,
        author=Ref(kind=Kind.USER, id="agent"),
        public=public,
        body_html="",
        body_plain=f"comment {cid}",
        created_at=T0,
        channel=channel,
    )


def _ticket(number: int) -> Ticket:
    return Ticket(
        id=str(number),
        subject=f"ticket {number}",
        description="d",
        status="open",
        created_at=T0 + timedelta(minutes=number),
        updated_at=T0 + timedelta(minutes=number),
        requester=Ref(kind=Kind.USER, id="alice"),
        assignee=Ref(kind=Kind.USER, id="agent"),
        comments=(
            _comment(f"{number}e", public=True, channel=Channel.EMAIL),
            _comment(f"{number}n", public=False, channel=Channel.WEB),
        ),
    )


def test_the_email_and_comment_jobs_of_a_batch_are_open_at_once_each_record_once() -> None:
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    org.add_user(name="Agent Smith", email="agent@example.com")
    source = MemorySource(
        {
            Kind.USER: [
                _user("agent", "agent@example.com", Role.AGENT),
                _user("alice", "alice@example.com", Role.END_USER),
            ],
            Kind.TICKET: [_ticket(n) for n in range(1, 13)],
        },
        instance="m",
        clock=clock,
    )
    target = org_target(org, clock=clock, bulk_threshold=10)
    for budget in target.budgets.values():
        budget.observe_latency(0.3)  # a real org's round trip: two calls may be under way
    # Each job waits (five seconds at most, real time) for the other to be under way too.
    both = threading.Barrier(2, timeout=5)
    met: list[str] = []

    def meeting(send: Any) -> Any:
        def wrapped(sobject: str, *args: Any, **kwargs: Any) -> Any:
            if sobject in ("EmailMessage", "CaseComment"):
                both.wait()
                met.append(sobject)
            return send(sobject, *args, **kwargs)

        return wrapped

    target.client.bulk_upsert = meeting(target.client.bulk_upsert)  # type: ignore[method-assign]
    target.client.bulk_insert = meeting(target.client.bulk_insert)  # type: ignore[method-assign]
    with Ledger.open(":memory:") as ledger:
        try:
            report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        finally:
            target.close()
        assert report.status == "completed", report.stopped_because
        assert ledger.failures() == []
    assert sorted(met) == ["CaseComment", "EmailMessage"]
    emails = [e["Cemigrate_Id__c"] for e in org.backend.table("EmailMessage")]
    assert sorted(emails) == sorted(f"m:ticket:{n}:comment:{n}e" for n in range(1, 13))
    notes = sorted(c["CommentBody"] for c in org.backend.table("CaseComment"))
    assert notes == sorted(f"comment {n}n" for n in range(1, 13))
