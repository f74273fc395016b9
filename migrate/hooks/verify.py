"""`migrate hooks verify`: the same payloads through the registrations before and after a
change, each in its own scratch copy; any difference in what Claude Code would see, or in the
files the hooks change, is reported."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate import gitrepo
from migrate.hooks import replay, runtime

_LABEL = re.compile(r"^\[([^\]\n]+)\](?:\n| )")


@dataclass(frozen=True)
class Effect:
    """What Claude Code takes from all hooks run for one payload, in comparable form.

    Texts are compared without the "[member]" labels a unified hook adds, as sorted parts:
    Claude Code receives every hook's context, in an order it does not promise.
    """

    blocked: bool
    decision: str | None
    stop: bool
    context: tuple[str, ...]
    messages: tuple[str, ...]
    updated_input: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "blocked": self.blocked,
            "decision": self.decision,
            "stop": self.stop,
            "context": list(self.context),
            "messages": list(self.messages),
            "updated_input": self.updated_input,
        }


def _parts(text: str, volatile: list[int]) -> list[str]:
    """A (possibly labelled and joined) text split back into each hook's part, labels removed."""
    parts: list[str] = []
    for chunk in re.split(r"\n(?=\[[^\]\n]+\](?:\n| ))", text.strip()):
        match = _LABEL.match(chunk)
        clean, count = replay.normalise(chunk[match.end() :] if match else chunk)
        volatile[0] += count
        if clean.strip():
            parts.append(clean.strip())
    return parts


class _Collect:
    def __init__(self) -> None:
        self.blocked = False
        self.decisions: list[str] = []
        self.stop = False
        self.context: list[str] = []
        self.messages: list[str] = []
        self.updated: list[str] = []
        self.volatile = [0]

    def add(self, event: str, run: replay.HandlerRun) -> None:
        r = runtime.classify(event, run.name, run.exit_code, run.stdout, run.stderr, run.timed_out)
        if r.kind == "block":
            self.blocked = True
            self.messages += _parts(r.text, self.volatile)
        elif r.kind == "context":
            self.context += _parts(r.text, self.volatile)
        elif r.kind == "timeout":
            self.messages.append(f"{run.name} timed out")
        elif r.kind == "error":
            self.messages.append(f"failed with exit code {r.exit_code}: {r.text}")
        elif r.kind == "json" and r.output is not None:
            self._json(r.output)

    def _json(self, output: Mapping[str, Any]) -> None:
        specific = output.get("hookSpecificOutput")
        specific = specific if isinstance(specific, dict) else {}
        if specific.get("permissionDecision"):
            self.decisions.append(str(specific["permissionDecision"]))
        if output.get("decision") in ("block", "approve"):
            self.decisions.append(str(output["decision"]))
        self.stop = self.stop or output.get("continue") is False
        for text in (
            output.get("reason"),
            output.get("stopReason"),
            output.get("systemMessage"),
            specific.get("permissionDecisionReason"),
        ):
            if isinstance(text, str):
                self.messages += _parts(text, self.volatile)
        if isinstance(specific.get("additionalContext"), str):
            self.context += _parts(specific["additionalContext"], self.volatile)
        if "updatedInput" in specific:
            self.updated.append(json.dumps(specific["updatedInput"], sort_keys=True))

    def effect(self) -> Effect:
        rank = {"allow": 1, "approve": 1, "ask": 2, "defer": 3, "deny": 4, "block": 4}
        decision = max(self.decisions, key=lambda d: rank.get(d, 0), default=None)
        messages = [m for m in self.messages if not m.startswith("several members rewrote")]
        return Effect(
            self.blocked,
            decision,
            self.stop,
            tuple(sorted(self.context)),
            tuple(sorted(set(messages))),
            self.updated[-1] if self.updated else None,
        )


def effect_of(event: str, runs: Sequence[replay.HandlerRun]) -> tuple[Effect, int]:
    """What Claude Code takes from these hooks' runs, and how many volatile values were masked."""
    collect = _Collect()
    for run in runs:
        collect.add(event, run)
    return collect.effect(), collect.volatile[0]


@dataclass(frozen=True)
class Difference:
    payload: int
    event: str
    what: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Side:
    effects: tuple[Effect, ...]
    files: Mapping[str, str]
    runs: tuple[tuple[replay.HandlerRun, ...], ...]
    volatile: int


@dataclass(frozen=True)
class Report:
    payloads: tuple[dict[str, Any], ...]
    before: Side
    after: Side
    differences: tuple[Difference, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "payloads": len(self.payloads),
            "handler_runs": {
                "before": sum(map(len, self.before.runs)),
                "after": sum(map(len, self.after.runs)),
            },
            "volatile_values_normalised": self.before.volatile + self.after.volatile,
            "differences": [d.__dict__ for d in self.differences],
        }


def replay_side(repo: Any, rev: str | None, payloads: Sequence[Mapping[str, Any]]) -> Side:
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
        files, count = changed_files(start, replay.tree_state(tree))
        return Side(tuple(effects), files, tuple(runs), volatile + count)


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
    where = "files changed by the hooks" if d.payload < 0 else f"payload {d.payload} ({d.event})"
    return f"{where}: {d.what} differs: before {_short(d.before)}, after {_short(d.after)}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def compare(payloads: Sequence[Mapping[str, Any]], before: Side, after: Side) -> list[Difference]:
    found = []
    for index, (payload, old, new) in enumerate(
        zip(payloads, before.effects, after.effects, strict=True)
    ):
        event = str(payload["hook_event_name"])
        for key, value in old.as_dict().items():
            if new.as_dict()[key] != value:
                found.append(Difference(index, event, key, value, new.as_dict()[key]))
    for path in sorted(before.files.keys() | after.files.keys()):
        if before.files.get(path) != after.files.get(path):
            found.append(
                Difference(-1, "files", path, before.files.get(path), after.files.get(path))
            )
    return found


def verify(
    root: Path, before: str, after: str | None, payloads: Sequence[Mapping[str, Any]] | None = None
) -> Report:
    """Compare the registrations at `before` and `after` (None: the work tree)."""
    chosen = tuple(dict(p) for p in (payloads or replay.SAMPLES))
    with gitrepo.open_repo(root) as repo, ThreadPoolExecutor(max_workers=2) as pool:
        old = pool.submit(replay_side, repo, before, chosen)
        new = pool.submit(replay_side, repo, after, chosen)
        old_side, new_side = old.result(), new.result()
    return Report(chosen, old_side, new_side, tuple(compare(chosen, old_side, new_side)))
