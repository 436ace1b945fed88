"""Copier overhead: N generated tickets (about 5 comments each) memory -> memory.

Prints one JSON line. Two runs over the same stream of tickets, each with its own ledger:

- ``tickets_per_s`` / ``comments_per_s``: the copier's own cost, writing through a target
  that only hands out ids (what the copier can sustain: it must never be the bottleneck);
- ``memory_target_tickets_per_s``: end to end into :class:`MemoryTarget` on disk, which also
  streams and hashes every attachment's bytes and stores each record in SQLite.

Only the runs are timed. The N tickets (cycled from a 1,000-ticket template) are built before
the clock starts and the source only hands them out, page by page: making them is the fake
source's cost (a real source's is the network), so it is printed apart, as ``setup_seconds``
and ``setup_cpu_seconds``. ``cpu_seconds`` / ``tickets_per_cpu_s`` are the copier's run alone
(CPU time over every thread of the process, which moves less than the wall clock on a shared
machine). Targets and ledgers live on disk; ``setup_rss_mb`` is the process with the tickets
built and ``peak_rss_mb`` its peak, so the copier's own memory is the difference.

    python benchmarks/copier_overhead.py --tickets 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import attrs

from cemigrate.adapters import (
    Batch,
    Capability,
    FileSource,
    Metadata,
    Outgoing,
    Source,
    Target,
    WriteResult,
)
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import SystemClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import PLAN_ORDER, Attachment, Kind, Ticket

TEMPLATE_TICKETS = 1000
SETUP_KINDS = tuple(kind for kind in PLAN_ORDER[: PLAN_ORDER.index(Kind.TICKET)])
"""Everything a ticket can refer to (brands, forms, custom statuses, schedules... since the
help desk carries them): written once, before the tickets."""


def typical(ticket: Ticket) -> bool:
    """Template tickets: the long tail (1,000-comment threads, multi-MB files) left out, so N
    tickets carry about five comments each, as the benchmark promises."""
    attachments = [a for c in ticket.comments for a in c.attachments]
    return len(ticket.comments) <= 20 and all(a.size <= 1_000_000 for a in attachments)


def build_tickets(template: HelpDesk, tickets: int) -> tuple[Ticket, ...]:
    """``tickets`` tickets cycled from the template's typical ones, each with its own id and
    update time: built once, before anything is timed."""
    typicals = [t for t in template.tickets if typical(t)]
    return tuple(
        attrs.evolve(
            (made := typicals[index % len(typicals)]),
            id=str(index + 1),
            updated_at=made.updated_at + timedelta(seconds=index),
        )
        for index in range(tickets)
    )


class CyclingSource(Source):
    """Hands out pre-built tickets one page at a time, after what they refer to (the
    contract's optional members, ``fetch`` and ``account_url`` among them, by default)."""

    platform = "memory"

    def __init__(
        self, template: HelpDesk, tickets: Sequence[Ticket], *, page_size: int = 1000
    ) -> None:
        self.instance = template.instance
        self._setup = MemorySource(
            {kind: template.records(kind) for kind in SETUP_KINDS},
            instance=template.instance,
            blobs=template.blob,
            page_size=page_size,
        )
        self.budgets = self._setup.budgets
        self._tickets = tickets
        self._page = page_size
        self.comments = 0

    def describe(self) -> Metadata:
        return Metadata(
            platform=self.platform,
            kinds=frozenset((*SETUP_KINDS, Kind.TICKET)),
            capabilities=frozenset({Capability.INCREMENTAL_READ}),
        )

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        if kind is not Kind.TICKET:
            yield from self._setup.read(kind, cursor)
            return
        start = int(cursor) if cursor else 0
        for begin in range(start, len(self._tickets), self._page):
            end = min(begin + self._page, len(self._tickets))
            records = tuple(self._tickets[begin:end])
            self.comments += sum(len(t.comments) for t in records)
            yield Batch(records=records, cursor=str(end))

    def open_attachment(self, attachment: Attachment) -> BinaryIO:
        return self._setup.open_attachment(attachment)


class CountingTarget(MemoryTarget):
    """Accepts every record and only hands out target ids: the cost of writing is zero."""

    def __init__(self) -> None:
        super().__init__(batch_size=100, clock=SystemClock())
        self.written = 0

    def write(self, kind: Kind, batch: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
        results = []
        for item in batch:
            self.written += 1
            results.append(WriteResult(key=item.key, target_id=str(self.written)))
        return results


def timed_run(
    source: CyclingSource, target: Target, ledger_path: Path
) -> tuple[float, RunReport, float, float]:
    """Seconds, report, ledger size (MB) and CPU seconds (every thread of this process) of one
    full run. On a shared machine the CPU seconds move less than the wall clock."""
    ledger = Ledger.open(ledger_path)
    migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
    started, cpu = time.perf_counter(), time.process_time()
    report = migration.run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = ledger.size_bytes() / 1e6
    ledger.close()
    return seconds, report, size, cpu


def current_rss_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    setup, setup_cpu = time.perf_counter(), time.process_time()
    template = generate(tickets=TEMPLATE_TICKETS, seed=1, instance="bench")
    tickets = build_tickets(template, args.tickets)
    setup, setup_cpu = time.perf_counter() - setup, time.process_time() - setup_cpu
    setup_rss = current_rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        source = CyclingSource(template, tickets)
        seconds, report, ledger_mb, cpu = timed_run(
            source, CountingTarget(), Path(folder) / "a.sqlite"
        )
        comments = source.comments
        target = MemoryTarget(
            Path(folder) / "target.sqlite", batch_size=args.batch_size, clock=SystemClock()
        )
        end_to_end, full_report, _, _ = timed_run(
            CyclingSource(template, tickets), target, Path(folder) / "b.sqlite"
        )
        target.close()
    for run in (report, full_report):
        assert run.kinds["ticket"].created == args.tickets, run.table()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "benchmark": "copier_overhead",
                "tickets": args.tickets,
                "setup_seconds": round(setup, 2),
                "setup_cpu_seconds": round(setup_cpu, 2),
                "comments": comments,
                "seconds": round(seconds, 2),
                "tickets_per_s": round(args.tickets / seconds),
                "cpu_seconds": round(cpu, 2),
                "tickets_per_cpu_s": round(args.tickets / cpu),
                "comments_per_s": round(comments / seconds),
                "memory_target_seconds": round(end_to_end, 2),
                "memory_target_tickets_per_s": round(args.tickets / end_to_end),
                "memory_target_calls": full_report.budgets["target.memory.core"]["calls"],
                "records_written": report.total("created"),
                "setup_rss_mb": round(setup_rss, 1),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "ledger_mb": round(ledger_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
