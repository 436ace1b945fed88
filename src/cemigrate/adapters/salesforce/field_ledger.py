"""The Salesforce field ledger: every field an org's describe answers for each object the
Salesforce source reads, and what a migration does with it.

The fields are each sObject's standard fields as a full-featured org's describe answers them
(the Object Reference page of each object lists them), plus the few the Object Reference lists
that such an org had not switched on (a Case's entitlement fields), plus cemigrate's own fields
(``prepare`` creates them; ``objects.SETUP_FIELDS``) and the org fields cemigrate reads like
its own (``Tags__c``...), plus one row for an object's custom fields (``*__c``; a person
account's contact fields are ``*__pc``), plus the properties of a describe's ``fields[]``
entries, which become field definitions: ``tests/adapters/salesforce/data/NOTICE.md`` says
where each list comes from. ``tests/adapters/salesforce/test_salesforce_field_ledger.py`` fails
when a documented field has no row, a row names a field that is not documented or a schema
attribute that does not exist, a recorded answer carries a field the list lacks, a field the
source selects has no row, and when the "Field ledger" section of ``docs/salesforce.md``
differs from :func:`~cemigrate.adapters.field_ledger.render` of :data:`SALESFORCE_LEDGER`.
Regenerate it with ``.venv/bin/python -m cemigrate.adapters.salesforce.field_ledger --write
docs/salesforce.md`` (``make field-ledger``).

A field's fate is about the Salesforce *source*: ``carried`` names the schema attribute it is
read into, ``kept`` the place it is kept verbatim (a comment's ``metadata``, cemigrate's label
fields read back as custom field values), ``mapped`` the mapping file's section it goes
through, ``derived`` what the org computes (a target computes its own), ``dropped`` why it is
left behind (``gap:`` when a migration could carry it and does not yet).
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

__all__ = ["CUSTOM_FIELDS", "PERSON_CUSTOM_FIELDS", "SALESFORCE_LEDGER", "SALESFORCE_NOT_HELD"]

_REF: Final = (
    "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/"
)

CUSTOM_FIELDS: Final = "*__c"
"""The row standing for an object's custom fields (any API name ending ``__c``)."""
PERSON_CUSTOM_FIELDS: Final = "*__pc"
"""The row standing for a person account's contact custom fields (``X__pc`` on Account)."""


def _page(name: str) -> str:
    return f"{_REF}sforce_api_objects_{name.lower()}.htm"


def _each(why: str, *fields: str) -> tuple[FieldRow, ...]:
    """The same reason for several dropped fields."""
    return tuple(dropped(field, why) for field in fields)


# Reasons that recur, stated once.
_CREATOR: Final = "who keyed the record in; the schema records no creator of it"
_EDITOR: Final = "who last changed the record in the source org; the target records its own"
_STAMP: Final = (
    "the source org's change stamp: the read cursor (rows are read in its order), not a value"
)
_VIEWED: Final = "the reading user's recent-items history"
_CURRENCY: Final = "multi-currency orgs only: the record's currency; the schema has none"
_DIVISION: Final = "orgs with divisions only: a partition of the source org's records"
_MERGED: Final = "set on a record merged away; merged-away records are not read"
_OWNER: Final = "the User who owns the record in the source org's sharing model"
_RECYCLE: Final = "deleted rows are read with their case (queryAll); the flag is not kept"
_GEO: Final = "geocodes of an address the schema keeps as one text"
_ENRICH: Final = "Data.com and D&B enrichment of the source org"
_PRIVACY: Final = "data-privacy records of the source org (Individual, privacy holds)"
_MARKETING: Final = "marketing and communication preferences of the source org"
_OURS: Final = "cemigrate's external id: a target upserts by it (the source's key of what it wrote)"
_ADDRESS: Final = "gap: the schema keeps one address text (the street); its parts are not read"
_PERSON_GAP: Final = "gap: a personal detail the schema's user has no attribute for"
_LABEL: Final = "read back as the ticket's custom field value"


def _stock(*fields: str) -> tuple[FieldRow, ...]:
    """The rows of fields every object has and no migration carries, by name."""
    stock = {
        "CreatedById": dropped("CreatedById", _CREATOR),
        "LastModifiedById": dropped("LastModifiedById", _EDITOR),
        "SystemModstamp": derived("SystemModstamp", _STAMP),
        "LastViewedDate": dropped("LastViewedDate", _VIEWED),
        "LastReferencedDate": dropped("LastReferencedDate", _VIEWED),
        "CurrencyIsoCode": dropped("CurrencyIsoCode", _CURRENCY),
        "Division": dropped("Division", _DIVISION),
        "MasterRecordId": dropped("MasterRecordId", _MERGED),
        "OwnerId": dropped("OwnerId", _OWNER),
        "IsDeleted": dropped("IsDeleted", _RECYCLE),
        "LastActivityDate": derived("LastActivityDate", "computed from the org's activities"),
    }
    return tuple(stock[field] for field in fields)


_CASE = LedgerObject(
    name="Case",
    title="Case",
    page=_page("Case"),
    rows=(
        carried("AccountId", "Ticket.organization", note="none when it is a person account"),
        dropped("AssetId", "gap: the asset a case is about; assets are not carried"),
        dropped("AssetWarrantyId", "Field Service: an asset's warranty; assets are not carried"),
        dropped(
            "BusinessHoursId",
            "the hours its milestones count; each SLA event says whether its target counted "
            "business hours",
        ),
        dropped("CaseNumber", "gap: the number agents quote is not kept (the id is the key)"),
        carried("ClosedDate", "Ticket.solved_at", note="for a solved or closed status"),
        dropped("Comments", "write-only: a create parameter that adds a CaseComment"),
        *(
            derived(field, "the contact's own field, shown on the case")
            for field in ("ContactEmail", "ContactFax", "ContactMobile", "ContactPhone")
        ),
        carried(
            "ContactId",
            "Ticket.requester",
            "Ticket.submitter",
            note="a Contact, or a person account's person contact (`PersonContactId`)",
        ),
        carried("CreatedById", "Ticket.submitter", note="when the case has no contact"),
        carried("CreatedDate", "Ticket.created_at"),
        *_stock("CurrencyIsoCode"),
        carried("Description", "Ticket.description"),
        *_stock("Division"),
        carried(
            "EntitlementId",
            "SlaEvent.policy",
            note="through the entitlement's `SlaProcessId`, read with the case's milestones",
        ),
        carried("Id", "Ticket.id", note="the source key; the target assigns its own id"),
        carried(
            "IsClosed",
            "Ticket.status",
            note="a status the mapping does not know reads closed or open by it",
        ),
        dropped("IsClosedOnCreate", "closed as it was created: its times are carried"),
        carried("IsDeleted", "Ticket.deleted", note="deleted cases are read with queryAll"),
        dropped("IsEscalated", "gap: the escalated flag is not read"),
        dropped("IsVisibleInSelfService", "the retired Self-Service portal's visibility"),
        dropped("IsStopped", "whether the milestones are paused now; their history is read"),
        dropped("Language", "gap: the case's language is not read"),
        *_stock("LastModifiedById"),
        carried("LastModifiedDate", "Ticket.updated_at"),
        *_stock("LastReferencedDate", "LastViewedDate", "MasterRecordId"),
        derived("MilestoneStatus", "computed from the case's milestones"),
        derived("MilestoneStatusIcon", "computed from the case's milestones"),
        mapped(
            "Origin",
            "mapping `[channel.map]`; also the channel of the case's first comment",
            "Ticket.channel",
            "Comment.channel",
        ),
        carried(
            "OwnerId",
            "Ticket.assignee",
            "Ticket.group",
            note="a User (`005`) is the assignee, a queue (`00G`) the group",
        ),
        dropped("ParentId", "gap: the parent case (a case hierarchy) is not read"),
        mapped("Priority", "mapping `[priority.map]`", "Ticket.priority"),
        dropped("ProductId", "gap: the product a case is about; products are not carried"),
        dropped("Reason", "gap: the case reason picklist is not read"),
        carried(
            "RecordTypeId",
            "Ticket.form",
            note="the record type, read as a ticket form (see RecordType); none for the master",
        ),
        dropped("ServiceContractId", "gap: service contracts are not carried"),
        dropped("SlaExitDate", "when the case left its entitlement process; milestones are read"),
        dropped("SlaStartDate", "when its entitlement process started; milestones are read"),
        dropped(
            "SourceId",
            "the e-mail or messaging session that opened the case; its e-mails are comments",
        ),
        mapped("Status", "mapping `[status.map]`", "Ticket.status"),
        dropped("StopStartDate", "when the milestones were paused; their history is read"),
        carried("Subject", "Ticket.subject"),
        *_each(
            "gap: a web or e-mail sender's details as typed in; the contact is the requester",
            "SuppliedCompany",
            "SuppliedEmail",
            "SuppliedName",
            "SuppliedPhone",
        ),
        carried("SystemModstamp", "Ticket.updated_at", note="when `LastModifiedDate` is missing"),
        mapped("Type", "mapping `[type.map]`", "Ticket.type"),
        # cemigrate's own fields, and the org fields read like them
        carried("Cemigrate_Tags__c", "Ticket.tags", note="space-separated (cemigrate's own)"),
        carried("Tags__c", "Ticket.tags", note="an org's own field of that name"),
        carried("Cemigrate_Queue_Id__c", "Ticket.group", note="when an agent owns the case"),
        carried("Cemigrate_Created_At__c", "Ticket.created_at", note="wins over `CreatedDate`"),
        carried(
            "Cemigrate_Updated_At__c", "Ticket.updated_at", note="wins over `LastModifiedDate`"
        ),
        carried("Cemigrate_Solved_At__c", "Ticket.solved_at", note="wins over `ClosedDate`"),
        derived("Cemigrate_Complete__c", "a target's mark that the whole ticket was written"),
        derived("Cemigrate_Id__c", _OURS),
        kept("Cemigrate_Brand__c", f"{_LABEL} `cemigrate_brand`", "Ticket.custom_fields"),
        kept("Cemigrate_Form__c", f"{_LABEL} `cemigrate_form`", "Ticket.custom_fields"),
        kept(
            "Cemigrate_Custom_Status__c",
            f"{_LABEL} `cemigrate_custom_status`",
            "Ticket.custom_fields",
        ),
        kept("Cemigrate_Origin__c", f"{_LABEL} `{ORIGIN_FIELD}`", "Ticket.custom_fields"),
        mapped(
            CUSTOM_FIELDS,
            "mapping `[fields.ticket.<key>]`; see Describe field (lookups carry source ids, "
            "formulas are read-only)",
            "Ticket.custom_fields",
            "FieldDef.key",
        ),
    ),
)

_CASE_COMMENT = LedgerObject(
    name="CaseComment",
    title="CaseComment",
    page=_page("CaseComment"),
    rows=(
        carried(
            "CommentBody",
            "Comment.body_plain",
            "Comment.author",
            "Comment.created_at",
            note="plain text; cemigrate's `[Originally by ...]` first line gives the author "
            "and time, numbered parts are joined",
        ),
        dropped("CommentBodyRichtext", "gap: the formatted body is not read; the text is"),
        carried("CreatedById", "Comment.author", note="unless the first line names one"),
        carried("CreatedDate", "Comment.created_at", note="unless the first line names one"),
        *(
            derived(field, "Chatter Answers' view of the author; `CreatedById` is read")
            for field in ("CreatorFullPhotoUrl", "CreatorName", "CreatorSmallPhotoUrl")
        ),
        *_stock("Division"),
        carried("Id", "Comment.id"),
        *_stock("IsDeleted"),
        dropped("IsNotificationSelected", "whether the contact was e-mailed; nothing is resent"),
        carried("IsPublished", "Comment.public"),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "edits of the comment: the body is carried as last edited"),
        carried("ParentId", "Ticket.comments", note="the case whose comments it joins"),
        *_stock("SystemModstamp"),
    ),
)

_THREAD: Final = "key"

_EMAIL_MESSAGE = LedgerObject(
    name="EmailMessage",
    title="EmailMessage",
    page=_page("EmailMessage"),
    rows=(
        dropped("ActivityId", "the Task logged for the e-mail; the e-mail is the comment"),
        dropped("AttachmentIds", "files to attach on sending; files are read through links"),
        dropped("AutomationType", "gap: the automation that sent it is not read"),
        dropped("BccAddress", "gap: the recipients are not read"),
        dropped("BccIds", "gap: the recipients are not read (as records)"),
        dropped("CcAddress", "gap: the recipients are not read"),
        dropped("CcIds", "gap: the recipients are not read (as records)"),
        dropped("ClientThreadIdentifier", "an e-mail client's thread id (Einstein Activity)"),
        carried(
            "CreatedById",
            "Comment.author",
            note="of an outgoing message without `Cemigrate_Author__c`",
        ),
        carried("CreatedDate", "Comment.created_at", note="when `MessageDate` is missing"),
        *_stock("Division"),
        dropped("EmailTemplateId", "the template it was written from; the body is carried"),
        dropped("FirstOpenedDate", "read receipts of the source org's outgoing mail"),
        dropped("FromAddress", "gap: the author is carried, not the address it wrote from"),
        dropped("FromId", "the User who sent it; the author is carried"),
        dropped("FromName", "gap: the author is carried, not the name it wrote under"),
        dropped("HasAttachment", "its files are read through their links"),
        kept("Headers", f"{_THREAD} `headers`", "Comment.metadata"),
        carried("HtmlBody", "Comment.body_html", "Comment.body_plain", note="text if none"),
        carried("Id", "Comment.id"),
        carried(
            "Incoming",
            "Comment.author",
            note="incoming: written by the case's contact; outgoing: by its creator",
        ),
        dropped("IsBounced", "the source org's mail delivery state"),
        dropped("IsClientManaged", "whether an e-mail client manages it (Einstein Activity)"),
        *_stock("IsDeleted"),
        dropped("IsExternallyVisible", "community visibility; an e-mail is a public comment"),
        dropped("IsOpened", "read receipts of the source org's outgoing mail"),
        dropped("IsPrivateDraft", "whether a draft is its author's alone"),
        dropped("IsTracked", "read receipts of the source org's outgoing mail"),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "edits of the message: the body is carried as last edited"),
        dropped("LastOpenedDate", "read receipts of the source org's outgoing mail"),
        carried("MessageDate", "Comment.created_at"),
        kept("MessageIdentifier", f"{_THREAD} `message_identifier`", "Comment.metadata"),
        dropped("Name", "the subject again (an e-mail's record name)"),
        carried("ParentId", "Ticket.comments", note="the case whose comments it joins"),
        dropped("RelatedToId", "a record other than a case it relates to; the case is read"),
        kept("ReplyToEmailMessageId", f"{_THREAD} `reply_to_email_message_id`", "Comment.metadata"),
        dropped("Source", "how the message was captured; its channel is e-mail"),
        dropped("Status", "read, sent, replied...: the source org's handling of the mail"),
        dropped("Subject", "gap: a message's own subject is not read (the case's is)"),
        *_stock("SystemModstamp"),
        carried("TextBody", "Comment.body_plain", note="numbered parts are joined"),
        kept("ThreadIdentifier", f"{_THREAD} `thread_identifier`", "Comment.metadata"),
        dropped("ToAddress", "gap: the recipients are not read"),
        dropped("ToIds", "gap: the recipients are not read (as records)"),
        dropped("ValidatedFromAddress", "the org-wide address picked to send from"),
        derived("Cemigrate_Id__c", _OURS),
        carried("Cemigrate_Author__c", "Comment.author", note="wins when set"),
    ),
)

_FEED_STATE: Final = "the Chatter post's social state in the source org (likes, comments, links)"

_FEED_ITEM = LedgerObject(
    name="FeedItem",
    title="FeedItem",
    page=_page("FeedItem"),
    rows=(
        dropped("BestCommentId", _FEED_STATE),
        carried("Body", "Comment.body_html", "Comment.body_plain"),
        dropped("CommentCount", _FEED_STATE),
        carried("CreatedById", "Comment.author"),
        carried("CreatedDate", "Comment.created_at"),
        *_each(
            _FEED_STATE,
            "HasContent",
            "HasFeedEntity",
            "HasLink",
            "HasVerifiedComment",
        ),
        carried("Id", "Comment.id"),
        dropped("InsertedById", "who inserted a post on someone's behalf; the author is read"),
        dropped("IsClosed", "a question post's state; text posts are read"),
        *_stock("IsDeleted"),
        dropped("IsRichText", "whether the body is HTML; it is read as HTML"),
        dropped("LastEditById", "edits of the post: the body is carried as last edited"),
        dropped("LastEditDate", "edits of the post: the body is carried as last edited"),
        dropped("LastModifiedDate", "edits of the post: the body is carried as last edited"),
        dropped("LikeCount", _FEED_STATE),
        dropped("LinkUrl", "gap: a link post's URL; link posts are not read"),
        dropped("NetworkScope", "the community the post belongs to"),
        carried("ParentId", "Ticket.comments", note="the case whose comments it joins"),
        dropped("RelatedRecordId", "gap: a content post's file; only text posts are read"),
        dropped("Revision", "edits of the post: the body is carried as last edited"),
        dropped("Status", "published or pending review; read as it stands"),
        *_stock("SystemModstamp"),
        dropped("Title", "a link or content post's title; only text posts are read"),
        carried("Type", "Ticket.comments", note="only `TextPost` is read as a comment"),
        carried("Visibility", "Comment.public", note="`AllUsers` public, `InternalUsers` private"),
    ),
)

_VERSIONS: Final = "the file's version history: only the latest version is read"
_LIBRARY: Final = "Salesforce Files library metadata of the source org"

_CONTENT_VERSION = LedgerObject(
    name="ContentVersion",
    title="ContentVersion",
    page=_page("ContentVersion"),
    rows=(
        dropped("Checksum", "an MD5 of the bytes; cemigrate checks SHA-256 as it streams them"),
        dropped("ContentBodyId", "where the org stores the bytes; `VersionData` streams them"),
        carried(
            "ContentDocumentId",
            "Comment.attachments",
            note="joins the version to its links (see ContentDocumentLink)",
        ),
        dropped("ContentLocation", "files kept in Salesforce are read (`S`)"),
        dropped("ContentModifiedById", _VERSIONS),
        dropped("ContentModifiedDate", _VERSIONS),
        carried("ContentSize", "Attachment.size"),
        dropped("ContentSizeLong", "the size again, for files over 2 GB; `ContentSize` is read"),
        dropped("ContentUrl", "a link saved as content; such a version has no bytes to carry"),
        *_stock("CreatedById"),
        carried(
            "CreatedDate",
            "Comment.attachments",
            note="a file linked to the case joins the comment written at this time",
        ),
        *_stock("CurrencyIsoCode"),
        dropped("Description", "gap: a file's description is not read"),
        *_stock("Division"),
        *_each(
            "a file held in an external system; its bytes are not in the org",
            "ExternalDataSourceId",
            "ExternalDocumentInfo1",
            "ExternalDocumentInfo2",
        ),
        dropped("FeaturedContentBoost", _LIBRARY),
        dropped("FeaturedContentDate", _LIBRARY),
        carried("FileExtension", "Attachment.file_name", note="added when the name lacks it"),
        dropped("FileType", "Salesforce's file type name; the content type follows the name"),
        dropped(
            "FirstPublishLocationId",
            "where the file was first shared; its links say which case or e-mail holds it",
        ),
        carried("Id", "Attachment.id", "Attachment.location"),
        dropped("IsAssetEnabled", _LIBRARY),
        *_stock("IsDeleted"),
        dropped("IsLatest", "a filter: only the latest version of a file is read"),
        dropped("IsMajorVersion", _VERSIONS),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", _VERSIONS),
        dropped("MalwareScanDate", "the source org's malware scan of the file"),
        dropped("MalwareScanStatus", "the source org's malware scan of the file"),
        dropped("NegativeRatingCount", _LIBRARY),
        dropped("NetworkId", "the community the file was uploaded in"),
        dropped("Origin", "a Salesforce CRM Content or a Chatter file: both are files"),
        *_stock("OwnerId"),
        carried(
            "PathOnClient",
            "Attachment.file_name",
            "Attachment.content_type",
            note="the content type is guessed from the name",
        ),
        dropped("PositiveRatingCount", _LIBRARY),
        dropped("PublishStatus", _LIBRARY),
        dropped("RatingCount", _LIBRARY),
        dropped("ReasonForChange", _VERSIONS),
        dropped("SharingOption", "whether others may re-share the file in the source org"),
        dropped("SharingPrivacy", "the file's privacy in the source org; it follows its comment"),
        *_stock("SystemModstamp"),
        dropped("TagCsv", _LIBRARY),
        dropped("TextPreview", "a preview of a text file; the bytes are carried"),
        carried("Title", "Attachment.file_name", note="when `PathOnClient` is empty"),
        carried("VersionData", "Attachment.location", note="the bytes, streamed"),
        dropped("VersionDataUrl", "a browser URL of the bytes; the REST `VersionData` is read"),
        dropped("VersionNumber", _VERSIONS),
    ),
)

_CONTENT_DOCUMENT_LINK = LedgerObject(
    name="ContentDocumentLink",
    title="ContentDocumentLink",
    page=_page("ContentDocumentLink"),
    rows=(
        carried("ContentDocumentId", "Comment.attachments", note="the file linked"),
        dropped("Id", "a link's own id; the file's version id is the attachment's"),
        *_stock("IsDeleted"),
        carried(
            "LinkedEntityId",
            "Comment.attachments",
            note="the case or e-mail it is linked to; an e-mail's file belongs to that comment",
        ),
        dropped("ShareType", "the record's users' rights on the file; it follows its comment"),
        *_stock("SystemModstamp"),
        dropped("Visibility", "gap: internal or all users; a file follows its comment's"),
    ),
)

_CONTACT = LedgerObject(
    name="Contact",
    title="Contact",
    page=_page("Contact"),
    rows=(
        carried(
            "AccountId",
            "User.organization",
            "OrganizationMembership.organization",
            note="the default membership (see AccountContactRelation)",
        ),
        dropped("AssistantName", _PERSON_GAP),
        dropped("AssistantPhone", "gap: phones beyond Phone, MobilePhone, OtherPhone"),
        dropped("Birthdate", _PERSON_GAP),
        dropped("CleanStatus", _ENRICH),
        dropped("ContactSource", _MARKETING),
        *_stock("CreatedById"),
        carried("CreatedDate", "User.created_at"),
        *_stock("CurrencyIsoCode"),
        dropped("Department", _PERSON_GAP),
        carried("Description", "User.notes"),
        *_stock("Division"),
        dropped("DoNotCall", _MARKETING),
        carried("Email", "User.email", "User.identities", note="the primary e-mail"),
        dropped("EmailBouncedDate", "the source org's mail delivery state"),
        dropped("EmailBouncedReason", "the source org's mail delivery state"),
        dropped("Fax", "gap: phones beyond Phone, MobilePhone, OtherPhone"),
        carried("FirstName", "User.name"),
        dropped("GenderIdentity", _PERSON_GAP),
        dropped("HasOptedOutOfEmail", _MARKETING),
        dropped("HasOptedOutOfFax", _MARKETING),
        dropped("HasPrivacyHold", _PRIVACY),
        dropped("HomePhone", "gap: phones beyond Phone, MobilePhone, OtherPhone"),
        carried("Id", "User.id"),
        dropped("IndividualId", _PRIVACY),
        carried("IsDeleted", "User.deleted", note="deleted contacts are read with queryAll"),
        dropped("IsEmailBounced", "the source org's mail delivery state"),
        dropped(
            "IsPersonAccount",
            "a filter: a person account's contact is read once, from its Account (and its "
            "relations are no memberships)",
        ),
        dropped("IsPriorityRecord", "the source org's own ranking"),
        dropped("Jigsaw", _ENRICH),
        dropped("JigsawContactId", _ENRICH),
        *_stock("LastActivityDate"),
        dropped("LastCURequestDate", "stay-in-touch requests of the source org"),
        dropped("LastCUUpdateDate", "stay-in-touch requests of the source org"),
        *_stock("LastModifiedById"),
        carried("LastModifiedDate", "User.updated_at"),
        carried("LastName", "User.name"),
        *_stock("LastReferencedDate", "LastViewedDate"),
        dropped("LeadSource", _MARKETING),
        dropped("MailingAddress", "the compound address; its street is read"),
        *_each(
            _ADDRESS,
            "MailingCity",
            "MailingCountry",
            "MailingCountryCode",
            "MailingPostalCode",
            "MailingState",
            "MailingStateCode",
        ),
        *_each(_GEO, "MailingGeocodeAccuracy", "MailingLatitude", "MailingLongitude"),
        carried("MailingStreet", "User.address", note="the whole address as one text"),
        *_stock("MasterRecordId"),
        carried("MobilePhone", "User.identities", "User.phone", note="when `Phone` is empty"),
        carried("Name", "User.name", note="when first and last name are empty"),
        dropped("OtherAddress", "gap: a second address; the schema holds one"),
        *_each(
            "gap: a second address; the schema holds one",
            "OtherCity",
            "OtherCountry",
            "OtherCountryCode",
            "OtherPostalCode",
            "OtherState",
            "OtherStateCode",
            "OtherStreet",
        ),
        *_each(_GEO, "OtherGeocodeAccuracy", "OtherLatitude", "OtherLongitude"),
        carried("OtherPhone", "User.identities", note="a phone identity"),
        *_stock("OwnerId"),
        carried("Phone", "User.phone", "User.identities"),
        dropped("PhotoUrl", "gap: profile pictures are not carried"),
        dropped("Pronouns", _PERSON_GAP),
        dropped("RecordTypeId", "the contact's record type; people carry no form"),
        dropped("ReportsToId", "the contact's manager; the schema has no such link"),
        dropped("Salutation", _PERSON_GAP),
        carried("SystemModstamp", "User.updated_at", note="the read cursor"),
        dropped("Title", "gap: the schema has no job title"),
        # cemigrate's own fields, and the org fields read like them
        carried("Cemigrate_Details__c", "User.details"),
        carried("Cemigrate_External_Id__c", "User.external_id"),
        derived("Cemigrate_Id__c", _OURS),
        carried("Cemigrate_Identities__c", "User.identities", note="those the phones cannot hold"),
        carried("Cemigrate_Suspended__c", "User.suspended"),
        carried("Suspended__c", "User.suspended", note="an org's own field of that name"),
        carried("Cemigrate_Tags__c", "User.tags"),
        carried("Tags__c", "User.tags", note="an org's own field of that name"),
        mapped(
            CUSTOM_FIELDS,
            "mapping `[fields.user.<key>]`; see Describe field",
            "User.custom_fields",
            "FieldDef.key",
        ),
    ),
)

_BUSINESS: Final = "gap: a business account's attribute the schema's organization lacks"
_PERSON: Final = "a person account's"

_ACCOUNT = LedgerObject(
    name="Account",
    title="Account (business and person accounts)",
    page=_page("Account"),
    rows=(
        *_each(
            _BUSINESS,
            "AccountNumber",
            "AnnualRevenue",
            "Fax",
            "Industry",
            "NumberOfEmployees",
            "Ownership",
            "Rating",
            "Sic",
            "SicDesc",
            "Site",
            "TickerSymbol",
            "Type",
            "YearStarted",
        ),
        dropped("AccountSource", _MARKETING),
        dropped("BillingAddress", "the compound address; the schema's organization has none"),
        *_each(
            "gap: the schema's organization has no address",
            "BillingCity",
            "BillingCountry",
            "BillingCountryCode",
            "BillingPostalCode",
            "BillingState",
            "BillingStateCode",
            "BillingStreet",
        ),
        *_each(_GEO, "BillingGeocodeAccuracy", "BillingLatitude", "BillingLongitude"),
        *_each(
            "partner relationship management of the source org",
            "ChannelProgramLevelName",
            "ChannelProgramName",
            "IsPartner",
            "IsCustomerPortal",
        ),
        dropped("CleanStatus", _ENRICH),
        *_stock("CreatedById"),
        carried("CreatedDate", "Organization.created_at", "User.created_at"),
        *_stock("CurrencyIsoCode"),
        *_each(_ENRICH, "DandbCompanyId", "DunsNumber", "Jigsaw", "JigsawCompanyId"),
        *_each(_ENRICH, "NaicsCode", "NaicsDesc", "Tradestyle"),
        carried(
            "Description",
            "Organization.details",
            "User.notes",
            note="a person account's is its person's notes",
        ),
        *_stock("Division"),
        *_each(
            "an account's active period (orgs with that feature); read as it stands today",
            "EffectiveDate",
            "EndDate",
            "IsActive",
        ),
        carried("FirstName", "User.name", note=f"{_PERSON}"),
        dropped("HasPrivacyHold", _PRIVACY),
        carried("Id", "Organization.id", note="a person account's user id is `PersonContactId`"),
        dropped("IsExcludedFromRealign", "territory management of the source org"),
        carried(
            "IsDeleted",
            "User.deleted",
            note="a deleted person account; the schema's organization has no deleted flag",
        ),
        carried(
            "IsPersonAccount",
            "User.role",
            note="true: an end user (the person fields below), never an organization or a "
            "Contact; the org has person accounts when describe lists this field",
        ),
        dropped("IsPriorityRecord", "the source org's own ranking"),
        *_stock("LastActivityDate", "LastModifiedById"),
        carried("LastModifiedDate", "Organization.updated_at", "User.updated_at"),
        carried("LastName", "User.name", note=f"{_PERSON}"),
        *_stock("LastReferencedDate", "LastViewedDate", "MasterRecordId"),
        carried("Name", "Organization.name", "User.name"),
        dropped("OperatingHoursId", "Field Service operating hours"),
        *_stock("OwnerId"),
        dropped("ParentId", "gap: the parent account (a hierarchy) is not read"),
        dropped("PersonAssistantName", _PERSON_GAP),
        dropped("PersonAssistantPhone", "gap: phones beyond Phone, mobile and other"),
        dropped("PersonBirthdate", _PERSON_GAP),
        carried(
            "PersonContactId",
            "User.id",
            note="the person contact's id, which cases name in `ContactId`",
        ),
        dropped("PersonDeceasedDate", _PERSON_GAP),
        dropped("PersonDepartment", _PERSON_GAP),
        carried("PersonEmail", "User.email", "User.identities", note="the primary e-mail"),
        dropped("PersonEmailBouncedDate", "the source org's mail delivery state"),
        dropped("PersonEmailBouncedReason", "the source org's mail delivery state"),
        dropped("PersonGender", _PERSON_GAP),
        dropped("PersonGenderIdentity", _PERSON_GAP),
        dropped("PersonHomePhone", "gap: phones beyond Phone, mobile and other"),
        dropped("PersonIndividualId", _PRIVACY),
        dropped("PersonLastCURequestDate", "stay-in-touch requests of the source org"),
        dropped("PersonLastCUUpdateDate", "stay-in-touch requests of the source org"),
        dropped("PersonLeadSource", _MARKETING),
        dropped("PersonMailingAddress", "the compound address; its street is read"),
        *_each(
            _ADDRESS,
            "PersonMailingCity",
            "PersonMailingCountry",
            "PersonMailingCountryCode",
            "PersonMailingPostalCode",
            "PersonMailingState",
            "PersonMailingStateCode",
        ),
        *_each(
            _GEO, "PersonMailingGeocodeAccuracy", "PersonMailingLatitude", "PersonMailingLongitude"
        ),
        carried("PersonMailingStreet", "User.address", note="the whole address as one text"),
        dropped("PersonMaritalStatus", _PERSON_GAP),
        carried("PersonMobilePhone", "User.identities", "User.phone", note="when `Phone` is empty"),
        dropped("PersonOtherAddress", "gap: a second address; the schema holds one"),
        *_each(
            "gap: a second address; the schema holds one",
            "PersonOtherCity",
            "PersonOtherCountry",
            "PersonOtherCountryCode",
            "PersonOtherPostalCode",
            "PersonOtherState",
            "PersonOtherStateCode",
            "PersonOtherStreet",
        ),
        *_each(_GEO, "PersonOtherGeocodeAccuracy", "PersonOtherLatitude", "PersonOtherLongitude"),
        carried("PersonOtherPhone", "User.identities", note="a phone identity"),
        dropped("PersonPronouns", _PERSON_GAP),
        dropped("PersonSequenceInMultipleBirth", _PERSON_GAP),
        dropped("PersonTitle", "gap: the schema has no job title"),
        carried(
            "Phone",
            "User.phone",
            "User.identities",
            note="a person account's; a business account's phone is not read (gap)",
        ),
        dropped("PhotoUrl", "gap: pictures are not carried"),
        dropped(
            "RecordTypeId",
            "the person-account record type marks a person (see `IsPersonAccount`); business "
            "record types are not carried",
        ),
        dropped("Salutation", _PERSON_GAP),
        dropped("ShippingAddress", "the compound address; the schema's organization has none"),
        *_each(
            "gap: the schema's organization has no address",
            "ShippingCity",
            "ShippingCountry",
            "ShippingCountryCode",
            "ShippingPostalCode",
            "ShippingState",
            "ShippingStateCode",
            "ShippingStreet",
        ),
        *_each(_GEO, "ShippingGeocodeAccuracy", "ShippingLatitude", "ShippingLongitude"),
        dropped("SourceSystemIdentifier", "gap: an id in the system the account came from"),
        dropped("SourceSystemModifiedDate", "when the system the account came from changed it"),
        carried("SystemModstamp", "Organization.updated_at", note="the read cursor"),
        carried(
            "Website",
            "Organization.domains",
            note="its host is the first domain (`https://` and `/` stripped)",
        ),
        # cemigrate's own fields, and the org fields read like them
        carried("Cemigrate_Domains__c", "Organization.domains", note="after the website's"),
        carried("Domains__c", "Organization.domains", note="an org's own field of that name"),
        carried("Cemigrate_External_Id__c", "Organization.external_id"),
        derived("Cemigrate_Id__c", _OURS),
        carried("Cemigrate_Notes__c", "Organization.notes"),
        carried("Cemigrate_Tags__c", "Organization.tags"),
        carried("Tags__c", "Organization.tags", note="an org's own field of that name"),
        mapped(
            CUSTOM_FIELDS,
            "mapping `[fields.organization.<key>]`; see Describe field",
            "Organization.custom_fields",
            "FieldDef.key",
        ),
        mapped(
            PERSON_CUSTOM_FIELDS,
            "mapping `[fields.user.<key>]`: a person account's contact fields, read as the "
            "Contact's (`X__pc` is the Contact's `X__c`)",
            "User.custom_fields",
        ),
    ),
)

_USER_PREFERENCES: Final = (
    "UserPreferencesActionLauncherEinsteinGptConsent",
    "UserPreferencesActivityRemindersPopup",
    "UserPreferencesApexPagesDeveloperMode",
    "UserPreferencesAssistiveActionsEnabledInActionLauncher",
    "UserPreferencesBRELookupTableWelcomeMat",
    "UserPreferencesCacheDiagnostics",
    "UserPreferencesContentEmailAsAndWhen",
    "UserPreferencesContentNoEmail",
    "UserPreferencesCreateLEXAppsWTShown",
    "UserPreferencesDisCommentAfterLikeEmail",
    "UserPreferencesDisMentionsCommentEmail",
    "UserPreferencesDisProfPostCommentEmail",
    "UserPreferencesDisableAllFeedsEmail",
    "UserPreferencesDisableBookmarkEmail",
    "UserPreferencesDisableChangeCommentEmail",
    "UserPreferencesDisableEndorsementEmail",
    "UserPreferencesDisableFeedbackEmail",
    "UserPreferencesDisableFileShareNotificationsForApi",
    "UserPreferencesDisableFollowersEmail",
    "UserPreferencesDisableLaterCommentEmail",
    "UserPreferencesDisableLikeEmail",
    "UserPreferencesDisableMentionsPostEmail",
    "UserPreferencesDisableMessageEmail",
    "UserPreferencesDisableProfilePostEmail",
    "UserPreferencesDisableSharePostEmail",
    "UserPreferencesDisableWorkEmail",
    "UserPreferencesDismissPersonalSpaceLegalMessage",
    "UserPreferencesDismissRecordChannelsSuggestedObjects",
    "UserPreferencesDismissReuseUpdateReminderModal",
    "UserPreferencesEnableAutoSubForFeeds",
    "UserPreferencesEnableLwrLexPilot",
    "UserPreferencesEventRemindersCheckboxDefault",
    "UserPreferencesExcludeMailAppAttachments",
    "UserPreferencesFavoritesShowTopFavorites",
    "UserPreferencesFavoritesWTShown",
    "UserPreferencesGlobalNavBarWTShown",
    "UserPreferencesGlobalNavGridMenuWTShown",
    "UserPreferencesHasCelebrationBadge",
    "UserPreferencesHasSentWarningEmail",
    "UserPreferencesHasSentWarningEmail238",
    "UserPreferencesHasSentWarningEmail240",
    "UserPreferencesHideBiggerPhotoCallout",
    "UserPreferencesHideCSNDesktopTask",
    "UserPreferencesHideCSNGetChatterMobileTask",
    "UserPreferencesHideChatterOnboardingSplash",
    "UserPreferencesHideEndUserOnboardingAssistantModal",
    "UserPreferencesHideLegacyRetirementModal",
    "UserPreferencesHideLightningMigrationModal",
    "UserPreferencesHideManagedEcaMobilePubModal",
    "UserPreferencesHideS1BrowserUI",
    "UserPreferencesHideSecondChatterOnboardingSplash",
    "UserPreferencesHideSfxWelcomeMat",
    "UserPreferencesJigsawListUser",
    "UserPreferencesLightningExperiencePreferred",
    "UserPreferencesLiveAgentMiawSetupDeflection",
    "UserPreferencesNativeEmailClient",
    "UserPreferencesNewLightningReportRunPageEnabled",
    "UserPreferencesPathAssistantCollapsed",
    "UserPreferencesPreviewCustomTheme",
    "UserPreferencesPreviewLightning",
    "UserPreferencesReceiveNoNotificationsAsApprover",
    "UserPreferencesReceiveNotificationsAsDelegatedApprover",
    "UserPreferencesRecordHomeReservedWTShown",
    "UserPreferencesRecordHomeSectionCollapseWTShown",
    "UserPreferencesReminderSoundOff",
    "UserPreferencesReverseOpenActivitiesView",
    "UserPreferencesSRHOverrideActivities",
    "UserPreferencesSendListEmailThroughExternalService",
    "UserPreferencesShowCityToExternalUsers",
    "UserPreferencesShowCityToGuestUsers",
    "UserPreferencesShowCountryToExternalUsers",
    "UserPreferencesShowCountryToGuestUsers",
    "UserPreferencesShowEmailToExternalUsers",
    "UserPreferencesShowEmailToGuestUsers",
    "UserPreferencesShowFaxToExternalUsers",
    "UserPreferencesShowFaxToGuestUsers",
    "UserPreferencesShowForecastingChangeSignals",
    "UserPreferencesShowForecastingRoundedAmounts",
    "UserPreferencesShowManagerToExternalUsers",
    "UserPreferencesShowManagerToGuestUsers",
    "UserPreferencesShowMobilePhoneToExternalUsers",
    "UserPreferencesShowMobilePhoneToGuestUsers",
    "UserPreferencesShowPostalCodeToExternalUsers",
    "UserPreferencesShowPostalCodeToGuestUsers",
    "UserPreferencesShowProfilePicToGuestUsers",
    "UserPreferencesShowStateToExternalUsers",
    "UserPreferencesShowStateToGuestUsers",
    "UserPreferencesShowStreetAddressToExternalUsers",
    "UserPreferencesShowStreetAddressToGuestUsers",
    "UserPreferencesShowTerritoryTimeZoneShifts",
    "UserPreferencesShowTitleToExternalUsers",
    "UserPreferencesShowTitleToGuestUsers",
    "UserPreferencesShowWorkPhoneToExternalUsers",
    "UserPreferencesShowWorkPhoneToGuestUsers",
    "UserPreferencesSortFeedByComment",
    "UserPreferencesSuppressEventSFXReminders",
    "UserPreferencesSuppressTaskSFXReminders",
    "UserPreferencesTaskRemindersCheckboxDefault",
    "UserPreferencesUserDebugModePref",
    "EmailPreferencesAutoBcc",
    "EmailPreferencesAutoBccStayInTouch",
    "EmailPreferencesStayInTouchReminder",
    "DigestFrequency",
    "DefaultGroupNotificationFrequency",
    "ReceivesAdminInfoEmails",
    "ReceivesInfoEmails",
    "ForecastEnabled",
    "JigsawImportLimitOverride",
    "StartDay",
    "EndDay",
    "EmailEncodingKey",
    "IsExtIndicatorVisible",
)
"""A User's own settings in the source org (notifications, UI, e-mail, working days)."""

_USER_PERMISSIONS: Final = (
    "UserPermissionsCallCenterAutoLogin",
    "UserPermissionsInteractionUser",
    "UserPermissionsJigsawProspectingUser",
    "UserPermissionsKnowledgeUser",
    "UserPermissionsMarketingUser",
    "UserPermissionsOfflineUser",
    "UserPermissionsSFContentUser",
    "UserPermissionsSiteforceContributorUser",
    "UserPermissionsSiteforcePublisherUser",
    "UserPermissionsSupportUser",
    "UserPermissionsWorkDotComUserFeature",
)
"""Feature licences given to a User of the source org."""

_MATCHED: Final = (
    "an agent is the target org's own User, matched by e-mail; cemigrate does not change its "
    "settings"
)
_LOGIN: Final = "sign-in and security state of the source org's User"
_PORTAL_USER: Final = "portal and community users are not read as agents"

_USER = LedgerObject(
    name="User",
    title="User (agents)",
    page=_page("User"),
    rows=(
        dropped("AboutMe", _MATCHED),
        dropped("AccountId", _PORTAL_USER),
        dropped("Address", "the compound address; agents' addresses are not read"),
        dropped("Alias", "gap: the agent's alias is not read"),
        *_each(
            "profile pictures and banners of the source org",
            "BadgeText",
            "BannerPhotoUrl",
            "FullPhotoUrl",
            "IsProfilePhotoActive",
            "MediumBannerPhotoUrl",
            "MediumPhotoUrl",
            "SmallBannerPhotoUrl",
            "SmallPhotoUrl",
        ),
        dropped("CallCenterId", "the softphone call center of the source org"),
        *_each(
            "gap: agents' addresses are not read",
            "City",
            "Country",
            "CountryCode",
            "PostalCode",
            "State",
            "StateCode",
            "Street",
        ),
        *_each(_GEO, "GeocodeAccuracy", "Latitude", "Longitude"),
        dropped("CommunityNickname", "the agent's name in communities; `Name` is read"),
        dropped("CompanyName", "the org's company name on the User"),
        dropped("ContactId", _PORTAL_USER),
        *_stock("CreatedById"),
        carried("CreatedDate", "User.created_at"),
        *_stock("CurrencyIsoCode"),
        dropped("DefaultCurrencyIsoCode", _MATCHED),
        dropped("DefaultDivision", _MATCHED),
        dropped("DelegatedApproverId", "approval delegation in the source org"),
        dropped("Department", "gap: the schema has no department"),
        *_stock("Division"),
        carried("Email", "User.email", "User.identities", note="how an agent is matched"),
        dropped("EmployeeNumber", "gap: an HR number the schema does not hold"),
        dropped("Extension", "gap: the phone extension is not read"),
        dropped("Fax", "gap: agents' phones are not read"),
        dropped("FederationIdentifier", "single sign-on id in the source org"),
        dropped("FirstName", "the name is read whole (`Name`)"),
        dropped("HasUserVerifiedEmail", _LOGIN),
        dropped("HasUserVerifiedPhone", _LOGIN),
        carried("Id", "User.id"),
        dropped("IndividualId", _PRIVACY),
        carried("IsActive", "User.suspended", note="false: suspended"),
        dropped("IsPartner", _PORTAL_USER),
        dropped("IsPortalEnabled", _PORTAL_USER),
        dropped("LanguageLocaleKey", "the UI language; `LocaleSidKey` is the locale read"),
        dropped("LastLoginDate", _LOGIN),
        *_stock("LastModifiedById"),
        carried("LastModifiedDate", "User.updated_at"),
        dropped("LastName", "the name is read whole (`Name`)"),
        dropped("LastPasswordChangeDate", _LOGIN),
        *_stock("LastReferencedDate", "LastViewedDate"),
        carried("LocaleSidKey", "User.locale", note="`en_US` as `en-US`"),
        dropped("ManagerId", "the agent's manager; the schema has no such link"),
        dropped("MobilePhone", "gap: agents' phones are not read"),
        carried("Name", "User.name"),
        dropped("NumberOfFailedLogins", _LOGIN),
        dropped("OfflinePdaTrialExpirationDate", _LOGIN),
        dropped("OfflineTrialExpirationDate", _LOGIN),
        dropped("OutOfOfficeMessage", _MATCHED),
        dropped("PasswordExpirationDate", _LOGIN),
        dropped("Phone", "gap: agents' phones are not read"),
        dropped("PortalRole", _PORTAL_USER),
        carried(
            "ProfileId",
            "User.role",
            note="read as `Profile.Name`: System Administrator is an admin",
        ),
        dropped("SenderEmail", _MATCHED),
        dropped("SenderName", _MATCHED),
        dropped("Signature", "gap: the agent's e-mail signature is not read"),
        dropped("StayInTouchNote", _MATCHED),
        dropped("StayInTouchSignature", _MATCHED),
        dropped("StayInTouchSubject", _MATCHED),
        dropped("SuAccessExpirationDate", _LOGIN),
        carried("SystemModstamp", "User.updated_at", note="the read cursor"),
        carried("TimeZoneSidKey", "User.time_zone"),
        dropped("Title", "gap: the schema has no job title"),
        dropped("UserRoleId", "the role hierarchy of the source org's sharing model"),
        dropped(
            "UserType",
            "a filter: only `Standard` users are read as agents (not portal or guest users)",
        ),
        carried(
            "Username",
            "Rule.actions",
            note="rule entries name users by username; resolved to their ids",
        ),
        *_each(_MATCHED, *_USER_PREFERENCES),
        *_each(
            "feature licences of the source org; the target's admin gives its own",
            *_USER_PERMISSIONS,
        ),
        derived("Cemigrate_Id__c", "the source key a target sets on the User it matched"),
    ),
)

_QUEUE_SETTING: Final = "the queue's e-mail settings in the source org"

_GROUP = LedgerObject(
    name="Group",
    title="Group (queues)",
    page=_page("Group"),
    rows=(
        *_stock("CreatedById"),
        carried("CreatedDate", "Group.created_at"),
        dropped("DefaultDivision", _DIVISION),
        dropped("Description", "gap: a queue's description is not read"),
        carried("DeveloperName", "Group.name", note="when `Name` is empty"),
        dropped("DoesIncludeBosses", "sharing to managers in the role hierarchy"),
        dropped("DoesSendEmailToMembers", _QUEUE_SETTING),
        dropped("Email", _QUEUE_SETTING),
        carried("Id", "Group.id"),
        *_stock("LastModifiedById"),
        carried("LastModifiedDate", "Group.updated_at"),
        carried("Name", "Group.name"),
        *_stock("OwnerId"),
        dropped("RelatedId", "the role or territory of a system group; queues have none"),
        *_stock("SystemModstamp"),
        dropped("Type", "a filter: only queues (`Queue`) are read as groups"),
    ),
)

_GROUP_MEMBER = LedgerObject(
    name="GroupMember",
    title="GroupMember",
    page=_page("GroupMember"),
    rows=(
        carried("GroupId", "GroupMembership.group"),
        carried("Id", "GroupMembership.id"),
        *_stock("SystemModstamp"),
        carried(
            "UserOrGroupId",
            "GroupMembership.user",
            note="a User (`005`); a group nested in a queue is not read",
        ),
    ),
)

_ACCOUNT_CONTACT_RELATION = LedgerObject(
    name="AccountContactRelation",
    title="AccountContactRelation",
    page=_page("AccountContactRelation"),
    rows=(
        carried("AccountId", "OrganizationMembership.organization"),
        carried("ContactId", "OrganizationMembership.user"),
        *_stock("CreatedById"),
        dropped("CreatedDate", "the membership's own times are not read"),
        *_stock("CurrencyIsoCode"),
        dropped("EndDate", "gap: when the relation ended is not read"),
        carried("Id", "OrganizationMembership.id"),
        dropped("IsActive", "gap: an ended relation reads as a membership"),
        dropped("IsDeleted", "a deleted relation is gone; none is read"),
        carried("IsDirect", "OrganizationMembership.default", note="the contact's own account"),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "the membership's own times are not read"),
        dropped("Roles", "gap: the contact's roles at the account are not read"),
        dropped("StartDate", "gap: when the relation started is not read"),
        *_stock("SystemModstamp"),
    ),
)

_RECORD_TYPE = LedgerObject(
    name="RecordType",
    title="RecordType (Case record types as ticket forms)",
    page=_page("RecordType"),
    rows=(
        dropped(
            "BusinessProcessId",
            "the support process (the Status values it offers); values are checked per "
            "record type by the dry run",
        ),
        *_stock("CreatedById"),
        carried("CreatedDate", "TicketForm.created_at"),
        dropped("Description", "the schema's form has no description"),
        carried("DeveloperName", "TicketForm.name", note="when `Name` is empty"),
        carried("Id", "TicketForm.id", "Ticket.form"),
        carried("IsActive", "TicketForm.active"),
        dropped("IsPersonType", "an Account record type for person accounts; not a Case's"),
        *_stock("LastModifiedById"),
        carried("LastModifiedDate", "TicketForm.updated_at"),
        carried("Name", "TicketForm.name", "TicketForm.display_name"),
        dropped("NamespacePrefix", "the managed package a record type came with"),
        dropped("SobjectType", "a filter: only Case record types are read"),
        *_stock("SystemModstamp"),
    ),
)

_BUSINESS_HOURS = LedgerObject(
    name="BusinessHours",
    title="BusinessHours",
    page=_page("BusinessHours"),
    rows=(
        *_stock("CreatedById"),
        dropped("CreatedDate", "gap: a schedule's times are not read"),
        *(
            carried(
                f"{day}{edge}Time",
                "Schedule.intervals",
                note="`00:00` as the end is midnight; both `00:00`: open all day",
            )
            for day in (
                "Sunday",
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
            )
            for edge in ("Start", "End")
        ),
        carried("Id", "Schedule.id"),
        dropped("IsActive", "gap: inactive business hours read like active ones"),
        carried("IsDefault", "Schedule.default"),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "gap: a schedule's times are not read"),
        *_stock("LastViewedDate"),
        carried("Name", "Schedule.name"),
        *_stock("SystemModstamp"),
        carried("TimeZoneSidKey", "Schedule.time_zone"),
    ),
)

_HOLIDAY = LedgerObject(
    name="Holiday",
    title="Holiday",
    page=_page("Holiday"),
    rows=(
        carried(
            "ActivityDate",
            "Holiday.start_date",
            "Holiday.end_date",
            note="consecutive days of one name are one holiday",
        ),
        *_stock("CreatedById"),
        dropped("CreatedDate", "a holiday's own times are not read"),
        carried(
            "Description",
            "Schedule.holidays",
            note="cemigrate's tag names the schedule: no API field links a holiday to "
            "business hours, so untagged holidays are not read",
        ),
        dropped("EndTimeInMinutes", "gap: a part-day holiday reads as a whole day"),
        carried("Id", "Holiday.id"),
        dropped("IsAllDay", "gap: a part-day holiday reads as a whole day"),
        *_each(
            "gap: a recurring holiday reads as its first date only",
            "IsRecurrence",
            "NextOccurrenceDate",
            "RecurrenceDayOfMonth",
            "RecurrenceDayOfWeekMask",
            "RecurrenceEndDateOnly",
            "RecurrenceInstance",
            "RecurrenceInterval",
            "RecurrenceMonthOfYear",
            "RecurrenceStartDate",
            "RecurrenceType",
        ),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "a holiday's own times are not read"),
        carried("Name", "Holiday.name"),
        dropped("StartTimeInMinutes", "gap: a part-day holiday reads as a whole day"),
        *_stock("SystemModstamp"),
    ),
)

_CLOCK: Final = "computed by the org from the milestone's times; the times are read"

_CASE_MILESTONE = LedgerObject(
    name="CaseMilestone",
    title="CaseMilestone",
    page=_page("CaseMilestone"),
    rows=(
        *(
            derived(f"{kind}In{unit}", _CLOCK)
            for kind in (
                "ActualElapsedTime",
                "ElapsedTime",
                "StoppedTime",
                "TimeRemaining",
                "TimeSinceTarget",
            )
            for unit in ("Days", "Hrs", "Mins")
        ),
        dropped(
            "BusinessHoursId",
            "which business hours; whether a target counted them is read from `TargetDate`",
        ),
        carried("CaseId", "SlaEvent.ticket", "TicketMetrics.ticket"),
        carried(
            "CompletionDate",
            "SlaEvent.time",
            "TicketMetrics.first_reply",
            "TicketMetrics.full_resolution",
            note="a fulfilment; minutes from start to completion",
        ),
        *_stock("CreatedById"),
        dropped("CreatedDate", "the events carry the milestone's own times"),
        carried("Id", "SlaEvent.id", note="with `:apply`, `:breach`, `:fulfill`"),
        dropped("IsCompleted", "`CompletionDate` is read"),
        dropped("IsDeleted", "milestones are read with their case"),
        carried("IsViolated", "SlaEvent.kind", note="a breach at `TargetDate`"),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "the events carry the milestone's own times"),
        carried(
            "MilestoneTypeId",
            "SlaEvent.metric",
            note="by `MilestoneType.Name` (first response, resolution...)",
        ),
        carried("StartDate", "SlaEvent.time", note="the target applied"),
        carried("SystemModstamp", "SlaEvent.updated_at", note="the read cursor"),
        carried(
            "TargetDate",
            "SlaEvent.time",
            "SlaEvent.business_hours",
            note="a breach's time; business hours when it is not start + target",
        ),
        dropped("TargetResponseInDays", "the target again in days; minutes are read"),
        dropped("TargetResponseInHrs", "the target again in hours; minutes are read"),
        carried("TargetResponseInMins", "SlaEvent.target_minutes"),
    ),
)

_MILESTONE_TYPE = LedgerObject(
    name="MilestoneType",
    title="MilestoneType",
    page=_page("MilestoneType"),
    rows=(
        *_stock("CreatedById"),
        dropped("CreatedDate", "read only through a milestone's `MilestoneType.Name`"),
        dropped("Description", "gap: a milestone type's description is not read"),
        dropped("Id", "read only through a milestone's `MilestoneType.Name`"),
        *_stock("LastModifiedById"),
        dropped("LastModifiedDate", "read only through a milestone's `MilestoneType.Name`"),
        carried("Name", "SlaEvent.metric", note="by its words: first, next, resolution..."),
        dropped("RecurrenceType", "whether it recurs; the metric is read from the name"),
        *_stock("SystemModstamp"),
    ),
)

_ENTITLEMENT_GAP: Final = (
    "gap: entitlements are not carried (only the process a case's entitlement names is)"
)

_ENTITLEMENT = LedgerObject(
    name="Entitlement",
    title="Entitlement",
    page=_page("Entitlement"),
    rows=(
        *_each(
            _ENTITLEMENT_GAP,
            "AccountId",
            "AssetId",
            "AssetWarrantyId",
            "BusinessHoursId",
            "CasesPerEntitlement",
            "ContractLineItemId",
            "EndDate",
            "IsPerIncident",
            "Location",
            "LocationId",
            "Name",
            "RemainingCases",
            "RemainingWorkOrders",
            "ServiceContractId",
            "StartDate",
            "Status",
            "SvcApptBookingWindowsId",
            "Type",
            "WorkOrdersPerEntitlement",
        ),
        *_stock("CreatedById"),
        dropped("CreatedDate", _ENTITLEMENT_GAP),
        *_stock("CurrencyIsoCode", "Division"),
        carried("Id", "SlaEvent.policy", note="a case's `EntitlementId` → its process"),
        *_stock("IsDeleted", "LastModifiedById"),
        dropped("LastModifiedDate", _ENTITLEMENT_GAP),
        *_stock("LastReferencedDate", "LastViewedDate"),
        carried("SlaProcessId", "SlaEvent.policy"),
        *_stock("SystemModstamp"),
    ),
)

_SLA_PROCESS = LedgerObject(
    name="SlaProcess",
    title="SlaProcess (entitlement processes)",
    page=_page("SlaProcess"),
    rows=(
        dropped("BusinessHoursId", "the process's business hours; see CaseMilestone"),
        *_stock("CreatedById"),
        carried("CreatedDate", "SlaPolicy.created_at"),
        carried("Description", "SlaPolicy.description"),
        carried("Id", "SlaPolicy.id"),
        carried("IsActive", "SlaPolicy.active"),
        *_stock("IsDeleted", "LastModifiedById"),
        carried("LastModifiedDate", "SlaPolicy.updated_at"),
        *_stock("LastViewedDate"),
        carried("Name", "SlaPolicy.title"),
        dropped("NameNorm", "the name in lower case (the Metadata API's full name)"),
        dropped("SobjectType", "Case or WorkOrder processes: both are read"),
        dropped("StartDateField", "the case field its milestones start from"),
        *_stock("SystemModstamp"),
        *_each(
            "entitlement versioning: each version is read as a policy of its own",
            "IsVersionDefault",
            "VersionMaster",
            "VersionNotes",
            "VersionNumber",
        ),
    ),
)

_QUERYING: Final = "how the source org can query the field; the target decides its own"
_STORAGE: Final = "how the source org stores the field's values"
_RELATION: Final = "how a lookup behaves in the source org; its values are carried as ids"
_DEFAULTS: Final = "gap: a field's default is not carried; the target field has none"
_PICKLIST: Final = "gap: dependent picklists' controlling field is not read (values are)"

_DESCRIBE_FIELD = LedgerObject(
    name="describe.field",
    title="Describe field (custom fields as field definitions)",
    page="https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/"
    "sforce_api_calls_describesobjects_describesobjectresult.htm (Field)",
    rows=(
        *_each(
            _QUERYING,
            "aggregatable",
            "filterable",
            "groupable",
            "idLookup",
            "nameField",
            "namePointing",
            "queryByDistance",
            "searchPrefilterable",
            "sortable",
        ),
        dropped("aiPredictionField", "an Einstein prediction field of the source org"),
        carried("autoNumber", "FieldDef.read_only", note="an auto-number is read-only"),
        dropped("byteLength", _STORAGE),
        carried("calculated", "FieldDef.read_only", note="a formula or roll-up is read-only"),
        carried("calculatedFormula", "FieldDef.formula", note="kept as evidence"),
        dropped("cascadeDelete", _RELATION),
        dropped("caseSensitive", _STORAGE),
        dropped("compoundFieldName", "the compound field (an address) a part belongs to"),
        dropped("controllerName", _PICKLIST),
        carried(
            "createable",
            "FieldDef.required",
            note="required: not nillable, createable and not read-only",
        ),
        carried(
            "custom",
            "FieldDef.key",
            note="only custom fields (names ending `__c`) become field definitions",
        ),
        dropped("defaultValue", _DEFAULTS),
        dropped("defaultValueFormula", _DEFAULTS),
        dropped("defaultedOnCreate", _DEFAULTS),
        dropped("dependentPicklist", _PICKLIST),
        dropped("deprecatedAndHidden", "a field Salesforce retired"),
        dropped("digits", _STORAGE),
        dropped("displayLocationInDecimal", _STORAGE),
        dropped("encrypted", "gap: Shield encryption of the source field is not carried"),
        dropped("externalId", "the source org's upsert keys; cemigrate's own is created"),
        dropped(
            "extraTypeInfo",
            "rich or plain text area: both are textareas, a rich one's values HTML",
        ),
        dropped("filteredLookupInfo", _RELATION),
        dropped("formulaTreatNullNumberAsZero", "how the source org computes the formula"),
        dropped("highScaleNumber", _STORAGE),
        dropped("htmlFormatted", "whether a formula yields HTML; values are read as they are"),
        carried("inlineHelpText", "FieldDef.description"),
        carried("label", "FieldDef.title"),
        dropped("length", "gap: a text field's length; the target's text field is its own"),
        dropped("mask", _STORAGE),
        dropped("maskType", _STORAGE),
        carried(
            "name",
            "FieldDef.id",
            "FieldDef.key",
            note="the key is the API name without `__c`, lower-cased",
        ),
        carried("nillable", "FieldDef.required"),
        dropped("permissionable", "field-level security of the source org"),
        carried("picklistValues", "FieldDef.options", note="active values, in order"),
        dropped("polymorphicForeignKey", _RELATION),
        dropped("precision", _STORAGE),
        carried(
            "referenceTo",
            "FieldDef.type",
            "FieldDef.references",
            "FieldDef.description",
            note="a lookup to a carried object is a LOOKUP of its kind (source ids); any "
            "other lookup is text holding the id, its description naming the object",
        ),
        dropped("referenceTargetField", _RELATION),
        dropped("relationshipName", "the SOQL name of the lookup's record; its id is read"),
        dropped("relationshipOrder", _RELATION),
        dropped("restrictedDelete", _RELATION),
        dropped(
            "restrictedPicklist",
            "whether other values are refused; the target's picklist is its own",
        ),
        carried("scale", "FieldDef.type", note="a `double` of scale 0 is an integer"),
        dropped("soapType", "the type again, in SOAP terms; `type` is read"),
        carried(
            "type",
            "FieldDef.type",
            note="string, email, phone, url → text; textarea; int; double, currency, percent "
            "→ decimal; boolean; date; picklist; multipicklist; reference → lookup or text; "
            "others are not read",
        ),
        dropped("unique", "gap: the schema keeps no uniqueness constraint"),
        dropped("updateable", "read-only comes from `calculated` and `autoNumber`"),
        dropped("writeRequiresMasterRead", _RELATION),
    ),
)

SALESFORCE_LEDGER: Final = FieldLedger(
    platform="Salesforce",
    command="python -m cemigrate.adapters.salesforce.field_ledger --write docs/salesforce.md",
    objects=(
        _CASE,
        _CASE_COMMENT,
        _EMAIL_MESSAGE,
        _FEED_ITEM,
        _CONTENT_VERSION,
        _CONTENT_DOCUMENT_LINK,
        _CONTACT,
        _ACCOUNT,
        _USER,
        _GROUP,
        _GROUP_MEMBER,
        _ACCOUNT_CONTACT_RELATION,
        _RECORD_TYPE,
        _BUSINESS_HOURS,
        _HOLIDAY,
        _CASE_MILESTONE,
        _MILESTONE_TYPE,
        _ENTITLEMENT,
        _SLA_PROCESS,
        _DESCRIBE_FIELD,
    ),
)
"""Every field of every object the Salesforce source reads, with its fate."""


_AGENT_ONLY: Final = (
    "an agent's attribute: agents are the org's own Users, matched by e-mail and never "
    "written; an end user's Contact has no such field"
)

SALESFORCE_NOT_HELD: Final[Mapping[Kind, Mapping[str, str]]] = {
    Kind.TICKET: {
        "submitter": "the Case's creator (CreatedById) is the user the migration writes as; "
        "the case's contact is its requester",
        "ccs": "a Case has no CC list: the addresses copied stay on its e-mails",
        "followers": "a Case has no followers (Chatter follows are each user's own)",
        "due_at": "gap: a Case has no due date field and cemigrate creates none",
        "external_id": "gap: Cemigrate_Id__c holds cemigrate's source key; the ticket's own "
        "external id is not written",
        "problem": "gap: an incident's problem is not written as the case's parent (ParentId)",
    },
    Kind.USER: with_stamps(
        {
            "locale": "a Contact has no language or locale field",
            "time_zone": "a Contact has no time zone field",
            **dict.fromkeys(
                (
                    "agent_type",
                    "alias",
                    "custom_role",
                    "default_group",
                    "occasional",
                    "only_private_comments",
                    "signature",
                    "ticket_restriction",
                ),
                _AGENT_ONLY,
            ),
        }
    ),
    Kind.GROUP: with_stamps(
        {
            "description": "a queue (Group of type Queue) has no description",
            "public": "a queue has no public flag: its members and the sharing rules decide",
            "deleted": "a queue has no deleted state: a deleted group is a queue like others",
        }
    ),
    Kind.GROUP_MEMBERSHIP: with_stamps({"default": "a GroupMember has no default flag"}),
    Kind.ORGANIZATION: with_stamps(
        {
            "group": "an Account has no default queue",
            "shared_tickets": "an Account has no sharing flag: the org's sharing rules decide",
            "shared_comments": "an Account has no sharing flag: the org's sharing rules decide",
        }
    ),
    Kind.ORGANIZATION_MEMBERSHIP: with_stamps(
        {"view_tickets": "an AccountContactRelation has no ticket visibility flag"}
    ),
    Kind.SCHEDULE: with_stamps(
        {"default": "business hours are written never as the org's default: it keeps its own"}
    ),
    Kind.FIELD: with_stamps(
        {
            "key": "the API name is derived from the key (Order_Id__c); values are compared "
            "under it",
            "position": "an sObject's fields have no order of their own (page layouts do)",
            "required": "created optional: a required field would refuse every case without "
            "a value",
            "active": "a custom field has no inactive state: an inactive source field's "
            "values are carried all the same",
        }
    ),
}
"""What a Salesforce *target* does not hold of each kind it reads back, and why (what it
holds is ``SALESFORCE_KEEPS`` in ``platform.py``)."""


def _main(argv: Sequence[str] | None = None) -> int:
    return main(SALESFORCE_LEDGER, argv)


if __name__ == "__main__":
    raise SystemExit(_main())
