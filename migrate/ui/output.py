"""How the command line speaks, set once by its top-level options (`--quiet`, `--verbose`,
`--no-pager`); kept apart from `render` so that setting it imports no terminal library."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Options:
    paging: bool = True
    verbosity: int = 0  # -1 --quiet, 0, 1 --verbose


OPTIONS = _Options()


def set_options(paging: bool, verbosity: int) -> None:
    OPTIONS.paging = paging
    OPTIONS.verbosity = verbosity
