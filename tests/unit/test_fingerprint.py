"""The code version of a notebook: the project files it runs, and what a change reruns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from observatory_lib import paths
from observatory_lib.runtime.fingerprint import code_version, notebook_code_files


def _notebook(path: Path, *sources: str) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# A notebook"}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
        for s in sources
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}), "utf-8")
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with a package: a -> b (inside a function), b -> c (relative), d alone."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n    return b\n")
    (package / "b.py").write_text("from . import c\n")
    (package / "c.py").write_text("import numpy\n")
    (package / "d.py").write_text("X = 1\n")
    (package / "rules.yaml").write_text("x: 1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "settings.yaml").write_text("y: 2\n")
    _notebook(tmp_path / "nb.ipynb", "%matplotlib inline\nimport pkg.a\nimport pandas")
    return tmp_path


def test_the_notebooks_imports_are_followed_through_the_package(project):
    found = {
        p.relative_to(project).as_posix()
        for p in notebook_code_files(project / "nb.ipynb", project)
    }
    assert found == {"pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/rules.yaml"}


def test_a_change_to_a_module_the_notebook_runs_changes_the_version(project):
    before = code_version(project / "nb.ipynb", project)
    (project / "pkg" / "c.py").write_text("import numpy  # changed\n")
    after = code_version(project / "nb.ipynb", project)
    assert before.digest != after.digest
    assert after.changed_files(before.files) == ["pkg/c.py"]


def test_a_change_elsewhere_leaves_the_version_alone(project):
    before = code_version(project / "nb.ipynb", project)
    (project / "pkg" / "d.py").write_text("X = 2\n")
    assert code_version(project / "nb.ipynb", project).digest == before.digest


def test_configuration_files_count(project):
    before = code_version(project / "nb.ipynb", project)
    (project / "data" / "settings.yaml").write_text("y: 3\n")
    after = code_version(project / "nb.ipynb", project)
    assert after.changed_files(before.files) == ["data/settings.yaml"]
    (project / "pkg" / "rules.yaml").write_text("x: 2\n")
    assert code_version(project / "nb.ipynb", project).digest != after.digest


def test_the_real_scorecard_notebook_runs_its_product_and_not_the_apps():
    files = code_version(paths.NOTEBOOK_DIR / "region_scorecard.ipynb").files
    assert "observatory_lib/products/region_scorecard/card.py" in files
    assert "observatory_lib/indicators/recipes.py" in files
    assert "observatory_lib/indicators/star_presets.yaml" in files
    assert "data/scoreboard_framework.yaml" in files
    assert "observatory_lib/runtime/templates/observatory/index.html.j2" in files
    assert not any(name.startswith("observatory_lib/products/apps/") for name in files)
    assert "observatory_lib/products/cluster_panorama.py" not in files
