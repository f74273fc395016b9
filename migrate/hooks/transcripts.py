"""Claude Code's session transcripts of one project (`~/.claude/projects/<encoded path>/*.jsonl`):
its prompts, and its tool calls paired with their results.

The format is community-documented and changes between versions, so the reader is tolerant: a
line that is not JSON, or not the shape expected, is skipped and counted; unknown fields and line
types are ignored. A session belongs to the project when its lines' `cwd` is the project or a
folder inside it; the folder name's encoding alone is not trusted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_VARIABLE = "CLAUDE_CONFIG_DIR"  # where Claude Code keeps ~/.claude when set


@dataclass(frozen=True)
class Prompt:
    """A prompt the user typed (not a tool result, not a line Claude Code generated)."""

    text: str
    timestamp: str


@dataclass(frozen=True)
class ToolCall:
    """A `tool_use` block of an assistant message and, when found, its result."""

    id: str
    name: str
    input: Mapping[str, Any]
    message: str  # the assistant message's id: calls sharing it were made at once
    timestamp: str
    sidechain: bool  # made inside a subagent
    result: Any = None  # the structured `toolUseResult`, else the `tool_result` content
    is_error: bool = False
    answered: bool = False  # whether a result was found


@dataclass(frozen=True)
class Session:
    """One transcript file, read."""

    path: Path
    id: str
    cwd: str
    prompts: tuple[Prompt, ...]
    calls: tuple[ToolCall, ...]
    skipped: int  # lines that were not JSON objects


def config_dir(home: Path | None = None) -> Path:
    configured = os.environ.get(CONFIG_VARIABLE)
    if configured:
        return Path(configured)
    return (home or Path.home()) / ".claude"


def encode(project: Path) -> str:
    """The folder name Claude Code gives a project: every character but letters, digits and
    `-` turned into `-` (`/home/me/my.app` -> `-home-me-my-app`)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", str(project))


def session_files(project: Path, home: Path | None = None) -> list[Path]:
    """The transcript files of the project's sessions (subagents' included), oldest first."""
    root = config_dir(home) / "projects"
    if not root.is_dir():
        return []
    every = sorted(p for p in root.iterdir() if p.is_dir())
    # Sessions started in a folder inside the project sit under a longer name.
    named = [
        p for p in every if p.name == encode(project) or p.name.startswith(encode(project) + "-")
    ]
    folders = named or every
    found = [f for folder in folders for f in _jsonl_files(folder) if _belongs(f, project)]
    return sorted(found, key=_mtime)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _jsonl_files(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.glob("*.jsonl"))
    yield from sorted(folder.glob("*/subagents/*.jsonl"))


def _belongs(path: Path, project: Path) -> bool:
    """Whether the first line naming a `cwd` names the project or a folder inside it."""
    inside = str(project).rstrip("/") + "/"
    for line in _objects(path):
        cwd = line.get("cwd")
        if isinstance(cwd, str):
            return cwd == str(project) or cwd.startswith(inside)
    return False


def _objects(path: Path, skipped: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """The JSON objects of a transcript, one per line; bad lines counted in `skipped`."""
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    value = None
                if isinstance(value, dict):
                    yield value
                elif skipped is not None:
                    skipped.append(1)
    except OSError:
        return


def read(path: Path) -> Session:
    """One transcript: its prompts and its tool calls with their results."""
    skipped: list[int] = []
    prompts: list[Prompt] = []
    calls: dict[str, ToolCall] = {}
    session = cwd = ""
    for line in _objects(path, skipped):
        session = session or _text(line.get("sessionId"))
        cwd = cwd or _text(line.get("cwd"))
        content = _content(line)
        if line.get("type") == "user" and not line.get("isMeta"):
            prompt = _prompt(content)
            if prompt is not None:
                prompts.append(Prompt(prompt, _text(line.get("timestamp"))))
            _pair_results(calls, content, line.get("toolUseResult"))
        elif line.get("type") == "assistant":
            for call in _tool_uses(line, content):
                calls.setdefault(call.id, call)
    return Session(
        path, session or path.stem, cwd, tuple(prompts), tuple(calls.values()), len(skipped)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _content(line: Mapping[str, Any]) -> Any:
    message = line.get("message")
    return message.get("content") if isinstance(message, dict) else None


def _prompt(content: Any) -> str | None:
    """The typed text of a user line; None for tool results and generated command output."""
    if isinstance(content, str):
        text = content
    elif isinstance(content, list) and all(isinstance(b, dict) for b in content):
        if any(b.get("type") == "tool_result" for b in content):
            return None
        text = "\n".join(_text(b.get("text")) for b in content if b.get("type") == "text")
    else:
        return None
    # Slash commands and their output are written as user lines wrapped in markers.
    generated = text.lstrip().startswith(("<command-", "<local-command-", "Caveat:"))
    return text if text.strip() and not generated else None


def _tool_uses(line: Mapping[str, Any], content: Any) -> Iterator[ToolCall]:
    message = line.get("message")
    message_id = _text(message.get("id")) if isinstance(message, dict) else ""
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict) or block.get("type") != "tool_use":
            continue
        call_id, name, tool_input = block.get("id"), block.get("name"), block.get("input")
        if isinstance(call_id, str) and isinstance(name, str) and isinstance(tool_input, dict):
            yield ToolCall(
                call_id,
                name,
                tool_input,
                message_id or _text(line.get("uuid")),
                _text(line.get("timestamp")),
                bool(line.get("isSidechain")),
            )


def _pair_results(calls: dict[str, ToolCall], content: Any, structured: Any) -> None:
    results = (
        [b for b in content or [] if isinstance(b, dict) and b.get("type") == "tool_result"]
        if isinstance(content, list)
        else []
    )
    for block in results:
        call = calls.get(_text(block.get("tool_use_id")))
        if call is None:
            continue
        result = (
            structured if len(results) == 1 and structured is not None else block.get("content")
        )
        calls[call.id] = ToolCall(
            call.id,
            call.name,
            call.input,
            call.message,
            call.timestamp,
            call.sidechain,
            result,
            bool(block.get("is_error")),
            True,
        )


def sessions(project: Path, home: Path | None = None) -> list[Session]:
    """Every session of the project, read, oldest first."""
    return [read(path) for path in session_files(project, home)]
