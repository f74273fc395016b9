"""A module's text with the bodies that cannot matter cut out, for a faster `ast.parse`.

The audit parses a file to find a few kinds of calls and imports; in a large file most
functions and classes mention none of the words those need. `skeleton(text, words)` returns
the text with the body of every such def or class replaced by `pass` on its first line and
blank lines after it, so every remaining node keeps its line and column. `ast.parse` of the
skeleton is then as much faster as the cut bodies were large.

Blocks are found as Python's tokenizer finds them: by the indentation of logical lines, with
strings and comments masked and brackets and backslash continuations followed. Only use it
on text known to compile (the audit checks the bytecode cache first): a body with a syntax
error would be cut out with the rest, and in valid code `def` and `class` at the start of a
line always start a statement.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator, Sequence

# String literals (a prefix does not change where a literal ends) and comments. Each quote
# kind is an unrolled loop, so that a long docstring is skipped in one step.
_STRING_OR_COMMENT = re.compile(
    r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|#[^\n]*",
    re.S,
)
# In the masked text, where lines inside a literal start with NUL (see `_mask`). Each pattern
# starts with a newline, a literal `re` finds fast (the text gets one in front).
_CODE_LINE = re.compile(r"\n( *)[^ \n\0]")


@functools.cache
def _code_line_within(indent: int) -> re.Pattern[str]:
    """A line of code indented `indent` columns or less."""
    return re.compile(rf"\n( {{0,{indent}}})[^ \n\0]")


def skeleton(text: str, words: Sequence[str]) -> str | None:
    """`text` with the bodies of defs and classes where none of `words` occurs as a whole
    word (not even in a comment or string) cut out; None when there is nothing to cut."""
    if "\r" in text or "\t" in text or "\f" in text:
        return None  # lone CRs, tabs and form feeds change how lines or indents count: rare
    hits = word_positions(text, words)
    masked = "\n" + _STRING_OR_COMMENT.sub(_mask, text)  # positions are one more than in text
    lines = _LogicalLines(masked)
    cuts: list[tuple[int, int, int]] = []  # (start, end, indent of the `pass`) in `text`
    done = 0
    for line_start, indent in _headers(masked):
        if line_start < done:
            continue  # inside a body already cut
        newline = masked.find("\n", line_start + 1)
        body = None if newline < 0 else lines.next_start(_CODE_LINE, newline)
        if body is None or len(body[1]) <= indent:
            continue  # `def f(): ...` on one line
        end = lines.next_start(_code_line_within(indent), body.start() + 1)
        start, stop = body.start(), len(text) if end is None else end.start()
        index = bisect.bisect_left(hits, start)
        if index == len(hits) or hits[index] >= stop:
            cuts.append((start, stop, len(body[1])))
            done = stop
    if not cuts:
        return None
    parts, kept = [], 0
    for start, stop, indent in cuts:
        parts += [text[kept:start], " " * indent, "pass", "\n" * text.count("\n", start, stop)]
        kept = stop
    parts.append(text[kept:])
    return "".join(parts)


def _headers(masked: str) -> list[tuple[int, int]]:
    """(line start, indentation) of each line that starts with `def`, `class` or `async def`.

    `str.find` of the keywords, then a look at what precedes them on their line, is several
    times faster than a regular expression tried at every line.
    """
    found = []
    for keyword in ("def", "class"):
        for index in _whole_word(masked, keyword):
            newline = masked.rfind("\n", 0, index)
            before = masked[newline + 1 : index]
            if not before.strip(" ") or (keyword == "def" and before.strip(" ") == "async"):
                found.append((newline, len(before) - len(before.lstrip(" "))))
    return sorted(found)


def word_positions(text: str, words: Iterable[str]) -> list[int]:
    """Where any of `words` occurs as a whole word (not inside a longer name), sorted."""
    return sorted(i for word in words for i in _whole_word(text, word))


def _whole_word(text: str, word: str) -> Iterator[int]:
    index = text.find(word)
    while index >= 0:
        end = index + len(word)
        before = text[index - 1] if index else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            yield index
        index = text.find(word, end)


def _mask(match: re.Match[str]) -> str:
    """A literal or comment as blanks, keeping its line breaks; the lines after its first
    start with NUL, so that they are not taken for lines of code."""
    token = match[0]
    if "\n" not in token:
        return " " * len(token)
    first, *rest = token.split("\n")
    return "\n".join([" " * len(first), *("\0" + " " * (len(r) - 1) if r else "" for r in rest)])


class _LogicalLines:
    """Where logical lines start in the masked text: not in brackets, not after a backslash."""

    def __init__(self, masked: str) -> None:
        self.masked = masked
        self.known = [0]  # positions where the bracket depth was counted, sorted
        self.depths = [0]

    def next_start(self, pattern: re.Pattern[str], pos: int) -> re.Match[str] | None:
        """The first match of `pattern` (a line break, then a line) at or after `pos` whose
        line starts a logical line. Its start() is the line's position in the unmasked text."""
        for match in pattern.finditer(self.masked, pos):
            newline = match.start()
            if self.masked[newline - 1 : newline] != "\\" and self._depth(newline) == 0:
                return match
        return None

    def _depth(self, pos: int) -> int:
        index = bisect.bisect_right(self.known, pos) - 1
        start, depth = self.known[index], self.depths[index]
        count = self.masked.count
        depth += count("(", start, pos) + count("[", start, pos) + count("{", start, pos)
        depth -= count(")", start, pos) + count("]", start, pos) + count("}", start, pos)
        self.known.insert(index + 1, pos)
        self.depths.insert(index + 1, depth)
        return depth
