"""Custom fields and flows reach the org through the Tooling composite resource, 25 creates a
call: what the org then lists, what it refuses (alone), and what a lost answer leaves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import requests

from cemigrate.adapters.contract import Needs, Outgoing
from cemigrate.adapters.memory import MemorySource
from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.target import SalesforceTarget
from cemigrate.adapters.zendesk import convert as zd
from cemigrate.errors import TransientError, WriteOutcomeUnknown
from cemigrate.sandbox.http import DroppedConnection, mount_sandbox
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.schema import FieldDef, FieldObject, FieldType, Kind, Rule, RuleKind, SourceKey
from cemigrate.testing.salesforce import org_target, refused_tags_trigger

NO_FILES = MemorySource({}, instance="old")


def text_field(number: int) -> FieldDef:
    return FieldDef(
        id=f"t.{number}",
        object=FieldObject.TICKET,
        key=f"order_ref_{number}",
        title=f"Order ref {number}",
        type=FieldType.TEXT,
    )


def outgoing(kind: Kind, records: Iterable[FieldDef | Rule]) -> list[Outgoing]:
    return [Outgoing(key=SourceKey(instance="old", kind=kind, id=r.id), record=r) for r in records]


def posts(org: SalesforceSandbox, start: int, path_end: str) -> int:
    return sum(
        1
        for method, path, _ in org.salesforce.requests[start:]
        if method == "POST" and path.endswith(path_end)
    )


def case_fields(org: SalesforceSandbox) -> dict[str, dict[str, Any]]:
    """Case's fields as a fresh session's describe lists them (what a user sees)."""
    described = org.session().get(f"{org.data_url}/sobjects/Case/describe")
    assert described.status_code == 200
    return {f["name"]: f for f in described.json()["fields"]}


def flow_definitions(org: SalesforceSandbox) -> set[str]:
    answer = org.session().get(
        f"{org.data_url}/tooling/query", params={"q": "SELECT DeveloperName FROM FlowDefinition"}
    )
    assert answer.status_code == 200
    return {r["DeveloperName"] for r in answer.json()["records"]}


def test_thirty_new_fields_arrive_in_two_composite_calls_and_describe_lists_them(
    org: SalesforceSandbox,
) -> None:
    target = org_target(org)
    fields = [text_field(n) for n in range(31)]
    start = len(org.salesforce.requests)
    results = target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES)
    assert [r.target_id for r in results] == [f"Case.Order_Ref_{n}__c" for n in range(31)]
    assert all(r.ok for r in results)
    assert posts(org, start, "/tooling/composite") == 2  # ⌈31 / 25⌉
    assert posts(org, start, "/tooling/sobjects/CustomField") == 0
    listed = case_fields(org)
    for n in range(31):
        assert listed[f"Order_Ref_{n}__c"]["label"] == f"Order ref {n}"
        assert listed[f"Order_Ref_{n}__c"]["type"] == "string"
    # The target reads the new fields at its next use, and writes none again.
    again = len(org.salesforce.requests)
    assert all(r.ok for r in target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES))
    assert posts(org, again, "/tooling/composite") == 0


def test_a_field_salesforce_refuses_fails_alone_with_its_message(org: SalesforceSandbox) -> None:
    target = org_target(org)
    target.describe()  # the run reads the org first...
    # ...then another admin adds one of the fields the migration is about to create.
    taken = org.session().post(
        f"{org.data_url}/tooling/sobjects/CustomField",
        json={"FullName": "Case.Order_Ref_7__c", "Metadata": {"type": "Text", "length": 80}},
    )
    assert taken.status_code == 201
    fields = [text_field(n) for n in range(30)]
    results = target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES)
    refused = results[7]
    assert not refused.ok
    assert refused.error == "salesforce answered 400 to create field Case.Order_Ref_7__c"
    assert refused.platform_message == (
        "DUPLICATE_DEVELOPER_NAME: There is already a field named Order_Ref_7 on Case."
    )
    assert all(r.ok for i, r in enumerate(results) if i != 7)
    listed = case_fields(org)
    assert all(f"Order_Ref_{n}__c" in listed for n in range(30))
    assert listed["Order_Ref_7__c"]["length"] == 80  # the other admin's field, untouched


def test_prepare_creates_the_setup_fields_in_composite_calls(org: SalesforceSandbox) -> None:
    target = org_target(org)
    target.describe()
    start = len(org.salesforce.requests)
    changes = target.prepare(Needs(fields=tuple(text_field(n) for n in range(30))), dry_run=False)
    made = [c.subject for c in changes if c.action == "create field"]
    assert len(made) > 30
    assert posts(org, start, "/tooling/composite") == -(-len(made) // 25)
    assert posts(org, start, "/tooling/sobjects/CustomField") == 0
    for subject in made:
        sobject, name = subject.split(".")
        described = org.session().get(f"{org.data_url}/sobjects/{sobject}/describe").json()
        assert name in {f["name"] for f in described["fields"]}
    # Prepared again, nothing is created twice.
    assert not [c for c in target.prepare(Needs(), dry_run=False) if c.action == "create field"]


def priority_trigger(number: int) -> Rule:
    return zd.rule(
        {
            "id": 500 + number,
            "title": f"Escalate {number}",
            "active": True,
            "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]},
            "actions": [{"field": "priority", "value": "high"}],
        },
        RuleKind.TRIGGER,
    )


def test_thirty_flows_arrive_in_two_composite_calls_and_a_refused_one_fails_alone(
    org: SalesforceSandbox,
) -> None:
    target = org_target(org)
    rules = [priority_trigger(n) for n in range(15)] + [refused_tags_trigger()]
    rules += [priority_trigger(n) for n in range(15, 30)]
    start = len(org.salesforce.requests)
    results = target.write(Kind.RULE, outgoing(Kind.RULE, rules), NO_FILES)
    assert posts(org, start, "/tooling/composite") == 2  # ⌈31 / 25⌉
    assert posts(org, start, "/tooling/sobjects/Flow") == 0
    refused = results[15]
    assert not refused.ok
    assert (
        'FIELD_INTEGRITY_EXCEPTION: Cemigrate_Update: the field "Cemigrate_Tags__c" for the'
        ' object "Case" doesn\'t exist.'
    ) in refused.platform_message
    written = [r for i, r in enumerate(results) if i != 15]
    assert all(r.ok and r.target_id for r in written)
    names = flow_definitions(org)
    assert len(names) == 30
    assert not any("Tag_VIP" in n for n in names)
    # Each written rule's target id is its flow's definition, as the org lists it.
    ids = org.session().get(
        f"{org.data_url}/tooling/query", params={"q": "SELECT Id FROM FlowDefinition"}
    )
    assert {r.target_id for r in written} == {row["Id"] for row in ids.json()["records"]}


def losing_first_composite_answer(app: Callable[..., Any]) -> Callable[..., Any]:
    """``app`` behind a wire that drops the connection after the first Tooling composite
    call reached the org (the org acts on it; its answer is lost)."""
    lost: list[str] = []

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = b"".join(app(environ, start_response))
        if str(environ.get("PATH_INFO", "")).endswith("/tooling/composite") and not lost:
            lost.append(environ["PATH_INFO"])
            raise DroppedConnection("the answer was lost on its way")
        return [body]

    return wsgi


def failing_first_composite_subrequest(app: Callable[..., Any]) -> Callable[..., Any]:
    """``app`` behind a wire on which the first Tooling composite call's first subrequest is
    answered 500 ``UNKNOWN_EXCEPTION`` (an outage inside the org: its outcome is not known)."""
    failed: list[str] = []

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        held: dict[str, Any] = {}

        def hold(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Any:
            held["status"], held["headers"] = status, headers
            return lambda _data: None

        body = b"".join(app(environ, hold))
        if str(environ.get("PATH_INFO", "")).endswith("/tooling/composite") and not failed:
            failed.append(environ["PATH_INFO"])
            answer = json.loads(body)
            answer["compositeResponse"][0].update(
                httpStatusCode=500,
                body=[{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error"}],
            )
            body = json.dumps(answer).encode()
            held["headers"] = [(k, v) for k, v in held["headers"] if k != "Content-Length"]
        start_response(held["status"], held["headers"])
        return [body]

    return wsgi


def target_on(org: SalesforceSandbox, wire: Callable[..., Any]) -> SalesforceTarget:
    return SalesforceTarget(
        instance_url=org.base_url,
        credentials=SalesforceCredentials(access_token=org.access_token),
        session=mount_sandbox(requests.Session(), org.base_url, wire),
        clock=org.clock,
    )


def test_a_subrequest_the_org_could_not_run_stops_the_write_to_be_tried_again(
    org: SalesforceSandbox,
) -> None:
    target = target_on(org, failing_first_composite_subrequest(org.app))
    fields = [text_field(n) for n in range(3)]
    with pytest.raises(TransientError, match=r"answered 500 to create field Case\.Order_Ref_0__c"):
        target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES)
    results = target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES)
    assert [r.target_id for r in results] == [f"Case.Order_Ref_{n}__c" for n in range(3)]
    assert all(r.ok for r in results)
    assert {f"Order_Ref_{n}__c" for n in range(3)} <= set(case_fields(org))


def test_a_lost_composite_answer_stops_the_write_and_the_next_write_adopts_the_fields(
    org: SalesforceSandbox,
) -> None:
    target = target_on(org, losing_first_composite_answer(org.app))
    fields = [text_field(n) for n in range(30)]
    with pytest.raises(WriteOutcomeUnknown):
        target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES)
    # The first 25 were created though their answer was lost; the resumed write finds them.
    start = len(org.salesforce.requests)
    results = target.write(Kind.FIELD, outgoing(Kind.FIELD, fields), NO_FILES)
    assert all(r.ok for r in results)
    assert posts(org, start, "/tooling/composite") == 1  # the 5 that were never sent
    listed = case_fields(org)
    assert all(f"Order_Ref_{n}__c" in listed for n in range(30))
