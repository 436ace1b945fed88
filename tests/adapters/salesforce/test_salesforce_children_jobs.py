"""A ticket batch's e-mails and case comments need only their cases: their Bulk jobs are open
at once, so the org processes them side by side; its files go several requests at once; rows
Salesforce could not lock (jobs at once) go again. Each record lands once."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce import target as salesforce_target
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import Attachment, Channel, Comment, Kind, Ref, Role, Ticket, User
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


def _bytes_of(file_id: str) -> bytes:
    return f"bytes of {file_id}".encode() * 10


def _blob(attachment: Attachment) -> bytes:
    return _bytes_of(attachment.id)


def _with_file(ticket: Ticket) -> Ticket:
    data = _bytes_of(f"f{ticket.id}")
    file = Attachment(
        id=f"f{ticket.id}",
        file_name=f"f{ticket.id}.txt",
        content_type="text/plain",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    first, *rest = ticket.comments
    return attrs.evolve(ticket, comments=(attrs.evolve(first, attachments=(file,)), *rest))


def _migration(tickets: list[Ticket]) -> tuple[SalesforceSandbox, Any, MemorySource]:
    """An empty org with the agent's User, a target whose calls showed a real org's round
    trip (two may be under way at once), and a source of ``tickets``."""
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    org.add_user(name="Agent Smith", email="agent@example.com")
    source = MemorySource(
        {
            Kind.USER: [
                _user("agent", "agent@example.com", Role.AGENT),
                _user("alice", "alice@example.com", Role.END_USER),
            ],
            Kind.TICKET: tickets,
        },
        instance="m",
        blobs=_blob,
        clock=clock,
    )
    target = org_target(org, clock=clock, bulk_threshold=10)
    for budget in target.budgets.values():
        budget.observe_latency(0.3)
    return org, target, source


def _run(target: Any, source: MemorySource) -> None:
    with Ledger.open(":memory:") as ledger:
        try:
            report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        finally:
            target.close()
        assert report.status == "completed", report.stopped_because
        assert ledger.failures() == []


def test_the_email_and_comment_jobs_of_a_batch_are_open_at_once_each_record_once() -> None:
    org, target, source = _migration([_ticket(n) for n in range(1, 13)])
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
    _run(target, source)
    assert sorted(met) == ["CaseComment", "EmailMessage"]
    emails = [e["Cemigrate_Id__c"] for e in org.backend.table("EmailMessage")]
    assert sorted(emails) == sorted(f"m:ticket:{n}:comment:{n}e" for n in range(1, 13))
    notes = sorted(c["CommentBody"] for c in org.backend.table("CaseComment"))
    assert notes == sorted(f"comment {n}n" for n in range(1, 13))


def test_a_batch_s_file_requests_go_several_at_once_each_file_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(salesforce_target, "FILES_PER_REQUEST", 2)
    org, target, source = _migration([_with_file(_ticket(n)) for n in range(1, 5)])
    # Two requests of two files: each waits (five seconds at most) for the other.
    two = threading.Barrier(2, timeout=5)
    together: list[int] = []
    send = target.client.upload_content_versions

    def meeting(files: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            two.wait()
            together.append(len(files))
        return send(files)

    target.client.upload_content_versions = meeting
    _run(target, source)
    assert together == [2, 2]
    titles = sorted(v["Title"] for v in org.backend.table("ContentVersion"))
    assert titles == sorted(f"f{n}.txt" for n in range(1, 5))


def _requester(org: SalesforceSandbox) -> str:
    contacts = org.backend.table("Contact")
    (contact,) = [c["Id"] for c in contacts if c["Email"] == "alice@example.com"]
    return str(contact)


@pytest.mark.parametrize(("held", "failed"), [(1, 0), (3, 12)])
def test_rows_salesforce_could_not_lock_go_again_and_land_once(held: int, failed: int) -> None:
    # Another integration holds the requester's Contact locked while the first case job runs
    # (``held`` jobs): the cases that name it fail with UNABLE_TO_LOCK_ROW and are sent again
    # in a job of their own. Held past the two resends, each case is a failure row carrying
    # Salesforce's words (the next run writes it).
    org, target, source = _migration([_ticket(n) for n in range(1, 13)])
    send = target.client.bulk_write
    first = [True]

    def holding(sobject: str, *args: Any, **kwargs: Any) -> Any:
        if sobject == "Case" and first:
            first.clear()
            org.salesforce.responses.bulk.hold(_requester(org), jobs=held)
        return send(sobject, *args, **kwargs)

    target.client.bulk_write = holding
    with Ledger.open(":memory:") as ledger:
        try:
            report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        finally:
            target.close()
        failures = ledger.failures()
    assert report.status == "completed"
    assert len(failures) == failed
    assert all("UNABLE_TO_LOCK_ROW" in f.platform_message for f in failures)
    cases = [c["Cemigrate_Id__c"] for c in org.backend.table("Case")]
    assert len(cases) == 12 - failed
    assert len(set(cases)) == len(cases)  # none twice


def test_the_setup_reads_the_objects_describes_several_at_once() -> None:
    org, target, source = _migration([_ticket(1)])
    # The first two describes each wait (five seconds at most) for the other to be under way.
    two = threading.Barrier(2, timeout=5)
    lock = threading.Lock()
    met: list[str] = []
    describe = target.client.describe

    def meeting(sobject: str) -> Any:
        with lock:
            waits = len(met) + two.n_waiting < 2 and not two.broken
        if waits:
            with contextlib.suppress(threading.BrokenBarrierError):
                two.wait()
                met.append(sobject)
        return describe(sobject)

    target.client.describe = meeting
    _run(target, source)
    assert len(met) == 2
    assert [c["Cemigrate_Id__c"] for c in org.backend.table("Case")] == ["m:ticket:1"]


def test_comments_that_failed_on_a_lock_are_not_sent_again_and_none_lands_twice() -> None:
    # Case comments have no external id: which row of a case failed is not certain, so an
    # insert is never sent again within the run. The tickets fail with Salesforce's words; the
    # next run writes what is missing, and each comment is there once.
    org, target, source = _migration([_ticket(n) for n in range(1, 13)])
    send = target.client.bulk_write
    first = [True]

    def holding(sobject: str, *args: Any, **kwargs: Any) -> Any:
        if sobject == "CaseComment" and first:
            first.clear()
            for case in org.backend.table("Case"):
                org.salesforce.responses.bulk.hold(case["Id"], jobs=1)
        return send(sobject, *args, **kwargs)

    target.client.bulk_write = holding
    with Ledger.open(":memory:") as ledger:
        try:
            migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
            migration.run()
            failures = ledger.failures()
            assert len(failures) == 12
            assert all("UNABLE_TO_LOCK_ROW" in f.platform_message for f in failures)
            again = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
            assert again.status == "completed"
            assert ledger.failures() == []
        finally:
            target.close()
    notes = sorted(c["CommentBody"] for c in org.backend.table("CaseComment"))
    assert notes == sorted(f"comment {n}n" for n in range(1, 13))
