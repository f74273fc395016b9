"""The bench as a table, and the problems it found, for `migrate hooks bench` and reports."""

from __future__ import annotations

from rich.table import Table

from migrate.hooks.bench.results import MODELS, Bench, Comparison, Stats


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _range(stats: Stats) -> str:
    return f"{stats.min:.1f}–{stats.max:.1f}"


def table(result: Bench | Comparison) -> Table:
    """The results for the terminal: one row per event and model."""
    if isinstance(result, Comparison):
        return _comparison_table(result)
    where = result.revision or "the work tree"
    grid = Table(
        title=f"Hook latency at {where}, ms per payload (median of {result.runs} runs)",
        caption="sequential: one after another (the plan's assumption); parallel: one process"
        " per hook at once (Claude Code); unified: mergeable hooks behind one process",
    )
    grid.add_column("event")
    grid.add_column("payloads", justify="right")
    grid.add_column("model")
    for name in ("processes", "wall", "min–max", "CPU", "same effect"):
        grid.add_column(name, justify="right")
    for event in result.events:
        differing = event.differing()
        same = f"no: {', '.join(differing)}" if differing else "yes"
        if event.invalid():
            same = "INVALID: hooks could not start"
        for i, m in enumerate(event.models):
            first = i == 0
            grid.add_row(
                event.event if first else "",
                str(event.payloads) if first else "",
                m.model,
                str(m.processes),
                _ms(m.wall.median),
                _range(m.wall),
                _ms(m.cpu.median),
                same if first else "",
            )
    return grid


def problems(result: Bench | Comparison) -> list[str]:
    """One line per invalid row or differing model, for the terminal (empty: all fine)."""
    benches = [result] if isinstance(result, Bench) else [result.before, result.after]
    lines = []
    for one in benches:
        where = one.revision or "the work tree"
        for event in one.events:
            lines += [f"{where}, {event.event}: invalid: {why}" for why in event.invalid()]
            if event.differing():
                models = ", ".join(event.differing())
                lines.append(f"{where}, {event.event}: effect differs under {models}")
    return lines


def _comparison_table(result: Comparison) -> Table:
    grid = Table(
        title=f"Hook latency before ({result.before.revision or 'work tree'}) and after"
        f" ({result.after.revision or 'work tree'}), ms per payload, medians"
    )
    grid.add_column("event")
    grid.add_column("model")
    for name in ("wall before", "wall after", "after/before", "CPU before", "CPU after"):
        grid.add_column(name, justify="right")
    events = dict.fromkeys([e.event for e in result.before.events + result.after.events])
    for name in events:
        old, new = result.before.event(name), result.after.event(name)
        for i, model in enumerate(MODELS):
            a = old.model(model) if old else None
            b = new.model(model) if new else None
            ratio = f"{b.wall.median / a.wall.median:.2f}×" if a and b and a.wall.median else "—"
            grid.add_row(
                name if i == 0 else "",
                model,
                _ms(a.wall.median) if a else "—",
                _ms(b.wall.median) if b else "—",
                ratio,
                _ms(a.cpu.median) if a else "—",
                _ms(b.cpu.median) if b else "—",
            )
    return grid
