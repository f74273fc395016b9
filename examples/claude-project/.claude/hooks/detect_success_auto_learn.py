#!/usr/bin/env python3
"""UserPromptSubmit: the user confirms a fix worked; record what worked as a lesson (silently)."""

import re

from hook_utils import append_jsonl, memory_path, now_iso, read_payload

SUCCESS = re.compile(
    r"\b(that|it) works\b|\bworks now\b|\bfixed it\b|\btests? pass(es|ed)?\b|\bperfect\b",
    re.IGNORECASE,
)


def main() -> int:
    payload = read_payload()
    prompt = payload.get("prompt", "")
    match = SUCCESS.search(prompt)
    if match:
        append_jsonl(
            memory_path("lessons.jsonl"),
            {
                "kind": "success",
                "signal": match.group(0).lower(),
                "text": prompt[:200],
                "session_id": payload.get("session_id", ""),
                "ts": now_iso(),
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
