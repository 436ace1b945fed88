"""The mapping step between reading and writing.

A mapping turns a source record into the record the target receives, skips it under a named
policy, or refuses it with a reason. The identity mapping is the default (same-platform copies,
the memory adapters); value maps, field maps and policies are loaded from ``mappings/*.toml``
(:func:`load_mapping`; every key in :mod:`cemigrate.mapping.spec` and ``docs/mapping.md``).
The files cemigrate ships for each pair are found with :func:`shipped_mapping`. After the
mapping, every ticket's comment bodies lose their links to the source account's attachment
addresses (:func:`rewrite_inline`), whatever the target. Lookup fields and read-only
(computed) fields are the :class:`FieldStep`'s. A masked rehearsal's :class:`Mask` replaces
personal data after all of that (:mod:`cemigrate.mapping.mask`).
"""

from cemigrate.mapping._seam import IDENTITY, IdentityMapping, RecordMapping, Refuse, Skip
from cemigrate.mapping.engine import MappingFile, Note, Transform, load_mapping
from cemigrate.mapping.fieldstep import KEPT_AS_SOURCE_ID, READ_ONLY_POLICY, FieldStep
from cemigrate.mapping.inline import attachment_prefix, linked_prefixes, rewrite_inline
from cemigrate.mapping.mask import Mask, MaskSettings
from cemigrate.mapping.shipped import shipped_mapping, shipped_mappings

__all__ = [
    "IDENTITY",
    "KEPT_AS_SOURCE_ID",
    "READ_ONLY_POLICY",
    "FieldStep",
    "IdentityMapping",
    "MappingFile",
    "Mask",
    "MaskSettings",
    "Note",
    "RecordMapping",
    "Refuse",
    "Skip",
    "Transform",
    "attachment_prefix",
    "linked_prefixes",
    "load_mapping",
    "rewrite_inline",
    "shipped_mapping",
    "shipped_mappings",
]
