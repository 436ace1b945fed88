"""What the platform targets share: one ``write`` that dispatches a batch by kind.

A target says which function writes each kind (:meth:`PlatformTarget._writers`) and what it
has read of the account that a lost answer makes stale (:meth:`PlatformTarget._forget`);
:meth:`PlatformTarget.write` is the same for every platform and is not overridden. A record the
platform refuses is a :class:`~cemigrate.adapters.contract.WriteResult` carrying the
platform's message (:func:`refused`), never an exception that would fail its neighbours.

A record a writer finds by its natural key (a group by name, a field by key) is the account's
own when the account held it before the migration: its result says ``matched``, so a
rollback never deletes it. A target notes what the account held of a kind when it first reads
it (:meth:`PlatformTarget._note_held`); what appears later (created by this process, or by its
``prepare``) is the migration's (:meth:`PlatformTarget._adopts`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar, final

from cemigrate.adapters.callpool import outcome
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
_T = TypeVar("_T")
_R = TypeVar("_R")


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
        """Create each field of ``wanted`` the account lacks (in a dry run: list it), several
        at once where the target can (:meth:`_at_once`). A field whose creation may or may
        not have happened (a lost answer) makes the target read the account again before the
        next look; the first error is raised once every creation is back."""
        missing: dict[tuple[object, str], FieldDef] = {}
        for definition in wanted:
            if not self._has_field(definition):
                missing.setdefault((definition.object, definition.key), definition)
        made = [] if dry_run else self._at_once(self._create_field, list(missing.values()))
        errors = [answer for answer in made if isinstance(answer, BaseException)]
        if any(isinstance(e, (TransientError, WriteOutcomeUnknown)) for e in errors):
            self._forget_fields()  # they may exist now: read the account again
        if errors:
            raise errors[0]
        return [
            Change(
                action="create field",
                subject=f"{definition.object} field {definition.key} ({definition.type})",
                applied=not dry_run,
            )
            for definition in missing.values()
        ]

    @final
    def _note_held(self, kind: Kind, target_ids: Iterable[str]) -> None:
        """Remember the target ids of ``kind`` the account holds, the first time this target
        reads them (a table read again after a lost answer also holds what this process
        created since: ignored)."""
        held: dict[Kind, frozenset[str]] = self.__dict__.setdefault("_held_at_first_read", {})
        if kind not in held:
            held[kind] = frozenset(target_ids)

    @final
    def _adopts(self, kind: Kind, target_id: str | None) -> bool:
        """Whether a record of ``kind`` a writer found is one the account held when this target
        first read it: adopted (matched), not created, and left alone by a rollback. A record
        an earlier, interrupted process created is held by then too: it is kept, never
        deleted by mistake (``docs/cutover.md``)."""
        held: dict[Kind, frozenset[str]] = self.__dict__.get("_held_at_first_read", {})
        return target_id is not None and target_id in held.get(kind, frozenset())

    def _at_once(self, call: Callable[[_T], _R], items: Sequence[_T]) -> list[_R | BaseException]:
        """``call(item)`` for every item, each result or the exception it raised, in order:
        one after another here; a target whose client sends several requests at once
        overrides it (a :class:`~cemigrate.adapters.callpool.CallPool`)."""
        return [outcome(call, item) for item in items]

    def _per_key(
        self,
        batch: Sequence[Outgoing],
        key: Callable[[Outgoing], Hashable],
        write: Callable[[Outgoing], WriteResult],
    ) -> list[WriteResult]:
        """``write(item)`` for every record of a batch whose records are independent but
        for those sharing a ``key`` (a natural key: two records of one name find-or-create one
        target record): those one after another in the batch's order, the others at once
        (:meth:`_at_once`). A refusal is the record's result; another error is raised once
        every call is back, as it would have been one after another."""
        groups: dict[Hashable, list[int]] = {}
        for index, item in enumerate(batch):
            groups.setdefault(key(item), []).append(index)

        def run(indexes: list[int]) -> list[WriteResult]:
            results = []
            for index in indexes:
                try:
                    results.append(write(batch[index]))
                except RecordError as exc:
                    results.append(refused(batch[index], exc))
            return results

        answers: list[WriteResult | None] = [None] * len(batch)
        failed: BaseException | None = None
        for indexes, answer in zip(
            groups.values(), self._at_once(run, list(groups.values())), strict=True
        ):
            if isinstance(answer, BaseException):
                failed = failed or answer
                continue
            for index, result in zip(indexes, answer, strict=True):
                answers[index] = result
        if failed is not None:
            raise failed
        return [answer for answer in answers if answer is not None]

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
