"""A private name (`_name`) stays in its module: another module of the package that needs it
means it should be public or moved. A private module (`_signature`) is its package's own."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "migrate"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def crossings(package: Path) -> list[str]:
    """`module: name` for each private name one module of the package takes from another, and
    each private module imported from outside its own package."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("").as_posix().replace("/", ".")
        here = (
            rel.removesuffix(".__init__") if path.name == "__init__.py" else rel.rpartition(".")[0]
        )
        modules: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("migrate"):
                module = node.module or ""
                found += [f"{rel}: {module}.{a.name}" for a in node.names if _private(a.name)]
                parent, _, last = module.rpartition(".")
                if _private(last) and parent != here and not here.startswith(module):
                    found.append(f"{rel}: {module}")
                modules.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Import):
                modules.update(
                    a.asname or a.name for a in node.names if a.name.startswith("migrate")
                )
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and _private(node.attr)
            ):
                found.append(f"{rel}: {node.value.id}.{node.attr}")
    return found


def test_no_private_name_crosses_a_module_line() -> None:
    assert crossings(PACKAGE) == []


def test_a_crossing_is_found(tmp_path: Path) -> None:
    package = tmp_path / "migrate"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "_helper.py").write_text("def _f():\n    pass\n")
    (package / "a.py").write_text("from migrate.sub._helper import _f\n")
    assert crossings(package) == [
        "migrate.a: migrate.sub._helper._f",
        "migrate.a: migrate.sub._helper",
    ]
