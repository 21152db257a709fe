"""environment.yml (conda) and pyproject.toml (pip) must list the same runtime dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_conda_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in project["dependencies"]}
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    # Node.js builds the apps' page script (make frontend): a tool, not a Python dependency.
    conda_names = {_name(d) for d in conda if isinstance(d, str)} - {"python", "pip", "nodejs"}
    assert pip_names == conda_names, (
        f"only in pyproject: {sorted(pip_names - conda_names)}; "
        f"only in environment.yml: {sorted(conda_names - pip_names)}"
    )


def test_python_floor_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert project["requires-python"] == ">=3.11"
    assert "python>=3.11" in conda
