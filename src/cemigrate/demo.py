"""The demo: a generated exchange help desk moved between two emulated Zendesk accounts, then
reconciled (``report.html`` under the output folder).

Both accounts are in-process emulators sharing one simulated clock, so the demo runs in
seconds and can still say how long the same calls would take against real Enterprise rate
limits: the budgets wait on that clock exactly as they would wait on a real one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import attrs

from cemigrate.adapters.zendesk.client import Credentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.dataset import describe
from cemigrate.sandbox.zendesk import ZendeskSandbox

_PLAN = """\
# Written by `cemigrate demo`. The two Zendesk accounts were in-process emulators; this plan
# records the run (`cemigrate status` reads its ledger). Against real accounts, replace the
# base_url lines with `subdomain = "..."` and set the e-mail and token variables.
ledger = "ledger.sqlite"

[[source]]
name = "exchange"
platform = "zendesk"
base_url = "{source_url}"
email_env = "ZENDESK_SOURCE_EMAIL"
token_env = "ZENDESK_SOURCE_TOKEN"

[target]
platform = "zendesk"
base_url = "{target_url}"
email_env = "ZENDESK_TARGET_EMAIL"
token_env = "ZENDESK_TARGET_TOKEN"
"""


@attrs.frozen(kw_only=True)
class DemoResult:
    """What the demo did and where it left its files."""

    report: RunReport
    summary: dict[str, object]
    """The generated help desk's figures (counts, channel shares, median times)."""
    api_minutes: float
    """Simulated minutes the run's calls need under the accounts' rate limits."""
    journal_rows: int
    plan: Path
    ledger: Path
    findings: int
    """What reconciliation found (0: the target holds what the source held)."""
    report_html: Path
    """The reconciliation report a manager signs (``cemigrate signoff``)."""


def run_demo(
    out: Path, *, tickets: int = 2000, seed: int = 7, progress: bool | None = None
) -> DemoResult:
    """Migrate a generated help desk from one emulated Zendesk account into another."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    clock = ManualClock()
    old = ZendeskSandbox(
        tickets=tickets, seed=seed, instance="exchange", clock=clock, subdomain="exchange-old"
    )
    new = ZendeskSandbox(tickets=0, seed=seed + 1, instance="new", clock=clock, subdomain="new")
    clock.advance(120)  # Zendesk leaves the last minute of changes out of its exports
    credentials = Credentials(email="admin@demo.example", token="sandbox-token")
    source = ZendeskSource(
        instance="exchange",
        base_url=old.base_url,
        credentials=credentials,
        session=old.session(authenticated=False),
        clock=clock,
    )
    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=credentials,
        session=new.session(authenticated=False),
        clock=clock,
    )
    plan = out / "plan.toml"
    plan.write_text(_PLAN.format(source_url=old.base_url, target_url=new.base_url), "utf-8")
    ledger_path = out / "ledger.sqlite"
    started = clock.monotonic()
    with Ledger.open(ledger_path) as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=progress).run()
        rows = ledger.verify_journal()
        api_minutes = (clock.monotonic() - started) / 60
        clock.advance(120)  # the target's exports, too, leave out the last minute
        view = ZendeskSource(
            instance="target",
            base_url=new.base_url,
            credentials=credentials,
            session=new.session(authenticated=False),
            clock=clock,
        )
        reconciliation = Reconciliation(
            sources=[source], target_view=view, ledger=ledger, target=target
        )
        reconciled = reconciliation.run()
        written = reconciled.write(out / "report")
    return DemoResult(
        report=report,
        summary=describe(old.backend.desk),
        api_minutes=api_minutes,
        journal_rows=rows,
        plan=plan,
        ledger=ledger_path,
        findings=len(reconciled.findings),
        report_html=written["report.html"],
    )
