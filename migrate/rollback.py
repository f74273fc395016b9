"""Undoing a migration: one step, one file, one hook's registration, or the whole run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from git import Repo
from git.exc import GitCommandError

from migrate import gitrepo, journal
from migrate.errors import RepoStateError, UserError
from migrate.journal import Run, Step
from migrate.workflow import refuse_if_interrupted

BACKUP_REF = "refs/migrate/backup/"


def _current_run(repo: Repo) -> Run:
    run = journal.open_run_for(repo, gitrepo.current_branch(repo), gitrepo.head_sha(repo))
    if run is None:
        raise UserError(
            "no open migration run here; check out a migrate branch (`migrate status`)."
        )
    return run


def _prepare(repo: Repo) -> Run:
    refuse_if_interrupted(repo)
    gitrepo.check_state(repo, allow_detached=True, allow_dirty=False)
    return _current_run(repo)


def _commit_rollback(repo: Repo, run: Run, title: str, paths: list[str], trailer: str) -> str:
    message = f"migrate: {title}\n\nMigrate-Run: {run.id}\n{trailer}\n"
    return gitrepo.commit(repo, paths, message)


def step(root: Path, recipe_id: str) -> str:
    """Revert the commit of one applied step with a new commit."""
    with gitrepo.open_repo(root) as repo:
        run = _prepare(repo)
        statuses = run.last_status()
        if statuses.get(recipe_id) == "rolled-back":
            return f"recipe {recipe_id!r} is already rolled back."
        target = run.applied().get(recipe_id)
        if target is None or target.commit is None:
            raise UserError(f"recipe {recipe_id!r} has no applied step in run {run.id}.")
        try:
            repo.git.revert("--no-commit", target.commit)
        except GitCommandError:
            repo.git.reset("--hard", "-q", "HEAD")
            raise RepoStateError(
                f"recipe {recipe_id!r} cannot be reverted cleanly: later steps changed the same"
                f" lines; roll back those first."
            ) from None
        # The revert staged everything itself (files the step created are already gone).
        sha = _commit_rollback(
            repo, run, f"roll back {recipe_id}", [], f"Migrate-Rollback: {recipe_id}"
        )
        journal.save_run(repo, run.with_step(Step(recipe_id, "rolled-back", target.commit, sha)))
        return f"rolled back {recipe_id!r} with commit {sha[:10]}."


def file(root: Path, path: str) -> str:
    """Restore one file to its version before the run (deleting it if it did not exist)."""
    with gitrepo.open_repo(root) as repo:
        run = _prepare(repo)
        rel = _repo_relative(repo, root, path)
        at_base = gitrepo.ref_sha(repo, run.base_commit) and _exists_at(repo, run.base_commit, rel)
        if at_base:
            repo.git.checkout(run.base_commit, "--", rel)
        elif (gitrepo.root(repo) / rel).exists():
            repo.git.rm("-q", "--", rel)
        if not gitrepo.dirty_paths(repo):
            return f"{rel} is already as it was before run {run.id}."
        sha = _commit_rollback(
            repo,
            run,
            f"restore {rel} as before the migration",
            [rel],
            f"Migrate-Rollback-File: {rel}",
        )
        return f"restored {rel} with commit {sha[:10]}."


def _repo_relative(repo: Repo, cwd: Path, path: str) -> str:
    top = gitrepo.root(repo).resolve()
    absolute = (cwd / path).resolve()
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        raise UserError(f"{path}: the path is outside the repository.") from None


def _exists_at(repo: Repo, commit: str, rel: str) -> bool:
    try:
        repo.git.cat_file("-e", f"{commit}:{rel}")
    except GitCommandError:
        return False
    return True


def edit_and_commit(
    root: Path, path: str, edit: Callable[[str], str], title: str, trailer: str
) -> str | None:
    """Apply a text edit to one file of the open run and commit it; None when nothing changed."""
    from migrate.writer import atomic_write

    with gitrepo.open_repo(root) as repo:
        run = _prepare(repo)
        target = gitrepo.root(repo) / path
        if not target.is_file():
            raise UserError(f"{path}: the file does not exist.")
        data = target.read_bytes()
        text = data.decode("utf-8-sig")
        new = edit(text)
        if new == text:
            return None
        bom = data[: len(data) - len(text.encode("utf-8"))]
        atomic_write(target, bom + new.encode("utf-8"))
        return _commit_rollback(repo, run, title, [path], trailer)


def all_steps(root: Path, delete_branch: bool) -> str:
    """Back to the state before the run; the migration branch is kept under a backup ref."""
    with gitrepo.open_repo(root) as repo:
        refuse_if_interrupted(repo)
        branch = gitrepo.current_branch(repo)
        run = journal.open_run_for(repo, branch, gitrepo.head_sha(repo))
        run = run or journal.open_run_based_on(repo, branch)
        if run is None:
            return _already_rolled_back(repo)
        gitrepo.check_state(repo, allow_detached=True, allow_dirty=False)
        backup = BACKUP_REF + run.id
        tip = gitrepo.ref_sha(repo, f"refs/heads/{run.branch}") if run.branch else None
        gitrepo.update_ref(repo, backup, tip or str(gitrepo.head_sha(repo)))
        if run.in_place or run.base_branch is None or run.base_branch == run.branch:
            repo.git.reset("--hard", "-q", run.base_commit)
        elif branch != run.base_branch:
            repo.git.checkout("-q", run.base_branch)
        closed = replace(run, state="rolled-back")
        journal.save_run(repo, closed)
        message = f"rolled back run {run.id}: HEAD is at its base {run.base_commit[:10]}"
        message += f"; the migrated commits are kept in {backup}"
        if not run.in_place and run.branch and run.branch != run.base_branch:
            if delete_branch:
                repo.git.branch("-D", run.branch)
                message += f"; branch {run.branch} deleted"
            else:
                message += f"; delete the branch with: git branch -D {run.branch}"
        return message + "."


def _already_rolled_back(repo: Repo) -> str:
    closed = [r for r in journal.load_runs(repo) if r.state == "rolled-back"]
    if closed and gitrepo.head_sha(repo) == closed[-1].base_commit:
        return f"run {closed[-1].id} is already rolled back; nothing to do."
    raise UserError("no open migration run here; nothing to roll back (`migrate status`).")
