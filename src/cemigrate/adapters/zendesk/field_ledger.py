"""The Zendesk field ledger: every field the Zendesk API reference documents for each object the
Zendesk adapters read, and what a migration does with it.

The fields are those of each object's "JSON format" table on developer.zendesk.com (the page
is named per object below), plus the fields real recorded answers carry that the table omits
(a ticket's ``fields``, a comment event's ``trusted``, a view's ``url``). ``tests/adapters/zendesk/
test_field_ledger.py`` fails when a documented field has no row, a row names a field that is
not documented or a schema attribute that does not exist, and when the "Field ledger" section
of ``docs/zendesk.md`` differs from :func:`~cemigrate.adapters.field_ledger.render` of
:data:`ZENDESK_LEDGER`. Regenerate it with
``.venv/bin/python -m cemigrate.adapters.zendesk.field_ledger --write docs/zendesk.md``
(``make field-ledger``).

A field's fate is about the Zendesk *source*: ``carried`` names the schema attribute it is read
into (every target then writes it as ``docs/<target>.md`` says), ``kept`` the private place it
is kept verbatim, ``mapped`` the mapping file's section it goes through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from cemigrate.adapters.field_ledger import (
    FieldLedger,
    FieldRow,
    LedgerObject,
    carried,
    derived,
    dropped,
    kept,
    main,
    mapped,
    with_stamps,
)
from cemigrate.adapters.origin import ORIGIN_FIELD
from cemigrate.schema import Kind

__all__ = ["ZENDESK_LEDGER", "ZENDESK_NOT_HELD"]

_REF: Final = "https://developer.zendesk.com/api-reference/ticketing/"

# Reasons that recur, stated once.
_URL: Final = "the source account's API address; meaningless in the target"
_WRITE_ONLY: Final = "write-only: never in an answer"
_PLACEHOLDER: Final = "a dynamic-content placeholder; the rendered text is carried"
_ORIGIN: Final = f"private ticket field `{ORIGIN_FIELD}`"
"""Hidden from end users; see :mod:`cemigrate.adapters.origin`."""
_RAW: Final = "verbatim, for the rule dialect"
_SOURCE_METRIC: Final = (
    "a measurement of the source account the schema's metrics do not hold; the history note "
    "keeps first reply, resolution, waits, reopens and replies"
)
_CHECKBOX_TAG: Final = "a checkbox's tag; records carry the tag itself in their tags"
_LOOKUP_FILTER: Final = (
    "which records the agent's autocomplete offers; not a validation (Lookup Relationships "
    "reference), and the target's field starts unfiltered"
)
_LOOKUP_TARGET: Final = (
    "a lookup field's `zen:user`, `zen:organization` or `zen:ticket`; a lookup to a custom "
    "object is read as text holding the source's id"
)

_TICKET = LedgerObject(
    name="ticket",
    title="Ticket",
    page=_REF + "tickets/tickets/",
    rows=(
        derived("allow_attachments", "the target's own attachment setting decides it"),
        dropped("allow_channelback", "a capability of the source's channel integration"),
        dropped("assignee_email", _WRITE_ONLY),
        carried("assignee_id", "Ticket.assignee"),
        dropped("attribute_value_ids", _WRITE_ONLY),
        carried("brand_id", "Ticket.brand"),
        carried("collaborator_ids", "Ticket.ccs", note="read when `email_cc_ids` is empty"),
        dropped("collaborators", _WRITE_ONLY),
        dropped("comment", _WRITE_ONLY + "; comments are read as their own objects"),
        carried("created_at", "Ticket.created_at"),
        mapped("custom_fields", "mapping `[fields.ticket.<key>]`", "Ticket.custom_fields"),
        carried("custom_status_id", "Ticket.custom_status"),
        carried("description", "Ticket.description"),
        carried("due_at", "Ticket.due_at"),
        carried("email_cc_ids", "Ticket.ccs"),
        dropped("email_ccs", _WRITE_ONLY),
        kept(
            "external_id",
            _ORIGIN + " (the target's `external_id` holds cemigrate's source key)",
            "Ticket.external_id",
        ),
        carried("follower_ids", "Ticket.followers"),
        dropped("followers", _WRITE_ONLY),
        dropped(
            "followup_ids",
            "source-account ticket ids; each follow-up names its source in its own `via`, kept",
        ),
        dropped("forum_topic_id", "a topic of the deprecated Web portal; nothing left to point at"),
        derived("from_messaging_channel", "computed from the ticket's via type"),
        carried("group_id", "Ticket.group"),
        dropped("has_incidents", "computed from incidents' `problem_id` (see that row)"),
        carried("id", "Ticket.id", note="the source key; the target assigns its own id"),
        derived("is_public", "computed from the comments' public flags (carried)"),
        dropped("macro_id", _WRITE_ONLY),
        dropped("macro_ids", _WRITE_ONLY),
        dropped("metadata", _WRITE_ONLY + " (an audit's metadata on update)"),
        carried("organization_id", "Ticket.organization"),
        mapped("priority", "mapping `[priority.map]`", "Ticket.priority"),
        carried(
            "problem_id",
            "Ticket.problem",
            note="linked when the problem ticket was written before the incident's batch",
        ),
        carried("raw_subject", "Ticket.subject", note="read when `subject` is empty"),
        kept("recipient", _ORIGIN, "Ticket.recipient"),
        dropped("requester", _WRITE_ONLY),
        carried("requester_id", "Ticket.requester"),
        dropped("safe_update", _WRITE_ONLY),
        dropped("satisfaction_rating", "a copy of the rating, which is read as its own record"),
        dropped(
            "sharing_agreement_ids", "the source account's ticket-sharing partners; not movable"
        ),
        mapped(
            "status",
            "mapping `[status.map]`; `deleted` marks the ticket deleted",
            "Ticket.status",
            "Ticket.deleted",
        ),
        carried("subject", "Ticket.subject"),
        carried("submitter_id", "Ticket.submitter"),
        carried("tags", "Ticket.tags", note="less cemigrate's own `cemigrate_via_*` tags"),
        carried("ticket_form_id", "Ticket.form"),
        mapped("type", "mapping `[type.map]`", "Ticket.type"),
        carried("updated_at", "Ticket.updated_at"),
        dropped("updated_stamp", _WRITE_ONLY),
        dropped("url", _URL),
        kept(
            "via",
            _ORIGIN + "; `via.channel` through mapping `[channel.map]`",
            "Ticket.via",
            "Ticket.channel",
        ),
        dropped("via_followup_source_id", _WRITE_ONLY),
        dropped("via_id", _WRITE_ONLY),
        dropped("voice_comment", _WRITE_ONLY),
        dropped("fields", "an older alias of `custom_fields` with the same values"),
    ),
)

_COMMENT = LedgerObject(
    name="comment",
    title="Ticket comment",
    page=_REF + "tickets/ticket_comments/",
    rows=(
        carried("attachments", "Comment.attachments"),
        dropped("audit_id", "the source audit's id; the target records its own audit"),
        carried("author_id", "Comment.author"),
        carried("body", "Comment.body_plain", note="read when `plain_body` is absent"),
        carried("created_at", "Comment.created_at"),
        carried("html_body", "Comment.body_html"),
        carried("id", "Comment.id"),
        kept("metadata", _ORIGIN, "Comment.metadata"),
        carried("plain_body", "Comment.body_plain"),
        carried("public", "Comment.public", note="never defaulted: a private note stays private"),
        dropped("type", "only tells `Comment` from `VoiceComment`; both are read as comments"),
        dropped("uploads", _WRITE_ONLY),
        kept("via", _ORIGIN + " (see Comment via)", "Comment.metadata", "Comment.channel"),
        dropped("trusted", "restates `metadata.flags` (flag 0: not trusted), which is kept"),
    ),
)

_COMMENT_VIA = LedgerObject(
    name="comment.via",
    title="Comment via",
    page="https://developer.zendesk.com/documentation/ticketing/reference-guides/"
    "via-object-reference/",
    rows=(
        carried("channel", "Comment.channel"),
        kept("source", _ORIGIN + ": the from and to addresses", "Comment.metadata"),
    ),
)

_COMMENT_METADATA = LedgerObject(
    name="comment.metadata",
    title="Comment metadata",
    page=_REF + 'tickets/ticket_comments/ (example and "Comment flags")',
    rows=(
        kept("custom", _ORIGIN, "Comment.metadata"),
        kept("flags", _ORIGIN, "Comment.metadata"),
        kept("flags_options", _ORIGIN, "Comment.metadata"),
        kept("system", _ORIGIN + ": client, IP address, location", "Comment.metadata"),
        kept("via", _ORIGIN, "Comment.metadata"),
    ),
)

_ATTACHMENT = LedgerObject(
    name="attachment",
    title="Attachment",
    page=_REF + "tickets/ticket-attachments/",
    rows=(
        carried("content_type", "Attachment.content_type"),
        carried("content_url", "Attachment.location", note="where the bytes are streamed from"),
        dropped("deleted", "a deleted file has no bytes left to copy"),
        carried("file_name", "Attachment.file_name"),
        derived("height", "measured by the target from the uploaded image"),
        carried("id", "Attachment.id"),
        carried("inline", "Attachment.inline"),
        derived("malware_access_override", "the target scans the uploaded copy itself"),
        derived("malware_scan_result", "the target scans the uploaded copy itself"),
        dropped("mapped_content_url", "the source's host-mapped address; dies with the source"),
        carried("size", "Attachment.size"),
        derived("thumbnails", "the target makes its own from the uploaded image"),
        dropped("url", _URL),
        derived("width", "measured by the target from the uploaded image"),
    ),
)

_USER = LedgerObject(
    name="user",
    title="User",
    page=_REF + "users/users/",
    rows=(
        carried("active", "User.deleted", note="false means deleted"),
        carried("alias", "User.alias"),
        dropped("chat_only", "a seat type; the target account's licences decide it"),
        carried("created_at", "User.created_at"),
        carried("custom_role_id", "User.custom_role", note="as the role's name"),
        carried("default_group_id", "User.default_group"),
        carried("details", "User.details"),
        carried("email", "User.email"),
        carried("external_id", "User.external_id"),
        carried("iana_time_zone", "User.time_zone"),
        carried("id", "User.id"),
        dropped("last_login_at", "sign-ins to the source account; the target records its own"),
        carried("locale", "User.locale"),
        dropped("locale_id", "the same language as `locale`, as a number"),
        dropped("moderator", "forum moderation, outside a Support migration"),
        carried("name", "User.name"),
        carried("notes", "User.notes"),
        carried("only_private_comments", "User.only_private_comments"),
        carried("organization_id", "User.organization"),
        carried("phone", "User.phone"),
        dropped("photo", "gap: profile pictures are not carried"),
        dropped("remote_photo_url", "gap: profile pictures are not carried"),
        dropped("report_csv", "inert: the reference says it has no effect"),
        derived("restricted_agent", "Zendesk derives it from `ticket_restriction` (carried)"),
        carried("role", "User.role"),
        derived("role_type", "Zendesk derives it from the role and custom role (carried)"),
        dropped("shared", "a user shared from a partner account belongs to that account"),
        dropped("shared_agent", "an agent shared from a partner account belongs to that account"),
        dropped(
            "shared_phone_number",
            "whether `phone` is shared (then no identity); the number is carried",
        ),
        carried("signature", "User.signature"),
        carried("suspended", "User.suspended"),
        carried("tags", "User.tags"),
        carried("ticket_restriction", "User.ticket_restriction"),
        carried("time_zone", "User.time_zone", note="read when `iana_time_zone` is absent"),
        dropped(
            "two_factor_auth_enabled",
            "a sign-in secret of the source account; the person enrols again in the target",
        ),
        carried("updated_at", "User.updated_at"),
        dropped("url", _URL),
        mapped(
            "user_fields",
            "mapping `[fields.user.<key>]`; cemigrate's `cemigrate_address` field holds"
            " `User.address`",
            "User.custom_fields",
            "User.address",
        ),
        carried(
            "verified",
            "Identity.verified",
            note="of the primary e-mail and phone when the identities are not sideloaded",
        ),
    ),
)

_IDENTITY = LedgerObject(
    name="identity",
    title="User identity",
    page=_REF + "users/user_identities/",
    rows=(
        derived("created_at", "the target dates the identity when it is added"),
        derived("deliverable_state", "the target learns it from its own mail"),
        carried("id", "Identity.id"),
        carried("primary", "Identity.primary"),
        carried("type", "Identity.type", note="`phone_number` becomes `phone`"),
        derived("undeliverable_count", "the target counts its own bounces"),
        derived("updated_at", "the target dates the identity when it is added"),
        dropped("url", _URL),
        carried("user_id", "User.identities", note="the user whose identities it joins"),
        carried("value", "Identity.value"),
        carried("verified", "Identity.verified"),
    ),
)

_ORGANIZATION = LedgerObject(
    name="organization",
    title="Organization",
    page=_REF + "organizations/organizations/",
    rows=(
        carried("created_at", "Organization.created_at"),
        carried("details", "Organization.details"),
        carried("domain_names", "Organization.domains"),
        carried("external_id", "Organization.external_id"),
        carried("group_id", "Organization.group"),
        carried("id", "Organization.id"),
        carried("name", "Organization.name"),
        carried("notes", "Organization.notes"),
        mapped(
            "organization_fields",
            "mapping `[fields.organization.<key>]`",
            "Organization.custom_fields",
        ),
        carried("shared_comments", "Organization.shared_comments"),
        carried("shared_tickets", "Organization.shared_tickets"),
        carried("tags", "Organization.tags"),
        carried("updated_at", "Organization.updated_at"),
        dropped("url", _URL),
    ),
)

_ORGANIZATION_MEMBERSHIP = LedgerObject(
    name="organization_membership",
    title="Organization membership",
    page=_REF + "organizations/organization_memberships/",
    rows=(
        carried("created_at", "OrganizationMembership.created_at"),
        carried("default", "OrganizationMembership.default"),
        carried("id", "OrganizationMembership.id"),
        carried("organization_id", "OrganizationMembership.organization"),
        dropped("organization_name", "the organization's name, carried with the organization"),
        carried("updated_at", "OrganizationMembership.updated_at"),
        dropped("url", _URL),
        carried("user_id", "OrganizationMembership.user"),
        carried("view_tickets", "OrganizationMembership.view_tickets"),
    ),
)

_GROUP = LedgerObject(
    name="group",
    title="Group",
    page=_REF + "groups/groups/",
    rows=(
        carried("created_at", "Group.created_at"),
        dropped("default", "the target account keeps its own default group"),
        carried("deleted", "Group.deleted"),
        carried("description", "Group.description"),
        carried("id", "Group.id"),
        carried("is_public", "Group.public"),
        carried("name", "Group.name"),
        carried("updated_at", "Group.updated_at"),
        dropped("url", _URL),
    ),
)

_GROUP_MEMBERSHIP = LedgerObject(
    name="group_membership",
    title="Group membership",
    page=_REF + "groups/group_memberships/",
    rows=(
        carried("created_at", "GroupMembership.created_at"),
        carried("default", "GroupMembership.default"),
        carried("group_id", "GroupMembership.group"),
        carried("id", "GroupMembership.id"),
        carried("updated_at", "GroupMembership.updated_at"),
        dropped("url", _URL),
        carried("user_id", "GroupMembership.user"),
    ),
)


_TICKET_FIELD = LedgerObject(
    name="ticket_field",
    title="Ticket field",
    page=_REF + "tickets/ticket_fields/",
    rows=(
        carried("active", "FieldDef.active"),
        dropped("agent_description", "an agents-only help text beside `description` (carried)"),
        dropped("collapsed_for_agents", "a display preference; the target's default applies"),
        carried("created_at", "FieldDef.created_at"),
        dropped("creator_app_name", "which app of the source account created the field"),
        dropped("creator_user_id", "which admin of the source account created the field"),
        carried("custom_field_options", "FieldDef.options"),
        dropped("custom_statuses", "on the system status field only; statuses are read as records"),
        carried("description", "FieldDef.description"),
        dropped(
            "editable_in_portal",
            "end-user presentation; the target field starts agent-only (nothing private shows)",
        ),
        carried("id", "FieldDef.id"),
        carried("position", "FieldDef.position"),
        dropped("raw_description", _PLACEHOLDER),
        carried("raw_title", "FieldDef.key", note="slugged into the key (ticket fields have none)"),
        dropped(
            "raw_title_in_portal",
            "end-user presentation; the target field starts agent-only (nothing private shows)",
        ),
        dropped(
            "regexp_for_validation",
            "the schema keeps no pattern; a regexp field is written with `.*`",
        ),
        dropped("relationship_filter", _LOOKUP_FILTER),
        carried("relationship_target_type", "FieldDef.references", note=_LOOKUP_TARGET),
        derived("removable", "false only for Zendesk's own system fields, which are not read"),
        carried("required", "FieldDef.required"),
        dropped(
            "required_in_portal",
            "end-user presentation; the target field starts agent-only (nothing private shows)",
        ),
        dropped("sub_type_id", "for the system priority and status fields, which are not read"),
        dropped("system_field_options", "system fields' values, which the schema's enums hold"),
        dropped("tag", _CHECKBOX_TAG),
        carried("title", "FieldDef.title"),
        carried("type", "FieldDef.type", note="a system type marks a field that is not read"),
        dropped(
            "title_in_portal",
            "end-user presentation; the target field starts agent-only (nothing private shows)",
        ),
        carried("updated_at", "FieldDef.updated_at"),
        dropped("url", _URL),
        dropped(
            "visible_in_portal",
            "end-user presentation; the target field starts agent-only (nothing private shows)",
        ),
    ),
)


def _profile_field(name: str, title: str, page: str) -> LedgerObject:
    """User and organization fields share one JSON format."""
    return LedgerObject(
        name=name,
        title=title,
        page=page,
        rows=(
            carried("active", "FieldDef.active"),
            carried("created_at", "FieldDef.created_at"),
            carried("custom_field_options", "FieldDef.options"),
            carried("description", "FieldDef.description"),
            carried("id", "FieldDef.id"),
            carried("key", "FieldDef.key"),
            carried("position", "FieldDef.position"),
            dropped("raw_description", _PLACEHOLDER),
            carried("raw_title", "FieldDef.key", note="slugged into the key when `key` is empty"),
            dropped(
                "regexp_for_validation",
                "the schema keeps no pattern; a regexp field is written with `.*`",
            ),
            dropped("relationship_filter", _LOOKUP_FILTER),
            carried("relationship_target_type", "FieldDef.references", note=_LOOKUP_TARGET),
            derived("system", "the target marks its own built-in fields"),
            dropped("tag", _CHECKBOX_TAG),
            carried("title", "FieldDef.title"),
            carried("type", "FieldDef.type"),
            carried("updated_at", "FieldDef.updated_at"),
            dropped("url", _URL),
        ),
    )


_CUSTOM_FIELD_OPTION = LedgerObject(
    name="custom_field_option",
    title="Custom field option",
    page=_REF + "tickets/ticket_fields/ (custom field options)",
    rows=(
        dropped("id", "the option's source id; options are matched by `value`"),
        carried("name", "FieldOption.name"),
        carried("position", "FieldOption.position"),
        dropped("raw_name", _PLACEHOLDER),
        dropped("url", _URL),
        carried("value", "FieldOption.value"),
    ),
)

_TICKET_FORM = LedgerObject(
    name="ticket_form",
    title="Ticket form",
    page=_REF + "tickets/ticket_forms/",
    rows=(
        carried("active", "TicketForm.active"),
        carried("agent_conditions", "TicketForm.conditions", note="verbatim"),
        carried("created_at", "TicketForm.created_at"),
        carried("default", "TicketForm.default"),
        carried("display_name", "TicketForm.display_name"),
        carried("end_user_conditions", "TicketForm.conditions", note="verbatim"),
        carried("end_user_visible", "TicketForm.end_user_visible"),
        carried("id", "TicketForm.id"),
        carried("in_all_brands", "TicketForm.in_all_brands"),
        carried("name", "TicketForm.name"),
        carried("position", "TicketForm.position"),
        dropped("raw_display_name", _PLACEHOLDER),
        dropped("raw_name", _PLACEHOLDER),
        carried("restricted_brand_ids", "TicketForm.brands"),
        carried(
            "ticket_field_ids",
            "TicketForm.fields",
            "TicketForm.system_fields",
            note="custom fields by reference, system fields by name",
        ),
        carried("updated_at", "TicketForm.updated_at"),
        dropped("url", _URL),
    ),
)

_BRAND = LedgerObject(
    name="brand",
    title="Brand",
    page=_REF + "account-configuration/brands/",
    rows=(
        carried("active", "Brand.active"),
        derived("brand_url", "the target's address, from its own subdomain"),
        carried("created_at", "Brand.created_at"),
        carried("default", "Brand.default"),
        dropped("has_help_center", "Help Center content is outside a Support migration"),
        dropped("help_center_state", "Help Center content is outside a Support migration"),
        carried("host_mapping", "Brand.host_mapping"),
        carried("id", "Brand.id"),
        dropped("is_deleted", "a deleted brand has nothing left to migrate"),
        dropped("logo", "an image the target's admin uploads; its URL dies with the source"),
        carried("name", "Brand.name"),
        carried("signature_template", "Brand.signature_template"),
        carried("subdomain", "Brand.subdomain", note="a target derives its own, unique"),
        derived("ticket_form_ids", "the forms name their brands (`restricted_brand_ids`)"),
        carried("updated_at", "Brand.updated_at"),
        dropped("url", _URL),
    ),
)

_CUSTOM_STATUS = LedgerObject(
    name="custom_status",
    title="Custom ticket status",
    page=_REF + "tickets/custom_ticket_statuses/",
    rows=(
        carried("active", "CustomStatus.active"),
        carried("agent_label", "CustomStatus.agent_label"),
        carried("created_at", "CustomStatus.created_at"),
        carried("default", "CustomStatus.default"),
        carried("description", "CustomStatus.description"),
        carried("end_user_description", "CustomStatus.end_user_description"),
        carried("end_user_label", "CustomStatus.end_user_label"),
        carried("id", "CustomStatus.id"),
        dropped("raw_agent_label", _PLACEHOLDER),
        dropped("raw_description", _PLACEHOLDER),
        dropped("raw_end_user_description", _PLACEHOLDER),
        dropped("raw_end_user_label", _PLACEHOLDER),
        carried("status_category", "CustomStatus.category"),
        carried("updated_at", "CustomStatus.updated_at"),
    ),
)

_SCHEDULE_PAGE: Final = _REF + "ticket-management/schedules/"

_SCHEDULE = LedgerObject(
    name="schedule",
    title="Business-hours schedule",
    page=_SCHEDULE_PAGE,
    rows=(
        carried("created_at", "Schedule.created_at"),
        carried("id", "Schedule.id"),
        carried("intervals", "Schedule.intervals"),
        carried("name", "Schedule.name"),
        carried("time_zone", "Schedule.time_zone"),
        carried("updated_at", "Schedule.updated_at"),
    ),
)

_INTERVAL = LedgerObject(
    name="schedule.interval",
    title="Schedule interval",
    page=_SCHEDULE_PAGE,
    rows=(
        carried("end_time", "Interval.end"),
        carried("start_time", "Interval.start"),
    ),
)

_HOLIDAY = LedgerObject(
    name="schedule.holiday",
    title="Schedule holiday",
    page=_SCHEDULE_PAGE + " (holidays)",
    rows=(
        carried("end_date", "Holiday.end_date"),
        carried("id", "Holiday.id"),
        carried("name", "Holiday.name"),
        carried("start_date", "Holiday.start_date"),
    ),
)

_SLA_POLICY = LedgerObject(
    name="sla_policy",
    title="SLA policy",
    page=_REF + "business-rules/sla_policies/",
    rows=(
        carried("created_at", "SlaPolicy.created_at"),
        carried("description", "SlaPolicy.description"),
        kept("filter", _RAW, "SlaPolicy.raw"),
        carried("id", "SlaPolicy.id"),
        carried("policy_metrics", "SlaPolicy.targets"),
        carried("position", "SlaPolicy.position"),
        carried("title", "SlaPolicy.title"),
        carried("updated_at", "SlaPolicy.updated_at"),
        dropped("url", _URL),
    ),
)


def _rule(name: str, title: str, page: str, *rows: FieldRow) -> LedgerObject:
    """Triggers, automations, macros and views: the rows they share plus the kind's own."""
    common = (
        carried("active", "Rule.active"),
        carried("created_at", "Rule.created_at"),
        kept("default", _RAW, "Rule.raw"),
        carried("id", "Rule.id"),
        carried("position", "Rule.position"),
        carried("title", "Rule.title"),
        carried("updated_at", "Rule.updated_at"),
    )
    return LedgerObject(
        name=name,
        title=title,
        page=page,
        rows=(*common, *rows),
    )


_ACTIONS = carried("actions", "Rule.actions")
_CONDITIONS = carried("conditions", "Rule.conditions_all", "Rule.conditions_any")

_TRIGGER = _rule(
    "trigger",
    "Trigger",
    _REF + "business-rules/triggers/",
    _ACTIONS,
    kept("category_id", _RAW, "Rule.raw"),
    _CONDITIONS,
    kept("description", _RAW, "Rule.raw"),
    kept("raw_title", _RAW, "Rule.raw"),
    dropped("url", _URL),
)

_AUTOMATION = _rule(
    "automation",
    "Automation",
    _REF + "business-rules/automations/",
    _ACTIONS,
    _CONDITIONS,
    kept("raw_title", _RAW, "Rule.raw"),
)

_SIDELOAD: Final = "an `include=` sideload cemigrate does not ask for"

_MACRO = _rule(
    "macro",
    "Macro",
    _REF + "business-rules/macros/",
    _ACTIONS,
    dropped("app_installation", _SIDELOAD),
    dropped("categories", _SIDELOAD),
    kept("description", _RAW, "Rule.raw"),
    dropped("permissions", _SIDELOAD),
    kept("restriction", _RAW, "Rule.raw"),
    dropped("url", _URL),
    dropped("usage_1h", _SIDELOAD + "; usage counts of the source account"),
    dropped("usage_24h", _SIDELOAD + "; usage counts of the source account"),
    dropped("usage_30d", _SIDELOAD + "; usage counts of the source account"),
    dropped("usage_7d", _SIDELOAD + "; usage counts of the source account"),
)

_VIEW = _rule(
    "view",
    "View",
    _REF + "business-rules/views/",
    _CONDITIONS,
    kept("description", _RAW, "Rule.raw"),
    kept("execution", _RAW + " (columns, grouping, sorting)", "Rule.raw"),
    kept("restriction", _RAW, "Rule.raw"),
    dropped("url", _URL),
)

_TICKET_METRIC = LedgerObject(
    name="ticket_metric",
    title="Ticket metric set",
    page=_REF + "tickets/ticket_metrics/",
    rows=(
        carried("agent_wait_time_in_minutes", "TicketMetrics.agent_wait"),
        dropped("assigned_at", _SOURCE_METRIC),
        dropped("assignee_stations", _SOURCE_METRIC),
        dropped("assignee_updated_at", _SOURCE_METRIC),
        carried("created_at", "TicketMetrics.created_at"),
        dropped("custom_status_updated_at", _SOURCE_METRIC),
        dropped("first_resolution_time_in_minutes", _SOURCE_METRIC),
        carried("full_resolution_time_in_minutes", "TicketMetrics.full_resolution"),
        dropped("group_stations", _SOURCE_METRIC),
        carried("id", "TicketMetrics.id"),
        dropped("initially_assigned_at", _SOURCE_METRIC),
        dropped("latest_comment_added_at", "the last comment's time, carried with the comment"),
        dropped("on_hold_time_in_minutes", _SOURCE_METRIC),
        carried("reopens", "TicketMetrics.reopens"),
        carried("replies", "TicketMetrics.replies"),
        carried("reply_time_in_minutes", "TicketMetrics.first_reply"),
        dropped("reply_time_in_seconds", "the first reply again, in seconds, messaging only"),
        dropped("requester_updated_at", _SOURCE_METRIC),
        carried("requester_wait_time_in_minutes", "TicketMetrics.requester_wait"),
        carried("solved_at", "Ticket.solved_at"),
        dropped("status_updated_at", _SOURCE_METRIC),
        carried("ticket_id", "TicketMetrics.ticket"),
        carried("updated_at", "TicketMetrics.updated_at"),
        dropped("url", _URL),
    ),
)

_TICKET_METRIC_EVENT = LedgerObject(
    name="ticket_metric_event",
    title="Ticket metric event",
    page=_REF + "tickets/ticket_metric_events/",
    rows=(
        dropped(
            "deleted",
            "the reference says to ignore a breach marked deleted (convert.py does not yet)",
        ),
        dropped("group_sla", "`apply_group_sla` events have no schema equivalent: skipped"),
        carried("id", "SlaEvent.id"),
        carried("instance_id", "SlaEvent.metric", note="1 is the first reply, later the next"),
        carried("metric", "SlaEvent.metric"),
        carried("sla", "SlaEvent.policy", "SlaEvent.target_minutes", "SlaEvent.business_hours"),
        dropped("status", "`update_status` events are skipped; the metric set carries the times"),
        carried("ticket_id", "SlaEvent.ticket"),
        carried("time", "SlaEvent.time", "SlaEvent.updated_at"),
        carried("type", "SlaEvent.kind"),
    ),
)

_SATISFACTION_RATING = LedgerObject(
    name="satisfaction_rating",
    title="Satisfaction rating",
    page=_REF + "ticket-management/satisfaction_ratings/",
    rows=(
        carried("assignee_id", "SatisfactionRating.assignee"),
        carried("comment", "SatisfactionRating.comment"),
        carried("created_at", "SatisfactionRating.created_at"),
        carried("group_id", "SatisfactionRating.group"),
        carried("id", "SatisfactionRating.id"),
        carried("reason", "SatisfactionRating.reason"),
        dropped("reason_code", "the reason's text is carried (`reason`)"),
        dropped("reason_id", "the reason's text is carried (`reason`)"),
        carried("requester_id", "SatisfactionRating.requester"),
        carried("score", "SatisfactionRating.score", note="`unoffered` ratings are not read"),
        carried("ticket_id", "SatisfactionRating.ticket"),
        carried("updated_at", "SatisfactionRating.updated_at"),
        dropped("url", _URL),
    ),
)

ZENDESK_LEDGER: Final = FieldLedger(
    platform="Zendesk",
    command="python -m cemigrate.adapters.zendesk.field_ledger --write docs/zendesk.md",
    objects=(
        _TICKET,
        _COMMENT,
        _COMMENT_VIA,
        _COMMENT_METADATA,
        _ATTACHMENT,
        _USER,
        _IDENTITY,
        _ORGANIZATION,
        _ORGANIZATION_MEMBERSHIP,
        _GROUP,
        _GROUP_MEMBERSHIP,
        _TICKET_FIELD,
        _profile_field("user_field", "User field", _REF + "users/user_fields/"),
        _profile_field(
            "organization_field", "Organization field", _REF + "organizations/organization_fields/"
        ),
        _CUSTOM_FIELD_OPTION,
        _TICKET_FORM,
        _BRAND,
        _CUSTOM_STATUS,
        _SCHEDULE,
        _INTERVAL,
        _HOLIDAY,
        _SLA_POLICY,
        _TRIGGER,
        _AUTOMATION,
        _MACRO,
        _VIEW,
        _TICKET_METRIC,
        _TICKET_METRIC_EVENT,
        _SATISFACTION_RATING,
    ),
)
"""Every documented field of every object the Zendesk adapters read, with its fate."""


_FRESHDESK_SEAT: Final = "a Freshdesk agent's seat; a Zendesk agent has no such attribute"

ZENDESK_NOT_HELD: Final[Mapping[Kind, Mapping[str, str]]] = {
    Kind.TICKET: {
        "external_id": "gap: Zendesk's external_id holds cemigrate's source key; the ticket's "
        "own external id is not written",
    },
    Kind.USER: with_stamps({"agent_type": _FRESHDESK_SEAT, "occasional": _FRESHDESK_SEAT}),
    Kind.ORGANIZATION: with_stamps({}),
    Kind.GROUP: with_stamps(
        {"deleted": "a group is created live: the API creates no deleted group"}
    ),
    Kind.GROUP_MEMBERSHIP: with_stamps({}),
    Kind.ORGANIZATION_MEMBERSHIP: with_stamps(
        {"view_tickets": "read-only in Zendesk: the organization's sharing decides it"}
    ),
    Kind.SCHEDULE: with_stamps(
        {"default": "the account's default schedule is its own; a written one is not made it"}
    ),
    Kind.TICKET_FORM: with_stamps(
        {
            "default": "the account's default form is its own; a written one is not made it",
            "position": "the account orders its forms itself (its own forms come first)",
        }
    ),
    Kind.BRAND: with_stamps(
        {
            "default": "the account's default brand is its own",
            "subdomain": "unique across Zendesk: a written brand gets the target's own",
            "host_mapping": "the source's domain stays with the source's brand",
        }
    ),
    Kind.CUSTOM_STATUS: with_stamps(
        {"default": "a category's default status is the account's own"}
    ),
    Kind.FIELD: with_stamps({}),
}
"""What a Zendesk *target* does not hold of each kind it reads back, and why (what it holds is
``_KEEPS`` in ``platform.py``)."""


def _main(argv: Sequence[str] | None = None) -> int:
    return main(ZENDESK_LEDGER, argv)


if __name__ == "__main__":
    raise SystemExit(_main())
