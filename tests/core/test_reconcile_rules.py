"""Reconciliation accounts for every business rule: translated, partial (what is missing) or
not translated (why), whether it arrived, and that nothing is active in the target unless the
activation step switched it on.

A Zendesk account's rules are migrated into an emulated Freshdesk account; the target's rules
are then changed through the emulator's own API, the way an admin (or a later script) would,
and the report must name the rule by its source key, target id and title.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.copier import Migration
from cemigrate.copier.activate import activate
from cemigrate.copier.report import KindTally
from cemigrate.ledger import EntryState, Ledger, Outcome, PendingEntry
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Area, ReconcileReport, Reconciliation, sign_off, verify
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.schema import Kind, Rule
from cemigrate.testing.accounts import SEED, TICKETS, zendesk_source

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # one migration of the demo account, then five reconciliations

MAPPING = ROOT / "mappings" / "zendesk-to-freshdesk.toml"
RULE_TYPES = ("1", "3", "4")


@dataclass
class Migrated:
    clock: ManualClock
    account: FreshdeskSandbox
    target: FreshdeskTarget
    ledger: Ledger
    rules: list[Rule]
    """The source account's rules, as read before the migration."""
    tally: KindTally
    """The migration's own count of rules created, skipped and failed."""

    def reconcile(self) -> ReconcileReport:
        """Read both accounts afresh, as ``cemigrate reconcile`` does, and compare."""
        self.clock.advance(120)
        view = FreshdeskSource(
            instance="target",
            base_url=self.account.base_url,
            credentials=FreshdeskCredentials(api_key=self.account.api_key),
            session=self.account.session(authenticated=False),
            clock=self.clock,
            target_view=True,  # as build_target_view makes it: the SLA history is read back
        )
        return Reconciliation(
            sources=[zendesk_source(self.clock)],
            target_view=view,
            ledger=self.ledger,
            target=self.target,
            mapping=load_mapping(MAPPING),
        ).run()

    def api(self) -> requests.Session:
        """The target account's API, as an admin reaches it (not through cemigrate)."""
        return self.account.session()

    def target_rules(self) -> dict[str, dict[str, Any]]:
        """Every automation rule the target holds, by cemigrate's target id, read via its API."""
        held = {}
        for kind in RULE_TYPES:
            url = f"{self.account.base_url}/api/v2/automations/{kind}/rules"
            answer = self.api().get(url)
            answer.raise_for_status()
            for rule in answer.json():
                held[f"automations/{kind}/{rule['id']}"] = rule
        return held


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    account = FreshdeskSandbox(tickets=0, empty=True, clock=clock, domain="new.freshdesk.com")
    # Agents are paid seats and ticket types an admin's setting: both exist before a migration.
    account.add_seats(generate(tickets=TICKETS, seed=SEED, instance="old"))
    target = FreshdeskTarget(
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=clock,
    )
    source = zendesk_source(clock)
    rules = [r for batch in source.read(Kind.RULE) for r in batch.records if isinstance(r, Rule)]
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[zendesk_source(clock)],
            target=target,
            ledger=ledger,
            mapping=load_mapping(MAPPING),
            progress=False,
        ).run()
        assert report.status == "completed"
        yield Migrated(clock, account, target, ledger, rules, report.kinds[Kind.RULE.value])


@pytest.fixture
def held(migrated: Migrated) -> Iterator[dict[int, dict[int, Any]]]:
    """The target's automation rules, put back as they were after each test."""
    automations = migrated.account.backend.automations
    saved = copy.deepcopy(automations)
    yield automations
    automations.clear()
    automations.update(saved)


def _rules_findings(report: ReconcileReport) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (f.severity.value, f.check, f.source_key, f.target_id)
        for f in report.findings
        if f.area is Area.RULES
    ]


def _written(report: ReconcileReport) -> list[dict[str, Any]]:
    items = report.as_dict()["rules"]["items"]
    return [i for i in items if i["kind"] == "rule" and i["outcome"] == "written"]


def _pick(report: ReconcileReport, rule_type: str) -> dict[str, Any]:
    """A written rule of Freshdesk automation type ``rule_type``."""
    return next(
        i for i in _written(report) if i["target_id"].startswith(f"automations/{rule_type}/")
    )


def test_every_source_rule_is_accounted_for_and_none_is_active(
    migrated: Migrated, held: Any, tmp_path: Path
) -> None:
    report = migrated.reconcile()
    assert _rules_findings(report) == []
    section = report.as_dict()["rules"]
    items = [i for i in section["items"] if i["kind"] == "rule"]
    # Every source rule once, by its source key and title.
    assert sorted((i["id"], i["title"]) for i in items) == sorted(
        (r.id, r.title) for r in migrated.rules
    )
    counts = section["counts"]
    assert counts["total"] == len(migrated.rules) > 0
    assert counts["translated"] + counts["partial"] + counts["untranslated"] == counts["total"]
    assert counts["partial"] > 0
    assert counts["untranslated"] > 0
    # What the migration itself counted.
    assert counts["written"] == migrated.tally.created == counts["translated"] + counts["partial"]
    assert counts["skipped"] == migrated.tally.skipped == counts["untranslated"]
    for item in items:
        if item["status"] == "untranslated":
            assert item["outcome"] == "skipped"
            assert item["reason"]
            assert item["policy"] == f"untranslatable-rule: {item['reason']}"
        else:
            assert item["outcome"] == "written"
        if item["status"] == "partial":
            assert item["missing"]
            assert all(g["reason"] for g in item["missing"])
        if item["status"] == "translated":
            assert item["missing"] == []
    # The target holds exactly the written rules, every one inactive, read through its API.
    target = migrated.target_rules()
    assert sorted(target) == sorted(i["target_id"] for i in _written(report))
    assert all(rule["active"] is False for rule in target.values())
    assert section["states_read"] is True
    assert counts["inactive"] == counts["written"]
    assert counts["active"] == 0
    assert "rules.states" not in report.as_dict()["summary"]["not_run"]
    skipped = report.as_dict()["skipped_by_policy"]
    assert skipped["rule: untranslatable-rule"] == counts["untranslated"]
    # The three files show it; the signed digest covers it.
    paths = report.write(tmp_path)
    partial = next(i for i in items if i["status"] == "partial")
    markdown = paths["report.md"].read_text(encoding="utf-8")
    assert "## Rules" in markdown
    assert partial["title"] in markdown
    assert partial["missing"][0]["reason"] in markdown
    page = paths["report.html"].read_text(encoding="utf-8")
    assert "<h2>Rules</h2>" in page
    assert "<svg" in page
    assert "<script" not in page
    # (A check that did not run on this target would make the report incomplete: accepted.)
    accept = None if report.clean else "; ".join(report.as_dict()["summary"]["not_run"])
    sign_off(tmp_path, name="Dana Reviewer", role="Head of Support", accept=accept)
    assert verify(tmp_path).ok
    data = json.loads(paths["report.json"].read_text(encoding="utf-8"))
    data["rules"]["items"][0]["state"] = "active"
    paths["report.json"].write_text(json.dumps(data), encoding="utf-8")
    assert not verify(tmp_path).ok


def test_a_rule_switched_on_by_hand_is_a_critical_finding(migrated: Migrated, held: Any) -> None:
    rule = _pick(migrated.reconcile(), "4")
    _, rule_type, rule_id = rule["target_id"].split("/")
    url = f"{migrated.account.base_url}/api/v2/automations/{rule_type}/rules/{rule_id}"
    migrated.api().put(url, json={"active": True}).raise_for_status()
    report = migrated.reconcile()
    assert _rules_findings(report) == [
        ("critical", "rule.active_not_activated", rule["source_key"], rule["target_id"])
    ]
    (finding,) = [f for f in report.findings if f.area is Area.RULES]
    assert rule["title"] in finding.message
    assert rule["id"] in finding.message
    assert "imported history" in finding.message
    assert report.as_dict()["summary"]["verdict"].startswith("not ready: critical findings")
    assert report.as_dict()["rules"]["counts"]["active"] == 1


def test_a_rule_deleted_in_the_target_is_named(migrated: Migrated, held: Any) -> None:
    rule = _pick(migrated.reconcile(), "1")
    _, rule_type, rule_id = rule["target_id"].split("/")
    url = f"{migrated.account.base_url}/api/v2/automations/{rule_type}/rules/{rule_id}"
    assert migrated.api().delete(url).status_code == 204
    report = migrated.reconcile()
    assert _rules_findings(report) == [
        ("major", "rule.missing", rule["source_key"], rule["target_id"])
    ]
    (finding,) = [f for f in report.findings if f.area is Area.RULES]
    assert rule["title"] in finding.message
    assert "no longer has it" in finding.message
    assert report.as_dict()["rules"]["counts"]["missing"] == 1


def test_a_translatable_rule_left_pending_is_named_as_lost(migrated: Migrated, held: Any) -> None:
    rule = _pick(migrated.reconcile(), "3")
    key = rule["source_key"]
    ledger = migrated.ledger
    (entry,) = [e for e in ledger.entries(kind="rule") if e.key == key]
    run = ledger.start_run("full", "")
    try:  # sent again, never confirmed: the ledger cannot say whether it arrived
        pending = PendingEntry(
            key=key,
            instance=entry.instance,
            kind=entry.kind,
            source_id=entry.source_id,
            content_hash=entry.content_hash or "",
        )
        ledger.mark_pending(run, [pending])
        report = migrated.reconcile()
    finally:
        done = Outcome(key=key, state=EntryState.DONE, action="found", target_id=entry.target_id)
        ledger.record_outcomes(run, [done])
        ledger.finish_run(run, "completed")
    assert _rules_findings(report) == [("major", "rule.lost", key, None)]
    assert [f.check for f in report.findings if f.source_key == key] == ["rule.lost"]
    (finding,) = [f for f in report.findings if f.source_key == key]
    assert rule["title"] in finding.message
    assert "pending" in finding.message


def test_a_rule_the_activation_step_switched_on_is_no_finding(
    migrated: Migrated, held: Any
) -> None:
    rule = _pick(migrated.reconcile(), "4")
    done = activate(migrated.target, migrated.ledger, only=[rule["source_key"]])
    assert done.run_id is not None
    assert migrated.target_rules()[rule["target_id"]]["active"] is True
    report = migrated.reconcile()
    assert _rules_findings(report) == []
    (item,) = [i for i in report.as_dict()["rules"]["items"] if i["target_id"] == rule["target_id"]]
    assert (item["state"], item["activated"]) == ("active", True)
    assert report.as_dict()["rules"]["counts"]["activated"] == 1
