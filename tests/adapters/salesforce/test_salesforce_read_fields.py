"""Describe answers and rows as real orgs return them, read by the pure functions of
``convert``: lookups by the object they point to, computed fields, person accounts, record
types and Email-to-Case threading (shapes: DescribeFieldResult, Object Reference)."""

from __future__ import annotations

from typing import Any

import pytest

from cemigrate.adapters.salesforce import convert
from cemigrate.schema import FieldObject, FieldType, Kind, Ref


def _described(name: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": name[:-3], "type": type_, "custom": True, **extra}


@pytest.mark.parametrize(
    ("targets", "kind"),
    [
        (["Contact"], Kind.USER),
        (["User"], Kind.USER),
        (["Account"], Kind.ORGANIZATION),
        (["Case"], Kind.TICKET),
        (["Group"], Kind.GROUP),
        (["Contact", "User"], Kind.USER),
    ],
)
def test_a_lookup_to_a_carried_object_names_its_kind(targets: list[str], kind: Kind) -> None:
    d = _described("Owner_Ref__c", "reference", referenceTo=targets, relationshipName="X__r")
    found = convert.field(d, object=FieldObject.TICKET)
    assert found is not None
    assert (found.type, found.references, found.description) == (FieldType.LOOKUP, kind, "")


@pytest.mark.parametrize("targets", [["Asset"], ["Invoice__c"], ["User", "Group"], []])
def test_any_other_lookup_is_text_holding_the_id_and_says_what_it_named(
    targets: list[str],
) -> None:
    d = _described("Thing__c", "reference", referenceTo=targets, inlineHelpText="Help.")
    found = convert.field(d, object=FieldObject.ORGANIZATION)
    assert found is not None
    assert (found.type, found.references) == (FieldType.TEXT, None)
    assert found.description.startswith("Lookup to ")
    assert all(t in found.description for t in targets)
    assert found.description.endswith("Help.")


def test_formulas_roll_ups_and_auto_numbers_are_read_only_and_never_required() -> None:
    formula = convert.field(
        _described(
            "Score__c",
            "double",
            scale=2,
            calculated=True,
            calculatedFormula="A__c * 2",
            nillable=False,
            createable=False,
        ),
        object=FieldObject.TICKET,
    )
    rollup = convert.field(
        _described("Total__c", "currency", calculated=True, calculatedFormula=None),
        object=FieldObject.ORGANIZATION,
    )
    number = convert.field(
        _described("Ref_No__c", "string", autoNumber=True, nillable=False, createable=False),
        object=FieldObject.TICKET,
    )
    plain = convert.field(_described("Plain__c", "string"), object=FieldObject.TICKET)
    assert formula is not None
    assert rollup is not None
    assert number is not None
    assert plain is not None
    assert (formula.read_only, formula.formula, formula.type) == (
        True,
        "A__c * 2",
        FieldType.DECIMAL,
    )
    assert (rollup.read_only, rollup.formula) == (True, "")
    assert (number.read_only, number.required, number.type) == (True, False, FieldType.TEXT)
    assert (plain.read_only, plain.formula) == (False, "")


def test_person_contact_fields_on_account_are_not_organization_fields() -> None:
    d = _described("Tier__pc", "string")
    assert convert.field(d, object=FieldObject.ORGANIZATION) is None


def test_a_person_account_row_is_an_end_user_named_by_its_person_contact() -> None:
    fields = {
        "Tier__c": convert.field(_described("Tier__c", "string"), object=FieldObject.USER),
    }
    user = convert.person_account(
        {
            "Id": "001A",
            "PersonContactId": "003P",
            "FirstName": "Pam",
            "LastName": "Person",
            "PersonEmail": "pam@home.test",
            "Phone": "+1 555 0101",
            "PersonMobilePhone": "+1 555 0100",
            "Tier__pc": "gold",
            "Cemigrate_Suspended__pc": True,
            "IsDeleted": False,
            "CreatedDate": "2026-01-01T00:00:00.000+0000",
        },
        {k: v for k, v in fields.items() if v is not None},
    )
    assert (user.id, user.name, user.email, user.phone) == (
        "003P",
        "Pam Person",
        "pam@home.test",
        "+1 555 0101",
    )
    assert user.organization is None
    assert user.suspended
    assert user.custom_fields == {"tier": "gold"}


def test_a_record_type_is_a_form_and_the_master_one_is_none() -> None:
    form = convert.record_type(
        {"Id": "012R", "Name": "Refund", "DeveloperName": "Refund", "IsActive": False}
    )
    assert (form.id, form.name, form.active) == ("012R", "Refund", False)
    stamp = "2026-01-01T00:00:00.000+0000"
    base = {"Id": "500A", "Status": "New", "CreatedDate": stamp, "LastModifiedDate": stamp}
    with_type = convert.case({**base, "RecordTypeId": "012R"}, instance="sf")
    master = convert.case({**base, "RecordTypeId": convert.MASTER_RECORD_TYPE}, instance="sf")
    assert with_type.form == Ref(kind=Kind.TICKET_FORM, id="012R")
    assert master.form is None
    person = convert.case(
        {**base, "AccountId": "001P", "Account": {"IsPersonAccount": True}}, instance="sf"
    )
    company = convert.case(
        {**base, "AccountId": "001C", "Account": {"IsPersonAccount": False}}, instance="sf"
    )
    assert person.organization is None
    assert company.organization == Ref(kind=Kind.ORGANIZATION, id="001C")


def test_threading_survives_a_body_split_into_parts() -> None:
    rows = [
        {
            "Id": f"02s{i}",
            "ParentId": "500A",
            "Incoming": True,
            "TextBody": f"[cemigrate part {i}/2]\nhalf {i}",
            "MessageDate": "2026-01-01T00:00:00.000+0000",
            "CreatedDate": "2026-01-01T00:00:00.000+0000",
            "ThreadIdentifier": "<t@x>",
            "MessageIdentifier": "<m@x>",
        }
        for i in (1, 2)
    ]
    joined = convert.join_parts([convert.email_message(r, requester="003A") for r in rows])
    assert len(joined) == 1
    assert joined[0].metadata == {"thread_identifier": "<t@x>", "message_identifier": "<m@x>"}
