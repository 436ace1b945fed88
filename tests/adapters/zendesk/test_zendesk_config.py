"""Brands, ticket forms, custom statuses and schedules: read from a Zendesk account, written
to another, and named by the tickets that arrive there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import attrs
import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.zendesk import convert as zd
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.platform import PLATFORM
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox import dataset
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.zendesk import ZendeskSandbox, models
from cemigrate.schema import (
    Brand,
    CustomStatus,
    FieldObject,
    Holiday,
    Interval,
    Kind,
    Record,
    Ref,
    Schedule,
    SourceKey,
    Status,
    Ticket,
    TicketForm,
)
from cemigrate.testing.desks import plain_desk

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
TICKETS = 60

EXCHANGE = Brand(id="365000000001", name="Exchange", subdomain="emea", default=True)
PAY = Brand(id="365000000002", name="Exchange Pay", subdomain="emea-pay")
VENDOR = CustomStatus(
    id="367000000101",
    category=Status.SOLVED,
    agent_label="Solved by vendor",
    end_user_label="Solved",
    description="The vendor fixed it",
)
HOURS = Schedule(
    id="368000000001",
    name="Berlin hours",
    time_zone="Europe/Berlin",
    intervals=tuple(Interval(start=d * 1440 + 480, end=d * 1440 + 960) for d in range(1, 6)),
    holidays=(
        Holiday(id="369000000001", name="New Year", start_date="2026-01-01", end_date="2026-01-01"),
        Holiday(
            id="369000000002", name="Christmas", start_date="2025-12-24", end_date="2025-12-26"
        ),
    ),
)


def configured_desk(desk: HelpDesk) -> HelpDesk:
    """A generated desk with two brands, two forms, a custom status and a schedule with
    holidays, and tickets that name them (every other one the custom status)."""
    ticket_fields = [f for f in desk.fields if f.object is FieldObject.TICKET]
    refunds = TicketForm(
        id="366000000002",
        name="Refunds",
        display_name="Ask for a refund",
        fields=tuple(Ref(kind=Kind.FIELD, id=f.id) for f in ticket_fields[:2]),
        system_fields=("subject", "description", "status"),
        brands=(Ref(kind=Kind.BRAND, id=PAY.id),),
        in_all_brands=False,
        position=2,
        conditions={
            "agent_conditions": [
                {
                    "parent_field_id": int(ticket_fields[0].id),
                    "value": "x",
                    "child_fields": [{"id": int(ticket_fields[1].id), "is_required": False}],
                }
            ]
        },
    )
    default = TicketForm(
        id="366000000001",
        name="Default Ticket Form",
        fields=tuple(Ref(kind=Kind.FIELD, id=f.id) for f in ticket_fields),
        system_fields=("subject", "description", "status", "priority"),
        default=True,
        position=1,
    )
    tickets = []
    for number, ticket in enumerate(desk.tickets):
        if number % 3 == 0:
            ticket = attrs.evolve(
                ticket,
                brand=Ref(kind=Kind.BRAND, id=PAY.id),
                form=Ref(kind=Kind.TICKET_FORM, id=refunds.id),
            )
        if number % 2 == 1:  # closed tickets: in the solved category
            ticket = attrs.evolve(ticket, custom_status=Ref(kind=Kind.CUSTOM_STATUS, id=VENDOR.id))
        tickets.append(ticket)
    return attrs.evolve(
        desk,
        brands=(EXCHANGE, PAY),
        ticket_forms=(default, refunds),
        custom_statuses=(VENDOR,),
        schedules=(HOURS,),
        tickets=tuple(tickets),
    )


@pytest.fixture(autouse=True)
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts of instance ``emea`` are seeded from :func:`configured_desk`, the others from
    a plain desk (a new target account holds only its own default brand, form and statuses)."""
    real = dataset.generate

    def generate(**params: Any) -> HelpDesk:
        desk = real(**params)
        plain = plain_desk(desk)
        return configured_desk(plain) if params.get("instance") == "emea" else plain

    monkeypatch.setattr(models, "generate", generate)


def source_of(account: ZendeskSandbox, clock: ManualClock, instance: str) -> ZendeskSource:
    return ZendeskSource(
        instance=instance,
        base_url=account.base_url,
        credentials=CREDENTIALS,
        session=account.session(authenticated=False),
        clock=clock,
    )


def target_of(account: ZendeskSandbox, clock: ManualClock) -> ZendeskTarget:
    return ZendeskTarget(
        base_url=account.base_url,
        credentials=CREDENTIALS,
        session=account.session(authenticated=False),
        clock=clock,
    )


def read(source: ZendeskSource, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in source.read(kind) for r in batch.records}


# --- converting ---------------------------------------------------------------------------


def test_a_form_s_built_in_fields_become_names_and_its_custom_fields_references() -> None:
    form = zd.ticket_form(
        {
            "id": 9,
            "name": "Refunds",
            "display_name": "Ask for a refund",
            "ticket_field_ids": [1, 50, 2, 51],
            "in_all_brands": False,
            "restricted_brand_ids": [7],
            "end_user_visible": False,
            "position": 3,
            "agent_conditions": [{"parent_field_id": 50, "value": "x", "child_fields": []}],
        },
        system_fields={"1": "subject", "2": "type"},
    )
    assert form.system_fields == ("subject", "type")
    assert form.fields == (Ref(kind=Kind.FIELD, id="50"), Ref(kind=Kind.FIELD, id="51"))
    assert form.brands == (Ref(kind=Kind.BRAND, id="7"),)
    assert not form.in_all_brands
    assert not form.end_user_visible
    assert "agent_conditions" in form.conditions


def test_payloads_name_the_target_s_ids_through_the_links() -> None:
    form = TicketForm(
        id="9",
        name="Refunds",
        fields=(Ref(kind=Kind.FIELD, id="50"),),
        system_fields=("subject", "status"),
        brands=(Ref(kind=Kind.BRAND, id="7"),),
        in_all_brands=False,
    )
    form = attrs.evolve(
        form,
        conditions={
            "agent_conditions": [
                {
                    "parent_field_id": 50,
                    "value": "refund",
                    "child_fields": [
                        {
                            "id": 50,
                            "required_on_statuses": {
                                "type": "ALL_STATUSES",
                                "custom_statuses": [4],
                            },
                        },
                        {"id": 77},  # not on the form: left out
                    ],
                },
                {"parent_field_id": 77, "value": "y", "child_fields": [{"id": 50}]},
            ]
        },
    )
    outgoing = Outgoing(
        key=SourceKey("emea", Kind.TICKET_FORM, "9"),
        record=form,
        links={Ref(kind=Kind.FIELD, id="50"): "900", Ref(kind=Kind.BRAND, id="7"): "700"},
    )
    payload = zd.ticket_form_payload(outgoing, system_field_ids={"subject": 1, "status": 3})
    assert payload["ticket_field_ids"] == [1, 3, 900]
    assert payload["restricted_brand_ids"] == [700]
    assert payload["in_all_brands"] is False
    assert payload["agent_conditions"] == [
        {
            "parent_field_id": 900,
            "value": "refund",
            "child_fields": [{"id": 900, "required_on_statuses": {"type": "ALL_STATUSES"}}],
        }
    ]
    assert "end_user_conditions" not in payload  # none in the source: not sent
    status = CustomStatus(id="1", category=Status.CLOSED, agent_label="Archived")
    sent = zd.custom_status_payload(
        Outgoing(key=SourceKey("emea", Kind.CUSTOM_STATUS, "1"), record=status)
    )
    assert sent["status_category"] == "solved"  # closed tickets are in the solved category
    assert zd.workweek_payload(HOURS)["intervals"][0] == {"start_time": 1920, "end_time": 2400}


# --- reading ------------------------------------------------------------------------------


def test_the_source_reads_each_list_once_and_holidays_once_per_schedule(configured: None) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=TICKETS, seed=3, instance="emea", clock=clock)
    clock.advance(120)
    source = source_of(account, clock, "emea")
    assert {Kind.BRAND, Kind.TICKET_FORM, Kind.CUSTOM_STATUS, Kind.SCHEDULE} <= (
        source.describe().kinds
    )
    before = len(account.zendesk.requests)
    brands = read(source, Kind.BRAND)
    statuses = read(source, Kind.CUSTOM_STATUS)
    schedules = read(source, Kind.SCHEDULE)
    calls = [path for _, path, _ in account.zendesk.requests[before:]]
    assert calls == [
        "/api/v2/brands.json",
        "/api/v2/custom_statuses.json",
        "/api/v2/business_hours/schedules.json",
        f"/api/v2/business_hours/schedules/{HOURS.id}/holidays.json",
    ]
    assert sorted(
        (b.name, b.subdomain, b.default) for b in brands.values() if isinstance(b, Brand)
    ) == [("Exchange", "emea", True), ("Exchange Pay", "emea-pay", False)]
    assert (brands[PAY.id].name, brands[PAY.id].subdomain) == ("Exchange Pay", "emea-pay")
    vendor = statuses[VENDOR.id]
    assert isinstance(vendor, CustomStatus)
    assert (vendor.category, vendor.agent_label, vendor.end_user_label) == (
        Status.SOLVED,
        "Solved by vendor",
        "Solved",
    )
    assert len([s for s in statuses.values() if isinstance(s, CustomStatus) and s.default]) == 5
    schedule = schedules[HOURS.id]
    assert isinstance(schedule, Schedule)
    assert (schedule.name, schedule.time_zone, schedule.intervals) == (
        HOURS.name,
        HOURS.time_zone,
        HOURS.intervals,
    )
    assert schedule.holidays == HOURS.holidays
    forms = read(source, Kind.TICKET_FORM)
    refunds = forms["366000000002"]
    assert isinstance(refunds, TicketForm)
    assert refunds.system_fields == ("subject", "description", "status")
    assert refunds.brands == (Ref(kind=Kind.BRAND, id=PAY.id),)
    fields = read(source, Kind.FIELD)
    assert all(ref.id in fields for ref in refunds.fields)
    tickets = read(source, Kind.TICKET)
    branded = [
        t
        for t in tickets.values()
        if isinstance(t, Ticket) and t.brand == Ref(kind=Kind.BRAND, id=PAY.id)
    ]
    assert branded
    assert all(t.form == Ref(kind=Kind.TICKET_FORM, id=refunds.id) for t in branded)
    desk = configured_desk(plain_desk(dataset.generate(tickets=TICKETS, seed=3, instance="emea")))
    expected = {t.id for t in desk.tickets if t.custom_status is not None}
    vendor_ref = Ref(kind=Kind.CUSTOM_STATUS, id=VENDOR.id)
    assert expected
    assert {
        t.id for t in tickets.values() if isinstance(t, Ticket) and t.custom_status == vendor_ref
    } == expected
    # the others carry the default status of their status's category
    assert all(isinstance(t, Ticket) and t.custom_status is not None for t in tickets.values())


# --- Zendesk to Zendesk -------------------------------------------------------------------


@dataclass
class Migrated:
    report: RunReport
    again: RunReport
    ledger: Ledger
    source: ZendeskSource
    view: ZendeskSource
    target_account: ZendeskSandbox


@pytest.fixture
def migrated(configured: None) -> Iterator[Migrated]:
    clock = ManualClock()
    source_account = ZendeskSandbox(tickets=TICKETS, seed=3, instance="emea", clock=clock)
    target_account = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    clock.advance(120)
    source = source_of(source_account, clock, "emea")
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[source], target=target_of(target_account, clock), ledger=ledger, progress=False
        ).run()
        clock.advance(120)
        again = Migration(
            sources=[source_of(source_account, clock, "emea")],
            target=target_of(target_account, clock),
            ledger=ledger,
            progress=False,
        ).run()
        clock.advance(120)
        yield Migrated(
            report, again, ledger, source, source_of(target_account, clock, "new"), target_account
        )


def target_ids(ledger: Ledger, kind: Kind) -> dict[str, str]:
    return {
        entry.source_id: entry.target_id
        for entry in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if entry.target_id is not None
    }


def test_brands_forms_statuses_and_schedules_arrive_once_and_tickets_name_them(
    migrated: Migrated,
) -> None:
    assert migrated.report.status == "completed"
    assert migrated.ledger.failures() == []
    view, ledger = migrated.view, migrated.ledger
    brands = target_ids(ledger, Kind.BRAND)
    arrived_brands = read(view, Kind.BRAND)
    # the target's own default brand, and the two the source had (Zendesk → Zendesk)
    assert sorted(b.name for b in arrived_brands.values() if isinstance(b, Brand)) == [
        "Exchange",
        "Exchange Pay",
        "new",
    ]
    pay = arrived_brands[brands[PAY.id]]
    assert isinstance(pay, Brand)
    assert pay.subdomain == "new-emea-pay"  # derived from the target account's subdomain
    statuses = target_ids(ledger, Kind.CUSTOM_STATUS)
    arrived_statuses = read(view, Kind.CUSTOM_STATUS)
    assert len(arrived_statuses) == 6  # five defaults matched, one created
    vendor = arrived_statuses[statuses[VENDOR.id]]
    assert isinstance(vendor, CustomStatus)
    assert (vendor.category, vendor.agent_label, vendor.end_user_label, vendor.description) == (
        VENDOR.category,
        VENDOR.agent_label,
        VENDOR.end_user_label,
        VENDOR.description,
    )
    forms = target_ids(ledger, Kind.TICKET_FORM)
    arrived_forms = read(view, Kind.TICKET_FORM)
    assert sorted(f.name for f in arrived_forms.values() if isinstance(f, TicketForm)) == [
        "Default Ticket Form",
        "Refunds",
    ]
    refunds = arrived_forms[forms["366000000002"]]
    original = read(migrated.source, Kind.TICKET_FORM)["366000000002"]
    assert isinstance(refunds, TicketForm)
    assert isinstance(original, TicketForm)
    fields = target_ids(ledger, Kind.FIELD)
    assert refunds.fields == tuple(Ref(kind=Kind.FIELD, id=fields[r.id]) for r in original.fields)
    assert refunds.system_fields == original.system_fields
    assert refunds.brands == (Ref(kind=Kind.BRAND, id=brands[PAY.id]),)
    assert refunds.display_name == "Ask for a refund"
    [condition] = refunds.conditions["agent_conditions"]  # type: ignore[misc]
    assert isinstance(condition, dict)
    assert condition["parent_field_id"] == int(fields[original.fields[0].id])
    assert condition["child_fields"] == [
        {"id": int(fields[original.fields[1].id]), "is_required": False}
    ]
    schedules = target_ids(ledger, Kind.SCHEDULE)
    arrived_schedules = read(view, Kind.SCHEDULE)
    assert len(arrived_schedules) == 1
    hours = arrived_schedules[schedules[HOURS.id]]
    assert isinstance(hours, Schedule)
    assert (hours.name, hours.time_zone, hours.intervals) == (
        HOURS.name,
        HOURS.time_zone,
        HOURS.intervals,
    )
    assert sorted((h.name, h.start_date, h.end_date) for h in hours.holidays) == sorted(
        (h.name, h.start_date, h.end_date) for h in HOURS.holidays
    )
    tickets = target_ids(ledger, Kind.TICKET)
    originals = read(migrated.source, Kind.TICKET)
    arrived = read(view, Kind.TICKET)
    refs = {**brands, **forms, **statuses}
    for source_id, target_id in tickets.items():
        before, after = originals[source_id], arrived[target_id]
        assert isinstance(before, Ticket)
        assert isinstance(after, Ticket)
        for name in ("brand", "form", "custom_status"):
            ref = getattr(before, name)
            assert ref is not None
            assert getattr(after, name) == attrs.evolve(ref, id=refs[ref.id]), (source_id, name)


def test_a_second_run_creates_nothing_again(migrated: Migrated) -> None:
    assert migrated.again.status == "completed"
    for kind in (Kind.BRAND, Kind.TICKET_FORM, Kind.CUSTOM_STATUS, Kind.SCHEDULE, Kind.TICKET):
        tally = migrated.again.kinds.get(kind.value)
        assert tally is None or tally.created == 0, kind
    config = migrated.target_account.backend.config
    assert len(config.brands) == 3
    assert len(config.ticket_forms) == 2
    assert len(config.custom_statuses) == 6
    assert len(config.schedules) == 1
    assert [len(h) for h in config.holidays.values()] == [2]


def test_a_schedule_written_again_after_a_lost_answer_is_completed_not_duplicated(
    configured: None,
) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    target = target_of(account, clock)
    first = Outgoing(key=SourceKey("emea", Kind.SCHEDULE, HOURS.id), record=HOURS)
    partial = attrs.evolve(HOURS, holidays=HOURS.holidays[:1])
    files = source_of(account, clock, "emea")
    crashed = target.write(Kind.SCHEDULE, [attrs.evolve(first, record=partial)], files)
    assert crashed[0].ok
    again = target_of(account, clock).write(Kind.SCHEDULE, [first], files)
    assert again[0].target_id == crashed[0].target_id
    held = account.backend.config.holidays[int(crashed[0].target_id or 0)]
    assert sorted(h["name"] for h in held.values()) == ["Christmas", "New Year"]


def test_a_schedule_whose_holiday_is_refused_is_a_failure(configured: None) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    bad = attrs.evolve(
        HOURS,
        holidays=(Holiday(name="Backwards", start_date="2026-01-03", end_date="2026-01-02"),),
    )
    item = Outgoing(key=SourceKey("emea", Kind.SCHEDULE, HOURS.id), record=bad)
    files = source_of(account, clock, "emea")
    [result] = target_of(account, clock).write(Kind.SCHEDULE, [item], files)
    assert not result.ok
    assert "end_date" in result.platform_message


def test_the_target_profile_reads_the_four_kinds_back_and_names_what_it_keeps() -> None:
    profile = PLATFORM.profile
    for kind in (Kind.BRAND, Kind.TICKET_FORM, Kind.CUSTOM_STATUS, Kind.SCHEDULE):
        assert kind in profile.read_back
        assert profile.keeps[kind]
    classes = {
        Kind.BRAND: Brand,
        Kind.TICKET_FORM: TicketForm,
        Kind.CUSTOM_STATUS: CustomStatus,
        Kind.SCHEDULE: Schedule,
    }
    for kind, cls in classes.items():
        names = {a.name for a in attrs.fields(cls)}
        assert profile.keeps[kind] <= names, kind


def test_the_dry_run_foresees_what_the_run_creates_and_adopts(configured: None) -> None:
    clock = ManualClock()
    source_account = ZendeskSandbox(tickets=TICKETS, seed=3, instance="emea", clock=clock)
    target_account = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    clock.advance(120)
    kinds = (Kind.BRAND, Kind.TICKET_FORM, Kind.CUSTOM_STATUS, Kind.SCHEDULE, Kind.TICKET)
    with Ledger.open(":memory:") as ledger:
        reports = [
            Migration(
                sources=[source_of(source_account, clock, "emea")],
                target=target_of(target_account, clock),
                ledger=ledger,
                progress=False,
            ).run(dry_run=dry)
            for dry in (True, False)
        ]
    dry, run = ({k.value: r.kinds[k.value].as_dict() for k in kinds} for r in reports)
    assert dry == run
    assert (run["custom_status"]["matched"], run["custom_status"]["created"]) == (5, 1)
    assert (run["ticket_form"]["matched"], run["ticket_form"]["created"]) == (1, 1)
    assert run["brand"]["created"] == 2
    assert run["schedule"]["created"] == 1


def test_a_brand_written_before_keeps_its_target_when_renamed_in_the_source(
    configured: None,
) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=clock, subdomain="new")
    files = source_of(account, clock, "emea")
    item = Outgoing(key=SourceKey("emea", Kind.BRAND, PAY.id), record=PAY)
    [first] = target_of(account, clock).write(Kind.BRAND, [item], files)
    renamed = attrs.evolve(item, record=attrs.evolve(PAY, name="Pay"), target_id=first.target_id)
    [again] = target_of(account, clock).write(Kind.BRAND, [renamed], files)
    assert again.target_id == first.target_id
    assert sorted(b["name"] for b in account.backend.config.brands.values()) == [
        "Exchange Pay",
        "new",
    ]
