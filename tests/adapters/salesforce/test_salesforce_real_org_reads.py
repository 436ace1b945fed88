"""The Salesforce source on an org shaped as real service orgs are: two Case record types,
person accounts beside a business account, custom lookups (to a Contact and to an object the
migration does not carry), a formula, a roll-up summary, an auto-number, a rich text area and
Email-to-Case threading fields.

An empty emulated org with Person Accounts gains the custom fields and record types an admin
would make; a response hook marks some fields computed (``calculated``/``calculatedFormula``,
``autoNumber``), rich text and with help text in their describe, as a real org's describe
does for such fields. Shapes from the REST API's DescribeSObjectResult / DescribeFieldResult and
the Object Reference (Account person account fields, RecordType, EmailMessage).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
import requests

from cemigrate.adapters.salesforce.client import SalesforceCredentials
from cemigrate.adapters.salesforce.source import SalesforceSource
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.salesforce.objects import FieldSpec
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldType,
    Kind,
    Organization,
    OrganizationMembership,
    Record,
    Ref,
    Role,
    Ticket,
    TicketForm,
    User,
)

MASTER = "012000000000000AAA"
ASSET_ID = "02i5g00000AbCdEAAV"
FORMULA = "TODAY() - DATEVALUE(CreatedDate)"

_DESCRIBE_EXTRAS: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "Case": {
        "Days_Open__c": {"calculated": True, "calculatedFormula": FORMULA, "createable": False},
        "Ticket_No__c": {"autoNumber": True, "createable": False, "nillable": False},
        "Notes_Html__c": {"extraTypeInfo": "richtextarea"},
        "Escalation_Contact__c": {"inlineHelpText": "Who to call when it escalates."},
    },
    "Account": {
        "Open_Cases__c": {"calculated": True, "calculatedFormula": None, "createable": False},
    },
}
"""Describe keys the emulator does not serve yet, by object and field (DescribeFieldResult)."""


@attrs.define
class Org:
    """The emulated org and the ids of what was put in it."""

    sandbox: SalesforceSandbox
    ids: dict[str, str]

    def source(self) -> SalesforceSource:
        session = self.sandbox.session(authenticated=False)
        session.hooks["response"].append(self._real_describe)
        return SalesforceSource(
            instance="sf",
            instance_url=self.sandbox.base_url,
            credentials=SalesforceCredentials(access_token=self.sandbox.access_token),
            session=session,
            clock=self.sandbox.clock,
        )

    def _real_describe(self, response: requests.Response, *args: object, **kw: object) -> None:
        """Adds to a describe answer the keys a real org's has."""
        path = (response.request.path_url or "").split("?")[0]
        if not path.endswith("/describe") or "/sobjects/" not in path:
            return
        sobject = path.rstrip("/").split("/")[-2]
        body = response.json()
        for field in body.get("fields") or []:
            field.update(_DESCRIBE_EXTRAS.get(sobject, {}).get(field["name"], {}))
        if sobject == "Case":
            body["recordTypeInfos"] = [
                {"name": "Master", "developerName": "Master", "master": True, "active": True,
                 "available": True, "recordTypeId": MASTER},
                *(
                    {"name": row["Name"], "developerName": row["DeveloperName"],
                     "master": False, "active": row["IsActive"], "available": True,
                     "recordTypeId": row["Id"]}
                    for row in self.sandbox.backend.rows["RecordType"].values()
                    if row["SobjectType"] == "Case"
                ),
            ]  # fmt: skip
        response._content = json.dumps(body).encode()


def _add(sandbox: SalesforceSandbox, sobject: str, *fields: FieldSpec) -> None:
    for field in fields:
        sandbox.backend.objects[sobject].add(field)


def _ref(name: str, target: str, *, custom: bool = True) -> FieldSpec:
    relationship = name.removesuffix("__c") + "__r" if custom else name.removesuffix("Id")
    return FieldSpec(
        name,
        "reference",
        length=18,
        reference_to=(target,),
        relationship_name=relationship,
        custom=custom,
    )


@pytest.fixture
def org() -> Org:
    sandbox = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock(), person_accounts=True)
    b = sandbox.backend
    _add(
        sandbox,
        "Account",
        FieldSpec("Open_Cases__c", "double", precision=18, custom=True),
    )
    _add(sandbox, "Contact", FieldSpec("Loyalty_Tier__c", "string", length=40, custom=True))
    b.person_twins()  # the person contact's custom field shows on Account as __pc
    _add(
        sandbox,
        "Case",
        _ref("Escalation_Contact__c", "Contact"),
        _ref("Asset_Ref__c", "Asset"),
        FieldSpec("Days_Open__c", "double", precision=18, scale=0, custom=True),
        FieldSpec("Ticket_No__c", "string", length=30, custom=True),
        FieldSpec("Notes_Html__c", "textarea", length=32768, custom=True),
    )
    ids: dict[str, str] = {}
    ids["support"] = sandbox.add_record_type("Support Case")
    ids["refund"] = sandbox.add_record_type("Refund Request", description="Money back")
    ids["acme"] = b.insert("Account", {"Name": "Acme"})
    ids["bea"] = b.insert(
        "Contact",
        {"FirstName": "Bea", "LastName": "Business", "Email": "bea@acme.test",
         "AccountId": ids["acme"]},
    )  # fmt: skip
    ids["pam_account"] = b.insert(
        "Account",
        {"RecordTypeId": b.person_record_type, "FirstName": "Pam", "LastName": "Person",
         "PersonEmail": "pam@home.test", "PersonMobilePhone": "+1 555 0100",
         "PersonMailingStreet": "1 Home Lane", "Loyalty_Tier__pc": "gold"},
    )  # fmt: skip
    ids["pam"] = str(b.rows["Account"][ids["pam_account"]]["PersonContactId"])
    b.rows["Account"][ids["acme"]]["Open_Cases__c"] = 1.0
    for contact, account in ((ids["bea"], ids["acme"]), (ids["pam"], ids["pam_account"])):
        if not any(r["ContactId"] == contact for r in b.rows["AccountContactRelation"].values()):
            b.put(
                "AccountContactRelation",
                {"AccountId": account, "ContactId": contact, "IsDirect": True, "IsActive": True},
            )
    ids["refund_case"] = b.put(
        "Case",
        {"Subject": "Money back", "Status": "New", "Origin": "Email",
         "RecordTypeId": ids["refund"], "ContactId": ids["pam"],
         "AccountId": ids["pam_account"], "Escalation_Contact__c": ids["bea"],
         "Asset_Ref__c": ASSET_ID, "Days_Open__c": 3.0, "Ticket_No__c": "T-0001",
         "Notes_Html__c": "<p>Call <b>after</b> 5</p>"},
    )  # fmt: skip
    ids["plain_case"] = b.put(
        "Case",
        {"Subject": "Login", "Status": "New", "Origin": "Web", "ContactId": ids["bea"],
         "AccountId": ids["acme"]},
    )  # fmt: skip
    ids["mail"] = b.put(
        "EmailMessage",
        {"ParentId": ids["refund_case"], "Incoming": True, "FromAddress": "pam@home.test",
         "TextBody": "Please refund", "MessageDate": "2026-01-05T10:00:00.000+0000",
         "ThreadIdentifier": "<thread-1@home.test>", "MessageIdentifier": "<msg-1@home.test>",
         "Headers": "Message-ID: <msg-1@home.test>"},
    )  # fmt: skip
    ids["reply"] = b.put(
        "EmailMessage",
        {"ParentId": ids["refund_case"], "Incoming": False, "FromAddress": "agent@org.test",
         "TextBody": "Done", "MessageDate": "2026-01-05T11:00:00.000+0000",
         "ThreadIdentifier": "<thread-1@home.test>", "MessageIdentifier": "<msg-2@org.test>",
         "ReplyToEmailMessageId": ids["mail"]},
    )  # fmt: skip
    return Org(sandbox=sandbox, ids=ids)


def _read(source: SalesforceSource, kind: Kind) -> dict[str, Record]:
    return {r.id: r for batch in source.read(kind) for r in batch.records}


def _fields(source: SalesforceSource) -> dict[tuple[FieldObject, str], FieldDef]:
    return {(f.object, f.key): f for f in source.describe().fields}


def test_lookups_formulas_auto_numbers_and_rich_text_are_described_as_they_are(org: Org) -> None:
    fields = _fields(org.source())
    contact = fields[(FieldObject.TICKET, "escalation_contact")]
    assert (contact.type, contact.references) == (FieldType.LOOKUP, Kind.USER)
    assert contact.description == "Who to call when it escalates."
    assert not contact.read_only
    asset = fields[(FieldObject.TICKET, "asset_ref")]
    assert (asset.type, asset.references) == (FieldType.TEXT, None)
    assert "Asset" in asset.description
    days = fields[(FieldObject.TICKET, "days_open")]
    assert (days.type, days.read_only, days.formula) == (FieldType.INTEGER, True, FORMULA)
    number = fields[(FieldObject.TICKET, "ticket_no")]
    assert (number.read_only, number.required, number.formula) == (True, False, "")
    rollup = fields[(FieldObject.ORGANIZATION, "open_cases")]
    assert (rollup.read_only, rollup.formula) == (True, "")
    assert fields[(FieldObject.TICKET, "notes_html")].type is FieldType.TEXTAREA
    # The person contact's own custom field is a user field, read once (not again as __pc).
    assert fields[(FieldObject.USER, "loyalty_tier")].type is FieldType.TEXT
    assert not any(key.endswith("__pc") for _, key in fields)


def test_case_record_types_are_ticket_forms_and_each_case_names_its_own(org: Org) -> None:
    source = org.source()
    assert Kind.TICKET_FORM in source.describe().kinds
    forms = _read(source, Kind.TICKET_FORM)
    assert set(forms) == {org.ids["support"], org.ids["refund"]}
    refund = forms[org.ids["refund"]]
    assert isinstance(refund, TicketForm)
    assert (refund.name, refund.active) == ("Refund Request", True)
    tickets = _read(source, Kind.TICKET)
    refund_case, plain_case = tickets[org.ids["refund_case"]], tickets[org.ids["plain_case"]]
    assert isinstance(refund_case, Ticket)
    assert isinstance(plain_case, Ticket)
    assert refund_case.form == Ref(kind=Kind.TICKET_FORM, id=org.ids["refund"])
    assert plain_case.form is None  # the master record type: no form


def test_case_lookup_formula_and_rich_text_values_are_read_as_they_stand(org: Org) -> None:
    ticket = _read(org.source(), Kind.TICKET)[org.ids["refund_case"]]
    assert isinstance(ticket, Ticket)
    values = ticket.custom_fields
    assert values["escalation_contact"] == org.ids["bea"]  # the source's id, a user's
    assert values["asset_ref"] == ASSET_ID
    assert values["days_open"] == 3
    assert values["ticket_no"] == "T-0001"
    assert values["notes_html"] == "<p>Call <b>after</b> 5</p>"


def test_person_accounts_are_end_users_once_and_no_organization(org: Org) -> None:
    source = org.source()
    users = _read(source, Kind.USER)
    pam = users[org.ids["pam"]]  # the person contact's id: what cases name in ContactId
    assert isinstance(pam, User)
    assert (pam.name, pam.email, pam.role) == ("Pam Person", "pam@home.test", Role.END_USER)
    assert pam.organization is None
    assert pam.address == "1 Home Lane"
    assert pam.custom_fields == {"loyalty_tier": "gold"}
    assert "+1 555 0100" in {i.value for i in pam.identities}
    assert org.ids["pam_account"] not in users
    every = [r for batch in source.read(Kind.USER) for r in batch.records]
    people = [u for u in every if isinstance(u, User) and u.role is Role.END_USER]
    # Each person once: the person contact is not read again as a Contact.
    assert sorted(u.id for u in people) == sorted([org.ids["bea"], org.ids["pam"]])
    bea = users[org.ids["bea"]]
    assert isinstance(bea, User)
    assert bea.organization == Ref(kind=Kind.ORGANIZATION, id=org.ids["acme"])

    organizations = _read(source, Kind.ORGANIZATION)
    assert list(organizations) == [org.ids["acme"]]
    acme = organizations[org.ids["acme"]]
    assert isinstance(acme, Organization)
    assert acme.custom_fields == {"open_cases": 1.0}

    memberships = _read(source, Kind.ORGANIZATION_MEMBERSHIP).values()
    assert all(isinstance(m, OrganizationMembership) for m in memberships)
    assert {m.user.id for m in memberships} == {org.ids["bea"]}  # type: ignore[union-attr]

    ticket = _read(source, Kind.TICKET)[org.ids["refund_case"]]
    assert isinstance(ticket, Ticket)
    assert ticket.requester == Ref(kind=Kind.USER, id=org.ids["pam"])
    assert ticket.organization is None  # the person account is the requester, not a company


def test_fetch_finds_a_person_contact_and_a_contact_by_id(org: Org) -> None:
    found = org.source().fetch(Kind.USER, [org.ids["pam"], org.ids["bea"]])
    assert sorted(r.id for r in found) == sorted([org.ids["pam"], org.ids["bea"]])
    assert len(found) == 2


def test_email_to_case_threading_is_kept_in_the_comment_metadata(org: Org) -> None:
    ticket = _read(org.source(), Kind.TICKET)[org.ids["refund_case"]]
    assert isinstance(ticket, Ticket)
    by_id = {c.id: c for c in ticket.comments}
    assert by_id[org.ids["mail"]].metadata == {
        "thread_identifier": "<thread-1@home.test>",
        "message_identifier": "<msg-1@home.test>",
        "headers": "Message-ID: <msg-1@home.test>",
    }
    assert by_id[org.ids["reply"]].metadata == {
        "thread_identifier": "<thread-1@home.test>",
        "message_identifier": "<msg-2@org.test>",
        "reply_to_email_message_id": org.ids["mail"],
    }


def test_an_org_without_record_types_or_person_accounts_offers_no_forms() -> None:
    sandbox = SalesforceSandbox(tickets=0, empty=True, clock=ManualClock())
    source = SalesforceSource(
        instance="sf",
        instance_url=sandbox.base_url,
        credentials=SalesforceCredentials(access_token=sandbox.access_token),
        session=sandbox.session(authenticated=False),
        clock=sandbox.clock,
    )
    account = sandbox.backend.put("Account", {"Name": "Acme"})
    contact = sandbox.backend.put("Contact", {"LastName": "Bea", "AccountId": account})
    stamp = "2026-01-01T00:00:00.000+0000"
    case = sandbox.backend.put("Case", {"Subject": "Hi", "Status": "New"}, created=stamp)
    assert Kind.TICKET_FORM not in source.describe().kinds
    assert not list(source.read(Kind.TICKET_FORM))
    ticket = _read(source, Kind.TICKET)[case]
    assert isinstance(ticket, Ticket)
    assert ticket.form is None  # only the master record type: no form to link to
    assert set(_read(source, Kind.ORGANIZATION)) == {account}
    assert contact in _read(source, Kind.USER)
