"""SLA history read back from every target: a small Zendesk desk migrated into Salesforce,
Freshdesk and Zendesk is reconciled with each ticket's first reply, resolution and breaches
compared against what the target stores; then one breach is taken away in the target, through
its API as an admin could, and the report names it with the ticket's source key and target id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.reconcile.sla_readback import NOT_HELD
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import Kind
from cemigrate.testing.accounts import EmulatedTarget, empty_target, zendesk_source

ROOT = Path(__file__).resolve().parents[2]
TICKETS, SEED = 30, 4


def _desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance="old")


@attrs.define
class Run:
    clock: ManualClock
    made: EmulatedTarget
    ledger: Ledger
    name: str

    def reconcile(self) -> ReconcileReport:
        self.clock.advance(120)
        return Reconciliation(
            sources=[zendesk_source(self.clock, tickets=TICKETS, seed=SEED)],
            target_view=self.made.view(),
            ledger=self.ledger,
            target=self.made.target,
            mapping=load_mapping(ROOT / "mappings" / f"{self.name}.toml"),
        ).run()

    def ticket_key(self, target_id: str) -> str:
        for entry in self.ledger.entries(kind=Kind.TICKET.value, state=EntryState.DONE):
            if entry.target_id == target_id:
                return entry.key
        raise AssertionError(f"no ticket maps to {target_id}")


def _migrate(name: str, ledger: Ledger) -> Run:
    clock = ManualClock()
    made = empty_target(name.split("-to-")[1], clock, _desk())
    report = Migration(
        sources=[zendesk_source(clock, tickets=TICKETS, seed=SEED)],
        target=made.target,
        ledger=ledger,
        mapping=load_mapping(ROOT / "mappings" / f"{name}.toml"),
        progress=False,
    ).run()
    assert report.status == "completed"
    assert report.failed == 0
    return Run(clock, made, ledger, name)


def _clean_and_read_back(run: Run) -> ReconcileReport:
    """A clean migration: every ticket's SLA history compared, distributions and KPI medians
    on the target side read back (no missing value), no finding."""
    report = run.reconcile()
    assert [f.message for f in report.findings] == []
    data = report.as_dict()
    done = data["counts"]["ticket"]["done"]
    sla = data["sla"]
    assert sla["verifiable"] is True
    assert sla["tickets_compared"] == done > 0
    for row in sla["by_policy_and_priority"]:
        assert row["target"] == row["source"], row
    assert sla["histograms"]["first_reply"]["target"] == sla["histograms"]["first_reply"]["source"]
    kpi = {row["kpi"]: row for row in data["kpi"]}
    for name in ("median first reply (min)", "median resolution (min)"):
        assert kpi[name]["target"] == kpi[name]["source"] is not None, name
    rating = kpi["satisfaction: good share"]
    # The Zendesk source has ratings; no target here holds them: a stated loss, not a gap.
    assert isinstance(rating["source"], float)
    assert rating["target"] == NOT_HELD
    assert rating["ratings"]["source"] > 0
    assert "not carried over" in rating["loss"]
    assert "n/a" not in _sla_and_kpi_markdown(report)
    return report


def _sla_and_kpi_markdown(report: ReconcileReport) -> str:
    text = report.markdown()
    sla = text.split("## SLA history", 1)[1].split("## Access", 1)[0]
    kpi = text.split("## KPI continuity", 1)[1].split("\n## ", 1)[0]
    return sla + kpi


def _named(report: ReconcileReport) -> list[tuple[str, str, str | None, str | None]]:
    return sorted((f.severity.value, f.check, f.source_key, f.target_id) for f in report.findings)


def test_salesforce_sla_history_is_read_back_and_a_deleted_breach_is_named() -> None:
    with Ledger.open(":memory:") as ledger:
        run = _migrate("zendesk-to-salesforce", ledger)
        clean = _clean_and_read_back(run)
        counts = clean.as_dict()["counts"]
        for kind in ("sla_event", "ticket_metrics"):  # held as records: counted in the target
            assert counts[kind]["target"] == counts[kind]["done"] > 0, kind
        # An admin deletes one breach row of the SLA history object.
        admin, api = run.made.admin(), run.made.api
        rows = admin.get(
            f"{api}/query",
            params={
                "q": "SELECT Id, Case__c FROM Cemigrate_Sla_Event__c WHERE Kind__c = 'breach'"
                " ORDER BY Id"
            },
        ).json()["records"]
        breach = rows[0]
        answer = admin.delete(f"{api}/sobjects/Cemigrate_Sla_Event__c/{breach['Id']}")
        assert answer.status_code == 204, answer.text
        event_key = next(
            e.key
            for e in ledger.entries(kind=Kind.SLA_EVENT.value, state=EntryState.DONE)
            if e.target_id == breach["Id"]
        )
        case_id = breach["Case__c"]
        report = run.reconcile()
        assert _named(report) == [
            ("critical", "record.missing", event_key, breach["Id"]),
            ("major", "count.independent", None, None),
            ("major", "sla.breach_missing", run.ticket_key(case_id), case_id),
        ]
        lost = next(f for f in report.findings if f.check == "sla.breach_missing")
        assert lost.message.endswith("in the target")
        # The org's own count of the SLA history object says one row fewer than the ledger.
        done = counts["sla_event"]["done"]
        counted = next(f for f in report.findings if f.check == "count.independent")
        assert counted.kind == "sla_event"
        assert counted.message.startswith(
            f"target: the platform counts {done - 1:,} sla_event records carrying this "
            "migration's keys (SELECT COUNT() FROM Cemigrate_Sla_Event__c WHERE"
        )
        assert f"the ledger maps this migration's done entries to {done:,}" in counted.message


def _breach_field(ticket: dict[str, Any], fields: dict[str, Any]) -> tuple[str, int] | None:
    """The ticket's stored breach count (field key and value) when it is 1 or more."""
    for key, value in fields.items():
        if key.removeprefix("cf_").startswith("cemigrate_sla_breaches") and (value or 0) >= 1:
            return key, int(value)
    return None


def test_freshdesk_stored_breaches_are_read_back_and_a_lowered_count_is_named() -> None:
    with Ledger.open(":memory:") as ledger:
        run = _migrate("zendesk-to-freshdesk", ledger)
        _clean_and_read_back(run)
        admin, api = run.made.admin(), run.made.api
        tickets = admin.get(
            f"{api}/tickets", params={"updated_since": "2000-01-01T00:00:00Z", "per_page": 100}
        ).json()
        ticket, (key, value) = next(
            (t, found) for t in tickets if (found := _breach_field(t, t["custom_fields"]))
        )
        # An admin edits the stored original: one breach fewer.
        answer = admin.put(
            f"{api}/tickets/{ticket['id']}", json={"custom_fields": {key: value - 1}}
        )
        assert answer.status_code == 200, answer.text
        report = run.reconcile()
        target_id = str(ticket["id"])
        assert _named(report) == [
            ("major", "sla.breach_missing", run.ticket_key(target_id), target_id)
        ]
        assert report.findings[0].message == (
            f"{value} SLA breach(es) in the source, {value - 1} in the target"
        )


def test_zendesk_stored_breaches_are_read_back_and_a_lowered_count_is_named() -> None:
    with Ledger.open(":memory:") as ledger:
        run = _migrate("zendesk-to-zendesk", ledger)
        _clean_and_read_back(run)
        admin, api = run.made.admin(), run.made.api
        fields = admin.get(f"{api}/ticket_fields").json()["ticket_fields"]
        field_id = next(f["id"] for f in fields if f["title"] == "Cemigrate SLA breaches")
        tickets = admin.get(f"{api}/tickets").json()["tickets"]
        ticket, value = next(
            (t, v["value"])
            for t in tickets
            for v in t["custom_fields"]
            if v["id"] == field_id and (v["value"] or 0) >= 1
        )
        answer = admin.put(
            f"{api}/tickets/{ticket['id']}",
            json={"ticket": {"custom_fields": [{"id": field_id, "value": value - 1}]}},
        )
        assert answer.status_code == 200, answer.text
        report = run.reconcile()
        target_id = str(ticket["id"])
        assert _named(report) == [
            ("major", "sla.breach_missing", run.ticket_key(target_id), target_id)
        ]
        assert report.findings[0].message == (
            f"{value} SLA breach(es) in the source, {value - 1} in the target"
        )
