"""Run several Claude Code command hooks as one registered hook: the unified hook runtime.

A generated unified hook (`.claude/hooks/unified_<group>.py`) imports this file, copied
beside it as `_unified_runtime.py`, and calls `main(MEMBERS)`. It uses the standard library
only, so it runs on the project's own `python3` (3.9 or newer) without installing anything.

MEMBERS is a list of plain dicts, one per member and event:

    {"name": "synapse_fire.py",   # label for the member in merged messages and context
     "script": "$CLAUDE_PROJECT_DIR/.claude/hooks/synapse_fire.py",
     "args": [],                  # the words after the script in the original command
     "event": "UserPromptSubmit", # the event it was registered for
     "matchers": [""],            # every matcher it was registered under for that event;
                                  # missing or empty means "matches everything"
     "timeout": 60,               # seconds, from its registration; None means 600
     "chain": None}               # members sharing a chain name run one after another,
                                  # in list order; None runs in parallel with the rest

`script` and `args` are expanded as a shell expands an unquoted word: `$NAME` and
`${NAME}` come from the environment (unset is empty) and a leading `~` is the home
folder. A relative `script` is relative to the working directory, as in the original
command.

Each picked member runs as if started by `python3 script args...`: the same stdin bytes,
working directory and environment, `sys.argv`, `sys.path[0]`, `__file__` and
`__name__ == "__main__"`. To save an interpreter start per member, the runtime imports the
common modules once and forks a child per member (`os.fork`); without `fork`, or with
MIGRATE_HOOKS_NO_FORK=1 in the environment, it starts `sys.executable script args...`
instead. How the members' results become one result is decided in the POLICY section.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import gc
import io
import json
import os
import re
import sys
import time
import types
from collections.abc import Callable, Mapping, Sequence
from importlib.machinery import SourceFileLoader

# selectors, signal, subprocess, threading and traceback are imported where they are used:
# they are only needed once a member runs, and a unified hook whose members all miss the
# payload's matcher should cost little more than starting python3. `typing` is not imported
# at all (4 ms); mypy reads the names below, python3 never does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Any, NoReturn

NO_FORK_VARIABLE = "MIGRATE_HOOKS_NO_FORK"
DEFAULT_TIMEOUT = 600.0
# Imported once in the runner so that forked members find them already loaded.
WARM_MODULES = (
    "json",
    "re",
    "os",
    "sys",
    "pathlib",
    "datetime",
    "subprocess",
    "time",
    "collections",
    "typing",
    "hashlib",
    "tempfile",
    "shutil",
)

# The payload field each event's matcher is tested against; other events ignore matchers.
EVENT_MATCHER_FIELD: dict[str, str] = {
    "PreToolUse": "tool_name",
    "PostToolUse": "tool_name",
    "PostToolUseFailure": "tool_name",
    "PermissionRequest": "tool_name",
    "PermissionDenied": "tool_name",
    "SessionStart": "source",
    "SessionEnd": "reason",
    "Notification": "notification_type",
    "PreCompact": "trigger",
    "SubagentStart": "agent_type",
    "SubagentStop": "agent_type",
}


# Plain classes, not NamedTuples: `typing` and the code NamedTuple generates cost several ms
# at every start of a unified hook.


class MemberRun:
    """What one member did: its exit code (negative: killed by that signal) and output."""

    __slots__ = ("exit_code", "name", "stderr", "stdout", "timed_out")

    def __init__(
        self,
        name: str,
        exit_code: int,
        stdout: bytes,
        stderr: bytes,
        timed_out: bool,
    ) -> None:
        self.name = name
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out


class MemberResult:
    """A member's run read the way Claude Code reads a hook's result.

    kind is one of: "silent" (nothing for Claude Code), "json" (output holds its JSON
    object), "context" (text is plain context), "block" (exit 2 on an event that can block;
    text is the reason), "error" (non-blocking error; text is the first stderr line),
    "timeout" (killed at its timeout; its output is discarded).
    """

    __slots__ = ("exit_code", "kind", "name", "output", "stderr", "stdout", "text")

    def __init__(
        self,
        name: str,
        kind: str,
        exit_code: int,
        stdout: bytes,
        stderr: bytes,
        output: Mapping[str, Any] | None,
        text: str,
    ) -> None:
        self.name = name
        self.kind = kind
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.output = output
        self.text = text


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def main(members: Sequence[Mapping[str, Any]]) -> NoReturn:
    """Run the members that match the payload on stdin and print their combined result."""
    raw = sys.stdin.buffer.read()
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        # Claude Code always sends a JSON object. Anything else means the script was started
        # by hand or by another program: without an event name we cannot tell which members
        # would have run, and running them all could fire hooks meant for other events. So
        # behave like a hook whose matcher did not match: do nothing, say nothing.
        _exit_now(0, b"", b"")
    event = str(payload.get("hook_event_name", ""))
    runs = run_members(select_members(members, payload), raw)
    results = [classify(event, r.name, r.exit_code, r.stdout, r.stderr, r.timed_out) for r in runs]
    _exit_now(*combine(event, results))


def _exit_now(code: int, out: bytes, err: bytes) -> NoReturn:
    """Write the result and leave without interpreter shutdown, which costs several ms."""
    for stream, data in ((sys.stdout, out), (sys.stderr, err)):
        try:
            stream.flush()
            stream.buffer.write(data)
            stream.flush()
        except (OSError, ValueError):  # Claude Code stopped listening
            # python3 exits 120 when stdout or stderr cannot be flushed, whatever the status
            code = 120
    os._exit(code)


# ---------------------------------------------------------------------------------------
# Which members run
# ---------------------------------------------------------------------------------------

_EXACT_NAMES = re.compile(r"[A-Za-z0-9_\- ,|]*")


def matcher_matches(event: str, matcher: str | None, payload: Mapping[str, Any]) -> bool:
    """Whether a hook registered under `matcher` for `event` runs for `payload`."""
    field = EVENT_MATCHER_FIELD.get(event)
    if field is None or matcher is None or matcher in ("", "*"):
        return True
    value = payload.get(field)
    tested = value if isinstance(value, str) else ""
    if _EXACT_NAMES.fullmatch(matcher):
        return tested in {name.strip() for name in re.split(r"[|,]", matcher) if name.strip()}
    try:
        return re.search(matcher, tested) is not None
    except re.error:
        return False  # Claude Code cannot match with a broken pattern either.


def select_members(
    members: Sequence[Mapping[str, Any]], payload: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The members registered for the payload's event under a matcher that matches it."""
    event = payload.get("hook_event_name")
    if not isinstance(event, str):
        return []
    return [
        member
        for member in members
        if member.get("event") == event
        and any(matcher_matches(event, m, payload) for m in member.get("matchers") or [None])
    ]


# ---------------------------------------------------------------------------------------
# Running members
# ---------------------------------------------------------------------------------------


class _Job:
    __slots__ = ("argv", "name", "position", "timeout")

    def __init__(self, position: int, name: str, argv: list[str], timeout: float) -> None:
        self.position = position
        self.name = name
        self.argv = argv
        self.timeout = timeout


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def _expand(word: str, environ: Mapping[str, str]) -> str:
    """`word` as a shell expands it unquoted, without word splitting or globbing."""
    expanded = _VARIABLE.sub(lambda m: environ.get(m.group(1) or m.group(2), ""), word)
    if expanded.startswith("~"):
        home = environ.get("HOME")
        return home + expanded[1:] if home and expanded[:2] in ("~", "~/") else expanded
    return expanded


def _lanes(members: Sequence[Mapping[str, Any]], environ: Mapping[str, str]) -> list[list[_Job]]:
    """Members grouped into lanes: one per chain (in list order), one per unchained member."""
    lanes: list[list[_Job]] = []
    chains: dict[str, list[_Job]] = {}
    for index, member in enumerate(members):
        words = [str(member["script"]), *(str(a) for a in member.get("args") or [])]
        timeout = member.get("timeout")
        job = _Job(
            index,
            str(member.get("name") or member["script"]),
            [_expand(w, environ) for w in words],
            DEFAULT_TIMEOUT if timeout is None else float(timeout),
        )
        chain = member.get("chain")
        if chain is None:
            lanes.append([job])
        elif chain in chains:
            chains[chain].append(job)
        else:
            chains[chain] = [job]
            lanes.append(chains[chain])
    return lanes


def run_members(
    members: Sequence[Mapping[str, Any]],
    payload: bytes,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> list[MemberRun]:
    """Run members (chains in order, the rest in parallel); results in `members` order.

    `env` and `cwd` default to the runner's own. With fork, members run in a copy of the
    calling interpreter, so call this from a plain `python3`, not from inside another tool.
    """
    environ = dict(os.environ if env is None else env)
    lanes = _lanes(members, environ)
    if not lanes:
        return []
    if os.name == "nt":
        runs = _run_with_threads(lanes, payload, environ, cwd)
    else:
        fork = hasattr(os, "fork") and environ.get(NO_FORK_VARIABLE) != "1"
        if fork:
            # The first compile() of a process builds the compiler's AST types (about 3 ms);
            # done here once, no member pays it again to compile its script.
            compile("pass", "<warm-up>", "exec")
        runner = _Runner(payload, None if env is None else environ, cwd, fork)
        runs = runner.run(_start_order(lanes, members) if fork else [(x, []) for x in lanes])
    return [runs[position] for position in range(len(members))]


def warm_modules(members: Sequence[Mapping[str, Any]]) -> list[str]:
    """The standard modules worth importing once before forking: those two or more members
    import (their `imports`, listed by the generator). One member alone, or members that
    import nothing in common, gain nothing from it. Members generated without `imports` get
    the common WARM_MODULES."""
    counts: dict[str, int] = {}
    for member in members:
        names = member.get("imports")
        if names is None:
            return list(WARM_MODULES) if len(members) > 1 else []
        for name in set(names):
            counts[name] = counts.get(name, 0) + 1
    return [name for name, count in counts.items() if count > 1]


def _start_order(
    lanes: list[list[_Job]], members: Sequence[Mapping[str, Any]]
) -> list[tuple[list[_Job], list[str]]]:
    """The lanes in the order to fork them, each with the shared modules to import just before.

    Importing every shared module first would keep the second core idle while the runner
    imports. Instead the lane whose first member needs the fewest modules not imported yet
    starts next (ties: list order), so members that need little run while the runner imports
    what the others need. A last entry without a lane imports what only later members of
    chains still need.
    """
    shared = warm_modules(members)
    pending: list[tuple[list[_Job], list[str]]] = []
    for lane in lanes:
        names = members[lane[0].position].get("imports")
        pending.append((lane, [n for n in shared if names is None or n in names]))
    done: set[str] = set()
    order: list[tuple[list[_Job], list[str]]] = []
    while pending:
        lane, needs = min(pending, key=lambda entry: len(set(entry[1]) - done))
        pending.remove((lane, needs))
        order.append((lane, [n for n in needs if n not in done]))
        done.update(needs)
    order.append(([], [n for n in shared if n not in done]))
    return order


def _prepare_to_fork(warm: Sequence[str]) -> None:
    """Import what members have in common (`warm`), and spare children the GC's copy-on-write."""
    for name in warm:
        with contextlib.suppress(ImportError):
            __import__(name)
    gc.freeze()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()  # or a child would inherit, and print, our unwritten buffer


class _Proc:
    """A member process while it runs, and what it has written so far."""

    def __init__(
        self,
        job: _Job,
        lane: list[_Job],
        pid: int,
        popen: subprocess.Popen[bytes] | None,
        fds: tuple[int, int, int],
        payload: bytes,
    ) -> None:
        self.job = job
        self.lane = lane
        self.pid = pid
        self.popen = popen
        self.stdin_fd, self.stdout_fd, self.stderr_fd = fds
        self.open_fds = set(fds)
        self.unsent = memoryview(payload)
        self.chunks: dict[int, list[bytes]] = {self.stdout_fd: [], self.stderr_fd: []}
        self.deadline = time.monotonic() + job.timeout
        self.pidfd = _open_pidfd(pid)

    def poll(self) -> int | None:
        """The exit code if the process has ended (reaping it), else None."""
        if self.popen is not None:
            return self.popen.poll()
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        return None if pid == 0 else os.waitstatus_to_exitcode(status)

    def kill(self) -> int:
        """Kill the member and everything it started (its process group); reap it."""
        import signal

        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        if self.popen is not None:
            return self.popen.wait()
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def _open_pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when `pid` ends (Linux 5.3+), to wake the loop."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        return int(pidfd_open(pid))
    except OSError:
        return None


# Without pidfd, how often to look for a member that ended while a process it started
# still holds its output pipes open.
_POLL_INTERVAL = 0.005


class _Runner:
    """One select loop that feeds stdin, reads output and enforces timeouts for all members."""

    def __init__(
        self, payload: bytes, environ: dict[str, str] | None, cwd: str | None, fork: bool
    ) -> None:
        self.payload = payload
        self.environ = environ
        self.cwd = cwd
        self.fork = fork
        import selectors

        self.selector = selectors.DefaultSelector()
        self.procs: list[_Proc] = []
        self.runs: dict[int, MemberRun] = {}

    def run(self, starts: Sequence[tuple[list[_Job], Sequence[str]]]) -> dict[int, MemberRun]:
        """Run the lanes; with fork, import each lane's modules (see _start_order) first."""
        try:
            for lane, modules in starts:
                if self.fork:
                    _prepare_to_fork(modules)
                self._start_next(list(lane))
            while self.procs:
                self._wait_for_events()
                now = time.monotonic()
                for proc in list(self.procs):
                    code = proc.poll()
                    if code is not None:
                        self._finish(proc, code, timed_out=False)
                    elif now >= proc.deadline:
                        self._finish(proc, proc.kill(), timed_out=True)
        finally:
            for proc in list(self.procs):  # only on a bug in this loop: leave no orphans
                proc.lane.clear()
                self._finish(proc, proc.kill(), timed_out=True)
            self.selector.close()
        return self.runs

    def _start_next(self, lane: list[_Job]) -> None:
        while lane:
            job = lane.pop(0)
            try:
                self.procs.append(self._spawn(job, lane))
                return
            except OSError as exc:  # fork or exec failed: that member's error, not ours
                message = f"cannot start {job.argv[0]}: {exc}\n".encode()
                self.runs[job.position] = MemberRun(job.name, 1, b"", message, False)

    def _spawn(self, job: _Job, lane: list[_Job]) -> _Proc:
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        child_ends = (stdin_r, stdout_w, stderr_w)
        popen = None
        try:
            if self.fork:
                pid = os.fork()
                if pid == 0:
                    inherited = self._runner_fds() | {stdin_w, stdout_r, stderr_r}
                    _become_member(job, child_ends, inherited, self.environ, self.cwd)
                with contextlib.suppress(OSError):  # the child does it too; first one wins
                    os.setpgid(pid, pid)
            else:
                import subprocess

                popen = subprocess.Popen(
                    [sys.executable, *job.argv],
                    stdin=stdin_r,
                    stdout=stdout_w,
                    stderr=stderr_w,
                    cwd=self.cwd,
                    env=self.environ,
                    start_new_session=True,  # its own process group, killed as a whole
                )
                pid = popen.pid
        except OSError:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            raise
        finally:
            for fd in child_ends:
                os.close(fd)
        proc = _Proc(job, lane, pid, popen, (stdin_w, stdout_r, stderr_r), self.payload)
        self._watch(proc)
        return proc

    def _runner_fds(self) -> set[int]:
        """Descriptors of the runner that a forked member must not keep open."""
        fds = {fd for proc in self.procs for fd in proc.open_fds}
        fds |= {proc.pidfd for proc in self.procs if proc.pidfd is not None}
        fileno = getattr(self.selector, "fileno", None)
        if fileno is not None:
            fds.add(int(fileno()))
        return fds

    def _watch(self, proc: _Proc) -> None:
        import selectors

        for fd in proc.open_fds:
            os.set_blocking(fd, False)
        # Send stdin at once, so that the member can run while the runner starts the others.
        self._feed(proc)
        if proc.unsent:
            self.selector.register(proc.stdin_fd, selectors.EVENT_WRITE, proc)
        self.selector.register(proc.stdout_fd, selectors.EVENT_READ, proc)
        self.selector.register(proc.stderr_fd, selectors.EVENT_READ, proc)
        if proc.pidfd is not None:
            self.selector.register(proc.pidfd, selectors.EVENT_READ, proc)

    def _wait_for_events(self) -> None:
        timeout = max(0.0, min(p.deadline for p in self.procs) - time.monotonic())
        if any(p.pidfd is None for p in self.procs):
            timeout = min(timeout, _POLL_INTERVAL)
        for key, _ in self.selector.select(timeout):
            proc: _Proc = key.data
            if key.fd == proc.stdin_fd:
                self._feed(proc)
            elif key.fd in proc.chunks:
                self._collect(proc, key.fd)
            # else: the pidfd says the process ended; the poll after this picks it up

    def _feed(self, proc: _Proc) -> None:
        try:
            sent = os.write(proc.stdin_fd, proc.unsent)
        except BlockingIOError:
            return
        except OSError:
            # Broken pipe: the member stopped reading, or never read, as hooks may.
            sent = len(proc.unsent)
        proc.unsent = proc.unsent[sent:]
        if not proc.unsent:
            self._close(proc, proc.stdin_fd)

    def _collect(self, proc: _Proc, fd: int) -> bool:
        """Read what is there; False when nothing more can come now (EOF or empty pipe)."""
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            data = b""
        if not data:
            self._close(proc, fd)
            return False
        proc.chunks[fd].append(data)
        return True

    def _finish(self, proc: _Proc, code: int, timed_out: bool) -> None:
        # The member has ended, so everything it wrote is in the pipes: read it up to what is
        # there now, not up to EOF, which a process it left running could delay for ever.
        for fd in (proc.stdout_fd, proc.stderr_fd):
            while not timed_out and fd in proc.open_fds and self._collect(proc, fd):
                pass
        for fd in list(proc.open_fds):
            self._close(proc, fd)
        if proc.pidfd is not None:
            self.selector.unregister(proc.pidfd)
            os.close(proc.pidfd)
        self.procs.remove(proc)
        out, err = (b"".join(proc.chunks[fd]) for fd in (proc.stdout_fd, proc.stderr_fd))
        if timed_out:
            out, err = b"", b""  # Claude Code discards a timed-out hook's output
        self.runs[proc.job.position] = MemberRun(proc.job.name, code, out, err, timed_out)
        self._start_next(proc.lane)

    def _close(self, proc: _Proc, fd: int) -> None:
        if fd not in proc.open_fds:
            return
        proc.open_fds.discard(fd)
        with contextlib.suppress(KeyError):
            self.selector.unregister(fd)
        os.close(fd)


def _run_with_threads(
    lanes: list[list[_Job]], payload: bytes, environ: dict[str, str], cwd: str | None
) -> dict[int, MemberRun]:
    """Windows: pipes cannot be selected there, so one thread per lane runs `communicate`."""
    import threading

    runs: dict[int, MemberRun] = {}

    def run_lane(lane: list[_Job]) -> None:
        for job in lane:
            runs[job.position] = _run_one_subprocess(job, payload, environ, cwd)

    threads = [threading.Thread(target=run_lane, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs


def _run_one_subprocess(
    job: _Job, payload: bytes, environ: dict[str, str], cwd: str | None
) -> MemberRun:
    import subprocess

    try:
        popen = subprocess.Popen(
            [sys.executable, *job.argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=environ,
        )
    except OSError as exc:
        message = f"cannot start {job.argv[0]}: {exc}\n".encode()
        return MemberRun(job.name, 1, b"", message, False)
    try:
        out, err = popen.communicate(payload, timeout=job.timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        code = popen.wait(timeout=10)  # killed: returns at once
        return MemberRun(job.name, code, b"", b"", True)
    return MemberRun(job.name, popen.returncode, out, err, False)


# ---------------------------------------------------------------------------------------
# Inside a forked child: become `python3 script args...`
# ---------------------------------------------------------------------------------------


def _become_member(
    job: _Job,
    ends: tuple[int, int, int],
    inherited: set[int],
    environ: dict[str, str] | None,
    cwd: str | None,
) -> NoReturn:
    """Run the member in this forked child, then end it the way `python3` would."""
    code = 1
    try:
        # Own process group: a timeout kills what the member started too, and nothing it
        # starts can hold the runner's own stdout (fds 0-2 are the member's pipes).
        os.setpgid(0, 0)
        for target, fd in enumerate(ends):
            os.dup2(fd, target)
        for fd in (inherited | set(ends)) - {0, 1, 2}:
            os.close(fd)
        _fresh_stdio()
        atexit._clear()  # handlers the runner's own modules registered are not the member's
        if environ is not None:
            os.environ.clear()
            os.environ.update(environ)
        if cwd is not None:
            os.chdir(cwd)
        code = _run_as_main(job.argv)
        code = _shut_down_like_python(code)
    except BaseException:
        try:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code & 0xFF)


def _fresh_stdio() -> None:
    """New sys.stdin/stdout/stderr on fds 0-2, set up as the interpreter set up ours.

    The runner was started like the member would have been (same interpreter, environment,
    pipes), so copying our original streams' settings gives what python3 would give it:
    encoding, errors, line buffering, and unbuffered writes under PYTHONUNBUFFERED / -u.
    """
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        original = getattr(sys, f"__{name}__", None)
        stream = _std_stream(
            fd,
            getattr(original, "encoding", None) or "utf-8",
            getattr(original, "errors", None) or ("backslashreplace" if fd == 2 else "strict"),
            bool(getattr(original, "line_buffering", fd == 2)),
            bool(getattr(original, "write_through", False)),
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _std_stream(
    fd: int, encoding: str, errors: str, line_buffering: bool, unbuffered: bool
) -> io.TextIOWrapper:
    writing = fd != 0
    raw = io.FileIO(fd, "wb" if writing else "rb", closefd=False)
    buffer: io.FileIO | io.BufferedWriter | io.BufferedReader = raw
    if not (writing and unbuffered):
        buffer = io.BufferedWriter(raw) if writing else io.BufferedReader(raw)
    stream = io.TextIOWrapper(
        buffer,
        encoding=encoding,
        errors=errors,
        newline=None if os.name == "nt" else "\n",
        line_buffering=line_buffering,
        write_through=writing and unbuffered,
    )
    stream.mode = "w" if writing else "r"  # type: ignore[misc]
    return stream


def _path_tail() -> list[str]:
    """sys.path of `python3 script.py` after its first entry, the script's folder."""
    if getattr(sys.flags, "safe_path", False):  # python3 -P: no script folder at all
        return list(sys.path)
    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    tail = list(sys.path[1:])
    # The unified hook puts this folder in front to import us; it must not leak to members.
    while tail and os.path.realpath(tail[0] or ".") == here:
        tail.pop(0)
    return tail


_PATH_TAIL = _path_tail()


def _run_as_main(argv: list[str]) -> int:
    """Run argv[0] as the `__main__` module like `python3` does; return its exit code."""
    path = os.path.abspath(argv[0])
    sys.argv = list(argv)
    folder = (
        [] if getattr(sys.flags, "safe_path", False) else [os.path.dirname(os.path.realpath(path))]
    )
    sys.path[:] = [*folder, *_PATH_TAIL]
    module = types.ModuleType("__main__")
    module.__dict__.update(
        __file__=path,
        __cached__=None,
        __builtins__=builtins,
        __loader__=SourceFileLoader("__main__", path),
    )
    sys.modules["__main__"] = module
    try:
        with open(path, "rb") as script:
            source = script.read()
    except OSError as exc:
        program = (getattr(sys, "orig_argv", None) or [sys.executable])[0]
        sys.stderr.write(
            f"{program}: can't open file {path!r}: [Errno {exc.errno}] {exc.strerror}\n"
        )
        return 2
    try:
        # dont_inherit: the member must not get this module's `from __future__` imports.
        exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
    except SystemExit as exc:
        return _system_exit_code(exc)
    except BaseException as exc:
        # Print it as python3 would, without this function's frame on top.
        tb = exc.__traceback__
        exc.__traceback__ = tb.tb_next if tb is not None else None
        sys.excepthook(type(exc), exc, exc.__traceback__)
        return 1
    return 0


def _system_exit_code(exc: SystemExit) -> int:
    """The exit status python3 gives `sys.exit(code)`: None is 0, text is printed then 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _shut_down_like_python(code: int) -> int:
    """The parts of interpreter shutdown a script can see; the rest is skipped for speed."""
    threading = sys.modules.get("threading")
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()  # wait for non-daemon threads, as python3 does before atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None or stream.closed:
            continue  # python3 flushes only the streams that are still open
        try:
            stream.flush()
        except OSError:
            # python3 exits 120 when stdout or stderr cannot be flushed, whatever the status
            code = 120
    return code


# ---------------------------------------------------------------------------------------
# POLICY: what Claude Code shows for the hooks of one event, and how the members' results
# become one hook result that shows the same.
#
# `Shown` is the one model of "what Claude Code shows": the runtime merges members through
# it, and `migrate hooks verify` / `hooks bench` compare registrations through it. Every
# choice the contract (docs/hooks-contract.md, merge rules 6-8) leaves open is made in this
# section, and only here:
#
# - What is shown, per hook: to Claude (context, plain-text context on UserPromptSubmit and
#   SessionStart, `deny` reasons, blocking reasons on events where they go back to Claude);
#   to the user (systemMessage, stopReason, the reasons of `allow`, `ask` and `defer`,
#   blocking reasons on UserPromptSubmit and PreCompact, the first stderr line of a
#   non-blocking error, a timeout); the permission decision (deny > defer > ask > allow;
#   exit 2 on PreToolUse and PermissionRequest is a deny, the legacy PreToolUse
#   `decision: approve/block` is allow/deny); whether anything blocks (exit 2 or
#   `decision: block` elsewhere); continue/stop; the tool input rewrite; whether the output
#   stays out of the transcript (`suppressOutput`); any other field. Empty or blank texts
#   (`"additionalContext": ""`) show nothing. Exit 2 reads no JSON: the JSON reason if
#   there is one (as the contract says), else stderr.
# - One member ran, or only one said anything: its stdout, stderr and exit code pass
#   through unchanged, so it behaves exactly as when registered alone (unless it timed out:
#   then the timeout note). Everyone silent: print nothing, exit 0; silence never becomes
#   "allow".
# - Every member that spoke only blocked by exit 2: exit 2, stderr carries every reason.
#   Blocking by exit 2 beside members that said something else: one JSON object that blocks
#   (permissionDecision deny, PermissionRequest decision deny, or `decision: block`) and
#   keeps what the others said, as Claude Code would have shown it from separate hooks.
# - Mixed decisions keep everything anyone would have seen: the reasons of the members that
#   chose the winning decision are joined in its reason; the reasons of the others (allow,
#   ask, defer: the user's) go to systemMessage, where the user still sees them.
#   PermissionRequest: the first member's `decision` object with the strongest behaviour
#   wins, with the messages of every member of that behaviour joined.
# - Ordering: every joined text is in registration order (MEMBERS order), never completion
#   order. Each part is labelled "[member name]"; reasons and messages are joined with
#   newlines, context parts with a blank line. Comparisons split joined texts back into
#   parts at these labels and compare the parts as a multiset without labels.
# - updatedInput: used only when the decision is neither deny nor ask. Several members
#   rewrote the input: the last in registration order wins, and the user is told so
#   (Claude Code itself keeps whichever finishes last).
# - suppressOutput: set when every member that printed JSON asked for it. A member that
#   asked beside one that did not is shown in the transcript (Ctrl-R) with the rest: one
#   hook has one stdout; nothing else of what it shows changes.
# - Over the cap: Claude Code caps each hook's output strings near 10,000 characters, and
#   separately registered each member had its own cap. A joined text over the cap is cut
#   fairly: short parts stay whole, long parts share the rest and end with a note of how
#   much was cut, so every member keeps a voice and Claude Code never cuts the tail member.
# - Timed-out members decide nothing; the user is told. Non-blocking errors (other exit
#   codes without JSON, exit 2 where it cannot block) are told to the user with the first
#   line of their stderr, as Claude Code shows that line.
# - continue: false wins if any member says so; stopReasons count only with it. Any other
#   field: the last member in registration order that set it wins.
# ---------------------------------------------------------------------------------------

# Events where exit code 2 blocks (or feeds stderr back to Claude). The contract names
# PreToolUse, UserPromptSubmit, Stop, SubagentStop, PostToolUse and PreCompact; the
# reference adds PermissionRequest (exit 2 denies) and PostToolUseFailure (like PostToolUse).
# Elsewhere (Notification, SessionStart, SessionEnd, ...) exit 2 is a non-blocking error.
BLOCKING_EVENTS = frozenset(
    {
        "PreToolUse",
        "PermissionRequest",
        "UserPromptSubmit",
        "Stop",
        "SubagentStop",
        "PostToolUse",
        "PostToolUseFailure",
        "PreCompact",
    }
)
# Events whose plain-text stdout (exit 0) becomes context for Claude.
CONTEXT_EVENTS = frozenset({"UserPromptSubmit", "SessionStart"})
# Events whose blocking reason goes to the user; elsewhere it goes back to Claude.
USER_REASON_EVENTS = frozenset({"UserPromptSubmit", "PreCompact"})
# Events whose decision is a permission (allow/ask/defer/deny) rather than a block.
PERMISSION_EVENTS = frozenset({"PreToolUse", "PermissionRequest"})
PERMISSION_RANK = {"allow": 1, "ask": 2, "defer": 3, "deny": 4}
OUTPUT_CAP = 10_000
TIMEOUT_NOTE = "timed out; its output was discarded"


def classify(
    event: str, member_name: str, exit_code: int, stdout: bytes, stderr: bytes, timed_out: bool
) -> MemberResult:
    """Read one member's run as Claude Code reads a hook's result (merge rule 6)."""

    def result(kind: str, output: Mapping[str, Any] | None = None, text: str = "") -> MemberResult:
        return MemberResult(member_name, kind, exit_code, stdout, stderr, output, text)

    if timed_out:
        return result("timeout")
    out_text = stdout.decode("utf-8", "replace").strip()
    err_text = stderr.decode("utf-8", "replace").strip()
    output = _json_object(out_text)
    if exit_code == 2 and event in BLOCKING_EVENTS:
        return result("block", output, _json_reason(output) or err_text)
    if exit_code not in (0, 2) and output is not None:
        return result("json", output)
    if exit_code != 0:
        return result("error", None, err_text.splitlines()[0] if err_text else "")
    if output is not None:
        return result("json", output)
    if out_text and event in CONTEXT_EVENTS:
        return result("context", None, out_text)
    return result("silent")


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_reason(output: Mapping[str, Any] | None) -> str:
    if output is None:
        return ""
    specific = output.get("hookSpecificOutput")
    if isinstance(specific, dict) and isinstance(specific.get("permissionDecisionReason"), str):
        return str(specific["permissionDecisionReason"])
    reason = output.get("reason")
    return reason if isinstance(reason, str) else ""


def _text(value: Any) -> str:
    """A string field's text, or "" (absent, not a string, or blank: it shows nothing)."""
    return value if isinstance(value, str) and value.strip() else ""


class Shown:
    """What Claude Code shows for the hooks run for one event, member by member.

    Texts are kept as (member name, text) in registration order. `to_claude()`,
    `to_user()`, `decision()`, `blocked()`, `stop`, `updated_input()`, `hidden()` and
    `other()` are the model; `comparable()` is its form for comparing two registrations.
    """

    def __init__(self, event: str) -> None:
        self.event = event
        self.top: dict[str, Any] = {}  # other top-level fields: the last setter wins
        self.specific: dict[str, Any] = {}  # other hookSpecificOutput fields: likewise
        self.stop = False
        self.stop_reasons: list[tuple[str, str]] = []
        self.blocks: list[tuple[str, str]] = []  # (member, reason) on non-permission events
        # (member, decision, reason, PermissionRequest decision object or None)
        self.permissions: list[tuple[str, str, str, dict[str, Any] | None]] = []
        self.rewrites: list[tuple[str, Any]] = []
        self.context: list[tuple[str, str]] = []
        self.messages: list[tuple[str, str]] = []  # systemMessage, errors, timeouts
        self.suppress: list[bool] = []  # per member that printed JSON

    def add(self, r: MemberResult) -> None:
        if r.kind == "timeout":
            self.messages.append((r.name, TIMEOUT_NOTE))
        elif r.kind == "error":
            detail = f": {r.text}" if r.text else ""
            self.messages.append((r.name, f"failed with exit code {r.exit_code}{detail}"))
        elif r.kind == "context":
            self.context.append((r.name, r.text))
        elif r.kind == "block":
            if self.event in PERMISSION_EVENTS:
                self.permissions.append((r.name, "deny", r.text, None))
            else:
                self.blocks.append((r.name, r.text))
        elif r.kind == "json" and r.output is not None:
            self._add_json(r.name, r.output)

    def _add_json(self, name: str, output: Mapping[str, Any]) -> None:
        self.suppress.append(output.get("suppressOutput") is True)
        for key, value in output.items():
            if key == "continue":
                self.stop = self.stop or value is False
            elif key == "stopReason":
                if output.get("continue") is False and _text(value):
                    self.stop_reasons.append((name, value))
            elif key == "systemMessage":
                if _text(value):
                    self.messages.append((name, value))
            elif key == "decision":
                self._add_decision(name, value, _text(output.get("reason")))
            elif key == "hookSpecificOutput" and isinstance(value, dict):
                self._add_specific(name, value)
            elif key not in ("reason", "suppressOutput"):
                self.top[key] = value

    def _add_decision(self, name: str, decision: Any, reason: str) -> None:
        if self.event == "PreToolUse" and decision in ("approve", "block"):
            legacy = "allow" if decision == "approve" else "deny"
            self.permissions.append((name, legacy, reason, None))
        elif decision == "block":
            self.blocks.append((name, reason))

    def _add_specific(self, name: str, specific: Mapping[str, Any]) -> None:
        decision = specific.get("permissionDecision")
        if self.event == "PreToolUse" and decision in PERMISSION_RANK:
            reason = _text(specific.get("permissionDecisionReason"))
            self.permissions.append((name, decision, reason, None))
        for key, value in specific.items():
            if key == "updatedInput" and self.event == "PreToolUse":
                self.rewrites.append((name, value))
            elif key == "additionalContext":
                if _text(value):
                    self.context.append((name, value))
            elif key == "decision" and self.event == "PermissionRequest":
                request = value if isinstance(value, dict) else {}
                if request.get("behavior") in PERMISSION_RANK:
                    message = _text(request.get("message"))
                    self.permissions.append((name, request["behavior"], message, request))
            elif key not in ("hookEventName", "permissionDecision", "permissionDecisionReason"):
                self.specific[key] = value

    # ----------------------------------------------------------------------- the model

    def decision(self) -> str | None:
        """The permission decision (None: nobody decided)."""
        if not self.permissions:
            return None
        return max((p[1] for p in self.permissions), key=PERMISSION_RANK.__getitem__)

    def blocked(self) -> bool:
        return bool(self.blocks)

    def _winning_request(self) -> dict[str, Any] | None:
        winner = self.decision()
        return next((p[3] for p in self.permissions if p[1] == winner and p[3] is not None), None)

    def updated_input(self) -> tuple[bool, Any]:
        """(whether the tool input is rewritten, the new input)."""
        if self.rewrites and self.decision() not in ("deny", "ask"):
            return True, self.rewrites[-1][1]
        return False, None

    def rewrite_note(self) -> list[tuple[str, str]]:
        if len(self.rewrites) < 2 or not self.updated_input()[0]:
            return []
        names = ", ".join(name for name, _ in self.rewrites)
        kept = self.rewrites[-1][0]
        return [(kept, f"several members rewrote the tool input ({names}); kept {kept}'s")]

    def to_claude(self) -> list[tuple[str, str]]:
        reasons = [(n, r) for n, d, r, _ in self.permissions if d == "deny" and r]
        blocks = [] if self.event in USER_REASON_EVENTS else [(n, r) for n, r in self.blocks if r]
        return [*self.context, *reasons, *blocks]

    def to_user(self) -> list[tuple[str, str]]:
        reasons = [(n, r) for n, d, r, _ in self.permissions if d != "deny" and r]
        blocks = [(n, r) for n, r in self.blocks if r] if self.event in USER_REASON_EVENTS else []
        return [*self.messages, *self.stop_reasons, *reasons, *blocks, *self.rewrite_note()]

    def hidden(self) -> bool:
        """Whether the output stays out of the transcript (every JSON member suppressed it)."""
        return bool(self.suppress) and all(self.suppress)

    def other(self) -> dict[str, Any]:
        fields = dict(self.top)
        fields.update({f"hookSpecificOutput.{k}": v for k, v in self.specific.items()})
        request = self._winning_request()
        if request is not None:
            extra = {k: v for k, v in request.items() if k not in ("behavior", "message")}
            if extra:
                fields["hookSpecificOutput.decision"] = extra
        return fields

    def comparable(self, normalise: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The model in a form two registrations can be compared by: texts as sorted parts
        without labels (Claude Code promises no order between hooks)."""
        rewritten, new_input = self.updated_input()
        return {
            "decision": self.decision(),
            "blocked": self.blocked(),
            "stop": self.stop,
            "to_claude": _sorted_parts(self.to_claude(), normalise),
            "to_user": _sorted_parts(self.to_user(), normalise),
            "updated_input": json.dumps(new_input, sort_keys=True) if rewritten else None,
            "hidden": self.hidden(),
            "other": json.dumps(self.other(), sort_keys=True, default=str),
        }

    # ----------------------------------------------------------------------- merging

    def render(self) -> dict[str, Any]:
        """One JSON output that shows what these members show (see POLICY)."""
        out = dict(self.top)
        specific = dict(self.specific)
        messages = list(self.messages)
        if self.stop:
            out["continue"] = False
            if self.stop_reasons:
                out["stopReason"] = _join(self.stop_reasons, "\n")
        if self.blocks:
            out["decision"] = "block"
            reasons = [(n, r) for n, r in self.blocks if r]
            if reasons:
                out["reason"] = _join(reasons, "\n")
        winner = self.decision()
        if winner is not None:
            won = [(n, r) for n, d, r, _ in self.permissions if d == winner and r]
            messages += [(n, r) for n, d, r, _ in self.permissions if d != winner and r]
            if self.event == "PermissionRequest":
                request = {**(self._winning_request() or {}), "behavior": winner}
                request.pop("message", None)
                if won:
                    request["message"] = _join(won, "\n")
                specific["decision"] = request
            else:
                specific["permissionDecision"] = winner
                if won:
                    specific["permissionDecisionReason"] = _join(won, "\n")
        rewritten, new_input = self.updated_input()
        if rewritten:
            specific["updatedInput"] = new_input
        messages += self.rewrite_note()
        if self.context:
            specific["additionalContext"] = _join(self.context, "\n\n", block=True)
        if messages:
            out["systemMessage"] = _join(messages, "\n")
        if self.hidden():
            out["suppressOutput"] = True
        if specific:
            out["hookSpecificOutput"] = {"hookEventName": self.event, **specific}
        return out


def shown(event: str, results: Sequence[MemberResult]) -> Shown:
    """What Claude Code shows for these results of hooks run for `event`."""
    model = Shown(event)
    for r in results:
        model.add(r)
    return model


def combine(event: str, results: Sequence[MemberResult]) -> tuple[int, bytes, bytes]:
    """One hook result (exit code, stdout, stderr) for all members (merge rules 7 and 8)."""
    speaking = [r for r in results if r.kind != "silent"]
    if len(results) == 1 and results[0].kind != "timeout":
        return results[0].exit_code, results[0].stdout, results[0].stderr
    if not speaking:
        return 0, b"", b""
    if len(speaking) == 1 and speaking[0].kind != "timeout":
        return speaking[0].exit_code, speaking[0].stdout, speaking[0].stderr
    if all(r.kind == "block" for r in speaking):
        reason = _join([(r.name, r.text) for r in speaking if r.text.strip()], "\n")
        return 2, b"", (reason + "\n").encode() if reason else b""
    merged = shown(event, results).render()
    if not merged:
        return 0, b"", b""
    return 0, (json.dumps(merged, ensure_ascii=False) + "\n").encode(), b""


# A "[member]" label at the start of a joined part: followed by a space, a newline or the end.
_LABEL = r"\[[^\]\n]+\](?: |\n|$)"
_PART_START = re.compile(r"\n(?=" + _LABEL + ")")
_LEADING_LABELS = re.compile(r"^(?:\s*" + _LABEL + r")+")  # a member's text may start blank


def split_parts(text: str) -> list[str]:
    """A text as the parts `_join` joined, labels removed. Blank parts and parts that are
    nothing but labels are dropped: a text that looks like labels cannot be told apart
    from them (the runtime itself never labels a blank text)."""
    parts = []
    for chunk in _PART_START.split(text):
        part = _LEADING_LABELS.sub("", chunk.strip()).strip()
        if part:
            parts.append(part)
    return parts


def _sorted_parts(
    texts: Sequence[tuple[str, str]], normalise: Callable[[str], str] | None
) -> list[str]:
    parts = [p for _, text in texts for p in split_parts(text)]
    return sorted(normalise(p) if normalise else p for p in parts)


def _join(parts: Sequence[tuple[str, str]], separator: str, block: bool = False) -> str:
    """Label each (member, text) part and join them, fitting the result under OUTPUT_CAP."""
    labelled = [f"[{name}]\n{text}" if block else f"[{name}] {text}" for name, text in parts]
    joined = separator.join(labelled)
    if len(joined) <= OUTPUT_CAP:
        return joined
    budget = OUTPUT_CAP - len(separator) * (len(labelled) - 1)
    shares = _fair_shares([len(part) for part in labelled], budget)
    return separator.join(_cut(part, shares[i]) for i, part in enumerate(labelled))


def _fair_shares(lengths: list[int], budget: int) -> list[int]:
    """Split `budget` so short parts get all they need and long ones share the rest."""
    shares = [0] * len(lengths)
    left = max(budget, 0)
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    for done, index in enumerate(order):
        shares[index] = min(lengths[index], left // (len(order) - done))
        left -= shares[index]
    return shares


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = f"\n[... {len(text)} characters cut by the unified hook]"
    keep = max(limit - len(note), 0)
    return text[:keep] + f"\n[... {len(text) - keep} characters cut by the unified hook]"
