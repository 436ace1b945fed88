"""A desk with brands, ticket forms, custom statuses, a schedule with holidays, secondary
identities and users in several organizations, migrated into the Freshdesk emulator from the
memory source, then read back from the target the way reconciliation reads it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import attrs
import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.freshdesk import convert
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.platform import PLATFORM
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import (
    KEPT_OUT_COMPANIES,
    SCHEDULE_NOT_CREATABLE,
    FreshdeskTarget,
)
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.origin import ORIGIN_FIELD, origin_of, parse_origin
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.schema import (
    Brand,
    CustomStatus,
    Holiday,
    Identity,
    Interval,
    Kind,
    Organization,
    OrganizationMembership,
    Record,
    Ref,
    Role,
    Schedule,
    SourceKey,
    Status,
    Ticket,
    TicketForm,
    User,
)
from cemigrate.testing.desks import plain_desk

KEY = "p6-key"
FD = FreshdeskCredentials(api_key=KEY)
INSTANCE = "emea"

BRANDS = (
    Brand(id="901", name="Acme Pay", subdomain="acme-pay", default=True),
    Brand(id="902", name="Acme Shop", subdomain="acme-shop"),
)
FORMS = (TicketForm(id="911", name="Refund request"), TicketForm(id="912", name="Bug report"))
STATUSES = (
    CustomStatus(id="921", category=Status.OPEN, agent_label="Waiting on vendor"),
    CustomStatus(id="922", category=Status.PENDING, agent_label="Awaiting customer reply"),
)
SCHEDULE = Schedule(
    id="931",
    name="Office hours",
    time_zone="Europe/Berlin",
    intervals=tuple(Interval(start=day * 1440 + 540, end=day * 1440 + 1020) for day in range(1, 6)),
    holidays=(
        Holiday(name="New Year", start_date="2026-01-01", end_date="2026-01-01"),
        Holiday(name="Christmas", start_date="2026-12-24", end_date="2026-12-26"),
    ),
)
EXTRA_EMAILS = 11
"""More e-mails than a contact's 9 other_emails hold: the rest go to its description."""


def _desk() -> HelpDesk:
    """A generated desk with the objects issue 17 adds (P0 fills the demo dataset with them;
    until then they are added here)."""
    desk = plain_desk(generate(tickets=24, seed=3, instance=INSTANCE))
    orgs = desk.organizations
    assert len(orgs) >= 3
    contacts = [u for u in desk.users if u.role is Role.END_USER and not (u.deleted or u.suspended)]
    users: dict[str, User] = {u.id: u for u in desk.users}
    with_org = []
    for number, person in enumerate(contacts[:3]):
        if person.organization is None:
            person = attrs.evolve(
                person, organization=Ref(kind=Kind.ORGANIZATION, id=orgs[number].id)
            )
        users[person.id] = person
        with_org.append(person)
    first, second = with_org[0], with_org[1]
    kept_out = next(
        u for u in desk.users if u.role is Role.END_USER and u.suspended and not u.deleted
    )
    kept_out = attrs.evolve(kept_out, organization=Ref(kind=Kind.ORGANIZATION, id=orgs[0].id))
    users[kept_out.id] = kept_out
    agents = [u for u in desk.users if u.role is Role.AGENT and u.email and not u.suspended]
    users[agents[0].id] = attrs.evolve(
        agents[0], ticket_restriction="groups", signature="Kind regards, the pay team"
    )
    users[agents[1].id] = attrs.evolve(agents[1], ticket_restriction="organization")
    users[first.id] = attrs.evolve(
        first,
        details="Prefers e-mail",
        notes="VIP since 2019",
        identities=(
            *first.identities,
            *(Identity(type="email", value=f"alt{i}@first.example") for i in range(EXTRA_EMAILS)),
            Identity(type="phone_number", value="+49 30 1234567"),
            Identity(type="twitter", value="firstperson"),
            Identity(type="facebook", value="first.person.fb"),
        ),
    )
    users[second.id] = attrs.evolve(
        second,
        identities=(
            *second.identities,
            Identity(type="email", value="second.other@example.org"),
            Identity(type="phone_number", value="+1 555 0100"),
        ),
    )
    memberships = []
    for number, person in enumerate(with_org):
        assert person.organization is not None
        others = [o for o in orgs if o.id != person.organization.id][:2]
        memberships.append(
            OrganizationMembership(
                id=f"om-{person.id}-0",
                user=Ref(kind=Kind.USER, id=person.id),
                organization=person.organization,
                default=True,
                view_tickets=number == 0,
            )
        )
        for org in others:
            memberships.append(
                OrganizationMembership(
                    id=f"om-{person.id}-{org.id}",
                    user=Ref(kind=Kind.USER, id=person.id),
                    organization=Ref(kind=Kind.ORGANIZATION, id=org.id),
                    view_tickets=number == 1,
                )
            )
    memberships.append(
        OrganizationMembership(
            id=f"om-{kept_out.id}-{orgs[1].id}",
            user=Ref(kind=Kind.USER, id=kept_out.id),
            organization=Ref(kind=Kind.ORGANIZATION, id=orgs[1].id),
        )
    )
    organizations: list[Organization] = [
        attrs.evolve(org, notes=f"Account notes {org.id}") if i == 0 else org
        for i, org in enumerate(orgs)
    ]
    tickets = []
    for i, ticket in enumerate(desk.tickets):
        if ticket.deleted or i >= 16:
            tickets.append(ticket)
            continue
        status = STATUSES[i % 2]
        comments = tuple(
            attrs.evolve(
                c,
                metadata={"system": {"ip_address": f"10.0.0.{n}", "location": "Berlin"}},
            )
            for n, c in enumerate(ticket.comments)
        )
        tickets.append(
            attrs.evolve(
                ticket,
                brand=Ref(kind=Kind.BRAND, id=BRANDS[i % 2].id),
                form=Ref(kind=Kind.TICKET_FORM, id=FORMS[i % 2].id) if i % 3 else None,
                custom_status=Ref(kind=Kind.CUSTOM_STATUS, id=status.id),
                status=status.category,
                solved_at=None,
                recipient="support@acme.example",
                via={"channel": "email", "source": {"from": {"address": "x@example.org"}}},
                comments=comments,
            )
        )
    return attrs.evolve(
        desk,
        users=tuple(users[u.id] for u in desk.users),
        organizations=tuple(organizations),
        tickets=tuple(tickets),
        brands=BRANDS,
        ticket_forms=FORMS,
        custom_statuses=STATUSES,
        schedules=(SCHEDULE,),
        organization_memberships=tuple(memberships),
    )


@dataclass
class Migrated:
    desk: HelpDesk
    report: RunReport
    ledger: Ledger
    account: FreshdeskSandbox
    view: FreshdeskSource
    clock: ManualClock
    calls: list[tuple[str, str]]
    """Method and path of every call the migration made to the target."""


def _source(desk: HelpDesk, clock: ManualClock) -> MemorySource:
    return MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance=desk.instance,
        blobs=desk.blob,
        clock=clock,
    )


def _target(account: FreshdeskSandbox, clock: ManualClock) -> FreshdeskTarget:
    return FreshdeskTarget(
        base_url=account.base_url,
        credentials=FD,
        session=account.session(authenticated=False),
        clock=clock,
    )


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    desk = _desk()
    account = FreshdeskSandbox(tickets=0, instance="new", clock=clock, empty=True, api_key=KEY)
    account.add_seats(desk)  # agents (paid seats) and ticket types exist before a migration
    view = FreshdeskSource(
        instance="new",
        base_url=account.base_url,
        credentials=FD,
        session=account.session(authenticated=False),
        clock=clock,
        target_view=True,
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(
            sources=[_source(desk, clock)],
            target=_target(account, clock),
            ledger=ledger,
            progress=False,
        ).run()
        calls = [(method, path) for method, path, *_ in account.freshdesk.requests]
        yield Migrated(desk, report, ledger, account, view, clock, calls)


def _ids(ledger: Ledger, kind: Kind) -> dict[str, str]:
    return {
        e.source_id: e.target_id
        for e in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if e.target_id is not None
    }


def _read(view: Any, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in view.read(kind) for r in batch.records}


def test_the_run_completes_without_failures(migrated: Migrated) -> None:
    assert migrated.report.status == "completed"
    assert migrated.ledger.failures() == []


def test_brands_forms_and_statuses_are_labels_named_after_the_record(migrated: Migrated) -> None:
    assert _ids(migrated.ledger, Kind.BRAND) == {b.id: b.name for b in BRANDS}
    assert _ids(migrated.ledger, Kind.TICKET_FORM) == {f.id: f.name for f in FORMS}
    assert _ids(migrated.ledger, Kind.CUSTOM_STATUS) == {s.id: s.agent_label for s in STATUSES}


def test_the_schedule_is_skipped_under_a_named_policy(migrated: Migrated) -> None:
    skipped = list(migrated.ledger.entries(kind=Kind.SCHEDULE.value))
    assert [(e.source_id, e.state) for e in skipped] == [(SCHEDULE.id, EntryState.SKIPPED)]
    assert SCHEDULE_NOT_CREATABLE.startswith("not-creatable:")
    assert "holidays" in SCHEDULE_NOT_CREATABLE


def test_tickets_read_back_with_their_labels_and_origin(migrated: Migrated) -> None:
    tickets = _ids(migrated.ledger, Kind.TICKET)
    arrived = _read(migrated.view, Kind.TICKET)
    names = {
        "brand": {b.id: b.name for b in BRANDS},
        "form": {f.id: f.name for f in FORMS},
        "custom_status": {s.id: s.agent_label for s in STATUSES},
    }
    labels = PLATFORM.profile.ticket_labels
    checked = 0
    for source in migrated.desk.tickets:
        if source.deleted:
            continue
        after = arrived[tickets[source.id]]
        assert isinstance(after, Ticket)
        for attribute, key in labels.items():
            ref = getattr(source, attribute)
            expected = None if ref is None else names[attribute][ref.id]
            assert after.custom_fields.get(key) == expected, (source.id, attribute)
        origin = parse_origin(after.custom_fields.get(ORIGIN_FIELD))
        assert origin == (origin_of(source) or None), source.id
        if source.custom_status is not None:
            assert after.status is source.status  # the custom status's category
            checked += 1
    assert checked == sum(1 for t in migrated.desk.tickets if t.custom_status and not t.deleted)
    assert checked > 10


def test_the_origin_and_label_fields_are_never_shown_to_customers(migrated: Migrated) -> None:
    fields = {
        convert.field_key(str(f["name"])): f
        for f in migrated.account.backend.fields["ticket"].values()
        if not f["default"]
    }
    own = [ORIGIN_FIELD, *(d.key for d in convert.LABEL_FIELDS.values())]
    for key in own:
        assert fields[key]["displayed_to_customers"] is False, key
        assert fields[key]["customers_can_edit"] is False, key
    assert fields[ORIGIN_FIELD]["type"] == "custom_paragraph"


def _pairs(identities: Sequence[Identity]) -> set[tuple[str, str]]:
    return {(i.type, i.value.lower() if i.type == "email" else i.value) for i in identities}


def test_contacts_read_back_with_every_identity_details_and_notes(migrated: Migrated) -> None:
    users = _ids(migrated.ledger, Kind.USER)
    arrived = _read(migrated.view, Kind.USER)
    contacts = migrated.account.backend.contacts
    shared = Counter(users.values())  # a contact adopted by a second user with its e-mail
    checked = 0
    for person in migrated.desk.users:
        if person.role is not Role.END_USER or person.deleted or person.suspended:
            continue
        if shared[users[person.id]] > 1:
            continue
        after = arrived[users[person.id]]
        assert isinstance(after, User)
        wanted = _pairs(person.identities)
        if person.phone:
            wanted.add(("phone_number", person.phone))
        if person.email:
            wanted.add(("email", person.email.lower()))
        assert _pairs(after.identities) == wanted, person.id
        assert (after.details, after.notes) == (person.details, person.notes), person.id
        checked += 1
    first = next(u for u in migrated.desk.users if u.notes)
    stored = contacts[int(users[first.id])]
    assert len(stored["other_emails"]) == convert.MAX_OTHER_EMAILS
    assert stored["mobile"] == "+49 30 1234567"
    assert stored["twitter_id"] == "firstperson"
    assert "facebook: first.person.fb" in stored["description"]
    assert checked > 3


def test_organizations_keep_their_notes_in_the_company_note(migrated: Migrated) -> None:
    orgs = _ids(migrated.ledger, Kind.ORGANIZATION)
    arrived = _read(migrated.view, Kind.ORGANIZATION)
    for org in migrated.desk.organizations:
        after = arrived[orgs[org.id]]
        assert isinstance(after, Organization)
        assert (after.notes, after.details) == (org.notes, org.details), org.id
    assert any(org.notes for org in migrated.desk.organizations)


def test_agents_keep_their_ticket_scope_and_signature(migrated: Migrated) -> None:
    users = _ids(migrated.ledger, Kind.USER)
    arrived = _read(migrated.view, Kind.USER)
    restricted = [u for u in migrated.desk.users if u.ticket_restriction]
    assert len(restricted) == 2
    for person in restricted:
        after = arrived[users[person.id]]
        assert isinstance(after, User)
        stored = migrated.account.backend.agents[int(users[person.id])]
        assert stored["ticket_scope"] == convert.ticket_scope(person.ticket_restriction)
        assert after.signature == person.signature
        # "organization" has no Freshdesk scope: the narrower "own tickets" reads back
        expected = "assigned" if person.ticket_restriction == "organization" else "groups"
        assert after.ticket_restriction == expected


def _memberships(migrated: Migrated) -> set[tuple[str, str, bool, bool]]:
    return {
        (m.user.id, m.organization.id, m.default, m.view_tickets)
        for m in _read(migrated.view, Kind.ORGANIZATION_MEMBERSHIP).values()
        if isinstance(m, OrganizationMembership)
    }


def test_memberships_read_back_as_contacts_companies(migrated: Migrated) -> None:
    users = _ids(migrated.ledger, Kind.USER)
    orgs = _ids(migrated.ledger, Kind.ORGANIZATION)
    suspended = {u.id for u in migrated.desk.users if u.suspended}
    kept_out = {m.id for m in migrated.desk.organization_memberships if m.user.id in suspended}
    expected = {
        (users[m.user.id], orgs[m.organization.id], m.default, m.view_tickets)
        for m in migrated.desk.organization_memberships
        if m.id not in kept_out
    }
    found = _memberships(migrated)
    assert expected <= found
    done = _ids(migrated.ledger, Kind.ORGANIZATION_MEMBERSHIP)
    skipped = {
        e.source_id
        for e in migrated.ledger.entries(
            kind=Kind.ORGANIZATION_MEMBERSHIP.value, state=EntryState.SKIPPED
        )
    }
    assert skipped == kept_out  # Freshdesk refuses to change a soft-deleted contact
    assert len(kept_out) == 1
    assert set(done) == {m.id for m in migrated.desk.organization_memberships} - kept_out
    # Written from what the run knows of the contacts it created: no view, one update each.
    contact_calls = [c for c in migrated.calls if re.fullmatch(r"/api/v2/contacts/\d+", c[1])]
    assert [m for m, _ in contact_calls].count("GET") == 0
    assert [m for m, _ in contact_calls].count("PUT") == 3
    several = [c for c in migrated.account.backend.contacts.values() if c["other_companies"]]
    assert len(several) == 3
    assert all(len(c["other_companies"]) == 2 for c in several)


def test_memberships_sent_again_after_a_crash_are_not_added_twice(migrated: Migrated) -> None:
    """A crash after the contact update and before the ledger recorded it: the memberships
    are sent again by a new target, which finds them held and adds nothing."""
    users = _ids(migrated.ledger, Kind.USER)
    orgs = _ids(migrated.ledger, Kind.ORGANIZATION)
    backend = migrated.account.backend
    before = {cid: list(c["other_companies"]) for cid, c in backend.contacts.items()}
    batch = [
        Outgoing(
            key=SourceKey(instance=INSTANCE, kind=Kind.ORGANIZATION_MEMBERSHIP, id=m.id),
            record=m,
            links={m.user: users[m.user.id], m.organization: orgs[m.organization.id]},
        )
        for m in migrated.desk.organization_memberships
    ]
    requests = migrated.account.freshdesk.requests
    start = len(requests)
    results = _target(migrated.account, migrated.clock).write(
        Kind.ORGANIZATION_MEMBERSHIP, batch, _source(migrated.desk, migrated.clock)
    )
    assert [r.error for r in results] == [""] * len(batch)
    assert {r.target_id for r in results if not r.skipped} == set(
        _ids(migrated.ledger, Kind.ORGANIZATION_MEMBERSHIP).values()
    )
    assert [r.skipped for r in results if r.skipped] == [KEPT_OUT_COMPANIES]
    assert {cid: list(c["other_companies"]) for cid, c in backend.contacts.items()} == before
    calls = [(method, path) for method, path, *_ in requests[start:]]
    assert not [c for c in calls if c[0] != "GET"]  # nothing to add: no update
    assert len([c for c in calls if c[1].startswith("/api/v2/contacts/")]) == 4  # one per contact
