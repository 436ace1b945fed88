"""`cemigrate run` as an operator stops it: SIGINT or SIGTERM mid-run, a full disk under the
ledger, a damaged ledger, a ledger on read-only media. Each ends with one line, the documented
exit code, an intact ledger, no spool left behind, and a resume that carries every record once.

The run is a real process against Zendesk emulators served on loopback by this one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import attrs
import pytest

from cemigrate.adapters.private import SPOOL_DIR_ENV
from cemigrate.adapters.zendesk.convert import SLA_NOTE_HEADING
from cemigrate.ledger import Ledger
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.testing.kill import (
    ZENDESK_ENV,
    ShiftedClock,
    zendesk_source_account,
    zendesk_source_plan,
    zendesk_target_account,
    zendesk_target_plan,
)

pytestmark = pytest.mark.slow


@attrs.frozen
class Served:
    """A Zendesk → Zendesk migration on loopback: the plan, its ledger, the two accounts."""

    plan: Path
    ledger: Path
    spools: Path
    source: ZendeskSandbox
    target: ZendeskSandbox

    def env(self) -> dict[str, str]:
        """The environment of a `cemigrate` process: credentials and the spool folder."""
        return {**os.environ, **ZENDESK_ENV, SPOOL_DIR_ENV: str(self.spools)}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """600 tickets and their users, comments and organizations, copied into an empty account."""
    clock = ShiftedClock()
    source = zendesk_source_account(clock, tickets=600, seed=11)
    target = zendesk_target_account(clock, seed=11)
    clock.ahead = 120  # every seeded record is exportable (exports leave out the last minute)
    with source.serve() as source_server, target.serve() as target_server:
        plan = tmp_path / "plan.toml"
        plan.write_text(
            'ledger = "ledger.sqlite"\n\n'
            + zendesk_source_plan(source_server.url)
            + zendesk_target_plan(target_server.url),
            encoding="utf-8",
        )
        spools = tmp_path / "spools"
        spools.mkdir()
        yield Served(plan, tmp_path / "ledger.sqlite", spools, source, target)


def start(served: Served, *args: str, code: str | None = None) -> subprocess.Popen[str]:
    """`cemigrate run PLAN ARGS` as a process (``code``: Python run first in it, a test seam)."""
    cli = ["run", str(served.plan), "--no-progress", *args]
    if code is None:
        command = [sys.executable, "-m", "cemigrate.cli", *cli]
    else:
        boot = f"{code}\nimport sys\nfrom cemigrate.cli import main\nsys.exit(main({cli!r}))"
        command = [sys.executable, "-c", boot]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=served.env(),
    )


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 120) -> None:
    """Poll ``condition`` until it holds (the run reached a point), or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for the process; its exit code, stdout and stderr."""
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def resume(served: Served) -> tuple[int, str, str]:
    """`cemigrate run PLAN --resume` to its end."""
    return finish(start(served, "--resume"))


def tickets_written(served: Served) -> int:
    return len(served.target.backend.tickets)


def assert_every_record_once(served: Served) -> None:
    """Every live source ticket once in the target with each of its comments once (in order,
    with its visibility), every user once."""
    live = {t.id: t for t in served.source.backend.desk.tickets if not t.deleted}
    backend = served.target.backend
    imported = {t["external_id"]: tid for tid, t in backend.tickets.items()}
    assert len(imported) == len(backend.tickets), "a ticket was imported twice"
    assert set(imported) == {f"exchange:ticket:{i}" for i in live}
    for source_id, ticket in live.items():
        comments = backend.comments[imported[f"exchange:ticket:{source_id}"]]
        kept = [c["public"] for c in comments if not c["plain_body"].startswith(SLA_NOTE_HEADING)]
        assert kept == [c.public for c in ticket.comments], source_id
    emails = [u["email"].lower() for u in backend.users.values() if u.get("email")]
    assert len(emails) == len(set(emails)), "a user was created twice"
    assert {u.email.lower() for u in served.source.backend.desk.users if u.email} <= set(emails)


def last_status(ledger: Path) -> str:
    with Ledger.open(ledger, read_only=True) as opened:
        last = opened.last_run()
        assert last is not None
        opened.verify_journal()
        return last.status


def one_line(err: str) -> str:
    """The one line a stopped command printed on stderr (and that it is one, no traceback)."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_stops_between_steps_and_resume_carries_every_record_once(
    served: Served, signum: signal.Signals
) -> None:
    process = start(served)
    wait_for("tickets in the target", lambda: tickets_written(served) >= 100)
    # The comment spool of the ticket stream is in the run's private folder, for its owner only.
    folders = list(served.spools.iterdir())
    assert len(folders) == 1
    assert stat.S_IMODE(folders[0].stat().st_mode) == 0o700
    files = list(folders[0].iterdir())
    assert files, "no spool while tickets are read"
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    process.send_signal(signum)
    code, out, err = finish(process)

    assert code == 3
    assert out == ""
    line = one_line(err)
    assert line.startswith(f"cemigrate: interrupted by {signum.name} after ")
    assert line.endswith("; continue with --resume")
    assert last_status(served.ledger) == "interrupted"
    assert list(served.spools.iterdir()) == [], "the spool folder outlived the run"
    with Ledger.open(served.ledger, read_only=True) as ledger:
        assert sum(c["pending"] for c in ledger.counts().values()) == 0, "a step was cut"
    assert tickets_written(served) < len(served.source.backend.desk.tickets)

    code, _, err = resume(served)
    assert (code, err) == (0, "")
    assert last_status(served.ledger) == "completed"
    assert_every_record_once(served)
    assert list(served.spools.iterdir()) == []


def test_a_second_signal_stops_at_once_and_resume_settles_the_cut_step(served: Served) -> None:
    process = start(served)
    wait_for("tickets in the target", lambda: tickets_written(served) >= 100)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)

    assert code == 3
    line = one_line(err)
    assert line.startswith("cemigrate: interrupted by SIGTERM")
    assert line.endswith("continue with --resume")
    assert last_status(served.ledger) == "interrupted"
    assert list(served.spools.iterdir()) == []

    code, _, err = resume(served)
    assert (code, err) == (0, "")
    assert_every_record_once(served)


# The ledger's pages are capped once it is set up, so that it fills up while tickets are written:
# SQLite then fails exactly as on a full disk (SQLITE_FULL, "database or disk is full").
_FULL_DISK = """
from cemigrate.ledger import Ledger
def _full(conn):
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 130}")
Ledger.on_connect = _full
"""


def test_a_full_disk_mid_run_is_one_line_exit_3_and_resume_completes(served: Served) -> None:
    code, out, err = finish(start(served, code=_FULL_DISK))

    assert code == 3  # stopped: continue with --resume once there is space
    assert out == ""
    line = one_line(err)
    assert line.startswith(f"cemigrate: stopped: {served.ledger}: the disk is full")
    assert "database or disk is full" in line
    assert line.endswith("free some space, then continue with --resume")
    assert 0 < tickets_written(served) < len(served.source.backend.desk.tickets)
    assert last_status(served.ledger) in ("failed", "running")
    assert list(served.spools.iterdir()) == []

    code, _, err = resume(served)
    assert (code, err) == (0, "")
    assert last_status(served.ledger) == "completed"
    assert_every_record_once(served)


def test_a_damaged_ledger_is_one_line_exit_2_for_run_and_status(served: Served) -> None:
    process = start(served)
    wait_for("tickets in the target", lambda: tickets_written(served) >= 100)
    process.send_signal(signal.SIGTERM)
    assert finish(process)[0] == 3
    size = served.ledger.stat().st_size
    with served.ledger.open("r+b") as file:  # every page but the first (the schema) garbled
        file.seek(4096)
        file.write(bytes(range(256)) * ((size - 4096) // 256))
    written = tickets_written(served)

    for command in (["run", str(served.plan), "--resume"], ["status", str(served.plan)]):
        done = subprocess.run(
            [sys.executable, "-m", "cemigrate.cli", *command],
            capture_output=True,
            text=True,
            env=served.env(),
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        line = one_line(done.stderr)
        assert line.startswith(f"cemigrate: {served.ledger}: ")
        assert "damaged" in line or "malformed" in line or "not a database" in line
    assert tickets_written(served) == written


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[str]:
    """Make ``paths`` read-only media as far as this machine allows: ``chattr +i`` (immutable
    even for root) when running as root, else permissions. Yields how."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
        try:
            yield "immutable"
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
    else:
        modes = {path: path.stat().st_mode for path in paths}
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield "permissions"
        finally:
            for path, mode in modes.items():
                path.chmod(mode)


def status_of(served: Served, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cemigrate.cli", "status", str(served.plan)],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
    )


def test_status_reads_a_ledger_on_read_only_media(served: Served) -> None:
    process = start(served)
    wait_for("tickets in the target", lambda: tickets_written(served) >= 100)
    process.send_signal(signal.SIGINT)
    assert finish(process)[0] == 3
    folder = served.ledger.parent
    before = sorted(p.name for p in folder.iterdir())
    content = served.ledger.read_bytes()

    with read_only(folder, served.ledger):
        done = status_of(served, served.env())
        again = finish(start(served, "--resume"))

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "interrupted" in done.stdout
    assert "hash chain verifies" in done.stdout
    # A writing command on read-only media: one line naming the ledger, exit 2, nothing sent.
    assert again[0] == 2
    assert one_line(again[2]).startswith(f"cemigrate: {served.ledger}")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert served.ledger.read_bytes() == content
