"""The Freshdesk target against the emulator: routing of comments, exactly-once re-sends, and
bad input (oversized files, a value outside a dropdown's choices, an e-mail Freshdesk rejects,
a 429 storm), each ending in a failure row with Freshdesk's message or a paced retry."""

from __future__ import annotations

import attrs
import pytest

from cemigrate.adapters import Needs, Outgoing
from cemigrate.adapters.freshdesk.target import CONTACT_EXISTS, EMAIL_TAKEN
from cemigrate.errors import ConfigError
from cemigrate.sandbox.http import WireFaults
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    Kind,
    Ref,
    Role,
    SourceKey,
    User,
)
from cemigrate.testing.freshdesk_writes import AGENT, CUSTOMER, T0, Desk, comment, ticket

MB = 1024 * 1024


def test_comments_keep_order_author_privacy_and_original_time(desk: Desk) -> None:
    desk.people()
    source = ticket(
        comment(1, public=True, author=AGENT),
        comment(2, public=True, author=CUSTOMER),
        comment(3, public=False, author=AGENT),
    )
    result = desk.write(Kind.TICKET, source)
    assert result.ok
    stored = desk.account.backend.conversations(int(result.target_id))
    assert [(c["source"], c["private"], c["incoming"]) for c in stored] == [
        (0, False, False),  # the agent's public comment: a reply
        (2, False, True),  # the customer's public comment: an incoming public note
        (2, True, False),  # private stays private
    ]
    assert [c["user_id"] for c in stored] == [
        int(desk.links[Ref(kind=Kind.USER, id=u.id)]) for u in (AGENT, CUSTOMER, AGENT)
    ]
    (back,) = desk.read_back().values()
    assert [c.created_at for c in back.comments] == [c.created_at for c in source.comments]
    assert [c.public for c in back.comments] == [True, True, True, False]
    assert back.created_at == T0  # from cf_cemigrate_created_at
    assert back.solved_at == source.solved_at


def test_a_resent_ticket_gets_only_the_conversations_it_lacks(desk: Desk) -> None:
    desk.people()
    full = ticket(*(comment(n, public=n % 2 == 1, author=AGENT) for n in range(1, 6)))
    partial = attrs.evolve(full, comments=full.comments[:3])  # a crash after two conversations
    first = desk.write(Kind.TICKET, partial)
    again = desk.write(Kind.TICKET, full, target_id=first.target_id)  # found, sent as update
    assert again.ok
    assert again.target_id == first.target_id
    stored = desk.account.backend.conversations(int(first.target_id))
    assert [c["body_text"].splitlines()[-1] for c in stored] == [
        f"comment {n}" for n in range(1, 6)
    ]
    once_more = desk.write(Kind.TICKET, full, target_id=first.target_id)
    assert once_more.ok
    assert len(desk.account.backend.conversations(int(first.target_id))) == 5


def test_a_ticket_cut_off_by_a_crash_is_not_found_and_the_next_write_completes_it(
    desk: Desk,
) -> None:
    desk.people()
    full = ticket(*(comment(n, public=n % 2 == 0, author=AGENT) for n in range(1, 5)))
    first = desk.write(Kind.TICKET, full)
    assert first.ok
    stored = desk.account.backend.conversations(int(first.target_id))
    del stored[1:]  # the process died after the create and one conversation
    key = SourceKey("old", Kind.TICKET, full.id)
    assert desk.target.find(Kind.TICKET, [key]) == {}  # not done: the copier sends it again
    again = desk.write(Kind.TICKET, full)  # as a create, the way a resume sends it
    assert again.target_id == first.target_id  # completed, not created twice
    held = desk.account.backend.conversations(int(first.target_id))
    assert [c["private"] for c in held] == [n % 2 == 1 for n in range(1, 5)]  # in order, once
    assert desk.target.find(Kind.TICKET, [key]) == {key: first.target_id}


def test_a_ticket_cut_off_by_a_crash_then_deleted_in_the_source_is_skipped_with_its_id(
    desk: Desk,
) -> None:
    desk.people()
    full = ticket(*(comment(n, public=True, author=AGENT) for n in range(1, 5)))
    first = desk.write(Kind.TICKET, full)
    del desk.account.backend.conversations(int(first.target_id))[1:]  # died mid-ticket
    key = SourceKey("old", Kind.TICKET, full.id)
    assert desk.target.find(Kind.TICKET, [key]) == {}
    gone = desk.write(Kind.TICKET, attrs.evolve(full, deleted=True))  # deleted meanwhile
    assert gone.skipped.startswith("deleted-in-source")
    # Nothing is deleted in the target: the ledger learns the id of what it holds.
    assert gone.target_id == first.target_id
    assert int(first.target_id) in desk.account.backend.live_ticket_ids()


def test_find_uses_external_ids_after_a_crash(desk: Desk) -> None:
    desk.people()
    written = desk.write(Kind.TICKET, ticket())
    found = desk.target.find(
        Kind.TICKET, [SourceKey("old", Kind.TICKET, "100"), SourceKey("old", Kind.TICKET, "999")]
    )
    assert found == {SourceKey("old", Kind.TICKET, "100"): written.target_id}
    # An active contact is not reported (it may still have to be kept out, see
    # test_freshdesk_keep_out.py): the re-sent create adopts it, creating nothing.
    key = SourceKey("old", Kind.USER, CUSTOMER.id)
    assert desk.target.find(Kind.USER, [key]) == {}
    again = desk.write(Kind.USER, CUSTOMER)
    assert again.target_id == desk.links[Ref(kind=Kind.USER, id="c1")]
    assert len(desk.account.backend.contacts) == 1


def test_files_over_20_mb_on_one_comment_go_on_a_following_private_note(desk: Desk) -> None:
    desk.people()
    source = ticket(comment(1, public=True, author=AGENT, files=(8 * MB, 8 * MB, 8 * MB)))
    result = desk.write(Kind.TICKET, source)
    assert result.ok
    stored = desk.account.backend.conversations(int(result.target_id))
    assert [len(c["attachments"]) for c in stored] == [2, 1]
    assert stored[1]["private"] is True
    (back,) = desk.read_back().values()
    assert [a.file_name for a in back.comments[1].attachments] == ["a-1.bin", "b-1.bin", "c-1.bin"]
    assert len(back.comments) == 2  # the overflow note is not a comment of its own


def test_a_single_file_over_20_mb_is_a_failure_row_and_no_ticket(desk: Desk) -> None:
    desk.people()
    result = desk.write(
        Kind.TICKET, ticket(comment(1, public=False, author=AGENT, files=(21 * MB,)))
    )
    assert not result.ok
    assert "20 MB" in result.error
    assert "a-1.bin" in result.platform_message
    assert desk.read_back() == {}


def test_a_value_outside_a_dropdowns_choices_fails_with_freshdesks_message(desk: Desk) -> None:
    coin = FieldDef(
        id="f1",
        object=FieldObject.TICKET,
        key="coin",
        title="Coin",
        type=FieldType.DROPDOWN,
        options=(FieldOption(name="Bitcoin", value="btc"), FieldOption(name="Ether", value="eth")),
    )
    desk.target.prepare(Needs(fields=(coin,)), dry_run=False)
    desk.people()
    assert desk.write(Kind.TICKET, ticket(custom_fields={"coin": "btc"})).ok
    bad = desk.write(Kind.TICKET, ticket(id="101", custom_fields={"coin": "doge"}))
    assert not bad.ok
    assert "400" in bad.error
    assert "coin" in bad.platform_message
    assert len(desk.read_back()) == 1


def test_a_requester_email_freshdesk_rejects_fails_with_its_message(desk: Desk) -> None:
    desk.target.prepare(Needs(), dry_run=False)
    bad = desk.write(Kind.USER, User(id="c9", name="Broken", email="not an e-mail"))
    assert not bad.ok
    assert "email" in bad.platform_message


def test_an_agent_without_a_seat_is_a_failure_row_naming_the_email(desk: Desk) -> None:
    desk.target.prepare(Needs(), dry_run=False)
    result = desk.write(
        Kind.USER, User(id="a9", name="New", email="new@desk.example", role=Role.AGENT)
    )
    assert not result.ok
    assert "new@desk.example" in result.platform_message


def test_an_unmatched_agent_becomes_the_fallback_agent_the_mapping_names(desk: Desk) -> None:
    desk.target.prepare(Needs(fallback_agent_email="SMITH@desk.example"), dry_run=False)
    smith = desk.account.backend.find_contact(email=AGENT.email)
    seats = len(desk.account.backend.agents)
    ghost = User(id="a9", name="Gone", email="gone@desk.example", role=Role.AGENT)
    (foreseen,) = desk.target.foresee(Kind.USER, [outgoing(ghost)])
    result = desk.write(Kind.USER, ghost)
    assert result.ok
    assert result.matched
    assert result.target_id == str(smith)
    assert foreseen == result
    assert len(desk.account.backend.agents) == seats  # no seat was created


def test_a_fallback_agent_the_account_lacks_is_a_configuration_error(desk: Desk) -> None:
    with pytest.raises(ConfigError, match=r"nobody@desk\.example is not an agent"):
        desk.target.prepare(Needs(fallback_agent_email="nobody@desk.example"), dry_run=True)


def test_a_contact_whose_email_is_taken_is_adopted_and_never_written_over(desk: Desk) -> None:
    desk.target.prepare(Needs(), dry_run=False)
    session = desk.account.session(authenticated=True)
    base = f"{desk.account.base_url}/api/v2"
    held = session.post(f"{base}/contacts", json={"name": "Ana (CRM)", "email": "ANA@example.com"})
    assert held.status_code == 201
    (foreseen,) = desk.target.foresee(Kind.USER, [outgoing(CUSTOMER)])
    result = desk.write(Kind.USER, CUSTOMER)
    assert result.ok
    assert result.matched
    assert result.target_id == str(held.json()["id"])
    assert foreseen == result
    # A later change in the source is not written over the account's own contact.
    again = desk.write(Kind.USER, attrs.evolve(CUSTOMER, name="Ana L."), result.target_id)
    assert again.ok
    contact = session.get(f"{base}/contacts/{result.target_id}").json()
    assert contact["name"] == "Ana (CRM)"
    assert contact["unique_external_id"] is None
    emails = [c["email"].lower() for c in desk.account.backend.contacts.values() if c["email"]]
    assert emails.count("ana@example.com") == 1


def test_a_taken_email_fails_when_the_mapping_does_not_match_users(desk: Desk) -> None:
    desk.target.prepare(Needs(user_match="none"), dry_run=False)
    session = desk.account.session(authenticated=True)
    session.post(
        f"{desk.account.base_url}/api/v2/contacts", json={"name": "Ana", "email": CUSTOMER.email}
    )
    (foreseen,) = desk.target.foresee(Kind.USER, [outgoing(CUSTOMER)])
    result = desk.write(Kind.USER, CUSTOMER)
    assert not result.ok
    assert result.error == CONTACT_EXISTS
    assert "duplicate_value" in result.platform_message
    assert foreseen is not None
    assert foreseen.error == result.error


def test_an_end_user_with_an_agents_email_fails_with_one_reason(desk: Desk) -> None:
    desk.target.prepare(Needs(), dry_run=False)
    twin = User(id="c5", name="Smith at home", email=AGENT.email)
    (foreseen,) = desk.target.foresee(Kind.USER, [outgoing(twin)])
    result = desk.write(Kind.USER, twin)
    assert not result.ok
    assert result.error == EMAIL_TAKEN
    assert foreseen is not None
    assert foreseen.error == EMAIL_TAKEN


def test_an_end_user_with_a_deleted_contacts_email_fails_with_one_reason(desk: Desk) -> None:
    desk.target.prepare(Needs(), dry_run=False)
    session = desk.account.session(authenticated=True)
    base = f"{desk.account.base_url}/api/v2"
    gone = session.post(f"{base}/contacts", json={"name": "Ana", "email": CUSTOMER.email})
    assert session.delete(f"{base}/contacts/{gone.json()['id']}").status_code == 204
    (foreseen,) = desk.target.foresee(Kind.USER, [outgoing(CUSTOMER)])
    result = desk.write(Kind.USER, CUSTOMER)
    assert not result.ok
    assert result.error == EMAIL_TAKEN
    assert foreseen is not None
    assert foreseen.error == EMAIL_TAKEN


def outgoing(person: User) -> Outgoing:
    """``person`` as the dry run hands it to ``foresee`` (no links)."""
    return Outgoing(key=SourceKey("old", Kind.USER, person.id), record=person)


def test_a_429_storm_is_paced_on_the_clock_and_nothing_is_lost() -> None:
    desk = Desk(faults=WireFaults(rate_429=0.5, seed=4))
    desk.people()
    results = [
        desk.write(Kind.TICKET, ticket(comment(1, public=True, author=AGENT), id=str(200 + n)))
        for n in range(10)
    ]
    assert all(r.ok for r in results)
    assert sum(b.throttled for b in desk.target.budgets.values()) > 0
    assert desk.clock.sleeps  # waited on the injected clock, never for real
    assert len(desk.read_back()) == 10
    assert all(len(desk.account.backend.conversations(int(r.target_id))) == 1 for r in results)
