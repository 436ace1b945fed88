"""Progress bars per kind: tqdm (widgets in notebooks), silent when nobody is watching."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

from cemigrate.schema import Kind


class Progress:
    """One bar per kind, opened when its first batch arrives.

    ``enabled=None`` shows bars only when standard error is a terminal, so logs and CI stay
    clean.
    """

    def __init__(self, *, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bars: dict[Kind, tqdm] = {}

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    def advance(self, kind: Kind, count: int) -> None:
        """Count ``count`` more records read of ``kind``."""
        if not self.enabled:
            return
        bar = self._bars.get(kind)
        if bar is None:
            bar = self._bars[kind] = tqdm(desc=f"{kind:>20}", unit=" rec", leave=True)
        bar.update(count)
