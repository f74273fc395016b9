"""The engine end to end through the real command line, on real repositories."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, run_migrate

POOL = (
    "from concurrent.futures import ThreadPoolExecutor\n\n"
    "with ThreadPoolExecutor(max_workers=10) as ex:\n    pass\n"
)
FILES: dict[str, str | bytes] = {
    ".claude/hooks/detect_batch.py": POOL,
    ".claude/hooks/best_practice_enforcer.py": POOL,
    "tests/test_ok.py": "def test_ok():\n    assert 1 + 1 == 2\n",
    "CLAUDE.md": "# Project\n\nInstructions.\n",
}
PYTEST = '[validate]\npython = "{migrate_python}"\n'


def project(tmp_path: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    return make_repo(tmp_path / "repo", {**FILES, ".migrate/config.toml": PYTEST, **(extra or {})})


def failing_recipe(command: str) -> dict[str, str | bytes]:
    """A repo recipe that edits CLAUDE.md and then runs `command` as an extra check, only
    once the step's edit is there: before the step the check passes (the step's fault)."""
    command = f"if grep -q Performance CLAUDE.md; then {command}; fi"
    return {
        ".migrate/recipes/doc-check.toml": (
            'id = "doc-check"\ntitle = "Doc with a check"\ntransform = "agent-parallelism-doc"\n'
            'paths = ["CLAUDE.md"]\n[validate]\npytest = false\n'
            f"commands = [{json.dumps(command)}]\n"
        )
    }


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def last_steps(repo: Path) -> list[dict]:
    """The steps of the run HEAD is on, or else of the last run started from this branch."""
    shown = status_json(repo)
    return (shown["run"] or shown["last_run"])["steps"]


def status_json(repo: Path) -> dict:
    result = run_migrate(repo, "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_apply_two_recipes_makes_two_commits_with_trailers(tmp_path: Path) -> None:
    repo = project(tmp_path)
    base = head(repo)
    result = run_migrate(repo, "apply", "max-workers", "agent-parallelism-doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    log = git(repo, "log", "--format=%B%x00", f"{base}..HEAD").split("\0")
    messages = [m.strip() for m in log if m.strip()]
    assert len(messages) == 2
    assert "Migrate-Recipe: agent-parallelism-doc" in messages[0]
    assert "Migrate-Recipe: max-workers" in messages[1]
    run_ids = {line for m in messages for line in m.splitlines() if line.startswith("Migrate-Run:")}
    assert len(run_ids) == 1
    assert re.fullmatch(r"Migrate-Run: \d{8}-\d{6}-[0-9a-f]{4}", run_ids.pop())
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").startswith("migrate/")
    assert "max_workers=50" in (repo / ".claude/hooks/detect_batch.py").read_text()
    steps = status_json(repo)["run"]["steps"]
    assert [(s["recipe"], s["status"]) for s in steps] == [
        ("max-workers", "applied"),
        ("agent-parallelism-doc", "applied"),
    ]
    assert not (repo / ".migrate" / "runs").exists()
    assert list((repo / ".git" / "migrate" / "runs").glob("*.json"))
    # what `list` says of each recipe comes from the run HEAD is on
    listed = json.loads(run_migrate(repo, "list", "--json").stdout)["recipes"]
    status = {r["id"]: r["status"] for r in listed}
    assert status["max-workers"] == status["agent-parallelism-doc"] == "applied"
    assert status["subprocess-timeouts"] == "pending"
    # the journal file of the run is what `report --run` reads
    run_id = status_json(repo)["run"]["id"]
    report = run_migrate(repo, "report", "--run", run_id, "--format", "json")
    assert report.returncode == 0 and json.loads(report.stdout)["run"]["id"] == run_id


def test_journal_lost_status_comes_from_trailers(tmp_path: Path) -> None:
    repo = project(tmp_path)
    base = head(repo)
    applied = run_migrate(repo, "apply", "max-workers", "agent-parallelism-doc", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for path in (repo / ".git" / "migrate" / "runs").glob("*.json"):
        path.unlink()
    # a later commit of the user's that quotes a trailer in its body is no step of any run
    quoted = "notes\n\nMigrate-Run: quoted, not a trailer\n\nlast paragraph"
    git(repo, "commit", "-q", "--allow-empty", "-m", quoted)
    run = status_json(repo)["run"]
    assert [(s["recipe"], s["status"]) for s in run["steps"]] == [
        ("max-workers", "applied"),
        ("agent-parallelism-doc", "applied"),
    ]
    assert run["base_commit"] == base  # the first step's parent, not the last one's
    # nothing says the run was made in place: `status` says "on branch", not "in place on"
    assert run["in_place"] is False


def test_a_commit_with_a_run_trailer_but_no_step_is_no_run(tmp_path: Path) -> None:
    """A Migrate-Run trailer alone (a commit written by hand) rebuilds nothing."""
    repo = project(tmp_path)
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "commit", "-q", "--allow-empty", "-m", "by hand\n\nMigrate-Run: 20260101-000000-abcd")
    shown = status_json(repo)
    assert shown["run"] is None


def test_failed_validation_reverts_the_step(tmp_path: Path) -> None:
    repo = project(tmp_path, failing_recipe("echo boom-output; touch droppings.txt; exit 1"))
    base = head(repo)
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert head(repo) == base
    assert git(repo, "status", "--porcelain") == ""
    assert "boom-output" in result.stdout
    steps = last_steps(repo)
    assert [(s["recipe"], s["status"]) for s in steps] == [("doc-check", "reverted")]
    assert "exit code 1" in steps[0]["checks"][0]["detail"]
    assert status_json(repo)["last_run"]["state"] == "rolled-back"  # nothing left to continue


def test_keep_going_applies_later_recipes(tmp_path: Path) -> None:
    repo = project(tmp_path, failing_recipe("exit 3"))
    result = run_migrate(repo, "apply", "doc-check", "max-workers", "--keep-going", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [(s["recipe"], s["status"]) for s in report["steps"]] == [
        ("max-workers", "applied"),
        ("doc-check", "reverted"),
    ]


def test_stops_after_failure_without_keep_going(tmp_path: Path) -> None:
    extra = failing_recipe("exit 1")
    extra[".migrate/recipes/doc-check.toml"] = extra[".migrate/recipes/doc-check.toml"].replace(  # type: ignore[union-attr]
        'title = "Doc with a check"', 'title = "Doc with a check"\norder = 1'
    )
    repo = project(tmp_path, extra)
    result = run_migrate(repo, "apply", "doc-check", "max-workers", "--json")
    assert [s["recipe"] for s in json.loads(result.stdout)["steps"]] == ["doc-check"]


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _start_apply(repo: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "migrate", "apply", "doc-check", "--yes"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_sigint_during_validation_restores_pre_step_state(tmp_path: Path) -> None:
    marker = tmp_path / "validation-started"
    repo = project(tmp_path, failing_recipe(f"touch {marker}; touch new-file.txt; sleep 60"))
    base = head(repo)
    proc = _start_apply(repo)
    _wait_for(marker)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert head(repo) == base
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / "new-file.txt").exists()
    assert (repo / "CLAUDE.md").read_text() == FILES["CLAUDE.md"]
    assert last_steps(repo)[-1]["status"] == "interrupted"
    assert "were not touched" in err
    assert not list((repo / ".git/migrate/worktrees").iterdir())


def test_sigkill_mid_step_is_cleaned_up_by_the_next_command(tmp_path: Path) -> None:
    marker = tmp_path / "validation-started"
    repo = project(tmp_path, failing_recipe(f"touch {marker}; sleep 60"))
    base = head(repo)
    proc = _start_apply(repo)
    _wait_for(marker)
    proc.kill()
    proc.wait(timeout=30)
    assert (repo / "CLAUDE.md").read_text() == FILES["CLAUDE.md"]  # the step ran elsewhere
    assert status_json(repo)["interrupted"] is True
    result = run_migrate(repo, "apply", "max-workers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cleared the lock of a migrate run that died" in result.stdout
    assert git(repo, "rev-parse", "HEAD~1") == base
    assert (repo / "CLAUDE.md").read_text() == FILES["CLAUDE.md"]
    assert git(repo, "status", "--porcelain") == ""
    assert status_json(repo)["interrupted"] is False


def test_dirty_tree_is_left_alone_and_out_of_the_run(tmp_path: Path) -> None:
    repo = project(tmp_path)
    (repo / "CLAUDE.md").write_text("edited\n")
    (repo / "notes.txt").write_text("mine\n")
    base = head(repo)
    result = run_migrate(repo, "apply", "max-workers", "agent-parallelism-doc")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not included" in result.stdout and "CLAUDE.md" in result.stdout
    assert head(repo) == base  # a dirty tree is not switched
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert (repo / "CLAUDE.md").read_text() == "edited\n"
    assert (repo / "notes.txt").read_text() == "mine\n"
    branch = git(repo, "branch", "--list", "migrate/*", "--format=%(refname:short)")
    committed = git(repo, "show", f"{branch}:CLAUDE.md")
    assert "edited" not in committed and "Performance" in committed
    assert "notes.txt" not in git(repo, "ls-tree", "-r", "--name-only", branch)


def test_a_staged_rename_is_listed_once_by_its_new_name(tmp_path: Path) -> None:
    """`git status -z` gives a rename as two entries (new, then old): the old one is no path
    of its own in the dirty-tree listing."""
    repo = project(tmp_path, {"notes/old-name.txt": "x\n"})
    git(repo, "mv", "notes/old-name.txt", "notes/new-name.txt")
    (repo / "zz.txt").write_text("mine\n")
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    listed = re.search(r"not included \(.*\): (.*)", result.stdout)
    assert listed is not None, result.stdout
    assert listed.group(1) == "notes/new-name.txt, zz.txt"


def test_stash_is_accepted_and_says_it_is_not_needed(tmp_path: Path) -> None:
    repo = project(tmp_path)
    (repo / "notes.txt").write_text("mine\n")
    result = run_migrate(repo, "apply", "max-workers", "--stash")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--stash is no longer needed" in result.stdout
    assert (repo / "notes.txt").read_text() == "mine\n"
    assert git(repo, "stash", "list") == ""


def test_dry_run_touches_nothing(tmp_path: Path) -> None:
    repo = project(tmp_path)
    base = head(repo)
    result = run_migrate(repo, "apply", "max-workers", "--dry-run")
    assert result.returncode == 0
    assert "-with ThreadPoolExecutor(max_workers=10) as ex:" in result.stdout
    assert "+with ThreadPoolExecutor(max_workers=50) as ex:" in result.stdout
    assert head(repo) == base
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--list", "migrate/*") == ""
    # with local changes, the preview starts from HEAD in a throwaway worktree, then removed
    hook = repo / ".claude/hooks/detect_batch.py"
    hook.write_text(hook.read_text().replace("max_workers=10", "max_workers=20"))
    again = run_migrate(repo, "apply", "max-workers", "--dry-run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "+++ b/.claude/hooks/detect_batch.py" in again.stdout  # from HEAD's text
    # once more: the folder of throwaway worktrees is there now
    assert run_migrate(repo, "apply", "max-workers", "--dry-run").returncode == 0
    assert not any((repo / ".git/migrate/worktrees").iterdir())
    assert "max_workers=20" in hook.read_text()


def test_second_apply_on_the_run_branch_joins_the_run(tmp_path: Path) -> None:
    repo = project(tmp_path)
    base = head(repo)
    assert run_migrate(repo, "apply", "max-workers").returncode == 0
    assert run_migrate(repo, "apply", "agent-parallelism-doc").returncode == 0
    assert len(git(repo, "branch", "--list", "migrate/*").splitlines()) == 1
    assert len(status_json(repo)["run"]["steps"]) == 2
    assert run_migrate(repo, "apply", "max-workers").returncode == 0  # nothing left to change
    assert status_json(repo)["run"]["state"] == "open"
    assert run_migrate(repo, "rollback", "--all", "--yes").returncode == 0
    assert head(repo) == base


def test_in_place_on_a_detached_head_in_a_linked_worktree_moves_that_head(tmp_path: Path) -> None:
    """The user's own second worktree, detached: the steps land on its HEAD, not aside."""
    repo = project(tmp_path)
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "--detach", str(linked))
    base = head(linked)
    result = run_migrate(linked, "apply", "max-workers", "--in-place")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(linked, "rev-parse", "HEAD~1") == base
    assert "max_workers=50" in (linked / ".claude/hooks/detect_batch.py").read_text()
    assert head(repo) == base  # the main worktree's branch did not move


def test_in_place_with_local_changes_leaves_the_branch_and_puts_the_steps_aside(
    tmp_path: Path,
) -> None:
    """Even a one-letter file name counts as a local change (`git status` gives "XY a")."""
    repo = project(tmp_path, {"a": "1\n"})
    (repo / "a").write_text("2\n")
    base = head(repo)
    result = run_migrate(repo, "apply", "max-workers", "--in-place", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "main has local changes or moved" in result.stdout
    assert head(repo) == base
    assert (repo / "a").read_text() == "2\n"
    aside = re.search(r"the steps are on the new branch (\S+); take them", result.stdout)
    assert aside, result.stdout
    assert git(repo, "rev-parse", f"{aside[1]}~1") == base  # the branch named is there
    # that branch is the run's now, made by migrate: rolling back the run deletes it
    assert run_migrate(repo, "rollback", "--all", "--yes").returncode == 0
    assert git(repo, "branch", "--list", aside[1]) == ""
    assert head(repo) == base and (repo / "a").read_text() == "2\n"


def test_a_second_apply_beside_local_changes_on_the_run_branch_goes_to_a_run_ref(
    tmp_path: Path,
) -> None:
    """The run's own branch is checked out with a local change: the steps wait on the run's
    ref, and the user is told how to take them."""
    repo = project(tmp_path)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    tip = head(repo)
    (repo / "tests/test_ok.py").write_text(FILES["tests/test_ok.py"] + "# mine\n")
    result = run_migrate(repo, "apply", "agent-parallelism-doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "take the steps with: git merge --ff-only refs/migrate/runs/" in result.stdout
    assert head(repo) == tip
    assert (repo / "tests/test_ok.py").read_text().endswith("# mine\n")


def test_branch_option_refuses_an_existing_branch_of_the_user(tmp_path: Path) -> None:
    repo = project(tmp_path)
    git(repo, "branch", "feature")
    before = git(repo, "rev-parse", "feature")
    named = run_migrate(repo, "apply", "agent-parallelism-doc", "--branch", "feature")
    assert named.returncode == 3, named.stderr
    assert "feature" in named.stderr and "Traceback" not in named.stderr
    assert git(repo, "rev-parse", "feature") == before


def test_branch_option_names_a_new_branch_and_continues_it(tmp_path: Path) -> None:
    repo = project(tmp_path)
    named = run_migrate(repo, "apply", "agent-parallelism-doc", "--branch", "migrate/mine")
    assert named.returncode == 0, named.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "migrate/mine"
    again = run_migrate(repo, "apply", "max-workers", "--branch", "migrate/mine")
    assert again.returncode == 0, again.stderr
    assert git(repo, "rev-parse", "HEAD~2") == git(repo, "rev-parse", "main")


def test_in_place_leaves_a_branch_the_user_moved_back_during_the_run(tmp_path: Path) -> None:
    """The user resets main to an older commit while a step is being checked (here the
    step's own check plays the user): the run does not fast-forward main over their reset;
    the steps go aside."""
    repo = tmp_path / "repo"
    older = head(project(tmp_path))
    (repo / "notes.txt").write_text("later\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "later")
    start = head(repo)
    for path, text in failing_recipe(f"git -C {repo} reset -q --hard {older}").items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(str(text))
    result = run_migrate(repo, "apply", "doc-check", "--in-place", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert head(repo) == older and not (repo / "notes.txt").exists()
    aside = re.search(r"the steps are on the new branch (\S+); take them", result.stdout)
    assert aside, result.stdout
    assert git(repo, "rev-parse", f"{aside[1]}~1") == start


def test_in_place_names_the_branch_the_user_already_moved_to_the_runs_tip(
    tmp_path: Path,
) -> None:
    """While the second step is checked, the user fast-forwards main to the first step (the
    check plays the user) and the second step fails: main is already where the run ends."""
    repo = tmp_path / "repo"
    take_first = f"git -C {repo} merge -q --ff-only $(git rev-parse HEAD); exit 1"
    project(tmp_path, failing_recipe(take_first))
    result = run_migrate(repo, "apply", "max-workers", "doc-check", "--in-place", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "\nthe steps are on main.\n" in result.stdout
    assert "max_workers=50" in (repo / ".claude/hooks/detect_batch.py").read_text()
    assert "Performance" not in (repo / "CLAUDE.md").read_text()


def test_a_new_run_does_not_switch_a_user_who_committed_on_the_base_during_the_run(
    tmp_path: Path,
) -> None:
    """A new run switches to its branch only when the user is where the run started: here
    they commit on main while the step is checked (the check plays the user), and stay."""
    repo = tmp_path / "repo"
    project(tmp_path, failing_recipe(f"git -C {repo} commit -q --allow-empty -m mine"))
    start = head(repo)
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(you stay where you are: git checkout migrate/" in result.stdout
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "log", "-1", "--format=%s") == "mine"
    assert git(repo, "rev-parse", "HEAD~1") == start


def test_a_command_run_in_a_subfolder_works_on_the_whole_repository(tmp_path: Path) -> None:
    repo = project(tmp_path)
    result = run_migrate(repo / ".claude/hooks", "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "max_workers=50" in (repo / ".claude/hooks/detect_batch.py").read_text()
    assert [s["recipe"] for s in last_steps(repo)] == ["max-workers"]


def test_trailers_are_the_migrate_ones_of_the_last_paragraph_last_value_wins() -> None:
    """A message the user edited: a trailer of theirs, a line that only looks like one, and
    a key given twice (the later one holds)."""
    from migrate.engine import git as gitrepo

    message = (
        "Increase max_workers\n\nMigrate-Run: old\n\nMigrate-Run: first\nMigrate-Recipe: pools\n"
        "Signed-off-by: Ada <ada@example.com>\nMigrate-Note without a colon\nMigrate-Run: last\n"
    )
    assert gitrepo.trailers(message) == {"Migrate-Run": "last", "Migrate-Recipe": "pools"}


def test_in_place_commits_on_the_current_branch(tmp_path: Path) -> None:
    repo = project(tmp_path)
    base = head(repo)
    applied = run_migrate(repo, "apply", "max-workers", "--in-place")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "rev-parse", "HEAD~1") == base
    assert f"\nmain moved forward to {head(repo)[:10]}.\n" in applied.stdout
    # a branch of the user's made at the run's tip is not the run's: the run is main's
    git(repo, "checkout", "-q", "-b", "topic")
    assert status_json(repo)["run"] is None
    git(repo, "checkout", "-q", "main")
    rolled = run_migrate(repo, "rollback", "--all")
    assert rolled.returncode == 0, rolled.stderr
    assert "not reset" in rolled.stdout  # main is the user's branch: a revert commit
    assert git(repo, "rev-parse", "HEAD~2") == base
    assert git(repo, "diff", base, "HEAD") == ""


def _diverged(repo: Path) -> None:
    """`other` and `main` both changed CLAUDE.md's line: any replay of one on the other
    conflicts."""
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "CLAUDE.md").write_text("other\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "CLAUDE.md").write_text("main\n")
    git(repo, "commit", "-qam", "main")


def _conflicting(repo: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, timeout=60)
    assert done.returncode != 0, "the git operation was meant to stop on a conflict"


def _rebase(repo: Path) -> None:
    _diverged(repo)
    _conflicting(repo, "rebase", "other")


def _cherry_pick(repo: Path) -> None:
    _diverged(repo)
    _conflicting(repo, "cherry-pick", "other")


def _revert(repo: Path) -> None:
    (repo / "CLAUDE.md").write_text("first\n")
    git(repo, "commit", "-qam", "first")
    (repo / "CLAUDE.md").write_text("second\n")
    git(repo, "commit", "-qam", "second")
    _conflicting(repo, "revert", "--no-edit", "HEAD~1")


def _bisect(repo: Path) -> None:
    git(repo, "bisect", "start")


def _unmerged(repo: Path) -> None:
    """A conflicted `git stash pop`: unmerged paths, and no operation in progress."""
    (repo / "CLAUDE.md").write_text("stashed\n")
    git(repo, "stash", "-q")
    (repo / "CLAUDE.md").write_text("committed\n")
    git(repo, "commit", "-qam", "committed")
    _conflicting(repo, "stash", "pop")


_CONFLICTS = {
    "rebase": _rebase,
    "cherry-pick": _cherry_pick,
    "revert": _revert,
    "bisect": _bisect,
    "unmerged": _unmerged,
}


@pytest.mark.parametrize(
    "setup, message",
    [
        pytest.param("plain-folder", "not a git repository", id="not-a-repo"),
        pytest.param("empty", "no commits", id="empty-repo"),
        pytest.param("merge", "merge is in progress", id="merge"),
        pytest.param("detached", "detached", id="detached-head"),
        pytest.param("rebase", "a rebase is in progress", id="rebase"),
        pytest.param("cherry-pick", "a cherry-pick is in progress", id="cherry-pick"),
        pytest.param("revert", "a revert is in progress", id="revert"),
        pytest.param("bisect", "a bisect is in progress", id="bisect"),
        pytest.param("unmerged", "unmerged paths: CLAUDE.md", id="unmerged-after-stash-pop"),
    ],
)
def test_refusals_change_nothing(tmp_path: Path, setup: str, message: str) -> None:
    repo = tmp_path / "repo"
    if setup == "plain-folder":
        repo.mkdir()
    elif setup == "empty":
        repo.mkdir()
        git(repo, "init", "-q")
    else:
        project(tmp_path)
        if setup == "detached":
            git(repo, "checkout", "-q", "--detach")
        elif setup in _CONFLICTS:
            _CONFLICTS[setup](repo)
        else:
            _diverged(repo)
            subprocess.run(["git", "merge", "other"], cwd=repo, capture_output=True, timeout=60)
    snapshot = sorted(str(p) for p in repo.rglob("*"))
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 3, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(str(p) for p in repo.rglob("*")) == snapshot


ENCODED = {
    "crlf.py": b"import concurrent.futures as cf\r\ncf.ThreadPoolExecutor(max_workers=4)\r\n",
    "bom.py": b"\xef\xbb\xbfx = 'caf\xc3\xa9'\nThreadPoolExecutor(max_workers=3)\n",
    "latin1.py": b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\nrun_parallel(max_workers=2)\n",
}


def test_no_op_recipe_leaves_encodings_byte_identical(tmp_path: Path) -> None:
    extra = {f"scripts/{name}": data for name, data in ENCODED.items()}
    repo = project(tmp_path, extra)
    base = head(repo)
    result = run_migrate(repo, "apply", "max-workers", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    for name, data in ENCODED.items():
        assert (repo / "scripts" / name).read_bytes() == data
    assert git(repo, "diff", "--stat", base, "HEAD", "--", "scripts") == ""


def test_edits_keep_crlf_bom_latin1_and_mode(tmp_path: Path) -> None:
    extra = {
        f"scripts/{name}": re.sub(rb"max_workers=\d", b"max_workers=10", data)
        for name, data in ENCODED.items()
    }
    repo = project(tmp_path, extra)
    os.chmod(repo / "scripts/crlf.py", 0o755)
    git(repo, "commit", "-qam", "exec bit")
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    for name, data in extra.items():
        expected = data.replace(b"max_workers=10", b"max_workers=50")  # type: ignore[union-attr]
        assert (repo / name).read_bytes() == expected
    assert os.stat(repo / "scripts/crlf.py").st_mode & 0o777 == 0o755


NEEDS_DOC: dict[str, str | bytes] = {
    ".migrate/recipes/needs.toml": (
        'id = "needs-doc"\ntitle = "After the doc"\ntransform = "max-workers"\n'
        'paths = [".claude/hooks/*.py"]\nrequires = ["agent-parallelism-doc"]\n'
    )
}


def test_requires_is_met_by_this_run_or_by_history(tmp_path: Path) -> None:
    repo = project(tmp_path, NEEDS_DOC)
    refused = run_migrate(repo, "apply", "needs-doc")
    assert refused.returncode == 2
    assert "requires 'agent-parallelism-doc'" in refused.stderr
    assert run_migrate(repo, "apply", "agent-parallelism-doc", "--in-place").returncode == 0
    later = run_migrate(repo, "apply", "needs-doc", "--branch", "migrate/next", "--json")
    assert later.returncode == 0, later.stderr
    report = json.loads(later.stdout)
    assert [s["status"] for s in report["steps"]] == ["applied"]
    assert report["run"]["branch"] == "migrate/next"  # a new run: met by history


def test_a_run_continued_by_name_from_main_meets_requires_and_leaves_main_checked_out(
    tmp_path: Path,
) -> None:
    """`--branch` names an open run while the user is on main: the run's own steps meet a
    `requires` (main's history does not hold them), and main stays checked out, even when
    main has taken the run's commits (only a new run switches to its branch)."""
    call = "subprocess.run(['git', 'status'], capture_output=True, check=True)"
    tool = {"scripts/run.py": f"import subprocess\n\n{call}\n"}
    repo = project(tmp_path, {**NEEDS_DOC, **tool})
    first = run_migrate(repo, "apply", "agent-parallelism-doc", "--branch", "migrate/mine")
    assert first.returncode == 0, first.stderr
    git(repo, "checkout", "-q", "main")
    base = head(repo)
    later = run_migrate(repo, "apply", "needs-doc", "--branch", "migrate/mine", "--yes")
    assert later.returncode == 0, later.stdout + later.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert head(repo) == base
    assert git(repo, "rev-parse", "migrate/mine~2") == base
    git(repo, "merge", "-q", "--ff-only", "migrate/mine")
    merged = run_migrate(repo, "apply", "subprocess-timeouts", "--branch", "migrate/mine", "--yes")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(repo, "rev-parse", "migrate/mine~1") == head(repo)
    unchanged = run_migrate(repo, "apply", "max-workers", "--branch", "migrate/mine", "--yes")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    git(repo, "checkout", "-q", "migrate/mine")
    assert status_json(repo)["run"]["state"] == "open"  # a step that changed nothing ends no run


def test_keep_going_skips_a_recipe_whose_requirement_was_reverted_in_this_run(
    tmp_path: Path,
) -> None:
    """doc-check fails and is reverted; needs-doc requires it (both chosen now, so the
    up-front check lets it through): it is skipped, and max-workers still applies."""
    needs = {
        ".migrate/recipes/needs.toml": (
            'id = "needs-doc"\ntitle = "After the doc"\ntransform = "max-workers"\n'
            'paths = ["scripts/*.py"]\nrequires = ["doc-check"]\n'
        ),
        "scripts/pool.py": POOL,
    }
    repo = project(tmp_path, {**failing_recipe("false"), **needs})
    result = run_migrate(
        repo, "apply", "doc-check", "needs-doc", "max-workers", "--keep-going", "--yes", "--json"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    steps = {s["recipe"]: s for s in json.loads(result.stdout)["steps"]}
    assert steps["doc-check"]["status"] == "reverted"
    assert steps["needs-doc"]["status"] == "skipped"
    assert "requires doc-check, which did not apply" in steps["needs-doc"]["summary"]
    assert steps["max-workers"]["status"] == "applied"
    assert [s["recipe"] for s in steps.values() if s["commit"]] == ["max-workers"]
    assert "max_workers=50" in (repo / ".claude/hooks/detect_batch.py").read_text()


def test_a_transform_whose_output_does_not_parse_is_never_written(tmp_path: Path) -> None:
    """A user LibCST transform that puts a keyword where a name goes (`y = return`)."""
    broken = (
        "import libcst\n"
        "class Broken(libcst.CSTTransformer):\n"
        "    def leave_Assign(self, original, updated):\n"
        "        return updated.with_changes(value=libcst.Name('return'))\n"
    )
    recipe = (
        'id = "broken"\ntitle = "Broken"\ntransform = "libcst:broken.py"\npaths = ["src/*.py"]\n'
    )
    repo = project(
        tmp_path,
        {
            "src/a.py": "y = 0\n",
            ".migrate/recipes/broken.toml": recipe,
            ".migrate/recipes/broken.py": broken,
        },
    )
    base = head(repo)
    result = run_migrate(repo, "apply", "broken", "--yes", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    step = json.loads(result.stdout)["steps"][0]
    assert step["status"] == "reverted"
    assert step["checks"][0]["name"] == "write"
    assert step["checks"][0]["seconds"] == 0  # never ran: no duration, and none printed
    assert (
        "src/a.py: the transformed file does not parse; not written." in step["checks"][0]["detail"]
    )
    assert head(repo) == base and (repo / "src/a.py").read_text() == "y = 0\n"
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""


def test_git_hooks_of_the_repository_never_run_in_the_runs_worktree(tmp_path: Path) -> None:
    """Pattern: a repository with hooks (a pre-commit framework, a post-checkout that
    installs things). In the run's worktree they would fail here; apply and rollback work."""
    repo = project(tmp_path)
    marker = tmp_path / "hooks-ran"
    hook = (
        "#!/bin/sh\n"
        f'case "$PWD" in */.git/migrate/worktrees/*) echo "$0 in $PWD" >> {marker}; exit 1;; esac\n'
        "exit 0\n"
    )
    for name in ("post-checkout", "pre-commit", "commit-msg", "post-commit", "post-merge"):
        path = repo / ".git/hooks" / name
        path.write_text(hook)
        path.chmod(0o755)
    applied = run_migrate(repo, "apply", "max-workers", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    rolled = run_migrate(repo, "rollback", "max-workers")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "max_workers=10" in (repo / ".claude/hooks/detect_batch.py").read_text()
    assert not marker.exists(), marker.read_text()


def test_ctrl_c_after_a_validated_step_says_what_was_kept(tmp_path: Path) -> None:
    """max-workers is committed, then Ctrl-C during doc-check's check: the message says
    where the kept step is, not that nothing was touched."""
    marker = tmp_path / "validation-started"
    repo = project(tmp_path, failing_recipe(f"touch {marker}; sleep 60"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrate", "apply", "max-workers", "doc-check", "--yes"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    _wait_for(marker)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "were not touched" not in err
    assert "the steps validated before it were kept: switched to branch migrate/" in err
    assert "Migrate-Recipe: max-workers" in git(repo, "log", "-1", "--format=%B")
    assert (repo / "CLAUDE.md").read_text() == FILES["CLAUDE.md"]
    assert [s["status"] for s in last_steps(repo)] == ["applied", "interrupted"]


def test_a_bad_parameter_of_a_repository_recipe_is_named_with_its_file(tmp_path: Path) -> None:
    """The transform says what is wrong with the value; migrate says in which file."""
    recipe = 'id = "pools"\ntitle = "Pools"\ntransform = "max-workers"\n[params]\nfrom = 0\n'
    repo = project(tmp_path, {".migrate/recipes/pools.toml": recipe})
    result = run_migrate(repo, "apply", "pools", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"migrate: {repo / '.migrate/recipes/pools.toml'}: params.from must be a positive"
        " integer, got 0.\n"
    )
    assert git(repo, "branch", "--list", "migrate/*") == ""


def test_without_a_git_identity_the_run_commits_as_migrate(tmp_path: Path) -> None:
    """CI machines often have no git identity: the run's commits are made as migrate, and
    no configuration of the user's is written."""
    repo = project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home"))
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    config = (repo / ".git/config").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "apply", "max-workers", "--yes"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(repo, "log", "-1", "--format=%an <%ae>", "HEAD") == "migrate <migrate@localhost>"
    assert (repo / ".git/config").read_text() == config
