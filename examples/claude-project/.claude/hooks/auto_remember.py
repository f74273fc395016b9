#!/usr/bin/env python3
"""UserPromptSubmit: lesson capture.

"remember that ...", "remember to ..." or "#remember ..." in a prompt is stored
in .claude/memory/lessons.jsonl so later sessions can recall it.
"""

import re

from hook_utils import append_jsonl, memory_path, now_iso, read_payload

PATTERN = re.compile(r"(?:#remember|\bremember (?:that|to))\s+(?P<text>[^\n.!?]+)", re.IGNORECASE)


def main() -> int:
    payload = read_payload()
    match = PATTERN.search(payload.get("prompt", ""))
    if not match:
        return 0
    text = match.group("text").strip()
    append_jsonl(
        memory_path("lessons.jsonl"),
        {
            "kind": "remember",
            "text": text,
            "session_id": payload.get("session_id", ""),
            "ts": now_iso(),
        },
    )
    print(f"Remembered for future sessions: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
