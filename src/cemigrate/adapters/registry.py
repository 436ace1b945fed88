"""Which platforms exist, which plan keys each accepts, and how to build its adapters.

The plan loader validates a plan against this table, so a typo in a plan names its line
before anything runs; the copier builds adapters from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.errors import ConfigError, CredentialError
from cemigrate.ratelimit import Clock
from cemigrate.schema import Kind

if TYPE_CHECKING:
    from cemigrate.adapters.freshdesk.client import Credentials as FreshdeskCredentials
    from cemigrate.adapters.salesforce.client import Credentials as SalesforceCredentials
    from cemigrate.adapters.zendesk.client import Credentials


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


@attrs.frozen(kw_only=True)
class Platform:
    """One platform: the plan keys its source and target take, and their builders."""

    name: str
    source_keys: Mapping[str, type] = attrs.field(factory=dict)
    target_keys: Mapping[str, type] = attrs.field(factory=dict)
    build_source: Callable[[AdapterSettings], Source] | None = None
    build_target: Callable[[AdapterSettings], Target] | None = None
    build_target_view: Callable[[AdapterSettings], Source] | None = None
    """The target account read back as a source (the same platform's source adapter on the
    target's settings): what reconciliation compares the sources with."""


def _memory_source(settings: AdapterSettings) -> Source:
    from cemigrate.sandbox.dataset import generate

    desk = generate(
        tickets=int(settings.options.get("tickets", 200)),
        seed=int(settings.options.get("seed", 7)),
        instance=settings.name,
    )
    return MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance=settings.name,
        blobs=desk.blob,
        page_size=int(settings.options.get("page_size", 100)),
        clock=settings.clock,
    )


def _memory_target(settings: AdapterSettings) -> Target:
    path = settings.options.get("path")
    return MemoryTarget(
        settings.base_dir / path if path else ":memory:",
        batch_size=int(settings.options.get("batch_size", 100)),
        clock=settings.clock,
    )


_ZENDESK_KEYS: Mapping[str, type] = {"subdomain": str, "high_volume": bool}
"""A Zendesk source's (and target's) own plan keys. With the common ones: ``base_url`` (a
sandbox or a proxy instead of ``https://{subdomain}.zendesk.com``; one of the two is needed)
and ``plan`` (the budget preset, ``enterprise`` by default). Credentials: ``email_env`` and
``token_env``, or ``oauth_token_env``."""
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def _role(settings: AdapterSettings) -> str:
    return "target" if settings.name == "target" else f"source {settings.name!r}"


def zendesk_base_url(settings: AdapterSettings) -> str:
    """The plan's ``base_url``, else ``https://{subdomain}.zendesk.com``."""
    base_url = settings.options.get("base_url")
    if base_url:
        if not str(base_url).startswith(("http://", "https://")):
            raise ConfigError(
                f"zendesk {_role(settings)}: base_url {base_url!r} must start with"
                " http:// or https://"
            )
        return str(base_url).rstrip("/")
    subdomain = settings.options.get("subdomain")
    if not subdomain:
        raise ConfigError(
            f"zendesk {_role(settings)}: set subdomain (the account is"
            " https://{subdomain}.zendesk.com) or base_url (a sandbox or a proxy)"
        )
    if not _SUBDOMAIN.match(subdomain):
        raise ConfigError(
            f"zendesk {_role(settings)}: subdomain {subdomain!r} is not a subdomain"
            " (write acme for https://acme.zendesk.com)"
        )
    return f"https://{subdomain.lower()}.zendesk.com"


def zendesk_credentials(settings: AdapterSettings) -> Credentials:
    """``email`` and ``token``, or ``oauth_token``, from the variables the plan names."""
    from cemigrate.adapters.zendesk.client import Credentials

    given = settings.credentials
    if given.get("oauth_token"):
        return Credentials(oauth_token=given["oauth_token"])
    if given.get("email") and given.get("token"):
        return Credentials(email=given["email"], token=given["token"])
    raise CredentialError(
        f"zendesk {_role(settings)}: name the variables holding the credentials:"
        " email_env and token_env (an API token), or oauth_token_env"
    )


def _zendesk_source(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.zendesk.source import ZendeskSource

    return ZendeskSource(
        instance=settings.name,
        base_url=zendesk_base_url(settings),
        credentials=zendesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        high_volume=bool(settings.options.get("high_volume", False)),
        sla_events=bool(settings.options.get("sla_events", True)),
        clock=settings.clock,
    )


def _zendesk_target(settings: AdapterSettings) -> Target:
    from cemigrate.adapters.zendesk.target import ZendeskTarget

    return ZendeskTarget(
        base_url=zendesk_base_url(settings),
        credentials=zendesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        high_volume=bool(settings.options.get("high_volume", False)),
        clock=settings.clock,
    )


def _zendesk_target_view(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.zendesk.source import ZendeskSource

    # The target's SLA history is in its tickets (fields and a note), not in metric events.
    return ZendeskSource(
        instance=settings.name,
        base_url=zendesk_base_url(settings),
        credentials=zendesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        high_volume=bool(settings.options.get("high_volume", False)),
        sla_events=False,
        clock=settings.clock,
    )


_SALESFORCE_KEYS: Mapping[str, type] = {
    "instance_url": str,
    "edition": str,
    "licences": int,
    "api_version": str,
}
"""A Salesforce source's plan keys. With the common ones: ``base_url`` (a sandbox or a proxy;
the same as ``instance_url``), ``daily_quota_share``. Credentials: ``access_token_env`` (an
OAuth access token for the instance), or ``username_env``, ``password_env`` and
``security_token_env``."""
_SALESFORCE_TARGET_KEYS: Mapping[str, type] = {
    **_SALESFORCE_KEYS,
    "bulk_threshold": int,
    "fallback_agent_email": str,
}
"""A Salesforce target's plan keys: the source's, ``bulk_threshold`` (new cases in one write
from which Bulk API 2.0 is used) and ``fallback_agent_email`` (the User that takes the place of
an agent no User matches by e-mail)."""


def salesforce_instance_url(settings: AdapterSettings) -> str:
    """The plan's ``base_url`` or ``instance_url`` (``https://acme.my.salesforce.com``)."""
    url = settings.options.get("base_url") or settings.options.get("instance_url")
    if not url:
        raise ConfigError(
            f"salesforce {_role(settings)}: set instance_url (https://<domain>.my.salesforce.com)"
            " or base_url (a sandbox or a proxy)"
        )
    if not str(url).startswith(("http://", "https://")):
        raise ConfigError(
            f"salesforce {_role(settings)}: {url!r} must start with http:// or https://"
        )
    return str(url).rstrip("/")


def salesforce_credentials(settings: AdapterSettings) -> SalesforceCredentials:
    """An access token, or a username, password and security token, from the variables the
    plan names."""
    from cemigrate.adapters.salesforce.client import Credentials as SalesforceCredentials

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
        f"salesforce {_role(settings)}: name the variables holding the credentials:"
        " access_token_env, or username_env, password_env and security_token_env"
    )


def _salesforce_common(settings: AdapterSettings) -> dict[str, Any]:
    options = settings.options
    common: dict[str, Any] = {
        "instance_url": salesforce_instance_url(settings),
        "credentials": salesforce_credentials(settings),
        "edition": str(options.get("edition", options.get("plan", "enterprise"))),
        "licences": int(options.get("licences", 0)),
        "clock": settings.clock,
    }
    if options.get("daily_quota_share") is not None:
        common["daily_quota_share"] = float(options["daily_quota_share"])
    if options.get("api_version"):
        common["api_version"] = str(options["api_version"])
    return common


def _salesforce_source(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.salesforce.source import SalesforceSource

    return SalesforceSource(instance=settings.name, **_salesforce_common(settings))


def _salesforce_target_view(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.salesforce.source import SalesforceSource

    return SalesforceSource(instance=settings.name, **_salesforce_common(settings))


def _salesforce_target(settings: AdapterSettings) -> Target:
    from cemigrate.adapters.salesforce.objects import DEFAULT_BULK_THRESHOLD
    from cemigrate.adapters.salesforce.target import SalesforceTarget

    fallback = settings.options.get("fallback_agent_email")
    return SalesforceTarget(
        bulk_threshold=int(settings.options.get("bulk_threshold", DEFAULT_BULK_THRESHOLD)),
        fallback_agent_email=str(fallback) if fallback else None,
        **_salesforce_common(settings),
    )


_FRESHDESK_KEYS: Mapping[str, type] = {"domain": str}
"""A Freshdesk source's (and target's) own plan keys. With the common ones: ``base_url`` (a
sandbox or a proxy instead of ``https://{domain}``; one of the two is needed) and ``plan`` (the
budget preset: trial, growth, pro, enterprise, purchased_1000, purchased_2000). Credentials:
``api_key_env``."""
_FRESHDESK_TARGET_KEYS: Mapping[str, type] = {**_FRESHDESK_KEYS, "replies_as_notes": bool}
"""A Freshdesk target's keys: the source's and ``replies_as_notes`` (agents' public comments as
public notes, so that a live account e-mails no requester)."""
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def freshdesk_base_url(settings: AdapterSettings) -> str:
    """The plan's ``base_url``, else ``https://{domain}`` (``acme.freshdesk.com``)."""
    base_url = settings.options.get("base_url")
    if base_url:
        if not str(base_url).startswith(("http://", "https://")):
            raise ConfigError(
                f"freshdesk {_role(settings)}: base_url {base_url!r} must start with"
                " http:// or https://"
            )
        return str(base_url).rstrip("/")
    domain = str(settings.options.get("domain") or "")
    if not domain:
        raise ConfigError(
            f"freshdesk {_role(settings)}: set domain (acme.freshdesk.com) or base_url"
            " (a sandbox or a proxy)"
        )
    if "." not in domain:
        domain = f"{domain}.freshdesk.com"
    if not _DOMAIN.match(domain):
        raise ConfigError(f"freshdesk {_role(settings)}: domain {domain!r} is not a host name")
    return f"https://{domain.lower()}"


def freshdesk_credentials(settings: AdapterSettings) -> FreshdeskCredentials:
    """The API key from the variable the plan names (``api_key_env``)."""
    from cemigrate.adapters.freshdesk.client import Credentials as FreshdeskCredentials

    key = settings.credentials.get("api_key")
    if not key:
        raise CredentialError(
            f"freshdesk {_role(settings)}: name the variable holding the API key: api_key_env"
        )
    return FreshdeskCredentials(api_key=key)


def _freshdesk_source(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.freshdesk.source import FreshdeskSource

    return FreshdeskSource(
        instance=settings.name,
        base_url=freshdesk_base_url(settings),
        credentials=freshdesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        clock=settings.clock,
    )


def _freshdesk_target_view(settings: AdapterSettings) -> Source:
    from cemigrate.adapters.freshdesk.source import FreshdeskSource

    # The default company and contact fields the target adopts are read back as fields.
    return FreshdeskSource(
        instance=settings.name,
        base_url=freshdesk_base_url(settings),
        credentials=freshdesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        clock=settings.clock,
        target_view=True,
    )


def _freshdesk_target(settings: AdapterSettings) -> Target:
    from cemigrate.adapters.freshdesk.target import FreshdeskTarget

    return FreshdeskTarget(
        base_url=freshdesk_base_url(settings),
        credentials=freshdesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        replies_as_notes=bool(settings.options.get("replies_as_notes", False)),
        clock=settings.clock,
    )


PLATFORMS: Mapping[str, Platform] = {
    "memory": Platform(
        name="memory",
        source_keys={"tickets": int, "seed": int, "page_size": int},
        target_keys={"path": str, "batch_size": int},
        build_source=_memory_source,
        build_target=_memory_target,
    ),
    "zendesk": Platform(
        name="zendesk",
        source_keys={**_ZENDESK_KEYS, "sla_events": bool},
        target_keys=_ZENDESK_KEYS,
        build_source=_zendesk_source,
        build_target=_zendesk_target,
        build_target_view=_zendesk_target_view,
    ),
    "salesforce": Platform(
        name="salesforce",
        source_keys=_SALESFORCE_KEYS,
        target_keys=_SALESFORCE_TARGET_KEYS,
        build_source=_salesforce_source,
        build_target=_salesforce_target,
        build_target_view=_salesforce_target_view,
    ),
    "freshdesk": Platform(
        name="freshdesk",
        source_keys=_FRESHDESK_KEYS,
        target_keys=_FRESHDESK_TARGET_KEYS,
        build_source=_freshdesk_source,
        build_target=_freshdesk_target,
        build_target_view=_freshdesk_target_view,
    ),
}
"""Every platform cemigrate can read from or write to, by the name a plan uses."""
