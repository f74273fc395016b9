"""Building a run's report: the audit at the run's base and tip, hook latency, the agent metric
from transcripts, and what each recipe left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate import recipes
from migrate.engine import git, journal
from migrate.engine.journal import Run, Step
from migrate.errors import UserError
from migrate.hooks.settings import SETTINGS_FILES
from migrate.model import UNSAFE
from migrate.ui.agent_use import agent_metric
from migrate.ui.report_model import (
    LATENCY_MODELS,
    PAYLOADS,
    PLAN_MEASURED_BY,
    PLAN_METRICS,
    Left,
    Metric,
    RecipeReport,
    Report,
    Side,
    Status,
    parse_time,
)

if TYPE_CHECKING:
    from migrate.audit import AuditReport
    from migrate.engine.git import Repo


# ------------------------------------------------------------------------------------ the model


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
        first = _commit_time(repo, commits[0][0]) if commits else parse_time(run.created)
        hooks_changed = bool(git.changed_between(repo, run.base_commit, tip, SETTINGS_FILES))
        options = audit.recipe_options(root)
        with busy("auditing the run's base…"):
            before = base_audit or _audit_at(repo, run.base_commit, options)
        with busy("auditing the run's tip…"):
            after = _audit_at(repo, tip, options)
        with busy("computing what each recipe leaves…"):
            left = _left_at(repo, root, run)
    latency = _latency(root, run.base_commit, tip, recorded, hooks_changed, busy)
    agents = agent_metric(root, first, home)
    metrics = (*_audit_metrics(before, after, latency), agents)
    order = {m[0]: i for i, m in enumerate(PLAN_METRICS)}
    metrics = tuple(sorted(metrics, key=lambda m: order.get(m.id.split(".")[0], 99)))
    known = _titles(root)
    reports = tuple(
        RecipeReport(s, known.get(s.recipe, ""), left.get(s.recipe), _why(s)) for s in run.steps
    )
    return Report(
        run, tip, metrics, _plan_vs_audit(before), reports, commits, _commands(run, commits), root
    )


def _audit_at(repo: Repo, rev: str, options: Any) -> AuditReport:
    from migrate import audit
    from migrate.hooks import replay

    with replay.scratch_copy(repo, rev) as tree:
        return audit.audit(tree, options=options)


def _commits(repo: Repo, base: str, tip: str) -> tuple[tuple[str, str], ...]:
    return tuple(git.subjects_between(repo, base, tip))


def _commit_time(repo: Repo, sha: str) -> dt.datetime | None:
    return parse_time(git.commit_time(repo, sha))


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


# ------------------------------------------------------------------------------------ Markdown


# ------------------------------------------------------------------------------------ table
