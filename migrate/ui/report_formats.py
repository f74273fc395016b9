"""The run's report as the user reads it: a terminal table, Markdown for a pull request, JSON
(docs/report.md)."""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrate.engine.journal import CheckResult
from migrate.ui import render
from migrate.ui.report_build import build
from migrate.ui.report_model import ENVIRONMENT, LONG_LIST, Left, RecipeReport, Report
from migrate.ui.shapes import echo, envelope

if TYPE_CHECKING:
    pass


def as_json(report: Report) -> dict[str, Any]:
    """The report as data; its shape is documented in docs/report.md (`"schema": 1`)."""
    run = report.run
    body = {
        "run": {
            "id": run.id,
            "branch": run.branch,
            "base_branch": run.base_branch,
            "base_commit": run.base_commit,
            "tip": report.tip,
            "in_place": run.in_place,
            "state": run.state,
        },
        "metrics": [
            {
                "id": m.id,
                "metric": m.label,
                "plan": m.plan,
                "before": {"text": list(m.before.lines), "value": m.before.value},
                "after": {"text": list(m.after.lines), "value": m.after.value},
                "how": m.how,
            }
            for m in report.metrics
        ],
        "plan_vs_audit": [{"plan": p, "audit": a} for p, a in report.plan_vs_audit],
        "recipes": [_recipe_json(r) for r in report.recipes],
        "commits": [{"sha": sha, "subject": subject} for sha, subject in report.commits],
        "commands": [{"what": what, "command": cmd} for what, cmd in report.commands],
    }
    return envelope("report", report.root, body)


def _recipe_json(r: RecipeReport) -> dict[str, Any]:
    step = r.step
    return {
        "recipe": step.recipe,
        "title": r.title,
        "status": step.status,
        "commit": step.commit,
        "summary": step.summary,
        "files": list(step.files),
        "counts": dict(step.counts),
        "safe_edits_left": r.left.safe if r.left else None,
        "unsafe_edits_left": list(r.left.unsafe) if r.left else None,
        "checks": [
            {
                "name": c.name,
                "outcome": c.outcome,
                "environment": environment(c),
                "detail": c.detail,
                "seconds": round(c.seconds, 2),
            }
            for c in step.checks
        ],
        "why": r.why,
    }


def environment(check: CheckResult) -> str | None:
    """The Python a check ran with, as validation wrote it at the start of its detail."""
    found = ENVIRONMENT.match(check.detail)
    return found["label"] if found else None


def _detail(check: CheckResult) -> str:
    """The first line of a check's detail, without the environment shown beside it."""
    first = (check.detail.splitlines() or [""])[0]
    return ENVIRONMENT.sub("", first).strip()


def as_markdown(report: Report) -> str:
    """GitHub-flavoured Markdown, plain text only: ready for `gh pr create --body-file`."""
    run = report.run
    out = [
        f"## migrate run `{run.id}`",
        "",
        f"Branch `{run.branch}` from `{run.base_branch or run.base_commit[:10]}`"
        f" (base `{run.base_commit[:10]}`, tip `{report.tip[:10]}`), state: {run.state}.",
        "",
        "### Success metrics (the plan's table, measured)",
        "",
        "| Metric | Plan | Before | After |",
        "| --- | --- | --- | --- |",
    ]
    for m in report.metrics:
        cells = (m.label, m.plan, "<br>".join(m.before.lines), "<br>".join(m.after.lines))
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out += ["", "How each was measured:", ""]
    out += [f"- **{_inline(m.label)}**: {_inline(m.how)}" for m in report.metrics]
    out += ["", "### The plan's counts and the audit's (at the base)", ""]
    out += ["| Plan (by line) | Audit (exact) |", "| --- | --- |"]
    out += [f"| {_cell(p)} | {_cell(a)} |" for p, a in report.plan_vs_audit]
    out += ["", "### Recipes", ""]
    for r in report.recipes:
        out += _recipe_markdown(r)
    out += ["### Commits", ""]
    commits = [f"- `{sha[:10]}` {_inline(subject)}" for sha, subject in report.commits]
    out += _folded(f"{len(commits)} commits", commits) if commits else ["none", ""]
    if report.commands:
        out += ["### Merge or roll back", "", "```sh"]
        out += [f"# {what}\n{cmd}" for what, cmd in report.commands]
        out += ["```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _recipe_markdown(r: RecipeReport) -> list[str]:
    step = r.step
    commit = f" `{step.commit[:10]}`" if step.commit else ""
    title = f": {_inline(r.title)}" if r.title else ""
    out = [f"#### `{step.recipe}`{title} — {step.status}{commit}", ""]
    if step.summary:
        out += [f"Changed: {_inline(step.summary)}.", ""]
    if r.why:
        out += [f"Why: {_inline(r.why)}", ""]
    if step.files:
        out += _folded(f"{len(step.files)} files", [f"- `{f}`" for f in step.files])
    if r.left is not None:
        out += _left_markdown(step.recipe, r.left)
    if step.checks:
        out += ["| Check | Result | Environment | Detail |", "| --- | --- | --- | --- |"]
        for c in step.checks:
            cells = (c.name, c.outcome, environment(c) or "", _detail(c))
            out.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        out.append("")
    return out


def _left_markdown(recipe: str, left: Left) -> list[str]:
    if left.note:
        return [f"Edits left: not computed ({_inline(left.note)}).", ""]
    line = f"Edits left after it: {left.safe} safe, {len(left.unsafe)} unsafe."
    if not left.unsafe:
        return [line, ""]
    items = [f"- {_inline(u)}" for u in left.unsafe]
    more = f"(`migrate apply {recipe} --unsafe` makes them)"
    return [f"{line} {more}", "", *_folded(f"{len(left.unsafe)} unsafe edits", items)]


def _folded(summary: str, items: Sequence[str]) -> list[str]:
    if len(items) <= LONG_LIST:
        return [*items, ""]
    return [f"<details><summary>{html.escape(summary)}</summary>", "", *items, "", "</details>", ""]


def _inline(text: str) -> str:
    """Text as Markdown shows it literally (HTML-escaped, no line breaks); `code` kept as is."""
    parts = " ".join(text.split()).split("`")
    for i in range(0, len(parts), 2):  # outside code spans
        parts[i] = html.escape(parts[i], quote=False).replace("*", "\\*").replace("_", "\\_")
    return "`".join(parts)


def _cell(text: str) -> str:
    lines = text.split("<br>")
    return "<br>".join(_inline(x).replace("|", "\\|") for x in lines)


def print_table(out: Console, report: Report) -> None:
    """The report on a terminal (the guide's final screen, `migrate demo`, `migrate report`)."""
    table = Table(title="Success metrics (the plan's table, measured)", title_justify="left")
    for column in ("metric", "plan", "before", "after"):
        table.add_column(column)
    for m in report.metrics:
        table.add_row(m.label, m.plan, "\n".join(m.before.lines), "\n".join(m.after.lines))
    out.print(table)
    for m in report.metrics:
        out.print(Text(f"  {m.label}: {m.how}", style="dim"))
    out.print(Text("\nThe plan's counts (by line) and the audit's (exact, at the base)", "bold"))
    for plan, audited in report.plan_vs_audit:
        out.print(f"  plan: {plan}; audit: {audited}", markup=False)
    out.print(Text("\nRecipes", style="bold"))
    for r in report.recipes:
        _print_recipe(out, r)
    run = report.run
    where = "in place on" if run.in_place else "on branch"
    out.print(Text(f"\nrun {run.id} {where} {run.branch} (base {run.base_commit[:10]})"))
    for sha, subject in report.commits:
        out.print(f"  {sha[:10]} {subject}", markup=False)
    if report.commands:
        out.print()
    for what, command in report.commands:
        out.print(f"  {what + ':':<26} {command}", markup=False)


def _print_recipe(out: Console, r: RecipeReport) -> None:
    render.print_step(out, replace(r.step, checks=()))
    if r.why:
        out.print(f"      why: {r.why}", markup=False)
    if r.step.files:
        shown = ", ".join(r.step.files[:LONG_LIST])
        more = f" and {len(r.step.files) - LONG_LIST} more" if len(r.step.files) > LONG_LIST else ""
        out.print(f"      files: {shown}{more}", markup=False)
    if r.left is not None:
        left = r.left
        text = (
            f"not computed ({left.note})"
            if left.note
            else (
                f"{left.safe} safe, {len(left.unsafe)} unsafe"
                + (f" (`migrate apply {r.step.recipe} --unsafe`)" if left.unsafe else "")
            )
        )
        out.print(f"      edits left: {text}", markup=False)
    for check in r.step.checks:
        out.print(render.check_line(check))


def show(repo: Path, run_id: str | None, fmt: str) -> None:
    """`migrate report`: a table in the terminal, or Markdown or JSON on stdout (the progress
    of a long report then goes to stderr)."""
    out = render.console(stderr=fmt != "table")
    built = build(repo, run_id, status=lambda what: out.status(what))
    if fmt == "json":
        echo(as_json(built))
    elif fmt == "markdown":
        sys.stdout.write(as_markdown(built))
    else:
        print_table(out, built)
