"""The house rules of ``observatory_lib``, read from the code's own imports (docs/ARCHITECTURE.md).

- base (``paths``, ``errors``, ``files``, ``constants``) imports nothing of the package's layers;
- ``data`` -> ``indicators`` -> ``products`` -> ``cli``: no layer imports a higher one;
- ``runtime`` (batch, warm engine, Dask, render, records, serve) knows nothing of the domain:
  it imports no ``data``, ``indicators``, ``products`` or ``cli`` module;
- ``products`` import the kit and lower layers, never another product;
- no import cycle anywhere, imports inside functions included.

Every ``import`` statement counts, wherever it is in a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "observatory_lib"
BASE = {"paths", "errors", "files", "constants", "__init__"}
# ``runtime`` sits beside the domain layers: only the CLI uses it (and products use its records)
RANK = {"base": 0, "data": 1, "indicators": 2, "runtime": 1, "products": 3, "cli": 4}
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


NAMES = {_module_name(path): path for path in MODULES}


def _imports(path: Path) -> set[str]:
    """Every ``observatory_lib`` module ``path`` imports (``from X import Y``: X, and X.Y if a
    module), anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name in NAMES}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    return parts[1] if parts[1] in RANK else "base"


def _product(module: str) -> str | None:
    """The product a ``products`` module belongs to (None for the kit and the package)."""
    parts = module.split(".")
    if len(parts) < 3 or parts[1] != "products" or parts[2] == "kit":
        return None
    return parts[2]


GRAPH = {name: _imports(path) - {name} for name, path in NAMES.items()}


@pytest.mark.parametrize("module", sorted(NAMES), ids=str)
def test_no_module_imports_a_higher_layer(module):
    own = _layer(module)
    higher = sorted(m for m in GRAPH[module] if RANK[_layer(m)] > RANK[own])
    assert higher == [], f"{module} ({own}) imports a higher layer: {higher}"


@pytest.mark.parametrize("module", sorted(n for n in NAMES if _layer(n) == "runtime"), ids=str)
def test_runtime_knows_nothing_of_the_domain(module):
    domain = sorted(m for m in GRAPH[module] if _layer(m) in {"data", "indicators", "products"})
    assert domain == [], f"{module} imports the domain: {domain}"


@pytest.mark.parametrize("module", sorted(n for n in NAMES if _product(n)), ids=str)
def test_products_never_import_another_product(module):
    others = sorted(m for m in GRAPH[module] if _product(m) not in (None, _product(module)))
    assert others == [], f"{module} imports another product: {others}"


def test_the_runtime_is_used_by_the_cli_and_for_records_only():
    """Products publish their record for the batch; only the CLI drives the rest."""
    users = {
        (_layer(name), target)
        for name in NAMES
        for target in GRAPH[name]
        if _layer(target) == "runtime" and _layer(name) != "runtime"
    }
    allowed = {("products", "observatory_lib.runtime.records")}
    assert {use for use in users if use[0] != "cli"} <= allowed, users


def test_there_is_no_import_cycle():
    cycles = _cycles(GRAPH)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [sorted(cycle) for cycle in _cycles(graph)] == [["a", "b", "c"]]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself
    through a package face (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
