"""User recipes: `libcst:FILE.py` (a LibCST codemod or transformer class) and `bowler:FILE.py`.

Both produce the same `FileChange` list as the built-in transforms, so preview, approval,
validation and revert work unchanged.
"""

from __future__ import annotations

import importlib.util
import inspect
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import libcst
from libcst.codemod import Codemod, CodemodContext, SkipFile

from migrate.errors import UserError
from migrate.files import PYTHON, Snapshot
from migrate.model import FileChange, Finding, TransformResult
from migrate.pysource.parse import Unparsable, parse_cst
from migrate.transforms._signature import TransformFn


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"migrate_user_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        raise UserError(f"{path}: importing the recipe module failed ({_last_line(e)}).") from None
    return module


def _last_line(e: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(e), e)).strip()
    return text.splitlines()[-1] if text else type(e).__name__


def _guarded(path: Path, rel: str, run: Callable[[], str | None]) -> str | None:
    """User code on one file; whatever it raises (or a sys.exit) is the recipe's error."""
    try:
        return run()
    except (Exception, SystemExit) as e:
        if isinstance(e, libcst.ParserSyntaxError):
            raise
        raise UserError(f"{path}: the transform failed on {rel}: {_last_line(e)}.") from None


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


def _transform_text(cls: type[Any], module: libcst.Module, params: Mapping[str, Any]) -> str:
    text = module.code
    if issubclass(cls, Codemod):
        codemod = cls(CodemodContext(), **params)
        try:
            return str(codemod.transform_module(module).code)
        except SkipFile:
            return text
    return str(module.visit(cls(**params)).code)


def _run_libcst(
    cls: type[Any], path: Path, snapshot: Snapshot, params: Mapping[str, Any]
) -> TransformResult:
    changes, findings = [], []
    for rel in snapshot.files:
        source = snapshot.read(rel) if rel.endswith(PYTHON) else None
        if source is None:
            continue
        module = parse_cst(source.text)
        if isinstance(module, Unparsable):
            message = f"LibCST cannot parse it: {module.reason}"
            findings.append(Finding(rel, module.line, "parse-error", message))
            continue
        try:
            after = _guarded(path, rel, lambda m=module: _transform_text(cls, m, params))  # type: ignore[misc]
        except libcst.ParserSyntaxError as e:  # the user's code parsing a snippet
            findings.append(
                Finding(rel, e.raw_line, "parse-error", f"LibCST cannot parse it: {e.message}")
            )
            continue
        if after is not None and after != source.text:
            changes.append(FileChange(rel, source.text, after, source.encoding, source.bom))
    counts = {"files": len(changes), "unparsable": len(findings)}
    return TransformResult(tuple(changes), tuple(findings), (), counts)


def _bowler_tool(build: Any, path: Path) -> Any:
    from bowler import Query
    from bowler.tool import BowlerTool

    query = Query(["."])
    try:
        built = build(query)
    except (Exception, SystemExit) as e:
        raise UserError(f"{path}: query(q) failed: {_last_line(e)}.") from None
    query = built if isinstance(built, Query) else query
    return BowlerTool(
        query.compile(),
        interactive=False,
        write=False,
        silent=True,
        in_process=True,
        options={"print_function": True},
    )


def _bowler_text(tool: Any, text: str, path: str) -> str | None:
    """The new text, or None when Bowler's parser (fissix) cannot read the file."""
    import logging

    logging.getLogger("RefactoringTool").disabled = True
    padded = text if text.endswith("\n") else text + "\n"
    tree = tool.refactor_string(padded, path)
    if tree is None:
        return None
    after = str(tree)
    return after if text.endswith("\n") else after[:-1]


def _run_bowler(build: Any, path: Path, snapshot: Snapshot) -> TransformResult:
    tool = _bowler_tool(build, path)
    changes, findings = [], []
    for rel in snapshot.files:
        source = snapshot.read(rel) if rel.endswith(PYTHON) else None
        if source is None:
            continue
        after = _guarded(path, rel, lambda t=source.text, r=rel: _bowler_text(tool, t, r))  # type: ignore[misc]
        if after is None:
            message = "Bowler cannot parse it (its parser stops at Python 3.9 syntax such as match)"
            findings.append(Finding(rel, 1, "parse-error", message))
        elif after != source.text:
            changes.append(FileChange(rel, source.text, after, source.encoding, source.bom))
    counts = {"files": len(changes), "unparsable": len(findings)}
    return TransformResult(tuple(changes), tuple(findings), (), counts)


def load(transform: str, source: Path) -> TransformFn:
    """The transform function for a user recipe; `source` is the recipe file it is relative to."""
    kind, _, rel = transform.partition(":")
    path = source.parent / rel
    module = _import(path)
    if kind == "libcst":
        cls = _libcst_class(module, path)
        return lambda snapshot, params: _run_libcst(cls, path, snapshot, params)
    build = getattr(module, "query", None)
    if not callable(build):
        raise UserError(f"{path}: defines no function `query(q)` that adds Bowler selectors.")
    return lambda snapshot, params: _run_bowler(build, path, snapshot)
