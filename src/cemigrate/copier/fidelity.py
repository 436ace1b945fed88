"""The dry run's fidelity plan: what would carry over exactly, with a change, or not at all.

Buyers of migrations find out after cutover what did not carry over; the fidelity plan says it
before anything moves. It is built from a dry run's :class:`~cemigrate.copier.RunReport` (the
target's verdict on every mapped record, and what ``prepare`` would create) and the mapping's
notes (what each policy changed), plus an estimate of the run's duration from the budgets:

- the source side: the calls the dry run itself spent reading, at the source budgets' rates;
- the target side: one call per write batch of each kind and one per attachment, at the
  target's account budget (the fewest the target allows; its adapter's benchmark says how
  close a real run comes).

:meth:`FidelityPlan.write` puts ``dryrun.json`` (versioned) and ``dryrun.md`` in a folder.
``lost`` counts what would not carry over without a policy that says so; a dry run with any
exits non-zero.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from cemigrate.copier.report import RunReport
from cemigrate.mapping import Note
from cemigrate.ratelimit import Budgets
from cemigrate.textfile import write_text

__all__ = ["SCHEMA_VERSION", "FidelityPlan", "KindFidelity", "estimate_hours"]

SCHEMA_VERSION: Final = 1
"""The version of ``dryrun.json``'s shape."""

_QUOTED: Final = re.compile(r"'[^']*'")


@attrs.frozen(kw_only=True)
class KindFidelity:
    """One kind's rows of the plan."""

    read: int
    exactly: int
    """Would be written (or matched) as they are."""
    changed: int
    """Would be written with a change a mapping policy made (see the notes)."""
    not_carried: int
    """Would be refused by the target or the mapping, or skipped by a named policy."""
    skipped: int
    """Of ``not_carried``: declined by a named policy (deleted in the source, ...)."""


@attrs.frozen(kw_only=True)
class FidelityPlan:
    """What a migration would carry over, kind by kind, and how long it would take."""

    report: RunReport
    kinds: Mapping[str, KindFidelity]
    notes: tuple[Note, ...]
    estimate: Mapping[str, Any]
    masked: bool = False
    sample: int | None = None
    """The number of tickets checked when the dry run sampled them (None: all)."""

    @classmethod
    def build(
        cls,
        report: RunReport,
        notes: Iterable[Note],
        *,
        changed: Mapping[str, int],
        estimate: Mapping[str, Any],
        masked: bool = False,
        sample: int | None = None,
    ) -> FidelityPlan:
        """The plan of a dry run's report, the mapping's notes and how many records of each
        kind the mapping changed."""
        notes = tuple(notes)
        kinds = {}
        for kind, tally in report.kinds.items():
            carried = tally.created + tally.updated + tally.matched + tally.unchanged
            changed_here = min(carried, changed.get(kind, 0))
            kinds[kind] = KindFidelity(
                read=tally.read,
                exactly=carried - changed_here,
                changed=changed_here,
                not_carried=tally.invalid + tally.skipped,
                skipped=tally.skipped,
            )
        return cls(
            report=report,
            kinds=kinds,
            notes=notes,
            estimate=estimate,
            masked=masked,
            sample=sample,
        )

    @property
    def lost(self) -> int:
        """Records that would not carry over without a declared policy (refused)."""
        return sum(k.not_carried - k.skipped for k in self.kinds.values())

    def as_dict(self) -> dict[str, Any]:
        """``dryrun.json``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "sample": self.sample,
            "lost": self.lost,
            "kinds": {kind: attrs.asdict(k) for kind, k in self.kinds.items()},
            "changes_by_mapping": [
                {**attrs.asdict(n), "what": self._mask(n.what)} for n in self.notes
            ],
            "not_carried": [
                {
                    "kind": p.kind,
                    "reason": self._mask(p.reason),
                    "count": p.count,
                    "examples": list(p.examples),
                }
                for p in self.report.problems
            ],
            "target_setup": [attrs.asdict(c) for c in self.report.changes],
            "estimate": dict(self.estimate),
            "run": self.report.as_dict(),
        }

    def markdown(self) -> str:
        """``dryrun.md``: the plan as a person reads it."""
        out = [
            "# Fidelity plan (dry run: nothing was written)",
            "",
            *(
                [
                    f"A sample of {self.sample} tickets, chosen to include the awkward ones; "
                    "SLA events, metrics and ratings were not read. The estimate below is for "
                    "what was read, not the whole instance.",
                    "",
                ]
                if self.sample
                else []
            ),
            f"**{self.lost} records would not carry over without a declared policy.**"
            if self.lost
            else "Every record carries over, exactly or under a declared policy.",
            "",
            "| kind | read | exactly | with a change | not carried (of which skipped by policy) |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind, k in self.kinds.items():
            out.append(
                f"| {kind} | {k.read} | {k.exactly} | {k.changed} | {k.not_carried} ({k.skipped}) |"
            )
        out += ["", "## Carried over with a change", ""]
        out += [
            f"- {n.kind}: {self._mask(n.what)} — {n.count} ({_ids(n.examples)})" for n in self.notes
        ]
        if not self.notes:
            out.append("- none")
        out += ["", "## Not carried over", ""]
        out += [
            f"- {p.kind}: {self._mask(p.reason)} — {p.count} ({_ids(p.examples)})"
            for p in self.report.problems
        ]
        skipped = {kind: k.skipped for kind, k in self.kinds.items() if k.skipped}
        out += [f"- {kind}: {n} skipped by a named policy" for kind, n in skipped.items()]
        if not self.report.problems and not skipped:
            out.append("- none")
        out += ["", "## What the target's setup would create", ""]
        out += [f"- {c.action}: {c.subject}" for c in self.report.changes] or ["- nothing"]
        e = self.estimate
        out += [
            "",
            "## Estimated duration",
            "",
            f"- reading the source: {e.get('source_calls', 0)} calls, at least "
            f"{e.get('source_hours', 0.0):.2f} h at the source's rate limits",
            f"- writing the target: about {e.get('target_calls', 0)} calls, at least "
            f"{e.get('target_hours', 0.0):.2f} h at the target's rate limits",
            f"- the run: at least **{e.get('hours', 0.0):.2f} h** (reading and writing overlap)",
            "",
        ]
        return "\n".join(out)

    def write(self, folder: str | Path) -> tuple[Path, Path]:
        """Write ``dryrun.json`` and ``dryrun.md`` into ``folder``; their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        as_json, as_md = folder / "dryrun.json", folder / "dryrun.md"
        text = json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"
        write_text(as_json, text, what="the dry run's report")
        write_text(as_md, self.markdown(), what="the dry run's report")
        return as_json, as_md

    def _mask(self, text: str) -> str:
        return _QUOTED.sub("'•••'", text) if self.masked else text


def _ids(examples: Sequence[str]) -> str:
    return ", ".join(examples) if examples else "no examples"


def estimate_hours(
    *,
    report: RunReport,
    source_budgets: Sequence[Budgets],
    target_budgets: Budgets,
    batch_size: Mapping[Any, int],
    attachments: int,
) -> dict[str, Any]:
    """The run's fewest hours from the budgets: what the dry run read, what a run would write."""
    source_calls = 0
    source_seconds = 0.0
    for budgets in source_budgets:
        spent = {key: budgets[key].snapshot()["calls"] for key in budgets}
        source_calls += int(sum(spent.values()))
        source_seconds = max(source_seconds, budgets.lower_bound(spent))
    writes = 0
    for kind, tally in report.kinds.items():
        count = tally.created + tally.updated
        size = max(1, next((n for k, n in batch_size.items() if str(k) == kind), 100))
        writes += math.ceil(count / size) if count else 0
    target_calls = writes + attachments
    account = next(iter(target_budgets), None)
    target_seconds = target_budgets.lower_bound({account: float(target_calls)}) if account else 0.0
    return {
        "source_calls": source_calls,
        "source_hours": round(source_seconds / 3600, 3),
        "target_calls": target_calls,
        "target_write_batches": writes,
        "target_attachment_uploads": attachments,
        "target_hours": round(target_seconds / 3600, 3),
        "hours": round(max(source_seconds, target_seconds) / 3600, 3),
    }
