#!/usr/bin/env python3
"""UserPromptSubmit: requests that would burn time or context get a cheaper plan suggested."""

import json
import re
import sys

GATES = [
    (
        re.compile(r"\b(read|open|cat) (the )?(whole|entire|full) (file|repo|codebase)\b", re.I),
        "Large read requested: use Grep/Glob and read line ranges instead of whole files.",
    ),
    (
        re.compile(r"\b(sequentially|one at a time|step by step through every)\b", re.I),
        "Sequential work requested: independent steps can run in parallel.",
    ),
    (
        re.compile(r"\bnested loop|\bfor every .* in every\b", re.I),
        "Nested iteration: write a script to scratch/ instead of doing it by hand.",
    ),
]


def main() -> int:
    payload = json.load(sys.stdin)
    prompt = payload.get("prompt", "")
    notes = [advice for pattern, advice in GATES if pattern.search(prompt)]
    if notes:
        print("Performance gate:")
        for note in notes:
            print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
