"""A user the Zendesk account already holds under a source user's e-mail is adopted as it is
(matched), never overwritten: an upsert would change its name, role and external id, and a
target admin sharing an agent's e-mail would be demoted."""

from __future__ import annotations

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Kind, Role, SourceKey, User
from cemigrate.testing.accounts import empty_target


def _user(source_id: str, name: str, email: str, role: Role) -> Outgoing:
    record = User(id=source_id, name=name, email=email, role=role)
    return Outgoing(key=SourceKey("old", Kind.USER, source_id), record=record)


def test_users_the_account_holds_by_e_mail_are_adopted_unchanged_and_new_ones_created() -> None:
    clock = ManualClock()
    emulated = empty_target("zendesk", clock, generate(tickets=0, seed=1, instance="old"))
    account, target = emulated.account, emulated.target
    assert isinstance(account, ZendeskSandbox)
    assert isinstance(target, ZendeskTarget)
    backend = account.backend
    customer, _ = backend.upsert_user(
        {"name": "Customer of the new desk", "email": "Mia@Shop.example"}, update=False
    )
    admin, _ = backend.upsert_user(
        {"name": "New desk admin", "email": "lead@new.example", "role": "admin"}, update=False
    )
    batch = [
        _user("1", "Mia (old desk)", "mia@shop.example", Role.END_USER),
        _user("2", "Lead (old desk)", "lead@new.example", Role.AGENT),
        _user("3", "Noor", "noor@shop.example", Role.END_USER),
    ]
    try:
        results = target.write(Kind.USER, batch, MemorySource({}, instance="old"))
    finally:
        target.close()
    assert [(r.target_id, r.matched, r.ok) for r in results[:2]] == [
        (str(customer), True, True),
        (str(admin), True, True),
    ]
    assert (backend.users[customer]["name"], backend.users[customer]["external_id"]) == (
        "Customer of the new desk",
        None,
    )
    assert (backend.users[admin]["name"], backend.users[admin]["role"]) == (
        "New desk admin",
        "admin",
    )
    new = results[2]
    assert new.ok
    assert not new.matched
    assert new.target_id is not None
    made = backend.users[int(new.target_id)]
    assert (made["name"], made["email"]) == ("Noor", "noor@shop.example")
