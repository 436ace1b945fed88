"""The HTTP client of one Salesforce org: authentication, budgets, queries, writes, errors.

simple-salesforce is built on our :class:`requests.Session`, wrapped by
:func:`cemigrate.adapters.transport.budgeted_session`, so every REST, Tooling and Bulk call
spends ``salesforce.daily`` and feeds the ``Sforce-Limit-Info: api-usage=used/total`` header
back into it: the budget adopts the org's real allowance at the first answer and raises
:class:`~cemigrate.errors.QuotaExhausted` when the plan's ``daily_quota_share`` of it is used,
so the run stops cleanly and resumes when the rolling 24 h window has recovered.

Salesforce throttles with ``403 REQUEST_LIMIT_EXCEEDED`` and no ``Retry-After`` (facts 2.1):
``TotalRequests`` (the day is spent) becomes ``QuotaExhausted``; ``ConcurrentRequests`` becomes
:class:`~cemigrate.errors.RateLimited`, which the retry policy pauses and retries. Other error
answers become the error the caller acts on: a refused record is a
:class:`~cemigrate.errors.RecordError` carrying Salesforce's ``errorCode: message``.

Bulk API 2.0 jobs are driven here rather than through ``sf.bulk2``: its wait loop sleeps on the
real clock, and every wait in cemigrate is on the injected one.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit
from xml.etree import ElementTree

import attrs
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from cemigrate.adapters.salesforce.objects import API_VERSION, COLLECTION_SIZE
from cemigrate.adapters.transport import budgeted_session
from cemigrate.errors import (
    ConfigError,
    CredentialError,
    QuotaExhausted,
    RateLimited,
    RecordError,
    TransientError,
)
from cemigrate.ratelimit import Budget, Budgets, Clock, RetryPolicy

__all__ = [
    "BULK_FIELD_CHARS",
    "BULK_RECORD_CHARS",
    "BULK_UPLOAD_BYTES",
    "BulkResult",
    "SalesforceClient",
    "SalesforceCredentials",
    "bulk_fits",
    "error_message",
    "metadata_fault",
    "replayable",
    "soql_list",
    "soql_time",
]

log = logging.getLogger("cemigrate.salesforce")

_DAILY: Final = "salesforce.daily"
_TIMEOUT: Final = 120.0
_BULK_FIRST_WAIT: Final = 2.0
_BULK_LONGEST_WAIT: Final = 30.0
_BULK_MAX_WAIT: Final = 6 * 3600.0
_BULK_WAIT_PER_ROW: Final = 0.002
"""Polls of a Bulk job back off (2 s, 4 s, ... 30 s): every poll is a call of the day."""
_LOCK_RESENDS: Final = 2
"""Jobs sent again for the rows Salesforce could not lock (``UNABLE_TO_LOCK_ROW``: a parent
another job or integration held past Salesforce's own retries; the Bulk API 2.0 guide says such
records must be resubmitted): several ticket batches' jobs run at once."""
_REPLAYABLE_POSTS: Final = ("/jobs/ingest", "/jobs/query")
"""POSTs that create nothing a second send would duplicate (an extra, empty job)."""
_METADATA: Final = "/services/Soap/m/"
_LOCKED: Final = "UNABLE_TO_LOCK_ROW"


def replayable(request: requests.PreparedRequest) -> bool:
    """Whether sending this request twice has the effect of sending it once: every PATCH
    (upserts by external id, updates), PUT, GET and DELETE; a POST only when it opens a job."""
    method = (request.method or "GET").upper()
    path = urlsplit(request.url or "").path
    # Metadata API reads and upserts (by fullName) are idempotent too.
    return method != "POST" or path.endswith(_REPLAYABLE_POSTS) or path.startswith(_METADATA)


def error_message(content: object) -> str:
    """Salesforce's own words from an error body (``[{"errorCode", "message", "fields"}]``)."""
    items = content if isinstance(content, list) else [content]
    parts = []
    for item in items:
        if isinstance(item, Mapping):
            code = item.get("errorCode") or item.get("statusCode") or ""
            message = item.get("message") or ""
            fields = item.get("fields") or []
            text = f"{code}: {message}" if code else str(message)
            if fields:
                text += f" (fields: {', '.join(map(str, fields))})"
            parts.append(text)
        elif item:
            parts.append(str(item)[:500])
    return "; ".join(parts)[:2000]


def soql_list(values: Iterable[str]) -> str:
    """Values as a SOQL ``IN`` list, quoted and escaped."""
    escaped = (v.replace("\\", "\\\\").replace("'", "\\'") for v in values)
    return "(" + ", ".join(f"'{v}'" for v in escaped) + ")"


def soql_time(value: str) -> str:
    """A timestamp as a SOQL datetime literal (unquoted ISO 8601 in UTC)."""
    return value.replace("+0000", "Z").replace(".000Z", "Z")


@attrs.frozen(kw_only=True)
class SalesforceCredentials:
    """An OAuth access token for the instance, or a username, password and security token."""

    access_token: str | None = attrs.field(default=None, repr=False)
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    security_token: str | None = attrs.field(default=None, repr=False)

    def check(self) -> None:
        """Raise :class:`~cemigrate.errors.CredentialError` unless one way to log in is given."""
        if self.access_token:
            return
        if self.username and self.password and self.security_token is not None:
            return
        raise CredentialError(
            "salesforce: give an access token (access_token_env), or a username, password and"
            " security token (username_env, password_env, security_token_env)"
        )


@attrs.frozen(kw_only=True)
class BulkResult:
    """One row's outcome in a Bulk API 2.0 ingest job."""

    target_id: str | None
    error: str = ""
    created: bool = False
    """Whether the row made a new record (``sf__Created``); False when it updated one."""


BULK_FIELD_CHARS: Final = 32_000
"""Most characters one field of a Bulk API 2.0 row may hold ("Limits and Allocations")."""
BULK_RECORD_CHARS: Final = 400_000
"""Most characters one Bulk API 2.0 row may hold in all its fields."""
BULK_UPLOAD_BYTES: Final = 100 * 1024 * 1024
"""CSV bytes per ingest job: 150 MB once base64-encoded ("Upload Job Data")."""


def bulk_fits(record: Mapping[str, Any]) -> bool:
    """Whether a row is within Bulk API 2.0's per-field and per-row character limits (a
    longer e-mail body, say, goes through sObject collections instead)."""
    total = 0
    for value in record.values():
        size = len(value) if isinstance(value, str) else 0
        if size > BULK_FIELD_CHARS:
            return False
        total += size
    return total <= BULK_RECORD_CHARS


class SalesforceClient:
    """Requests to one Salesforce org under its budgets, through simple-salesforce."""

    def __init__(
        self,
        *,
        instance_url: str,
        credentials: SalesforceCredentials,
        budgets: Budgets,
        retry: RetryPolicy,
        clock: Clock,
        session: requests.Session | None = None,
        api_version: str = API_VERSION,
    ) -> None:
        credentials.check()
        self.instance_url = instance_url.rstrip("/")
        self.budgets = budgets
        self.clock = clock
        self.api_version = api_version
        self.session = budgeted_session(
            session,
            route=self._route,
            retry=retry,
            replayable=replayable,
            refusal=self._refusal,
            api_paths=("/services/data/",),
            settings=f"the plan's instance_url or base_url, and api_version ({api_version})",
        )
        try:
            if credentials.access_token:
                self.sf = Salesforce(
                    instance_url=self.instance_url,
                    session_id=credentials.access_token,
                    session=self.session,
                    version=api_version,
                )
            else:
                host = urlsplit(self.instance_url).hostname or "login.salesforce.com"
                self.sf = Salesforce(
                    username=credentials.username,
                    password=credentials.password,
                    security_token=credentials.security_token,
                    domain=host.removesuffix(".salesforce.com"),
                    session=self.session,
                    version=api_version,
                )
        except SalesforceError as exc:
            raise CredentialError(f"salesforce refused the login: {exc.status}") from None
        except Exception as exc:  # simple-salesforce's login failure carries the SOAP fault
            if type(exc).__name__ == "SalesforceAuthenticationFailed":
                raise CredentialError(
                    "salesforce refused the login (check the credentials)"
                ) from None
            raise
        # simple-salesforce writes https://{host}; keep the scheme we were given (a loopback
        # sandbox serves plain http).
        base = f"{self.instance_url}/services/data/v{api_version}/"
        self.sf.base_url = base
        self.sf.tooling_url = f"{base}tooling/"
        self.sf.bulk2_url = f"{base}jobs/"
        self._describes: dict[str, dict[str, Any]] = {}

    # -- budgets -------------------------------------------------------------------------------

    @property
    def daily(self) -> Budget:
        """The org's rolling 24 h API allowance."""
        return self.budgets[_DAILY]

    def _route(self, request: requests.PreparedRequest) -> tuple[Sequence[Budget], float]:
        path = urlsplit(request.url or "").path
        if path.startswith(("/services/data/", _METADATA)):
            return [self.daily], 1.0
        return [], 1.0  # the login

    def _refusal(self, response: requests.Response) -> Exception | None:
        """Salesforce's throttle: ``403 REQUEST_LIMIT_EXCEEDED`` (facts 2.1); and a Metadata
        API fault (a SOAP 500) that names a refusal rather than an outage."""
        if response.status_code == 500 and urlsplit(response.url or "").path.startswith(_METADATA):
            return metadata_fault(response.content)
        if response.status_code != 403:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        items = body if isinstance(body, list) else [body]
        for item in items:
            if isinstance(item, Mapping) and item.get("errorCode") == "REQUEST_LIMIT_EXCEEDED":
                message = str(item.get("message") or "")
                if "TotalRequests" in message:
                    return QuotaExhausted(
                        "salesforce: the org's daily API allowance is spent"
                        f" (REQUEST_LIMIT_EXCEEDED: {message});"
                        " resume when the rolling 24 h window has recovered",
                        budget=self.daily.name,
                    )
                return RateLimited(
                    f"salesforce: REQUEST_LIMIT_EXCEEDED ({message})", budget=self.daily.name
                )
        return None

    # -- plain calls ---------------------------------------------------------------------------

    def rest(
        self,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        what: str = "",
    ) -> Any:
        """One REST call under ``/services/data/vXX.X/``; its JSON answer (None for 204)."""
        kwargs: dict[str, Any] = {"timeout": _TIMEOUT}
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body)
        if headers:
            kwargs["headers"] = dict(headers)
        try:
            return self.sf.restful(
                path, params=dict(params) if params else None, method=method, **kwargs
            )
        except SalesforceError as exc:
            raise translate(exc, what or f"{method} {path.split('?')[0]}") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"salesforce {method} {path}: {type(exc).__name__}") from exc

    def metadata_call(self, body: str, *, what: str) -> ElementTree.Element:
        """One Metadata API SOAP call (``POST /services/Soap/m/{version}``, the session id
        in ``SessionHeader``): ``body`` is the call's element, the answer the parsed
        envelope. A fault raises (:func:`metadata_fault`); one call of the day."""
        envelope = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xmlns="http://soap.sforce.com/2006/04/metadata">'
            "<soapenv:Header><SessionHeader>"
            f"<sessionId>{_xml_text(str(self.sf.session_id))}</sessionId>"
            "</SessionHeader></soapenv:Header>"
            f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
        )
        url = f"{self.instance_url}/services/Soap/m/{self.api_version}"
        headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}
        try:
            response = self.session.post(
                url, data=envelope.encode(), headers=headers, timeout=_TIMEOUT
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"salesforce {what}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise RecordError(
                f"salesforce answered {response.status_code} to {what}",
                platform_message=_body_message(response),
            )
        try:
            return ElementTree.fromstring(response.content)
        except ElementTree.ParseError as exc:
            raise TransientError(f"salesforce {what}: an unreadable answer ({exc})") from None

    def describe(self, sobject: str) -> dict[str, Any]:
        """``/sobjects/{sobject}/describe``, read once per client."""
        if sobject not in self._describes:
            body = self.rest(f"sobjects/{sobject}/describe", what=f"describe {sobject}")
            self._describes[sobject] = dict(body or {})
        return self._describes[sobject]

    def described(self, sobject: str) -> bool:
        """Whether the object's describe was read and is kept."""
        return sobject in self._describes

    def forget_describe(self, sobject: str | None = None) -> None:
        """Read describes again next time (after ``prepare`` created fields)."""
        if sobject is None:
            self._describes.clear()
        else:
            self._describes.pop(sobject, None)

    def field_names(self, sobject: str) -> dict[str, dict[str, Any]]:
        """The object's fields by API name, from describe; empty when the object is unknown."""
        try:
            fields = self.describe(sobject).get("fields") or []
        except RecordError:
            return {}
        return {str(f["name"]): dict(f) for f in fields if isinstance(f, Mapping)}

    # -- queries -------------------------------------------------------------------------------

    def query_pages(self, soql: str, *, include_deleted: bool = False) -> Iterator[list[Any]]:
        """Every page of a SOQL query (≤2,000 rows each), following ``nextRecordsUrl``."""
        what = "queryAll" if include_deleted else "query"
        try:
            body = self.sf.query(soql, include_deleted=include_deleted, timeout=_TIMEOUT)
            while True:
                yield [_plain(r) for r in body.get("records") or []]
                if body.get("done", True) or not body.get("nextRecordsUrl"):
                    return
                locator = str(body["nextRecordsUrl"]).rstrip("/").rsplit("/", 1)[-1]
                body = self.sf.query_more(locator, include_deleted=include_deleted)
        except SalesforceError as exc:
            raise translate(exc, f"{what} {soql.split(' FROM ')[-1].split(' ')[0]}") from None

    def tooling_query(self, soql: str) -> list[Any]:
        """Every row of a Tooling API SOQL query (``/tooling/query``), following
        ``nextRecordsUrl``. Selecting ``Metadata`` or ``FullName`` is refused by Salesforce
        unless the query returns at most one row."""
        what = f"tooling query {soql.split(' FROM ')[-1].split(' ')[0]}"
        body = self.rest("tooling/query", params={"q": soql}, what=what)
        rows: list[Any] = []
        while True:
            rows.extend(_plain(r) for r in (body or {}).get("records") or [])
            following = (body or {}).get("nextRecordsUrl")
            if (body or {}).get("done", True) or not following:
                return rows
            # nextRecordsUrl is a path under /services/data/vXX.X/
            body = self.rest(str(following).split(f"/v{self.api_version}/", 1)[-1], what=what)

    def tooling_record(self, sobject: str, id: str) -> dict[str, Any]:
        """``GET /tooling/sobjects/{sobject}/{id}``: one Tooling record whole (with
        ``Metadata`` and ``FullName``), as plain dicts."""
        body = self.rest(f"tooling/sobjects/{sobject}/{id}", what=f"read {sobject} {id}")
        return dict(_plain(body or {}))

    def query(self, soql: str, *, include_deleted: bool = False) -> list[Any]:
        """Every row of a SOQL query."""
        return [
            row for page in self.query_pages(soql, include_deleted=include_deleted) for row in page
        ]

    def count(self, soql: str) -> int:
        """``SELECT COUNT() ...``: the number of rows."""
        try:
            body = self.sf.query(soql, timeout=_TIMEOUT)
        except SalesforceError as exc:
            raise translate(exc, "count") from None
        return int(body.get("totalSize") or 0)

    def query_in(
        self, select: str, column: str, values: Iterable[str], *, extra: str = ""
    ) -> list[Any]:
        """``select WHERE column IN (values) [AND extra]``, 200 values a query."""
        ordered = list(dict.fromkeys(values))
        rows: list[Any] = []
        for start in range(0, len(ordered), 200):
            chunk = ordered[start : start + 200]
            where = f"{column} IN {soql_list(chunk)}" + (f" AND {extra}" if extra else "")
            rows.extend(self.query(f"{select} WHERE {where}"))
        return rows

    # -- sObject collections ----------------------------------------------------------------

    def upsert(
        self,
        sobject: str,
        records: Sequence[Mapping[str, Any]],
        *,
        external_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> list[Mapping[str, Any]]:
        """Upsert by external id through collections, 200 a call; one result per record."""
        results: list[Mapping[str, Any]] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            chunk = [
                {"attributes": {"type": sobject}, **r}
                for r in records[start : start + COLLECTION_SIZE]
            ]
            body = self.rest(
                f"composite/sobjects/{sobject}/{external_id}",
                method="PATCH",
                json_body={"allOrNone": False, "records": chunk},
                headers=headers,
                what=f"upsert {sobject}",
            )
            results.extend(_results(body, len(chunk)))
        return results

    def create(
        self,
        sobject: str,
        records: Sequence[Mapping[str, Any]],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> list[Mapping[str, Any]]:
        """Create through collections, 200 a call; one result per record."""
        results: list[Mapping[str, Any]] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            chunk = [
                {"attributes": {"type": sobject}, **r}
                for r in records[start : start + COLLECTION_SIZE]
            ]
            body = self.rest(
                "composite/sobjects",
                method="POST",
                json_body={"allOrNone": False, "records": chunk},
                headers=headers,
                what=f"create {sobject}",
            )
            results.extend(_results(body, len(chunk)))
        return results

    def update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Update by ``Id`` through collections, 200 a call; one result per record."""
        results: list[Mapping[str, Any]] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            chunk = [
                {"attributes": {"type": sobject}, **r}
                for r in records[start : start + COLLECTION_SIZE]
            ]
            body = self.rest(
                "composite/sobjects",
                method="PATCH",
                json_body={"allOrNone": False, "records": chunk},
                what=f"update {sobject}",
            )
            results.extend(_results(body, len(chunk)))
        return results

    def delete(self, ids: Sequence[str]) -> list[Mapping[str, Any]]:
        """Delete by id through collections, 200 a call."""
        results: list[Mapping[str, Any]] = []
        for start in range(0, len(ids), COLLECTION_SIZE):
            chunk = ids[start : start + COLLECTION_SIZE]
            body = self.rest(
                "composite/sobjects",
                method="DELETE",
                params={"ids": ",".join(chunk), "allOrNone": "false"},
                what="delete",
            )
            results.extend(_results(body, len(chunk)))
        return results

    # -- Bulk API 2.0 ----------------------------------------------------------------------------

    def bulk_upsert(
        self,
        sobject: str,
        records: Sequence[Mapping[str, Any]],
        *,
        external_id: str,
    ) -> list[BulkResult]:
        """Upsert through Bulk API 2.0 ingest jobs; one result per record, in order (matched
        back by the external id every row carries: results come in no particular order)."""
        return self.bulk_write(sobject, "upsert", records, key=external_id)

    def bulk_update(self, sobject: str, records: Sequence[Mapping[str, Any]]) -> list[BulkResult]:
        """Update by ``Id`` through Bulk API 2.0 ingest jobs; one result per record, in order."""
        return self.bulk_write(sobject, "update", records, key="Id")

    def bulk_insert(
        self, sobject: str, records: Sequence[Mapping[str, Any]], *, key: str
    ) -> list[BulkResult]:
        """Insert through Bulk API 2.0 ingest jobs. Inserted rows carry no id of their own, so
        results are matched back by ``key`` (e.g. a CaseComment's ``ParentId``): among rows of
        one key value the outcomes are dealt in order, which tells each parent what failed."""
        return self.bulk_write(sobject, "insert", records, key=key)

    def bulk_write(
        self,
        sobject: str,
        operation: str,
        records: Sequence[Mapping[str, Any]],
        *,
        key: str,
        resends: int = _LOCK_RESENDS,
    ) -> list[BulkResult]:
        """``operation`` (insert, update, upsert) through Bulk API 2.0 ingest jobs, one job per
        100 MB of CSV (an upload takes 150 MB once base64-encoded: "Upload Job Data", Bulk API
        2.0 Developer Guide); one result per record, in order, matched back by ``key``. Rows
        of an upsert or update that failed on a lock (``UNABLE_TO_LOCK_ROW``) go again in a job
        of their own, up to ``resends`` times (their key names one row: a failed row was not
        written, and sending it again duplicates nothing). Inserts are not sent again: rows of
        one key value (comments of one case) are matched back in order, so which of them
        failed is not certain; they stay failures, and the ticket's next write counts what is
        there.

        Spends ``salesforce.bulk_records`` by the number of records as well as one daily call
        per request. Every row must fit Bulk API 2.0's limits (:func:`bulk_fits`)."""
        if not records:
            return []
        bulk_budget = self.budgets.get("salesforce.bulk_records")
        if bulk_budget is not None:
            bulk_budget.acquire(float(len(records)))
        columns = sorted({k for r in records for k in r})
        outcomes: dict[str, list[BulkResult]] = {}
        for data, rows in _csv_uploads(columns, records, BULK_UPLOAD_BYTES):
            for value, result in self._ingest(sobject, operation, data, rows, key):
                outcomes.setdefault(value, []).append(result)
        answers = []
        for record in records:
            dealt = outcomes.get(_csv_value(record.get(key)))
            answers.append(
                dealt.pop(0) if dealt else BulkResult(target_id=None, error="unprocessed")
            )
        locked = [i for i, a in enumerate(answers) if (a.error or "").startswith(_LOCKED)]
        if locked and resends > 0 and operation != "insert":
            log.info(
                "salesforce: %d %s rows found locked; sending them again", len(locked), sobject
            )
            again = self.bulk_write(
                sobject, operation, [records[i] for i in locked], key=key, resends=resends - 1
            )
            for index, answer in zip(locked, again, strict=True):
                answers[index] = answer
        return answers

    def _ingest(
        self, sobject: str, operation: str, data: str, rows: int, key: str
    ) -> list[tuple[str, BulkResult]]:
        """One ingest job: create, upload, close, wait, read its results; (key value, outcome)
        per row, successful ones first."""
        body: dict[str, Any] = {
            "object": sobject,
            "operation": operation,
            "contentType": "CSV",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        if operation == "upsert":
            body["externalIdFieldName"] = key
        job = self.rest("jobs/ingest", method="POST", json_body=body, what=f"bulk job {sobject}")
        job_id = str(job["id"])
        log.info("salesforce: bulk job %s: %s %d %s rows", job_id, operation, rows, sobject)
        url = f"{self.sf.bulk2_url}ingest/{job_id}/batches"
        try:
            response = self.session.put(
                url,
                data=data.encode("utf-8"),
                headers={**self.sf.headers, "Content-Type": "text/csv"},
                timeout=_TIMEOUT,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"salesforce bulk upload: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise RecordError(
                "salesforce refused the bulk upload", platform_message=_body_message(response)
            )
        self.rest(
            f"jobs/ingest/{job_id}",
            method="PATCH",
            json_body={"state": "UploadComplete"},
            what="bulk close",
        )
        job = self._wait_for_job(job_id, rows)
        state = str(job.get("state"))
        if state != "JobComplete":
            raise TransientError(
                f"salesforce bulk job {job_id} ended {state}: {job.get('errorMessage') or ''}"
            )
        found = [
            (
                row.get(key, ""),
                BulkResult(
                    target_id=row.get("sf__Id") or None,
                    created=str(row.get("sf__Created", "")).lower() == "true",
                ),
            )
            for row in self._results_csv(job_id, "successfulResults")
        ]
        # The job counts its failures: their results are fetched only when there are some.
        if int(job.get("numberRecordsFailed") or 0) > 0 or len(found) < rows:
            found.extend(
                (
                    row.get(key, ""),
                    BulkResult(target_id=None, error=row.get("sf__Error") or "failed"),
                )
                for row in self._results_csv(job_id, "failedResults")
            )
        return found

    def _wait_for_job(self, job_id: str, rows: int = 0) -> Mapping[str, Any]:
        """The job's info once it ended; waits on the injected clock, backing off. The first
        wait grows with the job (2 ms a row, 2 s to 30 s): every poll is a call of the day, and
        a job of 10,000 rows is not done in 2 s."""
        wait = min(_BULK_LONGEST_WAIT, max(_BULK_FIRST_WAIT, rows * _BULK_WAIT_PER_ROW))
        waited = 0.0
        while waited <= _BULK_MAX_WAIT:
            self.clock.sleep(wait)
            waited += wait
            job = self.rest(f"jobs/ingest/{job_id}", what="bulk poll")
            if str(job.get("state")) in ("JobComplete", "Failed", "Aborted"):
                return dict(job)
            wait = min(wait * 2, _BULK_LONGEST_WAIT)
        raise TransientError(f"salesforce bulk job {job_id} did not finish")

    def _results_csv(self, job_id: str, which: str) -> list[dict[str, str]]:
        url = f"{self.sf.bulk2_url}ingest/{job_id}/{which}/"
        try:
            response = self.session.get(url, headers=self.sf.headers, timeout=_TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"salesforce bulk results: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise TransientError(f"salesforce bulk results: {response.status_code}")
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))

    # -- files -------------------------------------------------------------------------------------

    def upload_content_version(self, entity: Mapping[str, Any], body: MultipartFile) -> str:
        """``POST /sobjects/ContentVersion`` as multipart/form-data (up to 2 GB, facts 2.5):
        the JSON entity and the bytes, streamed from a spool so a retry can send them again."""
        url = f"{self.sf.base_url}sobjects/ContentVersion"
        body.entity = dict(entity)
        headers = {
            "Authorization": self.sf.headers["Authorization"],
            "Content-Type": f"multipart/form-data; boundary={body.boundary}",
        }
        try:
            response = self.session.post(url, data=body, headers=headers, timeout=_TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"salesforce file upload: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise RecordError(
                "salesforce refused the file", platform_message=_body_message(response)
            )
        answer = response.json()
        if not answer.get("success", True) or not answer.get("id"):
            raise RecordError(
                "salesforce refused the file",
                platform_message=error_message(answer.get("errors") or answer),
            )
        return str(answer["id"])

    def upload_content_versions(
        self, files: Sequence[tuple[Mapping[str, Any], MultipartFile]]
    ) -> list[Mapping[str, Any]]:
        """Several ContentVersions in one multipart ``POST /composite/sobjects`` (REST API
        Developer Guide, "Insert or Update Blob Data": up to 200 records, their files 500 MB
        in all; the caller keeps within both): one result per file, in order."""
        body = MultipartFiles([(dict(entity), file) for entity, file in files])
        url = f"{self.sf.base_url}composite/sobjects"
        headers = {
            "Authorization": self.sf.headers["Authorization"],
            "Content-Type": f"multipart/form-data; boundary={body.boundary}",
        }
        try:
            response = self.session.post(url, data=body, headers=headers, timeout=_TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"salesforce file upload: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise RecordError(
                "salesforce refused the files", platform_message=_body_message(response)
            )
        return _results(response.json(), len(files))

    def download(self, path: str) -> requests.Response:
        """A streamed GET under the data API (``sobjects/ContentVersion/{id}/VersionData``)."""
        url = path if "://" in path else f"{self.sf.base_url}{path.lstrip('/')}"
        if "/services/data/" in path and "://" not in path:
            url = f"{self.instance_url}{path}"
        response = self.session.get(url, headers=self.sf.headers, stream=True, timeout=_TIMEOUT)
        if response.status_code >= 300:
            message = _body_message(response)
            response.close()
            raise RecordError("salesforce could not give the file", platform_message=message)
        return response


class MultipartFile:
    """A multipart/form-data body of one ContentVersion: the JSON entity, then the bytes of a
    spooled file. Iterating starts from the beginning each time, so a retried request sends
    the whole body again; its length is known, so no chunked encoding is needed."""

    def __init__(
        self, spool: io.BufferedIOBase | Any, size: int, file_name: str, content_type: str
    ) -> None:
        self.spool = spool
        self.size = size
        self.file_name = file_name
        self.content_type = content_type or "application/octet-stream"
        self.boundary = f"cemigrate-{uuid.uuid4().hex}"
        self.entity: dict[str, Any] = {}

    def _head(self) -> bytes:
        name = self.file_name.replace('"', "'")
        return (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="entity_content"\r\n'
            "Content-Type: application/json\r\n\r\n"
            f"{json.dumps(self.entity)}\r\n"
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="VersionData"; filename="{name}"\r\n'
            f"Content-Type: {self.content_type}\r\n\r\n"
        ).encode()

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    def __len__(self) -> int:
        return len(self._head()) + self.size + len(self._tail())

    def __iter__(self) -> Iterator[bytes]:
        yield self._head()
        self.spool.seek(0)
        while chunk := self.spool.read(1 << 16):
            yield chunk
        yield self._tail()


class MultipartFiles:
    """A multipart/form-data body of an sObject Collections insert of several
    ContentVersions: the ``entity_content`` JSON naming each record's binary part
    (``binaryPartName``, aliased to ``VersionData``), then each file's bytes from its spool.
    Iterating starts from the beginning each time, so a retry sends the whole body again."""

    def __init__(self, files: Sequence[tuple[dict[str, Any], MultipartFile]]) -> None:
        self.files = files
        self.boundary = f"cemigrate-{uuid.uuid4().hex}"

    def _head(self) -> bytes:
        records = [
            {
                "attributes": {
                    "type": "ContentVersion",
                    "binaryPartName": f"file{index}",
                    "binaryPartNameAlias": "VersionData",
                },
                **entity,
            }
            for index, (entity, _) in enumerate(self.files)
        ]
        return (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="entity_content"\r\n'
            "Content-Type: application/json\r\n\r\n"
            f"{json.dumps({'allOrNone': False, 'records': records})}\r\n"
        ).encode()

    def _part(self, index: int, file: MultipartFile) -> bytes:
        name = file.file_name.replace('"', "'")
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file{index}"; filename="{name}"\r\n'
            f"Content-Type: {file.content_type}\r\n\r\n"
        ).encode()

    def __len__(self) -> int:
        size = len(self._head()) + len(f"--{self.boundary}--\r\n")
        for index, (_, file) in enumerate(self.files):
            size += len(self._part(index, file)) + file.size + 2
        return size

    def __iter__(self) -> Iterator[bytes]:
        yield self._head()
        for index, (_, file) in enumerate(self.files):
            yield self._part(index, file)
            file.spool.seek(0)
            while chunk := file.spool.read(1 << 16):
                yield chunk
            yield b"\r\n"
        yield f"--{self.boundary}--\r\n".encode()


_TRANSIENT_FAULTS: Final = frozenset(
    {"UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}
)


def metadata_fault(content: bytes) -> Exception | None:
    """The error a Metadata API SOAP fault means: a bad session is a credential error, an
    outage (``UNKNOWN_EXCEPTION``...) None (transient), any other fault a refusal carrying
    Salesforce's ``faultstring``."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    texts = {e.tag.rsplit("}", 1)[-1]: (e.text or "").strip() for e in root.iter()}
    code = texts.get("faultcode", "").rsplit(":", 1)[-1]
    message = texts.get("faultstring", "") or code
    if not code or code in _TRANSIENT_FAULTS:
        return None
    if code == "INVALID_SESSION_ID":
        return CredentialError(f"salesforce refused the session (metadata API: {message})")
    return RecordError("salesforce refused the metadata call", platform_message=message)


def translate(error: SalesforceError, what: str) -> Exception:
    """A simple-salesforce error as the error a caller acts on."""
    message = error_message(error.content)
    if error.status == 401:
        return CredentialError(f"salesforce refused the credentials ({what}: {message})")
    if error.status == 403:
        return ConfigError(f"salesforce forbids {what}: {message} (check the user's permissions)")
    if error.status == 300:
        return RecordError(
            f"salesforce {what}: the external id matches more than one record",
            platform_message=message or "MULTIPLE_CHOICES",
        )
    return RecordError(f"salesforce answered {error.status} to {what}", platform_message=message)


def _results(body: Any, expected: int) -> list[Mapping[str, Any]]:
    if not isinstance(body, list) or len(body) != expected:
        raise TransientError(
            f"salesforce answered {len(body) if isinstance(body, list) else 'no'} results"
            f" for {expected} records"
        )
    return [r if isinstance(r, Mapping) else {} for r in body]


def _plain(row: Any) -> Any:
    """A query row as plain dicts (simple-salesforce keeps OrderedDicts), without attributes."""
    if isinstance(row, Mapping):
        return {k: _plain(v) for k, v in row.items() if k != "attributes"}
    if isinstance(row, list):
        return [_plain(v) for v in row]
    return row


def _csv_uploads(
    columns: Sequence[str], records: Sequence[Mapping[str, Any]], limit: int
) -> Iterator[tuple[str, int]]:
    """The records as CSV uploads of at most ``limit`` UTF-8 bytes each (a header line each);
    (the CSV, its row count)."""
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\n")

    def render(values: Sequence[str]) -> str:
        line.seek(0)
        line.truncate()
        writer.writerow(values)
        return line.getvalue()

    header = render(columns)
    parts, size, rows = [header], len(header.encode("utf-8")), 0
    for record in records:
        row = render([_csv_value(record.get(c)) for c in columns])
        row_bytes = len(row.encode("utf-8"))
        if rows and size + row_bytes > limit:
            yield "".join(parts), rows
            parts, size, rows = [header], len(header.encode("utf-8")), 0
        parts.append(row)
        size += row_bytes
        rows += 1
    if rows:
        yield "".join(parts), rows


def _csv_value(value: Any) -> str:
    if value is None:
        return "#N/A"  # Bulk 2.0's null [facts 2.3]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _body_message(response: requests.Response) -> str:
    try:
        return error_message(response.json())
    except ValueError:
        return f"{response.status_code} {response.reason}"
