"""A configuration mistake is not an outage: before a platform's API has answered once, a host
where nothing listens or a 404 on the API (a wrong path, an API version Salesforce does not
have) stops at once with one line naming host and port and exit 2, in a run and in a dry run;
a failure after the first answer is an outage: the run stops resumable (exit 3)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.adapters.zendesk.client import ZendeskCredentials
from cemigrate.adapters.zendesk.source import ZendeskSource
from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_STOPPED, _exit_code, main
from cemigrate.copier import Migration
from cemigrate.errors import ConfigError
from cemigrate.ledger import Ledger
from cemigrate.plan import open_plan
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.salesforce import SalesforceSandbox
from cemigrate.sandbox.zendesk import DEFAULT_EMAIL, DEFAULT_TOKEN, ZendeskSandbox
from cemigrate.schema import Kind

ZENDESK_PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "emea"
platform = "zendesk"
base_url = "{url}"
email_env = "TEST_ZENDESK_EMAIL"
token_env = "TEST_ZENDESK_TOKEN"

[target]
platform = "memory"
path = "target.sqlite"
"""

SALESFORCE_PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "sf"
platform = "salesforce"
base_url = "{url}"
access_token_env = "TEST_SF_ACCESS_TOKEN"
{version}

[target]
platform = "memory"
path = "target.sqlite"
"""

ENV = {"TEST_ZENDESK_EMAIL": DEFAULT_EMAIL, "TEST_ZENDESK_TOKEN": DEFAULT_TOKEN}
REFUSED = (
    "HTTPSConnectionPool(host='demo.zendesk.com', port=443): Max retries exceeded (Caused by"
    " NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))"
)


def closed_port() -> int:
    """A loopback port that was bound and closed again: nothing listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cemigrate: ")
    assert "Traceback" not in err
    return lines[0]


def no_run_recorded(folder: Path) -> bool:
    if not (folder / "ledger.sqlite").exists():
        return True
    with Ledger.open(folder / "ledger.sqlite") as ledger:
        return ledger.last_run() is None and ledger.accounts() == []


def test_nothing_listening_stops_at_once_naming_host_and_port(tmp_path: Path) -> None:
    port = closed_port()
    path = tmp_path / "plan.toml"
    path.write_text(ZENDESK_PLAN.format(url=f"http://127.0.0.1:{port}"), encoding="utf-8")
    clock = ManualClock()
    plan = open_plan(path, env=ENV, clock=clock)
    for dry_run in (False, True):
        migration = plan.migration(progress=False)
        try:
            with pytest.raises(ConfigError) as raised:
                migration.dry_run() if dry_run else migration.run()
        finally:
            migration.close()
        message = str(raised.value)
        assert f"nothing answers at 127.0.0.1:{port}" in message
        assert "GET /api/v2/" in message
        assert "connection refused" in message
        assert "check the plan's subdomain or base_url" in message
    assert clock.sleeps == []  # not retried: no backoff was waited for
    assert no_run_recorded(tmp_path)


def test_nothing_listening_exits_2_in_seconds_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    port = closed_port()
    path = tmp_path / "plan.toml"
    path.write_text(ZENDESK_PLAN.format(url=f"http://127.0.0.1:{port}"), encoding="utf-8")
    started = time.monotonic()
    # The command line waits on the real clock: a retry loop would take minutes here.
    assert main(["run", str(path), "--no-progress"]) == EXIT_BAD_INPUT
    assert time.monotonic() - started < 10
    assert f"nothing answers at 127.0.0.1:{port}" in one_line(capsys.readouterr().err)
    assert no_run_recorded(tmp_path)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Any:
    sandbox = SalesforceSandbox(tickets=10, seed=3, instance="sf", clock=ManualClock())
    server = sandbox.serve(port=0)
    monkeypatch.setenv("TEST_SF_ACCESS_TOKEN", sandbox.access_token)
    try:
        yield server.url
    finally:
        server.shutdown()


def test_an_api_version_salesforce_does_not_have_exits_2_in_run_and_dry_run(
    org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        SALESFORCE_PLAN.format(url=org, version='api_version = "99.0"'), encoding="utf-8"
    )
    host_port = org.removeprefix("http://")
    for extra in ((), ("--dry-run",), ("--resume",)):
        assert main(["run", str(path), "--no-progress", *extra]) == EXIT_BAD_INPUT, extra
        line = one_line(capsys.readouterr().err)
        assert f"{host_port} has no GET /services/data/v99.0/" in line
        assert "404 before any answer of its API" in line
        assert "api_version (99.0)" in line
    assert no_run_recorded(tmp_path)

    # The same plan with a version the org has runs.
    path.write_text(SALESFORCE_PLAN.format(url=org, version=""), encoding="utf-8")
    assert main(["run", str(path), "--no-progress"]) == EXIT_OK


def test_a_wrong_path_on_salesforce_is_a_404_configuration_error(
    org: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.toml"
    # A base URL with a path: every API call lands under it, where the org has nothing.
    path.write_text(SALESFORCE_PLAN.format(url=f"{org}/sf", version=""), encoding="utf-8")
    assert main(["run", str(path), "--no-progress"]) == EXIT_BAD_INPUT
    assert "404 before any answer of its API" in one_line(capsys.readouterr().err)


class Switch(BaseAdapter):
    """Passes requests to the emulator until it is switched off; then every connection is
    refused, as when a host goes away."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self.inner = inner
        self.down = False

    def send(  # type: ignore[override]  # requests types the keyword arguments loosely
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if self.down:
            raise requests.ConnectionError(REFUSED, request=request)
        return self.inner.send(request, **kwargs)

    def close(self) -> None:
        self.inner.close()


def switched_source(account: ZendeskSandbox, clock: ManualClock) -> tuple[ZendeskSource, Switch]:
    session = account.session(authenticated=False)
    (prefix, inner), *_ = session.adapters.items()
    switch = Switch(inner)
    for prefix, _inner in list(session.adapters.items()):
        session.mount(prefix, switch)
    source = ZendeskSource(
        instance="emea",
        base_url=account.base_url,
        credentials=ZendeskCredentials(email=DEFAULT_EMAIL, token=DEFAULT_TOKEN),
        session=session,
        clock=clock,
    )
    return source, switch


def test_connections_refused_after_the_first_answer_are_an_outage_and_resume_finishes(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=40, seed=4, instance="emea", clock=clock)
    clock.advance(120)  # past Zendesk's one-minute export delay
    source, switch = switched_source(account, clock)
    target = MemoryTarget(tmp_path / "target.sqlite", clock=clock)

    def host_goes_away(step: str) -> None:
        if step == "done":
            switch.down = True

    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        migration = Migration(
            sources=[source],
            target=target,
            ledger=ledger,
            progress=False,
            probe=host_goes_away,
            read_ahead=1,
        )
        stopped = migration.run()
        assert stopped.status == "interrupted"
        assert _exit_code(stopped) == EXIT_STOPPED
        assert clock.sleeps  # retried, on the injected clock, before stopping

        switch.down = False
        migration = Migration(sources=[source], target=target, ledger=ledger, progress=False)
        finished = migration.run(resume=True)
    assert finished.status == "completed"
    keys = [record.external_id for record in target.records(Kind.TICKET)]
    assert len(keys) == len(set(keys)) == len(account.backend.tickets)
    target.close()


def test_connections_refused_from_the_start_are_a_configuration_error(tmp_path: Path) -> None:
    clock = ManualClock()
    account = ZendeskSandbox(tickets=5, seed=4, instance="emea", clock=clock)
    source, switch = switched_source(account, clock)
    switch.down = True
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        migration = Migration(
            sources=[source], target=MemoryTarget(clock=clock), ledger=ledger, progress=False
        )
        with pytest.raises(ConfigError, match=r"nothing answers at demo\.zendesk\.com:443"):
            migration.run()
        assert ledger.last_run() is None
    assert clock.sleeps == []
