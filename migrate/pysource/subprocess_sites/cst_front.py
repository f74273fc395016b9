"""The LibCST front end of `subprocess_sites`, for syntax this interpreter cannot parse.

A module of its own so that LibCST (a third of a second to import) is only loaded when a file
needs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from migrate.pysource.edits import Lines
from migrate.pysource.parse import Unparsable
from migrate.pysource.subprocess_sites.model import (
    CALLED_ATTRS,
    HOLE,
    OTHER,
    POPEN_METHODS,
    STAR,
    CallNode,
    Chain,
    Concat,
    Const,
    Handler,
    Method,
    Opaque,
    Other,
    Pos,
    RawLayout,
    Ref,
    Scope,
    Seq,
    Spread,
    Text,
    Value,
)
from migrate.pysource.subprocess_sites.resolve import Facts
from migrate.pysource.subprocess_sites.walker import Walker


def read_with_libcst(module: cst.Module, text: str) -> Facts | Unparsable:
    """The facts of a module only LibCST can parse."""
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        front = _CstFront(wrapper.resolve(PositionProvider))
        module.visit(front)
    except ValueError:
        return Unparsable(1, "LibCST cannot parse it")
    except RecursionError:
        return Unparsable(1, "too deeply nested to analyse")
    return front.facts(text)


# -- the front end ---------------------------------------------------------------------------


def cst_chain(node: cst.BaseExpression) -> Chain | None:
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return tuple(reversed(parts))


def cst_dotted(node: cst.BaseExpression) -> str:
    return ".".join(cst_chain(node) or ())


def _cst_func(node: cst.BaseExpression) -> Ref | Method | None:
    if isinstance(node, cst.Name):
        return Ref((node.value,))
    if not isinstance(node, cst.Attribute) or node.attr.value not in CALLED_ATTRS:
        return None
    chain = cst_chain(node)
    if chain is not None:
        return Ref(chain)
    if isinstance(node.value, cst.Call) and node.attr.value in POPEN_METHODS:
        return Method(node.value, node.attr.value)
    return None


def _cst_params(params: cst.Parameters) -> list[cst.Param]:
    out = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        out.append(params.star_arg)
    if params.star_kwarg is not None:
        out.append(params.star_kwarg)
    return out


def _cst_outer(params: cst.Parameters) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    for param in _cst_params(params):
        if param.default is not None:
            out.append(param.default)
        if param.annotation is not None:
            out.append(param.annotation.annotation)
    return out


def _cst_text(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.decode("latin-1") if isinstance(value, bytes) else value
    if isinstance(node, cst.FormattedString):
        return "".join(
            p.value if isinstance(p, cst.FormattedStringText) else HOLE for p in node.parts
        )
    if isinstance(node, cst.ConcatenatedString):
        left, right = _cst_text(node.left), _cst_text(node.right)
        return None if left is None or right is None else left + right
    return None


def _cst_names(node: cst.CSTNode) -> frozenset[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)  # `.attr` is not a name read
        else:
            stack.extend(current.children)
    return frozenset(found)


def _cst_kills(body: cst.BaseSuite) -> bool:
    stack: list[cst.CSTNode] = [body]
    while stack:
        current = stack.pop()
        func = current.func if isinstance(current, cst.Call) else None
        if isinstance(func, cst.Attribute) and func.attr.value in ("kill", "terminate"):
            return True
        stack.extend(current.children)
    return False


class _CstFront(Walker, cst.CSTVisitor):
    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        super().__init__()
        self.positions = positions
        self.pending: list[
            tuple[cst.Call, Ref | Method, Scope, int, tuple[Handler, ...] | None]
        ] = []

    def facts(self, text: str) -> Facts:
        calls = tuple(
            self.call_node(node, scope, func, fline, guard)
            for node, func, scope, fline, guard in self.pending
            if self.is_candidate(func)
        )
        lines = Lines(text)
        return Facts(calls, self.value, lambda p: lines.line_start(p[0]) + p[1], "libcst")

    def pos(self, node: cst.CSTNode) -> tuple[Pos, Pos]:
        code_range = self.positions[node]
        start, end = code_range.start, code_range.end
        return (start.line, start.column), (end.line, end.column)

    def call_node(
        self,
        node: cst.Call,
        scope: Scope,
        func: Ref | Method | Other,
        fline: int = 0,
        guard: tuple[Handler, ...] | None = None,
    ) -> CallNode:
        positional = [a for a in node.args if a.keyword is None and a.star != "**"]
        args = tuple(STAR if a.star == "*" else self.value(a.value, scope) for a in positional)
        keywords = {a.keyword.value: self.value(a.value, scope) for a in node.args if a.keyword}
        last = self.pos(node.args[-1]) if node.args else None
        raw = RawLayout(
            self.pos(node)[0],
            self.pos(node.func)[1],
            self.pos(node)[1],
            last[0] if last else None,
            last[1] if last else None,
        )
        double_star = any(a.star == "**" for a in node.args)
        line = fline or self.pos(node)[0][0]
        trusted = None if fline else raw
        return CallNode(func, args, keywords, double_star, scope, line, trusted, None, guard)

    def value(self, node: object, scope: Scope) -> Value:
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return Const({"True": True, "False": False, "None": None}[node.value])
            return Ref((node.value,))
        if isinstance(node, cst.Attribute):
            chain = cst_chain(node)
            return Ref(chain) if chain else OTHER
        if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
            text = _cst_text(node)
            return OTHER if text is None else Text(text, _cst_names(node))
        if isinstance(node, (cst.List, cst.Tuple)):
            items = (
                Spread(_cst_names(e.value))
                if isinstance(e, cst.StarredElement)
                else self.value(e.value, scope)
                for e in node.elements
            )
            return Seq(tuple(items))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return Concat(self.value(node.left, scope), self.value(node.right, scope))
        if isinstance(node, cst.Call):
            chain = cst_chain(node.func)
            func = Ref(chain) if chain else _cst_func(node.func)
            return self.call_node(node, scope, func or OTHER)
        return Opaque(_cst_names(node)) if isinstance(node, cst.CSTNode) else OTHER

    def walk(self, nodes: Sequence[cst.CSTNode]) -> None:
        for node in nodes:
            node.visit(self)

    # Scopes.

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.walk([d.decorator for d in node.decorators])
        self.walk(_cst_outer(node.params))
        if node.returns is not None:
            node.returns.annotation.visit(self)
        self.bind(node.name.value)
        with self.enter("function"):
            for param in _cst_params(node.params):
                self.bind(param.name.value, parameter=True)
            node.body.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.walk(_cst_outer(node.params))
        with self.enter("function"):
            for param in _cst_params(node.params):
                self.bind(param.name.value, parameter=True)
            node.body.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.walk([d.decorator for d in node.decorators])
        self.walk([a.value for a in (*node.bases, *node.keywords)])
        self.bind(node.name.value)
        with self.enter("class"):
            node.body.visit(self)
        return False

    def _comprehension(self, for_in: cst.CompFor, *elts: cst.BaseExpression) -> bool:
        for_in.iter.visit(self)
        with self.enter("comprehension"):
            comp: cst.CompFor | None = for_in
            while comp is not None:
                if comp is not for_in:
                    comp.iter.visit(self)
                self._target(comp.target, None)
                self.walk([c.test for c in comp.ifs])
                comp = comp.inner_for_in
            self.walk(elts)
        return False

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node.for_in, node.elt)

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node.for_in, node.elt)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node.for_in, node.elt)

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node.for_in, node.key, node.value)

    # Bindings: LibCST has no Store context, so every binding construct names its targets.

    def _target(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        derived: cst.BaseExpression | None = None,
    ) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, None, value, derived=derived)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value, None, derived)
        else:
            target.visit(self)

    def visit_Assign(self, node: cst.Assign) -> bool:
        node.value.visit(self)
        for target in node.targets:
            self._target(target.target, node.value)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        node.annotation.annotation.visit(self)
        if node.value is not None:
            node.value.visit(self)
        self._target(node.target, node.value)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        node.value.visit(self)
        self._target(node.target, None)
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        node.value.visit(self)
        if isinstance(node.target, cst.Name):
            self.bind_walrus(node.target.value, node.value)
        return False

    def visit_For(self, node: cst.For) -> bool:
        node.iter.visit(self)
        self._target(node.target, None, node.iter)
        node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_With(self, node: cst.With) -> bool:
        for item in node.items:
            item.item.visit(self)
            if item.asname is not None:
                self._target(item.asname.name, item.item)
        node.body.visit(self)
        return False

    def visit_Try(self, node: cst.Try | cst.TryStar) -> bool:
        handlers = tuple(Handler(h.type, _cst_kills(h.body)) for h in node.handlers)
        with self.guarded(handlers):
            node.body.visit(self)
        self.walk([*node.handlers, *(p for p in (node.orelse, node.finalbody) if p)])
        return False

    def visit_TryStar(self, node: cst.TryStar) -> bool:
        return self.visit_Try(node)

    def visit_ExceptHandler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        if node.type is not None:
            node.type.visit(self)
        if node.name is not None:
            self._target(node.name.name, None)
        node.body.visit(self)
        return False

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> bool:
        return self.visit_ExceptHandler(node)

    def visit_Del(self, node: cst.Del) -> bool:
        self._target(node.target, None)
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            asname = alias.asname.name if alias.asname else None
            self.bind_import(cst_dotted(alias.name), cst_dotted(asname) if asname else None)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = cst_dotted(node.module) if node.module else ""
        if isinstance(node.names, cst.ImportStar):
            self.bind_from(module, len(node.relative), "*", None)
            return False
        for alias in node.names:
            asname = alias.asname.name if alias.asname else None
            self.bind_from(
                module,
                len(node.relative),
                cst_dotted(alias.name),
                cst_dotted(asname) if asname else None,
            )
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        self.scope.globals.update(n.name.value for n in node.names)
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        self.scope.nonlocals.update(n.name.value for n in node.names)
        return False

    def visit_MatchAs(self, node: cst.MatchAs) -> bool:
        if node.name is not None:
            self.bind(node.name.value)
        return True

    def visit_MatchStar(self, node: cst.MatchStar) -> bool:
        if node.name is not None:
            self.bind(node.name.value)
        return False

    def visit_MatchMapping(self, node: cst.MatchMapping) -> bool:
        if node.rest is not None:
            self.bind(node.rest.value)
        return True

    def visit_TypeAlias(self, node: cst.TypeAlias) -> bool:
        self.bind(node.name.value)
        node.value.visit(self)
        return False

    # Calls.

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        with self.fstring(self.pos(node)[0][0]):
            self.walk(node.parts)
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        func = _cst_func(node.func)
        if func is not None:
            self.pending.append((node, func, self.scope, self.fstring_line, self.guard))
        return True
