"""A platform's field ledger: every field its API documents for the objects a source reads, and
what a migration does with each one.

A platform writes its ledger as data (:class:`FieldLedger`: objects, each with one
:class:`FieldRow` per documented field and a :class:`Fate`); this module checks a ledger against
the list of documented fields and the schema (:func:`problems`) and renders it as the
"Field ledger" section of the platform's page (:func:`render`, :func:`write`). Each platform's
module (``adapters/<platform>/field_ledger.py``) holds its table and runs :func:`main` to
regenerate its page, so the page cannot drift from the table.
"""

from __future__ import annotations

import argparse
import enum
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import attrs

from cemigrate.schema import records

__all__ = [
    "STAMPS",
    "Fate",
    "FieldLedger",
    "FieldRow",
    "LedgerObject",
    "carried",
    "derived",
    "dropped",
    "kept",
    "main",
    "mapped",
    "markers",
    "problems",
    "render",
    "schema_classes",
    "section",
    "unnamed_attributes",
    "with_stamps",
    "write",
]


class Fate(enum.StrEnum):
    """What a migration does with one field of a source object."""

    CARRIED = "carried"
    """Read into a schema attribute, which every target writes."""
    KEPT = "kept"
    """Kept verbatim in a named place (a private field, a private note, a raw payload)."""
    MAPPED = "mapped"
    """Written through the mapping file (a value table or a custom-field section)."""
    DERIVED = "derived"
    """Recomputed by the target platform (an address, a count, a write's own time)."""
    DROPPED = "dropped"
    """Left behind on purpose; the row says why."""


STAMPS: Final = "the target's own: set when it writes the record"
"""Why a target does not hold a record's ``created_at`` and ``updated_at`` (a ticket's are
compared with its comments)."""


def with_stamps(reasons: Mapping[str, str]) -> dict[str, str]:
    """``reasons`` (attribute → why the target does not hold it), with the time stamps."""
    return {"created_at": STAMPS, "updated_at": STAMPS, **reasons}


def _attribute_names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class FieldRow:
    """One documented field of an object and its fate."""

    field: str
    """The field's name in the platform's JSON (``custom_status_id``)."""
    fate: Fate = attrs.field(converter=Fate)
    where: str = ""
    """Where it goes (the named place, the mapping section) or why it is dropped; one line."""
    attributes: tuple[str, ...] = attrs.field(default=(), converter=_attribute_names)
    """The schema attributes it lands in, as ``Class.attribute`` (``Ticket.custom_status``)."""


@attrs.frozen(kw_only=True)
class LedgerObject:
    """One object a source reads, with the reference page that documents its fields."""

    name: str
    """The object's key in the list of documented fields (``ticket``, ``comment.metadata``)."""
    title: str
    """Its heading on the page."""
    page: str
    """The API reference page whose JSON format table lists the fields."""
    rows: tuple[FieldRow, ...]


@attrs.frozen(kw_only=True)
class FieldLedger:
    """A platform's field ledger and the page section it renders into."""

    platform: str
    """The platform's display name (``Zendesk``)."""
    command: str
    """The command that regenerates the page section."""
    objects: tuple[LedgerObject, ...]


def carried(field: str, *attributes: str, note: str = "") -> FieldRow:
    """A field read into ``attributes`` (``Class.attribute``) of the schema."""
    return FieldRow(field=field, fate=Fate.CARRIED, where=note, attributes=attributes)


def kept(field: str, where: str, *attributes: str) -> FieldRow:
    """A field kept verbatim in a named place (through ``attributes`` of the schema, if any)."""
    return FieldRow(field=field, fate=Fate.KEPT, where=where, attributes=attributes)


def mapped(field: str, section: str, *attributes: str) -> FieldRow:
    """A field written through the mapping file's ``section``."""
    return FieldRow(field=field, fate=Fate.MAPPED, where=section, attributes=attributes)


def derived(field: str, why: str) -> FieldRow:
    """A field the target platform computes for itself."""
    return FieldRow(field=field, fate=Fate.DERIVED, where=why)


def dropped(field: str, why: str) -> FieldRow:
    """A field left behind on purpose, with the one-line reason."""
    return FieldRow(field=field, fate=Fate.DROPPED, where=why)


def schema_classes() -> dict[str, type]:
    """The schema's record classes by name (``Ticket``, ``Comment``, ``Holiday``, ...): what a
    row's ``Class.attribute`` may name."""
    return {
        name: value
        for name, value in vars(records).items()
        if isinstance(value, type) and attrs.has(value)
    }


def problems(ledger: FieldLedger, documented: Mapping[str, Iterable[str]]) -> list[str]:
    """Everything wrong with ``ledger`` against ``documented`` (object name → its documented
    fields): an object or field without a row, a row for an object or field not documented, a
    field with two rows, a ``carried`` or ``mapped`` row naming no schema attribute, a
    ``dropped`` or ``derived`` row without a reason, an attribute the schema does not have."""
    found: list[str] = []
    classes = schema_classes()
    objects = {o.name: o for o in ledger.objects}
    for name in sorted(set(documented) - set(objects)):
        found.append(f"{name}: documented but the ledger has no table for it")
    for name in sorted(set(objects) - set(documented)):
        found.append(f"{name}: the ledger has a table for an object not documented")
    for name, fields in documented.items():
        if name not in objects:
            continue
        rows = objects[name].rows
        counts = Counter(row.field for row in rows)
        expected = set(fields)
        found += [f"{name}.{f}: documented but has no row" for f in sorted(expected - set(counts))]
        found += [
            f"{name}.{f}: has a row but is not documented" for f in sorted(set(counts) - expected)
        ]
        found += [f"{name}.{f}: has {n} rows" for f, n in sorted(counts.items()) if n > 1]
        for row in rows:
            found += _row_problems(f"{name}.{row.field}", row, classes)
    return found


def _row_problems(label: str, row: FieldRow, classes: Mapping[str, type]) -> list[str]:
    found: list[str] = []
    if row.fate in (Fate.CARRIED, Fate.MAPPED) and not row.attributes:
        found.append(f"{label}: {row.fate} but names no schema attribute")
    if row.fate is not Fate.CARRIED and not row.where.strip():
        found.append(f"{label}: {row.fate} but says neither where nor why")
    for attribute in row.attributes:
        owner, _, name = attribute.partition(".")
        cls = classes.get(owner)
        if cls is None:
            found.append(f"{label}: {attribute}: the schema has no class {owner!r}")
        elif name not in attrs.fields_dict(cls):
            found.append(f"{label}: {attribute}: {owner} has no attribute {name!r}")
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _where(row: FieldRow) -> str:
    named = ", ".join(f"`{a}`" for a in row.attributes)
    if named and row.where:
        joint = " → " if row.fate is Fate.KEPT else ": "
        return _cell(f"{named}{joint}{row.where}")
    return _cell(named or row.where)


def markers(ledger: FieldLedger) -> tuple[str, str]:
    """The lines before and after the generated section on the platform's page."""
    return (
        f"<!-- field-ledger: begin (generated by `{ledger.command}`) -->",
        "<!-- field-ledger: end -->",
    )


def section(ledger: FieldLedger, page: str) -> str:
    """The generated section as it stands in ``page``'s text (between :func:`markers`), or
    the empty string when the page has none."""
    begin, end = markers(ledger)
    return page.partition(begin)[2].partition(end)[0]


def unnamed_attributes(ledger: FieldLedger, cls: type) -> set[str]:
    """The attributes of schema class ``cls`` (``Ticket.brand``...) no row of ``ledger``
    fills: what the platform's source leaves empty, each of which needs a written reason."""
    named = {a for obj in ledger.objects for row in obj.rows for a in row.attributes}
    return {
        f"{cls.__name__}.{field.name}"
        for field in attrs.fields(cls)
        if f"{cls.__name__}.{field.name}" not in named
    }


def render(ledger: FieldLedger) -> str:
    """The generated section: per object its reference page and a table of field, fate and
    where or why, fields in alphabetical order."""
    lines: list[str] = []
    for obj in ledger.objects:
        lines += [f"### {obj.title}", "", f"Fields from {obj.page}", ""]
        lines += ["| field | fate | where / why |", "|---|---|---|"]
        for row in sorted(obj.rows, key=lambda r: r.field):
            lines.append(f"| `{row.field}` | {row.fate} | {_where(row)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write(page: Path, ledger: FieldLedger) -> bool:
    """Replace the generated section of ``page`` (between :func:`markers`); returns whether
    it changed."""
    begin_line, end_line = markers(ledger)
    text = page.read_text(encoding="utf-8")
    head, begin, rest = text.partition(begin_line)
    _, end, tail = rest.partition(end_line)
    if not begin or not end:
        raise SystemExit(f"{page}: the markers {begin_line!r} and {end_line!r} are missing")
    new = f"{head}{begin_line}\n\n{render(ledger)}\n{end_line}{tail}"
    if new == text:
        return False
    page.write_text(new, encoding="utf-8")
    return True


def main(ledger: FieldLedger, argv: Sequence[str] | None = None) -> int:
    """``python -m cemigrate.adapters.<platform>.field_ledger [--write PAGE]``: print the
    section, or update it in place on PAGE."""
    parser = argparse.ArgumentParser(
        prog=ledger.command.partition(" --")[0], description=f"{ledger.platform} field ledger"
    )
    parser.add_argument("--write", type=Path, metavar="PAGE", help="update PAGE in place")
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(render(ledger))
        return 0
    changed = write(args.write, ledger)
    print(f"{args.write}: {'updated' if changed else 'already up to date'}")
    return 0
