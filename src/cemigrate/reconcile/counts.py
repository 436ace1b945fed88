"""Independent counts: each side counted by the platform's own counting endpoints or queries
(:mod:`cemigrate.adapters.counting`), compared with the ledger and with the deep comparison.

The deep comparison reads every record through the adapters, so a converter that drops or
doubles records would hide itself on both sides; the counts here go around the converters.
Per kind and side:

- **source**: the records each source account holds, summed. The comparison's source column
  may be higher (exports serve deleted and archived records the counts leave out), never
  lower: a platform count above what was read means the reading missed records.
- **target**: the records carrying this migration's keys (or the whole account, where the
  platform cannot tell keys apart: then only a count *below* what the ledger wrote is a
  defect). It must equal the distinct target records the ledger maps this migration's done
  entries to, and the records the target view reported with these keys.

Each mismatch is a ``count.independent`` finding naming the kind, the side and the three
numbers. A kind a platform has no counting endpoint for is listed as not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from cemigrate.adapters import registry
from cemigrate.adapters.contract import Source
from cemigrate.adapters.counting import Count, CountScope
from cemigrate.ledger import EntryState, Ledger
from cemigrate.reconcile.findings import Area, Finding, Findings, Severity
from cemigrate.schema import Kind, SourceKey

__all__ = ["count_calls", "independent_counts", "source_totals"]


def count_calls(
    sources: Sequence[Source],
    view: Source,
    counts: Mapping[str, Mapping[str, int]],
    instances: Sequence[str],
) -> dict[str, int]:
    """The calls counting costs, per budget (``<instance>.<platform>.core``), from the
    ledger's counts (kind → state → entries): every kind in each source, the kinds with done
    entries in the target."""
    kinds = [Kind(k) for k in counts]
    done = [k for k in kinds if counts[k.value].get("done", 0)]
    calls: dict[str, int] = {}
    for adapter, which in [*((s, None) for s in sources), (view, list(instances))]:
        descriptor = registry.platform(adapter.platform)
        if descriptor.counts is None:
            continue
        n = descriptor.counts.cost(kinds if which is None else done, which)
        if n:
            budget = f"{adapter.instance}.{descriptor.core_budget}"
            calls[budget] = calls.get(budget, 0) + n
    return calls


def independent_counts(
    *,
    sources: Sequence[Source],
    view: Source,
    ledger: Ledger,
    instances: Iterable[str],
    table: MutableMapping[str, MutableMapping[str, Any]],
    keyed: Mapping[Kind, Mapping[str, list[str]]] | None,
    findings: Findings,
) -> dict[str, Any]:
    """Count each kind of ``table`` (the report's counts) on both sides, add the numbers to
    its rows (``counted_source``, ``counted_target``), and add a finding per mismatch.
    ``instances`` are this migration's instance names (a renamed one's former names too);
    ``keyed`` the target records by the source key the view reported (``None``: the view
    reports none)."""
    names = sorted(set(instances))
    kinds = [Kind(k) for k in table]
    done_kinds = [k for k in kinds if int(table[k.value].get("done") or 0)]
    source_side = _sum([_count(s, kinds, None) for s in sources], kinds)
    target_side = {c.kind: c for c in _count(view, done_kinds, names)}
    out: dict[str, Any] = {"source": {}, "target": {}, "not_counted": []}
    missing: dict[tuple[str, str], list[str]] = {}
    for kind in kinds:
        row = table[kind.value]
        counted = source_side.get(kind)
        row["counted_source"] = None if counted is None else counted.value
        if counted is not None and counted.value is not None:
            out["source"][kind.value] = _described(counted)
            _check_source(kind, counted, row, sources, findings)
        elif counted is not None:
            missing.setdefault(("source", counted.how), []).append(kind.value)
        held = target_side.get(kind)
        row["counted_target"] = None if held is None else held.value
        if held is None:
            continue
        if held.value is None:
            missing.setdefault(("target", held.how), []).append(kind.value)
            continue
        out["target"][kind.value] = _described(held)
        written = _written(ledger, kind, names)
        # The view's own two readings: the records it reported with these keys (its raw
        # rows), and the ledger's records it read back converted (``None``: not read back).
        reported = (
            _keyed(keyed[kind], names, kind) if keyed is not None and keyed.get(kind) else None
        )
        read = (
            None if row.get("target") is None else written - int(row.get("missing_in_target") or 0)
        )
        _check_target(kind, held, written, read, reported, row, findings)
    out["not_counted"] = [
        f"{', '.join(kinds_of)} in the {side}: not counted, {how}"
        for (side, how), kinds_of in missing.items()
    ]
    return out


def _count(adapter: Source, kinds: Sequence[Kind], instances: Sequence[str] | None) -> list[Count]:
    descriptor = registry.platform(adapter.platform)
    if descriptor.counts is None:
        why = f"{adapter.platform} has no counting endpoints cemigrate uses"
        return [Count(kind=kind, value=None, how=why) for kind in kinds]
    return descriptor.counts.count(adapter, kinds, instances)


def _sum(per_source: Sequence[Sequence[Count]], kinds: Sequence[Kind]) -> dict[Kind, Count]:
    """One count per kind over every source: none when one source cannot count it."""
    summed: dict[Kind, Count] = {}
    for kind in kinds:
        mine = [c for counts in per_source for c in counts if c.kind is kind]
        if not mine:
            continue
        missing = next((c for c in mine if c.value is None), None)
        if missing is not None:
            summed[kind] = missing
            continue
        summed[kind] = Count(
            kind=kind,
            value=sum(c.value or 0 for c in mine),
            how=" + ".join(c.how for c in mine),
            approximate=any(c.approximate for c in mine),
        )
    return summed


def _described(count: Count) -> dict[str, Any]:
    return {
        "value": count.value,
        "how": count.how,
        "scope": count.scope.value,
        "approximate": count.approximate,
    }


def _written(ledger: Ledger, kind: Kind, instances: Sequence[str]) -> int:
    """The distinct target records the ledger maps these instances' done entries of ``kind``
    to (two source users merged into one target user are one record)."""
    wanted = set(instances)
    return len(
        {
            e.target_id
            for e in ledger.entries(kind=kind.value, state=EntryState.DONE)
            if e.instance in wanted and e.target_id is not None
        }
    )


def _keyed(by_key: Mapping[str, list[str]], instances: Sequence[str], kind: Kind) -> int:
    """The distinct target records the view reported with a key of these instances."""
    wanted = set(instances)
    held: set[str] = set()
    for external_id, target_ids in by_key.items():
        if ":comment:" in external_id:
            continue  # a comment's own record, noted with its ticket's
        try:
            key = SourceKey.parse(external_id)
        except ValueError:
            continue
        if key.instance in wanted and key.kind is kind:
            held.update(target_ids)
    return len(held)


def _severity(count: Count) -> Severity:
    return Severity.MINOR if count.approximate else Severity.MAJOR


def _check_source(
    kind: Kind,
    counted: Count,
    row: Mapping[str, Any],
    sources: Sequence[Source],
    findings: Findings,
) -> None:
    read = int(row.get("source") or 0)
    assert counted.value is not None
    if counted.value <= read:
        return
    accounted = sum(int(row.get(state) or 0) for state in ("done", "failed", "skipped", "pending"))
    where = ", ".join(f"'{s.instance}'" for s in sources)
    findings.add(
        Finding(
            severity=_severity(counted),
            area=Area.COUNTS,
            check="count.independent",
            kind=kind.value,
            message=f"source {where}: the platform counts {counted.value:,} {kind} "
            f"({counted.how}{', approximate' if counted.approximate else ''}), the comparison "
            f"read {read:,}, the ledger accounts for {accounted:,}: the reading missed "
            f"{counted.value - read:,}",
        )
    )


def _check_target(
    kind: Kind,
    held: Count,
    written: int,
    read: int | None,
    reported: int | None,
    row: Mapping[str, Any],
    findings: Findings,
) -> None:
    """``written``: the distinct target records the ledger maps done entries to; ``read``:
    those of them the comparison read back; ``reported``: the records the view reported with
    this migration's keys."""
    assert held.value is not None
    value = held.value
    if held.scope is CountScope.ACCOUNT:
        wrong = value < written  # the account may hold records of its own besides
        what = "records in the whole account"
        shown = row.get("target")
    else:
        # A user may be matched to a record the target held, which carries no key.
        wrong = value > written if kind is Kind.USER else value != written
        wrong = wrong or (read is not None and kind is not Kind.USER and value != read)
        wrong = wrong or (reported is not None and value != reported)
        what = (
            "records carrying this migration's keys"
            if held.scope is CountScope.KEYS
            else "records carrying a migration key (any instance)"
        )
        shown = read if read is not None else reported
    if not wrong:
        return
    seen = "nothing (not read back)" if shown is None else f"{int(shown):,}"
    findings.add(
        Finding(
            severity=_severity(held),
            area=Area.COUNTS,
            check="count.independent",
            kind=kind.value,
            message=f"target: the platform counts {value:,} {kind} {what} ({held.how}), the "
            f"ledger maps this migration's done entries to {written:,}, the comparison read "
            f"{seen}",
        )
    )


def source_totals(sources: Sequence[Source], kinds: Sequence[Kind]) -> dict[Kind, int | None]:
    """The records per kind over every source, counted by each platform's own counting (what
    a run records so ``cemigrate status --watch`` can say what is left); ``None`` for a kind
    some source cannot count."""
    summed = _sum([_count(source, kinds, None) for source in sources], kinds)
    return {kind: summed[kind].value if kind in summed else None for kind in kinds}
