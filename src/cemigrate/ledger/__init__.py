"""The ledger: the SQLite checkpoint store that makes a resumed run safe.

It records runs, per-stream cursors, the id map (source key to target id, content hash and
state), failures and an append-only, hash-chained journal. It never holds credentials or record
content: only keys, ids, hashes, states, reasons and platform messages. A command that writes
it holds its run lock (``Ledger.open(path, exclusive=True)``), so two never write it at once.
"""

from __future__ import annotations

from cemigrate.ledger._lock import LedgerBusy, RunLock
from cemigrate.ledger._records import (
    Entry,
    EntryState,
    FailureRow,
    JournalRow,
    Outcome,
    PendingEntry,
    RunInfo,
    SideAccount,
)
from cemigrate.ledger._store import Ledger

__all__ = [
    "Entry",
    "EntryState",
    "FailureRow",
    "JournalRow",
    "Ledger",
    "LedgerBusy",
    "Outcome",
    "PendingEntry",
    "RunInfo",
    "RunLock",
    "SideAccount",
]
