"""Replaying hook payloads through a repository's registrations, in a scratch copy, the way
Claude Code runs them: every matching handler, each as its own shell command."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.engine import git
from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import payloads, runtime, settings

if TYPE_CHECKING:
    from migrate.engine.git import Repo

LOCAL_SETTINGS = ".claude/settings.local.json"
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
    """A throwaway copy of the repository at `rev` (None: the work tree as it is now), with
    the user's local settings."""
    with git.scratch_copy(repo, rev, prefix="migrate-replay-") as target:
        _add_local_settings(git.root(repo), target)
        yield target


def _add_local_settings(work: Path, target: Path) -> None:
    """Claude Code also runs the hooks of `.claude/settings.local.json`, which is rarely
    committed: the user's own file joins every scratch copy that has none."""
    local = work / LOCAL_SETTINGS
    if local.is_file() and not (target / LOCAL_SETTINGS).exists():
        (target / LOCAL_SETTINGS).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(local, target / LOCAL_SETTINGS)


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


def hook_env(tree: Path) -> dict[str, str]:
    """The environment a hook gets from Claude Code: ours (PATH and its shims as they are),
    with CLAUDE_PROJECT_DIR set to the project."""
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(tree)}
    env.pop(runtime.NO_FORK_VARIABLE, None)
    return env


# Hook processes running now (each the leader of its own process group), so that an
# interrupt can end them all; once `_stopping` is set, no new one starts.
_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def run_handler(reg: settings.HookRegistration, tree: Path, payload: bytes) -> HandlerRun:
    """Run one handler as Claude Code does: through a shell, in the project, payload on
    stdin, with its registered timeout (600 s when it has none); at expiry its process
    group is killed, so a process it left holding stdout costs at most the timeout."""
    timeout = float(reg.timeout) if reg.timeout is not None else runtime.DEFAULT_TIMEOUT
    started, cpu0 = time.perf_counter(), _children_cpu()
    with _live_lock:
        if _stopping.is_set():
            raise KeyboardInterrupt
        proc = subprocess.Popen(
            ["/bin/sh", "-c", reg.command],
            cwd=tree,
            env=hook_env(tree),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        _live.add(proc)
    try:
        try:
            out, err = proc.communicate(payload, timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            timed_out = True
    finally:
        _kill_group(proc)  # whatever it left running, and itself on an interrupt
        with _live_lock:
            _live.discard(proc)
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


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):  # already gone, its group too
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode is None and proc.poll() is None:
        proc.wait()


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP end every hook process still running and unwind (so that
    scratch folders are removed); hooks run in their own process groups, which a terminal's
    Ctrl-C does not reach."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def handler(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    _stopping.clear()
    try:
        yield
    except BaseException:
        _stopping.set()
        with _live_lock:
            running = list(_live)
        for proc in running:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        raise
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
