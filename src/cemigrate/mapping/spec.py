"""Every key a mapping file may hold: its type, its allowed values and what it means.

The table is data. The loader validates a file against it (an unknown key, a wrong type or a
value outside its choices is one line naming file, line and key), and
:func:`reference_markdown` renders it as the mapping file reference in ``docs/mapping.md``.
A ``*`` in a path stands for any name chosen by the file (a source value, a field key).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Final

import attrs

from cemigrate.schema import Channel, FieldType, Priority, Status, TicketType

__all__ = [
    "ATTRIBUTES",
    "KEYS",
    "PLATFORMS",
    "POLICIES",
    "KeySpec",
    "find_key",
    "is_table",
    "reference_markdown",
]

PLATFORMS: Final = ("zendesk", "salesforce", "freshdesk", "memory")
"""Platforms a mapping file may name as ``source`` and ``target``."""

POLICIES: Final = ("error", "default", "keep-in-field", "drop")
"""What happens to a value that has no equivalent: the record fails with a reason (``error``),
the ``default`` is used, the default is used and the original is kept in a custom field
(``keep-in-field``), or the value is left out (``drop``). Never silently."""

ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "status": tuple(s.value for s in Status),
    "priority": tuple(p.value for p in Priority),
    "type": tuple(t.value for t in TicketType),
    "channel": tuple(c.value for c in Channel),
}
"""Ticket attributes with value maps, and the schema values each one maps from."""

_FIELD_OBJECTS: Final = ("ticket", "user", "organization")


@attrs.frozen
class KeySpec:
    """One key of a mapping file."""

    path: str
    """Dotted, ``*`` for a name the file chooses."""
    types: tuple[type, ...]
    doc: str
    choices: tuple[str, ...] = ()
    example: str = ""

    @property
    def type_name(self) -> str:
        """How the reference names the type."""
        names = {str: "string", int: "integer", bool: "boolean", float: "number", list: "list"}
        return " or ".join(names.get(t, t.__name__) for t in self.types)


def _value_keys(attribute: str) -> list[KeySpec]:
    choices = ", ".join(ATTRIBUTES[attribute])
    return [
        KeySpec(
            f"{attribute}.map.*",
            (str,),
            f"The target's value for a ticket {attribute} of the source ({choices}).",
            example=f'{attribute}.map.{ATTRIBUTES[attribute][0]} = "..."',
        ),
        KeySpec(
            f"{attribute}.unmapped",
            (str,),
            f"What happens to a {attribute} the map does not list.",
            choices=POLICIES,
        ),
        KeySpec(
            f"{attribute}.default",
            (str,),
            f"The target's {attribute} for unmapped values (``default``, ``keep-in-field``).",
        ),
        KeySpec(
            f"{attribute}.field",
            (str,),
            f"The ticket custom field that keeps the original {attribute} (``keep-in-field``).",
        ),
    ]


def _field_keys(owner: str) -> list[KeySpec]:
    return [
        KeySpec(
            f"fields.{owner}.*.target",
            (str,),
            f"The target's key for this {owner} custom field (default: the same key).",
        ),
        KeySpec(
            f"fields.{owner}.*.type",
            (str,),
            "Convert the values to this field type in the target. A read-only field (a "
            "formula, a roll-up, an auto-number) is left out unless it has a type here.",
            choices=tuple(t.value for t in FieldType),
        ),
        KeySpec(
            f"fields.{owner}.*.options.*",
            (str,),
            "The target's option value for a source option value (dropdown, multiselect)."
            + (" Rules that test or set the field use it too." if owner == "ticket" else ""),
        ),
        KeySpec(
            f"fields.{owner}.*.unmapped",
            (str,),
            "What happens to a value the options do not list or the type cannot hold.",
            choices=POLICIES,
        ),
        KeySpec(
            f"fields.{owner}.*.default",
            (str, int, float, bool),
            "The value used for unmapped values (``default``).",
        ),
        KeySpec(
            f"fields.{owner}.*.drop",
            (bool,),
            "Leave this field and its values out of the target (the dry run lists them).",
        ),
    ]


KEYS: Final[tuple[KeySpec, ...]] = (
    KeySpec("name", (str,), "A name for the mapping (shown in reports)."),
    KeySpec("description", (str,), "What the mapping is for."),
    KeySpec("source", (str,), "The source platform.", choices=PLATFORMS),
    KeySpec("target", (str,), "The target platform.", choices=PLATFORMS),
    *(key for attribute in ATTRIBUTES for key in _value_keys(attribute)),
    *(key for owner in _FIELD_OBJECTS for key in _field_keys(owner)),
    KeySpec(
        "users.match",
        (str,),
        "How a source user is matched to one the target already has: ``email`` (a contact "
        "with the e-mail is adopted where the target adopts them) or ``none``.",
        choices=("email", "none"),
    ),
    KeySpec(
        "users.unmatched_agents",
        (str,),
        "An agent the target has no user for: it fails (``error``) or the fallback agent "
        "takes its place (``fallback``); targets that create agents never need it.",
        choices=("error", "fallback"),
    ),
    KeySpec(
        "users.fallback_agent_email",
        (str,),
        "The target agent who takes the place of unmatched agents (``fallback``).",
    ),
    KeySpec(
        "users.missing",
        (str,),
        "A user a record refers to that the source can no longer produce (deleted for good): "
        'one placeholder "Deleted user <id>" in the target (``placeholder``) or the record '
        "fails naming the reference (``fail``).",
        choices=("placeholder", "fail"),
    ),
    KeySpec("groups.map.*", (str,), "The target group (queue) for a source group, by name."),
    KeySpec(
        "tags.mode",
        (str,),
        "Keep tags natively, or in a custom field where the target has none.",
        choices=("native", "field"),
    ),
    KeySpec("tags.field", (str,), "The ticket custom field that holds the tags (``field``)."),
    KeySpec(
        "comments.*",
        (str,),
        "Comment routing: which target object a kind of comment becomes (``public_email``, "
        "``public_other``, ``private``); the target adapter says which objects it knows.",
    ),
    KeySpec(
        "attachments.max_bytes",
        (int,),
        "Files larger than this are not carried (the policy says how).",
    ),
    KeySpec(
        "attachments.blocked_extensions",
        (list,),
        "File name extensions that are not carried (``exe``, ``bat``).",
    ),
    KeySpec(
        "attachments.policy",
        (str,),
        "A file over the size or of a blocked type: the ticket fails (``error``) or the file is "
        "left out and counted (``drop``).",
        choices=("error", "drop"),
    ),
    KeySpec(
        "dry_run.mask_personal_data",
        (bool,),
        "Mask names, e-mail addresses and bodies in the dry run's examples.",
    ),
)
"""Every key, in the order the reference lists them."""


def find_key(path: Sequence[str]) -> KeySpec | None:
    """The spec a concrete key path matches, or None."""
    for spec in KEYS:
        pattern = spec.path.split(".")
        if len(pattern) == len(path) and all(
            p == "*" or fnmatch.fnmatchcase(part, p) for p, part in zip(pattern, path, strict=True)
        ):
            return spec
    return None


def is_table(path: Sequence[str]) -> bool:
    """Whether some key lives under ``path`` (so ``path`` may be a table)."""
    depth = len(path)
    return any(
        len(spec.path.split(".")) > depth
        and all(p == "*" or p == part for p, part in zip(spec.path.split("."), path, strict=False))
        for spec in KEYS
    )


def reference_markdown() -> str:
    """The mapping file reference, as committed in ``docs/mapping.md``'s key table."""
    lines = [
        "| key | type | choices | meaning |",
        "|---|---|---|---|",
    ]
    for spec in KEYS:
        choices = ", ".join(f"`{c}`" for c in spec.choices)
        lines.append(f"| `{spec.path}` | {spec.type_name} | {choices} | {spec.doc} |")
    return "\n".join(lines) + "\n"
