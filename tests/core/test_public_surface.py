"""Each package exports exactly its intended names, sorted, each with a docstring."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

PACKAGES = {
    "cemigrate.schema": {"Ticket", "Comment", "Attachment", "Ref", "SourceKey", "content_hash"},
    "cemigrate.ledger": {"Ledger", "Entry", "EntryState", "Outcome", "PendingEntry"},
    "cemigrate.adapters": {"Source", "Target", "Batch", "Outgoing", "WriteResult", "Metadata"},
    "cemigrate.adapters.memory": {"MemorySource", "MemoryTarget", "MemoryFaults"},
    "cemigrate.copier": {"Migration", "Mode", "RunReport"},
    "cemigrate.mapping": {"RecordMapping", "IdentityMapping", "Skip", "load_mapping"},
    "cemigrate.testing": {"conformance_suite", "AdapterPair", "Faults"},
}


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_package_exports_its_intended_names_sorted(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    # ruff's isort-style order: CONSTANTS, then Classes, then functions, each alphabetical.
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    assert PACKAGES[name] <= set(exported)
    public = {
        n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)
    }
    public -= {"annotations"}
    assert public == set(exported), public ^ set(exported)


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_exported_class_and_function_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    for attribute in module.__all__:
        value = getattr(module, attribute)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{name}.{attribute} has no docstring"


PUBLIC_API = [
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
"""What ``import cemigrate`` offers: exactly these names, no more, no fewer."""


def test_import_cemigrate_offers_exactly_the_public_api() -> None:
    import cemigrate

    assert cemigrate.__all__ == PUBLIC_API
    public = {
        n
        for n in dir(cemigrate)
        if not n.startswith("_") and not inspect.ismodule(getattr(cemigrate, n))
    }
    assert public == set(PUBLIC_API) - {"__version__"}
    for name in set(PUBLIC_API) - {"__version__"}:
        value = getattr(cemigrate, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"cemigrate.{name} has no docstring"


def test_each_platform_has_one_name_for_its_credentials() -> None:
    import cemigrate.adapters.freshdesk.client as freshdesk
    import cemigrate.adapters.salesforce.client as salesforce
    import cemigrate.adapters.zendesk.client as zendesk

    for module in (freshdesk, salesforce, zendesk):
        assert not hasattr(module, "Credentials"), module.__name__


def test_import_cemigrate_loads_a_public_name_when_it_is_first_used() -> None:
    code = (
        "import sys, cemigrate; assert 'cemigrate.adapters.zendesk.source' not in sys.modules;"
        " cemigrate.ZendeskSource; assert 'cemigrate.adapters.zendesk.source' in sys.modules;"
        " assert cemigrate.schema.Kind.TICKET"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
