"""The command line: parse, call the workflow, render. One error boundary in `main`.

Each command imports what it needs: GitPython and rich take a quarter of a second to import,
and `migrate audit --json` needs neither.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from migrate import __version__
from migrate.engine import git
from migrate.errors import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REPO_STATE,
    EXIT_STEP_FAILED,
    EXIT_USAGE,
    Interrupted,
    UserError,
)
from migrate.model import Recipe, TransformResult

if TYPE_CHECKING:
    from rich.progress import Progress

    from migrate.engine import apply as applying
    from migrate.engine.compute import ApplyOptions
    from migrate.engine.step import Listener

REPO_OPTION = click.option(
    "-C",
    "--repo",
    "repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The repository to work on (default: the current folder).",
)
RECIPES_OPTION = click.option(
    "--recipes",
    "recipe_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Another folder of recipe TOML files (may repeat).",
)


def _load(repo: Path, extra: Sequence[Path]) -> dict[str, Recipe]:
    from migrate import recipes

    top = git.top(repo)
    return recipes.load_all(recipes.recipe_dirs(top, extra))


def recipe_status(repo: Path) -> dict[str, str]:
    """Each recipe's state in the run HEAD is on (applied, reverted, ...)."""
    from migrate.engine import git, journal

    top = git.top(repo)
    if top is None:
        return {}
    with git.open_repo(top) as r:
        if git.head_sha(r) is None:
            return {}
        run = journal.current_run(r)
        return dict(run.last_status()) if run else {}


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="migrate")
@click.option(
    "-C",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Run as if migrate was started in DIR (like git -C).",
)
@click.option("--no-pager", is_flag=True, help="Never send long output through a pager.")
@click.option("-q", "--quiet", is_flag=True, help="Say only what went wrong and the result.")
@click.option("-v", "--verbose", is_flag=True, help="Also show each step's diff and checks.")
@click.pass_context
def cli(
    ctx: click.Context, directory: Path | None, no_pager: bool, quiet: bool, verbose: bool
) -> int | None:
    """Apply a maintenance plan to a git repository as validated, revertible commits.

    Without a command, in a terminal: the guided migration (`migrate guide`).

    \b
    Example:
      migrate -C ~/src/project apply subprocess-timeouts --dry-run
    """
    import os

    from migrate.ui import output

    if quiet and verbose:
        raise UserError("choose one of --quiet and --verbose.")
    if directory is not None:
        os.chdir(directory)
    output.set_options(paging=not no_pager, verbosity=-1 if quiet else 1 if verbose else 0)
    if ctx.invoked_subcommand is None:
        code: int = ctx.invoke(guide)
        return code
    return None


@cli.command()
@click.option("--yes", "-y", is_flag=True, help="Never ask: apply every pending recipe.")
@REPO_OPTION
@RECIPES_OPTION
def guide(yes: bool, repo: Path, recipe_dirs: tuple[Path, ...]) -> int:
    """The guided migration: audit, pick recipes, review diffs, apply, report.

    \b
    Example:
      migrate guide
    """
    from migrate.ui import guide as guided

    code: int = guided.run(repo, yes=yes, recipe_dirs=recipe_dirs)
    return code


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the recipes as JSON.")
@REPO_OPTION
@RECIPES_OPTION
def list_cmd(as_json: bool, repo: Path, recipe_dirs: tuple[Path, ...]) -> int:
    """The recipes by phase, with their status in this repository.

    \b
    Example:
      migrate list --json
    """
    from migrate.ui import render

    known, status = _load(repo, recipe_dirs).values(), recipe_status(repo)
    if as_json:
        from migrate.model import PHASES
        from migrate.ui import shapes

        top = git.top(repo)
        ordered = sorted(known, key=lambda r: (PHASES.index(r.phase), r.order, r.id))
        rows = [shapes.recipe_summary(r, status.get(r.id, "pending"), top) for r in ordered]
        _echo_json(shapes.envelope("recipe_list", top or repo.resolve(), {"recipes": rows}))
        return EXIT_OK
    render.console().print(render.recipes_table(known, status))
    return EXIT_OK


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@cli.command()
@click.argument("recipe_id")
@click.option("--json", "as_json", is_flag=True, help="Print the recipe as JSON.")
@REPO_OPTION
@RECIPES_OPTION
def show(recipe_id: str, as_json: bool, repo: Path, recipe_dirs: tuple[Path, ...]) -> int:
    """One recipe: what it does, its parameters and validation.

    \b
    Example:
      migrate show subprocess-timeouts
    """
    from migrate import recipes
    from migrate.ui import render

    recipe = recipes.select_recipes(_load(repo, recipe_dirs), [recipe_id])[0]
    top = git.top(repo)
    explained = _explain(recipe, top)
    if as_json:
        from migrate.ui import shapes

        body = {"recipe": shapes.recipe_detail(recipe, top), "in_this_repository": explained}
        _echo_json(shapes.envelope("recipe", top or repo.resolve(), body))
        return EXIT_OK
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
    return EXIT_OK


def _explain(recipe: Recipe, top: Path | None) -> list[str]:
    """What the recipe would find in this repository, for the recipes that can say."""
    if recipe.transform != "parallel-hook-runner" or top is None:
        return []
    from migrate.files import Snapshot
    from migrate.transforms import parallel_runner

    return list(parallel_runner.explain(Snapshot(top, ()), recipe.params))


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--sarif", is_flag=True, help="Print SARIF 2.1.0 (GitHub code scanning).")
@click.option("--fail-on-findings", is_flag=True, help="Exit 1 when there are findings.")
@REPO_OPTION
def audit(
    paths: tuple[str, ...], as_json: bool, sarif: bool, fail_on_findings: bool, repo: Path
) -> int:
    """The plan's threading audit, exact: subprocess timeouts, pools, hooks per event.

    \b
    Example:
      migrate audit --sarif > audit.sarif
    """
    from migrate import audit as auditing

    if as_json and sarif:
        raise UserError("choose one of --json and --sarif.")
    root = git.top(repo) or repo
    chosen = [str(Path(p).resolve()) for p in paths]
    options = auditing.recipe_options(root)
    if as_json or sarif:
        report = auditing.audit(root, chosen, options=options)
        shown = auditing.as_json(report) if as_json else auditing.as_sarif(report)
        click.echo(json.dumps(shown, indent=2))
    else:
        from migrate.ui import audit_view, render

        report = _audit_with_progress(root, chosen, options)
        audit_view.render(report, render.console())
    # Informational findings (e.g. **kwargs calls left alone) never fail a CI job.
    return EXIT_STEP_FAILED if fail_on_findings and report.issues_count else EXIT_OK


def _audit_with_progress(root: Path, paths: Sequence[str], options: Any) -> Any:
    from rich.progress import Progress

    from migrate import audit as auditing
    from migrate.ui import render

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
def _counting(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A live "what  done/total" line on stderr in a terminal (None elsewhere: no progress)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from migrate.ui import render

    err = render.console(stderr=True)
    if not err.is_terminal or render.verbosity() < 0:
        yield None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _listener(quiet: bool, diffs: bool = False) -> Listener:
    """Prints each step as it starts and ends (on stderr with --json), and with `diffs` what
    each step changes."""
    from migrate.engine import journal
    from migrate.engine.step import Listener
    from migrate.ui import render

    out = render.console(stderr=quiet)
    silent = render.verbosity() < 0  # --quiet: only the failures and the result
    diffs = diffs or render.verbosity() > 0

    class Printer(Listener):
        live: Progress | None = None

        def note(self, message: str) -> None:
            out.print(message, markup=False)

        def check_started(self, recipe: Recipe, name: str) -> None:
            self.stop_live()
            if out.is_terminal and not silent:
                self.live = render.spinner(out, f"    running  {name}")

        def check_finished(self, recipe: Recipe, result: journal.CheckResult) -> None:
            self.stop_live()

        def stop_live(self) -> None:
            if self.live is not None:
                self.live.stop()
                self.live = None

        def step_started(self, recipe: Recipe) -> None:
            if not silent:
                out.print(f"[bold]→ {recipe.id}[/bold]: {recipe.title}")

        def approve(self, recipe: Recipe, result: TransformResult) -> TransformResult | None:
            if diffs:
                render.print_result(out, recipe, result)
            return result

        def step_finished(
            self, recipe: Recipe, step: journal.Step, result: TransformResult | None
        ) -> None:
            self.stop_live()
            if silent and step.status != "reverted":
                return
            render.print_step(out, step)
            if result is not None:
                render.print_notes(out, result)

    return Printer()


@cli.command()
@click.argument("recipe_ids", nargs=-1)
@click.option("--all", "all_recipes", is_flag=True, help="Every recipe, in plan order.")
@click.option("--branch", help="Branch to create or continue (default: migrate/<run>).")
@click.option("--in-place", is_flag=True, help="Commit on the current branch (or detached HEAD).")
@click.option("--stash", is_flag=True, hidden=True, help="No longer needed (accepted).")
@click.option("--dry-run", is_flag=True, help="Show the diff; change nothing.")
@click.option(
    "--validate",
    "validated",
    is_flag=True,
    help="With --dry-run: also build and check every step in a throwaway worktree.",
)
@click.option(
    "--bisect", is_flag=True, help="A failed step over several files keeps the files that pass."
)
@click.option(
    "--unsafe",
    is_flag=True,
    help="Also make the edits listed as unsafe (they may change behaviour).",
)
@click.option("--keep-going", is_flag=True, help="Go on with the next recipe after a failure.")
@click.option(
    "--skip-unparsable", is_flag=True, help="Apply to the files that parse, report the rest."
)
@click.option(
    "--skip-unreadable", is_flag=True, help="Apply to the files that are text, report the rest."
)
@click.option(
    "--check", is_flag=True, help="With --dry-run: exit 1 when a recipe would change something."
)
@click.option("--yes", "-y", is_flag=True, help="Never ask (scripts, CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@REPO_OPTION
@RECIPES_OPTION
def apply(
    recipe_ids: tuple[str, ...],
    all_recipes: bool,
    branch: str | None,
    in_place: bool,
    stash: bool,
    dry_run: bool,
    validated: bool,
    bisect: bool,
    unsafe: bool,
    keep_going: bool,
    skip_unparsable: bool,
    skip_unreadable: bool,
    check: bool,
    yes: bool,
    as_json: bool,
    repo: Path,
    recipe_dirs: tuple[Path, ...],
) -> int:
    """Apply recipes, one validated commit each; a step that fails validation is reverted.

    \b
    Example:
      migrate apply subprocess-timeouts --dry-run
    """
    from migrate import recipes
    from migrate.engine import apply as applying
    from migrate.engine.compute import ApplyOptions

    known = _load(repo, recipe_dirs)
    if not recipe_ids and not all_recipes:
        raise UserError("name the recipes to apply (see `migrate list`), or pass --all.")
    chosen = recipes.select_recipes(known, list(known) if all_recipes else recipe_ids)
    if unsafe:
        chosen = [recipes.with_unsafe(r) for r in chosen]
    options = ApplyOptions(
        branch,
        in_place,
        keep_going,
        skip_unparsable=skip_unparsable,
        skip_unreadable=skip_unreadable,
        dry=dry_run and validated,
        bisect=bisect,
    )
    if validated and not dry_run:
        raise UserError("--validate goes with --dry-run (a real apply always validates).")
    if check and not dry_run:
        raise UserError("--check goes with --dry-run (it reports, it never applies).")
    if dry_run and not validated:
        return _dry_run(repo, chosen, as_json, options, check)
    listener = _listener(quiet=as_json, diffs=options.dry)
    if stash:
        listener.note(
            "--stash is no longer needed: a run works in its own worktree and never touches"
            " your uncommitted changes."
        )
    report = applying.apply(repo, chosen, options, listener)
    if as_json:
        _echo_json(_report_json(report, git.top(repo) or repo.resolve()))
    else:
        _print_report(report)
    return report.exit_code


def _dry_run(
    repo: Path,
    chosen: Sequence[Recipe],
    as_json: bool,
    options: ApplyOptions,
    check: bool = False,
) -> int:
    """What would change; with `check` the exit code says whether anything would (CI gate)."""
    from migrate.engine.compute import preview
    from migrate.ui import render

    results = preview(repo, chosen, options)
    code = EXIT_STEP_FAILED if check and any(res.changes for _, res in results) else EXIT_OK
    if as_json:
        from migrate.ui import shapes

        shown = [
            shapes.preview(r, res, "".join(render.unified_diff(c) for c in res.changes))
            for r, res in results
        ]
        body = {"would_change": any(res.changes for _, res in results), "recipes": shown}
        _echo_json(shapes.envelope("preview", git.top(repo) or repo.resolve(), body))
        return code
    out = render.console()
    with render.paged(out):
        for recipe, result in results:
            render.print_result(out, recipe, result)
    return code


def _report_json(report: applying.ApplyReport, root: Path) -> dict[str, object]:
    from migrate.ui import shapes

    body = {
        "dry_run": report.dry,
        "run": shapes.run(report.run, root),
        "steps": [shapes.step(step, root) for step in report.steps],
        "where": report.where,
        "left_out": list(report.left_out),
        "exit_code": report.exit_code,
    }
    return shapes.envelope("apply", root, body)


def _print_report(report: applying.ApplyReport) -> None:
    from migrate.ui import render

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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@REPO_OPTION
def status(as_json: bool, repo: Path) -> int:
    """The run HEAD is on: branch, base, steps and their results.

    \b
    Example:
      migrate status --json
    """
    from migrate.engine import git, journal
    from migrate.engine.safety import Lock
    from migrate.ui import render

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
        from migrate.ui import shapes

        shown = {
            "run": shapes.run(run, root) if run else None,
            "last_run": shapes.run(last, root) if last else None,
            "interrupted": interrupted,
        }
        _echo_json(shapes.envelope("status", root, shown))
        return EXIT_OK
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
    return EXIT_OK


@cli.command("rollback")
@click.argument("recipe_id", required=False)
@click.option("--file", "file_path", help="Restore one file to its version before the run.")
@click.option("--disable-hook", "hook", help="Remove a hook's registrations from settings.json.")
@click.option("--all", "everything", is_flag=True, help="Return to the state before the run.")
@click.option("--yes", "-y", is_flag=True, help="Also delete the migration branch (kept as a ref).")
@click.option(
    "--with-dependents", is_flag=True, help="Also roll back the applied steps that require it."
)
@REPO_OPTION
@RECIPES_OPTION
def rollback_cmd(
    recipe_id: str | None,
    file_path: str | None,
    hook: str | None,
    everything: bool,
    yes: bool,
    with_dependents: bool,
    repo: Path,
    recipe_dirs: tuple[Path, ...],
) -> int:
    """Undo a step, a file, a hook registration, or the whole run.

    \b
    Example:
      migrate rollback max-workers
    """
    from migrate.engine import rollback
    from migrate.ui import render

    chosen = [x for x in (recipe_id, file_path, hook) if x] + (["--all"] if everything else [])
    if len(chosen) != 1:
        raise UserError("name exactly one of: a recipe, --file PATH, --disable-hook NAME, --all.")
    note = _printer()
    if everything:
        delete = yes or (render.is_interactive() and click.confirm("Delete the migration branch?"))
        message = rollback.all_steps(repo, delete_branch=delete, note=note)
    elif recipe_id:
        requires = {r.id: r.requires for r in _load(repo, recipe_dirs).values()}
        message = rollback.step(repo, recipe_id, requires, with_dependents, note)
    elif file_path:
        message = rollback.file(repo, file_path, note)
    else:
        message = _disable_hook(repo, str(hook), note)
    render.console().print(message, markup=False)
    return EXIT_OK


def _printer() -> Callable[[str], None]:
    from migrate.ui import render

    out = render.console()
    return lambda message: out.print(message, markup=False)


def _disable_hook(repo: Path, name: str, note: Callable[[str], None]) -> str:
    from migrate.engine import rollback
    from migrate.hooks import settings_edit

    path = ".claude/settings.json"
    sha = rollback.edit_and_commit(
        repo,
        path,
        lambda text: settings_edit.disable(text, path, name),
        f"disable hook {name}",
        f"Migrate-Disable-Hook: {name}",
        note,
    )
    return f"disabled hook {name} with commit {sha[:10]}." if sha else "nothing to change."


@cli.command()
@click.option("--yes", "-y", is_flag=True, hidden=True, help="Accepted; recovery never asks.")
@REPO_OPTION
def recover(yes: bool, repo: Path) -> int:
    """Clean up after a run that was killed: its checks, its worktree, its lock.

    \b
    Example:
      migrate recover
    """
    from migrate.engine.recover import recover
    from migrate.ui import render

    message = recover(repo)
    render.console().print(message or "nothing to recover.", markup=False)
    return EXIT_OK


@cli.command()
@click.option("--run", "run_id", help="The run to report (default: the open run HEAD is on).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help="markdown: for `gh pr create --body-file`; json: see docs/report.md.",
)
@REPO_OPTION
def report(run_id: str | None, fmt: str, repo: Path) -> int:
    """What a run did: the plan's success metrics before and after, per recipe, commits.

    \b
    Example:
      migrate report --format markdown > pr.md && gh pr create --body-file pr.md
    """
    from migrate.ui import render
    from migrate.ui import reports as reporting

    out = render.console(stderr=fmt != "table")
    built = reporting.build(repo, run_id, status=lambda what: out.status(what))
    if fmt == "json":
        click.echo(json.dumps(reporting.as_json(built), indent=2))
    elif fmt == "markdown":
        click.echo(reporting.as_markdown(built), nl=False)
    else:
        reporting.print_table(out, built)
    return EXIT_OK


@cli.command()
@click.option(
    "--keep",
    type=click.Path(path_type=Path),
    help="Build the example in this folder and keep it (default: a temporary one, removed).",
)
@click.option("--verbose", "-v", is_flag=True, help="Also show each recipe's diff and checks.")
def demo(keep: Path | None, verbose: bool) -> int:
    """Build the bundled example project and walk the whole plan on it, without prompts.

    It prints the plan, one line per step and the final report, and writes the report as
    Markdown next to the example (migrate-report.md).

    \b
    Example:
      migrate demo --keep /tmp/example
    """
    import shutil
    import tempfile

    from migrate import example
    from migrate.ui import guide as guided
    from migrate.ui import render

    out = render.console()
    folder = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="migrate-demo-")) / "project"
    project = example.build(folder)
    where = "kept" if keep else "temporary, removed at the end: pass --keep DIR to keep it"
    out.print(f"[bold]example project:[/bold] {project} ({where})", markup=True)
    out.print(f"The commands below (merge, roll back) are for this example, in {project}.")
    markdown = project.parent / "migrate-report.md"
    try:
        code: int = guided.run(
            project, yes=True, recipe_dirs=(), brief=not verbose, report_to=markdown
        )
    finally:
        if not keep:
            shutil.rmtree(project, ignore_errors=True)
    if keep:
        out.print(f"inspect it: cd {project} && git log --stat main..", markup=False)
    else:
        out.print(f"the example project {project} was removed (--keep DIR keeps it).", markup=False)
    return code


@cli.group()
def hooks() -> None:
    """Claude Code hooks: check a consolidation, measure latency.

    \b
    Example:
      migrate hooks verify --before main
    """


def _root(repo: Path) -> Path:
    from migrate.engine import git

    with git.open_repo(repo) as r:
        return git.root(r)


def _default_before(repo: Path) -> str:
    """The open run's base, or HEAD~1 without a run."""
    from migrate.engine import git, journal

    with git.open_repo(repo) as r:
        run = journal.current_run(r)
        if run is not None:
            return run.base_commit
        if git.head_sha(r) is None:
            raise UserError("the repository has no commits yet; nothing to compare with.")
        if git.ref_sha(r, "HEAD~1") is None:
            raise UserError("HEAD has no parent to compare with; pass --before REV.")
        return "HEAD~1"


def _check_revisions(repo: Path, *revisions: str | None) -> None:
    from migrate.engine import git

    with git.open_repo(repo) as r:
        for option, rev in zip(("--before", "--after"), revisions, strict=True):
            if rev is not None and git.ref_sha(r, rev) is None:
                raise UserError(f"{option} {rev}: no such revision in {git.root(r)}.")


@hooks.command("payloads")
@click.option(
    "--max",
    "most",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Payloads kept per event and tool.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write them (default: .git/migrate/payloads.jsonl, never committed).",
)
@REPO_OPTION
def hooks_payloads(most: int, output: Path | None, repo: Path) -> int:
    """Write this project's real hook payloads, from Claude Code's session transcripts.

    \b
    Example:
      migrate hooks payloads --max 50
    """
    from migrate.hooks import payloads
    from migrate.ui import render

    out = render.console()
    root, target = _payloads_target(repo, output)
    found, sessions = payloads.collect(root, most)
    if not found:
        empty = f"{sessions} transcripts of this project hold no prompt or tool call."
        out.print(empty if sessions else payloads.no_transcripts(root), markup=False)
        return EXIT_OK
    payloads.write(target, found)
    out.print(
        f"{len(found)} payloads from {sessions} sessions written to {target} (mode 0600,"
        " it holds your prompts and tool output: keep it local).",
        markup=False,
    )
    for what, count in payloads.summary(found):
        out.print(f"  {what}: {count}", markup=False)
    out.print(f"use them: migrate hooks verify --payloads {target}", markup=False)
    return EXIT_OK


def _payloads_target(repo: Path, output: Path | None) -> tuple[Path, Path]:
    """The project's root, and the payload file (inside .git unless given)."""
    from migrate.engine import git

    with git.open_repo(repo) as r:
        root = git.root(r)
        return root, output or git.git_dir(r) / "migrate" / "payloads.jsonl"


@hooks.command("verify")
@click.option("--before", "before", help="Revision of the old registration (default: run base).")
@click.option("--after", "after", help="Revision of the new one (default: the work tree).")
@click.option(
    "--payloads",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file of recorded payloads (default: built-in samples).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@REPO_OPTION
def hooks_verify(
    before: str | None, after: str | None, payloads: Path | None, as_json: bool, repo: Path
) -> int:
    """Replay payloads through the hooks before and after; any difference fails.

    \b
    Example:
      migrate hooks verify --before main --payloads .git/migrate/payloads.jsonl
    """
    from migrate.hooks import replay, verify
    from migrate.ui import render

    chosen = replay.load_payloads(payloads) if payloads else None
    _check_revisions(repo, before, after)
    old = before or _default_before(repo)
    with _counting("replaying payloads") as progress:
        report = verify.verify(repo, old, after, chosen, progress=progress)
    if as_json:
        from migrate.ui import shapes

        body = {"before": old, "after": after or "work tree", **report.as_dict()}
        _echo_json(shapes.envelope("hooks_verify", _root(repo), body))
    else:
        out = render.console()
        for line in [*(n.describe() for n in report.nondeterministic), *report.failure_lines()]:
            out.print(line, markup=False)
        out.print(report.summary(), markup=False)
    return EXIT_OK if report.ok else EXIT_STEP_FAILED


@hooks.command("bench")
@click.option("--runs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option(
    "--payloads",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file of recorded payloads (default: built-in samples).",
)
@click.option("--before", help="Also measure this revision, side by side.")
@click.option("--after", help="Revision to measure (default: the work tree).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@REPO_OPTION
def hooks_bench(
    runs: int,
    payloads: Path | None,
    before: str | None,
    after: str | None,
    as_json: bool,
    repo: Path,
) -> int:
    """Hook latency per event: sequential, one process per hook, and the unified runner.

    \b
    Example:
      migrate hooks bench --before main --runs 3
    """
    from migrate.hooks import bench, replay
    from migrate.ui import render

    chosen = replay.load_payloads(payloads) if payloads else None
    _check_revisions(repo, before, after)
    with _counting("running payloads") as progress:
        result = (
            bench.compare(repo, before, after, runs, chosen, progress=progress)
            if before
            else bench.measure(repo, after, chosen, runs, progress=progress)
        )
    if as_json:
        from migrate.ui import shapes

        kind = "hooks_bench_comparison" if before else "hooks_bench"
        _echo_json(shapes.envelope(kind, _root(repo), result.as_dict()))
    else:
        render.console().print(bench.table(result))
        for line in bench.problems(result):
            render.console().print(line, markup=False)
    return EXIT_OK if result.ok() else EXIT_STEP_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """The one error boundary: user error in one sentence, Ctrl-C 130, a bug with its log."""
    try:
        args = list(argv) if argv is not None else None
        result = cli.main(args, prog_name="migrate", standalone_mode=False)
    except UserError as e:
        click.echo(f"migrate: {e.message}", err=True)
        return e.exit_code
    except click.exceptions.Abort as e:  # click's name for Ctrl-C (KeyboardInterrupt)
        cause = e.__cause__
        said = (
            cause.said
            if isinstance(cause, Interrupted)
            else "interrupted; what was in progress was dropped. Your files, index and branches"
            " were not touched."
        )
        click.echo(f"migrate: {said}", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as e:
        _usage_error(e)
        return EXIT_USAGE
    except BrokenPipeError:
        return _pipe_closed()
    except OSError as e:
        if e.errno not in _SYSTEM_REFUSALS:
            return _bug()
        where = f"{e.filename}: " if e.filename else ""
        click.echo(
            f"migrate: {where}{e.strerror}; the step in progress was dropped (fix it and run"
            " the command again).",
            err=True,
        )
        return EXIT_REPO_STATE
    except Exception:
        return _bug()
    return result if isinstance(result, int) else EXIT_OK


def _usage_error(e: click.ClickException) -> None:
    """git's shape: `migrate: <what is wrong>` and where to look next, on one line."""
    message = e.format_message().rstrip(".")
    ctx = getattr(e, "ctx", None)
    where = ctx.command_path if ctx is not None else "migrate"
    click.echo(f"migrate: {message[:1].lower()}{message[1:]} (see `{where} --help`).", err=True)


def _pipe_closed() -> int:
    """The reader went away (`migrate audit | head`): end quietly, as git does, by SIGPIPE."""
    import os
    import signal

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush into the closed pipe
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    return 128 + 13


# What the system refuses (not a bug of ours): read-only, full, or not ours to write.
_SYSTEM_REFUSALS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}


def _bug() -> int:
    import traceback

    text = traceback.format_exc()
    sys.stderr.write(text)
    log = _crash_log(text)
    where = f"; the traceback is saved in {log}" if log else ""
    sys.stderr.write(f"migrate: this is a bug in migrate{where}.\n")
    return EXIT_BUG


def _crash_log(text: str) -> Path | None:
    """A new private file (mode 0600, created exclusively) under the repository's
    `.git/migrate/logs/`, or in a private temporary folder outside a repository."""
    import datetime as dt
    import os
    import secrets
    import tempfile

    common = git.common_dir(Path.cwd())
    name = f"crash-{dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.log"
    try:
        if common is not None:
            folder = common / "migrate" / "logs"
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            path = folder / name
        else:
            fd, raw = tempfile.mkstemp(prefix="migrate-crash-", suffix=".log")
            path = Path(raw)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        return None
    return path
