"""A normalised view over the schema's :class:`~cemigrate.schema.Rule`.

Each platform names the same ideas differently: Zendesk's ``group_id`` condition, Freshdesk's
``group_id`` property of a dispatcher rule and a Salesforce assignment rule's queue are all
"the ticket's group". :func:`normalise` reads a rule in its platform's vocabulary and returns a
:class:`NormalRule` in one vocabulary:

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
import re
from collections.abc import Mapping
from typing import Final

import attrs

from cemigrate.schema import Condition, JsonValue, Rule, RuleKind


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


def normalise(rule: Rule, platform: str) -> NormalRule:
    """``rule`` (read from ``platform``: ``zendesk``, ``freshdesk`` or ``salesforce``) in the
    common vocabulary."""
    if platform in ("zendesk", "memory"):  # the memory adapter holds the demo's Zendesk rules
        return _zendesk(rule, platform)
    if platform == "freshdesk":
        return _freshdesk(rule)
    if platform == "salesforce":
        if rule.kind is RuleKind.FLOW:
            from cemigrate.rules.salesforce import normalise_flow  # it builds on this module

            return normalise_flow(rule)
        if rule.kind in _OPAQUE_EVENTS and isinstance(rule.raw.get("entry"), Mapping):
            from cemigrate.rules.salesforce import normalise_entry

            return normalise_entry(rule)
        return _opaque(rule, platform)
    raise ValueError(f"rules: unknown platform {platform!r}")


# --- shared -------------------------------------------------------------------------------

_MANUAL_KINDS: Final[frozenset[RuleKind]] = frozenset({RuleKind.MACRO, RuleKind.VIEW, RuleKind.SLA})


def _tags(value: JsonValue) -> JsonValue:
    """Tags as a sorted list, from a space-separated string or a list."""
    words = [str(v) for v in value] if isinstance(value, list) else str(value or "").split()
    out: list[JsonValue] = [*sorted({w.lower() for w in words})]
    return out


def _text(value: JsonValue) -> JsonValue:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


# --- Zendesk -------------------------------------------------------------------------------

_ZENDESK_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "type": "type",
    "ticket_type_id": "type",
    "group_id": "group",
    "assignee_id": "assignee",
    "requester_id": "requester",
    "organization_id": "organization",
    "current_tags": "tags",
    "subject_includes_word": "subject",
    "comment_includes_word": "comment",
    "comment_is_public": "comment_public",
    "satisfaction_score": "satisfaction",
    "via_id": "channel",
    "brand_id": "brand",
    "ticket_form_id": "form",
    "locale_id": "locale",
}
_ZENDESK_OPERATORS: Final[Mapping[str, str]] = {
    "value": "changed_to",
    "value_previous": "changed_from",
    "not_value": "not_changed_to",
    "not_value_previous": "not_changed_from",
}
_ZENDESK_HOURS: Final[frozenset[str]] = frozenset(
    {"NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "CLOSED"}
)
"""Time conditions of automations named by status (hours since the ticket became ...)."""
_ZENDESK_HOURS_SINCE: Final[frozenset[str]] = frozenset(
    {
        "assigned_at",
        "updated_at",
        "requester_updated_at",
        "assignee_updated_at",
        "due_date",
        "until_due_date",
        "created_at",
    }
)
_ZENDESK_NOTIFY: Final[frozenset[str]] = frozenset(
    {
        "notification_user",
        "notification_group",
        "notification_sms_user",
        "notification_sms_group",
        "notification_messaging_csat",
        "cc",
        "follower",
    }
)
_ZENDESK_WEBHOOK: Final[frozenset[str]] = frozenset({"notification_webhook", "notification_target"})
_ZENDESK_COMMENT: Final[frozenset[str]] = frozenset(
    {"comment_value", "comment_value_html", "comment_mode_is_public", "subject"}
)
_CUSTOM = re.compile(r"^custom_fields_(\w+)$")


def _zendesk_field(name: str) -> str:
    if name in _ZENDESK_FIELDS:
        return _ZENDESK_FIELDS[name]
    if name in _ZENDESK_HOURS:
        return f"hours_since:{name.lower()}"
    if name in _ZENDESK_HOURS_SINCE:
        return f"hours_since:{name.removesuffix('_at')}"
    custom = _CUSTOM.match(name)
    if custom:
        return f"custom:{custom.group(1)}"
    return f"zendesk:{name}"


def _zendesk_condition(c: Condition) -> NormalCondition:
    field = _zendesk_field(c.field)
    operator = _ZENDESK_OPERATORS.get(c.operator, c.operator)
    value: JsonValue = _tags(c.value) if field == "tags" else _text(c.value)
    if field in ("status", "priority", "type") and isinstance(value, str):
        value = value.lower()
    return NormalCondition(field=field, operator=operator, value=value, source_field=c.field)


def _zendesk_action(field: str, value: JsonValue) -> NormalAction:
    if field == "current_tags":
        return NormalAction(
            kind=ActionKind.ADD_TAGS, field="tags", value=_tags(value), source_field=field
        )
    if field == "remove_tags":
        return NormalAction(
            kind=ActionKind.REMOVE_TAGS, field="tags", value=_tags(value), source_field=field
        )
    if field == "set_tags":
        return NormalAction(
            kind=ActionKind.SET_TAGS, field="tags", value=_tags(value), source_field=field
        )
    if field in _ZENDESK_NOTIFY:
        return NormalAction(
            kind=ActionKind.NOTIFY, field="notify", value=_text(value), source_field=field
        )
    if field in _ZENDESK_WEBHOOK:
        return NormalAction(
            kind=ActionKind.WEBHOOK, field="webhook", value=_text(value), source_field=field
        )
    if field in _ZENDESK_COMMENT:
        return NormalAction(
            kind=ActionKind.COMMENT, field="comment", value=_text(value), source_field=field
        )
    normal = _zendesk_field(field)
    kind = {"group": ActionKind.ASSIGN_GROUP, "assignee": ActionKind.ASSIGN_AGENT}.get(
        normal, ActionKind.SET_FIELD
    )
    out = _text(value)
    if normal in ("status", "priority", "type") and isinstance(out, str):
        out = out.lower()
    return NormalAction(kind=kind, field=normal, value=out, source_field=field)


def _zendesk(rule: Rule, platform: str) -> NormalRule:
    if rule.kind in _MANUAL_KINDS:
        events = frozenset({Event.MANUAL})
    elif rule.kind is RuleKind.AUTOMATION:
        events = frozenset({Event.TIME_BASED})
    else:
        events = frozenset({Event.CREATED, Event.UPDATED})
    all_of: list[NormalCondition] = []
    for c in rule.conditions_all:
        if c.field == "update_type" and c.operator in ("is", "is_not"):
            # "Ticket is Created/Updated" is the trigger's event, not a ticket field.
            created = str(c.value).lower() == "create"
            wanted = Event.CREATED if created == (c.operator == "is") else Event.UPDATED
            events = events & {wanted}
            continue
        all_of.append(_zendesk_condition(c))
    return NormalRule(
        rule=rule,
        platform=platform,
        events=events,
        conditions_all=tuple(all_of),
        conditions_any=tuple(_zendesk_condition(c) for c in rule.conditions_any),
        actions=tuple(_zendesk_action(a.field, a.value) for a in rule.actions),
    )


# --- Freshdesk -----------------------------------------------------------------------------

_FRESHDESK_EVENTS: Final[Mapping[RuleKind, Event]] = {
    RuleKind.DISPATCHER: Event.CREATED,
    RuleKind.OBSERVER: Event.UPDATED,
    RuleKind.SUPERVISOR: Event.TIME_BASED,
}
_FRESHDESK_FIELDS: Final[Mapping[str, str]] = {
    "status": "status",
    "priority": "priority",
    "ticket_type": "type",
    "group_id": "group",
    "responder_id": "assignee",
    "requester_id": "requester",
    "company_id": "organization",
    "tag_names": "tags",
    "tags": "tags",
    "subject": "subject",
    "description": "description",
    "subject_or_description": "subject",
    "source": "channel",
    "from_email": "requester_email",
    "product_id": "product",
}
_FRESHDESK_STATUS: Final[Mapping[str, str]] = {
    "2": "open",
    "3": "pending",
    "4": "solved",
    "5": "closed",
}
_FRESHDESK_PRIORITY: Final[Mapping[str, str]] = {
    "1": "low",
    "2": "normal",
    "3": "high",
    "4": "urgent",
}
_FRESHDESK_OPERATORS: Final[Mapping[str, str]] = {
    "in": "is",
    "not_in": "is_not",
    "does_not_contain": "not_contains",
    "is_any_of": "is",
    "is_none_of": "is_not",
}
_FRESHDESK_NOTIFY: Final[frozenset[str]] = frozenset(
    {
        "send_email_to_requester",
        "send_email_to_group",
        "send_email_to_agent",
        "add_watcher",
        "add_a_cc",
        "forward_ticket",
    }
)


def _freshdesk_field(name: str) -> str:
    if name in _FRESHDESK_FIELDS:
        return _FRESHDESK_FIELDS[name]
    if name.startswith("hours_since_"):
        return "hours_since:" + name.removeprefix("hours_since_")
    if name.startswith("cf_"):
        return f"custom:{name}"
    return f"freshdesk:{name}"


def _freshdesk_value(field: str, value: JsonValue) -> JsonValue:
    if isinstance(value, list):
        return [_freshdesk_value(field, v) for v in value]
    if field == "tags":
        return _tags(value)
    table = {"status": _FRESHDESK_STATUS, "priority": _FRESHDESK_PRIORITY}.get(field)
    text = _text(value)
    if table is not None and isinstance(text, str):
        return table.get(text, text.lower())
    return text


def _freshdesk(rule: Rule) -> NormalRule:
    event = _FRESHDESK_EVENTS.get(rule.kind)
    events = frozenset({event}) if event else frozenset({Event.MANUAL})

    def condition(c: Condition) -> NormalCondition:
        field = _freshdesk_field(c.field)
        return NormalCondition(
            field=field,
            operator=_FRESHDESK_OPERATORS.get(c.operator, c.operator),
            value=_freshdesk_value(field, c.value),
            source_field=c.field,
        )

    actions: list[NormalAction] = []
    for a in rule.actions:
        name = a.field
        if name == "add_tag":
            kind, field = ActionKind.ADD_TAGS, "tags"
        elif name in _FRESHDESK_NOTIFY:
            kind, field = ActionKind.NOTIFY, "notify"
        elif name == "trigger_webhook":
            kind, field = ActionKind.WEBHOOK, "webhook"
        elif name in ("add_note", "add_comment"):
            kind, field = ActionKind.COMMENT, "comment"
        elif name in ("delete_ticket", "mark_as_spam", "skip_notification"):
            kind, field = ActionKind.OTHER, f"freshdesk:{name}"
        else:
            field = _freshdesk_field(name)
            kind = {"group": ActionKind.ASSIGN_GROUP, "assignee": ActionKind.ASSIGN_AGENT}.get(
                field, ActionKind.SET_FIELD
            )
        actions.append(
            NormalAction(
                kind=kind, field=field, value=_freshdesk_value(field, a.value), source_field=name
            )
        )
    return NormalRule(
        rule=rule,
        platform="freshdesk",
        events=events,
        conditions_all=tuple(condition(c) for c in rule.conditions_all),
        conditions_any=tuple(condition(c) for c in rule.conditions_any),
        actions=tuple(actions),
    )


# --- Salesforce (and rules whose entries the adapter does not read) ------------------------

_OPAQUE_EVENTS: Final[Mapping[RuleKind, Event]] = {
    RuleKind.ASSIGNMENT: Event.CREATED,
    RuleKind.ESCALATION: Event.TIME_BASED,
}


def _opaque(rule: Rule, platform: str) -> NormalRule:
    """Assignment and escalation rules read without their entries (the org refused
    ``readMetadata``): only when they run is known (the payload stays in ``raw``)."""
    event = _OPAQUE_EVENTS.get(rule.kind, Event.MANUAL)
    return NormalRule(
        rule=rule,
        platform=platform,
        events=frozenset({event}),
        conditions_all=(),
        conditions_any=(),
        actions=(),
        opaque=True,
    )
