"""Writing a report file whole or not at all.

A report a manager signs must never be left half written: each file is written to a hidden
sibling first and moved over its name only once complete (``os.replace``, atomic on one file
system). When the disk fills up on the way, the sibling is removed and the writer gets one
:class:`~cemigrate.errors.OutOfSpace` line naming the file; an earlier copy of it is kept (as
when a signal stops the write).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cemigrate.errors import no_space, out_of_space

__all__ = ["write_text"]


def write_text(path: str | os.PathLike[str], text: str, *, what: str = "the report") -> Path:
    """Write ``text`` (UTF-8) to ``path`` whole, or leave ``path`` as it was; its path.

    Raises :class:`~cemigrate.errors.OutOfSpace` when the disk is full (no partial file
    left behind); any other ``OSError`` as it is."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")  # one per process
    try:
        with partial.open("w", encoding="utf-8") as file:
            file.write(text)
        os.replace(partial, target)
    except BaseException as exc:  # a full disk, Ctrl-C: the report is left as it was
        with contextlib.suppress(OSError):
            partial.unlink()
        if isinstance(exc, OSError) and no_space(exc):
            raise out_of_space(what, target, exc, then="run the command again") from exc
        raise
    return target
