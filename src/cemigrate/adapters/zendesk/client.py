"""The HTTP client of one Zendesk account: authentication, budgets, paging, errors.

Every request goes through the injected :class:`requests.Session` (proxies, TLS, recorders and
sandboxes plug in there), wrapped by :func:`cemigrate.adapters.transport.budgeted_session`, so
each call spends the budgets the object table names and 429s and 5xx are retried on the
injected clock. A dropped connection is retried too, except after a write that is not safe to
send twice (a ticket import, an organization, group, membership or field create): Zendesk may
have applied it although its answer was lost, so the transport raises
:class:`~cemigrate.errors.WriteOutcomeUnknown` and the ledger's pending → ``find()`` path
settles it; :func:`replayable` says which Zendesk writes are safe to repeat. The three paging
styles of :class:`~.objects.Paging` are written once here, and each page carries the position
that resumes *after* it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import attrs
import requests

from cemigrate.adapters.transport import budgeted_session, error_body, raise_for_answer
from cemigrate.adapters.zendesk.objects import OBJECTS, Paging, Read
from cemigrate.errors import CredentialError, TransientError
from cemigrate.ratelimit import Budget, Budgets, RetryPolicy

_CORE: Final = "zendesk.core"
_TIMEOUT: Final = 60.0
_REPLAYABLE_POSTS: Final = frozenset(
    {
        "/api/v2/uploads.json",  # a second upload is an unused token that expires
        "/api/v2/users/create_or_update_many.json",  # an upsert by external id
        "/api/v2/users/create_or_update.json",
    }
)
"""POSTs that have the same effect when sent twice; every other POST creates something."""


_ONE_TICKET = re.compile(r"/api/v2/tickets/\d+(?:\.json)?")


def replayable(request: requests.PreparedRequest) -> bool:
    """Whether sending this request twice has the effect of sending it once."""
    method = (request.method or "GET").upper()
    path = urlsplit(request.url or "").path
    if method == "PUT" and _ONE_TICKET.fullmatch(path):
        return False  # an update may add a comment: twice would add it twice
    return method != "POST" or path in _REPLAYABLE_POSTS


@attrs.frozen(kw_only=True)
class Page:
    """One page of a Zendesk list: its records, sideloaded objects, and the position after it."""

    records: tuple[dict[str, Any], ...]
    sideloads: Mapping[str, tuple[dict[str, Any], ...]]
    position: str | None
    """What resumes reading after this page: an export cursor, a start time, or a page cursor."""
    last: bool
    """True when the stream had nothing more at the time of the request."""


@attrs.frozen(kw_only=True)
class ZendeskCredentials:
    """How to authenticate: e-mail and API token, or an OAuth access token."""

    email: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    oauth_token: str | None = attrs.field(default=None, repr=False)

    def apply(self, session: requests.Session) -> None:
        """Set the session's authentication (never logged: kept out of every repr)."""
        if self.oauth_token:
            session.headers["Authorization"] = f"Bearer {self.oauth_token}"
        elif self.email and self.token:
            session.auth = (f"{self.email}/token", self.token)
        else:
            raise CredentialError("zendesk: give an e-mail and an API token, or an OAuth token")


class ZendeskClient:
    """Requests to one Zendesk account under its budgets."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: ZendeskCredentials,
        budgets: Budgets,
        retry: RetryPolicy,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budgets = budgets
        self._routes = _routes(budgets)
        self.session = budgeted_session(
            session,
            route=self._route,
            retry=retry,
            replayable=replayable,
            api_paths=("/api/v2/",),
            settings="the plan's subdomain or base_url",
        )
        credentials.apply(self.session)

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request; a refusal becomes the error that says what to do next."""
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        try:
            response = self.session.request(
                method, url, params=params, json=json, data=data, headers=headers, timeout=_TIMEOUT
            )
        except (requests.ConnectionError, requests.Timeout) as exc:  # retries exhausted
            raise TransientError(f"zendesk {method} {urlsplit(url).path}: {exc}") from exc
        _raise_for(response)
        return response

    def get_json(self, path_or_url: str, **params: str | int) -> dict[str, Any]:
        """GET a JSON document."""
        body: dict[str, Any] = self.request("GET", path_or_url, params=params or None).json()
        return body

    # -- paging --------------------------------------------------------------------------------

    def pages(self, read: Read, *, position: str | None = None, **path: str) -> Iterator[Page]:
        """Every page of ``read`` after ``position`` (from the beginning when None)."""
        url = read.path.format(**path) if path else read.path
        params: dict[str, str | int] = dict(read.params)
        if read.sideloads:
            params["include"] = ",".join(read.sideloads)
        if read.paging is Paging.EXPORT_CURSOR:
            yield from self._export_cursor(url, params, read, position)
        elif read.paging is Paging.EXPORT_TIME:
            yield from self._export_time(url, params, read, position)
        elif read.paging is Paging.SINGLE:
            yield _page(self.get_json(url, **params), read, None, True)
        else:
            yield from self._cursor(url, params, read, position)

    def _export_cursor(
        self, url: str, params: dict[str, str | int], read: Read, position: str | None
    ) -> Iterator[Page]:
        if position is None:
            params["start_time"] = 0
        else:
            params["cursor"] = position
        params["per_page"] = read.page_size
        while True:
            body = self.get_json(url, **params)
            if "end_of_stream" not in body:
                raise TransientError(f"zendesk {url}: an export page without end_of_stream")
            after: str | None = body.get("after_cursor")
            last = bool(body.get("end_of_stream"))
            yield _page(body, read, after or position, last)
            if last or not after:
                return
            position = after
            params.pop("start_time", None)
            params["cursor"] = after

    def _export_time(
        self, url: str, params: dict[str, str | int], read: Read, position: str | None
    ) -> Iterator[Page]:
        params["start_time"] = position or "0"
        next_url: str | None = url
        while next_url is not None:
            body = self.get_json(next_url, **params) if next_url == url else self.get_json(next_url)
            if "end_of_stream" not in body:
                raise TransientError(f"zendesk {url}: an export page without end_of_stream")
            end_time = body.get("end_time")
            last = bool(body.get("end_of_stream"))
            yield _page(body, read, None if end_time is None else str(end_time), last)
            next_url = None if last else body.get("next_page")

    def _cursor(
        self, url: str, params: dict[str, str | int], read: Read, position: str | None
    ) -> Iterator[Page]:
        params["page[size]"] = read.page_size
        if position is not None:
            params["page[after]"] = position
        next_url: str | None = url
        while next_url is not None:
            body = self.get_json(next_url, **params) if next_url == url else self.get_json(next_url)
            meta = body.get("meta")
            if not isinstance(meta, dict):
                # Never take an unknown page shape for the end of the data.
                raise TransientError(f"zendesk {url}: a cursor page without meta; not read on")
            more = bool(meta.get("has_more"))
            position = meta.get("after_cursor") or position
            yield _page(body, read, position, not more)
            next_url = (body.get("links") or {}).get("next") if more else None

    # -- budgets -------------------------------------------------------------------------------

    def _route(self, request: requests.PreparedRequest) -> tuple[Sequence[Budget], float]:
        path = urlsplit(request.url or "").path
        for method, pattern, keys in self._routes:
            if method in ("*", request.method) and pattern.fullmatch(path):
                return [self.budgets[key] for key in keys], 1.0
        return [self.budgets[_CORE]], 1.0


def _routes(budgets: Budgets) -> list[tuple[str, re.Pattern[str], tuple[str, ...]]]:
    """(method, path pattern, budget keys) from the object table. Every request spends the
    account budget; an endpoint's own limit (exports) is spent as well."""
    routes = []
    for row in OBJECTS:
        for method, path, budget in (
            ("GET", row.read.path if row.read else None, row.read.budget if row.read else None),
            (
                row.write.method if row.write else "",
                row.write.path if row.write else None,
                row.write.budget if row.write else None,
            ),
        ):
            if path is None or budget is None:
                continue
            pattern = re.compile(re.sub(r"\\\{[a-z_]+\\\}", r"[^/]+", re.escape(path)))
            keys = (_CORE,) if budget == _CORE else (_CORE, budget)
            routes.append((method, pattern, tuple(k for k in keys if k in budgets)))
    return routes


def _page(body: Mapping[str, Any], read: Read, position: str | None, last: bool) -> Page:
    return Page(
        records=tuple(body.get(read.data_key) or ()),
        sideloads={name: tuple(body.get(name) or ()) for name in read.sideloads},
        position=position,
        last=last,
    )


def _raise_for(response: requests.Response) -> None:
    """4xx answers as the error a caller acts on (5xx and 429 were retried below us)."""
    raise_for_answer(
        response,
        platform="zendesk",
        message=_platform_message,
        credentials="the credentials",
        permissions="the account's permissions",
    )


def _platform_message(response: requests.Response) -> str:
    """Zendesk's own error words: ``error``, ``description`` and the field ``details``."""
    body = error_body(response)
    if isinstance(body, str):
        return body
    error = body.get("error")
    if isinstance(error, dict):  # some endpoints nest it: {"error": {"title", "message"}}
        error = error.get("title") or error.get("message")
    parts = [str(p) for p in (error, body.get("description")) if p]
    details = body.get("details")
    if isinstance(details, dict):
        for field, problems in details.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                text = problem.get("description") if isinstance(problem, dict) else problem
                parts.append(f"{field}: {text}")
    return "; ".join(parts)[:2000] or response.reason
