"""Build the bundled example Claude Code project as a fresh git repository with one commit."""

from __future__ import annotations

import shutil
from pathlib import Path

from migrate.engine import git
from migrate.errors import UserError
from migrate.resources import shipped

# What a run of the example's own tests or hooks may have left in the shipped copy.
_LITTER = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".benchmarks")


def _ignore(folder: str, names: list[str]) -> set[str]:
    """Skip litter, and the hooks' state folder `.claude/memory/` (git ignores it too)."""
    ignored = set(_LITTER(folder, names))
    if Path(folder).name == ".claude" and "memory" in names:
        ignored.add("memory")
    return ignored


def source() -> Path:
    """The shipped example project (inside the wheel, or beside the package in a checkout)."""
    return shipped("examples") / "claude-project"


def build(dest: Path) -> Path:
    """Copy the example project to `dest` (absent or empty), `git init` it and commit it."""
    src = source()
    if not (src / ".claude" / "settings.json").is_file():
        raise UserError(f"The bundled example project is missing or incomplete at {src}.")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"{dest} already exists and is not an empty folder; choose another path.")
    try:
        shutil.copytree(src, dest, ignore=_ignore, dirs_exist_ok=True)
    except OSError as e:
        raise UserError(f"Could not build the example project in {dest}: {e}") from e
    detail = git.create_with_commit(dest, "Initial project")
    if detail is not None:
        raise UserError(f"Could not build the example project in {dest}: {detail}")
    return dest
