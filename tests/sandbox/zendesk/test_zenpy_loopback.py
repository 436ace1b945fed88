"""Unmodified zenpy against the Zendesk emulator served over loopback HTTP.

zenpy always builds ``https://{subdomain}.{domain}``; a small forwarding transport adapter on
its session re-sends each request for ``https://demo.zendesk.com`` to the loopback server, as
a reverse proxy would. The calls are the ones our adapters make: incremental exports, lists,
a ticket's comments, an upload and a ticket import.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket

from cemigrate.clidoc import commands
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.zendesk import (
    DEFAULT_EMAIL,
    DEFAULT_TOKEN,
    PLAN_LIMITS,
    ZendeskSandbox,
    serve_zendesk,
)
from cemigrate.testing.loopback import ForwardingAdapter

TICKETS, SEED, INSTANCE = 40, 11, "demo"
PUBLIC_URL = "https://demo.zendesk.com"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def served(clock: ManualClock) -> Iterator[tuple[ZendeskSandbox, str]]:
    sandbox, server = serve_zendesk(
        port=0, tickets=TICKETS, seed=SEED, plan="enterprise", instance=INSTANCE, clock=clock
    )
    clock.advance(120)  # past the one-minute delay of incremental exports, without waiting
    try:
        yield sandbox, server.url
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)


@pytest.fixture
def forwarding(served: tuple[ZendeskSandbox, str]) -> ForwardingAdapter:
    return ForwardingAdapter(PUBLIC_URL, served[1])


@pytest.fixture
def zenpy(forwarding: ForwardingAdapter, clock: ManualClock) -> Iterator[Zenpy]:
    clock.advance(60)  # each test starts with a whole minute's allowance: zenpy never sleeps
    session = requests.Session()
    session.mount(PUBLIC_URL + "/", forwarding)
    try:
        yield Zenpy(subdomain="demo", email=DEFAULT_EMAIL, token=DEFAULT_TOKEN, session=session)
    finally:
        session.close()


def test_requests_really_cross_the_loopback(
    zenpy: Zenpy, forwarding: ForwardingAdapter, served: tuple[ZendeskSandbox, str]
) -> None:
    sandbox, _url = served
    before = len(sandbox.zendesk.requests)
    groups = list(zenpy.groups())
    assert groups
    assert forwarding.forwarded >= 1
    assert sandbox.zendesk.requests[before:][0][1].startswith("/api/v2/groups")


def test_incremental_cursor_export_pages_and_resumes_after_its_cursor(
    zenpy: Zenpy, desk: HelpDesk, clock: ManualClock
) -> None:
    export = zenpy.tickets.incremental(start_time=0, per_page=15)
    tickets = list(export)
    assert sorted(t.id for t in tickets) == sorted(int(t.id) for t in desk.tickets)
    deleted = [t.id for t in tickets if t.status == "deleted"]
    assert deleted == [int(t.id) for t in desk.tickets if t.deleted]
    assert export.end_of_stream is True
    after = export.after_cursor
    assert after

    assert list(zenpy.tickets.incremental(cursor=after)) == []  # nothing changed since

    imported = zenpy.ticket_import.create(
        Ticket(
            subject="Resumed after the cursor",
            requester_id=int(desk.users[0].id),
            comments=[Comment(body="Hello", author_id=int(desk.users[0].id))],
        )
    )
    clock.advance(61)  # out of the export's one-minute delay
    assert [t.id for t in zenpy.tickets.incremental(cursor=after)] == [imported.id]


def test_users_organizations_groups_and_fields(zenpy: Zenpy, desk: HelpDesk) -> None:
    users = list(zenpy.users.incremental(start_time=0, include=["identities"]))
    assert sorted(u.id for u in users) == sorted(int(u.id) for u in desk.users)
    roles = {u.id: u.role for u in users}
    agents = {int(u.id) for u in desk.users if u.role.value in ("agent", "admin")}
    assert {i for i, role in roles.items() if role in ("agent", "admin")} == agents

    organizations = list(zenpy.organizations.incremental(start_time=0))
    assert sorted(o.id for o in organizations) == sorted(int(o.id) for o in desk.organizations)
    assert sorted(o.id for o in zenpy.organizations()) == sorted(o.id for o in organizations)

    groups = list(zenpy.groups())
    assert sorted(g.name for g in groups) == sorted(g.name for g in desk.groups)

    titles = {f.id: f.title for f in zenpy.ticket_fields()}
    custom = {int(f.id): f.title for f in desk.fields if f.object.value == "ticket"}
    assert {i: titles.get(i) for i in custom} == custom  # beside the system fields


def test_a_tickets_comments_keep_their_public_flags_and_attachments(
    zenpy: Zenpy, desk: HelpDesk
) -> None:
    ticket = next(
        t for t in desk.tickets if not t.deleted and any(not c.public for c in t.comments)
    )
    comments = list(zenpy.tickets.comments(ticket=int(ticket.id)))
    assert [(c.id, c.public) for c in comments] == [(int(c.id), c.public) for c in ticket.comments]
    assert [len(c.attachments) for c in comments] == [len(c.attachments) for c in ticket.comments]


def test_an_upload_goes_into_an_imported_ticket_with_its_history(
    zenpy: Zenpy, desk: HelpDesk
) -> None:
    upload = zenpy.attachments.upload(io.BytesIO(b"%PDF-1.4 statement"), target_name="kyc.pdf")
    assert upload.token
    assert upload.attachment.file_name == "kyc.pdf"
    assert upload.attachment.size == len(b"%PDF-1.4 statement")

    author = int(next(u for u in desk.users if u.role.value == "agent").id)
    customer = int(next(u for u in desk.users if u.role.value == "end_user").id)
    created = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    imported = zenpy.ticket_import.create(
        Ticket(
            subject="Imported with history",
            requester_id=customer,
            created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            comments=[
                Comment(
                    body="Please find the statement attached",
                    author_id=customer,
                    created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    uploads=[upload.token],
                ),
                Comment(
                    body="Internal: checked",
                    author_id=author,
                    public=False,
                    created_at=(created + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
            ],
        )
    )
    assert imported.subject == "Imported with history"
    assert imported.created_at == "2021-03-04T05:06:07Z"

    comments = list(zenpy.tickets.comments(ticket=imported.id))
    assert [(c.author_id, c.public) for c in comments] == [(customer, True), (author, False)]
    assert [a.file_name for a in comments[0].attachments] == ["kyc.pdf"]
    assert comments[1].created_at == "2021-03-04T07:06:07Z"


def test_the_cli_plans_are_the_emulators_plans() -> None:
    serve = dict(commands())["sandbox", "serve"]
    plan = next(action for action in serve._actions if action.dest == "plan")
    assert set(PLAN_LIMITS) <= set(plan.choices or ())


def test_cemigrate_sandbox_serve_answers_zenpy_until_sigterm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command a user runs: zenpy reaches it with its own host overrides."""
    command = ["sandbox", "serve", "zendesk", "--port", "0", "--tickets", "12", "--seed", "3"]
    process = subprocess.Popen(
        [sys.executable, "-m", "cemigrate.cli", *command, "--plan", "team"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        line = process.stdout.readline()
        assert "zendesk sandbox on http://127.0.0.1:" in line, process.stderr.read()
        assert f"e-mail {DEFAULT_EMAIL}, API token {DEFAULT_TOKEN}" in line
        url = line.split(" on ", 1)[1].split()[0]
        monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
        monkeypatch.setenv("ZENPY_FORCE_NETLOC", url.removeprefix("http://"))
        session = requests.Session()
        zenpy = Zenpy(subdomain="demo", email=DEFAULT_EMAIL, token=DEFAULT_TOKEN, session=session)
        desk = generate(tickets=12, seed=3, instance="demo")
        live = [t for t in desk.tickets if not t.deleted]
        assert sorted(t.id for t in zenpy.tickets()) == sorted(int(t.id) for t in live)
        session.close()
        auth = (f"{DEFAULT_EMAIL}/token", DEFAULT_TOKEN)
        response = requests.get(f"{url}/api/v2/groups.json", auth=auth, timeout=5)
        assert response.headers["X-Rate-Limit"] == str(PLAN_LIMITS["team"])  # --plan team
        assert requests.get(f"{url}/api/v2/groups.json", timeout=5).status_code == 401
        process.terminate()  # SIGTERM
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == "zendesk sandbox stopped"
