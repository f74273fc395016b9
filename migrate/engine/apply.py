"""Applying recipes: transform, write, validate, then commit or drop — one step at a time.

A run works in a worktree of its own under `.git/migrate/worktrees/`, on a detached HEAD:
the user's checkout, index, stash and branches are never written while it runs. Validated
commits are put on the run's branch at the end (`_publish`); a failing step is dropped by
resetting the run's worktree, and nothing else. With `rollback`, the only module that makes
commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from migrate import files, labels, transforms
from migrate.engine import checks, git, journal, writer
from migrate.engine.journal import CheckResult, Run, Step, StepStatus
from migrate.engine.safety import Holder, Lock, kill_group, process_start
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, Interrupted, RepoStateError, UserError
from migrate.files import Snapshot, select
from migrate.model import FileChange, Finding, Recipe, TransformResult, Validation

if TYPE_CHECKING:
    from migrate.engine.git import Repo

RUN_REF = "refs/migrate/runs/"


@dataclass(frozen=True)
class ApplyOptions:
    branch: str | None = None
    in_place: bool = False
    keep_going: bool = False
    run_name: str | None = None
    skip_unparsable: bool = False
    skip_unreadable: bool = False
    dry: bool = False  # build and check every step, keep nothing (`--dry-run --validate`)
    bisect: bool = False  # a failed step that changed several files keeps the good ones
    config_note: str = ""  # said in each commit message (an uncommitted .migrate/ was used)


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
class ApplyReport:
    run: Run
    steps: tuple[Step, ...]
    where: str = ""  # where the commits are now, in one sentence
    left_out: tuple[str, ...] = ()  # the user's uncommitted paths, not part of the run
    dry: bool = False  # built and checked, then thrown away

    @property
    def exit_code(self) -> int:
        failed = any(s.status == "reverted" for s in self.steps)
        return EXIT_STEP_FAILED if failed else EXIT_OK


def compute(
    root: Path, recipe: Recipe, paths: Sequence[str], options: ApplyOptions
) -> TransformResult:
    """Run the recipe's transform over the files its globs select; nothing is written.

    A file the transform cannot parse or read as text stops the recipe (unless skipped
    explicitly): a silently skipped file would look migrated when it is not. A path behind a
    symlink is never read or written; it is reported.
    """
    run = transforms.for_recipe(recipe.transform, recipe.source)
    chosen = select(tuple(paths), recipe.paths)
    linked = [Finding(p, 0, "symlink", why) for p in chosen if (why := files.link_problem(root, p))]
    chosen = tuple(p for p in chosen if p not in {f.path for f in linked})
    unreadable = [
        Finding(p, 0, "unreadable", why) for p in chosen if (why := files.unreadable(root, p))
    ]
    _refuse(recipe, unreadable, options.skip_unreadable, "--skip-unreadable")
    chosen = tuple(p for p in chosen if p not in {f.path for f in unreadable})
    try:
        result = run(Snapshot(root, chosen), recipe.params)
    except UserError as e:
        if str(recipe.source) in e.message:
            raise
        raise type(e)(f"{recipe.source}: {e.message}") from None
    unparsable = [f for f in result.findings if f.kind == "parse-error"]
    _refuse(recipe, unparsable, options.skip_unparsable, "--skip-unparsable")
    return _without_links(root, result, (*linked, *unreadable))


def _refuse(recipe: Recipe, bad: Sequence[Finding], skip: bool, flag: str) -> None:
    if bad and not skip:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise UserError(
            f"{first.path}{more}: {first.message}; recipe {recipe.id!r} changed nothing"
            f" (pass {flag} to apply it to the other files)."
        )


def _without_links(
    root: Path, result: TransformResult, found: Sequence[Finding]
) -> TransformResult:
    """Drop the changes whose path lies behind a symlink (checked where the write would go)."""
    blocked = [
        Finding(c.path, 0, "symlink", why)
        for c in result.changes
        if (why := files.link_problem(root, c.path))
    ]
    if not blocked and not found:
        return result
    gone = {f.path for f in blocked}
    return replace(
        result,
        changes=tuple(c for c in result.changes if c.path not in gone),
        findings=(*result.findings, *found, *blocked),
        notes=(*result.notes, *(f"skipped {f.path}: {f.message}" for f in (*found, *blocked))),
    )


def preview(
    root: Path, recipes: Sequence[Recipe], options: ApplyOptions | None = None
) -> list[tuple[Recipe, TransformResult]]:
    """What each recipe would change if applied now (the `--dry-run`). A run starts from
    HEAD, so with uncommitted changes the preview is computed in a throwaway worktree."""
    options = options or ApplyOptions()
    with git.open_repo(root) as repo:
        checks.project_validation(git.root(repo))  # a config typo is found here too
    with at_head(root) as (tree, paths):
        return [(r, compute(tree, r, paths, options)) for r in recipes]


@contextmanager
def at_head(root: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """HEAD's files, as a run would start from them, and their paths: the user's tree when it
    is clean, else a throwaway worktree (removed afterwards)."""
    with git.open_repo(root) as repo:
        if not git.dirty_paths(repo):
            yield git.root(repo), git.tracked_paths(repo)
            return
        path = journal.folder(repo) / "worktrees" / f"preview-{secrets.token_hex(4)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        git.add_worktree(repo, path, str(git.head_sha(repo)))
        try:
            with git.open_repo(path) as wt:
                yield path, git.tracked_paths(wt)
        finally:
            git.remove_worktree(repo, path)


def switch_to(root: Path, branch: str) -> None:
    """Check out an open run's branch in the user's tree, as `git checkout` would."""
    with git.open_repo(root) as repo:
        if not git.checkout(repo, branch):
            raise RepoStateError(
                f"git cannot check out {branch} here (local changes?); commit them first."
            )


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


def new_run_id() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Cleanup must finish: a second Ctrl-C waits until the run's state is back in order."""
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


# ---------------------------------------------------------------------------- lock and recovery


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
    if dead.worktree and Path(dead.worktree).exists():
        git.remove_worktree(repo, Path(dead.worktree))
    message = f"cleared the lock of a migrate run that died (pid {dead.pid})"
    run = next((r for r in journal.load_runs(repo) if r.id == dead.run), None)
    if run is None:
        return message + "."
    if dead.recipe:
        journal.save_run(repo, run.with_step(Step(dead.recipe, "interrupted", "")))
        message += f"; recipe {dead.recipe!r} was not applied"
    tip = git.ref_sha(repo, RUN_REF + run.id)
    if tip is not None and run.applied():
        message += "; " + _publish(repo, run, tip, switch=False).message
    return message + "."


def recover(root: Path) -> str | None:
    """Clean up after a run that was killed; None when there was nothing to do."""
    notes: list[str] = []
    with git.open_repo(root) as repo, locked(repo, "recover", notes.append):
        pass
    return " ".join(notes) or None


# ---------------------------------------------------------------------------- runs and branches


def _start_run(repo: Repo, options: ApplyOptions) -> tuple[Run, bool]:
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


def _tip(repo: Repo, run: Run, is_new: bool) -> str:
    """Where the run's next step starts: its branch's tip (the user may have added commits)."""
    if is_new or run.branch is None:
        return str(git.head_sha(repo))
    return git.ref_sha(repo, f"refs/heads/{run.branch}") or str(git.head_sha(repo))


@dataclass(frozen=True)
class Published:
    run: Run
    message: str
    switched: bool = False


def _publish(
    repo: Repo, run: Run, tip: str, *, switch: bool, start: str | None = None
) -> Published:
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
            and not git.uncommitted(repo)
            and git.fast_forward(repo, tip)
        ):
            return Published(run, f"{run.branch or 'HEAD'} moved forward to {tip[:10]}")
        return _publish_aside(repo, run, tip)
    if not git.set_ref(repo, ref or "", tip, old):
        return _publish_aside(repo, run, tip)
    message = f"the steps are on branch {run.branch}"
    on_base = git.current_branch(repo) == run.base_branch and git.head_sha(repo) == start
    assert run.branch is not None
    if switch and on_base and not git.uncommitted(repo) and git.checkout(repo, run.branch):
        return Published(run, f"switched to branch {run.branch}", switched=True)
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


# ---------------------------------------------------------------------------- the run's worktree


@contextmanager
def own_worktree(repo: Repo, lock: Lock, name: str, start: str) -> Iterator[Repo]:
    """A worktree of the run's own at `start` (detached), removed at the end; after a bug of
    ours it is kept for inspection, with its path printed."""
    path = journal.folder(repo) / "worktrees" / name
    if path.exists():
        git.remove_worktree(repo, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    git.add_worktree(repo, path, start)
    outer = lock.holder.worktree if lock.holder else None
    lock.update(worktree=str(path))
    keep = False
    try:
        with git.open_repo(path) as wt:
            yield wt
    except Exception as e:
        keep = not isinstance(e, UserError)
        if keep:
            sys.stderr.write(f"migrate: the run's worktree is kept for inspection: {path}\n")
        raise
    finally:
        with _signals_held():
            if not keep:
                git.remove_worktree(repo, path)
            lock.update(worktree=outer, group=None, group_start=None)


def _share(user_root: Path, worktree: Path, share: Sequence[str]) -> None:
    """Ignored files the checks need, from the user's tree: folders linked, files copied (a
    check that writes a shared file then writes a copy, never the user's)."""
    for rel in share:
        source, target = user_root / rel, worktree / rel
        if not source.exists() or target.exists() or target.is_symlink():
            continue
        if files.link_problem(worktree, rel):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            target.symlink_to(source.resolve(), target_is_directory=True)
        else:
            shutil.copy2(source, target)


# ---------------------------------------------------------------------------- apply


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
            run, is_new = _start_run(repo, options)
            history = _history(repo)
            _check_requires(recipes, None if is_new else run, history)
            left_out = git.dirty_paths(repo)
            if any(p.startswith(".migrate/") for p in left_out):
                note = "Configuration: the uncommitted .migrate/ of the work tree was used.\n"
                options = replace(options, config_note=note)
            start = _tip(repo, run, is_new)
            record = _recorder(repo, options.dry)
            if is_new:
                record(run)
            done: list[Step] = []
            tip = start
            stopped = False
            try:
                lock.update(run=run.id)
                with _sigterm_as_interrupt(), own_worktree(repo, lock, run.id, start) as wt:
                    _share(git.root(repo), git.root(wt), settings.share)
                    session = _Session(wt, repo, listener, settings, lock, options, record)
                    earlier = set(run.applied()) | history
                    for recipe in recipes:
                        step = _run_step(session, run, recipe, done, earlier)
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
                with _signals_held():
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


@dataclass(frozen=True)
class _Session:
    """What every step of one `apply` shares."""

    wt: Repo  # the run's worktree
    repo: Repo  # the user's repository
    listener: Listener
    settings: Validation
    lock: Lock
    options: ApplyOptions
    record: Callable[[Run], None]  # saves the run in the journal (nothing in a dry run)


def _finish(repo: Repo, run: Run, tip: str, start: str, is_new: bool) -> Published:
    run = journal.load_run(repo, run.id) or run  # it may hold a step interrupted just now
    if tip == start:
        if is_new:  # nothing committed: no trace of the run but its journal entry
            journal.save_run(repo, replace(run, state="rolled-back"))
        return Published(run, "nothing was committed")
    return _publish(repo, run, tip, switch=is_new and not run.in_place, start=start)


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


def _blocked_by(recipe: Recipe, done: Sequence[Step], earlier: set[str]) -> str | None:
    """A required recipe run now must apply a change, unless one applied it `earlier` (this
    run or HEAD's history): a step that changed nothing meets no `requires`."""
    failed = {s.recipe for s in done if s.status != "applied"} - earlier
    blocking = [r for r in recipe.requires if r in failed]
    return f"requires {', '.join(blocking)}, which did not apply" if blocking else None


def _run_step(
    s: _Session, run: Run, recipe: Recipe, done: Sequence[Step], earlier: set[str]
) -> Step:
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
        with _signals_held():
            git.clean_to(s.wt, pre, s.settings.share)
            s.record(run.with_step(Step(recipe.id, "interrupted", pre)))
        raise
    s.lock.update(recipe=None, group=None, group_start=None)
    s.listener.step_finished(recipe, step, approved)
    return step


def _write_validate_commit(
    s: _Session,
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
    s: _Session,
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
    s: _Session,
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
    s: _Session, run: Run, recipe: Recipe, result: TransformResult, listener: Listener
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
        _share(git.root(repo), git.root(base), v.share)
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
