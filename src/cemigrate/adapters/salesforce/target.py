"""Write the common schema into a Salesforce Service Cloud org.

Accounts, Contacts, Cases, EmailMessages and the SLA custom objects are upserted by the
external id ``Cemigrate_Id__c`` through sObject collections (200 a call), so a record sent
twice is updated, never duplicated; a write batch with ``bulk_threshold`` new cases or more
sends the cases through a Bulk API 2.0 upsert instead. Agents are matched to the org's Users by
e-mail (never created: that needs licences); queues, queue routing and memberships are
find-or-create by their natural keys (they take no custom fields).

A ticket is written as a whole: its case, then its comments (public e-mail replies as
``EmailMessage``, everything else as ``CaseComment``, published only when public), then its
files as multipart ``ContentVersion`` uploads linked to the case or the e-mail, and last the
case's ``Cemigrate_Complete__c`` flag. :meth:`SalesforceTarget.find` reports a case only when
that flag is set, so a ticket cut off half-way is sent again, and re-sending writes only the
children that are missing. Original authors and times go into the audit fields when the org
allows it (``createable`` of ``Case.CreatedDate``), otherwise into the fields the data model
names. Assignment rules are switched off on every case write (``Sforce-Auto-Assign: FALSE``)
and nothing sends e-mail.

Business rules are written as record-triggered flows on Case, saved **Draft** (inactive: nothing
fires on imported history) through the Tooling API (``POST /tooling/sobjects/Flow`` with the
Metadata API's Flow as JSON); find-or-create by the flow's API name, so a re-run adopts what it
made. A rule's target id is its ``FlowDefinition`` id; :meth:`SalesforceTarget.activate_rules`
switches the latest version on after cutover (docs/salesforce.md, "Salesforce: rules as flows").
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar, cast

import requests

from cemigrate.adapters.base import BatchWriter, PlatformTarget, guarded, refused
from cemigrate.adapters.callpool import CallPool
from cemigrate.adapters.contract import (
    Change,
    FileSource,
    Metadata,
    Needs,
    Outgoing,
    RuleSwitch,
    WriteResult,
)
from cemigrate.adapters.private import private_dir
from cemigrate.adapters.rule_dialects import dialect_of, untranslatable_reason
from cemigrate.adapters.salesforce import convert, kept, rollback, setup_delete
from cemigrate.adapters.salesforce.client import (
    BulkResult,
    MultipartFile,
    SalesforceClient,
    SalesforceCredentials,
    bulk_fits,
    error_message,
    soql_list,
)
from cemigrate.adapters.salesforce.entitlements import (
    EntitlementProcesses,
    full_name_of,
)
from cemigrate.adapters.salesforce.limits import SALESFORCE_PLANS
from cemigrate.adapters.salesforce.objects import (
    API_VERSION,
    COLLECTION_SIZE,
    DEFAULT_BULK_THRESHOLD,
    EXTERNAL_ID,
    SETUP_FIELDS,
    SETUP_OBJECTS,
    TARGET_CAPABILITIES,
    SetupField,
)
from cemigrate.adapters.salesforce.rules import SALESFORCE_RULES
from cemigrate.adapters.salesforce.tooling_composite import ToolingCreate, create_tooling_records
from cemigrate.adapters.transport import account_address
from cemigrate.errors import RecordError, TransientError, WriteOutcomeUnknown
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.rules.sla import (
    translate_sla,
)
from cemigrate.rules.translate import (
    UNTRANSLATABLE_RULE,
    TranslationStatus,
    translate,
)
from cemigrate.schema import (
    Attachment,
    Comment,
    FieldDef,
    FieldObject,
    FieldType,
    Group,
    GroupMembership,
    Kind,
    OrganizationMembership,
    Role,
    Rule,
    Schedule,
    SlaEvent,
    SlaPolicy,
    SourceKey,
    Ticket,
    TicketForm,
    TicketMetrics,
    User,
)

log = logging.getLogger("cemigrate.salesforce")

T = TypeVar("T")
R = TypeVar("R")

WRITABLE: Final = frozenset(
    {
        Kind.FIELD,
        Kind.ORGANIZATION,
        Kind.USER,
        Kind.GROUP,
        Kind.GROUP_MEMBERSHIP,
        Kind.TICKET,
        Kind.SLA_EVENT,
        Kind.TICKET_METRICS,
        Kind.RULE,
        Kind.SLA_POLICY,
        Kind.BRAND,
        Kind.TICKET_FORM,
        Kind.CUSTOM_STATUS,
        Kind.SCHEDULE,
        Kind.ORGANIZATION_MEMBERSHIP,
    }
)
"""What this target writes. Ratings have no writable home; rules become Draft record-triggered
flows; SLA policies become inactive entitlement processes (``entitlements.py``); brands, forms
and custom statuses are labels on the case (``kept.py``); schedules become BusinessHours with
Holidays; organization memberships AccountContactRelations."""

_LABELS: Final[Mapping[Kind, Callable[[Any], str]]] = {
    Kind.BRAND: lambda record: str(record.name),
    Kind.TICKET_FORM: lambda record: str(record.name),
    Kind.CUSTOM_STATUS: lambda record: str(record.agent_label),
}
"""Kinds Salesforce keeps no record of: each is written as its label (the name a case's
``Cemigrate_Brand__c``, ``Cemigrate_Form__c`` or ``Cemigrate_Custom_Status__c`` holds), which
is its target id, so a ticket's links give its case the label."""

AGENT_MEMBERSHIP: Final = (
    "agent-organization-membership: Salesforce relates Contacts, not Users, to Accounts"
)
"""Skip policy for an agent's organization membership (agents are Users)."""

_SALESFORCE_ID: Final = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


MAX_ATTACHMENT_BYTES: Final = 2 * 1024**3
"""A ContentVersion sent as multipart holds up to 2 GB. [facts 2.5]"""

BASE64_LIMIT_BYTES: Final = 37_500_000
"""Above this a file cannot travel as base64 JSON; cemigrate always sends multipart. [facts 2.5]"""

FILES_PER_REQUEST: Final = 200
"""Files in one multipart sObject Collections insert (a collection takes 200 records)."""

FILE_BATCH_BYTES: Final = 64 * 1024 * 1024
"""The bytes cemigrate sends in one multipart collection: Salesforce takes 500 MB of files a
request (REST API Developer Guide, "Insert or Update Blob Data"); a smaller request is cheaper
to send again after a lost answer. A larger file goes alone (up to 2 GB)."""

READ_ONLY_FIELD: Final = "read-only-field"
"""Skip policy for a read-only field (formula, roll-up, auto-number) the mapping gave no type:
never created as a writable field, its values left out."""

_DELETED: Final = "deleted-in-source: Salesforce cannot create a deleted case"
_AUTO_ASSIGN_OFF: Final = {"Sforce-Auto-Assign": "FALSE"}
_SPOOL_IN_MEMORY: Final = 8 * 1024 * 1024
_BULK_BATCH: Final = 10_000
"""Tickets or users in the largest write batch (a Bulk job takes far more; the copier holds a
batch in memory)."""
_SLA_BATCH: Final = 100_000
"""SLA events in the largest write batch (a few hundred bytes each: about 30 MB of CSV)."""
_MEMBERSHIP_BATCH: Final = 2_000
"""Organization memberships in one write batch."""
_CUSTOM_OBJECTS: Final[Mapping[Kind, str]] = {
    Kind.SLA_EVENT: "Cemigrate_Sla_Event__c",
    Kind.TICKET_METRICS: "Cemigrate_Ticket_Metrics__c",
}


class SalesforceTarget(PlatformTarget):
    """A Salesforce org as a migration target."""

    platform = "salesforce"
    concurrent = frozenset({Kind.TICKET, Kind.USER, Kind.SLA_EVENT, Kind.TICKET_METRICS})
    """Ticket and user batches (and the tickets' SLA history) go several at a time: each one
    writes only its own records (the copier keeps two users of one e-mail apart), and what the
    target remembers of the account is read and noted under a lock."""

    def __init__(
        self,
        *,
        instance_url: str,
        credentials: SalesforceCredentials,
        name: str = "target",
        edition: str = "enterprise",
        licences: int = 0,
        daily_quota_share: float | None = None,
        api_version: str = API_VERSION,
        bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
        fallback_agent_email: str | None = None,
        session: requests.Session | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        options: dict[str, object] = {"licences": licences}
        if daily_quota_share is not None:
            options["daily_quota_share"] = daily_quota_share
        self.budgets: Budgets = budgets_for(
            SALESFORCE_PLANS, edition, clock=self.clock, prefix=name, **options
        )
        self.client = SalesforceClient(
            instance_url=instance_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(self.clock),
            clock=self.clock,
            session=session,
            api_version=api_version,
        )
        self.bulk_threshold = max(1, bulk_threshold)
        """New cases in one write from which Bulk API 2.0 is used (docs/salesforce.md)."""
        self.calls = CallPool(self.budgets.in_flight)
        """Independent calls of a batch several at once (a ticket batch's e-mail and comment
        jobs), bounded across batches (:mod:`~cemigrate.adapters.callpool`)."""
        self.fallback_agent_email = fallback_agent_email
        # A ticket (or user) batch holds ten times ``bulk_threshold`` records, up to 10,000:
        # its cases, e-mails, comments and completion flags each go in one Bulk job rather than
        # a collection per 200. SLA history rows are small: up to 100,000 a batch.
        ticket_batch = max(COLLECTION_SIZE, min(10 * self.bulk_threshold, _BULK_BATCH))
        self.batch_size: Mapping[Kind, int] = dict.fromkeys(WRITABLE, COLLECTION_SIZE) | {
            Kind.TICKET: ticket_batch,
            Kind.USER: ticket_batch,
            Kind.SLA_EVENT: max(COLLECTION_SIZE, _SLA_BATCH),
            # memberships: one query of the batch's accounts' relations, whatever its size
            Kind.ORGANIZATION_MEMBERSHIP: max(COLLECTION_SIZE, _MEMBERSHIP_BATCH),
            Kind.TICKET_METRICS: max(COLLECTION_SIZE, _BULK_BATCH),
        }
        self._audit: bool | None = None
        self._values: Mapping[str, Mapping[str, str]] = {}
        """The mapping's value tables (from ``prepare``)."""
        self._options: Mapping[str, Mapping[str, str]] = {}
        """The mapping's option tables by source field id (from ``prepare``)."""
        self._routes: Mapping[str, str] = {}
        """The mapping's comment routing (from ``prepare``)."""
        self._declined_tickets: set[str] = set()
        self._people: dict[str, set[bool]] = {}
        """Source user id → whether each user of that id seen was an agent (a User here)."""
        self._users: dict[str, str] | None = None
        self._queues: dict[str, str] | None = None
        self._members: dict[tuple[str, str], str] | None = None
        self._flows: dict[str, str] | None = None
        self._made_schedules: set[str] = set()
        """BusinessHours ids this target created: a schedule found by name is adopted
        (matched) unless it is one of them."""
        self._record_types: dict[str, tuple[str, str]] | None = None
        self._lookups: dict[FieldObject, dict[str, Kind]] = {}
        self._person_type: str | None = None
        self._rt_values: dict[str, Mapping[str, frozenset[str]]] = {}
        """Case record type id → picklist field → its available values (UI API), read once."""
        self._form_types: dict[str, str] = {}
        """Source ticket form id → the record type the dry run matched it to."""
        """The Person Account record type's id, "" when the org has none; read once."""
        """Lookup fields the migration's definitions named: owner → key → kind."""
        """Active Case record types by id: (Name, DeveloperName), read once."""
        """FlowDefinition ids by DeveloperName (lower-cased), read once."""
        self._entitlements = EntitlementProcesses(self.client)
        """Entitlement processes and milestone types (SLA policies)."""

    # -- the contract --------------------------------------------------------------------------

    def account_url(self) -> str:
        """The account's address this target writes (its base URL)."""
        return account_address(self.client.instance_url)

    def describe(self) -> Metadata:
        """What can be written, the org's custom fields and Salesforce's size limits."""
        self._describe_at_once(convert.FIELD_OBJECTS[owner] for owner in FieldObject)
        return Metadata(
            platform=self.platform,
            kinds=WRITABLE,
            fields=tuple(d for owner in FieldObject for d in self._custom_fields(owner).values()),
            limits={"attachment": MAX_ATTACHMENT_BYTES},
            capabilities=TARGET_CAPABILITIES,
            values=self._case_picklists(),
            default_values=convert.DEFAULT_VALUES,
            comment_routes=convert.COMMENT_ROUTES,
        )

    def _case_picklists(self) -> dict[str, tuple[str, ...]]:
        """The active values of the Case picklists the mapping's value tables write."""
        fields = self.client.field_names("Case")
        out: dict[str, tuple[str, ...]] = {}
        for attribute, name in convert.CASE_PICKLISTS.items():
            entries = fields.get(name, {}).get("picklistValues") or []
            active = tuple(
                str(e["value"]) for e in entries if isinstance(e, Mapping) and e.get("active", True)
            )
            if active:
                out[attribute] = active
        return out

    def prepare(self, needs: Needs, *, dry_run: bool) -> list[Change]:
        """Create (or, in a dry run, list) the custom objects and fields the data model and the
        mapping need, through the Tooling API; what exists already is left alone."""
        self._values = needs.values
        self._options = needs.options
        self._routes = needs.comments
        if needs.fallback_agent_email and not self.fallback_agent_email:
            self.fallback_agent_email = needs.fallback_agent_email  # the mapping's users section
        changes: list[Change] = []
        read = self._describe_at_once(
            [
                *SETUP_OBJECTS,
                *(f.sobject for f in SETUP_FIELDS),
                *(convert.FIELD_OBJECTS[d.object] for d in needs.fields),
            ]
        )

        def exists(sobject: str) -> bool:
            answer = read.get(sobject)  # an unknown object's describe is not kept: not again
            if answer is None or isinstance(answer, BaseException):
                return bool(self.client.field_names(sobject))
            return bool(answer)

        lacking = [sobject for sobject in SETUP_OBJECTS if not exists(sobject)]
        if lacking and not dry_run:
            made = self._at_once(
                lambda sobject: self._create_setup(
                    "CustomObject",
                    _object_metadata(sobject, SETUP_OBJECTS[sobject]),
                    f"create object {sobject}",
                ),
                lacking,
            )
            for sobject in lacking:
                self.client.forget_describe(sobject)
            errors = [answer for answer in made if isinstance(answer, BaseException)]
            if errors:
                raise errors[0]
            self._describe_at_once(lacking)
        changes.extend(
            Change(action="create object", subject=sobject, applied=not dry_run)
            for sobject in lacking
        )
        wanted: list[tuple[str, str, dict[str, Any]]] = [
            (f.sobject, f.name, _setup_metadata(f)) for f in SETUP_FIELDS
        ]
        for definition in needs.fields:
            self._note_field(definition)
            if definition.read_only:
                continue  # never a writable field (the copier leaves it out and counts it)
            body = convert.field_metadata(definition)
            sobject = convert.FIELD_OBJECTS[definition.object]
            wanted.append((sobject, convert.key_to_api_name(definition.key), body))
        # One describe per object: the fields created meanwhile are read again at the end.
        present = {sobject: set(self.client.field_names(sobject)) for sobject, _, _ in wanted}
        creates: list[ToolingCreate] = []
        self._note_held(
            Kind.FIELD, (f"{o}.{name}" for o, names in present.items() for name in names)
        )
        for sobject, name, body in wanted:
            if name in present[sobject]:
                continue
            creates.append(ToolingCreate("CustomField", body, f"create field {sobject}.{name}"))
            present[sobject].add(name)
            changes.append(
                Change(action="create field", subject=f"{sobject}.{name}", applied=not dry_run)
            )
        if not dry_run:
            refusals = [o for o in self._create_tooling(creates) if isinstance(o, RecordError)]
            if refusals:
                self.client.forget_describe()  # the others were created
                raise refusals[0]
            for change in changes:
                self.client.forget_describe(change.subject.split(".")[0])
        return changes

    def _describe_at_once(
        self, sobjects: Iterable[str]
    ) -> dict[str, dict[str, dict[str, Any]] | BaseException]:
        """Read the describes of ``sobjects`` not read yet, several at once (each is kept);
        their fields by object (empty: no such object). An error is left for the object's
        next describe to raise where it is needed."""
        wanted = [s for s in dict.fromkeys(sobjects) if not self.client.described(s)]
        return dict(zip(wanted, self._at_once(self.client.field_names, wanted), strict=True))

    def declines(self, kind: Kind, record: object) -> str:
        """The named policy under which this target will not take ``record`` ("" if none)."""
        if isinstance(record, FieldDef) and record.read_only:
            return READ_ONLY_FIELD
        if isinstance(record, Ticket) and record.deleted:
            self._declined_tickets.add(record.id)
            return _DELETED
        if isinstance(record, OrganizationMembership):
            # An agent's membership, when the user's write (or foresight) was seen: the write
            # finds the same from the links in any case.
            return AGENT_MEMBERSHIP if self._people.get(record.user.id) == {True} else ""
        if isinstance(record, Schedule):
            try:
                kept.business_hours_payload(record)
            except RecordError as exc:
                return f"{exc.platform_message}: {exc.reason}"
            return ""
        if (
            isinstance(record, SlaEvent | TicketMetrics)
            and record.ticket.id in self._declined_tickets
        ):
            return _DELETED  # its case is declined: it goes with it
        return untranslatable_reason(record, SALESFORCE_RULES, options=self._options)

    def _writers(self) -> Mapping[Kind, BatchWriter]:
        writers: dict[Kind, BatchWriter] = {
            Kind.FIELD: self._write_fields,
            Kind.ORGANIZATION: self._write_accounts,
            Kind.USER: self._write_users,
            Kind.GROUP: self._write_queues,
            Kind.GROUP_MEMBERSHIP: self._write_members,
            Kind.TICKET: self._write_tickets,
            Kind.RULE: self._write_rules,
            Kind.SLA_POLICY: self._write_sla_policies,
            Kind.SCHEDULE: self._write_schedules,
            Kind.ORGANIZATION_MEMBERSHIP: self._write_relations,
        }
        for kind in _LABELS:
            writers[kind] = functools.partial(self._write_labels, kind=kind)
        for kind, sobject in _CUSTOM_OBJECTS.items():
            writers[kind] = functools.partial(self._write_custom, sobject=sobject)
        return writers

    def _create_setup(self, tooling: str, body: dict[str, Any], what: str) -> None:
        """Create one custom object or field through the Tooling API. When the answer is lost
        the org may hold it now: its describes are read again before anything else."""
        try:
            self.client.rest(
                f"tooling/sobjects/{tooling}", method="POST", json_body=body, what=what
            )
        except (TransientError, WriteOutcomeUnknown):
            self.client.forget_describe()
            raise

    def close(self) -> None:
        """Stop the call threads."""
        self.calls.close()

    def _at_once(self, call: Callable[[T], R], items: Sequence[T]) -> list[R | BaseException]:
        """Several at once, through :attr:`calls`."""
        return self.calls.map(call, items)

    def _forget(self) -> None:
        self._users = self._queues = self._members = None  # read the org again
        self._flows = self._record_types = self._person_type = None
        self._rt_values = {}
        self._entitlements.forget()
        self.client.forget_describe()

    def find(self, kind: Kind, keys: Sequence[SourceKey]) -> dict[SourceKey, str]:
        """Target ids of the records stored with these source keys as external ids. A case
        counts only once its children are all written (``Cemigrate_Complete__c``)."""
        tables: Mapping[Kind, tuple[tuple[str, str], ...]] = {
            Kind.ORGANIZATION: (("Account", ""),),
            Kind.USER: (("Contact", ""), ("User", "")),
            Kind.TICKET: (("Case", "Cemigrate_Complete__c = true"),),
            Kind.SLA_EVENT: (("Cemigrate_Sla_Event__c", ""),),
            Kind.TICKET_METRICS: (("Cemigrate_Ticket_Metrics__c", ""),),
        }
        wanted = {str(k): k for k in keys}
        found: dict[SourceKey, str] = {}
        for sobject, extra in tables.get(kind, ()):
            for row in self.client.query_in(
                f"SELECT Id, {EXTERNAL_ID} FROM {sobject}", EXTERNAL_ID, list(wanted), extra=extra
            ):
                key = wanted.get(str(row.get(EXTERNAL_ID)))
                if key is not None and key not in found:
                    found[key] = str(row["Id"])
        # Fields, queues, memberships and rules (flows) have no external id: their writes
        # find-or-create.
        return found

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        """Delete records by id (rollback); a case's comments and files go with it. Custom
        fields and flows are deleted as Setup metadata (``setup_delete.py``). Labels
        are no records; BusinessHours cannot be deleted, so a schedule is switched off and its
        holidays deleted; a direct account relation goes with its Contact."""
        if kind in _LABELS:
            return
        if kind is Kind.FIELD:  # Setup metadata: setup_delete.py
            setup_delete.delete_fields(self.client, target_ids)
            return
        if kind is Kind.RULE:
            setup_delete.delete_flows(self.client, target_ids)
            self._flows = None  # the flow table is read again
            return
        if kind is Kind.SLA_POLICY:  # no documented delete of an entitlement process
            raise RecordError(
                f"salesforce target: deleting {kind} (Setup metadata) is not supported"
            )
        if kind is Kind.SCHEDULE:
            self._retire_schedules(target_ids)
            raise RecordError(  # a rollback lists them as left: they are still in the org
                "salesforce target: Salesforce cannot delete business hours; switched off"
            )
        if kind is Kind.ORGANIZATION_MEMBERSHIP:
            # The direct relation is the Contact's own account: it goes with the Contact.
            direct = {
                str(r["Id"])[:15]
                for r in self.client.query_in(
                    "SELECT Id FROM AccountContactRelation",
                    "Id",
                    [i for i in target_ids if _SALESFORCE_ID.fullmatch(i)],
                    extra="IsDirect = true",
                )
            }
            target_ids = [i for i in target_ids if i[:15] not in direct]
            if not target_ids:
                return
        if kind is Kind.USER and self._person_record_type() is not None:
            # A person contact goes with its Person Account, which is what is deleted (Object
            # Reference, "Person Account Record Types": the contact cannot be deleted alone).
            persons = {
                str(r["PersonContactId"])[:15]: str(r["Id"])
                for r in self.client.query_in(
                    "SELECT Id, PersonContactId FROM Account",
                    "PersonContactId",
                    [i for i in target_ids if _SALESFORCE_ID.fullmatch(i)],
                )
            }
            target_ids = [persons.get(i[:15], i) for i in target_ids]
        for result in self.client.delete(list(target_ids)):
            if not result.get("success", False):
                message = error_message(result.get("errors"))
                if "ENTITY_IS_DELETED" not in message:
                    raise RecordError("salesforce refused a delete", platform_message=message)

    def last_changed(self, kind: Kind, target_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """When cases, contacts and accounts were last changed (rollback)."""
        return rollback.last_changed(self.client, kind, target_ids)

    # -- setup ---------------------------------------------------------------------------------

    def _custom_fields(self, owner: FieldObject) -> dict[str, FieldDef]:
        found: dict[str, FieldDef] = {}
        for data in self.client.field_names(convert.FIELD_OBJECTS[owner]).values():
            definition = convert.field(data, object=owner)
            if definition is not None:
                found[definition.key] = definition
        return found

    def _write_fields(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Custom fields the org lacks are created 25 a Tooling composite call; a field it
        has already is adopted."""
        results: list[WriteResult | None] = []  # None: waits for its create
        present: dict[str, set[str]] = {}  # one describe per object and batch
        self._describe_at_once(
            convert.FIELD_OBJECTS[item.record.object]
            for item in batch
            if isinstance(item.record, FieldDef)
        )
        grown: set[str] = set()
        creates: dict[str, ToolingCreate] = {}  # by full name, in batch order
        waiting: dict[int, str] = {}  # batch index → the full name it waits for
        for item in batch:
            definition = item.record
            assert isinstance(definition, FieldDef)
            self._note_field(definition)
            if definition.read_only:
                results.append(WriteResult(key=item.key, skipped=READ_ONLY_FIELD))
                continue
            sobject = convert.FIELD_OBJECTS[definition.object]
            name = convert.key_to_api_name(definition.key)
            if sobject not in present:
                present[sobject] = set(self.client.field_names(sobject))
            if name not in present[sobject]:
                creates.setdefault(
                    f"{sobject}.{name}",
                    ToolingCreate(
                        "CustomField",
                        convert.field_metadata(definition),
                        f"create field {sobject}.{name}",
                    ),
                )
                waiting[len(results)] = f"{sobject}.{name}"
                results.append(None)
                continue
            target_id = f"{sobject}.{name}"
            matched = self._adopts(Kind.FIELD, target_id)  # not one prepare created
            results.append(WriteResult(key=item.key, target_id=target_id, matched=matched))
        outcomes = dict(zip(creates, self._create_tooling(list(creates.values())), strict=True))
        for index, full in waiting.items():
            outcome = outcomes[full]
            if isinstance(outcome, RecordError):
                results[index] = refused(batch[index], outcome)
                continue
            grown.add(full.split(".")[0])
            results[index] = WriteResult(key=batch[index].key, target_id=full)
        for sobject in grown:
            self.client.forget_describe(sobject)  # the new fields are read at the next use
        return [r for r in results if r is not None]

    def _create_tooling(self, creates: Sequence[ToolingCreate]) -> list[str | RecordError]:
        """Tooling creates 25 a composite call (``tooling_composite.py``). When an answer is
        lost the org may hold some of them now: its describes are read again before anything
        else."""
        if not creates:
            return []
        try:
            return create_tooling_records(self.client, creates)
        except (TransientError, WriteOutcomeUnknown):
            self.client.forget_describe()
            raise

    def _note_field(self, definition: FieldDef) -> None:
        """Remember a lookup field's kind: its values are written as target ids."""
        if definition.type is FieldType.LOOKUP and definition.references is not None:
            self._lookups.setdefault(definition.object, {})[definition.key] = definition.references

    @guarded
    def _lookup_keys(self, owner: FieldObject) -> dict[str, Kind]:
        """Field key → the kind its values name, for the lookup fields of ``owner``'s sObject:
        those the migration's definitions named, and the org's custom Lookup fields to an
        object a kind lands on (what an earlier run created)."""
        found: dict[str, Kind] = {}
        kinds = {sobject: kind for kind, sobject in convert.LOOKUP_OBJECTS.items()}
        for name, data in self.client.field_names(convert.FIELD_OBJECTS[owner]).items():
            targets = data.get("referenceTo") or []
            if data.get("custom") and data.get("type") == "reference" and len(targets) == 1:
                kind = kinds.get(str(targets[0]))
                if kind is not None:
                    found[convert.api_name_to_key(name)] = kind
        return found | self._lookups.get(owner, {})

    @guarded
    def _audit_fields(self) -> bool:
        """Whether the org takes original authors and times (``CreatedDate`` createable)."""
        if self._audit is None:
            created = self.client.field_names("Case").get("CreatedDate") or {}
            self._audit = bool(created.get("createable"))
            if not self._audit:
                log.info("salesforce: no audit-field permission; originals kept in fields")
        return self._audit

    # -- accounts, contacts, agents ------------------------------------------------------

    def _write_accounts(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        allowed = self.client.field_names("Account")
        lookups = self._lookup_keys(FieldObject.ORGANIZATION)
        return self._upsert(
            "Account",
            batch,
            lambda o: convert.account_payload(o, allowed=allowed, lookups=lookups),
        )

    @guarded
    def _note_people(self, batch: Sequence[Outgoing]) -> None:
        for item in batch:
            person = item.record
            if isinstance(person, User):
                self._people.setdefault(person.id, set()).add(person.role is not Role.END_USER)

    @guarded
    def _person_record_type(self) -> str | None:
        """The org's Person Account record type when it has Person Accounts (Account's
        describe lists ``IsPersonAccount``; Object Reference, "Person Account Record Types"),
        else None; read once."""
        if self._person_type is None:
            self._person_type = ""
            if "IsPersonAccount" in self.client.field_names("Account"):
                rows = self.client.query(
                    "SELECT Id FROM RecordType WHERE SobjectType = 'Account'"
                    " AND IsPersonType = true AND IsActive = true"
                )
                self._person_type = str(rows[0]["Id"]) if rows else ""
        return self._person_type or None

    def _is_person(self, item: Outgoing) -> bool:
        """Whether an end user is written as a Person Account: the org has them and the user
        belongs to no organization."""
        person = item.record
        return (
            isinstance(person, User)
            and person.role is Role.END_USER
            and person.organization is None
            and self._person_record_type() is not None
        )

    def _persons_by_email(self, batch: Sequence[Outgoing]) -> dict[str, tuple[str, str]]:
        """Person Accounts the org holds already, by lower-cased ``PersonEmail``: (the
        Account's ``Cemigrate_Id__c`` or "", its ``PersonContactId``); 200 e-mails a query."""
        emails = [
            str(o.record.email).strip().lower()
            for o in batch
            if isinstance(o.record, User) and o.record.email
        ]
        found: dict[str, tuple[str, str]] = {}
        # before the first run's setup (a dry run) the Account has no external id field yet
        key = f", {EXTERNAL_ID}" if EXTERNAL_ID in self.client.field_names("Account") else ""
        for row in self.client.query_in(
            f"SELECT Id, PersonEmail, PersonContactId{key} FROM Account",
            "PersonEmail",
            emails,
            extra="IsPersonAccount = true",
        ):
            email = str(row.get("PersonEmail") or "").lower()
            if email and row.get("PersonContactId"):
                found.setdefault(
                    email, (str(row.get(EXTERNAL_ID) or ""), str(row["PersonContactId"]))
                )
        return found

    def _adopted(self, item: Outgoing, held: Mapping[str, tuple[str, str]]) -> WriteResult | None:
        """The person the org already has with this end user's e-mail, unless it carries
        another source key (then this one is created)."""
        person = item.record
        assert isinstance(person, User)
        found = held.get((person.email or "").strip().lower())
        if found is None or found[0] not in ("", item.external_id):
            return None
        if found[0] == item.external_id:
            return None  # written by an earlier run: the upsert updates it
        return WriteResult(key=item.key, target_id=found[1], matched=True)

    def _write_persons(self, batch: Sequence[Outgoing]) -> list[WriteResult]:
        """End users as Person Accounts: one the org has with the same ``PersonEmail`` is
        adopted (matched), the others upserted by the Account's ``Cemigrate_Id__c``; each
        one's target id is its ``PersonContactId`` (queried after the upsert, 200 a query),
        so cases name it in ``ContactId``."""
        record_type = self._person_record_type()
        assert record_type is not None
        held = self._persons_by_email(batch)
        answers: dict[int, WriteResult] = {}
        sending: list[int] = []
        for index, item in enumerate(batch):
            adopted = self._adopted(item, held)
            if adopted is not None:
                answers[index] = adopted
            else:
                sending.append(index)
        allowed = self.client.field_names("Contact")
        lookups = self._lookup_keys(FieldObject.USER)
        accounts = self._upsert(
            "Account",
            [batch[i] for i in sending],
            lambda o: convert.person_account_payload(
                o, record_type=record_type, allowed=allowed, lookups=lookups
            ),
            bulk=self._bulk(len(sending)),
        )
        contacts = {
            str(r["Id"])[:15]: str(r.get("PersonContactId") or "")
            for r in self.client.query_in(
                "SELECT Id, PersonContactId FROM Account",
                "Id",
                [r.target_id for r in accounts if r.ok and r.target_id],
            )
        }
        for index, result in zip(sending, accounts, strict=True):
            contact = contacts.get((result.target_id or "")[:15]) if result.ok else None
            answers[index] = (
                WriteResult(key=result.key, target_id=contact)
                if contact
                else result
                if not result.ok
                else WriteResult(
                    key=result.key,
                    error="salesforce made the person account without a person contact",
                    platform_message=f"no PersonContactId on {result.target_id}",
                )
            )
        return [answers[i] for i in range(len(batch))]

    def _write_users(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        self._note_people(batch)
        answers: dict[int, WriteResult] = {}
        persons = [i for i, o in enumerate(batch) if self._is_person(o)]
        if persons:
            answers.update(
                zip(persons, self._write_persons([batch[i] for i in persons]), strict=True)
            )
        people = [i for i, o in enumerate(batch) if _role(o) is Role.END_USER and i not in answers]
        allowed = self.client.field_names("Contact")
        lookups = self._lookup_keys(FieldObject.USER)
        contacts = self._upsert(
            "Contact",
            [batch[i] for i in people],
            lambda o: convert.contact_payload(o, allowed=allowed, lookups=lookups),
            bulk=self._bulk(len(people)),
        )
        answers.update(zip(people, contacts, strict=True))
        agents = [i for i in range(len(batch)) if i not in answers]
        marks: list[tuple[int, dict[str, Any]]] = []
        for index in agents:
            item = batch[index]
            answer = self._agent_answer(item)
            if answer.ok and self._is_own_user(item, answer.target_id):
                # the agent's own User carries its source key (the fallback's does not)
                marks.append((index, {"Id": answer.target_id, EXTERNAL_ID: item.external_id}))
            else:
                answers[index] = answer
        if marks:
            results = self.client.update("User", [m for _, m in marks])
            for (index, mark), result in zip(marks, results, strict=True):
                answers[index] = (
                    WriteResult(key=batch[index].key, target_id=str(mark["Id"]), matched=True)
                    if result.get("success")
                    else _failed(batch[index], result)
                )
        return [answers[i] for i in range(len(batch))]

    def _is_own_user(self, item: Outgoing, user_id: str | None) -> bool:
        """Whether ``user_id`` is the User with the agent's own e-mail (not the fallback)."""
        person = item.record
        assert isinstance(person, User)
        return self._user_table().get((person.email or "").strip().lower()) == user_id

    def _agent_answer(self, item: Outgoing) -> WriteResult:
        """An agent is a User already there (licences): the one with its e-mail, else the
        fallback agent, else a failure naming the e-mail. Reads the org's Users once."""
        person = item.record
        assert isinstance(person, User)
        table = self._user_table()
        email = (person.email or "").strip().lower()
        user_id = table.get(email)
        if user_id is None and self.fallback_agent_email:
            user_id = table.get(self.fallback_agent_email.lower())
        if user_id is not None:
            return WriteResult(key=item.key, target_id=user_id, matched=True)
        return WriteResult(
            key=item.key,
            error=f"no Salesforce user has the agent's e-mail {email or '(none)'}; "
            "cemigrate never creates users (licences): create one, or name a "
            "fallback_agent_email in the plan",
            platform_message="agent not matched",
        )

    def foresee(self, kind: Kind, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """Agents: the User with their e-mail, the fallback agent, or the failure the write
        gives (one query of the org's Users for the whole dry run). Contacts are upserted by
        their source key, so they are created: None."""
        if kind is Kind.TICKET_FORM:
            return self._foresee_forms(batch)
        if kind is Kind.TICKET:
            return self._foresee_tickets(batch)
        if kind is not Kind.USER:
            return [None] * len(batch)
        self._note_people(batch)
        persons = [item for item in batch if self._is_person(item)]
        held = self._persons_by_email(persons) if persons else {}
        return [
            (self._adopted(item, held) if self._is_person(item) else None)
            if _role(item) is Role.END_USER
            else self._agent_answer(item)
            for item in batch
        ]

    def _foresee_forms(self, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """A form an active Case record type names is matched to it (noted for the dry run's
        tickets); the others are labels, written."""
        answers: list[WriteResult | None] = []
        for item in batch:
            form = item.record
            assert isinstance(form, TicketForm)
            record_type = self._record_type_named(form.name.strip())
            if record_type is None:
                answers.append(None)
                continue
            self._form_types[form.id] = record_type
            answers.append(WriteResult(key=item.key, target_id=record_type, matched=True))
        return answers

    def _foresee_tickets(self, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """A ticket whose form is a record type and whose status, priority, type, channel or
        custom picklist value that record type does not make available: the refusal the
        write gives."""
        answers: list[WriteResult | None] = []
        for item in batch:
            ticket = item.record
            record_type = (
                self._form_types.get(ticket.form.id)
                if isinstance(ticket, Ticket) and ticket.form is not None
                else None
            )
            problem = (
                self._picklist_problem(ticket, record_type)
                if record_type is not None and isinstance(ticket, Ticket)
                else None
            )
            answers.append(None if problem is None else refused(item, problem))
        return answers

    @guarded
    def _user_table(self) -> dict[str, str]:
        """The org's Users by lower-cased e-mail (active first); read once."""
        if self._users is None:
            self._users = {}
            rows = self.client.query(
                "SELECT Id, Email, IsActive FROM User WHERE UserType = 'Standard'"
            )
            for row in sorted(rows, key=lambda r: not r.get("IsActive")):
                email = str(row.get("Email") or "").lower()
                if email:
                    self._users.setdefault(email, str(row["Id"]))
        return self._users

    # -- queues and memberships ------------------------------------------------------------

    @guarded
    def _queue_table(self) -> dict[str, str]:
        if self._queues is None:
            rows = self.client.query("SELECT Id, DeveloperName FROM Group WHERE Type = 'Queue'")
            self._queues = {str(r["DeveloperName"]): str(r["Id"]) for r in rows}
            self._note_held(Kind.GROUP, self._queues.values())
        return self._queues

    def _write_queues(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        table = self._queue_table()
        answers: dict[int, WriteResult] = {}
        new: list[tuple[int, str, dict[str, Any]]] = []
        for index, item in enumerate(batch):
            team = item.record
            assert isinstance(team, Group)
            developer = _developer_name(team.name)
            if developer in table:
                found = table[developer]
                matched = self._adopts(Kind.GROUP, found)
                answers[index] = WriteResult(key=item.key, target_id=found, matched=matched)
            elif any(d == developer for _, d, _ in new):
                answers[index] = WriteResult(
                    key=item.key,
                    error="two groups share one queue name",
                    platform_message=developer,
                )
            else:
                new.append(
                    (
                        index,
                        developer,
                        {"Name": team.name[:40], "DeveloperName": developer, "Type": "Queue"},
                    )
                )
        created = self.client.create("Group", [body for _, _, body in new]) if new else []
        routes: list[dict[str, Any]] = []
        for (index, developer, _), result in zip(new, created, strict=True):
            if result.get("success"):
                table[developer] = str(result["id"])
                answers[index] = WriteResult(key=batch[index].key, target_id=str(result["id"]))
                routes.append({"QueueId": str(result["id"]), "SobjectType": "Case"})
            else:
                answers[index] = _failed(batch[index], result)
        if routes:
            for route, result in zip(
                routes, self.client.create("QueueSobject", routes), strict=True
            ):
                if not result.get("success"):
                    log.warning(
                        "salesforce: queue %s takes no cases: %s",
                        route["QueueId"],
                        error_message(result.get("errors")),
                    )
        return [answers[i] for i in range(len(batch))]

    def _write_members(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        if self._members is None:
            rows = self.client.query("SELECT Id, GroupId, UserOrGroupId FROM GroupMember")
            self._members = {
                (str(r["GroupId"]), str(r["UserOrGroupId"])): str(r["Id"]) for r in rows
            }
            self._note_held(Kind.GROUP_MEMBERSHIP, self._members.values())
        members = self._members
        answers: dict[int, WriteResult] = {}
        new: list[tuple[int, tuple[str, str]]] = []
        for index, item in enumerate(batch):
            membership = item.record
            assert isinstance(membership, GroupMembership)
            group = item.links.get(membership.group)
            person = item.links.get(membership.user)
            if group is None or person is None:
                missing = membership.group if group is None else membership.user
                answers[index] = WriteResult(
                    key=item.key,
                    error="salesforce group membership: a side is not in the target",
                    platform_message=f"{missing} is not in the target",
                )
            elif (group, person) in members:
                found = members[(group, person)]
                matched = self._adopts(Kind.GROUP_MEMBERSHIP, found)
                answers[index] = WriteResult(key=item.key, target_id=found, matched=matched)
            elif not person.startswith("005"):
                answers[index] = WriteResult(
                    key=item.key,
                    error="salesforce group membership: only users can join a queue",
                    platform_message=f"{membership.user} is not a User",
                )
            else:
                new.append((index, (group, person)))
        bodies = [{"GroupId": g, "UserOrGroupId": u} for _, (g, u) in new]
        for (index, pair), result in zip(
            new, self.client.create("GroupMember", bodies) if bodies else [], strict=True
        ):
            if result.get("success"):
                members[pair] = str(result["id"])
                answers[index] = WriteResult(key=batch[index].key, target_id=str(result["id"]))
            else:
                answers[index] = _failed(batch[index], result)
        return [answers[i] for i in range(len(batch))]

    # -- labels, schedules and account relations ------------------------------------------

    def _write_labels(
        self, batch: Sequence[Outgoing], files: FileSource, kind: Kind = Kind.BRAND
    ) -> list[WriteResult]:
        """No call: each record's label is its target id (see :data:`_LABELS`). A ticket form
        whose name is an active Case record type's ``Name`` or ``DeveloperName`` is that
        record type instead: its target id is the ``RecordTypeId`` (read once)."""
        label = _LABELS[kind]
        answers = []
        for item in batch:
            name = label(item.record).strip()
            record_type = self._record_type_named(name) if kind is Kind.TICKET_FORM else None
            answers.append(
                WriteResult(key=item.key, target_id=record_type, matched=True)
                if record_type is not None
                else WriteResult(key=item.key, target_id=name)
                if name
                else WriteResult(
                    key=item.key,
                    error=f"salesforce {kind}: a record without a name has no label",
                    platform_message="empty label",
                )
            )
        return answers

    @guarded
    def _case_record_types(self) -> dict[str, tuple[str, str]]:
        """The org's active Case record types: id → (Name, DeveloperName); read once.
        Record types cannot be created over REST (Object Reference: RecordType), so a ticket
        form is matched to one an admin made, never created."""
        if self._record_types is None:
            rows = self.client.query(
                "SELECT Id, Name, DeveloperName, IsActive FROM RecordType"
                " WHERE SobjectType = 'Case'"
            )
            self._record_types = {
                str(r["Id"]): (str(r.get("Name") or ""), str(r.get("DeveloperName") or ""))
                for r in rows
                if r.get("IsActive")
            }
        return self._record_types

    def _record_type_named(self, name: str) -> str | None:
        """The active Case record type a ticket form's name names (its ``Name``, or its
        ``DeveloperName``, case aside), or None."""
        wanted = {name.lower(), _developer_name(name).lower()}
        for id, (label, developer) in self._case_record_types().items():
            if label.lower() in wanted or developer.lower() in wanted:
                return id
        return None

    @guarded
    def _record_type_values(self, record_type: str) -> Mapping[str, frozenset[str]]:
        """Picklist field → the values available to a Case record type, from the UI API
        (``GET ui-api/object-info/Case/picklist-values/{recordTypeId}``, User Interface API
        Developer Guide, "Get Values for All Picklist Fields of a Record Type"); one call per
        record type, read once. Empty when the org does not answer it (nothing is checked)."""
        if record_type not in self._rt_values:
            try:
                body = self.client.rest(
                    f"ui-api/object-info/Case/picklist-values/{record_type}",
                    what=f"picklist values of record type {record_type}",
                )
            except RecordError as exc:
                log.warning(
                    "salesforce: no picklist values for record type %s (%s); not checked",
                    record_type,
                    exc.platform_message or exc,
                )
                body = {}
            fields = (body or {}).get("picklistFieldValues") or {}
            self._rt_values[record_type] = {
                str(name): frozenset(
                    str(v.get("value"))
                    for v in (entry.get("values") or [])
                    if isinstance(v, Mapping)
                )
                for name, entry in fields.items()
                if isinstance(entry, Mapping)
            }
        return self._rt_values[record_type]

    def _picklist_problem(self, ticket: Ticket, record_type: str) -> RecordError | None:
        """The first value of the ticket's case its record type does not make available,
        naming the value, the field and the record type; None when all are."""
        available = self._record_type_values(record_type)
        for field, values in convert.case_picklist_values(ticket, self._values).items():
            allowed = available.get(field)
            if allowed is None:
                continue
            for value in values:
                if value not in allowed:
                    name = self._case_record_types().get(record_type, (record_type, ""))[0]
                    return RecordError(
                        f"salesforce Case: {field} value {value!r} is not available for"
                        f" record type {name!r}",
                        platform_message=f"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: {field}",
                    )
        return None

    def _write_schedules(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Schedules as active BusinessHours (never the org's default), found by Name first so a
        re-run adopts what it made, and their holidays as all-day Holiday rows, found by name,
        date and the schedule's tag (``Description``). A schedule that opens twice a day is
        skipped under :data:`~.kept.UNEXPRESSIBLE_SCHEDULE`. Costs two queries a batch, one
        create call per 200 new BusinessHours and one per 200 new holidays."""
        names = [self._schedule(item).name[:80] for item in batch]
        found: dict[str, str] = {}
        for row in self.client.query_in("SELECT Id, Name FROM BusinessHours", "Name", names):
            found.setdefault(str(row["Name"]), str(row["Id"]))
        answers: dict[int, WriteResult] = {}
        new: list[tuple[int, dict[str, Any]]] = []
        for index, item in enumerate(batch):
            record = item.record
            assert isinstance(record, Schedule)
            declined = self.declines(Kind.SCHEDULE, record)
            if declined:
                answers[index] = WriteResult(key=item.key, skipped=declined)
                continue
            body = kept.business_hours_payload(record)
            if str(body["Name"]) in found:
                existing = found[str(body["Name"])]
                matched = existing not in self._made_schedules  # the org's own, not ours
                answers[index] = WriteResult(key=item.key, target_id=existing, matched=matched)
            else:
                new.append((index, body))
        created = self.client.create("BusinessHours", [b for _, b in new]) if new else []
        for (index, body), result in zip(new, created, strict=True):
            if result.get("success"):
                found[str(body["Name"])] = str(result["id"])
                self._made_schedules.add(str(result["id"]))
                answers[index] = WriteResult(key=batch[index].key, target_id=str(result["id"]))
            else:
                answers[index] = _failed(batch[index], result)
        held = [i for i, a in answers.items() if a.ok and a.target_id]
        tags = [kept.schedule_tag(self._schedule(batch[i])) for i in held]
        present = {
            (str(r.get("Description")), str(r.get("Name")), str(r.get("ActivityDate"))[:10])
            for r in self.client.query_in(
                "SELECT Id, Name, ActivityDate, Description FROM Holiday", "Description", tags
            )
        }
        wanted: list[tuple[int, dict[str, Any]]] = []
        for index in held:
            for body in kept.holiday_payloads(self._schedule(batch[index])):
                slot = (str(body["Description"]), str(body["Name"]), str(body["ActivityDate"]))
                if slot not in present:
                    present.add(slot)
                    wanted.append((index, body))
        results = self.client.create("Holiday", [b for _, b in wanted]) if wanted else []
        for (index, _), result in zip(wanted, results, strict=True):
            if not result.get("success") and answers[index].ok:
                answers[index] = WriteResult(
                    key=batch[index].key,
                    error="salesforce refused a holiday of the schedule",
                    platform_message=error_message(result.get("errors")),
                )
        return [answers[i] for i in range(len(batch))]

    @staticmethod
    def _schedule(item: Outgoing) -> Schedule:
        record = item.record
        assert isinstance(record, Schedule)
        return record

    def _retire_schedules(self, target_ids: Sequence[str]) -> None:
        """Rollback of schedules: BusinessHours switched off (Salesforce cannot delete them)
        and the holidays cemigrate made for them deleted."""
        ids = [i for i in target_ids if _SALESFORCE_ID.fullmatch(i)]
        if not ids:
            return
        rows = self.client.query_in("SELECT Id, Name FROM BusinessHours", "Id", ids)
        tags = [kept.schedule_tag(str(row["Name"])) for row in rows]
        holidays = [
            str(r["Id"])
            for r in self.client.query_in("SELECT Id FROM Holiday", "Description", tags)
        ]
        if holidays:
            self.client.delete(holidays)
        self.client.update("BusinessHours", [{"Id": str(r["Id"]), "IsActive": False} for r in rows])

    def _write_relations(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Organization memberships as AccountContactRelation rows, found by account and
        contact first: the default membership is the relation Salesforce made from the
        Contact's ``AccountId`` (direct), the others are created (and found again on a
        re-run). An agent's membership is skipped under :data:`AGENT_MEMBERSHIP`. Costs one
        query per 200 accounts (or contacts, when fewer) and one create call per 200 new
        relations."""
        answers: dict[int, WriteResult] = {}
        pairs: dict[int, tuple[str, str]] = {}
        for index, item in enumerate(batch):
            record = item.record
            assert isinstance(record, OrganizationMembership)
            account = item.links.get(record.organization)
            person = item.links.get(record.user)
            if account is None or person is None:
                missing = record.organization if account is None else record.user
                answers[index] = WriteResult(
                    key=item.key,
                    error="salesforce organization membership: a side is not in the target",
                    platform_message=f"{missing} is not in the target",
                )
            elif not person.startswith("003"):
                answers[index] = WriteResult(key=item.key, skipped=AGENT_MEMBERSHIP)
            else:
                pairs[index] = (account, person)
        contacts = list(dict.fromkeys(c for _, c in pairs.values()))
        accounts = list(dict.fromkeys(a for a, _ in pairs.values()))
        # By whichever side names fewer records (a help desk has far fewer organizations than
        # people): 200 ids a query, and the rows of other pairs are simply not used.
        column, ids = (
            ("AccountId", accounts) if len(accounts) < len(contacts) else ("ContactId", contacts)
        )
        present = {
            (str(r["AccountId"])[:15], str(r["ContactId"])[:15]): str(r["Id"])
            for r in self.client.query_in(
                "SELECT Id, AccountId, ContactId FROM AccountContactRelation", column, ids
            )
        }
        new: list[tuple[int, tuple[str, str]]] = []
        sending: set[tuple[str, str]] = set()
        for index, (account, contact) in pairs.items():
            slot = (account[:15], contact[:15])
            if slot in present:
                answers[index] = WriteResult(key=batch[index].key, target_id=present[slot])
            elif slot in sending:
                answers[index] = WriteResult(
                    key=batch[index].key,
                    error="two memberships relate one contact to one account",
                    platform_message=f"{contact} / {account}",
                )
            else:
                sending.add(slot)
                new.append((index, (account, contact)))
        bodies = [{"AccountId": a, "ContactId": c, "IsActive": True} for _, (a, c) in new]
        for (index, _), result in zip(
            new, self.client.create("AccountContactRelation", bodies) if bodies else [], strict=True
        ):
            answers[index] = (
                WriteResult(key=batch[index].key, target_id=str(result["id"]))
                if result.get("success")
                else _failed(batch[index], result)
            )
        return [answers[i] for i in range(len(batch))]

    # -- SLA history -------------------------------------------------------------------------

    def _write_custom(
        self, batch: Sequence[Outgoing], files: FileSource, sobject: str = ""
    ) -> list[WriteResult]:
        payload = (
            convert.sla_event_payload
            if sobject == "Cemigrate_Sla_Event__c"
            else convert.metrics_payload
        )
        return self._upsert(sobject, batch, payload, bulk=self._bulk(len(batch)))

    # -- tickets -----------------------------------------------------------------------------

    def _write_tickets(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        answers: dict[int, WriteResult] = {}
        taken: list[int] = []
        for index, item in enumerate(batch):
            declined = self.declines(Kind.TICKET, item.record)
            if declined:
                answers[index] = WriteResult(key=item.key, skipped=declined)
            else:
                taken.append(index)
        # No query first: the upsert's own answer says which cases were there already (an
        # earlier try wrote them), and only their children are looked up.
        existing: set[str] = set()
        cases = self._upsert_cases([batch[i] for i in taken], existing)
        written: list[tuple[int, str]] = []
        for index, result in zip(taken, cases, strict=True):
            if result.ok and result.target_id is not None:
                written.append((index, result.target_id))
            else:
                answers[index] = result
        if written:
            present = self._present_children(
                [cid for i, cid in written if batch[i].external_id in existing]
            )
            problems = self._write_children([(batch[i], cid) for i, cid in written], present, files)
            complete = [(i, cid) for i, cid in written if batch[i].external_id not in problems]
            flags = [{"Id": cid, "Cemigrate_Complete__c": True} for _, cid in complete]
            marked = (
                self.client.bulk_update("Case", flags)
                if self._bulk(len(flags))
                else [_outcome(r) for r in self.client.update("Case", flags)]
            )
            for (index, cid), mark in zip(complete, marked, strict=True):
                answers[index] = (
                    WriteResult(key=batch[index].key, target_id=cid)
                    if mark.target_id is not None and not mark.error
                    else _failed(batch[index], {"errors": [{"message": mark.error}]})
                )
            for index, _ in written:
                problem = problems.get(batch[index].external_id)
                if problem is not None:
                    answers[index] = WriteResult(
                        key=batch[index].key, error=problem[0], platform_message=problem[1]
                    )
        return [answers[i] for i in range(len(batch))]

    def _upsert_cases(self, batch: Sequence[Outgoing], existing: set[str]) -> list[WriteResult]:
        """Cases by external id: collections, or Bulk API 2.0 from ``bulk_threshold`` cases.
        Audit fields are insert-only: a case an earlier try created refuses them and goes
        again without. ``existing`` receives the external ids of cases that were there."""
        allowed = self.client.field_names("Case")
        lookups = self._lookup_keys(FieldObject.TICKET)
        record_types = (
            {id: names[0] for id, names in self._case_record_types().items()}
            if "RecordTypeId" in allowed
            else {}
        )
        known: set[str] = set()

        def payload(item: Outgoing) -> dict[str, Any]:
            audit = self._audit_fields() and item.external_id not in known
            body = convert.case_payload(
                item,
                allowed=allowed,
                audit=audit,
                values=self._values,
                record_types=record_types,
                lookups=lookups,
            )
            record_type = body.get("RecordTypeId")
            if isinstance(record_type, str) and isinstance(item.record, Ticket):
                problem = self._picklist_problem(item.record, record_type)
                if problem is not None:
                    raise problem
            return body

        created: set[int] = set()
        results = self._upsert("Case", batch, payload, bulk=self._bulk(len(batch)), created=created)
        refused_audit = [
            i
            for i, r in enumerate(results)
            if not r.ok
            and "INVALID_FIELD_FOR_INSERT_UPDATE" in r.platform_message
            and ("CreatedDate" in r.platform_message or "LastModifiedDate" in r.platform_message)
        ]
        if refused_audit and self._audit:
            # A case an earlier try created (its answer lost, the call sent again) takes no
            # audit fields any more: those go again without them. Otherwise the org lost (or
            # never had) the permission: the originals are kept in fields instead.
            known.update(
                str(r[EXTERNAL_ID])
                for r in self.client.query_in(
                    f"SELECT Id, {EXTERNAL_ID} FROM Case",
                    EXTERNAL_ID,
                    [batch[i].external_id for i in refused_audit],
                )
            )
            if any(batch[i].external_id not in known for i in refused_audit):
                log.warning(
                    "salesforce refused the audit fields (%s); originals kept in Cemigrate_*_At__c",
                    results[refused_audit[0]].platform_message,
                )
                self._audit = False
            again_created: set[int] = set()
            again = self._upsert(
                "Case", [batch[i] for i in refused_audit], payload, created=again_created
            )
            for position, (index, result) in enumerate(zip(refused_audit, again, strict=True)):
                results[index] = result
                if position in again_created:
                    created.add(index)
        existing.update(
            batch[i].external_id for i, r in enumerate(results) if r.ok and i not in created
        )
        return results

    def _insert_comments(self, bodies: Sequence[Mapping[str, Any]]) -> list[BulkResult]:
        """CaseComments (no external id: they are only inserted): a Bulk job for the rows that
        fit it from ``bulk_threshold`` rows, collections for the rest; one outcome per body."""
        outcomes: dict[int, BulkResult] = {}
        if self._bulk(len(bodies)):
            fitting = [i for i, body in enumerate(bodies) if bulk_fits(body)]
            results = self.client.bulk_insert(
                "CaseComment", [bodies[i] for i in fitting], key="ParentId"
            )
            outcomes.update(zip(fitting, results, strict=True))
        rest = [i for i in range(len(bodies)) if i not in outcomes]
        if rest:
            created = self.client.create("CaseComment", [bodies[i] for i in rest])
            outcomes.update(zip(rest, (_outcome(r) for r in created), strict=True))
        return [outcomes[i] for i in range(len(bodies))]

    def _present_children(self, case_ids: Sequence[str]) -> _Present:
        """What a re-sent ticket's case already holds: e-mails by external id, comments by
        (case, body), files by (linked record, name, size)."""
        present = _Present()
        if not case_ids:
            return present
        for row in self.client.query_in(
            f"SELECT Id, ParentId, {EXTERNAL_ID} FROM EmailMessage", "ParentId", case_ids
        ):
            present.emails[str(row.get(EXTERNAL_ID))] = str(row["Id"])
        for row in self.client.query_in(
            "SELECT Id, ParentId, CommentBody FROM CaseComment", "ParentId", case_ids
        ):
            present.comments[(str(row["ParentId"]), str(row.get("CommentBody") or ""))] += 1
        owners = [*case_ids, *present.emails.values()]
        links = self.client.query_in(
            "SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink",
            "LinkedEntityId",
            owners,
        )
        by_document = {str(r["ContentDocumentId"]): str(r["LinkedEntityId"]) for r in links}
        if by_document:
            for row in self.client.query_in(
                "SELECT ContentDocumentId, PathOnClient, ContentSize FROM ContentVersion",
                "ContentDocumentId",
                list(by_document),
            ):
                entity = by_document[str(row["ContentDocumentId"])]
                present.files[
                    (entity, str(row.get("PathOnClient")), int(row.get("ContentSize") or 0))
                ] += 1
        return present

    def _write_children(
        self, tickets: Sequence[tuple[Outgoing, str]], present: _Present, files: FileSource
    ) -> dict[str, tuple[str, str]]:
        """Comments and files of written cases; external id → (reason, Salesforce's message)
        for each ticket a child of which was refused."""
        audit = self._audit_fields()
        problems: dict[str, tuple[str, str]] = {}
        emails: list[tuple[str, Comment, dict[str, Any]]] = []
        notes: list[tuple[str, dict[str, Any]]] = []
        for item, case_id in tickets:
            record = item.record
            assert isinstance(record, Ticket)
            try:
                for comment in record.comments:
                    if convert.route(comment, self._routes) == "EmailMessage":
                        for body in convert.email_message_payloads(
                            item, comment, case_id=case_id, audit=audit
                        ):
                            if str(body[EXTERNAL_ID]) not in present.emails:
                                emails.append((item.external_id, comment, body))
                    else:
                        for body in convert.case_comment_payloads(
                            item, comment, case_id=case_id, audit=audit
                        ):
                            slot = (case_id, str(body["CommentBody"]))
                            if present.comments[slot] > 0:
                                present.comments[slot] -= 1
                            else:
                                notes.append((item.external_id, body))
            except RecordError as exc:
                problems[item.external_id] = (exc.reason, exc.platform_message)
        email_ids = dict(present.emails)
        sent_emails = [e for e in emails if e[0] not in problems]
        email_bodies = list(enumerate(b for _, _, b in sent_emails))
        sent_notes = [n for n in notes if n[0] not in problems]
        # E-mails and case comments need only their cases: their jobs run at once (a ticket
        # one of whose e-mails is refused may have its comments written; the next run counts
        # them as there, as after any interruption).
        jobs: list[Callable[[], list[BulkResult]]] = [
            lambda: self._send_upserts("EmailMessage", email_bodies, self._bulk(len(email_bodies))),
            lambda: self._insert_comments([b for _, b in sent_notes]),
        ]
        sent = self._at_once(lambda send: send(), jobs)
        errors = [answer for answer in sent if isinstance(answer, BaseException)]
        if errors:
            raise errors[0]
        email_outcomes, note_outcomes = cast("list[list[BulkResult]]", sent)
        for (owner, comment, body), outcome in zip(sent_emails, email_outcomes, strict=True):
            if outcome.target_id is not None and not outcome.error:
                email_ids[str(body[EXTERNAL_ID])] = outcome.target_id
            else:
                problems.setdefault(
                    owner, (f"salesforce refused e-mail comment {comment.id}", outcome.error)
                )
        for (owner, _), outcome in zip(sent_notes, note_outcomes, strict=True):
            if outcome.target_id is None or outcome.error:
                problems.setdefault(owner, ("salesforce refused a case comment", outcome.error))
        uploads = sum(
            len(c.attachments)
            for item, _ in tickets
            if item.external_id not in problems and isinstance(item.record, Ticket)
            for c in item.record.comments
        )
        log.info(
            "salesforce: %d cases and their comments written; uploading %d files",
            len(tickets),
            uploads,
        )
        sender = _Uploads(self, files, audit, problems)
        try:
            for item, case_id in tickets:
                if item.external_id in problems:
                    continue
                record = item.record
                assert isinstance(record, Ticket)
                for comment in record.comments:
                    home = case_id
                    if convert.route(comment, self._routes) == "EmailMessage":
                        home = email_ids.get(f"{item.external_id}:comment:{comment.id}", case_id)
                    for file in comment.attachments:
                        held = (home, file.file_name, file.size)
                        if present.files[held] > 0:
                            present.files[held] -= 1
                            continue
                        sender.add(item.external_id, file, comment, home)
            sender.flush()
        finally:
            sender.discard()
        return problems

    def _spool(self, file: Attachment, files: FileSource) -> tuple[Any, int]:
        """A file's bytes spooled to disk as they are read (so a retry can send them again),
        and their size; its SHA-256 is checked. The caller closes the spool."""
        if file.size > MAX_ATTACHMENT_BYTES:
            raise RecordError(
                f"attachment {file.file_name!r} is over Salesforce's 2 GB limit",
                platform_message="STORAGE_LIMIT_EXCEEDED",
            )
        digest = hashlib.sha256()
        size = 0
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - the caller closes it
            _SPOOL_IN_MEMORY, dir=str(private_dir())
        )
        try:
            with files.open_attachment(file) as stream:
                while chunk := stream.read(1 << 16):
                    digest.update(chunk)
                    size += len(chunk)
                    spool.write(chunk)
            if file.sha256 is not None and digest.hexdigest() != file.sha256:
                raise RecordError(
                    f"attachment {file.file_name!r} changed on its way (SHA-256 differs)",
                    platform_message="checksum mismatch",
                )
        except BaseException:
            spool.close()
            raise
        return spool, size

    @staticmethod
    def _file_entity(file: Attachment, comment: Comment, home: str, audit: bool) -> dict[str, Any]:
        """The ContentVersion fields of one file linked to ``home`` (``FirstPublishLocationId``
        links it: no ContentDocumentLink call)."""
        entity: dict[str, Any] = {
            "Title": file.file_name[:255],
            "PathOnClient": file.file_name,
            "FirstPublishLocationId": home,
            "Description": f"cemigrate: comment at {convert.format_time(comment.created_at)}",
        }
        if audit:
            entity["CreatedDate"] = convert.format_time(comment.created_at)
        return entity

    def _upload(
        self, file: Attachment, comment: Comment, home: str, files: FileSource, audit: bool
    ) -> None:
        """One file as a multipart ContentVersion linked to ``home`` (never base64 JSON)."""
        spool, size = self._spool(file, files)
        with spool:
            self.client.upload_content_version(
                self._file_entity(file, comment, home, audit),
                MultipartFile(spool, size, file.file_name, file.content_type),
            )

    # -- rules: record-triggered flows (Tooling API) ---------------------------------------

    def _write_rules(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Business rules as record-triggered flows saved **Draft**; find-or-create by the
        flow's API name, so a re-run adopts what it made. Costs one Tooling composite call per
        25 new flows, plus one Tooling query per 200 new flows for their definitions' ids (and
        one query of the org's flows, read once). A partial translation is written without its
        gaps; a rule a flow cannot express is skipped under :data:`UNTRANSLATABLE_RULE`."""
        table = self._flow_table()
        options = self.rule_field_options()
        answers: dict[int, WriteResult] = {}
        created: dict[int, str] = {}
        creates: dict[int, ToolingCreate] = {}
        for index, item in enumerate(batch):
            rule = item.record
            assert isinstance(rule, Rule)
            done = translate(
                rule,
                source=dialect_of(rule),
                target=SALESFORCE_RULES,
                links=item.links,
                mapping=self._values,
                options=self._options,
                target_options=options,
            )
            if done.status is TranslationStatus.UNTRANSLATED:
                answers[index] = WriteResult(
                    key=item.key, skipped=f"{UNTRANSLATABLE_RULE}: {done.reason}"
                )
                continue
            name = str(done.payload["FullName"])
            found = table.get(name.lower())
            if found is not None:
                matched = self._adopts(Kind.RULE, found)
                answers[index] = WriteResult(key=item.key, target_id=found, matched=matched)
                continue
            creates[index] = ToolingCreate("Flow", dict(done.payload), f"create flow {name}")
        outcomes = self._create_tooling(list(creates.values()))
        for index, outcome in zip(creates, outcomes, strict=True):
            if isinstance(outcome, RecordError):
                answers[index] = refused(batch[index], outcome)
                continue
            created[index] = str(creates[index].body["FullName"])
        # The create answers the version's id; the definition's id is one query away.
        names = list(dict.fromkeys(created.values()))
        for start in range(0, len(names), COLLECTION_SIZE):
            chunk = names[start : start + COLLECTION_SIZE]
            for row in self.client.tooling_query(
                "SELECT Id, DeveloperName FROM FlowDefinition"
                f" WHERE DeveloperName IN {soql_list(chunk)}"
            ):
                table[str(row["DeveloperName"]).lower()] = str(row["Id"])
        for index, name in created.items():
            item = batch[index]
            found = table.get(name.lower())
            answers[index] = (
                WriteResult(key=item.key, target_id=found)
                if found is not None
                else WriteResult(
                    key=item.key,
                    error="salesforce saved the flow but does not list its definition",
                    platform_message=f"no FlowDefinition named {name}",
                )
            )
        return [answers[i] for i in range(len(batch))]

    @guarded
    def _flow_table(self) -> dict[str, str]:
        """FlowDefinition ids by DeveloperName (lower-cased); one Tooling query, read once."""
        if self._flows is None:
            self._flows = {
                str(row["DeveloperName"]).lower(): str(row["Id"])
                for row in self.client.tooling_query("SELECT Id, DeveloperName FROM FlowDefinition")
            }
            self._note_held(Kind.RULE, self._flows.values())
        return self._flows

    def _definitions(self, target_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """FlowDefinition rows by the id asked for (15 or 18 characters); 200 ids a query.
        A string that is no Salesforce id is never found (SOQL would refuse the whole query)."""
        ids = [i for i in dict.fromkeys(target_ids) if _SALESFORCE_ID.fullmatch(i)]
        asked = {i[:15]: i for i in ids}
        found: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(ids), COLLECTION_SIZE):
            chunk = soql_list(ids[start : start + COLLECTION_SIZE])
            for row in self.client.tooling_query(
                "SELECT Id, ActiveVersionId, LatestVersionId, LatestVersion.VersionNumber"
                f" FROM FlowDefinition WHERE Id IN {chunk}"
            ):
                key = asked.get(str(row["Id"])[:15])
                if key is not None:
                    found[key] = row
        return found

    def rule_field_options(self) -> dict[str, frozenset[str]]:
        """Case field id (``Case.Tier__c``) → the values of its picklist: what a flow's
        filters and assignments on the field may name."""
        return {
            definition.id: frozenset(o.value for o in definition.options)
            for definition in self._custom_fields(FieldObject.TICKET).values()
            if definition.options
        }

    def rule_switch(self) -> RuleSwitch:
        """The target itself: its flows, assignment rules and entitlement processes can be
        switched on."""
        return self

    def rule_states(self, target_ids: Sequence[str]) -> Mapping[str, bool]:
        """Whether each migrated flow is active (its definition has an active version), by
        FlowDefinition id, and each entitlement process (``entitlement_processes/…``); ids
        the org no longer has are absent. One Tooling query per 200 flows, one
        ``readMetadata`` per 10 processes."""
        processes = [t for t in target_ids if full_name_of(t) is not None]
        states: dict[str, bool] = dict(self._entitlements.states(processes)) if processes else {}
        flows = [t for t in target_ids if full_name_of(t) is None]
        states.update(
            {
                id: row.get("ActiveVersionId") is not None
                for id, row in self._definitions(flows).items()
            }
        )
        return states

    def activate_rules(self, target_ids: Sequence[str]) -> Mapping[str, str]:
        """Activate each flow's latest version (``PATCH FlowDefinition`` with
        ``activeVersionNumber``): ``""`` when done or already active, else Salesforce's
        message. One Tooling query per 200 ids, then one PATCH per flow to switch on.
        Entitlement processes (``entitlement_processes/…``) are switched on with ``active``
        true (``readMetadata`` and ``upsertMetadata``, 10 a call)."""
        processes = [t for t in target_ids if full_name_of(t) is not None]
        out: dict[str, str] = dict(self._entitlements.activate(processes)) if processes else {}
        flows = [t for t in target_ids if full_name_of(t) is None]
        rows = self._definitions(flows)
        for id in dict.fromkeys(flows):
            row = rows.get(id)
            if row is None:
                out[id] = f"NOT_FOUND: no FlowDefinition {id} in the org"
                continue
            latest = row.get("LatestVersion") or {}
            number = latest.get("VersionNumber") if isinstance(latest, Mapping) else None
            if row.get("ActiveVersionId") and row.get("ActiveVersionId") == row.get(
                "LatestVersionId"
            ):
                out[id] = ""
                continue
            if number is None:
                out[id] = f"flow {id} has no version to activate"
                continue
            try:
                self.client.rest(
                    f"tooling/sobjects/FlowDefinition/{row['Id']}",
                    method="PATCH",
                    json_body={"Metadata": {"activeVersionNumber": int(number)}},
                    what=f"activate flow {id}",
                )
            except RecordError as exc:
                out[id] = exc.platform_message or str(exc)
                continue
            out[id] = ""
        return out

    # -- SLA policies: entitlement processes (Metadata API) --------------------------------

    def _write_sla_policies(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """SLA policies as **inactive** entitlement processes with one milestone per metric
        and priority (``entitlements.py``): found by full name first, so a re-run adopts what
        it made; milestone types found by name or created once. A policy no process can
        express is skipped under :data:`UNTRANSLATABLE_SLA_POLICY`. Target ids are
        ``entitlement_processes/<fullName>``."""
        translations = []
        for item in batch:
            policy = item.record
            assert isinstance(policy, SlaPolicy)
            translations.append(
                translate_sla(
                    policy,
                    source=dialect_of(policy),
                    target=SALESFORCE_RULES,
                    links=item.links,
                    mapping=self._values,
                )
            )
        return self._entitlements.write(batch, translations)

    # -- helpers ---------------------------------------------------------------------------

    def _bulk(self, rows: int) -> bool:
        """Whether ``rows`` of one object in one write go through Bulk API 2.0 (from
        ``bulk_threshold`` rows: a job costs about five calls, collections one per 200)."""
        return rows >= self.bulk_threshold

    def _upsert(
        self,
        sobject: str,
        batch: Sequence[Outgoing],
        payload: Callable[[Outgoing], Mapping[str, Any]],
        *,
        bulk: bool = False,
        created: set[int] | None = None,
    ) -> list[WriteResult]:
        """Upsert by ``Cemigrate_Id__c``: one result per record, in order. With ``bulk``,
        the rows within Bulk API 2.0's limits go in a Bulk job, the others in collections;
        ``created`` receives the indexes of records the upsert created (not updated)."""
        answers: dict[int, WriteResult] = {}
        bodies: list[tuple[int, Mapping[str, Any]]] = []
        for index, item in enumerate(batch):
            try:
                bodies.append((index, payload(item)))
            except RecordError as exc:
                answers[index] = refused(item, exc)
        for (index, _), outcome in zip(
            bodies, self._send_upserts(sobject, bodies, bulk), strict=True
        ):
            item = batch[index]
            if outcome.target_id is not None and not outcome.error:
                answers[index] = WriteResult(key=item.key, target_id=outcome.target_id)
                if created is not None and outcome.created:
                    created.add(index)
            else:
                answers[index] = _failed(item, {"errors": [{"message": outcome.error or "failed"}]})
        return [answers[i] for i in range(len(batch))]

    def _send_upserts(
        self, sobject: str, bodies: Sequence[tuple[int, Mapping[str, Any]]], bulk: bool
    ) -> list[BulkResult]:
        """One outcome per body, in order: a Bulk job for the rows that fit it (``bulk``),
        collections for the rest."""
        outcomes: dict[int, BulkResult] = {}
        by_bulk = [i for i, (_, body) in enumerate(bodies) if bulk and bulk_fits(body)]
        if by_bulk:
            results = self.client.bulk_upsert(
                sobject, [bodies[i][1] for i in by_bulk], external_id=EXTERNAL_ID
            )
            outcomes.update(zip(by_bulk, results, strict=True))
        rest = [i for i in range(len(bodies)) if i not in outcomes]
        if rest:
            headers = _AUTO_ASSIGN_OFF if sobject == "Case" else None
            results_rest = self.client.upsert(
                sobject, [bodies[i][1] for i in rest], external_id=EXTERNAL_ID, headers=headers
            )
            outcomes.update(zip(rest, (_outcome(r) for r in results_rest), strict=True))
        return [outcomes[i] for i in range(len(bodies))]


class _Uploads:
    """The files of a write batch, sent several to a multipart sObject Collections request
    (up to :data:`FILES_PER_REQUEST` files and :data:`FILE_BATCH_BYTES` a request; a larger
    file goes alone as one multipart insert), several requests at once (as many as the
    target's calls may be under way: their spools are on disk meanwhile). A refused file marks
    its ticket's problem."""

    def __init__(
        self,
        target: SalesforceTarget,
        files: FileSource,
        audit: bool,
        problems: dict[str, tuple[str, str]],
    ) -> None:
        self.target = target
        self.files = files
        self.audit = audit
        self.problems = problems
        self.pending: list[tuple[str, Attachment, dict[str, Any], Any, int]] = []
        self.bytes = 0
        self.ready: list[list[tuple[str, Attachment, dict[str, Any], Any, int]]] = []
        """Full requests waiting to be sent together."""

    def add(self, owner: str, file: Attachment, comment: Comment, home: str) -> None:
        """Spool one file of ticket ``owner`` for the next request (or send it alone)."""
        if owner in self.problems:
            return
        entity = self.target._file_entity(file, comment, home, self.audit)
        try:
            spool, size = self.target._spool(file, self.files)
        except RecordError as exc:
            self.problems[owner] = (exc.reason, exc.platform_message)
            return
        if size > FILE_BATCH_BYTES:
            with spool:
                self._alone(owner, file, entity, spool, size)
            return
        if self.pending and (
            len(self.pending) >= FILES_PER_REQUEST or self.bytes + size > FILE_BATCH_BYTES
        ):
            self.ready.append(self.pending)
            self.pending, self.bytes = [], 0
            if len(self.ready) >= self.target.calls.limit():
                self._send_ready()
        self.pending.append((owner, file, entity, spool, size))
        self.bytes += size

    def _alone(
        self, owner: str, file: Attachment, entity: dict[str, Any], spool: Any, size: int
    ) -> None:
        try:
            self.target.client.upload_content_version(
                entity, MultipartFile(spool, size, file.file_name, file.content_type)
            )
        except RecordError as exc:
            self.problems.setdefault(owner, (exc.reason, exc.platform_message))

    def flush(self) -> None:
        """Send everything pending; the first error other than a refusal is raised once
        every request is back."""
        if self.pending:
            self.ready.append(self.pending)
            self.pending, self.bytes = [], 0
        self._send_ready()

    def discard(self) -> None:
        """Close the spools of files never sent (an error stopped the batch)."""
        for request in [*self.ready, self.pending]:
            for _, _, _, spool, _ in request:
                spool.close()
        self.ready, self.pending, self.bytes = [], [], 0

    def _send_ready(self) -> None:
        ready, self.ready = self.ready, []
        errors = [e for e in self.target._at_once(self._send, ready) if isinstance(e, Exception)]
        if errors:
            raise errors[0]

    def _send(self, pending: list[tuple[str, Attachment, dict[str, Any], Any, int]]) -> None:
        """One request, or one file at a time when the request as a whole is refused (each
        file's own answer then says which)."""
        try:
            if len(pending) == 1:
                owner, file, entity, spool, size = pending[0]
                self._alone(owner, file, entity, spool, size)
                return
            try:
                results = self.target.client.upload_content_versions(
                    [
                        (entity, MultipartFile(spool, size, file.file_name, file.content_type))
                        for _, file, entity, spool, size in pending
                    ]
                )
            except RecordError:
                for owner, file, entity, spool, size in pending:
                    self._alone(owner, file, entity, spool, size)
                return
            for (owner, file, _, _, _), result in zip(pending, results, strict=True):
                if not result.get("success"):
                    self.problems.setdefault(
                        owner,
                        (
                            f"salesforce refused the file {file.file_name!r}",
                            error_message(result.get("errors")),
                        ),
                    )
        finally:
            for _, _, _, spool, _ in pending:
                spool.close()


class _Present:
    """Children a case already has in the target (see ``_present_children``)."""

    def __init__(self) -> None:
        self.emails: dict[str, str] = {}
        self.comments: Counter[tuple[str, str]] = Counter()
        self.files: Counter[tuple[str, str, int]] = Counter()


def _role(item: Outgoing) -> Role:
    record = item.record
    return record.role if isinstance(record, User) else Role.END_USER


def _developer_name(name: str) -> str:
    """A queue's ``DeveloperName`` from its name: letters, digits and single underscores."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "Queue"
    if not slug[0].isalpha():
        slug = f"Q_{slug}"
    return slug[:40].rstrip("_")


def _object_metadata(sobject: str, label: str) -> dict[str, Any]:
    return {
        "FullName": sobject,
        "Metadata": {
            "label": label,
            "pluralLabel": f"{label}s",
            "nameField": {"type": "Text", "label": "Name"},
            "deploymentStatus": "Deployed",
            "sharingModel": "ReadWrite",
        },
    }


def _setup_metadata(field: SetupField) -> dict[str, Any]:
    meta: dict[str, Any] = {"label": field.label}
    if field.type == "Text":
        meta.update(type="Text", length=255)
        if field.external_id:
            meta.update(externalId=True, unique=True, caseSensitive=True)
    elif field.type == "LongTextArea":
        meta.update(type="LongTextArea", length=field.length or 32768, visibleLines=3)
    elif field.type == "Checkbox":
        meta.update(type="Checkbox", defaultValue="false")
    elif field.type == "Number":
        meta.update(type="Number", precision=18, scale=0)
    elif field.type == "Lookup":
        meta.update(
            type="Lookup",
            referenceTo=field.reference_to,
            relationshipName=field.sobject.removesuffix("__c").replace("Cemigrate_", "") + "s",
            deleteConstraint="SetNull",
        )
    else:
        meta["type"] = field.type
    return {"FullName": f"{field.sobject}.{field.name}", "Metadata": meta}


def _outcome(result: Mapping[str, Any]) -> BulkResult:
    """An sObject Collections result as a Bulk row's outcome."""
    if result.get("success") and result.get("id"):
        return BulkResult(target_id=str(result["id"]), created=bool(result.get("created")))
    return BulkResult(target_id=None, error=error_message(result.get("errors")) or "failed")


def _failed(item: Outgoing, result: Mapping[str, Any]) -> WriteResult:
    message = error_message(result.get("errors") or [])
    reason = "salesforce refused the record"
    if "DUPLICATE_EXTERNAL_ID" in message or "MULTIPLE" in message.upper():
        reason = "salesforce: the external id matches more than one record"
    return WriteResult(key=item.key, error=reason, platform_message=message or "failed")
