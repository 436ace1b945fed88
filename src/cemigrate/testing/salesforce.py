"""The Salesforce pair: a help desk copied into an emulated Salesforce org through the
conformance suite.

The source is the generated help desk itself (:class:`~cemigrate.adapters.memory.MemorySource`)
by default, so the suite checks the Salesforce *target* against exactly the records it was given;
``source="salesforce"`` reads them from a second emulated org instead (Salesforce → Salesforce).
The target org is empty but for the desk's agents, added as Users beforehand: a migration never
creates Users (licences), it matches them by e-mail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cemigrate.adapters import Source, Target
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.ratelimit import Clock
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.http import WireFaults
from cemigrate.schema import Kind, Record
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.memory import _memory_faults
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot

if TYPE_CHECKING:
    from cemigrate.sandbox.salesforce import SalesforceSandbox

_EXT = "Cemigrate_Id__c"


class SalesforcePair(AdapterPair):
    """A help desk → an emulated Salesforce org. ``seed`` must be the suite's seed when the
    source is an emulated org (it seeds itself from the same generator)."""

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
            faults=_wire(faults),
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
            tickets=0, seed=self.seed, instance="new", clock=clock, faults=_wire(faults), empty=True
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

    def snapshot(self, target: Target) -> Snapshot:
        """What the migration added to the org, identified without Salesforce ids."""
        org, baseline = self._orgs[id(target)]
        now = _snapshot(org)
        return {kind: sorted(set(rows) - set(baseline.get(kind, []))) for kind, rows in now.items()}


def _wire(faults: Faults) -> WireFaults | None:
    if faults.throttle_rate <= 0:
        return None
    return WireFaults(rate_429=faults.throttle_rate, seed=faults.seed)


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
