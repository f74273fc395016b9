"""Replaying hook payloads through a repository's registrations, in a scratch copy, the way
Claude Code runs them: every matching handler, each as its own shell command."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from git import Repo

from migrate import gitrepo
from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import payloads, runtime, settings

# Verification never waits the full 600 s default of a real session.
MAX_TIMEOUT = 60.0
SESSION = "0f7c5a52-migrate-replay"


def _payload(event: str, **fields: Any) -> dict[str, Any]:
    return {
        "session_id": SESSION,
        "transcript_path": "/tmp/transcript.jsonl",
        "hook_event_name": event,
        "permission_mode": "default",
        **fields,
    }


def _tool(event: str, tool: str, tool_input: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return _payload(event, tool_name=tool, tool_input=tool_input, tool_use_id="toolu_01", **extra)


SAMPLES: tuple[dict[str, Any], ...] = (
    _payload("SessionStart", source="startup"),
    _payload("UserPromptSubmit", prompt="remember: run upkeep after editing hooks"),
    _payload("UserPromptSubmit", prompt="Process all 40 files one by one in a loop, in batch"),
    _payload("UserPromptSubmit", prompt="You're wrong, I never said that. That worked, thanks!"),
    _tool("PreToolUse", "Bash", {"command": "ls -la"}),
    _tool("PreToolUse", "Bash", {"command": "rm -rf /"}),
    _tool("PreToolUse", "Write", {"file_path": ".env", "content": "SECRET=1\n"}),
    _tool(
        "PreToolUse",
        "Write",
        {"file_path": "scripts/new.py", "content": "for f in files:\n    run(f)\n"},
    ),
    _tool(
        "PreToolUse",
        "Edit",
        {"file_path": "scripts/ops/upkeep.py", "old_string": "a", "new_string": "b"},
    ),
    _tool("PreToolUse", "Read", {"file_path": "README.md"}),
    _tool("PreToolUse", "Task", {"description": "Review hooks", "prompt": "Review each hook"}),
    _tool("PreToolUse", "mcp__db__drop_table", {"table": "users"}),
    _tool(
        "PostToolUse",
        "Write",
        {"file_path": "scripts/new.py", "content": "x = 1\n"},
        tool_response={"success": True},
    ),
    _tool(
        "PostToolUse",
        "Bash",
        {"command": "false"},
        tool_response={"stdout": "", "stderr": "error", "exit_code": 1},
    ),
    _payload(
        "Notification",
        message="Claude needs your permission",
        notification_type="permission_prompt",
    ),
    _payload("Stop", stop_hook_active=False),
    _payload("SessionEnd", reason="clear"),
)


def load_payloads(path: Path) -> list[dict[str, Any]]:
    """Recorded payloads, one JSON object per line."""
    found = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}: line {number} is not JSON ({e.msg}).") from None
        if not isinstance(value, dict) or not isinstance(value.get("hook_event_name"), str):
            raise UserError(f"{path}: line {number} has no 'hook_event_name'.")
        found.append(value)
    return found


@dataclass(frozen=True)
class HandlerRun:
    """One registered handler run for one payload."""

    name: str
    command: str
    exit_code: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    wall: float
    cpu: float


@contextmanager
def scratch_copy(repo: Repo, rev: str | None) -> Iterator[Path]:
    """A throwaway copy of the repository at `rev` (None: the work tree as it is now)."""
    with tempfile.TemporaryDirectory(prefix="migrate-replay-") as tmp:
        target = Path(tmp) / "project"
        target.mkdir()
        if rev is None:
            work = gitrepo.root(repo)
            for rel in gitrepo.tracked_paths(repo):
                source = work / rel
                if source.is_file():
                    (target / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target / rel)
        else:
            data = subprocess.run(
                ["git", "archive", "--format=tar", rev],
                cwd=gitrepo.root(repo),
                capture_output=True,
                check=True,
                timeout=300,
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                archive.extractall(target, filter="data")
        yield target


def registrations(tree: Path) -> list[settings.HookRegistration]:
    return [r for r in settings.load(Snapshot(tree, ())) if r.type == "command" and not r.is_async]


def matching(
    regs: Sequence[settings.HookRegistration], payload: Mapping[str, Any]
) -> list[settings.HookRegistration]:
    """The handlers Claude Code runs for `payload`: matching, identical commands once."""
    event = str(payload.get("hook_event_name"))
    seen: dict[str, settings.HookRegistration] = {}
    for reg in regs:
        if reg.event == event and runtime.matcher_matches(event, reg.matcher, payload):
            seen.setdefault(reg.command, reg)
    return list(seen.values())


@functools.lru_cache(maxsize=1)
def _python_shortcut() -> str | None:
    """A folder whose `python3` is the interpreter PATH's `python3` ends up running.

    Version managers (pyenv, asdf) put a shell-script shim first on PATH that costs tens of
    milliseconds per start; replaying hundreds of hook runs through it measures the shim.
    """
    found = shutil.which("python3")
    if found is None:
        return None
    with open(found, "rb") as f:
        if f.read(2) != b"#!":
            return None
    real = subprocess.run(
        [found, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout.strip()
    if not real:
        return None
    folder = Path(tempfile.mkdtemp(prefix="migrate-python-"))
    (folder / "python3").symlink_to(real)
    return str(folder)


def hook_env(tree: Path) -> dict[str, str]:
    """The environment a hook gets: ours, with CLAUDE_PROJECT_DIR set to the project."""
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(tree)}
    env.pop(runtime.NO_FORK_VARIABLE, None)
    shortcut = _python_shortcut()
    if shortcut:
        env["PATH"] = shortcut + os.pathsep + env.get("PATH", "")
    return env


def run_handler(reg: settings.HookRegistration, tree: Path, payload: bytes) -> HandlerRun:
    """Run one handler as Claude Code does: through a shell, in the project, payload on stdin."""
    env = hook_env(tree)
    timeout = min(float(reg.timeout or runtime.DEFAULT_TIMEOUT), MAX_TIMEOUT)
    started, cpu0 = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(
        ["/bin/sh", "-c", reg.command],
        cwd=tree,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(payload, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        timed_out = True
    return HandlerRun(
        reg.name,
        reg.command,
        proc.returncode,
        out,
        err,
        timed_out,
        time.perf_counter() - started,
        _children_cpu() - cpu0,
    )


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def prepare(payload: Mapping[str, Any], tree: Path) -> bytes:
    return json.dumps(payloads.relocate(payload, tree)).encode()


def combined(event: str, runs: Sequence[HandlerRun]) -> tuple[int, bytes, bytes]:
    """What Claude Code makes of several hooks' results, by the contract's rules."""
    results = [
        runtime.classify(event, r.name, r.exit_code, r.stdout, r.stderr, r.timed_out) for r in runs
    ]
    return runtime.combine(event, results)


_VOLATILE = [
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"),
    re.compile(r"\b1[6-9]\d{8}(?:\.\d+)?\b"),  # Unix times
    re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s)\b"),  # durations
    re.compile(r"migrate-replay-[A-Za-z0-9_]+"),  # the scratch folder's name
]


def normalise(text: str) -> tuple[str, int]:
    """Text with volatile values (times, durations, scratch paths) replaced; how many."""
    count = 0
    for pattern in _VOLATILE:
        text, n = pattern.subn("<volatile>", text)
        count += n
    return text, count


def tree_state(tree: Path) -> dict[str, bytes]:
    """Every file under `tree` (the hooks' state files included)."""
    return {
        p.relative_to(tree).as_posix(): p.read_bytes()
        for p in tree.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
