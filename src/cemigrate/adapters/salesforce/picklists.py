"""The Case picklist values cemigrate writes for the schema's statuses, priorities, types and
channels when the mapping says nothing (an org's own values come from its mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from cemigrate.schema import Channel, Priority, Status, TicketType

__all__ = ["DEFAULT_VALUES", "ORIGIN", "PRIORITY", "STATUS", "TYPE"]

STATUS: Final[Mapping[Status, str]] = {
    Status.NEW: "New",
    Status.OPEN: "Working",
    Status.PENDING: "Waiting on Customer",
    Status.HOLD: "On Hold",
    Status.SOLVED: "Resolved",
    Status.CLOSED: "Closed",
}
"""Schema status → Case ``Status``."""

PRIORITY: Final[Mapping[Priority, str]] = {
    Priority.LOW: "Low",
    Priority.NORMAL: "Medium",
    Priority.HIGH: "High",
    Priority.URGENT: "Critical",
}
"""Schema priority → Case ``Priority``."""

TYPE: Final[Mapping[TicketType, str]] = {t: t.value.capitalize() for t in TicketType}
"""Schema type → Case ``Type``."""

ORIGIN: Final[Mapping[Channel, str]] = {
    Channel.EMAIL: "Email",
    Channel.WEB: "Web",
    Channel.CHAT: "Chat",
    Channel.PHONE: "Phone",
    Channel.API: "API",
    Channel.SOCIAL: "Social",
    Channel.OTHER: "Other",
}
"""Schema channel → Case ``Origin``."""

DEFAULT_VALUES: Final[Mapping[str, Mapping[str, str]]] = {
    "status": {k.value: v for k, v in STATUS.items()},
    "priority": {k.value: v for k, v in PRIORITY.items()},
    "type": {k.value: v for k, v in TYPE.items()},
    "channel": {k.value: v for k, v in ORIGIN.items()},
}
"""How each schema value is written when no mapping says otherwise (schema → Case value)."""
