"""`audit()`: list the files, audit them in one process or many, add the hooks, and sum up."""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.audit.file import audit_chunk
from migrate.audit.hooks import hook_events
from migrate.audit.listing import listing
from migrate.audit.options import AuditOptions
from migrate.audit.parallel import Progress, parallel_map
from migrate.audit.results import AuditReport, FileAudit, GoodFile, HookEvent
from migrate.errors import UserError
from migrate.model import Finding

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


# Below this many files one process is faster than starting workers.
POOL_MIN_FILES = 200


# -- the audit ----------------------------------------------------------------------------------


def audit(
    root: Path,
    paths: Sequence[str] = (),
    *,
    progress: Progress | None = None,
    jobs: int | None = None,
    options: AuditOptions | None = None,
) -> AuditReport:
    """Audit the Python files under `paths` (relative to `root`, or absolute; default: all).

    `jobs` None picks one process for small trees and every CPU for large ones;
    `progress(done, total)` is called in this process as files are analysed.
    """
    start = time.perf_counter()
    options = options or AuditOptions()
    if not root.is_dir():
        raise UserError(f"{root}: no such folder.")
    hooks, hook_findings, caps = hook_events(root)
    options = replace(options, hook_caps=caps)
    sizes = listing(root, paths)
    files = sorted(sizes, key=lambda p: (-sizes[p], p))
    workers = _jobs(jobs, len(files))
    # Workers leave files only LibCST may parse to this process, which imports LibCST (a third
    # of a second) once, while they go on, instead of in every worker.
    task = functools.partial(audit_chunk, str(root), options, workers == 1)
    weights = [sizes[p] + 1024 for p in files]  # a file costs its bytes, and a little more

    def finish(result: FileAudit) -> FileAudit:
        return audit_chunk(str(root), options, True, [result.path])[0] if result.redo else result

    results = parallel_map(
        task, files, jobs=workers, progress=progress, weights=weights, finish=finish
    )
    return _report(root, results, hooks, hook_findings, time.perf_counter() - start, workers)


def _jobs(jobs: int | None, files: int) -> int:
    if jobs is not None:
        if jobs < 1:
            raise UserError(f"--jobs must be 1 or more, got {jobs}.")
        return jobs
    return available_cpus() if files > POOL_MIN_FILES else 1


def available_cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _report(
    root: Path,
    results: Sequence[FileAudit],
    hooks: tuple[HookEvent, ...],
    hook_findings: Sequence[Finding],
    seconds: float,
    jobs: int,
) -> AuditReport:
    findings = [f for r in results for f in r.findings] + list(hook_findings)
    findings.sort(key=lambda f: (f.path, f.line, f.kind, f.message))
    good = [GoodFile(r.path, r.good) for r in results if r.good]
    workers = Counter(w for r in results for w in r.workers)
    return AuditReport(
        root=root,
        files_analyzed=len(results),
        findings=tuple(findings),
        good_files=tuple(sorted(good, key=lambda g: g.path)),
        hooks=hooks,
        subprocess_calls=sum(r.subprocess_calls for r in results),
        calls_with_timeout=sum(r.with_timeout for r in results),
        workers=tuple(sorted(workers.items())),
        seconds=seconds,
        jobs=jobs,
        without_timeout={
            "adds a timeout": sum(r.fixable for r in results),
            "left unsafe": sum(r.unsafe for r in results),
            "outside its paths": sum(r.outside for r in results),
        },
        suppressed=sum(r.suppressed for r in results),
    )
