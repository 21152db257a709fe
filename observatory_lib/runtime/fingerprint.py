"""What a notebook's outputs depend on besides its parameters: the project code it runs.

A batch skips a job whose inputs are unchanged. The inputs are the notebook, its parameters,
the data store's version and, from here, a *code version*: a digest of every project file the
notebook executes or reads as configuration:

- the project modules its code cells import, followed through their own imports (imports
  inside functions included, read statically: nothing is imported to find them), with the
  ``__init__.py`` of every package on the way;
- the configuration files beside each of those modules (YAML, JSON, CSS, Jinja templates);
- the project's configuration and reference files (``data/*.yaml``, ``data/reference/*``);
- the files that turn an executed notebook into the published HTML, PDF and JSON (this
  package's ``job``, ``render`` and ``records`` modules and ``templates/``).

Only modules that live in the project tree are followed; installed libraries are pinned by
the environment, not here. A change to any of these files changes the code version, so the
batch reruns exactly the notebooks that can be affected by it.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from observatory_lib import paths

CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".css", ".j2", ".html"})
_RUNTIME_DIR = Path(__file__).resolve().parent
# What turns an executed notebook into the published files: part of every notebook's inputs.
RENDERING_FILES = ("job.py", "render.py", "records.py")
RENDERING_DIRS = ("templates",)


@dataclass(frozen=True)
class CodeVersion:
    """The digest of a notebook's project files, and each file's own digest (for the why)."""

    digest: str
    files: dict[str, str]

    def changed_files(self, previous: dict[str, str]) -> list[str]:
        """The files (project-relative) added, removed or changed since ``previous``."""
        names = set(previous) | set(self.files)
        return sorted(name for name in names if previous.get(name) != self.files.get(name))


def code_version(notebook: str | Path, root: Path | None = None) -> CodeVersion:
    """The code version of ``notebook``: a digest of every project file it depends on."""
    root = (root or paths.PROJECT_ROOT).resolve()
    files = sorted(set(notebook_code_files(notebook, root)) | set(_configuration_files(root)))
    digests = {_relative(path, root): _sha256(path.read_bytes()) for path in files}
    digest = _sha256(json.dumps(digests, sort_keys=True).encode())
    return CodeVersion(digest=digest, files=digests)


def notebook_code_files(notebook: str | Path, root: Path | None = None) -> list[Path]:
    """The project modules (and their configuration files) ``notebook`` imports, transitively."""
    root = (root or paths.PROJECT_ROOT).resolve()
    modules = _imported_modules(_notebook_sources(Path(notebook)))
    seen: set[Path] = set()
    pending = [path for name in modules for path in _module_files(name, root)]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        package = _package_of(path, root)
        for name in _imported_modules([path.read_text(encoding="utf-8")], package):
            pending.extend(_module_files(name, root))
    configuration = {item for path in seen for item in _config_beside(path.parent)}
    return sorted(seen | configuration)


def _configuration_files(root: Path) -> list[Path]:
    data = root / paths.DATA_DIR.relative_to(paths.PROJECT_ROOT)
    found = sorted(data.glob("*.yaml")) + sorted(
        path for path in (data / "reference").glob("*") if path.is_file()
    )
    rendering = [_RUNTIME_DIR / name for name in RENDERING_FILES]
    for directory in RENDERING_DIRS:
        rendering += sorted(p for p in (_RUNTIME_DIR / directory).rglob("*") if p.is_file())
    return found + [path for path in rendering if path.is_file()]


def _notebook_sources(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    sources = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            text = cell.get("source", "")
            text = "".join(text) if isinstance(text, list) else text
            # IPython magics and shell escapes are not Python
            lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
            sources.append("\n".join(lines))
    return sources


def _imported_modules(sources: Iterable[str], package: str = "") -> set[str]:
    """Dotted names of every module an import statement in ``sources`` may load."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node.module or "", node.level, package)
                if base:
                    names.add(base)
                    names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _absolute(module: str, level: int, package: str) -> str:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    parent = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*parent, module] if module else parent)


def _module_files(name: str, root: Path) -> list[Path]:
    """The files Python executes to import ``name`` from the project tree (none if elsewhere)."""
    parts = name.split(".")
    if not (root / parts[0]).is_dir() and not (root / f"{parts[0]}.py").is_file():
        return []
    files = []
    for depth in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:depth])
        if (base / "__init__.py").is_file():
            files.append(base / "__init__.py")
        elif base.with_suffix(".py").is_file():
            files.append(base.with_suffix(".py"))
            break
        else:
            break
    return files


def _package_of(path: Path, root: Path) -> str:
    relative = path.relative_to(root).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1])
    return ".".join(parts[:-1])


def _config_beside(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.is_file() and p.suffix in CONFIG_SUFFIXES]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
