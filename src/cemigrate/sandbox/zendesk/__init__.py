"""An emulator of Zendesk Support, seeded from the demo dataset (see ``README.md`` beside it).

>>> sandbox = ZendeskSandbox(tickets=20)
>>> session = sandbox.session()
>>> session.get(f"{sandbox.base_url}/api/v2/tickets/1.json").json()["ticket"]["id"]
1
"""

from __future__ import annotations

from typing import Any

import requests

from cemigrate.sandbox.http import (
    Clock,
    FaultMiddleware,
    Faults,
    SandboxServer,
    SystemClock,
    WSGIApp,
    mount_sandbox,
    serve,
)
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


class ZendeskSandbox:
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
        clock: Clock | None = None,
        faults: Faults | None = None,
        subdomain: str = "demo",
        email: str = DEFAULT_EMAIL,
        token: str = DEFAULT_TOKEN,
        empty: bool = False,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.subdomain = subdomain
        self.email = email
        self.token = token
        self.backend = ZendeskBackend(
            tickets=tickets,
            seed=seed,
            instance=instance,
            clock=self.clock,
            empty=empty,
            owner_email=email,
        )
        """The state: every resource as Zendesk JSON (inspect it in tests)."""
        self.zendesk = ZendeskApp(
            self.backend, email=email, token=token, plan=plan, high_volume=high_volume
        )
        """The emulator without faults (routing, auth, limits)."""
        self.faults: FaultMiddleware | None = (
            None if faults is None else faults.wrap(self.zendesk, clock=self.clock)
        )
        self.app: WSGIApp = self.zendesk if self.faults is None else self.faults
        """The WSGI application to mount or serve."""

    @property
    def base_url(self) -> str:
        """Where the in-process session reaches the sandbox: ``https://{subdomain}.zendesk.com``."""
        return f"https://{self.subdomain}.zendesk.com"

    def session(self, *, authenticated: bool = True) -> requests.Session:
        """A session with the sandbox mounted at :attr:`base_url` (and the credentials set)."""
        session = mount_sandbox(requests.Session(), self.base_url, self.app)
        if authenticated:
            session.auth = (f"{self.email}/token", self.token)
        return session

    def reset(self) -> None:
        """Back to the freshly seeded state, with full rate-limit buckets."""
        with self.backend.lock:
            self.backend.reset()
            self.zendesk.reset_limits()
            self.zendesk.requests.clear()

    def serve(self, *, port: int = 0, host: str = "127.0.0.1") -> SandboxServer:
        """Serve this sandbox over loopback HTTP from a background thread."""
        return serve(self.app, host=host, port=port)

    def __repr__(self) -> str:
        return f"ZendeskSandbox(subdomain={self.subdomain!r}, {len(self.backend.tickets)} tickets)"


def serve_zendesk(
    *,
    port: int,
    tickets: int = 2000,
    seed: int = 7,
    plan: str = "enterprise",
    host: str = "127.0.0.1",
    **options: Any,
) -> tuple[ZendeskSandbox, SandboxServer]:
    """Start a Zendesk sandbox on ``host:port`` for ``cemigrate sandbox serve zendesk``.

    Returns the sandbox and its running server; the state lives as long as the process (call
    ``server.wait()`` to block, ``server.shutdown()`` to stop). ``options`` go to
    :class:`ZendeskSandbox` (``high_volume``, ``faults``, ``email``, ``token``, ...).
    """
    sandbox = ZendeskSandbox(tickets=tickets, seed=seed, plan=plan, **options)
    return sandbox, sandbox.serve(port=port, host=host)
