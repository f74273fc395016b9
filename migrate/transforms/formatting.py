"""The project's formatter on the lines a codemod changed, and on no other line.

When the project configures ruff format or black and the formatter is installed (next to the
project's Python, as one of its modules, else on PATH), the changed lines are formatted with
`ruff format --range` / `black --line-ranges`; a formatter that is missing or fails leaves the
text as the codemod wrote it, and the changed lines over the configured length are reported.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from migrate.compat import tomllib
from migrate.files import Snapshot
from migrate.model import FileChange

Tool = Literal["ruff", "black"]
DEFAULT_LINE_LENGTH = 88  # ruff's and black's
FORMAT_TIMEOUT = 30  # seconds for one run of the formatter on one file
Span = tuple[int, int]  # first and last line (1-based, inclusive) of the new text
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_BETWEEN_LINES = frozenset(
    {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


@dataclass(frozen=True)
class Style:
    """The formatter the project configures and its line length."""

    tool: Tool
    line_length: int


def project_style(snapshot: Snapshot) -> Style | None:
    """The formatter configured at the repository root: `[tool.ruff.format]` (or `[format]` in
    `ruff.toml`) first, then `[tool.black]`, then any ruff configuration; None when neither."""
    pyproject = _toml(snapshot, "pyproject.toml")
    tool = pyproject.get("tool", {})
    ruff = next(
        (c for c in (_toml(snapshot, ".ruff.toml"), _toml(snapshot, "ruff.toml")) if c),
        tool.get("ruff"),
    )
    black = tool.get("black")
    if isinstance(ruff, dict) and ("format" in ruff or not isinstance(black, dict)):
        return Style("ruff", _length(ruff))
    if isinstance(black, dict):
        return Style("black", _length(black))
    return None


def _toml(snapshot: Snapshot, path: str) -> dict[str, Any]:
    source = snapshot.read(path)
    if source is None:
        return {}
    try:
        table: dict[str, Any] = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError:
        return {}  # the formatter would refuse it too: nothing to follow
    return table


def _length(table: dict[str, Any]) -> int:
    value = table.get("line-length", table.get("line_length"))
    return value if isinstance(value, int) and value > 0 else DEFAULT_LINE_LENGTH


def lines_of(text: str) -> list[str]:
    """The physical lines with their endings, split where Python and the formatters split
    (not at a form feed or U+2028, as `str.splitlines` does)."""
    return _PHYSICAL_LINE.findall(text)


def _hunks(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [h for h in matcher.get_opcodes() if h[0] != "equal"]


def changed_spans(before: str, after: str) -> list[Span]:
    """The lines of `after` that differ from `before`, as spans of consecutive lines."""
    hunks = _hunks(lines_of(before), lines_of(after))
    return [(j1 + 1, j2) for _, _, _, j1, j2 in hunks if j2 > j1]


def _logical_lines(text: str) -> list[Span] | None:
    """The first and last line of each logical line (a statement, or a compound statement's
    header); None when `tokenize` cannot read the text."""
    spans: list[Span] = []
    start = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in _BETWEEN_LINES:
                continue
            start = tok.start[0] if start is None else start
            if tok.type == tokenize.NEWLINE:
                spans.append((start, tok.end[0]))
                start = None
    except (tokenize.TokenError, SyntaxError):
        return None
    return spans


def _widen(span: Span, logical: list[Span]) -> Span:
    """The span grown to whole logical lines: a formatter formats no less."""
    a, b = span
    touching = [(s, e) for s, e in logical if s <= b and e >= a]
    return min([a, *(s for s, _ in touching)]), max([b, *(e for _, e in touching)])


def _blank_ends(lines: list[str]) -> tuple[int, int]:
    """How many blank lines `lines` starts and ends with (all of them count as leading)."""
    lead = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    trail = next((i for i, line in enumerate(reversed(lines)) if line.strip()), len(lines))
    return lead, 0 if lead == len(lines) else trail


def regions(after: str, spans: list[Span]) -> list[Span] | None:
    """The logical lines that hold a changed line, as few spans as can be (ranges given to a
    formatter never overlap); None when `tokenize` cannot read the text."""
    logical = _logical_lines(after)
    if logical is None:
        return None
    merged: list[Span] = []
    for a, b in sorted(_widen(span, logical) for span in spans):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _confine(after: str, formatted: str, allowed: list[Span]) -> str | Failure:
    """The formatter's changes inside the `allowed` spans of lines. Blank lines it adds or
    removes around them are dropped (ruff separates a def from what follows it); any other
    change outside them refuses the file: no line the codemod left may change."""
    old, new = lines_of(after), lines_of(formatted)
    out: list[str] = []
    at = 0
    for _, i1, i2, j1, j2 in _hunks(old, new):
        out += old[at:i1]
        at = i2
        lead_old, trail_old = _blank_ends(old[i1:i2])
        lead_new, trail_new = _blank_ends(new[j1:j2])
        core = new[j1 + lead_new : j2 - trail_new]
        first, last = i1 + lead_old, i2 - trail_old  # the non-blank lines replaced: [first, last)
        if first < last or core:
            inserted = first == last
            if not any(
                a - 1 < first < b if inserted else a - 1 <= first and last <= b for a, b in allowed
            ):
                return Failure("it would change lines the codemod did not change")
        out += [*old[i1:first], *core, *old[last:i2]]
    return "".join(out + old[at:])


def find_formatter(root: Path, tool: Tool) -> tuple[str, ...] | None:
    """The command that runs `tool` for the project: next to its Python, as a module of it, or
    on PATH; None when none of them has it."""
    from migrate.engine import checks  # above the transforms: asked only when a formatter is set

    python = checks.environment(root, checks.project_validation(root)).python
    if len(python) == 1:
        exe = shutil.which(python[0]) or python[0]
        beside = Path(exe).parent / (f"{tool}.exe" if os.name == "nt" else tool)
        if beside.is_file() and os.access(beside, os.X_OK):
            return (str(beside),)
    module = (*python, "-m", tool)
    if _answers([*module, "--version"], root):
        return module
    on_path = shutil.which(tool)
    return (on_path,) if on_path else None


def _answers(argv: Sequence[str], cwd: Path) -> bool:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=FORMAT_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _commands(
    tool: Tool, command: tuple[str, ...], path: str, spans: list[Span]
) -> list[list[str]]:
    """One run of the formatter per command, each reading the previous one's output."""
    if tool == "black":
        ranges = [f"--line-ranges={a}-{b}" for a, b in spans]
        return [[*command, "-q", *ranges, f"--stdin-filename={path}", "-"]]
    # ruff takes one range (its end exclusive): the last first, so earlier numbers still hold.
    return [
        [*command, "format", f"--range={a}:1-{b + 1}:1", f"--stdin-filename={path}", "-"]
        for a, b in reversed(spans)
    ]


@dataclass(frozen=True)
class Failure:
    """Why the formatter gave no text."""

    why: str


def _format(root: Path, argvs: list[list[str]], text: str) -> str | Failure:
    """The formatted text, or why the formatter could not give it."""
    data = text.encode("utf-8")
    for argv in argvs:
        try:
            done = subprocess.run(
                argv, cwd=root, input=data, capture_output=True, timeout=FORMAT_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return Failure(str(e))
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            return Failure(lines[-1] if lines else f"exit status {done.returncode}")
        data = done.stdout
    return data.decode("utf-8")


@dataclass(frozen=True)
class _Tally:
    formatted: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    long: tuple[tuple[str, int], ...] = ()


def format_changes(
    snapshot: Snapshot, changes: Sequence[FileChange]
) -> tuple[tuple[FileChange, ...], tuple[str, ...]]:
    """The changes with their changed lines formatted as the project formats them, and notes
    saying what was formatted, what could not be, and which changed lines stay too long."""
    edited = [c for c in changes if c.before is not None and c.after is not None]
    style = project_style(snapshot) if edited else None
    if style is None:
        return tuple(changes), ()
    command = find_formatter(snapshot.root, style.tool)
    tally = _Tally()
    out = []
    for change in changes:
        change, tally = _one(snapshot.root, style, command, change, tally)
        out.append(change)
    return tuple(out), _notes(style, command, tally)


def _one(
    root: Path, style: Style, command: tuple[str, ...] | None, change: FileChange, tally: _Tally
) -> tuple[FileChange, _Tally]:
    if change.before is None or change.after is None:
        return change, tally
    spans = changed_spans(change.before, change.after)
    after = change.after
    if command is not None and spans and change.encoding == "utf-8":
        result = _formatted(root, style.tool, command, change.path, after, spans)
        if isinstance(result, Failure):
            tally = replace(tally, failed=(*tally.failed, (change.path, result.why)))
        else:
            tally = replace(tally, formatted=(*tally.formatted, change.path))
            return replace(change, after=result), tally
    lines = [line.rstrip("\r\n") for line in lines_of(after)]
    long = sum(1 for a, b in spans for line in lines[a - 1 : b] if len(line) > style.line_length)
    if long:
        tally = replace(tally, long=(*tally.long, (change.path, long)))
    return change, tally


def _formatted(
    root: Path, tool: Tool, command: tuple[str, ...], path: str, after: str, spans: list[Span]
) -> str | Failure:
    allowed = regions(after, spans)
    if allowed is None:
        return Failure("the file cannot be tokenized")
    result = _format(root, _commands(tool, command, path, allowed), after)
    return result if isinstance(result, Failure) else _confine(after, result, allowed)


def _notes(style: Style, command: tuple[str, ...] | None, tally: _Tally) -> tuple[str, ...]:
    name = "ruff format" if style.tool == "ruff" else "black"
    notes = []
    if tally.formatted:
        notes.append(f"formatted the changed lines with {name} in {len(tally.formatted)} file(s)")
    for path, why in tally.failed:
        notes.append(f"{name} failed on {path} ({why}); its changed lines are left as written")
    if tally.long:
        count = sum(n for _, n in tally.long)
        files = ", ".join(path for path, _ in tally.long)
        why = "" if command is not None else f" ({name} is configured but not installed)"
        notes.append(
            f"{count} changed line(s) exceed the line length of {style.line_length}{why}: {files}"
        )
    return tuple(notes)
