"""Salesforce rows ⇄ schema records: the conversions the data model (docs/salesforce.md) names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.salesforce import convert
from cemigrate.errors import RecordError
from cemigrate.schema import (
    Channel,
    Comment,
    FieldDef,
    FieldObject,
    FieldOption,
    FieldType,
    Kind,
    Priority,
    Ref,
    Role,
    SlaEventKind,
    SlaMetric,
    SourceKey,
    Status,
    Ticket,
    User,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CASE = "500000000000001AAA"
AGENT = "005000000000001AAA"
CONTACT = "003000000000001AAA"


def case_row(**extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "Id": CASE,
        "Subject": "Printer on fire",
        "Description": "It smokes",
        "Status": "Waiting on Customer",
        "Priority": "Critical",
        "Type": "Incident",
        "Origin": "Email",
        "ContactId": CONTACT,
        "AccountId": "001000000000001AAA",
        "OwnerId": AGENT,
        "CreatedDate": "2024-03-01T09:00:00.000+0000",
        "LastModifiedDate": "2024-03-02T10:00:00.000+0000",
        "IsDeleted": False,
        "Cemigrate_Tags__c": "vip printer",
        "Cemigrate_Queue_Id__c": "00G000000000001AAA",
        "Order_Id__c": "A-17",
    }
    row.update(extra)
    return row


def test_case_reads_picklists_owner_queue_tags_and_custom_fields() -> None:
    fields = {
        "Order_Id__c": FieldDef(
            id="Case.Order_Id__c", object="ticket", key="order_id", title="Order", type="text"
        )
    }
    ticket = convert.case(case_row(), instance="sf", fields=fields)
    assert (ticket.status, ticket.priority, ticket.channel) == (
        Status.PENDING,
        Priority.URGENT,
        Channel.EMAIL,
    )
    assert ticket.assignee == Ref(kind=Kind.USER, id=AGENT)
    assert ticket.group == Ref(kind=Kind.GROUP, id="00G000000000001AAA")
    assert ticket.requester == Ref(kind=Kind.USER, id=CONTACT)
    assert ticket.tags == ("vip", "printer")
    assert ticket.custom_fields == {"order_id": "A-17"}
    assert ticket.created_at == T0


def test_a_queue_owner_is_the_group_and_cemigrate_times_win() -> None:
    ticket = convert.case(
        case_row(
            OwnerId="00G000000000009AAA",
            Status="Closed",
            ClosedDate="2024-03-05T00:00:00.000+0000",
            Cemigrate_Created_At__c="2020-01-01T00:00:00.000+0000",
        ),
        instance="sf",
    )
    assert ticket.assignee is None
    assert ticket.group == Ref(kind=Kind.GROUP, id="00G000000000009AAA")
    assert ticket.created_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert ticket.solved_at == datetime(2024, 3, 5, tzinfo=UTC)


def test_a_case_without_created_date_is_refused_naming_the_field() -> None:
    with pytest.raises(RecordError, match="CreatedDate"):
        convert.case(case_row(CreatedDate=None), instance="sf")


def test_key_and_api_name_round_trip() -> None:
    assert convert.key_to_api_name("order_id") == "Order_Id__c"
    assert convert.api_name_to_key("Order_Id__c") == "order_id"


def test_describe_field_becomes_a_field_def_and_ours_are_hidden() -> None:
    picklist = {
        "name": "Tier__c",
        "custom": True,
        "type": "picklist",
        "label": "Tier",
        "picklistValues": [{"value": "gold", "label": "Gold", "active": True}],
    }
    definition = convert.field(picklist, object=FieldObject.TICKET)
    assert definition is not None
    assert (definition.key, definition.type) == ("tier", FieldType.DROPDOWN)
    assert definition.options == (FieldOption(name="Gold", value="gold", position=0),)
    integer = {"name": "Seats__c", "custom": True, "type": "double", "scale": 0, "label": "Seats"}
    assert convert.field(integer, object=FieldObject.ORGANIZATION).type is FieldType.INTEGER  # type: ignore[union-attr]
    ours = {"name": "Cemigrate_Id__c", "custom": True, "type": "string"}
    assert convert.field(ours, object=FieldObject.TICKET) is None
    assert convert.field({"name": "Subject", "type": "string"}, object=FieldObject.TICKET) is None


def test_field_metadata_is_a_tooling_custom_field() -> None:
    definition = FieldDef(
        id="1",
        object="ticket",
        key="tier",
        title="Tier",
        type="multiselect",
        options=(FieldOption(name="Gold", value="gold"),),
    )
    body = convert.field_metadata(definition)
    assert body["FullName"] == "Case.Tier__c"
    meta = body["Metadata"]
    assert isinstance(meta, dict)
    assert meta["type"] == "MultiselectPicklist"


def test_contact_and_user_roles_never_mix() -> None:
    person = convert.contact(
        {"Id": CONTACT, "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@x.org"}
    )
    assert (person.name, person.role) == ("Ada Lovelace", Role.END_USER)
    agent = convert.user(
        {
            "Id": AGENT,
            "Name": "Bo",
            "Email": "bo@x.org",
            "IsActive": False,
            "Profile": {"Name": "Standard User"},
        }
    )
    assert (agent.role, agent.suspended) == (Role.AGENT, True)
    admin = convert.user(
        {"Id": AGENT, "Name": "Al", "IsActive": True, "Profile": {"Name": "System Administrator"}}
    )
    assert admin.role is Role.ADMIN


def outgoing(ticket: Ticket, links: dict[Ref, str]) -> Outgoing:
    return Outgoing(key=SourceKey("zd", Kind.TICKET, ticket.id), record=ticket, links=links)


def comment(
    cid: str, *, public: bool, channel: Channel, author: str, body: str = "hello"
) -> Comment:
    return Comment(
        id=cid,
        author=Ref(kind=Kind.USER, id=author),
        public=public,
        body_html="",
        body_plain=body,
        created_at=T0,
        channel=channel,
    )


def test_private_comments_never_become_public_and_email_replies_are_email_messages() -> None:
    private = comment("1", public=False, channel=Channel.EMAIL, author="a")
    public_mail = comment("2", public=True, channel=Channel.EMAIL, author="a")
    public_web = comment("3", public=True, channel=Channel.WEB, author="a")
    assert convert.route(private) == "CaseComment"
    assert convert.route(public_mail) == "EmailMessage"
    assert convert.route(public_web) == "CaseComment"
    ticket = Ticket(
        id="7", subject="s", description="d", status="open", created_at=T0, updated_at=T0
    )
    item = outgoing(ticket, {Ref(kind=Kind.USER, id="a"): AGENT})
    (note,) = convert.case_comment_payloads(item, private, case_id=CASE, audit=True)
    assert note["IsPublished"] is False
    assert note["CreatedById"] == AGENT
    assert note["CommentBody"] == "hello"


def test_an_end_user_case_comment_keeps_its_author_in_the_first_line_and_reads_back() -> None:
    ticket = Ticket(
        id="7", subject="s", description="d", status="open", created_at=T0, updated_at=T0
    )
    note = comment("3", public=True, channel=Channel.WEB, author="c")
    item = outgoing(ticket, {Ref(kind=Kind.USER, id="c"): CONTACT})
    (body,) = convert.case_comment_payloads(item, note, case_id=CASE, audit=True)
    assert "CreatedById" not in body
    back, part = convert.case_comment(
        {
            "Id": "00a1",
            "CommentBody": body["CommentBody"],
            "IsPublished": True,
            "CreatedById": AGENT,
            "CreatedDate": "2025-01-01T00:00:00.000+0000",
        },
        channel=Channel.WEB,
    )
    assert part is None
    assert back.author == Ref(kind=Kind.USER, id=CONTACT)
    assert back.created_at == T0
    assert back.body_plain == "hello"


def test_a_body_over_the_limit_is_split_into_numbered_parts_and_joined_back() -> None:
    long = "é" * 5000  # 10,000 bytes, over CaseComment's 4,000
    ticket = Ticket(
        id="7", subject="s", description="d", status="open", created_at=T0, updated_at=T0
    )
    note = comment("9", public=False, channel=Channel.WEB, author="a", body=long)
    item = outgoing(ticket, {Ref(kind=Kind.USER, id="a"): AGENT})
    parts = convert.case_comment_payloads(item, note, case_id=CASE, audit=True)
    assert len(parts) == 3
    assert all(
        len(str(p["CommentBody"]).encode()) <= convert.CASE_COMMENT_LIMIT_BYTES for p in parts
    )
    rows = [
        convert.case_comment(
            {
                "Id": f"00a{i}",
                "CommentBody": p["CommentBody"],
                "IsPublished": False,
                "CreatedById": AGENT,
                "CreatedDate": "2024-03-01T09:00:00.000+0000",
            },
            channel=Channel.WEB,
        )
        for i, p in enumerate(parts)
    ]
    (joined,) = convert.join_parts(rows)
    assert joined.body_plain == long
    assert joined.public is False


def test_case_payload_sends_audit_fields_only_when_allowed_and_keeps_originals() -> None:
    ticket = Ticket(
        id="7",
        subject="s",
        description="d",
        status="solved",
        created_at=T0,
        updated_at=T0,
        priority="low",
        channel="chat",
        solved_at=T0,
    )
    allowed = {
        n: {}
        for n in (
            "Subject",
            "Description",
            "Status",
            "Priority",
            "Origin",
            "CreatedDate",
            "LastModifiedDate",
            "Cemigrate_Created_At__c",
            "Cemigrate_Updated_At__c",
            "Cemigrate_Solved_At__c",
            "Cemigrate_Complete__c",
        )
    }
    with_audit = convert.case_payload(outgoing(ticket, {}), allowed=allowed, audit=True)
    assert with_audit["CreatedDate"] == "2024-03-01T09:00:00.000+0000"
    assert (with_audit["Status"], with_audit["Priority"], with_audit["Origin"]) == (
        "Resolved",
        "Low",
        "Chat",
    )
    without = convert.case_payload(outgoing(ticket, {}), allowed=allowed, audit=False)
    assert "CreatedDate" not in without
    assert without["Cemigrate_Created_At__c"] == "2024-03-01T09:00:00.000+0000"
    assert without["Cemigrate_Id__c"] == "zd:ticket:7"


def test_a_reference_not_in_the_target_names_it() -> None:
    ticket = Ticket(
        id="7",
        subject="s",
        description="d",
        status="open",
        created_at=T0,
        updated_at=T0,
        requester=Ref(kind=Kind.USER, id="42"),
    )
    with pytest.raises(RecordError) as caught:
        convert.case_payload(outgoing(ticket, {}), allowed={}, audit=False)
    assert "user:42" in caught.value.platform_message


def test_milestones_become_sla_events_and_metrics() -> None:
    row = {
        "Id": "mil1",
        "CaseId": CASE,
        "StartDate": "2024-03-01T09:00:00.000+0000",
        "TargetDate": "2024-03-01T10:00:00.000+0000",
        "CompletionDate": "2024-03-01T11:30:00.000+0000",
        "IsViolated": True,
        "TargetResponseInMins": 60,
        "MilestoneType": {"Name": "First Response"},
    }
    events = convert.milestone_events(row)
    assert [e.kind for e in events] == [
        SlaEventKind.APPLY,
        SlaEventKind.BREACH,
        SlaEventKind.FULFILL,
    ]
    assert {e.metric for e in events} == {SlaMetric.FIRST_REPLY_TIME}
    assert events[0].target_minutes == 60
    metrics = convert.milestone_metrics(CASE, [row])
    assert metrics is not None
    assert metrics.first_reply.calendar == 150


def test_contact_payload_splits_the_name_and_links_the_account() -> None:
    person = User(
        id="9",
        name="Mary Jane Watson",
        email="mj@x.org",
        organization=Ref(kind=Kind.ORGANIZATION, id="1"),
    )
    body = convert.contact_payload(
        Outgoing(
            key=SourceKey("zd", Kind.USER, "9"),
            record=person,
            links={Ref(kind=Kind.ORGANIZATION, id="1"): "001000000000001AAA"},
        ),
        allowed={},
    )
    assert (body["FirstName"], body["LastName"], body["AccountId"]) == (
        "Mary Jane",
        "Watson",
        "001000000000001AAA",
    )


def test_a_contacts_address_goes_in_mailing_street_and_a_longer_one_fails_by_name() -> None:
    person = User(id="9", name="Ada Lovelace", address="1 Harbour Road\nPort Louis", tags=("vip",))
    outgoing = Outgoing(key=SourceKey("fd", Kind.USER, "9"), record=person, links={})
    body = convert.contact_payload(outgoing, allowed={})
    assert (body["MailingStreet"], body["Cemigrate_Tags__c"]) == (
        "1 Harbour Road\nPort Louis",
        "vip",
    )
    read = convert.contact({**body, "Id": CONTACT})
    assert (read.address, read.tags) == ("1 Harbour Road\nPort Louis", ("vip",))
    too_long = Outgoing(
        key=outgoing.key, record=User(id="9", name="Ada", address="x" * 256), links={}
    )
    with pytest.raises(RecordError, match="MailingStreet"):
        convert.contact_payload(too_long, allowed={})
