#!/usr/bin/env python3
"""PreToolUse mcp__.*: log MCP tool calls and ask before destructive ones."""

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

DESTRUCTIVE = ("delete", "drop", "remove", "destroy", "truncate", "purge")
LOG = (
    Path(os.environ.get("CLAUDE_PROJECT_DIR", Path(__file__).resolve().parents[2]))
    / ".claude"
    / "memory"
    / "mcp_calls.jsonl"
)


def main() -> int:
    payload = json.load(sys.stdin)
    tool = str(payload.get("tool_name", ""))
    if not tool.startswith("mcp__"):
        return 0
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "a", encoding="utf-8") as fh:
        record = {"tool": tool, "ts": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        fh.write(json.dumps(record) + "\n")
    action = tool.rsplit("__", 1)[-1].lower()
    if any(word in action for word in DESTRUCTIVE):
        print(
            json.dumps(
                {
                    "hookSpecificOutput": {
                        "hookEventName": "PreToolUse",
                        "permissionDecision": "ask",
                        "permissionDecisionReason": f"{tool} looks destructive; confirm first.",
                    }
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
