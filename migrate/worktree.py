"""Read-only questions about a work tree, asked of the `git` command itself.

Commands that only read (`audit`, `list`, `show`) need no repository object: importing
GitPython takes a sixth of a second, more than the questions. Everything that changes a
repository goes through `gitrepo`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def top(path: Path) -> Path | None:
    """The work tree containing `path`; None outside one, in a bare repository, or without git."""
    done = _git(path, "rev-parse", "--show-toplevel")
    if done is None or not done.strip():
        return None
    return Path(os.fsdecode(done.rstrip(b"\n")))


def common_dir(path: Path) -> Path | None:
    """The repository's common git directory (shared by its worktrees), or None outside one."""
    done = _git(path, "rev-parse", "--path-format=absolute", "--git-common-dir")
    if done is None or not done.strip():
        return None
    return Path(os.fsdecode(done.rstrip(b"\n")))


def listed(folder: Path) -> list[str] | None:
    """The files git tracks or would track under `folder`, relative to it: tracked, and
    untracked but not ignored. None outside a work tree, when `folder` itself is ignored, or
    when git refuses (e.g. "dubious ownership")."""
    if _git(folder, "check-ignore", "-q", os.path.abspath(folder)) is not None:
        return None  # exit 0: git ignores it (outside a work tree, git fails, and so does ls-files)
    out = _git(folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    return None if out is None else [os.fsdecode(p) for p in out.split(b"\0") if p]


def _git(folder: Path, *args: str) -> bytes | None:
    """git's output in `folder`, or None when it fails or is missing."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
