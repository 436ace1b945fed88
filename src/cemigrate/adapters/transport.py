"""Budgets and retries at the transport seam, for every platform client.

An adapter's HTTP traffic goes through a :class:`requests.Session` that the user may have
configured (proxies, TLS, a recorder, a sandbox transport). :func:`budgeted_session` wraps each
transport adapter mounted on that session in a :class:`BudgetedTransport`, so that every
request, whether sent by our own code or by an SDK such as zenpy or simple-salesforce:

- spends the budgets its route names (waiting on the injected clock when one is empty);
- feeds the response's rate-limit headers back into those budgets;
- turns a 429 into :class:`~cemigrate.errors.RateLimited` (pausing only that budget for its
  Retry-After) and a 5xx into :class:`~cemigrate.errors.TransientError`, which the retry
  policy retries with capped, jittered backoff, so an SDK never sees them and never runs its
  own sleeping retry loop;
- retries a dropped connection only for a request that is safe to send twice: a write that
  may have been applied before its answer was lost raises
  :class:`~cemigrate.errors.WriteOutcomeUnknown` instead (the run stops; resume settles it);
- tells a configuration mistake from an outage: until the platform's API has answered once,
  a host that cannot be reached (connection refused, a name that does not resolve, no route)
  or a 404 on the API (a wrong path, an API version the platform does not have) is a
  :class:`~cemigrate.errors.ConfigError` naming the host and port and what was tried, raised
  at once, with no retrying; only failures after that first answer are outages.

What is retried is the whole request, so only the transport is involved: no SDK changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from cemigrate.errors import (
    ConfigError,
    CredentialError,
    RateLimited,
    RecordError,
    TransientError,
    WriteOutcomeUnknown,
)
from cemigrate.ratelimit import MAX_IN_FLIGHT, Budget, RetryPolicy, retry_after_seconds

READERS: Final = 4
"""Requests a session may carry besides the target batches in flight: the reader thread, the
late references fetched on the copier's thread, a reconciliation or a probe alongside."""
CONNECTIONS: Final = MAX_IN_FLIGHT + READERS
"""Connections each transport of a budgeted session keeps per host: the most requests in
flight a budget allows (:meth:`~cemigrate.ratelimit.Budgets.in_flight`, at most
:data:`~cemigrate.ratelimit.MAX_IN_FLIGHT`; a source's session carries as many attachment
downloads, one per batch being written) plus :data:`READERS`. requests keeps 10 by default:
with more in flight, urllib3 opens a connection per extra request and discards it afterwards
("connection pool is full"), a new TCP and TLS handshake each time."""


class NotFound(RecordError):
    """The platform answered 404 for a record that was there a moment before (deleted
    meanwhile, in a help desk people keep working in): a :class:`RecordError` the source that
    asked can take for "deleted"."""


Replayable = Callable[[requests.PreparedRequest], bool]
"""Whether sending a request twice has the effect of sending it once (each platform knows
which of its writes are upserts)."""


def not_a_post(request: requests.PreparedRequest) -> bool:
    """The default: every method but POST is safe to repeat."""
    return (request.method or "GET").upper() != "POST"


Refusal = Callable[[requests.Response], Exception | None]
"""A platform's own throttle or quota signal read from an answer (Salesforce's 403
``REQUEST_LIMIT_EXCEEDED``): the error to raise instead of returning the response, or None."""

BudgetRoute = Callable[[requests.PreparedRequest], tuple[Sequence[Budget], float]]
"""Which budgets a request spends, and how much of each (a Freshdesk include costs extra).
The account-wide budget comes first: the response's rate headers are about it."""


class Reached:
    """Whether a session's platform API has answered yet: before it has, a host that cannot
    be reached or a 404 on the API is a configuration mistake, not an outage. Shared by the
    transports of one session."""

    def __init__(self, api_paths: Sequence[str] = ("/",), settings: str = "base_url") -> None:
        self.api_paths = tuple(api_paths)
        """What the platform's API paths hold (``/api/v2/``, after any prefix a proxy's base
        URL adds): a successful answer to one of them is the first answer; a 404 to one
        before it is a configuration error."""
        self.settings = settings
        """The plan keys a configuration error points at (``base_url``)."""
        self.answered = False
        """Whether the API has given a successful answer."""

    def is_api(self, path: str) -> bool:
        """Whether ``path`` is one of the platform's API."""
        return any(part in path for part in self.api_paths)


_UNREACHABLE: Final = (
    ("connection refused", "connection refused"),
    ("name or service not known", "the name does not resolve"),
    ("nodename nor servname", "the name does not resolve"),
    ("getaddrinfo failed", "the name does not resolve"),
    ("temporary failure in name resolution", "the name does not resolve"),
    ("failed to resolve", "the name does not resolve"),
    ("no route to host", "no route to the host"),
    ("network is unreachable", "the network is unreachable"),
    ("host is unreachable", "the host is unreachable"),
)


def unreachable(error: BaseException) -> str | None:
    """Why a connection could not be made (``connection refused``), or None when ``error`` is
    not a failure to connect (a connection dropped after the request was sent)."""
    if isinstance(error, requests.ConnectTimeout):
        return "no answer to the connection (timed out)"
    text = str(error).lower()
    for words, reason in _UNREACHABLE:
        if words in text:
            return reason
    return None


def host_port(url: str) -> str:
    """``host:port`` of a URL, the scheme's default port written out."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname or '?'}:{port}"


class BudgetedTransport(BaseAdapter):
    """A transport adapter that spends budgets and retries around another one."""

    def __init__(
        self,
        inner: BaseAdapter,
        *,
        route: BudgetRoute,
        retry: RetryPolicy,
        replayable: Replayable = not_a_post,
        refusal: Refusal | None = None,
        reached: Reached | None = None,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.route = route
        self.retry = retry
        self.replayable = replayable
        self.refusal = refusal
        self.reached = reached if reached is not None else Reached()

    def send(  # type: ignore[override]  # requests' stub types the keyword arguments loosely
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Send ``request`` through the inner transport under its budgets and retry policy."""
        budgets, cost = self.route(request)
        what = f"{request.method} {urlsplit(request.url or '').path}"

        # The route lists the account budget first: rate headers describe it, not an
        # endpoint's own limit. A 429 is charged to the tightest budget on the route, the one
        # an endpoint limit (exports: 10 a minute) makes the platform refuse first.
        account = budgets[0] if budgets else None
        tightest = min(budgets, key=lambda b: b.rate_per_second) if budgets else None

        reached = self.reached
        path = urlsplit(request.url or "").path

        def never_reached(exc: requests.RequestException) -> None:
            """Before the API's first answer, a host that cannot be reached is a mistake."""
            if not reached.answered and (why := unreachable(exc)) is not None:
                raise ConfigError(
                    f"nothing answers at {host_port(request.url or '')} ({what}: {why}):"
                    f" check {reached.settings}"
                ) from None

        def attempt() -> requests.Response:
            sent = time.perf_counter()
            try:
                response = self.inner.send(request, **kwargs)
            except requests.ConnectTimeout as exc:
                never_reached(exc)
                raise  # it never reached the platform: safe to send again
            except (requests.ConnectionError, requests.Timeout) as exc:
                never_reached(exc)
                if not self.replayable(request):
                    raise WriteOutcomeUnknown(
                        f"{what}: the connection dropped after the request was sent"
                        f" ({type(exc).__name__}); not sent again, resume to settle it"
                    ) from exc
                raise
            if account is not None:
                account.observe_headers(response.headers)
                # Real time, whatever clock paces the budgets: the round trip is what the
                # copier keeps several requests in flight against.
                account.observe_latency(time.perf_counter() - sent)
            if not reached.answered and reached.is_api(path):
                if response.status_code == 404:
                    response.close()
                    raise ConfigError(
                        f"{host_port(request.url or '')} has no {what} (404 before any answer"
                        f" of its API): check {reached.settings}"
                    )
                reached.answered = response.status_code < 400
            if response.status_code == 429:
                response.close()
                raise RateLimited(
                    f"{what}: 429 Too Many Requests",
                    budget=tightest.name if tightest else "",
                    retry_after=retry_after_seconds(response.headers),
                )
            # The refusal hook reads the answer first: a SOAP fault is a 500 that is no outage.
            if self.refusal is not None and (error := self.refusal(response)) is not None:
                response.close()
                raise error
            if response.status_code >= 500:
                response.close()
                raise TransientError(f"{what}: {response.status_code} {response.reason}")
            if not kwargs.get("stream") and not _whole_json(response):
                # The platform acted, but its answer arrived broken (cut short by a proxy or a
                # dropped connection): a read is asked again, a write is settled on resume.
                response.close()
                broken = f"{what}: the answer arrived broken (not the JSON it announced)"
                if not self.replayable(request):
                    raise WriteOutcomeUnknown(f"{broken}; not sent again, resume to settle it")
                raise TransientError(broken)
            return response

        return self.retry.call(attempt, budgets=budgets, cost=cost, what=what)

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


def _whole_json(response: requests.Response) -> bool:
    """Whether a successful answer that says it is JSON parses as JSON (anything else: yes)."""
    kind = response.headers.get("Content-Type", "")
    if response.status_code >= 300 or "json" not in kind.lower() or not response.content:
        return True
    try:
        response.json()
    except ValueError:
        return False
    return True


def budgeted_session(
    session: requests.Session | None,
    *,
    route: BudgetRoute,
    retry: RetryPolicy,
    replayable: Replayable = not_a_post,
    refusal: Refusal | None = None,
    api_paths: Sequence[str] = ("/",),
    settings: str = "base_url",
) -> requests.Session:
    """``session`` (or a new one) with every mounted transport spending budgets.

    The session is changed in place and returned; calling this twice on one session does not
    wrap twice. ``refusal`` reads a platform's own throttle signal from an answer (a
    :class:`~cemigrate.errors.RateLimited` it returns is retried like a 429). ``api_paths``
    are the platform API's path prefixes and ``settings`` the plan keys that say where it is
    (see :class:`Reached`). Each HTTP transport keeps at least :data:`CONNECTIONS` connections
    per host (:func:`size_pool`).
    """
    session = session if session is not None else requests.Session()
    reached = Reached(api_paths, settings)
    mounted: Mapping[str, BaseAdapter] = dict(session.adapters)
    for prefix, adapter in mounted.items():
        size_pool(adapter.inner if isinstance(adapter, BudgetedTransport) else adapter)
        if not isinstance(adapter, BudgetedTransport):
            session.mount(
                prefix,
                BudgetedTransport(
                    adapter,
                    route=route,
                    retry=retry,
                    replayable=replayable,
                    refusal=refusal,
                    reached=reached,
                ),
            )
    return session


def size_pool(adapter: BaseAdapter, connections: int = CONNECTIONS) -> None:
    """Let an HTTP transport keep ``connections`` connections per host (never fewer than it
    keeps already): one for each request a run may have in flight at once on it. A transport
    that is not an :class:`~requests.adapters.HTTPAdapter` (a recorder, a test double) is
    left as it is."""
    if not isinstance(adapter, HTTPAdapter):
        return
    maxsize: int = getattr(adapter, "_pool_maxsize", 0)
    if maxsize >= connections:
        return
    pools: int = getattr(adapter, "_pool_connections", 10)
    block: bool = getattr(adapter, "_pool_block", False)
    # requests' own way to resize (its constructor calls it); a subclass that sets TLS options
    # there keeps them. Proxy managers made later read the new sizes too.
    idle = adapter.poolmanager
    adapter.init_poolmanager(pools, connections, block=block)
    idle.clear()


def account_address(url: str) -> str:
    """An account's base URL as the ledger records it: scheme and host in lower case, no
    trailing slash (``https://Acme.Zendesk.com/`` and ``https://acme.zendesk.com`` are one)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def error_body(response: requests.Response) -> dict[str, Any] | str:
    """An error answer's JSON object, or the text that stands for it when it is none."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or str(response.status_code)
    return body if isinstance(body, dict) else str(body)[:500]


def raise_for_answer(
    response: requests.Response,
    *,
    platform: str,
    message: Callable[[requests.Response], str],
    credentials: str,
    permissions: str,
) -> None:
    """A 4xx answer as the error a caller acts on (5xx and 429 were retried below us): 401 a
    :class:`~cemigrate.errors.CredentialError` naming ``credentials``, 403 a
    :class:`~cemigrate.errors.ConfigError` pointing at ``permissions``, 404 a :class:`NotFound`,
    anything else a :class:`~cemigrate.errors.RecordError` carrying the platform's words
    (``message``)."""
    status = response.status_code
    if status < 400:
        return
    words = message(response)
    request = response.request
    where = f"{request.method} {urlsplit(request.url or '').path}" if request else ""
    if status == 401:
        raise CredentialError(f"{platform} refused {credentials} ({where}: {words})")
    if status == 403:
        raise ConfigError(f"{platform} forbids {where}: {words} (check {permissions})")
    if status == 404:
        raise NotFound(f"{platform} answered 404 to {where}", platform_message=words)
    raise RecordError(f"{platform} answered {status} to {where}", platform_message=words)
