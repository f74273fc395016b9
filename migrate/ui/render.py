"""Rich renderings shared by the commands and the guide: diffs, recipe tables, step reports."""

from __future__ import annotations

import difflib
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.pager import Pager
from rich.table import Table
from rich.text import Text

from migrate.model import PHASE_TITLES, PHASES, UNSAFE, FileChange, Recipe, TransformResult
from migrate.ui import hunks, output

if TYPE_CHECKING:
    from rich.progress import Progress

    from migrate.engine.journal import CheckResult, Run, Step

OUTCOME_STYLE = {
    "passed": "green",
    "failed": "red",
    "no tests": "yellow",
    "skipped": "yellow",
    "fails": "yellow",
    "applied": "green",
    "reverted": "red",
    "interrupted": "red",
    "no-changes": "dim",
    "rolled-back": "yellow",
    "pending": "cyan",
    "not applicable": "dim",
    "blocked": "yellow",
}


def console(stderr: bool = False) -> Console:
    """A console that honours NO_COLOR and plain output when not on a terminal."""
    terminal = (sys.stderr if stderr else sys.stdout).isatty()
    # Logs and pipes get room for tables; rich would assume 80 columns.
    width = None if terminal else int(os.environ.get("COLUMNS") or 120)
    return _Console(stderr=stderr, highlight=False, soft_wrap=not terminal, width=width)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich exits 1 here ("a step failed"); the command line ends quietly, like git.
        raise BrokenPipeError


def unified_diff(change: FileChange) -> str:
    before = (change.before or "").splitlines(keepends=True)
    after = (change.after or "").splitlines(keepends=True)
    old = f"a/{change.path}" if change.before is not None else "/dev/null"
    new = f"b/{change.path}" if change.after is not None else "/dev/null"
    lines = difflib.unified_diff(before, after, old, new, n=2)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def print_diff(out: Console, change: FileChange) -> None:
    """The file's diff: plain unified diff text in a pipe; on a terminal every line keeps its
    `+`/`-` gutter when it wraps, and the changed part of a replaced line is highlighted."""
    if not out.is_terminal:
        out.print(unified_diff(change).replace("\r\n", "\n"), end="", markup=False)
        return
    out.print(Text(_file_header(change), style="bold"))
    shown = hunks.diff(change)
    for hunk in shown.hunks():
        print_hunk(out, shown, hunk)


def _file_header(change: FileChange) -> str:
    old = f"a/{change.path}" if change.before is not None else "/dev/null"
    new = f"b/{change.path}" if change.after is not None else "/dev/null"
    return f"--- {old}\n+++ {new}"


GUTTER_STYLE = {"-": "red", "+": "green", " ": ""}
# Reverse video survives NO_COLOR (only colours are dropped): the changed part stays visible.
CHANGED_STYLE = {"-": "bold reverse red", "+": "bold reverse green"}


def print_hunk(out: Console, shown: hunks.Diff, hunk: hunks.Hunk) -> None:
    out.print(Text(hunk.header, style="cyan"))
    width = max(out.width - 1, 20)
    for marker, line, other in shown.lines(hunk):
        text = _line_text(marker, line, other)
        rows = text.wrap(out, width, overflow="fold", no_wrap=False) if text.plain else [text]
        for row in rows:
            out.print(Text(marker, style=GUTTER_STYLE[marker]) + row, soft_wrap=True)


def _line_text(marker: str, line: str, other: str | None) -> Text:
    content = line.rstrip("\r\n").expandtabs(4)
    text = Text(content, style=GUTTER_STYLE[marker])
    if other is None or marker == " ":
        return text
    theirs = other.rstrip("\r\n").expandtabs(4)
    a, b = (theirs, content) if marker == "+" else (content, theirs)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        start, end = (j1, j2) if marker == "+" else (i1, i2)
        if tag != "equal" and end > start:
            text.stylize(CHANGED_STYLE[marker], start, end)
    return text


# ------------------------------------------------------------------------------------ the pager


def verbosity() -> int:
    return output.OPTIONS.verbosity


def pager_command() -> str | None:
    """The pager as git picks it: $PAGER, else `less`; "" or "cat" means none."""
    command = os.environ.get("PAGER", "less").strip()
    return None if command in ("", "cat") else command


@contextmanager
def paged(out: Console) -> Iterator[None]:
    """Long output through the pager the way git does it: only when stdout is a terminal, and
    only when it does not fit on the screen."""
    if not (output.OPTIONS.paging and out.is_terminal and pager_command()):
        yield
        return
    with out.pager(_Pager(out), styles=True):
        yield


class _Pager(Pager):
    def __init__(self, out: Console) -> None:
        self.out = out

    def show(self, content: str) -> None:
        command = pager_command()
        if command is None or content.count("\n") < self.out.height - 1:
            _write(content)
            return
        # git's defaults: quit if one screen, keep colours, leave the text on the screen.
        env = {**os.environ, "LESS": os.environ.get("LESS", "FRX"), "LV": "-c"}
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the pager
        try:
            shown = subprocess.run(command, shell=True, input=content, text=True, env=env)
        except OSError:
            shown = None
        finally:
            signal.signal(signal.SIGINT, previous)
        if shown is None or shown.returncode in (126, 127):  # no such pager: print it
            _write(content)


def _write(content: str) -> None:
    sys.stdout.write(content)
    sys.stdout.flush()


def print_result(out: Console, recipe: Recipe, result: TransformResult, diffs: bool = True) -> None:
    """What a recipe will change: files, counts, findings, notes, and the diff per file."""
    out.print(Text(f"{recipe.id}: {recipe.title}", style="bold"))
    if not result.changes:
        out.print("  nothing to change")
    print_notes(out, result)
    if diffs:
        for change in result.changes:
            print_diff(out, change)


def print_notes(out: Console, result: TransformResult) -> None:
    """The transform's notes and the findings it reported without editing."""
    for note in result.notes:
        out.print(f"  note: {note}", markup=False)
    for finding in result.findings:
        if not finding.edited and finding.kind != UNSAFE:
            out.print(f"  {finding.path}:{finding.line}: {finding.message}", markup=False)
    unsafe = [f for f in result.findings if f.kind == UNSAFE]
    if unsafe:
        out.print(f"  unsafe edits, not made ({len(unsafe)}; `--unsafe` makes them):", markup=False)
        for finding in unsafe:
            out.print(f"    {finding.path}:{finding.line}: {finding.message}", markup=False)


def recipes_table(recipes: Iterable[Recipe], status: Mapping[str, str]) -> Table:
    table = Table(title="Recipes by phase", show_lines=False)
    for column in ("phase", "id", "title", "status"):
        table.add_column(column)
    by_phase = sorted(recipes, key=lambda r: (PHASES.index(r.phase), r.order, r.id))
    for recipe in by_phase:
        state = status.get(recipe.id, "pending")
        table.add_row(
            PHASE_TITLES[recipe.phase],
            recipe.id,
            recipe.title,
            Text(state, style=OUTCOME_STYLE.get(state.split()[0], "")),
        )
    return table


def check_line(check: CheckResult) -> Text:
    line = Text("    ")
    line.append(f"{check.outcome:<8}", style=OUTCOME_STYLE.get(check.outcome, ""))
    line.append(f" {check.name}")
    if check.seconds:
        line.append(f" ({check.seconds:.1f} s)", style="dim")
    first = check.detail.splitlines()[0] if check.detail else ""
    if first and check.outcome != "failed":
        line.append(f" — {first}", style="dim")
    return line


def print_step(out: Console, step: Step) -> None:
    line = Text(f"{step.status:<12}", style=OUTCOME_STYLE.get(step.status, ""))
    line.append(f" {step.recipe}")
    if step.commit:
        line.append(f" {step.commit[:10]}", style="dim")
    if step.summary:
        line.append(f"  {step.summary}")
    out.print(line)
    for check in step.checks:
        out.print(check_line(check))
        if check.outcome == "failed":
            out.print(Text(_indent(check.detail), style="red"))
            if check.log:
                out.print(f"    full output: {check.log}", markup=False)


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def print_run(out: Console, run: Run, steps: Sequence[Step] | None = None) -> None:
    where = "in place on" if run.in_place else "on branch"
    out.print(Text(f"run {run.id} {where} {run.branch or '(detached)'}", style="bold"))
    base = f"base {run.base_commit[:10]}" + (f" ({run.base_branch})" if run.base_branch else "")
    out.print(f"  {base}, state: {run.state}", markup=False)
    for step in run.steps if steps is None else steps:
        print_step(out, step)


def spinner(out: Console, description: str) -> Progress:
    """A running spinner with the elapsed time, gone once stopped (callers show it only on a
    terminal: nothing changes in a pipe or a log)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    progress = Progress(*columns, console=out, transient=True)
    progress.add_task(description, total=None)
    progress.start()
    return progress


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
