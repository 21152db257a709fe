"""Lower layers never import higher ones: data -> indicators -> products."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "observatory_lib"
RANK = {"data": 0, "indicators": 1, "products": 2}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return {n for n in names if n.startswith("observatory_lib")}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_its_layer_or_lower(path):
    relative = path.relative_to(PACKAGE)
    own = relative.parts[0] if relative.parts[0] in RANK else None
    imported = _imports(path)
    if own is None:  # paths, errors, __init__: the base imports nothing of the layers
        assert not {m for m in imported if _layer(m)}, imported
        return
    higher = [m for m in imported if _layer(m) and RANK[_layer(m)] > RANK[own]]
    assert higher == [], f"{relative} ({own}) imports a higher layer: {higher}"
