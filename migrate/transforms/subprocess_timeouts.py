"""The `subprocess-timeouts` transform: add `timeout=` to subprocess calls that can hang forever.

The value depends on the command: argv words from a list/tuple literal (or a name bound once to
one), `sys.executable` standing for python. A string command is split like a shell line into its
simple commands (at `&&`, `||`, `;`, `|`, `&`), each classified, and the longest timeout among
them wins: `cd x && pip install y` gets the package-manager value. `scan` analyses one file for
both this transform and the audit; the calls themselves are found in `pysource.subprocess_sites`,
the timeout a command gets in `timeout_rules`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from migrate.files import PYTHON, Snapshot, newline_of
from migrate.hooks import settings
from migrate.model import EMPTY, UNSAFE, FileChange, Finding, TransformResult
from migrate.pysource.edits import Edit, apply_edits
from migrate.pysource.parse import Parser, Unparsable, parses_expression
from migrate.pysource.subprocess_sites.model import (
    Layout,
    Site,
    Star,
)
from migrate.pysource.subprocess_sites.prefilter import may_call
from migrate.pysource.subprocess_sites.read import read_facts
from migrate.pysource.subprocess_sites.resolve import Facts
from migrate.pysource.suppress import Suppressions, suppressed, suppressions
from migrate.transforms import Param, bool_param, register, str_list_param, table_param
from migrate.transforms.formatting import format_changes
from migrate.transforms.timeout_rules import (
    CATEGORIES,
    DEFAULT_RULES,
    LONG_COMMANDS,
    PACKAGE_MANAGERS,
    TEST_RUNNERS,
    TimeoutRules,
)

_ADVICE = {
    "os.system": "has no timeout; use subprocess.run([...], timeout=...) instead",
    "os.popen": "has no timeout; use subprocess.run([...], capture_output=True, timeout=...)",
    "asyncio-subprocess": "has no timeout; await asyncio.wait_for(proc.communicate(), timeout=...)",
}


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _valid_rules(table: Mapping[str, Any]) -> bool:
    return all(key in CATEGORIES and _positive_int(v) for key, v in table.items())


PARAMS: Mapping[str, Param] = {
    "default": Param(
        10, "a positive whole number of seconds", _positive_int, "timeout for other commands"
    ),
    "rules": table_param(
        DEFAULT_RULES,
        "a table of seconds by command kind (keys: git-push, tests, package-managers;"
        " values: positive whole numbers)",
        _valid_rules,
    ),
    "test_runners": str_list_param(TEST_RUNNERS, "programs or `python -m` modules that run tests"),
    "package_managers": str_list_param(PACKAGE_MANAGERS, "programs or modules that install"),
    "long_commands": str_list_param(
        LONG_COMMANDS, "commands known to run long: a timeout on them is an unsafe edit"
    ),
    "unsafe": bool_param(False, "also make the unsafe edits (`migrate apply --unsafe`)"),
}
# Claude Code kills a hook after its registered timeout (60 s when none): a call inside a hook
# script gets at most that minus this share of it (at least 1 s), so the hook can report its
# own failure first (20 s: 15 s; 60 s: 45 s).
HOOK_DEFAULT_TIMEOUT = 60
HOOK_MARGIN = 0.25


# -- where and how to write `timeout=` ----------------------------------------------------------


def _line_start(text: str, index: int) -> int:
    return max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1


def _skip_space(text: str, i: int, stop: int) -> int:
    """The index after whitespace, comments and line continuations from `i`."""
    while i < stop:
        char = text[i]
        if char == "#":
            ends = [e for e in (text.find("\n", i, stop), text.find("\r", i, stop)) if e >= 0]
            i = min(ends, default=stop)
        elif char in " \t\f\r\n\\":
            i += 1
        else:
            break
    return i


def _skip_parens(text: str, i: int, stop: int) -> tuple[int, int]:
    """From `i`, skip space and `)`s: (the index after the last `)`, or `i`; the next token)."""
    end = i
    while True:
        i = _skip_space(text, i, stop)
        if i < stop and text[i] == ")":
            i += 1
            end = i
        else:
            return end, i


def _indent(text: str, last_start: int, close: int) -> str:
    """The indentation for a new argument line: the last argument's, else the `)` line's + 4."""
    prefix = text[_line_start(text, last_start) : last_start]
    if not prefix.strip():
        return prefix
    closing = text[_line_start(text, close) : close]
    if not closing.strip():
        return closing + ("\t" if closing.startswith("\t") else "    ")
    return re.sub(r"[^\t]", " ", prefix)


def insertion(text: str, layout: Layout, keyword: str) -> Edit:
    """The edit adding `keyword` (e.g. `timeout=10`) as the last argument, in the call's style."""
    close = layout.end - 1
    if layout.last_start is None or layout.last_end is None:
        open_ = _skip_parens(text, layout.func_end, close)[1]
        inside = text[open_ + 1 : close]
        if not inside.strip():
            return Edit(open_ + 1, close, keyword)
        return Edit(open_ + 1, open_ + 1, keyword)
    end, comma = _skip_parens(text, layout.last_end, close)  # `)`: the argument's own parens
    if comma >= close or text[comma] != ",":
        return Edit(end, end, f", {keyword}")
    after_comma = text[comma + 1 : close]
    if "\n" not in after_comma and "\r" not in after_comma:
        return Edit(comma + 1, comma + 1, f" {keyword},")
    line_end = min(e for e in (text.find("\n", comma), text.find("\r", comma)) if e >= 0)
    newline = newline_of(text)
    indent = _indent(text, layout.last_start, close)
    return Edit(line_end, line_end, f"{newline}{indent}{keyword},")


# -- one file -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileScan:
    """One file's analysis: the edits to make, what to report, and counts for the summary."""

    path: str
    before: str
    after: str
    edits: tuple[Edit, ...] = ()
    findings: tuple[Finding, ...] = ()
    counts: Mapping[str, int] = field(default_factory=lambda: EMPTY)


def _has_timeout(site: Site) -> bool:
    call = site.call
    positional = {"Popen.wait": 1, "Popen.communicate": 2}.get(site.name)
    return "timeout" in call.keywords or (positional is not None and len(call.args) >= positional)


def _may_carry_timeout(site: Site) -> str | None:
    if site.call.double_star:
        return "**kwargs"
    if site.name.startswith("Popen.") and any(isinstance(a, Star) for a in site.call.args):
        return "*args"
    return None


@dataclass(frozen=True)
class _Decision:
    """What to do with one site: the counter it adds to, what to report, what to splice."""

    count: str
    finding: Finding | None = None
    edit: tuple[Layout, Edit] | None = None
    default: bool = False
    unsafe: bool = False  # an unsafe edit made (the `unsafe` param)


@dataclass(frozen=True)
class HookCap:
    """The most a call inside a hook script may wait: the hook's registered timeout (Claude
    Code's default when none) minus a margin for the hook to report its own failure."""

    registered: float

    @property
    def seconds(self) -> int:
        return max(1, int(self.registered - max(1.0, self.registered * HOOK_MARGIN)))


def hook_caps(snapshot: Snapshot) -> dict[str, HookCap]:
    """The cap of each Python script registered as a Claude Code hook (the smallest when it is
    registered more than once), by repo-relative path."""
    caps: dict[str, HookCap] = {}
    for registration in settings.load(snapshot):
        script = registration.script
        if script is None or registration.type != "command":
            continue
        cap = HookCap(registration.timeout or HOOK_DEFAULT_TIMEOUT)
        if script not in caps or cap.registered < caps[script].registered:
            caps[script] = cap
    return caps


# The kinds of finding a site's suppression comment names (`# migrate: ignore[<kind>]`).
_SUPPRESSION_CODES = {"timeout": "subprocess-timeout"}


def _suppressed(site: Site, found: Suppressions) -> bool:
    raw = site.call.raw
    last = site.call.line if raw is None else raw.end[0]
    code = _SUPPRESSION_CODES.get(site.kind, site.kind)
    return suppressed(found, site.call.line, last, code)


def _decide(
    path: str, text: str, site: Site, facts: Facts, rules: TimeoutRules, cap: HookCap | None
) -> _Decision:
    line = site.call.line
    if site.kind != "timeout":
        advice = _ADVICE.get(site.name) or _ADVICE[site.kind]
        return _Decision(
            site.kind.replace("-", "_"), Finding(path, line, site.kind, f"{site.name} {advice}")
        )
    if _has_timeout(site):
        return _Decision("has_timeout")
    carrier = _may_carry_timeout(site)
    if carrier is not None:
        message = f"{site.name} left alone: it passes {carrier}, which may already pass timeout"
        return _Decision("kwargs", Finding(path, line, "subprocess-kwargs", message))
    layout = facts.layout(site.call)
    if layout is None:
        message = f"{site.name} inside an f-string has no timeout; add one by hand"
        return _Decision("not_edited", Finding(path, line, "subprocess-timeout", message))
    seconds, rule = rules.timeout_for(site.command)
    why = rule or f"command not recognised: default {seconds} s"
    if cap is not None and seconds > cap.seconds:
        seconds = cap.seconds
        why += f"; at most {seconds} s inside a hook registered with {cap.registered:g} s"
    hazards = list(site.hazards)
    long = rules.long_command(site.command)
    if long is not None:
        hazards.append(f"`{long}` is known to run long, past {seconds} s")
    if hazards and not rules.unsafe:
        message = f"{site.name}: unsafe, not edited: {'; '.join(hazards)} (use --unsafe)"
        return _Decision("unsafe", Finding(path, line, UNSAFE, message))
    message = f"{site.name}: added timeout={seconds} ({why})"
    if hazards:
        message += f"; unsafe: {'; '.join(hazards)}"
    finding = Finding(path, line, "subprocess-timeout", message, edited=True)
    edit = insertion(text, layout, f"timeout={seconds}")
    return _Decision("calls", finding, (layout, edit), rule is None, bool(hazards))


def _broken_call(text: str, edited: list[tuple[Layout, Edit]], parser: Parser) -> int | None:
    """The first edited call that no longer parses, with the edits inside it, or None.

    Only the text inside calls changes, so checking each outermost edited call as an
    expression is the same check as re-parsing the file, at a fraction of the cost.
    """
    spans = [(layout.start, layout.end) for layout, _ in edited]
    reach = -1  # the end of the last outermost call: calls nest or do not overlap
    for i in sorted(range(len(spans)), key=lambda i: (spans[i][0], -spans[i][1])):
        start, end = spans[i]
        if end <= reach:
            continue  # checked with the call around it
        reach = end
        inside = [
            Edit(e.start - start, e.end - start, e.new)
            for _, e in edited
            if start <= e.start and e.end <= end
        ]
        if not parses_expression(apply_edits(text[start:end], inside), parser):
            return i
    return None


def scan(
    path: str,
    text: str,
    params: TimeoutRules | Mapping[str, Any],
    parser: Parser = "ast",
    facts: Facts | Unparsable | None = None,
    cap: HookCap | None = None,
) -> FileScan:
    """Find the calls to edit and report in one file; `params` are the recipe's params.

    `parser="libcst"` skips `ast` (which is tried first, LibCST being the fallback);
    `facts` are the file's facts when the caller already read them (`may_call` is then skipped);
    `cap`: the file is a hook script, whose calls get at most `cap.seconds`.
    """
    rules = params if isinstance(params, TimeoutRules) else TimeoutRules.from_params(params)
    if facts is None and not may_call(text):
        return FileScan(path, text, text)
    facts = facts or read_facts(text, path, parser)
    if isinstance(facts, Unparsable):
        message = f"cannot parse this file ({facts.reason}); not changed"
        finding = Finding(path, facts.line, "parse-error", message)
        return FileScan(path, text, text, findings=(finding,), counts={"parse_errors": 1})
    counts: Counter[str] = Counter()
    findings: list[Finding] = []
    edited: list[tuple[Layout, Edit]] = []
    lines: list[int] = []
    ignored = suppressions(text)
    for site in facts.sites:
        if _suppressed(site, ignored):
            counts["suppressed"] += 1
            continue
        decision = _decide(path, text, site, facts, rules, cap)
        counts[decision.count] += 1
        if decision.default:
            counts["default"] += 1
        if decision.unsafe:
            counts["unsafe_edited"] += 1
        if decision.finding is not None:
            findings.append(decision.finding)
        if decision.edit is not None:
            edited.append(decision.edit)
            lines.append(site.call.line)
    broken = _broken_call(text, edited, facts.parser)
    if broken is not None:
        message = "adding a timeout here would break the syntax; file not changed (please report)"
        finding = Finding(path, lines[broken], "internal-error", message)
        return FileScan(path, text, text, findings=(finding,), counts={"internal_errors": 1})
    edits = tuple(edit for _, edit in edited)
    after = apply_edits(text, edits)
    return FileScan(path, text, after, edits, tuple(findings), MappingProxyType(counts))


# -- the transform ------------------------------------------------------------------------------

_COUNT_KEYS = (
    "calls",
    "unsafe",
    "unsafe_edited",
    "suppressed",
    "default",
    "files",
    "has_timeout",
    "kwargs",
    "not_edited",
    "os_system",
    "asyncio_subprocess",
    "parse_errors",
    "internal_errors",
)


@register(
    "subprocess-timeouts",
    "Add timeout= to subprocess calls that lack one, sized by the command they run.",
    PARAMS,
)
def subprocess_timeouts(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    rules = TimeoutRules.from_params(params)
    caps = hook_caps(snapshot)
    changes: list[FileChange] = []
    findings: list[Finding] = []
    counts: Counter[str] = Counter({key: 0 for key in _COUNT_KEYS})
    for path in snapshot.files:
        if not path.endswith(PYTHON):
            continue
        source = snapshot.read(path)
        if source is None:
            continue
        result = scan(path, source.text, rules, cap=caps.get(path))
        findings.extend(result.findings)
        counts.update(result.counts)
        if result.after != source.text:
            changes.append(FileChange(path, source.text, result.after, source.encoding, source.bom))
    counts["files"] = len(changes)
    formatted, notes = format_changes(snapshot, changes)
    return TransformResult(formatted, tuple(findings), notes, MappingProxyType(dict(counts)))
