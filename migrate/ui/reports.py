"""`migrate report`: what a run did, for the pull request. The plan's success metrics with the
plan's claim, measured at the run's base and at its tip; per recipe what it changed, the edits
it leaves, its checks and why a step was reverted; the commits, and how to merge or roll back.

One model (`Report`), three renderings: a rich table (the guide's final screen, `migrate demo`),
Markdown for `gh pr create --body-file`, and JSON (schema in docs/report.md). Read-only: the
base and the tip are audited in scratch copies, and the run's lock is never taken.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from migrate import recipes
from migrate.engine import git, journal
from migrate.engine.journal import CheckResult, Run, Step
from migrate.errors import UserError
from migrate.hooks import transcripts
from migrate.hooks.settings import SETTINGS_FILES
from migrate.model import UNSAFE
from migrate.ui import render

if TYPE_CHECKING:
    from migrate.audit import AuditReport
    from migrate.engine.git import Repo

SCHEMA = 1
FORMATS = ("table", "markdown", "json")
PAYLOADS = "payloads.jsonl"  # in .git/migrate, written by `migrate hooks payloads`
AGENT_TOOLS = frozenset({"Task", "Agent"})  # Claude Code's agent tool, old and new name
MIN_SESSIONS = 3  # fewer sessions on a side tell nothing about a habit
LATENCY_MODELS = ("sequential", "parallel", "unified")
LONG_LIST = 5  # longer lists fold into <details> in Markdown

# The plan's "Success Metrics" table, as the plan wrote it: (id, metric, claim, its measurement).
PLAN_METRICS = (
    ("hook_latency", "Hook latency", "1050 ms → 400 ms (consolidation), 100 ms (parallel)"),
    ("hooks_per_event", "Hooks registered", "21 hooks → 11 hooks (consolidation)"),
    ("agent_parallelization", "Agent parallelization", "Sequential → Parallel"),
    ("subprocess_hangs", "Subprocess hangs", "32 risks → 0 risks"),
    ("batch_performance", "Batch performance", "10 workers → 50 workers"),
)
PLAN_MEASURED_BY = {
    "hook_latency": "benchmark script",
    "hooks_per_event": "the plan's consolidation table",
    "agent_parallelization": "manual observation",
    "subprocess_hangs": "grep for timeout=",
    "batch_performance": "check max_workers",
}

Status = Callable[[str], AbstractContextManager[Any]]


# ------------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class Side:
    """One measurement: its lines for people, its value for machines (None: not measured)."""

    lines: tuple[str, ...]
    value: Any = None


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    plan: str  # the plan's claim: before → target
    before: Side
    after: Side
    how: str  # how migrate measured it (and how the plan did)


@dataclass(frozen=True)
class Left:
    """What the recipe would still do at the tip: safe edits, and the unsafe ones it leaves."""

    safe: int
    unsafe: tuple[str, ...]  # "path:line: reason"
    note: str = ""  # why it was not computed


@dataclass(frozen=True)
class RecipeReport:
    step: Step
    title: str
    left: Left | None
    why: str  # a reverted (or skipped, interrupted) step: why


@dataclass(frozen=True)
class Report:
    run: Run
    tip: str
    metrics: tuple[Metric, ...]
    plan_vs_audit: tuple[tuple[str, str], ...]  # (the plan's line-based count, the audit's)
    recipes: tuple[RecipeReport, ...]
    commits: tuple[tuple[str, str], ...]  # (sha, subject), oldest first
    commands: tuple[tuple[str, str], ...]  # (what it does, command)


# ------------------------------------------------------------------------------------ building


def find_run(repo: Repo, run_id: str | None) -> Run:
    """`run_id`, else the open run HEAD is on, else the last run started from this branch."""
    if run_id is not None:
        run = journal.load_run(repo, run_id)
        if run is None:
            raise UserError(f"--run {run_id}: no such run in {journal.folder(repo) / 'runs'}.")
        return run
    branch = git.current_branch(repo)
    run = journal.current_run(repo)
    started = [r for r in journal.load_runs(repo) if r.base_branch == branch]
    if run is None and not started:
        raise UserError(
            f"{git.root(repo)}: no migrate run on this branch or started from it"
            " (pass --run ID; ids are in .git/migrate/runs)."
        )
    return run or started[-1]


def run_tip(repo: Repo, run: Run) -> str:
    """The run's last commit: its branch, its own ref, else its last step's commit."""
    for ref in (f"refs/heads/{run.branch}" if run.branch else "", f"refs/migrate/runs/{run.id}"):
        sha = git.ref_sha(repo, ref) if ref else None
        if sha is not None and not run.in_place:
            return sha
    commits = [s.commit for s in run.steps if s.commit]
    return commits[-1] if commits else run.base_commit


def build(
    root: Path,
    run_id: str | None = None,
    *,
    base_audit: AuditReport | None = None,
    payloads: Path | None = None,
    status: Status | None = None,
    home: Path | None = None,
) -> Report:
    """Measure the run: audits and latency at its base and tip, agent use from transcripts."""
    from migrate import audit

    busy = status or (lambda _: nullcontext())
    with git.open_repo(root) as repo:
        root = git.root(repo)
        run = find_run(repo, run_id)
        tip = run_tip(repo, run)
        recorded = payloads or git.git_dir(repo) / "migrate" / PAYLOADS
        commits = _commits(repo, run.base_commit, tip)
        first = _commit_time(repo, commits[0][0]) if commits else _parse_time(run.created)
        hooks_changed = bool(git.changed_between(repo, run.base_commit, tip, SETTINGS_FILES))
        options = audit.recipe_options(root)
        with busy("auditing the run's base…"):
            before = base_audit or _audit_at(repo, run.base_commit, options)
        with busy("auditing the run's tip…"):
            after = _audit_at(repo, tip, options)
        with busy("computing what each recipe leaves…"):
            left = _left_at(repo, root, run)
    latency = _latency(root, run.base_commit, tip, recorded, hooks_changed, busy)
    agents = _agent_metric(root, first, home)
    metrics = (*_audit_metrics(before, after, latency), agents)
    order = {m[0]: i for i, m in enumerate(PLAN_METRICS)}
    metrics = tuple(sorted(metrics, key=lambda m: order.get(m.id.split(".")[0], 99)))
    known = _titles(root)
    reports = tuple(
        RecipeReport(s, known.get(s.recipe, ""), left.get(s.recipe), _why(s)) for s in run.steps
    )
    return Report(
        run, tip, metrics, _plan_vs_audit(before), reports, commits, _commands(run, commits)
    )


def _audit_at(repo: Repo, rev: str, options: Any) -> AuditReport:
    from migrate import audit
    from migrate.hooks import replay

    with replay.scratch_copy(repo, rev) as tree:
        return audit.audit(tree, options=options)


def _commits(repo: Repo, base: str, tip: str) -> tuple[tuple[str, str], ...]:
    return tuple(git.subjects_between(repo, base, tip))


def _commit_time(repo: Repo, sha: str) -> dt.datetime | None:
    return _parse_time(git.commit_time(repo, sha))


def _parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _titles(root: Path) -> dict[str, str]:
    try:
        return {r.id: r.title for r in recipes.load_all(recipes.recipe_dirs(root, ())).values()}
    except UserError:
        return {}


def _left_at(repo: Repo, root: Path, run: Run) -> dict[str, Left]:
    """Each applied recipe computed again on its own commit: the safe edits it would still make
    (0 after a clean step) and the unsafe edits it leaves for `--unsafe`."""
    from migrate.engine.compute import ApplyOptions, compute
    from migrate.hooks import replay

    try:
        known = recipes.load_all(recipes.recipe_dirs(root, ()))
    except UserError as e:
        return {s.recipe: Left(0, (), e.message) for s in run.steps}
    options = ApplyOptions(skip_unparsable=True, skip_unreadable=True)
    found: dict[str, Left] = {}
    for step in run.applied().values():
        recipe = known.get(step.recipe)
        if recipe is None or step.commit is None:
            continue
        with replay.scratch_copy(repo, step.commit) as tree:
            paths = tuple(
                sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
            )
            try:
                result = compute(tree, recipe, paths, options)
            except UserError as e:
                found[recipe.id] = Left(0, (), e.message)
                continue
        unsafe = tuple(
            f"{f.path}:{f.line}: {f.message}" for f in result.findings if f.kind == UNSAFE
        )
        found[recipe.id] = Left(len(result.changes), unsafe)
    return found


def _why(step: Step) -> str:
    failed = [c for c in step.checks if c.outcome == "failed"]
    if step.status == "reverted":
        first = failed[0] if failed else None
        detail = (first.detail.splitlines() or [""])[0] if first else ""
        return f"{first.name} failed" + (f": {detail}" if detail else "") if first else "failed"
    if step.status in ("skipped", "interrupted"):
        return step.summary or step.status
    return ""


def _commands(run: Run, commits: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    if run.state != "open" or not run.applied():
        return ()
    out = []
    if not run.in_place and run.base_branch and run.branch:
        merge = f"git checkout {run.base_branch} && git merge --ff-only {run.branch}"
        out.append(("merge", merge))
    out.append(("roll back the whole run", "migrate rollback --all"))
    example = next(iter(run.applied()))
    out.append(("roll back one recipe", f"migrate rollback {example}"))
    return tuple(out)


# ------------------------------------------------------------------------------------ metrics


def _audit_metrics(
    before: AuditReport, after: AuditReport, latency: Metric | None
) -> Iterator[Metric]:
    old, new = before.metrics(), after.metrics()
    plan = {m[0]: m[2] for m in PLAN_METRICS}
    yield Metric(
        "hook_latency.estimated",
        "Hook latency (estimated)",
        plan["hook_latency"],
        _estimate(before),
        _estimate(after),
        "audit: 50 ms per Python hook, run one after another (the plan's assumption);"
        f" plan: {PLAN_MEASURED_BY['hook_latency']}",
    )
    if latency is not None:
        yield latency
    yield Metric(
        "hooks_per_event",
        "Hooks registered",
        plan["hooks_per_event"],
        _hooks(old["hooks per event"]),
        _hooks(new["hooks per event"]),
        "distinct commands per event in the Claude Code settings files",
    )
    count = old["subprocess calls without timeout"]
    yield Metric(
        "subprocess_hangs",
        "Subprocess hangs",
        plan["subprocess_hangs"],
        _timeouts(old),
        _timeouts(new),
        f"plan: 32 calls missing timeouts ({PLAN_MEASURED_BY['subprocess_hangs']}, by line);"
        f" audit: {count} (by call, with the recipe's decision for each)",
    )
    yield Metric(
        "batch_performance",
        "Batch performance",
        plan["batch_performance"],
        _workers(old["max_workers values"]),
        _workers(new["max_workers values"]),
        "literal max_workers values of pool calls (audit); plan: check max_workers",
    )


def _estimate(report: AuditReport) -> Side:
    python = sum(e.python_hooks for e in report.hooks)
    ms = report.estimated_hook_ms
    return Side((f"{ms} ms ({python} Python hooks × 50 ms)",), ms)


def _hooks(per_event: Mapping[str, int]) -> Side:
    total = sum(per_event.values())
    lines = [f"{total} hooks"] + [f"{event}: {n}" for event, n in per_event.items()]
    return Side(tuple(lines), dict(per_event))


def _timeouts(metrics: Mapping[str, Any]) -> Side:
    total = metrics["subprocess calls without timeout"]
    parts: Mapping[str, int] = metrics["subprocess calls without timeout, by what the recipe does"]
    lines = [f"{total} calls without timeout"] + [f"{n} {what}" for what, n in parts.items()]
    return Side(tuple(lines), {"total": total, **parts})


def _workers(values: Mapping[int, int]) -> Side:
    shown = ", ".join(f"{v} ×{n}" for v, n in sorted(values.items())) or "none"
    return Side((f"max_workers {shown}",), {str(v): n for v, n in sorted(values.items())})


def _latency(
    root: Path, base: str, tip: str, recorded: Path, changed: bool, busy: Status
) -> Metric | None:
    """Measured per event when the run changed a hook registration (else it is the same)."""
    from migrate.hooks import bench, replay

    plan = PLAN_METRICS[0][2]
    label = "Hook latency (measured)"
    if not changed:
        side = Side(("not measured",))
        why = "not measured: the run changed no hook registration (`migrate hooks bench`)"
        return Metric("hook_latency.measured", label, plan, side, side, why)
    try:
        chosen = replay.load_payloads(recorded) if recorded.is_file() else None
        source = (
            f"your {len(chosen)} recorded payloads ({recorded.name}, `migrate hooks payloads`)"
            if chosen
            else "the built-in sample payloads (record yours: `migrate hooks payloads`)"
        )
        with busy("measuring hook latency at the run's base…"):
            old = bench.latency_by_event(root, base, runs=1, payloads=chosen)
        with busy("measuring hook latency at the run's tip…"):
            new = bench.latency_by_event(root, tip, runs=1, payloads=chosen)
    except UserError as e:
        side = Side(("not measured",))
        return Metric("hook_latency.measured", label, plan, side, side, e.message)
    how = f"ms per payload, {' / '.join(LATENCY_MODELS)}, one payload per event from {source}"
    return Metric("hook_latency.measured", label, plan, _per_event(old), _per_event(new), how)


def _per_event(medians: Mapping[str, Mapping[str, float]]) -> Side:
    lines = [
        f"{event}: "
        + " / ".join(f"{models[m]:.0f}" if m in models else "-" for m in LATENCY_MODELS)
        for event, models in medians.items()
    ]
    value = {e: {m: round(ms, 1) for m, ms in models.items()} for e, models in medians.items()}
    return Side(tuple(lines) or ("no hooks",), value)


# ------------------------------------------------------------------------------------ agents


@dataclass(frozen=True)
class AgentUse:
    """How a project's sessions start agents: the plan's "agent parallelization", counted."""

    sessions: int
    agent_turns: int  # assistant messages that start one agent call or more
    parallel_turns: int  # ... that start several at once
    sequential_runs: int  # runs of 2+ consecutive turns that each start exactly one
    sequential_calls: int  # the agent calls in those runs

    @property
    def share(self) -> float | None:
        return self.parallel_turns / self.agent_turns if self.agent_turns else None

    def as_dict(self) -> dict[str, Any]:
        share = self.share
        return {
            "sessions": self.sessions,
            "agent_turns": self.agent_turns,
            "parallel_turns": self.parallel_turns,
            "sequential_runs": self.sequential_runs,
            "sequential_calls": self.sequential_calls,
            "parallel_share": None if share is None else round(share, 3),
        }


def agent_use(sessions: Sequence[transcripts.Session]) -> AgentUse:
    """Count, in the main conversation of each session (subagents' own calls left out), the
    turns that start agents: several at once (parallel), or one per turn in a row (sequential)."""
    turns = parallel = runs = in_runs = 0
    for session in sessions:
        run = 0
        for agents in _agent_calls_per_turn(session):
            turns += agents > 0
            parallel += agents > 1
            if agents == 1:
                run += 1
                continue
            runs, in_runs, run = runs + (run > 1), in_runs + (run if run > 1 else 0), 0
        runs, in_runs = runs + (run > 1), in_runs + (run if run > 1 else 0)
    return AgentUse(len(sessions), turns, parallel, runs, in_runs)


def _agent_calls_per_turn(session: transcripts.Session) -> Iterator[int]:
    """For each assistant message that made tool calls, in order: how many were agent calls."""
    per_message: dict[str, int] = {}
    for call in session.calls:
        if not call.sidechain:
            per_message[call.message] = per_message.get(call.message, 0) + (
                call.name in AGENT_TOOLS
            )
    yield from per_message.values()


def session_start(session: transcripts.Session) -> dt.datetime | None:
    stamps = [p.timestamp for p in session.prompts] + [c.timestamp for c in session.calls]
    parsed = [t for s in stamps if s and (t := _parse_time(s)) is not None]
    return min(parsed) if parsed else None


def _agent_metric(root: Path, since: dt.datetime | None, home: Path | None) -> Metric:
    plan = PLAN_METRICS[2][2]
    label = "Agent parallelization"
    found = [s for s in transcripts.sessions(root, home) if not _is_subagent(s)]
    if not found:
        none = Side(("no transcripts",))
        how = f"no Claude Code transcripts of this project in {transcripts.config_dir(home)}"
        return Metric("agent_parallelization", label, plan, none, none, how)
    before = [s for s in found if since is None or _before(s, since)]
    after = [s for s in found if s not in before]
    how = (
        "Claude Code transcripts: share of assistant turns starting several agent (Task) calls"
        " at once; sessions split at the run's first commit"
        + (f" ({since:%Y-%m-%d %H:%M} UTC)" if since else "")
    )
    return Metric(
        "agent_parallelization",
        label,
        plan,
        _agent_side(before, "too few sessions"),
        _agent_side(after, "not enough sessions yet"),
        how,
    )


def _is_subagent(session: transcripts.Session) -> bool:
    return session.path.parent.name == "subagents"


def _before(session: transcripts.Session, since: dt.datetime) -> bool:
    start = session_start(session)
    if start is None:
        start = dt.datetime.fromtimestamp(session.path.stat().st_mtime, dt.timezone.utc)
    return start < since


def _agent_side(sessions: Sequence[transcripts.Session], few: str) -> Side:
    use = agent_use(sessions)
    if len(sessions) < MIN_SESSIONS:
        return Side((f"{few}: {len(sessions)}",), use.as_dict())
    if use.share is None:
        return Side((f"no agent calls in {use.sessions} sessions",), use.as_dict())
    lines = (
        f"{use.parallel_turns} of {use.agent_turns} agent turns parallel ({use.share:.0%})",
        f"{use.sequential_runs} runs of single agent calls ({use.sequential_calls} calls)",
        f"{use.sessions} sessions",
    )
    return Side(lines, use.as_dict())


# ------------------------------------------------------------------------------------ the plan


def _plan_vs_audit(report: AuditReport) -> tuple[tuple[str, str], ...]:
    """The plan's "Quick Summary" (counted by line, with grep) beside the audit's exact counts."""
    metrics = report.metrics()
    return (
        ("90 Python files analyzed", f"{report.files_analyzed} Python files analyzed"),
        (
            "19 files with issues (34 total issues)",
            f"{report.files_with_issues} files with issues ({report.issues_count} total issues)",
        ),
        (
            "32 subprocess calls missing timeouts",
            f"{metrics['subprocess calls without timeout']} subprocess calls missing timeouts",
        ),
        ("8 files using optimal patterns", f"{len(report.good_files)} files using good patterns"),
        (
            "21 hooks, 1050 ms sequential latency",
            f"{report.hooks_count} hooks, {report.estimated_hook_ms} ms estimated",
        ),
    )


# ------------------------------------------------------------------------------------ JSON


def as_json(report: Report) -> dict[str, Any]:
    """The report as data; its shape is documented in docs/report.md (`"schema": 1`)."""
    run = report.run
    return {
        "schema": SCHEMA,
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


_ENVIRONMENT = re.compile(r"^\((?P<label>[^()]+)\)")


def environment(check: CheckResult) -> str | None:
    """The Python a check ran with, as validation wrote it at the start of its detail."""
    found = _ENVIRONMENT.match(check.detail)
    return found["label"] if found else None


def _detail(check: CheckResult) -> str:
    """The first line of a check's detail, without the environment shown beside it."""
    first = (check.detail.splitlines() or [""])[0]
    return _ENVIRONMENT.sub("", first).strip()


# ------------------------------------------------------------------------------------ Markdown


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


# ------------------------------------------------------------------------------------ table


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
        sys.stdout.write(json.dumps(as_json(built), indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(as_markdown(built))
    else:
        print_table(out, built)
