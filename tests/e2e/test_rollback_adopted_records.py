"""A target account that already holds a group, an organization and a custom field named as
the source's (on Zendesk, also a user with a source user's e-mail): the migration adopts them,
and a rollback deletes what the migration created but leaves the account's own records where
they were, on each of the three targets. A group the migration created in a run killed before
it recorded the create is adopted by name on resume: the rollback leaves it too, and lists it
as left."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import requests

from cemigrate.adapters import Source
from cemigrate.adapters.freshdesk import convert as fd_convert
from cemigrate.adapters.memory import SimulatedCrash
from cemigrate.adapters.salesforce import convert as sf_convert
from cemigrate.adapters.zendesk import convert as zd_convert
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.adapters.zendesk.target import ZendeskTarget
from cemigrate.copier import Migration, Probe
from cemigrate.copier.rollback import rollback
from cemigrate.ledger import Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import FieldDef, Role
from cemigrate.testing.accounts import EmulatedTarget, empty_target

ROOT = Path(__file__).resolve().parents[2]
TICKETS, SEED = 6, 4


@attrs.frozen
class Own:
    """A record an administrator made in the target before the migration."""

    what: str
    there: Callable[[requests.Session], bool]
    """Whether the account still holds it, as an administrator reads it back."""


def _shown(url: str) -> Callable[[requests.Session], bool]:
    def there(admin: requests.Session) -> bool:
        answer = admin.get(url)
        return answer.status_code == 200 and not answer.json().get("deleted")

    return there


def _active(url: str) -> Callable[[requests.Session], bool]:
    def there(admin: requests.Session) -> bool:
        answer = admin.get(url)
        return answer.status_code == 200 and answer.json()["user"]["active"] is True

    return there


def _listed(url: str, rows: str, column: str, value: str) -> Callable[[requests.Session], bool]:
    def there(admin: requests.Session) -> bool:
        return value in {str(row[column]) for row in admin.get(url).json()[rows]}

    return there


def _zendesk(made: EmulatedTarget, desk: HelpDesk, field: FieldDef) -> list[Own]:
    admin, api = made.admin(), made.api
    group = admin.post(f"{api}/groups.json", json={"group": {"name": desk.groups[0].name}})
    # The emulator takes organizations through create_many only: made in its backend.
    assert isinstance(made.account, ZendeskSandbox)
    organization = made.account.backend.create_organization({"name": desk.organizations[0].name})
    body = {"ticket_field": zd_convert.field_payload(field)}
    ticket_field = admin.post(f"{api}/ticket_fields.json", json=body).json()["ticket_field"]
    # A customer of the account who also wrote to the old desk: the user upsert finds her by
    # e-mail.
    customer = next(u for u in desk.users if u.role is Role.END_USER and u.email)
    user, _ = made.account.backend.upsert_user(
        {"name": "Customer of the new desk", "email": customer.email}, update=False
    )
    return [
        Own("group", _shown(f"{api}/groups/{group.json()['group']['id']}.json")),
        Own("organization", _shown(f"{api}/organizations/{organization}.json")),
        Own(
            "field",
            _listed(f"{api}/ticket_fields.json", "ticket_fields", "id", str(ticket_field["id"])),
        ),
        Own("user", _active(f"{api}/users/{user}.json")),
    ]


def _freshdesk(made: EmulatedTarget, desk: HelpDesk, field: FieldDef) -> list[Own]:
    admin, api = made.admin(), made.api
    group = admin.post(f"{api}/groups", json={"name": desk.groups[0].name}).json()
    company = admin.post(f"{api}/companies", json={"name": desk.organizations[0].name}).json()
    body = fd_convert.field_payload(field)
    ticket_field = admin.post(f"{api}/admin/ticket_fields", json=body).json()
    return [
        Own("group", _shown(f"{api}/groups/{group['id']}")),
        Own("company", _shown(f"{api}/companies/{company['id']}")),
        Own("field", _shown(f"{api}/admin/ticket_fields/{ticket_field['id']}")),
    ]


def _salesforce(made: EmulatedTarget, desk: HelpDesk, field: FieldDef) -> list[Own]:
    admin = made.admin()
    api = f"{made.account.base_url}/services/data/v62.0"
    name = desk.groups[0].name
    developer = "_".join("".join(c if c.isalnum() else " " for c in name).split())
    body = {"Name": name, "DeveloperName": developer, "Type": "Queue"}
    queue = admin.post(f"{api}/sobjects/Group", json=body).json()
    metadata = sf_convert.field_metadata(field)
    admin.post(f"{api}/tooling/sobjects/CustomField", json=metadata).raise_for_status()
    api_name = sf_convert.key_to_api_name(field.key)
    return [
        Own("queue", _shown(f"{api}/sobjects/Group/{queue['id']}")),
        Own("field", _listed(f"{api}/sobjects/Case/describe", "fields", "name", api_name)),
    ]


OWN: dict[str, Callable[[EmulatedTarget, HelpDesk, FieldDef], list[Own]]] = {
    "zendesk": _zendesk,
    "freshdesk": _freshdesk,
    "salesforce": _salesforce,
}


def _groups(platform: str, made: EmulatedTarget) -> dict[str, str]:
    """The account's groups (Salesforce: queues), id by name, as an admin lists them."""
    admin = made.admin()
    if platform == "salesforce":
        query = "SELECT Id, Name FROM Group WHERE Type = 'Queue'"
        url = f"{made.account.base_url}/services/data/v62.0/query"
        rows = admin.get(url, params={"q": query}).json()["records"]
        return {str(r["Name"]): str(r["Id"]) for r in rows}
    if platform == "zendesk":
        rows = admin.get(f"{made.api}/groups.json").json()["groups"]
    else:
        rows = admin.get(f"{made.api}/groups").json()
    return {str(g["name"]): str(g["id"]) for g in rows}


def _ticket_and_people_fields(made: EmulatedTarget) -> set[str]:
    """The ids of a Zendesk account's ticket, user and organization fields."""
    admin = made.admin()
    return {
        str(field["id"])
        for name in ("ticket_fields", "user_fields", "organization_fields")
        for field in admin.get(f"{made.api}/{name}.json").json()[name]
    }


@attrs.define
class Desk:
    """A Zendesk source account and its desk, and an empty target account of ``platform``."""

    platform: str
    clock: ManualClock
    source_account: ZendeskSandbox
    desk: HelpDesk
    made: EmulatedTarget

    def now(self) -> datetime:
        """The target account's time: the ledger keeps it, as a real one and its target agree
        on the time."""
        account: Any = self.made.account
        now: datetime = account.backend.now()
        return now

    def source(self) -> Source:
        return ZendeskSource(
            instance="old",
            base_url=self.source_account.base_url,
            credentials=ZendeskCredentials(
                email=self.source_account.email, token=self.source_account.token
            ),
            session=self.source_account.session(authenticated=False),
            clock=self.clock,
        )

    def migration(self, ledger: Ledger, probe: Probe | None = None) -> Migration:
        mapping = ROOT / "mappings" / f"zendesk-to-{self.platform}.toml"
        return Migration(
            sources=[self.source()],
            target=self.made.target,
            ledger=ledger,
            mapping=load_mapping(mapping),
            progress=False,
            probe=probe,
        )


@contextlib.contextmanager
def _desk(platform: str) -> Iterator[Desk]:
    clock = ManualClock()
    source = ZendeskSandbox(
        tickets=TICKETS, seed=SEED, instance="old", clock=clock, subdomain="old"
    )
    desk = generate(tickets=TICKETS, seed=SEED, instance="old")
    world = Desk(platform, clock, source, desk, empty_target(platform, clock, desk))
    try:
        yield world
    finally:
        world.made.target.close()


@pytest.mark.parametrize("platform", sorted(OWN))
def test_rollback_keeps_what_the_target_held_before_the_migration(platform: str) -> None:
    with _desk(platform) as world:
        field = next(f for f in world.desk.fields if f.key == "transaction_id")
        own = OWN[platform](world.made, world.desk, field)
        world.clock.advance(120)  # made a while before the migration (exports end a minute back)
        before = _groups(platform, world.made)
        assert world.desk.groups[0].name in before
        with Ledger.open(":memory:", now=world.now) as ledger:
            assert world.migration(ledger).run().status == "completed"
            assert len(_groups(platform, world.made)) > len(before)  # the run made its own

            report = rollback(world.made.target, ledger)

            admin = world.made.admin()
            assert [o.what for o in own if o.there(admin)] == [o.what for o in own]
            # What the run created is gone: the other groups, and every ticket.
            assert _groups(platform, world.made) == before
            assert ledger.counts().get("ticket", {}).get("done", 0) == 0
            assert not [k for k in report.left if "interrupted" in k.why]


def test_a_group_created_before_a_crash_and_adopted_on_resume_is_left_and_listed() -> None:
    with _desk("zendesk") as world:
        before = _groups("zendesk", world.made)

        def crash_once_groups_exist(step: str) -> None:
            # Killed after the target answered the groups' creates, before the ledger knew.
            if step == "sent" and len(_groups("zendesk", world.made)) > len(before):
                raise SimulatedCrash("killed with the groups created and not recorded")

        with Ledger.open(":memory:", now=world.now) as ledger:
            with pytest.raises(SimulatedCrash):
                world.migration(ledger, probe=crash_once_groups_exist).run()
            made_by_crashed_run = set(_groups("zendesk", world.made).items()) - set(before.items())
            assert made_by_crashed_run
            # A new process: a new target, which reads the account (and those groups) afresh.
            world.made.target.close()
            account = world.made.account
            assert isinstance(account, ZendeskSandbox)
            world.made = attrs.evolve(
                world.made,
                target=ZendeskTarget(
                    base_url=account.base_url,
                    credentials=ZendeskCredentials(email=account.email, token=account.token),
                    session=account.session(authenticated=False),
                    clock=world.clock,
                ),
            )
            assert world.migration(ledger).run(resume=True).status == "completed"

            fields = {str(e.target_id) for e in ledger.entries(kind="field")}
            assert fields <= _ticket_and_people_fields(world.made)

            report = rollback(world.made.target, ledger)

            left = {(k.kind, k.target_id) for k in report.left if "interrupted" in k.why}
            assert left == {("group", group_id) for _, group_id in made_by_crashed_run}
            group = next(group_id for _, group_id in made_by_crashed_run)
            assert f"left group {group}: matched after an interrupted run" in report.table()
            assert not report.ok
            # Left, not deleted: the groups are still there, and nothing else the run made.
            assert set(_groups("zendesk", world.made).items()) == (
                set(before.items()) | made_by_crashed_run
            )
            # The custom fields were recorded before the crash: created, and rolled back.
            assert not fields & _ticket_and_people_fields(world.made)
            assert ledger.counts().get("ticket", {}).get("done", 0) == 0
