#!/usr/bin/env python3
"""PreToolUse Bash: deny destructive commands, ask before force-pushes, approve read-only git."""

import json
import re
import sys

DENY = [
    (re.compile(r"\brm\s+-[a-zA-Z]*[rf][a-zA-Z]*\s+(--no-preserve-root\s+)?(/|~|\$HOME)(\s|$)"),
     "recursive delete of / or the home folder"),
    (re.compile(r":\(\)\s*\{\s*:\|:&\s*\};:"), "fork bomb"),
    (re.compile(r"\bmkfs(\.\w+)?\b"), "formatting a file system"),
    (re.compile(r"\bdd\b.*\bof=/dev/(sd|nvme|disk)"), "raw write to a disk device"),
    (re.compile(r"\bchmod\s+-R\s+777\s+/(\s|$)"), "chmod 777 on /"),
]
ASK = [
    (re.compile(r"\bgit\s+push\b.*(\s--force\b|\s-f\b)"), "force-push rewrites shared history"),
    (re.compile(r"\bgit\s+reset\s+--hard\b"), "hard reset discards uncommitted work"),
]
SAFE = re.compile(r"^\s*git\s+(status|diff|log|show|branch)\b[^;&|`$]*$")


def decide(command: str) -> tuple[str, str] | None:
    for pattern, why in DENY:
        if pattern.search(command):
            return "deny", f"Blocked dangerous command ({why}): {command}"
    for pattern, why in ASK:
        if pattern.search(command):
            return "ask", f"Confirm: {why}."
    if SAFE.match(command):
        return "allow", "Read-only git command."
    return None


def main() -> int:
    payload = json.load(sys.stdin)
    if payload.get("tool_name") != "Bash":
        return 0
    verdict = decide(str(payload.get("tool_input", {}).get("command", "")))
    if verdict is None:
        return 0
    decision, reason = verdict
    print(
        json.dumps(
            {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": decision,
                    "permissionDecisionReason": reason,
                },
                # Claude gets the reason; the raw JSON stays out of the transcript.
                "suppressOutput": decision == "deny",
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
