"""The Salesforce adapter tests' emulated org."""

from __future__ import annotations

import pytest

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox


@pytest.fixture
def org() -> SalesforceSandbox:
    """An empty emulated org on a manual clock (a test module may give ``org`` another org)."""
    return SalesforceSandbox(tickets=0, empty=True, clock=ManualClock())
