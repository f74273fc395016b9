"""What a bench measures: statistics of one model's runs, per event, for a tree, and the
comparison of two trees."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.hooks import verify

MODELS = ("sequential", "parallel", "unified")
Payload = Mapping[str, Any]


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
