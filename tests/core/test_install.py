"""A real install, not the editable one: build the wheel, install it into a new virtual
environment, and run ``cemigrate demo`` from it in an empty folder.

The new environment gets no network: its dependencies come from this test's own environment
through a path entry (its ``.pth`` files, among them the editable install of this checkout,
are not processed, so ``import cemigrate`` finds the wheel's copy only). The test-only
packages (pytest, vcrpy, the platforms' SDKs) are blocked, so the demo proves it needs none
of them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel and a virtual environment: ~5 s

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = ("pytest", "vcr", "zenpy", "freshdesk", "nbclient", "mkdocs")
"""Modules of the test extra that an installed cemigrate must never need."""
RUN_DEMO = f"""
import sys
for name in {TEST_ONLY!r}:
    sys.modules[name] = None  # any import of a test-only package now fails
import cemigrate
from cemigrate.cli import main
print("imported from", cemigrate.__file__, flush=True)
sys.exit(main(sys.argv[1:]))
"""


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist,
        ROOT, cwd=dist,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = dist.glob("cemigrate-*.whl")
    return path


def test_the_wheel_carries_every_shipped_mapping_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packaged = {n.split("/")[-1] for n in archive.namelist() if "/mappings/" in n}
        metadata = next(n for n in archive.namelist() if n.endswith("METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
    assert packaged == {p.name for p in (ROOT / "mappings").iterdir() if p.is_file()}
    assert not any(r.lower().startswith("zenpy") for r in requires)  # a test dependency


def test_cemigrate_demo_from_the_installed_wheel_reconciles_clean(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run(python, "-c", where, cwd=tmp_path).stdout.strip())
    installed = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        wheel, cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", "utf-8")
    work = tmp_path / "empty"
    work.mkdir()

    demo = _run(
        python, "-c", RUN_DEMO, "demo", "--tickets", "60", "--no-progress", cwd=work,
    )  # fmt: skip

    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert f"imported from {site}" in demo.stdout  # the wheel's copy, not this checkout
    # No finding, and every check ran (issue 21): the verdict is clean.
    assert re.search(r"^reconciliation: clean: no finding$", demo.stdout, re.M)
    plan = (work / "cemigrate-demo" / "plan.toml").read_text("utf-8")
    assert 'mapping = "zendesk-to-salesforce.toml"' in plan
    shipped = (ROOT / "mappings" / "zendesk-to-salesforce.toml").read_bytes()
    assert (work / "cemigrate-demo" / "zendesk-to-salesforce.toml").read_bytes() == shipped
