"""Adapter contract tests on cassettes: each adapter's read path replays recorded exchanges.

By default every test replays ``cassettes/<platform>/<test>.cassette.json`` and nothing reaches a
network. ``CEMIGRATE_RECORD=sandbox`` re-records the emulator cassettes against the loopback
emulators; the ``live`` variants re-record them against a real account (``CEMIGRATE_LIVE=1``
and the variables of :data:`cemigrate.testing.cassettes.LIVE_ENV`). The test bodies compare what
the adapter made of each answer with the answer on tape, so they hold for whatever account the
cassette was recorded from. The ``real_zendesk_*`` cassettes carry real Zendesk payloads
(converted from historical recordings, see ``cassettes/zendesk/NOTICE.md``) and are replayed
only.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
import requests
from vcr.errors import CannotOverwriteExistingCassetteException

from cemigrate.adapters.contract import Source
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.adapters.zendesk.objects import BY_NAME
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.schema import (
    FieldDef,
    FieldType,
    Group,
    GroupMembership,
    Kind,
    Organization,
    Record,
    Role,
    Rule,
    RuleKind,
    SatisfactionRating,
    Ticket,
    User,
)
from cemigrate.testing.cassettes import (
    FILTERED,
    PLACEHOLDER_URLS,
    Mode,
    Recording,
    Scrubber,
    fake_emails,
    live_settings,
    mode_for,
    recording,
    redact_form,
    redact_json,
    redact_literals,
    redact_query,
    redact_signed_urls,
    redact_xml,
    replace_bases,
    vcr_config,
)

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
FAKE = re.compile(r"user\d+@example\.com")

T = TypeVar("T")
Tape = Callable[[str], contextlib.AbstractContextManager[Recording]]


@pytest.fixture(params=[False, pytest.param(True, marks=pytest.mark.live)], ids=["replay", "live"])
def tape(request: pytest.FixtureRequest) -> Tape:
    """Opens this test's cassette for a platform: replayed, or recorded in the live variant."""
    name = request.node.originalname

    def open_tape(platform: str) -> contextlib.AbstractContextManager[Recording]:
        return recording(platform, name, directory=CASSETTES, live=bool(request.param))

    return open_tape


def read_all(source: Source, kind: Kind) -> list[Record]:
    """Every record of ``kind`` the source serves, across its batches."""
    return [record for batch in source.read(kind) for record in batch.records]


def of(kind: type[T], records: list[Record]) -> list[T]:
    """``records``, checked to be of one type."""
    assert all(isinstance(r, kind) for r in records)
    return [r for r in records if isinstance(r, kind)]


def listed(rec: Recording, path: str, key: str) -> list[dict[str, Any]]:
    """The records under ``key`` in every answer on tape to a request for ``path``."""
    return [item for body in rec.bodies(path) for item in body[key]]


# --- Zendesk --------------------------------------------------------------------------------


def test_zendesk_source_reads_users_groups_and_organizations(tape: Tape) -> None:
    with tape("zendesk") as rec:
        source = rec.source()
        users = of(User, read_all(source, Kind.USER))
        groups = of(Group, read_all(source, Kind.GROUP))
        organizations = of(Organization, read_all(source, Kind.ORGANIZATION))
        raw_users = listed(rec, r"/api/v2/incremental/users/cursor\.json", "users")
        raw_groups = listed(rec, r"/api/v2/groups\.json", "groups")
        raw_orgs = listed(rec, r"/api/v2/incremental/organizations\.json", "organizations")
        emails = [rec.scrub(u.email or "") for u in users]

    assert users
    assert groups
    assert organizations
    assert [(u.id, u.name) for u in users] == [(str(u["id"]), u["name"]) for u in raw_users]
    assert emails == [u["email"] or "" for u in raw_users]
    assert all(FAKE.fullmatch(e) for e in emails if e), "e-mail addresses on tape are fakes"
    roles = {"end-user": Role.END_USER, "agent": Role.AGENT, "admin": Role.ADMIN}
    assert [u.role for u in users] == [roles[u["role"]] for u in raw_users]
    assert [(g.id, g.name) for g in groups] == [(str(g["id"]), g["name"]) for g in raw_groups]
    assert [(o.id, o.name) for o in organizations] == [(str(o["id"]), o["name"]) for o in raw_orgs]


def test_zendesk_cursor_pages_follow_links_next(tape: Tape) -> None:
    with tape("zendesk") as rec:
        source = rec.source()
        assert isinstance(source, ZendeskSource)
        groups = BY_NAME["groups"].read
        assert groups is not None
        two_a_page = attrs.evolve(groups, page_size=2)
        pages = list(source.client.pages(two_a_page))
        requested = [q.query for q, _ in rec.exchanges(r"/api/v2/groups\.json")]
        raw = listed(rec, r"/api/v2/groups\.json", "groups")

    assert len(pages) >= 2, "more groups than one page of two"
    assert [p.last for p in pages] == [False] * (len(pages) - 1) + [True]
    assert all(len(p.records) <= 2 for p in pages)
    assert [g["id"] for p in pages for g in p.records] == [g["id"] for g in raw]
    assert all(p.position for p in pages), "each page carries the cursor that resumes after it"
    assert any(("page[after]", pages[0].position) in query for query in requested[1:])


def test_zendesk_source_reads_tickets_from_the_incremental_export(tape: Tape) -> None:
    with tape("zendesk") as rec:
        source = rec.source()
        tickets = of(Ticket, read_all(source, Kind.TICKET))
        raw = listed(rec, r"/api/v2/incremental/tickets/cursor\.json", "tickets")
        on_tape = "\n".join(rec.texts(r".*"))
        bodies = [rec.scrub(c.body_plain) for t in tickets for c in t.comments]

    assert tickets
    assert [(t.id, t.subject) for t in tickets] == [(str(t["id"]), t["subject"]) for t in raw]
    assert [t.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") for t in tickets] == [
        t["created_at"] for t in raw
    ]
    assert all(t.comments for t in tickets), "every ticket has at least its first comment"
    first_lines = [b.splitlines()[0] for b in bodies if b.strip()]
    assert first_lines
    assert all(json.dumps(line, ensure_ascii=False)[1:-1] in on_tape for line in first_lines)


# --- Zendesk, real payloads (replayed only) ------------------------------------------------


def test_zendesk_source_reads_real_organizations_users_and_groups() -> None:
    name = "real_zendesk_people_and_groups"
    with recording("zendesk", name, directory=CASSETTES, replay_only=True) as rec:
        source = rec.source()
        organizations = of(Organization, read_all(source, Kind.ORGANIZATION))
        users = of(User, read_all(source, Kind.USER))
        groups = of(Group, read_all(source, Kind.GROUP))
        memberships = of(GroupMembership, read_all(source, Kind.GROUP_MEMBERSHIP))

    assert [o.name for o in organizations] == ["Awesome-O", "Smersh"]
    assert len(users) == 4
    admin = next(u for u in users if u.name == "Sample Admin")
    assert admin.role is Role.ADMIN
    assert admin.organization is not None
    assert admin.organization.id == "20012227"
    assert len(admin.identities) == 2, "both recorded e-mail identities, sideloaded"
    assert all(FAKE.fullmatch(i.value) for i in admin.identities)
    assert sorted(u.role.value for u in users) == ["admin", "agent", "agent", "end_user"]
    # one recorded agent holds custom role 3692, which the account's role list names
    assert sorted(u.custom_role for u in users if u.custom_role) == ["Staff"]
    assert [(g.id, g.name) for g in groups] == [("20001662", "Support")]
    assert {(m.user.id, m.group.id) for m in memberships} == {
        ("20014182", "20001662"),
        ("20014327", "20001662"),
    }


def test_zendesk_source_reads_real_fields_rules_and_ratings() -> None:
    name = "real_zendesk_fields_rules_and_ratings"
    with recording("zendesk", name, directory=CASSETTES, replay_only=True) as rec:
        source = rec.source()
        fields = of(FieldDef, read_all(source, Kind.FIELD))
        rules = of(Rule, read_all(source, Kind.RULE))
        ratings = of(SatisfactionRating, read_all(source, Kind.SATISFACTION_RATING))

    # The seven system ticket fields are Zendesk's own: only the custom one is a field to copy.
    assert [(f.id, f.title, f.type) for f in fields] == [("20011432", "Age", FieldType.TEXT)]
    macros = [r for r in rules if r.kind is RuleKind.MACRO]
    views = [r for r in rules if r.kind is RuleKind.VIEW]
    assert [m.title for m in macros] == [
        "Close and redirect to topics",
        "Customer not responding",
        "Downgrade and inform",
        "Take it!",
    ]
    assert len(views) == 8
    assert "Unassigned tickets" in {v.title for v in views}
    assert all(m.actions for m in macros), "every macro's actions were read"
    assert len(ratings) == 8
    assert all(r.ticket is not None for r in ratings)


# --- Salesforce -----------------------------------------------------------------------------


def test_salesforce_source_logs_in_describes_and_reads_a_soql_page(tape: Tape) -> None:
    with tape("salesforce") as rec:
        source = rec.source()  # a SOAP login, unless an access token was given
        users = of(User, read_all(source, Kind.USER))
        logins = rec.texts(r"/services/Soap/u/[\d.]+")
        described = [b["name"] for b in rec.bodies(r"/services/data/v[\d.]+/sobjects/\w+/describe")]
        pages = rec.bodies(r"/services/data/v[\d.]+/query(All)?/")

    if "password" in rec.credentials:
        assert len(logins) == 1
        assert f"<sessionId>{FILTERED}</sessionId>" in logins[0]
    assert {"Contact", "User"} <= set(described)
    people = [r for page in pages for r in page["records"] if r["attributes"]["type"] in described]
    assert users
    assert {u.id for u in users} <= {r["Id"] for r in people}
    by_id = {r["Id"]: r for r in people}
    for user in users:
        row = by_id[user.id]
        assert rec.scrub(user.email or "") == (row.get("Email") or "")
        assert row.get("LastName", "") in user.name
    assert all(page["done"] for page in pages[-1:])


# --- Freshdesk ------------------------------------------------------------------------------


def test_freshdesk_source_reads_contacts_and_tickets(tape: Tape) -> None:
    with tape("freshdesk") as rec:
        source = rec.source()
        users = of(User, read_all(source, Kind.USER))
        tickets = of(Ticket, read_all(source, Kind.TICKET))
        contacts = [c for b in rec.bodies(r"/api/v2/contacts") for c in b]
        agents = [a for b in rec.bodies(r"/api/v2/agents") for a in b]
        listed_tickets = [t for b in rec.bodies(r"/api/v2/tickets") for t in b]

    assert users
    assert tickets
    raw_people = {str(c["id"]): c.get("email") for c in contacts} | {
        str(a["id"]): a["contact"].get("email") for a in agents
    }
    assert {u.id for u in users} == set(raw_people)
    assert all(rec.scrub(u.email or "") == (raw_people[u.id] or "") for u in users)
    assert {t.id for t in tickets} == {str(t["id"]) for t in listed_tickets}
    subjects = {str(t["id"]): t["subject"] for t in listed_tickets}
    assert all(t.subject == subjects[t.id] for t in tickets)
    assert all(t.comments for t in tickets), "the description is the first comment"


def test_freshdesk_list_pages_follow_the_link_header(tape: Tape) -> None:
    with tape("freshdesk") as rec:
        source = rec.source()
        assert isinstance(source, FreshdeskSource)
        every_ticket: dict[str, str | int] = {
            "per_page": 1,
            "updated_since": "2000-01-01T00:00:00Z",
        }
        pages = list(source.client.pages("/api/v2/tickets", every_ticket, per_page=False))
        links = [r["headers"].get("Link", [""])[0] for _, r in rec.exchanges(r"/api/v2/tickets")]

    assert len(pages) >= 2
    assert all(len(p.records) == 1 for p in pages)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert pages[-1].next_url is None
    assert all(p.next_url for p in pages[:-1])
    assert len({p.records[0]["id"] for p in pages}) == len(pages)
    assert all(link.startswith(f"<{PLACEHOLDER_URLS['freshdesk']}/") for link in links[:-1])


def test_freshdesk_source_reads_sample_companies_people_and_groups() -> None:
    name = "real_freshdesk_companies_people_and_groups"
    with recording("freshdesk", name, directory=CASSETTES, replay_only=True) as rec:
        source = rec.source()
        organizations = of(Organization, read_all(source, Kind.ORGANIZATION))
        users = of(User, read_all(source, Kind.USER))
        groups = of(Group, read_all(source, Kind.GROUP))
        memberships = of(GroupMembership, read_all(source, Kind.GROUP_MEMBERSHIP))

    # The groups list has no agent_ids: the members come from each group's view.
    assert sorted((m.group.id, m.user.id) for m in memberships) == [("1", "15"), ("1", "2")]
    assert [(o.name, o.domains) for o in organizations] == [
        ("Super Nova", ("supernova", "nova", "super")),
        ("Poseidon", ("poseidon",)),
    ]
    assert organizations[1].custom_fields["website"] == "https://www.poseidoncorp.org"
    rachel = next(u for u in users if u.name == "Rachel")
    assert rachel.role is Role.END_USER
    assert rachel.time_zone == "Brisbane"
    clark = next(u for u in users if u.name == "Clark Kent")
    assert clark.role is Role.AGENT
    assert clark.id == "432"
    assert all(u.email is not None and FAKE.fullmatch(u.email) for u in users)
    assert [(g.name, g.description) for g in groups] == [
        ("Entertainers", "Singers dancers and stand up comedians"),
        ("Helpdesk", "Helpdesk staff"),
    ]


# --- replay itself --------------------------------------------------------------------------


def test_replay_fails_loudly_on_a_request_not_on_tape() -> None:
    name = "real_zendesk_people_and_groups"
    with (
        recording("zendesk", name, directory=CASSETTES, replay_only=True) as rec,
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        requests.get(f"{rec.base_url}/api/v2/tickets.json", timeout=5)


def test_replay_matches_on_path_and_query_wherever_the_base_url_points() -> None:
    name = "real_zendesk_people_and_groups"
    with recording("zendesk", name, directory=CASSETTES, replay_only=True):
        answer = requests.get(
            "https://anywhere.invalid/api/v2/groups.json?page%5Bsize%5D=100", timeout=5
        )
    assert answer.json()["groups"][0]["name"] == "Support"


def test_a_missing_cassette_says_how_to_record_it(tmp_path: Path) -> None:
    with (
        pytest.raises(FileNotFoundError, match="CEMIGRATE_RECORD=sandbox"),
        recording("freshdesk", "nothing_here", directory=tmp_path, env={}),
    ):
        pass


def test_mode_comes_from_the_environment() -> None:
    assert mode_for(live=False, env={}) is Mode.REPLAY
    assert mode_for(live=False, env={"CEMIGRATE_RECORD": "sandbox"}) is Mode.SANDBOX
    assert mode_for(live=True, env={"CEMIGRATE_LIVE": "1"}) is Mode.LIVE
    assert mode_for(live=False, env={"CEMIGRATE_LIVE": "1"}) is Mode.REPLAY
    with pytest.raises(ValueError, match="sandbox"):
        mode_for(live=False, env={"CEMIGRATE_RECORD": "yes"})


def test_live_settings_read_the_variables_plans_name() -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@acme.test", "ZENDESK_TOKEN": "t0k"}
    settings = live_settings("zendesk", env)
    assert settings is not None
    assert settings.options == {"subdomain": "acme"}
    assert dict(settings.credentials) == {"email": "a@acme.test", "token": "t0k"}
    assert live_settings("zendesk", {"ZENDESK_TOKEN": "t0k"}) is None
    assert live_settings("freshdesk", {}) is None


# --- the filters, one by one ------------------------------------------------------------------


def test_fake_emails_are_stable_within_a_cassette() -> None:
    aliases: dict[str, str] = {}
    text = "jane.doe@acme-corp.com, bob@acme.test, Jane.Doe@ACME-corp.com, q=bob%40acme.test"
    assert fake_emails(text, aliases) == (
        "user1@example.com, user2@example.com, user1@example.com, q=user2%40example.com"
    )
    assert fake_emails("user2@example.com", aliases) == "user2@example.com"


def test_redact_json_filters_tokens_and_session_ids_at_any_depth() -> None:
    body = {
        "access_token": "00D!AQ-secret",
        "instance_url": "https://x",
        "nested": [{"sessionId": "s3ss"}, {"token": None}],
    }
    assert redact_json(body) == {
        "access_token": FILTERED,
        "instance_url": "https://x",
        "nested": [{"sessionId": FILTERED}, {"token": None}],
    }


def test_redact_form_query_and_xml() -> None:
    assert redact_form("grant_type=password&password=hunter2&client_id=app") == (
        f"grant_type=password&password={FILTERED}&client_id=app"
    )
    assert "k3y" not in redact_query("https://h/x?api_key=k3y&page=2")
    assert "page=2" in redact_query("https://h/x?api_key=k3y&page=2")
    soap = "<n1:username>u</n1:username><n1:password>pw</n1:password><sessionId>00D!x</sessionId>"
    assert redact_xml(soap) == (
        f"<n1:username>u</n1:username><n1:password>{FILTERED}</n1:password>"
        f"<sessionId>{FILTERED}</sessionId>"
    )


def test_replace_bases_and_literals() -> None:
    text = 'see https://acme.zendesk.com/api/v2/x.json and "https:\\/\\/acme.zendesk.com\\/y"'
    replaced = replace_bases(text, ["https://acme.zendesk.com"], "https://cassette.zendesk.com")
    assert "acme" not in replaced
    assert replaced.count("cassette.zendesk.com") == 2
    assert redact_literals("key=abcd1234 again abcd1234", ["abcd1234"]) == (
        f"key={FILTERED} again {FILTERED}"
    )


def test_redact_signed_urls_filters_signatures_and_attachment_tokens() -> None:
    text = (
        '"https://s3.amazonaws.com/a/b.png?X-Amz-Credential=AKIA1%2F2&X-Amz-Signature=abc123&x=1"'
        " https://acme.zendesk.com/attachments/token/Zt0k3n/?name=a.png"
    )
    redacted = redact_signed_urls(text)
    for secret in ("AKIA1", "abc123", "Zt0k3n"):
        assert secret not in redacted
    assert "&x=1" in redacted
    assert "/attachments/token/FILTERED/?name=a.png" in redacted


def test_binary_bodies_round_trip_through_a_cassette(tmp_path: Path) -> None:
    from cemigrate.sandbox.http import serve

    payload = bytes(range(256))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        yield payload

    with serve(app, port=0) as server:
        scrubber = Scrubber(placeholder="https://placeholder.test", bases=(server.url,))
        with vcr_config(scrubber, directory=tmp_path, record=True).use_cassette("bin.json"):
            recorded = requests.get(f"{server.url}/file", timeout=5).content
    replay = Scrubber(placeholder="https://placeholder.test")
    with vcr_config(replay, directory=tmp_path, record=False).use_cassette("bin.json"):
        replayed = requests.get("https://placeholder.test/file", timeout=5).content

    assert recorded == payload
    assert replayed == payload
    assert '"base64"' in (tmp_path / "bin.json").read_text()


# --- the filters, through vcrpy, against the loopback emulators -------------------------------


@pytest.fixture
def sandbox_env() -> dict[str, str]:
    """The environment of a recording against the loopback emulators."""
    return {"CEMIGRATE_RECORD": "sandbox"}


def written(folder: Path) -> str:
    """Every cassette file under ``folder``, as one text."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.json")))


def test_recording_zendesk_writes_no_authorization_or_email(
    tmp_path: Path, sandbox_env: dict[str, str]
) -> None:
    with recording("zendesk", "filters", directory=tmp_path, env=sandbox_env) as rec:
        source = rec.source()
        seen = [u.email for u in of(User, read_all(source, Kind.USER)) if u.email]
        server = rec.base_url
        basic = base64.b64encode(
            f"{rec.credentials['email']}/token:{rec.credentials['token']}".encode()
        ).decode()
    text = written(tmp_path)

    assert seen
    assert "@" in seen[0]
    assert "Authorization" not in text
    assert basic not in text
    assert rec.credentials["token"] not in text
    assert not any(email in text for email in seen), "no real e-mail address is written"
    assert not re.findall(r"[\w.+-]+@(?!example\.com)[\w-]+\.[\w.]+", text)
    assert server not in text
    assert "127.0.0.1" not in text
    assert PLACEHOLDER_URLS["zendesk"] in text


def test_recording_salesforce_writes_no_session_id_token_or_password(
    tmp_path: Path, sandbox_env: dict[str, str]
) -> None:
    with recording("salesforce", "filters", directory=tmp_path, env=sandbox_env) as rec:
        source = rec.source()  # SOAP login: username, password+token out, sessionId back
        assert isinstance(source, SalesforceSource)
        token = source.client.sf.session_id
        oauth = source.client.session.post(
            f"{rec.base_url}/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": "sandbox-consumer-key",
                "client_secret": "sandbox-consumer-secret",
                "username": rec.credentials["username"],
                "password": rec.credentials["password"] + rec.credentials["security_token"],
            },
            timeout=10,
        ).json()
        read_all(source, Kind.USER)
    text = written(tmp_path)

    assert oauth["access_token"] == token, "the emulator answered with the session's token"
    for secret in (
        token,
        rec.credentials["password"],
        rec.credentials["security_token"],
        rec.credentials["username"],
        "sandbox-consumer-secret",
    ):
        assert secret not in text
    assert f'"access_token": "{FILTERED}"' in text
    assert f"<sessionId>{FILTERED}</sessionId>" in text
    assert not re.findall(r"[\w.+-]+@(?!example\.com)[\w-]+\.[\w.]+", text)
    assert "127.0.0.1" not in text
    assert "demo.my.salesforce.com" not in text


def test_scrubber_through_vcrpy_filters_headers_cookies_and_bodies(tmp_path: Path) -> None:
    from cemigrate.sandbox.http import serve

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        host = environ["HTTP_HOST"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(length)  # the whole request, as a server reads it
        body = {
            "user": {"email": "jane.doe@acme-corp.com", "url": f"http://{host}/users/1"},
            "refresh_token": "r3fresh-t0ken",
            "received": length,
        }
        answer = json.dumps(body).encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(answer))),  # the client reads this much, not to EOF
                ("Set-Cookie", "sid=c00kie-value; Path=/"),
            ],
        )
        yield answer

    with serve(app, port=0) as server:
        scrubber = Scrubber(placeholder="https://placeholder.test", bases=(server.url,))
        config = vcr_config(scrubber, directory=tmp_path, record=True)
        with config.use_cassette("echo.cassette.json"):
            answer = requests.post(
                f"{server.url}/login?api_key=qu3ry-key",
                json={"email": "jane.doe@acme-corp.com", "password": "pa55word"},
                headers={"Authorization": "Bearer b3arer-token", "Cookie": "sid=c00kie-value"},
                auth=None,
                timeout=30,
            )
    text = written(tmp_path)

    assert answer.json()["refresh_token"] == "r3fresh-t0ken", "the caller saw the real answer"
    for secret in (
        "b3arer-token",
        "c00kie-value",
        "qu3ry-key",
        "pa55word",
        "r3fresh-t0ken",
        "jane.doe@acme-corp.com",
        "acme-corp",
        server.url,
    ):
        assert secret not in text
    assert text.count("user1@example.com") >= 2, "one address, one fake, request and answer"
    assert "https://placeholder.test/users/1" in text


@pytest.mark.parametrize("platform", ["zendesk", "freshdesk"])
def test_a_live_recording_takes_the_account_from_the_environment_and_hides_it(
    platform: str, tmp_path: Path
) -> None:
    # A loopback emulator stands in for the real account: only the environment names it.
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    email, secret = "owner@acme-support.test", "l1ve-secret-value"
    account = (
        ZendeskSandbox(tickets=2, email=email, token=secret)
        if platform == "zendesk"
        else FreshdeskSandbox(tickets=2, api_key=secret)
    )
    with account.serve() as server:
        env = {
            "CEMIGRATE_LIVE": "1",
            "ZENDESK_BASE_URL": server.url,
            "ZENDESK_EMAIL": email,
            "ZENDESK_TOKEN": secret,
            "FRESHDESK_BASE_URL": server.url,
            "FRESHDESK_API_KEY": secret,
        }
        with recording(platform, "live", directory=tmp_path, live=True, env=env) as rec:
            users = of(User, read_all(rec.source(), Kind.USER))
    text = written(tmp_path)

    assert rec.mode is Mode.LIVE
    assert users
    assert secret not in text
    assert email not in text
    assert server.url not in text
    assert PLACEHOLDER_URLS[platform] in text
