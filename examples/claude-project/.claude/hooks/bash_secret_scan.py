#!/usr/bin/env python3
"""PreToolUse Bash: deny commands that carry a secret; approve the rest, saying why."""

import json
import re
import sys

SECRET = re.compile(r"(AKIA[0-9A-Z]{16}|ghp_[0-9A-Za-z]{36}|(?i:password|token)=\S+)")


def main() -> int:
    payload = json.load(sys.stdin)
    command = str(payload.get("tool_input", {}).get("command", ""))
    if SECRET.search(command):
        decision, reason = "deny", "The command carries a secret; use an environment variable."
    else:
        decision, reason = "allow", "No secret in the command."
    output = {
        "hookEventName": "PreToolUse",
        "permissionDecision": decision,
        "permissionDecisionReason": reason,
    }
    print(json.dumps({"hookSpecificOutput": output}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
