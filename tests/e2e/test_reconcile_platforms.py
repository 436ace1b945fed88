"""Reconciliation reads Salesforce and Freshdesk targets back through their own source
adapters: a clean migration into each is compared ticket by ticket, and what the platform
cannot hold is reported, not hidden."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters import Source, Target
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.testing.accounts import SEED, TICKETS, zendesk_source

ROOT = Path(__file__).resolve().parents[2]

Made = tuple[Target, Callable[[], Source]]


def zendesk(clock: ManualClock, desk: HelpDesk) -> Made:
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.source import ZendeskSource
    from cemigrate.adapters.zendesk.target import ZendeskTarget
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    account = ZendeskSandbox(tickets=0, empty=True, clock=clock, subdomain="new")
    for role in sorted({u.custom_role for u in desk.users if u.custom_role}):
        account.backend.add_custom_role(role)  # an admin defines the agents' roles first
    options = {"base_url": account.base_url, "clock": clock}
    credentials = ZendeskCredentials(email=account.email, token=account.token)
    target = ZendeskTarget(
        credentials=credentials, session=account.session(authenticated=False), **options
    )
    return target, lambda: ZendeskSource(
        instance="target",
        credentials=credentials,
        session=account.session(authenticated=False),
        sla_events=False,
        **options,
    )


def salesforce(clock: ManualClock, desk: HelpDesk) -> Made:
    from cemigrate.adapters.salesforce.client import SalesforceCredentials
    from cemigrate.adapters.salesforce.source import SalesforceSource
    from cemigrate.adapters.salesforce.target import SalesforceTarget
    from cemigrate.sandbox.salesforce import SalesforceSandbox

    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    org.add_seats(desk)  # Users exist before a migration: they need licences
    options = {"instance_url": org.base_url, "clock": clock}
    credentials = SalesforceCredentials(access_token=org.access_token)
    target = SalesforceTarget(
        credentials=credentials, session=org.session(authenticated=False), **options
    )
    return target, lambda: SalesforceSource(
        instance="target",
        credentials=credentials,
        session=org.session(authenticated=False),
        target_view=True,
        **options,
    )


def freshdesk(clock: ManualClock, desk: HelpDesk) -> Made:
    from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
    from cemigrate.adapters.freshdesk.source import FreshdeskSource
    from cemigrate.adapters.freshdesk.target import FreshdeskTarget
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox

    account = FreshdeskSandbox(tickets=0, empty=True, clock=clock, domain="new.freshdesk.com")
    account.add_seats(desk)  # agents (paid seats) and ticket types exist before a migration
    options = {"base_url": account.base_url, "clock": clock}
    credentials = FreshdeskCredentials(api_key=account.api_key)
    target = FreshdeskTarget(
        credentials=credentials, session=account.session(authenticated=False), **options
    )
    return target, lambda: FreshdeskSource(
        instance="target",
        credentials=credentials,
        session=account.session(authenticated=False),
        target_view=True,
        **options,
    )


def reconcile(name: str, make: Callable[[ManualClock, HelpDesk], Made]) -> ReconcileReport:
    clock = ManualClock()
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    target, view = make(clock, desk)
    mapping = ROOT / "mappings" / f"{name}.toml"
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[zendesk_source(clock)],
            target=target,
            ledger=ledger,
            mapping=load_mapping(mapping),
            progress=False,
        ).run()
        assert report.status == "completed"
        assert report.failed == 0
        clock.advance(120)
        return Reconciliation(
            sources=[zendesk_source(clock)],
            target_view=view(),
            ledger=ledger,
            target=target,
            mapping=load_mapping(mapping),
        ).run()


def _compared(report: ReconcileReport) -> dict[str, Any]:
    """What the field-by-field comparison covered: compared kinds and per-ticket checks."""
    fields: dict[str, Any] = report.as_dict()["fields"]
    return fields


def _labels_and_origin_checked(report: ReconcileReport) -> None:
    """Brands, forms and custom statuses kept as labels, and the origin, checked per ticket."""
    checks = {row["check"]: row["tickets"] for row in _compared(report)["ticket_checks"]}
    for check in (
        "ticket brand label",
        "ticket form label",
        "ticket custom_status label",
        "ticket origin",
    ):
        assert checks.get(check, 0) > 0, (check, checks)


@pytest.mark.slow
def test_a_clean_zendesk_to_zendesk_migration_reconciles_field_by_field() -> None:
    # Two brands, two forms, custom statuses, a schedule with holidays, secondary identities
    # and users in several organizations: each read back and compared as the source had it.
    report = reconcile("zendesk-to-zendesk", zendesk)
    assert [(f.kind, f.source_id, f.message) for f in report.findings] == []
    fields = _compared(report)
    compared = {row["kind"]: row["records"] for row in fields["compared"]}
    for kind in ("brand", "ticket_form", "schedule", "organization_membership", "user"):
        assert compared.get(kind, 0) > 0, kind
    assert compared["custom_status"] >= 4  # the account's own (the defaults are adopted)
    assert "identities" in next(r for r in fields["compared"] if r["kind"] == "user")["attributes"]
    ticket = next(r for r in fields["compared"] if r["kind"] == "ticket")
    assert {"brand", "form", "custom_status"} <= set(ticket["attributes"])
    checks = {row["check"] for row in fields["ticket_checks"]}
    assert "ticket origin" in checks


@pytest.mark.slow
def test_a_clean_zendesk_to_salesforce_migration_reconciles_with_no_finding() -> None:
    report = reconcile("zendesk-to-salesforce", salesforce)
    assert [f.message for f in report.findings] == []
    _labels_and_origin_checked(report)


@pytest.mark.slow
def test_a_clean_zendesk_to_freshdesk_migration_reconciles_with_no_finding() -> None:
    # Suspended and deleted users are kept out as soft-deleted contacts and read back
    # suspended; the adopted default company field account_tier is read back as a field.
    report = reconcile("zendesk-to-freshdesk", freshdesk)
    assert [f.message for f in report.findings] == []
    _labels_and_origin_checked(report)
    assert report.content["access"]["unsuspended"] == 0
    assert report.content["access"]["users_compared"] > 0
