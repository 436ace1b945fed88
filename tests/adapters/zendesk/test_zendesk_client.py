"""The Zendesk client: paging positions, budgets per endpoint, and Zendesk's own error words."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from cemigrate.adapters.zendesk.client import ZendeskClient, ZendeskCredentials
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.objects import BY_NAME
from cemigrate.errors import CredentialError, RecordError
from cemigrate.ratelimit import ManualClock, RetryPolicy, budgets_for

BASE = "https://acme.zendesk.com"


class Scripted(BaseAdapter):
    """Answers each request with the next scripted (status, JSON body); records requests."""

    def __init__(self, answers: Sequence[tuple[int, Any]]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        status, body = self.answers.pop(0)
        response = requests.Response()
        response.status_code = status
        response.headers["Content-Type"] = "application/json"
        content = json.dumps(body).encode()
        response.raw = io.BytesIO(content)
        response._content = content
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def client(answers: Sequence[tuple[int, Any]]) -> tuple[ZendeskClient, Scripted]:
    transport = Scripted(answers)
    session = requests.Session()
    session.mount("https://", transport)
    clock = ManualClock()
    zendesk = ZendeskClient(
        base_url=BASE,
        credentials=ZendeskCredentials(email="admin@acme.example", token="secret-token"),
        budgets=budgets_for(ZENDESK_PLANS, "enterprise", clock=clock, prefix="acme"),
        retry=RetryPolicy(clock, max_attempts=3),
        session=session,
    )
    return zendesk, transport


def test_cursor_export_pages_until_end_of_stream_and_resumes_from_the_cursor() -> None:
    read = BY_NAME["tickets"].read
    assert read is not None
    zendesk, transport = client(
        [
            (
                200,
                {"tickets": [{"id": 1}, {"id": 2}], "after_cursor": "c1", "end_of_stream": False},
            ),
            (200, {"tickets": [], "after_cursor": "c2", "end_of_stream": False}),
            (200, {"tickets": [{"id": 3}], "after_cursor": "c3", "end_of_stream": True}),
        ]
    )
    pages = list(zendesk.pages(read))
    assert [len(p.records) for p in pages] == [2, 0, 1]  # an empty page is not the end
    assert [p.position for p in pages] == ["c1", "c2", "c3"]
    assert pages[-1].last
    assert "start_time=0" in (transport.requests[0].url or "")
    assert "cursor=c1" in (transport.requests[1].url or "")
    assert "start_time" not in (transport.requests[1].url or "")
    resumed, transport = client([(200, {"tickets": [], "end_of_stream": True})])
    list(resumed.pages(read, position="c2"))
    assert "cursor=c2" in (transport.requests[0].url or "")


def test_list_cursor_follows_links_next_while_has_more() -> None:
    read = BY_NAME["groups"].read
    assert read is not None
    zendesk, transport = client(
        [
            (
                200,
                {
                    "groups": [{"id": 1}],
                    "meta": {"has_more": True, "after_cursor": "g1"},
                    "links": {"next": f"{BASE}/api/v2/groups.json?page[after]=g1"},
                },
            ),
            (200, {"groups": [{"id": 2}], "meta": {"has_more": False, "after_cursor": "g2"}}),
        ]
    )
    pages = list(zendesk.pages(read))
    assert [p.position for p in pages] == ["g1", "g2"]
    assert len(transport.requests) == 2


def test_exports_spend_the_export_budget_and_the_account_budget() -> None:
    read = BY_NAME["tickets"].read
    assert read is not None
    zendesk, _ = client([(200, {"tickets": [], "end_of_stream": True}), (200, {"groups": []})])
    list(zendesk.pages(read))
    zendesk.get_json("/api/v2/groups.json")
    assert zendesk.budgets["zendesk.export"].calls == 1
    assert zendesk.budgets["zendesk.core"].calls == 2


def test_a_refused_record_carries_zendesks_own_words() -> None:
    refusal = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"email": [{"description": "Email: not-an-email is not properly formatted"}]},
    }
    zendesk, _ = client([(422, refusal)])
    with pytest.raises(RecordError) as raised:
        zendesk.request("POST", "/api/v2/users.json", json={"user": {}})
    assert raised.value.platform_message == (
        "RecordInvalid; Record validation errors;"
        " email: Email: not-an-email is not properly formatted"
    )


def test_wrong_credentials_are_a_configuration_error_without_the_secret() -> None:
    zendesk, _ = client([(401, {"error": "Couldn't authenticate you"})])
    with pytest.raises(CredentialError) as raised:
        zendesk.get_json("/api/v2/users.json")
    assert "Couldn't authenticate you" in str(raised.value)
    assert "secret-token" not in str(raised.value)
    assert "secret-token" not in repr(ZendeskCredentials(email="a", token="secret-token"))
