"""The Salesforce emulator's state (moto's "backend"): sObject rows, metadata, files and writes.

:class:`SalesforceBackend` keeps every record as a row: a dict keyed by canonical field names
holding what the REST API sends (datetimes as ``2024-01-02T03:04:05.000+0000``, dates as
``2024-01-02``). Writes go through one path (:meth:`SalesforceBackend.insert`,
:meth:`~SalesforceBackend.update`, :meth:`~SalesforceBackend.delete`,
:meth:`~SalesforceBackend.upsert`) that checks them as Salesforce does and keeps the audit
fields on the emulator's clock. :class:`OrgSchema` is what the SOQL engine reads through.
Time is the seeded desk's "now" (one year after the dataset's start) moving with the clock.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import attrs

from cemigrate.sandbox.dataset import DEFAULT_START
from cemigrate.sandbox.http import SandboxClock
from cemigrate.sandbox.salesforce.exceptions import MultipleMatches, SalesforceError, not_found
from cemigrate.sandbox.salesforce.objects import (
    ANY,
    AUDIT_OBJECTS,
    CLOSED_STATUSES,
    PERSON_ACCOUNT_FIELDS,
    PERSON_TO_CONTACT,
    FieldSpec,
    SObjectSpec,
    custom_object,
    enable_person_accounts,
    standard_objects,
)

__all__ = [
    "MAX_JSON_BLOB_BYTES",
    "MAX_MULTIPART_BLOB_BYTES",
    "OrgSchema",
    "Row",
    "SalesforceBackend",
    "make_id",
    "normalize_id",
    "sf_date",
    "sf_datetime",
]

Row = dict[str, Any]

MAX_JSON_BLOB_BYTES: Final = 37_500_000
"""Largest file a JSON (base64) ``VersionData`` insert accepts (37.5 MB)."""
MAX_JSON_BODY_BYTES: Final = 50 * 1024 * 1024
"""Largest non-multipart request body (50 MB of text)."""
MAX_MULTIPART_BLOB_BYTES: Final = 2 * 1024 * 1024 * 1024
"""Largest ContentVersion file in a multipart insert (2 GB)."""
ORG_ID: Final = "00D5g000004SbxAEAS"

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE: Final = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FILE_TYPES: Final = {
    "pdf": "PDF",
    "png": "PNG",
    "jpg": "JPG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "txt": "TEXT",
    "csv": "CSV",
    "log": "TEXT",
    "json": "JSON",
    "xml": "XML",
    "html": "HTML",
    "zip": "ZIP",
    "docx": "WORD_X",
    "xlsx": "EXCEL_X",
    "eml": "EMAIL",
}


def _checksum_suffix(base: str) -> str:
    out = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(base[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        out += _SUFFIX[bits]
    return out


def make_id(prefix: str, number: int) -> str:
    """The 18-character id of the ``number``-th record with key prefix ``prefix``."""
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = _ALPHABET[rest] + digits
    base = f"{prefix}5g0{digits}"
    return base + _checksum_suffix(base)


def normalize_id(value: object) -> str | None:
    """An id given as 15 or 18 characters, as its canonical 18 characters; None if malformed.

    The 18-character form is case-safe: its suffix restores the case of the first 15.
    """
    if not isinstance(value, str) or not _ID_RE.match(value):
        return None
    if len(value) == 15:
        return value + _checksum_suffix(value)
    suffix = value[15:].upper()
    chars = list(value[:15])
    for chunk, char in enumerate(suffix):
        index = _SUFFIX.find(char)
        if index < 0:
            return None
        for position in range(5):
            i = chunk * 5 + position
            chars[i] = chars[i].upper() if index & (1 << position) else chars[i].lower()
    base = "".join(chars)
    return base + _checksum_suffix(base)


def sf_datetime(moment: datetime | None) -> str | None:
    """Salesforce's datetime format: ``2024-01-02T03:04:05.000+0000``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def sf_date(day: date | None) -> str | None:
    """Salesforce's date format: ``2024-01-02``."""
    return None if day is None else day.isoformat()


def parse_datetime(text: str) -> datetime:
    """Read an ISO 8601 datetime as clients send it (``Z``, ``+0000`` or ``+00:00``)."""
    value = text.strip().replace("Z", "+00:00")
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class OrgSchema:
    """The org's metadata and rows, as the SOQL engine's ``Schema`` protocol reads them."""

    def __init__(self, backend: SalesforceBackend, objects: Mapping[str, SObjectSpec]) -> None:
        self.backend = backend
        self.objects = objects

    def rows(self, sobject: str) -> list[Row]:
        """Every live row of an object (semi-joins read them)."""
        if self.objects is self.backend.tooling_objects:
            return [r for r in self.backend.tooling[sobject].values() if not r["IsDeleted"]]
        return self.backend.table(sobject)

    def spec(self, sobject: str) -> SObjectSpec | None:
        """The object called ``sobject`` (case-insensitive)."""
        name = self.canonical_object(sobject)
        return None if name is None else self.objects[name]

    def canonical_object(self, sobject: str) -> str | None:
        """The object's API name as declared, or None if the org has no such object."""
        if sobject in self.objects:
            return sobject
        lowered = sobject.lower()
        return next((name for name in self.objects if name.lower() == lowered), None)

    def canonical_field(self, sobject: str, field: str) -> str | None:
        """The field's API name as declared, or None."""
        spec = self.spec(sobject)
        found = None if spec is None else spec.field(field)
        return None if found is None else found.name

    def field_type(self, sobject: str, field: str) -> str | None:
        """The field's describe type (``string``, ``datetime``, ``reference``, ...)."""
        spec = self.spec(sobject)
        found = None if spec is None else spec.field(field)
        return None if found is None else found.type

    def relationship(self, sobject: str, name: str) -> tuple[str, str] | None:
        """``(lookup field, target object)`` of the relationship ``name`` on ``sobject``."""
        spec = self.spec(sobject)
        found = None if spec is None else spec.relationship(name)
        if found is None:
            return None
        targets = found.reference_to
        target = "Name" if targets == (ANY,) else targets[0]
        return found.name, target

    def children_of(self, sobject: str) -> list[tuple[str, FieldSpec]]:
        """``(child object, lookup)`` of every child relationship naming ``sobject``."""
        return [
            (child.name, field)
            for child in self.objects.values()
            for field in child.fields.values()
            if field.child_relationship
            and (sobject in field.reference_to or field.reference_to == (ANY,))
        ]

    def child_relationship(self, sobject: str, name: str) -> tuple[str, str, str] | None:
        """``(child object, lookup field, relationship name)`` of the child relationship
        ``name`` of ``sobject`` (``CaseComments`` of ``Case``), or None (SOQL sub-selects)."""
        lowered = name.lower()
        return next(
            (
                (child, field.name, str(field.child_relationship))
                for child, field in self.children_of(sobject)
                if str(field.child_relationship).lower() == lowered
            ),
            None,
        )

    def get(self, sobject: str, id: str) -> Mapping[str, Any] | None:
        """The row with ``id`` (any object: polymorphic lookups are resolved by key prefix)."""
        if self.objects is self.backend.tooling_objects:
            full = normalize_id(id)
            return None if full is None else self.backend.tooling.get(sobject, {}).get(full)
        return self.backend.find_row(id)

    def url(self, sobject: str, id: str) -> str:
        """The record's REST path."""
        version = self.backend.api_version
        if self.objects is self.backend.tooling_objects:
            return f"/services/data/v{version}/tooling/sobjects/{sobject}/{id}"
        name = self.backend.object_of(id) or sobject
        return f"/services/data/v{version}/sobjects/{name}/{id}"


class SalesforceBackend:
    """One emulated org: metadata, rows, files, and the single write path."""

    def __init__(
        self,
        *,
        clock: SandboxClock,
        audit_fields: bool = True,
        api_version: str = "59.0",
        username: str = "admin@demo.example",
        seeder: Callable[[SalesforceBackend], None] | None = None,
        deploy_flows_active: bool = False,
        entitlements_enabled: bool = True,
        person_accounts: bool = False,
    ) -> None:
        self.clock = clock
        self.person_accounts = person_accounts
        """The org has Person Accounts (Account's describe has ``IsPersonAccount``)."""
        self.audit_fields = audit_fields
        self.deploy_flows_active = deploy_flows_active
        self.entitlements_enabled = entitlements_enabled
        """The org has Entitlement Management: entitlement processes, milestone types and
        entitlements exist (``metadata.py``)."""
        """The org setting "Deploy processes and flows as active": a flow may be saved Active."""
        self.api_version = api_version
        self.username = username
        self.lock = threading.RLock()
        """Held while a request reads or writes the state (server threads share it)."""
        self._seeder = seeder
        self._started = clock.monotonic()
        self.epoch = DEFAULT_START + timedelta(days=365)
        """The org's "now" at construction (the seeded desk's now)."""
        self.reset()

    # --- state -------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the freshly seeded state."""
        self.objects: dict[str, SObjectSpec] = standard_objects()
        if self.person_accounts:
            enable_person_accounts(self.objects)
        self.person_record_type: str | None = None
        """The Person Account record type's id (with Person Accounts)."""
        self.rows: dict[str, dict[str, Row]] = {name: {} for name in self.objects}
        self.blobs: dict[str, bytes | Callable[[], bytes]] = {}
        """ContentVersion id → its bytes (or a function that rebuilds them)."""
        self._pending_checksums: set[str] = set()
        self._prefixes: dict[str, str] = {s.key_prefix: n for n, s in self.objects.items()}
        self._counters: dict[str, itertools.count[int]] = {}
        self._indexes: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._templates: dict[tuple[str, int, int], Row] = {}
        self._case_numbers = itertools.count(1001)
        self._undo: list[Callable[[], None]] | None = None
        self.tooling: dict[str, dict[str, Row]] = {name: {} for name in _TOOLING_OBJECTS}
        self.tooling_objects = _tooling_objects()
        self.schema = OrgSchema(self, self.objects)
        """The org's metadata and rows for the SOQL engine."""
        self.tooling_schema = OrgSchema(self, self.tooling_objects)
        """Tooling API objects (``CustomField``, ``CustomObject``, ``Flow``,
        ``FlowDefinition``) for the SOQL engine."""
        self._custom_prefixes = (f"a0{c}" for c in _ALPHABET[1:])
        self.record_type_values: dict[str, dict[str, tuple[str, ...]]] = {}
        """Record type id → picklist field → the values available for that record type (a
        field not named offers all its values)."""
        self.admin_id = self._setup()
        """The API user every call runs as (a System Administrator)."""
        self.metadata: dict[str, dict[str, Any]] = {}
        """Metadata API components by type, then lower-cased full name (``metadata.py``)."""
        if self._seeder is not None:
            self._seeder(self)
        if not self.entitlements_enabled:
            for name in ("SlaProcess", "MilestoneType", "Entitlement", "CaseMilestone"):
                self.objects.pop(name, None)
                self.rows.pop(name, None)

    def _setup(self) -> str:
        """Setup data every org has: the org, profiles, the API admin user, record types."""
        self.put(
            "Organization",
            {
                "Name": "Cemigrate Demo",
                "IsSandbox": False,
                "OrganizationType": "Enterprise Edition",
                "InstanceName": "NA1",
            },
            id=ORG_ID,
        )
        self.profiles: dict[str, str] = {}
        for name, kind in (
            ("System Administrator", "Standard"),
            ("Standard User", "Standard"),
            ("Custom: Support Profile", "Standard"),
            ("Read Only", "Standard"),
        ):
            self.profiles[name] = self.put("Profile", {"Name": name, "UserType": kind})
        admin = self.put(
            "User",
            {
                "Username": self.username,
                "FirstName": "API",
                "LastName": "Admin",
                "Email": self.username,
                "Alias": "apiadmin",
                "ProfileId": self.profiles["System Administrator"],
                "IsActive": True,
                "UserType": "Standard",
            },
        )
        for objects in self.rows.values():
            for row in objects.values():
                row["CreatedById"] = row["LastModifiedById"] = admin
        if self.person_accounts:
            self.put(
                "RecordType",
                {
                    "Name": "Business Account",
                    "DeveloperName": "Business_Account",
                    "SobjectType": "Account",
                    "IsActive": True,
                    "IsPersonType": False,
                },
                created_by=admin,
            )
            self.person_record_type = self.put(
                "RecordType",
                {
                    "Name": "Person Account",
                    "DeveloperName": "PersonAccount",
                    "SobjectType": "Account",
                    "IsActive": True,
                    "IsPersonType": True,
                },
                created_by=admin,
            )
        self.put(
            "AssignmentRule",
            {"Name": "Standard Case Assignment", "Active": True, "SobjectType": "Case"},
            created_by=admin,
        )
        return admin

    def now(self) -> datetime:
        """The org's current time: its epoch plus the time passed on the clock."""
        return self.epoch + timedelta(seconds=self.clock.monotonic() - self._started)

    def new_id(self, prefix: str) -> str:
        """A fresh id with ``prefix``."""
        counter = self._counters.setdefault(prefix, itertools.count(1))
        return make_id(prefix, next(counter))

    def object_of(self, id: str) -> str | None:
        """The object an id belongs to, by its key prefix."""
        return self._prefixes.get(id[:3])

    def find_row(self, id: str) -> Row | None:
        """The row with ``id`` (15 or 18 characters) in whatever object, deleted or not."""
        full = normalize_id(id)
        name = None if full is None else self.object_of(full)
        if full is None or name is None:
            return None
        row = self.rows[name].get(full)
        if row is not None and name == "ContentVersion":
            self._fill_checksum(full, row)
        return row

    def spec(self, sobject: str) -> SObjectSpec:
        """The object called ``sobject`` or ``NOT_FOUND`` (as ``/sobjects/Foo`` answers)."""
        found = self.schema.spec(sobject)
        if found is None:
            raise not_found()
        return found

    def table(self, sobject: str, *, include_deleted: bool = False) -> list[Row]:
        """The rows of an object as SOQL reads them (without ``IsDeleted`` ones by default)."""
        name = self.spec(sobject).name
        if name == "ContentVersion":
            for id in list(self._pending_checksums):
                self._fill_checksum(id, self.rows[name][id])
        rows = self.rows[name].values()
        return list(rows) if include_deleted else [r for r in rows if not r["IsDeleted"]]

    def blob(self, version_id: str) -> bytes:
        """The bytes of a ContentVersion."""
        data = self.blobs[version_id]
        if callable(data):
            data = data()
        return data

    def mark_checksum_pending(self, version_id: str) -> None:
        """Compute this seeded ContentVersion's ``Checksum`` when it is first read."""
        self._pending_checksums.add(version_id)

    def _fill_checksum(self, id: str, row: Row) -> None:
        if id in self._pending_checksums:
            self._pending_checksums.discard(id)
            row["Checksum"] = hashlib.md5(self.blob(id), usedforsecurity=False).hexdigest()

    # --- direct writes (setup and seeding: no checks) ------------------------------------

    def put(
        self,
        sobject: str,
        values: Mapping[str, Any],
        *,
        id: str | None = None,
        created: str | None = None,
        modified: str | None = None,
        created_by: str | None = None,
        deleted: bool = False,
    ) -> str:
        """Store a row as given (seeding: no checks, audit fields from the arguments)."""
        spec = self.objects[sobject]
        new_id = id or self.new_id(spec.key_prefix)
        stamp = created or sf_datetime(self.now())
        by = created_by or getattr(self, "admin_id", None)
        row: Row = self._template(spec).copy()
        row.update(values)
        row["Id"] = new_id
        row["IsDeleted"] = deleted
        row["CreatedDate"] = stamp
        row["LastModifiedDate"] = modified or stamp
        row["SystemModstamp"] = modified or stamp
        row["CreatedById"] = by
        row["LastModifiedById"] = row.get("LastModifiedById") or by
        if "OwnerId" in spec.fields and row.get("OwnerId") is None:
            row["OwnerId"] = by
        self._derive(sobject, row)
        self.rows[sobject][new_id] = row
        self._index_add(sobject, row)
        return new_id

    def _template(self, spec: SObjectSpec) -> Row:
        """A new row of ``spec``: every field, booleans false, defaults set (cached until a
        field is added or replaced)."""
        key = (spec.name, spec.revision, len(spec.fields))
        template = self._templates.get(key)
        if template is None:
            template = dict.fromkeys(spec.fields)
            for name, field in spec.fields.items():
                if field.type == "boolean":
                    template[name] = bool(field.default)
                elif field.default is not None:
                    template[name] = field.default
            self._templates[key] = template
        return template

    def _derive(self, sobject: str, row: Row) -> None:
        """Fields Salesforce computes: names, case numbers, closed flags."""
        if sobject in ("Contact", "User"):
            row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
        elif sobject == "Case":
            if row.get("CaseNumber") is None:
                row["CaseNumber"] = f"{next(self._case_numbers):08d}"
            row["IsClosed"] = row.get("Status") in CLOSED_STATUSES
        elif sobject == "Group" and not row.get("DeveloperName") and row.get("Name"):
            row["DeveloperName"] = re.sub(r"\W+", "_", str(row["Name"])).strip("_")

    # --- indexes (unique and external id fields) ---------------------------------------

    def _indexed(self, sobject: str) -> list[str]:
        spec = self.objects[sobject]
        return [f.name for f in spec.fields.values() if f.external_id or f.unique]

    def _key(self, value: Any, spec: FieldSpec) -> str:
        text = str(value)
        return text if spec.case_sensitive else text.lower()

    def _index(self, sobject: str, field: str) -> dict[str, set[str]]:
        key = (sobject, field)
        index = self._indexes.get(key)
        if index is None:
            spec = self.objects[sobject].fields[field]
            index = {}
            for row in self.rows[sobject].values():
                if row.get(field) not in (None, "") and not row["IsDeleted"]:
                    index.setdefault(self._key(row[field], spec), set()).add(row["Id"])
            self._indexes[key] = index
        return index

    def _index_add(self, sobject: str, row: Row) -> None:
        if row["IsDeleted"]:
            return
        for field in self._indexed(sobject):
            if (sobject, field) in self._indexes and row.get(field) not in (None, ""):
                spec = self.objects[sobject].fields[field]
                self._indexes[(sobject, field)].setdefault(self._key(row[field], spec), set()).add(
                    row["Id"]
                )

    def _index_remove(self, sobject: str, row: Row) -> None:
        for field in self._indexed(sobject):
            index = self._indexes.get((sobject, field))
            if index is not None and row.get(field) not in (None, ""):
                spec = self.objects[sobject].fields[field]
                index.get(self._key(row[field], spec), set()).discard(row["Id"])

    def matches(self, sobject: str, field: str, value: Any) -> list[str]:
        """Ids of live records whose ``field`` equals ``value`` (external ids: any case)."""
        spec = self.objects[sobject].fields[field]
        if field == "Id":
            full = normalize_id(value)
            row = None if full is None else self.rows[sobject].get(full)
            return [] if row is None or row["IsDeleted"] else [row["Id"]]
        if spec.external_id or spec.unique:
            return sorted(self._index(sobject, field).get(self._key(value, spec), set()))
        wanted = self._key(value, spec)
        return [
            row["Id"]
            for row in self.rows[sobject].values()
            if not row["IsDeleted"]
            and row.get(field) is not None
            and self._key(row[field], spec) == wanted
        ]

    # --- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every write made inside if an exception leaves the block (``allOrNone``)."""
        outer = self._undo
        mine: list[Callable[[], None]] = []
        self._undo = mine
        try:
            yield
        except BaseException:
            for undo in reversed(mine):
                undo()
            self._indexes.clear()
            mine.clear()
            raise
        finally:
            self._undo = outer
            if outer is not None:
                outer.extend(mine)

    def undoable(self, undo: Callable[[], None]) -> None:
        """Have ``undo`` run if the open transaction rolls back (a setup create inside an
        all-or-none composite request); nothing outside a transaction."""
        if self._undo is not None:
            self._undo.append(undo)

    def _remember(self, sobject: str, id: str) -> None:
        if self._undo is None:
            return
        table = self.rows[sobject]
        old = table.get(id)
        saved = None if old is None else dict(old)
        blob = self.blobs.get(id) if sobject == "ContentVersion" else None

        def undo() -> None:
            if saved is None:
                table.pop(id, None)
                self.blobs.pop(id, None)
            else:
                table[id] = saved
                if blob is not None:
                    self.blobs[id] = blob

        self._undo.append(undo)

    # --- the checked write path ----------------------------------------------------------

    def insert(self, sobject: str, values: Mapping[str, Any]) -> str:
        """Create a record as ``POST /sobjects/X`` does; raise :class:`SalesforceError`."""
        spec = self.spec(sobject)
        if not spec.createable:
            raise SalesforceError(
                "INVALID_TYPE", f"entity type cannot be inserted: {spec.label}", []
            )
        if spec.name == "ContentVersion":
            return self.insert_version(values)
        clean = self.clean(spec, values, insert=True)
        self._check_record_type(spec, clean, None)
        if spec.name == "Account" and self.person_accounts:
            person = self.is_person_type(clean.get("RecordTypeId"))
            required = "LastName" if person else "Name"
            if clean.get(required) in (None, ""):
                raise SalesforceError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{required}]",
                    [required],
                )
            if not person:
                given = [n for n in PERSON_ACCOUNT_FIELDS if clean.get(n) not in (None, False)]
                if given:
                    raise SalesforceError(
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Business Account may not use Person Account field {given[0]}",
                        [given[0]],
                    )
        id = self._store(spec, clean)
        if spec.name == "Account" and self.is_person_type(clean.get("RecordTypeId")):
            self.make_person(self.rows["Account"][id])
        return id

    # --- Person Accounts -----------------------------------------------------------------

    def person_twins(self) -> None:
        """With Person Accounts, each Contact custom field ``X__c`` is on Account as
        ``X__pc`` too (Object Reference: Account, "Person Account fields": a person account
        shows its person contact's custom fields with the ``__pc`` suffix)."""
        if not self.person_accounts:
            return
        account = self.objects["Account"]
        for field in list(self.objects["Contact"].fields.values()):
            twin = field.name[:-3] + "__pc"
            if field.custom and field.name.endswith("__c") and account.field(twin) is None:
                account.add(attrs.evolve(field, name=twin, required=False, nillable=True))
                for row in self.rows["Account"].values():
                    row[twin] = False if field.type == "boolean" else None

    def is_person_type(self, record_type: Any) -> bool:
        """Whether a RecordTypeId names the Person Account record type."""
        return bool(record_type) and normalize_id(record_type) == self.person_record_type

    def make_person(self, account: Row) -> None:
        """What Salesforce does for a Person Account: its Name is the person's name, and a
        Contact holds the person (``IsPersonAccount``, ``AccountId`` the account), named by
        ``PersonContactId``; its fields follow the account's person fields (Object
        Reference: Account, Person Accounts)."""
        account["IsPersonAccount"] = True
        account["Name"] = " ".join(
            str(p) for p in (account.get("FirstName"), account.get("LastName")) if p
        )
        values = {twin: account.get(name) for name, twin in PERSON_TO_CONTACT.items()}
        values.update(  # the contact's custom fields, shown on the account as X__pc
            {n[:-4] + "__c": v for n, v in account.items() if n.endswith("__pc")}
        )
        contact_id = account.get("PersonContactId")
        if contact_id is None:
            contact_id = self.new_id(self.objects["Contact"].key_prefix)
            self._remember("Contact", contact_id)
            self.put(
                "Contact",
                {**values, "AccountId": account["Id"], "IsPersonAccount": True},
                id=contact_id,
                created=account["CreatedDate"],
                created_by=account["CreatedById"],
            )
            account["PersonContactId"] = contact_id
        else:
            contact = self.rows["Contact"][contact_id]
            self._remember("Contact", contact_id)
            self._index_remove("Contact", contact)
            contact.update(values)
            self._derive("Contact", contact)
            contact["SystemModstamp"] = account["SystemModstamp"]
            self._index_add("Contact", contact)

    # --- record types ------------------------------------------------------------------

    def add_record_type(
        self,
        sobject: str,
        name: str,
        *,
        developer_name: str | None = None,
        values: Mapping[str, Sequence[str]] | None = None,
        active: bool = True,
        description: str | None = None,
        created: str | None = None,
    ) -> str:
        """A record type of ``sobject`` as an admin makes it in Setup (record types cannot be
        created over REST), with the picklist values it offers per field; its id."""
        spec = self.spec(sobject)
        for field, allowed in (values or {}).items():
            found = spec.field(field)
            if found is None or found.type not in ("picklist", "multipicklist"):
                raise ValueError(f"{sobject}.{field} is not a picklist")
            unknown = [v for v in allowed if v not in found.picklist]
            if unknown:
                raise ValueError(f"{sobject}.{field} has no value {unknown[0]!r}")
        id = self.put(
            "RecordType",
            {
                "Name": name,
                "DeveloperName": developer_name or re.sub(r"\W+", "_", name).strip("_"),
                "SobjectType": spec.name,
                "IsActive": active,
                "Description": description,
            },
            created=created,
        )
        offered: dict[str, tuple[str, ...]] = {}
        for field, allowed in (values or {}).items():
            found = spec.field(field)
            assert found is not None  # checked above
            offered[found.name] = tuple(allowed)
        self.record_type_values[id] = offered
        return id

    def picklist_values(
        self, record_type: str, spec: SObjectSpec, field: FieldSpec
    ) -> tuple[str, ...]:
        """The values of a picklist available for a record type (all of them for Master)."""
        offered = self.record_type_values.get(record_type, {}).get(field.name)
        return field.picklist if offered is None else offered

    def _check_record_type(
        self, spec: SObjectSpec, clean: Mapping[str, Any], row: Row | None
    ) -> None:
        """A record's ``RecordTypeId`` names an active record type of its object, and its
        restricted picklists hold values that record type offers: else
        ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, as a data load into a record type
        without the value fails (Gearset, "Data deployments and picklist errors")."""
        if "RecordTypeId" not in spec.fields:
            return
        record_type = (
            clean.get("RecordTypeId")
            if "RecordTypeId" in clean
            else (row or {}).get("RecordTypeId")
        )
        if not record_type:
            return
        if "RecordTypeId" in clean:
            found = self.rows["RecordType"].get(str(record_type))
            if found is None or found.get("SobjectType") != spec.name or not found.get("IsActive"):
                raise SalesforceError(
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"Record Type ID: this ID value isn't valid for the user: {record_type}",
                    ["RecordTypeId"],
                )
        offered = self.record_type_values.get(str(record_type), {})
        for name, allowed in offered.items():
            field = spec.fields[name]
            if not field.restricted:
                continue
            value = clean.get(name)
            if value in (None, ""):
                continue
            bad = [v for v in str(value).split(";") if v and v not in allowed]
            if bad:
                raise SalesforceError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{field.label}: bad value for restricted picklist field: {bad[0]}",
                    [field.name],
                )

    def _store(self, spec: SObjectSpec, clean: dict[str, Any]) -> str:
        now = sf_datetime(self.now())
        created = clean.pop("CreatedDate", None) or now
        created_by = clean.pop("CreatedById", None) or self.admin_id
        modified = clean.pop("LastModifiedDate", None) or now
        modified_by = clean.pop("LastModifiedById", None) or created_by
        if spec.name == "Case" and clean.get("Status") in CLOSED_STATUSES:
            clean.setdefault("ClosedDate", now)
        self._check_unique(spec, clean, None)
        if spec.name == "AccountContactRelation":
            self._check_relation(clean)
        id = self.new_id(spec.key_prefix)
        self._remember(spec.name, id)
        self.put(spec.name, clean, id=id, created=created, modified=modified, created_by=created_by)
        row = self.rows[spec.name][id]
        row["LastModifiedById"] = modified_by
        row["SystemModstamp"] = now
        if "OwnerId" in spec.fields and clean.get("OwnerId") is None:
            row["OwnerId"] = self.admin_id
        if spec.name == "Contact":
            self._relate_directly(row)
        return id

    # --- Contacts to Multiple Accounts ---------------------------------------------------

    def _relations(self, contact: str) -> list[Row]:
        return [
            r
            for r in self.rows["AccountContactRelation"].values()
            if r.get("ContactId") == contact and not r["IsDeleted"]
        ]

    def _check_relation(self, clean: Mapping[str, Any]) -> None:
        """A contact relates to an account once, and a private contact (no account of its own)
        to none."""
        contact = self.rows["Contact"].get(str(clean.get("ContactId")))
        if contact is None or not contact.get("AccountId"):
            raise SalesforceError(
                "FIELD_INTEGRITY_EXCEPTION",
                "You can't relate a private contact to an account.",
                ["ContactId"],
            )
        for other in self._relations(str(clean.get("ContactId"))):
            if other.get("AccountId") == clean.get("AccountId"):
                raise SalesforceError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: <unknown> duplicates value on record with id:"
                    f" {other['Id']}",
                    [],
                )

    def _relate_directly(self, contact: Row) -> None:
        """What Salesforce does when a Contact's ``AccountId`` is set: the relation to that
        account exists (made if missing) and is the direct one; others stay, indirect."""
        account = contact.get("AccountId")
        if not account or "AccountContactRelation" not in self.objects:
            return
        relations = self._relations(contact["Id"])
        if not any(r.get("AccountId") == account for r in relations):
            id = self.new_id(self.objects["AccountContactRelation"].key_prefix)
            self._remember("AccountContactRelation", id)
            self.put(
                "AccountContactRelation",
                {"AccountId": account, "ContactId": contact["Id"], "IsActive": True},
                id=id,
            )
            relations = self._relations(contact["Id"])
        for relation in relations:
            relation["IsDirect"] = relation.get("AccountId") == account

    def update(self, sobject: str, id: str, values: Mapping[str, Any]) -> None:
        """Change a record as ``PATCH /sobjects/X/id`` does."""
        spec = self.spec(sobject)
        row = self.live_row(spec, id)
        if not spec.updateable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be updated: {spec.label}", []
            )
        clean = self.clean(spec, values, insert=False)
        clean.pop("Id", None)
        self._check_record_type(spec, {**row, **clean} if "RecordTypeId" in clean else clean, row)
        self._check_unique(spec, clean, row["Id"])
        self._remember(spec.name, row["Id"])
        self._index_remove(spec.name, row)
        was_closed = row.get("IsClosed")
        row.update(clean)
        now = sf_datetime(self.now())
        row["LastModifiedDate"] = row["SystemModstamp"] = now
        row["LastModifiedById"] = self.admin_id
        self._derive(spec.name, row)
        if spec.name == "Account" and row.get("IsPersonAccount"):
            self.make_person(row)
        if spec.name == "Contact" and "AccountId" in clean:
            self._relate_directly(row)
        if spec.name == "Case":
            if row["IsClosed"] and not was_closed and "ClosedDate" not in clean:
                row["ClosedDate"] = now
            elif not row["IsClosed"]:
                row["ClosedDate"] = None
        self._index_add(spec.name, row)

    def delete(self, sobject: str, id: str) -> None:
        """Move a record to the recycle bin: kept with ``IsDeleted=true`` (``queryAll``)."""
        spec = self.spec(sobject)
        if not spec.deletable:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be deleted: {spec.label}", []
            )
        row = self.live_row(spec, id)
        self._soft_delete(spec.name, row)
        person = row.get("PersonContactId") if row.get("IsPersonAccount") else None
        if (
            person is not None
            and not self.rows["Contact"].get(person, {"IsDeleted": True})["IsDeleted"]
        ):  # a person account's contact goes with it (Object Reference: Person Accounts)
            self._soft_delete("Contact", self.rows["Contact"][person])
        for child, field in _CASCADES.get(spec.name, ()):
            for other in list(self.rows[child].values()):
                if other.get(field) == row["Id"] and not other["IsDeleted"]:
                    self._soft_delete(child, other)

    def _soft_delete(self, sobject: str, row: Row) -> None:
        self._remember(sobject, row["Id"])
        self._index_remove(sobject, row)
        row["IsDeleted"] = True
        row["SystemModstamp"] = sf_datetime(self.now())

    def upsert(
        self, sobject: str, field: str, value: str, values: Mapping[str, Any]
    ) -> tuple[str, bool]:
        """Create or update by external id; ``(id, created)``. Several matches → 300."""
        spec = self.spec(sobject)
        ext = spec.field(field)
        if ext is None or not ext.looks_up:
            raise not_found(
                f"Provided external ID field does not exist or is not accessible: {field}"
            )
        body = dict(values)
        given = next((k for k in body if k.lower() == ext.name.lower()), None)
        if given is not None and ext.name != "Id":
            if str(body[given]).lower() != str(value).lower():
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"The value provided for the external ID field {ext.name} does not match"
                    " the value in the request body",
                    [ext.name],
                )
            body.pop(given)
        ids = self.matches(spec.name, ext.name, value)
        if len(ids) > 1:
            raise MultipleMatches(ext.name, [self.schema.url(spec.name, i) for i in ids])
        if ids:
            self.update(spec.name, ids[0], body)
            return ids[0], False
        if ext.name == "Id":
            raise not_found("The requested resource does not exist")
        body[ext.name] = value
        return self.insert(spec.name, body), True

    def live_row(self, spec: SObjectSpec, id: str) -> Row:
        """The row ``id`` of ``spec`` or 404 (``NOT_FOUND`` / ``ENTITY_IS_DELETED``)."""
        full = normalize_id(id)
        row = None if full is None else self.rows[spec.name].get(full)
        if row is None:
            if full is None:
                raise not_found(
                    f"Provided external ID field does not exist or is not accessible: {id}"
                )
            raise not_found()
        if row["IsDeleted"]:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", [], status=404)
        if spec.name == "ContentVersion":
            self._fill_checksum(row["Id"], row)
        return row

    def _check_unique(self, spec: SObjectSpec, clean: Mapping[str, Any], own: str | None) -> None:
        for name, value in clean.items():
            field = spec.fields.get(name)
            if field is None or not field.unique or value in (None, ""):
                continue
            others = [i for i in self.matches(spec.name, name, value) if i != own]
            if others:
                raise SalesforceError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id:"
                    f" {others[0]}",
                    [],
                )

    def clean(
        self, spec: SObjectSpec, values: Mapping[str, Any], *, insert: bool
    ) -> dict[str, Any]:
        """Check and convert a write's values as Salesforce does; raise the first error."""
        clean: dict[str, Any] = {}
        fields: list[tuple[FieldSpec, Any]] = []
        for key, value in values.items():
            if key == "attributes":
                continue
            field = spec.field(key)
            if field is None:
                raise SalesforceError(
                    "INVALID_FIELD", f"No such column '{key}' on sobject of type {spec.name}", []
                )
            fields.append((field, value))
        refused = [
            f.name
            for f, _ in fields
            if (f.name != "Id" or insert) and not self._writable(spec, f, insert=insert)
        ]
        if refused:
            verb = "create" if insert else "update"
            raise SalesforceError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb}/update fields: {', '.join(refused)}. Please check the"
                " security settings of this field and verify that it is read/write for your"
                " profile or permission set.",
                refused,
            )
        for field, value in fields:
            clean[field.name] = self._convert(spec, field, value)
        if insert:
            missing = [
                f.name
                for f in spec.fields.values()
                if f.required and f.default is None and clean.get(f.name) in (None, "")
            ]
            if missing:
                raise SalesforceError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    missing,
                )
        else:
            emptied = [
                f.name
                for f in spec.fields.values()
                if f.required and f.name in clean and clean[f.name] in (None, "")
            ]
            if emptied:
                raise SalesforceError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(emptied)}]",
                    emptied,
                )
        return clean

    def _writable(self, spec: SObjectSpec, field: FieldSpec, *, insert: bool) -> bool:
        if field.audit:
            audit_ok = spec.custom or spec.name in AUDIT_OBJECTS or field.name == "ClosedDate"
            return insert and self.audit_fields and audit_ok and field.createable
        return field.createable if insert else field.updateable

    def _convert(self, spec: SObjectSpec, field: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        kind = field.type
        label = field.label
        if kind == "reference" or kind == "id":
            return self._reference(field, value)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise _json_error(value, "boolean")
        if kind in ("double", "currency", "percent", "int"):
            if isinstance(value, bool):
                raise _json_error(value, "double")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise _json_error(value, "double") from None
            return int(number) if kind == "int" else number
        if kind == "date":
            try:
                return date.fromisoformat(str(value)[:10]).isoformat()
            except ValueError:
                raise _json_error(value, "date") from None
        if kind == "datetime":
            try:
                return sf_datetime(parse_datetime(str(value)))
            except ValueError:
                raise _json_error(value, "datetime") from None
        if kind == "time":
            found = _TIME_RE.fullmatch(str(value))
            if found is None:
                raise _json_error(value, "time")
            hours, minutes, seconds = (int(found.group(i)) for i in (1, 2, 3))
            if hours > 23 or minutes > 59 or seconds > 59:
                raise _json_error(value, "time")
            return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{found.group(4) or '000'}Z"
        if kind == "base64":
            return value
        text = value if isinstance(value, str) else str(value)
        size = len(text.encode("utf-8")) if field.bytes_limit else len(text)
        if field.length and size > field.length:
            preview = text[:20] + ("(truncated)" if len(text) > 20 else "")
            raise SalesforceError(
                "STRING_TOO_LONG",
                f"{label}: data value too large: {preview} (max length={field.length})",
                [field.name],
            )
        if kind == "picklist" and field.restricted and text not in field.picklist:
            raise SalesforceError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{label}: bad value for restricted picklist field: {text}",
                [field.name],
            )
        if kind == "multipicklist" and field.restricted:
            bad = [v for v in text.split(";") if v and v not in field.picklist]
            if bad:
                raise SalesforceError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{label}: bad value for restricted picklist field: {bad[0]}",
                    [field.name],
                )
        if kind == "email" and text and not _EMAIL_RE.match(text):
            raise SalesforceError(
                "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {text}", [field.name]
            )
        return text

    def _reference(self, field: FieldSpec, value: Any) -> str | None:
        if value == "":
            return None
        full = normalize_id(value)
        target = None if full is None else self.object_of(full)
        allowed = field.reference_to
        if full is None or target is None or (allowed != (ANY,) and target not in allowed):
            raise SalesforceError(
                "MALFORMED_ID",
                f"{field.label}: id value of incorrect type: {value}",
                [field.name],
            )
        row = self.rows[target].get(full)
        if row is None or row["IsDeleted"]:
            raise SalesforceError(
                "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field.name]
            )
        return full

    # --- files ---------------------------------------------------------------------------

    def insert_version(self, values: Mapping[str, Any], data: bytes | None = None) -> str:
        """Insert a ContentVersion (JSON with base64 ``VersionData``, or ``data`` given).

        Creates its ContentDocument (or adds a version to ``ContentDocumentId``) and, with
        ``FirstPublishLocationId``, the ContentDocumentLink to that record.
        """
        spec = self.objects["ContentVersion"]
        body = dict(values)
        if data is None:
            encoded = next((body[k] for k in body if k.lower() == "versiondata"), None)
            if isinstance(encoded, str):
                try:
                    data = base64.b64decode(encoded, validate=True)
                except ValueError:
                    raise SalesforceError(
                        "JSON_PARSER_ERROR", "Illegal base64 character in VersionData", []
                    ) from None
                if len(data) > MAX_JSON_BLOB_BYTES:
                    raise SalesforceError(
                        "STRING_TOO_LONG",
                        "Version Data: data value too large: a file in a JSON body may be at"
                        " most 37.5 MB; send it as multipart",
                        ["VersionData"],
                    )
        else:
            body["VersionData"] = "(multipart)"
        clean = self.clean(spec, body, insert=True)
        for required in ("PathOnClient", "VersionData"):
            if clean.get(required) in (None, ""):
                raise SalesforceError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{required}]",
                    [required],
                )
        assert data is not None
        path = str(clean["PathOnClient"])
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        clean.update(
            VersionData=None,
            ContentSize=len(data),
            FileExtension=extension or None,
            FileType=_FILE_TYPES.get(extension, "UNKNOWN"),
            Checksum=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            IsLatest=True,
        )
        if not clean.get("Title"):
            clean["Title"] = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        location = clean.get("FirstPublishLocationId")
        document = clean.get("ContentDocumentId")
        if document is not None:
            versions = [
                r
                for r in self.rows["ContentVersion"].values()
                if r["ContentDocumentId"] == document and not r["IsDeleted"]
            ]
            for old in versions:
                self._remember("ContentVersion", old["Id"])
                old["IsLatest"] = False
            clean["VersionNumber"] = str(len(versions) + 1)
        else:
            clean["VersionNumber"] = "1"
        version_id = self._store(spec, clean)
        row = self.rows["ContentVersion"][version_id]
        row["VersionData"] = self.version_data_url(version_id)
        self.blobs[version_id] = data
        doc_values = {
            "Title": row["Title"],
            "FileExtension": row["FileExtension"],
            "FileType": row["FileType"],
            "ContentSize": row["ContentSize"],
            "LatestPublishedVersionId": version_id,
        }
        if document is None:
            document = self.new_id("069")
            self._remember("ContentDocument", document)
            self.put(
                "ContentDocument",
                doc_values,
                id=document,
                created=row["CreatedDate"],
                created_by=row["CreatedById"],
            )
            row["ContentDocumentId"] = document
            if location is not None:
                self._store(
                    self.objects["ContentDocumentLink"],
                    {
                        "ContentDocumentId": document,
                        "LinkedEntityId": location,
                        "ShareType": "I",
                        "Visibility": "AllUsers",
                    },
                )
        else:
            self._remember("ContentDocument", document)
            self.rows["ContentDocument"][document].update(doc_values)
        return version_id

    def version_data_url(self, version_id: str) -> str:
        """The REST path that streams a ContentVersion's bytes."""
        return (
            f"/services/data/v{self.api_version}/sobjects/ContentVersion/{version_id}/VersionData"
        )

    # --- setup: custom fields and objects (Tooling API) ----------------------------------

    def create_custom_field(self, full_name: str, metadata: Mapping[str, Any]) -> str:
        """Add a custom field as ``POST /tooling/sobjects/CustomField`` does."""
        table, _, field_name = full_name.partition(".")
        spec = self.schema.spec(table)
        if spec is None or not field_name:
            raise SalesforceError("INVALID_FIELD", f"Invalid full name: {full_name}", ["FullName"])
        if not field_name.endswith("__c"):
            raise SalesforceError(
                "INVALID_FIELD",
                f"Custom field names must end with __c: {full_name}",
                ["FullName"],
            )
        developer = field_name[:-3]
        if spec.field(field_name) is not None:
            raise SalesforceError(
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already a field named {developer} on {spec.label}.",
                [],
            )
        field = _field_from_metadata(field_name, metadata, self.objects)
        spec.add(field)
        for row in self.rows[spec.name].values():
            row[field.name] = False if field.type == "boolean" else None
        if spec.name == "Contact":
            self.person_twins()
        id = self.new_id("00N")
        self.tooling["CustomField"][id] = _tooling_row(
            self,
            id,
            {
                "DeveloperName": developer,
                "TableEnumOrId": spec.id or spec.name,
                "FullName": f"{spec.name}.{field_name}",
                "NamespacePrefix": None,
                "Description": metadata.get("description"),
                "Length": field.length or None,
            },
        )

        def undo() -> None:
            self.delete_custom_field(f"{spec.name}.{field_name}")

        self.undoable(undo)
        return id

    def delete_custom_field(self, full_name: str) -> bool:
        """Remove a custom field as ``deleteMetadata`` of a ``CustomField`` does: it leaves
        describe, SOQL and every record's values (a Person Account's ``__pc`` twin with it);
        False when the org has no such custom field."""
        table, _, field_name = full_name.partition(".")
        spec = self.schema.spec(table)
        field = None if spec is None else spec.field(field_name)
        if spec is None or field is None or not field.custom:
            return False
        names = [field.name]
        if spec.name == "Contact" and self.person_accounts:
            names.append(field.name[:-3] + "__pc")
        for owner, name in zip([spec, self.objects["Account"]], names, strict=False):
            if owner.remove(name) is not None:
                for row in self.rows[owner.name].values():
                    row.pop(name, None)
        fields = self.tooling["CustomField"]
        for id, row in list(fields.items()):
            if str(row["FullName"]).lower() == f"{spec.name}.{field.name}".lower():
                del fields[id]
        return True

    def create_custom_object(self, full_name: str, metadata: Mapping[str, Any]) -> str:
        """Add a custom object as ``POST /tooling/sobjects/CustomObject`` does."""
        if not full_name.endswith("__c") or "." in full_name:
            raise SalesforceError(
                "INVALID_FIELD",
                f"Custom object names must end with __c: {full_name}",
                ["FullName"],
            )
        developer = full_name[:-3]
        if self.schema.spec(full_name) is not None:
            raise SalesforceError(
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already an object named {developer}.",
                [],
            )
        label = str(metadata.get("label") or developer.replace("_", " "))
        prefix = next(self._custom_prefixes)
        id = self.new_id("01I")
        spec = custom_object(full_name, prefix, label, metadata.get("nameField") or {})
        spec.id = id
        self.objects[full_name] = spec
        self.rows[full_name] = {}
        self._prefixes[prefix] = full_name
        self.tooling["CustomObject"][id] = _tooling_row(
            self,
            id,
            {
                "DeveloperName": developer,
                "FullName": full_name,
                "NamespacePrefix": None,
                "ExternalName": None,
                "SharingModel": metadata.get("sharingModel", "ReadWrite"),
            },
        )

        def undo() -> None:
            for table in (self.objects, self.rows):
                table.pop(full_name, None)
            self._prefixes.pop(prefix, None)
            self.tooling["CustomObject"].pop(id, None)

        self.undoable(undo)
        return id


_TIME_RE: Final = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z?")
"""A ``time`` value as JSON carries it (``09:00:00.000Z``)."""

_CASCADES: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "Contact": (("AccountContactRelation", "ContactId"),),
    "Account": (("AccountContactRelation", "AccountId"),),
    "Case": (
        ("CaseComment", "ParentId"),
        ("EmailMessage", "ParentId"),
        ("FeedItem", "ParentId"),
        ("ContentDocumentLink", "LinkedEntityId"),
    ),
    "ContentDocument": (
        ("ContentVersion", "ContentDocumentId"),
        ("ContentDocumentLink", "ContentDocumentId"),
    ),
}
"""Children that go to the recycle bin with their parent."""


def _json_error(value: Any, kind: str) -> SalesforceError:
    return SalesforceError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} or request may"
        " be missing a required field",
        [],
    )


_METADATA_TYPES: Final[Mapping[str, str]] = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Html": "textarea",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Checkbox": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "Lookup": "reference",
}


def _field_from_metadata(
    name: str, metadata: Mapping[str, Any], objects: Mapping[str, SObjectSpec]
) -> FieldSpec:
    kind = str(metadata.get("type") or "")
    describe_type = _METADATA_TYPES.get(kind)
    if describe_type is None:
        raise SalesforceError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"Unsupported field type: {kind or '(none)'}",
            ["Metadata"],
        )
    lengths = {
        "Text": 255,
        "TextArea": 255,
        "LongTextArea": 32768,
        "Html": 32768,
        "Email": 80,
        "Phone": 40,
        "Url": 255,
    }
    length = int(metadata.get("length") or lengths.get(kind, 0))
    if kind in ("LongTextArea", "Html") and not 256 <= length <= 131_072:
        # A Long Text Area holds 256 to 131,072 characters.
        raise SalesforceError(
            "FIELD_INTEGRITY_EXCEPTION", "Length: value outside of valid range", ["Metadata"]
        )
    if kind == "Text" and not 1 <= length <= 255:
        raise SalesforceError(
            "FIELD_INTEGRITY_EXCEPTION", "Length: value outside of valid range", ["Metadata"]
        )
    values: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    restricted = False
    if describe_type in ("picklist", "multipicklist"):
        value_set = metadata.get("valueSet") or {}
        definition = value_set.get("valueSetDefinition") or {}
        entries = definition.get("value") or []
        values = tuple(
            str(v.get("fullName") or v.get("valueName") or v.get("label")) for v in entries
        )
        labels = tuple(
            str(v.get("label") or value) for v, value in zip(entries, values, strict=True)
        )
        restricted = bool(value_set.get("restricted"))
    reference_to: tuple[str, ...] = ()
    relationship = None
    if describe_type == "reference":
        target = str(metadata.get("referenceTo") or "")
        canonical = next((n for n in objects if n.lower() == target.lower()), None)
        if canonical is None:
            raise SalesforceError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"referenceTo: invalid object {target}",
                ["Metadata"],
            )
        reference_to = (canonical,)
        relationship = name[:-3] + "__r"  # metadata relationshipName names the children
    return FieldSpec(
        name,
        describe_type,
        label=str(metadata.get("label") or name[:-3].replace("_", " ")),
        length=length
        if describe_type
        not in ("double", "boolean", "date", "datetime", "reference", "currency", "percent")
        else 0,
        picklist=values,
        picklist_labels=labels,
        restricted=restricted,
        external_id=bool(metadata.get("externalId")),
        unique=bool(metadata.get("unique")),
        case_sensitive=bool(metadata.get("caseSensitive")),
        required=bool(metadata.get("required")),
        nillable=not metadata.get("required"),
        reference_to=reference_to,
        relationship_name=relationship,
        custom=True,
        precision=int(metadata.get("precision") or (18 if describe_type == "double" else 0)),
        scale=int(metadata.get("scale") or 0),
        default=(False if describe_type == "boolean" else None),
        # CustomFieldMetadata's inlineHelpText is the describe's (Tooling API reference,
        # CustomField: https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/
        # api_tooling/tooling_api_objects_customfield.htm).
        help_text=str(metadata.get("inlineHelpText") or "") or None,
    )


_TOOLING_OBJECTS: Final = ("CustomField", "CustomObject", "Flow", "FlowDefinition")


def _tooling_objects() -> dict[str, SObjectSpec]:
    def spec(name: str, prefix: str, names: Sequence[str | FieldSpec]) -> SObjectSpec:
        fields = {"Id": FieldSpec("Id", "id", length=18)}
        for field in names:
            if isinstance(field, FieldSpec):
                fields[field.name] = field
            else:
                fields[field] = FieldSpec(field, "string", length=255)
        for stamp in ("CreatedDate", "LastModifiedDate"):
            fields[stamp] = FieldSpec(stamp, "datetime")
        fields["IsDeleted"] = FieldSpec("IsDeleted", "boolean")
        return SObjectSpec(name, prefix, fields=fields, createable=True)

    return {
        "CustomField": spec(
            "CustomField",
            "00N",
            (
                "DeveloperName",
                "TableEnumOrId",
                "FullName",
                "NamespacePrefix",
                "Description",
                "Length",
            ),
        ),
        "CustomObject": spec(
            "CustomObject",
            "01I",
            ("DeveloperName", "FullName", "NamespacePrefix", "ExternalName", "SharingModel"),
        ),
        # A flow version; its definition holds the active and latest versions (flows.py).
        "Flow": spec(
            "Flow",
            "301",
            (
                _lookup("DefinitionId", "FlowDefinition", "Definition"),
                "MasterLabel",
                "Description",
                FieldSpec("ProcessType", "picklist", length=255),
                FieldSpec("Status", "picklist", length=255),
                FieldSpec("VersionNumber", "int"),
                FieldSpec("ApiVersion", "double"),
                "FullName",
                FieldSpec("Metadata", "complexvalue"),
            ),
        ),
        "FlowDefinition": spec(
            "FlowDefinition",
            "300",
            (
                "DeveloperName",
                "MasterLabel",
                "Description",
                "NamespacePrefix",
                _lookup("ActiveVersionId", "Flow", "ActiveVersion"),
                _lookup("LatestVersionId", "Flow", "LatestVersion"),
                "FullName",
                FieldSpec("Metadata", "complexvalue"),
            ),
        ),
    }


def _lookup(name: str, target: str, relationship: str) -> FieldSpec:
    return FieldSpec(
        name, "reference", length=18, reference_to=(target,), relationship_name=relationship
    )


def _tooling_row(backend: SalesforceBackend, id: str, values: Mapping[str, Any]) -> Row:
    now = sf_datetime(backend.now())
    return {"Id": id, **values, "CreatedDate": now, "LastModifiedDate": now, "IsDeleted": False}
