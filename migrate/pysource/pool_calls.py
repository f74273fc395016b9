"""What both readers of `max-workers` sites (`ast` in `max_workers`, LibCST in
`_max_workers_cst`) share: the names the transform looks for and what a reader returns."""

from __future__ import annotations

from typing import NamedTuple

KEYWORD = "max_workers"
PROCESS_POOL = "ProcessPoolExecutor"
POOLS = ("ThreadPoolExecutor", PROCESS_POOL)
PYTHON_SUFFIXES = (".py", ".pyi")


class Candidate(NamedTuple):
    """A `max_workers=<from>` literal in a call, before the callee is checked against the list."""

    name: str  # last dotted component of the callee
    bare: bool  # the callee is a plain name, which an `import ... as` may have renamed
    start: int
    end: int


class Found(NamedTuple):
    candidates: list[Candidate]
    aliases: dict[str, str]  # local name -> imported name, from `from m import x as y`
    strings: list[tuple[int, int]]  # spans of text string literals
