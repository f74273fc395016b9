"""Hook latency on the bundled example: sequential vs one process per hook vs the unified runner.

    python bench/hooks.py [--runs N] [--as-is] [--json]

Builds the example project in a temporary folder, adds a slow hook (one that waits for a
subprocess, as real hooks that call git or a linter do), replays the UserPromptSubmit samples
under the three models of `migrate hooks bench`, then measures what the unified runner costs
per extra member with no-op hooks. Prints PASS/FAIL next to each target; asserts nothing.

Two sets are measured: the example's own UserPromptSubmit hooks (11, plus the slow one), and
the action plan's premise that all 21 hooks run on every prompt ("21 hooks run sequentially =
1050ms"): every Python hook script of the example registered for UserPromptSubmit (21, plus
the slow one). Scripts written for tool events find no tool in a prompt and leave after
their imports, as such hooks do.

Hooks run on a fresh virtual environment's python3 (stdlib only, as hooks are), so that `.pth`
files of the machine's site-packages do not add their imports to every interpreter start, and
with bytecode caching on (PYTHONDONTWRITEBYTECODE unset), as on a typical developer machine.
`--as-is` keeps the python3 on PATH and the environment as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

from migrate.example import build
from migrate.hooks import bench, replay

EVENT = "UserPromptSubmit"
NOOPS = 20
TARGET_RATIO = 1 / 3  # unified wall <= 1/3 of one-process-per-hook wall
TARGET_OVERHEAD_MS = 3.0  # per member, in the unified runner

SLOW_HOOK = '''#!/usr/bin/env python3
"""UserPromptSubmit: run a checker tool on the prompt (here another interpreter) and wait."""
import json
import subprocess
import sys

prompt = json.load(sys.stdin).get("prompt", "")
subprocess.run(
    ["python3", "-c", "import json, re, sys; json.loads(sys.stdin.read() or 'null')"],
    input=json.dumps(prompt), capture_output=True, text=True, timeout=10,
)
'''
NOOP_HOOK = "import sys\nsys.stdin.buffer.read()\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _register(repo: Path, scripts: list[str], replace: bool = False) -> None:
    """Register `scripts` for UserPromptSubmit (replacing every hook when `replace`), commit."""
    path = repo / ".claude/settings.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    hooks = {} if replace else data.setdefault("hooks", {})
    data["hooks"] = hooks
    groups = hooks.setdefault(EVENT, [{"hooks": []}])
    for script in scripts:
        command = f"python3 $CLAUDE_PROJECT_DIR/.claude/hooks/{script}"
        groups[0]["hooks"].append({"type": "command", "command": command})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", f"bench: {len(scripts)} hook(s) for {EVENT}")


def _write_hook(repo: Path, name: str, text: str) -> None:
    target = repo / ".claude/hooks" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _clean_python(tmp: Path) -> None:
    """Put a fresh virtual environment's python3 first on PATH for the hooks, caching bytecode."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    venv = tmp / "python"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300
    )
    os.environ["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"


def _startup_ms() -> float:
    """Median wall ms of `python3 -c pass` with the hooks' environment."""
    env = replay.hook_env(Path.cwd())
    times = []
    for _ in range(11):
        started = time.perf_counter()
        subprocess.run(["python3", "-c", "pass"], env=env, check=True, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _example(tmp: Path, runs: int, every_hook: bool) -> bench.EventResult:
    repo = build(tmp / ("every-hook" if every_hook else "example"))
    _write_hook(repo, "prompt_checker.py", SLOW_HOOK)
    scripts = ["prompt_checker.py"]
    if every_hook:
        scripts += sorted(_python_scripts(repo) - _python_scripts(repo, EVENT))
    _register(repo, scripts)
    prompts = [p for p in replay.SAMPLES if p["hook_event_name"] == EVENT]
    result = bench.measure(repo, None, prompts, runs).event(EVENT)
    assert result is not None, "the example registers UserPromptSubmit hooks"
    return result


def _python_scripts(repo: Path, event: str | None = None) -> set[str]:
    """Names of the Python hook scripts registered (for `event`, or for any event)."""
    return {
        PurePosixPath(r.script).name
        for r in replay.registrations(repo)
        if r.script and r.script.endswith(".py") and event in (None, r.event)
    }


def _overhead(tmp: Path, runs: int) -> tuple[float, float]:
    """Unified wall ms with one no-op member, and with NOOPS of them."""
    repo = tmp / "noops"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for i in range(NOOPS):
        _write_hook(repo, f"noop_{i:02}.py", NOOP_HOOK)
    _register(repo, ["noop_00.py"], replace=True)
    one = _git_head(repo)
    _register(repo, [f"noop_{i:02}.py" for i in range(NOOPS)], replace=True)
    prompts = [p for p in replay.SAMPLES if p["hook_event_name"] == EVENT][:1]
    medians = bench.compare(repo, one, "HEAD", runs, prompts)
    before, after = medians.before.event(EVENT), medians.after.event(EVENT)
    assert before is not None and after is not None
    return before.model("unified").wall.median, after.model("unified").wall.median


def _twenty_one(tmp: Path, runs: int, startup: float) -> tuple[bench.EventResult, float]:
    """The 21 UserPromptSubmit hooks of tests/fixture_21_prompt_hooks.py (one random member,
    several always-empty-context ones), and the slowest member alone (median wall ms)."""
    from tests.fixture_21_prompt_hooks import build as build_21

    repo = build_21(tmp / "twenty-one")
    prompts = [p for p in replay.SAMPLES if p["hook_event_name"] == EVENT]
    result = bench.measure(repo, None, prompts, runs).event(EVENT)
    assert result is not None
    env = replay.hook_env(repo)
    data = replay.prepare(prompts[0], repo)
    slowest = 0.0
    for script in sorted((repo / ".claude/hooks").glob("*.py")):
        times = []
        for _ in range(max(runs, 3)):
            started = time.perf_counter()
            subprocess.run(
                ["python3", str(script)],
                input=data,
                env=env,
                cwd=repo,
                capture_output=True,
                check=False,
                timeout=60,
            )
            times.append((time.perf_counter() - started) * 1000)
        slowest = max(slowest, statistics.median(times))
    return result, slowest


def _git_head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=60
    ).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--as-is", action="store_true", help="hooks use PATH's python3 and this environment"
    )
    parser.add_argument("--json", action="store_true", help="also print the raw results")
    args = parser.parse_args()
    for key, value in {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@invalid"}.items():
        os.environ.setdefault(key, value)
        os.environ.setdefault(key.replace("AUTHOR", "COMMITTER"), value)
    with tempfile.TemporaryDirectory(prefix="migrate-bench-hooks-") as folder:
        tmp = Path(folder)
        if not args.as_is:
            _clean_python(tmp)
        startup = _startup_ms()
        sets = {
            "the example's own set": _example(tmp, args.runs, every_hook=False),
            "every hook of the example on each prompt (the plan's premise)": _example(
                tmp, args.runs, every_hook=True
            ),
        }
        one, many = _overhead(tmp, args.runs)
        twenty_one, slowest = _twenty_one(tmp, args.runs, startup)
    python = "PATH's python3 as it is" if args.as_is else "a fresh venv's python3, bytecode cached"
    print(f"{os.cpu_count()} CPUs; {args.runs} runs + 1 warm-up; hooks on {python}")
    print(f"python3 -c pass: {startup:.1f} ms (median of 11)")
    for title, event in sets.items():
        _report(title, event)
    per_member = (many - one) / (NOOPS - 1)
    print(
        f"overhead per member: unified with {NOOPS} no-op members {many:.1f} ms, with one"
        f" {one:.1f} ms: {per_member:.2f} ms per member   target <= {TARGET_OVERHEAD_MS:.0f} ms"
        f"  {_verdict(per_member <= TARGET_OVERHEAD_MS)}"
    )
    _report("21 prompt hooks, one random, five always-empty context", twenty_one)
    unified = twenty_one.model("unified").wall.median
    bound = slowest + startup
    print(
        f"  unified {unified:.1f} ms against the slowest member alone ({slowest:.1f} ms) plus one"
        f" interpreter start ({startup:.1f} ms) = {bound:.1f} ms: {unified / bound:.2f}×"
    )
    if args.json:
        sets["21 prompt hooks"] = twenty_one
        print(json.dumps({title: event.as_dict() for title, event in sets.items()}, indent=2))
    return 0 if all(e.same_effect() and not e.invalid() for e in sets.values()) else 1


def _report(title: str, event: bench.EventResult) -> None:
    hooks = event.model("sequential").processes // event.payloads
    print(f"{EVENT}, {title}:")
    print(f"  {hooks} hooks, {event.payloads} prompts; ms per prompt (median, min-max)")
    for m in event.models:
        print(
            f"  {m.model:<10} {m.processes // event.payloads:>2} processes  wall"
            f" {m.wall.median:7.1f} ({m.wall.min:.1f}-{m.wall.max:.1f})"
            f"  CPU {m.cpu.median:7.1f} ({m.cpu.min:.1f}-{m.cpu.max:.1f})"
        )
    unified, parallel = event.model("unified").wall, event.model("parallel").wall
    sequential = event.model("sequential").wall
    ratio = unified.median / parallel.median
    verdict = _verdict(ratio <= TARGET_RATIO)
    print(f"  unified / parallel:   {ratio:.2f}   target <= {TARGET_RATIO:.2f}  {verdict}")
    print(f"  unified / sequential: {unified.median / sequential.median:.2f}")
    print(f"  same effect under the three models: {_verdict(event.same_effect())}")
    if event.invalid():
        print(f"  INVALID: {'; '.join(event.invalid())}")
    files = {m.model: m.files for m in event.models}
    same_files = files["sequential"] == files["unified"]
    print(f"  same files written, sequential and unified: {_verdict(same_files)}")
    if files["parallel"] != files["sequential"]:
        print("  one process per hook wrote different files (hooks racing on shared state)")


if __name__ == "__main__":
    raise SystemExit(main())
