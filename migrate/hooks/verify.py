"""`migrate hooks verify`: the same payloads through the registrations before and after a
change, each in its own scratch copy; any difference in what Claude Code would show, or in
the files the hooks change, is reported.

What Claude Code shows is the unified hook runtime's own model (`runtime.Shown`), so the
check compares exactly what the runtime merges. A difference counts only if it reproduces:
both registrations are run again, in fresh scratch copies; what varies between runs of the
original registration (random tips, clocks, counters) is reported as nondeterministic, with
the member and event, and compared on its stable parts only. A check that cannot run does
not pass: a hook that cannot start in the original registration (not found, not executable,
interpreter or script missing), or registered hooks that no payload runs, fail it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.engine import git
from migrate.hooks import replay, runtime

# Runs of each registration in all when a difference shows up: the first and the reruns.
RUNS_ON_DIFFERENCE = 4
# Called with (payloads done, payloads in all) as a replay goes on; never changes a result.
Progress = Callable[[int, int], None]


class Tally:
    """Payloads replayed so far, reported to a `Progress` (from several threads at once)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.done, self.total = 0, total

    def grow(self, more: int) -> None:
        """More payloads to replay than first counted (a difference to reproduce)."""
        with self._lock:
            self.total += more
            self._report()

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            self._report()

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(self.done, self.total)


@dataclass(frozen=True)
class Effect:
    """What Claude Code shows for one payload (`runtime.Shown.comparable()`), normalised."""

    fields: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.fields)


def effect_of(event: str, runs: Sequence[replay.HandlerRun]) -> tuple[Effect, int]:
    """What Claude Code shows from these hooks' runs, and how many volatile values were masked."""
    results = [
        runtime.classify(event, r.name, r.exit_code, r.stdout, r.stderr, r.timed_out) for r in runs
    ]
    count = [0]

    def normalise(text: str) -> str:
        clean, n = replay.normalise(text)
        count[0] += n
        return clean

    return Effect(runtime.shown(event, results).comparable(normalise)), count[0]


FILES = -1  # the payload index of a difference or variation in the files the hooks changed


@dataclass(frozen=True)
class Difference:
    payload: int  # FILES: the files the hooks changed
    event: str
    what: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Nondeterministic:
    """Output of the original registration that varied between runs of the same payload."""

    payload: int  # FILES: the files the hooks changed
    event: str
    members: tuple[str, ...]
    what: tuple[str, ...]

    def describe(self) -> str:
        where = "files" if self.payload == FILES else f"{self.event} (payload {self.payload})"
        who = ", ".join(self.members) or "the hooks"
        return (
            f"nondeterministic: {who} on {where}: {', '.join(self.what)} varies between runs"
            " of the original; compared on its stable parts"
        )


@dataclass(frozen=True)
class Side:
    effects: tuple[Effect, ...]
    files: Mapping[str, str]
    runs: tuple[tuple[replay.HandlerRun, ...], ...]
    volatile: int
    registered: int  # command handlers registered (that Claude Code would run synchronously)


@dataclass(frozen=True)
class Report:
    payloads: tuple[dict[str, Any], ...]
    before: Side
    after: Side
    differences: tuple[Difference, ...] = field(default=())
    problems: tuple[str, ...] = ()  # why the check could not run ("cannot verify: ...")
    nondeterministic: tuple[Nondeterministic, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems

    def failure_lines(self) -> list[str]:
        """Why it failed, one line each: what could not be verified, then each difference."""
        return [*self.problems, *(describe(d) for d in self.differences)]

    def summary(self) -> str:
        runs = self.as_dict()["handler_runs"]
        if self.problems:
            verdict = "cannot verify"
        elif self.differences:
            verdict = f"{len(self.differences)} difference(s)"
        else:
            verdict = "same effect"
        count = len(self.nondeterministic)
        varying = f", {count} nondeterministic" if count else ""
        return (
            f"{len(self.payloads)} payloads, {runs['before']} hook runs before and"
            f" {runs['after']} after: {verdict}{varying}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "payloads": len(self.payloads),
            "handler_runs": {
                "before": sum(map(len, self.before.runs)),
                "after": sum(map(len, self.after.runs)),
            },
            "volatile_values_normalised": self.before.volatile + self.after.volatile,
            "problems": list(self.problems),
            "nondeterministic": [n.describe() for n in self.nondeterministic],
            "differences": [d.__dict__ for d in self.differences],
        }


def replay_side(
    repo: Any, rev: str | None, payloads: Sequence[Mapping[str, Any]], tally: Tally | None = None
) -> Side:
    """Every payload, in order, through the registrations at `rev`, in one scratch copy."""
    with replay.scratch_copy(repo, rev) as tree:
        regs = replay.registrations(tree)
        start = replay.tree_state(tree)
        effects, runs, volatile = [], [], 0
        for payload in payloads:
            event = str(payload["hook_event_name"])
            data = replay.prepare(payload, tree)
            handler_runs = tuple(
                replay.run_handler(r, tree, data) for r in replay.matching(regs, payload)
            )
            effect, count = effect_of(event, handler_runs)
            effects.append(effect)
            runs.append(handler_runs)
            volatile += count
            if tally is not None:
                tally.tick()
        files, count = changed_files(start, replay.tree_state(tree))
        return Side(tuple(effects), files, tuple(runs), volatile + count, len(regs))


def changed_files(
    start: Mapping[str, bytes], end: Mapping[str, bytes]
) -> tuple[dict[str, str], int]:
    changed, count = {}, 0
    for path, data in end.items():
        if start.get(path) != data:
            text, n = replay.normalise(data.decode("utf-8", "replace"))
            changed[path] = "\n".join(sorted(text.splitlines()))  # append order is racy anyway
            count += n
    for path in start.keys() - end.keys():
        changed[path] = "<deleted>"
    return changed, count


def describe(d: Difference) -> str:
    """One line for a difference, for the terminal."""
    where = (
        "files changed by the hooks" if d.payload == FILES else f"payload {d.payload} ({d.event})"
    )
    return f"{where}: {d.what} differs: before {_short(d.before)}, after {_short(d.after)}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


# ------------------------------------------------------------------------- never vacuous

_CANNOT_OPEN = re.compile(r"can't open file .*\[Errno \d+\]")
_NO_MODULE = re.compile(r"^ModuleNotFoundError: No module named ", re.MULTILINE)


def start_failure(run: replay.HandlerRun) -> str | None:
    """Why a hook run never got to run the hook's code, or None if it did: the command or
    its interpreter not found or not executable (126, 127), the script missing, or a module
    it imports not installed."""
    err = run.stderr.decode("utf-8", "replace").strip()
    lines = err.splitlines()
    if run.exit_code in (126, 127):  # the shell's own line comes last
        return lines[-1] if lines else f"exit code {run.exit_code}"
    if run.exit_code == 2 and _CANNOT_OPEN.search(err):
        return next(line for line in lines if _CANNOT_OPEN.search(line))
    if run.exit_code == 1 and _NO_MODULE.search(err):
        return next(line for line in lines if _NO_MODULE.match(line))
    return None


def cannot_verify(side: Side, payloads: int) -> list[str]:
    """What keeps the original registration from being a reference: runs that could not
    start (one line per command), or registered hooks that no payload runs."""
    runs = [run for per_payload in side.runs for run in per_payload]
    if side.registered and not runs:
        return [
            f"cannot verify: {side.registered} hook(s) registered, but none runs for the"
            f" {payloads} payload(s)"
        ]
    failed: dict[str, tuple[int, str]] = {}
    for run in runs:
        cause = start_failure(run)
        if cause is not None:
            count, first = failed.get(run.command, (0, cause))
            failed[run.command] = (count + 1, first)
    return [
        f"cannot verify: {count} of {len(runs)} runs could not start: {command}: {cause}"
        for command, (count, cause) in failed.items()
    ]


# ------------------------------------------------------------------------- comparing


def compare(payloads: Sequence[Mapping[str, Any]], before: Side, after: Side) -> list[Difference]:
    found = []
    for index, (payload, old, new) in enumerate(
        zip(payloads, before.effects, after.effects, strict=True)
    ):
        event = str(payload["hook_event_name"])
        for key, value in old.fields.items():
            if new.fields[key] != value:
                found.append(Difference(index, event, key, value, new.fields[key]))
    for path in sorted(before.files.keys() | after.files.keys()):
        if before.files.get(path) != after.files.get(path):
            found.append(
                Difference(FILES, "files", path, before.files.get(path), after.files.get(path))
            )
    return found


def _stable(values: Sequence[Any]) -> tuple[bool, Any]:
    """(whether every run gave the same, the value or the stable part of the values): lists
    keep the items every run had (as a multiset), other values only when all runs agree."""
    if all(v == values[0] for v in values):
        return True, values[0]
    if all(isinstance(v, list) for v in values):
        common = Counter(values[0])
        for v in values[1:]:
            common &= Counter(v)
        return False, sorted(common.elements())
    return False, None


def _varying_members(event: str, runs: Sequence[Sequence[replay.HandlerRun]]) -> tuple[str, ...]:
    """The handlers whose output (volatile values masked) differs between runs."""
    outputs: dict[str, set[Any]] = {}
    for per_run in runs:
        for run in per_run:
            shown = effect_of(event, [run])[0].fields
            outputs.setdefault(run.name, set()).add(json.dumps(shown, sort_keys=True))
    return tuple(name for name, seen in outputs.items() if len(seen) > 1)


def _judged(old_same: bool, old: Any, new_same: bool, new: Any) -> tuple[bool, Any]:
    """Whether the runs of both sides agree, and the after side's value to show. Lists compare
    the parts every run of each side showed; another value varying in the original is not
    compared, and one varying only after the change is a difference."""
    if isinstance(old, list) and isinstance(new, list):
        return old == new, new
    return not old_same or (new_same and old == new), new if new_same else "varies between runs"


def reproduce(
    payloads: Sequence[Mapping[str, Any]], befores: Sequence[Side], afters: Sequence[Side]
) -> tuple[list[Difference], list[Nondeterministic]]:
    """Compare several runs of each side on their stable parts; name what varies."""
    differences: list[Difference] = []
    varying: list[Nondeterministic] = []
    for index, payload in enumerate(payloads):
        event = str(payload["hook_event_name"])
        unstable: list[str] = []
        for key in befores[0].effects[index].fields:
            old_same, old = _stable([s.effects[index].fields[key] for s in befores])
            new_same, new = _stable([s.effects[index].fields[key] for s in afters])
            if not old_same or not new_same:
                unstable.append(key)
            same, new = _judged(old_same, old, new_same, new)
            if not same:
                differences.append(Difference(index, event, key, old, new))
        if unstable:
            members = _varying_members(event, [s.runs[index] for s in befores])
            if not members:
                members = _varying_members(event, [s.runs[index] for s in afters])
            varying.append(Nondeterministic(index, event, members, tuple(unstable)))
    files_varying = []
    for path in sorted({p for s in [*befores, *afters] for p in s.files}):
        old_same, old = _stable([s.files.get(path) for s in befores])
        new_same, new = _stable([s.files.get(path) for s in afters])
        if not old_same or not new_same:
            files_varying.append(path)
        same, new = _judged(old_same, old, new_same, new)
        if not same:
            differences.append(Difference(FILES, "files", path, old, new))
    if files_varying:
        varying.append(Nondeterministic(FILES, "files", (), tuple(files_varying)))
    return differences, varying


def verify(
    root: Path,
    before: str,
    after: str | None,
    payloads: Sequence[Mapping[str, Any]] | None = None,
    runs_on_difference: int = RUNS_ON_DIFFERENCE,
    progress: Progress | None = None,
) -> Report:
    """Compare the registrations at `before` and `after` (None: the work tree); `progress`
    hears how many payload replays are done, of how many."""
    chosen = tuple(dict(p) for p in (payloads or replay.SAMPLES))
    tally = Tally(progress, 2 * len(chosen))
    # The pool is left last: on an interrupt, `interruptible` first ends the hooks its
    # threads wait for, then the pool waits for the threads to remove their scratch copies.
    with (
        ThreadPoolExecutor(max_workers=2) as pool,
        replay.interruptible(),
        git.open_repo(root) as repo,
    ):

        def both() -> tuple[Side, Side]:
            old = pool.submit(replay_side, repo, before, chosen, tally)
            new = pool.submit(replay_side, repo, after, chosen, tally)
            return old.result(), new.result()

        old_side, new_side = both()
        problems = cannot_verify(old_side, len(chosen))
        if new_side.registered and not sum(map(len, new_side.runs)):
            problems += [f"after the change: {p}" for p in cannot_verify(new_side, len(chosen))]
        if not old_side.registered and not new_side.registered:
            problems.append(
                "cannot verify: no command hook is registered before the change or after it;"
                " there is nothing to compare"
            )
        differences = compare(chosen, old_side, new_side)
        varying: list[Nondeterministic] = []
        befores, afters = [old_side], [new_side]
        # A difference beside a member that varies (a random tip...) may be a coincidence of
        # the runs so far (all runs of one side drew the same tip): it is run as many times
        # again before it counts.
        for more in (runs_on_difference - 1, runs_on_difference):
            if not differences or problems or (len(befores) > 1 and not varying):
                break
            tally.grow(2 * len(chosen) * more)
            for _ in range(more):
                again = both()
                befores.append(again[0])
                afters.append(again[1])
            differences, varying = reproduce(chosen, befores, afters)
    return Report(chosen, old_side, new_side, tuple(differences), tuple(problems), tuple(varying))
