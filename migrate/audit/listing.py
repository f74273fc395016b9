"""Which files the audit reads: git's listing of the work tree, or a walk that skips what is
not the project's (virtual environments, `node_modules`, hidden folders but `.claude`)."""

from __future__ import annotations

import itertools
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.engine import git
from migrate.errors import UserError
from migrate.files import check_relative, match_glob
from migrate.pysource.pool_calls import PYTHON_SUFFIXES

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})
_KEPT_HIDDEN = frozenset({".claude"})  # where Claude Code hooks live
_GLOB = re.compile(r"[*?\[]")


def python_files(root: Path, paths: Sequence[str] = ()) -> list[str]:
    """The Python files to audit, relative to `root` (posix), sorted.

    In a git work tree: tracked and untracked-but-not-ignored files (so `.venv` and ignored
    files are skipped); elsewhere, or when `root` itself is ignored, a walk that skips hidden
    folders (but `.claude`), virtual environments, `node_modules` and `__pycache__`. A file
    named explicitly is audited even when git ignores it.
    """
    return sorted(listing(root, paths))


def listing(root: Path, paths: Sequence[str]) -> dict[str, int]:
    """The Python files to audit, with their sizes."""
    selectors = [_selector(root, p) for p in paths]
    listed = git.listed(root)
    if listed is None:
        listed = list(_walk(root, [_literal_prefix(s) for s in selectors] or [""]))
    chosen = {p for p in listed if p.endswith(PYTHON_SUFFIXES) and _selected(p, selectors)}
    chosen.update(s for s in selectors if s.endswith(PYTHON_SUFFIXES) and (root / s).is_file())
    folder = os.path.join(root, "")
    return {p: size for p in chosen if (size := _size(folder + p)) is not None}


def _selector(root: Path, path: str) -> str:
    """`path` relative to `root` in posix form ("" for the root itself); refused outside it."""
    if os.path.isabs(path):
        try:
            path = Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UserError(f"{path}: is outside the audited folder {root}.") from None
    path = path.replace("\\", "/").strip("/")
    while path.startswith("./"):
        path = path[2:]
    if path in ("", "."):
        return ""
    why = check_relative(path)
    if why is not None:
        raise UserError(f"{path}: {why}.")
    if not _GLOB.search(path) and not (root / path).exists():
        raise UserError(f"{path}: no such file or folder in {root}.")
    return path


def _literal_prefix(selector: str) -> str:
    """The folder a glob selector starts from (`scripts` for `scripts/*.py`), or the selector."""
    if not _GLOB.search(selector):
        return selector
    return "/".join(itertools.takewhile(lambda p: not _GLOB.search(p), selector.split("/")))


def _selected(path: str, selectors: Sequence[str]) -> bool:
    if not selectors:
        return True
    for selector in selectors:
        if selector == "" or path == selector or path.startswith(selector + "/"):
            return True
        if _GLOB.search(selector) and match_glob(selector, path):
            return True
    return False


def _size(path: str) -> int | None:
    """The size of a regular file (one `stat`, on a string: listing is serial work)."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _walk(root: Path, starts: Sequence[str]) -> Iterator[str]:
    for start in dict.fromkeys(starts):
        top = root / start
        if top.is_file():
            yield start
            continue
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if _walk_into(folder, d))
            relative = Path(folder).relative_to(root).as_posix()
            prefix = "" if relative == "." else relative + "/"
            yield from (prefix + n for n in names)


def _walk_into(folder: str, name: str) -> bool:
    if name in _SKIPPED_DIRS or (name.startswith(".") and name not in _KEPT_HIDDEN):
        return False
    path = os.path.join(folder, name)
    is_env = os.path.exists(os.path.join(path, "pyvenv.cfg"))
    return not is_env and not os.path.isdir(os.path.join(path, "conda-meta"))
