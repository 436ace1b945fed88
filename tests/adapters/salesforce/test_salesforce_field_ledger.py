"""The Salesforce field ledger: every field a real org's describe (or the Object Reference) shows
for an object the Salesforce source reads has exactly one row with a fate, every row names a
documented field and real schema attributes, every field a recorded answer carries and every
field the source selects has a row, and ``docs/salesforce.md`` shows the table the code
holds."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.field_ledger import (
    Fate,
    problems,
    render,
    section,
    unnamed_attributes,
)
from cemigrate.adapters.salesforce import objects
from cemigrate.adapters.salesforce.field_ledger import (
    CUSTOM_FIELDS,
    PERSON_CUSTOM_FIELDS,
    SALESFORCE_LEDGER,
)
from cemigrate.schema import Comment, Organization, Ticket, User

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "salesforce_documented_fields.json"
CASSETTES = ROOT / "cassettes" / "salesforce"
DESCRIBE_FIELD = "describe.field"


def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def _ours(sobject: str) -> set[str]:
    """cemigrate's own fields on ``sobject`` (``prepare`` creates them) and the org fields the
    source reads like them (``Tags__c``...): not Salesforce's, but each has a row."""
    found = {f.name for f in objects.SETUP_FIELDS if f.sobject == sobject}
    row = objects.BY_NAME.get(sobject)
    if row is not None:
        found |= {name for name in row.fields if name.endswith("__c")}
    return found


def _documented() -> dict[str, list[str]]:
    documented: dict[str, list[str]] = {}
    for name, entry in _data().items():
        fields = {*entry["in_describe"], *entry["in_object_reference_only"], *_ours(name)}
        if entry["custom_fields"]:
            fields.add(CUSTOM_FIELDS)
        if entry.get("person_custom_fields"):
            fields.add(PERSON_CUSTOM_FIELDS)
        documented[name] = sorted(fields)
    return documented


def _rows() -> dict[str, set[str]]:
    return {obj.name: {row.field for row in obj.rows} for obj in SALESFORCE_LEDGER.objects}


def _row_for(name: str, rows: set[str]) -> str:
    """The row a recorded field name falls under: its own, else the custom fields' row."""
    if name in rows:
        return name
    if name.endswith("__pc"):
        return PERSON_CUSTOM_FIELDS
    if name.endswith("__c"):
        return CUSTOM_FIELDS
    return name


def test_every_documented_salesforce_field_has_one_row_naming_real_schema_attributes() -> None:
    assert problems(SALESFORCE_LEDGER, _documented()) == []


def test_a_field_without_a_row_or_a_row_without_a_field_is_named() -> None:
    documented = _documented()
    documented["Case"] = [f for f in documented["Case"] if f != "Subject"] + ["Resolution__x"]
    found = problems(SALESFORCE_LEDGER, documented)
    assert "Case.Resolution__x: documented but has no row" in found
    assert "Case.Subject: has a row but is not documented" in found


def test_each_table_cites_the_reference_page_its_fields_come_from() -> None:
    pages = {name: entry["page"] for name, entry in _data().items()}
    assert [obj.name for obj in SALESFORCE_LEDGER.objects] == list(pages)
    for obj in SALESFORCE_LEDGER.objects:
        assert obj.page == pages[obj.name], obj.name
        assert obj.page.startswith("https://developer.salesforce.com/docs/"), obj.name


def test_the_objects_issue_19_names_all_have_a_table() -> None:
    names = {obj.name for obj in SALESFORCE_LEDGER.objects}
    assert {
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
        "RecordType",
        "BusinessHours",
        "Holiday",
        "AccountContactRelation",
        "GroupMember",
    } <= names


def test_the_decided_fates_of_issue_19_are_in_the_table() -> None:
    rows = {(obj.name, row.field): row for obj in SALESFORCE_LEDGER.objects for row in obj.rows}
    assert rows["Case", "RecordTypeId"].attributes == ("Ticket.form",)
    assert rows["RecordType", "Id"].attributes == ("TicketForm.id", "Ticket.form")
    assert rows["Account", "PersonContactId"].attributes == ("User.id",)
    assert rows["Account", "PersonEmail"].attributes[0] == "User.email"
    assert rows["Account", "IsPersonAccount"].attributes == ("User.role",)
    assert rows["Account", PERSON_CUSTOM_FIELDS].attributes == ("User.custom_fields",)
    for field in ("ThreadIdentifier", "MessageIdentifier", "ReplyToEmailMessageId", "Headers"):
        assert rows["EmailMessage", field].fate is Fate.KEPT
        assert rows["EmailMessage", field].attributes == ("Comment.metadata",)
    assert rows[DESCRIBE_FIELD, "calculated"].attributes == ("FieldDef.read_only",)
    assert rows[DESCRIBE_FIELD, "autoNumber"].attributes == ("FieldDef.read_only",)
    assert rows[DESCRIBE_FIELD, "calculatedFormula"].attributes == ("FieldDef.formula",)
    assert "FieldDef.references" in rows[DESCRIBE_FIELD, "referenceTo"].attributes
    assert rows["Case", CUSTOM_FIELDS].fate is Fate.MAPPED
    assert rows["Case", "Cemigrate_Origin__c"].attributes == ("Ticket.custom_fields",)


# -- what the source selects -----------------------------------------------------------------

NOT_IN_LEDGER = {
    "AssignmentRule": "rules are kept verbatim in Rule.raw (docs/rules.md), not field by field",
    "EscalationRule": "rules are kept verbatim in Rule.raw (docs/rules.md), not field by field",
    "Flow": "flows are kept verbatim in Rule.raw (docs/salesforce.md), not field by field",
    "Cemigrate_Sla_Event__c": "cemigrate's own object, written by a target; never read",
    "Cemigrate_Ticket_Metrics__c": "cemigrate's own object, written by a target; never read",
}
"""Objects of ``objects.OBJECTS`` without a table, and why."""

RELATED_ONLY = {"Profile": "read only as a User's `Profile.Name` (see User, `ProfileId`)"}
"""Objects read only through a lookup of a ledger object, and why they have no table."""


def _selected() -> dict[str, set[str]]:
    """The fields each object's query selects, a relation's field as the lookup holding it
    (``Profile.Name`` → ``ProfileId``) and as that field of the related object."""
    rows = [*objects.OBJECTS]
    person = getattr(objects, "PERSON_ACCOUNTS", None)  # where the org has person accounts
    if person is not None:
        rows.append(person)
    selected: dict[str, set[str]] = {}
    for row in rows:
        if row.name in NOT_IN_LEDGER:
            continue
        for name in row.fields:
            relation, _, inner = name.partition(".")
            if inner:
                selected.setdefault(row.name, set()).add(f"{relation}Id")
                selected.setdefault(relation, set()).add(inner)
            else:
                selected.setdefault(row.name, set()).add(name)
    return selected


def test_every_field_the_source_selects_has_a_row() -> None:
    rows = _rows()
    assert {row.name for row in objects.OBJECTS} - set(rows) == set(NOT_IN_LEDGER)
    selected = _selected()
    missing = {
        name: sorted(fields - rows[name])
        for name, fields in selected.items()
        if name not in RELATED_ONLY and fields - rows[name]
    }
    assert missing == {}


# -- recorded answers ------------------------------------------------------------------------

EMULATOR_ONLY = {
    ("User", "IsDeleted"): "the emulator's User describe has it; real orgs' User has none",
}
"""Fields a recorded answer carries that real orgs do not (the cassettes are the emulator's,
see cassettes/salesforce/NOTICE.md): each must still be in a recording."""


def _record_fields(record: Mapping[str, Any], seen: dict[str, set[str]]) -> None:
    sobject = str(record["attributes"]["type"])
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, Mapping) and "attributes" in value:
            lookup = f"{key[:-3]}__c" if key.endswith("__r") else f"{key}Id"
            seen.setdefault(sobject, set()).add(lookup)
            _record_fields(value, seen)
        else:
            seen.setdefault(sobject, set()).add(key)


def _recorded(bodies: Iterable[Any]) -> dict[str, set[str]]:
    """The fields recorded answers carry: a describe's field names under its object and its
    ``fields[]`` keys under ``describe.field``; a query's records' keys under their type."""
    seen: dict[str, set[str]] = {}
    for body in bodies:
        if not isinstance(body, Mapping):
            continue
        if "fields" in body and "name" in body:
            for entry in body["fields"]:
                seen.setdefault(str(body["name"]), set()).add(str(entry["name"]))
                seen.setdefault(DESCRIBE_FIELD, set()).update(entry)
        for record in body.get("records") or ():
            _record_fields(record, seen)
    return seen


def _cassette_bodies() -> list[Any]:
    bodies = []
    for path in sorted(CASSETTES.glob("*.cassette.json")):
        for interaction in json.loads(path.read_text(encoding="utf-8"))["interactions"]:
            body = interaction["response"]["body"]
            if "json" in body:
                bodies.append(body["json"])
    return bodies


def _beyond(recorded: Mapping[str, set[str]]) -> dict[str, list[str]]:
    rows = _rows()
    beyond: dict[str, list[str]] = {}
    for name, fields in recorded.items():
        if name in RELATED_ONLY:
            continue
        if name not in rows:
            beyond[name] = ["(no table)"]
            continue
        extra = sorted(
            f
            for f in fields
            if _row_for(f, rows[name]) not in rows[name] and (name, f) not in EMULATOR_ONLY
        )
        if extra:
            beyond[name] = extra
    return beyond


def test_every_field_a_recorded_answer_carries_has_a_row() -> None:
    recorded = _recorded(_cassette_bodies())
    assert {"Contact", "User", DESCRIBE_FIELD} <= set(recorded)
    assert _beyond(recorded) == {}


def test_each_emulator_only_field_is_still_recorded() -> None:
    recorded = _recorded(_cassette_bodies())
    assert [pair for pair in EMULATOR_ONLY if pair[1] not in recorded.get(pair[0], set())] == []


def test_a_recorded_field_without_a_row_is_named() -> None:
    describe = {
        "name": "Case",
        "fields": [{"name": "Subject", "type": "string", "sentiment": 1}],
    }
    records = {
        "records": [
            {
                "attributes": {"type": "Case"},
                "Subject": "x",
                "Mood": "calm",
                "Mood__c": "calm",
                "Owner": {"attributes": {"type": "User"}, "Alias": "a"},
            },
            {"attributes": {"type": "Lead"}, "Id": "00Q"},
        ]
    }
    assert _beyond(_recorded([describe, records])) == {
        "Case": ["Mood"],
        DESCRIBE_FIELD: ["sentiment"],
        "Lead": ["(no table)"],
    }


# -- what Salesforce has no field for --------------------------------------------------------

NOT_FROM_A_FIELD = {
    "Ticket.instance": "the source's name in the plan, not a Salesforce field",
    "Ticket.ccs": "a case has no CC list (an e-mail's recipients are not read)",
    "Ticket.followers": "Chatter followers of a case are not read",
    "Ticket.brand": "Salesforce has no brands (cemigrate's label reads back as a custom value)",
    "Ticket.custom_status": "Case Status is a picklist, mapped",
    "Ticket.recipient": "a case keeps no support address",
    "Ticket.external_id": "a case has no external id of its own",
    "Ticket.via": "a case keeps no arrival details beyond Origin",
    "Ticket.due_at": "a case has no due date",
    "Ticket.problem": "the parent case is not read",
    "User.default_group": "agents are matched Users; their settings stay the target's",
    "User.custom_role": "agents are matched Users; their settings stay the target's",
    "User.ticket_restriction": "agents are matched Users; their settings stay the target's",
    "User.only_private_comments": "agents are matched Users; their settings stay the target's",
    "User.alias": "`Alias` is not read (a gap)",
    "User.signature": "`Signature` is not read (a gap)",
    "User.agent_type": "a Freshdesk agent type; Salesforce has licences",
    "User.occasional": "a Freshdesk day-pass agent; Salesforce has none",
    "Organization.group": "an account has no group",
    "Organization.shared_tickets": "sharing is the org's sharing model, not per account",
    "Organization.shared_comments": "sharing is the org's sharing model, not per account",
}
"""Schema attributes no Salesforce field fills, and why: the Salesforce source leaves them
empty."""


@pytest.mark.parametrize("cls", [Ticket, User, Organization, Comment], ids=lambda c: c.__name__)
def test_every_ticket_user_organization_and_comment_attribute_comes_from_a_field_or_says_why(
    cls: type,
) -> None:
    assert unnamed_attributes(SALESFORCE_LEDGER, cls) == {
        a for a in NOT_FROM_A_FIELD if a.startswith(f"{cls.__name__}.")
    }


# -- the page ----------------------------------------------------------------------------------


def test_the_field_ledger_section_of_docs_salesforce_is_the_one_the_table_renders() -> None:
    page = (ROOT / "docs" / "salesforce.md").read_text(encoding="utf-8")
    assert "## Field ledger" in page
    assert section(SALESFORCE_LEDGER, page).strip() == render(SALESFORCE_LEDGER).strip(), (
        "docs/salesforce.md differs from the field ledger: run `make field-ledger`"
    )


def test_the_rendered_table_shows_each_fate_and_reason() -> None:
    text = render(SALESFORCE_LEDGER)
    assert "| `Subject` | carried | `Ticket.subject` |" in text
    assert "| `ThreadIdentifier` | kept | `Comment.metadata` → key `thread_identifier` |" in text
    assert "| `CaseNumber` | dropped | gap: the number agents quote is not kept" in text
    assert text.count("### ") == len(SALESFORCE_LEDGER.objects)
    assert "unknown" not in {
        row.fate.value for obj in SALESFORCE_LEDGER.objects for row in obj.rows
    }
