"""SLA policies as Salesforce entitlement processes: the translation, the emulator's Metadata
API (upsertMetadata / readMetadata), the target writing them inactive, adopting them on a
re-run and switching them on."""

from __future__ import annotations

from typing import Any

import requests

from cemigrate.adapters.contract import Outgoing, RuleSwitch
from cemigrate.adapters.freshdesk import convert as freshdesk_convert
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.rule_dialects import rule_dialect
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.entitlements import metadata_element
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk import convert as zendesk_convert
from cemigrate.copier import Migration
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.rules import TranslationStatus
from cemigrate.rules.sla import translate_sla
from cemigrate.rules.translate import EVERY_LINK
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import Kind, Ref, SlaPolicy, SourceKey
from cemigrate.testing.salesforce import org_target

DESK = generate(tickets=20, seed=7, instance="old")
SOAP = "/services/Soap/m/59.0"


def zendesk_policy(
    metrics: list[dict[str, Any]],
    *,
    all_of: list[dict[str, Any]] | None = None,
    title: str = "Gold customers",
) -> SlaPolicy:
    return zendesk_convert.sla_policy(
        {
            "id": 360001,
            "title": title,
            "description": "Gold tier",
            "position": 1,
            "filter": {"all": all_of or [], "any": []},
            "policy_metrics": metrics,
            "created_at": "2024-01-02T03:04:05Z",
            "updated_at": "2024-01-02T03:04:05Z",
        }
    )


def metric(priority: str, name: str, minutes: int, business: bool = True) -> dict[str, Any]:
    return {"priority": priority, "metric": name, "target": minutes, "business_hours": business}


def milestones(payload: Any) -> dict[tuple[str, str], int]:
    """``(milestone name, Case.Priority value) → minutes`` of a process."""
    out = {}
    for m in payload["milestones"]:
        (priority,) = [
            i["value"] for i in m["milestoneCriteriaFilterItems"] if i["field"] == "Case.Priority"
        ]
        out[(m["milestoneName"], priority)] = m["minutesToComplete"]
    return out


# --- translation -----------------------------------------------------------------------------


def test_each_target_is_a_milestone_whose_criteria_test_the_priority() -> None:
    policy = zendesk_policy(
        [
            metric("urgent", "first_reply_time", 30),
            metric("urgent", "total_resolution_time", 240),
            metric("low", "next_reply_time", 480),
            metric("low", "requester_wait_time", 600),
        ],
        all_of=[{"field": "ticket_type_id", "operator": "is", "value": "incident"}],
    )

    done = translate_sla(
        policy, source=rule_dialect("zendesk"), target=rule_dialect("salesforce"), links=EVERY_LINK
    )

    assert done.status is TranslationStatus.PARTIAL
    assert done.payload["fullName"] == "gold customers"
    assert done.payload["name"] == "Gold customers"
    assert done.payload["active"] is False
    assert done.payload["SObjectType"] == "Case"
    assert milestones(done.payload) == {
        ("First Response", "Critical"): 30,
        ("Resolution", "Critical"): 240,
        ("Next Response", "Low"): 480,
    }
    (wait,) = done.gaps
    assert wait.original == "low requester_wait_time 600 min (business hours)"
    assert "no standard milestone for requester wait time" in wait.reason


def test_priorities_go_through_the_mappings_table_and_calendar_hours_are_a_gap() -> None:
    policy = zendesk_policy([metric("urgent", "first_reply_time", 15, business=False)])

    done = translate_sla(
        policy,
        source=rule_dialect("zendesk"),
        target=rule_dialect("salesforce"),
        mapping={"priority": {"urgent": "High"}},
    )

    assert milestones(done.payload) == {("First Response", "High"): 15}
    (calendar,) = done.gaps
    assert "calendar hours" in calendar.reason
    assert "business hours" in calendar.reason


def test_the_filter_becomes_milestone_criteria_or_a_gap_saying_why() -> None:
    policy = zendesk_policy(
        [metric("high", "first_reply_time", 60)],
        all_of=[
            {"field": "organization_id", "operator": "is", "value": "501"},
            {"field": "group_id", "operator": "is", "value": "601"},
        ],
    )
    links = {Ref(kind=Kind.ORGANIZATION, id="501"): "0015g00000000AAAAA"}

    done = translate_sla(
        policy, source=rule_dialect("zendesk"), target=rule_dialect("salesforce"), links=links
    )

    assert done.status is TranslationStatus.PARTIAL
    (only,) = done.payload["milestones"]  # type: ignore[misc]
    assert only["milestoneCriteriaFilterItems"] == [
        {"field": "Case.Priority", "operation": "equals", "value": "High"}
    ]
    account, group = done.gaps
    assert "entitlements are assigned per account or contact" in account.reason
    assert "0015g00000000AAAAA" in account.reason
    assert group.part == "filter"


def test_a_freshdesk_policy_keeps_its_ticket_types_as_criteria() -> None:
    policy = freshdesk_convert.sla_policy(
        {
            "id": 7,
            "name": "Incidents",
            "description": "",
            "active": True,
            "is_default": False,
            "position": 2,
            "sla_target": {
                "priority_3": {
                    "respond_within": 3600,
                    "resolve_within": 28800,
                    "business_hours": True,
                    "escalation_enabled": False,
                }
            },
            "applicable_to": {"ticket_types": ["Incident", "Problem"]},
            "created_at": "2024-01-02T03:04:05Z",
            "updated_at": "2024-01-02T03:04:05Z",
        }
    )

    done = translate_sla(
        policy, source=rule_dialect("freshdesk"), target=rule_dialect("salesforce")
    )

    assert done.status is TranslationStatus.TRANSLATED, done.gaps
    for milestone in done.payload["milestones"]:  # type: ignore[union-attr]
        assert milestone["milestoneCriteriaFilterItems"][1] == {  # type: ignore[index]
            "field": "Case.Type",
            "operation": "equals",
            "value": "Incident,Problem",
        }


def test_a_policy_with_no_milestone_counterpart_is_declined_with_the_reason() -> None:
    policy = zendesk_policy([metric("high", "agent_work_time", 60)])
    target = SalesforceTarget(
        instance_url="https://example.my.salesforce.com",
        credentials=SalesforceCredentials(access_token="unused"),
    )

    declined = target.declines(Kind.SLA_POLICY, policy)

    assert declined.startswith("untranslatable-sla-policy: ")
    assert "none of its targets can be expressed as a Salesforce milestone" in declined


# --- the emulator's Metadata API -------------------------------------------------------------


def soap(org: SalesforceSandbox, call: str, *, token: str | None = None) -> requests.Response:
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns="http://soap.sforce.com/2006/04/metadata">'
        f"<soapenv:Header><SessionHeader><sessionId>{token or org.access_token}</sessionId>"
        f"</SessionHeader></soapenv:Header><soapenv:Body>{call}</soapenv:Body>"
        "</soapenv:Envelope>"
    )
    return org.session(authenticated=False).post(
        f"{org.base_url}{SOAP}", data=envelope, headers={"Content-Type": "text/xml"}
    )


def test_the_emulator_refuses_what_salesforce_would_and_counts_the_calls(
    org: SalesforceSandbox,
) -> None:
    sf = org.session()
    made = sf.post(f"{org.data_url}/sobjects/MilestoneType", json={"Name": "First Response"})
    assert made.status_code == 201, made.text
    process = {
        "fullName": "gold",
        "name": "Gold",
        "active": False,
        "milestones": [
            {
                "milestoneName": "Resolution",
                "minutesToComplete": 0,
                "milestoneCriteriaFilterItems": [
                    {"field": "Case.Priority", "operation": "equals", "value": "Urgent"}
                ],
            }
        ],
    }
    used = org.salesforce.api_usage

    answer = soap(
        org, f"<upsertMetadata>{metadata_element('EntitlementProcess', process)}</upsertMetadata>"
    )

    assert answer.status_code == 200
    text = answer.text
    assert "<success>false</success>" in text
    assert "no milestone type named 'Resolution' exists in this organization" in text
    assert "minutes to complete must be a whole number greater than 0" in text
    assert "bad value for restricted picklist field Case.Priority: Urgent" in text
    assert org.backend.metadata.get("EntitlementProcess", {}) == {}
    assert org.salesforce.api_usage == used + 1
    bad_session = soap(
        org, "<readMetadata><type>EntitlementProcess</type></readMetadata>", token="nope"
    )
    assert bad_session.status_code == 500
    assert "INVALID_SESSION_ID" in bad_session.text


def test_without_entitlement_management_the_metadata_type_is_not_available() -> None:
    org = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock(), entitlements_enabled=False)

    answer = soap(
        org,
        "<readMetadata><type>EntitlementProcess</type><fullNames>gold</fullNames></readMetadata>",
    )

    assert answer.status_code == 500
    assert "INVALID_TYPE: This type of metadata is not available for this organization" in (
        answer.text
    )
    query = org.session().get(f"{org.data_url}/query", params={"q": "SELECT Id FROM MilestoneType"})
    assert query.status_code == 400


# --- the target --------------------------------------------------------------------------------


def migrate(org: SalesforceSandbox, ledger: Ledger) -> Any:
    source = MemorySource(
        {Kind.SLA_POLICY: list(DESK.sla_policies)}, instance="old", clock=org.clock
    )
    return Migration(sources=[source], target=org_target(org), ledger=ledger, progress=False).run()


def read_back(org: SalesforceSandbox, names: list[str]) -> dict[str, Any]:
    """The processes as the org's readMetadata answers (through the target's reader)."""
    return org_target(org)._entitlements.read(names)


def test_the_demo_policies_arrive_as_inactive_processes_and_a_rerun_adopts_them(
    org: SalesforceSandbox,
) -> None:
    ledger = Ledger.open(":memory:")
    assert DESK.sla_policies

    report = migrate(org, ledger)

    tally = report.kinds["sla_policy"]
    assert not ledger.failures()
    assert tally.created == len(DESK.sla_policies)
    names = [p.title.replace("/", " ").lower() for p in DESK.sla_policies]
    found = read_back(org, names)
    assert set(found) == set(names)
    for policy in DESK.sla_policies:
        process = found[policy.title.replace("/", " ").lower()]
        assert process["active"] is False
        expected = {
            (
                {
                    "first_reply_time": "First Response",
                    "next_reply_time": "Next Response",
                    "resolution_time": "Resolution",
                }[str(t.metric)],
                {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Critical"}[
                    str(t.priority)
                ],
            ): t.minutes
            for t in policy.targets
            if str(t.metric) in ("first_reply_time", "next_reply_time", "resolution_time")
        }
        assert milestones(process) == expected
    types = {r["Name"]: r for r in org.backend.rows["MilestoneType"].values()}
    assert set(types) == {"First Response", "Next Response", "Resolution"}
    assert types["Next Response"]["RecurrenceType"] == "recursChained"
    processes = {r["Name"]: r for r in org.backend.rows["SlaProcess"].values()}
    assert {p["IsActive"] for p in processes.values()} == {False}

    again = migrate(org, ledger).kinds["sla_policy"]
    lost = migrate(org, Ledger.open(":memory:")).kinds["sla_policy"]

    assert again.created == 0
    assert again.unchanged == len(DESK.sla_policies)
    # Found by full name, not made again: the org held them before that run, so it adopts them.
    assert lost.matched == len(DESK.sla_policies)
    assert lost.created == 0
    assert len(org.backend.rows["MilestoneType"]) == 3
    assert len(org.backend.rows["SlaProcess"]) == len(DESK.sla_policies)


def test_existing_milestone_types_are_adopted_by_name(org: SalesforceSandbox) -> None:
    sf = org.session()
    made = sf.post(f"{org.data_url}/sobjects/MilestoneType", json={"Name": "Resolution Time"})
    assert made.status_code == 201

    migrate(org, Ledger.open(":memory:"))

    names = {r["Name"] for r in org.backend.rows["MilestoneType"].values()}
    assert names == {"First Response", "Next Response", "Resolution Time"}
    process = read_back(org, ["standard"])["standard"]
    assert {m["milestoneName"] for m in process["milestones"]} == {
        "First Response",
        "Next Response",
        "Resolution Time",
    }


def test_processes_are_switched_on_only_on_request(org: SalesforceSandbox) -> None:
    ledger = Ledger.open(":memory:")
    migrate(org, ledger)
    target = org_target(org)
    assert isinstance(target, RuleSwitch)
    ids = [f"entitlement_processes/{n}" for n in read_back(org, ["standard", "vip institutional"])]
    gone = "entitlement_processes/gone"

    assert target.rule_states([*ids, gone]) == dict.fromkeys(ids, False)
    outcome = target.activate_rules([*ids, gone])

    assert outcome == {
        **dict.fromkeys(ids, ""),
        gone: "NOT_FOUND: no entitlement process gone in the org",
    }
    assert target.rule_states(ids) == dict.fromkeys(ids, True)
    assert {r["IsActive"] for r in org.backend.rows["SlaProcess"].values()} == {True}
    start = len(org.salesforce.requests)
    assert target.activate_rules(ids) == dict.fromkeys(ids, "")  # already on: read only
    assert [m for m, p, _ in org.salesforce.requests[start:] if p == SOAP] == ["POST"]


def test_a_process_salesforce_refuses_is_a_failure_row_with_its_message(
    org: SalesforceSandbox,
) -> None:
    # The mapping's priority table names a value the org's Case Priority lacks.
    target = org_target(org)
    target._values = {"priority": {"urgent": "Urgent"}}
    policy = zendesk_policy([metric("urgent", "first_reply_time", 30)])
    key = SourceKey(instance="old", kind=Kind.SLA_POLICY, id=policy.id)

    (result,) = target.write(
        Kind.SLA_POLICY, [Outgoing(key=key, record=policy)], MemorySource({}, instance="old")
    )

    assert not result.ok
    assert result.error == "salesforce refused the entitlement process"
    assert result.platform_message == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Milestone 'First Response': bad value for"
        " restricted picklist field Case.Priority: Urgent"
    )
    assert org.backend.metadata.get("EntitlementProcess", {}) == {}


def test_without_entitlement_management_each_policy_fails_with_salesforces_message() -> None:
    org = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock(), entitlements_enabled=False)
    policy = zendesk_policy([metric("high", "first_reply_time", 30)])
    key = SourceKey(instance="old", kind=Kind.SLA_POLICY, id=policy.id)

    (result,) = org_target(org).write(
        Kind.SLA_POLICY, [Outgoing(key=key, record=policy)], MemorySource({}, instance="old")
    )

    assert not result.ok
    assert "This type of metadata is not available for this organization" in (
        result.platform_message
    )
