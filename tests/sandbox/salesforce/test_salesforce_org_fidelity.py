"""The Salesforce emulator answers as real orgs do: describe keys, standard fields, aggregates,
sub-selects, upsert by idLookup fields, record types, Person Accounts, lookups and formulas,
and several files in one multipart sObject Collections request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox, serve_salesforce
from cemigrate.testing.loopback import ForwardingAdapter

# Keys every field entry of a real org's describe carries (recorded describes of Case,
# Contact and Account published in public repositories).
FIELD_KEYS = {
    "calculated",
    "calculatedFormula",
    "referenceTo",
    "relationshipName",
    "extraTypeInfo",
    "inlineHelpText",
    "nillable",
    "defaultValue",
    "restrictedPicklist",
    "dependentPicklist",
    "controllerName",
    "createable",
    "updateable",
    "idLookup",
    "externalId",
    "unique",
    "length",
    "type",
}
RECORD_TYPE_KEYS = {
    "recordTypeId",
    "name",
    "developerName",
    "active",
    "available",
    "defaultRecordTypeMapping",
    "master",
}


@pytest.fixture(scope="module")
def org() -> SalesforceSandbox:
    return SalesforceSandbox(tickets=120, seed=7, clock=ManualClock())


@pytest.fixture
def api(org: SalesforceSandbox) -> Iterator[requests.Session]:
    session = org.session()
    yield session
    org.reset()


def _query(org: SalesforceSandbox, session: requests.Session, soql: str) -> requests.Response:
    return session.get(f"{org.data_url}/query", params={"q": soql})


def _records(org: SalesforceSandbox, session: requests.Session, soql: str) -> list[Any]:
    reply = _query(org, session, soql)
    assert reply.status_code == 200, reply.text
    records: list[Any] = reply.json()["records"]
    return records


# --- describe ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sobject",
    [
        "Case",
        "CaseComment",
        "EmailMessage",
        "FeedItem",
        "Contact",
        "Account",
        "User",
        "Group",
        "ContentVersion",
        "CaseMilestone",
        "Entitlement",
    ],
)
def test_every_field_carries_the_keys_real_describes_carry(
    org: SalesforceSandbox, api: requests.Session, sobject: str
) -> None:
    body = api.get(f"{org.data_url}/sobjects/{sobject}/describe").json()
    for field in body["fields"]:
        assert set(field) >= FIELD_KEYS, (sobject, field["name"], FIELD_KEYS - set(field))
    for info in body["recordTypeInfos"]:
        assert set(info) >= RECORD_TYPE_KEYS
    assert [i["recordTypeId"] for i in body["recordTypeInfos"] if i["master"]] == [
        "012000000000000AAA"
    ]
    # Every standard field the describe lists can be queried.
    names = ", ".join(f["name"] for f in body["fields"])
    assert _query(org, api, f"SELECT {names} FROM {sobject} LIMIT 1").status_code == 200


def test_text_areas_say_rich_or_plain_and_case_lists_its_children(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    email = api.get(f"{org.data_url}/sobjects/EmailMessage/describe").json()
    kinds = {f["name"]: f["extraTypeInfo"] for f in email["fields"]}
    assert (kinds["HtmlBody"], kinds["TextBody"]) == ("richtextarea", "plaintextarea")
    case = api.get(f"{org.data_url}/sobjects/Case/describe").json()
    children = {
        (c["childSObject"], c["field"], c["relationshipName"]) for c in case["childRelationships"]
    }
    assert {
        ("CaseComment", "ParentId", "CaseComments"),
        ("EmailMessage", "ParentId", "EmailMessages"),
        ("CaseMilestone", "CaseId", "CaseMilestones"),
    } <= children


def test_threading_fields_of_email_messages_are_queryable(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    soql = (
        "SELECT Id, ThreadIdentifier, MessageIdentifier, ReplyToEmailMessageId,"
        " ReplyToEmailMessage.Subject FROM EmailMessage LIMIT 3"
    )
    assert len(_records(org, api, soql)) == 3


def test_an_unknown_field_answers_invalid_field_as_salesforce_words_it(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    reply = _query(org, api, "SELECT Id, Nope__c FROM Case")
    assert reply.status_code == 400
    assert reply.json() == [
        {
            "errorCode": "INVALID_FIELD",
            "message": "No such column 'Nope__c' on entity 'Case'. If you are attempting to use"
            " a custom field, be sure to append the '__c' after the custom field name. Please"
            " reference your WSDL or the describe call for the appropriate names.",
        }
    ]


# --- SOQL -------------------------------------------------------------------------------------


def test_count_of_a_field_is_an_aggregate_result(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    cases = org.backend.table("Case")
    body = _query(org, api, "SELECT COUNT(Id), COUNT(ContactId) linked FROM Case").json()
    assert body["totalSize"] == 1
    assert body["records"] == [
        {
            "attributes": {"type": "AggregateResult"},
            "expr0": len(cases),
            "linked": sum(1 for c in cases if c["ContactId"]),
        }
    ]
    plain = _query(org, api, "SELECT COUNT() FROM Case").json()
    assert (plain["totalSize"], plain["records"]) == (len(cases), [])
    mixed = _query(org, api, "SELECT Status, COUNT(Id) FROM Case")
    assert mixed.status_code == 400
    assert mixed.json()[0]["errorCode"] == "MALFORMED_QUERY"


def test_parent_to_child_sub_selects_nest_the_children(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    soql = (
        "SELECT Id, (SELECT Id, CommentBody FROM CaseComments ORDER BY CreatedDate),"
        " (SELECT Id FROM EmailMessages) FROM Case"
    )
    records = _records(org, api, soql)
    comments = org.backend.table("CaseComment")
    for record in records:
        mine = [c["Id"] for c in comments if c["ParentId"] == record["Id"]]
        nested = record["CaseComments"]
        if not mine:
            assert nested is None
            continue
        assert (nested["totalSize"], nested["done"]) == (len(mine), True)
        assert sorted(r["Id"] for r in nested["records"]) == sorted(mine)
        assert all(r["attributes"]["type"] == "CaseComment" for r in nested["records"])
    assert any(r["EmailMessages"] for r in records)
    wrong = _query(org, api, "SELECT Id, (SELECT Id FROM Comments) FROM Case")
    assert (wrong.status_code, wrong.json()[0]["errorCode"]) == (400, "INVALID_TYPE")


# --- upsert by an idLookup field --------------------------------------------------------------


def test_upsert_by_contact_email_creates_updates_or_answers_300(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    url = f"{org.data_url}/sobjects/Contact/Email/new.person@example.com"
    created = api.patch(url, json={"LastName": "Person"})
    assert created.status_code == 201
    assert created.json()["created"] is True
    updated = api.patch(url, json={"FirstName": "New"})
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    older = api.patch(url.replace(f"v{org.api_version}", "v45.0"), json={"Title": "Buyer"})
    assert older.status_code == 204
    row = org.backend.rows["Contact"][created.json()["id"]]
    assert (row["FirstName"], row["Title"]) == ("New", "Buyer")
    api.post(
        f"{org.data_url}/sobjects/Contact",
        json={"LastName": "Twin", "Email": "new.person@example.com"},
    ).raise_for_status()
    ambiguous = api.patch(url, json={"FirstName": "Again"})
    assert ambiguous.status_code == 300
    assert len(ambiguous.json()) == 2


def test_simple_salesforce_counts_sub_selects_and_upserts_over_loopback() -> None:
    sandbox, server = serve_salesforce(port=0, tickets=20, seed=5, clock=ManualClock())
    session = ForwardingAdapter(
        ("https://demo.my.salesforce.com", "https://login.salesforce.com"), server.url
    ).mount_on(requests.Session())
    try:
        sf = Salesforce(
            username=sandbox.username,
            password=sandbox.password,
            security_token=sandbox.security_token,
            session=session,
        )
        count = sf.query_all("SELECT COUNT(Id) FROM Case")
        assert count["records"][0]["expr0"] == len(sandbox.backend.table("Case"))
        nested = sf.query("SELECT Id, (SELECT Id FROM CaseComments) FROM Case LIMIT 5")
        assert len(nested["records"]) == 5
        assert sf.Contact.upsert("Email/loop.back@example.com", {"LastName": "Loop"}) == 201
        assert sf.Contact.upsert("Email/loop.back@example.com", {"FirstName": "Lo"}) == 200
        found = sf.query("SELECT FirstName FROM Contact WHERE Email = 'loop.back@example.com'")
        assert [r["FirstName"] for r in found["records"]] == ["Lo"]
        assert sf.Case.describe()["recordTypeInfos"][-1]["master"] is True
    finally:
        session.close()
        server.shutdown()


# --- record types -----------------------------------------------------------------------------


def test_the_desk_forms_are_case_record_types_with_their_own_values(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    types = _records(
        org,
        api,
        "SELECT Id, Name, DeveloperName, SobjectType, IsActive, Description, BusinessProcessId"
        " FROM RecordType WHERE SobjectType = 'Case'",
    )
    assert [t["Name"] for t in types] == ["General", "Account security"]
    offered = {}
    for record_type in types:
        url = f"{org.data_url}/ui-api/object-info/Case/picklist-values/{record_type['Id']}"
        body = api.get(url).json()["picklistFieldValues"]
        offered[record_type["Name"]] = {
            name: [v["value"] for v in body[name]["values"]]
            for name in ("Status", "Origin", "Type")
        }
        one = api.get(f"{url}/Status").json()
        assert [v["value"] for v in one["values"]] == offered[record_type["Name"]]["Status"]
    assert offered["General"] != offered["Account security"]
    by_type = {t["Id"]: t["Name"] for t in types}
    cases = _records(org, api, "SELECT RecordTypeId, Status, Origin, Type FROM Case")
    assert {c["RecordTypeId"] for c in cases} == set(by_type)
    for case in cases:
        values = offered[by_type[case["RecordTypeId"]]]
        assert case["Status"] in values["Status"]
        assert case["Origin"] in values["Origin"]
    describe = api.get(f"{org.data_url}/sobjects/Case/describe").json()
    assert {i["name"] for i in describe["recordTypeInfos"]} == {
        "General",
        "Account security",
        "Master",
    }


def test_a_value_the_record_type_does_not_offer_is_refused() -> None:
    org = SalesforceSandbox(empty=True, clock=ManualClock())
    api = org.session()
    assert (
        api.get(f"{org.data_url}/query", params={"q": "SELECT Id FROM RecordType"}).json()[
            "totalSize"
        ]
        == 0
    )
    billing = org.add_record_type(
        "Billing", values={"Status": ("New", "Closed"), "Origin": ("Email",)}
    )
    cases = f"{org.data_url}/sobjects/Case"
    made = api.post(
        cases, json={"Subject": "a", "RecordTypeId": billing, "Status": "New", "Origin": "Email"}
    )
    assert made.status_code == 201, made.text
    refused = api.post(cases, json={"Subject": "b", "RecordTypeId": billing, "Origin": "Phone"})
    assert refused.status_code == 400
    assert refused.json() == [
        {
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "message": "Origin: bad value for restricted picklist field: Phone",
            "fields": ["Origin"],
        }
    ]
    update = api.patch(f"{cases}/{made.json()['id']}", json={"Status": "Working"})
    assert update.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    # Without a record type (Master) every value is available.
    assert api.post(cases, json={"Subject": "c", "Origin": "Phone"}).status_code == 201
    wrong = api.post(cases, json={"Subject": "d", "RecordTypeId": "012000000000000AAA"})
    assert wrong.json()[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


# --- Person Accounts --------------------------------------------------------------------------


def test_person_accounts_hold_end_users_without_an_organization() -> None:
    org = SalesforceSandbox(tickets=40, person_accounts=True, clock=ManualClock())
    api = org.session()
    persons = _records(
        org,
        api,
        "SELECT Id, Name, PersonContactId, PersonEmail FROM Account WHERE IsPersonAccount = true",
    )
    assert persons
    contacts = {
        c["Id"]: c
        for c in _records(
            org, api, "SELECT Id, Name, Email, AccountId, IsPersonAccount FROM Contact"
        )
    }
    for person in persons:
        contact = contacts[person["PersonContactId"]]
        assert (contact["AccountId"], contact["IsPersonAccount"]) == (person["Id"], True)
        assert (contact["Name"], contact["Email"]) == (person["Name"], person["PersonEmail"])
    assert all(c["AccountId"] for c in contacts.values())  # nobody left without an account
    named = {c["ContactId"] for c in _records(org, api, "SELECT ContactId FROM Case")}
    assert named & {p["PersonContactId"] for p in persons}
    describe = api.get(f"{org.data_url}/sobjects/Account/describe").json()
    assert {"IsPersonAccount", "PersonContactId", "PersonEmail", "FirstName"} <= {
        f["name"] for f in describe["fields"]
    }


def test_inserting_a_person_account_makes_its_contact_and_keeps_it_in_step() -> None:
    org = SalesforceSandbox(empty=True, person_accounts=True, clock=ManualClock())
    api = org.session()
    person_type = _records(
        org, api, "SELECT Id FROM RecordType WHERE SobjectType = 'Account' AND IsPersonType = true"
    )[0]["Id"]
    accounts = f"{org.data_url}/sobjects/Account"
    made = api.post(
        accounts,
        json={
            "RecordTypeId": person_type,
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "PersonEmail": "ada@example.com",
        },
    )
    assert made.status_code == 201, made.text
    account = api.get(f"{accounts}/{made.json()['id']}").json()
    assert (account["Name"], account["IsPersonAccount"]) == ("Ada Lovelace", True)
    api.patch(f"{accounts}/{account['Id']}", json={"PersonEmail": "ada@lovelace.example"})
    contact = api.get(f"{org.data_url}/sobjects/Contact/{account['PersonContactId']}").json()
    assert (contact["Email"], contact["IsPersonAccount"]) == ("ada@lovelace.example", True)
    business = api.post(accounts, json={"Name": "Acme", "PersonEmail": "x@acme.example"})
    assert business.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    nameless = api.post(accounts, json={"RecordTypeId": person_type, "FirstName": "Solo"})
    assert nameless.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


# --- lookups and formulas ---------------------------------------------------------------------


def test_the_desk_lookups_and_formula_are_reference_and_calculated_fields(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    fields = {
        f["name"]: f for f in api.get(f"{org.data_url}/sobjects/Case/describe").json()["fields"]
    }
    contact = fields["Escalation_Contact__c"]
    assert (contact["type"], contact["referenceTo"], contact["relationshipName"]) == (
        "reference",
        ["Contact"],
        "Escalation_Contact__r",
    )
    asset = fields["Asset_Record__c"]
    assert (asset["type"], asset["referenceTo"]) == ("reference", ["Asset"])
    formula = fields["Critical_Days_Open__c"]
    assert formula["calculated"] is True
    assert "DATEVALUE(CreatedDate)" in formula["calculatedFormula"]
    assert (formula["createable"], formula["updateable"]) == (False, False)
    rows = _records(
        org,
        api,
        "SELECT Id, Escalation_Contact__r.Email, Critical_Days_Open__c, Priority FROM Case"
        " WHERE Escalation_Contact__c != null OR Critical_Days_Open__c != null",
    )
    assert any(r["Escalation_Contact__r"] and r["Escalation_Contact__r"]["Email"] for r in rows)
    assert all(r["Priority"] == "Critical" for r in rows if r["Critical_Days_Open__c"] is not None)
    target = next(r["Id"] for r in rows if r["Critical_Days_Open__c"] is not None)
    refused = api.patch(f"{org.data_url}/sobjects/Case/{target}", json={"Critical_Days_Open__c": 1})
    assert refused.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


# --- several files in one request -------------------------------------------------------------


def _multipart(records: list[dict[str, Any]], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "boundary_string"
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="collection"\r\n'
        "Content-Type: application/json\r\n\r\n".encode()
        + json.dumps({"allOrNone": False, "records": records}).encode()
        + b"\r\n"
    ]
    for name, data in files.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{name}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/form-data; boundary="{boundary}"'


def test_several_files_in_one_multipart_collections_request(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    case = org.backend.table("Case")[0]["Id"]
    files = {f"binaryPart{k}": bytes([k]) * (1000 + k) for k in range(3)}
    records = [
        {
            "attributes": {
                "type": "ContentVersion",
                "binaryPartName": name,
                "binaryPartNameAlias": "VersionData",
            },
            "PathOnClient": f"file{k}.txt",
            "Title": f"File {k}",
            "FirstPublishLocationId": case,
        }
        for k, name in enumerate(files)
    ]
    body, content_type = _multipart(records, files)
    before = len(org.salesforce.requests)
    reply = api.post(
        f"{org.data_url}/composite/sobjects", data=body, headers={"Content-Type": content_type}
    )
    assert reply.status_code == 200, reply.text
    assert len(org.salesforce.requests) == before + 1
    results = reply.json()
    assert [r["success"] for r in results] == [True, True, True]
    for result, data in zip(results, files.values(), strict=True):
        version = api.get(f"{org.data_url}/sobjects/ContentVersion/{result['id']}").json()
        assert version["Checksum"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
        got = api.get(f"{org.data_url}/sobjects/ContentVersion/{result['id']}/VersionData")
        assert got.content == data
    links = _records(
        org,
        api,
        f"SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = '{case}'",
    )
    assert len(links) >= 3
    missing = [{**records[0], "attributes": {**records[0]["attributes"], "binaryPartName": "nope"}}]
    body, content_type = _multipart(missing, files)
    refused = api.post(
        f"{org.data_url}/composite/sobjects", data=body, headers={"Content-Type": content_type}
    )
    assert (refused.status_code, refused.json()[0]["errorCode"]) == (
        400,
        "INVALID_MULTIPART_REQUEST",
    )
    too_many = [records[0]] * 201
    body, content_type = _multipart(too_many, files)
    over = api.post(
        f"{org.data_url}/composite/sobjects", data=body, headers={"Content-Type": content_type}
    )
    assert over.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_bulk_query_jobs_refuse_aggregates_and_sub_selects(
    org: SalesforceSandbox, api: requests.Session
) -> None:
    for soql in (
        "SELECT COUNT() FROM Case",
        "SELECT COUNT(Id) FROM Case",
        "SELECT Id, (SELECT Id FROM CaseComments) FROM Case",
    ):
        reply = api.post(f"{org.data_url}/jobs/query", json={"operation": "query", "query": soql})
        assert reply.status_code == 400, soql
    plain = api.post(
        f"{org.data_url}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Case"}
    )
    assert plain.status_code == 200
