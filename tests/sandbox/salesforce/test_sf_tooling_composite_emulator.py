"""The emulator's Tooling composite resource (``POST /tooling/composite``): up to 25 Tooling
sObject and query subrequests in one call, at most five of them queries, ``allOrNone``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox


@pytest.fixture
def org() -> SalesforceSandbox:
    return SalesforceSandbox(tickets=0, empty=True, clock=ManualClock())


@pytest.fixture
def sf(org: SalesforceSandbox) -> requests.Session:
    return org.session()


def field(org: SalesforceSandbox, number: int, **metadata: Any) -> dict[str, Any]:
    return {
        "method": "POST",
        "url": f"{urlsplit(org.data_url).path}/tooling/sobjects/CustomField",
        "referenceId": f"field{number}",
        "body": {
            "FullName": f"Case.Batch_{number}__c",
            "Metadata": {"label": f"Batch {number}", "type": "Text", "length": 40, **metadata},
        },
    }


def query(org: SalesforceSandbox, number: int) -> dict[str, Any]:
    return {
        "method": "GET",
        "url": f"{urlsplit(org.data_url).path}/tooling/query?q=SELECT+Id+FROM+CustomField",
        "referenceId": f"query{number}",
    }


def composite(
    sf: requests.Session, org: SalesforceSandbox, subrequests: list[dict[str, Any]], **body: Any
) -> requests.Response:
    return sf.post(
        f"{org.data_url}/tooling/composite", json={"compositeRequest": subrequests, **body}
    )


def case_fields(sf: requests.Session, org: SalesforceSandbox) -> set[str]:
    return {f["name"] for f in sf.get(f"{org.data_url}/sobjects/Case/describe").json()["fields"]}


def usage(response: requests.Response) -> int:
    return int(response.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0])


def test_twenty_five_creates_are_one_call_and_each_answers_as_alone(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    before = usage(sf.get(f"{org.data_url}/limits"))
    answer = composite(sf, org, [field(org, n) for n in range(25)], allOrNone=False)
    assert answer.status_code == 200
    assert usage(answer) == before + 1  # one call against the allowance
    results = answer.json()["compositeResponse"]
    assert [r["referenceId"] for r in results] == [f"field{n}" for n in range(25)]
    assert {r["httpStatusCode"] for r in results} == {201}
    for result in results:
        id = result["body"]["id"]
        assert result["body"]["success"] is True
        location = result["httpHeaders"]["Location"]
        assert location == f"{urlsplit(org.data_url).path}/tooling/sobjects/CustomField/{id}"
        assert sf.get(org.base_url + location).json()["DeveloperName"].startswith("Batch_")
    assert {f"Batch_{n}__c" for n in range(25)} <= case_fields(sf, org)


def test_twenty_six_subrequests_are_refused_whole(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    answer = composite(sf, org, [field(org, n) for n in range(26)])
    assert answer.status_code == 400
    (error,) = answer.json()
    assert error["errorCode"] == "LIMIT_EXCEEDED"
    assert "25" in error["message"]
    assert not {f"Batch_{n}__c" for n in range(26)} & case_fields(sf, org)


def test_at_most_five_subrequests_may_be_queries(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    six = composite(sf, org, [query(org, n) for n in range(6)])
    assert six.status_code == 400
    assert six.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
    five = composite(sf, org, [field(org, 0)] + [query(org, n) for n in range(5)])
    assert five.status_code == 200
    results = five.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 200, 200, 200, 200, 200]
    assert results[1]["body"]["totalSize"] == 1  # the field made just before


def test_a_refused_subrequest_fails_alone_unless_all_or_none(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    bad = field(org, 1, length=300)  # a Text field is at most 255 long
    answer = composite(sf, org, [field(org, 0), bad, field(org, 2)], allOrNone=False)
    results = answer.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 400, 201]
    assert results[1]["body"][0]["message"] == "Length: value outside of valid range"
    assert {"Batch_0__c", "Batch_2__c"} <= case_fields(sf, org)
    assert "Batch_1__c" not in case_fields(sf, org)

    rolled = composite(sf, org, [field(org, 3), bad, field(org, 4)], allOrNone=True)
    results = rolled.json()["compositeResponse"]
    assert rolled.status_code == 200
    assert [r["httpStatusCode"] for r in results] == [400, 400, 400]
    assert results[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert not {"Batch_3__c", "Batch_4__c"} & case_fields(sf, org)
    assert (
        tooling_count(
            sf, org, "SELECT DeveloperName FROM CustomField WHERE DeveloperName = 'Batch_3'"
        )
        == 0
    )


def post(org: SalesforceSandbox, path: str, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """A composite subrequest creating ``body`` at ``path`` (under the org's data URL)."""
    return {
        "method": "POST",
        "url": f"{urlsplit(org.data_url).path}/{path}",
        "referenceId": ref,
        "body": body,
    }


def tooling_count(sf: requests.Session, org: SalesforceSandbox, soql: str) -> int:
    """How many rows a Tooling query finds."""
    answer = sf.get(f"{org.data_url}/tooling/query", params={"q": soql}).json()
    return int(answer["totalSize"])


def test_an_all_or_none_rollback_takes_back_a_saved_flow(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    start = {"object": "Case", "triggerType": "RecordAfterSave", "recordTriggerType": "Create"}
    metadata = {"label": "Rolled back", "processType": "AutoLaunchedFlow", "status": "Draft"}
    body = {"FullName": "Cemigrate_Rolled_Back", "Metadata": {**metadata, "start": start}}
    flow = post(org, "tooling/sobjects/Flow", "flow", body)
    rolled = composite(sf, org, [flow, field(org, 0, length=300)], allOrNone=True)
    assert [r["httpStatusCode"] for r in rolled.json()["compositeResponse"]] == [400, 400]
    assert tooling_count(sf, org, "SELECT Id FROM FlowDefinition") == 0
    kept = composite(sf, org, [flow], allOrNone=True).json()["compositeResponse"]
    assert kept[0]["httpStatusCode"] == 201


def test_a_subrequest_outside_the_tooling_api_is_answered_400_on_its_own(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    account = post(org, "sobjects/Account", "account", {"Name": "Not through Tooling"})
    answer = composite(sf, org, [account, field(org, 0)])
    results = answer.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [400, 201]
    assert "Tooling" in results[0]["body"][0]["message"]
    found = sf.get(
        f"{org.data_url}/query",
        params={"q": "SELECT Id FROM Account WHERE Name = 'Not through Tooling'"},
    ).json()
    assert found["totalSize"] == 0
