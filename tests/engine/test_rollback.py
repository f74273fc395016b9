"""Every way to undo: one step, one file, one hook registration, the whole run (twice)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.engine.test_workflow import FILES, PYTEST
from tests.helpers import git, make_repo, run_migrate

SETTINGS = """{
  "permissions": {"allow": ["Bash(ls)"]},
  "hooks": {
    "UserPromptSubmit": [
      {
        "hooks": [
          {"type": "command", "command": "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/a.py"},
          {"type": "command", "command": "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/b.py"}
        ]
      }
    ],
    "Stop": [
      {"hooks": [{"type": "command", "command": "python3 .claude/hooks/a.py", "timeout": 5}]}
    ]
  }
}
"""


def applied_repo(tmp_path: Path) -> tuple[Path, str]:
    repo = make_repo(
        tmp_path / "repo",
        {**FILES, ".migrate/config.toml": PYTEST, ".claude/settings.json": SETTINGS},
    )
    base = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "apply", "max-workers", "agent-parallelism-doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    return repo, base


def tree(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", f"{rev}^{{tree}}")


def test_rollback_all_twice_returns_to_base(tmp_path: Path) -> None:
    repo, base = applied_repo(tmp_path)
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    for _ in range(2):
        result = run_migrate(repo, "rollback", "--all")
        assert result.returncode == 0, result.stderr
        assert git(repo, "rev-parse", "HEAD") == base
        assert git(repo, "status", "--porcelain") == ""
        assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "for-each-ref", "--format=%(refname)", "refs/migrate/backup/")
    assert git(repo, "branch", "--list", branch)  # kept without --yes


def test_rollback_all_from_the_base_branch(tmp_path: Path) -> None:
    repo, base = applied_repo(tmp_path)
    tip = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    assert "open on branch migrate/" in run_migrate(repo, "status").stdout
    rolled = run_migrate(repo, "rollback", "--all")
    assert rolled.returncode == 0 and ": back on main; " in rolled.stdout
    assert git(repo, "rev-parse", "HEAD") == base
    backups = git(repo, "for-each-ref", "--format=%(objectname)", "refs/migrate/backup/")
    assert backups == tip
    assert "no open migration run" in run_migrate(repo, "status").stdout


def test_rollback_all_yes_deletes_branch_keeps_backup(tmp_path: Path) -> None:
    repo, _ = applied_repo(tmp_path)
    tip = git(repo, "rev-parse", "HEAD")
    assert run_migrate(repo, "rollback", "--all", "--yes").returncode == 0
    assert git(repo, "branch", "--list", "migrate/*") == ""
    backups = git(repo, "for-each-ref", "--format=%(objectname)", "refs/migrate/backup/")
    assert backups == tip


def test_rollback_recipe_reverts_only_that_commit(tmp_path: Path) -> None:
    repo, _ = applied_repo(tmp_path)
    reverted = git(repo, "rev-parse", "HEAD~1")  # max-workers' commit
    result = run_migrate(repo, "rollback", "max-workers")
    assert result.returncode == 0, result.stderr
    sha = git(repo, "rev-parse", "HEAD")
    assert f"rolled back 'max-workers' with commit {sha[:10]}." in result.stdout
    assert "max_workers=10" in (repo / ".claude/hooks/detect_batch.py").read_text()
    assert "Performance checklist: parallel agents" in (repo / "CLAUDE.md").read_text()
    assert "Migrate-Rollback: max-workers" in git(repo, "log", "-1", "--format=%B")
    again = run_migrate(repo, "rollback", "max-workers")
    assert again.returncode == 0 and "already" in again.stdout
    assert git(repo, "status", "--porcelain") == ""
    steps = json.loads(run_migrate(repo, "status", "--json").stdout)["run"]["steps"]
    assert steps[-1]["status"] == "rolled-back"
    assert steps[-1]["pre_commit"] == reverted  # the journal names the commit it reverted


def test_rollback_file_restores_one_file(tmp_path: Path) -> None:
    repo, base = applied_repo(tmp_path)
    result = run_migrate(repo, "rollback", "--file", ".claude/hooks/detect_batch.py")
    assert result.returncode == 0, result.stderr
    assert git(repo, "diff", base, "HEAD", "--", ".claude/hooks/detect_batch.py") == ""
    assert git(repo, "diff", base, "HEAD", "--", ".claude/hooks/best_practice_enforcer.py")
    again = run_migrate(repo, "rollback", "--file", ".claude/hooks/detect_batch.py")
    assert again.returncode == 0 and "already" in again.stdout


def test_disable_hook_removes_only_its_registrations(tmp_path: Path) -> None:
    repo, _ = applied_repo(tmp_path)
    result = run_migrate(repo, "rollback", "--disable-hook", "a.py")
    assert result.returncode == 0, result.stderr
    sha = git(repo, "rev-parse", "HEAD")
    assert f"disabled hook a.py with commit {sha[:10]}." in result.stdout
    text = (repo / ".claude/settings.json").read_text()
    data = json.loads(text)
    assert "Stop" not in data["hooks"]
    commands = [h["command"] for g in data["hooks"]["UserPromptSubmit"] for h in g["hooks"]]
    assert commands == ["python3 $CLAUDE_PROJECT_DIR/.claude/hooks/b.py"]
    assert text.startswith('{\n  "permissions": {"allow": ["Bash(ls)"]},\n  "hooks": {\n')
    assert git(repo, "status", "--porcelain") == ""
    missing = run_migrate(repo, "rollback", "--disable-hook", "a.py")
    assert missing.returncode == 2 and "settings.json" in missing.stderr


def test_rollback_without_a_run_is_a_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    result = run_migrate(repo, "rollback", "max-workers")
    assert result.returncode == 2
    assert "no open migration run" in result.stderr


def test_an_in_place_run_rolled_back_then_applied_again(tmp_path: Path) -> None:
    """The recipe's commit and its revert are both in main's history: applying it again
    makes a new commit (the revert is not mistaken for "already applied")."""
    repo = make_repo(tmp_path / "repo", {**FILES, ".migrate/config.toml": PYTEST})
    hook = repo / ".claude/hooks/detect_batch.py"
    assert run_migrate(repo, "apply", "max-workers", "--in-place").returncode == 0
    rolled = run_migrate(repo, "rollback", "--all", "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "max_workers=10" in hook.read_text()
    reverted = git(repo, "rev-parse", "HEAD")
    again = run_migrate(repo, "apply", "max-workers", "--in-place", "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert [s["status"] for s in json.loads(again.stdout)["steps"]] == ["applied"]
    assert git(repo, "rev-parse", "HEAD~1") == reverted
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert "max_workers=50" in hook.read_text()
    assert git(repo, "status", "--porcelain") == ""
    shown = json.loads(run_migrate(repo, "status", "--json").stdout)
    assert [(s["recipe"], s["status"]) for s in shown["run"]["steps"]][-1] == (
        "max-workers",
        "applied",
    )


def test_an_in_place_run_on_a_detached_head_is_found_and_rolled_back(tmp_path: Path) -> None:
    """No branch to find the run by: HEAD being one of its commits is enough."""
    repo = make_repo(tmp_path / "repo", {**FILES, ".migrate/config.toml": PYTEST})
    git(repo, "checkout", "-q", "--detach")
    base = git(repo, "rev-parse", "HEAD")
    applied = run_migrate(repo, "apply", "max-workers", "--in-place")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert git(repo, "rev-parse", "HEAD~1") == base
    one = run_migrate(repo, "rollback", "max-workers")  # one step, still detached
    assert one.returncode == 0, one.stdout + one.stderr
    assert "max_workers=10" in (repo / ".claude/hooks/detect_batch.py").read_text()
    rolled = run_migrate(repo, "rollback", "--all")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr


def test_a_step_later_commits_changed_again_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    """The user edited the same line after the run: the revert conflicts, nothing is left."""
    repo, _ = applied_repo(tmp_path)
    hook = repo / ".claude/hooks/detect_batch.py"
    hook.write_text(hook.read_text().replace("max_workers=50", "max_workers=64"))
    git(repo, "commit", "-qam", "more workers")
    tip = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "rollback", "max-workers")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "cannot be reverted cleanly" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == tip
    assert git(repo, "status", "--porcelain") == ""
    assert "max_workers=64" in hook.read_text()


def test_a_run_rolled_back_elsewhere_is_not_this_branchs(tmp_path: Path) -> None:
    """The closed run was started from main: on another branch there is nothing to roll back."""
    repo, _ = applied_repo(tmp_path)
    assert run_migrate(repo, "rollback", "--all").returncode == 0
    assert run_migrate(repo, "rollback", "--all").stdout.endswith(
        "already rolled back; nothing to do.\n"
    )
    git(repo, "checkout", "-q", "-b", "elsewhere", "main")
    result = run_migrate(repo, "rollback", "--all")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no open migration run here" in result.stderr


def test_a_branch_the_journal_does_not_say_migrate_created_is_never_deleted(
    tmp_path: Path,
) -> None:
    """A journal entry without `created_branch` (an older journal): revert commits, the
    branch is kept even with --yes."""
    repo, _ = applied_repo(tmp_path)
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    entry = next((repo / ".git/migrate/runs").glob("*.json"))
    data = json.loads(entry.read_text())
    del data["created_branch"]
    entry.write_text(json.dumps(data))
    result = run_migrate(repo, "rollback", "--all", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not reset" in result.stdout
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == branch


def test_a_run_branch_holding_a_commit_of_the_users_is_not_deleted(tmp_path: Path) -> None:
    """The user committed on the run's branch: rollback --all --yes reverts, never deletes."""
    repo, _ = applied_repo(tmp_path)
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    (repo / "notes.txt").write_text("mine\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "my own commit on the run's branch")
    mine = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "rollback", "--all", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not reset" in result.stdout
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == branch
    assert git(repo, "rev-parse", "HEAD~1") == mine
    assert (repo / "notes.txt").read_text() == "mine\n"


def test_a_newer_run_rolled_back_does_not_hide_an_older_open_one(tmp_path: Path) -> None:
    """Run A stays open on its branch; run B, started later from main, is rolled back. Back on
    A's branch, A is the run HEAD is on (the journal is read past B, newest first)."""
    repo, _ = applied_repo(tmp_path)
    first = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    git(repo, "checkout", "-q", "main")
    second = run_migrate(repo, "apply", "max-workers", "--yes")
    assert second.returncode == 0, second.stdout + second.stderr
    rolled = run_migrate(repo, "rollback", "--all", "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    git(repo, "checkout", "-q", first)
    shown = json.loads(run_migrate(repo, "status", "--json").stdout)["run"]
    assert shown is not None and shown["branch"] == first
    assert [s["recipe"] for s in shown["steps"]] == ["max-workers", "agent-parallelism-doc"]


def test_rollback_of_a_recipe_the_run_did_not_apply_is_refused(tmp_path: Path) -> None:
    repo, _ = applied_repo(tmp_path)
    tip = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "rollback", "subprocess-timeouts")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "recipe 'subprocess-timeouts' has no applied step in run " in result.stderr
    assert git(repo, "rev-parse", "HEAD") == tip


def test_rolling_back_again_names_the_newest_of_the_runs_rolled_back(tmp_path: Path) -> None:
    repo, _ = applied_repo(tmp_path)
    assert run_migrate(repo, "rollback", "--all", "--yes").returncode == 0
    again = run_migrate(repo, "apply", "max-workers", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    newest = json.loads(run_migrate(repo, "status", "--json").stdout)["run"]["id"]
    assert run_migrate(repo, "rollback", "--all", "--yes").returncode == 0
    result = run_migrate(repo, "rollback", "--all")
    assert result.stdout == f"run {newest} is already rolled back; nothing to do.\n"


def test_rollback_all_in_place_reverts_two_steps_on_the_same_line_newest_first(
    tmp_path: Path,
) -> None:
    """10 -> 50, then 50 -> 64 on the same line, in place: only newest first do both reverts
    apply, and the branch ends as it began."""
    more = (
        'id = "more-workers"\ntitle = "More"\ntransform = "max-workers"\n'
        'paths = [".claude/hooks/*.py"]\nrequires = ["max-workers"]\n'
        "[params]\nfrom = 50\nto = 64\n"
    )
    files = {**FILES, ".migrate/config.toml": PYTEST, ".migrate/recipes/more.toml": more}
    repo = make_repo(tmp_path / "repo", files)
    base = git(repo, "rev-parse", "HEAD")
    applied = run_migrate(repo, "apply", "max-workers", "more-workers", "--in-place")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "max_workers=64" in (repo / ".claude/hooks/detect_batch.py").read_text()
    rolled = run_migrate(repo, "rollback", "--all")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert git(repo, "diff", base, "HEAD") == ""


def test_rollback_file_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo, _ = applied_repo(tmp_path)
    tip = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "rollback", "--file", "../elsewhere.txt")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == "migrate: ../elsewhere.txt: the path is outside the repository.\n"
    assert git(repo, "rev-parse", "HEAD") == tip
