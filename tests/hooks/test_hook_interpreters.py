"""Hooks started by different Pythons: unified hooks and dispatchers group members by the
interpreter and environment their own commands start, and are registered with that command.

The fixtures reproduce settings.json patterns of public Claude Code projects: `uv run` hooks,
`/usr/bin/env python3` hooks, PEP 723 scripts run through `#!/usr/bin/env -S uv run --script`,
and a hook whose shebang names a virtual environment's interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import settings, unified
from migrate.transforms.hook_settings import update_settings
from migrate.transforms.parallel_runner import parallel_hook_runner
from migrate.transforms.unified_hooks import create_unified_hooks

SETTINGS = ".claude/settings.json"
HOOKS = ".claude/hooks"
PLAIN = "import sys\nsys.stdin.read()\n"


def _pep723(dependency: str) -> str:
    return (
        "#!/usr/bin/env -S uv run --script\n"
        "# /// script\n"
        '# requires-python = ">=3.11"\n'
        f'# dependencies = ["{dependency}"]\n'
        "# ///\n" + PLAIN
    )


def _project(tmp_path: Path, files: dict[str, str], commands: list[str]) -> Snapshot:
    handlers = [{"type": "command", "command": c} for c in commands]
    settings_text = json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": handlers}]}}, indent=2)
    for name, text in {**files, SETTINGS: settings_text}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
        if text.startswith("#!"):
            (tmp_path / name).chmod(0o755)
    return Snapshot(tmp_path, (*files, SETTINGS))


MIXED_FILES = {
    f"{HOOKS}/a.py": PLAIN,
    f"{HOOKS}/b.py": PLAIN,
    f"{HOOKS}/c.py": PLAIN,
    f"{HOOKS}/d.py": PLAIN,
    f"{HOOKS}/e.py": _pep723("requests"),
    f"{HOOKS}/f.py": _pep723("requests"),
    f"{HOOKS}/g.py": _pep723("rich"),
    f"{HOOKS}/h.py": "#!/opt/proj/.venv/bin/python\n" + PLAIN,
}
MIXED_COMMANDS = [
    "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/a.py",
    "/usr/bin/env python3 $CLAUDE_PROJECT_DIR/.claude/hooks/b.py",
    "uv run $CLAUDE_PROJECT_DIR/.claude/hooks/c.py",
    "uv run $CLAUDE_PROJECT_DIR/.claude/hooks/d.py",
    "$CLAUDE_PROJECT_DIR/.claude/hooks/e.py",
    "$CLAUDE_PROJECT_DIR/.claude/hooks/f.py",
    "$CLAUDE_PROJECT_DIR/.claude/hooks/g.py",
    "$CLAUDE_PROJECT_DIR/.claude/hooks/h.py",
]


def _generated(result: Any) -> dict[str, unified.UnifiedHook]:
    found = {}
    for change in result.changes:
        hook = unified.parse(change.path, change.after or "") if change.after else None
        if hook is not None:
            found[change.path] = hook
    return found


def test_dispatchers_group_members_by_interpreter_and_environment(tmp_path: Path) -> None:
    snapshot = _project(tmp_path, MIXED_FILES, MIXED_COMMANDS)
    result = parallel_hook_runner(snapshot, {"sequential": []})
    hooks = _generated(result)
    by_members = {tuple(sorted(h.scripts())): h for h in hooks.values()}
    assert set(by_members) == {("a.py", "b.py"), ("c.py", "d.py"), ("e.py", "f.py")}
    assert by_members[("a.py", "b.py")].interpreter == "python3"
    assert by_members[("c.py", "d.py")].interpreter == "uv run"
    assert by_members[("c.py", "d.py")].metadata is None
    pep723 = by_members[("e.py", "f.py")]
    assert pep723.interpreter == "uv run --script"
    assert pep723.metadata is not None and '"requests"' in pep723.metadata

    rendered = next(c.after for c in result.changes if c.path == pep723.path)
    assert rendered is not None
    assert rendered.startswith("#!/usr/bin/env -S uv run --script\n# /// script\n")
    assert settings.PEP723.search(rendered) is not None  # uv builds the same environment

    after = next(c.after for c in result.changes if c.path == SETTINGS)
    assert after is not None
    commands = [
        h["command"] for g in json.loads(after)["hooks"]["UserPromptSubmit"] for h in g["hooks"]
    ]
    assert commands == [
        "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/dispatch_user_prompt_submit.py",
        "uv run $CLAUDE_PROJECT_DIR/.claude/hooks/dispatch_user_prompt_submit_2.py",
        "uv run --script $CLAUDE_PROJECT_DIR/.claude/hooks/dispatch_user_prompt_submit_3.py",
        "$CLAUDE_PROJECT_DIR/.claude/hooks/g.py",
        "$CLAUDE_PROJECT_DIR/.claude/hooks/h.py",
    ]
    notes = "\n".join(result.notes)
    assert (
        "g.py runs under `uv run --script` with PEP 723 metadata (requires-python >=3.11; rich)"
        in notes
    )
    assert "h.py runs under `/opt/proj/.venv/bin/python`" in notes


def test_a_dispatcher_run_again_keeps_each_interpreter(tmp_path: Path) -> None:
    """Dispatchers flattened on a second run give their members back their own Python."""
    snapshot = _project(tmp_path, MIXED_FILES, MIXED_COMMANDS)
    first = parallel_hook_runner(snapshot, {"sequential": []})
    for change in first.changes:
        assert change.after is not None
        (tmp_path / change.path).write_text(change.after)
    again = parallel_hook_runner(Snapshot(tmp_path, snapshot.files), {"sequential": []})
    assert again.changes == ()


def test_plan_group_split_by_interpreter(tmp_path: Path) -> None:
    snapshot = _project(tmp_path, MIXED_FILES, MIXED_COMMANDS)
    groups = {"mixed": ["a.py", "b.py", "c.py", "d.py", "g.py"]}
    result = create_unified_hooks(snapshot, {"groups": groups, "sequential": []})
    hooks = _generated(result)
    assert {p: (h.interpreter, sorted(h.scripts())) for p, h in hooks.items()} == {
        f"{HOOKS}/unified_mixed.py": ("python3", ["a.py", "b.py"]),
        f"{HOOKS}/unified_mixed_2.py": ("uv run", ["c.py", "d.py"]),
    }
    assert any("g.py runs under `uv run --script`" in n for n in result.notes)

    for change in result.changes:
        assert change.after is not None
        (tmp_path / change.path).write_text(change.after)
    registered = update_settings(Snapshot(tmp_path, tuple(hooks)), {})
    text = registered.changes[0].after
    assert text is not None
    commands = [
        h["command"] for g in json.loads(text)["hooks"]["UserPromptSubmit"] for h in g["hooks"]
    ]
    assert "uv run $CLAUDE_PROJECT_DIR/.claude/hooks/unified_mixed_2.py" in commands
    assert "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/unified_mixed.py" in commands
    assert "$CLAUDE_PROJECT_DIR/.claude/hooks/g.py" in commands


SHOWS_PYTHON = (
    "import json, sys\n"
    "sys.stdin.read()\n"
    "print(json.dumps({'hookSpecificOutput': {'hookEventName': 'UserPromptSubmit',"
    " 'additionalContext': __file__.rsplit('/', 1)[-1] + ' ' + sys.prefix}}))\n"
)


def test_venv_shebang_members_run_under_that_venv(tmp_path: Path) -> None:
    """A unified hook of members whose shebang names a virtual environment's interpreter runs
    them under that interpreter, not under the python3 on PATH."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    shebang = f"#!{venv}/bin/python\n"
    repo = tmp_path / "repo"
    files = {f"{HOOKS}/a.py": shebang + SHOWS_PYTHON, f"{HOOKS}/b.py": shebang + SHOWS_PYTHON}
    commands = [f"$CLAUDE_PROJECT_DIR/{HOOKS}/a.py", f"$CLAUDE_PROJECT_DIR/{HOOKS}/b.py"]
    snapshot = _project(repo, files, commands)
    result = parallel_hook_runner(snapshot, {"sequential": []})
    for change in result.changes:
        assert change.after is not None
        (repo / change.path).write_text(change.after)
    (command,) = [
        h["command"]
        for g in json.loads((repo / SETTINGS).read_text())["hooks"]["UserPromptSubmit"]
        for h in g["hooks"]
    ]
    assert command.startswith(f"{venv}/bin/python ")
    payload = json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": "hi"})
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(repo)}
    run = subprocess.run(
        ["/bin/sh", "-c", command], input=payload, capture_output=True, text=True, cwd=repo, env=env
    )
    assert run.returncode == 0, run.stderr
    context = json.loads(run.stdout)["hookSpecificOutput"]["additionalContext"]
    assert f"a.py {venv}" in context and f"b.py {venv}" in context


def test_a_member_registered_in_a_form_no_hook_can_take_is_named_with_its_command(
    tmp_path: Path,
) -> None:
    """`uv run uv run x.py`, a typo found in a public project's settings.json: the note says
    how it is registered, not that it is unregistered."""
    files = {f"{HOOKS}/a.py": PLAIN, f"{HOOKS}/b.py": PLAIN, f"{HOOKS}/c.py": PLAIN}
    commands = [
        f"uv run $CLAUDE_PROJECT_DIR/{HOOKS}/a.py",
        f"uv run $CLAUDE_PROJECT_DIR/{HOOKS}/b.py",
        f"uv run uv run $CLAUDE_PROJECT_DIR/{HOOKS}/c.py",
    ]
    snapshot = _project(tmp_path, files, commands)
    groups = {"g": ["a.py", "b.py", "c.py"]}
    result = create_unified_hooks(snapshot, {"groups": groups, "sequential": []})
    assert f"c.py is registered as `{commands[2]}`, which runs uv under uv run" in "\n".join(
        result.notes
    )
