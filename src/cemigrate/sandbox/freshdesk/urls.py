"""The Freshdesk emulator's routes: one table of paths, handlers and budgets, and the WSGI app.

:data:`ROUTES` is data: method, path template, the handler (how to get it from an account's
:class:`FreshdeskResponses`), the per-endpoint limit the call also spends (``ticket_create``,
``ticket_update``, ``tickets_list``, ``contacts_list``), how many credits it costs and a
one-line summary. :class:`FreshdeskApp` routes through werkzeug rules built from it,
authenticates (Basic, the API key as user name), spends the credits on the account's
per-minute limit and the endpoint's sub-limit (429 with ``Retry-After`` when either is spent),
calls the handler and writes Freshdesk's ``X-Ratelimit-*`` headers on every answer.
:func:`coverage_rows` feeds ``docs/sandbox-coverage.md``.
"""

from __future__ import annotations

import base64
import math
import threading
from collections.abc import Callable, Mapping
from typing import Final

import attrs
from werkzeug.wrappers import Response

from cemigrate.sandbox.freshdesk.exceptions import (
    FreshdeskError,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from cemigrate.sandbox.freshdesk.models import FreshdeskBackend
from cemigrate.sandbox.freshdesk.responses import (
    FreshdeskResponses,
    Request,
    ticket_list_includes,
    ticket_view_includes,
)
from cemigrate.sandbox.freshdesk.seed import ATTACHMENT_PATH, BASE
from cemigrate.sandbox.http import WHOLE_TOKEN_SLACK, SandboxClock
from cemigrate.sandbox.web import Handler, NoRoute, Reply, SandboxApp

__all__ = [
    "PLAN_LIMITS",
    "ROUTES",
    "CreditBucket",
    "FreshdeskApp",
    "FreshdeskRoute",
    "PlanLimits",
    "coverage_rows",
]


@attrs.frozen
class PlanLimits:
    """A plan's per-minute allowance and its per-endpoint sub-limits."""

    total: int
    ticket_create: int
    ticket_update: int
    tickets_list: int
    contacts_list: int


PLAN_LIMITS: Final[Mapping[str, PlanLimits]] = {
    "growth": PlanLimits(200, 80, 80, 20, 20),
    "pro": PlanLimits(400, 160, 160, 100, 100),
    "enterprise": PlanLimits(700, 280, 280, 200, 200),
    "purchased_1000": PlanLimits(1000, 400, 400, 300, 300),
    "purchased_2000": PlanLimits(2000, 800, 800, 400, 400),
}
"""Calls per minute of each plan, from the API v2 reference's rate-limit table."""


@attrs.frozen
class FreshdeskRoute:
    """One implemented endpoint."""

    method: str
    path: str
    """Template with ``{name}`` parameters, under ``https://{domain}``."""
    handler: Callable[[FreshdeskResponses], Handler]
    """The account's handler: a method of its :class:`FreshdeskResponses`, or one it builds."""
    limit: str | None
    """The per-endpoint sub-limit it also spends (``None``: only the account's), or ``none``."""
    summary: str
    cost: str = "1"
    """Credits: ``1``, or ``list`` (2 more per embed) / ``view`` (1 more per embed)."""

    @property
    def budget(self) -> str:
        """What the call spends, as the coverage table shows it."""
        if self.limit == "none":
            return "none"
        credits = {"1": "", "list": " (+2 per include)", "view": " (+1 per include)"}[self.cost]
        return ("core" if self.limit is None else f"core + {self.limit}") + credits


_V2 = "/api/v2"
ROUTES: Final[tuple[FreshdeskRoute, ...]] = (
    FreshdeskRoute(
        "GET",
        f"{_V2}/tickets",
        lambda r: r.list_tickets,
        "tickets_list",
        "List tickets: filter, requester_id, email, company_id, updated_since (default:"
        " created in the last 30 days), order_by/order_type,"
        " include=description,requester,stats,company; no attachments; ≤ 300 pages",
        "list",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/tickets",
        lambda r: r.create_ticket,
        "ticket_create",
        "Create a ticket (JSON or multipart with attachments[]; 20 MB in all)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/tickets/{{id}}",
        lambda r: r.show_ticket,
        None,
        "View a ticket (include=conversations,requester,company,stats)",
        "view",
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/tickets/{{id}}",
        lambda r: r.update_ticket,
        "ticket_update",
        "Update a ticket (405 when deleted or spam)",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/tickets/{{id}}",
        lambda r: r.delete_ticket,
        None,
        "Delete a ticket (to the trash: filter=deleted)",
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/tickets/{{id}}/restore",
        lambda r: r.restore_ticket,
        None,
        "Restore a deleted ticket",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/tickets/{{id}}/conversations",
        lambda r: r.ticket_conversations,
        None,
        "A ticket's conversations, oldest first (paged)",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/tickets/{{id}}/reply",
        lambda r: r.reply,
        None,
        "Reply (public, by an agent user_id; attachments)",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/tickets/{{id}}/notes",
        lambda r: r.note,
        None,
        "Note (private by default; incoming, user_id; attachments)",
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/conversations/{{id}}",
        lambda r: r.update_conversation,
        None,
        "Edit a conversation's body",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/conversations/{{id}}",
        lambda r: r.delete_conversation,
        None,
        "Delete a conversation",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/tickets/{{id}}/time_entries",
        lambda r: r.list_time_entries,
        None,
        "A ticket's time entries",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/tickets/{{id}}/time_entries",
        lambda r: r.create_time_entry,
        None,
        "Log time on a ticket",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/time_entries",
        lambda r: r.list_time_entries,
        None,
        "All time entries (company_id, agent_id, executed_after/before, billable; paged)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/tickets/{{id}}/satisfaction_ratings",
        lambda r: r.ticket_ratings,
        None,
        "A ticket's satisfaction ratings",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/products", lambda r: r.list_products, None, "Products (the desk's brands)"
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/products/{{id}}", lambda r: r.show_product, None, "View a product"
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/search/tickets",
        lambda r: r.search_tickets,
        None,
        'Filter tickets: query="field:value AND/OR ..." over fields and custom fields'
        " (30 a page, 10 pages)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/search/contacts",
        lambda r: r.search_contacts,
        None,
        "Filter contacts (30 a page, 10 pages)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/search/companies",
        lambda r: r.search_companies,
        None,
        "Filter companies (30 a page, 10 pages)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/contacts",
        lambda r: r.list_contacts,
        "contacts_list",
        "List contacts: email, phone, mobile, company_id, state, updated_since"
        " (unblocked, undeleted by default; other_emails, tags, other_companies only in the"
        " view)",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/contacts",
        lambda r: r.create_contact,
        None,
        "Create a contact (409 duplicate_value for a taken email or unique_external_id)",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/contacts/{{id}}", lambda r: r.show_contact, None, "View a contact"
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/contacts/{{id}}",
        lambda r: r.update_contact,
        None,
        "Update a contact (405 when blocked or deleted)",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/contacts/{{id}}",
        lambda r: r.delete_contact,
        None,
        "Soft-delete a contact",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/contacts/{{id}}/hard_delete",
        lambda r: r.hard_delete_contact,
        None,
        "Delete a contact for good",
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/contacts/{{id}}/restore",
        lambda r: r.restore_contact,
        None,
        "Restore a deleted contact",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/companies",
        lambda r: r.list_companies,
        None,
        "List companies (updated_since)",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/companies",
        lambda r: r.create_company,
        None,
        "Create a company (409 for a taken name)",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/companies/{{id}}", lambda r: r.show_company, None, "View a company"
    ),
    FreshdeskRoute(
        "PUT", f"{_V2}/companies/{{id}}", lambda r: r.update_company, None, "Update a company"
    ),
    FreshdeskRoute(
        "DELETE", f"{_V2}/companies/{{id}}", lambda r: r.delete_company, None, "Delete a company"
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/agents/me", lambda r: r.me, None, "The agent the API key belongs to"
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/agents",
        lambda r: r.list_agents,
        None,
        "List agents (email filter; role_ids, group_ids only in the view)",
    ),
    FreshdeskRoute("GET", f"{_V2}/agents/{{id}}", lambda r: r.show_agent, None, "View an agent"),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/agents/{{id}}",
        lambda r: r.update_agent,
        None,
        "Update an agent: ticket_scope 1-3, signature (not the key owner's own scope or roles)",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/groups", lambda r: r.list_groups, None, "List groups (agent_ids in the view)"
    ),
    FreshdeskRoute("POST", f"{_V2}/groups", lambda r: r.create_group, None, "Create a group"),
    FreshdeskRoute(
        "GET", f"{_V2}/groups/{{id}}", lambda r: r.show_group, None, "View a group with agent_ids"
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/groups/{{id}}",
        lambda r: r.update_group,
        None,
        "Update a group (agent_ids replaces the members)",
    ),
    FreshdeskRoute(
        "DELETE", f"{_V2}/groups/{{id}}", lambda r: r.delete_group, None, "Delete a group"
    ),
    FreshdeskRoute("GET", f"{_V2}/roles", lambda r: r.list_roles, None, "List roles"),
    FreshdeskRoute("GET", f"{_V2}/roles/{{id}}", lambda r: r.show_role, None, "View a role"),
    FreshdeskRoute(
        "GET",
        f"{_V2}/ticket_fields",
        lambda r: r.list_fields("ticket"),
        None,
        "Ticket fields (default and custom; choices as values)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/admin/ticket_fields",
        lambda r: r.list_fields("ticket", admin=True),
        None,
        "Ticket fields, admin shape (choices as objects)",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/admin/ticket_fields",
        lambda r: r.create_field("ticket", admin=True),
        None,
        "Create a ticket field (name cf_<label>_<account>)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/admin/ticket_fields/{{id}}",
        lambda r: r.show_field("ticket"),
        None,
        "View a ticket field",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/admin/ticket_fields/{{id}}",
        lambda r: r.delete_field("ticket"),
        None,
        "Delete a ticket field (#delete_ticket_field)",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/contact_fields", lambda r: r.list_fields("contact"), None, "Contact fields"
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/contact_fields",
        lambda r: r.create_field("contact"),
        None,
        "Create a contact field",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/contact_fields/{{id}}",
        lambda r: r.show_field("contact"),
        None,
        "View a contact field",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/contact_fields/{{id}}",
        lambda r: r.delete_field("contact"),
        None,
        "Delete a contact field (#delete_contact_field)",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/company_fields", lambda r: r.list_fields("company"), None, "Company fields"
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/company_fields",
        lambda r: r.create_field("company"),
        None,
        "Create a company field",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/company_fields/{{id}}",
        lambda r: r.show_field("company"),
        None,
        "View a company field",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/company_fields/{{id}}",
        lambda r: r.delete_field("company"),
        None,
        "Delete a company field (#delete_company_field)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/sla_policies",
        lambda r: r.list_sla_policies,
        None,
        "SLA policies (targets per priority in seconds)",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/sla_policies",
        lambda r: r.create_sla_policy,
        None,
        "Create an SLA policy (every priority's targets in seconds, ≥ 900; 400 when invalid)",
    ),
    FreshdeskRoute(
        "GET", f"{_V2}/sla_policies/{{id}}", lambda r: r.show_sla_policy, None, "View an SLA policy"
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/sla_policies/{{id}}",
        lambda r: r.update_sla_policy,
        None,
        "Update an SLA policy (active, targets, applicable_to; not the default policy)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/automations/{{type}}/rules",
        lambda r: r.list_rules,
        None,
        "Automation rules: 1 ticket creation, 3 time triggers, 4 ticket updates",
    ),
    FreshdeskRoute(
        "POST",
        f"{_V2}/automations/{{type}}/rules",
        lambda r: r.create_rule,
        None,
        "Create an automation rule (as sent; active unless told)",
    ),
    FreshdeskRoute(
        "GET",
        f"{_V2}/automations/{{type}}/rules/{{id}}",
        lambda r: r.show_rule,
        None,
        "View an automation rule",
    ),
    FreshdeskRoute(
        "PUT",
        f"{_V2}/automations/{{type}}/rules/{{id}}",
        lambda r: r.update_rule,
        None,
        "Update an automation rule (e.g. `active`, which must be a boolean)",
    ),
    FreshdeskRoute(
        "DELETE",
        f"{_V2}/automations/{{type}}/rules/{{id}}",
        lambda r: r.delete_rule,
        None,
        "Delete an automation rule",
    ),
    FreshdeskRoute("GET", f"{_V2}/surveys", lambda r: r.list_surveys, None, "Surveys"),
    FreshdeskRoute(
        "GET",
        f"{_V2}/surveys/satisfaction_ratings",
        lambda r: r.list_ratings,
        None,
        "Satisfaction ratings (created_since)",
    ),
    FreshdeskRoute(
        "GET",
        f"{ATTACHMENT_PATH}/{{id}}/original/{{name}}",
        lambda r: r.attachment,
        "none",
        "Attachment bytes (attachment_url; no credentials, not rate limited)",
    ),
)
"""Every endpoint the emulator serves, in matching order."""


class CreditBucket:
    """A token bucket of ``limit`` credits a minute on an injected clock; calls spend several."""

    def __init__(self, limit: int, clock: SandboxClock, period: float = 60.0) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self._tokens = float(limit)
        self._at = clock.monotonic()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self._tokens = min(
            float(self.limit), self._tokens + (now - self._at) * self.limit / self.period
        )
        self._at = now

    def wait_for(self, cost: int) -> int:
        """Seconds until ``cost`` credits are there (0 when they are now)."""
        self._refill()
        missing = min(cost, self.limit) - self._tokens
        # (credits a few ulps short of whole are whole: see WHOLE_TOKEN_SLACK)
        return (
            0
            if missing <= WHOLE_TOKEN_SLACK
            else max(1, math.ceil(missing * self.period / self.limit))
        )

    def spend(self, cost: int) -> None:
        """Take ``cost`` credits (call :meth:`wait_for` first)."""
        self._tokens -= cost

    @property
    def remaining(self) -> int:
        """Whole credits left now."""
        self._refill()
        return max(0, int(self._tokens + WHOLE_TOKEN_SLACK))

    def reset(self) -> None:
        """Fill the bucket again."""
        self._tokens = float(self.limit)
        self._at = self.clock.monotonic()


class FreshdeskApp(SandboxApp[FreshdeskBackend, FreshdeskRoute, Request]):
    """The WSGI application: routing, authentication, credits and Freshdesk's headers."""

    request_class = Request
    canonical_base = BASE

    def __init__(self, backend: FreshdeskBackend, *, api_key: str, plan: str) -> None:
        if plan not in PLAN_LIMITS:
            raise ValueError(f"unknown Freshdesk plan {plan!r}; one of {sorted(PLAN_LIMITS)}")
        self.responses = FreshdeskResponses(backend)
        self.api_key = api_key
        self.plan = PLAN_LIMITS[plan]
        clock = backend.clock
        self.account = CreditBucket(self.plan.total, clock)
        self.sub_limits = {
            name: CreditBucket(getattr(self.plan, name), clock)
            for name in ("ticket_create", "ticket_update", "tickets_list", "contacts_list")
        }
        self._limit_lock = threading.Lock()
        super().__init__(backend, ((route, route.handler(self.responses)) for route in ROUTES))
        self.requests: list[tuple[str, str, int, int]] = []
        """Every request answered: method, path, status, credits spent (tests count calls)."""

    def reset_limits(self) -> None:
        """Fill every rate-limit bucket again."""
        with self._limit_lock:
            self.account.reset()
            for bucket in self.sub_limits.values():
                bucket.reset()

    def answer(self, request: Request) -> Response:
        """Answer one request under the account's lock, and log it with its credits."""
        request.get_data()  # the whole body first: a slow client must not hold the lock
        with self.backend.lock:
            reply, credits = self._answer(request)
            self.requests.append((request.method, request.path, reply.status, credits))
        return self.render(request, reply)

    def _answer(self, request: Request) -> tuple[Reply, int]:
        credits = 0
        limit_headers: dict[str, str] = {}
        try:
            try:
                route, handler, params = self.match(request)
            except NoRoute as missing:
                # Unknown paths and methods are authenticated and cost a credit, as on Freshdesk.
                self._authenticate(request)
                credits = 1
                limit_headers = self._spend(None, credits)
                raise MethodNotAllowed() if missing.allowed else NotFound() from None
            if route.limit == "none":
                return handler(request, **params), 0
            self._authenticate(request)
            credits = self._cost(route, request)
            limit_headers = self._spend(route, credits)
            reply = handler(request, **params)
        except FreshdeskError as error:
            if error.status == 429:
                credits = 0
            return Reply(error.status, error.body, {**limit_headers, **error.headers}), credits
        return attrs.evolve(reply, headers={**dict(reply.headers), **limit_headers}), credits

    def _cost(self, route: FreshdeskRoute, request: Request) -> int:
        if route.cost == "list":
            return ticket_list_includes(request)
        if route.cost == "view":
            return ticket_view_includes(request)
        return 1

    def _spend(self, route: FreshdeskRoute | None, credits: int) -> dict[str, str]:
        with self._limit_lock:
            buckets = [self.account]
            if route is not None and route.limit in self.sub_limits:
                buckets.append(self.sub_limits[route.limit])
            wait = max(bucket.wait_for(credits) for bucket in buckets)
            if wait:
                headers = {
                    "X-Ratelimit-Total": str(self.plan.total),
                    "X-Ratelimit-Remaining": str(self.account.remaining),
                    "X-Ratelimit-Used-CurrentRequest": "0",
                }
                raise TooManyRequests(wait, headers)
            for bucket in buckets:
                bucket.spend(credits)
            return {
                "X-Ratelimit-Total": str(self.plan.total),
                "X-Ratelimit-Remaining": str(self.account.remaining),
                "X-Ratelimit-Used-CurrentRequest": str(credits),
                "X-Freshdesk-Api-Version": "latest=v2; requested=v2",
            }

    def _authenticate(self, request: Request) -> None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            raise Unauthorized()
        try:
            user = base64.b64decode(value).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            raise Unauthorized() from None
        if user != self.api_key:
            raise Unauthorized()


def coverage_rows() -> list[tuple[str, str, str, str]]:
    """Method, path, budget and summary of every route, for ``docs/sandbox-coverage.md``."""
    return [(r.method, r.path, r.budget, r.summary) for r in ROUTES]
