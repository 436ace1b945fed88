"""The in-process "service" behind the memory target: records in SQLite (a file or memory).

A file-backed store outlives the process that writes to it, so a copier can be killed with
SIGKILL and resumed against it, as against a real platform.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from os import PathLike
from typing import Any

import attrs

from cemigrate.adapters.memory.faults import SimulatedCrash

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    target_id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id TEXT NOT NULL,
    data TEXT NOT NULL,
    extra TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_external ON records (kind, external_id);
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
"""


@attrs.frozen
class StoredRecord:
    """One record as the target holds it: its id, the external id and the stored data (the
    record's fields, its resolved ``links`` and, for tickets, ``stored_attachments``)."""

    kind: str
    target_id: str
    external_id: str
    data: dict[str, Any]


class MemoryStore:
    """Records by kind, with target ids and external ids; no uniqueness on external ids
    (like an import endpoint), so a copier that sends twice creates a duplicate."""

    def __init__(self, path: str | PathLike[str] = ":memory:") -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def transaction(self) -> _Transaction:
        """One atomic unit of writes (a platform call)."""
        return _Transaction(self)

    def insert(self, kind: str, external_id: str, data: str, extra: dict[str, Any]) -> str:
        """Store a new record (its fields as JSON text, and what the target added); returns
        its target id."""
        cursor = self._conn.execute(
            "INSERT INTO records (kind, external_id, data, extra) VALUES (?, ?, ?, ?)",
            (kind, external_id, data, json.dumps(extra, ensure_ascii=False)),
        )
        return str(cursor.lastrowid)

    def replace(self, kind: str, target_id: str, data: str, extra: dict[str, Any]) -> bool:
        """Replace a record's content; False when there is no such record."""
        cursor = self._conn.execute(
            "UPDATE records SET data = ?, extra = ? WHERE kind = ? AND target_id = ?",
            (data, json.dumps(extra, ensure_ascii=False), kind, int(target_id)),
        )
        return cursor.rowcount == 1

    def find(self, kind: str, external_ids: Sequence[str]) -> dict[str, str]:
        """Target ids by external id (the first stored, when there are duplicates)."""
        found: dict[str, str] = {}
        for start in range(0, len(external_ids), 500):
            chunk = list(external_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT external_id, MIN(target_id) FROM records WHERE kind = ?"
                f" AND external_id IN ({marks}) GROUP BY external_id",
                [kind, *chunk],
            )
            found.update((external_id, str(target_id)) for external_id, target_id in rows)
        return found

    def delete(self, kind: str, target_ids: Sequence[str]) -> None:
        """Delete records by target id."""
        self._conn.executemany(
            "DELETE FROM records WHERE kind = ? AND target_id = ?",
            [(kind, int(t)) for t in target_ids],
        )

    def put_file(self, sha256: str, data: bytes) -> None:
        """Keep an attachment's bytes by their SHA-256 (once per content)."""
        self._conn.execute(
            "INSERT OR IGNORE INTO files (sha256, data) VALUES (?, ?)", (sha256, data)
        )

    def file(self, sha256: str) -> bytes | None:
        """The bytes kept with this SHA-256, or None."""
        row = self._conn.execute("SELECT data FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])

    def records(self, kind: str) -> Iterator[StoredRecord]:
        """Every stored record of a kind, in target id order."""
        rows = self._conn.execute(
            "SELECT target_id, external_id, data, extra FROM records WHERE kind = ?"
            " ORDER BY target_id",
            (kind,),
        )
        for target_id, external_id, data, extra in rows:
            yield StoredRecord(
                kind, str(target_id), external_id, json.loads(data) | json.loads(extra)
            )

    def count(self, kind: str | None = None) -> int:
        """How many records are stored (of one kind, or in all)."""
        if kind is None:
            row = self._conn.execute("SELECT COUNT(*) FROM records").fetchone()
        else:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM records WHERE kind = ?", (kind,)
            ).fetchone()
        return int(row[0])


class _Transaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def __enter__(self) -> MemoryStore:
        self._store._lock.acquire()
        self._store._conn.execute("BEGIN")
        return self._store

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            # A simulated crash still commits what was persisted before it: that is the point.
            if exc is None or isinstance(exc, SimulatedCrash):
                self._store._conn.execute("COMMIT")
            else:
                self._store._conn.execute("ROLLBACK")
        finally:
            self._store._lock.release()
