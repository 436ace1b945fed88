"""A plan with a Zendesk source, run by `cemigrate run` against the emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cemigrate.adapters.memory import MemoryTarget
from cemigrate.cli import EXIT_BAD_INPUT, EXIT_OK, main
from cemigrate.ledger import Ledger
from cemigrate.ratelimit import ManualClock
from cemigrate.sandbox.dataset import generate
from cemigrate.sandbox.zendesk import DEFAULT_EMAIL, DEFAULT_TOKEN, ZendeskSandbox, serve_zendesk
from cemigrate.schema import Kind

TICKETS, SEED, INSTANCE = 40, 5, "emea"

PLAN = """\
ledger = "ledger.sqlite"

[[source]]
name = "{instance}"
platform = "zendesk"
{where}
email_env = "TEST_ZENDESK_EMAIL"
token_env = "TEST_ZENDESK_TOKEN"
plan = "enterprise"

[target]
platform = "memory"
path = "target.sqlite"
"""


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ZendeskSandbox, str]]:
    """The emulator over loopback HTTP. Its own clock is manual and already past Zendesk's
    one-minute export delay, so every seeded record is in the exports without waiting; the
    command under test spends its budgets on the real clock, well within a minute's allowance."""
    clock = ManualClock()
    sandbox, server = serve_zendesk(
        port=0, tickets=TICKETS, seed=SEED, plan="enterprise", instance=INSTANCE, clock=clock
    )
    clock.advance(120)
    try:
        yield sandbox, server.url
    finally:
        server.shutdown()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ZENDESK_EMAIL", DEFAULT_EMAIL)
    monkeypatch.setenv("TEST_ZENDESK_TOKEN", DEFAULT_TOKEN)


def write_plan(folder: Path, where: str) -> Path:
    plan = folder / "plan.toml"
    plan.write_text(PLAN.format(instance=INSTANCE, where=where), encoding="utf-8")
    return plan


def count(path: Path, kind: Kind) -> int:
    target = MemoryTarget(path)
    try:
        return len(target.records(kind))
    finally:
        target.close()


@pytest.mark.usefixtures("credentials")
def test_run_copies_every_ticket_from_a_served_zendesk_and_status_shows_it(
    served: tuple[ZendeskSandbox, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, url = served
    plan = write_plan(tmp_path, f'base_url = "{url}"')
    answered_before = len(sandbox.zendesk.requests)

    assert main(["run", str(plan), "--no-progress"]) == EXIT_OK

    desk = generate(tickets=TICKETS, seed=SEED, instance=INSTANCE)
    assert count(tmp_path / "target.sqlite", Kind.TICKET) == TICKETS
    for kind in (Kind.ORGANIZATION, Kind.GROUP, Kind.FIELD, Kind.RULE):
        assert count(tmp_path / "target.sqlite", kind) == len(desk.records(kind)), kind
    answered = sandbox.zendesk.requests[answered_before:]
    assert all(status == 200 for _method, _path, status in answered)  # never throttled
    exports = [path for _method, path, _status in answered if "/incremental/" in path]
    assert 4 <= len(exports) < 10  # within one minute's export allowance: no real waiting

    capsys.readouterr()
    assert main(["status", str(plan)]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "last run: 1 (full) completed" in printed
    rows = {line.split()[0]: line.split()[1:] for line in printed.splitlines() if line[:1] == " "}
    assert rows["ticket"] == [str(TICKETS), "0", "0", "0"]
    assert rows["organization"] == [str(len(desk.organizations)), "0", "0", "0"]
    assert f"cursor {INSTANCE}/ticket:" in printed
    assert "hash chain verifies" in printed


def test_a_wrong_token_stops_with_zendesks_refusal_and_never_prints_the_token(
    served: tuple[ZendeskSandbox, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _sandbox, url = served
    monkeypatch.setenv("TEST_ZENDESK_EMAIL", DEFAULT_EMAIL)
    monkeypatch.setenv("TEST_ZENDESK_TOKEN", "not-the-token-4711")
    plan = write_plan(tmp_path, f'base_url = "{url}"')

    assert main(["run", str(plan), "--no-progress"]) == EXIT_BAD_INPUT

    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cemigrate: zendesk refused the credentials")
    assert "not-the-token-4711" not in out + err
    assert count(tmp_path / "target.sqlite", Kind.TICKET) == 0
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.last_run() is None  # refused before a run was recorded


@pytest.mark.usefixtures("credentials")
def test_a_zendesk_source_without_subdomain_or_base_url_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path, "")

    assert main(["run", str(plan), "--no-progress"]) == EXIT_BAD_INPUT

    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"zendesk source {INSTANCE!r}: set subdomain" in err
    assert "or base_url" in err
    assert not (tmp_path / "ledger.sqlite").exists()  # bad input leaves no ledger behind


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('subdomain = "acme.zendesk.com"', "is not a subdomain (write acme"),
        ('base_url = "127.0.0.1:8001"', "must start with http:// or https://"),
        ('subdomain = "acme"\nhigh_volume = "yes"', "high_volume: must be true or false"),
        ('subdomain = "acme"\nregion = "eu"', "region: unknown key for a zendesk source"),
    ],
)
def test_bad_zendesk_keys_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, says: str
) -> None:
    plan = write_plan(tmp_path, line)

    assert main(["run", str(plan), "--no-progress"]) == EXIT_BAD_INPUT

    assert says in capsys.readouterr().err


def test_a_plan_without_zendesk_credentials_names_the_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.toml"
    text = write_plan(tmp_path, 'subdomain = "acme"').read_text(encoding="utf-8")
    plan.write_text(
        "\n".join(line for line in text.splitlines() if "_env" not in line), encoding="utf-8"
    )

    assert main(["run", str(plan), "--no-progress"]) == EXIT_BAD_INPUT

    assert "email_env and token_env" in capsys.readouterr().err


def test_a_subdomain_means_the_public_host_and_high_volume_its_budgets() -> None:
    from cemigrate.adapters.registry import PLATFORMS, AdapterSettings
    from cemigrate.adapters.zendesk.source import ZendeskSource

    build = PLATFORMS["zendesk"].build_source
    assert build is not None
    settings = AdapterSettings(
        name="emea",
        options={"subdomain": "acme-emea", "plan": "enterprise", "high_volume": True},
        credentials={"oauth_token": "secret"},
        base_dir=Path("."),
        clock=ManualClock(),
    )
    source = build(settings)
    assert isinstance(source, ZendeskSource)
    assert source.client.base_url == "https://acme-emea.zendesk.com"
    assert source.budgets["zendesk.export"].limit == 30
    assert source.client.session.headers["Authorization"] == "Bearer secret"
