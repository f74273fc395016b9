#!/usr/bin/env python3
"""Time every registered hook with a sample payload for its event.

--sequential runs them one after another (as the old action plan assumed);
the default runs them in parallel like Claude Code does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))

from hook_registry import registrations  # noqa: E402
from parallel import run_parallel  # noqa: E402

SAMPLES = {
    "UserPromptSubmit": {"prompt": "fix the failing test"},
    "PreToolUse": {"tool_name": "Bash", "tool_input": {"command": "ls"}},
    "PostToolUse": {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": ""},
    "Stop": {"stop_hook_active": False},
    "SessionStart": {"source": "startup"},
}


def time_hook(job: tuple[str, str]) -> tuple[str, float]:
    event, script = job
    payload = json.dumps({"hook_event_name": event, "session_id": "audit", **SAMPLES[event]})
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / script)], input=payload, env=env,
                   capture_output=True, text=True)
    return script, (time.perf_counter() - start) * 1000


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def main(argv: list[str]) -> int:
    jobs = [(r.event, r.script) for r in registrations(ROOT) if r.script and r.event in SAMPLES]
    if "--sequential" in argv:
        timings = []
        for event, script in jobs:
            timings.append(time_hook((event, script)))
    else:
        timings = run_parallel(time_hook, jobs, max_workers=10)
    for script, ms in timings:
        print(f"{ms:8.1f} ms  {script}")
    hooks = sorted((ROOT / ".claude" / "hooks").glob("*.py"))
    with ProcessPoolExecutor(max_workers=4) as pool:
        sizes = list(pool.map(line_count, hooks))
    with ThreadPoolExecutor() as pool:
        exists = list(pool.map(Path.is_file, hooks))
    print(f"{len(hooks)} hook files, {sum(sizes)} lines, {sum(exists)} present")
    print(f"total: {sum(ms for _, ms in timings):.1f} ms over {len(timings)} hooks")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
