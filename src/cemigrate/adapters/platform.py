"""What a platform descriptor holds: everything the layers above need to know of one platform.

Each platform's folder exports one :class:`Platform` as ``PLATFORM``
(``adapters/<platform>/platform.py``): the plan keys its source and target take, how to build
them from a plan's settings, the target profile reconciliation compares with, and the page
facts its cost estimates use. :mod:`cemigrate.adapters.registry` lists the descriptors;
nothing outside a platform's folders branches on its name.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import requests

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.counting import Counting
from cemigrate.adapters.profile import TargetProfile
from cemigrate.errors import ConfigError
from cemigrate.ratelimit import Clock, PlatformPlans
from cemigrate.rules.dialect import RuleDialect
from cemigrate.schema import Kind

__all__ = ["AdapterSettings", "Platform", "ReadPage", "http_base_url", "role"]


@attrs.frozen(kw_only=True)
class AdapterSettings:
    """What a plan says about one side, with credentials already read from the environment."""

    name: str
    """The instance name (sources) or ``target``."""
    options: Mapping[str, Any]
    """The platform's own keys from the plan, type-checked."""
    credentials: Mapping[str, str] = attrs.field(repr=False)
    """Secrets by name (plan key ``token_env`` gives ``token``); kept out of repr, never
    logged or stored."""
    base_dir: Path
    """The plan file's folder: relative paths in options are relative to it."""
    clock: Clock
    session: requests.Session | None = attrs.field(default=None, repr=False, eq=False)
    """The session the adapter sends through (proxies, TLS, recorders, sandboxes); its own
    when None."""


@attrs.frozen
class ReadPage:
    """How one kind is read: records per page and the budget a page spends."""

    size: int
    budget: str | None = None
    """``None``: the platform's core budget."""
    requests: int = 1
    """Requests per page (a Zendesk ticket export page brings its comment events' page)."""
    also_core: bool = False
    """Whether each request spends the core budget too (Zendesk's exports do)."""


_DEFAULT_PAGE = ReadPage(100)


@attrs.frozen(kw_only=True)
class Platform:
    """One platform: plan keys, adapter builders, target profile, read costs, rule dialect."""

    name: str
    source_keys: Mapping[str, type] = attrs.field(factory=dict)
    """The source's own plan keys (beside ``platform``, ``plan``, ``base_url`` and
    ``daily_quota_share``, which every side takes) and their types."""
    target_keys: Mapping[str, type] = attrs.field(factory=dict)
    """The target's own plan keys and their types."""
    build_source: Callable[[AdapterSettings], Source] | None = None
    build_target: Callable[[AdapterSettings], Target] | None = None
    build_target_view: Callable[[AdapterSettings], Source] | None = None
    """The target account read back as a source (the same platform's source adapter on the
    target's settings): what reconciliation compares the sources with."""
    account_url: Callable[[AdapterSettings], str] | None = None
    """The address of the account a plan's settings name (``https://acme.zendesk.com``)."""
    counts: Counting | None = None
    """Counts per kind from the platform's own counting endpoints (``counts.py``, no
    converters): reconciliation's second path to the numbers; ``None``: it has none."""
    profile: TargetProfile | None = None
    """How the platform represents what it receives as a target; ``None``: everything
    native (the memory reference)."""
    read_pages: Mapping[Kind, ReadPage] = attrs.field(factory=dict)
    """Where reading a kind differs from 100 records a page on the core budget."""
    plans: PlatformPlans | None = None
    """Its plans (editions) and the budgets each gives; ``None``: unknown (a third party's
    adapter builds its own budgets)."""
    rules: RuleDialect | None = None
    """The words its rules and SLA policies are read and written in; ``None`` for the memory
    reference, which keeps them as read (in their own platform's words)."""

    core: str = ""
    """The budget most calls spend, where it is not ``<name>.core`` (Salesforce's calls all
    spend the org's daily API requests, ``salesforce.daily``)."""

    @property
    def core_budget(self) -> str:
        """The budget most calls spend (``zendesk.core``, ``salesforce.daily``, ...)."""
        return self.core or f"{self.name}.core"

    def read_cost(self, records: Mapping[str, int]) -> dict[str, int]:
        """Calls per budget to read ``records`` (kind → count) once, page by page."""
        calls: Counter[str] = Counter()
        for kind, count in records.items():
            page = self.read_pages.get(Kind(kind), _DEFAULT_PAGE)
            requests = max(1, math.ceil(count / page.size)) * page.requests
            budget = page.budget or self.core_budget
            calls[budget] += requests
            if page.also_core and budget != self.core_budget:
                calls[self.core_budget] += requests
        return dict(calls)


def role(settings: AdapterSettings) -> str:
    """``target`` or ``source 'emea'``: how an error names the side it is about."""
    return "target" if settings.name == "target" else f"source {settings.name!r}"


def http_base_url(
    settings: AdapterSettings, platform: str, host: Callable[[AdapterSettings], str]
) -> str:
    """The plan's ``base_url`` (a sandbox or a proxy), checked, else ``host(settings)``."""
    base_url = settings.options.get("base_url")
    if not base_url:
        return host(settings)
    if not re.match(r"^https?://", str(base_url)):
        raise ConfigError(
            f"{platform} {role(settings)}: base_url {base_url!r} must start with"
            " http:// or https://"
        )
    return str(base_url).rstrip("/")
