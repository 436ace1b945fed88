"""Freshdesk as a plan names it: keys, credentials, builders, target profile."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.counting import Count, Counting
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.convert import LABEL_FIELDS, held_as
from cemigrate.adapters.freshdesk.field_ledger import FRESHDESK_NOT_HELD
from cemigrate.adapters.freshdesk.limits import FRESHDESK_PLANS
from cemigrate.adapters.freshdesk.rules import FRESHDESK_RULES
from cemigrate.adapters.platform import AdapterSettings, Platform, http_base_url, role
from cemigrate.adapters.profile import (
    COMMON_READ_BACK,
    TargetProfile,
    sla_kept_in_ticket,
    suspended_or_deleted,
)
from cemigrate.adapters.sla_history import is_sla_note
from cemigrate.errors import ConfigError, CredentialError
from cemigrate.schema import Kind

__all__ = ["PLATFORM", "freshdesk_base_url", "freshdesk_credentials"]

_KEYS: Mapping[str, type] = {"domain": str}
"""A Freshdesk source's (and target's) own plan keys. With the common ones: ``base_url`` (a
sandbox or a proxy instead of ``https://{domain}``; one of the two is needed) and ``plan`` (the
budget preset: trial, growth, pro, enterprise, purchased_1000, purchased_2000). Credentials:
``api_key_env``."""
_SOURCE_KEYS: Mapping[str, type] = {**_KEYS, "ticket_read": str}
"""A Freshdesk source's keys: the common ones and ``ticket_read`` (``view``, the default;
``embedded``; ``conversations``, the cheapest, which leaves the descriptions' attachments
unread: :class:`~cemigrate.adapters.freshdesk.source.TicketRead`)."""
_TARGET_KEYS: Mapping[str, type] = {**_KEYS, "replies_as_notes": bool}
"""A Freshdesk target's keys: the source's and ``replies_as_notes`` (agents' public comments as
public notes, so that a live account e-mails no requester)."""
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def _account_url(settings: AdapterSettings) -> str:
    domain = str(settings.options.get("domain") or "")
    if not domain:
        raise ConfigError(
            f"freshdesk {role(settings)}: set domain (acme.freshdesk.com) or base_url"
            " (a sandbox or a proxy)"
        )
    if "." not in domain:
        domain = f"{domain}.freshdesk.com"
    if not _DOMAIN.match(domain):
        raise ConfigError(f"freshdesk {role(settings)}: domain {domain!r} is not a host name")
    return f"https://{domain.lower()}"


def freshdesk_base_url(settings: AdapterSettings) -> str:
    """The plan's ``base_url``, else ``https://{domain}`` (``acme.freshdesk.com``)."""
    return http_base_url(settings, "freshdesk", _account_url)


def freshdesk_credentials(settings: AdapterSettings) -> FreshdeskCredentials:
    """The API key from the variable the plan names (``api_key_env``)."""
    key = settings.credentials.get("api_key")
    if not key:
        raise CredentialError(
            f"freshdesk {role(settings)}: name the variable holding the API key: api_key_env"
        )
    return FreshdeskCredentials(api_key=key)


def _source(settings: AdapterSettings, *, target_view: bool = False) -> Source:
    from cemigrate.adapters.freshdesk.source import FreshdeskSource, TicketRead

    read = str(settings.options.get("ticket_read", TicketRead.VIEW.value))
    if read not in {r.value for r in TicketRead}:
        raise ConfigError(
            f"freshdesk {role(settings)}: ticket_read is {read!r}; one of"
            f" {', '.join(r.value for r in TicketRead)}"
        )
    return FreshdeskSource(
        ticket_read=read,
        instance=settings.name,
        base_url=freshdesk_base_url(settings),
        credentials=freshdesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        clock=settings.clock,
        session=settings.session,
        target_view=target_view,
    )


def _target_view(settings: AdapterSettings) -> Source:
    # The default company and contact fields the target adopts are read back as fields.
    return _source(settings, target_view=True)


def _target(settings: AdapterSettings) -> Target:
    from cemigrate.adapters.freshdesk.target import FreshdeskTarget

    return FreshdeskTarget(
        base_url=freshdesk_base_url(settings),
        credentials=freshdesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        replies_as_notes=bool(settings.options.get("replies_as_notes", False)),
        clock=settings.clock,
        session=settings.session,
    )


def _count(source: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    from cemigrate.adapters.freshdesk.counts import count

    return count(source, kinds, instances)


def _count_cost(kinds: Sequence[Kind], instances: Sequence[str] | None) -> int:
    from cemigrate.adapters.freshdesk.counts import cost

    return cost(kinds, instances)


PLATFORM = Platform(
    plans=FRESHDESK_PLANS,
    rules=FRESHDESK_RULES,
    name="freshdesk",
    source_keys=_SOURCE_KEYS,
    target_keys=_TARGET_KEYS,
    build_source=_source,
    build_target=_target,
    build_target_view=_target_view,
    account_url=freshdesk_base_url,
    counts=Counting(_count, _count_cost),
    profile=TargetProfile(
        platform="freshdesk",
        read_back=COMMON_READ_BACK | {Kind.ORGANIZATION_MEMBERSHIP},
        representation_comment=is_sla_note,
        sla=sla_kept_in_ticket,
        # POST /api/v2/tickets/{id}/satisfaction_ratings could hold them (facts 3.8); the
        # Freshdesk target does not write them.
        ratings_loss="the Freshdesk target does not write satisfaction ratings",
        expect_suspended=suspended_or_deleted,
        value_losses={"status": {"new": "open"}},
        # End users are contacts (convert.held_as: identities in the contact's fields, the
        # rest in its description); agents are the account's own seats, matched by e-mail and
        # not written but for their ticket scope and signature (keeps_matched).
        keeps={
            Kind.ORGANIZATION: frozenset(
                {"name", "domains", "details", "notes", "tags", "custom_fields"}
            ),
            Kind.ORGANIZATION_MEMBERSHIP: frozenset(
                {"user", "organization", "default", "view_tickets"}
            ),
            Kind.USER: frozenset(
                {
                    "name",
                    "email",
                    "identities",
                    "organization",
                    "phone",
                    "locale",
                    "external_id",
                    "address",
                    "details",
                    "notes",
                    "tags",
                    "custom_fields",
                    "ticket_restriction",
                    "signature",
                }
            ),
            Kind.GROUP: frozenset({"name", "description"}),
            Kind.GROUP_MEMBERSHIP: frozenset({"user", "group"}),
            Kind.TICKET: frozenset({"requester", "assignee", "group", "organization"}),
            # A field the account held is its own (matched); a created one reads back as
            # convert.held_as says (a lookup is text, a choice its value).
            Kind.FIELD: frozenset(
                {
                    "title",
                    "description",
                    "type",
                    "options",
                    "object",
                    "references",
                    "read_only",
                    "formula",
                }
            ),
        },
        keeps_matched={Kind.USER: frozenset({"ticket_restriction", "signature"})},
        # An agent's scope and signature are written only when the source sets them; a ticket
        # without a company gets its requester's.
        defaulted={
            Kind.USER: frozenset({"ticket_restriction", "signature"}),
            Kind.TICKET: frozenset({"organization"}),
        },
        not_held=FRESHDESK_NOT_HELD,
        held_as=held_as,
        ticket_labels={attribute: field.key for attribute, field in LABEL_FIELDS.items()},
    ),
)
"""Freshdesk: the descriptor the registry lists."""
