"""Bad input written into Salesforce: each bad record is a failure row carrying Salesforce's own
words (or the run stops cleanly with them and resumes), and the rest lands.

Records are built by hand in a :class:`MemorySource` and written through the copier into a
:class:`SalesforceTarget` over the emulator, which answers as Salesforce does: bodies over a
field's limit, a status the org's picklist lacks, an external id two records share, a file over
JSON's 37.5 MB, one over 2 GB, an org without the audit-field permission, and the org's daily
allowance spent by someone else in the middle of the run.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import attrs
import pytest

from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.convert import format_time
from cemigrate.adapters.salesforce.target import (
    BASE64_LIMIT_BYTES,
    MAX_ATTACHMENT_BYTES,
)
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, FailureRow, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import (
    Attachment,
    Channel,
    Comment,
    Kind,
    Ref,
    Role,
    Status,
    Ticket,
    User,
)
from cemigrate.testing.salesforce import org_target

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
EXT = "Cemigrate_Id__c"
BIG = BASE64_LIMIT_BYTES + 2_500_001  # 40 MB: too big for a base64 JSON insert
_PATTERN = hashlib.sha256(b"cemigrate").digest() * 2048  # 64 kB of bytes that do not compress


def person(uid: str, email: str, role: Role = Role.END_USER) -> User:
    return User(id=uid, name=f"User {uid}", email=email, role=role, created_at=T0, updated_at=T0)


def note(
    cid: str,
    body: str = "",
    *,
    author: str = "agent",
    public: bool = False,
    channel: Channel = Channel.WEB,
    files: tuple[Attachment, ...] = (),
    minute: int = 0,
) -> Comment:
    return Comment(
        id=cid,
        author=Ref(kind=Kind.USER, id=author),
        public=public,
        body_html="",
        body_plain=body or f"comment {cid}",
        created_at=T0 + timedelta(minutes=minute),
        channel=channel,
        attachments=files,
    )


def ticket(
    tid: str,
    minute: int,
    comments: tuple[Comment, ...],
    *,
    requester: str = "alice",
    status: Status = Status.OPEN,
) -> Ticket:
    """``minute`` orders the tickets in the source (and so in the write batch)."""
    when = T0 + timedelta(minutes=minute)
    return Ticket(
        id=tid,
        subject=f"ticket {tid}",
        description="d",
        status=status,
        created_at=when,
        updated_at=when,
        requester=Ref(kind=Kind.USER, id=requester),
        assignee=Ref(kind=Kind.USER, id="agent"),
        comments=comments,
    )


class GeneratedFile(io.RawIOBase):
    """``size`` deterministic bytes, made as they are read: never whole in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        count = min(len(view), len(_PATTERN), self.left)
        view[:count] = _PATTERN[:count]
        self.left -= count
        return count


def generated_sha256(size: int) -> str:
    digest = hashlib.sha256()
    stream = GeneratedFile(size)
    while chunk := stream.read(1 << 16):
        digest.update(chunk)
    return digest.hexdigest()


class StreamingSource(MemorySource):
    """A memory source whose files are streamed from generators, like a real download."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        if attachment.size > 1_000_000:
            return io.BufferedReader(GeneratedFile(attachment.size))  # type: ignore[return-value]
        return io.BytesIO(hashlib.sha256(attachment.id.encode()).hexdigest().encode())


def small(aid: str, name: str) -> Attachment:
    data = hashlib.sha256(aid.encode()).hexdigest().encode()
    return Attachment(
        id=aid,
        file_name=name,
        content_type="text/plain",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


LONG_NOTE = "private detail. " * 600  # 9,600 bytes: CaseComment holds 4,000
LONG_ACCENTS = "é" * 3000  # 3,000 characters but 6,000 UTF-8 bytes
LONG_MAIL = "quoted reply line\n" * 2000  # 36,000 characters: EmailMessage holds 32,000

USERS = (
    person("agent", "agent@example.com", Role.AGENT),
    person("alice", "alice@example.com"),
    person("dup", "dup@example.com"),
)

TICKETS = (
    ticket("long-note", 1, (note("n1", LONG_NOTE), note("n2", "short", minute=1))),
    ticket("accents", 2, (note("a1", LONG_ACCENTS, public=True),)),
    ticket(
        "long-mail",
        3,
        (note("m1", LONG_MAIL, author="alice", public=True, channel=Channel.EMAIL),),
    ),
    ticket("on-hold", 4, (note("h1"),), status=Status.HOLD),
    ticket("by-dup", 5, (note("d1"),), requester="dup"),
    ticket(
        "big-file",
        6,
        (
            note(
                "b1",
                files=(
                    Attachment(
                        id="f-big",
                        file_name="capture.pcap",
                        content_type="application/octet-stream",
                        size=BIG,
                        sha256=generated_sha256(BIG),
                    ),
                ),
            ),
        ),
    ),
    ticket(
        "too-big",
        7,
        (
            note(
                "t1",
                files=(
                    Attachment(
                        id="f-huge",
                        file_name="disk.img",
                        content_type="application/octet-stream",
                        size=MAX_ATTACHMENT_BYTES + 1,
                    ),
                ),
            ),
        ),
    ),
    ticket("good-1", 8, (note("g1", files=(small("f-1", "report.txt"),)),)),
    ticket("good-2", 9, (note("g2", author="alice", public=True), note("g3", minute=2))),
)
BAD = {"user:dup", "ticket:on-hold", "ticket:by-dup", "ticket:too-big"}


@dataclass
class Written:
    report: RunReport
    ledger: Ledger
    org: SalesforceSandbox
    failures: dict[str, FailureRow]

    def case(self, tid: str) -> dict[str, Any]:
        (found,) = [c for c in self.org.backend.table("Case") if c.get(EXT) == f"m:ticket:{tid}"]
        return found

    def children(self, sobject: str, tid: str) -> list[dict[str, Any]]:
        case_id = self.case(tid)["Id"]
        rows = [r for r in self.org.backend.table(sobject) if r["ParentId"] == case_id]
        return sorted(rows, key=lambda r: (str(r["CreatedDate"]), str(r.get(EXT)), r["Id"]))


def org_without_on_hold(clock: ManualClock) -> SalesforceSandbox:
    """An org whose Case Status picklist lacks "On Hold", and where someone made the Contact
    external id by hand, not unique, and gave it to two contacts."""
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    org.add_user(name="Agent Smith", email="agent@example.com")
    case = org.backend.spec("Case")
    status = case.fields["Status"]
    case.add(attrs.evolve(status, picklist=tuple(v for v in status.picklist if v != "On Hold")))
    org.backend.create_custom_field(
        f"Contact.{EXT}", {"label": "Cemigrate Id", "type": "Text", "externalId": True}
    )
    for name in ("Dup One", "Dup Two"):
        org.backend.put("Contact", {"LastName": name, EXT: "m:user:dup"})
    return org


@pytest.fixture(scope="module")
def written() -> Iterator[Written]:
    clock = ManualClock()
    org = org_without_on_hold(clock)
    source = StreamingSource({Kind.USER: USERS, Kind.TICKET: TICKETS}, instance="m", clock=clock)
    with Ledger.open(":memory:") as ledger:
        migration = Migration(
            sources=[source], target=org_target(org, clock=clock), ledger=ledger, progress=False
        )
        report = migration.run()
        failures = {f.key.split(":", 1)[1]: f for f in ledger.failures()}
        yield Written(report, ledger, org, failures)


def test_the_run_completes_and_only_the_bad_records_failed(written: Written) -> None:
    assert written.report.status == "completed"
    assert set(written.failures) == BAD
    assert list(written.ledger.entries(state=EntryState.PENDING)) == []
    done = {e.source_id for e in written.ledger.entries(kind="ticket", state=EntryState.DONE)}
    assert done == {"long-note", "accents", "long-mail", "big-file", "good-1", "good-2"}
    for tid in done:
        assert written.case(tid)["Cemigrate_Complete__c"] is True


def test_a_private_comment_over_4000_bytes_lands_whole_in_private_parts(written: Written) -> None:
    notes = written.children("CaseComment", "long-note")
    assert all(n["IsPublished"] is False for n in notes)
    bodies = [str(n["CommentBody"]) for n in notes]
    assert all(len(b.encode()) <= 4000 for b in bodies)
    parts = [b for b in bodies if b.startswith("[cemigrate part")]
    assert len(parts) == 3
    assert "".join(p.split("\n", 1)[1] for p in parts) == LONG_NOTE
    assert "short" in bodies


def test_a_comment_split_by_bytes_never_cuts_a_character(written: Written) -> None:
    notes = written.children("CaseComment", "accents")
    assert len(notes) == 2
    assert all(n["IsPublished"] is True for n in notes)
    assert "".join(str(n["CommentBody"]).split("\n", 1)[1] for n in notes) == LONG_ACCENTS


def test_an_email_over_32000_characters_lands_whole_in_numbered_emails(written: Written) -> None:
    mails = written.children("EmailMessage", "long-mail")
    assert [m[EXT] for m in mails] == ["m:ticket:long-mail:comment:m1", f"{mails[0][EXT]}:part2"]
    assert all(m["Incoming"] is True for m in mails)
    text = "".join(re.sub(r"^\[cemigrate part \d+/\d+\]\n", "", m["TextBody"]) for m in mails)
    assert text == LONG_MAIL


def test_a_status_the_orgs_picklist_lacks_carries_salesforces_words(written: Written) -> None:
    failure = written.failures["ticket:on-hold"]
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in failure.platform_message
    assert "bad value for restricted picklist field: On Hold" in failure.platform_message
    assert not [c for c in written.org.backend.table("Case") if c.get(EXT) == "m:ticket:on-hold"]


def test_an_external_id_two_records_share_carries_salesforces_words(written: Written) -> None:
    failure = written.failures["user:dup"]
    assert "more than one record" in failure.reason
    assert "DUPLICATE_EXTERNAL_ID" in failure.platform_message
    # Neither contact was touched, nor a third made; the ticket it requested cannot land.
    dups = [c for c in written.org.backend.table("Contact") if c.get(EXT) == "m:user:dup"]
    assert sorted(c["LastName"] for c in dups) == ["Dup One", "Dup Two"]
    requested = written.failures["ticket:by-dup"]
    assert requested.reason == "refers to a user that failed"  # not sent: it would fail
    assert requested.platform_message == "m:user:dup failed"


def test_a_file_over_37_5_mb_goes_multipart_and_arrives_whole(written: Written) -> None:
    case_id = written.case("big-file")["Id"]
    (link,) = [
        lk
        for lk in written.org.backend.table("ContentDocumentLink")
        if lk["LinkedEntityId"] == case_id
    ]
    (version,) = [
        v
        for v in written.org.backend.table("ContentVersion")
        if v["ContentDocumentId"] == link["ContentDocumentId"]
    ]
    assert (version["PathOnClient"], version["ContentSize"]) == ("capture.pcap", BIG)
    data = written.org.backend.blob(str(version["Id"]))
    assert hashlib.sha256(data).hexdigest() == generated_sha256(BIG)


def test_a_file_over_2_gb_is_a_failure_row_and_no_byte_is_sent(written: Written) -> None:
    failure = written.failures["ticket:too-big"]
    assert "2 GB" in failure.reason
    names = {v["PathOnClient"] for v in written.org.backend.table("ContentVersion")}
    assert names == {"capture.pcap", "report.txt"}


def test_without_the_audit_field_permission_the_originals_are_kept_in_fields() -> None:
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock, audit_fields=False)
    agent_id = org.add_user(name="Agent Smith", email="agent@example.com")
    tickets = (
        ticket(
            "1",
            1,
            (
                note("c1", "by e-mail", author="alice", public=True, channel=Channel.EMAIL),
                note("c2", "internal", minute=5, files=(small("f1", "log.txt"),)),
                note("c3", "on the web", author="alice", public=True, minute=9),
            ),
        ),
    )
    source = StreamingSource(
        {Kind.USER: USERS[:2], Kind.TICKET: tickets}, instance="m", clock=clock
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[source], target=org_target(org, clock=clock), ledger=ledger, progress=False
        ).run()
        assert report.status == "completed"
        assert ledger.failures() == []
        contact_id = next(
            e.target_id for e in ledger.entries(kind="user") if e.source_id == "alice"
        )
    (case,) = org.backend.table("Case")
    created = format_time(T0 + timedelta(minutes=1))
    assert case["CreatedDate"] != created  # the org set its own time ...
    assert case["Cemigrate_Created_At__c"] == created  # ... the original is kept beside it
    (mail,) = org.backend.table("EmailMessage")
    assert mail["MessageDate"] == format_time(T0)
    assert mail["Cemigrate_Author__c"] == contact_id
    notes = {str(n["CommentBody"]): n["IsPublished"] for n in org.backend.table("CaseComment")}
    assert notes == {
        f"[Originally by {agent_id} at {format_time(T0 + timedelta(minutes=5))}]\ninternal": False,
        f"[Originally by {contact_id} at {format_time(T0 + timedelta(minutes=9))}]\non the web": (
            True
        ),
    }
    (version,) = org.backend.table("ContentVersion")
    assert format_time(T0 + timedelta(minutes=5)) in str(version["Description"])


@pytest.mark.parametrize("left", [0, 1, 2])
def test_allowance_spent_by_another_app_mid_run_stops_with_salesforces_words_and_resumes(
    left: int,
) -> None:
    """``left``: calls the other app leaves: the stop comes before a ticket batch, after its
    case, or after its comments (before the case is marked complete)."""
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock, daily_allowance=400)
    org.add_user(name="Agent Smith", email="agent@example.com")
    tickets = [
        ticket(str(i), i, (note(f"c{i}"), note(f"p{i}", author="alice", public=True, minute=1)))
        for i in range(1, 31)
    ]
    source = StreamingSource(
        {Kind.USER: USERS[:2], Kind.TICKET: tickets}, instance="m", clock=clock
    )
    target = org_target(org, clock=clock, daily_quota_share=1.0)
    target.batch_size = {**target.batch_size, Kind.TICKET: 5}
    other_app = org.session()
    batches = 0

    def another_integration_spends_the_day(step: str) -> None:
        nonlocal batches
        if step == "done":
            batches += 1
            if batches == 4:  # users, then two ticket batches: the rest of the day goes
                while True:
                    answer = other_app.get(f"{org.data_url}/limits").json()
                    if answer["DailyApiRequests"]["Remaining"] <= left:
                        break

    with Ledger.open(":memory:") as ledger:
        first = Migration(
            sources=[source],
            target=target,
            ledger=ledger,
            progress=False,
            probe=another_integration_spends_the_day,
        ).run()
        assert first.status == "interrupted"
        if left == 0:  # refused by Salesforce
            assert "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded" in first.stopped_because
        else:  # the budget read Sforce-Limit-Info and stopped before Salesforce had to refuse
            assert "salesforce.daily: 400 of 400 used" in first.stopped_because
        assert 0 < first.kinds["ticket"].created < len(tickets)
        cut_off = [c for c in org.backend.table("Case") if not c["Cemigrate_Complete__c"]]
        assert bool(cut_off) is (left > 0)  # a ticket was left half-written
        clock.advance(86_400)  # the rolling 24 hours recover
        second = Migration(sources=[source], target=target, ledger=ledger, progress=False).run(
            resume=True
        )
        assert second.status == "completed"
        assert ledger.failures() == []
    cases = [c for c in org.backend.table("Case") if c.get(EXT)]
    assert sorted(c[EXT] for c in cases) == sorted(f"m:ticket:{t.id}" for t in tickets)
    assert all(c["Cemigrate_Complete__c"] for c in cases)
    notes = org.backend.table("CaseComment")
    assert sorted(n["CommentBody"] for n in notes if not n["IsPublished"]) == sorted(
        f"comment c{t.id}" for t in tickets
    )
    assert len([n for n in notes if n["IsPublished"]]) == len(tickets)
