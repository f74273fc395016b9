"""`migrate hooks bench`: hook latency per event, measured by replaying payloads in a scratch copy
of the repository under three models of running the hooks registered for an event.

- sequential: each matching handler after the other (what the plan assumed Claude Code does);
- parallel: one process per matching handler, all started at once (what Claude Code does);
- unified: every mergeable hook of the event behind one runtime process (a throwaway dispatcher,
  as `parallel-hook-runner` would generate), the other handlers in parallel beside it.

Figures are per payload (the latency of one prompt or tool call), averaged over the event's
payloads that run at least one hook; each run starts from the same files, so runs compare.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from rich.table import Table

from migrate.engine import git
from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import replay, unified, verify
from migrate.hooks.settings import HookRegistration
from migrate.transforms.parallel_runner import dispatcher_path, dispatchers

MODELS = ("sequential", "parallel", "unified")
WARMUP = 1
# Where the throwaway dispatchers go in the scratch copy: away from `.claude/hooks/`, whose
# `_unified_runtime.py` (if the project has one) the registered unified hooks must keep using.
BENCH_DIR = ".migrate-bench"
_IGNORED = "__pycache__"  # bytecode written by the first run is kept, as in a real session

Payload = Mapping[str, Any]


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Stats:
    """Median, min and max of a series of milliseconds."""

    median: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        return cls(statistics.median(values), min(values), max(values))

    def as_dict(self) -> dict[str, float]:
        return {
            "median": round(self.median, 3),
            "min": round(self.min, 3),
            "max": round(self.max, 3),
        }


@dataclass(frozen=True)
class ModelResult:
    """One model on one event: wall and CPU ms per payload, and what the hooks did."""

    model: str
    wall: Stats
    cpu: Stats  # CPU of the hook processes and everything they started (user + system)
    processes: int  # hook processes started for all the event's payloads, per run
    effects: tuple[verify.Effect, ...] = field(compare=False)  # per payload, in the last run
    files: Mapping[str, str] = field(compare=False)  # files the last run changed, normalised
    # Every measured run, as verify sees a replay: effects and hook runs per payload.
    sides: tuple[verify.Side, ...] = field(compare=False, default=())
    # Runs that never got to run the hook's code ("command: cause"): the figures mean nothing.
    cannot_start: tuple[str, ...] = field(compare=False, default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_ms": self.wall.as_dict(),
            "cpu_ms": self.cpu.as_dict(),
            "processes": self.processes,
        }


@dataclass(frozen=True)
class EventResult:
    event: str
    payloads: int
    models: tuple[ModelResult, ...]

    def model(self, name: str) -> ModelResult:
        return next(m for m in self.models if m.model == name)

    def same_effect(self) -> bool:
        """Whether Claude Code gets the same from every model (as `hooks verify` compares)."""
        return not self.differing()

    def differing(self) -> list[str]:
        """The models whose effect differs from the parallel model's (what Claude Code does),
        compared as `hooks verify` compares: on what stays the same from run to run."""
        reference = self.model("parallel")
        payloads = [{"hook_event_name": self.event}] * self.payloads

        def differs(m: ModelResult) -> bool:
            if m.effects == reference.effects or not m.sides:
                return m.effects != reference.effects
            found = verify.reproduce(payloads, reference.sides, m.sides)[0]
            return any(d.payload >= 0 for d in found)  # files: see bench/hooks.py

        return [m.model for m in self.models if differs(m)]

    def invalid(self) -> list[str]:
        """Why the figures mean nothing: hooks that could not start, per model."""
        return [f"{m.model}: {cause}" for m in self.models for cause in m.cannot_start]

    def as_dict(self) -> dict[str, Any]:
        return {
            "payloads": self.payloads,
            "valid": not self.invalid(),
            "invalid_because": self.invalid(),
            "same_effect": self.same_effect(),
            "differing_models": self.differing(),
            "models": {m.model: m.as_dict() for m in self.models},
        }


@dataclass(frozen=True)
class Bench:
    """Every event with hooks at one revision (None: the work tree)."""

    revision: str | None
    runs: int
    warmup: int
    events: tuple[EventResult, ...]

    def event(self, name: str) -> EventResult | None:
        return next((e for e in self.events if e.event == name), None)

    def ok(self) -> bool:
        """Every figure valid and every model with the effect Claude Code's own has."""
        return all(not e.invalid() and e.same_effect() for e in self.events)

    def medians(self) -> dict[str, dict[str, float]]:
        """Event -> model -> median wall ms per payload."""
        return {e.event: {m.model: m.wall.median for m in e.models} for e in self.events}

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision or "work tree",
            "runs": self.runs,
            "warmup_runs": self.warmup,
            "unit": "ms per payload",
            "events": {e.event: e.as_dict() for e in self.events},
        }


@dataclass(frozen=True)
class Comparison:
    """The same payloads against the registrations of two revisions."""

    before: Bench
    after: Bench

    def ok(self) -> bool:
        return self.before.ok() and self.after.ok()

    def as_dict(self) -> dict[str, Any]:
        return {"before": self.before.as_dict(), "after": self.after.as_dict()}


# ---------------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class _Event:
    """The payloads of one event and the handlers each model starts for it."""

    name: str
    payloads: tuple[Payload, ...]
    handlers: Mapping[str, tuple[HookRegistration, ...]]  # model -> registrations to match


def _unified_handlers(
    tree: Path, event: str, regs: Sequence[HookRegistration]
) -> tuple[HookRegistration, ...]:
    """The handlers of the unified model: throwaway dispatchers (one per interpreter), written
    into the scratch copy, for the event's mergeable hooks (as `parallel-hook-runner` would
    generate them), beside the handlers they cannot take over."""
    path = f"{BENCH_DIR}/{PurePosixPath(dispatcher_path(event)).name}"
    found, _ = dispatchers(Snapshot(tree, ()), event, regs, path=path)
    if not found:
        return tuple(regs)
    (tree / BENCH_DIR).mkdir(exist_ok=True)
    (tree / BENCH_DIR / "_unified_runtime.py").write_text(unified.runtime_source(), "utf-8")
    taken = {r for d in found for r in d.taken}
    return (*(_written(tree, event, d.hook) for d in found), *(r for r in regs if r not in taken))


def _written(tree: Path, event: str, hook: unified.UnifiedHook) -> HookRegistration:
    """Write a throwaway dispatcher into the scratch copy; its registration."""
    (tree / hook.path).write_text(unified.render(hook, "bench"), encoding="utf-8")
    matchers = [x for m in hook.members for x in m["matchers"]]
    return HookRegistration(
        file="bench",
        event=event,
        matcher=unified.combined_matcher(event, matchers),
        type="command",
        command=hook.command,
        timeout=unified.registration_timeout(hook.members),
        is_async=False,
        if_rule=None,
        script=hook.path,
        script_word=f"$CLAUDE_PROJECT_DIR/{hook.path}",
        args=(),
        not_mergeable=None,
    )


def _events(tree: Path, payloads: Sequence[Payload]) -> list[_Event]:
    """Each event of the payloads that runs a hook, with the handlers of every model."""
    regs = replay.registrations(tree)
    found = []
    for name in dict.fromkeys(str(p["hook_event_name"]) for p in payloads):
        mine = tuple(r for r in regs if r.event == name)
        chosen = tuple(
            p for p in payloads if p["hook_event_name"] == name and replay.matching(mine, p)
        )
        if chosen:
            models = {"sequential": mine, "parallel": mine}
            models["unified"] = _unified_handlers(tree, name, mine)
            found.append(_Event(name, chosen, models))
    return found


# ---------------------------------------------------------------------------------- state


class _Baseline:
    """The scratch copy's files as they were before any run, to return to between runs."""

    def __init__(self, tree: Path, pristine: Path) -> None:
        self.tree = tree
        self.pristine = pristine
        shutil.copytree(tree, pristine, symlinks=True, dirs_exist_ok=True)
        self.files, self.dirs = _listing(tree)

    def changed(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """(before, after) bytes of every file a run created, changed or deleted."""
        files, _ = _listing(self.tree)
        paths = {p for p, sig in files.items() if self.files.get(p) != sig}
        paths |= self.files.keys() - files.keys()
        before = {p: (self.pristine / p).read_bytes() for p in paths if p in self.files}
        after = {p: (self.tree / p).read_bytes() for p in paths if p in files}
        return before, after

    def restore(self) -> None:
        files, dirs = _listing(self.tree)
        for path, sig in files.items():
            if path not in self.files:
                (self.tree / path).unlink()
            elif sig != self.files[path]:
                self._put_back(path)
        for path in self.files.keys() - files.keys():
            (self.tree / path).parent.mkdir(parents=True, exist_ok=True)
            self._put_back(path)
        for folder in sorted(dirs - self.dirs, key=len, reverse=True):
            shutil.rmtree(self.tree / folder, ignore_errors=True)

    def _put_back(self, path: str) -> None:
        target = self.tree / path
        if target.is_symlink():
            target.unlink()
        shutil.copy2(self.pristine / path, target, follow_symlinks=False)


def _listing(tree: Path) -> tuple[dict[str, tuple[int, int]], set[str]]:
    """Every file (size, mtime) and folder under `tree`, bytecode caches aside."""
    files: dict[str, tuple[int, int]] = {}
    dirs: set[str] = set()
    for folder, subdirs, names in os.walk(tree):
        subdirs[:] = [d for d in subdirs if d != _IGNORED]
        rel = Path(folder).relative_to(tree).as_posix()
        dirs.add(rel)
        for name in names:
            stat = os.lstat(os.path.join(folder, name))
            files[f"{rel}/{name}" if rel != "." else name] = (stat.st_size, stat.st_mtime_ns)
    return files, {d for d in dirs if d != "."}


# ---------------------------------------------------------------------------------- running


def _children_cpu() -> float:
    """Seconds of CPU used by ended child processes and their descendants."""
    try:
        import resource
    except ImportError:  # Windows: os.times counts in clock ticks, good enough there
        times = os.times()
        return times.children_user + times.children_system
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_Runner = Callable[[Sequence[HookRegistration], Path, bytes], list[replay.HandlerRun]]


def _one_after_another(
    handlers: Sequence[HookRegistration], tree: Path, data: bytes
) -> list[replay.HandlerRun]:
    return [replay.run_handler(h, tree, data) for h in handlers]


def _all_at_once(pool: ThreadPoolExecutor) -> _Runner:
    def run(
        handlers: Sequence[HookRegistration], tree: Path, data: bytes
    ) -> list[replay.HandlerRun]:
        futures = [pool.submit(replay.run_handler, h, tree, data) for h in handlers]
        return [f.result() for f in futures]

    return run


@dataclass(frozen=True)
class _Run:
    wall: float  # ms per payload
    cpu: float
    processes: int
    effects: tuple[verify.Effect, ...]
    runs: tuple[tuple[replay.HandlerRun, ...], ...]


def _run_once(
    event: _Event, model: str, runner: _Runner, tree: Path, tally: verify.Tally | None = None
) -> _Run:
    walls, cpus, processes, effects, all_runs = [], [], 0, [], []
    for payload in event.payloads:
        handlers = replay.matching(event.handlers[model], payload)
        data = replay.prepare(payload, tree)
        started, cpu = time.perf_counter(), _children_cpu()
        runs = runner(handlers, tree, data)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
        processes += len(handlers)
        effects.append(verify.effect_of(event.name, runs)[0])
        all_runs.append(tuple(runs))
        if tally is not None:
            tally.tick()
    ms = 1000 / len(event.payloads)
    return _Run(sum(walls) * ms, sum(cpus) * ms, processes, tuple(effects), tuple(all_runs))


def _cannot_start(runs: Sequence[_Run]) -> tuple[str, ...]:
    """One "command: cause" per command that could not start in any of these runs."""
    found: dict[str, str] = {}
    for run in runs:
        for handler in (h for per_payload in run.runs for h in per_payload):
            cause = verify.start_failure(handler)
            if cause is not None:
                found.setdefault(handler.command, f"{handler.command}: {cause}")
    return tuple(found.values())


def _side(run: _Run, files: Mapping[str, str]) -> verify.Side:
    return verify.Side(run.effects, files, run.runs, 0, 0)


def _measure_event(
    event: _Event,
    runners: Mapping[str, _Runner],
    baseline: _Baseline,
    runs: int,
    warmup: int,
    tally: verify.Tally,
) -> EventResult:
    results: dict[str, list[_Run]] = {model: [] for model in MODELS}
    files: dict[str, list[Mapping[str, str]]] = {model: [] for model in MODELS}
    for index in range(warmup + runs):
        for model in MODELS:  # interleaved, so drift in the machine's load hits every model
            baseline.restore()
            run = _run_once(event, model, runners[model], baseline.tree, tally)
            if index >= warmup:
                results[model].append(run)
                files[model].append(verify.changed_files(*baseline.changed())[0])
    # A difference between models counts only if it reproduces (as in verify): with too few
    # runs to tell, run each model a few more times, for the effects only, not the figures.
    differ = any(results[m][-1].effects != results["parallel"][-1].effects for m in MODELS)
    extra: dict[str, list[_Run]] = {model: [] for model in MODELS}
    again = verify.RUNS_ON_DIFFERENCE - runs if differ else 0
    tally.grow(max(again, 0) * len(MODELS) * len(event.payloads))
    for _ in range(again):
        for model in MODELS:
            baseline.restore()
            extra[model].append(_run_once(event, model, runners[model], baseline.tree, tally))
            files[model].append(verify.changed_files(*baseline.changed())[0])
    baseline.restore()
    return EventResult(
        event.name,
        len(event.payloads),
        tuple(
            ModelResult(
                model,
                Stats.of([r.wall for r in results[model]]),
                Stats.of([r.cpu for r in results[model]]),
                results[model][-1].processes,
                results[model][-1].effects,
                files[model][-1],
                tuple(map(_side, results[model] + extra[model], files[model])),
                _cannot_start(results[model]),
            )
            for model in MODELS
        ),
    )


@contextmanager
def _scratch(root: Path, rev: str | None) -> Iterator[Path]:
    with git.open_repo(root) as repo, replay.scratch_copy(repo, rev) as tree:
        yield tree


def measure(
    root: Path,
    rev: str | None = None,
    payloads: Sequence[Payload] | None = None,
    runs: int = 5,
    warmup: int = WARMUP,
    progress: verify.Progress | None = None,
) -> Bench:
    """Latency of the hooks registered at `rev` (None: the work tree) for each event; `warmup`
    runs first are discarded (they write bytecode caches and warm the disk cache). `progress`
    hears how many payload runs are done, of how many."""
    if runs < 1:
        raise UserError(f"--runs must be 1 or more, got {runs}.")
    if warmup < 0:
        raise UserError(f"the number of warm-up runs must be 0 or more, got {warmup}.")
    chosen = tuple(dict(p) for p in (payloads or replay.SAMPLES))
    with _scratch(root, rev) as tree, tempfile.TemporaryDirectory(prefix="migrate-bench-") as tmp:
        events = _events(tree, chosen)
        each = (warmup + runs) * len(MODELS)
        tally = verify.Tally(progress, sum(each * len(e.payloads) for e in events))
        baseline = _Baseline(tree, Path(tmp) / "pristine")
        width = max((len(h) for e in events for h in e.handlers.values()), default=1)
        # The pool is left last: on an interrupt the hooks are ended first (see verify).
        with ThreadPoolExecutor(max_workers=max(width, 1)) as pool, replay.interruptible():
            parallel = _all_at_once(pool)
            runners = {"sequential": _one_after_another, "parallel": parallel, "unified": parallel}
            results = tuple(
                _measure_event(e, runners, baseline, runs, warmup, tally) for e in events
            )
    return Bench(rev, runs, warmup, results)


def compare(
    root: Path,
    before_rev: str,
    after_rev: str | None,
    runs: int = 5,
    payloads: Sequence[Payload] | None = None,
    progress: verify.Progress | None = None,
) -> Comparison:
    """The same payloads against the hooks at `before_rev` and at `after_rev` (None: work tree).
    Measured one after the other, never at once, so neither slows the other (`progress` hears
    each revision's count in turn)."""
    return Comparison(
        measure(root, before_rev, payloads, runs, progress=progress),
        measure(root, after_rev, payloads, runs, progress=progress),
    )


def latency_by_event(
    root: Path, rev: str | None, runs: int = 3, payloads: Sequence[Payload] | None = None
) -> dict[str, dict[str, float]]:
    """Event -> model -> median wall ms per payload, for the guided migration's final report.

    One payload per event (of the recorded ones if given, else of the samples) and no warm-up
    run keep it to seconds: a report, not a study.
    """
    firsts = {str(p["hook_event_name"]): p for p in reversed(payloads or replay.SAMPLES)}
    return measure(root, rev, list(firsts.values()), runs, warmup=0).medians()


# ---------------------------------------------------------------------------------- table


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
