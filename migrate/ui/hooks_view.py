"""`migrate hooks payloads | verify | bench`: what the hook tools say, in a terminal or as JSON."""

from __future__ import annotations

from pathlib import Path

from migrate.engine import git, journal
from migrate.errors import EXIT_OK, EXIT_STEP_FAILED
from migrate.hooks import bench, payloads, replay, verify
from migrate.ui import render, shapes
from migrate.ui.progress import counting


def write_payloads(repo: Path, most: int, output: Path | None) -> None:
    """The project's real payloads, from Claude Code's transcripts, into `output` (default:
    .git/migrate/payloads.jsonl, never committed)."""
    out = render.console()
    with git.open_repo(repo) as r:
        root = git.root(r)
        target = output or git.git_dir(r) / "migrate" / "payloads.jsonl"
    found, sessions = payloads.collect(root, most)
    if not found:
        empty = f"{sessions} transcripts of this project hold no prompt or tool call."
        out.print(empty if sessions else payloads.no_transcripts(root), markup=False)
        return
    payloads.write(target, found)
    out.print(
        f"{len(found)} payloads from {sessions} sessions written to {target} (mode 0600,"
        " it holds your prompts and tool output: keep it local).",
        markup=False,
    )
    for what, count in payloads.summary(found):
        out.print(f"  {what}: {count}", markup=False)
    out.print(f"use them: migrate hooks verify --payloads {target}", markup=False)


def run_verify(
    repo: Path, before: str | None, after: str | None, recorded: Path | None, as_json: bool
) -> int:
    chosen = replay.load_payloads(recorded) if recorded else None
    git.check_revisions(repo, {"--before": before, "--after": after})
    old = before or journal.default_base(repo)
    with counting("replaying payloads") as progress:
        report = verify.verify(repo, old, after, chosen, progress=progress)
    if as_json:
        body = {"before": old, "after": after or "work tree", **report.as_dict()}
        shapes.echo(shapes.envelope("hooks_verify", git.root_of(repo), body))
    else:
        out = render.console()
        for line in [*(n.describe() for n in report.nondeterministic), *report.failure_lines()]:
            out.print(line, markup=False)
        out.print(report.summary(), markup=False)
    return EXIT_OK if report.ok else EXIT_STEP_FAILED


def run_bench(
    repo: Path,
    runs: int,
    recorded: Path | None,
    before: str | None,
    after: str | None,
    as_json: bool,
) -> int:
    chosen = replay.load_payloads(recorded) if recorded else None
    git.check_revisions(repo, {"--before": before, "--after": after})
    with counting("running payloads") as progress:
        result = (
            bench.compare(repo, before, after, runs, chosen, progress=progress)
            if before
            else bench.measure(repo, after, chosen, runs, progress=progress)
        )
    if as_json:
        kind = "hooks_bench_comparison" if before else "hooks_bench"
        shapes.echo(shapes.envelope(kind, git.root_of(repo), result.as_dict()))
    else:
        render.console().print(bench.table(result))
        for line in bench.problems(result):
            render.console().print(line, markup=False)
    return EXIT_OK if result.ok() else EXIT_STEP_FAILED
