"""The emulator's count endpoints answer as Zendesk's reference documents them: ``GET
/api/v2/{tickets,users,organizations,groups}/count`` → ``{"count": {"value": N,
"refreshed_at": "<ISO time>"}}`` (developer.zendesk.com/api-reference: Count Tickets, Count
Users, Count Organizations, Count Groups), deleted records left out."""

from __future__ import annotations

import re

import pytest

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox


@pytest.fixture
def account() -> ZendeskSandbox:
    return ZendeskSandbox(tickets=15, seed=2, instance="c", clock=ManualClock())


@pytest.mark.parametrize("what", ["tickets", "users", "organizations", "groups"])
def test_each_count_has_the_reference_shape(account: ZendeskSandbox, what: str) -> None:
    session = account.session()
    for path in (f"/api/v2/{what}/count", f"/api/v2/{what}/count.json"):
        reply = session.get(f"{account.base_url}{path}")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert list(body) == ["count"]
        assert sorted(body["count"]) == ["refreshed_at", "value"]
        assert isinstance(body["count"]["value"], int)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["count"]["refreshed_at"])


def test_counts_match_the_account_and_leave_deleted_records_out(account: ZendeskSandbox) -> None:
    session, base = account.session(), account.base_url
    backend = account.backend

    def count(what: str) -> int:
        value: int = session.get(f"{base}/api/v2/{what}/count").json()["count"]["value"]
        return value

    live = [t for t, s in backend.ticket_state.items() if not s.deleted]
    assert count("tickets") == len(live)
    assert count("organizations") == len(backend.organizations)
    assert count("groups") == sum(1 for g in backend.groups.values() if not g.get("deleted"))
    users = count("users")
    assert users == sum(1 for u in backend.users.values() if u.get("active", True))
    deleted = session.delete(f"{base}/api/v2/tickets/{live[0]}")
    assert deleted.status_code == 204
    assert count("tickets") == len(live) - 1
    # the show route still answers for ids: "count" is not taken for one
    assert session.get(f"{base}/api/v2/tickets/{live[1]}").status_code == 200
