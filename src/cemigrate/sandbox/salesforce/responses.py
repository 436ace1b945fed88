"""The Salesforce emulator's handlers: parse a request, call the backend, shape the answer.

Each handler takes a :class:`Request` and the path parameters and returns a :class:`Reply`;
errors are raised (``exceptions.py``) and rendered by the router (``urls.py``).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import unquote

from cemigrate.sandbox.salesforce import flows, soql
from cemigrate.sandbox.salesforce.bulk import BulkJobs
from cemigrate.sandbox.salesforce.exceptions import (
    MultipleMatches,
    SalesforceError,
    not_found,
)
from cemigrate.sandbox.salesforce.models import (
    MAX_MULTIPART_BLOB_BYTES,
    Row,
    SalesforceBackend,
    normalize_id,
)
from cemigrate.sandbox.salesforce.objects import MASTER_RECORD_TYPE
from cemigrate.sandbox.salesforce.wire import Reply, Request

__all__ = ["Reply", "Request", "SalesforceResponses"]

Json = Any

MAX_BATCH: Final = 2000
"""Most records a query page holds (``batchSize`` 200..2000)."""
MIN_BATCH: Final = 200
MAX_COLLECTION: Final = 200
"""Most records an sObject Collections request takes."""
MAX_COLLECTION_BLOB_BYTES: Final = 500 * 1024 * 1024
"""Most bytes the files of one multipart sObject Collections request may total."""
MAX_COMPOSITE: Final = 25
"""Most subrequests a composite request takes."""
MAX_COMPOSITE_QUERIES: Final = 5
"""Most query subrequests a Tooling composite request takes."""
VERSIONS: Final = tuple(f"{v}.0" for v in range(20, 63))
"""API versions ``GET /services/data/`` lists."""


class SalesforceResponses:
    """Handlers of the REST, composite, tooling and file endpoints."""

    def __init__(
        self,
        backend: SalesforceBackend,
        *,
        dispatch: Callable[[Request], Reply],
        limits: Callable[[], dict[str, Any]],
    ) -> None:
        self.backend = backend
        self.bulk = BulkJobs(backend)
        """Bulk API 2.0 jobs."""
        self._dispatch = dispatch
        self._limits = limits
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        """Query locators → the records of the query they page through."""

    def reset(self) -> None:
        """Forget query locators and bulk jobs."""
        self.cursors.clear()
        self.bulk.reset()

    @property
    def version(self) -> str:
        """The API version paths and URLs use."""
        return self.backend.api_version

    # --- discovery -----------------------------------------------------------------------

    def versions(self, request: Request) -> Reply:
        """``GET /services/data/``: every API version."""
        return Reply(
            body=[{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in VERSIONS]
        )

    def resources(self, request: Request, v: str) -> Reply:
        """``GET /services/data/vXX.X``: the resources of a version."""
        base = f"/services/data/v{v}"
        names = ("sobjects", "query", "queryAll", "composite", "limits", "tooling", "jobs")
        return Reply(body={name: f"{base}/{name}" for name in names})

    def limits(self, request: Request, v: str) -> Reply:
        """``GET /limits``: the org's allowances and what remains of them."""
        return Reply(body=self._limits())

    def describe_global(self, request: Request, v: str) -> Reply:
        """``GET /sobjects``: every object."""
        return Reply(
            body={
                "encoding": "UTF-8",
                "maxBatchSize": MAX_COLLECTION,
                "sobjects": [s.summary(version=v) for s in self.backend.objects.values()],
            }
        )

    def sobject_info(self, request: Request, v: str, sobject: str) -> Reply:
        """``GET /sobjects/X``: the object's summary and recent items."""
        spec = self.backend.spec(sobject)
        return Reply(body={"objectDescribe": spec.summary(version=v), "recentItems": []})

    def describe(self, request: Request, v: str, sobject: str) -> Reply:
        """``GET /sobjects/X/describe``: fields with types, lengths, picklists, permissions."""
        spec = self.backend.spec(sobject)
        record_types = [
            r for r in self.backend.rows["RecordType"].values() if r.get("SobjectType") == spec.name
        ]
        return Reply(
            body=spec.describe(
                audit_fields=self.backend.audit_fields,
                version=v,
                record_types=record_types,
                children=self.backend.schema.children_of(spec.name),
            )
        )

    def picklist_values(
        self, request: Request, v: str, sobject: str, record_type: str, field: str | None = None
    ) -> Reply:
        """``GET /ui-api/object-info/X/picklist-values/{recordTypeId}[/{field}]``: the values
        each picklist offers for a record type (the Master record type offers them all).

        Shape as the User Interface API Developer Guide documents it (Picklist Values,
        Picklist Values Collection): ``picklistFieldValues`` by field, each with
        ``controllerValues``, ``defaultValue``, ``url`` and ``values`` of ``label``,
        ``value``, ``validFor``, ``attributes``.
        """
        spec = self.backend.spec(sobject)
        full = normalize_id(record_type)
        row = None if full is None else self.backend.rows["RecordType"].get(full)
        if full != MASTER_RECORD_TYPE and (row is None or row.get("SobjectType") != spec.name):
            raise SalesforceError(
                "INVALID_ID_FIELD", f"Invalid record type id: {record_type}", status=400
            )
        base = f"/services/data/v{v}/ui-api/object-info/{spec.name}/picklist-values/{full}"

        def entry(name: str) -> dict[str, Any]:
            found = spec.field(name)
            if found is None or found.type not in ("picklist", "multipicklist"):
                raise not_found(f"{name} is not a picklist field of {spec.name}")
            offered = self.backend.picklist_values(str(full), spec, found)
            labels = dict(
                zip(
                    found.picklist,
                    (*found.picklist_labels, *found.picklist[len(found.picklist_labels) :]),
                    strict=True,
                )
            )
            default = found.default if found.default in offered else None
            return {
                "controllerValues": {},
                "defaultValue": None
                if default is None
                else {
                    "attributes": None,
                    "label": labels[default],
                    "validFor": [],
                    "value": default,
                },
                "eTag": secrets.token_hex(16),
                "url": f"{base}/{found.name}",
                "values": [
                    {
                        "attributes": None,
                        "label": labels.get(value, value),
                        "validFor": [],
                        "value": value,
                    }
                    for value in offered
                ],
            }

        if field is not None:
            return Reply(body=entry(field))
        names = [f.name for f in spec.fields.values() if f.type in ("picklist", "multipicklist")]
        return Reply(
            body={
                "eTag": secrets.token_hex(16),
                "picklistFieldValues": {name: entry(name) for name in names},
            }
        )

    # --- records -------------------------------------------------------------------------

    def record_json(
        self, sobject: str, row: Row, fields: list[str] | None = None
    ) -> dict[str, Any]:
        """A row as ``GET /sobjects/X/id`` sends it."""
        spec = self.backend.spec(sobject)
        out: dict[str, Any] = {
            "attributes": {"type": spec.name, "url": self.backend.schema.url(spec.name, row["Id"])}
        }
        names = list(spec.fields) if fields is None else fields
        for name in names:
            field = spec.field(name)
            if field is None:
                raise SalesforceError(
                    "INVALID_FIELD", f"No such column '{name}' on entity '{spec.name}'."
                )
            out[field.name] = row.get(field.name)
        return out

    def create(self, request: Request, v: str, sobject: str) -> Reply:
        """``POST /sobjects/X``: 201 ``{"id", "success", "errors"}``."""
        spec = self.backend.spec(sobject)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/"):
            if spec.name != "ContentVersion":
                raise SalesforceError(
                    "INVALID_MULTIPART_REQUEST", "Multipart is supported for blob objects only"
                )
            values, data = _multipart(request.body, content_type)
            if len(data) > MAX_MULTIPART_BLOB_BYTES:
                raise SalesforceError(
                    "STRING_TOO_LONG", "Version Data: file larger than 2 GB", ["VersionData"]
                )
            id = self.backend.insert_version(values, data)
        else:
            body = request.json_object()
            id = self.backend.insert(spec.name, body)
        return Reply(201, {"id": id, "success": True, "errors": []})

    def read(self, request: Request, v: str, sobject: str, id: str) -> Reply:
        """``GET /sobjects/X/id`` (``?fields=a,b``)."""
        spec = self.backend.spec(sobject)
        row = self.backend.live_row(spec, id)
        fields = request.query.get("fields")
        names = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
        return Reply(body=self.record_json(spec.name, row, names))

    def update(self, request: Request, v: str, sobject: str, id: str) -> Reply:
        """``PATCH /sobjects/X/id``: 204."""
        self.backend.update(sobject, id, request.json_object())
        return Reply(204)

    def delete(self, request: Request, v: str, sobject: str, id: str) -> Reply:
        """``DELETE /sobjects/X/id``: 204, the row stays in the recycle bin."""
        self.backend.delete(sobject, id)
        return Reply(204)

    def read_field(self, request: Request, v: str, sobject: str, a: str, b: str) -> Reply:
        """``GET /sobjects/X/id/Blob`` streams a file; ``GET /sobjects/X/Field/value`` reads
        a record by external id."""
        spec = self.backend.spec(sobject)
        field = spec.field(b)
        if field is not None and field.type == "base64" and normalize_id(a) is not None:
            row = self.backend.live_row(spec, a)
            if spec.name != "ContentVersion":
                raise not_found()
            return Reply(raw=self.backend.blob(row["Id"]), content_type="application/octet-stream")
        ext = spec.field(a)
        if ext is None or not ext.looks_up:
            raise not_found(f"Provided external ID field does not exist or is not accessible: {a}")
        ids = self.backend.matches(spec.name, ext.name, unquote(b))
        if not ids:
            raise not_found()
        if len(ids) > 1:
            raise MultipleMatches(ext.name, [self.backend.schema.url(spec.name, i) for i in ids])
        return Reply(body=self.record_json(spec.name, self.backend.rows[spec.name][ids[0]]))

    def upsert(self, request: Request, v: str, sobject: str, a: str, b: str) -> Reply:
        """``PATCH /sobjects/X/Field/value``: 201 created, 200 updated (204 before API 46.0),
        300 ambiguous; the field is an external id or any ``idLookup`` field
        (``Contact/Email/x@y``). [REST API Developer Guide: Insert or Update (Upsert) a Record
        Using an External ID]"""
        id, created = self.backend.upsert(sobject, a, unquote(b), request.json_object())
        if not created and float(v) < 46.0:
            return Reply(204)
        body = {"id": id, "success": True, "errors": [], "created": created}
        return Reply(201 if created else 200, body)

    # --- queries -------------------------------------------------------------------------

    def query(self, request: Request, v: str) -> Reply:
        """``GET /query?q=``: the first batch and a ``nextRecordsUrl``."""
        return self._query(request, v, include_deleted=False, tooling=False)

    def query_all(self, request: Request, v: str) -> Reply:
        """``GET /queryAll?q=``: as ``query``, with rows in the recycle bin."""
        return self._query(request, v, include_deleted=True, tooling=False)

    def tooling_query(self, request: Request, v: str) -> Reply:
        """``GET /tooling/query?q=``: ``CustomField``, ``CustomObject``, ``Flow``,
        ``FlowDefinition``; ``Metadata`` and ``FullName`` only when one row comes back."""
        return self._query(request, v, include_deleted=False, tooling=True)

    def _query(self, request: Request, v: str, *, include_deleted: bool, tooling: bool) -> Reply:
        text = request.query.get("q")
        if not text:
            raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")
        schema = self.backend.tooling_schema if tooling else self.backend.schema
        records = self.run_query(text, include_deleted=include_deleted, tooling=tooling)
        if isinstance(records, int):
            return Reply(body={"totalSize": records, "done": True, "records": []})
        del schema
        batch = _batch_size(request.headers.get("sforce-query-options", ""))
        return Reply(body=self._page(v, records, 0, batch, "query"))

    def run_query(
        self, text: str, *, include_deleted: bool, tooling: bool = False
    ) -> list[dict[str, Any]] | int:
        """The records of a SOQL query (or the count of a ``COUNT()`` query)."""
        try:
            query = soql.parse(text)
        except soql.SoqlError as exc:
            raise SalesforceError(exc.error_code, exc.message) from None
        schema = self.backend.tooling_schema if tooling else self.backend.schema
        name = schema.canonical_object(query.sobject)
        if name is None:
            raise SalesforceError(
                "INVALID_TYPE",
                f"sObject type '{query.sobject}' is not supported. If you are attempting to use"
                " a custom object, be sure to append the '__c' after the entity name. Please"
                " reference your WSDL or the describe call for the appropriate names.",
            )
        if tooling:
            rows = [r for r in self.backend.tooling[name].values() if not r["IsDeleted"]]
        else:
            rows = self.backend.table(name, include_deleted=include_deleted)
        now = self.backend.now()
        try:
            if query.count:
                return soql.count(query, rows, schema, now=now)
            records = soql.execute(query, rows, schema, now=now)
        except soql.SoqlError as exc:
            raise SalesforceError(exc.error_code, exc.message) from None
        if tooling and len(records) > 1 and _SINGLE_ROW_FIELDS & {f.lower() for f in query.fields}:
            raise SalesforceError(
                "MALFORMED_QUERY",
                "When retrieving results with Metadata or FullName fields, the query"
                " qualifications must specify no more than one row for retrieval."
                f" Result size: {len(records)}",
            )
        return records

    def _page(
        self, v: str, records: list[dict[str, Any]], start: int, batch: int, kind: str
    ) -> dict[str, Any]:
        end = start + batch
        body: dict[str, Any] = {
            "totalSize": len(records),
            "done": end >= len(records),
            "records": records[start:end],
        }
        if end < len(records):
            locator = "01g" + secrets.token_hex(8)[:15]
            self.cursors[locator] = records
            body["nextRecordsUrl"] = f"/services/data/v{v}/{kind}/{locator}-{end}"
        return body

    def query_more(self, request: Request, v: str, locator: str) -> Reply:
        """``GET /query/{locator}-{offset}``: the next batch."""
        found = re.match(r"^(01g\w+)-(\d+)$", locator)
        records = None if found is None else self.cursors.get(found.group(1))
        if found is None or records is None:
            raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator", status=400)
        batch = _batch_size(request.headers.get("sforce-query-options", ""))
        kind = "queryAll" if "/queryAll/" in request.path else "query"
        return Reply(body=self._page(v, records, int(found.group(2)), batch, kind))

    # --- collections ---------------------------------------------------------------------

    def _collection(self, request: Request) -> tuple[list[dict[str, Any]], bool]:
        body = request.json_object()
        records = body.get("records")
        if not isinstance(records, list):
            raise SalesforceError("JSON_PARSER_ERROR", "records: a list of records is required")
        if len(records) > MAX_COLLECTION:
            raise SalesforceError(
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than"
                f" {MAX_COLLECTION} records into this call",
            )
        return records, bool(body.get("allOrNone"))

    def _each(
        self,
        items: list[Any],
        all_or_none: bool,
        write: Callable[[Any], dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Run ``write`` per item; per-record results; roll everything back if all-or-none."""
        results: list[dict[str, Any]] = []
        failed = False
        try:
            with self.backend.transaction():
                for item in items:
                    try:
                        with self.backend.transaction():
                            results.append({**write(item), "success": True, "errors": []})
                    except SalesforceError as error:
                        failed = True
                        results.append(
                            {"id": None, "success": False, "errors": [error.record_error()]}
                        )
                if failed and all_or_none:
                    raise _RollBack()
        except _RollBack:
            rolled = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the"
                " request was using AllOrNone header",
                "fields": [],
            }
            results = [
                r if not r["success"] else {"id": None, "success": False, "errors": [rolled]}
                for r in results
            ]
        return results

    def collection_create(self, request: Request, v: str) -> Reply:
        """``POST /composite/sobjects``: create up to 200 records of any types; as multipart,
        ContentVersions whose bytes are the request's binary parts."""
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/"):
            return self._collection_blobs(request, content_type)
        records, all_or_none = self._collection(request)

        def write(record: dict[str, Any]) -> dict[str, Any]:
            sobject = _record_type(record)
            if "Id" in record or "id" in record:
                raise SalesforceError(
                    "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]
                )
            return {"id": self.backend.insert(sobject, _fields(record))}

        return Reply(body=self._each(records, all_or_none, write))

    def _collection_blobs(self, request: Request, content_type: str) -> Reply:
        """Insert a collection of blob records in one multipart request (REST API Developer
        Guide, Insert or Update Blob Data: "Using sObject Collections"): the JSON part holds
        ``allOrNone`` and ``records``; each record's ``attributes`` names its binary part
        (``binaryPartName``) and the blob field it fills (``binaryPartNameAlias``,
        ``VersionData``); then one part per file, named so. At most 200 records, and the
        files of one request together at most 500 MB."""
        parts = _parts(request.body, content_type)
        body = next((json_part for json_part in _json_parts(parts)), None)
        if body is None:
            raise SalesforceError(
                "INVALID_MULTIPART_REQUEST", "a multipart collection needs a JSON part"
            )
        records = body.get("records")
        if not isinstance(records, list):
            raise SalesforceError("JSON_PARSER_ERROR", "records: a list of records is required")
        if len(records) > MAX_COLLECTION:
            raise SalesforceError(
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than"
                f" {MAX_COLLECTION} records into this call",
            )
        blobs = {name: content for name, _, content in parts}
        wanted = []
        for record in records:
            attributes = record.get("attributes") if isinstance(record, dict) else None
            part = attributes.get("binaryPartName") if isinstance(attributes, dict) else None
            if part is not None:
                if part not in blobs:
                    raise SalesforceError(
                        "INVALID_MULTIPART_REQUEST",
                        f"Binary part not found: {part}",
                    )
                alias = attributes.get("binaryPartNameAlias") if attributes else None
                if str(alias) != "VersionData" or _record_type(record) != "ContentVersion":
                    raise SalesforceError(
                        "INVALID_MULTIPART_REQUEST",
                        f"binaryPartNameAlias {alias!r} is not a blob field of"
                        f" {_record_type(record)}",
                    )
                wanted.append(part)
        if sum(len(blobs[p]) for p in wanted) > MAX_COLLECTION_BLOB_BYTES:
            raise SalesforceError(
                "EXCEEDED_MAX_SIZE_REQUEST",
                "The files of one sObject Collections request may total at most 500 MB",
                status=413,
            )

        def write(record: dict[str, Any]) -> dict[str, Any]:
            sobject = _record_type(record)
            if "Id" in record or "id" in record:
                raise SalesforceError(
                    "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]
                )
            part = record["attributes"].get("binaryPartName")
            if part is None:
                return {"id": self.backend.insert(sobject, _fields(record))}
            values = _fields(record)
            values.pop("VersionData", None)
            return {"id": self.backend.insert_version(values, blobs[part])}

        return Reply(body=self._each(records, bool(body.get("allOrNone")), write))

    def collection_update(self, request: Request, v: str) -> Reply:
        """``PATCH /composite/sobjects``: update up to 200 records by ``Id``."""
        records, all_or_none = self._collection(request)

        def write(record: dict[str, Any]) -> dict[str, Any]:
            sobject = _record_type(record)
            values = _fields(record)
            id = values.pop("Id", None) or values.pop("id", None)
            if not id:
                raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call")
            full = normalize_id(id)
            if full is None:
                raise SalesforceError(
                    "MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {id}", ["Id"]
                )
            spec = self.backend.spec(sobject)
            row = spec and self.backend.rows[spec.name].get(full)
            if not row:
                raise SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            if row["IsDeleted"]:
                raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", [])
            self.backend.update(sobject, full, values)
            return {"id": full}

        return Reply(body=self._each(records, all_or_none, write))

    def collection_delete(self, request: Request, v: str) -> Reply:
        """``DELETE /composite/sobjects?ids=...&allOrNone=``: delete up to 200 records."""
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if len(ids) > MAX_COLLECTION:
            raise SalesforceError("EXCEEDED_ID_LIMIT", f"more than {MAX_COLLECTION} Ids in request")
        all_or_none = request.query.get("allOrNone", "false").lower() == "true"

        def write(id: str) -> dict[str, Any]:
            full = normalize_id(id)
            name = None if full is None else self.backend.object_of(full)
            if full is None or name is None:
                raise SalesforceError("MALFORMED_ID", f"malformed id {id}", [])
            row = self.backend.rows[name].get(full)
            if row is None:
                raise SalesforceError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            if row["IsDeleted"]:
                raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", [])
            self.backend.delete(name, full)
            return {"id": full}

        return Reply(body=self._each(ids, all_or_none, write))

    def collection_retrieve(self, request: Request, v: str, sobject: str) -> Reply:
        """``GET|POST /composite/sobjects/X``: records by ids (``null`` where none)."""
        spec = self.backend.spec(sobject)
        if request.method == "POST":
            body = request.json_object()
            ids, fields = list(body.get("ids") or []), list(body.get("fields") or [])
        else:
            ids = [i for i in request.query.get("ids", "").split(",") if i]
            fields = [f for f in request.query.get("fields", "").split(",") if f]
        if not fields:
            raise SalesforceError("MISSING_ARGUMENT", "fields: fields are required")
        out: list[dict[str, Any] | None] = []
        for id in ids:
            full = normalize_id(id)
            row = None if full is None else self.backend.rows[spec.name].get(full)
            out.append(
                None
                if row is None or row["IsDeleted"]
                else self.record_json(spec.name, row, fields)
            )
        return Reply(body=out)

    def collection_upsert(self, request: Request, v: str, sobject: str, field: str) -> Reply:
        """``PATCH /composite/sobjects/X/ExtField``: upsert up to 200 records of one type."""
        records, all_or_none = self._collection(request)
        spec = self.backend.spec(sobject)
        ext = spec.field(field)
        if ext is None or not ext.looks_up:
            raise SalesforceError(
                "INVALID_FIELD",
                f"Field name provided, {field} is not an External ID or indexed field for"
                f" {spec.name}",
            )

        def write(record: dict[str, Any]) -> dict[str, Any]:
            if _record_type(record).lower() != spec.name.lower():
                raise SalesforceError(
                    "INVALID_FIELD", "All records must be of the type in the URL", []
                )
            values = _fields(record)
            key = next((k for k in values if k.lower() == ext.name.lower()), None)
            if key is None or values[key] in (None, ""):
                raise SalesforceError("MISSING_ARGUMENT", f"{ext.name} not specified", [ext.name])
            value = str(values.pop(key))
            try:
                id, created = self.backend.upsert(spec.name, ext.name, value, values)
            except MultipleMatches:
                raise SalesforceError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{ext.label}: more than one record found for external id field: {value}",
                    [ext.name],
                ) from None
            return {"id": id, "created": created}

        results = self._each(records, all_or_none, write)
        for result in results:
            result.setdefault("created", False)
        return Reply(body=results)

    # --- composite -----------------------------------------------------------------------

    def composite(self, request: Request, v: str, *, tooling: bool = False) -> Reply:
        """``POST /composite``: up to 25 subrequests chained by ``@{referenceId.path}``.

        With ``tooling``, ``POST /tooling/composite`` (Tooling API Developer Guide, "Improve
        Performance with the Composite Resource",
        https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_resources_composite_composite.htm):
        the same bodies, but a subrequest may only name a Tooling sObject or query resource
        (another URL is answered 400 on its own) and at most five may be queries."""
        body = request.json_object()
        subrequests = body.get("compositeRequest")
        if not isinstance(subrequests, list) or not subrequests:
            raise SalesforceError("JSON_PARSER_ERROR", "compositeRequest is required")
        if len(subrequests) > MAX_COMPOSITE:
            raise SalesforceError(
                "LIMIT_EXCEEDED",
                f"Composite request may have at most {MAX_COMPOSITE} subrequests",
            )
        if tooling and sum(map(_tooling_query, subrequests)) > MAX_COMPOSITE_QUERIES:
            raise SalesforceError(
                "LIMIT_EXCEEDED",
                f"Composite request may have at most {MAX_COMPOSITE_QUERIES} query subrequests",
            )
        all_or_none = bool(body.get("allOrNone"))
        results: dict[str, Any] = {}
        responses: list[dict[str, Any]] = []
        failed = False
        try:
            with self.backend.transaction():
                for sub in subrequests:
                    ref = str(sub.get("referenceId") or "")
                    if failed and all_or_none:
                        responses.append(_halted(ref))
                        continue
                    try:
                        url = _substitute(str(sub.get("url") or ""), results)
                        payload = _substitute_json(sub.get("body"), results)
                    except SalesforceError as error:
                        responses.append(
                            {
                                "body": error.body(),
                                "httpHeaders": {},
                                "httpStatusCode": 400,
                                "referenceId": ref,
                            }
                        )
                        failed = True
                        continue
                    path, _, query = url.partition("?")
                    if tooling and not _TOOLING_URL.match(path):
                        responses.append(_not_tooling(ref, url))
                        failed = True
                        continue
                    inner = request.subrequest(
                        str(sub.get("method") or "GET").upper(),
                        path,
                        query=query,
                        body=b"" if payload is None else json.dumps(payload).encode(),
                        headers={
                            "content-type": "application/json",
                            **{
                                k.lower(): str(h) for k, h in (sub.get("httpHeaders") or {}).items()
                            },
                        },
                    )
                    reply = self._dispatch(inner)
                    if reply.status >= 400:
                        failed = True
                    elif ref:
                        results[ref] = reply.body
                    headers = {}
                    if reply.status == 201 and isinstance(reply.body, dict) and "id" in reply.body:
                        schema = self.backend.tooling_schema if tooling else self.backend.schema
                        headers["Location"] = schema.url(
                            path.rstrip("/").rsplit("/", 1)[-1], reply.body["id"]
                        )
                    responses.append(
                        {
                            "body": reply.body,
                            "httpHeaders": headers,
                            "httpStatusCode": reply.status,
                            "referenceId": ref,
                        }
                    )
                if failed and all_or_none:
                    raise _RollBack()
        except _RollBack:
            responses = [
                r if r["httpStatusCode"] >= 400 else _halted(r["referenceId"]) for r in responses
            ]
        return Reply(body={"compositeResponse": responses})

    # --- tooling -------------------------------------------------------------------------

    def tooling_create(self, request: Request, v: str, sobject: str) -> Reply:
        """``POST /tooling/sobjects/CustomField|CustomObject|Flow``."""
        body = request.json_object()
        full_name = str(body.get("FullName") or "")
        metadata = body.get("Metadata")
        if not full_name or not isinstance(metadata, dict):
            raise SalesforceError(
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [FullName, Metadata]",
                ["FullName", "Metadata"],
            )
        kind = sobject.lower()
        if kind == "customfield":
            id = self.backend.create_custom_field(full_name, metadata)
        elif kind == "customobject":
            id = self.backend.create_custom_object(full_name, metadata)
        elif kind == "flow":
            id = flows.create_flow(self.backend, full_name, metadata)
        elif kind == "flowdefinition":  # made with its first Flow version; update only
            raise SalesforceError(
                "INVALID_TYPE", "entity type cannot be inserted: Flow Definition", []
            )
        else:
            raise not_found()
        return Reply(201, {"id": id, "success": True, "errors": [], "warnings": [], "infos": []})

    def tooling_update(self, request: Request, v: str, sobject: str, id: str) -> Reply:
        """``PATCH /tooling/sobjects/FlowDefinition/{id}``: activate or deactivate; 204."""
        if self.backend.tooling_schema.canonical_object(sobject) != "FlowDefinition":
            raise SalesforceError(
                "INVALID_TYPE", f"entity type cannot be updated through this call: {sobject}", []
            )
        flows.activate_flow(self.backend, id, request.json_object())
        return Reply(204)

    def tooling_delete(self, request: Request, v: str, sobject: str, id: str) -> Reply:
        """``DELETE /tooling/sobjects/Flow/{id}``: delete a flow version that is not active;
        204. The other tooling objects here list no DELETE."""
        if self.backend.tooling_schema.canonical_object(sobject) != "Flow":
            raise SalesforceError(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method 'DELETE' not allowed. Allowed are GET,HEAD,PATCH,POST ({sobject})",
                [],
                status=405,
            )
        flows.delete_flow(self.backend, id)
        return Reply(204)

    def tooling_read(self, request: Request, v: str, sobject: str, id: str) -> Reply:
        """``GET /tooling/sobjects/{CustomField|CustomObject|Flow|FlowDefinition}/{id}``."""
        name = self.backend.tooling_schema.canonical_object(sobject)
        full = normalize_id(id)
        row = None if name is None or full is None else self.backend.tooling[name].get(full)
        if row is None or name is None:
            raise not_found()
        return Reply(
            body={
                "attributes": {
                    "type": name,
                    "url": f"/services/data/v{v}/tooling/sobjects/{name}/{row['Id']}",
                },
                **row,
            }
        )


_SINGLE_ROW_FIELDS: Final = frozenset({"metadata", "fullname"})
"""Tooling fields a query may select only when it returns at most one row."""


class _RollBack(Exception):
    """Raised inside a transaction to undo an all-or-none request."""


def _halted(ref: str) -> dict[str, Any]:
    return {
        "body": [
            {
                "errorCode": "PROCESSING_HALTED",
                "message": "The transaction was rolled back since another operation in the same"
                " transaction failed.",
            }
        ],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": ref,
    }


_TOOLING_URL: Final = re.compile(r"/services/data/v[^/]+/tooling/(?:sobjects|query)(?:/|$)")
"""What a Tooling composite subrequest may name: a Tooling sObject or query resource."""


def _tooling_query(sub: object) -> bool:
    url = str(sub.get("url") or "") if isinstance(sub, dict) else ""
    return re.match(r"/services/data/v[^/]+/tooling/query(?:/|\?|$)", url) is not None


def _not_tooling(ref: str, url: str) -> dict[str, Any]:
    return {
        "body": [
            {
                "errorCode": "NOT_FOUND",
                "message": "The Tooling composite resource runs only Tooling sObject and query"
                f" requests (/services/data/vXX.X/tooling/sobjects/..., .../tooling/query): {url}",
            }
        ],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": ref,
    }


_REFERENCE: Final = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")


def _resolve(match: re.Match[str], results: Mapping[str, Any]) -> str:
    ref, path = match.group(1), match.group(2)
    if ref not in results:
        raise SalesforceError(
            "PROCESSING_HALTED",
            f"Invalid reference specified. No value for {ref}{path} found in {ref}."
            " Provided referenceId ('{ref}') must be valid.",
        )
    value: Any = results[ref]
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = step
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            raise SalesforceError(
                "PROCESSING_HALTED",
                f"Invalid reference specified. No value for {ref}{path} found in {ref}.",
            ) from None
    return str(value)


def _substitute(text: str, results: Mapping[str, Any]) -> str:
    return _REFERENCE.sub(lambda m: _resolve(m, results), text)


def _substitute_json(value: Any, results: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return _substitute(value, results)
    if isinstance(value, list):
        return [_substitute_json(v, results) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_json(v, results) for k, v in value.items()}
    return value


def _record_type(record: Any) -> str:
    if not isinstance(record, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "a record must be a JSON object")
    attributes = record.get("attributes")
    kind = attributes.get("type") if isinstance(attributes, dict) else None
    if not kind:
        raise SalesforceError("INVALID_TYPE", "Must send a concrete entity type.", [])
    return str(kind)


def _fields(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes"}


def _batch_size(options: str) -> int:
    found = re.search(r"batchSize\s*=\s*(\d+)", options)
    if found is None:
        return MAX_BATCH
    return max(MIN_BATCH, min(MAX_BATCH, int(found.group(1))))


def _multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], bytes]:
    """The JSON entity part and the binary part of a multipart ContentVersion insert."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if found is None:
        raise SalesforceError("INVALID_MULTIPART_REQUEST", "multipart boundary missing")
    delimiter = b"--" + found.group(1).encode()
    values: dict[str, Any] | None = None
    data: bytes | None = None
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = head.decode("latin-1").lower()
        name = re.search(r'name="([^"]+)"', headers)
        part_name = name.group(1) if name else ""
        if part_name.startswith("entity_") or ("application/json" in headers and values is None):
            try:
                parsed = json.loads(content or b"{}")
            except ValueError:
                raise SalesforceError("JSON_PARSER_ERROR", "the entity part is not JSON") from None
            if not isinstance(parsed, dict):
                raise SalesforceError("JSON_PARSER_ERROR", "the entity part is not an object")
            values = parsed
        elif part_name.lower() == "versiondata" or data is None:
            data = content
    if values is None or data is None:
        raise SalesforceError(
            "INVALID_MULTIPART_REQUEST",
            "a multipart insert needs an entity_content JSON part and a VersionData part",
        )
    values.pop("VersionData", None)
    return values, data


def _parts(body: bytes, content_type: str) -> list[tuple[str, str, bytes]]:
    """The parts of a multipart body: ``(name, headers lower-cased, content)``; the name is
    kept as sent."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if found is None:
        raise SalesforceError("INVALID_MULTIPART_REQUEST", "multipart boundary missing")
    delimiter = b"--" + found.group(1).encode()
    out: list[tuple[str, str, bytes]] = []
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = head.decode("latin-1")
        name = re.search(r'name="([^"]+)"', headers)
        out.append((name.group(1) if name else "", headers.lower(), content))
    return out


def _json_parts(parts: list[tuple[str, str, bytes]]) -> list[dict[str, Any]]:
    """The JSON object parts (``application/json``) of a multipart body."""
    out = []
    for _, headers, content in parts:
        if "application/json" not in headers:
            continue
        try:
            parsed = json.loads(content or b"{}")
        except ValueError:
            raise SalesforceError("JSON_PARSER_ERROR", "the JSON part is not JSON") from None
        if isinstance(parsed, dict):
            out.append(parsed)
    return out


def b64(data: bytes) -> str:
    """Base64 text of ``data`` (what a JSON blob insert carries)."""
    return base64.b64encode(data).decode()
