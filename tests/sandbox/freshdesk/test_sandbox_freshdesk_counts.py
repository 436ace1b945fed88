"""The filter totals reconciliation counts by, as Freshdesk's reference documents them
(developers.freshdesk.com/api/#filter_tickets): ``total`` is every match however few results
a page serves (30, at most 10 pages); ``created_at:>'yyyy-mm-dd'`` matches by date and
``cf_<field>:null`` the tickets with no value in the field."""

from __future__ import annotations

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.freshdesk import FreshdeskSandbox


def test_totals_count_every_match_and_null_finds_the_empty_field() -> None:
    account = FreshdeskSandbox(tickets=40, seed=3, clock=ManualClock())
    session, base = account.session(), f"{account.base_url}/api/v2"
    field = session.post(
        f"{base}/admin/ticket_fields", json={"label": "cemigrate_id", "type": "custom_text"}
    )
    assert field.status_code == 201, field.text
    name = field.json()["name"]
    every = session.get(f"{base}/search/tickets", params={"query": "\"created_at:>'1970-01-01'\""})
    body = every.json()
    assert sorted(body) == ["results", "total"]
    live = sorted(account.backend.live_ticket_ids())
    assert body["total"] == len(live) > 30  # more than a page holds
    assert len(body["results"]) == 30
    keyed = live[:3]
    for ticket_id in keyed:
        changed = session.put(
            f"{base}/tickets/{ticket_id}", json={"custom_fields": {name: f"zd:ticket:{ticket_id}"}}
        )
        assert changed.status_code == 200, changed.text
    empty = session.get(f"{base}/search/tickets", params={"query": f'"{name}:null"'}).json()
    assert empty["total"] == len(live) - len(keyed)
    companies = session.get(
        f"{base}/search/companies", params={"query": "\"created_at:>'1970-01-01'\""}
    ).json()
    assert companies["total"] == len(account.backend.companies)
