"""Unmodified python-freshdesk against the Freshdesk emulator served over loopback HTTP.

python-freshdesk always builds ``https://{domain}/api/v2/...``; a small forwarding transport
adapter on its session re-sends each request for ``https://demo.freshdesk.com`` to the loopback
server, as a reverse proxy would. The calls: list tickets, a ticket's conversations, contacts,
a ticket with its stats, and a filter search; groups, agents, roles, companies, ticket fields
and time entries, each list against its view (a list carries what a real list carries: a
group's members, an agent's roles, a contact's other e-mails only in the view).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest
import requests
from freshdesk.v2.api import API
from freshdesk.v2.errors import FreshdeskNotFound

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.freshdesk import DEFAULT_API_KEY, serve_freshdesk
from cemigrate.schema import FieldObject, Role
from cemigrate.testing.loopback import ForwardingAdapter

TICKETS, SEED, INSTANCE = 40, 11, "demo"
PUBLIC_URL = "https://demo.freshdesk.com"


@pytest.fixture(scope="module")
def desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)


@pytest.fixture(scope="module")
def client() -> Iterator[tuple[API, ForwardingAdapter]]:
    _, server = serve_freshdesk(
        port=0, tickets=TICKETS, seed=SEED, instance=INSTANCE, clock=ManualClock()
    )
    try:
        api = API("demo.freshdesk.com", DEFAULT_API_KEY)
        adapter = ForwardingAdapter(PUBLIC_URL, server.url)
        api._session.mount(PUBLIC_URL + "/", adapter)
        yield api, adapter
    finally:
        server.shutdown()


def test_list_tickets_reads_every_live_ticket(
    client: tuple[API, ForwardingAdapter], desk: HelpDesk
) -> None:
    api, adapter = client
    before = adapter.forwarded
    tickets = api.tickets.list_tickets(filter_name=None, updated_since="2020-01-01T00:00:00Z")
    assert sorted(t.id for t in tickets) == sorted(int(t.id) for t in desk.tickets if not t.deleted)
    assert {t.subject for t in tickets} <= {t.subject for t in desk.tickets}
    assert adapter.forwarded > before


def test_a_tickets_conversations(client: tuple[API, ForwardingAdapter], desk: HelpDesk) -> None:
    api, _ = client
    ticket = max(desk.tickets, key=lambda t: len(t.comments))
    comments = api.comments.list_comments(int(ticket.id))
    assert [c.id for c in comments] == [int(c.id) for c in ticket.comments[1:]]
    assert [c.private for c in comments] == [not c.public for c in ticket.comments[1:]]
    assert [c.body for c in comments] == [c.body_html for c in ticket.comments[1:]]


def test_contacts(client: tuple[API, ForwardingAdapter], desk: HelpDesk) -> None:
    api, _ = client
    contacts = api.contacts.list_contacts()
    visible = [
        u for u in desk.users if u.role is Role.END_USER and not u.suspended and not u.deleted
    ]
    assert sorted(c.email for c in contacts) == sorted(str(u.email) for u in visible)
    one = api.contacts.get_contact(contacts[0].id)
    assert one.email == contacts[0].email


def test_a_ticket_with_stats_and_a_search(
    client: tuple[API, ForwardingAdapter], desk: HelpDesk
) -> None:
    api, _ = client
    ticket = api.tickets.get_ticket(1, "stats", "requester")
    assert ticket.subject == desk.tickets[0].subject
    assert ticket.stats["first_responded_at"] is not None
    category = str(desk.tickets[0].custom_fields["category"])
    found = api.tickets.filter_tickets(f"category:'{category}'")
    expected = {
        int(t.id)
        for t in desk.tickets
        if not t.deleted and t.custom_fields.get("category") == category
    }
    assert {t.id for t in found} == expected
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(FreshdeskNotFound):
        api.tickets.delete_ticket(999_999)  # python-freshdesk prints the response of a delete


def test_groups_list_without_members_and_view_with_them(
    client: tuple[API, ForwardingAdapter], desk: HelpDesk
) -> None:
    api, _ = client
    groups = api.groups.list_groups()
    assert sorted(g.id for g in groups) == sorted(int(g.id) for g in desk.groups)
    assert not any(hasattr(g, "agent_ids") for g in groups)
    members = {g.id: sorted(api.groups.get_group(g.id).agent_ids) for g in groups}
    expected = {
        int(g.id): sorted(int(m.user.id) for m in desk.memberships if m.group.id == g.id)
        for g in desk.groups
    }
    assert members == expected
    assert all(api.groups.get_group(g.id).auto_ticket_assign in (0, 1) for g in groups[:1])


def test_agents_list_without_roles_and_view_with_them(
    client: tuple[API, ForwardingAdapter], desk: HelpDesk
) -> None:
    api, _ = client
    agents = api.agents.list_agents()
    staff = {u.id: u for u in desk.users if u.role is not Role.END_USER}
    assert sorted(a.id for a in agents) == sorted(int(i) for i in staff)
    assert not any(hasattr(a, "role_ids") or hasattr(a, "group_ids") for a in agents)
    roles = {r.id: r.name for r in api.roles.list_roles()}
    assert api.roles.get_role(next(iter(roles))).name == roles[next(iter(roles))]
    admins = set()
    for agent in agents:
        shown = api.agents.get_agent(agent.id)
        if {roles[r] for r in shown.role_ids} & {"Account Administrator", "Administrator"}:
            admins.add(str(agent.id))
    assert admins == {i for i, u in staff.items() if u.role is Role.ADMIN}
    assert api.agents.currently_authenticated_agent().id in {int(i) for i in admins}


def test_contacts_list_without_other_emails_and_view_with_them(
    client: tuple[API, ForwardingAdapter], desk: HelpDesk
) -> None:
    api, _ = client
    listed = api.contacts.list_contacts()
    assert not any(hasattr(c, "other_emails") or hasattr(c, "tags") for c in listed)
    by_id = {u.id: u for u in desk.users}
    for contact in listed:
        shown = api.contacts.get_contact(contact.id)
        user = by_id[str(contact.id)]
        others = [i.value for i in user.identities if i.type == "email" and i.value != user.email]
        assert shown.other_emails == others[:9]
        assert shown.tags == list(user.tags)
        assert shown.unique_external_id == user.external_id


def test_companies_ticket_fields_and_time_entries(
    client: tuple[API, ForwardingAdapter], desk: HelpDesk
) -> None:
    api, adapter = client
    companies = api.companies.list_companies()
    assert sorted(c.id for c in companies) == sorted(int(o.id) for o in desk.organizations)
    one = api.companies.get_company(companies[0].id)
    assert (one.name, one.domains) == (companies[0].name, companies[0].domains)
    fields = api.ticket_fields.list_ticket_fields()
    types = next(f for f in fields if f.name == "ticket_type").choices
    assert {"Feature Request", "Refund"} <= set(types)
    custom = {f.name for f in fields if not f.default}
    expected = {
        f"cf_{f.key}"
        for f in desk.fields
        if f.object is FieldObject.TICKET and f.key != "ticket_type"
    }
    assert custom == expected
    session = requests.Session()
    session.auth = (DEFAULT_API_KEY, "X")
    base = f"{adapter.upstream}/api/v2"  # the loopback server itself
    for spent in ("00:15", "01:30"):
        made = session.post(f"{base}/tickets/1/time_entries", json={"time_spent": spent})
        assert made.status_code == 201, made.text
    entries = api.time_entries.list_time_entries()
    assert sorted(e.time_spent for e in entries) == ["00:15", "01:30"]
    assert [e.ticket_id for e in api.time_entries.list_time_entries(ticket_id=1)] == [1, 1]
