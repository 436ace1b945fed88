"""The ledger: an SQLite checkpoint store that makes resuming a run safe.

The copier's write protocol, per batch: ``mark_pending`` (one transaction), send, then
``record_outcomes`` (one transaction: id_map, failures and journal together), then advance the
cursor. Every hot path is one ``executemany`` per table inside one transaction.

A fault of the file itself (a full disk, read-only media, corrupted pages) is a
:class:`~cemigrate.errors.LedgerError` naming the file and the cause, raised by whichever
method met it; the transaction it interrupted is rolled back, so the ledger is as it was after
the last step that committed, and a run stopped so continues with ``--resume``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import ClassVar, Concatenate, Final, ParamSpec, Self, TypeVar

from sqlite_utils import Database

from cemigrate.errors import LedgerError, LedgerFull, no_space
from cemigrate.ledger._journal import GENESIS, row_hash, verify
from cemigrate.ledger._lock import RunLock
from cemigrate.ledger._records import (
    ACTIONS,
    Entry,
    EntryState,
    FailureRow,
    JournalRow,
    Outcome,
    PendingEntry,
    RunInfo,
    SideAccount,
)
from cemigrate.ledger._schema import (
    HEAD_KEY,
    MIGRATIONS,
    apply_migrations,
    check_header,
    stored_version,
)

#: Keys per ``IN (...)`` list: under SQLite's oldest default limit of 999 bound variables.
_CHUNK: Final = 900
#: Rows fetched at a time while streaming.
_PAGE: Final = 500
_RUN_STATUSES: Final = frozenset({"completed", "interrupted", "failed"})

_ENTRY_COLUMNS: Final = (
    "key, instance, kind, source_id, target_id, content_hash, state, attempts, match_key, "
    "updated_at"
)

_MARK_PENDING: Final = """
INSERT INTO id_map (key, instance, kind, source_id, target_id, content_hash, pending_hash,
                    state, attempts, match_key, first_at, updated_at, run_id)
VALUES (?, ?, ?, ?, NULL, NULL, ?, 'pending', 1, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    pending_hash = excluded.pending_hash,
    state = 'pending',
    attempts = id_map.attempts + 1,
    match_key = coalesce(excluded.match_key, id_map.match_key),
    updated_at = excluded.updated_at,
    run_id = excluded.run_id
"""

# A DONE outcome promotes the pending hash unless it names its own; a FAILED one (whose hash is
# always passed as NULL) keeps what the target already had.
_RECORD_OUTCOME: Final = """
INSERT INTO id_map (key, instance, kind, source_id, target_id, content_hash, pending_hash,
                    state, attempts, match_key, first_at, updated_at, run_id)
VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 0, NULL, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    target_id = coalesce(excluded.target_id, id_map.target_id),
    content_hash = coalesce(
        excluded.content_hash,
        CASE WHEN excluded.state = 'done' THEN id_map.pending_hash END,
        id_map.content_hash
    ),
    pending_hash = NULL,
    state = excluded.state,
    updated_at = excluded.updated_at,
    run_id = excluded.run_id
"""

_INSERT_FAILURE: Final = """
INSERT INTO failures (run_id, key, kind, reason, platform_message, at) VALUES (?, ?, ?, ?, ?, ?)
"""

_APPEND_JOURNAL: Final = """
INSERT INTO journal (seq, run_id, kind, key, target_id, action, at, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

_MASK_KEY: Final = "mask_check"
"""The ``ledger_meta`` row of a masked rehearsal's ledger."""

_SET_META: Final = """
INSERT INTO ledger_meta (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _entry(row: tuple[object, ...]) -> Entry:
    key, instance, kind, source_id, target_id, content_hash, state, attempts, match_key, at = row
    return Entry(
        key=str(key),
        instance=str(instance),
        kind=str(kind),
        source_id=str(source_id),
        target_id=None if target_id is None else str(target_id),
        content_hash=None if content_hash is None else str(content_hash),
        state=EntryState(str(state)),
        attempts=int(str(attempts)),
        match_key=None if match_key is None else str(match_key),
        updated_at=_parse_time(str(at)),
    )


def _run(row: tuple[object, ...]) -> RunInfo:
    run_id, mode, status, started_at, finished_at, plan_digest = row
    return RunInfo(
        id=int(str(run_id)),
        mode=str(mode),
        status=str(status),
        started_at=_parse_time(str(started_at)),
        finished_at=None if finished_at is None else _parse_time(str(finished_at)),
        plan_digest=str(plan_digest),
    )


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


#: What SQLite says of a file it cannot use, and what that means for the person reading it.
_FAULTS: Final = (
    ("database or disk is full", "the disk is full", "free some space"),
    ("readonly database", "it cannot be written (read-only media?)", "make it writable"),
    ("unable to open database file", "it or its journal cannot be created", "check the folder"),
    ("disk image is malformed", "the file is damaged", "restore it from a backup"),
    ("file is not a database", "the file is damaged", "restore it from a backup"),
    ("disk i/o error", "the disk failed to read or write it", "check the disk"),
)


def ledger_fault(path: str, error: sqlite3.Error) -> LedgerError:
    """The one-line :class:`LedgerError` for an SQLite error met on the ledger at ``path``."""
    said = str(error)
    for words, cause, remedy in _FAULTS:
        if words in said.lower():
            fault = LedgerFull if no_space(error) else LedgerError
            return fault(
                f"{path}: {cause} (SQLite: {said}); the step it stopped was rolled back:"
                f" {remedy}, then continue with --resume"
            )
    return LedgerError(f"{path}: SQLite error: {said}; the step it stopped was rolled back")


def _can_open(conn: sqlite3.Connection) -> None:
    """Raise SQLite's own error for a file it cannot open (read-only media, no journal):
    the first statement opens the file, and a fault is not a verdict on what it holds."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if "unable to open" in str(exc) or "readonly" in str(exc):
            raise
    except sqlite3.DatabaseError:
        pass  # not a database: stored_version says so


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _guarded(
    method: Callable[Concatenate[Ledger, _P], _T],
) -> Callable[Concatenate[Ledger, _P], _T]:
    """A method whose SQLite errors become a one-line :func:`ledger_fault`."""

    @functools.wraps(method)
    def guarded(self: Ledger, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise ledger_fault(self.path, exc) from exc

    return guarded


def _guarded_rows(
    method: Callable[Concatenate[Ledger, _P], Iterator[_T]],
) -> Callable[Concatenate[Ledger, _P], Iterator[_T]]:
    """:func:`_guarded` for a method that streams (a page may fail to read mid-way)."""

    @functools.wraps(method)
    def guarded(self: Ledger, /, *args: _P.args, **kwargs: _P.kwargs) -> Iterator[_T]:
        try:
            yield from method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise ledger_fault(self.path, exc) from exc

    return guarded


class Ledger:
    """The checkpoint store of one migration: runs, cursors, the id map, failures, the journal.

    Open it with :meth:`Ledger.open`. It holds keys, ids, hashes, states, reasons and platform
    messages only: never credentials, never ticket or comment bodies. It is used from one thread
    at a time, but may be opened in one thread and used in another.
    """

    SCHEMA_VERSION: ClassVar[int] = len(MIGRATIONS)
    """The newest schema version this cemigrate reads and writes."""

    path: str
    """The file the ledger lives in (``:memory:`` for an in-memory one)."""

    on_connect: ClassVar[Callable[[sqlite3.Connection], None] | None] = None
    """For tests only: called with each writable connection once its schema is up to date,
    to inject a fault SQLite can make for real (``PRAGMA max_page_count`` fills the "disk")."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: str,
        now: Callable[[], datetime],
        lock: RunLock | None = None,
    ) -> None:
        """Wrap an opened, migrated connection; use :meth:`Ledger.open` instead."""
        self._conn = conn
        self.path = path
        self._now = now
        self._lock = lock
        # The chain's tail, kept in memory so an append needs no query.
        self._last_seq, self._last_hash = self._journal_tail()

    @property
    def journal_seq(self) -> int:
        """The journal's last sequence number: it moves whenever this ledger records anything
        about a key (outcomes, events, forgetting), not when keys are marked pending."""
        return self._last_seq

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        now: Callable[[], datetime] | None = None,
        exclusive: bool = False,
        read_only: bool = False,
    ) -> Ledger:
        """Open the ledger at ``path``, creating or migrating it; ``:memory:`` is allowed.

        Raises NotALedgerError for a file that is not SQLite or not a ledger, and
        LedgerVersionError for a ledger written by a newer cemigrate; neither touches the file.
        ``now`` (timezone-aware) is the clock, injectable for tests. ``exclusive`` takes the
        run lock first (:class:`~cemigrate.ledger.RunLock`), held until :meth:`close`: a
        command that writes the ledger opens it so, and one beside a live holder gets
        :class:`~cemigrate.ledger.LedgerBusy` before anything is touched. ``read_only``
        opens an existing ledger for reading only (``cemigrate status``): nothing is created,
        migrated or locked, so it works on read-only media beside a live run.
        """
        where = os.fspath(path)
        if read_only:
            return cls._connect_read_only(where, now)
        lock = RunLock(where) if exclusive and where != ":memory:" else None
        if lock is not None:
            lock.acquire()
        try:
            return cls._connect(where, now, lock)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    @classmethod
    def _connect(
        cls, where: str, now: Callable[[], datetime] | None, lock: RunLock | None
    ) -> Ledger:
        check_header(where)
        try:
            conn = sqlite3.connect(where, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(f"{where}: cannot be opened: {exc}") from exc
        try:
            _can_open(conn)
            # Read-only checks first: a file we refuse is left byte for byte as it was.
            version = stored_version(conn, where, cls.SCHEMA_VERSION)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            apply_migrations(Database(conn), version, MIGRATIONS)
            if cls.on_connect is not None:
                cls.on_connect(conn)
            return cls(conn, where, now or _utc_now, lock)
        except sqlite3.Error as exc:
            conn.close()
            raise ledger_fault(where, exc) from exc
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _connect_read_only(cls, where: str, now: Callable[[], datetime] | None) -> Ledger:
        if where == ":memory:" or not os.path.isfile(where):
            raise LedgerError(f"{where}: no ledger there (nothing has run)")
        check_header(where)
        uri = f"file:{urllib.parse.quote(os.path.abspath(where))}?mode=ro"
        # Without a write-ahead log (no writer is live, the last one closed it) the file is
        # read as it stands, and nothing is created beside it. With one, SQLite needs its
        # shared-memory file to read the log too; on read-only media where none can be made,
        # the file is read as it stands after all (what was checkpointed into it).
        immutable = f"{uri}&immutable=1"
        try:
            if not os.path.exists(f"{where}-wal"):
                return cls._reader(immutable, where, now)
            try:
                return cls._reader(uri, where, now)
            except sqlite3.OperationalError as exc:
                if "unable to open" not in str(exc):
                    raise
                return cls._reader(immutable, where, now)
        except sqlite3.Error as exc:
            raise ledger_fault(where, exc) from exc

    @classmethod
    def _reader(cls, uri: str, where: str, now: Callable[[], datetime] | None) -> Ledger:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        try:
            _can_open(conn)
            if stored_version(conn, where, cls.SCHEMA_VERSION) < cls.SCHEMA_VERSION:
                raise LedgerError(f"{where}: an empty or older ledger: nothing to read yet")
            return cls(conn, where, now or _utc_now)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        """Close the connection.

        A commit survives a crash of the process; a power cut may undo the last few commits
        (synchronous=NORMAL), which leaves their keys pending for ``target.find``, never half done.
        The run lock, if held, is let go after.
        """
        try:
            self._conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Self:
        """Use the ledger in a ``with`` block; it is closed at the end."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the ledger."""
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, rolled back on any error."""
        conn = self._conn
        # IMMEDIATE takes the write lock up front, so reads made inside stay valid until COMMIT.
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk does, for one).
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise ledger_fault(self.path, exc) from exc

    def _stamp(self) -> str:
        moment = self._now()
        if moment.utcoffset() is None:
            raise ValueError("the ledger's clock must return timezone-aware datetimes")
        return moment.astimezone(UTC).isoformat(timespec="microseconds")

    def _journal_tail(self) -> tuple[int, str]:
        row = self._conn.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def _select_in(self, columns: str, keys: Sequence[str]) -> Iterator[tuple[object, ...]]:
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            sql = f"SELECT {columns} FROM id_map WHERE key IN ({_placeholders(len(chunk))})"
            yield from self._conn.execute(sql, chunk)

    # -- runs -----------------------------------------------------------------------------------

    @_guarded
    def start_run(self, mode: str, plan_digest: str) -> int:
        """Record the start of a run (status ``running``) and return its id."""
        cursor = self._conn.execute(
            "INSERT INTO runs (mode, status, started_at, finished_at, plan_digest) "
            "VALUES (?, 'running', ?, NULL, ?)",
            (mode, self._stamp(), plan_digest),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @_guarded
    def finish_run(self, run_id: int, status: str) -> None:
        """Record how a run ended: ``completed``, ``interrupted`` or ``failed``."""
        if status not in _RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {sorted(_RUN_STATUSES)}")
        cursor = self._conn.execute(
            "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
            (status, self._stamp(), run_id),
        )
        if cursor.rowcount != 1:
            raise ValueError(f"{self.path}: there is no run {run_id}")

    @_guarded
    def last_run(self) -> RunInfo | None:
        """The most recently started run, or ``None`` before the first."""
        row = self._conn.execute(
            "SELECT id, mode, status, started_at, finished_at, plan_digest "
            "FROM runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _run(row)

    @_guarded
    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        rows = self._conn.execute(
            "SELECT id, mode, status, started_at, finished_at, plan_digest FROM runs ORDER BY id"
        )
        return [_run(row) for row in rows]

    # -- cursors --------------------------------------------------------------------------------

    @_guarded
    def get_cursor(self, instance: str, stream: str) -> str | None:
        """The stored cursor of one source instance and stream, or ``None``."""
        row = self._conn.execute(
            "SELECT cursor FROM cursors WHERE instance = ? AND stream = ?", (instance, stream)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return str(row[0])

    @_guarded
    def set_cursor(self, instance: str, stream: str, cursor: str | None) -> None:
        """Store the cursor of one source instance and stream (``None`` starts it over)."""
        self._conn.execute(
            "INSERT INTO cursors (instance, stream, cursor, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (instance, stream) DO UPDATE "
            "SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            (instance, stream, cursor, self._stamp()),
        )

    @_guarded
    def cursors(self) -> dict[tuple[str, str], str | None]:
        """Every stored cursor, by (instance, stream)."""
        rows = self._conn.execute(
            "SELECT instance, stream, cursor FROM cursors ORDER BY instance, stream"
        )
        return {(instance, stream): cursor for instance, stream, cursor in rows}

    # -- id map ---------------------------------------------------------------------------------

    @_guarded
    def lookup(self, keys: Sequence[str]) -> dict[str, Entry]:
        """The entries of those keys that have one, in one query per 900 keys."""
        entries = (_entry(row) for row in self._select_in(_ENTRY_COLUMNS, keys))
        return {entry.key: entry for entry in entries}

    @_guarded
    def states(self, keys: Sequence[str]) -> dict[str, tuple[EntryState, str | None]]:
        """``key → (state, target id)`` of those keys that have an entry: what linking a batch
        needs, without building whole entries (one query per 900 keys)."""
        return {
            str(key): (EntryState(str(state)), None if target is None else str(target))
            for key, state, target in self._select_in("key, state, target_id", keys)
        }

    def mark_pending(self, run_id: int, entries: Sequence[PendingEntry]) -> None:
        """Mark keys pending before they are sent, in one transaction.

        Each key's attempts grow by one; an existing target id and content hash are kept (the
        hash being sent waits in ``pending_hash`` until the outcome is recorded).
        """
        if not entries:
            return
        with self._transaction() as conn:
            at = self._stamp()
            conn.executemany(
                _MARK_PENDING,
                [
                    (
                        e.key,
                        e.instance,
                        e.kind,
                        e.source_id,
                        e.content_hash,
                        e.match_key,
                        at,
                        at,
                        run_id,
                    )
                    for e in entries
                ],
            )

    def record_outcomes(self, run_id: int, outcomes: Sequence[Outcome]) -> None:
        """Record what happened to keys, in one transaction.

        Updates their id_map rows, adds a failure row for each FAILED outcome and appends one
        journal row per outcome. A key without an id_map row needs its outcome's kind,
        instance and source_id.
        """
        if not outcomes:
            return
        with self._transaction() as conn:
            at = self._stamp()
            known: dict[str, tuple[str, str | None]] = {
                str(key): (str(kind), None if target is None else str(target))
                for key, kind, target in self._select_in(
                    "key, kind, target_id", [o.key for o in outcomes]
                )
            }
            id_rows, failure_rows, events = [], [], []
            for o in outcomes:
                stored = known.get(o.key)
                if stored is None:
                    if not o.kind:
                        raise ValueError(
                            f"outcome for {o.key!r}: the key has no id_map row yet, "
                            "so the outcome must name its kind, instance and source_id"
                        )
                    kind, target_id = o.kind, o.target_id
                else:
                    kind = stored[0]
                    target_id = stored[1] if o.target_id is None else o.target_id
                known[o.key] = (kind, target_id)
                failed = o.state is EntryState.FAILED
                id_rows.append(
                    (
                        o.key,
                        o.instance,
                        kind,
                        o.source_id,
                        o.target_id,
                        None if failed else o.content_hash,
                        o.state.value,
                        at,
                        at,
                        run_id,
                    )
                )
                if failed:
                    failure_rows.append((run_id, o.key, kind, o.reason, o.platform_message, at))
                events.append((kind, o.key, target_id, o.action))
            conn.executemany(_RECORD_OUTCOME, id_rows)
            if failure_rows:
                conn.executemany(_INSERT_FAILURE, failure_rows)
            tail = self._append_journal(conn, run_id, at, events)
        # Only once committed does the chain's tail move on.
        self._last_seq, self._last_hash = tail

    def record_events(
        self, run_id: int, events: Sequence[tuple[str, str, str | None, str]]
    ) -> None:
        """Append journal rows for things done to records already in the target, in one
        transaction, leaving their id_map rows as they are.

        Each event is ``(kind, key, target_id, action)``, e.g. a rule switched on after cutover
        (``activated``). The rows join the same hash chain as the outcomes'. An action the write
        protocol uses (``created``, ``failed``, ...) is refused: those go through
        :meth:`record_outcomes`.
        """
        if not events:
            return
        for _, key, _, action in events:
            if action in ACTIONS:
                raise ValueError(
                    f"event for {key!r}: {action!r} is an outcome; record it with record_outcomes"
                )
        with self._transaction() as conn:
            tail = self._append_journal(conn, run_id, self._stamp(), events)
        self._last_seq, self._last_hash = tail

    def forget(self, run_id: int, rows: Sequence[tuple[str, str, str | None, str]]) -> None:
        """Remove the id_map rows of keys whose records a rollback deleted from the target,
        and journal each, in one transaction: a later run finds no row and creates them
        again. Each row is ``(kind, key, target_id, action)`` (``rolled_back``); the
        journal keeps what ever happened to the key."""
        if not rows:
            return
        for _, key, _, action in rows:
            if action in ACTIONS:
                raise ValueError(f"forget {key!r}: {action!r} is an outcome, not a removal")
        with self._transaction() as conn:
            conn.executemany("DELETE FROM id_map WHERE key = ?", [(row[1],) for row in rows])
            tail = self._append_journal(conn, run_id, self._stamp(), rows)
        self._last_seq, self._last_hash = tail

    def _append_journal(
        self,
        conn: sqlite3.Connection,
        run_id: int,
        at: str,
        events: Sequence[tuple[str, str, str | None, str]],
    ) -> tuple[int, str]:
        """Append ``(kind, key, target_id, action)`` rows to the hash chain inside the
        caller's transaction, and move the chain's head; the new tail, which the caller keeps
        only once the transaction has committed."""
        rows = []
        seq, prev = self._last_seq, self._last_hash
        for kind, key, target_id, action in events:
            seq += 1
            digest = row_hash(prev, seq, run_id, kind, key, target_id, action, at)
            rows.append((seq, run_id, kind, key, target_id, action, at, prev, digest))
            prev = digest
        conn.executemany(_APPEND_JOURNAL, rows)
        conn.execute(_SET_META, (HEAD_KEY, f"{seq}:{prev}"))
        return seq, prev

    @_guarded
    def clear_cursors(self) -> None:
        """Start every stream over: the next run reads each source from the beginning (after
        a rollback, so that what was deleted is read, and created, again)."""
        self._conn.execute("DELETE FROM cursors")

    @_guarded_rows
    def entries(
        self,
        *,
        state: EntryState | None = None,
        kind: str | None = None,
        instance: str | None = None,
    ) -> Iterator[Entry]:
        """Stream the entries, ordered by key, optionally only one state, kind or instance."""
        clauses, params = [], []
        for column, value in (("state", state), ("kind", kind), ("instance", instance)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(str(value))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM id_map {where} ORDER BY key", params
        )
        while rows := cursor.fetchmany(_PAGE):
            yield from map(_entry, rows)

    @_guarded
    def find_match(self, kind: str, match_key: str) -> Entry | None:
        """A DONE entry of ``kind`` with ``match_key`` (e.g. the same user in another instance)."""
        row = self._conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM id_map "
            "WHERE kind = ? AND match_key = ? AND state = 'done' ORDER BY key LIMIT 1",
            (kind, match_key),
        ).fetchone()
        return None if row is None else _entry(row)

    @_guarded
    def counts(self) -> dict[str, dict[str, int]]:
        """Entries per kind and state; every state is present, zero when there is none."""
        result: dict[str, dict[str, int]] = {}
        rows = self._conn.execute(
            "SELECT kind, state, count(*) FROM id_map GROUP BY kind, state ORDER BY kind"
        )
        for kind, state, n in rows:
            result.setdefault(kind, {s.value: 0 for s in EntryState})[state] = n
        return result

    @_guarded
    def failures(self, *, kind: str | None = None, latest_only: bool = True) -> list[FailureRow]:
        """Failure rows, ordered by key then time.

        ``latest_only`` gives the keys that are failed now, each with its latest failure; without
        it, every failure ever recorded (the history, including keys done since).
        """
        params: list[str] = [] if kind is None else [kind]
        if latest_only:
            sql = (
                "SELECT f.key, f.kind, f.run_id, f.reason, f.platform_message, f.at "
                "FROM id_map AS m JOIN failures AS f "
                "ON f.id = (SELECT max(id) FROM failures WHERE key = m.key) "
                "WHERE m.state = 'failed'"
                + ("" if kind is None else " AND m.kind = ?")
                + " ORDER BY m.key"
            )
        else:
            sql = (
                "SELECT key, kind, run_id, reason, platform_message, at FROM failures"
                + ("" if kind is None else " WHERE kind = ?")
                + " ORDER BY key, id"
            )
        return [
            FailureRow(
                key=key,
                kind=row_kind,
                run_id=run_id,
                reason=reason,
                platform_message=message,
                at=_parse_time(at),
            )
            for key, row_kind, run_id, reason, message, at in self._conn.execute(sql, params)
        ]

    # -- progress -------------------------------------------------------------------------------

    @_guarded
    def record_progress(self, run_id: int, snapshot: str) -> None:
        """Store the latest progress snapshot of a run (a JSON text of counters only), replacing
        the previous one: what ``cemigrate status --watch`` reads from another process."""
        self._conn.execute(
            "INSERT INTO progress (run_id, at, snapshot) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id) DO UPDATE SET at = excluded.at, snapshot = excluded.snapshot",
            (run_id, self._stamp(), snapshot),
        )

    @_guarded
    def progress(self, run_id: int) -> str | None:
        """The latest progress snapshot stored for ``run_id`` (``None``: none yet)."""
        row = self._conn.execute(
            "SELECT snapshot FROM progress WHERE run_id = ?", (run_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    # -- accounts -------------------------------------------------------------------------------

    def accounts(self) -> list[SideAccount]:
        """The account of each side the ledger has recorded: sources by instance name, then
        the target; empty before the first run (and for a ledger older than the record)."""
        rows = self._conn.execute(
            "SELECT side, instance, platform, account, recorded_at FROM accounts"
            " ORDER BY side, instance"
        )
        return [
            SideAccount(
                side=str(side),
                instance=str(instance),
                platform=str(platform),
                account=str(account),
                recorded_at=_parse_time(str(at)),
            )
            for side, instance, platform, account, at in rows
        ]

    def record_accounts(
        self,
        run_id: int,
        accounts: Sequence[SideAccount],
        *,
        repointed: Sequence[SideAccount] = (),
    ) -> None:
        """Record the account of each side, in one transaction: a side already recorded is
        replaced, and a source row under another instance name with one of these accounts is
        removed (a deliberate re-point took its account over). Each of ``repointed`` is
        journalled (kind ``account``, action ``repointed``, its address as target id)."""
        if not accounts:
            return
        with self._transaction() as conn:
            at = self._stamp()
            for account in accounts:
                if account.side == "source" and account.account:
                    conn.execute(
                        "DELETE FROM accounts WHERE side = 'source' AND account = ?"
                        " AND instance != ?",
                        (account.account, account.instance),
                    )
            conn.executemany(
                "INSERT INTO accounts (side, instance, platform, account, recorded_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (side, instance) DO UPDATE SET"
                " platform = excluded.platform, account = excluded.account,"
                " recorded_at = excluded.recorded_at",
                [(a.side, a.instance, a.platform, a.account, at) for a in accounts],
            )
            seq, prev = self._last_seq, self._last_hash
            rows = []
            for account in repointed:
                seq += 1
                key, address = f"{account.side}:{account.instance}", account.account
                digest = row_hash(prev, seq, run_id, "account", key, address, "repointed", at)
                rows.append((seq, run_id, "account", key, address, "repointed", at, prev, digest))
                prev = digest
            if rows:
                conn.executemany(_APPEND_JOURNAL, rows)
                conn.execute(_SET_META, (HEAD_KEY, f"{seq}:{prev}"))
        self._last_seq, self._last_hash = seq, prev

    @_guarded
    def mask_check(self) -> str | None:
        """The check value of the mask a masked rehearsal's runs were written with
        (:meth:`cemigrate.mapping.Mask.check`, never the key), or None: runs unmasked."""
        row = self._conn.execute(
            "SELECT value FROM ledger_meta WHERE key = ?", (_MASK_KEY,)
        ).fetchone()
        return None if row is None else str(row[0])

    @_guarded
    def record_mask_check(self, check: str) -> None:
        """Record that this ledger's runs are a masked rehearsal's, under the mask ``check``
        identifies."""
        with self._transaction() as conn:
            conn.execute(_SET_META, (_MASK_KEY, check))

    def sample_done(self, kinds: Sequence[str], size: int) -> list[Entry]:
        """Up to ``size`` DONE entries with a target id, shared among ``kinds`` and spread
        over the order they were first recorded in (oldest to newest): what a run checks the
        target still holds. A few indexed look-ups, however large the ledger."""
        spans: dict[str, tuple[int, int, int]] = {}
        for kind in kinds:
            low, high, count = self._conn.execute(
                "SELECT min(rowid), max(rowid), count(*) FROM id_map"
                " WHERE kind = ? AND state = 'done'",
                (kind,),
            ).fetchone()
            if count:
                spans[kind] = (int(low), int(high), int(count))
        chosen: list[Entry] = []
        left = size
        # The smallest kinds first, so that what they cannot fill goes to the larger ones.
        ordered = sorted(spans.items(), key=lambda item: item[1][2])
        for index, (kind, (low, high, count)) in enumerate(ordered):
            share = min(count, left // (len(spans) - index))
            left -= share
            after = low - 1
            for n in range(share):
                # The start of the n-th of ``share`` equal stretches of the kind's rows, or the
                # row after the last one taken (rows of other kinds sit in between).
                at = max(low + n * (high - low + 1) // share, after + 1)
                row = self._conn.execute(
                    f"SELECT rowid, {_ENTRY_COLUMNS} FROM id_map WHERE kind = ?"
                    " AND state = 'done' AND rowid >= ? ORDER BY rowid LIMIT 1",
                    (kind, at),
                ).fetchone()
                if row is None:
                    break
                after = int(row[0])
                entry = _entry(row[1:])
                if entry.target_id is not None:
                    chosen.append(entry)
        return chosen

    # -- journal --------------------------------------------------------------------------------

    @_guarded_rows
    def journal(self) -> Iterator[JournalRow]:
        """Stream the journal in order (it is not verified here: see :meth:`verify_journal`)."""
        cursor = self._conn.execute(
            "SELECT seq, run_id, kind, key, target_id, action, at, prev_hash, hash "
            "FROM journal ORDER BY seq"
        )
        while rows := cursor.fetchmany(_PAGE):
            for seq, run_id, kind, key, target_id, action, at, prev_hash, digest in rows:
                yield JournalRow(
                    seq=seq,
                    run_id=run_id,
                    kind=kind,
                    key=key,
                    target_id=target_id,
                    action=action,
                    at=_parse_time(at),
                    prev_hash=prev_hash,
                    hash=digest,
                )

    @_guarded
    def verify_journal(self) -> int:
        """Check the journal's hash chain and return how many rows it has.

        Raises JournalBroken naming the first row that was edited, deleted or inserted.
        """
        row = self._conn.execute(
            "SELECT value FROM ledger_meta WHERE key = ?", (HEAD_KEY,)
        ).fetchone()
        head: tuple[int, str] | None = None
        if row is not None:
            seq_text, _, digest = str(row[0]).partition(":")
            with contextlib.suppress(ValueError):
                head = (int(seq_text), digest)
        cursor = self._conn.execute(
            "SELECT seq, run_id, kind, key, target_id, action, at, prev_hash, hash "
            "FROM journal ORDER BY seq"
        )

        def rows() -> Iterator[tuple[object, ...]]:
            while page := cursor.fetchmany(_PAGE):
                yield from page

        return verify(rows(), head, self.path)

    def size_bytes(self) -> int:
        """The ledger's size on disk: the database file plus its write-ahead log."""
        if self.path == ":memory:":
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
            return int(pages) * int(page_size)
        return sum(
            os.path.getsize(name)
            for name in (self.path, f"{self.path}-wal")
            if os.path.exists(name)
        )
