"""Comments from the ticket-event export (``events.py``) against the Zendesk emulator."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cemigrate.adapters.private import SPOOL_DIR_ENV, remove_private_dir
from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskClient, ZendeskCredentials
from cemigrate.adapters.zendesk.events import EventComments
from cemigrate.adapters.zendesk.limits import ZENDESK_PLANS
from cemigrate.adapters.zendesk.objects import BY_NAME, Read
from cemigrate.errors import ConfigError
from cemigrate.ratelimit import ManualClock, RetryPolicy, budgets_for
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Comment

TICKETS, SEED = 300, 5  # about 2,400 comments: three export pages of 1,000


def _read(name: str) -> Read:
    read = BY_NAME[name].read
    assert read is not None
    return read


class Account:
    """A sandbox and a client sharing one manual clock (nothing sleeps for real)."""

    def __init__(self, tickets: int, seed: int) -> None:
        self.clock = ManualClock()
        self.sandbox = ZendeskSandbox(tickets=tickets, seed=seed, clock=self.clock)
        self.clock.advance(120)  # exports leave out the last minute of changes
        self.client = self.new_client()

    def new_client(self) -> ZendeskClient:
        return ZendeskClient(
            base_url=self.sandbox.base_url,
            credentials=ZendeskCredentials(email=self.sandbox.email, token=self.sandbox.token),
            budgets=budgets_for(ZENDESK_PLANS, "enterprise", clock=self.clock),
            retry=RetryPolicy(self.clock),
            session=self.sandbox.session(authenticated=False),
        )

    def live_ticket_ids(self) -> list[int]:
        states = self.sandbox.backend.ticket_state
        return [tid for tid in self.sandbox.backend.comments if not states[tid].deleted]

    def endpoint_comments(self, ticket_id: int | str) -> list[Comment]:
        """What ``/tickets/{id}/comments.json`` says, as the source converts it today."""
        pages = self.client.pages(_read("ticket_comments"), id=str(ticket_id))
        return [convert.comment(c) for page in pages for c in page.records]

    def export_tickets(self, **params: str) -> Iterator[dict[str, object]]:
        read = _read("tickets")
        if params:
            read = Read(
                path=read.path,
                data_key=read.data_key,
                paging=read.paging,
                page_size=read.page_size,
                budget=read.budget,
                params={**read.params, **params},
            )
        for page in self.client.pages(read):
            yield from page.records


@pytest.fixture(scope="module")
def account() -> Account:
    return Account(TICKETS, SEED)


@pytest.fixture(scope="module")
def filled(account: Account) -> Iterator[EventComments]:
    with EventComments(account.client) as events:
        events.fill(start_time=0)
        yield events


def _facts(comments: list[Comment]) -> list[tuple[object, ...]]:
    return [
        (c.id, c.public, c.author, c.created_at, tuple((a.id, a.file_name) for a in c.attachments))
        for c in comments
    ]


def test_each_ticket_gets_exactly_the_comments_of_its_own_endpoint(
    account: Account, filled: EventComments
) -> None:
    with_attachments = 0
    for ticket_id in account.live_ticket_ids():
        expected = account.endpoint_comments(ticket_id)
        got = filled.comments_for(ticket_id)
        assert _facts(got) == _facts(expected), ticket_id  # ids, order, flags, authors, times
        assert got == expected, ticket_id  # and bodies, channels, attachments entire
        with_attachments += any(c.attachments for c in got)
    assert with_attachments > 0  # the comparison covered attachments


def test_page_boundary_repeats_are_stored_once(account: Account, filled: EventComments) -> None:
    # A time-based page starts at the previous page's end_time: its items come again.
    assert filled.pages_read >= 3
    assert filled.duplicates > 0
    assert len(filled) == sum(len(c) for c in account.sandbox.backend.comments.values())
    for ticket_id in filled.ticket_ids():
        ids = [c.id for c in filled.comments_for(ticket_id)]
        assert len(ids) == len(set(ids))


def test_reading_the_same_window_again_adds_nothing(account: Account, tmp_path: Path) -> None:
    spool = tmp_path / "events.sqlite"
    with EventComments(account.client, spool=spool) as first:
        first.fill()
        stored = len(first)
    with EventComments(account.client, spool=spool) as again:
        again.fill()  # resumes at the last end_time: that page's items come back
        assert again.pages_read >= 1
        assert again.duplicates > 0
        assert len(again) == stored


def test_a_stopped_read_resumes_from_its_stored_position(
    account: Account, filled: EventComments, tmp_path: Path
) -> None:
    spool = tmp_path / "events.sqlite"
    before = account.client.budgets["zendesk.export"].calls
    with EventComments(account.client, spool=spool) as first:
        position = next(first.read(start_time=0))  # one page, then the process "dies"
        assert position is not None
        assert first.position == position
        partial = len(first)
    assert 0 < partial < len(filled)
    with EventComments(account.client, spool=spool) as resumed:
        assert resumed.position == position
        resumed.fill(start_time=0)  # start_time is ignored: the stored position wins
        assert resumed.pages_read == filled.pages_read - 1  # the first page is not read again
        assert len(resumed) == len(filled)
        for ticket_id in filled.ticket_ids():
            assert resumed.comments_for(ticket_id) == filled.comments_for(ticket_id)
    assert account.client.budgets["zendesk.export"].calls - before == filled.pages_read


def test_interleaving_with_the_ticket_stream_gives_every_ticket_its_comments(
    account: Account,
) -> None:
    with EventComments(account.client) as events:
        fallbacks = 0
        for data in account.export_tickets():
            if data["status"] == "deleted":
                continue
            updated = convert.parse_time(data["updated_at"])
            events.advance_to(updated.timestamp())
            if events.covers(convert.parse_time(data["created_at"]), updated):
                comments = events.comments_for(str(data["id"]))
            else:
                fallbacks += 1  # changed after the last exported event
                comments = account.endpoint_comments(str(data["id"]))
            assert comments == account.endpoint_comments(str(data["id"]))
        assert fallbacks < TICKETS // 10


def test_a_delta_window_does_not_claim_tickets_older_than_it(
    account: Account, filled: EventComments
) -> None:
    middle = sorted(account.sandbox.backend.ticket_events(), key=lambda e: e["timestamp"])
    start = middle[len(middle) // 2]["timestamp"]
    with EventComments(account.client) as window:
        window.fill(start_time=start)
        assert window.started_at == start
        assert 0 < len(window) < len(filled)
        for data in account.export_tickets():
            created = convert.parse_time(data["created_at"])
            updated = convert.parse_time(data["updated_at"])
            if window.covers(created, updated):
                assert created.timestamp() >= start
                assert window.comments_for(str(data["id"])) == filled.comments_for(str(data["id"]))


def test_comments_of_tickets_outside_the_ticket_stream_stay_apart() -> None:
    small = Account(40, 11)
    victim = small.live_ticket_ids()[3]
    expected = small.endpoint_comments(victim)
    response = small.client.request("DELETE", f"/api/v2/tickets/{victim}.json")
    assert response.status_code == 204
    small.clock.advance(120)
    with EventComments(small.client) as events:
        events.fill()
        streamed = {str(t["id"]) for t in small.export_tickets(exclude_deleted="true")}
        assert str(victim) not in streamed
        assert str(victim) in set(events.ticket_ids())
        assert [c.id for c in events.comments_for(victim)] == [c.id for c in expected]
        for ticket_id in streamed:
            assert events.comments_for(ticket_id) == small.endpoint_comments(ticket_id)


def test_an_export_read_without_comment_events_is_refused(account: Account) -> None:
    row = _read("ticket_events")
    bare = Read(
        path=row.path,
        data_key=row.data_key,
        paging=row.paging,
        page_size=row.page_size,
        budget=row.budget,
    )
    with EventComments(account.client, read=bare) as events, pytest.raises(ConfigError):
        events.fill()


def test_a_temporary_spool_is_removed_on_close(account: Account) -> None:
    events = EventComments(account.client)
    path = events.path
    assert path.exists()
    events.close()
    assert not path.exists()


def test_a_temporary_spool_is_private_and_removed_on_close(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPOOL_DIR_ENV, str(tmp_path))
    remove_private_dir()  # the process's folder is made anew, under tmp_path
    try:
        with EventComments(account.client) as events:
            events.advance_to(0)
            folder = events.path.parent
            assert folder.parent == tmp_path
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
            assert stat.S_IMODE(events.path.stat().st_mode) == 0o600
            assert len(events) > 0  # it holds comment bodies
        assert list(folder.iterdir()) == []
    finally:
        remove_private_dir()
    assert list(tmp_path.iterdir()) == []
