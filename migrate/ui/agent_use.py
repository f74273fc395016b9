"""The plan's agent metric: how many subagents Claude Code started per turn, from the project's
session transcripts, before the run and since."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.hooks import transcripts
from migrate.ui.report_model import (
    AGENT_TOOLS,
    MIN_SESSIONS,
    PLAN_METRICS,
    Metric,
    Side,
    parse_time,
)

if TYPE_CHECKING:
    pass


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
    parsed = [t for s in stamps if s and (t := parse_time(s)) is not None]
    return min(parsed) if parsed else None


def agent_metric(root: Path, since: dt.datetime | None, home: Path | None) -> Metric:
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
