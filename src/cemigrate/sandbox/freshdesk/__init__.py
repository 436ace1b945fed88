"""An emulator of Freshdesk API v2, seeded from the demo dataset (see ``README.md`` beside it).

>>> sandbox = FreshdeskSandbox(tickets=20)
>>> session = sandbox.session()
>>> session.get(f"{sandbox.base_url}/api/v2/tickets/1").json()["id"]
1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

import requests

from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.freshdesk.models import FreshdeskBackend
from cemigrate.sandbox.freshdesk.seed import TICKET_TYPE_KEY
from cemigrate.sandbox.freshdesk.urls import PLAN_LIMITS, FreshdeskApp
from cemigrate.sandbox.http import SandboxClock, SandboxSystemClock, WireFaults
from cemigrate.sandbox.web import SandboxAccount, ServeOption, seats
from cemigrate.schema import FieldObject, Role

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_OWNER_EMAIL",
    "PLAN_LIMITS",
    "FreshdeskSandbox",
    "desk_ticket_types",
    "serve_freshdesk",
]

DEFAULT_API_KEY = "sandbox-api-key"
"""The API key the sandbox accepts unless told otherwise."""
DEFAULT_OWNER_EMAIL = "admin@demo.example"
"""The e-mail of the account owner of an empty sandbox."""


class FreshdeskSandbox(SandboxAccount[FreshdeskApp]):
    """One emulated Freshdesk account: state, WSGI app, and a session that reaches it in process.

    ``tickets``, ``seed`` and ``instance`` choose the generated help desk; ``plan`` the rate
    limits (``growth``, ``pro``, ``enterprise``, ``purchased_1000``, ``purchased_2000``);
    ``clock`` drives rate limits and the desk's "now" (the real clock by default; pass a
    manual one in tests); ``faults`` wraps the app in fault injection; ``empty`` gives a new
    account (its owner and Freshdesk's default fields only). Credentials: HTTP Basic with the
    API key as user name and any password.
    """

    platform = "freshdesk"
    serve_options = (
        ServeOption(
            name="plan",
            default="enterprise",
            choices=tuple(PLAN_LIMITS),
            help="the account's plan: its rate limits (enterprise)",
        ),
    )
    credential_env: ClassVar[Mapping[str, str]] = {"api_key": "FRESHDESK_API_KEY"}

    def __init__(
        self,
        *,
        tickets: int = 2000,
        seed: int = 7,
        instance: str = "demo",
        plan: str = "enterprise",
        clock: SandboxClock | None = None,
        faults: WireFaults | None = None,
        domain: str = "demo.freshdesk.com",
        api_key: str = DEFAULT_API_KEY,
        empty: bool = False,
    ) -> None:
        if plan not in PLAN_LIMITS:
            raise ValueError(f"unknown Freshdesk plan {plan!r}; one of {sorted(PLAN_LIMITS)}")
        clock = clock or SandboxSystemClock()
        self.domain = domain
        self.plan = plan
        self.api_key = api_key
        self.backend = FreshdeskBackend(
            tickets=tickets,
            seed=seed,
            instance=instance,
            clock=clock,
            empty=empty,
            owner_email=DEFAULT_OWNER_EMAIL,
        )
        """The state: every object as Freshdesk JSON (inspect it in tests)."""
        app = FreshdeskApp(self.backend, api_key=api_key, plan=plan)
        super().__init__(app, clock=clock, faults=faults)

    @property
    def freshdesk(self) -> FreshdeskApp:
        """The emulator without faults (routing, auth, limits)."""
        return self.emulator

    @property
    def base_url(self) -> str:
        """Where the in-process session reaches the sandbox: ``https://{domain}``."""
        return f"https://{self.domain}"

    def authenticate(self, session: requests.Session) -> None:
        """HTTP Basic with the API key as user name (the password is ignored)."""
        session.auth = (self.api_key, "X")

    def add_agent(self, *, name: str, email: str, admin: bool = False) -> dict[str, Any]:
        """Add an agent who exists before a migration (a paid seat); its JSON."""
        with self.backend.lock:
            return self.backend.add_agent(name=name, email=email, admin=admin)

    def add_ticket_types(self, names: Iterable[str]) -> list[str]:
        """Add ticket types to the account's Type field, as an admin does in the web app before
        a migration; the account's types after."""
        with self.backend.lock:
            return self.backend.add_ticket_types(names)

    def summary(self) -> str:
        """The domain and how many tickets the account holds."""
        return f"domain={self.domain!r}, {len(self.backend.ticket_keys)} tickets"

    @classmethod
    def named(cls, name: str, **options: Any) -> Self:
        """The account at ``https://{name}.freshdesk.com``."""
        return cls(domain=f"{name}.freshdesk.com", **options)

    def limits(self) -> str:
        """``plan enterprise``."""
        return f"plan {self.plan}"

    def sign_in(self) -> str:
        """The API key (HTTP Basic user name)."""
        return f"API key {self.api_key} (HTTP Basic, any password)"

    def credentials(self, *, login: bool = False) -> dict[str, str]:
        """``api_key``."""
        return {"api_key": self.api_key}

    def seeded_desk(self) -> HelpDesk | None:
        """The desk the account was seeded from (``None`` when empty)."""
        return self.backend.desk

    def add_seats(self, desk: HelpDesk) -> None:
        """What an administrator sets up before a migration: Freshdesk agents are paid seats
        (one for each of the desk's agents and admins), and the desk's ticket types are added
        to the Type field (the API cannot add them: ``docs/freshdesk.md``)."""
        for person in seats(desk):
            email = (person.email or "").lower()
            self.add_agent(name=person.name, email=email, admin=person.role is Role.ADMIN)
        self.add_ticket_types(desk_ticket_types(desk))


def desk_ticket_types(desk: HelpDesk) -> list[str]:
    """The account-defined ticket types a help desk holds: the options of its ``ticket_type``
    ticket field (Freshdesk's own Type field; the schema's four types are always there)."""
    return [
        option.value
        for field in desk.fields
        if field.object is FieldObject.TICKET and field.key == TICKET_TYPE_KEY
        for option in field.options
    ]


serve_freshdesk = FreshdeskSandbox.started
"""``serve_freshdesk(port=P, **options)``: a :class:`FreshdeskSandbox` built from ``options``,
served on loopback (``cemigrate sandbox serve freshdesk``), and its running server."""
