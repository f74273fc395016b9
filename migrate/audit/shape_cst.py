"""The audit's reading of a module only LibCST can parse (syntax newer than this interpreter).

A module of its own so that LibCST (a third of a second to import) is only loaded when needed.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from migrate.audit.shape import Call, Shape, Workers
from migrate.pysource.pool_calls import KEYWORD
from migrate.pysource.subprocess_sites.cst_front import cst_chain, cst_dotted


def read_shape_cst(tree: cst.Module, shape: Shape) -> None:
    """Add the module's calls and imports to `shape` (without loops)."""
    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    tree.visit(_CstReader(shape, wrapper.resolve(PositionProvider)))


class _CstReader(cst.CSTVisitor):
    """The same calls and imports as `shape_ast`'s reader, for syntax only LibCST can parse here."""

    def __init__(self, shape: Shape, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        super().__init__()
        self.shape = shape
        self.positions = positions

    def visit_Call(self, node: cst.Call) -> None:
        chain = cst_chain(node.func)
        if chain is None:
            return
        keyword = next((a for a in node.args if a.keyword and a.keyword.value == KEYWORD), None)
        first = node.args[0] if node.args and not node.args[0].keyword else None
        stars = any(a.star == "**" for a in node.args)
        line = self.positions[node].start.line
        self.shape.calls.append(
            Call(line, chain, _cst_workers(keyword), _cst_workers(first), stars)
        )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self.shape.add_import(cst_dotted(alias.name), _asname(alias))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = cst_dotted(node.module) if node.module is not None else None
        for alias in node.names:
            self.shape.add_from(module, len(node.relative), cst_dotted(alias.name), _asname(alias))


def _asname(alias: cst.ImportAlias) -> str | None:
    local = alias.asname.name if alias.asname else None
    return cst_dotted(cst.ensure_type(local, cst.Name)) if local else None


def _cst_workers(arg: cst.Arg | None) -> Workers:
    if arg is None:
        return None
    if isinstance(arg.value, cst.Integer) and not arg.star:
        return int(arg.value.evaluated_value)
    return "dynamic"
