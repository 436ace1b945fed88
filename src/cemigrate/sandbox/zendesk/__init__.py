"""An emulator of Zendesk Support, seeded from the demo dataset (see ``README.md`` beside it).

>>> sandbox = ZendeskSandbox(tickets=20)
>>> session = sandbox.session()
>>> session.get(f"{sandbox.base_url}/api/v2/tickets/1.json").json()["ticket"]["id"]
1
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Self

import requests

from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.http import SandboxClock, SandboxSystemClock, WireFaults
from cemigrate.sandbox.web import SandboxAccount, ServeOption
from cemigrate.sandbox.zendesk.models import ZendeskBackend
from cemigrate.sandbox.zendesk.urls import PLAN_LIMITS, ZendeskApp

__all__ = [
    "DEFAULT_EMAIL",
    "DEFAULT_OAUTH_TOKEN",
    "DEFAULT_TOKEN",
    "PLAN_LIMITS",
    "ZendeskSandbox",
    "serve_zendesk",
]

DEFAULT_EMAIL = "admin@demo.example"
"""The agent e-mail the sandbox accepts unless told otherwise."""
DEFAULT_TOKEN = "sandbox-token"
"""The API token the sandbox accepts (Basic ``{email}/token:{token}``) unless told otherwise."""
DEFAULT_OAUTH_TOKEN = "sandbox-oauth-token"
"""The OAuth access token the sandbox accepts (``Authorization: Bearer``) unless told otherwise.
An API token sent as a bearer token is refused with 401, as Zendesk refuses it."""


class ZendeskSandbox(SandboxAccount[ZendeskApp]):
    """One emulated Zendesk account: state, WSGI app, and a session that reaches it in process.

    ``tickets``, ``seed`` and ``instance`` choose the generated help desk; ``plan`` and
    ``high_volume`` the rate limits; ``clock`` drives rate limits, upload expiry and jobs (the
    real clock by default; pass a manual one in tests); ``start`` is the account's wall-clock
    time when it is seeded (the host's clock by default); ``faults`` wraps the app in fault
    injection. Credentials: Basic ``{email}/token:{token}`` (an API token) or
    ``Authorization: Bearer {oauth_token}`` (an OAuth access token; never the API token). The
    owner ``email`` is an admin user of the account from the start.
    """

    platform = "zendesk"
    serve_options = (
        ServeOption(
            name="plan",
            default="enterprise",
            choices=tuple(PLAN_LIMITS),
            help="the account's plan: its rate limits (enterprise)",
        ),
        ServeOption(name="high_volume", default=False, help="the High Volume add-on's rate limits"),
    )
    credential_env: ClassVar[Mapping[str, str]] = {
        "email": "ZENDESK_EMAIL",
        "token": "ZENDESK_TOKEN",
    }

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
        oauth_token: str = DEFAULT_OAUTH_TOKEN,
        start: datetime | None = None,
    ) -> None:
        clock = clock or SandboxSystemClock()
        self.subdomain = subdomain
        self.plan = plan
        self.high_volume = high_volume
        self.email = email
        self.token = token
        self.oauth_token = oauth_token
        self.backend = ZendeskBackend(
            tickets=tickets,
            seed=seed,
            instance=instance,
            clock=clock,
            empty=empty,
            owner_email=email,
            subdomain=subdomain,
            start=start,
        )
        """The state: every resource as Zendesk JSON (inspect it in tests)."""
        app = ZendeskApp(
            self.backend,
            email=email,
            token=token,
            plan=plan,
            high_volume=high_volume,
            oauth_token=oauth_token,
        )
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

    @classmethod
    def named(cls, name: str, **options: Any) -> Self:
        """The account at ``https://{name}.zendesk.com``."""
        return cls(subdomain=name, **options)

    def limits(self) -> str:
        """``plan enterprise``, ``, high volume`` with the add-on."""
        return f"plan {self.plan}{', high volume' if self.high_volume else ''}"

    def sign_in(self) -> str:
        """The agent's e-mail and the API token."""
        return f"e-mail {self.email}, API token {self.token}"

    def credentials(self, *, login: bool = False) -> dict[str, str]:
        """``email`` and ``token`` (an API token; the same whether logging in or not)."""
        return {"email": self.email, "token": self.token}

    def seeded_desk(self) -> HelpDesk | None:
        """The desk the account was seeded from."""
        return self.backend.desk


serve_zendesk = ZendeskSandbox.started
"""``serve_zendesk(port=P, **options)``: a :class:`ZendeskSandbox` built from ``options``,
served on loopback (``cemigrate sandbox serve zendesk``), and its running server."""
