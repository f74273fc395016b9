"""The guided migration (`migrate` in a terminal): audit, the plan by phase, pick, review, apply,
report. A thin interface: changes and commits come from `workflow`, measurements from `audit` and
`hooks.bench`; this module only shows, asks and reads the repository's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import questionary
from git import Repo
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from migrate import gitrepo, journal, recipes, render, workflow
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, RepoStateError, UserError
from migrate.hooks.settings import SETTINGS_FILES
from migrate.journal import CheckResult, Run, Step
from migrate.model import PHASE_TITLES, PHASES, UNSAFE, FileChange, Recipe, TransformResult

if TYPE_CHECKING:
    from migrate.audit import AuditReport

NOT_A_TERMINAL = "not a terminal: pass --yes to apply, or use migrate apply."
PAYLOADS_COMMAND = "migrate hooks payloads"


class _Quit(Exception):
    """The user chose to stop: what was applied stays, the next `migrate` continues the run."""


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
    plan = _plan(out, project.root, known.values(), current)
    out.print()
    out.print(_plan_table(plan))
    if not ask and not yes:
        out.print(NOT_A_TERMINAL)
        return EXIT_OK
    chosen = [e.recipe for e in plan if e.preselect] if yes else _pick(plan)
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


def _answer(question: questionary.Question) -> Any:
    """The answer; Ctrl-C (questionary's None or KeyboardInterrupt) unwinds as KeyboardInterrupt."""
    answer = question.unsafe_ask()
    if answer is None:
        raise KeyboardInterrupt
    return answer


def _confirm(message: str, default: bool = True) -> bool:
    return bool(_answer(questionary.confirm(message, default=default)))


# ---------------------------------------------------------------------- detect, recover, resume


def _detect(repo: Path) -> Project:
    """The repository's state; refuses what `apply` would refuse, before the user chooses."""
    with gitrepo.open_repo(repo) as r:
        root = gitrepo.root(r)
        dirty = gitrepo.check_state(r, allow_detached=True)
        branch, head = gitrepo.current_branch(r), str(gitrepo.head_sha(r))
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
    with gitrepo.open_repo(project.root) as r:
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
    if ask and not _confirm("Switch to its branch and continue it?"):
        return None
    workflow.switch_to(project.root, other.branch)
    out.print(f"  switched to {other.branch}; continuing run {other.id}", markup=False)
    return other


def _run_started_here(repo: Repo, branch: str) -> Run | None:
    run = journal.open_run_based_on(repo, branch)
    if run is None or run.branch is None or not gitrepo.branch_exists(repo, run.branch):
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
    if not yes and not (ask and _confirm(question)):
        out.print(
            f"  `{PAYLOADS_COMMAND}` builds them; then pass `--payloads` to hooks verify/bench."
        )
        return None
    found, _ = payloads.collect(root, payloads.DEFAULT_MAX)
    with gitrepo.open_repo(root) as r:
        target = gitrepo.git_dir(r) / "migrate" / "payloads.jsonl"
    payloads.write(target, found)
    out.print(f"  {len(found)} real payloads in {target}, used for the hook latency report.")
    return target if found else None


def _workers(values: Mapping[int, int]) -> str:
    return ", ".join(f"{value} ×{count}" for value, count in sorted(values.items())) or "none"


# ------------------------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class Entry:
    """One recipe in the plan: its status here, why, and whether to offer it pre-selected."""

    recipe: Recipe
    status: str  # pending, applied, reverted, not applicable
    detail: str = ""
    preselect: bool = False
    unsafe: tuple[str, ...] = ()  # the unsafe edits it leaves; in an `--unsafe` entry: makes

    @property
    def key(self) -> str:
        return f"{self.recipe.id} --unsafe" if self.recipe.params.get("unsafe") else self.recipe.id

    @property
    def selectable(self) -> bool:
        return self.status in ("pending", "reverted")


def _plan(out: Console, root: Path, known: Iterable[Recipe], run: Run | None) -> list[Entry]:
    last = run.last_status() if run else {}
    steps = {s.recipe: s for s in run.steps} if run else {}
    planned: dict[str, Entry] = {}
    unsafe: list[Entry] = []  # shown apart, after the plan, never pre-selected
    with (
        out.status("computing what each recipe would change…"),
        workflow.at_head(root) as (tree, files),
    ):
        for recipe in known:
            step = steps.get(recipe.id) if last.get(recipe.id) in ("applied", "reverted") else None
            entry = _entry(tree, files, recipe, step, planned)
            planned[recipe.id] = entry
            if entry.unsafe:
                more = recipes.with_unsafe(recipe)
                spread = len({u.rsplit(":", 1)[0] for u in entry.unsafe})
                detail = (
                    f"{len(entry.unsafe)} edit(s) in {spread} file(s), asked apart (reasons:"
                    f" `migrate apply {recipe.id} --dry-run`)"
                )
                unsafe.append(Entry(more, "pending", detail, False, entry.unsafe))
    return [*planned.values(), *unsafe]


def _entry(
    root: Path,
    files: tuple[str, ...],
    recipe: Recipe,
    step: Step | None,
    planned: Mapping[str, Entry],
) -> Entry:
    if step is not None:
        return Entry(recipe, step.status, _step_detail(step))
    first = [r for r in recipe.requires if r not in planned or planned[r].status != "applied"]
    if first:  # what it would change depends on what they change first
        preselect = all(r in planned and planned[r].preselect for r in first)
        return Entry(recipe, "pending", f"after {', '.join(first)}", preselect)
    try:
        result = workflow.compute(root, recipe, files, workflow.ApplyOptions())
    except UserError as e:
        return Entry(recipe, "not applicable", e.message)
    unsafe = tuple(f"{f.path}:{f.line}" for f in result.findings if f.kind == UNSAFE)
    if not result.changes:
        return Entry(recipe, "not applicable", _why_nothing(result), unsafe=unsafe)
    return Entry(recipe, "pending", _summary(result), preselect=True, unsafe=unsafe)


def _step_detail(step: Step) -> str:
    if step.status == "reverted":
        failed = [c.name for c in step.checks if c.outcome == "failed"]
        return "failed " + (", ".join(failed) or "validation") + "; select it to try again"
    return f"{(step.commit or '')[:10]} {step.summary}".strip()


def _summary(result: TransformResult) -> str:
    counts = [f"{key} {value}" for key, value in result.counts.items() if value]
    return f"{len(result.changes)} file(s)" + (f": {', '.join(counts)}" if counts else "")


def _why_nothing(result: TransformResult) -> str:
    reasons = [*result.notes, *(f.message for f in result.findings if not f.edited)]
    return reasons[0] if reasons else "nothing to change"


def _plan_table(plan: Sequence[Entry]) -> Table:
    table = Table(title="The plan", title_justify="left")
    for column in ("phase", "recipe", "status", "what"):
        table.add_column(column)
    for title, entries in _sections(plan):
        for i, entry in enumerate(entries):
            style = render.OUTCOME_STYLE.get(entry.status, "")
            table.add_row(
                title if i == 0 else "",
                f"{entry.key}\n{entry.recipe.title}",
                Text(entry.status, style=style),
                entry.detail,
            )
        table.add_section()
    return table


def _sections(plan: Sequence[Entry], unsafe: bool = True) -> Iterator[tuple[str, list[Entry]]]:
    """The plan by phase, then the unsafe edits apart: (title, entries), none empty."""
    for phase in PHASES:
        entries = [e for e in plan if e.recipe.phase == phase and e.key == e.recipe.id]
        if entries:
            yield PHASE_TITLES[phase], entries
    apart = [e for e in plan if e.key != e.recipe.id]
    if apart and unsafe:
        yield "Unsafe edits", apart


def _pick(plan: Sequence[Entry]) -> list[Recipe]:
    choices: list[questionary.Choice | questionary.Separator] = []
    for title, entries in _sections(plan, unsafe=False):
        choices.append(questionary.Separator(f"── {title} ──"))
        for entry in entries:
            title = f"{entry.key}: {entry.recipe.title}"
            disabled = None if entry.selectable else entry.status
            choices.append(questionary.Choice(title, entry.key, disabled, entry.preselect))
    picked = set(_answer(questionary.checkbox("Recipes to apply", choices=choices)))
    return _unsafe_too([e.recipe for e in plan if e.key in picked], plan)


def _unsafe_too(chosen: Sequence[Recipe], plan: Sequence[Entry]) -> list[Recipe]:
    """For each picked recipe that leaves unsafe edits, ask (default no) whether to make them."""
    apart = {e.recipe.id: e for e in plan if e.key != e.recipe.id}
    out = []
    for recipe in chosen:
        entry = apart.get(recipe.id)
        if entry is not None:
            question = f"Also make the {len(entry.unsafe)} unsafe edit(s) of {recipe.id}?"
            recipe = entry.recipe if _confirm(question, default=False) else recipe
        out.append(recipe)
    return out


# ------------------------------------------------------------------------------------ applying


def _apply(
    out: Console, root: Path, chosen: Sequence[Recipe], ask: bool, brief: bool = False
) -> Session:
    listener = _GuideListener(out, ask, brief)
    quit_ = False
    # keep_going: after a failure the listener asks (or, with --yes, goes on).
    options = workflow.ApplyOptions(keep_going=True)
    try:
        workflow.apply(root, chosen, options, listener)
    except _Quit:
        quit_ = True
        out.print("\nstopped: the steps applied so far are kept; run `migrate` again to continue.")
    finally:
        listener.stop_live()
    return Session(tuple(listener.steps), quit_)


@dataclass
class _GuideListener(workflow.Listener):
    """Shows each step as the engine runs it, and asks what to do where the user decides."""

    out: Console
    ask: bool
    brief: bool = False  # one line per step: no header, no diff, no passing check
    steps: list[Step] = field(default_factory=list)
    shown: list[CheckResult] = field(default_factory=list)
    reverted: Step | None = None
    live: Progress | None = None

    def step_started(self, recipe: Recipe) -> None:
        if self.reverted is not None and self.ask:
            question = f"{self.reverted.recipe} was reverted. Go on with {recipe.id}?"
            if not _confirm(question):
                raise _Quit
        self.reverted = None
        if self.brief:
            return
        self.out.print()
        self.out.rule(Text(f"{recipe.id}: {recipe.title}", style="bold"), align="left")

    def approve(self, recipe: Recipe, result: TransformResult) -> TransformResult | None:
        if not self.brief:
            _print_preview(self.out, result)
        if not self.ask:
            return result
        return _decide(self.out, result)

    def check_started(self, recipe: Recipe, name: str) -> None:
        self.stop_live()
        if self.out.is_terminal:
            self.live = _spinner(self.out)
            self.live.add_task(f"    running  {name}", total=None)

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
                f"  reverted: the branch is back at {step.pre_commit[:10]} and the work tree is"
                " clean.",
                style="red",
            )

    def stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _spinner(out: Console) -> Progress:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    progress = Progress(*columns, console=out, transient=True)
    progress.start()
    return progress


def _print_check(out: Console, check: CheckResult) -> None:
    out.print(render.check_line(check))
    if check.outcome == "failed":
        tail = "\n".join("      " + line for line in check.detail.splitlines())
        out.print(Text(tail, style="red"))
        if check.log:
            out.print(f"    full output: {check.log}", markup=False)


def _print_preview(out: Console, result: TransformResult) -> None:
    """What the recipe will change: files, counts, notes, then the diff of each file."""
    out.print(f"  to change: {_summary(result)}", markup=False)
    for change in result.changes:
        added, removed = _line_counts(change)
        out.print(f"    {_verb(change):<8} {change.path}  +{added} −{removed}", markup=False)
    render.print_notes(out, result)
    for change in result.changes:
        render.print_diff(out, change)


def _line_counts(change: FileChange) -> tuple[int, int]:
    lines = render.unified_diff(change).splitlines()
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return added, removed


def _verb(change: FileChange) -> str:
    if change.before is None:
        return "create"
    return "delete" if change.after is None else "edit"


APPROVAL = (
    questionary.Choice("apply all", "all"),
    questionary.Choice("review file by file", "review"),
    questionary.Choice("skip this recipe", "skip"),
    questionary.Choice("quit (keep what was applied; `migrate` continues later)", "quit"),
)


def _decide(out: Console, result: TransformResult) -> TransformResult | None:
    choice = _answer(questionary.select("Apply these changes?", choices=list(APPROVAL)))
    if choice == "all":
        return result
    if choice == "review":
        return _review(out, result)
    if choice == "skip":
        return None
    raise _Quit


def _review(out: Console, result: TransformResult) -> TransformResult | None:
    """Each file's diff and a yes/no; the rejected files drop out of the result."""
    kept = []
    for index, change in enumerate(result.changes, 1):
        out.print(Text(f"\nfile {index}/{len(result.changes)}: {change.path}", style="bold"))
        render.print_diff(out, change)
        if _confirm(f"Apply the change to {change.path}?"):
            kept.append(change)
    return _keeping(result, kept) if kept else None


def _keeping(result: TransformResult, kept: Sequence[FileChange]) -> TransformResult:
    paths = {c.path for c in kept}
    rejected = [c.path for c in result.changes if c.path not in paths]
    if not rejected:
        return result
    # The transform's counts cover every file; say how many were left out rather than guess.
    return replace(
        result,
        changes=tuple(kept),
        findings=tuple(f for f in result.findings if f.path in paths or not f.edited),
        notes=(*result.notes, f"rejected in review: {', '.join(rejected)}"),
        counts={**result.counts, "files rejected in review": len(rejected)},
    )


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
    from migrate import report

    with gitrepo.open_repo(project.root) as r:
        run = journal.open_run_for(r, gitrepo.current_branch(r), gitrepo.head_sha(r))
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
    built = report.build(
        project.root,
        run.id,
        base_audit=before if run.base_commit == project.head else None,
        payloads=recorded,
        status=lambda what: out.status(what),
    )
    report.print_table(out, built)
    if session.quit:
        out.print("\nto continue: run `migrate` again on this branch.")
    if report_to is not None:
        report_to.write_text(report.as_markdown(built), encoding="utf-8")
        out.print(f"\nthe report as Markdown (for a pull request): {report_to}", markup=False)
