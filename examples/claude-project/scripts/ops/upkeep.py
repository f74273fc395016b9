#!/usr/bin/env python3
"""Project health check: every hook and script compiles, every registered hook exists.

Read-only (compiles in memory, writes no bytecode). Exit 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))

from hook_registry import registered_scripts  # noqa: E402
from parallel import run_parallel  # noqa: E402


def compile_error(path: Path) -> str | None:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{path.relative_to(ROOT)}:{exc.lineno}: {exc.msg}"
    return None


def main() -> int:
    files = sorted(
        [
            *ROOT.glob(".claude/hooks/*.py"),
            *ROOT.glob("scripts/lib/*.py"),
            *ROOT.glob("scripts/ops/*.py"),
        ]
    )
    problems = [error for error in run_parallel(compile_error, files, max_workers=10) if error]
    for script in sorted(registered_scripts(ROOT)):
        if not (ROOT / script).is_file():
            problems.append(f"registered hook missing: {script}")
    for problem in problems:
        print(f"upkeep: {problem}", file=sys.stderr)
    print(f"upkeep: {len(files)} files compiled, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
