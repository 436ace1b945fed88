"""Read a Salesforce Service Cloud org into the common schema.

Each schema kind is read from the sObjects the table in :mod:`.objects` names for it (users
from ``Contact`` then ``User``), in order; a cursor says which of them and after which
``(SystemModstamp, Id)`` to resume, so a delta reads only rows changed since, and ``queryAll``
brings deleted rows. Cases are read 2,000 a page and handed on ``page_size`` at a time; the
comments and files of those cases come with one query per child object (``WHERE ParentId IN
(...)``, 200 ids a query), never one query per case. File bytes are streamed from
``VersionData`` and hashed on the way.

What real orgs hold is read as it is (docs/salesforce.md, the data model): a custom lookup to a
carried object is a LOOKUP field holding the source's ids, any other lookup a text field; a
formula, roll-up summary or auto-number is read-only with its formula kept. Case record types
are ticket forms (offered when the Case describe lists record types beyond the master one) and
a case's ``RecordTypeId`` its form. In an org with person accounts (``IsPersonAccount`` in the
describe) each one is an end user read from ``Account`` under its person contact's id, and the
organizations and contacts read leave them out. Every query names only fields the describe
lists.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, Final
from xml.etree import ElementTree

import attrs
import requests

from cemigrate.adapters.contract import Batch, Metadata, SlaHistory, Source
from cemigrate.adapters.files import attachment_stream
from cemigrate.adapters.salesforce import convert, kept
from cemigrate.adapters.salesforce.client import (
    SalesforceClient,
    SalesforceCredentials,
    soql_list,
    soql_time,
)
from cemigrate.adapters.salesforce.limits import SALESFORCE_PLANS
from cemigrate.adapters.salesforce.objects import (
    API_VERSION,
    BY_NAME,
    EXTERNAL_ID,
    OBJECTS,
    PERSON_ACCOUNTS,
    QUERY_CHUNK,
    SOURCE_CAPABILITIES,
    Paging,
    SalesforceObject,
)
from cemigrate.adapters.transport import account_address
from cemigrate.errors import RecordError
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.schema import (
    Attachment,
    Channel,
    Comment,
    FieldDef,
    FieldObject,
    Kind,
    Record,
    RuleKind,
    Ticket,
)

log = logging.getLogger("cemigrate.salesforce")

_CHILDREN: Final = frozenset({"CaseComment", "EmailMessage", "FeedItem"})
"""Comments travel inside tickets; these rows are how they are read, not streams of their own."""
_KEPT_SLA: Final = frozenset({"Cemigrate_Sla_Event__c", "Cemigrate_Ticket_Metrics__c"})
"""Where a *target* org keeps the SLA history cemigrate wrote (``prepare`` creates them): read
only by a target view, in place of ``CaseMilestone`` (which no API creates, facts 2.6)."""
_READ_ALSO: Final[Mapping[str, tuple[str, ...]]] = {
    "User": ("LocaleSidKey", "TimeZoneSidKey"),
    "CaseMilestone": ("Case.EntitlementId",),
}
"""Fields only the reader wants, beyond the shared table's (kept to what the org has)."""
_PERSON_FLAGS: Final[Mapping[str, str]] = {
    "Case": "Account.IsPersonAccount",
    "AccountContactRelation": "Contact.IsPersonAccount",
}
"""Read along in an org with person accounts: a case's account that is a person account is its
requester, not an organization; a person contact's relations are no memberships."""
_RULE_METADATA: Final[Mapping[RuleKind, tuple[str, str]]] = {
    RuleKind.ASSIGNMENT: ("AssignmentRules", "assignmentRule"),
    RuleKind.ESCALATION: ("EscalationRules", "escalationRule"),
}
"""Rule kind → the Metadata API type holding its rules on Case and that type's list member."""
_KEYED: Final = frozenset({"Account", "Contact", "User", "Case"})
"""Objects the target upserts by (or marks with) ``Cemigrate_Id__c``: a target view reads it
along when asked to report external ids (person accounts are ``Account`` rows)."""
_METADATA_NS: Final = "{http://soap.sforce.com/2006/04/metadata}"


def _streams(kind: Kind, target_view: bool = False) -> tuple[SalesforceObject, ...]:
    """The sObjects a schema kind is read from, in table order (a target view reads SLA
    history from cemigrate's own objects, :data:`_KEPT_SLA`)."""
    rows = tuple(row for row in OBJECTS if row.kind is kind and row.name not in _CHILDREN)
    kept_rows = tuple(row for row in rows if row.name in _KEPT_SLA)
    if target_view and kept_rows:
        return kept_rows
    return tuple(row for row in rows if row.name not in _KEPT_SLA)


def _derived(kind: Kind, target_view: bool = False) -> Kind | None:
    """A kind read along another kind's stream: a case's metrics come from all its
    milestones together, so they follow the ``Case`` stream, a page of cases at a time (a
    target view reads them from ``Cemigrate_Ticket_Metrics__c`` instead)."""
    return Kind.TICKET if kind is Kind.TICKET_METRICS and not target_view else None


class SalesforceSource(Source):
    """A Salesforce org as a source of records.

    With ``target_view=True`` it reads an org cemigrate migrated *into* (reconciliation's
    target view): SLA events and ticket metrics come from the ``Cemigrate_Sla_Event__c`` and
    ``Cemigrate_Ticket_Metrics__c`` rows the target wrote, one row each, their ``Case__c`` the
    ticket, rather than from ``CaseMilestone``."""

    platform = "salesforce"

    def __init__(
        self,
        *,
        instance: str,
        instance_url: str,
        credentials: SalesforceCredentials,
        edition: str = "enterprise",
        licences: int = 0,
        daily_quota_share: float | None = None,
        api_version: str = API_VERSION,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        page_size: int = 200,
        target_view: bool = False,
    ) -> None:
        clock = clock or SystemClock()
        self.instance = instance
        self.target_view = target_view
        """Whether this reads a migration's target org (SLA history from cemigrate's rows)."""
        self.page_size = max(1, min(page_size, 200))
        """Cases per batch (their children are read together, 200 ids a query)."""
        options: dict[str, object] = {"licences": licences}
        if daily_quota_share is not None:
            options["daily_quota_share"] = daily_quota_share
        self.budgets: Budgets = budgets_for(
            SALESFORCE_PLANS, edition, clock=clock, prefix=instance, **options
        )
        self.client = SalesforceClient(
            instance_url=instance_url,
            credentials=credentials,
            budgets=self.budgets,
            retry=RetryPolicy(clock),
            clock=clock,
            session=session,
            api_version=api_version,
        )
        self._fields: dict[str, dict[str, FieldDef]] = {}
        self._entitlements: dict[str, str] | None = None
        self._queue_names: dict[str, str] | None = None
        self._rules_refused = False
        self._on_external_id: Callable[[Kind, str, str], None] | None = None
        """Called with (kind, id, ``Cemigrate_Id__c``) for every live row read that carries
        one (:meth:`report_external_ids`)."""

    def report_external_ids(self, note: Callable[[Kind, str, str], None]) -> bool:
        """Read ``Cemigrate_Id__c`` along on ``Case``, ``Contact``, ``Account`` (person
        accounts too, under their ``PersonContactId``) and ``User``, and call ``note(kind,
        id, key)`` for every row not deleted that holds one (and for each ``EmailMessage``
        read with its case: ``note(TICKET, case id, "<ticket key>:comment:<id>")``):
        reconciliation reads a target org back through a source and finds extra and
        duplicate records by it. The field is
        created unique and case-sensitive by ``prepare``, so a second record for one source
        record carries another key (a renamed instance's)."""
        self._on_external_id = note
        return True

    def account_url(self) -> str:
        """The account's address this source reads (its base URL)."""
        return account_address(self.client.instance_url)

    def describe(self) -> Metadata:
        """The kinds Salesforce offers and the org's custom fields."""
        fields = tuple(
            definition
            for owner in convert.FIELD_OBJECTS
            for definition in self._custom_fields(owner).values()
        )
        view = self.target_view
        kinds = frozenset(
            kind for kind in Kind if _streams(kind, view) or _derived(kind, view) is not None
        ) | {Kind.FIELD}
        if not self._has_record_types():
            kinds -= {Kind.TICKET_FORM}
        return Metadata(
            platform=self.platform,
            kinds=kinds - {Kind.SATISFACTION_RATING},
            fields=fields,
            capabilities=SOURCE_CAPABILITIES,
        )

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Stream ``kind`` after ``cursor``: each batch's cursor resumes after it.

        The cursor keeps a ``(SystemModstamp, Id)`` position for every incremental object of
        the kind (users: ``Contact`` and ``User``), so a delta re-reads each of them from its
        own position; objects read whole are skipped once read in this pass (``object``) and
        read again by the next one."""
        if kind is Kind.FIELD:
            yield Batch(records=self.describe().fields, cursor=None)
            return
        streams = self._rows(_derived(kind, self.target_view) or kind)
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        done_whole = int(state.get("object", 0))
        positions: dict[str, list[str]] = dict(state.get("after") or {})
        for index, row in enumerate(streams):
            if row.paging is Paging.WHOLE and index < done_whole:
                continue
            if (
                not row.tooling
                and row.rule_kind not in _RULE_METADATA
                and not self.client.field_names(row.name)
            ):
                continue  # the org has no such object (FeedItem without Chatter)
            if row.name == "RecordType" and not self._has_record_types():
                continue  # cases have the master record type only: no forms
            for records, position in self._pages(row, positions.get(row.name), kind):
                if position is not None:
                    positions[row.name] = position
                    following: dict[str, Any] | None = {"object": index, "after": positions}
                elif index + 1 < len(streams):
                    following = {"object": index + 1, "after": positions}
                else:  # the last object is read whole: the next pass starts over
                    following = {"object": 0, "after": positions} if positions else None
                yield Batch(
                    records=records, cursor=None if following is None else json.dumps(following)
                )

    def close(self) -> None:
        """Nothing to release: every request's answer is read whole or streamed and closed."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The file's bytes from ``VersionData``, streamed and hashed on the way."""
        if not attachment.location:
            raise RecordError(f"attachment {attachment.id} has no VersionData location")
        return attachment_stream(attachment, self.client.download(attachment.location))

    # -- reading ---------------------------------------------------------------------------

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        """Users (``Contact``, then ``User``) and organizations (``Account``) by id:
        ``SELECT ... WHERE Id IN (...)``, :data:`QUERY_CHUNK` ids a query, deleted rows
        included where the stream reads them. Other kinds are read whole (none fetched)."""
        if kind not in (Kind.USER, Kind.ORGANIZATION):
            return ()
        wanted = list(dict.fromkeys(ids))
        found: list[Record] = []
        for row in self._rows(kind):
            if not wanted:
                break
            if row.paging is not Paging.MODSTAMP or not self.client.field_names(row.name):
                continue
            key = "PersonContactId" if row is PERSON_ACCOUNTS else "Id"
            select = f"SELECT {', '.join(self._columns(row, kind))} FROM {row.name}"
            rows = self._query_in(
                select,
                key,
                wanted,
                extra=" AND ".join(self._where(row)),
                deleted=row.deleted_rows,
            )
            records = self._convert(row, rows, kind)
            served = {record.id for record in records}
            found.extend(records)
            wanted = [i for i in wanted if i not in served]
        return tuple(found)

    def _rows(self, kind: Kind) -> tuple[SalesforceObject, ...]:
        """The sObjects ``kind`` is read from in this org: users from person accounts too,
        after ``Contact`` and ``User``, when the org has them."""
        rows = _streams(kind, self.target_view)
        if kind is Kind.USER and self._person_accounts():
            rows += (PERSON_ACCOUNTS,)
        return rows

    def _person_accounts(self) -> bool:
        """Whether the org has person accounts: ``IsPersonAccount`` is a field of ``Account``
        (and of ``Contact``) only then (Object Reference: Account; Salesforce REST API
        guide, person account record types). ``Contact``'s describe is asked first: a users
        read has it already."""
        return "IsPersonAccount" in self.client.field_names(
            "Contact"
        ) and "IsPersonAccount" in self.client.field_names("Account")

    def _has_record_types(self) -> bool:
        """Whether cases have record types beyond the master one: the Case describe's
        ``recordTypeInfos`` lists them (with the master, ``master: true``); a real org's Case
        describe shows ``RecordTypeId`` only then."""
        try:
            infos = self.client.describe("Case").get("recordTypeInfos") or []
        except RecordError:
            return False
        return any(isinstance(i, Mapping) and not i.get("master") for i in infos)

    def _where(self, row: SalesforceObject) -> list[str]:
        """The row's fixed conditions; in an org with person accounts, the organizations'
        ``Account`` and the end users' ``Contact`` rows leave the person accounts out (they are
        read once, as :data:`PERSON_ACCOUNTS`)."""
        conditions = [row.where] if row.where else []
        if (
            row is not PERSON_ACCOUNTS
            and row.name in ("Account", "Contact")
            and self._person_accounts()
        ):
            conditions.append("IsPersonAccount = false")
        return conditions

    def _soql(self, row: SalesforceObject, after: list[str] | None, kind: Kind) -> str:
        fields = self._columns(row, kind)
        conditions = self._where(row)
        if after is not None and row.paging is Paging.MODSTAMP:
            conditions.append(f"SystemModstamp >= {soql_time(after[0])}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        order = " ORDER BY SystemModstamp, Id" if row.paging is Paging.MODSTAMP else " ORDER BY Id"
        return f"SELECT {', '.join(fields)} FROM {row.name}{where}{order}"

    def _columns(self, row: SalesforceObject, kind: Kind) -> list[str]:
        """The columns read of ``row`` for ``kind`` (those the org has)."""
        fields = [*row.fields, *_READ_ALSO.get(row.name, ())]
        if kind is Kind.TICKET_METRICS and row.name == "Case":  # which cases; milestones per page
            fields = ["Id", "IsDeleted", "SystemModstamp"]
        available = self.client.field_names(row.name)
        if available:  # keep to what the org has (cemigrate's own fields may be missing)
            fields = [f for f in fields if "." in f or f in available]
        if row.name == "Case" and not self._has_record_types():
            fields = [f for f in fields if f != "RecordTypeId"]  # a real org lists it only then
        if (
            self._on_external_id is not None
            and row.name in _KEYED
            and kind is not Kind.TICKET_METRICS
            and EXTERNAL_ID in available
            and EXTERNAL_ID not in fields
        ):
            fields.append(EXTERNAL_ID)
        if row.custom_fields and kind is not Kind.TICKET_METRICS:
            owner = next(o for o, name in convert.FIELD_OBJECTS.items() if name == row.name)
            fields += [n for n in self._custom_fields(owner) if n not in fields]
        if row is PERSON_ACCOUNTS:  # the person contact's own and custom fields, as __pc
            contact = [*BY_NAME["Contact"].fields, *self._custom_fields(FieldObject.USER)]
            twins = [f"{n.removesuffix('__c')}__pc" for n in contact if n.endswith("__c")]
            fields += [n for n in twins if n in available and n not in fields]
        elif (
            row.name in _PERSON_FLAGS
            and kind is not Kind.TICKET_METRICS
            and self._person_accounts()
        ):
            fields.append(_PERSON_FLAGS[row.name])
        return fields

    def _pages(
        self, row: SalesforceObject, after: list[str] | None, kind: Kind
    ) -> Iterator[tuple[tuple[Record, ...], list[str] | None]]:
        """Records of one object, ``page_size`` at a time, each with the position after it."""
        soql = self._soql(row, after, kind)
        include_deleted = row.deleted_rows and row.paging is Paging.MODSTAMP
        rows_out: list[Any] = []
        if row.tooling:
            yield tuple(self._flows(row)), None
            return
        if row.rule_kind in _RULE_METADATA and not self.client.field_names(row.name):
            # No such sObject (EscalationRule is metadata only): the rules come from metadata.
            yield tuple(self._rules(row, None)), None
            return
        if row.paging is Paging.WHOLE:
            rows = self.client.query(soql)
            yield tuple(self._convert(row, rows, kind)), None
            return
        for page in self.client.query_pages(soql, include_deleted=include_deleted):
            for data in page:
                position = [str(data.get("SystemModstamp")), str(data.get("Id"))]
                if after is not None and position <= after:
                    continue  # read up to this row before (stamps equal to the cursor's)
                rows_out.append(data)
                if len(rows_out) >= self.page_size:
                    yield tuple(self._convert(row, rows_out, kind)), position
                    rows_out = []
        if rows_out:
            last = rows_out[-1]
            yield (
                tuple(self._convert(row, rows_out, kind)),
                [str(last.get("SystemModstamp")), str(last.get("Id"))],
            )

    def _convert(self, row: SalesforceObject, rows: Sequence[Any], kind: Kind) -> list[Record]:
        if self._on_external_id is not None and row.name in _KEYED:
            self._report_external_ids(row, rows, kind)
        if row.name in _KEPT_SLA:
            return _kept_history(row.name, rows)
        if row.name == "Case" and kind is Kind.TICKET_METRICS:
            history = self._milestones([str(r["Id"]) for r in rows])
            return [h.metrics for h in history.values() if h.metrics is not None]
        if row.name == "Case":
            return list(self._cases(rows))
        if row.name == "CaseMilestone":
            processes = self._processes()
            return [
                event
                for data in rows
                for event in convert.milestone_events(
                    data, policy=processes.get(str(_entitlement(data)))
                )
            ]
        if row.name == "GroupMember":
            queues = {
                q["Id"] for q in self.client.query("SELECT Id FROM Group WHERE Type = 'Queue'")
            }
            return [
                m
                for data in rows
                if data.get("GroupId") in queues and (m := convert.group_member(data)) is not None
            ]
        if row.name == "BusinessHours":
            return self._schedules(rows)
        if row.rule_kind in _RULE_METADATA:
            return self._rules(row, rows)
        if row.rule_kind is not None:
            rule_kind = row.rule_kind
            return [convert.rule(data, rule_kind) for data in rows]
        if row is PERSON_ACCOUNTS:
            fields = self._custom_fields(FieldObject.USER)
            return [convert.person_account(data, fields) for data in rows]
        if row.name == "AccountContactRelation":  # a person contact belongs to no organization
            rows = [d for d in rows if not (d.get("Contact") or {}).get("IsPersonAccount")]
        one: Mapping[str, Callable[[Any], Record]] = {
            "Account": lambda d: convert.account(d, self._custom_fields(FieldObject.ORGANIZATION)),
            "Contact": lambda d: convert.contact(d, self._custom_fields(FieldObject.USER)),
            "User": convert.user,
            "Group": convert.queue,
            "SlaProcess": convert.sla_process,
            "AccountContactRelation": kept.membership,
            "RecordType": convert.record_type,
        }
        return [one[row.name](data) for data in rows]

    def _report_external_ids(self, row: SalesforceObject, rows: Sequence[Any], kind: Kind) -> None:
        """Note each live row's ``Cemigrate_Id__c`` under the id the record is read with."""
        assert self._on_external_id is not None
        id_column = "PersonContactId" if row is PERSON_ACCOUNTS else "Id"
        for data in rows:
            key = data.get(EXTERNAL_ID)
            if key and not data.get("IsDeleted") and data.get(id_column):
                self._on_external_id(kind, str(data[id_column]), str(key))

    def _schedules(self, rows: Sequence[Any]) -> list[Record]:
        """Business hours with the Holiday rows cemigrate tagged with their name (one query
        per 200 business hours). Holidays linked to business hours in Setup are not readable:
        no API field names the link."""
        tags = {kept.schedule_tag(str(row.get("Name") or "")): str(row["Id"]) for row in rows}
        holidays: dict[str, list[Any]] = {}
        if tags and self.client.field_names("Holiday"):
            for data in self.client.query_in(
                self._select("Holiday", "Id", "Name", "ActivityDate", "Description"),
                "Description",
                tags,
            ):
                owner = tags.get(str(data.get("Description")))
                if owner is not None:
                    holidays.setdefault(owner, []).append(data)
        return [kept.schedule(row, holidays.get(str(row["Id"]), ())) for row in rows]

    def _rules(self, row: SalesforceObject, rows: Sequence[Any] | None) -> list[Record]:
        """Assignment or escalation rules with their entries: one ``readMetadata`` of the
        kind's type (``AssignmentRules`` / ``EscalationRules``, fullName ``Case``) for all of
        them, matched to the rows by name; each entry becomes a rule of its own
        (:func:`convert.rule_entries`). Without rows (no such sObject) the metadata's rules are
        the rows, with id ``Case.<fullName>``. When the org refuses the call, the rules stay
        opaque (logged once) and the read goes on."""
        kind = row.rule_kind
        assert kind is not None
        found = self._rule_metadata(kind)
        if rows is None:
            rows = [
                {"Id": f"Case.{name}", "Name": name, "Active": meta.get("active") == "true"}
                for name, meta in (found or {}).items()
            ]
        out: list[Record] = []
        for data in rows:
            meta = (found or {}).get(str(data.get("Name") or "")) or {}
            entries = [
                dict(e) for e in convert.listed(meta.get("ruleEntry")) if isinstance(e, Mapping)
            ]
            out += convert.rule_entries(data, kind, self._owners(entries))
        return out

    def _rule_metadata(self, kind: RuleKind) -> dict[str, dict[str, Any]] | None:
        """The Case rules of the kind's metadata type by ``fullName``; None when refused."""
        meta_type, member = _RULE_METADATA[kind]
        try:
            root = self.client.metadata_call(
                f"<readMetadata><type>{meta_type}</type><fullNames>Case</fullNames></readMetadata>",
                what=f"readMetadata {meta_type}",
            )
        except RecordError as exc:
            if not self._rules_refused:
                log.warning(
                    "salesforce refused readMetadata (%s): assignment and escalation rules are"
                    " read without their entries",
                    exc.platform_message or exc.reason,
                )
            self._rules_refused = True
            return None
        found: dict[str, dict[str, Any]] = {}
        for records in root.iter(f"{_METADATA_NS}records"):
            container = _element(records)
            if not isinstance(container, dict):
                continue
            for item in convert.listed(container.get(member)):
                if isinstance(item, dict) and item.get("fullName"):
                    found[str(item["fullName"])] = item
        return found

    def _owners(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Entries with ``assignedToId`` beside each ``assignedTo`` the org resolves: the
        Metadata API names a queue by its ``DeveloperName`` (or ``Name``) and a user by
        ``Username``; queues are read once, users one query per 200 names."""
        targets: list[dict[str, Any]] = []
        for entry in entries:
            targets.append(entry)
            actions = convert.listed(entry.get("escalationAction"))
            entry_actions = [dict(a) for a in actions if isinstance(a, Mapping)]
            if "escalationAction" in entry:
                entry["escalationAction"] = entry_actions
            targets += entry_actions
        named = [t for t in targets if t.get("assignedTo")]
        if not named:
            return entries
        if any(t.get("assignedToType") == "Queue" for t in named) and self._queue_names is None:
            self._queue_names = {}
            for q in self.client.query(
                "SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' ORDER BY Id"
            ):
                for key in ("Name", "DeveloperName"):
                    if q.get(key):
                        self._queue_names.setdefault(str(q[key]).lower(), str(q["Id"]))
        usernames = [str(t["assignedTo"]) for t in named if t.get("assignedToType") != "Queue"]
        users: dict[str, str] = {}
        if usernames:
            for u in self._query_in("SELECT Id, Username FROM User", "Username", usernames):
                users[str(u["Username"]).lower()] = str(u["Id"])
        for t in named:
            name = str(t["assignedTo"]).lower()
            table = (self._queue_names or {}) if t.get("assignedToType") == "Queue" else users
            if name in table:
                t["assignedToId"] = table[name]
        return entries

    def _flows(self, row: SalesforceObject) -> Iterator[Record]:
        """Record-triggered flows on Case: one Tooling query lists every version, then one GET
        per flow reads the version that counts (the active one, else the latest) whole: Tooling
        refuses ``Metadata`` in a query that returns more than one row."""
        versions = self.client.tooling_query(
            f"SELECT {', '.join(row.fields)} FROM {row.name} WHERE {row.where}"
            " ORDER BY DefinitionId, VersionNumber"
        )
        chosen: dict[str, Any] = {}
        for version in versions:
            definition = str(version["DefinitionId"])
            held = chosen.get(definition)
            if held is None or held.get("Status") != "Active":
                chosen[definition] = version
        for version in chosen.values():
            flow = self.client.tooling_record(row.name, str(version["Id"]))
            rule = convert.flow_rule(version, flow, active=version.get("Status") == "Active")
            if rule is not None:
                yield rule

    def _cases(self, rows: Sequence[Any]) -> Iterator[Record]:
        """Tickets for a page of cases, with their comments and files (one query per child
        object for the whole page; ``queryAll`` when the page holds deleted cases, whose
        children are in the recycle bin with them)."""
        fields = self._custom_fields(FieldObject.TICKET)
        ids = [str(r["Id"]) for r in rows]
        deleted = any(r.get("IsDeleted") for r in rows)
        channels = {str(r["Id"]): convert.case(r, instance=self.instance).channel for r in rows}
        requesters = {str(r["Id"]): r.get("ContactId") for r in rows}
        items: dict[str, list[tuple[Comment, tuple[int, int] | None]]] = {c: [] for c in ids}
        emails: dict[str, str] = {}
        if ids:
            for data in self._children("CaseComment", ids, deleted=deleted):
                parent = str(data["ParentId"])
                items[parent].append(convert.case_comment(data, channel=Channel.WEB))
            for data in self._children("EmailMessage", ids, deleted=deleted):
                parent = str(data["ParentId"])
                if self._on_external_id is not None and data.get(EXTERNAL_ID):
                    # ``<ticket key>:comment:<id>``: the comment's case, read by its ticket
                    self._on_external_id(Kind.TICKET, parent, str(data[EXTERNAL_ID]))
                comment, part = convert.email_message(data, requester=requesters.get(parent))
                items[parent].append((comment, part))
                emails[comment.id] = parent
            for data in self._children("FeedItem", ids, deleted=deleted, extra="Type = 'TextPost'"):
                parent = str(data["ParentId"])
                if (note := convert.feed_item(data, channel=Channel.WEB)) is not None:
                    items[parent].append((note, None))
        files = self._files(ids, emails, deleted=deleted) if ids else {}
        for data in rows:
            case_id = str(data["Id"])
            ordered = sorted(items.get(case_id, []), key=lambda i: (i[0].created_at, i[0].id))
            comments = _opened_by(convert.join_parts(ordered), channels[case_id])
            comments = _with_files(comments, files.get(case_id, []))
            yield convert.case(data, comments, instance=self.instance, fields=fields)

    def _children(
        self, sobject: str, parents: Sequence[str], *, deleted: bool = False, extra: str = ""
    ) -> list[Any]:
        row = next(r for r in OBJECTS if r.name == sobject)
        available = self.client.field_names(sobject)
        if not available:
            return []  # the org has no such object (FeedItem without Chatter)
        fields = [f for f in row.fields if f in available]
        return self._query_in(
            f"SELECT {', '.join(fields)} FROM {sobject}",
            "ParentId",
            parents,
            extra=extra,
            deleted=deleted,
        )

    def _select(self, sobject: str, *fields: str) -> str:
        """``SELECT fields FROM sobject``, kept to the fields the org's describe lists (a
        relationship path is kept: its object is described elsewhere)."""
        available = self.client.field_names(sobject)
        kept = [f for f in fields if "." in f or not available or f in available]
        return f"SELECT {', '.join(kept)} FROM {sobject}"

    def _query_in(
        self,
        select: str,
        column: str,
        values: Sequence[str],
        *,
        extra: str = "",
        deleted: bool = False,
    ) -> list[Any]:
        """``select WHERE column IN (values)``, :data:`QUERY_CHUNK` values a query."""
        ordered = list(dict.fromkeys(values))
        found: list[Any] = []
        for begin in range(0, len(ordered), QUERY_CHUNK):
            where = f"{column} IN {soql_list(ordered[begin : begin + QUERY_CHUNK])}"
            where += f" AND {extra}" if extra else ""
            found.extend(self.client.query(f"{select} WHERE {where}", include_deleted=deleted))
        return found

    def _files(
        self, cases: Sequence[str], emails: Mapping[str, str], *, deleted: bool = False
    ) -> dict[str, list[tuple[str | None, Any, Attachment]]]:
        """Files linked to the cases or their e-mails: case id → (e-mail id or None, the
        version row, the attachment)."""
        links = self._query_in(
            "SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink",
            "LinkedEntityId",
            [*cases, *emails],
            deleted=deleted,
        )
        owner: dict[str, str] = {}
        for link in links:
            entity = str(link["LinkedEntityId"])
            # A file linked to an e-mail belongs to it, even when also linked to the case.
            if entity in emails or str(link["ContentDocumentId"]) not in owner:
                owner[str(link["ContentDocumentId"])] = entity
        if not owner:
            return {}
        versions = self._query_in(
            self._select(
                "ContentVersion",
                "Id",
                "ContentDocumentId",
                "Title",
                "PathOnClient",
                "FileExtension",
                "ContentSize",
                "FirstPublishLocationId",
                "CreatedDate",
            ),
            "ContentDocumentId",
            list(owner),
            extra="IsLatest = true",
        )
        found: dict[str, list[tuple[str | None, Any, Attachment]]] = {}
        for version in versions:
            entity = owner[str(version["ContentDocumentId"])]
            email = entity if entity in emails else None
            case_id = emails[entity] if email else entity
            found.setdefault(case_id, []).append((email, version, convert.attachment(version)))
        return found

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """The SLA events and metrics of these tickets, from their ``CaseMilestone`` rows:
        one query per batch (200 cases an ``IN`` list), never one per case."""
        return self._milestones([t.id for t in tickets])

    def _milestones(self, cases: Sequence[str]) -> dict[str, SlaHistory]:
        """Case id → its SLA history, for the cases that have milestones."""
        if not cases or not self.client.field_names("CaseMilestone"):
            return {}
        row = BY_NAME["CaseMilestone"]
        select = self._select("CaseMilestone", *row.fields, *_READ_ALSO["CaseMilestone"])
        rows = self._query_in(select, "CaseId", cases)
        processes = self._processes()
        by_case: dict[str, list[Any]] = {}
        for data in rows:
            by_case.setdefault(str(data.get("CaseId")), []).append(data)
        history: dict[str, SlaHistory] = {}
        for case_id, group in by_case.items():
            group.sort(key=lambda d: (str(d.get("StartDate")), str(d.get("Id"))))
            events = [
                event
                for data in group
                for event in convert.milestone_events(
                    data, policy=processes.get(str(_entitlement(data)))
                )
            ]
            events.sort(key=lambda e: (e.time, e.id))
            history[case_id] = SlaHistory(
                events=tuple(events), metrics=convert.milestone_metrics(case_id, group)
            )
        return history

    def _processes(self) -> dict[str, str]:
        """Entitlement id → its entitlement process (``SlaProcess``) id; read once."""
        if self._entitlements is None:
            self._entitlements = {}
            if self.client.field_names("Entitlement"):
                for data in self.client.query("SELECT Id, SlaProcessId FROM Entitlement"):
                    if data.get("SlaProcessId"):
                        self._entitlements[str(data["Id"])] = str(data["SlaProcessId"])
        return self._entitlements

    def _custom_fields(self, owner: FieldObject) -> dict[str, FieldDef]:
        """The org's custom fields on the sObject of ``owner``, by API name; read once."""
        sobject = convert.FIELD_OBJECTS[owner]
        if sobject not in self._fields:
            found: dict[str, FieldDef] = {}
            for data in self.client.field_names(sobject).values():
                definition = convert.field(data, object=owner)
                if definition is not None:
                    found[str(data["name"])] = definition
            self._fields[sobject] = found
        return self._fields[sobject]


def _kept_history(sobject: str, rows: Sequence[Any]) -> list[Record]:
    """SLA events or ticket metrics from the rows a target org keeps them in. A row that no
    longer reads as one (edited by hand) is left out and logged: reconciliation then finds its
    record missing and the ticket's history short."""
    read = convert.kept_sla_event if sobject == "Cemigrate_Sla_Event__c" else convert.kept_metrics
    out: list[Record] = []
    for data in rows:
        try:
            out.append(read(data))
        except RecordError as exc:
            log.warning("%s %s left out: %s", sobject, data.get("Id"), exc.reason)
    return out


def _element(element: ElementTree.Element) -> Any:
    """A Metadata API element as plain data: text for a leaf, else a dict of its children
    (a repeated child as a list)."""
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        key = child.tag.removeprefix(_METADATA_NS)
        value = _element(child)
        if key in out:
            held = out[key]
            out[key] = [*held, value] if isinstance(held, list) else [held, value]
        else:
            out[key] = value
    return out


def _entitlement(data: Mapping[str, Any]) -> object:
    """The case's entitlement from a milestone row (``Case.EntitlementId``)."""
    case = data.get("Case")
    return case.get("EntitlementId") if isinstance(case, Mapping) else None


def _opened_by(comments: list[Comment], channel: Channel) -> list[Comment]:
    """The first comment came in through the case's ``Origin`` (a chat transcript, a web form);
    later case comments were written in Salesforce itself (``web``)."""
    if not comments or comments[0].channel is channel:
        return comments
    return [attrs.evolve(comments[0], channel=channel), *comments[1:]]


def _with_files(
    comments: list[Comment], files: Sequence[tuple[str | None, Any, Attachment]]
) -> list[Comment]:
    """Each file on its comment: the e-mail it is linked to, else the comment written at the
    file's creation time, else the first comment."""
    if not files or not comments:
        return comments
    attached: dict[str, list[Attachment]] = {}
    for email, version, file in sorted(
        files, key=lambda f: (str(f[1].get("CreatedDate")), f[2].id)
    ):
        home = email
        if home is None:
            created = version.get("CreatedDate")
            home = next(
                (
                    c.id
                    for c in comments
                    if created
                    and c.created_at == convert.parse_time(created)
                    and c.channel is not Channel.EMAIL
                ),
                None,
            ) or next(
                (c.id for c in comments if created and c.created_at == convert.parse_time(created)),
                comments[0].id,
            )
        attached.setdefault(home, []).append(file)
    return [
        Comment(
            id=c.id,
            author=c.author,
            public=c.public,
            body_html=c.body_html,
            body_plain=c.body_plain,
            created_at=c.created_at,
            channel=c.channel,
            attachments=(*c.attachments, *attached.get(c.id, [])),
        )
        if c.id in attached
        else c
        for c in comments
    ]
