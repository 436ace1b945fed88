"""The notebooks in ``notebooks/`` run top to bottom against the emulators, as a user runs them.

Each one is executed by nbclient in a fresh kernel of *this* interpreter (the venv's Python,
whatever ``python3`` kernels the machine has registered elsewhere), from the notebooks folder,
as Jupyter runs it. A cell that raises fails its notebook's test with the cell's source and
the error. The notebooks check what they show (02 asserts nothing was duplicated or lost, 03
that a tampered report does not verify), so running them is a test of those claims too.

The three run at the same time, one kernel each, to keep the suite short.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path

import attrs
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ("01-dry-run", "02-migrate-and-resume", "03-reconcile-and-sign-off")
CELL_TIMEOUT = 180  # seconds; the slowest cell takes about 10
_KERNEL = "cemigrate-test-python"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@attrs.frozen
class Outcome:
    """How one notebook's execution went."""

    seconds: float
    failure: str | None
    """The failing cell's source and error, or what stopped the kernel; None when it ran."""


def _paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def _kernel_manager(specs: Path) -> AsyncKernelManager:
    """A kernel of this interpreter: a kernel spec naming ``sys.executable``, in a folder
    only this manager looks in (a ``python3`` kernel registered for the user could be another
    Python without cemigrate)."""
    folder = specs / _KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (cemigrate tests)",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return AsyncKernelManager(
        kernel_name=_KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)])
    )


def _failed_cell(nb: nbformat.NotebookNode) -> str | None:
    """The first cell with an error output: its number, source and traceback."""
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                trace = _ANSI.sub("", "\n".join(output.get("traceback", [])))
                return (
                    f"cell {number} failed:\n{cell.source}\n\n"
                    f"{output['ename']}: {output['evalue']}\n\n{trace}"
                )
    return None


async def _execute(nb: nbformat.NotebookNode, specs: Path) -> Outcome:
    """Run ``nb`` in place (its cells get their outputs) in a kernel of this interpreter."""
    client = NotebookClient(
        nb,
        km=_kernel_manager(specs),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's working directory
    )
    started = time.perf_counter()
    try:
        # Given a kernel manager, nbclient leaves the kernel running unless told to stop it.
        await client.async_execute(cleanup_kc=True)
    except Exception as exc:  # a cell's error (CellExecutionError), a timeout, a dead kernel
        failure = _failed_cell(nb) or f"{type(exc).__name__}: {exc}"
        return Outcome(time.perf_counter() - started, failure)
    return Outcome(time.perf_counter() - started, None)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every notebook, executed concurrently (one kernel each), by name."""
    specs = tmp_path_factory.mktemp("kernels")
    paths = _paths()

    async def run_all() -> list[Outcome]:
        notebooks = [nbformat.read(path, as_version=4) for path in paths]
        return list(await asyncio.gather(*(_execute(nb, specs) for nb in notebooks)))

    return dict(zip((p.stem for p in paths), asyncio.run(run_all()), strict=True))


def test_the_three_notebooks_are_there_stored_without_outputs() -> None:
    assert tuple(p.stem for p in _paths()) == EXPECTED
    for path in _paths():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert code, path.name
        assert all(not cell.outputs and cell.execution_count is None for cell in code), (
            f"{path.name} is stored with outputs: clear them (Jupyter: Edit > Clear Outputs)"
        )


def test_the_kernel_is_this_interpreter(tmp_path: Path) -> None:
    nb = new_notebook(
        cells=[new_code_cell("import sys\nprint(sys.executable)")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    outcome = asyncio.run(_execute(nb, tmp_path))
    assert outcome.failure is None
    assert Path(nb.cells[0].outputs[0]["text"].strip()) == Path(sys.executable)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_the_notebook_runs_top_to_bottom(executed: dict[str, Outcome], name: str) -> None:
    outcome = executed[name]
    if outcome.failure is not None:
        pytest.fail(
            f"notebooks/{name}.ipynb, after {outcome.seconds:.0f} s: {outcome.failure}",
            pytrace=False,
        )


@pytest.mark.parametrize("path", _paths(), ids=lambda p: p.stem)
def test_a_notebook_needs_at_most_three_cemigrate_imports(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    imports = [
        line.strip()
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if re.match(r"\s*(from cemigrate\b|import cemigrate\b)", line)
    ]
    assert "import cemigrate" in imports  # the public API: cemigrate.open_plan, .Migration ...
    assert len(imports) <= 3, imports
