"""Unmodified zenpy reads every object a migration reads from the Zendesk emulator over loopback.

How zenpy reaches the emulator without a change to its code: zenpy always builds
``https://{subdomain}.zendesk.com`` and takes a ``session=`` in its public constructor. The test
hands it a ``requests.Session`` on which a :class:`~cemigrate.testing.loopback.ForwardingAdapter`
is mounted for ``https://demo.zendesk.com/``; the adapter re-sends each request to the emulator
served on ``http://127.0.0.1:PORT`` (as a reverse proxy would). That is configuration of the
session zenpy is given, not a change to zenpy.

The account is a 1,000-ticket desk (about 7,800 ticket metric events). The clock is a manual
one: the forwarding adapter moves it 7 seconds before each request, as a client pacing itself
to the export limit (10 a minute) would wait, so no test sleeps and none meets a 429.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from zenpy import Zenpy

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.zendesk import DEFAULT_EMAIL, DEFAULT_TOKEN, ZendeskSandbox, serve_zendesk
from cemigrate.testing.loopback import ForwardingAdapter

TICKETS, SEED = 1000, 5
PUBLIC_URL = "https://demo.zendesk.com"
PACE_SECONDS = 7.0
"""What a client keeping to 10 export requests a minute waits between requests."""


class PacedForwarding(ForwardingAdapter):
    """Forwards to the loopback server, moving the emulator's manual clock before each request."""

    def __init__(self, upstream: str, clock: ManualClock) -> None:
        super().__init__(PUBLIC_URL, upstream)
        self.clock = clock

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.clock.advance(PACE_SECONDS)
        return super().send(request, **kwargs)


class Paced(HTTPAdapter):
    """The same pacing for links the emulator writes on the loopback host it was reached at
    (``next_page``, ``links.next``), which a client follows as given."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.clock.advance(PACE_SECONDS)
        return super().send(request, **kwargs)


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def served(clock: ManualClock) -> Iterator[tuple[ZendeskSandbox, str]]:
    sandbox, server = serve_zendesk(port=0, tickets=TICKETS, seed=SEED, clock=clock)
    clock.advance(120)  # past the exports' one-minute delay
    try:
        yield sandbox, server.url
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def desk(served: tuple[ZendeskSandbox, str]) -> HelpDesk:
    return served[0].backend.desk


@pytest.fixture(scope="module")
def session(served: tuple[ZendeskSandbox, str], clock: ManualClock) -> Iterator[requests.Session]:
    session = requests.Session()
    session.mount(PUBLIC_URL + "/", PacedForwarding(served[1], clock))
    session.mount(served[1] + "/", Paced(clock))
    try:
        yield session
    finally:
        session.close()


@pytest.fixture(scope="module")
def zenpy(session: requests.Session) -> Zenpy:
    return Zenpy(subdomain="demo", email=DEFAULT_EMAIL, token=DEFAULT_TOKEN, session=session)


def ids(records: Any) -> list[int]:
    return sorted(int(r.id) for r in records)


def test_tickets_exported_from_a_datetime_and_listed(zenpy: Zenpy, desk: HelpDesk) -> None:
    # zenpy turns a datetime into whole epoch seconds (calendar.timegm) before sending it
    exported = list(zenpy.tickets.incremental(start_time=datetime(2000, 1, 1, tzinfo=UTC)))
    assert ids(exported) == sorted(int(t.id) for t in desk.tickets)
    listed = list(zenpy.tickets())
    assert ids(listed) == sorted(int(t.id) for t in desk.tickets if not t.deleted)


def test_people_groups_and_fields(zenpy: Zenpy, desk: HelpDesk) -> None:
    users = sorted(int(u.id) for u in desk.users)
    assert ids(zenpy.users.incremental(start_time=0)) == users
    assert ids(zenpy.users()) == users
    organizations = sorted(int(o.id) for o in desk.organizations)
    assert ids(zenpy.organizations.incremental(start_time=0)) == organizations
    assert ids(zenpy.organizations()) == organizations
    assert ids(zenpy.groups()) == sorted(int(g.id) for g in desk.groups)
    assert ids(zenpy.group_memberships()) == sorted(int(m.id) for m in desk.memberships)
    custom = {f.key for f in desk.fields if f.object.value == "user"}
    assert {f.key for f in zenpy.user_fields()} == custom
    custom = {f.key for f in desk.fields if f.object.value == "organization"}
    assert {f.key for f in zenpy.organization_fields()} == custom
    ticket_fields = {int(f.id) for f in zenpy.ticket_fields()}
    assert {int(f.id) for f in desk.fields if f.object.value == "ticket"} <= ticket_fields


def test_sla_policies_and_business_rules_in_zendesks_shape(zenpy: Zenpy, desk: HelpDesk) -> None:
    assert ids(zenpy.sla_policies()) == sorted(int(p.id) for p in desk.sla_policies)
    rules = {
        "trigger": list(zenpy.triggers()),
        "automation": list(zenpy.automations()),
        "macro": list(zenpy.macros()),
        "view": list(zenpy.views()),
    }
    for kind, read in rules.items():
        assert ids(read) == sorted(int(r.id) for r in desk.rules if r.kind.value == kind), kind
        assert all(r.raw_title == r.title and r.default is False for r in read), kind
    assert all(isinstance(t.category_id, str) for t in rules["trigger"])
    assert all(t.description is None for t in rules["trigger"])
    assert all(hasattr(m, "restriction") and m.position is not None for m in rules["macro"])


def test_audits_and_comments_of_a_ticket(zenpy: Zenpy, desk: HelpDesk) -> None:
    ticket = next(t for t in desk.tickets if not t.deleted and len(t.comments) >= 3)
    audits = list(zenpy.tickets.audits(ticket=int(ticket.id)))
    assert len(audits) == len(ticket.comments)
    first = audits[0].events
    assert first[0]["type"] == "Comment"
    assert int(first[0]["id"]) == int(ticket.comments[0].id)
    created = {e["field_name"]: e["value"] for e in first if e["type"] == "Create"}
    assert created["subject"] == ticket.subject
    assert created["status"] == ticket.status.value
    assert [[e["type"] for e in a.events] for a in audits[1:]] == [["Comment"]] * (
        len(ticket.comments) - 1
    )
    comments = list(zenpy.tickets.comments(ticket=int(ticket.id)))
    assert [(int(c.id), c.public) for c in comments] == [
        (int(c.id), c.public) for c in ticket.comments
    ]


def test_every_audit_of_the_account_by_cursor(zenpy: Zenpy, desk: HelpDesk) -> None:
    audits = list(zenpy.tickets.audits())
    live = [t for t in desk.tickets if not t.deleted]
    assert len(audits) == len({a.id for a in audits}) == sum(len(t.comments) for t in live)


def test_ticket_metrics_satisfaction_custom_roles_and_tags(zenpy: Zenpy, desk: HelpDesk) -> None:
    live = {int(t.id) for t in desk.tickets if not t.deleted}
    metrics = list(zenpy.ticket_metrics())
    assert sorted(m.ticket_id for m in metrics) == sorted(
        int(m.ticket.id) for m in desk.metrics if int(m.ticket.id) in live
    )
    assert ids(zenpy.satisfaction_ratings()) == sorted(int(r.id) for r in desk.ratings)
    roles = list(zenpy.custom_agent_roles())
    assert {r.name for r in roles} >= {"Light agent", "Staff"}
    tagged = [*(t for t in desk.tickets if not t.deleted), *desk.users, *desk.organizations]
    counts: dict[str, int] = {}
    for record in tagged:
        for tag in record.tags:
            counts[tag] = counts.get(tag, 0) + 1
    assert {t.name: t.count for t in zenpy.tags()} == counts


def test_metric_events_to_the_end_by_time_and_by_cursor(
    zenpy: Zenpy, session: requests.Session, desk: HelpDesk
) -> None:
    expected = sorted(int(e.id) for e in desk.sla_events)
    assert len(expected) > 7000  # a 1,000-ticket desk
    # zenpy pages by time (next_page until end_of_stream); a time-based page may repeat the
    # events of its last second on the next page, as Zendesk documents for time-based exports
    by_time = [int(e.id) for e in zenpy.ticket_metric_events(start_time=0)]
    assert sorted(set(by_time)) == expected

    # A cursor client: page[size], then links.next while meta.has_more (100 a page at most).
    auth = (f"{DEFAULT_EMAIL}/token", DEFAULT_TOKEN)
    url: str | None = (
        f"{PUBLIC_URL}/api/v2/incremental/ticket_metric_events.json?start_time=0&page[size]=100"
    )
    seen: list[int] = []
    pages = 0
    while url:
        response = session.get(url, auth=auth, timeout=30)
        body = response.json()
        assert response.status_code == 200, body
        pages += 1
        assert len(body["ticket_metric_events"]) <= 100
        seen.extend(e["id"] for e in body["ticket_metric_events"])
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert sorted(seen) == expected  # every event exactly once
    assert pages == -(-len(expected) // 100)


# -- objects added by the brands/forms/statuses/schedules and people parts ---------------------


def test_brands_ticket_forms_and_custom_statuses(zenpy: Zenpy, desk: HelpDesk) -> None:
    assert desk.brands
    assert desk.ticket_forms
    assert desk.custom_statuses
    assert {b.name for b in zenpy.brands()} == {b.name for b in desk.brands}
    assert {f.name for f in zenpy.ticket_forms()} == {f.name for f in desk.ticket_forms}
    labels = {s.agent_label for s in zenpy.custom_statuses()}
    assert labels >= {s.agent_label for s in desk.custom_statuses}


def test_schedules_with_their_holidays(session: requests.Session, desk: HelpDesk) -> None:
    """zenpy 2.0.57 names the endpoint but has no API object for schedules: read it on the
    same session zenpy uses."""
    assert desk.schedules
    auth = (f"{DEFAULT_EMAIL}/token", DEFAULT_TOKEN)
    body = session.get(f"{PUBLIC_URL}/api/v2/business_hours/schedules.json", auth=auth).json()
    assert {s["name"] for s in body["schedules"]} == {s.name for s in desk.schedules}
    for schedule in desk.schedules:
        sid = next(s["id"] for s in body["schedules"] if s["name"] == schedule.name)
        holidays = session.get(
            f"{PUBLIC_URL}/api/v2/business_hours/schedules/{sid}/holidays.json", auth=auth
        ).json()["holidays"]
        assert {h["name"] for h in holidays} == {h.name for h in schedule.holidays}


def test_organization_memberships_and_user_identities(zenpy: Zenpy, desk: HelpDesk) -> None:
    assert desk.organization_memberships
    memberships = list(zenpy.organization_memberships())
    assert sorted((m.user_id, m.organization_id) for m in memberships) == sorted(
        (int(m.user.id), int(m.organization.id)) for m in desk.organization_memberships
    )
    user = next(u for u in desk.users if len(u.identities) > 1)
    identities = list(zenpy.users.identities(id=int(user.id)))
    assert {(i.type, i.value) for i in identities} == {(i.type, i.value) for i in user.identities}
