"""`apply --all` on 21 UserPromptSubmit hooks with a random member and several always-empty
context members (the pattern that reverted update-settings on the plan's own repository)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers import git, run_migrate
from tests.hooks.fixture_21_prompt_hooks import build

# remove-old-hooks runs too; which scripts it may delete is decided elsewhere (issue 12, 5).
CHANGING_STEPS = ["create-unified-hooks", "update-settings", "parallel-hook-runner"]


def test_apply_all_applies_every_hook_step_with_verify_passing(tmp_path: Path) -> None:
    repo = build(tmp_path / "project")
    result = run_migrate(repo, "apply", "--all", "--yes", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    log = git(repo, "log", "--format=%s%n%b", "main..")
    for step in CHANGING_STEPS:
        assert re.search(rf"\b{step}\b", log), (step, log)
    assert re.search(r"no-changes\s+remove-old-hooks", result.stdout)  # ran, nothing reverted
    assert "reverted" not in result.stdout and "differs" not in result.stdout
    assert result.stdout.count("passed   hooks verify") == len(CHANGING_STEPS)
    assert "nondeterministic" in result.stdout  # the random member, reported
    settings = json.loads((repo / ".claude/settings.json").read_text())
    commands = [h["command"] for g in settings["hooks"]["UserPromptSubmit"] for h in g["hooks"]]
    assert len(commands) == 1 and "dispatch_" in commands[0], commands
