"""What the counts table says in the target column of a kind the target view does not read
back as records of its own: where the target keeps it instead, or the number the rules
section read, never a made-up count.

A target keeps some kinds elsewhere by design: a Zendesk or Freshdesk target keeps each
ticket's SLA history inside the ticket (compared per ticket in the SLA history section); a
Salesforce or Freshdesk target keeps a brand, form or custom status as a label on each ticket
(compared per ticket); rules are read back by the rules section (their state in the target).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, Final

from cemigrate.adapters.profile import TargetProfile
from cemigrate.schema import Kind

__all__ = ["IN_TICKETS", "NONE_CARRIED", "NOT_READ_BACK", "TICKET_LABELS", "note_held_elsewhere"]

IN_TICKETS: Final = "in tickets"
"""SLA history a target keeps inside each ticket (fields and a note), compared per ticket."""

TICKET_LABELS: Final = "as labels"
"""Brands, forms or custom statuses a target keeps as a label on each ticket."""

NONE_CARRIED: Final = "none carried"
"""A kind the migration carried none of (every record skipped by a named policy)."""

NOT_READ_BACK: Final = "not read back"
"""A kind the target holds but reconciliation does not read back as records."""

_LABELLED: Final = {
    Kind.BRAND: "brand",
    Kind.TICKET_FORM: "form",
    Kind.CUSTOM_STATUS: "custom_status",
}
"""Kinds a target may keep as a ticket label, by the ticket attribute naming the label."""

_SLA: Final = frozenset({Kind.SLA_EVENT, Kind.TICKET_METRICS})


def _held(kind: Kind, done: int, profile: TargetProfile, rules: Mapping[str, Any]) -> str:
    if kind in _SLA and profile.sla is not None:
        return IN_TICKETS
    if kind in _LABELLED and _LABELLED[kind] in profile.ticket_labels:
        return TICKET_LABELS
    counted = rules.get("counts") if kind is Kind.RULE else rules.get("sla_policy_counts")
    if kind in (Kind.RULE, Kind.SLA_POLICY) and rules.get("states_read") and counted:
        found = int(counted.get("active", 0)) + int(counted.get("inactive", 0))
        if found + int(counted.get("missing", 0)):  # their state was read in the target
            return f"{found:,}"
    return NOT_READ_BACK if done else NONE_CARRIED


def note_held_elsewhere(
    counts: MutableMapping[str, Any], profile: TargetProfile, rules: Mapping[str, Any]
) -> None:
    """Give each kind whose ``target`` count is ``None`` (not read back as records) a
    ``target_held`` text: where the target keeps it, or what the rules section read (the
    rules it found in the target, by their state)."""
    for name, row in counts.items():
        if row.get("target") is None:
            row["target_held"] = _held(Kind(name), int(row.get("done", 0)), profile, rules)
