"""User recipes: `libcst:FILE.py` (a LibCST codemod or transformer class) and `bowler:FILE.py`.

Both produce the same `FileChange` list as the built-in transforms, so preview, approval,
validation and revert work unchanged.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import libcst
from libcst.codemod import Codemod, CodemodContext, SkipFile

from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.model import FileChange, Finding, TransformResult
from migrate.transforms import TransformFn


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"migrate_user_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise UserError(f"{path}: importing the recipe module failed ({e!r}).") from None
    return module


def _libcst_class(module: ModuleType, path: Path) -> type[Any]:
    """The module's own codemod or transformer class (the last one defined, if several)."""
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and issubclass(obj, Codemod | libcst.CSTTransformer)
    ]
    if not found:
        raise UserError(f"{path}: defines no LibCST Codemod or CSTTransformer class.")
    return found[-1]


def _transform_text(cls: type[Any], text: str, params: Mapping[str, Any]) -> str:
    module = libcst.parse_module(text)
    if issubclass(cls, Codemod):
        codemod = cls(CodemodContext(), **params)
        try:
            return str(codemod.transform_module(module).code)
        except SkipFile:
            return text
    return str(module.visit(cls(**params)).code)


def _run_libcst(cls: type[Any], snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    changes, findings = [], []
    for path in snapshot.files:
        source = snapshot.read(path) if path.endswith((".py", ".pyi")) else None
        if source is None:
            continue
        try:
            after = _transform_text(cls, source.text, params)
        except libcst.ParserSyntaxError as e:
            findings.append(
                Finding(path, e.raw_line, "parse-error", f"LibCST cannot parse it: {e.message}")
            )
            continue
        if after != source.text:
            changes.append(FileChange(path, source.text, after, source.encoding, source.bom))
    counts = {"files": len(changes), "unparsable": len(findings)}
    return TransformResult(tuple(changes), tuple(findings), (), counts)


def load(transform: str, source: Path) -> TransformFn:
    """The transform function for a user recipe; `source` is the recipe file it is relative to."""
    kind, _, rel = transform.partition(":")
    path = source.parent / rel
    module = _import(path)
    if kind == "libcst":
        cls = _libcst_class(module, path)
        return lambda snapshot, params: _run_libcst(cls, snapshot, params)
    raise UserError(f"{source}: key 'transform': {kind!r} recipes are not supported.")
