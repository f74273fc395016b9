"""How long a command may run, as the `subprocess-timeouts` recipe sees it: the categories and
their default seconds, the commands known to run long, and the classification of argv words and
shell command lines (`cd x && pip install y` is a package-manager command)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from migrate.pysource.subprocess_sites.model import (
    HOLE,
    Command,
)

CATEGORIES: Mapping[str, str] = {
    "git-push": "git push",
    "tests": "test runner",
    "package-managers": "package manager",
}
DEFAULT_RULES: Mapping[str, int] = {"git-push": 30, "tests": 60, "package-managers": 120}
TEST_RUNNERS = ["pytest", "py.test", "tox", "nox", "unittest"]
PACKAGE_MANAGERS = [
    *("pip", "pip3", "uv", "poetry", "npm", "yarn", "pnpm"),
    *("apt", "apt-get", "brew", "conda", "cargo"),
]
# Commands known to run for minutes, whatever their class's value: a timeout on them is an
# unsafe edit. A program, then the leading words after it that are not options.
LONG_COMMANDS = [
    *("pip install", "pip3 install", "pip download", "pip wheel", "pipx install"),
    *("uv pip install", "uv sync", "uv add", "uv tool install", "uv run"),
    *("poetry install", "poetry add", "poetry update", "conda install", "conda create"),
    *("conda env", "npm install", "npm ci", "yarn install", "yarn add", "pnpm install"),
    *("apt install", "apt-get install", "apt update", "apt-get update", "brew install"),
    *("cargo build", "cargo install", "cargo test", "go build", "go test", "go install"),
    *("make", "cmake", "ninja", "build", "pyinstaller"),
    *("docker build", "docker pull", "docker run", "docker compose"),
    *("git clone", "git fetch", "git pull", "git submodule", "git lfs", "pre-commit"),
    *("pytest", "py.test", "tox", "nox", "unittest"),
    *("ffmpeg", "whisper", "yt-dlp", "youtube-dl", "ollama", "wget", "rsync", "scp"),
]
_PYTHON = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)*)?[dmw]?|py")
_WRAPPERS = frozenset({"sudo", "env", "exec", "nice", "nohup", "command", "time"})
_GIT_VALUE_OPTIONS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env"}
)
_SHELL_OPERATORS = frozenset({"&&", "||", ";", ";;", "|", "|&", "&", "(", ")"})


@dataclass(frozen=True)
class TimeoutRules:
    """The recipe's params, checked: seconds by category and the programs in each category."""

    default: int = 10
    seconds: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(DEFAULT_RULES))
    test_runners: frozenset[str] = frozenset(TEST_RUNNERS)
    package_managers: frozenset[str] = frozenset(PACKAGE_MANAGERS)
    long_commands: tuple[tuple[str, ...], ...] = tuple(tuple(c.split()) for c in LONG_COMMANDS)
    unsafe: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TimeoutRules:
        """Missing params (and missing categories in `rules`) keep their defaults."""
        return cls(
            default=params.get("default", 10),
            seconds=MappingProxyType({**DEFAULT_RULES, **params.get("rules", {})}),
            test_runners=frozenset(params.get("test_runners", TEST_RUNNERS)),
            package_managers=frozenset(params.get("package_managers", PACKAGE_MANAGERS)),
            long_commands=tuple(
                tuple(c.split()) for c in params.get("long_commands", LONG_COMMANDS) if c.split()
            ),
            unsafe=bool(params.get("unsafe", False)),
        )

    def long_command(self, command: Command) -> str | None:
        """The entry of `long_commands` the command matches (`pip install`), or None."""
        if command.shell is not None:
            segments = _shell_segments(command.shell)
        else:
            segments = [command.words or (None,)]
        for words in segments:
            spoken = _spoken(words)
            for entry in self.long_commands:
                if spoken[: len(entry)] == entry:
                    return " ".join(entry)
        return None

    def timeout_for(self, command: Command) -> tuple[int, str | None]:
        """Seconds for the command, and the rule that chose them (None: not recognised)."""
        if command.shell is not None:
            verdicts = [self._classify(words) for words in _shell_segments(command.shell)]
        else:
            verdicts = [self._classify(command.words or (None,))]
        known = [v for v in verdicts if v is not None]
        if not known:
            return self.default, None
        categories = [v for v in known if v in self.seconds]
        if not categories:
            return self.default, "default"
        best = max(categories, key=lambda c: self.seconds[c])
        return self.seconds[best], CATEGORIES[best]

    def _classify(self, words: tuple[str | None, ...]) -> str | None:
        """A category, "" for a known command without one, None when the words do not say."""
        words = _strip_wrappers(words)
        program = _program(words[0]) if words else None
        if program is None:
            return None
        rest = words[1:]
        if _PYTHON.fullmatch(program):
            program, rest = _python_module(rest)
            if program is None:
                return None
        if program == "git":
            sub = _git_subcommand(rest)
            return None if sub is None else "git-push" if sub == "push" else ""
        if program in self.test_runners:
            return "tests"
        if program in self.package_managers:
            return "package-managers"
        return ""


def _spoken(words: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """The program and the words after it that are not options: `pip install` for
    `sudo python3 -m pip --quiet install x`; () when the program is not known."""
    words = _strip_wrappers(words)
    program = _program(words[0]) if words else None
    rest = words[1:]
    if program is not None and _PYTHON.fullmatch(program):
        program, rest = _python_module(rest)
    if not program:
        return ()
    if program == "git":
        return ("git", _git_subcommand(rest))
    return (program, *(w for w in rest if w is None or not w.startswith("-")))


def _program(word: str | None) -> str | None:
    """`pip` for `/venv/bin/pip.exe` (or `f"{venv}/bin/pip"`); None when the name is unknown."""
    if word is None:
        return None
    name = re.split(r"[\\/]", word)[-1].lower()
    return None if HOLE in name else name.removesuffix(".exe")


def _strip_wrappers(words: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """Drop `sudo`, `env`, their options and `NAME=value` assignments in front of the command."""
    i = 0
    while i < len(words):
        word = words[i]
        wrapper = word in _WRAPPERS and i + 1 < len(words)
        assignment = word is not None and re.match(r"[A-Za-z_]\w*=", word) is not None
        option = i > 0 and word is not None and word.startswith("-") and words[0] in _WRAPPERS
        if not (wrapper or assignment or option):
            break
        i += 1
    return words[i:]


def _python_module(words: tuple[str | None, ...]) -> tuple[str | None, tuple[str | None, ...]]:
    """The module of `python [options] -m module ...`; "" for a script or `-c`, None if unknown."""
    i = 0
    while i < len(words):
        word = words[i]
        if word is None:
            return None, ()
        if word == "-m":
            return _program(words[i + 1]) if i + 1 < len(words) else None, words[i + 2 :]
        if word in ("-c", "-") or not word.startswith("-"):
            return "", ()
        i += 2 if word in ("-W", "-X", "-Q") else 1
    return "", ()


def _git_subcommand(words: tuple[str | None, ...]) -> str | None:
    i = 0
    while i < len(words):
        word = words[i]
        if word is None or word.startswith(HOLE):
            return None
        if word in _GIT_VALUE_OPTIONS:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return None if HOLE in word else word
    return ""


def _shell_segments(line: str) -> list[tuple[str | None, ...]]:
    """The simple commands of a shell line: `cd x && pip install y` is `cd x` and `pip install y`.

    A redirection and its target are dropped; a word starting with an f-string hole is None.
    """
    lexer = shlex.shlex(line.replace("\n", ";"), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes
        return [(None,)]
    segments: list[list[str | None]] = [[]]
    skip = False
    for token in tokens:
        if token in _SHELL_OPERATORS:
            segments.append([])
        elif set(token) <= set("<>&|;()"):
            skip = True  # a redirection: the next word is its target
        elif skip:
            skip = False
        else:
            segments[-1].append(None if token.startswith(HOLE) else token)
    return [tuple(s) for s in segments if s] or [(None,)]
