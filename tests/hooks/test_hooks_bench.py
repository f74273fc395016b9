"""hooks bench: the three models on the example, the JSON and table shapes, a clean work tree.

No timing is asserted: only that every figure is there and positive.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from migrate.hooks import bench, replay
from tests.helpers import make_repo, run_migrate

EXPECTED_EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"]


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _text(table: object) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_bench_every_event_three_models_work_tree_untouched(example_repo: Path) -> None:
    before = _files(example_repo)
    result = bench.measure(example_repo, None, replay.SAMPLES, runs=1, warmup=0)

    assert [e.event for e in result.events] == EXPECTED_EVENTS  # events of the samples with hooks
    for event in result.events:
        assert [m.model for m in event.models] == list(bench.MODELS)
        for m in event.models:
            assert m.wall.median > 0 and m.cpu.median > 0 and m.processes > 0, (event.event, m)
            assert m.wall.min <= m.wall.median <= m.wall.max
    prompt = result.event("UserPromptSubmit")
    assert prompt is not None and prompt.same_effect()
    processes = {m.model: m.processes // prompt.payloads for m in prompt.models}
    assert processes == {"sequential": 13, "parallel": 13, "unified": 1}
    # The echo command is not mergeable: it runs beside the dispatcher.
    start = result.event("SessionStart")
    assert start is not None and start.model("unified").processes == 2

    data = json.loads(json.dumps(result.as_dict()))
    assert data["revision"] == "work tree" and data["runs"] == 1
    assert list(data["events"]) == EXPECTED_EVENTS
    models = data["events"]["PreToolUse"]["models"]
    assert set(models) == set(bench.MODELS)
    assert set(models["unified"]) == {"wall_ms", "cpu_ms", "processes"}
    assert set(models["unified"]["wall_ms"]) == {"median", "min", "max"}
    assert result.medians()["Stop"].keys() == set(bench.MODELS)

    text = _text(bench.table(result))
    assert "UserPromptSubmit" in text and "unified" in text
    assert _files(example_repo) == before  # hooks ran in a scratch copy only


def test_compare_before_and_after(example_repo: Path) -> None:
    prompt = [p for p in replay.SAMPLES if p["hook_event_name"] == "UserPromptSubmit"][:1]
    result = bench.compare(example_repo, "HEAD", None, runs=1, payloads=prompt)
    data = result.as_dict()
    assert data["before"]["revision"] == "HEAD" and data["after"]["revision"] == "work tree"
    assert list(data["after"]["events"]) == ["UserPromptSubmit"]
    assert "after/before" in _text(bench.table(result))


def test_hooks_that_cannot_start_make_the_figures_invalid(tmp_path: Path) -> None:
    """Pattern: `uv run` hooks on a machine without uv: 2-8 ms figures for 'not found'."""
    command = "uv-not-installed-here run $CLAUDE_PROJECT_DIR/.claude/hooks/guard.py"
    hooks = [{"type": "command", "command": command}]
    text = json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": hooks}]}})
    repo = make_repo(tmp_path / "p", {".claude/settings.json": text})
    result = run_migrate(repo, "hooks", "bench", "--runs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "INVALID" in result.stdout
    assert f"UserPromptSubmit: invalid: parallel: {command}: " in result.stdout
    data = json.loads(run_migrate(repo, "hooks", "bench", "--runs", "1", "--json").stdout)
    assert data["events"]["UserPromptSubmit"]["valid"] is False


def test_a_random_member_does_not_make_the_models_differ(tmp_path: Path) -> None:
    """Pattern: a member adding a random tip, beside one whose context never changes."""
    tip = "import os, sys\nsys.stdin.read()\nprint('tip: ' + os.urandom(6).hex())\n"
    same = "import sys\nsys.stdin.read()\nprint('always the same')\n"
    files = {".claude/hooks/tip.py": tip, ".claude/hooks/same.py": same}
    hooks = [
        {"type": "command", "command": f"python3 $CLAUDE_PROJECT_DIR/.claude/hooks/{n}"}
        for n in ("tip.py", "same.py")
    ]
    text = json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": hooks}]}})
    repo = make_repo(tmp_path / "p", {**files, ".claude/settings.json": text})
    prompt = [p for p in replay.SAMPLES if p["hook_event_name"] == "UserPromptSubmit"][:1]
    result = bench.measure(repo, None, prompt, runs=3, warmup=0)
    event = result.event("UserPromptSubmit")
    assert event is not None and event.same_effect() and result.ok(), event.differing()
