"""The command line: parse, call the workflow, render. One error boundary in `main`.

Each command imports what it needs: GitPython and rich take a quarter of a second to import,
and `migrate audit --json` needs neither.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from migrate import __version__, worktree
from migrate.errors import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STEP_FAILED,
    EXIT_USAGE,
    UserError,
)
from migrate.model import UNSAFE, Finding, Recipe, TransformResult

if TYPE_CHECKING:
    from migrate import workflow

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

    top = worktree.top(repo)
    return recipes.load_all(recipes.recipe_dirs(top, extra))


def recipe_status(repo: Path) -> dict[str, str]:
    """Each recipe's state in the run HEAD is on (applied, reverted, ...)."""
    from migrate import gitrepo, journal

    top = worktree.top(repo)
    if top is None:
        return {}
    with gitrepo.open_repo(top) as r:
        if gitrepo.head_sha(r) is None:
            return {}
        run = journal.open_run_for(r, gitrepo.current_branch(r), gitrepo.head_sha(r))
        return dict(run.last_status()) if run else {}


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="migrate")
@click.pass_context
def cli(ctx: click.Context) -> int | None:
    """Apply a maintenance plan to a git repository as validated, revertible commits.

    Without a command, in a terminal: the guided migration (`migrate guide`).
    """
    if ctx.invoked_subcommand is None:
        code: int = ctx.invoke(guide)
        return code
    return None


@cli.command()
@click.option("--yes", "-y", is_flag=True, help="Never ask: apply every pending recipe.")
@REPO_OPTION
@RECIPES_OPTION
def guide(yes: bool, repo: Path, recipe_dirs: tuple[Path, ...]) -> int:
    """The guided migration: audit, pick recipes, review diffs, apply, report."""
    from migrate import guide as guided

    code: int = guided.run(repo, yes=yes, recipe_dirs=recipe_dirs)
    return code


@cli.command("list")
@REPO_OPTION
@RECIPES_OPTION
def list_cmd(repo: Path, recipe_dirs: tuple[Path, ...]) -> int:
    """The recipes by phase, with their status in this repository."""
    from migrate import render

    render.console().print(
        render.recipes_table(_load(repo, recipe_dirs).values(), recipe_status(repo))
    )
    return EXIT_OK


@cli.command()
@click.argument("recipe_id")
@REPO_OPTION
@RECIPES_OPTION
def show(recipe_id: str, repo: Path, recipe_dirs: tuple[Path, ...]) -> int:
    """One recipe: what it does, its parameters and validation."""
    from migrate import recipes, render

    recipe = recipes.select_recipes(_load(repo, recipe_dirs), [recipe_id])[0]
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
    top = worktree.top(repo)
    if recipe.transform == "parallel-hook-runner" and top is not None:
        from migrate.files import Snapshot
        from migrate.transforms import parallel_runner

        out.print("\n[bold]in this repository[/bold]")
        for line in parallel_runner.explain(Snapshot(top, ()), recipe.params):
            out.print(f"  {line}", markup=False)
    return EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--sarif", is_flag=True, help="Print SARIF 2.1.0 (GitHub code scanning).")
@click.option("--fail-on-findings", is_flag=True, help="Exit 1 when there are findings.")
@REPO_OPTION
def audit(
    paths: tuple[str, ...], as_json: bool, sarif: bool, fail_on_findings: bool, repo: Path
) -> int:
    """The plan's threading audit, exact: subprocess timeouts, pools, hooks per event."""
    from migrate import audit as auditing

    if as_json and sarif:
        raise UserError("choose one of --json and --sarif.")
    root = worktree.top(repo) or repo
    chosen = [str(Path(p).resolve()) for p in paths]
    options = auditing.recipe_options(root)
    if as_json or sarif:
        report = auditing.audit(root, chosen, options=options)
        shown = auditing.as_json(report) if as_json else auditing.as_sarif(report)
        click.echo(json.dumps(shown, indent=2))
    else:
        from migrate import audit_view, render

        report = _audit_with_progress(root, chosen, options)
        audit_view.render(report, render.console())
    # Informational findings (e.g. **kwargs calls left alone) never fail a CI job.
    return EXIT_STEP_FAILED if fail_on_findings and report.issues_count else EXIT_OK


def _audit_with_progress(root: Path, paths: Sequence[str], options: Any) -> Any:
    from rich.progress import Progress

    from migrate import audit as auditing
    from migrate import render

    with Progress(console=render.console(stderr=True), transient=True) as bar:
        task = bar.add_task("auditing", total=None)
        return auditing.audit(
            root,
            paths,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            options=options,
        )


def _listener(quiet: bool) -> workflow.Listener:
    """Prints each step as it starts and ends (on stderr with --json)."""
    from migrate import journal, render, workflow

    out = render.console(stderr=quiet)

    class Printer(workflow.Listener):
        def step_started(self, recipe: Recipe) -> None:
            out.print(f"[bold]→ {recipe.id}[/bold]: {recipe.title}")

        def step_finished(
            self, recipe: Recipe, step: journal.Step, result: TransformResult | None
        ) -> None:
            render.print_step(out, step)
            if result is not None:
                render.print_notes(out, result)

    return Printer()


@cli.command()
@click.argument("recipe_ids", nargs=-1)
@click.option("--all", "all_recipes", is_flag=True, help="Every recipe, in plan order.")
@click.option("--branch", help="Branch to create or continue (default: migrate/<run>).")
@click.option("--in-place", is_flag=True, help="Commit on the current branch (or detached HEAD).")
@click.option("--stash", is_flag=True, help="Set uncommitted changes aside and restore them after.")
@click.option("--dry-run", is_flag=True, help="Show the diff; change nothing.")
@click.option(
    "--unsafe",
    is_flag=True,
    help="Also make the edits listed as unsafe (they may change behaviour).",
)
@click.option("--keep-going", is_flag=True, help="Go on with the next recipe after a failure.")
@click.option(
    "--skip-unparsable", is_flag=True, help="Apply to the files that parse, report the rest."
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
    unsafe: bool,
    keep_going: bool,
    skip_unparsable: bool,
    yes: bool,
    as_json: bool,
    repo: Path,
    recipe_dirs: tuple[Path, ...],
) -> int:
    """Apply recipes, one validated commit each; a step that fails validation is reverted."""
    from migrate import recipes, workflow

    known = _load(repo, recipe_dirs)
    if not recipe_ids and not all_recipes:
        raise UserError("name the recipes to apply (see `migrate list`), or pass --all.")
    chosen = recipes.select_recipes(known, list(known) if all_recipes else recipe_ids)
    if unsafe:
        chosen = [recipes.with_unsafe(r) for r in chosen]
    if dry_run:
        return _dry_run(repo, chosen, as_json, skip_unparsable)
    _recover_first(repo, yes)
    options = workflow.ApplyOptions(
        branch, in_place, stash, keep_going, skip_unparsable=skip_unparsable
    )
    report = workflow.apply(repo, chosen, options, _listener(quiet=as_json))
    if as_json:
        click.echo(json.dumps(_report_json(report), indent=2))
    else:
        _print_report(report)
    return report.exit_code


def _dry_run(repo: Path, chosen: Sequence[Recipe], as_json: bool, skip: bool) -> int:
    from migrate import render, workflow

    results = workflow.preview(repo, chosen, skip)
    if as_json:
        data = [
            {
                "recipe": r.id,
                "files": [c.path for c in res.changes],
                "counts": dict(res.counts),
                "edits": [_finding_json(f) for f in res.findings if f.edited],
                "unsafe": [_finding_json(f) for f in res.findings if f.kind == UNSAFE],
                "findings": [
                    _finding_json(f) for f in res.findings if not f.edited and f.kind != UNSAFE
                ],
                "diff": "".join(render.unified_diff(c) for c in res.changes),
            }
            for r, res in results
        ]
        click.echo(json.dumps(data, indent=2))
        return EXIT_OK
    out = render.console()
    for recipe, result in results:
        render.print_result(out, recipe, result)
    return EXIT_OK


def _finding_json(finding: Finding) -> dict[str, object]:
    return {
        "path": finding.path,
        "line": finding.line,
        "kind": finding.kind,
        "message": finding.message,
    }


def _report_json(report: workflow.ApplyReport) -> dict[str, object]:
    from migrate import render

    return {
        "run": render.run_json(report.run),
        "steps": [asdict(step) for step in report.steps],
        "stash_restored": report.stash_restored,
        "exit_code": report.exit_code,
    }


def _print_report(report: workflow.ApplyReport) -> None:
    from migrate import render

    out = render.console()
    run = report.run
    applied = [s for s in report.steps if s.status == "applied"]
    out.print(
        f"\nrun {run.id}: {len(applied)} step(s) applied on "
        f"{'the current branch' if run.in_place else run.branch}."
    )
    if report.exit_code:
        out.print("[red]a step failed validation and was reverted.[/red]")
    if report.stash_ref and not report.stash_restored:
        out.print(
            f"[yellow]your set-aside changes could not be re-applied cleanly; they are kept in"
            f" {report.stash_ref}: git stash apply {report.stash_ref}[/yellow]"
        )
    if applied:
        out.print(f"undo everything: migrate rollback --all   (or: git checkout {run.base_branch})")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@REPO_OPTION
def status(as_json: bool, repo: Path) -> int:
    """The run HEAD is on: branch, base, steps and their results."""
    from migrate import gitrepo, journal, render

    with gitrepo.open_repo(repo) as r:
        run = journal.open_run_for(r, gitrepo.current_branch(r), gitrepo.head_sha(r))
        inflight = journal.read_inflight(r)
    if as_json:
        click.echo(
            json.dumps(
                {"run": render.run_json(run) if run else None, "interrupted": inflight is not None},
                indent=2,
            )
        )
        return EXIT_OK
    out = render.console()
    if inflight is not None:
        out.print("[red]a run was interrupted here: run `migrate recover`.[/red]")
    if run is None:
        out.print("no open migration run on this branch.")
        with gitrepo.open_repo(repo) as r:
            elsewhere = journal.open_run_based_on(r, gitrepo.current_branch(r))
        if elsewhere is not None:
            out.print(f"run {elsewhere.id} started here is open on branch {elsewhere.branch}.")
    else:
        render.print_run(out, run)
    return EXIT_OK


@cli.command("rollback")
@click.argument("recipe_id", required=False)
@click.option("--file", "file_path", help="Restore one file to its version before the run.")
@click.option("--disable-hook", "hook", help="Remove a hook's registrations from settings.json.")
@click.option("--all", "everything", is_flag=True, help="Return to the state before the run.")
@click.option("--yes", "-y", is_flag=True, help="Also delete the migration branch (kept as a ref).")
@REPO_OPTION
def rollback_cmd(
    recipe_id: str | None,
    file_path: str | None,
    hook: str | None,
    everything: bool,
    yes: bool,
    repo: Path,
) -> int:
    """Undo a step, a file, a hook registration, or the whole run."""
    from migrate import render, rollback

    chosen = [x for x in (recipe_id, file_path, hook) if x] + (["--all"] if everything else [])
    if len(chosen) != 1:
        raise UserError("name exactly one of: a recipe, --file PATH, --disable-hook NAME, --all.")
    _recover_first(repo, yes)
    if everything:
        delete = yes or (render.is_interactive() and click.confirm("Delete the migration branch?"))
        message = rollback.all_steps(repo, delete_branch=delete)
    elif recipe_id:
        message = rollback.step(repo, recipe_id)
    elif file_path:
        message = rollback.file(repo, file_path)
    else:
        message = _disable_hook(repo, str(hook))
    render.console().print(message, markup=False)
    return EXIT_OK


def _recover_first(repo: Path, yes: bool) -> None:
    """A run killed mid-step left a marker: recover with --yes or when the user agrees."""
    from migrate import render, workflow

    message = workflow.recover_if_agreed(
        repo, lambda question: yes or (render.is_interactive() and click.confirm(question))
    )
    if message:
        render.console().print(message, markup=False)


def _disable_hook(repo: Path, name: str) -> str:
    from migrate import rollback
    from migrate.hooks import settings_edit

    path = ".claude/settings.json"
    sha = rollback.edit_and_commit(
        repo,
        path,
        lambda text: settings_edit.disable(text, path, name),
        f"disable hook {name}",
        f"Migrate-Disable-Hook: {name}",
    )
    return f"disabled hook {name} with commit {sha[:10]}." if sha else "nothing to change."


@cli.command()
@click.option("--yes", "-y", is_flag=True, help="Recover without asking.")
@REPO_OPTION
def recover(yes: bool, repo: Path) -> int:
    """Restore the repository after a run was killed or crashed mid-step."""
    from migrate import render, workflow

    message = workflow.recover(repo)
    render.console().print(message or "nothing to recover.", markup=False)
    return EXIT_OK


@cli.command()
@click.option("--keep", type=click.Path(path_type=Path), help="Build the example here and keep it.")
def demo(keep: Path | None) -> int:
    """Build the bundled example project and walk the whole plan on it, without prompts."""
    import tempfile

    from migrate import example, render
    from migrate import guide as guided

    folder = keep or Path(tempfile.mkdtemp(prefix="migrate-demo-")) / "project"
    project = example.build(folder)
    render.console().print(f"[bold]example project:[/bold] {project}")
    code: int = guided.run(project, yes=True, recipe_dirs=())
    render.console().print(f"inspect it: cd {project} && git log --stat main..", markup=False)
    return code


@cli.group()
def hooks() -> None:
    """Claude Code hooks: check a consolidation, measure latency."""


def _default_before(repo: Path) -> str:
    """The open run's base, or HEAD~1 without a run."""
    from migrate import gitrepo, journal

    with gitrepo.open_repo(repo) as r:
        run = journal.open_run_for(r, gitrepo.current_branch(r), gitrepo.head_sha(r))
        if run is not None:
            return run.base_commit
        if gitrepo.ref_sha(r, "HEAD~1") is None:
            raise UserError("HEAD has no parent to compare with; pass --before REV.")
        return "HEAD~1"


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
    """Replay payloads through the hooks before and after; any difference fails."""
    from migrate import render
    from migrate.hooks import replay, verify

    chosen = replay.load_payloads(payloads) if payloads else None
    report = verify.verify(repo, before or _default_before(repo), after, chosen)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        out = render.console()
        for difference in report.differences:
            out.print(verify.describe(difference), markup=False)
        runs = report.as_dict()["handler_runs"]
        verdict = "same effect" if report.ok else f"{len(report.differences)} difference(s)"
        out.print(
            f"{len(report.payloads)} payloads, {runs['before']} hook runs before and"
            f" {runs['after']} after: {verdict}.",
            markup=False,
        )
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
    """Hook latency per event: sequential, one process per hook, and the unified runner."""
    from migrate import render
    from migrate.hooks import bench, replay

    chosen = replay.load_payloads(payloads) if payloads else None
    result = (
        bench.compare(repo, before, after, runs, chosen)
        if before
        else bench.measure(repo, after, chosen, runs)
    )
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        render.console().print(bench.table(result))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """The one error boundary: user error in one sentence, Ctrl-C 130, a bug with its log."""
    try:
        result = cli.main(list(argv) if argv is not None else None, standalone_mode=False)
    except UserError as e:
        click.echo(f"migrate: {e.message}", err=True)
        return e.exit_code
    except click.exceptions.Abort:
        click.echo("migrate: interrupted.", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as e:
        e.show()
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo(
            "migrate: interrupted; the repository is as it was before the current step.", err=True
        )
        return EXIT_INTERRUPTED
    except Exception:
        return _bug()
    return result if isinstance(result, int) else EXIT_OK


def _bug() -> int:
    import tempfile
    import traceback

    log = Path(tempfile.gettempdir()) / "migrate-crash.log"
    text = traceback.format_exc()
    log.write_text(text, encoding="utf-8")
    sys.stderr.write(text)
    sys.stderr.write(f"migrate: this is a bug in migrate; the traceback is saved in {log}.\n")
    return EXIT_BUG
