"""Describe answers as real orgs return them, read by ``convert.field``: lookups by the object
they point to and computed fields (shapes: DescribeFieldResult)."""

from __future__ import annotations

from typing import Any

import pytest

from cemigrate.adapters.salesforce import convert
from cemigrate.schema import FieldObject, FieldType, Kind


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
