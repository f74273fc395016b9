"""parallel-hook-runner: one dispatcher per event, state chains, unified hooks flattened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import unified
from migrate.model import TransformResult
from migrate.transforms.parallel_runner import explain, parallel_hook_runner
from tests.helpers import git, run_migrate

SETTINGS = ".claude/settings.json"
WRITES_STATE = (
    "import json, os, sys\n"
    "path = os.path.join(os.environ['CLAUDE_PROJECT_DIR'], '.claude', 'state.json')\n"
    "open(path, 'a').write(json.dumps(1))\n"
)
READS_ONLY = "import sys\nsys.stdin.read()\n"


def _command(name: str) -> str:
    return f"python3 $CLAUDE_PROJECT_DIR/.claude/hooks/{name}"


def _settings(hooks: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps({"env": {"A": "1"}, "hooks": hooks}, indent=2) + "\n"


def _group(*names: str, matcher: str | None = None) -> dict[str, Any]:
    handlers = [{"type": "command", "command": _command(n)} for n in names]
    return ({"matcher": matcher} if matcher else {}) | {"hooks": handlers}


def _project(tmp_path: Path, files: dict[str, str]) -> Snapshot:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return Snapshot(tmp_path, tuple(files))


def _write(root: Path, result: TransformResult) -> None:
    for change in result.changes:
        assert change.after is not None
        (root / change.path).write_text(change.after)


def _members(root: Path, path: str) -> list[dict[str, Any]]:
    hook = unified.parse(path, (root / path).read_text())
    assert hook is not None
    return list(hook.members)


def _commands(settings: dict[str, Any], event: str) -> list[str]:
    return [h["command"] for g in settings["hooks"].get(event, []) for h in g["hooks"]]


def test_apply_on_the_example_verify_and_roll_back(example_repo: Path) -> None:
    original = (example_repo / SETTINGS).read_bytes()
    result = run_migrate(example_repo, "apply", "parallel-hook-runner", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hooks verify" in result.stdout
    assert "session_state_tracker.py run in order" in result.stdout
    step = json.loads(run_migrate(example_repo, "status", "--json").stdout)["run"]["steps"][-1]
    python = [f for f in step["files"] if f.endswith(".py")]
    assert len(python) < len(step["files"])  # settings.json changed too: py_compile skips it
    compiled = next(c for c in step["checks"] if c["name"] == "py_compile")
    assert compiled["detail"] == f"{len(python)} file(s)"

    settings = json.loads((example_repo / SETTINGS).read_text())
    for event, snake in (
        ("UserPromptSubmit", "user_prompt_submit"),
        ("PreToolUse", "pre_tool_use"),
        ("PostToolUse", "post_tool_use"),
    ):
        assert [c.rsplit("/", 1)[-1] for c in _commands(settings, event)] == [
            f"dispatch_{snake}.py"
        ], event
    assert any("echo session started" in c for c in _commands(settings, "SessionStart"))
    assert any("session_start_banner.py" in c for c in _commands(settings, "SessionStart"))
    assert any("stop_checklist.py" in c for c in _commands(settings, "Stop"))
    assert settings["permissions"] and settings["env"]

    prompt = _members(example_repo, ".claude/hooks/dispatch_user_prompt_submit.py")
    chains: dict[str, list[str]] = {}
    for member in prompt:
        if member["chain"]:
            chains.setdefault(member["chain"], []).append(member["name"])
    assert chains == {
        "state:.claude/memory/lessons.jsonl": [
            "auto_remember.py",
            "detect_success_auto_learn.py",
            "detect_failure_auto_learn.py",
        ],
        "state:.claude/memory/session_state.json": [
            "command_tracker.py",
            "session_state_tracker.py",
        ],
    }
    tools = _members(example_repo, ".claude/hooks/dispatch_post_tool_use.py")
    assert [m["name"] for m in tools if m["chain"]] == [
        "session_state_tracker.py",
        "command_tracker.py",
    ]

    assert run_migrate(example_repo, "rollback", "parallel-hook-runner").returncode == 0
    assert (example_repo / SETTINGS).read_bytes() == original
    assert git(example_repo, "status", "--porcelain") == ""


def test_sequential_param_joins_hooks_into_a_chain(tmp_path: Path) -> None:
    files = {
        ".claude/hooks/a.py": READS_ONLY,
        ".claude/hooks/b.py": READS_ONLY,
        ".claude/hooks/c.py": READS_ONLY,
        SETTINGS: _settings({"UserPromptSubmit": [_group("a.py", "b.py", "c.py")]}),
    }
    snapshot = _project(tmp_path, files)
    free = parallel_hook_runner(snapshot, {"sequential": []})
    _write(tmp_path, free)
    path = ".claude/hooks/dispatch_user_prompt_submit.py"
    assert [m["chain"] for m in _members(tmp_path, path)] == [None, None, None]

    joined = parallel_hook_runner(snapshot, {"sequential": [["c.py", "a.py"]]})
    _write(tmp_path, joined)
    chains = [m["chain"] for m in _members(tmp_path, path)]
    assert chains[0] is not None and chains[0] == chains[2] and chains[1] is None
    assert any("a.py, c.py run in order" in n and "sequential" in n for n in joined.notes)
    lines = explain(snapshot, {"sequential": [["c.py", "a.py"]]})
    assert any("a.py, c.py run in order" in line for line in lines)
    # Taken out of the recipe again, the chain goes: a dispatcher's own chains are not kept.
    _write(tmp_path, parallel_hook_runner(snapshot, {"sequential": []}))
    assert [m["chain"] for m in _members(tmp_path, path)] == [None, None, None]


def _unified(
    name: str, members: list[tuple[str, str]], timeout: int | None, chain: str | None = None
) -> unified.UnifiedHook:
    """A generated unified hook for PreToolUse with (script name, matcher) members."""
    entries = [
        {
            "name": n,
            "script": f"$CLAUDE_PROJECT_DIR/.claude/hooks/{n}",
            "args": [],
            "event": "PreToolUse",
            "matchers": [m],
            "timeout": timeout,
            "chain": chain,
        }
        for n, m in members
    ]
    return unified.UnifiedHook(f".claude/hooks/{name}", tuple(entries))


def test_state_writers_chain_and_unified_hooks_are_flattened(tmp_path: Path) -> None:
    inner = _unified("unified_pair.py", [("w1.py", "Bash"), ("r.py", "Write|Edit")], 7)
    files = {
        ".claude/hooks/w1.py": WRITES_STATE,
        ".claude/hooks/w2.py": WRITES_STATE,
        ".claude/hooks/r.py": READS_ONLY,
        ".claude/hooks/_unified_runtime.py": unified.runtime_source(),
        inner.path: unified.render(inner, "a pair"),
        SETTINGS: _settings(
            {
                "PreToolUse": [
                    _group("unified_pair.py", matcher="Bash|Write|Edit"),
                    _group("w2.py", matcher="Read"),
                    {"hooks": [{"type": "command", "command": "echo hi | tee x"}]},
                ],
                "Stop": [_group("r.py")],
            }
        ),
    }
    snapshot = _project(tmp_path, files)
    result = parallel_hook_runner(snapshot, {"sequential": []})
    _write(tmp_path, result)

    members = _members(tmp_path, ".claude/hooks/dispatch_pre_tool_use.py")
    assert [(m["name"], m["matchers"], m["timeout"]) for m in members] == [
        ("w1.py", ["Bash"], 7),
        ("r.py", ["Write|Edit"], 7),
        ("w2.py", ["Read"], None),
    ]
    assert members[0]["chain"] == members[2]["chain"] == "state:.claude/state.json"
    assert members[1]["chain"] is None
    settings = json.loads((tmp_path / SETTINGS).read_text())
    assert _commands(settings, "PreToolUse") == [
        _command("dispatch_pre_tool_use.py"),
        "echo hi | tee x",
    ]
    assert settings["hooks"]["PreToolUse"][0]["matcher"] == "Bash|Write|Edit|Read"
    assert _commands(settings, "Stop") == [_command("r.py")]  # one hook: no dispatcher
    assert settings["env"] == {"A": "1"}

    again = parallel_hook_runner(Snapshot(tmp_path, tuple(files)), {"sequential": []})
    assert again.changes == ()


def test_a_dispatcher_is_refreshed_when_hooks_are_added(tmp_path: Path) -> None:
    files = {
        ".claude/hooks/a.py": READS_ONLY,
        ".claude/hooks/b.py": READS_ONLY,
        ".claude/hooks/c.py": READS_ONLY,
        SETTINGS: _settings({"PreToolUse": [_group("a.py", "b.py", matcher="Bash")]}),
    }
    snapshot = _project(tmp_path, files)
    _write(tmp_path, parallel_hook_runner(snapshot, {"sequential": []}))
    settings = json.loads((tmp_path / SETTINGS).read_text())
    settings["hooks"]["PreToolUse"].append(_group("c.py", matcher="Read"))
    (tmp_path / SETTINGS).write_text(json.dumps(settings, indent=2) + "\n")

    _write(tmp_path, parallel_hook_runner(snapshot, {"sequential": []}))
    settings = json.loads((tmp_path / SETTINGS).read_text())
    groups = settings["hooks"]["PreToolUse"]
    assert len(groups) == 1 and groups[0]["matcher"] == "Bash|Read"
    assert [m["name"] for m in _members(tmp_path, ".claude/hooks/dispatch_pre_tool_use.py")] == [
        "a.py",
        "b.py",
        "c.py",
    ]


def test_must_not_change(tmp_path: Path) -> None:
    narrowed = _unified("unified_x.py", [("a.py", "Bash|Write"), ("b.py", "Bash|Write")], None)
    files = {
        ".claude/hooks/a.py": READS_ONLY,
        ".claude/hooks/b.py": READS_ONLY,
        ".claude/hooks/_unified_runtime.py": unified.runtime_source(),
        narrowed.path: unified.render(narrowed, "x"),
        SETTINGS: _settings(
            {
                "PreToolUse": [_group("unified_x.py", matcher="Bash")],  # narrower than members
                "Stop": [_group("a.py")],
                "PostToolUse": [
                    {"hooks": [{"type": "command", "command": "python a.py"}]},
                    {"hooks": [{"type": "command", "command": _command("b.py"), "async": True}]},
                ],
            }
        ),
    }
    result = parallel_hook_runner(_project(tmp_path, files), {"sequential": []})
    assert result.changes == ()
    assert any("narrower than its members'" in n for n in result.notes)
    assert any("PostToolUse: only a.py to run" in n for n in result.notes)


def test_chains_of_a_flattened_unified_hook_are_kept(tmp_path: Path) -> None:
    pair = _unified("unified_ab.py", [("a.py", "Bash"), ("b.py", "Bash")], None, "sequential:a.py")
    files = {
        ".claude/hooks/a.py": READS_ONLY,
        ".claude/hooks/b.py": READS_ONLY,
        ".claude/hooks/c.py": READS_ONLY,
        ".claude/hooks/_unified_runtime.py": unified.runtime_source(),
        pair.path: unified.render(pair, "a chained pair"),
        SETTINGS: _settings(
            {
                "PreToolUse": [
                    _group("unified_ab.py", matcher="Bash"),
                    _group("c.py", matcher="Bash"),
                ]
            }
        ),
    }
    _write(tmp_path, parallel_hook_runner(_project(tmp_path, files), {"sequential": []}))
    members = _members(tmp_path, ".claude/hooks/dispatch_pre_tool_use.py")
    chains = [m["chain"] for m in members]
    assert [m["name"] for m in members] == ["a.py", "b.py", "c.py"]
    assert chains[0] is not None and chains[0] == chains[1] and chains[2] is None
