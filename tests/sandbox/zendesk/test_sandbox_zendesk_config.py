"""The Zendesk emulator's brands, ticket forms, custom statuses and schedules: shapes, paging,
errors, and what tickets name."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.zendesk import ZendeskSandbox, models
from cemigrate.schema import Brand, Ref, Status
from cemigrate.testing.desks import plain_desk


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> ZendeskSandbox:
    """An account seeded from a plain desk: only its own default brand, form and statuses."""
    real = models.generate
    monkeypatch.setattr(models, "generate", lambda **params: plain_desk(real(**params)))
    return ZendeskSandbox(tickets=20, seed=7, clock=ManualClock(), subdomain="acme")


@pytest.fixture
def api(sandbox: ZendeskSandbox) -> requests.Session:
    return sandbox.session()


def call(
    api: requests.Session, sandbox: ZendeskSandbox, method: str, path: str, **body: Any
) -> requests.Response:
    return api.request(method, f"{sandbox.base_url}{path}", json=body or None)


def test_a_new_account_holds_one_default_brand_form_the_five_statuses_and_no_schedule() -> None:
    new = ZendeskSandbox(tickets=0, empty=True, clock=ManualClock(), subdomain="fresh")
    api = new.session()
    brands = api.get(f"{new.base_url}/api/v2/brands.json").json()["brands"]
    assert [(b["name"], b["subdomain"], b["default"]) for b in brands] == [("fresh", "fresh", True)]
    forms = api.get(f"{new.base_url}/api/v2/ticket_forms.json").json()["ticket_forms"]
    assert [(f["name"], f["default"]) for f in forms] == [("Default Ticket Form", True)]
    # the default form lists Zendesk's own fields, which /ticket_fields lists too
    fields = api.get(f"{new.base_url}/api/v2/ticket_fields.json").json()["ticket_fields"]
    assert set(forms[0]["ticket_field_ids"]) == {f["id"] for f in fields}
    statuses = api.get(f"{new.base_url}/api/v2/custom_statuses.json").json()["custom_statuses"]
    assert sorted((s["status_category"], s["agent_label"]) for s in statuses) == [
        ("hold", "On-hold"),
        ("new", "New"),
        ("open", "Open"),
        ("pending", "Pending"),
        ("solved", "Solved"),
    ]
    assert all(s["default"] and s["active"] for s in statuses)
    schedules = api.get(f"{new.base_url}/api/v2/business_hours/schedules.json").json()
    assert schedules == {"schedules": []}


def test_brands_page_by_cursor_and_offset_in_name_order(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    for name in ("Zeta", "Alpha", "Mid"):
        created = call(
            api,
            sandbox,
            "POST",
            "/api/v2/brands.json",
            brand={"name": name, "subdomain": f"acme-{name.lower()}"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["brand"]["brand_url"] == f"https://acme-{name.lower()}.zendesk.com"
    names: list[str] = []
    next_url: str | None = f"{sandbox.base_url}/api/v2/brands.json?page[size]=2"
    while next_url:
        body = api.get(next_url).json()
        names += [b["name"] for b in body["brands"]]
        next_url = body["links"]["next"] if body["meta"]["has_more"] else None
    assert names == ["acme", "Alpha", "Mid", "Zeta"]
    offset = api.get(f"{sandbox.base_url}/api/v2/brands.json?per_page=3&page=2").json()
    assert [b["name"] for b in offset["brands"]] == ["Zeta"]
    assert offset["count"] == 4
    assert offset["next_page"] is None
    bad = api.get(f"{sandbox.base_url}/api/v2/brands.json?page[size]=2&page[after]=xyz")
    assert bad.status_code == 400


def test_a_brand_subdomain_is_unique_and_the_account_s_own_is_taken(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    first = call(
        api, sandbox, "POST", "/api/v2/brands.json", brand={"name": "Pay", "subdomain": "acme-pay"}
    )
    assert first.status_code == 201
    for subdomain in ("acme-pay", "acme"):
        again = call(
            api,
            sandbox,
            "POST",
            "/api/v2/brands.json",
            brand={"name": "Other", "subdomain": subdomain},
        )
        assert again.status_code == 422
        assert again.json()["error"] == "RecordInvalid"
        assert "subdomain" in again.json()["details"]
    blank = call(api, sandbox, "POST", "/api/v2/brands.json", brand={"subdomain": "x-y"})
    assert blank.status_code == 422
    assert "name" in blank.json()["details"]
    brand_id = first.json()["brand"]["id"]
    moved = call(
        api, sandbox, "PUT", f"/api/v2/brands/{brand_id}.json", brand={"subdomain": "acme-payments"}
    )
    assert moved.status_code == 200
    assert moved.json()["brand"]["subdomain"] == "acme-payments"
    shown = api.get(f"{sandbox.base_url}/api/v2/brands/{brand_id}.json").json()["brand"]
    assert shown["subdomain"] == "acme-payments"
    assert api.get(f"{sandbox.base_url}/api/v2/brands/1.json").status_code == 404


def test_ticket_forms_list_show_many_and_refuse_unknown_fields(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    fields = api.get(f"{sandbox.base_url}/api/v2/ticket_fields.json").json()["ticket_fields"]
    ids = [f["id"] for f in fields][:3]
    created = call(
        api,
        sandbox,
        "POST",
        "/api/v2/ticket_forms.json",
        ticket_form={"name": "Refunds", "ticket_field_ids": ids, "end_user_visible": False},
    )
    assert created.status_code == 201, created.text
    form = created.json()["ticket_form"]
    assert (form["name"], form["ticket_field_ids"], form["in_all_brands"]) == ("Refunds", ids, True)
    listed = api.get(f"{sandbox.base_url}/api/v2/ticket_forms.json").json()
    assert set(listed) == {"ticket_forms"}  # not paginated
    assert form["id"] in {f["id"] for f in listed["ticket_forms"]}
    visible = api.get(f"{sandbox.base_url}/api/v2/ticket_forms.json?end_user_visible=false")
    assert [f["name"] for f in visible.json()["ticket_forms"]] == ["Refunds"]
    many = api.get(f"{sandbox.base_url}/api/v2/ticket_forms/show_many.json?ids={form['id']},7")
    assert [f["id"] for f in many.json()["ticket_forms"]] == [form["id"]]
    unknown = call(
        api,
        sandbox,
        "POST",
        "/api/v2/ticket_forms.json",
        ticket_form={"name": "Broken", "ticket_field_ids": [1]},
    )
    assert unknown.status_code == 422
    assert "ticket_field_ids" in unknown.json()["details"]
    brands = api.get(f"{sandbox.base_url}/api/v2/brands.json").json()["brands"]
    assert form["id"] in brands[0]["ticket_form_ids"]


def test_custom_statuses_are_created_within_a_category_with_a_unique_label(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    created = call(
        api,
        sandbox,
        "POST",
        "/api/v2/custom_statuses.json",
        custom_status={
            "status_category": "pending",
            "agent_label": "Waiting on vendor",
            "end_user_label": "In progress",
        },
    )
    assert created.status_code == 201, created.text
    status = created.json()["custom_status"]
    assert (status["status_category"], status["default"], status["active"]) == (
        "pending",
        False,
        True,
    )
    again = call(
        api,
        sandbox,
        "POST",
        "/api/v2/custom_statuses.json",
        custom_status={"status_category": "pending", "agent_label": "Waiting on vendor"},
    )
    assert again.status_code == 422
    closed = call(
        api,
        sandbox,
        "POST",
        "/api/v2/custom_statuses.json",
        custom_status={"status_category": "closed", "agent_label": "Gone"},
    )
    assert closed.status_code == 422  # closed tickets are in the solved category
    pending = api.get(
        f"{sandbox.base_url}/api/v2/custom_statuses.json?status_categories=pending&default=false"
    ).json()["custom_statuses"]
    assert [s["agent_label"] for s in pending] == ["Waiting on vendor"]
    sandbox.backend.config.custom_statuses_enabled = False
    off = call(
        api,
        sandbox,
        "POST",
        "/api/v2/custom_statuses.json",
        custom_status={"status_category": "open", "agent_label": "Escalated"},
    )
    assert off.status_code == 403


def test_a_schedule_gets_its_workweek_and_holidays(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    created = call(
        api,
        sandbox,
        "POST",
        "/api/v2/business_hours/schedules.json",
        schedule={"name": "Berlin", "time_zone": "Europe/Berlin"},
    )
    assert created.status_code == 201
    schedule = created.json()["schedule"]
    assert schedule["intervals"][0] == {"start_time": 1980, "end_time": 2460}  # Mon 9-17
    base = f"/api/v2/business_hours/schedules/{schedule['id']}"
    week = [{"start_time": 1440 + 480, "end_time": 1440 + 960}]
    done = call(api, sandbox, "PUT", f"{base}/workweek.json", workweek={"intervals": week})
    assert done.status_code == 200
    assert done.json() == {"workweek": {"intervals": week}}
    spans = call(
        api,
        sandbox,
        "PUT",
        f"{base}/workweek.json",
        workweek={"intervals": [{"start_time": 1380, "end_time": 1500}]},
    )
    assert spans.status_code == 422  # an interval cannot span calendar days
    holiday = call(
        api,
        sandbox,
        "POST",
        f"{base}/holidays.json",
        holiday={"name": "New Year", "start_date": "2026-01-01", "end_date": "2026-01-01"},
    )
    assert holiday.status_code == 201
    backwards = call(
        api,
        sandbox,
        "POST",
        f"{base}/holidays.json",
        holiday={"name": "Odd", "start_date": "2026-01-03", "end_date": "2026-01-02"},
    )
    assert backwards.status_code == 422
    listed = api.get(f"{sandbox.base_url}{base}/holidays.json").json()["holidays"]
    assert [(h["name"], h["start_date"], h["end_date"]) for h in listed] == [
        ("New Year", "2026-01-01", "2026-01-01")
    ]
    shown = api.get(f"{sandbox.base_url}{base}.json").json()["schedule"]
    assert shown["intervals"] == week
    assert (
        api.get(f"{sandbox.base_url}/api/v2/business_hours/schedules/9/holidays").status_code == 404
    )


def test_tickets_carry_the_desk_s_brand_and_the_default_form_and_status(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    brands = api.get(f"{sandbox.base_url}/api/v2/brands.json").json()["brands"]
    default = next(b["id"] for b in brands if b["default"])
    statuses = {
        s["id"]: s
        for s in api.get(f"{sandbox.base_url}/api/v2/custom_statuses.json").json()[
            "custom_statuses"
        ]
    }
    tickets = api.get(f"{sandbox.base_url}/api/v2/tickets.json").json()["tickets"]
    for ticket in tickets:
        assert ticket["brand_id"] == default
        category = statuses[ticket["custom_status_id"]]["status_category"]
        assert category == ("solved" if ticket["status"] == "closed" else ticket["status"])


def test_seeding_reads_the_desk_s_brands_and_the_tickets_name_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = plain_desk(generate(tickets=5, seed=7, instance="demo"))
    pay = Brand(id="365000000101", name="Pay", subdomain="demo-pay")
    shop = Brand(id="365000000102", name="Shop", subdomain="demo-shop", default=True)
    first = desk.tickets[0]
    branded = attrs.evolve(first, brand=Ref(kind="brand", id=pay.id))
    changed = attrs.evolve(desk, brands=(pay, shop), tickets=(branded, *desk.tickets[1:]))
    monkeypatch.setattr(models, "generate", lambda **_: changed)
    sandbox = ZendeskSandbox(tickets=5, seed=7, clock=ManualClock())
    api = sandbox.session()
    brands = api.get(f"{sandbox.base_url}/api/v2/brands.json").json()["brands"]
    assert [(b["id"], b["name"], b["default"]) for b in brands] == [
        (int(pay.id), "Pay", False),
        (int(shop.id), "Shop", True),
    ]
    tickets = {
        t["id"]: t for t in api.get(f"{sandbox.base_url}/api/v2/tickets.json").json()["tickets"]
    }
    assert tickets[int(first.id)]["brand_id"] == int(pay.id)
    assert {t["brand_id"] for i, t in tickets.items() if i != int(first.id)} == {int(shop.id)}


def test_imports_keep_brand_form_and_custom_status_and_refuse_unknown_ids(
    api: requests.Session, sandbox: ZendeskSandbox
) -> None:
    brand = call(
        api, sandbox, "POST", "/api/v2/brands.json", brand={"name": "Pay", "subdomain": "acme-pay"}
    ).json()["brand"]
    form = call(
        api, sandbox, "POST", "/api/v2/ticket_forms.json", ticket_form={"name": "Refunds"}
    ).json()["ticket_form"]
    status = call(
        api,
        sandbox,
        "POST",
        "/api/v2/custom_statuses.json",
        custom_status={"status_category": "pending", "agent_label": "Waiting on vendor"},
    ).json()["custom_status"]
    user = next(iter(sandbox.backend.users))
    ticket = {
        "subject": "Refund",
        "comments": [{"value": "Please refund", "author_id": user}],
        "requester_id": user,
        "brand_id": brand["id"],
        "ticket_form_id": form["id"],
        "custom_status_id": status["id"],
        "status": "open",
    }
    imported = call(api, sandbox, "POST", "/api/v2/imports/tickets.json", ticket=ticket)
    assert imported.status_code == 201, imported.text
    body = imported.json()["ticket"]
    assert (body["brand_id"], body["ticket_form_id"], body["custom_status_id"]) == (
        brand["id"],
        form["id"],
        status["id"],
    )
    assert body["status"] == Status.PENDING.value  # the custom status decides the status
    for key in ("brand_id", "ticket_form_id", "custom_status_id"):
        refused = call(
            api, sandbox, "POST", "/api/v2/imports/tickets.json", ticket={**ticket, key: 12345}
        )
        assert refused.status_code == 422, key
        assert key in refused.json()["details"]
    plain = call(
        api,
        sandbox,
        "POST",
        "/api/v2/imports/tickets.json",
        ticket={
            "subject": "Plain",
            "comments": [{"value": "hi"}],
            "requester_id": user,
            "status": "solved",
        },
    ).json()["ticket"]
    default_solved = sandbox.backend.config.default_status("solved")
    assert plain["custom_status_id"] == default_solved
    assert plain["brand_id"] == sandbox.backend.config.default_brand()
    updated = call(
        api,
        sandbox,
        "PUT",
        f"/api/v2/tickets/{body['id']}.json",
        ticket={"custom_status_id": sandbox.backend.config.default_status("open")},
    )
    assert updated.status_code == 200
    assert updated.json()["ticket"]["status"] == "open"
    assert updated.json()["ticket"]["brand_id"] == brand["id"]  # kept
    wrong = call(api, sandbox, "PUT", f"/api/v2/tickets/{body['id']}.json", ticket={"brand_id": 99})
    assert wrong.status_code == 422
