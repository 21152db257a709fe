"""Notebooks are committed without outputs, enforced by git: ``make hooks`` (run by ``make
install``, so by ``make demo``, ``make test`` and ``make lab``) installs nbstripout as a git
filter that ``.gitattributes`` names for every notebook.

The tests work on a fresh repository holding the project's Makefile, .gitattributes and
notebooks, with git's global and system configuration shut out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
NOTEBOOK = "notebooks/sector_report.ipynb"

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make"
)


def _git_environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_AUTHOR_NAME": "Analyst",
        "GIT_AUTHOR_EMAIL": "analyst@example.org",
        "GIT_COMMITTER_NAME": "Analyst",
        "GIT_COMMITTER_EMAIL": "analyst@example.org",
    }


class Clone:
    """A fresh repository with the project's Makefile, .gitattributes and notebooks."""

    def __init__(self, path: Path, home: Path) -> None:
        self.path = path
        self.environment = _git_environment(home)

    def run(self, *command: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            command,
            cwd=cwd or self.path,
            env=self.environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, f"{' '.join(command)}: {done.stdout}{done.stderr}"
        return done.stdout

    def git(self, *arguments: str, cwd: Path | None = None) -> str:
        return self.run("git", *arguments, cwd=cwd)

    def make_hooks(self, cwd: Path | None = None) -> str:
        # VENV: this interpreter's environment, whose nbstripout the filter will call
        return self.run("make", "--no-print-directory", "hooks", f"VENV={sys.prefix}", cwd=cwd)


@pytest.fixture
def clone(tmp_path) -> Clone:
    home = tmp_path / "home"
    home.mkdir()
    (home / "gitconfig").write_text("")
    repository = Clone(tmp_path / "project", home)
    repository.path.mkdir()
    for name in ("Makefile", ".gitattributes"):
        shutil.copy2(ROOT / name, repository.path / name)
    shutil.copytree(ROOT / "notebooks", repository.path / "notebooks")
    repository.git("init", "-q", "-b", "main")
    repository.git("add", "-A")
    repository.git("commit", "-qm", "the project")
    return repository


def _save_with_outputs(path: Path) -> None:
    """What saving an executed notebook in JupyterLab does: outputs and counts in the file,
    plus a new markdown cell (the change the analyst wants to commit)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for count, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["SECRET\n"]}]
        cell["execution_count"] = count + 1
    nb["cells"].insert(1, {"cell_type": "markdown", "id": "note", "metadata": {}, "source": "A"})
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path.write_text(json.dumps(nb, indent=2), encoding="utf-8")


def test_a_notebook_saved_with_outputs_is_committed_without_them(clone):
    assert "notebooks are stripped of outputs" in clone.make_hooks()
    notebook = clone.path / NOTEBOOK
    _save_with_outputs(notebook)
    clone.git("commit", "-qam", "a note for the reader")

    committed = json.loads(clone.git("show", f"HEAD:{NOTEBOOK}"))
    code = [cell for cell in committed["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    assert "widgets" not in committed["metadata"]
    assert "".join(committed["cells"][1]["source"]) == "A"  # the analyst's change landed
    assert "SECRET" in notebook.read_text(encoding="utf-8")  # the analyst keeps the outputs
    assert clone.git("status", "--porcelain") == ""
    # the parameters tag and the cell ids survive the filter
    parameters = [c for c in committed["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(parameters) == 1 and parameters[0]["id"] == _original_parameters_id()


def _original_parameters_id() -> str:
    cells = json.loads((ROOT / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    return next(c["id"] for c in cells if "parameters" in c["metadata"].get("tags", []))


def test_make_install_runs_the_hooks_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = next(line for line in makefile.splitlines() if line.startswith("install:"))
    assert "hooks" in install.split("##")[0]
    for target in ("demo", "test", "lab"):  # each reaches install through its prerequisites
        assert f"\n{target}:" in makefile


def test_a_linked_worktree_leaves_the_shared_config_alone(clone, tmp_path):
    linked = tmp_path / "linked"
    clone.git("worktree", "add", "-q", str(linked))
    message = clone.make_hooks(cwd=linked)
    assert "linked worktree" in message and "extensions.worktreeConfig" in message
    config = (clone.path / ".git" / "config").read_text()
    assert "nbstripout" not in config  # the main checkout's (shared) config is untouched

    clone.git("config", "extensions.worktreeConfig", "true")
    assert "stripped of outputs" in clone.make_hooks(cwd=linked)
    assert "nbstripout" not in (clone.path / ".git" / "config").read_text()
    assert "nbstripout" in clone.git("config", "--worktree", "--list", cwd=linked)


def test_the_committed_notebooks_are_what_the_filter_makes_of_them():
    """A fresh clone with the filter shows no notebook as modified."""
    done = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--keep-id", "--verify", *map(str, NOTEBOOKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
