"""What keeps a run apart from the user: one lock per repository, and the run's own worktree.

A run writes only its worktree (under `.git/migrate/worktrees/`), its refs (`refs/migrate/`),
the journal and its own branch. The lock records who holds it (pid and process start time, so a
reused pid is not mistaken for the holder) and the process group of the check running now, so
that whoever clears a stale lock can stop what the dead run left running.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from migrate import files
from migrate.engine import git, journal
from migrate.errors import RepoStateError, UserError

if TYPE_CHECKING:
    from migrate.engine.git import Repo

LOCK_NAME = "lock.json"


def process_start(pid: int) -> str | None:
    """When process `pid` started (an opaque token), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()  # starttime, in clock ticks since boot
    except FileNotFoundError:
        return None
    except OSError:
        pass
    try:  # no /proc (macOS): ps knows
        done = subprocess.run(
            ["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def alive(pid: int, start: str | None) -> bool:
    """True when `pid` is still the process that recorded `start`."""
    now = process_start(pid)
    return now is not None and (start is None or now == start)


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, and what of theirs must die with them."""

    pid: int
    start: str | None
    command: str
    run: str | None = None
    worktrees: tuple[str, ...] = ()  # the run's worktree, then a base check's inside it
    recipe: str | None = None
    group: int | None = None  # the process group of the running check
    group_start: str | None = None

    def alive(self) -> bool:
        return alive(self.pid, self.start)


class Lock:
    """`.git/migrate/lock.json`, shared by every worktree of a repository.

    Held with `flock` for the run's lifetime, so the kernel releases it when the holder dies,
    however it dies; the record inside says who held it. A record found in a free lock is what a
    dead run left: `acquire` returns it so that its leftovers can be cleaned up.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self.holder: Holder | None = None
        self._fd: int | None = None

    def read(self) -> Holder | None:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
            return Holder(**{**data, "worktrees": tuple(data.get("worktrees", ()))})
        except (ValueError, TypeError, AttributeError):
            return Holder(pid=0, start=None, command="unknown")  # torn: nobody holds it

    def acquire(self, command: str) -> Holder | None:
        """Take the lock or refuse naming its holder; returns a dead holder's record, if any."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self._named_holder()
            who = f"`migrate {holder.command}` (pid {holder.pid})" if holder else "another migrate"
            raise RepoStateError(
                f"{who} is working on this repository; wait for it to finish (lock: {self.path})."
            ) from None
        self._fd = fd
        dead = self.read()
        self.holder = Holder(os.getpid(), process_start(os.getpid()), command)
        self._write()
        return dead

    def _named_holder(self) -> Holder | None:
        """The holder's record: written just after the lock is taken, so an empty one (a holder
        that started a moment ago) is read again for up to half a second."""
        for _ in range(25):
            holder = self.read()
            if holder is not None:
                return holder
            time.sleep(0.02)
        return None

    def update(self, **changes: object) -> None:
        """Record what the run is doing now (the group of the check it runs, its worktree)."""
        assert self.holder is not None
        self.holder = replace(self.holder, **changes)  # type: ignore[arg-type]
        self._write()

    def _write(self) -> None:
        assert self._fd is not None and self.holder is not None
        data = json.dumps(asdict(self.holder)).encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # a clean exit leaves no record to clean up after
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        self.holder = None


def kill_group(group: int | None, start: str | None) -> None:
    """Kill process group `group` if its leader is still the process recorded (no pid reuse)."""
    if group is None:
        return
    if start is not None and process_start(group) not in (None, start):
        return  # the number now belongs to somebody else's process
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    for _ in range(50):  # give the kernel a moment to reap before files are removed
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


@contextmanager
def signals_held() -> Iterator[None]:
    """Cleanup must finish: a second Ctrl-C waits until the run's state is back in order."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C, so the step's cleanup runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def own_worktree(repo: Repo, lock: Lock, name: str, start: str) -> Iterator[Repo]:
    """A worktree of the run's own at `start` (detached), removed at the end; after a bug of
    ours it is kept for inspection, with its path printed."""
    path = journal.folder(repo) / "worktrees" / name
    git.remove_worktree(repo, path)  # a folder left by a crash, or one deleted by hand that
    # git still has registered: either would make `worktree add` refuse
    path.parent.mkdir(parents=True, exist_ok=True)
    git.add_worktree(repo, path, start)
    held = lock.holder.worktrees if lock.holder else ()
    lock.update(worktrees=(*held, str(path)))
    keep = False
    try:
        with git.open_repo(path) as wt:
            yield wt
    except Exception as e:
        keep = not isinstance(e, UserError)
        if keep:
            sys.stderr.write(f"migrate: the run's worktree is kept for inspection: {path}\n")
        raise
    finally:
        with signals_held():
            if not keep:
                git.remove_worktree(repo, path)
            lock.update(worktrees=held, group=None, group_start=None)


def share(user_root: Path, worktree: Path, share: Sequence[str]) -> None:
    """Ignored files the checks need, from the user's tree: folders linked, files copied (a
    check that writes a shared file then writes a copy, never the user's)."""
    for rel in share:
        source, target = user_root / rel, worktree / rel
        if not source.exists() or target.exists() or target.is_symlink():
            continue
        if files.link_problem(worktree, rel):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            target.symlink_to(source.resolve(), target_is_directory=True)
        else:
            shutil.copy2(source, target)
