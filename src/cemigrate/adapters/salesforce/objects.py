"""The Salesforce objects a migration reads and writes, as a table of data.

Each row of :data:`OBJECTS` names one sObject: the schema kind it becomes, the fields a SOQL
query selects, how it is read (incrementally by ``SystemModstamp``, with deleted rows through
``queryAll``, or whole) and how it is written (upsert by the external id ``Cemigrate_Id__c``
through sObject collections, plain creates, or not at all). The source and the target loop over
these rows. Facts come from ``reference/platform-facts.md`` section 2 (cited as ``facts 2.x``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from cemigrate.adapters.contract import Capability
from cemigrate.schema import Kind, RuleKind

__all__ = [
    "API_VERSION",
    "AUDIT_FIELDS",
    "BY_NAME",
    "CASE_LABEL_FIELDS",
    "COLLECTION_SIZE",
    "DEFAULT_BULK_THRESHOLD",
    "EXTERNAL_ID",
    "LONG_TEXT_LIMIT",
    "OBJECTS",
    "ORIGIN_API_NAME",
    "PERSON_ACCOUNTS",
    "QUERY_CHUNK",
    "SETUP_FIELDS",
    "SETUP_OBJECTS",
    "SOURCE_CAPABILITIES",
    "TARGET_CAPABILITIES",
    "WEEKDAYS",
    "Paging",
    "SalesforceObject",
    "SetupField",
    "WritePath",
]

API_VERSION: Final = "59.0"
"""The REST API version spoken (simple-salesforce's default). [facts 2.3]"""

EXTERNAL_ID: Final = "Cemigrate_Id__c"
"""The external id field ``prepare`` creates on every object the target upserts."""

COLLECTION_SIZE: Final = 200
"""Records per sObject collections call (create, update, upsert). [facts 2.3]"""

QUERY_CHUNK: Final = 200
"""Ids per ``WHERE ... IN (...)`` clause: keeps a query URI well under 16,384 bytes. [facts 2.1]"""

DEFAULT_BULK_THRESHOLD: Final = 1000
"""Rows of one object in one write from which Bulk API 2.0 is used instead of collections.

A Bulk 2.0 job costs five calls whatever its size when nothing fails (create, upload, close,
one poll, successful results; the failed results only when some failed); collections cost
``ceil(n / 200)``, so Bulk is never dearer from 1,000 rows. Salesforce recommends it above
2,000 (facts 2.3) for its asynchronous processing: a migration is the asynchronous load it
means. A ticket batch holds ten times this many tickets (see docs/salesforce.md)."""

AUDIT_FIELDS: Final = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById")
"""Settable on insert only, with "Set Audit Fields upon Record Creation". [facts 2.4]"""


class Paging(enum.StrEnum):
    """How an object is read."""

    MODSTAMP = "modstamp"
    """``ORDER BY SystemModstamp, Id``; the cursor is the last row's ``SystemModstamp`` and
    ``Id``; deleted rows come too (``queryAll``)."""
    WHOLE = "whole"
    """Read whole every time (setup objects: few rows, no deleted rows to see)."""


class WritePath(enum.StrEnum):
    """How an object is written."""

    UPSERT = "upsert"
    """``PATCH /composite/sobjects/{Object}/Cemigrate_Id__c``, 200 a call. [facts 2.3]"""
    CREATE = "create"
    """``POST /composite/sobjects``, 200 a call; idempotence by a natural key."""
    MATCH = "match"
    """Never created: matched to a row that exists (agents to Users by e-mail)."""
    NONE = "none"
    """Not written."""


@attrs.frozen(kw_only=True)
class SalesforceObject:
    """One sObject: the schema kind it becomes and how it is read and written."""

    name: str
    """The sObject's API name."""
    kind: Kind
    """The schema kind it becomes (comments and files travel inside tickets)."""
    fields: tuple[str, ...]
    """The fields a query selects (custom fields from describe are added at run time)."""
    paging: Paging = Paging.MODSTAMP
    where: str = ""
    """A fixed condition (``Type = 'Queue'``)."""
    deleted_rows: bool = True
    """Whether ``queryAll`` is used so deleted rows are seen."""
    write: WritePath = WritePath.NONE
    custom_fields: bool = False
    """Whether the object carries the mapping's custom fields."""
    rule_kind: RuleKind | None = None
    tooling: bool = False
    """Read through the Tooling API (``/tooling/query``), not REST SOQL."""
    note: str = ""


_MOD: Final = ("SystemModstamp",)

WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
"""BusinessHours' days in field-name order (``SundayStartTime`` ...), Sunday first as a
schedule's minutes count."""

CASE_LABEL_FIELDS: Final[Mapping[str, str]] = {
    "brand": "Cemigrate_Brand__c",
    "form": "Cemigrate_Form__c",
    "custom_status": "Cemigrate_Custom_Status__c",
}
"""Ticket attribute → the Case text field holding the referenced record's name (Salesforce has
no brands or custom statuses; a record type for a form would need an admin's profile and layout
assignments before anyone saw it: docs/salesforce.md)."""

ORIGIN_API_NAME: Final = "Cemigrate_Origin__c"
"""The Case Long Text Area holding a ticket's origin (``adapters/origin.py``)."""

LONG_TEXT_LIMIT: Final = 131_072
"""The longest a Long Text Area can be defined (256 to 131,072 characters)."""

OBJECTS: Final[tuple[SalesforceObject, ...]] = (
    SalesforceObject(
        name="Account",
        kind=Kind.ORGANIZATION,
        fields=(
            "Id",
            "Name",
            "Description",
            "Website",
            "Cemigrate_Domains__c",
            "Cemigrate_Tags__c",
            "Cemigrate_Notes__c",
            "Cemigrate_External_Id__c",
            "Domains__c",
            "Tags__c",
            "CreatedDate",
            "LastModifiedDate",
            "IsDeleted",
            *_MOD,
        ),
        write=WritePath.UPSERT,
        custom_fields=True,
    ),
    SalesforceObject(
        name="Contact",
        kind=Kind.USER,
        fields=(
            "Id",
            "FirstName",
            "LastName",
            "Email",
            "Phone",
            "MobilePhone",
            "OtherPhone",
            "MailingStreet",
            "Description",
            "AccountId",
            "Cemigrate_Suspended__c",
            "Cemigrate_Identities__c",
            "Cemigrate_External_Id__c",
            "Cemigrate_Details__c",
            "Cemigrate_Tags__c",
            "Suspended__c",
            "Tags__c",
            "CreatedDate",
            "LastModifiedDate",
            "IsDeleted",
            *_MOD,
        ),
        write=WritePath.UPSERT,
        custom_fields=True,
        note="End users.",
    ),
    SalesforceObject(
        name="User",
        kind=Kind.USER,
        fields=(
            "Id",
            "Name",
            "Email",
            "IsActive",
            "Profile.Name",
            "CreatedDate",
            "LastModifiedDate",
            *_MOD,
        ),
        where="UserType = 'Standard'",
        deleted_rows=False,
        write=WritePath.MATCH,
        note="Agents: matched by e-mail, never created (licences). [facts 2.5]",
    ),
    SalesforceObject(
        name="Group",
        kind=Kind.GROUP,
        fields=("Id", "Name", "DeveloperName", "CreatedDate", "LastModifiedDate", *_MOD),
        where="Type = 'Queue'",
        paging=Paging.WHOLE,
        deleted_rows=False,
        write=WritePath.CREATE,
        note="Queues, each with a QueueSobject for Case. [facts 2.5]",
    ),
    SalesforceObject(
        name="GroupMember",
        kind=Kind.GROUP_MEMBERSHIP,
        fields=("Id", "GroupId", "UserOrGroupId", *_MOD),
        paging=Paging.WHOLE,
        deleted_rows=False,
        write=WritePath.CREATE,
    ),
    SalesforceObject(
        name="AccountContactRelation",
        kind=Kind.ORGANIZATION_MEMBERSHIP,
        fields=("Id", "AccountId", "ContactId", "IsDirect", "IsActive", "CreatedDate", *_MOD),
        deleted_rows=False,  # a membership has no deleted flag: a deleted relation is gone
        write=WritePath.CREATE,
        note="Contacts to Multiple Accounts: the direct relation is the Contact's AccountId,"
        " made by Salesforce; the others are created (find-or-create by account and contact).",
    ),
    SalesforceObject(
        name="BusinessHours",
        kind=Kind.SCHEDULE,
        fields=(
            "Id",
            "Name",
            "IsActive",
            "IsDefault",
            "TimeZoneSidKey",
            *(f"{day}{edge}Time" for day in WEEKDAYS for edge in ("Start", "End")),
            "CreatedDate",
            "LastModifiedDate",
            *_MOD,
        ),
        paging=Paging.WHOLE,
        deleted_rows=False,
        write=WritePath.CREATE,
        note="Find-or-create by Name; its holidays are Holiday rows (one a day).",
    ),
    SalesforceObject(
        name="RecordType",
        kind=Kind.TICKET_FORM,
        fields=(
            "Id",
            "Name",
            "DeveloperName",
            "IsActive",
            "Description",
            "CreatedDate",
            "LastModifiedDate",
        ),
        where="SobjectType = 'Case'",
        paging=Paging.WHOLE,
        deleted_rows=False,
        note="Case record types, read as ticket forms; never created (the target matches"
        " one by name).",
    ),
    SalesforceObject(
        name="SlaProcess",
        kind=Kind.SLA_POLICY,
        fields=("Id", "Name", "Description", "IsActive", "CreatedDate", "LastModifiedDate"),
        paging=Paging.WHOLE,
        deleted_rows=False,
        note="Entitlement processes; targets come from their milestones' CaseMilestone rows.",
    ),
    SalesforceObject(
        name="Case",
        kind=Kind.TICKET,
        fields=(
            "Id",
            "CaseNumber",
            "Subject",
            "Description",
            "Status",
            "Priority",
            "Type",
            "Origin",
            "ContactId",
            "AccountId",
            "OwnerId",
            "RecordTypeId",
            "ClosedDate",
            "CreatedDate",
            "CreatedById",
            "LastModifiedDate",
            "IsDeleted",
            "Cemigrate_Tags__c",
            "Tags__c",
            "Cemigrate_Queue_Id__c",
            "Cemigrate_Created_At__c",
            "Cemigrate_Updated_At__c",
            "Cemigrate_Solved_At__c",
            *CASE_LABEL_FIELDS.values(),
            ORIGIN_API_NAME,
            *_MOD,
        ),
        write=WritePath.UPSERT,
        custom_fields=True,
        note="Comments from CaseComment, EmailMessage and FeedItem; files via ContentVersion.",
    ),
    SalesforceObject(
        name="CaseComment",
        kind=Kind.TICKET,
        fields=(
            "Id",
            "ParentId",
            "CommentBody",
            "IsPublished",
            "CreatedById",
            "CreatedDate",
            "IsDeleted",
        ),
        write=WritePath.CREATE,
        note="No custom fields: matched on ParentId and a digest of the body on resume.",
    ),
    SalesforceObject(
        name="EmailMessage",
        kind=Kind.TICKET,
        fields=(
            "Id",
            "ParentId",
            "Incoming",
            "FromAddress",
            "HtmlBody",
            "TextBody",
            "MessageDate",
            "CreatedById",
            "CreatedDate",
            "Cemigrate_Id__c",
            "Cemigrate_Author__c",
            "ThreadIdentifier",
            "MessageIdentifier",
            "ReplyToEmailMessageId",
            "Headers",
        ),
        write=WritePath.UPSERT,
        note="Email-to-Case threading (ThreadIdentifier, MessageIdentifier,"
        " ReplyToEmailMessageId, Headers) is read into the comment's metadata.",
    ),
    SalesforceObject(
        name="FeedItem",
        kind=Kind.TICKET,
        fields=("Id", "ParentId", "Body", "Visibility", "Type", "CreatedById", "CreatedDate"),
        note="Chatter posts, read as comments (InternalUsers → private).",
    ),
    SalesforceObject(
        name="CaseMilestone",
        kind=Kind.SLA_EVENT,
        fields=(
            "Id",
            "CaseId",
            "StartDate",
            "TargetDate",
            "CompletionDate",
            "IsViolated",
            "TargetResponseInMins",
            "MilestoneType.Name",
            *_MOD,
        ),
        deleted_rows=False,
        note="Read only: CaseMilestone cannot be created. [facts 2.6]",
    ),
    # Custom objects are queried like standard ones, system fields (SystemModstamp, Id)
    # included (Object Reference: "Custom Object__c"). Read only by a target view.
    SalesforceObject(
        name="Cemigrate_Sla_Event__c",
        kind=Kind.SLA_EVENT,
        fields=(
            "Id",
            "Case__c",
            "Metric__c",
            "Kind__c",
            "Time__c",
            "Target_Minutes__c",
            "Business_Hours__c",
            "Policy__c",
            *_MOD,
        ),
        deleted_rows=False,
        write=WritePath.UPSERT,
        note="Created by prepare; where the target keeps SLA history (read back by a target view).",
    ),
    SalesforceObject(
        name="Cemigrate_Ticket_Metrics__c",
        kind=Kind.TICKET_METRICS,
        fields=(
            "Id",
            "Case__c",
            *(
                f"{name}_{unit}Minutes__c"
                for name in ("First_Reply", "Resolution", "Agent_Wait", "Requester_Wait")
                for unit in ("", "Business_")
            ),
            "Reopens__c",
            "Replies__c",
            *_MOD,
        ),
        deleted_rows=False,
        write=WritePath.UPSERT,
        note="Created by prepare; where the target keeps measured service levels (read back"
        " by a target view).",
    ),
    SalesforceObject(
        name="AssignmentRule",
        kind=Kind.RULE,
        fields=("Id", "Name", "Active", "SobjectType", "CreatedDate", "LastModifiedDate"),
        where="SobjectType = 'Case'",
        paging=Paging.WHOLE,
        deleted_rows=False,
        rule_kind=RuleKind.ASSIGNMENT,
    ),
    SalesforceObject(
        name="EscalationRule",
        kind=Kind.RULE,
        fields=("Id", "Name", "Active", "SobjectType", "CreatedDate", "LastModifiedDate"),
        where="SobjectType = 'Case'",
        paging=Paging.WHOLE,
        deleted_rows=False,
        rule_kind=RuleKind.ESCALATION,
    ),
    SalesforceObject(
        name="Flow",
        kind=Kind.RULE,
        fields=(
            "Id",
            "DefinitionId",
            "MasterLabel",
            "VersionNumber",
            "Status",
            "CreatedDate",
            "LastModifiedDate",
        ),
        where="ProcessType = 'AutoLaunchedFlow'",
        paging=Paging.WHOLE,
        deleted_rows=False,
        rule_kind=RuleKind.FLOW,
        tooling=True,
        note="Record-triggered flows on Case; each version's Metadata is one GET (Tooling"
        " refuses Metadata in a query of more than one row). Where the target writes rules.",
    ),
)
"""Every Salesforce object cemigrate reads or writes."""

BY_NAME: Final[Mapping[str, SalesforceObject]] = {row.name: row for row in OBJECTS}
"""The rows of :data:`OBJECTS` by sObject name."""

PERSON_ACCOUNTS: Final = SalesforceObject(
    name="Account",
    kind=Kind.USER,
    fields=(
        "Id",
        "PersonContactId",
        "FirstName",
        "LastName",
        "Name",
        "PersonEmail",
        "Phone",
        "PersonMobilePhone",
        "PersonOtherPhone",
        "PersonMailingStreet",
        "Description",
        "CreatedDate",
        "LastModifiedDate",
        "IsDeleted",
        *_MOD,
    ),
    where="IsPersonAccount = true",
    note="Person accounts (an org whose Account describe has IsPersonAccount): end users whose"
    " id is the person contact's (PersonContactId); the person contact's custom fields are the"
    " Account's __pc fields. Not in OBJECTS: the Account row there is the organizations'."
    " [Object Reference: Account, person account fields]",
)
"""Where end users are also read from in an org with person accounts (after ``Contact`` and
``User``); the ``Contact`` and ``Account`` rows then read only ``IsPersonAccount = false``."""

SOURCE_CAPABILITIES: Final = frozenset({Capability.INCREMENTAL_READ})
"""What a Salesforce source declares: reads resume after the last ``SystemModstamp``."""

TARGET_CAPABILITIES: Final = frozenset(
    {
        Capability.ORIGINAL_TIMESTAMPS,  # audit fields, else Cemigrate_*_At__c [facts 2.4]
        Capability.ORIGINAL_AUTHORS,
        Capability.BULK_WRITE,  # collections and Bulk API 2.0 [facts 2.3]
        Capability.FIND_BY_EXTERNAL_ID,
        Capability.DELETE,
        Capability.CREATE_FIELDS,  # Tooling API
        Capability.VALUE_MAPS,  # Status, Priority, Type and Origin through the mapping
        Capability.COMMENT_ROUTING,  # public comments as EmailMessage or CaseComment
    }
)
"""What a Salesforce target declares."""


@attrs.frozen(kw_only=True)
class SetupField:
    """A field ``prepare`` creates through the Tooling API (``CustomField``)."""

    sobject: str
    name: str
    """API name, ending in ``__c``."""
    label: str
    type: str
    """Metadata type: Text, LongTextArea, Checkbox, DateTime, Number, Lookup."""
    external_id: bool = False
    reference_to: str = ""
    length: int = 0
    """Characters a Text or Long Text Area holds (0: the type's usual size)."""


def _ext(sobject: str) -> SetupField:
    return SetupField(
        sobject=sobject, name=EXTERNAL_ID, label="Cemigrate Id", type="Text", external_id=True
    )


SETUP_OBJECTS: Final[Mapping[str, str]] = {
    "Cemigrate_Sla_Event__c": "Cemigrate SLA Event",
    "Cemigrate_Ticket_Metrics__c": "Cemigrate Ticket Metrics",
}
"""Custom objects ``prepare`` creates (``CustomObject``), by API name → label."""

_METRIC_FIELDS: Final = tuple(
    SetupField(sobject="Cemigrate_Ticket_Metrics__c", name=f"{name}__c", label=name, type="Number")
    for name in (
        "First_Reply_Minutes",
        "First_Reply_Business_Minutes",
        "Resolution_Minutes",
        "Resolution_Business_Minutes",
        "Agent_Wait_Minutes",
        "Agent_Wait_Business_Minutes",
        "Requester_Wait_Minutes",
        "Requester_Wait_Business_Minutes",
        "Reopens",
        "Replies",
    )
)

SETUP_FIELDS: Final[tuple[SetupField, ...]] = (
    _ext("Account"),
    SetupField(
        sobject="Account", name="Cemigrate_Domains__c", label="Domains", type="LongTextArea"
    ),
    SetupField(sobject="Account", name="Cemigrate_Tags__c", label="Tags", type="LongTextArea"),
    SetupField(sobject="Account", name="Cemigrate_Notes__c", label="Notes", type="LongTextArea"),
    SetupField(
        sobject="Account", name="Cemigrate_External_Id__c", label="Source external id", type="Text"
    ),
    _ext("Contact"),
    SetupField(
        sobject="Contact", name="Cemigrate_Suspended__c", label="Suspended", type="Checkbox"
    ),
    SetupField(
        sobject="Contact", name="Cemigrate_Identities__c", label="Identities", type="LongTextArea"
    ),
    SetupField(
        sobject="Contact", name="Cemigrate_External_Id__c", label="Source external id", type="Text"
    ),
    SetupField(
        sobject="Contact", name="Cemigrate_Details__c", label="Details", type="LongTextArea"
    ),
    SetupField(sobject="Contact", name="Cemigrate_Tags__c", label="Tags", type="LongTextArea"),
    _ext("User"),
    _ext("Case"),
    SetupField(sobject="Case", name="Cemigrate_Tags__c", label="Tags", type="LongTextArea"),
    SetupField(sobject="Case", name="Cemigrate_Queue_Id__c", label="Queue Id", type="Text"),
    SetupField(sobject="Case", name="Cemigrate_Created_At__c", label="Created", type="DateTime"),
    SetupField(sobject="Case", name="Cemigrate_Updated_At__c", label="Updated", type="DateTime"),
    SetupField(sobject="Case", name="Cemigrate_Solved_At__c", label="Solved", type="DateTime"),
    SetupField(sobject="Case", name="Cemigrate_Complete__c", label="Complete", type="Checkbox"),
    SetupField(sobject="Case", name=CASE_LABEL_FIELDS["brand"], label="Brand", type="Text"),
    SetupField(sobject="Case", name=CASE_LABEL_FIELDS["form"], label="Form", type="Text"),
    SetupField(
        sobject="Case", name=CASE_LABEL_FIELDS["custom_status"], label="Custom status", type="Text"
    ),
    SetupField(
        sobject="Case",
        name=ORIGIN_API_NAME,
        label="Cemigrate origin",
        type="LongTextArea",
        length=LONG_TEXT_LIMIT,
    ),
    _ext("EmailMessage"),
    SetupField(sobject="EmailMessage", name="Cemigrate_Author__c", label="Author", type="Text"),
    _ext("Cemigrate_Sla_Event__c"),
    SetupField(
        sobject="Cemigrate_Sla_Event__c",
        name="Case__c",
        label="Case",
        type="Lookup",
        reference_to="Case",
    ),
    SetupField(sobject="Cemigrate_Sla_Event__c", name="Metric__c", label="Metric", type="Text"),
    SetupField(sobject="Cemigrate_Sla_Event__c", name="Kind__c", label="Kind", type="Text"),
    SetupField(sobject="Cemigrate_Sla_Event__c", name="Time__c", label="Time", type="DateTime"),
    SetupField(
        sobject="Cemigrate_Sla_Event__c", name="Target_Minutes__c", label="Target", type="Number"
    ),
    SetupField(
        sobject="Cemigrate_Sla_Event__c",
        name="Business_Hours__c",
        label="Business hours",
        type="Checkbox",
    ),
    SetupField(sobject="Cemigrate_Sla_Event__c", name="Policy__c", label="Policy", type="Text"),
    _ext("Cemigrate_Ticket_Metrics__c"),
    SetupField(
        sobject="Cemigrate_Ticket_Metrics__c",
        name="Case__c",
        label="Case",
        type="Lookup",
        reference_to="Case",
    ),
    *_METRIC_FIELDS,
)
"""Every field ``prepare`` creates that the data model names (docs/salesforce.md)."""
