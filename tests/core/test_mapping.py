"""Mapping files: loading, validation with file/line/key, binding to targets, and applying."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cemigrate.adapters import Capability, Metadata
from cemigrate.adapters.memory import MemorySource, MemoryTarget
from cemigrate.copier import Migration
from cemigrate.errors import MappingError
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import MappingFile, Refuse, Skip, load_mapping
from cemigrate.mapping.spec import ATTRIBUTES, KEYS, reference_markdown
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.schema import (
    Attachment,
    FieldDef,
    FieldType,
    Group,
    Kind,
    Priority,
    Status,
    Ticket,
)

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = sorted((ROOT / "mappings").glob("*-to-*.toml"))
DESK = generate(tickets=60, seed=4, instance="src")


def write(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the shipped files ---------------------------------------------------------------------


def test_a_mapping_file_ships_for_every_ordered_pair_of_platforms() -> None:
    platforms = ("zendesk", "salesforce", "freshdesk")
    assert {p.stem for p in MAPPINGS} == {f"{a}-to-{b}" for a in platforms for b in platforms}


def _target_metadata(platform: str) -> Metadata:
    """What a fresh sandbox account of ``platform`` says it takes."""
    if platform == "zendesk":
        from cemigrate.adapters.zendesk.client import ZendeskCredentials
        from cemigrate.adapters.zendesk.target import ZendeskTarget
        from cemigrate.sandbox.zendesk import ZendeskSandbox

        account = ZendeskSandbox(tickets=0, empty=True)
        return ZendeskTarget(
            base_url=account.base_url,
            credentials=ZendeskCredentials(email=account.email, token=account.token),
            session=account.session(authenticated=False),
        ).describe()
    if platform == "salesforce":
        from cemigrate.adapters.salesforce.client import SalesforceCredentials
        from cemigrate.adapters.salesforce.target import SalesforceTarget
        from cemigrate.sandbox.salesforce import SalesforceSandbox

        org = SalesforceSandbox(tickets=0, empty=True)
        return SalesforceTarget(
            instance_url=org.base_url,
            credentials=SalesforceCredentials(access_token=org.access_token),
            session=org.session(authenticated=False),
        ).describe()
    from cemigrate.testing import freshdesk

    return freshdesk.empty_target().describe()


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.stem)
def test_every_shipped_mapping_loads_and_binds_to_its_target_sandbox(path: Path) -> None:
    mapping = load_mapping(path)
    assert (mapping.source, mapping.target) == tuple(path.stem.split("-to-"))
    target = _target_metadata(str(mapping.target))
    mapping.bind(target)  # every value it sends is one the sandbox account takes
    needs = mapping.needs()
    for attribute in ATTRIBUTES:  # total: every schema value has a target value
        assert set(needs.values[attribute]) == set(ATTRIBUTES[attribute]), attribute


def test_the_reference_in_docs_lists_every_key() -> None:
    doc = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    assert reference_markdown() in doc
    assert all(f"`{key.path}`" in doc for key in KEYS)


# -- bad files: one line naming file, line and key -----------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('name = "x"\n[status]\nunmaped = "error"\n', 3, "status.unmaped: unknown key"),
        ('[attachments]\nmax_bytes = "big"\n', 2, "attachments.max_bytes: must be of type integer"),
        (
            '[status.map]\nonhold = "open"\n',
            2,
            "status.map.onhold: 'onhold' is not a ticket status",
        ),
        ('[priority]\nunmapped = "maybe"\n', 2, "priority.unmapped: 'maybe' is not allowed"),
        ('[status]\nunmapped = "default"\n', 2, "status.unmapped: default needs status.default"),
        ('[status]\nunmapped = "drop"\n', 2, "a ticket always has a status"),
        ('[tags]\nmode = "field"\n', 2, "tags.mode: mode field needs tags.field"),
        ("status = 3\n", 1, "status: must be a table, not integer"),
    ],
)
def test_a_bad_mapping_file_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(MappingError) as refused:
        load_mapping(path)
    text_of = str(refused.value)
    assert text_of.startswith(f"{path}:{line}: "), text_of
    assert message in text_of
    assert "\n" not in text_of


def test_a_toml_syntax_error_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[status.map]\nhold = "open\n')
    with pytest.raises(MappingError, match=rf"^{path}: TOML syntax error: .*line 2"):
        load_mapping(path)


def test_a_value_the_target_does_not_take_is_refused_at_bind(tmp_path: Path) -> None:
    path = write(tmp_path, '[status]\nunmapped = "error"\n\n[status.map]\nhold = "onhold"\n')
    target = Metadata(
        platform="zendesk",
        kinds=frozenset(Kind),
        values={"status": tuple(s.value for s in Status)},
        capabilities=frozenset({Capability.VALUE_MAPS}),
    )
    with pytest.raises(MappingError) as refused:
        load_mapping(path).bind(target)
    assert str(refused.value).startswith(f"{path}:5: status.map.hold: 'onhold' is not a zendesk")
    assert "choose one of new, open, pending, hold, solved, closed" in str(refused.value)


def test_a_target_without_value_maps_refuses_values_other_than_its_own(tmp_path: Path) -> None:
    path = write(tmp_path, '[priority.map]\nurgent = "High"\n')
    target = Metadata(
        platform="acme",
        kinds=frozenset(Kind),
        default_values={"priority": {"urgent": "Critical"}},
    )
    with pytest.raises(MappingError, match="writes 'Critical' here and does not take value maps"):
        load_mapping(path).bind(target)


def test_a_field_no_source_has_is_refused_at_bind(tmp_path: Path) -> None:
    path = write(tmp_path, '[fields.ticket.order_idd]\ntarget = "order_id"\n')
    source = Metadata(platform="zendesk", kinds=frozenset(Kind), fields=DESK.fields)
    target = Metadata(platform="zendesk", kinds=frozenset(Kind))
    with pytest.raises(MappingError, match=r":1: fields\.ticket\.order_idd: the source has no"):
        load_mapping(path).bind(target, [source])


def test_the_cli_prints_one_line_and_exits_2_for_a_bad_mapping(tmp_path: Path) -> None:
    mapping = write(tmp_path, '[status]\nunmaped = "error"\n', "bad.toml")
    plan = write(
        tmp_path,
        f'ledger = "l.sqlite"\nmapping = "{mapping.name}"\n\n[[source]]\nname = "a"\n'
        'platform = "memory"\n\n[target]\nplatform = "memory"\n',
        "plan.toml",
    )
    done = subprocess.run(
        [sys.executable, "-m", "cemigrate.cli", "run", str(plan), "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"{mapping}:2: status.unmaped: unknown key" in lines[0]


# -- applying ------------------------------------------------------------------------------


def _ticket(**changes: Any) -> Ticket:
    base = next(t for t in DESK.tickets if t.comments and not t.deleted)
    return attrs.evolve(base, **changes)


def test_policies_keep_default_and_drop_say_what_they_did() -> None:
    mapping = MappingFile.from_dict(
        {
            "status": {
                "map": {"open": "Working"},
                "unmapped": "keep-in-field",
                "default": "New",
                "field": "original_status",
            },
            "priority": {"map": {"low": "Low"}, "unmapped": "drop"},
        }
    )
    ticket = _ticket(status=Status.HOLD, priority=Priority.URGENT)
    out = mapping.apply(Kind.TICKET, ticket)
    assert isinstance(out, Ticket)
    assert out.custom_fields["original_status"] == "hold"
    assert out.priority is None
    assert out.status is Status.HOLD  # the target writes it through the table: hold -> "New"
    needs = mapping.needs()
    assert needs.values["status"]["hold"] == "New"
    assert needs.values["status"]["open"] == "Working"
    assert [f.key for f in needs.fields] == ["original_status"]
    notes = {n.what: n.count for n in mapping.notes()}
    assert notes == {"status 'hold': keep-in-field": 1, "priority 'urgent': drop": 1}


def test_an_unmapped_value_under_error_refuses_the_record_with_the_reason() -> None:
    mapping = MappingFile.from_dict({"status": {"map": {"open": "Working"}}})
    out = mapping.apply(Kind.TICKET, _ticket(status=Status.PENDING))
    assert isinstance(out, Refuse)
    assert out.reason == "ticket status 'pending' has no mapping (status.unmapped = error)"


def test_custom_field_maps_rename_convert_and_map_options() -> None:
    mapping = MappingFile.from_dict(
        {
            "fields": {
                "ticket": {
                    "amount": {"target": "amount_usd", "type": "decimal", "unmapped": "drop"},
                    "tier": {"options": {"gold": "GOLD"}, "unmapped": "default", "default": "STD"},
                    "secret": {"drop": True},
                }
            }
        }
    )
    ticket = _ticket(custom_fields={"amount": "12.50", "tier": "silver", "secret": "x", "k": 1})
    out = mapping.apply(Kind.TICKET, ticket)
    assert isinstance(out, Ticket)
    assert out.custom_fields == {"amount_usd": 12.5, "tier": "STD", "k": 1}
    bad = mapping.apply(Kind.TICKET, _ticket(custom_fields={"amount": "lots"}))
    assert isinstance(bad, Ticket)
    assert bad.custom_fields == {}  # not a number, and unmapped = drop: left out, counted
    definition = FieldDef(
        id="9", object="ticket", key="secret", title="Secret", type=FieldType.TEXT
    )
    assert mapping.apply(Kind.FIELD, definition) == Skip("mapping: fields.ticket.secret.drop")


def test_oversize_attachments_are_dropped_or_refuse_the_ticket_by_policy() -> None:
    big = Attachment(
        id="a1", file_name="dump.bin", content_type="application/octet-stream", size=10_000
    )
    exe = Attachment(
        id="a2", file_name="tool.EXE", content_type="application/x-msdownload", size=10
    )
    fine = Attachment(id="a3", file_name="ok.png", content_type="image/png", size=10)
    first = _ticket().comments[0]
    ticket = _ticket(comments=(attrs.evolve(first, attachments=(big, exe, fine)),))
    rules = {"max_bytes": 1000, "blocked_extensions": ["exe"]}
    dropped = MappingFile.from_dict({"attachments": {**rules, "policy": "drop"}})
    out = dropped.apply(Kind.TICKET, ticket)
    assert isinstance(out, Ticket)
    assert out.comments[0].attachments == (fine,)
    assert out.comments[0].public is first.public
    refused = MappingFile.from_dict({"attachments": {**rules, "policy": "error"}})
    result = refused.apply(Kind.TICKET, ticket)
    assert isinstance(result, Refuse)
    assert "'dump.bin' is over attachments.max_bytes" in result.reason


def test_tags_move_into_a_field_and_groups_are_renamed() -> None:
    mapping = MappingFile.from_dict(
        {"tags": {"mode": "field", "field": "tag_list"}, "groups": {"map": {"Tier 1": "L1"}}}
    )
    out = mapping.apply(Kind.TICKET, _ticket(tags=("vip", "kyc")))
    assert isinstance(out, Ticket)
    assert (out.tags, out.custom_fields["tag_list"]) == ((), "vip kyc")
    renamed = mapping.apply(Kind.GROUP, Group(id="1", name="Tier 1"))
    assert renamed == Group(id="1", name="L1")


def test_a_script_adds_its_own_transform() -> None:
    def shout(kind: Kind, record: Any) -> Any:
        return (
            attrs.evolve(record, subject=record.subject.upper()) if kind is Kind.TICKET else record
        )

    mapping = MappingFile.from_dict({}, transforms=[shout])
    out = mapping.apply(Kind.TICKET, _ticket(subject="hello"))
    assert isinstance(out, Ticket)
    assert out.subject == "HELLO"


# -- properties ----------------------------------------------------------------------------

_policies = st.sampled_from(["error", "default", "keep-in-field", "drop"])


@st.composite
def _value_rules(draw: Callable[..., Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for attribute, values in ATTRIBUTES.items():
        if not draw(st.booleans()):
            continue
        mapped = draw(st.lists(st.sampled_from(values), unique=True))
        policy = draw(_policies)
        if attribute == "status" and policy == "drop":
            policy = "error"
        rule: dict[str, Any] = {"map": {v: v.upper() for v in mapped}, "unmapped": policy}
        if policy in ("default", "keep-in-field"):
            rule["default"] = "DEFAULT"
        if policy == "keep-in-field":
            rule["field"] = f"orig_{attribute}"
        rules[attribute] = rule
    return rules


@settings(max_examples=60, deadline=None)
@given(rules=_value_rules(), index=st.integers(0, len(DESK.tickets) - 1))
def test_mapping_is_deterministic_total_and_never_makes_a_private_comment_public(
    rules: dict[str, Any], index: int
) -> None:
    ticket = DESK.tickets[index]
    first = MappingFile.from_dict(rules).apply(Kind.TICKET, ticket)
    again = MappingFile.from_dict(rules).apply(Kind.TICKET, ticket)
    assert first == again  # deterministic
    unmapped_error = [
        a
        for a, rule in rules.items()
        if getattr(ticket, a) is not None
        and getattr(ticket, a).value not in rule["map"]
        and rule["unmapped"] == "error"
    ]
    if unmapped_error:  # total: an unmapped value is refused only under "error"
        assert isinstance(first, Refuse)
        return
    assert isinstance(first, Ticket)
    needs = MappingFile.from_dict(rules).needs()
    for attribute, rule in rules.items():
        value = getattr(ticket, attribute)
        if value is None or (rule["unmapped"] == "drop" and value.value not in rule["map"]):
            continue
        assert value.value in needs.values[attribute]  # the target gets a value for it
    before = {c.id: c.public for c in ticket.comments}
    assert {c.id: c.public for c in first.comments} == before


# -- through the copier --------------------------------------------------------------------


def test_a_refused_ticket_is_a_failure_row_and_the_run_goes_on(tmp_path: Path) -> None:
    present = Counter(t.priority for t in DESK.tickets if t.priority is not None)
    rare = min(present, key=lambda p: (present[p], p.value))  # a priority some tickets have
    mapping = MappingFile.from_dict(
        {"priority": {"map": {p.value: p.value for p in Priority if p is not rare}}}
    )
    held = [t for t in DESK.tickets if t.priority is rare]
    assert 0 < len(held) < len(DESK.tickets)
    source = MemorySource(
        {kind: DESK.records(kind) for kind in Kind}, instance="src", blobs=DESK.blob
    )
    target = MemoryTarget()
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(
            sources=[source], target=target, ledger=ledger, mapping=mapping, progress=False
        ).run()
        failures = {f.key: f for f in ledger.failures()}
        failed = [e.source_id for e in ledger.entries(kind="ticket", state=EntryState.FAILED)]
    assert report.status == "completed"
    assert sorted(failed) == sorted(t.id for t in held)
    assert report.kinds["ticket"].failed == len(held)
    assert report.kinds["ticket"].created == len(DESK.tickets) - len(held)
    reason = failures[f"src:ticket:{held[0].id}"].reason
    assert reason == f"ticket priority {rare.value!r} has no mapping (priority.unmapped = error)"


def test_the_zendesk_target_writes_status_through_the_value_table(tmp_path: Path) -> None:
    from cemigrate.adapters.zendesk.client import ZendeskCredentials
    from cemigrate.adapters.zendesk.target import ZendeskTarget
    from cemigrate.ratelimit import ManualClock
    from cemigrate.sandbox.zendesk import ZendeskSandbox

    clock = ManualClock()
    account = ZendeskSandbox(tickets=0, empty=True, clock=clock)
    target = ZendeskTarget(
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=account.email, token=account.token),
        session=account.session(authenticated=False),
        clock=clock,
    )
    desk: HelpDesk = generate(tickets=250, seed=4, instance="src")  # a few still open
    mapping = MappingFile.from_dict(
        {
            "status": {
                "map": {"pending": "hold", "closed": "closed"},
                "unmapped": "default",
                "default": "open",
            }
        }
    )
    source = MemorySource(
        {kind: desk.records(kind) for kind in Kind}, instance="src", blobs=desk.blob
    )
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(
            sources=[source], target=target, ledger=ledger, mapping=mapping, progress=False
        ).run()
    assert report.status == "completed"
    by_external = {t["external_id"]: t for t in account.backend.tickets.values()}
    for ticket in desk.tickets:
        if ticket.deleted:
            continue
        stored = by_external[f"src:ticket:{ticket.id}"]["status"]
        expected = {Status.PENDING: "hold", Status.CLOSED: "closed"}.get(ticket.status, "open")
        assert stored == expected, ticket.id
    statuses = {t.status for t in desk.tickets if not t.deleted}
    assert {Status.PENDING, Status.CLOSED} < statuses  # the map and the default both applied


def test_the_salesforce_target_writes_priority_through_the_table_and_checks_the_org(
    tmp_path: Path,
) -> None:
    from cemigrate.adapters.salesforce.client import SalesforceCredentials as SfCredentials
    from cemigrate.adapters.salesforce.target import SalesforceTarget
    from cemigrate.ratelimit import ManualClock
    from cemigrate.sandbox.salesforce import SalesforceSandbox

    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    target = SalesforceTarget(
        instance_url=org.base_url,
        credentials=SfCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
        fallback_agent_email=None,
    )
    wrong = write(tmp_path, '[priority.map]\nurgent = "Urgent"\n', "wrong.toml")
    with pytest.raises(MappingError) as refused:
        load_mapping(wrong).bind(target.describe())
    assert str(refused.value) == (
        f"{wrong}:2: priority.map.urgent: 'Urgent' is not a salesforce ticket priority; "
        "choose one of Low, Medium, High, Critical"
    )
    mapping = MappingFile.from_dict(
        {"priority": {"map": {"low": "Low", "normal": "Low", "high": "High", "urgent": "High"}}}
    )
    for person in DESK.users:  # the agents are Users already (licences)
        if person.role.value != "end_user" and person.email:
            try:
                org.add_user(name=person.name, email=person.email)
            except Exception:  # the same e-mail twice in the desk
                continue
    source = MemorySource(
        {kind: DESK.records(kind) for kind in Kind}, instance="src", blobs=DESK.blob
    )
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(
            sources=[source], target=target, ledger=ledger, mapping=mapping, progress=False
        ).run()
    assert report.status == "completed"
    assert report.kinds["ticket"].failed == 0
    by_external = {row["Cemigrate_Id__c"]: row for row in org.backend.rows["Case"].values()}
    for ticket in DESK.tickets:
        if ticket.deleted or ticket.priority is None:
            continue
        row = by_external[f"src:ticket:{ticket.id}"]
        expected = "Low" if ticket.priority.value in ("low", "normal") else "High"
        assert row["Priority"] == expected, ticket.id


def test_comment_routing_is_refused_by_a_target_that_does_not_take_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[comments]\nprivate = "FeedItem"\n')
    target = Metadata(platform="salesforce", kinds=frozenset(Kind))
    with pytest.raises(MappingError, match=r":2: comments\.private: the salesforce target routes"):
        load_mapping(path).bind(target)


def test_salesforce_routes_comments_as_the_mapping_says_and_never_a_private_one_public(
    tmp_path: Path,
) -> None:
    from cemigrate.adapters.salesforce.client import SalesforceCredentials as SfCredentials
    from cemigrate.adapters.salesforce.target import SalesforceTarget
    from cemigrate.ratelimit import ManualClock
    from cemigrate.sandbox.salesforce import SalesforceSandbox

    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, clock=clock)
    target = SalesforceTarget(
        instance_url=org.base_url,
        credentials=SfCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=clock,
    )
    leak = write(tmp_path, '[comments]\nprivate = "EmailMessage"\n', "leak.toml")
    with pytest.raises(MappingError, match=r"leak\.toml:2: comments\.private: 'EmailMessage'"):
        load_mapping(leak).bind(target.describe())
    for person in DESK.users:
        if person.role.value != "end_user" and person.email:
            try:
                org.add_user(name=person.name, email=person.email)
            except Exception:  # the same e-mail twice in the desk
                continue
    mapping = MappingFile.from_dict({"comments": {"public_email": "CaseComment"}})
    source = MemorySource(
        {kind: DESK.records(kind) for kind in Kind}, instance="src", blobs=DESK.blob
    )
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        report = Migration(
            sources=[source], target=target, ledger=ledger, mapping=mapping, progress=False
        ).run()
    assert report.status == "completed"
    assert report.kinds["ticket"].failed == 0
    assert not [r for r in org.backend.rows["EmailMessage"].values() if not r.get("IsDeleted")]
    comments = [r for r in org.backend.rows["CaseComment"].values() if not r.get("IsDeleted")]
    public = sum(1 for t in DESK.tickets if not t.deleted for c in t.comments if c.public)
    private = sum(1 for t in DESK.tickets if not t.deleted for c in t.comments if not c.public)
    published = [r for r in comments if r.get("IsPublished")]
    assert len(published) >= public  # every public comment, e-mails included (long ones split)
    assert len(comments) - len(published) >= private  # private ones stay unpublished
