"""`migrate demo`: the README's first command, on a machine without a git identity."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_applies_every_recipe_without_git_identity_and_cleans_up(tmp_path: Path) -> None:
    """One demo run (it takes a while): every recipe applies without a git identity, the
    output shows rather than floods, the temporary project is removed, the report kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {
        "HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "TMPDIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "demo"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reverted" not in result.stdout
    applied = set(re.findall(r"^applied +(\S+)", result.stdout, re.MULTILINE))
    shipped = {p.stem for p in (Path(__file__).parents[2] / "recipes").glob("*.toml")}
    # remove-old-hooks runs before parallel-hook-runner: the registered unified hooks run
    # their members' scripts, so nothing is replaced yet and it changes nothing.
    assert applied == shipped - {"remove-old-hooks"}
    assert "no-changes   remove-old-hooks" in result.stdout
    assert "Success metrics" in result.stdout and "git merge --ff-only" in result.stdout
    # Shows, not floods: the plan, one line per step, the report; diffs only with --verbose.
    assert "The plan" in result.stdout and "@@ " not in result.stdout
    assert len(result.stdout.splitlines()) < 250
    (made,) = tmp_path.glob("migrate-demo-*")
    assert not (made / "project").exists()
    assert f"the example project {made / 'project'} was removed" in result.stdout
    assert "(temporary, removed at the end: pass --keep DIR to keep it)" in result.stdout
    markdown = (made / "migrate-report.md").read_text(encoding="utf-8")
    assert "### Success metrics" in markdown
    assert "| Subprocess hangs | 32 risks → 0 risks |" in markdown


def test_without_pytest_for_migrates_python_the_demo_says_so_and_builds_nothing(
    tmp_path: Path,
) -> None:
    """Pattern: `pipx install migrate-plan` (pytest is not in migrate's own environment). A
    `pytest` that cannot be imported stands first on PYTHONPATH, as a missing one would."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "pytest.py").write_text("raise ImportError('no pytest here')\n")
    env = {**os.environ, "PYTHONPATH": f"{shadow}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("migrate: the demo runs the example's tests with pytest")
    assert "pipx inject migrate-plan pytest" in result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []  # no example project was built
