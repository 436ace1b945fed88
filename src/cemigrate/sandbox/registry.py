"""Which emulators exist: their account classes, each the descriptor of its emulator.

Each emulator's folder (``sandbox/<platform>/``) exports its
:class:`~cemigrate.sandbox.web.SandboxAccount` subclass; adding an emulator is one more line
here. ``cemigrate sandbox serve`` builds its options from these classes, the demo and the
cassette recorder build accounts and plan sections through them: none branches on a platform's
name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.web import SandboxAccount, ServeOption
from cemigrate.sandbox.zendesk import ZendeskSandbox

__all__ = ["EMULATORS", "serve_options"]

EMULATORS: Mapping[str, type[SandboxAccount[Any]]] = {
    account.platform: account for account in (ZendeskSandbox, SalesforceSandbox, FreshdeskSandbox)
}
"""Every platform cemigrate emulates, by the name a plan uses."""


def serve_options() -> list[ServeOption]:
    """The options of every emulator, one per name, in the registry's order; where several
    emulators take an option, its choices are all of theirs (each checks its own)."""
    merged: dict[str, ServeOption] = {}
    for account in EMULATORS.values():
        for option in account.serve_options:
            known = merged.get(option.name)
            if known is None:
                merged[option.name] = option
            else:
                more = tuple(c for c in option.choices if c not in known.choices)
                merged[option.name] = attrs.evolve(known, choices=known.choices + more)
    return list(merged.values())
