"""Shared helpers for the hook scripts in this folder (not a hook itself).

Hooks import it as ``from hook_utils import ...``: Python puts the folder of the
script it runs first on ``sys.path``, so no package or path juggling is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HOOKS_DIR = Path(__file__).resolve().parent


def read_payload() -> dict:
    """The JSON object Claude Code sends on stdin ({} when stdin is empty or not JSON)."""
    try:
        data = json.load(sys.stdin)
    except (ValueError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def project_dir() -> Path:
    """The project root: $CLAUDE_PROJECT_DIR, else two levels above this folder."""
    env = os.environ.get("CLAUDE_PROJECT_DIR")
    return Path(env) if env else HOOKS_DIR.parent.parent


def memory_path(name: str) -> Path:
    """A state file under .claude/memory/ (the folder is created on demand)."""
    folder = project_dir() / ".claude" / "memory"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_json(path: Path, default: dict) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return dict(default)
    return data if isinstance(data, dict) else dict(default)


def save_json(path: Path, data: dict) -> None:
    """Write `data` atomically (temp file + rename) so a crash never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


def append_jsonl(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def emit_context(event: str, text: str) -> None:
    """Answer with JSON additionalContext (the only way to add context on tool events)."""
    print(json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}))


def emit_permission(decision: str, reason: str) -> None:
    """Answer a PreToolUse call with allow / deny / ask."""
    print(
        json.dumps(
            {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": decision,
                    "permissionDecisionReason": reason,
                }
            }
        )
    )


def git(*args: str) -> str:
    """Output of a git command run in the project (raises CalledProcessError on failure)."""
    cmd = ["git", *args]
    return subprocess.check_output(cmd, cwd=project_dir(), text=True, stderr=subprocess.DEVNULL)
