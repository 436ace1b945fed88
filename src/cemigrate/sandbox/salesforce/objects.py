"""The Salesforce emulator's metadata: sObjects and their fields, as data.

:class:`FieldSpec` and :class:`SObjectSpec` hold what a ``describe`` call shows and what the
write path checks (types, lengths, restricted picklists, required, createable/updateable,
lookups). :func:`standard_objects` builds the standard objects the emulator serves; custom
fields and objects are added at run time by the Tooling API (``models.py``). Key prefixes are
the platform's (Account ``001``, Contact ``003``, User ``005``, Case ``500``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

__all__ = [
    "AUDIT_FIELDS",
    "AUDIT_OBJECTS",
    "CASE_ORIGINS",
    "CASE_PRIORITIES",
    "CASE_STATUSES",
    "CASE_TYPES",
    "CLOSED_STATUSES",
    "MASTER_RECORD_TYPE",
    "PERSON_ACCOUNT_FIELDS",
    "PERSON_TO_CONTACT",
    "FieldSpec",
    "SObjectSpec",
    "enable_person_accounts",
    "standard_objects",
]

AUDIT_FIELDS: Final = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById")
"""Set on insert only, and only with the org's "Set Audit Fields upon Record Creation"."""
AUDIT_OBJECTS: Final = frozenset(
    {
        "Account",
        "Case",
        "CaseComment",
        "Contact",
        "ContentVersion",
        "EmailMessage",
        "FeedItem",
    }
)
"""Standard objects whose audit fields can be set (custom objects can too)."""

CASE_STATUSES: Final = (
    "New",
    "Working",
    "Waiting on Customer",
    "On Hold",
    "Escalated",
    "Resolved",
    "Closed",
)
"""Case ``Status`` values of the emulated org (a restricted picklist)."""
CLOSED_STATUSES: Final = frozenset({"Resolved", "Closed"})
"""Statuses that close a case (``IsClosed``, ``ClosedDate``)."""
CASE_PRIORITIES: Final = ("Low", "Medium", "High", "Critical")
"""Case ``Priority`` values (restricted)."""
CASE_ORIGINS: Final = ("Email", "Web", "Chat", "Phone", "API", "Social", "Other")
"""Case ``Origin`` values (restricted)."""
CASE_TYPES: Final = ("Question", "Incident", "Problem", "Task")
"""Case ``Type`` values (restricted)."""

WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
"""The days of ``BusinessHours``' time fields."""

MASTER_RECORD_TYPE: Final = "012000000000000AAA"
"""The Master record type's id, the same in every org (``recordTypeInfos``)."""
_CASCADING_CHILDREN: Final = frozenset(
    {"CaseComment", "EmailMessage", "FeedItem", "CaseMilestone", "ContentDocumentLink"}
)
ANY: Final = "*"
"""``reference_to`` of a polymorphic lookup that accepts any object."""

_TEXT_TYPES: Final = frozenset(
    {"string", "textarea", "picklist", "multipicklist", "email", "phone", "url", "combobox"}
)
_SOAP_TYPES: Final = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "base64": "xsd:base64Binary",
}


@attrs.define
class FieldSpec:
    """One field of an sObject: what ``describe`` shows and what a write must respect."""

    name: str
    type: str
    """The describe type: ``id``, ``string``, ``textarea``, ``picklist``, ``reference``, ..."""
    label: str = ""
    length: int = 0
    picklist: tuple[str, ...] = ()
    picklist_labels: tuple[str, ...] = ()
    """Labels of the picklist values, in the same order (a value is its own label if none)."""
    restricted: bool = False
    external_id: bool = False
    unique: bool = False
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    required: bool = False
    """Must be given on insert (not nillable and no default)."""
    default: Any = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    custom: bool = False
    audit: bool = False
    """Createable only when the org allows setting audit fields; never updateable."""
    bytes_limit: bool = False
    """``length`` counts UTF-8 bytes (``CaseComment.CommentBody``), not characters."""
    precision: int = 0
    scale: int = 0
    case_sensitive: bool = False
    formula: str | None = None
    """A formula field's ``calculatedFormula`` (``calculated: true``; never writable)."""
    extra_type_info: str | None = None
    """``richtextarea``/``plaintextarea`` for text areas, ``imageurl``, ``personname``..."""
    help_text: str | None = None
    """The field's ``inlineHelpText``."""
    controller: str | None = None
    """A dependent picklist's controlling field (``controllerName``)."""
    id_lookup: bool = False
    """Usable to find a record (``idLookup``): Name, Email, ... besides Id, unique and
    external-id fields; such a field can name the record of an upsert."""
    child_relationship: str | None = None
    """A lookup's name for the children on the parent's side (``CaseComments`` for
    ``CaseComment.ParentId``): the describe's ``childRelationships`` and SOQL sub-selects."""
    auto_number: bool = False
    """An auto-number field (``autoNumber: true``; read only)."""

    def __attrs_post_init__(self) -> None:
        if not self.label:
            self.label = _label(self.name)

    @property
    def is_text(self) -> bool:
        """Whether values are strings with a length limit."""
        return self.type in _TEXT_TYPES

    def describe(self, *, audit_fields: bool) -> dict[str, Any]:
        """The field as ``/sobjects/X/describe`` lists it."""
        createable = self.createable and (audit_fields if self.audit else True)
        length = self.length if self.is_text else 0
        extra = self.extra_type_info
        if extra is None and self.type == "textarea":
            extra = "plaintextarea"
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "length": length,
            "byteLength": length * 3,
            "precision": self.precision,
            "scale": self.scale,
            "digits": 9 if self.type == "int" else 0,
            "custom": self.custom,
            "nillable": self.nillable,
            "createable": createable,
            "updateable": self.updateable and not self.audit,
            "defaultedOnCreate": self.default is not None or self.name in _DEFAULTED,
            "defaultValue": self.default if self.type in ("picklist",) else None,
            "externalId": self.external_id,
            "idLookup": self.looks_up,
            "unique": self.unique,
            "caseSensitive": self.case_sensitive,
            "calculated": self.formula is not None,
            "calculatedFormula": self.formula,
            "autoNumber": self.auto_number or self.name == "CaseNumber",
            "extraTypeInfo": extra,
            "inlineHelpText": self.help_text,
            "dependentPicklist": self.controller is not None,
            "controllerName": self.controller,
            "filterable": self.type not in ("textarea", "base64"),
            "sortable": self.type not in ("textarea", "base64", "multipicklist"),
            "groupable": self.type not in ("textarea", "base64", "double", "datetime"),
            "nameField": self.name == "Name",
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": label,
                    "validFor": None,
                    "value": value,
                }
                for value, label in zip(
                    self.picklist,
                    (*self.picklist_labels, *self.picklist[len(self.picklist_labels) :]),
                    strict=True,
                )
            ],
            "referenceTo": [] if self.reference_to == (ANY,) else list(self.reference_to),
            "polymorphicForeignKey": self.reference_to == (ANY,) or len(self.reference_to) > 1,
            "relationshipName": self.relationship_name,
            "cascadeDelete": False,
            "htmlFormatted": self.name == "HtmlBody" or extra == "richtextarea",
            "highScaleNumber": False,
            "deprecatedAndHidden": False,
            "encrypted": False,
            "aggregatable": self.type not in ("textarea", "base64", "multipicklist"),
            "aiPredictionField": False,
            "compoundFieldName": None,
            "displayLocationInDecimal": False,
            "filteredLookupInfo": None,
            "formulaTreatNullNumberAsZero": False,
            "mask": None,
            "maskType": None,
            "namePointing": self.reference_to == (ANY,) or len(self.reference_to) > 1,
            "permissionable": self.custom and self.nillable,
            "queryByDistance": False,
            "referenceTargetField": None,
            "relationshipOrder": None,
            "restrictedDelete": False,
            "searchPrefilterable": False,
            "writeRequiresMasterRead": False,
        }

    @property
    def looks_up(self) -> bool:
        """Whether the field can find a record (``idLookup``): read or upsert by its value."""
        return self.external_id or self.name == "Id" or self.unique or self.id_lookup


_DEFAULTED: Final = frozenset(
    {"Id", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById"}
)


@attrs.define
class SObjectSpec:
    """One sObject: name, key prefix, fields (in describe order) and what calls it supports."""

    name: str
    key_prefix: str
    label: str = ""
    fields: dict[str, FieldSpec] = attrs.field(factory=dict)
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    custom: bool = False
    id: str | None = None
    """The CustomObject id (``01I...``) of a custom object."""
    _lower: dict[str, str] = attrs.field(factory=dict, init=False, repr=False)
    revision: int = attrs.field(default=0, init=False, repr=False)
    """Counts :meth:`add` calls (the backend caches new-row templates by it)."""

    def __attrs_post_init__(self) -> None:
        if not self.label:
            self.label = _label(self.name)
        self._lower = {name.lower(): name for name in self.fields}

    def add(self, field: FieldSpec) -> None:
        """Add (or replace) a field."""
        self.fields[field.name] = field
        self._lower[field.name.lower()] = field.name
        self.revision += 1

    def remove(self, name: str) -> FieldSpec | None:
        """Remove the field called ``name`` (case-insensitive); the field, or None."""
        canonical = self._lower.pop(name.lower(), None)
        if canonical is None:
            return None
        self.revision += 1
        return self.fields.pop(canonical)

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name`` (case-insensitive), or None."""
        canonical = self._lower.get(name.lower())
        return None if canonical is None else self.fields[canonical]

    def relationship(self, name: str) -> FieldSpec | None:
        """The lookup field whose relationship is called ``name`` (case-insensitive)."""
        lowered = name.lower()
        for spec in self.fields.values():
            if spec.relationship_name and spec.relationship_name.lower() == lowered:
                return spec
        return None

    def describe(
        self,
        *,
        audit_fields: bool,
        version: str,
        record_types: Iterable[Mapping[str, Any]] = (),
        children: Iterable[tuple[str, FieldSpec]] = (),
    ) -> dict[str, Any]:
        """The object as ``/sobjects/X/describe`` shows it.

        ``record_types``: the object's ``RecordType`` rows; ``recordTypeInfos`` lists them
        and the Master record type every object has (``012000000000000AAA``), which is the
        default only when there is no active record type of the object's own (REST API
        Developer Guide, sObject Describe; recorded describes of Case and Account).
        ``children``: ``(child object, lookup)`` pairs naming this object.
        """
        base = f"/services/data/v{version}/sobjects/{self.name}/describe/layouts"
        rows = [r for r in record_types if not r.get("IsDeleted")]
        active = [r for r in rows if r.get("IsActive")]
        infos = [
            {
                "active": bool(r.get("IsActive")),
                "available": bool(r.get("IsActive")),
                "defaultRecordTypeMapping": bool(active) and r is active[0],
                "developerName": r.get("DeveloperName"),
                "master": False,
                "name": r.get("Name"),
                "recordTypeId": r["Id"],
                "urls": {"layout": f"{base}/{r['Id']}"},
            }
            for r in rows
        ]
        infos.append(
            {
                "active": True,
                "available": not active,
                "defaultRecordTypeMapping": not active,
                "developerName": "Master",
                "master": True,
                "name": "Master",
                "recordTypeId": MASTER_RECORD_TYPE,
                "urls": {"layout": f"{base}/{MASTER_RECORD_TYPE}"},
            }
        )
        return {
            **self.summary(version=version),
            "fields": [f.describe(audit_fields=audit_fields) for f in self.fields.values()],
            "childRelationships": [
                {
                    "cascadeDelete": child in _CASCADING_CHILDREN,
                    "childSObject": child,
                    "deprecatedAndHidden": False,
                    "field": lookup.name,
                    "junctionIdListNames": [],
                    "junctionReferenceTo": [],
                    "relationshipName": lookup.child_relationship,
                    "restrictedDelete": False,
                }
                for child, lookup in children
            ],
            "recordTypeInfos": infos,
        }

    def summary(self, *, version: str) -> dict[str, Any]:
        """The object as the global ``/sobjects`` describe lists it."""
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label + "s",
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "customSetting": False,
            "createable": self.createable,
            "updateable": self.updateable,
            "deletable": self.deletable,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "undeletable": self.deletable,
            "triggerable": True,
            "layoutable": True,
            "replicateable": True,
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }


def _label(name: str) -> str:
    stem = name.removesuffix("__c").removesuffix("Id") if name != "Id" else "Record ID"
    return stem.replace("_", " ") if stem else name


def _f(name: str, type_: str, **options: Any) -> FieldSpec:
    return FieldSpec(name, type_, **options)


def _ref(name: str, *targets: str, relationship: str | None = None, **options: Any) -> FieldSpec:
    rel = relationship if relationship is not None else name.removesuffix("Id")
    return FieldSpec(
        name, "reference", length=18, reference_to=targets, relationship_name=rel, **options
    )


def _pick(name: str, values: Iterable[str], **options: Any) -> FieldSpec:
    return FieldSpec(name, "picklist", length=255, picklist=tuple(values), **options)


def _system(owner: bool = True) -> list[FieldSpec]:
    fields = [
        _f("Id", "id", length=18, createable=False, updateable=False, nillable=False),
        _f("IsDeleted", "boolean", createable=False, updateable=False, nillable=False),
    ]
    if owner:
        fields.append(_ref("OwnerId", "User", "Group", relationship="Owner", nillable=False))
    fields += [
        _f("CreatedDate", "datetime", audit=True, updateable=False, nillable=False),
        _ref("CreatedById", "User", relationship="CreatedBy", audit=True, nillable=False),
        _f("LastModifiedDate", "datetime", audit=True, updateable=False, nillable=False),
        _ref("LastModifiedById", "User", relationship="LastModifiedBy", audit=True),
        _f("SystemModstamp", "datetime", createable=False, updateable=False, nillable=False),
    ]
    return fields


def _object(
    name: str, prefix: str, fields: Iterable[FieldSpec], *, owner: bool = True, **options: Any
) -> SObjectSpec:
    specs = _system(owner) + list(fields)
    return SObjectSpec(name, prefix, fields={f.name: f for f in specs}, **options)


def _readonly(*specs: FieldSpec) -> list[FieldSpec]:
    for spec in specs:
        spec.createable = spec.updateable = False
    return list(specs)


def standard_objects() -> dict[str, SObjectSpec]:
    """A fresh catalogue of the standard objects the emulator serves, by API name."""
    objects = [
        _object(
            "Organization",
            "00D",
            _readonly(
                _f("Name", "string", length=80),
                _f("IsSandbox", "boolean"),
                _f("OrganizationType", "string", length=40),
                _f("InstanceName", "string", length=5),
            ),
            owner=False,
            createable=False,
            updateable=False,
            deletable=False,
        ),
        _object(
            "Profile",
            "00e",
            _readonly(
                _f("Name", "string", length=255),
                _f("UserType", "picklist", length=40),
                _f("Description", "string", length=255),
            ),
            owner=False,
            createable=False,
            updateable=False,
            deletable=False,
        ),
        _object(
            "User",
            "005",
            [
                _f("Username", "string", length=80, required=True, nillable=False, unique=True),
                _f("FirstName", "string", length=40),
                _f("LastName", "string", length=80, required=True, nillable=False),
                *_readonly(_f("Name", "string", length=121)),
                _f("Email", "email", length=128, required=True, nillable=False),
                _f("Alias", "string", length=8, required=True, nillable=False),
                _ref("ProfileId", "Profile", required=True, nillable=False),
                _f("IsActive", "boolean", default=True, nillable=False),
                _f("TimeZoneSidKey", "string", length=40, required=True, nillable=False),
                _f("LocaleSidKey", "string", length=40, required=True, nillable=False),
                _f("EmailEncodingKey", "string", length=40, required=True, nillable=False),
                _f("LanguageLocaleKey", "string", length=40, required=True, nillable=False),
                *_readonly(_f("UserType", "string", length=40)),
                _f("FederationIdentifier", "string", length=512),
                _f("Title", "string", length=80),
                _f("Department", "string", length=80),
                _f("Phone", "phone", length=40),
            ],
            owner=False,
            deletable=False,
        ),
        _object(
            "Group",
            "00G",
            [
                _f("Name", "string", length=40, required=True, nillable=False),
                _f("DeveloperName", "string", length=80),
                _pick(
                    "Type",
                    ("Regular", "Queue", "Role", "Organization"),
                    required=True,
                    restricted=True,
                    nillable=False,
                ),
                _f("Email", "email", length=255),
                _f("DoesSendEmailToMembers", "boolean", default=False),
                _ref("RelatedId", ANY, relationship="Related"),
            ],
        ),
        _object(
            "GroupMember",
            "011",
            [
                _ref("GroupId", "Group", required=True, nillable=False, updateable=False),
                _ref(
                    "UserOrGroupId",
                    "User",
                    "Group",
                    required=True,
                    nillable=False,
                    updateable=False,
                ),
            ],
            owner=False,
            updateable=False,
        ),
        _object(
            "QueueSobject",
            "03g",
            [
                _ref("QueueId", "Group", relationship="Queue", required=True, nillable=False),
                _pick("SobjectType", ("Case", "Lead"), required=True, nillable=False),
            ],
            owner=False,
            updateable=False,
        ),
        # Supported calls: create, update, query, retrieve (no delete); SobjectType is set on
        # create only. [Object Reference: RecordType]
        _object(
            "RecordType",
            "012",
            [
                _f("Name", "string", length=80, required=True, nillable=False),
                _f("DeveloperName", "string", length=80, required=True, nillable=False),
                _f("SobjectType", "string", length=40, required=True, updateable=False),
                _f("IsActive", "boolean", default=False),
                _f("Description", "string", length=255),
                _ref("BusinessProcessId", "BusinessProcess"),
                *_readonly(_f("NamespacePrefix", "string", length=15)),
            ],
            owner=False,
            deletable=False,
        ),
        _object(
            "Account",
            "001",
            [
                _f("Name", "string", length=255, required=True, nillable=False),
                _f("Description", "textarea", length=32000),
                _f("Website", "url", length=255),
                _f("Phone", "phone", length=40),
                _pick("Type", ("Customer", "Partner", "Prospect", "Other")),
                _f("Industry", "picklist", length=255, picklist=("Finance", "Technology")),
            ],
        ),
        _object(
            "Contact",
            "003",
            [
                _f("FirstName", "string", length=40),
                _f("LastName", "string", length=80, required=True, nillable=False),
                *_readonly(_f("Name", "string", length=121)),
                _f("Email", "email", length=80),
                _f("Phone", "phone", length=40),
                _f("MobilePhone", "phone", length=40),
                _f("OtherPhone", "phone", length=40),
                # The street line of the mailing address. [Object Reference: Contact]
                _f("MailingStreet", "textarea", length=255),
                _ref("AccountId", "Account"),
                _f("Description", "textarea", length=32000),
                _f("Title", "string", length=128),
            ],
        ),
        # Contacts to Multiple Accounts (API 37.0): create, query, update, delete; IsDirect is
        # Salesforce's (not createable), AccountId and ContactId are fixed once inserted.
        # [Object Reference: AccountContactRelation]
        _object(
            "AccountContactRelation",
            "07k",
            [
                _ref("AccountId", "Account", required=True, nillable=False, updateable=False),
                _ref("ContactId", "Contact", required=True, nillable=False, updateable=False),
                *_readonly(_f("IsDirect", "boolean")),
                _f("IsActive", "boolean", default=False),
                _f("Roles", "multipicklist", length=4099),
                _f("StartDate", "date"),
                _f("EndDate", "date"),
            ],
            owner=False,
        ),
        # Supported calls: create, query, update, upsert (no delete); one start and end time a
        # day, null when closed. [Object Reference: BusinessHours]
        _object(
            "BusinessHours",
            "01m",
            [
                _f("Name", "string", length=80, required=True, nillable=False),
                _f("IsActive", "boolean", default=False),
                _f("IsDefault", "boolean", default=False),
                # Salesforce's list of zones is long; the emulator takes any name.
                _pick("TimeZoneSidKey", (), required=True, nillable=False),
                *(_f(f"{day}{edge}Time", "time") for day in WEEKDAYS for edge in ("Start", "End")),
            ],
            owner=False,
            deletable=False,
        ),
        # One date (all day) or a time span of it; no field names business hours (they are
        # linked in Setup). [Object Reference: Holiday]
        _object(
            "Holiday",
            "0C0",
            [
                _f("Name", "string", length=80, required=True, nillable=False),
                _f("Description", "string", length=100),
                _f("ActivityDate", "date"),
                _f("IsAllDay", "boolean", default=False),
                _f("StartTimeInMinutes", "int"),
                _f("EndTimeInMinutes", "int"),
                _f("IsRecurrence", "boolean", default=False),
            ],
            owner=False,
        ),
        _object(
            "Case",
            "500",
            [
                *_readonly(_f("CaseNumber", "string", length=30)),
                _f("Subject", "string", length=255),
                _f("Description", "textarea", length=32000),
                _pick("Status", CASE_STATUSES, restricted=True, default="New"),
                _pick("Priority", CASE_PRIORITIES, restricted=True, default="Medium"),
                _pick("Origin", CASE_ORIGINS, restricted=True),
                _pick("Type", CASE_TYPES, restricted=True),
                _pick("Reason", ("Installation", "Equipment Complexity", "Performance", "Other")),
                _ref("ContactId", "Contact"),
                _ref("AccountId", "Account"),
                _ref("ParentId", "Case"),
                _ref("RecordTypeId", "RecordType"),
                _ref("EntitlementId", "Entitlement"),
                _f("ClosedDate", "datetime", audit=True, updateable=False),
                *_readonly(_f("IsClosed", "boolean")),
                _f("IsEscalated", "boolean", default=False),
                _f("SuppliedEmail", "email", length=80),
                _f("SuppliedName", "string", length=80),
                _f("SuppliedPhone", "string", length=40),
                _f("SuppliedCompany", "string", length=80),
                _f("SlaStartDate", "datetime"),
                _f("SlaExitDate", "datetime"),
                _f("IsStopped", "boolean", default=False),
            ],
        ),
        _object(
            "CaseComment",
            "00a",
            [
                _ref(
                    "ParentId",
                    "Case",
                    relationship="Parent",
                    required=True,
                    nillable=False,
                    updateable=False,
                ),
                _f("CommentBody", "textarea", length=4000, bytes_limit=True),
                _f("IsPublished", "boolean", default=False),
                _f("IsNotificationSelected", "boolean", default=False),
            ],
            owner=False,
        ),
        _object(
            "EmailMessage",
            "02s",
            [
                _ref("ParentId", "Case", relationship="Parent"),
                _ref("RelatedToId", ANY, relationship="RelatedTo"),
                _f("Subject", "string", length=3000),
                _f("TextBody", "textarea", length=32000),
                _f("HtmlBody", "textarea", length=32000),
                _f("Headers", "textarea", length=32000),
                _f("FromAddress", "email", length=1000),
                _f("FromName", "string", length=1000),
                _f("ToAddress", "string", length=4000),
                _f("CcAddress", "string", length=4000),
                _f("BccAddress", "string", length=4000),
                _f("Incoming", "boolean", default=False),
                _f("MessageDate", "datetime"),
                _pick("Status", ("0", "1", "2", "3", "4", "5"), default="3", restricted=True),
                _f("IsExternallyVisible", "boolean", default=True),
                *_readonly(_f("HasAttachment", "boolean")),
                _f("ThreadIdentifier", "string", length=255),
            ],
            owner=False,
        ),
        _object(
            "FeedItem",
            "0D5",
            [
                _ref(
                    "ParentId",
                    ANY,
                    relationship="Parent",
                    required=True,
                    nillable=False,
                    updateable=False,
                ),
                _f("Body", "textarea", length=10000),
                _f("Title", "string", length=255),
                _pick(
                    "Type",
                    ("TextPost", "ContentPost", "LinkPost", "EmailMessageEvent"),
                    default="TextPost",
                ),
                _pick("Visibility", ("AllUsers", "InternalUsers"), default="AllUsers"),
                _f("IsRichText", "boolean", default=False),
            ],
            owner=False,
        ),
        _object(
            "ContentDocument",
            "069",
            [
                _f("Title", "string", length=255),
                *_readonly(
                    _f("FileExtension", "string", length=40),
                    _f("FileType", "string", length=20),
                    _f("ContentSize", "int"),
                    _ref("LatestPublishedVersionId", "ContentVersion"),
                ),
                _f("Description", "textarea", length=1000),
            ],
            createable=False,
        ),
        _object(
            "ContentVersion",
            "068",
            [
                _ref("ContentDocumentId", "ContentDocument", updateable=False),
                _f("Title", "string", length=255),
                _f("PathOnClient", "string", length=500, updateable=False),
                _f("VersionData", "base64", updateable=False),
                _ref(
                    "FirstPublishLocationId",
                    ANY,
                    relationship="FirstPublishLocation",
                    updateable=False,
                ),
                _f("Description", "textarea", length=1000),
                _pick("ContentLocation", ("S", "E", "L"), default="S"),
                _pick("Origin", ("C", "H"), default="C"),
                _pick("SharingOption", ("A", "R"), default="A"),
                _f("ReasonForChange", "string", length=1000),
                *_readonly(
                    _f("ContentSize", "int"),
                    _f("FileExtension", "string", length=40),
                    _f("FileType", "string", length=20),
                    _f("Checksum", "string", length=50),
                    _f("IsLatest", "boolean"),
                    _f("VersionNumber", "string", length=20),
                ),
            ],
        ),
        _object(
            "ContentDocumentLink",
            "06A",
            [
                _ref(
                    "ContentDocumentId",
                    "ContentDocument",
                    required=True,
                    nillable=False,
                    updateable=False,
                ),
                _ref(
                    "LinkedEntityId",
                    ANY,
                    relationship="LinkedEntity",
                    required=True,
                    nillable=False,
                    updateable=False,
                ),
                _pick("ShareType", ("V", "C", "I"), restricted=True, required=True, nillable=False),
                _pick(
                    "Visibility", ("AllUsers", "InternalUsers", "SharedUsers"), default="AllUsers"
                ),
            ],
            owner=False,
        ),
        _object(
            "SlaProcess",
            "552",
            _readonly(
                _f("Name", "string", length=255),
                _f("Description", "textarea", length=1000),
                _f("IsActive", "boolean"),
                _f("SobjectType", "string", length=40),
                _f("IsVersionDefault", "boolean"),
                _f("VersionNumber", "int"),
            ),
            owner=False,
            createable=False,
            updateable=False,
            deletable=False,
        ),
        _object(
            "Entitlement",
            "550",
            [
                _f("Name", "string", length=255, required=True, nillable=False),
                _ref("AccountId", "Account", required=True, nillable=False),
                _ref("SlaProcessId", "SlaProcess"),
                _f("StartDate", "date"),
                _f("EndDate", "date"),
                _pick("Type", ("Phone Support", "Web Support", "Email Support")),
                *_readonly(_f("Status", "string", length=40)),
            ],
            owner=False,
        ),
        _object(
            "MilestoneType",
            "557",
            [
                _f("Name", "string", length=80, required=True, nillable=False),
                _f("Description", "textarea", length=1000),
                _pick("RecurrenceType", ("none", "recursIndependently", "recursChained")),
            ],
            owner=False,
        ),
        _object(
            "CaseMilestone",
            "55a",
            [
                *_readonly(
                    _ref("CaseId", "Case", relationship="Case"),
                    _ref("MilestoneTypeId", "MilestoneType"),
                    _f("TargetDate", "datetime"),
                    _f("IsCompleted", "boolean"),
                    _f("IsViolated", "boolean"),
                    _f("TargetResponseInMins", "int"),
                    _f("ElapsedTimeInMins", "int"),
                ),
                _f("StartDate", "datetime"),
                _f("CompletionDate", "datetime"),
            ],
            owner=False,
            createable=False,
            deletable=False,
        ),
        _object(
            "AssignmentRule",
            "01Q",
            _readonly(
                _f("Name", "string", length=120),
                _f("Active", "boolean"),
                _f("SobjectType", "string", length=40),
            ),
            owner=False,
            createable=False,
            updateable=False,
            deletable=False,
        ),
    ]
    catalogue = {spec.name: spec for spec in objects}
    for name, fields in _more_standard_fields().items():
        for field in fields:
            if catalogue[name].field(field.name) is None:
                catalogue[name].add(field)
    for name, lookup, relationship in _CHILD_RELATIONSHIPS:
        catalogue[name].fields[lookup].child_relationship = relationship
    for name, looked_up in _ID_LOOKUPS:
        catalogue[name].fields[looked_up].id_lookup = True
    catalogue["Case"].fields["CaseNumber"].auto_number = True
    catalogue["EmailMessage"].fields["HtmlBody"].extra_type_info = "richtextarea"
    catalogue["FeedItem"].fields["Body"].extra_type_info = "richtextarea"
    return catalogue


_CHILD_RELATIONSHIPS: Final = (
    ("Case", "ParentId", "Cases"),
    ("Case", "ContactId", "Cases"),
    ("Case", "AccountId", "Cases"),
    ("CaseComment", "ParentId", "CaseComments"),
    ("EmailMessage", "ParentId", "EmailMessages"),
    ("FeedItem", "ParentId", "Feeds"),
    ("CaseMilestone", "CaseId", "CaseMilestones"),
    ("Contact", "AccountId", "Contacts"),
    ("AccountContactRelation", "AccountId", "AccountContactRelations"),
    ("AccountContactRelation", "ContactId", "AccountContactRelations"),
    ("GroupMember", "GroupId", "GroupMembers"),
    ("ContentDocumentLink", "LinkedEntityId", "ContentDocumentLinks"),
    ("ContentVersion", "ContentDocumentId", "ContentVersions"),
    ("Entitlement", "AccountId", "Entitlements"),
)
"""``(child object, lookup, relationship name)``: the parent's ``childRelationships`` and the
names SOQL sub-selects use (``SELECT Id, (SELECT Id FROM CaseComments) FROM Case``), as the
Object Reference names them (a polymorphic ``ParentId`` such as ``FeedItem``'s lists its
children on every parent; the emulator names them on their own lookup only)."""

_ID_LOOKUPS: Final = (
    ("Contact", "Email"),
    ("Contact", "Name"),
    ("User", "Username"),
    ("User", "Email"),
    ("User", "CommunityNickname"),
    ("Account", "Name"),
    ("Case", "CaseNumber"),
    ("Group", "Name"),
    ("Group", "DeveloperName"),
    ("RecordType", "DeveloperName"),
)
"""Fields real describes mark ``idLookup: true`` besides ``Id`` and external ids (recorded
describes of Contact, User, Account, Case): a record can be read or upserted by them."""


def _more_standard_fields() -> dict[str, list[FieldSpec]]:
    """Standard fields of the objects a migration reads, beyond those the write path needs.

    Source: the Object Reference for Salesforce and Lightning Platform (Case, CaseComment,
    EmailMessage, FeedItem, Contact, Account, User, Group, ContentVersion, CaseMilestone,
    Entitlement), checked against field lists of real orgs published in public repositories
    (e.g. Case: ``AssetId``, ``BusinessHoursId``, ``Comments``, ``ContactEmail``,
    ``ContactFax``, ``ContactMobile``, ``ContactPhone``, ``IsClosedOnCreate``,
    ``MilestoneStatus``, ``ProductId``, ``ServiceContractId``, ``MasterRecordId``). Lookups to
    objects the emulator does not model (Asset, Product2, ServiceContract, UserRole) are
    queryable; writing one answers ``MALFORMED_ID`` as a wrong id would.
    """

    def address(prefix: str) -> list[FieldSpec]:
        return [
            _f(f"{prefix}Street", "textarea", length=255),
            _f(f"{prefix}City", "string", length=40),
            _f(f"{prefix}State", "string", length=80),
            _f(f"{prefix}PostalCode", "string", length=20),
            _f(f"{prefix}Country", "string", length=80),
            _f(f"{prefix}Latitude", "double", precision=18, scale=15),
            _f(f"{prefix}Longitude", "double", precision=18, scale=15),
        ]

    def viewed() -> list[FieldSpec]:
        return _readonly(_f("LastViewedDate", "datetime"), _f("LastReferencedDate", "datetime"))

    return {
        "Case": [
            _ref("AssetId", "Asset"),
            _ref("ProductId", "Product2"),
            _ref("ServiceContractId", "ServiceContract"),
            _ref("BusinessHoursId", "BusinessHours"),
            _ref("SourceId", ANY, relationship="Source"),
            _f("Comments", "textarea", length=4000, label="Internal Comments"),
            _pick("Language", ("en_US", "de", "fr", "es", "ja")),
            _f("IsVisibleInSelfService", "boolean", default=True),
            *_readonly(
                _ref("MasterRecordId", "Case", relationship="MasterRecord"),
                _f("ContactPhone", "phone", length=40),
                _f("ContactMobile", "phone", length=40),
                _f("ContactEmail", "email", length=80),
                _f("ContactFax", "phone", length=40),
                _f("IsClosedOnCreate", "boolean"),
                _pick("MilestoneStatus", ("Compliant", "Open Violation", "Closed Violation")),
                _f("MilestoneStatusIcon", "string", length=1300),
                *viewed(),
            ),
        ],
        "CaseComment": _readonly(
            _f("CreatorName", "string", length=121),
            _f("CreatorFullPhotoUrl", "url", length=1024),
            _f("CreatorSmallPhotoUrl", "url", length=1024),
        ),
        "EmailMessage": [
            _ref("ActivityId", "Task", relationship="Activity"),
            _f("MessageIdentifier", "string", length=255),
            _ref("ReplyToEmailMessageId", "EmailMessage", relationship="ReplyToEmailMessage"),
            _f("ClientThreadIdentifier", "string", length=40),
            _ref("EmailTemplateId", "EmailTemplate"),
            _f("IsClientManaged", "boolean", default=False),
            _f("IsPrivateDraft", "boolean", default=False),
            _f("IsTracked", "boolean", default=False),
            _f("IsBounced", "boolean", default=False),
            _pick("ValidatedFromAddress", ()),
            *_readonly(
                _f("IsOpened", "boolean"),
                _f("FirstOpenedDate", "datetime"),
                _f("LastOpenedDate", "datetime"),
                _f("ToIds", "string", length=4000),
                _f("CcIds", "string", length=4000),
                _f("BccIds", "string", length=4000),
                *viewed(),
            ),
        ],
        "FeedItem": [
            _ref("RelatedRecordId", "ContentVersion", relationship="RelatedRecord"),
            _f("LinkUrl", "url", length=1000),
            _pick("Status", ("Published", "PendingReview"), default="Published"),
            _f("IsClosed", "boolean", default=False),
            _ref("NetworkScope", ANY, relationship="NetworkScope"),
            *_readonly(
                _ref("InsertedById", "User", relationship="InsertedBy"),
                _f("CommentCount", "int"),
                _f("LikeCount", "int"),
                _f("HasContent", "boolean"),
                _f("HasLink", "boolean"),
                _f("HasFeedEntity", "boolean"),
                _f("HasVerifiedComment", "boolean"),
                _ref("BestCommentId", "FeedComment", relationship="BestComment"),
                _ref("LastEditById", "User", relationship="LastEditBy"),
                _f("LastEditDate", "datetime"),
                _f("Revision", "int"),
            ),
        ],
        "Contact": [
            _pick("Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
            _ref("RecordTypeId", "RecordType"),
            *address("Mailing")[1:],
            *address("Other"),
            _f("Fax", "phone", length=40),
            _f("HomePhone", "phone", length=40),
            _f("AssistantName", "string", length=40),
            _f("AssistantPhone", "phone", length=40),
            _ref("ReportsToId", "Contact", relationship="ReportsTo"),
            _f("Department", "string", length=80),
            _pick("LeadSource", ("Web", "Phone Inquiry", "Partner Referral", "Other")),
            _f("Birthdate", "date"),
            _f("HasOptedOutOfEmail", "boolean", default=False),
            _f("HasOptedOutOfFax", "boolean", default=False),
            _f("DoNotCall", "boolean", default=False),
            _f("EmailBouncedReason", "string", length=255),
            _f("EmailBouncedDate", "datetime"),
            _ref("IndividualId", "Individual"),
            *_readonly(
                _ref("MasterRecordId", "Contact", relationship="MasterRecord"),
                _f("IsEmailBounced", "boolean"),
                _f("PhotoUrl", "url", length=255),
                _f("LastActivityDate", "date"),
                *viewed(),
            ),
        ],
        "Account": [
            _ref("RecordTypeId", "RecordType"),
            _f("AccountNumber", "string", length=40),
            _f("Site", "string", length=80),
            _ref("ParentId", "Account", relationship="Parent"),
            *address("Billing"),
            *address("Shipping"),
            _f("Fax", "phone", length=40),
            _f("NumberOfEmployees", "int"),
            _f("AnnualRevenue", "currency", precision=18),
            _pick("Ownership", ("Public", "Private", "Subsidiary", "Other")),
            _pick("Rating", ("Hot", "Warm", "Cold")),
            _f("Sic", "string", length=20),
            _f("TickerSymbol", "string", length=20),
            _pick("AccountSource", ("Web", "Phone Inquiry", "Partner Referral", "Other")),
            *_readonly(
                _ref("MasterRecordId", "Account", relationship="MasterRecord"),
                _f("PhotoUrl", "url", length=255),
                _f("LastActivityDate", "date"),
                *viewed(),
            ),
        ],
        "User": [
            _f("CommunityNickname", "string", length=40, unique=True),
            _f("CompanyName", "string", length=80),
            _f("Division", "string", length=80),
            _f("EmployeeNumber", "string", length=20),
            _ref("ManagerId", "User", relationship="Manager"),
            _ref("UserRoleId", "UserRole"),
            _f("MobilePhone", "phone", length=40),
            _f("Extension", "string", length=40),
            _f("Fax", "phone", length=40),
            *address(""),
            _f("Signature", "textarea", length=1333),
            _f("SenderEmail", "email", length=80),
            _f("SenderName", "string", length=80),
            _f("AboutMe", "textarea", length=1000),
            _ref("ContactId", "Contact"),
            *_readonly(
                _ref("AccountId", "Account"),
                _f("LastLoginDate", "datetime"),
                _f("FullPhotoUrl", "url", length=1024),
                _f("SmallPhotoUrl", "url", length=1024),
                _f("IsPortalEnabled", "boolean"),
                *viewed(),
            ),
        ],
        "Group": [_f("DoesIncludeBosses", "boolean", default=True)],
        "ContentVersion": [
            _f("TagCsv", "textarea", length=2000),
            _pick("SharingPrivacy", ("N", "P"), default="N"),
            _f("ContentUrl", "url", length=1300),
            _f("IsMajorVersion", "boolean", default=True),
            _f("ContentModifiedDate", "datetime"),
            *_readonly(
                _ref("ContentModifiedById", "User", relationship="ContentModifiedBy"),
                _ref("ContentBodyId", "ContentBody"),
                _pick("PublishStatus", ("U", "P", "R")),
                _f("IsAssetEnabled", "boolean"),
                _f("PositiveRatingCount", "int"),
                _f("NegativeRatingCount", "int"),
                _f("RatingCount", "int"),
            ),
        ],
        "CaseMilestone": _readonly(
            _ref("BusinessHoursId", "BusinessHours"),
            _f("TimeRemainingInMins", "string", length=10),
            _f("TimeSinceTargetInMins", "string", length=10),
            _f("ActualElapsedTimeInMins", "int"),
            _f("ActualElapsedTimeInDays", "double", precision=18, scale=2),
            _f("StoppedTimeInMins", "int"),
            _f("IsViolated", "boolean"),
        ),
        "Entitlement": [
            _ref("BusinessHoursId", "BusinessHours"),
            _ref("AssetId", "Asset"),
            _ref("ServiceContractId", "ServiceContract"),
            _f("CasesPerEntitlement", "int"),
            _f("RemainingCases", "int"),
            _f("IsPerIncident", "boolean", default=False),
            *_readonly(_f("LastViewedDate", "datetime"), _f("LastReferencedDate", "datetime")),
        ],
    }


PERSON_ACCOUNT_FIELDS: Final = (
    "Salutation",
    "FirstName",
    "LastName",
    "PersonEmail",
    "PersonMobilePhone",
    "PersonHomePhone",
    "PersonOtherPhone",
    "PersonMailingStreet",
    "PersonMailingCity",
    "PersonMailingState",
    "PersonMailingPostalCode",
    "PersonMailingCountry",
    "PersonTitle",
    "PersonDepartment",
    "PersonBirthdate",
    "PersonLeadSource",
    "PersonHasOptedOutOfEmail",
    "PersonDoNotCall",
)
"""Account fields of a Person Account that hold its contact's values (Object Reference:
Account, "Person Account fields")."""
PERSON_TO_CONTACT: Final = {
    "Salutation": "Salutation",
    "FirstName": "FirstName",
    "LastName": "LastName",
    "PersonEmail": "Email",
    "Phone": "Phone",
    "PersonMobilePhone": "MobilePhone",
    "PersonHomePhone": "HomePhone",
    "PersonOtherPhone": "OtherPhone",
    "PersonMailingStreet": "MailingStreet",
    "PersonMailingCity": "MailingCity",
    "PersonMailingState": "MailingState",
    "PersonMailingPostalCode": "MailingPostalCode",
    "PersonMailingCountry": "MailingCountry",
    "PersonTitle": "Title",
    "PersonDepartment": "Department",
    "PersonBirthdate": "Birthdate",
    "PersonLeadSource": "LeadSource",
    "PersonHasOptedOutOfEmail": "HasOptedOutOfEmail",
    "PersonDoNotCall": "DoNotCall",
}
"""A Person Account field → the field of its person contact that holds the same value."""


def enable_person_accounts(objects: Mapping[str, SObjectSpec]) -> None:
    """Add what an org with Person Accounts describes: ``IsPersonAccount`` on Account and
    Contact, ``PersonContactId`` and the person fields on Account, ``IsPersonType`` on
    RecordType (Object Reference: Account, Contact, RecordType)."""
    account, contact = objects["Account"], objects["Contact"]
    account.fields["Name"].required = False
    for field in _readonly(
        _f("IsPersonAccount", "boolean"),
        _ref("PersonContactId", "Contact", relationship="PersonContact"),
    ):
        account.add(field)
    for name in PERSON_ACCOUNT_FIELDS:
        twin = contact.field(PERSON_TO_CONTACT[name])
        assert twin is not None, name
        account.add(attrs.evolve(twin, name=name, label="", required=False, nillable=True))
    contact.add(_readonly(_f("IsPersonAccount", "boolean"))[0])
    objects["RecordType"].add(_readonly(_f("IsPersonType", "boolean"))[0])


def custom_object(name: str, prefix: str, label: str, name_field: Mapping[str, Any]) -> SObjectSpec:
    """A custom object as ``CustomObject`` creates it: system fields and its ``Name`` field."""
    auto = str(name_field.get("type", "Text")) == "AutoNumber"
    name_spec = _f(
        "Name",
        "string",
        label=str(name_field.get("label") or "Name"),
        length=80,
        createable=not auto,
        updateable=not auto,
    )
    return _object(name, prefix, [name_spec], custom=True, label=label)
