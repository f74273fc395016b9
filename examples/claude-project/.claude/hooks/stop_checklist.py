#!/usr/bin/env python3
"""Stop: before Claude finishes, make sure edited Python files were tested.

Blocks the stop (decision: block) only when Python files edited this session are
still modified in git and no test run was seen. Silent otherwise.
"""

import json
import subprocess as sp
import sys

from hook_utils import load_json, memory_path, project_dir, read_payload


def modified_files() -> set[str]:
    try:
        out = sp.check_output(["git", "status", "--porcelain"], cwd=project_dir(), text=True)
    except (OSError, sp.CalledProcessError):
        return set()
    return {line[3:].strip() for line in out.splitlines() if line.strip()}


def main() -> int:
    payload = read_payload()
    if payload.get("stop_hook_active"):
        return 0
    state = load_json(memory_path("session_state.json"), {})
    if state.get("tests_run"):
        return 0
    edited = [path for path in state.get("files_edited", []) if path.endswith(".py")]
    if not edited:
        return 0
    root = str(project_dir()).rstrip("/") + "/"
    relative = [path[len(root):] if path.startswith(root) else path for path in edited]
    pending = sorted(path for path in relative if path in modified_files())
    if not pending:
        return 0
    print(
        json.dumps(
            {
                "decision": "block",
                "reason": "Python files were edited but no tests ran this session ("
                + ", ".join(pending)
                + "). Run python3 -m pytest tests/ -q, then finish.",
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
