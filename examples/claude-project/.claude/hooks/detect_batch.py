#!/usr/bin/env python3
"""UserPromptSubmit: spot batch operations and push Claude towards doing them in parallel."""

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor

BATCH_PATTERNS = [
    re.compile(r"\b(all|every|each) (of the )?(files?|modules?|scripts?|tests?|hooks?)\b", re.I),
    re.compile(r"\bfor each\b", re.I),
    re.compile(r"\bacross the (whole )?(repo|repository|codebase|project)\b", re.I),
    re.compile(r"\bin bulk\b|\bbatch\b", re.I),
    re.compile(r"\bone by one\b", re.I),
]

ADVICE = (
    "Batch operation detected. Do not loop over the items one tool call at a time: "
    "write a script that uses ThreadPoolExecutor(max_workers=10) (or run_parallel() from "
    "scripts/lib/parallel.py) and run it once."
)


def main() -> int:
    try:
        payload = json.load(sys.stdin)
    except ValueError:
        return 0
    prompt = payload.get("prompt", "")
    with ThreadPoolExecutor(max_workers=10) as pool:
        hits = list(pool.map(lambda pattern: pattern.search(prompt), BATCH_PATTERNS))
    matched = [hit.group(0) for hit in hits if hit]
    if matched:
        print(f"{ADVICE} (matched: {', '.join(matched)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
