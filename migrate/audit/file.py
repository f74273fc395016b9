"""One file's audit: cheap tests on its bytes decide what to parse; the subprocess scan (the
`subprocess-timeouts` transform's own), the pools and the loops are read from one parse.
Never raises: a file the audit fails on is a finding, and the other files proceed."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from migrate.audit.options import AuditOptions
from migrate.audit.pools import good_reasons, pool_findings
from migrate.audit.results import FileAudit, is_issue
from migrate.audit.sequential import sequential_findings
from migrate.audit.shape_ast import read_shape
from migrate.audit.source import Source
from migrate.audit.tree import NotWithoutLibCST, Parsed, parse_check
from migrate.files import decode, match_glob
from migrate.model import UNSAFE, Finding
from migrate.pysource.pool_calls import POOLS
from migrate.pysource.subprocess_sites.prefilter import may_call
from migrate.pysource.suppress import suppressed, suppressions
from migrate.transforms.subprocess_timeouts import FileScan, scan
from migrate.transforms.timeout_rules import TimeoutRules

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


# Cheap tests on a file's bytes, each true whenever the part of the audit it guards can find
# anything; only files passing one are decoded and parsed.
_SUBPROCESS_WORDS = (b"subprocess", b"system", b"popen")  # then `may_call` on the text
# `good_reasons`: an import of concurrent.futures, or asyncio.gather (any alias of either).
_CONCURRENT_FUTURES = re.compile(rb"concurrent[\s\\]*(?:\.[\s\\]*futures|import)")


_TRANSFORM_WORDING = re.compile(r"(?P<name>[\w.]+): added (?P<rest>timeout=.*)", re.S)


def audit_chunk(
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
        return _audit_file(Source.read(root, path, newer_syntax), rules, options)
    except NotWithoutLibCST:
        return FileAudit(path, redo=True)
    except OSError as error:
        return _failed(path, 1, "parse-error", f"cannot read the file: {error.strerror}")
    except RecursionError:
        return _failed(path, 1, "parse-error", "too deeply nested to analyse")
    except Exception as error:  # one file's bug must not stop the audit
        return _failed(path, 1, "internal-error", f"the audit failed: {error!r}")


def _failed(path: str, line: int, kind: str, message: str) -> FileAudit:
    return FileAudit(path, (Finding(path, line, kind, message),))


def _audit_file(source: Source, rules: TimeoutRules, options: AuditOptions) -> FileAudit:
    pool_words = tuple(name.encode() for name in (*POOLS, *options.callees))
    wants_scan = source.mentions(_SUBPROCESS_WORDS)
    wants_pools = source.mentions(pool_words)
    data = source.data
    wants_fanout = (b"concurrent" in data and _CONCURRENT_FUTURES.search(data) is not None) or (
        b"gather" in data and b"asyncio" in data
    )
    if not (wants_scan or wants_pools or wants_fanout):
        return FileAudit(source.path, parse_check(source))
    decoded = decode(source.path, source.data)
    if decoded is None:
        return _failed(source.path, 1, "parse-error", "not text in its declared encoding")
    text = decoded.text
    # Known to compile: bodies that mention none of the words the audit needs are cut before
    # parsing (see `pysource.skeleton`). Otherwise the whole file is parsed, which checks it.
    parsed = Parsed(source, text, options.callees)
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
        extra = () if checked else parse_check(source)
        return FileAudit(
            source.path,
            (*findings, *extra),
            fixable=fixable,
            unsafe=unsafe,
            outside=outside,
            suppressed=ignored_count,
        )
    shape = read_shape(parsed, _shape_words(options))
    if isinstance(shape, Finding):
        return FileAudit(source.path, (shape,))
    more = pool_findings(source.path, shape, options)
    if sites:
        more += sequential_findings(parsed)
    ignored = suppressions(text)
    kept = [f for f in more if not suppressed(ignored, f.line, f.line, f.kind)]
    ignored_count += len(more) - len(kept)
    findings += kept
    issues = any(is_issue(f) for f in findings)
    good = () if issues else good_reasons(shape, sites, timed, options)
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
