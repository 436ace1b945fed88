"""The Salesforce emulator in process: shapes, errors, paging, limits, Bulk 2.0, files, seeding."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from cemigrate.adapters.salesforce.limits import salesforce_daily_allowance
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.salesforce import EDITIONS, SalesforceSandbox, daily_allowance_of
from cemigrate.sandbox.salesforce.models import make_id, normalize_id
from cemigrate.schema import Channel, Role

TICKETS, SEED = 40, 11


@pytest.fixture(scope="module")
def shared() -> SalesforceSandbox:
    return SalesforceSandbox(tickets=TICKETS, seed=SEED, clock=ManualClock())


@pytest.fixture
def org(shared: SalesforceSandbox) -> Iterator[SalesforceSandbox]:
    shared.reset()
    return shared


@pytest.fixture
def sf(org: SalesforceSandbox) -> requests.Session:
    return org.session()


def _q(sf: requests.Session, org: SalesforceSandbox, soql: str, **kw: Any) -> Any:
    response = sf.get(f"{org.data_url}/query", params={"q": soql}, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def _ext_field(sf: requests.Session, org: SalesforceSandbox, table: str = "Case") -> None:
    body = {
        "FullName": f"{table}.Cemigrate_Id__c",
        "Metadata": {
            "type": "Text",
            "length": 255,
            "label": "Cemigrate Id",
            "externalId": True,
            "unique": True,
        },
    }
    assert sf.post(f"{org.data_url}/tooling/sobjects/CustomField", json=body).status_code == 201


# --- ids and sessions ---------------------------------------------------------------------


def test_ids_are_18_characters_with_the_key_prefix_and_accept_15() -> None:
    id = make_id("500", 12345)
    assert len(id) == 18
    assert id.startswith("500")
    assert normalize_id(id[:15]) == id
    assert normalize_id(id.lower()) == id  # the suffix restores the case
    assert normalize_id("nonsense") is None


@pytest.mark.parametrize("version", ["v99.0", "v19.0", "v59"])
def test_an_api_version_the_org_lacks_is_404_not_found(
    sf: requests.Session, org: SalesforceSandbox, version: str
) -> None:
    # As Salesforce answers a version it does not have (or one written without its ".0").
    response = sf.get(f"{org.base_url}/services/data/{version}/sobjects/Case/describe")
    assert response.status_code == 404
    assert response.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    assert sf.get(f"{org.data_url}/sobjects/Case/describe").status_code == 200


def test_calls_without_a_valid_bearer_get_invalid_session_id(org: SalesforceSandbox) -> None:
    anonymous = org.session(authenticated=False)
    response = anonymous.get(f"{org.data_url}/sobjects")
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    response = anonymous.get(f"{org.data_url}/sobjects", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_oauth_password_grant_and_its_errors(org: SalesforceSandbox) -> None:
    session = org.session(authenticated=False)
    form = {
        "grant_type": "password",
        "client_id": org.client_id,
        "client_secret": org.client_secret,
        "username": org.username,
        "password": org.password + org.security_token,
    }
    ok = session.post("https://login.salesforce.com/services/oauth2/token", data=form)
    assert ok.status_code == 200
    assert ok.json()["access_token"] == org.access_token
    assert ok.json()["instance_url"] == org.base_url
    bad = session.post(
        "https://login.salesforce.com/services/oauth2/token", data={**form, "password": "x"}
    )
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    client = session.post(
        "https://test.salesforce.com/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": org.client_id,
            "client_secret": org.client_secret,
        },
    )
    assert client.status_code == 200


def test_soap_login_fault_is_invalid_login(org: SalesforceSandbox) -> None:
    body = (
        '<?xml version="1.0"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
        '<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
        f"<n1:username>{org.username}</n1:username><n1:password>nope</n1:password>"
        "</n1:login></env:Body></env:Envelope>"
    )
    response = org.session(authenticated=False).post(
        "https://login.salesforce.com/services/Soap/u/59.0",
        data=body,
        headers={"content-type": "text/xml", "SOAPAction": "login"},
    )
    assert response.status_code == 500
    assert b"<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>" in response.content


# --- describe -----------------------------------------------------------------------------


def test_describe_shows_restricted_picklists_and_audit_fields_follow_the_org_setting(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    describe = sf.get(f"{org.data_url}/sobjects/Case/describe").json()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["keyPrefix"] == "500"
    assert fields["Status"]["restrictedPicklist"] is True
    assert [v["value"] for v in fields["Priority"]["picklistValues"]] == [
        "Low",
        "Medium",
        "High",
        "Critical",
    ]
    assert fields["CreatedDate"]["createable"] is True
    assert fields["CreatedDate"]["updateable"] is False
    assert fields["ContactId"]["referenceTo"] == ["Contact"]
    assert fields["ContactId"]["relationshipName"] == "Contact"
    strict = SalesforceSandbox(tickets=0, empty=True, audit_fields=False, clock=ManualClock())
    fields = {
        f["name"]: f
        for f in strict.session().get(f"{strict.data_url}/sobjects/Case/describe").json()["fields"]
    }
    assert fields["CreatedDate"]["createable"] is False
    names = {s["name"] for s in sf.get(f"{org.data_url}/sobjects").json()["sobjects"]}
    assert {"Case", "CaseComment", "EmailMessage", "ContentVersion", "CaseMilestone"} <= names


# --- records and errors -------------------------------------------------------------------


def test_create_read_update_delete_and_query_all_keeps_the_deleted_row(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    created = sf.post(f"{org.data_url}/sobjects/Account", json={"Name": "Acme"})
    assert created.status_code == 201
    id = created.json()["id"]
    assert created.json() == {"id": id, "success": True, "errors": []}
    assert id.startswith("001")
    assert len(id) == 18
    record = sf.get(f"{org.data_url}/sobjects/Account/{id[:15]}").json()
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v59.0/sobjects/Account/{id}",
    }
    assert record["Name"] == "Acme"
    assert record["IsDeleted"] is False
    assert (
        sf.patch(f"{org.data_url}/sobjects/Account/{id}", json={"Name": "Acme 2"}).status_code
        == 204
    )
    assert sf.delete(f"{org.data_url}/sobjects/Account/{id}").status_code == 204
    gone = sf.get(f"{org.data_url}/sobjects/Account/{id}")
    assert gone.status_code == 404
    assert gone.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    soql = f"SELECT Id, Name, IsDeleted FROM Account WHERE Id = '{id}'"
    assert _q(sf, org, soql)["totalSize"] == 0
    every = sf.get(f"{org.data_url}/queryAll", params={"q": soql}).json()
    assert every["records"][0]["IsDeleted"] is True
    assert every["records"][0]["Name"] == "Acme 2"


@pytest.mark.parametrize(
    ("table", "body", "code", "fields"),
    [
        ("Contact", {"FirstName": "No"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ("Case", {"Status": "Open"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ("Case", {"Subject": "x" * 256}, "STRING_TOO_LONG", ["Subject"]),
        ("Case", {"Nope__c": 1}, "INVALID_FIELD", []),
        ("Case", {"ContactId": "001000000000000"}, "MALFORMED_ID", ["ContactId"]),
        (
            "Case",
            {"ContactId": make_id("003", 99999)},
            "INVALID_CROSS_REFERENCE_KEY",
            ["ContactId"],
        ),
        ("Case", {"CaseNumber": "1"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["CaseNumber"]),
        ("EmailMessage", {"TextBody": "x" * 32001}, "STRING_TOO_LONG", ["TextBody"]),
    ],
)
def test_invalid_records_get_salesforce_error_bodies(
    sf: requests.Session,
    org: SalesforceSandbox,
    table: str,
    body: dict[str, Any],
    code: str,
    fields: list[str],
) -> None:
    response = sf.post(f"{org.data_url}/sobjects/{table}", json=body)
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == code
    assert error["fields"] == fields
    assert error["message"]


def test_case_comment_body_is_limited_to_4000_bytes(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    case = next(iter(org.backend.rows["Case"].values()))["Id"]
    ok = sf.post(
        f"{org.data_url}/sobjects/CaseComment", json={"ParentId": case, "CommentBody": "é" * 2000}
    )
    assert ok.status_code == 201
    too_long = sf.post(
        f"{org.data_url}/sobjects/CaseComment", json={"ParentId": case, "CommentBody": "é" * 2001}
    )
    assert too_long.json()[0]["errorCode"] == "STRING_TOO_LONG"


def test_case_milestones_cannot_be_inserted(sf: requests.Session, org: SalesforceSandbox) -> None:
    response = sf.post(f"{org.data_url}/sobjects/CaseMilestone", json={})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE"
    assert "cannot be inserted" in response.json()[0]["message"]


def test_audit_fields_are_set_on_insert_only_and_only_with_the_permission(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    agent = org.add_user(name="Ada Agent", email="ada@exchange.example")
    body = {"Subject": "old", "CreatedDate": "2021-03-04T05:06:07Z", "CreatedById": agent}
    id = sf.post(f"{org.data_url}/sobjects/Case", json=body).json()["id"]
    row = org.backend.rows["Case"][id]
    assert row["CreatedDate"] == "2021-03-04T05:06:07.000+0000"
    assert row["CreatedById"] == agent
    update = sf.patch(
        f"{org.data_url}/sobjects/Case/{id}", json={"CreatedDate": "2021-01-01T00:00:00Z"}
    )
    assert update.status_code == 400
    assert update.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    strict = SalesforceSandbox(tickets=0, empty=True, audit_fields=False, clock=ManualClock())
    refused = strict.session().post(f"{strict.data_url}/sobjects/Case", json=body)
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert refused.json()[0]["fields"] == ["CreatedDate", "CreatedById"]


def test_system_fields_follow_the_emulator_clock(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    clock = org.clock
    assert isinstance(clock, ManualClock)
    id = sf.post(f"{org.data_url}/sobjects/Account", json={"Name": "Timed"}).json()["id"]
    before = org.backend.rows["Account"][id]["SystemModstamp"]
    clock.advance(3600)
    sf.patch(f"{org.data_url}/sobjects/Account/{id}", json={"Name": "Later"})
    row = org.backend.rows["Account"][id]
    assert row["SystemModstamp"] > before
    assert row["CreatedDate"] == before
    assert row["LastModifiedById"] == org.backend.admin_id


# --- upsert and collections -----------------------------------------------------------------


def test_upsert_creates_updates_and_answers_300_on_several_matches(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    body = {
        "FullName": "Case.Legacy_Key__c",
        "Metadata": {"type": "Text", "length": 80, "label": "Legacy", "externalId": True},
    }
    assert sf.post(f"{org.data_url}/tooling/sobjects/CustomField", json=body).status_code == 201
    url = f"{org.data_url}/sobjects/Case/Legacy_Key__c/K-1"
    created = sf.patch(url, json={"Subject": "one"})
    assert created.status_code == 201
    assert created.json()["created"] is True
    updated = sf.patch(url, json={"Subject": "two"})
    assert updated.status_code == 200
    assert updated.json()["created"] is False
    assert updated.json()["id"] == created.json()["id"]
    # not unique: a second record with the same value makes the key ambiguous
    sf.post(f"{org.data_url}/sobjects/Case", json={"Subject": "twin", "Legacy_Key__c": "k-1"})
    ambiguous = sf.patch(url, json={"Subject": "three"})
    assert ambiguous.status_code == 300
    assert len(ambiguous.json()) == 2
    assert all(u.startswith("/services/data/v59.0/sobjects/Case/500") for u in ambiguous.json())


def test_unique_external_id_refuses_duplicates(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    _ext_field(sf, org)
    first = sf.post(f"{org.data_url}/sobjects/Case", json={"Cemigrate_Id__c": "demo:ticket:1"})
    assert first.status_code == 201
    second = sf.post(f"{org.data_url}/sobjects/Case", json={"Cemigrate_Id__c": "DEMO:ticket:1"})
    assert second.status_code == 400
    assert second.json()[0]["errorCode"] == "DUPLICATE_VALUE"


def test_collection_upsert_reports_per_record_and_all_or_none_rolls_back(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    _ext_field(sf, org)
    url = f"{org.data_url}/composite/sobjects/Case/Cemigrate_Id__c"
    records = [
        {"attributes": {"type": "Case"}, "Cemigrate_Id__c": "a", "Status": "New"},
        {"attributes": {"type": "Case"}, "Cemigrate_Id__c": "b", "Status": "Bogus"},
    ]
    partial = sf.patch(url, json={"allOrNone": False, "records": records}).json()
    assert partial[0]["success"] is True
    assert partial[0]["created"] is True
    assert partial[1]["success"] is False
    assert partial[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    records[0]["Cemigrate_Id__c"] = "c"
    atomic = sf.patch(url, json={"allOrNone": True, "records": records}).json()
    assert atomic[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    soql = "SELECT Id FROM Case WHERE Cemigrate_Id__c IN ('a', 'c')"
    assert _q(sf, org, soql)["totalSize"] == 1
    too_many = sf.post(
        f"{org.data_url}/composite/sobjects",
        json={"records": [{"attributes": {"type": "Account"}, "Name": "x"}] * 201},
    )
    assert too_many.status_code == 400


def test_collection_create_update_delete(sf: requests.Session, org: SalesforceSandbox) -> None:
    base = f"{org.data_url}/composite/sobjects"
    made = sf.post(
        base,
        json={
            "records": [
                {"attributes": {"type": "Account"}, "Name": "A"},
                {"attributes": {"type": "Contact"}, "LastName": "B"},
            ]
        },
    ).json()
    ids = [r["id"] for r in made]
    assert [r["success"] for r in made] == [True, True]
    changed = sf.patch(
        base, json={"records": [{"attributes": {"type": "Account"}, "Id": ids[0], "Name": "A2"}]}
    ).json()
    assert changed == [{"id": ids[0], "success": True, "errors": []}]
    fetched = sf.get(f"{base}/Account", params={"ids": ids[0], "fields": "Id,Name"}).json()
    assert fetched[0]["Name"] == "A2"
    deleted = sf.delete(base, params={"ids": ",".join(ids), "allOrNone": "false"}).json()
    assert [r["success"] for r in deleted] == [True, True]


def test_composite_chains_references_and_rolls_back(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    base = "/services/data/v59.0"
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{base}/sobjects/Account",
                "referenceId": "acct",
                "body": {"Name": "Chained"},
            },
            {
                "method": "POST",
                "url": f"{base}/sobjects/Contact",
                "referenceId": "person",
                "body": {"LastName": "Linked", "AccountId": "@{acct.id}"},
            },
            {
                "method": "GET",
                "url": f"{base}/sobjects/Contact/@{{person.id}}?fields=AccountId",
                "referenceId": "read",
            },
        ],
    }
    answer = sf.post(f"{org.data_url}/composite", json=body).json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in answer] == [201, 201, 200]
    assert answer[2]["body"]["AccountId"] == answer[0]["body"]["id"]
    body["compositeRequest"][1]["body"] = {"FirstName": "no last name"}
    failed = sf.post(f"{org.data_url}/composite", json=body).json()["compositeResponse"]
    assert failed[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert failed[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert _q(sf, org, "SELECT Id FROM Account WHERE Name = 'Chained'")["totalSize"] == 1


# --- queries ------------------------------------------------------------------------------


def test_query_pages_by_batch_size_with_next_records_url(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    for n in range(450):
        org.backend.put("Account", {"Name": f"Paged {n}"})
    soql = "SELECT Id FROM Account ORDER BY Id"
    total = _q(sf, org, "SELECT COUNT() FROM Account")["totalSize"]
    assert total > 400
    page = _q(sf, org, soql, headers={"Sforce-Query-Options": "batchSize=50"})
    assert len(page["records"]) == 200
    assert page["done"] is False
    seen = [r["Id"] for r in page["records"]]
    while not page["done"]:
        next_url = page["nextRecordsUrl"]
        assert next_url.startswith("/services/data/v59.0/query/01g")
        page = sf.get(org.base_url + next_url).json()
        seen += [r["Id"] for r in page["records"]]
    assert len(seen) == len(set(seen)) == total == page["totalSize"]


def test_bad_soql_gets_salesforce_errors(sf: requests.Session, org: SalesforceSandbox) -> None:
    response = sf.get(f"{org.data_url}/query", params={"q": "SELECT Id FROM Nope__c"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE"
    response = sf.get(f"{org.data_url}/query", params={"q": "SELECT Nope FROM Case"})
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"


# --- limits -------------------------------------------------------------------------------


def test_daily_allowance_is_rolling_24_hours_on_the_clock() -> None:
    clock = ManualClock()
    org = SalesforceSandbox(tickets=0, empty=True, daily_allowance=3, clock=clock)
    sf = org.session()
    url = f"{org.data_url}/limits"
    answers = [sf.get(url) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 403]
    assert answers[0].headers["Sforce-Limit-Info"] == "api-usage=1/3"
    assert answers[1].json()["DailyApiRequests"] == {"Max": 3, "Remaining": 1}
    assert answers[3].json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    clock.advance(86_400)
    assert sf.get(url).status_code == 200


def test_concurrent_requests_over_the_limit_are_refused() -> None:
    org = SalesforceSandbox(tickets=0, empty=True, concurrency=1, clock=ManualClock())
    with org.serve(port=0) as server:
        # a request whose body has not arrived yet stays in flight
        slow = socket.create_connection((server.host, server.port))
        slow.sendall(
            f"POST /services/data/v59.0/sobjects/Account HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {org.access_token}\r\nContent-Type: application/json\r\n"
            'Content-Length: 15\r\n\r\n{"Name":'.encode()
        )
        try:
            for _ in range(100):  # wait until the server thread has it (no sleeping: it polls)
                if org.salesforce._in_flight:
                    break
                socket.create_connection((server.host, server.port)).close()
            refused = requests.get(
                f"{server.url}/services/data/v59.0/limits",
                headers={"Authorization": f"Bearer {org.access_token}"},
                timeout=10,
            )
            assert refused.status_code == 403
            assert refused.json()[0]["message"] == (
                "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
            )
            slow.sendall(b'"Slow"}')
            assert b"201 Created" in slow.recv(4096)
        finally:
            slow.close()


# --- tooling ------------------------------------------------------------------------------


def test_tooling_fields_and_objects_appear_in_describe_and_soql(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    tooling = f"{org.data_url}/tooling/sobjects"
    obj = {
        "FullName": "Cemigrate_Sla_Event__c",
        "Metadata": {
            "label": "SLA event",
            "pluralLabel": "SLA events",
            "nameField": {"type": "Text", "label": "Name"},
            "deploymentStatus": "Deployed",
            "sharingModel": "ReadWrite",
        },
    }
    assert sf.post(f"{tooling}/CustomObject", json=obj).status_code == 201
    again = sf.post(f"{tooling}/CustomObject", json=obj)
    assert again.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    lookup = {
        "FullName": "Cemigrate_Sla_Event__c.Case__c",
        "Metadata": {
            "type": "Lookup",
            "referenceTo": "Case",
            "relationshipName": "Events",
            "label": "Case",
        },
    }
    assert sf.post(f"{tooling}/CustomField", json=lookup).status_code == 201
    picklist = {
        "FullName": "Cemigrate_Sla_Event__c.Kind__c",
        "Metadata": {
            "type": "Picklist",
            "label": "Kind",
            "valueSet": {
                "restricted": True,
                "valueSetDefinition": {"value": [{"fullName": "breach", "label": "Breach"}]},
            },
        },
    }
    assert sf.post(f"{tooling}/CustomField", json=picklist).status_code == 201
    fields = {
        f["name"]: f
        for f in sf.get(f"{org.data_url}/sobjects/Cemigrate_Sla_Event__c/describe").json()["fields"]
    }
    assert fields["Case__c"]["referenceTo"] == ["Case"]
    assert fields["Kind__c"]["restrictedPicklist"]
    case = next(iter(org.backend.rows["Case"].values()))
    made = sf.post(
        f"{org.data_url}/sobjects/Cemigrate_Sla_Event__c",
        json={"Name": "e1", "Case__c": case["Id"], "Kind__c": "breach"},
    )
    assert made.status_code == 201
    assert made.json()["id"].startswith("a0")
    rows = _q(sf, org, "SELECT Name, Case__r.Subject FROM Cemigrate_Sla_Event__c")["records"]
    assert rows[0]["Case__r"]["Subject"] == case["Subject"]
    listed = sf.get(
        f"{org.data_url}/tooling/query",
        params={
            "q": "SELECT Id, DeveloperName, TableEnumOrId FROM CustomField"
            " WHERE DeveloperName = 'Kind'"
        },
    ).json()
    assert listed["totalSize"] == 1
    assert listed["records"][0]["TableEnumOrId"].startswith("01I")


# --- Bulk 2.0 -----------------------------------------------------------------------------


def test_bulk_ingest_lifecycle_with_failed_rows(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    _ext_field(sf, org)
    jobs = f"{org.data_url}/jobs/ingest"
    job = sf.post(
        jobs,
        json={
            "object": "Case",
            "operation": "upsert",
            "externalIdFieldName": "Cemigrate_Id__c",
            "contentType": "CSV",
            "lineEnding": "LF",
        },
    ).json()
    assert job["state"] == "Open"
    assert job["contentUrl"].endswith("/batches")
    data = "Cemigrate_Id__c,Subject,Status\nk1,First,New\nk2,Second,Bogus\nk3,Third,Closed\n"
    upload = sf.put(
        f"{org.base_url}/{job['contentUrl']}",
        data=data.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert upload.status_code == 201
    closed = sf.patch(f"{jobs}/{job['id']}", json={"state": "UploadComplete"}).json()
    assert closed["state"] == "UploadComplete"
    states = [sf.get(f"{jobs}/{job['id']}").json()["state"] for _ in range(3)]
    assert states == ["InProgress", "JobComplete", "JobComplete"]
    info = sf.get(f"{jobs}/{job['id']}").json()
    assert info["numberRecordsProcessed"] == 3
    assert info["numberRecordsFailed"] == 1
    ok = list(csv.reader(io.StringIO(sf.get(f"{jobs}/{job['id']}/successfulResults/").text)))
    assert ok[0] == ["sf__Id", "sf__Created", "Cemigrate_Id__c", "Subject", "Status"]
    assert [r[2] for r in ok[1:]] == ["k1", "k3"]
    assert ok[1][1] == "true"
    bad = list(csv.reader(io.StringIO(sf.get(f"{jobs}/{job['id']}/failedResults/").text)))
    assert bad[0][:2] == ["sf__Id", "sf__Error"]
    assert bad[1][1].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:")
    assert org.backend.rows["Case"][ok[1][0]]["Subject"] == "First"


def test_bulk_job_completes_as_the_clock_advances(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    jobs = f"{org.data_url}/jobs/ingest"
    job = sf.post(jobs, json={"object": "Account", "operation": "insert"}).json()
    sf.put(
        f"{jobs}/{job['id']}/batches", data=b"Name\nBulk A\n", headers={"Content-Type": "text/csv"}
    )
    sf.patch(f"{jobs}/{job['id']}", json={"state": "UploadComplete"})
    clock = org.clock
    assert isinstance(clock, ManualClock)
    clock.advance(10)
    listed = sf.get(jobs).json()["records"]
    assert [j["state"] for j in listed if j["id"] == job["id"]] == ["JobComplete"]


def test_bulk_query_pages_csv_with_relationship_columns(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    jobs = f"{org.data_url}/jobs/query"
    job = sf.post(
        jobs, json={"operation": "query", "query": "SELECT Id, Subject, Contact.Email FROM Case"}
    ).json()
    while sf.get(f"{jobs}/{job['id']}").json()["state"] != "JobComplete":
        pass
    rows: list[list[str]] = []
    locator = ""
    while True:
        params = {"maxRecords": 10, **({"locator": locator} if locator else {})}
        page = sf.get(f"{jobs}/{job['id']}/results", params=params)
        parsed = list(csv.reader(io.StringIO(page.text)))
        assert parsed[0] == ["Id", "Subject", "Contact.Email"]
        assert int(page.headers["Sforce-NumberOfRecords"]) == len(parsed) - 1
        rows += parsed[1:]
        locator = page.headers["Sforce-Locator"]
        if locator == "null":
            break
    live = [r for r in org.backend.rows["Case"].values() if not r["IsDeleted"]]
    assert len(rows) == len(live)


# --- files --------------------------------------------------------------------------------


def test_content_version_multipart_and_json_round_trip_bytes(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    case = next(iter(org.backend.rows["Case"].values()))["Id"]
    data = bytes(range(256)) * 40
    files = {
        "entity_content": (
            None,
            f'{{"PathOnClient": "dump.bin", "FirstPublishLocationId": "{case}"}}',
            "application/json",
        ),
        "VersionData": ("dump.bin", data, "application/octet-stream"),
    }
    made = sf.post(f"{org.data_url}/sobjects/ContentVersion", files=files)
    assert made.status_code == 201, made.text
    version = sf.get(f"{org.data_url}/sobjects/ContentVersion/{made.json()['id']}").json()
    assert version["ContentSize"] == len(data)
    assert version["FileExtension"] == "bin"
    assert version["Checksum"] == hashlib.md5(data).hexdigest()
    blob = sf.get(f"{org.data_url}/sobjects/ContentVersion/{version['Id']}/VersionData")
    assert blob.content == data
    links = _q(
        sf,
        org,
        "SELECT ContentDocumentId, ShareType FROM ContentDocumentLink"
        f" WHERE LinkedEntityId = '{case}'",
    )["records"]
    assert version["ContentDocumentId"] in [link["ContentDocumentId"] for link in links]
    small = sf.post(
        f"{org.data_url}/sobjects/ContentVersion",
        json={"PathOnClient": "a.txt", "VersionData": base64.b64encode(b"hi").decode()},
    )
    assert small.status_code == 201
    missing = sf.post(
        f"{org.data_url}/sobjects/ContentVersion",
        json={"VersionData": base64.b64encode(b"hi").decode()},
    )
    assert missing.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_seeded_attachment_bytes_match_the_dataset(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    desk = generate(tickets=TICKETS, seed=SEED, instance="demo")
    attachments = {a.file_name: a for t in desk.tickets for c in t.comments for a in c.attachments}
    version = _q(sf, org, "SELECT Id, PathOnClient, ContentSize FROM ContentVersion LIMIT 1")[
        "records"
    ][0]
    blob = sf.get(f"{org.data_url}/sobjects/ContentVersion/{version['Id']}/VersionData").content
    expected = attachments[version["PathOnClient"]]
    assert len(blob) == version["ContentSize"] == expected.size
    assert hashlib.sha256(blob).hexdigest() == expected.sha256


# --- seeding ------------------------------------------------------------------------------


def test_seeding_matches_the_dataset(sf: requests.Session, org: SalesforceSandbox) -> None:
    desk = generate(tickets=TICKETS, seed=SEED, instance="demo")
    rows = org.backend.rows
    end_users = [u for u in desk.users if u.role is Role.END_USER]
    assert len(rows["Contact"]) == len(end_users)
    assert sum(r["IsDeleted"] for r in rows["Contact"].values()) == sum(
        u.deleted for u in end_users
    )
    assert len(rows["Account"]) == len(desk.organizations)
    agents = [u for u in desk.users if u.role is not Role.END_USER]
    assert len(rows["User"]) == len(agents) + 1  # and the API admin
    queues = [r for r in rows["Group"].values() if r["Type"] == "Queue"]
    assert len(queues) == len([g for g in desk.groups if not g.deleted])
    assert len(rows["Case"]) == len(desk.tickets)
    assert sum(r["IsDeleted"] for r in rows["Case"].values()) == sum(
        t.deleted for t in desk.tickets
    )
    comments = [c for t in desk.tickets for c in t.comments]
    emails = [c for c in comments if c.public and c.channel is Channel.EMAIL]
    assert len(rows["EmailMessage"]) == len(emails)
    assert len(rows["CaseComment"]) + len(rows["FeedItem"]) == len(comments) - len(emails)
    assert len(rows["ContentVersion"]) == sum(len(c.attachments) for c in comments)
    assert rows["CaseMilestone"]
    assert rows["SlaProcess"]
    assert _q(sf, org, "SELECT COUNT() FROM Case")["totalSize"] == len(
        [t for t in desk.tickets if not t.deleted]
    )


def test_empty_org_has_setup_data_only() -> None:
    org = SalesforceSandbox(empty=True, clock=ManualClock())
    rows = org.backend.rows
    assert not rows["Case"]
    assert not rows["Account"]
    assert not rows["Contact"]
    assert len(rows["User"]) == 1
    assert rows["Profile"]
    assert org.backend.objects["Case"].field("Tags__c") is None


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_the_emulated_allowance_is_the_one_the_client_budgets_for(edition: str) -> None:
    # The emulator and the client keep the platform's allowance apart (the sandbox layer does
    # not import the client's budgets); they must agree, or a run would plan for another day.
    for licences in (0, 10, 250):
        assert daily_allowance_of(edition, licences) == salesforce_daily_allowance(
            edition, licences
        )


def test_seeded_picklists_describe_their_option_labels_beside_their_values(
    org: SalesforceSandbox,
) -> None:
    desk = generate(tickets=TICKETS, seed=SEED, instance="demo")
    dropdown = next(f for f in desk.fields if f.options and f.object.value == "organization")
    name = "_".join(w.capitalize() for w in dropdown.key.split("_")) + "__c"
    described = org.session().get(f"{org.data_url}/sobjects/Account/describe").json()
    field = next(f for f in described["fields"] if f["name"] == name)
    assert [(v["value"], v["label"]) for v in field["picklistValues"]] == [
        (o.value, o.name) for o in dropdown.options
    ]


def _delete_metadata(sf: requests.Session, org: SalesforceSandbox, kind: str, *names: str) -> str:
    fulls = "".join(f"<fullNames>{n}</fullNames>" for n in names)
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><SessionHeader>'
        f"<sessionId>{org.access_token}</sessionId></SessionHeader></soapenv:Header>"
        f"<soapenv:Body><deleteMetadata><type>{kind}</type>{fulls}</deleteMetadata>"
        "</soapenv:Body></soapenv:Envelope>"
    )
    answer = sf.post(
        f"{org.base_url}/services/Soap/m/62.0", data=envelope, headers={"Content-Type": "text/xml"}
    )
    return answer.text


def test_delete_metadata_removes_a_custom_field_from_describe_soql_and_records(
    sf: requests.Session, org: SalesforceSandbox
) -> None:
    body = {"FullName": "Case.Tier__c", "Metadata": {"type": "Text", "length": 20, "label": "T"}}
    assert sf.post(f"{org.data_url}/tooling/sobjects/CustomField", json=body).status_code == 201
    case = next(iter(org.backend.rows["Case"]))
    assert sf.patch(f"{org.data_url}/sobjects/Case/{case}", json={"Tier__c": "gold"}).ok
    refused = sf.delete(f"{org.data_url}/tooling/sobjects/CustomField/{case}")
    assert refused.status_code == 405  # the Tooling API's CustomField takes no DELETE
    answer = _delete_metadata(sf, org, "CustomField", "Case.Tier__c", "Case.Nothing__c")
    assert answer.count("<success>true</success>") == 1
    assert "INVALID_CROSS_REFERENCE_KEY" in answer
    describe = sf.get(f"{org.data_url}/sobjects/Case/describe").json()
    assert "Tier__c" not in {f["name"] for f in describe["fields"]}
    assert "Tier__c" not in sf.get(f"{org.data_url}/sobjects/Case/{case}").json()
    query = sf.get(f"{org.data_url}/query", params={"q": "SELECT Tier__c FROM Case"})
    assert query.json()[0]["errorCode"] == "INVALID_FIELD"
    listed = sf.get(
        f"{org.data_url}/tooling/query",
        params={"q": "SELECT Id FROM CustomField WHERE DeveloperName = 'Tier'"},
    )
    assert listed.json()["records"] == []
