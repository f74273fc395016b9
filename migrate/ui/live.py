"""Each step as the engine runs it: its start, a spinner per running check, its result.

Nothing is shown live off a terminal or with `--quiet`: logs and pipes get the results only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migrate.engine.journal import CheckResult, Step
from migrate.engine.step import Listener
from migrate.model import Recipe, TransformResult
from migrate.ui import render

if TYPE_CHECKING:
    from rich.progress import Progress


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
