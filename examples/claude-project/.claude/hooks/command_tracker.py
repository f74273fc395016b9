#!/usr/bin/env python3
"""Track commands: slash commands typed by the user (UserPromptSubmit) and shell commands
Claude ran (PostToolUse Bash). Stored in .claude/memory/session_state.json."""

import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

PROJECT = Path(os.environ.get("CLAUDE_PROJECT_DIR") or Path(__file__).resolve().parents[2])
STATE_FILE = PROJECT / ".claude" / "memory" / "session_state.json"
KEEP = 50


def load_state() -> dict:
    try:
        return json.loads(STATE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_state(state: dict) -> None:
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=STATE_FILE.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=2, sort_keys=True)
    os.replace(tmp, STATE_FILE)


def command_from(payload: dict) -> str | None:
    event = payload.get("hook_event_name")
    if event == "UserPromptSubmit":
        prompt = payload.get("prompt", "").strip()
        if prompt.startswith(("/", "!")):
            return prompt.split("\n", 1)[0][:200]
        return None
    if event == "PostToolUse" and payload.get("tool_name") == "Bash":
        return str(payload.get("tool_input", {}).get("command", ""))[:200] or None
    return None


def main() -> int:
    payload = json.load(sys.stdin)
    command = command_from(payload)
    if command is None:
        return 0
    state = load_state()
    commands = state.setdefault("commands", [])
    commands.append(command)
    del commands[:-KEEP]
    if "pytest" in command:
        state["tests_run"] = True
    state["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    save_state(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
