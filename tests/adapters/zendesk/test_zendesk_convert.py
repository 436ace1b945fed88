"""Zendesk JSON ⇄ schema: every record of the recorded exchanges in ``cassettes/zendesk/``
converts, and schema records become the payloads the Ticket Import API was seen to accept."""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.zendesk import BATCH_SIZE, BY_NAME, OBJECTS, Paging
from cemigrate.adapters.zendesk import convert as zd
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.errors import RecordError
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import (
    Attachment,
    Channel,
    Comment,
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Minutes,
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
    TicketMetrics,
    TicketType,
    refs_of,
)

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "zendesk"


def recorded(name: str, index: int = 0) -> dict[str, Any]:
    """One recorded interaction of a cassette."""
    data = json.loads((CASSETTES / f"{name}.json").read_text(encoding="utf-8"))
    interaction: dict[str, Any] = data["interactions"][index]
    return interaction


def listed(name: str, key: str) -> list[dict[str, Any]]:
    """The records of the first (list) response of a cassette."""
    items: list[dict[str, Any]] = recorded(name)["response_body"][key]
    return items


def is_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is UTC


@cache
def desk() -> HelpDesk:
    return generate(tickets=30)


@cache
def target_ids() -> dict[Ref, str]:
    """A made-up target id for every record of the demo desk (Zendesk ids are numbers)."""
    ids: dict[Ref, str] = {}
    for kind in (
        Kind.ORGANIZATION,
        Kind.USER,
        Kind.GROUP,
        Kind.BRAND,
        Kind.TICKET_FORM,
        Kind.CUSTOM_STATUS,
    ):
        for n, record in enumerate(desk().records(kind)):
            ids[Ref(kind=kind, id=record.id)] = str(900_000 + 1000 * list(Kind).index(kind) + n)
    return ids


def outgoing(record: Any, *, links: Mapping[Ref, str] | None = None) -> Outgoing:
    key = SourceKey("demo", record.KIND, record.id)
    if links is None:
        links = {ref: target_ids()[ref] for ref in refs_of(record) if ref in target_ids()}
    return Outgoing(key=key, record=record, links=links)


def field_ids() -> dict[str, int]:
    return {f.key: 7_000 + n for n, f in enumerate(desk().fields) if f.object is FieldObject.TICKET}


def tokens_for(ticket: Ticket) -> dict[str, str]:
    return {a.id: f"tok{a.id}" for c in ticket.comments for a in c.attachments}


# --- the object table ---------------------------------------------------------------------


def test_object_table_uses_only_zendesk_budgets_and_bulk_limits_of_100() -> None:
    budgets = set(ZENDESK_PLANS.plans["enterprise"].budgets)
    for row in OBJECTS:
        assert row.read is None or row.read.budget in budgets, row.name
        assert row.write is None or row.write.budget in budgets, row.name
        assert row.write is None or 1 <= row.write.batch_size <= 100, row.name
    tickets = BY_NAME["tickets"]
    assert tickets.read is not None
    assert tickets.write is not None
    assert tickets.read.paging is Paging.EXPORT_CURSOR
    assert tickets.read.page_size == 1000
    assert tickets.read.budget == "zendesk.export"
    assert set(tickets.read.sideloads) == {"users", "groups", "organizations", "metric_sets"}
    assert tickets.write.path == "/api/v2/imports/tickets/create_many.json"
    assert tickets.write.params == {"archive_immediately": "true"}
    assert tickets.write.job
    assert BATCH_SIZE[Kind.TICKET] == 100
    assert BATCH_SIZE[Kind.GROUP] == 1
    assert BY_NAME["organizations"].read is not None
    assert BY_NAME["organizations"].read.paging is Paging.EXPORT_TIME
    assert {r.rule_kind for r in OBJECTS if r.kind is Kind.RULE} == {
        RuleKind.TRIGGER,
        RuleKind.AUTOMATION,
        RuleKind.MACRO,
        RuleKind.VIEW,
    }


# --- recorded reads → schema --------------------------------------------------------------


def test_recorded_users_keep_roles_organization_and_utc_times() -> None:
    users = [zd.user(d) for d in listed("ZendeskAPI_User__read_ZendeskAPI_Client_users", "users")]
    assert [(u.id, u.role) for u in users] == [
        ("20014192", Role.END_USER),
        ("20014182", Role.ADMIN),
        ("20014187", Role.AGENT),
        ("20014327", Role.AGENT),
    ]
    admin = users[1]
    assert admin.organization == Ref(kind=Kind.ORGANIZATION, id="20012227")
    assert admin.email == "admin@example.com"
    assert admin.identities[0].value == admin.email
    assert all(is_utc(u.created_at) and is_utc(u.updated_at) for u in users)
    assert {u.time_zone for u in users} == {"Alaska"}
    assert not any(u.deleted or u.suspended for u in users)
    created = zd.user(recorded("ZendeskAPI_User__creation")["response_body"]["user"])
    assert created.name == "Test U."
    assert created.role is Role.END_USER


def test_user_takes_identities_iana_zone_fields_and_inactive_means_deleted() -> None:
    base = listed("ZendeskAPI_User__read_ZendeskAPI_Client_users", "users")[1]
    identities = listed(
        "ZendeskAPI_User_Identity__under_a_user__read_ZendeskAPI_User_identities", "identities"
    )
    d = {
        **base,
        "active": False,
        "iana_time_zone": "America/Juneau",
        "user_fields": {"tier": "gold", "vip": True, "unset": None},
    }
    person = zd.user(d, identities)
    assert person.deleted
    assert person.time_zone == "America/Juneau"
    assert [(i.value, i.primary, i.verified) for i in person.identities] == [
        ("admin@example.com", True, True),
        ("abcdef@example.com", False, False),
    ]
    assert person.custom_fields == {"tier": "gold", "vip": True}


def test_recorded_organizations_groups_and_memberships() -> None:
    orgs = [
        zd.organization(d)
        for d in listed(
            "ZendeskAPI_Organization__read_ZendeskAPI_Client_organizations", "organizations"
        )
    ]
    assert [(o.id, o.name) for o in orgs] == [("20009346", "Awesome-O"), ("20012227", "Smersh")]
    groups = [
        zd.group(d) for d in listed("ZendeskAPI_Group__read_ZendeskAPI_Client_groups", "groups")
    ]
    assert [(g.id, g.name, g.deleted) for g in groups] == [("20001662", "Support", False)]
    memberships = [
        zd.group_membership(d)
        for d in listed(
            "ZendeskAPI_GroupMembership__read_ZendeskAPI_Client_group_memberships",
            "group_memberships",
        )
    ]
    assert [(m.user.id, m.group.id, m.default) for m in memberships] == [
        ("20014182", "20001662", True),
        ("20014327", "20001662", True),
    ]


def test_recorded_system_ticket_fields_are_skipped_and_custom_ones_keyed_by_title() -> None:
    fields = listed("ZendeskAPI_TicketField__read_ZendeskAPI_Client_ticket_fields", "ticket_fields")
    assert len(fields) == 7
    assert [zd.field(d, object=FieldObject.TICKET) for d in fields] == [None] * 7
    age = zd.field(
        recorded("ZendeskAPI_TicketField__creation")["response_body"]["ticket_field"],
        object=FieldObject.TICKET,
    )
    assert age is not None
    assert (age.id, age.key, age.type, age.position) == ("20011432", "age", FieldType.TEXT, 9999)


def test_dropdown_field_options_keep_name_value_and_position() -> None:
    d = {
        "id": 81,
        "type": "tagger",
        "title": "Product Area",
        "custom_field_options": [
            {"id": 1, "name": "Billing", "raw_name": "Billing", "value": "area_billing"},
            {"id": 2, "name": "Login", "raw_name": "Login", "value": "area_login"},
        ],
    }
    dropdown = zd.field(d, object=FieldObject.TICKET)
    assert dropdown is not None
    assert dropdown.type is FieldType.DROPDOWN
    assert dropdown.key == "product_area"
    assert [(o.name, o.value, o.position) for o in dropdown.options] == [
        ("Billing", "area_billing", 0),
        ("Login", "area_login", 1),
    ]
    user_field = zd.field(
        {"id": 9, "type": "dropdown", "key": "plan", "title": "Plan"}, object=FieldObject.USER
    )
    assert user_field is not None
    assert user_field.key == "plan"


def test_recorded_tickets_convert_with_statuses_channels_and_refs() -> None:
    data = listed("ZendeskAPI_Ticket__read_ZendeskAPI_Client_tickets", "tickets")
    tickets = [zd.ticket(d, instance="rec", fields_by_id={}) for d in data]
    assert len(tickets) == 100
    assert {t.instance for t in tickets} == {"rec"}
    assert all(is_utc(t.created_at) and is_utc(t.updated_at) for t in tickets)
    first = tickets[0]
    assert (first.id, first.status, first.priority, first.type) == (
        "1",
        Status.PENDING,
        Priority.HIGH,
        TicketType.INCIDENT,
    )
    assert first.tags == ("sample", "zendesk")
    assert first.channel is Channel.WEB
    assert first.requester == Ref(kind=Kind.USER, id="20014182")
    assert first.group == Ref(kind=Kind.GROUP, id="20001662")
    assert tickets[1].status is Status.CLOSED
    assert tickets[1].channel is Channel.API
    statuses = collections.Counter(t.status for t in tickets)
    assert sum(statuses.values()) == 100
    assert Status.CLOSED in statuses
    channels = {d["via"]["channel"] for d in data}
    assert {t.channel for t in tickets} <= {Channel.WEB, Channel.API, Channel.EMAIL, Channel.OTHER}
    assert channels  # every recorded channel name maps to some schema channel


def test_ticket_custom_fields_are_keyed_by_field_key_and_typed() -> None:
    fields = {
        "11": FieldDef(id="11", object="ticket", key="amount", title="Amount", type="decimal"),
        "12": FieldDef(id="12", object="ticket", key="count", title="Count", type="integer"),
        "13": FieldDef(id="13", object="ticket", key="areas", title="Areas", type="multiselect"),
    }
    d = {
        **recorded("ZendeskAPI_Ticket__creation")["response_body"]["ticket"],
        "custom_fields": [
            {"id": 11, "value": "12.5"},
            {"id": 12, "value": "3"},
            {"id": 13, "value": ["a", "b"]},
            {"id": 14, "value": None},
        ],
        "email_cc_ids": [5, 6],
        "follower_ids": [7],
        "brand_id": 360,
        "ticket_form_id": 361,
        "custom_status_id": 362,
    }
    t = zd.ticket(
        d, instance="x", fields_by_id=fields, metric_set={"solved_at": "2012-10-27T00:00:00Z"}
    )
    assert t.custom_fields == {"amount": 12.5, "count": 3, "areas": ("a", "b")}
    assert [r.id for r in t.ccs] == ["5", "6"]
    assert [r.id for r in t.followers] == ["7"]
    assert t.brand == Ref(kind=Kind.BRAND, id="360")
    assert t.form == Ref(kind=Kind.TICKET_FORM, id="361")
    assert t.custom_status == Ref(kind=Kind.CUSTOM_STATUS, id="362")
    assert t.solved_at == datetime(2012, 10, 27, tzinfo=UTC)


def test_deleted_ticket_is_closed_and_marked_deleted() -> None:
    d = {**recorded("ZendeskAPI_Ticket__creation")["response_body"]["ticket"], "status": "deleted"}
    t = zd.ticket(d, instance="x", fields_by_id={})
    assert t.deleted
    assert t.status is Status.CLOSED


def test_recorded_audits_give_comments_with_privacy_authors_and_times() -> None:
    audits = listed("ZendeskAPI_Ticket_Audit__read_ZendeskAPI_Ticket_audits", "audits")
    comments = [c for a in audits for c in zd.comments_from_audit(a)]
    assert [c.public for c in comments] == [True, False, True, False]
    assert {c.author for c in comments} == {Ref(kind=Kind.USER, id="20014182")}
    assert [c.channel for c in comments] == [Channel.WEB, Channel.WEB, Channel.WEB, Channel.API]
    assert comments[0].body_html.startswith("<p>This is the first comment")
    assert comments[-1].created_at == datetime(2012, 10, 8, 20, 1, 19, tzinfo=UTC)


def test_ticket_event_comment_takes_time_and_channel_from_its_parent() -> None:
    parent = {
        "id": 1,
        "ticket_id": 5,
        "created_at": "2015-06-03T19:31:44Z",
        "via": {"channel": "voice"},
    }
    event = {
        "id": 99,
        "type": "Comment",
        "author_id": 8,
        "body": "note",
        "html_body": "<p>note</p>",
        "public": False,
        "attachments": [
            {
                "id": 3,
                "file_name": "a.txt",
                "content_type": "text/plain",
                "size": 4,
                "content_url": "https://x.zendesk.com/attachments/token/t/?name=a.txt",
            }
        ],
    }
    c = zd.comment_from_event(event, parent=parent)
    assert (c.id, c.public, c.channel) == ("99", False, Channel.PHONE)
    assert c.created_at == datetime(2015, 6, 3, 19, 31, 44, tzinfo=UTC)
    assert c.attachments == (
        Attachment(
            id="3",
            file_name="a.txt",
            content_type="text/plain",
            size=4,
            location="https://x.zendesk.com/attachments/token/t/?name=a.txt",
        ),
    )
    with pytest.raises(RecordError, match="type"):
        zd.comment_from_event({"type": "Change", "id": 1})


def test_recorded_upload_attachments_convert() -> None:
    upload = recorded("ticket_inline_uploads")["response_body"]["upload"]
    files = [zd.attachment(a) for a in upload["attachments"]]
    assert [(f.file_name, f.content_type, f.size, f.sha256) for f in files] == [
        ("Argentina.gif", "image/gif", 2513, None)
    ]
    assert files[0].location.startswith("https://")


def test_recorded_ticket_metrics_keep_calendar_and_business_minutes() -> None:
    data = listed(
        "ZendeskAPI_TicketMetric__read_ZendeskAPI_Client_ticket_metrics", "ticket_metrics"
    )
    metrics = [zd.ticket_metrics(d) for d in data]
    assert len(metrics) == 100
    second = metrics[1]
    assert second.ticket == Ref(kind=Kind.TICKET, id="20115162")
    assert second.first_reply == Minutes(calendar=1412, business=1412)
    assert second.full_resolution == Minutes(calendar=1658, business=1658)
    assert metrics[0].full_resolution == Minutes()
    assert all(is_utc(m.created_at) for m in metrics)


def test_recorded_satisfaction_ratings() -> None:
    data = listed(
        "ZendeskAPI_SatisfactionRating__read_ZendeskAPI_Client_satisfaction_ratings",
        "satisfaction_ratings",
    )
    ratings = [zd.satisfaction_rating(d) for d in data]
    assert len(ratings) == 65
    assert all(r is not None for r in ratings)
    scores = collections.Counter(r.score for r in ratings if r is not None)
    assert scores == {SatisfactionScore.OFFERED: 64, SatisfactionScore.GOOD: 1}
    (good,) = [r for r in ratings if r is not None and r.score is SatisfactionScore.GOOD]
    assert good.comment  # the one answered rating kept its comment
    first = ratings[0]
    assert first is not None
    assert first.score is SatisfactionScore.OFFERED
    assert first.ticket.id == "2"
    assert first.comment == ""
    assert zd.satisfaction_rating({**data[0], "score": "unoffered"}) is None


def test_recorded_macros_and_views_become_rules_with_raw_kept() -> None:
    macros = [
        zd.rule(d, RuleKind.MACRO)
        for d in listed("ZendeskAPI_Macro__read_ZendeskAPI_Client_macros", "macros")
    ]
    assert len(macros) == 4
    assert [a.field for a in macros[0].actions][:2] == ["status", "priority"]
    assert macros[0].raw["restriction"] is None
    assert not macros[0].conditions_all
    views_data = listed("ZendeskAPI_View__read_ZendeskAPI_Client_views", "views")
    views = [zd.rule(d, RuleKind.VIEW) for d in views_data]
    assert len(views) == 11
    assert [(c.field, c.operator, c.value) for c in views[0].conditions_all] == [
        ("status", "less_than", "solved"),
        ("assignee_id", "is", "current_user"),
    ]
    assert views[0].raw == views_data[0]  # execution (columns, grouping) kept verbatim


def test_demo_desk_rules_and_sla_policies_read_back_from_their_zendesk_payloads() -> None:
    for rule in desk().rules:
        again = zd.rule(rule.raw, rule.kind)
        assert (again.conditions_all, again.conditions_any, again.actions) == (
            rule.conditions_all,
            rule.conditions_any,
            rule.actions,
        )
    for policy in desk().sla_policies:
        assert zd.sla_policy(policy.raw).targets == policy.targets


def test_recorded_legacy_export_rows_convert_with_offsets_to_utc() -> None:
    body = recorded("incremental_export")["response_body"]
    rows = body["results"]
    tickets = [zd.export_row_ticket(r, instance="rec") for r in rows]
    metrics = [zd.export_row_metrics(r) for r in rows]
    assert len(tickets) == len(metrics) == 545
    first = tickets[0]
    assert first.created_at == datetime(2012, 9, 6, 20, 18, 55, tzinfo=UTC)  # 12:18:55 -0800
    assert first.deleted
    assert first.status is Status.CLOSED
    assert first.channel is Channel.API
    assert first.priority is Priority.NORMAL
    deleted = sum(1 for t in tickets if t.deleted)
    assert deleted == sum(1 for r in rows if r["status"] == "Deleted")
    assert all(is_utc(t.created_at) for t in tickets)
    solved = [m for m, r in zip(metrics, rows, strict=True) if r["full_resolution_time_in_minutes"]]
    assert all(m.full_resolution.calendar is not None for m in solved)


def test_sla_events_from_ticket_metric_events() -> None:
    base = {"id": 1, "ticket_id": 987, "time": "2015-08-27T08:00:00Z"}
    apply = zd.sla_event(
        {
            **base,
            "metric": "reply_time",
            "instance_id": 1,
            "type": "apply_sla",
            "sla": {"target": 60, "business_hours": False, "policy": {"id": 5, "title": "T"}},
        }
    )
    assert apply is not None
    assert (apply.kind, apply.metric, apply.target_minutes, apply.business_hours) == (
        SlaEventKind.APPLY,
        SlaMetric.FIRST_REPLY_TIME,
        60,
        False,
    )
    assert apply.policy == Ref(kind=Kind.SLA_POLICY, id="5")
    later = zd.sla_event({**base, "metric": "reply_time", "instance_id": 2, "type": "breach"})
    assert later is not None
    assert later.metric is SlaMetric.NEXT_REPLY_TIME
    pausable = zd.sla_event({**base, "metric": "pausable_update_time", "type": "fulfill"})
    assert pausable is not None
    assert pausable.metric is SlaMetric.PERIODIC_UPDATE_TIME
    assert zd.sla_event({**base, "metric": "reply_time", "type": "update_status"}) is None


# --- schema → payloads --------------------------------------------------------------------


def test_import_payload_matches_the_recorded_request_shape() -> None:
    exchange = recorded("ticket_import_can_import")
    sent = exchange["request_body"]["ticket"]
    record = zd.ticket(exchange["response_body"]["ticket"], instance="rec", fields_by_id={})
    first = Comment(
        id="1",
        author=Ref(kind=Kind.USER, id="20014192"),
        public=True,
        body_html="",
        body_plain="Indeed it is!",
        created_at=record.created_at,
    )
    record = attrs.evolve(record, comments=(first,))
    links = {ref: ref.id for ref in refs_of(record)}
    payload = zd.ticket_import_payload(
        outgoing(record, links=links), field_ids={}, upload_tokens={}
    )
    for key, value in sent.items():
        if key == "comment":
            assert payload["comments"] == [
                {
                    "author_id": 20014192,
                    "created_at": "2007-10-28T22:11:46Z",
                    "public": True,
                    "value": value["value"],
                }
            ]
            continue
        assert type(payload[key]) is type(value), key
    assert zd.parse_time(payload["created_at"]) == zd.parse_time(sent["created_at"])
    assert payload["requester_id"] == sent["requester_id"]
    assert payload["collaborator_ids"] == sent["collaborator_ids"]
    assert "description" not in payload  # the first comment is the description


def test_a_ticket_without_comments_never_sends_a_blank_description() -> None:
    # The recorded refusal: a ticket without a description is "RecordInvalid".
    refusal = recorded("ticket_import_cannot_import")
    assert refusal["status"] == 422
    assert "Description" in json.dumps(refusal["response_body"])
    bare = Ticket(
        id="1",
        subject="s",
        description="",
        status="open",
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
        updated_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    payload = zd.ticket_import_payload(outgoing(bare, links={}), field_ids={}, upload_tokens={})
    assert payload["description"] == zd.EMPTY_BODY
    assert "comments" not in payload


def test_every_demo_ticket_becomes_an_import_payload_or_a_clear_refusal() -> None:
    written = 0
    for ticket in desk().tickets:
        out = outgoing(ticket)
        if ticket.deleted:
            with pytest.raises(RecordError, match="deleted"):
                zd.ticket_import_payload(out, field_ids=field_ids(), upload_tokens={})
            continue
        payload = zd.ticket_import_payload(
            out, field_ids=field_ids(), upload_tokens=tokens_for(ticket)
        )
        written += 1
        assert payload["external_id"] == f"demo:ticket:{ticket.id}"
        assert payload["status"] == ticket.status.value  # closed tickets are imported closed
        comments = payload["comments"]
        assert isinstance(comments, list)
        assert len(comments) == len(ticket.comments)
        for sent, original in zip(comments, ticket.comments, strict=True):
            assert isinstance(sent, dict)
            assert sent["public"] is original.public
            assert sent["created_at"] == zd.format_time(original.created_at)
            body = sent.get("html_body") or sent.get("value")
            assert isinstance(body, str)
            assert body.strip()
            assert sent.get("uploads", []) == [f"tok{a.id}" for a in original.attachments]
        ids = {e["id"] for e in payload["custom_fields"]}  # type: ignore[union-attr, index, call-overload]
        assert ids == {field_ids()[k] for k in ticket.custom_fields}
        assert f"cemigrate_via_{ticket.channel}" in payload["tags"]  # type: ignore[operator]
    assert written == len(desk().tickets) - len(desk().edge_cases["deleted_ticket"])


def test_empty_comment_bodies_are_sent_as_markers_and_read_back_empty() -> None:
    (ticket_id,) = desk().edge_cases["empty_comment_bodies"]
    ticket = next(t for t in desk().tickets if t.id == ticket_id)
    payload = zd.ticket_import_payload(
        outgoing(ticket), field_ids=field_ids(), upload_tokens=tokens_for(ticket)
    )
    empties = [c for c in ticket.comments if not c.body_plain.strip()]
    assert empties
    sent = payload["comments"]
    assert isinstance(sent, list)
    markers = [
        s
        for s in sent
        if isinstance(s, dict) and s.get("value") in (zd.EMPTY_BODY, zd.ATTACHMENT_ONLY_BODY)
    ]
    assert len(markers) == len(empties)
    for marker, original in zip(markers, empties, strict=True):
        assert isinstance(marker, dict)
        expected = zd.ATTACHMENT_ONLY_BODY if original.attachments else zd.EMPTY_BODY
        assert marker["value"] == expected
        back = zd.comment({**marker, "id": 1, "body": marker["value"]})
        assert back.body_plain == back.body_html == ""


def test_a_missing_link_or_upload_token_is_a_record_error_without_content() -> None:
    ticket = next(t for t in desk().tickets if any(c.attachments for c in t.comments))
    out = outgoing(ticket)
    assert ticket.requester is not None
    without_requester = {r: v for r, v in out.links.items() if r != ticket.requester}
    with pytest.raises(RecordError, match="requester") as refused:
        zd.ticket_import_payload(
            outgoing(ticket, links=without_requester),
            field_ids=field_ids(),
            upload_tokens=tokens_for(ticket),
        )
    assert ticket.subject not in str(refused.value)
    with pytest.raises(RecordError, match="upload token"):
        zd.ticket_import_payload(out, field_ids=field_ids(), upload_tokens={})
    with pytest.raises(RecordError, match="custom field"):
        zd.ticket_import_payload(out, field_ids={}, upload_tokens=tokens_for(ticket))


def test_malformed_payloads_name_the_field_never_the_body() -> None:
    secret = "my password is hunter2"
    with pytest.raises(RecordError, match="'id'") as refused:
        zd.comment({"body": secret, "created_at": "2015-06-03T19:31:44Z"})
    assert secret not in str(refused.value)
    with pytest.raises(RecordError, match="'created_at'"):
        zd.comment({"id": 1, "body": secret, "created_at": "yesterday"})
    with pytest.raises(RecordError, match="'role'"):
        zd.user({"id": 1, "name": "x", "role": "owner"})
    with pytest.raises(RecordError, match="'status'"):
        zd.ticket(
            {"id": 1, "status": "lost", "created_at": "2015-06-03T19:31:44Z"},
            instance="x",
            fields_by_id={},
        )


def test_users_organizations_groups_memberships_and_fields_payloads() -> None:
    for person in desk().users:
        payload = zd.user_payload(outgoing(person))
        assert payload["external_id"] == f"demo:user:{person.id}"
        assert payload["role"] == {"end_user": "end-user"}.get(person.role, person.role.value)
        assert payload["suspended"] is (person.suspended or person.deleted)
        if person.organization is not None:
            assert payload["organization_id"] == int(target_ids()[person.organization])
        own_id = {} if person.external_id is None else {"cemigrate_external_id": person.external_id}
        address = {} if person.address is None else {zd.USER_ADDRESS: person.address}
        assert payload["user_fields"] == {
            **{k: list(v) if isinstance(v, tuple) else v for k, v in person.custom_fields.items()},
            **own_id,  # the source's own external id (Zendesk's holds the source key)
            **address,  # a postal address has no place of its own on a Zendesk user
        }
    for org in desk().organizations:
        payload = zd.organization_payload(outgoing(org))
        assert payload["name"] == org.name
        assert payload["domain_names"] == list(org.domains)
    for team in desk().groups:
        assert zd.group_payload(outgoing(team))["name"] == team.name
    for membership in desk().memberships:
        payload = zd.membership_payload(outgoing(membership))
        assert payload["user_id"] == int(target_ids()[membership.user])
    for definition in desk().fields:
        payload = zd.field_payload(definition)
        again = zd.field({**payload, "id": 1}, object=definition.object)
        assert again is not None
        assert (again.type, again.title) == (definition.type, definition.title)
        assert [(o.name, o.value) for o in again.options] == [
            (o.name, o.value) for o in sorted(definition.options, key=lambda o: o.position)
        ]
        if definition.object is not FieldObject.TICKET:
            assert again.key == definition.key


# --- round trip: schema → import payload → Zendesk's answer → schema ----------------------


def answer_to_import(
    payload: Mapping[str, Any], ticket_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What Zendesk answers for an import, in the recorded response's shape, and the
    ticket's comments as ``/tickets/{id}/comments`` lists them."""
    shape = dict(recorded("ticket_import_can_import")["response_body"]["ticket"])
    shape.update({k: v for k, v in payload.items() if k in shape or k.endswith("_ids")})
    shape["id"] = ticket_id
    shape["custom_fields"] = payload.get("custom_fields", [])
    comments = [
        {
            "id": ticket_id * 1000 + n,
            "type": "Comment",
            "author_id": c.get("author_id"),
            "body": c.get("value", ""),
            "html_body": c.get("html_body", f"<p>{c.get('value', '')}</p>"),
            "plain_body": c.get("value", ""),
            "public": c["public"],
            "attachments": [],
            "created_at": c["created_at"],
            "via": {"channel": "api"},
        }
        for n, c in enumerate(payload.get("comments", []))
    ]
    return shape, comments


def test_round_trip_keeps_subject_status_privacy_authors_and_times() -> None:
    back_to_source = {v: r for r, v in target_ids().items()}
    for n, ticket in enumerate(t for t in desk().tickets if not t.deleted):
        payload = zd.ticket_import_payload(
            outgoing(ticket), field_ids=field_ids(), upload_tokens=tokens_for(ticket)
        )
        shape, comment_data = answer_to_import(payload, 500 + n)
        fields_by_id = {
            str(i): f for f in desk().fields for k, i in field_ids().items() if k == f.key
        }
        again = zd.ticket(
            shape,
            [zd.comment(c) for c in comment_data],
            instance="target",
            fields_by_id=fields_by_id,
        )
        assert (again.subject, again.status) == (ticket.subject, ticket.status)
        assert (again.created_at, again.updated_at) == (ticket.created_at, ticket.updated_at)
        assert again.channel is ticket.channel
        assert again.tags == ticket.tags
        assert dict(again.custom_fields) == dict(ticket.custom_fields)
        assert [c.public for c in again.comments] == [c.public for c in ticket.comments]
        assert [c.created_at for c in again.comments] == [c.created_at for c in ticket.comments]
        assert [
            None if c.author is None else back_to_source[c.author.id] for c in again.comments
        ] == [c.author for c in ticket.comments]


# --- properties ---------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
bodies = st.sampled_from(["", " ", "plain", "<p>html</p>", "ünïcödé ✓"])
comments_strategy = st.builds(
    Comment,
    id=st.integers(1, 10**12).map(str),
    author=st.just(Ref(kind=Kind.USER, id="1")),
    public=st.booleans(),
    body_html=bodies,
    body_plain=bodies,
    created_at=moments,
    attachments=st.lists(
        st.builds(
            Attachment,
            id=st.integers(1, 10**9).map(str),
            file_name=st.just("f.txt"),
            content_type=st.just("text/plain"),
            size=st.integers(0, 10**6),
        ),
        max_size=2,
        unique_by=lambda a: a.id,
    ).map(tuple),
)


def property_ticket(comments: list[Comment], when: datetime) -> Ticket:
    return Ticket(
        id="42",
        subject="s",
        description="d",
        status="solved",
        created_at=when,
        updated_at=when + timedelta(hours=1),
        solved_at=when + timedelta(minutes=30),
        requester=Ref(kind=Kind.USER, id="1"),
        comments=tuple(comments),
    )


@settings(max_examples=150, deadline=None)
@given(comments=st.lists(comments_strategy, min_size=1, max_size=6), when=moments)
def test_private_comments_never_become_public_and_times_survive(
    comments: list[Comment], when: datetime
) -> None:
    ticket = property_ticket(comments, when)
    tokens = {a.id: f"t{a.id}" for c in comments for a in c.attachments}
    out = outgoing(ticket, links={Ref(kind=Kind.USER, id="1"): "77"})
    payload = zd.ticket_import_payload(out, field_ids={}, upload_tokens=tokens)
    sent = payload["comments"]
    assert isinstance(sent, list)
    for entry, original in zip(sent, comments, strict=True):
        assert isinstance(entry, dict)
        assert entry["public"] is original.public  # above all: private stays private
        assert zd.parse_time(entry["created_at"]) == original.created_at
        assert entry["author_id"] == 77
        body = entry.get("html_body", entry.get("value"))
        assert isinstance(body, str)
        assert body.strip()
    assert zd.parse_time(payload["created_at"]) == ticket.created_at
    assert zd.parse_time(payload["solved_at"]) == ticket.solved_at
    assert payload == zd.ticket_import_payload(out, field_ids={}, upload_tokens=tokens)


@given(when=moments)
def test_timestamps_survive_format_and_parse(when: datetime) -> None:
    assert zd.parse_time(zd.format_time(when)) == when


# --- SLA history --------------------------------------------------------------------------


def test_sla_history_note_and_fields_summarise_the_source_service_levels() -> None:
    events_by_ticket = collections.defaultdict(list)
    for event in desk().sla_events:
        events_by_ticket[event.ticket.id].append(event)
    metrics_by_ticket = {m.ticket.id: m for m in desk().metrics}
    breached = next(
        t for t, es in events_by_ticket.items() if any(e.kind is SlaEventKind.BREACH for e in es)
    )
    events = events_by_ticket[breached]
    metrics = metrics_by_ticket.get(breached)
    note = zd.sla_history_note(events, metrics)
    breaches = sum(1 for e in events if e.kind is SlaEventKind.BREACH)
    assert f"SLA breaches: {breaches}" in note
    assert "breached 20" in note
    assert note == zd.sla_history_note(list(reversed(events)), metrics)  # order-independent
    values = zd.sla_history_fields(metrics, events)
    assert set(values) == {f.key for f in zd.SLA_HISTORY_FIELDS}
    assert values["cemigrate_sla_breaches"] == breaches
    if metrics is not None:
        assert values["cemigrate_first_reply_minutes"] == metrics.first_reply.calendar
        assert f"First reply: {metrics.first_reply.calendar} min" in note
    empty = TicketMetrics(id="m", ticket=Ref(kind=Kind.TICKET, id="1"))
    assert zd.sla_history_fields(empty) == {
        "cemigrate_first_reply_minutes": None,
        "cemigrate_resolution_minutes": None,
        "cemigrate_sla_breaches": 0,
    }
    assert "First reply: not measured" in zd.sla_history_note([], empty)
