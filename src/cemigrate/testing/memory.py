"""The memory pair: the reference implementation run through the conformance suite."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from cemigrate.adapters import Source, Target
from cemigrate.adapters.memory import MemoryFaults, MemorySource, MemoryTarget
from cemigrate.ratelimit import Clock
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.schema import Kind, Record, Ref, Ticket, User
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot


def _memory_faults(faults: Faults) -> MemoryFaults:
    return MemoryFaults(
        throttle_rate=faults.throttle_rate,
        reject=dict(faults.reject),
        crash_after_records=faults.crash_after_records,
        seed=faults.seed,
    )


class MemoryPair(AdapterPair):
    """Memory source → memory target."""

    name = "memory-memory"

    def __init__(self, *, batch_size: int = 100) -> None:
        self.batch_size = batch_size

    def make_source(
        self, desk: HelpDesk, *, clock: Clock, faults: Faults, page_size: int | None = None
    ) -> Source:
        """A memory source over ``desk``."""
        return MemorySource(
            {kind: desk.records(kind) for kind in Kind},
            instance=desk.instance,
            blobs=desk.blob,
            page_size=page_size or 100,
            clock=clock,
            faults=_memory_faults(faults),
        )

    def make_target(self, *, clock: Clock, faults: Faults) -> Target:
        """An empty in-memory target."""
        return MemoryTarget(batch_size=self.batch_size, clock=clock, faults=_memory_faults(faults))

    def with_faults(self, target: Target, faults: Faults) -> None:
        """Replace the target's faults."""
        assert isinstance(target, MemoryTarget)
        target.faults = _memory_faults(faults)

    def snapshot(self, target: Target) -> Snapshot:
        """Every stored record, links rewritten as the external ids they point at."""
        assert isinstance(target, MemoryTarget)
        return memory_snapshot(target)

    def change(self, source: Source, record: Record) -> bool:
        """Replace the record in the memory source."""
        assert isinstance(source, MemorySource)
        source.put(record)
        return True


def memory_snapshot(target: MemoryTarget) -> Snapshot:
    """A memory target's content independent of its target ids."""
    external = {
        (kind.value, record.target_id): record.external_id
        for kind in Kind
        for record in target.store.records(kind)
    }
    snapshot: dict[str, list[tuple[str, str]]] = {}
    for kind in Kind:
        rows = []
        for record in target.store.records(kind):
            data = dict(record.data)
            data["links"] = {
                ref: external.get((ref.split(":", 1)[0], target_id), "?")
                for ref, target_id in data.get("links", {}).items()
            }
            text = json.dumps(data, sort_keys=True, ensure_ascii=False)
            rows.append((record.external_id, hashlib.sha256(text.encode()).hexdigest()))
        snapshot[kind.value] = sorted(rows)
    return snapshot


def tickets_of_one_user(
    count: int, *, problem_of: Mapping[int, int] | None = None, page_size: int = 4
) -> MemorySource:
    """A memory source of ``count`` tickets ("1" to ``count``), all requested by one user,
    updated a minute apart; ``problem_of`` names, for some tickets, the ticket that is their
    problem (the copier must write that one first)."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    problems = problem_of or {}
    users = [User(id="1", name="Ann", email="ann@example.com", updated_at=start)]
    tickets = [
        Ticket(
            id=str(i),
            subject=f"ticket {i}",
            description="",
            status="open",
            created_at=start,
            updated_at=start + timedelta(minutes=i),
            requester=Ref(kind=Kind.USER, id="1"),
            problem=Ref(kind=Kind.TICKET, id=str(problems[i])) if i in problems else None,
        )
        for i in range(1, count + 1)
    ]
    return MemorySource({Kind.USER: users, Kind.TICKET: tickets}, instance="s", page_size=page_size)


class WritesAtOnce:
    """Counts the writes under way at once on a target's worker threads: a test proves
    batches overlapped (or did not) from :attr:`most`, not from timing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        """Writes under way."""
        self.most = 0
        """The most that were under way at once."""
        self.started = 0
        """Writes started so far."""

    @contextlib.contextmanager
    def writing(self) -> Iterator[tuple[int, int]]:
        """Count one write while the block runs: (its number from 1, writes under way with it)."""
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.started += 1
            mark = (self.started, self.now)
        try:
            yield mark
        finally:
            with self._lock:
                self.now -= 1
