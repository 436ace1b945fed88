"""The in-process source: serves records in ``updated_at`` order with resumable cursors."""

from __future__ import annotations

import bisect
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import BinaryIO

from cemigrate.adapters.contract import Batch, Capability, Metadata, SlaHistory, Source
from cemigrate.adapters.memory.faults import MemoryFaults
from cemigrate.adapters.memory.limits import MEMORY_PLANS
from cemigrate.adapters.rule_dialects import dialect_of
from cemigrate.errors import RecordError
from cemigrate.ratelimit import Budgets, Clock, RetryPolicy, SystemClock, budgets_for
from cemigrate.rules.names import with_names
from cemigrate.schema import (
    Attachment,
    FieldDef,
    Kind,
    Record,
    Rule,
    SlaEvent,
    SlaPolicy,
    Ticket,
    TicketMetrics,
)

_SortKey = tuple[str, int, str]


def _order(record: Record) -> _SortKey:
    updated: datetime | None = getattr(record, "updated_at", None)
    # Ids are compared by length first so numeric ids sort numerically.
    return (updated.isoformat() if updated else "", len(record.id), record.id)


def _named(record: Record) -> Record:
    """Rules and SLA policies with the records they name by id, as every source serves them
    (the memory help desk's rules are in Zendesk's words)."""
    return (
        with_names(record, dialect_of(record)) if isinstance(record, Rule | SlaPolicy) else record
    )


class MemorySource(Source):
    """A help desk held in memory, read like an incremental export.

    Each kind is served in ``(updated_at, id)`` order; a cursor names the last record served,
    so a record changed later shows up after it again (what delta runs rely on).
    """

    platform = "memory"

    def __init__(
        self,
        records: Mapping[Kind, Iterable[Record]],
        *,
        instance: str,
        blobs: Callable[[Attachment], bytes] | None = None,
        page_size: int = 100,
        clock: Clock | None = None,
        faults: MemoryFaults | None = None,
    ) -> None:
        self.instance = instance
        self.page_size = page_size
        self._blobs = blobs
        self._faults = faults or MemoryFaults()
        clock = clock or SystemClock()
        self.budgets: Budgets = budgets_for(MEMORY_PLANS, "default", clock=clock, prefix=instance)
        self._retry = RetryPolicy(clock)
        self._records: dict[Kind, dict[str, Record]] = {kind: {} for kind in Kind}
        for kind, items in records.items():
            for record in items:
                self._records[kind][record.id] = _named(record)
        self._sorted: dict[Kind, list[tuple[_SortKey, Record]]] = {}
        self._history: dict[str, SlaHistory] | None = None

    def put(self, record: Record) -> None:
        """Add or replace a record (a change in the source, as a delta run would see)."""
        self._records[record.KIND][record.id] = _named(record)
        self._sorted.pop(record.KIND, None)
        self._history = None

    def describe(self) -> Metadata:
        """Everything is readable; the fields are the ones this help desk defines."""
        fields = tuple(r for r in self._records[Kind.FIELD].values() if isinstance(r, FieldDef))
        return Metadata(
            platform=self.platform,
            kinds=frozenset(Kind),
            fields=fields,
            capabilities=frozenset({Capability.INCREMENTAL_READ}),
        )

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        """Stream ``kind`` after ``cursor`` in pages of ``page_size``."""
        ordered = self._ordered(kind)
        keys = [key for key, _ in ordered]
        start = 0
        if cursor is not None:
            after = json.loads(cursor)
            start = bisect.bisect_right(keys, (after["u"], len(after["id"]), after["id"]))
        for begin in range(start, len(ordered), self.page_size):
            page = ordered[begin : begin + self.page_size]
            self._call(f"read {kind}")
            last = page[-1][0]
            yield Batch(
                records=tuple(record for _, record in page),
                cursor=json.dumps({"u": last[0], "id": last[2]}),
            )

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        """The records of ``kind`` this help desk holds with these ids, one call a page."""
        wanted = list(dict.fromkeys(ids))
        found: list[Record] = []
        for begin in range(0, len(wanted), self.page_size):
            self._call(f"fetch {kind}")
            chunk = wanted[begin : begin + self.page_size]
            found.extend(self._records[kind][i] for i in chunk if i in self._records[kind])
        return tuple(found)

    def sla_history(self, tickets: Sequence[Ticket]) -> Mapping[str, SlaHistory]:
        """The SLA events and metrics this help desk holds for ``tickets``."""
        index = self._history_index()
        return {t.id: index[t.id] for t in tickets if t.id in index}

    def _history_index(self) -> dict[str, SlaHistory]:
        if self._history is None:
            events: dict[str, list[SlaEvent]] = {}
            for event in self._records[Kind.SLA_EVENT].values():
                if isinstance(event, SlaEvent):
                    events.setdefault(event.ticket.id, []).append(event)
            metrics = {
                m.ticket.id: m
                for m in self._records[Kind.TICKET_METRICS].values()
                if isinstance(m, TicketMetrics)
            }
            self._history = {
                ticket_id: SlaHistory(
                    events=tuple(sorted(events.get(ticket_id, ()), key=lambda e: (e.time, e.id))),
                    metrics=metrics.get(ticket_id),
                )
                for ticket_id in events.keys() | metrics.keys()
            }
        return self._history

    def close(self) -> None:
        """Nothing to release: every request's answer is read whole or streamed and closed."""

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        """The attachment's bytes from the blob provider."""
        if self._blobs is None:
            raise RecordError(f"attachment {attachment.id}: this source holds no file bytes")
        self._call("download attachment")
        return io.BytesIO(self._blobs(attachment))

    def _ordered(self, kind: Kind) -> list[tuple[_SortKey, Record]]:
        if kind not in self._sorted:
            self._sorted[kind] = sorted(
                ((_order(r), r) for r in self._records[kind].values()), key=lambda item: item[0]
            )
        return self._sorted[kind]

    def _call(self, what: str) -> None:
        self._faults.call(self._retry, self.budgets["memory.core"], what)
