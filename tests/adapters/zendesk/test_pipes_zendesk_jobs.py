"""Zendesk jobs are polled after waits sized from the job, not a fixed second; a ticket
batch's files are uploaded several at once, and every ticket still lands once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.callpool import CallPool
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.zendesk.jobs import SHORTEST, JobPace
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.errors import TransientError
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Kind


class _Job:
    """A job on the clock that takes ``seconds`` and reports its progress as it goes, as a
    Zendesk job status does (``total``, ``progress``, ``status``)."""

    def __init__(self, clock: ManualClock, total: int, seconds: float) -> None:
        self.clock, self.total, self.seconds = clock, total, seconds
        self.began = clock.monotonic()
        self.polls = 0

    def status(self, job_id: str = "j") -> Mapping[str, Any]:
        self.polls += 1 if job_id else 0
        share = min(1.0, (self.clock.monotonic() - self.began) / self.seconds)
        done = share >= 1.0
        return {
            "id": "j",
            "total": self.total,
            "progress": int(self.total * share),
            "status": "completed" if done else "working",
        }


def test_a_job_is_polled_after_waits_sized_from_its_size_and_progress_not_a_second() -> None:
    clock = ManualClock()
    pace = JobPace(clock)
    job = _Job(clock, total=100, seconds=3.0)
    done = pace.wait(job.status(""), job.status)
    assert done["status"] == "completed"
    assert 1.0 not in clock.sleeps
    assert clock.sleeps[0] == pytest.approx(0.8)  # 100 tasks at the first guess, a bit early
    assert clock.monotonic() == pytest.approx(3.0, abs=0.35)  # not a second late
    assert job.polls <= 4
    # The next job of the same size starts from what this one was seen to take at least
    # (running at its first poll, 0.8 s): never later than the job took.
    learned = pace.first_wait(100)
    assert SHORTEST < learned < 3.0


def test_a_job_with_no_progress_is_polled_less_and_less_often_and_gives_up_as_transient() -> None:
    clock = ManualClock()
    pace = JobPace(clock)
    stuck = {"id": "s", "total": 10, "progress": 0, "status": "queued"}
    with pytest.raises(TransientError, match="did not finish"):
        pace.wait(stuck, lambda job_id: stuck)
    assert clock.sleeps[0] == pytest.approx(SHORTEST)
    assert clock.sleeps[1:4] == pytest.approx([0.2, 0.4, 0.8])
    assert max(clock.sleeps) == 10.0


def test_a_failed_job_is_transient() -> None:
    clock = ManualClock()
    with pytest.raises(TransientError, match="failed"):
        JobPace(clock).wait(
            {"id": "f", "status": "queued"}, lambda _: {"id": "f", "status": "failed"}
        )


def test_uploads_go_several_at_once_but_never_more_than_the_shared_limit() -> None:
    import threading

    gate = threading.Barrier(3, timeout=5)
    pool = CallPool(lambda: 3, threads=8)
    try:
        results = pool.map(lambda n: (gate.wait(), n)[1] if n < 3 else n, list(range(12)))
    finally:
        pool.close()
    assert results == list(range(12))  # in order, each once
    assert pool.most == 3


def test_tickets_and_their_files_land_once_with_sized_polls(tmp_path: Path) -> None:
    from cemigrate.sandbox.zendesk import ZendeskSandbox
    from cemigrate.testing.accounts import empty_target

    clock = ManualClock()
    desk = generate(tickets=30, seed=4, instance="old")
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind},
        instance="old",
        blobs=desk.blob,
        page_size=10,
        clock=clock,
    )
    emulated = empty_target("zendesk", clock, desk)
    account, target = emulated.account, emulated.target
    assert isinstance(account, ZendeskSandbox)
    assert isinstance(target, ZendeskTarget)
    # In process no call takes time, so the budgets would allow one upload at a time (their
    # latency is what sizes the limit); allow four, as a 0.3 s round trip would.
    target.calls = CallPool(lambda: 4)
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
    assert report.status == "completed", report
    assert target.job_pace.polls > 0
    held = account.backend.tickets.values()
    external = Counter(t["external_id"] for t in held)
    assert len(external) == sum(1 for t in desk.records(Kind.TICKET) if not t.deleted)  # type: ignore[attr-defined]
    assert max(external.values()) == 1
    files = sum(
        len(c.attachments)
        for t in desk.records(Kind.TICKET)
        if not t.deleted  # type: ignore[attr-defined]
        for c in t.comments  # type: ignore[attr-defined]
    )
    assert files > 1
    assert target.calls.most > 1  # a batch's files went several at once
