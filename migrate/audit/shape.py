"""What the audit reads from a module besides its subprocess calls: pool calls and imports.

Filled by the `ast` reader in `shape_ast` and by the LibCST one in `shape_cst`, which both import
this module and never each other.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal, Union

from migrate.pysource import scopes
from migrate.pysource.pool_calls import POOLS, callee

Workers = Union[int, Literal["dynamic"], None]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Call:
    """A call spelled `chain` (`concurrent.futures.ThreadPoolExecutor`) and its max_workers."""

    line: int
    chain: tuple[str, ...]
    keyword: Workers  # `max_workers=`; None: not passed
    positional: Workers  # the first positional argument (the executors' max_workers)
    double_star: bool


@dataclass(frozen=True)
class PoolCall:
    """A call of a pool or a listed callee, with the max_workers it passes."""

    line: int
    name: str
    workers: Workers
    double_star: bool


@dataclass
class Shape:
    """What the audit reads from a module besides its subprocess calls."""

    calls: list[Call] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> what it imports
    modules: set[str] = field(default_factory=set)  # dotted names of plain `import a.b`
    renames: dict[str, str] = field(default_factory=dict)  # `from m import X as Y`: Y -> X

    def add_import(self, dotted: str, asname: str | None) -> None:
        """`import dotted [as asname]`: a plain import is kept whole (`imported` asks for it)."""
        if asname is None:
            self.modules.add(dotted)
        else:
            name, imported = scopes.by_import(dotted, asname)
            self.imports[name] = imported.qualname

    def add_from(self, module: str | None, level: int, name: str, asname: str | None) -> None:
        """`from module import name [as asname]`, relative too (only its rename is known)."""
        if asname is not None:
            self.renames[asname] = name
        imported = scopes.by_from(module, level, name, asname)
        if imported is not None:
            self.imports[asname or name] = imported.qualname

    def callee(self, call: Call) -> str:
        """The callee's name as the `max-workers` transform sees it (one rule: `callee`)."""
        return callee(call.chain[-1], len(call.chain) == 1, self.renames)

    def pools(self, callees: Collection[str]) -> list[PoolCall]:
        out = []
        for call in self.calls:
            name = self.callee(call)
            if name in POOLS or name in callees:
                executor = name in POOLS and call.keyword is None
                workers = call.positional if executor else call.keyword
                out.append(PoolCall(call.line, name, workers, call.double_star))
        return out

    def qualified(self, chain: tuple[str, ...]) -> str:
        return ".".join((self.imports.get(chain[0], chain[0]), *chain[1:]))

    def imported(self, module: str) -> bool:
        names = (*self.imports.values(), *self.modules)
        return any(n == module or n.startswith(module + ".") for n in names)

    def aliases(self, names: frozenset[str]) -> set[str]:
        """Local names that imports bind to one of `names` (`from m import run as sh`: sh)."""
        return {local for local, what in self.renames.items() if what in names}
