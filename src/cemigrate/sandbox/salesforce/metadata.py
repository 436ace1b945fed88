"""The Metadata API's CRUD calls in the Salesforce emulator, for entitlement processes.

``POST /services/Soap/m/{version}`` takes a SOAP envelope (the session id in
``SessionHeader``) holding one of three calls:

- ``upsertMetadata`` with up to 10 ``EntitlementProcess`` components (``xsi:type``): each is
  created, or updated when its ``fullName`` exists (case-insensitive, as ``NameNorm`` is lower
  case), and answered with an ``UpsertResult`` (``created``, ``fullName``, ``success``,
  ``errors``). A component is checked as the org would: its milestones must name an existing
  ``MilestoneType`` (``milestoneName``), have ``minutesToComplete`` > 0 (unless a
  ``minutesCustomClass`` computes it), and criteria on existing fields of the process's object
  with picklist values that field holds. Each stored process is mirrored as a ``SlaProcess``
  row (``Name``, ``IsActive``, ``SobjectType``...), which SOQL reads.
- ``readMetadata`` of type ``EntitlementProcess`` and up to 10 ``fullNames``: the components
  the org has (absent names are left out). ``readMetadata`` also serves the ``AssignmentRules``
  and ``EscalationRules`` containers (fullName ``Case``) the seeder stores in
  ``backend.metadata[<type>]["case"]``: ``assignmentRule`` / ``escalationRule`` lists whose
  rules hold their ``ruleEntry`` lists (read only: upserting them is refused).
- ``deleteMetadata`` of type ``CustomField`` and up to 10 ``fullNames`` (``Case.Tier__c``):
  each field leaves describe, SOQL and the records' values, answered with a ``DeleteResult``
  (``fullName``, ``success``, ``errors``); a name the org does not have is refused with
  ``INVALID_CROSS_REFERENCE_KEY`` ("deleteMetadata()", Metadata API Developer Guide:
  https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_deleteMetadata.htm;
  the Tooling API's ``CustomField`` lists no REST DELETE:
  https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm).

Entitlement processes need Entitlement Management: in an org built with
``entitlements_enabled=False`` both calls answer the fault ``INVALID_TYPE`` and the
entitlement objects (``SlaProcess``, ``MilestoneType``, ``Entitlement``, ``CaseMilestone``)
do not exist. Other metadata types and calls are not emulated (a fault says so). The
messages of per-component errors are the emulator's own wording.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

from cemigrate.sandbox.salesforce.exceptions import SoapFault
from cemigrate.sandbox.salesforce.models import SalesforceBackend, sf_datetime

__all__ = [
    "ENTITLEMENT_OBJECTS",
    "MAX_COMPONENTS",
    "METADATA_NS",
    "RULE_TYPES",
    "answer",
    "check_entitlement_process",
]

METADATA_NS: Final = "http://soap.sforce.com/2006/04/metadata"
_SOAP_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
MAX_COMPONENTS: Final = 10
"""Components one CRUD call may name."""
RULE_TYPES: Final = ("AssignmentRules", "EscalationRules")
"""The rule containers ``readMetadata`` serves (by object: fullName ``Case``), as seeded."""
ENTITLEMENT_OBJECTS: Final = ("SlaProcess", "MilestoneType", "Entitlement", "CaseMilestone")
"""The sObjects an org without Entitlement Management lacks."""
_LISTS: Final = frozenset(
    {
        "milestones",
        "milestoneCriteriaFilterItems",
        "exitCriteriaFilterItems",
        "successActions",
        "timeTriggers",
        "actions",
    }
)
_BOOLEANS: Final = frozenset(
    {"active", "isVersionDefault", "isRecordTypeApplied", "useCriteriaStartTime"}
)
_INTEGERS: Final = frozenset({"minutesToComplete", "versionNumber", "timeLength"})
_OPERATIONS: Final = frozenset(
    {
        "equals",
        "notEqual",
        "lessThan",
        "greaterThan",
        "lessOrEqual",
        "greaterOrEqual",
        "contains",
        "notContain",
        "startsWith",
        "includes",
        "excludes",
        "within",
    }
)
_OBJECTS: Final = frozenset({"Case", "WorkOrder"})
_PICKLISTS: Final = frozenset({"picklist", "multipicklist"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read(element: ET.Element) -> Any:
    """An element as plain data: text for a leaf, a dict of children otherwise (repeated or
    list-valued children as lists)."""
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        key = _local(child.tag)
        value = _read(child)
        if key in _LISTS or key in out:
            if key in out and not isinstance(out[key], list):
                out[key] = [out[key]]
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def _typed(key: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_typed(key, v) for v in value]
    if isinstance(value, dict):
        return {k: _typed(k, v) for k, v in value.items()}
    if key in _BOOLEANS:
        return value == "true"
    if key in _INTEGERS:
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _write(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_write(key, v) for v in value)
    if isinstance(value, dict):
        inner = "".join(_write(k, v) for k, v in value.items())
        return f"<{key}>{inner}</{key}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{key}>{escape(str(value))}</{key}>"


def _envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{_SOAP_NS}" xmlns="{METADATA_NS}"'
        f' xmlns:xsi="{_XSI}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
    ).encode()


def session_id(body: bytes) -> str | None:
    """The ``SessionHeader``'s session id of a SOAP request (None if absent or unreadable)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for element in root.iter():
        if _local(element.tag) == "sessionId":
            return (element.text or "").strip()
    return None


def answer(backend: SalesforceBackend, body: bytes) -> bytes:
    """Answer one Metadata API SOAP request (a fault raises :class:`SoapFault`)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapFault("INVALID_XML", f"The request is not well-formed XML: {exc}") from None
    calls = [child for element in root if _local(element.tag) == "Body" for child in element]
    if len(calls) != 1:
        raise SoapFault("INVALID_XML", "The SOAP body must hold one call.")
    call = calls[0]
    operation = _local(call.tag)
    if operation == "upsertMetadata":
        components = [c for c in call if _local(c.tag) == "metadata"]
        types = {c.get(f"{{{_XSI}}}type", "").split(":")[-1] for c in components}
        _check_call(backend, types, len(components))
        results = [_upsert(backend, _typed("", _read(c))) for c in components]
        inner = "".join(_write("result", r) for r in results)
        return _envelope(f"<upsertMetadataResponse>{inner}</upsertMetadataResponse>")
    if operation == "readMetadata":
        kind = next((c.text or "" for c in call if _local(c.tag) == "type"), "")
        names = [c.text or "" for c in call if _local(c.tag) == "fullNames"]
        _check_call(backend, {kind}, len(names), reading=True)
        stored = backend.metadata.setdefault(kind, {})
        records = "".join(
            f'<records xsi:type="{kind}">'
            f"{''.join(_write(k, v) for k, v in stored[n.lower()].items())}</records>"
            for n in names
            if n.lower() in stored
        )
        return _envelope(f"<readMetadataResponse><result>{records}</result></readMetadataResponse>")
    if operation == "deleteMetadata":
        kind = next((c.text or "" for c in call if _local(c.tag) == "type"), "")
        names = [c.text or "" for c in call if _local(c.tag) == "fullNames"]
        if len(names) > MAX_COMPONENTS:
            _check_call(backend, set(), len(names))
        if kind != "CustomField":
            raise SoapFault(
                "INVALID_TYPE", f"The emulator's deleteMetadata serves CustomField, not {kind}"
            )
        inner = "".join(_write("result", _delete_field(backend, n)) for n in names)
        return _envelope(f"<deleteMetadataResponse>{inner}</deleteMetadataResponse>")
    raise SoapFault(
        "UNKNOWN_EXCEPTION",
        f"The emulator serves upsertMetadata, readMetadata and deleteMetadata, not {operation}",
    )


def _delete_field(backend: SalesforceBackend, full_name: str) -> dict[str, Any]:
    """One ``DeleteResult`` of ``deleteMetadata`` of a ``CustomField``."""
    if backend.delete_custom_field(full_name):
        return {"fullName": full_name, "success": True}
    return {
        "errors": {
            "fields": "fullName",
            "message": f"In field: fullName - no CustomField named {full_name} found",
            "statusCode": "INVALID_CROSS_REFERENCE_KEY",
        },
        "fullName": full_name,
        "success": False,
    }


def _check_call(
    backend: SalesforceBackend, types: set[str], count: int, *, reading: bool = False
) -> None:
    if count > MAX_COMPONENTS:
        raise SoapFault(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COMPONENTS} records in this"
            " operation",
        )
    served = {"EntitlementProcess", *(RULE_TYPES if reading else ())}
    if types - served:
        raise SoapFault(
            "INVALID_TYPE",
            f"The emulator serves {', '.join(sorted(served))} here, not {sorted(types)}",
        )
    if "EntitlementProcess" in types and not backend.entitlements_enabled:
        raise SoapFault(
            "INVALID_TYPE", "This type of metadata is not available for this organization"
        )


def check_entitlement_process(
    backend: SalesforceBackend, record: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The errors Salesforce would report for an ``EntitlementProcess`` (``[]`` when valid)."""
    errors: list[dict[str, Any]] = []

    def refuse(code: str, message: str, *fields: str) -> None:
        errors.append({"fields": list(fields), "message": message, "statusCode": code})

    if not str(record.get("fullName") or "").strip():
        refuse("REQUIRED_FIELD_MISSING", "Required field is missing: fullName", "fullName")
    sobject = str(record.get("SObjectType") or "Case")
    if sobject not in _OBJECTS:
        refuse(
            "FIELD_INTEGRITY_EXCEPTION",
            f"An entitlement process applies to Case or WorkOrder, not {sobject}.",
            "SObjectType",
        )
        return errors
    types = {str(r.get("Name") or "").lower() for r in backend.table("MilestoneType")}
    spec = backend.objects.get(sobject)
    milestones = record.get("milestones") or []
    for milestone in milestones if isinstance(milestones, list) else [milestones]:
        if not isinstance(milestone, Mapping):
            refuse("INVALID_FIELD", "A milestone must be an element.", "milestones")
            continue
        name = str(milestone.get("milestoneName") or "")
        if name.lower() not in types:
            refuse(
                "FIELD_INTEGRITY_EXCEPTION",
                f"Milestone: no milestone type named '{name}' exists in this organization.",
                "milestoneName",
            )
        minutes = milestone.get("minutesToComplete")
        if not milestone.get("minutesCustomClass") and (
            not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0
        ):
            refuse(
                "FIELD_INTEGRITY_EXCEPTION",
                f"Milestone '{name}': minutes to complete must be a whole number greater than"
                f" 0, not {minutes!r}.",
                "minutesToComplete",
            )
        items = milestone.get("milestoneCriteriaFilterItems") or []
        for item in items if isinstance(items, list) else [items]:
            _check_item(item, spec, sobject, name, refuse)
    return errors


def _check_item(item: Any, spec: Any, sobject: str, milestone: str, refuse: Any) -> None:
    if not isinstance(item, Mapping):
        refuse("INVALID_FIELD", "A criteria item must be an element.", "criteria")
        return
    field = str(item.get("field") or "")
    owner, _, column = field.partition(".")
    found = spec.field(column) if spec is not None and owner == sobject else None
    if found is None:
        refuse(
            "INVALID_FIELD",
            f"Milestone '{milestone}': criteria field {field} doesn't exist on {sobject}.",
            "field",
        )
        return
    operation = str(item.get("operation") or "")
    if operation not in _OPERATIONS:
        refuse(
            "INVALID_FIELD",
            f"Milestone '{milestone}': criteria operation {operation!r} isn't valid.",
            "operation",
        )
        return
    if found.type in _PICKLISTS and operation in ("equals", "notEqual"):
        allowed = set(found.picklist or ())
        for value in str(item.get("value") or "").split(","):
            if value.strip() not in allowed:
                refuse(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"Milestone '{milestone}': bad value for restricted picklist field"
                    f" {field}: {value.strip()}",
                    "value",
                )


def _upsert(backend: SalesforceBackend, record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        record = {}
    full_name = str(record.get("fullName") or "").strip()
    errors = check_entitlement_process(backend, record)
    if errors:
        return {"errors": errors, "fullName": full_name, "success": False}
    stored = backend.metadata.setdefault("EntitlementProcess", {})
    key = full_name.lower()
    created = key not in stored
    record = copy.deepcopy(record)
    record["fullName"] = full_name
    record.setdefault("active", False)
    record.setdefault("SObjectType", "Case")
    stored[key] = record
    _mirror(backend, key, record)
    return {"created": created, "fullName": full_name, "success": True}


def _mirror(backend: SalesforceBackend, key: str, record: Mapping[str, Any]) -> None:
    """The ``SlaProcess`` row SOQL reads for a stored process."""
    values = {
        "Name": record.get("name") or record["fullName"],
        "Description": record.get("description"),
        "IsActive": bool(record.get("active")),
        "SobjectType": record.get("SObjectType") or "Case",
        "IsVersionDefault": True,
        "VersionNumber": 1,
    }
    ids = backend.metadata.setdefault("SlaProcessIds", {})
    row_id = ids.get(key)
    if row_id is None or row_id not in backend.rows["SlaProcess"]:
        ids[key] = backend.put("SlaProcess", values)
        return
    row = backend.rows["SlaProcess"][row_id]
    row.update(values)
    row["LastModifiedDate"] = row["SystemModstamp"] = sf_datetime(backend.now())


def read_records(backend: SalesforceBackend, names: Sequence[str]) -> list[dict[str, Any]]:
    """The stored processes of these full names (tests inspect them)."""
    stored = backend.metadata.get("EntitlementProcess", {})
    return [copy.deepcopy(stored[n.lower()]) for n in names if n.lower() in stored]
