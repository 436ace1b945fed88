"""The mapping seam: the protocol, the identity mapping and the loader.

The mapping step between reading and writing.

A mapping turns a source record into the record the target receives, or skips it under a
named policy. This package holds the seam and the loader; the identity mapping is the default
(same-platform copies, the memory adapters). Field maps, value maps and policies are loaded from
``mappings/*.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import attrs

from cemigrate.adapters import Needs
from cemigrate.errors import MappingError
from cemigrate.schema import Kind, Record
from cemigrate.tomlfile import TomlFile


@attrs.frozen
class Skip:
    """A record deliberately not carried over, and the named policy that says so."""

    policy: str


class Mapping(Protocol):
    """Turns source records into target records; deterministic and total."""

    def apply(self, kind: Kind, record: Record) -> Record | Skip:
        """The record to write, or a :class:`Skip` naming the policy."""
        ...

    def needs(self) -> Needs:
        """What must exist in the target before records are written."""
        ...


class IdentityMapping:
    """Carries every record over unchanged."""

    def apply(self, kind: Kind, record: Record) -> Record | Skip:
        """The record itself."""
        return record

    def needs(self) -> Needs:
        """Nothing beyond what the records themselves create."""
        return Needs()


IDENTITY = IdentityMapping()
"""The default mapping."""

_KNOWN_KEYS = frozenset({"name", "description", "source", "target"})


def load_mapping(path: str | Path) -> Mapping:
    """Load a mapping file; a missing or malformed one raises a one-line :class:`MappingError`."""
    file = TomlFile.load(path, error=MappingError, what="mapping")
    for key in file.data:
        if key not in _KNOWN_KEYS:
            known = ", ".join(sorted(_KNOWN_KEYS))
            raise file.error([key], f"unknown key (known: {known})", error=MappingError)
    return IDENTITY
