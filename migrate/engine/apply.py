"""Applying recipes: transform, write, validate, then commit or drop — one step at a time.

A run works in a worktree of its own under `.git/migrate/worktrees/`, on a detached HEAD:
the user's checkout, index, stash and branches are never written while it runs. Validated
commits are put on the run's branch at the end (`_publish`); a failing step is dropped by
resetting the run's worktree, and nothing else. With `rollback`, the only module that makes
commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.engine import checks, git, journal
from migrate.engine.compute import ApplyOptions
from migrate.engine.journal import Run, Step
from migrate.engine.publish import RUN_REF, Published, publish, start_point, start_run
from migrate.engine.recover import locked
from migrate.engine.safety import own_worktree, share, signals_held, sigterm_as_interrupt
from migrate.engine.step import Listener, Session, run_step
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, Interrupted, UserError
from migrate.model import Recipe

if TYPE_CHECKING:
    from migrate.engine.git import Repo


@dataclass(frozen=True)
class ApplyReport:
    run: Run
    steps: tuple[Step, ...]
    where: str  # where the commits are now, in one sentence
    left_out: tuple[str, ...]  # the user's uncommitted paths, not part of the run
    dry: bool  # built and checked, then thrown away

    @property
    def exit_code(self) -> int:
        failed = any(s.status == "reverted" for s in self.steps)
        return EXIT_STEP_FAILED if failed else EXIT_OK


def _check_requires(recipes: Sequence[Recipe], run: Run | None, history: set[str]) -> None:
    """Every required recipe is applied in this run, in HEAD's history, or chosen now."""
    done = (set(run.applied()) if run else set()) | history
    chosen = {r.id for r in recipes}
    for recipe in recipes:
        for req in recipe.requires:
            if req not in done and req not in chosen:
                raise UserError(
                    f"{recipe.source}: recipe {recipe.id!r} requires {req!r};"
                    f" apply {req!r} first or name both."
                )


def apply(
    root: Path, recipes: Sequence[Recipe], options: ApplyOptions, listener: Listener | None = None
) -> ApplyReport:
    """Apply the recipes in plan order, each as one validated commit on the run's branch.

    Everything happens in the run's own worktree; the user's checkout is touched at the end
    only by a safe checkout or fast-forward, and only when it is clean and where it was. With
    `options.dry`, the same steps are built and checked, then thrown away with the worktree:
    no branch, ref or journal entry is left.
    """
    listener = listener or Listener()
    with git.open_repo(root) as repo:
        git.check_state(repo, allow_detached=options.in_place or options.dry)
        settings = checks.project_validation(git.root(repo))
        with locked(repo, "apply", listener.note) as lock:
            run, is_new = start_run(repo, options)
            history = _history(repo)
            _check_requires(recipes, None if is_new else run, history)
            left_out = git.dirty_paths(repo)
            if any(p.startswith(".migrate/") for p in left_out):
                note = "Configuration: the uncommitted .migrate/ of the work tree was used.\n"
                options = replace(options, config_note=note)
            start = start_point(repo, run, is_new)
            record = _recorder(repo, options.dry)
            if is_new:
                record(run)
            done: list[Step] = []
            tip = start
            stopped = False
            try:
                lock.update(run=run.id)
                with sigterm_as_interrupt(), own_worktree(repo, lock, run.id, start) as wt:
                    share(git.root(repo), git.root(wt), settings.share)
                    session = Session(wt, repo, listener, settings, lock, options, record)
                    earlier = set(run.applied()) | history
                    for recipe in recipes:
                        step = run_step(session, run, recipe, done, earlier)
                        run = run.with_step(step)
                        record(run)
                        done.append(step)
                        if step.commit:
                            tip = step.commit
                            if not options.dry:
                                git.update_ref(repo, RUN_REF + run.id, tip)
                        if step.status == "reverted" and not options.keep_going:
                            break
            except KeyboardInterrupt:
                stopped = True
                raise
            finally:
                with signals_held():
                    published = (
                        Published(run, "")
                        if options.dry
                        else _finish(repo, run, tip, start, is_new)
                    )
                if stopped:  # say what was kept (cli.main prints it): the default is "nothing"
                    raise Interrupted(_kept(published))
            return ApplyReport(
                published.run, tuple(done), published.message, tuple(left_out), options.dry
            )


def _recorder(repo: Repo, dry: bool) -> Callable[[Run], None]:
    def record(run: Run) -> None:
        if not dry:
            journal.save_run(repo, run)

    return record


def _finish(repo: Repo, run: Run, tip: str, start: str, is_new: bool) -> Published:
    run = journal.load_run(repo, run.id) or run  # it may hold a step interrupted just now
    if tip == start:
        if is_new:  # nothing committed: no trace of the run but its journal entry
            journal.save_run(repo, replace(run, state="rolled-back"))
        return Published(run, "nothing was committed")
    return publish(repo, run, tip, switch=is_new, start=start)  # in place: no switch to make


def _kept(published: Published) -> str:
    if published.message == "nothing was committed":
        return (
            "interrupted; the step in progress was dropped and nothing was committed. Your"
            " files, index and branches were not touched."
        )
    return (
        "interrupted; the step in progress was dropped, the steps validated before it were"
        f" kept: {published.message}."
    )


def _history(repo: Repo) -> set[str]:
    """Recipes applied in HEAD's history (a step that changed nothing makes no commit)."""
    return {
        git.trailers(message).get("Migrate-Recipe", "") for _, message in git.log_messages(repo)
    }
