#!/usr/bin/env python3
"""UserPromptSubmit: now and then, add a random tip to the context (different every time)."""

import json
import random
import sys

TIPS = [
    "Run scripts/ops/upkeep.py after editing hooks.",
    "Hooks must stay fast: every prompt waits for them.",
    "Prefer one parallel pass over a loop of tool calls.",
    "Keep secrets out of the repository; use the environment.",
]


def main() -> int:
    json.load(sys.stdin)
    if random.random() < 0.5:
        print(f"Tip: {random.choice(TIPS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
