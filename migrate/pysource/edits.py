"""Shared pieces for Python transforms: positions from `ast`, and splicing edits into the text.

Edits are spliced into the original source by position rather than reprinting a whole module,
so every byte outside an edited construct stays as it was.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] (string indices) with `new`."""

    start: int
    end: int
    new: str


def line_offsets(text: str) -> list[int]:
    """Where each line of `text` starts, then one past the end, with no Python step per line.
    Only right when `text` has no lone `\r`, which `ast` also counts as a line end."""
    return list(itertools.accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))


class Lines:
    """Converts `ast` positions (1-based line, UTF-8 byte column) into string indices."""

    def __init__(self, text: str) -> None:
        self.text = text
        # ast counts \r\n, \n and a lone \r as line ends.
        if "\r" in text:
            self._starts = [0, *(m.end() for m in _LINE_END.finditer(text))]
        else:
            self._starts = line_offsets(text)[:-1]

    def line_start(self, lineno: int) -> int:
        return self._starts[lineno - 1]

    def offset(self, lineno: int, col_byte: int) -> int:
        start = self._starts[lineno - 1]
        end = self._starts[lineno] if lineno < len(self._starts) else len(self.text)
        line = self.text[start:end]
        if line.isascii():
            return start + col_byte
        return start + len(line.encode("utf-8")[:col_byte].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        """The string indices a node covers."""
        lineno, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        end_lineno, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
        return self.offset(lineno, col), self.offset(end_lineno, end_col)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Text with the non-overlapping edits applied."""
    out = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError(f"overlapping edits at index {edit.start}")
        out.append(text[pos : edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)
