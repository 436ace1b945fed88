"""A normalised view over the schema's :class:`~cemigrate.schema.Rule`.

Each platform names the same ideas differently: Zendesk's ``group_id`` condition, Freshdesk's
``group_id`` property of a dispatcher rule and a Salesforce assignment rule's queue are all
"the ticket's group". Each platform's :class:`~cemigrate.rules.dialect.RuleDialect` (beside
its adapter) reads a rule in its vocabulary and returns a :class:`NormalRule` in one
vocabulary:

- **events**: when the rule runs: ``created``, ``updated``, ``time_based`` (hourly), or
  ``manual`` (macros, views, SLA policies: a person applies them, they never fire on their own);
- **conditions**: ``field operator value``, under ``all`` or ``any``; fields are ``status``,
  ``priority``, ``type``, ``group``, ``assignee``, ``requester``, ``organization``, ``tags``,
  ``custom:<field id or key>``, ``hours_since:<what>`` and ``<platform>:<name>`` for anything
  else; operators are ``is``, ``is_not``, ``less_than``, ``greater_than``, ``includes``,
  ``not_includes``, ``changed``, ``not_changed``, ``changed_to``, ``changed_from``, ... ;
- **actions**: a kind (:class:`ActionKind`), the field it touches and the value.

Statuses and priorities are named the schema's way (``open``, ``pending``, ``solved``;
``low``, ``normal``, ``high``, ``urgent``) whatever the platform's codes. The rule itself
(with its platform payload in ``raw``) travels along, so nothing is lost.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

from cemigrate.schema import JsonValue, Rule, RuleKind


class Event(enum.StrEnum):
    """When a rule runs."""

    CREATED = "created"
    UPDATED = "updated"
    TIME_BASED = "time_based"
    MANUAL = "manual"


class ActionKind(enum.StrEnum):
    """What an action does to a ticket."""

    SET_FIELD = "set_field"
    ASSIGN_GROUP = "assign_group"
    ASSIGN_AGENT = "assign_agent"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    SET_TAGS = "set_tags"
    NOTIFY = "notify"
    WEBHOOK = "webhook"
    COMMENT = "comment"
    OTHER = "other"


WRITES: Final[frozenset[ActionKind]] = frozenset(
    {ActionKind.SET_FIELD, ActionKind.ASSIGN_GROUP, ActionKind.ASSIGN_AGENT}
)
"""Action kinds that set a field to one value (the last one to run wins)."""

TAG_ACTIONS: Final[frozenset[ActionKind]] = frozenset(
    {ActionKind.ADD_TAGS, ActionKind.REMOVE_TAGS, ActionKind.SET_TAGS}
)
"""Action kinds that change a ticket's tags."""

STATUS_ORDER: Final[tuple[str, ...]] = ("new", "open", "pending", "hold", "solved", "closed")
"""Statuses in the order ``less_than`` and ``greater_than`` compare them."""

PRIORITY_ORDER: Final[tuple[str, ...]] = ("low", "normal", "high", "urgent")
"""Priorities in the order ``less_than`` and ``greater_than`` compare them."""


@attrs.frozen(kw_only=True)
class NormalCondition:
    """One condition in the common vocabulary; ``source_field`` is the platform's own name."""

    field: str
    operator: str
    value: JsonValue = None
    source_field: str = ""


@attrs.frozen(kw_only=True)
class NormalAction:
    """One action in the common vocabulary; ``source_field`` is the platform's own name."""

    kind: ActionKind
    field: str
    value: JsonValue = None
    source_field: str = ""


@attrs.frozen(kw_only=True)
class NormalRule:
    """A rule read into the common vocabulary, with the schema rule (and its payload) kept."""

    rule: Rule
    platform: str
    events: frozenset[Event]
    conditions_all: tuple[NormalCondition, ...]
    conditions_any: tuple[NormalCondition, ...]
    actions: tuple[NormalAction, ...]
    opaque: bool = False
    """The platform keeps this rule's conditions and actions where the adapter does not read
    them (Salesforce metadata): only its events and ``raw`` are known."""

    @property
    def id(self) -> str:
        """The rule's id on its platform."""
        return self.rule.id

    @property
    def kind(self) -> RuleKind:
        """The rule's kind (trigger, automation, ...)."""
        return self.rule.kind

    @property
    def active(self) -> bool:
        """Whether the platform runs the rule."""
        return self.rule.active

    @property
    def automatic(self) -> bool:
        """Whether the rule runs on its own (not a macro, view or SLA policy)."""
        return Event.MANUAL not in self.events and not self.opaque

    @property
    def time_based(self) -> bool:
        """Whether the rule runs hourly."""
        return Event.TIME_BASED in self.events


MANUAL_KINDS: Final[frozenset[RuleKind]] = frozenset({RuleKind.MACRO, RuleKind.VIEW, RuleKind.SLA})
"""Kinds a person applies (macros, views, SLA policies): they never fire on their own."""


def tag_list(value: JsonValue) -> JsonValue:
    """Tags as a sorted list of lower-case words, from a space-separated string or a list."""
    words = [str(v) for v in value] if isinstance(value, list) else str(value or "").split()
    out: list[JsonValue] = [*sorted({w.lower() for w in words})]
    return out


def as_text(value: JsonValue) -> JsonValue:
    """Numbers as text (ids compare as text whatever the platform's JSON), lists item by item;
    booleans and ``None`` as they are."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [as_text(v) for v in value]
    return value
