"""The checks run after each step: py_compile, pytest, extra commands, recipe-specific checks."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from migrate.journal import CheckResult
from migrate.model import Validation
from migrate.recipes import check_validation, read_toml

CONFIG = Path(".migrate/config.toml")
TAIL_LINES = 20
NO_TESTS = 5  # pytest's exit code for "no tests collected"


@dataclass(frozen=True)
class Context:
    """What a check needs to know about the step it validates."""

    root: Path
    changed: tuple[str, ...]
    before: Mapping[str, str | None]
    base_commit: str
    log_dir: Path
    prefix: str


def project_validation(root: Path) -> Validation:
    """The project's defaults from `.migrate/config.toml` `[validate]`, over the built-in ones."""
    path = root / CONFIG
    if not path.is_file():
        return Validation()
    table = read_toml(path).get("validate", {})
    return merged(Validation(), table, path)


def merged(base: Validation, table: Mapping[str, Any], source: Path) -> Validation:
    check_validation(source, table)
    values: dict[str, Any] = {
        f.name: (tuple(table[f.name]) if isinstance(table[f.name], list) else table[f.name])
        for f in fields(Validation)
        if f.name in table
    }
    return replace(base, **values)


def expand(command: Sequence[str]) -> list[str]:
    """`{python}` in a configured command means the interpreter running migrate."""
    return [part.replace("{python}", sys.executable) for part in command]


def run_command(
    argv: Sequence[str], cwd: Path, timeout: float, log: Path
) -> tuple[int | None, str, float]:
    """Run a check in its own process group (killed whole on timeout or Ctrl-C).

    Returns (exit code or None on timeout, combined output, seconds); output also goes to `log`.
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_group(proc)
    output = log.read_text("utf-8", "replace")
    return code, output, time.monotonic() - started


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _py_compile(ctx: Context) -> CheckResult:
    from migrate.writer import parses

    started = time.monotonic()
    python = [p for p in ctx.changed if p.endswith(".py") and (ctx.root / p).is_file()]
    bad = []
    for path in python:
        data = (ctx.root / path).read_bytes()
        try:
            compile(data, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            before = ctx.before.get(path)
            # Syntax newer than this interpreter: compiling proves nothing, parsing does.
            if before is not None and parse_fails_too(before, path) and parses(path, data.decode()):
                continue
            bad.append(f"{path}: {e}")
    elapsed = time.monotonic() - started
    if bad:
        return CheckResult("py_compile", "failed", "; ".join(bad), "", elapsed)
    return CheckResult("py_compile", "passed", f"{len(python)} file(s)", "", elapsed)


def parse_fails_too(text: str, path: str) -> bool:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return True
    return False


def _pytest(ctx: Context, v: Validation) -> CheckResult:
    paths = [p for p in v.pytest_paths if (ctx.root / p).exists()]
    if not paths:
        return CheckResult("pytest", "no tests", f"no {', '.join(v.pytest_paths)} folder")
    argv = [*expand(v.pytest_command), "-p", "no:cacheprovider", *paths]
    log = ctx.log_dir / f"{ctx.prefix}-pytest.log"
    code, output, seconds = run_command(argv, ctx.root, v.pytest_timeout, log)
    if code == 0:
        return CheckResult("pytest", "passed", _last_line(output), str(log), seconds)
    if code == NO_TESTS:
        return CheckResult("pytest", "no tests", "no tests collected", str(log), seconds)
    if code is not None and "No module named pytest" in output:
        detail = f"pytest is not installed for {argv[0]}"
        return CheckResult("pytest", "skipped", detail, str(log), seconds)
    why = f"timed out after {v.pytest_timeout:g} s" if code is None else f"exit code {code}"
    return CheckResult("pytest", "failed", f"{why}\n{tail(output)}", str(log), seconds)


def _last_line(output: str) -> str:
    lines = output.strip().splitlines()
    return lines[-1].strip("= ") if lines else ""


def _command(ctx: Context, command: str, index: int, timeout: float) -> CheckResult:
    log = ctx.log_dir / f"{ctx.prefix}-command{index}.log"
    argv = ["/bin/sh", "-c", command] if os.name == "posix" else ["cmd", "/c", command]
    code, output, seconds = run_command(expand(argv), ctx.root, timeout, log)
    if code == 0:
        return CheckResult(command, "passed", "", str(log), seconds)
    why = f"timed out after {timeout:g} s" if code is None else f"exit code {code}"
    return CheckResult(command, "failed", f"{why}\n{tail(output)}", str(log), seconds)


def checks(ctx: Context, v: Validation) -> Iterator[tuple[str, Callable[[], CheckResult]]]:
    """The enabled checks, in order, as (name, run) pairs so a UI can show each one live."""
    if v.py_compile and any(p.endswith(".py") for p in ctx.changed):
        yield "py_compile", lambda: _py_compile(ctx)
    if v.pytest:
        yield "pytest", lambda: _pytest(ctx, v)
    for i, command in enumerate(v.commands, 1):
        yield command, lambda c=command, i=i: _command(ctx, c, i, v.command_timeout)  # type: ignore[misc]
    if v.hooks_verify:
        yield "hooks verify", lambda: _hooks_verify(ctx)


def _hooks_verify(ctx: Context) -> CheckResult:
    """The hooks as registered before the step and after it must have the same effect."""
    from migrate.hooks import verify

    started = time.monotonic()
    report = verify.verify(ctx.root, "HEAD", None)
    log = ctx.log_dir / f"{ctx.prefix}-hooks-verify.json"
    log.write_text(json.dumps(report.as_dict(), indent=2, default=str), encoding="utf-8")
    seconds = time.monotonic() - started
    if report.ok:
        detail = "\n".join([report.summary(), *(n.describe() for n in report.nondeterministic)])
        return CheckResult("hooks verify", "passed", detail, str(log), seconds)
    lines = report.failure_lines()[:TAIL_LINES]
    return CheckResult("hooks verify", "failed", "\n".join(lines), str(log), seconds)
