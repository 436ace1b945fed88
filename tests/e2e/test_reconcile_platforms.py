"""Reconciliation reads Salesforce and Freshdesk targets back through their own source
adapters: a clean migration into each is compared ticket by ticket, and what the platform
cannot hold is reported, not hidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import generate
from cemigrate.testing.accounts import SEED, TICKETS, empty_target, zendesk_source

ROOT = Path(__file__).resolve().parents[2]


def reconcile(name: str) -> ReconcileReport:
    clock = ManualClock()
    made = empty_target(
        name.split("-to-")[1], clock, generate(tickets=TICKETS, seed=SEED, instance="old")
    )
    mapping = ROOT / "mappings" / f"{name}.toml"
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[zendesk_source(clock)],
            target=made.target,
            ledger=ledger,
            mapping=load_mapping(mapping),
            progress=False,
        ).run()
        assert report.status == "completed"
        assert report.failed == 0
        clock.advance(120)
        return Reconciliation(
            sources=[zendesk_source(clock)],
            target_view=made.view(),
            ledger=ledger,
            target=made.target,
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
    report = reconcile("zendesk-to-zendesk")
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
    report = reconcile("zendesk-to-salesforce")
    assert [f.message for f in report.findings] == []
    _labels_and_origin_checked(report)


@pytest.mark.slow
def test_a_clean_zendesk_to_freshdesk_migration_reconciles_with_no_finding() -> None:
    # Suspended and deleted users are kept out as soft-deleted contacts and read back
    # suspended; the adopted default company field account_tier is read back as a field.
    report = reconcile("zendesk-to-freshdesk")
    assert [f.message for f in report.findings] == []
    _labels_and_origin_checked(report)
    assert report.content["access"]["unsuspended"] == 0
    assert report.content["access"]["users_compared"] > 0
