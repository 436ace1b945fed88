"""The Zendesk pair: an emulated account copied into another through the conformance suite."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
from collections.abc import Iterator
from typing import Any

from cemigrate.adapters import Source, Target
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.convert import SLA_NOTE_HEADING
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.ratelimit import Clock
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.sandbox.zendesk.models import iso
from cemigrate.schema import Record, Ticket
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.kill import (
    ZENDESK_ENV,
    Killable,
    ShiftedClock,
    zendesk_source_account,
    zendesk_source_plan,
    zendesk_target_account,
    zendesk_target_plan,
)
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot

_CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")


class EditableZendeskSource(ZendeskSource):
    """A Zendesk source whose account a test can change in place, as agents would."""

    def __init__(self, account: ZendeskSandbox, **options: Any) -> None:
        super().__init__(**options)
        self.account = account

    def put(self, record: Record) -> None:
        """Give a ticket of the account this record's subject and last-update time."""
        if not isinstance(record, Ticket):
            raise TypeError(f"only tickets can be changed here, not {record.KIND}")
        backend = self.account.backend
        with backend.lock:
            ticket = backend.tickets[int(record.id)]
            ticket["subject"] = record.subject
            ticket["updated_at"] = iso(record.updated_at)
            backend.ticket_state[int(record.id)].generated_timestamp = int(
                record.updated_at.timestamp()
            )
            backend.touch()


class ZendeskPair(AdapterPair):
    """Zendesk emulator → Zendesk emulator. ``seed`` must be the seed the suite generates
    its help desk with (the emulator seeds itself from the same generator)."""

    wire = True

    name = "zendesk-zendesk"

    def __init__(self, *, seed: int) -> None:
        self.seed = seed
        self._accounts: dict[int, tuple[ZendeskSandbox, Snapshot]] = {}

    def make_source(
        self, desk: HelpDesk, *, clock: Clock, faults: Faults, page_size: int | None = None
    ) -> Source:
        """An emulated account holding ``desk`` (Zendesk fixes its own page sizes)."""
        account = ZendeskSandbox(
            tickets=len(desk.tickets),
            seed=self.seed,
            instance=desk.instance,
            clock=clock,
            faults=faults.on_the_wire(),
            subdomain="old",
        )
        if account.backend.desk.tickets != desk.tickets:
            raise ValueError("ZendeskPair(seed=...) must be the suite's seed")
        clock.sleep(120)  # past Zendesk's one-minute export delay
        return EditableZendeskSource(
            account,
            instance=desk.instance,
            base_url=account.base_url,
            credentials=_CREDENTIALS,
            session=account.session(authenticated=False),
            clock=clock,
        )

    def make_target(self, *, clock: Clock, faults: Faults) -> Target:
        """A brand-new account (Zendesk's own ticket fields only)."""
        account = ZendeskSandbox(
            tickets=0,
            seed=self.seed,
            instance="new",
            clock=clock,
            faults=faults.on_the_wire(),
            empty=True,
        )
        target = FaultyTarget(
            ZendeskTarget(
                base_url=account.base_url,
                credentials=_CREDENTIALS,
                session=account.session(authenticated=False),
                clock=clock,
            ),
            faults,
        )
        self._accounts[id(target)] = (account, _snapshot(account))
        return target

    def with_faults(self, target: Target, faults: Faults) -> None:
        """Refusals and crashes from now on (throttling is set when the account is made)."""
        assert isinstance(target, FaultyTarget)
        target.set_faults(faults)

    def change(self, source: Source, record: Record) -> bool:
        """Put the record into the source account, as an agent's edit would."""
        assert isinstance(source, EditableZendeskSource)
        source.put(record)
        return True

    def broken_answers(self, target: Target) -> int:
        """The answers of ``target``'s account the faults broke."""
        account, _ = self._accounts[id(target)]
        return 0 if account.faults is None else int(account.faults.injected["garbled"])

    def snapshot(self, target: Target) -> Snapshot:
        """What the migration added to the account, identified without target ids."""
        account, baseline = self._accounts[id(target)]
        now = _snapshot(account)
        return {kind: sorted(set(rows) - set(baseline[kind])) for kind, rows in now.items()}

    @contextlib.contextmanager
    def killable(self) -> Iterator[Killable]:
        """A 2,000-ticket Zendesk → Zendesk migration on loopback, killed after a batch of users
        and after three batches of tickets."""
        clock = ShiftedClock()
        old = zendesk_source_account(clock, tickets=2000, seed=5)
        new = zendesk_target_account(clock, seed=5)
        clock.ahead = 120  # two minutes pass at once: every seeded record is exportable
        with old.serve() as old_server, new.serve() as new_server:
            moments = random.Random(20261122)
            kills = [
                ("user", moments.randint(1, 8)),
                *(("ticket", moments.randint(1, 6)) for _ in range(3)),
            ]
            yield Killable(
                plan=zendesk_source_plan(old_server.url) + zendesk_target_plan(new_server.url),
                env=ZENDESK_ENV,
                kills=tuple((f"{kind}: wrote a batch", batch, 0.0) for kind, batch in kills),
                check=lambda: _every_record_once(old, new),
            )


def _every_record_once(old: ZendeskSandbox, new: ZendeskSandbox) -> None:
    """Every live ticket of ``old`` once in ``new``, with its comments' visibility and one
    private SLA note; every user once."""
    live = {t.id: t for t in old.backend.desk.tickets if not t.deleted}
    imported = {t["external_id"]: tid for tid, t in new.backend.tickets.items()}
    assert len(imported) == len(new.backend.tickets), "a ticket was imported twice"
    assert set(imported) == {f"exchange:ticket:{i}" for i in live}
    for source_id, ticket in live.items():
        comments = new.backend.comments[imported[f"exchange:ticket:{source_id}"]]
        notes = [c for c in comments if c["plain_body"].startswith(SLA_NOTE_HEADING)]
        assert [c["public"] for c in notes] == [False], source_id  # its SLA history, private
        kept = [c["public"] for c in comments if c not in notes]
        assert kept == [c.public for c in ticket.comments], source_id
    emails = [u["email"].lower() for u in new.backend.users.values() if u.get("email")]
    assert len(emails) == len(set(emails)), "a user was created twice"
    wanted = {u.email.lower() for u in old.backend.desk.users if u.email}
    assert wanted <= set(emails), "a user is missing"


def _snapshot(account: ZendeskSandbox) -> dict[str, list[tuple[str, str]]]:
    """The account's records by a stable identity (external id or natural key), each with a
    fingerprint of what a person would check; target ids are translated to identities."""
    backend = account.backend
    users: dict[Any, str] = {
        uid: u.get("external_id") or u.get("email") or f"user#{uid}"
        for uid, u in backend.users.items()
    }
    orgs: dict[Any, str] = {
        oid: o.get("external_id") or o["name"] for oid, o in backend.organizations.items()
    }
    groups: dict[Any, str] = {gid: g["name"] for gid, g in backend.groups.items()}
    rows: dict[str, list[tuple[str, str]]] = {
        "field": [  # cemigrate's own fields (SLA history) are setup, not migrated records
            (f"{owner}:{f.get('key') or f.get('title')}", _digest(f.get("type"), f.get("title")))
            for owner, table in backend.fields.items()
            for f in table.values()
            if not str(f.get("title")).startswith("Cemigrate ")
        ],
        "organization": [(orgs[i], _digest(o["name"])) for i, o in backend.organizations.items()],
        "user": [
            (
                users[i],
                _digest(
                    u.get("email"),
                    u.get("role"),
                    u.get("suspended"),
                    orgs.get(u.get("organization_id")),
                ),
            )
            for i, u in backend.users.items()
        ],
        "group": [(g, _digest(g)) for g in groups.values()],
        "group_membership": [
            (f"{users.get(m['user_id'])}@{groups.get(m['group_id'])}", "")
            for m in backend.memberships.values()
        ],
        "ticket": [],
        "rule": [  # rules have no external id: by kind and title; migrated ones are inactive
            (f"{plural}:{r.get('title')}", _digest(r.get("active")))
            for plural, table in backend.rules.items()
            for r in table.values()
        ],
        "sla_policy": [  # by title; migrated ones hold the inactive guard
            (str(p.get("title")), _digest(p.get("filter"), p.get("policy_metrics")))
            for p in backend.sla_policies.values()
        ],
    }
    config = backend.config
    migrated = bool(backend.tickets)
    rows["brand"] = [(b["name"], _digest(b.get("active"))) for b in config.brands.values()]
    rows["ticket_form"] = [
        (f["name"], _digest(len(f.get("ticket_field_ids") or [])))
        for f in config.ticket_forms.values()
    ]
    rows["custom_status"] = [  # a category's default status is adopted: it counts once used
        (
            f"{s['status_category']}:{s['agent_label']}",
            "matched" if s.get("default") else _digest(s.get("active")),
        )
        for s in config.custom_statuses.values()
        if migrated or not s.get("default")
    ]
    rows["schedule"] = [
        (
            s["name"],
            _digest(
                s.get("time_zone"), sorted(h["name"] for h in config.holidays.get(i, {}).values())
            ),
        )
        for i, s in config.schedules.items()
    ]
    rows["organization_membership"] = [
        (f"{users.get(m['user_id'])}@{orgs.get(m['organization_id'])}", _digest(m.get("default")))
        for m in backend.organization_memberships.values()
    ]
    for ticket_id, ticket in backend.tickets.items():
        comments = [
            (
                c.get("public"),
                users.get(c.get("author_id")),
                c.get("created_at"),
                c.get("plain_body"),
                [a.get("file_name") for a in c.get("attachments") or []],
            )
            for c in backend.comments.get(ticket_id, [])
        ]
        identity = ticket.get("external_id") or f"ticket#{ticket_id}"
        rows["ticket"].append(
            (
                identity,
                _digest(
                    ticket.get("subject"),
                    ticket.get("status"),
                    ticket.get("created_at"),
                    users.get(ticket.get("requester_id")),
                    comments,
                ),
            )
        )
    return {kind: sorted(values) for kind, values in rows.items()}


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def account_source(
    account: ZendeskSandbox, *, instance: str, clock: Clock, **options: Any
) -> ZendeskSource:
    """A source reading the emulated ``account`` in process as ``instance``, on ``clock``, with
    the source's other ``options``."""
    return ZendeskSource(
        instance=instance,
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
        **options,
    )
