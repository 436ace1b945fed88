"""The adapter contract: what every platform's source and target provide to the copier.

A *source* streams records of one kind in batches, each with the cursor that resumes after
it, and streams attachment bytes. A *target* writes batches of records with their external id
set to the source key, finds records again by that key after a crash, and deletes them for a
rollback. The copier never sees platform JSON; adapters never see the ledger.

What only some adapters can do is declared, never probed: the protocols' optional members
have defaults (an adapter inherits them by subclassing :class:`Source` or :class:`Target`
explicitly, as the shipped ones do, and overrides those it supports), and what a caller plans
around is a :class:`Capability` in :meth:`Source.describe`/:meth:`Target.describe`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable

import attrs

from cemigrate.ratelimit import Budgets
from cemigrate.schema import (
    Attachment,
    Capability,
    FieldDef,
    Kind,
    Metadata,
    Needs,
    Record,
    Ref,
    SlaEvent,
    SourceKey,
    Ticket,
    TicketMetrics,
)

__all__ = [
    "Batch",
    "Capability",
    "Change",
    "FileSource",
    "Metadata",
    "Needs",
    "Outgoing",
    "RuleSwitch",
    "SlaHistory",
    "SlaHistorySource",
    "Source",
    "Target",
    "WriteResult",
]
# Capability, Metadata and Needs are pure data in cemigrate.schema (the mapping layer checks
# records against them); adapters import them from here with the rest of the contract.


@attrs.frozen(kw_only=True)
class Batch:
    """Records read from a source, and the cursor that resumes reading *after* them."""

    records: tuple[Record, ...]
    cursor: str | None
    """Where reading resumes after these records; None: from the start (a source says so
    after the last page of a stream it cannot read incrementally, so a delta re-reads it)."""


@attrs.frozen(kw_only=True)
class Change:
    """One change ``prepare`` made (or, in a dry run, would make) to the target's setup."""

    action: str
    """For example ``create field``."""
    subject: str
    """What it applies to, e.g. ``ticket field transaction_id (text)``."""
    applied: bool


@attrs.frozen(kw_only=True)
class Outgoing:
    """One record on its way to the target.

    ``links`` gives the target id of every record this one refers to that is already in the
    target; a reference missing from it has no target record (yet, or ever).
    ``target_id`` is set when the record was written before and is being updated.
    """

    key: SourceKey
    record: Record
    links: Mapping[Ref, str] = attrs.field(factory=dict)
    target_id: str | None = None

    @property
    def external_id(self) -> str:
        """What the target stores so the record can be found again: the source key."""
        return str(self.key)


@attrs.frozen(kw_only=True)
class WriteResult:
    """What happened to one record of a batch: its target id, or why it was refused."""

    key: SourceKey
    target_id: str | None = None
    error: str = ""
    """Our one-line reason when the record was refused."""
    platform_message: str = ""
    """The platform's own message (never record content)."""
    skipped: str = ""
    """The target declines the record by a named policy (e.g. Zendesk cannot import a ticket
    deleted in the source): accounted for as skipped, not failed. ``target_id`` may still name
    what the target holds of it (a ticket an interrupted run created in part)."""
    matched: bool = False
    """The record was not created: the target already held it (an agent found by e-mail, a
    contact adopted by e-mail, the fallback agent in an unmatched agent's place) and
    ``target_id`` is that record. Counted as matched."""

    @property
    def ok(self) -> bool:
        """True when the record is in the target."""
        return self.target_id is not None and not self.error and not self.skipped


@attrs.frozen(kw_only=True)
class SlaHistory:
    """What a source measured on one ticket: its SLA events and metrics."""

    events: tuple[SlaEvent, ...] = ()
    metrics: TicketMetrics | None = None

    def __bool__(self) -> bool:
        return bool(self.events) or self.metrics is not None


@runtime_checkable
class FileSource(Protocol):
    """What a target's ``write`` reads beside the records: the source they come from (every
    source is one). Only ``open_attachment`` is required; the other members have defaults."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """Open the attachment's bytes for reading; the caller closes it."""
        ...

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """Ticket id → the SLA history the source measured, for those of ``tickets`` (which
        it has just served) that have any. Targets that cannot add history to a ticket after
        creating it (Zendesk imports closed tickets read-only) ask for it while writing the
        ticket. None by default."""
        return {}

    def read_fields(self) -> tuple[FieldDef, ...]:
        """The source's field definitions (a target that lost track of the fields an earlier
        run created finds them again by their titles). None by default."""
        return ()


@runtime_checkable
class SlaHistorySource(Protocol):
    """A source that gives the SLA history of the tickets it has just served (overrides
    :meth:`FileSource.sla_history`)."""

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """Ticket id → its history, for the tickets that have any."""
        ...


@runtime_checkable
class RuleSwitch(Protocol):
    """A target whose migrated rules can be read and switched on after cutover.

    Rules are created inactive (nothing fires on imported history); ``cemigrate rules
    activate`` turns them on as a separate, explicit step. Rule ids are the target ids the
    ledger recorded for ``Kind.RULE`` records.
    """

    def rule_states(self, target_ids: Sequence[str]) -> Mapping[str, bool]:
        """Whether each rule is active, by target id; ids the target no longer has are absent."""
        ...

    def activate_rules(self, target_ids: Sequence[str]) -> Mapping[str, str]:
        """Switch these rules on: target id → ``""`` when done, else the platform's message."""
        ...


@runtime_checkable
class Source(FileSource, Protocol):
    """A help desk to read from."""

    platform: str
    instance: str
    """The instance name: part of every source key."""
    budgets: Budgets

    def describe(self) -> Metadata:
        """Fields, options, groups and limits of this account."""
        ...

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Stream records of ``kind`` after ``cursor`` (all of them when it is ``None``)."""
        ...

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """Open an attachment's bytes for streaming; never read whole into memory."""
        ...

    def close(self) -> None:
        """Release what the source holds (spools, sessions); a no-op for most."""
        ...

    def read_fields(self) -> tuple[FieldDef, ...]:
        """The field definitions :meth:`read` serves (``Kind.FIELD``)."""
        return tuple(
            record
            for batch in self.read(Kind.FIELD)
            for record in batch.records
            if isinstance(record, FieldDef)
        )

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        """The records of ``kind`` with these source ids that the source can still produce,
        read by id (batched where the platform allows), in the shapes :meth:`read` serves: what
        the copier asks for when a record it is about to write refers to one its streams did
        not serve (changed after the stream was read, or left out of an export's last minute).
        An id the source no longer has (deleted for good) is simply absent from the answer.
        Spends the budget the platform charges for those calls. By default the source cannot
        read by id: nothing (``()``)."""
        return ()

    def report_external_ids(self, note: Callable[[Kind, str, str], None]) -> bool:
        """Have :meth:`read` call ``note(kind, id, external id)`` for every record it serves
        that carries an external id, whatever the record (a target account read back: what
        reconciliation finds extra and duplicate records by). Whether the source will; by
        default it cannot (``False``)."""
        return False

    def account_url(self) -> str:
        """The address of the account this source reads (``https://acme.zendesk.com``), as
        the ledger records it to notice a renamed instance or a changed account; empty when
        it has none (an in-process data set), and the ledger then checks nothing for it."""
        return ""


@runtime_checkable
class Target(Protocol):
    """A help desk to write to."""

    platform: str
    budgets: Budgets
    batch_size: Mapping[Kind, int]
    """How many records of each kind one ``write`` call takes."""

    def describe(self) -> Metadata:
        """Fields, options, groups and limits of this account."""
        ...

    def prepare(self, needs: Needs, *, dry_run: bool) -> list[Change]:
        """Create the custom fields and objects the mapping needs (or list them, in a dry run)."""
        ...

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Write a batch; one result per record, in order. A record refused is a result with
        an error, not an exception; an exception means the whole call failed."""
        ...

    def find(self, kind: Kind, keys: Sequence[SourceKey]) -> dict[SourceKey, str]:
        """Target ids of the records stored with these source keys as external ids."""
        ...

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        """Delete records by target id (rollback), with the platform's bulk and permanent
        deletes where it has them. An id already gone counts as deleted (a resumed rollback
        may send it again); a kind the target cannot delete raises RecordError."""
        ...

    def last_changed(self, kind: Kind, target_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """When each record was last changed in the target (timezone-aware), ``None`` for one
        that is gone; an id the target cannot tell about is left out. A rollback keeps a
        record changed after the migration wrote it, and does not delete one gone already.
        Empty by default: the target can tell nothing."""
        return {}

    def declines(self, kind: Kind, record: object) -> str:
        """The named policy under which this target will not take ``record`` ("" when it
        will). Its writes answer such records with ``WriteResult(skipped=...)``; the dry run
        asks it so that its counts agree with the run's."""
        ...

    def close(self) -> None:
        """Release what the target holds (stores, spools); a no-op for most."""
        ...

    def foresee(self, kind: Kind, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """What :meth:`write` would answer for each record of ``batch``, as far as the target
        can tell without writing: a result that refuses the record (with the reason ``write``
        would give) or matches it to a record the account already holds (an agent found by
        e-mail, the fallback agent, a contact adopted by e-mail), or None where the record
        would simply be written. The dry run asks it, so that its counts and reasons agree
        with the run's; the target reads what it needs of the account once (its users), never
        per record. In a dry run ``links`` are empty. None for every record by default."""
        return [None] * len(batch)

    def rule_field_names(self) -> Mapping[str, str]:
        """Custom field id → the name a translated rule names it by, where rules name fields
        by name (Freshdesk's ``cf_...``); empty by default: rules name fields by id."""
        return {}

    def rule_field_options(self) -> Mapping[str, frozenset[str]]:
        """Custom field id → the choices of its dropdown: what a translated rule's conditions
        and actions on the field may name; empty by default (a field absent: not known)."""
        return {}

    def rule_switch(self) -> RuleSwitch | None:
        """The target's rules as they can be read and switched on after cutover (the target
        itself, mostly); ``None`` by default: the platform has no activation."""
        return None

    def account_url(self) -> str:
        """The address of the account this target writes (``https://acme.my.salesforce.com``),
        as the ledger records it to notice a different target; empty when it has none (an
        in-memory store), and the ledger then checks nothing for it."""
        return ""
