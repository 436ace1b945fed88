"""Suite-wide rules for cemigrate's own tests.

Only a test marked ``live`` (it needs a real account) may skip. Any other skip, a missing
fixture file or an optional module that did not import, would let the suite prove less on one
machine than on another while still reporting success, so it fails the test instead.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

pytest_plugins = ("pytester",)  # tests/core/test_repository.py runs this rule on a probe


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Turn the skip of a test not marked ``live`` into a failure that names the reason."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and "live" not in item.keywords:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but only tests marked live may skip: {reason}"
    return report
