"""The guided migration (`migrate` in a terminal): audit, the plan by phase, pick, review, apply,
report. A thin interface: changes and commits come from `workflow`, measurements from `audit` and
`hooks.bench`; this module only shows, asks and reads the repository's state.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import questionary
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
)
from rich.table import Table
from rich.text import Text

from migrate import labels, recipes
from migrate.engine import apply, git, journal
from migrate.engine.compute import ApplyOptions, at_head, compute
from migrate.engine.journal import CheckResult, Run, Step
from migrate.engine.publish import resume
from migrate.engine.step import Listener
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, RepoStateError, UserError
from migrate.hooks.settings import SETTINGS_FILES
from migrate.model import PHASE_TITLES, PHASES, UNSAFE, FileChange, Recipe, TransformResult
from migrate.ui import hunks, render

if TYPE_CHECKING:
    from migrate.audit import AuditReport
    from migrate.engine.git import Repo

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
    if _dumb():
        answer = _line(f"{message} [{'Y/n' if default else 'y/N'}] ").lower()
        return default if not answer else answer.startswith("y")
    return bool(_answer(questionary.confirm(message, default=default)))


def _dumb() -> bool:
    """TERM=dumb: no cursor movement, so plain numbered prompts instead of questionary's."""
    return os.environ.get("TERM", "") == "dumb"


def _line(prompt: str) -> str:
    """One line typed by the user; end of input is Ctrl-C (nothing more will be answered)."""
    try:
        return input(prompt).strip()
    except EOFError:
        raise KeyboardInterrupt from None


def _select_plain(message: str, choices: Sequence[questionary.Choice]) -> Any:
    for n, choice in enumerate(choices, 1):
        print(f"  {n}) {choice.title}")
    while True:
        answer = _line(f"{message} [1-{len(choices)}, Enter: 1] ") or "1"
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1].value


def _checkbox_plain(message: str, choices: Sequence[questionary.Choice]) -> list[str]:
    offered = [c for c in choices if not c.disabled]
    for n, choice in enumerate(offered, 1):
        print(f"  {n}) [{'x' if choice.checked else ' '}] {choice.title}")
    while True:
        answer = _line(f"{message} (numbers, Enter: the [x] ones, 0: none) ")
        if not answer:
            return [str(c.value) for c in offered if c.checked]
        words = answer.replace(",", " ").split()
        if all(w.isdigit() and 0 <= int(w) <= len(offered) for w in words):
            return [str(offered[int(w) - 1].value) for w in words if w != "0"]


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
    if ask and not _confirm("Switch to its branch and continue it?"):
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
    if not yes and not (ask and _confirm(question)):
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
        at_head(root) as (tree, files),
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
    idle = [r for r in recipe.requires if r in planned and planned[r].status == "not applicable"]
    if idle:  # it builds on what they would change, and they change nothing here
        return Entry(recipe, "not applicable", f"needs {', '.join(idle)}, not applicable here")
    first = [r for r in recipe.requires if r not in planned or planned[r].status != "applied"]
    if first:  # what it would change depends on what they change first
        preselect = all(r in planned and planned[r].preselect for r in first)
        return Entry(recipe, "pending", f"after {', '.join(first)}", preselect)
    try:
        result = compute(root, recipe, files, ApplyOptions())
    except UserError as e:
        return Entry(recipe, "not applicable", e.message)
    unsafe = tuple(f"{f.path}:{f.line}" for f in result.findings if f.kind == UNSAFE)
    if not result.changes:
        return Entry(recipe, "not applicable", _why_nothing(result), unsafe=unsafe)
    return Entry(recipe, "pending", _summary(recipe, result), preselect=True, unsafe=unsafe)


def _step_detail(step: Step) -> str:
    if step.status == "reverted":
        failed = [c.name for c in step.checks if c.outcome == "failed"]
        return "failed " + (", ".join(failed) or "validation") + "; select it to try again"
    return f"{(step.commit or '')[:10]} {step.summary}".strip()


def _summary(recipe: Recipe, result: TransformResult) -> str:
    counts = labels.describe(recipe.transform, result.counts)
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
    if _dumb():
        options = [c for c in choices if isinstance(c, questionary.Choice)]
        picked = set(_checkbox_plain("Recipes to apply", options))
    else:
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
    except _Quit:
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
            raise _Quit
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
            _print_preview(self.out, recipe, result)
        if not self.ask:
            return result
        decision = _decide(self.out, result)
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
                and _confirm(
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


def _print_preview(out: Console, recipe: Recipe, result: TransformResult) -> None:
    """What the recipe will change: files, counts, notes, then the diff of each file (through
    the pager when it does not fit on the screen)."""
    with render.paged(out):
        out.print(f"  to change: {_summary(recipe, result)}", markup=False)
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
    questionary.Choice("review hunk by hunk (like git add -p)", "hunks"),
    questionary.Choice("review file by file", "files"),
    questionary.Choice("skip this recipe", "skip"),
    questionary.Choice("quit (keep what was applied; `migrate` continues later)", "quit"),
)


@dataclass(frozen=True)
class Decision:
    """What the review kept (None: skip the recipe) and whether the user asked to stop after it."""

    result: TransformResult | None
    quit: bool = False


def _decide(out: Console, result: TransformResult) -> Decision:
    if _dumb():
        choice = _select_plain("Apply these changes?", APPROVAL)
    else:
        choice = _answer(questionary.select("Apply these changes?", choices=list(APPROVAL)))
    if choice == "all":
        return Decision(result)
    if choice == "hunks":
        return _review(out, result, by_hunk=True)
    if choice == "files":
        return _review(out, result, by_hunk=False)
    if choice == "skip":
        return Decision(None)
    raise _Quit


HUNK_HELP = """y - apply this hunk
n - do not apply this hunk (you can come back to it before applying)
a - apply this hunk and the rest of this file
d - do not apply this hunk nor the rest of this file
A - apply this hunk and every remaining one (the rest of the recipe)
s - split this hunk into smaller hunks
q - quit: apply what was accepted so far, then stop
? - this help"""
FILE_HELP = """y - apply the change to this file
n - do not apply it (you can come back to it before applying)
a - apply this file and every remaining one
d - do not apply this file nor any remaining one
q - quit: apply what was accepted so far, then stop
? - this help"""
END_HELP = """y - apply what was accepted
r - review the skipped ones again
n - apply nothing of this recipe (skip it)
q - apply what was accepted, then stop
? - this help"""


@dataclass
class _Reviewed:
    """One file under review: its diff, its hunks (split ones replace the original), and the
    verdict per hunk, keyed by the opcodes the hunk changes."""

    shown: hunks.Diff
    units: list[hunks.Hunk]
    verdicts: dict[tuple[int, ...], bool] = field(default_factory=dict)

    def accepted(self) -> set[int]:
        return {i for h in self.units if self.verdicts.get(h.changes) for i in h.changes}


def _review(out: Console, result: TransformResult, by_hunk: bool) -> Decision:
    """`git add -p` over the recipe's changes (or file by file): accept, skip, split, accept or
    skip the rest, quit keeping what was accepted; skipped ones can be reviewed again."""
    files = [_reviewed(change, by_hunk) for change in result.changes]
    quit_ = _walk(out, files, by_hunk)
    while not quit_:
        skipped = sum(1 for f in files for h in f.units if f.verdicts.get(h.changes) is False)
        if not skipped:
            break
        accepted = sum(1 for f in files for h in f.units if f.verdicts.get(h.changes))
        what = "hunk(s)" if by_hunk else "file(s)"
        key = _choose(
            out, f"Apply the {accepted} accepted {what} ({skipped} skipped)", "yrnq", END_HELP
        )
        if key == "n":
            return Decision(None)
        if key != "r":
            quit_ = key == "q"
            break
        for f in files:
            f.verdicts = {k: v for k, v in f.verdicts.items() if v}
        quit_ = _walk(out, files, by_hunk)
    kept = [c for f in files if (c := f.shown.keeping(f.accepted())) is not None]
    return Decision(_keeping(result, kept) if kept else None, quit_)


def _reviewed(change: FileChange, by_hunk: bool) -> _Reviewed:
    shown = hunks.diff(change)
    units = shown.hunks()
    if not by_hunk:  # the whole file as one unit
        every = tuple(i for h in units for i in h.changes)
        units = [hunks.Hunk(tuple(op for h in units for op in h.opcodes), every)]
    return _Reviewed(shown, units)


def _walk(out: Console, files: Sequence[_Reviewed], by_hunk: bool) -> bool:
    """Ask about every hunk without a verdict; True when the user quit."""
    keys, help_ = ("ynadAsq", HUNK_HELP) if by_hunk else ("ynadq", FILE_HELP)
    for n, f in enumerate(files, 1):
        position = 0
        while position < len(f.units):
            hunk = f.units[position]
            if hunk.changes in f.verdicts:
                position += 1
                continue
            path = f.shown.change.path
            with render.paged(out):
                out.print(Text(f"\nfile {n}/{len(files)}: {path}", style="bold"))
                if by_hunk:
                    render.print_hunk(out, f.shown, hunk)
                else:
                    render.print_diff(out, f.shown.change)
            what = f"({position + 1}/{len(f.units)}) Apply this hunk to" if by_hunk else "Apply"
            allowed = keys if hunk.can_split() else keys.replace("s", "")
            key = _choose(out, f"{what} {path}", allowed, help_)
            if key == "q":
                return True
            if key == "s":
                f.units[position : position + 1] = f.shown.split(hunk)
                continue
            f.verdicts[hunk.changes] = key in "yaA"
            if key in "ad":
                for rest in f.units[position + 1 :]:
                    f.verdicts.setdefault(rest.changes, key == "a")
                if not by_hunk:
                    _rest_of_recipe(files, n, key == "a")
            if key == "A":
                _rest_of_recipe(files, n - 1, True)
            position += 1
    return False


def _rest_of_recipe(files: Sequence[_Reviewed], after: int, verdict: bool) -> None:
    """The same verdict for every hunk not yet decided, in the files after the `after`th."""
    for f in files[after:]:
        for hunk in f.units:
            f.verdicts.setdefault(hunk.changes, verdict)


def _choose(out: Console, question: str, allowed: str, help_: str) -> str:
    """git's `[y,n,q,...]?` prompt: a plain line read from the terminal (no cursor escapes,
    so it works under TERM=dumb); an empty or unknown answer shows the help and asks again."""
    while True:
        out.print(Text(f"{question} [{','.join(allowed)},?]? ", style="bold blue"), end="")
        try:
            answer = input().strip()
        except EOFError:
            return "q"
        if answer and answer[0] in allowed:
            return answer[0]
        out.print(help_, markup=False, style="red" if answer != "?" else "")


def _keeping(result: TransformResult, kept: Sequence[FileChange]) -> TransformResult:
    """The result with only what the review kept; notes and counts say what was left out."""
    paths = {c.path for c in kept}
    rejected = [c.path for c in result.changes if c.path not in paths]
    partial = [c.path for c in kept if c not in result.changes]
    if not rejected and not partial:
        return result
    notes, counts = list(result.notes), dict(result.counts)
    # The transform's counts cover every file; say how much was left out rather than guess.
    if rejected:
        notes.append(f"rejected in review: {', '.join(rejected)}")
        counts["files rejected in review"] = len(rejected)
    if partial:
        notes.append(f"some hunks rejected in review: {', '.join(partial)}")
        counts["files with hunks rejected in review"] = len(partial)
    return replace(
        result,
        changes=tuple(kept),
        findings=tuple(f for f in result.findings if f.path in paths or not f.edited),
        notes=tuple(notes),
        counts=counts,
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
    from migrate.ui import reports as report

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
