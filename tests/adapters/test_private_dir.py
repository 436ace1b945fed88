"""The process's private folder for temporary files holding record content."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cemigrate.adapters.private import (
    SPOOL_DIR_ENV,
    private_dir,
    private_file,
    remove_private_dir,
)
from cemigrate.errors import ConfigError


@pytest.fixture
def under(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The private folder made anew under ``tmp_path`` (``CEMIGRATE_SPOOL_DIR``)."""
    monkeypatch.setenv(SPOOL_DIR_ENV, str(tmp_path))
    remove_private_dir()
    yield tmp_path
    remove_private_dir()


def test_one_folder_per_process_for_its_owner_only_with_files_for_the_owner_only(
    under: Path,
) -> None:
    folder = private_dir()
    assert private_dir() == folder
    assert folder.parent == under
    assert folder.name.startswith("cemigrate-")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    first, second = private_file("spool-", ".sqlite"), private_file("spool-")
    assert first != second
    assert {first.parent, second.parent} == {folder}
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    remove_private_dir()
    assert list(under.iterdir()) == []


def test_the_folder_is_removed_when_the_process_ends_even_by_an_exception(
    tmp_path: Path,
) -> None:
    code = (
        "from cemigrate.adapters.private import private_file\n"
        "print(private_file('spool-').parent, flush=True)\n"
        "raise RuntimeError('boom')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, SPOOL_DIR_ENV: str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == 1
    assert Path(done.stdout.strip()).parent == tmp_path
    assert list(tmp_path.iterdir()) == []


def test_a_spool_folder_that_cannot_be_made_is_a_config_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing"
    monkeypatch.setenv(SPOOL_DIR_ENV, str(missing))
    remove_private_dir()
    try:
        with pytest.raises(ConfigError, match=f"{SPOOL_DIR_ENV}={missing}: cannot make"):
            private_dir()
    finally:
        remove_private_dir()
