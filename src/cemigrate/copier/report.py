"""What a run did, per kind: the numbers a person reads at the end of a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from cemigrate.adapters import Change

_EXAMPLES: Final = 5

_COLUMNS = ("read", "created", "updated", "unchanged", "matched", "found", "failed", "skipped")
_LATE_COLUMNS = ("fetched", "placeholder", "inline_images", "unlinked_lookups")


@attrs.define
class KindTally:
    """Counts for one kind in one run (in a dry run: what *would* happen)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    matched: int = 0
    """Merged into a record already in the target (users matched by e-mail)."""
    found: int = 0
    """Written before a crash, found again by external id instead of being sent twice."""
    failed: int = 0
    skipped: int = 0
    invalid: int = 0
    """Dry run only: would be refused by the target."""
    fetched: int = 0
    """Read late, by id, because a record about to be written referred to it (not counted in
    ``read``: what the streams served)."""
    placeholder: int = 0
    """Users the source no longer has, written as a "Deleted user <id>" placeholder (counted
    in ``created`` too)."""
    inline_images: int = 0
    """Tickets only: images and links in comment bodies that pointed at the source account's
    attachment addresses, rewritten to a marker naming the file (the file stays an attachment
    of its comment; :mod:`cemigrate.mapping.inline`)."""
    unlinked_lookups: int = 0
    """Values of lookup fields whose record the target did not hold when this one was written
    (written later in the run, skipped, failed or not carried): written without the link
    (:mod:`cemigrate.copier.fieldstep`). A dry run counts those it foresees."""

    def add(self, action: str, count: int = 1) -> None:
        """Count ``count`` records under ``action`` (an outcome action or a column name)."""
        setattr(self, action, getattr(self, action) + count)

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class Problem:
    """One reason some records did not carry over (in a dry run: would not), with a count
    and example keys. A dry run and the run after it give the same ones."""

    kind: str
    reason: str
    count: int
    examples: tuple[str, ...]


def problems_of(keys: Mapping[tuple[str, str], Sequence[str]]) -> tuple[Problem, ...]:
    """Problems from (kind, reason) → the keys it held, sorted by kind and reason."""
    return tuple(
        Problem(kind=kind, reason=reason, count=len(held), examples=tuple(held[:_EXAMPLES]))
        for (kind, reason), held in sorted(keys.items())
    )


@attrs.frozen(kw_only=True)
class RunReport:
    """The outcome of :meth:`cemigrate.copier.Migration.run`."""

    run_id: int | None
    mode: str
    dry_run: bool
    status: str
    """``completed``, or ``interrupted`` when a budget ran out or the run was asked to stop."""
    seconds: float
    kinds: Mapping[str, KindTally]
    budgets: Mapping[str, Mapping[str, float]]
    changes: tuple[Change, ...] = ()
    problems: tuple[Problem, ...] = ()
    """Why records failed (in a dry run: would fail), per kind and reason."""
    stopped_because: str = ""
    not_read: tuple[str, ...] = ()
    """What the sources left unread by the plan's choice (:attr:`Metadata.not_read`)."""

    @property
    def failed(self) -> int:
        """Records that became failure rows in this run."""
        return sum(t.failed for t in self.kinds.values())

    def total(self, column: str) -> int:
        """One column summed over all kinds."""
        return sum(getattr(t, column) for t in self.kinds.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (what ``dryrun.json`` and scripts read)."""
        return {
            "run_id": self.run_id,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "status": self.status,
            "stopped_because": self.stopped_because,
            "seconds": round(self.seconds, 3),
            "kinds": {kind: tally.as_dict() for kind, tally in self.kinds.items()},
            "budgets": {name: dict(values) for name, values in self.budgets.items()},
            "changes": [attrs.asdict(change) for change in self.changes],
            "problems": [attrs.asdict(problem) for problem in self.problems],
            "not_read": list(self.not_read),
        }

    def table(self) -> str:
        """A plain-text table, one row per kind."""
        columns = [*_COLUMNS, "invalid"] if self.dry_run else list(_COLUMNS)
        columns += [c for c in _LATE_COLUMNS if self.total(c)]  # shown when they happened
        header = ["kind", *columns]
        rows = [[kind, *(str(getattr(t, c)) for c in columns)] for kind, t in self.kinds.items()]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
            for row in [header, *rows]
        ]
        title = "dry run (nothing written)" if self.dry_run else f"run {self.run_id} ({self.mode})"
        unread = [f"not read: {sentence}" for sentence in self.not_read]
        return "\n".join([f"{title}: {self.status} in {self.seconds:.1f} s", *lines, *unread])
