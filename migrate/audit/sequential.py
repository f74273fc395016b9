"""The sequential-subprocess heuristic: loops whose iterations look independent but run their
subprocess calls one after another."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

from migrate.audit.tree import Parsed
from migrate.model import Finding
from migrate.pysource.subprocess_sites.resolve import Facts

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


LoopNode = Union[ast.For, ast.AsyncFor, ast.While]  # noqa: UP007 - a runtime alias
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def sequential_findings(parsed: Parsed) -> list[Finding]:
    """One finding per loop that runs independent-looking subprocess calls one at a time.

    The sites are told apart exactly, and each knows its innermost loop (`pysource.subprocess_sites`
    records it as it reads the module).
    """
    facts = parsed.facts()
    if not isinstance(facts, Facts):
        return []
    starts: dict[LoopNode, set[tuple[int, int]]] = {}
    for site in facts.sites:
        loop, raw = site.call.loop, site.call.raw
        if isinstance(loop, _LOOPS) and raw is not None:  # not inside an f-string
            starts.setdefault(loop, set()).add(raw.start)
    findings = []
    for loop, where in starts.items():
        calls = [n for n in ast.walk(loop) if isinstance(n, ast.Call) and _start(n) in where]
        finding = _sequential(parsed.path, loop, calls)
        if finding is not None:
            findings.append(finding)
    return findings


def _start(node: ast.Call) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _sequential(path: str, loop: LoopNode, sites: list[ast.Call]) -> Finding | None:
    """The loop's subprocess calls look independent from one iteration to the next when:

    - the body cannot end the loop early (`break`, `return`, `yield`: the rest may depend
      on a result), and for `while`, the condition reads no name the body assigns;
    - the call reads a per-iteration name: the `for` target, or a name the body assigns
      before reading it;
    - the call reads no name carried over from the previous iteration (assigned in the
      body but read before that assignment, like `total += ...` or `prev = x` after use).
    """
    if _exits(loop.body):
        return None
    events = _name_events(loop.body)
    first: dict[str, bool] = {}
    for name, store in events:
        first.setdefault(name, store)
    assigned = {name for name, store in events if store}
    carried = {name for name in assigned if not first[name]}
    if isinstance(loop, ast.While):
        if _loads(loop.test) & assigned:
            return None
        per_iteration = assigned - carried
    else:
        per_iteration = {n for n, _ in _name_events([loop.target])} | (assigned - carried)
    independent = [c for c in sites if _loads(c) & per_iteration and not _loads(c) & carried]
    if not independent:
        return None
    lines = ", ".join(str(n) for n in sorted({c.lineno for c in independent}))
    what = "while" if isinstance(loop, ast.While) else "for"
    many = "s" if len(independent) > 1 else ""
    message = (
        f"{what} loop runs subprocess call{many} (line {lines}) one after another; its"
        " iterations look independent, so they could run in parallel"
    )
    return Finding(path, loop.lineno, "sequential-subprocess", message)


def _exits(body: Sequence[ast.stmt]) -> bool:
    """Whether the body may end its loop early (a `break` of an inner loop does not)."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in body]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Break) and not nested:
            return True
        if isinstance(node, _SCOPES):
            continue
        inner = nested or isinstance(node, _LOOPS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return False


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _name_events(nodes: Sequence[ast.AST]) -> list[tuple[str, bool]]:
    """(name, stored?) in the order Python evaluates them: `x = f(x)` reads x, then stores it."""
    out: list[tuple[str, bool]] = []
    for node in nodes:
        _events(node, out)
    return out


def _events(node: ast.AST, out: list[tuple[str, bool]]) -> None:
    if isinstance(node, ast.Name):
        out.append((node.id, not isinstance(node.ctx, ast.Load)))
    elif isinstance(node, _SCOPES):
        if not isinstance(node, ast.Lambda):
            out.append((node.name, True))
    elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
        if node.value is not None:
            _events(node.value, out)
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            _events(target, out)
    elif isinstance(node, ast.AugAssign):
        if isinstance(node.target, ast.Name):
            out.append((node.target.id, False))
        _events(node.value, out)
        _events(node.target, out)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        for part in (node.iter, node.target, *node.body, *node.orelse):
            _events(part, out)
    elif isinstance(node, _COMPREHENSIONS):
        _comprehension_events(node, out)
    elif isinstance(node, ast.ExceptHandler):
        if node.type is not None:
            _events(node.type, out)
        if node.name:
            out.append((node.name, True))
        for stmt in node.body:
            _events(stmt, out)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        out.extend(((a.asname or a.name).split(".", 1)[0], True) for a in node.names)
    else:
        for child in ast.iter_child_nodes(node):
            _events(child, out)


def _comprehension_events(node: ast.AST, out: list[tuple[str, bool]]) -> None:
    """A comprehension's own variables stay inside it: only the names it reads get out."""
    inner: list[tuple[str, bool]] = []
    for child in ast.iter_child_nodes(node):
        _events(child, inner)
    local = {name for name, store in inner if store}
    out.extend((name, store) for name, store in inner if name not in local)
