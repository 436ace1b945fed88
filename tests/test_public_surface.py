"""Each package exports exactly its intended names, sorted, each with a docstring."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = {
    "cemigrate.schema": {"Ticket", "Comment", "Attachment", "Ref", "SourceKey", "content_hash"},
    "cemigrate.ledger": {"Ledger", "Entry", "EntryState", "Outcome", "PendingEntry"},
    "cemigrate.adapters": {"Source", "Target", "Batch", "Outgoing", "WriteResult", "Metadata"},
    "cemigrate.adapters.memory": {"MemorySource", "MemoryTarget", "MemoryFaults"},
    "cemigrate.copier": {"Migration", "Mode", "RunReport"},
    "cemigrate.mapping": {"Mapping", "IdentityMapping", "Skip", "load_mapping"},
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
