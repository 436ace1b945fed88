"""A rollback's deletes of the Setup metadata a run created in a Salesforce org.

- **Custom fields** (target id ``Case.Tier__c``, the full name) go through the Metadata API's
  ``deleteMetadata`` of type ``CustomField``, 10 full names a call (the Tooling API's
  ``CustomField`` object lists no REST DELETE:
  https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm;
  ``deleteMetadata`` deletes any component that extends Metadata and answers one
  ``DeleteResult`` each:
  https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_deleteMetadata.htm).
  A name the org no longer has (``INVALID_CROSS_REFERENCE_KEY``) counts as deleted.
- **Flows** (target id the ``FlowDefinition``'s) are switched off first (``PATCH
  tooling/sobjects/FlowDefinition/{id}`` with ``Metadata.activeVersionNumber`` 0:
  https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_flowdefinition.htm),
  then each version is deleted (``DELETE tooling/sobjects/Flow/{id}``; a version can be deleted
  as long as it isn't active:
  https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_flow.htm).
  FlowDefinition itself takes no DELETE; it goes with its last version. A 404 counts as gone.

Entitlement processes (SLA policies) are not deleted: the Tooling API documents no delete of
``SlaProcess``, so a rollback lists them as left.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final
from xml.sax.saxutils import escape

from cemigrate.adapters.salesforce.client import SalesforceClient, soql_list
from cemigrate.adapters.salesforce.entitlements import read_element
from cemigrate.errors import RecordError

__all__ = ["delete_fields", "delete_flows"]

_NS: Final = "{http://soap.sforce.com/2006/04/metadata}"
_MAX_COMPONENTS: Final = 10
"""Full names one ``deleteMetadata`` call may name."""
_QUERY_CHUNK: Final = 200
_GONE: Final = "INVALID_CROSS_REFERENCE_KEY"


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _not_found(exc: RecordError) -> bool:
    return "NOT_FOUND" in (exc.platform_message or "") or " 404 " in exc.reason


def delete_fields(client: SalesforceClient, full_names: Sequence[str]) -> None:
    """Delete these custom fields (``Case.Tier__c``); raise :class:`RecordError` naming the
    ones Salesforce refused, after trying them all."""
    refused: list[str] = []
    names = list(dict.fromkeys(full_names))
    for chunk in _chunks(names, _MAX_COMPONENTS):
        fulls = "".join(f"<fullNames>{escape(n)}</fullNames>" for n in chunk)
        root = client.metadata_call(
            f"<deleteMetadata><type>CustomField</type>{fulls}</deleteMetadata>",
            what="deleteMetadata CustomField",
        )
        for element in root.iter(f"{_NS}result"):
            result = read_element(element)
            if not isinstance(result, dict) or result.get("success") in (True, "true"):
                continue
            errors = result.get("errors")
            listed = errors if isinstance(errors, list) else [errors]
            codes = {str(e.get("statusCode")) for e in listed if isinstance(e, dict)}
            if codes != {_GONE}:
                messages = "; ".join(str(e.get("message")) for e in listed if isinstance(e, dict))
                refused.append(f"{result.get('fullName')}: {messages}")
    for sobject in {n.split(".")[0] for n in names}:
        client.forget_describe(sobject)
    if refused:
        raise RecordError(
            "salesforce refused to delete custom fields", platform_message="; ".join(refused)
        )


def delete_flows(client: SalesforceClient, definition_ids: Sequence[str]) -> None:
    """Switch off and delete these flows (FlowDefinition ids) with all their versions; raise
    :class:`RecordError` naming what Salesforce refused, after trying them all."""
    refused: list[str] = []
    ids = list(dict.fromkeys(definition_ids))
    for id in ids:
        try:
            client.rest(
                f"tooling/sobjects/FlowDefinition/{id}",
                method="PATCH",
                json_body={"Metadata": {"activeVersionNumber": 0}},
                what=f"deactivate flow {id}",
            )
        except RecordError as exc:
            if not _not_found(exc):
                refused.append(f"{id}: {exc.platform_message or exc.reason}")
    for chunk in _chunks(ids, _QUERY_CHUNK):
        rows = client.tooling_query(
            f"SELECT Id, DefinitionId FROM Flow WHERE DefinitionId IN {soql_list(chunk)}"
        )
        for row in rows:
            try:
                client.rest(
                    f"tooling/sobjects/Flow/{row['Id']}",
                    method="DELETE",
                    what=f"delete flow version {row['Id']}",
                )
            except RecordError as exc:
                if not _not_found(exc):
                    refused.append(f"{row['Id']}: {exc.platform_message or exc.reason}")
    if refused:
        raise RecordError("salesforce refused to delete flows", platform_message="; ".join(refused))
