"""Migrate, delta, then roll back into each of the three targets' emulators: what the migration
created is gone from the target, what an agent created in between is untouched, and a record an
agent worked on is kept and listed (and deleted with ``force``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest
import requests

from cemigrate.adapters import Source, Target
from cemigrate.adapters.freshdesk import convert as fd_convert
from cemigrate.adapters.origin import ORIGIN_FIELD_DEF
from cemigrate.adapters.salesforce.convert import FIELD_OBJECTS
from cemigrate.adapters.salesforce.objects import SETUP_FIELDS
from cemigrate.adapters.sla_history import SLA_HISTORY_FIELDS
from cemigrate.copier import Migration, Mode
from cemigrate.copier.rollback import rollback
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import Status
from cemigrate.testing.freshdesk import FreshdeskPair
from cemigrate.testing.pair import AdapterPair, Faults
from cemigrate.testing.salesforce import SalesforcePair
from cemigrate.testing.zendesk import ZendeskPair

SEED = 11
#: The records a migration creates that every target deletes; the account's setup (fields,
#: groups, rules, ...) is left where a target has no delete for it, and listed as left.
RECORDS = ("ticket", "organization", "organization_membership")


#: What each target cannot delete through its API, and so lists as left.
LEFT = {
    "zendesk": {"custom_status"},
    "salesforce": {"sla_policy", "schedule"},
    "freshdesk": {"sla_policy", "brand"},
}


@attrs.define
class Account:
    """The emulated target account behind a pair's target, and how an agent works in it."""

    emulator: Any
    agent: requests.Session
    create_ticket: Callable[[requests.Session], str]
    """An agent opens a ticket of their own; its target id."""
    work_on: Callable[[requests.Session, str], None]
    """An agent changes a ticket the migration wrote."""
    ticket_url: Callable[[str], str]
    """Where a ticket is read by its target id."""

    def holds(self, ticket: str) -> bool:
        """Whether the account still shows this ticket (not deleted, not in a trash)."""
        answer = self.agent.get(self.ticket_url(ticket))
        return answer.status_code == 200 and not answer.json().get("deleted")


def _zendesk(pair: Any, target: Target) -> Account:
    emulator = pair._accounts[id(target)][0]
    base = emulator.base_url

    def create(agent: requests.Session) -> str:
        # Through the import endpoint (the emulator's one way in), as an integration would.
        body = {
            "ticket": {
                "subject": "Card declined",
                "requester_id": min(emulator.backend.users),
                "comments": [{"body": "Opened by phone"}],
            }
        }
        answer = agent.post(f"{base}/api/v2/imports/tickets.json", json=body)
        return str(answer.json()["ticket"]["id"])

    def work(agent: requests.Session, ticket: str) -> None:
        body = {"ticket": {"comment": {"body": "Called the customer back", "public": False}}}
        agent.put(f"{base}/api/v2/tickets/{ticket}.json", json=body).raise_for_status()

    return Account(
        emulator, emulator.session(), create, work, lambda t: f"{base}/api/v2/tickets/{t}.json"
    )


def _salesforce(pair: Any, target: Target) -> Account:
    emulator = pair._orgs[id(target)][0]
    base = f"{emulator.base_url}/services/data/v62.0/sobjects/Case"

    def create(agent: requests.Session) -> str:
        return str(agent.post(base, json={"Subject": "Card declined"}).json()["id"])

    def work(agent: requests.Session, case: str) -> None:
        agent.patch(f"{base}/{case}", json={"Priority": "High"}).raise_for_status()

    return Account(emulator, emulator.session(), create, work, lambda t: f"{base}/{t}")


def _freshdesk(pair: Any, target: Target) -> Account:
    emulator = pair._accounts[id(target)][0]
    base = f"{emulator.base_url}/api/v2/tickets"

    def create(agent: requests.Session) -> str:
        body = {
            "email": "walk-in@example.org",
            "subject": "Card declined",
            "description": "Opened by phone",
            "status": 2,
            "priority": 1,
        }
        return str(agent.post(base, json=body).json()["id"])

    def work(agent: requests.Session, ticket: str) -> None:
        agent.put(f"{base}/{ticket}", json={"priority": 4}).raise_for_status()

    return Account(emulator, emulator.session(), create, work, lambda t: f"{base}/{t}")


PAIRS: dict[str, tuple[Callable[[], AdapterPair], Callable[[Any, Target], Account]]] = {
    "zendesk": (lambda: ZendeskPair(seed=SEED), _zendesk),
    "salesforce": (lambda: SalesforcePair(seed=SEED), _salesforce),
    "freshdesk": (lambda: FreshdeskPair(seed=SEED), _freshdesk),
}


@attrs.define
class World:
    pair: AdapterPair
    desk: HelpDesk
    clock: ManualClock
    source: Source
    target: Target
    account: Account
    ledger: Ledger

    def migrate(self, mode: Mode = Mode.FULL) -> None:
        Migration(
            sources=[self.source], target=self.target, ledger=self.ledger, progress=False
        ).run(mode=mode)

    def added(self, kind: str) -> list[tuple[str, str]]:
        """What the account holds of ``kind`` that it did not before the migration."""
        return list(self.pair.snapshot(self.target).get(kind, []))


def _world(name: str) -> World:
    make_pair, account_of = PAIRS[name]
    pair = make_pair()
    desk = generate(tickets=12, seed=SEED, instance="old")
    clock = ManualClock()
    source = pair.make_source(desk, clock=clock, faults=Faults())
    target = pair.make_target(clock=clock, faults=Faults())
    account = account_of(pair, target)
    # The ledger keeps the account's time, as a real one and its target agree on the time.
    ledger = Ledger.open(":memory:", now=account.emulator.backend.now)
    return World(pair, desk, clock, source, target, account, ledger)


def _edit_a_ticket(world: World) -> None:
    """A ticket changed in the source after the first run: the delta run updates it."""
    ticket = next(t for t in world.desk.tickets if t.status is not Status.CLOSED and not t.deleted)
    latest = max(t.updated_at for t in world.desk.tickets)
    new = attrs.evolve(
        ticket, subject=f"{ticket.subject} (edited)", updated_at=latest + timedelta(seconds=5)
    )
    assert world.pair.change(world.source, new)


def _done_tickets(world: World) -> dict[str, str]:
    """Target id → ledger key of each ticket the ledger holds as written."""
    return {
        str(e.target_id): e.key
        for e in world.ledger.entries(kind="ticket", state=EntryState.DONE)
        if e.target_id is not None
    }


def _salesforce_setup(world: World) -> tuple[set[str], set[str]]:
    """The org's custom fields on the objects fields land on (describe), but for cemigrate's
    own bookkeeping fields, and its flows (Tooling API), as an admin reads them."""
    base = f"{world.account.emulator.base_url}/services/data/v62.0"
    agent = world.account.agent
    own = {f"{f.sobject}.{f.name}" for f in SETUP_FIELDS}
    fields = {
        f"{sobject}.{field['name']}"
        for sobject in FIELD_OBJECTS.values()
        for field in agent.get(f"{base}/sobjects/{sobject}/describe").json()["fields"]
        if field["custom"]
    } - own
    answer = agent.get(f"{base}/tooling/query", params={"q": "SELECT Id FROM FlowDefinition"})
    return fields, {str(r["Id"]) for r in answer.json()["records"]}


def _freshdesk_setup(world: World) -> set[str]:
    """The account's custom ticket, contact and company fields (``object.label``), as an admin
    lists them, but for cemigrate's own bookkeeping fields (``prepare`` makes them; the
    ledger does not record them)."""
    base = f"{world.account.emulator.base_url}/api/v2"
    own = {
        d.title
        for d in (
            *fd_convert.CEMIGRATE_TICKET_FIELDS,
            *fd_convert.LABEL_FIELDS.values(),
            ORIGIN_FIELD_DEF,
            *SLA_HISTORY_FIELDS,
            *fd_convert.CEMIGRATE_COMPANY_FIELDS,
            *fd_convert.CEMIGRATE_CONTACT_FIELDS,
        )
    }
    lists = {
        "ticket": "admin/ticket_fields",
        "contact": "contact_fields",
        "company": "company_fields",
    }
    return {
        f"{owner}.{field['label']}"
        for owner, path in lists.items()
        for field in world.account.agent.get(f"{base}/{path}").json()
        if not field["default"] and field["label"] not in own
    }


def _identities(rows: list[tuple[str, str]]) -> set[str]:
    return {identity for identity, _ in rows}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_rollback_leaves_the_target_as_it_was_but_for_what_agents_did(name: str) -> None:
    world = _world(name)
    try:
        setup = _salesforce_setup(world) if name == "salesforce" else None
        fd_fields = _freshdesk_setup(world) if name == "freshdesk" else None
        world.migrate()
        if setup is not None:  # the run created fields and flows the rollback must delete
            fields, flows = _salesforce_setup(world)
            assert fields > setup[0]
            assert flows > setup[1]
        if fd_fields is not None:  # the run created the source's custom fields
            assert _freshdesk_setup(world) > fd_fields
        world.clock.advance(60)
        _edit_a_ticket(world)
        world.migrate(Mode.DELTA)
        migrated = {kind: _identities(world.added(kind)) for kind in RECORDS}
        assert migrated["ticket"], "the migration wrote no ticket"
        world.clock.advance(3600)  # an hour of work in the new desk
        agent = world.account.agent
        own = world.account.create_ticket(agent)
        open_ones = {t.id for t in world.desk.tickets if t.status is not Status.CLOSED}
        worked_on, worked_key = next(
            (tid, key)
            for tid, key in _done_tickets(world).items()
            if key.split(":")[-1] in open_ones
        )
        world.account.work_on(agent, worked_on)

        dry = rollback(world.target, world.ledger, dry_run=True)
        assert dry.deleted["ticket"] == len(migrated["ticket"]) - 1
        assert [(k.kind, k.target_id) for k in dry.kept] == [("ticket", worked_on)]
        assert _identities(world.added("ticket")) >= migrated["ticket"]  # nothing deleted

        report = rollback(world.target, world.ledger)
        kept = [line for line in report.table().splitlines() if line.startswith("kept ticket")]
        assert kept == [f"kept ticket {worked_on}: {report.kept[0].why}"]
        assert "changed in the target" in report.kept[0].why
        assert _identities(world.added("ticket")) & migrated["ticket"] == {worked_key}
        assert world.account.holds(own)
        assert world.account.holds(worked_on)
        for kind in ("organization", "organization_membership"):
            assert world.added(kind) == [], kind
        # Agents the migration matched carry its key now: they stay, as does the contact the
        # agent's own ticket made (Freshdesk); every user the migration created is gone.
        matched = {
            r.key for r in world.ledger.journal() if r.kind == "user" and r.action == "matched"
        }
        assert _identities(world.added("user")) - matched <= {"walk-in@example.org"}

        forced = rollback(world.target, world.ledger, force=True)
        assert forced.deleted["ticket"] == 1
        assert not forced.kept
        assert not _identities(world.added("ticket")) & migrated["ticket"]
        assert world.account.holds(own)
        assert not world.account.holds(worked_on)
        assert world.ledger.counts().get("ticket", {}).get("done", 0) == 0
        # Everything else the migration added is gone, but for the setup each platform cannot
        # delete through its API, which the rollback listed line by line as left.
        left = {item.kind for item in report.left}
        residue = {
            kind
            for kind, rows in world.pair.snapshot(world.target).items()
            if rows and kind not in ("ticket", "user")
        }
        assert residue <= left, residue - left
        assert left <= LEFT[name]
        if setup is not None:
            assert _salesforce_setup(world) == setup
        if fd_fields is not None:
            assert _freshdesk_setup(world) == fd_fields
        world.ledger.verify_journal()
    finally:
        world.ledger.close()
        world.target.close()
        world.source.close()
