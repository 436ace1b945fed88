"""Dry-run validation: would the target accept this record? Nothing is written anywhere.

What a record needs in the target (:func:`needed_refs`) and how it fails when one of those
failed (:func:`failed_reference`) are decided here once, for the dry run and the run alike, so
that the cascade of a failure (an agent with no user in the target, then its tickets, their
SLA events ...) is counted the same way by both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection

from cemigrate.adapters import Metadata
from cemigrate.copier.report import Problem, problems_of
from cemigrate.schema import (
    FieldDef,
    Kind,
    Organization,
    Record,
    Ref,
    SourceKey,
    Ticket,
    User,
    field_owner,
    refs_of,
)


def needed_refs(record: Record, writable: Collection[Kind]) -> list[Ref]:
    """The references ``record`` needs to hold in the target to be written: those of the
    kinds the target takes, bar the SLA policy an event names (a label the target keeps as
    text, never a link it needs). A kind the target keeps nowhere is dropped."""
    return [
        ref for ref in refs_of(record) if ref.kind in writable and ref.kind is not Kind.SLA_POLICY
    ]


def failed_reference(instance: str, ref: Ref) -> tuple[str, str]:
    """The reason and the message of a record that fails because ``ref``, which it needs,
    failed: the reason names the kind only, so the run's report groups the cascade of one
    cause under one line; the message names the record."""
    return f"refers to a {ref.kind} that failed", f"{SourceKey.of(instance, ref)} failed"


class DryRunCheck:
    """Checks records against ``target.describe()`` and what the run would have written first."""

    def __init__(
        self,
        target: Metadata,
        readable: Callable[[str], Collection[Kind] | None] | None = None,
    ) -> None:
        self._target = target
        self._readable = readable
        """The kinds each source instance reads (None: not known). A reference to a kind its
        source does not read is never fetched by the run either: the target decides alone
        what it makes of it (a label target writes the record without the label)."""
        self._fields = {(f.object, f.key) for f in target.fields}
        self._written: set[str] = set()
        self._failed: set[str] = set()
        self._problems: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._skipped: set[str] = set()
        self.attachments = 0
        """Files of the tickets that would be written (each one upload)."""

    def known(self, key: SourceKey) -> None:
        """A record the ledger already holds as written (so references to it resolve)."""
        self._written.add(str(key))

    def failed_before(self, key: SourceKey) -> None:
        """A record an earlier run failed and this one does not write again (the records that
        need it fail, as in the run); not a problem of this dry run's own."""
        self._failed.add(str(key))

    def written(self, key: SourceKey) -> bool:
        """Whether the run would have written the record (or an earlier run did)."""
        return str(key) in self._written

    def decided(self, key: SourceKey) -> bool:
        """Whether this dry run knows what became of the record (written, failed, skipped)."""
        text = str(key)
        return text in self._written or text in self._failed or text in self._skipped

    def check(self, key: SourceKey, record: Record) -> str | None:
        """The reason the target would refuse ``record``, or None; remembers it as written
        (or as failed)."""
        reason = self.reason(key, record)
        if reason is None:
            self.passed(key, record)
        else:
            self.fail(key, reason)
        return reason

    def passed(self, key: SourceKey, record: Record) -> None:
        """A record the run would write (references to it resolve)."""
        self._written.add(str(key))
        if isinstance(record, Ticket):
            self.attachments += sum(len(c.attachments) for c in record.comments)
        if isinstance(record, FieldDef):
            self._fields.add((record.object, record.key))

    def fail(self, key: SourceKey, reason: str) -> None:
        """A record the run would fail with ``reason`` (the records that need it fail too)."""
        self._failed.add(str(key))
        self._problems[(key.kind.value, reason)].append(str(key))

    def failed_reference(self, key: SourceKey, record: Record) -> str | None:
        """The reason ``record`` would fail because a record it needs would fail, or None."""
        for ref in needed_refs(record, self._target.kinds):
            if str(SourceKey.of(key.instance, ref)) in self._failed:
                return failed_reference(key.instance, ref)[0]
        return None

    def skip(self, key: SourceKey) -> None:
        """A record the run would skip by a named policy (its dependents follow it)."""
        self._skipped.add(str(key))

    def was_skipped(self, key: SourceKey) -> bool:
        """Whether the run would skip this record by a policy."""
        return str(key) in self._skipped

    def missing_reference(self, key: SourceKey, record: Record) -> str | None:
        """Why a record would fail for a reference the target would not hold, or None."""
        failed = self.failed_reference(key, record)
        if failed is not None:
            return failed
        readable = self._readable(key.instance) if self._readable is not None else None
        for ref in needed_refs(record, self._target.kinds):
            if readable is not None and ref.kind not in readable:
                continue
            if str(SourceKey.of(key.instance, ref)) not in self._written:
                return f"refers to a {ref.kind} that would not be in the target"
        return None

    def refused(self, key: SourceKey, reason: str) -> None:
        """A record the mapping refuses (an ``error`` policy): it fails, a problem."""
        self.fail(key, reason)

    def problems(self) -> tuple[Problem, ...]:
        """Every reason found, with counts and a few example keys."""
        return problems_of(self._problems)

    def reason(self, key: SourceKey, record: Record) -> str | None:
        """The reason the target would refuse ``record`` (from its ``describe()`` and what
        the run would have written before it), or None."""
        if key.kind not in self._target.kinds:
            return f"{self._target.platform} does not take {key.kind} records"
        missing = self.missing_reference(key, record)
        if missing is not None:
            return missing
        owner = field_owner(record)
        if owner is not None:
            assert isinstance(record, Ticket | User | Organization)
            for name in record.custom_fields:
                if (owner, name) not in self._fields:
                    return f"{owner} field {name!r} does not exist in the target"
        if isinstance(record, Ticket):
            limit = self._target.limits.get("attachment")
            for comment in record.comments:
                for attachment in comment.attachments:
                    if limit is not None and attachment.size > limit:
                        return f"an attachment is over the target's {limit}-byte limit"
        return None
