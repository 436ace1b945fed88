"""What a reconciliation did not prove, in two lists that mean different things.

*Not verified* (:class:`NotRun`): a check that did not run — the target's SLA history not read
back, external ids not reported (so extra and duplicate records cannot be found), rule states
the target cannot tell, tickets a sample left out of the deep comparison. Each one blocks the
"clean" verdict: the verdict line names it.

*Not held by the target as the source had it* (:class:`NotHeld`): what the target platform
cannot hold, or keeps elsewhere by design, as its field ledger says and the dry run listed as
a loss — a kind the target takes none of, attributes its profile does not keep, users matched
to a record the target already held (their attributes are that record's). These do not block
"clean": nothing was left unchecked that the target could have held; they stay visible with
the number of records concerned and the platform's field-ledger page.

A check a later version adds and reports as plain text is taken as *not verified*: what is
not known to be a documented loss must not pass as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

__all__ = ["FIELD_LEDGER_PAGES", "NotHeld", "NotRun", "sort_out", "verdict"]

FIELD_LEDGER_PAGES: Final = {
    "zendesk": "docs/zendesk.md#field-ledger",
    "salesforce": "docs/salesforce.md#field-ledger",
    "freshdesk": "docs/freshdesk.md#field-ledger",
}
"""Each platform's field ledger: where every field it documents goes, and why."""


@attrs.frozen(kw_only=True)
class NotRun:
    """A check that did not run: it blocks the "clean" verdict."""

    check: str
    """A stable code (``sla.history``, ``records.external_ids``, ``deep.sample``, ...)."""
    what: str
    """What was not verified, short enough for the verdict line."""
    why: str
    """One line: why it did not run."""

    def as_dict(self) -> dict[str, Any]:
        """The item as ``report.json`` holds it."""
        return {"check": self.check, "what": self.what, "why": self.why}


@attrs.frozen(kw_only=True)
class NotHeld:
    """What the target holds elsewhere or cannot hold: visible, but no bar to "clean"."""

    kind: str
    what: str
    """The attributes concerned, or what of the kind (``records``, ``satisfaction ratings``)."""
    records: int
    """How many records it concerns (carried over, read or matched)."""
    why: str
    platform: str
    """The target platform, whose field ledger says where each field goes."""

    def as_dict(self) -> dict[str, Any]:
        """The item as ``report.json`` holds it, with the field ledger's page."""
        return {
            "kind": self.kind,
            "what": self.what,
            "records": self.records,
            "why": self.why,
            "field_ledger": FIELD_LEDGER_PAGES.get(self.platform, "docs/adapters.md"),
        }


def sort_out(items: Iterable[NotRun | NotHeld | str]) -> dict[str, list[dict[str, Any]]]:
    """``report.json``'s ``not_verified`` and ``not_held`` lists from the items the checks
    gave; a plain text (``"what: why"``) is a check that did not run."""
    not_run: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, NotHeld):
            held.append(item.as_dict())
        elif isinstance(item, NotRun):
            not_run.append(item.as_dict())
        else:
            what, _, why = item.partition(": ")
            not_run.append({"check": "other", "what": what, "why": why or what})
    return {"not_verified": not_run, "not_held": held}


_SEVERITY_VERDICTS: Final = (
    ("critical", "not ready: critical findings"),
    ("major", "review needed: major findings"),
    ("minor", "acceptable: minor findings only"),
)


def verdict(by_severity: Mapping[str, int], not_run: Iterable[Mapping[str, Any]]) -> str:
    """The verdict line: ``clean: no finding`` only when nothing was found and every check
    ran; otherwise the worst severity found and, after it, every check that did not run."""
    missing = [str(item["what"]) for item in not_run]
    worst = next((text for severity, text in _SEVERITY_VERDICTS if by_severity.get(severity)), "")
    if not missing:
        return worst or "clean: no finding"
    unrun = f"{len(missing)} check{'s' if len(missing) != 1 else ''} not run ({'; '.join(missing)})"
    return f"{worst}; {unrun}" if worst else f"incomplete: no finding, {unrun}"
