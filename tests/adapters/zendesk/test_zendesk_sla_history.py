"""SLA history asked for one ticket at a time includes breaches after its last change."""

from __future__ import annotations

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, SlaEventKind, Ticket
from cemigrate.testing.zendesk import account_source


def test_a_breach_after_the_last_change_travels_with_its_ticket() -> None:
    clock = ManualClock()
    account = ZendeskSandbox(
        tickets=2000, seed=7, instance="exchange", clock=clock, subdomain="old"
    )
    clock.advance(120)  # past the exports' last minute
    source = account_source(account, instance="old", clock=clock)
    tickets = {
        t.id: t
        for batch in source.read(Kind.TICKET)
        for t in batch.records
        if isinstance(t, Ticket)
    }
    # The account's own record: breaches that came after their ticket's last change.
    late: dict[str, int] = {}
    for event in account.backend.metric_events:
        ticket = tickets.get(str(event["ticket_id"]))
        if ticket is None or event["type"] != "breach":
            continue
        if event["time"] > ticket.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"):
            late[ticket.id] = late.get(ticket.id, 0) + 1
    assert late, "the generated desk has no breach after a ticket's last change"
    for ticket_id in list(late)[:5]:
        breaches = sum(
            1
            for e in account.backend.metric_events
            if str(e["ticket_id"]) == ticket_id and e["type"] == "breach"
        )
        history = source.sla_history([tickets[ticket_id]])  # one ticket, as Freshdesk asks
        got = [e for e in history[ticket_id].events if e.kind is SlaEventKind.BREACH]
        assert len(got) == breaches, ticket_id
    source.close()
