"""What the platform targets share: one ``write`` that dispatches a batch by kind.

A target says which function writes each kind (:meth:`PlatformTarget._writers`) and what it
has read of the account that a lost answer makes stale (:meth:`PlatformTarget._forget`);
:meth:`PlatformTarget.write` is the same for every platform and is not overridden. A record the
platform refuses is a :class:`~cemigrate.adapters.contract.WriteResult` carrying the
platform's message (:func:`refused`), never an exception that would fail its neighbours.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar, final

from cemigrate.adapters.contract import Change, FileSource, Outgoing, Target, WriteResult
from cemigrate.errors import RecordError, TransientError, WriteOutcomeUnknown
from cemigrate.schema import FieldDef, Kind

__all__ = ["BatchWriter", "PlatformTarget", "guarded", "one_by_one", "refused"]

BatchWriter = Callable[[Sequence[Outgoing], FileSource], list[WriteResult]]
"""Writes one batch of one kind: one result per record, in order."""


def refused(item: Outgoing, error: RecordError) -> WriteResult:
    """The result of a record the platform refused, with its message."""
    return WriteResult(key=item.key, error=error.reason, platform_message=error.platform_message)


def one_by_one(write: Callable[[Outgoing, FileSource], WriteResult]) -> BatchWriter:
    """A batch writer from a one-record writer (a platform without batch endpoints): a record
    refused is its result, and the next one is written."""

    def batch(items: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        results = []
        for item in items:
            try:
                results.append(write(item, files))
            except RecordError as exc:
                results.append(refused(item, exc))
        return results

    return batch


_Method = TypeVar("_Method", bound=Callable[..., Any])


def guarded(method: _Method) -> _Method:
    """A target method that reads (or changes) what the target remembers of the account (its
    fields, groups, users...) one thread at a time: batches of a kind in
    :attr:`PlatformTarget.concurrent` are written from several threads, and a table read
    half-way must not be seen. Reentrant: a guarded method may call another."""

    @functools.wraps(method)
    def under_lock(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock_of(self):
            return method(self, *args, **kwargs)

    return under_lock  # type: ignore[return-value]


def _lock_of(target: object) -> threading.RLock:
    lock: threading.RLock = target.__dict__.setdefault("_tables_lock", threading.RLock())
    return lock


class PlatformTarget(Target):
    """The base of the platform targets: the write dispatch, and the optional parts of the
    target contract with their defaults."""

    concurrent: ClassVar[frozenset[Kind]] = frozenset()
    """Kinds whose batches may be written from several threads at once (the copier's
    requests in flight): the target's writer for them keeps what it shares behind
    :func:`guarded` methods. Other kinds are written one batch at a time."""

    platform: str
    """The name a plan uses for the platform."""

    @final
    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Write one batch of ``kind``; a record the platform refuses is a result carrying
        the platform's message."""
        writer = self._writers().get(kind)
        if writer is None:
            raise ValueError(f"the {self.platform} target does not write {kind} records")
        try:
            return writer(batch, files)
        except (TransientError, WriteOutcomeUnknown):
            # The write may have been applied (a dropped answer, a job not seen to finish):
            # forget what was read of the account, so the next find-or-create reads it again.
            self._forget()
            raise

    def declines(self, kind: Kind, record: object) -> str:
        """The named policy under which this target will not take ``record`` ("" if none);
        the dry run asks it too, so its counts agree with the run's."""
        return ""

    def close(self) -> None:
        """Release what the target holds (files, spools); nothing by default."""

    @final
    def _create_fields(self, wanted: Iterable[FieldDef], *, dry_run: bool) -> list[Change]:
        """Create each field of ``wanted`` the account lacks (in a dry run: list it). A field
        whose creation may or may not have happened (a lost answer) makes the target read the
        account again before the next look."""
        changes = []
        for definition in wanted:
            if self._has_field(definition):
                continue
            if not dry_run:
                try:
                    self._create_field(definition)
                except (TransientError, WriteOutcomeUnknown):
                    self._forget_fields()  # it may exist now: read the account again
                    raise
            changes.append(
                Change(
                    action="create field",
                    subject=f"{definition.object} field {definition.key} ({definition.type})",
                    applied=not dry_run,
                )
            )
        return changes

    # -- hooks -----------------------------------------------------------------------------

    def _has_field(self, definition: FieldDef) -> bool:
        """Whether the account holds the field ``definition`` describes."""
        raise NotImplementedError

    def _create_field(self, definition: FieldDef) -> FieldDef:
        """Create one custom field; the field as the account now holds it."""
        raise NotImplementedError

    def _forget_fields(self) -> None:
        """Drop the account's fields as read (a creation's answer was lost)."""

    def _writers(self) -> Mapping[Kind, BatchWriter]:
        """The function that writes each kind this target takes."""
        raise NotImplementedError

    def _forget(self) -> None:
        """Drop what was read of the account (after an answer was lost)."""
