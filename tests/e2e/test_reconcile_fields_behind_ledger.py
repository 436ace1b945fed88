"""Field by field on every target: a clean migration leaves no attribute a target holds
"not compared", and a kept attribute changed in the target behind the ledger's back (a Case's
contact, a Zendesk ticket's assignee, a Freshdesk contact's phone) is named with the source
and target ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from cemigrate.adapters import Source
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import generate
from cemigrate.testing.accounts import empty_target

ROOT = Path(__file__).resolve().parents[2]
TICKETS, SEED = 30, 6


@attrs.define
class _Run:
    """A migration from a small Zendesk desk into one target, ready to reconcile again."""

    name: str
    account: Any
    """The target's emulator (to change a record behind the ledger's back)."""
    ledger: Ledger
    reconcile: Callable[[], ReconcileReport]


def _source(clock: ManualClock) -> Callable[[], Source]:
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.source import ZendeskSource
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    account = ZendeskSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, subdomain="old"
    )
    clock.advance(120)  # past the exports' last minute
    return lambda: ZendeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
    )


def _migrated(name: str, ledger: Ledger) -> _Run:
    clock = ManualClock()
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    made = empty_target(name, clock, desk)
    source = _source(clock)
    mapping = ROOT / "mappings" / f"zendesk-to-{name}.toml"
    report = Migration(
        sources=[source()],
        target=made.target,
        ledger=ledger,
        mapping=load_mapping(mapping),
        progress=False,
    ).run()
    assert report.status == "completed"
    assert report.failed == 0
    clock.advance(120)

    def reconcile() -> ReconcileReport:
        return Reconciliation(
            sources=[source()],
            target_view=made.view(),
            ledger=ledger,
            target=made.target,
            mapping=load_mapping(mapping),
        ).run()

    return _Run(name=name, account=made.account, ledger=ledger, reconcile=reconcile)


def _done(ledger: Ledger, kind: str) -> dict[str, str]:
    """Target id → source id of the kind's done entries."""
    return {
        e.target_id: e.source_id
        for e in ledger.entries(kind=kind, state=EntryState.DONE)
        if e.target_id is not None
    }


def _assert_clean_and_whole(run: _Run) -> ReconcileReport:
    """No finding, nothing a target holds left "not compared", and the report says so."""
    report = run.reconcile()
    assert [(f.check, f.source_id, f.message) for f in report.findings] == []
    data = report.as_dict()
    fields = data["fields"]
    assert data["not_verified"] == []
    markdown = report.markdown()
    assert "not compared field by field" not in markdown
    assert "## Not held by the target as the source had it" in markdown
    compared = {row["kind"]: set(row["attributes"]) for row in fields["compared"]}
    for kind in ("ticket", "user", "group", "group_membership", "organization", "field"):
        assert compared.get(kind), (run.name, kind, compared)
    assert {"requester", "assignee", "group"} <= compared["ticket"]
    assert {"user", "group"} <= compared["group_membership"]
    assert data["not_held"], "what the target cannot hold is listed with its reason"
    return report


def _held(report: ReconcileReport) -> dict[tuple[str, str], str]:
    """The report's "not held by the target" items: (kind, what) → why."""
    return {(i["kind"], i["what"]): i["why"] for i in report.as_dict()["not_held"]}


def _one(report: ReconcileReport, check: str) -> Any:
    found = [f for f in report.findings if f.check == check]
    assert len(found) == 1, [(f.check, f.message) for f in report.findings]
    return found[0]


def test_a_case_whose_contact_was_changed_in_salesforce_is_named() -> None:
    with Ledger.open(":memory:") as ledger:
        run = _migrated("salesforce", ledger)
        report = _assert_clean_and_whole(run)
        held = _held(report)
        assert any(
            "ccs" in what.split(", ") and why.startswith("a Case has no CC list")
            for (kind, what), why in held.items()
            if kind == "ticket"
        ), held
        rows = run.account.backend.rows
        tickets = _done(ledger, "ticket")
        case = next(r for r in rows["Case"].values() if r["Id"] in tickets and r["ContactId"])
        other = next(c["Id"] for c in rows["Contact"].values() if c["Id"] != case["ContactId"])
        was = case["ContactId"]
        case["ContactId"] = other  # behind the ledger's back

        finding = _one(run.reconcile(), "ticket.requester")
        assert finding.source_id == tickets[case["Id"]]
        assert finding.target_id == case["Id"]
        assert f"user {other}" in finding.message
        assert f"user {was}" in finding.message


def test_a_ticket_whose_assignee_was_changed_in_zendesk_is_named() -> None:
    with Ledger.open(":memory:") as ledger:
        run = _migrated("zendesk", ledger)
        _assert_clean_and_whole(run)
        backend = run.account.backend
        tickets = _done(ledger, "ticket")
        ticket = next(
            t for t in backend.tickets.values() if str(t["id"]) in tickets and t["assignee_id"]
        )
        agents = [
            u["id"]
            for u in backend.users.values()
            if u["role"] in ("agent", "admin") and u["id"] != ticket["assignee_id"]
        ]
        was, ticket["assignee_id"] = ticket["assignee_id"], agents[0]

        finding = _one(run.reconcile(), "ticket.assignee")
        assert finding.source_id == tickets[str(ticket["id"])]
        assert finding.target_id == str(ticket["id"])
        assert f"user {agents[0]}" in finding.message
        assert f"user {was}" in finding.message


def test_a_contact_whose_phone_was_changed_in_freshdesk_is_named() -> None:
    with Ledger.open(":memory:") as ledger:
        run = _migrated("freshdesk", ledger)
        report = _assert_clean_and_whole(run)
        own = _held(report)["user", "attributes"]  # the agents matched to the target's own
        assert own.startswith("matched to (or merged into) a record the target already held")
        assert "compared: signature, ticket_restriction" in own
        users = _done(ledger, "user")
        contact = next(
            c for c in run.account.backend.contacts.values() if str(c["id"]) in users and c["phone"]
        )
        contact["phone"] = "+1 555 0100"

        report = run.reconcile()
        finding = _one(report, "user.phone")
        assert finding.source_id == users[str(contact["id"])]
        assert finding.target_id == str(contact["id"])
        assert "'+1 555 0100' in the target" in finding.message
