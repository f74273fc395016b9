"""The hook registrations of a repository, read from `.claude/settings.json` and
`.claude/settings.local.json`, and which of them a unified hook may merge."""

from __future__ import annotations

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
PYTHONS = ("python3", "python")
PROJECT_VARS = ("$CLAUDE_PROJECT_DIR/", "${CLAUDE_PROJECT_DIR}/")
# Anything a shell would treat specially makes a command more than "run this script".
_SHELL_SYNTAX = re.compile(r"[|&;<>()`]|\$\(|\n")
_PY_SHEBANG = re.compile(r"^#!.*\bpython[0-9.]*\b")


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

    @property
    def mergeable(self) -> bool:
        return self.not_mergeable is None

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


def _refused(why: str) -> _Command:
    return _Command(None, "", (), why)


def script_of(command: str, snapshot: Snapshot) -> _Command:
    """The Python script a handler command runs, or why it is more than that."""
    if _SHELL_SYNTAX.search(command):
        return _refused("uses shell syntax (pipes, redirections, &&, ...)")
    try:
        words = shlex.split(command)
    except ValueError:
        return _refused("cannot be split into words")
    if not words:
        return _refused("is empty")
    if words[0] in PYTHONS:
        if len(words) < 2 or words[1].startswith("-"):
            return _refused("runs python without a script")
        word, args = words[1], tuple(words[2:])
        why = None if words[0] == "python3" else f"runs {words[0]}, not python3"
    elif words[0].endswith(".py"):
        word, args, why = words[0], tuple(words[1:]), None
        source = snapshot.read(project_path(word) or "")
        if source is None or not _PY_SHEBANG.match(source.text):
            why = "is a script without a python shebang"
    else:
        return _refused(f"runs {words[0]}, not a Python script")
    script = project_path(word)
    if script is None:
        return _refused("runs a script outside the project")
    if not script.endswith(".py"):
        why = "does not run a .py file"
    return _Command(script, word, args, why)


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
    return found
