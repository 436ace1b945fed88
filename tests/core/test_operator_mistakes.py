"""The operator's mistakes during a cutover, each met through the command line: Ctrl-C while
cemigrate is still starting, a plan or report that is not there, a ledger held by a running
migration, Ctrl-C part-way through a command, a reader that stops reading (``| head -1``).
Each is one line on stderr and a documented exit code, never a traceback, and the ledger
still verifies.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_STOPPED, main
from cemigrate.ledger import Ledger

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "memory"
tickets = 20
seed = 4

[target]
platform = "memory"
path = "target.sqlite"
keep_files = true
"""

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan whose migration ran, and whose reconciliation wrote ``proof/`` and ``signed/``
    (signed off); the plan's path."""
    folder = tmp_path_factory.mktemp("migrated")
    plan = folder / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    assert main(["run", str(plan), "--no-progress"]) == EXIT_OK
    for proof in ("proof", "signed"):  # exit 1 or 0: the report is written either way
        assert main(["reconcile", str(plan), "--out", str(folder / proof)]) in (0, 1)
    who = ["--name", "A. Manager", "--role", "Head of Support", "--accept", "rehearsal"]
    assert main(["signoff", str(folder / "signed"), *who]) == EXIT_OK
    return plan


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a command printed on stderr (and that it is one, with no traceback)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def verifies(plan: Path) -> None:
    with Ledger.open(plan.parent / "ledger.sqlite", read_only=True) as ledger:
        ledger.verify_journal()
        assert sum(c["pending"] for c in ledger.counts().values()) == 0


# -- Ctrl-C before the command is under way ----------------------------------------------------

# SIGINT (Ctrl-C) or SIGTERM (a service manager, `kill`) arrives while `python -m cemigrate.cli`
# is importing the copier (the first second of a real start, before any handler of the
# command's is in place): the import finder sends it.
_INTERRUPTED_IMPORT = """
import os, runpy, signal, sys
SIGNAL = getattr(signal, sys.argv[2])
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "cemigrate.copier":
            os.kill(os.getpid(), SIGNAL)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["cemigrate", "run", sys.argv[1], "--no-progress"]
runpy.run_module("cemigrate.cli", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_while_cemigrate_is_still_importing_is_one_line_and_exit_3(
    migrated: Path, name: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_IMPORT, str(migrated), name],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (EXIT_STOPPED, "")
    assert done.stderr == f"cemigrate: interrupted by {name} while starting; nothing was done\n"
    verifies(migrated)


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_before_the_command_handlers_are_in_place_is_one_line_and_exit_3(
    migrated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    import argparse

    class Unhandled(Exception):
        """SIGTERM reached the caller's handler: main() had none of its own."""

    def caller(*_: Any) -> None:
        raise Unhandled  # (Python's default would end the test run)

    def interrupted(*_: Any, **__: Any) -> None:
        os.kill(os.getpid(), getattr(signal, name))  # while the arguments are read

    before = signal.signal(signal.SIGTERM, caller)
    try:
        monkeypatch.setattr(argparse.ArgumentParser, "parse_args", interrupted)
        assert main(["status", str(migrated)]) == EXIT_STOPPED
        assert signal.getsignal(signal.SIGTERM) is caller  # the caller's handler is back
    finally:
        signal.signal(signal.SIGTERM, before)
    assert one_line(capsys) == f"cemigrate: interrupted by {name}; stopped at once"


# -- a plan, report or ledger that is not there --------------------------------------------------

PLAN_COMMANDS = [
    ["run"],
    ["status"],
    ["reconcile", "--out", "{folder}/proof-2"],
    ["rollback"],
    ["rollback", "--dry-run"],
    ["rules", "activate"],
    ["rules", "audit", "--out", "{folder}/rules-audit"],
]


def _command(words: list[str], plan: Path | str, folder: Path) -> list[str]:
    """``words`` with the plan after the command's name (one word, or two for ``rules``)."""
    head = [w for w in words[:2] if not w.startswith("-")]
    rest = [w.format(folder=folder) for w in words[len(head) :]]
    return [*head, str(plan), *rest]


@pytest.mark.parametrize("words", PLAN_COMMANDS, ids=lambda w: " ".join(w[:2]))
@pytest.mark.parametrize("plan", ["missing.toml", "."], ids=["missing plan", "a folder"])
def test_a_plan_that_is_not_there_is_one_line_and_exit_2(
    words: list[str], plan: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / plan
    assert main(_command(words, path, tmp_path)) == EXIT_BAD_INPUT
    assert one_line(capsys).startswith(f"cemigrate: {path}")


@pytest.mark.parametrize("words", [["status"], ["rollback"]], ids=" ".join)
def test_a_plan_whose_ledger_is_not_there_yet_is_one_line_and_exit_2(
    words: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    assert main(_command(words, plan, tmp_path)) == EXIT_BAD_INPUT
    line = one_line(capsys)
    assert line.startswith("cemigrate: ")
    assert line.endswith("no ledger yet (nothing has run)")
    assert not (tmp_path / "ledger.sqlite").exists()


def test_a_resume_without_a_ledger_is_one_line_and_exit_2_not_a_full_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan pointed at the wrong folder (a renamed ledger, a typo) must not start the whole
    migration again when the operator asked to continue one."""
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    assert main(["run", str(plan), "--resume", "--no-progress"]) == EXIT_BAD_INPUT
    line = one_line(capsys)
    assert line.startswith(f"cemigrate: {tmp_path / 'ledger.sqlite'}: no ledger yet")
    assert "nothing to resume" in line
    assert not (tmp_path / "ledger.sqlite").exists()
    assert not (tmp_path / "target.sqlite").exists()  # nothing was written


@pytest.mark.parametrize(
    "words",
    [["status"], ["run"], ["reconcile", "--out", "{folder}/proof"], ["rollback", "--dry-run"]],
    ids=lambda w: " ".join(w[:2]),
)
@pytest.mark.parametrize("damage", ["not a database", "a folder"])
def test_a_ledger_that_is_not_a_ledger_is_one_line_naming_it_and_exit_2(
    words: list[str], damage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    ledger = tmp_path / "ledger.sqlite"
    if damage == "a folder":
        ledger.mkdir()
    else:
        ledger.write_bytes(b"a copy of the wrong file, " * 200)
    assert main(_command(words, plan, tmp_path)) == EXIT_BAD_INPUT
    assert one_line(capsys).startswith(f"cemigrate: {ledger}: ")
    assert ledger.is_dir() or ledger.read_bytes() == b"a copy of the wrong file, " * 200


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["signoff", "--name", "A. Manager", "--role", "Head of Support"], "no report.json"),
        (["verify"], "not signed off"),
    ],
    ids=["signoff", "verify"],
)
def test_a_report_folder_that_is_not_there_is_one_line_and_exit_2(
    words: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "no-report"
    assert main([words[0], str(folder), *words[1:]]) == EXIT_BAD_INPUT
    line = one_line(capsys)
    assert line.startswith(f"cemigrate: {folder}")
    assert says in line


# -- a second process ----------------------------------------------------------------------------


@pytest.fixture
def held(migrated: Path) -> Iterator[int]:
    """The ledger held by another live process, as by a running migration; its process id."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from cemigrate.ledger import Ledger\n"
            "ledger = Ledger.open(sys.argv[1], exclusive=True); print('held', flush=True)\n"
            "sys.stdin.read()",
            str(migrated.parent / "ledger.sqlite"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    try:
        yield holder.pid
    finally:
        holder.communicate(timeout=30)


@pytest.mark.parametrize(
    "words",
    [["run"], ["run", "--resume"], ["run", "--delta"], ["rollback"]],
    ids=" ".join,
)
def test_a_ledger_held_by_a_running_migration_is_one_line_naming_it_and_exit_2(
    words: list[str], migrated: Path, held: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_command(words, migrated, migrated.parent)) == EXIT_BAD_INPUT
    line = one_line(capsys)
    assert line.startswith(f"cemigrate: {migrated.parent / 'ledger.sqlite'}: in use by process")
    assert f"process {held} " in line


def test_status_reads_a_ledger_held_by_a_running_migration(
    migrated: Path, held: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", str(migrated)]) == EXIT_OK
    assert "hash chain verifies" in capsys.readouterr().out


# -- Ctrl-C part-way -----------------------------------------------------------------------------

SWEPT = [
    ["status", "--failures"],
    ["reconcile", "--out", "{folder}/proof-3"],
    ["rollback", "--dry-run"],
    ["rules", "audit", "--out", "{folder}/rules-audit"],
    ["signoff", "--name", "A. Manager", "--role", "Head of Support", "--accept", "rehearsal"],
    ["verify"],
]


@pytest.mark.parametrize("words", SWEPT, ids=lambda w: " ".join(w[:2]))
def test_ctrl_c_part_way_through_a_command_is_one_line_and_exit_3(
    words: list[str],
    migrated: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[str] = []

    def ctrl_c_after(method: Any) -> Any:
        def interrupted(*args: Any, **kwargs: Any) -> Any:
            done = method(*args, **kwargs)
            if not sent:  # once the plan or report was read, or the ledger opened
                sent.append(method.__name__)
                os.kill(os.getpid(), signal.SIGINT)
            return done

        return interrupted

    opened = Ledger.open.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(Ledger, "open", classmethod(ctrl_c_after(opened)))
    monkeypatch.setattr(Path, "read_bytes", ctrl_c_after(Path.read_bytes))
    monkeypatch.setattr(Path, "read_text", ctrl_c_after(Path.read_text))
    if words[0] in ("signoff", "verify"):
        report = "proof" if words[0] == "signoff" else "signed"
        argv = [words[0], str(migrated.parent / report), *words[1:]]
    else:
        argv = _command(words, migrated, migrated.parent)
    assert main(argv) == EXIT_STOPPED
    assert sent
    assert "interrupted by SIGINT" in one_line(capsys)
    monkeypatch.undo()
    verifies(migrated)
    assert not (migrated.parent / "proof" / "signoff.json").exists()


# -- a reader that stops reading ---------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [["status", "--failures"], ["rules", "audit", "--out", "{folder}/rules-audit"], ["--help"]],
    ids=lambda w: " ".join(w[:2]),
)
def test_a_reader_that_stops_reading_is_no_broken_pipe_error(
    words: list[str], migrated: Path
) -> None:
    argv = words if words == ["--help"] else _command(words, migrated, migrated.parent)
    # `cemigrate status PLAN | head -1` after head has its line: stdout is a closed pipe.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "cemigrate.cli", *argv],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == EXIT_OK


# -- a full disk under what a command writes ------------------------------------------------------


FULL = "no space left on the disk (No space left on device); free some space, then run"


@pytest.mark.parametrize(
    ("words", "folder", "says"),
    [
        (
            ["rules", "audit", "--out", "{folder}/audit-full"],
            "audit-full",
            "writing under {where}: " + FULL,
        ),
        (
            ["signoff", "--name", "A. Manager", "--role", "Head of Support", "--accept", "ok"],
            "proof",
            "{where}/signoff.json: no space left for the sign-off (No space left on device);"
            " free some space, then run",
        ),
    ],
    ids=["rules audit", "signoff"],
)
def test_a_full_disk_under_what_a_command_writes_is_one_line_naming_it_and_exit_3(
    words: list[str],
    folder: str,
    says: str,
    migrated: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = migrated.parent / folder
    before = {p.name: p.read_bytes() for p in where.iterdir()} if where.exists() else {}
    opened = Path.open

    def full(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and self.parent == where:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write() says it
        return opened(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full)
    if words[0] == "signoff":
        argv = [words[0], str(where), *words[1:]]
    else:
        argv = _command(words, migrated, migrated.parent)
    assert main(argv) == EXIT_STOPPED
    expected = says.format(where=where)
    assert one_line(capsys) == f"cemigrate: stopped: {expected} the command again"
    monkeypatch.undo()
    assert ({p.name: p.read_bytes() for p in where.iterdir()} if where.exists() else {}) == before


def test_ctrl_c_while_the_report_is_written_keeps_the_old_report_whole(
    migrated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    where = migrated.parent / "proof"
    before = {p.name: p.read_bytes() for p in where.iterdir()}
    opened = Path.open

    class Interrupted(io.TextIOWrapper):
        def write(self, text: str) -> int:
            super().write(text[:100])  # a first piece of it on the disk, then Ctrl-C
            self.flush()
            os.kill(os.getpid(), signal.SIGINT)
            return len(text)

    def interrupted(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and self.parent == where:
            return Interrupted(opened(self, "wb"), encoding="utf-8")
        return opened(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", interrupted)
    assert main(["reconcile", str(migrated), "--out", str(where)]) == EXIT_STOPPED
    assert one_line(capsys) == "cemigrate: interrupted by SIGINT; stopped at once"
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in where.iterdir()} == before
