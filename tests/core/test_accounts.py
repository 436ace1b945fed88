"""What the ledger records of each side's account, and the rules a plan's sides are checked by
(the run over HTTP: ``tests/e2e/test_identity.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration
from cemigrate.copier.identity import check_accounts
from cemigrate.errors import ConfigError
from cemigrate.ledger import EntryState, Ledger, Outcome, SideAccount
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Kind

ACME = "https://acme.zendesk.com"


def source(instance: str, account: str = ACME, platform: str = "zendesk") -> SideAccount:
    return SideAccount(side="source", instance=instance, platform=platform, account=account)


def target(account: str = "https://new.my.salesforce.com") -> SideAccount:
    return SideAccount(side="target", instance="target", platform="salesforce", account=account)


def test_the_same_sides_need_nothing_recorded() -> None:
    known = [source("emea"), target()]
    check = check_accounts(known, [source("emea"), target()], repoint=False)
    assert check.record == ()
    assert check.repointed == ()


def test_a_new_source_beside_the_known_ones_is_recorded_without_fuss() -> None:
    check = check_accounts(
        [source("emea"), target()],
        [source("emea"), source("apac", "https://apac.zendesk.com"), target()],
        repoint=False,
    )
    assert check.record == (source("apac", "https://apac.zendesk.com"),)


@pytest.mark.parametrize(
    ("wanted", "words"),
    [
        (
            [source("emea2"), target()],
            f"source 'emea2' is {ACME}, which this ledger knows as 'emea'",
        ),
        (
            [source("emea", "https://other.zendesk.com"), target()],
            f"source 'emea' is zendesk https://other.zendesk.com, but this ledger read it from"
            f" zendesk {ACME}",
        ),
        (
            [source("emea", ACME, platform="freshdesk"), target()],
            f"source 'emea' is freshdesk {ACME}, but this ledger read it from zendesk {ACME}",
        ),
        (
            [source("emea"), target("https://old.my.salesforce.com")],
            "the target is salesforce https://old.my.salesforce.com, but this ledger wrote to"
            " salesforce https://new.my.salesforce.com",
        ),
    ],
)
def test_a_changed_side_is_refused_unless_repointed(wanted: list[SideAccount], words: str) -> None:
    known = [source("emea"), target()]
    with pytest.raises(ConfigError) as raised:
        check_accounts(known, wanted, repoint=False)
    assert words in str(raised.value)
    assert "--repoint" in str(raised.value)
    assert "\n" not in str(raised.value)

    check = check_accounts(known, wanted, repoint=True)
    changed = [side for side in wanted if side not in known]
    assert list(check.repointed) == changed
    assert list(check.record) == changed


def test_sides_without_an_address_are_compared_by_platform_only() -> None:
    memory = SideAccount(side="source", instance="a", platform="memory", account="")
    renamed = SideAccount(side="source", instance="b", platform="memory", account="")
    check = check_accounts([memory], [renamed], repoint=False)
    assert check.record == (renamed,)  # nothing to tell two generated desks apart by


def test_the_ledger_records_accounts_and_a_repoint_replaces_the_old_name(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        run = ledger.start_run("full", "")
        ledger.record_accounts(run, [source("emea"), target()])
        ledger.record_accounts(run, [source("emea2")], repointed=[source("emea2")])
        assert {(a.side, a.instance, a.account) for a in ledger.accounts()} == {
            ("source", "emea2", ACME),
            ("target", "target", "https://new.my.salesforce.com"),
        }
        rows = list(ledger.journal())
        assert [(r.kind, r.key, r.target_id, r.action) for r in rows] == [
            ("account", "source:emea2", ACME, "repointed")
        ]
        assert ledger.verify_journal() == 1


def test_the_sample_is_spread_over_kinds_and_time(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        run = ledger.start_run("full", "")
        for kind, n in (("organization", 3), ("ticket", 1000), ("user", 50)):
            ledger.record_outcomes(
                run,
                [
                    Outcome(
                        key=f"s:{kind}:{i}",
                        state=EntryState.DONE,
                        action="created",
                        target_id=f"T{i}",
                        kind=kind,
                        instance="s",
                        source_id=str(i),
                    )
                    for i in range(n)
                ],
            )
        sample = ledger.sample_done(["ticket", "organization"], 20)
    organizations = [e for e in sample if e.kind == "organization"]
    tickets = sorted(int(e.source_id) for e in sample if e.kind == "ticket")
    assert len(organizations) == 3  # all there are; the tickets fill the rest
    assert len(tickets) == 17 == len(set(tickets))
    assert tickets[0] < 100  # from the oldest
    assert tickets[-1] > 900  # to the newest


def test_a_migration_of_memory_sides_records_and_passes(tmp_path: Path) -> None:
    clock = ManualClock()
    desk = generate(tickets=20, seed=1, instance="s")
    memory = MemorySource(
        {kind: desk.records(kind) for kind in Kind}, instance="s", blobs=desk.blob, clock=clock
    )
    store = MemoryTarget(tmp_path / "t.sqlite", clock=clock)
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        migration = Migration(sources=[memory], target=store, ledger=ledger, progress=False)
        assert migration.run().status == "completed"
        assert migration.run().status == "completed"  # the sample finds what was written
        assert [(a.side, a.platform, a.account) for a in ledger.accounts()] == [
            ("source", "memory", ""),
            ("target", "memory", (tmp_path / "t.sqlite").resolve().as_uri()),
        ]
    store.close()
