"""A budgeted session keeps a connection for every request a run may have in flight: with
16 target batches being written, none of their connections is thrown away after its answer
(urllib3's "connection pool is full, discarding connection")."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from requests.adapters import HTTPAdapter

from cemigrate.adapters.transport import CONNECTIONS, BudgetedTransport, budgeted_session
from cemigrate.ratelimit import MAX_IN_FLIGHT, Budget, ManualClock, RetryPolicy

AT_ONCE = MAX_IN_FLIGHT + 2
"""Requests in flight at once: more than requests' default pool (10) keeps."""


@pytest.fixture
def server() -> Iterator[tuple[str, list[int]]]:
    """A loopback server that answers nobody until :data:`AT_ONCE` requests wait at once (a
    barrier, not a clock), then all of them; the client ports it saw, one per connection."""
    together = threading.Barrier(AT_ONCE, timeout=30)
    ports: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a connection can go back to the pool

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            if self.path.startswith("/together"):
                together.wait()
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", ports
    finally:
        httpd.shutdown()
        httpd.server_close()


def session() -> requests.Session:
    clock = ManualClock()
    budget = Budget("demo.core", limit=10_000, period=60, clock=clock)
    return budgeted_session(None, route=lambda _r: ([budget], 1.0), retry=RetryPolicy(clock))


def test_every_transport_keeps_a_connection_per_request_in_flight() -> None:
    made = session()
    for adapter in made.adapters.values():
        assert isinstance(adapter, BudgetedTransport)
        assert isinstance(adapter.inner, HTTPAdapter)
        assert adapter.inner.poolmanager.connection_pool_kw["maxsize"] == CONNECTIONS
    assert CONNECTIONS > MAX_IN_FLIGHT
    # A session the user set up with a larger pool keeps it; wrapping again changes nothing.
    own = requests.Session()
    own.mount("https://", HTTPAdapter(pool_maxsize=64))
    budgeted_session(own, route=lambda _r: ([], 1.0), retry=RetryPolicy(ManualClock()))
    https = own.adapters["https://"]
    assert isinstance(https, BudgetedTransport)
    assert https.inner.poolmanager.connection_pool_kw["maxsize"] == 64  # type: ignore[attr-defined]


def test_requests_in_flight_at_once_keep_their_connections(
    server: tuple[str, list[int]], caplog: pytest.LogCaptureFixture
) -> None:
    url, ports = server
    made = session()
    with (
        caplog.at_level(logging.WARNING, logger="urllib3"),
        ThreadPoolExecutor(max_workers=AT_ONCE) as pool,
    ):
        answers = list(pool.map(lambda _: made.get(f"{url}/together").status_code, range(AT_ONCE)))
    assert answers == [200] * AT_ONCE
    assert "pool is full" not in caplog.text
    # Every connection went back to the pool: as many again, one after another, open none.
    opened = len(set(ports))
    for _ in range(AT_ONCE):
        assert made.get(f"{url}/alone").status_code == 200
    assert len(set(ports)) == opened == AT_ONCE
