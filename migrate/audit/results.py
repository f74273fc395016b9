"""What an audit finds: the kinds of finding (which are issues), one file's results, the hooks
per event, and the whole report with the plan's header and metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from migrate.model import Finding

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


Level = Literal["error", "warning", "note"]


# The plan's assumption for one Python hook started by Claude Code; `migrate hooks bench` measures.
MS_PER_PYTHON_HOOK = 50


@dataclass(frozen=True)
class Kind:
    """A kind of finding: its title, the advice shown with it, and whether it is an issue."""

    title: str
    help: str
    issue: bool
    level: Level


KINDS: Mapping[str, Kind] = {
    "subprocess-timeout": Kind(
        "Subprocess call without timeout",
        "A child process that hangs hangs the caller forever. Pass timeout= (`migrate apply"
        " subprocess-timeouts` adds one sized by the command).",
        True,
        "warning",
    ),
    "os-system": Kind(
        "os.system / os.popen",
        "os.system and os.popen cannot time out; use subprocess.run([...], timeout=...).",
        True,
        "warning",
    ),
    "asyncio-subprocess": Kind(
        "asyncio subprocess without timeout",
        "asyncio subprocesses have no timeout parameter; wrap the wait in asyncio.wait_for().",
        True,
        "warning",
    ),
    "subprocess-kwargs": Kind(
        "Subprocess call passing **kwargs",
        "The call passes **kwargs (or *args), which may already carry a timeout; check callers.",
        False,
        "note",
    ),
    "pool-workers": Kind(
        "Pool with the max_workers the plan raises",
        "A small max_workers limits I/O-bound fan-out; `migrate apply max-workers` raises this"
        " value (its `from`) to its `to`.",
        True,
        "warning",
    ),
    "pool-workers-info": Kind(
        "Pool with another or no max_workers",
        "A value the max-workers recipe leaves alone (often deliberate, like max_workers=1); a"
        " thread pool without max_workers gets min(32, CPUs + 4) threads.",
        False,
        "note",
    ),
    "sequential-subprocess": Kind(
        "Subprocess calls in a sequential loop",
        "The loop's iterations look independent (heuristic): the calls could run in parallel,"
        " e.g. in a ThreadPoolExecutor.",
        False,
        "note",
    ),
    "parse-error": Kind(
        "File that cannot be parsed",
        "Neither ast nor LibCST can parse the file (or it cannot be read or decoded): it was"
        " not analysed, and recipes will refuse it.",
        True,
        "error",
    ),
    "internal-error": Kind(
        "File the audit failed on",
        "The audit failed on this file; please report it. The other files were analysed.",
        True,
        "error",
    ),
}


@dataclass(frozen=True)
class FileAudit:
    """One file's results: findings, subprocess call counts, pool sizes and good patterns."""

    path: str
    findings: tuple[Finding, ...] = ()
    subprocess_calls: int = 0
    with_timeout: int = 0
    workers: tuple[int, ...] = ()  # literal max_workers values of pool calls
    good: tuple[str, ...] = ()
    redo: bool = False  # a worker left the file to the parent: only LibCST may parse it
    # Calls without timeout by what the recipe does: adds one, leaves it (unsafe), never sees it.
    fixable: int = 0
    unsafe: int = 0
    outside: int = 0
    suppressed: int = 0


@dataclass(frozen=True)
class HookEvent:
    """The handlers registered for one event, and the plan's estimate of their latency."""

    event: str
    hooks: int  # distinct handlers: an identical command registered twice runs once
    python_hooks: int
    registrations: int  # handlers as registered, duplicates included

    @property
    def estimated_ms(self) -> int:
        return self.python_hooks * MS_PER_PYTHON_HOOK


@dataclass(frozen=True)
class GoodFile:
    path: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AuditReport:
    """What the audit found under `root`; paths are relative to it, with forward slashes."""

    root: Path
    files_analyzed: int
    findings: tuple[Finding, ...]
    good_files: tuple[GoodFile, ...]
    hooks: tuple[HookEvent, ...]
    subprocess_calls: int
    calls_with_timeout: int
    workers: tuple[tuple[int, int], ...]  # (literal max_workers, how many calls)
    seconds: float
    jobs: int
    without_timeout: Mapping[str, int] = field(default_factory=dict)  # see `FileAudit.fixable`
    suppressed: int = 0

    @property
    def issues(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if is_issue(f))

    @property
    def findings_count(self) -> int:
        return len(self.findings)

    @property
    def issues_count(self) -> int:
        return len(self.issues)

    @property
    def files_with_findings(self) -> int:
        return len({f.path for f in self.findings})

    @property
    def files_with_issues(self) -> int:
        return len({f.path for f in self.issues})

    @property
    def hooks_count(self) -> int:
        return sum(e.hooks for e in self.hooks)

    @property
    def estimated_hook_ms(self) -> int:
        return sum(e.estimated_ms for e in self.hooks)

    def by_kind(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.findings))

    def header(self) -> str:
        """The plan's first line, measured."""
        return (
            f"{self.files_analyzed} Python files analyzed, {self.files_with_issues} files with"
            f" issues ({self.issues_count} total issues)"
        )

    def metrics(self) -> dict[str, Any]:
        """The plan's success metrics that an audit measures, for a before/after table."""
        return {
            "subprocess calls without timeout": self.by_kind().get("subprocess-timeout", 0),
            "subprocess calls without timeout, by what the recipe does": dict(self.without_timeout),
            "max_workers values": Counter(dict(self.workers)),
            "hooks per event": {e.event: e.hooks for e in self.hooks},
            "estimated hook latency ms": self.estimated_hook_ms,
        }


def is_issue(finding: Finding) -> bool:
    kind = KINDS.get(finding.kind)
    return kind is None or kind.issue
