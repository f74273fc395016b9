"""Where a run's commits go: the run started or continued on HEAD, and its validated commits put
on its branch at the end, touching the user's checkout only through git's own safe moves."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.engine import git, journal
from migrate.engine.compute import ApplyOptions
from migrate.engine.journal import Run
from migrate.errors import RepoStateError, UserError

if TYPE_CHECKING:
    from migrate.engine.git import Repo


RUN_REF = "refs/migrate/runs/"


def new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def start_run(repo: Repo, options: ApplyOptions) -> tuple[Run, bool]:
    """The open run HEAD is on, or a new one (its branch not yet created); True when new."""
    branch = git.current_branch(repo)
    head = str(git.head_sha(repo))
    existing = journal.open_run_for(repo, branch, head)
    wanted = options.branch
    if existing and (wanted is None or wanted == existing.branch):
        return existing, False
    if wanted:
        for run in journal.load_runs(repo):
            if run.state == "open" and run.branch == wanted:
                return run, False
        if not git.valid_branch_name(repo, wanted):
            raise UserError(f"--branch {wanted!r} is not a valid branch name.")
        if git.branch_exists(repo, wanted):
            raise RepoStateError(
                f"branch {wanted!r} already exists and is not a migrate run's; migrate never"
                " writes to your branches: choose a new name."
            )
    run_id = options.run_name or new_run_id()
    target = branch if options.in_place else (wanted or f"migrate/{run_id}")
    if not options.in_place and target and git.branch_exists(repo, target):
        raise RepoStateError(f"branch {target!r} already exists; pass --branch with a new name.")
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return Run(run_id, target, branch, head, options.in_place, created, created_branch=True), True


def start_point(repo: Repo, run: Run, is_new: bool) -> str:
    """Where the run's next step starts: its branch's tip (the user may have added commits)."""
    if is_new or run.branch is None:
        return str(git.head_sha(repo))
    return git.ref_sha(repo, f"refs/heads/{run.branch}") or str(git.head_sha(repo))


@dataclass(frozen=True)
class Published:
    run: Run
    message: str


def publish(repo: Repo, run: Run, tip: str, *, switch: bool, start: str | None = None) -> Published:
    """Put the run's validated commits on its branch, touching the user's checkout only through
    git's own safe moves: a fast-forward of a clean, unmoved branch, or a checkout."""
    ref = f"refs/heads/{run.branch}" if run.branch else None
    holder = git.checked_out(repo).get(ref or "")
    here = git.root(repo)
    old = git.ref_sha(repo, ref) if ref else git.head_sha(repo)
    if old == tip:
        return Published(run, f"the steps are on {run.branch or 'HEAD'}")
    if holder is not None or run.branch is None:  # the user has the branch (or HEAD) checked out
        if (
            holder in (None, here)
            and (start is None or old == start)
            and not git.has_uncommitted(repo)
            and git.fast_forward(repo, tip)
        ):
            return Published(run, f"{run.branch or 'HEAD'} moved forward to {tip[:10]}")
        return _publish_aside(repo, run, tip)
    if not git.set_ref(repo, ref or "", tip, old):
        return _publish_aside(repo, run, tip)
    message = f"the steps are on branch {run.branch}"
    on_base = git.current_branch(repo) == run.base_branch and git.head_sha(repo) == start
    assert run.branch is not None
    if switch and on_base and not git.has_uncommitted(repo) and git.checkout(repo, run.branch):
        return Published(run, f"switched to branch {run.branch}")
    return Published(run, message + f" (you stay where you are: git checkout {run.branch})")


def _publish_aside(repo: Repo, run: Run, tip: str) -> Published:
    """The branch moved or its checkout has local changes: the commits go on a branch of the
    run's own instead, and the user is told how to take them."""
    name = f"migrate/{run.id}"
    if run.branch == name or not git.set_ref(repo, f"refs/heads/{name}", tip, None):
        name = RUN_REF + run.id
        git.update_ref(repo, name, tip)
        why = f"{run.branch} has local changes or moved"
        return Published(run, f"{why}; take the steps with: git merge --ff-only {name}")
    moved = replace(run, branch=name, in_place=False, created_branch=True)
    journal.save_run(repo, moved)
    return Published(
        moved,
        f"{run.branch or 'HEAD'} has local changes or moved, so the steps are on the new branch"
        f" {name}; take them with: git merge --ff-only {name}",
    )


def resume(root: Path, run: Run) -> None:
    """Continue an open run started from the user's branch: check out its branch in the
    user's tree, as `git checkout` would (the next `apply` goes on from its tip)."""
    branch = str(run.branch)
    with git.open_repo(root) as repo:
        if not git.checkout(repo, branch):
            raise RepoStateError(
                f"git cannot check out {branch} here (local changes?); commit them first."
            )
