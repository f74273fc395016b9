"""What a run's report holds (docs/report.md): the plan's success metrics measured before and after
the run, each recipe's outcome and what it left, the commits and the commands to go on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.engine.journal import Run, Step

if TYPE_CHECKING:
    pass

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
    root: Path  # the repository's root


def parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


ENVIRONMENT = re.compile(r"^\((?P<label>[^()]+)\)")
