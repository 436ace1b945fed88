"""cemigrate: migrate help desks between Zendesk, Salesforce Service Cloud and Freshdesk.

The public surface, one name for each thing a script or a notebook needs::

    import cemigrate

    plan = cemigrate.open_plan("acme.plan.toml")   # plan, mapping and credentials checked
    report = plan.migration().run()                 # safe to run again: nothing written twice
    proof = plan.reconciliation().run()             # the report a manager signs
    proof.write("proof/")
    cemigrate.sign_off("proof/", name="A. Manager", role="Head of Support")

Adapters built by hand (a notebook against the emulators, a script with its own sessions) are
here too: ``ZendeskSource``, ``SalesforceTarget``, ``FreshdeskCredentials`` ... with
:class:`Migration`, :class:`Reconciliation` and :class:`Ledger`.
"""

from cemigrate._version import __version__
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, Mode
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping, shipped_mapping
from cemigrate.plan import Plan, open_plan
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation, sign_off, verify

__all__ = [
    "FreshdeskCredentials",
    "FreshdeskSource",
    "FreshdeskTarget",
    "Ledger",
    "ManualClock",
    "Migration",
    "Mode",
    "Plan",
    "Reconciliation",
    "SalesforceCredentials",
    "SalesforceSource",
    "SalesforceTarget",
    "ZendeskCredentials",
    "ZendeskSource",
    "ZendeskTarget",
    "__version__",
    "load_mapping",
    "open_plan",
    "shipped_mapping",
    "sign_off",
    "verify",
]
