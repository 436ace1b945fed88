"""The repository stands alone: nothing in it reads or names a path outside the checkout.

A fresh clone in an empty folder has nothing beside it, so a test that opens a folder beside the
checkout, or an absolute path, passes only on the machine that happens to have that folder.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("src", "tests", "benchmarks", "notebooks", "docs")
"""Folders whose files must not name a path outside the repository."""
CHECKED_FILES = ("Makefile", "mkdocs.yml", "pyproject.toml", "README.md", ".ci/run")
TEXT = {".py", ".ipynb", ".md", ".toml", ".yml", ".yaml", ".cfg", ".txt", ".json", ""}

OUTSIDE = re.compile(
    r"\.\./shared\b"  # the design folder beside the checkout
    r"|\bshared/(?:fixtures|reference)\b"
    r"|\"shared\"\s*/\s*\"fixtures\""
    r"|(?<![\w.:/~-])/(?:work|home|root|Users|mnt|opt|srv|tmp|var|media)/"  # absolute paths
    r"|\b[A-Za-z]:\\\\"  # a Windows drive
)
"""Text that names a place outside the checkout."""


def _files() -> Iterator[Path]:
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"__pycache__", ".ipynb_checkpoints", "_out"}:
                continue
            if path.is_file() and path.suffix in TEXT:
                yield path
    for name in CHECKED_FILES:
        yield ROOT / name


def _named_outside(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE.search(line)
    ]


def _climbs(node: ast.expr, names: dict[str, Path], here: Path) -> Path | None:
    """The folder an expression such as ``Path(__file__).resolve().parents[2]`` names."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Path" and len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id == "__file__":
                return here
        if isinstance(func, ast.Attribute) and func.attr in {"resolve", "absolute"}:
            return _climbs(func.value, names, here)
        return None
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        base = _climbs(node.value, names, here)
        return None if base is None else base.parent
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        base = _climbs(node.value.value, names, here)
        up = node.slice.value
        if base is not None:
            return base.parents[up] if up < len(base.parents) else Path(base.anchor)
    return None


def _climbs_outside(path: Path, source: str) -> list[str]:
    """Where module ``source`` at ``path`` computes a folder above the repository from its own
    ``__file__``."""
    tree = ast.parse(source)
    names: dict[str, Path] = {}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            found = _climbs(node.value, names, path)
            if isinstance(target, ast.Name) and found is not None:
                names[target.id] = found
        if isinstance(node, ast.Attribute | ast.Subscript):
            found = _climbs(node, names, path)
            if found is not None and not found.is_relative_to(ROOT):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return problems


def test_no_file_names_a_path_outside_the_repository() -> None:
    problems = [problem for path in _files() for problem in _named_outside(path)]
    assert problems == [], "\n".join(problems)


def test_no_module_climbs_above_the_repository_from_its_own_file() -> None:
    problems = [
        problem
        for path in _files()
        if path.suffix == ".py"
        for problem in _climbs_outside(path, path.read_text(encoding="utf-8"))
    ]
    assert problems == [], "\n".join(problems)


# The examples are assembled from pieces so that this file itself names no outside path.
_UP, _SHARED, _WORK = "../", "shared/", "/wo" + "rk/"


@pytest.mark.parametrize(
    ("line", "outside"),
    [
        ('FIXTURES = ROOT.parent / "shared" / "fix' + 'tures" / "zendesk-recorded"', True),
        (f'SAMPLES = Path("{_WORK}{_SHARED}fix' + 'tures/freshdesk-samples")', True),
        (f"see {_UP}{_SHARED}reference/platform-facts.md", True),
        ("cemigrate demo --out /t" + "mp/demo", True),
        ('session.get(f"{base}/api/v2/tickets/7.json")', False),
        ("https://acme.zendesk.com/api/v2/users/me.json", False),
        ('CASSETTES = ROOT / "cassettes" / "zendesk"', False),
    ],
)
def test_the_text_check_tells_outside_paths_from_urls(line: str, outside: bool) -> None:
    assert bool(OUTSIDE.search(line)) is outside


@pytest.mark.parametrize(
    ("source", "outside"),
    [
        ("ROOT = Path(__file__).resolve().parents[2]\nX = ROOT.parent / 'elsewhere'", True),
        ("X = Path(__file__).resolve().parents[3] / 'elsewhere'", True),
        ("X = Path(__file__).parent.parent.parent.parent", True),
        ("ROOT = Path(__file__).resolve().parents[2]\nX = ROOT / 'cassettes'", False),
        ("X = Path(__file__).resolve().parent.parent.parent / 'cassettes'", False),
    ],
)
def test_the_climb_check_follows_parents_from_a_test_file(source: str, outside: bool) -> None:
    module = ROOT / "tests" / "core" / "test_example.py"  # where the code would live; never written
    assert bool(_climbs_outside(module, source)) is outside


def test_a_skip_without_the_live_marker_fails_the_suite(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        """
        import pytest

        def test_reads_a_missing_fixture():
            pytest.skip("fixture file not found")

        @pytest.mark.live
        def test_needs_an_account():
            pytest.skip("no credentials")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-m", "live or not live")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*only tests marked live may skip: *fixture file not found*"])
