"""Build the bundled example Claude Code project as a fresh git repository with one commit."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from migrate.errors import UserError
from migrate.resources import shipped

GIT_TIMEOUT = 60
FALLBACK_IDENTITY = ("-c", "user.name=migrate-example", "-c", "user.email=example@migrate.invalid")
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


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def _config(repo: Path, key: str) -> str:
    result = subprocess.run(
        ["git", "config", "--get", key],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def _has_identity(repo: Path) -> bool:
    """Whether git can name both the author and the committer of a commit in `repo`."""
    env = os.environ
    name = _config(repo, "user.name")
    email = _config(repo, "user.email") or env.get("EMAIL", "")
    return all(
        env.get(f"GIT_{role}_{field}") or fallback
        for role in ("AUTHOR", "COMMITTER")
        for field, fallback in (("NAME", name), ("EMAIL", email))
    )


def build(dest: Path) -> Path:
    """Copy the example project to `dest` (absent or empty), `git init` it and commit it."""
    src = source()
    if not (src / ".claude" / "settings.json").is_file():
        raise UserError(f"The bundled example project is missing or incomplete at {src}.")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"{dest} already exists and is not an empty folder; choose another path.")
    try:
        shutil.copytree(src, dest, ignore=_ignore, dirs_exist_ok=True)
        _git(dest, "init", "-q", "-b", "main")
        _git(dest, "add", "-A")
        identity = () if _has_identity(dest) else FALLBACK_IDENTITY
        # The example's first commit is a fixture, not the user's work: the user's own commit
        # hooks and signing setup do not apply to it.
        _git(
            dest,
            *identity,
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "Initial project",
        )
    except (OSError, subprocess.SubprocessError) as e:
        detail = e.stderr.strip() if isinstance(e, subprocess.CalledProcessError) else str(e)
        raise UserError(f"Could not build the example project in {dest}: {detail}") from e
    return dest
