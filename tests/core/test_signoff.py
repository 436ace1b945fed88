"""Sign-off and verify, and the HTML report a manager opens from disk and prints.

A small Zendesk → Zendesk migration is reconciled once; each test copies its report folder,
so an edit in one test never reaches another.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.cli import EXIT_BAD_INPUT, EXIT_FAILURES, EXIT_OK, main
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger, Outcome
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import SIGNOFF_FILE, Reconciliation, sign_off, verify
from cemigrate.reconcile.report import content_digest
from cemigrate.reconcile.signoff import NotClean
from cemigrate.sandbox.zendesk import ZendeskSandbox

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


def _reconciled(folder: Path, *, rules_in_target: bool) -> tuple[Path, Path]:
    """Migrate a small desk, reconcile it and write the report into ``folder``; the folder
    and the ledger file. ``rules_in_target``: the target account already holds the source's
    rules, active, which the migration adopts by title: reconciliation rightly finds them
    active though the activation step did not switch them on (critical)."""
    ledger_path = folder.parent / "ledger.sqlite"
    clock = ManualClock()
    old = ZendeskSandbox(tickets=40, seed=5, instance="emea", clock=clock)
    new = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    if not rules_in_target:
        for held in new.backend.rules.values():
            held.clear()
        new.backend.sla_policies.clear()
    clock.advance(120)

    def source(account: ZendeskSandbox, instance: str) -> ZendeskSource:
        return ZendeskSource(
            instance=instance,
            base_url=account.base_url,
            credentials=CREDENTIALS,
            session=account.session(authenticated=False),
            clock=clock,
        )

    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=CREDENTIALS,
        session=new.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(ledger_path) as ledger:
        Migration(sources=[source(old, "emea")], target=target, ledger=ledger, progress=False).run()
        clock.advance(120)
        report = Reconciliation(
            sources=[source(old, "emea")],
            target_view=source(new, "target"),
            ledger=ledger,
            target=target,
            prepared_by="Migration team",
        ).run()
    report.write(folder)
    return folder, ledger_path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A clean reconciled report's folder and the ledger file it was made from."""
    return _reconciled(tmp_path_factory.mktemp("clean") / "report", rules_in_target=False)


@pytest.fixture(scope="module")
def critical(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report whose verdict is "not ready: critical findings"."""
    return _reconciled(tmp_path_factory.mktemp("critical") / "report", rules_in_target=True)[0]


@pytest.fixture
def folder(written: tuple[Path, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "report"
    shutil.copytree(written[0], copy)
    return copy


def _sign(folder: Path) -> None:
    sign_off(
        folder,
        name="Dana Reviewer",
        role="Head of Support",
        now=lambda: datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    )


def _edit_one_character(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    index = text.index("Migration team")
    path.write_text(text[:index] + "N" + text[index + 1 :], encoding="utf-8")


def test_a_signed_report_verifies(folder: Path) -> None:
    _sign(folder)
    result = verify(folder)
    assert result.ok, result.problems
    assert result.approval["approved_by"] == "Dana Reviewer"
    assert result.approval["role"] == "Head of Support"
    assert result.approval["date"] == "2025-03-01T12:00:00+00:00"


@pytest.mark.parametrize("name", ["report.json", "report.html"])
def test_a_one_character_edit_after_signoff_fails_verify_naming_the_file(
    folder: Path, name: str
) -> None:
    _sign(folder)
    _edit_one_character(folder / name)
    result = verify(folder)
    assert not result.ok
    assert any(problem.startswith(str(folder / name)) for problem in result.problems)
    assert all(
        str(folder / other) not in " ".join(result.problems)
        for other in ("report.md", "report.html" if name == "report.json" else "report.json")
    )


def test_the_command_line_signs_and_verifies_with_exit_codes(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(folder)]) == 2  # nothing signed yet
    assert main(["signoff", str(folder), "--name", "Dana", "--role", "CX lead"]) == 0
    assert main(["verify", str(folder)]) == 0
    assert "intact: approved by Dana (CX lead)" in capsys.readouterr().out
    _edit_one_character(folder / "report.json")
    assert main(["verify", str(folder)]) == 1
    assert f"changed: {folder / 'report.json'}" in capsys.readouterr().out


def test_verify_sees_the_migration_data_change_after_signoff(
    written: tuple[Path, Path], folder: Path, tmp_path: Path
) -> None:
    ledger_copy = tmp_path / "ledger.sqlite"
    shutil.copy(written[1], ledger_copy)
    _sign(folder)
    assert verify(folder, ledger_path=ledger_copy).ok
    with Ledger.open(ledger_copy) as ledger:
        ledger.finish_run(ledger.start_run("delta", ""), "completed")
        ledger.record_outcomes(
            1,
            [
                Outcome(
                    key="emea:ticket:999999",
                    state=EntryState.SKIPPED,
                    action="skipped",
                    reason="late change",
                    kind="ticket",
                    instance="emea",
                    source_id="999999",
                )
            ],
        )
    result = verify(folder, ledger_path=ledger_copy)
    assert [p.split(":")[0] for p in result.problems] == [str(ledger_copy)]
    assert "changed after the sign-off" in result.problems[0]


def test_the_clean_report_is_signed_with_its_verdict_and_findings_digest(folder: Path) -> None:
    _sign(folder)
    approval = json.loads((folder / "signoff.json").read_text(encoding="utf-8"))
    assert approval["verdict"] == "clean: no finding"
    assert approval["findings"]["count"] == 0
    assert approval["findings"]["by_severity"] == {"critical": 0, "major": 0, "minor": 0}
    assert re.fullmatch(r"[0-9a-f]{64}", approval["findings"]["digest"])
    assert approval["not_run"] == []
    assert approval["accepted"] is None


@pytest.fixture
def critical_copy(critical: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "critical"
    shutil.copytree(critical, copy)
    return copy


def test_signoff_refuses_a_report_with_a_critical_finding(
    critical_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads((critical_copy / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["verdict"] == "not ready: critical findings"
    assert report["summary"]["clean"] is False
    code = main(["signoff", str(critical_copy), "--name", "Dana", "--role", "CX lead"])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        "cemigrate: signoff: the report's verdict is 'not ready: critical findings'; not signed"
    )
    assert '--accept "REASON"' in err
    assert not (critical_copy / SIGNOFF_FILE).exists()
    with pytest.raises(NotClean, match="not ready: critical findings"):
        sign_off(critical_copy, name="Dana", role="CX lead")
    assert not (critical_copy / SIGNOFF_FILE).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_empty_accept_reason_is_refused(
    critical_copy: Path, capsys: pytest.CaptureFixture[str], reason: str
) -> None:
    args = ["signoff", str(critical_copy), "--name", "Dana", "--role", "CX lead"]
    assert main([*args, "--accept", reason]) == EXIT_BAD_INPUT
    assert "--accept needs a reason" in capsys.readouterr().err
    assert not (critical_copy / SIGNOFF_FILE).exists()


def test_an_accepted_report_records_verdict_digest_and_reason_and_verifies(
    critical_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "the two rules are switched off by hand before cutover (ticket OPS-12)"
    args = ["signoff", str(critical_copy), "--name", "Dana", "--role", "CX lead"]
    assert main([*args, "--accept", reason]) == EXIT_OK
    assert f"accepted as is: {reason}" in capsys.readouterr().out
    approval = json.loads((critical_copy / SIGNOFF_FILE).read_text(encoding="utf-8"))
    report = json.loads((critical_copy / "report.json").read_text(encoding="utf-8"))
    assert approval["verdict"] == "not ready: critical findings"
    assert approval["accepted"] == reason
    assert approval["findings"]["count"] == report["summary"]["findings"] > 0
    assert approval["findings"]["by_severity"] == report["summary"]["by_severity"]
    assert approval["findings"]["by_severity"]["critical"] > 0
    assert approval["not_run"] == []
    assert main(["verify", str(critical_copy)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert printed.startswith("intact: approved by Dana (CX lead) on ")
    assert f"verdict 'not ready: critical findings', accepted as is: {reason}, digest" in printed


def _edited(value: Any) -> Any:
    if isinstance(value, dict):
        return {**value, "count": 0, "digest": "0" * 64}
    if isinstance(value, list):
        return [{"check": "sla.history", "what": "SLA history on the target"}]
    return "clean: no finding" if value != "clean: no finding" else "edited"


@pytest.mark.parametrize("item", ["verdict", "findings", "not_run", "accepted"])
def test_verify_names_a_signed_item_edited_in_the_signoff_file(
    critical_copy: Path, item: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sign_off(critical_copy, name="Dana", role="CX lead", accept="known, fixed after cutover")
    path = critical_copy / SIGNOFF_FILE
    approval = json.loads(path.read_text(encoding="utf-8"))
    approval[item] = _edited(approval[item])
    path.write_text(json.dumps(approval, indent=2), encoding="utf-8")
    result = verify(critical_copy)
    assert f"{path}: {item} changed after the sign-off" in result.problems
    if item != "accepted":  # the report still says what was signed
        assert any(
            p.startswith(f"{path}: {item} signed is not the report's") for p in result.problems
        )
    assert main(["verify", str(critical_copy)]) == EXIT_FAILURES
    assert f"changed: {path}: {item} changed after the sign-off" in capsys.readouterr().out


def test_verify_names_the_findings_when_the_report_is_rewritten_with_fewer(
    critical_copy: Path,
) -> None:
    """A report edited to drop its findings, with its digest recomputed to match, still
    fails: its files changed, and the findings signed are not the report's."""
    sign_off(critical_copy, name="Dana", role="CX lead", accept="known")
    path = critical_copy / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    report["findings"] = []
    report["digest"] = content_digest(report)
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    problems = verify(critical_copy).problems
    assert f"{path}: changed after the sign-off" in problems
    assert f"{path}: its content no longer matches the signed digest" in problems
    signed = critical_copy / SIGNOFF_FILE
    assert any(p.startswith(f"{signed}: findings signed is not the report's") for p in problems)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action") and value:
                self.links.append(value)
            if name == "style" and value:
                self.styles.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def test_the_html_report_is_self_contained_with_charts_signoff_and_digest(
    folder: Path,
) -> None:
    page = _Page()
    page.feed((folder / "report.html").read_text(encoding="utf-8"))
    page.close()
    assert page.tags.count("svg") == 5  # counts, first reply, resolution, breach rate, rules
    assert page.tags.count("rect") > 10
    assert "script" not in page.tags
    assert not [link for link in page.links if re.match(r"(?i)\s*(https?:)?//", link)]
    css = " ".join(page.styles)
    assert not re.search(r"(?i)url\(\s*['\"]?\s*(https?:)?//", css)
    assert "@import" not in css
    assert "@media print" in css
    text = " ".join(page.text)
    assert "Prepared by" in text
    assert "Migration team" in text
    assert "Approved by" in text
    assert "Role" in text
    digest = (folder / "report.json").read_text(encoding="utf-8").split('"digest": "')[1][:64]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest in text
