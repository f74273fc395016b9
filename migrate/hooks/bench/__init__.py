"""`migrate hooks bench`: hook latency per event, measured by replaying payloads in a scratch copy
of the repository under three models of running the hooks registered for an event.

- sequential: each matching handler after the other (what the plan assumed Claude Code does);
- parallel: one process per matching handler, all started at once (what Claude Code does);
- unified: every mergeable hook of the event behind one runtime process (a throwaway dispatcher,
  as `parallel-hook-runner` would generate), the other handlers in parallel beside it.

Figures are per payload (the latency of one prompt or tool call), averaged over the event's
payloads that run at least one hook; each run starts from the same files, so runs compare.

The package: `results` (what is measured), `run` (measuring it), `table` (showing it).
"""

from __future__ import annotations

from migrate.hooks.bench.results import (
    MODELS,
    Bench,
    Comparison,
    EventResult,
    ModelResult,
    Payload,
    Stats,
)
from migrate.hooks.bench.run import BENCH_DIR, WARMUP, compare, latency_by_event, measure
from migrate.hooks.bench.table import problems, table

__all__ = [
    "BENCH_DIR",
    "MODELS",
    "WARMUP",
    "Bench",
    "Comparison",
    "EventResult",
    "ModelResult",
    "Payload",
    "Stats",
    "compare",
    "latency_by_event",
    "measure",
    "problems",
    "table",
]
