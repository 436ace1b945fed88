"""Read TOML files people write (plans, mappings) and point errors at the line of a key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cemigrate.errors import ConfigError

KeyPath = tuple[str | int, ...]
"""Where a value sits: ``("source", 0, "platform")`` is ``platform`` in the first ``[[source]]``."""

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"']+)\s*=")


class TomlFile:
    """A parsed TOML file that knows on which line each key was written."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.data = data
        self._lines = lines

    @classmethod
    def load(cls, path: str | Path, *, error: type[ConfigError], what: str) -> TomlFile:
        """Parse ``path``; a missing file or a syntax error raises ``error`` in one line."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise error(f"{path}: no such {what} file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise error(f"{path}: cannot read the {what} file ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise error(f"{path}: TOML syntax error: {exc}") from None
        return cls(path, data, _index_lines(text))

    def line(self, where: Sequence[str | int]) -> int:
        """The line of ``where``, or of its nearest enclosing table (1 when unknown)."""
        key = tuple(where)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return 1

    def error(
        self, where: Sequence[str | int], message: str, *, error: type[ConfigError]
    ) -> ConfigError:
        """``file:line: dotted.key: message`` as an exception of type ``error``."""
        return error(f"{self.path}:{self.line(where)}: {dotted(where)}: {message}")


def dotted(where: Sequence[str | int]) -> str:
    """``source[0].platform`` for ``("source", 0, "platform")``."""
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _index_lines(text: str) -> dict[KeyPath, int]:
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_TABLE.match(line):
            name = tuple(_split(match.group(1)))
            index = counts.get(name, -1) + 1
            counts[name] = index
            table = (*name, index)
            lines.setdefault(table, number)
            lines.setdefault(name, number)
        elif match := _TABLE.match(line):
            table = tuple(_split(match.group(1)))
            lines.setdefault(table, number)
        elif match := _KEY.match(line):
            lines.setdefault((*table, *_split(match.group(1))), number)
    return lines


def _split(dotted_key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted_key.split(".")]
