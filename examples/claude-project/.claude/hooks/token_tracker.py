#!/usr/bin/env python3
"""PostToolUse: estimate tokens each tool result adds to the context (4 characters ~ 1 token).

Totals per tool are kept in .claude/memory/token_usage.json. Silent.
"""

import json

from hook_utils import load_json, memory_path, now_iso, read_payload, save_json


def main() -> int:
    payload = read_payload()
    tool = payload.get("tool_name")
    if not tool:
        return 0
    response = payload.get("tool_response", "")
    size = len(response if isinstance(response, str) else json.dumps(response, sort_keys=True))
    path = memory_path("token_usage.json")
    usage = load_json(path, {"by_tool": {}, "total": 0})
    tokens = size // 4
    usage["by_tool"][tool] = usage["by_tool"].get(tool, 0) + tokens
    usage["total"] += tokens
    usage["updated"] = now_iso()
    save_json(path, usage)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
