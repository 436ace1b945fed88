"""Errors, grouped by what the caller should do next.

::

    CemigrateError
    ├── ConfigError            fatal: fix the plan, the mapping or the environment, then run again
    │   ├── PlanError          a plan file is malformed (names file, line and key)
    │   ├── MappingError       a mapping file is missing or malformed
    │   └── CredentialError    an environment variable the plan names is not set
    ├── LedgerError            fatal: the ledger cannot be used as it is
    │   ├── LedgerFull         its disk is full (also an OutOfSpace: stop, resume later)
    │   ├── NotALedgerError    the file is not an SQLite database
    │   ├── LedgerVersionError the ledger was written by a newer cemigrate
    │   └── JournalBroken      the journal's hash chain does not verify
    ├── RecordError            skip the record: it becomes a failure row and the run goes on
    ├── TransientError         retry: the same call may succeed later
    │   └── RateLimited        the platform asked us to slow down (429, REQUEST_LIMIT_EXCEEDED)
    ├── QuotaExhausted         stop cleanly; ``resume`` continues when the quota is back
    ├── WriteOutcomeUnknown    stop cleanly; a write's answer was lost: ``resume`` settles it
    ├── OutOfSpace             stop cleanly; a disk filled up: free space, then ``resume``
    └── Interrupted            stop cleanly; the run was asked to stop (tests, signals)

Every message is meant for a person: one line that says what is wrong and where.
"""

from __future__ import annotations

import errno

__all__ = [
    "CemigrateError",
    "ConfigError",
    "CredentialError",
    "Interrupted",
    "JournalBroken",
    "LedgerError",
    "LedgerFull",
    "LedgerVersionError",
    "MappingError",
    "NotALedgerError",
    "OutOfSpace",
    "PlanError",
    "QuotaExhausted",
    "RateLimited",
    "RecordError",
    "TransientError",
    "WriteOutcomeUnknown",
]


class CemigrateError(Exception):
    """Base of every error cemigrate raises on purpose."""


class ConfigError(CemigrateError):
    """Something the user wrote or set is wrong; nothing was changed."""


class PlanError(ConfigError):
    """A plan file is malformed; the message names the file, the line and the key."""


class MappingError(ConfigError):
    """A mapping file is missing or malformed; the message names the file, line and key."""


class CredentialError(ConfigError):
    """An environment variable that a plan names for a credential is not set."""


class LedgerError(CemigrateError):
    """The ledger cannot be used; it was left as it was."""


class NotALedgerError(LedgerError):
    """The ledger path names a file that is not an SQLite database."""


class LedgerVersionError(LedgerError):
    """The ledger's schema is newer than this cemigrate understands."""


class JournalBroken(LedgerError):
    """The journal's hash chain does not verify: a row was edited, removed or inserted."""

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message)
        self.seq = seq
        """The first journal row whose hash does not match."""


class RecordError(CemigrateError):
    """One record cannot be written; it becomes a failure row and its neighbours go on.

    ``platform_message`` is the platform's own words (never record content).
    """

    def __init__(self, reason: str, *, platform_message: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.platform_message = platform_message


class TransientError(CemigrateError):
    """A call failed in a way that may pass: a 5xx, a dropped connection, a timeout."""


class RateLimited(TransientError):
    """The platform throttled the call; ``retry_after`` seconds is its own advice, if any."""

    def __init__(self, message: str, *, budget: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.budget = budget
        self.retry_after = retry_after


class QuotaExhausted(CemigrateError):
    """A budget's allowance (or the plan's share of it) is used up; resume later."""

    def __init__(self, message: str, *, budget: str) -> None:
        super().__init__(message)
        self.budget = budget


class WriteOutcomeUnknown(CemigrateError):
    """A write that is not safe to send twice lost its answer (the connection dropped after it
    was sent): the platform may or may not have applied it, so it is not retried. The run
    stops; on resume the pending keys are looked up in the target, so nothing is created twice.
    """


class OutOfSpace(CemigrateError):
    """A disk filled up under a temporary spool, a report or the ledger: the run stops as if
    interrupted, its temporary files are removed, and ``--resume`` continues once there is
    space. The message names what filled up and where."""


class LedgerFull(LedgerError, OutOfSpace):
    """SQLite found the ledger's disk full ("database or disk is full"); the step it stopped
    was rolled back."""


def no_space(error: BaseException) -> bool:
    """Whether ``error`` says a disk is full: ``ENOSPC`` / ``EDQUOT``, or SQLite's
    "database or disk is full" (``SQLITE_FULL``)."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return "database or disk is full" in str(error).lower()


def out_of_space(
    what: str, where: object, error: BaseException, *, then: str = "continue with --resume"
) -> OutOfSpace:
    """The one-line :class:`OutOfSpace` for ``error`` met while writing ``what`` at ``where``;
    ``then``: what to do once there is space."""
    said = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return OutOfSpace(f"{where}: no space left for {what} ({said}); free some space, then {then}")


class Interrupted(CemigrateError):
    """The run was asked to stop; everything committed so far is kept and resumable."""
