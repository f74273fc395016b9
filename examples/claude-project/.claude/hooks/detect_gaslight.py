#!/usr/bin/env python3
"""UserPromptSubmit: the user disputes something Claude claimed; make Claude re-check facts."""

import json
import re
import sys

DISPUTE = re.compile(
    r"\byou (said|claimed|told me)\b|\bthat'?s not (true|right|what)\b|\bstill (broken|failing)\b"
    r"|\bi already told you\b|\bno,? it (doesn'?t|does not)\b",
    re.IGNORECASE,
)


def main() -> int:
    payload = json.load(sys.stdin)
    match = DISPUTE.search(payload.get("prompt", ""))
    if match:
        print(
            f'The user disputes an earlier claim ("{match.group(0)}"). Re-read the actual files '
            "and command output before answering; do not repeat the previous claim unverified."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
