"""Two Zendesk accounts consolidated into a third: every ticket kept apart by instance, every
customer once."""

from __future__ import annotations

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


def test_two_accounts_consolidate_into_a_third_with_customers_matched_by_email() -> None:
    clock = ManualClock()
    emea = ZendeskSandbox(tickets=150, seed=7, instance="emea", clock=clock, subdomain="emea")
    apac = ZendeskSandbox(tickets=120, seed=7, instance="apac", clock=clock, subdomain="apac")
    new = ZendeskSandbox(
        tickets=0, seed=7, instance="new", clock=clock, subdomain="new", empty=True
    )
    clock.advance(120)
    sources = [
        ZendeskSource(
            instance=name,
            base_url=account.base_url,
            credentials=CREDENTIALS,
            session=account.session(authenticated=False),
            clock=clock,
        )
        for name, account in (("emea", emea), ("apac", apac))
    ]
    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=CREDENTIALS,
        session=new.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=sources, target=target, ledger=ledger, progress=False).run()
        assert report.status == "completed"
        assert report.failed == 0
        user_ids = {
            entry.key: entry.target_id
            for entry in ledger.entries(kind="user", state=EntryState.DONE)
        }

    stored = new.backend
    # Every live ticket of both accounts, once, its external id naming its instance.
    expected = {
        f"{name}:ticket:{t.id}"
        for name, account in (("emea", emea), ("apac", apac))
        for t in account.backend.desk.tickets
        if not t.deleted
    }
    external = [t["external_id"] for t in stored.tickets.values()]
    assert sorted(external) == sorted(expected)

    # A customer of both accounts is one user in the new one (e-mail compared case-insensitively).
    emails = {
        u.email.strip().lower()
        for account in (emea, apac)
        for u in account.backend.desk.users
        if u.email
    }
    shared = {u.email.lower() for u in emea.backend.desk.users if u.email} & {
        u.email.lower() for u in apac.backend.desk.users if u.email
    }
    assert shared  # the two accounts do share customers
    held = {u["email"].lower() for u in stored.users.values() if u.get("email")}
    assert held == emails | {new.email}  # plus the account's owner, there before the migration
    assert report.kinds["user"].matched >= len(shared)
    # An apac ticket whose requester is also an emea customer points at that one user.
    emea_by_email = {u.email.lower(): u.id for u in emea.backend.desk.users if u.email}
    checked = 0
    for ticket in apac.backend.desk.tickets:
        requester = next(u for u in apac.backend.desk.users if u.id == ticket.requester.id)  # type: ignore[union-attr]
        if ticket.deleted or not requester.email or requester.email.lower() not in emea_by_email:
            continue
        imported = next(
            t for t in stored.tickets.values() if t["external_id"] == f"apac:ticket:{ticket.id}"
        )
        emea_user = user_ids[f"emea:user:{emea_by_email[requester.email.lower()]}"]
        assert str(imported["requester_id"]) == emea_user
        checked += 1
    assert checked > 0
