"""The `ast` front end of `subprocess_sites`, on the hot path: a walk of the module that keeps
the scopes and bindings (`walker`) and records candidate calls with their loop and `try`.

Two front ends read a module into the same small facts (`model`): `ast` here, and LibCST
(`cst_front`, imported only when needed) for syntax this interpreter cannot parse. One resolver
(`resolve`) turns those facts into `Site`s, so both parsers find the same calls.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from migrate.pysource.edits import Lines
from migrate.pysource.subprocess_sites.ast_values import ast_func, call_node, value
from migrate.pysource.subprocess_sites.model import Handler, Method, Pos, Ref, Scope
from migrate.pysource.subprocess_sites.resolve import Facts
from migrate.pysource.subprocess_sites.walker import Walker


class AstFront(Walker):
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
            call_node(node, scope, func, fline, loop, guard)
            for node, func, scope, fline, loop, guard in self.pending
            if self.is_candidate(func)
        )
        lines: list[Lines] = []

        def index(pos: Pos) -> int:
            if not lines:
                lines.append(Lines(text))
            return lines[0].offset(*pos)

        return Facts(calls, value, index, "ast")

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
        func = ast_func(node.func)
        if func is not None:
            self.pending.append((node, func, self.scope, self.fstring_line, self.loop, self.guard))
        self.generic_visit(node)


_AST_HANDLERS: dict[type[ast.AST], Callable[[AstFront, Any], None]] = {
    getattr(ast, name[6:]): method
    for name, method in vars(AstFront).items()
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


def _ast_kills(body: list[ast.stmt]) -> bool:
    """Whether the statements call `.kill()` or `.terminate()` (of the process, presumably)."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("kill", "terminate")
        for stmt in body
        for n in ast.walk(stmt)
    )
