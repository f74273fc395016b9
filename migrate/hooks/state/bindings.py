"""What the names of a hook script (and of the sibling modules it imports) are bound to: the
values the evaluator knows, and each module's and function's bindings in the one scope model
(`pysource.scopes`)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import cast

from migrate.files import Snapshot
from migrate.pysource import scopes
from migrate.pysource.parse import ast_module
from migrate.pysource.scopes import Imported


class Temp:
    """A fresh temporary file or folder (tempfile.mkstemp & co): private to one run, never state."""

    def __repr__(self) -> str:
        return "<temp>"


TEMP = Temp()
# A resolved string or path (repo-relative, or absolute), an int (for `parents[2]`),
# a temporary file, or None for anything not known statically.
Value = str | int | Temp | None
Pos = tuple[int, int]


@dataclass(frozen=True)
class Expr:
    """A name bound to the value of an expression of its scope."""

    node: ast.expr


@dataclass(frozen=True)
class Unpacked:
    """A name bound by tuple unpacking: only `fd, tmp = tempfile.mkstemp()` is understood."""

    node: ast.expr


@dataclass(frozen=True)
class Bound:
    """A parameter bound at a call site (or `__file__`): the value is already known."""

    value: Value


@dataclass(frozen=True)
class Def:
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Opaque:
    """A name bound in a way the evaluator does not follow (loop target, class, except ...)."""


Binding = Expr | Unpacked | Bound | Def | Imported | Opaque
OPAQUE = Opaque()


class Module:
    """A parsed Python file of the repository: the script or a sibling module it imports."""

    def __init__(self, path: str, text: str, tree: ast.Module) -> None:
        self.path = path
        self.name = PurePosixPath(path).name
        self.text = text
        self.tree = tree
        self.scope = body_scope(tree.body, None, "module", self)


@dataclass(eq=False)
class Scope(scopes.Scope[Binding]):
    """The names bound in one module, function call, lambda or comprehension (the model in
    `pysource.scopes`), and the file they are in."""

    file: Module = field(kw_only=True)

    def resolve(self, name: str, pos: Pos | None) -> tuple[Binding, Scope] | None:
        """The binding `name` has at `pos` (None: its last one, as a function body sees globals)."""
        found = self.binding_at(name, pos)
        if found is None:
            return None
        # Every scope of the analysis is a `Scope`, its parents too.
        return found[0], cast(Scope, found[1])


@dataclass(frozen=True)
class Func:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: Module


@dataclass(frozen=True)
class Ext:
    """A standard-library or third-party name, spelt canonically: "os.path.join"."""

    name: str


@dataclass(frozen=True)
class Mod:
    module: Module


@dataclass(frozen=True)
class Lazy:
    binding: Binding
    scope: Scope


Ref = Func | Ext | Mod | Lazy
Site = tuple[Module, ast.AST]
Args = tuple[tuple[str, Value], ...]  # a call's parameter values, in parameter order


@dataclass(frozen=True)
class Write:
    target: str | None  # normalised path, None when not known statically
    sink: Site  # the call that writes
    site: Site | None  # the innermost call in the script that leads to it
    problem: str = "with a path not known statically"


def _pos_end(node: ast.stmt | ast.expr) -> Pos:
    return (node.end_lineno or node.lineno, node.end_col_offset or 0)


def _scope_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of one scope, in source order, without entering nested scopes."""
    for node in body:
        yield node
        if not isinstance(
            node,
            ast.FunctionDef
            | ast.AsyncFunctionDef
            | ast.ClassDef
            | ast.Lambda
            | ast.ListComp
            | ast.SetComp
            | ast.DictComp
            | ast.GeneratorExp,
        ):
            yield from _scope_nodes(ast.iter_child_nodes(node))


def names_in(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _target_bindings(target: ast.expr, value: ast.expr) -> Iterator[tuple[str, Binding]]:
    if isinstance(target, ast.Name):
        yield target.id, Expr(value)
    elif isinstance(target, ast.Tuple | ast.List):
        values = value.elts if isinstance(value, ast.Tuple | ast.List) else []
        if len(values) == len(target.elts) and not any(
            isinstance(e, ast.Starred) for e in (*target.elts, *values)
        ):
            for sub_target, sub_value in zip(target.elts, values, strict=True):
                yield from _target_bindings(sub_target, sub_value)
        else:
            for name in names_in(target):
                yield name, Unpacked(value)


def import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, Binding]]:
    for alias in node.names:
        if isinstance(node, ast.Import):
            yield scopes.by_import(alias.name, alias.asname)
        elif alias.name != "*":
            imported = scopes.by_from(node.module, node.level, alias.name, alias.asname)
            yield alias.asname or alias.name, imported or OPAQUE


def _node_bindings(node: ast.AST) -> Iterator[tuple[Pos, str, Binding]]:
    """The names one node binds in its scope, with the position from which they hold."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            for name, binding in _target_bindings(target, node.value):
                yield _pos_end(node), name, binding
    elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and isinstance(node.target, ast.Name):
        if node.value is not None:
            yield _pos_end(node), node.target.id, Expr(node.value)
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        load = ast.copy_location(ast.Name(node.target.id, ast.Load()), node.target)
        value = ast.copy_location(ast.BinOp(load, node.op, node.value), node)
        yield _pos_end(node), node.target.id, Expr(value)
    elif isinstance(node, ast.With | ast.AsyncWith):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                yield _pos_end(item.optional_vars), item.optional_vars.id, Expr(item.context_expr)
            elif item.optional_vars is not None:
                for name in names_in(item.optional_vars):
                    yield (node.lineno, node.col_offset), name, OPAQUE
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for name, binding in import_bindings(node):
            yield _pos_end(node), name, binding
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield (node.lineno, node.col_offset), node.name, Def(node)
    elif isinstance(node, ast.ClassDef):
        yield (node.lineno, node.col_offset), node.name, OPAQUE
    elif isinstance(node, ast.For | ast.AsyncFor):
        for name in names_in(node.target):
            yield (node.lineno, node.col_offset), name, OPAQUE
    elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        yield (node.lineno, node.col_offset), node.name, OPAQUE
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield (node.lineno, node.col_offset), node.rest, OPAQUE


def body_scope(
    body: Sequence[ast.stmt], parent: Scope | None, kind: scopes.Kind, file: Module
) -> Scope:
    """The scope of a module's or function's body: each name it binds, from the position
    where the binding holds (the shared model orders them)."""
    scope = Scope(parent, kind, file=file)
    for node in _scope_nodes(body):
        for pos, name, binding in _node_bindings(node):
            scope.bind(name, binding, pos)
    return scope


def returns(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    return [n.value for n in _scope_nodes(func.body) if isinstance(n, ast.Return) and n.value]


def params(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    a = func.args
    extra = [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)] + extra


def argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """The argument at `index` or named `keyword` (None when absent or after a `*args`)."""
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        if i == index:
            return arg
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def load_module(snapshot: Snapshot, path: str) -> Module | None:
    source = snapshot.read(path)
    tree = ast_module(source.text, path) if source is not None else None
    return Module(path, source.text, tree) if source is not None and tree is not None else None
