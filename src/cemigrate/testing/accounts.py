"""Sources and targets on emulated accounts reached in process, one per platform and side,
for tests that migrate the same generated help desk between any two platforms.

A source serves the desk generated with :data:`TICKETS` and :data:`SEED` (instance ``old``);
a target is a brand-new account holding that desk's agents where the platform needs them to
exist before a migration (Salesforce users, Freshdesk agents). Each takes the test's clock.
"""

from __future__ import annotations

from collections.abc import Callable

from cemigrate.adapters import Source, Target
from cemigrate.ratelimit import ManualClock

__all__ = [
    "MAKERS",
    "SEED",
    "TICKETS",
    "Maker",
    "freshdesk_source",
    "freshdesk_target",
    "salesforce_source",
    "salesforce_target",
    "zendesk_source",
    "zendesk_target",
]

TICKETS, SEED = 120, 6
"""The size and seed of the help desk every source here serves."""


def zendesk_source(clock: ManualClock) -> Source:
    """A Zendesk account holding the desk, the clock moved past the exports' last minute."""
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.source import ZendeskSource
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    account = ZendeskSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, subdomain="old"
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
