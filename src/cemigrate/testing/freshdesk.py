"""The Freshdesk pair: an emulated account copied into another through the conformance suite.

The target account is empty but for the desk's agents, added beforehand: a migration never
creates agents (paid seats), it matches them by e-mail. The snapshot reads the target through
its API (not the emulator's internals), so it shows what a person would see there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from cemigrate.adapters import Source, Target
from cemigrate.adapters.freshdesk.client import FreshdeskClient, FreshdeskCredentials
from cemigrate.adapters.freshdesk.limits import FRESHDESK_PLANS
from cemigrate.adapters.freshdesk.source import EPOCH, FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.ratelimit import Clock, ManualClock, RetryPolicy, budgets_for
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.http import WireFaults
from cemigrate.schema import Record, Role, Ticket
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot

__all__ = ["EditableFreshdeskSource", "FreshdeskPair", "empty_target"]

API_KEY = "sandbox-api-key"
"""The key every sandbox account of this pair answers to."""


def _sandbox(**options: Any) -> Any:
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox

    return FreshdeskSandbox(api_key=API_KEY, **options)


def empty_target(*, clock: Clock | None = None) -> FreshdeskTarget:
    """A target on a brand-new emulated account (its owner and default fields only)."""
    clock = clock or ManualClock()
    account = _sandbox(tickets=0, seed=7, instance="new", clock=clock, empty=True)
    return FreshdeskTarget(
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=API_KEY),
        session=account.session(authenticated=False),
        clock=clock,
    )


class EditableFreshdeskSource(FreshdeskSource):
    """A Freshdesk source whose account a test can change in place, as agents would."""

    def __init__(self, account: Any, **options: Any) -> None:
        super().__init__(**options)
        self.account = account

    def put(self, record: Record) -> None:
        """Give a ticket of the account this record's subject (Freshdesk stamps the update)."""
        if not isinstance(record, Ticket):
            raise TypeError(f"only tickets can be changed here, not {record.KIND}")
        backend = self.account.backend
        with backend.lock:
            backend.update_ticket(int(record.id), {"subject": record.subject})


class FreshdeskPair(AdapterPair):
    """Freshdesk emulator → Freshdesk emulator. ``seed`` must be the seed the suite generates
    its help desk with (the emulator seeds itself from the same generator)."""

    name = "freshdesk-freshdesk"

    def __init__(self, *, seed: int) -> None:
        self.seed = seed
        self._accounts: dict[int, tuple[Any, Snapshot, set[str]]] = {}
        self._desk: HelpDesk | None = None
        self._keys: set[str] = set()

    def make_source(
        self, desk: HelpDesk, *, clock: Clock, faults: Faults, page_size: int | None = None
    ) -> Source:
        """An emulated account holding ``desk`` (Freshdesk fixes its own page size)."""
        self._desk = desk
        account = _sandbox(
            tickets=len(desk.tickets),
            seed=self.seed,
            instance=desk.instance,
            clock=clock,
            faults=_wire(faults),
            domain="old.freshdesk.com",
        )
        return EditableFreshdeskSource(
            account,
            instance=desk.instance,
            base_url=account.base_url,
            credentials=FreshdeskCredentials(api_key=API_KEY),
            session=account.session(authenticated=False),
            clock=clock,
        )

    def make_target(self, *, clock: Clock, faults: Faults) -> Target:
        """A brand-new account holding the desk's agents."""
        account = _sandbox(
            tickets=0,
            seed=self.seed,
            instance="new",
            clock=clock,
            faults=_wire(faults),
            empty=True,
            domain="new.freshdesk.com",
        )
        agents: set[str] = set()
        for person in self._desk.users if self._desk is not None else ():
            email = (person.email or "").lower()
            if person.role is not Role.END_USER and email and email not in agents:
                account.add_agent(
                    name=person.name, email=person.email, admin=person.role is Role.ADMIN
                )
                agents.add(email)
        target = FaultyTarget(
            FreshdeskTarget(
                base_url=account.base_url,
                credentials=FreshdeskCredentials(api_key=API_KEY),
                session=account.session(authenticated=False),
                clock=clock,
            ),
            faults,
        )
        owners = {"ticket": "ticket", "user": "contact", "organization": "company"}
        desk_fields = self._desk.fields if self._desk is not None else ()
        keys = {f"{owners[f.object.value]}:{f.key}" for f in desk_fields}
        self._keys = keys
        self._accounts[id(target)] = (account, _snapshot(account, agents, keys), agents)
        return target

    def with_faults(self, target: Target, faults: Faults) -> None:
        """Refusals and crashes from now on (throttling is set when the account is made)."""
        assert isinstance(target, FaultyTarget)
        target.set_faults(faults)

    def change(self, source: Source, record: Record) -> bool:
        """Put the record into the source account, as an agent's edit would."""
        assert isinstance(source, EditableFreshdeskSource)
        source.put(record)
        return True

    def snapshot(self, target: Target) -> Snapshot:
        """What the migration added to the account, identified without Freshdesk ids; the
        desk's agents count as users (the migration matched them)."""
        account, baseline, agents = self._accounts[id(target)]
        now = _snapshot(account, agents, self._keys)
        return {
            kind: sorted(set(rows) - {r for r in baseline.get(kind, []) if r[1] != "matched"})
            for kind, rows in now.items()
        }


def _wire(faults: Faults) -> WireFaults | None:
    if faults.throttle_rate <= 0:
        return None
    return WireFaults(rate_429=faults.throttle_rate, seed=faults.seed)


def _all(client: FreshdeskClient, path: str, **params: str | int) -> Iterator[dict[str, Any]]:
    for page in client.pages(path, params or None):
        yield from page.records


def _snapshot(
    account: Any, agents: set[str], adopted: set[str]
) -> dict[str, list[tuple[str, str]]]:
    """The account's records by a stable identity (external id or natural key), each with a
    fingerprint of what a person would check; Freshdesk ids are translated to identities.
    ``agents`` (by e-mail) and the default fields named in ``adopted`` are what the migration
    matches rather than creates: they count as its records."""
    clock = ManualClock()
    client = FreshdeskClient(
        base_url=account.base_url,
        credentials=FreshdeskCredentials(api_key=API_KEY),
        budgets=budgets_for(FRESHDESK_PLANS, "purchased_2000", clock=clock),
        retry=RetryPolicy(clock),
        session=account.session(authenticated=False),
    )
    companies = {c["id"]: c for c in _all(client, "/api/v2/companies")}
    # Suspended and deleted users are kept out as soft-deleted contacts: listed apart.
    contacts = {c["id"]: c for c in _all(client, "/api/v2/contacts")}
    for state in ("blocked", "deleted"):
        contacts.update({c["id"]: c for c in _all(client, "/api/v2/contacts", state=state)})
    staff = {a["id"]: a for a in _all(client, "/api/v2/agents")}
    people: dict[Any, str] = {
        i: c.get("unique_external_id") or c.get("email") or f"contact#{i}"
        for i, c in contacts.items()
    }
    people.update({i: str(a["contact"]["email"]).lower() for i, a in staff.items()})
    orgs: dict[Any, str] = {
        i: (c.get("custom_fields") or {}).get("cemigrate_id") or c["name"]
        for i, c in companies.items()
    }
    groups = {g["id"]: g for g in _all(client, "/api/v2/groups")}
    # Agents and adopted default fields were there before: they count once something migrated.
    migrated = any(c.get("unique_external_id") for c in contacts.values())
    rows: dict[str, list[tuple[str, str]]] = {"field": []}
    for owner in ("ticket", "contact", "company"):
        for f in _all(client, f"/api/v2/{owner}_fields"):
            key = str(f.get("name", "")).removeprefix("cf_")
            if f.get("default") and f"{owner}:{key}" in adopted:
                if migrated:
                    rows["field"].append((f"{owner}:{key} (adopted)", "matched"))
            elif f.get("default") or key.startswith("cemigrate_"):
                continue  # Freshdesk's own fields and cemigrate's setup are not records
            else:
                rows["field"].append((f"{owner}:{f.get('label')}", _digest(f.get("type"))))
    rows["organization"] = [(orgs[i], _digest(c["name"])) for i, c in companies.items()]
    rows["user"] = [
        (
            people[i],
            _digest(
                c.get("email"),
                c.get("name"),
                orgs.get(c.get("company_id")),
                bool(c.get("deleted") or c.get("blocked")),
            ),
        )
        for i, c in contacts.items()
    ] + [(people[i], "matched") for i in staff if migrated and people[i] in agents]
    rows["group"] = [(g["name"], _digest(g["name"])) for g in groups.values()]
    rows["group_membership"] = [
        (f"{people.get(a)}@{g['name']}", "") for g in groups.values() for a in g["agent_ids"]
    ]
    rows["rule"] = [  # rules have no external id: by type and name; migrated ones inactive
        (f"{kind}:{r.get('name')}", _digest(r.get("active")))
        for kind in ("1", "3", "4")
        for r in _all(client, f"/api/v2/automations/{kind}/rules")
    ]
    rows["sla_policy"] = [  # by name; migrated ones inactive
        (str(p.get("name")), _digest(p.get("active"), p.get("sla_target")))
        for p in _all(client, "/api/v2/sla_policies")
    ]
    rows["ticket"] = []
    for ticket in _all(client, "/api/v2/tickets", updated_since=EPOCH):
        custom = ticket.get("custom_fields") or {}
        conversations = [
            (
                c.get("private"),
                c.get("incoming"),
                people.get(c.get("user_id")),
                c.get("body_text"),
                [a.get("name") for a in c.get("attachments") or []],
            )
            for c in _all(client, f"/api/v2/tickets/{ticket['id']}/conversations")
        ]
        rows["ticket"].append(
            (
                _own(custom, "cf_cemigrate_id") or f"ticket#{ticket['id']}",
                _digest(
                    ticket.get("subject"),
                    ticket.get("status"),
                    _own(custom, "cf_cemigrate_created_at"),
                    people.get(ticket.get("requester_id")),
                    [a.get("name") for a in ticket.get("attachments") or []],
                    conversations,
                ),
            )
        )
    return {kind: sorted(values) for kind, values in rows.items()}


def _own(values: dict[str, Any], name: str) -> Any:
    """A cemigrate field's value, whatever account number Freshdesk appended to its name."""
    return next((v for k, v in values.items() if k == name or k.startswith(f"{name}_")), None)


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
