"""``report.html`` as a manager opens it: in a real browser (headless Chromium), at the width of
an A4 page (794 CSS px), of a Letter page (816 px) and of an A4 page's printable area between
the report's print margins (703 px).

The report is a small Zendesk → Zendesk migration into an account that already held the
source's rules, active: reconciliation finds them switched on though the activation step did
not (critical), and the rules table is the report's widest. One finding is added with a long
unbroken value (a 240-character tag), the kind of text that pushes a table past the page.

The page must not scroll sideways, the verdict and the counts must sit on the first screen
(1123 px: an A4 page's height), with the critical findings, and the browser must load nothing
but the file itself. Chromium also prints the page to PDF once.

Chromium is Debian's ``chromium`` package; when it is missing and the test runs as root with
``apt-get``, the setup installs it once; otherwise the test is skipped, naming the command.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Finding, ReconcileReport, Reconciliation, Severity
from cemigrate.reconcile.findings import Area, Findings
from cemigrate.sandbox.zendesk import ZendeskSandbox

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
SCREEN: Final = 1123
"""An A4 page's height in CSS px: the first screen."""
INSTALL: Final = "apt-get install -y chromium"
_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_PROBE: Final = """<script>
window.addEventListener("load", function () {
  var root = document.documentElement;
  function bottom(selector) {
    var element = document.querySelector(selector);
    return element ? element.getBoundingClientRect().bottom + window.scrollY : -1;
  }
  var past = [];
  document.querySelectorAll("body *").forEach(function (element) {
    if (element.getBoundingClientRect().right > root.clientWidth + 0.5) {
      past.push(element.tagName.toLowerCase() + "." + element.className);
    }
  });
  var probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth,
    verdict: bottom("#verdict"),
    counts: bottom("#counts + table"),
    critical: bottom("#criticals"),
    past: past.slice(0, 20),
    resources: performance.getEntriesByType("resource").map(function (e) { return e.name; })
  });
  document.body.appendChild(probe);
});
</script>"""


def _chromium() -> str:
    """The browser's path; installed once with apt-get where that is possible, else a skip."""
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                INSTALL.split(),
                capture_output=True,
                timeout=300,
                check=False,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        for name in _NAMES:
            found = shutil.which(name)
            if found:
                return found
    pytest.skip(f"no headless Chromium on this machine; install it with `{INSTALL}` (as root)")


def _browse(browser: str, page: Path, width: int, profile: Path, *extra: str) -> str:
    ran = subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            f"--window-size={width},{SCREEN}",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    return ran.stdout


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report with critical findings, a long one, and the rules table."""
    clock = ManualClock()
    old = ZendeskSandbox(tickets=30, seed=5, instance="emea", clock=clock)
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
    with Ledger.open(":memory:") as ledger:
        Migration(sources=[source(old, "emea")], target=target, ledger=ledger, progress=False).run()
        clock.advance(120)
        found = Reconciliation(
            sources=[source(old, "emea")],
            target_view=source(new, "target"),
            ledger=ledger,
            target=target,
            prepared_by="Migration team",
        ).run()
    assert found.content["summary"]["by_severity"]["critical"] >= 1
    findings = Findings()
    for finding in found.findings:
        findings.add(finding)
    findings.add(
        Finding(
            severity=Severity.MINOR,
            area=Area.TICKET,
            check="ticket.tags",
            kind="ticket",
            message="tags: 1 missing in the target (" + "vip-institutional-" * 13 + "x)",
            source_key="emea:ticket:" + "9" * 40,
            source_id="9" * 40,
            target_id="8" * 40,
        )
    )
    data = {
        key: value
        for key, value in found.content.items()
        if key not in ("schema_version", "summary", "findings")
    }
    folder = tmp_path_factory.mktemp("browser") / "report"
    ReconcileReport.build(data, findings).write(folder)
    return folder


@pytest.fixture(scope="module")
def browser() -> str:
    return _chromium()


def _measure(browser: str, folder: Path, width: int, work: Path) -> dict[str, Any]:
    """The page's measurements at ``width``, written into the DOM by an inline script added
    to a copy of the page, and read from the DOM Chromium dumps."""
    page = work / f"probe-{width}.html"
    html = (folder / "report.html").read_text(encoding="utf-8")
    page.write_text(html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dumped = _browse(browser, page, width, work / f"profile-{width}", "--dump-dom")
    found = re.search(r'<pre id="probe">(.*?)</pre>', dumped, re.DOTALL)
    assert found, dumped[-2000:]
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    measured: dict[str, Any] = json.loads(text.replace("&amp;", "&"))
    return measured


def test_the_report_has_a_wide_rules_table_and_a_long_finding(report_folder: Path) -> None:
    html = (report_folder / "report.html").read_text(encoding="utf-8")
    assert '<table class="wide"><thead><tr><th>rule</th>' in html
    assert "vip-institutional-" * 13 in html


@pytest.mark.parametrize("width", [794, 816, 703])
def test_the_report_fits_the_page_width_and_the_first_screen_holds_verdict_and_counts(
    browser: str, report_folder: Path, tmp_path: Path, width: int
) -> None:
    measured = _measure(browser, report_folder, width, tmp_path)
    assert measured["scrollWidth"] <= measured["clientWidth"], measured["past"]
    assert measured["past"] == []
    assert 0 < measured["verdict"] <= SCREEN
    assert 0 < measured["counts"] <= SCREEN
    assert 0 < measured["critical"] <= SCREEN  # every critical finding (up to the cap)
    assert measured["resources"] == []  # nothing loaded but the page


def test_the_report_names_no_external_resource(report_folder: Path) -> None:
    html = (report_folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?i)\b(?:src|href|srcset|action)\s*=\s*["']?\s*(?:https?:)?//""", html)
    assert not re.search(r"(?i)url\(\s*['\"]?\s*(?:https?:)?//", html)
    assert "@import" not in html
    assert "<script" not in html


def test_the_report_prints_to_pdf(browser: str, report_folder: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    _browse(
        browser,
        report_folder / "report.html",
        794,
        tmp_path / "profile",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes, "no page box in the PDF"
    # Every page is one paper size (A4 595 x 842 pt or Letter 612 x 792 pt): nothing widened it.
    sizes = {(round(float(w)), round(float(h))) for w, h in boxes}
    assert len(sizes) == 1
    assert sizes <= {(595, 842), (596, 843), (612, 792)}
    assert 2 <= len(boxes) <= 30
