"""The account's setup (fields, groups, memberships, brands, schedules...) is created several
calls at once, and still exactly once: records sharing a natural key one after another, a
refusal the record's own, an outage raised only once every call is back."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pytest

from cemigrate.adapters.base import PlatformTarget
from cemigrate.adapters.callpool import CallPool
from cemigrate.adapters.contract import FileSource, Outgoing, WriteResult
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.errors import RecordError, TransientError
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Group, GroupMembership, Kind, Ref, SourceKey
from cemigrate.testing.accounts import empty_target


def _target(clock: ManualClock) -> tuple[ZendeskSandbox, ZendeskTarget]:
    emulated = empty_target("zendesk", clock, generate(tickets=0, seed=1, instance="eu"))
    assert isinstance(emulated.account, ZendeskSandbox)
    assert isinstance(emulated.target, ZendeskTarget)
    # In process no call takes time, so the budgets would allow one call at a time (their
    # latency sizes the limit); allow four, as a 0.3 s round trip would.
    emulated.target.calls = CallPool(lambda: 4)
    return emulated.account, emulated.target


def _groups(*names: tuple[str, str, str]) -> list[Outgoing]:
    return [
        Outgoing(key=SourceKey(instance, Kind.GROUP, gid), record=Group(id=gid, name=name))
        for instance, gid, name in names
    ]


def test_groups_of_two_desks_are_created_at_once_and_a_shared_name_once() -> None:
    clock = ManualClock()
    account, target = _target(clock)
    before = {g["name"] for g in account.backend.groups.values()}
    batch = _groups(
        *(("eu", str(n), f"Team {n}") for n in range(1, 9)),
        ("us", "1", "Team 1"),  # the same team in the second desk
        ("us", "2", "Payments"),
    )
    # The first two creates wait for each other: one after another, the gate would break
    # (after ten seconds) and the write with it.
    gate = threading.Barrier(2, timeout=10)
    lock = threading.Lock()
    posts: list[str] = []
    send = target.client.request

    def request(method: str, path: str, **kwargs: Any) -> Any:
        if method == "POST":
            with lock:
                posts.append(path)
                first_two = len(posts) <= 2
            if first_two:
                gate.wait()
        return send(method, path, **kwargs)

    target.client.request = request  # type: ignore[method-assign]
    try:
        results = target.write(Kind.GROUP, batch, _NO_FILES)
    finally:
        target.close()
    assert len(posts) == 9  # eight teams and Payments: the shared name once
    assert all(r.ok for r in results)
    assert [r.key for r in results] == [o.key for o in batch]  # in the batch's order
    by_key = {r.key: r.target_id for r in results}
    assert by_key[SourceKey("eu", Kind.GROUP, "1")] == by_key[SourceKey("us", Kind.GROUP, "1")]
    names = Counter(g["name"] for g in account.backend.groups.values() if g["name"] not in before)
    assert names == Counter({f"Team {n}": 1 for n in range(1, 9)} | {"Payments": 1})
    assert target.calls.most > 1


def test_a_membership_without_its_user_is_refused_and_the_others_are_written() -> None:
    clock = ManualClock()
    account, target = _target(clock)
    for n in (1, 2):
        account.backend.upsert_user(
            {"name": f"Agent {n}", "email": f"a{n}@new.example", "role": "agent"}, update=False
        )
    groups = target.write(Kind.GROUP, _groups(("eu", "1", "Team 1")), _NO_FILES)
    group_id = groups[0].target_id
    assert group_id is not None
    agents = [u for u in account.backend.users.values() if u["role"] in ("agent", "admin")]
    assert len(agents) >= 2
    batch = [
        Outgoing(
            key=SourceKey("eu", Kind.GROUP_MEMBERSHIP, str(n)),
            record=GroupMembership(
                id=str(n), user=Ref(kind=Kind.USER, id=f"u{n}"), group=Ref(kind=Kind.GROUP, id="1")
            ),
            links={Ref(kind=Kind.GROUP, id="1"): group_id}
            | ({Ref(kind=Kind.USER, id=f"u{n}"): str(agent["id"])} if n else {}),
        )
        for n, agent in enumerate(agents[:3])
    ]
    try:
        results = target.write(Kind.GROUP_MEMBERSHIP, batch, _NO_FILES)
    finally:
        target.close()
    assert not results[0].ok  # its user is not linked: refused, with why
    assert results[0].error
    assert all(r.ok for r in results[1:])
    held = {(str(m["user_id"]), str(m["group_id"])) for m in account.backend.memberships.values()}
    assert {(str(a["id"]), group_id) for a in agents[1:3]} <= held


class _Calls(PlatformTarget):
    """A target whose writes are functions of the test, several at once."""

    platform = "test"

    def __init__(self, write: object) -> None:
        self.pool = CallPool(lambda: 4)
        self.write_one = write

    def _at_once(self, call, items):  # type: ignore[no-untyped-def, override]
        return self.pool.map(call, items)

    def _writers(self):  # type: ignore[no-untyped-def, override]
        def batch(items: Sequence[Outgoing], files: FileSource) -> list[WriteResult]:
            return self._per_key(items, _name, self.write_one)  # type: ignore[arg-type]

        return {Kind.GROUP: batch}

    def _forget(self) -> None:
        pass


def _name(item: Outgoing) -> Hashable:
    assert isinstance(item.record, Group)
    return item.record.name


def test_an_outage_is_raised_once_every_call_is_back_and_a_shared_key_goes_in_order() -> None:
    lock = threading.Lock()
    written: list[str] = []

    def write(item: Outgoing) -> WriteResult:
        assert isinstance(item.record, Group)
        if item.record.name == "down":
            raise TransientError("zendesk answered 503")
        if item.record.name == "bad":
            raise RecordError("zendesk refused the group", platform_message="Name: is invalid")
        with lock:
            written.append(item.key.id)
        return WriteResult(key=item.key, target_id=f"t-{item.record.name}")

    batch = _groups(
        ("eu", "1", "a"),
        ("eu", "2", "down"),
        ("eu", "3", "b"),
        ("eu", "4", "a"),
        ("eu", "5", "bad"),
        ("eu", "6", "c"),
    )
    target = _Calls(write)
    try:
        with pytest.raises(TransientError, match="503"):
            target.write(Kind.GROUP, batch, _NO_FILES)
        assert sorted(written) == ["1", "3", "4", "6"]  # every other call was made
        assert written.index("1") < written.index("4")  # one name: in the batch's order
        refused = target.write(Kind.GROUP, [batch[4], batch[5]], _NO_FILES)
    finally:
        target.pool.close()
    assert refused[0].platform_message == "Name: is invalid"
    assert refused[1].target_id == "t-c"


class _NoFiles(FileSource):
    def open_attachment(self, attachment):  # type: ignore[no-untyped-def, override]
        raise AssertionError("setup has no files")

    def read_fields(self):  # type: ignore[no-untyped-def, override]
        return ()

    def sla_history(self, tickets) -> Mapping[str, object]:  # type: ignore[no-untyped-def, override]
        return {}


_NO_FILES = _NoFiles()
