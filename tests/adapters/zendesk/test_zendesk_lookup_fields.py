"""Zendesk lookup relationship fields: read as lookups, created as lookups, written as the
target's ids; a lookup to a group (which Zendesk has not) kept as the group's name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.zendesk import convert as zd
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Ref,
    SourceKey,
    Status,
    Ticket,
    User,
)

WHEN = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("target_type", "kind"),
    [("zen:user", Kind.USER), ("zen:organization", Kind.ORGANIZATION), ("zen:ticket", Kind.TICKET)],
)
def test_a_lookup_field_is_read_as_a_lookup_naming_its_kind(target_type: str, kind: Kind) -> None:
    definition = zd.field(
        {
            "id": 7,
            "type": "lookup",
            "title": "Success manager",
            "key": "success_manager",
            "relationship_target_type": target_type,
            "relationship_filter": {},
        },
        object=FieldObject.USER,
    )
    assert definition is not None
    assert definition.type is FieldType.LOOKUP
    assert definition.references is kind
    assert zd.field_payload(definition)["relationship_target_type"] == target_type
    assert zd.field_payload(definition)["type"] == "lookup"


def test_a_lookup_to_a_custom_object_is_text_saying_what_it_pointed_to() -> None:
    definition = zd.field(
        {
            "id": 8,
            "type": "lookup",
            "title": "Car",
            "relationship_target_type": "zen:custom_object:car",
        },
        object=FieldObject.TICKET,
    )
    assert definition is not None
    assert definition.type is FieldType.TEXT
    assert definition.references is None
    assert definition.description == "Lookup to zen:custom_object:car (the source's id)"


def _ticket(values: dict[str, str]) -> Outgoing:
    ticket = Ticket(
        id="10",
        subject="s",
        description="d",
        status=Status.OPEN,
        requester=Ref(kind=Kind.USER, id="u1"),
        created_at=WHEN,
        updated_at=WHEN,
        custom_fields=values,
    )
    links = {
        Ref(kind=Kind.USER, id="u1"): "901",
        Ref(kind=Kind.USER, id="u2"): "902",
        Ref(kind=Kind.GROUP, id="g1"): "501",
    }
    return Outgoing(key=SourceKey("sf", Kind.TICKET, "10"), record=ticket, links=links)


def test_ticket_lookups_are_written_as_the_targets_ids_and_a_group_as_its_name() -> None:
    group_lookup = FieldDef(
        id="3",
        object=FieldObject.TICKET,
        key="escalation_queue",
        title="Escalation queue",
        type=FieldType.LOOKUP,
        references=Kind.GROUP,
        description="Where it escalates.",
    )
    payload = zd.field_payload(group_lookup)
    assert payload["type"] == "text"  # Zendesk has no lookup to a group
    assert str(payload["description"]).startswith(zd.GROUP_NAME_NOTE)
    # What the target reads back: its fields, the group one as the text it was created as.
    fields = [
        FieldDef(
            id="1",
            object=FieldObject.TICKET,
            key="owner",
            title="Owner",
            type=FieldType.LOOKUP,
            references=Kind.USER,
        ),
        FieldDef(
            id="2",
            object=FieldObject.TICKET,
            key="backup",
            title="Backup",
            type=FieldType.LOOKUP,
            references=Kind.USER,
        ),
        FieldDef(
            id="3",
            object=FieldObject.TICKET,
            key="escalation_queue",
            title="Escalation queue",
            type=FieldType.TEXT,
            description=str(payload["description"]),
        ),
    ]
    lookups = zd.lookup_kinds(fields, FieldObject.TICKET)
    assert lookups == {"owner": Kind.USER, "backup": Kind.USER, "escalation_queue": Kind.GROUP}
    body = zd.ticket_import_payload(
        _ticket({"owner": "u2", "backup": "u9", "escalation_queue": "g1"}),
        field_ids={"owner": 1, "backup": 2, "escalation_queue": 3},
        upload_tokens={},
        lookups=lookups,
        group_names={"501": "Tier 2"},
    )
    values = {c["id"]: c["value"] for c in body["custom_fields"]}  # type: ignore[index,union-attr]
    # u9 is not in the target (yet): written empty, never as the source's id.
    assert values == {1: "902", 2: None, 3: "Tier 2"}


def test_user_lookups_are_written_as_the_targets_ids() -> None:
    person = User(id="u1", name="Ana", email="ana@example.com", custom_fields={"buddy": "u2"})
    item = Outgoing(
        key=SourceKey("sf", Kind.USER, "u1"),
        record=person,
        links={Ref(kind=Kind.USER, id="u2"): "902"},
    )
    body = zd.user_payload(item, lookups={"buddy": Kind.USER})
    assert body["user_fields"]["buddy"] == "902"  # type: ignore[index,call-overload]
