#!/usr/bin/env python3
"""PreToolUse Write|Edit: never let Claude write secrets files (.env, keys, secrets/).

Blocks with exit code 2; the stderr message is shown to Claude.
"""

import json
import sys
from pathlib import PurePath

ALLOWED = {".env.example", ".env.sample", ".env.template"}
KEY_SUFFIXES = (".pem", ".key", ".p12")


def is_secret(path: str) -> bool:
    pure = PurePath(path)
    name = pure.name
    if name in ALLOWED:
        return False
    if name == ".env" or name.startswith(".env."):
        return True
    if name.endswith(KEY_SUFFIXES) or name in {"id_rsa", "id_ed25519"}:
        return True
    return "secrets" in pure.parts


def main() -> int:
    payload = json.load(sys.stdin)
    path = str(payload.get("tool_input", {}).get("file_path", ""))
    if path and is_secret(path):
        print(
            f"Blocked: {path} is a secrets file. Ask the user to edit it themselves.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
