"""`migrate audit`: the plan's threading audit, made exact (syntax trees, not grep), on any folder.

What it reports, by kind of finding (`KINDS`):

- subprocess-timeout, os-system, asyncio-subprocess, subprocess-kwargs: from the
  `subprocess-timeouts` transform's own `scan`, so the audit and the recipe agree call for call;
- pool-workers: a `ThreadPoolExecutor` or listed callee (`run_parallel`) call without
  `max_workers`, or with a literal at or below the threshold (10, which the plan raises to 50).
  Process pools are counted but never flagged: processes beyond the CPU count add no speed;
- sequential-subprocess: a loop whose iterations look independent runs subprocess calls one
  after another (the heuristic is described in `sequential`);
- parse-error: a file neither `ast` nor LibCST can parse, or one that cannot be read or decoded.

An *issue* is a finding of a kind marked `issue` (everything but subprocess-kwargs, left alone
because `**kwargs` may carry a timeout, and sequential-subprocess, a heuristic's advice); the
header counts issues the way the plan did ("19 files with issues (34 total issues)").

Speed: each file is read as bytes and only files that can hold a finding (an import reaching a
call the audit looks for, see `file`) are decoded and parsed. Every other file is still
known to parse: CPython's bytecode cache for this interpreter (`__pycache__`, valid by the
import system's own rules) says it compiled, else `compile()` runs. A file the cache says
compiles is parsed as its skeleton (`pysource.skeleton`): bodies that cannot hold a finding (see
`tree`) cut. One walk of the tree finds the subprocess calls and their loops; a second
one, over the lines naming a pool or gather only, finds the pools. LibCST is imported only for a
file `ast` refuses that a later Python may accept, and by the parent process, not each worker.
Many files are spread over worker processes; results hold no file text.

The package, by stage: `listing` (which files), `parallel` (fanning out over processes), `file`
(one file's audit), `source` and `tree` (reading and parsing it once), `shape`, `shape_ast` and
`shape_cst` (pools and imports), `pools`, `sequential`, `hooks`, `results` (the report's
values), `formats` (JSON, SARIF), `options`, and `run` (`audit()` itself).
"""

from __future__ import annotations

from migrate.audit.formats import (
    ESTIMATE_NOTE,
    METRIC_KEYS,
    SARIF_SCHEMA,
    WITHOUT_TIMEOUT_KEYS,
    as_json,
    as_sarif,
)
from migrate.audit.listing import python_files
from migrate.audit.options import AuditOptions, recipe_options
from migrate.audit.parallel import Progress, parallel_map
from migrate.audit.results import (
    KINDS,
    MS_PER_PYTHON_HOOK,
    AuditReport,
    FileAudit,
    GoodFile,
    HookEvent,
    Kind,
    Level,
    is_issue,
)
from migrate.audit.run import POOL_MIN_FILES, audit, available_cpus

__all__ = [
    "ESTIMATE_NOTE",
    "KINDS",
    "METRIC_KEYS",
    "MS_PER_PYTHON_HOOK",
    "POOL_MIN_FILES",
    "SARIF_SCHEMA",
    "WITHOUT_TIMEOUT_KEYS",
    "AuditOptions",
    "AuditReport",
    "FileAudit",
    "GoodFile",
    "HookEvent",
    "Kind",
    "Level",
    "Progress",
    "as_json",
    "as_sarif",
    "audit",
    "available_cpus",
    "is_issue",
    "parallel_map",
    "python_files",
    "recipe_options",
]
