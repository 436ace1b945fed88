"""The Freshdesk field ledger: every field the API v2 reference (or a real recorded answer) shows
for an object the Freshdesk source reads has exactly one row with a fate, every row names a
documented field and real schema attributes, and ``docs/freshdesk.md`` shows the table the code
holds."""

from __future__ import annotations

import json
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
from cemigrate.adapters.freshdesk.field_ledger import FRESHDESK_LEDGER
from cemigrate.schema import Comment, Organization, Ticket, User

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "freshdesk_documented_fields.json"
SAMPLES = ROOT / "cassettes" / "freshdesk" / "samples"


def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def _documented() -> dict[str, list[str]]:
    return {
        name: [*entry["documented"], *entry["in_reference_answers"], *entry["in_real_answers_only"]]
        for name, entry in _data().items()
    }


def test_every_documented_freshdesk_field_has_one_row_naming_real_schema_attributes() -> None:
    assert problems(FRESHDESK_LEDGER, _documented()) == []


def test_each_table_cites_the_reference_section_its_fields_come_from() -> None:
    pages = {name: entry["page"] for name, entry in _data().items()}
    assert [obj.name for obj in FRESHDESK_LEDGER.objects] == list(pages)
    for obj in FRESHDESK_LEDGER.objects:
        assert obj.page == pages[obj.name], obj.name
        assert obj.page.startswith('https://developers.freshdesk.com/api/, section "'), obj.name


def test_the_objects_issue_18_names_all_have_a_table() -> None:
    names = {obj.name for obj in FRESHDESK_LEDGER.objects}
    assert {
        "ticket",
        "conversation",
        "contact",
        "company",
        "agent",
        "group",
        "role",
        "ticket_field",
        "contact_field",
        "company_field",
        "sla_policy",
        "automation",
        "satisfaction_rating",
        "time_entry",
        "product",
    } <= names


def test_the_decided_fates_of_issue_18_are_in_the_table() -> None:
    rows = {(obj.name, row.field): row for obj in FRESHDESK_LEDGER.objects for row in obj.rows}
    assert rows["ticket", "type"].attributes == ("Ticket.custom_fields", "Ticket.type")
    assert rows["ticket", "source"].fate is Fate.KEPT
    assert rows["ticket", "source"].attributes == ("Ticket.via", "Ticket.channel")
    assert "Ticket.brand" in rows["ticket", "product_id"].attributes
    assert rows["contact", "unique_external_id"].attributes == ("User.external_id",)
    assert set(rows["contact", "mobile"].attributes) == {"User.identities", "User.phone"}
    assert rows["agent", "type"].attributes == ("User.agent_type",)
    assert rows["group", "agent_ids"].attributes[0] == "GroupMembership.user"
    assert rows["conversation", "category"].attributes == ("Comment.metadata",)
    assert {row.fate for (name, _), row in rows.items() if name == "time_entry"} == {Fate.DROPPED}


# -- real answers ----------------------------------------------------------------------------

LEGACY_SAMPLES = {
    "all_tickets.json": "API v1 ticket shape (cc_email, frDueBy, isescalated, custom_field)",
    "search_tickets.json": "API v1 ticket shape inside the search envelope",
    "contact.json": "API v1 contact shape (customer_id, custom_field, helpdesk_agent)",
    "contacts.json": "API v1 contact shape",
    "contact_updated.json": "API v1 contact shape",
    "contact_1_agent.json": "API v1 contact shape",
    "search_contacts.json": "API v1 contact shape inside the search envelope",
    "customer.json": "API v1 customer (the /customers endpoint is gone in v2)",
    "role_1.json": "a role that repeats a group's keys (python-freshdesk's test data)",
    "roles.json": "roles that repeat a group's keys (python-freshdesk's test data)",
    "attachment.txt": "a file, not a payload",
}
"""Samples not compared, and why (as ``tests/sandbox/freshdesk/test_sandbox_freshdesk.py``)."""

SAMPLE_OBJECTS = {
    "ticket_1.json": "ticket",
    "ticket_1_updated.json": "ticket",
    "outbound_email_1.json": "ticket",
    "conversations.json": "conversation",
    "note_1.json": "conversation",
    "reply_1.json": "conversation",
    "agent_1.json": "agent",
    "agent_1_updated.json": "agent",
    "agents.json": "agent",
    "company.json": "company",
    "companies.json": "company",
    "company_updated.json": "company",
    "search_companies.json": "company",
    "group_1.json": "group",
    "groups.json": "group",
    "time_entries.json": "time_entry",
    "time_entry_1.json": "time_entry",
}
"""Each API v2 sample → the ledger object its records are."""

_NESTED = {
    ("ticket", "stats"): "ticket.stats",
    ("ticket", "attachments"): "attachment",
    ("conversation", "attachments"): "attachment",
    ("agent", "contact"): "agent.contact",
}
"""An object's key → the ledger object of the record(s) it holds."""


def _records(body: Any) -> list[Any]:
    if isinstance(body, dict) and set(body) == {"results", "total"}:
        body = body["results"]  # the search envelope
    return body if isinstance(body, list) else [body]


def _fields_of(name: str, record: Any, seen: dict[str, set[str]]) -> None:
    if not isinstance(record, dict):
        return
    seen.setdefault(name, set()).update(record)
    for key, value in record.items():
        inner = _NESTED.get((name, key))
        if inner is not None:
            for item in value if isinstance(value, list) else [value]:
                _fields_of(inner, item, seen)


def _recorded_fields() -> dict[str, set[str]]:
    """The fields the real sample answers carry, per ledger object."""
    seen: dict[str, set[str]] = {}
    for file_name, name in SAMPLE_OBJECTS.items():
        body = json.loads((SAMPLES / file_name).read_text(encoding="utf-8"))
        for record in _records(body):
            _fields_of(name, record, seen)
    return seen


def test_every_sample_is_read_or_listed_with_a_reason() -> None:
    assert {p.name for p in SAMPLES.iterdir()} == set(SAMPLE_OBJECTS) | set(LEGACY_SAMPLES)


def test_every_field_a_real_recorded_answer_carries_is_in_the_list() -> None:
    documented = _documented()
    recorded = _recorded_fields()
    assert {"ticket", "ticket.stats", "attachment", "conversation", "agent"} <= set(recorded)
    assert {"agent.contact", "company", "group", "time_entry"} <= set(recorded)
    beyond = {name: sorted(fields - set(documented[name])) for name, fields in recorded.items()}
    assert {name: extra for name, extra in beyond.items() if extra} == {}


def test_a_recorded_field_the_list_lacks_is_named() -> None:
    seen: dict[str, set[str]] = {}
    _fields_of("ticket", {"id": 1, "stats": {"closed_at": None, "sla_paused_at": None}}, seen)
    documented = _documented()
    assert seen["ticket.stats"] - set(documented["ticket.stats"]) == {"sla_paused_at"}


# -- what Freshdesk has no field for ---------------------------------------------------------

NOT_FROM_A_FIELD = {
    "Ticket.instance": "the source's name in the plan, not a Freshdesk field",
    "Ticket.submitter": "a Freshdesk ticket names its requester only",
    "Ticket.ccs": "`cc_emails` are addresses, not users: kept in via",
    "Ticket.followers": "watchers are a call of their own (/tickets/{id}/watchers), not read",
    "Ticket.form": "the documented ticket answer names no form",
    "Ticket.custom_status": "a custom status is a status code, mapped like the others",
    "Ticket.external_id": "Freshdesk tickets have no external id",
    "Ticket.due_at": "`due_by` is the resolution SLA's due time, not a task's due date",
    "Ticket.problem": "no problem/incident link; parent, child and tracker links are kept in via",
    "User.default_group": "an agent's groups are memberships, none of them the default",
    "User.custom_role": "roles are not migrated; whether an agent is an admin is carried",
    "User.only_private_comments": "no such agent permission in the API",
    "User.alias": "Freshdesk agents have no alias",
    "Organization.external_id": "Freshdesk companies have no external id",
    "Organization.group": "Freshdesk companies have no group",
    "Organization.shared_tickets": "sharing is per contact (`view_all_tickets`), carried",
    "Organization.shared_comments": "sharing is per contact (`view_all_tickets`), carried",
    "Organization.tags": "companies have no tags (read back from cemigrate's own field only)",
}
"""Schema attributes no Freshdesk field fills, and why: the Freshdesk source leaves them empty."""


@pytest.mark.parametrize("cls", [Ticket, User, Organization, Comment], ids=lambda c: c.__name__)
def test_every_ticket_user_organization_and_comment_attribute_comes_from_a_field_or_says_why(
    cls: type,
) -> None:
    assert unnamed_attributes(FRESHDESK_LEDGER, cls) == {
        a for a in NOT_FROM_A_FIELD if a.startswith(f"{cls.__name__}.")
    }


# -- the page ----------------------------------------------------------------------------------


def test_the_field_ledger_section_of_docs_freshdesk_is_the_one_the_table_renders() -> None:
    page = (ROOT / "docs" / "freshdesk.md").read_text(encoding="utf-8")
    assert "## Field ledger" in page
    assert section(FRESHDESK_LEDGER, page).strip() == render(FRESHDESK_LEDGER).strip(), (
        "docs/freshdesk.md differs from the field ledger: run `make field-ledger`"
    )


def test_the_rendered_table_shows_each_fate_and_reason() -> None:
    text = render(FRESHDESK_LEDGER)
    assert "| `responder_id` | carried | `Ticket.assignee` |" in text
    assert (
        "| `cc_emails` | kept | `Ticket.via` → private field `cemigrate_origin` on a target |"
        in text
    )
    assert (
        "| `skill_ids` | dropped | gap: skills (skill-based assignment) have no schema kind |"
        in (text)
    )
    assert text.count("### ") == len(FRESHDESK_LEDGER.objects)
    assert "unknown" not in {row.fate.value for obj in FRESHDESK_LEDGER.objects for row in obj.rows}
