"""An emulator of Zendesk Support, seeded from the demo dataset (see ``README.md`` beside it).

>>> sandbox = ZendeskSandbox(tickets=20)
>>> session = sandbox.session()
>>> session.get(f"{sandbox.base_url}/api/v2/tickets/1.json").json()["ticket"]["id"]
1
"""

from __future__ import annotations

import requests

from cemigrate.sandbox.http import SandboxClock, SandboxSystemClock, WireFaults
from cemigrate.sandbox.web import SandboxAccount
from cemigrate.sandbox.zendesk.models import ZendeskBackend
from cemigrate.sandbox.zendesk.urls import PLAN_LIMITS, ZendeskApp

__all__ = [
    "DEFAULT_EMAIL",
    "DEFAULT_TOKEN",
    "PLAN_LIMITS",
    "ZendeskSandbox",
    "serve_zendesk",
]

DEFAULT_EMAIL = "admin@demo.example"
"""The agent e-mail the sandbox accepts unless told otherwise."""
DEFAULT_TOKEN = "sandbox-token"
"""The API token (or OAuth bearer token) the sandbox accepts unless told otherwise."""


class ZendeskSandbox(SandboxAccount[ZendeskApp]):
    """One emulated Zendesk account: state, WSGI app, and a session that reaches it in process.

    ``tickets``, ``seed`` and ``instance`` choose the generated help desk; ``plan`` and
    ``high_volume`` the rate limits; ``clock`` drives rate limits, upload expiry and jobs (the
    real clock by default; pass a manual one in tests); ``faults`` wraps the app in fault
    injection. Credentials: Basic ``{email}/token:{token}`` or ``Authorization: Bearer {token}``.
    """

    def __init__(
        self,
        *,
        tickets: int = 2000,
        seed: int = 7,
        instance: str = "demo",
        plan: str = "enterprise",
        high_volume: bool = False,
        clock: SandboxClock | None = None,
        faults: WireFaults | None = None,
        subdomain: str = "demo",
        email: str = DEFAULT_EMAIL,
        token: str = DEFAULT_TOKEN,
        empty: bool = False,
    ) -> None:
        clock = clock or SandboxSystemClock()
        self.subdomain = subdomain
        self.email = email
        self.token = token
        self.backend = ZendeskBackend(
            tickets=tickets,
            seed=seed,
            instance=instance,
            clock=clock,
            empty=empty,
            owner_email=email,
        )
        """The state: every resource as Zendesk JSON (inspect it in tests)."""
        app = ZendeskApp(self.backend, email=email, token=token, plan=plan, high_volume=high_volume)
        super().__init__(app, clock=clock, faults=faults)

    @property
    def zendesk(self) -> ZendeskApp:
        """The emulator without faults (routing, auth, limits)."""
        return self.emulator

    @property
    def base_url(self) -> str:
        """Where the in-process session reaches the sandbox: ``https://{subdomain}.zendesk.com``."""
        return f"https://{self.subdomain}.zendesk.com"

    def authenticate(self, session: requests.Session) -> None:
        """API token credentials: Basic ``{email}/token:{token}``."""
        session.auth = (f"{self.email}/token", self.token)

    def summary(self) -> str:
        """The subdomain and how many tickets the account holds."""
        return f"subdomain={self.subdomain!r}, {len(self.backend.tickets)} tickets"


serve_zendesk = ZendeskSandbox.started
"""``serve_zendesk(port=P, **options)``: a :class:`ZendeskSandbox` built from ``options``,
served on loopback (``cemigrate sandbox serve zendesk``), and its running server."""
