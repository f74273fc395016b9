"""What an `ast` expression is in the subprocess-site model (`model.Value`): names, literals,
lists, `+`, and calls with their arguments and the positions an edit needs."""

from __future__ import annotations

import ast

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


def ast_chain(node: ast.expr) -> Chain | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def ast_func(node: ast.expr) -> Ref | Method | None:
    if isinstance(node, ast.Name):
        return Ref((node.id,))
    if not isinstance(node, ast.Attribute) or node.attr not in CALLED_ATTRS:
        return None
    chain = ast_chain(node)
    if chain is not None:
        return Ref(chain)
    if isinstance(node.value, ast.Call) and node.attr in POPEN_METHODS:
        return Method(node.value, node.attr)
    return None


def _ast_start(node: ast.expr | ast.keyword) -> Pos:
    return node.lineno, node.col_offset


def _ast_end(node: ast.expr | ast.keyword) -> Pos:
    return node.end_lineno or node.lineno, node.end_col_offset or 0


def call_node(
    node: ast.Call,
    scope: Scope,
    func: Ref | Method | Other,
    fline: int = 0,
    loop: ast.stmt | None = None,
    guard: tuple[Handler, ...] | None = None,
) -> CallNode:
    args = tuple(STAR if isinstance(a, ast.Starred) else value(a, scope) for a in node.args)
    keywords = {k.arg: value(k.value, scope) for k in node.keywords if k.arg is not None}
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


def value(node: object, scope: Scope) -> Value:
    """What an expression is in the model: a name, a literal, a list, a call (a `CallNode`)."""
    if isinstance(node, ast.Name):
        return Ref((node.id,))
    if isinstance(node, ast.Attribute):
        chain = ast_chain(node)
        return Ref(chain) if chain else OTHER
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.JoinedStr):
        return Text("".join(_ast_text_part(v) for v in node.values), _ast_names(node))
    if isinstance(node, (ast.List, ast.Tuple)):
        items = (
            Spread(_ast_names(e)) if isinstance(e, ast.Starred) else value(e, scope)
            for e in node.elts
        )
        return Seq(tuple(items))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return Concat(value(node.left, scope), value(node.right, scope))
    if isinstance(node, ast.Call):
        chain = ast_chain(node.func)
        func = Ref(chain) if chain else ast_func(node.func)
        return call_node(node, scope, func or OTHER)
    return Opaque(_ast_names(node)) if isinstance(node, ast.AST) else OTHER


def _ast_names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


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
