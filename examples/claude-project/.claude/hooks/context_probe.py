#!/usr/bin/env python3
"""UserPromptSubmit: adds project context when a probe file has some; here it is always empty,
and the hook still answers with an empty additionalContext, as such hooks often do."""

import json
import os
import sys
from pathlib import Path


def main() -> int:
    json.load(sys.stdin)
    probe = Path(os.environ.get("CLAUDE_PROJECT_DIR", ".")) / ".claude" / "memory" / "probe.txt"
    context = probe.read_text(encoding="utf-8").strip() if probe.is_file() else ""
    output = {"hookEventName": "UserPromptSubmit", "additionalContext": context}
    print(json.dumps({"hookSpecificOutput": output}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
