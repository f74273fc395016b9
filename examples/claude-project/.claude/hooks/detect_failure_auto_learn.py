#!/usr/bin/env python3
"""UserPromptSubmit: the user reports a failure; record it and ask Claude for evidence first."""

import re

from hook_utils import append_jsonl, memory_path, now_iso, read_payload

FAILURE = re.compile(
    r"\btraceback\b|\bexception\b|\b(it|that|this) (failed|fails|broke)\b"
    r"|\bdoesn'?t work\b|\bstill failing\b|\berror:",
    re.IGNORECASE,
)


def main() -> int:
    payload = read_payload()
    prompt = payload.get("prompt", "")
    match = FAILURE.search(prompt)
    if not match:
        return 0
    append_jsonl(
        memory_path("lessons.jsonl"),
        {
            "kind": "failure",
            "signal": match.group(0).lower(),
            "text": prompt[:200],
            "session_id": payload.get("session_id", ""),
            "ts": now_iso(),
        },
    )
    print(
        "Failure reported. Reproduce it and read the full error output before changing code; "
        "state the root cause before the fix."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
