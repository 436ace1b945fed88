"""An empty emulated Freshdesk account written one record at a time through the Freshdesk
target, and the records the target's tests write into it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from cemigrate.adapters import FileSource, Needs, Outgoing
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.sandbox.http import WireFaults
from cemigrate.schema import Attachment, Comment, Kind, Ref, Role, SourceKey, Status, Ticket, User

__all__ = ["AGENT", "CUSTOMER", "KEY", "T0", "Blobs", "Desk", "comment", "ticket"]

KEY = "target-test-key"
"""The API key of the account a :class:`Desk` writes into."""
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
"""When :func:`ticket` was created (each comment ``n`` ``n`` hours later)."""
AGENT = User(id="a1", name="Agent Smith", email="smith@desk.example", role=Role.AGENT)
CUSTOMER = User(id="c1", name="Ana Lima", email="ana@example.com")
"""The account's agent and the customer who asks in :func:`ticket`."""


class Blobs(FileSource):
    """Attachment bytes made on demand: ``size`` bytes of one letter (no SLA history, no
    fields: the defaults of the optional parts)."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The bytes of ``attachment``."""
        return io.BytesIO(attachment.file_name[0].encode() * attachment.size)


class Desk:
    """An empty emulated account with one agent, its target, and a source reading it back."""

    def __init__(self, *, faults: WireFaults | None = None) -> None:
        self.clock = ManualClock()
        self.account = FreshdeskSandbox(
            tickets=0, instance="new", clock=self.clock, empty=True, api_key=KEY, faults=faults
        )
        self.account.add_agent(name=AGENT.name, email=AGENT.email or "")
        self.target = FreshdeskTarget(
            base_url=self.account.base_url,
            credentials=FreshdeskCredentials(api_key=KEY),
            session=self.account.session(authenticated=False),
            clock=self.clock,
        )
        self.links: dict[Ref, str] = {}

    def write(self, kind: Kind, record: Any, target_id: str | None = None) -> Any:
        """Write one record with the links of those written before; its write result."""
        key = SourceKey("old", kind, record.id)
        out = Outgoing(key=key, record=record, links=dict(self.links), target_id=target_id)
        (result,) = self.target.write(kind, [out], Blobs())
        if result.ok:
            self.links[Ref(kind=kind, id=record.id)] = str(result.target_id)
        return result

    def people(self) -> None:
        """Prepare the target and write :data:`AGENT` and :data:`CUSTOMER`."""
        self.target.prepare(Needs(), dry_run=False)
        assert self.write(Kind.USER, AGENT).ok
        assert self.write(Kind.USER, CUSTOMER).ok

    def read_back(self) -> dict[str, Ticket]:
        """The account's tickets as a Freshdesk source reads them, by id."""
        view = FreshdeskSource(
            instance="new",
            base_url=self.account.base_url,
            credentials=FreshdeskCredentials(api_key=KEY),
            session=self.account.session(authenticated=False),
            clock=self.clock,
        )
        return {r.id: r for b in view.read(Kind.TICKET) for r in b.records}  # type: ignore[misc]


def comment(n: int, *, public: bool, author: User | None, files: tuple[int, ...] = ()) -> Comment:
    """Comment ``n``, with a file of each size in ``files``."""
    return Comment(
        id=str(n),
        author=None if author is None else Ref(kind=Kind.USER, id=author.id),
        public=public,
        body_html=f"<p>comment {n}</p>",
        body_plain=f"comment {n}",
        created_at=T0 + timedelta(hours=n),
        attachments=tuple(
            Attachment(
                id=f"{n}{i}",
                file_name=f"{'abcdefgh'[i]}-{n}.bin",
                content_type="application/octet-stream",
                size=size,
            )
            for i, size in enumerate(files)
        ),
    )


def ticket(*comments: Comment, **changes: Any) -> Ticket:
    """A solved ticket of :data:`CUSTOMER` (id ``100`` unless ``changes`` say otherwise) with
    its description as comment 0, then ``comments``."""
    return Ticket(
        id=str(changes.pop("id", "100")),
        subject="Card payment refused",
        description="comment 0",
        status=Status.SOLVED,
        created_at=T0,
        updated_at=T0 + timedelta(days=1),
        solved_at=T0 + timedelta(days=1),
        requester=Ref(kind=Kind.USER, id=CUSTOMER.id),
        comments=(comment(0, public=True, author=CUSTOMER), *comments),
        **changes,
    )
