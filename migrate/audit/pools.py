"""Pool findings (the max_workers the max-workers recipe changes, or another value) and the
good patterns of a file without findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from migrate.audit.options import AuditOptions
from migrate.audit.shape import PoolCall, Shape
from migrate.model import Finding
from migrate.pysource.pool_calls import POOLS, PROCESS_POOL

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


def pool_findings(path: str, shape: Shape, options: AuditOptions) -> list[Finding]:
    """An issue where the max-workers recipe changes the value (its `from`); a note where a
    thread pool or callee passes another value, or none."""
    findings = []
    for call in shape.pools(options.callees):
        if call.name == PROCESS_POOL:
            continue
        found = _pool_finding(call, options.workers_threshold)
        if found is not None:
            findings.append(Finding(path, call.line, *found))
    return findings


def _pool_finding(call: PoolCall, changed: int) -> tuple[str, str] | None:
    name = call.name
    if call.workers == changed:
        return "pool-workers", f"{name}(max_workers={changed}): the max-workers recipe raises it"
    if call.workers is None and not call.double_star:
        if name in POOLS:
            return "pool-workers-info", f"{name}() without max_workers gets min(32, CPUs + 4)"
        return "pool-workers-info", f"{name}() without max_workers uses {name}'s default"
    if isinstance(call.workers, int) and call.workers < changed:
        message = f"{name}(max_workers={call.workers}): small, left as it is (often deliberate)"
        return "pool-workers-info", message
    return None


def good_reasons(shape: Shape, sites: int, timed: int, options: AuditOptions) -> tuple[str, ...]:
    """Why a file without findings is a model: timeouts everywhere, sized pools, fan-out."""
    reasons = []
    if sites and timed == sites:
        calls = f"all {sites} subprocess calls have" if sites > 1 else "its subprocess call has"
        reasons.append(f"{calls} a timeout")
    pools = shape.pools(options.callees)
    if pools and all(c.workers is not None for c in pools):
        reasons.append("pools set max_workers explicitly")
    if shape.imported("concurrent.futures"):
        reasons.append("fans out with concurrent.futures")
    if any(shape.qualified(c.chain) == "asyncio.gather" for c in shape.calls):
        reasons.append("fans out with asyncio.gather")
    return tuple(reasons)
