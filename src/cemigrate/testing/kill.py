"""Kill the copier for real: run ``cemigrate run`` as a process and SIGKILL it at a moment
chosen from its log, against emulators served on loopback that outlive it.

Used by the kill-and-resume tests of every platform pair: each runs a migration a few times,
killed at different moments, then once more to the end, and checks the target holds every
record once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["KillAt", "ShiftedClock", "run_copier"]

KillAt = tuple[str, int, float]
"""``(text, n, delay)``: kill ``delay`` seconds after the ``n``-th log line containing
``text`` (a delay lets the process die in the middle of what it logged it was starting)."""


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
) -> tuple[int, str]:
    """One ``cemigrate -v run PLAN`` process with ``env`` added to the environment (the
    credentials the plan names), killed at ``kill_at`` if given; its exit code (negative for a
    signal) and its last log lines."""
    command = [sys.executable, "-m", "cemigrate.cli", "-v", "run", str(plan), "--no-progress"]
    process = subprocess.Popen(
        [*command, *(["--resume"] if resume else [])],
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
