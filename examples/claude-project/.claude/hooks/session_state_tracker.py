#!/usr/bin/env python3
"""Session state in .claude/memory/session_state.json.

UserPromptSubmit: count turns and note whether the project is a git repository with
commits (one `git rev-parse` per prompt). PostToolUse Write|Edit: remember which
files were edited (stop_checklist.py reads this).
"""

import subprocess

from hook_utils import load_json, memory_path, now_iso, project_dir, read_payload, save_json

LONG_SESSION = 25


def has_commits() -> bool:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=project_dir(),
        capture_output=True,
        text=True,
    )
    return result.returncode == 0


def main() -> int:
    payload = read_payload()
    event = payload.get("hook_event_name")
    path = memory_path("session_state.json")
    state = load_json(path, {})
    if event == "UserPromptSubmit":
        state["session_id"] = payload.get("session_id", "")
        state["turns"] = state.get("turns", 0) + 1
        state["git"] = has_commits()
        message = None
        if state["turns"] % LONG_SESSION == 0:
            message = f"Long session ({state['turns']} turns): consider /compact."
    elif event == "PostToolUse":
        file_path = payload.get("tool_input", {}).get("file_path")
        if not file_path:
            return 0
        edited = state.setdefault("files_edited", [])
        if file_path not in edited:
            edited.append(file_path)
        message = None
    else:
        return 0
    state["updated"] = now_iso()
    save_json(path, state)
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
