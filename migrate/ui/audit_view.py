"""The audit's report in a terminal: the plan's summary, findings by kind and by file, hooks."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from migrate.audit import ESTIMATE_NOTE, KINDS, AuditReport, is_issue
from migrate.model import Finding


def render(report: AuditReport, out: Console, *, limit: int = 40) -> None:
    """The plan's summary, measured; findings by kind and by file; hooks; good-pattern files."""
    # Wrapped inside the panel even when the console soft-wraps (output is not a terminal).
    out.print(Panel(_summary(report), title="Threading audit", expand=False), soft_wrap=False)
    if report.findings:
        out.print(_kinds_table(report))
        lines = [_finding_line(f) for f in report.findings]
        _print_capped(out, "Files with findings", lines, limit)
    if report.hooks:
        out.print(_hooks_table(report))
    good = [Text(f"  {g.path}: {'; '.join(g.reasons)}") for g in report.good_files]
    _print_capped(out, "Files using good patterns", good, limit)


def _summary(report: AuditReport) -> Text:
    text = Text()
    text.append(f"{report.files_analyzed} Python files analyzed\n")
    text.append(
        f"{report.files_with_issues} files with issues ({report.issues_count} total issues)",
        style="bold",
    )
    informational = report.findings_count - report.issues_count
    if informational:
        text.append(f", plus {informational} informational findings")
    text.append("\n")
    if report.hooks:
        text.append(
            f"Hooks: {report.hooks_count} over {len(report.hooks)} events,"
            f" ~{report.estimated_hook_ms} ms one after another (estimated)\n"
        )
    else:
        text.append("Hooks: none registered in .claude/settings.json\n")
    missing = report.by_kind().get("subprocess-timeout", 0)
    text.append(
        f"{missing} subprocess calls missing timeouts"
        f" ({report.calls_with_timeout} of {report.subprocess_calls} subprocess calls have one)\n"
    )
    if missing:
        text.append(f"  the subprocess-timeouts recipe: {split_without_timeout(report)}\n")
    if report.suppressed:
        text.append(f"{report.suppressed} findings suppressed by `# migrate: ignore`\n")
    text.append(f"GOOD: {len(report.good_files)} files using good patterns\n", style="green")
    text.append(f"measured in {report.seconds:.2f} s with {report.jobs} process(es)", style="dim")
    return text


def split_without_timeout(report: AuditReport) -> str:
    """What the recipe does with the calls without timeout: "3 fixed, 2 left unsafe, ..."."""
    counts = report.without_timeout
    return (
        f"adds {counts.get('adds a timeout', 0)}, leaves {counts.get('left unsafe', 0)} unsafe"
        f" (--unsafe), {counts.get('outside its paths', 0)} outside its paths"
    )


def _kinds_table(report: AuditReport) -> Table:
    table = Table(title="Findings by kind")
    for column in ("kind", "findings", "files", "counts as", "what"):
        table.add_column(column, justify="right" if column in ("findings", "files") else "left")
    counts = report.by_kind()
    for kind, spec in KINDS.items():
        if kind in counts:
            files = len({f.path for f in report.findings if f.kind == kind})
            what = "issue" if spec.issue else "informational"
            table.add_row(kind, str(counts[kind]), str(files), what, spec.title)
    return table


def _finding_line(finding: Finding) -> Text:
    line = Text(f"  {finding.path}:{finding.line} ")
    line.append(finding.kind, style="yellow" if is_issue(finding) else "dim")
    line.append(f" {finding.message}")
    return line


def _print_capped(out: Console, title: str, lines: Sequence[Text], limit: int) -> None:
    if not lines:
        return
    out.print(Text(f"{title} ({len(lines)})", style="bold"))
    for line in lines[:limit]:
        out.print(line)
    if len(lines) > limit:
        out.print(Text(f"  ... and {len(lines) - limit} more (--json lists all)", style="dim"))


def _hooks_table(report: AuditReport) -> Table:
    repeated = sum(e.registrations - e.hooks for e in report.hooks)
    caption = ESTIMATE_NOTE
    if repeated:
        caption += f"; {repeated} repeated registrations of an identical command counted once"
    table = Table(title="Hooks per event", caption=caption)
    for column in ("event", "hooks", "Python hooks", "estimated ms"):
        table.add_column(column, justify="left" if column == "event" else "right")
    for e in report.hooks:
        table.add_row(e.event, str(e.hooks), str(e.python_hooks), str(e.estimated_ms))
    table.add_row(
        Text("total", style="bold"),
        str(report.hooks_count),
        str(sum(e.python_hooks for e in report.hooks)),
        str(report.estimated_hook_ms),
    )
    return table
