"""Running the bench: the scratch copy, the handlers of each event under each model, the files
a run changed (every run starts from the same ones), and the timings."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from migrate.engine import git
from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import replay, unified, verify
from migrate.hooks.bench.results import (
    MODELS,
    Bench,
    Comparison,
    EventResult,
    ModelResult,
    Payload,
    Stats,
)
from migrate.hooks.settings import HookRegistration
from migrate.transforms.parallel_runner import dispatcher_path, dispatchers

WARMUP = 1
# Where the throwaway dispatchers go in the scratch copy: away from `.claude/hooks/`, whose
# `_unified_runtime.py` (if the project has one) the registered unified hooks must keep using.
BENCH_DIR = ".migrate-bench"
_IGNORED = "__pycache__"  # bytecode written by the first run is kept, as in a real session


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
