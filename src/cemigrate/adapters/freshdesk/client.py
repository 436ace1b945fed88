"""The HTTP client of one Freshdesk account: authentication, budgets, paging, errors.

No maintained Freshdesk SDK exists, so this is a thin layer on :mod:`requests`, and nothing
more. Every request goes through the injected session wrapped by
:func:`cemigrate.adapters.transport.budgeted_session`: it spends ``freshdesk.core`` and, for
the endpoints that have one, its sub-limit (:data:`.objects.ROUTES`), with the extra credits
each resource named in ``include`` costs; 429s are retried after their ``Retry-After`` on the
injected clock, pausing only the budget that refused. A POST creates something, so a dropped
connection after one is not retried (:class:`~cemigrate.errors.WriteOutcomeUnknown`; resume
settles it with ``find``).
Lists page by the ``Link: <...>; rel="next"`` header. Freshdesk's error body
``{"description", "errors": [{"field", "message", "code"}]}`` becomes a
:class:`~cemigrate.errors.RecordError` carrying Freshdesk's own words.

The API key is sent as HTTP Basic user name (password ``X``); it is kept out of every repr
and never logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import attrs
import requests

from cemigrate.adapters.freshdesk.objects import CORE, PAGE_SIZE, ROUTES
from cemigrate.adapters.transport import budgeted_session, error_body, raise_for_answer
from cemigrate.errors import CredentialError, TransientError
from cemigrate.ratelimit import Budget, Budgets, RetryPolicy

__all__ = ["FreshdeskClient", "FreshdeskCredentials", "Page", "platform_message"]

_TIMEOUT: Final = 60.0


@attrs.frozen(kw_only=True)
class FreshdeskCredentials:
    """A Freshdesk API key (from the variable the plan's ``api_key_env`` names)."""

    api_key: str = attrs.field(repr=False)

    def apply(self, session: requests.Session) -> None:
        """Authenticate the session: the key as Basic user name, ``X`` as password."""
        if not self.api_key:
            raise CredentialError("freshdesk: the API key is empty (api_key_env)")
        session.auth = (self.api_key, "X")


@attrs.frozen(kw_only=True)
class Page:
    """One page of a Freshdesk list."""

    records: tuple[Any, ...]
    number: int
    """The page number asked for (1-based)."""
    next_url: str | None
    """The ``Link: rel="next"`` target; None on the last page."""


class FreshdeskClient:
    """Requests to one Freshdesk account under its budgets."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: FreshdeskCredentials,
        budgets: Budgets,
        retry: RetryPolicy,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.budgets = budgets
        self._routes = [
            (r.method, re.compile(r.pattern), r.budget, r.cost, r.include_cost) for r in ROUTES
        ]
        self.session = budgeted_session(
            session,
            route=self._route,
            retry=retry,
            api_paths=("/api/v2/",),
            settings="the plan's domain or base_url",
        )
        credentials.apply(self.session)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
    ) -> requests.Response:
        """Send one request; a refusal becomes the error that says what to do next."""
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        try:
            response = self.session.request(
                method, url, params=params, json=json, data=data, files=files, timeout=_TIMEOUT
            )
        except (requests.ConnectionError, requests.Timeout) as exc:  # retries exhausted
            raise TransientError(
                f"freshdesk {method} {urlsplit(url).path}: {type(exc).__name__}"
            ) from exc
        raise_for(response)
        return response

    def find_json(self, path: str) -> Any | None:
        """GET one record's JSON document; None when Freshdesk answers 404 (no such record,
        or deleted for good)."""
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request("GET", url, timeout=_TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:  # retries exhausted
            raise TransientError(f"freshdesk GET {path}: {type(exc).__name__}") from exc
        if response.status_code == 404:
            return None
        raise_for(response)
        return response.json()

    def get_json(self, path_or_url: str, **params: str | int) -> Any:
        """GET a JSON document."""
        return self.request("GET", path_or_url, params=params or None).json()

    def pages(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        first_page: int = 1,
        per_page: bool = True,
    ) -> Iterator[Page]:
        """Every page of a list from ``first_page`` on, following ``rel="next"``: 100 a page,
        or the endpoint's own size when ``per_page`` is False (search: 30)."""
        query: dict[str, str | int] = dict(params or {})
        if per_page:
            query["per_page"] = PAGE_SIZE
        if first_page > 1:
            query["page"] = first_page
        url: str | None = path
        number = first_page
        while url is not None:
            response = self.request("GET", url, params=query if url == path else None)
            body = response.json()
            records = body.get("results", ()) if isinstance(body, dict) else body
            if not isinstance(records, list):
                raise TransientError(f"freshdesk {path}: a list page that holds no list")
            url = response.links.get("next", {}).get("url")
            yield Page(records=tuple(records), number=number, next_url=url)
            number += 1

    # -- budgets -------------------------------------------------------------------------------

    def _route(self, request: requests.PreparedRequest) -> tuple[Sequence[Budget], float]:
        parts = urlsplit(request.url or "")
        query = dict(parse_qsl(parts.query))
        included = len({p for p in query.get("include", "").split(",") if p})
        for method, pattern, budget, cost, include_cost in self._routes:
            if method == request.method and pattern.fullmatch(parts.path):
                keys = [CORE, budget] if budget else [CORE]
                total = cost + include_cost * included
                return [self.budgets[k] for k in keys if k in self.budgets], total
        # one more credit per embedded resource [facts 3.1]
        return [self.budgets[CORE]], 1.0 + included


def raise_for(response: requests.Response) -> None:
    """4xx answers as the error a caller acts on (5xx and 429 were retried below us)."""
    raise_for_answer(
        response,
        platform="freshdesk",
        message=platform_message,
        credentials="the API key",
        permissions="the agent's role",
    )


def platform_message(response: requests.Response) -> str:
    """Freshdesk's own words: ``description`` and each ``field: message (code)``."""
    body = error_body(response)
    if isinstance(body, str):
        return body
    parts = [str(body["description"])] if body.get("description") else []
    for error in body.get("errors") or ():
        if isinstance(error, dict):
            field = error.get("field")
            text = f"{field}: {error.get('message')}" if field else str(error.get("message"))
            parts.append(f"{text} ({error['code']})" if error.get("code") else text)
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts)[:2000] or response.reason
