"""Salesforce orgs as service orgs hold them: two Case record types, Person Accounts for the
customers with no company, a lookup to users, a computed field and a lookup to an object no
migration carries. Migrated out of such an org into Zendesk and Freshdesk, and from Zendesk
into one, each run is reconciled record by record and field by field with no finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cemigrate.adapters import Source, Target
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import FieldType
from cemigrate.testing.accounts import SEED, TICKETS, empty_target, zendesk_source

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _org_source(org: SalesforceSandbox, clock: ManualClock, instance: str) -> SalesforceSource:
    return SalesforceSource(
        instance=instance,
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )


def _migrate(
    source: Callable[[], Source],
    target: Target,
    view: Callable[[], Source],
    mapping: str,
    clock: ManualClock,
) -> ReconcileReport:
    rules = load_mapping(ROOT / "mappings" / f"{mapping}.toml")
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[source()], target=target, ledger=ledger, mapping=rules, progress=False
        ).run()
        assert (report.status, report.failed) == ("completed", 0)
        clock.advance(120)  # Zendesk's exports leave out the last minute
        return Reconciliation(
            sources=[source()], target_view=view(), ledger=ledger, target=target, mapping=rules
        ).run()


@pytest.mark.parametrize("name", ["zendesk", "freshdesk"])
def test_a_service_org_with_person_accounts_moves_out_and_reconciles_clean(name: str) -> None:
    clock = ManualClock()
    org = SalesforceSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, person_accounts=True
    )
    people = [a for a in org.backend.rows["Account"].values() if a.get("IsPersonAccount")]
    assert people  # customers with no company live in Person Accounts
    kinds = _org_source(org, clock, "old").describe()
    assert {f.type for f in kinds.fields} >= {FieldType.LOOKUP}
    assert any(f.read_only for f in kinds.fields)
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    made = empty_target(name, clock, desk)
    found = _migrate(
        lambda: _org_source(org, clock, "old"),
        made.target,
        made.view,
        f"salesforce-to-{name}",
        clock,
    )
    assert [(f.kind, f.source_id, f.message) for f in found.findings] == []


def test_zendesk_into_an_org_with_record_types_and_person_accounts_reconciles_clean() -> None:
    clock = ManualClock()
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock, person_accounts=True)
    org.add_seats(desk)  # the agents hold licences before a migration
    for form in desk.ticket_forms:  # record types are made in Setup: the REST API cannot
        org.add_record_type(form.name)
    credentials = SalesforceCredentials(access_token=org.access_token)
    options = {"instance_url": org.base_url, "clock": clock}
    target = SalesforceTarget(
        credentials=credentials, session=org.session(authenticated=False), **options
    )
    found = _migrate(
        lambda: zendesk_source(clock),
        target,
        lambda: SalesforceSource(
            instance="target",
            credentials=credentials,
            session=org.session(authenticated=False),
            target_view=True,
            **options,
        ),
        "zendesk-to-salesforce",
        clock,
    )
    assert [(f.kind, f.source_id, f.message) for f in found.findings] == []
    # Each case carries its form's record type; customers with no company became Person
    # Accounts, which their cases name through the person contact.
    cases = [c for c in org.backend.rows["Case"].values() if not c["IsDeleted"]]
    assert cases
    assert all(c.get("RecordTypeId") for c in cases)
    people = {
        a["PersonContactId"]
        for a in org.backend.rows["Account"].values()
        if a.get("IsPersonAccount")
    }
    assert people
    assert people & {c.get("ContactId") for c in cases}
