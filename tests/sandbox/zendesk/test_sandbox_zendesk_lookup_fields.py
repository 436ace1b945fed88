"""The Zendesk emulator's lookup relationship fields: created with what they point at, refused
without it [Zendesk API reference: Lookup Relationships]."""

from __future__ import annotations

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox


def test_a_lookup_field_keeps_what_it_points_at_and_needs_it() -> None:
    account = ZendeskSandbox(tickets=0, seed=9, instance="t", clock=ManualClock(), empty=True)
    api = account.session()
    url = f"{account.base_url}/api/v2/user_fields.json"
    body = {"type": "lookup", "title": "Buddy", "key": "buddy"}
    made = api.post(url, json={"user_field": {**body, "relationship_target_type": "zen:user"}})
    assert made.status_code == 201, made.text
    listed = api.get(url).json()["user_fields"]
    buddy = next(f for f in listed if f["key"] == "buddy")
    assert (buddy["type"], buddy["relationship_target_type"]) == ("lookup", "zen:user")
    refused = api.post(
        url, json={"user_field": {**body, "key": "pal", "relationship_target_type": "zen:group"}}
    )
    assert refused.status_code == 422
    assert "relationship_target_type" in refused.json()["details"]
