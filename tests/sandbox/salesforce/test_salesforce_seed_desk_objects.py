"""The Salesforce emulator seeds what a desk's schedules and organization memberships become in
an org: BusinessHours with one interval a day, all-day Holiday rows, and AccountContactRelation
rows (the direct one from each Contact's account, the others indirect), read back through the
Salesforce source."""

from __future__ import annotations

import attrs

from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import (
    Holiday,
    Interval,
    Kind,
    OrganizationMembership,
    Ref,
    Role,
    Schedule,
)

DAY = 24 * 60


def test_a_desk_with_schedules_and_memberships_seeds_and_reads_back() -> None:
    desk = generate(tickets=10, seed=4, instance="emea")
    people = [
        u for u in desk.users if u.role is Role.END_USER and u.organization and not u.deleted
    ][:3]
    others = [o.id for o in desk.organizations]
    memberships = [
        OrganizationMembership(
            id=f"m{person.id}",
            user=Ref(kind=Kind.USER, id=person.id),
            organization=Ref(
                kind=Kind.ORGANIZATION,
                id=next(o for o in others if o != person.organization.id),  # type: ignore[union-attr]
            ),
        )
        for person in people
    ]
    office = Schedule(
        id="1",
        name="Office",
        time_zone="Europe/Paris",
        intervals=tuple(Interval(start=d * DAY + 480, end=d * DAY + 1080) for d in range(1, 6)),
        holidays=(Holiday(name="Bastille Day", start_date="2026-07-14", end_date="2026-07-14"),),
    )
    desk = attrs.evolve(desk, schedules=(office,), organization_memberships=tuple(memberships))
    clock = ManualClock()
    org = SalesforceSandbox(desk=desk, clock=clock)

    hours = org.backend.table("BusinessHours")
    assert [(h["Name"], h["MondayStartTime"], h["FridayEndTime"]) for h in hours] == [
        ("Office", "08:00:00.000Z", "18:00:00.000Z")
    ]
    assert hours[0]["SundayStartTime"] is None
    assert [(h["Name"], h["ActivityDate"]) for h in org.backend.table("Holiday")] == [
        ("Bastille Day", "2026-07-14")
    ]
    relations = org.backend.table("AccountContactRelation")
    with_account = [
        u for u in desk.users if u.role is Role.END_USER and u.organization and not u.deleted
    ]
    assert sum(1 for r in relations if r["IsDirect"]) == len(with_account)
    assert sum(1 for r in relations if not r["IsDirect"]) == len(memberships)

    source = SalesforceSource(
        instance="emea",
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )
    [schedule] = [r for batch in source.read(Kind.SCHEDULE) for r in batch.records]
    assert isinstance(schedule, Schedule)
    assert schedule.intervals == office.intervals
    assert schedule.time_zone == "Europe/Paris"
    assert schedule.holidays == ()  # linked in Setup: no API field says to which hours
    read = [r for batch in source.read(Kind.ORGANIZATION_MEMBERSHIP) for r in batch.records]
    assert len(read) == len(relations)
    assert sum(1 for m in read if isinstance(m, OrganizationMembership) and m.default) == len(
        with_account
    )
