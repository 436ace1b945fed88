"""Unmodified simple-salesforce against the Salesforce emulator served over loopback HTTP.

simple-salesforce always builds ``https://{instance}`` URLs; a forwarding transport adapter on
its session re-sends each request for the public hosts to the loopback server, as a reverse
proxy would. The calls are the ones our adapters make: SOAP login, describe, paged queries,
upsert by external id, Bulk 2.0 and a file upload.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox, serve_salesforce
from cemigrate.testing.loopback import ForwardingAdapter

PUBLIC = ("https://demo.my.salesforce.com", "https://login.salesforce.com")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SalesforceSandbox, str]]:
    sandbox, server = serve_salesforce(port=0, tickets=30, seed=5, clock=ManualClock())
    try:
        yield sandbox, server.url
    finally:
        server.shutdown()


@pytest.fixture
def session(served: tuple[SalesforceSandbox, str]) -> Iterator[requests.Session]:
    session = ForwardingAdapter(PUBLIC, served[1]).mount_on(requests.Session())
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def sf(served: tuple[SalesforceSandbox, str], session: requests.Session) -> Salesforce:
    sandbox, _ = served
    return Salesforce(
        username=sandbox.username,
        password=sandbox.password,
        security_token=sandbox.security_token,
        session=session,
    )


def test_soap_login_gives_the_instance_and_a_session(
    sf: Salesforce, served: tuple[SalesforceSandbox, str]
) -> None:
    sandbox, _ = served
    assert sf.sf_instance == "demo.my.salesforce.com"
    assert sf.session_id == sandbox.access_token


def test_wrong_password_is_refused(
    served: tuple[SalesforceSandbox, str], session: requests.Session
) -> None:
    sandbox, _ = served
    with pytest.raises(SalesforceAuthenticationFailed, match="INVALID_LOGIN"):
        Salesforce(
            username=sandbox.username,
            password="nope",
            security_token=sandbox.security_token,
            session=session,
        )


def test_describe_and_paged_query(sf: Salesforce, served: tuple[SalesforceSandbox, str]) -> None:
    sandbox, _ = served
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Case", "Contact", "EmailMessage"} <= names
    fields = {f["name"] for f in sf.Case.describe()["fields"]}
    assert {"Subject", "Status", "Tags__c"} <= fields
    comments = list(sf.query_all_iter("SELECT Id, ParentId FROM CaseComment"))
    live = [r for r in sandbox.backend.rows["CaseComment"].values() if not r["IsDeleted"]]
    assert len(comments) == len(live)
    every = list(sf.query_all_iter("SELECT Id FROM Case", include_deleted=True))
    assert len(every) == len(sandbox.backend.rows["Case"])
    assert sf.api_usage["api-usage"].total == sandbox.salesforce.daily_allowance


def test_upsert_by_external_id(sf: Salesforce) -> None:
    sf.restful(
        "tooling/sobjects/CustomField",
        method="POST",
        json={
            "FullName": "Contact.Legacy_Id__c",
            "Metadata": {
                "type": "Text",
                "length": 80,
                "label": "Legacy",
                "externalId": True,
                "unique": True,
            },
        },
    )
    assert sf.Contact.upsert("Legacy_Id__c/L-1", {"LastName": "Upserted"}) == 201
    assert sf.Contact.upsert("Legacy_Id__c/L-1", {"LastName": "Again"}) in (200, 204)
    record = sf.Contact.get_by_custom_id("Legacy_Id__c", "L-1")
    assert record["LastName"] == "Again"


def test_bulk2_insert_upsert_and_query(sf: Salesforce) -> None:
    inserted = sf.bulk2.Account.insert(records=[{"Name": "Bulk One"}, {"Name": "Bulk Two"}], wait=0)
    assert inserted[0]["numberRecordsProcessed"] == 2
    assert inserted[0]["numberRecordsFailed"] == 0
    sf.restful(
        "tooling/sobjects/CustomField",
        method="POST",
        json={
            "FullName": "Account.Ext_Key__c",
            "Metadata": {"type": "Text", "length": 80, "label": "Ext", "externalId": True},
        },
    )
    upserted = sf.bulk2.Account.upsert(
        records=[{"Ext_Key__c": "e1", "Name": "Upserted"}, {"Ext_Key__c": "e2", "Name": "x" * 300}],
        external_id_field="Ext_Key__c",
        wait=0,
    )
    assert upserted[0]["numberRecordsFailed"] == 1
    failed = sf.bulk2.Account.get_failed_records(upserted[0]["job_id"])
    assert "STRING_TOO_LONG" in failed
    pages = list(
        sf.bulk2.Account.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Bulk%'", wait=0)
    )
    lines = "".join(str(p) for p in pages).strip().splitlines()
    assert lines[0] == '"Id","Name"'
    assert len(lines) == 3


def test_file_upload_as_multipart_round_trips_bytes(sf: Salesforce) -> None:
    case = sf.query("SELECT Id FROM Case LIMIT 1")["records"][0]["Id"]
    data = b"%PDF-1.4 sandbox\n" + bytes(range(256)) * 10
    files = {
        "entity_content": (
            None,
            json.dumps(
                {"PathOnClient": "proof.pdf", "Title": "Proof", "FirstPublishLocationId": case}
            ),
            "application/json",
        ),
        "VersionData": ("proof.pdf", data, "application/pdf"),
    }
    made = sf.restful(
        "sobjects/ContentVersion", method="POST", files=files, headers={"Content-Type": None}
    )
    assert made is not None
    assert made["success"] is True
    version = sf.ContentVersion.get(made["id"])
    assert version["Checksum"] == hashlib.md5(data).hexdigest()
    assert sf.ContentVersion.get_base64(made["id"], base64_field="VersionData") == data
