"""Plain ``requests`` calls, written from Freshdesk's API v2 reference, against the emulator over
loopback: every list and view a migration reads, the keys each carries (a list only what a
real list carries; the view the rest), paging by the ``Link`` header, ``per_page`` over 100
refused, and the credits ``X-RateLimit-Used-CurrentRequest`` reports.

Where the reference is silent the shapes are those of a real account's answers recorded by
Airbyte's Freshdesk connector (``integration_tests/expected_records.jsonl``): ``agent_ids``
absent from the groups list, ``auto_ticket_assign`` 0 or 1, conversations' ``category``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.freshdesk import DEFAULT_API_KEY, serve_freshdesk
from cemigrate.schema import Role, SatisfactionScore

TICKETS, SEED = 60, 5
SINCE = "2015-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance="demo")


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[requests.Session, str]]:
    _, server = serve_freshdesk(port=0, tickets=TICKETS, seed=SEED, clock=ManualClock())
    session = requests.Session()
    session.auth = (DEFAULT_API_KEY, "X")
    try:
        yield session, f"{server.url}/api/v2"
    finally:
        session.close()
        server.shutdown()


def _get(api: tuple[requests.Session, str], path: str, **params: Any) -> requests.Response:
    session, base = api
    answer = session.get(f"{base}/{path}", params=params, timeout=10)
    assert answer.status_code == 200, (path, answer.status_code, answer.text)
    return answer


def _all(api: tuple[requests.Session, str], path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page, following ``Link: <...>; rel="next"`` as the reference says to."""
    session, base = api
    url: str | None = f"{base}/{path}"
    items: list[dict[str, Any]] = []
    query: dict[str, Any] | None = {"per_page": 100, **params}
    while url:
        answer = session.get(url, params=query, timeout=10)
        assert answer.status_code == 200, answer.text
        items += answer.json()
        link = answer.headers.get("Link")
        url, query = (link.split(";")[0].strip("<>"), None) if link else (None, None)
    return items


def _credits(answer: requests.Response) -> int:
    return int(answer.headers["X-RateLimit-Used-CurrentRequest"])


# -- tickets -------------------------------------------------------------------------------

TICKET_KEYS = {
    "cc_emails",
    "fwd_emails",
    "reply_cc_emails",
    "ticket_cc_emails",
    "ticket_bcc_emails",
    "fr_escalated",
    "spam",
    "email_config_id",
    "group_id",
    "priority",
    "requester_id",
    "responder_id",
    "source",
    "company_id",
    "status",
    "subject",
    "association_type",
    "associated_tickets_count",
    "support_email",
    "to_emails",
    "product_id",
    "id",
    "type",
    "due_by",
    "fr_due_by",
    "nr_due_by",
    "is_escalated",
    "nr_escalated",
    "custom_fields",
    "created_at",
    "updated_at",
    "tags",
}


@pytest.mark.parametrize(
    ("include", "embedded"),
    [
        (None, set()),
        ("description", {"description", "description_text"}),
        ("requester", {"requester"}),
        ("stats", {"stats"}),
        ("company", {"company"}),
        ("requester,company,stats", {"requester", "company", "stats"}),
    ],
)
def test_the_ticket_list_embeds_what_it_is_asked_and_never_attachments(
    api: tuple[requests.Session, str], include: str | None, embedded: set[str]
) -> None:
    params: dict[str, Any] = {"updated_since": SINCE, "per_page": 5}
    if include:
        params["include"] = include
    answer = _get(api, "tickets", **params)
    tickets = answer.json()
    assert len(tickets) == 5
    for ticket in tickets:
        assert set(ticket) >= TICKET_KEYS, TICKET_KEYS - set(ticket)
        assert set(ticket) & {"attachments", "conversations"} == set()
        for key in ("description", "requester", "stats", "company"):
            assert (key in ticket) == (key in embedded), key
    # one credit, and two more for each embed (reference, "List All Tickets")
    assert _credits(answer) == 1 + 2 * len(include.split(",") if include else ())


def test_a_ticket_list_include_it_does_not_offer_is_a_validation_error(
    api: tuple[requests.Session, str],
) -> None:
    session, base = api
    answer = session.get(f"{base}/tickets", params={"include": "conversations"}, timeout=10)
    assert answer.status_code == 400
    body = answer.json()
    assert body["description"] == "Validation failed"
    assert body["errors"][0]["field"] == "include"
    assert body["errors"][0]["code"] == "invalid_value"


def test_the_ticket_view_has_attachments_and_its_embeds(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    ticket = max(desk.tickets, key=lambda t: len(t.comments))
    plain = _get(api, f"tickets/{ticket.id}")
    assert _credits(plain) == 1
    body = plain.json()
    assert TICKET_KEYS | {"attachments", "description", "description_text"} <= set(body)
    assert "conversations" not in body
    full = _get(api, f"tickets/{ticket.id}", include="conversations,requester,company,stats")
    assert _credits(full) == 5  # one, and one per embed
    shown = full.json()
    assert [c["id"] for c in shown["conversations"]] == [int(c.id) for c in ticket.comments[1:11]]
    assert shown["requester"]["id"] == int(ticket.requester.id)  # type: ignore[union-attr]
    assert set(shown["stats"]) >= {"first_responded_at", "resolved_at", "closed_at"}


def test_types_sources_and_products_as_the_account_defines_them(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    fields = {f["name"]: f for f in _get(api, "ticket_fields").json()}
    types = fields["ticket_type"]["choices"]
    assert types == ["Question", "Incident", "Problem", "Task", "Feature Request", "Refund"]
    assert fields["source"]["choices"]["Bot"] == 12
    assert set(fields["source"]["choices"].values()) == set(range(1, 14))
    products = _all(api, "products")
    assert [(p["id"], p["name"]) for p in products] == [
        (int(b.id), b.name) for b in sorted(desk.brands, key=lambda b: int(b.id))
    ]
    assert fields["product"]["choices"] == {p["name"]: p["id"] for p in products}
    one = _get(api, f"products/{products[0]['id']}").json()
    assert one == products[0]
    tickets = {t["id"]: t for t in _all(api, "tickets", updated_since=SINCE)}
    for ticket in desk.tickets:
        if ticket.deleted:
            continue
        served = tickets[int(ticket.id)]
        assert served["product_id"] == int(ticket.brand.id)  # type: ignore[union-attr]
        named = ticket.custom_fields.get("ticket_type")
        if named:
            assert served["type"] == named
            assert "ticket_type" not in served["custom_fields"]
        freshdesk = ticket.via.get("freshdesk")
        if isinstance(freshdesk, dict):
            assert served["source"] == freshdesk["source"]
    assert {t["type"] for t in tickets.values()} >= {"Feature Request", "Refund"}
    assert {t["source"] for t in tickets.values()} >= {8, 11, 12, 13}


# -- conversations -------------------------------------------------------------------------


def test_conversations_page_and_carry_their_category_and_thread(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    ticket = max(desk.tickets, key=lambda t: len(t.comments))
    assert len(ticket.comments) > 3
    first = _get(api, f"tickets/{ticket.id}/conversations", per_page=2)
    assert 'rel="next"' in first.headers["Link"]
    conversations = _all(api, f"tickets/{ticket.id}/conversations")
    assert [c["id"] for c in conversations] == [int(c.id) for c in ticket.comments[1:]]
    roles = {u.id: u.role for u in desk.users}
    for conversation, comment in zip(conversations, ticket.comments[1:], strict=True):
        for key in (
            "auto_response",
            "thread_id",
            "thread_message_id",
            "source_additional_info",
            "automation_id",
        ):
            assert key in conversation, key
        assert conversation["auto_response"] is False
        agent = comment.author is not None and roles[comment.author.id] is not Role.END_USER
        wanted = 2 if not comment.public else 3 if agent else 1
        assert conversation["category"] == wanted


# -- people and companies ------------------------------------------------------------------

LIST_ONLY_IN_VIEW = {
    "groups": {"agent_ids"},
    "agents": {"role_ids", "group_ids", "skill_ids"},
    "contacts": {"other_emails", "tags", "other_companies", "view_all_tickets", "avatar"},
    "companies": set(),
}


@pytest.mark.parametrize("kind", sorted(LIST_ONLY_IN_VIEW))
def test_lists_leave_out_what_only_views_carry(
    api: tuple[requests.Session, str], kind: str
) -> None:
    listed = _all(api, kind)
    assert listed
    for item in listed[:5]:
        shown = _get(api, f"{kind}/{item['id']}").json()
        assert set(shown) - set(item) == LIST_ONLY_IN_VIEW[kind]
        assert {k: v for k, v in shown.items() if k in item} == item


def test_group_members_and_auto_assignment_come_from_the_view(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    for group in _all(api, "groups"):
        assert group["auto_ticket_assign"] in (0, 1)
        assert not isinstance(group["auto_ticket_assign"], bool)
        shown = _get(api, f"groups/{group['id']}").json()
        members = sorted(int(m.user.id) for m in desk.memberships if m.group.id == str(group["id"]))
        assert sorted(shown["agent_ids"]) == members


def test_an_admin_shows_only_in_the_agent_view(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    roles = {r["id"]: r["name"] for r in _get(api, "roles").json()}
    assert _get(api, f"roles/{next(iter(roles))}").json()["name"] == roles[next(iter(roles))]
    by_id = {int(u.id): u for u in desk.users}
    admins = set()
    for agent in _all(api, "agents"):
        assert {"ticket_scope", "signature", "type", "occasional"} <= set(agent)
        shown = _get(api, f"agents/{agent['id']}").json()
        if {roles[r] for r in shown["role_ids"]} & {"Account Administrator", "Administrator"}:
            admins.add(agent["id"])
        user = by_id[agent["id"]]
        assert agent["signature"] == (user.signature or None)
        scope = {None: 1, "groups": 2, "assigned": 3}[user.ticket_restriction]
        assert agent["ticket_scope"] == scope
    assert admins == {i for i, u in by_id.items() if u.role is Role.ADMIN}
    scopes = {a["ticket_scope"] for a in _all(api, "agents")}
    assert scopes == {1, 2, 3}


def test_contacts_carry_mobile_twitter_and_external_id(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    listed = {c["id"]: c for c in _all(api, "contacts")}
    visible = [
        u for u in desk.users if u.role is Role.END_USER and not u.suspended and not u.deleted
    ]
    assert set(listed) == {int(u.id) for u in visible}
    mobile_only = [c for c in listed.values() if c["mobile"] and not c["phone"]]
    assert mobile_only
    assert any(c["twitter_id"] for c in listed.values())
    for user in visible:
        contact = listed[int(user.id)]
        assert contact["unique_external_id"] == user.external_id
        shown = _get(api, f"contacts/{user.id}").json()
        assert shown["tags"] == list(user.tags)


def test_companies_list_and_view_alike(api: tuple[requests.Session, str], desk: HelpDesk) -> None:
    companies = _all(api, "companies")
    assert sorted(c["id"] for c in companies) == sorted(int(o.id) for o in desk.organizations)


@pytest.mark.parametrize("kind", ["contact_fields", "company_fields"])
def test_contact_and_company_fields(api: tuple[requests.Session, str], kind: str) -> None:
    fields = _get(api, kind).json()
    assert any(f["default"] for f in fields)
    assert any(not f["default"] for f in fields)
    assert all({"id", "name", "label", "type", "position"} <= set(f) for f in fields)


# -- configuration, ratings, time ----------------------------------------------------------


def test_sla_policies_carry_conditions_and_escalation_levels(
    api: tuple[requests.Session, str],
) -> None:
    policies = _all(api, "sla_policies")
    default = next(p for p in policies if p["is_default"])
    assert (default["applicable_to"], default["escalation"]) == ({}, {})
    conditional = next(p for p in policies if not p["is_default"])
    assert set(conditional["applicable_to"]) <= {
        "company_ids",
        "group_ids",
        "product_ids",
        "sources",
        "ticket_types",
    }
    resolution = conditional["escalation"]["resolution"]
    assert set(resolution) == {"level_1", "level_2", "level_3"}
    assert set(conditional["escalation"]["response"]) == {"escalation_time", "agent_ids"}
    assert _get(api, f"sla_policies/{conditional['id']}").json() == conditional


@pytest.mark.parametrize("kind", [1, 3, 4])
def test_automation_rules(api: tuple[requests.Session, str], kind: int) -> None:
    rules = _all(api, f"automations/{kind}/rules")
    for rule in rules:
        assert rule["automation_type_id"] == kind
        assert _get(api, f"automations/{kind}/rules/{rule['id']}").json() == rule


def test_satisfaction_ratings_for_the_account_and_per_ticket(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    ratings = _all(api, "surveys/satisfaction_ratings", created_since=SINCE)
    answered = [r for r in desk.ratings if r.score is not SatisfactionScore.OFFERED]
    assert sorted(r["id"] for r in ratings) == sorted(int(r.id) for r in answered)
    rated = answered[0].ticket.id
    per_ticket = _get(api, f"tickets/{rated}/satisfaction_ratings").json()
    assert [r["id"] for r in per_ticket] == sorted(
        (r["id"] for r in ratings if r["ticket_id"] == int(rated)),
        key=lambda i: next(r["created_at"] for r in ratings if r["id"] == i),
    )
    assert per_ticket[0]["ratings"]["default_question"] in (103, -103)
    session, base = api
    assert session.get(f"{base}/tickets/999999/satisfaction_ratings", timeout=10).status_code == 404


def test_time_entries_page_and_filter(api: tuple[requests.Session, str], desk: HelpDesk) -> None:
    session, base = api
    agents = [int(u.id) for u in desk.users if u.role is Role.AGENT][:2]
    made = []
    for k, (spent, billable) in enumerate((("00:15", True), ("01:30", False), ("00:45", True))):
        body = {
            "time_spent": spent,
            "billable": billable,
            "agent_id": agents[k % 2],
            "executed_at": f"2024-03-0{k + 1}T10:00:00Z",
        }
        answer = session.post(f"{base}/tickets/2/time_entries", json=body, timeout=10)
        assert answer.status_code == 201, answer.text
        made.append(answer.json())
    assert made[1]["time_spent_in_seconds"] == 5400
    every = _all(api, "time_entries")
    assert {e["id"] for e in made} <= {e["id"] for e in every}
    paged = _get(api, "time_entries", per_page=1)
    assert 'rel="next"' in paged.headers["Link"]
    billable = _all(api, "time_entries", billable="true")
    assert all(e["billable"] for e in billable)
    mine = _all(api, "time_entries", agent_id=agents[0])
    assert {e["id"] for e in mine} >= {made[0]["id"], made[2]["id"]}
    assert made[1]["id"] not in {e["id"] for e in mine}
    window = _all(
        api,
        "time_entries",
        executed_after="2024-03-02T00:00:00Z",
        executed_before="2024-03-02T23:59:59Z",
    )
    assert [e["id"] for e in window] == [made[1]["id"]]
    assert [e["id"] for e in _all(api, "tickets/2/time_entries")] == [
        e["id"] for e in sorted(made, key=lambda e: e["executed_at"], reverse=True)
    ]


@pytest.mark.parametrize(
    "path",
    [
        "tickets",
        "contacts",
        "companies",
        "agents",
        "groups",
        "time_entries",
        "products",
        "surveys/satisfaction_ratings",
        "sla_policies",
    ],
)
def test_per_page_over_100_is_refused(api: tuple[requests.Session, str], path: str) -> None:
    session, base = api
    answer = session.get(f"{base}/{path}", params={"per_page": 101}, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "per_page"
