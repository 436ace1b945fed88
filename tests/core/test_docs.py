"""The documentation site: it builds without a warning, documents every command and option of
the CLI, and its quickstart runs as written."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cemigrate.cli import _parser, main, start_sandbox
from cemigrate.clidoc import commands, reference_markdown
from cemigrate.sandbox.registry import EMULATORS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
EXECUTED = ("sh", "python")
"""Quickstart blocks the test runs; ``text`` and ``toml`` blocks are shown only."""
SHOWN = ("text", "toml")
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


# -- the site builds --------------------------------------------------------------------------


def test_the_site_builds_strictly_without_a_warning(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(site),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stderr, built.stderr
    pages = {p.relative_to(DOCS).with_suffix("") for p in DOCS.rglob("*.md")}
    for page in pages:  # every page is in the nav, so every one is built
        built_page = site / ("index.html" if page.name == "index" else f"{page}/index.html")
        assert built_page.exists(), page
    assert not (ROOT / "site").exists(), "the build wrote into the repository"


# -- the CLI is documented --------------------------------------------------------------------


def _commands() -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    return commands(_parser())


def test_the_cli_reference_is_the_one_the_parser_generates() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert reference_markdown() in page, (
        "docs/cli.md differs from the parser: run"
        " `.venv/bin/python -m cemigrate.clidoc --write docs/cli.md`"
    )


@pytest.mark.parametrize(
    "path", [path for path, _ in _commands()], ids=lambda p: " ".join(("cemigrate", *p))
)
def test_every_command_has_help_and_is_documented_with_every_option(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"usage: {' '.join(('cemigrate', *path))}")
    parser = dict(_commands())[path]
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    everything = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    name = " ".join(("cemigrate", *path))
    assert f"## `{name}`" in page
    for action in parser._actions:
        for option in action.option_strings:
            assert option in shown
            assert f"`{option}" in page, f"{name} {option} is not in docs/cli.md"
    if path:  # the command is used somewhere beyond its reference
        assert everything.count(name) > page.count(name), f"only docs/cli.md mentions {name}"


# -- the quickstart runs as written -----------------------------------------------------------


def _start_sandbox(line: str) -> tuple[Any, str]:
    """Serve the sandbox a quickstart line asks for, in process on a free loopback port."""
    argv = shlex.split(line)
    assert argv[:3] == ["cemigrate", "sandbox", "serve"], line
    args = _parser().parse_args(argv[1:])
    options = {o.name: getattr(args, o.name) for o in EMULATORS[args.platform].serve_options}
    _, server = start_sandbox(
        args.platform,
        port=0,
        tickets=args.tickets,
        seed=args.seed,
        instance=args.instance,
        **options,
    )
    return server, f"{args.host}:{args.port}"


def test_every_quickstart_block_runs(tmp_path: Path) -> None:
    blocks = _blocks((DOCS / "quickstart.md").read_text(encoding="utf-8"))
    assert {language for language, _ in blocks} <= {*EXECUTED, *SHOWN}, (
        "a quickstart block is neither executed (sh, python) nor marked as shown (text, toml)"
    )
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    servers: list[Any] = []
    ports: dict[str, str] = {}
    script = ["set -euo pipefail"]
    try:
        for language, body in blocks:
            if language == "sh" and body.startswith("cemigrate sandbox serve "):
                # "in a terminal of its own": served in process for as long as the test runs.
                assert body.count("\n") == 1, "a sandbox block serves one sandbox"
                server, address = _start_sandbox(body.strip())
                servers.append(server)
                ports[address] = server.url.removeprefix("http://")
            elif language == "sh":
                script.append(body)
            elif language == "python":
                script.append(f"python - <<'QUICKSTART_PY'\n{body}QUICKSTART_PY\n")
        text = "\n".join(script)
        for address, actual in ports.items():  # the ports shown may be taken on this machine
            text = text.replace(address, actual)
        (tmp_path / "quickstart.sh").write_text(text, encoding="utf-8")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        for variable in ("FRESHDESK_API_KEY", "SALESFORCE_ACCESS_TOKEN"):
            env.pop(variable, None)  # the quickstart sets what it needs
        ran = subprocess.run(
            ["bash", str(tmp_path / "quickstart.sh")],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        for server in servers:
            server.shutdown()
    assert ran.returncode == 0, f"{ran.stdout[-4000:]}\n{ran.stderr[-4000:]}"
    out = ran.stdout
    # What the page promises a user sees.
    assert "report.html" in out
    assert (tmp_path / "cemigrate-demo" / "report" / "report.html").is_file()
    assert "fidelity plan written to" in out
    assert re.search(r"run \d+ \(delta\)", out)
    assert re.search(r"^\s+ticket\s+1\s+0\s+1\s", out, re.MULTILINE), out
    assert "clean: no finding" in out
    assert "approved by Ada Lovelace (Head of support)" in out
    assert "intact: approved by Ada Lovelace" in out
    assert (tmp_path / "trial" / "report" / "report.html").is_file()
    assert (tmp_path / "trial" / "dryrun.md").is_file()
