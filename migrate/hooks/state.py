"""Which files a hook script writes, found statically with `ast` (the code is never imported),
and which members of a unified hook must therefore run one after another in a chain.

A small symbolic evaluator turns path expressions into repository-relative paths: string
constants, `__file__`, `$CLAUDE_PROJECT_DIR`, `pathlib` and `os.path` arithmetic, names bound in
the script or in sibling modules it imports, and the return values of their functions.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import cast

from migrate.files import Snapshot
from migrate.pysource import scopes
from migrate.pysource.parse import ast_module
from migrate.pysource.scopes import Imported

PROJECT_ENV = "CLAUDE_PROJECT_DIR"
UNKNOWN_CHAIN = "state:unknown"
MAX_DEPTH = 6  # nested calls followed before a write is given up as unknown

_PATH_TYPES = {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"}
_SAME_PATH = {
    "builtins.str",
    "os.fspath",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.normpath",
    "os.path.expanduser",
}
_TEMP_FACTORIES = {
    f"tempfile.{name}"
    for name in (
        "mkstemp",
        "mkdtemp",
        "mktemp",
        "NamedTemporaryFile",
        "TemporaryFile",
        "SpooledTemporaryFile",
        "TemporaryDirectory",
    )
}
_OPENERS = {"builtins.open", "io.open", "codecs.open"}
_MOVES = {
    "os.replace",
    "os.rename",
    "shutil.move",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copytree",
}
_DELETES = {"os.remove", "os.unlink", "shutil.rmtree"}
_LOG_FILES = {
    "logging.FileHandler",
    "logging.handlers.RotatingFileHandler",
    "logging.handlers.TimedRotatingFileHandler",
    "logging.handlers.WatchedFileHandler",
}
_PATH_WRITERS = {"write_text", "write_bytes", "touch", "unlink"}
_MODE = re.compile(r"[rwxabtU+]+")


@dataclass(frozen=True)
class StateWrites:
    """The files one hook script may write, with the evidence `migrate show` explains them by."""

    script: str  # repo-relative path of the hook script
    paths: frozenset[str]  # repo-relative normalised paths it may write
    unknown: tuple[str, ...]  # "file.py:LINE: <call> with a path not known statically"
    evidence: tuple[str, ...]  # "file.py:LINE: <call> writes <path>", one per resolved write


@dataclass(frozen=True)
class Chains:
    """Which members of a unified hook run one after another, and why."""

    chain_of: Mapping[str, str | None]  # script -> chain name (None: runs in parallel)
    why: Mapping[str, str]  # chain name -> human explanation


# ---------------------------------------------------------------- values and bindings


class _Temp:
    """A fresh temporary file or folder (tempfile.mkstemp & co): private to one run, never state."""

    def __repr__(self) -> str:
        return "<temp>"


TEMP = _Temp()
# A resolved string or path (repo-relative, or absolute), an int (for `parents[2]`),
# a temporary file, or None for anything not known statically.
_Value = str | int | _Temp | None
_Pos = tuple[int, int]


@dataclass(frozen=True)
class _Expr:
    """A name bound to the value of an expression of its scope."""

    node: ast.expr


@dataclass(frozen=True)
class _Unpacked:
    """A name bound by tuple unpacking: only `fd, tmp = tempfile.mkstemp()` is understood."""

    node: ast.expr


@dataclass(frozen=True)
class _Bound:
    """A parameter bound at a call site (or `__file__`): the value is already known."""

    value: _Value


@dataclass(frozen=True)
class _Def:
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class _Opaque:
    """A name bound in a way the evaluator does not follow (loop target, class, except ...)."""


_Binding = _Expr | _Unpacked | _Bound | _Def | Imported | _Opaque
_OPAQUE = _Opaque()


class _Module:
    """A parsed Python file of the repository: the script or a sibling module it imports."""

    def __init__(self, path: str, text: str, tree: ast.Module) -> None:
        self.path = path
        self.name = PurePosixPath(path).name
        self.text = text
        self.tree = tree
        self.scope = _Scope(None, "module", _bindings(tree.body), file=self)


@dataclass(eq=False)
class _Scope(scopes.Scope[_Binding]):
    """The names bound in one module, function call, lambda or comprehension (the model in
    `pysource.scopes`), and the file they are in."""

    file: _Module = field(kw_only=True)

    def resolve(self, name: str, pos: _Pos | None) -> tuple[_Binding, _Scope] | None:
        """The binding `name` has at `pos` (None: its last one, as a function body sees globals)."""
        found = self.binding_at(name, pos)
        if found is None:
            return None
        # Every scope of the analysis is a `_Scope`, its parents too.
        return found[0], cast(_Scope, found[1])


@dataclass(frozen=True)
class _Func:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: _Module


@dataclass(frozen=True)
class _Ext:
    """A standard-library or third-party name, spelt canonically: "os.path.join"."""

    name: str


@dataclass(frozen=True)
class _Mod:
    module: _Module


@dataclass(frozen=True)
class _Lazy:
    binding: _Binding
    scope: _Scope


_Ref = _Func | _Ext | _Mod | _Lazy
_Site = tuple[_Module, ast.AST]
_Args = tuple[tuple[str, _Value], ...]  # a call's parameter values, in parameter order


@dataclass(frozen=True)
class _Write:
    target: str | None  # normalised path, None when not known statically
    sink: _Site  # the call that writes
    site: _Site | None  # the innermost call in the script that leads to it
    problem: str = "with a path not known statically"


# ---------------------------------------------------------------- collecting bindings


def _pos_end(node: ast.stmt | ast.expr) -> _Pos:
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


def _names_in(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _target_bindings(target: ast.expr, value: ast.expr) -> Iterator[tuple[str, _Binding]]:
    if isinstance(target, ast.Name):
        yield target.id, _Expr(value)
    elif isinstance(target, ast.Tuple | ast.List):
        values = value.elts if isinstance(value, ast.Tuple | ast.List) else []
        if len(values) == len(target.elts) and not any(
            isinstance(e, ast.Starred) for e in (*target.elts, *values)
        ):
            for sub_target, sub_value in zip(target.elts, values, strict=True):
                yield from _target_bindings(sub_target, sub_value)
        else:
            for name in _names_in(target):
                yield name, _Unpacked(value)


def _import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, _Binding]]:
    for alias in node.names:
        if isinstance(node, ast.Import):
            yield scopes.by_import(alias.name, alias.asname)
        elif alias.name != "*":
            imported = scopes.by_from(node.module, node.level, alias.name, alias.asname)
            yield alias.asname or alias.name, imported or _OPAQUE


def _node_bindings(node: ast.AST) -> Iterator[tuple[_Pos, str, _Binding]]:
    """The names one node binds in its scope, with the position from which they hold."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            for name, binding in _target_bindings(target, node.value):
                yield _pos_end(node), name, binding
    elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and isinstance(node.target, ast.Name):
        if node.value is not None:
            yield _pos_end(node), node.target.id, _Expr(node.value)
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        load = ast.copy_location(ast.Name(node.target.id, ast.Load()), node.target)
        value = ast.copy_location(ast.BinOp(load, node.op, node.value), node)
        yield _pos_end(node), node.target.id, _Expr(value)
    elif isinstance(node, ast.With | ast.AsyncWith):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                yield _pos_end(item.optional_vars), item.optional_vars.id, _Expr(item.context_expr)
            elif item.optional_vars is not None:
                for name in _names_in(item.optional_vars):
                    yield (node.lineno, node.col_offset), name, _OPAQUE
    elif isinstance(node, ast.Import | ast.ImportFrom):
        for name, binding in _import_bindings(node):
            yield _pos_end(node), name, binding
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        yield (node.lineno, node.col_offset), node.name, _Def(node)
    elif isinstance(node, ast.ClassDef):
        yield (node.lineno, node.col_offset), node.name, _OPAQUE
    elif isinstance(node, ast.For | ast.AsyncFor):
        for name in _names_in(node.target):
            yield (node.lineno, node.col_offset), name, _OPAQUE
    elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        yield (node.lineno, node.col_offset), node.name, _OPAQUE
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield (node.lineno, node.col_offset), node.rest, _OPAQUE


def _bindings(body: Sequence[ast.stmt]) -> dict[str, list[tuple[_Pos, _Binding]]]:
    """Each name bound in a scope's body, with its bindings sorted by position."""
    found: dict[str, list[tuple[_Pos, _Binding]]] = {}
    for node in _scope_nodes(body):
        for pos, name, binding in _node_bindings(node):
            found.setdefault(name, []).append((pos, binding))
    for entries in found.values():
        entries.sort(key=lambda entry: entry[0])
    return found


def _returns(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    return [n.value for n in _scope_nodes(func.body) if isinstance(n, ast.Return) and n.value]


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    a = func.args
    extra = [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)] + extra


# ---------------------------------------------------------------- path arithmetic


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path else "."


def _join(parts: Sequence[_Value]) -> _Value:
    if TEMP in parts and None not in parts:
        return TEMP
    strings = [p for p in parts if isinstance(p, str)]
    if not parts or len(strings) < len(parts):
        return None
    return _norm(posixpath.join(*strings))


def _parent(path: _Value) -> _Value:
    if not isinstance(path, str):
        return None
    norm = _norm(path)
    if posixpath.basename(norm) in (".", ".."):
        return _norm(norm + "/..")
    return posixpath.dirname(norm) or "."


def _attribute(value: _Value, attr: str) -> _Value:
    if value is TEMP:
        return TEMP if attr == "name" else None
    if not isinstance(value, str):
        return None
    if attr == "parent":
        return _parent(value)
    if attr == "name":
        return posixpath.basename(_norm(value))
    return None


def _method(value: _Value, attr: str, args: Sequence[_Value]) -> _Value:
    """`Path` methods that give another path."""
    if attr in ("resolve", "absolute", "as_posix", "expanduser"):
        return None if isinstance(value, str) and value.startswith("~") else value
    if attr == "joinpath":
        return _join([value, *args])
    if attr == "with_name" and len(args) == 1:
        return _join([_parent(value), args[0]])
    if attr == "with_suffix" and len(args) == 1 and isinstance(value, str):
        suffix = args[0]
        return posixpath.splitext(value)[0] + suffix if isinstance(suffix, str) else None
    return None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """The argument at `index` or named `keyword` (None when absent or after a `*args`)."""
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break
        if i == index:
            return arg
    return next((k.value for k in call.keywords if k.arg == keyword), None)


# ---------------------------------------------------------------- the analysis


class _Analysis:
    """One script's analysis: its module, the siblings it imports, and caches."""

    def __init__(self, snapshot: Snapshot, script: _Module) -> None:
        self.snapshot = snapshot
        self.script = script
        self.folder = posixpath.dirname(script.path)
        self.modules: dict[str, _Module | None] = {script.path: script}
        self.evaluating: set[tuple[int, int]] = set()
        self.importing: set[tuple[str, str | None]] = set()
        self.active: set[tuple[object, ...]] = set()
        self.returned: dict[tuple[object, ...], _Value] = {}
        self.written: dict[tuple[object, ...], tuple[_Write, ...]] = {}
        self.analysed: set[int] = set()  # functions whose writes were followed
        self.referenced: list[_Func] = []  # functions passed around rather than called

    # -- modules and names

    def sibling(self, name: str) -> _Module | None:
        """`import name` as the script would find it: the file next to it (`sys.path[0]`)."""
        path = posixpath.join(self.folder, f"{name}.py")
        if path not in self.modules:
            self.modules[path] = _load(self.snapshot, path)
        return self.modules[path]

    def imported(self, binding: Imported) -> _Ref:
        module = None if "." in binding.module else self.sibling(binding.module)
        if module is None:
            attr = f".{binding.attr}" if binding.attr else ""
            return _Ext(binding.module + attr)
        if binding.attr is None:
            return _Mod(module)
        return self.member(module, binding.attr)

    def member(self, module: _Module, name: str) -> _Ref:
        key = (module.path, name)
        found = module.scope.resolve(name, None)
        if found is None or key in self.importing:
            return _Lazy(_Bound(None), module.scope)
        self.importing.add(key)
        try:
            return self.ref_of(*found)
        finally:
            self.importing.discard(key)

    def ref_of(self, binding: _Binding, scope: _Scope) -> _Ref:
        if isinstance(binding, _Def):
            return _Func(binding.node, scope.file)
        if isinstance(binding, Imported):
            return self.imported(binding)
        return _Lazy(binding if not isinstance(binding, _Opaque) else _Bound(None), scope)

    def ref(self, node: ast.expr, scope: _Scope) -> _Ref | None:
        """What a name or dotted name stands for; None for an attribute of a value."""
        if isinstance(node, ast.Name):
            found = scope.resolve(node.id, (node.lineno, node.col_offset))
            if found is not None:
                return self.ref_of(*found)
            if node.id == "__file__":
                return _Lazy(_Bound(scope.file.path), scope)
            return _Ext(f"builtins.{node.id}")
        if isinstance(node, ast.Attribute):
            base = self.ref(node.value, scope)
            if isinstance(base, _Ext):
                return _Ext(f"{base.name}.{node.attr}")
            if isinstance(base, _Mod):
                return self.member(base.module, node.attr)
        return None

    # -- values

    def eval(self, node: ast.expr, scope: _Scope) -> _Value:
        key = (id(node), id(scope))
        if key in self.evaluating:
            return None
        self.evaluating.add(key)
        try:
            return self._eval(node, scope)
        finally:
            self.evaluating.discard(key)

    def _eval(self, node: ast.expr, scope: _Scope) -> _Value:
        if isinstance(node, ast.Constant):
            value = node.value
            return value if isinstance(value, str | int) and not isinstance(value, bool) else None
        if isinstance(node, ast.Name | ast.Attribute):
            return self.eval_name(node, scope)
        if isinstance(node, ast.Subscript):
            return self.eval_subscript(node, scope)
        if isinstance(node, ast.Call):
            return self.eval_call(node, scope)
        if isinstance(node, ast.BinOp):
            return self.eval_binop(node, scope)
        if isinstance(node, ast.IfExp):
            return self.first(scope, node.body, node.orelse)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.first(scope, *node.values)
        if isinstance(node, ast.JoinedStr):
            return self.eval_fstring(node, scope)
        if isinstance(node, ast.NamedExpr):
            return self.eval(node.value, scope)
        return None

    def first(self, scope: _Scope, *nodes: ast.expr) -> _Value:
        """The first operand that resolves (`env or default` both mean the project root)."""
        return next((v for v in (self.eval(n, scope) for n in nodes) if v is not None), None)

    def value_of(self, binding: _Binding, scope: _Scope) -> _Value:
        if isinstance(binding, _Bound):
            return binding.value
        if isinstance(binding, _Expr):
            return self.eval(binding.node, scope)
        if isinstance(binding, _Unpacked):
            return TEMP if self.eval(binding.node, scope) is TEMP else None
        return None

    def eval_name(self, node: ast.Name | ast.Attribute, scope: _Scope) -> _Value:
        ref = self.ref(node, scope)
        if isinstance(ref, _Lazy):
            return self.value_of(ref.binding, ref.scope)
        if ref is None and isinstance(node, ast.Attribute):
            return _attribute(self.eval(node.value, scope), node.attr)
        return None  # a function, a module or a library name is not a path

    def eval_subscript(self, node: ast.Subscript, scope: _Scope) -> _Value:
        base = node.value
        if isinstance(base, ast.Attribute) and base.attr == "parents":
            path, index = self.eval(base.value, scope), self.eval(node.slice, scope)
            if isinstance(path, str) and isinstance(index, int) and index >= 0:
                for _ in range(index + 1):
                    path = _parent(path)
                return path
            return None
        if self.ref(base, scope) == _Ext("os.environ"):
            return "." if self.eval(node.slice, scope) == PROJECT_ENV else None
        return None

    def eval_binop(self, node: ast.BinOp, scope: _Scope) -> _Value:
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        if isinstance(node.op, ast.Div):
            return _join([left, right])
        if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return left + right
        return None

    def eval_fstring(self, node: ast.JoinedStr, scope: _Scope) -> _Value:
        parts: list[_Value] = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None or part.conversion not in (-1, ord("s")):
                    return None
                parts.append(self.eval(part.value, scope))
            else:
                parts.append(self.eval(part, scope))
        if None in parts:
            return None
        return TEMP if TEMP in parts else "".join(str(p) for p in parts)

    def eval_call(self, node: ast.Call, scope: _Scope) -> _Value:
        callee = self.callee(node, scope)
        if isinstance(callee, _Func):
            return self.returned_by(callee, self.bind(callee, node, scope))
        args = [None if isinstance(a, ast.Starred) else self.eval(a, scope) for a in node.args]
        if isinstance(callee, _Ext):
            return self.library_value(callee.name, args)
        if callee is None and isinstance(node.func, ast.Attribute):
            return _method(self.eval(node.func.value, scope), node.func.attr, args)
        return None

    def library_value(self, name: str, args: Sequence[_Value]) -> _Value:
        if name in _PATH_TYPES:
            return _join(args) if args else "."
        if name == "os.path.join":
            return _join(args)
        if name in _SAME_PATH:
            return _method(args[0], "resolve", ()) if len(args) == 1 else None
        if name == "os.path.dirname":
            return _parent(args[0]) if len(args) == 1 else None
        if name in ("os.environ.get", "os.getenv"):
            return "." if args[:1] == [PROJECT_ENV] else None
        if name in ("os.getcwd", "pathlib.Path.cwd"):
            return "."  # hooks run in the project folder, as string constants assume too
        return TEMP if name in _TEMP_FACTORIES else None

    # -- functions of the script and its siblings

    def callee(self, node: ast.Call, scope: _Scope) -> _Ref | None:
        if isinstance(node.func, ast.Name | ast.Attribute):
            return self.ref(node.func, scope)
        return None

    def bind(self, func: _Func, call: ast.Call | None, scope: _Scope) -> _Args:
        """The parameters' values for a call (all unknown without one), in parameter order."""
        a = func.node.args
        positional = [*a.posonlyargs, *a.args]
        with_default = positional[len(positional) - len(a.defaults) :]
        defaults = {p.arg: d for p, d in zip(with_default, a.defaults, strict=True)}
        defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d})
        values: dict[str, _Value] = {}
        given = call.args if call is not None else []
        for param, arg in zip(positional, given, strict=False):
            if isinstance(arg, ast.Starred):
                defaults = {}  # the rest come from *args: not known
                break
            values[param.arg] = self.eval(arg, scope)
        for keyword in call.keywords if call is not None else []:
            if keyword.arg is None:
                defaults = {}
            else:
                values[keyword.arg] = self.eval(keyword.value, scope)
        for name in _params(func.node):
            if name not in values:
                default = defaults.get(name) if call is not None else None
                values[name] = self.eval(default, func.module.scope) if default else None
        return tuple((name, values[name]) for name in _params(func.node))

    def function_scope(self, func: _Func, bound: _Args) -> _Scope:
        merged: dict[str, list[tuple[_Pos, _Binding]]] = {
            name: list(entries) for name, entries in _bindings(func.node.body).items()
        }
        for name, value in bound:
            merged[name] = [((0, 0), _Bound(value)), *merged.get(name, [])]
        # Closures are not followed: a nested function sees the module's names.
        return _Scope(func.module.scope, "function", merged, file=func.module)

    def returned_by(self, func: _Func, bound: _Args) -> _Value:
        key = ("value", id(func.node), bound)
        if key not in self.returned:
            if key in self.active or len(self.active) >= MAX_DEPTH:
                return None
            self.active.add(key)
            try:
                scope = self.function_scope(func, bound)
                self.returned[key] = self.first(scope, *_returns(func.node))
            finally:
                self.active.discard(key)
        return self.returned[key]

    # -- writes

    def unit_writes(self, body: Iterable[ast.AST], scope: _Scope) -> list[_Write]:
        """The writes of a module's top level or of a function body, following calls."""
        writes: list[_Write] = []
        called: set[int] = set()
        for node, inner in _walk(body, scope):
            if isinstance(node, ast.Call):
                called.add(id(node.func))
                writes.extend(self.sink_writes(node, inner))
                writes.extend(self.call_writes(node, inner))
            elif isinstance(node, ast.Name | ast.Attribute) and id(node) not in called:
                ref = self.ref(node, inner) if isinstance(node.ctx, ast.Load) else None
                if isinstance(ref, _Func):
                    self.referenced.append(ref)
        return writes

    def call_writes(self, call: ast.Call, scope: _Scope) -> list[_Write]:
        callee = self.callee(call, scope)
        if not isinstance(callee, _Func):
            return []
        here = (scope.file, call) if scope.file is self.script else None
        if len(self.active) >= MAX_DEPTH:
            site = here or (scope.file, call)
            return [_Write(None, site, here, "calls too deeply nested to follow")]
        found = self.function_writes(callee, self.bind(callee, call, scope))
        return [w if w.site is not None else replace(w, site=here) for w in found]

    def function_writes(self, func: _Func, bound: _Args) -> tuple[_Write, ...]:
        key = ("writes", id(func.node), bound)
        if key not in self.written:
            if key in self.active:
                return ()  # a recursive call: the outer analysis of the same call covers it
            self.analysed.add(id(func.node))
            self.active.add(key)
            try:
                scope = self.function_scope(func, bound)
                self.written[key] = tuple(self.unit_writes(func.node.body, scope))
            finally:
                self.active.discard(key)
        return self.written[key]

    def sink_writes(self, call: ast.Call, scope: _Scope) -> list[_Write]:
        here = (scope.file, call)
        site = here if scope.file is self.script else None
        writes = []
        for target in self.sink_targets(call, scope):
            if target is not TEMP:
                path = target if isinstance(target, str) else None
                writes.append(_Write(None if path is None else _norm(path), here, site))
        return writes

    def sink_targets(self, call: ast.Call, scope: _Scope) -> list[_Value]:
        """The values of the paths a call writes, when it is a write."""
        callee = self.callee(call, scope)
        if isinstance(callee, _Ext):
            target = self.library_sink(callee.name, call, scope)
            return [] if target is None else [self.eval(target, scope)]
        if callee is None and isinstance(call.func, ast.Attribute):
            return self.method_sink(call, call.func, scope)
        return []

    def library_sink(self, name: str, call: ast.Call, scope: _Scope) -> ast.expr | None:
        """The path argument of a library call that writes it."""
        if name in _OPENERS and self.writes_mode(_arg(call, 1, "mode"), scope):
            return _arg(call, 0, "file") or _arg(call, 0, "filename")
        if name in _MOVES:
            return _arg(call, 1, "dst")
        if name in _DELETES:
            return _arg(call, 0, "path")
        if name == "sqlite3.connect":
            database = _arg(call, 0, "database")
            in_memory = database is not None and self.eval(database, scope) in (":memory:", "")
            return None if in_memory else database
        if name in _LOG_FILES:
            return _arg(call, 0, "filename")
        if name == "logging.basicConfig":  # takes keywords only
            return next((k.value for k in call.keywords if k.arg == "filename"), None)
        return None

    def method_sink(self, call: ast.Call, func: ast.Attribute, scope: _Scope) -> list[_Value]:
        """`path.open("w")`, `path.write_text(...)` and friends on a value."""
        if func.attr in _PATH_WRITERS:
            return [self.eval(func.value, scope)]
        if func.attr in ("rename", "replace") and len(call.args) + len(call.keywords) == 1:
            target = _arg(call, 0, "target")  # one argument: not str.replace(old, new)
            return [self.eval(target, scope)] if target is not None else []
        if func.attr == "open":
            receiver = self.eval(func.value, scope)
            mode_node = _arg(call, 0, "mode")
            mode = self.eval(mode_node, scope) if mode_node is not None else "r"
            if isinstance(mode, str):
                writes = _MODE.fullmatch(mode) is not None and any(c in mode for c in "wax+")
            else:  # `browser.open(url)` is no write; `STATE.open(mode)` may be
                writes = receiver is not None
            return [receiver] if writes else []
        return []

    def writes_mode(self, node: ast.expr | None, scope: _Scope) -> bool:
        """Whether an `open` mode writes; a mode not known statically is taken to write."""
        mode = "r" if node is None else self.eval(node, scope)
        return not isinstance(mode, str) or any(c in mode for c in "wax+")

    # -- the whole script

    def run(self) -> list[_Write]:
        """Writes of the script's top level and what it calls, of the top level of the siblings
        it imports (they run on import), then of functions nothing was seen calling."""
        writes: list[_Write] = []
        done: set[str] = set()
        progress = True
        while progress:
            progress = False
            for module in [m for m in list(self.modules.values()) if m and m.path not in done]:
                progress = True
                done.add(module.path)
                self.load_imports(module)
                writes.extend(self.unit_writes(module.tree.body, module.scope))
            for func in self.pending_functions():
                progress = True
                writes.extend(self.function_writes(func, self.bind(func, None, func.module.scope)))
        return writes

    def load_imports(self, module: _Module) -> None:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for _, binding in _import_bindings(node):
                    if isinstance(binding, Imported) and "." not in binding.module:
                        self.sibling(binding.module)

    def pending_functions(self) -> list[_Func]:
        """Functions not yet followed: passed as callbacks, or defined in the script at all."""
        own = [
            _Func(n, self.script)
            for n in ast.walk(self.script.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        candidates, self.referenced = [*self.referenced, *own], []
        pending: dict[int, _Func] = {}
        for func in candidates:
            if id(func.node) not in self.analysed:
                pending.setdefault(id(func.node), func)
        return list(pending.values())


def _walk(body: Iterable[ast.AST], scope: _Scope) -> Iterator[tuple[ast.AST, _Scope]]:
    """Nodes of one function or module body in source order; nested functions are skipped
    (they run when called), lambdas and comprehensions get a scope where their names are unknown."""
    for node in body:
        yield node, scope
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            yield from _walk(
                [*node.decorator_list, *a.defaults, *filter(None, a.kw_defaults)], scope
            )
        elif isinstance(node, ast.Lambda):
            yield from _walk([node.body], _hiding(scope, _params(node)))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            names = [name for gen in node.generators for name in _names_in(gen.target)]
            yield from _walk(ast.iter_child_nodes(node), _hiding(scope, names))
        else:
            yield from _walk(ast.iter_child_nodes(node), scope)


def _hiding(scope: _Scope, names: Sequence[str]) -> _Scope:
    table: dict[str, list[tuple[_Pos, _Binding]]] = {n: [((0, 0), _OPAQUE)] for n in names}
    return _Scope(scope, "comprehension", table, file=scope.file)


# ---------------------------------------------------------------- reporting


def _snippet(module: _Module, node: ast.AST) -> str:
    """A call as it reads in the source, one line, with long or literal arguments elided."""
    if not isinstance(node, ast.Call):
        return _segment(module, node, 60)
    literal = ast.Dict | ast.List | ast.Set | ast.Tuple | ast.ListComp | ast.DictComp
    args = ["..." if isinstance(a, literal) else _segment(module, a, 40) for a in node.args]
    args += [f"{k.arg}=..." if k.arg else "**..." for k in node.keywords]
    return f"{_segment(module, node.func, 40)}({', '.join(args)})"


def _segment(module: _Module, node: ast.AST, limit: int) -> str:
    text = " ".join((ast.get_source_segment(module.text, node) or "...").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(site: _Site) -> str:
    module, node = site
    return f"{module.name}:{getattr(node, 'lineno', 0)}: {_snippet(module, node)}"


def _describe(write: _Write) -> tuple[str | None, str]:
    """(the path, or None when unknown, and the line that explains the write)."""
    site = write.site or write.sink
    via = f" (via {_where(write.sink)})" if write.sink is not site else ""
    target = write.target
    if target is None:
        return None, f"{_where(site)} {write.problem}{via}"
    if target.startswith("/"):
        return None, f"{_where(site)} writes {target}, an absolute path outside the repository{via}"
    if target == ".." or target.startswith("../"):
        return None, f"{_where(site)} writes {target}, outside the repository{via}"
    return target, f"{_where(site)} writes {target}{via}"


def _load(snapshot: Snapshot, path: str) -> _Module | None:
    source = snapshot.read(path)
    tree = ast_module(source.text, path) if source is not None else None
    return _Module(path, source.text, tree) if source is not None and tree is not None else None


def writes(snapshot: Snapshot, script: str) -> StateWrites:
    """The files `script` may write, found without running or importing it."""
    script = _norm(script)
    name = PurePosixPath(script).name
    module = _load(snapshot, script)
    if module is None:
        reason = f"{name}: cannot be read or parsed, so what it writes is not known"
        return StateWrites(script, frozenset(), (reason,), ())
    try:
        found = _Analysis(snapshot, module).run()
    except RecursionError:
        reason = f"{name}: too deeply nested to analyse, so what it writes is not known"
        return StateWrites(script, frozenset(), (reason,), ())
    paths: set[str] = set()
    unknown: list[str] = []
    evidence: list[str] = []
    for write in found:
        path, line = _describe(write)
        if path is None:
            unknown.append(line)
        else:
            paths.add(path)
            evidence.append(line)
    return StateWrites(script, frozenset(paths), _unique(unknown), _unique(evidence))


def _unique(lines: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lines))


# ---------------------------------------------------------------- chains


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, items: Sequence[str]) -> None:
        for item in items[1:]:
            self.parent[self.find(item)] = self.find(items[0])


def _label(scripts: Sequence[str]) -> str:
    names = [PurePosixPath(s).name for s in scripts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _matches(script: str, entry: str) -> bool:
    """A `sequential` entry names a script by its repo path or its file name."""
    return _norm(entry) == _norm(script) or PurePosixPath(script).name == entry


def chains(
    snapshot: Snapshot, scripts: Sequence[str], sequential: Sequence[Sequence[str]] = ()
) -> Chains:
    """Chains for a unified hook's members (in registration order): members sharing a written
    file, writing files not known statically, or listed together in `sequential`."""
    members = list(dict.fromkeys(scripts))
    found = {s: writes(snapshot, s) for s in members}
    by_path: dict[str, list[str]] = {}
    for script in members:
        for path in found[script].paths:
            by_path.setdefault(path, []).append(script)
    unknown = [s for s in members if found[s].unknown]
    listed = [[s for s in members if any(_matches(s, e) for e in group)] for group in sequential]
    chain_of: dict[str, str | None] = dict.fromkeys(members)
    why: dict[str, str] = {}
    for component in _components(members, [*by_path.values(), unknown, *listed]):
        if len(component) < 2:
            continue  # a chain of one runs in parallel anyway
        inside = set(component)
        shared = {p: w for p, w in sorted(by_path.items()) if len(w) > 1 and w[0] in inside}
        unknown_here = [s for s in unknown if s in inside]
        name = _chain_name(component, shared, len(unknown_here) > 1)
        why[name] = _explain(shared, unknown_here, [g for g in listed if set(g) & inside])
        for script in component:
            chain_of[script] = name
    return Chains(chain_of, why)


def _components(members: Sequence[str], together: Iterable[Sequence[str]]) -> list[list[str]]:
    """The members joined transitively by the groups `together`, each in registration order."""
    groups = _UnionFind(members)
    for group in together:
        groups.join(group)
    components: dict[str, list[str]] = {}
    for script in members:
        components.setdefault(groups.find(script), []).append(script)
    return list(components.values())


def _chain_name(component: Sequence[str], shared: Mapping[str, object], unknown: bool) -> str:
    if unknown:
        return UNKNOWN_CHAIN
    if shared:
        return f"state:{next(iter(shared))}"
    return f"sequential:{PurePosixPath(component[0]).name}"


def _explain(
    shared: Mapping[str, Sequence[str]], unknown: Sequence[str], listed: Sequence[Sequence[str]]
) -> str:
    clauses = [
        f"{_label(w)} {'both' if len(w) == 2 else 'all'} write {path}" for path, w in shared.items()
    ]
    if len(unknown) > 1:
        clauses.append(f"{_label(unknown)} write files not known statically")
    clauses += [f"{_label(g)} are listed together in `sequential`" for g in listed if len(g) > 1]
    return "; ".join(clauses)
