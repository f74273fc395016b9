#!/usr/bin/env python3
"""UserPromptSubmit (retired): appended every prompt, with the current commit, to a log.

Replaced by auto_remember.py; no longer registered in settings.json.
"""

import json
import subprocess
import sys
from pathlib import Path

LOG = Path(__file__).resolve().parents[1] / "memory" / "prompts.log"


def current_commit() -> str:
    proc = subprocess.Popen(["git", "log", "-1", "--format=%h"], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate()
    return out.strip()


def main() -> int:
    payload = json.load(sys.stdin)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{current_commit()}\t{payload.get('prompt', '')!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
