"""What every reader of pool calls shares (the `max-workers` transform's `ast` and LibCST
readers, and the audit's): the names looked for, what a reader returns, and how a callee's name
is seen through imports, so that the recipe edits exactly the calls the audit reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from migrate.files import PYTHON

KEYWORD = "max_workers"
PROCESS_POOL = "ProcessPoolExecutor"
POOLS = ("ThreadPoolExecutor", PROCESS_POOL)
PYTHON_SUFFIXES = PYTHON  # one definition, in migrate.files


class Candidate(NamedTuple):
    """A `max_workers=<from>` literal in a call, before the callee is checked against the list."""

    name: str  # last dotted component of the callee
    bare: bool  # the callee is a plain name, which an `import ... as` may have renamed
    start: int
    end: int


def callee(name: str, bare: bool, renames: Mapping[str, str]) -> str:
    """The name a call's callee is checked under: a bare name seen through the module's
    `from m import X as name` (`renames`: every such import, relative ones too), else the
    last dotted name as written."""
    return renames.get(name, name) if bare else name


class Found(NamedTuple):
    candidates: list[Candidate]
    aliases: dict[str, str]  # local name -> imported name, from `from m import x as y`
    strings: list[tuple[int, int]]  # spans of text string literals
