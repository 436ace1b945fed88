"""One generated help desk: every record of one instance, and the bytes of its attachments.

The generator (:mod:`cemigrate.sandbox.dataset`) builds it, and the step that adds what real
accounts hold beside tickets and people (``_dataset_fidelity``) takes and returns it.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from cemigrate.sandbox._dataset_files import BlobSpec, render
from cemigrate.schema import (
    Attachment,
    Brand,
    CustomStatus,
    FieldDef,
    Group,
    GroupMembership,
    Kind,
    Organization,
    OrganizationMembership,
    Record,
    Rule,
    SatisfactionRating,
    Schedule,
    SlaEvent,
    SlaPolicy,
    Ticket,
    TicketForm,
    TicketMetrics,
    User,
)

__all__ = ["HelpDesk"]


_KIND_ATTRIBUTES: Mapping[Kind, str] = {
    Kind.BRAND: "brands",
    Kind.SCHEDULE: "schedules",
    Kind.CUSTOM_STATUS: "custom_statuses",
    Kind.TICKET_FORM: "ticket_forms",
    Kind.ORGANIZATION_MEMBERSHIP: "organization_memberships",
    Kind.ORGANIZATION: "organizations",
    Kind.USER: "users",
    Kind.GROUP: "groups",
    Kind.GROUP_MEMBERSHIP: "memberships",
    Kind.FIELD: "fields",
    Kind.SLA_POLICY: "sla_policies",
    Kind.TICKET: "tickets",
    Kind.SLA_EVENT: "sla_events",
    Kind.TICKET_METRICS: "metrics",
    Kind.SATISFACTION_RATING: "ratings",
    Kind.RULE: "rules",
}


@attrs.frozen(kw_only=True, repr=False)
class HelpDesk:
    """Every record of one generated help desk instance, and the bytes of its attachments."""

    instance: str
    organizations: tuple[Organization, ...]
    users: tuple[User, ...]
    groups: tuple[Group, ...]
    memberships: tuple[GroupMembership, ...]
    fields: tuple[FieldDef, ...]
    sla_policies: tuple[SlaPolicy, ...]
    tickets: tuple[Ticket, ...]
    sla_events: tuple[SlaEvent, ...]
    metrics: tuple[TicketMetrics, ...]
    ratings: tuple[SatisfactionRating, ...]
    rules: tuple[Rule, ...]
    brands: tuple[Brand, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    custom_statuses: tuple[CustomStatus, ...] = ()
    ticket_forms: tuple[TicketForm, ...] = ()
    organization_memberships: tuple[OrganizationMembership, ...] = ()
    edge_cases: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Which records carry which edge case: name → ticket ids (or user ids for ``*_user``)."""
    _blobs: Mapping[str, BlobSpec] = attrs.field(factory=dict)

    def records(self, kind: Kind) -> tuple[Record, ...]:
        """The records of one kind, in source order (tickets by id, events by time)."""
        records: tuple[Record, ...] = getattr(self, _KIND_ATTRIBUTES[Kind(kind)])
        return records

    def blob(self, attachment: Attachment) -> bytes:
        """The bytes of one of this desk's attachments, rebuilt on demand."""
        spec = self._blobs.get(attachment.id)
        if spec is None:
            raise KeyError(f"attachment {attachment.id} is not part of demo desk {self.instance!r}")
        return render(spec)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{name}={len(self.records(kind))}" for kind, name in _KIND_ATTRIBUTES.items()
        )
        return f"HelpDesk(instance={self.instance!r}, {counts})"
