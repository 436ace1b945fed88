"""The Zendesk emulator's routes: one table of paths, handlers and budgets, and the WSGI app.

:data:`ROUTES` is data: method, path template, handler name, the budget the call spends
(``core`` or ``export``) and a one-line summary. :class:`ZendeskApp` matches a request against
it, authenticates, spends the rate limits, calls the handler and writes Zendesk's headers.
:func:`coverage_markdown` renders the table as ``docs/sandbox-coverage.md``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from cemigrate.sandbox.http import Limit, RateLimiter, StartResponse
from cemigrate.sandbox.zendesk.exceptions import (
    MethodNotAllowed,
    RecordNotFound,
    TooManyRequests,
    Unauthorized,
    ZendeskError,
)
from cemigrate.sandbox.zendesk.models import BASE, ZendeskBackend
from cemigrate.sandbox.zendesk.responses import Reply, Request, ZendeskResponses, parse_query

__all__ = ["PLAN_LIMITS", "ROUTES", "Route", "ZendeskApp", "coverage_markdown"]


@attrs.frozen
class Route:
    """One implemented endpoint."""

    method: str
    path: str
    """Template with ``{name}`` parameters; ``.json`` is optional, as on Zendesk."""
    handler: str
    """Attribute of :class:`ZendeskResponses`, or ``factory:argument`` for a built handler."""
    budget: str
    """``core``, ``export`` (also spends core) or ``none`` (attachment downloads)."""
    summary: str

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled path pattern."""
        body = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+?)", self.path)
        suffix = "/?" if self.path.endswith("/") else r"(?:\.json)?"
        return re.compile(f"^{body.rstrip('/')}{suffix}$")


ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/v2/incremental/tickets/cursor",
        "incremental_tickets",
        "export",
        "Tickets changed since start_time (cursor; sideloads users, groups, organizations,"
        " metric_sets; 1,000 a page)",
    ),
    Route(
        "GET",
        "/api/v2/incremental/users/cursor",
        "incremental_users",
        "export",
        "Users changed since start_time (cursor; 1,000 a page)",
    ),
    Route(
        "GET",
        "/api/v2/incremental/organizations",
        "incremental_organizations",
        "export",
        "Organizations changed since start_time (time-based)",
    ),
    Route(
        "GET",
        "/api/v2/incremental/ticket_events",
        "incremental_ticket_events",
        "export",
        "Ticket updates with child events; include=comment_events adds comment bodies",
    ),
    Route(
        "GET",
        "/api/v2/incremental/ticket_metric_events",
        "incremental_ticket_metric_events",
        "export",
        "SLA history: apply_sla, activate, pause, fulfill, breach (time-based, 100)",
    ),
    Route(
        "GET",
        "/api/v2/tickets/show_many",
        "show_many_tickets",
        "core",
        "Tickets by ids (up to 100)",
    ),
    Route(
        "DELETE",
        "/api/v2/tickets/destroy_many",
        "destroy_many_tickets",
        "core",
        "Delete tickets by ids (job_status)",
    ),
    Route(
        "PUT",
        "/api/v2/tickets/update_many",
        "update_many_tickets",
        "core",
        "Update up to 100 tickets, each its own changes (job_status)",
    ),
    Route("GET", "/api/v2/tickets", "list_tickets", "core", "List tickets (offset or cursor)"),
    Route("GET", "/api/v2/tickets/{id}", "show_ticket", "core", "Show a ticket"),
    Route(
        "PUT",
        "/api/v2/tickets/{id}",
        "update_ticket",
        "core",
        "Update a ticket and add one comment (422 when closed)",
    ),
    Route(
        "DELETE",
        "/api/v2/tickets/{id}",
        "delete_ticket",
        "core",
        "Delete a ticket (stays in the export as status: deleted)",
    ),
    Route(
        "GET",
        "/api/v2/tickets/{id}/comments",
        "ticket_comments",
        "core",
        "A ticket's comments (page[size] ≤ 100 cursor, or offset)",
    ),
    Route(
        "POST",
        "/api/v2/imports/tickets/create_many",
        "import_many_tickets",
        "core",
        "Import up to 100 tickets with history (job_status; archive_immediately)",
    ),
    Route(
        "POST",
        "/api/v2/imports/tickets",
        "import_ticket",
        "core",
        "Import one ticket with its history (created_at, comments, authors kept)",
    ),
    Route(
        "GET",
        "/api/v2/job_statuses",
        "list_jobs",
        "core",
        "List background jobs, newest first (what is still queued or working)",
    ),
    Route(
        "GET",
        "/api/v2/job_statuses/{id}",
        "show_job",
        "core",
        "Poll a job: queued → working → completed with per-item results",
    ),
    Route(
        "POST",
        "/api/v2/uploads",
        "upload",
        "core",
        "Upload a file (token valid 60 minutes; 50 MB; restricted types refused)",
    ),
    Route("GET", "/api/v2/attachments/{id}", "show_attachment", "core", "Attachment metadata"),
    Route(
        "GET",
        "/attachments/token/{token}/",
        "upload_content",
        "none",
        "Attachment bytes (content_url)",
    ),
    Route(
        "GET",
        "/api/v2/users/show_many",
        "show_many_users",
        "core",
        "Users by ids or external_ids (up to 100)",
    ),
    Route(
        "POST",
        "/api/v2/users/create_many",
        "factory:create_many_users:false",
        "core",
        "Create up to 100 users (job_status)",
    ),
    Route(
        "POST",
        "/api/v2/users/create_or_update_many",
        "factory:create_many_users:true",
        "core",
        "Upsert up to 100 users by external_id or email (job_status)",
    ),
    Route("GET", "/api/v2/users", "factory:list_of:users:users", "core", "List users"),
    Route("GET", "/api/v2/users/me", "me", "core", "The user the API acts as"),
    Route("GET", "/api/v2/users/{id}", "factory:show_of:users:user", "core", "Show a user"),
    Route(
        "POST",
        "/api/v2/organizations/create_many",
        "create_many_organizations",
        "core",
        "Create up to 100 organizations (job_status)",
    ),
    Route(
        "GET",
        "/api/v2/organizations",
        "factory:list_of:organizations:organizations",
        "core",
        "List organizations",
    ),
    Route(
        "GET",
        "/api/v2/organizations/{id}",
        "factory:show_of:organizations:organization",
        "core",
        "Show an organization",
    ),
    Route("GET", "/api/v2/groups", "factory:list_of:groups:groups", "core", "List groups"),
    Route("POST", "/api/v2/groups", "create_group", "core", "Create a group"),
    Route("GET", "/api/v2/groups/{id}", "factory:show_of:groups:group", "core", "Show a group"),
    Route(
        "GET",
        "/api/v2/group_memberships",
        "factory:list_of:memberships:group_memberships",
        "core",
        "List group memberships",
    ),
    Route(
        "POST", "/api/v2/group_memberships", "create_membership", "core", "Add an agent to a group"
    ),
    Route(
        "GET",
        "/api/v2/group_memberships/{id}",
        "factory:show_of:memberships:group_membership",
        "core",
        "Show a membership",
    ),
    Route(
        "GET",
        "/api/v2/ticket_fields",
        "factory:list_fields:ticket",
        "core",
        "System and custom ticket fields with custom_field_options",
    ),
    Route(
        "POST",
        "/api/v2/ticket_fields",
        "factory:create_field:ticket",
        "core",
        "Create a ticket field",
    ),
    Route("GET", "/api/v2/user_fields", "factory:list_fields:user", "core", "User fields"),
    Route(
        "POST", "/api/v2/user_fields", "factory:create_field:user", "core", "Create a user field"
    ),
    Route(
        "GET",
        "/api/v2/organization_fields",
        "factory:list_fields:organization",
        "core",
        "Organization fields",
    ),
    Route(
        "POST",
        "/api/v2/organization_fields",
        "factory:create_field:organization",
        "core",
        "Create an organization field",
    ),
    Route("GET", "/api/v2/slas/policies", "sla_policies", "core", "SLA policies"),
    Route(
        "POST",
        "/api/v2/slas/policies",
        "create_sla_policy",
        "core",
        "Create an SLA policy (422 for an unknown metric or priority)",
    ),
    Route("GET", "/api/v2/slas/policies/{id}", "show_sla_policy", "core", "Show an SLA policy"),
    Route(
        "PUT",
        "/api/v2/slas/policies/{id}",
        "update_sla_policy",
        "core",
        "Update an SLA policy (filter, targets; 422 when invalid)",
    ),
    Route("GET", "/api/v2/triggers", "factory:list_rules:triggers", "core", "Triggers"),
    Route("GET", "/api/v2/automations", "factory:list_rules:automations", "core", "Automations"),
    Route("GET", "/api/v2/macros", "factory:list_rules:macros", "core", "Macros"),
    Route("GET", "/api/v2/views", "factory:list_rules:views", "core", "Views"),
    Route(
        "POST",
        "/api/v2/triggers",
        "factory:create_rule:triggers",
        "core",
        "Create one (as sent)",
    ),
    Route(
        "POST",
        "/api/v2/automations",
        "factory:create_rule:automations",
        "core",
        "Create one (as sent)",
    ),
    Route("POST", "/api/v2/macros", "factory:create_rule:macros", "core", "Create one (as sent)"),
    Route("POST", "/api/v2/views", "factory:create_rule:views", "core", "Create one (as sent)"),
    *(
        Route(
            "PUT",
            f"/api/v2/{plural}/update_many",
            f"factory:update_many_rules:{plural}",
            "core",
            "Switch many on or off, or move them (`active`, `position`; ≤ 100; an unknown id"
            " refuses the call)",
        )
        for plural in ("triggers", "automations", "macros", "views")
    ),
    *(
        Route(
            "PUT",
            f"/api/v2/{plural}/{{rule_id}}",
            f"factory:update_rule:{plural}",
            "core",
            "Update one (`active` must be true or false)",
        )
        for plural in ("triggers", "automations", "macros", "views")
    ),
    Route(
        "GET",
        "/api/v2/ticket_metrics",
        "ticket_metrics",
        "core",
        "Ticket metrics (archived tickets excluded)",
    ),
    Route(
        "GET",
        "/api/v2/satisfaction_ratings",
        "factory:list_of:ratings:satisfaction_ratings",
        "core",
        "Satisfaction ratings",
    ),
    Route(
        "GET",
        "/api/v2/search",
        "search",
        "core",
        "Search: type:ticket|user|organization|group and field:value terms (≤ 1,000)",
    ),
)
"""Every endpoint the emulator serves, in matching order."""

PLAN_LIMITS: Final[Mapping[str, int]] = {
    "essential": 10,
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "enterprise_plus": 2500,
}
"""Requests per minute of each Zendesk plan (the High Volume add-on makes it 2,500)."""
EXPORT_LIMIT, EXPORT_LIMIT_HIGH_VOLUME = 10, 30
"""Incremental export requests per minute, without and with the High Volume add-on."""


class ZendeskApp:
    """The WSGI application: routing, authentication, rate limits and Zendesk's headers."""

    def __init__(
        self,
        backend: ZendeskBackend,
        *,
        email: str,
        token: str,
        plan: str,
        high_volume: bool,
    ) -> None:
        if plan not in PLAN_LIMITS:
            raise ValueError(f"unknown Zendesk plan {plan!r}; one of {sorted(PLAN_LIMITS)}")
        self.backend = backend
        self.responses = ZendeskResponses(backend, api_email=email)
        self.email = email
        self.token = token
        core = PLAN_LIMITS[plan]
        if high_volume and core >= PLAN_LIMITS["professional"]:
            core = 2500  # the add-on replaces the plan limit, it does not add to it
        self.core = RateLimiter(core, clock=backend.clock)
        self.export = RateLimiter(
            EXPORT_LIMIT_HIGH_VOLUME if high_volume else EXPORT_LIMIT, clock=backend.clock
        )
        self.requests: list[tuple[str, str, int]] = []
        """Every request answered: method, path, status (for tests and call counting)."""
        self._routes = [(route, route.pattern, self._bind(route)) for route in ROUTES]

    def _bind(self, route: Route) -> Callable[..., Reply]:
        if route.handler.startswith("factory:"):
            _, factory, *args = route.handler.split(":")
            values: list[Any] = [{"true": True, "false": False}.get(a, a) for a in args]
            built: Callable[..., Reply] = getattr(self.responses, factory)(*values)
            return built
        handler: Callable[..., Reply] = getattr(self.responses, route.handler)
        return handler

    def reset_limits(self) -> None:
        """Fill the rate-limit buckets again."""
        self.core.reset()
        self.export.reset()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO") or "/")
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        scheme = environ.get("wsgi.url_scheme", "http")
        host = headers.get("host") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        request = Request(
            method=method,
            path=path,
            query=parse_query(str(environ.get("QUERY_STRING") or "")),
            body=body,
            headers=headers,
            base=f"{scheme}://{host}",
        )
        with self.backend.lock:
            status, payload, extra, content_type = self._answer(request)
            self.requests.append((method, path, status))
        if content_type is None:
            data = b"" if payload is None else json.dumps(payload).encode("utf-8")
            data = data.replace(BASE.encode(), request.base.encode())
            content_type = "application/json; charset=utf-8"
        else:
            assert isinstance(payload, bytes)
            data = payload
        out = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        out.extend((k, v.replace(BASE, request.base)) for k, v in extra.items())
        start_response(f"{status} {_REASONS.get(status, 'OK')}", out)
        return [data]

    def _answer(self, request: Request) -> tuple[int, object, dict[str, str], str | None]:
        limit: Limit | None = None
        try:
            route, handler, params = self._match(request)
            if route.budget != "none":
                self._authenticate(request)
                limit = self.core.take()
                if not limit.allowed:
                    raise TooManyRequests(limit.retry_after, {})
                if route.budget == "export":
                    export = self.export.take()
                    if not export.allowed:
                        raise TooManyRequests(export.retry_after, {})
                self.backend.advance_jobs()
            reply = handler(request, **params)
        except ZendeskError as error:
            headers = dict(error.headers)
            if limit is not None:
                headers.update(_limit_headers(limit))
            return error.status, error.body, headers, None
        headers = dict(reply.headers)
        if limit is not None:
            headers.update(_limit_headers(limit))
        if reply.raw is not None:
            return (
                reply.status,
                reply.raw,
                headers,
                reply.content_type or "application/octet-stream",
            )
        return reply.status, reply.body, headers, None

    def _match(self, request: Request) -> tuple[Route, Callable[..., Reply], dict[str, str]]:
        known_path = False
        for route, pattern, handler in self._routes:
            found = pattern.match(request.path)
            if found is None:
                continue
            known_path = True
            if route.method == request.method:
                return route, handler, found.groupdict()
        if known_path:
            raise MethodNotAllowed()
        raise RecordNotFound()

    def _authenticate(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value == self.token:
            return
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(value).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                raise Unauthorized() from None
            if user.lower() == f"{self.email.lower()}/token" and secret == self.token:
                return
        raise Unauthorized()


def _limit_headers(limit: Limit) -> dict[str, str]:
    return {
        "X-Rate-Limit": str(limit.limit),
        "X-Rate-Limit-Remaining": str(limit.remaining),
        "ratelimit-limit": str(limit.limit),
        "ratelimit-remaining": str(limit.remaining),
        "ratelimit-reset": str(limit.reset_seconds),
    }


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}


def coverage_markdown() -> str:
    """The table of implemented endpoints, as committed in ``docs/sandbox-coverage.md``."""
    lines = [
        "# Sandbox coverage",
        "",
        "Generated by `cemigrate.sandbox.zendesk.urls.coverage_markdown()`; a test keeps this",
        "file equal to it. Budgets: `core` is the plan's per-minute limit, `export` also spends",
        "the incremental export limit (10/min, 30 with High Volume), `none` is not rate limited.",
        "",
        "## Zendesk Support",
        "",
        "| Method | Path | Budget | What it does |",
        "|---|---|---|---|",
    ]
    for route in ROUTES:
        path = route.path if route.path.endswith("/") else f"{route.path}.json"
        lines.append(f"| {route.method} | `{path}` | {route.budget} | {route.summary} |")
    return "\n".join(lines) + "\n"
