"""remove-old-hooks removes only what unification replaced and nothing else names.

Patterns from public projects: a hook still registered in `.claude/settings.final.json`, a hook
the README documents, one a test imports; members a registered hook runs always stay.
"""

from __future__ import annotations

import json
from pathlib import Path

from migrate.files import Snapshot
from migrate.hooks import unified
from migrate.transforms.remove_old_hooks import NOTHING_UNIFIED, remove_old_hooks
from tests.helpers import make_repo, run_migrate

HOOKS = ".claude/hooks"
PLAIN = "import sys\nsys.stdin.read()\n"


def _command(name: str) -> str:
    return f"python3 $CLAUDE_PROJECT_DIR/{HOOKS}/{name}"


def _settings(*names: str) -> str:
    handlers = [{"type": "command", "command": _command(n)} for n in names]
    return json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": handlers}]}}, indent=2) + "\n"


def _unified(members: list[str], name: str = "unified_memory") -> tuple[str, str]:
    entries = [
        {
            "name": n,
            "script": f"$CLAUDE_PROJECT_DIR/{HOOKS}/{n}",
            "args": [],
            "event": "UserPromptSubmit",
            "matchers": [""],
            "timeout": None,
            "chain": None,
        }
        for n in members
    ]
    hook = unified.UnifiedHook(f"{HOOKS}/{name}.py", tuple(entries))
    return hook.path, unified.render(hook, "test")


def _snapshot(root: Path, files: dict[str, str]) -> Snapshot:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return Snapshot(root, tuple(files))


MEMBERS = ["a.py", "b.py", "c.py", "d.py"]


def _dispatched_project() -> dict[str, str]:
    """A dispatcher registered in place of earlier unified hooks (parallel-hook-runner after
    create-unified-hooks), and the patterns that must keep a script."""
    generated = dict(
        [
            _unified(MEMBERS, "dispatch_user_prompt_submit"),
            _unified(["a.py", "b.py"], "unified_gone"),
            _unified(["c.py", "d.py"], "unified_final"),
            _unified(["a.py", "d.py"], "unified_documented"),
            _unified(["b.py", "c.py"], "unified_tested"),
            _unified(["a.py", "other.py"], "unified_partial"),
        ]
    )
    return {
        **{f"{HOOKS}/{n}": PLAIN for n in [*MEMBERS, "other.py", "old_logger.py"]},
        f"{HOOKS}/_unified_runtime.py": unified.runtime_source(),
        **generated,
        ".claude/settings.json": _settings("dispatch_user_prompt_submit.py"),
        ".claude/settings.final.json": _settings("unified_final.py"),
        "README.md": "# Hooks\n\nSee data.py.\n\n`unified_documented.py` runs a and d.\n",
        "tests/test_hooks.py": "import unified_tested\n",
        # migrate's own recipe names what it generated: no reason to keep it.
        ".migrate/recipes/create-unified-hooks.toml": 'x = ["unified_gone.py"]\n',
    }


def test_removes_only_what_a_registered_dispatcher_replaced(tmp_path: Path) -> None:
    result = remove_old_hooks(_snapshot(tmp_path, _dispatched_project()), {})
    assert [(c.path, c.after) for c in result.changes] == [(f"{HOOKS}/unified_gone.py", None)]
    assert result.notes[0] == (
        f"removed: {HOOKS}/unified_gone.py (replaced by dispatch_user_prompt_submit)"
    )
    kept = [n for n in result.notes if n.startswith("kept: ")]
    run_by = "a member the registered dispatch_user_prompt_submit runs"
    assert kept == [
        f"kept: {HOOKS}/a.py: {run_by}",
        f"kept: {HOOKS}/b.py: {run_by}",
        f"kept: {HOOKS}/c.py: {run_by}",
        f"kept: {HOOKS}/d.py: {run_by}",
        f"kept: {HOOKS}/unified_documented.py: named in README.md:5",
        f"kept: {HOOKS}/unified_final.py: named in .claude/settings.final.json:8",
        f"kept: {HOOKS}/unified_partial.py: a unified hook registered nowhere, but no registered"
        " one runs all of its members",
        f"kept: {HOOKS}/unified_tested.py: imported by tests/test_hooks.py:1",
    ]
    assert result.counts == {"removed": 1, "kept": 8}


def test_nothing_unified_changes_nothing(tmp_path: Path) -> None:
    """Hook scripts registered nowhere are not this step's business without a unified hook."""
    files = {
        f"{HOOKS}/old.py": PLAIN,
        f"{HOOKS}/live.py": PLAIN,
        ".claude/settings.json": _settings("live.py"),
    }
    result = remove_old_hooks(_snapshot(tmp_path, files), {})
    assert result.changes == ()
    assert result.notes == (NOTHING_UNIFIED,)


def test_requires_is_not_met_by_a_step_that_changed_nothing(tmp_path: Path) -> None:
    """With no group of the plan in this repository, create-unified-hooks and update-settings
    change nothing: the steps that require them must not run (remove-old-hooks would delete
    a unified hook the dispatcher replaced)."""
    files = _dispatched_project()
    files.pop(".migrate/recipes/create-unified-hooks.toml")
    repo = make_repo(tmp_path / "repo", files)
    result = run_migrate(
        repo,
        "apply",
        "create-unified-hooks",
        "update-settings",
        "remove-old-hooks",
        "--yes",
        "--json",
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    statuses = {s["recipe"]: s["status"] for s in report["steps"]}
    assert statuses == {
        "create-unified-hooks": "no-changes",
        "update-settings": "skipped",
        "remove-old-hooks": "skipped",
    }
    assert (repo / HOOKS / "unified_gone.py").exists()
