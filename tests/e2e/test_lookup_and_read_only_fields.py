"""Lookup fields carried as references, read-only fields left out: Zendesk to Zendesk and to
the memory target, read back, reconciled, and the dry run's list of what it leaves out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from cemigrate.adapters import Batch, Metadata
from cemigrate.adapters.memory import MemoryTarget, MemoryTargetView
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import MappingFile, load_mapping, shipped_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Reconciliation
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.sandbox.zendesk.models import iso
from cemigrate.schema import FieldDef, FieldObject, FieldType, Kind, Role, Ticket, User

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
SCORE = "health_score"
"""A ticket field the source computes (as a Salesforce formula would): read-only."""


class ComputingSource(ZendeskSource):
    """A Zendesk account whose ``health_score`` field its platform computes: described and
    read as a read-only field with its formula, as a Salesforce source reads a formula."""

    def _computed(self, definition: FieldDef) -> FieldDef:
        if definition.key != SCORE:
            return definition
        return attrs.evolve(
            definition, read_only=True, formula="IF(ISPICKVAL(Status, 'New'), 1, 0)"
        )

    def describe(self) -> Metadata:
        meta = super().describe()
        return attrs.evolve(meta, fields=tuple(self._computed(f) for f in meta.fields))

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        for batch in super().read(kind, cursor):
            if kind is Kind.FIELD:
                records = tuple(
                    self._computed(r) if isinstance(r, FieldDef) else r for r in batch.records
                )
                batch = attrs.evolve(batch, records=records)
            yield batch


@attrs.define
class Desk:
    clock: ManualClock
    account: ZendeskSandbox
    source: ComputingSource
    manager: str
    """The source id of the agent the first ticket's ``account_manager`` names."""
    parent: str
    child: str
    """Source ids of a ticket and the ticket whose ``parent_case`` names it."""


def _field(account: ZendeskSandbox, body: dict[str, Any]) -> None:
    with account.backend.lock:
        account.backend.add_field("ticket", body)


def _values(
    account: ZendeskSandbox, ticket: int, values: dict[str, str], fields: dict[str, int]
) -> None:
    backend = account.backend
    with backend.lock:
        entries = backend.tickets[ticket]["custom_fields"]
        entries.extend({"id": fields[title], "value": value} for title, value in values.items())
        now = backend.now()
        backend.tickets[ticket]["updated_at"] = iso(now)
        backend.ticket_state[ticket].generated_timestamp = int(now.timestamp())
        backend.touch()


def _field_id(account: ZendeskSandbox, title: str) -> int:
    return next(int(i) for i, f in account.backend.fields["ticket"].items() if f["title"] == title)


@pytest.fixture
def desk() -> Desk:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=6, seed=3, instance="emea", clock=clock)
    # Lookup relationship fields as an admin adds them [Zendesk API reference: Lookup
    # Relationships, ``type: lookup`` with ``relationship_target_type``].
    _field(
        account,
        {"type": "lookup", "title": "Account manager", "relationship_target_type": "zen:user"},
    )
    _field(
        account,
        {"type": "lookup", "title": "Parent case", "relationship_target_type": "zen:ticket"},
    )
    _field(account, {"type": "text", "title": "Health score"})
    backend = account.backend
    with backend.lock:
        agents = sorted(i for i, u in backend.users.items() if u.get("role") == "agent")
        tickets = sorted(i for i in backend.tickets if not backend.ticket_state[i].deleted)
    parent, child = tickets[0], tickets[1]
    manager = agents[0]
    fields = {t: _field_id(account, t) for t in ("Account manager", "Parent case", "Health score")}
    # The values the account held (its tickets are closed: no update could set them now).
    _values(account, parent, {"Account manager": str(manager), "Health score": "1"}, fields)
    clock.advance(5)  # the parent changed first, so the export serves it first
    _values(account, child, {"Parent case": str(parent), "Health score": "0"}, fields)
    clock.advance(120)  # past Zendesk's one-minute export delay
    source = ComputingSource(
        instance="emea",
        base_url=account.base_url,
        credentials=CREDENTIALS,
        session=account.session(authenticated=False),
        clock=clock,
    )
    return Desk(clock, account, source, str(manager), str(parent), str(child))


def _done(ledger: Ledger, kind: Kind) -> dict[str, str]:
    return {
        e.source_id: e.target_id
        for e in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if e.target_id is not None
    }


def _tickets(records: Iterator[Batch]) -> dict[str, Ticket]:
    return {r.id: r for b in records for r in b.records if isinstance(r, Ticket)}


def _zendesk_target(desk: Desk) -> tuple[ZendeskTarget, ZendeskSandbox]:
    # Empty: a seeded account holds an agent under the source admin's e-mail, adopted as it is.
    account = ZendeskSandbox(
        tickets=0, empty=True, seed=9, instance="t", clock=desk.clock, subdomain="new"
    )
    target = ZendeskTarget(
        base_url=account.base_url,
        credentials=CREDENTIALS,
        session=account.session(authenticated=False),
        clock=desk.clock,
    )
    return target, account


def test_zendesk_to_zendesk_writes_lookups_as_the_targets_ids_and_leaves_the_formula_out(
    desk: Desk,
) -> None:
    target, account = _zendesk_target(desk)
    # One ticket a batch: the parent is in the target before the ticket naming it is sent.
    target.batch_size = {**target.batch_size, Kind.TICKET: 1}
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[desk.source], target=target, ledger=ledger, progress=False)
        plan = migration.dry_run()
        report = migration.run()
        assert report.status == "completed"
        assert report.failed == 0
        desk.clock.advance(120)
        view = ZendeskSource(
            instance="new",
            base_url=account.base_url,
            credentials=CREDENTIALS,
            session=account.session(authenticated=False),
            clock=desk.clock,
        )
        fields = {f.key: f for f in view.describe().fields if f.object is FieldObject.TICKET}
        # Native lookup relationship fields, and no writable copy of the computed one.
        assert fields["account_manager"].type is FieldType.LOOKUP
        assert fields["account_manager"].references is Kind.USER
        assert fields["parent_case"].references is Kind.TICKET
        assert SCORE not in fields
        tickets = _done(ledger, Kind.TICKET)
        users = _done(ledger, Kind.USER)
        back = _tickets(view.read(Kind.TICKET))
        parent, child = back[tickets[desk.parent]], back[tickets[desk.child]]
        assert parent.custom_fields["account_manager"] == users[desk.manager]
        assert child.custom_fields["parent_case"] == tickets[desk.parent]
        assert SCORE not in parent.custom_fields
        assert SCORE not in child.custom_fields
        assert "unlinked_lookups" not in report.table()
        # The dry run named the left-out field and counted its values.
        notes = {n.what.split(" (")[0]: n.count for n in plan.notes}
        assert notes[f"field {SCORE} left out"] == 2
        result = Reconciliation(
            sources=[desk.source], target_view=view, ledger=ledger, target=target
        ).run()
        # Rules and SLA policies are written inactive and switched on by the activation
        # step, which this test does not run: those findings are that step's, not ours.
        found = [f for f in result.findings if f.check != "rule.active_not_activated"]
        assert [(f.kind, f.source_id, f.message) for f in found] == []
        # The lookup is compared as the target's id: a wrong one is a finding.
        backend, field_id = account.backend, _field_id(account, "Parent case")
        with backend.lock:
            entries = backend.tickets[int(tickets[desk.child])]["custom_fields"]
            entry = next(e for e in entries if e["id"] == field_id)
            entry["value"] = users[desk.manager]
        wrong = Reconciliation(
            sources=[desk.source], target_view=view, ledger=ledger, target=target
        ).run()
        assert [(f.source_id, f.check) for f in wrong.findings if "custom" in f.check] == [
            (desk.child, "ticket.custom_field")
        ]


def test_zendesk_to_memory_keeps_the_formula_when_the_mapping_types_it(desk: Desk) -> None:
    target = MemoryTarget(keep_files=True)
    mapping = MappingFile.from_dict({"fields": {"ticket": {SCORE: {"type": "integer"}}}})
    with Ledger.open(":memory:") as ledger:
        migration = Migration(
            sources=[desk.source], target=target, ledger=ledger, mapping=mapping, progress=False
        )
        plan = migration.dry_run()
        assert not [n for n in plan.notes if "left out" in n.what]
        report = migration.run()
        assert report.failed == 0
        tickets = _done(ledger, Kind.TICKET)
        users = _done(ledger, Kind.USER)
        view = MemoryTargetView(target, instance="memory")
        back = _tickets(view.read(Kind.TICKET))
        parent, child = back[tickets[desk.parent]], back[tickets[desk.child]]
        assert parent.custom_fields["account_manager"] == users[desk.manager]
        assert parent.custom_fields[SCORE] == 1
        assert child.custom_fields[SCORE] == 0
        fields = {f.key: f for f in target.describe().fields}
        assert fields[SCORE].type is FieldType.INTEGER
        # Both tickets in one batch: the parent was not in the target yet when its child was
        # written, so the child's lookup is written empty and counted, in the dry run too.
        assert "parent_case" not in child.custom_fields
        assert report.kinds["ticket"].unlinked_lookups == 1
        assert plan.report.kinds["ticket"].unlinked_lookups == 1


def test_a_lookup_to_an_object_not_carried_is_text_and_listed(desk: Desk) -> None:
    _field(
        desk.account,
        {
            "type": "lookup",
            "title": "Linked device",
            "relationship_target_type": "zen:custom_object:asset",
        },
    )
    definition = next(f for f in desk.source.describe().fields if f.key == "linked_device")
    assert definition.type is FieldType.TEXT
    assert definition.description.startswith("Lookup to zen:custom_object:asset")
    with Ledger.open(":memory:") as ledger:
        plan = Migration(
            sources=[desk.source], target=MemoryTarget(), ledger=ledger, progress=False
        ).dry_run()
    assert any("field linked_device kept as source ids" in n.what for n in plan.notes)


def test_zendesk_to_freshdesk_keeps_lookups_as_the_targets_ids_in_text_fields(desk: Desk) -> None:
    from cemigrate.adapters.freshdesk.client import FreshdeskCredentials
    from cemigrate.adapters.freshdesk.source import FreshdeskSource
    from cemigrate.adapters.freshdesk.target import FreshdeskTarget
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox

    account = FreshdeskSandbox(tickets=0, empty=True, clock=desk.clock, domain="new.freshdesk.com")
    for batch in desk.source.read(Kind.USER):  # agents are paid seats: they exist first
        for person in batch.records:
            if isinstance(person, User) and person.role is not Role.END_USER and person.email:
                account.add_agent(
                    name=person.name, email=person.email, admin=person.role is Role.ADMIN
                )
    credentials = FreshdeskCredentials(api_key=account.api_key)
    options = {"base_url": account.base_url, "clock": desk.clock}
    target = FreshdeskTarget(
        credentials=credentials, session=account.session(authenticated=False), **options
    )
    target.batch_size = {**target.batch_size, Kind.TICKET: 1}
    mapping = load_mapping(shipped_mapping("zendesk", "freshdesk"))
    with Ledger.open(":memory:") as ledger:
        migration = Migration(
            sources=[desk.source], target=target, ledger=ledger, mapping=mapping, progress=False
        )
        report = migration.run()
        assert report.status == "completed"
        desk.clock.advance(120)
        view = FreshdeskSource(
            instance="target",
            credentials=credentials,
            session=account.session(authenticated=False),
            target_view=True,
            **options,
        )
        fields = {f.key: f for f in view.describe().fields if f.object is FieldObject.TICKET}
        manager_key = next(k for k in fields if k.startswith("account_manager"))
        parent_key = next(k for k in fields if k.startswith("parent_case"))
        assert fields[manager_key].type is FieldType.TEXT  # Freshdesk has no lookup
        assert not [k for k in fields if k.startswith(SCORE)]
        tickets = _done(ledger, Kind.TICKET)
        users = _done(ledger, Kind.USER)
        back = _tickets(view.read(Kind.TICKET))
        parent, child = back[tickets[desk.parent]], back[tickets[desk.child]]
        assert parent.custom_fields[manager_key] == users[desk.manager]
        assert child.custom_fields[parent_key] == tickets[desk.parent]
        result = Reconciliation(
            sources=[desk.source], target_view=view, ledger=ledger, target=target, mapping=mapping
        ).run()
        ours = (desk.parent, desk.child)
        custom = [f.message for f in result.findings if "custom" in f.check and f.source_id in ours]
        assert custom == []
