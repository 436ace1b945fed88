"""Rules translated between platforms and carried over inactive, with a report for each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cemigrate.adapters.contract import Outgoing
from cemigrate.adapters.rule_dialects import rule_dialect
from cemigrate.adapters.salesforce.rules import flow_name
from cemigrate.copier import Migration
from cemigrate.ledger import EntryState, Ledger
from cemigrate.mapping import load_mapping
from cemigrate.ratelimit import ManualClock
from cemigrate.rules import TranslationStatus, canonical, translate, translation_report
from cemigrate.sandbox.dataset import generate
from cemigrate.schema import Action, Condition, Kind, Ref, Rule, RuleKind, SourceKey
from cemigrate.testing.accounts import (
    SEED,
    TICKETS,
    freshdesk_source,
    freshdesk_target,
    salesforce_target,
    zendesk_source,
    zendesk_target,
)

ROOT = Path(__file__).resolve().parents[2]

RULES = generate(tickets=TICKETS, seed=SEED, instance="old").rules


def test_every_demo_rule_is_accounted_for_per_pair() -> None:
    for target in ("freshdesk", "zendesk", "salesforce"):
        report = translation_report(
            RULES, source=rule_dialect("zendesk"), target=rule_dialect(target)
        )
        assert sum(report.counts.values()) == len(RULES)
        for t in report.translations:
            assert t.status is not TranslationStatus.UNTRANSLATED or t.reason
            assert t.status is not TranslationStatus.PARTIAL or t.gaps
            if t.payload and target == "salesforce":
                assert t.payload["Metadata"]["status"] == "Draft"  # type: ignore[index]
            elif t.payload:
                assert t.payload["active"] is False


def test_ids_are_remapped_through_links_and_missing_ones_listed() -> None:
    route = next(r for r in RULES if r.title.startswith("Route Verification"))
    links = {
        Ref(kind=Kind.GROUP, id="362000000100"): "9001",
        Ref(kind=Kind.FIELD, id="364000000100"): "77",
    }
    done = translate(
        route,
        source=rule_dialect("zendesk"),
        target=rule_dialect("freshdesk"),
        links=links,
        field_names={"77": "cf_category"},
    )
    assert done.status is TranslationStatus.TRANSLATED
    assert done.kind == "1"
    assert done.payload["actions"] == [{"field_name": "group_id", "value": 9001}]
    props = done.payload["conditions"][0]["properties"]  # type: ignore[index]
    assert props == [
        {
            "resource_type": "ticket",
            "field_name": "cf_category",
            "operator": "is",
            "value": "verification",
        }
    ]
    missing = translate(
        route, source=rule_dialect("zendesk"), target=rule_dialect("freshdesk"), links={}
    )
    assert missing.status is TranslationStatus.UNTRANSLATED
    assert any("362000000100" in g.reason for g in missing.gaps)


def test_status_goes_through_the_mapping_value_table() -> None:
    close = next(r for r in RULES if r.title.startswith("Close ticket 4 days"))
    done = translate(
        close,
        source=rule_dialect("zendesk"),
        target=rule_dialect("freshdesk"),
        mapping={"status": {"closed": "solved"}},
    )
    assert done.payload["actions"] == [{"field_name": "status", "value": 4}]
    plain = translate(close, source=rule_dialect("zendesk"), target=rule_dialect("freshdesk"))
    assert plain.payload["actions"] == [{"field_name": "status", "value": 5}]


def _target_rules(target) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Every rule the target account holds, read through its API (a Salesforce flow as its
    definition, ``active`` when it has an active version)."""
    if target.platform == "salesforce":
        rows = target.client.tooling_query(
            "SELECT Id, DeveloperName, ActiveVersionId, LatestVersionId FROM FlowDefinition"
        )
        versions = target.client.tooling_query("SELECT Id, Status FROM Flow")
        status = {v["Id"]: v["Status"] for v in versions}
        return [
            {
                **r,
                "active": r["ActiveVersionId"] is not None,
                "status": status[r["LatestVersionId"]],
            }
            for r in rows
        ]
    if target.platform == "zendesk":
        from cemigrate.adapters.zendesk.objects import BY_NAME

        paths = [BY_NAME[p].read for p in ("triggers", "automations", "macros", "views")]
        return [r for read in paths for page in target.client.pages(read) for r in page.records]
    return [
        r
        for kind in ("1", "3", "4")
        for page in target.client.pages(f"/api/v2/automations/{kind}/rules")
        for r in page.records
    ]


@pytest.mark.parametrize(
    ("makers", "platform", "mapping"),
    [
        ((zendesk_source, freshdesk_target), "zendesk", "zendesk-to-freshdesk.toml"),
        ((freshdesk_source, zendesk_target), "freshdesk", "freshdesk-to-zendesk.toml"),
        ((zendesk_source, salesforce_target), "zendesk", "zendesk-to-salesforce.toml"),
    ],
)
def test_rules_are_carried_over_inactive(makers, platform, mapping, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    source, target = makers[0](clock), makers[1](clock)
    rules = [r for batch in source.read(Kind.RULE) for r in batch.records]
    with Ledger.open(tmp_path / "run.sqlite") as ledger:
        migration = Migration(
            sources=[source],
            target=target,
            ledger=ledger,
            mapping=load_mapping(ROOT / "mappings" / mapping),
            progress=False,
        )
        report = migration.run()
        # What the run knew: the target ids of the groups, agents and fields rules name.
        links = {
            Ref(kind=Kind(entry.kind), id=entry.source_id): entry.target_id
            for entry in ledger.entries(state=EntryState.DONE)
            if entry.target_id is not None
        }
        migration.close()
    assert report.status == "completed"
    tally = report.kinds["rule"]
    held = _target_rules(target)
    assert held, "no rule reached the target"
    assert all(r["active"] is False for r in held)
    if target.platform == "salesforce":
        assert {r["status"] for r in held} == {"Draft"}
    names = getattr(target, "rule_field_names", lambda: None)()
    translation = translation_report(
        rules,
        source=rule_dialect(platform),
        target=rule_dialect(target.platform),
        links=links,
        field_names=names,
    )
    counts = translation.counts
    assert tally.created == counts["translated"] + counts["partial"] == len(held)
    assert tally.skipped == counts["untranslated"]
    assert tally.failed == 0
    assert sum(counts.values()) == len(rules) > 0
    as_json, as_md = translation.write(tmp_path / "out")
    written = json.loads(as_json.read_text())
    assert {r["title"] for r in written["rules"]} == {r.title for r in rules}
    assert all(r["status"] == "translated" or r["missing"] or r["reason"] for r in written["rules"])
    assert "inactive" in as_md.read_text()
    # A re-run (the account read afresh) adopts what it made instead of duplicating it.
    target._rules = target._flows = None  # the target's caches of what the account holds
    again = target.write(
        Kind.RULE,
        [
            Outgoing(key=SourceKey.of("old", Ref(kind=Kind.RULE, id=r.id)), record=r, links=links)
            for r in rules
        ],
        source,
    )
    assert len(_target_rules(target)) == len(held)
    assert sum(1 for r in again if r.ok) == len(held)


_FIELDS = st.sampled_from(["status", "priority", "current_tags", "group_id", "PENDING", "SOLVED"])
_STATUS = st.sampled_from(["open", "pending", "solved", "closed"])
_PRIORITY = st.sampled_from(["low", "normal", "high", "urgent"])


@st.composite
def _conditions(draw: st.DrawFn) -> Condition:
    field = draw(_FIELDS)
    if field == "status":
        return Condition(
            field=field, operator=draw(st.sampled_from(["is", "is_not"])), value=draw(_STATUS)
        )
    if field == "priority":
        return Condition(
            field=field, operator=draw(st.sampled_from(["is", "is_not"])), value=draw(_PRIORITY)
        )
    if field == "current_tags":
        tag = draw(st.from_regex(r"[a-z]{3,8}", fullmatch=True))
        return Condition(
            field=field, operator=draw(st.sampled_from(["includes", "not_includes"])), value=tag
        )
    if field == "group_id":
        return Condition(field=field, operator="is", value=draw(st.sampled_from(["11", "12"])))
    return Condition(field=field, operator="greater_than", value=str(draw(st.integers(1, 500))))


@st.composite
def _actions(draw: st.DrawFn) -> Action:
    which = draw(st.sampled_from(["status", "priority", "group_id", "current_tags"]))
    if which == "status":
        return Action(field=which, value=draw(_STATUS))
    if which == "priority":
        return Action(field=which, value=draw(_PRIORITY))
    if which == "group_id":
        return Action(field=which, value=draw(st.sampled_from(["11", "12"])))
    return Action(field=which, value=draw(st.from_regex(r"[a-z]{3,8}", fullmatch=True)))


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from([RuleKind.TRIGGER, RuleKind.AUTOMATION]),
    conditions=st.lists(_conditions(), max_size=4),
    actions=st.lists(_actions(), min_size=1, max_size=3),
)
def test_there_and_back_keeps_what_both_express(kind, conditions, actions) -> None:  # type: ignore[no-untyped-def]
    from cemigrate.adapters.freshdesk import convert as fd
    from cemigrate.adapters.zendesk import convert as zd

    if kind is RuleKind.TRIGGER:
        conditions = [Condition(field="update_type", operator="is", value="Create"), *conditions]
    raw = {
        "id": 1,
        "title": "r",
        "active": True,
        "conditions": {
            "all": [
                {"field": c.field, "operator": c.operator, "value": c.value} for c in conditions
            ]
        },
        "actions": [{"field": a.field, "value": a.value} for a in actions],
    }
    rule = zd.rule(raw, kind)
    there = translate(
        rule,
        source=rule_dialect("zendesk"),
        target=rule_dialect("freshdesk"),
        links={Ref(kind=Kind.GROUP, id=g): str(int(g) + 100) for g in ("11", "12")},
    )
    fd_raw = {"id": 2, **dict(there.payload), "automation_type_id": int(there.kind)}
    kinds = {"1": RuleKind.DISPATCHER, "3": RuleKind.SUPERVISOR, "4": RuleKind.OBSERVER}
    middle = fd.rule(json.loads(json.dumps(fd_raw)), kinds[there.kind])
    back = translate(
        middle,
        source=rule_dialect("freshdesk"),
        target=rule_dialect("zendesk"),
        links={Ref(kind=Kind.GROUP, id=str(int(g) + 100)): g for g in ("11", "12")},
    )
    assert there.status is TranslationStatus.TRANSLATED
    assert back.status is TranslationStatus.TRANSLATED
    returned = zd.rule({"id": 3, **dict(back.payload)}, kind)
    a, b = rule_dialect("zendesk").normalise(rule), rule_dialect("zendesk").normalise(returned)
    assert a.events == b.events
    assert [canonical(c) for c in a.conditions_all] == [canonical(c) for c in b.conditions_all]
    assert [(x.kind, x.field, x.value) for x in a.actions] == [
        (x.kind, x.field, x.value) for x in b.actions
    ]


# --- Salesforce: rules as draft record-triggered flows ---------------------------------------

QUEUE = "00G000000000011AAA"
AGENT = "005000000000042AAA"
SF_LINKS = {
    Ref(kind=Kind.GROUP, id="362000000100"): QUEUE,
    Ref(kind=Kind.FIELD, id="364000000100"): "Case.Category__c",
    Ref(kind=Kind.GROUP, id="362000000103"): "00G000000000012AAA",
}


def test_a_trigger_becomes_a_draft_flow_on_case_creation() -> None:
    route = next(r for r in RULES if r.title.startswith("Route Verification"))
    done = translate(
        route, source=rule_dialect("zendesk"), target=rule_dialect("salesforce"), links=SF_LINKS
    )
    assert done.status is TranslationStatus.TRANSLATED
    assert done.kind == "Flow"
    assert done.payload["FullName"] == f"Cemigrate_Route_Verification_to_Verification_{route.id}"
    meta = done.payload["Metadata"]
    assert isinstance(meta, dict)
    assert meta["status"] == "Draft"
    assert meta["start"]["recordTriggerType"] == "Create"
    assert meta["start"]["filters"] == [
        {"field": "Category__c", "operator": "EqualTo", "value": {"stringValue": "verification"}}
    ]
    assert meta["recordUpdates"][0]["inputAssignments"] == [
        {"field": "OwnerId", "value": {"stringValue": QUEUE}}
    ]


def test_an_automation_waits_on_a_scheduled_path_with_values_through_the_mapping() -> None:
    close = next(r for r in RULES if r.title.startswith("Close ticket 4 days"))
    mapping = load_mapping(ROOT / "mappings" / "zendesk-to-salesforce.toml")
    values = {"status": {"closed": "Closed (archived)"}}
    done = translate(
        close, source=rule_dialect("zendesk"), target=rule_dialect("salesforce"), mapping=values
    )
    meta = done.payload["Metadata"]
    assert isinstance(meta, dict)
    path = meta["start"]["scheduledPaths"][0]
    assert (path["offsetNumber"], path["offsetUnit"], path["timeSource"]) == (
        96,
        "Hours",
        "RecordTriggerEvent",
    )
    assert meta["start"]["filters"] == [
        {"field": "Status", "operator": "EqualTo", "value": {"stringValue": "Resolved"}}
    ]
    assert meta["recordUpdates"][0]["inputAssignments"] == [
        {"field": "Status", "value": {"stringValue": "Closed (archived)"}}
    ]
    assert mapping.name == "zendesk-to-salesforce"


def test_what_a_flow_cannot_hold_is_listed_with_the_original() -> None:
    escalate = next(r for r in RULES if r.title.startswith("Escalate urgent"))
    done = translate(
        escalate, source=rule_dialect("zendesk"), target=rule_dialect("salesforce"), links=SF_LINKS
    )
    assert done.status is TranslationStatus.PARTIAL
    (gap,) = done.gaps
    assert gap.part == "action"
    assert "notification_group" in gap.original
    assert "queue" in gap.reason
    macro = next(r for r in RULES if r.kind is RuleKind.MACRO)
    assert (
        translate(macro, source=rule_dialect("zendesk"), target=rule_dialect("salesforce")).status
        is TranslationStatus.UNTRANSLATED
    )


_SF_FIELDS = st.sampled_from(["status", "priority", "current_tags", "group_id"])


@st.composite
def _sf_conditions(draw: st.DrawFn) -> Condition:
    field = draw(_SF_FIELDS)
    if field == "status":
        return Condition(
            field=field, operator=draw(st.sampled_from(["is", "is_not"])), value=draw(_STATUS)
        )
    if field == "priority":
        return Condition(
            field=field, operator=draw(st.sampled_from(["is", "is_not"])), value=draw(_PRIORITY)
        )
    if field == "current_tags":
        tag = draw(st.from_regex(r"[a-z]{3,8}", fullmatch=True))
        return Condition(field=field, operator="includes", value=tag)
    return Condition(field=field, operator="is", value=draw(st.sampled_from(["11", "12"])))


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from([RuleKind.TRIGGER, RuleKind.AUTOMATION]),
    event=st.sampled_from(["Create", "Change", None]),
    conditions=st.lists(_sf_conditions(), max_size=4),
    any_of=st.lists(_sf_conditions(), max_size=2),
    hours=st.tuples(st.sampled_from(["SOLVED", "PENDING", "created_at"]), st.integers(1, 500)),
    actions=st.lists(_actions(), min_size=1, max_size=3),
    notify=st.booleans(),
)
def test_zendesk_to_salesforce_and_back_keeps_what_both_express(  # type: ignore[no-untyped-def]
    kind, event, conditions, any_of, hours, actions, notify
) -> None:
    from cemigrate.adapters.zendesk import convert as zd

    all_of = [{"field": c.field, "operator": c.operator, "value": c.value} for c in conditions]
    if kind is RuleKind.AUTOMATION:
        all_of.append({"field": hours[0], "operator": "is", "value": str(hours[1])})
    elif event is not None:
        all_of.insert(0, {"field": "update_type", "operator": "is", "value": event})
    raw_actions = [{"field": a.field, "value": a.value} for a in actions]
    if notify:
        raw_actions.append(
            {"field": "notification_user", "value": ["requester_id", "Re: {{ticket.title}}", "Hi"]}
        )
    raw = {
        "id": 1,
        "title": "r",
        "active": True,
        "conditions": {
            "all": all_of,
            "any": [{"field": c.field, "operator": c.operator, "value": c.value} for c in any_of],
        },
        "actions": raw_actions,
    }
    rule = zd.rule(raw, kind)
    queues = {g: f"00G0000000000{g}AAA" for g in ("11", "12")}
    there = translate(
        rule,
        source=rule_dialect("zendesk"),
        target=rule_dialect("salesforce"),
        links={Ref(kind=Kind.GROUP, id=g): q for g, q in queues.items()},
    )
    assert there.status is TranslationStatus.TRANSLATED, there.gaps
    middle = Rule(
        id="300000000000001AAA",
        kind=RuleKind.FLOW,
        title="r",
        raw=json.loads(json.dumps(dict(there.payload))),
    )
    back = translate(
        middle,
        source=rule_dialect("salesforce"),
        target=rule_dialect("zendesk"),
        links={Ref(kind=Kind.GROUP, id=q): g for g, q in queues.items()},
    )
    assert back.status is TranslationStatus.TRANSLATED, back.gaps
    returned = zd.rule({"id": 3, **dict(back.payload)}, kind)
    a, b = rule_dialect("zendesk").normalise(rule), rule_dialect("zendesk").normalise(returned)
    assert a.events == b.events
    assert sorted(canonical(c) for c in a.conditions_all) == sorted(
        canonical(c) for c in b.conditions_all
    )
    assert sorted(canonical(c) for c in a.conditions_any) == sorted(
        canonical(c) for c in b.conditions_any
    )
    assert [(x.kind, x.field, x.value) for x in a.actions] == [
        (x.kind, x.field, x.value) for x in b.actions
    ]


# --- custom field options: renamed by the mapping, checked against the target's field --------

CATEGORY = "364000000100"
"""The demo's ticket field ``category`` (a dropdown the routing triggers test)."""
RENAMED = {"verification": "kyc_verification"}
"""The mapping's option table for it (``[fields.ticket.category.options]``)."""
HELD = frozenset(
    {"kyc_verification", "general_questions", "fiat_funding", "account_access", "trading"}
)
"""The options the target's field holds (crypto_funding left out)."""


def _rule(title: str) -> Rule:
    return next(r for r in RULES if r.title.startswith(title))


def test_a_renamed_option_arrives_renamed_in_a_freshdesk_rule() -> None:
    links = {
        Ref(kind=Kind.GROUP, id="362000000100"): "9001",
        Ref(kind=Kind.FIELD, id=CATEGORY): "77",
    }
    done = translate(
        _rule("Route Verification"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("freshdesk"),
        links=links,
        field_names={"77": "cf_category"},
        options={CATEGORY: RENAMED},
        target_options={"77": HELD},
    )
    assert done.status is TranslationStatus.TRANSLATED
    (prop,) = done.payload["conditions"][0]["properties"]  # type: ignore[index]
    assert (prop["field_name"], prop["value"]) == ("cf_category", "kyc_verification")


def test_a_renamed_option_arrives_renamed_in_a_salesforce_flow() -> None:
    done = translate(
        _rule("Route Verification"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("salesforce"),
        links=SF_LINKS,
        options={CATEGORY: RENAMED},
        target_options={"Case.Category__c": HELD},
    )
    assert done.status is TranslationStatus.TRANSLATED
    meta = done.payload["Metadata"]
    assert isinstance(meta, dict)
    assert meta["start"]["filters"] == [
        {
            "field": "Category__c",
            "operator": "EqualTo",
            "value": {"stringValue": "kyc_verification"},
        }
    ]


def test_a_renamed_option_arrives_renamed_in_zendesk_conditions_and_actions() -> None:
    links = {
        Ref(kind=Kind.GROUP, id="362000000100"): "51",
        Ref(kind=Kind.FIELD, id=CATEGORY): "900",
    }
    table = {**RENAMED, "fiat_funding": "fiat"}
    held = {"900": HELD - {"fiat_funding"} | {"fiat"}}
    route = translate(
        _rule("Route Verification"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("zendesk"),
        links=links,
        options={CATEGORY: table},
        target_options=held,
    )
    assert route.status is TranslationStatus.TRANSLATED
    assert {"field": "custom_fields_900", "operator": "is", "value": "kyc_verification"} in (
        route.payload["conditions"]["all"]  # type: ignore[index]
    )
    macro = translate(
        _rule("Fiat::Ask for bank statement"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("zendesk"),
        links=links,
        options={CATEGORY: table},
        target_options=held,
    )
    assert {"field": "custom_fields_900", "value": "fiat"} in macro.payload["actions"]  # type: ignore[operator]


def test_an_option_the_target_field_lacks_is_a_gap_never_kept() -> None:
    links = {
        Ref(kind=Kind.GROUP, id="362000000104"): "9005",
        Ref(kind=Kind.FIELD, id=CATEGORY): "77",
    }
    crypto = translate(
        _rule("Route Crypto Funding"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("freshdesk"),
        links=links,
        field_names={"77": "cf_category"},
        options={CATEGORY: RENAMED},
        target_options={"77": HELD},
    )
    assert crypto.status is TranslationStatus.PARTIAL
    (gap,) = crypto.gaps
    assert gap.part == "condition"
    assert gap.original == f'custom_fields_{CATEGORY} is "crypto_funding"'
    assert gap.reason == f"option 'crypto_funding' of field {CATEGORY} is not in the target"
    assert "crypto_funding" not in json.dumps(crypto.payload)
    # Renamed by the table to an option the target field does not hold: a gap that says so.
    flow = translate(
        _rule("Route Verification"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("salesforce"),
        links=SF_LINKS,
        options={CATEGORY: {"verification": "kyc"}},
        target_options={"Case.Category__c": HELD},
    )
    (gap,) = flow.gaps
    assert gap.reason == (
        f"option 'kyc' (mapped from 'verification') of field {CATEGORY} is not in the target"
    )
    # An action setting an option the target lacks is a gap too (the macro keeps its others).
    macro = translate(
        _rule("Fiat::Ask for bank statement"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("zendesk"),
        links={Ref(kind=Kind.FIELD, id=CATEGORY): "900"},
        target_options={"900": {"verification"}},
    )
    assert [g.part for g in macro.gaps] == ["action"]
    assert "'fiat_funding'" in macro.gaps[0].reason
    # The same option spelled another way is the target's; a field whose options are not
    # known keeps the (mapped) value.
    spelled = translate(
        _rule("Route Verification"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("salesforce"),
        links=SF_LINKS,
        target_options={"Case.Category__c": {"Verification"}},
    )
    assert "Verification" in json.dumps(spelled.payload)
    unknown = translate(
        _rule("Route Verification"),
        source=rule_dialect("zendesk"),
        target=rule_dialect("salesforce"),
        links=SF_LINKS,
        options={CATEGORY: RENAMED},
    )
    assert "kyc_verification" in json.dumps(unknown.payload)


def test_the_mapping_gives_option_tables_by_the_source_field_ids_rules_name() -> None:
    from cemigrate.adapters.contract import Metadata
    from cemigrate.mapping import MappingFile
    from cemigrate.schema import FieldDef, FieldObject, FieldOption, FieldType

    def category(field_id: str) -> FieldDef:
        options = tuple(
            FieldOption(name=v, value=v, position=i)
            for i, v in enumerate(("verification", "trading"))
        )
        return FieldDef(
            id=field_id,
            object=FieldObject.TICKET,
            key="category",
            title="Category",
            type=FieldType.DROPDOWN,
            options=options,
        )

    mapping = MappingFile.from_dict(
        {"fields": {"ticket": {"category": {"options": {"verification": "KYC", "trading": "T"}}}}}
    )
    assert mapping.needs().options == {}  # not bound: no source says which ids
    target = Metadata(platform="zendesk", kinds=frozenset({Kind.RULE}))
    zendesk = Metadata(platform="zendesk", kinds=frozenset(), fields=(category(CATEGORY),))
    freshdesk = Metadata(
        platform="freshdesk", kinds=frozenset(), fields=(category("42"),), rule_field_prefix="cf_"
    )
    mapping.bind(target, [zendesk, freshdesk])
    table = {"verification": "KYC", "trading": "T"}
    assert mapping.needs().options == {CATEGORY: table, "42": table, "cf_category": table}


def _tested_values(target, title: str) -> list[object]:  # type: ignore[no-untyped-def]
    """The values the target's rule ``title`` tests its custom fields for, read through the
    target's API (a Salesforce flow through its latest version's metadata)."""
    if target.platform == "salesforce":
        name = flow_name(title, _rule(title).id)
        (row,) = [r for r in _target_rules(target) if r["DeveloperName"] == name]
        (version,) = target.client.tooling_query(
            f"SELECT Id, Metadata FROM Flow WHERE Id = '{row['LatestVersionId']}'"
        )
        filters = version["Metadata"]["start"].get("filters", [])
        return [f["value"]["stringValue"] for f in filters if f["field"].endswith("__c")]
    if target.platform == "zendesk":
        (rule,) = [r for r in _target_rules(target) if r["title"] == title]
        tests = rule["conditions"]["all"] + rule["conditions"]["any"]
        return [c["value"] for c in tests if c["field"].startswith("custom_fields_")]
    (rule,) = [r for r in _target_rules(target) if r["name"] == title]
    tests = [p for s in rule["conditions"] for p in s["properties"]]
    return [p["value"] for p in tests if p["field_name"].startswith("cf_")]


@pytest.mark.parametrize(
    ("target_of", "mapping"),
    [
        (freshdesk_target, "zendesk-to-freshdesk.toml"),
        (salesforce_target, "zendesk-to-salesforce.toml"),
        (zendesk_target, "zendesk-to-zendesk.toml"),
    ],
)
def test_a_rule_on_an_option_the_mapping_renames_arrives_with_the_new_name(  # type: ignore[no-untyped-def]
    target_of, mapping, tmp_path: Path
) -> None:
    clock = ManualClock()
    source, target = zendesk_source(clock), target_of(clock)
    options = ["verification", "general_questions", "fiat_funding", "account_access"]
    options += ["crypto_funding", "trading"]
    renames = "\n".join(
        f'{o} = "{"kyc_verification" if o == "verification" else o}"' for o in options
    )
    toml = (ROOT / "mappings" / mapping).read_text(encoding="utf-8")
    path = tmp_path / "renames.toml"
    path.write_text(f"{toml}\n[fields.ticket.category.options]\n{renames}\n", encoding="utf-8")
    with Ledger.open(tmp_path / "run.sqlite") as ledger:
        migration = Migration(
            sources=[source],
            target=target,
            ledger=ledger,
            mapping=load_mapping(path),
            progress=False,
        )
        report = migration.run()
        migration.close()
    assert report.status == "completed"
    assert report.kinds["rule"].failed == 0
    category = next(f for f in target.describe().fields if f.title == "Category")
    assert "kyc_verification" in {o.value for o in category.options}
    title = "Route Verification to Verification"
    assert _tested_values(target, title) == ["kyc_verification"]
    assert _tested_values(target, "Route Trading to Trading Support") == ["trading"]
