"""People and origins through the Zendesk adapters: what the source reads of users,
identities, organizations, organization memberships, ticket recipient/via and comment
metadata, and a Zendesk → Zendesk migration that keeps them, exactly once across resumes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.origin import ORIGIN_FIELD, ORIGIN_FIELD_DEF, origin_text, parse_origin
from cemigrate.adapters.zendesk import convert
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.errors import RecordError
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.zendesk import ZendeskSandbox, models
from cemigrate.schema import (
    Identity,
    Kind,
    Organization,
    OrganizationMembership,
    Record,
    Ref,
    Role,
    SourceKey,
    Ticket,
    User,
    refs_of,
)
from cemigrate.testing.desks import plain_desk
from cemigrate.testing.zendesk import account_source

TICKETS, SEED = 30, 3
IP = "203.0.113.9"
VIA = {
    "channel": "email",
    "source": {
        "from": {"address": "buyer@example.org", "name": "Buyer"},
        "to": {"address": "help@acme.example", "name": "Acme"},
        "rel": None,
    },
}


def enriched(desk: HelpDesk) -> HelpDesk:
    """A generated desk with what real accounts hold (until the dataset carries it): an agent
    with a custom role and settings, customers with secondary identities and a second
    organization, organizations with notes, groups and sharing, tickets with a recipient,
    a via and comments with the system's record (one of them private)."""
    groups_of: dict[str, list[Ref]] = {}
    for m in desk.memberships:
        groups_of.setdefault(m.user.id, []).append(m.group)
    agent = next(
        u for u in desk.users if u.role is Role.AGENT and u.id in groups_of and not u.deleted
    )
    customers = [
        u
        for u in desk.users
        if u.role is Role.END_USER and u.email and u.organization and not u.deleted
    ][:3]
    users = []
    for user in desk.users:
        if user.id == agent.id:
            user = attrs.evolve(
                user,
                custom_role="Team lead",
                external_id="hr-7",
                default_group=groups_of[user.id][0],
                ticket_restriction="groups",
                only_private_comments=True,
                alias="Lead",
                signature="Kind regards",
                details="Desk 4",
                notes="Handles escalations",
            )
        elif user in customers:
            n = customers.index(user)
            assert user.email is not None
            user = attrs.evolve(
                user,
                external_id=f"crm-{n}",
                notes="Prefers phone",
                identities=(
                    Identity(type="email", value=user.email, primary=True, verified=True),
                    Identity(type="email", value=f"second{n}@example.org"),
                    Identity(type="phone_number", value=f"+35121000000{n}"),
                ),
            )
        users.append(user)
    organizations = tuple(
        attrs.evolve(
            org,
            notes=f"Notes on {org.name}",
            external_id=f"org-{n}",
            group=Ref(kind=Kind.GROUP, id=desk.groups[n % len(desk.groups)].id),
            shared_tickets=True,
            shared_comments=n % 2 == 0,
        )
        for n, org in enumerate(desk.organizations)
    )
    memberships = []
    for n, customer in enumerate(customers):
        assert customer.organization is not None
        other = next(o for o in desk.organizations if o.id != customer.organization.id)
        memberships += [
            OrganizationMembership(
                id=str(365_990_000_000 + 2 * n),
                user=Ref(kind=Kind.USER, id=customer.id),
                organization=customer.organization,
                default=True,
            ),
            OrganizationMembership(
                id=str(365_990_000_001 + 2 * n),
                user=Ref(kind=Kind.USER, id=customer.id),
                organization=Ref(kind=Kind.ORGANIZATION, id=other.id),
            ),
        ]
    tickets = []
    for n, ticket in enumerate(desk.tickets):
        if n < 6 and ticket.comments and not ticket.deleted:
            comments = tuple(
                attrs.evolve(
                    c,
                    metadata={
                        "via": VIA,
                        "system": {"ip_address": IP, "location": "Lisbon, PT", "client": "Mail"},
                    },
                )
                for c in ticket.comments
            )
            ticket = attrs.evolve(ticket, recipient="help@acme.example", via=VIA, comments=comments)
        tickets.append(ticket)
    return attrs.evolve(
        desk,
        users=tuple(users),
        organizations=organizations,
        organization_memberships=tuple(memberships),
        tickets=tuple(tickets),
    )


def desk(instance: str) -> HelpDesk:
    return enriched(plain_desk(generate(tickets=TICKETS, seed=SEED, instance=instance)))


def source_account(monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> ZendeskSandbox:
    with monkeypatch.context() as patched:
        patched.setattr(
            models, "generate", lambda **params: enriched(plain_desk(generate(**params)))
        )
        account = ZendeskSandbox(
            tickets=TICKETS, seed=SEED, instance="old", clock=clock, subdomain="old"
        )
    # Brands are another part's (the source does not read them yet): tickets name none here.
    for data in account.backend.tickets.values():
        data["brand_id"] = None
    return account


def read_all(source: ZendeskSource, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in source.read(kind) for r in batch.records}


@pytest.mark.parametrize("comments", ["events", "per_ticket"])
def test_the_source_reads_people_and_origins_as_the_account_holds_them(
    monkeypatch: pytest.MonkeyPatch, comments: str
) -> None:
    clock = ManualClock()
    account = source_account(monkeypatch, clock)
    clock.advance(120)
    source = account_source(account, instance="old", clock=clock, comments=comments)
    held = desk("old")

    users = read_all(source, Kind.USER)
    for user in held.users:
        read = users[user.id]
        assert isinstance(read, User)
        for name in ("external_id", "default_group", "custom_role", "ticket_restriction"):
            assert getattr(read, name) == getattr(user, name), (user.id, name)
        for name in ("only_private_comments", "alias", "signature", "details", "notes"):
            assert getattr(read, name) == getattr(user, name), (user.id, name)
        if len(user.identities) == 3:
            assert {(i.type, i.value, i.primary) for i in read.identities} == {
                (i.type, i.value, i.primary) for i in user.identities
            }
            assert all(i.id.isdigit() for i in read.identities)

    organizations = read_all(source, Kind.ORGANIZATION)
    for org in held.organizations:
        read_org = organizations[org.id]
        assert isinstance(read_org, Organization)
        assert (read_org.notes, read_org.external_id, read_org.group) == (
            org.notes,
            org.external_id,
            org.group,
        )
        assert (read_org.shared_tickets, read_org.shared_comments) == (
            org.shared_tickets,
            org.shared_comments,
        )

    memberships = read_all(source, Kind.ORGANIZATION_MEMBERSHIP)
    for membership in held.organization_memberships:
        read_membership = memberships[membership.id]
        assert isinstance(read_membership, OrganizationMembership)
        assert (read_membership.user, read_membership.organization, read_membership.default) == (
            membership.user,
            membership.organization,
            membership.default,
        )

    tickets = read_all(source, Kind.TICKET)
    for ticket in held.tickets:
        if ticket.recipient is None:
            continue
        read_ticket = tickets[ticket.id]
        assert isinstance(read_ticket, Ticket)
        assert read_ticket.recipient == "help@acme.example"
        assert read_ticket.via == VIA
        assert [c.metadata for c in read_ticket.comments] == [
            {"via": VIA, "system": {"ip_address": IP, "location": "Lisbon, PT", "client": "Mail"}}
        ] * len(ticket.comments)


def migrate(old: ZendeskSandbox, new: ZendeskSandbox, clock: ManualClock, ledger: Path) -> Any:
    source = account_source(old, instance="old", clock=clock)
    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=ZendeskCredentials(email=new.email, token=new.token),
        session=new.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(ledger) as opened:
        migration = Migration(sources=[source], target=target, ledger=opened)
        report = migration.run()
        migration.close()
    return report


def held_by(new: ZendeskSandbox) -> dict[str, Any]:
    """What a person would count in the target: users, identities per user, memberships,
    tickets (keyed by what identifies them across runs)."""
    b = new.backend
    return {
        "users": Counter(u.get("external_id") or u.get("email") for u in b.users.values()),
        "identities": {
            uid: sorted((i["type"], i["value"]) for i in found)
            for uid, found in b.identities.items()
        },
        "memberships": Counter(
            (m["user_id"], m["organization_id"]) for m in b.organization_memberships.values()
        ),
        "tickets": Counter(t["external_id"] for t in b.tickets.values()),
    }


def test_a_zendesk_to_zendesk_migration_keeps_people_and_origins_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = ManualClock()
    old = source_account(monkeypatch, clock)
    new = ZendeskSandbox(
        tickets=0, seed=SEED + 1, instance="new", clock=clock, subdomain="new", empty=True
    )
    role = new.backend.add_custom_role("Team lead")
    clock.advance(120)
    report = migrate(old, new, clock, tmp_path / "ledger.sqlite")
    assert report.status == "completed"
    for kind in ("user", "organization", "organization_membership", "ticket"):
        assert report.kinds[kind].failed == 0, kind

    held, b = desk("old"), new.backend
    users = {u["external_id"]: u for u in b.users.values() if u.get("external_id")}
    by_email = {str(u.get("email")).lower(): u for u in b.users.values()}
    orgs = {o["external_id"]: o for o in b.organizations.values()}
    groups = {g["id"]: g["name"] for g in b.groups.values()}
    source_groups = {g.id: g.name for g in held.groups}
    source_of_user = {u["id"]: key.rsplit(":", 1)[1] for key, u in users.items()}
    source_of_user.update(
        {
            by_email[str(u.email).lower()]["id"]: u.id
            for u in held.users
            if f"old:user:{u.id}" not in users
        }
    )
    source_of_org = {o["id"]: key.rsplit(":", 1)[1] for key, o in orgs.items()}

    for user in held.users:
        # a user the target already held (matched by e-mail) keeps its own external id
        written = users.get(f"old:user:{user.id}") or by_email[str(user.email).lower()]
        identities = {(i["type"], i["value"].lower()) for i in b.identities.get(written["id"], ())}
        assert {(i.type, i.value.lower()) for i in user.identities} <= identities, user.id
        if user.custom_role:
            assert written["custom_role_id"] == role["id"]
            assert user.default_group is not None
            assert groups[written["default_group_id"]] == source_groups[user.default_group.id]
            assert (written["alias"], written["signature"], written["notes"]) == (
                user.alias,
                user.signature,
                user.notes,
            )
            assert (written["ticket_restriction"], written["only_private_comments"]) == (
                "groups",
                True,
            )
        if user.external_id:
            assert written["user_fields"]["cemigrate_external_id"] == user.external_id

    for org in held.organizations:
        written_org = orgs[f"old:organization:{org.id}"]
        assert written_org["notes"] == org.notes
        assert (written_org["shared_tickets"], written_org["shared_comments"]) == (
            org.shared_tickets,
            org.shared_comments,
        )
        assert org.group is not None
        assert groups[written_org["group_id"]] == source_groups[org.group.id]
        assert written_org["organization_fields"]["cemigrate_external_id"] == org.external_id

    source_pairs = {
        (m["user_id"], m["organization_id"]) for m in old.backend.organization_memberships.values()
    }
    target_pairs = {
        (int(source_of_user[m["user_id"]]), int(source_of_org[m["organization_id"]]))
        for m in b.organization_memberships.values()
        if m["user_id"] in source_of_user
    }
    assert target_pairs == source_pairs

    origin_field = next(f for f in b.fields["ticket"].values() if f["title"] == "Cemigrate origin")
    assert (origin_field["visible_in_portal"], origin_field["editable_in_portal"]) == (False, False)
    imported = {t["external_id"]: t for t in b.tickets.values()}
    for ticket in held.tickets:
        if ticket.recipient is None:
            continue
        written_ticket = imported[f"old:ticket:{ticket.id}"]
        assert written_ticket["recipient"] == "help@acme.example"
        value = next(
            c["value"] for c in written_ticket["custom_fields"] if c["id"] == origin_field["id"]
        )
        origin = parse_origin(value)
        assert origin is not None
        assert origin["recipient"] == "help@acme.example"
        assert [c["metadata"]["system"]["ip_address"] for c in origin["comments"]] == [  # type: ignore[index, union-attr]
            IP
        ] * len(ticket.comments)
        comments = b.comments[written_ticket["id"]]
        kept = [c for c in comments if not c["plain_body"].startswith("SLA history")]
        assert [c["public"] for c in kept][: len(ticket.comments)] == [
            c.public for c in ticket.comments
        ]
        assert not any(IP in c["html_body"] or IP in c["plain_body"] for c in comments)
    assert ORIGIN_FIELD == "cemigrate_origin"

    first = held_by(new)
    assert all(count == 1 for count in first["users"].values())
    assert all(count == 1 for count in first["memberships"].values())
    again = migrate(old, new, clock, tmp_path / "ledger.sqlite")
    assert again.status == "completed"
    assert held_by(new) == first  # a resume adds nothing


def test_users_and_memberships_sent_again_after_a_lost_answer_are_not_duplicated() -> None:
    """A batch whose answer was lost is sent again (no target ids known): the upsert finds the
    user by external id, its identities are not added twice, the membership is adopted."""
    clock = ManualClock()
    new = ZendeskSandbox(tickets=0, seed=1, instance="new", clock=clock, empty=True)
    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=ZendeskCredentials(email=new.email, token=new.token),
        session=new.session(authenticated=False),
        clock=clock,
    )
    b = new.backend
    oid = b.create_organization({"name": "Acme"})
    other = b.create_organization({"name": "Globex"})
    org, second = Ref(kind=Kind.ORGANIZATION, id="1"), Ref(kind=Kind.ORGANIZATION, id="2")
    user = User(
        id="7",
        name="Ana",
        email="ana@example.org",
        organization=org,
        identities=(
            Identity(type="email", value="ana@example.org", primary=True),
            Identity(type="email", value="ana.home@example.org"),
            Identity(type="phone", value="+351210000009"),  # another platform's type name
        ),
    )
    links = {org: str(oid), second: str(other)}
    sent = Outgoing(key=SourceKey("old", Kind.USER, "7"), record=user, links=links)
    files = _NoFiles()
    first = target.write(Kind.USER, [sent], files)
    uid = int(first[0].target_id or 0)
    b.identities[uid] = b.identities[uid][:1]  # as if only the e-mail had been made
    again = target.write(Kind.USER, [sent], files)
    assert again[0].target_id == first[0].target_id
    assert sorted((i["type"], i["value"]) for i in b.identities[uid]) == [
        ("email", "ana.home@example.org"),
        ("email", "ana@example.org"),
        ("phone_number", "+351210000009"),
    ]
    assert target.write(Kind.USER, [sent], files)[0].ok
    assert len(b.identities[uid]) == 3

    user_ref = Ref(kind=Kind.USER, id="7")
    membership = OrganizationMembership(id="70", user=user_ref, organization=second)
    out = Outgoing(
        key=SourceKey("old", Kind.ORGANIZATION_MEMBERSHIP, "70"),
        record=membership,
        links={user_ref: str(uid), second: str(other)},
    )
    made = target.write(Kind.ORGANIZATION_MEMBERSHIP, [out], files)
    fresh = ZendeskTarget(  # a new process: nothing remembered but what the account holds
        base_url=new.base_url,
        credentials=ZendeskCredentials(email=new.email, token=new.token),
        session=new.session(authenticated=False),
        clock=clock,
    )
    assert fresh.write(Kind.ORGANIZATION_MEMBERSHIP, [out], files) == made
    pairs = Counter(
        (m["user_id"], m["organization_id"]) for m in b.organization_memberships.values()
    )
    assert pairs == {(uid, oid): 1, (uid, other): 1}


class _NoFiles:
    """A file source for writes that carry no attachments."""

    def open_attachment(self, attachment: object) -> Any:
        raise AssertionError("no attachment is read")

    def sla_history(self, tickets: object) -> dict[str, Any]:
        return {}


def _ticket_out(ticket: Ticket) -> Outgoing:
    links = {ref: str(100 + n) for n, ref in enumerate(refs_of(ticket))}
    return Outgoing(key=SourceKey("old", Kind.TICKET, ticket.id), record=ticket, links=links)


def test_the_origin_field_is_private_and_an_origin_over_its_limit_fails_the_ticket() -> None:
    payload = convert.field_payload(ORIGIN_FIELD_DEF)
    assert (payload["visible_in_portal"], payload["editable_in_portal"]) == (False, False)

    ticket = next(t for t in desk("old").tickets if t.recipient)
    sent = convert.ticket_import_payload(
        _ticket_out(ticket), field_ids=_field_ids(ticket), upload_tokens=_tokens(ticket)
    )
    assert sent["recipient"] == "help@acme.example"
    origin = next(c["value"] for c in sent["custom_fields"] if c["id"] == 5)  # type: ignore[index, union-attr]
    assert parse_origin(origin) == parse_origin(origin_text(ticket))
    assert IP not in str(sent["comments"])  # the record stays out of every comment

    noisy = attrs.evolve(
        ticket,
        comments=tuple(
            attrs.evolve(c, metadata={"system": {"client": "x" * convert.MAX_TEXTAREA_CHARS}})
            for c in ticket.comments
        ),
    )
    with pytest.raises(RecordError, match="over the 65,535 a multi-line field"):
        convert.ticket_import_payload(
            _ticket_out(noisy), field_ids=_field_ids(ticket), upload_tokens=_tokens(ticket)
        )


def _field_ids(ticket: Ticket) -> dict[str, int]:
    return {ORIGIN_FIELD: 5} | {key: 10 + n for n, key in enumerate(ticket.custom_fields)}


def _tokens(ticket: Ticket) -> dict[str, str]:
    return {a.id: f"token-{a.id}" for c in ticket.comments for a in c.attachments}


def test_a_custom_role_the_target_lacks_leaves_the_plain_agent_role() -> None:
    agent = User(id="9", name="Lee", email="lee@example.org", role=Role.AGENT, custom_role="Staff")
    out = Outgoing(key=SourceKey("old", Kind.USER, "9"), record=agent)
    assert convert.user_payload(out, custom_roles={"Staff": 44})["custom_role_id"] == 44
    missing = convert.user_payload(out, custom_roles={"Team lead": 45})
    assert missing["role"] == "agent"
    assert "custom_role_id" not in missing


def test_a_users_address_is_kept_in_its_own_user_field_and_reads_back() -> None:
    person = User(id="7", name="Ada", email="ada@example.org", address="1 Harbour Road")
    outgoing = Outgoing(key=SourceKey("fd", Kind.USER, "7"), record=person, links={})
    body = convert.user_payload(outgoing)
    assert body["user_fields"] == {convert.USER_ADDRESS: "1 Harbour Road"}
    read = convert.user({**body, "id": 70})
    assert (read.address, read.custom_fields) == ("1 Harbour Road", {})
