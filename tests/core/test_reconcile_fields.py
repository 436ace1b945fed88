"""Field-by-field reconciliation of brands, forms, custom statuses, schedules, identities,
memberships and a ticket's origin, and inline images on the way: memory → memory.

A small desk gains two brands, two ticket forms, custom statuses, a business-hours schedule
with holidays, a user with a secondary identity in two organizations, a ticket naming a brand,
form and custom status with its recipient, via and a comment's system metadata, and a comment
showing a pasted screenshot from the source account. Migrated to a memory target and read back
through its view, it reconciles clean; each damage done to the target afterwards is named.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs
import pytest

import cemigrate
from cemigrate.adapters.memory import MemorySource, MemoryTarget, MemoryTargetView
from cemigrate.adapters.origin import ORIGIN_FIELD, origin_text
from cemigrate.adapters.profile import TargetProfile
from cemigrate.copier import Migration, RunReport
from cemigrate.errors import ConfigError
from cemigrate.ledger import Ledger
from cemigrate.reconcile import ReconcileReport, Reconciliation
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import (
    Attachment,
    Brand,
    CustomStatus,
    FieldObject,
    Holiday,
    Identity,
    Interval,
    Kind,
    OrganizationMembership,
    Record,
    Ref,
    Role,
    Schedule,
    Ticket,
    TicketForm,
    User,
)

SOURCE_HOST = "https://old-acme.zendesk.example"
SCREENSHOT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SCREENSHOT_URL = f"{SOURCE_HOST}/attachments/token/Qx81/?name=screenshot.png"


@dataclass
class Desk:
    records: dict[Kind, list[Record]]
    blob: Callable[[Attachment], bytes]
    ticket: Ticket
    """The ticket naming a brand, form and custom status, with the inline image."""
    user: User
    """The user with a secondary identity, in two organizations."""

    def source(self) -> MemorySource:
        return MemorySource(self.records, instance="old", blobs=self.blob)


def _desk() -> Desk:
    base = generate(tickets=24, seed=5, instance="old")
    records: dict[Kind, list[Record]] = {kind: list(base.records(kind)) for kind in Kind}
    field = next(
        f for f in base.fields if f.object is FieldObject.TICKET and f.key != "cemigrate_origin"
    )
    records[Kind.BRAND] += [
        Brand(id="9101", name="Acme", subdomain="acme", default=True),
        Brand(id="9102", name="Acme Pay", subdomain="acmepay", signature_template="Acme Pay team"),
    ]
    records[Kind.TICKET_FORM] += [
        TicketForm(id="9201", name="Default", default=True),
        TicketForm(
            id="9202",
            name="Identity check",
            display_name="Verify your identity",
            fields=(Ref(kind=Kind.FIELD, id=field.id),),
            brands=(Ref(kind=Kind.BRAND, id="9102"),),
            in_all_brands=False,
            position=1,
        ),
    ]
    records[Kind.CUSTOM_STATUS] += [
        CustomStatus(id="9301", category="open", agent_label="Open", default=True),
        CustomStatus(id="9302", category="pending", agent_label="Waiting on compliance"),
    ]
    records[Kind.SCHEDULE] += [
        Schedule(
            id="9401",
            name="Berlin office",
            time_zone="Europe/Berlin",
            intervals=tuple(
                Interval(start=day * 1440 + 540, end=day * 1440 + 1020) for day in range(1, 6)
            ),
            holidays=(
                Holiday(id="h1", name="Christmas", start_date="2025-12-25", end_date="2025-12-26"),
                Holiday(id="h2", name="New Year", start_date="2026-01-01", end_date="2026-01-01"),
            ),
        )
    ]
    organizations = [r.id for r in records[Kind.ORGANIZATION]][:2]
    users = records[Kind.USER]
    index, user = next(
        (i, u)
        for i, u in enumerate(users)
        if isinstance(u, User) and u.role is Role.END_USER and u.email and not u.deleted
    )
    assert isinstance(user, User)
    user = attrs.evolve(
        user,
        identities=(
            Identity(type="email", value=user.email or "", primary=True, verified=True, id="i1"),
            Identity(type="phone_number", value="+49 30 901820", id="i2"),
        ),
        external_id="crm-4711",
        notes="VIP since 2024",
    )
    users[index] = user
    records[Kind.ORGANIZATION_MEMBERSHIP] += [
        OrganizationMembership(
            id=f"950{n}",
            user=Ref(kind=Kind.USER, id=user.id),
            organization=Ref(kind=Kind.ORGANIZATION, id=org),
            default=n == 0,
        )
        for n, org in enumerate(organizations)
    ]
    tickets = records[Kind.TICKET]
    position, ticket = next(
        (i, t)
        for i, t in enumerate(tickets)
        if isinstance(t, Ticket) and not t.deleted and len(t.comments) >= 2
    )
    assert isinstance(ticket, Ticket)
    image = Attachment(
        id="990001",
        file_name="screenshot.png",
        content_type="image/png",
        size=len(SCREENSHOT),
        location=SCREENSHOT_URL,
        inline=True,
    )
    first = ticket.comments[0]
    first = attrs.evolve(
        first,
        body_html=f'{first.body_html}<p><img src="{SCREENSHOT_URL}" alt="screenshot.png"></p>',
        body_plain=f"{first.body_plain}\n{SCREENSHOT_URL}",
        attachments=(*first.attachments, image),
        metadata={"system": {"ip_address": "198.51.100.7", "location": "Berlin, Germany"}},
    )
    ticket = attrs.evolve(
        ticket,
        brand=Ref(kind=Kind.BRAND, id="9102"),
        form=Ref(kind=Kind.TICKET_FORM, id="9202"),
        custom_status=Ref(kind=Kind.CUSTOM_STATUS, id="9302"),
        recipient="pay@acme.example",
        via={"channel": "email", "source": {"to": {"address": "pay@acme.example"}}},
        comments=(first, *ticket.comments[1:]),
    )
    tickets[position] = ticket

    def blob(attachment: Attachment) -> bytes:
        return SCREENSHOT if attachment.id == image.id else base.blob(attachment)

    return Desk(records, blob, ticket, user)


@dataclass
class Migrated:
    desk: Desk
    target: MemoryTarget
    ledger: Ledger
    run: RunReport

    def reconcile(self, profile: TargetProfile | None = None) -> ReconcileReport:
        return Reconciliation(
            sources=[self.desk.source()],
            target_view=MemoryTargetView(self.target),
            ledger=self.ledger,
            target=self.target,
            profile=profile,
        ).run()

    def target_id(self, kind: Kind, source_id: str) -> str:
        key = f"old:{kind.value}:{source_id}"
        entry = self.ledger.lookup([key])[key]
        assert entry.target_id is not None
        return entry.target_id

    def edit(self, kind: Kind, source_id: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Change one stored record's fields in the target, as a faulty write would."""
        target_id = self.target_id(kind, source_id)
        stored = next(r for r in self.target.store.records(kind) if r.target_id == target_id)
        data = dict(stored.data)
        extra = {name: data.pop(name) for name in ("links", "stored_attachments") if name in data}
        change(data)
        assert self.target.store.replace(kind, target_id, json.dumps(data), extra)


@pytest.fixture
def migrated() -> Iterator[Migrated]:
    desk = _desk()
    target = MemoryTarget(keep_files=True)
    with Ledger.open(":memory:") as ledger:
        run = Migration(sources=[desk.source()], target=target, ledger=ledger, progress=False).run()
        assert run.status == "completed"
        assert run.failed == 0
        yield Migrated(desk, target, ledger, run)
    target.close()


def _checks(report: ReconcileReport) -> list[tuple[str, str, str | None]]:
    return [(f.severity.value, f.check, f.source_key) for f in report.findings]


def test_a_clean_migration_reconciles_field_by_field_with_no_finding(migrated: Migrated) -> None:
    report = migrated.reconcile()
    assert [f.message for f in report.findings] == []
    fields = report.as_dict()["fields"]
    compared = {row["kind"]: row["records"] for row in fields["compared"]}
    for kind in (
        Kind.BRAND,
        Kind.TICKET_FORM,
        Kind.CUSTOM_STATUS,
        Kind.SCHEDULE,
        Kind.ORGANIZATION_MEMBERSHIP,
    ):
        assert compared[kind.value] == len(migrated.desk.records[kind]) > 0, kind
    assert compared["user"] > 10
    assert fields["origin"] == "native"
    checks = {row["check"]: row["tickets"] for row in fields["ticket_checks"]}
    assert checks["ticket origin"] > 20
    brand = next(row for row in fields["compared"] if row["kind"] == "brand")
    assert "name" in brand["attributes"]
    assert "identities" in next(r for r in fields["compared"] if r["kind"] == "user")["attributes"]
    assert "Field by field" in report.markdown()
    assert "Field by field" in report.html()


def test_an_inline_image_arrives_as_an_attachment_with_no_link_to_the_source(
    migrated: Migrated,
) -> None:
    in_dataset = sum(  # the demo data set's own inline screenshots, besides this test's one
        a.inline
        for t in migrated.desk.records[Kind.TICKET]
        if isinstance(t, Ticket)
        for c in t.comments
        for a in c.attachments
        if t is not migrated.desk.ticket
    )
    assert migrated.run.kinds["ticket"].inline_images == 1 + in_dataset
    assert "inline_images" in migrated.run.table()
    view = MemoryTargetView(migrated.target)
    tickets = [r for b in view.read(Kind.TICKET) for r in b.records if isinstance(r, Ticket)]
    for ticket in tickets:
        for comment in ticket.comments:
            assert SOURCE_HOST not in comment.body_html
            assert SOURCE_HOST not in comment.body_plain
    target_id = migrated.target_id(Kind.TICKET, migrated.desk.ticket.id)
    arrived = next(t for t in tickets if t.id == target_id)
    first = arrived.comments[0]
    assert "[image: screenshot.png]" in first.body_html
    assert "[attachment: screenshot.png]" in first.body_plain
    image = next(a for a in first.attachments if a.file_name == "screenshot.png")
    assert image.inline
    with view.open_attachment(image) as stream:
        assert hashlib.sha256(stream.read()).digest() == hashlib.sha256(SCREENSHOT).digest()


def test_an_identity_removed_in_the_target_is_a_major_finding(migrated: Migrated) -> None:
    user = migrated.desk.user

    def drop_phone(data: dict[str, Any]) -> None:
        data["identities"] = [i for i in data["identities"] if i["type"] != "phone_number"]

    migrated.edit(Kind.USER, user.id, drop_phone)
    report = migrated.reconcile()
    assert _checks(report) == [("major", "user.identities", f"old:user:{user.id}")]
    assert "+49 30 901820" in report.findings[0].message
    assert "1 missing in the target" in report.findings[0].message


def test_a_lost_membership_and_a_moved_one_are_named(migrated: Migrated) -> None:
    gone = migrated.target_id(Kind.ORGANIZATION_MEMBERSHIP, "9500")
    migrated.target.store.delete(Kind.ORGANIZATION_MEMBERSHIP, [gone])
    other = migrated.target_id(Kind.ORGANIZATION, migrated.desk.records[Kind.ORGANIZATION][-1].id)
    stored = next(
        r
        for r in migrated.target.store.records(Kind.ORGANIZATION_MEMBERSHIP)
        if r.target_id == migrated.target_id(Kind.ORGANIZATION_MEMBERSHIP, "9501")
    )
    data = dict(stored.data)
    links = dict(data.pop("links"))
    links[f"organization:{stored.data['organization']['id']}"] = other
    migrated.target.store.replace(
        Kind.ORGANIZATION_MEMBERSHIP, stored.target_id, json.dumps(data), {"links": links}
    )
    report = migrated.reconcile()
    assert _checks(report) == [
        ("critical", "record.missing", "old:organization_membership:9500"),
        (
            "major",
            "organization_membership.organization",
            "old:organization_membership:9501",
        ),
    ]


def test_a_changed_brand_name_is_minor_and_a_changed_schedule_major(migrated: Migrated) -> None:
    migrated.edit(Kind.BRAND, "9102", lambda data: data.update(name="Acme Payments"))
    migrated.edit(Kind.SCHEDULE, "9401", lambda data: data.update(holidays=data["holidays"][:1]))
    report = migrated.reconcile()
    assert _checks(report) == [
        ("major", "schedule.holidays", "old:schedule:9401"),
        ("minor", "brand.name", "old:brand:9102"),
    ]
    assert "'Acme Payments' in the target, 'Acme Pay' in the source" in report.findings[1].message


def test_a_ticket_pointing_at_another_brand_or_custom_status_is_named(migrated: Migrated) -> None:
    ticket = migrated.desk.ticket
    b1 = migrated.target_id(Kind.BRAND, "9101")
    stored = next(
        r
        for r in migrated.target.store.records(Kind.TICKET)
        if r.target_id == migrated.target_id(Kind.TICKET, ticket.id)
    )
    data = dict(stored.data)
    extra = {"links": dict(data.pop("links")), "stored_attachments": data.pop("stored_attachments")}
    extra["links"]["brand:9102"] = b1
    data["custom_status"] = None
    migrated.target.store.replace(Kind.TICKET, stored.target_id, json.dumps(data), extra)
    report = migrated.reconcile()
    key = f"old:ticket:{ticket.id}"
    assert _checks(report) == [
        ("major", "ticket.brand", key),
        ("major", "ticket.custom_status", key),
    ]


def test_an_emptied_origin_is_a_major_finding(migrated: Migrated) -> None:
    ticket = migrated.desk.ticket

    def forget(data: dict[str, Any]) -> None:
        data.update(recipient=None, via={})
        for comment in data["comments"]:
            comment["metadata"] = {}

    migrated.edit(Kind.TICKET, ticket.id, forget)
    report = migrated.reconcile()
    assert _checks(report) == [("major", "ticket.origin_missing", f"old:ticket:{ticket.id}")]


def test_a_target_body_still_linking_to_the_source_attachments_is_named(
    migrated: Migrated,
) -> None:
    ticket = migrated.desk.ticket

    def relink(data: dict[str, Any]) -> None:
        data["comments"][1]["body_html"] += f'<img src="{SCREENSHOT_URL}">'

    migrated.edit(Kind.TICKET, ticket.id, relink)
    report = migrated.reconcile()
    assert _checks(report) == [("major", "comment.source_link", f"old:ticket:{ticket.id}")]
    assert f"{SOURCE_HOST}/attachments/" in report.findings[0].message


# -- a target that keeps references as labels and the origin in its private field -------------

LABELS = {
    "brand": "cemigrate_brand",
    "form": "cemigrate_form",
    "custom_status": "cemigrate_custom_status",
}


def _labelled(migrated: Migrated) -> TargetProfile:
    """Store what a Salesforce-like target holds on each ticket (labels and the origin field)
    and give the profile that says so: no brand, form or custom status records read back."""
    names = {
        f"{r.KIND.value}:{r.id}": r.agent_label if isinstance(r, CustomStatus) else r.name
        for kind in (Kind.BRAND, Kind.TICKET_FORM, Kind.CUSTOM_STATUS)
        for r in migrated.desk.records[kind]
        if isinstance(r, Brand | TicketForm | CustomStatus)
    }
    for ticket in migrated.desk.records[Kind.TICKET]:
        assert isinstance(ticket, Ticket)

        def label(data: dict[str, Any], ticket: Ticket = ticket) -> None:
            held = {
                key: names[str(getattr(ticket, attribute))]
                for attribute, key in LABELS.items()
                if getattr(ticket, attribute) is not None
            }
            data["custom_fields"] = {
                **data["custom_fields"],
                **held,
                ORIGIN_FIELD: origin_text(ticket),
            }
            data.update(recipient=None, via={})

        migrated.edit(Kind.TICKET, ticket.id, label)
    return TargetProfile(
        platform="memory",
        read_back=frozenset(Kind)
        - {Kind.BRAND, Kind.TICKET_FORM, Kind.CUSTOM_STATUS, Kind.SCHEDULE},
        carries_ratings=True,
        keeps={Kind.TICKET: frozenset({"requester", "assignee"}), Kind.USER: frozenset({"role"})},
        ticket_labels=LABELS,
    )


def test_labels_and_the_origin_field_reconcile_clean(migrated: Migrated) -> None:
    report = migrated.reconcile(_labelled(migrated))
    assert [(f.message, f.source_key) for f in report.findings] == []
    data = report.as_dict()
    assert data["fields"]["origin"] == "field"
    checks = {row["check"] for row in data["fields"]["ticket_checks"]}
    assert {"ticket brand label", "ticket form label", "ticket custom_status label"} <= checks
    not_held = " ".join(data["fields"]["not_held"])
    assert "brand: not held as records by the memory target" in not_held
    assert "'cemigrate_brand', compared per ticket" in not_held
    assert "schedule: not held as records" in not_held
    unverified = " ".join(data["unverified"])
    assert "brand" not in unverified
    assert "identities" in unverified  # a user attribute this profile does not name


def test_a_changed_label_and_an_emptied_origin_field_are_named(migrated: Migrated) -> None:
    profile = _labelled(migrated)
    ticket = migrated.desk.ticket

    def damage(data: dict[str, Any]) -> None:
        data["custom_fields"] = {
            **data["custom_fields"],
            "cemigrate_brand": "Acme",
            "cemigrate_form": "",
            ORIGIN_FIELD: "",
        }

    migrated.edit(Kind.TICKET, ticket.id, damage)
    report = migrated.reconcile(profile)
    key = f"old:ticket:{ticket.id}"
    assert _checks(report) == [
        ("major", "ticket.form_label_missing", key),
        ("major", "ticket.origin_missing", key),
        ("minor", "ticket.brand_label", key),
    ]


PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "old"
platform = "memory"
tickets = 40
seed = 4

[target]
platform = "memory"
path = "target.sqlite"
keep_files = true
"""


def test_a_memory_plan_reconciles_its_target_read_back(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    opened = cemigrate.open_plan(plan)
    migration = opened.migration(progress=False)
    try:
        assert migration.run().status == "completed"
    finally:
        migration.close()
    reconciliation = cemigrate.open_plan(plan).reconciliation()
    try:
        report = reconciliation.run()
    finally:
        reconciliation.close()
    assert [f.message for f in report.findings] == []
    data = report.as_dict()
    assert data["deep"]["attachments_hashed"]["target"] > 0
    assert {row["kind"] for row in data["fields"]["compared"]} >= {"user", "ticket", "group"}


def test_a_memory_target_held_in_memory_cannot_be_read_back(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace('path = "target.sqlite"\n', ""), encoding="utf-8")
    with pytest.raises(ConfigError, match="give it a path"):
        cemigrate.open_plan(plan).build_target_view()
