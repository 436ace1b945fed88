"""The run loop: read, map, write through the ledger, so that any interruption can be resumed.

The write protocol, for every target batch:

1. mark the batch's keys ``pending`` (one transaction);
2. send the batch, each record's external id set to its source key;
3. mark each key ``done`` with its target id, or ``failed`` with the platform's message;
4. advance the stream's cursor only past source batches whose keys are all settled.

On resume, ``pending`` creates are looked up in the target by external id first; only those
the target does not have are sent again. A batch the target refuses as a whole is split until
the record at fault is alone, so one bad record never blocks its neighbours.

A run asked to stop (the ``stop`` event of :meth:`Migration.run`, which the command line sets
on SIGINT or SIGTERM) finishes the protocol step it is in, then ends ``interrupted``: nothing
is half done, and ``resume`` continues it.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import ClassVar, Final, Protocol, final

import attrs

from cemigrate.adapters import Change, FileSource, Outgoing, Source, Target, WriteResult
from cemigrate.copier import sample as sampling
from cemigrate.copier.dryrun import DryRunCheck, failed_reference, needed_refs
from cemigrate.copier.fidelity import FidelityPlan, estimate_hours
from cemigrate.copier.identity import AccountCheck, check_accounts, check_target_holds, sides_of
from cemigrate.copier.inflight import AUTO, BatchPace, InFlight, in_flight_for
from cemigrate.copier.parking import Parking
from cemigrate.copier.pipeline import Reader, Stream, StreamBatch
from cemigrate.copier.prefetch import Prefetch
from cemigrate.copier.progress import Progress
from cemigrate.copier.refstates import RefStates
from cemigrate.copier.report import KindTally, Problem, RunReport, problems_of
from cemigrate.copier.watch import Recorder, Recording, count_totals
from cemigrate.errors import (
    ConfigError,
    Interrupted,
    LedgerError,
    QuotaExhausted,
    RecordError,
    TransientError,
    WriteOutcomeUnknown,
)
from cemigrate.ledger import Entry, EntryState, Ledger, Outcome, PendingEntry
from cemigrate.mapping import (
    IDENTITY,
    FieldStep,
    MappingFile,
    RecordMapping,
    Refuse,
    Skip,
    rewrite_inline,
)
from cemigrate.mapping.mask import Mask, check_ledger
from cemigrate.schema import (
    PLAN_ORDER,
    Kind,
    Record,
    Ref,
    SourceKey,
    Ticket,
    User,
    canonical_json,
    content_hash,
    linked_refs,
    owner_ticket,
    refs_of,
)

log = logging.getLogger("cemigrate.copier")

_FIND_CHUNK: Final = 100
BATCH_BYTES: Final = 64 * 1024 * 1024
"""Most record data (canonical JSON) one write batch holds, whatever its target's batch size:
a batch is held in memory while it is written, so a target that takes thousands of records a
call (Salesforce's Bulk jobs) still takes fewer when they are large."""
IN_FLIGHT_BYTES: Final = 4 * BATCH_BYTES
"""Most record data in the batches in flight at once: however many the budgets would take
(Salesforce's batches of 10,000 tickets wait on Bulk jobs), memory stays bounded."""
_UNLINKED: Final = ":unlinked-lookup"
"""Marks the ledger's content hash of a record written without one of its lookups."""


class Mode(enum.StrEnum):
    """What a run reads and writes."""

    FULL = "full"
    """Read every record from the start; write what is new or changed."""
    DELTA = "delta"
    """Read only what changed since the stored cursors; write what is new or changed."""
    ONLY_FAILED = "only-failed"
    """Read from the start, but write only the records whose last attempt failed."""


Probe = Callable[[str], None]
"""Called at each step of the write protocol (``pending``, ``sent``, ``done``, ``cursor``);
tests raise from it to crash a run at an exact point."""


def match_key(record: Record) -> str | None:
    """What users are matched on across instances: SHA-256 of the lowercased e-mail.

    The ledger keeps this digest, never the address.
    """
    if isinstance(record, User) and record.email:
        return hashlib.sha256(record.email.strip().lower().encode("utf-8")).hexdigest()
    return None


def placeholder_user(source_id: str) -> User:
    """What a user the source can no longer produce becomes (``users.missing =
    "placeholder"``): a deleted end user named after its original id, written once and keyed
    by that user's own source key, so that its records keep an author."""
    return User(id=source_id, name=f"Deleted user {source_id}", deleted=True)


def _missing_users(mapping: RecordMapping) -> str:
    """The mapping's ``users.missing`` policy (``placeholder`` unless a file says ``fail``)."""
    return mapping.missing_users if isinstance(mapping, MappingFile) else "placeholder"


@attrs.define
class _Item:
    key: SourceKey
    record: Record
    hash: str
    target_id: str | None
    match: str | None
    lookups: tuple[Ref, ...] = ()
    """The records its lookup fields' values name (:mod:`cemigrate.copier.fieldstep`)."""
    size: int = 0
    """Bytes of its canonical JSON (what bounds a write batch: :data:`BATCH_BYTES`)."""
    refs: frozenset[Ref] = attrs.field(init=False)
    """Every record it names: its links and its lookups' values, each once (the late
    references, the links and what must not be in flight are all looked up by them)."""

    def __attrs_post_init__(self) -> None:
        self.refs = frozenset((*linked_refs(self.record), *self.lookups))


_ParkedBatch = tuple[Stream, list[_Item], Callable[[], None] | None, frozenset[str]]
"""A batch set aside (:class:`~cemigrate.copier.parking.Parking`): its stream, records, what
to call once recorded, and its keys that were in flight when it was parked."""


class Migration:
    """One migration: sources, a target, a ledger and a mapping.

    ``Migration(...).run()`` copies; calling it again is safe: nothing unchanged is written
    twice, and an interrupted run continues with ``run(resume=True)``.
    """

    def __init__(
        self,
        *,
        sources: Sequence[Source],
        target: Target,
        ledger: Ledger,
        mapping: RecordMapping = IDENTITY,
        progress: bool | None = None,
        probe: Probe | None = None,
        plan_digest: str = "",
        read_ahead: int = 4,
        repoint: bool = False,
        concurrency: int | None = None,
        recording: Recording | None = None,
        mask: Mask | None = None,
    ) -> None:
        names = [source.instance for source in sources]
        if len(set(names)) != len(names):
            raise ConfigError(f"source instance names must differ: {names}")
        self.sources = tuple(sources)
        self.target = target
        self.ledger = ledger
        self.mapping = mapping
        self._sample: int | None = None
        self._last_check: DryRunCheck | None = None
        self._last_fields: FieldStep | None = None
        self._progress = progress
        self._probe = probe or (lambda _step: None)
        self._plan_digest = plan_digest
        self._read_ahead = read_ahead
        self.repoint = repoint
        """Accept sides whose account differs from the ledger's (a deliberate re-point): the
        new accounts are recorded and journalled. Without it such a run is refused."""
        if concurrency is not None and concurrency < 0:
            raise ConfigError(f"concurrency must be 0 (auto) or more, not {concurrency}")
        self.mask = mask
        """A masked rehearsal: personal data replaced in every record and attachment before
        the target (or the dry run) sees it (:mod:`cemigrate.mapping.mask`)."""
        self.concurrency = concurrency
        """Target batches in flight at once: None (the default) or
        :data:`~cemigrate.copier.inflight.AUTO` (0) as many as the target's budgets take at
        the latency its calls show and the time its batches take per call
        (:func:`~cemigrate.copier.inflight.in_flight_for`); N keeps
        at most N in flight; 1 writes one batch at a time."""
        self.recording = recording or Recording()
        """How a run records its progress in the ledger for ``cemigrate status --watch``
        (:mod:`cemigrate.copier.watch`)."""

    def close(self) -> None:
        """Close the ledger, and the adapters that hold files (stores, spools)."""
        self.ledger.close()
        for source in self.sources:
            source.close()
        self.target.close()

    def __enter__(self) -> Migration:
        return self

    def __exit__(self, *_: object) -> None:
        """Close as :meth:`close` does (the ledger, the sources' spools, the target)."""
        self.close()

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        *,
        mode: Mode = Mode.FULL,
        resume: bool = False,
        dry_run: bool = False,
        stop: threading.Event | None = None,
    ) -> RunReport:
        """Copy the sources into the target (or, with ``dry_run``, say what would happen).

        ``resume`` continues the last run where it stopped, in that run's mode: one that was
        interrupted, that failed (a ledger fault, say) or that never recorded its end.
        ``stop``, once set (from a signal handler or another thread), makes the run finish the
        write step it is in and end with status ``interrupted``, the reader thread stopped too.
        """
        started = time.monotonic()
        # The copier's own runs (the rules' activation step records runs of its own).
        modes = {m.value for m in Mode}
        last = next((r for r in reversed(self.ledger.runs()) if r.mode in modes), None)
        unfinished = last is not None and last.status in ("running", "interrupted")
        if resume and last is None:
            resume = False  # nothing recorded yet (the setup stopped before the first run)
        elif resume:
            if last is None or not (unfinished or last.status == "failed"):
                raise ConfigError(
                    "nothing to resume: the last run finished (run again, or with --delta)"
                )
            mode = Mode(last.mode)
        elif unfinished and not dry_run and last is not None:
            raise ConfigError(
                f"run {last.id} ({last.mode}, started {last.started_at:%Y-%m-%d %H:%M} UTC)"
                " did not finish: continue it with --resume"
            )
        recorded = self.ledger.mask_check()
        where = str(self.ledger.path)
        check_ledger(recorded, self.mask, has_runs=last is not None, ledger=where, doing="run")
        if self.mask is not None and recorded is None and not dry_run:
            self.ledger.record_mask_check(self.mask.check())  # before anything is written
        if dry_run:
            checker = _DryRunWriter(self, mode=mode, stop=stop)
            report = checker.run(resume=resume, started=started)
            self._last_check = checker.check
            self._last_fields = checker.field_step
            return report
        return _LedgerWriter(self, mode=mode, stop=stop).run(resume=resume, started=started)

    def dry_run(
        self,
        *,
        mode: Mode = Mode.FULL,
        sample: int | None = None,
        stop: threading.Event | None = None,
    ) -> FidelityPlan:
        """Read the sources, map every record and ask the target about each one, writing
        nothing: the fidelity plan (also what notebooks call). ``sample``: check that many
        tickets, chosen to include the awkward ones (:mod:`cemigrate.copier.sample`).
        ``stop``: as for :meth:`run` (the plan then reports the dry run ``interrupted``)."""
        if sample is not None and sample < 1:
            raise ConfigError("--sample must be 1 or more")
        self._sample = sample
        try:
            report = self.run(mode=mode, dry_run=True, stop=stop)
        finally:
            self._sample = None
        check = self._last_check
        mapping = self.mapping
        estimate = estimate_hours(
            report=report,
            source_budgets=[source.budgets for source in self.sources],
            target_budgets=self.target.budgets,
            batch_size=self.target.batch_size,
            attachments=check.attachments if check is not None else 0,
        )
        fields = self._last_fields
        return FidelityPlan.build(
            report,
            (
                *(mapping.notes() if isinstance(mapping, MappingFile) else ()),
                *(fields.notes() if fields is not None else ()),
            ),
            sample=sample,
            changed=mapping.changed() if isinstance(mapping, MappingFile) else {},
            estimate=estimate,
            masked=isinstance(mapping, MappingFile) and mapping.mask_personal_data,
        )


class _Writer:
    """What a run and a dry run share (the main thread): ask the platforms, read every
    stream, map each record and decide with the ledger which need writing. What happens to
    them then is :class:`_LedgerWriter`'s (write through the ledger) or :class:`_DryRunWriter`'s
    (ask the target, write nothing)."""

    dry_run: ClassVar[bool]

    def __init__(
        self, migration: Migration, *, mode: Mode, stop: threading.Event | None = None
    ) -> None:
        self.m = migration
        self.stop = stop
        self.ledger = migration.ledger
        self.target = migration.target
        self.mode = mode
        self.tallies: dict[str, KindTally] = {kind.value: KindTally() for kind in PLAN_ORDER}
        self.run_id: int | None = None
        self.changes: tuple[Change, ...] = ()
        self.readable: dict[str, frozenset[Kind]] = {}
        self.not_read: tuple[str, ...] = ()
        self.writable: frozenset[Kind] = frozenset()
        self.accounts = AccountCheck(record=(), repointed=())
        self.asked: set[str] = set()
        """Keys of late references already looked at in this run (fetched at most once)."""
        self.gone: set[str] = set()
        """Keys of late references the source could not produce (deleted for good)."""
        mapping = migration.mapping
        self.field_step = FieldStep(
            mapping.field_type if isinstance(mapping, MappingFile) else lambda _o, _k: None
        )
        """Lookups carried as references, read-only fields left out."""

    @final
    def run(self, *, resume: bool, started: float) -> RunReport:
        """Ask every platform, set the target up, copy (or check) every stream, report."""
        # A renamed source or another target is refused before anything is asked or written.
        self.accounts = check_accounts(
            self.ledger.accounts(),
            sides_of(self.m.sources, self.target),
            repoint=self.m.repoint,
        )
        # Ask every platform first: wrong credentials or a refused setup stop here, before the
        # ledger records a run.
        accounts = {source.instance: source.describe() for source in self.m.sources}
        for instance, meta in accounts.items():
            self.field_step.learn(instance, meta.fields)
        self.readable = {instance: meta.kinds for instance, meta in accounts.items()}
        self.not_read = tuple(s for meta in accounts.values() for s in meta.not_read)
        described = self.target.describe()
        self.writable = described.kinds
        # A target that lost what the ledger wrote there (emptied, replaced): one line, now.
        check_target_holds(self.ledger, self.target)
        # A value the target does not take, a field no source has: one line, exit 2.
        self.m.mapping.bind(described, tuple(accounts.values()))
        if self.m.mask is not None:  # which custom fields are free text, under mapped keys too
            for meta in accounts.values():
                self.m.mask.learn(meta.fields, self.m.mapping)
        status = "completed"
        stopped = ""
        try:
            self.changes = tuple(self.target.prepare(self.m.mapping.needs(), dry_run=self.dry_run))
        except (QuotaExhausted, Interrupted, TransientError, WriteOutcomeUnknown) as exc:
            # The setup may be half done; a resume asks the target again (find-or-create).
            log.warning("setup stopped, resumable with --resume: %s", exc)
            return self._report("interrupted", str(exc), started)
        if self.stop is not None and self.stop.is_set():  # asked during the setup: no run begun
            return self._report("interrupted", "asked to stop", started)
        self._begin(resume=resume)
        try:
            self._recover()
            try:
                self._copy()
            except BaseException:
                self._stop_writing(failed=True)
                raise
            self._stop_writing(failed=False)
        except (QuotaExhausted, Interrupted, TransientError, WriteOutcomeUnknown) as exc:
            status, stopped = "interrupted", str(exc)
            asked = self.stop is not None and self.stop.is_set()  # the caller says so itself
            level = logging.INFO if asked else logging.WARNING
            log.log(level, "run stopped, resumable with --resume: %s", exc)
        except Exception:
            self._end_after_error("failed")
            raise
        except BaseException:  # stopped at once (a second signal): the cut step is resumable
            self._end_after_error("interrupted")
            raise
        self._end(status)
        return self._report(status, stopped, started)

    def check_stop(self) -> None:
        """Between two protocol steps: raise :class:`Interrupted` if the run was asked to stop."""
        if self.stop is not None and self.stop.is_set():
            raise Interrupted("asked to stop")

    def _end_after_error(self, status: str) -> None:
        # A ledger that cannot take the run's end (a full disk) leaves it "running", which a
        # resume accepts too; the error that stopped the run is the one to report.
        with contextlib.suppress(LedgerError):
            self._end(status)

    # -- hooks -----------------------------------------------------------------------------

    def _stop_writing(self, *, failed: bool) -> None:
        """After the copy (``failed``: it raised): settle the batches still being written."""

    def _begin(self, *, resume: bool) -> None:
        """Before the first stream is read."""

    def _recover(self) -> None:
        """What an interrupted run left, settled before the copy starts."""

    def _end(self, status: str) -> None:
        """After the last stream, or when the run stopped (``status``)."""

    def _cursor(self, source: Source, kind: Kind) -> str | None:
        """Where reading ``kind`` from ``source`` starts (None: from the beginning)."""
        if self.mode is Mode.DELTA:
            return self.ledger.get_cursor(source.instance, kind.value)
        return None

    def _sample(self) -> int | None:
        """Tickets to check instead of all (a sampled dry run)."""
        return None

    def _stream(self, stream: Stream) -> _StreamSink:
        """What takes the batches of one stream."""
        raise NotImplementedError

    def _settled(self, entries: Iterable[Entry]) -> None:
        """The ledger's entries for the records just read (before they are classified)."""

    def _record(self, outcomes: list[Outcome]) -> None:
        """Outcomes decided without writing (records skipped by a policy)."""

    def _refuse(self, kind: Kind, refused: Sequence[tuple[SourceKey, str]]) -> None:
        """Records the mapping cannot carry under an ``error`` policy."""
        raise NotImplementedError

    def _problems(self) -> tuple[Problem, ...]:
        return ()

    def _report(self, status: str, stopped: str, started: float) -> RunReport:
        budgets = {**self.target.budgets.snapshot()}
        for source in self.m.sources:
            budgets.update(source.budgets.snapshot())
        return RunReport(
            run_id=self.run_id,
            mode=self.mode.value,
            dry_run=self.dry_run,
            status=status,
            stopped_because=stopped,
            seconds=time.monotonic() - started,
            kinds={
                kind: tally for kind, tally in self.tallies.items() if any(tally.as_dict().values())
            },
            budgets=budgets,
            changes=self.changes,
            problems=self._problems(),
            not_read=self.not_read,
        )

    # -- the copy --------------------------------------------------------------------------

    def _streams(self) -> list[Stream]:
        streams = []
        sample = self._sample()
        for kind in PLAN_ORDER:
            if kind not in self.writable:
                continue
            if sample is not None and kind in sampling.DEPENDENT_KINDS:
                continue
            for source in self.m.sources:
                if kind not in self.readable[source.instance]:
                    continue
                limit = None
                if sample is not None and kind is Kind.TICKET:
                    limit = sampling.read_limit(sample)
                streams.append(Stream(source, kind, self._cursor(source, kind), limit))
        return streams

    def _copy(self) -> None:
        progress = Progress(enabled=self.m._progress)
        current: _StreamSink | None = None
        self.check_stop()
        with (
            Reader(self._streams(), depth=self.m._read_ahead, stop=self.stop) as reader,
            progress,
        ):
            for item in reader:
                self.check_stop()
                if current is None or current.stream is not item.stream:
                    current = self._stream(item.stream)
                if isinstance(item, StreamBatch):
                    current.add(item.batch.records, item.batch.cursor)
                    progress.advance(item.stream.kind, len(item.batch.records))
                else:
                    current.finish()
                    current = None

    def classify(
        self, stream: Stream, records: Sequence[Record], *, counted: str | None = "read"
    ) -> list[_Item]:
        """Map records and decide, with one ledger query, which need writing; ``counted``:
        the column the records are counted in (fetched records are not ``read``)."""
        kind, instance = stream.kind, stream.source.instance
        tally = self.tallies[kind.value]
        if counted is not None:
            tally.add(counted, len(records))
        mapped: list[tuple[SourceKey, Record]] = []
        skipped: list[tuple[SourceKey, str]] = []
        refused: list[tuple[SourceKey, str]] = []
        lookups: dict[SourceKey, tuple[Ref, ...]] = {}
        for record in records:
            key = SourceKey(instance, kind, record.id)
            prepared = self.field_step.prepare(instance, record)
            if isinstance(prepared, Skip):
                skipped.append((key, prepared.policy))
                continue
            lookups[key] = self.field_step.lookups(instance, prepared)
            result = self.m.mapping.apply(kind, prepared)
            if isinstance(result, Ticket):
                # Before any target sees it: no body may point at the source's attachments.
                result, rewritten = rewrite_inline(result)
                tally.add("inline_images", rewritten)
            if self.m.mask is not None and not isinstance(result, Skip | Refuse):
                result = self.m.mask.record(result)  # the one place records are masked
            if isinstance(result, Skip):
                skipped.append((key, result.policy))
            elif isinstance(result, Refuse):
                refused.append((key, result.reason))
            else:
                mapped.append((key, result))
        entries = self.ledger.lookup(
            [str(key) for key, _ in mapped]
            + [str(key) for key, _ in skipped]
            + [str(key) for key, _ in refused]
        )
        self._settled(entries.values())
        self._skip(kind, skipped, entries)
        self._refuse(kind, refused)
        items: list[_Item] = []
        for key, record in mapped:
            entry = entries.get(str(key))
            if self.mode is Mode.ONLY_FAILED and (
                entry is None or entry.state is not EntryState.FAILED
            ):
                continue
            digest = content_hash(record)
            if (
                entry is not None
                and entry.state is EntryState.DONE
                and entry.content_hash == digest
            ):
                tally.add("unchanged")
                continue
            items.append(
                _Item(
                    key,
                    record,
                    digest,
                    entry.target_id if entry else None,
                    match_key(record),
                    lookups.get(key, ()),
                    len(canonical_json(record)),
                )
            )
        return items

    def late(
        self, stream: Stream, chunk: Sequence[_Item], held: Callable[[Sequence[str]], set[str]]
    ) -> Iterator[tuple[Stream, list[Record]]]:
        """Late references: what a batch refers to that no stream brought, fetched by id.

        A reference to a record of a kind written earlier in the plan (a ticket's requester,
        a user's organization, the ticket of an SLA metric) that ``held`` does not know (or
        knows only as ``pending``) was changed after its stream was read, or left out of an
        export's last minute: it is
        fetched from the batch's source by id (one call per kind and batch, never the same
        key twice in a run). A user the source can no longer produce becomes a placeholder
        under the mapping's ``users.missing`` policy; the records that hang off a ticket it
        can no longer produce are skipped with it (:attr:`gone`). Yields, kind by kind in
        plan order, a stream to write the records as and the records, for the caller to map
        and write (or check) before the batch."""
        source, instance = stream.source, stream.source.instance
        order = PLAN_ORDER.index(stream.kind)
        readable = self.readable.get(instance, frozenset())
        earlier = {
            kind
            for kind in PLAN_ORDER[:order]
            if kind is not Kind.FIELD  # read whole before any record: never late
            and kind in self.writable
            and kind in readable
        }
        # A batch's records name the same few users and organizations again and again: each
        # reference is looked at once per batch.
        refs = {ref for item in chunk for ref in item.refs if ref.kind in earlier}
        wanted = {
            key: ref for ref in refs if (key := str(SourceKey.of(instance, ref))) not in self.asked
        }
        if not wanted:
            return
        # Placeholders stand in for what a record needs, not for what a rule merely names.
        needed = {ref for item in chunk for ref in refs_of(item.record)}
        known = held(list(wanted))
        missing = [ref for key, ref in wanted.items() if key not in known]
        self.asked.update(wanted)
        for kind in PLAN_ORDER[:order]:
            ids = sorted({ref.id for ref in missing if ref.kind is kind})
            if not ids:
                continue
            try:
                records = list(source.fetch(kind, ids))
            except RecordError as exc:  # refused, not gone: no placeholder stands in
                log.warning("%s: %s %s could not be fetched: %s", instance, kind, ids[:5], exc)
                continue
            served = {record.id for record in records}
            self.tallies[kind.value].add("fetched", len(served))
            gone = [i for i in ids if i not in served]
            if kind is Kind.USER and _missing_users(self.m.mapping) == "placeholder":
                stand_in = [i for i in gone if Ref(kind=kind, id=i) in needed]
                records.extend(placeholder_user(i) for i in stand_in)
                self.tallies[kind.value].add("placeholder", len(stand_in))
                gone = [i for i in gone if i not in stand_in]
            if gone:
                self.gone.update(str(SourceKey(instance, kind, i)) for i in gone)
                log.warning(
                    "%s: %s %s referred to but not in the source any more",
                    instance,
                    kind,
                    ", ".join(gone[:5]) + (" ..." if len(gone) > 5 else ""),
                )
            if records:
                log.info(
                    "%s: %d %s records late, before a %s batch",
                    instance,
                    len(records),
                    kind,
                    stream.kind,
                )
                yield Stream(source, kind, None), records

    def _skip(
        self, kind: Kind, skipped: Sequence[tuple[SourceKey, str]], entries: dict[str, Entry]
    ) -> None:
        if self.mode is Mode.ONLY_FAILED:  # a run of the failures looks at nothing else
            skipped = [
                (key, policy)
                for key, policy in skipped
                if (prior := entries.get(str(key))) is not None and prior.state is EntryState.FAILED
            ]
        self.tallies[kind.value].add("skipped", len(skipped))
        # Already recorded as skipped: a re-run adds nothing to the journal.
        skipped = [
            (key, policy)
            for key, policy in skipped
            if (prior := entries.get(str(key))) is None or prior.state is not EntryState.SKIPPED
        ]
        if not skipped:
            return
        outcomes = [
            Outcome(
                key=str(key),
                state=EntryState.SKIPPED,
                action="skipped",
                reason=policy,
                kind=key.kind.value,
                instance=key.instance,
                source_id=key.id,
            )
            for key, policy in skipped
        ]
        self._record(outcomes)


class _LedgerWriter(_Writer):
    """A run: every batch goes through the ledger's write protocol into the target."""

    dry_run = False

    def __init__(
        self, migration: Migration, *, mode: Mode, stop: threading.Event | None = None
    ) -> None:
        super().__init__(migration, mode=mode, stop=stop)
        self.failures: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        """(kind, reason) → the keys that failed for it in this run (the report's problems)."""
        self.inflight: InFlight[list[WriteResult] | BaseException] = InFlight(
            self._in_flight, max_bytes=IN_FLIGHT_BYTES
        )
        clocks = [budget.clock for budget in self.target.budgets.values()]
        self.pace = BatchPace(clocks[0].monotonic if clocks else time.monotonic)
        """How long the batches written on workers took per call they made (on the clock the
        target's budgets wait on)."""
        self.watch: Recorder | None = None
        """Records the run's progress for a watcher (:mod:`cemigrate.copier.watch`)."""
        self.ref_states = RefStates(self.ledger)
        """What a batch refers to, asked of the ledger once for its late references and links."""
        self.parking: Parking[_ParkedBatch] = Parking()
        """Batches waiting for what they refer to, while the copier goes on (:mod:`.parking`)."""
        self.prefetch = Prefetch()
        """Attachment downloads and SLA history, off the target's writer (:mod:`.prefetch`)."""

    def _in_flight(self) -> int:
        if self.m.concurrency is None or self.m.concurrency == AUTO:
            return in_flight_for(self.target.budgets, self.pace)
        return self.m.concurrency

    def _stop_writing(self, *, failed: bool) -> None:
        """Record what the batches in flight wrote (after an error too: their writes
        happened), then stop the workers."""
        try:
            if failed:
                self.inflight.abandon()
            else:
                self.inflight.drain()
        finally:
            self.inflight.close()
            self.prefetch.close()

    def _begin(self, *, resume: bool) -> None:
        self.run_id = self.ledger.start_run(self.mode.value, self.m._plan_digest)
        self.ledger.record_accounts(
            self.run_id, self.accounts.record, repointed=self.accounts.repointed
        )
        if self.mode is Mode.FULL and not resume:
            for instance, stream in self.ledger.cursors():
                self.ledger.set_cursor(instance, stream, None)
        self.watch = self._recorder()

    def _recorder(self) -> Recorder:
        streams = [(stream.source.instance, stream.kind) for stream in self._streams()]
        kinds = list(dict.fromkeys(kind for _, kind in streams))
        # A delta or a re-drive of the failures reads an unknown share of the source.
        full = self.mode is Mode.FULL
        totals = count_totals(self.m.recording, self.m.sources, kinds) if full else {}
        return Recorder(
            self.m.recording,
            self.ledger,
            self._run(),
            budgets=[self.target.budgets, *(source.budgets for source in self.m.sources)],
            streams=streams,
            totals=totals,
        )

    def _recover(self) -> None:
        self._resolve_pending()

    def _end(self, status: str) -> None:
        if self.run_id is not None:
            if self.watch is not None:
                self.watch.finish(status)
            self.ledger.finish_run(self.run_id, status)

    def _cursor(self, source: Source, kind: Kind) -> str | None:
        if self.mode is Mode.ONLY_FAILED:  # re-drives failure rows: reads every stream whole
            return None
        return self.ledger.get_cursor(source.instance, kind.value)

    def _stream(self, stream: Stream) -> _StreamSink:
        return _StreamWriter(self, stream)

    def _record(self, outcomes: list[Outcome]) -> None:
        self.ledger.record_outcomes(self._run(), outcomes)

    def _refuse(self, kind: Kind, refused: Sequence[tuple[SourceKey, str]]) -> None:
        """Records the mapping cannot carry under an ``error`` policy: failed, not sent."""
        if not refused:
            return
        self.tallies[kind.value].add("failed", len(refused))
        for key, reason in refused:
            log.warning("%s failed: %s", key, reason)
            self.failures[(kind.value, reason)].append(str(key))
        self.ledger.record_outcomes(
            self._run(),
            [
                Outcome(
                    key=str(key),
                    state=EntryState.FAILED,
                    action="failed",
                    reason=reason,
                    kind=key.kind.value,
                    instance=key.instance,
                    source_id=key.id,
                )
                for key, reason in refused
            ],
        )

    def _resolve_pending(self) -> None:
        """Creates that were sent but not recorded: find them in the target by external id."""
        for kind in PLAN_ORDER:
            creates = [
                entry
                for entry in self.ledger.entries(state=EntryState.PENDING, kind=kind.value)
                if entry.target_id is None  # an update is re-sent: it is idempotent
            ]
            for start in range(0, len(creates), _FIND_CHUNK):
                self.check_stop()
                chunk = creates[start : start + _FIND_CHUNK]
                found = self.target.find(kind, [SourceKey.parse(e.key) for e in chunk])
                outcomes = [
                    Outcome(
                        key=str(key), state=EntryState.DONE, action="found", target_id=target_id
                    )
                    for key, target_id in found.items()
                ]
                if outcomes:
                    self.ledger.record_outcomes(self._run(), outcomes)
                    self.tallies[kind.value].add("found", len(outcomes))
                    log.info(
                        "%s: %d sent before the interruption, found in the target",
                        kind,
                        len(outcomes),
                    )

    def _run(self) -> int:
        assert self.run_id is not None
        return self.run_id

    def send(
        self,
        stream: Stream,
        chunk: list[_Item],
        settled: Callable[[], None] | None = None,
        *,
        now: bool = False,
        parked_with: frozenset[str] | None = None,
    ) -> None:
        """Steps 1-3 of the write protocol for one target batch (after its late references).
        The write may go on a worker thread (a kind in the target's ``concurrent``);
        ``settled`` is called once its outcomes are recorded. ``now``: written before this
        returns. ``parked_with``: a batch that was set aside, sent now (never set aside again), and
        its keys that were in flight when it was."""
        # What the batch refers to or could be matched with must not be in flight; a record
        # read again while its first reading was in flight is looked at again once it landed.
        again: set[str] = set(parked_with or ())
        if len(self.inflight) and not now:
            # Room first: a batch that failed in flight stops the run before this one is
            # marked pending.
            self.inflight.make_room()
        if not now and parked_with is None and self._park(stream, chunk, settled):
            return  # sent once what it needs has landed (copier/parking.py)
        if len(self.inflight):
            again |= self.inflight.held(str(item.key) for item in chunk)
            self.inflight.wait_for(_needed_keys(chunk))
        if again:
            chunk = self._landed_meanwhile(stream.kind, chunk, again)
            if not chunk:
                if settled is not None:
                    settled()
                return
        self._late_references(stream, chunk)
        chunk = self._follow_gone(stream.kind, chunk)
        later: list[_Item] = []
        if stream.kind is Kind.USER:
            chunk, later = self._match_users(chunk)
        if chunk:
            self.ledger.mark_pending(
                self._run(),
                [
                    PendingEntry(
                        key=str(item.key),
                        instance=item.key.instance,
                        kind=item.key.kind.value,
                        source_id=item.key.id,
                        content_hash=item.hash,
                        match_key=item.match,
                    )
                    for item in chunk
                ],
            )
            self.m._probe("pending")
            self._write(stream, chunk, settled if not later else None, now=now)
        elif not later and settled is not None:
            settled()
        if later:
            self.send(stream, later, settled, now=now)

    def _park(
        self,
        stream: Stream,
        chunk: list[_Item],
        settled: Callable[[], None] | None,
    ) -> bool:
        """Send the parked batches whose needs landed; park this one if what it needs is in
        flight or parked (whether it was), so the copier goes on with the batches behind it.
        Only the records that need something in flight or parked are set aside: the others
        are sent at once (a batch of 10,000 tickets, a few of which name a ticket of the batch
        before as their problem, does not wait for it whole); the batch counts as settled
        once both parts are recorded."""
        self.parking.release(self.inflight.held, self._unpark)
        if not len(self.inflight) and not len(self.parking):
            return False
        needs = _needed_keys(chunk)
        busy = self.inflight.held(needs) | self.parking.carrying(needs)
        if not busy:
            return False
        blocked = [item for item in chunk if _needed_keys([item]) & busy]
        free = [item for item in chunk if not _needed_keys([item]) & busy]
        keys = {str(item.key) for item in blocked}
        held = self.inflight.held(keys) | self.parking.carrying(keys)
        part = settled if not free else _after_both(settled)
        parked = self.parking.park(
            (stream, blocked, part, frozenset(held)),
            _keys_of(blocked),
            _needed_keys(blocked),
            self.inflight.held,
        )
        if not free:
            return parked
        self.send(stream, free, part, parked_with=frozenset())
        if not parked:  # nothing it needs was in flight or parked after all
            self.send(stream, blocked, part, parked_with=frozenset(held))
        return True

    def _unpark(self, parked: _ParkedBatch) -> None:
        stream, chunk, settled, again = parked
        self.send(stream, chunk, settled, parked_with=again)

    def _landed_meanwhile(self, kind: Kind, chunk: list[_Item], keys: set[str]) -> list[_Item]:
        """Records of ``keys`` were classified while an earlier reading was in flight: now that
        it landed, an unchanged one is dropped and a changed one becomes an update."""
        entries = self.ledger.lookup(sorted(keys))
        kept: list[_Item] = []
        for item in chunk:
            entry = entries.get(str(item.key))
            if entry is not None and entry.state is EntryState.DONE and item.target_id is None:
                if entry.content_hash == item.hash:
                    self.tallies[kind.value].add("unchanged")
                    continue
                item = attrs.evolve(item, target_id=entry.target_id)
            kept.append(item)
        return kept

    def _late_references(self, stream: Stream, chunk: Sequence[_Item]) -> None:
        """Write first what the batch refers to that its own stream did not bring
        (:meth:`_Writer.late`), through the same protocol: pending, write, done or failed;
        no cursor moves for them."""
        refs = {ref for item in chunk for ref in item.refs}  # the same few, again and again
        self.ref_states.expect(str(SourceKey.of(stream.source.instance, ref)) for ref in refs)
        for late, records in self.late(stream, chunk, self._held):
            items = self.classify(late, records, counted=None)
            size = max(1, self.target.batch_size.get(late.kind, 100))
            for start in range(0, len(items), size):
                self.send(late, items[start : start + size], now=True)

    def _held(self, keys: Sequence[str]) -> set[str]:
        """The keys the ledger holds settled: done or skipped, they link; failed, their own
        failure row says why (records referring to them fail naming them). Not a pending
        one: left by a killed run, not found in the target when this one began
        (:meth:`_resolve_pending`), and not read again by its stream (a live source: changed
        since, its export's last minute leaves it out); fetched again and written, the
        records that hang off it are linked to it, not failed as "not in the target"."""
        return {
            key
            for key, (state, _) in self.ref_states.held(keys).items()
            if state is not EntryState.PENDING
        }

    def _follow_gone(self, kind: Kind, chunk: list[_Item]) -> list[_Item]:
        """Records that hang off a ticket the source no longer has (deleted while the run
        read on: its SLA events, metrics, rating) are skipped with it; the rest go on."""
        if not self.gone:
            return chunk
        return self._follow(
            kind,
            chunk,
            lambda key, owner: str(SourceKey.of(key.instance, owner)) in self.gone,
            "which the source no longer has",
        )

    def _follow(
        self,
        kind: Kind,
        chunk: Sequence[_Item],
        lost: Callable[[SourceKey, Ref], bool],
        why: str,
    ) -> list[_Item]:
        """Skip the records whose owning ticket is ``lost`` (``follows <ticket>, <why>``);
        the rest go on."""
        keep: list[_Item] = []
        outcomes = []
        for item in chunk:
            owner = owner_ticket(item.record)
            if owner is not None and lost(item.key, owner):
                outcomes.append(
                    Outcome(
                        key=str(item.key),
                        state=EntryState.SKIPPED,
                        action="skipped",
                        reason=f"follows {owner}, {why}",
                        kind=item.key.kind.value,
                        instance=item.key.instance,
                        source_id=item.key.id,
                    )
                )
            else:
                keep.append(item)
        if outcomes:
            self.ledger.record_outcomes(self._run(), outcomes)
            self.tallies[kind.value].add("skipped", len(outcomes))
        return keep

    def _match_users(self, chunk: list[_Item]) -> tuple[list[_Item], list[_Item]]:
        """Users whose e-mail is already in the target are matched, not created again;
        two of one e-mail in one batch are sent one after the other."""
        send: list[_Item] = []
        later: list[_Item] = []
        matched: list[Outcome] = []
        in_batch: set[str] = set()
        for item in chunk:
            if item.match is None or item.target_id is not None:
                send.append(item)
                continue
            entry = self.ledger.find_match(Kind.USER.value, item.match)
            if entry is not None and entry.key != str(item.key) and entry.target_id is not None:
                matched.append(
                    Outcome(
                        key=str(item.key),
                        state=EntryState.DONE,
                        action="matched",
                        target_id=entry.target_id,
                        content_hash=item.hash,
                        kind=item.key.kind.value,
                        instance=item.key.instance,
                        source_id=item.key.id,
                    )
                )
            elif item.match in in_batch:
                later.append(item)
            else:
                in_batch.add(item.match)
                send.append(item)
        if matched:
            self.ledger.record_outcomes(self._run(), matched)
            self.tallies[Kind.USER.value].add("matched", len(matched))
        return send, later

    def _write(
        self,
        stream: Stream,
        chunk: Sequence[_Item],
        settled: Callable[[], None] | None = None,
        *,
        now: bool = False,
    ) -> None:
        kind = stream.kind
        links, skipped, failed = self._links(stream.source.instance, chunk)
        if skipped:
            chunk = self._follow_skipped(kind, chunk, skipped)
        if failed:
            chunk = self._follow_failed(kind, chunk, failed)
        if not chunk:
            if settled is not None:
                settled()
            return
        # A user or organization written with a lookup the target could not link yet is
        # recorded with a hash no reading matches: the next full run writes it again, linked
        # if it can be. Not a ticket: an update may be refused (a closed Zendesk ticket).
        incomplete = {
            item.key
            for item in chunk
            if kind is not Kind.TICKET and any(r not in links for r in item.lookups)
        }
        unlinked = sum(1 for item in chunk for ref in item.lookups if ref not in links)
        if unlinked:
            self.tallies[kind.value].add("unlinked_lookups", unlinked)
        outgoing = [
            Outgoing(key=item.key, record=item.record, links=links, target_id=item.target_id)
            for item in chunk
        ]
        batch = list(chunk)
        # Attachments and SLA history fetched from the source while the batch waits.
        fetched = self.prefetch.batch(stream.source, [o.record for o in outgoing])
        mask = self.m.mask
        files: FileSource = fetched if mask is None else mask.files(fetched)

        concurrent = kind in getattr(self.target, "concurrent", frozenset())
        # The batches that may go several at once are timed: they set how many go at once.
        timing = self.pace.timing() if concurrent else contextlib.nullcontext()

        def work() -> list[WriteResult] | BaseException:
            try:
                with timing:
                    return self._send_to_target(kind, batch, outgoing, files)
            except BaseException as exc:  # raised again where the outcomes are recorded
                return exc
            finally:
                fetched.close()

        def settle(answer: list[WriteResult] | BaseException) -> None:
            if isinstance(answer, BaseException):
                raise answer
            self._record_results(kind, batch, answer, incomplete)
            if settled is not None:
                settled()

        if now or not concurrent:
            self.inflight.wait_for(str(item.key) for item in batch)
            settle(work())
            return
        self.inflight.submit(work, _keys_of(batch), settle, size=sum(item.size for item in batch))

    def _send_to_target(
        self, kind: Kind, chunk: list[_Item], outgoing: list[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """The target's answers for a batch, one per record (on a worker thread, maybe). A
        batch the target refuses as a whole is halved until the record at fault is alone."""
        try:
            return self.target.write(kind, outgoing, files)
        except RecordError as exc:
            if len(chunk) > 1:
                half = len(chunk) // 2
                log.info("%s: batch of %d refused (%s); splitting", kind, len(chunk), exc.reason)
                return [
                    *self._send_to_target(kind, chunk[:half], outgoing[:half], files),
                    *self._send_to_target(kind, chunk[half:], outgoing[half:], files),
                ]
            return [
                WriteResult(
                    key=chunk[0].key, error=exc.reason, platform_message=exc.platform_message
                )
            ]

    def _record_results(
        self,
        kind: Kind,
        chunk: Sequence[_Item],
        results: Sequence[WriteResult],
        incomplete: set[SourceKey],
    ) -> None:
        """Step 3 of the write protocol: each key ``done`` or ``failed`` (or skipped)."""
        self.m._probe("sent")
        if len(results) != len(chunk):
            raise RuntimeError(
                f"{self.target.platform} target answered {len(results)} results"
                f" for {len(chunk)} records"
            )
        outcomes = []
        tally = self.tallies[kind.value]
        for item, result in zip(chunk, results, strict=True):
            if result.skipped:
                action = "skipped"
                outcomes.append(
                    Outcome(
                        key=str(item.key),
                        state=EntryState.SKIPPED,
                        action=action,
                        reason=result.skipped,
                        target_id=result.target_id,  # a record the target holds all the same
                    )
                )
            elif result.ok:
                action = "updated" if item.target_id else "matched" if result.matched else "created"
                outcomes.append(
                    Outcome(
                        key=str(item.key),
                        state=EntryState.DONE,
                        action=action,
                        target_id=result.target_id,
                        content_hash=(
                            f"{item.hash}{_UNLINKED}" if item.key in incomplete else item.hash
                        ),
                    )
                )
            else:
                action = "failed"
                log.warning("%s failed: %s (%s)", item.key, result.error, result.platform_message)
                self.failures[(kind.value, result.error)].append(str(item.key))
                outcomes.append(
                    Outcome(
                        key=str(item.key),
                        state=EntryState.FAILED,
                        action=action,
                        reason=result.error,
                        platform_message=result.platform_message,
                    )
                )
            tally.add(action)
        self.ledger.record_outcomes(self._run(), outcomes)
        if self.watch is not None:
            self.watch.settled(kind, len(outcomes))
        log.info("%s: wrote a batch of %d", kind, len(outcomes))
        self.m._probe("done")

    def _links(
        self, instance: str, chunk: Iterable[_Item]
    ) -> tuple[dict[Ref, str], set[Ref], set[Ref]]:
        """Target ids of everything the batch refers to that is already written, the
        references the target declined by a policy, and those that failed (one query)."""
        # Records declare what they refer to (a rule's or SLA policy's ``names`` included).
        refs = {ref for item in chunk for ref in item.refs}
        if not refs:
            return {}, set(), set()
        by_key = {str(SourceKey.of(instance, ref)): ref for ref in refs}
        states = self.ref_states.states(list(by_key), {str(item.key) for item in chunk})
        links = {
            by_key[key]: target_id
            for key, (state, target_id) in states.items()
            if state is EntryState.DONE and target_id is not None
        }
        skipped = {by_key[key] for key, (state, _) in states.items() if state is EntryState.SKIPPED}
        failed = {by_key[key] for key, (state, _) in states.items() if state is EntryState.FAILED}
        return links, skipped, failed

    def _follow_skipped(self, kind: Kind, chunk: Sequence[_Item], skipped: set[Ref]) -> list[_Item]:
        """Records that hang off a ticket the target declined (its SLA events, metrics,
        rating) are skipped with it, under its policy; the rest go on."""
        return self._follow(
            kind,
            chunk,
            lambda _key, owner: owner in skipped,
            "which the target declined by a policy",
        )

    def _follow_failed(self, kind: Kind, chunk: Sequence[_Item], failed: set[Ref]) -> list[_Item]:
        """Records that need a record which failed (a ticket whose assignee has no user in
        the target, that ticket's SLA events) fail too, naming it, without being sent: the
        dry run predicts them by the same rule (:func:`~cemigrate.copier.dryrun.needed_refs`)."""
        keep: list[_Item] = []
        outcomes = []
        for item in chunk:
            ref = next((r for r in needed_refs(item.record, self.writable) if r in failed), None)
            if ref is None:
                keep.append(item)
                continue
            reason, message = failed_reference(item.key.instance, ref)
            self.failures[(kind.value, reason)].append(str(item.key))
            outcomes.append(
                Outcome(
                    key=str(item.key),
                    state=EntryState.FAILED,
                    action="failed",
                    reason=reason,
                    platform_message=message,
                )
            )
        if outcomes:
            log.warning("%s: %d refer to a record that failed", kind, len(outcomes))
            self.ledger.record_outcomes(self._run(), outcomes)
            self.tallies[kind.value].add("failed", len(outcomes))
        return keep

    def _problems(self) -> tuple[Problem, ...]:
        return problems_of(self.failures)


class _DryRunWriter(_Writer):
    """A dry run: every record is mapped and checked against what the target takes; nothing
    is written, to the target or to the ledger."""

    dry_run = True

    def __init__(
        self, migration: Migration, *, mode: Mode, stop: threading.Event | None = None
    ) -> None:
        super().__init__(migration, mode=mode, stop=stop)
        self.check = DryRunCheck(
            self.target.describe(), readable=lambda instance: self.readable.get(instance)
        )
        self.deleted_users: set[str] = set()
        """Users deleted in the source (a sample prefers tickets they wrote in)."""
        self.dry_matches: set[str] = set()  # e-mail digests a dry run would have created
        self.seen: set[str] = set()
        """Keys this dry run has read, checked or found in the ledger (late references to
        anything else are fetched, as the run would)."""

    def _sample(self) -> int | None:
        return self.m._sample

    def _stream(self, stream: Stream) -> _StreamSink:
        return _DryStream(self, stream)

    def _settled(self, entries: Iterable[Entry]) -> None:
        for settled in entries:
            self.seen.add(settled.key)
            if settled.state is EntryState.DONE:
                self.check.known(SourceKey.parse(settled.key))

    def _record(self, outcomes: list[Outcome]) -> None:
        self.seen.update(outcome.key for outcome in outcomes)

    def checked(self, stream: Stream, items: Sequence[_Item]) -> None:
        """Check a batch as a run writes it: its late references first (fetched by id, as
        the run would; :meth:`_Writer.late`), then the batch."""
        for late, records in self.late(stream, items, self._seen):
            self.checked(late, self.classify(late, records, counted=None))
        for key in self.gone:  # what hangs off a ticket the source lost is skipped with it
            if not self.check.was_skipped(gone := SourceKey.parse(key)):
                self.check.skip(gone)
        self.seen.update(str(item.key) for item in items)
        self.validate(stream, items)

    def _seen(self, keys: Sequence[str]) -> set[str]:
        """The keys this dry run decided, or that the ledger holds settled from earlier runs
        (as the run's :meth:`_LedgerWriter._held` asks it): a delta fetches neither."""
        known = {key for key in keys if key in self.seen}
        rest = [key for key in keys if key not in known]
        if not rest:
            return known
        entries = self.ledger.lookup(rest).items()
        return known | {key for key, entry in entries if entry.state is not EntryState.PENDING}

    def _refuse(self, kind: Kind, refused: Sequence[tuple[SourceKey, str]]) -> None:
        for key, reason in refused:
            self.seen.add(str(key))
            self.check.refused(key, reason)
        self.tallies[kind.value].add("invalid", len(refused))

    def _problems(self) -> tuple[Problem, ...]:
        return self.check.problems()

    def validate(self, stream: Stream, items: Sequence[_Item]) -> None:
        """Count what would be created, matched, updated, skipped or refused, deciding each
        record in the run's order: the copier's own matching, the records it follows or
        needs, the target's policies, what ``describe()`` says, and what the target foresees
        for the rest (:meth:`~cemigrate.adapters.Target.foresee`, one call a batch)."""
        kind = stream.kind
        tally = self.tallies[kind.value]
        pending: list[_Item] = []
        later: list[_Item] = []
        matches: set[str] = set()
        self._recall(stream.source.instance, items)
        for item in items:
            owner = owner_ticket(item.record)
            if owner is not None and self.check.was_skipped(SourceKey.of(item.key.instance, owner)):
                self.check.skip(item.key)  # follows its declined ticket, as a run would
                tally.add("skipped")
                continue
            if self._dry_matched(item):
                self.check.known(item.key)
                tally.add("matched")
                continue
            if item.match is not None and item.target_id is None and item.match in matches:
                later.append(item)  # the run sends it after the first of its e-mail
                continue
            failed = self.check.failed_reference(item.key, item.record)
            if failed is not None:  # the run fails it without sending it
                self.check.fail(item.key, failed)
                tally.add("invalid")
                continue
            if self.target.declines(kind, item.record):
                missing = self.check.missing_reference(item.key, item.record)
                if missing is not None:  # the target needs its ticket to keep it
                    self.check.refused(item.key, missing)
                    tally.add("invalid")
                    continue
                self.check.skip(item.key)
                tally.add("skipped")
                continue
            reason = self.check.reason(item.key, item.record)
            if reason is not None:
                self.check.fail(item.key, reason)
                tally.add("invalid")
                continue
            if item.match is not None and item.target_id is None:
                matches.add(item.match)
            pending.append(item)
        if pending:
            self._foresee(kind, pending)
        if later:
            self.validate(stream, later)

    def _recall(self, instance: str, items: Sequence[_Item]) -> None:
        """What earlier runs did with the records these need that this dry run has not
        decided (a delta reads only what changed): one ledger query, as the run's links."""
        refs = {
            str(SourceKey.of(instance, ref))
            for item in items
            for ref in (*needed_refs(item.record, self.writable), *item.lookups)
        }
        unknown = [key for key in refs if not self.check.decided(SourceKey.parse(key))]
        for key, entry in self.ledger.lookup(unknown).items() if unknown else ():
            if entry.state is EntryState.DONE:
                self.check.known(SourceKey.parse(key))
            elif entry.state is EntryState.FAILED:
                self.check.failed_before(SourceKey.parse(key))
            elif entry.state is EntryState.SKIPPED:
                self.check.skip(SourceKey.parse(key))

    def _foresee(self, kind: Kind, items: Sequence[_Item]) -> None:
        """Ask the target what its write would answer for records that pass every check."""
        tally = self.tallies[kind.value]
        batch = [Outgoing(key=i.key, record=i.record, target_id=i.target_id) for i in items]
        # As the run links a batch: to what was written before it, not to its own records.
        unlinked = {
            item.key: sum(
                1
                for ref in item.lookups
                if not self.check.written(SourceKey.of(item.key.instance, ref))
            )
            for item in items
        }
        for item, result in zip(items, self.target.foresee(kind, batch), strict=True):
            if result is not None and result.skipped:
                self.check.skip(item.key)
                tally.add("skipped")
            elif result is not None and not result.ok:
                self.check.fail(item.key, result.error)
                tally.add("invalid")
            else:
                tally.add("unlinked_lookups", unlinked[item.key])
                self.check.passed(item.key, item.record)
                if item.match is not None:
                    self.dry_matches.add(item.match)
                matched = result is not None and result.matched
                tally.add("updated" if item.target_id else "matched" if matched else "created")

    def _dry_matched(self, item: _Item) -> bool:
        """Would this user be matched by e-mail instead of created?"""
        if item.match is None or item.target_id is not None:
            return False
        if item.match in self.dry_matches:
            return True
        entry = self.ledger.find_match(Kind.USER.value, item.match)
        return entry is not None and entry.key != str(item.key) and entry.target_id is not None


class _StreamSink(Protocol):
    """Takes one stream's batches in order."""

    stream: Stream

    def add(self, records: Sequence[Record], cursor: str | None) -> None:
        """One source batch, and the cursor that resumes after it."""

    def finish(self) -> None:
        """The stream ended."""


class _DryStream:
    """A dry run's stream: each batch checked as it comes; a sampled ticket stream pooled and
    the sample chosen at its end."""

    def __init__(self, writer: _DryRunWriter, stream: Stream) -> None:
        self.writer = writer
        self.stream = stream
        self.pool: list[Record] = []

    def add(self, records: Sequence[Record], cursor: str | None) -> None:
        """Check a batch (or pool it for a sample)."""
        if self.stream.limit is not None:  # a sampled dry run: choose when the stream ends
            self.pool.extend(records)
            return
        if self.stream.kind is Kind.USER:
            self.writer.deleted_users.update(
                r.id for r in records if isinstance(r, User) and r.deleted
            )
        self.writer.checked(self.stream, self.writer.classify(self.stream, records))

    def finish(self) -> None:
        """Check the sample a sampled stream chose."""
        sample = self.writer.m._sample
        if self.stream.limit is not None and sample is not None:
            chosen = sampling.choose(self.pool, sample, self.writer.deleted_users)
            self.pool = []
            self.writer.checked(self.stream, self.writer.classify(self.stream, chosen))


class _StreamWriter:
    """Fills target-sized batches from source batches and advances the cursor behind them."""

    def __init__(self, writer: _LedgerWriter, stream: Stream) -> None:
        self.writer = writer
        self.stream = stream
        self.size = max(1, writer.target.batch_size.get(stream.kind, 100))
        self.buffer: list[_Item] = []
        self.buffer_bytes = 0
        self.buffered: dict[str, str] = {}
        """Key → content hash of each item in :attr:`buffer` (read, not yet written)."""
        self.queued = 0
        self.sent = 0
        """Records of this stream settled, counted only up to the first batch still in flight
        (the cursor moves behind it)."""
        self.outstanding: collections.deque[list[int]] = collections.deque()
        """Batches handed over, in the order read: [records, settled (0 or 1)]."""
        self.marks: collections.deque[tuple[int, str | None]] = collections.deque()

    def add(self, records: Sequence[Record], cursor: str | None) -> None:
        """Classify a batch, buffer what needs writing, send every full target batch."""
        items = self._unrepeated(self.writer.classify(self.stream, records))
        self.buffer.extend(items)
        self.buffer_bytes += sum(item.size for item in items)
        self.queued += len(items)
        self.marks.append((self.queued, cursor))
        self._flush(final=False)

    def finish(self) -> None:
        """Send what is left, wait for what is in flight, move the cursor to the stream's end."""
        self._flush(final=True)
        self.writer.parking.flush(self.writer.inflight.wait_for, self.writer._unpark)
        self.writer.inflight.drain()
        self._advance()
        if self.writer.watch is not None:
            self.writer.watch.stream_done(self.stream.kind)

    def _unrepeated(self, items: list[_Item]) -> list[_Item]:
        """``items`` without the ones read again, unchanged, before their first reading was
        written (a source whose pages overlap): the ledger cannot tell yet that they are
        written, so they would be sent and counted as created twice. Counted as unchanged."""
        fresh: list[_Item] = []
        for item in items:
            key = str(item.key)
            if self.buffered.get(key) == item.hash:
                self.writer.tallies[self.stream.kind.value].add("unchanged")
                continue
            self.buffered[key] = item.hash
            fresh.append(item)
        return fresh

    def _flush(self, *, final: bool) -> None:
        while (
            len(self.buffer) >= self.size
            or self.buffer_bytes >= BATCH_BYTES
            or (final and self.buffer)
        ):
            if self.writer.stop is not None and self.writer.stop.is_set():
                self._advance()  # past what is settled, then stop between two steps
                self.writer.check_stop()
            taken, held = 0, 0
            for item in self.buffer[: self.size]:
                if taken and held + item.size > BATCH_BYTES:
                    break
                taken += 1
                held += item.size
            chunk, self.buffer = self.buffer[:taken], self.buffer[taken:]
            self.buffer_bytes -= held
            slot = [len(chunk), 0]
            self.outstanding.append(slot)
            self.writer.send(self.stream, chunk, functools.partial(self._settled, chunk, slot))
        self._advance()

    def _settled(self, chunk: Sequence[_Item], slot: list[int]) -> None:
        """A batch's outcomes are recorded (batches may finish out of order): the cursor moves
        past the batches read before every one still in flight."""
        for item in chunk:
            if self.buffered.get(str(item.key)) == item.hash:
                del self.buffered[str(item.key)]
        slot[1] = 1
        while self.outstanding and self.outstanding[0][1]:
            self.sent += self.outstanding.popleft()[0]
        self._advance()

    def _advance(self) -> None:
        """Step 4: move the cursor past every source batch whose records are all settled."""
        if self.writer.mode is Mode.ONLY_FAILED:
            self.marks.clear()
            return
        cursor: str | None = None
        moved = False
        while self.marks and self.marks[0][0] <= self.sent:
            _, cursor = self.marks.popleft()
            moved = True
        # A None cursor is a position too: "read this stream from the start next time", what a
        # source says after the last page of a list that cannot be read incrementally.
        if moved:
            self.writer.ledger.set_cursor(
                self.stream.source.instance, self.stream.kind.value, cursor
            )
            self.writer.m._probe("cursor")


def _after_both(settled: Callable[[], None] | None) -> Callable[[], None] | None:
    """A callback for each of a batch's two parts: ``settled`` once both were called."""
    if settled is None:
        return None
    left = [2]

    def part() -> None:
        left[0] -= 1
        if left[0] == 0:
            settled()

    return part


def _keys_of(chunk: Iterable[_Item]) -> set[str]:
    """What a batch in flight carries: its records' keys and the e-mails it may be matched by."""
    keys = {str(item.key) for item in chunk}
    keys.update(f"match:{item.match}" for item in chunk if item.match is not None)
    return keys


def _needed_keys(chunk: Iterable[_Item]) -> set[str]:
    """What must not be in flight when a batch is prepared: the records it refers to (its
    links are read from the ledger), its own keys (a record read again) and its e-mails."""
    needed: set[str] = set()
    for item in chunk:
        needed.add(str(item.key))
        if item.match is not None:
            needed.add(f"match:{item.match}")
        for ref in item.refs:
            needed.add(str(SourceKey.of(item.key.instance, ref)))
    return needed
