"""Kill the copier for real: run ``cemigrate run`` as a process and SIGKILL it at a moment
chosen from its log, against emulators served on loopback that outlive it.

Used by the conformance suite's kill-and-resume case: a pair's ``killable()`` hook serves its
accounts and says how to reach them (:class:`Killable`); the suite runs the migration a few
times, killed at the pair's moments, then once more to the end, and the pair checks that the
target holds every record once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

import attrs

from cemigrate.sandbox.dataset import DEFAULT_START
from cemigrate.sandbox.zendesk import ZendeskSandbox

__all__ = [
    "ZENDESK_ENV",
    "KillAt",
    "Killable",
    "ShiftedClock",
    "run_copier",
    "zendesk_source_account",
    "zendesk_source_plan",
    "zendesk_target_account",
    "zendesk_target_plan",
]

KillAt = tuple[str, int, float]
"""``(text, n, delay)``: kill ``delay`` seconds after the ``n``-th log line containing
``text`` (a delay lets the process die in the middle of what it logged it was starting)."""


@attrs.frozen(kw_only=True)
class Killable:
    """A migration served on loopback for a ``cemigrate run`` that is killed and resumed."""

    plan: str
    """The plan's ``[[source]]`` and ``[target]`` tables (the suite adds the ledger)."""
    env: Mapping[str, str]
    """The credentials the plan names, by environment variable."""
    kills: tuple[KillAt, ...]
    """Where each run but the last is killed, in order (the first starts afresh, the others
    resume)."""
    check: Callable[[], None]
    """Asserts, after the last run, that the target holds every record of the source once."""


ZENDESK_EMAIL, ZENDESK_TOKEN = "admin@demo.example", "sandbox-token"
ZENDESK_ENV = {"KILL_TEST_EMAIL": ZENDESK_EMAIL, "KILL_TEST_TOKEN": ZENDESK_TOKEN}
"""The credentials :func:`zendesk_source_plan` names."""
DESK_NOW = DEFAULT_START + timedelta(days=365)
"""The seeded desk's "now" (a year after the dataset's start): the accounts below start their
clocks there rather than at the host's time, so that the desk's latest changes fall inside the
export's last minute, which these runs depend on."""


def zendesk_source_account(clock: ShiftedClock, *, tickets: int, seed: int) -> ZendeskSandbox:
    """The Zendesk account a killed migration reads (instance ``exchange``): Enterprise Plus
    with High Volume, so that the run needs no rate-limit waits on a real clock. Move ``clock``
    ahead by two minutes once the accounts are made, so that every seeded record is exportable.
    """
    return ZendeskSandbox(
        tickets=tickets,
        seed=seed,
        instance="exchange",
        subdomain="old",
        plan="enterprise_plus",
        high_volume=True,
        clock=clock,
        start=DESK_NOW,
    )


def zendesk_target_account(clock: ShiftedClock, *, seed: int) -> ZendeskSandbox:
    """The empty Zendesk account a killed migration writes into (subdomain ``new``), on the
    same plan as :func:`zendesk_source_account` and the same ``clock``."""
    return ZendeskSandbox(
        tickets=0,
        seed=seed,
        instance="new",
        subdomain="new",
        empty=True,
        plan="enterprise_plus",
        high_volume=True,
        clock=clock,
        start=DESK_NOW,
    )


def zendesk_target_plan(url: str) -> str:
    """The plan's ``[target]`` table for :func:`zendesk_target_account` served at ``url``."""
    return f"""
[target]
platform = "zendesk"
base_url = "{url}"
plan = "enterprise_plus"
high_volume = true
email_env = "KILL_TEST_EMAIL"
token_env = "KILL_TEST_TOKEN"
"""


def zendesk_source_plan(url: str) -> str:
    """The plan's ``[[source]]`` table for :func:`zendesk_source_account` served at ``url``."""
    return f"""[[source]]
name = "exchange"
platform = "zendesk"
base_url = "{url}"
plan = "enterprise_plus"
high_volume = true
sla_events = false  # 100 events a page at 30 export calls a minute: minutes on a real clock
email_env = "KILL_TEST_EMAIL"
token_env = "KILL_TEST_TOKEN"
"""


class ShiftedClock:
    """The real clock, moved ahead by :attr:`ahead` seconds (set once the emulators have
    started: Zendesk's exports leave out the last minute, and an emulator's "now" starts when
    it does)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        """Real monotonic time plus :attr:`ahead`."""
        return time.monotonic() + self.ahead

    def sleep(self, seconds: float) -> None:
        """Really sleep."""
        time.sleep(seconds)


def run_copier(
    plan: Path,
    *,
    env: Mapping[str, str],
    resume: bool,
    kill_at: KillAt | None,
    timeout: float = 600,
    delta: bool = False,
) -> tuple[int, str]:
    """One ``cemigrate -v run PLAN`` process (``--delta`` with ``delta``) with ``env`` added to
    the environment (the credentials the plan names), killed at ``kill_at`` if given; its exit
    code (negative for a signal) and its last log lines."""
    command = [sys.executable, "-m", "cemigrate.cli", "-v", "run", str(plan), "--no-progress"]
    process = subprocess.Popen(
        [*command, *(["--resume"] if resume else []), *(["--delta"] if delta else [])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert process.stderr is not None
    seen = 0
    tail: list[str] = []
    for line in process.stderr:
        tail = [*tail[-20:], line]
        if kill_at is not None and kill_at[0] in line:
            seen += 1
            if seen == kill_at[1]:
                time.sleep(kill_at[2])  # a real process dies at a moment of its own
                os.kill(process.pid, signal.SIGKILL)
                break
    process.wait(timeout=timeout)
    process.stderr.close()
    return process.returncode, "".join(tail)
