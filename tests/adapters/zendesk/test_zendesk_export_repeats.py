"""A Zendesk time-based export repeats items at page boundaries: each is read, and counted, once.

``/api/v2/incremental/ticket_metric_events.json`` pages by time: the next page starts *at* the
last page's ``end_time``, so the items of that second come again. The source leaves the repeats
out, so a run creates each SLA event once and says so. The same export is paced at its
documented limit (10 requests a minute) and the emulator, which enforces that limit, never
answers the client's pacing with a 429.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.http import RateLimiter
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind
from cemigrate.testing.zendesk import account_source

INSTANCE, SEED = "z", 3
PAGE = 100
"""ticket_metric_events served a page (the emulator's time-based page size)."""


def _source(sandbox: ZendeskSandbox, clock: ManualClock) -> ZendeskSource:
    return account_source(sandbox, instance=INSTANCE, clock=clock)


def _crowded_sandbox(clock: ManualClock, *, tickets: int = 60) -> ZendeskSandbox:
    """An account whose metric events crowd into one second across two page boundaries."""
    sandbox = ZendeskSandbox(tickets=tickets, seed=SEED, instance=INSTANCE, clock=clock)
    events = sandbox.backend.metric_events
    assert len(events) > 4 * PAGE
    # 250 events share the second of the 81st: the first page stops inside the crowd (and
    # takes all of it), the next page starts at that second and serves it whole again.
    crowd = events[80 : 80 + 250]
    for event in crowd:
        event["time"] = crowd[0]["time"]
    events.sort(key=lambda e: (e["time"], e["id"]))
    clock.advance(120)  # past Zendesk's one-minute export delay
    return sandbox


def _wanted(sandbox: ZendeskSandbox) -> set[str]:
    """Ids of the events the account holds that have a schema equivalent."""
    return {str(e["id"]) for e in sandbox.backend.metric_events if convert.sla_event(e) is not None}


def _served(sandbox: ZendeskSandbox) -> Iterator[str]:
    """Ids as the emulator served them, page after page (repeats included)."""
    session = sandbox.session()
    url: str | None = f"{sandbox.base_url}/api/v2/incremental/ticket_metric_events.json"
    params: dict[str, int] | None = {"start_time": 0}
    while url is not None:
        body = session.get(url, params=params).json()
        yield from (str(e["id"]) for e in body["ticket_metric_events"])
        url, params = (None, None) if body["end_of_stream"] else (body["next_page"], None)


def test_the_export_itself_serves_the_crowded_second_twice() -> None:
    sandbox = _crowded_sandbox(ManualClock())
    served = list(_served(sandbox))
    assert len(served) - len(set(served)) >= 250  # what the source has to leave out
    assert set(served) == {str(e["id"]) for e in sandbox.backend.metric_events}


def test_the_source_yields_each_metric_event_once() -> None:
    clock = ManualClock()
    sandbox = _crowded_sandbox(clock)
    source = _source(sandbox, clock)
    ids = [r.id for batch in source.read(Kind.SLA_EVENT) for r in batch.records]
    source.close()
    assert len(ids) == len(set(ids))
    assert set(ids) == _wanted(sandbox)


def test_the_run_report_creates_each_distinct_event_once() -> None:
    clock = ManualClock()
    sandbox = _crowded_sandbox(clock)
    source = _source(sandbox, clock)
    target = MemoryTarget(clock=clock)
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
    source.close()
    assert report.status == "completed"
    tally = report.kinds[Kind.SLA_EVENT.value]
    distinct = _wanted(sandbox)
    assert tally.read == len(distinct)
    assert tally.created == len(distinct)
    assert (tally.unchanged, tally.failed, tally.skipped) == (0, 0, 0)
    stored = target.records(Kind.SLA_EVENT)  # the target keeps every write, twice if sent twice
    assert len(stored) == len(distinct)
    assert {r.data["id"] for r in stored} == distinct


@pytest.mark.parametrize("start", [0.0, 7.77, 13.3, 1234.567])
def test_reading_the_metric_event_export_on_its_budget_gets_no_429(start: float) -> None:
    # 14 pages: 10 spend the full bucket at once, the rest wait for the 10-a-minute refill.
    clock = ManualClock(start)
    sandbox = ZendeskSandbox(tickets=140, seed=SEED, instance=INSTANCE, clock=clock)
    clock.advance(120)
    source = _source(sandbox, clock)
    started = clock.monotonic()
    ids = [r.id for batch in source.read(Kind.SLA_EVENT) for r in batch.records]
    source.close()
    exports = [r for r in sandbox.zendesk.requests if "/incremental/" in r[1]]
    assert len(exports) > 10  # the bucket ran dry and the pacing was tested
    assert [status for _, _, status in exports if status != 200] == []
    budget = source.budgets["zendesk.export"].snapshot()
    assert budget["throttled"] == 0
    minutes = (clock.monotonic() - started) / 60
    assert budget["calls"] <= 10 + 10 * minutes + 1e-6  # and no faster than the limit
    assert set(ids) == _wanted(sandbox)


def test_the_emulator_allows_a_request_on_the_dot_of_a_refill() -> None:
    # Six seconds after the bucket ran dry, a 10-a-minute limit owes one request, whatever
    # the clock's reading (float sums of elapsed x rate fall a few ulps short of a token).
    for start in (0.0, 7.77, 13.3, 99.99, 1234.567):
        clock = ManualClock(start)
        limiter = RateLimiter(10, clock=clock)
        assert all(limiter.take().allowed for _ in range(10))
        assert not limiter.take().allowed
        for _ in range(30):
            clock.advance(6.0)
            assert limiter.take().allowed, clock.monotonic()
            assert not limiter.take().allowed
