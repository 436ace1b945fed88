"""Rules switched on after cutover: ``cemigrate rules activate`` and ``rules translate``.

A real migration on the emulators writes every rule inactive; activation reads which ones from
the ledger, switches them on through the target's API (read back the same way), records each
switch in the ledger's journal, and reports what it did, rule by rule.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from cemigrate.adapters.freshdesk.client import FreshdeskCredentials as FdCredentials
from cemigrate.adapters.freshdesk.source import FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.memory import MemoryTarget
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.cli import EXIT_BAD_INPUT, EXIT_FAILURES, EXIT_OK, main
from cemigrate.copier import Migration
from cemigrate.copier.activate import (
    ACTIVATE_MODE,
    ACTIVATED,
    REFUSED,
    ActivationReport,
    Result,
    activate,
    activated_ids,
)
from cemigrate.errors import ConfigError, Interrupted
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.freshdesk import FreshdeskSandbox, serve_freshdesk
from cemigrate.sandbox.http import SandboxServer
from cemigrate.sandbox.zendesk import DEFAULT_EMAIL, DEFAULT_TOKEN, ZendeskSandbox, serve_zendesk
from cemigrate.sandbox.zendesk.exceptions import RecordInvalid
from cemigrate.schema import Kind

ROOT = Path(__file__).resolve().parents[2]
TICKETS, SEED = 12, 6


@attrs.define
class Migrated:
    """A finished migration: its target, the target's emulator and the ledger."""

    target: ZendeskTarget | FreshdeskTarget
    account: ZendeskSandbox | FreshdeskSandbox
    ledger: Ledger
    source: ZendeskSource | FreshdeskSource


def _agents(account: FreshdeskSandbox) -> None:
    # Agents are paid seats and ticket types an admin's setting: both exist before a migration.
    account.add_seats(generate(tickets=TICKETS, seed=SEED, instance="old"))


def _zendesk_to_freshdesk(clock: ManualClock) -> tuple[Any, Any, Any, str]:
    old = ZendeskSandbox(tickets=TICKETS, seed=SEED, instance="old", clock=clock, subdomain="old")
    clock.advance(120)  # past the exports' last minute
    source = ZendeskSource(
        instance="old",
        base_url=old.base_url,
        credentials=ZendeskCredentials(email=old.email, token=old.token),
        session=old.session(authenticated=False),
        clock=clock,
    )
    new = FreshdeskSandbox(tickets=0, empty=True, clock=clock, domain="new.freshdesk.com")
    _agents(new)
    target = FreshdeskTarget(
        base_url=new.base_url,
        credentials=FdCredentials(api_key=new.api_key),
        session=new.session(authenticated=False),
        clock=clock,
    )
    return source, target, new, "zendesk-to-freshdesk.toml"


def _freshdesk_to_zendesk(clock: ManualClock) -> tuple[Any, Any, Any, str]:
    old = FreshdeskSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, domain="old.freshdesk.com"
    )
    source = FreshdeskSource(
        instance="old",
        base_url=old.base_url,
        credentials=FdCredentials(api_key=old.api_key),
        session=old.session(authenticated=False),
        clock=clock,
    )
    new = ZendeskSandbox(tickets=0, empty=True, clock=clock, subdomain="new")
    target = ZendeskTarget(
        base_url=new.base_url,
        credentials=ZendeskCredentials(email=new.email, token=new.token),
        session=new.session(authenticated=False),
        clock=clock,
    )
    return source, target, new, "freshdesk-to-zendesk.toml"


@pytest.fixture(params=["zendesk-to-freshdesk", "freshdesk-to-zendesk"])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Migrated]:
    clock = ManualClock()
    build = (
        _zendesk_to_freshdesk if request.param == "zendesk-to-freshdesk" else _freshdesk_to_zendesk
    )
    source, target, account, mapping = build(clock)
    ledger = Ledger.open(tmp_path / "ledger.sqlite")
    migration = Migration(
        sources=[source],
        target=target,
        ledger=ledger,
        mapping=load_mapping(ROOT / "mappings" / mapping),
        progress=False,
    )
    assert migration.run().status == "completed"
    try:
        yield Migrated(target=target, account=account, ledger=ledger, source=source)
    finally:
        ledger.close()


def held_rules(target: ZendeskTarget | FreshdeskTarget) -> dict[str, bool]:
    """Every rule the target account holds, by target id → active, read through its API."""
    out: dict[str, bool] = {}
    if isinstance(target, ZendeskTarget):
        for plural in ("triggers", "automations", "macros", "views"):
            body = target.client.get_json(f"/api/v2/{plural}.json")
            out.update({f"{plural}/{r['id']}": r["active"] for r in body[plural]})
        return out
    for kind in ("1", "3", "4"):
        for page in target.client.pages(f"/api/v2/automations/{kind}/rules"):
            out.update({f"automations/{kind}/{r['id']}": r["active"] for r in page.records})
    return out


def written_rules(ledger: Ledger) -> dict[str, str]:
    """Ledger key → target id of every rule and SLA policy the migration wrote."""
    return {
        e.key: e.target_id
        for kind in ("rule", "sla_policy")
        for e in ledger.entries(kind=kind, state=EntryState.DONE)
        if e.target_id is not None
    }


def held(target: ZendeskTarget | FreshdeskTarget, ledger: Ledger) -> dict[str, bool]:
    """Every rule the account holds, and the migrated SLA policies, by target id → active
    (rules read from their lists, SLA policies through the target's own reading)."""
    policies = [t for t in written_rules(ledger).values() if t.startswith("sla_policies/")]
    return {**held_rules(target), **target.rule_states(policies)}


def test_activation_switches_every_written_rule_on_once(migrated: Migrated) -> None:
    target, ledger = migrated.target, migrated.ledger
    written = written_rules(ledger)
    before = held(target, ledger)
    assert written
    assert set(written.values()) == set(before)
    assert not any(before.values()), "the migration must write every rule inactive"
    rule_ids = [t for k, t in written.items() if ":rule:" in k]
    prefix = "automations/" if isinstance(target, FreshdeskTarget) else ""
    assert all(t.startswith(prefix) for t in rule_ids)

    report = activate(target, ledger)

    assert all(held(target, ledger).values())  # read back through the platform's API
    by_key = {row.key: row for row in report.rows}
    for key, target_id in written.items():
        row = by_key[key]
        assert (row.target_id, row.before, row.after) == (target_id, False, True)
        assert row.result is Result.ACTIVATED
    assert report.ok
    skipped = [e.key for e in ledger.entries(kind="rule", state=EntryState.SKIPPED)]
    assert all(by_key[k].result is Result.NOT_WRITTEN for k in skipped)
    # The ledger records the step: a run of its own, one journal row per rule, chain intact.
    last = ledger.last_run()
    assert last is not None
    assert (last.mode, last.status) == (ACTIVATE_MODE, "completed")
    assert report.run_id == last.id
    rows = [r for r in ledger.journal() if r.run_id == last.id]
    assert {(r.key, r.target_id, r.action) for r in rows} == {
        (k, t, ACTIVATED) for k, t in written.items()
    }
    ledger.verify_journal()
    assert activated_ids(ledger) == set(written.values())

    # Again: nothing left to switch on, nothing recorded.
    journal_rows = ledger.verify_journal()
    again = activate(target, ledger)
    assert {row.result for row in again.rows if row.target_id} <= {
        Result.ALREADY_ACTIVE,
        Result.NOT_WRITTEN,
    }
    assert again.run_id is None
    assert ledger.verify_journal() == journal_rows
    assert ledger.last_run() == last


def test_only_switches_on_the_rules_named_and_a_dry_run_nothing(migrated: Migrated) -> None:
    target, ledger = migrated.target, migrated.ledger
    written = written_rules(ledger)
    first_key, first_id = sorted(written.items())[0]
    source_id = first_key.rsplit(":", 1)[1]

    dry = activate(target, ledger, dry_run=True)
    assert {row.result for row in dry.rows if row.target_id in written.values()} == {
        Result.WOULD_ACTIVATE
    }
    assert dry.run_id is None
    assert ledger.last_run().mode != ACTIVATE_MODE  # type: ignore[union-attr]
    assert not any(held(target, ledger).values())

    one = activate(target, ledger, only=[source_id])
    assert [(row.key, row.result) for row in one.rows] == [(first_key, Result.ACTIVATED)]
    after = held(target, ledger)
    assert after[first_id] is True
    assert sum(after.values()) == 1
    assert activated_ids(ledger) == {first_id}

    with pytest.raises(ConfigError, match="no-such-rule"):
        activate(target, ledger, only=["no-such-rule"])


def test_a_rule_the_target_held_before_the_migration_is_left_as_it_is(tmp_path: Path) -> None:
    """An earlier migration (its ledger lost) left the account holding the rules, inactive:
    this run matches them by title, and activation leaves them to their owner unless named."""
    clock = ManualClock()
    source, earlier, account, mapping = _freshdesk_to_zendesk(clock)
    rules = load_mapping(ROOT / "mappings" / mapping)
    with Ledger.open(tmp_path / "earlier.sqlite") as lost:
        run = Migration(
            sources=[source], target=earlier, ledger=lost, mapping=rules, progress=False
        )
        assert run.run().status == "completed"
    target = ZendeskTarget(
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        again = Migration(sources=[source], target=target, ledger=ledger, mapping=rules)
        assert again.run().status == "completed"
        written = written_rules(ledger)
        assert written
        journal = {(r.key, r.action) for r in ledger.journal() if r.key in written}
        assert {action for _, action in journal} == {"matched"}

        report = activate(target, ledger)
        assert {row.result for row in report.rows if row.key in written} == {Result.HELD_BEFORE}
        assert report.run_id is None
        assert not any(held(target, ledger).values())  # nothing of the account's switched on

        key, target_id = sorted(written.items())[0]
        named = activate(target, ledger, only=[key])
        assert [(row.key, row.result) for row in named.rows] == [(key, Result.ACTIVATED)]
        assert {t for t, on in held(target, ledger).items() if on} == {target_id}


class _Switch:
    """A target of two inactive rules that switches them on when asked."""

    platform = "test"

    def __init__(self) -> None:
        self.active = {"rules/1": False, "rules/2": False}

    def rule_switch(self) -> _Switch:
        return self

    def rule_states(self, ids: Any) -> dict[str, bool]:
        return {i: self.active[i] for i in ids if i in self.active}

    def activate_rules(self, ids: Any) -> dict[str, str]:
        self.active.update(dict.fromkeys(ids, True))
        return {}


def test_a_rule_the_migration_created_stays_its_own_when_a_later_run_finds_it_again(
    tmp_path: Path,
) -> None:
    from cemigrate.ledger import Outcome, PendingEntry

    def write(run: int, source_id: str, action: str) -> None:
        key = f"old:rule:{source_id}"
        entry = PendingEntry(
            key=key, instance="old", kind="rule", source_id=source_id, content_hash=action
        )
        ledger.mark_pending(run, [entry])
        done = Outcome(
            key=key, state=EntryState.DONE, action=action, target_id=f"rules/{source_id}"
        )
        ledger.record_outcomes(run, [done])

    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        full = ledger.start_run("full", "")
        write(full, "1", "created")
        write(full, "2", "matched")  # the account's own rule of that title
        ledger.finish_run(full, "completed")
        delta = ledger.start_run("delta", "")
        write(delta, "1", "matched")  # changed in the source: found again by the delta
        ledger.finish_run(delta, "completed")
        target = _Switch()
        report = activate(target, ledger)  # type: ignore[arg-type]
    by_id = {row.target_id: row.result for row in report.rows}
    assert by_id == {"rules/1": Result.ACTIVATED, "rules/2": Result.HELD_BEFORE}
    assert target.active == {"rules/1": True, "rules/2": False}


def test_an_activation_killed_half_way_is_finished_by_the_next(migrated: Migrated) -> None:
    target, ledger = migrated.target, migrated.ledger
    written = written_rules(ledger)
    first_key, first_id = sorted(written.items())[0]
    # A process killed during its activation: its run stays open, one rule already on.
    killed = ledger.start_run(ACTIVATE_MODE, "")
    target.activate_rules([first_id])
    report = activate(target, ledger)
    runs = {r.id: r for r in ledger.runs()}
    assert runs[killed].status == "interrupted"
    assert runs[report.run_id].status == "completed"  # type: ignore[index]
    assert all(held(target, ledger).values())
    by_key = {row.key: row for row in report.rows}
    assert by_key[first_key].result is Result.ALREADY_ACTIVE
    # The copier resumes its own runs only: its last one finished, the activation is not its.
    copier = Migration(sources=[migrated.source], target=target, ledger=ledger, progress=False)
    with pytest.raises(ConfigError, match="nothing to resume"):
        copier.run(resume=True)


def test_a_refused_activation_carries_the_platforms_message(
    migrated: Migrated, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, ledger, account = migrated.target, migrated.ledger, migrated.account
    written = sorted(written_rules(ledger).values())
    gone = next(t for t in written if not t.startswith("sla_policies/"))
    refusing: list[str] = []
    # A rule a person deleted in the target since the run ...
    if isinstance(account, ZendeskSandbox):
        plural, rule_id = gone.split("/")
        del account.backend.rules[plural][int(rule_id)]
        # ... and, on Zendesk, one its validation refuses (an emulator fault).
        refusing.append(next(t for t in written if t.startswith("triggers/") and t != gone))
        refused_plural, refused_id = refusing[0].split("/")
        update_rule, update_rules = account.backend.update_rule, account.backend.update_rules

        def refuse(plural: str, rid: int, body: Any) -> Any:
            if (plural, rid) == (refused_plural, int(refused_id)):
                raise RecordInvalid.base("Trigger could not be activated: invalid condition")
            return update_rule(plural, rid, body)

        def refuse_many(plural: str, changes: Any) -> Any:
            if any((plural, c.get("id")) == (refused_plural, int(refused_id)) for c in changes):
                raise RecordInvalid.base("Trigger could not be activated: invalid condition")
            return update_rules(plural, changes)

        monkeypatch.setattr(account.backend, "update_rule", refuse)
        monkeypatch.setattr(account.backend, "update_rules", refuse_many)
    else:
        _, kind, rule_id = gone.split("/")
        del account.backend.automations[int(kind)][int(rule_id)]

    report = activate(target, ledger)

    rows = {row.target_id: row for row in report.rows}
    assert rows[gone].result is Result.REFUSED
    assert rows[gone].before is None
    assert rows[gone].after is None
    expected = "RecordNotFound" if isinstance(account, ZendeskSandbox) else "Not Found"
    assert expected in rows[gone].message
    for target_id in refusing:
        assert rows[target_id].result is Result.REFUSED
        assert (rows[target_id].before, rows[target_id].after) == (False, False)
        assert "invalid condition" in rows[target_id].message
    assert not report.ok
    journal = {r.target_id: r.action for r in ledger.journal() if r.run_id == report.run_id}
    assert all(journal[t] == REFUSED for t in (gone, *refusing))
    others = [t for t in written if t != gone and t not in refusing]
    assert all(journal[t] == ACTIVATED for t in others)
    assert activated_ids(ledger) == set(others)
    after = held(target, ledger)
    assert all(after[t] for t in others)
    assert not any(after[t] for t in refusing)


def test_a_target_without_a_rule_switch_is_a_clear_error(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        run = ledger.start_run("full", "")
        ledger.finish_run(run, "completed")
        with pytest.raises(ConfigError, match="memory target cannot switch rules on"):
            activate(MemoryTarget(), ledger)


def test_activation_waits_for_cutover(migrated: Migrated) -> None:
    ledger = migrated.ledger
    ledger.start_run("delta", "")  # a run still going (or one that died)
    with pytest.raises(ConfigError, match=r"is running, not completed.*--force"):
        activate(migrated.target, ledger)
    assert activate(migrated.target, ledger, force=True).ok


# --- the command line, on emulators served over loopback HTTP -----------------------------

PLAN = """\
ledger = "ledger.sqlite"
mapping = "{mapping}"

[[source]]
name = "old"
platform = "zendesk"
base_url = "{source_url}"
plan = "enterprise_plus"
high_volume = true
sla_events = false
email_env = "ACTIVATE_TEST_EMAIL"
token_env = "ACTIVATE_TEST_TOKEN"

[target]
platform = "freshdesk"
base_url = "{target_url}"
plan = "purchased_2000"
api_key_env = "ACTIVATE_TEST_FD_KEY"
"""


@pytest.fixture
def served(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[ZendeskSandbox, FreshdeskSandbox, SandboxServer, SandboxServer]]:
    clock = ManualClock()
    old, old_server = serve_zendesk(
        port=0,
        tickets=TICKETS,
        seed=SEED,
        plan="enterprise_plus",
        high_volume=True,
        instance="old",
        clock=clock,
    )
    clock.advance(120)  # the emulator's own clock: past the exports' last minute
    new, new_server = serve_freshdesk(
        port=0, tickets=0, seed=SEED, instance="new", empty=True, plan="purchased_2000"
    )
    _agents(new)
    monkeypatch.setenv("ACTIVATE_TEST_EMAIL", DEFAULT_EMAIL)
    monkeypatch.setenv("ACTIVATE_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("ACTIVATE_TEST_FD_KEY", new.api_key)
    try:
        yield old, new, old_server, new_server
    finally:
        old_server.shutdown()
        new_server.shutdown()


def _plan(folder: Path, source: SandboxServer, target: SandboxServer) -> Path:
    plan = folder / "plan.toml"
    mapping = (ROOT / "mappings" / "zendesk-to-freshdesk.toml").as_posix()
    plan.write_text(
        PLAN.format(mapping=mapping, source_url=source.url, target_url=target.url),
        encoding="utf-8",
    )
    return plan


def _active(account: FreshdeskSandbox, plan: Path) -> dict[str, bool]:
    """The emulator's migrated automation rules and SLA policies, by target id → active."""
    with Ledger.open(plan.parent / "ledger.sqlite") as ledger:
        written = set(written_rules(ledger).values())
    rules = {
        f"automations/{kind}/{rid}": rule["active"]
        for kind, rules in account.backend.automations.items()
        for rid, rule in rules.items()
    }
    policies = {
        f"sla_policies/{pid}": p["active"] for pid, p in account.backend.sla_policies.items()
    }
    return {t: on for t, on in {**rules, **policies}.items() if t in written}


def test_the_command_line_activates_after_cutover_and_translates(
    served: tuple[ZendeskSandbox, FreshdeskSandbox, SandboxServer, SandboxServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _old, new, old_server, new_server = served
    plan = _plan(tmp_path, old_server, new_server)

    # Before any run: refused, one line, naming the ledger.
    assert main(["rules", "activate", str(plan)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "ledger.sqlite" in err[0]

    # The translation report works before a run too, with every reference taken as linked.
    assert main(["rules", "translate", str(plan), "--out", str(tmp_path / "tr0")]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "no run yet" in printed
    before = json.loads((tmp_path / "tr0" / "translation.json").read_text())
    assert before["source"] == "zendesk"
    assert before["target"] == "freshdesk"

    assert main(["run", str(plan), "--no-progress"]) == EXIT_OK
    capsys.readouterr()
    assert _active(new, plan)
    assert not any(_active(new, plan).values())

    out = tmp_path / "act"
    assert main(["rules", "activate", str(plan), "--dry-run", "--out", str(out)]) == EXIT_OK
    assert "would activate" in capsys.readouterr().out
    assert not any(_active(new, plan).values())
    assert json.loads((out / "activation.json").read_text())["dry_run"] is True

    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        title_key = next(iter(written_rules(ledger)))
    titles = {r.id: r.title for r in generate(tickets=TICKETS, seed=SEED, instance="old").rules}
    title = titles[title_key.rsplit(":", 1)[1]]
    assert main(["rules", "activate", str(plan), "--only", title, "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert title in printed
    assert "1 activated" in printed
    assert sum(_active(new, plan).values()) == 1

    assert main(["rules", "activate", str(plan), "--out", str(out)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "activated" in printed
    assert "1 already active" in printed
    assert all(_active(new, plan).values())
    written = json.loads((out / "activation.json").read_text())
    assert written["ok"] is True
    assert written["dry_run"] is False
    assert "| activated |" in (out / "activation.md").read_text()
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert activated_ids(ledger) == set(_active(new, plan))

    # A rule deleted in the target since: the platform's refusal, exit 1.
    kind, rules = next((k, r) for k, r in new.backend.automations.items() if r)
    rid = next(iter(rules))
    rules[rid]["active"] = False
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        other = next(t for t in written_rules(ledger).values() if t != f"automations/{kind}/{rid}")
    _, other_kind, other_id = other.split("/")
    del new.backend.automations[int(other_kind)][int(other_id)]
    assert main(["rules", "activate", str(plan), "--out", str(out)]) == EXIT_FAILURES
    printed = capsys.readouterr().out
    assert "Not Found" in printed
    assert "refused" in printed
    assert new.backend.automations[kind][rid]["active"] is True

    # The translation report, with the run's links.
    assert main(["rules", "translate", str(plan), "--out", str(tmp_path / "tr")]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "links from the ledger" in printed
    report = json.loads((tmp_path / "tr" / "translation.json").read_text())
    assert {r["title"] for r in report["rules"]} == set(titles.values())
    assert (tmp_path / "tr" / "translation.md").read_text().startswith("# Rule translation")


def test_bad_input_is_one_line_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "activate", str(tmp_path / "missing.toml")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "missing.toml" in err[0]
    plan = tmp_path / "plan.toml"
    plan.write_text('ledger = "l.sqlite"\nbogus = 1\n', encoding="utf-8")
    for command in ("activate", "translate"):
        assert main(["rules", command, str(plan)]) == EXIT_BAD_INPUT
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1
        assert "plan.toml" in err[0]
        assert "bogus" in err[0]


def test_the_report_is_written_as_json_and_markdown(tmp_path: Path) -> None:
    report = ActivationReport(target="zendesk", dry_run=False, rows=())
    paths = report.write(tmp_path)
    assert json.loads(paths["activation.json"].read_text())["counts"]["activated"] == 0
    assert paths["activation.md"].read_text().startswith("# Rule activation: zendesk")
    assert Kind.RULE.value == "rule"


def test_events_join_the_hash_chain_and_outcome_actions_are_refused(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        run = ledger.start_run(ACTIVATE_MODE, "")
        ledger.record_events(run, [("rule", "old:rule:1", "triggers/9", ACTIVATED)])
        with pytest.raises(ValueError, match="record_outcomes"):
            ledger.record_events(run, [("rule", "old:rule:1", "triggers/9", "created")])
        assert ledger.verify_journal() == 1
        assert activated_ids(ledger) == {"triggers/9"}
        assert ledger.lookup(["old:rule:1"]) == {}  # the id map is left alone


def test_an_activation_asked_to_stop_first_switches_nothing_and_can_run_again(
    migrated: Migrated,
) -> None:
    target, ledger = migrated.target, migrated.ledger
    stop = threading.Event()
    stop.set()  # SIGINT or SIGTERM while the sources were read for the rules' titles
    runs = len(ledger.runs())
    with pytest.raises(Interrupted):
        activate(target, ledger, stop=stop)
    assert not any(held(target, ledger).values())
    assert len(ledger.runs()) == runs
    activate(target, ledger)
    assert all(held(target, ledger).values())
