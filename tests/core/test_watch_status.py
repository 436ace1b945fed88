"""Watching a run from another process: ``cemigrate status --watch / --json / --failures --csv``
read what a running migration records in its ledger, and the ETA they show holds up against the
time the run really still took (on a manual clock)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters import FileSource, WriteResult
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, main
from cemigrate.copier import Migration
from cemigrate.copier import watch as watching
from cemigrate.copier.watch import Recording, show_status
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import Budget, Budgets, ManualClock
from cemigrate.reconcile.counts import source_totals
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Ref, Ticket, User
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.pair import Faults
from cemigrate.testing.zendesk import account_source

T0 = datetime(2025, 1, 1, tzinfo=UTC)
USERS, TICKETS = 40, 240

NASTY = 'Invalid value for "subject", expected a string\nline two; 50% done, "quoted"'


def desk(clock: ManualClock) -> MemorySource:
    users = [
        User(id=str(i), name=f"user {i}", email=f"u{i}@example.com", updated_at=T0)
        for i in range(1, USERS + 1)
    ]
    tickets = [
        Ticket(
            id=str(i),
            subject=f"ticket {i}",
            description="",
            status="open",
            created_at=T0,
            updated_at=T0 + timedelta(minutes=i),
            requester=Ref(kind=Kind.USER, id=str(1 + i % USERS)),
        )
        for i in range(1, TICKETS + 1)
    ]
    return MemorySource({Kind.USER: users, Kind.TICKET: tickets}, instance="s", clock=clock)


class _SlowTarget(MemoryTarget):
    """A memory target whose calls take ``latency`` seconds on the clock (a round trip), under
    one budget of ``per_minute`` calls (a burst of 5)."""

    def __init__(self, clock: ManualClock, *, per_minute: float, latency: float) -> None:
        super().__init__(batch_size={Kind.USER: 10, Kind.TICKET: 4}, clock=clock)
        self.clock = clock
        self.latency = latency
        self.budgets = Budgets(
            {"memory.core": Budget("target.memory.core", per_minute, 60, clock, capacity=5)}
        )

    def write(self, kind: Kind, batch: Any, files: FileSource) -> list[WriteResult]:
        results = super().write(kind, batch, files)
        self.clock.advance(self.latency)
        return results


def _migrate(
    tmp_path: Path,
    clock: ManualClock,
    target: MemoryTarget | FaultyTarget,
    probe: Callable[[str], None],
    *,
    totals: dict[Kind, int] | None,
) -> Migration:
    return Migration(
        sources=[desk(clock)],
        target=target,
        ledger=Ledger.open(tmp_path / "ledger.sqlite", exclusive=True),
        probe=probe,
        recording=Recording(every=2.0, now=clock.monotonic, totals=totals),
    )


@pytest.mark.parametrize(
    ("per_minute", "latency", "paced_by"),
    [(120.0, 0.1, "quota"), (600.0, 0.3, "pace")],
    ids=["quota-bound", "round-trip-bound"],
)
def test_the_eta_shown_mid_run_is_within_20_percent_of_the_time_the_run_still_took(
    tmp_path: Path, per_minute: float, latency: float, paced_by: str
) -> None:
    clock = ManualClock()
    path = tmp_path / "ledger.sqlite"
    seen: list[tuple[float, dict[str, Any]]] = []

    def probe(step: str) -> None:
        # Another reader, read-only and unlocked, while the run holds the ledger: what a
        # second terminal running `cemigrate status --json` sees.
        if step != "done" or seen:
            return
        with Ledger.open(path, read_only=True) as reader:
            tickets_done = reader.counts().get("ticket", {}).get("done", 0)
        if tickets_done < TICKETS // 3:
            return
        out = io.StringIO()
        show_status(path, as_json=True, out=out, now=clock.monotonic)
        seen.append((clock.monotonic(), json.loads(out.getvalue())))

    target = _SlowTarget(clock, per_minute=per_minute, latency=latency)
    with _migrate(
        tmp_path, clock, target, probe, totals={Kind.USER: USERS, Kind.TICKET: TICKETS}
    ) as migration:
        report = migration.run()
        assert target.store.count("ticket") == TICKETS
    assert report.status == "completed"

    ((asked_at, shown),) = seen
    still_took = clock.monotonic() - asked_at
    assert still_took > 10  # the measurement means something: the run was far from its end
    assert shown["status"] == "running"
    assert shown["eta"] == pytest.approx(still_took, rel=0.2)
    assert shown["binding"] == "target.memory.core"
    assert shown["paced_by"] == paced_by
    assert shown["eta_by_records"] is not None
    ticket = next(row for row in shown["kinds"] if row["kind"] == "ticket")
    assert ticket["total"] == TICKETS
    assert 0 < ticket["left"] < TICKETS
    budget = next(row for row in shown["budgets"] if row["name"] == "target.memory.core")
    assert budget["ceiling"] == pytest.approx(per_minute)

    # After the run: finished, nothing left, ETA 0.
    out = io.StringIO()
    show_status(path, as_json=True, out=out, now=clock.monotonic)
    final = json.loads(out.getvalue())
    assert final["finished"] is True
    assert final["eta"] == 0
    assert all(row["left"] == 0 for row in final["kinds"])


def test_unknown_totals_give_no_eta_and_say_so(tmp_path: Path) -> None:
    clock = ManualClock()
    path = tmp_path / "ledger.sqlite"
    seen: list[str] = []

    def probe(step: str) -> None:
        if step != "done" or seen:
            return
        with Ledger.open(path, read_only=True) as reader:
            if reader.counts().get("ticket", {}).get("done", 0) < 8:
                return
        out = io.StringIO()
        show_status(path, out=out, now=clock.monotonic)
        seen.append(out.getvalue())

    target = _SlowTarget(clock, per_minute=120, latency=0.1)
    with _migrate(tmp_path, clock, target, probe, totals=None) as migration:
        migration.run()
    (printed,) = seen
    assert "ETA: unknown" in printed
    assert "no totals known for what is left (ticket, " in printed
    ticket_row = next(line for line in printed.splitlines() if line.split()[0] == "ticket")
    assert ticket_row.split()[-2:] == ["unknown", "unknown"]
    user_row = next(line for line in printed.splitlines() if line.split()[0] == "user")
    assert user_row.split()[-2:] == [str(USERS), "0"]  # its stream ended: its total is known


def test_failures_csv_parses_and_holds_every_failure_the_ledger_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock()
    rejected = {"s:ticket:3": NASTY, "s:ticket:17": "Subject, too long", "s:ticket:5": "é ü ✓"}
    target = FaultyTarget(MemoryTarget(clock=clock), Faults(reject=rejected))
    with _migrate(tmp_path, clock, target, lambda _step: None, totals=None) as migration:
        migration.run()
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'ledger = "ledger.sqlite"\n\n[[source]]\nname = "s"\nplatform = "memory"\n'
        'tickets = 1\n\n[target]\nplatform = "memory"\npath = "target.sqlite"\n',
        encoding="utf-8",
    )
    assert main(["status", str(plan), "--failures", "--csv"]) == EXIT_OK
    printed = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(printed, newline="")))
    assert rows[0] == ["key", "kind", "source_id", "run", "reason", "platform_message", "at"]
    with Ledger.open(tmp_path / "ledger.sqlite", read_only=True) as ledger:
        failures = ledger.failures()
    assert len(rows) - 1 == len(failures) == 3
    by_key = {row[0]: row for row in rows[1:]}
    assert {key: row[5] for key, row in by_key.items()} == {
        f.key: f.platform_message for f in failures
    }
    assert by_key["s:ticket:3"][1:4] == ["ticket", "3", "1"]
    assert by_key["s:ticket:3"][4:6] == ["refused by the target", NASTY]
    assert by_key["s:ticket:5"][5] == "é ü ✓"
    assert datetime.fromisoformat(by_key["s:ticket:5"][6]).tzinfo is not None

    assert main(["status", str(plan), "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["failures"] == 3

    assert main(["status", str(plan), "--csv"]) == EXIT_BAD_INPUT
    assert "--csv goes with --failures" in capsys.readouterr().err


def test_watch_refreshes_until_the_run_ends_then_stops(tmp_path: Path) -> None:
    """A run recorded as running, which ends while the watcher sleeps: two tables, the last
    one says finished."""
    clock = ManualClock()
    target = _SlowTarget(clock, per_minute=120, latency=0.1)
    path = tmp_path / "ledger.sqlite"
    with _migrate(
        tmp_path, clock, target, lambda _step: None, totals={Kind.USER: USERS, Kind.TICKET: 8}
    ) as migration:
        migration.run()
    with Ledger.open(path) as ledger:  # as though the run were still going
        ledger._conn.execute("UPDATE runs SET status = 'running', finished_at = NULL")
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        with Ledger.open(path) as ledger:
            ledger.finish_run(1, "completed")

    out = io.StringIO()
    show_status(path, watch=True, interval=7, out=out, sleep=sleep, now=clock.monotonic)
    tables = out.getvalue().strip().split("\n\n")
    assert slept == [7]
    assert len(tables) == 2
    assert "run 1 (full) running" in tables[0]
    assert "ETA:" in tables[0]
    assert "run 1 (full) completed" in tables[1]
    assert tables[1].splitlines()[-2] == "finished"


def test_watch_json_prints_one_object_a_line(tmp_path: Path) -> None:
    clock = ManualClock()
    with _migrate(
        tmp_path,
        clock,
        _SlowTarget(clock, per_minute=120, latency=0.1),
        lambda _step: None,
        totals=None,
    ) as migration:
        migration.run()
    out = io.StringIO()
    show_status(tmp_path / "ledger.sqlite", watch=True, as_json=True, out=out)
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["finished"] is True


def test_ctrl_c_stops_watching_with_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        ledger.start_run("full", "digest")  # running, never ends: only Ctrl-C stops watching
    plan = tmp_path / "plan.toml"
    plan.write_text(
        'ledger = "ledger.sqlite"\n\n[[source]]\nname = "s"\nplatform = "memory"\n'
        'tickets = 1\n\n[target]\nplatform = "memory"\npath = "target.sqlite"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(watching.time, "sleep", lambda _s: os.kill(os.getpid(), signal.SIGINT))
    assert main(["status", str(plan), "--watch", "--interval", "1"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "run has recorded no progress yet" in captured.out
    assert "stopped watching" in captured.err


def test_the_progress_snapshot_holds_counters_and_names_only(tmp_path: Path) -> None:
    """What the run persists for a watcher holds no record content: its strings are kind and
    budget names and the run's status, everything else numbers."""
    clock = ManualClock()
    with _migrate(
        tmp_path,
        clock,
        _SlowTarget(clock, per_minute=6000, latency=0.0),
        lambda _step: None,
        totals={Kind.USER: USERS, Kind.TICKET: TICKETS},
    ) as migration:
        migration.run()
        text = migration.ledger.progress(1)
    assert text is not None
    strings: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            strings.update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            strings.add(value)
        else:
            assert isinstance(value, int | float)
            assert not isinstance(value, bool)

    walk(json.loads(text))
    allowed = {kind.value for kind in Kind} | {"target.memory.core", "s.memory.core", "completed"}
    fields = {
        "version", "run", "status", "started", "at", "every", "kinds", "streams_left", "totals",
        "settled", "calls", "budgets", "limit", "period", "capacity", "available",
        "calls_at_start", "throttled",
    }  # fmt: skip
    assert strings <= allowed | fields
    assert not any("ticket " in s or "@" in s for s in strings)


def test_a_run_records_the_totals_the_source_platform_counts(tmp_path: Path) -> None:
    """A Zendesk source (its emulator, in process) counted by its own count endpoints when the
    run starts: tickets, users, organizations and groups have totals, kinds Zendesk cannot
    count have none, and what is left of a counted kind reaches 0 at the end."""
    clock = ManualClock()
    account = ZendeskSandbox(tickets=12, seed=3, instance="zd", subdomain="old", clock=clock)
    clock.sleep(120)  # past Zendesk's one-minute export delay
    source = account_source(account, instance="zd", clock=clock)
    target = MemoryTarget(clock=clock)
    with Migration(
        sources=[source],
        target=target,
        ledger=Ledger.open(tmp_path / "ledger.sqlite", exclusive=True),
        recording=Recording(counter=source_totals, now=clock.monotonic),
    ) as migration:
        migration.run()
        text = migration.ledger.progress(1)
    assert text is not None
    totals = json.loads(text)["totals"]
    assert totals["ticket"] == 12
    assert totals["user"] == len(account.backend.desk.users)
    assert totals["sla_event"] is None  # no count endpoint
    out = io.StringIO()
    show_status(tmp_path / "ledger.sqlite", as_json=True, out=out, now=clock.monotonic)
    ticket = next(row for row in json.loads(out.getvalue())["kinds"] if row["kind"] == "ticket")
    assert (ticket["total"], ticket["left"]) == (12, 0)


def test_a_counting_that_fails_leaves_the_totals_unknown_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_sources: object, _kinds: object) -> dict[Kind, int | None]:
        raise KeyError("count")

    clock = ManualClock()
    with Migration(
        sources=[desk(clock)],
        target=MemoryTarget(clock=clock),
        ledger=Ledger.open(tmp_path / "ledger.sqlite", exclusive=True),
        recording=Recording(counter=broken, now=clock.monotonic),
    ) as migration:
        report = migration.run()
        text = migration.ledger.progress(1)
    assert report.status == "completed"
    assert report.kinds["ticket"].created == TICKETS
    assert text is not None
    assert all(total is None for total in json.loads(text)["totals"].values())
    assert "could not count the sources' records (KeyError)" in caplog.text
