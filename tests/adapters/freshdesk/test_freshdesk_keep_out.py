"""A user suspended or deleted in the source is kept out of the Freshdesk target: created, then
soft-deleted (the only state the API sets that stops a contact from signing in), exactly once
across a crash, and read back suspended; its tickets stay. Freshdesk's own company fields the
target adopts (``account_tier``) are read back by the target view as fields with values."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from cemigrate.adapters import Needs
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.errors import RecordError, TransientError
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Organization,
    Record,
    Ref,
    SourceKey,
    User,
)
from cemigrate.testing.freshdesk_writes import KEY, Desk, ticket

SUSPENDED = User(id="s1", name="Sam Frozen", email="sam@example.com", suspended=True)
DELETED = User(id="d1", name="Dee Gone", email="dee@example.com", deleted=True)
TIER = FieldDef(
    id="f-tier",
    object=FieldObject.ORGANIZATION,
    key="account_tier",
    title="Account tier",
    type=FieldType.TEXT,
)


def view(desk: Desk, *, target_view: bool = True) -> FreshdeskSource:
    return FreshdeskSource(
        instance="new",
        base_url=desk.account.base_url,
        credentials=FreshdeskCredentials(api_key=KEY),
        session=desk.account.session(authenticated=False),
        clock=desk.clock,
        target_view=target_view,
    )


def records(source: FreshdeskSource, kind: Kind) -> Iterator[Record]:
    for batch in source.read(kind):
        yield from batch.records


def contacts(desk: Desk, **params: str) -> list[dict[str, object]]:
    """The account's contacts as the API lists them."""
    return list(desk.target.client.get_json("/api/v2/contacts", **params))


def calls(desk: Desk, method: str, path: str) -> int:
    return sum(1 for m, p, *_ in desk.account.freshdesk.requests if m == method and p == path)


def test_a_suspended_or_deleted_user_is_created_then_kept_out_and_its_tickets_stay(
    desk: Desk,
) -> None:
    desk.people()
    suspended = desk.write(Kind.USER, SUSPENDED)
    deleted = desk.write(Kind.USER, DELETED)
    assert suspended.ok
    assert deleted.ok
    listed = {str(c["id"]) for c in contacts(desk)}
    assert suspended.target_id not in listed
    assert deleted.target_id not in listed
    kept_out = {str(c["id"]): c for c in contacts(desk, state="deleted")}
    assert set(kept_out) == {suspended.target_id, deleted.target_id}
    assert all(c["deleted"] is True for c in kept_out.values())
    for target_id in (suspended.target_id, deleted.target_id):  # one create, one soft delete
        assert calls(desk, "DELETE", f"/api/v2/contacts/{target_id}") == 1
    assert calls(desk, "POST", "/api/v2/contacts") == 3  # with the active customer

    theirs = attrs.evolve(ticket(id="300"), requester=Ref(kind=Kind.USER, id=SUSPENDED.id))
    written = desk.write(Kind.TICKET, theirs)
    assert written.ok  # its tickets stay and can still be written
    assert written.target_id in desk.read_back()

    back = {u.id: u for u in records(view(desk), Kind.USER) if isinstance(u, User)}
    assert back[str(suspended.target_id)].suspended
    assert back[str(deleted.target_id)].suspended
    assert back[str(deleted.target_id)].deleted
    customer = desk.links[Ref(kind=Kind.USER, id="c1")]
    assert not back[customer].suspended


def test_a_crash_between_the_create_and_the_soft_delete_keeps_the_contact_out_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk()
    desk.people()

    def died(self: FreshdeskTarget, contact_id: str) -> None:
        raise TransientError("connection dropped")

    with monkeypatch.context() as patch:
        patch.setattr(FreshdeskTarget, "_lock_contact", died)
        with pytest.raises(TransientError):
            desk.write(Kind.USER, SUSPENDED)
    (active,) = [c for c in contacts(desk) if c["email"] == SUSPENDED.email]

    key = SourceKey("old", Kind.USER, SUSPENDED.id)
    assert desk.target.find(Kind.USER, [key]) == {}  # not done: the copier sends it again
    again = desk.write(Kind.USER, SUSPENDED)  # as a create, the way a resume sends it
    assert again.target_id == str(active["id"])  # adopted, not created twice
    assert [c["id"] for c in contacts(desk, state="deleted")] == [active["id"]]
    assert calls(desk, "POST", "/api/v2/contacts") == 2  # the customer's and this one's

    # A crash after the soft delete: found among the deleted contacts, never re-created.
    assert desk.target.find(Kind.USER, [key]) == {key: again.target_id}


def test_an_update_keeps_a_kept_out_contact_out_and_restores_one_let_back_in(desk: Desk) -> None:
    desk.people()
    first = desk.write(Kind.USER, SUSPENDED)
    renamed = User(id="s1", name="Sam Renamed", email="sam@example.com", suspended=True)
    again = desk.write(Kind.USER, renamed, target_id=first.target_id)
    assert again.ok  # no 405: a deleted contact is not changed
    assert [c["id"] for c in contacts(desk, state="deleted")] == [int(str(first.target_id))]

    let_in = User(id="s1", name="Sam Back", email="sam@example.com")
    back = desk.write(Kind.USER, let_in, target_id=first.target_id)
    assert back.ok
    (restored,) = [c for c in contacts(desk) if str(c["id"]) == first.target_id]
    assert restored["name"] == "Sam Back"
    assert contacts(desk, state="deleted") == []


def test_the_target_view_reads_an_adopted_default_company_field_and_its_value(desk: Desk) -> None:
    desk.target.prepare(Needs(fields=(TIER,)), dry_run=False)
    org = Organization(id="o1", name="Acme", custom_fields={"account_tier": "gold"})
    written = desk.write(Kind.ORGANIZATION, org)
    assert written.ok
    (default,) = [
        f
        for f in desk.target.client.get_json("/api/v2/company_fields")
        if f["name"] == "account_tier"
    ]
    assert default["default"] is True  # Freshdesk's own field, adopted rather than created

    fields = {f.id: f for f in records(view(desk), Kind.FIELD) if isinstance(f, FieldDef)}
    assert fields[str(default["id"])].key == "account_tier"
    assert fields[str(default["id"])].object is FieldObject.ORGANIZATION
    (company,) = [o for o in records(view(desk), Kind.ORGANIZATION) if isinstance(o, Organization)]
    assert company.custom_fields["account_tier"] == "gold"

    # Read as a source, Freshdesk's own fields are not the account's custom fields.
    plain = view(desk, target_view=False)
    assert str(default["id"]) not in {f.id for f in records(plain, Kind.FIELD)}
    (company,) = [o for o in records(plain, Kind.ORGANIZATION) if isinstance(o, Organization)]
    assert "account_tier" not in company.custom_fields


def test_a_custom_field_never_takes_over_an_identity_field() -> None:
    # Only free-value default fields are adopted: a source field titled "Email" is not
    # written into the contacts' e-mail; Freshdesk refuses a second field of that label.
    desk = Desk()
    email = FieldDef(
        id="f-mail", object=FieldObject.USER, key="email", title="Email", type=FieldType.TEXT
    )
    with pytest.raises(RecordError) as refused:
        desk.target.prepare(Needs(fields=(email,)), dry_run=False)
    assert "label: It should be a unique value" in refused.value.platform_message


def test_the_emulator_soft_deletes_lists_restores_and_hard_deletes_a_contact(desk: Desk) -> None:
    http = desk.account.session(authenticated=True)
    base = f"{desk.account.base_url}/api/v2/contacts"
    made = http.post(base, json={"name": "Lee", "email": "lee@example.com"}).json()
    one = f"{base}/{made['id']}"
    assert http.delete(one).status_code == 204
    assert [c["id"] for c in http.get(base).json()] == []
    assert [c["id"] for c in http.get(base, params={"state": "deleted"}).json()] == [made["id"]]
    assert http.get(one).json()["deleted"] is True
    assert http.put(one, json={"name": "Changed"}).status_code == 405
    again = http.post(base, json={"name": "Lee 2", "email": "lee@example.com"})
    assert again.status_code == 409  # a soft-deleted contact still holds its e-mail
    assert http.put(f"{one}/restore").status_code == 204
    assert [c["id"] for c in http.get(base).json()] == [made["id"]]
    assert http.delete(f"{one}/hard_delete").status_code == 204
    assert http.get(one).status_code == 404
