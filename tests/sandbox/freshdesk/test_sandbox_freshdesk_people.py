"""The Freshdesk emulator's contacts with several e-mails and companies, companies' notes and
agent updates, answered as Freshdesk's own validation answers them."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.freshdesk import FreshdeskSandbox, seed
from cemigrate.sandbox.freshdesk.models import MAX_OTHER_EMAILS, MAX_TEXT_CHARS
from cemigrate.schema import Identity, Kind, OrganizationMembership, Ref, Role


@pytest.fixture
def account() -> FreshdeskSandbox:
    return FreshdeskSandbox(tickets=10, seed=3, clock=ManualClock())


@pytest.fixture
def api(account: FreshdeskSandbox) -> tuple[requests.Session, str]:
    return account.session(), f"{account.base_url}/api/v2"


def _errors(response: requests.Response) -> dict[str, tuple[str, str]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["description"] == "Validation failed"
    return {e["field"]: (e["code"], e["message"]) for e in body["errors"]}


def _companies(account: FreshdeskSandbox) -> list[int]:
    return sorted(account.backend.companies)


def test_other_emails_over_the_limit_are_refused(api: tuple[requests.Session, str]) -> None:
    session, base = api
    contact: dict[str, Any] = {
        "name": "Many Mails",
        "email": "many@example.org",
        "other_emails": [f"m{i}@example.org" for i in range(MAX_OTHER_EMAILS + 1)],
    }
    errors = _errors(session.post(f"{base}/contacts", json=contact))
    assert errors["other_emails"][0] == "invalid_value"
    assert f"maximum of {MAX_OTHER_EMAILS}" in errors["other_emails"][1]
    contact["other_emails"] = contact["other_emails"][:MAX_OTHER_EMAILS]
    created = session.post(f"{base}/contacts", json=contact)
    assert created.status_code == 201, created.text
    assert len(created.json()["other_emails"]) == MAX_OTHER_EMAILS


def test_other_emails_need_a_primary_email(api: tuple[requests.Session, str]) -> None:
    session, base = api
    contact = {"name": "No Primary", "phone": "+1 555 0101", "other_emails": ["x@example.org"]}
    assert "email" in _errors(session.post(f"{base}/contacts", json=contact))


def test_other_companies_need_a_default_company_and_no_repeats(
    account: FreshdeskSandbox, api: tuple[requests.Session, str]
) -> None:
    session, base = api
    first, second, third = _companies(account)[:3]
    entry = {"company_id": second, "view_all_tickets": True}
    base_contact = {"name": "Several", "email": "several@example.org"}
    errors = _errors(
        session.post(f"{base}/contacts", json={**base_contact, "other_companies": [entry]})
    )
    assert errors["company_id"][0] == "missing_field"
    twice = {**base_contact, "company_id": first, "other_companies": [entry, entry]}
    assert "other_companies" in _errors(session.post(f"{base}/contacts", json=twice))
    default_again = {
        **base_contact,
        "company_id": first,
        "other_companies": [{"company_id": first}],
    }
    assert "other_companies" in _errors(session.post(f"{base}/contacts", json=default_again))
    good = {**base_contact, "company_id": first, "other_companies": [entry]}
    created = session.post(f"{base}/contacts", json=good)
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    more = [entry, {"company_id": third, "view_all_tickets": False}]
    updated = session.put(f"{base}/contacts/{contact_id}", json={"other_companies": more})
    assert updated.status_code == 200, updated.text
    shown = session.get(f"{base}/contacts/{contact_id}").json()
    assert shown["company_id"] == first
    assert shown["other_companies"] == more


def test_the_key_owner_cannot_change_its_own_scope(
    account: FreshdeskSandbox, api: tuple[requests.Session, str]
) -> None:
    session, base = api
    me = session.get(f"{base}/agents/me").json()
    errors = _errors(session.put(f"{base}/agents/{me['id']}", json={"ticket_scope": 2}))
    assert errors["ticket_scope"][0] == "inaccessible_field"
    other = next(a for a in account.backend.agents.values() if a["id"] != me["id"])
    assert "ticket_scope" in _errors(
        session.put(f"{base}/agents/{other['id']}", json={"ticket_scope": 4})
    )
    changed = session.put(
        f"{base}/agents/{other['id']}", json={"ticket_scope": 3, "signature": "Kind regards"}
    )
    assert changed.status_code == 200, changed.text
    shown = session.get(f"{base}/agents/{other['id']}").json()
    assert (shown["ticket_scope"], shown["signature"]) == (3, "Kind regards")


def test_seeding_reads_memberships_identities_and_notes() -> None:
    desk = generate(tickets=10, seed=3, instance="demo")
    person = next(
        u for u in desk.users if u.role is Role.END_USER and u.organization and not u.deleted
    )
    assert person.organization is not None
    other = next(o for o in desk.organizations if o.id != person.organization.id)
    memberships = (
        OrganizationMembership(
            id="m0",
            user=Ref(kind=Kind.USER, id=person.id),
            organization=person.organization,
            default=True,
        ),
        OrganizationMembership(
            id="m1",
            user=Ref(kind=Kind.USER, id=person.id),
            organization=Ref(kind=Kind.ORGANIZATION, id=other.id),
            view_tickets=True,
        ),
    )
    person = attrs.evolve(
        person,
        details="Likes phone calls",
        identities=(
            *(i for i in person.identities if i.type != "twitter"),  # one handle: this one
            *(Identity(type="email", value=f"e{i}@example.org") for i in range(12)),
            Identity(type="twitter", value="handle"),
        ),
    )
    contact = seed.contact_json(person, (), memberships)
    assert contact["company_id"] == int(person.organization.id)
    assert contact["view_all_tickets"] is False
    assert contact["other_companies"] == [{"company_id": int(other.id), "view_all_tickets": True}]
    assert len(contact["other_emails"]) == MAX_OTHER_EMAILS
    assert (contact["twitter_id"], contact["description"]) == ("handle", "Likes phone calls")
    org = attrs.evolve(desk.organizations[0], notes="Handle with care")
    assert seed.company_json(org, ())["note"] == "Handle with care"


def test_a_text_field_value_over_255_characters_is_refused(
    api: tuple[requests.Session, str],
) -> None:
    session, base = api
    field = session.post(
        f"{base}/admin/ticket_fields", json={"label": "Brand label", "type": "custom_text"}
    )
    assert field.status_code == 201, field.text
    name = field.json()["name"]
    ticket = {
        "email": "long@example.org",
        "subject": "Long label",
        "description": "<p>hi</p>",
        "status": 2,
        "priority": 1,
        "custom_fields": {name: "x" * (MAX_TEXT_CHARS + 1)},
    }
    errors = _errors(session.post(f"{base}/tickets", json=ticket))
    assert f"maximum of {MAX_TEXT_CHARS}" in errors[name][1]
    ticket["custom_fields"] = {name: "x" * MAX_TEXT_CHARS}
    created = session.post(f"{base}/tickets", json=ticket)
    assert created.status_code == 201, created.text
