"""A Freshdesk rollback deletes custom fields by their bare id: each through the list (ticket,
contact or company fields) that holds it; one already gone counts as deleted."""

from __future__ import annotations

from cemigrate.ratelimit import ManualClock
from cemigrate.schema import Kind
from cemigrate.testing.freshdesk import FreshdeskPair
from cemigrate.testing.pair import Faults

LISTS = ("admin/ticket_fields", "contact_fields", "company_fields")


def test_fields_of_each_object_are_deleted_and_a_second_pass_finds_them_gone() -> None:
    pair = FreshdeskPair(seed=11)
    target = pair.make_target(clock=ManualClock(), faults=Faults())
    try:
        emulator = pair._accounts[id(target)][0]
        agent, base = emulator.session(), f"{emulator.base_url}/api/v2"
        made = {
            path: agent.post(
                f"{base}/{path}", json={"label": "Rollback tier", "type": "custom_text"}
            ).json()["id"]
            for path in LISTS
        }
        before = {path: agent.get(f"{base}/{path}").json() for path in LISTS}
        ids = [str(made[path]) for path in LISTS]
        target.delete(Kind.FIELD, ids)
        for path in LISTS:
            after = agent.get(f"{base}/{path}").json()
            assert [f for f in before[path] if f["id"] != made[path]] == after
        target.delete(Kind.FIELD, ids)  # a resumed rollback: all gone already, no error
    finally:
        target.close()
