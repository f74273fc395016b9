"""The plan as the guide shows it: each recipe with its state here (applied, pending, nothing to
do, and why), by phase, and the recipes the user picks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import questionary
from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrate import labels, recipes
from migrate.engine.compute import ApplyOptions, at_head, compute
from migrate.engine.journal import Run, Step
from migrate.errors import UserError
from migrate.model import PHASE_TITLES, PHASES, UNSAFE, Recipe, TransformResult
from migrate.ui import render
from migrate.ui.prompts import answer, checkbox_plain, confirm, dumb

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Entry:
    """One recipe in the plan: its status here, why, and whether to offer it pre-selected."""

    recipe: Recipe
    status: str  # pending, applied, reverted, not applicable, blocked (a file stops it)
    detail: str = ""
    preselect: bool = False
    unsafe: tuple[str, ...] = ()  # the unsafe edits it leaves; in an `--unsafe` entry: makes

    @property
    def key(self) -> str:
        return f"{self.recipe.id} --unsafe" if self.recipe.params.get("unsafe") else self.recipe.id

    @property
    def selectable(self) -> bool:
        return self.status in ("pending", "reverted")


def build_plan(out: Console, root: Path, known: Iterable[Recipe], run: Run | None) -> list[Entry]:
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
        return Entry(recipe, step.status, step_detail(step))
    idle = [r for r in recipe.requires if r in planned and planned[r].status == "not applicable"]
    if idle:  # it builds on what they would change, and they change nothing here
        return Entry(recipe, "not applicable", f"needs {', '.join(idle)}, not applicable here")
    first = [r for r in recipe.requires if r not in planned or planned[r].status != "applied"]
    if first:  # what it would change depends on what they change first
        preselect = all(r in planned and planned[r].preselect for r in first)
        return Entry(recipe, "pending", f"after {', '.join(first)}", preselect)
    try:
        result = compute(root, recipe, files, ApplyOptions())
    except UserError as e:  # a file it cannot read or parse, or a bad parameter: it would apply
        return Entry(recipe, "blocked", e.message)
    unsafe = tuple(f"{f.path}:{f.line}" for f in result.findings if f.kind == UNSAFE)
    if not result.changes:
        return Entry(recipe, "not applicable", why_nothing(result), unsafe=unsafe)
    return Entry(recipe, "pending", summary_line(recipe, result), preselect=True, unsafe=unsafe)


def step_detail(step: Step) -> str:
    if step.status == "reverted":
        failed = [c.name for c in step.checks if c.outcome == "failed"]
        return "failed " + (", ".join(failed) or "validation") + "; select it to try again"
    return f"{(step.commit or '')[:10]} {step.summary}".strip()


def summary_line(recipe: Recipe, result: TransformResult) -> str:
    counts = labels.describe(recipe.transform, result.counts)
    return f"{len(result.changes)} file(s)" + (f": {', '.join(counts)}" if counts else "")


def why_nothing(result: TransformResult) -> str:
    reasons = [*result.notes, *(f.message for f in result.findings if not f.edited)]
    return reasons[0] if reasons else "nothing to change"


def plan_table(plan: Sequence[Entry]) -> Table:
    table = Table(title="The plan", title_justify="left")
    for column in ("phase", "recipe", "status", "what"):
        table.add_column(column)
    for title, entries in sections(plan):
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


def sections(plan: Sequence[Entry], unsafe: bool = True) -> Iterator[tuple[str, list[Entry]]]:
    """The plan by phase, then the unsafe edits apart: (title, entries), none empty."""
    for phase in PHASES:
        entries = [e for e in plan if e.recipe.phase == phase and e.key == e.recipe.id]
        if entries:
            yield PHASE_TITLES[phase], entries
    apart = [e for e in plan if e.key != e.recipe.id]
    if apart and unsafe:
        yield "Unsafe edits", apart


def pick(plan: Sequence[Entry]) -> list[Recipe]:
    choices: list[questionary.Choice | questionary.Separator] = []
    for title, entries in sections(plan, unsafe=False):
        choices.append(questionary.Separator(f"── {title} ──"))
        for entry in entries:
            title = f"{entry.key}: {entry.recipe.title}"
            disabled = None if entry.selectable else entry.status
            choices.append(questionary.Choice(title, entry.key, disabled, entry.preselect))
    if dumb():
        options = [c for c in choices if isinstance(c, questionary.Choice)]
        picked = set(checkbox_plain("Recipes to apply", options))
    else:
        picked = set(answer(questionary.checkbox("Recipes to apply", choices=choices)))
    return unsafe_too([e.recipe for e in plan if e.key in picked], plan)


def unsafe_too(chosen: Sequence[Recipe], plan: Sequence[Entry]) -> list[Recipe]:
    """For each picked recipe that leaves unsafe edits, ask (default no) whether to make them."""
    apart = {e.recipe.id: e for e in plan if e.key != e.recipe.id}
    out = []
    for recipe in chosen:
        entry = apart.get(recipe.id)
        if entry is not None:
            question = f"Also make the {len(entry.unsafe)} unsafe edit(s) of {recipe.id}?"
            recipe = entry.recipe if confirm(question, default=False) else recipe
        out.append(recipe)
    return out
