"""Plumbing shared by the platform emulators: transports, a loopback server, faults, rate limits.

An emulator is a plain WSGI application. This module makes it reachable two ways:

- in process, through :class:`WSGITransport`, a :class:`requests` transport adapter mounted on
  a :class:`requests.Session` for the platform's base URL (:func:`mount_sandbox`): no socket,
  no thread, so tests are fast and deterministic;
- over loopback HTTP, through :func:`serve`, werkzeug's threaded development server
  (:func:`werkzeug.serving.make_server`) that unmodified clients (zenpy, simple-salesforce,
  curl) can talk to.

:class:`WireFaults` wraps any emulator in a seeded middleware that answers a share of requests with
429, 500 or 503, drops a share of connections (in process :class:`requests.ConnectionError`;
over HTTP the socket is closed without a response) and delays responses on an injected clock.
:class:`RateLimiter` is the token bucket emulators use to answer 429 with ``Retry-After``.

The sandbox is a layer of its own: it imports the standard library, attrs, requests and
werkzeug only (never ``cemigrate.ratelimit``), so its :class:`SandboxClock` is a protocol of
the same shape. The emulators' request, routing and account plumbing is in
:mod:`cemigrate.sandbox.web`.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, Final, Protocol, TypeAlias
from urllib.parse import unquote, urlsplit

import attrs
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server, select_address_family

__all__ = [
    "WHOLE_TOKEN_SLACK",
    "DroppedConnection",
    "FaultMiddleware",
    "Latency",
    "Limit",
    "RateLimiter",
    "SandboxClock",
    "SandboxServer",
    "SandboxSystemClock",
    "StartResponse",
    "WSGIApp",
    "WSGITransport",
    "WireFaults",
    "json_response",
    "make_environ",
    "mount_sandbox",
    "serve",
    "status_line",
]

StartResponse: TypeAlias = Callable[..., Any]
"""The ``start_response`` callable a WSGI application receives."""
WSGIApp: TypeAlias = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
"""A WSGI application."""


class SandboxClock(Protocol):
    """Where emulators read the time and sleep (the shape of ``cemigrate.ratelimit.Clock``)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block (or, on a manual clock, advance) for ``seconds``."""
        ...


class SandboxSystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.sleep`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        time.sleep(max(0.0, seconds))


class DroppedConnection(ConnectionError):
    """Raised by an emulator (or :class:`FaultMiddleware`) to drop the connection unanswered.

    A :class:`ConnectionError`, so werkzeug's server hands it to its ``connection_dropped`` hook
    (which closes the socket, see :func:`serve`) instead of answering 500.
    """


def status_line(status: int) -> str:
    """``"404 Not Found"``: the code and its standard reason phrase (:class:`http.HTTPStatus`)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:  # not a registered code: still a valid status line
        return f"{status} Status"


def json_response(
    start_response: StartResponse,
    status: int,
    body: object,
    headers: Mapping[str, str] | None = None,
) -> list[bytes]:
    """Answer with ``body`` as JSON (``None`` sends an empty body, as for 204)."""
    payload = b"" if body is None else json.dumps(body).encode("utf-8")
    out = [("Content-Type", "application/json; charset=utf-8")]
    out.append(("Content-Length", str(len(payload))))
    out.extend((headers or {}).items())
    start_response(status_line(status), out)
    return [payload]


# --- in process ---------------------------------------------------------------------------


class WSGITransport(BaseAdapter):
    """A requests transport adapter that answers from a WSGI app in this process."""

    def __init__(self, app: WSGIApp) -> None:
        super().__init__()
        self.app = app

    def send(  # type: ignore[override]  # requests types the keyword arguments loosely
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Call the app with an environ built from ``request``; return its answer."""
        environ = _environ(request)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DroppedConnection as exc:
            raise requests.ConnectionError(
                f"sandbox dropped the connection: {exc}", request=request
            ) from exc
        response = requests.Response()
        response.status_code = int(str(captured["status"]).split(" ", 1)[0])
        response.reason = str(captured["status"]).partition(" ")[2]
        response.headers = CaseInsensitiveDict(dict(captured["headers"]))
        response.raw = io.BytesIO(body)
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]  # any adapter serves; stubs say HTTPAdapter
        return response

    def close(self) -> None:
        """Nothing to release: no sockets are opened."""


def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
    url = urlsplit(request.url or "")
    body = request.body
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode("utf-8")
    elif isinstance(body, bytes):
        data = body
    elif hasattr(body, "read"):
        data = body.read()
    else:
        data = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
    scheme = url.scheme or "http"
    return make_environ(
        request.method or "GET",
        # percent-decoded, each byte one character: PATH_INFO as a WSGI server passes it
        unquote(url.path or "/", "latin-1"),
        query=url.query,
        body=data,
        headers=request.headers.items(),
        scheme=scheme,
        host=url.netloc,
        server=(url.hostname or "localhost", url.port or (443 if scheme == "https" else 80)),
    )


def make_environ(
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
    scheme: str = "http",
    host: str | None = None,
    server: tuple[str, int] = ("localhost", 80),
) -> dict[str, Any]:
    """A WSGI environ for a request made in this process (no server in between).

    ``path`` is ``PATH_INFO`` as given (already percent-decoded, or deliberately not);
    ``query`` the raw query string; ``host`` the ``Host`` header (``server`` joined when
    ``None``). The in-process transport and the Salesforce emulator's composite subrequests
    build their requests with it.
    """
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ[f"HTTP_{key}"] = value
    environ.setdefault("HTTP_HOST", host if host is not None else f"{server[0]}:{server[1]}")
    return environ


def mount_sandbox(session: requests.Session, base_url: str, app: WSGIApp) -> requests.Session:
    """Mount ``app`` on ``session`` for every URL under ``base_url``; return the session."""
    session.mount(base_url.rstrip("/") + "/", WSGITransport(app))
    return session


# --- over loopback HTTP --------------------------------------------------------------------


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, quiet, one request a connection, and able to hang up."""

    # One request a connection, as HTTP/1.0 (werkzeug's threaded server would turn on HTTP/1.1
    # keep-alive): a client's pooled connection must not outlive SandboxServer.shutdown() and
    # still be answered by its handler thread, since tests stop a server to cut a run short.
    protocol_version = "HTTP/1.0"

    def connection_dropped(
        self, error: BaseException, environ: dict[str, Any] | None = None
    ) -> None:
        """Hang up without answering: the app raised :class:`DroppedConnection` (or the client
        went). Shutting the socket down makes the client see the drop at once."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)

    def log(self, type: str, message: str, *args: Any) -> None:  # werkzeug's signature
        """Stay quiet: a sandbox serving a test suite must not flood its output."""


class SandboxServer:
    """An emulator served over loopback HTTP from a background thread."""

    def __init__(self, server: BaseWSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host: str = str(host)
        """The address the server listens on."""
        self.port: int = int(port)
        """The port it listens on (the one picked when 0 was asked for)."""
        self.url: str = f"http://{self.host}:{self.port}"
        """The base URL clients use."""

    def shutdown(self) -> None:
        """Stop serving and close the listening socket (safe to call twice)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def wait(self) -> None:
        """Block until the server is shut down (what a CLI does after starting it)."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


@attrs.frozen(kw_only=True)
class Latency:
    """The round trip a real API has: every request waits ``seconds`` (plus or minus up to
    ``jitter``, uniformly, from a generator seeded with ``seed``) in real time before the
    account sees it, on its own connection's thread, so requests in flight overlap as they
    would over the internet. ``Latency()`` adds nothing."""

    seconds: float = 0.0
    jitter: float = 0.0
    seed: int = 0
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)
    """How the wait is spent (real time; a test records it instead)."""

    def __attrs_post_init__(self) -> None:
        if self.seconds < 0 or self.jitter < 0 or self.jitter > self.seconds:
            raise ValueError(
                f"latency {self.seconds} s and jitter {self.jitter} s: both 0 or more, the "
                "jitter at most the latency"
            )

    def around(self, app: WSGIApp) -> WSGIApp:
        """``app`` behind this latency (``app`` itself when there is none)."""
        if self.seconds == 0:
            return app
        draw = random.Random(self.seed)
        lock = threading.Lock()

        def delayed(environ: dict[str, Any], start_response: StartResponse) -> Any:
            with lock:
                wait = self.seconds + draw.uniform(-self.jitter, self.jitter)
            self.sleep(wait)  # the wire's time, outside the account's own lock
            return app(environ, start_response)

        return delayed


def serve(
    app: WSGIApp,
    *,
    host: str = "127.0.0.1",
    port: int,
    ready: threading.Event | None = None,
    latency: Latency | None = None,
) -> SandboxServer:
    """Serve ``app`` over HTTP on ``host:port`` (0 picks a free port) from a background thread.

    werkzeug's threaded server answers, one thread per connection. ``ready`` is set once the
    socket accepts connections. ``latency`` delays every request as a real API's round trip
    would. Call :meth:`SandboxServer.shutdown` (or use the server as a context manager) to stop
    it and release the port. A port that cannot be had raises :class:`OSError`.
    """
    if latency is not None:
        app = latency.around(app)
    # Bind here and hand werkzeug the socket: werkzeug's own bind prints the error and exits
    # the process, where callers (``cemigrate sandbox serve``) expect an OSError to report.
    with socket.create_server((host, port), family=select_address_family(host, port)) as listener:
        server = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=_RequestHandler,
            fd=listener.fileno(),  # werkzeug listens on a duplicate; this one closes here
        )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    if ready is not None:
        ready.set()
    return SandboxServer(server, thread)


# --- faults -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WireFaults:
    """Which share of requests fail, and how; the same ``seed`` fails the same requests.

    Each request draws once: the first ``rate_drop`` of the unit interval drops the connection,
    the next ``rate_429`` answers 429 (with ``Retry-After: retry_after``), then ``rate_500`` and
    ``rate_503``; the next ``rate_garbled`` reaches the account, which acts on it, but its answer
    arrives broken (the body cut in half, as a proxy or a cut connection leaves it). Requests
    that pass are delayed by ``slow_seconds`` (on the injected clock) with probability
    ``rate_slow``.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_drop: float = 0.0
    rate_garbled: float = 0.0
    slow_seconds: float = 0.0
    rate_slow: float = 1.0
    retry_after: int = 1
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        rates = (
            self.rate_429,
            self.rate_500,
            self.rate_503,
            self.rate_drop,
            self.rate_garbled,
            self.rate_slow,
        )
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates[:5]) > 1.0:
            raise ValueError(f"fault rates must be shares between 0 and 1 summing to ≤ 1: {self}")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must not be negative")

    def wrap(self, app: WSGIApp, *, clock: SandboxClock | None = None) -> FaultMiddleware:
        """``app`` behind these faults, sleeping on ``clock`` (the real one by default)."""
        return FaultMiddleware(app, self, clock or SandboxSystemClock())


class FaultMiddleware:
    """WSGI middleware that injects the failures a :class:`WireFaults` describes."""

    def __init__(self, app: WSGIApp, faults: WireFaults, clock: SandboxClock) -> None:
        self.app = app
        self.faults = faults
        self.clock = clock
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {
            "drop": 0,
            "429": 0,
            "500": 0,
            "503": 0,
            "garbled": 0,
            "slow": 0,
        }
        """How many requests got each fault so far."""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Fail, delay or pass the request on."""
        f = self.faults
        with self._lock:
            draw, slow_draw = self._random.random(), self._random.random()
        edges = (
            ("drop", f.rate_drop),
            ("429", f.rate_429),
            ("500", f.rate_500),
            ("503", f.rate_503),
        )
        low = 0.0
        for name, rate in edges:
            if low <= draw < low + rate:
                self._count(name)
                if name == "drop":
                    raise DroppedConnection("fault injected")
                status = int(name)
                headers = {"Retry-After": str(f.retry_after)} if status == 429 else {}
                body = {"error": _FAULT_ERRORS[status], "description": "Injected fault"}
                return json_response(start_response, status, body, headers)
            low += rate
        if f.slow_seconds > 0 and slow_draw < f.rate_slow:
            self._count("slow")
            self.clock.sleep(f.slow_seconds)
        if low <= draw < low + f.rate_garbled:
            return self._garbled(environ, start_response)
        return self.app(environ, start_response)

    def _garbled(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The account's answer with the first half of its body only."""
        answered: list[tuple[str, list[tuple[str, str]]]] = []

        def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], Any]:
            answered.append((status, headers))
            return lambda _data: None

        parts = self.app(environ, keep)
        try:
            body = b"".join(parts)
        finally:
            close = getattr(parts, "close", None)
            if close is not None:
                close()
        status, headers = answered[0]
        if not body:
            start_response(status, headers)
            return [body]
        self._count("garbled")
        cut = body[: len(body) // 2]
        kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*kept, ("Content-Length", str(len(cut)))])
        return [cut]

    def _count(self, name: str) -> None:
        with self._lock:
            self.injected[name] += 1


_FAULT_ERRORS = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


# --- rate limits --------------------------------------------------------------------------


@attrs.frozen
class Limit:
    """The outcome of one :meth:`RateLimiter.take`."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    """Seconds until the allowance is whole again."""
    retry_after: int
    """Seconds until one request is allowed again (0 when ``allowed``)."""


WHOLE_TOKEN_SLACK: Final = 1e-9
"""Tokens short of one that still count as one: the bucket refills by sums of ``elapsed ×
rate``, which fall a few ulps short of a whole token on the dot of a refill (six seconds after
the last export call, 0.9999999999999976 of a token at some clock times). The documented limit
(10 a minute: one every six seconds) allows that request, and a client pacing itself at that
limit sends it; refusing it was a 429 the limit does not call for."""


class RateLimiter:
    """A token bucket of ``limit`` requests per ``period`` seconds on an injected clock."""

    def __init__(
        self, limit: int, *, period: float = 60.0, clock: SandboxClock | None = None
    ) -> None:
        if limit <= 0 or period <= 0:
            raise ValueError("limit and period must be positive")
        self.limit = limit
        self.period = period
        self.clock = clock or SandboxSystemClock()
        self._tokens = float(limit)
        self._at = self.clock.monotonic()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        rate = self.limit / self.period
        self._tokens = min(float(self.limit), self._tokens + (now - self._at) * rate)
        self._at = now

    def take(self) -> Limit:
        """Spend one request if the bucket allows it; say what the headers should report."""
        with self._lock:
            self._refill()
            rate = self.limit / self.period
            allowed = self._tokens >= 1.0 - WHOLE_TOKEN_SLACK
            if allowed:
                self._tokens -= 1.0
            retry = 0 if allowed else max(1, math.ceil((1.0 - self._tokens) / rate))
            reset = math.ceil((self.limit - self._tokens) / rate)
            return Limit(allowed, self.limit, int(self._tokens), reset, retry)

    def peek(self) -> Limit:
        """What :meth:`take` would report, without spending."""
        with self._lock:
            self._refill()
            rate = self.limit / self.period
            reset = math.ceil((self.limit - self._tokens) / rate)
            return Limit(
                self._tokens >= 1.0 - WHOLE_TOKEN_SLACK, self.limit, int(self._tokens), reset, 0
            )

    def reset(self) -> None:
        """Fill the bucket again."""
        with self._lock:
            self._tokens = float(self.limit)
            self._at = self.clock.monotonic()
