"""The Freshdesk source past the ticket list's 300-page cap, against a fake account at the
transport seam: every ticket read once, none skipped or read twice at the restart, resumable."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.ratelimit import ManualClock
from cemigrate.schema import Kind, Ticket

BASE = "https://fake.freshdesk.com"
START = datetime(2024, 1, 1, tzinfo=UTC)


class TicketList(BaseAdapter):
    """A Freshdesk account holding only tickets: ``/tickets`` ordered by ``updated_at`` (ties
    by id), ``updated_since`` inclusive, 100 a page, 300 pages a listing, ``Link`` paging."""

    def __init__(self, count: int, *, per_second: int = 7, max_pages: int = 300) -> None:
        super().__init__()
        self.max_pages = max_pages
        self.tickets = [
            {
                "id": i + 1,
                "subject": f"ticket {i + 1}",
                "status": 2,
                "priority": 1,
                "source": 2,
                "requester_id": 1,
                "created_at": _iso(START),
                # several tickets share each second: ties fall on page and listing boundaries
                "updated_at": _iso(START + timedelta(seconds=i // per_second)),
                "description": "<div>hello</div>",
                "description_text": "hello",
                "custom_fields": {},
                "tags": [],
                "stats": {},
            }
            for i in range(count)
        ]
        self.calls: Counter[str] = Counter()

    def touch(self, ticket_id: int, when: datetime) -> None:
        """An agent changes a ticket: it moves to the end of the order."""
        ticket = next(t for t in self.tickets if t["id"] == ticket_id)
        ticket["updated_at"] = _iso(when)
        self.tickets.sort(key=lambda t: (t["updated_at"], t["id"]))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.calls[parts.path] += 1
        if parts.path == "/api/v2/tickets":
            return self._list(request, query)
        if parts.path.endswith("/conversations") or parts.path.endswith("_fields"):
            return _answer(request, [])
        if parts.path.startswith("/api/v2/tickets/"):
            return _answer(request, {"id": int(parts.path.rsplit("/", 1)[1]), "attachments": []})
        return _answer(request, {"description": "not found"}, status=404)

    def _list(
        self, request: requests.PreparedRequest, query: Mapping[str, str]
    ) -> requests.Response:
        if query.get("filter") == "deleted":
            return _answer(request, [])
        page, size = int(query.get("page", 1)), int(query.get("per_page", 30))
        if page > self.max_pages:
            body = {
                "description": "Validation failed",
                "errors": [
                    {"field": "page", "message": "must be at most 300", "code": "invalid_value"}
                ],
            }
            return _answer(request, body, status=400)
        since = query["updated_since"]
        chosen = [t for t in self.tickets if t["updated_at"] >= since]
        rows = chosen[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(chosen):
            link = f"{BASE}/api/v2/tickets?{urlencode({**query, 'page': page + 1})}"
            headers["Link"] = f'<{link}>; rel="next"'
        return _answer(request, rows, headers=headers)

    def close(self) -> None:
        pass


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _answer(
    request: requests.PreparedRequest,
    body: Any,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update({"Content-Type": "application/json", **(headers or {})})
    response.url = request.url or ""
    response.request = request
    return response


def source_on(account: TicketList, clock: ManualClock, *, max_pages: int = 300) -> FreshdeskSource:
    session = requests.Session()
    session.mount("https://", account)
    return FreshdeskSource(
        instance="fd",
        base_url=BASE,
        credentials=FreshdeskCredentials(api_key="fake-key"),
        session=session,
        clock=clock,
        max_pages=max_pages,
    )


def read_ids(
    source: FreshdeskSource, cursor: str | None = None
) -> Iterator[tuple[str, str | None]]:
    for batch in source.read(Kind.TICKET, cursor):
        for record in batch.records:
            assert isinstance(record, Ticket)
            yield record.id, batch.cursor


def test_listing_restarts_at_the_page_cap_without_skipping_or_repeating_ties() -> None:
    # 3 pages a listing on 1,000 tickets: many restarts, each inside a run of equal times.
    account = TicketList(1000, per_second=7, max_pages=3)
    clock = ManualClock()
    ids = [i for i, _ in read_ids(source_on(account, clock, max_pages=3))]
    assert len(ids) == 1000
    assert len(set(ids)) == 1000
    assert account.calls["/api/v2/tickets"] > 1000 // 300  # restarted many times


def test_a_cursor_resumes_after_the_last_ticket_of_its_batch() -> None:
    account = TicketList(700, per_second=13, max_pages=2)
    clock = ManualClock()
    first_run = list(read_ids(source_on(account, clock, max_pages=2)))
    # Stop after the batch that ends at 333 tickets read, resume from its cursor.
    cut = next(
        n for n, (_, cursor) in enumerate(first_run) if n >= 333 and cursor != first_run[n + 1][1]
    )
    cursor = first_run[cut][1]
    before = [i for i, _ in first_run[: cut + 1]]
    after = [i for i, _ in read_ids(source_on(account, clock, max_pages=2), cursor)]
    assert sorted(before + after, key=int) == [str(i) for i in range(1, 701)]
    assert not set(before) & set(after)


def test_a_delta_reads_only_tickets_changed_since_and_each_once() -> None:
    account = TicketList(500, per_second=5, max_pages=2)
    clock = ManualClock()
    batches = list(source_on(account, clock, max_pages=2).read(Kind.TICKET))
    end = batches[-1].cursor
    assert end is not None  # an incremental stream ends on where it got to
    later = START + timedelta(days=2)
    for ticket_id in (3, 250, 499):
        account.touch(ticket_id, later)
    ids = [i for i, _ in read_ids(source_on(account, clock, max_pages=2), end)]
    assert sorted(ids, key=int) == ["3", "250", "499"]


def test_ticket_pages_spend_the_list_sub_limit_with_include_credits() -> None:
    account = TicketList(250)
    clock = ManualClock()
    source = source_on(account, clock)
    list(source.read(Kind.TICKET))
    listing = source.budgets["freshdesk.tickets_list"]
    assert listing.calls == 3 + 1  # three pages, and the deleted listing
    # Each include costs 2 credits more: the live listing includes stats (the view brings the
    # description), the deleted one description and stats (its tickets are not viewed).
    assert listing.spent == 3 * 3 + 5
    core = source.budgets["freshdesk.core"]
    # + the ticket viewed (its description's files) and its conversations listed + fields
    assert core.calls == listing.calls + 2 * 250 + 1


@pytest.mark.slow
def test_35000_tickets_are_read_completely_each_once() -> None:
    account = TicketList(35_000, per_second=7)
    clock = ManualClock()
    ids = [i for i, _ in read_ids(source_on(account, clock))]
    counts = Counter(ids)
    assert len(counts) == 35_000
    assert max(counts.values()) == 1
    # 300 pages, then a restart from the last updated_at: 351 ticket pages in all.
    assert account.calls["/api/v2/tickets"] == 351 + 1
