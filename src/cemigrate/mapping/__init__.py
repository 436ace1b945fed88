"""The mapping step between reading and writing.

A mapping turns a source record into the record the target receives, or skips it under a
named policy. The identity mapping is the default (same-platform copies, the memory adapters);
field maps, value maps and policies are loaded from ``mappings/*.toml``.
"""

from cemigrate.mapping._seam import IDENTITY, IdentityMapping, Mapping, Skip, load_mapping

__all__ = ["IDENTITY", "IdentityMapping", "Mapping", "Skip", "load_mapping"]
