"""The Salesforce pair: a help desk copied into an emulated Salesforce org through the
conformance suite.

The source is the generated help desk itself (:class:`~cemigrate.adapters.memory.MemorySource`)
by default, so the suite checks the Salesforce *target* against exactly the records it was given;
``source="salesforce"`` reads them from a second emulated org instead (Salesforce → Salesforce).
The target org is empty but for the desk's agents, added as Users beforehand: a migration never
creates Users (licences), it matches them by e-mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import attrs
import requests

from cemigrate.adapters import Source, Target
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.ratelimit import Clock, ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import Kind, Record, Ref, Role, Rule, RuleKind
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.kill import (
    ZENDESK_ENV,
    Killable,
    ShiftedClock,
    zendesk_source_account,
    zendesk_source_plan,
)
from cemigrate.testing.memory import _memory_faults
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot

if TYPE_CHECKING:
    from cemigrate.sandbox.salesforce import SalesforceSandbox

_EXT = "Cemigrate_Id__c"


class SalesforcePair(AdapterPair):
    """A help desk → an emulated Salesforce org. ``seed`` must be the suite's seed when the
    source is an emulated org (it seeds itself from the same generator)."""

    wire = True

    def __init__(self, *, seed: int, source: str = "memory", bulk_threshold: int = 2000) -> None:
        if source not in ("memory", "salesforce"):
            raise ValueError("source must be 'memory' or 'salesforce'")
        self.seed = seed
        self.source = source
        self.bulk_threshold = bulk_threshold
        self.name = f"{source}-salesforce"
        self._orgs: dict[int, tuple[Any, Snapshot]] = {}
        self._desk: HelpDesk | None = None

    def make_source(
        self, desk: HelpDesk, *, clock: Clock, faults: Faults, page_size: int | None = None
    ) -> Source:
        """The desk itself, or an emulated org seeded with it."""
        self._desk = desk
        if self.source == "memory":
            return MemorySource(
                {kind: desk.records(kind) for kind in Kind},
                instance=desk.instance,
                blobs=desk.blob,
                page_size=page_size or 100,
                clock=clock,
                faults=_memory_faults(Faults(seed=faults.seed)),
            )
        from cemigrate.sandbox.salesforce import SalesforceSandbox

        org = SalesforceSandbox(
            tickets=len(desk.tickets),
            seed=self.seed,
            instance=desk.instance,
            clock=clock,
            faults=faults.on_the_wire(),
            my_domain="old",
        )
        return SalesforceSource(
            instance=desk.instance,
            instance_url=org.base_url,
            credentials=SalesforceCredentials(access_token=org.access_token),
            session=org.session(authenticated=False),
            clock=clock,
            page_size=page_size or 200,
        )

    def make_target(self, *, clock: Clock, faults: Faults) -> Target:
        """An empty org holding the desk's agents as Users."""
        from cemigrate.sandbox.salesforce import SalesforceSandbox

        org = SalesforceSandbox(
            tickets=0,
            seed=self.seed,
            instance="new",
            clock=clock,
            faults=faults.on_the_wire(),
            empty=True,
        )
        if self._desk is not None:
            org.add_seats(self._desk)
        target = FaultyTarget(
            SalesforceTarget(
                instance_url=org.base_url,
                credentials=SalesforceCredentials(access_token=org.access_token),
                session=org.session(authenticated=False),
                clock=clock,
                bulk_threshold=self.bulk_threshold,
            ),
            faults,
        )
        self._orgs[id(target)] = (org, _snapshot(org))
        return target

    def with_faults(self, target: Target, faults: Faults) -> None:
        """Refusals and crashes from now on (throttling is set when the org is made)."""
        assert isinstance(target, FaultyTarget)
        target.set_faults(faults)

    def change(self, source: Source, record: Record) -> bool:
        """The desk itself takes a changed record; an emulated source org is not changed."""
        if self.source != "memory":
            return False
        assert isinstance(source, MemorySource)
        source.put(record)
        return True

    def broken_answers(self, target: Target) -> int:
        """The answers of ``target``'s account the faults broke."""
        account, _ = self._orgs[id(target)]
        return 0 if account.faults is None else int(account.faults.injected["garbled"])

    def snapshot(self, target: Target) -> Snapshot:
        """What the migration added to the org, identified without Salesforce ids."""
        org, baseline = self._orgs[id(target)]
        now = _snapshot(org)
        return {kind: sorted(set(rows) - set(baseline.get(kind, []))) for kind, rows in now.items()}

    @contextlib.contextmanager
    def killable(self) -> Iterator[Killable]:
        """A 2,000-ticket Zendesk → Salesforce migration on loopback. The target writes cases,
        e-mails, comments and completion flags through Bulk API 2.0 jobs (``bulk_threshold =
        40``: five ticket batches of 400), so kills land between jobs, comments and files of
        half-written tickets."""
        from cemigrate.sandbox.salesforce import serve_salesforce

        # An org with a full sandbox's allowance: the run needs no rate-limit waits on a real
        # clock.
        old = zendesk_source_account(
            clock := ShiftedClock(), tickets=_KILL_TICKETS, seed=_KILL_SEED
        )
        clock.ahead = 120.0
        new, new_server = serve_salesforce(
            port=0,
            tickets=0,
            seed=_KILL_SEED,
            instance="new",
            empty=True,
            edition="full_sandbox",
            clock=_BusyOrgClock(),
        )
        seen: set[str] = set()
        for person in old.backend.desk.users:
            email = (person.email or "").lower()
            if person.role is not Role.END_USER and email and email not in seen:
                seen.add(email)
                new.add_user(name=person.name, email=person.email or "")
        with old.serve() as old_server, new_server:
            moments = random.Random(20261123)
            kills = (
                ("user: wrote a batch", moments.randint(1, 3), 0.0),  # four batches of 400
                # A Bulk job opened and never closed: the resumed run opens another.
                ("bulk job", moments.randint(1, 2), 0.0),
                # Cases and comments written, files half uploaded, the cases not marked complete.
                ("uploading", moments.randint(1, 2), moments.uniform(0.05, 0.5)),
                ("ticket: wrote a batch", 1, 0.0),
            )
            yield Killable(
                plan=zendesk_source_plan(old_server.url) + _KILLED_TARGET.format(new_server.url),
                env={**ZENDESK_ENV, "KILL_TEST_SF_TOKEN": new.access_token},
                kills=kills,
                check=lambda: _every_record_once(new),
            )


_KILL_TICKETS, _KILL_SEED = 2000, 5

_KILLED_TARGET = """
[target]
platform = "salesforce"
base_url = "{}"
edition = "full_sandbox"
bulk_threshold = 40
access_token_env = "KILL_TEST_SF_TOKEN"
"""

_LATER_PART = re.compile(r"^\[cemigrate part (?!1/)\d+/\d+\]$", re.MULTILINE)


class _BusyOrgClock:
    """Time in the emulated org runs ten times faster than real time, so its Bulk jobs are
    done by the copier's first poll (2 s real) instead of its second."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def monotonic(self) -> float:
        return self.start + (time.monotonic() - self.start) * 10

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / 10)


def _every_record_once(new: Any) -> None:
    """Every live ticket of the killed migration's source once in the org ``new``, complete,
    with every comment (its visibility kept) and file once; every contact once."""
    desk = generate(tickets=_KILL_TICKETS, seed=_KILL_SEED, instance="exchange")
    live = {t.id: t for t in desk.tickets if not t.deleted}
    cases = [c for c in new.backend.table("Case") if c.get(_EXT)]
    by_key = Counter(str(c[_EXT]) for c in cases)
    assert [k for k, n in by_key.items() if n > 1] == [], "a ticket became two cases"
    assert set(by_key) == {f"exchange:ticket:{i}" for i in live}
    assert all(c["Cemigrate_Complete__c"] for c in cases)
    case_of = {str(c["Id"]): str(c[_EXT]).rsplit(":", 1)[1] for c in cases}
    # Every comment once, with its visibility: a private comment is never published.
    notes: Counter[tuple[str, bool]] = Counter()
    for note in new.backend.table("CaseComment"):
        if not _LATER_PART.search(str(note["CommentBody"])):
            notes[(case_of[str(note["ParentId"])], bool(note["IsPublished"]))] += 1
    mails = Counter(
        case_of[str(m["ParentId"])]
        for m in new.backend.table("EmailMessage")
        if not _LATER_PART.search(str(m["TextBody"]))
    )
    ext_ids = [str(m[_EXT]) for m in new.backend.table("EmailMessage")]
    assert len(ext_ids) == len(set(ext_ids)), "an e-mail was written twice"
    for tid, ticket in live.items():
        private = sum(1 for c in ticket.comments if not c.public)
        public = len(ticket.comments) - private
        assert notes[(tid, False)] == private, tid
        assert notes[(tid, True)] + mails[tid] == public, tid
    # Every file once.
    files = Counter(
        (str(v["PathOnClient"]), int(v["ContentSize"])) for v in new.backend.table("ContentVersion")
    )
    expected = Counter(
        (a.file_name, a.size) for t in live.values() for c in t.comments for a in c.attachments
    )
    assert files == expected
    contacts = [str(c[_EXT]) for c in new.backend.table("Contact") if c.get(_EXT)]
    assert len(contacts) == len(set(contacts)), "a contact was created twice"


def _rows(org: Any, sobject: str) -> list[Mapping[str, Any]]:
    try:
        return list(org.backend.table(sobject))
    except Exception:  # an object prepare has not created yet
        return []


def _snapshot(org: Any) -> dict[str, list[tuple[str, str]]]:
    """The org's records by a stable identity (external id or natural key), each with a
    fingerprint of what a person would check; Salesforce ids are translated to identities."""
    identity: dict[str, str] = {}
    for sobject in ("Account", "Contact", "User", "Case", "EmailMessage"):
        for row in _rows(org, sobject):
            identity[str(row["Id"])] = str(row.get(_EXT) or row.get("Email") or row["Id"])
    queues = {
        str(g["Id"]): str(g["DeveloperName"])
        for g in _rows(org, "Group")
        if g.get("Type") == "Queue"
    }
    identity.update(queues)
    snap: dict[str, list[tuple[str, str]]] = {
        "field": [
            (f"{sobject}.{name}", "")
            for sobject in ("Case", "Contact", "Account")
            for name in _custom_field_names(org, sobject)
            if not name.startswith("Cemigrate_")
        ],
        "organization": [
            (str(a[_EXT]), _digest(a.get("Name"), a.get("Website")))
            for a in _rows(org, "Account")
            if a.get(_EXT)
        ],
        "user": [
            (
                str(c[_EXT]),
                _digest(c.get("Email"), c.get("LastName"), identity.get(str(c.get("AccountId")))),
            )
            for c in _rows(org, "Contact")
            if c.get(_EXT)
        ]
        + [(str(u[_EXT]), _digest(u.get("Email"))) for u in _rows(org, "User") if u.get(_EXT)],
        "group": [(name, "") for name in queues.values()],
        "group_membership": [
            (f"{identity.get(str(m['UserOrGroupId']))}@{queues.get(str(m['GroupId']))}", "")
            for m in _rows(org, "GroupMember")
            if str(m.get("GroupId")) in queues
        ],
        "ticket": [],
        "sla_event": [
            (str(r[_EXT]), _digest(r.get("Kind__c"), r.get("Time__c")))
            for r in _rows(org, "Cemigrate_Sla_Event__c")
            if r.get(_EXT)
        ],
        "ticket_metrics": [
            (str(r[_EXT]), "") for r in _rows(org, "Cemigrate_Ticket_Metrics__c") if r.get(_EXT)
        ],
        "rule": [  # flows have no external id: by API name; migrated ones Draft, one version
            (
                str(d["DeveloperName"]),
                _digest(
                    d.get("ActiveVersionId"),
                    sorted(
                        str(v.get("Status"))
                        for v in org.backend.tooling["Flow"].values()
                        if v.get("DefinitionId") == d["Id"]
                    ),
                ),
            )
            for d in org.backend.tooling["FlowDefinition"].values()
        ],
        # Brands, forms and custom statuses are names on cases (no record of their own): the
        # distinct names the cases carry.
        **{
            kind: [(name, "") for name in sorted({str(c[field]) for c in cases if c.get(field)})]
            for kind, field in (
                ("brand", "Cemigrate_Brand__c"),
                ("ticket_form", "Cemigrate_Form__c"),
                ("custom_status", "Cemigrate_Custom_Status__c"),
            )
            for cases in [_rows(org, "Case")]
        },
        "organization_membership": [
            (
                f"{identity.get(str(r['ContactId']))}@{identity.get(str(r['AccountId']))}",
                _digest(r.get("IsDirect")),
            )
            for r in _rows(org, "AccountContactRelation")
            if str(r.get("ContactId")) in identity
        ],
        "schedule": [
            (
                str(h["Name"]),
                _digest(
                    h.get("TimeZoneSidKey"),
                    sorted((k, str(v)) for k, v in h.items() if str(k).endswith("Time")),
                    sorted(
                        (str(d.get("Name")), str(d.get("ActivityDate")))
                        for d in _rows(org, "Holiday")
                        if d.get("Description") == f"cemigrate: {h['Name']}"[:100]
                    ),
                ),
            )
            for h in _rows(org, "BusinessHours")
        ],
        "sla_policy": [  # entitlement processes by full name; migrated ones inactive
            (name, _digest(p.get("active"), p.get("milestones")))
            for name, p in org.backend.metadata.get("EntitlementProcess", {}).items()
        ],
    }
    children: dict[str, list[Any]] = {}
    for note in _rows(org, "CaseComment"):
        children.setdefault(str(note["ParentId"]), []).append(
            (
                "note",
                note.get("IsPublished"),
                note.get("CommentBody"),
                identity.get(str(note.get("CreatedById")), "?"),
            )
        )
    for mail in _rows(org, "EmailMessage"):
        children.setdefault(str(mail["ParentId"]), []).append(
            (
                "mail",
                mail.get(_EXT),
                mail.get("TextBody"),
                mail.get("Cemigrate_Author__c")
                and identity.get(str(mail.get("Cemigrate_Author__c"))),
            )
        )
    documents = {str(v["ContentDocumentId"]): v for v in _rows(org, "ContentVersion")}
    for link in _rows(org, "ContentDocumentLink"):
        version = documents.get(str(link["ContentDocumentId"]))
        if version is not None:
            children.setdefault(str(link["LinkedEntityId"]), []).append(
                ("file", version.get("PathOnClient"), version.get("ContentSize"), "")
            )
    for case in _rows(org, "Case"):
        if not case.get(_EXT) or not case.get("Cemigrate_Complete__c"):
            continue
        kids = sorted(map(str, children.get(str(case["Id"]), [])))
        snap["ticket"].append(
            (
                str(case[_EXT]),
                _digest(
                    case.get("Subject"),
                    case.get("Status"),
                    case.get("Cemigrate_Created_At__c"),
                    identity.get(str(case.get("ContactId"))),
                    kids,
                    _email_files(children, org, str(case["Id"])),
                ),
            )
        )
    return {kind: sorted(rows) for kind, rows in snap.items()}


def _email_files(children: Mapping[str, list[Any]], org: Any, case_id: str) -> list[str]:
    mails = [str(m["Id"]) for m in _rows(org, "EmailMessage") if str(m.get("ParentId")) == case_id]
    return sorted(str(f) for m in mails for f in children.get(m, []))


def _custom_field_names(org: SalesforceSandbox, sobject: str) -> Iterable[str]:
    try:
        spec = org.backend.spec(sobject)
    except Exception:
        return []
    return [name for name in spec.fields if name.endswith("__c")]


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- a seeded org, for tests of the source -------------------------------------------------


@attrs.define
class SeededOrg:
    """An emulated org seeded from the demo help desk generator, the desk it was seeded from,
    dataset id → Salesforce id, and what each request of its sources asked for."""

    sandbox: Any
    """The emulated org (a :class:`~cemigrate.sandbox.salesforce.SalesforceSandbox`)."""
    desk: HelpDesk
    ids: dict[str, str]
    calls: list[tuple[str, str]]
    """(path kind, queried object) of every request the source made."""

    instance: str = "sf"
    """The instance the desk was generated as (its sources read as this one)."""

    def source(self, **options: Any) -> SalesforceSource:
        """A source on the org that logs its requests in :attr:`calls`."""
        session = self.sandbox.session(authenticated=False)
        session.hooks["response"].append(self._log)
        return SalesforceSource(
            instance=self.instance,
            instance_url=self.sandbox.base_url,
            credentials=SalesforceCredentials(access_token=self.sandbox.access_token),
            session=session,
            clock=self.sandbox.clock,
            **options,
        )

    def _log(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        url = urlsplit(response.request.url or "")
        query = parse_qs(url.query).get("q", [""])[0]
        path = url.path.split("/services/data/v59.0/")[-1].split("/")[0]
        self.calls.append((path, query.split(" FROM ")[-1].split(" ")[0] if query else ""))

    def ref(self, ref: Ref | None) -> Ref | None:
        """A dataset reference as the Salesforce one it became."""
        return None if ref is None else Ref(kind=ref.kind, id=self.ids[ref.id])


def _seeded_in_order(sandbox: Any, sobject: str, keep: Any = None) -> list[str]:
    # Emulator ids count up per key prefix, so id order is the order rows were seeded in.
    rows = sandbox.backend.rows[sobject]
    return sorted(i for i, row in rows.items() if keep is None or keep(row))


def seeded_org(tickets: int, *, seed: int, instance: str) -> SeededOrg:
    """An org seeded with ``tickets`` tickets of the desk generated with ``seed`` as
    ``instance``, each dataset record paired with the Salesforce row it became."""
    from cemigrate.sandbox.salesforce import SalesforceSandbox

    sandbox = SalesforceSandbox(tickets=tickets, seed=seed, instance=instance, clock=ManualClock())
    desk = generate(tickets=tickets, seed=seed, instance=instance)
    rows = sandbox.backend.rows
    ids: dict[str, str] = {}

    def pair(records: Any, sobject: str, natural: str, value: Any, keep: Any = None) -> None:
        found = _seeded_in_order(sandbox, sobject, keep)
        assert len(found) == len(records), sobject
        for record, sf_id in zip(records, found, strict=True):
            assert rows[sobject][sf_id][natural] == value(record), (sobject, record.id)
            ids[record.id] = sf_id

    pair(desk.organizations, "Account", "Name", lambda o: o.name)
    people = [u for u in desk.users if u.role is Role.END_USER]
    pair(people, "Contact", "Email", lambda u: u.email)
    agents = [u for u in desk.users if u.role is not Role.END_USER]
    admin = sandbox.backend.admin_id
    pair(agents, "User", "Email", lambda u: u.email, keep=lambda r: r["Id"] != admin)
    queues = [g for g in desk.groups if not g.deleted]
    pair(queues, "Group", "Name", lambda g: g.name[:40], keep=lambda r: r["Type"] == "Queue")
    pair(desk.tickets, "Case", "Subject", lambda t: t.subject[:255])
    for policy, process in zip(
        desk.sla_policies, _seeded_in_order(sandbox, "SlaProcess"), strict=True
    ):
        ids[policy.id] = process
    return SeededOrg(sandbox=sandbox, desk=desk, ids=ids, calls=[], instance=instance)


def org_target(org: Any, *, clock: Clock | None = None, **options: Any) -> SalesforceTarget:
    """A target writing into the emulated ``org`` in process, on ``clock`` (the org's own by
    default), with the target's other ``options``."""
    return SalesforceTarget(
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=org.clock if clock is None else clock,
        **options,
    )


def refused_tags_trigger() -> Rule:
    """A Zendesk trigger whose action assigns the migration's tags field
    (``Cemigrate_Tags__c``): an org never prepared lacks it, so Salesforce refuses its flow."""
    from cemigrate.adapters.zendesk import convert as zendesk

    return zendesk.rule(
        {
            "id": 77,
            "title": "Tag VIP",
            "active": True,
            "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
            "actions": [{"field": "current_tags", "value": "vip"}],
        },
        RuleKind.TRIGGER,
    )
