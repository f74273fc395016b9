"""The guided migration (`migrate` in a terminal): audit, the plan by phase, pick, review, apply,
report. A thin interface: changes and commits come from `workflow`, measurements from `audit` and
`hooks.bench`; this module only shows, asks and reads the repository's state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
)
from rich.text import Text

from migrate import recipes
from migrate.engine import apply, git, journal
from migrate.engine.compute import ApplyOptions
from migrate.engine.journal import CheckResult, Run, Step
from migrate.engine.publish import resume
from migrate.engine.step import Listener
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, RepoStateError
from migrate.hooks.settings import SETTINGS_FILES
from migrate.model import Recipe, TransformResult
from migrate.ui import render
from migrate.ui.plan_view import build_plan, pick, plan_table
from migrate.ui.prompts import Quit, confirm
from migrate.ui.review import decide, print_preview

if TYPE_CHECKING:
    from migrate.audit import AuditReport
    from migrate.engine.git import Repo

NOT_A_TERMINAL = "not a terminal: pass --yes to apply, or use migrate apply."

PAYLOADS_COMMAND = "migrate hooks payloads"


# ------------------------------------------------------------------------------------ the flow


def run(
    repo: Path,
    yes: bool,
    recipe_dirs: Sequence[Path],
    *,
    brief: bool = False,
    report_to: Path | None = None,
) -> int:
    """The guided migration; it asks only in a terminal, never with `yes`. Returns the exit code.
    `brief` (the demo): one line per step, no diffs; `report_to`: where to write the Markdown."""
    out = render.console()
    ask = not yes and render.is_interactive()
    project = _detect(repo)
    _print_project(out, project)
    current = _resume(out, project, yes, ask)
    if current is not None and current.branch != project.branch:
        project = _detect(repo)  # switched to the run's branch
    known = recipes.load_all(recipes.recipe_dirs(project.root, recipe_dirs))
    before = _audit(out, project.root, "auditing")
    _print_audit(out, before)
    recorded = _offer_payloads(out, project.root, yes, ask) if before.hooks else None
    plan = build_plan(out, project.root, known.values(), current)
    out.print()
    out.print(plan_table(plan))
    if not ask and not yes:
        out.print(NOT_A_TERMINAL)
        return EXIT_OK
    chosen = [e.recipe for e in plan if e.preselect] if yes else pick(plan)
    session = _apply(out, project.root, chosen, ask, brief) if chosen else Session()
    _final_report(out, project, before, session, recorded, report_to)
    return EXIT_STEP_FAILED if session.failed else EXIT_OK


@dataclass(frozen=True)
class Project:
    """The repository as the guide found it."""

    root: Path
    branch: str
    head: str
    settings: tuple[str, ...]  # the Claude Code settings files present
    dirty: tuple[str, ...]


@dataclass(frozen=True)
class Session:
    """What this invocation applied, and whether the user quit before the end."""

    steps: tuple[Step, ...] = ()
    quit: bool = False

    @property
    def failed(self) -> bool:
        return any(s.status == "reverted" for s in self.steps)


# ------------------------------------------------------------------------------------ prompts


# ---------------------------------------------------------------------- detect, recover, resume


def _detect(repo: Path) -> Project:
    """The repository's state; refuses what `apply` would refuse, before the user chooses."""
    with git.open_repo(repo) as r:
        root = git.root(r)
        dirty = git.check_state(r, allow_detached=True)
        branch, head = git.current_branch(r), str(git.head_sha(r))
    if branch is None:
        raise RepoStateError(
            f"{root}: HEAD is detached; check out a branch first"
            " (or use `migrate apply --in-place`)."
        )
    settings = tuple(f for f in SETTINGS_FILES if (root / f).is_file())
    return Project(root, branch, head, settings, tuple(dirty))


def _print_project(out: Console, project: Project) -> None:
    out.print(Text(f"migrate: guided migration of {project.root}", style="bold"))
    state = (
        f"{len(project.dirty)} uncommitted change(s), not part of the run: it starts from HEAD"
        if project.dirty
        else "clean"
    )
    out.print(f"  git: branch {project.branch} at {project.head[:10]} ({state})", markup=False)
    hooks = ", ".join(project.settings) or "no Claude Code settings file found"
    out.print(f"  hooks: {hooks}", markup=False)


def _resume(out: Console, project: Project, yes: bool, ask: bool) -> Run | None:
    """The open run to continue: the one HEAD is on, or one started here (switching to it)."""
    with git.open_repo(project.root) as r:
        current = journal.open_run_for(r, project.branch, project.head)
        other = None if current else _run_started_here(r, project.branch)
    if current is not None:
        out.print(f"  continuing run {current.id} ({len(current.applied())} step(s) applied)")
        return current
    if other is None or other.branch is None:
        return None
    what = f"run {other.id} (branch {other.branch}, {len(other.applied())} step(s) applied)"
    if not (yes or ask):
        out.print(f"  {what} is open: `git checkout {other.branch}` to continue it.")
        return None
    out.print(f"  {what} started from {project.branch} is open.", markup=False)
    if ask and not confirm("Switch to its branch and continue it?"):
        return None
    resume(project.root, other)
    out.print(f"  switched to {other.branch}; continuing run {other.id}", markup=False)
    return other


def _run_started_here(repo: Repo, branch: str) -> Run | None:
    run = journal.open_run_based_on(repo, branch)
    if run is None or run.branch is None or not git.branch_exists(repo, run.branch):
        return None
    return run


# ------------------------------------------------------------------------------------ audit


def _audit(out: Console, root: Path, what: str) -> AuditReport:
    from migrate import audit

    options = audit.recipe_options(root)
    if not out.is_terminal:
        return audit.audit(root, options=options)
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn("Python files"))
    with Progress(*columns, console=out, transient=True) as bar:
        task = bar.add_task(what, total=None)
        return audit.audit(
            root,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            options=options,
        )


def _print_audit(out: Console, report: AuditReport) -> None:
    """The plan's "Quick Summary", measured."""
    metrics = report.metrics()
    out.print(Text("\nAudit", style="bold"))
    out.print(f"  {report.header()}", markup=False)
    hooks = metrics.get("hooks per event", {})
    estimate = metrics.get("estimated hook latency ms")
    if hooks:
        line = f"  {sum(hooks.values())} hooks registered for {len(hooks)} events"
        out.print(line + (f", estimated {estimate} ms one after another" if estimate else ""))
    out.print(
        f"  {metrics.get('subprocess calls without timeout', 0)} subprocess calls without timeout"
    )
    out.print(f"  max_workers values: {_workers(metrics.get('max_workers values', {}))}")
    out.print(f"  {len(report.good_files)} files using good patterns")


def _offer_payloads(out: Console, root: Path, yes: bool, ask: bool) -> Path | None:
    """Offer the user's own traffic, from Claude Code's transcripts, for measuring the hooks;
    the payload file written, or None (no transcripts: one sentence, and the samples)."""
    from migrate.hooks import payloads, transcripts

    sessions = transcripts.session_files(root)
    if not sessions:
        out.print(f"  {payloads.no_transcripts(root)}", markup=False)
        return None
    out.print(f"  Claude Code transcripts of this project: {len(sessions)} sessions.")
    question = "Build real hook payloads from them (kept in .git/migrate, mode 0600)?"
    if not yes and not (ask and confirm(question)):
        out.print(
            f"  `{PAYLOADS_COMMAND}` builds them; then pass `--payloads` to hooks verify/bench."
        )
        return None
    found, _ = payloads.collect(root, payloads.DEFAULT_MAX)
    with git.open_repo(root) as r:
        target = git.git_dir(r) / "migrate" / "payloads.jsonl"
    payloads.write(target, found)
    out.print(f"  {len(found)} real payloads in {target}, used for the hook latency report.")
    return target if found else None


def _workers(values: Mapping[int, int]) -> str:
    return ", ".join(f"{value} ×{count}" for value, count in sorted(values.items())) or "none"


# ------------------------------------------------------------------------------------ the plan


# ------------------------------------------------------------------------------------ applying


def _apply(
    out: Console, root: Path, chosen: Sequence[Recipe], ask: bool, brief: bool = False
) -> Session:
    listener = _GuideListener(out, ask, brief)
    quit_ = False
    # keep_going: after a failure the listener asks (or, with --yes, goes on).
    options = ApplyOptions(keep_going=True)
    try:
        report = apply.apply(root, chosen, options, listener)
        again = [r for r in chosen if r.id in listener.bisect]
        if again:
            committed = any(s.commit for s in report.steps)
            branch = report.run.branch if committed and not report.run.in_place else None
            more = replace(options, bisect=True, branch=branch, in_place=report.run.in_place)
            out.print(f"\nbisecting {', '.join(r.id for r in again)}…")
            listener.reverted = None  # asked about already
            apply.apply(root, again, more, listener)
    except Quit:
        quit_ = True
    finally:
        listener.stop_live()
    if quit_ or listener.quit_after:
        out.print("\nstopped: the steps applied so far are kept; run `migrate` again to continue.")
    return Session(tuple(listener.steps), quit_ or listener.quit_after)


@dataclass
class _GuideListener(Listener):
    """Shows each step as the engine runs it, and asks what to do where the user decides."""

    out: Console
    ask: bool
    brief: bool = False  # one line per step: no header, no diff, no passing check
    steps: list[Step] = field(default_factory=list)
    shown: list[CheckResult] = field(default_factory=list)
    reverted: Step | None = None
    live: Progress | None = None
    quit_after: bool = False
    bisect: list[str] = field(default_factory=list)  # recipes to try again with --bisect

    def step_started(self, recipe: Recipe) -> None:
        if self.quit_after:
            raise Quit
        if self.reverted is not None and self.ask:
            question = f"{self.reverted.recipe} was reverted. Go on with {recipe.id}?"
            if not confirm(question):
                raise Quit
        self.reverted = None
        if self.brief:
            return
        self.out.print()
        self.out.rule(Text(f"{recipe.id}: {recipe.title}", style="bold"), align="left")

    def approve(self, recipe: Recipe, result: TransformResult) -> TransformResult | None:
        if not self.brief:
            print_preview(self.out, recipe, result)
        if not self.ask:
            return result
        decision = decide(self.out, result)
        self.quit_after = decision.quit  # stop once what was accepted is applied
        return decision.result

    def check_started(self, recipe: Recipe, name: str) -> None:
        self.stop_live()
        if self.out.is_terminal:
            self.live = render.spinner(self.out, f"    running  {name}")

    def check_finished(self, recipe: Recipe, result: CheckResult) -> None:
        self.stop_live()
        if self.brief and result.outcome != "failed":
            return
        self.shown.append(result)
        _print_check(self.out, result)

    def step_finished(self, recipe: Recipe, step: Step, result: TransformResult | None) -> None:
        self.stop_live()
        self.steps.append(step)
        for check in step.checks:
            if check not in self.shown and not (self.brief and check.outcome != "failed"):
                _print_check(self.out, check)
        render.print_step(self.out, replace(step, checks=()))
        if step.status == "reverted":
            self.reverted = step
            self.out.print(
                f"  reverted: nothing of it was kept; the run stays at {step.pre_commit[:10]}.",
                style="red",
            )
            if (
                self.ask
                and len(step.files) > 1
                and confirm(
                    f"Find which of its {len(step.files)} files fail the checks (bisect), and"
                    " apply the others after the other recipes?",
                    default=False,
                )
            ):
                self.bisect.append(recipe.id)

    def stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _print_check(out: Console, check: CheckResult) -> None:
    out.print(render.check_line(check))
    if check.outcome == "failed":
        tail = "\n".join("      " + line for line in check.detail.splitlines())
        out.print(Text(tail, style="red"))
        if check.log:
            out.print(f"    full output: {check.log}", markup=False)


# ------------------------------------------------------------------------------------ the report


def _final_report(
    out: Console,
    project: Project,
    before: AuditReport,
    session: Session,
    recorded: Path | None,
    report_to: Path | None = None,
) -> None:
    """The run's report (`migrate report`, as a table), and its Markdown in `report_to`."""
    from migrate.ui.report_build import build
    from migrate.ui.report_formats import as_markdown, print_table

    with git.open_repo(project.root) as r:
        run = journal.current_run(r)
    if run is None:
        out.print("\nnothing applied; the repository is unchanged.")
        return
    if not run.applied():
        out.print(
            f"\nnothing applied yet; run {run.id} is open on {run.branch}: run `migrate` to go on,"
            f" or `migrate rollback --all` to return to {run.base_branch or 'its base'}.",
            markup=False,
        )
        return
    out.print()
    out.rule(Text("Final report", style="bold"), align="left")
    built = build(
        project.root,
        run.id,
        base_audit=before if run.base_commit == project.head else None,
        payloads=recorded,
        status=lambda what: out.status(what),
    )
    print_table(out, built)
    if session.quit:
        out.print("\nto continue: run `migrate` again on this branch.")
    if report_to is not None:
        report_to.write_text(as_markdown(built), encoding="utf-8")
        out.print(f"\nthe report as Markdown (for a pull request): {report_to}", markup=False)
