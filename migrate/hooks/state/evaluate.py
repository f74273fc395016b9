"""A small symbolic evaluator: what a path expression of a hook script is (string constants,
`__file__`, `$CLAUDE_PROJECT_DIR`, `pathlib` and `os.path` arithmetic, names bound in the script
or in sibling modules it imports, and the return values of their functions)."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Sequence

from migrate.files import Snapshot
from migrate.hooks.state.bindings import (
    TEMP,
    Args,
    Binding,
    Bound,
    Def,
    Expr,
    Ext,
    Func,
    Lazy,
    Mod,
    Module,
    Opaque,
    Ref,
    Scope,
    Unpacked,
    Value,
    body_scope,
    load_module,
    params,
    returns,
)
from migrate.hooks.state.paths import attribute, join, method, parent
from migrate.pysource.scopes import Imported

PROJECT_ENV = "CLAUDE_PROJECT_DIR"


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


class Evaluator:
    """What the expressions of one script mean: its module, the siblings it imports, and caches."""

    def __init__(self, snapshot: Snapshot, script: Module) -> None:
        self.snapshot = snapshot
        self.script = script
        self.folder = posixpath.dirname(script.path)
        self.modules: dict[str, Module | None] = {script.path: script}
        self.evaluating: set[tuple[int, int]] = set()
        self.importing: set[tuple[str, str | None]] = set()
        self.active: set[tuple[object, ...]] = set()
        self.returned: dict[tuple[object, ...], Value] = {}

    # -- modules and names

    def sibling(self, name: str) -> Module | None:
        """`import name` as the script would find it: the file next to it (`sys.path[0]`)."""
        path = posixpath.join(self.folder, f"{name}.py")
        if path not in self.modules:
            self.modules[path] = load_module(self.snapshot, path)
        return self.modules[path]

    def imported(self, binding: Imported) -> Ref:
        module = None if "." in binding.module else self.sibling(binding.module)
        if module is None:
            attr = f".{binding.attr}" if binding.attr else ""
            return Ext(binding.module + attr)
        if binding.attr is None:
            return Mod(module)
        return self.member(module, binding.attr)

    def member(self, module: Module, name: str) -> Ref:
        key = (module.path, name)
        found = module.scope.resolve(name, None)
        if found is None or key in self.importing:
            return Lazy(Bound(None), module.scope)
        self.importing.add(key)
        try:
            return self.ref_of(*found)
        finally:
            self.importing.discard(key)

    def ref_of(self, binding: Binding, scope: Scope) -> Ref:
        if isinstance(binding, Def):
            return Func(binding.node, scope.file)
        if isinstance(binding, Imported):
            return self.imported(binding)
        return Lazy(binding if not isinstance(binding, Opaque) else Bound(None), scope)

    def ref(self, node: ast.expr, scope: Scope) -> Ref | None:
        """What a name or dotted name stands for; None for an attribute of a value."""
        if isinstance(node, ast.Name):
            found = scope.resolve(node.id, (node.lineno, node.col_offset))
            if found is not None:
                return self.ref_of(*found)
            if node.id == "__file__":
                return Lazy(Bound(scope.file.path), scope)
            return Ext(f"builtins.{node.id}")
        if isinstance(node, ast.Attribute):
            base = self.ref(node.value, scope)
            if isinstance(base, Ext):
                return Ext(f"{base.name}.{node.attr}")
            if isinstance(base, Mod):
                return self.member(base.module, node.attr)
        return None

    # -- values

    def eval(self, node: ast.expr, scope: Scope) -> Value:
        key = (id(node), id(scope))
        if key in self.evaluating:
            return None
        self.evaluating.add(key)
        try:
            return self._eval(node, scope)
        finally:
            self.evaluating.discard(key)

    def _eval(self, node: ast.expr, scope: Scope) -> Value:
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

    def first(self, scope: Scope, *nodes: ast.expr) -> Value:
        """The first operand that resolves (`env or default` both mean the project root)."""
        return next((v for v in (self.eval(n, scope) for n in nodes) if v is not None), None)

    def value_of(self, binding: Binding, scope: Scope) -> Value:
        if isinstance(binding, Bound):
            return binding.value
        if isinstance(binding, Expr):
            return self.eval(binding.node, scope)
        if isinstance(binding, Unpacked):
            return TEMP if self.eval(binding.node, scope) is TEMP else None
        return None

    def eval_name(self, node: ast.Name | ast.Attribute, scope: Scope) -> Value:
        ref = self.ref(node, scope)
        if isinstance(ref, Lazy):
            return self.value_of(ref.binding, ref.scope)
        if ref is None and isinstance(node, ast.Attribute):
            return attribute(self.eval(node.value, scope), node.attr)
        return None  # a function, a module or a library name is not a path

    def eval_subscript(self, node: ast.Subscript, scope: Scope) -> Value:
        base = node.value
        if isinstance(base, ast.Attribute) and base.attr == "parents":
            path, index = self.eval(base.value, scope), self.eval(node.slice, scope)
            if isinstance(path, str) and isinstance(index, int) and index >= 0:
                for _ in range(index + 1):
                    path = parent(path)
                return path
            return None
        if self.ref(base, scope) == Ext("os.environ"):
            return "." if self.eval(node.slice, scope) == PROJECT_ENV else None
        return None

    def eval_binop(self, node: ast.BinOp, scope: Scope) -> Value:
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        if isinstance(node.op, ast.Div):
            return join([left, right])
        if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return left + right
        return None

    def eval_fstring(self, node: ast.JoinedStr, scope: Scope) -> Value:
        parts: list[Value] = []
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

    def eval_call(self, node: ast.Call, scope: Scope) -> Value:
        callee = self.callee(node, scope)
        if isinstance(callee, Func):
            return self.returned_by(callee, self.bind(callee, node, scope))
        args = [None if isinstance(a, ast.Starred) else self.eval(a, scope) for a in node.args]
        if isinstance(callee, Ext):
            return self.library_value(callee.name, args)
        if callee is None and isinstance(node.func, ast.Attribute):
            return method(self.eval(node.func.value, scope), node.func.attr, args)
        return None

    def library_value(self, name: str, args: Sequence[Value]) -> Value:
        if name in _PATH_TYPES:
            return join(args) if args else "."
        if name == "os.path.join":
            return join(args)
        if name in _SAME_PATH:
            return method(args[0], "resolve", ()) if len(args) == 1 else None
        if name == "os.path.dirname":
            return parent(args[0]) if len(args) == 1 else None
        if name in ("os.environ.get", "os.getenv"):
            return "." if args[:1] == [PROJECT_ENV] else None
        if name in ("os.getcwd", "pathlib.Path.cwd"):
            return "."  # hooks run in the project folder, as string constants assume too
        return TEMP if name in _TEMP_FACTORIES else None

    # -- functions of the script and its siblings

    def callee(self, node: ast.Call, scope: Scope) -> Ref | None:
        if isinstance(node.func, ast.Name | ast.Attribute):
            return self.ref(node.func, scope)
        return None

    def bind(self, func: Func, call: ast.Call | None, scope: Scope) -> Args:
        """The parameters' values for a call (all unknown without one), in parameter order."""
        a = func.node.args
        positional = [*a.posonlyargs, *a.args]
        with_default = positional[len(positional) - len(a.defaults) :]
        defaults = {p.arg: d for p, d in zip(with_default, a.defaults, strict=True)}
        defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d})
        values: dict[str, Value] = {}
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
        for name in params(func.node):
            if name not in values:
                default = defaults.get(name) if call is not None else None
                values[name] = self.eval(default, func.module.scope) if default else None
        return tuple((name, values[name]) for name in params(func.node))

    def function_scope(self, func: Func, bound: Args) -> Scope:
        # Closures are not followed: a nested function sees the module's names.
        scope = body_scope(func.node.body, func.module.scope, "function", func.module)
        for name, value in bound:
            scope.bind(name, Bound(value))  # a parameter holds from the start
        return scope

    def returned_by(self, func: Func, bound: Args) -> Value:
        key = ("value", id(func.node), bound)
        if key not in self.returned:
            if key in self.active or len(self.active) >= MAX_DEPTH:
                return None
            self.active.add(key)
            try:
                scope = self.function_scope(func, bound)
                self.returned[key] = self.first(scope, *returns(func.node))
            finally:
                self.active.discard(key)
        return self.returned[key]
