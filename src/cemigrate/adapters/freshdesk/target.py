"""Write the common schema into a Freshdesk account (API v2).

Freshdesk has no bulk create: a ticket is one ``POST /tickets`` (its first comment is the
description, its files in the same multipart call when they fit in 20 MB), then each later
comment in order, with its original author (``user_id``): an agent's public comment as a reply,
an end user's public comment as an ``incoming`` public note, a private comment as a private
note (``private`` always sent: a private comment never becomes public). Files that do not fit
their comment's 20 MB go on following private notes ``[cemigrate: attachments of comment N,
part i]``. Freshdesk sets every ``created_at`` itself: the original times are kept in
``cf_cemigrate_created_at`` / ``_updated_at`` / ``_solved_at`` and as the first line of each
conversation; the source's SLA history in ``cf_cemigrate_*`` fields and one private note.

Freshdesk cannot be told to skip automations on an API create: the dispatcher (type 1) runs
on every created ticket and the observer (type 4) on every reply and note. Notes notify no one
unless ``notify_emails`` is given (it never is); a *reply* e-mails the requester on a live
account, so ``replies_as_notes=True`` writes agents' public comments as public notes instead.
Turn dispatcher and observer rules off for the migration window where that matters.

A user suspended or deleted in the source is created as a contact and then soft-deleted
(``DELETE /contacts/{id}``): the only state the API sets that keeps a contact from signing in;
its tickets stay. Contacts carry the source key in ``unique_external_id``; tickets and
companies in the ``cemigrate_id`` field that :meth:`FreshdeskTarget.prepare` creates, found
again with the filter search. Agents are matched by e-mail, never created (they are paid
seats); with the mapping's ``users.unmatched_agents = "fallback"`` an agent with no match is
the ``fallback_agent_email`` agent, else it fails. A contact whose e-mail the account already
holds (Freshdesk answers 409 ``duplicate_value``) is adopted under ``users.match = "email"``:
found with ``GET /contacts?email=``, recorded as matched, and never changed by a later write
(only a contact holding the record's own source key is). Groups, memberships and fields are
find-or-create by their natural key. A ticket re-sent after a crash (found, so sent as an
update) gets only the conversations it lacks. A comment Freshdesk refuses after its ticket was
created deletes that ticket again, so the failure row can be re-driven without a duplicate.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import requests

from cemigrate.adapters.base import BatchWriter, PlatformTarget, guarded, one_by_one, refused
from cemigrate.adapters.contract import (
    Change,
    FileSource,
    Metadata,
    Needs,
    Outgoing,
    RuleSwitch,
    SlaHistory,
    WriteResult,
)
from cemigrate.adapters.freshdesk import convert, rollback
from cemigrate.adapters.freshdesk.client import FreshdeskClient, FreshdeskCredentials
from cemigrate.adapters.freshdesk.limits import FRESHDESK_PLANS
from cemigrate.adapters.freshdesk.objects import (
    BY_NAME,
    MAX_ATTACHMENT_BYTES,
    TARGET_CAPABILITIES,
)
from cemigrate.adapters.freshdesk.rules import FRESHDESK_RULES
from cemigrate.adapters.origin import ORIGIN_FIELD_DEF
from cemigrate.adapters.rule_dialects import dialect_of, untranslatable_reason
from cemigrate.adapters.sla_history import (
    SLA_HISTORY_FIELDS,
    is_sla_note,
    sla_history_fields,
    sla_history_note,
)
from cemigrate.adapters.transport import account_address
from cemigrate.errors import ConfigError, RecordError, TransientError, WriteOutcomeUnknown
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.rules.sla import (
    UNTRANSLATABLE_SLA_POLICY,
    translate_sla,
)
from cemigrate.rules.translate import (
    UNTRANSLATABLE_RULE,
    TranslationStatus,
    translate,
)
from cemigrate.schema import (
    Attachment,
    Brand,
    Comment,
    CustomStatus,
    FieldDef,
    FieldObject,
    FieldValue,
    Group,
    GroupMembership,
    JsonValue,
    Kind,
    Organization,
    OrganizationMembership,
    Role,
    Rule,
    SlaPolicy,
    SourceKey,
    Ticket,
    TicketForm,
    User,
    owner_ticket,
)

__all__ = [
    "AGENT_COMPANIES",
    "CONTACT_EXISTS",
    "EMAIL_TAKEN",
    "KEPT_OUT_COMPANIES",
    "NO_AGENT",
    "SCHEDULE_NOT_CREATABLE",
    "SLA_KEPT_IN_TICKET",
    "WRITABLE",
    "FreshdeskTarget",
]

log = logging.getLogger(__name__)

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
"""What this target takes (SLA events and metrics travel inside their ticket; brands, forms
and custom statuses are labels on their tickets; schedules are declined by a named policy)."""

_RULE_TYPES: Final = ("1", "3", "4")

SLA_KEPT_IN_TICKET: Final = (
    "kept-in-ticket: Freshdesk cannot set SLA history; the source's history is in the "
    "ticket's private note and cemigrate_* fields"
)
DELETED_TICKET: Final = "deleted-in-source: a deleted ticket is not migrated"
SCHEDULE_NOT_CREATABLE: Final = (
    "not-creatable: Freshdesk's API reads business hours (and their holidays) but cannot "
    "create them; set the schedule up in Admin > Business Hours"
)
KEPT_OUT_COMPANIES: Final = (
    "kept-out: the user is suspended or deleted in the source, so its contact is soft-deleted "
    "in Freshdesk, which refuses any change to it; it keeps the company it was created with"
)
AGENT_COMPANIES: Final = (
    "agent-not-contact: an agent is matched, not created as a contact, and keeps no companies"
)
NO_AGENT: Final = "no agent with this e-mail in the target (agents are not created)"
CONTACT_EXISTS: Final = (
    'a contact with this e-mail is in the target already (users.match = "none": not adopted)'
)
EMAIL_TAKEN: Final = (
    "the e-mail belongs to a user of the target that cannot be adopted "
    "(an agent, or a deleted or blocked contact)"
)

_FIELD_LISTS: Final[Mapping[FieldObject, tuple[str, str]]] = {
    FieldObject.TICKET: (BY_NAME["ticket_fields"].path, "/api/v2/admin/ticket_fields"),
    FieldObject.USER: (BY_NAME["contact_fields"].path, "/api/v2/contact_fields"),
    FieldObject.ORGANIZATION: (BY_NAME["company_fields"].path, "/api/v2/company_fields"),
}
"""Where each object's fields are listed, and where one is created."""
TICKET_TYPE: Final = "type"
"""The ticket attribute a ``ticket_type`` value is written to. A type the target's
``ticket_type`` field lacks fails its ticket with Freshdesk's own message (``type: It should be
one of these values``): the API reference documents ``choices`` on ``PUT
/api/v2/admin/ticket_fields/[id]`` for custom dropdowns only, so cemigrate adds no choice to
the default field."""
_SEARCH_QUERY_CHARS: Final = 500
"""Freshdesk allows 512 characters in a filter query (facts 3.2); some room for quoting."""


class FreshdeskTarget(PlatformTarget):
    """A Freshdesk account as a migration target."""

    platform = "freshdesk"
    concurrent = frozenset({Kind.TICKET, Kind.USER})
    """Tickets and contacts go several batches at a time (Freshdesk takes one record a call):
    each batch writes only its own records, what the target remembers of the account is read
    under a lock, and two users of one e-mail never fly together (the copier waits). Companies
    go one batch at a time: a name is unique, and a second of one name is adopted, not sent."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: FreshdeskCredentials,
        name: str = "target",
        plan: str = "enterprise",
        session: requests.Session | None = None,
        clock: Clock | None = None,
        replies_as_notes: bool = False,
    ) -> None:
        self.clock = clock or SystemClock()
        self.budgets: Budgets = budgets_for(FRESHDESK_PLANS, plan, clock=self.clock, prefix=name)
        self.client = FreshdeskClient(
            base_url=base_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(self.clock),
            session=session,
        )
        self.replies_as_notes = replies_as_notes
        """Write agents' public comments as public notes (no e-mail to the requester)."""
        self.batch_size: Mapping[Kind, int] = {
            kind: 1 if kind is Kind.TICKET else 100 if kind in _DECLINED else 20
            for kind in WRITABLE
        }
        self._fields: dict[tuple[FieldObject, str], tuple[FieldDef, str]] | None = None
        self._agents: dict[str, str] | None = None
        self._contacts: dict[str, tuple[str, str, bool]] | None = None
        """Contacts by lower-cased e-mail: id, ``unique_external_id`` and whether it is active
        (the dry run reads them once to foresee adoptions)."""
        self._fallback: str | None = None
        """The mapping's fallback agent e-mail, lower-cased (``unmatched_agents = "fallback"``)."""
        self._user_match = "email"
        """The mapping's ``users.match``: ``email`` adopts a contact already in the target."""
        self._company_state: dict[str, dict[str, Any]] = {}
        """Contact id → its ``company_id``, ``view_all_tickets``, ``other_companies`` and
        ``deleted`` as this run created or last updated it: a membership write needs no view
        of it (forgotten on a transient error; a resumed run views the contact)."""
        self._owner: str | None = None
        """The id of the agent the API key belongs to (read when first needed)."""
        self._groups: dict[str, tuple[str, list[int]]] | None = None
        self._companies: dict[str, str] | None = None
        self._rules: dict[tuple[str, str], str] | None = None
        self._sla_policies: dict[str, str] | None = None
        """SLA policy target ids (``sla_policies/<id>``) by name; read once."""
        self._values: Mapping[str, Mapping[str, str]] = {}
        self._options: Mapping[str, Mapping[str, str]] = {}
        """The mapping's option tables by source field id (from ``prepare``)."""
        self._defaults: dict[FieldObject, dict[str, Any]] = {}
        self._wanted: tuple[FieldDef, ...] = ()
        self._recalled = False
        self._unlocked: dict[str, str] = {}
        """Source key → a contact found after a crash, active: the re-sent create adopts it
        (and keeps it out if the user must be) instead of creating another."""
        self._partial: dict[str, str] = {}
        """Source key → a ticket created before a crash that lacks conversations: the next
        write of that key completes it instead of creating another."""

    # -- the contract --------------------------------------------------------------------------

    def account_url(self) -> str:
        """The account's address this target writes (its base URL)."""
        return account_address(self.client.base_url)

    def describe(self) -> Metadata:
        """What can be written, the account's custom fields and Freshdesk's size limits."""
        return Metadata(
            platform=self.platform,
            kinds=WRITABLE,
            fields=tuple(
                {
                    (definition.object, name): definition
                    for definition, name in self._field_table().values()
                    # Freshdesk's own fields, adopted, but for the type field (the dry run
                    # checks ticket_type values against its choices)
                    if not name.startswith(".") or name == f".{TICKET_TYPE}"
                }.values()
            ),
            limits={
                "attachment": MAX_ATTACHMENT_BYTES,
                "ticket_attachments": MAX_ATTACHMENT_BYTES,
            },
            values=convert.NATIVE_VALUES,
            default_values=convert.DEFAULT_VALUES,
            capabilities=TARGET_CAPABILITIES,
        )

    def prepare(self, needs: Needs, *, dry_run: bool) -> list[Change]:
        """Create the custom fields the mapping needs and cemigrate's own (source key, original
        times, SLA history, company tags, contacts' own external ids) that the account lacks.
        Idempotent."""
        self._values = needs.values
        self._options = needs.options
        self._user_match = needs.user_match
        self._fallback = (needs.fallback_agent_email or "").strip().lower() or None
        if self._fallback and self._fallback not in self._agent_table():
            raise ConfigError(
                f"users.fallback_agent_email: {needs.fallback_agent_email} is not an agent"
                " of the freshdesk target"
            )
        wanted = (
            *needs.fields,
            *convert.CEMIGRATE_TICKET_FIELDS,
            *convert.LABEL_FIELDS.values(),
            ORIGIN_FIELD_DEF,
            *SLA_HISTORY_FIELDS,
            *convert.CEMIGRATE_COMPANY_FIELDS,
            *convert.CEMIGRATE_CONTACT_FIELDS,
        )
        # Freshdesk names a created field after its label, so a later run (a resume) finds
        # the field by title only: remember which key it stands for.
        self._wanted = wanted
        if self._fields is not None:
            self._alias_wanted(self._fields)
        return self._create_fields(wanted, dry_run=dry_run)

    def _has_field(self, definition: FieldDef) -> bool:
        return self._field_named(definition) is not None

    def _forget_fields(self) -> None:
        self._fields = None
        self._recalled = False  # the table is read again: so are the source's fields

    def declines(self, kind: Kind, record: object) -> str:
        """The named policy under which this target will not take ``record`` ("" if none)."""
        if isinstance(record, Ticket) and record.deleted:
            return DELETED_TICKET
        if kind in _DECLINED:
            return SLA_KEPT_IN_TICKET
        if kind is Kind.SCHEDULE:
            return SCHEDULE_NOT_CREATABLE
        return untranslatable_reason(record, FRESHDESK_RULES, options=self._options)

    def rule_field_options(self) -> dict[str, frozenset[str]]:
        """Ticket field id → the choices of its dropdown: what a translated rule's conditions
        and actions on the field may name."""
        return {
            definition.id: frozenset(o.value for o in definition.options)
            for (owner, _), (definition, _) in self._field_table().items()
            if owner is FieldObject.TICKET and definition.options
        }

    def rule_field_names(self) -> dict[str, str]:
        """Ticket field id → its Freshdesk name (``cf_...``): what a translated rule's
        conditions and actions name."""
        return {
            definition.id: name
            for (owner, _), (definition, name) in self._field_table().items()
            if owner is FieldObject.TICKET and not name.startswith(".")
        }

    def _writers(self) -> Mapping[Kind, BatchWriter]:
        # Freshdesk writes one record a call; tickets go through their own batch writer.
        writers: dict[Kind, BatchWriter] = {
            Kind.FIELD: one_by_one(self._write_field),
            Kind.ORGANIZATION: one_by_one(self._write_company),
            Kind.USER: one_by_one(self._write_user),
            Kind.GROUP: one_by_one(self._write_group),
            Kind.GROUP_MEMBERSHIP: one_by_one(self._write_membership),
            Kind.TICKET: self._write_tickets,
            Kind.SLA_EVENT: one_by_one(self._write_declined),
            Kind.TICKET_METRICS: one_by_one(self._write_declined),
            Kind.RULE: one_by_one(self._write_rule),
            Kind.SLA_POLICY: one_by_one(self._write_sla_policy),
            Kind.BRAND: one_by_one(self._write_label),
            Kind.TICKET_FORM: one_by_one(self._write_label),
            Kind.CUSTOM_STATUS: one_by_one(self._write_label),
            Kind.SCHEDULE: one_by_one(self._write_schedule),
            Kind.ORGANIZATION_MEMBERSHIP: self._write_companies_of,
        }
        for kind, owner in _FIELD_OWNERS.items():
            writers[kind] = self._recalling(owner, writers[kind])
        return writers

    def _recalling(self, owner: FieldObject, write: BatchWriter) -> BatchWriter:
        """``write``, after the fields an earlier run created are known (:meth:`_recall_fields`)."""

        def batch(items: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
            lookups, names = self._lookups_of(owner, items, files)
            if lookups:  # held as text: the target's id (a group's name) through the links
                items = [convert.with_lookups(item, lookups, names) for item in items]
            return write(items, files)

        return batch

    @guarded
    def _lookups_of(
        self, owner: FieldObject, items: Sequence[Outgoing], files: FileSource
    ) -> tuple[dict[str, Kind], dict[str, str]]:
        """The owner's lookup fields (key → kind) after the recall, and the groups' names by
        id when one names groups (read under the tables' lock: another batch may be filing
        aliases)."""
        self._recall_fields(owner, items, files)
        table = self._field_table().items()
        lookups = convert.lookup_kinds({k: d for (o, k), (d, _) in table if o is owner})
        names: dict[str, str] = {}
        if Kind.GROUP in lookups.values():
            names = {g: name for name, (g, _) in self._group_table().items()}
        return dict(lookups), names

    def _forget(self) -> None:
        self._company_state.clear()
        self._fields = self._groups = self._companies = self._rules = None
        self._sla_policies = None
        self._recalled = False

    def find(self, kind: Kind, keys: Sequence[SourceKey]) -> dict[SourceKey, str]:
        """Target ids of records stored with these source keys: contacts by
        ``unique_external_id``, tickets and companies by a filter search on ``cemigrate_id``.
        Fields, groups and memberships have none: their writes find-or-create."""
        found: dict[SourceKey, str] = {}
        expected: dict[SourceKey, object] = {}
        if kind is Kind.USER:
            for key in keys:
                # A contact written but not yet kept out (a crash between the create and the
                # soft delete) is not reported: the re-sent create completes it, no new POST.
                active = self._contacts_of(key)
                if active:
                    self._unlocked[str(key)] = active
                    continue
                kept_out = self._contacts_of(key, state="deleted")
                if kept_out:
                    found[key] = kept_out
        elif kind in (Kind.TICKET, Kind.ORGANIZATION):
            what = "tickets" if kind is Kind.TICKET else "companies"
            owner = FieldObject.TICKET if kind is Kind.TICKET else FieldObject.ORGANIZATION
            name = self._names(owner).get("cemigrate_id")
            if name is None:
                return found  # prepare never ran: nothing of this kind was written
            term = name.removeprefix("cf_")
            for chunk in _query_chunks([str(k) for k in keys], term):
                query = " OR ".join(f"{term}:'{k}'" for k in chunk)
                for page in self.client.pages(
                    f"/api/v2/search/{what}", {"query": f'"{query}"'}, per_page=False
                ):
                    for data in page.records:
                        values = data.get("custom_fields") or data.get("custom_field") or {}
                        external = values.get(name)
                        if external in chunk and not data.get("deleted"):
                            key = SourceKey.parse(str(external))
                            ids = [found[key], str(data["id"])] if key in found else [data["id"]]
                            found[key] = str(min(int(i) for i in ids))
                            expected[key] = values.get(self._names(owner).get(_HELD, ""))
            if kind is Kind.TICKET:
                for key in list(found):
                    if not self._holds_all(found[key], expected.get(key)):
                        self._partial[str(key)] = found.pop(key)
        return found

    def _contacts_of(self, key: SourceKey, **params: str) -> str | None:
        """The lowest id of a contact holding ``key`` as ``unique_external_id`` (active ones,
        or those of ``state``)."""
        contacts = self.client.get_json("/api/v2/contacts", unique_external_id=str(key), **params)
        hits = [int(c["id"]) for c in contacts if c.get("unique_external_id") == str(key)]
        return str(min(hits)) if hits else None

    def _holds_all(self, ticket_id: str, expected: object) -> bool:
        """Whether a ticket found after a crash holds every conversation it was written with
        (one call per page of its conversations; only tickets pending at a crash are asked)."""
        try:
            wanted = int(str(expected))
        except ValueError:
            return True  # written before the count was kept: nothing to compare
        held = sum(
            len(page.records)
            for page in self.client.pages(f"/api/v2/tickets/{ticket_id}/conversations")
        )
        return held >= wanted

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        """Delete tickets, companies or contacts (rollback), with what goes with them
        (:mod:`cemigrate.adapters.freshdesk.rollback`); others are left for a person."""
        rollback.delete(self.client, kind, target_ids)

    def last_changed(self, kind: Kind, target_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """When tickets, contacts and companies were last changed (rollback)."""
        return rollback.last_changed(self.client, kind, target_ids)

    # -- kinds ---------------------------------------------------------------------------------

    def _write_field(self, item: Outgoing, files: FileSource) -> WriteResult:
        definition = item.record
        assert isinstance(definition, FieldDef)
        existing = self._field_named(definition)
        target = existing[0] if existing else self._create_field(definition)
        matched = _adopted(item, existing) or self._held_field(item, existing)
        return WriteResult(key=item.key, target_id=target.id, matched=matched)

    def _write_company(self, item: Outgoing, files: FileSource) -> WriteResult:
        """Company names are unique in Freshdesk: one that exists is adopted, not refused."""
        org = item.record
        assert isinstance(org, Organization)
        payload = convert.company_payload(item, self._names(FieldObject.ORGANIZATION))
        if item.target_id is not None:
            self.client.request("PUT", f"/api/v2/companies/{item.target_id}", json=payload)
            return WriteResult(key=item.key, target_id=item.target_id)
        companies = self._company_table()
        existing = companies.get(org.name.casefold())
        if existing is not None:
            matched = self._adopts(Kind.ORGANIZATION, existing)
            return WriteResult(key=item.key, target_id=existing, matched=matched)
        body = self.client.request("POST", "/api/v2/companies", json=payload).json()
        companies[org.name.casefold()] = str(body["id"])
        return WriteResult(key=item.key, target_id=str(body["id"]))

    def _write_user(self, item: Outgoing, files: FileSource) -> WriteResult:
        person = item.record
        assert isinstance(person, User)
        if person.role is not Role.END_USER:
            matched = self._match_agent(item, person)
            if matched.target_id is not None and not matched.error:
                self._update_agent(matched.target_id, person)
            return matched
        payload = convert.contact_payload(item, self._names(FieldObject.USER))
        keep_out = person.suspended or person.deleted
        if item.target_id is not None:
            return self._update_contact(item, payload, keep_out=keep_out)
        contact_id = self._unlocked.pop(str(item.key), None)
        created = contact_id is None
        if contact_id is None:
            try:
                body = self.client.request("POST", "/api/v2/contacts", json=payload).json()
            except RecordError as exc:
                if not _duplicate_email(exc):
                    raise
                return self._adopt(item, person, exc, keep_out=keep_out)
            contact_id = str(body["id"])
        if keep_out:
            self._lock_contact(contact_id)
        if created:
            self._company_state[contact_id] = {
                "company_id": payload.get("company_id"),
                "view_all_tickets": False,
                "other_companies": [],
                "deleted": keep_out,
            }
        return WriteResult(key=item.key, target_id=contact_id)

    def _adopt(
        self, item: Outgoing, person: User, refusal: RecordError, *, keep_out: bool
    ) -> WriteResult:
        """A contact whose e-mail the account holds already (409 ``duplicate_value``): under
        ``users.match = "email"`` the active contact with that e-mail (one call to find it,
        its e-mail compared again) is adopted as it is, neither changed nor kept out; one that
        holds this record's own source key was written before a crash and is completed."""
        if self._user_match != "email":
            raise RecordError(CONTACT_EXISTS, platform_message=refusal.platform_message)
        email = (person.email or "").strip().lower()
        contacts = self.client.get_json("/api/v2/contacts", email=email)
        hits = [c for c in contacts if str(c.get("email") or "").lower() == email]
        if not hits:  # an agent's e-mail, or a deleted or blocked contact's
            raise RecordError(EMAIL_TAKEN, platform_message=refusal.platform_message)
        contact = min(hits, key=lambda c: int(c["id"]))
        contact_id = str(contact["id"])
        if contact.get("unique_external_id") == item.external_id:
            if keep_out:
                self._lock_contact(contact_id)
            return WriteResult(key=item.key, target_id=contact_id)
        log.info(
            "freshdesk: %s adopts contact %s (same e-mail), left unchanged", item.key, contact_id
        )
        return WriteResult(key=item.key, target_id=contact_id, matched=True)

    def _lock_contact(self, contact_id: str) -> None:
        """Keep a user suspended or deleted in the source out of the account: a soft delete
        (``DELETE /contacts/{id}``), the only state the API sets that stops a contact from
        signing in to the portal (its mail goes to spam); its tickets stay. One call."""
        self.client.request("DELETE", f"/api/v2/contacts/{contact_id}")

    def _update_contact(
        self, item: Outgoing, payload: dict[str, JsonValue], *, keep_out: bool
    ) -> WriteResult:
        """Re-send a contact written before: its state first (one view), as Freshdesk answers
        405 to a change of a deleted contact. A contact kept out stays out and keeps what it
        was written with (restoring it to change it would let it in for a moment); one let
        back in by the source is restored, then changed."""
        contact_id = str(item.target_id)
        current = self.client.get_json(f"/api/v2/contacts/{contact_id}")
        if current.get("unique_external_id") != item.external_id:
            # adopted by e-mail (or shared with a user of another instance): not ours to change
            log.info(
                "freshdesk: contact %s is adopted: %s is not written over it", contact_id, item.key
            )
            return WriteResult(key=item.key, target_id=contact_id)
        if current.get("deleted"):
            if keep_out:
                log.info(
                    "freshdesk: contact %s is kept out: its changes are not written", contact_id
                )
                return WriteResult(key=item.key, target_id=contact_id)
            self.client.request("PUT", f"/api/v2/contacts/{contact_id}/restore")
        self.client.request("PUT", f"/api/v2/contacts/{contact_id}", json=payload)
        if keep_out and not current.get("deleted"):
            self._lock_contact(contact_id)
        return WriteResult(key=item.key, target_id=contact_id)

    def _match_agent(self, item: Outgoing, person: User) -> WriteResult:
        """Agents are paid seats: matched by e-mail, never created; one with no match is the
        fallback agent where the mapping names one, else it fails."""
        table = self._agent_table()
        email = (person.email or "").strip().lower()
        agent_id = table.get(email) if email else None
        if agent_id is None and self._fallback:
            agent_id = table.get(self._fallback)
        if agent_id is None:
            return WriteResult(
                key=item.key,
                error=NO_AGENT,
                platform_message=f"no agent {email or '(without e-mail)'}",
            )
        return WriteResult(key=item.key, target_id=agent_id, matched=True)

    def _update_agent(self, agent_id: str, person: User) -> None:
        """What Freshdesk keeps of an agent the source says something about: its ticket scope
        (:data:`convert.TICKET_SCOPES` from ``ticket_restriction``), its signature and whether
        it is occasional. One update, only when the matched agent is the person's own (not the
        fallback) and one of them is set; the API key's owner keeps its own scope (Freshdesk
        refuses to change it). The agent type is compared, never set: it decides the seat."""
        email = (person.email or "").strip().lower()
        if not email or self._agent_table().get(email) != agent_id:
            return  # the fallback agent stands in for someone else: left as it is
        update: dict[str, JsonValue] = {}
        if person.ticket_restriction is not None and agent_id != self._owner_id():
            update["ticket_scope"] = convert.ticket_scope(person.ticket_restriction)
        if person.signature:
            update["signature"] = person.signature
        if person.occasional:  # a full-time seat is every agent's default: no call for it
            update["occasional"] = True
        if update:
            try:
                self.client.request("PUT", f"/api/v2/agents/{agent_id}", json=update)
            except RecordError as exc:
                # The agent is matched all the same: its tickets must not fail for its scope.
                log.warning(
                    "freshdesk: agent %s keeps its scope and signature: %s",
                    agent_id,
                    exc.platform_message or exc.reason,
                )

    @guarded
    def _owner_id(self) -> str:
        """The id of the agent the API key belongs to (``/agents/me``); read once."""
        if self._owner is None:
            self._owner = str(self.client.get_json("/api/v2/agents/me")["id"])
        return self._owner

    def foresee(self, kind: Kind, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """What writing these users would answer: an agent matched, the fallback or failed
        (as :meth:`_match_agent`); a contact whose e-mail the account holds adopted when an
        active contact holds it, else failed (as :meth:`_adopt`). Reads the agents and the
        contacts (active, blocked, deleted) once: one call per 100 of each. A field the
        account holds is matched, as :meth:`_write_field` answers."""
        if kind is Kind.FIELD:
            return [self._foresee_field(item) for item in batch]
        if kind is not Kind.USER:
            return [None] * len(batch)
        answers: list[WriteResult | None] = []
        for item in batch:
            person = item.record
            assert isinstance(person, User)
            if person.role is not Role.END_USER:
                answers.append(self._match_agent(item, person))
                continue
            email = (person.email or "").strip().lower()
            held = self._contact_table().get(email)
            taken = held is not None or email in self._agent_table()
            if not email or item.target_id is not None or not taken:
                answers.append(None)
            elif held is not None and held[1] == item.external_id:
                answers.append(None)  # its own contact, written before
            elif self._user_match != "email":
                answers.append(WriteResult(key=item.key, error=CONTACT_EXISTS))
            elif held is not None and held[2]:
                answers.append(WriteResult(key=item.key, target_id=held[0], matched=True))
            else:
                answers.append(WriteResult(key=item.key, error=EMAIL_TAKEN))
        return answers

    def _foresee_field(self, item: Outgoing) -> WriteResult | None:
        definition = item.record
        assert isinstance(definition, FieldDef)
        existing = self._field_named(definition)
        if existing is None or not (_adopted(item, existing) or self._held_field(item, existing)):
            return None
        return WriteResult(key=item.key, target_id=existing[0].id, matched=True)

    def _held_field(self, item: Outgoing, existing: tuple[FieldDef, str] | None) -> bool:
        """Whether a custom field found for a definition is one the account held before the
        migration (not one ``prepare`` or an earlier batch created): adopted, so a rollback
        leaves it."""
        return (
            item.target_id is None
            and existing is not None
            and self._adopts(Kind.FIELD, existing[0].id)
        )

    @guarded
    def _contact_table(self) -> dict[str, tuple[str, str, bool]]:
        """Contacts by lower-cased e-mail: id, source key and whether it is active (neither
        blocked nor deleted: only those are adopted). Read once."""
        if self._contacts is None:
            self._contacts = {}
            for state in ("", "blocked", "deleted"):
                for page in self.client.pages(
                    "/api/v2/contacts", {"state": state} if state else {}
                ):
                    for c in page.records:
                        email = str(c.get("email") or "").lower()
                        if email:
                            self._contacts.setdefault(
                                email,
                                (str(c["id"]), str(c.get("unique_external_id") or ""), not state),
                            )
        return self._contacts

    def _write_group(self, item: Outgoing, files: FileSource) -> WriteResult:
        team = item.record
        assert isinstance(team, Group)
        groups = self._group_table()
        if team.name not in groups:
            payload: dict[str, JsonValue] = {"name": team.name}
            if team.description:
                payload["description"] = team.description
            body = self.client.request("POST", "/api/v2/groups", json=payload).json()
            groups[team.name] = (str(body["id"]), [int(a) for a in body.get("agent_ids") or ()])
        found = groups[team.name][0]
        return WriteResult(key=item.key, target_id=found, matched=self._adopts(Kind.GROUP, found))

    def _write_rule(self, item: Outgoing, files: FileSource) -> WriteResult:
        """A business rule, translated into an automation rule of type 1, 3 or 4 and created
        **inactive** (nothing fires on imported history); find-or-create by type and name. A
        partial translation is written without its gaps (the translation report lists them); a
        rule Freshdesk cannot express is skipped under :data:`UNTRANSLATABLE_RULE`."""
        rule = item.record
        assert isinstance(rule, Rule)
        names = self.rule_field_names()
        done = translate(
            rule,
            source=dialect_of(rule),
            target=FRESHDESK_RULES,
            links=item.links,
            mapping=self._values,
            field_names=names,
            options=self._options,
            target_options=self.rule_field_options(),
        )
        if done.status is TranslationStatus.UNTRANSLATED:
            return WriteResult(key=item.key, skipped=f"{UNTRANSLATABLE_RULE}: {done.reason}")
        table = self._rule_table()
        found = table.get((done.kind, rule.title))
        if found is None:
            body = self.client.request(
                "POST", f"/api/v2/automations/{done.kind}/rules", json=dict(done.payload)
            ).json()
            found = table[(done.kind, rule.title)] = f"automations/{done.kind}/{body['id']}"
        return WriteResult(key=item.key, target_id=found, matched=self._adopts(Kind.RULE, found))

    @guarded
    def _rule_table(self) -> dict[tuple[str, str], str]:
        """Automation rule target ids (``automations/<type>/<id>``) by (type, name); read
        once."""
        if self._rules is None:
            self._rules = {}
            for kind in _RULE_TYPES:
                for page in self.client.pages(f"/api/v2/automations/{kind}/rules"):
                    for data in page.records:
                        self._rules.setdefault(
                            (kind, str(data.get("name"))), f"automations/{kind}/{data['id']}"
                        )
            self._note_held(Kind.RULE, self._rules.values())
        return self._rules

    # -- SLA policies ----------------------------------------------------------------------------

    def _write_sla_policy(self, item: Outgoing, files: FileSource) -> WriteResult:
        """An SLA policy, translated (targets per priority in seconds, ``applicable_to`` ids
        remapped) and created **inactive** (``active: false``) with ``POST
        /api/v2/sla_policies``; find-or-create by name, so a re-run adopts what it made. A
        policy Freshdesk cannot express is skipped under :data:`UNTRANSLATABLE_SLA_POLICY`.
        Target ids are ``sla_policies/<id>``."""
        policy = item.record
        assert isinstance(policy, SlaPolicy)
        done = translate_sla(
            policy,
            source=dialect_of(policy),
            target=FRESHDESK_RULES,
            links=item.links,
            mapping=self._values,
        )
        if done.status is TranslationStatus.UNTRANSLATED:
            return WriteResult(key=item.key, skipped=f"{UNTRANSLATABLE_SLA_POLICY}: {done.reason}")
        table = self._sla_policy_table()
        found = table.get(policy.title)
        if found is None:
            body = self.client.request(
                "POST", "/api/v2/sla_policies", json=dict(done.payload)
            ).json()
            found = table[policy.title] = f"sla_policies/{body['id']}"
        matched = self._adopts(Kind.SLA_POLICY, found)
        return WriteResult(key=item.key, target_id=found, matched=matched)

    @guarded
    def _sla_policy_table(self) -> dict[str, str]:
        """SLA policy target ids by name; read once."""
        if self._sla_policies is None:
            self._sla_policies = {}
            for data in self._sla_policy_list():
                self._sla_policies.setdefault(str(data.get("name")), f"sla_policies/{data['id']}")
            self._note_held(Kind.SLA_POLICY, self._sla_policies.values())
        return self._sla_policies

    def _sla_policy_list(self) -> list[Mapping[str, Any]]:
        return [data for page in self.client.pages("/api/v2/sla_policies") for data in page.records]

    def _sla_policy_states(self, ids: Sequence[str]) -> dict[str, bool]:
        """Whether each SLA policy is active (its ``active`` flag), by target id
        (``sla_policies/<id>``); ids the account does not have are absent."""
        wanted = set(ids)
        return {
            f"sla_policies/{data['id']}": data.get("active") is True
            for data in self._sla_policy_list()
            if f"sla_policies/{data['id']}" in wanted
        }

    def _activate_sla_policies(self, ids: Sequence[str]) -> dict[str, str]:
        """Switch SLA policies on, one ``PUT /api/v2/sla_policies/{id}`` with ``active: true``
        each: target id → ``""`` when done, else Freshdesk's message."""
        results: dict[str, str] = {}
        for target_id in ids:
            policy_id = target_id.removeprefix("sla_policies/")
            try:
                self.client.request(
                    "PUT", f"/api/v2/sla_policies/{policy_id}", json={"active": True}
                )
            except RecordError as exc:
                results[target_id] = exc.platform_message or exc.reason
            else:
                results[target_id] = ""
        return results

    # -- switching rules on after cutover (RuleSwitch) -------------------------------------------

    def rule_switch(self) -> RuleSwitch:
        """The target itself: its automation rules and SLA policies can be switched on."""
        return self

    def rule_states(self, target_ids: Sequence[str]) -> dict[str, bool]:
        """Whether each rule is active, by target id (``automations/<type>/<id>``;
        ``sla_policies/<id>`` are SLA policies). One list read per automation type asked
        about; ids the account no longer has are absent."""
        by_type, policies, _ = _rule_ids(target_ids)
        states: dict[str, bool] = {}
        if policies:
            states.update(self._sla_policy_states(policies))
        for kind, ids in by_type.items():
            for page in self.client.pages(f"/api/v2/automations/{kind}/rules"):
                for data in page.records:
                    target_id = ids.get(str(data.get("id")))
                    if target_id is not None:
                        states[target_id] = data.get("active") is True
        return states

    def activate_rules(self, target_ids: Sequence[str]) -> dict[str, str]:
        """Switch rules on, one ``PUT /api/v2/automations/{type}/rules/{id}`` each (Freshdesk
        has no bulk update): target id → ``""`` when done, else Freshdesk's message."""
        by_type, policies, malformed = _rule_ids(target_ids)
        results = {
            t: f"{t!r} is not a Freshdesk rule id (automations/<type>/<id>)" for t in malformed
        }
        if policies:
            results.update(self._activate_sla_policies(policies))
        for kind, ids in by_type.items():
            for rule_id, target_id in ids.items():
                try:
                    self.client.request(
                        "PUT", f"/api/v2/automations/{kind}/rules/{rule_id}", json={"active": True}
                    )
                except RecordError as exc:
                    results[target_id] = exc.platform_message or exc.reason
                else:
                    results[target_id] = ""
        return results

    def _write_membership(self, item: Outgoing, files: FileSource) -> WriteResult:
        """An agent added to a group's ``agent_ids`` (the whole list is sent)."""
        membership = item.record
        assert isinstance(membership, GroupMembership)
        group_id = item.links.get(membership.group)
        agent_id = item.links.get(membership.user)
        if group_id is None or agent_id is None:
            missing = membership.group if group_id is None else membership.user
            raise RecordError(
                f"freshdesk membership: its {missing.kind} is not in the target",
                platform_message=f"{missing.kind} {missing.id} is not in the target",
            )
        if agent_id not in self._agent_table().values():
            raise RecordError(
                "freshdesk membership: only agents can be in a group",
                platform_message=f"user {membership.user.id} is not an agent in the target",
            )
        entry = next((g for g in self._group_table().values() if g[0] == group_id), None)
        members = list(entry[1]) if entry else []
        if int(agent_id) not in members:
            members.append(int(agent_id))
            body = self.client.request(
                "PUT", f"/api/v2/groups/{group_id}", json={"agent_ids": members}
            ).json()
            if entry is not None:
                entry[1][:] = [int(a) for a in body.get("agent_ids") or members]
        # An agent already in a group the account held: the account's own membership.
        found = f"{group_id}-{agent_id}"
        matched = self._adopts(Kind.GROUP_MEMBERSHIP, found)
        return WriteResult(key=item.key, target_id=found, matched=matched)

    def _write_label(self, item: Outgoing, files: FileSource) -> WriteResult:
        """A brand, ticket form or custom status: no Freshdesk record (the API cannot create
        products, ticket forms or status choices: ``docs/freshdesk.md``). Its name is its target
        id, which the tickets naming it carry in their label field
        (:data:`convert.LABEL_FIELDS`). No call."""
        record = item.record
        if isinstance(record, Brand | TicketForm):
            label = record.name
        else:
            assert isinstance(record, CustomStatus)
            label = record.agent_label
        if not label.strip():
            raise RecordError(
                f"freshdesk {item.key.kind}: it has no name to keep as a label",
                platform_message="empty name",
            )
        return WriteResult(key=item.key, target_id=label)

    def _write_schedule(self, item: Outgoing, files: FileSource) -> WriteResult:
        """Business hours cannot be created over the API: declined by a named policy."""
        return WriteResult(key=item.key, skipped=SCHEDULE_NOT_CREATABLE)

    def _write_companies_of(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """Organization memberships as contacts' companies. The default one is the contact's
        ``company_id``, written with the contact (no call). The others are the contact's
        ``other_companies``, which an update replaces as a whole: per contact of the batch one
        view (what it holds; none for a contact this run created or updated, whose state it
        remembers) and, when something is missing, one update with the union, so a re-sent
        membership is never added twice. Agents are not contacts here: skipped."""
        results: dict[SourceKey, WriteResult] = {}
        wanted: dict[str, list[tuple[Outgoing, str]]] = {}
        agents = set(self._agent_table().values())
        for item in batch:
            membership = item.record
            assert isinstance(membership, OrganizationMembership)
            contact_id = item.links.get(membership.user)
            company_id = item.links.get(membership.organization)
            if contact_id is None or company_id is None:
                missing = membership.user if contact_id is None else membership.organization
                results[item.key] = WriteResult(
                    key=item.key,
                    error=f"its {missing.kind} is not in the target",
                    platform_message=f"{missing.kind} {missing.id} is not in the target",
                )
            elif contact_id in agents:
                results[item.key] = WriteResult(key=item.key, skipped=AGENT_COMPANIES)
            else:
                wanted.setdefault(contact_id, []).append((item, company_id))
        for contact_id, items in wanted.items():
            state = self._company_state.get(contact_id)
            written = str(state.get("company_id") or "") if state else ""
            if written and all(
                company_id == written
                and isinstance(item.record, OrganizationMembership)
                and not item.record.view_tickets
                for item, company_id in items
            ):
                # Only the default membership, written with the contact just now: no call.
                results.update(
                    {
                        item.key: WriteResult(key=item.key, target_id=f"{contact_id}-{company_id}")
                        for item, company_id in items
                    }
                )
                continue
            try:
                results.update(self._add_companies(contact_id, items))
            except RecordError as exc:
                results.update({item.key: refused(item, exc) for item, _ in items})
        return [results[item.key] for item in batch]

    def _add_companies(
        self, contact_id: str, items: Sequence[tuple[Outgoing, str]]
    ) -> dict[SourceKey, WriteResult]:
        current = self._company_state.pop(contact_id, None)
        if current is None:
            current = dict(self.client.get_json(f"/api/v2/contacts/{contact_id}"))
        default = str(current.get("company_id") or "")
        others: list[dict[str, JsonValue]] = [
            {
                "company_id": int(o["company_id"]),
                "view_all_tickets": bool(o.get("view_all_tickets")),
            }
            for o in current.get("other_companies") or ()
        ]
        held = {str(o["company_id"]) for o in others}
        update: dict[str, JsonValue] = {}
        changing: set[SourceKey] = set()
        for item, company_id in items:
            membership = item.record
            assert isinstance(membership, OrganizationMembership)
            if company_id == default:
                if membership.view_tickets and not current.get("view_all_tickets"):
                    update["view_all_tickets"] = True
                    changing.add(item.key)
            elif not default:
                # Freshdesk takes other companies only beside a default one.
                update["company_id"] = default = company_id
                update["view_all_tickets"] = membership.view_tickets
                changing.add(item.key)
            elif company_id not in held:
                others.append(
                    {"company_id": int(company_id), "view_all_tickets": membership.view_tickets}
                )
                held.add(company_id)
                update["other_companies"] = list(others)
                changing.add(item.key)
        if update and current.get("deleted"):
            # Freshdesk answers 405 to a change of a deleted contact: a user kept out of the
            # account keeps the companies it was created with.
            return {
                item.key: WriteResult(key=item.key, skipped=KEPT_OUT_COMPANIES)
                if item.key in changing
                else WriteResult(key=item.key, target_id=f"{contact_id}-{company_id}")
                for item, company_id in items
            }
        if update:
            self.client.request("PUT", f"/api/v2/contacts/{contact_id}", json=update)
        self._company_state[contact_id] = {
            "company_id": int(default) if default else None,
            "view_all_tickets": update.get("view_all_tickets", current.get("view_all_tickets")),
            "other_companies": others,
            "deleted": current.get("deleted"),
        }
        return {
            item.key: WriteResult(key=item.key, target_id=f"{contact_id}-{company_id}")
            for item, company_id in items
        }

    def _write_declined(self, item: Outgoing, files: FileSource) -> WriteResult:
        """SLA events and metrics: inside their ticket when it is in the target."""
        ticket = owner_ticket(item.record)
        if ticket is not None and ticket not in item.links:
            return WriteResult(
                key=item.key,
                error="its ticket is not in the target",
                platform_message=f"ticket {ticket.id} is not in the target",
            )
        return WriteResult(key=item.key, skipped=SLA_KEPT_IN_TICKET)

    # -- tickets -------------------------------------------------------------------------------

    def _write_tickets(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        wanted = [o.record for o in batch if isinstance(o.record, Ticket) and not o.record.deleted]
        history: Mapping[str, SlaHistory] = files.sla_history(wanted)
        results = []
        for item in batch:
            record = item.record
            assert isinstance(record, Ticket)
            declined = self.declines(Kind.TICKET, record)
            if declined:
                # A ticket a killed run created in part, deleted in the source since: it stays
                # (nothing is deleted in the target), and the ledger learns its id.
                partial = self._partial.pop(str(item.key), None)
                results.append(WriteResult(key=item.key, skipped=declined, target_id=partial))
                continue
            try:
                results.append(self._write_ticket(item, record, files, history.get(record.id)))
            except RecordError as exc:
                results.append(refused(item, exc))
            except (TransientError, WriteOutcomeUnknown):
                self._fields = None
                raise
        return results

    def _write_ticket(
        self, item: Outgoing, record: Ticket, files: FileSource, sla: SlaHistory | None
    ) -> WriteResult:
        names = self._names(FieldObject.TICKET)
        later = [self._conversation(item, note) for note in record.comments[1:]]  # links first
        parts = [_fitting(note.attachments) for note in record.comments]  # sizes first
        expected = len(later) + sum(max(0, len(p) - 1) for p in parts) + (1 if sla else 0)
        stored: dict[str, FieldValue] = (
            dict(sla_history_fields(sla.metrics, sla.events)) if sla is not None else {}
        )
        stored["cemigrate_conversations"] = str(expected)
        payload = convert.ticket_payload(item, names, history=stored, values=self._values)
        partial = self._partial.pop(str(item.key), None)
        if item.target_id is None and partial is not None:
            # Created before a crash but not finished: complete it instead of creating again.
            item = attrs.evolve(item, target_id=partial)
        if item.target_id is not None:
            return self._complete(item, record, files, sla, payload, later, parts)
        first = parts[0][0] if parts and parts[0] else ()
        body = self._send("POST", "/api/v2/tickets", payload, first, files).json()
        ticket_id = str(body["id"])
        try:
            self._conversations(ticket_id, record, files, sla, later, parts, start=0)
        except RecordError:
            # Undo the half-written ticket, so a re-drive of the failure creates it once.
            self.client.request("DELETE", f"/api/v2/tickets/{ticket_id}")
            raise
        return WriteResult(key=item.key, target_id=ticket_id)

    def _complete(
        self,
        item: Outgoing,
        record: Ticket,
        files: FileSource,
        sla: SlaHistory | None,
        payload: dict[str, JsonValue],
        later: list[tuple[str, dict[str, JsonValue]]],
        parts: list[list[tuple[Attachment, ...]]],
    ) -> WriteResult:
        """A ticket written before (found after a crash, or changed in the source): the
        conversations it lacks, in order, then its attributes."""
        assert item.target_id is not None
        held = [
            c
            for page in self.client.pages(f"/api/v2/tickets/{item.target_id}/conversations")
            for c in page.records
        ]
        comments = [c for c in held if not convert.is_overflow_note(c) and not _is_sla_payload(c)]
        has_sla_note = any(_is_sla_payload(c) for c in held)
        if not comments and any(convert.is_overflow_note(c) for c in held):
            parts = [[parts[0][0]] if parts and parts[0] else [], *parts[1:]]
        self._conversations(
            item.target_id,
            record,
            files,
            None if has_sla_note else sla,
            later,
            parts,
            start=len(comments),
        )
        update = {k: v for k, v in payload.items() if k not in ("description", "source")}
        self.client.request("PUT", f"/api/v2/tickets/{item.target_id}", json=update)
        return WriteResult(key=item.key, target_id=item.target_id)

    def _conversations(
        self,
        ticket_id: str,
        record: Ticket,
        files: FileSource,
        sla: SlaHistory | None,
        later: list[tuple[str, dict[str, JsonValue]]],
        parts: list[list[tuple[Attachment, ...]]],
        *,
        start: int,
    ) -> None:
        """The ticket's later comments from number ``start`` (0: the first after the
        description), each followed by overflow notes for files that did not fit, then the
        SLA history note. Overflow notes of the description follow it first."""
        if start == 0:
            self._overflow(ticket_id, 1, parts[0][1:] if parts else [], files)
        for index in range(start, len(later)):
            endpoint, payload = later[index]
            chunks = parts[index + 1]
            first = chunks[0] if chunks else ()
            self._send("POST", f"/api/v2/tickets/{ticket_id}/{endpoint}", payload, first, files)
            self._overflow(ticket_id, index + 2, chunks[1:], files)
        if sla:
            note = sla_history_note(sla.events, sla.metrics)
            body = "<br>".join(_escape(line) for line in note.split("\n"))
            self.client.request(
                "POST",
                f"/api/v2/tickets/{ticket_id}/notes",
                json={"body": body, "private": True},
            )

    def _overflow(
        self,
        ticket_id: str,
        number: int,
        chunks: Sequence[tuple[Attachment, ...]],
        files: FileSource,
    ) -> None:
        for part, chunk in enumerate(chunks, start=1):
            body = f"<p>{convert.OVERFLOW_PREFIX}{number}, part {part}]</p>"
            self._send(
                "POST",
                f"/api/v2/tickets/{ticket_id}/notes",
                {"body": body, "private": True},
                chunk,
                files,
            )

    def _conversation(self, item: Outgoing, note: Comment) -> tuple[str, dict[str, JsonValue]]:
        """Where one later comment goes (``reply`` or ``notes``) and its payload."""
        author = None
        if note.author is not None:
            author = item.links.get(note.author)
            if author is None:
                raise RecordError(
                    f"freshdesk ticket: the author of comment {note.id} is not in the target",
                    platform_message=f"{note.author} is not in the target",
                )
        body = convert.conversation_body(note)
        by_agent = author is not None and author in self._agent_table().values()
        payload: dict[str, JsonValue] = {"body": body}
        if author is not None:
            payload["user_id"] = int(author)
        if note.public and by_agent and not self.replies_as_notes:
            return "reply", payload
        payload["private"] = not note.public
        if note.public and not by_agent and author is not None:
            payload["incoming"] = True
        return "notes", payload

    def _send(
        self,
        method: str,
        path: str,
        payload: Mapping[str, JsonValue],
        attachments: Sequence[Attachment],
        files: FileSource,
    ) -> requests.Response:
        """A JSON call, or a multipart one carrying ``attachments[]`` (streamed from the
        source; at most 20 MB, checked before)."""
        if not attachments:
            return self.client.request(method, path, json=payload)
        with contextlib.ExitStack() as stack:
            parts = [
                (
                    "attachments[]",
                    (
                        a.file_name,
                        stack.enter_context(files.open_attachment(a)),
                        a.content_type or "application/octet-stream",
                    ),
                )
                for a in attachments
            ]
            return self.client.request(method, path, data=_form(payload), files=parts)

    # -- account tables ------------------------------------------------------------------------

    @guarded
    def _field_table(self) -> dict[tuple[FieldObject, str], tuple[FieldDef, str]]:
        """Every custom field of the account by (object, key), with its Freshdesk name."""
        if self._fields is None:
            self._fields = {}
            self._defaults = {owner: {} for owner in _FIELD_LISTS}
            for owner, (path, _) in _FIELD_LISTS.items():
                for page in self.client.pages(path):
                    for data in page.records:
                        definition = convert.field(data, object=owner)
                        types = convert.ticket_type_field(data)
                        if definition is not None:
                            self._fields[(owner, definition.key)] = (definition, str(data["name"]))
                        elif owner is FieldObject.TICKET and types is not None:
                            # Freshdesk's own type field: a ticket_type value is its `type`.
                            self._fields[(owner, types.key)] = (types, f".{TICKET_TYPE}")
                        elif data.get("default") and data.get("name"):
                            self._defaults[owner][str(data["name"])] = data
            self._alias_wanted(self._fields)
            self._note_held(Kind.FIELD, (d.id for d, _ in self._fields.values()))
        return self._fields

    @guarded
    def _recall_fields(
        self, owner: FieldObject, batch: Sequence[Outgoing], files: FileSource
    ) -> None:
        """After a restart the fields an earlier run created are known by Freshdesk's names
        only (derived from their labels): when a record names a field key the account lacks,
        read the source's field definitions (``files`` is the source) once and find them by
        title. A few list calls, in a resumed run only."""
        if self._recalled:
            return
        names = self._names(owner)
        keys = {key for item in batch for key in getattr(item.record, "custom_fields", None) or ()}
        if not keys - names.keys():
            return
        self._recalled = True
        self._wanted = (*self._wanted, *files.read_fields())
        self._alias_wanted(self._field_table())

    @guarded
    def _alias_wanted(self, table: dict[tuple[FieldObject, str], tuple[FieldDef, str]]) -> None:
        """File each field :meth:`prepare` was asked for under its schema key too, when the
        account holds it under another (a name Freshdesk derived from the label, or one of
        its default fields): values are then sent to it after a restart as well."""
        for wanted in self._wanted:
            if (wanted.object, wanted.key) in table:
                continue
            found = self._field_named(wanted)
            if found is not None:
                table[(wanted.object, wanted.key)] = found

    def _default_field(self, wanted: FieldDef) -> tuple[FieldDef, str] | None:
        """One of Freshdesk's own contact or company fields with the key or title of
        ``wanted`` (a company's ``account_tier``): adopted, its value sent top-level."""
        self._field_table()
        if wanted.object is FieldObject.TICKET:
            return None
        for name, data in self._defaults[wanted.object].items():
            if name not in convert.ADOPTABLE_DEFAULTS[wanted.object]:
                continue  # identity and schema fields are never taken over by a custom value
            if name == wanted.key or data.get("label") == wanted.title:
                adopted = FieldDef(
                    id=str(data.get("id") or name),
                    object=wanted.object,
                    key=name,
                    title=str(data.get("label") or name),
                    type=wanted.type,
                    options=wanted.options,
                )
                return adopted, f".{name}"
        return None

    def _field_named(self, wanted: FieldDef) -> tuple[FieldDef, str] | None:
        """The account's field for ``wanted``: by key, else by title."""
        table = self._field_table()
        found = table.get((wanted.object, wanted.key))
        if found is None:
            found = next(
                (
                    entry
                    for (owner, _), entry in table.items()
                    if owner is wanted.object and entry[0].title == wanted.title
                ),
                None,
            )
        return found or self._default_field(wanted)

    def _names(self, owner: FieldObject) -> dict[str, str]:
        """Schema key → Freshdesk field name for one object (keys by title as well); default
        fields as ``.name``."""
        names: dict[str, str] = {}
        for (who, key), (definition, name) in self._field_table().items():
            if who is owner:
                names[key] = name
                names.setdefault(definition.title, name)
        if owner is not FieldObject.TICKET:
            for name in self._defaults[owner]:
                if name in convert.ADOPTABLE_DEFAULTS[owner]:
                    names.setdefault(name, f".{name}")
        return names

    def _create_field(self, definition: FieldDef) -> FieldDef:
        _, create = _FIELD_LISTS[definition.object]
        body = self.client.request("POST", create, json=convert.field_payload(definition)).json()
        created = convert.field(body, object=definition.object)
        if created is None:
            raise RecordError(f"freshdesk created {definition.key!r} as a default field")
        table = self._field_table()
        table[(definition.object, created.key)] = (created, str(body["name"]))
        if created.key != definition.key:  # Freshdesk named it after its label
            table[(definition.object, definition.key)] = (created, str(body["name"]))
        return created

    @guarded
    def _agent_table(self) -> dict[str, str]:
        """Agent ids by lower-cased e-mail (read once)."""
        if self._agents is None:
            self._agents = {
                str((a.get("contact") or {}).get("email") or "").lower(): str(a["id"])
                for page in self.client.pages(BY_NAME["agents"].path)
                for a in page.records
            }
            self._agents.pop("", None)
        return self._agents

    @guarded
    def _group_table(self) -> dict[str, tuple[str, list[int]]]:
        """Groups by name: id and agent ids (read once)."""
        if self._groups is None:
            self._groups = {
                str(g["name"]): (str(g["id"]), [int(a) for a in g.get("agent_ids") or ()])
                for page in self.client.pages(BY_NAME["groups"].path)
                for g in page.records
            }
            self._note_held(Kind.GROUP, (g for g, _ in self._groups.values()))
            self._note_held(
                Kind.GROUP_MEMBERSHIP,
                (f"{g}-{agent}" for g, agents in self._groups.values() for agent in agents),
            )
        return self._groups

    @guarded
    def _company_table(self) -> dict[str, str]:
        """Company ids by case-folded name (read once)."""
        if self._companies is None:
            self._companies = {
                str(c["name"]).casefold(): str(c["id"])
                for page in self.client.pages(BY_NAME["companies"].path)
                for c in page.records
            }
            self._note_held(Kind.ORGANIZATION, self._companies.values())
        return self._companies


_DECLINED: Final = frozenset({Kind.SLA_EVENT, Kind.TICKET_METRICS})
_FIELD_OWNERS: Final[Mapping[Kind, FieldObject]] = {
    Kind.USER: FieldObject.USER,
    Kind.ORGANIZATION: FieldObject.ORGANIZATION,
    Kind.TICKET: FieldObject.TICKET,
}


_HELD: Final = "cemigrate_conversations"


def _fitting(attachments: Sequence[Attachment]) -> list[tuple[Attachment, ...]]:
    """Files in groups of at most 20 MB, in order: the first goes with its comment, the rest
    on overflow notes. A single file over 20 MB cannot be written at all."""
    groups: list[list[Attachment]] = []
    size = 0
    for attachment in attachments:
        if attachment.size > MAX_ATTACHMENT_BYTES:
            raise RecordError(
                f"attachment {attachment.file_name!r} is over Freshdesk's 20 MB limit",
                platform_message=f"attachments: {attachment.file_name} is "
                f"{attachment.size:,} bytes (limit {MAX_ATTACHMENT_BYTES:,})",
            )
        if not groups or size + attachment.size > MAX_ATTACHMENT_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(attachment)
        size += attachment.size
    return [tuple(g) for g in groups]


def _form(payload: Mapping[str, JsonValue]) -> list[tuple[str, str]]:
    """A JSON payload as multipart form fields: ``tags[]`` for lists, ``custom_fields[name]``
    for the custom field object."""
    fields: list[tuple[str, str]] = []
    for key, value in payload.items():
        if isinstance(value, dict):
            for name, inner in value.items():
                for item in inner if isinstance(inner, list) else [inner]:
                    fields.append((f"{key}[{name}]", _form_value(item)))
        elif isinstance(value, list):
            fields += [(f"{key}[]", _form_value(v)) for v in value]
        elif value is not None:
            fields.append((key, _form_value(value)))
    return fields


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_sla_payload(data: Mapping[str, Any]) -> bool:
    try:
        return is_sla_note(convert.conversation(data))
    except RecordError:
        return False


def _query_chunks(keys: Sequence[str], term: str) -> list[list[str]]:
    """Keys in groups whose ``<term>:'k' OR ...`` query fits Freshdesk's limit."""
    chunks: list[list[str]] = []
    length = 0
    for key in keys:
        piece = len(f"{term}:'{key}' OR ")
        if not chunks or length + piece > _SEARCH_QUERY_CHARS:
            chunks.append([])
            length = 2
        chunks[-1].append(key)
        length += piece
    return chunks


def _rule_ids(
    target_ids: Sequence[str],
) -> tuple[dict[str, dict[str, str]], list[str], list[str]]:
    """Automation rule target ids by type (type → Freshdesk id → target id), the SLA policy
    ids, and the ids that name nothing this target writes."""
    by_type: dict[str, dict[str, str]] = {}
    policies, malformed = [], []
    for target_id in target_ids:
        parts = target_id.split("/")
        if len(parts) == 2 and parts[0] == "sla_policies" and parts[1].isdigit():
            policies.append(target_id)
        elif (
            len(parts) == 3
            and parts[0] == "automations"
            and parts[1] in _RULE_TYPES
            and parts[2].isdigit()
        ):
            by_type.setdefault(parts[1], {})[parts[2]] = target_id
        else:
            malformed.append(target_id)
    return by_type, policies, malformed


def _duplicate_email(refusal: RecordError) -> bool:
    """Whether Freshdesk refused a contact because its e-mail is taken: 409 with an
    ``email`` error of code ``duplicate_value`` (as :func:`client.platform_message` words it)."""
    return any(
        part.startswith("email: ") and part.endswith("(duplicate_value)")
        for part in refusal.platform_message.split("; ")
    )


def _adopted(item: Outgoing, existing: tuple[FieldDef, str] | None) -> bool:
    """Whether a field is one of Freshdesk's own default fields (its name starts with ``.``:
    the type field, an adopted contact or company field): it keeps its label, type and
    choices, the target's own record (matched), as reconciliation reads it."""
    return item.target_id is None and existing is not None and existing[1].startswith(".")
