"""A time-based Zendesk export spooled on disk per ticket, for records that travel with tickets.

Zendesk's time-based exports (``ticket_events``, ``ticket_metric_events``) list an account's
history in time order, many tickets a page, where the per-ticket alternatives cost a call per
ticket. The price: items must be held until their ticket is read. :class:`ExportSpool` holds
them in an SQLite file (never in memory: an account may have millions of tickets), keyed by
item id so that the repeats of a time-based export (a page starts *at* the previous page's
``end_time``) are stored once; each page and its position are committed in one transaction, so
a spool on a path resumes after the last page stored. Subclasses say which items a page holds
(:meth:`ExportSpool._items`) and how to turn them into records.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from cemigrate.adapters.private import private_file
from cemigrate.adapters.zendesk.client import ZendeskClient
from cemigrate.adapters.zendesk.objects import Read
from cemigrate.errors import no_space, out_of_space

__all__ = ["ExportSpool", "SpoolItem"]

_END: Final = object()

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    ts REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_ticket ON items (ticket_id, ts);
CREATE INDEX IF NOT EXISTS items_by_time ON items (ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""

SpoolItem = tuple[str, str, float, dict[str, Any]]
"""``(item id, ticket id, unix time, payload)``: one item a page holds."""


class ExportSpool:
    """Items of every ticket, read from one time-based export into an SQLite spool.

    ``client`` reads the export (its budgets are spent); ``read`` is the object-table row of
    the export; ``spool`` is the SQLite file (when None, a temporary one in the process's
    private folder: :mod:`cemigrate.adapters.private`). Thread-safe: a reader
    thread may ask for a ticket's items while another fills the spool.
    """

    prefix = "cemigrate-spool-"

    def __init__(
        self, client: ZendeskClient, read: Read, *, spool: str | os.PathLike[str] | None = None
    ) -> None:
        self._read = read
        self._client = client
        self._temporary = spool is None
        if spool is None:  # in the process's private folder (mode 0700), removed at exit
            self.path = private_file(self.prefix, ".sqlite")
        else:
            self.path = Path(spool)
        self._lock = threading.Lock()
        self._reading = threading.RLock()
        """Held while pages are read: the copier's reader and writer threads may both ask."""
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._when_full():
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        self._pages: Iterator[str | None] | None = None
        self._ended = False
        self.pages_read = 0
        """Export pages read by this object (not counting pages of an earlier run)."""
        self.duplicates = 0
        """Items seen again (the export repeats items at page boundaries)."""

    @contextlib.contextmanager
    def _when_full(self) -> Iterator[None]:
        """A full disk under the spool (SQLite's "database or disk is full", ENOSPC) becomes
        one :class:`OutOfSpace` line naming the spool's folder; the page was rolled back."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            if not no_space(exc):
                raise
            name = self.prefix.removeprefix("cemigrate-").strip("-")
            raise out_of_space(f"the {name} export spool", self.path, exc) from exc

    def _items(self, record: dict[str, Any]) -> Iterable[SpoolItem]:
        """The items one export record holds (subclasses say)."""
        raise NotImplementedError

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
        """Unix time up to which every item of the window is in the spool (None: none yet).

        The last page's ``end_time`` once the export reached its end; before that, the second
        before it (a page may stop inside a second, which the next page repeats)."""
        with self._lock:
            value = self._meta("covered_until")
        return None if value is None else int(value)

    def covers(self, created_at: datetime, updated_at: datetime) -> bool:
        """Whether the spool holds *all* items of a ticket created and last changed then:
        created inside the window, last changed no later than :attr:`covered_until`."""
        start, until = self.started_at, self.covered_until
        if start is None or until is None:
            return False
        return created_at.timestamp() >= start and updated_at.timestamp() <= until

    def __len__(self) -> int:
        """Items in the spool."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

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
        interleave two time-ordered streams: before it emits a ticket, it advances the
        export to the ticket's last change, so the spool never runs far ahead of the tickets.
        Once the export has ended, it is not asked again (that would spend an export call per
        ticket): a ticket changed since then falls back to a per-ticket read, or :meth:`fill`
        polls the export again."""
        with self._reading:
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
        with self._reading:
            self._pages = None
            pages = sum(1 for _ in self.read(start_time))
            self._ended = True
            return pages

    def _store(self, records: tuple[dict[str, Any], ...], position: str | None, last: bool) -> None:
        rows = [
            (
                item_id,
                ticket_id,
                ts,
                zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6),
            )
            for record in records
            for item_id, ticket_id, ts, payload in self._items(record)
        ]
        with self._when_full(), self._lock, self._db:
            self._db.execute("BEGIN")
            before = self._db.total_changes
            self._db.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO NOTHING", rows
            )
            self.duplicates += len(rows) - (self._db.total_changes - before)
            if position is not None:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('position', ?)", (position,))
                covered = int(position) if last else int(position) - 1
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('covered_until', ?)", (str(covered),)
                )

    # -- answering the source --------------------------------------------------------------

    def payloads_for(self, ticket_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each ticket's items in the spool, oldest first (ties in export order)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(ticket_ids), 500):
            chunk = [str(t) for t in ticket_ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT ticket_id, payload FROM items WHERE ticket_id IN ({marks}) "
                    "ORDER BY ts, rowid",
                    chunk,
                ).fetchall()
            for ticket_id, payload in rows:
                found.setdefault(ticket_id, []).append(json.loads(zlib.decompress(payload)))
        return found

    def payloads_since(
        self, timestamp: float, *, size: int
    ) -> Iterator[list[tuple[float, dict[str, Any]]]]:
        """Every item at or after ``timestamp`` in time order, ``size`` at a time."""
        after: tuple[float, int] = (timestamp, -1)
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT ts, rowid, payload FROM items WHERE ts > ? OR (ts = ? AND rowid > ?) "
                    "ORDER BY ts, rowid LIMIT ?",
                    (after[0], after[0], after[1], size),
                ).fetchall()
            if not rows:
                return
            after = (rows[-1][0], rows[-1][1])
            yield [(ts, json.loads(zlib.decompress(payload))) for ts, _, payload in rows]

    def ticket_ids(self) -> Iterator[str]:
        """Every ticket with items in the spool, whether or not the ticket stream names it."""
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT DISTINCT ticket_id FROM items")]
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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
