"""An emulator of Salesforce Service Cloud's REST surface, seeded from the demo dataset.

See ``README.md`` beside it for what is served and how the help desk is seeded.

>>> sandbox = SalesforceSandbox(tickets=20)
>>> session = sandbox.session()
>>> url = f"{sandbox.base_url}/services/data/v59.0/query"
>>> session.get(url, params={"q": "SELECT COUNT() FROM Case"}).json()["totalSize"]
19
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import requests

from cemigrate.sandbox.dataset import HelpDesk
from cemigrate.sandbox.http import SandboxClock, SandboxSystemClock, WireFaults
from cemigrate.sandbox.salesforce.models import ORG_ID, SalesforceBackend
from cemigrate.sandbox.salesforce.seed import seed_desk, seed_from
from cemigrate.sandbox.salesforce.urls import SalesforceApp
from cemigrate.sandbox.web import SandboxAccount, ServeOption, seats
from cemigrate.schema import Role

EDITIONS: dict[str, tuple[int, int]] = {
    # edition: (daily API requests of the org, more per user licence), as the platform grants
    "professional": (100_000, 1_000),
    "enterprise": (100_000, 1_000),
    "unlimited": (100_000, 5_000),
    "performance": (100_000, 5_000),
    "developer": (15_000, 0),
    "full_sandbox": (5_000_000, 0),
}
"""The rolling 24-hour API allocation the emulated org has, by edition (the emulator is the
platform: it does not ask the client library's budgets)."""


def daily_allowance_of(edition: str, licences: int) -> int:
    """The emulated org's daily API allocation for an edition and a number of licences."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown Salesforce edition {edition!r}; one of {sorted(EDITIONS)}")
    base, per_licence = EDITIONS[edition]
    return base + per_licence * max(0, licences)


__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PASSWORD",
    "DEFAULT_SECURITY_TOKEN",
    "DEFAULT_USERNAME",
    "EDITIONS",
    "LOGIN_URLS",
    "SalesforceSandbox",
    "daily_allowance_of",
    "serve_salesforce",
]

DEFAULT_USERNAME = "admin@demo.example"
"""The API user's username (a System Administrator)."""
DEFAULT_PASSWORD = "sandbox-password"
"""The API user's password."""
DEFAULT_SECURITY_TOKEN = "sandboxSecurityToken"
"""The API user's security token (appended to the password on SOAP login)."""
DEFAULT_CLIENT_ID = "sandbox-consumer-key"
"""The connected app's consumer key (OAuth ``client_id``)."""
DEFAULT_CLIENT_SECRET = "sandbox-consumer-secret"
"""The connected app's consumer secret."""
LOGIN_URLS = ("https://login.salesforce.com", "https://test.salesforce.com")
"""Login hosts the in-process session also reaches the sandbox at."""


class SalesforceSandbox(SandboxAccount[SalesforceApp]):
    """One emulated Salesforce org: state, WSGI app, and a session that reaches it in process.

    ``tickets``, ``seed`` and ``instance`` choose the generated help desk (``empty=True``: setup
    data only; ``desk``: this help desk instead); ``edition`` and ``licences`` the rolling
    24-hour API allowance (``daily_allowance`` overrides it); ``concurrency`` the simultaneous
    requests allowed; ``audit_fields`` the org's "Set Audit Fields upon Record Creation";
    ``deploy_flows_active`` its "Deploy processes and flows as active" (else a Flow saved Active
    is refused); ``entitlements_enabled`` its Entitlement Management (entitlement processes);
    ``person_accounts`` its Person Accounts (seeded end users without an organization are
    Person Accounts; ``person_record_type`` on the backend is their record type);
    ``clock`` drives time, limits and Bulk jobs (pass a manual one in tests); ``faults`` wraps
    the app.
    """

    platform = "salesforce"
    noun = "org"
    serve_options = (
        ServeOption(
            name="edition",
            default="enterprise",
            choices=("professional", "enterprise", "unlimited", "performance", "developer"),
            help="salesforce: the org's edition, for its daily API allowance (enterprise)",
        ),
        ServeOption(name="licences", default=20, minimum=0, help="salesforce: user licences (20)"),
    )
    credential_env: ClassVar[Mapping[str, str]] = {
        "access_token": "SALESFORCE_ACCESS_TOKEN",
        "username": "SALESFORCE_USERNAME",
        "password": "SALESFORCE_PASSWORD",
        "security_token": "SALESFORCE_SECURITY_TOKEN",
    }
    login_urls = LOGIN_URLS

    def __init__(
        self,
        *,
        tickets: int = 2000,
        seed: int = 7,
        instance: str = "demo",
        edition: str = "enterprise",
        licences: int = 20,
        daily_allowance: int | None = None,
        audit_fields: bool = True,
        deploy_flows_active: bool = False,
        entitlements_enabled: bool = True,
        person_accounts: bool = False,
        concurrency: int = 25,
        clock: SandboxClock | None = None,
        faults: WireFaults | None = None,
        my_domain: str = "demo",
        empty: bool = False,
        api_version: str = "59.0",
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        security_token: str = DEFAULT_SECURITY_TOKEN,
        desk: HelpDesk | None = None,
    ) -> None:
        clock = clock or SandboxSystemClock()
        self.my_domain = my_domain
        self.edition = edition
        self.licences = licences
        self.api_version = api_version
        self.username = username
        self.password = password
        self.security_token = security_token
        self.client_id = DEFAULT_CLIENT_ID
        self.client_secret = DEFAULT_CLIENT_SECRET
        self.access_token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(40)}"
        """The session id every login hands out (a bearer token)."""
        seeder = (
            seed_from(desk)
            if desk is not None
            else None
            if empty
            else seed_desk(tickets=tickets, seed=seed, instance=instance)
        )
        self.backend = SalesforceBackend(
            clock=clock,
            audit_fields=audit_fields,
            deploy_flows_active=deploy_flows_active,
            entitlements_enabled=entitlements_enabled,
            person_accounts=person_accounts,
            api_version=api_version,
            username=username,
            seeder=seeder,
        )
        """The state: every record as a row (inspect it in tests: ``backend.rows["Case"]``)."""
        allowance = (
            daily_allowance
            if daily_allowance is not None
            else daily_allowance_of(edition, licences)
        )
        app = SalesforceApp(
            self.backend,
            username=username,
            password=password,
            security_token=security_token,
            client_id=self.client_id,
            client_secret=self.client_secret,
            access_token=self.access_token,
            instance_url=self.base_url,
            daily_allowance=allowance,
            concurrency=concurrency,
        )
        super().__init__(app, clock=clock, faults=faults)

    @property
    def salesforce(self) -> SalesforceApp:
        """The emulator without faults (routing, login, limits)."""
        return self.emulator

    @property
    def base_url(self) -> str:
        """The org's instance URL: ``https://{my_domain}.my.salesforce.com``."""
        return f"https://{self.my_domain}.my.salesforce.com"

    @property
    def data_url(self) -> str:
        """The REST base: ``{base_url}/services/data/v{api_version}``."""
        return f"{self.base_url}/services/data/v{self.api_version}"

    def authenticate(self, session: requests.Session) -> None:
        """The org's session id as a bearer token (what any login hands out)."""
        session.headers["Authorization"] = f"Bearer {self.access_token}"

    def add_user(
        self,
        *,
        name: str,
        email: str,
        profile: str = "Standard User",
        active: bool = True,
    ) -> str:
        """Create an agent who exists before a migration (Users need licences); its id."""
        first, _, last = name.rpartition(" ")
        with self.backend.lock:
            if profile not in self.backend.profiles:
                raise ValueError(
                    f"unknown profile {profile!r}; one of {sorted(self.backend.profiles)}"
                )
            return self.backend.put(
                "User",
                {
                    "Username": email.lower(),
                    "FirstName": first or None,
                    "LastName": last or name,
                    "Email": email,
                    "Alias": (first[:1] + last)[:8].lower() or "user",
                    "ProfileId": self.backend.profiles[profile],
                    "IsActive": active,
                    "UserType": "Standard",
                    "TimeZoneSidKey": "GMT",
                    "LocaleSidKey": "en_US",
                    "EmailEncodingKey": "UTF-8",
                    "LanguageLocaleKey": "en_US",
                },
            )

    def add_record_type(
        self,
        name: str,
        *,
        sobject: str = "Case",
        developer_name: str | None = None,
        values: Mapping[str, Sequence[str]] | None = None,
        active: bool = True,
        description: str | None = None,
    ) -> str:
        """Create a record type as an admin does in Setup before a migration (the REST API
        cannot), offering ``values`` per picklist (``{"Status": ("New", "Closed")}``; a
        picklist not named offers all its values); its id."""
        with self.backend.lock:
            return self.backend.add_record_type(
                sobject,
                name,
                developer_name=developer_name,
                values=values,
                active=active,
                description=description,
            )

    def summary(self) -> str:
        """The instance URL and how many cases the org holds."""
        return f"base_url={self.base_url!r}, {len(self.backend.rows['Case'])} cases"

    @classmethod
    def named(cls, name: str, **options: Any) -> Self:
        """The org at ``https://{name}.my.salesforce.com``."""
        return cls(my_domain=name, **options)

    def limits(self) -> str:
        """The edition and licences (the daily API allowance)."""
        return f"{self.edition} edition, {self.licences} licences"

    def sign_in(self) -> str:
        """The instance and the username; the password and tokens are the module's defaults."""
        return (
            f"instance {self.base_url}, username {self.username}; log in with the credentials"
            " in cemigrate.sandbox.salesforce (DEFAULT_*) for a token"
        )

    def credentials(self, *, login: bool = False) -> dict[str, str]:
        """The access token; ``login``: the username, password and security token."""
        if login:
            return {
                "username": self.username,
                "password": self.password,
                "security_token": self.security_token,
            }
        return {"access_token": self.access_token}

    @property
    def public_url(self) -> str | None:
        """The instance URL: a login answers with it, and clients follow it."""
        return self.base_url

    def add_seats(self, desk: HelpDesk) -> None:
        """Salesforce Users are paid seats: one for each of the desk's agents and admins
        (System Administrators for admins)."""
        for person in seats(desk):
            admin = person.role is Role.ADMIN
            self.add_user(
                name=person.name,
                email=person.email or "",
                profile="System Administrator" if admin else "Standard User",
                active=not person.suspended,
            )


serve_salesforce = SalesforceSandbox.started
"""``serve_salesforce(port=P, **options)``: a :class:`SalesforceSandbox` built from ``options``,
served on loopback (``cemigrate sandbox serve salesforce``), and its running server."""
