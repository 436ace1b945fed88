"""Budgets and retries at the transport seam: what any SDK on the session experiences."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from cemigrate.adapters.transport import budgeted_session
from cemigrate.errors import RateLimited, WriteOutcomeUnknown
from cemigrate.ratelimit import Budget, ManualClock, RetryPolicy


class Scripted(BaseAdapter):
    """A transport that answers from a script of (status, headers) and records what it sent."""

    def __init__(self, script: Sequence[tuple[int, dict[str, str]]]) -> None:
        super().__init__()
        self.script = list(script)
        self.sent: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(f"{request.method} {request.url}")
        status, headers = self.script.pop(0) if self.script else (200, {})
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.raw = io.BytesIO(b"{}")
        response._content = b"{}"
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def make(script: Sequence[tuple[int, dict[str, str]]], *, limit: float = 700):
    clock = ManualClock()
    core = Budget("demo.zendesk.core", limit=limit, period=60, clock=clock)
    export = Budget("demo.zendesk.export", limit=10, period=60, clock=clock)
    transport = Scripted(script)
    session = requests.Session()
    session.mount("https://", transport)

    def route(request: requests.PreparedRequest) -> tuple[list[Budget], float]:
        return ([core, export] if "/incremental/" in (request.url or "") else [core]), 1.0

    budgeted_session(session, route=route, retry=RetryPolicy(clock, max_attempts=4))
    return session, transport, clock, core, export


def test_a_429_is_retried_after_its_retry_after_and_only_that_budget_pauses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session, transport, clock, core, export = make([(429, {"Retry-After": "17"}), (200, {})])
    with caplog.at_level(logging.WARNING, logger="cemigrate.ratelimit"):
        response = session.get("https://demo.zendesk.com/api/v2/tickets.json")
    assert response.status_code == 200
    assert len(transport.sent) == 2
    assert max(clock.sleeps) >= 17  # waited as the platform asked, on the injected clock
    assert core.throttled == 1
    assert export.paused_for == 0
    assert "17" in caplog.text


def test_5xx_is_retried_and_the_sdk_never_sees_it() -> None:
    session, transport, _, _, _ = make([(503, {}), (500, {}), (200, {})])
    assert session.get("https://demo.zendesk.com/api/v2/users.json").status_code == 200
    assert len(transport.sent) == 3


def test_a_429_storm_ends_in_rate_limited_after_the_last_attempt() -> None:
    session, transport, _, core, _ = make([(429, {"Retry-After": "1"})] * 10)
    with pytest.raises(RateLimited) as raised:
        session.get("https://demo.zendesk.com/api/v2/users.json")
    assert raised.value.budget == core.name
    assert len(transport.sent) == 4


def test_every_request_spends_its_routes_budgets_and_reads_the_headers() -> None:
    session, _, _, core, export = make(
        [(200, {"X-Rate-Limit": "400", "X-Rate-Limit-Remaining": "398"})] * 3
    )
    session.get("https://demo.zendesk.com/api/v2/incremental/tickets/cursor.json")
    session.get("https://demo.zendesk.com/api/v2/users.json")
    assert (core.calls, export.calls) == (2, 1)
    assert core.limit == 400  # the platform's word corrects the plan preset
    assert export.limit == 10  # the account's headers say nothing about the export limit


def test_a_429_on_an_export_pauses_the_export_budget_not_the_account() -> None:
    session, _, _, core, export = make([(429, {"Retry-After": "6"}), (200, {})])
    session.get("https://demo.zendesk.com/api/v2/incremental/tickets/cursor.json")
    assert export.throttled == 1
    assert core.throttled == 0


def test_wrapping_twice_does_not_spend_twice() -> None:
    session, _, _, core, _ = make([(200, {})])
    budgeted_session(session, route=lambda r: ([core], 1.0), retry=RetryPolicy(ManualClock()))
    session.get("https://demo.zendesk.com/api/v2/users.json")
    assert core.calls == 1


def test_zenpy_on_the_session_gets_our_retries_not_its_own_sleep() -> None:
    from zenpy import Zenpy

    body = b'{"users": [], "next_page": null, "count": 0}'
    session, transport, clock, core, _ = make([(429, {"Retry-After": "30"}), (200, {})])
    original = transport.send

    def send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = original(request, **kwargs)
        response._content = body
        response.headers["Content-Type"] = "application/json"
        return response

    transport.send = send  # type: ignore[method-assign]
    zenpy = Zenpy(subdomain="demo", email="a@demo.example", token="t", session=session)
    assert list(zenpy.users()) == []
    assert core.throttled == 1
    assert clock.sleeps  # our clock waited; zenpy's real sleep loop never ran


class Dropping(Scripted):
    """Loses the answer of every request (the platform may have applied it)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(f"{request.method} {request.url}")
        raise requests.ConnectionError("connection reset by peer")


def test_a_write_whose_answer_was_lost_is_never_sent_again() -> None:
    clock = ManualClock()
    core = Budget("demo.zendesk.core", limit=700, period=60, clock=clock)
    transport = Dropping([])
    session = requests.Session()
    session.mount("https://", transport)
    budgeted_session(
        session, route=lambda r: ([core], 1.0), retry=RetryPolicy(clock, max_attempts=4)
    )
    with pytest.raises(WriteOutcomeUnknown):
        session.post("https://demo.zendesk.com/api/v2/imports/tickets/create_many.json", json={})
    assert len(transport.sent) == 1  # sent once: a second send could import twice
    with pytest.raises(requests.ConnectionError):
        session.get("https://demo.zendesk.com/api/v2/users.json")
    assert len(transport.sent) == 1 + 4  # a read is safe to repeat, up to the attempts


class Broken(Scripted):
    """Answers ``200`` with a JSON content type: the first ``broken`` bodies cut short."""

    def __init__(self, broken: int) -> None:
        super().__init__([])
        self.broken = broken

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().send(request, **kwargs)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        body = b'{"tickets": [{"id": 1}]}'
        if self.broken > 0:
            self.broken -= 1
            body = body[: len(body) // 2]
        response._content = body
        return response


def broken_session(broken: int) -> tuple[requests.Session, Broken]:
    transport = Broken(broken)
    session = requests.Session()
    session.mount("https://", transport)
    clock = ManualClock()
    core = Budget("demo.zendesk.core", limit=700, period=60, clock=clock)
    budgeted_session(
        session, route=lambda _r: ([core], 1.0), retry=RetryPolicy(clock, max_attempts=4)
    )
    return session, transport


def test_a_read_whose_answer_arrives_broken_is_asked_again() -> None:
    session, transport = broken_session(broken=2)
    answer = session.get("https://demo.zendesk.com/api/v2/tickets.json")
    assert answer.json() == {"tickets": [{"id": 1}]}  # the caller sees the whole answer only
    assert len(transport.sent) == 3


def test_a_write_whose_answer_arrives_broken_is_not_sent_again() -> None:
    session, transport = broken_session(broken=1)
    with pytest.raises(WriteOutcomeUnknown, match="arrived broken"):
        session.post("https://demo.zendesk.com/api/v2/tickets.json", json={"ticket": {}})
    assert len(transport.sent) == 1  # the platform may hold it: resume settles it
