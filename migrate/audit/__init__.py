"""`migrate audit`: the plan's threading audit, made exact (syntax trees, not grep), on any folder.

What it reports, by kind of finding (`KINDS`):

- subprocess-timeout, os-system, asyncio-subprocess, subprocess-kwargs: from the
  `subprocess-timeouts` transform's own `scan`, so the audit and the recipe agree call for call;
- pool-workers: a `ThreadPoolExecutor` or listed callee (`run_parallel`) call without
  `max_workers`, or with a literal at or below the threshold (10, which the plan raises to 50).
  Process pools are counted but never flagged: processes beyond the CPU count add no speed;
- sequential-subprocess: a loop whose iterations look independent runs subprocess calls one
  after another (the heuristic is described at `_sequential`);
- parse-error: a file neither `ast` nor LibCST can parse, or one that cannot be read or decoded.

An *issue* is a finding of a kind marked `issue` (everything but subprocess-kwargs, left alone
because `**kwargs` may carry a timeout, and sequential-subprocess, a heuristic's advice); the
header counts issues the way the plan did ("19 files with issues (34 total issues)").

Speed: each file is read as bytes and only files that can hold a finding (an import reaching a
call the audit looks for, see `_audit_file`) are decoded and parsed. Every other file is still
known to parse: CPython's bytecode cache for this interpreter (`__pycache__`, valid by the
import system's own rules) says it compiled, else `compile()` runs. A file the cache says
compiles is parsed as its skeleton (`pysource.skeleton`): bodies that cannot hold a finding (see
`_SKELETON_WORDS`) cut. One walk of the tree finds the subprocess calls and their loops; a second
one, over the lines naming a pool or gather only, finds the pools. LibCST is imported only for a
file `ast` refuses that a later Python may accept, and by the parent process, not each worker.
Many files are spread over worker processes; results hold no file text.
"""

from __future__ import annotations

import ast
import bisect
import functools
import gc
import hashlib
import importlib.util
import itertools
import os
import re
import signal
import stat
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union
from urllib.parse import quote

from migrate import PROJECT_URL, __version__, worktree
from migrate.audit.shape import Call, PoolCall, Shape, Workers
from migrate.compat import tomllib
from migrate.errors import UserError
from migrate.files import Snapshot, check_relative, decode, match_glob
from migrate.hooks import settings
from migrate.model import UNSAFE, Finding
from migrate.pysource.parse import Unparsable, ast_module, compiles, parse
from migrate.pysource.pool_calls import KEYWORD, POOLS, PROCESS_POOL, PYTHON_SUFFIXES
from migrate.pysource.skeleton import skeleton, word_positions
from migrate.pysource.subprocess_sites.ast_front import ast_chain
from migrate.pysource.subprocess_sites.model import (
    NO_TIMEOUT,
    STAR_EXPORTS,
)
from migrate.pysource.subprocess_sites.read import read_facts
from migrate.pysource.subprocess_sites.resolve import Facts
from migrate.pysource.suppress import suppressed, suppressions
from migrate.resources import REPO_RECIPES, shipped
from migrate.transforms.subprocess_timeouts import (
    FileScan,
    HookCap,
    TimeoutRules,
    hook_caps,
    imported_names,
    may_call,
    scan,
)

if TYPE_CHECKING:
    import libcst as cst

T = TypeVar("T")
R = TypeVar("R")
Level = Literal["error", "warning", "note"]
Progress = Callable[[int, int], None]

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# The plan's assumption for one Python hook started by Claude Code; `migrate hooks bench` measures.
MS_PER_PYTHON_HOOK = 50
# Below this many files one process is faster than starting workers.
POOL_MIN_FILES = 200


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
class AuditOptions:
    """What the audit looks for; `timeouts` and `timeout_paths` are the subprocess-timeouts
    recipe's params and paths (None: every file), `workers_threshold` the max-workers recipe's
    `from` (the one value it changes) and `callees` its callees."""

    timeouts: Mapping[str, Any] = field(default_factory=dict)
    workers_threshold: int = 10
    callees: tuple[str, ...] = ("run_parallel",)
    timeout_paths: tuple[str, ...] | None = None
    hook_caps: Mapping[str, HookCap] = field(default_factory=dict)  # set by `audit`


def recipe_options(root: Path) -> AuditOptions:
    """The options the recipes in effect for `root` imply (the built-in ones, overridden by the
    repository's `.migrate/recipes`): so the audit says what `migrate apply` will do.

    Read straight from the TOML files (no transform is imported); a file that cannot be read
    leaves the defaults, as `migrate apply` will then refuse it with the reason.
    """
    found: dict[str, Mapping[str, Any]] = {}
    for folder in (shipped("recipes"), root / REPO_RECIPES):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                with path.open("rb") as f:
                    data = tomllib.load(f)
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if data.get("transform") in ("subprocess-timeouts", "max-workers"):
                found[data["transform"]] = data
    options = AuditOptions()
    timeouts, workers = found.get("subprocess-timeouts"), found.get("max-workers")
    if timeouts is not None:
        paths = timeouts.get("paths")
        options = replace(
            options,
            timeouts=dict(timeouts.get("params") or {}),
            timeout_paths=tuple(paths) if isinstance(paths, list) else None,
        )
    params = (workers or {}).get("params") or {}
    if isinstance(params.get("from"), int):
        options = replace(options, workers_threshold=params["from"])
    if isinstance(params.get("callees"), list):
        options = replace(options, callees=tuple(params["callees"]))
    return options


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
    hooks, hook_findings, caps = _hooks(root)
    options = replace(options, hook_caps=caps)
    sizes = _listing(root, paths)
    files = sorted(sizes, key=lambda p: (-sizes[p], p))
    workers = _jobs(jobs, len(files))
    # Workers leave files only LibCST may parse to this process, which imports LibCST (a third
    # of a second) once, while they go on, instead of in every worker.
    task = functools.partial(_audit_chunk, str(root), options, workers == 1)
    weights = [sizes[p] + 1024 for p in files]  # a file costs its bytes, and a little more

    def finish(result: FileAudit) -> FileAudit:
        return _audit_chunk(str(root), options, True, [result.path])[0] if result.redo else result

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


# -- which files ---------------------------------------------------------------------------------

_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})
_KEPT_HIDDEN = frozenset({".claude"})  # where Claude Code hooks live
_GLOB = re.compile(r"[*?\[]")


def python_files(root: Path, paths: Sequence[str] = ()) -> list[str]:
    """The Python files to audit, relative to `root` (posix), sorted.

    In a git work tree: tracked and untracked-but-not-ignored files (so `.venv` and ignored
    files are skipped); elsewhere, or when `root` itself is ignored, a walk that skips hidden
    folders (but `.claude`), virtual environments, `node_modules` and `__pycache__`. A file
    named explicitly is audited even when git ignores it.
    """
    return sorted(_listing(root, paths))


def _listing(root: Path, paths: Sequence[str]) -> dict[str, int]:
    """The Python files to audit, with their sizes."""
    selectors = [_selector(root, p) for p in paths]
    listed = worktree.listed(root)
    if listed is None:
        listed = list(_walk(root, [_literal_prefix(s) for s in selectors] or [""]))
    chosen = {p for p in listed if p.endswith(PYTHON_SUFFIXES) and _selected(p, selectors)}
    chosen.update(s for s in selectors if s.endswith(PYTHON_SUFFIXES) and (root / s).is_file())
    folder = os.path.join(root, "")
    return {p: size for p in chosen if (size := _size(folder + p)) is not None}


def _selector(root: Path, path: str) -> str:
    """`path` relative to `root` in posix form ("" for the root itself); refused outside it."""
    if os.path.isabs(path):
        try:
            path = Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UserError(f"{path}: is outside the audited folder {root}.") from None
    path = path.replace("\\", "/").strip("/")
    while path.startswith("./"):
        path = path[2:]
    if path in ("", "."):
        return ""
    why = check_relative(path)
    if why is not None:
        raise UserError(f"{path}: {why}.")
    if not _GLOB.search(path) and not (root / path).exists():
        raise UserError(f"{path}: no such file or folder in {root}.")
    return path


def _literal_prefix(selector: str) -> str:
    """The folder a glob selector starts from (`scripts` for `scripts/*.py`), or the selector."""
    if not _GLOB.search(selector):
        return selector
    return "/".join(itertools.takewhile(lambda p: not _GLOB.search(p), selector.split("/")))


def _selected(path: str, selectors: Sequence[str]) -> bool:
    if not selectors:
        return True
    for selector in selectors:
        if selector == "" or path == selector or path.startswith(selector + "/"):
            return True
        if _GLOB.search(selector) and match_glob(selector, path):
            return True
    return False


def _size(path: str) -> int | None:
    """The size of a regular file (one `stat`, on a string: listing is serial work)."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _walk(root: Path, starts: Sequence[str]) -> Iterator[str]:
    for start in dict.fromkeys(starts):
        top = root / start
        if top.is_file():
            yield start
            continue
        for folder, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if _walk_into(folder, d))
            relative = Path(folder).relative_to(root).as_posix()
            prefix = "" if relative == "." else relative + "/"
            yield from (prefix + n for n in names)


def _walk_into(folder: str, name: str) -> bool:
    if name in _SKIPPED_DIRS or (name.startswith(".") and name not in _KEPT_HIDDEN):
        return False
    path = os.path.join(folder, name)
    is_env = os.path.exists(os.path.join(path, "pyvenv.cfg"))
    return not is_env and not os.path.isdir(os.path.join(path, "conda-meta"))


# -- fanning work out over processes -------------------------------------------------------------


def parallel_map(
    fn: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    jobs: int,
    progress: Progress | None = None,
    weights: Sequence[int] | None = None,
    finish: Callable[[R], R] | None = None,
) -> list[R]:
    """`fn` applied to chunks of `items`, in `jobs` worker processes (1: in this process).

    Chunks hold about 1/8 of a worker's share of the total weight (default: 1 per item), so
    heavy items go in small chunks and the workers finish together. Results keep the input
    order; `finish(result)`, when given, runs here on each result as its chunk arrives (the
    workers go on meanwhile) and its value is kept; then `progress(done, total)` runs. `fn`
    must be picklable (a module-level function, or a `functools.partial` of one).
    """
    chunks = _chunks(items, weights or [1] * len(items), jobs)
    total, done = len(items), 0
    if progress is not None:
        progress(0, total)
    results: list[list[R]] = [[] for _ in chunks]
    for index, result in _run_chunks(fn, chunks, jobs):
        results[index] = result if finish is None else [finish(r) for r in result]
        done += len(chunks[index])
        if progress is not None:
            progress(done, total)
    return [r for part in results for r in part]


def _chunks(items: Sequence[T], weights: Sequence[int], jobs: int) -> list[Sequence[T]]:
    budget = max(1, sum(weights) // (max(jobs, 1) * 8))
    chunks: list[Sequence[T]] = []
    start, weight = 0, 0
    for i, item_weight in enumerate(weights):
        weight += item_weight
        if weight >= budget or i - start + 1 >= 64:
            chunks.append(items[start : i + 1])
            start, weight = i + 1, 0
    if start < len(items):
        chunks.append(items[start:])
    return chunks


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the chunks not started."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunks(
    fn: Callable[[Sequence[T]], list[R]], chunks: Sequence[Sequence[T]], jobs: int
) -> Iterator[tuple[int, list[R]]]:
    if jobs <= 1 or len(chunks) <= 1:
        for index, part in enumerate(chunks):
            yield index, fn(part)
        return
    import multiprocessing  # a fiftieth of a second: not for trees one process audits
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Forked workers inherit the imported modules; elsewhere fork is unsafe or unavailable.
    method = "fork" if sys.platform.startswith("linux") else None
    context = multiprocessing.get_context(method)
    # Frozen, this process's objects are never scanned by a worker's garbage collector, so the
    # workers do not copy the memory pages holding them (fork shares them copy-on-write).
    gc.freeze()
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_ignore_interrupts)
    try:
        pending = {pool.submit(fn, part): i for i, part in enumerate(chunks)}
        for future in as_completed(pending):
            yield pending[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()


# -- one file ------------------------------------------------------------------------------------

# Cheap tests on a file's bytes, each true whenever the part of the audit it guards can find
# anything; only files passing one are decoded and parsed.
_SUBPROCESS_WORDS = (b"subprocess", b"system", b"popen")  # then `may_call` on the text
# `_good_reasons`: an import of concurrent.futures, or asyncio.gather (any alias of either).
_CONCURRENT_FUTURES = re.compile(rb"concurrent[\s\\]*(?:\.[\s\\]*futures|import)")
# What a body must mention for the audit to look inside it (plus what `_skeleton_words` adds
# for the file). A site is always a call through an import (`pysource.scopes.qualname`): of a
# function of subprocess's (the body names the module, an alias of it, or what a from-import
# binds), or os's and asyncio's (named by their own names). `.wait()` is one only on a Popen
# made in the same scope, which names it too, or bound there by `global`/`nonlocal`. Then the
# names of the calls the shape records, and concurrent.futures, whose import is a good pattern.
_SKELETON_WORDS = frozenset(
    {
        "subprocess",
        *(n.rsplit(".", 1)[1] for n in NO_TIMEOUT),
        *("global", "nonlocal"),
        *(*POOLS, "gather", "concurrent"),
    }
)
_TRANSFORM_WORDING = re.compile(r"(?P<name>[\w.]+): added (?P<rest>timeout=.*)", re.S)
_PYC_MAGIC = importlib.util.MAGIC_NUMBER


def _audit_chunk(
    root: str, options: AuditOptions, newer_syntax: bool, paths: Sequence[str]
) -> list[FileAudit]:
    """The files' audits; without `newer_syntax`, files `ast` cannot parse are left to redo."""
    rules = TimeoutRules.from_params(options.timeouts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of the audited code are not ours
        return [_audit_path(root, path, rules, options, newer_syntax) for path in paths]


def _audit_path(
    root: str, path: str, rules: TimeoutRules, options: AuditOptions, newer_syntax: bool
) -> FileAudit:
    """Never raises: a file the audit fails on is reported, and the other files proceed."""
    try:
        return _audit_file(_Source.read(root, path, newer_syntax), rules, options)
    except _NotWithoutLibCST:
        return FileAudit(path, redo=True)
    except OSError as error:
        return _failed(path, 1, "parse-error", f"cannot read the file: {error.strerror}")
    except RecursionError:
        return _failed(path, 1, "parse-error", "too deeply nested to analyse")
    except Exception as error:  # one file's bug must not stop the audit
        return _failed(path, 1, "internal-error", f"the audit failed: {error!r}")


def _failed(path: str, line: int, kind: str, message: str) -> FileAudit:
    return FileAudit(path, (Finding(path, line, kind, message),))


@dataclass(frozen=True)
class _Source:
    """A file's bytes and status, as read once; `newer_syntax`: try LibCST where `ast` fails."""

    file: str
    path: str
    data: bytes
    stat: os.stat_result
    newer_syntax: bool

    @classmethod
    def read(cls, root: str, path: str, newer_syntax: bool = True) -> _Source:
        # os.open/os.read: a quarter of what `open()` and its buffered reader cost per file.
        file = os.path.join(root, path)
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            status = os.fstat(fd)
            data = os.read(fd, status.st_size + 1)
            while more := os.read(fd, 1 << 20):  # the file grew since fstat, or a short read
                data += more
        finally:
            os.close(fd)
        return cls(file, path, data, status, newer_syntax)

    def mentions(self, words: Sequence[bytes]) -> bool:
        return any(word in self.data for word in words)

    @functools.cached_property
    def compiles(self) -> bool:
        """Whether the bytecode cache says the file compiles (see `_cached_compile`)."""
        return _cached_compile(self)


def _audit_file(source: _Source, rules: TimeoutRules, options: AuditOptions) -> FileAudit:
    pool_words = tuple(name.encode() for name in (*POOLS, *options.callees))
    wants_scan = source.mentions(_SUBPROCESS_WORDS)
    wants_pools = source.mentions(pool_words)
    data = source.data
    wants_fanout = (b"concurrent" in data and _CONCURRENT_FUTURES.search(data) is not None) or (
        b"gather" in data and b"asyncio" in data
    )
    if not (wants_scan or wants_pools or wants_fanout):
        return FileAudit(source.path, _parse_check(source))
    decoded = decode(source.path, source.data)
    if decoded is None:
        return _failed(source.path, 1, "parse-error", "not text in its declared encoding")
    text = decoded.text
    # Known to compile: bodies that mention none of the words the audit needs are cut before
    # parsing (see `pysource.skeleton`). Otherwise the whole file is parsed, which checks it.
    parsed = _Parsed(source, text, options.callees)
    facts = parsed.facts() if wants_scan and may_call(text) else None
    found = (
        FileScan(source.path, text, text)
        if facts is None
        else scan(source.path, text, rules, facts=facts, cap=options.hook_caps.get(source.path))
    )
    inside = options.timeout_paths is None or any(
        match_glob(g, source.path) for g in options.timeout_paths
    )
    findings = [_reworded(f, inside) for f in found.findings]
    if any(f.kind == "parse-error" for f in findings):
        return FileAudit(source.path, tuple(findings))
    counts = found.counts
    fixable, unsafe = (counts.get("calls", 0), counts.get("unsafe", 0)) if inside else (0, 0)
    outside = 0 if inside else counts.get("calls", 0) + counts.get("unsafe", 0)
    ignored_count = counts.get("suppressed", 0)
    sites = _sites_found(found)
    timed = found.counts.get("has_timeout", 0)
    if not (wants_pools or sites or (wants_fanout and not findings)):
        checked = facts is not None  # else `scan` did not need to parse it
        extra = () if checked else _parse_check(source)
        return FileAudit(
            source.path,
            (*findings, *extra),
            fixable=fixable,
            unsafe=unsafe,
            outside=outside,
            suppressed=ignored_count,
        )
    shape = _read_shape(parsed, _shape_words(options))
    if isinstance(shape, Finding):
        return FileAudit(source.path, (shape,))
    more = _pool_findings(source.path, shape, options)
    if sites:
        more += _sequential_findings(parsed)
    ignored = suppressions(text)
    kept = [f for f in more if not suppressed(ignored, f.line, f.line, f.kind)]
    ignored_count += len(more) - len(kept)
    findings += kept
    issues = any(is_issue(f) for f in findings)
    good = () if issues else _good_reasons(shape, sites, timed, options)
    workers = tuple(p.workers for p in shape.pools(options.callees) if isinstance(p.workers, int))
    return FileAudit(
        source.path,
        tuple(findings),
        sites,
        timed,
        workers,
        good,
        fixable=fixable,
        unsafe=unsafe,
        outside=outside,
        suppressed=ignored_count,
    )


def _reworded(finding: Finding, inside: bool) -> Finding:
    """The transform's finding, in the audit's words: what the recipe will do with the call."""
    message = finding.message.removesuffix("; not changed")
    kind = finding.kind
    match = _TRANSFORM_WORDING.fullmatch(message)
    name = match["name"] if match else message.split(":", 1)[0]
    if kind == UNSAFE:
        kind = "subprocess-timeout"
        reasons = message.split(": unsafe, not edited: ", 1)[-1]
        message = f"{name} has no timeout; unsafe: {reasons}"
    elif match:
        message = f"{name} has no timeout; the subprocess-timeouts recipe adds {match['rest']}"
    if kind == "subprocess-timeout" and not inside:
        message = f"{name} has no timeout; outside the recipe's paths (add them with `paths`)"
    return Finding(finding.path, finding.line, kind, message)


def _sites_found(found: FileScan) -> int:
    keys = (
        *("calls", "unsafe", "not_edited", "has_timeout", "kwargs", "os_system"),
        *("asyncio_subprocess", "suppressed"),
    )
    return sum(found.counts.get(k, 0) for k in keys)


def _shape_words(options: AuditOptions) -> frozenset[str]:
    """The names whose calls the shape records: pools, the callees, asyncio.gather."""
    return frozenset({*POOLS, *options.callees, "gather"})


# -- is it parsable? ---------------------------------------------------------------------------


def _parse_check(source: _Source) -> tuple[Finding, ...]:
    """() when the file parses; the bytecode cache answers first, `compile()` otherwise."""
    if source.compiles or compiles(source.data, source.path):
        return ()  # else the compiler may refuse more than the parser: ask the parsers
    decoded = decode(source.path, source.data)
    if decoded is None:
        return (Finding(source.path, 1, "parse-error", "not text in its declared encoding"),)
    tree = _tree(source.path, decoded.text, source.newer_syntax)
    return (tree,) if isinstance(tree, Finding) else ()


def _cached_compile(source: _Source) -> bool:
    """Whether this interpreter's `__pycache__` holds a valid compilation of exactly this file.

    The import system's own test: magic number, then the source hash, or mtime and size.
    """
    try:
        fd = os.open(importlib.util.cache_from_source(source.file), os.O_RDONLY)
    except (OSError, ValueError, NotImplementedError):
        return False
    try:
        head = os.read(fd, 16)
    except OSError:
        return False
    finally:
        os.close(fd)
    if len(head) < 16 or head[:4] != _PYC_MAGIC:
        return False
    if int.from_bytes(head[4:8], "little") & 1:
        return head[8:16] == importlib.util.source_hash(source.data)
    mtime = int.from_bytes(head[8:12], "little")
    size = int.from_bytes(head[12:16], "little")
    status = source.stat
    return mtime == int(status.st_mtime) & 0xFFFFFFFF and size == status.st_size & 0xFFFFFFFF


# -- the shape of a module: calls, imports, loops -------------------------------------------------

LoopNode = Union[ast.For, ast.AsyncFor, ast.While]  # noqa: UP007 - a runtime alias
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LINE_END = re.compile(r"\r\n?|\n")  # where `ast` ends lines


class _NotWithoutLibCST(Exception):
    """`ast` cannot parse the file, and LibCST is not to be tried in this process."""


def _tree(path: str, text: str, newer_syntax: bool) -> ast.Module | cst.Module | Finding:
    """The module from `ast`, else from LibCST (newer syntax), else the parse-error finding."""
    tree = parse(text, path, libcst=newer_syntax)
    if not isinstance(tree, Unparsable):
        return tree
    if tree.later_python:
        raise _NotWithoutLibCST(path)
    if tree.nested:
        raise RecursionError(path)  # reported as too deeply nested, like a deep walk
    return Finding(path, tree.line, "parse-error", f"cannot parse this file ({tree.reason})")


class _Parsed:
    """One `ast` parse of a file, shared by the subprocess scan, the shape and the loop check.

    When the source is known to compile, the parse is of its skeleton: the bodies that mention
    none of the audit's words (and `callees`) are cut, every other node keeps its position.
    """

    def __init__(self, source: _Source, text: str, callees: Sequence[str]) -> None:
        self.source, self.path, self.text, self.callees = source, source.path, text, callees
        self._tree: ast.Module | cst.Module | Finding | None = None
        self._facts: Facts | Unparsable | None = None

    def tree(self) -> ast.Module | cst.Module | Finding:
        if self._tree is None and self.source.compiles:
            cut = skeleton(self.text, _skeleton_words(self.text, self.callees))
            if cut is not None:
                self._tree = ast_module(cut, self.path)
        if self._tree is None:
            self._tree = _tree(self.path, self.text, self.source.newer_syntax)
        return self._tree

    def facts(self) -> Facts | Unparsable:
        if self._facts is None:
            tree = self.tree()
            parsed = None if isinstance(tree, Finding) else tree
            self._facts = read_facts(self.text, self.path, tree=parsed)
        return self._facts


def _skeleton_words(text: str, callees: Sequence[str]) -> list[str]:
    """The skeleton's words, the callees, and the names the file's imports bind to subprocess,
    to a site's function (Popen too), or to one of the words."""
    words = {*_SKELETON_WORDS, *callees}
    for name, dotted in imported_names(text):
        module, _, function = dotted.rpartition(".")
        exported = STAR_EXPORTS.get(module, ())
        if dotted == "subprocess" or function in words or function in exported:
            words.add(name)
        elif function == "*":
            words.update(exported)
    return sorted(words)


def _read_shape(parsed: _Parsed, words: frozenset[str]) -> Shape | Finding:
    """Imports, and the calls of the callees named `words` (or aliases of them) with their loops.

    In an `ast` tree only nodes spanning a line that mentions a wanted word are visited: every
    import spans a line saying "import", every wanted call a line naming its callee. LibCST
    trees (syntax newer than this interpreter) are read whole, and without loops.
    """
    tree, text = parsed.tree(), parsed.text
    if isinstance(tree, Finding):
        return tree
    shape = Shape()
    if isinstance(tree, ast.Module):
        _AstReader(shape, _lines_with(text, ["import"]), None).visit(tree)
        wanted = words | shape.aliases(words)
        _AstReader(shape, _lines_with(text, wanted), wanted).visit(tree)
    else:
        from migrate.audit.shape_cst import read_shape  # LibCST only when a file needs it

        read_shape(tree, shape)
    return shape


def _lines_with(text: str, words: Iterable[str]) -> list[int]:
    """The numbers of the lines where any of `words` occurs as a whole word, sorted."""
    hits = word_positions(text, words)
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        starts = [0, *(m.end() for m in _LINE_END.finditer(text))]  # lone CRs end lines too
        return sorted({bisect.bisect_right(starts, i) for i in hits})
    lines: list[int] = []
    line, counted = 1, 0
    for index in hits:
        line += text.count("\n", counted, index)
        counted = index
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


class _AstReader:
    """Visits the nodes spanning one of `lines`: imports, or (given `names`) calls of them."""

    def __init__(self, shape: Shape, lines: list[int], names: frozenset[str] | None) -> None:
        self.shape = shape
        self.lines = lines
        self.names = names

    def visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if self.spans_a_line(child):
                self.record(child)
                self.visit(child)

    def spans_a_line(self, node: ast.AST) -> bool:
        start: int | None = getattr(node, "lineno", None)
        if start is None:
            return True
        end: int = getattr(node, "end_lineno", None) or start
        index = bisect.bisect_left(self.lines, start)
        return index < len(self.lines) and self.lines[index] <= end

    def record(self, node: ast.AST) -> None:
        if self.names is None:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports(node)
        elif isinstance(node, ast.Call):
            self.call(node, self.names)

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if isinstance(node, ast.Import):
                self.shape.add_import(alias.name, alias.asname)
            else:
                self.shape.add_from(node.module, node.level, alias.name, alias.asname)

    def call(self, node: ast.Call, names: frozenset[str]) -> None:
        chain = ast_chain(node.func)
        if chain is None or chain[-1] not in names:
            return
        keyword = next((k.value for k in node.keywords if k.arg == KEYWORD), None)
        first = node.args[0] if node.args else None
        stars = any(k.arg is None for k in node.keywords)
        call = Call(node.lineno, chain, _ast_workers(keyword), _ast_workers(first), stars)
        self.shape.calls.append(call)


def _ast_workers(value: ast.expr | None) -> Workers:
    if value is None:
        return None
    if isinstance(value, ast.Constant) and type(value.value) is int:
        return int(value.value)
    return "dynamic"


# -- pools, fan-out, loops -----------------------------------------------------------------------


def _pool_findings(path: str, shape: Shape, options: AuditOptions) -> list[Finding]:
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


def _good_reasons(shape: Shape, sites: int, timed: int, options: AuditOptions) -> tuple[str, ...]:
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


def _sequential_findings(parsed: _Parsed) -> list[Finding]:
    """One finding per loop that runs independent-looking subprocess calls one at a time.

    The sites are told apart exactly, and each knows its innermost loop (`pysource.subprocess_sites`
    records it as it reads the module).
    """
    facts = parsed.facts()
    if not isinstance(facts, Facts):
        return []
    starts: dict[LoopNode, set[tuple[int, int]]] = {}
    for site in facts.sites:
        loop, raw = site.call.loop, site.call.raw
        if isinstance(loop, _LOOPS) and raw is not None:  # not inside an f-string
            starts.setdefault(loop, set()).add(raw.start)
    findings = []
    for loop, where in starts.items():
        calls = [n for n in ast.walk(loop) if isinstance(n, ast.Call) and _start(n) in where]
        finding = _sequential(parsed.path, loop, calls)
        if finding is not None:
            findings.append(finding)
    return findings


def _start(node: ast.Call) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _sequential(path: str, loop: LoopNode, sites: list[ast.Call]) -> Finding | None:
    """The loop's subprocess calls look independent from one iteration to the next when:

    - the body cannot end the loop early (`break`, `return`, `yield`: the rest may depend
      on a result), and for `while`, the condition reads no name the body assigns;
    - the call reads a per-iteration name: the `for` target, or a name the body assigns
      before reading it;
    - the call reads no name carried over from the previous iteration (assigned in the
      body but read before that assignment, like `total += ...` or `prev = x` after use).
    """
    if _exits(loop.body):
        return None
    events = _name_events(loop.body)
    first: dict[str, bool] = {}
    for name, store in events:
        first.setdefault(name, store)
    assigned = {name for name, store in events if store}
    carried = {name for name in assigned if not first[name]}
    if isinstance(loop, ast.While):
        if _loads(loop.test) & assigned:
            return None
        per_iteration = assigned - carried
    else:
        per_iteration = {n for n, _ in _name_events([loop.target])} | (assigned - carried)
    independent = [c for c in sites if _loads(c) & per_iteration and not _loads(c) & carried]
    if not independent:
        return None
    lines = ", ".join(str(n) for n in sorted({c.lineno for c in independent}))
    what = "while" if isinstance(loop, ast.While) else "for"
    many = "s" if len(independent) > 1 else ""
    message = (
        f"{what} loop runs subprocess call{many} (line {lines}) one after another; its"
        " iterations look independent, so they could run in parallel"
    )
    return Finding(path, loop.lineno, "sequential-subprocess", message)


def _exits(body: Sequence[ast.stmt]) -> bool:
    """Whether the body may end its loop early (a `break` of an inner loop does not)."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in body]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Break) and not nested:
            return True
        if isinstance(node, _SCOPES):
            continue
        inner = nested or isinstance(node, _LOOPS)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return False


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _name_events(nodes: Sequence[ast.AST]) -> list[tuple[str, bool]]:
    """(name, stored?) in the order Python evaluates them: `x = f(x)` reads x, then stores it."""
    out: list[tuple[str, bool]] = []
    for node in nodes:
        _events(node, out)
    return out


def _events(node: ast.AST, out: list[tuple[str, bool]]) -> None:
    if isinstance(node, ast.Name):
        out.append((node.id, not isinstance(node.ctx, ast.Load)))
    elif isinstance(node, _SCOPES):
        if not isinstance(node, ast.Lambda):
            out.append((node.name, True))
    elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
        if node.value is not None:
            _events(node.value, out)
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            _events(target, out)
    elif isinstance(node, ast.AugAssign):
        if isinstance(node.target, ast.Name):
            out.append((node.target.id, False))
        _events(node.value, out)
        _events(node.target, out)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        for part in (node.iter, node.target, *node.body, *node.orelse):
            _events(part, out)
    elif isinstance(node, _COMPREHENSIONS):
        _comprehension_events(node, out)
    elif isinstance(node, ast.ExceptHandler):
        if node.type is not None:
            _events(node.type, out)
        if node.name:
            out.append((node.name, True))
        for stmt in node.body:
            _events(stmt, out)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        out.extend(((a.asname or a.name).split(".", 1)[0], True) for a in node.names)
    else:
        for child in ast.iter_child_nodes(node):
            _events(child, out)


def _comprehension_events(node: ast.AST, out: list[tuple[str, bool]]) -> None:
    """A comprehension's own variables stay inside it: only the names it reads get out."""
    inner: list[tuple[str, bool]] = []
    for child in ast.iter_child_nodes(node):
        _events(child, inner)
    local = {name for name, store in inner if store}
    out.extend((name, store) for name, store in inner if name not in local)


# -- hooks ---------------------------------------------------------------------------------------


def _hooks(root: Path) -> tuple[tuple[HookEvent, ...], list[Finding], dict[str, HookCap]]:
    """Hooks per event from the settings files (a broken one is a finding), and the timeout
    caps of the hook scripts."""
    snapshot = Snapshot(root, ())
    registrations: list[settings.HookRegistration] = []
    findings = []
    for file in settings.SETTINGS_FILES:
        try:
            registrations += settings.load(snapshot, (file,))
        except UserError as error:
            findings.append(Finding(file, 1, "parse-error", error.message))
    by_event: dict[str, list[settings.HookRegistration]] = {}
    for registration in registrations:
        by_event.setdefault(registration.event, []).append(registration)
    events = tuple(_event(event, regs) for event, regs in by_event.items())
    caps = hook_caps(snapshot) if registrations and not findings else {}
    return events, findings, caps


def _event(event: str, regs: Sequence[settings.HookRegistration]) -> HookEvent:
    """Claude Code runs an identical command once per event, however many matcher groups or
    settings files register it: count it once."""
    distinct = {_identity(r): r for r in regs}
    python = sum(r.runs_python for r in distinct.values())
    return HookEvent(event, len(distinct), python, len(regs))


def _identity(registration: settings.HookRegistration) -> tuple[str, str]:
    return registration.type, registration.command.strip() or str(id(registration))


# -- output --------------------------------------------------------------------------------------

ESTIMATE_NOTE = (
    f"estimate: {MS_PER_PYTHON_HOOK} ms per Python hook, run one after another (the plan's"
    " assumption); `migrate hooks bench` measures"
)


# The human labels of the metrics (tables keep them) and their snake_case keys in the JSON.
METRIC_KEYS: Mapping[str, str] = {
    "subprocess calls without timeout": "subprocess_calls_without_timeout",
    "subprocess calls without timeout, by what the recipe does": (
        "subprocess_calls_without_timeout_by_outcome"
    ),
    "max_workers values": "max_workers_values",
    "hooks per event": "hooks_per_event",
    "estimated hook latency ms": "estimated_hook_latency_ms",
}
WITHOUT_TIMEOUT_KEYS: Mapping[str, str] = {
    "adds a timeout": "adds_timeout",
    "left unsafe": "left_unsafe",
    "outside its paths": "outside_paths",
}


def as_json(report: AuditReport) -> dict[str, Any]:
    """Everything in the report, for `--json` (shape "audit", docs/json.md)."""
    return {
        "schema": 1,
        "kind": "audit",
        "root": str(report.root),
        "summary": {
            "header": report.header(),
            "files_analyzed": report.files_analyzed,
            "files_with_issues": report.files_with_issues,
            "issues": report.issues_count,
            "files_with_findings": report.files_with_findings,
            "findings": report.findings_count,
            "subprocess_calls": report.subprocess_calls,
            "calls_with_timeout": report.calls_with_timeout,
            "calls_without_timeout": _without_timeout_json(report.without_timeout),
            "suppressed": report.suppressed,
            "good_files": len(report.good_files),
            "seconds": round(report.seconds, 3),
            "jobs": report.jobs,
        },
        "by_kind": report.by_kind(),
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "kind": f.kind,
                "message": f.message,
                "issue": is_issue(f),
            }
            for f in report.findings
        ],
        "hooks": {
            "events": [
                {
                    "event": e.event,
                    "hooks": e.hooks,
                    "python_hooks": e.python_hooks,
                    "registrations": e.registrations,
                    "estimated_ms": e.estimated_ms,
                }
                for e in report.hooks
            ],
            "total": report.hooks_count,
            "estimated_sequential_ms": report.estimated_hook_ms,
            "note": ESTIMATE_NOTE,
        },
        "good_files": [{"path": g.path, "reasons": list(g.reasons)} for g in report.good_files],
        "metrics": _json_metrics(report.metrics()),
    }


def _without_timeout_json(counts: Mapping[str, int]) -> dict[str, int]:
    return {WITHOUT_TIMEOUT_KEYS[label]: n for label, n in counts.items()}


def _json_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    out = {METRIC_KEYS[label]: value for label, value in metrics.items()}
    values = sorted(metrics["max_workers values"].items())
    out["max_workers_values"] = {str(k): v for k, v in values}
    label = "subprocess calls without timeout, by what the recipe does"
    out[METRIC_KEYS[label]] = _without_timeout_json(metrics[label])
    return out


def as_sarif(report: AuditReport) -> dict[str, Any]:
    """A SARIF 2.1.0 log (GitHub code scanning): one rule per kind, one result per finding."""
    kinds = list(KINDS)
    rules = [
        {
            "id": kind,
            "name": "".join(word.capitalize() for word in kind.split("-")),
            "shortDescription": {"text": KINDS[kind].title},
            "fullDescription": {"text": KINDS[kind].help},
            "help": {"text": KINDS[kind].help},
            "helpUri": PROJECT_URL,
            "defaultConfiguration": {"level": KINDS[kind].level},
            "properties": {"tags": ["issue" if KINDS[kind].issue else "informational"]},
        }
        for kind in kinds
    ]
    seen: Counter[str] = Counter()
    results = [_sarif_result(f, kinds, seen) for f in report.findings]
    driver = {
        "name": "migrate",
        "version": __version__,
        "informationUri": PROJECT_URL,
        "rules": rules,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}
        ],
    }


def _fingerprint(finding: Finding, seen: Counter[str]) -> str:
    """Stable while lines move: the rule, the file and the message (and which occurrence of
    that triple), so that code scanning keeps one alert per finding across commits."""
    message = re.sub(r"\bline \d+", "line", finding.message)  # "(line 29)" moves too
    key = f"{finding.kind}\0{finding.path}\0{message}"
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]


def _sarif_result(finding: Finding, kinds: list[str], seen: Counter[str]) -> dict[str, Any]:
    kind = KINDS.get(finding.kind)
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(finding.path), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(1, finding.line)},
        }
    }
    result: dict[str, Any] = {
        "ruleId": finding.kind,
        "level": kind.level if kind else "warning",
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {"migrateFinding/v1": _fingerprint(finding, seen)},
    }
    if finding.kind in kinds:
        result["ruleIndex"] = kinds.index(finding.kind)
    return result
