"""A masked rehearsal from the command line: a plan's ``[mask]`` section (or ``--mask``) masks
the run, the dry run and the reconciliation alike, which finds nothing; nothing of the source's
people or messages is in the target's store, the ledger, the reports or the output; a
missing key stops everything with one line and exit 2 before any platform is called."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, main
from cemigrate.errors import ConfigError
from cemigrate.plan import open_plan
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Kind, Ticket, User

KEY = "rehearsal-key-from-the-vault-0042"
TICKETS, SEED = 20, 7

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "emea"
platform = "memory"
tickets = 20
seed = 7

[target]
platform = "memory"
path = "target.sqlite"
keep_files = true
"""
SECTION = """
[mask]
key_env = "REHEARSAL_MASK_KEY"
"""


def _personal() -> set[str]:
    desk = generate(tickets=TICKETS, seed=SEED, instance="emea")
    found: set[str] = set()
    for user in desk.records(Kind.USER):
        assert isinstance(user, User)
        found.add(user.name)
        if user.email:
            found.add(user.email)
    for ticket in desk.records(Kind.TICKET):
        assert isinstance(ticket, Ticket)
        found.add(ticket.subject)
        for comment in ticket.comments:
            found.update(line for line in comment.body_plain.splitlines() if len(line) >= 20)
    return {s for s in found if len(s) >= 5}


def _leaks(text: str, personal: set[str]) -> list[str]:
    low = text.lower()
    return sorted(s for s in personal if s.lower() in low)


def _written(folder: Path) -> str:
    """Every file the commands left (the target's store, the ledger, the reports)."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()
    )


@pytest.mark.parametrize("how", ["plan section", "--mask"])
def test_a_masked_rehearsal_from_the_command_line_reconciles_clean_and_leaks_nothing(
    how: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    flag: list[str] = []
    if how == "--mask":
        monkeypatch.setenv("CEMIGRATE_MASK_KEY", KEY)
        (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
        flag = ["--mask"]
    else:
        monkeypatch.setenv("REHEARSAL_MASK_KEY", KEY)
        (tmp_path / "plan.toml").write_text(PLAN + SECTION, encoding="utf-8")
    plan = str(tmp_path / "plan.toml")
    assert main(["run", plan, "--dry-run", *flag]) == EXIT_OK
    assert main(["run", plan, *flag]) == EXIT_OK
    first = capsys.readouterr().out
    assert main(["run", plan, *flag]) == EXIT_OK
    again = capsys.readouterr().out
    # The same key masks the same: a second run finds every person and ticket unchanged.
    rows = {line.split()[0]: line.split()[1:5] for line in again.splitlines()[2:]}
    for kind in ("organization", "user", "ticket", "satisfaction_rating"):
        read, created, updated, unchanged = rows[kind]
        assert (created, updated, unchanged) == ("0", "0", read), (kind, rows[kind])
    code = main(["reconcile", plan, "--out", str(tmp_path / "report"), *flag])
    output = capsys.readouterr()
    # No finding (the memory target cannot tell its rules' states: the one check not run).
    verdict = output.out.strip().splitlines()[-1]
    assert verdict.startswith("verdict:")
    assert "no finding" in verdict, output.out
    assert code == EXIT_OK
    personal = _personal()
    assert len(personal) > 50
    written = _written(tmp_path)
    assert "ticket" in written  # the store and the reports are there
    assert not _leaks(written, personal)
    assert not _leaks(output.out + output.err + first + again + caplog.text, personal)
    assert KEY not in written + caplog.text + output.out + output.err


def test_masked_and_real_runs_never_share_a_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CEMIGRATE_MASK_KEY", KEY)
    (tmp_path / "plan.toml").write_text(PLAN, encoding="utf-8")
    plan = str(tmp_path / "plan.toml")
    assert main(["run", plan, "--mask"]) == EXIT_OK
    capsys.readouterr()
    ledger = (tmp_path / "ledger.sqlite").read_bytes()
    # Without the mask: real data would go into the rehearsal account.
    for args in (["run", plan], ["run", plan, "--dry-run"], ["reconcile", plan, "--out", "r"]):
        assert main(args) == EXIT_BAD_INPUT
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert "this ledger is a masked rehearsal's" in err[0]
    # Another key: every record would be rewritten.
    monkeypatch.setenv("CEMIGRATE_MASK_KEY", KEY[::-1])
    assert main(["run", plan, "--mask"]) == EXIT_BAD_INPUT
    assert "masked with another key" in capsys.readouterr().err
    assert (tmp_path / "ledger.sqlite").read_bytes() == ledger
    # The other way round: a masked run over a ledger of real runs would overwrite them.
    real = tmp_path / "real"
    real.mkdir()
    (real / "plan.toml").write_text(PLAN, encoding="utf-8")
    assert main(["run", str(real / "plan.toml")]) == EXIT_OK
    capsys.readouterr()
    assert main(["run", str(real / "plan.toml"), "--mask"]) == EXIT_BAD_INPUT
    assert "this ledger's runs were not masked" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "args", "variable"),
    [
        (PLAN + SECTION, [], "REHEARSAL_MASK_KEY"),
        (PLAN, ["--mask"], "CEMIGRATE_MASK_KEY"),
        (PLAN + SECTION, ["--dry-run"], "REHEARSAL_MASK_KEY"),
    ],
)
def test_a_missing_key_is_one_line_and_exit_2_before_any_call(
    text: str,
    args: list[str],
    variable: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("REHEARSAL_MASK_KEY", raising=False)
    monkeypatch.delenv("CEMIGRATE_MASK_KEY", raising=False)
    # A source where nothing listens: any call would fail with another message.
    text = text.replace('platform = "memory"\ntickets = 20\nseed = 7', _NOWHERE)
    monkeypatch.setenv("ZD_EMAIL", "a@b.example")
    monkeypatch.setenv("ZD_TOKEN", "t")
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    code = main(["run", str(tmp_path / "plan.toml"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_BAD_INPUT
    assert len(err) == 1, err
    assert variable in err[0]
    assert "mask" in err[0]
    assert not (tmp_path / "ledger.sqlite").exists()


_NOWHERE = """\
platform = "zendesk"
subdomain = "nowhere"
base_url = "http://127.0.0.1:9"
email_env = "ZD_EMAIL"
token_env = "ZD_TOKEN\""""


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ('[mask]\nkey_env = "K"\nkeep_agent = true\n', "mask.keep_agent: unknown key"),
        ("[mask]\nfields = [1, 2]\n", "mask.fields: must be a list of field keys"),
        ('[mask]\nkeep_agents = "yes"\n', "mask.keep_agents: must be true or false"),
    ],
)
def test_a_wrong_mask_section_names_its_line_and_key(
    section: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN + "\n" + section, encoding="utf-8")
    code = main(["run", str(tmp_path / "plan.toml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_BAD_INPUT
    assert len(err) == 1, err
    assert says in err[0]
    assert "plan.toml:1" in err[0]


def test_from_python_the_plan_section_masks_every_job_and_the_key_comes_from_env(
    tmp_path: Path,
) -> None:
    (tmp_path / "plan.toml").write_text(PLAN + SECTION, encoding="utf-8")
    plan = open_plan(tmp_path / "plan.toml", env={"REHEARSAL_MASK_KEY": KEY})
    migration = plan.migration()
    try:
        assert migration.mask is not None
        assert migration.run().status == "completed"
    finally:
        migration.close()
    reconciliation = plan.reconciliation()
    try:
        assert reconciliation.mask is not None
        assert reconciliation.run().content["summary"]["findings"] == 0
    finally:
        reconciliation.close()
    # Without the section, masking is asked for; without the key, nothing is built.
    (tmp_path / "bare.toml").write_text(PLAN, encoding="utf-8")
    bare = open_plan(tmp_path / "bare.toml", env={})
    assert bare.masking() is None
    with pytest.raises(ConfigError, match="CEMIGRATE_MASK_KEY is not set"):
        bare.migration(mask=True)
    short = open_plan(tmp_path / "bare.toml", env={"CEMIGRATE_MASK_KEY": "short"})
    with pytest.raises(ConfigError, match="at least 16 characters"):
        short.migration(mask=True)
