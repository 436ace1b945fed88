"""Unmodified python-freshdesk against the Freshdesk emulator served over loopback HTTP.

python-freshdesk always builds ``https://{domain}/api/v2/...``; a small forwarding transport
adapter on its session re-sends each request for ``https://demo.freshdesk.com`` to the loopback
server, as a reverse proxy would. The calls: list tickets, a ticket's conversations, contacts,
a ticket with its stats, and a filter search.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest
from freshdesk.v2.api import API
from freshdesk.v2.errors import FreshdeskNotFound

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.freshdesk import DEFAULT_API_KEY, serve_freshdesk
from cemigrate.schema import Role
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
