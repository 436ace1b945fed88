"""Reconciliation of a Zendesk → Zendesk migration: clean, then one defect at a time.

A few hundred tickets are migrated in process between two emulated accounts on a manual
clock. The clean migration reconciles with no finding; each other test changes the *target*
account's state (the emulator's backend) the way a faulty migration or a later edit would, and
asserts that the report names the defect with the exact ticket (or user), by source key and
target id, as a manager reading it would see.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.reconcile import Finding, ReconcileReport, Reconciliation, Severity
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.sandbox.zendesk.models import ZendeskBackend

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
TICKETS = 240


@dataclass
class Migrated:
    clock: ManualClock
    source_account: ZendeskSandbox
    target_account: ZendeskSandbox
    target: ZendeskTarget
    ledger: Ledger
    read_calls: dict[str, float]
    """What the migration spent reading the source, by budget."""

    def reconcile(self, **options: Any) -> ReconcileReport:
        """Read both accounts afresh, as `cemigrate reconcile` does, and compare."""
        self.clock.advance(120)  # past the exports' one-minute delay
        source = ZendeskSource(
            instance="emea",
            base_url=self.source_account.base_url,
            credentials=CREDENTIALS,
            session=self.source_account.session(authenticated=False),
            clock=self.clock,
        )
        view = ZendeskSource(
            instance="target",
            base_url=self.target_account.base_url,
            credentials=CREDENTIALS,
            session=self.target_account.session(authenticated=False),
            clock=self.clock,
            sla_events=False,
        )
        try:
            return Reconciliation(
                sources=[source], target_view=view, ledger=self.ledger, target=self.target
            ).run(**options)
        finally:
            source.close()
            view.close()

    def target_id(self, kind: str, source_id: str) -> str:
        entry = self.ledger.lookup([f"emea:{kind}:{source_id}"])[f"emea:{kind}:{source_id}"]
        assert entry.state is EntryState.DONE
        assert entry.target_id is not None
        return entry.target_id

    def source_id(self, kind: str, target_id: str) -> str:
        for entry in self.ledger.entries(kind=kind, state=EntryState.DONE):
            if entry.target_id == target_id:
                return entry.source_id
        raise AssertionError(f"no {kind} maps to {target_id}")


@pytest.fixture(scope="module")
def migrated() -> Iterator[Migrated]:
    clock = ManualClock()
    source_account = ZendeskSandbox(tickets=TICKETS, seed=3, instance="emea", clock=clock)
    # An empty target: a seeded demo account holds the source's rules and SLA policies (active)
    # and people under the source's e-mails (an agent where the source has an admin), which
    # the migration would adopt as they are (and reconciliation rightly flag).
    target_account = ZendeskSandbox(
        tickets=0, empty=True, seed=9, instance="t", clock=clock, subdomain="new"
    )
    clock.advance(120)
    source = ZendeskSource(
        instance="emea",
        base_url=source_account.base_url,
        credentials=CREDENTIALS,
        session=source_account.session(authenticated=False),
        clock=clock,
    )
    target = ZendeskTarget(
        base_url=target_account.base_url,
        credentials=CREDENTIALS,
        session=target_account.session(authenticated=False),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        report = Migration(sources=[source], target=target, ledger=ledger, progress=False).run()
        assert report.status == "completed"
        source.close()
        read_calls = {name: snap["calls"] for name, snap in source.budgets.snapshot().items()}
        yield Migrated(clock, source_account, target_account, target, ledger, read_calls)


_STATE = ("tickets", "ticket_state", "comments", "users", "attachments", "memberships")


@pytest.fixture
def backend(migrated: Migrated) -> Iterator[ZendeskBackend]:
    """The target account's state, put back as it was after each test."""
    state = migrated.target_account.backend
    saved = {name: copy.deepcopy(getattr(state, name)) for name in _STATE}
    saved_ids = dict(state._next_id)
    yield state
    for name, value in saved.items():
        setattr(state, name, value)
    state._next_id = saved_ids
    state.touch()


def _named(report: ReconcileReport) -> list[tuple[str, str, str | None, str | None]]:
    return [(f.severity.value, f.check, f.source_key, f.target_id) for f in report.findings]


def _user_comments(backend: ZendeskBackend, tid: int) -> list[dict[str, Any]]:
    """The ticket's comments, without the SLA history note cemigrate adds."""
    return [
        c
        for c in backend.comments[tid]
        if not str(c["plain_body"]).startswith("Service levels measured")
    ]


def _ticket_where(backend: ZendeskBackend, test: Any) -> int:
    for tid in sorted(backend.tickets):
        if test(_user_comments(backend, tid)):
            return tid
    raise AssertionError("no ticket fits")


def test_a_clean_migration_reconciles_with_no_finding(migrated: Migrated, tmp_path: Any) -> None:
    report = migrated.reconcile()
    assert report.findings == ()
    data = report.as_dict()
    assert data["summary"]["verdict"] == "clean: no finding"
    counts = data["counts"]["ticket"]
    assert (counts["source"], counts["target"], counts["done"], counts["skipped"]) == (
        TICKETS,
        TICKETS - 1,
        TICKETS - 1,
        1,  # the ticket deleted in the source, under Zendesk's named policy
    )
    assert any(p.startswith("ticket: deleted-in-source") for p in data["skipped_by_policy"])
    assert data["deep"]["tickets_compared"] == TICKETS - 1
    hashed = data["deep"]["attachments_hashed"]
    assert hashed["source"] == hashed["target"] > 0
    assert data["sla"]["tickets_compared"] == TICKETS - 1
    assert data["access"]["users_compared"] > 100
    # The deep comparison reads each side once: no more calls than the migration's reading.
    calls = data["cost"]["calls"]
    for budget in ("emea.zendesk.core", "emea.zendesk.export"):
        assert 0 < calls[budget] <= migrated.read_calls[budget], budget
    paths = report.write(tmp_path)
    assert sorted(p.name for p in paths.values()) == ["report.html", "report.json", "report.md"]
    assert "clean: no finding" in paths["report.md"].read_text(encoding="utf-8")


def test_a_dropped_comment_is_named_with_its_ticket(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    tid = _ticket_where(backend, lambda cs: len(cs) >= 3 and not cs[1]["attachments"])
    dropped = _user_comments(backend, tid)[1]
    backend.comments[tid].remove(dropped)
    backend.touch()
    source_id = migrated.source_id("ticket", str(tid))
    key = f"emea:ticket:{source_id}"
    assert _named(migrated.reconcile()) == [
        ("major", "comment.count", key, str(tid)),
        ("major", "comment.missing", key, str(tid)),
    ]


def test_a_private_comment_made_public_is_a_critical_leak(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    tid = _ticket_where(backend, lambda cs: any(not c["public"] for c in cs))
    note = next(c for c in _user_comments(backend, tid) if not c["public"])
    note["public"] = True
    backend.touch()
    report = migrated.reconcile()
    key = f"emea:ticket:{migrated.source_id('ticket', str(tid))}"
    assert _named(report) == [("critical", "comment.leak", key, str(tid))]
    assert "data leak" in report.findings[0].message
    assert report.as_dict()["summary"]["verdict"] == "not ready: critical findings"


def test_one_changed_byte_in_an_attachment_is_found_by_its_digest(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    tid = _ticket_where(backend, lambda cs: any(c["attachments"] for c in cs))
    first = next(c for c in _user_comments(backend, tid) if c["attachments"])["attachments"][0]
    stored = backend.attachments[int(first["id"])]
    assert stored.data is not None
    stored.data = bytes([stored.data[0] ^ 0x01]) + stored.data[1:]
    key = f"emea:ticket:{migrated.source_id('ticket', str(tid))}"
    report = migrated.reconcile()
    assert _named(report) == [("major", "attachment.digest", key, str(tid))]
    assert first["file_name"] in report.findings[0].message


def test_a_shifted_comment_time_is_named_with_its_ticket(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    def fits(comments: list[dict[str, Any]]) -> bool:
        return len(comments) >= 2 and comments[1]["created_at"] > comments[0]["created_at"]

    tid = _ticket_where(backend, fits)
    first, second = _user_comments(backend, tid)[:2]
    # One second earlier: still after the first comment, so the order is unchanged.
    when = second["created_at"]
    shifted = when[:17] + f"{(int(when[17:19]) - 1) % 60:02d}" + when[19:]
    if shifted <= first["created_at"] or int(when[17:19]) == 0:
        pytest.skip("the generated times leave no room for a one-second shift")
    second["created_at"] = shifted
    backend.touch()
    key = f"emea:ticket:{migrated.source_id('ticket', str(tid))}"
    report = migrated.reconcile()
    assert _named(report) == [("major", "comment.time", key, str(tid))]
    assert "(-1 s)" in report.findings[0].message


def test_a_duplicated_ticket_is_critical_and_names_both_target_tickets(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    tid = min(backend.tickets)
    copy_id = backend.new_id("ticket")
    backend.tickets[copy_id] = {**copy.deepcopy(backend.tickets[tid]), "id": copy_id}
    backend.ticket_state[copy_id] = copy.deepcopy(backend.ticket_state[tid])
    comments = copy.deepcopy(backend.comments[tid])
    for comment in comments:
        comment["id"] = backend.new_id("comment")
        comment["audit_id"] = comment["id"] + 1_000_000_000_000
    backend.comments[copy_id] = comments
    backend.touch()
    source_id = migrated.source_id("ticket", str(tid))
    report = migrated.reconcile()
    assert _named(report) == [
        ("critical", "record.duplicate", f"emea:ticket:{source_id}", str(copy_id))
    ]
    assert f"the ledger maps it to {tid}" in report.findings[0].message
    assert report.as_dict()["counts"]["ticket"]["target_not_from_ledger"] == 1


def test_an_end_user_promoted_to_agent_is_a_critical_access_finding(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    uid = next(
        uid
        for uid, user in sorted(backend.users.items())
        if user["role"] == "end-user"
        and str(user.get("external_id") or "").startswith("emea:user:")  # migrated here
        and not user["suspended"]
    )
    backend.users[uid]["role"] = "agent"
    backend.users[uid]["ticket_restriction"] = None  # an agent's default: every ticket
    source_id = migrated.source_id("user", str(uid))
    report = migrated.reconcile()
    assert _named(report) == [
        ("critical", "access.role_escalated", f"emea:user:{source_id}", str(uid))
    ]
    assert report.findings[0].message == "end_user in the source is agent in the target"


def test_a_missing_sla_breach_is_named_with_its_ticket(
    migrated: Migrated, backend: ZendeskBackend
) -> None:
    field_id = next(
        fid
        for fid, field in backend.fields["ticket"].items()
        if field.get("title") == "Cemigrate SLA breaches"
    )

    def breaches(tid: int) -> dict[str, Any] | None:
        return next(
            (
                v
                for v in backend.tickets[tid]["custom_fields"]
                if v["id"] == field_id and (v["value"] or 0) >= 1
            ),
            None,
        )

    tid = next(tid for tid in sorted(backend.tickets) if breaches(tid) is not None)
    value = breaches(tid)
    assert value is not None
    before = value["value"]
    value["value"] = before - 1
    key = f"emea:ticket:{migrated.source_id('ticket', str(tid))}"
    report = migrated.reconcile()
    assert _named(report) == [("major", "sla.breach_missing", key, str(tid))]
    assert report.findings[0].message == (
        f"{before} SLA breach(es) in the source, {before - 1} in the target"
    )


def test_a_sample_states_the_confidence_it_gives(migrated: Migrated) -> None:
    report = migrated.reconcile(sample=50, seed=4)
    deep = report.as_dict()["deep"]
    assert report.findings == ()
    assert (deep["tickets_compared"], deep["population"], deep["sample"]) == (50, TICKETS - 1, 50)
    assert 0.05 < deep["defect_rate_bound_95"] < 0.06  # 1 - 0.05 ** (1/50) = 5.8 %
    assert deep["attachments_hashed"]["source"] < deep["attachments_hashed"]["target"] or (
        deep["attachments_hashed"]["source"] == deep["attachments_hashed"]["target"]
    )
    assert "below 5.82% at 95 % confidence" in report.markdown()


def test_findings_carry_no_ticket_body(migrated: Migrated, backend: ZendeskBackend) -> None:
    tid = _ticket_where(backend, lambda cs: len(cs) >= 3 and not cs[1]["attachments"])
    body = _user_comments(backend, tid)[1]["plain_body"]
    backend.comments[tid].remove(_user_comments(backend, tid)[1])
    backend.touch()
    report = migrated.reconcile()
    assert report.findings
    text = report.markdown() + report.html() + str(report.as_dict())
    assert body not in text
    assert all(isinstance(f, Finding) and f.severity in Severity for f in report.findings)
