"""The committed notebooks: no outputs, thin, typed parameters, no working-directory paths.

The notebooks hold narrative, the parameters cell, calls into ``observatory_lib`` and display;
everything else lives in the library (docs/CONVENTIONS.md, "Notebooks").
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.rglob("*.ipynb"))
MAX_CODE_LINES = 40


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _code_lines(path: Path) -> int:
    lines = [
        line
        for cell in _cells(path)
        if cell["cell_type"] == "code"
        for line in _source(cell).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return len(lines)


def test_every_product_has_its_notebook():
    names = {path.stem for path in NOTEBOOKS}
    assert {
        "cluster_panorama",
        "sector_report",
        "ecosystem_scoreboard",
        "region_scorecard",
    } <= names
    assert {"mapping_tool", "region_explorer"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs(path):
    for position, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name} cell {position} has outputs"
        assert cell.get("execution_count") is None, f"{path.name} cell {position} was executed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path):
    assert _code_lines(path) <= MAX_CODE_LINES, f"{path.name}: {_code_lines(path)} lines of code"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_parameters_cell_is_typed_and_commented(path):
    cells = [cell for cell in _cells(path) if "parameters" in cell["metadata"].get("tags", [])]
    assert len(cells) == 1, f"{path.name} needs exactly one cell tagged parameters"
    source = _source(cells[0])
    for node in ast.parse(source).body:
        assert isinstance(node, ast.AnnAssign), f"{path.name}: untyped {ast.unparse(node)}"
    for line in source.splitlines():
        assert "  # " in line, f"{path.name}: parameter without a comment: {line}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_never_build_paths_from_the_working_directory(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    for forbidden in ("os.getcwd", "Path.cwd", "Path(", "open(", "../", "os.chdir"):
        assert forbidden not in code, f"{path.name} uses {forbidden}; take paths from the library"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_import_only_the_library_and_ipython(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in {"observatory_lib", "IPython"}, f"{path.name}: {name}"
