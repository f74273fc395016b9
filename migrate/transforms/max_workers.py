"""The `max-workers` transform: raise `max_workers=<from>` to `<to>` in pool and runner calls.

Sites are found with `ast` (LibCST when this interpreter cannot parse the file); only the
number is spliced into the original text.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import token
import tokenize
from collections.abc import Mapping
from typing import Any, NamedTuple

from migrate.errors import UserError
from migrate.files import Snapshot, SourceFile
from migrate.model import FileChange, Finding, TransformResult
from migrate.pysource.edits import Edit, Lines, apply_edits
from migrate.pysource.parse import Unparsable, parse, parse_cst
from migrate.pysource.pool_calls import (
    KEYWORD,
    POOLS,
    PROCESS_POOL,
    PYTHON_SUFFIXES,
    Candidate,
    Found,
    callee,
)
from migrate.pysource.suppress import Suppressions, suppressed, suppressions
from migrate.transforms import bool_param, int_param, register, str_list_param
from migrate.transforms.formatting import format_changes

# Beyond this many workers ProcessPoolExecutor raises ValueError on Windows.
WINDOWS_PROCESS_LIMIT = 61


def _token_types(*names: str) -> frozenset[int]:
    return frozenset(getattr(token, n) for n in names if hasattr(token, n))


_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LINE_END = re.compile(r"\r\n|\r|\n")
# f-strings (3.12+) and t-strings (3.14+) arrive as several tokens between a start and an end.
_STRING_OPENERS = _token_types("FSTRING_START", "TSTRING_START")
_STRING_CLOSERS = _token_types("FSTRING_END", "TSTRING_END")


class _Options(NamedTuple):
    number: int
    to: int
    callees: frozenset[str]
    include_strings: bool
    text_pattern: re.Pattern[str]


class _Outcome(NamedTuple):
    """What happened to one file."""

    change: FileChange | None = None
    findings: tuple[Finding, ...] = ()
    code: int = 0
    strings: int = 0
    process_pools: tuple[Finding, ...] = ()  # edited process-pool sites, for the CPU warning
    suppressed: int = 0  # sites on a line with `# migrate: ignore[max-workers]`


@register(
    "max-workers",
    "Raise max_workers=<from> to <to> in ThreadPoolExecutor, ProcessPoolExecutor and named calls.",
    {
        "from": int_param(10, "the max_workers value to replace"),
        "to": int_param(50, "the new max_workers value"),
        "callees": str_list_param(["run_parallel"], "other callees (last dotted name) to edit"),
        "include_strings": bool_param(False, "also edit max_workers=<from> in string literals"),
        "cpus": int_param(0, "CPUs to warn against for process pools (0: this machine's)"),
    },
)
def max_workers(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    options = _options(params)
    paths = [p for p in snapshot.files if p.endswith(PYTHON_SUFFIXES)]
    outcomes = [_rewrite_path(snapshot, path, options) for path in paths]
    findings = [f for o in outcomes for f in o.findings]
    sites = [f for o in outcomes for f in o.process_pools]
    findings += _process_pool_warnings(sites, options.to, params["cpus"])
    ignored = sum(o.suppressed for o in outcomes)
    changes, notes = format_changes(snapshot, [o.change for o in outcomes if o.change is not None])
    return TransformResult(
        changes=changes,
        findings=tuple(findings),
        notes=notes,
        counts={
            "code": sum(o.code for o in outcomes),
            "strings": sum(o.strings for o in outcomes),
            **({"suppressed": ignored} if ignored else {}),
        },
    )


def _options(params: Mapping[str, Any]) -> _Options:
    for key in ("from", "to"):
        if params[key] < 1:
            raise UserError(f"params.{key} must be a positive integer, got {params[key]!r}.")
    if params["cpus"] < 0:
        raise UserError(f"params.cpus must be 0 (this machine) or more, got {params['cpus']!r}.")
    number = params["from"]
    # The number must stand alone: not 100, not 10.5, not 10_000; a sentence may end after it.
    pattern = re.compile(rf"(?<!\w){KEYWORD}[ \t]*=[ \t]*({number})(?!\w|\.\d)")
    return _Options(
        number=number,
        to=params["to"],
        callees=frozenset([*POOLS, *params["callees"]]),
        include_strings=params["include_strings"],
        text_pattern=pattern,
    )


def _rewrite_path(snapshot: Snapshot, path: str, options: _Options) -> _Outcome:
    source = snapshot.read(path)
    if source is None:
        message = "cannot read the file as text in its declared encoding; not changed"
        return _Outcome(findings=(Finding(path, 1, "parse-error", message),))
    if KEYWORD not in source.text or options.number == options.to:
        return _Outcome()
    found = _find(path, source.text, options.number, options.include_strings)
    if isinstance(found, Finding):
        return _Outcome(findings=(found,))
    return _apply(source, found, options)


def _find(path: str, text: str, number: int, with_strings: bool) -> Found | Finding:
    """The sites in `text`, by `ast` first and LibCST for syntax this interpreter does not know."""
    lines = Lines(text)
    tree = parse(text, path)
    if isinstance(tree, ast.Module):
        strings = _token_strings(text, lines) if with_strings else []
        if strings is not None:
            return Found(_ast_candidates(tree, lines, number), _ast_aliases(tree), strings)
        tree = parse_cst(text)  # only LibCST marks where the strings are
    if isinstance(tree, Unparsable):
        return _unparsable(path, tree)
    from migrate.transforms._max_workers_cst import cst_find  # LibCST is loaded by now

    try:
        return cst_find(tree, lines, number)
    except (RecursionError, MemoryError):
        return Finding(path, 1, "parse-error", "the file is too deeply nested to parse.")


def _unparsable(path: str, why: Unparsable) -> Finding:
    if why.nested:
        return Finding(path, 1, "parse-error", "the file is too deeply nested to parse.")
    line, reason = why.libcst_line or why.line, why.libcst_reason or why.reason
    return Finding(path, line, "parse-error", f"cannot parse the file ({reason}).")


def _apply(source: SourceFile, found: Found, options: _Options) -> _Outcome:
    text = source.text
    ignored = suppressions(text)
    every = _resolve(found, options.callees)
    in_code = [s for s in every if not _suppressed(ignored, text, s.start)]
    strings = _string_matches(text, found.strings, options.text_pattern, every)
    in_strings = {a: b for a, b in strings.items() if not _suppressed(ignored, text, a)}
    dropped = len(every) - len(in_code) + len(strings) - len(in_strings)
    if not in_code and not in_strings:
        return _Outcome(suppressed=dropped)
    new = str(options.to)
    edits = [Edit(s.start, s.end, new) for s in in_code]
    edits += [Edit(start, end, new) for start, end in in_strings.items()]
    after = apply_edits(text, edits)
    in_code_findings = [_edit_finding(source.path, text, s.start, s.name, options) for s in in_code]
    process = tuple(
        f for s, f in zip(in_code, in_code_findings, strict=True) if s.name == PROCESS_POOL
    )
    findings = in_code_findings + [
        _edit_finding(source.path, text, i, None, options) for i in in_strings
    ]
    findings.sort(key=lambda f: f.line)
    change = FileChange(source.path, text, after, source.encoding, source.bom)
    return _Outcome(change, tuple(findings), len(in_code), len(in_strings), process, dropped)


def _suppressed(ignored: Suppressions, text: str, index: int) -> bool:
    """A `# migrate: ignore[max-workers]` (or the audit's `pool-workers`) on the site's line."""
    line = _line_at(text, index)
    return any(suppressed(ignored, line, line, code) for code in ("max-workers", "pool-workers"))


def _string_matches(
    text: str, spans: list[tuple[int, int]], pattern: re.Pattern[str], in_code: list[Candidate]
) -> dict[int, int]:
    """Start -> end of each number to edit inside strings, each once and none already code.

    Spans nest (a string inside an f-string's braces), and an f-string's braces hold code.
    """
    code_starts = {c.start for c in in_code}
    matches: dict[int, int] = {}
    for start, end in spans:
        for m in pattern.finditer(text, start, end):
            if m.start(1) not in code_starts:
                matches[m.start(1)] = m.end(1)
    return matches


def _resolve(found: Found, callees: frozenset[str]) -> list[Candidate]:
    """The candidates whose callee (seen through import aliases) is a pool or a listed callee."""
    sites = []
    for c in found.candidates:
        name = callee(c.name, c.bare, found.aliases)
        if name in callees:
            sites.append(c._replace(name=name))
    return sites


def _edit_finding(path: str, text: str, index: int, callee: str | None, o: _Options) -> Finding:
    where = f"{callee}(...)" if callee else "a string literal"
    message = f"{KEYWORD}={o.number} -> {o.to} in {where}"
    return Finding(path, _line_at(text, index), "max-workers", message, edited=True)


def _line_at(text: str, index: int) -> int:
    return len(_LINE_END.findall(text, 0, index)) + 1


def _process_pool_warnings(sites: list[Finding], workers: int, cpus_param: int) -> list[Finding]:
    if not sites:
        return []
    # Asked only here so that runs without a process pool do not depend on the machine.
    cpus = cpus_param or os.cpu_count()
    if cpus is None or workers <= cpus:
        return []
    message = (
        f"{PROCESS_POOL} gets {workers} workers but there are {cpus} CPUs: processes beyond"
        " the CPU count cost memory and start-up time without adding speed"
    )
    if workers > WINDOWS_PROCESS_LIMIT:
        message += f"; on Windows more than {WINDOWS_PROCESS_LIMIT} raises ValueError"
    kind = "max-workers-process-pool"
    return [Finding(site.path, site.line, kind, message) for site in sites]


def _is_number(node: ast.expr, number: int) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == number


def _ast_candidates(tree: ast.Module, lines: Lines, number: int) -> list[Candidate]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            name, bare = node.func.id, True
        elif isinstance(node.func, ast.Attribute):
            name, bare = node.func.attr, False
        else:
            continue
        for kw in node.keywords:
            if kw.arg == KEYWORD and _is_number(kw.value, number):
                found.append(Candidate(name, bare, *lines.span(kw.value)))
    return found


def _ast_aliases(tree: ast.Module) -> dict[str, str]:
    return {
        alias.asname: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname
    }


def _token_strings(text: str, lines: Lines) -> list[tuple[int, int]] | None:
    """Spans of the non-bytes string literals, from `tokenize`; None when it cannot tokenize."""
    # Split as `Lines` does (lone CR included) so token rows and `Lines` rows agree.
    readline = functools.partial(next, iter(_PHYSICAL_LINE.findall(text)), "")
    spans = []
    depth = opened = 0

    def index(row_col: tuple[int, int]) -> int:
        return lines.line_start(row_col[0]) + row_col[1]

    try:
        for tok in tokenize.generate_tokens(readline):
            if tok.type in _STRING_OPENERS:
                opened = index(tok.start) if depth == 0 else opened
                depth += 1
            elif tok.type in _STRING_CLOSERS:
                depth -= 1
                if depth == 0:
                    spans.append((opened, index(tok.end)))
            elif tok.type == tokenize.STRING and depth == 0 and not _is_bytes(tok.string):
                spans.append((index(tok.start), index(tok.end)))
    except (tokenize.TokenError, SyntaxError):
        return None
    return spans


def _is_bytes(literal: str) -> bool:
    prefix = re.match(r"[A-Za-z]*", literal)
    return prefix is not None and "b" in prefix.group().lower()
