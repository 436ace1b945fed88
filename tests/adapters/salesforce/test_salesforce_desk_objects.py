"""A help desk with brands, ticket forms, custom statuses, business-hours schedules, secondary
identities and several organizations per user, migrated into an emulated Salesforce org from
the memory source, then read back through the Salesforce source.

The desk is a generated one with those records added (``attrs.evolve``), so the target is tested
on its own, whatever the Zendesk source reads. A second run with the same ledger and a third with
a new one (the ledger lost) add no row: every new kind is found again.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import attrs
import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.origin import origin_of, parse_origin
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.kept import UNEXPRESSIBLE_SCHEDULE
from cemigrate.adapters.salesforce.platform import PLATFORM
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import AGENT_MEMBERSHIP
from cemigrate.copier import Migration, RunReport
from cemigrate.errors import RecordError
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.salesforce.exceptions import SalesforceError
from cemigrate.schema import (
    Brand,
    CustomStatus,
    Holiday,
    Identity,
    Interval,
    Kind,
    OrganizationMembership,
    Ref,
    Role,
    Schedule,
    SourceKey,
    Status,
    Ticket,
    TicketForm,
    User,
)
from cemigrate.testing.salesforce import org_target

INSTANCE = "emea"
EXT = "Cemigrate_Id__c"
DAY = 24 * 60
Row = Mapping[str, Any]

BRANDS = (
    Brand(id="b1", name="Exchange", subdomain="exchange", default=True),
    Brand(id="b2", name="Exchange Pay", subdomain="exchange-pay"),
)
FORMS = (
    TicketForm(id="f1", name="Default ticket form", default=True),
    TicketForm(id="f2", name="Refund request"),
)
STATUSES = (
    CustomStatus(id="s1", category=Status.OPEN, agent_label="Open", default=True),
    CustomStatus(id="s2", category=Status.OPEN, agent_label="Escalated to bank"),
    CustomStatus(id="s3", category=Status.PENDING, agent_label="Waiting on customer"),
    CustomStatus(id="s4", category=Status.SOLVED, agent_label="Solved"),
)
OFFICE = Schedule(
    id="sch1",
    name="Berlin office",
    time_zone="Europe/Berlin",
    intervals=tuple(Interval(start=d * DAY + 9 * 60, end=d * DAY + 17 * 60) for d in range(1, 6)),
    holidays=(
        Holiday(name="Christmas", start_date="2026-12-24", end_date="2026-12-26"),
        Holiday(name="New Year", start_date="2027-01-01", end_date="2027-01-01"),
    ),
    default=True,
)
ROUND_THE_CLOCK = Schedule(
    id="sch2",
    name="Around the clock",
    time_zone="UTC",
    intervals=tuple(Interval(start=d * DAY, end=(d + 1) * DAY) for d in range(7)),
)
SPLIT = Schedule(
    id="sch3",
    name="Split shifts",
    intervals=(
        Interval(start=DAY + 8 * 60, end=DAY + 12 * 60),
        Interval(start=DAY + 13 * 60, end=DAY + 17 * 60),
    ),
)
HUGE_TICKET = "origin-too-long"
NO_FILES: Any = None
"""Schedules and memberships carry no files."""


def enrich(desk: HelpDesk) -> HelpDesk:
    """The generated desk with the records real Zendesk accounts hold."""
    organizations = [o.id for o in desk.organizations]
    users: list[User] = []
    memberships: list[OrganizationMembership] = []
    extra = itertools.cycle(organizations)
    rich = 0
    for person in desk.users:
        if person.role is Role.END_USER and person.organization and person.email and rich < 6:
            rich += 1
            person = attrs.evolve(
                person,
                phone=f"+49 30 5550{rich:03d}",
                identities=(
                    Identity(type="email", value=person.email, primary=True, verified=True, id="1"),
                    Identity(type="email", value=f"second{rich}@mail.example", id="2"),
                    Identity(type="phone_number", value=f"+49 30 5550{rich:03d}", id="3"),
                    Identity(type="phone_number", value=f"+49 170 555{rich:04d}", id="4"),
                    Identity(type="twitter", value=f"handle{rich}", verified=True, id="5"),
                ),
                external_id=f"crm-{rich}",
                notes=f"Prefers e-mail ({rich})",
            )
            memberships.append(
                OrganizationMembership(
                    id=f"m{person.id}",
                    user=Ref(kind=Kind.USER, id=person.id),
                    organization=person.organization,
                    default=True,
                )
            )
            other = next(o for o in extra if o != person.organization.id)
            memberships.append(
                OrganizationMembership(
                    id=f"x{person.id}",
                    user=Ref(kind=Kind.USER, id=person.id),
                    organization=Ref(kind=Kind.ORGANIZATION, id=other),
                )
            )
        users.append(person)
    agent = next(u for u in desk.users if u.role is Role.AGENT)
    memberships.append(
        OrganizationMembership(
            id="agent-membership",
            user=Ref(kind=Kind.USER, id=agent.id),
            organization=Ref(kind=Kind.ORGANIZATION, id=organizations[0]),
        )
    )
    tickets: list[Ticket] = []
    for index, ticket in enumerate(desk.tickets):
        status = STATUSES[index % len(STATUSES)] if index % 5 else None
        if status is not None:
            ticket = attrs.evolve(ticket, status=status.category)
        comments = ticket.comments
        if comments:
            first = attrs.evolve(
                comments[0],
                metadata={"system": {"ip_address": "203.0.113.7", "location": "Berlin, Germany"}},
            )
            comments = (first, *comments[1:])
        ticket = attrs.evolve(
            ticket,
            brand=Ref(kind=Kind.BRAND, id=BRANDS[index % 2].id),
            form=Ref(kind=Kind.TICKET_FORM, id=FORMS[index % 2].id) if index % 3 else None,
            custom_status=None if status is None else Ref(kind=Kind.CUSTOM_STATUS, id=status.id),
            recipient="support@exchange.example",
            via={"channel": "email", "source": {"from": {"address": "customer@mail.example"}}},
            comments=comments,
        )
        tickets.append(ticket)
    live = next(t for t in tickets if not t.deleted and t.comments)
    huge = attrs.evolve(
        live,
        id=HUGE_TICKET,
        comments=(attrs.evolve(live.comments[0], metadata={"system": {"blob": "x" * 140_000}}),),
    )
    tickets.append(huge)
    return attrs.evolve(
        desk,
        users=tuple(users),
        tickets=tuple(tickets),
        brands=BRANDS,
        ticket_forms=FORMS,
        custom_statuses=STATUSES,
        schedules=(OFFICE, ROUND_THE_CLOCK, SPLIT),
        organization_memberships=tuple(memberships),
    )


@dataclass
class Migrated:
    desk: HelpDesk
    org: SalesforceSandbox
    clock: ManualClock
    ledger: Ledger
    report: RunReport

    def rows(self, sobject: str) -> list[Row]:
        return list(self.org.backend.table(sobject))

    def target_id(self, kind: Kind, source_id: str) -> str | None:
        entry = self.ledger.lookup([f"{INSTANCE}:{kind}:{source_id}"]).get(
            f"{INSTANCE}:{kind}:{source_id}"
        )
        return None if entry is None else entry.target_id


def run(desk: HelpDesk, org: SalesforceSandbox, clock: ManualClock, ledger: Ledger) -> RunReport:
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance=desk.instance,
        blobs=desk.blob,
        clock=clock,
    )
    return Migration(
        sources=[source], target=org_target(org, clock=clock), ledger=ledger, progress=False
    ).run()


def is_rich(person: User) -> bool:
    """One of the people :func:`enrich` gave secondary identities and a second account."""
    return (person.external_id or "").startswith("crm-")


def add_agents(org: SalesforceSandbox, desk: HelpDesk) -> None:
    """The agents are the org's Users before the migration (Users need licences)."""
    seen: set[str] = set()
    for person in desk.users:
        if person.role is not Role.END_USER and person.email and person.email not in seen:
            seen.add(person.email)
            profile = "System Administrator" if person.role is Role.ADMIN else "Standard User"
            org.add_user(name=person.name, email=person.email, profile=profile)


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    desk = enrich(generate(tickets=30, seed=11, instance=INSTANCE))
    org = SalesforceSandbox(tickets=0, instance="new", empty=True, clock=clock)
    add_agents(org, desk)
    with Ledger.open(":memory:") as ledger:
        yield Migrated(desk, org, clock, ledger, run(desk, org, clock, ledger))


def cases(m: Migrated) -> dict[str, Row]:
    return {str(c[EXT]).rsplit(":", 1)[-1]: c for c in m.rows("Case") if c.get(EXT)}


def test_cases_carry_the_brand_form_and_custom_status_names(migrated: Migrated) -> None:
    names = {
        **{b.id: b.name for b in BRANDS},
        **{f.id: f.name for f in FORMS},
        **{s.id: s.agent_label for s in STATUSES},
    }
    by_ticket = cases(migrated)
    checked = Counter[str]()
    for ticket in migrated.desk.tickets:
        case = by_ticket.get(ticket.id)
        if ticket.deleted or ticket.id == HUGE_TICKET:
            assert case is None
            continue
        assert case is not None, ticket.id
        for attribute, field in (
            ("brand", "Cemigrate_Brand__c"),
            ("form", "Cemigrate_Form__c"),
            ("custom_status", "Cemigrate_Custom_Status__c"),
        ):
            ref = getattr(ticket, attribute)
            assert case.get(field) == (None if ref is None else names[ref.id])
            checked[attribute] += ref is not None
    assert checked["brand"]
    assert checked["form"]
    assert checked["custom_status"]
    # the label records are in the ledger with their names as target ids
    assert migrated.target_id(Kind.BRAND, "b2") == "Exchange Pay"
    assert migrated.target_id(Kind.CUSTOM_STATUS, "s3") == "Waiting on customer"


def test_cases_keep_the_origin_and_one_too_long_fails_by_name(migrated: Migrated) -> None:
    by_ticket = cases(migrated)
    live = [t for t in migrated.desk.tickets if not t.deleted and t.id != HUGE_TICKET]
    for ticket in live:
        kept = parse_origin(by_ticket[ticket.id].get("Cemigrate_Origin__c"))
        assert kept == json.loads(json.dumps(origin_of(ticket)))
    failures = migrated.ledger.failures(kind="ticket")
    assert [f.key for f in failures] == [f"{INSTANCE}:ticket:{HUGE_TICKET}"]
    assert "131,072" in failures[0].reason
    described = migrated.org.session().get(
        f"{migrated.org.base_url}/services/data/v59.0/sobjects/Case/describe"
    )
    field = next(f for f in described.json()["fields"] if f["name"] == "Cemigrate_Origin__c")
    assert field["length"] == 131_072
    assert field["type"] == "textarea"


def test_contacts_hold_identities_notes_and_external_ids(migrated: Migrated) -> None:
    contacts = {str(c[EXT]).rsplit(":", 1)[-1]: c for c in migrated.rows("Contact") if c.get(EXT)}
    rich = [u for u in migrated.desk.users if is_rich(u)]
    assert len(rich) >= 2
    for person in rich:
        row = contacts[person.id]
        assert row["Email"] == person.email
        assert row["Phone"] == person.phone
        assert row["MobilePhone"] == person.identities[3].value
        assert row["OtherPhone"] is None
        assert row["Description"] == person.notes
        assert row["Cemigrate_External_Id__c"] == person.external_id
        rest = json.loads(row["Cemigrate_Identities__c"])
        assert rest == [
            {"type": "email", "value": person.identities[1].value, "id": "2"},
            {"type": "twitter", "value": person.identities[4].value, "verified": True, "id": "5"},
        ]


def test_memberships_are_account_contact_relations(migrated: Migrated) -> None:
    relations = Counter(
        (str(r["AccountId"]), str(r["ContactId"]), bool(r["IsDirect"]))
        for r in migrated.rows("AccountContactRelation")
    )
    assert max(relations.values()) == 1
    for membership in migrated.desk.organization_memberships:
        if membership.id == "agent-membership":
            continue
        account = migrated.target_id(Kind.ORGANIZATION, membership.organization.id)
        contact = migrated.target_id(Kind.USER, membership.user.id)
        wanted = (str(account), str(contact), membership.default)
        assert relations[wanted] == 1, membership
        assert migrated.target_id(Kind.ORGANIZATION_MEMBERSHIP, membership.id) is not None
    skipped = [
        e.key
        for e in migrated.ledger.entries(kind="organization_membership", state=EntryState.SKIPPED)
    ]
    assert skipped == [f"{INSTANCE}:organization_membership:agent-membership"]


def test_schedules_are_business_hours_with_holidays(migrated: Migrated) -> None:
    hours = {str(r["Name"]): r for r in migrated.rows("BusinessHours")}
    office = hours["Berlin office"]
    assert office["IsActive"] is True
    assert office["IsDefault"] is False
    assert office["TimeZoneSidKey"] == "Europe/Berlin"
    assert office["MondayStartTime"] == "09:00:00.000Z"
    assert office["FridayEndTime"] == "17:00:00.000Z"
    assert office["SundayStartTime"] is None
    assert office["SaturdayEndTime"] is None
    clock = hours["Around the clock"]
    assert clock["WednesdayStartTime"] == clock["WednesdayEndTime"] == "00:00:00.000Z"
    assert "Split shifts" not in hours
    assert migrated.target_id(Kind.SCHEDULE, "sch1") == office["Id"]
    entry = migrated.ledger.lookup([f"{INSTANCE}:schedule:sch3"])[f"{INSTANCE}:schedule:sch3"]
    assert entry.state is EntryState.SKIPPED
    holidays = sorted(
        (str(r["Name"]), str(r["ActivityDate"]), str(r["Description"]))
        for r in migrated.rows("Holiday")
    )
    tag = "cemigrate: Berlin office"
    assert holidays == [
        ("Christmas", "2026-12-24", tag),
        ("Christmas", "2026-12-25", tag),
        ("Christmas", "2026-12-26", tag),
        ("New Year", "2027-01-01", tag),
    ]


def test_the_salesforce_source_reads_it_all_back(migrated: Migrated) -> None:
    view = PLATFORM.profile
    assert view.ticket_labels == {
        "brand": "cemigrate_brand",
        "form": "cemigrate_form",
        "custom_status": "cemigrate_custom_status",
    }
    org = migrated.org
    source = SalesforceSource(
        instance="back",
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=migrated.clock,
    )
    assert {Kind.SCHEDULE, Kind.ORGANIZATION_MEMBERSHIP} <= source.describe().kinds

    def read(kind: Kind) -> list[Any]:
        return [r for batch in source.read(kind) for r in batch.records]

    names = {b.id: b.name for b in BRANDS} | {s.id: s.agent_label for s in STATUSES}
    tickets = {t.id: t for t in read(Kind.TICKET)}
    by_source = {t.id: t for t in migrated.desk.tickets}
    checked = 0
    for source_id, case in cases(migrated).items():
        back = tickets[str(case["Id"])]
        ticket = by_source[source_id]
        assert back.custom_fields["cemigrate_brand"] == names[ticket.brand.id]  # type: ignore[union-attr]
        if ticket.custom_status is not None:
            assert back.custom_fields["cemigrate_custom_status"] == names[ticket.custom_status.id]
        assert parse_origin(back.custom_fields["cemigrate_origin"]) == json.loads(
            json.dumps(origin_of(ticket))
        )
        # references are compared through the ledger's ids (reconciliation), not here
        for attribute in view.keeps[Kind.TICKET] - {
            "requester",
            "organization",
            "assignee",
            "group",
        }:
            assert getattr(back, attribute) == getattr(ticket, attribute), attribute
        checked += 1
    assert checked > 10

    people = {u.id: u for u in read(Kind.USER)}
    for person in (u for u in migrated.desk.users if is_rich(u)):
        back = people[str(migrated.target_id(Kind.USER, person.id))]
        assert back.external_id == person.external_id
        assert back.notes == person.notes
        assert {(i.type, i.value) for i in back.identities} == {
            (i.type, i.value) for i in person.identities
        }

    memberships = read(Kind.ORGANIZATION_MEMBERSHIP)
    written = {
        (
            migrated.target_id(Kind.USER, m.user.id),
            migrated.target_id(Kind.ORGANIZATION, m.organization.id),
            m.default,
        )
        for m in migrated.desk.organization_memberships
        if m.id != "agent-membership"
    }
    back_pairs = {(m.user.id, m.organization.id, m.default) for m in memberships}
    assert written <= back_pairs

    schedules = {s.name: s for s in read(Kind.SCHEDULE)}
    for written_schedule in (OFFICE, ROUND_THE_CLOCK):
        back_schedule = schedules[written_schedule.name]
        for attribute in view.keeps[Kind.SCHEDULE] - {"holidays"}:
            assert getattr(back_schedule, attribute) == getattr(written_schedule, attribute)
    assert [(h.name, h.start_date, h.end_date) for h in schedules["Berlin office"].holidays] == [
        (h.name, h.start_date, h.end_date) for h in OFFICE.holidays
    ]


COUNTED = ("Case", "Contact", "Account", "AccountContactRelation", "BusinessHours", "Holiday")


def test_a_second_run_and_a_run_without_the_ledger_add_nothing(migrated: Migrated) -> None:
    before = {s: len(migrated.rows(s)) for s in COUNTED}
    again = run(migrated.desk, migrated.org, migrated.clock, migrated.ledger)
    assert again.kinds["schedule"].created == 0
    assert {s: len(migrated.rows(s)) for s in COUNTED} == before
    with Ledger.open(":memory:") as fresh:
        run(migrated.desk, migrated.org, migrated.clock, fresh)
        assert {s: len(migrated.rows(s)) for s in COUNTED} == before
        assert {e.key for e in fresh.entries(state=EntryState.FAILED)} == {
            f"{INSTANCE}:ticket:{HUGE_TICKET}"
        }


def test_a_dry_run_predicts_the_skipped_schedule() -> None:
    clock = ManualClock()
    desk = enrich(generate(tickets=5, seed=11, instance=INSTANCE))
    org = SalesforceSandbox(tickets=0, instance="new", empty=True, clock=clock)
    source = MemorySource({k: desk.records(k) for k in Kind}, instance=INSTANCE, clock=clock)
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[source], target=org_target(org, clock=clock), ledger=ledger, progress=False
        ).run(dry_run=True)
    assert report.kinds["schedule"].skipped == 1
    assert report.kinds["schedule"].created == 2
    assert org.backend.table("BusinessHours") == []


def test_what_salesforce_cannot_hold_is_skipped_under_a_named_policy(migrated: Migrated) -> None:
    assert migrated.report.kinds["schedule"].skipped == 1
    target = org_target(migrated.org, clock=migrated.clock)
    agent = next(u for u in migrated.desk.users if u.role is Role.AGENT)
    membership = next(
        m for m in migrated.desk.organization_memberships if m.id == "agent-membership"
    )
    schedule_result = target.write(
        Kind.SCHEDULE,
        [Outgoing(key=SourceKey(instance=INSTANCE, kind=Kind.SCHEDULE, id="sch3"), record=SPLIT)],
        NO_FILES,
    )[0]
    assert schedule_result.skipped.startswith(f"{UNEXPRESSIBLE_SCHEDULE}: ")
    assert "opens twice on Monday" in schedule_result.skipped
    member_result = target.write(
        Kind.ORGANIZATION_MEMBERSHIP,
        [
            Outgoing(
                key=SourceKey(
                    instance=INSTANCE, kind=Kind.ORGANIZATION_MEMBERSHIP, id=membership.id
                ),
                record=membership,
                links={
                    membership.user: str(migrated.target_id(Kind.USER, agent.id)),
                    membership.organization: str(
                        migrated.target_id(Kind.ORGANIZATION, membership.organization.id)
                    ),
                },
            )
        ],
        NO_FILES,
    )[0]
    assert member_result.skipped == AGENT_MEMBERSHIP


def test_the_emulator_answers_as_salesforce_does(migrated: Migrated) -> None:
    """Errors of the objects this part uses: a duplicate relation, a private contact, a bad
    time, deleting business hours, a Long Text Area over 131,072 characters."""
    backend = migrated.org.backend
    relation = next(r for r in migrated.rows("AccountContactRelation") if not r["IsDirect"])
    with pytest.raises(SalesforceError) as duplicate:
        backend.insert(
            "AccountContactRelation",
            {"AccountId": relation["AccountId"], "ContactId": relation["ContactId"]},
        )
    assert duplicate.value.error_code == "DUPLICATE_VALUE"
    private = backend.insert("Contact", {"LastName": "Private"})
    assert not [r for r in migrated.rows("AccountContactRelation") if r["ContactId"] == private]
    with pytest.raises(SalesforceError) as refused:
        backend.insert(
            "AccountContactRelation", {"AccountId": relation["AccountId"], "ContactId": private}
        )
    assert refused.value.error_code == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(SalesforceError) as direct:
        backend.insert(
            "AccountContactRelation",
            {"AccountId": relation["AccountId"], "ContactId": private, "IsDirect": True},
        )
    assert direct.value.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceError) as bad_time:
        backend.insert(
            "BusinessHours",
            {"Name": "Bad", "TimeZoneSidKey": "UTC", "MondayStartTime": "25:00:00.000Z"},
        )
    assert bad_time.value.error_code == "JSON_PARSER_ERROR"
    hours = next(iter(migrated.rows("BusinessHours")))
    with pytest.raises(SalesforceError) as undeletable:
        backend.delete("BusinessHours", str(hours["Id"]))
    assert undeletable.value.error_code == "INVALID_TYPE_FOR_OPERATION"
    with pytest.raises(SalesforceError) as too_long:
        backend.create_custom_field(
            "Case.Too_Long__c", {"label": "Too long", "type": "LongTextArea", "length": 131_073}
        )
    assert too_long.value.error_code == "FIELD_INTEGRITY_EXCEPTION"


def test_rollback_removes_what_salesforce_lets_go() -> None:
    """Labels are no records; BusinessHours cannot be deleted (switched off, its holidays
    deleted); a direct account relation goes with its Contact, the others are deleted."""
    clock = ManualClock()
    desk = enrich(generate(tickets=30, seed=11, instance=INSTANCE))
    org = SalesforceSandbox(tickets=0, instance="new", empty=True, clock=clock)
    add_agents(org, desk)
    with Ledger.open(":memory:") as ledger:
        run(desk, org, clock, ledger)
        ids = {
            kind: [
                str(e.target_id)
                for e in ledger.entries(kind=kind.value, state=EntryState.DONE)
                if e.target_id
            ]
            for kind in (Kind.BRAND, Kind.SCHEDULE, Kind.ORGANIZATION_MEMBERSHIP)
        }
    assert ids[Kind.BRAND] == ["Exchange", "Exchange Pay"]
    assert len(ids[Kind.ORGANIZATION_MEMBERSHIP]) == 4  # two people, each in two accounts
    target = org_target(org, clock=clock)
    target.delete(Kind.BRAND, ids[Kind.BRAND])
    with pytest.raises(RecordError, match="cannot delete business hours; switched off"):
        target.delete(Kind.SCHEDULE, ids[Kind.SCHEDULE])  # a rollback lists them as left
    target.delete(Kind.ORGANIZATION_MEMBERSHIP, ids[Kind.ORGANIZATION_MEMBERSHIP])
    assert [h["IsActive"] for h in org.backend.table("BusinessHours")] == [False, False]
    assert org.backend.table("Holiday") == []
    left = org.backend.table("AccountContactRelation")
    assert {str(r["Id"]) for r in left} < set(ids[Kind.ORGANIZATION_MEMBERSHIP])
    assert len(left) == 2
    assert all(r["IsDirect"] for r in left)


def test_a_reconciliation_finds_nothing_lost() -> None:
    """Reconciliation reads the org back through the Salesforce source and compares field by
    field what the profile says Salesforce keeps: labels, origins, memberships, schedules."""
    clock = ManualClock()
    desk = enrich(generate(tickets=30, seed=11, instance=INSTANCE))
    desk = attrs.evolve(desk, tickets=tuple(t for t in desk.tickets if t.id != HUGE_TICKET))
    org = SalesforceSandbox(tickets=0, instance="new", empty=True, clock=clock)
    add_agents(org, desk)

    def source() -> MemorySource:
        records = {kind: desk.records(kind) for kind in Kind}
        return MemorySource(records, instance=INSTANCE, blobs=desk.blob, clock=clock)

    with Ledger.open(":memory:") as ledger:
        target = org_target(org, clock=clock)
        report = Migration(sources=[source()], target=target, ledger=ledger, progress=False).run()
        assert report.failed == 0
        view = SalesforceSource(
            instance="target",
            instance_url=org.base_url,
            credentials=SalesforceCredentials(access_token=org.access_token),
            session=org.session(authenticated=False),
            clock=clock,
            target_view=True,
        )
        found = Reconciliation(
            sources=[source()], target_view=view, ledger=ledger, target=target
        ).run()
    assert [f.message for f in found.findings] == []
    compared = {c["kind"]: c for c in found.as_dict()["fields"]["compared"]}
    assert compared["schedule"]["records"] == 2  # the split-shift one is skipped
    assert compared["organization_membership"]["records"] == 4
    checks = {c["check"]: c["tickets"] for c in found.as_dict()["fields"]["ticket_checks"]}
    assert checks["ticket brand label"] == checks["ticket origin"] == 29
