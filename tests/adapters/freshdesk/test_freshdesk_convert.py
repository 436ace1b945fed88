"""Freshdesk JSON ⇄ schema, on real sample payloads (cassettes/freshdesk/samples)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters import Outgoing
from cemigrate.adapters.freshdesk import convert
from cemigrate.adapters.sla_history import SLA_NOTE_HEADING
from cemigrate.errors import RecordError
from cemigrate.schema import (
    Channel,
    Comment,
    FieldObject,
    Kind,
    Priority,
    Ref,
    Role,
    RuleKind,
    SatisfactionScore,
    SlaEventKind,
    SlaMetric,
    SourceKey,
    Status,
    Ticket,
    TicketType,
    User,
)

SAMPLES = Path(__file__).resolve().parents[3] / "cassettes" / "freshdesk" / "samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_sample_ticket_reads_with_description_first_and_conversations_in_order() -> None:
    ticket = convert.ticket(sample("ticket_1.json"), sample("conversations.json"), instance="fd")
    assert ticket.id == "1"
    assert ticket.status is Status.OPEN
    assert ticket.priority is Priority.LOW
    assert ticket.type is TicketType.QUESTION
    assert ticket.channel is Channel.WEB  # source 2: portal
    assert ticket.tags == ("foo", "bar")
    assert ticket.created_at == datetime(2016, 5, 18, 4, 36, 4, tzinfo=UTC)
    first, note, reply = ticket.comments
    assert first.body_plain == "This is a sample ticket, feel free to delete it."
    assert first.public
    assert first.author == Ref(kind=Kind.USER, id="6012691534")
    assert [a.file_name for a in first.attachments] == ["attachment.txt"]
    assert first.attachments[0].size == 44115
    assert first.attachments[0].location.endswith("/original/attachment.txt")
    assert note.public is False  # a private note stays private
    assert reply.public is True
    assert reply.author == Ref(kind=Kind.USER, id="1")


def test_sample_ticket_gives_sla_events_and_metrics_from_due_dates_and_stats() -> None:
    data = sample("ticket_1.json")
    events = convert.sla_events(data)
    by = {(e.metric, e.kind): e for e in events}
    created = datetime(2016, 5, 18, 4, 36, 4, tzinfo=UTC)
    # fr_due_by one hour after creation, first reply not escalated, answered: fulfilled.
    apply_frt = by[(SlaMetric.FIRST_REPLY_TIME, SlaEventKind.APPLY)]
    assert apply_frt.time == created
    assert apply_frt.target_minutes == 60
    assert (SlaMetric.FIRST_REPLY_TIME, SlaEventKind.FULFILL) in by
    # is_escalated: the resolution target was breached at due_by.
    breach = by[(SlaMetric.RESOLUTION_TIME, SlaEventKind.BREACH)]
    assert breach.time == datetime(2016, 5, 18, 23, 36, 4, tzinfo=UTC)
    assert (SlaMetric.RESOLUTION_TIME, SlaEventKind.FULFILL) not in by
    metrics = convert.ticket_metrics(data)
    assert metrics is not None
    first_reply = datetime(2020, 6, 17, 20, 23, 43, tzinfo=UTC)
    assert metrics.first_reply.calendar == int((first_reply - created).total_seconds() // 60)
    assert metrics.reopens == 0


def test_sample_contact_agent_company_and_group() -> None:
    person = convert.contact(sample("contact.json"))
    assert person.role is Role.END_USER
    assert person.email == "rachel@freshdesk.com"
    assert person.locale == "en-US"
    agent = convert.agent(sample("agent_1.json"), admin_role_ids={"1"})
    assert agent.role is Role.AGENT
    assert agent.email == "rachel@freshdesk.com"
    admin = convert.agent({**sample("agent_1.json"), "role_ids": [1]}, admin_role_ids={"1"})
    assert admin.role is Role.ADMIN
    inactive = sample("agent_1.json")
    inactive["contact"]["active"] = False
    assert convert.agent(inactive).suspended
    company = convert.organization(sample("company.json"))
    assert company.domains == ("supernova", "nova", "super")
    assert company.custom_fields["website"] == "https://www.supernova.org"
    group = convert.group(sample("group_1.json"))
    memberships = convert.group_memberships(sample("group_1.json"))
    assert group.name == "Entertainers"
    assert [(m.user.id, m.group.id) for m in memberships] == [("2", "1"), ("15", "1")]


def test_default_fields_are_skipped_and_custom_keys_lose_cf() -> None:
    assert (
        convert.field({"id": 1, "name": "status", "default": True}, object=FieldObject.TICKET)
        is None
    )
    definition = convert.field(
        {
            "id": 9,
            "name": "cf_coin",
            "label": "Coin",
            "type": "custom_dropdown",
            "default": False,
            "choices": ["btc", "eth"],
        },
        object=FieldObject.TICKET,
    )
    assert definition is not None
    assert definition.key == "coin"
    assert [o.value for o in definition.options] == ["btc", "eth"]


def test_a_payload_missing_its_id_names_the_field_not_the_content() -> None:
    with pytest.raises(RecordError, match="'id' is missing"):
        convert.ticket({"subject": "secret subject", "created_at": "2020-01-01T00:00:00Z"})


def test_rating_and_rule() -> None:
    rating = convert.satisfaction_rating(
        {"id": 5, "ticket_id": 7, "user_id": 3, "ratings": {"default_question": -103}}
    )
    assert rating is not None
    assert rating.score is SatisfactionScore.BAD
    rule = convert.rule(
        {
            "id": 4,
            "name": "Route VIP",
            "active": True,
            "conditions": [
                {
                    "name": "c",
                    "match_type": "all",
                    "properties": [{"field_name": "priority", "operator": "in", "value": [4]}],
                }
            ],
            "actions": [{"field_name": "group_id", "value": 3}],
        },
        RuleKind.DISPATCHER,
    )
    assert rule.conditions_all[0].field == "priority"
    assert rule.actions[0].value == 3
    assert rule.raw["name"] == "Route VIP"


def _ticket(**changes: Any) -> Ticket:
    base: dict[str, Any] = {
        "id": "42",
        "subject": "Withdrawal stuck",
        "description": "Help",
        "status": Status.CLOSED,
        "priority": Priority.HIGH,
        "type": TicketType.INCIDENT,
        "channel": Channel.EMAIL,
        "created_at": datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 2, 9, 0, tzinfo=UTC),
        "solved_at": datetime(2024, 3, 2, 8, 0, tzinfo=UTC),
        "requester": Ref(kind=Kind.USER, id="7"),
        "custom_fields": {"coin": "btc"},
        "comments": (
            Comment(
                id="1",
                author=Ref(kind=Kind.USER, id="7"),
                public=True,
                body_html="<p>Help</p>",
                body_plain="Help",
                created_at=datetime(2024, 3, 1, 9, 0, tzinfo=UTC),
            ),
        ),
    }
    return Ticket(**{**base, **changes})


def test_ticket_payload_keeps_codes_source_key_and_original_times() -> None:
    out = Outgoing(
        key=SourceKey("emea", Kind.TICKET, "42"),
        record=_ticket(),
        links={Ref(kind=Kind.USER, id="7"): "9001"},
    )
    names = {
        "coin": "cf_coin",
        **{f.key: f"cf_{f.key}" for f in convert.CEMIGRATE_TICKET_FIELDS},
    }
    payload = convert.ticket_payload(out, names)
    assert (payload["status"], payload["priority"], payload["source"]) == (5, 3, 1)
    assert payload["type"] == "Incident"
    assert payload["requester_id"] == 9001
    assert payload["description"] == "<p>Help</p>"
    assert payload["custom_fields"] == {
        "cf_coin": "btc",
        "cf_cemigrate_id": "emea:ticket:42",
        "cf_cemigrate_created_at": "2024-03-01T09:00:00Z",
        "cf_cemigrate_updated_at": "2024-03-02T09:00:00Z",
        "cf_cemigrate_solved_at": "2024-03-02T08:00:00Z",
    }
    mapped = convert.ticket_payload(out, names, values={"status": {"closed": "4"}})
    assert mapped["status"] == 4


def test_ticket_payload_refuses_a_requester_missing_from_the_target() -> None:
    out = Outgoing(key=SourceKey("emea", Kind.TICKET, "42"), record=_ticket())
    with pytest.raises(RecordError) as caught:
        convert.ticket_payload(out, {f.key: f.key for f in convert.CEMIGRATE_TICKET_FIELDS})
    assert "user 7" in caught.value.platform_message or "user:7" in str(caught.value)


def test_conversation_first_line_round_trips_the_original_time() -> None:
    when = datetime(2023, 7, 4, 12, 30, 5, tzinfo=UTC)
    note = Comment(
        id="3",
        author=None,
        public=False,
        body_html="<p>Checked KYC</p>",
        body_plain="Checked KYC",
        created_at=when,
    )
    body = convert.conversation_body(note)
    assert body.startswith("<p>[cemigrate: originally at 2023-07-04T12:30:05Z]</p>")
    back = convert.conversation(
        {
            "id": 77,
            "body": body,
            "body_text": "[cemigrate: originally at 2023-07-04T12:30:05Z]\nChecked KYC",
            "private": True,
            "user_id": 5,
            "source": 2,
            "created_at": "2025-01-01T00:00:00Z",
        }
    )
    assert back.created_at == when
    assert back.body_plain == "Checked KYC"
    assert back.body_html == "<p>Checked KYC</p>"
    assert back.public is False


def test_empty_comment_is_written_with_a_marker_and_read_back_empty() -> None:
    when = datetime(2023, 7, 4, tzinfo=UTC)
    empty = Comment(id="4", author=None, public=True, body_html="", body_plain="", created_at=when)
    body = convert.conversation_body(empty)
    assert convert.EMPTY_BODY in body
    back = convert.conversation(
        {"id": 1, "body": body, "private": False, "created_at": "2025-01-01T00:00:00Z"}
    )
    assert back.body_plain == ""
    assert back.body_html == ""


def test_sla_history_note_is_not_read_as_a_comment() -> None:
    note = {
        "id": 9,
        "body": SLA_NOTE_HEADING + "<br>SLA breaches: 0",
        "body_text": SLA_NOTE_HEADING + "\nSLA breaches: 0",
        "private": True,
        "created_at": "2025-01-01T00:00:00Z",
    }
    ticket = convert.ticket(sample("ticket_1.json"), [note])
    assert len(ticket.comments) == 1


def test_contact_payload_carries_the_source_key_as_unique_external_id() -> None:
    person = User(id="7", name="Ana Lima", email="ana@example.com", locale="pt-BR", tags=("vip",))
    out = Outgoing(key=SourceKey("emea", Kind.USER, "7"), record=person)
    payload = convert.contact_payload(out, {})
    assert payload["unique_external_id"] == "emea:user:7"
    assert payload["language"] == "pt-BR"
    assert "time_zone" not in payload  # Freshdesk's zone names are not IANA names
