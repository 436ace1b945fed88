"""Write the common schema into a Zendesk Support account.

Tickets go through the Ticket Import API in batches of 100 (``imports/tickets/create_many``,
closed tickets straight to the archive), which keeps the original created/updated/solved times
and each comment's author, time and public flag, and fires no trigger, automation or
notification on imported history. A ticket's attachments are uploaded just before the import
batch that uses their tokens (tokens expire after 60 minutes). New users are created
(``create_many``; one whose e-mail the account holds is adopted as it is), users written before
updated by external id (``create_or_update_many``), organizations created in bulk; each answers
with a job that is polled to completion, with a result per record.

Zendesk has external ids on tickets, users and organizations only, so those are what
:meth:`ZendeskTarget.find` looks up after a crash. Fields, groups and memberships have none:
for them the write itself is find-or-create by their natural key (field object and key, group
name, the user-group pair), which gives the same exactly-once effect. Organizations, whose
names Zendesk keeps unique, are also adopted by name when the target already has one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar
from urllib.parse import urlparse

import attrs
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
    SlaHistory,
    WriteResult,
)
from cemigrate.adapters.origin import ORIGIN_FIELD_DEF
from cemigrate.adapters.rule_dialects import dialect_of, untranslatable_reason
from cemigrate.adapters.transport import account_address
from cemigrate.adapters.zendesk import convert, rollback
from cemigrate.adapters.zendesk import jobs as jobs_pace
from cemigrate.adapters.zendesk.client import ZendeskClient, ZendeskCredentials
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.objects import (
    BATCH_SIZE,
    BY_NAME,
    CUSTOM_ROLES,
    TARGET_CAPABILITIES,
    USER_IDENTITIES,
    Write,
)
from cemigrate.adapters.zendesk.rules import ZENDESK_RULES, zendesk_activated, zendesk_active
from cemigrate.errors import ConfigError, RecordError, TransientError
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
    Group,
    GroupMembership,
    Kind,
    Organization,
    Role,
    Rule,
    Schedule,
    SlaPolicy,
    SourceKey,
    Status,
    Ticket,
    TicketForm,
    User,
    owner_ticket,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

WRITABLE: Final = frozenset(
    {
        Kind.FIELD,
        Kind.BRAND,
        Kind.SCHEDULE,
        Kind.CUSTOM_STATUS,
        Kind.TICKET_FORM,
        Kind.ORGANIZATION,
        Kind.USER,
        Kind.GROUP,
        Kind.GROUP_MEMBERSHIP,
        Kind.ORGANIZATION_MEMBERSHIP,
        Kind.TICKET,
        Kind.SLA_EVENT,
        Kind.TICKET_METRICS,
        Kind.RULE,
        Kind.SLA_POLICY,
    }
)
"""What this target takes. SLA events and metrics have no native place on imported tickets:
they travel inside their ticket (:func:`convert.ticket_import_payload`) and are accounted for
as skipped under :data:`SLA_KEPT_IN_TICKET`."""

SLA_KEPT_IN_TICKET: Final = (
    "kept-in-ticket: Zendesk computes no SLA for imported tickets; the source's history is "
    "in the ticket's private note and cemigrate_* fields"
)
_RULE_KINDS: Final = ("triggers", "automations", "macros", "views")
_SLA_POLICIES: Final = "sla_policies"
"""The kind part of an SLA policy's target id (``sla_policies/<id>``)."""
_UPDATE_MANY_RULES: Final = 100
"""Rules switched on per ``update_many`` call."""
_SLA_BATCH: Final = 1000
_SETUP_AT_ONCE: Final = frozenset(
    {
        Kind.FIELD,
        Kind.BRAND,
        Kind.SCHEDULE,
        Kind.CUSTOM_STATUS,
        Kind.TICKET_FORM,
        Kind.GROUP,
        Kind.GROUP_MEMBERSHIP,
        Kind.ORGANIZATION_MEMBERSHIP,
    }
)
"""Kinds created one call a record, find-or-create by natural key, independent of each other:
handed over :data:`_SETUP_BATCH` at a time and created several at once (``_per_key``). Rules
and SLA policies stay one at a time: their order in the account matters."""
_SETUP_BATCH: Final = 50
_CREATE_USERS: Final = Write(
    method="POST", path="/api/v2/users/create_many.json", body_key="users", batch_size=100, job=True
)
"""``users/create_many``: up to 100 users a job; one whose e-mail the account holds is refused
(developer.zendesk.com, Users: "Create Many Users")."""
_UPDATE_MANY: Final = Write(
    method="PUT",
    path="/api/v2/tickets/update_many.json",
    body_key="tickets",
    batch_size=100,
    job=True,
)

MAX_ATTACHMENT_BYTES: Final = 50 * 1024 * 1024
"""Zendesk's limit for one file. [facts 1.5]"""

_FIELD_OBJECTS: Final[Mapping[FieldObject, str]] = {
    FieldObject.TICKET: "ticket_fields",
    FieldObject.USER: "user_fields",
    FieldObject.ORGANIZATION: "organization_fields",
}
_SUBDOMAIN_TRIES: Final = 5
"""Subdomains tried for one new brand (``acme-pay``, ``acme-pay-2``, ...): brand subdomains
are unique across every Zendesk account, so a derived one may be someone else's."""
_JOB_MAX_POLLS: Final = 900


class ZendeskTarget(PlatformTarget):
    """A Zendesk Support account as a migration target."""

    platform = "zendesk"
    concurrent = frozenset({Kind.TICKET, Kind.USER})
    """Ticket batches (and their SLA history) and user batches go several at a time: each
    one writes only its own records (users one job a batch, so the jobs' waits overlap; two
    users of one e-mail are never in flight at once, the copier sets one aside), and what
    the target remembers of the account is read under a lock. Organizations stay one batch
    at a time: a name two batches both lack would be created by the one and refused to the
    other, where one after another adopts it."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: ZendeskCredentials,
        name: str = "target",
        plan: str = "enterprise",
        high_volume: bool = False,
        session: requests.Session | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        options: dict[str, object] = {"high_volume": True} if high_volume else {}
        self.budgets: Budgets = budgets_for(
            ZENDESK_PLANS, plan, clock=self.clock, prefix=name, **options
        )
        self.client = ZendeskClient(
            base_url=base_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(self.clock),
            session=session,
        )
        self.batch_size: Mapping[Kind, int] = {
            kind: _SETUP_BATCH if kind in _SETUP_AT_ONCE else BATCH_SIZE.get(kind, _SLA_BATCH)
            for kind in WRITABLE
        }
        self.job_pace = jobs_pace.JobPace(self.clock)
        """When to poll background jobs (no fixed sleep)."""
        self.calls = CallPool(self.budgets.in_flight)
        """Independent calls of a batch several at once (a ticket batch's uploads, the
        setup's creates), bounded across batches (:mod:`~cemigrate.adapters.callpool`)."""
        self._fields: dict[tuple[FieldObject, str], FieldDef] | None = None
        self._groups: dict[str, str] | None = None
        self._organizations: dict[str, str] | None = None
        self._memberships: dict[tuple[str, str], str] | None = None
        self._organization_memberships: dict[tuple[str, str], str] | None = None
        """Organization membership ids by (user id, organization id); read once."""
        self._roles: dict[str, int] | None = None
        """The account's custom role ids by name; read once."""
        self._rules: dict[tuple[str, str], str] | None = None
        self._sla_policies: dict[str, str] | None = None
        """SLA policy target ids (``sla_policies/<id>``) by title; read once."""
        self._system_fields: dict[str, int] = {}
        """Built-in ticket field ids by schema name (read with the custom fields)."""
        self._brands: dict[str, str] | None = None
        self._forms: dict[str, str] | None = None
        self._statuses: dict[tuple[str, str], str] | None = None
        self._status_categories: dict[str, str] = {}
        """Custom status id → its category (read with the statuses)."""
        self._schedules: dict[str, Mapping[str, Any]] | None = None
        self._me: int | None = None
        self._values: Mapping[str, Mapping[str, str]] = {}
        """The mapping's value tables (from ``prepare``)."""
        self._options: Mapping[str, Mapping[str, str]] = {}
        """The mapping's option tables by source field id (from ``prepare``)."""

    # -- the contract --------------------------------------------------------------------------

    def account_url(self) -> str:
        """The account's address this target writes (its base URL)."""
        return account_address(self.client.base_url)

    def describe(self) -> Metadata:
        """What can be written, the account's custom fields and Zendesk's size limits."""
        return Metadata(
            platform=self.platform,
            kinds=WRITABLE,
            fields=tuple(self._field_table().values()),
            limits={"attachment": MAX_ATTACHMENT_BYTES},
            capabilities=TARGET_CAPABILITIES,
            values=convert.NATIVE_VALUES,
            default_values={a: {v: v for v in vs} for a, vs in convert.NATIVE_VALUES.items()},
        )

    def prepare(self, needs: Needs, *, dry_run: bool) -> list[Change]:
        """Create the custom fields the mapping needs that the account lacks, with cemigrate's
        own: the SLA history fields, the private ticket field :data:`ORIGIN_FIELD` (hidden
        from end users), the user and organization fields keeping the source's own
        external ids and the user field keeping addresses."""
        self._values = needs.values
        self._options = needs.options
        return self._create_fields(
            (
                *needs.fields,
                *convert.SLA_HISTORY_FIELDS,
                ORIGIN_FIELD_DEF,
                *convert.SOURCE_EXTERNAL_ID_FIELDS,
                convert.USER_ADDRESS_FIELD,
            ),
            dry_run=dry_run,
        )

    def _has_field(self, definition: FieldDef) -> bool:
        return (definition.object, definition.key) in self._field_table()

    def _forget_fields(self) -> None:
        self._fields = None

    def _writers(self) -> Mapping[Kind, BatchWriter]:
        return {
            Kind.FIELD: self._write_fields,
            Kind.BRAND: self._write_brands,
            Kind.SCHEDULE: self._write_schedules,
            Kind.CUSTOM_STATUS: self._write_custom_statuses,
            Kind.TICKET_FORM: self._write_ticket_forms,
            Kind.ORGANIZATION: self._write_organizations,
            Kind.USER: self._write_users,
            Kind.GROUP: self._write_groups,
            Kind.GROUP_MEMBERSHIP: self._write_memberships,
            Kind.ORGANIZATION_MEMBERSHIP: self._write_organization_memberships,
            Kind.TICKET: self._write_tickets,
            Kind.SLA_EVENT: self._write_declined,
            Kind.TICKET_METRICS: self._write_declined,
            Kind.RULE: self._write_rules,
            Kind.SLA_POLICY: self._write_sla_policies,
        }

    def close(self) -> None:
        """Stop the call threads."""
        self.calls.close()

    def _at_once(self, call: Callable[[T], R], items: Sequence[T]) -> list[R | BaseException]:
        """Several at once, through :attr:`calls`."""
        return self.calls.map(call, items)

    def _forget(self) -> None:
        # find() first lets the account's background jobs finish, then reads it again.
        self._fields = self._groups = self._organizations = self._memberships = None
        self._rules = self._sla_policies = None
        self._organization_memberships = None
        self._roles = None
        self._brands = self._forms = self._statuses = self._schedules = None

    def declines(self, kind: Kind, record: object) -> str:
        """The named policy under which this target will not take ``record`` ("" if none);
        the dry run asks it too, so its counts agree with the run's."""
        if isinstance(record, Ticket) and record.deleted:
            return "deleted-in-source: Zendesk cannot import a deleted ticket"
        if kind in (Kind.SLA_EVENT, Kind.TICKET_METRICS):
            return SLA_KEPT_IN_TICKET
        return untranslatable_reason(record, ZENDESK_RULES, options=self._options)

    def foresee(self, kind: Kind, batch: Sequence[Outgoing]) -> list[WriteResult | None]:
        """Brands, ticket forms, custom statuses and schedules the account already holds
        (by name; a status by category and agent label) are matched, as the run adopts them;
        everything else would be written (None). One list call per kind for the dry run."""
        key = _NATURAL_KEYS.get(kind)
        if key is None:
            return [None] * len(batch)
        held = self._held(kind)
        answers: list[WriteResult | None] = []
        for item in batch:
            found = held.get(key(item.record))
            matched = found is not None and item.target_id is None
            answers.append(
                WriteResult(key=item.key, target_id=found, matched=True) if matched else None
            )
        return answers

    def _held(self, kind: Kind) -> Mapping[Any, str]:
        """Target ids of one configuration kind by natural key (read once)."""
        if kind is Kind.BRAND:
            return self._brand_table()
        if kind is Kind.TICKET_FORM:
            return self._form_table()
        if kind is Kind.CUSTOM_STATUS:
            return self._status_table()
        return {name: str(data["id"]) for name, data in self._schedule_table().items()}

    def find(self, kind: Kind, keys: Sequence[SourceKey]) -> dict[SourceKey, str]:
        """Target ids of records stored with these source keys as external ids.

        Imports and bulk creates are applied by background jobs, possibly queued by an earlier
        process that died before it saw the answer: the account's job list is read first and
        every queued or working job allowed to finish, so nothing looks missing that is about
        to exist.
        """
        found: dict[SourceKey, str] = {}
        if keys:
            self._settle_jobs()
        if kind is Kind.USER:
            for start in range(0, len(keys), 100):
                chunk = keys[start : start + 100]
                body = self.client.get_json(
                    "/api/v2/users/show_many.json", external_ids=",".join(map(str, chunk))
                )
                by_external = {u.get("external_id"): str(u["id"]) for u in body.get("users", [])}
                found.update({k: by_external[str(k)] for k in chunk if str(k) in by_external})
        elif kind in (Kind.TICKET, Kind.ORGANIZATION):
            for key in keys:
                body = self.client.get_json(
                    "/api/v2/search.json", query=f'type:{kind} external_id:"{key}"'
                )
                hits = [r for r in body.get("results", []) if r.get("external_id") == str(key)]
                if hits:
                    found[key] = str(min(int(r["id"]) for r in hits))
        # Fields, groups and memberships have no external id: their writes find-or-create.
        return found

    def delete(self, kind: Kind, target_ids: Sequence[str]) -> None:
        """Delete records (rollback) with Zendesk's bulk and permanent deletes
        (:mod:`cemigrate.adapters.zendesk.rollback`); other kinds are left for a person."""
        rollback.delete(self.client, self._wait_for_job, kind, target_ids)

    def last_changed(self, kind: Kind, target_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """When tickets, users and organizations were last changed (rollback)."""
        return rollback.last_changed(self.client, kind, target_ids)

    # -- kinds ---------------------------------------------------------------------------------

    def _write_fields(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        def write(item: Outgoing) -> WriteResult:
            definition = item.record
            assert isinstance(definition, FieldDef)
            existing = self._field_table().get((definition.object, definition.key))
            target_id = existing.id if existing else self._create_field(definition).id
            return WriteResult(
                key=item.key, target_id=target_id, matched=self._adopts(Kind.FIELD, target_id)
            )

        return self._per_key(batch, _field_key, write)

    # -- account configuration: brands, custom statuses, ticket forms, schedules ---------------

    def _adopt_or_create(
        self,
        batch: Sequence[Outgoing],
        kind: Kind,
        create: Callable[[Outgoing], str],
    ) -> list[WriteResult]:
        """Find-or-create by natural key: a record the account holds is adopted (matched),
        one it lacks is created by ``create`` (its target id; several at once, one at a time
        per natural key); a refusal is the record's. A
        record written before (a delta after a change in the source) keeps its target record:
        changes to it are not written yet."""
        key = _NATURAL_KEYS[kind]
        held = self._held(kind)
        assert isinstance(held, dict)

        def write(item: Outgoing) -> WriteResult:
            if item.target_id is not None:
                return WriteResult(key=item.key, target_id=item.target_id)
            natural = key(item.record)
            found = held.get(natural)
            if found is not None:
                return WriteResult(key=item.key, target_id=found, matched=True)
            held[natural] = create(item)
            return WriteResult(key=item.key, target_id=held[natural])

        return self._per_key(batch, lambda item: key(item.record), write)

    def _write_brands(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Brands by name; a new one on a subdomain derived from the account's own."""
        return self._adopt_or_create(batch, Kind.BRAND, self._create_brand)

    def _create_brand(self, item: Outgoing) -> str:
        brand = item.record
        assert isinstance(brand, Brand)
        account = _account_subdomain(self.client.base_url)
        stem = _subdomain_part(brand.subdomain or brand.name) or "brand"
        for attempt in range(1, _SUBDOMAIN_TRIES + 1):
            subdomain = f"{account}-{stem}"[:60].strip("-")
            if attempt > 1:
                subdomain = f"{subdomain}-{attempt}"
            payload = convert.brand_payload(item, subdomain=subdomain)
            try:
                body = self.client.request("POST", "/api/v2/brands.json", json={"brand": payload})
            except RecordError as exc:
                taken = "subdomain:" in (exc.platform_message or "").lower()
                if taken and attempt < _SUBDOMAIN_TRIES:
                    continue
                raise
            return str(body.json()["brand"]["id"])
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_custom_statuses(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """Custom statuses by category and agent label (the five defaults always match)."""

        def create(item: Outgoing) -> str:
            payload = convert.custom_status_payload(item)
            body = self.client.request(
                "POST", "/api/v2/custom_statuses.json", json={"custom_status": payload}
            ).json()
            created = str(body["custom_status"]["id"])
            self._status_categories[created] = str(body["custom_status"]["status_category"])
            return created

        return self._adopt_or_create(batch, Kind.CUSTOM_STATUS, create)

    def _write_ticket_forms(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """Ticket forms by name, with the target's ids of their fields (custom ones through
        the links, built-in ones by type)."""
        self._field_table()  # the built-in fields' ids are read with the custom ones

        def create(item: Outgoing) -> str:
            payload = convert.ticket_form_payload(item, system_field_ids=self._system_fields)
            body = self.client.request(
                "POST", "/api/v2/ticket_forms.json", json={"ticket_form": payload}
            ).json()
            return str(body["ticket_form"]["id"])

        return self._adopt_or_create(batch, Kind.TICKET_FORM, create)

    def _write_schedules(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Schedules by name, then their workweek, then each holiday they lack. A schedule
        whose workweek or holidays are refused is a failure (a re-run adopts it by name and
        completes it)."""
        table = self._schedule_table()

        def write(item: Outgoing) -> WriteResult:
            schedule = item.record
            assert isinstance(schedule, Schedule)
            held = table.get(schedule.name)
            if item.target_id is not None:  # written before: the same one, even if renamed
                mine = [s for s in table.values() if str(s["id"]) == item.target_id]
                held = mine[0] if mine else held
            created = held is None
            if held is None:
                payload = convert.schedule_payload(item)
                path = "/api/v2/business_hours/schedules.json"
                body = self.client.request("POST", path, json={"schedule": payload}).json()
                held = table[schedule.name] = body["schedule"]
            self._complete_schedule(schedule, held, created=created)
            target_id = str(held["id"])
            return WriteResult(
                key=item.key, target_id=target_id, matched=self._adopts(Kind.SCHEDULE, target_id)
            )

        return self._per_key(batch, _schedule_key, write)

    def _complete_schedule(
        self, schedule: Schedule, held: Mapping[str, Any], *, created: bool
    ) -> None:
        """Give a target schedule the source's intervals (when they differ) and the holidays
        it lacks (by name and dates; one read of them unless the schedule was just created,
        when it has none)."""
        base = f"/api/v2/business_hours/schedules/{held['id']}"
        workweek = convert.workweek_payload(schedule)
        if held.get("intervals") != workweek["intervals"]:
            self.client.request("PUT", f"{base}/workweek.json", json={"workweek": workweek})
            if isinstance(held, dict):
                held["intervals"] = workweek["intervals"]  # the table stays true
        read = BY_NAME["holidays"].read
        assert read is not None
        present = (
            set()
            if created
            else {
                (str(h.get("name")), str(h.get("start_date")), str(h.get("end_date")))
                for page in self.client.pages(read, id=str(held["id"]))
                for h in page.records
            }
        )
        for holiday in schedule.holidays:
            if (holiday.name, holiday.start_date, holiday.end_date) in present:
                continue
            body = {"holiday": convert.holiday_payload(holiday)}
            self.client.request("POST", f"{base}/holidays.json", json=body)

    @guarded
    def _brand_table(self) -> dict[str, str]:
        """Brand ids by case-folded name; read once."""
        if self._brands is None:
            read = BY_NAME["brands"].read
            assert read is not None
            self._brands = {
                str(b["name"]).casefold(): str(b["id"])
                for page in self.client.pages(read)
                for b in page.records
                if not b.get("is_deleted")
            }
        return self._brands

    @guarded
    def _form_table(self) -> dict[str, str]:
        """Ticket form ids by case-folded name; read once."""
        if self._forms is None:
            read = BY_NAME["ticket_forms"].read
            assert read is not None
            self._forms = {
                str(f["name"]).casefold(): str(f["id"])
                for page in self.client.pages(read)
                for f in page.records
            }
        return self._forms

    @guarded
    def _status_table(self) -> dict[tuple[str, str], str]:
        """Custom status ids by (category, case-folded agent label); read once."""
        if self._statuses is None:
            read = BY_NAME["custom_statuses"].read
            assert read is not None
            self._statuses = {}
            for page in self.client.pages(read):
                for s in page.records:
                    category = str(s["status_category"])
                    label = str(s.get("agent_label") or "").casefold()
                    self._statuses[(category, label)] = str(s["id"])
                    self._status_categories[str(s["id"])] = category
        return self._statuses

    @guarded
    def _schedule_table(self) -> dict[str, Mapping[str, Any]]:
        """Schedules (as Zendesk sends them) by name; read once."""
        if self._schedules is None:
            read = BY_NAME["schedules"].read
            assert read is not None
            self._schedules = {
                str(s["name"]): s for page in self.client.pages(read) for s in page.records
            }
            self._note_held(Kind.SCHEDULE, (str(s["id"]) for s in self._schedules.values()))
        return self._schedules

    def _agreeing_status(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A ticket payload whose custom status belongs to the category of the status it
        sends; where the mapping sent another status, the custom status is left out (Zendesk
        would set the status from it) and the category's default applies."""
        status_id = payload.get("custom_status_id")
        if status_id is None:
            return payload
        self._status_table()
        category = self._status_categories.get(str(status_id))
        sent = str(payload.get("status") or "")
        if category != ("solved" if sent == "closed" else sent):
            payload = {k: v for k, v in payload.items() if k != "custom_status_id"}
        return payload

    def _write_organizations(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """Organization names are unique in Zendesk: one that exists is adopted, not refused."""
        names = self._organization_table()
        answers: dict[int, WriteResult] = {}
        new: list[int] = []
        for index, item in enumerate(batch):
            org = item.record
            assert isinstance(org, Organization)
            existing = names.get(org.name.casefold())
            if existing is not None and item.target_id is None:
                answers[index] = WriteResult(
                    key=item.key,
                    target_id=existing,
                    matched=self._adopts(Kind.ORGANIZATION, existing),
                )
            else:
                new.append(index)
        created = self._write_job(
            BY_NAME["organizations"].write,
            [batch[i] for i in new],
            lambda item: convert.organization_payload(
                item,
                lookups=self._lookups(FieldObject.ORGANIZATION),
                group_names=self._group_names(FieldObject.ORGANIZATION),
            ),
        )
        for index, result in zip(new, created, strict=True):
            answers[index] = result
            org = batch[index].record
            if result.ok and result.target_id is not None and isinstance(org, Organization):
                names[org.name.casefold()] = result.target_id
        return [answers[index] for index in range(len(batch))]

    def _write_users(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """New users created (one job), users written before updated by external id (one
        job), then the identities each lacks.

        An agent's custom role goes by name to the target's role of that name; when the
        target has none, the agent is written with the plain agent role and a warning names
        the role (reconciliation then reports the difference). Identities the upsert did
        not make (an update keeps a user's identities as they are) are added one call each,
        after one ``show_many`` of the batch with its identities sideloaded: a resumed batch
        adds none twice."""
        roles = self._role_table() if any(_custom_role(o) for o in batch) else {}
        for item in batch:
            name = _custom_role(item)
            if name and name not in roles:
                log.warning(
                    "zendesk target: custom role %r does not exist in the target; user %s "
                    "is written as a plain agent",
                    name,
                    item.key,
                )

        def payload(item: Outgoing) -> dict[str, Any]:
            return convert.user_payload(
                item,
                custom_roles=roles,
                lookups=self._lookups(FieldObject.USER),
                group_names=self._group_names(FieldObject.USER),
            )

        # New users are created, never upserted: an upsert would find a user the account
        # holds by e-mail and overwrite its name, role and external id. One the account
        # refuses because it holds the e-mail is adopted as it is (matched); users written
        # before (a delta) are updated by their external id.
        answers: dict[int, WriteResult] = {}
        for write, indexes in (
            (_CREATE_USERS, [i for i, o in enumerate(batch) if o.target_id is None]),
            (BY_NAME["users"].write, [i for i, o in enumerate(batch) if o.target_id is not None]),
        ):
            if indexes:
                sent = [batch[i] for i in indexes]
                answers.update(zip(indexes, self._write_job(write, sent, payload), strict=True))
        for index, result in answers.items():
            if batch[index].target_id is None and result.error:
                held = self._user_by_email(batch[index])
                if held is not None:
                    answers[index] = WriteResult(key=result.key, target_id=held, matched=True)
        results = [answers[index] for index in range(len(batch))]
        written = [
            (item, result.target_id)
            for item, result in zip(batch, results, strict=True)
            if result.ok and result.target_id is not None
        ]
        self._add_missing_identities(written)
        return results

    def _user_by_email(self, item: Outgoing) -> str | None:
        """The id of the user the account holds with this user's e-mail (one search), if
        any."""
        user = item.record
        if not isinstance(user, User) or not user.email:
            return None
        email = user.email.casefold()
        body = self.client.get_json("/api/v2/search.json", query=f'type:user email:"{email}"')
        for found in body.get("results") or ():
            if str(found.get("email") or "").casefold() == email and found.get("id") is not None:
                return str(found["id"])
        return None

    def _add_missing_identities(self, written: Sequence[tuple[Outgoing, str]]) -> None:
        """Add each written user's source identities its target record lacks (compared by
        type and value, case-insensitively). One Zendesk refuses (a value another user holds)
        is logged and left out: the user is in the target and its tickets need it;
        reconciliation reports the missing identity."""
        wanted = {
            target_id: item
            for item, target_id in written
            if isinstance(item.record, User) and len(item.record.identities) > 0
        }
        if not wanted:
            return
        held: dict[str, set[tuple[str, str]]] = {target_id: set() for target_id in wanted}
        ids = [t for t in wanted if t.isdigit()]
        for start in range(0, len(ids), 100):
            body = self.client.get_json(
                "/api/v2/users/show_many.json",
                ids=",".join(ids[start : start + 100]),
                include="identities",
            )
            for found in body.get("identities") or ():
                held.setdefault(str(found.get("user_id")), set()).add(
                    (str(found.get("type")), str(found.get("value") or "").casefold())
                )
        for target_id, item in wanted.items():
            assert isinstance(item.record, User)
            for identity in item.record.identities:
                payload = convert.identity_payload(identity)
                pair = (str(payload["type"]), identity.value.casefold())
                if pair in held.get(target_id, set()):
                    continue
                try:
                    self.client.request(
                        USER_IDENTITIES.method,
                        USER_IDENTITIES.path.format(id=target_id),
                        json={USER_IDENTITIES.body_key: payload},
                    )
                except RecordError as exc:
                    log.warning(
                        "zendesk target: a %s identity of user %s was refused: %s",
                        payload["type"],
                        item.key,
                        exc.platform_message or exc.reason,
                    )
                    continue
                held.setdefault(target_id, set()).add(pair)

    @guarded
    def _role_table(self) -> dict[str, int]:
        """The account's custom role ids by name (one unpaginated call; an account without
        custom roles, below Enterprise, has none)."""
        if self._roles is None:
            try:
                self._roles = {
                    str(data.get("name")): int(data["id"])
                    for page in self.client.pages(CUSTOM_ROLES)
                    for data in page.records
                }
            except (RecordError, ConfigError) as exc:
                log.warning("zendesk target: custom roles are not readable (%s)", exc)
                self._roles = {}
        return self._roles

    def _write_organization_memberships(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """Find-or-create by (user, organization): a user's default membership already exists
        once the user upsert set its organization; a re-run adopts what it made."""
        memberships = self._organization_membership_table()
        call = BY_NAME["organization_memberships"].write
        assert call is not None

        def write(item: Outgoing) -> WriteResult:
            payload = convert.organization_membership_payload(item)
            pair = (str(payload["user_id"]), str(payload["organization_id"]))
            if pair not in memberships:
                body = self.client.request(call.method, call.path, json={call.body_key: payload})
                memberships[pair] = str(body.json()[call.body_key]["id"])
            found = memberships[pair]
            # Held before the migration only if its organization was (the user upsert makes
            # the default membership of an organization the migration created).
            matched = self._adopts(Kind.ORGANIZATION_MEMBERSHIP, found) and self._adopts(
                Kind.ORGANIZATION, pair[1]
            )
            return WriteResult(key=item.key, target_id=found, matched=matched)

        return self._per_key(batch, _pair(convert.organization_membership_payload), write)

    def _write_groups(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        groups = self._group_table()

        def write(item: Outgoing) -> WriteResult:
            team = item.record
            assert isinstance(team, Group)
            if team.name not in groups:
                body = self.client.request(
                    "POST", "/api/v2/groups.json", json={"group": convert.group_payload(item)}
                ).json()
                groups[team.name] = str(body["group"]["id"])
            found = groups[team.name]
            return WriteResult(
                key=item.key, target_id=found, matched=self._adopts(Kind.GROUP, found)
            )

        return self._per_key(batch, _group_key, write)

    def _write_memberships(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        memberships = self._membership_table()

        def write(item: Outgoing) -> WriteResult:
            assert isinstance(item.record, GroupMembership)
            payload = convert.membership_payload(item)
            pair = (str(payload["user_id"]), str(payload["group_id"]))
            if pair not in memberships:
                body = self.client.request(
                    "POST", "/api/v2/group_memberships.json", json={"group_membership": payload}
                ).json()
                memberships[pair] = str(body["group_membership"]["id"])
            found = memberships[pair]
            matched = self._adopts(Kind.GROUP_MEMBERSHIP, found) and self._adopts(
                Kind.GROUP, pair[1]
            )
            return WriteResult(key=item.key, target_id=found, matched=matched)

        return self._per_key(batch, _pair(convert.membership_payload), write)

    def _write_tickets(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        field_ids = {
            key: int(definition.id)
            for (owner, key), definition in self._field_table().items()
            if owner is FieldObject.TICKET
        }

        new = [o.record for o in batch if o.target_id is None and isinstance(o.record, Ticket)]
        history: Mapping[str, SlaHistory] = files.sla_history(new)

        # Uploaded just before the import that uses them (tokens expire after an hour),
        # several at once.
        uploaded = self._upload_batch(
            [o for o in batch if o.target_id is None and not self.declines(Kind.TICKET, o.record)],
            files,
        )

        def payload(item: Outgoing) -> dict[str, Any]:
            tokens = uploaded[item.key]
            if isinstance(tokens, RecordError):
                raise tokens
            sla = history.get(item.record.id)
            return self._agreeing_status(
                convert.ticket_import_payload(
                    item,
                    field_ids=field_ids,
                    upload_tokens=tokens,
                    sla=sla,
                    sla_author=self._me_id() if sla else None,
                    values=self._values,
                    lookups=self._lookups(FieldObject.TICKET),
                    group_names=self._group_names(FieldObject.TICKET),
                )
            )

        answers: dict[int, WriteResult] = {}
        taken: list[int] = []
        changed: list[int] = []
        for index, item in enumerate(batch):
            declined = self.declines(Kind.TICKET, item.record)
            if declined:
                answers[index] = WriteResult(key=item.key, skipped=declined)
            elif item.target_id is not None:
                changed.append(index)
            else:
                taken.append(index)
        imported = self._write_job(BY_NAME["tickets"].write, [batch[i] for i in taken], payload)
        answers.update(zip(taken, imported, strict=True))
        updated = self._update_tickets([batch[i] for i in changed], files, field_ids)
        answers.update(zip(changed, updated, strict=True))
        return [answers[index] for index in range(len(batch))]

    def _update_tickets(
        self, batch: Sequence[Outgoing], files: FileSource, field_ids: Mapping[str, int]
    ) -> list[WriteResult]:
        """Tickets imported before and changed in the source since (a delta run): comments the
        target lacks are added one update each (Zendesk dates them now), then the attributes
        go in one ``update_many`` job. A closed ticket cannot change: Zendesk's refusal is the
        record's failure."""
        answers: dict[int, WriteResult] = {}
        for index, item in enumerate(batch):
            try:
                self._add_missing_comments(item, files)
            except RecordError as exc:
                answers[index] = refused(item, exc)
        rest = [i for i in range(len(batch)) if i not in answers]
        updated = self._write_job(
            _UPDATE_MANY,
            [batch[i] for i in rest],
            lambda item: self._agreeing_status(
                convert.ticket_update_payload(
                    item,
                    field_ids=field_ids,
                    values=self._values,
                    lookups=self._lookups(FieldObject.TICKET),
                    group_names=self._group_names(FieldObject.TICKET),
                )
            ),
        )
        for index, result in zip(rest, updated, strict=True):
            target_id = batch[index].target_id if result.ok else None
            answers[index] = attrs.evolve(result, target_id=target_id)
        return [answers[index] for index in range(len(batch))]

    def _add_missing_comments(self, item: Outgoing, files: FileSource) -> None:
        """Add the source comments past those the target ticket holds (SLA notes not counted)."""
        record = item.record
        assert isinstance(record, Ticket)
        assert item.target_id is not None
        read = BY_NAME["ticket_comments"].read
        assert read is not None
        held = sum(
            1
            for page in self.client.pages(read, id=item.target_id)
            for data in page.records
            if not str(data.get("plain_body") or "").startswith(convert.SLA_NOTE_HEADING)
        )
        for note in record.comments[held:]:
            tokens = self._upload_attachments(item, files, only=note)
            body = convert.comment_payload(item, note, tokens)
            self.client.request(
                "PUT", f"/api/v2/tickets/{item.target_id}.json", json={"ticket": {"comment": body}}
            )

    def _write_declined(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """SLA events and metrics: inside their tickets (see :data:`WRITABLE`) when the ticket
        is in the target; failed, naming it, when it is not."""
        results = []
        for item in batch:
            ticket = owner_ticket(item.record)
            if ticket is not None and ticket not in item.links:
                results.append(
                    WriteResult(
                        key=item.key,
                        error="its ticket is not in the target",
                        platform_message=f"ticket {ticket.id} is not in the target",
                    )
                )
            else:
                results.append(WriteResult(key=item.key, skipped=SLA_KEPT_IN_TICKET))
        return results

    def _write_rules(self, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        """Business rules, translated and created **inactive** (nothing fires on imported
        history); find-or-create by kind and title, so a re-run adopts what it made. A partial
        translation is written without its gaps (the translation report lists them); a rule
        Zendesk cannot express is skipped under :data:`UNTRANSLATABLE_RULE`."""
        table = self._rule_table()
        results = []
        for item in batch:
            rule = item.record
            assert isinstance(rule, Rule)
            done = translate(
                rule,
                source=dialect_of(rule),
                target=ZENDESK_RULES,
                links=item.links,
                mapping=self._values,
                options=self._options,
                target_options=self.rule_field_options(),
            )
            if done.status is TranslationStatus.UNTRANSLATED:
                results.append(
                    WriteResult(key=item.key, skipped=f"{UNTRANSLATABLE_RULE}: {done.reason}")
                )
                continue
            found = table.get((done.kind, rule.title))
            if found is None:
                singular = done.kind[:-1]
                try:
                    body = self.client.request(
                        "POST", f"/api/v2/{done.kind}.json", json={singular: dict(done.payload)}
                    ).json()
                except RecordError as exc:
                    results.append(refused(item, exc))
                    continue
                found = table[(done.kind, rule.title)] = f"{done.kind}/{body[singular]['id']}"
            matched = self._adopts(Kind.RULE, found)
            results.append(WriteResult(key=item.key, target_id=found, matched=matched))
        return results

    def rule_field_options(self) -> dict[str, frozenset[str]]:
        """Ticket field id → the option values (tags) of its dropdown: what a translated
        rule's conditions and actions on the field may name."""
        return {
            definition.id: frozenset(o.value for o in definition.options)
            for (owner, _), definition in self._field_table().items()
            if owner is FieldObject.TICKET and definition.options
        }

    @guarded
    def _rule_table(self) -> dict[tuple[str, str], str]:
        """Rule target ids (``<plural>/<id>``, e.g. ``triggers/123``) by (kind, title); read
        once."""
        if self._rules is None:
            self._rules = {}
            for plural in _RULE_KINDS:
                read = BY_NAME[plural].read
                assert read is not None
                for page in self.client.pages(read):
                    for data in page.records:
                        self._rules.setdefault(
                            (plural, str(data.get("title"))), f"{plural}/{data['id']}"
                        )
            self._note_held(Kind.RULE, self._rules.values())
        return self._rules

    # -- switching rules on after cutover (RuleSwitch) -------------------------------------------

    def rule_switch(self) -> RuleSwitch:
        """The target itself: its triggers, automations and SLA policies can be switched on."""
        return self

    def rule_states(self, target_ids: Sequence[str]) -> dict[str, bool]:
        """Whether each rule is active, by target id (``triggers/123``, ``automations/…``,
        ``macros/…``, ``views/…``; ``sla_policies/…`` are SLA policies). One list read per kind
        asked about; ids the account no longer has are absent."""
        by_kind, _ = _rule_ids(target_ids)
        states: dict[str, bool] = {}
        policies = by_kind.pop(_SLA_POLICIES, None)
        if policies:
            states.update(self._sla_policy_states(list(policies.values())))
        for plural, ids in by_kind.items():
            read = BY_NAME[plural].read
            assert read is not None
            for page in self.client.pages(read):
                for data in page.records:
                    target_id = ids.get(str(data.get("id")))
                    if target_id is not None:
                        states[target_id] = data.get("active") is True
        return states

    def activate_rules(self, target_ids: Sequence[str]) -> dict[str, str]:
        """Switch rules on: target id → ``""`` when done, else Zendesk's message.

        Each kind's rules go in one ``PUT /api/v2/{kind}/update_many`` per 100; when Zendesk
        refuses such a call, its rules are switched on one by one (``PUT /api/v2/{kind}/{id}``)
        so that each refusal carries its own message.
        """
        by_kind, malformed = _rule_ids(target_ids)
        results = {t: f"{t!r} is not a Zendesk rule id (<kind>/<id>)" for t in malformed}
        policies = by_kind.pop(_SLA_POLICIES, None)
        if policies:
            results.update(self._activate_sla_policies(list(policies.values())))
        for plural, ids in by_kind.items():
            items = list(ids.items())
            for start in range(0, len(items), _UPDATE_MANY_RULES):
                chunk = items[start : start + _UPDATE_MANY_RULES]
                body = {plural: [{"id": int(rule_id), "active": True} for rule_id, _ in chunk]}
                try:
                    self.client.request("PUT", f"/api/v2/{plural}/update_many.json", json=body)
                except RecordError:
                    for rule_id, target_id in chunk:
                        results[target_id] = self._activate_rule(plural, rule_id)
                else:
                    results.update({target_id: "" for _, target_id in chunk})
        return results

    def _activate_rule(self, plural: str, rule_id: str) -> str:
        """Switch one rule on; ``""`` or Zendesk's message."""
        try:
            self.client.request(
                "PUT", f"/api/v2/{plural}/{rule_id}.json", json={plural[:-1]: {"active": True}}
            )
        except RecordError as exc:
            return exc.platform_message or exc.reason
        return ""

    # -- SLA policies ----------------------------------------------------------------------------

    def _write_sla_policies(
        self, batch: Sequence[Outgoing], files: FileSource
    ) -> list[WriteResult]:
        """SLA policies, translated (targets per priority and metric, filter ids remapped) and
        created **inactive**: with the guard condition no ticket meets
        (:data:`~cemigrate.adapters.zendesk.rules.ZENDESK_INACTIVE_GUARD`), since Zendesk
        policies have no active flag. Find-or-create by title, so a re-run adopts what it
        made; a policy Zendesk cannot express is skipped under
        :data:`UNTRANSLATABLE_SLA_POLICY`. Target ids are ``sla_policies/<id>``."""
        table = self._sla_policy_table()
        results = []
        for item in batch:
            policy = item.record
            assert isinstance(policy, SlaPolicy)
            done = translate_sla(
                policy,
                source=dialect_of(policy),
                target=ZENDESK_RULES,
                links=item.links,
                mapping=self._values,
            )
            if done.status is TranslationStatus.UNTRANSLATED:
                skipped = f"{UNTRANSLATABLE_SLA_POLICY}: {done.reason}"
                results.append(WriteResult(key=item.key, skipped=skipped))
                continue
            found = table.get(policy.title)
            if found is None:
                try:
                    body = self.client.request(
                        "POST", "/api/v2/slas/policies.json", json={"sla_policy": done.payload}
                    ).json()
                except RecordError as exc:
                    results.append(refused(item, exc))
                    continue
                found = table[policy.title] = f"sla_policies/{body['sla_policy']['id']}"
            matched = self._adopts(Kind.SLA_POLICY, found)
            results.append(WriteResult(key=item.key, target_id=found, matched=matched))
        return results

    @guarded
    def _sla_policy_table(self) -> dict[str, str]:
        """SLA policy target ids by title; read once (one unpaginated call)."""
        if self._sla_policies is None:
            self._sla_policies = {
                str(data.get("title")): f"sla_policies/{data['id']}"
                for data in self._sla_policy_list()
            }
            self._note_held(Kind.SLA_POLICY, self._sla_policies.values())
        return self._sla_policies

    def _sla_policy_list(self) -> list[Mapping[str, Any]]:
        read = BY_NAME["sla_policies"].read
        assert read is not None
        return [data for page in self.client.pages(read) for data in page.records]

    def _sla_policy_states(self, ids: Sequence[str]) -> dict[str, bool]:
        """Whether each SLA policy applies to tickets, by target id (``sla_policies/<id>``):
        active when its filter no longer holds the inactive guard. Ids the account does not
        have are absent."""
        wanted = set(ids)
        return {
            f"sla_policies/{data['id']}": zendesk_active(data)
            for data in self._sla_policy_list()
            if f"sla_policies/{data['id']}" in wanted
        }

    def _activate_sla_policies(self, ids: Sequence[str]) -> dict[str, str]:
        """Switch SLA policies on by removing the inactive guard from their filter
        (``PUT /api/v2/slas/policies/{id}``): target id → ``""`` when done (or already on),
        else Zendesk's message."""
        current = {f"sla_policies/{data['id']}": data for data in self._sla_policy_list()}
        results: dict[str, str] = {}
        for target_id in ids:
            data = current.get(target_id)
            if data is None:
                results[target_id] = f"{target_id} is not in the account"
                continue
            if zendesk_active(data):
                results[target_id] = ""
                continue
            body = {"sla_policy": {"filter": zendesk_activated(data)}}
            try:
                self.client.request("PUT", f"/api/v2/slas/policies/{data['id']}.json", json=body)
            except RecordError as exc:
                results[target_id] = exc.platform_message or exc.reason
            else:
                results[target_id] = ""
        return results

    # -- helpers -------------------------------------------------------------------------------

    @guarded
    def _me_id(self) -> int:
        """The id of the user the API acts as (the author of SLA history notes); read once."""
        if self._me is None:
            self._me = int(self.client.get_json("/api/v2/users/me.json")["user"]["id"])
        return self._me

    def _write_job(
        self,
        write: Write | None,
        batch: Sequence[Outgoing],
        payload: Callable[[Outgoing], dict[str, Any]],
    ) -> list[WriteResult]:
        """A ``create_many``-style call: one job, one result per record."""
        assert write is not None
        answers: dict[int, WriteResult] = {}
        payloads: list[tuple[int, dict[str, Any]]] = []
        for index, item in enumerate(batch):
            try:
                payloads.append((index, payload(item)))
            except RecordError as exc:
                answers[index] = refused(item, exc)
        if payloads:
            body = self.client.request(
                write.method,
                write.path,
                params=dict(write.params) or None,
                json={write.body_key: [p for _, p in payloads]},
            ).json()
            sent = [batch[index] for index, _ in payloads]
            for (index, _), result in zip(
                payloads, self._job_results(body["job_status"], sent), strict=True
            ):
                answers[index] = result
        return [answers[index] for index in range(len(batch))]

    def _job_results(self, job: Mapping[str, Any], sent: Sequence[Outgoing]) -> list[WriteResult]:
        """Wait for a job and turn its per-item results into write results, in order."""
        done = self._wait_for_job(job)
        by_index: dict[int, Mapping[str, Any]] = {}
        for position, result in enumerate(done.get("results") or []):
            by_index[int(result.get("index", position))] = result
        answers = []
        for index, item in enumerate(sent):
            result = by_index.get(index)
            if result is None:
                answers.append(
                    WriteResult(
                        key=item.key,
                        error="the import job gave no result for this record",
                        platform_message=str(done.get("message") or done.get("status")),
                    )
                )
            elif result.get("id") is not None and not result.get("error"):
                # An upsert that updated a user the account held (by e-mail): not created.
                updated = result.get("status") == "Updated" or result.get("action") == "update"
                matched = updated and item.target_id is None
                answers.append(
                    WriteResult(key=item.key, target_id=str(result["id"]), matched=matched)
                )
            else:
                message = "; ".join(
                    str(part) for part in (result.get("error"), result.get("details")) if part
                )
                answers.append(
                    WriteResult(
                        key=item.key,
                        error="zendesk refused the record",
                        platform_message=message or "failed",
                    )
                )
        return answers

    def _settle_jobs(self) -> None:
        """Wait until the account runs no background job: one queued by an earlier process
        whose answer was lost (a crash, a dropped connection) must finish before lookups, or a
        record it is about to create would look missing and be sent twice."""
        pause = jobs_pace.SHORTEST
        for _ in range(_JOB_MAX_POLLS):
            jobs = self.client.get_json("/api/v2/job_statuses.json").get("job_statuses") or []
            if not any(job.get("status") in ("queued", "working") for job in jobs):
                return
            self.clock.sleep(pause)
            pause = min(jobs_pace.LONGEST, 2 * pause)
        raise TransientError("zendesk background jobs did not finish; resume later")

    def _wait_for_job(self, job: Mapping[str, Any]) -> Mapping[str, Any]:
        """Poll a job status until it is completed (each poll spends the account budget),
        waiting as long as its size and the account's pace say (:mod:`.jobs`)."""
        return self.job_pace.wait(
            job,
            lambda job_id: self.client.get_json(f"/api/v2/job_statuses/{job_id}.json")[
                "job_status"
            ],
        )

    def _upload_attachments(
        self, item: Outgoing, files: FileSource, *, only: Comment | None = None
    ) -> dict[str, str]:
        """Upload every file of a ticket (or of one of its comments); attachment id → token."""
        record = item.record
        assert isinstance(record, Ticket)
        notes = record.comments if only is None else (only,)
        _check_sizes(notes)
        return {
            attachment.id: self._upload(attachment, files)
            for note in notes
            for attachment in note.attachments
        }

    def _upload_batch(
        self, items: Sequence[Outgoing], files: FileSource
    ) -> dict[SourceKey, dict[str, str] | RecordError]:
        """Every file of these tickets, uploaded several at once (:attr:`calls`): per
        ticket its tokens by attachment id, or why it cannot be imported. An error that is
        not the record's own (a lost answer, an outage) is raised once all are back."""
        answers: dict[SourceKey, dict[str, str] | RecordError] = {}
        work: list[tuple[SourceKey, Attachment]] = []
        for item in items:
            record = item.record
            assert isinstance(record, Ticket)
            try:
                _check_sizes(record.comments)
            except RecordError as exc:
                answers[item.key] = exc
                continue
            answers[item.key] = {}
            work.extend((item.key, a) for note in record.comments for a in note.attachments)
        done = self.calls.map(lambda pair: self._upload(pair[1], files), work)
        for (key, attachment), outcome in zip(work, done, strict=True):
            if isinstance(outcome, RecordError):
                answers[key] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                tokens = answers[key]
                if isinstance(tokens, dict):
                    tokens[attachment.id] = outcome
        return answers

    def _upload(self, attachment: Attachment, files: FileSource) -> str:
        """One file uploaded; its token."""
        with files.open_attachment(attachment) as stream:
            data = stream.read()  # at most 50 MB, checked before
        body = self.client.request(
            "POST",
            "/api/v2/uploads.json",
            params={"filename": attachment.file_name},
            data=data,
            headers={"Content-Type": attachment.content_type or "application/binary"},
        ).json()
        return str(body["upload"]["token"])

    @guarded
    def _field_table(self) -> dict[tuple[FieldObject, str], FieldDef]:
        """Every custom field of the account, by (object, key); read once."""
        if self._fields is None:
            self._fields = {}
            for owner, name in _FIELD_OBJECTS.items():
                read = BY_NAME[name].read
                assert read is not None
                for page in self.client.pages(read):
                    for data in page.records:
                        definition = convert.field(data, object=owner)
                        if definition is not None:
                            self._fields[(owner, definition.key)] = definition
                        elif owner is FieldObject.TICKET and data.get("type") in _SYSTEM_TYPES:
                            name = _SYSTEM_TYPES[str(data["type"])]
                            self._system_fields.setdefault(name, int(data["id"]))
            self._note_held(Kind.FIELD, (f.id for f in self._fields.values()))
        return self._fields

    def _lookups(self, owner: FieldObject) -> dict[str, Kind]:
        """The account's lookup relationship fields of ``owner`` records, by key."""
        return convert.lookup_kinds(self._field_table().values(), owner)

    def _group_names(self, owner: FieldObject) -> dict[str, str]:
        """Group names by target id, when ``owner`` records have a field keeping one."""
        if Kind.GROUP not in self._lookups(owner).values():
            return {}
        return {group_id: name for name, group_id in self._group_table().items()}

    def _create_field(self, definition: FieldDef) -> FieldDef:
        name = _FIELD_OBJECTS[definition.object]
        body = self.client.request(
            "POST",
            f"/api/v2/{name}.json",
            json={name[:-1]: convert.field_payload(definition)},
        ).json()
        created = convert.field(body[name[:-1]], object=definition.object)
        if created is None:
            raise RecordError(f"zendesk created {definition.key!r} as a system field")
        self._field_table()[(definition.object, definition.key)] = created
        return created

    @guarded
    def _group_table(self) -> dict[str, str]:
        """Group ids by name; read once."""
        if self._groups is None:
            read = BY_NAME["groups"].read
            assert read is not None
            self._groups = {
                str(g["name"]): str(g["id"])
                for page in self.client.pages(read)
                for g in page.records
                if not g.get("deleted")
            }
            self._note_held(Kind.GROUP, self._groups.values())
        return self._groups

    @guarded
    def _organization_table(self) -> dict[str, str]:
        """Organization ids by case-folded name; read once."""
        if self._organizations is None:
            read = BY_NAME["organizations"].read
            assert read is not None
            self._organizations = {
                str(o["name"]).casefold(): str(o["id"])
                for page in self.client.pages(read)
                for o in page.records
                if not o.get("deleted_at")
            }
            self._note_held(Kind.ORGANIZATION, self._organizations.values())
        return self._organizations

    @guarded
    def _organization_membership_table(self) -> dict[tuple[str, str], str]:
        """Organization membership ids by (user id, organization id); read once."""
        if self._organization_memberships is None:
            read = BY_NAME["organization_memberships"].read
            assert read is not None
            self._organization_memberships = {
                (str(m["user_id"]), str(m["organization_id"])): str(m["id"])
                for page in self.client.pages(read)
                for m in page.records
            }
            held = self._organization_memberships.values()
            self._note_held(Kind.ORGANIZATION_MEMBERSHIP, held)
        return self._organization_memberships

    @guarded
    def _membership_table(self) -> dict[tuple[str, str], str]:
        """Membership ids by (user id, group id); read once."""
        if self._memberships is None:
            read = BY_NAME["group_memberships"].read
            assert read is not None
            self._memberships = {
                (str(m["user_id"]), str(m["group_id"])): str(m["id"])
                for page in self.client.pages(read)
                for m in page.records
            }
            self._note_held(Kind.GROUP_MEMBERSHIP, self._memberships.values())
        return self._memberships


def _field_key(item: Outgoing) -> Hashable:
    definition = item.record
    assert isinstance(definition, FieldDef)
    return (definition.object, definition.key)


def _schedule_key(item: Outgoing) -> Hashable:
    assert isinstance(item.record, Schedule)
    return item.target_id or item.record.name


def _group_key(item: Outgoing) -> Hashable:
    assert isinstance(item.record, Group)
    return item.record.name


def _pair(payload: Callable[[Outgoing], Mapping[str, Any]]) -> Callable[[Outgoing], Hashable]:
    """The key of a membership: the two records it joins (their target ids in ``payload``),
    or its own key when a link is missing (it is refused on its own)."""

    def key(item: Outgoing) -> Hashable:
        try:
            body = payload(item)
        except RecordError:
            return item.key
        return tuple(str(value) for name, value in body.items() if name.endswith("_id"))

    return key


def _check_sizes(notes: Sequence[Comment]) -> None:
    """A file over Zendesk's limit is the ticket's failure, before anything is uploaded."""
    for note in notes:
        for attachment in note.attachments:
            if attachment.size > MAX_ATTACHMENT_BYTES:
                raise RecordError(
                    f"attachment {attachment.file_name!r} is over Zendesk's 50 MB limit",
                    platform_message="AttachmentTooLarge",
                )


def _custom_role(item: Outgoing) -> str | None:
    """The custom role an agent record names (None for end users and admins)."""
    record = item.record
    if isinstance(record, User) and record.role is Role.AGENT:
        return record.custom_role
    return None


def _rule_ids(target_ids: Sequence[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Rule target ids by kind (plural → Zendesk id → target id), and the ids that name no
    rule kind this target writes."""
    by_kind: dict[str, dict[str, str]] = {}
    malformed = []
    for target_id in target_ids:
        kind, _, rule_id = target_id.rpartition("/")
        if kind in (*_RULE_KINDS, _SLA_POLICIES) and rule_id.isdigit():
            by_kind.setdefault(kind, {})[rule_id] = target_id
        else:
            malformed.append(target_id)
    return by_kind, malformed


_SYSTEM_TYPES: Final = convert.SYSTEM_FIELDS
"""Built-in ticket field type → schema name (a form's ``system_fields``)."""

_NATURAL_KEYS: Final[Mapping[Kind, Callable[[object], Any]]] = {
    Kind.BRAND: lambda r: r.name.casefold() if isinstance(r, Brand) else None,
    Kind.TICKET_FORM: lambda r: r.name.casefold() if isinstance(r, TicketForm) else None,
    Kind.CUSTOM_STATUS: lambda r: (
        (
            Status.SOLVED.value if r.category is Status.CLOSED else r.category.value,
            r.agent_label.casefold(),
        )
        if isinstance(r, CustomStatus)
        else None
    ),
    Kind.SCHEDULE: lambda r: r.name if isinstance(r, Schedule) else None,
}
"""What a configuration record is found by in the target: a brand's or form's name (case
folded), a custom status's category and agent label, a schedule's name."""


def _account_subdomain(base_url: str) -> str:
    """The target account's subdomain (``acme`` of ``https://acme.zendesk.com``); for an
    address that names none (a proxy by IP), ``cemigrate``."""
    host = urlparse(base_url).hostname or ""
    first = host.split(".")[0]
    return _subdomain_part(first) if first and not first.isdigit() else "cemigrate"


def _subdomain_part(text: str) -> str:
    """Lower-case letters, digits and single hyphens: what a subdomain may hold."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
