"""Salesforce Service Cloud as a plan names it: keys, credentials, builders, target profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.counting import Count, Counting
from cemigrate.adapters.platform import AdapterSettings, Platform, ReadPage, role
from cemigrate.adapters.profile import COMMON_READ_BACK, TargetProfile
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.field_ledger import SALESFORCE_NOT_HELD
from cemigrate.adapters.salesforce.kept import LABEL_KEYS, held_as
from cemigrate.adapters.salesforce.limits import SALESFORCE_PLANS
from cemigrate.adapters.salesforce.rules import SALESFORCE_RULES
from cemigrate.errors import ConfigError, CredentialError
from cemigrate.schema import Kind

__all__ = ["PLATFORM", "SALESFORCE_KEEPS", "salesforce_credentials", "salesforce_instance_url"]

_KEYS: Mapping[str, type] = {
    "instance_url": str,
    "edition": str,
    "licences": int,
    "api_version": str,
}
"""A Salesforce source's plan keys. With the common ones: ``base_url`` (a sandbox or a proxy;
the same as ``instance_url``), ``daily_quota_share``. Credentials: ``access_token_env`` (an
OAuth access token for the instance), or ``username_env``, ``password_env`` and
``security_token_env``."""
_TARGET_KEYS: Mapping[str, type] = {
    **_KEYS,
    "bulk_threshold": int,
    "fallback_agent_email": str,
}
"""A Salesforce target's plan keys: the source's, ``bulk_threshold`` (new cases in one write
from which Bulk API 2.0 is used) and ``fallback_agent_email`` (the User that takes the place of
an agent no User matches by e-mail)."""


SALESFORCE_KEEPS: Final[Mapping[Kind, frozenset[str]]] = {
    Kind.ORGANIZATION: frozenset(
        {"name", "details", "notes", "external_id", "domains", "tags", "custom_fields"}
    ),
    # End users are Contacts (kept.held_as: the name split in two, the phones and identities
    # in the Contact's fields); agents are the org's own Users, matched by e-mail.
    Kind.USER: frozenset(
        {
            "name",
            "email",
            "identities",
            "organization",
            "phone",
            "external_id",
            "address",
            "details",
            "notes",
            "tags",
            "custom_fields",
        }
    ),
    Kind.GROUP: frozenset({"name"}),
    # A created custom field's describe (kept.held_as: a lookup to users or groups is text).
    Kind.FIELD: frozenset(
        {"title", "description", "type", "options", "object", "references", "read_only", "formula"}
    ),
    Kind.GROUP_MEMBERSHIP: frozenset({"user", "group"}),
    Kind.ORGANIZATION_MEMBERSHIP: frozenset({"user", "organization", "default"}),
    # Holidays come back one row a day, merged again (their ids are Salesforce's).
    Kind.SCHEDULE: frozenset({"name", "time_zone", "intervals", "holidays"}),
    # The owner is the assignee (a User) or the group (a queue; Cemigrate_Queue_Id__c when an
    # agent owns the case); the contact is the requester when an end user asked.
    Kind.TICKET: frozenset({"subject", "tags", "organization", "requester", "assignee", "group"}),
}
"""What a Salesforce target holds as the source had it, per kind (docs/salesforce.md)."""


def salesforce_instance_url(settings: AdapterSettings) -> str:
    """The plan's ``base_url`` or ``instance_url`` (``https://acme.my.salesforce.com``)."""
    url = settings.options.get("base_url") or settings.options.get("instance_url")
    if not url:
        raise ConfigError(
            f"salesforce {role(settings)}: set instance_url (https://<domain>.my.salesforce.com)"
            " or base_url (a sandbox or a proxy)"
        )
    if not str(url).startswith(("http://", "https://")):
        raise ConfigError(
            f"salesforce {role(settings)}: {url!r} must start with http:// or https://"
        )
    return str(url).rstrip("/")


def salesforce_credentials(settings: AdapterSettings) -> SalesforceCredentials:
    """An access token, or a username, password and security token, from the variables the
    plan names."""
    given = settings.credentials
    if given.get("access_token"):
        return SalesforceCredentials(access_token=given["access_token"])
    if given.get("username") and given.get("password"):
        return SalesforceCredentials(
            username=given["username"],
            password=given["password"],
            security_token=given.get("security_token", ""),
        )
    raise CredentialError(
        f"salesforce {role(settings)}: name the variables holding the credentials:"
        " access_token_env, or username_env, password_env and security_token_env"
    )


def _common(settings: AdapterSettings) -> dict[str, Any]:
    options = settings.options
    common: dict[str, Any] = {
        "instance_url": salesforce_instance_url(settings),
        "credentials": salesforce_credentials(settings),
        "edition": str(options.get("edition", options.get("plan", "enterprise"))),
        "licences": int(options.get("licences", 0)),
        "clock": settings.clock,
        "session": settings.session,
    }
    if options.get("daily_quota_share") is not None:
        common["daily_quota_share"] = float(options["daily_quota_share"])
    if options.get("api_version"):
        common["api_version"] = str(options["api_version"])
    return common


def _source(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.salesforce.source import SalesforceSource

    return SalesforceSource(instance=settings.name, **_common(settings))


def _target_view(settings: AdapterSettings) -> Source:
    # The target's SLA history is in cemigrate's custom objects, not in CaseMilestone rows.
    from cemigrate.adapters.salesforce.source import SalesforceSource

    return SalesforceSource(instance=settings.name, target_view=True, **_common(settings))


def _target(settings: AdapterSettings) -> Target:
    from cemigrate.adapters.salesforce.objects import DEFAULT_BULK_THRESHOLD
    from cemigrate.adapters.salesforce.target import SalesforceTarget

    fallback = settings.options.get("fallback_agent_email")
    return SalesforceTarget(
        bulk_threshold=int(settings.options.get("bulk_threshold", DEFAULT_BULK_THRESHOLD)),
        fallback_agent_email=str(fallback) if fallback else None,
        **_common(settings),
    )


def _count(source: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    from cemigrate.adapters.salesforce.counts import count

    return count(source, kinds, instances)


def _count_cost(kinds: Sequence[Kind], instances: Sequence[str] | None) -> int:
    from cemigrate.adapters.salesforce.counts import cost

    return cost(kinds, instances)


PLATFORM = Platform(
    plans=SALESFORCE_PLANS,
    rules=SALESFORCE_RULES,
    name="salesforce",
    core="salesforce.daily",  # every REST call counts against the org's daily requests
    source_keys=_KEYS,
    target_keys=_TARGET_KEYS,
    build_source=_source,
    build_target=_target,
    build_target_view=_target_view,
    account_url=salesforce_instance_url,
    counts=Counting(_count, _count_cost),
    profile=TargetProfile(
        platform="salesforce",
        # SLA history: the Cemigrate_Sla_Event__c and Cemigrate_Ticket_Metrics__c rows the
        # target wrote, read back as records (a target view's SLA events and ticket metrics).
        read_back=COMMON_READ_BACK
        | {Kind.ORGANIZATION_MEMBERSHIP, Kind.SCHEDULE, Kind.SLA_EVENT, Kind.TICKET_METRICS},
        ratings_loss="Salesforce has no object for satisfaction ratings",
        keeps=SALESFORCE_KEEPS,
        not_held=SALESFORCE_NOT_HELD,
        held_as=held_as,
        # A case nobody owns in the source is owned by the user the migration writes as.
        defaulted={Kind.TICKET: frozenset({"assignee"})},
        # Brands, forms and custom statuses: their names in Case text fields (kept.py).
        ticket_labels=dict(LABEL_KEYS),
    ),
    read_pages={
        # Cases are handed on 200 at a time, and each such page queries its children: one
        # query per child object (CaseComment, EmailMessage, FeedItem), then the file links and
        # versions in IN lists of 200 ids (the cases and their e-mails). Seven requests a page
        # is what the demo desk's 2,000 tickets measured (about 75 queries, downloads apart).
        Kind.TICKET: ReadPage(200, requests=7),
        # One SOQL query page holds up to 2,000 rows (facts 2.2).
        Kind.SLA_EVENT: ReadPage(2000),
        Kind.TICKET_METRICS: ReadPage(2000),
    },
)
"""Salesforce Service Cloud: the descriptor the registry lists."""
