"""The checks run after each step: py_compile, pytest, extra commands, recipe-specific checks."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from migrate.engine.journal import CheckResult
from migrate.errors import UserError, did_you_mean
from migrate.model import Validation
from migrate.recipes import check_validation, read_toml

CONFIG = Path(".migrate/config.toml")
TAIL_LINES = 20
NO_TESTS = 5  # pytest's exit code for "no tests collected"


@dataclass(frozen=True)
class Environment:
    """How to run the project's own Python: the words before a script or `-m module`."""

    python: tuple[str, ...]
    label: str  # for the check line and the logs: ".venv/bin/python", "uv run python", ...


@dataclass(frozen=True)
class Context:
    """What a check needs to know about the step it validates."""

    root: Path
    changed: tuple[str, ...]
    before: Mapping[str, str | None]
    base_commit: str
    log_dir: Path
    prefix: str
    env: Environment
    started: Callable[[int], None]  # told each check's process group (see `run_command`)


def project_validation(root: Path) -> Validation:
    """The project's defaults from `.migrate/config.toml` `[validate]`, over the built-in ones."""
    path = root / CONFIG
    if not path.is_file():
        return Validation()
    config = read_toml(path)
    for key in config:
        if key != "validate":
            hint = did_you_mean(key, ["validate"]) or " (the only table is [validate])."
            raise UserError(f"{path}: unknown key '{key}'{hint}")
    return merged(Validation(), config.get("validate", {}), path)


def merged(base: Validation, table: Mapping[str, Any], source: Path) -> Validation:
    check_validation(source, table)
    values: dict[str, Any] = {
        f.name: (tuple(table[f.name]) if isinstance(table[f.name], list) else table[f.name])
        for f in fields(Validation)
        if f.name in table
    }
    return replace(base, **values)


def environment(user_root: Path, v: Validation) -> Environment:
    """The project's Python, in this order: `[validate] python`; a `.venv` or `venv` at the
    repository root; `uv run` with `uv.lock` (uv installed); `poetry run` with `poetry.lock`;
    else `python3` on PATH. `{migrate_python}` names the interpreter running migrate."""
    if v.python:
        words = shlex.split(v.python.replace("{migrate_python}", sys.executable))
        label = "migrate's Python" if v.python == "{migrate_python}" else v.python
        return Environment(tuple(words), label)
    for folder in (".venv", "venv"):
        exe = user_root / folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if exe.exists():
            return Environment((str(exe),), f"{folder}/bin/python")
    if (user_root / "uv.lock").is_file() and shutil.which("uv"):
        return Environment(("uv", "run", "--frozen", "python"), "uv run python")
    if (user_root / "poetry.lock").is_file() and shutil.which("poetry"):
        return Environment(("poetry", "run", "python"), "poetry run python")
    missing = [
        f"{lock} found but {tool} is not installed"
        for lock, tool in (("uv.lock", "uv"), ("poetry.lock", "poetry"))
        if (user_root / lock).is_file()
    ]
    return Environment(("python3",), "python3 on PATH" + (f"; {missing[0]}" if missing else ""))


def expand(command: Sequence[str], env: Environment) -> list[str]:
    """`{python}` in a configured command is the project's Python (its words, when it stands
    alone); `{migrate_python}` is the interpreter running migrate."""
    out: list[str] = []
    for part in command:
        part = part.replace("{migrate_python}", sys.executable)
        if part == "{python}":
            out.extend(env.python)
        else:
            out.append(part.replace("{python}", shlex.join(env.python)))
    return out


def run_command(
    argv: Sequence[str],
    cwd: Path,
    timeout: float,
    log: Path,
    on_start: Callable[[int], None],
) -> tuple[int | None, str, float]:
    """Run a check in its own session (killed whole on timeout, Ctrl-C or SIGTERM; `on_start`
    records the group so that a later command can kill it after a kill -9 of migrate).

    Returns (exit code or None on timeout, combined output, seconds); output also goes to `log`.
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    with log.open("wb") as out:
        out.write(f"$ {shlex.join(argv)}\n# in {cwd}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except OSError as e:  # not found, not executable: the check cannot run
            out.write(f"{argv[0]}: {e.strerror}\n# exit code 127\n".encode())
            out.flush()  # read back below, before the file is closed
            return 127, log.read_text("utf-8", "replace"), time.monotonic() - started
        try:
            on_start(proc.pid)
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_group(proc)
        seconds = time.monotonic() - started
        ending = "timed out" if code is None else f"exit code {code}"
        out.write(f"\n# {ending} after {seconds:.1f} s\n".encode())
    return code, log.read_text("utf-8", "replace"), seconds


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(_output_lines(text)[-lines:])


def _py_compile(ctx: Context) -> CheckResult:
    from migrate.pysource.parse import parses

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
            if before is not None and parse_fails_too(before, path) and parses(data.decode(), path):
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
    argv = [*expand(v.pytest_command, ctx.env), "-p", "no:cacheprovider", *paths]
    log = ctx.log_dir / f"{ctx.prefix}-pytest.log"
    code, output, seconds = run_command(argv, ctx.root, v.pytest_timeout, log, ctx.started)
    where = f"({ctx.env.label}) "
    if code == 0:
        return CheckResult("pytest", "passed", where + _last_line(output), str(log), seconds)
    if code == NO_TESTS:
        return CheckResult("pytest", "no tests", where + "no tests collected", str(log), seconds)
    if code is not None and "No module named pytest" in output:
        detail = (
            f"pytest is not installed for {ctx.env.label}; install it there, name the project's"
            " Python with `[validate] python`, or turn the check off with `pytest = false`"
            " in .migrate/config.toml"
        )
        return CheckResult("pytest", "failed", detail, str(log), seconds)
    why = f"timed out after {v.pytest_timeout:g} s" if code is None else f"exit code {code}"
    return CheckResult("pytest", "failed", f"{where}{why}\n{tail(output)}", str(log), seconds)


def failed_tests(output: str) -> set[str]:
    """The ids pytest's short summary lists as failed or in error."""
    return set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE))


def against_base(step: CheckResult, base: CheckResult) -> CheckResult:
    """A failing check compared with the same check before the step: the failures that were
    already there are not the step's; only new ones fail it."""
    if base.outcome != "failed":
        return step
    if step.name == "pytest":
        new = failed_tests(_log_text(step)) - failed_tests(_log_text(base))
        if new:
            listed = "\n".join(sorted(new)[:TAIL_LINES])
            return replace(
                step, detail=f"{len(new)} new failure(s) (not failing before):\n{listed}"
            )
        count = len(failed_tests(_log_text(base)))
        if not count:
            return step
        detail = f"pytest fails at the base too ({count} failure(s), none new)"
        return replace(step, outcome="fails at base", detail=detail)
    code = _exit_code(step)
    # A command that could not start (126, 127) or ran out of time proves nothing, at the base
    # or after the step: it stays a failure, never "the same as before".
    if code in (None, "timed out", "exit code 126", "exit code 127"):
        return step
    if code == _exit_code(base):
        detail = f"fails at the base too ({code}, the same exit code)"
        return replace(step, outcome="fails at base", detail=detail)
    return step


def _log_text(result: CheckResult) -> str:
    try:
        return Path(result.log).read_text("utf-8", "replace") if result.log else ""
    except OSError:
        return ""


def _exit_code(result: CheckResult) -> str | None:
    found = re.findall(r"^# (exit code \d+|timed out)", _log_text(result), re.MULTILINE)
    return found[-1] if found else None


def _last_line(output: str) -> str:
    lines = _output_lines(output)
    return lines[-1].strip("= ") if lines else ""


def _output_lines(text: str) -> list[str]:
    """The check's own output, without the command and exit-code lines the log adds."""
    lines = [ln for ln in text.rstrip().splitlines() if not ln.startswith(("# ", "$ "))]
    while lines and not lines[-1].strip():  # the blank line before the exit-code line
        lines.pop()
    return lines


def summary(result: CheckResult) -> str:
    """A failed check in a few words: its name and, for pytest, the tests that failed."""
    failed = sorted(failed_tests(_log_text(result))) if result.name == "pytest" else []
    return result.name + (f" ({', '.join(failed[:5])})" if failed else "")


def _command(ctx: Context, command: str, index: int, timeout: float) -> CheckResult:
    log = ctx.log_dir / f"{ctx.prefix}-command{index}.log"
    argv = ["/bin/sh", "-c", command] if os.name == "posix" else ["cmd", "/c", command]
    code, output, seconds = run_command(expand(argv, ctx.env), ctx.root, timeout, log, ctx.started)
    if code == 0:
        return CheckResult(command, "passed", "", str(log), seconds)
    why = f"timed out after {timeout:g} s" if code is None else f"exit code {code}"
    return CheckResult(command, "failed", f"{why}\n{tail(output)}", str(log), seconds)


Check = Callable[[Context], CheckResult]


def checks(ctx: Context, v: Validation) -> Iterator[tuple[str, Check]]:
    """The enabled checks, in order, as (name, run) pairs so a UI can show each one live; a
    check is a function of the context, so that it can run again on the step's base."""
    if v.py_compile and any(p.endswith(".py") for p in ctx.changed):
        yield "py_compile", _py_compile
    if v.pytest:
        yield "pytest", lambda c: _pytest(c, v)
    for i, command in enumerate(v.commands, 1):
        yield command, lambda c, cmd=command, i=i: _command(c, cmd, i, v.command_timeout)  # type: ignore[misc]
    if v.hooks_verify:
        yield "hooks verify", _hooks_verify


def turned_off(v: Validation) -> list[str]:
    """The checks the configuration switched off explicitly (said in the commit message)."""
    return [name for name in ("py_compile", "pytest") if not getattr(v, name)]


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
