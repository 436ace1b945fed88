"""The Zendesk emulator's people and origins: users' attributes and identities, organizations'
attributes, organization memberships, custom roles, ticket recipient and via, comment metadata
and inline images, as Zendesk's API reference shows them (Users, User Identities,
Organizations, Organization Memberships, Custom Agent Roles, Tickets, Ticket Comments)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.zendesk import ZendeskSandbox, models
from cemigrate.schema import Identity, Kind, OrganizationMembership, Ref, Role
from cemigrate.testing.desks import plain_desk

TICKETS, SEED, INSTANCE = 25, 4, "shape"
ROUTER_BASE = "https://zendesk.sandbox.invalid"


def _enriched(desk: HelpDesk) -> HelpDesk:
    """The generated desk with what P0's dataset will hold: an agent with a custom role, a
    customer with secondary identities in two organizations, origin details on a ticket and
    an inline image."""
    agent = next(u for u in desk.users if u.role is Role.AGENT and not u.deleted)
    customer = next(
        u
        for u in desk.users
        if u.role is Role.END_USER and u.email and u.organization and not u.deleted
    )
    assert customer.organization is not None
    assert customer.email is not None
    other_org = next(o for o in desk.organizations if o.id != customer.organization.id)
    users = tuple(
        attrs.evolve(
            u,
            custom_role="Team lead",
            external_id="hr-7",
            default_group=Ref(kind=Kind.GROUP, id=desk.groups[0].id),
            ticket_restriction="groups",
            only_private_comments=True,
            alias="Lead",
            signature="Kind regards",
        )
        if u.id == agent.id
        else attrs.evolve(
            u,
            identities=(
                Identity(type="email", value=customer.email, primary=True, verified=True),
                Identity(type="email", value="second@example.org", id="365812345678"),
                Identity(type="phone_number", value="+351210000001"),
            ),
        )
        if u.id == customer.id
        else u
        for u in desk.users
    )
    organizations = tuple(
        attrs.evolve(
            o,
            notes="Pays yearly",
            external_id="org-1",
            group=Ref(kind=Kind.GROUP, id=desk.groups[0].id),
            shared_tickets=True,
        )
        if o.id == other_org.id
        else o
        for o in desk.organizations
    )
    memberships = (
        OrganizationMembership(
            id="365990000001",
            user=Ref(kind=Kind.USER, id=customer.id),
            organization=customer.organization,
            default=True,
        ),
        OrganizationMembership(
            id="365990000002",
            user=Ref(kind=Kind.USER, id=customer.id),
            organization=Ref(kind=Kind.ORGANIZATION, id=other_org.id),
            view_tickets=True,
        ),
    )
    ticket = next(t for t in desk.tickets if any(c.attachments for c in t.comments))
    noted = next(c for c in ticket.comments if c.attachments)
    image = f'<p><img src="demo://{desk.instance}/attachments/{noted.attachments[0].id}"></p>'
    via = {
        "channel": "email",
        "source": {
            "from": {"address": "buyer@example.org", "name": "Buyer"},
            "to": {"address": "help@acme.example", "name": "Acme"},
            "rel": None,
        },
    }
    comments = tuple(
        attrs.evolve(
            c,
            body_html=c.body_html + image,
            metadata={"via": via, "system": {"ip_address": "203.0.113.9", "client": "Mail"}},
        )
        if c.id == noted.id
        else c
        for c in ticket.comments
    )
    tickets = tuple(
        attrs.evolve(t, recipient="help@acme.example", via=via, comments=comments)
        if t.id == ticket.id
        else t
        for t in desk.tickets
    )
    return attrs.evolve(
        desk,
        users=users,
        organizations=organizations,
        organization_memberships=memberships,
        tickets=tickets,
    )


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> ZendeskSandbox:
    monkeypatch.setattr(
        models, "generate", lambda **params: _enriched(plain_desk(generate(**params)))
    )
    return ZendeskSandbox(tickets=TICKETS, seed=SEED, instance=INSTANCE, clock=ManualClock())


@pytest.fixture
def desk() -> HelpDesk:
    return _enriched(plain_desk(generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)))


def _get(sandbox: ZendeskSandbox, path: str, **params: Any) -> dict[str, Any]:
    response = sandbox.session().get(f"{sandbox.base_url}{path}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _post(sandbox: ZendeskSandbox, path: str, body: dict[str, Any]) -> requests.Response:
    return sandbox.session().post(f"{sandbox.base_url}{path}", json=body)


def test_users_carry_the_attributes_zendesk_lists(sandbox: ZendeskSandbox, desk: HelpDesk) -> None:
    agent = next(u for u in desk.users if u.custom_role)
    user = _get(sandbox, f"/api/v2/users/{agent.id}.json")["user"]
    roles = _get(sandbox, "/api/v2/custom_roles.json")["custom_roles"]
    # An Enterprise account's default roles, of which the agent holds "Team lead"
    assert [r["name"] for r in roles] == ["Advisor", "Light agent", "Staff", "Team lead"]
    assert user["custom_role_id"] == next(r["id"] for r in roles if r["name"] == "Team lead")
    assert user["role_type"] == 0
    assert (user["external_id"], user["alias"], user["signature"]) == (
        "hr-7",
        "Lead",
        "Kind regards",
    )
    assert user["default_group_id"] == int(desk.groups[0].id)
    assert (user["ticket_restriction"], user["restricted_agent"]) == ("groups", True)
    assert user["only_private_comments"] is True
    for key in ("time_zone", "iana_time_zone", "locale", "locale_id", "details", "notes"):
        assert key in user


def test_identities_are_listed_sideloaded_and_added_once(
    sandbox: ZendeskSandbox, desk: HelpDesk
) -> None:
    customer = next(u for u in desk.users if len(u.identities) == 3)
    listed = _get(sandbox, f"/api/v2/users/{customer.id}/identities.json")["identities"]
    assert {(i["type"], i["value"], i["primary"]) for i in listed} == {
        ("email", customer.email, True),
        ("email", "second@example.org", False),
        ("phone_number", "+351210000001", False),
    }
    assert 365812345678 in {i["id"] for i in listed}  # the dataset's own identity id
    assert all(i["user_id"] == int(customer.id) for i in listed)

    sandbox.clock.advance(120)  # type: ignore[attr-defined]
    export = _get(
        sandbox, "/api/v2/incremental/users/cursor.json", start_time=0, include="identities"
    )
    assert {i["id"] for i in listed} <= {i["id"] for i in export["identities"]}
    shown = _get(sandbox, "/api/v2/users/show_many.json", ids=customer.id, include="identities")
    assert {i["id"] for i in shown["identities"]} == {i["id"] for i in listed}

    added = _post(
        sandbox,
        f"/api/v2/users/{customer.id}/identities.json",
        {"identity": {"type": "email", "value": "third@example.org"}},
    )
    assert added.status_code == 201
    assert added.json()["identity"]["primary"] is False
    again = _post(
        sandbox,
        f"/api/v2/users/{customer.id}/identities.json",
        {"identity": {"type": "email", "value": "third@example.org"}},
    )
    assert again.status_code == 422
    assert len(_get(sandbox, f"/api/v2/users/{customer.id}/identities.json")["identities"]) == 4


def test_organizations_and_memberships_as_zendesk_shows_them(
    sandbox: ZendeskSandbox, desk: HelpDesk
) -> None:
    org = next(o for o in desk.organizations if o.external_id)
    shown = _get(sandbox, f"/api/v2/organizations/{org.id}.json")["organization"]
    assert (shown["notes"], shown["external_id"], shown["shared_tickets"]) == (
        "Pays yearly",
        "org-1",
        True,
    )
    assert shown["group_id"] == int(desk.groups[0].id)

    page = _get(sandbox, "/api/v2/organization_memberships.json", **{"page[size]": 100})
    assert set(page) == {"organization_memberships", "meta", "links"}
    memberships = page["organization_memberships"]
    second = next(m for m in memberships if m["id"] == 365990000002)
    assert second["default"] is None  # "If false, returns null"
    assert second["view_tickets"] is True
    assert second["organization_name"] == org.name
    # every user with an organization is a member of it (its default membership)
    pairs = {(m["user_id"], m["organization_id"]) for m in memberships}
    for user in desk.users:
        if user.organization is not None:
            assert (int(user.id), int(user.organization.id)) in pairs

    user = next(u for u in desk.users if u.organization is None and u.role is Role.END_USER)
    body = {"organization_membership": {"user_id": int(user.id), "organization_id": int(org.id)}}
    created = _post(sandbox, "/api/v2/organization_memberships.json", body)
    assert created.status_code == 201
    assert created.json()["organization_membership"]["default"] is True
    assert _get(sandbox, f"/api/v2/users/{user.id}.json")["user"]["organization_id"] == int(org.id)
    assert _post(sandbox, "/api/v2/organization_memberships.json", body).status_code == 422


def test_tickets_and_comments_keep_how_they_arrived_and_inline_images_are_the_accounts(
    sandbox: ZendeskSandbox, desk: HelpDesk
) -> None:
    ticket = next(t for t in desk.tickets if t.recipient)
    shown = _get(sandbox, f"/api/v2/tickets/{ticket.id}.json")["ticket"]
    assert shown["recipient"] == "help@acme.example"
    assert shown["via"]["source"]["to"]["address"] == "help@acme.example"
    comments = _get(sandbox, f"/api/v2/tickets/{ticket.id}/comments.json")["comments"]
    noted = next(c for c in comments if c["metadata"]["system"])
    assert noted["metadata"]["system"] == {"ip_address": "203.0.113.9", "client": "Mail"}
    assert noted["via"]["source"]["from"]["address"] == "buyer@example.org"
    assert "demo://" not in noted["html_body"]
    content_url = noted["attachments"][0]["content_url"]
    assert f'src="{content_url}"' in noted["html_body"]
    assert content_url.startswith(sandbox.base_url)  # the account's own address
    assert ROUTER_BASE not in noted["html_body"]
    assert sandbox.session().get(content_url).status_code == 200
