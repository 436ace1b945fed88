"""What a rollback reads of a Salesforce org: when its records were last changed.

One SOQL query per 200 ids (``SELECT Id, LastModifiedDate FROM Case WHERE Id IN (...)``): a
record the query does not return is gone (deleted records are in the Recycle Bin, which a
query leaves out). ``LastModifiedDate`` is what a person's edit moves; the migration writes it
as the source's own time through the audit fields, so a later one means someone worked on the
record in Salesforce since (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm).
The deletes themselves are :meth:`SalesforceTarget.delete`'s sObject Collections calls
(``DELETE /composite/sobjects?ids=...&allOrNone=false``, 200 ids a call).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from cemigrate.adapters.salesforce.client import SalesforceClient
from cemigrate.schema import Kind

__all__ = ["last_changed"]

_SOBJECTS: Final = {Kind.TICKET: "Case", Kind.USER: "Contact", Kind.ORGANIZATION: "Account"}


def last_changed(
    client: SalesforceClient, kind: Kind, target_ids: Sequence[str]
) -> dict[str, datetime | None]:
    """``LastModifiedDate`` of each case, contact or account; None for one gone."""
    sobject = _SOBJECTS.get(kind)
    if sobject is None:
        return {}
    by_prefix: dict[str, datetime | None] = {}
    for row in client.query_in(f"SELECT Id, LastModifiedDate FROM {sobject}", "Id", target_ids):
        stamp = str(row["LastModifiedDate"]).replace("Z", "+00:00")
        if stamp[-5] in "+-" and stamp[-3] != ":":  # Salesforce writes +0000
            stamp = f"{stamp[:-2]}:{stamp[-2:]}"
        by_prefix[str(row["Id"])[:15]] = datetime.fromisoformat(stamp)
    return {i: by_prefix.get(i[:15]) for i in target_ids}
