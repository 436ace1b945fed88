"""Every target reports the source keys it holds, so reconciliation names each duplicate and
each record the ledger does not know, with source and target ids: a second Case for one
ticket on Salesforce, an extra Freshdesk ticket carrying a migration key, a source instance
renamed and migrated again, and a ticket changed in the target behind the ledger's back."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs
import pytest

from cemigrate.adapters import Batch, Source, Target, registry
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind
from cemigrate.testing.accounts import empty_target

ROOT = Path(__file__).resolve().parents[2]
TICKETS, SEED = 12, 4


@dataclass
class Desk:
    """A small Zendesk desk migrated into one target, and how to read both again."""

    clock: ManualClock
    source_account: ZendeskSandbox
    target: Target
    view: Callable[[], Source]
    ledger: Ledger
    mapping: Path
    account: Any
    """The target's emulated account (its backend is where defects are injected)."""
    source_class: type[ZendeskSource] = ZendeskSource

    def source(self, instance: str = "old") -> ZendeskSource:
        return self.source_class(
            instance=instance,
            base_url=self.source_account.base_url,
            credentials=ZendeskCredentials(
                email=self.source_account.email, token=self.source_account.token
            ),
            session=self.source_account.session(authenticated=False),
            clock=self.clock,
        )

    def migrate(self, instance: str = "old", *, repoint: bool = False) -> None:
        report = Migration(
            sources=[self.source(instance)],
            target=self.target,
            ledger=self.ledger,
            mapping=load_mapping(self.mapping),
            progress=False,
            repoint=repoint,
        ).run()
        assert report.status == "completed"
        assert report.failed == 0

    def reconcile(self, instance: str = "old") -> ReconcileReport:
        self.clock.advance(120)
        return Reconciliation(
            sources=[self.source(instance)],
            target_view=self.view(),
            ledger=self.ledger,
            target=self.target,
            mapping=load_mapping(self.mapping),
        ).run()

    def target_id(self, kind: str, source_id: str, instance: str = "old") -> str:
        key = f"{instance}:{kind}:{source_id}"
        entry = self.ledger.lookup([key])[key]
        assert entry.state is EntryState.DONE
        assert entry.target_id is not None
        return entry.target_id

    def done_ticket(self) -> str:
        """The source id of the first ticket carried over."""
        entry = next(self.ledger.entries(kind="ticket", state=EntryState.DONE))
        return entry.source_id


def _source_account(clock: ManualClock) -> ZendeskSandbox:
    account = ZendeskSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, subdomain="old"
    )
    clock.advance(120)
    return account


def _desk(platform: str) -> Iterator[Desk]:
    clock = ManualClock()
    source = _source_account(clock)
    made = empty_target(platform, clock, generate(tickets=TICKETS, seed=SEED, instance="old"))
    with Ledger.open(":memory:") as ledger:
        desk = Desk(
            clock,
            source,
            made.target,
            made.view,
            ledger,
            ROOT / "mappings" / f"zendesk-to-{platform}.toml",
            made.account,
        )
        desk.migrate()
        yield desk


@pytest.fixture
def salesforce() -> Iterator[Desk]:
    yield from _desk("salesforce")


@pytest.fixture
def freshdesk() -> Iterator[Desk]:
    yield from _desk("freshdesk")


def _named(report: ReconcileReport) -> list[tuple[str, str, str | None, str | None]]:
    return [(f.severity.value, f.check, f.source_key, f.target_id) for f in report.findings]


def test_a_clean_migration_into_salesforce_verifies_duplicates_and_extras(
    salesforce: Desk,
) -> None:
    report = salesforce.reconcile()
    assert _named(report) == []
    summary = report.as_dict()["summary"]
    assert summary["not_run"] == []  # records.external_ids among them when ids are not read
    assert summary["verdict"] == "clean: no finding"


def test_a_second_case_for_one_ticket_is_a_critical_duplicate(salesforce: Desk) -> None:
    source_id = salesforce.done_ticket()
    case_id = salesforce.target_id("ticket", source_id)
    backend = salesforce.account.backend
    row = copy.deepcopy(backend.rows["Case"][case_id])
    # prepare makes Cemigrate_Id__c unique, but leaves a field that exists alone: in an org
    # where an admin made it by hand without "unique", a copy of a Case keeps the key.
    copy_id = backend.put("Case", {k: v for k, v in row.items() if k not in ("Id", "CaseNumber")})
    report = salesforce.reconcile()
    key = f"old:ticket:{source_id}"
    assert ("critical", "record.duplicate", key, copy_id) in _named(report)
    duplicate = next(f for f in report.findings if f.check == "record.duplicate")
    assert f"the ledger maps it to {case_id}" in duplicate.message
    assert report.as_dict()["summary"]["verdict"].startswith("not ready")


def test_a_clean_migration_into_freshdesk_verifies_duplicates_and_extras(freshdesk: Desk) -> None:
    report = freshdesk.reconcile()
    assert _named(report) == []
    summary = report.as_dict()["summary"]
    assert summary["not_run"] == []  # records.external_ids among them when ids are not read
    assert summary["verdict"] == "clean: no finding"


def test_an_extra_freshdesk_ticket_with_an_unknown_migration_key_is_named(
    freshdesk: Desk,
) -> None:
    account = freshdesk.account
    session = account.session()
    fields = session.get(f"{account.base_url}/api/v2/ticket_fields").json()
    name = next(f["name"] for f in fields if f["name"].startswith("cf_cemigrate_id"))
    key = "old:ticket:999999"  # never read from the source, never in the ledger
    created = session.post(
        f"{account.base_url}/api/v2/tickets",
        json={
            "email": "someone@example.com",
            "subject": "made by hand",
            "description": "not from the migration",
            "status": 2,
            "priority": 1,
            "custom_fields": {name: key},
        },
    )
    assert created.status_code == 201, created.text
    report = freshdesk.reconcile()
    assert ("major", "record.extra", key, str(created.json()["id"])) in _named(report)
    extra = next(f for f in report.findings if f.check == "record.extra")
    assert extra.source_id == "999999"
    assert report.as_dict()["summary"]["verdict"] != "clean: no finding"


def test_a_renamed_instance_migrated_again_is_named_duplicate_by_duplicate(
    salesforce: Desk,
) -> None:
    salesforce.migrate("renamed", repoint=True)  # the same account under another name
    report = salesforce.reconcile("renamed")
    source_id = salesforce.done_ticket()
    first = salesforce.target_id("ticket", source_id, "old")
    second = salesforce.target_id("ticket", source_id, "renamed")
    assert first != second
    named = _named(report)
    assert ("critical", "record.duplicate_instance", f"renamed:ticket:{source_id}", first) in named
    duplicate = next(
        f
        for f in report.findings
        if f.check == "record.duplicate_instance" and f.target_id == first
    )
    assert f"old:ticket:{source_id} → {first}" in duplicate.message
    assert f"renamed:ticket:{source_id} → {second}" in duplicate.message
    tickets = [f for f in report.findings if f.kind == "ticket"]
    assert sum(f.check == "record.duplicate_instance" for f in tickets) == TICKETS
    counts = report.as_dict()["counts"]["ticket"]
    assert (counts["source"], counts["done"]) == (TICKETS, 2 * TICKETS)
    above = next(f for f in tickets if f.check == "count.done_above_source")
    assert f"the ledger says {2 * TICKETS} ticket done, the source has {TICKETS}" in above.message
    assert "'old' is source 'renamed'" in above.message
    assert any(f.check == "count.target_above_source" for f in tickets)
    # The old instance's tickets were not read this time (the source is given as 'renamed'):
    # they are not compared in depth, and the verdict says so after the critical findings.
    assert report.as_dict()["summary"]["verdict"] == (
        f"not ready: critical findings; 1 check not run ({TICKETS} tickets not compared in depth)"
    )


def test_a_case_changed_behind_the_ledgers_back_is_named(salesforce: Desk) -> None:
    # The deep comparison reads every Case back: a priority changed in the org after the run
    # (the ledger still says done, as written) is named with its ticket and Case.
    source_id = salesforce.done_ticket()
    case_id = salesforce.target_id("ticket", source_id)
    backend = salesforce.account.backend
    was = backend.rows["Case"][case_id]["Priority"]
    backend.update("Case", case_id, {"Priority": "Low" if was != "Low" else "High"})
    report = salesforce.reconcile()
    assert _named(report) == [("major", "ticket.priority", f"old:ticket:{source_id}", case_id)]
    assert report.as_dict()["summary"]["verdict"] != "clean: no finding"


# -- independent counts -------------------------------------------------------------------


def test_a_clean_migration_is_counted_on_both_sides_by_the_platforms(salesforce: Desk) -> None:
    report = salesforce.reconcile()
    data = report.as_dict()
    ticket = data["counts"]["ticket"]
    assert (ticket["counted_source"], ticket["counted_target"]) == (TICKETS, TICKETS)
    assert data["counts"]["sla_event"]["counted_target"] == data["counts"]["sla_event"]["done"]
    independent = data["independent_counts"]
    assert independent["source"]["ticket"]["how"] == "GET /api/v2/tickets/count"
    assert independent["target"]["ticket"]["how"] == (
        "SELECT COUNT() FROM Case WHERE Cemigrate_Id__c LIKE 'old:ticket:%'"
    )
    assert any(
        "brand" in line and "no count endpoint" in line for line in independent["not_counted"]
    )
    # Counting is in the estimate: one call per kind Zendesk counts, beside the reading.
    per_kind = {k: sum(v.values()) for k, v in salesforce.ledger.counts().items()}
    per_kind.setdefault("satisfaction_rating", TICKETS)  # read for the KPI, none carried over
    reading = registry.platform("zendesk").read_cost(per_kind)["zendesk.core"]
    assert data["cost"]["estimate"]["calls"]["old.zendesk.core"] == reading + 4
    # Every budget the run spent was estimated, under the name the calls spend it on.
    assert set(data["cost"]["calls"]) <= set(data["cost"]["estimate"]["calls"])
    assert "target.salesforce.daily" in data["cost"]["calls"]


class _Losing(ZendeskSource):
    """A source whose reading loses one ticket (a converter or paging bug)."""

    lost = ""

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        for batch in super().read(kind, cursor):
            if kind is Kind.TICKET:
                batch = attrs.evolve(
                    batch, records=tuple(r for r in batch.records if r.id != self.lost)
                )
            yield batch


def test_a_reader_that_loses_a_ticket_is_caught_by_the_platforms_count(
    salesforce: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost = salesforce.done_ticket()
    monkeypatch.setattr(_Losing, "lost", lost)
    monkeypatch.setattr(salesforce, "source_class", _Losing)
    report = salesforce.reconcile()
    counted = [f for f in report.findings if f.check == "count.independent"]
    assert [(f.severity.value, f.kind) for f in counted] == [("major", "ticket")]
    assert counted[0].message.startswith(
        f"source 'old': the platform counts {TICKETS} ticket (GET /api/v2/tickets/count), "
        f"the comparison read {TICKETS - 1}, the ledger accounts for {TICKETS}"
    )
    assert report.as_dict()["summary"]["verdict"] != "clean: no finding"


def test_a_target_view_that_loses_a_case_disagrees_with_the_orgs_count(salesforce: Desk) -> None:
    source_id = salesforce.done_ticket()
    case_id = salesforce.target_id("ticket", source_id)
    make_view = salesforce.view

    def losing_view() -> Source:
        view = make_view()
        read = view.read

        def read_losing(kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
            for batch in read(kind, cursor):
                if kind is Kind.TICKET:
                    batch = attrs.evolve(
                        batch, records=tuple(r for r in batch.records if r.id != case_id)
                    )
                yield batch

        view.read = read_losing  # type: ignore[method-assign]
        return view

    salesforce.view = losing_view
    report = salesforce.reconcile()
    named = _named(report)
    assert ("critical", "record.missing", f"old:ticket:{source_id}", case_id) in named
    counted = next(f for f in report.findings if f.check == "count.independent")
    assert counted.kind == "ticket"
    assert counted.message == (
        f"target: the platform counts {TICKETS} ticket records carrying this migration's keys "
        "(SELECT COUNT() FROM Case WHERE Cemigrate_Id__c LIKE 'old:ticket:%'), the ledger maps "
        f"this migration's done entries to {TICKETS}, the comparison read {TICKETS - 1}"
    )


def test_an_email_moved_to_another_case_is_named_with_both_cases(salesforce: Desk) -> None:
    backend = salesforce.account.backend
    emails = [r for r in backend.table("EmailMessage") if r.get("Cemigrate_Id__c")]
    email = emails[0]
    home = str(email["ParentId"])
    other = next(str(r["Id"]) for r in backend.table("Case") if str(r["Id"]) != home)
    backend.rows["EmailMessage"][email["Id"]]["ParentId"] = other
    report = salesforce.reconcile()
    ticket_key = str(email["Cemigrate_Id__c"]).split(":comment:")[0]
    moved = next(f for f in report.findings if f.check == "comment.elsewhere")
    assert (moved.source_key, moved.target_id) == (ticket_key, other)
    assert f"the ledger maps its ticket to {home}" in moved.message


# -- the counts table's target column ---------------------------------------------------------


def _row(markdown: str, kind: str) -> list[str]:
    """The counts table's cells for ``kind`` in ``report.md``."""
    table = markdown.split("## Counts per kind", 1)[1].split("\n\n", 2)[1]
    line = next(x for x in table.splitlines() if x.startswith(f"| {kind} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_kinds_a_salesforce_target_keeps_elsewhere_say_where_not_n_a(salesforce: Desk) -> None:
    report = salesforce.reconcile()
    data = report.as_dict()
    markdown = report.markdown()
    assert "n/a" not in markdown
    # kind, source, target, done, failed, skipped, pending, missing, platform count
    assert _row(markdown, "brand")[2] == "as labels"  # a Case text field per ticket
    assert data["counts"]["brand"]["target"] is None  # no number made up
    rules = data["rules"]["counts"]
    assert _row(markdown, "rule")[2] == str(rules["active"] + rules["inactive"]) != "0"
    assert _row(markdown, "ticket")[1:3] == [str(TICKETS), str(TICKETS)]
    assert _row(markdown, "ticket")[8] == f"{TICKETS} / {TICKETS}"  # source / target
    assert _row(markdown, "ticket_form")[8] == "— / —"  # neither platform counts forms
    assert "## Counted by the platforms" in markdown
    assert "- Counted in the source, ticket (account): GET /api/v2/tickets/count" in markdown
    kpi = next(r for r in data["kpi"] if r["kpi"] == "satisfaction: good share")
    shown = next(x for x in markdown.splitlines() if x.startswith("| satisfaction: good share"))
    assert isinstance(kpi["source"], float)
    assert f"| {kpi['source']:.1%} |" in shown


def test_sla_history_a_freshdesk_target_keeps_in_tickets_is_said_so(freshdesk: Desk) -> None:
    report = freshdesk.reconcile()
    markdown = report.markdown()
    assert _row(markdown, "sla_event")[2] == "in tickets"
    assert _row(markdown, "ticket_metrics")[2] == "in tickets"
    assert "n/a" not in markdown
