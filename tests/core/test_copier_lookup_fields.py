"""The copier's field step with the memory adapters: a lookup never blocks nor fails the record
that holds it, a read-only field is left out unless the mapping types it."""

from __future__ import annotations

from datetime import UTC, datetime

from cemigrate.adapters.memory import MemorySource, MemoryTarget, MemoryTargetView
from cemigrate.adapters.memory.faults import MemoryFaults
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import READ_ONLY_POLICY
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Organization,
    Ref,
    Status,
    Ticket,
    User,
)

WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def _source() -> MemorySource:
    fields = [
        FieldDef(
            id="f1",
            object=FieldObject.TICKET,
            key="owner",
            title="Owner",
            type=FieldType.LOOKUP,
            references=Kind.USER,
        ),
        FieldDef(
            id="f2",
            object=FieldObject.ORGANIZATION,
            key="parent",
            title="Parent",
            type=FieldType.LOOKUP,
            references=Kind.ORGANIZATION,
        ),
        FieldDef(
            id="f3",
            object=FieldObject.TICKET,
            key="age_days",
            title="Age (days)",
            type=FieldType.INTEGER,
            read_only=True,
            formula="TODAY() - CreatedDate",
        ),
    ]
    users = [User(id=f"u{n}", name=f"User {n}", email=f"u{n}@example.com") for n in (1, 2, 3)]
    orgs = [
        Organization(id="o1", name="Parent"),
        Organization(id="o2", name="Child", custom_fields={"parent": "o1"}),
    ]
    tickets = [
        Ticket(
            id="1",
            subject="a",
            description="a",
            status=Status.OPEN,
            requester=Ref(kind=Kind.USER, id="u1"),
            created_at=WHEN,
            updated_at=WHEN,
            custom_fields={"owner": "u2", "age_days": 4},
        ),
        Ticket(
            id="2",
            subject="b",
            description="b",
            status=Status.OPEN,
            requester=Ref(kind=Kind.USER, id="u1"),
            created_at=WHEN,
            updated_at=WHEN,
            custom_fields={"owner": "u3", "age_days": 9},
        ),
    ]
    return MemorySource(
        {Kind.FIELD: fields, Kind.USER: users, Kind.ORGANIZATION: orgs, Kind.TICKET: tickets},
        instance="src",
    )


def test_a_lookup_to_a_record_that_failed_leaves_the_field_empty_and_the_record_written() -> None:
    # The target refuses user u3: the ticket naming it in a lookup is written all the same.
    target = MemoryTarget(faults=MemoryFaults(reject={"src:user:u3": "InvalidEmail"}))
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[_source()], target=target, ledger=ledger, progress=False)
        plan = migration.dry_run()
        report = migration.run()
        assert report.kinds["user"].failed == 1
        assert report.kinds["ticket"].created == 2
        assert report.kinds["ticket"].failed == 0
        assert report.kinds["ticket"].unlinked_lookups == 1
        # Organizations come in one batch: the child's parent was not in the target yet.
        assert report.kinds["organization"].unlinked_lookups == 1
        assert plan.report.kinds["ticket"].unlinked_lookups == 0  # a refusal only the write sees
        done = {(e.kind, e.source_id): e.target_id for e in ledger.entries(state=EntryState.DONE)}
        back = {
            r.id: r
            for b in MemoryTargetView(target, instance="m").read(Kind.TICKET)
            for r in b.records
        }
        first, second = back[done[("ticket", "1")]], back[done[("ticket", "2")]]
        assert first.custom_fields == {"owner": done[("user", "u2")]}
        assert second.custom_fields == {}  # no source id written where the target id belongs
        skipped = ledger.entries(kind="field", state=EntryState.SKIPPED)
        assert [e.source_id for e in skipped] == ["f3"]
        assert "age_days" not in {f.key for f in target.describe().fields}
        left_out = [n for n in plan.notes if f"age_days left out ({READ_ONLY_POLICY}" in n.what]
        assert [(n.count, n.examples) for n in left_out] == [(2, ("1", "2"))]


def test_a_lookup_left_empty_is_linked_by_the_next_full_run() -> None:
    source, target = _source(), MemoryTarget()
    with Ledger.open(":memory:") as ledger:
        first = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        # Both organizations in one batch: the child's parent was not in the target yet.
        assert first.kinds["organization"].unlinked_lookups == 1
        second = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        assert second.kinds["organization"].updated == 1
        assert second.kinds["organization"].unlinked_lookups == 0
        third = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        assert third.kinds["organization"].unchanged == 2
        done = {(e.kind, e.source_id): e.target_id for e in ledger.entries(state=EntryState.DONE)}
        view = MemoryTargetView(target, instance="m")
        orgs = {r.id: r for b in view.read(Kind.ORGANIZATION) for r in b.records}
        child = orgs[done[("organization", "o2")]]
        assert child.custom_fields == {"parent": done[("organization", "o1")]}
