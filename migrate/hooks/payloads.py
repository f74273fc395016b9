"""`migrate hooks payloads`: the hook payloads this project really sends, rebuilt from Claude
Code's session transcripts and sampled per event and tool, for `hooks verify` and `hooks bench`.

The file holds the user's prompts, file contents and command output: it is written with mode
0600 where only this machine sees it, and never printed whole.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from migrate.hooks import transcripts

DEFAULT_MAX = 20  # payloads per event and tool

Payload = dict[str, Any]


def _base(session: transcripts.Session, event: str) -> Payload:
    return {
        "session_id": session.id,
        "transcript_path": str(session.path),
        "cwd": session.cwd,
        "permission_mode": "default",
        "hook_event_name": event,
    }


def from_session(session: transcripts.Session) -> Iterator[Payload]:
    """The payloads Claude Code sent its hooks during one session (as far as the transcript
    tells): each prompt, each tool call before and after it ran, and the session's stop."""
    for prompt in session.prompts:
        yield _base(session, "UserPromptSubmit") | {"prompt": prompt.text}
    for call in session.calls:
        tool = {"tool_name": call.name, "tool_input": dict(call.input), "tool_use_id": call.id}
        yield _base(session, "PreToolUse") | tool
        if call.answered and not call.is_error:
            yield _base(session, "PostToolUse") | tool | {"tool_response": call.result}
    if session.prompts or session.calls:
        yield _base(session, "Stop") | {"stop_hook_active": False}


def key(payload: Mapping[str, Any]) -> str:
    """What payloads are sampled by: `PreToolUse Bash`, `UserPromptSubmit`."""
    tool = payload.get("tool_name")
    return f"{payload['hook_event_name']} {tool}" if tool else str(payload["hook_event_name"])


def sample(payloads: Sequence[Payload], most: int) -> list[Payload]:
    """At most `most` payloads per event and tool, spread evenly over the sessions' history
    (oldest to newest), in their original order."""
    by_key: dict[str, list[int]] = {}
    for index, payload in enumerate(payloads):
        by_key.setdefault(key(payload), []).append(index)
    chosen: set[int] = set()
    for indexes in by_key.values():
        step = len(indexes) / most if len(indexes) > most else 1.0
        chosen.update(indexes[int(i * step)] for i in range(min(most, len(indexes))))
    return [payloads[i] for i in sorted(chosen)]


def collect(project: Path, most: int, home: Path | None = None) -> tuple[list[Payload], int]:
    """Sampled payloads from every session of the project; how many sessions were read."""
    sessions = transcripts.sessions(project, home)
    found = [p for s in sessions for p in from_session(s)]
    return sample(found, most), len(sessions)


def no_transcripts(project: Path, home: Path | None = None) -> str:
    """The one sentence said when the project has no transcripts."""
    where = transcripts.config_dir(home) / "projects"
    return (
        f"No Claude Code transcripts of {project} in {where}; the hook checks use the"
        " built-in sample payloads."
    )


def write(path: Path, payloads: Sequence[Payload]) -> None:
    """One JSON object per line, readable by the user alone (0600), also when it existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for payload in payloads:
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")


def summary(payloads: Sequence[Payload]) -> list[tuple[str, int]]:
    """(event and tool, how many) for the terminal: counts only, never the contents."""
    return sorted(Counter(key(p) for p in payloads).items())


def relocate(payload: Mapping[str, Any], tree: Path) -> Payload:
    """The payload as it reaches a hook run in the scratch copy `tree`: paths inside the
    recorded project (`cwd`) point into the copy, so a replayed hook never touches the real
    project."""
    recorded = payload.get("cwd")
    if not isinstance(recorded, str) or not recorded.startswith("/"):
        return {**payload, "cwd": str(tree)}
    inside = re.compile(re.escape(recorded.rstrip("/")) + r"(?=/|$|[\s'\"])")

    def moved(value: Any) -> Any:
        if isinstance(value, str):
            return inside.sub(lambda _: str(tree), value)
        if isinstance(value, list):
            return [moved(v) for v in value]
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        return value

    relocated: Payload = moved(dict(payload))
    return {**relocated, "cwd": str(tree), "transcript_path": payload.get("transcript_path")}
