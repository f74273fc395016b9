#!/usr/bin/env python3
"""PreToolUse Write|Edit: throwaway scripts (tmp_*.py, debug_*.py, scratch_*.py, try_*.py)
must be written under scratch/, not among the project's sources."""

import re
from pathlib import PurePath

from hook_utils import emit_permission, project_dir, read_payload

THROWAWAY = re.compile(r"^(tmp|temp|debug|scratch|try|test_quick)_.*\.py$")


def main() -> int:
    payload = read_payload()
    if payload.get("tool_name") != "Write":
        return 0
    raw = str(payload.get("tool_input", {}).get("file_path", ""))
    path = PurePath(raw)
    if not THROWAWAY.match(path.name):
        return 0
    try:
        relative = path.relative_to(project_dir()) if path.is_absolute() else path
    except ValueError:
        return 0
    if relative.parts[:1] == ("scratch",):
        return 0
    emit_permission(
        "deny",
        f"Throwaway script outside scratch/: write scratch/{path.name} instead of {relative}.",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
