"""The custom-field step of the copier and of reconciliation: lookups carried as
references, read-only fields left out.

A source describes its custom fields (``describe().fields``, and the FIELD records it reads
before any other record). Two kinds of field are the copier's to handle, whatever the mapping:

- A **lookup** (:attr:`FieldType.LOOKUP`, its kind in :attr:`FieldDef.references`) holds the
  source's id of a user, an organization, a ticket or a group. Each value is a link-only
  reference of the record that holds it (as :attr:`Ticket.problem`): the copier links it
  before the write, hands it to the target in :attr:`Outgoing.links` under
  ``Ref(kind, value)``, and never blocks or fails the write when the target does not hold
  the record (yet: a ticket naming a ticket written later in the run). Such values are
  counted as ``unlinked_lookups`` in the run's report.
- A **read-only** field (:attr:`FieldDef.read_only`: a formula, a roll-up summary, an
  auto-number) is left out, definition and values, under the policy ``read-only-field``,
  unless the mapping gives it a type (``fields.<owner>.<key>.type``): then it is a plain
  writable field of that type, holding the values as they stood.

A lookup to an object the migration does not carry is read as a text field holding the
source's id, its description starting with :data:`KEPT_AS_SOURCE_ID` (``Lookup to Asset``):
carried as text, and listed by the dry run as "kept as source ids".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Final

import attrs

from cemigrate.mapping._seam import Skip
from cemigrate.mapping.engine import Note
from cemigrate.schema import (
    FieldDef,
    FieldObject,
    FieldType,
    FieldValue,
    Kind,
    Organization,
    Record,
    Ref,
    Ticket,
    TicketForm,
    User,
    field_owner,
)

__all__ = ["KEPT_AS_SOURCE_ID", "READ_ONLY_POLICY", "FieldStep"]

READ_ONLY_POLICY: Final = "read-only-field"
"""The policy a read-only field (and its values) is left out under."""

KEPT_AS_SOURCE_ID: Final = "Lookup to "
"""How the description of a text field holding a lookup to an object the migration does not
carry begins (``Lookup to Asset (the source's id)``)."""

_EXAMPLES: Final = 5

_Key = tuple[str, FieldObject, str]
"""(source instance, owner, field key)."""


class FieldStep:
    """What the copier does with the custom fields its sources describe (one per run).

    ``typed(owner, key)`` is the type the mapping gives a field (None: none), which makes a
    read-only field a plain writable one."""

    def __init__(self, typed: Callable[[FieldObject, str], FieldType | None]) -> None:
        self._typed = typed
        self._defs: dict[_Key, FieldDef] = {}
        self._left_out: dict[tuple[FieldObject, str], list[str]] = defaultdict(list)
        self._kept_ids: dict[tuple[FieldObject, str], list[str]] = defaultdict(list)

    def learn(self, instance: str, fields: Iterable[FieldDef]) -> None:
        """The field definitions of one source (its describe, or FIELD records it read)."""
        for definition in fields:
            self._defs[(instance, definition.object, definition.key)] = definition

    def _left_out_field(self, definition: FieldDef) -> bool:
        return definition.read_only and self._typed(definition.object, definition.key) is None

    def _left_out_id(self, instance: str, field_id: str) -> bool:
        """Whether the ticket field with this source id is one the step leaves out."""
        return any(
            d.id == field_id and self._left_out_field(d)
            for (source, owner, _), d in self._defs.items()
            if source == instance and owner is FieldObject.TICKET
        )

    def prepare(self, instance: str, record: Record) -> Record | Skip:
        """``record`` without what the step leaves out: a read-only field's definition is
        skipped (policy :data:`READ_ONLY_POLICY`), its values dropped from the records that
        hold them (counted for the dry run)."""
        if isinstance(record, FieldDef):
            self.learn(instance, (record,))
            if self._left_out_field(record):
                return Skip(READ_ONLY_POLICY)
            return record
        if isinstance(record, TicketForm):  # a form shows what the target holds, no more
            shown = tuple(f for f in record.fields if not self._left_out_id(instance, f.id))
            return record if shown == record.fields else attrs.evolve(record, fields=shown)
        owner = field_owner(record)
        if owner is None:
            return record
        assert isinstance(record, Ticket | User | Organization)
        kept: dict[str, FieldValue] = {}
        dropped = False
        for key, value in record.custom_fields.items():
            definition = self._defs.get((instance, owner, key))
            if definition is not None and self._left_out_field(definition):
                self._left_out[(owner, key)].append(record.id)
                dropped = True
                continue
            if definition is not None and _kept_as_source_id(definition):
                self._kept_ids[(owner, key)].append(record.id)
            kept[key] = value
        if not dropped:
            return record
        return attrs.evolve(record, custom_fields=kept)

    def lookups(self, instance: str, record: Record) -> tuple[Ref, ...]:
        """The records ``record``'s lookup values name, as references of the source."""
        owner = field_owner(record)
        if owner is None:
            return ()
        assert isinstance(record, Ticket | User | Organization)
        found: list[Ref] = []
        for key, value in record.custom_fields.items():
            kind = self.references(instance, owner, key)
            if kind is not None and value is not None and not isinstance(value, tuple | bool):
                found.append(Ref(kind=kind, id=str(value)))
        return tuple(found)

    def references(self, instance: str, owner: FieldObject, key: str) -> Kind | None:
        """The kind a lookup field's values name, or None for any other field (or a lookup
        the mapping types as a plain field)."""
        definition = self._defs.get((instance, owner, key))
        if definition is None or definition.type is not FieldType.LOOKUP:
            return None
        if self._typed(owner, key) not in (None, FieldType.LOOKUP):
            return None
        return definition.references

    def translated(
        self,
        instance: str,
        record: Record,
        target_of: Callable[[FieldObject, str, Ref], str],
    ) -> Record:
        """``record`` with each lookup value as ``target_of(owner, key, reference)`` (the
        target's id through the ledger, or what the target keeps instead): what the target
        holds when the lookup was linked."""
        owner = field_owner(record)
        if owner is None:
            return record
        assert isinstance(record, Ticket | User | Organization)
        values: dict[str, FieldValue] = {}
        for key, value in record.custom_fields.items():
            kind = self.references(instance, owner, key)
            if kind is None or value is None or isinstance(value, tuple | bool):
                values[key] = value
            else:
                values[key] = target_of(owner, key, Ref(kind=kind, id=str(value)))
        if values == dict(record.custom_fields):
            return record
        return attrs.evolve(record, custom_fields=values)

    def lookup_fields(self) -> Mapping[tuple[str, FieldObject, str], Kind]:
        """Every lookup field the sources describe and what its values name."""
        return {key: kind for key in self._defs if (kind := self.references(*key)) is not None}

    def notes(self) -> tuple[Note, ...]:
        """The dry run's rows: read-only fields left out (values counted) and lookups to
        objects the migration does not carry, kept as the source's ids."""
        notes: list[Note] = []
        left = {(o, k) for (_, o, k), d in self._defs.items() if self._left_out_field(d)}
        for owner, key in sorted(left | set(self._left_out)):
            ids = self._left_out.get((owner, key), [])
            notes.append(
                Note(
                    kind=owner.value,
                    what=f"field {key} left out ({READ_ONLY_POLICY}: computed by the source; "
                    f"give it a type in fields.{owner.value}.{key}.type to keep its values)",
                    count=len(ids),
                    examples=tuple(ids[:_EXAMPLES]),
                )
            )
        kept = {(o, k) for (_, o, k), d in self._defs.items() if _kept_as_source_id(d)}
        for owner, key in sorted(kept):
            ids = self._kept_ids.get((owner, key), [])
            described = next(
                d.description for (_, o, k), d in self._defs.items() if (o, k) == (owner, key)
            )
            notes.append(
                Note(
                    kind=owner.value,
                    what=f"field {key} kept as source ids ({described})",
                    count=len(ids),
                    examples=tuple(ids[:_EXAMPLES]),
                )
            )
        return tuple(notes)


def _kept_as_source_id(definition: FieldDef) -> bool:
    return definition.type is FieldType.TEXT and definition.description.startswith(
        KEPT_AS_SOURCE_ID
    )
