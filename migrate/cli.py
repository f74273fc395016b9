"""The command line: the commands and their options, and the one error boundary (`main`).

Each command hands its work to `migrate/ui/` (what the user sees), which calls the engine.
Each imports what it needs when it runs: GitPython and rich take a quarter of a second to
import, and `migrate audit --json` needs neither.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    pass

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
    from migrate.ui import recipe_view

    recipe_view.list_recipes(repo, recipe_dirs, as_json)
    return EXIT_OK


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
    from migrate.ui import recipe_view

    recipe_view.show_recipe(repo, recipe_dirs, recipe_id, as_json)
    return EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--sarif", is_flag=True, help="Print SARIF 2.1.0 (GitHub code scanning).")
@click.option(
    "--fail-on-findings",
    is_flag=True,
    help="Exit 1 when there are issues (informational findings never fail).",
)
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
        from migrate.ui import shapes

        shapes.echo(shown)
    else:
        from migrate.ui import audit_view, progress, render

        report = progress.audit(root, chosen, options)
        audit_view.render(report, render.console())
    # Informational findings (e.g. **kwargs calls left alone) never fail a CI job.
    return EXIT_STEP_FAILED if fail_on_findings and report.issues_count else EXIT_OK


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
    from migrate.ui import run_view

    flags = run_view.ApplyFlags(
        all_recipes=all_recipes,
        in_place=in_place,
        stash=stash,
        dry_run=dry_run,
        validated=validated,
        bisect=bisect,
        unsafe=unsafe,
        keep_going=keep_going,
        skip_unparsable=skip_unparsable,
        skip_unreadable=skip_unreadable,
        check=check,
        as_json=as_json,
    )
    return run_view.run_apply(repo, recipe_dirs, recipe_ids, flags, branch)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@REPO_OPTION
def status(as_json: bool, repo: Path) -> int:
    """The run HEAD is on: branch, base, steps and their results.

    \b
    Example:
      migrate status --json
    """
    from migrate.ui import run_view

    run_view.status(repo, as_json)
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
    from migrate.ui import render, run_view

    def delete() -> bool:
        return yes or (render.is_interactive() and click.confirm("Delete the migration branch?"))

    what = {"recipe": recipe_id, "file": file_path, "hook": hook}
    run_view.run_rollback(repo, recipe_dirs, what, everything, delete, with_dependents)
    return EXIT_OK


@cli.command()
@click.option("--yes", "-y", is_flag=True, hidden=True, help="Accepted; recovery never asks.")
@REPO_OPTION
def recover(yes: bool, repo: Path) -> int:
    """Clean up after a run that was killed: its checks, its worktree, its lock.

    \b
    Example:
      migrate recover
    """
    from migrate.ui import run_view

    run_view.run_recover(repo)
    return EXIT_OK


@cli.command()
@click.option(
    "--run",
    "run_id",
    help="The run to report (default: the open run HEAD is on, else the last one started here).",
)
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
    from migrate.ui import report_formats

    report_formats.show(repo, run_id, fmt)
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
    from migrate.ui import demo as demonstration

    return demonstration.run(keep, verbose)


@cli.group()
def hooks() -> None:
    """Claude Code hooks: check a consolidation, measure latency.

    \b
    Example:
      migrate hooks verify --before main
    """


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
    from migrate.ui import hooks_view

    hooks_view.write_payloads(repo, most, output)
    return EXIT_OK


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
    from migrate.ui import hooks_view

    return hooks_view.run_verify(repo, before, after, payloads, as_json)


@hooks.command("bench")
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Measured runs of each model per event (after a warm-up); the median is shown.",
)
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
    from migrate.ui import hooks_view

    return hooks_view.run_bench(repo, runs, payloads, before, after, as_json)


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
