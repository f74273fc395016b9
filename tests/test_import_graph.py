"""Every import inside `migrate` points one way: no module imports, even lazily inside a
function, a module that imports it back (a LibCST fallback gets its shared types from a third,
lower module)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "migrate"


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports, anywhere in its code."""
    files = {_module_name(p, package): p for p in sorted(package.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:  # `from migrate import audit` imports a module
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path around each circle found by a depth-first walk (empty: the graph is acyclic)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_package_has_no_import_circle() -> None:
    graph = import_graph(PACKAGE)
    assert "migrate.pysource.subprocess_sites.ast_front" in graph  # the walk found the modules
    assert cycles(graph) == []


def test_a_circle_is_found(tmp_path: Path) -> None:
    """The check itself: a fallback importing back into its caller, from inside a function."""
    package = tmp_path / "migrate"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from migrate._a_cst import g\n")
    (package / "_a_cst.py").write_text("from . import a\n")
    graph = import_graph(package)
    assert cycles(graph) == [["migrate._a_cst", "migrate.a", "migrate._a_cst"]]


def _imported_roots(path: Path) -> set[str]:
    """The top-level packages `path` imports at run time (a `TYPE_CHECKING` block is not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    roots: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_git_is_reached_only_through_the_gateway() -> None:
    """GitPython is imported by `engine/git.py` alone; every other module asks it."""
    users = sorted(
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if "git" in _imported_roots(p)
    )
    assert users == ["migrate/engine/git.py"]


def test_the_engine_never_reaches_up_into_the_interface() -> None:
    """The engine changes repositories; what the user sees (ui, cli) sits above it."""
    graph = import_graph(PACKAGE)
    upward = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("migrate.engine")
        for target in targets
        if target.startswith(("migrate.ui", "migrate.cli"))
    }
    assert upward == set()
