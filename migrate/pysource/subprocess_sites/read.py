"""Reading a module's subprocess sites: with `ast` on the hot path (only the defs and classes
that mention a word that can matter are walked), with LibCST for syntax newer than this
interpreter (`pysource.parse` decides), into the one model both front ends share.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from migrate.pysource.edits import line_offsets
from migrate.pysource.parse import Parser, Unparsable, parse, parse_cst
from migrate.pysource.subprocess_sites.ast_front import AstFront
from migrate.pysource.subprocess_sites.resolve import Facts

if TYPE_CHECKING:
    import libcst as cst


# A def or class whose text has none of these cannot hold a site nor change what a name outside
# it means (its bindings are its own, bar `global`/`nonlocal`), so its body is not walked.
_RELEVANT_WORDS = (
    *("subprocess", "run", "call", "check_output", "wait", "communicate", "system", "popen"),
    *("Popen", "global", "nonlocal"),
)
_MODULES = frozenset({"subprocess", "os", "asyncio"})


class _Relevance:
    """Whether a def or class mentions a word that can matter (also module-level import aliases)."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        self.text = text
        self.words = (*_RELEVANT_WORDS, *_module_aliases(tree))
        # `ast` also ends lines at a lone CR, which `split("\n")` would miss.
        lone_cr = "\r" in text and text.count("\r") != text.count("\r\n")
        self.offsets: list[int] | None = None if lone_cr else line_offsets(text)

    def __call__(self, node: ast.stmt) -> bool:
        if self.offsets is None:
            return True
        decorators = getattr(node, "decorator_list", ())
        first = min([node.lineno, *(d.lineno for d in decorators)])
        segment = self.text[self.offsets[first - 1] : self.offsets[node.end_lineno or node.lineno]]
        return any(word in segment for word in self.words)


def _module_aliases(tree: ast.Module) -> set[str]:
    """Names that `from subprocess/os/asyncio import x as name` binds outside defs and classes."""
    aliases: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ImportFrom):
            if not node.level and (node.module or "").split(".")[0] in _MODULES:
                aliases.update(a.asname for a in node.names if a.asname)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(node, name, ()))
    return aliases


def read_facts(
    text: str, path: str, parser: Parser = "ast", tree: ast.Module | cst.Module | None = None
) -> Facts | Unparsable:
    """The module's facts from `ast`, or LibCST when `ast` cannot parse it (or `parser` says).

    `tree`: the module already parsed (the audit parses each file once).
    """
    if parser == "libcst":
        module = parse_cst(text)
        if isinstance(module, Unparsable):
            return Unparsable(1, "LibCST cannot parse it")
        return _read_with_libcst(module, text)
    found = tree if tree is not None else parse(text, path)
    if isinstance(found, Unparsable):
        return found
    if not isinstance(found, ast.Module):
        return _read_with_libcst(found, text)
    front = AstFront(_Relevance(text, found))
    try:
        front.visit(found)
    except RecursionError:
        return Unparsable(1, "too deeply nested to analyse")
    return front.facts(text)


def _read_with_libcst(module: cst.Module, text: str) -> Facts | Unparsable:
    # LibCST takes a third of a second to import: only files `ast` cannot parse pay for it.
    from migrate.pysource.subprocess_sites.cst_front import read_with_libcst

    return read_with_libcst(module, text)
