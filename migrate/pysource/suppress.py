"""`# migrate: ignore[code]` comments: lines the audit and the built-in recipes leave alone.

Like `# noqa`: `# migrate: ignore` on a line suppresses everything there,
`# migrate: ignore[subprocess-timeout, pool-workers]` only those codes. A finding or edit
spanning several lines (a call over many lines) is suppressed by a comment on any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_COMMENT = re.compile(r"#[ \t]*migrate:[ \t]*ignore(?:\[([^\]\n]*)\])?")
_LINE_END = re.compile(r"\r\n?|\n")

Suppressions = Mapping[int, frozenset[str] | None]  # line -> codes (None: every code)


def suppressions(text: str) -> Suppressions:
    """The suppression comments of a text by line number (1-based, lines as `ast` counts them)."""
    if "migrate:" not in text:
        return {}
    found: dict[int, frozenset[str] | None] = {}
    ends = [m.end() for m in _LINE_END.finditer(text)]
    line, index = 1, 0
    for match in _COMMENT.finditer(text):
        while index < len(ends) and ends[index] <= match.start():
            index += 1
            line += 1
        codes = match[1]
        previous = found.get(line, frozenset())
        if codes is None or previous is None:
            found[line] = None
        else:
            found[line] = previous | {c.strip() for c in codes.split(",") if c.strip()}
    return found


def suppressed(found: Suppressions, first: int, last: int, code: str) -> bool:
    """Whether a comment on lines `first`..`last` suppresses `code`."""
    if not found:
        return False
    for line in range(first, last + 1):
        if line in found:
            codes = found[line]
            if codes is None or code in codes:
                return True
    return False
