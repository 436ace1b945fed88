"""What a target platform adds to, or cannot keep of, a record: the profile reconciliation
compares with.

Reconciliation compares a source record with the same record read back from the target. A
target's own representation adds things by design (Zendesk and Freshdesk keep the SLA history
in a private note and ``cemigrate_*`` fields; Freshdesk keeps original times in fields;
Salesforce keeps it in custom objects read back as SLA events and ticket metrics) and cannot
hold others (Salesforce keeps no satisfaction ratings). Each platform's descriptor
(``adapters/<platform>/platform.py``) holds its :class:`TargetProfile`, rather than conditions
scattered over the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

import attrs

from cemigrate.adapters.sla_history import is_sla_note
from cemigrate.schema import Comment, Kind, Record, Ref, Ticket, User

__all__ = ["COMMON_READ_BACK", "HeldAs", "SlaFacts", "TargetProfile", "sla_kept_in_ticket"]

HeldAs = Callable[[Kind, Record, Callable[[Ref], str]], Record]
"""``held_as(kind, record, target_of)``: a source record (after the mapping) as the target
holds it; ``target_of`` gives a reference's target id from the ledger."""


@attrs.frozen
class SlaFacts:
    """A ticket's service levels as one side holds them: calendar minutes and breaches."""

    first_reply: int | None = None
    resolution: int | None = None
    breaches: int = 0


_FIRST_REPLY: Final = re.compile(r"^First reply: (\d+) min", re.MULTILINE)
_RESOLUTION: Final = re.compile(r"^Full resolution: (\d+) min", re.MULTILINE)
_BREACHES: Final = re.compile(r"^SLA breaches: (\d+)", re.MULTILINE)


def _int_field(ticket: Ticket, key: str) -> int | None:
    value = ticket.custom_fields.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _match(pattern: re.Pattern[str], text: str) -> int | None:
    found = pattern.search(text)
    return None if found is None else int(found.group(1))


def sla_kept_in_ticket(ticket: Ticket) -> SlaFacts:
    """The history a Zendesk or Freshdesk target keeps: the ``cemigrate_*`` fields, else the
    figures of the private SLA note (a ticket without either had none)."""
    first = _int_field(ticket, "cemigrate_first_reply_minutes")
    resolution = _int_field(ticket, "cemigrate_resolution_minutes")
    breaches = _int_field(ticket, "cemigrate_sla_breaches")
    note = next((c for c in ticket.comments if is_sla_note(c)), None)
    if note is not None:
        text = note.body_plain
        first = first if first is not None else _match(_FIRST_REPLY, text)
        resolution = resolution if resolution is not None else _match(_RESOLUTION, text)
        breaches = breaches if breaches is not None else _match(_BREACHES, text)
    return SlaFacts(first_reply=first, resolution=resolution, breaches=breaches or 0)


def _never(_: Comment) -> bool:
    return False


def _suspended(user: User) -> bool:
    return user.suspended


@attrs.frozen(kw_only=True)
class TargetProfile:
    """How one target platform represents what it receives."""

    platform: str
    read_back: frozenset[Kind]
    """Kinds whose records the target holds as records of their own, read back and counted
    (SLA history kept inside tickets is compared per ticket instead)."""
    representation_comment: Callable[[Comment], bool] = _never
    """True for a comment the target adds by design (an SLA history note)."""
    representation_field_prefix: str = "cemigrate_"
    """Custom fields of this prefix are cemigrate's own bookkeeping, not source values."""
    sla: Callable[[Ticket], SlaFacts] | None = None
    """Where the target keeps a ticket's SLA history inside the ticket; ``None``: elsewhere
    (``read_back`` names the SLA event and ticket metrics kinds when the target holds them as
    records of their own, as Salesforce does) or not read back (unverified)."""
    expect_suspended: Callable[[User], bool] = _suspended
    """Whether the target must hold this source user suspended."""
    value_losses: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    """Documented losses of ticket values: attribute → source value → what reads back."""
    carries_ratings: bool = False
    """Whether satisfaction ratings are held by the target and read back (then compared)."""
    ratings_loss: str = ""
    """Why the target does not hold satisfaction ratings: the documented loss the report
    states when the source has ratings (empty when it carries them)."""
    keeps: Mapping[Kind, frozenset[str]] = attrs.field(factory=dict)
    """Per kind, the record attributes the target holds and reads back as the source had them
    (references compared through the ledger): what reconciliation compares field by field.
    An attribute not named here is one the target keeps elsewhere or cannot hold, as the
    platform's field ledger says."""
    not_held: Mapping[Kind, Mapping[str, str]] = attrs.field(factory=dict)
    """Per kind, the attributes the target cannot hold (or that a migration does not write to
    it), each with the reason the platform's field ledger gives: listed as not held by the
    target, never compared."""
    held_as: HeldAs | None = None
    """The source record as the target holds it, where the target's writer changes a kept
    value by design (a name split into first and last name, a phone moved to another field, a
    reference the target keeps for some records only); ``None``: as the source had it."""
    keeps_matched: Mapping[Kind, frozenset[str]] = attrs.field(factory=dict)
    """Per kind, the attributes (among ``keeps``) a migration writes on a record it matched to
    one the target already held (a Freshdesk agent's ticket scope): compared for matched
    records; the rest is the target's own record."""
    link_only: Mapping[Kind, frozenset[str]] = attrs.field(factory=dict)
    """Per kind, link-only references (a ticket's problem): written when the target held the
    referenced record already, else left empty and counted by the run (docs/concepts.md,
    "Lookup and read-only fields"); compared only where the target holds one."""
    defaulted: Mapping[Kind, frozenset[str]] = attrs.field(factory=dict)
    """Per kind, attributes the target fills with its own default when the source has none
    (a Zendesk ticket always has a brand, form and status): compared only when the source
    set them."""
    ticket_labels: Mapping[str, str] = attrs.field(factory=dict)
    """Ticket references the target keeps as a label in a custom field rather than as a record
    of its own: attribute (``brand``, ``form``, ``custom_status``) → the field's key. The label
    is the referenced record's name (a brand's or form's name, a custom status's agent label);
    a target that holds the records themselves leaves the attribute out."""

    def expected_value(self, attribute: str, value: str | None) -> str | None:
        """What a source value reads back as from this target."""
        if value is None:
            return None
        return self.value_losses.get(attribute, {}).get(value, value)


COMMON_READ_BACK: Final = frozenset(
    {Kind.FIELD, Kind.ORGANIZATION, Kind.USER, Kind.GROUP, Kind.GROUP_MEMBERSHIP, Kind.TICKET}
)
"""The kinds every help-desk target holds as records of their own."""


def suspended_or_deleted(user: User) -> bool:
    """A target that keeps a deleted user suspended (their comments keep their author)."""
    return user.suspended or user.deleted
