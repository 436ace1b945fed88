"""Late references: a record that refers to one its stream did not bring is not failed for
the ordering; the missing record is fetched by id and written first, or, when the source no
longer has it, replaced by a placeholder (or failed, as the mapping says)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cemigrate.adapters import Batch
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration, Mode
from cemigrate.errors import MappingError, RecordError
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import MappingFile
from cemigrate.ratelimit import ManualClock
from cemigrate.schema import Action, Condition, Kind, Organization, Record, Ref, Rule, Ticket, User

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class LaggingSource(MemorySource):
    """Its exports leave out users and organizations changed after ``horizon`` (as Zendesk's
    leave out the last minute), while its tickets and its reads by id serve everything."""

    def __init__(self, *args: object, horizon: datetime, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.horizon = horizon
        self.fetches: list[tuple[Kind, tuple[str, ...]]] = []

    def read(self, kind: Kind, cursor: str | None = None) -> Iterator[Batch]:
        for batch in super().read(kind, cursor):
            if kind not in (Kind.USER, Kind.ORGANIZATION):
                yield batch
                continue
            # Served in update order: the export ends at the first record after the horizon.
            kept = tuple(r for r in batch.records if _updated(r) <= self.horizon)
            if len(kept) == len(batch.records):
                yield batch
                cursor = batch.cursor
                continue
            if kept:
                last = kept[-1]
                cursor = json.dumps({"u": _updated(last).isoformat(), "id": last.id})
            yield Batch(records=kept, cursor=cursor)
            return

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        self.fetches.append((kind, tuple(ids)))
        return super().fetch(kind, ids)


def _updated(record: Record) -> datetime:
    updated = getattr(record, "updated_at", None)
    assert isinstance(updated, datetime)
    return updated


def ticket(number: int, requester: str) -> Ticket:
    return Ticket(
        id=str(number),
        subject=f"ticket {number}",
        description="",
        status="open",
        created_at=T0,
        updated_at=T0 + timedelta(hours=number),
        requester=Ref(kind="user", id=requester),
    )


def person(number: int, *, minutes: int = 0, organization: str | None = None) -> User:
    return User(
        id=str(number),
        name=f"user {number}",
        email=f"user{number}@example.com",
        updated_at=T0 + timedelta(minutes=minutes),
        organization=None if organization is None else Ref(kind="organization", id=organization),
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def source(records: dict[Kind, list[Record]], clock: ManualClock) -> LaggingSource:
    return LaggingSource(
        records, instance="emea", clock=clock, page_size=2, horizon=T0 + timedelta(minutes=5)
    )


def run(
    src: MemorySource, target: MemoryTarget, ledger: Ledger, mapping: MappingFile | None = None
) -> Migration:
    options = {} if mapping is None else {"mapping": mapping}
    return Migration(sources=[src], target=target, ledger=ledger, progress=False, **options)  # type: ignore[arg-type]


def test_a_user_the_export_left_out_is_fetched_and_written_before_its_tickets(
    ledger: Ledger,
) -> None:
    clock = ManualClock()
    late_org = Organization(id="o9", name="Late Ltd", updated_at=T0 + timedelta(minutes=30))
    src = source(
        {
            Kind.ORGANIZATION: [late_org],
            Kind.USER: [person(1), person(2, minutes=30, organization="o9")],
            Kind.TICKET: [ticket(n, "2" if n % 2 else "1") for n in range(1, 6)],
        },
        clock,
    )
    target = MemoryTarget(clock=clock)
    report = run(src, target, ledger).run()

    assert report.status == "completed"
    assert report.kinds["ticket"].created == 5
    assert report.kinds["ticket"].failed == 0
    # The late user came once, with its late organization written before it.
    assert sorted(r.data["email"] for r in target.records(Kind.USER)) == [
        "user1@example.com",
        "user2@example.com",
    ]
    assert [r.data["name"] for r in target.records(Kind.ORGANIZATION)] == ["Late Ltd"]
    assert report.kinds["user"].fetched == 1
    assert report.kinds["organization"].fetched == 1
    # One fetch per kind, never the same key twice (tickets of user 2 come in three batches).
    assert src.fetches == [(Kind.USER, ("2",)), (Kind.ORGANIZATION, ("o9",))]
    user_target = {r.external_id: r.target_id for r in target.records(Kind.USER)}
    for stored in target.records(Kind.TICKET):
        number = int(stored.external_id.rsplit(":", 1)[1])
        requester = "emea:user:2" if number % 2 else "emea:user:1"
        assert (
            stored.data["links"]["user:" + requester.rsplit(":", 1)[1]] == (user_target[requester])
        )
    # A delta, once the export serves the user, finds it unchanged: nothing written twice.
    src.horizon = T0 + timedelta(days=1)
    again = run(src, target, ledger).run(mode=Mode.DELTA)
    assert again.kinds["user"].unchanged == 1
    assert again.kinds["user"].created == 0
    assert len(target.records(Kind.USER)) == 2
    assert ledger.lookup(["emea:user:2"])["emea:user:2"].state is EntryState.DONE


def test_a_requester_the_source_no_longer_has_becomes_one_placeholder(ledger: Ledger) -> None:
    clock = ManualClock()
    src = source(
        {Kind.USER: [person(1)], Kind.TICKET: [ticket(n, "77") for n in range(1, 5)]}, clock
    )
    target = MemoryTarget(clock=clock)
    report = run(src, target, ledger).run()

    assert report.kinds["ticket"].created == 4
    assert report.kinds["ticket"].failed == 0
    assert report.kinds["user"].placeholder == 1
    placeholders = [r for r in target.records(Kind.USER) if r.external_id == "emea:user:77"]
    assert len(placeholders) == 1
    assert placeholders[0].data["name"] == "Deleted user 77"
    assert placeholders[0].data["deleted"] is True
    assert src.fetches == [(Kind.USER, ("77",))]
    # The user turns up after all: the placeholder is updated in place, not duplicated.
    src.put(person(77, minutes=1))
    again = run(src, target, ledger).run(mode=Mode.DELTA)
    assert again.kinds["user"].updated == 1
    stored = [r for r in target.records(Kind.USER) if r.external_id == "emea:user:77"]
    assert [r.data["name"] for r in stored] == ["user 77"]


def test_the_fail_policy_fails_the_record_naming_the_reference(ledger: Ledger) -> None:
    clock = ManualClock()
    src = source(
        {Kind.USER: [person(1)], Kind.TICKET: [ticket(1, "77"), ticket(2, "1"), ticket(3, "77")]},
        clock,
    )
    target = MemoryTarget(clock=clock)
    mapping = MappingFile.from_dict({"users": {"missing": "fail"}})
    report = run(src, target, ledger, mapping).run()

    assert report.kinds["ticket"].created == 1
    assert report.kinds["ticket"].failed == 2
    assert report.kinds["user"].placeholder == 0
    failures = {f.key: f.reason for f in ledger.failures()}
    assert "user:77" in failures["emea:ticket:1"]
    assert src.fetches == [(Kind.USER, ("77",))]
    assert [r.external_id for r in target.records(Kind.USER)] == ["emea:user:1"]


def test_the_mapping_file_rejects_an_unknown_missing_policy() -> None:
    with pytest.raises(MappingError, match=r"users\.missing"):
        MappingFile.from_dict({"users": {"missing": "ignore"}})


def test_the_dry_run_predicts_the_late_references_and_placeholders(ledger: Ledger) -> None:
    clock = ManualClock()
    late_org = Organization(id="o9", name="Late Ltd", updated_at=T0 + timedelta(minutes=30))
    src = source(
        {
            Kind.ORGANIZATION: [late_org],
            Kind.USER: [person(1), person(2, minutes=30, organization="o9")],
            Kind.TICKET: [ticket(n, ("1", "2", "77")[n % 3]) for n in range(1, 7)],
        },
        clock,
    )
    target = MemoryTarget(clock=clock)
    dry = run(src, target, ledger).run(dry_run=True)
    assert target.records(Kind.USER) == []
    assert dry.problems == ()
    src.fetches.clear()
    real = run(src, target, ledger).run()
    for kind in ("organization", "user", "ticket"):
        assert dry.kinds[kind].created == real.kinds[kind].created, kind
        assert dry.kinds[kind].fetched == real.kinds[kind].fetched, kind
    assert dry.kinds["user"].placeholder == real.kinds["user"].placeholder == 1
    assert dry.kinds["ticket"].invalid == 0
    assert real.kinds["ticket"].failed == 0


def test_the_run_table_shows_fetched_and_placeholder_columns_only_when_they_happened(
    ledger: Ledger,
) -> None:
    clock = ManualClock()
    src = source({Kind.USER: [person(1)], Kind.TICKET: [ticket(1, "77")]}, clock)
    target = MemoryTarget(clock=clock)
    report = run(src, target, ledger).run()
    rows = {line.split()[0]: line.split() for line in report.table().splitlines()[1:]}
    assert rows["kind"][-1] == "placeholder"
    assert "fetched" not in rows["kind"]  # user 77 was asked for; the source had none
    assert rows["user"][-1] == "1"
    assert rows["ticket"][-1] == "0"
    again = run(src, target, ledger).run()  # nothing late any more
    assert "placeholder" not in again.table()


def test_a_rule_naming_a_user_the_source_no_longer_has_makes_no_placeholder(
    ledger: Ledger,
) -> None:
    clock = ManualClock()
    rule = Rule(
        id="r1",
        kind="trigger",
        title="route",
        conditions_all=(Condition(field="assignee_id", operator="is", value="77"),),
        actions=(Action(field="status", value="open"),),
    )
    src = source({Kind.USER: [person(1)], Kind.RULE: [rule]}, clock)
    target = MemoryTarget(clock=clock)
    report = run(src, target, ledger).run()
    assert src.fetches == [(Kind.USER, ("77",))]  # looked for, once
    assert report.kinds["user"].placeholder == 0
    assert [r.external_id for r in target.records(Kind.USER)] == ["emea:user:1"]


class RefusingSource(LaggingSource):
    """Its reads by id are refused (a platform error, not a missing record)."""

    def fetch(self, kind: Kind, ids: Sequence[str]) -> tuple[Record, ...]:
        self.fetches.append((kind, tuple(ids)))
        raise RecordError("memory refused the read", platform_message="403-ish")


def test_a_refused_fetch_makes_no_placeholder_and_the_record_fails_as_before(
    ledger: Ledger,
) -> None:
    clock = ManualClock()
    src = RefusingSource(
        {Kind.USER: [person(1)], Kind.TICKET: [ticket(1, "77"), ticket(2, "1")]},
        instance="emea",
        clock=clock,
        horizon=T0 + timedelta(minutes=5),
    )
    target = MemoryTarget(clock=clock)
    report = run(src, target, ledger).run()
    assert report.status == "completed"
    assert report.kinds["ticket"].created == 1
    assert report.kinds["ticket"].failed == 1
    assert report.kinds["user"].placeholder == 0
    assert src.fetches == [(Kind.USER, ("77",))]
