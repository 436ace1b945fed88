"""SLA policies as Salesforce entitlement processes, through the Metadata API.

An SLA policy becomes an ``EntitlementProcess`` on Case (translated by
:func:`cemigrate.rules.sla.translate_sla`), saved with ``active`` false: one milestone per
metric and priority, whose criteria test ``Case.Priority``. The Tooling API does not serve
entitlement processes, so they travel through the Metadata API's CRUD calls
(``upsertMetadata`` / ``readMetadata``, SOAP at ``/services/Soap/m/<version>``, at most 10
components a call), written and read here with :mod:`xml.etree`.

A milestone names a ``MilestoneType`` record: each one the processes need is found by
``Name`` (one SOQL query, read once) or created (in sObject collections), so a re-run
creates none. A process is found by its ``fullName`` (``readMetadata``) before it is created,
so a re-run adopts it (matched, unless this process created it: a rollback then does not list
the org's own process as one to remove). Target ids are ``entitlement_processes/<fullName>``;
activation reads each process and upserts it with ``active`` true.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from cemigrate.adapters.contract import Outgoing, WriteResult
from cemigrate.adapters.salesforce.client import SalesforceClient, error_message
from cemigrate.adapters.salesforce.rules import SALESFORCE_MILESTONES, SALESFORCE_RECURRENCE
from cemigrate.errors import RecordError
from cemigrate.rules.sla import UNTRANSLATABLE_SLA_POLICY, SlaTranslation
from cemigrate.rules.translate import TranslationStatus

__all__ = [
    "ENTITLEMENT_PROCESSES",
    "MAX_COMPONENTS",
    "UNTRANSLATABLE_SLA_POLICY",
    "EntitlementProcesses",
    "full_name_of",
    "metadata_element",
    "read_element",
    "target_id",
]

ENTITLEMENT_PROCESSES: Final = "entitlement_processes"
"""The kind part of an SLA policy's target id (``entitlement_processes/<fullName>``)."""
MAX_COMPONENTS: Final = 10
"""Components one Metadata API CRUD call may carry."""

_NS: Final = "{http://soap.sforce.com/2006/04/metadata}"
_LISTS: Final = frozenset(
    {
        "milestones",
        "milestoneCriteriaFilterItems",
        "exitCriteriaFilterItems",
        "successActions",
        "errors",
    }
)
_BOOLEANS: Final = frozenset(
    {"active", "isVersionDefault", "useCriteriaStartTime", "success", "created"}
)
_INTEGERS: Final = frozenset({"minutesToComplete", "versionNumber"})
_PREFIX: Final = f"{ENTITLEMENT_PROCESSES}/"


def _xml(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(_xml(key, v) for v in value)
    if isinstance(value, Mapping):
        return f"<{key}>{''.join(_xml(k, v) for k, v in value.items())}</{key}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{key}>{escape(str(value))}</{key}>"


def metadata_element(kind: str, record: Mapping[str, Any]) -> str:
    """A component as the ``metadata`` element of an ``upsertMetadata`` call."""
    inner = "".join(_xml(k, v) for k, v in record.items())
    return f'<metadata xsi:type="{kind}">{inner}</metadata>'


def read_element(element: ElementTree.Element) -> Any:
    """A component (or a part of one) read back as plain data: booleans and whole minutes
    typed, list-valued members always lists."""
    children = list(element)
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        key = child.tag.removeprefix(_NS)
        value = read_element(child)
        if key in _BOOLEANS and isinstance(value, str):
            value = value == "true"
        elif key in _INTEGERS and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if key in _LISTS:
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def target_id(full_name: str) -> str:
    """The target id of a process."""
    return f"{_PREFIX}{full_name}"


def full_name_of(target: str) -> str | None:
    """The full name in a target id (None when it is no entitlement process's)."""
    return target.removeprefix(_PREFIX) if target.startswith(_PREFIX) else None


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), MAX_COMPONENTS):
        yield items[start : start + MAX_COMPONENTS]


class EntitlementProcesses:
    """Entitlement processes and milestone types of one org (the target's SLA policies)."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self._types: dict[str, str] | None = None
        """MilestoneType ids by lower-cased Name; read once."""
        self._made: set[str] = set()
        """Lower-cased full names of the processes this object created: one found by name
        is the org's own (matched) unless it is one of them."""

    def forget(self) -> None:
        """Read the org's milestone types again on next use (after an interrupted write)."""
        self._types = None

    # -- reading ---------------------------------------------------------------------------

    def read(self, full_names: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The processes the org has, by lower-cased full name; one ``readMetadata`` per 10."""
        found: dict[str, dict[str, Any]] = {}
        names = list(dict.fromkeys(full_names))
        for chunk in _chunks(names):
            fulls = "".join(f"<fullNames>{escape(n)}</fullNames>" for n in chunk)
            root = self.client.metadata_call(
                f"<readMetadata><type>EntitlementProcess</type>{fulls}</readMetadata>",
                what="readMetadata EntitlementProcess",
            )
            for element in root.iter(f"{_NS}records"):
                record = read_element(element)
                if isinstance(record, dict) and record.get("fullName"):
                    found[str(record["fullName"]).lower()] = record
        return found

    def upsert(self, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``upsertMetadata`` of these processes (10 a call): one result each, in order
        (``success``, ``created``, ``fullName``, ``errors``)."""
        results: list[Mapping[str, Any]] = []
        for start in range(0, len(records), MAX_COMPONENTS):
            chunk = records[start : start + MAX_COMPONENTS]
            body = "".join(metadata_element("EntitlementProcess", r) for r in chunk)
            root = self.client.metadata_call(
                f"<upsertMetadata>{body}</upsertMetadata>", what="upsertMetadata EntitlementProcess"
            )
            answers = [read_element(e) for e in root.iter(f"{_NS}result")]
            if len(answers) != len(chunk):
                raise RecordError(
                    "salesforce answered upsertMetadata with the wrong number of results",
                    platform_message=f"{len(answers)} results for {len(chunk)} components",
                )
            for answer in answers:
                results.append(answer if isinstance(answer, dict) else {})
        return results

    def milestone_types(self) -> dict[str, str]:
        """MilestoneType ids by lower-cased ``Name``; one query, read once."""
        if self._types is None:
            self._types = {
                str(row["Name"]).lower(): str(row["Id"])
                for row in self.client.query("SELECT Id, Name FROM MilestoneType")
            }
        return self._types

    def ensure_types(self, wanted: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
        """For each milestone name a translation uses: the org's name for it (an existing
        type of that name or of an alias, else a new type, created once), and for names
        Salesforce refused to create, its message."""
        table = self.milestone_types()
        aliases = {names[0]: names for names in SALESFORCE_MILESTONES.values()}
        names: dict[str, str] = {}
        refused: dict[str, str] = {}
        creating: list[str] = []
        for name in dict.fromkeys(wanted):
            existing = next((a for a in aliases.get(name, (name,)) if a.lower() in table), None)
            if existing is not None:
                names[name] = existing
            else:
                creating.append(name)
        # The new types in sObject collections (200 a call), not one POST each.
        bodies = [
            {
                "Name": name,
                "Description": "Created by cemigrate for migrated SLA policies",
                "RecurrenceType": SALESFORCE_RECURRENCE.get(name, "none"),
            }
            for name in creating
        ]
        for name, answer in zip(
            creating, self.client.create("MilestoneType", bodies) if bodies else [], strict=True
        ):
            if answer.get("success") and answer.get("id"):
                table[name.lower()] = str(answer["id"])
                names[name] = name
            else:
                refused[name] = error_message(answer.get("errors")) or "refused"
        return names, refused

    def states(self, target_ids: Sequence[str]) -> dict[str, bool]:
        """Whether each process is active, by target id; ids the org lacks are absent."""
        wanted = {n.lower(): t for t in target_ids if (n := full_name_of(t)) is not None}
        found = self.read([full_name_of(t) or "" for t in wanted.values()])
        return {wanted[k]: record.get("active") is True for k, record in found.items()}

    # -- writing ---------------------------------------------------------------------------

    def write(
        self, batch: Sequence[Outgoing], translations: Sequence[SlaTranslation]
    ) -> list[WriteResult]:
        """Write each translated policy as an inactive process (found first by full name);
        one result per item, in order."""
        answers: dict[int, WriteResult] = {}
        pending: dict[int, dict[str, Any]] = {}
        for index, (item, done) in enumerate(zip(batch, translations, strict=True)):
            if done.status is TranslationStatus.UNTRANSLATED:
                answers[index] = WriteResult(
                    key=item.key, skipped=f"{UNTRANSLATABLE_SLA_POLICY}: {done.reason}"
                )
            else:
                pending[index] = dict(done.payload)
        if not pending:
            return [answers[i] for i in range(len(batch))]
        try:
            present = self.read([str(p["fullName"]) for p in pending.values()])
        except RecordError as exc:  # a fault refuses the whole call (no entitlements...)
            for index in pending:
                answers[index] = WriteResult(
                    key=batch[index].key, error=exc.reason, platform_message=exc.platform_message
                )
            return [answers[i] for i in range(len(batch))]
        creating: dict[int, dict[str, Any]] = {}
        for index, payload in pending.items():
            if str(payload["fullName"]).lower() in present:
                answers[index] = WriteResult(
                    key=batch[index].key,
                    target_id=target_id(str(payload["fullName"])),
                    matched=str(payload["fullName"]).lower() not in self._made,
                )
            else:
                creating[index] = payload
        wanted = [
            str(m["milestoneName"]) for p in creating.values() for m in p.get("milestones", [])
        ]
        names, refused = self.ensure_types(wanted) if creating else ({}, {})
        ready: list[tuple[int, dict[str, Any]]] = []
        for index, payload in creating.items():
            milestones = payload.get("milestones", [])
            failed = [
                refused[m["milestoneName"]] for m in milestones if m["milestoneName"] in refused
            ]
            if failed:
                answers[index] = WriteResult(
                    key=batch[index].key,
                    error="salesforce refused a milestone type the process needs",
                    platform_message="; ".join(dict.fromkeys(failed)),
                )
                continue
            payload["milestones"] = [
                {**m, "milestoneName": names.get(m["milestoneName"], m["milestoneName"])}
                for m in milestones
            ]
            ready.append((index, payload))
        try:
            results = self.upsert([p for _, p in ready])
        except RecordError as exc:  # a fault refuses the whole call
            for index, _ in ready:
                answers[index] = WriteResult(
                    key=batch[index].key, error=exc.reason, platform_message=exc.platform_message
                )
            results = []
        for (index, payload), result in zip(ready, results, strict=False):
            if result.get("success") is True:
                self._made.add(str(payload["fullName"]).lower())
                answers[index] = WriteResult(
                    key=batch[index].key, target_id=target_id(str(payload["fullName"]))
                )
            else:
                errors = result.get("errors")
                answers[index] = WriteResult(
                    key=batch[index].key,
                    error="salesforce refused the entitlement process",
                    platform_message=_errors(errors) or "failed",
                )
        return [answers[i] for i in range(len(batch))]

    def activate(self, target_ids: Sequence[str]) -> dict[str, str]:
        """Switch processes on (``active`` true): target id → ``""`` when done or already
        on, else Salesforce's message. One ``readMetadata`` per 10, one ``upsertMetadata``
        per 10 to switch on."""
        ids = list(dict.fromkeys(target_ids))
        found = self.read([full_name_of(t) or "" for t in ids])
        out: dict[str, str] = {}
        switching: list[tuple[str, dict[str, Any]]] = []
        for target in ids:
            record = found.get((full_name_of(target) or "").lower())
            if record is None:
                out[target] = f"NOT_FOUND: no entitlement process {full_name_of(target)} in the org"
            elif record.get("active") is True:
                out[target] = ""
            else:
                switching.append((target, {**record, "active": True}))
        try:
            results = self.upsert([r for _, r in switching])
        except RecordError as exc:
            return {**out, **{t: exc.platform_message or exc.reason for t, _ in switching}}
        for (target, _), result in zip(switching, results, strict=True):
            out[target] = (
                "" if result.get("success") is True else _errors(result.get("errors")) or "failed"
            )
        return out


def _errors(errors: Any) -> str:
    """An ``UpsertResult``'s errors as ``CODE: message`` lines."""
    items = errors if isinstance(errors, list) else [errors] if errors else []
    parts = [
        f"{e.get('statusCode')}: {e.get('message')}" if isinstance(e, Mapping) else str(e)
        for e in items
    ]
    return "; ".join(parts) or error_message(errors)
