"""A copy of the project to perform an analyst's task on (docs/HOWTO.md), and its commands.

``copy_project`` copies the source tree (no .venv, .git, store, cache or outputs) to a
temporary folder. ``Workbench`` runs the real ``observatory`` command on the copy: the copy's
``observatory_lib`` comes first on ``PYTHONPATH`` (so its YAML files and modules are the ones
read, in the command and in the kernels it starts), ``OBSERVATORY_ROOT`` points at the copy's
data and notebooks, the outputs go into the copy, and the store is the session's (the
``built_store`` fixture), since none of the tasks changes what the store holds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SKIPPED = {".venv", ".git", "outputs", "data/cache", "data/store", "build"}
_SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
OBSERVATORY = Path(sys.executable).with_name("observatory")


def copy_project(target: Path) -> Path:
    """Copy the project's source tree into ``target`` (created) and return it."""

    def ignored(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(PROJECT_ROOT)
        return {
            name
            for name in names
            if name in _SKIPPED_NAMES
            or name.endswith(".egg-info")
            or (relative / name).as_posix() in _SKIPPED
        }

    shutil.copytree(PROJECT_ROOT, target, ignore=ignored)
    (target / "outputs").mkdir()
    return target


@dataclass
class Workbench:
    """The copied project and the environment its commands run in."""

    root: Path

    @property
    def outputs(self) -> Path:
        """Where the copy's commands publish."""
        return self.root / "outputs"

    def environment(self) -> dict[str, str]:
        """This process's environment (store, cache, mirror) with the copy's code and outputs."""
        environment = dict(os.environ)
        environment.update(
            PYTHONPATH=str(self.root),
            OBSERVATORY_ROOT=str(self.root),
            OBSERVATORY_OUTPUTS=str(self.outputs),
        )
        return environment

    def run(self, *arguments: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """Run ``observatory ARGUMENTS`` on the copy; its output is captured."""
        return subprocess.run(
            [str(OBSERVATORY), *arguments],
            cwd=self.root,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def observatory(self, *arguments: str, timeout: float = 900) -> str:
        """Run ``observatory ARGUMENTS`` on the copy; its standard output, or a failed test."""
        done = self.run(*arguments, timeout=timeout)
        assert done.returncode == 0, (
            f"observatory {' '.join(arguments)} exited {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}"
        )
        return done.stdout

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` by ``new`` in a file of the copy."""
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{relative}: expected one {old!r}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def append(self, relative: str, text: str) -> None:
        """Append ``text`` to a file of the copy."""
        path = self.root / relative
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def page_text(path: Path) -> str:
    """The visible text of a published HTML page (styles and tags removed, spaces collapsed)."""
    import html

    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())
