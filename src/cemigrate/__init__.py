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

import importlib as _importlib
import typing as _typing

from cemigrate._version import __version__

if _typing.TYPE_CHECKING:
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
    from cemigrate.mapping import Mask, load_mapping, shipped_mapping
    from cemigrate.plan import Plan, open_plan
    from cemigrate.ratelimit import ManualClock
    from cemigrate.reconcile import Reconciliation, sign_off, verify

# Each name is imported when first used, so ``import cemigrate.schema`` (or a sandbox) does not
# load every adapter and SDK.
_WHERE: dict[str, str] = {
    "FreshdeskCredentials": "cemigrate.adapters.freshdesk.client",
    "FreshdeskSource": "cemigrate.adapters.freshdesk.source",
    "FreshdeskTarget": "cemigrate.adapters.freshdesk.target",
    "Ledger": "cemigrate.ledger",
    "ManualClock": "cemigrate.ratelimit",
    "Mask": "cemigrate.mapping",
    "Migration": "cemigrate.copier",
    "Mode": "cemigrate.copier",
    "Plan": "cemigrate.plan",
    "Reconciliation": "cemigrate.reconcile",
    "SalesforceCredentials": "cemigrate.adapters.salesforce.client",
    "SalesforceSource": "cemigrate.adapters.salesforce.source",
    "SalesforceTarget": "cemigrate.adapters.salesforce.target",
    "ZendeskCredentials": "cemigrate.adapters.zendesk.client",
    "ZendeskSource": "cemigrate.adapters.zendesk.source",
    "ZendeskTarget": "cemigrate.adapters.zendesk.target",
    "load_mapping": "cemigrate.mapping",
    "open_plan": "cemigrate.plan",
    "shipped_mapping": "cemigrate.mapping",
    "sign_off": "cemigrate.reconcile",
    "verify": "cemigrate.reconcile",
}

__all__ = [
    "FreshdeskCredentials",
    "FreshdeskSource",
    "FreshdeskTarget",
    "Ledger",
    "ManualClock",
    "Mask",
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


def __getattr__(name: str) -> _typing.Any:
    """Import a public name (or a subpackage: ``cemigrate.schema``) the first time it is used."""
    module = _WHERE.get(name)
    if module is None:
        try:
            return _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
