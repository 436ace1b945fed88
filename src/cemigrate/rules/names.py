"""What a rule or SLA policy names by id, set on the record by the source that reads it.

A rule's conditions and actions name groups, agents, organizations and custom fields by their
source ids, in the words of its platform's dialect. The copier links every reference a record
declares before writing it (:func:`cemigrate.schema.linked_refs`), so a source sets a rule's and a
policy's ``names`` when it reads them, through :func:`with_names`.
"""

from __future__ import annotations

from typing import TypeVar

import attrs

from cemigrate.rules.dialect import RuleDialect
from cemigrate.rules.sla import sla_refs
from cemigrate.rules.translate import rule_refs
from cemigrate.schema import Rule, SlaPolicy

__all__ = ["with_names"]

_R = TypeVar("_R", bound=Rule | SlaPolicy)


def with_names(record: _R, dialect: RuleDialect) -> _R:
    """``record`` with its ``names``: the records it names by id, as ``dialect`` reads them."""
    if isinstance(record, Rule):
        return attrs.evolve(record, names=tuple(rule_refs(record, dialect)))
    return attrs.evolve(record, names=tuple(sla_refs(record, dialect)))
