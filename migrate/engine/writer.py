"""The only code that writes transform output: checked first, then each file atomically replaced."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from migrate.errors import UserError
from migrate.files import PYTHON, encode, link_problem
from migrate.model import FileChange
from migrate.pysource.parse import parses


class UnparsableOutput(UserError):
    """A transform produced Python that does not parse: nothing is written."""


def check(changes: Iterable[FileChange]) -> None:
    """Refuse the whole change set if any new Python text no longer parses."""
    for change in changes:
        if change.after is None or not change.path.endswith(PYTHON):
            continue
        if not parses(change.after, change.path):
            raise UnparsableOutput(
                f"{change.path}: the transformed file does not parse; not written."
            )


def write(root: Path, changes: Iterable[FileChange]) -> list[str]:
    """Write every change (checked first); returns the paths written or deleted."""
    changes = list(changes)
    check(changes)
    for change in changes:
        # Checked here, where the write happens, whatever the caller filtered before.
        why = link_problem(root, change.path)
        if why:
            raise UserError(f"{change.path} {why}; nothing was written through it.")
    for change in changes:
        target = root / change.path
        if change.after is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, encode(change.after, change.encoding, change.bom))
    return [c.path for c in changes]


def atomic_write(target: Path, data: bytes) -> None:
    """Replace `target` in one rename, keeping its permission bits."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".migrate")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
