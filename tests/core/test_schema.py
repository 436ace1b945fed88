"""The common schema rejects bad values at the boundary, naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from cemigrate.schema import (
    Attachment,
    Comment,
    Kind,
    Ref,
    SlaEvent,
    SourceKey,
    Ticket,
    User,
    content_hash,
    refs_of,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def ticket(**changes: object) -> Ticket:
    fields: dict[str, object] = {
        "id": "1",
        "subject": "Withdrawal pending",
        "description": "My BTC withdrawal is stuck",
        "status": "open",
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(changes)
    return Ticket(**fields)  # type: ignore[arg-type]


def test_naive_datetime_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"Ticket\.created_at: naive datetime"):
        ticket(created_at=datetime(2025, 3, 1, 12, 0))


def test_aware_datetime_is_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    record = ticket(created_at=datetime(2025, 3, 1, 14, 0, tzinfo=plus_two))
    assert record.created_at == NOW
    assert record.created_at.tzinfo is UTC


def test_negative_attachment_size_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"Attachment\.size: -1 is negative"):
        Attachment(id="a", file_name="id.png", content_type="image/png", size=-1)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ticket(status="onhold"), "Ticket.status"),
        (lambda: ticket(priority="critical"), "Ticket.priority"),
        (lambda: ticket(channel="fax"), "Ticket.channel"),
        (lambda: User(id="1", name="Ana", role="superuser"), "User.role"),
        (
            lambda: SlaEvent(
                id="1", ticket=Ref(kind="ticket", id="1"), metric="x", kind="breach", time=NOW
            ),
            "SlaEvent.metric",
        ),
    ],
)
def test_unknown_enum_value_is_rejected_naming_field_and_choices(make: object, field: str) -> None:
    with pytest.raises(ValueError, match=rf"{field}: .* is not a valid .*choose one of"):
        make()  # type: ignore[operator]


def test_bad_sha256_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"Attachment\.sha256"):
        Attachment(id="a", file_name="a", content_type="x", size=1, sha256="abc")


def test_integer_ids_are_kept_as_text() -> None:
    assert ticket(id=123).id == "123"
    assert Ref(kind="user", id=5) == Ref(kind=Kind.USER, id="5")


def test_content_hash_changes_with_any_field_and_only_then() -> None:
    base = ticket(comments=(_comment(),))
    assert content_hash(base) == content_hash(ticket(comments=(_comment(),)))
    assert content_hash(base) != content_hash(attrs.evolve(base, subject="other"))
    private = attrs.evolve(base.comments[0], public=False)
    assert content_hash(base) != content_hash(attrs.evolve(base, comments=(private,)))


def test_refs_of_finds_references_inside_comments() -> None:
    record = ticket(requester=Ref(kind="user", id="9"), comments=(_comment(),))
    assert set(refs_of(record)) == {Ref(kind="user", id="9"), Ref(kind="user", id="2")}


def test_source_key_round_trips_even_with_colons_in_ids() -> None:
    key = SourceKey("emea", Kind.TICKET, "a:b")
    assert str(key) == "emea:ticket:a:b"
    assert SourceKey.parse(str(key)) == key


def test_records_are_immutable() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ticket().subject = "x"  # type: ignore[misc]


def _comment() -> Comment:
    return Comment(
        id="c1",
        author=Ref(kind="user", id="2"),
        public=True,
        body_html="<p>Hi</p>",
        body_plain="Hi",
        created_at=NOW,
    )


def test_a_rule_links_what_it_names_without_needing_it() -> None:
    from cemigrate.schema import Rule, RuleKind, linked_refs, owner_ticket, refs_of

    group = Ref(kind=Kind.GROUP, id="7")
    rule = Rule(id="1", kind=RuleKind.TRIGGER, title="route", names=(group,))
    assert refs_of(rule) == []  # a group the target lacks is a gap, not a missing record
    assert linked_refs(rule) == [group]  # but the copier links it when it can
    assert rule == Rule(id="1", kind=RuleKind.TRIGGER, title="route")  # names are read, not data
    assert owner_ticket(rule) is None
