"""Bulk API 2.0 in the Salesforce emulator: ingest jobs (CSV in, per-row results out) and
query jobs (SOQL in, CSV pages out).

Jobs move Open → UploadComplete → InProgress → JobComplete (or Failed / Aborted). A job moves
one step each time it is polled (``GET`` of the job), and completes on its own once
:data:`JOB_SECONDS` have passed on the emulator's clock, so clients never wait for real.
Rows are written through the backend's checked write path, so a bad row fails exactly as the
same record would over REST; its error lands in ``failedResults/``.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping
from typing import Any, Final

import attrs

from cemigrate.sandbox.salesforce import soql
from cemigrate.sandbox.salesforce.exceptions import (
    MultipleMatches,
    SalesforceError,
    not_found,
)
from cemigrate.sandbox.salesforce.models import SalesforceBackend, normalize_id, sf_datetime
from cemigrate.sandbox.salesforce.wire import Reply, Request

__all__ = ["DELIMITERS", "JOB_SECONDS", "BulkJobs", "IngestJob", "QueryJob"]

JOB_SECONDS: Final = 5.0
"""A job that was closed completes on its own after this long on the clock."""
DELIMITERS: Final[Mapping[str, str]] = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
"""``columnDelimiter`` names and their characters."""
OPERATIONS: Final = frozenset({"insert", "update", "upsert", "delete", "hardDelete"})
MAX_UPLOAD_BYTES: Final = 150 * 1024 * 1024
"""Largest CSV one ingest job accepts (150 MB)."""
TERMINAL: Final = frozenset({"JobComplete", "Failed", "Aborted"})


def _job_error(code: str, message: str, status: int = 400) -> SalesforceError:
    return SalesforceError(code, message, status=status)


@attrs.define
class IngestJob:
    """One ingest job and its results."""

    id: str
    object: str
    operation: str
    external_id: str | None
    column_delimiter: str
    line_ending: str
    created: str
    created_by: str
    api_version: str
    assignment_rule: str | None = None
    state: str = "Open"
    modstamp: str = ""
    changed_at: float = 0.0
    data: bytearray = attrs.field(factory=bytearray)
    header: list[str] = attrs.field(factory=list)
    successes: list[tuple[str, bool, list[str]]] = attrs.field(factory=list)
    failures: list[tuple[str, str, list[str]]] = attrs.field(factory=list)
    unprocessed: list[list[str]] = attrs.field(factory=list)
    error_message: str | None = None

    def info(self) -> dict[str, Any]:
        """The job as ``GET /jobs/ingest/{id}`` shows it."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp or self.created,
            "state": self.state,
            "externalIdFieldName": self.external_id,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
            "numberRecordsProcessed": len(self.successes) + len(self.failures),
            "numberRecordsFailed": len(self.failures),
            "retries": 0,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        }
        if self.assignment_rule:
            body["assignmentRuleId"] = self.assignment_rule
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


@attrs.define
class QueryJob:
    """One query job; its records are computed when it completes."""

    id: str
    operation: str
    query: str
    object: str
    column_delimiter: str
    line_ending: str
    created: str
    created_by: str
    api_version: str
    state: str = "UploadComplete"
    modstamp: str = ""
    changed_at: float = 0.0
    columns: list[str] = attrs.field(factory=list)
    rows: list[list[str]] = attrs.field(factory=list)
    error_message: str | None = None

    def info(self) -> dict[str, Any]:
        """The job as ``GET /jobs/query/{id}`` shows it."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created,
            "systemModstamp": self.modstamp or self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "jobType": "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
            "numberRecordsProcessed": len(self.rows) if self.state == "JobComplete" else 0,
            "retries": 0,
            "totalProcessingTime": 0,
        }
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


class BulkJobs:
    """The org's Bulk API 2.0 jobs and their handlers."""

    def __init__(self, backend: SalesforceBackend) -> None:
        self.backend = backend
        self.ingest: dict[str, IngestJob] = {}
        self.queries: dict[str, QueryJob] = {}
        self.query_jobs_started = 0
        """Query jobs created (the ``DailyBulkV2QueryJobs`` limit counts them)."""
        self.batches_started = 0
        """Ingest uploads (``DailyBulkApiBatches``)."""
        self.held: dict[str, int] = {}
        """Records another transaction holds locked (id → ingest jobs it stays held for)."""

    def hold(self, record_id: str, *, jobs: int = 1) -> None:
        """Keep ``record_id`` locked by another transaction (an integration, a trigger) while
        the next ``jobs`` ingest jobs run: a row that refers to it fails with
        ``UNABLE_TO_LOCK_ROW``, as a row does whose parent stays locked past Salesforce's own
        retries ("Organize Data to Minimize Lock Contention", Bulk API 2.0 guide)."""
        self.held[normalize_id(record_id) or record_id] = jobs

    def reset(self) -> None:
        """Forget every job."""
        self.ingest.clear()
        self.queries.clear()
        self.query_jobs_started = self.batches_started = 0

    def _stamp(self) -> str:
        return sf_datetime(self.backend.now()) or ""

    def tick(self) -> None:
        """Complete jobs whose time has come on the clock."""
        now = self.backend.clock.monotonic()
        for job in self.ingest.values():
            if (
                job.state in ("UploadComplete", "InProgress")
                and now - job.changed_at >= JOB_SECONDS
            ):
                self._run_ingest(job)
        for query in self.queries.values():
            if query.state in ("UploadComplete", "InProgress") and (
                now - query.changed_at >= JOB_SECONDS
            ):
                self._run_query(query)

    def _move(self, job: IngestJob | QueryJob, state: str) -> None:
        job.state = state
        job.modstamp = self._stamp()
        job.changed_at = self.backend.clock.monotonic()

    # --- ingest --------------------------------------------------------------------------

    def create_ingest(self, request: Request, v: str) -> Reply:
        """``POST /jobs/ingest``: an Open job with its ``contentUrl``."""
        body = request.json_object()
        operation = str(body.get("operation") or "")
        if operation not in OPERATIONS:
            raise _job_error("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        spec = self.backend.schema.spec(str(body.get("object") or ""))
        if spec is None:
            raise _job_error(
                "INVALIDJOB", f"InvalidJob : Unable to find object: {body.get('object')}"
            )
        if str(body.get("contentType") or "CSV") != "CSV":
            raise _job_error("INVALIDJOB", "InvalidJob : Only CSV content is supported")
        delimiter = str(body.get("columnDelimiter") or "COMMA")
        line_ending = str(body.get("lineEnding") or "LF")
        if delimiter not in DELIMITERS or line_ending not in ("LF", "CRLF"):
            raise _job_error("INVALIDJOB", "InvalidJob : Invalid columnDelimiter or lineEnding")
        external = body.get("externalIdFieldName")
        if operation == "upsert":
            field = spec.field(str(external or ""))
            if field is None or not (field.external_id or field.unique or field.name == "Id"):
                raise _job_error(
                    "INVALIDJOB",
                    f"InvalidJob : Field name provided, {external} is not an External ID or"
                    f" indexed field for {spec.name}",
                )
            external = field.name
        job = IngestJob(
            id=self.backend.new_id("750"),
            object=spec.name,
            operation=operation,
            external_id=str(external) if external else None,
            column_delimiter=delimiter,
            line_ending=line_ending,
            created=self._stamp(),
            created_by=self.backend.admin_id,
            api_version=v,
            assignment_rule=body.get("assignmentRuleId"),
        )
        job.changed_at = self.backend.clock.monotonic()
        self.ingest[job.id] = job
        return Reply(200, job.info())

    def _ingest_job(self, id: str) -> IngestJob:
        full = normalize_id(id)
        job = None if full is None else self.ingest.get(full)
        if job is None:
            raise not_found("The requested resource does not exist")
        return job

    def upload(self, request: Request, v: str, id: str) -> Reply:
        """``PUT /jobs/ingest/{id}/batches``: CSV data for an Open job (201)."""
        job = self._ingest_job(id)
        if job.state != "Open":
            raise _job_error("INVALIDJOBSTATE", f"Job {job.id} is not in Open state", status=409)
        if not request.headers.get("content-type", "").startswith("text/csv"):
            raise _job_error("INVALIDJOB", "InvalidJob : Content-Type must be text/csv")
        if len(job.data) + len(request.body) > MAX_UPLOAD_BYTES:
            raise _job_error("INVALIDJOB", "InvalidJob : upload larger than 150 MB")
        if job.data:
            raise _job_error(
                "INVALIDJOB", "InvalidJob : Found multiple contents for job", status=409
            )
        job.data.extend(request.body)
        self.batches_started += 1
        return Reply(201)

    def patch_ingest(self, request: Request, v: str, id: str) -> Reply:
        """``PATCH /jobs/ingest/{id}``: ``UploadComplete`` closes it, ``Aborted`` aborts it."""
        job = self._ingest_job(id)
        state = str(request.json_object().get("state") or "")
        if state == "UploadComplete" and job.state == "Open":
            if not job.data:
                self._move(job, "Failed")
                job.error_message = "InvalidBatch : No data uploaded"
            else:
                self._move(job, "UploadComplete")
        elif state == "Aborted" and job.state not in TERMINAL:
            self._move(job, "Aborted")
            job.unprocessed = self._parse(job)[1] if job.data else []
        else:
            raise _job_error(
                "INVALIDJOBSTATE", f"Invalid state transition from {job.state} to {state}"
            )
        return Reply(200, job.info())

    def get_ingest(self, request: Request, v: str, id: str) -> Reply:
        """``GET /jobs/ingest/{id}``: job info (each poll moves a closed job one step)."""
        job = self._ingest_job(id)
        if job.state == "UploadComplete":
            self._move(job, "InProgress")
        elif job.state == "InProgress":
            self._run_ingest(job)
        return Reply(200, job.info())

    def list_ingest(self, request: Request, v: str) -> Reply:
        """``GET /jobs/ingest``: every ingest job."""
        return Reply(
            200,
            {
                "done": True,
                "records": [j.info() for j in self.ingest.values()],
                "nextRecordsUrl": None,
            },
        )

    def delete_ingest(self, request: Request, v: str, id: str) -> Reply:
        """``DELETE /jobs/ingest/{id}``: only once the job is closed, done or aborted."""
        job = self._ingest_job(id)
        if job.state in ("Open", "InProgress"):
            raise _job_error(
                "INVALIDJOBSTATE", f"Job {job.id} cannot be deleted in state {job.state}"
            )
        del self.ingest[job.id]
        return Reply(204)

    def results(self, request: Request, v: str, id: str, kind: str) -> Reply:
        """``successfulResults/``, ``failedResults/``, ``unprocessedrecords/`` as CSV."""
        job = self._ingest_job(id)
        if kind != "unprocessedrecords" and job.state not in ("JobComplete", "Failed"):
            raise _job_error(
                "INVALIDJOBSTATE", f"Job {job.id} is not complete; results are not available"
            )
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        if kind == "successfulResults":
            writer.writerow(["sf__Id", "sf__Created", *job.header])
            for record_id, created, row in job.successes:
                writer.writerow([record_id, "true" if created else "false", *row])
        elif kind == "failedResults":
            writer.writerow(["sf__Id", "sf__Error", *job.header])
            for record_id, error, row in job.failures:
                writer.writerow([record_id, error, *row])
        else:
            writer.writerow(job.header or self._parse(job)[0])
            for row in job.unprocessed:
                writer.writerow(row)
        return Reply(200, raw=out.getvalue().encode(), content_type="text/csv")

    def _parse(self, job: IngestJob) -> tuple[list[str], list[list[str]]]:
        text = bytes(job.data).decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text), delimiter=DELIMITERS[job.column_delimiter])
        rows = [r for r in reader if r]
        return (rows[0], rows[1:]) if rows else ([], [])

    def _run_ingest(self, job: IngestJob) -> None:
        header, rows = self._parse(job)
        job.header = header
        if not header:
            job.error_message = "InvalidBatch : Failed to parse CSV header"
            self._move(job, "Failed")
            return
        spec = self.backend.spec(job.object)
        for name in header:
            base = name.split(".", 1)[0]
            known = spec.field(name) if "." not in name else spec.relationship(base)
            if known is None:
                job.error_message = f"InvalidBatch : Field name not found : {name}"
                job.unprocessed = rows
                self._move(job, "Failed")
                return
        for row in rows:
            padded = row + [""] * (len(header) - len(row))
            locked = next((c for c in padded if c and normalize_id(c) in self.held), None)
            if locked is not None:
                message = (
                    "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or"
                    f" 1 records: {normalize_id(locked)}:--"
                )
                job.failures.append(("", message, row))
                continue
            try:
                with self.backend.transaction():
                    record_id, created = self._write(job, header, padded)
                job.successes.append((record_id, created, row))
            except SalesforceError as error:
                fields = ",".join(error.fields or [])
                message = f"{error.error_code}:{error.message}:{fields} --"
                job.failures.append(("", message, row))
        self.held = {i: left - 1 for i, left in self.held.items() if left > 1}
        self._move(job, "JobComplete")

    def _write(self, job: IngestJob, header: list[str], row: list[str]) -> tuple[str, bool]:
        spec = self.backend.spec(job.object)
        values: dict[str, Any] = {}
        for name, text in zip(header, row, strict=True):
            if text == "":
                continue
            value: Any = None if text == "#N/A" else text
            if "." in name:
                relation, _, key = name.partition(".")
                lookup = spec.relationship(relation)
                assert lookup is not None
                target = lookup.reference_to[0]
                target_spec = self.backend.spec(target)
                ext = target_spec.field(key)
                ids = [] if ext is None else self.backend.matches(target_spec.name, ext.name, text)
                if not ids:
                    raise SalesforceError(
                        "INVALID_FIELD",
                        f"Foreign key external ID: {text} not found for field {key} in entity"
                        f" {target_spec.name}",
                        [lookup.name],
                    )
                values[lookup.name] = ids[0]
                continue
            field = spec.field(name)
            if field is not None and field.type == "boolean" and value is not None:
                value = text.lower() in ("true", "1", "yes")
            values[name] = value
        if job.operation == "insert":
            return self.backend.insert(spec.name, values), True
        record_id = values.pop("Id", None) or values.pop("id", None)
        if job.operation in ("update", "delete", "hardDelete"):
            if not record_id:
                raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call")
            full = normalize_id(record_id)
            if full is None:
                raise SalesforceError(
                    "MALFORMED_ID",
                    f"{spec.label} ID: id value of incorrect type: {record_id}",
                    ["Id"],
                )
            if job.operation == "update":
                self.backend.update(spec.name, full, values)
            else:
                self.backend.delete(spec.name, full)
            return full, False
        assert job.external_id is not None
        if record_id is not None:
            values["Id"] = record_id
        key = values.pop(job.external_id, None)
        if key is None:
            raise SalesforceError(
                "MISSING_ARGUMENT", f"{job.external_id} not specified", [job.external_id]
            )
        try:
            return self.backend.upsert(spec.name, job.external_id, str(key), values)
        except MultipleMatches:
            raise SalesforceError(
                "DUPLICATE_EXTERNAL_ID",
                f"{job.external_id}: more than one record found for external id field: {key}",
                [job.external_id],
            ) from None

    # --- query ---------------------------------------------------------------------------

    def create_query(self, request: Request, v: str) -> Reply:
        """``POST /jobs/query``: a query job (``query`` or ``queryAll``)."""
        body = request.json_object()
        operation = str(body.get("operation") or "query")
        if operation not in ("query", "queryAll"):
            raise _job_error("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        text = str(body.get("query") or "")
        try:
            parsed = soql.parse(text)
        except soql.SoqlError as exc:
            raise SalesforceError(exc.error_code, exc.message) from None
        spec = self.backend.schema.spec(parsed.sobject)
        if spec is None:
            raise SalesforceError(
                "INVALID_TYPE", f"sObject type '{parsed.sobject}' is not supported."
            )
        # Bulk API 2.0 takes no aggregate functions and no parent-to-child relationship
        # queries (Bulk API 2.0 Developer Guide, Understanding Bulk API 2.0 Query: Limits);
        # the wording of the refusal is not recorded.
        if parsed.count or parsed.aggregates or parsed.children:
            raise SalesforceError(
                "API_ERROR",
                "Aggregate functions and parent-to-child relationship queries are not"
                " supported in Bulk API 2.0 query jobs",
            )
        delimiter = str(body.get("columnDelimiter") or "COMMA")
        line_ending = str(body.get("lineEnding") or "LF")
        if delimiter not in DELIMITERS or line_ending not in ("LF", "CRLF"):
            raise _job_error("INVALIDJOB", "InvalidJob : Invalid columnDelimiter or lineEnding")
        job = QueryJob(
            id=self.backend.new_id("750"),
            operation=operation,
            query=text,
            object=spec.name,
            column_delimiter=delimiter,
            line_ending=line_ending,
            created=self._stamp(),
            created_by=self.backend.admin_id,
            api_version=v,
        )
        job.changed_at = self.backend.clock.monotonic()
        self.queries[job.id] = job
        self.query_jobs_started += 1
        return Reply(200, job.info())

    def _query_job(self, id: str) -> QueryJob:
        full = normalize_id(id)
        job = None if full is None else self.queries.get(full)
        if job is None:
            raise not_found("The requested resource does not exist")
        return job

    def get_query(self, request: Request, v: str, id: str) -> Reply:
        """``GET /jobs/query/{id}``: job info (each poll moves it one step)."""
        job = self._query_job(id)
        if job.state == "UploadComplete":
            self._move(job, "InProgress")
        elif job.state == "InProgress":
            self._run_query(job)
        return Reply(200, job.info())

    def list_query(self, request: Request, v: str) -> Reply:
        """``GET /jobs/query``: every query job."""
        return Reply(
            200,
            {
                "done": True,
                "records": [j.info() for j in self.queries.values()],
                "nextRecordsUrl": None,
            },
        )

    def patch_query(self, request: Request, v: str, id: str) -> Reply:
        """``PATCH /jobs/query/{id}`` with ``Aborted``."""
        job = self._query_job(id)
        state = str(request.json_object().get("state") or "")
        if state != "Aborted" or job.state in TERMINAL:
            raise _job_error(
                "INVALIDJOBSTATE", f"Invalid state transition from {job.state} to {state}"
            )
        self._move(job, "Aborted")
        return Reply(200, job.info())

    def delete_query(self, request: Request, v: str, id: str) -> Reply:
        """``DELETE /jobs/query/{id}``."""
        job = self._query_job(id)
        if job.state not in TERMINAL:
            raise _job_error(
                "INVALIDJOBSTATE", f"Job {job.id} cannot be deleted in state {job.state}"
            )
        del self.queries[job.id]
        return Reply(204)

    def _run_query(self, job: QueryJob) -> None:
        try:
            parsed = soql.parse(job.query)
            rows = self.backend.table(job.object, include_deleted=job.operation == "queryAll")
            records = soql.execute(parsed, rows, self.backend.schema, now=self.backend.now())
        except (soql.SoqlError, SalesforceError) as exc:
            job.error_message = str(exc)
            self._move(job, "Failed")
            return
        job.columns = [_column(path, records) for path in parsed.fields]
        job.rows = [[_cell(_walk(r, path)) for path in parsed.fields] for r in records]
        self._move(job, "JobComplete")

    def query_results(self, request: Request, v: str, id: str) -> Reply:
        """``GET /jobs/query/{id}/results?maxRecords=&locator=``: a CSV page."""
        job = self._query_job(id)
        if job.state != "JobComplete":
            raise _job_error(
                "INVALIDJOBSTATE", f"Job {job.id} is not complete; results are not available"
            )
        try:
            size = int(request.query.get("maxRecords") or len(job.rows) or 1)
            locator = request.query.get("locator") or ""
            start = int(base64.b64decode(locator).decode()) if locator else 0
        except ValueError:
            raise _job_error("INVALIDLOCATOR", "Invalid locator or maxRecords") from None
        page = job.rows[start : start + max(1, size)]
        end = start + len(page)
        out = io.StringIO()
        terminator = "\r\n" if job.line_ending == "CRLF" else "\n"
        writer = csv.writer(
            out,
            delimiter=DELIMITERS[job.column_delimiter],
            quoting=csv.QUOTE_ALL,
            lineterminator=terminator,
        )
        writer.writerow(job.columns)
        writer.writerows(page)
        next_locator = (
            base64.b64encode(str(end).encode()).decode() if end < len(job.rows) else "null"
        )
        return Reply(
            200,
            raw=out.getvalue().encode(),
            content_type="text/csv",
            headers={"Sforce-Locator": next_locator, "Sforce-NumberOfRecords": str(len(page))},
        )


def _walk(record: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = record
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        key = next((k for k in value if k.lower() == step.lower()), None)
        value = None if key is None else value[key]
    return value


def _column(path: str, records: list[dict[str, Any]]) -> str:
    """The column header: the path as the describe spells it (from a record that has it)."""
    for record in records:
        names: list[str] = []
        value: Any = record
        for step in path.split("."):
            if not isinstance(value, Mapping):
                break
            key = next((k for k in value if k.lower() == step.lower()), None)
            if key is None:
                break
            names.append(key)
            value = value[key]
        else:
            return ".".join(names)
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
