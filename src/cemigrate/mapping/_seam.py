"""The mapping seam: the protocol, the identity mapping and the loader.

The mapping step between reading and writing.

A mapping turns a source record into the record the target receives, or skips it under a
named policy. This module holds the seam; the identity mapping is the default (same-platform
copies, the memory adapters). Field maps, value maps and policies are loaded from
``mappings/*.toml`` by :mod:`.engine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import attrs

from cemigrate.schema import Kind, Metadata, Needs, Record


@attrs.frozen
class Skip:
    """A record deliberately not carried over, and the named policy that says so."""

    policy: str


@attrs.frozen
class Refuse:
    """A record the mapping cannot carry over and whose policy says so is an error: it fails
    with this reason (the mapping file and key that decided), and the run goes on."""

    reason: str


class RecordMapping(Protocol):
    """Turns source records into target records; deterministic and total."""

    def apply(self, kind: Kind, record: Record) -> Record | Skip | Refuse:
        """The record to write, a :class:`Skip` naming the policy, or a :class:`Refuse`."""
        ...

    def needs(self) -> Needs:
        """What must exist in the target before records are written."""
        ...

    def bind(self, target: Metadata, sources: Sequence[Metadata] = ()) -> None:
        """Check the mapping against what the target takes and the sources hold; a bad value
        raises :class:`~cemigrate.errors.MappingError` naming the file, line and key."""
        ...


class IdentityMapping:
    """Carries every record over unchanged."""

    def apply(self, kind: Kind, record: Record) -> Record | Skip | Refuse:
        """The record itself."""
        return record

    def needs(self) -> Needs:
        """Nothing beyond what the records themselves create."""
        return Needs()

    def bind(self, target: Metadata, sources: Sequence[Metadata] = ()) -> None:
        """Nothing to check: every record goes over as it is."""


IDENTITY = IdentityMapping()
"""The default mapping."""
