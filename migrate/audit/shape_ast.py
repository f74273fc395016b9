"""The shape of a module (imports, and the calls of the pools and callees) read from its `ast`
tree, visiting only nodes on lines that name a wanted word; LibCST trees go to `shape_cst`."""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from migrate.audit.shape import Call, Shape, Workers
from migrate.audit.tree import Parsed
from migrate.model import Finding
from migrate.pysource.pool_calls import KEYWORD
from migrate.pysource.skeleton import word_positions
from migrate.pysource.subprocess_sites.ast_values import ast_chain

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


_LINE_END = re.compile(r"\r\n?|\n")  # where `ast` ends lines


def read_shape(parsed: Parsed, words: frozenset[str]) -> Shape | Finding:
    """Imports, and the calls of the callees named `words` (or aliases of them) with their loops.

    In an `ast` tree only nodes spanning a line that mentions a wanted word are visited: every
    import spans a line saying "import", every wanted call a line naming its callee. LibCST
    trees (syntax newer than this interpreter) are read whole, and without loops.
    """
    tree, text = parsed.tree(), parsed.text
    if isinstance(tree, Finding):
        return tree
    shape = Shape()
    if isinstance(tree, ast.Module):
        _AstReader(shape, _lines_with(text, ["import"]), None).visit(tree)
        wanted = words | shape.aliases(words)
        _AstReader(shape, _lines_with(text, wanted), wanted).visit(tree)
    else:
        from migrate.audit.shape_cst import read_shape_cst  # LibCST only when a file needs it

        read_shape_cst(tree, shape)
    return shape


def _lines_with(text: str, words: Iterable[str]) -> list[int]:
    """The numbers of the lines where any of `words` occurs as a whole word, sorted."""
    hits = word_positions(text, words)
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        starts = [0, *(m.end() for m in _LINE_END.finditer(text))]  # lone CRs end lines too
        return sorted({bisect.bisect_right(starts, i) for i in hits})
    lines: list[int] = []
    line, counted = 1, 0
    for index in hits:
        line += text.count("\n", counted, index)
        counted = index
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


class _AstReader:
    """Visits the nodes spanning one of `lines`: imports, or (given `names`) calls of them."""

    def __init__(self, shape: Shape, lines: list[int], names: frozenset[str] | None) -> None:
        self.shape = shape
        self.lines = lines
        self.names = names

    def visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if self.spans_a_line(child):
                self.record(child)
                self.visit(child)

    def spans_a_line(self, node: ast.AST) -> bool:
        start: int | None = getattr(node, "lineno", None)
        if start is None:
            return True
        end: int = getattr(node, "end_lineno", None) or start
        index = bisect.bisect_left(self.lines, start)
        return index < len(self.lines) and self.lines[index] <= end

    def record(self, node: ast.AST) -> None:
        if self.names is None:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports(node)
        elif isinstance(node, ast.Call):
            self.call(node, self.names)

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                self.shape.add_import(alias.name, alias.asname)
            else:
                self.shape.add_from(node.module, node.level, alias.name, alias.asname)

    def call(self, node: ast.Call, names: frozenset[str]) -> None:
        chain = ast_chain(node.func)
        if chain is None or chain[-1] not in names:
            return
        keyword = next((k.value for k in node.keywords if k.arg == KEYWORD), None)
        first = node.args[0] if node.args else None
        stars = any(k.arg is None for k in node.keywords)
        call = Call(node.lineno, chain, _ast_workers(keyword), _ast_workers(first), stars)
        self.shape.calls.append(call)


def _ast_workers(value: ast.expr | None) -> Workers:
    if value is None:
        return None
    if isinstance(value, ast.Constant) and type(value.value) is int:
        return int(value.value)
    return "dynamic"
