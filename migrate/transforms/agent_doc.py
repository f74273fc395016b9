"""The `agent-parallelism-doc` transform: make sure a Markdown file holds the plan's checklist.

The block is a section of its own (a heading, then its text), appended after the file's last
line: never a lone numbered item that would read as part of someone else's list. It counts as
present when its text is, or when the file already has its heading (the user may have edited
what is under it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from migrate.errors import UserError
from migrate.files import Snapshot, SourceFile, check_relative, newline_of
from migrate.model import FileChange, Finding, TransformResult
from migrate.transforms import register, str_param

KIND = "agent-parallelism-doc"
DEFAULT_BLOCK = (
    "## ⚡ Performance checklist: parallel agents\n"
    "\n"
    "- Multiple agents needed? Can I delegate in PARALLEL? (single message, multiple Task calls)\n"
    "- 🚀 Agent context is free: each agent has its own context window.\n"
)
_HEADING = re.compile(r"#{1,6}[ \t]+\S")

_LINE_END = re.compile(r"\r\n|\r|\n")


@register(
    KIND,
    "Ensure the plan's parallel-agent checklist block is present in a Markdown file.",
    {
        "file": str_param("CLAUDE.md", "the Markdown file, relative to the repository root"),
        "block": str_param(DEFAULT_BLOCK, "the text block that must be present"),
    },
)
def agent_parallelism_doc(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    path = _checked_path(params["file"])
    block = _block_lines(params["block"])
    source = snapshot.read(path)
    if source is None and snapshot.exists(path):
        raise UserError(f"{path}: params.file names a file that is not text.")
    if source is None:
        text = "\n".join(block) + "\n"
        change = FileChange(path, None, text)
        return _inserted(change, 1, "created the file with the block")
    line = _find_block(source.text, block)
    if line is not None:
        note = f"{path}: the block is already present at line {line}."
        return TransformResult(notes=(note,), counts={"inserted": 0})
    line = _find_block(source.text, block[:1])
    if line is not None:
        note = f"{path}: the block's heading is already present at line {line}; left as it is."
        return TransformResult(notes=(note,), counts={"inserted": 0})
    return _appended(source, block)


def _checked_path(path: str) -> str:
    problem = check_relative(path)
    if problem:
        raise UserError(f"params.file: {path!r} {problem}.")
    return path


def _block_lines(block: str) -> list[str]:
    """The block's lines without surrounding blank lines (the file decides the spacing)."""
    lines = _LINE_END.split(block)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise UserError("params.block is empty.")
    if not _HEADING.match(lines[0]):
        raise UserError(
            "params.block must start with a Markdown heading (`## ...`): a block of its own,"
            " not an item that would join the file's last list."
        )
    return lines


def _find_block(text: str, block: list[str]) -> int | None:
    """The 1-based line where the block starts, ignoring trailing whitespace; None if absent."""
    have = [line.rstrip() for line in _LINE_END.split(text)]
    want = [line.rstrip() for line in block]
    for i in range(len(have) - len(want) + 1):
        if have[i : i + len(want)] == want:
            return i + 1
    return None


def _appended(source: SourceFile, block: list[str]) -> TransformResult:
    nl = newline_of(source.text)
    head = source.text + _separator(source.text, nl)
    after = head + nl.join(block) + nl
    try:
        after.encode(source.encoding)
    except UnicodeEncodeError:
        message = f"{source.path}: its encoding {source.encoding} cannot hold params.block."
        raise UserError(message) from None
    change = FileChange(source.path, source.text, after, source.encoding, source.bom)
    return _inserted(change, len(_LINE_END.split(head)), "appended the block")


def _separator(text: str, nl: str) -> str:
    """What goes between the file's text and the block so that one blank line parts them."""
    if not text:
        return ""
    lines = _LINE_END.split(text)
    if lines[-1]:  # no line ending at the end of the file
        return nl if not lines[-1].strip() else nl + nl
    return "" if not lines[-2].strip() else nl


def _inserted(change: FileChange, line: int, message: str) -> TransformResult:
    finding = Finding(change.path, line, KIND, message, edited=True)
    return TransformResult(changes=(change,), findings=(finding,), counts={"inserted": 1})
