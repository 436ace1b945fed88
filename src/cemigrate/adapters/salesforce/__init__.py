"""Salesforce Service Cloud: an org as a source and as a target (simple-salesforce inside).

The data model (schema records as Salesforce objects) is docs/salesforce.md. The package's
names are loaded when first used, so that a module of it (its rule dialect, say) can be
imported without the whole adapter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cemigrate.adapters.salesforce.client import SalesforceClient, SalesforceCredentials
    from cemigrate.adapters.salesforce.source import SalesforceSource
    from cemigrate.adapters.salesforce.target import SalesforceTarget

__all__ = ["SalesforceClient", "SalesforceCredentials", "SalesforceSource", "SalesforceTarget"]

_HOMES = {
    "SalesforceClient": "client",
    "SalesforceCredentials": "client",
    "SalesforceSource": "source",
    "SalesforceTarget": "target",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
