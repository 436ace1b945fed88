"""Salesforce Service Cloud: an org as a source and as a target (simple-salesforce inside).

The data model (schema records as Salesforce objects) is docs/salesforce.md.
"""

from cemigrate.adapters.salesforce.client import SalesforceClient, SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import SalesforceTarget

__all__ = ["SalesforceClient", "SalesforceCredentials", "SalesforceSource", "SalesforceTarget"]
