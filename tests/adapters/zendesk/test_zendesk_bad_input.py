"""Bad input written into Zendesk: each bad record becomes a failure row carrying Zendesk's own
words, the rest of its batch lands, and the run completes.

Records are built by hand in a :class:`MemorySource` and written through the copier into a
:class:`ZendeskTarget` over the emulator, which answers as Zendesk does: a ticket with more than
5,000 comments, a restricted file type, a file over 50 MB, an upload token that expired, a user
with an invalid e-mail, a requester deleted from the target.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from cemigrate.adapters.callpool import CallPool
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.target import MAX_ATTACHMENT_BYTES, ZendeskTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, FailureRow, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Attachment, Comment, Kind, Ref, Role, Ticket, User

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
OVER_50_MB = MAX_ATTACHMENT_BYTES + 1
UPLOAD_TTL = 3600.0


def user(uid: str, email: str, role: Role = Role.END_USER) -> User:
    return User(id=uid, name=f"User {uid}", email=email, role=role, created_at=T0, updated_at=T0)


def attachment(aid: str, name: str, size: int = 1000, kind: str = "text/plain") -> Attachment:
    return Attachment(id=aid, file_name=name, content_type=kind, size=size)


def comment(cid: str, *, author: str = "agent", files: tuple[Attachment, ...] = ()) -> Comment:
    return Comment(
        id=cid,
        author=Ref(kind=Kind.USER, id=author),
        public=True,
        body_html="",
        body_plain=f"comment {cid}",
        created_at=T0,
        attachments=files,
    )


def ticket(
    tid: str, minute: int, comments: tuple[Comment, ...], requester: str = "alice"
) -> Ticket:
    """``minute`` orders the tickets in the source (and so in the import batch)."""
    when = T0 + timedelta(minutes=minute)
    return Ticket(
        id=tid,
        subject=f"ticket {tid}",
        description=f"comment {comments[0].id}",
        status="open",
        created_at=when,
        updated_at=when,
        requester=Ref(kind=Kind.USER, id=requester),
        comments=comments,
    )


USERS = (
    user("agent", "agent@example.com", Role.AGENT),
    user("alice", "alice@example.com"),
    user("bad-email", "alice at example dot com"),
    user("gone", "gone@example.com"),
    user("bob", "bob@example.com"),
)

TICKETS = (
    # Uploaded first; reading the next ticket's file takes over an hour, so its token expires.
    ticket("early", 1, (comment("e1", files=(attachment("a-early", "early.txt"),)),)),
    ticket("slow", 2, (comment("s1", files=(attachment("a-slow", "slow.txt"),)),)),
    ticket("good-1", 3, (comment("g1", files=(attachment("a-good", "report.pdf"),)),)),
    ticket(
        "too-long",
        4,
        tuple(comment(f"l{n}", author="agent" if n % 2 else "alice") for n in range(5001)),
    ),
    ticket("exe", 5, (comment("x1", files=(attachment("a-exe", "setup.exe"),)),)),
    ticket("big", 6, (comment("b1", files=(attachment("a-big", "huge.bin", OVER_50_MB),)),)),
    # Its source declares 1 kB, the bytes are over 50 MB: Zendesk refuses the upload.
    ticket("big-unsaid", 7, (comment("u1", files=(attachment("a-unsaid", "video.mp4"),)),)),
    ticket("orphan", 8, (comment("o1", author="gone"),), requester="gone"),
    ticket("good-2", 9, (comment("g2", author="bob"), comment("g3")), requester="bob"),
)
GOOD_TICKETS = ("slow", "good-1", "good-2")


@dataclass
class Written:
    reports: list[RunReport]
    ledger: Ledger
    account: ZendeskSandbox
    failures: dict[str, FailureRow]
    uploads: list[int]  # the status of each POST to /uploads while writing tickets


@pytest.fixture(scope="module")
def written() -> Iterator[Written]:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=0, seed=1, instance="t", clock=clock, empty=True)

    def blobs(file: Attachment) -> bytes:
        if file.id == "a-slow":
            clock.advance(UPLOAD_TTL + 60)  # a slow source: the earlier token expires meanwhile
        if file.id in ("a-big", "a-unsaid"):
            return b"\0" * OVER_50_MB
        return hashlib.sha256(file.id.encode()).hexdigest().encode()

    source = MemorySource({Kind.USER: USERS}, instance="hd", blobs=blobs, clock=clock)
    target = ZendeskTarget(
        base_url=account.base_url,
        credentials=CREDENTIALS,
        session=account.session(authenticated=False),
        clock=clock,
    )
    # The files go one at a time, in order (the budgets allow more once calls take time,
    # which a busy machine's in-process calls can): the slow file is read after the early
    # one was uploaded and before the good one is.
    target.calls = CallPool(lambda: 1)
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        reports = [migration.run()]
        # An administrator deletes a user in the target before the tickets are written.
        gone = next(e.target_id for e in ledger.entries(kind="user") if e.source_id == "gone")
        assert gone is not None
        del account.backend.users[int(gone)]
        for record in TICKETS:
            source.put(record)
        account.zendesk.requests.clear()
        reports.append(migration.run())
        uploads = [
            status
            for method, path, status in account.zendesk.requests
            if method == "POST" and path.startswith("/api/v2/uploads")
        ]
        failures = {f.key.rsplit(":", 1)[1]: f for f in ledger.failures()}
        yield Written(reports, ledger, account, failures, uploads)


def target_tickets(written: Written) -> dict[str, dict[str, object]]:
    """The target's tickets by source id (the external id is the source key)."""
    return {
        str(t["external_id"]).rsplit(":", 1)[1]: t
        for t in written.account.backend.tickets.values()
        if t.get("external_id")
    }


def test_every_run_completes_and_only_the_bad_records_failed(written: Written) -> None:
    assert [r.status for r in written.reports] == ["completed", "completed"]
    assert set(written.failures) == {
        "bad-email",
        "early",
        "too-long",
        "exe",
        "big",
        "big-unsaid",
        "orphan",
    }
    assert list(written.ledger.entries(state=EntryState.PENDING)) == []
    assert written.ledger.verify_journal() > 0


def test_the_rest_of_each_batch_lands(written: Written) -> None:
    assert set(target_tickets(written)) == set(GOOD_TICKETS)
    done = {e.source_id for e in written.ledger.entries(kind="ticket", state=EntryState.DONE)}
    assert done == set(GOOD_TICKETS)
    arrived = target_tickets(written)
    comments = written.account.backend.comments
    assert len(comments[int(str(arrived["good-2"]["id"]))]) == 2
    attached = comments[int(str(arrived["good-1"]["id"]))][0]["attachments"]
    assert [a["file_name"] for a in attached] == ["report.pdf"]
    users = {
        str(u["external_id"]).rsplit(":", 1)[1]
        for u in written.account.backend.users.values()
        if u.get("external_id")
    }
    assert users == {"agent", "alice", "bob"}  # "gone" was deleted afterwards


def test_a_user_with_an_invalid_email_carries_zendesks_words(written: Written) -> None:
    failure = written.failures["bad-email"]
    assert failure.kind == "user"
    assert "Email: alice at example dot com is not properly formatted" in failure.platform_message


def test_more_than_5000_comments_is_refused_by_the_import(written: Written) -> None:
    message = written.failures["too-long"].platform_message
    assert "RecordInvalid" in message
    assert "Comments: a ticket may have at most 5000 comments" in message


def test_a_restricted_file_type_is_refused_at_upload(written: Written) -> None:
    message = written.failures["exe"].platform_message
    assert "Attachment: setup.exe has a file type that is not allowed" in message


def test_a_file_over_50_mb_is_refused(written: Written) -> None:
    # Declared over the limit: refused before any byte is sent (Zendesk would refuse it).
    declared = written.failures["big"]
    assert "50 MB" in declared.reason
    stored = {a.json["file_name"] for a in written.account.backend.attachments.values()}
    assert "huge.bin" not in stored
    # early, slow and good-1 were accepted; setup.exe and video.mp4 refused; huge.bin not sent.
    assert sorted(written.uploads) == [201, 201, 201, 422, 422]
    # Declared small but over the limit: Zendesk's own refusal.
    unsaid = written.failures["big-unsaid"]
    assert "Attachment: video.mp4 is larger than 50 MB" in unsaid.platform_message


def test_an_expired_upload_token_fails_only_its_ticket(written: Written) -> None:
    message = written.failures["early"].platform_message
    assert "RecordInvalid" in message
    assert "is invalid or expired" in message
    assert "slow" in target_tickets(written)


def test_a_requester_deleted_in_the_target_carries_zendesks_words(written: Written) -> None:
    failure = written.failures["orphan"]
    gone = next(e.target_id for e in written.ledger.entries(kind="user") if e.source_id == "gone")
    assert f"Requester: {gone} is not a user" in failure.platform_message
