"""remove-old-hooks removes only the members unification replaced that nothing else names.

Patterns from public projects: a hook still registered in `.claude/settings.final.json`, a hook
the README documents, one a manual test script runs, one a test imports.
"""

from __future__ import annotations

import json
from pathlib import Path

from migrate.files import Snapshot
from migrate.hooks import unified
from migrate.transforms.remove_old_hooks import NOTHING_UNIFIED, remove_old_hooks
from tests.conftest import make_repo, run_migrate

HOOKS = ".claude/hooks"
PLAIN = "import sys\nsys.stdin.read()\n"


def _command(name: str) -> str:
    return f"python3 $CLAUDE_PROJECT_DIR/{HOOKS}/{name}"


def _settings(*names: str) -> str:
    handlers = [{"type": "command", "command": _command(n)} for n in names]
    return json.dumps({"hooks": {"UserPromptSubmit": [{"hooks": handlers}]}}, indent=2) + "\n"


def _unified(members: list[str]) -> tuple[str, str]:
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
    hook = unified.UnifiedHook(f"{HOOKS}/unified_memory.py", tuple(entries))
    return hook.path, unified.render(hook, "test")


def _snapshot(root: Path, files: dict[str, str]) -> Snapshot:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return Snapshot(root, tuple(files))


MEMBERS = [
    "gone.py",
    "final.py",
    "documented.py",
    "manual.py",
    "tested.py",
    "pair_a.py",
    "pair_b.py",
]


def _unified_project() -> dict[str, str]:
    path, text = _unified([*MEMBERS, "still.py"])
    return {
        **{f"{HOOKS}/{n}": PLAIN for n in MEMBERS},
        f"{HOOKS}/pair_a.py": "import pair_b\n",
        f"{HOOKS}/pair_b.py": "import pair_a\n",
        f"{HOOKS}/still.py": PLAIN,
        f"{HOOKS}/not_a_member.py": PLAIN,
        f"{HOOKS}/_unified_runtime.py": unified.runtime_source(),
        path: text,
        ".claude/settings.json": _settings("unified_memory.py", "still.py"),
        ".claude/settings.final.json": _settings("final.py"),
        "README.md": "# Hooks\n\nSee data.py and gone.pyc.\n\n`documented.py` adds context.\n",
        "scripts/manual_test.sh": f"echo '{{}}' | python3 {HOOKS}/manual.py\n",
        "tests/test_hooks.py": "from tested import main\n",
        # migrate's own recipe names the members it unified: no reason to keep them.
        ".migrate/recipes/create-unified-hooks.toml": '[params.groups]\nmemory = ["gone.py"]\n',
    }


def test_removes_only_members_nothing_else_names(tmp_path: Path) -> None:
    result = remove_old_hooks(_snapshot(tmp_path, _unified_project()), {})
    removed = sorted(c.path for c in result.changes)
    assert removed == [f"{HOOKS}/gone.py", f"{HOOKS}/pair_a.py", f"{HOOKS}/pair_b.py"]
    assert all(c.after is None for c in result.changes)
    kept = [n for n in result.notes if n.startswith("kept: ")]
    assert kept == [
        f"kept: {HOOKS}/documented.py: named in README.md:5",
        f"kept: {HOOKS}/final.py: named in .claude/settings.final.json:8",
        f"kept: {HOOKS}/manual.py: named in scripts/manual_test.sh:1",
        f"kept: {HOOKS}/still.py: still registered in .claude/settings.json",
        f"kept: {HOOKS}/tested.py: imported by tests/test_hooks.py:1",
    ]
    assert result.counts == {"removed": 3, "kept": 5}


def test_a_member_named_by_a_kept_one_stays(tmp_path: Path) -> None:
    files = _unified_project()
    files["README.md"] += "pair_a.py is documented too.\n"
    result = remove_old_hooks(_snapshot(tmp_path, files), {})
    assert sorted(c.path for c in result.changes) == [f"{HOOKS}/gone.py"]
    assert f"kept: {HOOKS}/pair_b.py: imported by {HOOKS}/pair_a.py:1" in result.notes


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
    the members of a unified hook registered by hand)."""
    files = {f"{HOOKS}/{n}": PLAIN for n in ("gone.py", "other.py")} | {
        ".claude/settings.json": _settings("gone.py", "other.py")
    }
    path, text = _unified(["gone.py", "other.py"])
    files[path] = text  # generated but never registered: update-settings would register it
    files[".claude/settings.json"] = _settings("unified_memory.py")
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
    assert (repo / HOOKS / "gone.py").exists()
