"""The ledger's versioned schema: the migrations, and the checks made before a file is touched.

``MIGRATIONS[n - 1]`` takes a ledger from version ``n - 1`` to ``n``. A migration is never
edited once released; a change to the schema is a new function appended to the list.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import Final

from sqlite_utils import Database

from cemigrate.errors import LedgerError, LedgerVersionError, NotALedgerError

SQLITE_HEADER: Final = b"SQLite format 3\x00"

#: The ``ledger_meta`` row that marks a file as a cemigrate ledger.
MARKER_KEY: Final = "format"
MARKER: Final = "cemigrate-ledger"
VERSION_KEY: Final = "schema_version"
#: ``<seq>:<hash>`` of the last journal row, so a truncated or extended journal is noticed.
HEAD_KEY: Final = "journal_head"

Migration = Callable[[Database], None]


def _v1_create(db: Database) -> None:
    db.create_table("ledger_meta", {"key": str, "value": str}, pk="key", not_null={"value"})
    db.execute("INSERT INTO ledger_meta (key, value) VALUES (?, ?)", (MARKER_KEY, MARKER))
    db.create_table(
        "runs",
        {
            "id": int,
            "mode": str,
            "status": str,
            "started_at": str,
            "finished_at": str,
            "plan_digest": str,
        },
        pk="id",
        not_null={"mode", "status", "started_at", "plan_digest"},
    )
    db.create_table(
        "cursors",
        {"instance": str, "stream": str, "cursor": str, "updated_at": str},
        pk=("instance", "stream"),
        not_null={"instance", "stream", "updated_at"},
    )
    id_map = db.create_table(
        "id_map",
        {
            "key": str,
            "instance": str,
            "kind": str,
            "source_id": str,
            "target_id": str,
            "content_hash": str,
            "pending_hash": str,
            "state": str,
            "attempts": int,
            "match_key": str,
            "first_at": str,
            "updated_at": str,
            "run_id": int,
        },
        pk="key",
        not_null={"instance", "kind", "source_id", "state", "attempts", "first_at", "updated_at"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    id_map.create_index(["kind", "state"], index_name="id_map_kind_state")
    id_map.create_index(["kind", "match_key"], index_name="id_map_kind_match_key")
    failures = db.create_table(
        "failures",
        {
            "id": int,
            "run_id": int,
            "key": str,
            "kind": str,
            "reason": str,
            "platform_message": str,
            "at": str,
        },
        pk="id",
        not_null={"run_id", "key", "kind", "reason", "platform_message", "at"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    failures.create_index(["key"], index_name="failures_key")
    db.create_table(
        "journal",
        {
            "seq": int,
            "run_id": int,
            "kind": str,
            "key": str,
            "target_id": str,
            "action": str,
            "at": str,
            "prev_hash": str,
            "hash": str,
        },
        pk="seq",
        not_null={"run_id", "kind", "key", "action", "at", "prev_hash", "hash"},
        foreign_keys=[("run_id", "runs", "id")],
    )


def _v2_accounts(db: Database) -> None:
    """Version 2: the account each side of the migration is (a renamed instance or a
    different target is refused against it)."""
    db.create_table(
        "accounts",
        {"side": str, "instance": str, "platform": str, "account": str, "recorded_at": str},
        pk=("side", "instance"),
        not_null={"side", "instance", "platform", "account", "recorded_at"},
    )


def _v3_progress(db: Database) -> None:
    """Version 3: what a running migration tells another process watching it (``cemigrate
    status --watch``): one row per run, rewritten every few seconds, holding counters only
    (records settled, calls spent per budget, the budgets' ceilings, totals known)."""
    db.create_table(
        "progress",
        {"run_id": int, "at": str, "snapshot": str},
        pk="run_id",
        not_null={"at", "snapshot"},
        foreign_keys=[("run_id", "runs", "id")],
    )


MIGRATIONS: Final[Sequence[Migration]] = (_v1_create, _v2_accounts, _v3_progress)


def check_header(path: str) -> None:
    """Refuse a path that exists but is not an SQLite database, without opening it for writing."""
    if path == ":memory:" or not os.path.exists(path):
        return
    if os.path.isdir(path):
        raise NotALedgerError(f"{path}: is a directory, not a ledger file")
    try:
        with open(path, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise LedgerError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    # SQLite itself treats an empty file as an empty database.
    if header and header != SQLITE_HEADER:
        raise NotALedgerError(f"{path}: not an SQLite database, so not a cemigrate ledger")


def stored_version(conn: sqlite3.Connection, path: str, highest: int) -> int:
    """The schema version of an opened file: 0 when it is new, else its ledger version.

    Only reads; raises NotALedgerError or LedgerVersionError without changing anything.
    """
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise NotALedgerError(f"{path}: not a readable SQLite database ({exc})") from exc
    if not tables and user_version == 0:
        return 0
    if "ledger_meta" not in tables:
        raise NotALedgerError(f"{path}: an SQLite database, but not a cemigrate ledger")
    meta = dict(conn.execute("SELECT key, value FROM ledger_meta").fetchall())
    if meta.get(MARKER_KEY) != MARKER:
        raise NotALedgerError(f"{path}: an SQLite database, but not a cemigrate ledger")
    try:
        meta_version = int(meta.get(VERSION_KEY, ""))
    except ValueError:
        raise LedgerError(f"{path}: the ledger's schema version is unreadable") from None
    version = max(meta_version, user_version)
    if version > highest:
        raise LedgerVersionError(
            f"{path}: ledger schema version {version} was written by a newer cemigrate; "
            f"this one reads up to version {highest}"
        )
    if meta_version != user_version:
        raise LedgerError(
            f"{path}: the ledger's schema version is inconsistent "
            f"(ledger_meta says {meta_version}, user_version says {user_version})"
        )
    return version


def apply_migrations(db: Database, current: int, migrations: Sequence[Migration]) -> int:
    """Apply ``migrations[current:]`` one transaction each, bumping the version; return it."""
    conn = db.conn
    for version, migration in enumerate(migrations[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration(db)
            conn.execute(
                "INSERT INTO ledger_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (VERSION_KEY, str(version)),
            )
            conn.execute(f"PRAGMA user_version = {version:d}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(migrations) if len(migrations) > current else current
