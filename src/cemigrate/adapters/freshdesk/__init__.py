"""The Freshdesk adapter (API v2, a thin client on requests: no maintained SDK exists).

:mod:`.objects` is the table of Freshdesk lists and of the endpoints with budgets of their own;
:mod:`.convert` turns Freshdesk JSON into schema records and records into Freshdesk payloads;
:mod:`.source` and :mod:`.target` read and write an account. The data model is
``docs/freshdesk.md``.
"""

from cemigrate.adapters.freshdesk.client import FreshdeskClient, FreshdeskCredentials
from cemigrate.adapters.freshdesk.objects import (
    BY_NAME,
    OBJECTS,
    SOURCE_CAPABILITIES,
    TARGET_CAPABILITIES,
    FreshdeskObject,
)

__all__ = [
    "BY_NAME",
    "OBJECTS",
    "SOURCE_CAPABILITIES",
    "TARGET_CAPABILITIES",
    "FreshdeskClient",
    "FreshdeskCredentials",
    "FreshdeskObject",
]
