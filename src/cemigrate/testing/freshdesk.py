"""The Freshdesk pair: an emulated account copied into another through the conformance suite.

The target account is empty but for the desk's agents, added beforehand: a migration never
creates agents (paid seats), it matches them by e-mail. The snapshot reads the target through
its API (not the emulator's internals), so it shows what a person would see there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from cemigrate.adapters import Source, Target
from cemigrate.adapters.freshdesk.client import FreshdeskClient, FreshdeskCredentials
from cemigrate.adapters.freshdesk.convert import OVERFLOW_PREFIX
from cemigrate.adapters.freshdesk.limits import FRESHDESK_PLANS
from cemigrate.adapters.freshdesk.source import EPOCH, FreshdeskSource
from cemigrate.adapters.freshdesk.target import FreshdeskTarget
from cemigrate.adapters.sla_history import SLA_NOTE_HEADING
from cemigrate.ratelimit import Clock, ManualClock, RetryPolicy, budgets_for
from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.schema import Record, Ticket
from cemigrate.testing.faulty import FaultyTarget
from cemigrate.testing.kill import (
    ZENDESK_ENV,
    Killable,
    ShiftedClock,
    zendesk_source_account,
    zendesk_source_plan,
)
from cemigrate.testing.pair import AdapterPair, Faults, Snapshot

__all__ = ["EditableFreshdeskSource", "FreshdeskPair", "empty_target"]

API_KEY = "sandbox-api-key"
"""The key every sandbox account of this pair answers to."""


def _sandbox(**options: Any) -> Any:
    from cemigrate.sandbox.freshdesk import FreshdeskSandbox

    return FreshdeskSandbox(api_key=API_KEY, **options)


def _seats(desk: HelpDesk | None) -> list[Any]:
    """The desk's agents who hold a paid seat in the target (none without a desk)."""
    from cemigrate.sandbox.web import seats

    return [] if desk is None else list(seats(desk))


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

    wire = True

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
            faults=faults.on_the_wire(),
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
            faults=faults.on_the_wire(),
            empty=True,
            domain="new.freshdesk.com",
        )
        if self._desk is not None:  # agents (paid seats) and ticket types exist beforehand
            account.add_seats(self._desk)
        agents = {(p.email or "").lower() for p in _seats(self._desk)}
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

    def broken_answers(self, target: Target) -> int:
        """The answers of ``target``'s account the faults broke."""
        account, _, _ = self._accounts[id(target)]
        return 0 if account.faults is None else int(account.faults.injected["garbled"])

    def snapshot(self, target: Target) -> Snapshot:
        """What the migration added to the account, identified without Freshdesk ids; the
        desk's agents count as users (the migration matched them)."""
        account, baseline, agents = self._accounts[id(target)]
        now = _snapshot(account, agents, self._keys)
        return {
            kind: sorted(set(rows) - {r for r in baseline.get(kind, []) if r[1] != "matched"})
            for kind, rows in now.items()
        }

    @contextlib.contextmanager
    def killable(self) -> Iterator[Killable]:
        """A 2,000-ticket Zendesk → Freshdesk migration on loopback, killed after a batch of
        users, between tickets and inside one. Freshdesk writes a ticket as several calls (the
        create, then each conversation), so a kill can leave a ticket created with only some of
        its conversations: the resumed run finds it by the filter search on ``cemigrate_id``
        and writes only the conversations it lacks."""
        from cemigrate.sandbox.freshdesk import serve_freshdesk

        # Enterprise Plus with High Volume on the Zendesk side: the read needs no real waits.
        old = zendesk_source_account(clock := ShiftedClock(), tickets=2000, seed=_KILL_SEED)
        clock.ahead = 120.0
        new, new_server = serve_freshdesk(
            port=0,
            tickets=0,
            seed=_KILL_SEED,
            instance="new",
            empty=True,
            plan="purchased_2000",
            api_key=_KILL_API_KEY,
        )
        raise_limits(new, 60_000)
        new.add_seats(old.backend.desk)  # agents (paid seats) and ticket types exist before
        with old.serve() as old_server, new_server:
            moments = random.Random(20261124)
            kills = (
                ("user: wrote a batch", moments.randint(1, 6), 0.0),
                # Between tickets, and inside one: created with only some of its conversations.
                ("ticket: wrote a batch", moments.randint(300, 500), 0.0),
                ("ticket: wrote a batch", moments.randint(300, 500), moments.uniform(0.002, 0.02)),
                ("ticket: wrote a batch", moments.randint(300, 500), moments.uniform(0.002, 0.02)),
            )
            yield Killable(
                plan=zendesk_source_plan(old_server.url) + _KILLED_TARGET.format(new_server.url),
                env={**ZENDESK_ENV, "KILL_TEST_FD_KEY": _KILL_API_KEY},
                kills=kills,
                check=lambda: _every_record_once(old, new),
            )


_KILL_SEED, _KILL_API_KEY = 5, "kill-test-key"

_KILLED_TARGET = """
[target]
platform = "freshdesk"
base_url = "{}"
plan = "purchased_2000"
api_key_env = "KILL_TEST_FD_KEY"
"""

_SUB_LIMITS = ("ticket_create", "ticket_update", "tickets_list", "contacts_list")


def raise_limits(account: Any, per_minute: int) -> None:
    """An account with a larger purchased limit than the presets know: the emulator allows
    ``per_minute`` credits, and says so in ``X-Ratelimit-Total``, which the copier's account
    budget adopts. The copier's own ticket-create sub-limit stays the plan's (800 a minute,
    a full minute's worth at each start), so each run creates fewer tickets than that."""
    from cemigrate.sandbox.freshdesk.urls import CreditBucket, PlanLimits

    app = account.freshdesk
    clock = account.clock
    app.plan = PlanLimits(per_minute, per_minute, per_minute, per_minute, per_minute)
    app.account = CreditBucket(per_minute, clock)
    app.sub_limits = {name: CreditBucket(per_minute, clock) for name in _SUB_LIMITS}


def _kind(conversation: dict[str, Any]) -> str:
    body = str(conversation.get("body") or "")
    if SLA_NOTE_HEADING in body:
        return "sla"
    if OVERFLOW_PREFIX in body:
        return "overflow"
    return "comment"


def _every_record_once(old: Any, new: Any) -> None:
    """Every live ticket of ``old`` once in the Freshdesk account ``new``, each later comment
    once in order of visibility, one SLA note at most, every file once; every contact once."""
    backend = new.backend
    live = {t.id: t for t in old.backend.desk.tickets if not t.deleted}
    field = next(
        f["name"] for f in backend.fields["ticket"].values() if "cemigrate_id" in f["name"]
    )
    tickets = {tid: backend.ticket(tid) for tid in backend.live_ticket_ids()}
    by_key = Counter(str((t.get("custom_fields") or {}).get(field)) for t in tickets.values())
    assert [k for k, n in by_key.items() if n > 1] == [], "a ticket was created twice"
    assert set(by_key) == {f"exchange:ticket:{i}" for i in live}
    ticket_of = {
        tid: str(t["custom_fields"][field]).rsplit(":", 1)[1] for tid, t in tickets.items()
    }
    # Every later comment once, in order of visibility; one SLA note at most per ticket.
    files: Counter[tuple[str, int]] = Counter()
    for tid, data in tickets.items():
        source = live[ticket_of[tid]]
        held = backend.conversations(tid)
        kinds = Counter(_kind(c) for c in held)
        comments = [c for c in held if _kind(c) == "comment"]
        assert len(comments) == len(source.comments) - 1, source.id
        assert [bool(c["private"]) for c in comments] == [
            not c.public for c in source.comments[1:]
        ], source.id
        assert kinds["sla"] <= 1, source.id
        for item in [data, *held]:
            files.update(
                (str(a["name"]), int(a["file_size"])) for a in item.get("attachments") or ()
            )
    expected = Counter(
        (a.file_name, a.size) for t in live.values() for c in t.comments for a in c.attachments
    )
    assert files == expected, "a file is missing or was written twice"
    externals = [
        c["unique_external_id"] for c in backend.contacts.values() if c.get("unique_external_id")
    ]
    assert len(externals) == len(set(externals)), "a contact was created twice"


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
    # Lists leave out a contact's other companies and a group's members: their views have them.
    contacts = {i: client.get_json(f"/api/v2/contacts/{i}") for i in contacts}
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
    groups = {
        g["id"]: client.get_json(f"/api/v2/groups/{g['id']}")
        for g in _all(client, "/api/v2/groups")
    }
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
    rows["organization_membership"] = [  # the default company, then the others
        (f"{people[i]}@{orgs.get(company)}", _digest(company == c.get("company_id")))
        for i, c in contacts.items()
        for company in [
            c.get("company_id"),
            *(o.get("company_id") for o in c.get("other_companies") or []),
        ]
        if company is not None
    ]
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
    labels: dict[str, set[str]] = {"brand": set(), "ticket_form": set(), "custom_status": set()}
    for ticket in _all(client, "/api/v2/tickets", updated_since=EPOCH):
        custom = ticket.get("custom_fields") or {}
        for kind, field in (
            ("brand", "cf_cemigrate_brand"),
            ("ticket_form", "cf_cemigrate_form"),
            ("custom_status", "cf_cemigrate_custom_status"),
        ):  # kept as labels on tickets: each distinct label is one record
            if label := _own(custom, field):
                labels[kind].add(str(label))
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
    rows.update({kind: [(label, "label") for label in found] for kind, found in labels.items()})
    return {kind: sorted(values) for kind, values in rows.items()}


def _own(values: dict[str, Any], name: str) -> Any:
    """A cemigrate field's value, whatever account number Freshdesk appended to its name."""
    return next((v for k, v in values.items() if k == name or k.startswith(f"{name}_")), None)


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
