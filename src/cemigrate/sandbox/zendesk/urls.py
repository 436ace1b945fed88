"""The Zendesk emulator's routes: one table of paths, handlers and budgets, and the WSGI app.

:data:`ROUTES` is data: method, path template, the handler (how to get it from an account's
:class:`ZendeskResponses`), the budget the call spends (``core`` or ``export``) and a one-line
summary. :class:`ZendeskApp` routes a request through werkzeug rules built from it,
authenticates, spends the rate limits, calls the handler and writes Zendesk's headers.
:func:`coverage_markdown` renders the table as ``docs/sandbox-coverage.md``.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from cemigrate.sandbox.http import Limit, RateLimiter
from cemigrate.sandbox.web import Handler, NoRoute, Reply, SandboxApp, rule_path
from cemigrate.sandbox.zendesk import deletes
from cemigrate.sandbox.zendesk.config_routes import ConfigResponses
from cemigrate.sandbox.zendesk.exceptions import (
    MethodNotAllowed,
    RecordNotFound,
    TooManyRequests,
    Unauthorized,
    ZendeskError,
)
from cemigrate.sandbox.zendesk.models import BASE, ZendeskBackend
from cemigrate.sandbox.zendesk.responses import Request, ZendeskResponses

__all__ = ["PLAN_LIMITS", "ROUTES", "ZendeskApp", "ZendeskRoute", "coverage_markdown"]


@attrs.frozen
class ZendeskRoute:
    """One implemented endpoint."""

    method: str
    path: str
    """Template with ``{name}`` parameters; ``.json`` is optional, as on Zendesk."""
    handler: Callable[[ZendeskResponses], Handler]
    """The account's handler: a method of its :class:`ZendeskResponses`, or one it builds."""
    budget: str
    """``core``, ``export`` (also spends core) or ``none`` (attachment downloads)."""
    summary: str


def _for_rules(
    build: Callable[[ZendeskResponses, str], Handler], plural: str
) -> Callable[[ZendeskResponses], Handler]:
    """The handler ``build`` makes for one kind of business rule (``triggers``, ...)."""
    return lambda responses: build(responses, plural)


def _counter(what: str) -> Callable[[ZendeskResponses], Handler]:
    """The handler counting one resource (``tickets``, ``users``, ...)."""
    return lambda responses: responses.count_of(what)


def _destroy_many(table: str) -> Callable[[ZendeskResponses], Handler]:
    """The bulk delete of one table of the account (organizations, memberships)."""
    return lambda responses: functools.partial(deletes.destroy_many(table), responses.backend)


def _delete_setup(path: str) -> Callable[[ZendeskResponses], Handler]:
    """The delete of one record of the account's setup (a group, a field, a rule, ...)."""
    return lambda responses: functools.partial(deletes.delete_setup(path), responses.backend)


ROUTES: Final[tuple[ZendeskRoute, ...]] = (
    ZendeskRoute(
        "GET",
        "/api/v2/incremental/tickets/cursor",
        lambda r: r.incremental_tickets,
        "export",
        "Tickets changed since start_time (cursor; sideloads users, groups, organizations,"
        " metric_sets; 1,000 a page)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/incremental/users/cursor",
        lambda r: r.incremental_users,
        "export",
        "Users changed since start_time (cursor; 1,000 a page; permanently_deleted)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/incremental/organizations",
        lambda r: r.incremental_organizations,
        "export",
        "Organizations changed since start_time (time-based)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/incremental/ticket_events",
        lambda r: r.incremental_ticket_events,
        "export",
        "Ticket updates with child events; include=comment_events adds comment bodies",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/incremental/ticket_metric_events",
        lambda r: r.incremental_ticket_metric_events,
        "export",
        "SLA history: apply_sla, activate, pause, fulfill, breach (time-based, 100 a page; or"
        " cursor with page[size] ≤ 100)",
    ),
    *(
        ZendeskRoute(
            "GET",
            f"/api/v2/{what}/count",
            _counter(what),
            "core",
            f"Count {what}: {{count: {{value, refreshed_at}}}} (approximate past 100,000)",
        )
        for what in ("tickets", "users", "organizations", "groups")
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/tickets/show_many",
        lambda r: r.show_many_tickets,
        "core",
        "Tickets by ids (up to 100; count, next_page, previous_page)",
    ),
    ZendeskRoute(
        "DELETE",
        "/api/v2/tickets/destroy_many",
        lambda r: r.destroy_many_tickets,
        "core",
        "Delete tickets by ids (job_status)",
    ),
    ZendeskRoute(
        "DELETE",
        "/api/v2/deleted_tickets/destroy_many",
        lambda r: functools.partial(deletes.destroy_many_deleted_tickets, r.backend),
        "core",
        "Delete up to 100 soft-deleted tickets for good (job_status)",
    ),
    ZendeskRoute(
        "DELETE",
        "/api/v2/users/destroy_many",
        lambda r: functools.partial(deletes.destroy_many_users, r.backend),
        "core",
        "Delete up to 100 users (soft: listed as deleted users until deleted for good; job)",
    ),
    ZendeskRoute(
        "DELETE",
        "/api/v2/deleted_users/{id}",
        lambda r: functools.partial(deletes.permanently_delete_user, r.backend),
        "core",
        "Delete a deleted user for good (404 unless deleted first)",
    ),
    *(
        ZendeskRoute(
            "DELETE",
            f"/api/v2/{path}/destroy_many",
            _destroy_many(table),
            "core",
            f"Delete up to 100 {path.replace('_', ' ')} (job_status)",
        )
        for path, table in (
            ("organizations", "organizations"),
            ("group_memberships", "memberships"),
            ("organization_memberships", "organization_memberships"),
        )
    ),
    *(
        ZendeskRoute(
            "DELETE",
            f"/api/v2/{path}/{{id}}",
            _delete_setup(path),
            "core",
            f"Delete one of {path.replace('_', ' ')} (204; 404 when there is none)",
        )
        for path in deletes.SETUP_PATHS
    ),
    ZendeskRoute(
        "PUT",
        "/api/v2/tickets/update_many",
        lambda r: r.update_many_tickets,
        "core",
        "Update up to 100 tickets, each its own changes (job_status)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/tickets",
        lambda r: r.list_tickets,
        "core",
        "List tickets (offset or cursor)",
    ),
    ZendeskRoute("GET", "/api/v2/tickets/{id}", lambda r: r.show_ticket, "core", "Show a ticket"),
    ZendeskRoute(
        "PUT",
        "/api/v2/tickets/{id}",
        lambda r: r.update_ticket,
        "core",
        "Update a ticket and add one comment (422 when closed)",
    ),
    ZendeskRoute(
        "DELETE",
        "/api/v2/tickets/{id}",
        lambda r: r.delete_ticket,
        "core",
        "Delete a ticket (stays in the export as status: deleted)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/tickets/{id}/comments",
        lambda r: r.ticket_comments,
        "core",
        "A ticket's comments (page[size] ≤ 100 cursor, or offset)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/tickets/{id}/audits",
        lambda r: r.ticket_audits_of,
        "core",
        "A ticket's audits: Create (first comment, field values), then one per comment",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/ticket_audits",
        lambda r: r.ticket_audits,
        "core",
        "Every audit of non-archived tickets (cursor only, page[size] ≤ 100)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/custom_roles",
        lambda r: r.custom_roles,
        "core",
        "Custom agent roles (the Enterprise defaults and the account's own)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/account/settings",
        lambda r: r.account_settings,
        "core",
        "The account's settings by section",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/tags",
        lambda r: r.tags,
        "core",
        "Tags with how many records carry them, most used first (offset or cursor)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/imports/tickets/create_many",
        lambda r: r.import_many_tickets,
        "core",
        "Import up to 100 tickets with history (job_status; archive_immediately)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/imports/tickets",
        lambda r: r.import_ticket,
        "core",
        "Import one ticket with its history (created_at, comments, authors kept)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/job_statuses",
        lambda r: r.list_jobs,
        "core",
        "List background jobs, newest first (what is still queued or working)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/job_statuses/{id}",
        lambda r: r.show_job,
        "core",
        "Poll a job: queued → working → completed with per-item results",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/uploads",
        lambda r: r.upload,
        "core",
        "Upload a file (token valid 60 minutes; 50 MB; restricted types refused)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/attachments/{id}",
        lambda r: r.show_attachment,
        "core",
        "Attachment metadata",
    ),
    ZendeskRoute(
        "GET",
        "/attachments/token/{token}/",
        lambda r: r.upload_content,
        "none",
        "Attachment bytes (content_url)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/users/show_many",
        lambda r: r.show_many_users,
        "core",
        "Users by ids or external_ids (up to 100; count, next_page, previous_page)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/users/create_many",
        lambda r: r.create_many_users(False),
        "core",
        "Create up to 100 users (job_status)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/users/create_or_update_many",
        lambda r: r.create_many_users(True),
        "core",
        "Upsert up to 100 users by external_id or email (job_status)",
    ),
    ZendeskRoute(
        "GET", "/api/v2/users", lambda r: r.list_of("users", "users"), "core", "List users"
    ),
    ZendeskRoute("GET", "/api/v2/users/me", lambda r: r.me, "core", "The user the API acts as"),
    ZendeskRoute(
        "GET", "/api/v2/users/{id}", lambda r: r.show_of("users", "user"), "core", "Show a user"
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/users/{id}/identities",
        lambda r: r.user_identities,
        "core",
        "A user's identities (e-mails, phones, ...; cursor or offset)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/users/{id}/identities",
        lambda r: r.create_identity,
        "core",
        "Add an identity to a user (422 when the value is taken)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/organization_memberships",
        lambda r: r.list_of("organization_memberships", "organization_memberships"),
        "core",
        "List organization memberships (cursor or offset; 100 a page)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/organization_memberships",
        lambda r: r.create_organization_membership,
        "core",
        "Add a user to an organization (422 when already a member)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/organizations/create_many",
        lambda r: r.create_many_organizations,
        "core",
        "Create up to 100 organizations (job_status)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/organizations/show_many",
        lambda r: r.show_many_organizations,
        "core",
        "Organizations by ids or external_ids (up to 100; count, next_page, previous_page)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/organizations",
        lambda r: r.list_of("organizations", "organizations"),
        "core",
        "List organizations",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/organizations/{id}",
        lambda r: r.show_of("organizations", "organization"),
        "core",
        "Show an organization",
    ),
    ZendeskRoute(
        "GET", "/api/v2/groups", lambda r: r.list_of("groups", "groups"), "core", "List groups"
    ),
    ZendeskRoute("POST", "/api/v2/groups", lambda r: r.create_group, "core", "Create a group"),
    ZendeskRoute(
        "GET", "/api/v2/groups/{id}", lambda r: r.show_of("groups", "group"), "core", "Show a group"
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/group_memberships",
        lambda r: r.list_of("memberships", "group_memberships"),
        "core",
        "List group memberships",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/group_memberships",
        lambda r: r.create_membership,
        "core",
        "Add an agent to a group",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/group_memberships/{id}",
        lambda r: r.show_of("memberships", "group_membership"),
        "core",
        "Show a membership",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/ticket_fields",
        lambda r: r.list_fields("ticket"),
        "core",
        "System and custom ticket fields with custom_field_options",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/ticket_fields",
        lambda r: r.create_field("ticket"),
        "core",
        "Create a ticket field",
    ),
    ZendeskRoute(
        "GET", "/api/v2/user_fields", lambda r: r.list_fields("user"), "core", "User fields"
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/user_fields",
        lambda r: r.create_field("user"),
        "core",
        "Create a user field",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/organization_fields",
        lambda r: r.list_fields("organization"),
        "core",
        "Organization fields",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/organization_fields",
        lambda r: r.create_field("organization"),
        "core",
        "Create an organization field",
    ),
    ZendeskRoute("GET", "/api/v2/slas/policies", lambda r: r.sla_policies, "core", "SLA policies"),
    ZendeskRoute(
        "POST",
        "/api/v2/slas/policies",
        lambda r: r.create_sla_policy,
        "core",
        "Create an SLA policy (422 for an unknown metric or priority)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/slas/policies/{id}",
        lambda r: r.show_sla_policy,
        "core",
        "Show an SLA policy",
    ),
    ZendeskRoute(
        "PUT",
        "/api/v2/slas/policies/{id}",
        lambda r: r.update_sla_policy,
        "core",
        "Update an SLA policy (filter, targets; 422 when invalid)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/triggers",
        lambda r: r.list_rules("triggers"),
        "core",
        "Triggers (default, raw_title, description, category_id, position)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/trigger_categories",
        lambda r: r.trigger_categories,
        "core",
        "Ticket trigger categories (string ids)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/automations",
        lambda r: r.list_rules("automations"),
        "core",
        "Automations (default, raw_title, position)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/macros",
        lambda r: r.list_rules("macros"),
        "core",
        "Macros (default, raw_title, description, restriction, position)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/views",
        lambda r: r.list_rules("views"),
        "core",
        "Views (default, raw_title, description, restriction, position)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/triggers",
        lambda r: r.create_rule("triggers"),
        "core",
        "Create one (legacy top-level all/any folded into conditions)",
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/automations",
        lambda r: r.create_rule("automations"),
        "core",
        "Create one (legacy top-level all/any folded into conditions)",
    ),
    ZendeskRoute(
        "POST", "/api/v2/macros", lambda r: r.create_rule("macros"), "core", "Create one (as sent)"
    ),
    ZendeskRoute(
        "POST",
        "/api/v2/views",
        lambda r: r.create_rule("views"),
        "core",
        "Create one (legacy top-level all/any folded into conditions)",
    ),
    *(
        ZendeskRoute(
            "PUT",
            f"/api/v2/{plural}/update_many",
            _for_rules(ZendeskResponses.update_many_rules, plural),
            "core",
            "Switch many on or off, or move them (`active`, `position`; ≤ 100; an unknown id"
            " refuses the call)",
        )
        for plural in ("triggers", "automations", "macros", "views")
    ),
    *(
        ZendeskRoute(
            "PUT",
            f"/api/v2/{plural}/{{rule_id}}",
            _for_rules(ZendeskResponses.update_rule, plural),
            "core",
            "Update one (`active` must be true or false)",
        )
        for plural in ("triggers", "automations", "macros", "views")
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/ticket_metrics",
        lambda r: r.ticket_metrics,
        "core",
        "Ticket metrics (archived tickets excluded)",
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/satisfaction_ratings",
        lambda r: r.list_of("ratings", "satisfaction_ratings"),
        "core",
        "Satisfaction ratings",
    ),
    *(  # account configuration (configuration.py)
        ZendeskRoute(
            "GET",
            "/api/v2/brands",
            lambda r: ConfigResponses(r).list_brands,
            "core",
            "Brands, sorted by name (cursor or offset)",
        ),
        ZendeskRoute(
            "POST",
            "/api/v2/brands",
            lambda r: ConfigResponses(r).create_brand,
            "core",
            "Create a brand (422 for a blank name or a taken subdomain)",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/brands/{id}",
            lambda r: ConfigResponses(r).show_brand,
            "core",
            "Show a brand",
        ),
        ZendeskRoute(
            "PUT",
            "/api/v2/brands/{id}",
            lambda r: ConfigResponses(r).update_brand,
            "core",
            "Update a brand (422 for a taken subdomain)",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/ticket_forms/show_many",
            lambda r: ConfigResponses(r).show_many_forms,
            "core",
            "Ticket forms by ids",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/ticket_forms",
            lambda r: ConfigResponses(r).list_forms,
            "core",
            "Ticket forms (not paginated; active, end_user_visible filters)",
        ),
        ZendeskRoute(
            "POST",
            "/api/v2/ticket_forms",
            lambda r: ConfigResponses(r).create_form,
            "core",
            "Create a ticket form (422 for an unknown field or brand)",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/ticket_forms/{id}",
            lambda r: ConfigResponses(r).show_form,
            "core",
            "Show a ticket form",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/custom_statuses",
            lambda r: ConfigResponses(r).list_statuses,
            "core",
            "Custom ticket statuses (not paginated; status_categories, active, default filters)",
        ),
        ZendeskRoute(
            "POST",
            "/api/v2/custom_statuses",
            lambda r: ConfigResponses(r).create_status,
            "core",
            "Create a custom status (403 unless the account activated them)",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/custom_statuses/{id}",
            lambda r: ConfigResponses(r).show_status,
            "core",
            "Show a custom status",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/business_hours/schedules",
            lambda r: ConfigResponses(r).list_schedules,
            "core",
            "Schedules (not paginated)",
        ),
        ZendeskRoute(
            "POST",
            "/api/v2/business_hours/schedules",
            lambda r: ConfigResponses(r).create_schedule,
            "core",
            "Create a schedule (Monday to Friday, 9 to 5, until its workweek is set)",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/business_hours/schedules/{id}",
            lambda r: ConfigResponses(r).show_schedule,
            "core",
            "Show a schedule",
        ),
        ZendeskRoute(
            "PUT",
            "/api/v2/business_hours/schedules/{id}/workweek",
            lambda r: ConfigResponses(r).update_workweek,
            "core",
            "Set a schedule's intervals (422 for one spanning days)",
        ),
        ZendeskRoute(
            "GET",
            "/api/v2/business_hours/schedules/{id}/holidays",
            lambda r: ConfigResponses(r).list_holidays,
            "core",
            "A schedule's holidays",
        ),
        ZendeskRoute(
            "POST",
            "/api/v2/business_hours/schedules/{id}/holidays",
            lambda r: ConfigResponses(r).create_holiday,
            "core",
            "Add a holiday to a schedule (422 for a bad date)",
        ),
    ),
    ZendeskRoute(
        "GET",
        "/api/v2/search",
        lambda r: r.search,
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


class ZendeskApp(SandboxApp[ZendeskBackend, ZendeskRoute, Request]):
    """The WSGI application: routing, authentication, rate limits and Zendesk's headers."""

    request_class = Request
    # Only the attachment path takes a trailing slash (and may go without); the API's paths
    # are 404 with one, as on Zendesk.
    strict_slashes = True
    canonical_base = BASE

    def __init__(
        self,
        backend: ZendeskBackend,
        *,
        email: str,
        token: str,
        plan: str,
        high_volume: bool,
        oauth_token: str | None = None,
    ) -> None:
        if plan not in PLAN_LIMITS:
            raise ValueError(f"unknown Zendesk plan {plan!r}; one of {sorted(PLAN_LIMITS)}")
        self.responses = ZendeskResponses(backend, api_email=email)
        self.email = email
        self.token = token
        self.oauth_token = oauth_token
        """The OAuth access token accepted as ``Bearer`` (the API token is not one)."""
        core = PLAN_LIMITS[plan]
        if high_volume and core >= PLAN_LIMITS["professional"]:
            core = 2500  # the add-on replaces the plan limit, it does not add to it
        self.core = RateLimiter(core, clock=backend.clock)
        self.export = RateLimiter(
            EXPORT_LIMIT_HIGH_VOLUME if high_volume else EXPORT_LIMIT, clock=backend.clock
        )
        super().__init__(backend, ((route, route.handler(self.responses)) for route in ROUTES))
        self.requests: list[tuple[str, str, int]] = []
        """Every request answered: method, path, status (for tests and call counting)."""

    def rules(self, route: ZendeskRoute, endpoint: object) -> Iterable[Rule]:
        """The route's rule, and its ``.json`` twin unless the path ends with a slash."""
        path = rule_path(route.path)
        if path.endswith("/"):
            return [Rule(path, methods=[route.method], endpoint=endpoint, strict_slashes=False)]
        # The twin is tried first (werkzeug weighs a static suffix before none), so
        # ``/tickets/1.json`` gives id ``1``, as the optional ``.json`` always did.
        return [
            Rule(path, methods=[route.method], endpoint=endpoint),
            Rule(f"{path}.json", methods=[route.method], endpoint=endpoint),
        ]

    def reset_limits(self) -> None:
        """Fill the rate-limit buckets again."""
        self.core.reset()
        self.export.reset()

    def answer(self, request: Request) -> Response:
        """Answer one request under the account's lock, and log it."""
        request.get_data()  # the whole body first: a slow client must not hold the lock
        with self.backend.lock:
            reply = self._answer(request)
            self.requests.append((request.method, request.path, reply.status))
        return self.render(request, reply)

    def _answer(self, request: Request) -> Reply:
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
            return Reply(error.status, error.body, headers)
        headers = dict(reply.headers)
        if limit is not None:
            headers.update(_limit_headers(limit))
        return attrs.evolve(reply, headers=headers)

    def _match(self, request: Request) -> tuple[ZendeskRoute, Handler, dict[str, str]]:
        try:
            return self.match(request)
        except NoRoute as missing:
            raise MethodNotAllowed() if missing.allowed else RecordNotFound() from None

    def _authenticate(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        # An API token is no OAuth access token: Zendesk answers 401 to it as a bearer token
        # (developer.zendesk.com "Security and authentication": API tokens go in Basic auth as
        # {email}/token:{token}; bearer tokens are OAuth access tokens).
        if scheme.lower() == "bearer" and self.oauth_token and value == self.oauth_token:
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
