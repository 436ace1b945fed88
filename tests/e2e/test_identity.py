"""The ledger knows which accounts it read and wrote: a renamed source instance, another
target, or a target that lost what the ledger wrote there stops the run in one line (exit 2)
before anything is written; ``--repoint`` accepts a deliberate change. Run by ``cemigrate run``
against the Zendesk emulator over loopback HTTP."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, main
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import DEFAULT_EMAIL, DEFAULT_TOKEN, ZendeskSandbox, serve_zendesk
from cemigrate.schema import Kind

TICKETS, SEED = 30, 11

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "{instance}"
platform = "zendesk"
base_url = "{url}"
email_env = "TEST_ZENDESK_EMAIL"
token_env = "TEST_ZENDESK_TOKEN"

[target]
platform = "memory"
path = "{target}"
"""


CLOCK = ManualClock()
"""The emulator's clock: moved a minute on before each run, so its export limit (10 a
minute) never makes a run wait."""


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ZendeskSandbox, str]]:
    """The emulator over loopback HTTP, its manual clock past the one-minute export delay."""
    sandbox, server = serve_zendesk(
        port=0, tickets=TICKETS, seed=SEED, plan="enterprise", instance="emea", clock=CLOCK
    )
    CLOCK.advance(120)
    try:
        yield sandbox, server.url
    finally:
        server.shutdown()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ZENDESK_EMAIL", DEFAULT_EMAIL)
    monkeypatch.setenv("TEST_ZENDESK_TOKEN", DEFAULT_TOKEN)


def write_plan(folder: Path, url: str, *, instance: str = "emea", target: str = "t.sqlite") -> Path:
    plan = folder / "plan.toml"
    plan.write_text(PLAN.format(instance=instance, url=url, target=target), encoding="utf-8")
    return plan


def tickets_in(path: Path) -> list[str]:
    """The external ids of the tickets a memory target holds."""
    target = MemoryTarget(path)
    try:
        return [record.external_id for record in target.records(Kind.TICKET)]
    finally:
        target.close()


def ledger_state(path: Path) -> tuple[object, ...]:
    """What a refused run must leave as it was: runs, entries, journal, recorded accounts."""
    connection = sqlite3.connect(path)
    try:
        return tuple(
            connection.execute(sql).fetchall()
            for sql in (
                "SELECT * FROM runs ORDER BY id",
                "SELECT key, target_id, state, content_hash FROM id_map ORDER BY key",
                "SELECT seq, hash FROM journal ORDER BY seq",
                "SELECT * FROM accounts ORDER BY side, instance",
                "SELECT * FROM cursors ORDER BY instance, stream",
            )
        )
    finally:
        connection.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    CLOCK.advance(61)
    code = main(["run", *args, "--no-progress"])
    return code, capsys.readouterr().err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cemigrate: ")
    assert "Traceback" not in err
    return lines[0]


def test_the_first_run_records_both_accounts(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    plan = write_plan(tmp_path, url)
    assert run(capsys, str(plan))[0] == EXIT_OK
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        recorded = {(a.side, a.instance): (a.platform, a.account) for a in ledger.accounts()}
    assert recorded == {
        ("source", "emea"): ("zendesk", url),
        ("target", "target"): ("memory", (tmp_path / "t.sqlite").resolve().as_uri()),
    }


def test_a_renamed_source_is_refused_in_one_line_and_nothing_is_copied_twice(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    assert run(capsys, str(write_plan(tmp_path, url)))[0] == EXIT_OK
    copied = tickets_in(tmp_path / "t.sqlite")
    assert len(copied) == len(set(copied)) > 0
    before = ledger_state(tmp_path / "ledger.sqlite")

    renamed = write_plan(tmp_path, url, instance="emea2")
    for extra in ((), ("--dry-run",), ("--delta",)):
        code, err = run(capsys, str(renamed), *extra)
        assert code == EXIT_BAD_INPUT, extra
        line = one_line(err)
        assert f"source 'emea2' is {url}, which this ledger knows as 'emea'" in line
        assert "rename it back, or re-point with --repoint" in line

    assert tickets_in(tmp_path / "t.sqlite") == copied  # nothing written twice
    assert ledger_state(tmp_path / "ledger.sqlite") == before  # the ledger untouched


def test_repoint_accepts_a_renamed_source_records_it_and_journals_it(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    assert run(capsys, str(write_plan(tmp_path, url)))[0] == EXIT_OK
    copied = len(tickets_in(tmp_path / "t.sqlite"))
    renamed = write_plan(tmp_path, url, instance="emea2")

    assert run(capsys, str(renamed), "--repoint")[0] == EXIT_OK
    # A deliberate re-point: the new name's keys are new, so its records are written anew.
    assert len(tickets_in(tmp_path / "t.sqlite")) == 2 * copied
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        sources = {a.instance: a.account for a in ledger.accounts() if a.side == "source"}
        repointed = [row for row in ledger.journal() if row.action == "repointed"]
        assert ledger.verify_journal() > 0
    assert sources == {"emea2": url}
    assert [(r.kind, r.key, r.target_id) for r in repointed] == [("account", "source:emea2", url)]

    # From now on the account is "emea2": a run under it needs no option, the old name is refused.
    assert run(capsys, str(renamed))[0] == EXIT_OK
    assert len(tickets_in(tmp_path / "t.sqlite")) == 2 * copied
    code, err = run(capsys, str(write_plan(tmp_path, url)))
    assert code == EXIT_BAD_INPUT
    assert "which this ledger knows as 'emea2'" in one_line(err)


def test_another_target_is_refused_in_one_line_and_gets_nothing(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    assert run(capsys, str(write_plan(tmp_path, url)))[0] == EXIT_OK
    before = ledger_state(tmp_path / "ledger.sqlite")

    elsewhere = write_plan(tmp_path, url, target="other.sqlite")
    code, err = run(capsys, str(elsewhere), "--delta")
    assert code == EXIT_BAD_INPUT
    line = one_line(err)
    other, first = ((tmp_path / name).resolve().as_uri() for name in ("other.sqlite", "t.sqlite"))
    assert f"the target is memory {other}, but this ledger wrote to memory {first}" in line
    assert "--repoint" in line
    assert tickets_in(tmp_path / "other.sqlite") == []
    assert ledger_state(tmp_path / "ledger.sqlite") == before


def test_a_target_that_lost_the_ledgers_records_stops_in_one_line(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    plan = write_plan(tmp_path, url)
    assert run(capsys, str(plan))[0] == EXIT_OK
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        written = {e.key: e.target_id for e in ledger.entries(kind="ticket")}
    before = ledger_state(tmp_path / "ledger.sqlite")
    # The account at the same address was replaced by an empty one.
    (tmp_path / "t.sqlite").unlink()

    for extra in ((), ("--delta",), ("--dry-run",)):
        code, err = run(capsys, str(plan), *extra)
        assert code == EXIT_BAD_INPUT, extra
        line = one_line(err)
        target = (tmp_path / "t.sqlite").resolve().as_uri()
        found = re.search(
            r"the target (\S+) does not have (\d+) of (\d+) records this ledger", line
        )
        assert found is not None, line
        assert found[1] == target
        assert found[2] == found[3]  # every sampled record is missing
        assert 10 <= int(found[3]) <= 20  # a sample, spread over tickets and organizations
        example = line.split("(e.g. ", 1)[1].split(")", 1)[0]
        key, target_id = example.split(" → ")
        assert written[key] == target_id
        assert "is it the same account?" in line

    assert tickets_in(tmp_path / "t.sqlite") == []  # nothing written
    assert ledger_state(tmp_path / "ledger.sqlite") == before


def test_a_target_that_holds_the_records_passes_the_sample(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    plan = write_plan(tmp_path, url)
    assert run(capsys, str(plan))[0] == EXIT_OK
    assert run(capsys, str(plan), "--delta")[0] == EXIT_OK
    assert run(capsys, str(plan))[0] == EXIT_OK
    copied = tickets_in(tmp_path / "t.sqlite")
    assert len(copied) == len(set(copied))
