"""`cemigrate demo` as a user meets it: seed, dry run, migrate, reconcile, a report to sign.

Each run goes through the command line's entry point and is judged by what it prints, the
files it leaves and the exit code (0 only for a completed run that reconciles with no
finding). Its last line is the reconciliation's verdict.
"""

from __future__ import annotations

import contextlib
import io
import json
import tomllib
from pathlib import Path

import attrs
import pytest

from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, main
from cemigrate.ledger import Ledger

TICKETS = 120


def _demo(out: Path, *options: str) -> list[str]:
    return ["demo", "--tickets", str(TICKETS), "--out", str(out), "--no-progress", *options]


def _ticket_counts(out: Path) -> tuple[int, int, int]:
    with Ledger.open(out / "ledger.sqlite") as ledger:
        tickets = ledger.counts()["ticket"]
    return tickets["done"], tickets["skipped"], tickets["failed"]


def test_the_default_demo_moves_zendesk_into_salesforce_and_reconciles_with_no_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(_demo(out)) == EXIT_OK
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[0].startswith("demo: an emulated zendesk account into an emulated salesforce")
    assert f"generated help desk 'exchange': {TICKETS} tickets" in printed
    # The dry run's fidelity plan comes before the migration, and is written down.
    assert lines.index(next(x for x in lines if x.startswith("fidelity plan"))) < lines.index(
        next(x for x in lines if x.startswith("run 1 (full): completed"))
    )
    assert "  exactly:" in printed
    assert "  not carried:" in printed
    assert f"  details: {out / 'dryrun.md'}" in printed
    dry = json.loads((out / "dryrun.json").read_text(encoding="utf-8"))
    assert dry["kinds"]["ticket"]["read"] == TICKETS
    assert "# Fidelity plan" in (out / "dryrun.md").read_text(encoding="utf-8")
    # Every ticket arrived but the one deleted in the source (skipped by a named policy).
    assert _ticket_counts(out) == (TICKETS - 1, 1, 0)
    assert "API time under the accounts' rate limits" in printed
    assert "hash chain verifies" in printed
    assert f"next: cemigrate status {out / 'plan.toml'}" in printed
    # It ends with the report's path and, last, the reconciliation's verdict: no finding.
    report = out / "report" / "report.html"
    _no_finding(out, printed)
    assert lines[-2] == f"report: {report}"
    assert "<svg" in report.read_text(encoding="utf-8")
    summary = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    assert summary["counts"]["ticket"]["target"] == TICKETS - 1  # read back from the org


def _no_finding(out: Path, printed: str) -> None:
    """The demo reconciled with no finding and every check ran: its last line is the verdict,
    clean, and its report has no value it could not tell (``n/a``) and nothing not verified."""
    summary = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))["summary"]
    assert summary["findings"] == 0, printed[-2000:]
    assert summary["not_run"] == []
    assert summary["verdict"] == "clean: no finding"
    assert printed.splitlines()[-1] == "reconciliation: clean: no finding"
    markdown = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "n/a" not in markdown
    not_verified = markdown.split("## Not verified", 1)[1].split("\n## ", 1)[0]
    assert not_verified.rstrip().endswith("- nothing")
    assert (
        "<li>"
        not in (out / "report" / "report.html")
        .read_text(encoding="utf-8")
        .split('id="not-verified"', 1)[1]
        .split("<h2", 1)[0]
    )


@attrs.frozen
class Ran:
    """One demo run through the command line: exit code, what it printed, its folder."""

    code: int
    printed: str
    out: Path


def _run(out: Path, *options: str) -> Ran:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(_demo(out, *options))
    return Ran(code=code, printed=printed.getvalue(), out=out)


@pytest.fixture(scope="module")
def salesforce_to_freshdesk(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """Salesforce into Freshdesk, run once for the tests below."""
    out = tmp_path_factory.mktemp("sf-fd") / "demo"
    return _run(out, "--source", "salesforce", "--target", "freshdesk")


def test_salesforce_into_freshdesk_migrates_every_ticket(salesforce_to_freshdesk: Ran) -> None:
    ran = salesforce_to_freshdesk
    assert ran.printed.startswith(
        "demo: an emulated salesforce org into an emulated freshdesk account"
    )
    assert "run 1 (full): completed" in ran.printed
    done, skipped, failed = _ticket_counts(ran.out)
    assert (done + skipped, failed) == (TICKETS, 0)
    report = json.loads((ran.out / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["ticket"]["target"] == done  # read back through the API
    assert ran.printed.splitlines()[-2] == f"report: {ran.out / 'report' / 'report.html'}"


def test_the_demo_plan_names_both_platforms_and_status_reads_its_ledger(
    salesforce_to_freshdesk: Ran, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = salesforce_to_freshdesk.out / "plan.toml"
    plan = tomllib.loads(plan_path.read_text(encoding="utf-8"))
    assert plan["source"][0]["platform"] == "salesforce"
    assert plan["target"]["platform"] == "freshdesk"
    assert plan["mapping"].endswith("salesforce-to-freshdesk.toml")
    assert "api_key_env" in plan["target"]  # names a variable, never a secret
    assert main(["status", str(plan_path)]) == EXIT_OK
    status = capsys.readouterr().out
    assert "last run: 1 (full) completed" in status
    assert "hash chain verifies" in status


def test_salesforce_into_freshdesk_reconciles_with_no_finding(
    salesforce_to_freshdesk: Ran,
) -> None:
    _no_finding(salesforce_to_freshdesk.out, salesforce_to_freshdesk.printed)
    assert salesforce_to_freshdesk.code == EXIT_OK


def test_a_freshdesk_consolidation_moves_one_account_into_another(tmp_path: Path) -> None:
    ran = _run(tmp_path / "demo", "--source", "freshdesk", "--target", "freshdesk")
    assert ran.printed.startswith("demo: two emulated freshdesk accounts (a consolidation)")
    assert "run 1 (full): completed" in ran.printed
    done, skipped, failed = _ticket_counts(ran.out)
    assert (done + skipped, failed) == (TICKETS, 0)
    report = json.loads((ran.out / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["ticket"]["target"] == done  # read back through the API
    # What reconciliation finds with a Freshdesk target is only the known gaps (see above),
    # and the channel counts the mapping moves: Freshdesk's API creates no ticket from a
    # WhatsApp (13) or e-commerce (11) source, so those arrive as portal tickets (their own
    # code kept in the origin field), which the channel KPI shows.
    found = report["findings"]
    assert {f["check"] for f in found} <= {"access.unsuspended", "record.missing", "kpi.drift"}
    drift = {f["message"].split(":")[0] for f in found if f["check"] == "kpi.drift"}
    assert drift <= {
        "tickets by channel social",
        "tickets by channel other",
        "tickets by channel web",
    }


@pytest.mark.parametrize(("option", "value"), [("--source", "zendeks"), ("--target", "hubspot")])
def test_an_unknown_platform_is_one_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(_demo(out, option, value)) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    side = option.removeprefix("--")
    assert captured.err == (
        f"cemigrate: demo: {side} {value!r} is not a platform"
        " (choose one of: zendesk, salesforce, freshdesk)\n"
    )
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"  # not emptied


def test_a_folder_the_demo_did_not_write_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.md").write_text("mine", encoding="utf-8")
    assert main(_demo(tmp_path)) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == (
        f"cemigrate: demo: {tmp_path} is not empty and not an earlier demo's folder;"
        " choose another --out\n"
    )
    assert (tmp_path / "notes.md").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("zendesk", "zendesk"),
        ("zendesk", "freshdesk"),
        ("salesforce", "zendesk"),
        ("salesforce", "salesforce"),
        ("freshdesk", "zendesk"),
        ("freshdesk", "salesforce"),
    ],
)
def test_every_other_pair_reconciles_with_no_finding(
    source: str, target: str, tmp_path: Path
) -> None:
    ran = _run(tmp_path / "demo", "--source", source, "--target", target)
    assert ran.code == EXIT_OK, ran.printed[-2000:]
    _no_finding(ran.out, ran.printed)
    done, skipped, failed = _ticket_counts(ran.out)
    assert (done + skipped, failed) == (TICKETS, 0)
