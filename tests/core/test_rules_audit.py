"""The rules audit: seeded broken rules are found with their ids, clean rules are not."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from cemigrate.adapters.rule_dialects import rule_dialect
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.ratelimit import ManualClock
from cemigrate.rules import ActionKind, Check, Event, audit
from cemigrate.sandbox.dataset import HelpDesk, generate
from cemigrate.sandbox.zendesk import ZendeskSandbox
from cemigrate.schema import Action, Condition, Group, Kind, Rule, RuleKind

TICKETS, SEED, INSTANCE = 10, 5, "z"

ZENDESK = rule_dialect("zendesk")


@cache
def desk() -> HelpDesk:
    return generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)


def c(field: str, operator: str, value: object = None) -> Condition:
    return Condition(field=field, operator=operator, value=value)  # type: ignore[arg-type]


def a(field: str, value: object) -> Action:
    return Action(field=field, value=value)  # type: ignore[arg-type]


def trigger(rule_id: str, position: int, all_: list[Condition], actions: list[Action]) -> Rule:
    return Rule(
        id=rule_id,
        kind=RuleKind.TRIGGER,
        title=f"seeded {rule_id}",
        position=position,
        conditions_all=tuple(all_),
        actions=tuple(actions),
    )


GROUP_A, GROUP_B = str(362_000_000_100), str(362_000_000_101)
GONE = "362000000999"


def broken() -> list[Rule]:
    """One deliberately broken rule (or pair) per check."""
    create = c("update_type", "is", "Create")
    return [
        # conflict: same event, compatible conditions, type set to two different values
        trigger("900001", 101, [create, c("priority", "is", "high")], [a("type", "incident")]),
        trigger("900002", 102, [create, c("via_id", "is", "4")], [a("type", "problem")]),
        # loop: each sets the status the other is waiting for, on update
        trigger("900003", 103, [c("status", "is", "open")], [a("status", "hold")]),
        trigger("900004", 104, [c("status", "is", "hold")], [a("status", "open")]),
        # never fires: open and solved at once
        trigger(
            "900005",
            105,
            [c("status", "is", "open"), c("status", "is", "solved")],
            [a("current_tags", "dead")],
        ),
        # duplicate of the demo's "Auto-tag VIP" trigger
        trigger(
            "900006",
            106,
            [create, c("organization_id", "is_not", "")],
            [a("current_tags", "vip")],
        ),
        # a deleted group
        trigger(
            "900007",
            107,
            [c("update_type", "is", "Change"), c("priority", "is", "low")],
            [a("group_id", GONE)],
        ),
        # an automation whose action does not make any of its conditions false
        Rule(
            id="900008",
            kind=RuleKind.AUTOMATION,
            title="seeded nag",
            position=50,
            conditions_all=(c("status", "is", "pending"), c("PENDING", "greater_than", "24")),
            actions=(a("notification_user", ["requester_id", "Still there?", "..."]),),
        ),
    ]


def groups() -> list[Group]:
    return [*desk().groups, Group(id=GONE, name="Disbanded", deleted=True)]


def vip_trigger_id() -> str:
    return next(r.id for r in desk().rules if r.title == "Auto-tag VIP: institutional accounts")


def test_the_demo_rules_are_clean() -> None:
    report = audit(
        desk().rules,
        groups=desk().groups,
        users=desk().users,
        fields=desk().fields,
        dialect=ZENDESK,
    )
    assert report.findings == ()
    assert report.rules == report.judged == len(desk().rules)


def test_every_seeded_problem_is_found_with_its_ids_and_nothing_else() -> None:
    report = audit(
        [*desk().rules, *broken()],
        groups=groups(),
        users=desk().users,
        fields=desk().fields,
        dialect=ZENDESK,
    )
    found = {(f.check, f.rule_ids) for f in report.findings}
    assert found == {
        (Check.CONFLICT, ("900001", "900002")),
        (Check.LOOP, ("900003", "900004")),
        (Check.NEVER_FIRES, ("900005",)),
        (Check.DUPLICATE, (vip_trigger_id(), "900006")),
        (Check.REFERENCE, ("900007",)),
        (Check.NO_NULLIFYING_CONDITION, ("900008",)),
    }
    (deleted,) = report.by_check(Check.REFERENCE)
    assert deleted.message == "names group 362000000999 (Disbanded), deleted"
    demo_ids = {r.id for r in desk().rules}
    assert report.flagged() & demo_ids == {vip_trigger_id()}


def test_numeric_ranges_that_cannot_meet_never_fire() -> None:
    auto = Rule(
        id="1",
        kind=RuleKind.AUTOMATION,
        title="never",
        conditions_all=(
            c("status", "is", "solved"),
            c("SOLVED", "greater_than", "96"),
            c("SOLVED", "less_than", "48"),
        ),
        actions=(a("status", "closed"),),
    )
    ranked = trigger("2", 1, [c("status", "less_than", "open"), c("status", "greater_than", "new")],
                     [a("priority", "high")])  # fmt: skip
    report = audit([auto, ranked], dialect=ZENDESK)
    assert {f.rule_ids for f in report.by_check(Check.NEVER_FIRES)} == {("1",), ("2",)}


def test_near_duplicates_and_missing_field_options_are_reported() -> None:
    field = next(f for f in desk().fields if f.options and f.object == "ticket")
    base = [c("status", "is", "new"), c("priority", "is", "high"), c(f"custom_fields_{field.id}",
            "is", "no_such_option")]  # fmt: skip
    one = trigger("1", 1, base, [a("priority", "urgent")])
    two = trigger("2", 2, base, [a("priority", "urgent"), a("current_tags", "extra")])
    report = audit([one, two], fields=desk().fields, dialect=ZENDESK)
    assert [f.rule_ids for f in report.by_check(Check.NEAR_DUPLICATE)] == [("1", "2")]
    assert {f.rule_ids for f in report.by_check(Check.REFERENCE)} == {("1",), ("2",)}
    assert "option 'no_such_option' of field" in report.by_check(Check.REFERENCE)[0].message


def test_tag_actions_that_do_not_commute_are_order_dependent_by_position() -> None:
    add = trigger("10", 1, [c("priority", "is", "high")], [a("current_tags", "hot")])
    remove = trigger("20", 2, [c("type", "is", "question")], [a("remove_tags", "hot")])
    report = audit([add, remove], dialect=ZENDESK)
    (finding,) = report.by_check(Check.ORDER_DEPENDENCE)
    assert finding.rule_ids == ("10", "20")
    swapped = audit([attrs.evolve(add, position=3), remove], dialect=ZENDESK)
    assert swapped.by_check(Check.ORDER_DEPENDENCE)[0].rule_ids == ("20", "10")


def test_contradictory_rules_never_conflict() -> None:
    one = trigger("1", 1, [c("priority", "is", "low")], [a("group_id", GROUP_A)])
    two = trigger("2", 2, [c("priority", "is", "urgent")], [a("group_id", GROUP_B)])
    assert audit([one, two], dialect=ZENDESK).findings == ()


def test_normalise_maps_each_platform_vocabulary() -> None:
    zd = rule_dialect("zendesk").normalise(broken()[0])
    assert zd.events == {Event.CREATED}
    assert [(x.field, x.operator, x.value) for x in zd.conditions_all] == [
        ("priority", "is", "high")
    ]
    assert (zd.actions[0].kind, zd.actions[0].field) == (ActionKind.SET_FIELD, "type")
    assert rule_dialect("zendesk").normalise(broken()[6]).actions[0].kind is ActionKind.ASSIGN_GROUP
    fd = rule_dialect("freshdesk").normalise(
        Rule(
            id="7",
            kind=RuleKind.SUPERVISOR,
            title="fd",
            conditions_all=(c("status", "is", 3), c("hours_since_pending", "greater_than", 48)),
            actions=(a("status", 4), a("add_tag", "auto")),
        )
    )
    assert fd.events == {Event.TIME_BASED}
    assert [(x.field, x.value) for x in fd.conditions_all] == [
        ("status", "pending"),
        ("hours_since:pending", "48"),
    ]
    assert [(x.kind, x.value) for x in fd.actions] == [
        (ActionKind.SET_FIELD, "solved"),
        (ActionKind.ADD_TAGS, ["auto"]),
    ]
    sf = rule_dialect("salesforce").normalise(Rule(id="01Q", kind=RuleKind.ESCALATION, title="sf"))
    assert sf.opaque
    assert sf.events == {Event.TIME_BASED}


def test_cli_audits_the_plan_sources(tmp_path: Path) -> None:
    from cemigrate.cli import main

    plan = tmp_path / "plan.toml"
    plan.write_text(
        'ledger = "l.sqlite"\n[[source]]\nname = "m"\nplatform = "memory"\ntickets = 5\n'
        '[target]\nplatform = "memory"\n'
    )
    assert main(["rules", "audit", str(plan), "--out", str(tmp_path / "audit")]) == 0
    data = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert data["rules"] == len(desk().rules)
    assert data["findings"] == []


def test_report_is_written_as_json_and_markdown(tmp_path: Path) -> None:
    report = audit([*desk().rules, *broken()], groups=groups(), dialect=ZENDESK)
    paths = report.write(tmp_path / "out")
    data = json.loads(paths["audit.json"].read_text())
    assert data["counts"]["loop"] == 1
    assert data["findings"][0]["rule_ids"] == ["900005"]
    assert "## conflict" in paths["audit.md"].read_text()


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_findings_do_not_depend_on_input_order(rng: object) -> None:
    rules = [*desk().rules, *broken()]
    shuffled = list(rules)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    first = audit(rules, groups=groups(), users=desk().users, fields=desk().fields, dialect=ZENDESK)
    again = audit(
        shuffled, groups=groups(), users=desk().users, fields=desk().fields, dialect=ZENDESK
    )
    assert again == first
    assert again.content() == first.content()


def test_a_zendesk_sandbox_audited_through_its_source() -> None:
    sandbox = ZendeskSandbox(tickets=TICKETS, seed=SEED, instance=INSTANCE)
    source = ZendeskSource(
        instance=INSTANCE,
        base_url=sandbox.base_url,
        credentials=ZendeskCredentials(email="admin@demo.example", token="sandbox-token"),
        session=sandbox.session(authenticated=False),
        clock=ManualClock(),
    )

    def read(kind: Kind) -> list[object]:
        return [record for batch in source.read(kind) for record in batch.records]

    rules = read(Kind.RULE)
    assert {r.id for r in rules} == {r.id for r in desk().rules}  # type: ignore[attr-defined]
    report = audit(
        rules,  # type: ignore[arg-type]
        groups=read(Kind.GROUP),  # type: ignore[arg-type]
        users=read(Kind.USER),  # type: ignore[arg-type]
        fields=read(Kind.FIELD),  # type: ignore[arg-type]
        dialect=ZENDESK,
    )
    assert report.findings == ()
