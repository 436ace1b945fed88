"""What an account holds and allows, and what a mapping needs of it: the data adapters and
mappings exchange (:class:`Metadata`, :class:`Needs`, :class:`Capability`). Pure data, so the
mapping layer can check records against an account without knowing any adapter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from cemigrate.schema.records import FieldDef, Kind

__all__ = ["Capability", "Metadata", "Needs"]


class Capability(enum.StrEnum):
    """What an adapter can do, declared by each adapter rather than probed at run time."""

    INCREMENTAL_READ = "incremental_read"
    """Its cursors resume after the last record *changed*, so delta runs see updates."""
    ORIGINAL_TIMESTAMPS = "original_timestamps"
    """The target keeps the source's created/updated/solved times natively."""
    ORIGINAL_AUTHORS = "original_authors"
    """The target keeps each comment's author natively."""
    BULK_WRITE = "bulk_write"
    """The target writes many records per call."""
    FIND_BY_EXTERNAL_ID = "find_by_external_id"
    """The target can look records up by the source key stored on them."""
    DELETE = "delete"
    """The target can delete what a run created (rollback)."""
    CREATE_FIELDS = "create_fields"
    """``prepare`` can create custom fields the mapping needs."""
    COMMENT_ROUTING = "comment_routing"
    """The target routes comments as the mapping's ``[comments]`` section says
    (:attr:`Needs.comments`)."""
    VALUE_MAPS = "value_maps"
    """The target writes ticket attributes through the mapping's value tables
    (:attr:`Needs.values`); without it only its own defaults are written."""


@attrs.frozen(kw_only=True)
class Metadata:
    """What one platform account holds and allows, as the dry run validates against it."""

    platform: str
    kinds: frozenset[Kind]
    """The kinds this side can read (source) or write (target)."""
    fields: tuple[FieldDef, ...] = ()
    """Custom fields that exist in the account now."""
    values: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """The values this account takes for a ticket attribute (``status``, ``priority``,
    ``type``, ``channel``), in its own terms; an attribute not listed takes any value."""
    comment_routes: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Where the target can put each kind of comment (``public_email``, ``public_other``,
    ``private`` → its objects), for the mapping's ``[comments]`` section."""
    default_values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """How this adapter writes each schema value of an attribute when no mapping says
    otherwise (schema value → the account's value)."""
    limits: Mapping[str, int] = attrs.field(factory=dict)
    """Size limits in bytes, by name (``comment_body``, ``attachment``, ``ticket_attachments``)."""
    capabilities: frozenset[Capability] = frozenset()
    rule_field_prefix: str = ""
    """What this platform's rules put before a custom field's key when they name the field by
    key rather than by id (Freshdesk: ``cf_``); empty when its rules name fields by id."""
    not_read: tuple[str, ...] = ()
    """What this source leaves unread by the plan's choice (a cheaper read), one sentence
    each: the dry run and the run report repeat them."""


@attrs.frozen(kw_only=True)
class Needs:
    """What the mapping needs to exist in the target before records are written."""

    fields: tuple[FieldDef, ...] = ()
    values: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """For each mapped ticket attribute, schema value → the target's value; a value the table
    lacks is written as the adapter's default does."""
    comments: Mapping[str, str] = attrs.field(factory=dict)
    """Comment routing the mapping asks for (``public_email``, ``public_other``, ``private`` →
    a target object); the target adapter says which it honours."""
    fallback_agent_email: str | None = None
    """The agent who takes the place of agents the target has no match for (set only when the
    mapping's ``users.unmatched_agents`` is ``fallback``)."""
    user_match: str = "email"
    """How a user is matched to one the target already has (``users.match``): ``email``
    (a contact already in the target with the user's e-mail is adopted) or ``none``."""
    options: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """The mapping's option tables for ticket custom fields, by the field as a source's rules
    name it (its source id; a Freshdesk rule's ``cf_`` name): source option value → the
    target's. A target translates rules with them, so a rule tests and sets the option the
    target's field holds (the records' own values are mapped before the target sees them)."""
