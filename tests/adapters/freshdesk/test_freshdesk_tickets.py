"""Freshdesk tickets read whole: the account's ticket types and source codes as values the
mapping can map (never "none" or OTHER without a trace), conversations' addresses kept, and
every comment and file read by the lossless ticket reads (the cheapest one says what it
leaves out)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.freshdesk import convert
from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
from cemigrate.adapters.freshdesk.source import (
    DESCRIPTION_FILES_NOT_READ,
    FreshdeskSource,
    TicketRead,
)
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.origin import origin_text, parse_origin
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.schema import (
    Channel,
    FieldType,
    Kind,
    Ref,
    SourceKey,
    Ticket,
    TicketType,
)

TYPE_FIELD = {  # as a real account lists it (GET /api/v2/ticket_fields)
    "id": 84000463083,
    "name": "ticket_type",
    "label": "Type",
    "description": "Ticket type",
    "position": 9,
    "type": "default_ticket_type",
    "default": True,
    "choices": ["Question", "Incident", "Problem", "Feature Request", "Refund"],
}
SOURCE_FIELD = {
    "id": 84000463084,
    "name": "source",
    "label": "Source",
    "type": "default_source",
    "default": True,
    "choices": {"Email": 1, "Portal": 2, "Phone": 3, "Chat": 7, "Instagram": 42},
}


def _ticket(**extra: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "subject": "Help",
        "status": 2,
        "priority": 1,
        "source": 2,
        "requester_id": 5,
        "created_at": "2024-01-02T10:00:00Z",
        "updated_at": "2024-01-03T10:00:00Z",
        "description": "<div>hello</div>",
        "description_text": "hello",
        "custom_fields": {},
        "tags": [],
        **extra,
    }


def test_the_type_field_reads_as_a_dropdown_of_the_account_types() -> None:
    field = convert.ticket_type_field(TYPE_FIELD)
    assert field is not None
    assert (field.key, field.type) == ("ticket_type", FieldType.DROPDOWN)
    assert [o.value for o in field.options] == TYPE_FIELD["choices"]
    assert convert.field(TYPE_FIELD, object=field.object) is None  # not a custom field


@pytest.mark.parametrize(
    ("name", "standard"),
    [("Feature Request", None), ("Refund", None), ("Incident", TicketType.INCIDENT)],
)
def test_own_types_are_kept_verbatim_and_the_four_as_the_type(
    name: str, standard: TicketType | None
) -> None:
    ticket = convert.ticket(_ticket(type=name))
    assert ticket.type is standard
    assert ticket.custom_fields.get("ticket_type") == (None if standard else name)


def test_a_ticket_without_a_type_has_no_type_value() -> None:
    ticket = convert.ticket(_ticket(type=None))
    assert "ticket_type" not in ticket.custom_fields
    assert ticket.type is None


@pytest.mark.parametrize(
    ("code", "channel", "name"),
    [
        (1, Channel.EMAIL, "Email"),
        (8, Channel.WEB, "MobiHelp"),
        (11, Channel.OTHER, "Ecommerce"),
        (12, Channel.CHAT, "Bot"),
        (13, Channel.SOCIAL, "Whatsapp"),
        (42, Channel.OTHER, None),
    ],
)
def test_source_codes_are_kept_with_their_names(
    code: int, channel: Channel, name: str | None
) -> None:
    ticket = convert.ticket(_ticket(source=code))
    assert ticket.channel is channel
    assert ticket.comments[0].channel is channel
    assert ticket.via["source"] == code
    assert ticket.via["source_name"] == name


def test_an_unknown_code_takes_the_account_name_for_it() -> None:
    names = convert.source_names(SOURCE_FIELD)
    ticket = convert.ticket(_ticket(source=42), source_names=names)
    assert (ticket.channel, ticket.via["source_name"]) == (Channel.OTHER, "Instagram")


def test_ticket_addresses_links_and_product_are_kept() -> None:
    ticket = convert.ticket(
        _ticket(
            product_id=3,
            support_email="help@acme.test",
            to_emails=["help@acme.test"],
            cc_emails=["boss@client.test"],
            ticket_bcc_emails=["audit@acme.test"],
            fwd_emails=[],
            association_type=1,
            associated_tickets_list=[8, 9],
            nr_due_by="2024-01-04T10:00:00Z",
            spam=False,
            structured_description={
                "description_contents": [{"type": "text", "data": {"content": "hello"}}]
            },
        )
    )
    assert ticket.brand == Ref(kind=Kind.BRAND, id="3")
    assert ticket.recipient == "help@acme.test"
    assert ticket.via == {
        "source": 2,
        "source_name": "Portal",
        "to_emails": ["help@acme.test"],
        "cc_emails": ["boss@client.test"],
        "ticket_bcc_emails": ["audit@acme.test"],
        "product_id": 3,
        "association_type": 1,
        "associated_tickets_list": [8, 9],
        "nr_due_by": "2024-01-04T10:00:00Z",
    }


def test_conversations_keep_how_they_were_sent() -> None:
    reply = {
        "id": 35131396111,
        "body": "<div>Hi</div>",
        "body_text": "Hi",
        "private": True,
        "incoming": False,
        "user_id": 35008297863,
        "support_email": "support@domain.freshdesk.com",
        "source": 8,
        "category": 2,
        "ticket_id": 3,
        "to_emails": ["user@company.test"],
        "from_email": '"Agent Bob" <support@domain.freshdesk.com>',
        "cc_emails": [],
        "bcc_emails": ["hidden@company.test"],
        "created_at": "2020-08-24T05:53:09Z",
        "updated_at": "2020-08-24T05:53:09Z",
        "attachments": [],
    }
    comment = convert.conversation(reply)
    assert comment.channel is Channel.EMAIL  # a forwarded e-mail
    assert comment.metadata == {
        "source": 8,
        "category": 2,
        "support_email": "support@domain.freshdesk.com",
        "from_email": '"Agent Bob" <support@domain.freshdesk.com>',
        "to_emails": ["user@company.test"],
        "bcc_emails": ["hidden@company.test"],
    }
    unknown = convert.conversation({**reply, "source": 77})
    assert (unknown.channel, unknown.metadata["source"]) == (Channel.OTHER, 77)


def test_a_freshdesk_target_writes_ticket_type_as_the_type() -> None:
    ticket = convert.ticket(_ticket(type="Feature Request"))
    outgoing = Outgoing(
        key=SourceKey(instance="old", kind=Kind.TICKET, id=ticket.id),
        record=ticket,
        links={Ref(kind=Kind.USER, id="5"): "500"},
    )
    own = ("cemigrate_id", "cemigrate_created_at", "cemigrate_updated_at", "cemigrate_origin")
    names = {key: f"cf_{key}" for key in own}
    names["ticket_type"] = ".type"  # the target's own type field
    payload = convert.ticket_payload(outgoing, names)
    assert payload["type"] == "Feature Request"
    assert set(payload["custom_fields"]) == {f"cf_{key}" for key in own}  # type: ignore[arg-type]


# -- the ticket reads, against the emulator ---------------------------------------------------


@pytest.fixture(scope="module")
def account() -> FreshdeskSandbox:
    """A small generated account whose tickets have files on their descriptions and on
    replies, and one ticket with more than a hundred conversations."""
    return FreshdeskSandbox(tickets=100, seed=7, instance="old", clock=ManualClock())


def _read(account: FreshdeskSandbox, strategy: TicketRead) -> tuple[list[Ticket], Counter[str]]:
    source = FreshdeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=ManualClock(),
        ticket_read=strategy,
    )
    first = len(account.freshdesk.requests)
    tickets = [
        r
        for batch in source.read(Kind.TICKET)
        for r in batch.records
        if isinstance(r, Ticket) and not r.deleted
    ]
    calls = Counter(
        "view" if path.count("/") == 4 else path.rsplit("/", 1)[1]
        for method, path, status, _ in account.freshdesk.requests[first:]
        if path.startswith("/api/v2/tickets/") and status == 200
    )
    return tickets, calls


def _truth(account: FreshdeskSandbox) -> dict[str, int]:
    backend = account.backend
    live = list(backend.live_ticket_ids())
    conversations = {t: backend.conversations(t) for t in live}
    return {
        "tickets": len(live),
        "comments": len(live) + sum(len(c) for c in conversations.values()),
        "description_files": sum(
            len(backend.ticket_view(t).get("attachments") or ()) for t in live
        ),
        "reply_files": sum(
            len(c.get("attachments") or ()) for cs in conversations.values() for c in cs
        ),
        "longest": max(len(c) for c in conversations.values()),
        "conversation_pages": sum(max(1, -(-len(c) // 100)) for c in conversations.values()),
    }


@pytest.mark.parametrize("strategy", [TicketRead.VIEW, TicketRead.EMBEDDED])
def test_the_lossless_reads_read_every_comment_and_file(
    account: FreshdeskSandbox, strategy: TicketRead
) -> None:
    truth = _truth(account)
    assert truth["longest"] > 100
    assert truth["description_files"] > 0
    tickets, calls = _read(account, strategy)
    assert len(tickets) == truth["tickets"]
    assert sum(len(t.comments) for t in tickets) == truth["comments"]
    assert sum(len(t.comments[0].attachments) for t in tickets) == truth["description_files"]
    files = sum(len(c.attachments) for t in tickets for c in t.comments[1:])
    assert files == truth["reply_files"]
    assert calls["view"] == truth["tickets"]  # each live ticket viewed once
    if strategy is TicketRead.VIEW:  # and its conversations listed, 100 a page
        assert calls["conversations"] == truth["conversation_pages"]


def test_the_cheapest_read_says_it_leaves_the_description_files(
    account: FreshdeskSandbox,
) -> None:
    truth = _truth(account)
    tickets, calls = _read(account, TicketRead.CONVERSATIONS)
    assert sum(len(t.comments) for t in tickets) == truth["comments"]
    assert sum(len(t.comments[0].attachments) for t in tickets) == 0
    assert calls["view"] == 0
    assert calls["conversations"] == truth["conversation_pages"]
    source = FreshdeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=ManualClock(),
        ticket_read="conversations",
    )
    assert source.describe().not_read == (DESCRIPTION_FILES_NOT_READ,)


def test_an_unknown_source_code_is_warned_once(
    account: FreshdeskSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    live = sorted(account.backend.live_ticket_ids())[:2]
    saved = {t: account.backend.ticket(t)["source"] for t in live}
    for ticket_id in live:
        account.backend._materialize(ticket_id).json["source"] = 42
    try:
        with caplog.at_level(logging.WARNING, logger="cemigrate.adapters.freshdesk.source"):
            tickets, _ = _read(account, TicketRead.CONVERSATIONS)
    finally:
        for ticket_id, code in saved.items():
            account.backend._materialize(ticket_id).json["source"] = code
    odd = [t for t in tickets if t.via.get("source") == 42]
    assert len(odd) == 2
    assert all(t.channel is Channel.OTHER for t in odd)
    assert sum("ticket source 42" in r.getMessage() for r in caplog.records) == 1


# -- custom types and source codes reach other platforms ---------------------------------------


def _account_with_own_types(clock: ManualClock) -> tuple[FreshdeskSandbox, dict[str, str]]:
    """A Freshdesk account where an admin added the types "Feature Request" and "Refund" and
    tickets arrived through WhatsApp (13) and a channel cemigrate does not know (42)."""
    account = FreshdeskSandbox(
        tickets=6, seed=3, instance="old", clock=clock, domain="old.freshdesk.com"
    )
    backend = account.backend
    for field in backend.fields["ticket"].values():
        if field["name"] == "ticket_type":
            field["choices"] = [*field["choices"], "Feature Request", "Refund"]
    first, second = sorted(backend.live_ticket_ids())[:2]
    backend._materialize(first).json.update(type="Feature Request", source=13)
    backend._materialize(second).json.update(type="Refund", source=42)
    own = {  # the demo desk's own typed tickets too
        str(i): str(backend._materialize(i).json.get("type"))
        for i in backend.live_ticket_ids()
        if backend._materialize(i).json.get("type") in ("Feature Request", "Refund")
    }
    return account, {**own, str(first): "Feature Request", str(second): "Refund"}


def _agents(account: FreshdeskSandbox) -> list[tuple[str, str, bool]]:
    """Name, e-mail and whether an admin, of each agent of the account."""
    backend = account.backend
    admins = {
        role_id
        for role_id, role in backend.roles.items()
        if str(role["name"]).lower() in convert.ADMIN_ROLE_NAMES
    }
    found = []
    for agent in backend.agents.values():
        contact = agent.get("contact") or {}
        if contact.get("email"):
            name = str(contact.get("name") or contact["email"])
            admin = bool(admins & set(agent.get("role_ids") or ()))
            found.append((name, str(contact["email"]), admin))
    return found


def _zendesk(clock: ManualClock, account: FreshdeskSandbox) -> tuple[Any, Any]:
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.source import ZendeskSource
    from cemigrate.adapters.zendesk.target import ZendeskTarget
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    del account
    desk = ZendeskSandbox(tickets=0, empty=True, clock=clock, subdomain="new")
    credentials = ZendeskCredentials(email=desk.email, token=desk.token)
    options = {"base_url": desk.base_url, "clock": clock, "credentials": credentials}
    target = ZendeskTarget(session=desk.session(authenticated=False), **options)
    view = ZendeskSource(
        instance="target", session=desk.session(authenticated=False), sla_events=False, **options
    )
    return target, view


def _salesforce(clock: ManualClock, account: FreshdeskSandbox) -> tuple[Any, Any]:
    from cemigrate.adapters.salesforce.client import SalesforceCredentials
    from cemigrate.adapters.salesforce.source import SalesforceSource
    from cemigrate.adapters.salesforce.target import SalesforceTarget
    from cemigrate.sandbox.salesforce import SalesforceSandbox

    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    for name, email, admin in _agents(account):  # Users exist before a migration: licences
        profile = "System Administrator" if admin else "Standard User"
        org.add_user(name=name, email=email, profile=profile, active=True)
    credentials = SalesforceCredentials(access_token=org.access_token)
    options = {"instance_url": org.base_url, "clock": clock, "credentials": credentials}
    target = SalesforceTarget(session=org.session(authenticated=False), **options)
    view = SalesforceSource(
        instance="target", session=org.session(authenticated=False), target_view=True, **options
    )
    return target, view


@pytest.mark.parametrize("make", [_zendesk, _salesforce], ids=["zendesk", "salesforce"])
def test_own_types_and_unknown_codes_reach_the_target_as_values(make: Any) -> None:
    clock = ManualClock()
    account, types = _account_with_own_types(clock)
    source = FreshdeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=clock,
    )
    target, view = make(clock, account)
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        assert report.status == "completed"
        assert report.failed == 0
        entries = ledger.lookup([f"old:ticket:{ticket_id}" for ticket_id in types])
        clock.advance(120)
        checked = Reconciliation(
            sources=[source], target_view=view, ledger=ledger, target=target
        ).run()
    assert [f.message for f in checked.findings] == []
    written = {entries[f"old:ticket:{t}"].target_id: name for t, name in types.items()}
    assert all(entry.state is EntryState.DONE for entry in entries.values())
    back = {
        r.id: r
        for batch in view.read(Kind.TICKET)
        for r in batch.records
        if isinstance(r, Ticket) and r.id in written
    }
    assert set(back) == set(written)
    codes = {}
    for target_id, name in written.items():
        ticket = back[target_id]
        assert name in ticket.custom_fields.values()  # the dropdown value, as the source had it
        origin = next(
            parse_origin(v) for k, v in ticket.custom_fields.items() if "cemigrate_origin" in k
        )
        assert origin is not None
        codes[target_id] = origin["via"]["source"]  # type: ignore[index,call-overload]
    first, second = sorted(types, key=int)[:2]  # WhatsApp (13) and an unknown channel (42)
    assert codes[entries[f"old:ticket:{first}"].target_id] == 13
    assert codes[entries[f"old:ticket:{second}"].target_id] == 42


def test_the_dry_run_and_the_run_report_say_what_the_cheapest_read_leaves() -> None:
    clock = ManualClock()
    account, _ = _account_with_own_types(clock)
    source = FreshdeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=clock,
        ticket_read=TicketRead.CONVERSATIONS,
    )
    target, _ = _zendesk(clock, account)
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        report = migration.run(dry_run=True)
    assert report.not_read == (DESCRIPTION_FILES_NOT_READ,)
    assert f"not read: {DESCRIPTION_FILES_NOT_READ}" in report.table()
    assert report.as_dict()["not_read"] == [DESCRIPTION_FILES_NOT_READ]


def test_a_long_thread_keeps_its_addresses_once_so_the_ticket_fits_its_origin() -> None:
    replies = [
        {
            "id": 1000 + i,
            "body": "<div>again</div>",
            "private": False,
            "user_id": 5 if i % 2 else 6,
            "source": 0,
            "category": 3 if i == 0 else None,
            "support_email": "help@acme.test",
            "from_email": "ann@client.test" if i % 2 else '"Bob" <help@acme.test>',
            "to_emails": ["help@acme.test"] if i % 2 else ["ann@client.test"],
            "cc_emails": ["boss@client.test"] if i == 7 else [],
            "created_at": "2024-01-02T11:00:00Z",
        }
        for i in range(600)
    ]
    short = convert.ticket(_ticket(), replies[:20])
    assert short.comments[1].metadata["from_email"] == '"Bob" <help@acme.test>'
    assert "conversation_addresses" not in short.via
    long = convert.ticket(_ticket(), replies)
    assert len(origin_text(long) or "") <= convert.ORIGIN_BUDGET
    assert long.via["conversation_addresses"] == [
        '"Bob" <help@acme.test>',
        "ann@client.test",
        "boss@client.test",
        "help@acme.test",
    ]
    assert long.comments[1].metadata == {"category": 3}  # kept; a reply's 0 is public+email
    assert all(not c.metadata for c in long.comments[2:])


def test_a_freshdesk_target_writes_types_as_its_own_and_refuses_one_it_lacks() -> None:
    clock = ManualClock()
    account, types = _account_with_own_types(clock)
    source = FreshdeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=account.api_key),
        session=account.session(authenticated=False),
        clock=clock,
    )
    new = FreshdeskSandbox(tickets=0, empty=True, clock=clock, domain="new.freshdesk.com")
    for name, email, admin in _agents(account):
        if email.lower() != new.backend.owner_email:
            new.add_agent(name=name, email=email, admin=admin)
    credentials = FreshdeskCredentials(api_key=new.api_key)
    options: dict[str, Any] = {
        "base_url": new.base_url,
        "credentials": credentials,
        "clock": clock,
    }
    target = FreshdeskTarget(session=new.session(authenticated=False), **options)
    view = FreshdeskSource(
        instance="target", session=new.session(authenticated=False), target_view=True, **options
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        failed = {f.key: f.platform_message for f in ledger.failures() if f.kind == "ticket"}
        clock.advance(120)
        checked = Reconciliation(
            sources=[source], target_view=view, ledger=ledger, target=target
        ).run()
    assert report.status == "completed"
    # "Feature Request" and "Refund" are not choices of the target's type field: each of those
    # tickets fails with Freshdesk's own words; no ticket_type field was created for them.
    assert set(failed) == {f"old:ticket:{t}" for t in types}
    assert all("type: It should be one of these values" in m for m in failed.values())
    assert all(f["name"] != "cf_ticket_type" for f in new.backend.fields["ticket"].values())
    # every other ticket (standard types) reads back as it was: no finding but the failed ones
    assert {f.source_id for f in checked.findings if f.kind == "ticket"} == set(types)


@pytest.mark.parametrize(
    ("given", "read"),
    [(None, TicketRead.VIEW), ("conversations", TicketRead.CONVERSATIONS), ("viewed", None)],
)
def test_the_plan_key_ticket_read_chooses_the_read(given: str | None, read: Any) -> None:
    from pathlib import Path

    from cemigrate.adapters.registry import PLATFORMS, AdapterSettings
    from cemigrate.errors import ConfigError

    build = PLATFORMS["freshdesk"].build_source
    assert build is not None
    options: dict[str, Any] = {"domain": "acme"}
    if given is not None:
        options["ticket_read"] = given
    settings = AdapterSettings(
        name="emea",
        options=options,
        credentials={"api_key": "secret"},
        base_dir=Path("."),
        clock=ManualClock(),
    )
    if read is None:
        with pytest.raises(ConfigError, match="ticket_read is 'viewed'"):
            build(settings)
        return
    source = build(settings)
    assert isinstance(source, FreshdeskSource)
    assert source.ticket_read is read


def test_a_ticket_of_thousands_of_threaded_conversations_keeps_an_origin_that_fits() -> None:
    # Every conversation names its thread and addresses: far more than one field holds.
    conversations = [
        {
            "id": 9000 + n,
            "body": f"<p>message {n}</p>",
            "body_text": f"message {n}",
            "private": False,
            "incoming": n % 2 == 0,
            "source": 0,
            "category": 3,
            "thread_id": 7_000_000 + n,
            "thread_message_id": 8_000_000 + n,
            "from_email": f"sender{n}@client.test",
            "to_emails": ["help@acme.test"],
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "user_id": 5,
        }
        for n in range(3000)
    ]
    data = {
        "id": 77,
        "subject": "long",
        "description": "<p>first</p>",
        "description_text": "first",
        "status": 2,
        "priority": 1,
        "source": 1,
        "requester_id": 5,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00Z",
    }
    ticket = convert.fitted_origin(convert.ticket(data, conversations, instance="old"))
    text = origin_text(ticket)
    assert text is not None
    assert len(text) <= convert.ORIGIN_BUDGET
    assert len(ticket.comments) == 3001  # no conversation is lost, only some details
    assert not any(k in c.metadata for c in ticket.comments for k in convert.THREAD_KEYS)
    # what had to go is counted where a reader of the origin sees it
    left_out = ticket.via["comment_details_left_out"]
    assert left_out == 3000
    assert all(not c.metadata for c in ticket.comments[1:])
    listed = ticket.via["conversation_addresses"]
    assert isinstance(listed, list)
    assert listed
    assert len(listed) + int(ticket.via["conversation_addresses_left_out"]) == 3001  # type: ignore[arg-type]
