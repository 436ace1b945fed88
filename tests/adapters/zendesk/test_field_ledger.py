"""The Zendesk field ledger: every field the API reference documents for an object the Zendesk
adapters read has exactly one row with a fate, every row names a documented field and real
schema attributes, and ``docs/zendesk.md`` shows the table the code holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cemigrate.adapters.field_ledger import (
    Fate,
    FieldLedger,
    FieldRow,
    LedgerObject,
    carried,
    dropped,
    markers,
    problems,
    render,
    section,
    unnamed_attributes,
    write,
)
from cemigrate.adapters.zendesk.field_ledger import ZENDESK_LEDGER
from cemigrate.schema import Comment, Organization, Ticket, User

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data" / "zendesk_documented_fields.json"
RECORDINGS = ROOT / "cassettes" / "zendesk"


def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def _documented() -> dict[str, list[str]]:
    return {
        name: [*entry["documented"], *entry["in_real_answers_only"]]
        for name, entry in _data().items()
    }


def test_every_documented_zendesk_field_has_one_row_naming_real_schema_attributes() -> None:
    assert problems(ZENDESK_LEDGER, _documented()) == []


def test_each_table_cites_the_reference_page_its_fields_come_from() -> None:
    pages = {name: entry["page"] for name, entry in _data().items()}
    for obj in ZENDESK_LEDGER.objects:
        assert obj.page.startswith(pages[obj.name]), obj.name


def test_no_row_has_a_fate_outside_the_five() -> None:
    fates = {row.fate for obj in ZENDESK_LEDGER.objects for row in obj.rows}
    assert fates <= set(Fate)
    assert {f.value for f in Fate} == {"carried", "kept", "mapped", "derived", "dropped"}
    with pytest.raises(ValueError, match="unknown"):
        FieldRow(field="due_at", fate="unknown")


def _ledger(*rows: FieldRow) -> FieldLedger:
    return FieldLedger(
        platform="Test",
        command="python -m test --write page.md",
        objects=(LedgerObject(name="ticket", title="Ticket", page="p", rows=rows),),
    )


def test_the_check_names_a_missing_row_a_misspelt_field_and_a_missing_attribute() -> None:
    ledger = _ledger(
        carried("subjct", "Ticket.subject"),
        carried("status", "Ticket.state"),
        carried("via", "Tiket.via"),
        carried("tags"),
        dropped("url", ""),
    )
    found = problems(ledger, {"ticket": ["subject", "status", "via", "tags", "url"], "brand": []})
    assert found == [
        "brand: documented but the ledger has no table for it",
        "ticket.subject: documented but has no row",
        "ticket.subjct: has a row but is not documented",
        "ticket.status: Ticket.state: Ticket has no attribute 'state'",
        "ticket.via: Tiket.via: the schema has no class 'Tiket'",
        "ticket.tags: carried but names no schema attribute",
        "ticket.url: dropped but says neither where nor why",
    ]


def test_the_check_names_a_field_with_two_rows() -> None:
    ledger = _ledger(carried("subject", "Ticket.subject"), dropped("subject", "twice"))
    assert problems(ledger, {"ticket": ["subject"]}) == ["ticket.subject: has 2 rows"]


# -- real answers ----------------------------------------------------------------------------

_RECORDED_OBJECTS = {
    "ticket": "ticket",
    "tickets": "ticket",
    "user": "user",
    "users": "user",
    "organization": "organization",
    "organizations": "organization",
    "group": "group",
    "groups": "group",
    "group_membership": "group_membership",
    "group_memberships": "group_membership",
    "identity": "identity",
    "identities": "identity",
    "ticket_field": "ticket_field",
    "ticket_fields": "ticket_field",
    "macro": "macro",
    "macros": "macro",
    "view": "view",
    "views": "view",
    "satisfaction_rating": "satisfaction_rating",
    "satisfaction_ratings": "satisfaction_rating",
    "ticket_metric": "ticket_metric",
    "ticket_metrics": "ticket_metric",
}
"""A recorded answer's body key → the ledger object its records are."""


def _recorded_fields() -> dict[str, set[str]]:
    """The fields real recorded answers (the decoded zendesk_api_client_rb recordings, see
    cassettes/zendesk/NOTICE.md) carry, per ledger object, comments and attachments included."""
    seen: dict[str, set[str]] = {}

    def note(name: str, record: object) -> None:
        if isinstance(record, dict):
            seen.setdefault(name, set()).update(record)

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") in ("Comment", "VoiceComment"):
                note("comment", value)
            if "content_url" in value:
                note("attachment", value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    recordings = sorted(
        p for p in RECORDINGS.glob("*.json") if not p.name.endswith(".cassette.json")
    )
    assert recordings, RECORDINGS
    for path in recordings:
        for interaction in json.loads(path.read_text(encoding="utf-8"))["interactions"]:
            body = interaction["response_body"]
            if not isinstance(body, dict):
                continue
            for key, value in body.items():
                name = _RECORDED_OBJECTS.get(key)
                for record in value if isinstance(value, list) else [value]:
                    if name is not None:
                        note(name, record)
            walk(body)
    return seen


def test_every_field_a_real_recorded_answer_carries_is_in_the_list() -> None:
    documented = _documented()
    recorded = _recorded_fields()
    assert {"ticket", "user", "comment", "attachment", "identity"} <= set(recorded)
    beyond = {name: sorted(fields - set(documented[name])) for name, fields in recorded.items()}
    assert {name: extra for name, extra in beyond.items() if extra} == {}


# -- nothing carried from nowhere ------------------------------------------------------------

_NOT_FROM_A_FIELD = {
    "Ticket.instance": "the source's name in the plan, not a Zendesk field",
    "Ticket.comments": "the ticket's comment objects (the comment table)",
    "User.agent_type": "Freshdesk's agent seat type; a Zendesk agent has none",
    "User.occasional": "Freshdesk's day-pass agents; a Zendesk agent has no such seat",
}


@pytest.mark.parametrize("cls", [Ticket, User, Organization, Comment], ids=lambda c: c.__name__)
def test_every_ticket_user_organization_and_comment_attribute_comes_from_a_zendesk_field(
    cls: type,
) -> None:
    assert unnamed_attributes(ZENDESK_LEDGER, cls) == {
        a for a in _NOT_FROM_A_FIELD if a.startswith(f"{cls.__name__}.")
    }


# -- the page ----------------------------------------------------------------------------------


def test_the_field_ledger_section_of_docs_zendesk_is_the_one_the_table_renders() -> None:
    page = (ROOT / "docs" / "zendesk.md").read_text(encoding="utf-8")
    assert "## Field ledger" in page
    assert section(ZENDESK_LEDGER, page).strip() == render(ZENDESK_LEDGER).strip(), (
        "docs/zendesk.md differs from the field ledger: run `make field-ledger`"
    )


def test_the_rendered_table_shows_each_fate_and_reason() -> None:
    text = render(ZENDESK_LEDGER)
    assert "| `custom_status_id` | carried | `Ticket.custom_status` |" in text
    assert (
        "| `url` | dropped | the source account's API address; meaningless in the target |" in text
    )
    assert "`Comment.metadata` → private ticket field `cemigrate_origin`" in text
    assert text.count("### ") == len(ZENDESK_LEDGER.objects)


def test_regenerating_rewrites_only_the_section_between_the_markers(tmp_path: Path) -> None:
    begin, end = markers(ZENDESK_LEDGER)
    page = tmp_path / "zendesk.md"
    page.write_text(f"# Zendesk\n\nBefore.\n\n{begin}\nstale\n{end}\n\nAfter.\n", encoding="utf-8")
    assert write(page, ZENDESK_LEDGER) is True
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Zendesk\n\nBefore.\n\n")
    assert text.endswith(f"{end}\n\nAfter.\n")
    assert "stale" not in text
    assert render(ZENDESK_LEDGER) in text
    assert write(page, ZENDESK_LEDGER) is False
    page.write_text("# Zendesk without markers\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="markers"):
        write(page, ZENDESK_LEDGER)
