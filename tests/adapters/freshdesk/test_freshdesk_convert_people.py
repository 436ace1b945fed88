"""Where a user's identities, details and notes go on a Freshdesk contact and how they read
back; ticket labels and the origin field's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.freshdesk import convert
from cemigrate.adapters.origin import ORIGIN_FIELD, parse_origin
from cemigrate.errors import RecordError
from cemigrate.schema import (
    Comment,
    Identity,
    Kind,
    Ref,
    SourceKey,
    Status,
    Ticket,
    User,
)

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _user(*identities: Identity, **kwargs: object) -> User:
    return User(id="7", name="Ada", email="ada@example.org", identities=identities, **kwargs)  # type: ignore[arg-type]


def _contact(person: User) -> dict[str, object]:
    places = convert.contact_identities(person)
    return {
        "id": 70,
        "name": person.name,
        "email": person.email,
        **places.fields,
        "description": convert.contact_description(person.details, person.notes, places.further),
    }


def test_identities_fill_the_contact_fields_and_the_rest_reads_back_from_the_description() -> None:
    person = _user(
        Identity(type="email", value="ada@example.org", primary=True),
        *(Identity(type="email", value=f"ada{i}@example.org") for i in range(12)),
        Identity(type="phone_number", value="+44 20 7946 0000"),
        Identity(type="phone_number", value="+44 7700 900000"),
        Identity(type="phone_number", value="+44 7700 900001"),
        Identity(type="twitter", value="ada"),
        Identity(type="facebook", value="ada.fb"),
        details="Prefers mornings",
        notes="Reports bugs precisely\nKnows the API",
    )
    contact = _contact(person)
    assert contact["phone"] == "+44 20 7946 0000"
    assert contact["mobile"] == "+44 7700 900000"
    assert contact["twitter_id"] == "ada"
    assert contact["other_emails"] == [f"ada{i}@example.org" for i in range(9)]
    back = convert.contact(contact)
    assert {(i.type, i.value) for i in back.identities} == {
        (i.type, i.value) for i in person.identities
    }
    assert (back.details, back.notes) == (person.details, person.notes)


def test_other_emails_wait_for_a_primary_email() -> None:
    person = User(
        id="8",
        name="No Mail",
        phone="+1 555 0100",
        identities=(Identity(type="email", value="second@example.org"),),
    )
    places = convert.contact_identities(person)
    assert "other_emails" not in places.fields
    assert places.further == (Identity(type="email", value="second@example.org"),)


def test_a_plain_description_is_all_details() -> None:
    assert convert.split_description("Just words") == ("Just words", "", [])
    assert convert.contact_description("", "", ()) is None


def _ticket(**kwargs: object) -> Ticket:
    comment = Comment(
        id="c1",
        author=None,
        public=True,
        body_html="<p>hi</p>",
        body_plain="hi",
        created_at=AT,
        metadata={"system": {"ip_address": "10.1.2.3"}},
    )
    return Ticket(
        id="5",
        instance="emea",
        subject="s",
        description="hi",
        status=Status.OPEN,
        created_at=AT,
        updated_at=AT,
        comments=(comment,),
        **kwargs,  # type: ignore[arg-type]
    )


def _outgoing(ticket: Ticket, links: dict[Ref, str]) -> Outgoing:
    return Outgoing(
        key=SourceKey(instance="emea", kind=Kind.TICKET, id=ticket.id), record=ticket, links=links
    )


def test_labels_come_from_the_links_and_a_reference_never_read_gets_none() -> None:
    brand = Ref(kind=Kind.BRAND, id="b1")
    form = Ref(kind=Kind.TICKET_FORM, id="f1")
    ticket = _ticket(brand=brand, form=form)
    labels = convert.ticket_labels(_outgoing(ticket, {brand: "Acme Pay"}))
    assert labels == {"cemigrate_brand": "Acme Pay"}
    with pytest.raises(RecordError, match="255"):
        convert.ticket_labels(_outgoing(ticket, {brand: "x" * 256}))


def test_the_origin_is_kept_whole_or_the_ticket_fails_clearly() -> None:
    ticket = _ticket(recipient="support@acme.example", via={"channel": "email"})
    origin = convert.ticket_origin(ticket)
    assert parse_origin(origin[ORIGIN_FIELD]) == {
        "recipient": "support@acme.example",
        "via": {"channel": "email"},
        "comments": [
            {
                "id": "c1",
                "at": "2026-03-01T09:30:00Z",
                "metadata": {"system": {"ip_address": "10.1.2.3"}},
            }
        ],
    }
    assert convert.ticket_origin(attrs.evolve(_ticket(), comments=())) == {}
    huge = _ticket(via={"channel": "email", "note": "x" * convert.MAX_PARAGRAPH_CHARS})
    with pytest.raises(RecordError, match="cemigrate_origin"):
        convert.ticket_origin(huge)


def test_agents_scope_and_signature_read_back() -> None:
    agent = convert.agent(
        {
            "id": 3,
            "ticket_scope": 2,
            "signature": "Kind regards",
            "contact": {"name": "Kim", "email": "kim@example.org", "active": True},
        }
    )
    assert (agent.ticket_restriction, agent.signature) == ("groups", "Kind regards")
    assert convert.ticket_scope(None) == 1
    assert convert.ticket_scope("requested") == 3


def test_an_agent_view_gives_its_admin_role_type_occasional_flag_and_phones() -> None:
    agent = convert.agent(
        {
            "id": 3,
            "ticket_scope": 1,
            "occasional": True,
            "type": "field_agent",
            "role_ids": [9],
            "contact": {
                "name": "Kim",
                "email": "kim@example.org",
                "active": True,
                "phone": None,
                "mobile": "+44 7700 900123",
            },
        },
        admin_role_ids={"9"},
    )
    assert agent.role.value == "admin"
    assert (agent.agent_type, agent.occasional) == ("field_agent", True)
    assert agent.phone == "+44 7700 900123"
    assert Identity(type="phone_number", value="+44 7700 900123") in agent.identities


def test_a_contact_whose_only_number_is_its_mobile_keeps_it_with_its_external_id_and_address() -> (
    None
):
    person = convert.contact(
        {
            "id": 70,
            "name": "Ada",
            "email": "ada@example.org",
            "phone": None,
            "mobile": "+44 7700 900000",
            "twitter_id": "ada",
            "unique_external_id": "crm-70",
            "address": "1 Harbour Road\nPort Louis",
        }
    )
    assert person.phone == "+44 7700 900000"
    assert (person.external_id, person.address) == ("crm-70", "1 Harbour Road\nPort Louis")
    assert Identity(type="twitter", value="ada") in person.identities


def test_a_written_contact_keeps_the_source_key_and_its_own_external_id_apart() -> None:
    person = _user(external_id="crm-7", address="1 Harbour Road")
    key = SourceKey(instance="emea", kind=Kind.USER, id="7")
    names = {convert.SOURCE_EXTERNAL_ID: convert.SOURCE_EXTERNAL_ID}
    payload = convert.contact_payload(Outgoing(key=key, record=person, links={}), names)
    assert payload["unique_external_id"] == str(key)
    assert payload["custom_fields"] == {convert.SOURCE_EXTERNAL_ID: "crm-7"}
    assert payload["address"] == "1 Harbour Road"
    read = convert.contact({**payload, "id": 70})
    assert (read.external_id, read.address) == ("crm-7", "1 Harbour Road")
    assert read.custom_fields == {}
