"""The Freshdesk field ledger: every field the Freshdesk API v2 reference documents for each object
the Freshdesk source reads, and what a migration does with it.

The fields are those of each object's attribute table on developers.freshdesk.com/api (the
section is named per object below), plus the fields the reference's own sample answers carry
that the table omits (a ticket's ``association_type``, a conversation's ``category``), plus the
fields real recorded answers carry beyond both (a ticket's ``ticket_cc_emails``, a
conversation's ``thread_id``): ``tests/adapters/freshdesk/data/NOTICE.md`` says where each list
comes from. ``tests/adapters/freshdesk/test_freshdesk_field_ledger.py`` fails when a documented
field has no row, a row names a field that is not documented or a schema attribute that does
not exist, a recorded sample carries a field the list lacks, and when the "Field ledger"
section of ``docs/freshdesk.md`` differs from
:func:`~cemigrate.adapters.field_ledger.render` of :data:`FRESHDESK_LEDGER`. Regenerate it
with ``.venv/bin/python -m cemigrate.adapters.freshdesk.field_ledger --write docs/freshdesk.md``
(``make field-ledger``).

A field's fate is about the Freshdesk *source*: ``carried`` names the schema attribute it is
read into (every target then writes it as ``docs/<target>.md`` says), ``kept`` the place it is
kept verbatim (a ticket's ``via``, a comment's ``metadata``: targets write both to the private
``cemigrate_origin`` field; a rule's or SLA policy's ``raw``), ``mapped`` the mapping file's
section it goes through.
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

__all__ = ["FRESHDESK_LEDGER", "FRESHDESK_NOT_HELD"]

_REF: Final = "https://developers.freshdesk.com/api/, section "

# Reasons and places that recur, stated once.
_WRITE_ONLY: Final = "a create parameter naming the requester; answers carry `requester_id`"
_VIA: Final = f"private field `{ORIGIN_FIELD}` on a target"
"""Hidden from end users; see :mod:`cemigrate.adapters.origin`."""
_META: Final = _VIA
_RAW: Final = "verbatim, for the rule dialect"
_SOURCE_METRIC: Final = (
    "a measurement of the source account the schema's metrics do not hold; first reply, "
    "resolution and reopening are carried"
)
_PORTAL: Final = "customer-portal presentation; the target field starts agent-only"
_AGENT_FORM: Final = (
    "agent-form layout (accounts from June 2022); the target's admin arranges its own forms"
)
_OUTBOX: Final = "the delivery state of the source account's outgoing mail; nothing to resend"
_OWN: Final = "the target marks its own built-in fields; Freshdesk's are not read as custom fields"


def _v(field: str, *attributes: str, note: str = "") -> FieldRow:
    """A ticket attribute kept verbatim in ``Ticket.via`` (and, if named, also carried)."""
    where = f"{_VIA}; {note}" if note else _VIA
    return kept(field, where, "Ticket.via", *attributes)


def _m(field: str, *attributes: str, note: str = "") -> FieldRow:
    """A conversation attribute kept verbatim in ``Comment.metadata``."""
    where = f"{_META}; {note}" if note else _META
    return kept(field, where, "Comment.metadata", *attributes)


_TICKET = LedgerObject(
    name="ticket",
    title="Ticket",
    page=_REF + '"Tickets"',
    rows=(
        _v("associated_tickets_count"),
        _v("associated_tickets_list", note="parent/child and tracker links by source id"),
        _v("association_type", note="1 parent, 2 child, 3 tracker, 4 related"),
        carried(
            "attachments",
            "Comment.attachments",
            note="the first comment's files, from the ticket's own view (the list leaves them "
            "out; plan key `ticket_read = conversations` skips the view and says so)",
        ),
        _v("cc_emails"),
        dropped("company", "an `include=company` sideload cemigrate does not ask for"),
        carried("company_id", "Ticket.organization"),
        carried(
            "conversations",
            "Ticket.comments",
            note="after the description, oldest first (see Conversation); read per ticket",
        ),
        carried("created_at", "Ticket.created_at"),
        mapped("custom_fields", "mapping `[fields.ticket.<key>]`", "Ticket.custom_fields"),
        carried("deleted", "Ticket.deleted", note="deleted tickets are listed with filter=deleted"),
        carried("description", "Comment.body_html", note="the first comment's HTML"),
        carried(
            "description_text",
            "Ticket.description",
            "Comment.body_plain",
            note="the first comment's text",
        ),
        carried(
            "due_by",
            "SlaEvent.target_minutes",
            "SlaEvent.time",
            note="the resolution target: applied at creation, breached at this time",
        ),
        dropped("email", _WRITE_ONLY),
        _v("email_config_id", note="the source account's mailbox"),
        dropped("facebook_id", _WRITE_ONLY),
        carried(
            "fr_due_by",
            "SlaEvent.target_minutes",
            "SlaEvent.time",
            note="the first-reply target: applied at creation, breached at this time",
        ),
        carried("fr_escalated", "SlaEvent.kind", note="a first-reply breach"),
        _v("fwd_emails"),
        carried("group_id", "Ticket.group"),
        carried("id", "Ticket.id", note="the source key; the target assigns its own id"),
        dropped(
            "internal_agent_id",
            "gap: shared ownership's internal agent is not read (the assignee is)",
        ),
        dropped(
            "internal_group_id",
            "gap: shared ownership's internal group is not read (the group is)",
        ),
        carried("is_escalated", "SlaEvent.kind", note="a resolution breach"),
        dropped("name", _WRITE_ONLY),
        _v("nr_due_by", note="the next-reply target, which the schema's SLA history lacks"),
        _v("nr_escalated"),
        dropped("phone", _WRITE_ONLY),
        mapped("priority", "mapping `[priority.map]`", "Ticket.priority"),
        dropped(
            "priority_name",
            "the priority code's name (in python-freshdesk's samples); the code is mapped",
        ),
        carried(
            "product_id",
            "Ticket.brand",
            "Ticket.via",
            note="the product, read as a brand (see Product); the id is kept in via too",
        ),
        _v("reply_cc_emails"),
        dropped(
            "requester",
            "an `include=requester` sideload cemigrate does not ask for; the requester is "
            "read as a contact of its own",
        ),
        carried("requester_id", "Ticket.requester", note="also the first comment's author"),
        carried("responder_id", "Ticket.assignee"),
        _v(
            "source",
            "Ticket.channel",
            note="the code and its name (`source_name`); the channel by the source table, an "
            "unknown code as `other` (and a warning), through mapping `[channel.map]`",
        ),
        dropped(
            "source_additional_info",
            "gap: a social or chat ticket's channel details are not read (null in the "
            "recorded answers)",
        ),
        _v("spam"),
        carried(
            "stats",
            "TicketMetrics.first_reply",
            "TicketMetrics.full_resolution",
            "Ticket.solved_at",
            note="see Ticket stats",
        ),
        mapped(
            "status",
            "mapping `[status.map]` (2 open, 3 pending, 4 resolved, 5 closed; others custom)",
            "Ticket.status",
        ),
        _v(
            "structured_description",
            note="when it holds more than text (a chat or bot ticket's cards); text alone is "
            "the description",
        ),
        carried("subject", "Ticket.subject"),
        carried("support_email", "Ticket.recipient", note="the support address written to"),
        carried("tags", "Ticket.tags"),
        _v("ticket_bcc_emails"),
        _v("ticket_cc_emails"),
        _v("to_emails", "Ticket.recipient", note="its one address is the recipient"),
        dropped("twitter_id", _WRITE_ONLY),
        mapped(
            "type",
            "question, incident, problem and task (any case) as the type (mapping "
            "`[type.map]`); any other type verbatim as the dropdown value `ticket_type` "
            "(mapping `[fields.ticket.ticket_type]`)",
            "Ticket.custom_fields",
            "Ticket.type",
        ),
        carried("updated_at", "Ticket.updated_at"),
        dropped("urgent", "an old flag; the priority code (mapped) says urgent"),
    ),
)

_TICKET_STATS = LedgerObject(
    name="ticket.stats",
    title="Ticket stats",
    page=_REF + '"View a Ticket" (include=stats)',
    rows=(
        dropped("agent_responded_at", _SOURCE_METRIC),
        carried("closed_at", "Ticket.solved_at", note="for a closed ticket without `resolved_at`"),
        carried(
            "first_responded_at",
            "TicketMetrics.first_reply",
            "SlaEvent.time",
            note="calendar minutes from creation; a first-reply fulfilment",
        ),
        dropped("pending_since", _SOURCE_METRIC),
        carried("reopened_at", "TicketMetrics.reopens", note="1 when set"),
        dropped("requester_responded_at", _SOURCE_METRIC),
        carried(
            "resolved_at",
            "Ticket.solved_at",
            "TicketMetrics.full_resolution",
            "SlaEvent.time",
            note="a resolution fulfilment",
        ),
        dropped("status_updated_at", _SOURCE_METRIC),
    ),
)

_ATTACHMENT = LedgerObject(
    name="attachment",
    title="Attachment",
    page=_REF + '"Tickets" (the attachments of tickets and conversations)',
    rows=(
        carried("attachment_url", "Attachment.location", note="where the bytes are streamed from"),
        carried("content_type", "Attachment.content_type"),
        derived("created_at", "the target dates the upload"),
        carried("file_size", "Attachment.size"),
        carried("id", "Attachment.id"),
        carried("name", "Attachment.file_name"),
        carried("size", "Attachment.size", note="read when `file_size` is absent"),
        derived("thumb_url", "the target makes its own thumbnail from the uploaded image"),
        derived("updated_at", "the target dates the upload"),
    ),
)

_CONVERSATION = LedgerObject(
    name="conversation",
    title="Conversation",
    page=_REF + '"Conversations"',
    rows=(
        carried("attachments", "Comment.attachments"),
        _m("auto_response"),
        dropped(
            "automation_id",
            "a rule of the source account that wrote it; `auto_response` is kept",
        ),
        dropped(
            "automation_type_id",
            "a rule of the source account that wrote it; `auto_response` is kept",
        ),
        _m("bcc_emails"),
        carried("body", "Comment.body_html"),
        carried("body_text", "Comment.body_plain"),
        _m("category"),
        _m("cc_emails"),
        dropped("cloud_files", "gap: links to files in cloud storage are not carried"),
        carried("created_at", "Comment.created_at"),
        dropped("deleted", "only in the answer to a forward; listed conversations are not"),
        dropped("delivery_details", _OUTBOX),
        dropped("email_failure_count", _OUTBOX),
        _m("from_email"),
        dropped("has_quoted_text", "whether the body quotes earlier mail; the body is carried"),
        carried("id", "Comment.id"),
        dropped(
            "incoming",
            "whether it came from outside the help desk; its author (`user_id`) is carried",
        ),
        dropped(
            "last_edited_at",
            "the source's edit history; the body is carried as last edited",
        ),
        dropped(
            "last_edited_user_id",
            "the source's edit history; the body is carried as last edited",
        ),
        dropped(
            "notified_to",
            "only in the answer to a note create: whom the source notified",
        ),
        dropped("outgoing_failures", _OUTBOX),
        carried("private", "Comment.public", note="never defaulted: a private note stays private"),
        dropped("replied_to", "only in the answer to a reply create (its `to_emails`)"),
        _m(
            "source",
            "Comment.channel",
            note="the code and its name (`source_name`); the channel by the conversation "
            "source table",
        ),
        dropped(
            "source_additional_info",
            "gap: a social or chat message's channel details are not read (null in the "
            "recorded answers)",
        ),
        dropped("structured_body", "the body again, as content blocks; `body` is carried"),
        _m("support_email"),
        _m("thread_id"),
        _m("thread_message_id"),
        dropped("threading_type", "the source's mail threading mode; the thread ids are kept"),
        carried("ticket_id", "Ticket.comments", note="the ticket whose comments it joins"),
        _m("to_emails"),
        derived("updated_at", "the target dates the comment it writes"),
        carried("user_id", "Comment.author"),
    ),
)

_CONTACT = LedgerObject(
    name="contact",
    title="Contact",
    page=_REF + '"Contacts"',
    rows=(
        dropped(
            "active",
            "gap: whether the contact confirmed its e-mail; the primary e-mail reads as verified",
        ),
        carried("address", "User.address"),
        dropped("avatar", "gap: profile pictures are not carried"),
        carried(
            "company_id",
            "User.organization",
            "OrganizationMembership.organization",
            note="the default organization membership",
        ),
        dropped("contact_type", "visitor or contact (accounts from June 2022): both end users"),
        carried("created_at", "User.created_at"),
        mapped("custom_fields", "mapping `[fields.user.<key>]`", "User.custom_fields"),
        carried(
            "deleted",
            "User.deleted",
            "User.suspended",
            note="soft-deleted contacts are listed with state=deleted",
        ),
        carried(
            "description",
            "User.details",
            "User.notes",
            "User.identities",
            note="split at cemigrate's own headings when it wrote them",
        ),
        dropped("devices", "the contact's mobile devices (accounts from June 2022)"),
        carried("email", "User.email", "User.identities", note="the primary e-mail"),
        carried("id", "User.id"),
        dropped("job_title", "gap: the schema has no job title"),
        carried("language", "User.locale"),
        carried(
            "mobile",
            "User.identities",
            "User.phone",
            note="a phone identity; the phone when `phone` is empty",
        ),
        carried("name", "User.name"),
        carried(
            "other_companies",
            "OrganizationMembership.organization",
            "OrganizationMembership.view_tickets",
            note="one membership each, from the contact view",
        ),
        carried("other_emails", "User.identities", note="from the contact view"),
        carried("phone", "User.phone", "User.identities"),
        dropped(
            "social_handler",
            "gap: social handles (accounts from June 2022) are not read; `twitter_id` is",
        ),
        carried("tags", "User.tags", note="from the contact view"),
        carried("time_zone", "User.time_zone"),
        carried("twitter_id", "User.identities", note="a twitter identity"),
        carried("unique_external_id", "User.external_id"),
        carried("updated_at", "User.updated_at"),
        carried(
            "view_all_tickets",
            "OrganizationMembership.view_tickets",
            note="of the default membership, from the contact view",
        ),
    ),
)

_COMPANY_OWN: Final = (
    "gap: one of Freshdesk's own company attributes, not read (a target adopts it only for "
    "a mapped custom field)"
)

_COMPANY = LedgerObject(
    name="company",
    title="Company",
    page=_REF + '"Companies"',
    rows=(
        dropped("account_tier", _COMPANY_OWN),
        carried("created_at", "Organization.created_at"),
        mapped(
            "custom_fields",
            "mapping `[fields.organization.<key>]`",
            "Organization.custom_fields",
        ),
        carried("description", "Organization.details"),
        carried("domains", "Organization.domains"),
        dropped("health_score", _COMPANY_OWN),
        carried("id", "Organization.id"),
        dropped("industry", _COMPANY_OWN),
        carried("name", "Organization.name"),
        carried("note", "Organization.notes"),
        dropped("renewal_date", _COMPANY_OWN),
        carried("updated_at", "Organization.updated_at"),
    ),
)

_AGENT = LedgerObject(
    name="agent",
    title="Agent",
    page=_REF + '"Agents"',
    rows=(
        dropped("available", "whether the agent takes tickets now: a live state of the source"),
        dropped("available_since", "whether the agent takes tickets now: a live state"),
        carried("contact", "User.name", "User.email", note="see Agent contact"),
        carried("created_at", "User.created_at"),
        dropped("focus_mode", "the agent's notification setting in the source account"),
        dropped(
            "group_ids",
            "the memberships again; each group's `agent_ids` carries them",
        ),
        carried("id", "User.id"),
        carried("occasional", "User.occasional"),
        carried(
            "role_ids",
            "User.role",
            note="admin with an Account Administrator or Administrator role; from the agent "
            "view (the list leaves them out)",
        ),
        carried("signature", "User.signature"),
        dropped("skill_ids", "gap: skills (skill-based assignment) have no schema kind"),
        carried(
            "ticket_scope",
            "User.ticket_restriction",
            note="1 none, 2 `groups`, 3 `assigned`",
        ),
        carried("type", "User.agent_type"),
        carried("updated_at", "User.updated_at"),
    ),
)

_AGENT_CONTACT = LedgerObject(
    name="agent.contact",
    title="Agent contact",
    page=_REF + '"Agents" (contact[...])',
    rows=(
        carried("active", "User.suspended", note="false means suspended"),
        dropped("created_at", "the agent's own times are carried"),
        carried("email", "User.email", "User.identities"),
        dropped("job_title", "gap: the schema has no job title"),
        carried("language", "User.locale"),
        dropped("last_login_at", "sign-ins to the source account; the target records its own"),
        carried(
            "mobile",
            "User.identities",
            "User.phone",
            note="a phone identity; the phone when `phone` is empty",
        ),
        carried("name", "User.name"),
        carried("phone", "User.phone", "User.identities"),
        carried("time_zone", "User.time_zone"),
        dropped("updated_at", "the agent's own times are carried"),
    ),
)

_GROUP = LedgerObject(
    name="group",
    title="Group",
    page=_REF + '"Groups"',
    rows=(
        carried(
            "agent_ids",
            "GroupMembership.user",
            "GroupMembership.group",
            note="one membership each, from the group view (the list leaves them out)",
        ),
        dropped(
            "auto_ticket_assign",
            "the source's automatic assignment mode; the target's admin sets its own",
        ),
        dropped("business_hour_id", "gap: Freshdesk business hours are not read"),
        carried("created_at", "Group.created_at"),
        carried("description", "Group.description"),
        dropped("escalate_to", "the group's escalation e-mail setting; no schema equivalent"),
        dropped(
            "group_type",
            "a support or a field-service group; every group is read as a support group",
        ),
        carried("id", "Group.id"),
        carried("name", "Group.name"),
        dropped("unassigned_for", "the group's escalation e-mail setting; no schema equivalent"),
        carried("updated_at", "Group.updated_at"),
    ),
)

_ROLE_ONLY: Final = (
    "roles are not migrated (the target's admin assigns its own); whether an agent is an "
    "admin is carried"
)

_ROLE = LedgerObject(
    name="role",
    title="Role",
    page=_REF + '"Roles"',
    rows=(
        dropped("created_at", _ROLE_ONLY),
        dropped("default", _ROLE_ONLY),
        dropped("description", _ROLE_ONLY),
        carried("id", "User.role", note="matched with the agents' `role_ids`"),
        carried(
            "name",
            "User.role",
            note="an agent holding Account Administrator or Administrator is an admin",
        ),
        dropped("updated_at", _ROLE_ONLY),
    ),
)


def _field_rows(*rows: FieldRow) -> tuple[FieldRow, ...]:
    """The rows ticket, contact and company fields share, plus the kind's own."""
    common = (
        carried("choices", "FieldDef.options"),
        carried("created_at", "FieldDef.created_at"),
        carried("id", "FieldDef.id"),
        carried("label", "FieldDef.title"),
        carried(
            "name", "FieldDef.key", note="without `cf_` (and the account number it may end in)"
        ),
        carried("position", "FieldDef.position"),
        carried("required_for_agents", "FieldDef.required"),
        carried("type", "FieldDef.type", note="a type with no schema equivalent is not read"),
        carried("updated_at", "FieldDef.updated_at"),
    )
    return (*common, *rows)


_TICKET_FIELD = LedgerObject(
    name="ticket_field",
    title="Ticket field",
    page=_REF + '"Ticket Fields"',
    rows=_field_rows(
        dropped("customers_can_edit", _PORTAL),
        derived(
            "default",
            _OWN + " (but `ticket_type` is: its choices are the account's ticket types, and "
            "`source` names the source codes)",
        ),
        carried("description", "FieldDef.description"),
        dropped("displayed_to_customers", _PORTAL),
        dropped("label_for_customers", _PORTAL),
        dropped("nested_ticket_fields", "gap: the lower levels of a dependent field are not read"),
        dropped("portal_cc", _PORTAL + " (the requester field's, a default field)"),
        dropped("portal_cc_to", _PORTAL + " (the requester field's, a default field)"),
        carried("required_for_closure", "FieldDef.required"),
        dropped("required_for_customers", _PORTAL),
    ),
)

_CONTACT_FIELD = LedgerObject(
    name="contact_field",
    title="Contact field",
    page=_REF + '"Contact Fields"',
    rows=_field_rows(
        dropped("agents_can_edit", _AGENT_FORM),
        dropped("customers_can_edit", _PORTAL),
        derived("default", _OWN),
        dropped("displayed_for_agents", _AGENT_FORM),
        dropped("displayed_for_customers", _PORTAL),
        dropped("editable_in_signup", _PORTAL),
        dropped("label_for_customers", _PORTAL),
        dropped("quick_add_for_agent", _AGENT_FORM),
        dropped("required_for_customers", _PORTAL),
        dropped("unique", "gap: the schema keeps no uniqueness constraint"),
    ),
)

_COMPANY_FIELD = LedgerObject(
    name="company_field",
    title="Company field",
    page=_REF + '"Company Fields"',
    rows=_field_rows(
        dropped("agents_can_edit", _AGENT_FORM),
        derived("default", _OWN),
        dropped("displayed_for_agents", _AGENT_FORM),
        dropped("quick_add_for_agent", _AGENT_FORM),
        dropped("unique", "gap: the schema keeps no uniqueness constraint"),
    ),
)

_SLA_RAW: Final = "verbatim, with the whole policy"

_SLA_POLICY = LedgerObject(
    name="sla_policy",
    title="SLA policy",
    page=_REF + '"SLA Policies"',
    rows=(
        carried("active", "SlaPolicy.active"),
        kept(
            "applicable_to",
            _SLA_RAW + " (companies, groups, sources, types, products)",
            "SlaPolicy.raw",
        ),
        carried("created_at", "SlaPolicy.created_at"),
        carried("description", "SlaPolicy.description"),
        kept("escalation", _SLA_RAW + " (whom to tell at each level)", "SlaPolicy.raw"),
        carried("id", "SlaPolicy.id"),
        kept("is_default", _SLA_RAW, "SlaPolicy.raw"),
        carried("name", "SlaPolicy.title"),
        carried("position", "SlaPolicy.position"),
        carried("sla_target", "SlaPolicy.targets", note="see SLA target"),
        carried("updated_at", "SlaPolicy.updated_at"),
    ),
)

_SLA_TARGET = LedgerObject(
    name="sla_policy.sla_target",
    title="SLA target",
    page=_REF + '"SLA Policies" (sla_target.priority_N)',
    rows=(
        carried("business_hours", "SlaTarget.business_hours"),
        kept("escalation_enabled", _SLA_RAW, "SlaPolicy.raw"),
        carried(
            "respond_within",
            "SlaTarget.minutes",
            "SlaTarget.metric",
            note="the first-reply target, seconds to minutes",
        ),
        carried(
            "resolve_within",
            "SlaTarget.minutes",
            "SlaTarget.metric",
            note="the resolution target, seconds to minutes",
        ),
    ),
)

_AUTOMATION = LedgerObject(
    name="automation",
    title="Automation rule",
    page=_REF + '"View an Automation Rule", "List All Automation Rules"',
    rows=(
        carried("actions", "Rule.actions"),
        carried("active", "Rule.active"),
        kept("affected_tickets_count", _RAW, "Rule.raw"),
        carried(
            "automation_type_id",
            "Rule.kind",
            note="1 dispatcher, 3 supervisor, 4 observer",
        ),
        carried(
            "conditions",
            "Rule.conditions_all",
            "Rule.conditions_any",
            note="`all` sets and `any` sets",
        ),
        carried("created_at", "Rule.created_at"),
        kept("events", _RAW, "Rule.raw"),
        carried("id", "Rule.id"),
        kept("last_updated_by", _RAW, "Rule.raw"),
        kept("meta", _RAW, "Rule.raw"),
        carried("name", "Rule.title"),
        kept("operator", _RAW + " (AND or OR between condition sets)", "Rule.raw"),
        kept("outdated", _RAW, "Rule.raw"),
        kept("performer", _RAW, "Rule.raw"),
        carried("position", "Rule.position"),
        kept("summary", _RAW, "Rule.raw"),
        carried("updated_at", "Rule.updated_at"),
    ),
)

_SATISFACTION_RATING = LedgerObject(
    name="satisfaction_rating",
    title="Satisfaction rating",
    page=_REF + '"Satisfaction Ratings"',
    rows=(
        carried("agent_id", "SatisfactionRating.assignee"),
        carried("created_at", "SatisfactionRating.created_at"),
        carried("feedback", "SatisfactionRating.comment"),
        carried("group_id", "SatisfactionRating.group"),
        carried("id", "SatisfactionRating.id"),
        dropped("questions", "the survey's question texts; the default question's answer is read"),
        carried(
            "ratings",
            "SatisfactionRating.score",
            note="the default question's answer (above 100 good, below -100 bad; classic 1 "
            "good, 3 bad); other questions' answers are not read",
        ),
        dropped("survey_id", "the source account's survey; the target's survey is its own"),
        carried("ticket_id", "SatisfactionRating.ticket"),
        carried("updated_at", "SatisfactionRating.updated_at"),
        carried("user_id", "SatisfactionRating.requester"),
    ),
)

_NO_TIME_KIND: Final = "gap: the schema has no kind for time entries"

_TIME_ENTRY = LedgerObject(
    name="time_entry",
    title="Time entry",
    page=_REF + '"Time Entries"',
    rows=tuple(
        dropped(field, _NO_TIME_KIND)
        for field in (
            "agent_id",
            "billable",
            "company_id",
            "created_at",
            "executed_at",
            "id",
            "note",
            "start_time",
            "ticket_id",
            "time_spent",
            "timer_running",
            "updated_at",
        )
    ),
)

_PRODUCT = LedgerObject(
    name="product",
    title="Product",
    page=_REF + '"Products"',
    rows=(
        carried("created_at", "Brand.created_at"),
        dropped("description", "gap: the schema's brand has no description"),
        carried("id", "Brand.id", note="read as a brand: tickets name it by `product_id`"),
        carried("name", "Brand.name"),
        carried("updated_at", "Brand.updated_at"),
    ),
)

FRESHDESK_LEDGER: Final = FieldLedger(
    platform="Freshdesk",
    command="python -m cemigrate.adapters.freshdesk.field_ledger --write docs/freshdesk.md",
    objects=(
        _TICKET,
        _TICKET_STATS,
        _ATTACHMENT,
        _CONVERSATION,
        _CONTACT,
        _COMPANY,
        _AGENT,
        _AGENT_CONTACT,
        _GROUP,
        _ROLE,
        _TICKET_FIELD,
        _CONTACT_FIELD,
        _COMPANY_FIELD,
        _SLA_POLICY,
        _SLA_TARGET,
        _AUTOMATION,
        _SATISFACTION_RATING,
        _TIME_ENTRY,
        _PRODUCT,
    ),
)
"""Every documented field of every object the Freshdesk source reads, with its fate."""


_ZENDESK_AGENT: Final = (
    "a Zendesk agent's setting: a Freshdesk agent is the account's own seat, matched by e-mail"
)
_SEAT: Final = "the agent's seat is the account's own: compared, never set"

FRESHDESK_NOT_HELD: Final[Mapping[Kind, Mapping[str, str]]] = {
    Kind.TICKET: {
        "submitter": "a Freshdesk ticket has no submitter: its requester opened it",
        "ccs": "gap: the ticket's CCs are not written to cc_emails (they stay on its "
        "conversations' addresses)",
        "followers": "a Freshdesk ticket has no followers (agents watch tickets themselves)",
        "due_at": "gap: the due date is not written: Freshdesk computes due_by from its own SLA",
        "external_id": "gap: the ticket's own external id is not written (cemigrate_id holds "
        "the source key)",
        "problem": "a Freshdesk ticket has no problem link (parent-child tickets are another "
        "thing)",
    },
    Kind.USER: with_stamps(
        {
            "time_zone": "not sent: Freshdesk takes its own zone names, not IANA ones",
            "alias": _ZENDESK_AGENT,
            "custom_role": _ZENDESK_AGENT,
            "default_group": _ZENDESK_AGENT,
            "only_private_comments": _ZENDESK_AGENT,
            "agent_type": _SEAT,
            "occasional": _SEAT,
        }
    ),
    Kind.ORGANIZATION: with_stamps(
        {
            "external_id": "gap: a company's own external id is not written",
            "group": "a company has no default group",
            "shared_tickets": "a company has no sharing flag: each contact's view_all_tickets",
            "shared_comments": "a company has no sharing flag: each contact's view_all_tickets",
        }
    ),
    Kind.GROUP: with_stamps(
        {
            "public": "a Freshdesk group has no public flag",
            "deleted": "a group is created live: the API creates no deleted group",
        }
    ),
    Kind.GROUP_MEMBERSHIP: with_stamps({"default": "a group's agent_ids hold no default flag"}),
    Kind.ORGANIZATION_MEMBERSHIP: with_stamps({}),
    Kind.FIELD: with_stamps(
        {
            "key": "Freshdesk names a created field itself (cf_<label>, with the account's "
            "number for cemigrate's own): values are compared under its name",
            "position": "the account's own fields come first: a created field is placed after",
            "required": "created optional: a required field would refuse the imported tickets "
            "that have no value",
            "active": "a created custom field is active: an inactive source field's values "
            "are carried all the same",
        }
    ),
}
"""What a Freshdesk *target* does not hold of each kind it reads back, and why (what it holds
is ``keeps`` in ``platform.py``)."""


def _main(argv: Sequence[str] | None = None) -> int:
    return main(FRESHDESK_LEDGER, argv)


if __name__ == "__main__":
    raise SystemExit(_main())
