"""The Salesforce emulator's routes: one table of paths and handlers, and the WSGI app.

:data:`ROUTES` is data: method, path template, the handler (how to get it from the org's
:class:`SalesforceApp`), whether the call needs a session (and spends the daily allowance) and
a one-line summary. :class:`SalesforceApp` routes a request through werkzeug rules built from
it, authenticates it, spends the limits (rolling 24-hour allowance, concurrent requests), calls
the handler and writes ``Sforce-Limit-Info``. :func:`coverage_rows` feeds
``docs/sandbox-coverage.md``.
"""

from __future__ import annotations

import base64
import collections
import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Final
from urllib.parse import parse_qs

import attrs
from werkzeug.routing import BaseConverter, Rule
from werkzeug.wrappers import Response

from cemigrate.sandbox.salesforce import metadata
from cemigrate.sandbox.salesforce.exceptions import (
    MultipleMatches,
    OAuthError,
    SalesforceError,
    SoapFault,
    invalid_session,
    not_found,
)
from cemigrate.sandbox.salesforce.models import ORG_ID, SalesforceBackend
from cemigrate.sandbox.salesforce.responses import VERSIONS, SalesforceResponses
from cemigrate.sandbox.salesforce.wire import Reply, Request
from cemigrate.sandbox.web import Handler, NoRoute, SandboxApp, rule_path

__all__ = ["DAY_SECONDS", "ROUTES", "SalesforceApp", "SalesforceRoute", "coverage_rows"]

DAY_SECONDS: Final = 86_400.0
"""The daily allowance is counted over a rolling 24 hours."""
_JSON: Final = "application/json;charset=UTF-8"


@attrs.frozen
class SalesforceRoute:
    """One implemented endpoint."""

    method: str
    path: str
    """Template: ``{v}`` is the API version (``v59.0``), ``{name}`` one path segment."""
    handler: Callable[[SalesforceApp], Handler]
    """The org's handler: a method of its :class:`SalesforceResponses`, of their Bulk jobs,
    or of the :class:`SalesforceApp` itself (login)."""
    session: bool
    """Needs a bearer token and spends the daily allowance."""
    summary: str


class _ApiVersion(BaseConverter):
    """``{v}`` in a path: the API version after its ``v`` (``59.0`` of ``v59.0``)."""

    regex = r"\d+\.\d"


_D = "/services/data/{v}"

ROUTES: Final[tuple[SalesforceRoute, ...]] = (
    SalesforceRoute(
        "POST",
        "/services/oauth2/token",
        lambda s: s.oauth_token,
        False,
        "OAuth 2.0 token: password and client_credentials grants",
    ),
    SalesforceRoute(
        "POST",
        "/services/Soap/u/{version}",
        lambda s: s.soap_login,
        False,
        "SOAP login (username, password + security token), as simple-salesforce sends it",
    ),
    SalesforceRoute(
        "POST",
        "/services/Soap/m/{version}",
        lambda s: s.metadata_soap,
        True,
        "Metadata API (SOAP, SessionHeader): upsertMetadata and readMetadata of"
        " EntitlementProcess, up to 10 components a call",
    ),
    SalesforceRoute(
        "POST",
        "/services/Soap/m/{version}/{org}",
        lambda s: s.metadata_soap,
        True,
        "The same, at the metadataServerUrl the SOAP login answers",
    ),
    SalesforceRoute("GET", "/services/data", lambda s: s.responses.versions, False, "API versions"),
    SalesforceRoute("GET", _D, lambda s: s.responses.resources, True, "Resources of a version"),
    SalesforceRoute(
        "GET",
        f"{_D}/limits",
        lambda s: s.responses.limits,
        True,
        "DailyApiRequests, DailyBulkV2QueryJobs, DailyBulkApiBatches, ... with Remaining",
    ),
    SalesforceRoute(
        "GET", f"{_D}/sobjects", lambda s: s.responses.describe_global, True, "Global describe"
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/sobjects/{{sobject}}/describe",
        lambda s: s.responses.describe,
        True,
        "Describe: fields, types, lengths, picklists, external ids, createable/updateable",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/ui-api/object-info/{{sobject}}/picklist-values/{{record_type}}",
        lambda s: s.responses.picklist_values,
        True,
        "UI API: the picklist values a record type offers, every picklist field",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/ui-api/object-info/{{sobject}}/picklist-values/{{record_type}}/{{field}}",
        lambda s: s.responses.picklist_values,
        True,
        "UI API: the values one picklist offers for a record type",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/sobjects/{{sobject}}",
        lambda s: s.responses.sobject_info,
        True,
        "Object summary",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/sobjects/{{sobject}}",
        lambda s: s.responses.create,
        True,
        "Create a record (ContentVersion also as multipart, up to 2 GB)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/sobjects/{{sobject}}/{{id}}",
        lambda s: s.responses.read,
        True,
        "Read a record (?fields=)",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/sobjects/{{sobject}}/{{id}}",
        lambda s: s.responses.update,
        True,
        "Update a record",
    ),
    SalesforceRoute(
        "DELETE",
        f"{_D}/sobjects/{{sobject}}/{{id}}",
        lambda s: s.responses.delete,
        True,
        "Delete a record (kept with IsDeleted = true for queryAll)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/sobjects/{{sobject}}/{{a}}/{{b}}",
        lambda s: s.responses.read_field,
        True,
        "ContentVersion/{id}/VersionData bytes, or a record by external id",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/sobjects/{{sobject}}/{{a}}/{{b}}",
        lambda s: s.responses.upsert,
        True,
        "Upsert by external id: 201 created, 200 updated, 300 several matches",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/query",
        lambda s: s.responses.query,
        True,
        "SOQL; batches of 2,000 (Sforce-Query-Options batchSize 200..2000)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/query/{{locator}}",
        lambda s: s.responses.query_more,
        True,
        "The next batch (nextRecordsUrl)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/queryAll",
        lambda s: s.responses.query_all,
        True,
        "SOQL including IsDeleted rows",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/queryAll/{{locator}}",
        lambda s: s.responses.query_more,
        True,
        "The next queryAll batch",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/composite/sobjects",
        lambda s: s.responses.collection_create,
        True,
        "Create up to 200 records (allOrNone, per-record results); ContentVersions as multipart",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/composite/sobjects",
        lambda s: s.responses.collection_update,
        True,
        "Update up to 200 records",
    ),
    SalesforceRoute(
        "DELETE",
        f"{_D}/composite/sobjects",
        lambda s: s.responses.collection_delete,
        True,
        "Delete up to 200 records (?ids=&allOrNone=)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/composite/sobjects/{{sobject}}",
        lambda s: s.responses.collection_retrieve,
        True,
        "Retrieve records by ids (?ids=&fields=)",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/composite/sobjects/{{sobject}}",
        lambda s: s.responses.collection_retrieve,
        True,
        "Retrieve records by ids (body)",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/composite/sobjects/{{sobject}}/{{field}}",
        lambda s: s.responses.collection_upsert,
        True,
        "Upsert up to 200 records by external id (created per record)",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/composite",
        lambda s: s.responses.composite,
        True,
        "Up to 25 subrequests, referenceId chaining @{ref.id}, allOrNone",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/tooling/composite",
        lambda s: functools.partial(s.responses.composite, tooling=True),
        True,
        "Up to 25 Tooling sObject and query subrequests (at most 5 queries) in one call,"
        " referenceId chaining, allOrNone",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/tooling/query",
        lambda s: s.responses.tooling_query,
        True,
        "Tooling SOQL over CustomField, CustomObject, Flow, FlowDefinition (Metadata and"
        " FullName only for one row)",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/tooling/sobjects/{{sobject}}",
        lambda s: s.responses.tooling_create,
        True,
        "Create a CustomField or CustomObject (visible in describe and SOQL at once), or save a"
        " Flow version (validated against describe; Draft unless flows deploy as active)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/tooling/sobjects/{{sobject}}/{{id}}",
        lambda s: s.responses.tooling_read,
        True,
        "Read a CustomField, CustomObject, Flow (with Metadata) or FlowDefinition",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/tooling/sobjects/{{sobject}}/{{id}}",
        lambda s: s.responses.tooling_update,
        True,
        "FlowDefinition Metadata.activeVersionNumber: activate a version (0 deactivates)",
    ),
    SalesforceRoute(
        "DELETE",
        f"{_D}/tooling/sobjects/{{sobject}}/{{id}}",
        lambda s: s.responses.tooling_delete,
        True,
        "Delete a Flow version that is not active (an active one is refused); the definition"
        " goes with its last version",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/jobs/ingest",
        lambda s: s.responses.bulk.create_ingest,
        True,
        "Bulk 2.0: create an ingest job (insert, update, upsert, delete)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/ingest",
        lambda s: s.responses.bulk.list_ingest,
        True,
        "Bulk 2.0: list ingest jobs",
    ),
    SalesforceRoute(
        "PUT",
        f"{_D}/jobs/ingest/{{id}}/batches",
        lambda s: s.responses.bulk.upload,
        True,
        "Bulk 2.0: upload the job's CSV (≤ 150 MB)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/ingest/{{id}}/successfulResults",
        lambda s: functools.partial(s.responses.bulk.results, kind="successfulResults"),
        True,
        "Bulk 2.0: sf__Id, sf__Created and the rows written",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/ingest/{{id}}/failedResults",
        lambda s: functools.partial(s.responses.bulk.results, kind="failedResults"),
        True,
        "Bulk 2.0: sf__Id, sf__Error and the rows refused",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/ingest/{{id}}/unprocessedrecords",
        lambda s: functools.partial(s.responses.bulk.results, kind="unprocessedrecords"),
        True,
        "Bulk 2.0: rows never processed (aborted jobs)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/ingest/{{id}}",
        lambda s: s.responses.bulk.get_ingest,
        True,
        "Bulk 2.0: job info; Open → UploadComplete → InProgress → JobComplete",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/jobs/ingest/{{id}}",
        lambda s: s.responses.bulk.patch_ingest,
        True,
        "Bulk 2.0: close (UploadComplete) or abort a job",
    ),
    SalesforceRoute(
        "DELETE",
        f"{_D}/jobs/ingest/{{id}}",
        lambda s: s.responses.bulk.delete_ingest,
        True,
        "Bulk 2.0: delete a job",
    ),
    SalesforceRoute(
        "POST",
        f"{_D}/jobs/query",
        lambda s: s.responses.bulk.create_query,
        True,
        "Bulk 2.0: create a query job (query, queryAll)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/query",
        lambda s: s.responses.bulk.list_query,
        True,
        "Bulk 2.0: list query jobs",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/query/{{id}}/results",
        lambda s: s.responses.bulk.query_results,
        True,
        "Bulk 2.0: CSV pages (maxRecords, Sforce-Locator, Sforce-NumberOfRecords)",
    ),
    SalesforceRoute(
        "GET",
        f"{_D}/jobs/query/{{id}}",
        lambda s: s.responses.bulk.get_query,
        True,
        "Bulk 2.0: query job info",
    ),
    SalesforceRoute(
        "PATCH",
        f"{_D}/jobs/query/{{id}}",
        lambda s: s.responses.bulk.patch_query,
        True,
        "Bulk 2.0: abort a query job",
    ),
    SalesforceRoute(
        "DELETE",
        f"{_D}/jobs/query/{{id}}",
        lambda s: s.responses.bulk.delete_query,
        True,
        "Bulk 2.0: delete a query job",
    ),
)
"""Every endpoint the emulator serves, in matching order."""


class SalesforceApp(SandboxApp[SalesforceBackend, SalesforceRoute, Request]):
    """The WSGI application: routing, login, sessions, limits and Salesforce's headers."""

    request_class = Request
    converters: ClassVar[Mapping[str, type[BaseConverter]]] = {"api_version": _ApiVersion}
    json_content_type = _JSON
    raw_content_type = "text/plain"

    def __init__(
        self,
        backend: SalesforceBackend,
        *,
        username: str,
        password: str,
        security_token: str,
        client_id: str,
        client_secret: str,
        access_token: str,
        instance_url: str,
        daily_allowance: int,
        concurrency: int,
    ) -> None:
        self.responses: SalesforceResponses = SalesforceResponses(
            backend, dispatch=self.dispatch, limits=self.limits_body
        )
        self.username = username
        self._password = password
        self._security_token = security_token
        self.client_id = client_id
        self._client_secret = client_secret
        self.access_token = access_token
        self.instance_url = instance_url
        self.tokens: set[str] = {access_token}
        """Bearer tokens the org accepts (logins add none: they hand out the same one)."""
        self.daily_allowance = daily_allowance
        self.concurrency = concurrency
        self._calls: collections.deque[float] = collections.deque()
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        super().__init__(backend, ((route, route.handler(self)) for route in ROUTES))
        self.requests: list[tuple[str, str, int]] = []
        """Every request answered: method, path, status (for tests and call counting)."""

    def rules(self, route: SalesforceRoute, endpoint: object) -> Iterable[Rule]:
        """The route's rule, ``{v}`` read by the API version converter."""
        path = rule_path(route.path.replace("{v}", "v{api_version:v}"))
        return [Rule(path, methods=[route.method], endpoint=endpoint)]

    def reset(self) -> None:
        """Back to the freshly seeded state: also no Bulk jobs or query cursors left."""
        with self.backend.lock:
            super().reset()
            self.responses.reset()

    # --- limits --------------------------------------------------------------------------

    def reset_limits(self) -> None:
        """Forget the calls counted against the daily allowance."""
        with self._flight_lock:
            self._calls.clear()

    @property
    def api_usage(self) -> int:
        """Calls made in the last 24 hours on the emulator's clock."""
        with self._flight_lock:
            return self._expire()

    def _expire(self) -> int:
        horizon = self.backend.clock.monotonic() - DAY_SECONDS
        while self._calls and self._calls[0] <= horizon:
            self._calls.popleft()
        return len(self._calls)

    def _spend(self) -> None:
        with self._flight_lock:
            used = self._expire()
            if used >= self.daily_allowance:
                raise SalesforceError(
                    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
                )
            self._calls.append(self.backend.clock.monotonic())

    def limits_body(self) -> dict[str, Any]:
        """``GET /limits``: each allowance's ``Max`` and ``Remaining``."""
        bulk = self.responses.bulk
        used = self.api_usage

        def limit(maximum: int, used: int) -> dict[str, int]:
            return {"Max": maximum, "Remaining": max(0, maximum - used)}

        return {
            "ConcurrentAsyncGetReportInstances": limit(200, 0),
            "DailyApiRequests": limit(self.daily_allowance, used),
            "DailyAsyncApexExecutions": limit(250_000, 0),
            "DailyBulkApiBatches": limit(15_000, bulk.batches_started),
            "DailyBulkV2QueryFileStorageMB": limit(976_562, 0),
            "DailyBulkV2QueryJobs": limit(10_000, bulk.query_jobs_started),
            "DataStorageMB": limit(5_120, 0),
            "FileStorageMB": limit(20_480, 0),
            "SingleEmail": limit(5_000, 0),
        }

    # --- WSGI ----------------------------------------------------------------------------

    def answer(self, request: Request) -> Response:
        """Answer one request, counting it among the concurrent ones if it is a data call."""
        data_call = request.path.startswith("/services/data/")
        busy = False
        if data_call:
            with self._flight_lock:
                self._in_flight += 1
                busy = self._in_flight > self.concurrency
        try:
            reply = self._respond(request, busy=busy)
        finally:
            if data_call:
                with self._flight_lock:
                    self._in_flight -= 1
        if data_call:
            limit_info = f"api-usage={self.api_usage}/{self.daily_allowance}"
            reply = attrs.evolve(reply, headers={**reply.headers, "Sforce-Limit-Info": limit_info})
        with self.backend.lock:
            self.requests.append((request.method, request.path, reply.status))
        return self.render(request, reply)

    def _respond(self, request: Request, *, busy: bool) -> Reply:
        # The whole body first, while counted in flight: a slow client must not hold the lock.
        request.get_data()
        try:
            route, handler, params = self._match(request)
            if route.session:
                self._authenticate(request)
                if busy:
                    raise SalesforceError(
                        "REQUEST_LIMIT_EXCEEDED",
                        "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
                        status=403,
                    )
                self._spend()
            with self.backend.lock:
                self.responses.bulk.tick()
                return handler(request, **params)
        except SoapFault as fault:
            return Reply(500, raw=fault.xml(), content_type="text/xml; charset=utf-8")
        except OAuthError as error:
            oauth = {"error": error.error, "error_description": error.description}
            return Reply(error.status, oauth, content_type="application/json")
        except MultipleMatches as error:
            return Reply(300, error.urls)
        except SalesforceError as error:
            return Reply(error.status, error.body(), error.headers)

    def dispatch(self, request: Request) -> Reply:
        """Answer a composite subrequest (already authenticated; errors become replies)."""
        try:
            written = str(request.environ.get("PATH_INFO"))
            if not written.startswith("/") or written.startswith("//"):
                # werkzeug mends a path's leading slash; a subrequest's URL is taken as written
                raise not_found("The requested resource does not exist")
            route, handler, params = self._match(request)
            if not route.session:
                raise not_found()
            return handler(request, **params)
        except MultipleMatches as error:
            return Reply(300, error.urls)
        except SalesforceError as error:
            return Reply(error.status, error.body())

    def _match(self, request: Request) -> tuple[SalesforceRoute, Handler, dict[str, str]]:
        try:
            route, handler, params = self.match(request)
        except NoRoute as missing:
            if missing.allowed:
                raise SalesforceError(
                    "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{request.method}' not allowed. Allowed are"
                    f" {','.join(missing.allowed)}",
                    status=405,
                ) from None
            raise not_found("The requested resource does not exist") from None
        if params.get("v", VERSIONS[-1]) not in VERSIONS:
            # An API version the org does not have (``v99.0``, ``v38``): Salesforce answers
            # 404 NOT_FOUND, as for any path it does not know.
            raise not_found("The requested resource does not exist")
        return route, handler, params

    def _authenticate(self, request: Request) -> None:
        if request.path.startswith("/services/Soap/m/"):
            # The Metadata API carries the session id in the envelope's SessionHeader.
            if metadata.session_id(request.body) not in self.tokens:
                raise SoapFault(
                    "INVALID_SESSION_ID",
                    "Invalid Session ID found in SessionHeader: Illegal Session",
                )
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or token.strip() not in self.tokens:
            raise invalid_session()

    # --- login ---------------------------------------------------------------------------

    def oauth_token(self, request: Request) -> Reply:
        """``POST /services/oauth2/token``: password and client_credentials grants."""
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                raise OAuthError("invalid_client", "invalid client credentials") from None
        if grant not in ("password", "client_credentials"):
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        if client_id != self.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if secret != self._client_secret:
            raise OAuthError("invalid_client", "invalid client credentials")
        if grant == "password":
            password = form.get("password", "")
            valid = {self._password, self._password + self._security_token}
            if form.get("username") != self.username or password not in valid:
                raise OAuthError("invalid_grant", "authentication failure")
        body = {
            "access_token": self.access_token,
            "instance_url": self.instance_url,
            "id": f"https://login.salesforce.com/id/{ORG_ID}/{self.backend.admin_id}",
            "token_type": "Bearer",
            "issued_at": str(int(self.backend.now().timestamp() * 1000)),
            "signature": base64.b64encode(b"cemigrate-sandbox").decode(),
        }
        return Reply(200, body)

    def metadata_soap(self, request: Request, version: str, org: str = "") -> Reply:
        """``POST /services/Soap/m/{version}``: the Metadata API's CRUD calls
        (``metadata.py``)."""
        body = metadata.answer(self.backend, request.body)
        return Reply(200, raw=body, content_type="text/xml; charset=utf-8")

    def soap_login(self, request: Request, version: str) -> Reply:
        """``POST /services/Soap/u/{version}``: the partner API ``login`` call."""
        text = request.body.decode("utf-8", "replace")
        username = _xml_value(text, "username")
        password = _xml_value(text, "password")
        if username != self.username or password != self._password + self._security_token:
            raise SoapFault(
                "INVALID_LOGIN",
                "Invalid username, password, security token; or user locked out.",
            )
        server = f"{self.instance_url}/services/Soap/u/{version}/{ORG_ID}"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns="urn:partner.soap.sforce.com"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<soapenv:Body><loginResponse><result>"
            f"<metadataServerUrl>{self.instance_url}/services/Soap/m/{version}/{ORG_ID}"
            "</metadataServerUrl>"
            "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
            f"<serverUrl>{server}</serverUrl>"
            f"<sessionId>{self.access_token}</sessionId>"
            f"<userId>{self.backend.admin_id}</userId>"
            f"<userInfo><organizationId>{ORG_ID}</organizationId>"
            f"<userEmail>{self.username}</userEmail><userFullName>API Admin</userFullName>"
            f"<userId>{self.backend.admin_id}</userId><userName>{self.username}</userName>"
            "</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Reply(200, raw=body.encode(), content_type="text/xml; charset=utf-8")


def _xml_value(text: str, tag: str) -> str | None:
    found = re.search(rf"<(?:\w+:)?{tag}>(.*?)</(?:\w+:)?{tag}>", text, re.S)
    if found is None:
        return None
    return (
        found.group(1)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
    )


def coverage_rows() -> list[tuple[str, str, str, str]]:
    """``(method, path, budget, summary)`` of every route, for the coverage document."""
    return [
        (r.method, r.path.replace("{v}", "vXX.X"), "daily" if r.session else "none", r.summary)
        for r in ROUTES
    ]
