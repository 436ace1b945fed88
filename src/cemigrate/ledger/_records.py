"""What the ledger takes and gives back: states, entries, outcomes, runs, failures, journal rows.

None of them has a field for record content: the ledger holds keys, ids, hashes, states, reasons
and platform messages only.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Final

import attrs

#: Longest reason or platform message kept; a platform that echoes a whole payload back in its
#: error must not smuggle a ticket body into the ledger.
MESSAGE_LIMIT: Final = 2000

#: The actions an outcome may report, by the state each one leaves the key in.
ACTIONS: Final[dict[str, str]] = {
    "created": "done",
    "updated": "done",
    "found": "done",
    "matched": "done",
    "unchanged": "done",
    "failed": "failed",
    "skipped": "skipped",
}


class EntryState(enum.StrEnum):
    """Where one key stands in the write protocol."""

    PENDING = "pending"
    """Marked before a send; the target may or may not have it (resolve with ``target.find``)."""
    DONE = "done"
    """The target has the record; ``target_id`` and ``content_hash`` say which and what."""
    FAILED = "failed"
    """The last send failed; a failure row says why, and the key can be re-driven."""
    SKIPPED = "skipped"
    """Left out on purpose (a mapping policy); never sent."""


def _check_key(key: str, instance: str, kind: str, source_id: str) -> None:
    if key != f"{instance}:{kind}:{source_id}":
        raise ValueError(
            f"ledger key {key!r} is not '<instance>:<kind>:<source_id>' "
            f"for instance={instance!r}, kind={kind!r}, source_id={source_id!r}"
        )


def _clip(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


@attrs.frozen
class Entry:
    """One ``id_map`` row: what the ledger knows about one source record."""

    key: str
    """``<instance>:<kind>:<source_id>``, e.g. ``emea:ticket:1234``."""
    instance: str
    """The source instance name from the plan."""
    kind: str
    """The record kind (``ticket``, ``user``, ...)."""
    source_id: str
    """The record's id on the source platform."""
    target_id: str | None
    """The record's id on the target, once known."""
    content_hash: str | None
    """The hash of the content the target holds (not of a pending send)."""
    state: EntryState = attrs.field(converter=EntryState)
    """Where the key stands."""
    attempts: int
    """How many times the key was marked pending (sent or about to be)."""
    match_key: str | None
    """A hash to match records across instances (a SHA-256 of a lowercased e-mail for users)."""
    updated_at: datetime
    """When the row last changed (UTC)."""


@attrs.frozen
class PendingEntry:
    """A key the copier is about to send: marked pending in one transaction before the send."""

    key: str
    """``<instance>:<kind>:<source_id>``; must agree with the three fields below."""
    instance: str
    """The source instance name."""
    kind: str
    """The record kind."""
    source_id: str
    """The record's id on the source."""
    content_hash: str
    """The hash of what is being sent; it becomes the entry's ``content_hash`` once done."""
    match_key: str | None = None
    """A hash to match across instances (never the e-mail itself); ``None`` keeps the stored one."""

    def __attrs_post_init__(self) -> None:
        _check_key(self.key, self.instance, self.kind, self.source_id)


@attrs.frozen
class Outcome:
    """What happened to one key; recorded with its neighbours in one transaction."""

    key: str
    """The key the outcome is about."""
    state: EntryState = attrs.field(converter=EntryState)
    """``DONE``, ``FAILED`` or ``SKIPPED`` (never ``PENDING``)."""
    action: str = attrs.field(validator=attrs.validators.in_(ACTIONS))
    """``created``, ``updated``, ``found`` (resolved after a crash), ``matched`` (merged into an
    existing target record), ``unchanged``, ``failed`` or ``skipped``; it must agree with state."""
    target_id: str | None = attrs.field(default=None, converter=attrs.converters.optional(str))
    """The target id; ``None`` keeps the stored one (an int id is kept as its text)."""
    content_hash: str | None = None
    """The hash now in the target (``DONE``); ``None`` takes the pending hash, else keeps the
    stored one."""
    reason: str = attrs.field(default="", converter=_clip)
    """``FAILED``/``SKIPPED``: our own one-line reason."""
    platform_message: str = attrs.field(default="", converter=_clip)
    """``FAILED``: the platform's own message (never record content)."""
    kind: str = ""
    """Needed only when the key has no ``id_map`` row yet (e.g. skipped before any send)."""
    instance: str = ""
    """Needed only when the key has no ``id_map`` row yet."""
    source_id: str = ""
    """Needed only when the key has no ``id_map`` row yet."""

    def __attrs_post_init__(self) -> None:
        if ACTIONS[self.action] != self.state:
            raise ValueError(
                f"outcome for {self.key!r}: action {self.action!r} "
                f"does not go with state {self.state.value!r}"
            )
        if self.kind or self.instance or self.source_id:
            _check_key(self.key, self.instance, self.kind, self.source_id)


@attrs.frozen
class RunInfo:
    """One run of the copier, as recorded by ``start_run`` and ``finish_run``."""

    id: int
    """The run id."""
    mode: str
    """``full``, ``delta``, ``dry_run``, ``only_failed``, ... as the copier names it."""
    status: str
    """``running`` until finished, then ``completed``, ``interrupted`` or ``failed``."""
    started_at: datetime
    """When the run started (UTC)."""
    finished_at: datetime | None
    """When it finished (UTC), or ``None`` while running or after a crash."""
    plan_digest: str
    """A digest of the plan the run followed."""


@attrs.frozen
class SideAccount:
    """The account one side of a migration is, as the ledger records it: what a renamed
    source instance or a different target is noticed by."""

    side: str
    """``source`` or ``target``."""
    instance: str
    """The source's instance name (``target`` for the target)."""
    platform: str
    """The platform a plan names (``zendesk``, ``salesforce``, ...)."""
    account: str
    """The account's address (``https://acme.zendesk.com``); empty when the side has none."""
    recorded_at: datetime | None = None
    """When the ledger recorded it (UTC); ``None`` for one not recorded yet."""


@attrs.frozen
class FailureRow:
    """One failure of one key in one run."""

    key: str
    """The key that failed."""
    kind: str
    """Its record kind."""
    run_id: int
    """The run in which it failed."""
    reason: str
    """Our own one-line reason."""
    platform_message: str
    """The platform's own message."""
    at: datetime
    """When the failure was recorded (UTC)."""


@attrs.frozen
class JournalRow:
    """One row of the append-only, hash-chained journal."""

    seq: int
    """Position in the journal, from 1, without gaps."""
    run_id: int
    """The run that recorded it."""
    kind: str
    """The record kind."""
    key: str
    """The key the outcome was about."""
    target_id: str | None
    """The key's target id after the outcome."""
    action: str
    """The outcome's action."""
    at: datetime
    """When it was recorded (UTC)."""
    prev_hash: str
    """The previous row's hash (64 zeros for the first row)."""
    hash: str
    """SHA-256 over ``prev_hash`` and this row's fields."""
