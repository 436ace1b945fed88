"""The emulators' plumbing: in-process transport, loopback server, faults, rate limiter."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.http import (
    DroppedConnection,
    RateLimiter,
    WireFaults,
    WSGIApp,
    json_response,
    mount_sandbox,
    serve,
)


def echo(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """A WSGI app that answers with what it received."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    if environ["PATH_INFO"] == "/drop":
        raise DroppedConnection("asked to")
    return json_response(
        start_response,
        201,
        {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": environ["QUERY_STRING"],
            "host": environ["HTTP_HOST"],
            "scheme": environ["wsgi.url_scheme"],
            "content_type": environ.get("CONTENT_TYPE"),
            "auth": environ.get("HTTP_AUTHORIZATION"),
            "body": body.decode("utf-8"),
        },
        {"X-Echo": "yes"},
    )


def test_in_process_transport_passes_the_request_and_returns_the_response() -> None:
    session = mount_sandbox(requests.Session(), "https://echo.example", echo)
    session.auth = ("me", "secret")
    response = session.post(
        "https://echo.example/a/b%20c.json?x=1&y=%C3%A9", json={"hello": "wörld"}
    )
    assert response.status_code == 201
    assert response.headers["x-echo"] == "yes"
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/a/b c.json"
    assert seen["query"] == "x=1&y=%C3%A9"
    assert seen["host"] == "echo.example"
    assert seen["scheme"] == "https"
    assert seen["content_type"] == "application/json"
    assert seen["auth"].startswith("Basic ")
    assert json.loads(seen["body"]) == {"hello": "wörld"}


def test_in_process_transport_streams_a_raw_body() -> None:
    session = mount_sandbox(requests.Session(), "https://echo.example", echo)
    response = session.post("https://echo.example/upload", data=b"\x00\x01bytes")
    assert response.json()["body"] == "\x00\x01bytes"


def test_dropped_connection_in_process_raises_connection_error() -> None:
    session = mount_sandbox(requests.Session(), "https://echo.example", echo)
    with pytest.raises(requests.ConnectionError):
        session.get("https://echo.example/drop")


def test_served_over_loopback_and_read_with_plain_requests() -> None:
    ready = threading.Event()
    with serve(echo, port=0, ready=ready) as server:
        assert ready.is_set()
        assert server.port > 0
        response = requests.get(f"{server.url}/over/http?q=1", timeout=5)
        assert response.status_code == 201
        assert response.json()["path"] == "/over/http"
        assert response.json()["host"] == f"127.0.0.1:{server.port}"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/drop", timeout=5)
        # The server keeps serving after a dropped connection.
        assert requests.get(f"{server.url}/again", timeout=5).status_code == 201
    server.shutdown()  # a second shutdown is harmless


def _statuses(app: WSGIApp, n: int) -> list[int | str]:
    session = mount_sandbox(requests.Session(), "https://faulty.example", app)
    out: list[int | str] = []
    for _ in range(n):
        try:
            out.append(session.get("https://faulty.example/x").status_code)
        except requests.ConnectionError:
            out.append("drop")
    return out


def test_faults_hit_the_configured_share_and_repeat_with_the_seed() -> None:
    faults = WireFaults(rate_429=0.1, rate_500=0.05, rate_503=0.05, rate_drop=0.1, seed=3)
    first = _statuses(faults.wrap(echo, clock=ManualClock()), 2000)
    again = _statuses(faults.wrap(echo, clock=ManualClock()), 2000)
    assert first == again
    share = {key: first.count(key) / len(first) for key in (429, 500, 503, "drop", 201)}
    assert share[429] == pytest.approx(0.1, abs=0.02)
    assert share[500] == pytest.approx(0.05, abs=0.015)
    assert share[503] == pytest.approx(0.05, abs=0.015)
    assert share["drop"] == pytest.approx(0.1, abs=0.02)
    assert share[201] == pytest.approx(0.7, abs=0.03)


def test_injected_429_carries_retry_after() -> None:
    app = WireFaults(rate_429=1.0, retry_after=7).wrap(echo, clock=ManualClock())
    session = mount_sandbox(requests.Session(), "https://faulty.example", app)
    response = session.get("https://faulty.example/x")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_slow_responses_wait_on_the_injected_clock_not_for_real() -> None:
    clock = ManualClock()
    middleware = WireFaults(slow_seconds=30.0, rate_slow=1.0).wrap(echo, clock=clock)
    assert _statuses(middleware, 4) == [201] * 4
    assert clock.sleeps == [30.0] * 4
    assert clock.monotonic() == 120.0
    assert middleware.injected["slow"] == 4


def test_dropped_connection_over_http_closes_the_socket_without_answer() -> None:
    app = WireFaults(rate_drop=1.0).wrap(echo, clock=ManualClock())
    with serve(app, port=0) as server, pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/x", timeout=5)


def test_fault_rates_must_be_shares() -> None:
    with pytest.raises(ValueError, match="shares"):
        WireFaults(rate_429=0.8, rate_500=0.5)


def test_rate_limiter_refills_on_the_clock() -> None:
    clock = ManualClock()
    limiter = RateLimiter(60, clock=clock)
    outcomes = [limiter.take() for _ in range(61)]
    assert all(o.allowed for o in outcomes[:60])
    assert outcomes[59].remaining == 0
    assert not outcomes[60].allowed
    assert outcomes[60].retry_after == 1
    clock.advance(1.0)
    assert limiter.take().allowed
    assert not limiter.take().allowed
    clock.advance(60.0)
    assert limiter.peek().remaining == 60
