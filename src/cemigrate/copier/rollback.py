"""Rollback: delete from the target exactly what the migration's runs created.

What counts as created is read from the ledger's journal, never guessed from the target:

- a key whose journal says ``created`` (since its last rollback) was created by a run;
- ``found`` (a create sent before an interruption and found again by its external id) counts
  as created for the kinds a target only ever creates (tickets and what hangs off them); for
  the others the earlier write may have adopted a record the target already held (a user
  matched by e-mail, a company by name), so it is kept and listed unless ``force``;
- ``matched`` (merged into a record the target held) and keys the ledger does not know
  (records someone else created) are never touched. A key matched only after a send that an
  interruption left unanswered (more sends than answers in the ledger) may be a record that
  send created and a resumed run then found by its natural key (a group by name, a field by
  key): it stays too, listed as left (:func:`_matched_after_interruption`); so does a custom
  field matched by a run that followed an unfinished one, whose setup may have created it.

``since_run`` rolls back what run N *and every later run* created: a later run's tickets
refer to the users run N created, so undoing run N alone would leave them dangling.

Kinds go in reverse dependency order (:data:`ORDER`): tickets and what hangs off them, then
memberships, users, organizations, then rules, SLA policies and the account's setup, custom
fields last. A record the target says was changed after the migration last wrote it (its
``updated_at`` later than the end of that run, with :data:`SLACK` for clocks) is kept and
listed, unless ``force``.

The write protocol mirrors the copier's: before a chunk of deletes is sent, one journal row
per key says so (``rollback_sent``); once the target answered, one transaction removes the
keys' id_map rows and journals ``rolled_back``. A rollback killed in between is resumed by
running it again: a key sent but not recorded is looked up first (:meth:`Target.last_changed`)
and, gone, recorded without a second delete; an id the target answers "not found" for counts
as deleted. Cursors are cleared at the end, so the next run reads the sources from the start
and creates what was rolled back again.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from cemigrate.adapters.contract import Capability, Target
from cemigrate.copier.identity import check_accounts, sides_of
from cemigrate.copier.run import Mode
from cemigrate.errors import ConfigError, Interrupted, RecordError
from cemigrate.ledger import Ledger
from cemigrate.schema import Kind, SourceKey

__all__ = [
    "ORDER",
    "SLACK",
    "Kept",
    "RollbackCheck",
    "RollbackReport",
    "check_rolled_back",
    "rollback",
]

log = logging.getLogger(__name__)

MODE: Final = "rollback"
"""The mode a rollback's run is recorded under."""

ORDER: Final[tuple[Kind, ...]] = (
    Kind.SATISFACTION_RATING,
    Kind.TICKET_METRICS,
    Kind.SLA_EVENT,
    Kind.TICKET,
    Kind.ORGANIZATION_MEMBERSHIP,
    Kind.GROUP_MEMBERSHIP,
    Kind.USER,
    Kind.ORGANIZATION,
    Kind.RULE,
    Kind.SLA_POLICY,
    Kind.TICKET_FORM,
    Kind.CUSTOM_STATUS,
    Kind.SCHEDULE,
    Kind.BRAND,
    Kind.GROUP,
    Kind.FIELD,
)
"""Reverse dependency order: what refers to a record goes before it."""

SLACK: Final = timedelta(minutes=2)
"""How much later than the end of the run that wrote it a record may say it was changed and
still count as unchanged (the target's clock and the ledger's differ a little)."""

CHUNK: Final = 100
"""Keys per journalled delete step (the targets split it further into their own calls)."""

#: Kinds a target only ever creates, never adopts: a ``found`` of them was our own create.
_ONLY_CREATED: Final = frozenset(
    {Kind.TICKET, Kind.SLA_EVENT, Kind.TICKET_METRICS, Kind.SATISFACTION_RATING}
)
_WRITES: Final = frozenset({"created", "updated", "found"})
#: Journal actions that answer a send (``found`` answers one an interruption left unanswered;
#: ``skipped`` is a target's refusal by policy, or a mapping's skip that was never sent).
_ANSWERS: Final = frozenset({"created", "updated", "found", "matched", "failed", "skipped"})
SENT: Final = "rollback_sent"
"""Journal action: a delete of the key is about to be sent."""
DELETED: Final = "rolled_back"
"""Journal action: the key's record is gone from the target and its id_map row removed."""


@attrs.frozen
class Kept:
    """A record the rollback left in the target, and why."""

    kind: str
    target_id: str
    key: str
    why: str

    def line(self) -> str:
        """``kind target-id: why``, as the command prints it."""
        return f"{self.kind} {self.target_id}: {self.why}"


@attrs.define
class RollbackReport:
    """What a rollback deleted (or, dry, would delete) and what it kept."""

    dry_run: bool
    run_id: int | None = None
    deleted: Counter[str] = attrs.field(factory=Counter)
    """Per kind: records deleted (or that would be)."""
    gone: Counter[str] = attrs.field(factory=Counter)
    """Per kind: records already gone from the target, recorded as rolled back."""
    kept: list[Kept] = attrs.field(factory=list)
    """Records changed in the target since, or not certainly ours: left, unless forced."""
    left: list[Kept] = attrs.field(factory=list)
    """Records the target could not delete (a kind it has no delete for, a refusal), and
    records matched after an interrupted run that may be that run's (never deleted)."""

    @property
    def ok(self) -> bool:
        """Whether everything in scope is gone from the target."""
        return not self.kept and not self.left

    def table(self) -> str:
        """Per kind, deleted and kept, then one line per record kept or left."""
        verb = "would delete" if self.dry_run else "deleted"
        title = (
            "rollback dry run (nothing deleted)" if self.dry_run else f"rollback run {self.run_id}"
        )
        kinds = [k.value for k in ORDER]
        kept = Counter(k.kind for k in self.kept)
        left = Counter(k.kind for k in self.left)
        lines = [title, f"{'kind':<24}{verb:>14}{'already gone':>14}{'kept':>8}{'left':>8}"]
        for kind in kinds:
            row = (self.deleted[kind], self.gone[kind], kept[kind], left[kind])
            if any(row):
                lines.append(f"{kind:<24}{row[0]:>14}{row[1]:>14}{row[2]:>8}{row[3]:>8}")
        if len(lines) == 2:
            lines.append("nothing the migration created is in the target")
        for item in self.kept:
            lines.append(f"kept {item.line()}")
        for item in self.left:
            lines.append(f"left {item.line()}")
        if self.kept:
            lines.append("kept records stay; --force deletes them too")
        return "\n".join(lines)


@attrs.frozen
class _Ours:
    """A key the rollback has in scope."""

    kind: Kind
    key: str
    target_id: str
    written: datetime
    """When the run that last wrote it ended (or the write itself, for an unfinished run)."""
    found: bool
    """Its creation is known from a ``found`` only."""


def _scope(ledger: Ledger, since_run: int | None) -> dict[Kind, list[_Ours]]:
    """Keys a run (``since_run`` or later) created and no rollback removed, by kind."""
    runs = {run.id: run for run in ledger.runs()}
    if since_run is not None and since_run not in runs:
        raise ConfigError(f"{ledger.path}: there is no run {since_run}")
    # One small tuple per key the journal names: (run that created it, "created" or "found",
    # when the run that last wrote it ended); popped again by a rollback of the key.
    created: dict[str, tuple[int, str]] = {}
    written: dict[str, datetime] = {}
    for row in ledger.journal():
        if row.action == DELETED:
            created.pop(row.key, None)
            written.pop(row.key, None)
        elif row.action in ("created", "found"):
            created[row.key] = (row.run_id, row.action)
        if row.action in _WRITES:
            run = runs.get(row.run_id)
            end = run.finished_at if run is not None and run.finished_at is not None else row.at
            written[row.key] = max(end, row.at)
    chosen = [k for k, (run, _) in created.items() if since_run is None or run >= since_run]
    entries = ledger.lookup(chosen)
    scope: dict[Kind, list[_Ours]] = {}
    known = {k.value: k for k in Kind}
    for key in chosen:
        entry = entries.get(key)
        kind = None if entry is None else known.get(entry.kind)
        if entry is None or entry.target_id is None or kind is None:
            continue
        scope.setdefault(kind, []).append(
            _Ours(
                kind=kind,
                key=key,
                target_id=entry.target_id,
                written=written[key],
                found=created[key][1] == "found",
            )
        )
    return scope


def _matched_after_interruption(ledger: Ledger, since_run: int | None) -> list[Kept]:
    """Keys last ``matched`` (by a run ``since_run`` or later) that were sent more often than
    the ledger recorded an answer: a send an interruption cut short may have created the
    record the resumed run then adopted by its natural key. Custom fields too when a copy run
    before the one that matched them did not finish: its setup (which sends no key) may have
    created them. Never deleted: listed as left."""
    copies = {mode.value for mode in Mode}
    unfinished = [r.id for r in ledger.runs() if r.mode in copies and r.status != "completed"]
    only_created = {k.value for k in _ONLY_CREATED}
    answered: Counter[str] = Counter()
    last: dict[str, tuple[str, int]] = {}  # key -> (its last answer, the run that gave it)
    for row in ledger.journal():
        if row.kind in only_created:
            continue
        if row.action == DELETED:
            answered.pop(row.key, None)
            last.pop(row.key, None)
        elif row.action in _ANSWERS:
            answered[row.key] += 1
            last[row.key] = (row.action, row.run_id)
    chosen = [
        key
        for key, (action, run) in last.items()
        if action == "matched" and (since_run is None or run >= since_run)
    ]
    why = (
        "matched after an interrupted run: it may be a record that run created;"
        " check it and delete it by hand if so"
    )
    return [
        Kept(entry.kind, entry.target_id, key, why)
        for key, entry in sorted(ledger.lookup(chosen).items())
        if entry.target_id is not None
        and (
            entry.attempts > answered[key]
            or (entry.kind == Kind.FIELD.value and any(r < last[key][1] for r in unfinished))
        )
    ]


def _chunks(items: Sequence[_Ours], size: int) -> Iterator[Sequence[_Ours]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rollback(
    target: Target,
    ledger: Ledger,
    *,
    since_run: int | None = None,
    dry_run: bool = False,
    force: bool = False,
    plan_digest: str = "",
    stop: threading.Event | None = None,
    slack: timedelta = SLACK,
    probe: Callable[[str], None] | None = None,
) -> RollbackReport:
    """Delete from ``target`` what the ledger says the migration's runs created (``since_run``:
    that run and later ones), journalled and resumable; see the module's description.
    ``dry_run`` reads the target (which records changed) but writes nothing anywhere.
    ``stop`` set between two steps ends the rollback as ``interrupted`` (run it again).
    ``probe`` is called at each step of the protocol (``sent``: journalled, not sent yet;
    ``deleted``: the target answered, not recorded yet; ``recorded``); tests raise from it."""
    wanted = [side for side in sides_of([], target) if side.side == "target"]
    check_accounts([a for a in ledger.accounts() if a.side == "target"], wanted, repoint=False)
    pending = sum(c["pending"] for c in ledger.counts().values())
    if pending:  # sent, maybe created, and not known yet: the run's resume finds them
        raise ConfigError(
            f"{ledger.path}: {pending} records were being written when a run stopped; finish"
            " that run first (cemigrate run PLAN --resume), so the rollback knows what it made"
        )
    scope = _scope(ledger, since_run)
    report = RollbackReport(dry_run=dry_run)
    report.left.extend(_matched_after_interruption(ledger, since_run))
    run_id = None if dry_run else ledger.start_run(MODE, plan_digest)
    report.run_id = run_id
    status = "failed"
    try:
        for kind in ORDER:
            items = scope.get(kind, [])
            for chunk in _chunks(items, CHUNK):
                if stop is not None and stop.is_set():
                    raise Interrupted("the rollback was asked to stop")
                _step(target, ledger, run_id, kind, chunk, report, force, slack, probe)
        if run_id is not None:
            ledger.clear_cursors()  # also after a resumed rollback that found little left
        status = "completed"
    except Interrupted:
        status = "interrupted"
        raise
    finally:
        if run_id is not None:
            ledger.finish_run(run_id, status)
    return report


def _step(
    target: Target,
    ledger: Ledger,
    run_id: int | None,
    kind: Kind,
    chunk: Sequence[_Ours],
    report: RollbackReport,
    force: bool,
    slack: timedelta,
    probe: Callable[[str], None] | None,
) -> None:
    """One chunk of keys of one kind: look them up, keep the changed, delete the rest."""
    changed = target.last_changed(kind, [o.target_id for o in chunk])
    gone, doomed = [], []
    for item in chunk:
        if item.target_id in changed and changed[item.target_id] is None:
            gone.append(item)
            continue
        when = changed.get(item.target_id)
        if not force and item.found and kind not in _ONLY_CREATED:
            why = "found after an interrupted run: it may be a record the target already held"
            report.kept.append(Kept(kind.value, item.target_id, item.key, why))
        elif not force and when is not None and when > item.written + slack:
            why = f"changed in the target at {when:%Y-%m-%d %H:%M:%S} UTC, after the migration"
            report.kept.append(Kept(kind.value, item.target_id, item.key, why))
        else:
            doomed.append(item)
    report.gone[kind.value] += len(gone)
    if run_id is None:  # a dry run
        report.deleted[kind.value] += len(doomed)
        return
    ledger.forget(run_id, [(kind.value, o.key, o.target_id, DELETED) for o in gone])
    if not doomed:
        return
    step = probe or (lambda _: None)
    ledger.record_events(run_id, [(kind.value, o.key, o.target_id, SENT) for o in doomed])
    step("sent")
    try:
        target.delete(kind, [o.target_id for o in doomed])
    except RecordError as exc:
        # Part of the call may have gone through (a collection deletes each id on its own):
        # what the target no longer holds is recorded as deleted, the rest listed as left.
        why = exc.reason + (f" ({exc.platform_message})" if exc.platform_message else "")
        after = target.last_changed(kind, [o.target_id for o in doomed])
        went = [o for o in doomed if o.target_id in after and after[o.target_id] is None]
        stayed = [o for o in doomed if o not in went]
        log.warning("%s: %d records not deleted: %s", kind, len(stayed), why)
        report.left.extend(Kept(kind.value, o.target_id, o.key, why) for o in stayed)
        doomed = went
        if not doomed:
            return
    step("deleted")
    ledger.forget(run_id, [(kind.value, o.key, o.target_id, DELETED) for o in doomed])
    report.deleted[kind.value] += len(doomed)
    log.info("%s: deleted %d records", kind, len(doomed))
    step("recorded")


@attrs.frozen
class RollbackCheck:
    """What the target holds, read back, of what a completed rollback deleted."""

    run_id: int
    """The rollback run the ledger ends with."""
    rolled_back: Counter[str]
    """Per kind: keys rolled back (and not written again since)."""
    checked: int
    """How many of them the target could look up by their source key (external id)."""
    still_there: tuple[tuple[str, str], ...]
    """``(key, target id)`` of each the target still holds under its source key."""
    kept: Counter[str]
    """Per kind: records the migration created that the ledger still holds (kept or left)."""

    @property
    def ok(self) -> bool:
        """Whether the target holds nothing of the migration."""
        return not self.still_there and not self.kept

    @property
    def verdict(self) -> str:
        """One line: rolled back, or what is still there."""
        if self.ok:
            return (
                f"rolled back (run {self.run_id}): the target holds none of the"
                f" {self.rolled_back.total()} records the migration created"
                f" ({self.checked} looked up by their source key)"
            )
        return (
            f"rolled back (run {self.run_id}) in part: {len(self.still_there)} deleted records"
            f" are still in the target, {self.kept.total()} kept or left"
        )

    def table(self) -> str:
        """Per kind: rolled back, kept; then each record still there."""
        lines = [f"{'kind':<24}{'rolled back':>12}{'kept':>8}"]
        for kind in ORDER:
            row = (self.rolled_back[kind.value], self.kept[kind.value])
            if any(row):
                lines.append(f"{kind.value:<24}{row[0]:>12}{row[1]:>8}")
        lines.extend(f"still there: {key} ({target_id})" for key, target_id in self.still_there)
        return "\n".join(lines)


def check_rolled_back(target: Target, ledger: Ledger) -> RollbackCheck | None:
    """After a completed rollback (the ledger's last run), read the target back: each key it
    deleted is looked up by its source key (:meth:`Target.find`), which must find nothing.
    None when the last run is not a completed rollback (a reconciliation then runs)."""
    runs = [r for r in ledger.runs() if r.mode != "dry_run"]
    if not runs or runs[-1].mode != MODE or runs[-1].status != "completed":
        return None
    last: dict[str, tuple[str, str | None]] = {}  # key -> (action, target id)
    kinds: dict[str, str] = {}
    for row in ledger.journal():
        if row.action == DELETED or row.action in _WRITES or row.action == "matched":
            last[row.key] = (row.action, row.target_id)
            kinds[row.key] = row.kind
    gone = {key: target_id for key, (action, target_id) in last.items() if action == DELETED}
    rolled = Counter(kinds[key] for key in gone)
    kept = Counter(kind.value for kind, items in _scope(ledger, None).items() for _ in items)
    checked = 0
    still: list[tuple[str, str]] = []
    known = {k.value: k for k in Kind}
    by_kind: dict[Kind, list[SourceKey]] = {}
    for key in gone:
        kind = known.get(kinds[key])
        if kind is not None:
            by_kind.setdefault(kind, []).append(SourceKey.parse(key))
    can_find = bool(by_kind) and Capability.FIND_BY_EXTERNAL_ID in target.describe().capabilities
    for kind, keys in by_kind.items() if can_find else ():
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            found = target.find(kind, chunk)
            checked += len(chunk)
            still.extend((str(key), target_id) for key, target_id in found.items())
    return RollbackCheck(
        run_id=runs[-1].id,
        rolled_back=rolled,
        checked=checked,
        still_there=tuple(sorted(still)),
        kept=kept,
    )
