"""The dry run's fidelity plan agrees with what the real run then does, for each adapter pair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cemigrate.adapters import Source, Target
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.testing.accounts import MAKERS, SEED, zendesk_target

ROOT = Path(__file__).resolve().parents[2]


def _with_policies(tmp_path: Path, shipped: Path) -> Path:
    """The shipped mapping plus policies that change and refuse some records."""
    text = shipped.read_text(encoding="utf-8")
    text = text.replace("[attachments]\n", "[attachments]\n# test: small files only\n")
    text = text.replace('policy = "error"', 'policy = "drop"')
    text = text.replace("max_bytes = 52428800", "").replace("max_bytes = 20971520", "")
    text = text.replace("[attachments]\n", "[attachments]\nmax_bytes = 200000\n", 1)
    # urgent tickets are refused: their priority has no mapping under unmapped = "error"
    lines = [line for line in text.splitlines() if not line.startswith("urgent = ")]
    path = tmp_path / shipped.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("pair", sorted(MAKERS))
def test_the_fidelity_plan_agrees_with_the_real_run(pair: str, tmp_path: Path) -> None:
    make_source, make_target = MAKERS[pair]
    mapping_path = _with_policies(tmp_path, ROOT / "mappings" / f"{pair}.toml")

    def migration(ledger: Ledger) -> Migration:
        clock = ManualClock()
        source, target = make_source(clock), make_target(clock)
        assert isinstance(source, Source)
        assert isinstance(target, Target)
        return Migration(
            sources=[source],
            target=target,
            ledger=ledger,
            mapping=load_mapping(mapping_path),
            progress=False,
        )

    with Ledger.open(tmp_path / "dry.sqlite") as ledger:
        dry = migration(ledger)
        plan = dry.dry_run()
        dry.close()
    as_json, as_md = plan.write(tmp_path)
    written = json.loads(as_json.read_text())
    assert written["schema_version"] == 1
    assert "Carried over with a change" in as_md.read_text()

    with Ledger.open(tmp_path / "real.sqlite") as ledger:
        real = migration(ledger)
        report = real.run()
        real.close()
    assert report.status == "completed"
    tickets = plan.kinds["ticket"]
    done = report.kinds["ticket"]
    assert tickets.exactly + tickets.changed == done.created + done.matched
    assert tickets.changed > 0  # files left out by the attachment policy
    assert tickets.not_carried - tickets.skipped == done.failed > 0  # urgent tickets refused
    assert tickets.skipped == done.skipped
    assert plan.lost == report.failed
    for kind, fidelity in plan.kinds.items():
        tally = report.kinds[kind]
        assert fidelity.exactly + fidelity.changed == tally.created + tally.matched, kind
    refused = {p.reason for p in plan.report.problems if p.kind == "ticket"}
    assert refused == {
        "ticket priority 'urgent' has no mapping ("
        + str(mapping_path)
        + ": priority.unmapped = error)"
    }


def test_a_sampled_dry_run_reads_a_slice_and_checks_that_many_tickets(tmp_path: Path) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=2500, seed=SEED, instance="old", clock=clock, subdomain="old")
    clock.advance(120)
    source = ZendeskSource(
        instance="old",
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(tmp_path / "dry.sqlite") as ledger:
        migration = Migration(
            sources=[source], target=zendesk_target(clock), ledger=ledger, progress=False
        )
        plan = migration.dry_run(sample=20)
        migration.close()
    paths = [path for _, path, _ in account.zendesk.requests]
    assert paths.count("/api/v2/incremental/tickets/cursor.json") == 1  # 1,000 read, not 2,500
    assert not any("ticket_metric_events" in path for path in paths)  # dependents not read
    assert plan.sample == 20
    assert plan.kinds["ticket"].read == 20
    assert plan.kinds["ticket"].exactly + plan.kinds["ticket"].skipped == 20
    assert "sla_event" not in plan.kinds
    assert plan.as_dict()["sample"] == 20
    assert "A sample of 20 tickets" in plan.markdown()


def test_the_sample_prefers_the_awkward_tickets() -> None:
    from cemigrate.copier.sample import choose
    from cemigrate.sandbox.dataset import generate

    desk = generate(tickets=400, seed=SEED, instance="s")
    tickets = list(desk.tickets)
    chosen = choose(tickets, 8, deleted_users={u.id for u in desk.users if u.deleted})
    assert len(chosen) == len({t.id for t in chosen}) == 8
    most_comments = max(tickets, key=lambda t: (len(t.comments), -int(t.id)))
    assert most_comments in chosen

    def largest(t: object) -> int:
        comments = getattr(t, "comments", ())
        return max((a.size for c in comments for a in c.attachments), default=0)

    assert max(map(largest, chosen)) == max(map(largest, tickets))
    assert any(
        not t.subject.isascii() or any(not c.body_plain.isascii() for c in t.comments)
        for t in chosen
    )
    assert chosen == choose(tickets, 8, deleted_users={u.id for u in desk.users if u.deleted})
