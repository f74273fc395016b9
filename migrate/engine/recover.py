"""Taking the repository's lock, and finishing what a run that died left behind: its checks
killed, its worktree removed, its validated steps put on its branch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.engine import git, journal
from migrate.engine.journal import Step
from migrate.engine.publish import RUN_REF, publish
from migrate.engine.safety import Holder, Lock, kill_group

if TYPE_CHECKING:
    from migrate.engine.git import Repo


@contextmanager
def locked(repo: Repo, command: str, note: Callable[[str], None]) -> Iterator[Lock]:
    """The repository's lock for one command that writes; what a dead run left is cleaned up
    first (its checks killed, its worktree removed), with a message."""
    lock = Lock(journal.folder(repo))
    dead = lock.acquire(command)
    try:
        if dead is not None:
            note(_clean_up_after(repo, dead))
        yield lock
    finally:
        lock.release()


def _clean_up_after(repo: Repo, dead: Holder) -> str:
    """Finish what a killed run could not: its processes, its worktree, its journal."""
    kill_group(dead.group, dead.group_start)
    for worktree in reversed(dead.worktrees):  # a base check's first, then the run's
        if Path(worktree).exists():
            git.remove_worktree(repo, Path(worktree))
    message = f"cleared the lock of a migrate run that died (pid {dead.pid})"
    run = next((r for r in journal.load_runs(repo) if r.id == dead.run), None)
    if run is None:
        return message + "."
    if dead.recipe:
        journal.save_run(repo, run.with_step(Step(dead.recipe, "interrupted", "")))
        message += f"; recipe {dead.recipe!r} was not applied"
    tip = git.ref_sha(repo, RUN_REF + run.id)
    if tip is not None and run.applied():
        message += "; " + publish(repo, run, tip, switch=False).message
    return message + "."


def recover(root: Path) -> str | None:
    """Clean up after a run that was killed; None when there was nothing to do."""
    notes: list[str] = []
    with git.open_repo(root) as repo, locked(repo, "recover", notes.append):
        pass
    return " ".join(notes) or None
