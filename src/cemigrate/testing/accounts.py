"""Sources and targets on emulated accounts reached in process, one per platform and side,
for tests that migrate the same generated help desk between any two platforms.

A source serves the desk generated with :data:`TICKETS` and :data:`SEED` (instance ``old``);
a target is a brand-new account holding that desk's agents where the platform needs them to
exist before a migration (Salesforce users, Freshdesk agents). Each takes the test's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import requests

from cemigrate.adapters import Source, Target, registry
from cemigrate.adapters.platform import AdapterSettings
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.web import SandboxAccount

__all__ = [
    "MAKERS",
    "SEED",
    "TICKETS",
    "EmulatedTarget",
    "Maker",
    "empty_target",
    "freshdesk_source",
    "freshdesk_target",
    "salesforce_source",
    "salesforce_target",
    "zendesk_source",
    "zendesk_target",
]

TICKETS, SEED = 120, 6
"""The size and seed of the help desk every source here serves."""


def zendesk_source(clock: ManualClock, *, tickets: int = TICKETS, seed: int = SEED) -> Source:
    """A Zendesk account holding the desk (by default the one every source here serves), the
    clock moved past the exports' last minute."""
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.source import ZendeskSource
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    account = ZendeskSandbox(
        tickets=tickets, seed=seed, instance="old", clock=clock, subdomain="old"
    )
    clock.advance(120)  # past the exports' last minute
    return ZendeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
    )


def zendesk_target(clock: ManualClock) -> Target:
    """An empty Zendesk account."""
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.target import ZendeskTarget
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    account = ZendeskSandbox(tickets=0, empty=True, clock=clock, subdomain="new")
    return ZendeskTarget(
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
    )


def salesforce_source(clock: ManualClock) -> Source:
    """A Salesforce org holding the desk."""
    from cemigrate.adapters.salesforce.client import SalesforceCredentials as SfCredentials
    from cemigrate.adapters.salesforce.source import SalesforceSource
    from cemigrate.sandbox.salesforce import SalesforceSandbox

    org = SalesforceSandbox(tickets=TICKETS, seed=SEED, instance="old", clock=clock)
    return SalesforceSource(
        instance="old",
        instance_url=org.base_url,
        credentials=SfCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )


def salesforce_target(clock: ManualClock) -> Target:
    """An empty Salesforce org holding the desk's agents as users."""
    from cemigrate.adapters.salesforce.client import SalesforceCredentials as SfCredentials
    from cemigrate.adapters.salesforce.target import SalesforceTarget
    from cemigrate.sandbox.dataset import generate
    from cemigrate.sandbox.salesforce import SalesforceSandbox
    from cemigrate.schema import Role

    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    seen: set[str] = set()
    for person in generate(tickets=TICKETS, seed=SEED, instance="old").users:
        email = (person.email or "").lower()
        if person.role is not Role.END_USER and email and email not in seen:
            seen.add(email)  # agents exist before a migration: Users need licences
            org.add_user(name=person.name, email=person.email or "", active=not person.suspended)
    return SalesforceTarget(
        instance_url=org.base_url,
        credentials=SfCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )


def freshdesk_source(clock: ManualClock) -> Source:
    """A Freshdesk account holding the desk."""
    from cemigrate.adapters.freshdesk.client import FreshdeskCredentials as FdCredentials
    from cemigrate.adapters.freshdesk.source import FreshdeskSource
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox

    account = FreshdeskSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, domain="old.freshdesk.com"
    )
    return FreshdeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=FdCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=clock,
    )


def freshdesk_target(clock: ManualClock) -> Target:
    """An empty Freshdesk account holding the desk's agents."""
    from cemigrate.adapters.freshdesk.client import FreshdeskCredentials as FdCredentials
    from cemigrate.adapters.freshdesk.target import FreshdeskTarget
    from cemigrate.sandbox.dataset import generate
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox

    account = FreshdeskSandbox(tickets=0, empty=True, clock=clock, domain="new.freshdesk.com")
    # Agents are paid seats and ticket types an admin's setting: both exist before a migration.
    account.add_seats(generate(tickets=TICKETS, seed=SEED, instance="old"))
    return FreshdeskTarget(
        base_url=account.base_url,
        credentials=FdCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=clock,
    )


Maker = Callable[[ManualClock], Source | Target]
"""A builder of a source or a target on the test's clock."""

MAKERS: dict[str, tuple[Maker, Maker]] = {
    "zendesk-to-zendesk": (zendesk_source, zendesk_target),
    "zendesk-to-salesforce": (zendesk_source, salesforce_target),
    "salesforce-to-zendesk": (salesforce_source, zendesk_target),
    "zendesk-to-freshdesk": (zendesk_source, freshdesk_target),
    "freshdesk-to-zendesk": (freshdesk_source, zendesk_target),
    "freshdesk-to-salesforce": (freshdesk_source, salesforce_target),
    "salesforce-to-freshdesk": (salesforce_source, freshdesk_target),
}
"""The source and target builders of every pair with a shipped mapping, by the mapping's name."""


@attrs.frozen
class EmulatedTarget:
    """An empty emulated account set up to receive a desk, with its adapters built as a plan
    builds them: the target, and the target view reconciliation reads it back with."""

    account: SandboxAccount[Any]
    """The emulator (its ``backend`` is where a test changes a record behind the ledger)."""
    clock: ManualClock
    target: Target

    def view(self) -> Source:
        """A fresh reading of the account as reconciliation makes it (``build_target_view``)."""
        build = registry.platform(self.account.platform).build_target_view
        assert build is not None, f"{self.account.platform} cannot be read back"
        return build(_target_settings(self.account, self.clock))

    def admin(self) -> requests.Session:
        """A session signed in as the account's administrator (to change records by hand)."""
        return self.account.session()

    @property
    def api(self) -> str:
        """The root of the platform's REST API on this account."""
        paths = {"zendesk": "/api/v2", "freshdesk": "/api/v2", "salesforce": "/services/data/v59.0"}
        return self.account.base_url + paths[self.account.platform]


def empty_target(platform: str, clock: ManualClock, desk: HelpDesk) -> EmulatedTarget:
    """A brand-new account of ``platform`` holding what an administrator sets up before
    migrating ``desk``: its agents' seats (Salesforce users, Freshdesk agents and ticket types)
    and, on Zendesk, its agents' custom roles."""
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox
    from cemigrate.sandbox.salesforce import SalesforceSandbox
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    account: SandboxAccount[Any]
    if platform == "zendesk":
        zendesk = ZendeskSandbox(tickets=0, empty=True, clock=clock, subdomain="new")
        for role in sorted({u.custom_role for u in desk.users if u.custom_role}):
            zendesk.backend.add_custom_role(role)
        account = zendesk
    elif platform == "salesforce":
        account = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    else:
        account = FreshdeskSandbox(tickets=0, empty=True, clock=clock, domain="new.freshdesk.com")
    account.add_seats(desk)
    build = registry.platform(platform).build_target
    assert build is not None
    return EmulatedTarget(account, clock, build(_target_settings(account, clock)))


def _target_settings(account: SandboxAccount[Any], clock: ManualClock) -> AdapterSettings:
    """The settings a plan naming ``account`` as its target gives the adapters."""
    return AdapterSettings(
        name="target",
        options={"base_url": account.base_url},
        credentials=account.credentials(),
        base_dir=Path.cwd(),
        clock=clock,
        session=account.session(authenticated=False),
    )
