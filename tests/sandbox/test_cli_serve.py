"""`cemigrate sandbox serve salesforce|freshdesk`: the emulator answers on loopback until
SIGTERM, and says how to reach it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests


@pytest.mark.parametrize(
    ("platform", "options", "says", "path", "auth"),
    [
        (
            "salesforce",
            ["--edition", "developer"],
            "developer edition, 20 licences): instance",
            "/services/data/",
            None,
        ),
        (
            "freshdesk",
            ["--plan", "growth"],
            "plan growth): API key",
            "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z",
            "key",
        ),
    ],
)
def test_the_served_sandbox_answers_until_sigterm(
    platform: str, options: list[str], says: str, path: str, auth: str | None
) -> None:
    command = ["sandbox", "serve", platform, "--port", "0", "--tickets", "5", *options]
    process = subprocess.Popen(
        [sys.executable, "-m", "cemigrate.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        assert f"{platform} sandbox on http://127.0.0.1:" in line
        assert says in line
        url = line.split(" on ", 1)[1].split()[0]
        credentials = None
        if auth is not None:
            key = line.split("API key ", 1)[1].split()[0]
            credentials = (key, "X")  # the key printed is the one the account takes
        response = requests.get(f"{url}{path}", auth=credentials, timeout=10)
        assert response.status_code == 200, response.text
        process.terminate()
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == f"{platform} sandbox stopped"
