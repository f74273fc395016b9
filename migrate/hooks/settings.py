"""The hook registrations of a repository, read from `.claude/settings.json` and
`.claude/settings.local.json`, and which of them a unified hook may merge."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import settings_edit

SETTINGS_FILES = (".claude/settings.json", ".claude/settings.local.json")
PROJECT_VARS = ("$CLAUDE_PROJECT_DIR/", "${CLAUDE_PROJECT_DIR}/")
# Anything a shell would treat specially makes a command more than "run this script".
_SHELL_SYNTAX = re.compile(r"[|&;<>()`]|\$\(|\n")
_PYTHON_NAME = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?")
# Interpreter options that take no value and only change how the interpreter runs: kept in the
# interpreter command, so a unified hook starts with them too.
_PYTHON_FLAGS = frozenset({"-u", "-B", "-O", "-OO", "-E", "-s", "-S", "-I", "-P", "-q", "-b"})
# `uv run` options followed by a value (the others are flags).
_UV_VALUED = frozenset(
    {
        "--with",
        "--with-editable",
        "--with-requirements",
        "--python",
        "-p",
        "--project",
        "--directory",
        "--group",
        "--extra",
        "--env-file",
        "--index",
        "--default-index",
        "--index-url",
        "--extra-index-url",
        "--package",
        "--cache-dir",
        "--config-file",
        "--only-group",
        "--no-group",
    }
)
# PEP 723 inline script metadata: `# /// script` ... `# ///`.
PEP723 = re.compile(r"(?m)^# /// script\s*$\n(?:^#(?: .*)?$\n)*?^# ///\s*$")


@dataclass(frozen=True)
class Interpreter:
    """How a handler command starts Python for its script: what a unified hook that runs it as a
    member must be started with, so that the very same Python and environment run it."""

    command: str  # the words before the script, resolved: "python3", "uv run", ".venv/bin/python"
    metadata: str | None  # the script's PEP 723 block when uv builds the environment from it

    @property
    def key(self) -> tuple[str, str | None]:
        """Members merge only when this is equal: same interpreter, same environment."""
        return self.command, self.metadata

    def describe(self) -> str:
        """In the user's words, for notes: "`uv run --script` with its PEP 723 metadata"."""
        if self.metadata is None:
            return f"`{self.command}`"
        return f"`{self.command}` with PEP 723 metadata ({_dependencies(self.metadata)})"


def _dependencies(metadata: str) -> str:
    """`requires-python >=3.11; requests` from a PEP 723 block, for notes."""
    found = re.search(r"(?s)dependencies\s*=\s*\[(.*?)\]", metadata)
    names = re.findall(r"[\"']([^\"']+)[\"']", found.group(1)) if found else []
    python = re.search(r"requires-python\s*=\s*[\"']([^\"']+)[\"']", metadata)
    parts = [f"requires-python {python.group(1)}"] if python else []
    return "; ".join([*parts, ", ".join(names) if names else "no dependencies"])


@dataclass(frozen=True)
class HookRegistration:
    """One handler in one matcher group of one event, as registered in a settings file."""

    file: str
    event: str
    matcher: str | None
    type: str
    command: str
    timeout: float | None
    is_async: bool
    if_rule: str | None
    script: str | None  # repo-relative path of the Python script it runs, when it is one
    script_word: str  # the script as the command spells it (`$CLAUDE_PROJECT_DIR/...`)
    args: tuple[str, ...]
    not_mergeable: str | None  # why a unified hook must leave it alone
    interpreter: Interpreter | None = None  # how it starts Python; None when it does not

    @property
    def mergeable(self) -> bool:
        return self.not_mergeable is None

    @property
    def runs_python(self) -> bool:
        return self.interpreter is not None

    @property
    def name(self) -> str:
        return PurePosixPath(self.script).name if self.script else self.command


def _where(file: str, path: str) -> str:
    return f"{file}: {path}"


def _expect(value: Any, kind: type, file: str, path: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise UserError(f"{_where(file, path)} must be {what}, got {type(value).__name__}.")
    return value


@dataclass(frozen=True)
class _Command:
    script: str | None
    word: str
    args: tuple[str, ...]
    not_mergeable: str | None
    interpreter: Interpreter | None = None


def _refused(why: str, interpreter: Interpreter | None = None) -> _Command:
    return _Command(None, "", (), why, interpreter)


@dataclass(frozen=True)
class _Launch:
    """A command's words split into the interpreter (resolved) and what it runs."""

    interpreter: tuple[str, ...]  # () when the first word is not an interpreter
    rest: tuple[str, ...]
    uv_script: bool  # `uv run [--script] x.py`: uv reads the script's PEP 723 metadata


def _launch(words: Sequence[str]) -> _Launch | str:
    """Which interpreter the words start (`env` looked through, as PATH gives the same program),
    or why they start one in a way a unified hook cannot repeat."""
    if words and PurePosixPath(words[0]).name == "env":
        rest = list(words[1:])
        while rest and rest[0] in ("-S", "--split-string"):
            rest = rest[1:]
        if rest and (rest[0].startswith("-") or "=" in rest[0]):
            return "runs env with options or variables"
        return _launch(rest)
    if len(words) >= 2 and words[0] == "uv" and words[1] == "run":
        return _uv_run(words)
    if words and _PYTHON_NAME.fullmatch(PurePosixPath(words[0]).name):
        i = 1
        while i < len(words) and words[i] in _PYTHON_FLAGS:
            i += 1
        if i >= len(words) or words[i].startswith("-"):
            return "runs python without a script"
        return _Launch(tuple(words[:i]), tuple(words[i:]), False)
    return _Launch((), tuple(words), False)


def _uv_run(words: Sequence[str]) -> _Launch | str:
    i = 2
    while i < len(words) and words[i].startswith("-"):
        if words[i] in ("-m", "--module"):
            return "runs a module under uv run, not a script"
        i += 2 if words[i] in _UV_VALUED else 1
    if i >= len(words):
        return "runs uv without a script"
    if _PYTHON_NAME.fullmatch(words[i]):
        inner = _launch(words[i:])
        if isinstance(inner, str):
            return inner
        return _Launch((*words[:i], *inner.interpreter), inner.rest, False)
    if not words[i].endswith(".py") and "--script" not in words[2:i]:
        return f"runs {words[i]} under uv run, not a Python script"
    return _Launch(tuple(words[:i]), tuple(words[i:]), True)


def _interpreter_word(word: str) -> str:
    """An interpreter path as the key compares it: the project variable spelt one way."""
    for prefix in PROJECT_VARS:
        if word.startswith(prefix):
            return PROJECT_VARS[0] + word[len(prefix) :]
    return word


def _interpreter(launch: _Launch, script_text: str | None) -> Interpreter:
    words = [_interpreter_word(launch.interpreter[0]), *launch.interpreter[1:]]
    found = PEP723.search(script_text or "") if launch.uv_script else None
    metadata = found.group(0).strip() if found else None
    return Interpreter(" ".join(shell_word(w) for w in words), metadata)


def shell_word(word: str) -> str:
    """A word for a shell command line; `$CLAUDE_PROJECT_DIR/...` keeps its variable."""
    if word.startswith(PROJECT_VARS[0]):
        return '"$CLAUDE_PROJECT_DIR"/' + shlex.quote(word[len(PROJECT_VARS[0]) :])
    return shlex.quote(word)


def _shebang(text: str) -> list[str] | None:
    """The words of a script's `#!` line, or None without one."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.startswith("#!"):
        return None
    try:
        return shlex.split(first[2:])
    except ValueError:
        return None


def script_of(command: str, snapshot: Snapshot) -> _Command:
    """The Python script a handler command runs, under which interpreter, or why a unified hook
    cannot run it as a member (the interpreter is still given when it is Python)."""
    if _SHELL_SYNTAX.search(command):
        return _refused("uses shell syntax (pipes, redirections, &&, ...)", _shell_python(command))
    try:
        words = shlex.split(command)
    except ValueError:
        return _refused("cannot be split into words")
    if not words:
        return _refused("is empty")
    launch = _launch(words)
    if isinstance(launch, str):
        return _refused(launch, _python_anyway(words))
    if launch.interpreter:
        return _run_by(launch, snapshot)
    return _executable(words, snapshot)


def _run_by(launch: _Launch, snapshot: Snapshot, why: str | None = None) -> _Command:
    word, args = launch.rest[0], launch.rest[1:]
    script = project_path(word)
    source = snapshot.read(script) if script else None
    interpreter = _interpreter(launch, source.text if source else None)
    if script is None:
        return _refused("runs a script outside the project", interpreter)
    if why is None and not script.endswith(".py"):
        why = "does not run a .py file"
    return _Command(script, word, tuple(args), why, interpreter)


def _executable(words: Sequence[str], snapshot: Snapshot) -> _Command:
    """A script run directly: the kernel starts the interpreter its `#!` line names, with the
    script and its arguments after that line's words."""
    script = project_path(words[0])
    source = snapshot.read(script) if script else None
    shebang = _shebang(source.text) if source else None
    launch = _launch([*shebang, *words]) if shebang else None
    if not isinstance(launch, _Launch) or not launch.interpreter:
        if script is None or not words[0].endswith(".py"):
            return _refused(f"runs {words[0]}, not a Python script")
        return _Command(script, words[0], tuple(words[1:]), "is a script without a python shebang")
    why = None
    if not os.access(snapshot.root / (script or ""), os.X_OK):
        why = "is a script that is not executable, so Claude Code cannot start it"
    return _run_by(launch, snapshot, why)


def _python_anyway(words: Sequence[str]) -> Interpreter | None:
    """For counting: the interpreter of a Python command a unified hook cannot take as a member
    (`python3 -m x`, `uv run -m x`, `env VAR=1 python3 x.py`)."""
    program = [w for w in words if not w.startswith("-") and "=" not in w]
    while program and PurePosixPath(program[0]).name == "env":
        program = program[1:]
    if program and _PYTHON_NAME.fullmatch(PurePosixPath(program[0]).name):
        return Interpreter(shell_word(_interpreter_word(program[0])), None)
    runs_module = any(w in ("-m", "--module") or w.endswith(".py") for w in words)
    if program[:2] == ["uv", "run"] and runs_module:
        return Interpreter("uv run", None)
    return None


def _shell_python(command: str) -> Interpreter | None:
    """For counting: the first interpreter a command with shell syntax starts, if it is Python
    (`cd "$CLAUDE_PROJECT_DIR" && python3 x.py`)."""
    for part in _SHELL_SYNTAX.split(command):
        try:
            words = shlex.split(part)
        except ValueError:
            continue
        launch = _launch(words) if words else ""
        if isinstance(launch, _Launch) and launch.interpreter:
            return Interpreter(" ".join(shell_word(w) for w in launch.interpreter), None)
        found = _python_anyway(words)
        if found:
            return found
    return None


def project_path(word: str) -> str | None:
    """The repo-relative path of a script word, or None when it points outside the project."""
    for prefix in PROJECT_VARS:
        if word.startswith(prefix):
            return word[len(prefix) :]
    if word.startswith(("/", "~", "$")) or ".." in PurePosixPath(word).parts:
        return None
    return word.removeprefix("./")


def _handler(
    file: str, event: str, matcher: str | None, path: str, raw: Any, snapshot: Snapshot
) -> HookRegistration:
    data = _expect(raw, dict, file, path, "an object")
    kind = str(data.get("type", ""))
    command = data.get("command", "")
    _expect(command, str, file, f"{path}.command", "a string")
    timeout = data.get("timeout")
    if timeout is not None and (not isinstance(timeout, int | float) or isinstance(timeout, bool)):
        raise UserError(f"{_where(file, path + '.timeout')} must be a number of seconds.")
    is_async = bool(data.get("async") or data.get("asyncRewake"))
    if_rule = data.get("if")
    parsed = script_of(command, snapshot) if kind == "command" else _refused("")
    why = parsed.not_mergeable
    if kind != "command":
        why = f"is a {kind or 'typeless'} handler, not a command"
    elif is_async:
        why = "runs asynchronously"
    elif if_rule is not None:
        why = "has an `if` rule"
    return HookRegistration(
        file,
        event,
        matcher,
        kind,
        command,
        timeout,
        is_async,
        if_rule,
        parsed.script,
        parsed.word,
        parsed.args,
        why,
        parsed.interpreter if kind == "command" else None,
    )


def parse(text: str, file: str, snapshot: Snapshot) -> list[HookRegistration]:
    """Every handler registered in one settings file, in file order."""
    data = settings_edit.load(text, file).value
    _expect(data, dict, file, "$", "an object")
    hooks = data.get("hooks", {})
    _expect(hooks, dict, file, "$.hooks", "an object")
    found = []
    for event, groups in hooks.items():
        _expect(groups, list, file, f"$.hooks.{event}", "a list of matcher groups")
        for g, group in enumerate(groups):
            where = f"$.hooks.{event}[{g}]"
            _expect(group, dict, file, where, "an object")
            matcher = group.get("matcher")
            if matcher is not None:
                _expect(matcher, str, file, f"{where}.matcher", "a string")
            handlers = _expect(group.get("hooks", []), list, file, f"{where}.hooks", "a list")
            for h, raw in enumerate(handlers):
                found.append(_handler(file, event, matcher, f"{where}.hooks[{h}]", raw, snapshot))
    return found


def load(snapshot: Snapshot, files: Sequence[str] = SETTINGS_FILES) -> list[HookRegistration]:
    """The registrations of every settings file present in the repository."""
    found = []
    for file in files:
        source = snapshot.read(file)
        if source is not None:
            found.extend(parse(source.text, file, snapshot))
        elif snapshot.exists(file) and not (snapshot.root / file).is_dir():
            # A settings file that is there but not text would read as "no hooks".
            raise UserError(f"{file}: the file is not UTF-8 text; Claude Code could not read it.")
    return found
