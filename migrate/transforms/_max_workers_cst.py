"""The LibCST reading of `max_workers`, for syntax this interpreter cannot parse.

A module of its own so that LibCST (a third of a second to import) is only loaded when needed.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.pysource.edits import Lines
from migrate.pysource.pool_calls import KEYWORD, Candidate, Found


def cst_find(module: cst.Module, lines: Lines, number: int) -> Found:
    """The sites of `max-workers` in a module only LibCST can parse."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    finder = _CstFinder(lines, number)
    wrapper.visit(finder)
    return Found(finder.candidates, finder.aliases, finder.strings)


class _CstFinder(cst.CSTVisitor):
    """The same sites as the `ast` path, for files only LibCST can parse."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, lines: Lines, number: int) -> None:
        super().__init__()
        self.lines = lines
        self.number = number
        self.candidates: list[Candidate] = []
        self.aliases: dict[str, str] = {}
        self.strings: list[tuple[int, int]] = []

    def _span(self, node: cst.CSTNode) -> tuple[int, int]:
        # LibCST columns count characters and exclude parentheses, unlike `ast` byte columns.
        pos = self.get_metadata(PositionProvider, node)
        start = self.lines.line_start(pos.start.line) + pos.start.column
        return start, self.lines.line_start(pos.end.line) + pos.end.column

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            name, bare = node.func.value, True
        elif isinstance(node.func, cst.Attribute):
            name, bare = node.func.attr.value, False
        else:
            return
        for arg in _keyword_numbers(node.args, self.number):
            self.candidates.append(Candidate(name, bare, *self._span(arg.value)))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = cst.ensure_type(alias.name, cst.Name).value

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "b" not in node.prefix.lower():
            self.strings.append(self._span(node))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self.strings.append(self._span(node))


def _keyword_numbers(args: Iterable[cst.Arg], number: int) -> list[cst.Arg]:
    return [
        arg
        for arg in args
        if arg.keyword is not None
        and arg.keyword.value == KEYWORD
        and isinstance(arg.value, cst.Integer)
        and arg.value.evaluated_value == number
    ]
