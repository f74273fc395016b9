"""Thin wrappers around the git command line used by the ops scripts."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run `git args...`; keyword arguments go to subprocess.run unchanged."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(["git", *args], **kwargs)


def is_repo(path: Path) -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--git-dir"], cwd=path, capture_output=True, timeout=5
    )
    return result.returncode == 0


def current_branch(repo: Path | None = None) -> str:
    out = subprocess.check_output(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=repo, text=True)
    return out.strip()


def changed_files(repo: Path | None = None) -> list[str]:
    """Paths with uncommitted changes, as git prints them (porcelain v1)."""
    result = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=repo,
        capture_output=True,  # porcelain v1: "XY path"
        text=True,
    )
    return [line[3:] for line in result.stdout.splitlines() if line.strip()]


def recent_log(count: int = 20, repo: Path | None = None) -> list[str]:
    proc = subprocess.Popen(
        ["git", "log", "--oneline", f"-n{count}"], cwd=repo, stdout=subprocess.PIPE, text=True
    )
    out, _ = proc.communicate()
    return out.splitlines()


def fetch_all(repo: Path | None = None) -> None:
    subprocess.run("git fetch --all --prune", shell=True, cwd=repo, check=True)


def push(branch: str, repo: Path | None = None) -> None:
    subprocess.run(["git", "push", "origin", branch], cwd=repo, check=True)


def parse_status_line(line: str) -> tuple[str, str]:
    """Split a porcelain v1 line into (status code, path)."""
    if len(line) < 4 or line[2] != " ":
        raise ValueError(f"not a porcelain status line: {line!r}")
    return line[:2], line[3:]
