"""The mapping files cemigrate ships: one per ordered pair of platforms, plus ``identity.toml``.

The repository's top-level ``mappings/`` folder is the only copy. A wheel carries it as package
data (``cemigrate/mappings/``, placed there by the build, see ``pyproject.toml``); an editable
install of a checkout has no such folder inside the package, so the checkout's own
``mappings/`` is used instead. Either way the files are found through the installed package,
never through the working directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cemigrate.errors import MappingError

__all__ = ["shipped_mapping", "shipped_mappings"]

_PACKAGE = "cemigrate"
_FOLDER = "mappings"


def shipped_mappings() -> Path:
    """The folder holding the shipped mapping files."""
    packaged = resources.files(_PACKAGE) / _FOLDER
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    package = resources.files(_PACKAGE)
    if isinstance(package, Path):
        # An editable install of a checkout: src/cemigrate -> the checkout's mappings/.
        checkout = package.parent.parent / _FOLDER
        if checkout.is_dir():
            return checkout
    raise MappingError(
        f"the shipped mapping files are missing from this installation of {_PACKAGE}"
        " (reinstall it from a wheel or a source checkout)"
    )


def shipped_mapping(source: str, target: str) -> Path:
    """The shipped mapping file of a pair, ``<source>-to-<target>.toml``."""
    path = shipped_mappings() / f"{source}-to-{target}.toml"
    if not path.is_file():
        raise MappingError(f"no shipped mapping from {source!r} to {target!r} ({path.name})")
    return path
