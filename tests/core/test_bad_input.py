"""Bad input: one line naming file, line and key, a non-zero exit, and the ledger untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cemigrate.cli import EXIT_BAD_INPUT, main
from cemigrate.ledger import Ledger

GOOD_PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "emea"
platform = "memory"
tickets = 5

[target]
platform = "memory"
"""


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


def write_plan(tmp_path: Path, text: str) -> Path:
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    return plan


@pytest.fixture
def ledger_bytes(tmp_path: Path) -> bytes:
    """A real ledger with one run in it, so 'untouched' means something."""
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        ledger.finish_run(ledger.start_run("full", "x"), "completed")
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"ledger.sqlite{suffix}").unlink(missing_ok=True)
    return (tmp_path / "ledger.sqlite").read_bytes()


def assert_one_line(err: str, *parts: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for part in parts:
        assert part in lines[0], (part, lines[0])


def test_unknown_key_in_plan_names_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger_bytes: bytes
) -> None:
    plan = write_plan(tmp_path, GOOD_PLAN.replace("tickets = 5", "tickets = 5\ntikets = 6"))
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, f"{plan}:7:", "source[0].tikets", "unknown key")
    assert (tmp_path / "ledger.sqlite").read_bytes() == ledger_bytes


def test_wrong_type_in_plan_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, GOOD_PLAN.replace("tickets = 5", 'tickets = "five"'))
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, f"{plan}:6:", "source[0].tickets", "must be an integer")


def test_unknown_platform_lists_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD_PLAN.replace('platform = "memory"\ntickets', 'platform = "zendsk"\ntickets')
    plan = write_plan(tmp_path, text)
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, f"{plan}:5:", "source[0].platform", "'zendsk' is not a platform", "memory")


def test_unknown_plan_names_its_line_and_the_platform_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger_bytes: bytes
) -> None:
    plan = write_plan(tmp_path, GOOD_PLAN.replace("tickets = 5", 'tickets = 5\nplan = "gold"'))
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, f"{plan}:7:", "source[0].plan", "'gold' is not a memory plan", "default")
    assert (tmp_path / "ledger.sqlite").read_bytes() == ledger_bytes


def test_a_run_beside_a_live_one_is_refused_in_one_line_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger_bytes: bytes
) -> None:
    plan = write_plan(tmp_path, GOOD_PLAN)
    with Ledger.open(tmp_path / "ledger.sqlite", exclusive=True):  # the live run
        before = (tmp_path / "ledger.sqlite").read_bytes()
        for command in (["run", str(plan)], ["run", str(plan), "--resume"]):
            code, err = run_cli(capsys, *command)
            assert code == EXIT_BAD_INPUT
            assert_one_line(err, "ledger.sqlite: in use by process", "wait for it to finish")
        assert (tmp_path / "ledger.sqlite").read_bytes() == before
    assert before == ledger_bytes


def test_toml_syntax_error_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, GOOD_PLAN.replace("tickets = 5", "tickets = = 5"))
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, str(plan), "TOML syntax error", "line 6")


def test_missing_mapping_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger_bytes: bytes
) -> None:
    plan = write_plan(tmp_path, 'mapping = "mappings/nope.toml"\n' + GOOD_PLAN)
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, "mappings/nope.toml", "no such mapping file")
    assert (tmp_path / "ledger.sqlite").read_bytes() == ledger_bytes


def test_unknown_key_in_mapping_names_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.toml").write_text('name = "x"\n\n[statuss]\nopen = "new"\n')
    plan = write_plan(tmp_path, 'mapping = "m.toml"\n' + GOOD_PLAN)
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, "m.toml:3:", "statuss", "unknown key")


def test_ledger_that_is_not_sqlite_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, GOOD_PLAN)
    (tmp_path / "ledger.sqlite").write_text("these are my notes, not a ledger\n")
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, "ledger.sqlite", "not")
    assert (tmp_path / "ledger.sqlite").read_text() == "these are my notes, not a ledger\n"


def test_ledger_from_a_newer_cemigrate_is_refused_and_left_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger_bytes: bytes
) -> None:
    path = tmp_path / "ledger.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {Ledger.SCHEMA_VERSION + 1}")
    conn.execute(
        "UPDATE ledger_meta SET value = ? WHERE key = 'schema_version'",
        (str(Ledger.SCHEMA_VERSION + 1),),
    )
    conn.commit()
    conn.close()
    before = path.read_bytes()
    plan = write_plan(tmp_path, GOOD_PLAN)
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, "ledger.sqlite", "newer")
    assert path.read_bytes() == before


def test_unset_credential_variable_is_named_and_nothing_runs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ledger_bytes: bytes,
) -> None:
    monkeypatch.delenv("CEMIGRATE_TEST_TOKEN", raising=False)
    plan = write_plan(
        tmp_path,
        GOOD_PLAN.replace("tickets = 5", 'tickets = 5\ntoken_env = "CEMIGRATE_TEST_TOKEN"'),
    )
    code, err = run_cli(capsys, "run", str(plan))
    assert code == EXIT_BAD_INPUT
    assert_one_line(err, f"{plan}:7:", "source[0].token_env", "CEMIGRATE_TEST_TOKEN is not set")
    assert (tmp_path / "ledger.sqlite").read_bytes() == ledger_bytes


def test_credential_value_never_reaches_output_or_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-token-value-0123456789"
    monkeypatch.setenv("CEMIGRATE_TEST_TOKEN", secret)
    plan = write_plan(
        tmp_path,
        GOOD_PLAN.replace("tickets = 5", 'tickets = 5\ntoken_env = "CEMIGRATE_TEST_TOKEN"'),
    )
    code = main(["-v", "run", str(plan)])
    captured = capsys.readouterr()
    assert code == 0
    assert secret not in captured.out + captured.err
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes(), path


def test_credentials_never_show_in_a_repr(tmp_path: Path) -> None:
    from cemigrate.plan import load_plan
    from cemigrate.ratelimit import ManualClock

    secret = "s3cr3t-token-value-0123456789"
    plan = load_plan(
        write_plan(tmp_path, GOOD_PLAN.replace("tickets = 5", 'tickets = 5\ntoken_env = "TOK"'))
    )
    settings = plan.settings(plan.sources[0], clock=ManualClock(), env={"TOK": secret})
    assert settings.credentials == {"token": secret}
    assert secret not in repr(settings)
