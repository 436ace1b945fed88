"""Flows in the Salesforce emulator: the Tooling API's ``Flow`` and ``FlowDefinition`` objects.

``POST /tooling/sobjects/Flow`` with ``{"FullName", "Metadata"}`` (``Metadata`` is the Metadata
API's Flow type as JSON) saves a flow **version**: the first save of a ``FullName`` creates its
``FlowDefinition`` (``DeveloperName`` = the full name) and version 1, every later save the next
version (each save is a new version, as on the platform). The answer's ``id`` is the version's
(``301...``); the definition's id (``300...``) is the version's ``DefinitionId``.

A version is checked as Salesforce checks a flow on save, against the org's describe: the
record-triggered start's object, its filters' fields and operators, the fields an update assigns
(which must be updateable), the labels and process type, and every connector's target element.
Problems come back as Salesforce's error list (one entry each, 400).

Status: a version is saved ``Draft`` (the default) or ``Active``. Saving one ``Active`` is what
the org setting "Deploy processes and flows as active" allows (in production it also needs flow
test coverage); the emulator has no org-type notion, so it refuses ``Active`` unless the sandbox
is built with ``deploy_flows_active=True``. Activation is ``PATCH
/tooling/sobjects/FlowDefinition/{id}`` ``{"Metadata": {"activeVersionNumber": N}}``: version N
becomes ``Active``, the version active before it ``Obsolete``; ``0`` (or null) deactivates, the
active version becoming ``Obsolete``. Versions never activated stay ``Draft``.

Deleting: ``DELETE /tooling/sobjects/Flow/{id}`` deletes a version that is not active (the
Tooling API's Flow object lists DELETE and says a version can be deleted as long as it isn't
active; deactivate it first through its FlowDefinition, ``activeVersionNumber`` 0:
https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_flow.htm,
https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_flowdefinition.htm).
An active version's delete is refused (400 ``DELETE_FAILED``, the emulator's wording); a
definition goes with its last version (FlowDefinition itself takes no DELETE: it is made with
its first version and only updated,
https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_flowdefinition.htm).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from cemigrate.sandbox.salesforce.exceptions import ErrorList, SalesforceError, not_found
from cemigrate.sandbox.salesforce.models import (
    Row,
    SalesforceBackend,
    normalize_id,
    sf_datetime,
)
from cemigrate.sandbox.salesforce.objects import SObjectSpec

__all__ = [
    "DEFINITION_PREFIX",
    "FLOW_PREFIX",
    "OPERATORS",
    "activate_flow",
    "check_flow",
    "create_flow",
    "delete_flow",
]

FLOW_PREFIX: Final = "301"
"""Key prefix of ``Flow`` (a flow version)."""
DEFINITION_PREFIX: Final = "300"
"""Key prefix of ``FlowDefinition``."""

PROCESS_TYPES: Final = frozenset(
    {
        "AutoLaunchedFlow",
        "Flow",
        "Workflow",
        "CustomEvent",
        "InvocableProcess",
        "Orchestrator",
        "FieldServiceMobile",
        "FieldServiceWeb",
        "Survey",
        "ContactRequestFlow",
        "RoutingFlow",
    }
)
"""``processType`` values a flow may have (a subset of the Metadata API's list)."""
TRIGGER_TYPES: Final = frozenset(
    {"RecordAfterSave", "RecordBeforeSave", "RecordBeforeDelete", "Scheduled", "PlatformEvent"}
)
RECORD_TRIGGER_TYPES: Final = frozenset({"Create", "Update", "CreateAndUpdate", "Delete"})
OPERATORS: Final = frozenset(
    {
        "EqualTo",
        "NotEqualTo",
        "Contains",
        "StartsWith",
        "EndsWith",
        "GreaterThan",
        "GreaterThanOrEqualTo",
        "LessThan",
        "LessThanOrEqualTo",
        "IsChanged",
        "IsNull",
        "In",
        "NotIn",
    }
)
"""Record filter operators (``FlowRecordFilterOperator``)."""
VALUE_KEYS: Final = frozenset(
    {
        "stringValue",
        "numberValue",
        "booleanValue",
        "dateValue",
        "dateTimeValue",
        "elementReference",
    }
)
"""The members of a ``FlowElementReferenceOrValue``."""
STATUSES: Final = ("Active", "Draft", "Obsolete", "InvalidDraft")
OFFSET_UNITS: Final = frozenset({"Minutes", "Hours", "Days"})
TIME_SOURCES: Final = frozenset({"RecordTriggerEvent", "RecordField"})
ELEMENT_LISTS: Final = (
    "actionCalls",
    "assignments",
    "collectionProcessors",
    "customErrors",
    "decisions",
    "loops",
    "recordCreates",
    "recordDeletes",
    "recordLookups",
    "recordUpdates",
    "screens",
    "subflows",
    "waits",
)
"""The Flow metadata lists whose items are elements a connector can target."""

RESOURCE_LISTS: Final = ("constants", "formulas", "textTemplates", "variables")
"""The Flow metadata lists whose items are resources an ``elementReference`` can name."""

_API_NAME: Final = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
_FLOW_INVALID: Final = "FIELD_INTEGRITY_EXCEPTION"
"""The code the emulator gives a flow that fails validation (not verified: Salesforce's flow
validation errors vary; their messages below follow Flow Builder's wording where known)."""

_PICKLIST_MESSAGE: Final = "bad value for restricted picklist field"

Problem = tuple[str, str, list[str]]
"""One validation error: ``errorCode``, ``message``, ``fields``."""
Refuse = Callable[..., None]
"""Records a problem: ``refuse(message, *fields, code=...)``."""


# --- validation --------------------------------------------------------------------------------


def check_flow(backend: SalesforceBackend, metadata: Mapping[str, Any]) -> list[Problem]:
    """What Salesforce would refuse in a flow's metadata (empty when it saves)."""
    problems: list[Problem] = []

    def refuse(message: str, *fields: str, code: str = _FLOW_INVALID) -> None:
        if message.startswith(_PICKLIST_MESSAGE):
            code = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        problems.append((code, message, list(fields)))

    if not str(metadata.get("label") or "").strip():
        refuse("Required fields are missing: [label]", "label", code="REQUIRED_FIELD_MISSING")
    process = metadata.get("processType")
    if not process:
        refuse(
            "Required fields are missing: [processType]",
            "processType",
            code="REQUIRED_FIELD_MISSING",
        )
    elif process not in PROCESS_TYPES:
        refuse(f"bad value for restricted picklist field: {process}", "processType")
    status = metadata.get("status", "Draft")
    if status not in STATUSES:
        refuse(f"bad value for restricted picklist field: {status}", "status")
    elements = _element_names(metadata, refuse)
    start = metadata.get("start")
    if start is not None and not isinstance(start, Mapping):
        refuse("The start element must be an object.", "start")
        start = None
    sobject: SObjectSpec | None = None
    if start is not None:
        sobject = _check_start(backend, start, elements, refuse)
    for update in _items(metadata.get("recordUpdates")):
        _check_update(backend, update, sobject, elements, refuse)
    resources = {str(r.get("name")) for key in RESOURCE_LISTS for r in _items(metadata.get(key))}
    _check_references(metadata, sobject, elements | resources, refuse)
    for element_list in ELEMENT_LISTS:
        for element in _items(metadata.get(element_list)):
            for key in ("connector", "faultConnector", "defaultConnector"):
                _check_connector(element.get(key), elements, refuse, f"{element.get('name')}")
    return problems


def _items(value: object) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]  # the Metadata API's JSON writes a one-item list as the item
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def _element_names(metadata: Mapping[str, Any], refuse: Refuse) -> set[str]:
    names: set[str] = set()
    for element_list in ELEMENT_LISTS:
        for element in _items(metadata.get(element_list)):
            name = str(element.get("name") or "")
            if not _API_NAME.match(name) or len(name) > 80:
                refuse(
                    f"The {element_list} element name {name!r} isn't valid: it must begin with a"
                    " letter and use only alphanumeric characters and single underscores.",
                    element_list,
                )
            elif name in names:
                refuse(f"The element name {name} is used more than once.", element_list)
            names.add(name)
            if not str(element.get("label") or "").strip():
                refuse(
                    f"Required fields are missing: [label] ({name})",
                    element_list,
                    code="REQUIRED_FIELD_MISSING",
                )
    return names


def _check_connector(connector: object, elements: set[str], refuse: Refuse, where: str) -> None:
    if connector is None:
        return
    target = connector.get("targetReference") if isinstance(connector, Mapping) else None
    if not target or target not in elements:
        refuse(
            f"{where}: the connector's target element {target!r} doesn't exist in this flow.",
            "connector",
        )


def _check_start(
    backend: SalesforceBackend, start: Mapping[str, Any], elements: set[str], refuse: Refuse
) -> SObjectSpec | None:
    _check_connector(start.get("connector"), elements, refuse, "Start")
    trigger = start.get("triggerType")
    if trigger is not None and trigger not in TRIGGER_TYPES:
        refuse(f"bad value for restricted picklist field: {trigger}", "start.triggerType")
    name = start.get("object")
    if name is None:
        if trigger in ("RecordAfterSave", "RecordBeforeSave", "RecordBeforeDelete"):
            refuse("A record-triggered flow needs an object.", "start.object")
        return None
    spec = backend.schema.spec(str(name))
    if spec is None:
        refuse(f"The object {name} doesn't exist or isn't supported.", "start.object")
        return None
    record_trigger = start.get("recordTriggerType")
    if trigger in ("RecordAfterSave", "RecordBeforeSave") and (
        record_trigger not in RECORD_TRIGGER_TYPES
    ):
        refuse(
            f"bad value for restricted picklist field: {record_trigger}",
            "start.recordTriggerType",
        )
    filters = _items(start.get("filters"))
    for filter in filters:
        field_name = str(filter.get("field") or "")
        operator = filter.get("operator")
        if spec.field(field_name) is None:
            refuse(
                f'The field "{field_name}" for the object "{spec.name}" doesn\'t exist.',
                "start.filters",
            )
        if operator not in OPERATORS:
            refuse(f"bad value for restricted picklist field: {operator}", "start.filters")
        elif operator == "IsChanged" and record_trigger == "Create":
            refuse(
                "The IsChanged operator is available only when the flow runs on updates.",
                "start.filters",
            )
        if not _is_value(filter.get("value")):
            refuse(f"The filter on {field_name} has no value.", "start.filters")
    _check_filter_logic(start.get("filterLogic"), len(filters), refuse)
    paths = _items(start.get("scheduledPaths"))
    if paths:
        if trigger != "RecordAfterSave":
            refuse("Scheduled paths need a flow that runs after the record is saved.", "start")
        elif record_trigger != "Create" and not start.get("doesRequireRecordChangedToMeetCriteria"):
            refuse(
                "Scheduled paths are available only when the flow runs when a record is"
                " created, or when a record is updated to meet the condition requirements.",
                "start.scheduledPaths",
            )
    for path in paths:
        _check_connector(path.get("connector"), elements, refuse, f"{path.get('name')}")
        if path.get("offsetUnit") not in OFFSET_UNITS:
            refuse(
                f"bad value for restricted picklist field: {path.get('offsetUnit')}",
                "start.scheduledPaths",
            )
        if not isinstance(path.get("offsetNumber"), int | float):
            refuse("Required fields are missing: [offsetNumber]", "start.scheduledPaths")
        source = path.get("timeSource", "RecordTriggerEvent")
        if source not in TIME_SOURCES:
            refuse(f"bad value for restricted picklist field: {source}", "start.scheduledPaths")
        elif source == "RecordField" and spec.field(str(path.get("recordField") or "")) is None:
            refuse(
                f'The field "{path.get("recordField")}" for the object "{spec.name}"'
                " doesn't exist.",
                "start.scheduledPaths",
            )
    return spec


def _check_filter_logic(logic: object, count: int, refuse: Refuse) -> None:
    if logic is None or str(logic).lower() in ("and", "or", "no_conditions"):
        return
    text = str(logic)
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    rest = re.sub(r"\d+|\bAND\b|\bOR\b|\bNOT\b|[()\s]", "", text, flags=re.IGNORECASE)
    if rest or not numbers:
        refuse(f"The condition logic {text!r} isn't valid.", "start.filterLogic")
    elif any(n < 1 or n > count for n in numbers):
        refuse(
            f"The condition logic {text!r} refers to a condition that doesn't exist.",
            "start.filterLogic",
        )
    elif set(numbers) != set(range(1, count + 1)):
        refuse(
            f"The condition logic {text!r} doesn't refer to every condition.",
            "start.filterLogic",
        )


def _check_update(
    backend: SalesforceBackend,
    update: Mapping[str, Any],
    start_object: SObjectSpec | None,
    elements: set[str],
    refuse: Refuse,
) -> None:
    name = str(update.get("name") or "")
    if update.get("inputReference") == "$Record":
        spec = start_object
        if spec is None:
            refuse(
                f"{name}: $Record is available only in a record-triggered flow.", "recordUpdates"
            )
            return
    else:
        found = backend.schema.spec(str(update.get("object") or ""))
        if found is None:
            refuse(
                f"{name}: the object {update.get('object')} doesn't exist or isn't supported.",
                "recordUpdates",
            )
            return
        spec = found
    for assignment in _items(update.get("inputAssignments")):
        field_name = str(assignment.get("field") or "")
        field = spec.field(field_name)
        if field is None:
            refuse(
                f'{name}: the field "{field_name}" for the object "{spec.name}" doesn\'t exist.',
                "recordUpdates",
            )
        elif not field.updateable or field.audit or field.type in ("id", "autonumber"):
            refuse(
                f'{name}: the field "{field.name}" for the object "{spec.name}" isn\'t updateable.',
                "recordUpdates",
            )
        value = assignment.get("value")
        if value is not None and not _is_value(value):
            refuse(f"{name}: the value assigned to {field_name} isn't valid.", "recordUpdates")


def _check_references(
    metadata: Mapping[str, Any], record: SObjectSpec | None, names: set[str], refuse: Refuse
) -> None:
    """Every ``elementReference`` names an element, a resource or ``$Record.<field>``."""

    def walk(value: object) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if key == "elementReference":
                    check(str(inner))
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    def check(reference: str) -> None:
        head, _, field = reference.partition(".")
        if head == "$Record" and record is not None:
            if record.field(field) is None:
                refuse(
                    f'The field "{field}" for the object "{record.name}" doesn\'t exist.',
                    "elementReference",
                )
        elif head not in names:
            refuse(f"The element or resource {reference!r} doesn't exist.", "elementReference")

    for key, value in metadata.items():
        if key != "start":
            walk(value)


def _is_value(value: object) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in VALUE_KEYS


# --- writes ----------------------------------------------------------------------------------


def create_flow(backend: SalesforceBackend, full_name: str, metadata: Mapping[str, Any]) -> str:
    """Save a flow version as ``POST /tooling/sobjects/Flow`` does; the version's id."""
    if not _API_NAME.match(full_name) or len(full_name) > 80 or full_name.endswith("_"):
        raise SalesforceError(
            _FLOW_INVALID,
            f"The flow API name {full_name!r} isn't valid: it must begin with a letter, use only"
            " alphanumeric characters and single underscores, not end with an underscore, and"
            " be at most 80 characters.",
            ["FullName"],
        )
    problems = check_flow(backend, metadata)
    if problems:
        raise ErrorList(problems)
    status = str(metadata.get("status") or "Draft")
    if status == "Active" and not backend.deploy_flows_active:
        raise SalesforceError(
            _FLOW_INVALID,
            "This org can't save a flow as active: save it as Draft and activate it, or turn"
            ' on "Deploy processes and flows as active" (production orgs also need flow test'
            " coverage).",
            ["Status"],
        )
    definitions = backend.tooling["FlowDefinition"]
    versions = backend.tooling["Flow"]
    definition = next(
        (r for r in definitions.values() if str(r["DeveloperName"]).lower() == full_name.lower()),
        None,
    )
    label = str(metadata.get("label"))
    # What an all-or-none composite request's rollback puts back.
    saved_definition = None if definition is None else copy.deepcopy(definition)
    saved = {
        id: copy.deepcopy(row)
        for id, row in versions.items()
        if definition is not None and row["DefinitionId"] == definition["Id"]
    }
    if definition is None:
        definition_id = backend.new_id(DEFINITION_PREFIX)
        definition = definitions[definition_id] = _row(
            backend,
            definition_id,
            {
                "DeveloperName": full_name,
                "MasterLabel": label,
                "Description": metadata.get("description"),
                "NamespacePrefix": None,
                "ActiveVersionId": None,
                "LatestVersionId": None,
                "FullName": full_name,
                "Metadata": {"activeVersionNumber": None, "description": None},
            },
        )
    number = 1 + max(
        (
            int(v["VersionNumber"])
            for v in versions.values()
            if v["DefinitionId"] == definition["Id"]
        ),
        default=0,
    )
    version_id = backend.new_id(FLOW_PREFIX)
    stored = copy.deepcopy(dict(metadata))
    stored["status"] = status
    versions[version_id] = _row(
        backend,
        version_id,
        {
            "DefinitionId": definition["Id"],
            "MasterLabel": label,
            "Description": metadata.get("description"),
            "ProcessType": metadata.get("processType"),
            "Status": status,
            "VersionNumber": number,
            "ApiVersion": metadata.get("apiVersion"),
            "FullName": definition["DeveloperName"],
            "Metadata": stored,
        },
    )
    definition["LatestVersionId"] = version_id
    definition["MasterLabel"] = label
    definition["LastModifiedDate"] = versions[version_id]["CreatedDate"]
    if status == "Active":
        _switch(backend, definition, number)
    definition_id = str(definition["Id"])

    def undo() -> None:
        versions.pop(version_id, None)
        versions.update(saved)
        if saved_definition is None:
            definitions.pop(definition_id, None)
        else:
            definitions[definition_id] = saved_definition

    backend.undoable(undo)
    return version_id


def activate_flow(backend: SalesforceBackend, definition_id: str, body: Mapping[str, Any]) -> None:
    """``PATCH /tooling/sobjects/FlowDefinition/{id}``: activate a version (0 deactivates)."""
    full = normalize_id(definition_id)
    definition = None if full is None else backend.tooling["FlowDefinition"].get(full)
    if definition is None:
        raise not_found()
    metadata = body.get("Metadata")
    if not isinstance(metadata, Mapping):
        raise SalesforceError(
            "REQUIRED_FIELD_MISSING", "Required fields are missing: [Metadata]", ["Metadata"]
        )
    wanted = metadata.get("activeVersionNumber")
    if wanted is not None and (
        not isinstance(wanted, int | float) or isinstance(wanted, bool) or wanted != int(wanted)
    ):
        raise SalesforceError(
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of int from VALUE_STRING value {wanted}",
            ["activeVersionNumber"],
        )
    number = int(wanted or 0)
    if number and _version(backend, definition, number) is None:
        raise SalesforceError(
            _FLOW_INVALID,
            f"Version {number} of the flow {definition['DeveloperName']} doesn't exist.",
            ["activeVersionNumber"],
        )
    for key, column in (("description", "Description"), ("masterLabel", "MasterLabel")):
        if metadata.get(key) is not None:
            definition[column] = metadata[key]
    _switch(backend, definition, number)


def delete_flow(backend: SalesforceBackend, version_id: str) -> None:
    """``DELETE /tooling/sobjects/Flow/{id}``: delete a version that is not active; its
    definition goes with its last version."""
    full = normalize_id(version_id)
    versions = backend.tooling["Flow"]
    version = None if full is None else versions.get(full)
    if version is None or full is None:
        raise not_found()
    definitions = backend.tooling["FlowDefinition"]
    definition = definitions.get(str(version["DefinitionId"]))
    if version["Status"] == "Active" or (
        definition is not None and definition.get("ActiveVersionId") == full
    ):
        raise SalesforceError(
            "DELETE_FAILED",
            f"Version {version['VersionNumber']} of the flow {version['FullName']} is active:"
            " deactivate it before deleting it.",
            [],
        )
    del versions[full]
    if definition is None:
        return
    left = [v for v in versions.values() if v["DefinitionId"] == definition["Id"]]
    if not left:
        del definitions[definition["Id"]]
    elif definition.get("LatestVersionId") == full:
        latest = max(left, key=lambda v: int(v["VersionNumber"]))
        definition["LatestVersionId"] = latest["Id"]


def _version(backend: SalesforceBackend, definition: Row, number: int) -> Row | None:
    return next(
        (
            v
            for v in backend.tooling["Flow"].values()
            if v["DefinitionId"] == definition["Id"] and int(v["VersionNumber"]) == number
        ),
        None,
    )


def _switch(backend: SalesforceBackend, definition: Row, number: int) -> None:
    """Make version ``number`` the active one (0: none); the one active before is Obsolete."""
    now = sf_datetime(backend.now())
    previous = definition.get("ActiveVersionId")
    target = _version(backend, definition, number) if number else None
    if previous and (target is None or previous != target["Id"]):
        _set_status(backend.tooling["Flow"][previous], "Obsolete", now)
    if target is not None:
        _set_status(target, "Active", now)
    definition["ActiveVersionId"] = None if target is None else target["Id"]
    definition["Metadata"] = {
        **definition["Metadata"],
        "activeVersionNumber": number or None,
        "description": definition.get("Description"),
    }
    definition["LastModifiedDate"] = now


def _set_status(version: Row, status: str, now: str | None) -> None:
    version["Status"] = status
    version["Metadata"] = {**version["Metadata"], "status": status}
    version["LastModifiedDate"] = now


def _row(backend: SalesforceBackend, id: str, values: Mapping[str, Any]) -> Row:
    now = sf_datetime(backend.now())
    return {"Id": id, **values, "CreatedDate": now, "LastModifiedDate": now, "IsDeleted": False}
