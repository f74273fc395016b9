#!/usr/bin/env python3
"""PostToolUse Write|Edit: remind Claude to format Python files with over-long lines.

With CLAUDE_AUTOFORMAT=1 the file is formatted with ruff instead.
"""

import json
import os
import sys
from subprocess import run

MAX_LINE = 100


def main() -> int:
    payload = json.load(sys.stdin)
    tool_input = payload.get("tool_input", {})
    path = str(tool_input.get("file_path", ""))
    if not path.endswith(".py"):
        return 0
    code = str(tool_input.get("content", tool_input.get("new_string", "")))
    long_lines = [n for n, line in enumerate(code.splitlines(), 1) if len(line) > MAX_LINE]
    if not long_lines:
        return 0
    if os.environ.get("CLAUDE_AUTOFORMAT") == "1":
        run(["ruff", "format", path], check=False)
        return 0
    lines = ", ".join(str(n) for n in long_lines[:5])
    text = f"{path}: lines longer than {MAX_LINE} characters ({lines}). Run: ruff format {path}"
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": text}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
