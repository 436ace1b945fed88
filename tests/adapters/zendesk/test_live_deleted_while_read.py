"""A ticket deleted in a live Zendesk account between the call that listed it and the read of
its comments (``/tickets/{id}/comments`` then answers 404) is a deleted ticket, not an error:
the tickets read or fetched with it still come, so the records that hang off them (their
metrics) are never failed as "not in the target".

Zendesk answers 404 for the comments of a ticket deleted meanwhile; connectors reading a live
account meet it (https://github.com/airbytehq/airbyte/pull/6513: "some of them can be deleted
by users while comments loading").
"""

from __future__ import annotations

from typing import Any

import requests

from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Ticket
from cemigrate.testing.zendesk import account_source


def _account(clock: ManualClock) -> tuple[ZendeskSandbox, list[int]]:
    account = ZendeskSandbox(tickets=8, seed=5, instance="z", clock=clock)
    clock.advance(120)  # past the export's last minute
    live = sorted(
        tid
        for tid, state in account.backend.ticket_state.items()
        if not state.deleted and not state.archived
    )
    return account, live[:3]


def _deleting(source: ZendeskSource, account: ZendeskSandbox, path: str, victim: int) -> None:
    """Delete ``victim`` in the account as soon as the answer to ``path`` has arrived, before
    its comments are read (the agent working meanwhile)."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if path in (response.url or "") and not account.backend.ticket_state[victim].deleted:
            account.backend.delete_ticket(victim)

    source.client.session.hooks["response"].append(hook)


def test_a_ticket_deleted_before_its_comments_are_read_is_not_fetched_the_others_are() -> None:
    clock = ManualClock()
    account, (first, victim, last) = _account(clock)
    source = account_source(account, instance="z", clock=clock)
    _deleting(source, account, "/tickets/show_many", victim)

    fetched = source.fetch(Kind.TICKET, [str(first), str(victim), str(last)])

    assert sorted(int(t.id) for t in fetched) == [first, last]
    comments = {t.id: len(t.comments) for t in fetched if isinstance(t, Ticket)}
    assert comments == {str(tid): len(account.backend.comments[tid]) for tid in (first, last)}
    assert all(comments.values())


def test_a_ticket_deleted_before_its_comments_are_read_is_read_as_deleted() -> None:
    clock = ManualClock()
    account, (first, victim, last) = _account(clock)
    source = account_source(account, instance="z", clock=clock, comments="per_ticket")
    _deleting(source, account, "/incremental/tickets", victim)

    read = {t.id: t for batch in source.read(Kind.TICKET) for t in batch.records}

    assert isinstance(deleted := read[str(victim)], Ticket)
    assert deleted.deleted
    assert deleted.comments == ()
    for tid in (first, last):
        ticket = read[str(tid)]
        assert isinstance(ticket, Ticket)
        assert not ticket.deleted
        assert len(ticket.comments) == len(account.backend.comments[tid])
