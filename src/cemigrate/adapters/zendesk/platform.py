"""Zendesk Support as a plan names it: keys, credentials, builders, target profile, read costs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cemigrate.adapters.contract import Source, Target
from cemigrate.adapters.counting import Count, Counting
from cemigrate.adapters.platform import AdapterSettings, Platform, ReadPage, http_base_url, role
from cemigrate.adapters.profile import (
    COMMON_READ_BACK,
    TargetProfile,
    sla_kept_in_ticket,
    suspended_or_deleted,
)
from cemigrate.adapters.sla_history import is_sla_note
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.convert import held_as
from cemigrate.adapters.zendesk.field_ledger import ZENDESK_NOT_HELD
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.rules import ZENDESK_RULES
from cemigrate.errors import ConfigError, CredentialError
from cemigrate.schema import Kind

__all__ = ["PLATFORM", "zendesk_base_url", "zendesk_credentials"]

_KEYS: Mapping[str, type] = {"subdomain": str, "high_volume": bool}
"""A Zendesk source's (and target's) own plan keys. With the common ones: ``base_url`` (a
sandbox or a proxy instead of ``https://{subdomain}.zendesk.com``; one of the two is needed)
and ``plan`` (the budget preset, ``enterprise`` by default). Credentials: ``email_env`` and
``token_env``, or ``oauth_token_env``."""
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def _account_url(settings: AdapterSettings) -> str:
    subdomain = settings.options.get("subdomain")
    if not subdomain:
        raise ConfigError(
            f"zendesk {role(settings)}: set subdomain (the account is"
            " https://{subdomain}.zendesk.com) or base_url (a sandbox or a proxy)"
        )
    if not _SUBDOMAIN.match(subdomain):
        raise ConfigError(
            f"zendesk {role(settings)}: subdomain {subdomain!r} is not a subdomain"
            " (write acme for https://acme.zendesk.com)"
        )
    return f"https://{subdomain.lower()}.zendesk.com"


def zendesk_base_url(settings: AdapterSettings) -> str:
    """The plan's ``base_url``, else ``https://{subdomain}.zendesk.com``."""
    return http_base_url(settings, "zendesk", _account_url)


def zendesk_credentials(settings: AdapterSettings) -> ZendeskCredentials:
    """``email`` and ``token``, or ``oauth_token``, from the variables the plan names."""
    given = settings.credentials
    if given.get("oauth_token"):
        return ZendeskCredentials(oauth_token=given["oauth_token"])
    if given.get("email") and given.get("token"):
        return ZendeskCredentials(email=given["email"], token=given["token"])
    raise CredentialError(
        f"zendesk {role(settings)}: name the variables holding the credentials:"
        " email_env and token_env (an API token), or oauth_token_env"
    )


def _source(settings: AdapterSettings, *, sla_events: bool | None = None) -> Source:
    from cemigrate.adapters.zendesk.source import ZendeskSource

    if sla_events is None:
        sla_events = bool(settings.options.get("sla_events", True))
    return ZendeskSource(
        instance=settings.name,
        base_url=zendesk_base_url(settings),
        credentials=zendesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        high_volume=bool(settings.options.get("high_volume", False)),
        sla_events=sla_events,
        clock=settings.clock,
        session=settings.session,
    )


def _target(settings: AdapterSettings) -> Target:
    from cemigrate.adapters.zendesk.target import ZendeskTarget

    return ZendeskTarget(
        base_url=zendesk_base_url(settings),
        credentials=zendesk_credentials(settings),
        plan=str(settings.options.get("plan", "enterprise")),
        high_volume=bool(settings.options.get("high_volume", False)),
        clock=settings.clock,
        session=settings.session,
    )


def _target_view(settings: AdapterSettings) -> Source:
    # The target's SLA history is in its tickets (fields and a note), not in metric events.
    return _source(settings, sla_events=False)


_EXPORT = "zendesk.export"

_KEEPS: Mapping[Kind, frozenset[str]] = {
    Kind.USER: frozenset(
        {
            "name",
            "email",
            "role",
            "identities",
            "organization",
            "locale",
            "time_zone",
            "phone",
            "external_id",  # in the cemigrate_external_id user field (convert.SOURCE_EXTERNAL_ID)
            "address",  # in the cemigrate_address user field (convert.USER_ADDRESS)
            "default_group",
            "custom_role",  # by name; a role the target lacks reads back as none
            "ticket_restriction",
            "only_private_comments",
            "alias",
            "signature",
            "details",
            "notes",
            "tags",
            "custom_fields",
        }
    ),
    Kind.ORGANIZATION: frozenset(
        {
            "name",
            "domains",
            "details",
            "notes",
            "external_id",  # in the cemigrate_external_id organization field
            "group",
            "shared_tickets",
            "shared_comments",
            "tags",
            "custom_fields",
        }
    ),
    Kind.ORGANIZATION_MEMBERSHIP: frozenset({"user", "organization", "default"}),
    # A ticket's own brand, form and custom status are the target's records of them; its
    # origin (recipient, via, comment metadata) is in the cemigrate_origin field; its people,
    # group, organization and problem are the ledger's target ids.
    Kind.TICKET: frozenset(
        {
            "brand",
            "form",
            "custom_status",
            "due_at",
            "requester",
            "submitter",
            "assignee",
            "group",
            "organization",
            "ccs",
            "followers",
            "problem",
        }
    ),
    Kind.GROUP: frozenset({"name", "description", "public"}),
    Kind.GROUP_MEMBERSHIP: frozenset({"user", "group", "default"}),
    # A field is created as the source defined it (its key, type, options and place).
    Kind.FIELD: frozenset(
        {
            "key",
            "title",
            "description",
            "type",
            "options",
            "object",
            "position",
            "required",
            "active",
            "references",
            "read_only",
            "formula",
        }
    ),
    # The subdomain is the target's own (unique across Zendesk), the host mapping stays with
    # the source's domain, and the target keeps its own default brand.
    Kind.BRAND: frozenset({"name", "active", "signature_template"}),
    # Conditional fields are written with the target's field ids, so they read back with
    # other ids than the source's; the target keeps its own default form and form order.
    Kind.TICKET_FORM: frozenset(
        {
            "name",
            "display_name",
            "fields",
            "system_fields",
            "brands",
            "in_all_brands",
            "end_user_visible",
            "active",
            "conditions",
        }
    ),
    # A category's default status is the target's own; a closed category reads back solved.
    Kind.CUSTOM_STATUS: frozenset(
        {
            "category",
            "agent_label",
            "end_user_label",
            "description",
            "end_user_description",
            "active",
        }
    ),
    # Holidays compare by name and dates: their ids are the target's.
    Kind.SCHEDULE: frozenset({"name", "time_zone", "intervals", "holidays"}),
}
"""What a Zendesk target holds of people and of each configuration kind as the source had
them (field by field). Not kept:
a user's and an organization's ``created_at``/``updated_at`` (set by the target), a
membership's ``view_tickets`` (read-only in Zendesk), identities' ``id`` (the target's own),
and ``verified`` of an identity added after the user (Zendesk verifies by e-mail)."""


def _count(source: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    from cemigrate.adapters.zendesk.counts import count

    return count(source, kinds, instances)


def _count_cost(kinds: Sequence[Kind], instances: Sequence[str] | None) -> int:
    from cemigrate.adapters.zendesk.counts import cost

    return cost(kinds, instances)


PLATFORM = Platform(
    plans=ZENDESK_PLANS,
    rules=ZENDESK_RULES,
    name="zendesk",
    source_keys={**_KEYS, "sla_events": bool},
    target_keys=_KEYS,
    build_source=_source,
    build_target=_target,
    build_target_view=_target_view,
    account_url=zendesk_base_url,
    counts=Counting(_count, _count_cost),
    profile=TargetProfile(
        platform="zendesk",
        read_back=COMMON_READ_BACK
        | {
            Kind.ORGANIZATION_MEMBERSHIP,
            Kind.BRAND,
            Kind.SCHEDULE,
            Kind.CUSTOM_STATUS,
            Kind.TICKET_FORM,
        },
        # Every Zendesk ticket has a brand, a form and a custom status: the account's defaults
        # when the source (Salesforce, Freshdesk) names none. A ticket without a submitter is
        # submitted by its requester, one without an organization or group gets the
        # requester's organization and the assignee's default group.
        defaulted={
            Kind.TICKET: frozenset(
                {"brand", "form", "custom_status", "submitter", "organization", "group"}
            )
        },
        not_held=ZENDESK_NOT_HELD,
        held_as=held_as,
        # An incident is linked to its problem when the problem was in the target first.
        link_only={Kind.TICKET: frozenset({"problem"})},
        representation_comment=is_sla_note,
        sla=sla_kept_in_ticket,
        # Satisfaction Ratings API: only the ticket's requester, a verified end user, creates a
        # rating (developer.zendesk.com/api-reference/ticketing/ticket-management/
        # satisfaction_ratings/).
        ratings_loss="only a ticket's requester can rate it in Zendesk: ratings cannot be imported",
        # Zendesk keeps a deleted user suspended, so the comments they wrote keep their author.
        expect_suspended=suspended_or_deleted,
        keeps=_KEEPS,
    ),
    read_pages={
        # Incremental exports: 1,000 a page on their own budget, each call spending core too;
        # a ticket page brings the comment events' export page beside it.
        Kind.TICKET: ReadPage(1000, _EXPORT, requests=2, also_core=True),
        Kind.USER: ReadPage(1000, _EXPORT, also_core=True),
        Kind.ORGANIZATION: ReadPage(1000, _EXPORT, also_core=True),
        Kind.SLA_EVENT: ReadPage(100, _EXPORT, also_core=True),
    },
)
"""Zendesk Support: the descriptor the registry lists."""
