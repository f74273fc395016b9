"""`migrate apply`, `status`, `rollback` and `recover` as the user sees them: options checked,
the engine called, its result printed (or printed as JSON)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrate import recipes
from migrate.engine import apply, git, journal, rollback
from migrate.engine.compute import ApplyOptions, preview
from migrate.engine.recover import recover
from migrate.engine.safety import Lock
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED, UserError
from migrate.model import Recipe
from migrate.ui import live, render, shapes
from migrate.ui.recipe_view import load


@dataclass(frozen=True)
class ApplyFlags:
    """The boolean options of `migrate apply`."""

    all_recipes: bool
    in_place: bool
    stash: bool
    dry_run: bool
    validated: bool
    bisect: bool
    unsafe: bool
    keep_going: bool
    skip_unparsable: bool
    skip_unreadable: bool
    check: bool
    as_json: bool


def run_apply(
    repo: Path,
    extra: Sequence[Path],
    recipe_ids: Sequence[str],
    flags: ApplyFlags,
    branch: str | None,
) -> int:
    """`migrate apply`."""
    known = load(repo, extra)
    if not recipe_ids and not flags.all_recipes:
        raise UserError("name the recipes to apply (see `migrate list`), or pass --all.")
    chosen = recipes.select_recipes(known, list(known) if flags.all_recipes else recipe_ids)
    if flags.unsafe:
        chosen = [recipes.with_unsafe(r) for r in chosen]
    dry_run, validated, as_json = flags.dry_run, flags.validated, flags.as_json
    options = ApplyOptions(
        branch,
        flags.in_place,
        flags.keep_going,
        skip_unparsable=flags.skip_unparsable,
        skip_unreadable=flags.skip_unreadable,
        dry=dry_run and validated,
        bisect=flags.bisect,
    )
    if validated and not dry_run:
        raise UserError("--validate goes with --dry-run (a real apply always validates).")
    if flags.check and not dry_run:
        raise UserError("--check goes with --dry-run (it reports, it never applies).")
    if dry_run and not validated:
        return _dry_run(repo, chosen, as_json, options, flags.check)
    listener = live.StepPrinter(quiet=as_json, diffs=options.dry)
    if flags.stash:
        listener.note(
            "--stash is no longer needed: a run works in its own worktree and never touches"
            " your uncommitted changes."
        )
    report = apply.apply(repo, chosen, options, listener)
    if as_json:
        shapes.echo(_report_json(report, git.top(repo) or repo.resolve()))
    else:
        _print_report(report)
    return report.exit_code


def _dry_run(
    repo: Path, chosen: Sequence[Recipe], as_json: bool, options: ApplyOptions, check: bool
) -> int:
    """What would change; with `check` the exit code says whether anything would (CI gate)."""
    results = preview(repo, chosen, options)
    code = EXIT_STEP_FAILED if check and any(res.changes for _, res in results) else EXIT_OK
    if as_json:
        shown = [
            shapes.preview(r, res, "".join(render.unified_diff(c) for c in res.changes))
            for r, res in results
        ]
        body = {"would_change": any(res.changes for _, res in results), "recipes": shown}
        shapes.echo(shapes.envelope("preview", git.top(repo) or repo.resolve(), body))
        return code
    out = render.console()
    with render.paged(out):
        for recipe, result in results:
            render.print_result(out, recipe, result)
    return code


def _report_json(report: apply.ApplyReport, root: Path) -> dict[str, object]:
    body = {
        "dry_run": report.dry,
        "run": shapes.run(report.run, root),
        "steps": [shapes.step(step, root) for step in report.steps],
        "where": report.where,
        "left_out": list(report.left_out),
        "exit_code": report.exit_code,
    }
    return shapes.envelope("apply", root, body)


def _print_report(report: apply.ApplyReport) -> None:
    out = render.console()
    run = report.run
    applied = [s for s in report.steps if s.status == "applied"]
    if report.dry:
        passed = f"{len(applied)} of {len(report.steps)} step(s) would apply"
        out.print(f"\ndry run: {passed}; nothing was kept, the repository is unchanged.")
        return
    out.print(
        f"\nrun {run.id}: {len(applied)} step(s) applied on "
        f"{'the current branch' if run.in_place else run.branch}."
    )
    if report.exit_code:
        out.print("[red]a step failed validation and was reverted.[/red]")
    if report.where:
        out.print(report.where + ".", markup=False)
    if report.left_out:
        shown = ", ".join(report.left_out[:5]) + (" ..." if len(report.left_out) > 5 else "")
        out.print(
            f"not included (uncommitted in your tree, left as they are): {shown}", markup=False
        )
    if applied:
        out.print(f"undo everything: migrate rollback --all   (or: git checkout {run.base_branch})")


def status(repo: Path, as_json: bool) -> None:
    """`migrate status`: the run HEAD is on, else one started here, and a dead run's lock."""
    with git.open_repo(repo) as r:
        root = git.root(r)
        branch = git.current_branch(r)
        run = journal.current_run(r)
        holder = Lock(journal.folder(r)).read()
        elsewhere = journal.open_run_based_on(r, branch) if run is None else None
        started_here = [x for x in journal.load_runs(r) if x.base_branch == branch]
    interrupted = holder is not None and not holder.alive()
    last = started_here[-1] if run is None and started_here else None
    if as_json:
        shown = {
            "run": shapes.run(run, root) if run else None,
            "last_run": shapes.run(last, root) if last else None,
            "interrupted": interrupted,
        }
        shapes.echo(shapes.envelope("status", root, shown))
        return
    out = render.console()
    if interrupted:
        out.print(
            "[yellow]a run was killed here; the next command (or `migrate recover`) cleans up"
            " after it.[/yellow]"
        )
    if run is not None:
        render.print_run(out, run)
    elif elsewhere is not None:
        out.print(f"run {elsewhere.id} started here is open on branch {elsewhere.branch}.")
    elif last is not None:
        out.print("no open migration run on this branch; the last run started here:")
        render.print_run(out, last)
    else:
        out.print("no open migration run on this branch.")


def run_rollback(
    repo: Path,
    extra: Sequence[Path],
    what: Mapping[str, str | None],
    everything: bool,
    delete: Callable[[], bool],
    with_dependents: bool,
) -> None:
    """`migrate rollback`: exactly one of a recipe, a file, a hook (`what`) or everything;
    `delete` says whether to delete the run's branch too (asked only for --all)."""
    recipe_id, file_path, hook = what["recipe"], what["file"], what["hook"]
    chosen = [x for x in (recipe_id, file_path, hook) if x] + (["--all"] if everything else [])
    if len(chosen) != 1:
        raise UserError("name exactly one of: a recipe, --file PATH, --disable-hook NAME, --all.")
    out = render.console()

    def note(message: str) -> None:
        out.print(message, markup=False)

    if everything:
        message = rollback.all_steps(repo, delete_branch=delete(), note=note)
    elif recipe_id:
        requires = {r.id: r.requires for r in load(repo, extra).values()}
        message = rollback.step(repo, recipe_id, requires, with_dependents, note)
    elif file_path:
        message = rollback.file(repo, file_path, note)
    else:
        message = rollback.disable_hook(repo, str(hook), note)
    out.print(message, markup=False)


def run_recover(repo: Path) -> None:
    render.console().print(recover(repo) or "nothing to recover.", markup=False)
