"""The process's private folder for temporary files that hold record content.

Spools (the Zendesk comment and SLA exports) and uploads buffered on their way to a target
hold ticket bodies and attachments, so they never go loose into the shared temporary folder:
each process makes one folder of its own, ``cemigrate-<random>`` under ``$CEMIGRATE_SPOOL_DIR``
when that is set, else under the system's temporary folder, readable by its owner only (mode
0700, its files 0600). It is made on first use and removed with everything in it when the
process ends: normally, by an exception, by SIGINT or SIGTERM (the command line turns those
into an orderly stop). Only a SIGKILL or a power cut leaves it behind.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Final

from cemigrate.errors import ConfigError, no_space, out_of_space

__all__ = ["SPOOL_DIR_ENV", "private_dir", "private_file", "remove_private_dir"]

SPOOL_DIR_ENV: Final = "CEMIGRATE_SPOOL_DIR"
"""The environment variable naming where the private folder is made (default: the system's
temporary folder)."""

_lock = threading.Lock()
_folder: Path | None = None
_owner: int | None = None


def private_dir() -> Path:
    """This process's private folder (mode 0700), made on first use, removed at exit.

    Raises ConfigError when it cannot be made (``$CEMIGRATE_SPOOL_DIR`` missing, say)."""
    global _folder, _owner
    with _lock:
        # A forked child (a test server, say) makes its own rather than share its parent's.
        if _folder is None or _owner != os.getpid() or not _folder.is_dir():
            parent = os.environ.get(SPOOL_DIR_ENV) or None
            try:
                _folder = Path(tempfile.mkdtemp(prefix="cemigrate-", dir=parent))
            except OSError as exc:
                where = f"{SPOOL_DIR_ENV}={parent}" if parent else tempfile.gettempdir()
                if no_space(exc):
                    raise out_of_space("a private temporary folder", where, exc) from exc
                raise ConfigError(
                    f"{where}: cannot make a private temporary folder there: {exc.strerror}"
                ) from exc
            _owner = os.getpid()
        return _folder


def private_file(prefix: str, suffix: str = "") -> Path:
    """A new empty file (mode 0600) in :func:`private_dir`; its user deletes it when done."""
    folder = private_dir()
    try:
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    except OSError as exc:
        if no_space(exc):
            raise out_of_space("a temporary file", folder, exc) from exc
        raise
    os.close(handle)
    return Path(name)


def remove_private_dir() -> None:
    """Remove the private folder and what is in it (at exit; again later makes a new one)."""
    global _folder
    with _lock:
        if _folder is not None and _owner == os.getpid():
            shutil.rmtree(_folder, ignore_errors=True)
        _folder = None


atexit.register(remove_private_dir)
