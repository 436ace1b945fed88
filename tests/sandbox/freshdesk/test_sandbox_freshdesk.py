"""The Freshdesk emulator: sample shapes, paging, limits, validation and seeding."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import DEFAULT_START, HelpDesk, generate
from cemigrate.sandbox.freshdesk import DEFAULT_API_KEY, FreshdeskSandbox
from cemigrate.sandbox.http import WireFaults
from cemigrate.schema import Role, SatisfactionScore

TICKETS, SEED, INSTANCE = 400, 7, "demo"
SAMPLES = Path(__file__).resolve().parents[3] / "cassettes" / "freshdesk" / "samples"
NOW = DEFAULT_START + timedelta(days=365)
SINCE = "2020-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)


@pytest.fixture(scope="module")
def sandbox() -> FreshdeskSandbox:
    return FreshdeskSandbox(tickets=TICKETS, seed=SEED, instance=INSTANCE, clock=ManualClock())


@pytest.fixture
def api(sandbox: FreshdeskSandbox) -> tuple[requests.Session, str]:
    sandbox.freshdesk.reset_limits()
    return sandbox.session(), f"{sandbox.base_url}/api/v2"


@pytest.fixture
def fresh() -> FreshdeskSandbox:
    """A small sandbox a test may change."""
    return FreshdeskSandbox(tickets=30, seed=3, clock=ManualClock())


# -- fidelity against the recorded samples ---------------------------------------------------


def _sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def _same_shape(sample: Any, ours: Any, where: str, ignore: frozenset[str] = frozenset()) -> None:
    """Every key of ``sample`` is in ``ours`` with the same JSON type (``null`` matches any)."""
    if sample is None or ours is None:
        return
    if isinstance(sample, dict):
        assert isinstance(ours, dict), f"{where}: {type(ours).__name__}, not an object"
        for key, value in sample.items():
            if key in ignore:
                continue
            assert key in ours, f"{where}: key {key!r} missing"
            if key == "custom_fields":  # an account's own fields: only the container must match
                assert isinstance(ours[key], dict), f"{where}.{key}"
                continue
            _same_shape(value, ours[key], f"{where}.{key}")
    elif isinstance(sample, list):
        assert isinstance(ours, list), f"{where}: {type(ours).__name__}, not a list"
        if sample and ours:
            _same_shape(sample[0], ours[0], f"{where}[0]")
    elif isinstance(sample, bool) or isinstance(ours, bool):
        assert isinstance(sample, bool), where
        assert isinstance(ours, bool), where
    elif isinstance(sample, int | float):
        assert isinstance(ours, int | float), f"{where}: {ours!r} is not a number"
    else:
        assert type(sample) is type(ours), f"{where}: {ours!r} is not a {type(sample).__name__}"


LEGACY_SAMPLES = {
    "all_tickets.json": "API v1 ticket shape (cc_email, frDueBy, isescalated, custom_field)",
    "search_tickets.json": "API v1 ticket shape inside the search envelope",
    "contact.json": "API v1 contact shape (customer_id, custom_field, helpdesk_agent)",
    "contacts.json": "API v1 contact shape",
    "contact_updated.json": "API v1 contact shape",
    "contact_1_agent.json": "API v1 contact shape",
    "search_contacts.json": "API v1 contact shape inside the search envelope",
    "customer.json": "API v1 customer (the /customers endpoint is gone in v2)",
    "outbound_email_1.json": "outbound e-mail is not emulated",
    "agent_1_updated.json": "agent updates are not emulated",
    "attachment.txt": "a file, not a payload",
}
"""Samples the emulator is not compared with, and why."""
CHECKED = {
    "ticket_1.json",
    "ticket_1_updated.json",
    "conversations.json",
    "note_1.json",
    "reply_1.json",
    "agent_1.json",
    "agents.json",
    "company.json",
    "companies.json",
    "company_updated.json",
    "search_companies.json",
    "group_1.json",
    "groups.json",
    "role_1.json",
    "roles.json",
    "time_entries.json",
    "time_entry_1.json",
}


def test_every_sample_is_compared_or_listed_with_a_reason() -> None:
    assert {p.name for p in SAMPLES.iterdir()} == CHECKED | set(LEGACY_SAMPLES)


def test_ticket_view_has_the_keys_and_types_of_the_sample(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    session, base = api
    ticket = next(t for t in desk.tickets if t.comments and t.comments[0].attachments)
    ours = session.get(f"{base}/tickets/{ticket.id}?include=requester,stats").json()
    assert ours["attachments"]
    # priority_name is in the sample only: the API reference's ticket objects have no such key
    _same_shape(_sample("ticket_1.json"), ours, "ticket", frozenset({"priority_name"}))


def test_ticket_update_conversations_and_notes_have_the_sample_shapes(
    fresh: FreshdeskSandbox,
) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    updated = session.put(f"{base}/tickets/1", json={"priority": 3, "tags": ["hello"]})
    assert updated.status_code == 200
    _same_shape(
        _sample("ticket_1_updated.json"), updated.json(), "update", frozenset({"priority_name"})
    )
    listed = session.get(f"{base}/tickets/1/conversations").json()
    _same_shape(_sample("conversations.json"), listed, "conversations")
    note = session.post(f"{base}/tickets/1/notes", json={"body": "<div>n</div>"})
    assert note.status_code == 201
    assert note.json()["private"] is True
    _same_shape(_sample("note_1.json"), note.json(), "note")
    agent = next(iter(fresh.backend.agents))
    reply = session.post(f"{base}/tickets/1/reply", json={"body": "<div>r</div>", "user_id": agent})
    assert reply.status_code == 201
    assert reply.json()["source"] == 0
    _same_shape(_sample("reply_1.json"), reply.json(), "reply")


def test_agents_companies_groups_roles_time_entries_have_the_sample_shapes(
    fresh: FreshdeskSandbox,
) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    agents = session.get(f"{base}/agents").json()
    _same_shape(_sample("agents.json"), agents, "agents")
    _same_shape(
        _sample("agent_1.json"), session.get(f"{base}/agents/{agents[0]['id']}").json(), "agent"
    )
    companies = session.get(f"{base}/companies").json()
    _same_shape(_sample("companies.json"), companies, "companies")
    _same_shape(_sample("company.json"), companies[0], "company")
    changed = session.put(f"{base}/companies/{companies[0]['id']}", json={"description": "Rockets"})
    _same_shape(_sample("company_updated.json"), changed.json(), "company_updated")
    domain = companies[0]["domains"][0]
    found = session.get(f"{base}/search/companies", params={"query": f"\"domain:'{domain}'\""})
    assert found.json()["total"] == 1
    _same_shape(_sample("search_companies.json"), found.json(), "search_companies")
    groups = session.get(f"{base}/groups").json()
    # python-freshdesk's group samples carry auto_ticket_assign as a boolean; a real account
    # answers 0 or 1 (Airbyte's recorded groups stream), as the emulator does
    integer = frozenset({"auto_ticket_assign"})
    _same_shape(_sample("groups.json")[0], groups[0], "groups", integer)
    assert "agent_ids" not in groups[0]  # the list has no members: the view has them
    group = session.get(f"{base}/groups/{groups[0]['id']}").json()
    _same_shape(_sample("group_1.json"), group, "group", integer)
    assert group["auto_ticket_assign"] in (0, 1)
    assert not isinstance(group["auto_ticket_assign"], bool)
    # the role samples repeat group keys (escalate_to, unassigned_for): a role has only these
    role_keys = {"id", "name", "description", "created_at", "updated_at"}
    roles = session.get(f"{base}/roles").json()
    for sample in (_sample("role_1.json"), *_sample("roles.json")):
        _same_shape({k: v for k, v in sample.items() if k in role_keys}, roles[0], "role")
    for _ in range(3):
        session.post(f"{base}/tickets/1/time_entries", json={"note": "x", "time_spent": "00:10"})
    entries = session.get(f"{base}/time_entries").json()
    _same_shape(_sample("time_entries.json"), entries, "time_entries")
    _same_shape(
        _sample("time_entry_1.json"), session.get(f"{base}/tickets/1/time_entries").json(), "te"
    )


# -- authentication, paging, the 300-page cap and the 30-day window ----------------------------


def test_a_wrong_api_key_is_refused_with_invalid_credentials(sandbox: FreshdeskSandbox) -> None:
    session = sandbox.session(authenticated=False)
    session.auth = ("not-the-key", "X")
    answer = session.get(f"{sandbox.base_url}/api/v2/tickets")
    assert answer.status_code == 401
    assert answer.json() == {
        "code": "invalid_credentials",
        "message": "You have to be logged in to perform this action.",
    }
    session.auth = (DEFAULT_API_KEY, "anything")
    assert session.get(f"{sandbox.base_url}/api/v2/tickets").status_code == 200


def test_unknown_ticket_is_an_empty_404(api: tuple[requests.Session, str]) -> None:
    session, base = api
    answer = session.get(f"{base}/tickets/999999")
    assert answer.status_code == 404
    assert answer.content == b""


def test_pages_follow_the_link_header_to_every_live_ticket(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    session, base = api
    url: str | None = (
        f"{base}/tickets?updated_since={SINCE}&order_by=updated_at&order_type=asc&per_page=100"
    )
    seen: list[int] = []
    stamps: list[str] = []
    while url:
        answer = session.get(url)
        assert answer.status_code == 200
        seen += [t["id"] for t in answer.json()]
        stamps += [t["updated_at"] for t in answer.json()]
        link = answer.headers.get("Link")
        url = link.split(";")[0].strip("<>") if link else None
    assert sorted(seen) == sorted(int(t.id) for t in desk.tickets if not t.deleted)
    assert stamps == sorted(stamps)
    deleted = session.get(f"{base}/tickets?filter=deleted&updated_since={SINCE}").json()
    assert [t["id"] for t in deleted] == [int(t.id) for t in desk.tickets if t.deleted]
    assert all(t["deleted"] is True for t in deleted)


def test_per_page_over_100_is_the_real_validation_error(api: tuple[requests.Session, str]) -> None:
    session, base = api
    answer = session.get(f"{base}/tickets?per_page=101")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "per_page"
    assert answer.json()["description"] == "Validation failed"


def test_no_page_after_the_300th(api: tuple[requests.Session, str]) -> None:
    session, base = api
    last = session.get(f"{base}/tickets?updated_since={SINCE}&per_page=1&page=300")
    assert last.status_code == 200
    assert 'rel="next"' in last.headers["Link"]
    beyond = session.get(f"{base}/tickets?updated_since={SINCE}&per_page=1&page=301")
    assert beyond.status_code == 400
    assert beyond.json() == {
        "description": "Validation failed",
        "errors": [
            {
                "field": "page",
                "message": "You cannot access tickets beyond the 300th page. Please provide a"
                " smaller page number.",
                "code": "invalid_value",
            }
        ],
    }


def test_without_updated_since_only_the_last_30_days_are_listed(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    session, base = api
    listed = session.get(f"{base}/tickets?per_page=100").json()
    cutoff = NOW - timedelta(days=30)
    expected = {int(t.id) for t in desk.tickets if not t.deleted and t.created_at >= cutoff}
    assert expected
    assert {t["id"] for t in listed} == expected
    assert len(expected) < len(desk.tickets)


# -- rate limits ---------------------------------------------------------------------------


def test_tickets_list_sub_limit_answers_429_then_recovers_on_the_clock() -> None:
    clock = ManualClock()
    sandbox = FreshdeskSandbox(tickets=20, plan="growth", clock=clock)
    session, url = sandbox.session(), f"{sandbox.base_url}/api/v2/tickets"
    for _ in range(20):
        answer = session.get(url)
        assert answer.status_code == 200
        assert answer.headers["X-Ratelimit-Total"] == "200"
        assert answer.headers["X-Ratelimit-Used-CurrentRequest"] == "1"
    refused = session.get(url)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert int(refused.headers["X-Ratelimit-Remaining"]) == 180  # the account still has credits
    assert session.get(f"{sandbox.base_url}/api/v2/groups").status_code == 200
    clock.advance(int(refused.headers["Retry-After"]))
    assert session.get(url).status_code == 200
    assert clock.sleeps == []


def test_includes_cost_extra_credits(api: tuple[requests.Session, str]) -> None:
    session, base = api
    first = session.get(f"{base}/tickets?include=description,requester,stats")
    assert first.headers["X-Ratelimit-Used-CurrentRequest"] == "7"
    stats = session.get(f"{base}/tickets?include=stats")
    assert stats.headers["X-Ratelimit-Used-CurrentRequest"] == "3"
    assert (
        int(first.headers["X-Ratelimit-Remaining"]) - int(stats.headers["X-Ratelimit-Remaining"])
        == 3
    )
    assert "stats" in stats.json()[0]
    assert "requester" not in stats.json()[0]
    view = session.get(f"{base}/tickets/1?include=conversations")
    assert view.headers["X-Ratelimit-Used-CurrentRequest"] == "2"
    assert len(view.json()["conversations"]) <= 10


def test_ticket_create_sub_limit() -> None:
    sandbox = FreshdeskSandbox(tickets=0, plan="growth", clock=ManualClock(), empty=True)
    session, url = sandbox.session(), f"{sandbox.base_url}/api/v2/tickets"
    for n in range(80):
        body = {"subject": f"t{n}", "email": "a@b.example", "description": "x"}
        assert session.post(url, json=body).status_code == 201
    answer = session.post(url, json={"subject": "one more", "email": "a@b.example"})
    assert answer.status_code == 429
    assert "Retry-After" in answer.headers


def test_faults_are_injected_like_the_other_sandboxes() -> None:
    sandbox = FreshdeskSandbox(
        tickets=0, empty=True, faults=WireFaults(rate_503=1.0), clock=ManualClock()
    )
    assert sandbox.session().get(f"{sandbox.base_url}/api/v2/tickets").status_code == 503


# -- writes and validation -----------------------------------------------------------------


def test_attachments_over_20_mb_are_refused(fresh: FreshdeskSandbox) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    form = {"subject": "files", "email": "files@x.example", "description": "see files"}
    small = [("attachments[]", ("a.txt", b"hello", "text/plain"))]
    created = session.post(f"{base}/tickets", data=form, files=small)
    assert created.status_code == 201
    attachment = created.json()["attachments"][0]
    assert session.get(attachment["attachment_url"]).content == b"hello"
    big = [
        ("attachments[]", ("a.bin", b"\0" * (11 * 1024 * 1024), "application/octet-stream")),
        ("attachments[]", ("b.bin", b"\0" * (10 * 1024 * 1024), "application/octet-stream")),
    ]
    refused = session.post(f"{base}/tickets", data=form, files=big)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "attachments"


def test_a_dropdown_value_outside_the_choices_is_refused(fresh: FreshdeskSandbox) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    body = {"subject": "s", "email": "c@x.example", "custom_fields": {"cf_category": "bogus"}}
    answer = session.post(f"{base}/tickets", json=body)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert (error["field"], error["code"]) == ("cf_category", "invalid_value")
    assert "verification" in error["message"]
    body["custom_fields"] = {"cf_category": "verification"}
    assert session.post(f"{base}/tickets", json=body).status_code == 201


def test_a_taken_email_is_a_409_duplicate_value_naming_the_holder(fresh: FreshdeskSandbox) -> None:
    """As Freshdesk answers a contact whose e-mail a user holds (in any case): 409, one
    ``email`` error of code ``duplicate_value`` with the holder's ``user_id`` (the shape
    integrations read to find the existing contact); an agent's e-mail is taken too."""
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    first = session.post(f"{base}/contacts", json={"name": "A", "email": "ana@x.example"})
    assert first.status_code == 201
    again = session.post(f"{base}/contacts", json={"name": "B", "email": "ANA@x.example"})
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {
            "field": "email",
            "additional_info": {"user_id": first.json()["id"]},
            "message": "It should be a unique value",
            "code": "duplicate_value",
        }
    ]
    agent = fresh.add_agent(name="Smith", email="smith@x.example")
    twin = session.post(f"{base}/contacts", json={"name": "C", "email": "smith@x.example"})
    assert twin.status_code == 409
    assert twin.json()["errors"][0]["additional_info"] == {"user_id": agent["id"]}
    found = session.get(f"{base}/contacts", params={"email": "ana@x.example"}).json()
    assert [c["id"] for c in found] == [first.json()["id"]]


def test_unique_external_id_is_unique_and_emails_are_checked(fresh: FreshdeskSandbox) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    first = session.post(
        f"{base}/contacts",
        json={"name": "A", "email": "a@x.example", "unique_external_id": "demo:user:1"},
    )
    assert first.status_code == 201
    again = session.post(
        f"{base}/contacts",
        json={"name": "B", "email": "b@x.example", "unique_external_id": "demo:user:1"},
    )
    assert again.status_code == 409
    error = again.json()["errors"][0]
    assert error["code"] == "duplicate_value"
    assert error["field"] == "unique_external_id"
    assert error["additional_info"]["user_id"] == first.json()["id"]
    bad = session.post(f"{base}/contacts", json={"name": "C", "email": "not-an-email"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0] == {
        "field": "email",
        "message": "It should be in the 'valid email address' format",
        "code": "invalid_value",
    }


def test_search_finds_a_ticket_by_an_external_id_in_a_custom_field(fresh: FreshdeskSandbox) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    field = session.post(
        f"{base}/admin/ticket_fields", json={"label": "cemigrate id", "type": "custom_text"}
    )
    assert field.status_code == 201
    name = field.json()["name"]
    assert name.startswith("cf_cemigrate_id")
    ids = []
    for key in ("zd:ticket:1", "zd:ticket:2", "zd:ticket:3"):
        body = {"subject": key, "email": "s@x.example", "custom_fields": {name: key}}
        ids.append(session.post(f"{base}/tickets", json=body).json()["id"])
    short = name.removeprefix("cf_")
    query = f"\"{short}:'zd:ticket:1' OR {name}:'zd:ticket:3'\""
    found = session.get(f"{base}/search/tickets", params={"query": query}).json()
    assert found["total"] == 2
    assert sorted(t["id"] for t in found["results"]) == [ids[0], ids[2]]
    assert session.get(f"{base}/search/tickets", params={"query": "nope:1"}).status_code == 400
    unknown = session.get(f"{base}/search/tickets", params={"query": '"nope:1"'})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["code"] == "invalid_field"
    assert (
        session.get(
            f"{base}/search/tickets", params={"query": '"priority:1"', "page": 11}
        ).status_code
        == 400
    )


def test_a_deleted_custom_field_leaves_its_list_and_every_record(fresh: FreshdeskSandbox) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    made = {}
    for path in ("admin/ticket_fields", "contact_fields", "company_fields"):
        field = session.post(f"{base}/{path}", json={"label": "Tier", "type": "custom_text"})
        assert field.status_code == 201
        made[path] = field.json()
    ticket_body = {"subject": "s", "email": "s@x.example"}
    ticket_body["custom_fields"] = {made["admin/ticket_fields"]["name"]: "gold"}
    ticket = session.post(f"{base}/tickets", json=ticket_body).json()["id"]
    for path, field in made.items():
        assert session.delete(f"{base}/{path}/{field['id']}").status_code == 204
        assert field["id"] not in {f["id"] for f in session.get(f"{base}/{path}").json()}
        assert session.get(f"{base}/{path}/{field['id']}").status_code == 404
        assert session.delete(f"{base}/{path}/{field['id']}").status_code == 404
    custom = session.get(f"{base}/tickets/{ticket}").json()["custom_fields"]
    assert made["admin/ticket_fields"]["name"] not in custom
    contact = session.get(f"{base}/contacts", params={"per_page": 1}).json()[0]
    assert made["contact_fields"]["name"] not in contact["custom_fields"]
    default = next(f for f in session.get(f"{base}/contact_fields").json() if f["default"])
    assert session.delete(f"{base}/contact_fields/{default['id']}").status_code == 400


def test_groups_take_their_members_from_agent_ids(fresh: FreshdeskSandbox) -> None:
    session, base = fresh.session(), f"{fresh.base_url}/api/v2"
    agent = fresh.add_agent(name="New Seat", email="seat@exchange.example")
    group = session.post(f"{base}/groups", json={"name": "Migrated"}).json()
    changed = session.put(f"{base}/groups/{group['id']}", json={"agent_ids": [agent["id"]]})
    assert changed.json()["agent_ids"] == [agent["id"]]
    assert group["id"] in session.get(f"{base}/agents/{agent['id']}").json()["group_ids"]


# -- seeding -------------------------------------------------------------------------------


def test_seeding_follows_the_dataset(sandbox: FreshdeskSandbox, desk: HelpDesk) -> None:
    backend = sandbox.backend
    end_users = [u for u in desk.users if u.role is Role.END_USER]
    assert len(backend.contacts) == len(end_users)
    assert len(backend.agents) == len(desk.users) - len(end_users)
    assert sum(bool(c.get("blocked")) for c in backend.contacts.values()) == sum(
        u.suspended for u in end_users
    )
    assert len(backend.groups) == len(desk.groups)
    assert sum(len(g["agent_ids"]) for g in backend.groups.values()) == len(desk.memberships)
    assert len(backend.sla_policies) == len(desk.sla_policies)
    assert len(backend.ratings) == sum(
        r.score is not SatisfactionScore.OFFERED for r in desk.ratings
    )
    assert len(backend.ticket_keys) == len(desk.tickets)
    rules = sum(len(r) for r in backend.automations.values())
    assert rules == sum(r.kind.value in ("trigger", "automation") for r in desk.rules)


def test_a_seeded_ticket_reads_back_as_generated(
    api: tuple[requests.Session, str], desk: HelpDesk
) -> None:
    session, base = api
    ticket = desk.tickets[6]  # ticket 7: a private note with non-ASCII file names
    body = session.get(f"{base}/tickets/{ticket.id}?include=stats").json()
    assert body["description"] == ticket.comments[0].body_html
    assert body["created_at"] == ticket.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["custom_fields"]["cf_category"] == ticket.custom_fields["category"]
    conversations = session.get(f"{base}/tickets/{ticket.id}/conversations?per_page=100").json()
    assert [c["id"] for c in conversations] == [int(c.id) for c in ticket.comments[1:]]
    assert [c["private"] for c in conversations] == [not c.public for c in ticket.comments[1:]]
    files = [(a, c) for c in ticket.comments for a in c.attachments]
    served = body["attachments"] + [a for c in conversations for a in c["attachments"]]
    assert [a["name"] for a in served] == [a.file_name for a, _ in files]
    for attachment, item in zip((a for a, _ in files), served, strict=True):
        data = session.get(item["attachment_url"]).content
        assert hashlib.sha256(data).hexdigest() == attachment.sha256


def test_sla_fields_come_from_the_sla_events(sandbox: FreshdeskSandbox, desk: HelpDesk) -> None:
    breached = {
        e.ticket.id
        for e in desk.sla_events
        if e.kind.value == "breach" and e.metric.value == "first_reply_time"
    }
    some = next(t for t in desk.tickets if t.id in breached)
    other = next(t for t in desk.tickets if t.id not in breached and not t.deleted)
    assert sandbox.backend.ticket(int(some.id))["fr_escalated"] is True
    assert sandbox.backend.ticket(int(other.id))["fr_escalated"] is False
    assert sandbox.backend.ticket(int(other.id))["fr_due_by"] is not None


@pytest.mark.slow
def test_35000_tickets_seed_and_read_back_past_the_300_page_cap() -> None:
    clock = ManualClock()
    sandbox = FreshdeskSandbox(tickets=35_000, plan="purchased_2000", clock=clock)
    session, url = sandbox.session(), f"{sandbox.base_url}/api/v2/tickets"
    seen: set[int] = set()
    since = SINCE
    while True:
        last = since
        for page in range(1, 301):
            params: dict[str, Any] = {
                "updated_since": since,
                "order_by": "updated_at",
                "order_type": "asc",
                "per_page": 100,
                "page": page,
            }
            answer = session.get(url, params=params)
            while answer.status_code == 429:
                clock.advance(int(answer.headers["Retry-After"]))
                answer = session.get(url, params=params)
            assert answer.status_code == 200
            seen.update(t["id"] for t in answer.json())
            if answer.json():
                last = answer.json()[-1]["updated_at"]
            if "Link" not in answer.headers:
                break
        else:
            since = last
            continue
        break
    assert len(seen) == sum(not k.deleted for k in sandbox.backend.ticket_keys.values()) > 30_000


def test_a_credit_a_few_ulps_short_of_whole_is_whole() -> None:
    from cemigrate.ratelimit import ManualClock
    from cemigrate.sandbox.freshdesk.urls import CreditBucket

    refused = 0
    for start in (0.0, 7.77, 13.3, 1234.567):
        clock = ManualClock(start=start)
        bucket = CreditBucket(10, clock)
        for _ in range(10):
            bucket.spend(1)
        # A client pacing at exactly the limit (one call every 6 s) is never refused, though
        # the refills (sums of elapsed x rate) land a few ulps short of a whole credit.
        for _ in range(200):
            clock.advance(6.0)
            refused += bucket.wait_for(1) > 0
            bucket.spend(1)
    assert refused == 0
