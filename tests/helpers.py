"""What the tests share: real git repositories in temporary folders, the real command line,
and small projects. Imported as `tests.helpers`; the fixtures are in conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
}


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` and return its stdout (stripped); a failure fails the test."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()


def make_repo(path: Path, files: dict[str, str | bytes]) -> Path:
    """A git repository at `path` with `files` committed on `main`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8"))
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def run_migrate(
    repo: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line (`python -m migrate`) in `repo`, without a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


NOTES_HOOK = """\
import json, sys
prompt = json.load(sys.stdin)["prompt"]
print("notes: %d words" % len(prompt.split()))
"""


def one_hook_project(tmp_path: Path) -> Path:
    """A project with one Python hook on UserPromptSubmit (it counts the prompt's words), in
    two commits."""
    command = "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/notes.py"
    hooks = {"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": command}]}]}}
    repo = make_repo(
        tmp_path / "project",
        {".claude/hooks/notes.py": NOTES_HOOK, ".claude/settings.json": json.dumps(hooks)},
    )
    (repo / "README.md").write_text("hooks\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "readme")
    return repo
