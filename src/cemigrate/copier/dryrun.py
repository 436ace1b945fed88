"""Dry-run validation: would the target accept this record? Nothing is written anywhere."""

from __future__ import annotations

from collections import defaultdict

from cemigrate.adapters import Metadata
from cemigrate.copier.report import Problem
from cemigrate.schema import (
    FieldDef,
    Kind,
    Organization,
    Record,
    SourceKey,
    Ticket,
    User,
    field_owner,
    refs_of,
)

_EXAMPLES = 5


class DryRunCheck:
    """Checks records against ``target.describe()`` and what the run would have written first."""

    def __init__(self, target: Metadata) -> None:
        self._target = target
        self._fields = {(f.object, f.key) for f in target.fields}
        self._written: set[str] = set()
        self._problems: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._skipped: set[str] = set()
        self.attachments = 0
        """Files of the tickets that would be written (each one upload)."""

    def known(self, key: SourceKey) -> None:
        """A record the ledger already holds as written (so references to it resolve)."""
        self._written.add(str(key))

    def check(self, key: SourceKey, record: Record) -> str | None:
        """The reason the target would refuse ``record``, or None; remembers it as written."""
        reason = self._reason(key, record)
        if reason is None:
            self._written.add(str(key))
            if isinstance(record, Ticket):
                self.attachments += sum(len(c.attachments) for c in record.comments)
            if isinstance(record, FieldDef):
                self._fields.add((record.object, record.key))
        else:
            self._problems[(key.kind.value, reason)].append(str(key))
        return reason

    def skip(self, key: SourceKey) -> None:
        """A record the run would skip by a named policy (its dependents follow it)."""
        self._skipped.add(str(key))

    def was_skipped(self, key: SourceKey) -> bool:
        """Whether the run would skip this record by a policy."""
        return str(key) in self._skipped

    def missing_reference(self, key: SourceKey, record: Record) -> str | None:
        """Why a record would fail for a reference the target would not hold, or None."""
        for ref in refs_of(record):
            if ref.kind not in self._target.kinds or ref.kind is Kind.SLA_POLICY:
                # a kind the target keeps nowhere, or the SLA policy an event names (a label
                # the target keeps as text, never a link it needs): the link is dropped
                continue
            if str(SourceKey.of(key.instance, ref)) not in self._written:
                return f"refers to a {ref.kind} that would not be in the target"
        return None

    def refused(self, key: SourceKey, reason: str) -> None:
        """A record the mapping refuses (an ``error`` policy): counted as a problem."""
        self._problems[(key.kind.value, reason)].append(str(key))

    def problems(self) -> tuple[Problem, ...]:
        """Every reason found, with counts and a few example keys."""
        return tuple(
            Problem(kind=kind, reason=reason, count=len(keys), examples=tuple(keys[:_EXAMPLES]))
            for (kind, reason), keys in sorted(self._problems.items())
        )

    def _reason(self, key: SourceKey, record: Record) -> str | None:
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
