"""Ticket comments from the incremental ticket-event export, spooled on disk per ticket.

``GET /api/v2/incremental/ticket_events.json?include=comment_events`` lists every ticket update
of the account in time order, 1,000 a page, on the export budget (10 calls a minute, 30 with
High Volume); each update's ``child_events`` carry its comments (facts 1.3). One call thus
brings the comments of many tickets, where ``/tickets/{id}/comments.json`` costs at least one
call of the account budget per ticket. The price: the stream is ordered by time, not by
ticket, so comments must be held until their ticket is read. :class:`EventComments` holds
them in an SQLite file (never in memory: an account may have millions of tickets), keyed by
comment id, so the repeats of a time-based export (a page starts *at* the previous page's
``end_time``) are stored once.

How a source uses it (the lead wires it into ``source.py``)::

    with EventComments(client, spool=path_or_None) as events:
        events.fill(start_time=0)              # 1. every comment up to the export's end
        for page in client.pages(tickets_read):  # 2. then the tickets
            for data in page.records:
                ticket_id = str(data["id"])
                if data.get("status") == "deleted":
                    comments = []                # a deleted ticket's comments are gone
                elif events.covers(created_at, updated_at):
                    comments = events.comments_for(ticket_id)
                else:                            # changed since step 1, or older than the
                    comments = per_ticket(...)   # window: /tickets/{id}/comments.json

Or interleave the two time-ordered streams instead of filling first: call
``events.advance_to(updated_at.timestamp())`` before each ticket, so that writes can start
before the whole event export has been read.

Read the events *first* (or up to the ticket, as above): a ticket read afterwards whose last
change is no later than :attr:`EventComments.covered_until` has all its comments in the spool.
A ticket changed after that (the account is live during a migration) is either read from its
own comments endpoint or waits for :meth:`EventComments.fill` to be called again, which resumes
from the stored position. A delta window (``start_time`` > 0) holds only the comments made in
the window, so a ticket created before it is complete only from its own endpoint:
:meth:`EventComments.covers` says which case a ticket is in. Comments of tickets the ticket
stream never names (deleted, merged away, outside its window) stay in the spool unasked;
:meth:`EventComments.ticket_ids` lists every ticket that has comments.

With ``spool=None`` the file is a temporary one, removed by :meth:`EventComments.close`; with
a path it persists, and a new :class:`EventComments` on the same path resumes after the last
page stored (each page and its position are committed in one transaction).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskClient
from cemigrate.adapters.zendesk.objects import BY_NAME, Read
from cemigrate.errors import ConfigError, RecordError
from cemigrate.schema import Comment

__all__ = ["EventComments", "comment_events"]

_END: Final = object()
_COMMENT_TYPES: Final = frozenset({"Comment", "VoiceComment"})

_VIA_ALIASES: Final[Mapping[str, str]] = {
    # The export names the channel as text ("Web form", "Mail"), not as via.channel. [unverified
    # against a live account: the names below are the common ones; others become OTHER]
    "mail": "email",
    "web_service": "api",
    "web_service_(api)": "api",
    "phone_call_(inbound)": "voice",
    "phone_call_(outbound)": "voice",
    "voicemail": "voice",
    "text": "sms",
    "messaging": "native_messaging",
}

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS comments (
    comment_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    created_ts REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_by_ticket ON comments (ticket_id, created_ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def _channel_via(via: object) -> object:
    """``via`` as ``convert`` reads it: the export's text becomes ``{"channel": name}``."""
    if isinstance(via, str):
        name = via.strip().lower().replace(" ", "_")
        return {"channel": _VIA_ALIASES.get(name, name)}
    return via


def comment_events(event: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The comment child events of one ticket event, each completed from its parent.

    A child without its own ``created_at`` or ``via`` takes the parent's; ``via`` given as text
    (as the export does) becomes ``{"channel": ...}``. A comment listed only as
    ``comment_present`` means the export was read without ``include=comment_events``.
    """
    children = event.get("child_events") or []
    if not isinstance(children, list):
        raise RecordError("ticket event: child_events is not a list")
    for child in children:
        if not isinstance(child, Mapping):
            continue
        kind = child.get("type") or child.get("event_type")
        if kind not in _COMMENT_TYPES:
            continue
        if "comment_present" in child and not ({"body", "html_body", "plain_body"} & set(child)):
            raise ConfigError(
                "zendesk ticket_events: comments arrived without their bodies; "
                "read the export with include=comment_events"
            )
        merged: dict[str, Any] = {"created_at": event.get("created_at"), "via": event.get("via")}
        merged.update({k: v for k, v in child.items() if v is not None})
        merged["type"] = kind
        merged["via"] = _channel_via(merged.get("via"))
        yield merged


class EventComments:
    """Comments of every ticket, read from the ticket-event export into an SQLite spool.

    ``client`` reads the export (its budgets are spent: ``zendesk.export`` and
    ``zendesk.core``); ``spool`` is the SQLite file (a temporary one when None); ``read`` is the
    object-table row to read (the ``ticket_events`` row by default). Thread-safe: a reader
    thread may call :meth:`comments_for` while another fills the spool.
    """

    def __init__(
        self,
        client: ZendeskClient,
        *,
        spool: str | os.PathLike[str] | None = None,
        read: Read | None = None,
    ) -> None:
        row = read or BY_NAME["ticket_events"].read
        assert row is not None
        self._read = row
        self._client = client
        self._temporary = spool is None
        if spool is None:
            handle, name = tempfile.mkstemp(prefix="cemigrate-events-", suffix=".sqlite")
            os.close(handle)
            self.path = Path(name)
        else:
            self.path = Path(spool)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._pages: Iterator[str | None] | None = None
        self._ended = False
        self.pages_read = 0
        """Export pages read by this object (not counting pages of an earlier run)."""
        self.duplicates = 0
        """Comment events seen again (the export repeats items at page boundaries)."""

    # -- state -----------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def position(self) -> str | None:
        """The export's ``end_time`` after the last page stored: where :meth:`fill` resumes."""
        with self._lock:
            return self._meta("position")

    @property
    def started_at(self) -> int | None:
        """The window's ``start_time`` (None before the first page)."""
        with self._lock:
            value = self._meta("start_time")
        return None if value is None else int(value)

    @property
    def covered_until(self) -> int | None:
        """Unix time up to which every comment of the window is in the spool (None: none yet).

        The last page's ``end_time`` once the export reached its end; before that, the second
        before it (a page may stop inside a second, which the next page repeats)."""
        with self._lock:
            value = self._meta("covered_until")
        return None if value is None else int(value)

    def covers(self, created_at: datetime, updated_at: datetime) -> bool:
        """Whether the spool holds *all* comments of a ticket created and last changed then:
        created inside the window, last changed no later than :attr:`covered_until`."""
        start, until = self.started_at, self.covered_until
        if start is None or until is None:
            return False
        return created_at.timestamp() >= start and updated_at.timestamp() <= until

    def __len__(self) -> int:
        """Comments in the spool."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM comments").fetchone()[0])

    # -- reading the export ----------------------------------------------------------------

    def read(self, start_time: int = 0) -> Iterator[str | None]:
        """Read the export page by page, from the stored position or else ``start_time``;
        yields the position after each page, once the page is committed. Stops at the
        export's end (items of the last minute are not exported yet: read again later)."""
        resume = self.position
        if resume is None:
            with self._lock, self._db:
                self._db.execute("BEGIN")
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('start_time', ?)", (str(int(start_time)),)
                )
        for page in self._client.pages(self._read, position=resume or str(int(start_time))):
            self._store(page.records, page.position, page.last)
            self.pages_read += 1
            yield page.position

    def advance_to(self, timestamp: float, start_time: int = 0) -> bool:
        """Read more pages (from where the last call stopped) until :attr:`covered_until`
        reaches ``timestamp`` or the export ends; whether it was reached. Lets a source
        interleave the two time-ordered streams: before it emits a ticket, it advances the
        events to the ticket's last change, so the spool never runs far ahead of the tickets.
        Once the export has ended, it is not asked again (that would spend an export call per
        ticket): a ticket changed since then falls back to its own comments endpoint, or
        :meth:`fill` polls the export again."""
        until = self.covered_until
        while until is None or until < timestamp:
            if self._ended:
                return False
            if self._pages is None:
                self._pages = self.read(start_time)
            if next(self._pages, _END) is _END:
                self._pages, self._ended = None, True
            until = self.covered_until
        return True

    def fill(self, start_time: int = 0) -> int:
        """:meth:`read` to the export's end (again, if it had ended); returns the pages read."""
        self._pages = None
        pages = sum(1 for _ in self.read(start_time))
        self._ended = True
        return pages

    def _store(self, events: tuple[dict[str, Any], ...], position: str | None, last: bool) -> None:
        rows = []
        for event in events:
            ticket_id = event.get("ticket_id")
            if ticket_id is None:
                raise RecordError("ticket event without ticket_id")
            for merged in comment_events(event):
                comment_id = merged.get("id")
                if comment_id is None:
                    raise RecordError(f"ticket {ticket_id}: a comment event without id")
                created = convert.parse_time(merged.get("created_at"))
                payload = zlib.compress(json.dumps(merged, separators=(",", ":")).encode(), 6)
                rows.append((str(comment_id), str(ticket_id), created.timestamp(), payload))
        with self._lock, self._db:
            self._db.execute("BEGIN")
            before = self._db.total_changes
            self._db.executemany(
                "INSERT INTO comments VALUES (?, ?, ?, ?) ON CONFLICT (comment_id) DO NOTHING",
                rows,
            )
            self.duplicates += len(rows) - (self._db.total_changes - before)
            if position is not None:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('position', ?)", (position,))
                covered = int(position) if last else int(position) - 1
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('covered_until', ?)", (str(covered),)
                )

    # -- answering the source --------------------------------------------------------------

    def comments_for(self, ticket_id: str | int) -> list[Comment]:
        """The ticket's comments in the spool, oldest first (ties in export order)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT payload FROM comments WHERE ticket_id = ? ORDER BY created_ts, rowid",
                (str(ticket_id),),
            ).fetchall()
        return [convert.comment_from_event(json.loads(zlib.decompress(p))) for (p,) in rows]

    def ticket_ids(self) -> Iterator[str]:
        """Every ticket with comments in the spool, whether or not the ticket stream names it."""
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT DISTINCT ticket_id FROM comments")]
        yield from ids

    def spool_bytes(self) -> int:
        """Size of the spool on disk (database and write-ahead log)."""
        total = 0
        for suffix in ("", "-wal"):
            path = Path(f"{self.path}{suffix}")
            if path.exists():
                total += path.stat().st_size
        return total

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the spool; a temporary one is deleted."""
        with self._lock:
            self._db.close()
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def __enter__(self) -> EventComments:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
