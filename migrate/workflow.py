"""Applying recipes: transform, write, validate, then commit or revert — one step at a time.

This is the only module (with `rollback`) that changes the user's repository; every change is
wrapped so that a failure, Ctrl-C or a crash leaves the state before the current step.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from git import Repo

from migrate import gitrepo, journal, transforms, validate, writer
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, RepoStateError, UserError
from migrate.files import Snapshot, select
from migrate.journal import CheckResult, Inflight, Run, Step, StepStatus
from migrate.model import Recipe, TransformResult

STASH_REF = "refs/migrate/stash/"


@dataclass(frozen=True)
class ApplyOptions:
    branch: str | None = None
    in_place: bool = False
    stash: bool = False
    keep_going: bool = False
    run_name: str | None = None
    skip_unparsable: bool = False


class Listener:
    """What a user interface learns while recipes are applied; every method may be overridden."""

    def step_started(self, recipe: Recipe) -> None:
        """A recipe's transform is about to run."""

    def approve(self, recipe: Recipe, result: TransformResult) -> TransformResult | None:
        """The changes to apply (a subset to reject files); None skips the recipe."""
        return result

    def check_started(self, recipe: Recipe, name: str) -> None:
        """A validation check started."""

    def check_finished(self, recipe: Recipe, result: CheckResult) -> None:
        """A validation check ended."""

    def step_finished(self, recipe: Recipe, step: Step, result: TransformResult | None) -> None:
        """The step was committed, reverted, or found nothing to do."""


@dataclass(frozen=True)
class ApplyReport:
    run: Run
    steps: tuple[Step, ...]
    stash_ref: str | None = None
    stash_restored: bool = True

    @property
    def exit_code(self) -> int:
        failed = any(s.status == "reverted" for s in self.steps)
        return EXIT_STEP_FAILED if failed else EXIT_OK


def compute(
    root: Path, recipe: Recipe, files: Sequence[str], skip_unparsable: bool = False
) -> TransformResult:
    """Run the recipe's transform over the files its globs select; nothing is written.

    A file the transform cannot parse stops the recipe (unless `skip_unparsable`): a silently
    skipped file would look migrated when it is not.
    """
    run = transforms.for_recipe(recipe.transform, recipe.source)
    # A write through a symlink would land outside the file git tracks (maybe outside the repo).
    chosen = tuple(p for p in select(tuple(files), recipe.paths) if not (root / p).is_symlink())
    try:
        result = run(Snapshot(root, chosen), recipe.params)
    except UserError as e:
        if str(recipe.source) in e.message:
            raise
        raise type(e)(f"{recipe.source}: {e.message}") from None
    unparsable = [f for f in result.findings if f.kind == "parse-error"]
    if unparsable and not skip_unparsable:
        first = unparsable[0]
        more = f" (and {len(unparsable) - 1} more)" if len(unparsable) > 1 else ""
        raise UserError(
            f"{first.path}{more}: {first.message}; recipe {recipe.id!r} changed nothing"
            " (pass --skip-unparsable to apply it to the other files)."
        )
    return result


def preview(
    root: Path, recipes: Sequence[Recipe], skip_unparsable: bool = False
) -> list[tuple[Recipe, TransformResult]]:
    """What each recipe would change in the work tree as it is now (the `--dry-run`)."""
    with gitrepo.open_repo(root) as repo:
        files = gitrepo.tracked_paths(repo)
        return [(r, compute(gitrepo.root(repo), r, files, skip_unparsable)) for r in recipes]


def new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Cleanup must finish: a second Ctrl-C waits until the repository is back in order."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C, so the step's cleanup runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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


def _start_run(repo: Repo, options: ApplyOptions) -> tuple[Run, bool]:
    """The open run HEAD is on, or a new one (its branch not yet created); True when new."""
    branch = gitrepo.current_branch(repo)
    head = str(gitrepo.head_sha(repo))
    existing = journal.open_run_for(repo, branch, head)
    wanted = options.branch
    if existing and (wanted is None or wanted == existing.branch):
        return existing, False
    if wanted and branch != wanted:
        for run in journal.load_runs(repo):
            if run.state == "open" and run.branch == wanted:
                return run, False
    run_id = options.run_name or new_run_id()
    target = branch if options.in_place else (wanted or f"migrate/{run_id}")
    if target and not options.in_place and not wanted and gitrepo.branch_exists(repo, target):
        raise RepoStateError(f"branch {target!r} already exists; pass --branch {target} to use it.")
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return Run(run_id, target, branch, head, options.in_place, created), True


def _enter_branch(repo: Repo, run: Run) -> None:
    if run.in_place or run.branch is None or gitrepo.current_branch(repo) == run.branch:
        return
    if gitrepo.branch_exists(repo, run.branch):
        repo.git.checkout("-q", run.branch)
    else:
        repo.git.checkout("-q", "-b", run.branch)


def apply(
    root: Path, recipes: Sequence[Recipe], options: ApplyOptions, listener: Listener | None = None
) -> ApplyReport:
    """Apply the recipes in plan order, each as one validated commit, reverting failures."""
    listener = listener or Listener()
    with gitrepo.open_repo(root) as repo:
        refuse_if_interrupted(repo)
        dirty = gitrepo.check_state(
            repo, allow_detached=options.in_place, allow_dirty=options.stash
        )
        run, is_new = _start_run(repo, options)
        history = {
            gitrepo.trailers(message).get("Migrate-Recipe", "")
            for _, message in gitrepo.log_messages(repo)
        }
        _check_requires(recipes, None if is_new else run, history)
        stash_ref = STASH_REF + run.id if dirty else None
        inflight = Inflight(
            os.getpid(),
            run.id,
            gitrepo.current_branch(repo),
            str(gitrepo.head_sha(repo)),
            stash_ref,
        )
        journal.write_inflight(repo, inflight)
        restored = True
        done: list[Step] = []
        try:
            with _sigterm_as_interrupt():
                if stash_ref:
                    gitrepo.stash_to_ref(repo, stash_ref, f"migrate: changes set aside by {run.id}")
                _enter_branch(repo, run)
                journal.save_run(repo, run)
                earlier = set(run.applied()) | history
                for recipe in recipes:
                    step = _run_step(repo, run, recipe, inflight, listener, done, options, earlier)
                    run = run.with_step(step)
                    journal.save_run(repo, run)
                    done.append(step)
                    if step.status == "reverted" and not options.keep_going:
                        break
        finally:
            with _signals_held():
                if stash_ref:
                    restored = gitrepo.restore_stash(repo, stash_ref)
                journal.clear_inflight(repo)
        return ApplyReport(run, tuple(done), stash_ref, restored)


def _blocked_by(recipe: Recipe, done: Sequence[Step], earlier: set[str]) -> str | None:
    """A required recipe run now must apply a change, unless one applied it `earlier` (this
    run or HEAD's history): a step that changed nothing meets no `requires`."""
    failed = {s.recipe for s in done if s.status != "applied"} - earlier
    blocking = [r for r in recipe.requires if r in failed]
    return f"requires {', '.join(blocking)}, which did not apply" if blocking else None


def _run_step(
    repo: Repo,
    run: Run,
    recipe: Recipe,
    inflight: Inflight,
    listener: Listener,
    done: Sequence[Step],
    options: ApplyOptions,
    earlier: set[str],
) -> Step:
    pre = str(gitrepo.head_sha(repo))
    blocked = _blocked_by(recipe, done, earlier)
    if blocked:
        step = Step(recipe.id, "skipped", pre, summary=blocked)
        listener.step_finished(recipe, step, None)
        return step
    listener.step_started(recipe)
    root = gitrepo.root(repo)
    result = compute(root, recipe, gitrepo.tracked_paths(repo), options.skip_unparsable)
    approved = listener.approve(recipe, result)
    if approved is None or not approved.changes:
        status: StepStatus = "skipped" if approved is None else "no-changes"
        step = Step(recipe.id, status, pre, summary=summarise(approved) if approved else "")
        listener.step_finished(recipe, step, approved)
        return step
    untracked = gitrepo.untracked_paths(repo)
    journal.write_inflight(
        repo, replace(inflight, recipe=recipe.id, pre_commit=pre, untracked_before=tuple(untracked))
    )
    try:
        step = _write_validate_commit(repo, run, recipe, approved, pre, untracked, listener)
    except BaseException:
        with _signals_held():
            gitrepo.reset_hard(repo, pre, untracked)
            journal.save_run(repo, run.with_step(Step(recipe.id, "interrupted", pre)))
        raise
    journal.write_inflight(repo, inflight)
    listener.step_finished(recipe, step, approved)
    return step


def _write_validate_commit(
    repo: Repo,
    run: Run,
    recipe: Recipe,
    result: TransformResult,
    pre: str,
    untracked: set[str],
    listener: Listener,
) -> Step:
    root = gitrepo.root(repo)
    summary = summarise(result)
    files = tuple(c.path for c in result.changes)
    try:
        writer.write(root, result.changes)
    except writer.UnparsableOutput as e:
        failed = CheckResult("write", "failed", e.message)
        return Step(recipe.id, "reverted", pre, None, summary, (failed,), files)
    checks = _validate(repo, run, recipe, result, listener)
    if any(c.outcome == "failed" for c in checks):
        gitrepo.reset_hard(repo, pre, untracked)
        return Step(recipe.id, "reverted", pre, None, summary, checks, files)
    # Anything else validation left behind (reports, caches) is not part of the step.
    gitrepo.reset_untracked(repo, untracked | set(files))
    sha = gitrepo.commit(repo, files, commit_message(recipe, run, summary, checks))
    return Step(recipe.id, "applied", pre, sha, summary, checks, files)


def _validate(
    repo: Repo, run: Run, recipe: Recipe, result: TransformResult, listener: Listener
) -> tuple[CheckResult, ...]:
    root = gitrepo.root(repo)
    settings = validate.merged(validate.project_validation(root), recipe.validate, recipe.source)
    before: Mapping[str, str | None] = {c.path: c.before for c in result.changes}
    ctx = validate.Context(
        root, tuple(before), before, run.base_commit, journal.logs_folder(repo, run.id), recipe.id
    )
    results: list[CheckResult] = []
    for name, check in validate.checks(ctx, settings):
        listener.check_started(recipe, name)
        outcome = check()
        listener.check_finished(recipe, outcome)
        results.append(outcome)
        if outcome.outcome == "failed":
            break
    return tuple(results)


def summarise(result: TransformResult) -> str:
    """One line for the commit message and the report: files changed and the transform's counts."""
    parts = [f"{len(result.changes)} file(s) changed"]
    parts += [f"{key}: {value}" for key, value in result.counts.items() if value]
    return ", ".join(parts)


def commit_message(recipe: Recipe, run: Run, summary: str, checks: Sequence[CheckResult]) -> str:
    passed = (
        "; ".join(f"{c.name}: {c.outcome}" + (f" ({c.detail})" if c.detail else "") for c in checks)
        or "none configured"
    )
    return (
        f"migrate: {recipe.title}\n\n"
        f"{recipe.id}: {summary}.\n"
        f"Validation: {passed}.\n\n"
        f"Migrate-Recipe: {recipe.id}\n"
        f"Migrate-Run: {run.id}\n"
    )


def refuse_if_interrupted(repo: Repo) -> None:
    """A crashed or killed run left its marker: the repo must be recovered before anything else."""
    inflight = journal.read_inflight(repo)
    if inflight is None:
        return
    if _alive(inflight.pid):
        raise RepoStateError(f"another migrate (pid {inflight.pid}) is working on this repository.")
    raise RepoStateError(
        f"run {inflight.run} was interrupted"
        + (f" during recipe {inflight.recipe!r}" if inflight.recipe else "")
        + "; run `migrate recover` to restore the state before it."
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_if_agreed(root: Path, agree: Callable[[str], bool]) -> str | None:
    """Before any command changes the repo: recover an interrupted run if the user agrees
    (`agree` gets the question), else refuse naming the command that recovers."""
    with gitrepo.open_repo(root) as repo:
        inflight = journal.read_inflight(repo)
    if inflight is None:
        return None
    if not agree(f"Run {inflight.run} was interrupted; restore the state before it?"):
        with gitrepo.open_repo(root) as repo:
            refuse_if_interrupted(repo)
    return recover(root)


def recover(root: Path) -> str | None:
    """Undo what an interrupted run left: reset to the pre-step commit, bring back stashed work."""
    with gitrepo.open_repo(root) as repo:
        inflight = journal.read_inflight(repo)
        if inflight is None:
            return None
        if _alive(inflight.pid):
            raise RepoStateError(f"migrate (pid {inflight.pid}) is still running here.")
        if inflight.pre_commit:
            gitrepo.reset_hard(repo, inflight.pre_commit, set(inflight.untracked_before))
            _record_interrupted(repo, inflight)
        message = f"recovered run {inflight.run}" + (
            f": recipe {inflight.recipe!r} undone" if inflight.recipe else ""
        )
        if inflight.stash_ref and not gitrepo.restore_stash(repo, inflight.stash_ref):
            message += (
                f"; your set-aside changes are kept in {inflight.stash_ref}"
                f" (restore with: git stash apply {inflight.stash_ref})"
            )
        journal.clear_inflight(repo)
        return message


def _record_interrupted(repo: Repo, inflight: Inflight) -> None:
    for run in journal.load_runs(repo):
        if run.id == inflight.run and inflight.recipe and inflight.pre_commit:
            journal.save_run(
                repo, run.with_step(Step(inflight.recipe, "interrupted", inflight.pre_commit))
            )
