"""`migrate demo`: the README's first command, on a machine without a git identity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import git


def test_demo_applies_every_recipe_without_git_identity(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    target = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "demo", "--keep", str(target)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reverted" not in result.stdout
    recipes = git(target, "log", "--format=%(trailers:key=Migrate-Recipe,valueonly)", "main..HEAD")
    applied = {line.strip() for line in recipes.splitlines() if line.strip()}
    shipped = {p.stem for p in (Path(__file__).parent.parent / "recipes").glob("*.toml")}
    # remove-old-hooks runs before parallel-hook-runner: the registered unified hooks run
    # their members' scripts, so nothing is replaced yet and it changes nothing.
    assert applied == shipped - {"remove-old-hooks"}
    assert "no-changes   remove-old-hooks" in result.stdout
    assert git(target, "status", "--porcelain") == ""
    assert "Success metrics" in result.stdout and "git merge --ff-only" in result.stdout
    # Shows, not floods: the plan, one line per step, the report; diffs only with --verbose.
    assert "The plan" in result.stdout and "@@ " not in result.stdout
    assert len(result.stdout.splitlines()) < 250
    assert f"are for this example, in {target}" in result.stdout
    markdown = (tmp_path / "migrate-report.md").read_text(encoding="utf-8")
    assert "| Subprocess hangs | 32 risks → 0 risks |" in markdown
    assert str(tmp_path / "migrate-report.md") in result.stdout


def test_demo_removes_its_temporary_project_and_keeps_the_report(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "demo"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (made,) = tmp_path.glob("migrate-demo-*")
    assert not (made / "project").exists()
    assert f"the example project {made / 'project'} was removed" in result.stdout
    assert "(temporary, removed at the end: pass --keep DIR to keep it)" in result.stdout
    assert "### Success metrics" in (made / "migrate-report.md").read_text(encoding="utf-8")
