"""Zendesk to Zendesk under injected faults: 429s, 5xx and dropped connections on both sides.

The copier runs to completion (resuming when a run stops as ``interrupted``, as a person
would), and the target is read back: every ticket once, every comment with its public flag,
author and time, every attachment; the ledger has nothing pending and its journal verifies.

A dropped connection *after* Zendesk applied a write is the dangerous case: the import job
exists although the client never saw it. Those writes must not be replayed blindly; the
ledger's pending → ``find()`` path resolves them.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.convert import is_sla_note
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, RunReport
from cemigrate.ledger import EntryState, Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.http import DroppedConnection, StartResponse, WireFaults, mount_sandbox
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Record, Ref, Ticket

CREDENTIALS = ZendeskCredentials(email="admin@demo.example", token="sandbox-token")
IMPORT_PATH = "/api/v2/imports/tickets/create_many.json"


def faults(seed: int) -> WireFaults:
    """10% of requests fail: 4% 429, 2% 500, 2% 503, 2% dropped connections."""
    return WireFaults(rate_429=0.04, rate_500=0.02, rate_503=0.02, rate_drop=0.02, seed=seed)


@dataclass
class Migrated:
    tickets: int
    reports: list[RunReport]
    ledger: Ledger
    source_account: ZendeskSandbox
    target_account: ZendeskSandbox
    source: ZendeskSource
    target_view: ZendeskSource  # the target read back without faults


def _view(account: ZendeskSandbox, clock: ManualClock, instance: str) -> ZendeskSource:
    """The account read through a session that bypasses its fault injection."""
    return ZendeskSource(
        instance=instance,
        base_url=account.base_url,
        credentials=CREDENTIALS,
        session=mount_sandbox(requests.Session(), account.base_url, account.zendesk),
        clock=clock,
    )


def run_to_completion(migration: Migration, *, max_runs: int = 40) -> list[RunReport]:
    """Run, then resume as long as a run stops as ``interrupted`` (what a person would do)."""
    reports = [migration.run()]
    while reports[-1].status == "interrupted":
        assert len(reports) < max_runs, [r.stopped_because for r in reports]
        reports.append(migration.run(resume=True))
    return reports


def migrate(
    tickets: int,
    *,
    source_faults: WireFaults | None,
    target_app: Any = None,
    target_faults: WireFaults | None = None,
) -> Iterator[Migrated]:
    clock = ManualClock()
    source_account = ZendeskSandbox(
        tickets=tickets, seed=3, instance="emea", clock=clock, faults=source_faults
    )
    target_account = ZendeskSandbox(
        tickets=0,
        seed=9,
        instance="t",
        clock=clock,
        subdomain="new",
        faults=target_faults,
        empty=True,  # a new account: every group and field is created
    )
    clock.advance(120)  # past Zendesk's one-minute export delay
    source = ZendeskSource(
        instance="emea",
        base_url=source_account.base_url,
        credentials=CREDENTIALS,
        session=source_account.session(authenticated=False),
        clock=clock,
    )
    app = target_account.app if target_app is None else target_app(target_account.app)
    target = ZendeskTarget(
        base_url=target_account.base_url,
        credentials=CREDENTIALS,
        session=mount_sandbox(requests.Session(), target_account.base_url, app),
        clock=clock,
    )
    with Ledger.open(":memory:") as ledger:
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        reports = run_to_completion(migration)
        clock.advance(120)
        yield Migrated(
            tickets,
            reports,
            ledger,
            source_account,
            target_account,
            _view(source_account, clock, "emea"),
            _view(target_account, clock, "new"),
        )


def read(view: ZendeskSource, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in view.read(kind) for r in batch.records}


def done_ids(ledger: Ledger, kind: Kind) -> dict[str, str]:
    return {
        e.source_id: e.target_id
        for e in ledger.entries(kind=kind.value, state=EntryState.DONE)
        if e.target_id is not None
    }


def assert_arrived_exactly(migrated: Migrated) -> None:
    """Every source ticket once in the target, with its comments and attachments."""
    desk = generate(tickets=migrated.tickets, seed=3, instance="emea")
    ledger = migrated.ledger
    assert migrated.reports[-1].status == "completed", migrated.reports[-1].stopped_because
    assert list(ledger.entries(state=EntryState.PENDING)) == []
    assert ledger.verify_journal() > 0
    deleted = desk.edge_cases["deleted_ticket"][0]
    assert ledger.failures() == []
    skipped = [e.key for e in ledger.entries(state=EntryState.SKIPPED) if e.kind == "ticket"]
    assert skipped == [f"emea:ticket:{deleted}"]  # SLA records are skipped as kept-in-ticket

    # No duplicate in the target itself: each external id (the source key) once.
    backend = migrated.target_account.backend
    live = [t for tid, t in backend.tickets.items() if not backend.ticket_state[tid].deleted]
    by_external = collections.Counter(t["external_id"] for t in live)
    assert [key for key, n in by_external.items() if n > 1] == []
    expected = {f"emea:ticket:{t.id}" for t in desk.tickets if not t.deleted}
    assert set(by_external) == expected
    users = backend.users.values()
    user_keys = collections.Counter(u["external_id"] for u in users if u.get("external_id"))
    assert [key for key, n in user_keys.items() if n > 1] == []
    for kind in (Kind.ORGANIZATION, Kind.GROUP, Kind.FIELD):
        names = [_name(r) for r in read(migrated.target_view, kind).values()]
        assert [n for n, c in collections.Counter(names).items() if c > 1] == [], kind

    tickets = done_ids(ledger, Kind.TICKET)
    user_ids = done_ids(ledger, Kind.USER)
    assert len(tickets) == len(set(tickets.values())) == len(expected)
    originals = read(migrated.source, Kind.TICKET)
    arrived = read(migrated.target_view, Kind.TICKET)
    assert set(arrived) == set(tickets.values())
    for source_id, target_id in tickets.items():
        before, after = originals[source_id], arrived[target_id]
        assert isinstance(before, Ticket)
        assert isinstance(after, Ticket)
        assert after.subject == before.subject, source_id
        comments = [c for c in after.comments if not is_sla_note(c)]
        assert len(comments) == len(before.comments), source_id
        for old, new in zip(before.comments, comments, strict=True):
            assert new.public is old.public, (source_id, old.id)
            assert new.created_at == old.created_at, (source_id, old.id)
            assert new.author == _moved(old.author, user_ids), (source_id, old.id)
            assert [a.file_name for a in new.attachments] == [
                a.file_name for a in old.attachments
            ], (source_id, old.id)


def _name(record: Record) -> object:
    return (getattr(record, "object", None), getattr(record, "key", None) or record.name)  # type: ignore[attr-defined]


def _moved(ref: Ref | None, ids: dict[str, str]) -> Ref | None:
    return None if ref is None else Ref(kind=ref.kind, id=ids[ref.id])


def _injected(account: ZendeskSandbox) -> dict[str, int]:
    assert account.faults is not None
    return account.faults.injected


# -- 10% faults on both sides ------------------------------------------------------------------


@pytest.fixture(scope="module")
def faulty_300() -> Iterator[Migrated]:
    yield from migrate(300, source_faults=faults(11), target_faults=faults(12))


@pytest.fixture(scope="module")
def faulty_2000() -> Iterator[Migrated]:
    yield from migrate(2000, source_faults=faults(21), target_faults=faults(22))


def test_300_tickets_arrive_exactly_under_ten_percent_faults(faulty_300: Migrated) -> None:
    for account in (faulty_300.source_account, faulty_300.target_account):
        injected = _injected(account)
        assert injected["drop"] > 0
        assert injected["429"] > 0
        assert injected["500"] + injected["503"] > 0
    assert_arrived_exactly(faulty_300)


def test_2000_tickets_arrive_exactly_under_ten_percent_faults(faulty_2000: Migrated) -> None:
    for account in (faulty_2000.source_account, faulty_2000.target_account):
        assert sum(_injected(account).values()) > 100
    assert_arrived_exactly(faulty_2000)


# -- a write applied by Zendesk whose answer never arrived ------------------------------------


class DropAfterApplying:
    """Let Zendesk apply the first ``times`` requests matching, then drop their answers."""

    def __init__(self, app: Any, *, method: str, path: str, times: int = 1) -> None:
        self.app = app
        self.method = method
        self.path = path
        self.left = times
        self.dropped = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answer = self.app(environ, start_response)
        if (
            self.left > 0
            and environ["REQUEST_METHOD"] == self.method
            and environ["PATH_INFO"] == self.path
        ):
            b"".join(answer)  # the server did the work
            self.left -= 1
            self.dropped += 1
            raise DroppedConnection("answer lost after the import job was created")
        return answer


@pytest.mark.parametrize(
    ("path", "times"),
    [
        (IMPORT_PATH, 1),
        (IMPORT_PATH, 3),
        ("/api/v2/organizations/create_many.json", 1),
        ("/api/v2/groups.json", 2),
        ("/api/v2/group_memberships.json", 2),
        ("/api/v2/ticket_fields.json", 1),
        ("/api/v2/users/create_many.json", 2),
    ],
)
def test_a_write_whose_answer_was_lost_is_not_duplicated(path: str, times: int) -> None:
    dropper: list[DropAfterApplying] = []

    def wrap(app: Any) -> DropAfterApplying:
        dropper.append(DropAfterApplying(app, method="POST", path=path, times=times))
        return dropper[0]

    for migrated in migrate(250, source_faults=None, target_app=wrap):
        assert dropper[0].dropped == times
        assert_arrived_exactly(migrated)
