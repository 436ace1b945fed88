"""The Zendesk emulator answers as Zendesk's API reference documents: start_time forms, cursor
errors, metric events by cursor, the host clock, OAuth bearer tokens, rule shapes, show_many,
audits, custom roles, account settings, trigger categories and tags."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import DEFAULT_EMAIL, DEFAULT_OAUTH_TOKEN, ZendeskSandbox

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> ZendeskSandbox:
    account = ZendeskSandbox(tickets=40, seed=7, clock=clock, start=START)
    clock.advance(120)  # past the exports' one-minute delay
    return account


@pytest.fixture
def api(sandbox: ZendeskSandbox) -> requests.Session:
    return sandbox.session()


def get(api: requests.Session, sandbox: ZendeskSandbox, path: str) -> requests.Response:
    return api.get(f"{sandbox.base_url}{path}")


def zendesk_cursor(value: dict[str, Any]) -> str:
    """A cursor as real Zendesk hands them out: base64 of a JSON object."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


# -- start_time -------------------------------------------------------------------------------


@pytest.mark.parametrize("start_time", ["0", "946684800", "946684800.0", "946684800.75"])
def test_exports_take_whole_and_fractional_epoch_seconds(
    api: requests.Session, sandbox: ZendeskSandbox, start_time: str
) -> None:
    for path in (
        f"/api/v2/incremental/tickets/cursor.json?start_time={start_time}",
        f"/api/v2/incremental/users/cursor.json?start_time={start_time}",
        f"/api/v2/incremental/organizations.json?start_time={start_time}",
        f"/api/v2/incremental/ticket_metric_events.json?start_time={start_time}",
    ):
        response = get(api, sandbox, path)
        assert response.status_code == 200, (path, response.text)


def test_a_start_time_in_the_last_minute_is_zendesks_422(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    recent = sandbox.backend.now_ts() - 30
    response = get(api, sandbox, f"/api/v2/incremental/tickets/cursor.json?start_time={recent}")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidValue"
    assert body["description"].startswith("Too recent start_time.")


def test_a_start_time_that_is_no_epoch_time_is_refused(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    response = get(api, sandbox, "/api/v2/incremental/tickets/cursor.json?start_time=yesterday")
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidValue"


# -- the clock ----------------------------------------------------------------------------------


def test_the_account_follows_the_host_clock_by_default() -> None:
    clock = ManualClock()
    before = datetime.now(UTC).replace(microsecond=0)
    account = ZendeskSandbox(tickets=5, seed=3, clock=clock)
    after = datetime.now(UTC)
    assert before <= account.backend.now() <= after
    # a client reading the host's clock asks for "two minutes ago" and is not in the future
    clock.advance(120)
    two_minutes_ago = int((datetime.now(UTC) - timedelta(minutes=2)).timestamp())
    response = account.session().get(
        f"{account.base_url}/api/v2/incremental/tickets/cursor.json?start_time={two_minutes_ago}"
    )
    assert response.status_code == 200, response.text


def test_an_injected_start_moves_with_the_injected_clock(
    sandbox: ZendeskSandbox, clock: ManualClock
) -> None:
    assert sandbox.backend.now() == START + timedelta(seconds=120)
    clock.advance(3600)
    assert sandbox.backend.now() == START + timedelta(seconds=3720)


# -- cursors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/tickets.json?page[size]=10&page[after]={cursor}",
        "/api/v2/users.json?page[size]=10&page[before]={cursor}",
        "/api/v2/tickets/1/comments.json?page[size]=10&page[after]={cursor}",
        "/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
        "/api/v2/incremental/users/cursor.json?cursor={cursor}",
        "/api/v2/incremental/ticket_metric_events.json?start_time=0&page[size]=10"
        "&page[after]={cursor}",
    ],
)
@pytest.mark.parametrize(
    "cursor",
    [
        zendesk_cursor({"o": "-score,id", "v": "aQIAAAAAAAAAaQ0pIQEAAAAA"}),  # a real one's shape
        zendesk_cursor([1, 2, 3]),
        "not-base64-at-all!",
    ],
)
def test_a_cursor_the_emulator_did_not_issue_is_400(
    api: requests.Session, sandbox: ZendeskSandbox, path: str, cursor: str
) -> None:
    response = get(api, sandbox, path.format(cursor=cursor))
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidPaginationParameter"


def test_metric_events_page_by_cursor_to_the_end_and_back(
    api: requests.Session, sandbox: ZendeskSandbox, clock: ManualClock
) -> None:
    expected = [e["id"] for e in sandbox.backend.metric_events]
    too_big = get(
        api, sandbox, "/api/v2/incremental/ticket_metric_events.json?start_time=0&page[size]=101"
    )
    assert too_big.status_code == 400
    url: str | None = (
        f"{sandbox.base_url}/api/v2/incremental/ticket_metric_events.json?start_time=0"
        "&page[size]=40"
    )
    pages: list[dict[str, Any]] = []
    while url:
        body = api.get(url).json()
        pages.append(body)
        assert len(body["ticket_metric_events"]) <= 40
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    seen = [e["id"] for page in pages for e in page["ticket_metric_events"]]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert pages[-1]["end_of_stream"] is True
    assert pages[0]["links"]["prev"] is None
    back = api.get(pages[-1]["links"]["prev"]).json()
    assert back["ticket_metric_events"] == pages[-2]["ticket_metric_events"]
    # without page[size] the export stays time-based, as before
    clock.advance(60)  # a fresh minute of the export limit (10 a minute)
    timed = get(api, sandbox, "/api/v2/incremental/ticket_metric_events.json?start_time=0")
    assert {"next_page", "end_time", "count"} <= set(timed.json())


# -- authentication -----------------------------------------------------------------------------


def test_an_oauth_token_is_accepted_as_bearer_and_an_api_token_is_not(
    sandbox: ZendeskSandbox,
) -> None:
    anonymous = sandbox.session(authenticated=False)
    tickets = f"{sandbox.base_url}/api/v2/tickets.json"
    api_token = {"Authorization": f"Bearer {sandbox.token}"}
    refused = anonymous.get(tickets, headers=api_token)
    assert refused.status_code == 401
    assert refused.json() == {"error": "Couldn't authenticate you"}
    oauth = {"Authorization": f"Bearer {DEFAULT_OAUTH_TOKEN}"}
    assert anonymous.get(tickets, headers=oauth).status_code == 200


def test_a_new_account_has_its_owner_before_anyone_asks_who_they_are(clock: ManualClock) -> None:
    account = ZendeskSandbox(empty=True, clock=clock)
    clock.advance(120)
    api = account.session()
    exported = api.get(
        f"{account.base_url}/api/v2/incremental/users/cursor.json?start_time=0"
    ).json()["users"]
    assert [(u["email"], u["role"]) for u in exported] == [(DEFAULT_EMAIL, "admin")]
    me = api.get(f"{account.base_url}/api/v2/users/me.json").json()["user"]
    assert me["id"] == exported[0]["id"]


# -- shapes ---------------------------------------------------------------------------------------


def test_rules_carry_zendesks_attributes(api: requests.Session, sandbox: ZendeskSandbox) -> None:
    for plural in ("triggers", "automations", "macros", "views"):
        rules = get(api, sandbox, f"/api/v2/{plural}.json").json()[plural]
        assert rules, plural
        for rule in rules:
            assert rule["default"] is False
            assert rule["raw_title"] == rule["title"]
            assert isinstance(rule["position"], int)
            if plural in ("triggers", "macros", "views"):
                assert "description" in rule
            if plural in ("macros", "views"):
                assert "restriction" in rule
    triggers = get(api, sandbox, "/api/v2/triggers.json").json()["triggers"]
    categories = get(api, sandbox, "/api/v2/trigger_categories.json").json()
    category_ids = {c["id"] for c in categories["trigger_categories"]}
    assert all(isinstance(c, str) for c in category_ids)
    assert {t["category_id"] for t in triggers} <= category_ids


@pytest.mark.parametrize("plural", ["triggers", "automations", "views"])
def test_rules_posted_in_the_legacy_form_are_folded_into_conditions(
    api: requests.Session, sandbox: ZendeskSandbox, plural: str
) -> None:
    all_of = [{"field": "status", "operator": "is", "value": "new"}]
    any_of = [{"field": "priority", "operator": "is", "value": "urgent"}]
    body: dict[str, Any] = {"title": "Legacy", "all": all_of, "any": any_of}
    body["actions"] = [{"field": "status", "value": "open"}]
    created = api.post(f"{sandbox.base_url}/api/v2/{plural}.json", json={plural[:-1]: body})
    assert created.status_code == 201
    rule = created.json()[plural[:-1]]
    assert rule["conditions"] == {"all": all_of, "any": any_of}
    assert "all" not in rule
    assert "any" not in rule
    changed = api.put(
        f"{sandbox.base_url}/api/v2/{plural}/{rule['id']}.json",
        json={plural[:-1]: {"all": any_of, "title": "Renamed"}},
    ).json()[plural[:-1]]
    assert changed["conditions"]["all"] == any_of
    assert changed["raw_title"] == "Renamed"


def test_show_many_is_one_counted_page(api: requests.Session, sandbox: ZendeskSandbox) -> None:
    users = sorted(sandbox.backend.users)[:3]
    organizations = sorted(sandbox.backend.organizations)[:2]
    for path, key, wanted in (
        ("/api/v2/tickets/show_many.json?ids=1,2,3", "tickets", 3),
        (f"/api/v2/users/show_many.json?ids={','.join(map(str, users))}", "users", 3),
        (
            f"/api/v2/organizations/show_many.json?ids={','.join(map(str, organizations))}",
            "organizations",
            2,
        ),
    ):
        body = get(api, sandbox, path).json()
        assert len(body[key]) == body["count"] == wanted
        assert body["next_page"] is None
        assert body["previous_page"] is None


def test_a_field_created_without_a_type_is_still_refused(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    response = api.post(
        f"{sandbox.base_url}/api/v2/user_fields.json",
        json={"user_field": {"title": "Tier", "key": "tier"}},
    )
    assert response.status_code == 422
    assert "type" in response.json()["details"]


# -- audits, roles, settings, tags ------------------------------------------------------------


def test_a_tickets_audits_are_its_history(api: requests.Session, sandbox: ZendeskSandbox) -> None:
    ticket = next(t for t in sandbox.backend.desk.tickets if len(t.comments) >= 2)
    audits = get(api, sandbox, f"/api/v2/tickets/{ticket.id}/audits.json").json()["audits"]
    assert [a["events"][0]["id"] for a in audits] == [int(c.id) for c in ticket.comments]
    assert [a["created_at"] for a in audits] == [
        c.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") for c in ticket.comments
    ]
    created = {e["field_name"]: e["value"] for e in audits[0]["events"] if e["type"] == "Create"}
    assert created["subject"] == ticket.subject
    assert created["requester_id"] == str(ticket.requester.id)  # audits write ids as strings
    assert all(e["type"] == "Comment" for a in audits[1:] for e in a["events"])
    assert {"id", "ticket_id", "author_id", "created_at", "via", "metadata"} <= set(audits[0])


def test_every_audit_is_cursor_paged_and_archived_tickets_are_left_out(
    api: requests.Session, sandbox: ZendeskSandbox, clock: ManualClock
) -> None:
    archived = api.post(
        f"{sandbox.base_url}/api/v2/imports/tickets.json?archive_immediately=true",
        json={
            "ticket": {
                "subject": "Old",
                "status": "closed",
                "requester_id": int(sandbox.backend.desk.users[0].id),
                "comments": [{"body": "done"}],
            }
        },
    ).json()["ticket"]
    first = get(api, sandbox, "/api/v2/ticket_audits.json").json()  # cursor even without size
    assert {"meta", "links"} <= set(first)
    seen: list[dict[str, Any]] = list(first["audits"])
    url = first["links"]["next"] if first["meta"]["has_more"] else None
    while url:
        body = api.get(url).json()
        seen.extend(body["audits"])
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    live = [t for t in sandbox.backend.desk.tickets if not t.deleted]
    assert len(seen) == len({a["id"] for a in seen}) == sum(len(t.comments) for t in live)
    assert archived["id"] not in {a["ticket_id"] for a in seen}
    own = get(api, sandbox, f"/api/v2/tickets/{archived['id']}/audits.json").json()["audits"]
    assert len(own) == 1  # still listed for the ticket itself


def test_custom_roles_account_settings_and_tags(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    roles = get(api, sandbox, "/api/v2/custom_roles.json").json()["custom_roles"]
    assert roles
    assert all({"id", "name", "role_type", "configuration"} <= set(r) for r in roles)
    settings = get(api, sandbox, "/api/v2/account/settings.json").json()["settings"]
    assert {"active_features", "tickets", "user", "brands", "api"} <= set(settings)
    desk = sandbox.backend.desk
    counts: dict[str, int] = {}
    for record in [*(t for t in desk.tickets if not t.deleted), *desk.users, *desk.organizations]:
        for tag in record.tags:
            counts[tag] = counts.get(tag, 0) + 1
    tags = []
    url: str | None = f"{sandbox.base_url}/api/v2/tags.json?page[size]=7"
    while url:
        body = api.get(url).json()
        tags.extend(body["tags"])
        url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert {t["name"]: t["count"] for t in tags} == counts
    assert [t["count"] for t in tags] == sorted((t["count"] for t in tags), reverse=True)
