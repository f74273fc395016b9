#!/usr/bin/env python3
"""UserPromptSubmit: overconfident claims that turned out wrong cost confidence points."""

import json
import re
import sys

PENALTIES = [
    (re.compile(r"\byou were wrong\b|\bthat was wrong\b|\bincorrect\b", re.I), 15),
    (re.compile(r"\bwithout (testing|checking|verifying)\b", re.I), 20),
    (re.compile(r"\bmade (that|it) up\b|\bhallucinat", re.I), 25),
]


def main() -> int:
    payload = json.load(sys.stdin)
    prompt = payload.get("prompt", "")
    total = sum(points for pattern, points in PENALTIES if pattern.search(prompt))
    if total:
        print(
            f"Confidence penalty: -{total}. Previous answer was not verified. "
            "Gather evidence (read, run, test) before the next claim."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
