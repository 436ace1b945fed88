"""Source keys: ``<instance>:<kind>:<source id>``, the identity of a record across a migration.

A key is what the ledger tracks and what the target stores as the record's external id, so a
record can be found again after a crash.
"""

from __future__ import annotations

import attrs

from cemigrate.schema.records import Kind, Ref


@attrs.frozen
class SourceKey:
    """The identity of one source record: instance name, kind and source id."""

    instance: str
    kind: Kind
    id: str

    def __str__(self) -> str:
        return f"{self.instance}:{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> SourceKey:
        """Read a key back from its text form (source ids may themselves contain ``:``)."""
        instance, kind, source_id = text.split(":", 2)
        return cls(instance, Kind(kind), source_id)

    @classmethod
    def of(cls, instance: str, ref: Ref) -> SourceKey:
        """The key of the record a reference points at, in the same instance."""
        return cls(instance, ref.kind, ref.id)
