"""`migrate list` and `migrate show`: the recipes, and what each would do here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from migrate import recipes
from migrate.engine import git, journal
from migrate.model import PHASES, Recipe
from migrate.ui import render, shapes


def load(repo: Path, extra: Sequence[Path]) -> dict[str, Recipe]:
    """The built-in recipes, the repository's `.migrate/recipes/` and the `extra` folders."""
    return recipes.load_all(recipes.recipe_dirs(git.top(repo), extra))


def list_recipes(repo: Path, extra: Sequence[Path], as_json: bool) -> None:
    known, status = load(repo, extra).values(), journal.recipe_status(repo)
    if as_json:
        top = git.top(repo)
        ordered = sorted(known, key=lambda r: (PHASES.index(r.phase), r.order, r.id))
        rows = [shapes.recipe_summary(r, status.get(r.id, "pending"), top) for r in ordered]
        shapes.echo(shapes.envelope("recipe_list", top or repo.resolve(), {"recipes": rows}))
        return
    render.console().print(render.recipes_table(known, status))


def show_recipe(repo: Path, extra: Sequence[Path], recipe_id: str, as_json: bool) -> None:
    recipe = recipes.select_recipes(load(repo, extra), [recipe_id])[0]
    top = git.top(repo)
    explained = _explain(recipe, top)
    if as_json:
        body = {"recipe": shapes.recipe_detail(recipe, top), "in_this_repository": explained}
        shapes.echo(shapes.envelope("recipe", top or repo.resolve(), body))
        return
    out = render.console()
    out.print(f"[bold]{recipe.id}[/bold]: {recipe.title}")
    out.print(f"phase: {recipe.phase}, order {recipe.order}; transform: {recipe.transform}")
    out.print(f"file: {recipe.source}", markup=False)
    out.print(f"paths: {', '.join(recipe.paths)}", markup=False)
    if recipe.requires:
        out.print(f"requires: {', '.join(recipe.requires)}")
    out.print(recipe.description, markup=False)
    for key, value in recipe.params.items():
        out.print(f"  params.{key} = {json.dumps(value)}", markup=False)
    for key, value in recipe.validate.items():
        out.print(f"  validate.{key} = {json.dumps(value)}", markup=False)
    if explained:
        out.print("\n[bold]in this repository[/bold]")
        for line in explained:
            out.print(f"  {line}", markup=False)


def _explain(recipe: Recipe, top: Path | None) -> list[str]:
    """What the recipe would find in this repository, for the recipes that can say."""
    if recipe.transform != "parallel-hook-runner" or top is None:
        return []
    from migrate.files import Snapshot
    from migrate.transforms import parallel_runner

    return list(parallel_runner.explain(Snapshot(top, ()), recipe.params))
