#!/usr/bin/env python3
"""PreToolUse Write|Edit: review Python code before it is written and add advice to context.

The checks are independent, so they run in a thread pool. Nothing is ever blocked:
the answer is additionalContext only.
"""

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor

CHECKS = {
    "subprocess-timeout": (
        re.compile(r"subprocess\.(run|call|check_call|check_output)\((?![^)]*timeout=)[^)]*\)"),
        "subprocess call without timeout=: a hung child hangs the session; pass timeout=.",
    ),
    "bare-except": (
        re.compile(r"^\s*except\s*:", re.M),
        "bare except: catch the exceptions you expect.",
    ),
    "unbounded-pool": (
        re.compile(r"(Thread|Process)PoolExecutor\(\s*\)"),
        "pool without max_workers: pass an explicit bound, e.g. ThreadPoolExecutor(max_workers=10).",
    ),
    "os-system": (
        re.compile(r"\bos\.system\("),
        "os.system: use subprocess.run([...], check=True, timeout=...) instead.",
    ),
    "print-debug": (
        re.compile(r"^\s*print\(f?[\"']DEBUG", re.M),
        "debug print left in the code.",
    ),
}


def new_code(tool_input: dict) -> str:
    if "content" in tool_input:
        return str(tool_input["content"])
    return str(tool_input.get("new_string", ""))


def run_check(item: tuple[str, tuple[re.Pattern, str]], code: str) -> str | None:
    name, (pattern, advice) = item
    return f"{name}: {advice}" if pattern.search(code) else None


def main() -> int:
    payload = json.load(sys.stdin)
    tool_input = payload.get("tool_input", {})
    if not str(tool_input.get("file_path", "")).endswith(".py"):
        return 0
    code = new_code(tool_input)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda item: run_check(item, code), CHECKS.items()))
    findings = [result for result in results if result]
    if findings:
        text = "Best-practice review of " + tool_input["file_path"] + ":\n- " + "\n- ".join(findings)
        print(
            json.dumps(
                {"hookSpecificOutput": {"hookEventName": "PreToolUse", "additionalContext": text}}
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
