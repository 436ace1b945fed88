"""The Zendesk Support adapter.

:mod:`.objects` is the table of Zendesk objects (endpoints, paging, budgets, batch sizes);
:mod:`.convert` turns Zendesk JSON into schema records and records into Zendesk write payloads.
"""

from cemigrate.adapters.zendesk.objects import (
    BATCH_SIZE,
    BY_NAME,
    OBJECTS,
    SOURCE_CAPABILITIES,
    TARGET_CAPABILITIES,
    Paging,
    Read,
    Write,
    ZendeskObject,
)

__all__ = [
    "BATCH_SIZE",
    "BY_NAME",
    "OBJECTS",
    "SOURCE_CAPABILITIES",
    "TARGET_CAPABILITIES",
    "Paging",
    "Read",
    "Write",
    "ZendeskObject",
]
