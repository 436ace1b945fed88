"""The verdict tells the whole truth: "clean" only when nothing was found and every check ran.

What reconciliation did not prove goes into one of two lists: *not verified* (a check that did
not run: it blocks "clean", and the verdict line names it) and *not held by the target as the
source had it* (what the target platform cannot hold or keeps elsewhere: visible, with the
records concerned and the field ledger's page, but no bar to "clean"). A small Zendesk →
Zendesk migration on a manual clock is reconciled in full and with a sample; the command
line's demo ends with the verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.cli import EXIT_OK, main
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.reconcile.coverage import NotHeld, NotRun, sort_out, verdict
from cemigrate.sandbox.zendesk import ZendeskSandbox

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")

TICKETS = 30


def test_clean_only_with_no_finding_and_every_check_run() -> None:
    none = {"critical": 0, "major": 0, "minor": 0}
    assert verdict(none, []) == "clean: no finding"
    sla = {"check": "sla.history", "what": "SLA history on the target"}
    ids = {"check": "records.external_ids", "what": "extra and duplicate records"}
    assert verdict(none, [sla, ids]) == (
        "incomplete: no finding, 2 checks not run "
        "(SLA history on the target; extra and duplicate records)"
    )
    assert (
        verdict(none, [ids])
        == "incomplete: no finding, 1 check not run (extra and duplicate records)"
    )
    assert verdict({**none, "critical": 1, "minor": 2}, [sla]) == (
        "not ready: critical findings; 1 check not run (SLA history on the target)"
    )
    assert verdict({**none, "major": 3}, []) == "review needed: major findings"
    assert verdict({**none, "minor": 1}, []) == "acceptable: minor findings only"


def test_each_item_goes_to_its_list_and_unknown_text_counts_as_not_run() -> None:
    lists = sort_out(
        [
            NotRun(check="rules.states", what="rule states on the target", why="not reported"),
            NotHeld(
                kind="user", what="attributes", records=4, why="matched", platform="salesforce"
            ),
            "counts: the independent count was not taken",
        ]
    )
    assert lists["not_verified"] == [
        {"check": "rules.states", "what": "rule states on the target", "why": "not reported"},
        {"check": "other", "what": "counts", "why": "the independent count was not taken"},
    ]
    assert lists["not_held"] == [
        {
            "kind": "user",
            "what": "attributes",
            "records": 4,
            "why": "matched",
            "field_ledger": "docs/salesforce.md#field-ledger",
        }
    ]


Reconcile = Callable[..., ReconcileReport]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reconcile]:
    """A small Zendesk → Zendesk migration on a manual clock; reconciles it on each call."""
    clock = ManualClock()
    old = ZendeskSandbox(tickets=TICKETS, seed=4, instance="emea", clock=clock)
    new = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    for held in new.backend.rules.values():  # a new account: none of the source's rules
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
    with Ledger.open(tmp_path_factory.mktemp("verdict") / "ledger.sqlite") as ledger:
        Migration(sources=[source(old, "emea")], target=target, ledger=ledger, progress=False).run()

        def reconcile(**options: Any) -> ReconcileReport:
            clock.advance(120)
            return Reconciliation(
                sources=[source(old, "emea")],
                target_view=source(new, "target"),
                ledger=ledger,
                target=target,
            ).run(**options)

        yield reconcile


def test_a_full_reconciliation_is_clean_and_still_lists_what_the_target_does_not_hold(
    migrated: Reconcile, tmp_path: Path
) -> None:
    result = migrated()
    result.write(tmp_path / "report")
    assert result.clean
    report = result.as_dict()
    summary = report["summary"]
    assert (summary["verdict"], summary["clean"], summary["not_run"]) == (
        "clean: no finding",
        True,
        [],
    )
    assert report["not_verified"] == []
    held = report["not_held"]
    by_kind = {(item["kind"], item["what"]): item for item in held}
    # Agents are matched by e-mail to the seats the target account already had.
    matched = by_kind["user", "attributes"]
    assert matched["records"] > 0
    assert "matched to (or merged into) a record the target already held" in matched["why"]
    assert matched["field_ledger"] == "docs/zendesk.md#field-ledger"
    # Rules are accounted for in the Rules section, not read back as records.
    assert "the Rules section accounts for each one" in by_kind["rule", "records"]["why"]
    # Attributes the Zendesk profile does not keep, with the records they concern.
    created = [item for item in held if "created_at" in item["what"]]
    assert created
    assert all(item["records"] > 0 for item in created)
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert md.splitlines()[2].startswith("**Verdict: clean: no finding**")
    assert "## Not verified\n\nChecks that did not run." in md
    assert "- nothing" in md.split("## Not verified")[1].split("##")[0]
    assert "## Not held by the target as the source had it" in md
    assert "docs/zendesk.md#field-ledger" in md
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert '<div class="verdict verdict-clean" id="verdict">' in page
    assert "<p>Nothing: every check ran.</p>" in page


def test_a_sampled_reconciliation_is_incomplete_and_names_the_tickets_left_out(
    migrated: Reconcile, tmp_path: Path
) -> None:
    result = migrated(sample=5)
    result.write(tmp_path / "report")
    assert not result.clean
    report = result.as_dict()
    left_out = TICKETS - 1 - 5  # one ticket is deleted in the source, skipped by a policy
    named = f"{left_out} tickets outside the sample"
    expected = f"incomplete: no finding, 1 check not run ({named})"
    summary = report["summary"]
    assert (summary["verdict"], summary["clean"], summary["not_run"]) == (
        expected,
        False,
        ["deep.sample"],
    )
    assert report["not_verified"] == [
        {
            "check": "deep.sample",
            "what": named,
            "why": f"a random sample of 5 of {TICKETS - 1} tickets (seed 0) was compared in "
            "depth; counts are exact",
        }
    ]
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8").splitlines()
    assert md[2].startswith(f"**Verdict: {expected}**")
    assert md[4] == f"Not verified: {named} (why: see Not verified below)."
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert '<div class="verdict verdict-incomplete" id="verdict">' in page
    assert f"<li>{named}</li>" in page


def test_the_demo_ends_with_the_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    args = ["--source", "zendesk", "--target", "zendesk", "--tickets", "20", "--no-progress"]
    assert main(["demo", *args, "--out", str(out)]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    report = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    assert lines[-1] == f"reconciliation: {report['summary']['verdict']}"
    assert lines[-2] == f"report: {out / 'report' / 'report.html'}"
