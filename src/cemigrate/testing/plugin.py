"""The pytest plugin (registered through the ``pytest11`` entry point).

It gives every test an injected clock, skips tests marked ``live`` unless
``CEMIGRATE_LIVE=1`` is set, and makes the conformance suite importable as a library.
"""

from __future__ import annotations

import os

import pytest

from cemigrate.ratelimit import ManualClock


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers cemigrate's tests and adapters' conformance tests use."""
    config.addinivalue_line("markers", "live: needs a real platform account (CEMIGRATE_LIVE=1)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds (subprocesses)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``live`` tests unless the run asks for them."""
    if os.environ.get("CEMIGRATE_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="needs a real account: set CEMIGRATE_LIVE=1 and credentials")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock whose sleeps return at once and are recorded."""
    return ManualClock()
