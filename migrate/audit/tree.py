"""One parse of a file, shared by the subprocess scan, the shape and the loop check: of its
skeleton when the file is known to compile, else of the whole file by the parse policy; and
whether a file the audit need not read parses (the bytecode cache, `compile()`, the policy)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING

from migrate.audit.source import Source
from migrate.files import decode
from migrate.model import Finding
from migrate.pysource.parse import Unparsable, ast_module, compiles, parse
from migrate.pysource.pool_calls import POOLS
from migrate.pysource.skeleton import skeleton
from migrate.pysource.subprocess_sites.model import NO_TIMEOUT, STAR_EXPORTS
from migrate.pysource.subprocess_sites.prefilter import imported_names
from migrate.pysource.subprocess_sites.read import read_facts
from migrate.pysource.subprocess_sites.resolve import Facts

if TYPE_CHECKING:
    import libcst as cst


# What a body must mention for the audit to look inside it (plus what `_skeleton_words` adds
# for the file). A site is always a call through an import (`pysource.scopes.qualname`): of a
# function of subprocess's (the body names the module, an alias of it, or what a from-import
# binds), or os's and asyncio's (named by their own names). `.wait()` is one only on a Popen
# made in the same scope, which names it too, or bound there by `global`/`nonlocal`. Then the
# names of the calls the shape records, and concurrent.futures, whose import is a good pattern.
_SKELETON_WORDS = frozenset(
    {
        "subprocess",
        *(n.rsplit(".", 1)[1] for n in NO_TIMEOUT),
        *("global", "nonlocal"),
        *(*POOLS, "gather", "concurrent"),
    }
)


class NotWithoutLibCST(Exception):
    """`ast` cannot parse the file, and LibCST is not to be tried in this process."""


def _tree(path: str, text: str, newer_syntax: bool) -> ast.Module | cst.Module | Finding:
    """The module from `ast`, else from LibCST (newer syntax), else the parse-error finding."""
    tree = parse(text, path, libcst=newer_syntax)
    if not isinstance(tree, Unparsable):
        return tree
    if tree.later_python:
        raise NotWithoutLibCST(path)
    if tree.nested:
        raise RecursionError(path)  # reported as too deeply nested, like a deep walk
    return Finding(path, tree.line, "parse-error", f"cannot parse this file ({tree.reason})")


class Parsed:
    """One `ast` parse of a file, shared by the subprocess scan, the shape and the loop check.

    When the source is known to compile, the parse is of its skeleton: the bodies that mention
    none of the audit's words (and `callees`) are cut, every other node keeps its position.
    """

    def __init__(self, source: Source, text: str, callees: Sequence[str]) -> None:
        self.source, self.path, self.text, self.callees = source, source.path, text, callees
        self._tree: ast.Module | cst.Module | Finding | None = None
        self._facts: Facts | Unparsable | None = None

    def tree(self) -> ast.Module | cst.Module | Finding:
        if self._tree is None and self.source.compiles:
            cut = skeleton(self.text, _skeleton_words(self.text, self.callees))
            if cut is not None:
                self._tree = ast_module(cut, self.path)
        if self._tree is None:
            self._tree = _tree(self.path, self.text, self.source.newer_syntax)
        return self._tree

    def facts(self) -> Facts | Unparsable:
        if self._facts is None:
            tree = self.tree()
            parsed = None if isinstance(tree, Finding) else tree
            self._facts = read_facts(self.text, self.path, tree=parsed)
        return self._facts


def _skeleton_words(text: str, callees: Sequence[str]) -> list[str]:
    """The skeleton's words, the callees, and the names the file's imports bind to subprocess,
    to a site's function (Popen too), or to one of the words."""
    words = {*_SKELETON_WORDS, *callees}
    for name, dotted in imported_names(text):
        module, _, function = dotted.rpartition(".")
        exported = STAR_EXPORTS.get(module, ())
        if dotted == "subprocess" or function in words or function in exported:
            words.add(name)
        elif function == "*":
            words.update(exported)
    return sorted(words)


def parse_check(source: Source) -> tuple[Finding, ...]:
    """() when the file parses; the bytecode cache answers first, `compile()` otherwise."""
    if source.compiles or compiles(source.data, source.path):
        return ()  # else the compiler may refuse more than the parser: ask the parsers
    decoded = decode(source.path, source.data)
    if decoded is None:
        return (Finding(source.path, 1, "parse-error", "not text in its declared encoding"),)
    tree = _tree(source.path, decoded.text, source.newer_syntax)
    return (tree,) if isinstance(tree, Finding) else ()
