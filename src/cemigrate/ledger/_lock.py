"""The run lock: one command at a time writes a ledger.

An operating-system lock (``filelock``: ``fcntl`` on Unix, ``msvcrt`` on Windows) on
``<ledger>.lock``, taken before the ledger is opened and held until it is closed. The system
releases it when the process dies, so the lock of a killed run is taken over by the next one
with no stale-lock guessing. Beside it, ``<ledger>.lock.holder`` says who holds it (process
id, host, since when), so a second command can name the holder in its one-line refusal.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import filelock

from cemigrate.errors import LedgerError

__all__ = ["LedgerBusy", "RunLock"]


class LedgerBusy(LedgerError):
    """Another live process holds the ledger's run lock."""


class RunLock:
    """The run lock of the ledger at ``path`` (not yet taken)."""

    def __init__(self, path: str) -> None:
        self.path = Path(f"{path}.lock")
        self.holder = Path(f"{path}.lock.holder")
        self._lock = filelock.FileLock(self.path, timeout=0)

    def acquire(self) -> None:
        """Take the lock at once, or raise :class:`LedgerBusy` naming the live holder."""
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise LedgerBusy(
                f"{self.path.with_suffix('')}: in use by {self._who()}; wait for it to finish"
                " (or stop it) before running another command on this ledger"
            ) from None
        except OSError as exc:
            raise LedgerError(f"{self.path}: cannot take the run lock: {exc.strerror}") from exc
        started = datetime.now(UTC).isoformat(timespec="seconds")
        facts = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        # Without its note the lock still holds; a refused command then names no holder.
        with contextlib.suppress(OSError):
            self.holder.write_text(json.dumps(facts), encoding="utf-8")

    def release(self) -> None:
        """Let go of the lock (and remove the holder's note)."""
        if self._lock.is_locked:
            self.holder.unlink(missing_ok=True)
            self._lock.release()

    def _who(self) -> str:
        try:
            facts = json.loads(self.holder.read_text(encoding="utf-8"))
            return f"process {facts['pid']} on {facts['host']} since {facts['started']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"
