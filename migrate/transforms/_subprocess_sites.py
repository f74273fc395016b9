"""Where a module calls subprocess, `os.system` or asyncio subprocesses, with exact name resolution.

Two front ends read a module into the same small facts (scopes, bindings, candidate calls):
`ast` on the hot path, LibCST (`_subprocess_sites_cst`, imported only when needed) for syntax
this interpreter cannot parse. One resolver turns those facts into `Site`s, so both parsers
find the same calls.
"""

from __future__ import annotations

import ast
import functools
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Union

from migrate.transforms._source import Lines, line_offsets, newer_syntax_possible

Chain = tuple[str, ...]
Pos = tuple[int, int]  # (line, column) in the front end's own units
HOLE = "\x00"
Parser = Literal["ast", "libcst"]  # stands for each formatted value of an f-string command

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
_CALLED_ATTRS = frozenset({n.rsplit(".", 1)[1] for n in (*RUNNERS, *NO_TIMEOUT)} | POPEN_METHODS)


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

    imported: str | None = None
    value: object = None  # the front end's node assigned by `=`, `:=` or `with ... as`
    parameter: bool = False
    derived: object = None


@dataclass(frozen=True)
class Handler:
    """One `except` clause: its type expression (the front end's node; None when bare) and
    whether its body kills or terminates a process."""

    type: object
    kills: bool


@dataclass(eq=False)
class Scope:
    parent: Scope | None
    kind: Literal["module", "function", "class", "comprehension"]
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


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
_Words = tuple[tuple[str | None, ...], bool]


@dataclass(frozen=True)
class Layout:
    """String indices: the call (`end` is after its `)`), the callee's end, the last argument."""

    start: int
    func_end: int
    end: int
    last_start: int | None
    last_end: int | None


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


# -- scopes ------------------------------------------------------------------------------------


def _owner(scope: Scope, name: str, module: Scope) -> Scope:
    """The scope whose table holds `name` when `scope` binds it (`global`/`nonlocal` move it)."""
    if name in scope.globals:
        return module
    if name in scope.nonlocals:
        outer = scope.parent
        while outer is not None and outer.kind == "class":
            outer = outer.parent
        return outer or module
    return scope


def _module_of(scope: Scope) -> Scope:
    while scope.parent is not None:
        scope = scope.parent
    return scope


def lookup(scope: Scope, name: str) -> tuple[Scope, list[Binding]] | None:
    """Python's LEGB rule over the tables: enclosing class bodies are not visible."""
    current: Scope | None = _owner(scope, name, _module_of(scope))
    while current is not None:
        found = current.bindings.get(name)
        if found:
            return current, found
        current = current.parent
        while current is not None and current.kind == "class":
            current = current.parent
    return None


def qualname(chain: Chain, scope: Scope) -> str | None:
    """`subprocess.run` for `sp.run` after `import subprocess as sp`; None if not only imports."""
    found = lookup(scope, chain[0])
    if found is None:
        return None
    names = {b.imported for b in found[1]}
    if len(names) != 1:
        return None
    (imported,) = names
    return None if imported is None else ".".join((imported, *chain[1:]))


class _Walker:
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
        imported: str | None = None,
        value: object = None,
        *,
        parameter: bool = False,
        derived: object = None,
    ) -> None:
        owner = _owner(self.scope, name, self.module)
        owner.bindings.setdefault(name, []).append(Binding(imported, value, parameter, derived))
        if imported is not None:
            self.imported.add(name)

    def bind_walrus(self, name: str, value: object) -> None:
        saved = self.scope
        while self.scope.kind == "comprehension" and self.scope.parent is not None:
            self.scope = self.scope.parent
        self.bind(name, None, value)
        self.scope = saved

    def bind_import(self, dotted: str, asname: str | None) -> None:
        if asname is not None:
            self.bind(asname, dotted)
        else:
            head = dotted.split(".", 1)[0]
            self.bind(head, head)

    def bind_from(self, module: str, level: int, name: str, asname: str | None) -> None:
        if level:
            self.bind(asname or name)  # relative imports never reach the stdlib
        elif name == "*":
            for star in STAR_EXPORTS.get(module, ()):
                self.bind(star, f"{module}.{star}")
        else:
            self.bind(asname or name, f"{module}.{name}")

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


# -- ast front end ------------------------------------------------------------------------------


def _ast_chain(node: ast.expr) -> Chain | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _ast_func(node: ast.expr) -> Ref | Method | None:
    if isinstance(node, ast.Name):
        return Ref((node.id,))
    if not isinstance(node, ast.Attribute) or node.attr not in _CALLED_ATTRS:
        return None
    chain = _ast_chain(node)
    if chain is not None:
        return Ref(chain)
    if isinstance(node.value, ast.Call) and node.attr in POPEN_METHODS:
        return Method(node.value, node.attr)
    return None


def _ast_start(node: ast.expr | ast.keyword) -> Pos:
    return node.lineno, node.col_offset


def _ast_end(node: ast.expr | ast.keyword) -> Pos:
    return node.end_lineno or node.lineno, node.end_col_offset or 0


class _AstFront(_Walker):
    """Not an `ast.NodeVisitor`: a type dispatch skipping `ctx` and operator nodes is 2x faster."""

    def __init__(self, relevant: Callable[[ast.stmt], bool]) -> None:
        super().__init__()
        self.relevant = relevant
        self.pending: list[
            tuple[ast.Call, Ref | Method, Scope, int, ast.stmt | None, tuple[Handler, ...] | None]
        ] = []
        self.loop: ast.stmt | None = None  # the innermost loop whose body is being visited

    def visit(self, node: ast.AST) -> None:
        handler = _AST_HANDLERS.get(type(node))
        if handler is None:
            self.generic_visit(node)
        else:
            handler(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in _ast_fields(type(node)):
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_Constant(self, node: ast.Constant) -> None:
        pass

    def facts(self, text: str) -> Facts:
        calls = tuple(
            self.call_node(node, scope, func, fline, loop, guard)
            for node, func, scope, fline, loop, guard in self.pending
            if self.is_candidate(func)
        )
        lines: list[Lines] = []

        def index(pos: Pos) -> int:
            if not lines:
                lines.append(Lines(text))
            return lines[0].offset(*pos)

        return Facts(calls, self.value, index, "ast")

    def call_node(
        self,
        node: ast.Call,
        scope: Scope,
        func: Ref | Method | Other,
        fline: int = 0,
        loop: ast.stmt | None = None,
        guard: tuple[Handler, ...] | None = None,
    ) -> CallNode:
        args = tuple(
            STAR if isinstance(a, ast.Starred) else self.value(a, scope) for a in node.args
        )
        keywords = {k.arg: self.value(k.value, scope) for k in node.keywords if k.arg is not None}
        parts: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
        last = max(parts, key=_ast_start) if parts else None
        raw = RawLayout(
            _ast_start(node),
            _ast_end(node.func),
            _ast_end(node),
            _ast_start(last) if last else None,
            _ast_end(last) if last else None,
        )
        double_star = any(k.arg is None for k in node.keywords)
        line = fline or node.lineno
        trusted = None if fline else raw
        return CallNode(func, args, keywords, double_star, scope, line, trusted, loop, guard)

    def value(self, node: object, scope: Scope) -> Value:
        if isinstance(node, ast.Name):
            return Ref((node.id,))
        if isinstance(node, ast.Attribute):
            chain = _ast_chain(node)
            return Ref(chain) if chain else OTHER
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.JoinedStr):
            return Text("".join(_ast_text_part(v) for v in node.values), _ast_names(node))
        if isinstance(node, (ast.List, ast.Tuple)):
            items = (
                Spread(_ast_names(e)) if isinstance(e, ast.Starred) else self.value(e, scope)
                for e in node.elts
            )
            return Seq(tuple(items))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return Concat(self.value(node.left, scope), self.value(node.right, scope))
        if isinstance(node, ast.Call):
            chain = _ast_chain(node.func)
            func = Ref(chain) if chain else _ast_func(node.func)
            return self.call_node(node, scope, func or OTHER)
        return Opaque(_ast_names(node)) if isinstance(node, ast.AST) else OTHER

    # Scopes: what runs in the enclosing scope is visited before entering the new one.

    @contextmanager
    def enter(self, kind: Literal["function", "class", "comprehension"]) -> Iterator[None]:
        saved = self.loop
        if kind != "comprehension":
            self.loop = None  # a body defined in a loop does not run with it
        try:
            with super().enter(kind):
                yield
        finally:
            self.loop = saved

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not self.relevant(node):
            self.bind(node.name)
            return
        for expr in (*node.decorator_list, *_ast_outer(node.args)):
            self.visit(expr)
        if node.returns:
            self.visit(node.returns)
        self.bind(node.name)
        with self.enter("function"):
            self._bind_arguments(node.args)
            for stmt in node.body:
                self.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for expr in _ast_outer(node.args):
            self.visit(expr)
        with self.enter("function"):
            self._bind_arguments(node.args)
            self.visit(node.body)

    def _bind_arguments(self, args: ast.arguments) -> None:
        for arg in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if arg is not None:
                self.bind(arg.arg, parameter=True)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.relevant(node):
            self.bind(node.name)
            return
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        self.bind(node.name)
        with self.enter("class"):
            for stmt in node.body:
                self.visit(stmt)

    def _comprehension(self, generators: list[ast.comprehension], *elts: ast.expr) -> None:
        self.visit(generators[0].iter)
        with self.enter("comprehension"):
            for i, gen in enumerate(generators):
                if i:
                    self.visit(gen.iter)
                self.visit(gen.target)
                for cond in gen.ifs:
                    self.visit(cond)
            for elt in elts:
                self.visit(elt)

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node.generators, node.elt)

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, node.key, node.value)

    # Loops: the head runs once per loop (with the loop around it), the body once per item.

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._loop_target(node.target, node.iter)
        self._loop_body(node, node.body)
        for stmt in node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self._loop_body(node, node.body)
        for stmt in node.orelse:
            self.visit(stmt)

    def _loop_target(self, target: ast.expr, iterable: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, derived=iterable)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._loop_target(element, iterable)
        elif isinstance(target, ast.Starred):
            self._loop_target(target.value, iterable)
        else:
            self.visit(target)

    def _loop_body(self, loop: ast.stmt, body: list[ast.stmt]) -> None:
        saved, self.loop = self.loop, loop
        for stmt in body:
            self.visit(stmt)
        self.loop = saved

    # Bindings.

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.bind(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
        self._target(node.target, node.value)

    def _target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, None, value)
        else:
            self.visit(target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.bind_walrus(node.target.id, node.value)

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._target(item.optional_vars, item.context_expr)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_Try(self, node: ast.Try) -> None:
        handlers = tuple(Handler(h.type, _ast_kills(h.body)) for h in node.handlers)
        with self.guarded(handlers):
            for stmt in node.body:
                self.visit(stmt)
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bind(node.name)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.bind_import(alias.name, alias.asname)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.bind_from(node.module or "", node.level, alias.name, alias.asname)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.bind(node.rest)
        self.generic_visit(node)

    # Calls.

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        with self.fstring(node.lineno):
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = _ast_func(node.func)
        if func is not None:
            self.pending.append((node, func, self.scope, self.fstring_line, self.loop, self.guard))
        self.generic_visit(node)


_AST_HANDLERS: dict[type[ast.AST], Callable[[_AstFront, Any], None]] = {
    getattr(ast, name[6:]): method
    for name, method in vars(_AstFront).items()
    if name.startswith("visit_") and hasattr(ast, name[6:])
}
_NOT_VISITED = frozenset({"ctx", "op", "ops", "type_comment", "kind"})


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _ast_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = _FIELDS[node_type] = tuple(f for f in node_type._fields if f not in _NOT_VISITED)
    return fields


def _ast_outer(args: ast.arguments) -> list[ast.expr]:
    """Defaults and annotations: evaluated where the function is defined."""
    out = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
    every = (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg)
    out.extend(a.annotation for a in every if a is not None and a.annotation is not None)
    return out


def _ast_names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


def _ast_kills(body: list[ast.stmt]) -> bool:
    """Whether the statements call `.kill()` or `.terminate()` (of the process, presumably)."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("kill", "terminate")
        for stmt in body
        for n in ast.walk(stmt)
    )


def _ast_text_part(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return HOLE


def _constant(value: object) -> Value:
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, bytes):
        return Text(value.decode("latin-1"))
    if value is None or isinstance(value, bool):
        return Const(value)
    return OTHER


# -- reading a module --------------------------------------------------------------------------


@dataclass(frozen=True)
class Unparsable:
    """Neither parser could read the module."""

    line: int
    reason: str


# A def or class whose text has none of these cannot hold a site nor change what a name outside
# it means (its bindings are its own, bar `global`/`nonlocal`), so its body is not walked.
_RELEVANT_WORDS = (
    *("subprocess", "run", "call", "check_output", "wait", "communicate", "system", "popen"),
    *("Popen", "global", "nonlocal"),
)
_MODULES = frozenset({"subprocess", "os", "asyncio"})


class _Relevance:
    """Whether a def or class mentions a word that can matter (also module-level import aliases)."""

    def __init__(self, text: str, tree: ast.Module) -> None:
        self.text = text
        self.words = (*_RELEVANT_WORDS, *_module_aliases(tree))
        # `ast` also ends lines at a lone CR, which `split("\n")` would miss.
        lone_cr = "\r" in text and text.count("\r") != text.count("\r\n")
        self.offsets: list[int] | None = None if lone_cr else line_offsets(text)

    def __call__(self, node: ast.stmt) -> bool:
        if self.offsets is None:
            return True
        decorators = getattr(node, "decorator_list", ())
        first = min([node.lineno, *(d.lineno for d in decorators)])
        segment = self.text[self.offsets[first - 1] : self.offsets[node.end_lineno or node.lineno]]
        return any(word in segment for word in self.words)


def _module_aliases(tree: ast.Module) -> set[str]:
    """Names that `from subprocess/os/asyncio import x as name` binds outside defs and classes."""
    aliases: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ImportFrom):
            if not node.level and (node.module or "").split(".")[0] in _MODULES:
                aliases.update(a.asname for a in node.names if a.asname)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(node, name, ()))
    return aliases


def read_facts(
    text: str, path: str, parser: Parser = "ast", tree: ast.Module | None = None
) -> Facts | Unparsable:
    """The module's facts from `ast`, or LibCST when `ast` cannot parse it (or `parser` says).

    `tree`: the module already parsed by `ast` (the audit parses each file once).
    """
    if parser == "libcst":
        return _read_with_libcst(text, 1, "LibCST cannot parse it")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = tree or ast.parse(text, path)
    except (SyntaxError, ValueError, MemoryError) as error:
        line = getattr(error, "lineno", None) or 1
        if not newer_syntax_possible(error):
            return Unparsable(line, str(error))
        return _read_with_libcst(text, line, str(error))
    except RecursionError:
        return Unparsable(1, "too deeply nested to parse")
    front = _AstFront(_Relevance(text, tree))
    try:
        front.visit(tree)
    except RecursionError:
        return Unparsable(1, "too deeply nested to analyse")
    return front.facts(text)


def _read_with_libcst(text: str, line: int, reason: str) -> Facts | Unparsable:
    # LibCST takes a third of a second to import: only files `ast` cannot parse pay for it.
    from migrate.transforms._subprocess_sites_cst import read_with_libcst

    return read_with_libcst(text, line, reason)


def expression_parses(source: str, parser: Parser) -> bool:
    """Whether `parser` (the one that read the module) reads `source` as an expression."""
    try:
        if parser == "ast":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(f"({source})", mode="eval")
        else:
            import libcst as cst

            try:
                cst.parse_expression(f"({source})")
            except cst.ParserSyntaxError:
                return False
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


# -- resolving calls into sites -----------------------------------------------------------------


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
        owner = _owner(scope, name, _module_of(scope))
        popens = []
        for binding in owner.bindings.get(name, ()):
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
        found = lookup(scope, value.chain[0])
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
            found_binding = lookup(scope, name)
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
        if name is None and lookup(scope, value.chain[0]) is None:
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
