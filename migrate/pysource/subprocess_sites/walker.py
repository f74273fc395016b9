"""The scope bookkeeping both front ends of `subprocess_sites` do as they walk a module: which
scope is open, what each name is bound to, which `try` and f-string a call is in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from migrate.pysource import scopes
from migrate.pysource.scopes import Imported
from migrate.pysource.subprocess_sites.model import (
    POPEN_METHODS,
    STAR_EXPORTS,
    Binding,
    Handler,
    Method,
    Ref,
    Scope,
)


class Walker:
    """Scope bookkeeping shared by both front ends."""

    def __init__(self) -> None:
        super().__init__()
        self.module = Scope(None, "module")
        self.scope = self.module
        self.imported: set[str] = set()
        self.fstring_line = 0
        self.guard: tuple[Handler, ...] | None = None  # see `CallNode.guard`

    def bind(
        self,
        name: str,
        imported: Imported | None = None,
        value: object = None,
        *,
        parameter: bool = False,
        derived: object = None,
    ) -> None:
        self.scope.bind(name, Binding(imported, value, parameter, derived))
        if imported is not None:
            self.imported.add(name)

    def bind_walrus(self, name: str, value: object) -> None:
        saved = self.scope
        while self.scope.kind == "comprehension" and self.scope.parent is not None:
            self.scope = self.scope.parent
        self.bind(name, None, value)
        self.scope = saved

    def bind_import(self, dotted: str, asname: str | None) -> None:
        self.bind(*scopes.by_import(dotted, asname))

    def bind_from(self, module: str, level: int, name: str, asname: str | None) -> None:
        if name == "*" and not level:
            for star in STAR_EXPORTS.get(module, ()):
                self.bind(star, Imported(module, star))
        else:
            self.bind(asname or name, scopes.by_from(module, level, name, asname))

    @contextmanager
    def enter(self, kind: Literal["function", "class", "comprehension"]) -> Iterator[None]:
        saved, guard = self.scope, self.guard
        self.scope = Scope(saved, kind)
        if kind != "comprehension":
            self.guard = None  # a body defined in a `try` does not run in it
        try:
            yield
        finally:
            self.scope, self.guard = saved, guard

    @contextmanager
    def guarded(self, handlers: tuple[Handler, ...]) -> Iterator[None]:
        """The body of a `try` with these handlers (a `try`/`finally` alone guards nothing)."""
        saved = self.guard
        if handlers:
            self.guard = handlers
        try:
            yield
        finally:
            self.guard = saved

    @contextmanager
    def fstring(self, line: int) -> Iterator[None]:
        saved = self.fstring_line
        self.fstring_line = saved or line
        try:
            yield
        finally:
            self.fstring_line = saved

    def is_candidate(self, func: Ref | Method) -> bool:
        if isinstance(func, Method):
            return True
        chain = func.chain
        return chain[0] in self.imported or (len(chain) == 2 and chain[1] in POPEN_METHODS)
