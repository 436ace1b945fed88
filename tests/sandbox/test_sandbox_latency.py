"""An emulator with a real API's round trip: every request waits, requests overlap."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cemigrate.sandbox.freshdesk import FreshdeskSandbox
from cemigrate.sandbox.http import Latency


class _Waits:
    """Records each wait instead of spending it, and how many were waiting at once."""

    def __init__(self, together: int) -> None:
        self.waits: list[float] = []
        self.barrier = threading.Barrier(together, timeout=5)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.barrier.wait()  # all of them inside the wait at the same moment


def test_every_request_waits_its_latency_and_requests_overlap() -> None:
    waits = _Waits(together=4)
    desk = FreshdeskSandbox(tickets=3)
    latency = Latency(seconds=0.3, jitter=0.05, seed=1, sleep=waits)
    with desk.serve(latency=latency) as server:
        session = desk.session(authenticated=True)

        def ask(_: int) -> int:
            answer = session.get(f"{server.url}/api/v2/tickets", timeout=10)
            return answer.status_code

        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(ask, range(4)))
    assert codes == [200] * 4  # answered, after four waits spent side by side
    assert len(waits.waits) == 4
    assert all(0.25 <= w <= 0.35 for w in waits.waits)
    assert len(set(waits.waits)) > 1  # the jitter draws


def test_a_latency_without_a_wait_adds_nothing_and_a_jitter_over_it_is_refused() -> None:
    app = FreshdeskSandbox(tickets=0, empty=True).app
    assert Latency().around(app) is app
    with pytest.raises(ValueError, match="jitter"):
        Latency(seconds=0.1, jitter=0.2)


def test_serve_refuses_a_jitter_larger_than_the_latency_in_one_line() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cemigrate.cli",
            "sandbox",
            "serve",
            "zendesk",
            "--port",
            "0",
            "--latency",
            "0.1",
            "--jitter",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "cemigrate: --latency must be 0 or more and --jitter between 0 and --latency"
    ]
