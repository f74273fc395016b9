"""One step of a run: transform, write, check, then commit or drop, in the run's worktree.

What is committed is the tree staged before the checks run; a failing step resets only the
run's worktree. With `--bisect` a failing step keeps the files whose change passes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from migrate import labels
from migrate.engine import checks, git, journal, writer
from migrate.engine.compute import ApplyOptions, compute
from migrate.engine.journal import CheckResult, Run, Step, StepStatus
from migrate.engine.safety import Lock, own_worktree, process_start, share, signals_held
from migrate.model import FileChange, Recipe, TransformResult, Validation

if TYPE_CHECKING:
    from migrate.engine.git import Repo


class Listener:
    """What a user interface learns while recipes are applied; every method may be overridden."""

    def note(self, message: str) -> None:
        """Something the user should know that is not a step (a dead run cleaned up...)."""

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
class Session:
    """What every step of one `apply` shares."""

    wt: Repo  # the run's worktree
    repo: Repo  # the user's repository
    listener: Listener
    settings: Validation
    lock: Lock
    options: ApplyOptions
    record: Callable[[Run], None]  # saves the run in the journal (nothing in a dry run)


def _blocked_by(recipe: Recipe, done: Sequence[Step], earlier: set[str]) -> str | None:
    """A required recipe run now must apply a change, unless one applied it `earlier` (this
    run or HEAD's history): a step that changed nothing meets no `requires`."""
    failed = {s.recipe for s in done if s.status != "applied"} - earlier
    blocking = [r for r in recipe.requires if r in failed]
    return f"requires {', '.join(blocking)}, which did not apply" if blocking else None


def run_step(s: Session, run: Run, recipe: Recipe, done: Sequence[Step], earlier: set[str]) -> Step:
    pre = str(git.head_sha(s.wt))
    blocked = _blocked_by(recipe, done, earlier)
    if blocked:
        step = Step(recipe.id, "skipped", pre, summary=blocked)
        s.listener.step_finished(recipe, step, None)
        return step
    s.listener.step_started(recipe)
    result = compute(git.root(s.wt), recipe, git.tracked_paths(s.wt), s.options)
    approved = s.listener.approve(recipe, result)
    if approved is None or not approved.changes:
        status: StepStatus = "skipped" if approved is None else "no-changes"
        step = Step(recipe.id, status, pre, summary=summarise(recipe, approved) if approved else "")
        s.listener.step_finished(recipe, step, approved)
        return step
    s.lock.update(recipe=recipe.id)
    try:
        # What the user declined in review is still to do: not a sign of a non-idempotent recipe.
        declined = {c.path for c in result.changes if c not in approved.changes}
        step = _write_validate_commit(s, run, recipe, approved, pre, declined)
        step = replace(step, counts=tuple((k, v) for k, v in approved.counts.items() if v))
    except BaseException:
        with signals_held():
            git.clean_to(s.wt, pre, s.settings.share)
            s.record(run.with_step(Step(recipe.id, "interrupted", pre)))
        raise
    s.lock.update(recipe=None, group=None, group_start=None)
    s.listener.step_finished(recipe, step, approved)
    return step


def _write_validate_commit(
    s: Session,
    run: Run,
    recipe: Recipe,
    result: TransformResult,
    pre: str,
    declined: set[str] | None = None,
) -> Step:
    summary = summarise(recipe, result)
    proposed = {c.path for c in result.changes}
    tree, results = _write_and_check(s, run, recipe, result, pre, s.listener)
    left_out: tuple[CheckResult, ...] = ()
    if tree is None and s.options.bisect and len(result.changes) > 1:
        result, left_out = _bisect(s, run, recipe, result, pre, results)
        if left_out:
            tree, results = _write_and_check(s, run, recipe, result, pre, s.listener)
            summary = summarise(recipe, result)
    files_ = tuple(c.path for c in result.changes)
    dropped = proposed - set(files_)  # left out by --bisect
    if tree is None:
        return Step(recipe.id, "reverted", pre, None, summary, (*results, *left_out), files_)
    off = checks.turned_off(checks.merged(s.settings, recipe.validate, recipe.source))
    results = (*results, *left_out)
    message = commit_message(recipe, run, summary, results, off, s.options.config_note)
    sha = git.commit_tree(s.wt, tree, pre, message)
    # Whatever the checks wrote, edited or deleted is not part of the step.
    git.clean_to(s.wt, sha, s.settings.share)
    again = _not_idempotent(s.wt, recipe, set(dropped) | (declined or set()))
    if again:
        git.clean_to(s.wt, pre, s.settings.share)
        failed = CheckResult("idempotence", "failed", again)
        return Step(recipe.id, "reverted", pre, None, summary, (*results, failed), files_)
    return Step(recipe.id, "applied", pre, sha, summary, results, files_)


def _write_and_check(
    s: Session,
    run: Run,
    recipe: Recipe,
    result: TransformResult,
    pre: str,
    listener: Listener,
) -> tuple[str | None, tuple[CheckResult, ...]]:
    """Write the changes on `pre` and run the checks: the tree to commit, or None (the
    worktree back at `pre`) when a check failed."""
    git.clean_to(s.wt, pre, s.settings.share)
    try:
        writer.write(git.root(s.wt), result.changes)
    except writer.UnparsableOutput as e:
        git.clean_to(s.wt, pre, s.settings.share)
        return None, (CheckResult("write", "failed", e.message),)
    tree = git.stage_tree(s.wt, [c.path for c in result.changes])
    results = _validate(s, run, recipe, result, listener)
    if any(c.outcome == "failed" for c in results):
        git.clean_to(s.wt, pre, s.settings.share)
        return None, results
    return tree, results


def _bisect(
    s: Session,
    run: Run,
    recipe: Recipe,
    result: TransformResult,
    pre: str,
    failed: Sequence[CheckResult],
) -> tuple[TransformResult, tuple[CheckResult, ...]]:
    """The files whose change makes the checks fail, found by halving (`--bisect`); returns
    the result without them and one line per culprit with the failing check's output."""
    quiet = Listener()
    outputs: dict[str, str] = {}

    def fails(changes: Sequence[FileChange]) -> bool:
        s.listener.note(f"bisect: checking {len(changes)} of {len(result.changes)} file(s)")
        tree, results = _write_and_check(
            s, run, recipe, replace(result, changes=tuple(changes)), pre, quiet
        )
        if tree is None:
            why = next((c for c in results if c.outcome == "failed"), None)
            for c in changes:
                outputs[c.path] = checks.summary(why) if why else "the checks"
        return tree is None

    def culprits(changes: Sequence[FileChange]) -> list[FileChange]:
        if len(changes) == 1:
            return list(changes)
        a, b = changes[: len(changes) // 2], changes[len(changes) // 2 :]
        fa, fb = fails(a), fails(b)
        if not fa and not fb:
            return list(changes)  # only together: keep them out together
        return (culprits(a) if fa else []) + (culprits(b) if fb else [])

    bad = culprits(result.changes)
    if len(bad) == len(result.changes):
        return result, ()
    gone = {c.path for c in bad}
    kept = replace(result, changes=tuple(c for c in result.changes if c.path not in gone))
    notes = tuple(
        CheckResult("bisect", "skipped", f"left out {c.path}: its change fails {outputs[c.path]}")
        for c in bad
    )
    return kept, notes


def _not_idempotent(wt: Repo, recipe: Recipe, left_out: set[str]) -> str:
    """Why the recipe is a bug if, computed again on its own result, it still changes files
    (other than those `--bisect` left out on purpose)."""
    options = ApplyOptions(skip_unparsable=True, skip_unreadable=True)
    again = compute(git.root(wt), recipe, git.tracked_paths(wt), options)
    changed = [c.path for c in again.changes if c.path not in left_out]
    if not changed:
        return ""
    paths = ", ".join(changed[:5])
    return (
        f"recipe {recipe.id!r} is not idempotent: run again on its own result it changes"
        f" {paths}; this is a bug in the recipe, so the step was dropped"
    )


def _validate(
    s: Session, run: Run, recipe: Recipe, result: TransformResult, listener: Listener
) -> tuple[CheckResult, ...]:
    root, repo, settings, lock = git.root(s.wt), s.repo, s.settings, s.lock
    chosen = checks.merged(settings, recipe.validate, recipe.source)
    before: Mapping[str, str | None] = {c.path: c.before for c in result.changes}

    def started(group: int) -> None:  # recorded so that a later command can kill it
        lock.update(group=group, group_start=process_start(group))

    ctx = checks.Context(
        root,
        tuple(before),
        before,
        run.base_commit,
        journal.logs_folder(repo, run.id),
        recipe.id,
        checks.environment(git.root(repo), chosen),
        started,
    )
    results: list[CheckResult] = []
    for name, check in checks.checks(ctx, chosen):
        listener.check_started(recipe, name)
        outcome = check(ctx)
        if outcome.outcome == "failed" and name not in ("py_compile", "hooks verify"):
            outcome = checks.against_base(outcome, _at_base(repo, lock, ctx, check, chosen))
        listener.check_finished(recipe, outcome)
        results.append(outcome)
        if outcome.outcome == "failed":
            break
    return tuple(results)


def _at_base(
    repo: Repo, lock: Lock, ctx: checks.Context, check: checks.Check, v: Validation
) -> CheckResult:
    """The same check on the commit before the step, in a worktree of its own: computed only
    when the check failed, so a green suite costs nothing."""
    with git.open_repo(ctx.root) as wt:
        pre = str(git.head_sha(wt))
    with own_worktree(repo, lock, f"base-{pre[:12]}", pre) as base:
        share(git.root(repo), git.root(base), v.share)
        return check(replace(ctx, root=git.root(base), prefix=ctx.prefix + "-base"))


def summarise(recipe: Recipe, result: TransformResult) -> str:
    """One line for the commit message and the report: files changed and the transform's counts."""
    parts = [f"{len(result.changes)} file(s) changed"]
    parts += labels.describe(recipe.transform, result.counts)
    return ", ".join(parts)


def commit_message(
    recipe: Recipe,
    run: Run,
    summary: str,
    results: Sequence[CheckResult],
    off: Sequence[str] = (),
    note: str = "",
) -> str:
    passed = (
        "; ".join(
            f"{c.name}: {c.outcome}" + (f" ({c.detail})" if c.detail else "") for c in results
        )
        or "none configured"
    )
    switched_off = f"Checks turned off by configuration: {', '.join(off)}.\n" if off else ""
    return (
        f"migrate: {recipe.title}\n\n"
        f"{recipe.id}: {summary}.\n"
        f"Validation: {passed}.\n{switched_off}{note}\n"
        f"Migrate-Recipe: {recipe.id}\n"
        f"Migrate-Run: {run.id}\n"
    )
