"""Sign-off and verify, and the HTML report a manager opens from disk and prints.

A small Zendesk → Zendesk migration is reconciled once; each test copies its report folder,
so an edit in one test never reaches another.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.cli import main
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger, Outcome
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation, sign_off, verify
from cemigrate.sandbox.zendesk import ZendeskSandbox

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A reconciled report's folder and the ledger file it was made from."""
    folder = tmp_path_factory.mktemp("report")
    ledger_path = folder.parent / "ledger.sqlite"
    clock = ManualClock()
    old = ZendeskSandbox(tickets=40, seed=5, instance="emea", clock=clock)
    new = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
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
