"""Reconciliation: source, target and ledger side by side, and the report a manager signs.

The target account is read back with the same platform's *source* adapter pointed at the
target (the "target view"), first, and held as compact facts (no bodies). Each source is then
read once, record by record: its ledger entry says whether it was carried over, failed (with
the reason) or was skipped (under which named policy), and each ticket is compared with its
target ticket through the ledger's id map, after the mapping has been applied to it. SLA
history, access and KPIs are compared once every record has been seen.

Reading costs what a migration's reading costs: every stream once per side, attachments
streamed through SHA-256 once per side (only the sampled tickets' with ``sample``).
"""

from __future__ import annotations

import functools
import json
import random
import time
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import attrs

from cemigrate._version import __version__
from cemigrate.adapters import registry
from cemigrate.adapters.contract import FileSource, Source, Target
from cemigrate.adapters.origin import ORIGIN_FIELD, origin_of, parse_origin
from cemigrate.adapters.profile import SlaFacts, TargetProfile
from cemigrate.adapters.registry import profile_for
from cemigrate.errors import ConfigError
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import (
    IDENTITY,
    FieldStep,
    MappingFile,
    RecordMapping,
    Refuse,
    Skip,
    attachment_prefix,
    linked_prefixes,
    rewrite_inline,
)
from cemigrate.mapping.mask import Mask, check_ledger
from cemigrate.reconcile.compare import compare_tickets
from cemigrate.reconcile.counts import count_calls, independent_counts
from cemigrate.reconcile.coverage import NotHeld, NotRun, sort_out
from cemigrate.reconcile.facts import TicketFacts, ticket_facts
from cemigrate.reconcile.fields import (
    ELSEWHERE,
    Value,
    attributes_of,
    compare_kept,
    kept_values,
    matched_attributes,
    not_held_reasons,
    own_record_why,
    under_target_keys,
)
from cemigrate.reconcile.findings import Area, Finding, Findings, Severity
from cemigrate.reconcile.held_elsewhere import note_held_elsewhere
from cemigrate.reconcile.instances import check as check_instances
from cemigrate.reconcile.instances import check_comment_keys, comment_key, renamed_instances
from cemigrate.reconcile.report import ReconcileReport
from cemigrate.reconcile.rules import RulesSection
from cemigrate.reconcile.sla_readback import satisfaction_row, sla_verifiable
from cemigrate.reconcile.stats import defect_rate_bound, quantile, share
from cemigrate.schema import (
    PLAN_ORDER,
    Brand,
    CustomStatus,
    FieldDef,
    FieldObject,
    FieldType,
    Group,
    GroupMembership,
    Kind,
    Organization,
    Record,
    Ref,
    Role,
    Rule,
    SatisfactionRating,
    SatisfactionScore,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
    SourceKey,
    Ticket,
    TicketForm,
    TicketMetrics,
    User,
    refs_of,
)

__all__ = ["Reconciliation"]

Declines = Callable[[Kind, Record], str]
"""A target's ``declines(kind, record)``: the named policy under which it will not take it."""

_ALWAYS: Final = frozenset({Kind.TICKET, Kind.USER})
_FOR_REPORT: Final = _ALWAYS | {Kind.SATISFACTION_RATING}
"""Source kinds read even when the migration carried none: satisfaction ratings for the KPI."""
_SLA_KINDS: Final = frozenset({Kind.SLA_EVENT, Kind.TICKET_METRICS})
_UNREFERENCED: Final = frozenset(
    {
        Kind.SLA_EVENT,
        Kind.TICKET_METRICS,
        Kind.SATISFACTION_RATING,
        Kind.RULE,
        Kind.GROUP_MEMBERSHIP,
        Kind.ORGANIZATION_MEMBERSHIP,
    }
)
"""Kinds no record refers to: their ledger ids are not loaded for reference lookups."""
_LABELLED: Final = {
    "brand": Kind.BRAND,
    "form": Kind.TICKET_FORM,
    "custom_status": Kind.CUSTOM_STATUS,
}
"""A ticket's references a target may keep as a label (``TargetProfile.ticket_labels``)."""
_BINS: Final = (0, 15, 60, 240, 480, 1440, 4320)
"""Edges (minutes) of the first-reply and resolution histograms: 15 min, 1 h, 4 h, 8 h, 1 d,
3 d, longer."""


def _bin_labels() -> list[str]:
    labels = []
    for low, high in zip(_BINS, (*_BINS[1:], None), strict=True):
        labels.append(f"≥ {_human(low)}" if high is None else f"{_human(low)}–{_human(high)}")
    return labels


def _human(minutes: int) -> str:
    if minutes >= 1440:
        return f"{minutes // 1440} d"
    if minutes >= 60:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _histogram(values: Iterable[int]) -> list[int]:
    counts = [0] * len(_BINS)
    for value in values:
        index = max(i for i, edge in enumerate(_BINS) if value >= edge)
        counts[index] += 1
    return counts


@attrs.define
class _SourceSla:
    first_reply: int | None = None
    resolution: int | None = None
    breaches: int = 0
    policy: str | None = None

    def facts(self) -> SlaFacts:
        return SlaFacts(self.first_reply, self.resolution, self.breaches)


@attrs.define
class _Side:
    """What one side holds, collected while reading it."""

    read: Counter[str] = attrs.field(factory=Counter)
    ids: dict[Kind, set[str]] = attrs.field(factory=dict)
    users: dict[str, tuple[Role, bool, bool]] = attrs.field(factory=dict)
    """user id → (role, suspended, deleted)."""
    members: set[tuple[str, str]] = attrs.field(factory=set)
    """Target side: (user id, group id) of every membership."""
    members_by_key: list[tuple[str, str, str]] = attrs.field(factory=list)
    """Source side: (membership key, user key, group key) of every membership carried over."""
    tickets: dict[str, TicketFacts] = attrs.field(factory=dict)
    sla: dict[str, _SourceSla] = attrs.field(factory=dict)
    ratings: Counter[str] = attrs.field(factory=Counter)
    policies: dict[str, str] = attrs.field(factory=dict)
    """``instance:policy id`` → the SLA policy's title."""
    external: dict[Kind, dict[str, list[str]]] = attrs.field(factory=dict)
    field_keys: dict[str, str] = attrs.field(factory=dict)
    """Target side: ticket field id → its key (a target may name a created field its own
    way, as Freshdesk does); source side: source key → the target's key for it."""
    people_field_keys: dict[tuple[FieldObject, str], str] = attrs.field(factory=dict)
    """As ``field_keys``, for user and organization fields: target side (object, field id) →
    its key; source side (object, source key) → the target's key for it."""
    files_hashed: int = 0
    bytes_hashed: int = 0
    rules: list[tuple[str, Rule]] = attrs.field(factory=list)
    """Source side: every business rule read, with its instance."""
    sla_policies: list[tuple[str, SlaPolicy]] = attrs.field(factory=list)
    """Source side: every SLA policy read, with its instance."""
    kept: dict[Kind, dict[str, dict[str, Value]]] = attrs.field(factory=dict)
    """Target side: per kind and target id, the comparable values of the attributes the
    profile keeps (:mod:`cemigrate.reconcile.fields`)."""
    ticket_extra: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    """Target side: per ticket, its reference labels (``label:<attribute>``) and origin."""
    labels: dict[str, str] = attrs.field(factory=dict)
    """Source side: ``instance:kind:id`` of a brand, form or custom status → its name."""
    compared: Counter[str] = attrs.field(factory=Counter)
    """Source side: records compared field by field, per kind (and ticket checks by name)."""
    body_links: dict[str, set[str]] = attrs.field(factory=dict)
    """Target side: per ticket, the attachment paths its comment bodies link to (if any)."""
    attachment_paths: set[str] = attrs.field(factory=set)
    """Source side: the attachment paths of every source attachment read."""


class Reconciliation:
    """Compare sources, target and ledger, and build the :class:`ReconcileReport`.

    ``target_view`` is the target account read as a source (the platform descriptor's
    ``build_target_view``); ``declines`` is the target adapter's ``declines`` (named policies
    for what it does not take), when known.
    """

    def __init__(
        self,
        *,
        sources: Sequence[Source],
        target_view: Source,
        ledger: Ledger,
        mapping: RecordMapping = IDENTITY,
        profile: TargetProfile | None = None,
        declines: Declines | None = None,
        target: Target | None = None,
        plan_digest: str = "",
        prepared_by: str = "",
        mask: Mask | None = None,
    ) -> None:
        names = [source.instance for source in sources]
        if not names or len(set(names)) != len(names):
            raise ConfigError(f"reconcile: source instance names must differ: {names}")
        self.sources = tuple(sources)
        self.target_view = target_view
        self.ledger = ledger
        self.mapping = mapping
        self.mask = mask
        """A masked rehearsal's mask: the sources are compared as the target received them."""
        self.profile = profile or profile_for(target_view.platform)
        self.target = target
        self._declines = declines or (target.declines if target is not None else None)
        self.plan_digest = plan_digest
        self.prepared_by = prepared_by or f"cemigrate {__version__}"
        self._external_ids_read = False
        """Whether the target view reported the external ids it read (set as it is read)."""
        self._renamed: dict[str, str] = {}
        """The ledger's instance names that are a plan source renamed: old name → new."""

    def close(self) -> None:
        """Close the ledger and the adapters that hold files."""
        self.ledger.close()
        for source in (*self.sources, self.target_view):
            source.close()
        if self.target is not None:
            self.target.close()

    # -- cost ------------------------------------------------------------------------------

    def estimate(self, sample: int | None = None) -> dict[str, Any]:
        """The API calls a run will spend per budget, before it runs, from the ledger's counts:
        every stream read once per side, a page at a time (see ``docs/reconciliation.md``).
        Attachment downloads are one per file per side (all files, or the sampled tickets')."""
        counts = self.ledger.counts()
        per_kind = {kind: sum(states.values()) for kind, states in counts.items()}
        done = {kind: states.get("done", 0) for kind, states in counts.items()}
        calls: Counter[str] = Counter()
        rating = Kind.SATISFACTION_RATING
        for source in self.sources:
            read = dict(per_kind)
            if rating.value not in read and rating in source.describe().kinds:
                read[rating.value] = done.get(Kind.TICKET.value, 0)  # for the KPI: ≤ 1 a ticket
            for budget, n in registry.platform(source.platform).read_cost(read).items():
                calls[f"{source.instance}.{budget}"] += n
        kept = {k: v for k, v in done.items() if Kind(k) in self.profile.read_back}
        for budget, n in registry.platform(self.target_view.platform).read_cost(kept).items():
            calls[f"{self.target_view.instance}.{budget}"] += n
        names = [s.instance for s in self.sources]
        calls.update(count_calls(self.sources, self.target_view, counts, names))  # counting
        tickets = done.get(Kind.TICKET.value, 0)
        return {
            "calls": dict(sorted(calls.items())),
            "tickets": tickets,
            "deep_tickets": tickets if sample is None else min(sample, tickets),
            "note": "pages of each stream, once per side; attachment downloads not included",
        }

    # -- the run ---------------------------------------------------------------------------

    def run(self, sample: int | None = None, seed: int = 0) -> ReconcileReport:
        """Compare everything and return the report (``sample``: deep-compare that many
        tickets chosen at random with ``seed``; counts are exact either way)."""
        if sample is not None and sample < 1:
            raise ConfigError("--sample must be 1 or more")
        started = time.monotonic()
        check_ledger(
            self.ledger.mask_check(),
            self.mask,
            has_runs=True,
            ledger=str(self.ledger.path),
            doing="reconcile",
        )
        before = self._calls()
        estimate = self.estimate(sample)
        if isinstance(self.mapping, MappingFile):
            described = (self.target or self.target_view).describe()
            self.mapping.bind(described, [s.describe() for s in self.sources])
        findings = Findings()
        deep, population = self._deep_set(sample, seed)
        maps = self._id_maps()
        target = self._read_target({maps.ticket_target[k] for k in deep} if deep else None)
        sources = _Side()
        ticket_links: dict[str, str] = {}  # source key → target id of done tickets
        policies: Counter[str] = Counter()
        for source in self.sources:
            self._read_source(source, sources, target, maps, deep, findings, ticket_links, policies)
        counts = self._sweep_ledger(sources, target, findings)
        self._source_links(sources, target, ticket_links, findings)
        rules = self._rules(sources, target, findings, policies)
        note_held_elsewhere(counts, self.profile, rules)
        self._renamed = renamed_instances(self.ledger, self.sources)
        self._externals(target, findings)
        check_instances(
            self.ledger,
            self._renamed,
            counts,
            [kind.value for kind in sources.ids],
            target.external,
            [s.instance for s in self.sources],
            findings,
        )
        independent = independent_counts(
            sources=self.sources,
            view=self.target_view,
            ledger=self.ledger,
            instances=[*(s.instance for s in self.sources), *self._renamed],
            table=counts,
            keyed=target.external if self._external_ids_read else None,
            findings=findings,
        )
        access = self._access(sources, target, maps, findings)
        sla = self._sla(sources, target, ticket_links, findings)
        kpi = self._kpi(sources, target, ticket_links, sla, findings)
        fields = self._fields(sources)
        deep_count = len(deep) if deep is not None else len(ticket_links)
        deep_defects = sum(
            1
            for f in findings.kept
            if f.area is Area.TICKET and (deep is None or (f.source_key or "") in deep)
        )
        after = self._calls()
        spent = {
            name: after[name] - before.get(name, 0.0)
            for name in sorted(after)
            if after[name] - before.get(name, 0.0)
        }
        data: dict[str, Any] = {
            "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "prepared_by": self.prepared_by,
            "plan_digest": self.plan_digest,
            "sources": [{"instance": s.instance, "platform": s.platform} for s in self.sources],
            "target": {"platform": self.target_view.platform},
            "ledger": self._ledger_state(),
            "counts": counts,
            "independent_counts": independent,
            "skipped_by_policy": dict(sorted(policies.items())),
            "deep": {
                "tickets_compared": deep_count,
                "population": population,
                "sample": sample,
                "seed": seed if sample is not None else None,
                "defective_tickets": deep_defects,
                "defect_rate_bound_95": (
                    defect_rate_bound(deep_count, population) if not deep_defects else None
                ),
                "attachments_hashed": {
                    "source": sources.files_hashed,
                    "target": target.files_hashed,
                },
                "bytes_hashed": {"source": sources.bytes_hashed, "target": target.bytes_hashed},
            },
            "sla": sla,
            "access": access,
            "kpi": kpi,
            "rules": rules,
            "fields": {k: v for k, v in fields.items() if k != "not_compared"},
            **sort_out(
                [
                    *self._unverified(sources, rules, deep_count, population, sample, seed),
                    *fields["not_compared"],
                ]
            ),
            "cost": {
                "calls": spent,
                "estimate": estimate,
                "seconds": round(time.monotonic() - started, 3),
            },
        }
        return ReconcileReport.build(data, findings)

    # -- steps -----------------------------------------------------------------------------

    def _calls(self) -> dict[str, float]:
        calls: dict[str, float] = {}
        for adapter in (*self.sources, self.target_view):
            for name, snap in adapter.budgets.snapshot().items():
                calls[name] = calls.get(name, 0.0) + snap["calls"]
        return calls

    def _deep_set(self, sample: int | None, seed: int) -> tuple[set[str] | None, int]:
        keys = [
            e.key
            for e in self.ledger.entries(kind=Kind.TICKET.value, state=EntryState.DONE)
            if e.target_id is not None
        ]
        if sample is None or sample >= len(keys):
            return None, len(keys)
        return set(random.Random(seed).sample(keys, sample)), len(keys)

    def _id_maps(self) -> _IdMaps:
        maps = _IdMaps()
        maps.by_kind = {Kind.USER: maps.users, Kind.GROUP: maps.groups}
        maps.by_kind[Kind.TICKET] = maps.ticket_target
        for kind in PLAN_ORDER:
            if kind in _UNREFERENCED:
                continue
            table = maps.by_kind.setdefault(kind, {})
            for entry in self.ledger.entries(kind=kind.value, state=EntryState.DONE):
                if entry.target_id is not None:
                    table[entry.key] = entry.target_id
            held = Counter(table.values())
            maps.merged[kind] = {target_id for target_id, n in held.items() if n > 1}
        last: dict[str, str] = {}
        for row in self.ledger.journal():
            if row.kind not in _NOT_MATCHED:
                last[row.key] = row.action
        maps.matched = {key for key, action in last.items() if action == "matched"}
        return maps

    def _compared_kinds(self) -> dict[Kind, tuple[str, ...]]:
        """Kinds compared field by field (held as records and read back), with the
        attributes compared."""
        out: dict[Kind, tuple[str, ...]] = {}
        for kind in PLAN_ORDER:
            names = attributes_of(kind, self.profile.keeps)
            if kind is Kind.TICKET:
                names = tuple(n for n in names if n not in self.profile.ticket_labels)
            names = tuple(n for n in names if n not in _CHECKED_ELSEWHERE.get(kind, ()))
            if kind in self.profile.read_back and names:
                out[kind] = names
        return out

    def _origin_compared(self) -> str:
        """How a ticket's origin is compared: ``native`` (the target keeps recipient and via
        as the source had them), ``field`` (the private :data:`ORIGIN_FIELD`), or ``""``: a
        profile that names nothing it keeps is not known to write it."""
        keeps = self.profile.keeps
        if not keeps:
            return ""
        return "native" if {"recipient", "via"} <= keeps.get(Kind.TICKET, frozenset()) else "field"

    def _target_kinds(self) -> list[Kind]:
        counts = self.ledger.counts()
        have = self.target_view.describe().kinds
        return [
            kind
            for kind in PLAN_ORDER
            if kind in self.profile.read_back
            and kind in have
            and (kind in _ALWAYS or counts.get(kind.value, {}).get("done", 0))
        ]

    def _read_target(self, deep_ids: set[str] | None) -> _Side:
        side = _Side()
        view = self.target_view

        def note(kind: Kind, target_id: str, external_id: str) -> None:
            side.external.setdefault(kind, {}).setdefault(external_id, []).append(target_id)

        self._external_ids_read = view.report_external_ids(note)
        profile = self.profile
        compared = self._compared_kinds()
        origin = self._origin_compared()
        for kind in self._target_kinds():
            ids = side.ids.setdefault(kind, set())
            for batch in view.read(kind):
                for record in batch.records:
                    if record.id in ids:
                        continue  # a stream may serve a record again after a change
                    ids.add(record.id)
                    side.read[kind.value] += 1
                    if kind in compared:
                        side.kept.setdefault(kind, {})[record.id] = kept_values(
                            record, compared[kind], _as_read
                        )
                    if isinstance(record, Ticket):
                        side.ticket_extra[record.id] = _ticket_extra(record, profile, origin)
                        links = {
                            prefix
                            for c in record.comments
                            for body in (c.body_html, c.body_plain)
                            for prefix in linked_prefixes(body)
                        }
                        if links:
                            side.body_links[record.id] = links
                        deep = deep_ids is None or record.id in deep_ids
                        facts = ticket_facts(
                            record,
                            author=lambda user_id: user_id,
                            keep_comment=lambda c: not profile.representation_comment(c),
                            keep_field=lambda k: (
                                not k.startswith(profile.representation_field_prefix)
                            ),
                            files=view if deep else None,
                        )
                        side.tickets[record.id] = facts
                        if deep:
                            side.files_hashed += len(facts.files)
                            side.bytes_hashed += sum(f.size for f in facts.files)
                        if profile.sla is not None:
                            kept = profile.sla(record)
                            side.sla[record.id] = _SourceSla(
                                kept.first_reply, kept.resolution, kept.breaches
                            )
                    else:
                        _collect(side, record, "")
        return side

    def _read_source(
        self,
        source: Source,
        side: _Side,
        target: _Side,
        maps: _IdMaps,
        deep: set[str] | None,
        findings: Findings,
        ticket_links: dict[str, str],
        policies: Counter[str],
    ) -> None:
        instance = source.instance
        counts = self.ledger.counts()
        kinds = [
            kind
            for kind in PLAN_ORDER
            if kind in source.describe().kinds
            and (kind in _FOR_REPORT or any(counts.get(kind.value, {}).values()))
        ]
        failures = {f.key: f.reason for f in self.ledger.failures()}
        skipped_refs: set[str] = set()
        profile = self.profile
        compared = self._compared_kinds()
        mapping = self.mapping
        # Read-only fields left out and lookups compared as the target ids, as the copier did.
        step = FieldStep(
            mapping.field_type if isinstance(mapping, MappingFile) else lambda _o, _k: None
        )
        step.learn(instance, source.describe().fields)
        mask = self.mask
        files: FileSource = source
        if mask is not None:  # compared as the copier sent them: masked
            mask.learn(source.describe().fields, self.mapping)
            files = mask.files(source)
        # A target with no lookup to a group keeps the group's name in a text field.
        native = {
            (f.object, f.key)
            for f in self.target_view.describe().fields
            if f.type is FieldType.LOOKUP
        }
        group_names: dict[str, str] = {}

        def ref_target(ref: Ref) -> str:
            key = f"{instance}:{ref.kind.value}:{ref.id}"
            return maps.by_kind.get(ref.kind, {}).get(key, f"(not carried over: {ref.id})")

        def lookup_target(owner: FieldObject, field_key: str, ref: Ref) -> str:
            if ref.kind is Kind.GROUP and (owner, field_key) not in native:
                name = group_names.get(f"{instance}:group:{ref.id}")
                return name if name is not None else f"(not carried over: {ref.id})"
            return ref_target(ref)

        for kind in kinds:
            seen = side.ids.setdefault(kind, set())
            for batch in source.read(kind):
                keys = [str(SourceKey(instance, kind, r.id)) for r in batch.records]
                entries = self.ledger.lookup(keys)
                for record, key in zip(batch.records, keys, strict=True):
                    if key in seen:
                        continue
                    seen.add(key)
                    side.read[kind.value] += 1
                    if isinstance(record, Ticket):
                        side.attachment_paths.update(
                            prefix
                            for c in record.comments
                            for a in c.attachments
                            if (prefix := attachment_prefix(a.location)) is not None
                        )
                    label = _label_of(record)
                    if label is not None:
                        side.labels[f"{instance}:{kind.value}:{record.id}"] = label
                    if kind.value not in counts:
                        # Read for the report only (SLA policy titles, satisfaction): the
                        # migration carried none of this kind, so there is nothing to account.
                        _collect(side, record, instance)
                        continue
                    entry = entries.get(key)
                    prepared = step.prepare(instance, record)
                    mapped: Record | Skip | Refuse = (
                        prepared
                        if isinstance(prepared, Skip)
                        else self.mapping.apply(
                            kind, step.translated(instance, prepared, lookup_target)
                        )
                    )
                    if isinstance(mapped, Group):
                        group_names[f"{instance}:group:{record.id}"] = mapped.name
                    if isinstance(mapped, Ticket):
                        mapped, _ = rewrite_inline(mapped)  # as the copier sent it
                    if mask is not None and not isinstance(mapped, Skip | Refuse):
                        mapped = mask.record(mapped)
                    done = entry is not None and entry.state is EntryState.DONE
                    if not isinstance(record, Ticket | GroupMembership) or (
                        done and isinstance(record, GroupMembership)
                    ):
                        _collect(side, record, instance)

                    add = functools.partial(
                        _add,
                        findings,
                        Area.COUNTS,
                        kind.value,
                        key,
                        record.id,
                        None if entry is None else entry.target_id,
                    )
                    if kind is Kind.RULE and (
                        entry is None or entry.state in (EntryState.PENDING, EntryState.SKIPPED)
                    ):
                        continue  # accounted for with its translation: the rules section
                    if entry is None or entry.state is EntryState.PENDING:
                        add(
                            Severity.CRITICAL,
                            "record.unaccounted",
                            "read from the source, but the ledger has no outcome for it"
                            if entry is None
                            else "still pending in the ledger: sent, never confirmed",
                        )
                        continue
                    if entry.state is EntryState.FAILED:
                        reason = failures.get(key, "no reason recorded")
                        add(Severity.MAJOR, "record.failed", f"not carried over: {reason}")
                        continue
                    if entry.state is EntryState.SKIPPED:
                        skipped_refs.add(f"{instance}:{kind.value}:{record.id}")
                        policy = self._policy(kind, record, mapped, instance, skipped_refs)
                        if policy:
                            policies[f"{kind.value}: {policy.split(':')[0]}"] += 1
                        else:
                            add(
                                Severity.MAJOR,
                                "record.skipped_unnamed",
                                "skipped, but no named policy accounts for it",
                            )
                        continue
                    assert entry.target_id is not None
                    if isinstance(mapped, Skip | Refuse):
                        continue  # the mapping changed since the run; the ledger says done
                    if isinstance(mapped, FieldDef) and mapped.object is FieldObject.TICKET:
                        named = target.field_keys.get(entry.target_id)
                        if named is not None and named != mapped.key:
                            side.field_keys[mapped.key] = named
                    if isinstance(mapped, FieldDef) and mapped.object is not FieldObject.TICKET:
                        named = target.people_field_keys.get((mapped.object, entry.target_id))
                        if named is not None and named != mapped.key:
                            side.people_field_keys[(mapped.object, mapped.key)] = named
                    if isinstance(mapped, User | Organization) and side.people_field_keys:
                        mapped = under_target_keys(mapped, side.people_field_keys)
                    if isinstance(mapped, Ticket) and side.field_keys:
                        renamed = {
                            side.field_keys.get(k, k): v for k, v in mapped.custom_fields.items()
                        }
                        mapped = attrs.evolve(mapped, custom_fields=renamed)
                    held = target.kept.get(kind, {}).get(entry.target_id)
                    names = compared.get(kind, ())
                    if held is not None and (
                        key in maps.matched or entry.target_id in maps.merged.get(kind, ())
                    ):
                        # Matched to a record the target held, or merged with another: its
                        # attributes are that record's, but for what the migration writes on
                        # a record matched as its own (not merged).
                        side.compared[f"{kind.value} matched"] += 1
                        names = matched_attributes(
                            kind,
                            names,
                            profile,
                            merged=entry.target_id in maps.merged.get(kind, ()),
                        )
                        held = {n: held[n] for n in names} if names else None
                    if kind in compared and held is not None:
                        side.compared[kind.value] += 1
                        as_held = (
                            mapped
                            if profile.held_as is None
                            else profile.held_as(kind, mapped, ref_target)
                        )
                        before = kept_values(as_held, names, ref_target)
                        for finding in compare_kept(
                            kind,
                            before,
                            held,
                            key=key,
                            source_id=record.id,
                            target_id=entry.target_id,
                            defaulted=self.profile.defaulted.get(kind, frozenset()),
                            link_only=self.profile.link_only.get(kind, frozenset()),
                        ):
                            findings.add(finding)
                    extra = target.ticket_extra.get(entry.target_id)
                    if isinstance(mapped, Ticket) and extra is not None:
                        self._ticket_checks(
                            mapped, extra, side, findings, key=key, target_id=entry.target_id
                        )
                    if isinstance(mapped, Ticket):
                        ticket_links[key] = entry.target_id
                        after = target.tickets.get(entry.target_id)
                        if after is None:
                            continue  # missing: named by the ledger sweep
                        is_deep = deep is None or key in deep
                        facts = ticket_facts(
                            mapped,
                            author=lambda user_id: maps.users.get(
                                f"{instance}:user:{user_id}", f"unmapped source user {user_id}"
                            ),
                            keep_comment=lambda _c: True,
                            keep_field=lambda k: (
                                not k.startswith(profile.representation_field_prefix)
                            ),
                            files=files if is_deep else None,
                        )
                        side.tickets[key] = facts
                        if is_deep:
                            side.files_hashed += len(facts.files)
                            side.bytes_hashed += sum(f.size for f in facts.files)
                            for finding in compare_tickets(
                                facts,
                                after,
                                key=key,
                                profile=profile,
                                deep_files=True,
                            ):
                                findings.add(finding)
                        else:  # kept for the KPIs only
                            side.tickets[key] = attrs.evolve(facts, comments=())

    def _source_links(
        self,
        sources: _Side,
        target: _Side,
        ticket_links: Mapping[str, str],
        findings: Findings,
    ) -> None:
        """Target tickets whose comment bodies still link to a source account's attachment
        path (an inline image or a file link that dies with the source)."""
        sources.compared["ticket bodies free of source links"] = len(ticket_links)
        if not target.body_links or not sources.attachment_paths:
            return
        by_target = {target_id: key for key, target_id in ticket_links.items()}
        for target_id, prefixes in sorted(target.body_links.items()):
            hit = sorted(prefixes & sources.attachment_paths)
            key = by_target.get(target_id)
            if not hit or key is None:
                continue
            findings.add(
                _ticket_finding(
                    Area.TICKET,
                    Severity.MAJOR,
                    "comment.source_link",
                    key,
                    target_id,
                    f"a comment body links to the source's attachments ({hit[0]}), which die "
                    "with the source",
                )
            )

    def _ticket_checks(
        self,
        ticket: Ticket,
        extra: Mapping[str, Any],
        side: _Side,
        findings: Findings,
        *,
        key: str,
        target_id: str,
    ) -> None:
        """The ticket's brand, form and custom status kept as labels, and its origin."""
        instance = key.split(":", 1)[0]
        add = functools.partial(_add, findings, Area.RECORDS, "ticket", key, ticket.id, target_id)
        for attribute, field_key in sorted(self.profile.ticket_labels.items()):
            ref = getattr(ticket, attribute, None)
            expected = (
                None
                if ref is None
                else side.labels.get(f"{instance}:{ref.kind.value}:{ref.id}", f"({ref})")
            )
            got = extra.get(f"label:{attribute}") or None
            side.compared[f"ticket {attribute} label"] += 1
            if expected == got:
                continue
            if expected is not None and got is None:
                add(
                    Severity.MAJOR,
                    f"ticket.{attribute}_label_missing",
                    f"{attribute} {expected!r} is not in the target's field {field_key!r}",
                )
            else:
                add(
                    Severity.MINOR,
                    f"ticket.{attribute}_label",
                    f"{attribute} is {got!r} in the target's field {field_key!r}, "
                    f"{expected!r} in the source",
                )
        how = self._origin_compared()
        if not how:
            return
        side.compared["ticket origin"] += 1
        expected_origin = origin_of(ticket)
        got_origin = extra.get("origin") or {}
        if _canonical(expected_origin) == _canonical(got_origin):
            return
        where = "as the target keeps it" if how == "native" else f"in the field {ORIGIN_FIELD!r}"
        if expected_origin and not got_origin:
            add(
                Severity.MAJOR,
                "ticket.origin_missing",
                f"the origin (recipient, via, {_comment_count(expected_origin)} comment "
                f"records) is not {where}",
            )
        else:
            changed = sorted(
                name
                for name in expected_origin.keys() | got_origin.keys()
                if _canonical(expected_origin.get(name)) != _canonical(got_origin.get(name))
            )
            add(
                Severity.MAJOR,
                "ticket.origin",
                f"the origin {where} differs from the source in: {', '.join(changed)}",
            )

    def _policy(
        self,
        kind: Kind,
        record: Record,
        mapped: Record | Skip | Refuse,
        instance: str,
        skipped: set[str],
    ) -> str:
        if isinstance(mapped, Skip):
            return mapped.policy
        if self._declines is not None:
            declined = self._declines(kind, record)
            if declined:
                return declined
        for ref in refs_of(record):
            if f"{instance}:{ref}" in skipped:
                return f"follows-skipped: its {ref.kind} was skipped"
        return ""

    def _sweep_ledger(self, sources: _Side, target: _Side, findings: Findings) -> dict[str, Any]:
        """Per kind: the counts, and done entries the target does not hold or the source no
        longer has."""
        instances = {s.instance for s in self.sources}
        table: dict[str, Any] = {}
        for kind_name, states in self.ledger.counts().items():
            kind = Kind(kind_name)
            read_back = kind in target.ids
            present = target.ids.get(kind, set())
            seen = sources.ids.get(kind, set())
            missing = gone = 0
            mapped: set[str] = set()
            for entry in self.ledger.entries(kind=kind_name, state=EntryState.DONE):
                if entry.instance not in instances:
                    continue
                if entry.target_id is not None:
                    mapped.add(entry.target_id)
                if read_back and entry.target_id not in present:
                    missing += 1
                    findings.add(
                        Finding(
                            severity=Severity.CRITICAL,
                            area=Area.COUNTS,
                            check="record.missing",
                            kind=kind_name,
                            message=f"the ledger says done as {kind_name} {entry.target_id}, "
                            "but the target does not hold it",
                            source_key=entry.key,
                            source_id=entry.source_id,
                            target_id=entry.target_id,
                        )
                    )
                if entry.key not in seen and kind in sources.ids:
                    gone += 1
                    findings.add(
                        Finding(
                            severity=Severity.MINOR,
                            area=Area.COUNTS,
                            check="record.gone_from_source",
                            kind=kind_name,
                            message="carried over, but no longer in the source (deleted there "
                            "since?)",
                            source_key=entry.key,
                            source_id=entry.source_id,
                            target_id=entry.target_id,
                        )
                    )
            table[kind_name] = {
                "source": sources.read.get(kind_name, 0),
                "target": target.read[kind_name] if read_back else None,
                "done": states.get("done", 0),
                "failed": states.get("failed", 0),
                "skipped": states.get("skipped", 0),
                "pending": states.get("pending", 0),
                "missing_in_target": missing,
                "target_not_from_ledger": len(present - mapped) if read_back else None,
                "gone_from_source": gone,
            }
        return table

    def _externals(self, target: _Side, findings: Findings) -> None:
        """Target records carrying a source key the ledger does not map to them: duplicates
        (the key is done as another record) and extras (the key is not done)."""
        instances = {s.instance for s in self.sources} | set(self._renamed)
        for kind, by_key in target.external.items():
            keys: dict[str, list[str]] = {}
            if kind is Kind.TICKET:
                check_comment_keys(self.ledger, by_key, instances, findings)
            for external_id, target_ids in by_key.items():
                if comment_key(external_id) is not None:
                    continue  # a comment's own record: checked above
                try:
                    key = SourceKey.parse(external_id)
                except ValueError:
                    continue  # not a key cemigrate wrote
                if key.instance in instances and key.kind is kind:
                    keys[external_id] = target_ids
            entries = self.ledger.lookup(list(keys))
            for external_id, target_ids in sorted(keys.items()):
                entry = entries.get(external_id)
                done = entry is not None and entry.state is EntryState.DONE
                for target_id in sorted(set(target_ids)):
                    if done and entry is not None and target_id == entry.target_id:
                        continue
                    source_id = external_id.split(":", 2)[2]
                    if done and entry is not None:
                        findings.add(
                            Finding(
                                severity=Severity.CRITICAL,
                                area=Area.COUNTS,
                                check="record.duplicate",
                                kind=kind.value,
                                message=f"{kind} {target_id} in the target is a second copy of "
                                f"{external_id} (the ledger maps it to {entry.target_id})",
                                source_key=external_id,
                                source_id=source_id,
                                target_id=target_id,
                            )
                        )
                    else:
                        findings.add(
                            Finding(
                                severity=Severity.MAJOR,
                                area=Area.COUNTS,
                                check="record.extra",
                                kind=kind.value,
                                message=f"{kind} {target_id} in the target carries the source "
                                "key, which the ledger does not record as carried over",
                                source_key=external_id,
                                source_id=source_id,
                                target_id=target_id,
                            )
                        )

    def _access(
        self, sources: _Side, target: _Side, maps: _IdMaps, findings: Findings
    ) -> dict[str, Any]:
        """No end user became an agent or admin; suspended users stayed suspended; agents'
        group memberships carried over."""
        checked = escalated = unsuspended = 0
        roles: Counter[str] = Counter()
        for key, (role, suspended, deleted) in sources.users.items():
            target_id = maps.users.get(key)
            held = None if target_id is None else target.users.get(target_id)
            if held is None:
                continue
            checked += 1
            roles[role.value] += 1
            got_role, got_suspended, _ = held
            source_id = key.split(":", 2)[2]

            add = functools.partial(_add, findings, Area.ACCESS, "user", key, source_id, target_id)
            rank = {Role.END_USER: 0, Role.AGENT: 1, Role.ADMIN: 2}
            if rank[got_role] > rank[role]:
                escalated += 1
                add(
                    Severity.CRITICAL,
                    "access.role_escalated",
                    f"{role.value} in the source is {got_role.value} in the target",
                )
            elif rank[got_role] < rank[role]:
                add(
                    Severity.MAJOR,
                    "access.role_lost",
                    f"{role.value} in the source is {got_role.value} in the target",
                )
            user = User(id=source_id, name="", suspended=suspended, deleted=deleted, role=role)
            if self.profile.expect_suspended(user) and not got_suspended:
                unsuspended += 1
                add(
                    Severity.CRITICAL,
                    "access.unsuspended",
                    "suspended (or deleted) in the source, active in the target",
                )
        memberships = missing = 0
        for key, user_id, group_id in sources.members_by_key:
            user_target = maps.users.get(user_id)
            group_target = maps.groups.get(group_id)
            if user_target is None or group_target is None:
                continue
            memberships += 1
            if (user_target, group_target) not in target.members:
                missing += 1
                findings.add(
                    Finding(
                        severity=Severity.MAJOR,
                        area=Area.ACCESS,
                        check="access.group_missing",
                        kind="group_membership",
                        message=f"agent {user_target} is not in group {group_target} in the target",
                        source_key=key,
                        source_id=key.split(":", 2)[2],
                        target_id=None,
                    )
                )
        return {
            "users_compared": checked,
            "by_source_role": dict(sorted(roles.items())),
            "escalated": escalated,
            "unsuspended": unsuspended,
            "memberships_compared": memberships,
            "memberships_missing": missing,
        }

    def _sla(
        self,
        sources: _Side,
        target: _Side,
        ticket_links: Mapping[str, str],
        findings: Findings,
    ) -> dict[str, Any]:
        """Per ticket: first reply, resolution and breaches, source against target; and the
        distributions by policy and priority."""
        verifiable = sla_verifiable(self.profile)
        groups: dict[tuple[str, str], dict[str, list[int]]] = {}
        hist: dict[str, list[int]] = {"first_reply": [], "resolution": []}
        hist_target: dict[str, list[int]] = {"first_reply": [], "resolution": []}
        compared = 0
        for key, target_id in sorted(ticket_links.items()):
            instance, _, ticket_id = key.split(":", 2)
            before = sources.sla.get(f"{instance}:{ticket_id}", _SourceSla())
            facts = sources.tickets.get(key)
            priority = (facts.priority if facts else None) or "none"
            policy = (
                sources.policies.get(f"{instance}:{before.policy}", before.policy)
                if before.policy
                else "no policy"
            )
            bucket = groups.setdefault(
                (policy, priority),
                {
                    "n": [],
                    "fr": [],
                    "res": [],
                    "breached": [],
                    "t_fr": [],
                    "t_res": [],
                    "t_breached": [],
                },
            )
            bucket["n"].append(1)
            if before.first_reply is not None:
                bucket["fr"].append(before.first_reply)
                hist["first_reply"].append(before.first_reply)
            if before.resolution is not None:
                bucket["res"].append(before.resolution)
                hist["resolution"].append(before.resolution)
            bucket["breached"].append(1 if before.breaches else 0)
            if not verifiable:
                continue
            after = target.sla.get(target_id, _SourceSla())
            compared += 1
            if after.first_reply is not None:
                bucket["t_fr"].append(after.first_reply)
                hist_target["first_reply"].append(after.first_reply)
            if after.resolution is not None:
                bucket["t_res"].append(after.resolution)
                hist_target["resolution"].append(after.resolution)
            bucket["t_breached"].append(1 if after.breaches else 0)
            for check, label, was, now in (
                ("sla.first_reply", "first reply", before.first_reply, after.first_reply),
                ("sla.resolution", "resolution", before.resolution, after.resolution),
            ):
                if was != now:
                    findings.add(
                        _ticket_finding(
                            Area.SLA,
                            Severity.MAJOR,
                            check,
                            key,
                            target_id,
                            f"{label} {_minutes(now)} in the target, {_minutes(was)} in the source",
                        )
                    )
            if before.breaches != after.breaches:
                lost = before.breaches > after.breaches
                findings.add(
                    _ticket_finding(
                        Area.SLA,
                        Severity.MAJOR,
                        "sla.breach_missing" if lost else "sla.breach_extra",
                        key,
                        target_id,
                        f"{before.breaches} SLA breach(es) in the source, {after.breaches} in "
                        "the target",
                    )
                )
        rows = []
        for (policy, priority), b in sorted(groups.items()):
            rows.append(
                {
                    "policy": policy,
                    "priority": priority,
                    "tickets": len(b["n"]),
                    "source": _distribution(b["fr"], b["res"], b["breached"]),
                    "target": _distribution(b["t_fr"], b["t_res"], b["t_breached"])
                    if verifiable
                    else None,
                }
            )
        return {
            "verifiable": verifiable,
            "tickets_compared": compared,
            "by_policy_and_priority": rows,
            "histogram_bins": _bin_labels(),
            "histograms": {
                "first_reply": {
                    "source": _histogram(hist["first_reply"]),
                    "target": _histogram(hist_target["first_reply"]) if verifiable else None,
                },
                "resolution": {
                    "source": _histogram(hist["resolution"]),
                    "target": _histogram(hist_target["resolution"]) if verifiable else None,
                },
            },
        }

    def _kpi(
        self,
        sources: _Side,
        target: _Side,
        ticket_links: Mapping[str, str],
        sla: Mapping[str, Any],
        findings: Findings,
    ) -> list[dict[str, Any]]:
        """Ticket volume by type and channel, median first reply and resolution, satisfaction:
        source against target (over the tickets carried over)."""
        volume: dict[str, Counter[str]] = {"source": Counter(), "target": Counter()}
        times: dict[str, dict[str, list[int]]] = {
            side: {"first_reply": [], "resolution": []} for side in ("source", "target")
        }
        for key, target_id in ticket_links.items():
            before, after = sources.tickets.get(key), target.tickets.get(target_id)
            instance, _, ticket_id = key.split(":", 2)
            if before is not None:
                volume["source"][f"type {before.type or 'none'}"] += 1
                volume["source"][f"channel {before.channel}"] += 1
            if after is not None:
                volume["target"][f"type {after.type or 'none'}"] += 1
                volume["target"][f"channel {after.channel}"] += 1
            was = sources.sla.get(f"{instance}:{ticket_id}")
            now = target.sla.get(target_id)
            for side, facts in (("source", was), ("target", now)):
                if facts is not None:
                    if facts.first_reply is not None:
                        times[side]["first_reply"].append(facts.first_reply)
                    if facts.resolution is not None:
                        times[side]["resolution"].append(facts.resolution)
        rows: list[dict[str, Any]] = []
        for name in sorted(volume["source"].keys() | volume["target"].keys()):
            rows.append(
                {
                    "kpi": f"tickets by {name}",
                    "source": volume["source"][name],
                    "target": volume["target"][name],
                }
            )
        for metric in ("first_reply", "resolution"):
            source_median = quantile(times["source"][metric], 0.5)
            target_median = (
                quantile(times["target"][metric], 0.5) if sla.get("verifiable") else None
            )
            rows.append(
                {
                    "kpi": f"median {metric.replace('_', ' ')} (min)",
                    "source": source_median,
                    "target": target_median,
                }
            )
        rows.append(satisfaction_row(self.profile, sources.ratings, target.ratings))
        for row in rows:
            compare = row.get("compare", True) and row["target"] is not None
            if compare and row["source"] != row["target"]:
                findings.add(
                    Finding(
                        severity=Severity.MINOR,
                        area=Area.KPI,
                        check="kpi.drift",
                        kind="kpi",
                        message=f"{row['kpi']}: {_fmt(row['source'])} in the source, "
                        f"{_fmt(row['target'])} in the target",
                    )
                )
        return rows

    def _rules(
        self, sources: _Side, target: _Side, findings: Findings, policies: Counter[str]
    ) -> dict[str, Any]:
        """Every source rule: its translation, whether it arrived, its state in the target."""
        return RulesSection(
            ledger=self.ledger,
            target_platform=(self.target or self.target_view).platform,
            target=self.target,
            mapping=self.mapping,
            values=self.mapping.needs().values,
            options=self.mapping.needs().options,
            declines=self._declines,
            read_back=Kind.RULE in target.ids,
        ).build(sources.rules, sources.sla_policies, findings, policies)

    def _fields(self, sources: _Side) -> dict[str, Any]:
        """What was compared field by field, and what was not, with the reason."""
        platform = self.profile.platform
        compared_kinds = self._compared_kinds()
        done = {k: v.get("done", 0) for k, v in self.ledger.counts().items()}
        compared = [
            {"kind": kind.value, "attributes": list(names), "records": sources.compared[kind.value]}
            for kind, names in compared_kinds.items()
            if done.get(kind.value)
        ]
        checks = [
            {"check": name, "tickets": n}
            for name, n in sorted(sources.compared.items())
            if name.startswith("ticket ")
        ]
        not_compared: list[NotRun | NotHeld | str] = [
            NotHeld(
                kind=name.split()[0],
                what="attributes",
                records=n,
                why=own_record_why(Kind(name.split()[0]), self.profile),
                platform=platform,
            )
            for name, n in sorted(sources.compared.items())
            if name.endswith(" matched")
        ]
        if not self.profile.keeps and done:
            not_compared.append(
                NotRun(
                    check="fields.profile",
                    what="field by field",
                    why=f"the {platform} target's profile names no attribute it keeps as the "
                    "source had them; records are counted (tickets compared in depth), not "
                    "compared attribute by attribute",
                )
            )
        for kind in PLAN_ORDER:
            if (
                not self.profile.keeps
                or not done.get(kind.value)
                or kind in (Kind.SLA_EVENT, Kind.TICKET_METRICS)
            ):
                continue
            label = next((a for a, k in _LABELLED.items() if k is kind), None)
            if kind not in self.profile.read_back:
                how = (
                    f"; tickets carry its name in the field "
                    f"{self.profile.ticket_labels[label]!r}, compared per ticket"
                    if label is not None and label in self.profile.ticket_labels
                    else ""
                )
                not_compared.append(
                    NotHeld(
                        kind=kind.value,
                        what="records",
                        records=done[kind.value],
                        why="not read back as records: the Rules section accounts for each "
                        f"one (translation, arrival, state in the {platform} target)"
                        if kind in (Kind.RULE, Kind.SLA_POLICY)
                        else f"not held as records by the {platform} target, not read back{how}",
                        platform=platform,
                    )
                )
                continue
            left = sorted(
                set(_attribute_names(kind))
                - set(compared_kinds.get(kind, ()))
                - ELSEWHERE.get(kind, frozenset({"id"}))
                - set(self.profile.ticket_labels if kind is Kind.TICKET else ())
                - _CHECKED_ELSEWHERE.get(kind, frozenset())
            )
            reasons, left = not_held_reasons(left, self.profile.not_held.get(kind, {}))
            not_compared += [
                NotHeld(
                    kind=kind.value,
                    what=", ".join(names),
                    records=done[kind.value],
                    why=why,
                    platform=platform,
                )
                for names, why in reasons
            ]
            if left:
                not_compared.append(
                    NotHeld(
                        kind=kind.value,
                        what=", ".join(left),
                        records=done[kind.value],
                        why=f"not compared field by field: the {platform} target's profile "
                        "does not name them among what it keeps as the source had them (its "
                        "field ledger says where they go)",
                        platform=platform,
                    )
                )
        origin = self._origin_compared()
        if not origin and done.get(Kind.TICKET.value):
            not_compared.append(
                NotRun(
                    check="ticket.origin",
                    what="ticket origin",
                    why=f"recipient, via and the comments' system metadata: the {platform} "
                    "target's profile does not say it keeps them",
                )
            )
        return {
            "compared": compared,
            "ticket_checks": checks,
            "origin": origin or None,
            "not_compared": not_compared,
        }

    def _unverified(
        self,
        sources: _Side,
        rules: Mapping[str, Any],
        deep: int,
        population: int,
        sample: int | None,
        seed: int,
    ) -> list[NotRun | NotHeld | str]:
        """What was not proved: checks that did not run (:class:`NotRun`, they block
        "clean") and what the target does not hold as the source had it (:class:`NotHeld`)."""
        platform = self.profile.platform
        migrated = self.ledger.counts()
        out: list[NotRun | NotHeld | str] = [
            NotHeld(
                kind=kind,
                what="records",
                records=n,
                why=f"read from the source, none carried over: the {platform} target takes none",
                platform=platform,
            )
            for kind, n in sorted(sources.read.items())
            if kind not in migrated and kind != Kind.SLA_POLICY.value
        ]
        if not (self.profile.sla is not None or self.profile.read_back >= _SLA_KINDS):
            out.append(
                NotRun(
                    check="sla.history",
                    what="SLA history on the target",
                    why=f"the {platform} target's stored SLA history is not read back yet",
                )
            )
        rated = sum(sources.ratings.values())
        if (
            not self.profile.carries_ratings
            and rated
            and not sources.read.get("satisfaction_rating")
        ):
            out.append(
                NotHeld(
                    kind="satisfaction_rating",
                    what="satisfaction ratings",
                    records=rated,
                    why=f"the {platform} target does not hold them: the satisfaction KPI has "
                    "no target value",
                    platform=platform,
                )
            )
        if not self._external_ids_read:
            out.append(
                NotRun(
                    check="records.external_ids",
                    what="extra and duplicate records",
                    why="the target view does not report external ids",
                )
            )
        if rules["counts"]["written"] and not rules["states_read"]:
            out.append(
                NotRun(
                    check="rules.states",
                    what="rule states on the target",
                    why=f"the {platform} target does not report whether its rules are active",
                )
            )
        if deep < population:
            out.append(
                NotRun(
                    check="deep.sample",
                    what=f"{population - deep:,} tickets outside the sample"
                    if sample is not None
                    else f"{population - deep:,} tickets not compared in depth",
                    why=f"a random sample of {deep:,} of {population:,} tickets (seed {seed}) "
                    "was compared in depth; counts are exact"
                    if sample is not None
                    else f"{deep:,} of {population:,} tickets were compared in depth: the "
                    "others were not read from the sources given",
                )
            )
        return out

    def _ledger_state(self) -> dict[str, Any]:
        rows = self.ledger.verify_journal()
        head = ""
        for row in self.ledger.journal():
            head = row.hash
        return {"journal_rows": rows, "journal_head": head}


@attrs.define
class _IdMaps:
    users: dict[str, str] = attrs.field(factory=dict)
    """``instance:user:id`` → target id."""
    groups: dict[str, str] = attrs.field(factory=dict)
    ticket_target: dict[str, str] = attrs.field(factory=dict)
    by_kind: dict[Kind, dict[str, str]] = attrs.field(factory=dict)
    """Every kind a record can refer to: source key → target id (done entries)."""
    merged: dict[Kind, set[str]] = attrs.field(factory=dict)
    """Target ids several source records were carried into (users matched by e-mail)."""
    matched: set[str] = attrs.field(factory=set)
    """Keys of records last matched to (adopted as) a record the target held, not written:
    users by e-mail, a category's default status, a form or brand of the same name."""


def _attribute_names(kind: Kind) -> tuple[str, ...]:
    """Every attribute of the record class of ``kind``."""
    for cls in typing.get_args(Record):
        if cls.KIND is kind:
            return tuple(f.name for f in attrs.fields(cls))
    return ()


def _as_read(ref: Ref) -> str:
    """A target record's reference: the target id it holds."""
    return ref.id


def _label_of(record: Record) -> str | None:
    """The name a target without such records keeps for a brand, form or custom status."""
    if isinstance(record, Brand | TicketForm):
        return record.name
    if isinstance(record, CustomStatus):
        return record.agent_label
    return None


def _field_value(ticket: Ticket, key: str) -> object:
    """A custom value by its key, or by a key the target prefixed (``cf_<key>``)."""
    if key in ticket.custom_fields:
        return ticket.custom_fields[key]
    for name, value in ticket.custom_fields.items():
        if name.endswith(f"_{key}"):
            return value
    return None


def _ticket_extra(ticket: Ticket, profile: TargetProfile, origin: str) -> dict[str, Any]:
    """What the ticket checks need of a target ticket: its labels and origin."""
    extra: dict[str, Any] = {}
    for attribute, key in profile.ticket_labels.items():
        value = _field_value(ticket, key)
        extra[f"label:{attribute}"] = value if isinstance(value, str) else None
    if origin == "native":
        extra["origin"] = origin_of(ticket)
    elif origin == "field":
        extra["origin"] = parse_origin(_field_value(ticket, ORIGIN_FIELD))
    return extra


def _canonical(value: object) -> str:
    return json.dumps(value or None, sort_keys=True, default=str, ensure_ascii=False)


def _comment_count(origin: Mapping[str, Any]) -> int:
    comments = origin.get("comments")
    return len(comments) if isinstance(comments, list) else 0


_CHECKED_ELSEWHERE: Final[Mapping[Kind, frozenset[str]]] = {
    Kind.USER: frozenset({"role", "suspended", "deleted"}),
}
"""Attributes the access check compares (a role escalated or a suspension lost, critical):
not compared again field by field, so one defect is one finding."""

_NOT_MATCHED: Final = frozenset(
    {Kind.TICKET.value, Kind.SLA_EVENT.value, Kind.TICKET_METRICS.value}
)
"""Kinds never adopted from what the target held (the journal of these is the longest)."""


def _collect(side: _Side, record: Record, instance: str) -> None:
    """Keep what the access, SLA and KPI checks need of a record (``instance`` empty for the
    target, whose ids are its own)."""
    prefix = f"{instance}:" if instance else ""
    if isinstance(record, FieldDef) and not instance and record.object is FieldObject.TICKET:
        side.field_keys[record.id] = record.key
    elif isinstance(record, FieldDef) and not instance:
        side.people_field_keys[(record.object, record.id)] = record.key
    if isinstance(record, User):
        key = f"{instance}:user:{record.id}" if instance else record.id
        side.users[key] = (record.role, record.suspended, record.deleted)
    elif isinstance(record, GroupMembership):
        if instance:
            side.members_by_key.append(
                (
                    f"{instance}:group_membership:{record.id}",
                    f"{instance}:user:{record.user.id}",
                    f"{instance}:group:{record.group.id}",
                )
            )
        else:
            side.members.add((record.user.id, record.group.id))
    elif isinstance(record, SlaEvent):
        held = side.sla.setdefault(f"{prefix}{record.ticket.id}", _SourceSla())
        if record.kind is SlaEventKind.BREACH:
            held.breaches += 1
        if record.kind is SlaEventKind.APPLY and record.policy is not None and not held.policy:
            held.policy = record.policy.id
    elif isinstance(record, TicketMetrics):
        held = side.sla.setdefault(f"{prefix}{record.ticket.id}", _SourceSla())
        held.first_reply = record.first_reply.calendar
        held.resolution = record.full_resolution.calendar
    elif isinstance(record, SlaPolicy):
        side.policies[f"{prefix}{record.id}"] = record.title
        if instance:
            side.sla_policies.append((instance, record))
    elif isinstance(record, Rule) and instance:
        side.rules.append((instance, record))
    elif isinstance(record, SatisfactionRating) and record.score in (
        SatisfactionScore.GOOD,
        SatisfactionScore.BAD,
    ):
        side.ratings[record.score.value] += 1


def _add(
    findings: Findings,
    area: Area,
    kind: str,
    key: str,
    source_id: str,
    target_id: str | None,
    severity: Severity,
    check: str,
    message: str,
) -> None:
    findings.add(
        Finding(
            severity=severity,
            area=area,
            check=check,
            kind=kind,
            message=message,
            source_key=key,
            source_id=source_id,
            target_id=target_id,
        )
    )


def _ticket_finding(
    area: Area, severity: Severity, check: str, key: str, target_id: str, message: str
) -> Finding:
    return Finding(
        severity=severity,
        area=area,
        check=check,
        kind="ticket",
        message=message,
        source_key=key,
        source_id=key.split(":", 2)[2],
        target_id=target_id,
    )


def _minutes(value: int | None) -> str:
    return "not measured" if value is None else f"{value} min"


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _distribution(first: list[int], resolution: list[int], breached: list[int]) -> dict[str, Any]:
    return {
        "first_reply_median": quantile(first, 0.5),
        "first_reply_p90": quantile(first, 0.9),
        "resolution_median": quantile(resolution, 0.5),
        "resolution_p90": quantile(resolution, 0.9),
        "breach_rate": share(sum(breached), len(breached)),
    }
