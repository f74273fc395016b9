#!/usr/bin/env python3
"""PreToolUse Task: a sub-agent asked to handle several independent items should be split
into parallel Task calls sent in one message."""

import re

from hook_utils import emit_context, read_payload

MULTI = re.compile(r"\b(each of|all of|every one of|and then|after that|one by one)\b", re.I)


def main() -> int:
    payload = read_payload()
    task = payload.get("tool_input", {})
    text = f"{task.get('description', '')}\n{task.get('prompt', '')}"
    match = MULTI.search(text)
    if match:
        emit_context(
            "PreToolUse",
            f'This Task bundles several items ("{match.group(0)}"). Independent items run '
            "faster as parallel Task calls in a single message: each agent has its own context.",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
