"""The adapter contract: what every platform's source and target provide to the copier.

A *source* streams records of one kind in batches, each with the cursor that resumes after
it, and streams attachment bytes. A *target* writes batches of records with their external id
set to the source key, finds records again by that key after a crash, and deletes them for a
rollback. The copier never sees platform JSON; adapters never see the ledger.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from typing import BinaryIO, Protocol, runtime_checkable

import attrs

from cemigrate.ratelimit import Budgets
from cemigrate.schema import (
    Attachment,
    FieldDef,
    Kind,
    Record,
    Ref,
    SlaEvent,
    SourceKey,
    Ticket,
    TicketMetrics,
)


class Capability(enum.StrEnum):
    """What an adapter can do, declared by each adapter rather than probed at run time."""

    INCREMENTAL_READ = "incremental_read"
    """Its cursors resume after the last record *changed*, so delta runs see updates."""
    ORIGINAL_TIMESTAMPS = "original_timestamps"
    """The target keeps the source's created/updated/solved times natively."""
    ORIGINAL_AUTHORS = "original_authors"
    """The target keeps each comment's author natively."""
    BULK_WRITE = "bulk_write"
    """The target writes many records per call."""
    FIND_BY_EXTERNAL_ID = "find_by_external_id"
    """The target can look records up by the source key stored on them."""
    DELETE = "delete"
    """The target can delete what a run created (rollback)."""
    CREATE_FIELDS = "create_fields"
    """``prepare`` can create custom fields the mapping needs."""
    COMMENT_ROUTING = "comment_routing"
    """The target routes comments as the mapping's ``[comments]`` section says
    (:attr:`Needs.comments`)."""
    VALUE_MAPS = "value_maps"
    """The target writes ticket attributes through the mapping's value tables
    (:attr:`Needs.values`); without it only its own defaults are written."""


@attrs.frozen(kw_only=True)
class Batch:
    """Records read from a source, and the cursor that resumes reading *after* them."""

    records: tuple[Record, ...]
    cursor: str | None
    """Where reading resumes after these records; None: from the start (a source says so
    after the last page of a stream it cannot read incrementally, so a delta re-reads it)."""


@attrs.frozen(kw_only=True)
class Metadata:
    """What one platform account holds and allows, as the dry run validates against it."""

    platform: str
    kinds: frozenset[Kind]
    """The kinds this side can read (source) or write (target)."""
    fields: tuple[FieldDef, ...] = ()
    """Custom fields that exist in the account now."""
    values: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """The values this account takes for a ticket attribute (``status``, ``priority``,
    ``type``, ``channel``), in its own terms; an attribute not listed takes any value."""
    comment_routes: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Where the target can put each kind of comment (``public_email``, ``public_other``,
    ``private`` → its objects), for the mapping's ``[comments]`` section."""
    default_values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """How this adapter writes each schema value of an attribute when no mapping says
    otherwise (schema value → the account's value)."""
    limits: Mapping[str, int] = attrs.field(factory=dict)
    """Size limits in bytes, by name (``comment_body``, ``attachment``, ``ticket_attachments``)."""
    capabilities: frozenset[Capability] = frozenset()


@attrs.frozen(kw_only=True)
class Needs:
    """What the mapping needs to exist in the target before records are written."""

    fields: tuple[FieldDef, ...] = ()
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """For each mapped ticket attribute, schema value → the target's value; a value the table
    lacks is written as the adapter's default does."""
    comments: Mapping[str, str] = attrs.field(factory=dict)
    """Comment routing the mapping asks for (``public_email``, ``public_other``, ``private`` →
    a target object); the target adapter says which it honours."""
    fallback_agent_email: str | None = None
    """The agent who takes the place of agents the target has no match for."""
    options: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """The mapping's option tables for ticket custom fields, by the field as a source's rules
    name it (its source id; a Freshdesk rule's ``cf_`` name): source option value → the
    target's. A target translates rules with them, so a rule tests and sets the option the
    target's field holds (the records' own values are mapped before the target sees them)."""


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
    deleted in the source): accounted for as skipped, not failed."""

    @property
    def ok(self) -> bool:
        """True when the record is in the target."""
        return self.target_id is not None and not self.error and not self.skipped


@runtime_checkable
class FileSource(Protocol):
    """Something that can stream an attachment's bytes (every source is one)."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """Open the attachment's bytes for reading; the caller closes it."""
        ...


@attrs.frozen(kw_only=True)
class SlaHistory:
    """What a source measured on one ticket: its SLA events and metrics."""

    events: tuple[SlaEvent, ...] = ()
    metrics: TicketMetrics | None = None

    def __bool__(self) -> bool:
        return bool(self.events) or self.metrics is not None


@runtime_checkable
class SlaHistorySource(Protocol):
    """A source that can give the SLA history of the tickets it has just served.

    Targets that cannot add history to a ticket after creating it (Zendesk imports closed
    tickets read-only) ask for it while writing the ticket: ``write``'s ``files`` argument is
    the source, and a target checks ``isinstance(files, SlaHistorySource)``.
    """

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
class Source(Protocol):
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
        """Delete records by target id (rollback)."""
        ...


# A target may also define ``declines(kind, record) -> str``: the named policy under which it
# will not take a record ("" when it will). Its writes answer such records with
# ``WriteResult(skipped=...)``; the dry run asks it so that its counts agree with the run's.
