"""How the facts a front end read from a module become `Site`s: which calls run a subprocess,
the command each runs, and why adding a timeout to it may break a working program.

One resolver for both front ends (`ast_front`, `cst_front`), so both parsers find the same
calls.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from migrate.pysource.parse import Parser
from migrate.pysource.subprocess_sites.model import (
    HOLE,
    NO_TIMEOUT,
    POPEN,
    POPEN_METHODS,
    RUNNERS,
    CallNode,
    Command,
    Concat,
    Const,
    Layout,
    Method,
    Opaque,
    Pos,
    Ref,
    Scope,
    Seq,
    Site,
    Spread,
    Star,
    Text,
    Value,
    qualname,
)

_Words = tuple[tuple[str | None, ...], bool]


@dataclass(frozen=True)
class Facts:
    """What a front end read from a module."""

    calls: tuple[CallNode, ...]
    value_of: Callable[[object, Scope], Value]
    index: Callable[[Pos], int]
    parser: Parser

    @functools.cached_property
    def sites(self) -> tuple[Site, ...]:
        """The calls that run a subprocess, in source order (resolved once, on first use)."""
        resolver = _Resolver(self.value_of)
        found = (resolver.site(call) for call in self.calls)
        return tuple(resolver.classified(site) for site in found if site is not None)

    def layout(self, call: CallNode) -> Layout | None:
        raw = call.raw
        if raw is None:
            return None
        start = None if raw.last_start is None else self.index(raw.last_start)
        end = None if raw.last_end is None else self.index(raw.last_end)
        return Layout(
            self.index(raw.start), self.index(raw.func_end), self.index(raw.end), start, end
        )


class _Resolver:
    def __init__(self, value_of: Callable[[object, Scope], Value]) -> None:
        self.value_of = value_of
        self.sources: dict[CallNode, CallNode] = {}  # a `.wait()` site: the Popen it waits on

    def site(self, call: CallNode) -> Site | None:
        func = call.func
        if isinstance(func, Method):
            receiver = self.value_of(func.receiver, call.scope)
            if isinstance(receiver, CallNode) and self.is_popen(receiver):
                self.sources[call] = receiver
                return Site("timeout", f"Popen.{func.name}", call, self.command(receiver))
            return None
        if not isinstance(func, Ref):
            return None
        name = qualname(func.chain, call.scope)
        if name is None:
            pass
        elif name in RUNNERS:
            return Site("timeout", name, call, self.command(call))
        elif name in NO_TIMEOUT:
            return Site(NO_TIMEOUT[name], name, call, Command())
        if len(func.chain) == 2 and func.chain[1] in POPEN_METHODS:
            popens = self.popen_variable(func.chain[0], call.scope)
            if popens is not None:
                self.sources[call] = popens[0]
                command = self.command(popens[0]) if len(popens) == 1 else Command()
                return Site("timeout", f"Popen.{func.chain[1]}", call, command)
        return None

    def is_popen(self, value: Value) -> bool:
        if not isinstance(value, CallNode) or not isinstance(value.func, Ref):
            return False
        return qualname(value.func.chain, value.scope) == POPEN

    def popen_variable(self, name: str, scope: Scope) -> list[CallNode] | None:
        """The Popen calls bound to `name` in `scope` (also `None` first), else None."""
        owner = scope.owner(name)
        popens = []
        for binding in owner.bindings(name):
            if binding.imported is not None or binding.value is None:
                return None
            value = self.value_of(binding.value, owner)
            if isinstance(value, Const) and value.value is None:
                continue
            if not isinstance(value, CallNode) or not self.is_popen(value):
                return None
            popens.append(value)
        return popens or None

    def command(self, call: CallNode) -> Command:
        value = call.args[0] if call.args else call.keywords.get("args")
        if value is None:
            return Command()
        value = self.literal(value, call.scope)
        if isinstance(value, Text):
            return Command(shell=value.text)
        found = self.words(value, call.scope)
        if found is None:
            return Command()
        words = found[0]
        shell = call.keywords.get("shell")
        if isinstance(shell, Const) and shell.value is True and words and words[0] is not None:
            return Command(shell=words[0])
        return Command(words=words)

    def literal(self, value: Value, scope: Scope, depth: int = 0) -> Value:
        """A name bound once, to a literal, stands for that literal (`cmd = [...]; run(cmd)`)."""
        if not isinstance(value, Ref) or len(value.chain) != 1 or depth > 3:
            return value
        found = scope.lookup(value.chain[0])
        if found is None or len(found[1]) != 1 or found[1][0].value is None:
            return value
        owner, (binding,) = found
        bound = self.value_of(binding.value, owner)
        if isinstance(bound, Ref):
            return self.literal(bound, owner, depth + 1)
        return bound if isinstance(bound, (Text, Seq, Concat)) else value

    def words(self, value: Value, scope: Scope, depth: int = 0) -> _Words | None:
        """Argv words (None for an unknown one) and whether the list is known to end there."""
        value = self.literal(value, scope, depth)
        if isinstance(value, Concat) and depth < 8:
            left = self.words(value.left, scope, depth + 1)
            if left is None or not left[1]:
                return left
            right = self.words(value.right, scope, depth + 1)
            return (left[0] + (None,), False) if right is None else (left[0] + right[0], right[1])
        if not isinstance(value, Seq):
            return None
        out: list[str | None] = []
        for item in value.items:
            if isinstance(item, Star):
                return (*out, None), False
            out.append(self.word(item, scope))
        return tuple(out), True

    def word(self, value: Value, scope: Scope) -> str | None:
        """A literal word; an f-string keeps its holes when its start is known (`--dir={d}`)."""
        if isinstance(value, Ref) and qualname(value.chain, scope) == "sys.executable":
            return "python"
        value = self.literal(value, scope)
        if isinstance(value, Text) and not value.text.startswith(HOLE):
            return value.text
        return None

    # -- safe or unsafe: what a timeout would change besides ending a hang ----------------------

    def classified(self, site: Site) -> Site:
        if site.kind != "timeout":
            return site
        return replace(site, hazards=tuple(self.hazards(site)))

    def hazards(self, site: Site) -> Iterator[str]:
        """Why adding `timeout=` may break a program that works (nothing: the edit is safe).

        A generic runner's callers may pass any command, however long; an interactive run
        waits for a person; a `TimeoutExpired` that the `try` around the call does not catch
        is a new crash where the author handled the call's failures; a `Popen` whose wait
        expires keeps running unless a handler kills it.
        """
        call = site.call
        source = self.sources.get(call, call)
        parameter = self.parameter_of(_command_value(source), source.scope)
        if parameter is not None and decided_by_caller(site.command):
            yield f"the command comes from the caller (`{parameter}`): a generic runner"
        catching = self.catching(call)
        if isinstance(catching, str):
            yield f"inside a `try` whose handlers ({catching}) do not catch TimeoutExpired"
        if site.name.startswith("Popen.") and not (
            isinstance(catching, _Catching) and catching.kills
        ):
            yield "the child would be left running when the wait times out (nothing kills it)"
        if self.interactive(source, call):
            yield "interactive: output not captured and stdin inherited (it may wait for a user)"

    def parameter_of(
        self, value: Value | None, scope: Scope, depth: int = 0, seen: set[object] | None = None
    ) -> str | None:
        """The function parameter the value is, or is derived from (through assignments and
        `for` targets in its scope and the ones around it), or None."""
        if value is None or depth > 8:
            return None
        seen = set() if seen is None else seen
        if isinstance(value, Seq):
            parts: tuple[Value, ...] = value.items
        elif isinstance(value, Concat):
            parts = (value.left, value.right)
        elif isinstance(value, CallNode):
            parts = (value.func, *value.args, *value.keywords.values())  # type: ignore[arg-type]
        else:
            parts = ()
        for part in parts:
            if isinstance(part, (Ref, Text, Opaque, Spread, Seq, Concat, CallNode)):
                found = self.parameter_of(part, scope, depth + 1, seen)
                if found is not None:
                    return found
        if isinstance(value, Ref):
            names: frozenset[str] = frozenset(value.chain[:1])
        elif isinstance(value, (Text, Opaque, Spread)):
            names = value.names
        else:
            return None
        for name in sorted(names):
            found_binding = scope.lookup(name)
            if found_binding is None or (id(found_binding[0]), name) in seen:
                continue
            owner, bindings = found_binding
            seen.add((id(owner), name))
            for binding in bindings:
                if binding.parameter:
                    return name
                node = binding.value if binding.value is not None else binding.derived
                if binding.imported is None and node is not None:
                    bound = self.value_of(node, owner)
                    if self.parameter_of(bound, owner, depth + 1, seen) is not None:
                        return name
        return None

    def catching(self, call: CallNode) -> _Catching | str | None:
        """The handler of the innermost `try` around the call that catches `TimeoutExpired`;
        the handlers' names when none does; None outside any `try` with handlers."""
        if call.guard is None:
            return None
        names: list[str] = []
        for handler in call.guard:
            if handler.type is None:
                return _Catching(handler.kills)
            value = self.literal(self.value_of(handler.type, call.scope), call.scope)
            items = value.items if isinstance(value, Seq) else (value,)
            if any(self.catches_timeout(item, call.scope) for item in items):
                return _Catching(handler.kills)
            names.extend(_shown(item) for item in items)
        return ", ".join(names)

    def catches_timeout(self, value: Value, scope: Scope) -> bool:
        if not isinstance(value, Ref):
            return False
        name = qualname(value.chain, scope)
        if name is None and scope.lookup(value.chain[0]) is None:
            name = ".".join(("builtins", *value.chain))  # not bound here: a builtin
        return name in _CATCH_TIMEOUT

    def interactive(self, source: CallNode, call: CallNode) -> bool:
        """Nothing captured, no input, stdin inherited: the child shares the user's terminal."""
        if source.double_star or _named(source, "check_output"):
            return False
        words = ("capture_output", "stdin", "stdout", "stderr", "input")
        given = [source.keywords.get(w) for w in words] + [call.keywords.get("input")]
        if call is not source and len(call.args) >= 1:
            given.append(call.args[0])  # communicate(input)
        return all(v is None or (isinstance(v, Const) and not v.value) for v in given)


@dataclass(frozen=True)
class _Catching:
    """A handler that catches `TimeoutExpired`, and whether it kills the process."""

    kills: bool


_CATCH_TIMEOUT = frozenset(
    {
        "subprocess.TimeoutExpired",
        "subprocess.SubprocessError",
        "builtins.Exception",
        "builtins.BaseException",
    }
)


def _command_value(call: CallNode) -> Value | None:
    return call.args[0] if call.args else call.keywords.get("args")


def _named(call: CallNode, name: str) -> bool:
    return isinstance(call.func, Ref) and call.func.chain[-1] == name


def _shown(value: Value) -> str:
    return ".".join(value.chain) if isinstance(value, Ref) else "an expression"


def decided_by_caller(command: Command) -> bool:
    """Whether the source leaves open what runs: the program, or its first argument (a git
    subcommand, a `python -m` module) is not spelled out."""
    if command.shell is not None:
        words: tuple[str | None, ...] = tuple(command.shell.split()[:2]) or (None,)
    else:
        words = (command.words or (None,))[:2]
    program = words[0]
    if program is None or HOLE in re.split(r"[\\/]", program)[-1]:
        return True
    return len(words) > 1 and (words[1] is None or words[1].startswith(HOLE))
