"""The conformance suite every adapter pair passes.

A platform's whole test file for it is a few lines::

    from cemigrate.testing import conformance_suite
    from cemigrate.testing.memory import MemoryPair

    TestMemoryPair = conformance_suite(MemoryPair())

Each test drives a real :class:`~cemigrate.copier.Migration` over a generated help desk and
asserts what a user would see in the target: every record once, nothing missing, nothing
duplicated, the failures named. A pair with the optional ``killable()`` hook
(:class:`~cemigrate.testing.pair.KillablePair`) also gets the case that SIGKILLs ``cemigrate
run`` processes against emulators served on loopback and resumes them (marked ``slow``).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, cast

import attrs
import pytest

from cemigrate.adapters import Source, Target, registry
from cemigrate.adapters.memory import SimulatedCrash
from cemigrate.copier import Migration, Mode, RunReport
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import FieldDef, Kind, Ref, Status, Ticket, refs_of
from cemigrate.testing.kill import run_copier
from cemigrate.testing.pair import AdapterPair, Faults, KillablePair, Snapshot

CRASH_POINTS = ("pending", "sent", "done", "cursor")
"""The steps of the write protocol a run can die after."""


class Crasher:
    """A probe that kills the run at the ``nth`` time it reaches ``point``."""

    def __init__(self, point: str, nth: int) -> None:
        self.point = point
        self.remaining = nth
        self.fired = False

    def __call__(self, step: str) -> None:
        if step != self.point or self.fired:
            return
        self.remaining -= 1
        if self.remaining <= 0:
            self.fired = True
            raise SimulatedCrash(f"killed after step {step!r}")


IN_FLIGHT = 4
"""Target batches the suite keeps in flight (the copier's requests in flight, forced on)."""


@attrs.define
class Harness:
    """One source, one target and a ledger file, for one test."""

    pair: AdapterPair
    desk: HelpDesk
    ledger_path: Path
    clock: ManualClock = attrs.field(factory=ManualClock)
    source: Source = attrs.field(init=False)
    target: Target = attrs.field(init=False)
    page_size: int | None = None
    faults: Faults = attrs.field(factory=Faults)
    in_flight: int = IN_FLIGHT
    """Target batches in flight: the suite writes several at once (where the target takes
    them so), so every crash, kill and fault test runs with concurrency on."""

    def __attrs_post_init__(self) -> None:
        self.source = self.pair.make_source(
            self.desk, clock=self.clock, faults=self.faults, page_size=self.page_size
        )
        self.target = self.pair.make_target(clock=self.clock, faults=self.faults)

    def run(self, *, probe: Any = None, **options: Any) -> RunReport:
        """One run with a freshly opened ledger, as a new process would do."""
        ledger = Ledger.open(self.ledger_path)
        migration = Migration(
            sources=[self.source],
            target=self.target,
            ledger=ledger,
            probe=probe,
            progress=False,
            concurrency=self.in_flight,
        )
        try:
            return migration.run(**options)
        finally:
            ledger.close()

    def crash(self, *, probe: Any = None, **options: Any) -> None:
        """A run that must die (by the probe or the target's injected crash)."""
        with pytest.raises(SimulatedCrash):
            self.run(probe=probe, **options)

    def ledger(self) -> Ledger:
        """The ledger, opened for inspection (close it)."""
        return Ledger.open(self.ledger_path)

    def snapshot(self) -> Snapshot:
        """The target's content."""
        return self.pair.snapshot(self.target)


_LABELLED: Final = {
    "brand": Kind.BRAND,
    "form": Kind.TICKET_FORM,
    "custom_status": Kind.CUSTOM_STATUS,
}
"""A ticket's references a target may keep as labels (``TargetProfile.ticket_labels``)."""


def _label(record: Any) -> str:
    return str(getattr(record, "agent_label", None) or getattr(record, "name", ""))


def expected_counts(desk: HelpDesk, target: Target, source: Source | None = None) -> dict[str, int]:
    """How many records a clean copy of ``desk`` adds to ``target`` per kind: the kinds it
    writes (and ``source`` reads, when given), less what it declines by policy; users matched
    by e-mail collapse into one. A kind the target keeps only as a label on tickets
    (``TargetProfile.ticket_labels``) shows as the distinct labels the tickets it takes
    carry."""
    writable = target.describe().kinds
    if source is not None:
        writable = writable & source.describe().kinds
    # A computed field is left out unless a mapping gives it a type (none here), when the
    # source can tell it is computed (Freshdesk, for one, has no such fields to tell of).
    described = source.describe().fields if source is not None else desk.fields
    computed = {(f.object, f.key) for f in described if f.read_only}
    counts = {}
    for kind in Kind:
        records = desk.records(kind) if kind in writable else ()
        counts[kind.value] = sum(
            1
            for r in records
            if not target.declines(kind, r)
            and not (isinstance(r, FieldDef) and (r.object, r.key) in computed)
        )
    labels = registry.profile_for(target.platform).ticket_labels
    for attribute in labels:
        kind = _LABELLED[attribute]
        if kind not in writable:
            continue
        named = {str(r.id): _label(r) for r in desk.records(kind)}
        counts[kind.value] = len(
            {
                named[ref.id]
                for t in desk.tickets
                if (ref := getattr(t, attribute)) is not None
                and ref.id in named
                and not target.declines(Kind.TICKET, t)
            }
        )
    if Kind.USER in writable:
        emails = [u.email.strip().lower() for u in desk.users if u.email]
        counts[Kind.USER.value] -= len(emails) - len(set(emails))
    return counts


_RESUMES: Final = 60
"""Resumes a run whose writes lost their answers may take before the suite gives up."""


def conformance_suite(
    pair: AdapterPair, *, tickets: int = 40, seed: int = 11, page_size: int = 7
) -> type:
    """A pytest test class that checks ``pair`` against the adapter contract."""

    class ConformanceSuite:
        @pytest.fixture
        def desk(self) -> HelpDesk:
            return generate(tickets=tickets, seed=seed, instance="conf")

        @pytest.fixture
        def harness(self, desk: HelpDesk, tmp_path: Path) -> Harness:
            return Harness(pair, desk, tmp_path / "ledger.sqlite", page_size=page_size)

        @pytest.fixture
        def clean(self, desk: HelpDesk, tmp_path: Path) -> Snapshot:
            harness = Harness(pair, desk, tmp_path / "clean.sqlite", page_size=page_size)
            harness.run()
            return harness.snapshot()

        def test_full_copy_arrives_exactly_once(self, harness: Harness, desk: HelpDesk) -> None:
            report = harness.run()
            assert report.status == "completed"
            snapshot = harness.snapshot()
            expected = expected_counts(desk, harness.target, harness.source)
            for translated in (Kind.RULE, Kind.SLA_POLICY):
                rules = report.kinds.get(translated.value)
                if rules is not None and translated in harness.target.describe().kinds:
                    # A source presents the desk's rules and SLA policies in its own form
                    # (Freshdesk: automation rules), so what is translatable is counted from
                    # the run: every one read is created (inactive) or skipped by the
                    # untranslatable policy, once.
                    assert rules.created + rules.skipped == rules.read
                    assert rules.failed == 0
                    expected[translated.value] = rules.created
            for kind, count in expected.items():
                ids = [external_id for external_id, _ in snapshot.get(kind, [])]
                assert len(ids) == count, kind
                assert len(set(ids)) == len(ids), f"duplicate {kind} in the target"
            with harness.ledger() as ledger:
                assert all(c["pending"] == 0 and c["failed"] == 0 for c in ledger.counts().values())
                assert ledger.verify_journal() > 0

        @pytest.mark.parametrize("kind", [Kind.USER, Kind.ORGANIZATION])
        def test_fetch_by_id_serves_what_read_serves(self, harness: Harness, kind: Kind) -> None:
            source = harness.source
            if kind not in source.describe().kinds:
                pytest.skip(f"{source.platform} does not serve {kind}")
            served = {r.id: r for batch in source.read(kind) for r in batch.records}
            if not served:
                pytest.skip(f"the help desk has no {kind}")
            wanted = sorted(served)[:: max(1, len(served) // 5)]
            fetched = source.fetch(kind, wanted)
            if not fetched and type(source).fetch is Source.fetch:
                return  # a source that declares no reads by id (the default)
            assert {r.id: r for r in fetched} == {i: served[i] for i in wanted}
            numeric = [int(i) for i in served if i.isdigit()]
            if numeric:  # an id the source never had is left out, not an error
                assert source.fetch(kind, [str(max(numeric) + 10**6)]) == ()

        def test_every_page_is_read(self, harness: Harness, desk: HelpDesk) -> None:
            report = harness.run()
            assert report.kinds["ticket"].read == len(desk.tickets)
            assert len(desk.tickets) > 3 * page_size  # several pages were needed

        @pytest.mark.parametrize("point", CRASH_POINTS)
        @pytest.mark.parametrize("nth", [1, 4])
        def test_resume_after_crash_leaves_target_as_clean_run(
            self, harness: Harness, clean: Snapshot, point: str, nth: int
        ) -> None:
            harness.crash(probe=Crasher(point, nth))
            report = harness.run(resume=True)
            assert report.status == "completed"
            assert harness.snapshot() == clean

        def test_resume_after_crash_mid_batch(
            self, desk: HelpDesk, tmp_path: Path, clean: Snapshot
        ) -> None:
            # Groups come before users in plan order: the crash lands a few users in. Where a
            # batch ends depends on how many fields the source reads first: the next record
            # is tried until the crash falls inside a batch.
            for extra in range(3, 3 + 12):
                harness = Harness(pair, desk, tmp_path / f"l{extra}.sqlite", page_size=page_size)
                crash_at = len(desk.groups) + len(desk.users) + extra
                pair.with_faults(harness.target, Faults(crash_after_records=crash_at))
                harness.crash()
                pair.with_faults(harness.target, Faults())
                report = harness.run(resume=True)
                assert harness.snapshot() == clean
                if report.total("found") >= 1:  # written before the crash, not sent again
                    break
            assert report.total("found") >= 1

        def test_rerun_writes_nothing(self, harness: Harness) -> None:
            first = harness.run()
            before = harness.snapshot()
            second = harness.run()
            assert second.total("created") == 0
            assert second.total("updated") == 0
            assert second.total("unchanged") == first.total("created") + first.total("matched")
            assert harness.snapshot() == before

        def test_delta_writes_only_what_changed(self, harness: Harness, desk: HelpDesk) -> None:
            harness.run()
            before = dict(harness.snapshot()["ticket"])
            keys = [f"conf:ticket:{t.id}" for t in desk.tickets]
            with harness.ledger() as ledger:
                hashes = {k: e.content_hash for k, e in ledger.lookup(keys).items()}
            changed = _change_tickets(harness, desk, count=3)
            report = harness.run(mode=Mode.DELTA)
            assert changed
            assert report.kinds["ticket"].updated == len(changed)
            assert report.total("created") == 0
            assert report.kinds["ticket"].read < len(desk.tickets)  # only what changed was read
            # The target changed in exactly those tickets; the ledger holds their new content.
            after = dict(harness.snapshot()["ticket"])
            assert after.keys() == before.keys()
            edited = {f"conf:ticket:{t.id}" for t in changed}
            assert {k for k in after if after[k] != before[k]} == edited
            with harness.ledger() as ledger:
                now = {k: e.content_hash for k, e in ledger.lookup(keys).items()}
            assert {k for k in now if now[k] != hashes[k]} == edited

        def test_one_bad_record_fails_alone(self, harness: Harness, desk: HelpDesk) -> None:
            ticket = desk.tickets[5]
            bad = f"conf:ticket:{ticket.id}"
            refusal = "RecordInvalid: subject is invalid"
            pair.with_faults(harness.target, Faults(reject={bad: refusal}))
            report = harness.run()
            expected = expected_counts(desk, harness.target, harness.source)
            assert report.kinds["ticket"].failed == 1
            assert report.kinds["ticket"].created == expected["ticket"] - 1
            with harness.ledger() as ledger:
                failures = {f.key: f for f in ledger.failures()}
            assert failures[bad].platform_message == refusal
            # What hangs off the refused ticket fails with it, naming it; nothing else fails.
            dependents = {k for k in failures if k != bad}
            writable = harness.target.describe().kinds
            served = _served(harness.source)
            assert dependents == _dependents_of(desk, served, ticket.id, writable)
            assert all(ticket.id in failures[k].platform_message for k in dependents)
            pair.with_faults(harness.target, Faults())
            again = harness.run(mode=Mode.ONLY_FAILED)
            # A dependent the target keeps inside its ticket (declined by a named policy) is
            # accounted for as skipped once the ticket is in.
            kept_inside = {
                f"{desk.instance}:{record.KIND}:{record.id}"
                for kind in (Kind.SLA_EVENT, Kind.TICKET_METRICS, Kind.SATISFACTION_RATING)
                for record in served[kind]
                if harness.target.declines(kind, record)
            } & dependents
            assert again.total("created") == 1 + len(dependents - kept_inside)
            assert again.total("skipped") == len(kept_inside)
            assert again.total("failed") == 0
            ids = [external_id for external_id, _ in harness.snapshot()["ticket"]]
            assert len(ids) == len(set(ids)) == expected["ticket"]

        def test_throttling_is_retried_without_loss(
            self, desk: HelpDesk, tmp_path: Path, clean: Snapshot
        ) -> None:
            faults = Faults(throttle_rate=0.2, seed=3)
            harness = Harness(pair, desk, tmp_path / "t.sqlite", page_size=page_size, faults=faults)
            report = harness.run()
            assert report.status == "completed"
            assert sum(b["throttled"] for b in report.budgets.values()) > 0
            assert harness.clock.sleeps  # waited on the injected clock, never for real
            assert harness.snapshot() == clean

        if pair.wire:

            def test_broken_answers_never_lose_or_duplicate_a_record(
                self, desk: HelpDesk, tmp_path: Path, clean: Snapshot
            ) -> None:
                """An answer cut short after the platform acted: a read is asked again, a
                write stops the run, and resuming settles it through the ledger."""
                faults = Faults(garbled_rate=0.05, seed=5)
                harness = Harness(
                    pair, desk, tmp_path / "g.sqlite", page_size=page_size, faults=faults
                )
                report = harness.run()
                for _ in range(_RESUMES):
                    if report.status == "completed":
                        break
                    report = harness.run(resume=True)
                assert report.status == "completed"
                assert pair.broken_answers(harness.target) > 0
                assert harness.snapshot() == clean
                with harness.ledger() as ledger:
                    counts = ledger.counts()
                    assert all(c["pending"] == 0 and c["failed"] == 0 for c in counts.values())

        def test_dry_run_writes_nothing(self, harness: Harness, desk: HelpDesk) -> None:
            report = harness.run(dry_run=True)
            assert report.dry_run
            assert (
                report.kinds["ticket"].created
                == expected_counts(desk, harness.target, harness.source)["ticket"]
            )
            assert all(not rows for rows in harness.snapshot().values())
            with harness.ledger() as ledger:
                assert all(sum(c.values()) == 0 for c in ledger.counts().values())
                assert ledger.last_run() is None

        def test_dry_run_counts_agree_with_the_real_run(self, harness: Harness) -> None:
            dry = harness.run(dry_run=True)
            real = harness.run()
            for kind, tally in real.kinds.items():
                would = dry.kinds[kind]
                assert (would.created, would.matched) == (tally.created, tally.matched), kind
                assert would.invalid == tally.failed == 0, kind

        if _has_hook(pair, "killable"):

            @pytest.mark.slow
            def test_sigkill_at_several_moments_then_resume_leaves_every_record_once(
                self, tmp_path: Path
            ) -> None:
                with cast(KillablePair, pair).killable() as served:
                    plan = tmp_path / "plan.toml"
                    plan.write_text(
                        f'ledger = "ledger.sqlite"\nin_flight = {IN_FLIGHT}\n\n{served.plan}',
                        encoding="utf-8",
                    )
                    for number, kill_at in enumerate(served.kills):
                        code, tail = run_copier(
                            plan, env=served.env, resume=number > 0, kill_at=kill_at
                        )
                        assert code == -signal.SIGKILL, (
                            f"run {number} ended ({code}) before it was killed:\n{tail}"
                        )
                    code, tail = run_copier(plan, env=served.env, resume=True, kill_at=None)
                    assert code == 0, tail
                    served.check()
                with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
                    counts = ledger.counts()
                    assert all(c["pending"] == 0 and c["failed"] == 0 for c in counts.values()), (
                        counts
                    )
                    assert len(ledger.runs()) == len(served.kills) + 1
                    ledger.verify_journal()

    ConformanceSuite.__name__ = ConformanceSuite.__qualname__ = f"Conformance[{pair.name}]"
    return ConformanceSuite


def _has_hook(pair: AdapterPair, name: str) -> bool:
    """Whether ``pair`` implements the optional hook ``name`` (a case the suite then adds)."""
    return callable(getattr(pair, name, None))


_DEPENDENT_KINDS = (Kind.SLA_EVENT, Kind.TICKET_METRICS, Kind.SATISFACTION_RATING)


def _served(source: Source) -> dict[Kind, list[Any]]:
    """The records a source serves of the kinds that hang off tickets (a platform that keeps
    SLA history its own way, Freshdesk, derives them rather than serving the desk's)."""
    readable = source.describe().kinds
    return {
        kind: [r for batch in source.read(kind) for r in batch.records] if kind in readable else []
        for kind in _DEPENDENT_KINDS
    }


def _dependents_of(
    desk: HelpDesk, served: dict[Kind, list[Any]], ticket_id: str, writable: frozenset[Kind]
) -> set[str]:
    """Keys of the records the target takes that refer to one ticket (SLA events, metrics,
    rating), among those the source serves."""
    ref = Ref(kind=Kind.TICKET, id=ticket_id)
    return {
        f"{desk.instance}:{kind}:{record.id}"
        for kind in _DEPENDENT_KINDS
        if kind in writable
        for record in served[kind]
        if ref in refs_of(record)
    }


def _change_tickets(harness: Harness, desk: HelpDesk, *, count: int) -> list[Ticket]:
    latest = max(t.updated_at for t in desk.tickets)
    changed = []
    # Closed tickets stay closed on every platform: a live help desk changes the others.
    open_tickets = tuple(t for t in desk.tickets if t.status is not Status.CLOSED and not t.deleted)
    for offset, ticket in enumerate(_spread(open_tickets, count), start=1):
        new = attrs.evolve(
            ticket,
            subject=ticket.subject + " (edited)",
            updated_at=latest.replace(microsecond=0) + timedelta(seconds=offset),
        )
        if not harness.pair.change(harness.source, new):
            pytest.skip("this source cannot be changed in place")
        changed.append(new)
    return changed


def _spread(tickets: tuple[Ticket, ...], count: int) -> Iterator[Ticket]:
    step = max(1, len(tickets) // count)
    return iter(tickets[::step][:count])
