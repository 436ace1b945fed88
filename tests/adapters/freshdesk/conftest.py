"""The Freshdesk adapter tests' emulated account."""

from __future__ import annotations

import pytest

from cemigrate.testing.freshdesk_writes import Desk


@pytest.fixture
def desk() -> Desk:
    """An empty emulated account with one agent, its target, and a source reading it back."""
    return Desk()
