"""The example project consolidated end to end: apply, verify, roll back byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import git, run_migrate


def test_consolidate_verify_and_roll_back(example_repo: Path) -> None:
    original = (example_repo / ".claude/settings.json").read_bytes()
    result = run_migrate(example_repo, "apply", "create-unified-hooks", "update-settings", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "session_context.py named by the plan does not exist" in result.stdout
    assert "hooks verify" in result.stdout

    settings = json.loads((example_repo / ".claude/settings.json").read_text())
    commands = [
        h["command"] for groups in settings["hooks"].values() for g in groups for h in g["hooks"]
    ]
    for name in ("synapse_fire", "detect_batch", "command_tracker", "performance_gate"):
        assert not any(f"/{name}.py" in c for c in commands), name
    unified = [c for c in commands if "unified_" in c]
    assert {c.split("/")[-1] for c in unified} == {
        "unified_memory.py",
        "unified_detection.py",
        "unified_epistemology.py",
        "unified_performance.py",
    }
    assert any("echo session started" in c for c in commands)  # non-Python command untouched
    assert settings["permissions"] and settings["env"]

    verify = run_migrate(example_repo, "hooks", "verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    report = json.loads(verify.stdout)
    assert report["ok"] and report["differences"] == []
    assert report["handler_runs"]["after"] < report["handler_runs"]["before"]

    assert run_migrate(example_repo, "rollback", "update-settings").returncode == 0
    assert (example_repo / ".claude/settings.json").read_bytes() == original
    assert git(example_repo, "status", "--porcelain") == ""


def test_a_hook_that_changes_behaviour_is_reverted(example_repo: Path) -> None:
    hooks = example_repo / ".claude/hooks"
    assert run_migrate(example_repo, "apply", "create-unified-hooks", "--yes").returncode == 0
    # Break the generated runtime so the unified hooks no longer behave like their members.
    runtime = hooks / "_unified_runtime.py"
    runtime.write_text(runtime.read_text() + "\nraise SystemExit(2)\n")
    git(example_repo, "commit", "-qam", "tamper with the runtime")
    head = git(example_repo, "rev-parse", "HEAD")
    result = run_migrate(example_repo, "apply", "update-settings", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "hooks verify" in result.stdout and "differs" in result.stdout
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert git(example_repo, "status", "--porcelain") == ""
