"""What reconciliation found: one :class:`Finding` per defect, each naming its record.

A finding carries a severity a manager can act on, the area of the check, the record's kind,
its source key and source id, its target id, and one line saying what differs. It never
carries a ticket or comment body.
"""

from __future__ import annotations

import enum
from collections import Counter
from typing import Any, Final

import attrs

__all__ = ["Area", "Finding", "Findings", "Severity"]


class Severity(enum.StrEnum):
    """How bad a finding is."""

    CRITICAL = "critical"
    """Data lost, exposed or duplicated, or access widened: cutover must not be signed as is."""
    MAJOR = "major"
    """A record differs in something people rely on (a comment, a file, a status, a time)."""
    MINOR = "minor"
    """A difference worth knowing that changes no record's meaning (a tag, a KPI drift)."""


class Area(enum.StrEnum):
    """Which part of the reconciliation a finding comes from."""

    COUNTS = "counts"
    TICKET = "ticket"
    SLA = "sla"
    ACCESS = "access"
    KPI = "kpi"
    RULES = "rules"
    RECORDS = "records"
    """Field by field: a record's attributes the target keeps, and a ticket's brand, form,
    custom status and origin."""


@attrs.frozen(kw_only=True)
class Finding:
    """One defect, naming the record it is about on both sides."""

    severity: Severity = attrs.field(converter=Severity)
    area: Area = attrs.field(converter=Area)
    check: str
    """A stable code for the check that failed (``comment.leak``, ``ticket.duplicate``, ...)."""
    kind: str
    """The record kind (``ticket``, ``user``, ...) or ``kpi``."""
    message: str
    """One line: what differs (never a body)."""
    source_key: str | None = None
    """``<instance>:<kind>:<id>`` of the source record, when there is one."""
    source_id: str | None = None
    target_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "severity": self.severity.value,
            "area": self.area.value,
            "check": self.check,
            "kind": self.kind,
            "source_key": self.source_key,
            "source_id": self.source_id,
            "target_id": self.target_id,
            "message": self.message,
        }


_ORDER: Final = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}


class Findings:
    """The findings of one reconciliation: every one counted, the first ``keep`` of each check
    kept in full (a badly broken migration must not produce a report of millions of lines)."""

    def __init__(self, *, keep: int = 1000) -> None:
        self._keep = keep
        self._kept: list[Finding] = []
        self.by_check: Counter[str] = Counter()
        """Findings per check, all of them (kept or not)."""
        self.by_severity: Counter[str] = Counter()
        """Findings per severity, all of them."""

    def add(self, finding: Finding) -> None:
        """Count a finding, and keep it unless its check has filled its share."""
        self.by_check[finding.check] += 1
        self.by_severity[finding.severity.value] += 1
        if self.by_check[finding.check] <= self._keep:
            self._kept.append(finding)

    def __len__(self) -> int:
        return sum(self.by_check.values())

    @property
    def kept(self) -> list[Finding]:
        """The findings kept, worst first, then by area, kind and source key."""
        return sorted(
            self._kept,
            key=lambda f: (_ORDER[f.severity], f.area.value, f.kind, f.source_key or "", f.check),
        )

    @property
    def truncated(self) -> dict[str, int]:
        """Checks with more findings than were kept: how many were left out."""
        return {
            check: n - self._keep for check, n in sorted(self.by_check.items()) if n > self._keep
        }
