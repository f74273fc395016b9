"""One model of Python name binding under every resolver: scopes, each with one table of what
its names are bound to, Python's rule for which scope a name is looked up in, and the qualified
name (`subprocess.run`) that imports give a dotted name (`sp.run`).

What a binding holds is the resolver's own (a value node, a parameter, a function), so `Scope`
is generic in it; where bindings are, how `global`, `nonlocal`, class bodies and comprehensions
see names, and what an `import` binds are decided here, once.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

Pos = tuple[int, int]  # (line, column): where a binding starts to hold
ORIGIN: Pos = (0, 0)  # a binding that holds from the start of its scope (a parameter)
Kind = Literal["module", "function", "class", "comprehension", "lambda"]
B = TypeVar("B")


@dataclass(frozen=True)
class Imported:
    """What an import binds a name to: `import a.b as c` binds c to Imported("a.b"); `from m
    import x` binds x to Imported("m", "x")."""

    module: str
    attr: str | None = None

    @property
    def qualname(self) -> str:
        return self.module if self.attr is None else f"{self.module}.{self.attr}"


def by_import(dotted: str, asname: str | None) -> tuple[str, Imported]:
    """The name `import dotted [as asname]` binds: `import a.b` binds `a` to module `a`."""
    if asname is not None:
        return asname, Imported(dotted)
    head = dotted.split(".", 1)[0]
    return head, Imported(head)


def by_from(module: str | None, level: int, name: str, asname: str | None) -> Imported | None:
    """What `from module import name` binds (to `asname or name`); None for a relative import,
    which names a module of the project, never the standard library's."""
    if level or module is None:
        return None
    return Imported(module, name)


@dataclass(eq=False)
class Scope(Generic[B]):
    """The names bound in one module, function, class body, comprehension or lambda, each with
    its bindings in source order."""

    parent: Scope[B] | None
    kind: Kind
    table: dict[str, list[tuple[Pos, B]]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    @property
    def inline(self) -> bool:
        """A comprehension or lambda: runs where it is written, so its parent's bindings are
        the ones made before it."""
        return self.kind in ("comprehension", "lambda")

    def module(self) -> Scope[B]:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def owner(self, name: str) -> Scope[B]:
        """The scope whose table holds `name` when this one binds it (`global` and `nonlocal`
        move it; class bodies are never a function's enclosing scope)."""
        if name in self.globals:
            return self.module()
        if name in self.nonlocals:
            outer = _past_classes(self.parent)
            return outer or self.module()
        return self

    def bind(self, name: str, binding: B, pos: Pos = ORIGIN) -> None:
        """Record a binding of `name` made at `pos`, in the scope that owns the name."""
        entries = self.owner(name).table.setdefault(name, [])
        bisect.insort_right(entries, (pos, binding), key=lambda entry: entry[0])

    def bindings(self, name: str) -> list[B]:
        """Every binding of `name` in this scope's own table."""
        return [b for _, b in self.table.get(name, ())]

    def find(self, name: str, pos: Pos | None = None) -> tuple[Scope[B], Pos | None] | None:
        """The scope `name` resolves to from here (Python's LEGB rule, where enclosing class
        bodies are not visible), and the position that matters there: `pos` through inline
        scopes, None (the binding last made) from a function, which runs later."""
        current: Scope[B] | None = self.owner(name)
        if current is not self:
            pos = None
        while current is not None:
            if current.table.get(name):
                return current, pos
            pos = pos if current.inline else None
            current = _past_classes(current.parent)
        return None

    def lookup(self, name: str) -> tuple[Scope[B], list[B]] | None:
        """Every binding `name` may have from here, wherever it runs."""
        found = self.find(name)
        return None if found is None else (found[0], found[0].bindings(name))

    def binding_at(self, name: str, pos: Pos | None) -> tuple[B, Scope[B]] | None:
        """The binding `name` has at `pos` (None: its last one): the last one made before it; in
        a loop a later one may apply, so the last one when none is before."""
        found = self.find(name, pos)
        if found is None:
            return None
        scope, at = found
        entries = scope.table[name]
        before = [b for p, b in entries if at is not None and p < at]
        return (before[-1] if before else entries[-1][1]), scope


def _past_classes(scope: Scope[B] | None) -> Scope[B] | None:
    while scope is not None and scope.kind == "class":
        scope = scope.parent
    return scope


def qualname(
    chain: Sequence[str], scope: Scope[B], imported: Callable[[B], Imported | None]
) -> str | None:
    """`subprocess.run` for `sp.run` after `import subprocess as sp`: the dotted name through
    the import its first name is bound to; None unless every binding of it is that one import."""
    found = scope.lookup(chain[0])
    if found is None:
        return None
    targets = {imported(b) for b in found[1]}
    if len(targets) != 1:
        return None
    (target,) = targets
    return None if target is None else ".".join((target.qualname, *chain[1:]))
