"""What the per-ticket comparison keeps of a ticket: compact facts, never bodies.

The target side is read first and held as :class:`TicketFacts` (a few dozen bytes a comment);
the source side is then streamed and compared ticket by ticket. Attachment bytes are streamed
through SHA-256 with ``open_attachment``, never held whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

import attrs

from cemigrate.adapters.contract import FileSource
from cemigrate.schema import Attachment, Comment, FieldValue, Ticket

__all__ = ["CommentFacts", "FileFacts", "TicketFacts", "digest", "ticket_facts"]

_CHUNK: Final = 1 << 16


@attrs.frozen
class FileFacts:
    """One attachment: its name, size and (in the deep comparison) the SHA-256 of its bytes."""

    name: str
    size: int
    sha256: str | None = None


@attrs.frozen
class CommentFacts:
    """One comment: id, visibility, author (in its own side's user ids), time and files."""

    id: str
    public: bool
    author: str | None
    created_at: datetime
    files: tuple[FileFacts, ...]


@attrs.frozen
class TicketFacts:
    """What is compared of one ticket."""

    id: str
    status: str
    priority: str | None
    type: str | None
    channel: str
    tags: frozenset[str]
    custom: Mapping[str, FieldValue]
    created_at: datetime
    comments: tuple[CommentFacts, ...]

    @property
    def files(self) -> tuple[FileFacts, ...]:
        """Every attachment of the ticket, in comment order."""
        return tuple(f for c in self.comments for f in c.files)


def digest(files: FileSource, attachment: Attachment) -> tuple[int, str]:
    """Stream an attachment through SHA-256: its size in bytes and hex digest."""
    hasher = hashlib.sha256()
    size = 0
    with files.open_attachment(attachment) as stream:
        while chunk := stream.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return size, hasher.hexdigest()


def _file(attachment: Attachment, files: FileSource | None) -> FileFacts:
    if files is None:
        return FileFacts(attachment.file_name, attachment.size)
    size, sha = digest(files, attachment)
    return FileFacts(attachment.file_name, size, sha)


def ticket_facts(
    ticket: Ticket,
    *,
    author: Callable[[str], str | None],
    keep_comment: Callable[[Comment], bool],
    keep_field: Callable[[str], bool],
    files: FileSource | None = None,
) -> TicketFacts:
    """The facts of ``ticket``: ``author`` turns a comment author's id into the id compared
    (the target's id, for a source ticket); comments and fields the target adds by design
    are left out; with ``files``, every attachment is hashed."""
    comments = tuple(
        CommentFacts(
            id=c.id,
            public=c.public,
            author=None if c.author is None else author(c.author.id),
            created_at=c.created_at,
            files=tuple(_file(a, files) for a in c.attachments),
        )
        for c in ticket.comments
        if keep_comment(c)
    )
    return TicketFacts(
        id=ticket.id,
        status=ticket.status.value,
        priority=None if ticket.priority is None else ticket.priority.value,
        type=None if ticket.type is None else ticket.type.value,
        channel=ticket.channel.value,
        tags=frozenset(ticket.tags),
        custom={k: v for k, v in ticket.custom_fields.items() if keep_field(k)},
        created_at=ticket.created_at,
        comments=comments,
    )
