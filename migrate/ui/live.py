"""Live output while the engine works: progress on stderr, and each step as it runs.

Nothing is shown live off a terminal or with `--quiet`: logs and pipes get the results only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.engine.journal import CheckResult, Step
from migrate.engine.step import Listener
from migrate.model import Recipe, TransformResult
from migrate.ui import render

if TYPE_CHECKING:
    from rich.progress import Progress

    from migrate.audit import AuditReport


def audit(root: Path, paths: Sequence[str], options: Any) -> AuditReport:
    """The audit, with a progress bar on a terminal (the files done of those listed)."""
    from rich.progress import Progress

    from migrate import audit as auditing

    err = render.console(stderr=True)
    if not err.is_terminal or render.verbosity() < 0:
        return auditing.audit(root, paths, options=options)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("auditing", total=None)
        return auditing.audit(
            root,
            paths,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            options=options,
        )


@contextmanager
def counting(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A live "what  done/total" line on stderr in a terminal (None elsewhere: no progress)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    err = render.console(stderr=True)
    if not err.is_terminal or render.verbosity() < 0:
        yield None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


class StepPrinter(Listener):
    """Prints each step as it starts and ends (on stderr with `quiet`, for --json), a spinner
    per running check, and with `diffs` what each step changes."""

    def __init__(self, quiet: bool, diffs: bool = False) -> None:
        self.out = render.console(stderr=quiet)
        self.silent = render.verbosity() < 0  # --quiet: only the failures and the result
        self.diffs = diffs or render.verbosity() > 0
        self.live: Progress | None = None

    def note(self, message: str) -> None:
        self.out.print(message, markup=False)

    def check_started(self, recipe: Recipe, name: str) -> None:
        self.stop_live()
        if self.out.is_terminal and not self.silent:
            self.live = render.spinner(self.out, f"    running  {name}")

    def check_finished(self, recipe: Recipe, result: CheckResult) -> None:
        self.stop_live()

    def stop_live(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def step_started(self, recipe: Recipe) -> None:
        if not self.silent:
            self.out.print(f"[bold]→ {recipe.id}[/bold]: {recipe.title}")

    def approve(self, recipe: Recipe, result: TransformResult) -> TransformResult | None:
        if self.diffs:
            render.print_result(self.out, recipe, result)
        return result

    def step_finished(self, recipe: Recipe, step: Step, result: TransformResult | None) -> None:
        self.stop_live()
        if self.silent and step.status != "reverted":
            return
        render.print_step(self.out, step)
        if result is not None:
            render.print_notes(self.out, result)
