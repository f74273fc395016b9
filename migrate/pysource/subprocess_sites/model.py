"""What a front end of `subprocess_sites` reads from a module: scopes, bindings, candidate
calls and the values they pass, the same from `ast` (`ast_front`) and LibCST (`cst_front`);
and the `Site`s the resolver (`resolve`) makes of them. Both front ends import this module,
never each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Union

from migrate.pysource import scopes
from migrate.pysource.scopes import Imported

Chain = tuple[str, ...]
Pos = tuple[int, int]  # (line, column) in the front end's own units
HOLE = "\x00"  # stands for each formatted value of an f-string command

RUNNERS = frozenset(f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output"))
POPEN = "subprocess.Popen"
POPEN_METHODS = frozenset({"wait", "communicate"})
NO_TIMEOUT: Mapping[str, Literal["os-system", "asyncio-subprocess"]] = {
    "os.system": "os-system",
    "os.popen": "os-system",
    "asyncio.create_subprocess_exec": "asyncio-subprocess",
    "asyncio.create_subprocess_shell": "asyncio-subprocess",
    "asyncio.subprocess.create_subprocess_exec": "asyncio-subprocess",
    "asyncio.subprocess.create_subprocess_shell": "asyncio-subprocess",
}
# What `from <module> import *` binds among the names this module cares about.
STAR_EXPORTS: Mapping[str, tuple[str, ...]] = {
    "subprocess": ("run", "call", "check_call", "check_output", "Popen"),
    "os": ("system", "popen"),
    "asyncio": ("create_subprocess_exec", "create_subprocess_shell"),
    "asyncio.subprocess": ("create_subprocess_exec", "create_subprocess_shell"),
}
CALLED_ATTRS = frozenset({n.rsplit(".", 1)[1] for n in (*RUNNERS, *NO_TIMEOUT)} | POPEN_METHODS)


@dataclass(frozen=True)
class Ref:
    """A name or dotted attribute: `subprocess.run`, `p.wait`, `cmd`."""

    chain: Chain


@dataclass(frozen=True)
class Method:
    """`<call>.wait` / `<call>.communicate`: `receiver` is the front end's node of the call."""

    receiver: object
    name: str


@dataclass(frozen=True)
class Text:
    """A str or bytes constant, or an f-string with `HOLE` for each formatted value."""

    text: str
    names: frozenset[str] = frozenset()  # the names an f-string's formatted values read


@dataclass(frozen=True)
class Seq:
    """A list or tuple literal."""

    items: tuple[Value, ...]


@dataclass(frozen=True)
class Concat:
    """`left + right`."""

    left: Value
    right: Value


@dataclass(frozen=True)
class Const:
    """True, False or None."""

    value: bool | None


class Other:
    """Any expression the resolver does not look into."""


class Star(Other):
    """A `*iterable` argument or list item."""


@dataclass(frozen=True, eq=False)
class Opaque(Other):
    """An expression the resolver does not look into, and the names it reads."""

    names: frozenset[str]


@dataclass(frozen=True, eq=False)
class Spread(Star):
    """A `*iterable` list item, and the names it reads."""

    names: frozenset[str]


OTHER = Other()
STAR = Star()


@dataclass(frozen=True)
class Binding:
    """One way a name gets bound: by an import (`imported`), an assignment of `value`, as a
    parameter, or to something derived from `derived` (a `for` target from its iterable)."""

    imported: Imported | None = None
    value: object = None  # the front end's node assigned by `=`, `:=` or `with ... as`
    parameter: bool = False
    derived: object = None


@dataclass(frozen=True)
class Handler:
    """One `except` clause: its type expression (the front end's node; None when bare) and
    whether its body kills or terminates a process."""

    type: object
    kills: bool


# A module, function, class or comprehension's bindings (the model in `pysource.scopes`).
Scope = scopes.Scope[Binding]


@dataclass(frozen=True)
class RawLayout:
    """Positions of a call's parts in the front end's units; `last_*` is None without arguments."""

    start: Pos
    func_end: Pos
    end: Pos
    last_start: Pos | None
    last_end: Pos | None


@dataclass(frozen=True, eq=False)
class CallNode:
    func: Ref | Method | Other
    args: tuple[Value, ...]
    keywords: Mapping[str, Value]
    double_star: bool
    scope: Scope
    line: int
    raw: RawLayout | None  # None inside an f-string, where positions are not trusted
    # The innermost `for`/`while` (the front end's node) that runs the call, in the call's own
    # function or class body; None outside loops, and from LibCST, which does not record it.
    loop: object = None
    # The handlers of the innermost `try` (with handlers) whose body runs the call, in the
    # call's own function or class body; None outside any.
    guard: tuple[Handler, ...] | None = None


Value = Union[Ref, Text, Seq, Concat, Const, Other, CallNode]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Layout:
    """String indices: the call (`end` is after its `)`), the callee's end, the last argument."""

    start: int
    func_end: int
    end: int
    last_start: int | None
    last_end: int | None


@dataclass(frozen=True)
class Command:
    """The command a call runs, as far as the source says: argv words or a shell command line."""

    words: tuple[str | None, ...] | None = None  # None: an unknown word
    shell: str | None = None


@dataclass(frozen=True)
class Site:
    """A call the recipe edits (`timeout`) or reports (`os-system`, `asyncio-subprocess`)."""

    kind: Literal["timeout", "os-system", "asyncio-subprocess"]
    name: str
    call: CallNode
    command: Command
    # Why adding a timeout may break a working program (empty: the edit is safe), see `hazards`.
    hazards: tuple[str, ...] = ()


def _import_of(binding: Binding) -> Imported | None:
    return binding.imported


def qualname(chain: Chain, scope: Scope) -> str | None:
    """`subprocess.run` for `sp.run` after `import subprocess as sp`; None if not only imports."""
    return scopes.qualname(chain, scope, _import_of)
