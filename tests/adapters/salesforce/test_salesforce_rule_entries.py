"""Salesforce assignment and escalation rules read with their entries (Metadata API
``readMetadata`` of ``AssignmentRules`` / ``EscalationRules``): one schema rule per entry, which
the normalised model, the audit and translation understand; an org that refuses the Metadata
API leaves the rules opaque and the read goes on."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cemigrate.adapters.rule_dialects import rule_dialect
from cemigrate.adapters.salesforce import convert
from cemigrate.rules.audit import Check, audit
from cemigrate.rules.model import ActionKind, Event, NormalCondition
from cemigrate.rules.translate import TranslationStatus, translate
from cemigrate.sandbox.salesforce import metadata as emulator_metadata
from cemigrate.sandbox.salesforce.exceptions import SoapFault
from cemigrate.schema import Kind, Ref, Rule, RuleKind
from cemigrate.testing.salesforce import SeededOrg, seeded_org


@pytest.fixture(scope="module")
def org() -> SeededOrg:
    return seeded_org(20, seed=5, instance="sf")


def _soap_calls(org: SeededOrg) -> list[str]:
    return [p for _, p, _ in org.sandbox.salesforce.requests if p.startswith("/services/Soap/m/")]


def _rules(org: SeededOrg) -> list[Rule]:
    source = org.source()
    return [r for batch in source.read(Kind.RULE) for r in batch.records if isinstance(r, Rule)]


def _routing(org: SeededOrg) -> list[tuple[str, str]]:
    """(category value, dataset group id) of the desk's routing triggers, in order."""
    out = []
    for rule in org.desk.rules:
        groups = [str(a.value) for a in rule.actions if a.field == "group_id"]
        created = any(c.field == "update_type" for c in rule.conditions_all)
        category = [c for c in rule.conditions_all if c.field.startswith("custom_fields_")]
        if rule.kind is RuleKind.TRIGGER and groups and created and category:
            out.append((str(category[0].value), groups[0]))
    return out


def test_the_source_reads_each_entry_as_a_rule_with_one_read_metadata_per_type(
    org: SeededOrg,
) -> None:
    before = len(_soap_calls(org))
    rules = _rules(org)
    assert len(_soap_calls(org)) - before == 2  # AssignmentRules, EscalationRules
    row = next(iter(org.sandbox.backend.rows["AssignmentRule"].values()))
    routing = _routing(org)
    assignment = [r for r in rules if r.kind is RuleKind.ASSIGNMENT]
    assert [r.id for r in assignment] == [
        f"{row['Id']}#{n}" for n in range(1, len(routing) + 2)
    ]  # the routing entries and the seeded duplicate of the first
    assert [r.position for r in assignment] == list(range(1, len(routing) + 2))
    assert assignment[0].title == "Standard Case Assignment #1"
    assert all(r.active for r in assignment)
    first = assignment[0].raw
    assert first["Name"] == "Standard Case Assignment"  # the row's fields are kept
    entry = first["entry"]
    assert isinstance(entry, dict)
    assert entry["assignedToType"] == "Queue"
    assert entry["assignedToId"] == org.ids[routing[0][1]]
    escalation = [r for r in rules if r.kind is RuleKind.ESCALATION]
    assert [r.title for r in escalation] == [
        "Standard Case Escalation #1",
        "Standard Case Escalation #2",
    ]


def test_normalise_reads_an_entry_s_criteria_and_assignment(org: SeededOrg) -> None:
    rules = _rules(org)
    routing = _routing(org)
    first = rule_dialect("salesforce").normalise(next(r for r in rules if r.id.endswith("#1")))
    assert not first.opaque
    assert first.automatic
    assert first.events == {Event.CREATED}
    assert [(c.field, c.operator, c.value) for c in first.conditions_all] == [
        ("custom:Case.Category__c", "is", routing[0][0])
    ]
    assert [(a.kind, a.field, a.value) for a in first.actions] == [
        (ActionKind.ASSIGN_GROUP, "group", org.ids[routing[0][1]])
    ]
    urgent = rule_dialect("salesforce").normalise(
        next(r for r in rules if r.kind is RuleKind.ESCALATION and r.position == 1)
    )
    assert urgent.events == {Event.TIME_BASED}
    assert [(c.field, c.operator, c.value) for c in urgent.conditions_all] == [
        ("priority", "is", "urgent"),
        ("status", "is_not", ["solved", "closed"]),
        ("hours_since:created", "is", "1"),
    ]
    assert [a.kind for a in urgent.actions] == [ActionKind.ASSIGN_GROUP, ActionKind.NOTIFY]
    stale = rule_dialect("salesforce").normalise(
        next(r for r in rules if r.kind is RuleKind.ESCALATION and r.position == 2)
    )
    assert NormalCondition(
        field="hours_since:updated", operator="is", value="24", source_field="minutesToEscalation"
    ) in (stale.conditions_all)


def test_the_audit_judges_entries_and_finds_the_seeded_duplicate(org: SeededOrg) -> None:
    rules = _rules(org)
    report = audit(rules, dialect=rule_dialect("salesforce"))
    assert report.judged == report.rules == len(rules)
    duplicates = report.by_check(Check.DUPLICATE)
    assignment = [r for r in rules if r.kind is RuleKind.ASSIGNMENT]
    assert [f.rule_ids for f in duplicates] == [(assignment[0].id, assignment[-1].id)]


def _entry_rule(entry: dict[str, Any], kind: RuleKind = RuleKind.ASSIGNMENT) -> Rule:
    row = {"Id": "01Q000000000001AAA", "Name": "Routing", "Active": True}
    return convert.rule_entries(row, kind, [entry])[0]


def test_an_assignment_entry_becomes_a_zendesk_trigger_with_the_remapped_group() -> None:
    rule = _entry_rule(
        {
            "assignedTo": "Billing",
            "assignedToId": "00G000000000007AAA",
            "assignedToType": "Queue",
            "criteriaItems": [
                {"field": "Case.Priority", "operation": "equals", "value": "High"},
                {"field": "Case.Status", "operation": "equals", "value": "New"},
            ],
        }
    )
    links = {Ref(kind=Kind.GROUP, id="00G000000000007AAA"): "900"}
    done = translate(
        rule, source=rule_dialect("salesforce"), target=rule_dialect("zendesk"), links=links
    )
    assert done.status is TranslationStatus.TRANSLATED, done.gaps
    assert done.kind == "triggers"
    assert done.payload["title"] == "Routing #1"
    assert done.payload["active"] is False
    assert done.payload["conditions"] == {
        "all": [
            {"field": "update_type", "operator": "is", "value": "Create"},
            {"field": "priority", "operator": "is", "value": "high"},
            {"field": "status", "operator": "is", "value": "new"},
        ],
        "any": [],
    }
    assert done.payload["actions"] == [{"field": "group_id", "value": "900"}]


def test_an_entry_s_filter_logic_formula_and_escalation_steps() -> None:
    rule = _entry_rule(
        {
            "booleanFilter": "1 OR 2",
            "criteriaItems": [
                {"field": "Case.Origin", "operation": "equals", "value": "Email"},
                {"field": "Case.Subject", "operation": "startsWith", "value": "Refund"},
            ],
            "escalationStartTime": "CaseLastModified",
            "escalationAction": [
                {
                    "assignedTo": "jo@example.com",
                    "assignedToType": "User",
                    "minutesToEscalation": 90,
                },
                {"notifyTo": "lead@example.com", "minutesToEscalation": 240},
            ],
        },
        RuleKind.ESCALATION,
    )
    normal = rule_dialect("salesforce").normalise(rule)
    assert [(c.field, c.operator, c.value) for c in normal.conditions_any] == [
        ("channel", "is", "email"),
        ("subject", "starts_with", "Refund"),
    ]
    assert [(c.field, c.value) for c in normal.conditions_all] == [("hours_since:updated", "1.5")]
    assert [(a.kind, a.field, a.value) for a in normal.actions] == [
        (ActionKind.ASSIGN_AGENT, "assignee", "jo@example.com"),  # unresolved: the name
        (ActionKind.OTHER, "salesforce:escalationAction", "240"),
    ]
    done = translate(
        rule, source=rule_dialect("salesforce"), target=rule_dialect("zendesk"), links={}
    )
    assert done.kind == "automations"
    assert {g.part for g in done.gaps} == {"action"}


def test_a_refused_read_metadata_leaves_the_rules_opaque_and_the_read_goes_on(
    org: SeededOrg, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(backend: Any, body: bytes) -> bytes:
        raise SoapFault("INSUFFICIENT_ACCESS", "insufficient access rights on object id")

    monkeypatch.setattr(emulator_metadata, "answer", refuse)
    source = org.source()
    with caplog.at_level(logging.WARNING, logger="cemigrate.salesforce"):
        rules = [r for batch in source.read(Kind.RULE) for r in batch.records]
    row = next(iter(org.sandbox.backend.rows["AssignmentRule"].values()))
    assert [r.id for r in rules] == [row["Id"]]
    assert isinstance(rules[0], Rule)
    normal = rule_dialect("salesforce").normalise(rules[0])
    assert normal.opaque
    assert "entry" not in rules[0].raw
    done = translate(rules[0], source=rule_dialect("salesforce"), target=rule_dialect("zendesk"))
    assert done.status is TranslationStatus.UNTRANSLATED
    refusals = [r for r in caplog.records if "refused readMetadata" in r.getMessage()]
    assert len(refusals) == 1
    assert "insufficient access" in refusals[0].getMessage()
    groups = [g for batch in source.read(Kind.GROUP) for g in batch.records]
    assert groups  # the read goes on
