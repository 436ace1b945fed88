"""Rules as record-triggered flows: the emulator's Tooling Flow and FlowDefinition, the target
writing them Draft, switching them on, and the source reading them back."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from cemigrate.adapters.contract import Outgoing, RuleSwitch
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.rule_dialects import rule_dialect
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.rules import TranslationStatus, translate
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import Kind, Rule, RuleKind, SourceKey
from cemigrate.testing.salesforce import org_target, refused_tags_trigger

RULES = generate(tickets=20, seed=7, instance="old").rules

ROUTE_VIP: dict[str, Any] = {
    "label": "Route VIP",
    "description": "Migrated by cemigrate from zendesk trigger 123",
    "processType": "AutoLaunchedFlow",
    "status": "Draft",
    "apiVersion": 60.0,
    "start": {
        "object": "Case",
        "triggerType": "RecordAfterSave",
        "recordTriggerType": "CreateAndUpdate",
        "filterLogic": "1 AND (2 OR 3)",
        "filters": [
            {"field": "Status", "operator": "EqualTo", "value": {"stringValue": "New"}},
            {"field": "Priority", "operator": "IsChanged", "value": {"booleanValue": True}},
            {"field": "Subject", "operator": "Contains", "value": {"stringValue": "VIP"}},
        ],
        "connector": {"targetReference": "Cemigrate_Update"},
        "doesRequireRecordChangedToMeetCriteria": False,
    },
    "recordUpdates": [
        {
            "name": "Cemigrate_Update",
            "label": "Update the case",
            "inputReference": "$Record",
            "inputAssignments": [{"field": "Priority", "value": {"stringValue": "High"}}],
        }
    ],
}


def flow(**changes: Any) -> dict[str, Any]:
    """The Route VIP flow's metadata with top-level or ``start`` keys changed."""
    metadata = copy.deepcopy(ROUTE_VIP)
    for key, value in changes.items():
        if key.startswith("start_"):
            metadata["start"][key.removeprefix("start_")] = value
        else:
            metadata[key] = value
    return metadata


@pytest.fixture
def sf(org: SalesforceSandbox) -> requests.Session:
    return org.session()


def save(sf: requests.Session, org: SalesforceSandbox, name: str, metadata: Any) -> Any:
    return sf.post(
        f"{org.data_url}/tooling/sobjects/Flow", json={"FullName": name, "Metadata": metadata}
    )


def tooling_get(sf: requests.Session, org: SalesforceSandbox, sobject: str, id: str) -> Any:
    response = sf.get(f"{org.data_url}/tooling/sobjects/{sobject}/{id}")
    assert response.status_code == 200, response.text
    return response.json()


def tooling_query(sf: requests.Session, org: SalesforceSandbox, soql: str) -> Any:
    return sf.get(f"{org.data_url}/tooling/query", params={"q": soql})


def activate(sf: requests.Session, org: SalesforceSandbox, definition: str, number: int) -> Any:
    return sf.patch(
        f"{org.data_url}/tooling/sobjects/FlowDefinition/{definition}",
        json={"Metadata": {"activeVersionNumber": number}},
    )


# --- the emulator ------------------------------------------------------------------------------


def test_a_saved_flow_is_a_draft_first_version_of_a_new_definition(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    made = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP)
    assert made.status_code == 201, made.text
    version = tooling_get(sf, org, "Flow", made.json()["id"])
    assert version["Status"] == "Draft"
    assert version["VersionNumber"] == 1
    assert version["ProcessType"] == "AutoLaunchedFlow"
    assert version["MasterLabel"] == "Route VIP"
    assert version["FullName"] == "Cemigrate_Route_VIP_123"
    assert version["Metadata"] == ROUTE_VIP
    definition = tooling_get(sf, org, "FlowDefinition", version["DefinitionId"])
    assert definition["DeveloperName"] == "Cemigrate_Route_VIP_123"
    assert definition["MasterLabel"] == "Route VIP"
    assert definition["LatestVersionId"] == version["Id"]
    assert definition["ActiveVersionId"] is None
    assert definition["Metadata"]["activeVersionNumber"] is None


def test_saving_a_full_name_again_makes_its_next_version(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    first = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP).json()["id"]
    second = save(sf, org, "Cemigrate_Route_VIP_123", flow(label="Route VIP v2")).json()["id"]
    listed = tooling_query(
        sf,
        org,
        "SELECT Id, VersionNumber, Status, Definition.DeveloperName FROM Flow"
        " ORDER BY VersionNumber",
    ).json()
    assert [(r["Id"], r["VersionNumber"]) for r in listed["records"]] == [(first, 1), (second, 2)]
    assert {r["Definition"]["DeveloperName"] for r in listed["records"]} == {
        "Cemigrate_Route_VIP_123"
    }
    (definition,) = tooling_query(
        sf, org, "SELECT Id, MasterLabel, LatestVersion.VersionNumber FROM FlowDefinition"
    ).json()["records"]
    assert definition["LatestVersion"]["VersionNumber"] == 2
    assert definition["MasterLabel"] == "Route VIP v2"


def test_a_flow_salesforce_cannot_save_is_refused_with_one_error_per_problem(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    broken = flow(
        label="",
        start_filters=[
            {"field": "Mood__c", "operator": "EqualTo", "value": {"stringValue": "x"}},
            {"field": "Status", "operator": "Resembles", "value": {"stringValue": "New"}},
        ],
        start_filterLogic="and",
        start_connector={"targetReference": "Nowhere"},
    )
    broken["recordUpdates"][0]["inputAssignments"] = [
        {"field": "CaseNumber", "value": {"stringValue": "1"}},
        {"field": "Shoe_Size__c", "value": {"numberValue": 42}},
    ]
    refused = save(sf, org, "Cemigrate_Broken", broken)
    assert refused.status_code == 400
    errors = refused.json()
    messages = [e["message"] for e in errors]
    assert all({"message", "errorCode", "fields"} <= set(e) for e in errors)
    assert "Required fields are missing: [label]" in messages
    assert 'The field "Mood__c" for the object "Case" doesn\'t exist.' in messages
    assert "bad value for restricted picklist field: Resembles" in messages
    assert any("'Nowhere' doesn't exist" in m for m in messages)
    assert any('"CaseNumber" for the object "Case" isn\'t updateable' in m for m in messages)
    assert any('"Shoe_Size__c" for the object "Case" doesn\'t exist' in m for m in messages)
    no_object = save(sf, org, "Cemigrate_Nowhere", flow(start_object="Spaceship"))
    assert (
        no_object.json()[0]["message"] == "The object Spaceship doesn't exist or isn't supported."
    )
    untyped = flow()
    del untyped["processType"]
    missing = save(sf, org, "Cemigrate_Untyped", untyped).json()
    assert missing[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert not org.backend.tooling["FlowDefinition"]  # nothing half-saved


def test_scheduled_paths_and_is_changed_follow_the_record_trigger(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    on_create = flow(start_recordTriggerType="Create")
    assert save(sf, org, "Cemigrate_On_Create", on_create).json()[0]["message"] == (
        "The IsChanged operator is available only when the flow runs on updates."
    )
    path = {
        "name": "After_96_Hours",
        "label": "After 96 hours",
        "offsetNumber": 96,
        "offsetUnit": "Hours",
        "timeSource": "RecordField",
        "recordField": "CreatedDate",
        "connector": {"targetReference": "Cemigrate_Update"},
    }
    waits = flow(start_scheduledPaths=[path])
    del waits["start"]["connector"]
    refused = save(sf, org, "Cemigrate_Waits", waits).json()
    assert "Scheduled paths are available only" in refused[0]["message"]
    waits["start"]["doesRequireRecordChangedToMeetCriteria"] = True
    assert save(sf, org, "Cemigrate_Waits", waits).status_code == 201


def test_a_flow_saved_active_needs_the_deploy_as_active_setting() -> None:
    strict = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock())
    refused = save(strict.session(), strict, "Cemigrate_Live", flow(status="Active"))
    assert refused.status_code == 400
    assert "Deploy processes and flows as active" in refused.json()[0]["message"]
    relaxed = SalesforceSandbox(
        tickets=0, empty=True, clock=ManualClock(), deploy_flows_active=True
    )
    sf = relaxed.session()
    made = save(sf, relaxed, "Cemigrate_Live", flow(status="Active")).json()["id"]
    version = tooling_get(sf, relaxed, "Flow", made)
    assert version["Status"] == "Active"
    definition = tooling_get(sf, relaxed, "FlowDefinition", version["DefinitionId"])
    assert definition["ActiveVersionId"] == made


def test_metadata_and_full_name_are_refused_in_a_query_of_more_than_one_row(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    first = save(sf, org, "Cemigrate_One", ROUTE_VIP).json()["id"]
    save(sf, org, "Cemigrate_Two", ROUTE_VIP)
    for column in ("Metadata", "FullName"):
        refused = tooling_query(sf, org, f"SELECT Id, {column} FROM Flow")
        assert refused.status_code == 400
        (error,) = refused.json()
        assert error["errorCode"] == "MALFORMED_QUERY"
        assert error["message"].startswith(
            "When retrieving results with Metadata or FullName fields, the query qualifications"
            " must specify no more than one row for retrieval."
        )
    one = tooling_query(sf, org, f"SELECT Id, FullName, Metadata FROM Flow WHERE Id = '{first}'")
    assert one.status_code == 200
    (record,) = one.json()["records"]
    assert record["FullName"] == "Cemigrate_One"
    assert record["Metadata"] == ROUTE_VIP


def test_activation_switches_versions_and_zero_deactivates(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    v1 = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP).json()["id"]
    definition = tooling_get(sf, org, "Flow", v1)["DefinitionId"]
    assert activate(sf, org, definition, 1).status_code == 204
    v2 = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP).json()["id"]
    v3 = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP).json()["id"]

    def statuses() -> list[str]:
        return [tooling_get(sf, org, "Flow", v)["Status"] for v in (v1, v2, v3)]

    assert statuses() == ["Active", "Draft", "Draft"]
    assert activate(sf, org, definition, 3).status_code == 204
    assert statuses() == ["Obsolete", "Draft", "Active"]
    after = tooling_get(sf, org, "FlowDefinition", definition)
    assert after["ActiveVersionId"] == v3
    assert after["Metadata"]["activeVersionNumber"] == 3
    assert tooling_get(sf, org, "Flow", v3)["Metadata"]["status"] == "Active"
    assert activate(sf, org, definition, 0).status_code == 204
    assert statuses() == ["Obsolete", "Draft", "Obsolete"]
    assert tooling_get(sf, org, "FlowDefinition", definition)["ActiveVersionId"] is None
    missing = activate(sf, org, definition, 7)
    assert missing.status_code == 400
    assert "Version 7" in missing.json()[0]["message"]
    assert activate(sf, org, "300000000000009AAA", 1).status_code == 404


def test_an_active_version_cannot_be_deleted_and_the_definition_goes_with_its_last(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    v1 = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP).json()["id"]
    v2 = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP).json()["id"]
    definition = tooling_get(sf, org, "Flow", v1)["DefinitionId"]
    assert activate(sf, org, definition, 2).status_code == 204
    refused = sf.delete(f"{org.data_url}/tooling/sobjects/Flow/{v2}")
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "DELETE_FAILED"
    assert sf.delete(f"{org.data_url}/tooling/sobjects/FlowDefinition/{definition}").status_code
    assert sf.delete(f"{org.data_url}/tooling/sobjects/Flow/{v1}").status_code == 204
    assert tooling_get(sf, org, "FlowDefinition", definition)["LatestVersionId"] == v2
    assert activate(sf, org, definition, 0).status_code == 204
    assert sf.delete(f"{org.data_url}/tooling/sobjects/Flow/{v2}").status_code == 204
    assert sf.get(f"{org.data_url}/tooling/sobjects/FlowDefinition/{definition}").status_code == 404
    assert sf.delete(f"{org.data_url}/tooling/sobjects/Flow/{v2}").status_code == 404


def test_flow_calls_spend_the_daily_allowance() -> None:
    org = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock(), daily_allowance=3)
    sf = org.session()
    made = save(sf, org, "Cemigrate_Route_VIP_123", ROUTE_VIP)
    assert made.headers["Sforce-Limit-Info"] == "api-usage=1/3"
    version = sf.get(f"{org.data_url}/tooling/sobjects/Flow/{made.json()['id']}")
    assert version.headers["Sforce-Limit-Info"] == "api-usage=2/3"
    activate(sf, org, version.json()["DefinitionId"], 1)
    spent = tooling_query(sf, org, "SELECT Id FROM FlowDefinition")
    assert spent.status_code == 403
    assert spent.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


# --- the target and the source -----------------------------------------------------------------


def migrate_rules(org: SalesforceSandbox, ledger: Ledger) -> Any:
    source = MemorySource({Kind.RULE: list(RULES)}, instance="old", clock=org.clock)
    return Migration(sources=[source], target=org_target(org), ledger=ledger, progress=False).run()


def flow_calls(org: SalesforceSandbox, start: int) -> list[tuple[str, str]]:
    return [
        (method, path.split("/tooling/", 1)[1].split("?")[0])
        for method, path, _ in org.salesforce.requests[start:]
        if "/tooling/" in path and ("Flow" in path or "query" in path or "composite" in path)
    ]


def test_rules_arrive_as_draft_flows_and_a_rerun_adopts_them(org: SalesforceSandbox) -> None:
    ledger = Ledger.open(":memory:")
    translatable = [
        r
        for r in RULES
        if translate(r, source=rule_dialect("zendesk"), target=rule_dialect("salesforce")).status
        is not TranslationStatus.UNTRANSLATED
    ]
    assert translatable
    start = len(org.salesforce.requests)
    report = migrate_rules(org, ledger)
    tally = report.kinds["rule"]
    assert not ledger.failures()
    definitions = org.backend.tooling["FlowDefinition"]
    versions = org.backend.tooling["Flow"]
    assert tally.created == len(definitions) == len(versions) > 0
    assert tally.created + tally.skipped == len(RULES)
    assert {v["Status"] for v in versions.values()} == {"Draft"}
    assert all(d["ActiveVersionId"] is None for d in definitions.values())
    calls = flow_calls(org, start)
    # One query of the org's flows, one Tooling composite call per 25 flows, one query for
    # the new definitions (the custom fields' composite calls come before the first query).
    rules = calls[calls.index(("GET", "query")) :]
    assert rules.count(("POST", "composite")) == -(-tally.created // 25)
    assert calls.count(("POST", "sobjects/Flow")) == 0
    assert calls.count(("GET", "query")) == 2
    again = migrate_rules(org, ledger).kinds["rule"]
    assert again.created == 0
    assert again.unchanged == tally.created
    assert len(org.backend.tooling["FlowDefinition"]) == len(definitions)
    assert len(org.backend.tooling["Flow"]) == len(versions)


def test_a_rerun_after_a_lost_ledger_finds_flows_by_name_instead_of_saving_new_versions(
    org: SalesforceSandbox,
) -> None:
    migrate_rules(org, Ledger.open(":memory:"))
    saved = len(org.backend.tooling["Flow"])
    report = migrate_rules(org, Ledger.open(":memory:"))  # nothing remembered: found by name
    # The org held them before this run: adopted (a rollback from this ledger keeps them)...
    assert report.kinds["rule"].matched == saved
    assert report.kinds["rule"].created == 0
    assert len(org.backend.tooling["Flow"]) == saved  # ...and no new version was saved


def test_a_flow_salesforce_refuses_is_a_failure_row_with_its_message(
    org: SalesforceSandbox,
) -> None:
    # No prepare: the org lacks Cemigrate_Tags__c, which the flow's update assigns.
    target = org_target(org)
    rule = refused_tags_trigger()
    key = SourceKey(instance="old", kind=Kind.RULE, id=rule.id)
    (result,) = target.write(
        Kind.RULE, [Outgoing(key=key, record=rule)], MemorySource({}, instance="old")
    )
    assert not result.ok
    assert result.error.startswith("salesforce answered 400")
    assert (
        'FIELD_INTEGRITY_EXCEPTION: Cemigrate_Update: the field "Cemigrate_Tags__c" for the'
        ' object "Case" doesn\'t exist.'
    ) in result.platform_message
    assert not org.backend.tooling["FlowDefinition"]


def test_untranslatable_rules_are_declined_and_skipped_by_name(org: SalesforceSandbox) -> None:
    target = org_target(org)
    macro = next(r for r in RULES if r.kind is RuleKind.MACRO)
    assert target.declines(Kind.RULE, macro).startswith("untranslatable-rule: ")
    key = SourceKey(instance="old", kind=Kind.RULE, id=macro.id)
    (result,) = target.write(
        Kind.RULE, [Outgoing(key=key, record=macro)], MemorySource({}, instance="old")
    )
    assert result.skipped.startswith("untranslatable-rule: ")


def test_rules_are_switched_on_only_on_request(org: SalesforceSandbox) -> None:
    ledger = Ledger.open(":memory:")
    migrate_rules(org, ledger)
    target = org_target(org)
    assert isinstance(target, RuleSwitch)
    ids = list(org.backend.tooling["FlowDefinition"])
    gone = "3005g00000000ZZAAA"
    start = len(org.salesforce.requests)
    assert target.rule_states([*ids, gone, "sla_policies/7"]) == dict.fromkeys(ids, False)
    assert flow_calls(org, start) == [("GET", "query")]
    start = len(org.salesforce.requests)
    outcome = target.activate_rules([*ids, gone])
    assert outcome == {
        **dict.fromkeys(ids, ""),
        gone: f"NOT_FOUND: no FlowDefinition {gone} in the org",
    }
    assert flow_calls(org, start).count(("PATCH", f"sobjects/FlowDefinition/{ids[0]}")) == 1
    assert len(flow_calls(org, start)) == 1 + len(ids)
    assert target.rule_states(ids) == dict.fromkeys(ids, True)
    for definition in org.backend.tooling["FlowDefinition"].values():
        active = org.backend.tooling["Flow"][definition["ActiveVersionId"]]
        assert active["Status"] == "Active"
        assert definition["ActiveVersionId"] == definition["LatestVersionId"]
    assert target.activate_rules(ids) == dict.fromkeys(ids, "")  # already on: no PATCH


def test_a_rollback_switches_flows_off_and_deletes_every_version(org: SalesforceSandbox) -> None:
    ledger = Ledger.open(":memory:")
    before = set(org.backend.tooling["FlowDefinition"])
    migrate_rules(org, ledger)
    target = org_target(org)
    assert isinstance(target, RuleSwitch)
    ids = sorted(set(org.backend.tooling["FlowDefinition"]) - before)
    assert ids
    assert target.activate_rules(ids[:1]) == {ids[0]: ""}  # an admin switched one on
    sf = org.session()
    save(sf, org, str(org.backend.tooling["FlowDefinition"][ids[0]]["DeveloperName"]), ROUTE_VIP)
    target.delete(Kind.RULE, [*ids, "3005g00000000ZZAAA"])  # one long gone: not found is gone
    assert set(org.backend.tooling["FlowDefinition"]) == before
    rows = tooling_query(sf, org, "SELECT Id, DefinitionId FROM Flow").json()["records"]
    assert not {r["DefinitionId"] for r in rows} & set(ids)
    target.delete(Kind.RULE, ids)  # again, as a resumed rollback would: nothing left to do


def test_the_source_reads_back_the_flows_the_target_wrote(org: SalesforceSandbox) -> None:
    migrate_rules(org, Ledger.open(":memory:"))
    written = {
        d["Id"]: org.backend.tooling["Flow"][d["LatestVersionId"]]
        for d in org.backend.tooling["FlowDefinition"].values()
    }
    # A screen flow and a flow on another object are not Case rules.
    sf = org.session()
    screen = {"label": "Screen", "processType": "Flow", "status": "Draft"}
    assert save(sf, org, "Screen_Flow", screen).status_code == 201
    on_account = flow(start_object="Account", start_filters=[], start_connector=None)
    del on_account["recordUpdates"], on_account["start"]["filterLogic"]
    assert save(sf, org, "On_Account", on_account).status_code == 201
    source = SalesforceSource(
        instance="sf",
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=org.session(authenticated=False),
        clock=org.clock,
    )
    start = len(org.salesforce.requests)
    read = [r for batch in source.read(Kind.RULE) for r in batch.records]
    flows = {r.id: r for r in read if isinstance(r, Rule) and r.kind is RuleKind.FLOW}
    assert set(flows) == set(written)
    for id, version in written.items():
        rule = flows[id]
        assert rule.title == version["MasterLabel"]
        assert rule.active is False
        assert rule.raw == {"FullName": version["FullName"], "Metadata": version["Metadata"]}
    calls = flow_calls(org, start)
    assert calls.count(("GET", "query")) == 1
    assert len([c for c in calls if c[1].startswith("sobjects/Flow/")]) == len(written) + 1
