"""Undoing a migration: one step, one file, one hook's registration, or the whole run.

Every undo is a new commit made in a worktree of the run's own and then taken by the user's
branch with a fast-forward (git refuses it rather than overwrite local changes), so a failure
half way (signing, a full disk) leaves nothing behind. No branch is ever reset: a branch that
migrate did not create, or that holds commits migrate did not make, gets revert commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.engine import git, journal
from migrate.engine.journal import Run, Step
from migrate.engine.recover import locked
from migrate.engine.safety import Lock, own_worktree
from migrate.errors import RepoStateError, UserError

if TYPE_CHECKING:
    from migrate.engine.git import Repo

BACKUP_REF = "refs/migrate/backup/"
Notes = Callable[[str], None]


def _current_run(repo: Repo) -> Run:
    run = journal.current_run(repo)
    if run is None:
        raise UserError(
            "no open migration run here; check out a migrate branch (`migrate status`)."
        )
    return run


@contextmanager
def _session(root: Path, note: Notes) -> Iterator[tuple[Repo, Run, Callable[..., str]]]:
    """The repository locked, its open run, and `commit(make, message)`: `make(worktree)`
    changes the worktree (at HEAD) and returns the paths to commit, or None for "nothing to
    do"; the commit is then taken by the user's checkout."""
    with git.open_repo(root) as repo, locked(repo, "rollback", note) as lock:
        git.check_state(repo, allow_detached=True)
        run = _current_run(repo)
        head = str(git.head_sha(repo))

        def commit(make: Callable[[Repo], list[str] | None], message: str) -> str:
            with own_worktree(repo, lock, f"rollback-{run.id}", head) as wt:
                paths = make(wt)
                if paths is None:
                    return ""
                tree = git.stage_tree(wt, paths)
                sha = git.commit_tree(wt, tree, head, message)
            _take(repo, sha)
            return sha

        yield repo, run, commit


def _take(repo: Repo, sha: str) -> None:
    if not git.fast_forward(repo, sha):
        raise RepoStateError(
            f"{git.root(repo)}: your uncommitted changes touch the files this rollback"
            " changes; commit or stash them, then run it again (nothing was changed)."
        )


def _message(run: Run, title: str, trailer: str) -> str:
    return f"migrate: {title}\n\nMigrate-Run: {run.id}\n{trailer}\n"


def dependents(run: Run, recipe_id: str, requires: Mapping[str, Sequence[str]]) -> list[str]:
    """Applied steps of the run that require `recipe_id`, directly or not (newest first)."""
    applied = list(run.applied())
    found: list[str] = []
    wanted = {recipe_id}
    for rid in applied[applied.index(recipe_id) + 1 :] if recipe_id in applied else []:
        if wanted & set(requires.get(rid, ())):
            found.append(rid)
            wanted.add(rid)
    return found[::-1]


def step(
    root: Path,
    recipe_id: str,
    requires: Mapping[str, Sequence[str]],
    with_dependents: bool,
    note: Notes = lambda _: None,
) -> str:
    """Revert the commit of one applied step (and, if asked, of the steps requiring it)."""
    with _session(root, note) as (repo, run, commit):
        if run.last_status().get(recipe_id) == "rolled-back":
            return f"recipe {recipe_id!r} is already rolled back."
        target = run.applied().get(recipe_id)
        if target is None or target.commit is None:
            raise UserError(f"recipe {recipe_id!r} has no applied step in run {run.id}.")
        later = dependents(run, recipe_id, requires)
        if later and not with_dependents:
            raise UserError(
                f"recipe {recipe_id!r} is required by {', '.join(later)}, applied after it;"
                f" roll back {later[0]!r} first, or pass --with-dependents."
            )
        steps = [run.applied()[rid] for rid in later] + [target]
        sha = commit(lambda wt: _revert(wt, steps), _revert_message(run, steps))
        if not sha:
            message = f"recipe {recipe_id!r} was already undone by hand; nothing to do."
        else:
            message = (
                f"rolled back {', '.join(repr(s.recipe) for s in steps)} with commit {sha[:10]}."
            )
        for s in steps:
            run = run.with_step(Step(s.recipe, "rolled-back", s.commit or "", sha or None))
        journal.save_run(repo, run)
        return message


def _revert(wt: Repo, steps: Sequence[Step]) -> list[str] | None:
    for s in steps:
        assert s.commit is not None
        if not git.revert_in(wt, s.commit):
            raise RepoStateError(
                f"recipe {s.recipe!r} cannot be reverted cleanly: later commits changed the same"
                " lines; roll those back first (nothing was changed)."
            )
    return git.staged_paths(wt) or None


def _revert_message(run: Run, steps: Sequence[Step]) -> str:
    names = ", ".join(s.recipe for s in steps)
    trailers = "\n".join(f"Migrate-Rollback: {s.recipe}" for s in steps)
    return _message(run, f"roll back {names}", trailers)


def _touched(repo: Repo, run: Run) -> set[str]:
    """Every path the run's applied steps changed (read from the commits themselves)."""
    paths: set[str] = set()
    for s in run.applied().values():
        if s.commit:
            paths.update(git.changed_in(repo, s.commit))
    return paths


def file(root: Path, path: str, note: Notes = lambda _: None) -> str:
    """Restore one file to its version before the run (deleting it if the run created it)."""
    with _session(root, note) as (repo, run, commit):
        rel = _repo_relative(repo, root, path)
        if rel not in _touched(repo, run):
            raise UserError(f"{rel}: run {run.id} did not change this file; nothing to restore.")

        def restore(wt: Repo) -> list[str] | None:
            if git.exists_at(wt, run.base_commit, rel):
                git.restore_from(wt, run.base_commit, rel)
            elif (git.root(wt) / rel).exists():
                git.remove_path(wt, rel)
            return [rel] if git.differs_from_head(wt, rel) else None

        sha = commit(
            restore,
            _message(
                run, f"restore {rel} as before the migration", f"Migrate-Rollback-File: {rel}"
            ),
        )
        if not sha:
            return f"{rel} is already as it was before run {run.id}."
        return f"restored {rel} with commit {sha[:10]}."


def _repo_relative(repo: Repo, cwd: Path, path: str) -> str:
    top = git.root(repo).resolve()
    absolute = (cwd / path).resolve()
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        raise UserError(f"{path}: the path is outside the repository.") from None


def edit_and_commit(
    root: Path,
    path: str,
    edit: Callable[[str], str],
    title: str,
    trailer: str,
    note: Notes = lambda _: None,
) -> str | None:
    """Apply a text edit to one file of the open run and commit it; None when nothing changed."""
    from migrate.engine.writer import atomic_write
    from migrate.files import link_problem

    with _session(root, note) as (_, run, commit):

        def change(wt: Repo) -> list[str] | None:
            target = git.root(wt) / path
            why = link_problem(git.root(wt), path)
            if why:
                raise UserError(f"{path} {why}.")
            if not target.is_file():
                raise UserError(f"{path}: the file does not exist.")
            data = target.read_bytes()
            text = data.decode("utf-8-sig")
            new = edit(text)
            if new == text:
                return None
            bom = data[: len(data) - len(text.encode("utf-8"))]
            atomic_write(target, bom + new.encode("utf-8"))
            return [path]

        return commit(change, _message(run, title, trailer)) or None


def all_steps(root: Path, delete_branch: bool, note: Notes = lambda _: None) -> str:
    """Back to the state before the run, without resetting any branch: the user is taken back
    to the base branch when the run has a branch of its own, else revert commits are made."""
    with git.open_repo(root) as repo, locked(repo, "rollback", note) as lock:
        git.check_state(repo, allow_detached=True)
        branch = git.current_branch(repo)
        run = journal.current_run(repo)
        run = run or journal.open_run_based_on(repo, branch)
        if run is None or not run.applied():
            if run is not None:
                journal.save_run(repo, replace(run, state="rolled-back"))
            return _already_rolled_back(repo, run)
        tip = git.ref_sha(repo, f"refs/heads/{run.branch}") if run.branch else None
        tip = tip or str(git.head_sha(repo))
        backup = BACKUP_REF + run.id
        git.update_ref(repo, backup, tip)
        if _own_branch(repo, run, tip):
            message = _leave_branch(repo, run, branch, delete_branch)
        else:
            message = _revert_all(repo, run, lock)
        journal.save_run(repo, replace(run, state="rolled-back"))
        return f"rolled back run {run.id}: {message}; the migrated commits are kept in {backup}."


def _own_branch(repo: Repo, run: Run, tip: str) -> bool:
    """The run's branch is one migrate created, holding only the run's commits, not merged."""
    if not run.created_branch or run.in_place or not run.branch or run.base_branch is None:
        return False
    for _, message in git.commits_between(repo, run.base_commit, tip):
        if git.trailers(message).get("Migrate-Run") != run.id:
            return False
    base_tip = git.ref_sha(repo, f"refs/heads/{run.base_branch}")
    return base_tip is None or not git.is_ancestor(repo, tip, base_tip) or tip == run.base_commit


def _leave_branch(repo: Repo, run: Run, branch: str | None, delete: bool) -> str:
    assert run.branch is not None and run.base_branch is not None
    message = f"back on {run.base_branch}"
    if branch == run.branch and not git.checkout(repo, run.base_branch):
        raise RepoStateError(
            f"git cannot check out {run.base_branch} over your local changes; commit or stash"
            " them, then run it again (nothing was changed)."
        )
    if delete:
        git.delete_branch(repo, run.branch)
        return message + f"; branch {run.branch} deleted"
    return message + f"; delete the branch with: git branch -D {run.branch}"


def _revert_all(repo: Repo, run: Run, lock: Lock) -> str:
    """Revert commits for every applied step, newest first, on the branch HEAD is on."""
    steps = list(run.applied().values())[::-1]
    head = str(git.head_sha(repo))
    with own_worktree(repo, lock, f"rollback-{run.id}", head) as wt:
        paths = _revert(wt, steps)
        if paths is None:
            return "its steps were already undone; nothing to do"
        tree = git.stage_tree(wt, paths)
        sha = git.commit_tree(wt, tree, head, _revert_message(run, steps))
    _take(repo, sha)
    where = git.current_branch(repo) or "HEAD"
    return (
        f"{where} holds commits migrate did not make (or is not the run's own branch), so it is"
        f" not reset: commit {sha[:10]} reverts the run's {len(steps)} step(s)"
    )


def _already_rolled_back(repo: Repo, run: Run | None) -> str:
    """Rolling back twice is harmless: a closed run started here, or in HEAD's history."""
    if run is None:
        branch = git.current_branch(repo)
        seen = {git.trailers(m).get("Migrate-Run") for _, m in git.log_messages(repo)}
        closed = [
            r
            for r in journal.load_runs(repo)
            if r.state == "rolled-back" and (r.id in seen or (branch and r.base_branch == branch))
        ]
        run = closed[-1] if closed else None
    if run is None:
        raise UserError("no open migration run here; nothing to roll back (`migrate status`).")
    return f"run {run.id} is already rolled back; nothing to do."


def disable_hook(root: Path, name: str, note: Notes = lambda _: None) -> str:
    """Remove hook `name`'s registrations from `.claude/settings.json`, as one commit."""
    from migrate.hooks import settings_edit

    path = ".claude/settings.json"
    sha = edit_and_commit(
        root,
        path,
        lambda text: settings_edit.disable(text, path, name),
        f"disable hook {name}",
        f"Migrate-Disable-Hook: {name}",
        note,
    )
    return f"disabled hook {name} with commit {sha[:10]}." if sha else "nothing to change."
