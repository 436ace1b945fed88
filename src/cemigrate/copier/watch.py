"""Watching a run from another process: what a running migration persists, and the progress,
rates per budget and ETA computed from it (``cemigrate status --watch``).

A run keeps one small row per run in the ledger (table ``progress``), rewritten at most every
:attr:`Recording.every` seconds and once more when the run ends: a JSON text of counters only
(never a record's content): the records settled per kind in this run, the calls each budget
spent while each kind was written, every budget's ceiling (limit per period) and tokens left,
and the source totals per kind where they are known. ``status`` opens the ledger read-only
(no lock) and computes, with the pure functions of this module:

- per kind: done, failed, pending, skipped (the ledger's id map), the source total and what is
  left (``None``, shown "unknown", when no total is known and the kind's streams have not
  ended);
- per budget: the rate observed (calls a minute) against its ceiling;
- the ETA: what is left per kind × the calls per record observed for that kind gives the calls
  each budget still has to make; a budget needs ``(calls − tokens in its bucket) / ceiling``
  seconds at best, and ``calls / observed rate`` at the pace seen so far. The larger of the two,
  over every budget, is the ETA; the budget it comes from binds. A pace well below the ceiling
  means the round trips, the source or the machine set the pace rather than the quota. Kinds
  whose total is not known make the ETA a lower bound, said so; never a made-up number.

Every function takes its time (``now``) as an argument, so a test drives it on a manual clock.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TextIO

import attrs

from cemigrate.adapters import Source
from cemigrate.errors import ConfigError
from cemigrate.ledger import FailureRow, Ledger, RunInfo
from cemigrate.ratelimit import Budgets
from cemigrate.schema import Kind, SourceKey

__all__ = [
    "FAILURE_COLUMNS",
    "BudgetRow",
    "KindRow",
    "Recorder",
    "Recording",
    "WatchView",
    "count_totals",
    "failures_csv",
    "follow",
    "read",
    "render",
    "show_status",
    "view",
]

log = logging.getLogger("cemigrate.copier")

SNAPSHOT_VERSION: Final = 1
"""Version of the persisted snapshot's layout."""
ROUND_TRIP_BOUND: Final = 1.25
"""The pace at which calls were made explains the ETA when it is this much above the quota's:
the run is then paced by round trips, the source or the machine, not by the quota."""
FAILURE_COLUMNS: Final = ("key", "kind", "source_id", "run", "reason", "platform_message", "at")
"""The header row of ``cemigrate status --failures --csv``."""


# --------------------------------------------------------------------------------------------
# What a run persists


@attrs.frozen(kw_only=True)
class Recording:
    """How a run records its progress for a watcher (``Migration(recording=...)``)."""

    every: float = 5.0
    """Seconds between two snapshots at most once a batch is recorded (0: after every batch)."""
    now: Callable[[], float] = time.time
    """The clock the snapshots are stamped with (seconds); the watcher reads the same clock."""
    totals: Mapping[Kind, int] | None = None
    """The source records per kind, when known beforehand (a dry run's counts): a kind it does
    not name has none."""
    counter: Callable[[Sequence[Source], Sequence[Kind]], Mapping[Kind, int | None]] | None = None
    """Asked for the totals when the run starts, when :attr:`totals` is not given: a plan's run
    counts with each source platform's own counting endpoints (one call per kind on platforms
    that count, :func:`cemigrate.reconcile.counts.source_totals`); kinds it cannot count, or
    a counting that fails, stay unknown."""


def count_totals(
    recording: Recording, sources: Sequence[Source], kinds: Sequence[Kind]
) -> dict[str, int | None]:
    """The totals a run records: :attr:`Recording.totals` (a kind it does not name has none),
    else what :attr:`Recording.counter` answers, else unknown."""
    if recording.totals is not None:
        return {kind.value: recording.totals.get(kind, 0) for kind in kinds}
    if recording.counter is None:
        return {}
    try:
        counted = recording.counter(sources, kinds)
    except Exception as exc:  # a watcher's nicety never stops a run
        log.warning("could not count the sources' records (%s): %s", type(exc).__name__, exc)
        return {}
    return {kind.value: counted.get(kind) for kind in kinds}


class Recorder:
    """The run's side: counts settled records and the calls spent for them, and stores a
    snapshot in the ledger at most every :attr:`Recording.every` seconds.

    Called on the copier's own thread (where the ledger is written), after each batch's
    outcomes are recorded.
    """

    def __init__(
        self,
        recording: Recording,
        ledger: Ledger,
        run_id: int,
        *,
        budgets: Sequence[Budgets],
        streams: Sequence[tuple[str, Kind]],
        totals: Mapping[str, int | None],
    ) -> None:
        self._recording = recording
        self._ledger = ledger
        self._run_id = run_id
        self._budgets = [budget for group in budgets for budget in group.values()]
        self._kinds = list(dict.fromkeys(kind.value for _, kind in streams))
        self._streams_left: dict[str, int] = dict.fromkeys(self._kinds, 0)
        for _, kind in streams:
            self._streams_left[kind.value] += 1
        self._totals = {kind: totals.get(kind) for kind in self._kinds}
        self._settled: dict[str, int] = {}
        self._calls: dict[str, dict[str, float]] = {}
        self._started = recording.now()
        self._last_saved = -float("inf")
        self._first_calls = {budget.name: budget.calls for budget in self._budgets}
        self._seen_calls = dict(self._first_calls)
        self.save()

    def settled(self, kind: Kind, records: int) -> None:
        """``records`` of ``kind`` were just recorded; the calls made since the last batch are
        counted as this kind's."""
        self._settled[kind.value] = self._settled.get(kind.value, 0) + records
        calls = self._calls.setdefault(kind.value, {})
        for budget in self._budgets:
            spent = budget.calls - self._seen_calls[budget.name]
            if spent:
                calls[budget.name] = calls.get(budget.name, 0) + spent
                self._seen_calls[budget.name] = budget.calls
        if self._recording.now() - self._last_saved >= self._recording.every:
            self.save()

    def stream_done(self, kind: Kind) -> None:
        """One stream of ``kind`` was read to its end and all of it is recorded."""
        if kind.value in self._streams_left:
            self._streams_left[kind.value] = max(0, self._streams_left[kind.value] - 1)
            self.save()

    def finish(self, status: str) -> None:
        """The run ended with ``status``: the last snapshot."""
        self.save(status=status)

    def snapshot(self, *, status: str = "running") -> dict[str, Any]:
        """What is stored: counters and ceilings only."""
        return {
            "version": SNAPSHOT_VERSION,
            "run": self._run_id,
            "status": status,
            "started": self._started,
            "at": self._recording.now(),
            "every": self._recording.every,
            "kinds": list(self._kinds),
            "streams_left": dict(self._streams_left),
            "totals": dict(self._totals),
            "settled": dict(self._settled),
            "calls": {kind: dict(calls) for kind, calls in self._calls.items()},
            "budgets": {
                budget.name: {
                    "limit": budget.limit,
                    "period": budget.period,
                    "capacity": budget.capacity,
                    "available": budget.available,
                    "calls": budget.calls,
                    "calls_at_start": self._first_calls[budget.name],
                    "throttled": budget.throttled,
                }
                for budget in self._budgets
            },
        }

    def save(self, *, status: str = "running") -> None:
        """Store a snapshot now."""
        self._ledger.record_progress(self._run_id, json.dumps(self.snapshot(status=status)))
        self._last_saved = self._recording.now()


# --------------------------------------------------------------------------------------------
# What a watcher computes


@attrs.frozen(kw_only=True)
class KindRow:
    """One kind's progress."""

    kind: str
    done: int
    failed: int
    pending: int
    skipped: int
    total: int | None
    """Source records of the kind (``None``: not known)."""
    left: int | None
    """Records still to settle (``None``: not known)."""
    settled: int
    """Records settled by the watched run."""
    calls_per_record: dict[str, float]
    """Budget name → calls per record observed for this kind (empty before any)."""


@attrs.frozen(kw_only=True)
class BudgetRow:
    """One budget's pace."""

    name: str
    ceiling: float
    """Calls a minute the budget allows in the long run."""
    rate: float
    """Calls a minute observed (since the last refresh, else since the run started)."""
    calls_left: float | None
    """Calls still to make on it (``None``: not known)."""
    seconds_left: float | None
    """Seconds those take at the slower of the ceiling and the pace so far."""
    throttled: int


@attrs.frozen(kw_only=True)
class WatchView:
    """What ``cemigrate status`` shows at one moment."""

    run_id: int | None
    mode: str
    status: str
    """``running``, ``completed``, ``interrupted``, ``failed``; ``idle`` before any run."""
    elapsed: float | None
    """Seconds since the watched run started (by the recording's clock)."""
    age: float | None
    """Seconds since the run last recorded its progress."""
    kinds: tuple[KindRow, ...]
    budgets: tuple[BudgetRow, ...]
    eta: float | None
    """Seconds left from now (``None``: unknown); 0 once the run ended."""
    eta_lower_bound: bool
    """The ETA leaves out kinds whose totals are not known (:attr:`uncounted`)."""
    binding: str | None
    """The budget the ETA comes from."""
    paced_by: str
    """``quota`` (the binding budget's ceiling), ``pace`` (the calls made so far are slower
    than the ceiling: round trips, the source or the machine), or an empty string."""
    records_per_minute: float | None
    """Records settled a minute by the watched run."""
    eta_by_records: float | None
    """The cross-check: records left ÷ the record rate so far."""
    uncounted: tuple[str, ...]
    """Kinds still to run whose totals are not known."""
    failures: int
    note: str = ""
    """Why there is no ETA, or a warning (a run that stopped recording)."""

    @property
    def finished(self) -> bool:
        """The watched run ended (or none is running)."""
        return self.status != "running"

    def as_dict(self) -> dict[str, Any]:
        """The view as plain JSON-ready data."""
        data = attrs.asdict(self)
        data["finished"] = self.finished
        return data


def _rate(calls: float, seconds: float) -> float:
    return 60.0 * calls / seconds if seconds > 0 else 0.0


def view(
    snapshot: Mapping[str, Any] | None,
    *,
    counts: Mapping[str, Mapping[str, int]],
    run: RunInfo | None,
    failures: int,
    now: float,
    previous: Mapping[str, Any] | None = None,
) -> WatchView:
    """The progress, rates and ETA at ``now`` from a run's latest ``snapshot`` (the ledger's
    ``progress`` row, parsed), the ledger's ``counts`` and ``run``; ``previous`` (the snapshot
    the last refresh showed) makes the rates recent ones."""
    if snapshot is not None and run is not None and snapshot.get("run") != run.id:
        snapshot = None  # the last run recorded no progress (begun by an older cemigrate)
    status = "idle" if run is None else run.status
    if snapshot is None:
        bare = tuple(
            KindRow(
                kind=kind,
                done=c.get("done", 0),
                failed=c.get("failed", 0),
                pending=c.get("pending", 0),
                skipped=c.get("skipped", 0),
                total=None,
                left=None,
                settled=0,
                calls_per_record={},
            )
            for kind, c in counts.items()
            if any(c.values())
        )
        note = "" if status != "running" else "the run has recorded no progress yet"
        return WatchView(
            run_id=None if run is None else run.id,
            mode="" if run is None else run.mode,
            status=status,
            elapsed=None,
            age=None,
            kinds=bare,
            budgets=(),
            eta=0.0 if status != "running" and run is not None else None,
            eta_lower_bound=False,
            binding=None,
            paced_by="",
            records_per_minute=None,
            eta_by_records=None,
            uncounted=(),
            failures=failures,
            note=note,
        )
    at = float(snapshot["at"])
    elapsed = at - float(snapshot["started"])
    settled: Mapping[str, int] = snapshot["settled"]
    calls: Mapping[str, Mapping[str, float]] = snapshot["calls"]
    totals: Mapping[str, int | None] = snapshot["totals"]
    streams_left: Mapping[str, int] = snapshot["streams_left"]
    budgets: Mapping[str, Mapping[str, float]] = snapshot["budgets"]
    # Calls per record over every kind seen so far: the guess for a kind not begun yet.
    all_settled = sum(settled.values())
    average: dict[str, float] = {}
    if all_settled:
        for kind_calls in calls.values():
            for name, n in kind_calls.items():
                average[name] = average.get(name, 0.0) + n / all_settled
    kinds = list(snapshot["kinds"]) + [k for k in counts if k not in snapshot["kinds"]]
    rows_list: list[KindRow] = []
    uncounted: list[str] = []
    calls_left: dict[str, float] = {}
    records_left = 0
    for kind in kinds:
        c = counts.get(kind, {})
        done, failed = c.get("done", 0), c.get("failed", 0)
        pending, skipped = c.get("pending", 0), c.get("skipped", 0)
        total = totals.get(kind)
        planned = kind in streams_left
        left: int | None
        if planned and streams_left[kind] == 0:
            left = 0
            total = done + failed + skipped if total is None else total
        elif not planned:
            left = 0
        elif total is not None:
            left = max(0, total - done - failed - skipped)
        else:
            left = None
        n = settled.get(kind, 0)
        per_record = {name: k / n for name, k in calls.get(kind, {}).items()} if n else {}
        rows_list.append(
            KindRow(
                kind=kind,
                done=done,
                failed=failed,
                pending=pending,
                skipped=skipped,
                total=total,
                left=left,
                settled=n,
                calls_per_record=per_record,
            )
        )
        if left is None:
            uncounted.append(kind)
            continue
        records_left += left
        for name, per in (per_record or average).items():
            calls_left[name] = calls_left.get(name, 0.0) + left * per
    running = status == "running"
    age = max(0.0, now - at)
    rows: list[BudgetRow] = []
    eta_at: float | None = None
    binding: str | None = None
    paced_by = ""
    unfinished = sum(1 for kind in streams_left if streams_left[kind])
    known = bool(all_settled) and (not uncounted or len(uncounted) < unfinished)
    for name, b in budgets.items():
        ceiling_per_s = float(b["limit"]) / float(b["period"])
        spent = float(b["calls"]) - float(b["calls_at_start"])
        pace_per_s = spent / elapsed if elapsed > 0 else 0.0
        if previous is not None and name in previous.get("budgets", {}):
            dt = at - float(previous["at"])
            recent = float(b["calls"]) - float(previous["budgets"][name]["calls"])
            shown = _rate(recent, dt) if dt > 0 else 60.0 * pace_per_s
        else:
            shown = 60.0 * pace_per_s
        left_calls = calls_left.get(name, 0.0) if known else None
        seconds: float | None = None
        if left_calls is not None:
            at_ceiling = max(0.0, left_calls - float(b["available"])) / ceiling_per_s
            at_pace = left_calls / pace_per_s if pace_per_s > 0 else at_ceiling
            seconds = max(at_ceiling, at_pace)
            if eta_at is None or seconds > eta_at:
                eta_at, binding = seconds, name
                paced_by = "pace" if at_pace > ROUND_TRIP_BOUND * at_ceiling else "quota"
        rows.append(
            BudgetRow(
                name=name,
                ceiling=60.0 * ceiling_per_s,
                rate=shown,
                calls_left=left_calls,
                seconds_left=seconds,
                throttled=int(b.get("throttled", 0)),
            )
        )
    record_rate = _rate(all_settled, elapsed) if elapsed > 0 and all_settled else None
    by_records = (
        60.0 * records_left / record_rate if record_rate and known and records_left else None
    )
    note = ""
    eta: float | None
    if not running:
        eta, note = 0.0, ""
    elif not all_settled:
        eta, note = None, "no records written yet: no calls per record to go by"
    elif not known:
        eta, note = None, "no totals known for what is left (" + ", ".join(uncounted) + ")"
    else:
        # What is left comes from the ledger as it is now (the snapshot may be a few seconds
        # older): the time it takes is counted from now.
        eta = eta_at or 0.0
        silent = max(60.0, 3 * float(snapshot.get("every", 5.0)))
        if age > silent:
            note = f"no progress recorded for {age:.0f} s: is the run still alive?"
    return WatchView(
        run_id=int(snapshot["run"]),
        mode="" if run is None else run.mode,
        status=status,
        elapsed=elapsed + (age if running else 0.0),
        age=age,
        kinds=tuple(rows_list),
        budgets=tuple(rows),
        eta=eta,
        eta_lower_bound=running and bool(uncounted) and eta is not None,
        binding=binding if running else None,
        paced_by=paced_by if running else "",
        records_per_minute=record_rate,
        eta_by_records=by_records if running else None,
        uncounted=tuple(uncounted) if running else (),
        failures=failures,
        note=note,
    )


def read(
    ledger: Ledger, *, now: float, previous: Mapping[str, Any] | None = None
) -> tuple[WatchView, Mapping[str, Any] | None]:
    """The view of ``ledger``'s last run at ``now``, and the snapshot it was computed from
    (pass it back as ``previous`` at the next refresh)."""
    run = ledger.last_run()
    text = None if run is None else ledger.progress(run.id)
    snapshot = None if text is None else json.loads(text)
    counts = ledger.counts()
    shown = view(
        snapshot,
        counts=counts,
        run=run,
        failures=sum(c.get("failed", 0) for c in counts.values()),  # keys failed now
        now=now,
        previous=previous,
    )
    return shown, snapshot


# --------------------------------------------------------------------------------------------
# Showing it


def duration(seconds: float | None) -> str:
    """``2 d 03:04:05`` style; "unknown" for ``None``."""
    if seconds is None:
        return "unknown"
    whole = round(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {clock}" if days else clock


def _count(value: int | None) -> str:
    return "unknown" if value is None else str(value)


def render(shown: WatchView) -> str:
    """The table ``cemigrate status --watch`` refreshes."""
    lines = []
    if shown.run_id is None:
        lines.append("no run recorded its progress yet")
    else:
        lines.append(
            f"run {shown.run_id} ({shown.mode}) {shown.status}, "
            f"running for {duration(shown.elapsed)}"
            + ("" if shown.age is None else f", progress recorded {shown.age:.0f} s ago")
        )
    lines.append(
        f"{'kind':>24}  {'done':>8}  {'failed':>6}  {'pending':>7}  {'total':>8}  {'left':>8}"
    )
    for row in shown.kinds:
        lines.append(
            f"{row.kind:>24}  {row.done:>8}  {row.failed:>6}  {row.pending:>7}"
            f"  {_count(row.total):>8}  {_count(row.left):>8}"
        )
    if shown.budgets:
        lines.append(
            f"{'budget':>24}  {'calls/min':>9}  {'ceiling':>8}  {'share':>6}  {'left':>10}"
        )
        for budget in shown.budgets:
            share = budget.rate / budget.ceiling if budget.ceiling else 0.0
            lines.append(
                f"{budget.name:>24}  {budget.rate:>9.1f}  {budget.ceiling:>8.1f}  {share:>6.0%}"
                f"  {duration(budget.seconds_left):>10}"
                + (f"  ({budget.throttled} throttled)" if budget.throttled else "")
            )
    if shown.records_per_minute is not None:
        lines.append(f"records: {shown.records_per_minute:.1f} a minute")
    if shown.finished:
        lines.append("finished" if shown.run_id is not None else "nothing running")
    else:
        eta = duration(shown.eta)
        if shown.eta is not None and shown.eta_lower_bound:
            eta = f"at least {eta} (not counted: {', '.join(shown.uncounted)})"
        how = ""
        if shown.binding is not None and shown.eta is not None:
            how = (
                f"; {shown.binding} binds at its ceiling"
                if shown.paced_by == "quota"
                else f"; {shown.binding} binds, at the pace seen so far (below its ceiling)"
            )
        check = ""
        if shown.eta_by_records is not None:
            check = f"; at the record rate so far {duration(shown.eta_by_records)}"
        lines.append(f"ETA: {eta}{how}{check}")
    lines.append(f"failures so far: {shown.failures}")
    if shown.note:
        lines.append(f"note: {shown.note}")
    return "\n".join(lines)


def failures_csv(rows: Iterable[FailureRow]) -> str:
    """The failure rows as CSV (a header row, then one row per failed key), quoted so a
    spreadsheet opens it whatever the platform's message holds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FAILURE_COLUMNS)
    for row in rows:
        try:
            source_id = SourceKey.parse(row.key).id
        except ValueError:
            source_id = ""
        writer.writerow(
            (
                row.key,
                row.kind,
                source_id,
                row.run_id,
                row.reason,
                row.platform_message,
                row.at.isoformat(timespec="seconds"),
            )
        )
    return out.getvalue()


def follow(
    refresh: Callable[[Mapping[str, Any] | None], tuple[WatchView, Mapping[str, Any] | None]],
    show: Callable[[WatchView], None],
    *,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> WatchView:
    """Show the view every ``interval`` seconds until the run ends (then once more); returns
    the last view. ``refresh(previous)`` reads a fresh view and its snapshot."""
    previous: Mapping[str, Any] | None = None
    while True:
        shown, snapshot = refresh(previous)
        show(shown)
        if shown.finished:
            return shown
        previous = snapshot if snapshot is not None else previous
        sleep(interval)


def _read_at(
    path: str | os.PathLike[str], now: float, previous: Mapping[str, Any] | None
) -> tuple[WatchView, Mapping[str, Any] | None]:
    # Opened afresh each time, read-only and without the run lock: a live run's latest
    # commits are seen, and the run is never held up.
    with Ledger.open(path, read_only=True) as ledger:
        return read(ledger, now=now, previous=previous)


def show_status(
    path: str | os.PathLike[str],
    *,
    watch: bool = False,
    interval: float = 10.0,
    as_json: bool = False,
    failures_as_csv: bool = False,
    out: TextIO | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], float] | None = None,
) -> None:
    """What ``cemigrate status PLAN --watch / --json / --failures --csv`` prints for the ledger
    at ``path`` (``now``: the clock the run stamps its progress with)."""
    out = out or sys.stdout
    now = now or time.time
    if failures_as_csv:
        with Ledger.open(path, read_only=True) as ledger:
            out.write(failures_csv(ledger.failures()))
        return
    if interval <= 0:
        raise ConfigError(f"--interval must be more than 0 seconds, not {interval:g}")
    clear = watch and not as_json and out.isatty()

    def show(shown: WatchView) -> None:
        if as_json:
            out.write(json.dumps(shown.as_dict(), sort_keys=True) + "\n")
        else:
            out.write(("\x1b[H\x1b[2J" if clear else "") + render(shown) + "\n")
            if watch and not clear:
                out.write("\n")
        out.flush()

    if not watch:
        show(_read_at(path, now(), None)[0])
        return
    clock = now
    follow(
        lambda previous: _read_at(path, clock(), previous),
        show,
        interval=interval,
        sleep=sleep or time.sleep,
    )
