"""Which files a hook script writes, found statically with `ast` (the code is never imported):
the calls that write (`open(..., "w")`, `Path.write_text`, `os.replace`, logging files ...),
their paths from the evaluator, and the evidence `migrate show` explains them by."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from migrate.files import Snapshot
from migrate.hooks.state.bindings import (
    OPAQUE,
    TEMP,
    Args,
    Ext,
    Func,
    Module,
    Scope,
    Site,
    Value,
    Write,
    argument,
    import_bindings,
    load_module,
    names_in,
    params,
)
from migrate.hooks.state.evaluate import MAX_DEPTH, Evaluator
from migrate.hooks.state.paths import norm
from migrate.pysource.scopes import Imported

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


class Analysis(Evaluator):
    """One script's analysis: the evaluator, and the writes it finds following calls."""

    def __init__(self, snapshot: Snapshot, script: Module) -> None:
        super().__init__(snapshot, script)
        self.written: dict[tuple[object, ...], tuple[Write, ...]] = {}
        self.analysed: set[int] = set()  # functions whose writes were followed
        self.referenced: list[Func] = []  # functions passed around rather than called

    def unit_writes(self, body: Iterable[ast.AST], scope: Scope) -> list[Write]:
        """The writes of a module's top level or of a function body, following calls."""
        writes: list[Write] = []
        called: set[int] = set()
        for node, inner in _walk(body, scope):
            if isinstance(node, ast.Call):
                called.add(id(node.func))
                writes.extend(self.sink_writes(node, inner))
                writes.extend(self.call_writes(node, inner))
            elif isinstance(node, ast.Name | ast.Attribute) and id(node) not in called:
                ref = self.ref(node, inner) if isinstance(node.ctx, ast.Load) else None
                if isinstance(ref, Func):
                    self.referenced.append(ref)
        return writes

    def call_writes(self, call: ast.Call, scope: Scope) -> list[Write]:
        callee = self.callee(call, scope)
        if not isinstance(callee, Func):
            return []
        here = (scope.file, call) if scope.file is self.script else None
        if len(self.active) >= MAX_DEPTH:
            site = here or (scope.file, call)
            return [Write(None, site, here, "calls too deeply nested to follow")]
        found = self.function_writes(callee, self.bind(callee, call, scope))
        return [w if w.site is not None else replace(w, site=here) for w in found]

    def function_writes(self, func: Func, bound: Args) -> tuple[Write, ...]:
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

    def sink_writes(self, call: ast.Call, scope: Scope) -> list[Write]:
        here = (scope.file, call)
        site = here if scope.file is self.script else None
        writes = []
        for target in self.sink_targets(call, scope):
            if target is not TEMP:
                path = target if isinstance(target, str) else None
                writes.append(Write(None if path is None else norm(path), here, site))
        return writes

    def sink_targets(self, call: ast.Call, scope: Scope) -> list[Value]:
        """The values of the paths a call writes, when it is a write."""
        callee = self.callee(call, scope)
        if isinstance(callee, Ext):
            target = self.library_sink(callee.name, call, scope)
            return [] if target is None else [self.eval(target, scope)]
        if callee is None and isinstance(call.func, ast.Attribute):
            return self.method_sink(call, call.func, scope)
        return []

    def library_sink(self, name: str, call: ast.Call, scope: Scope) -> ast.expr | None:
        """The path argument of a library call that writes it."""
        if name in _OPENERS and self.writes_mode(argument(call, 1, "mode"), scope):
            return argument(call, 0, "file") or argument(call, 0, "filename")
        if name in _MOVES:
            return argument(call, 1, "dst")
        if name in _DELETES:
            return argument(call, 0, "path")
        if name == "sqlite3.connect":
            database = argument(call, 0, "database")
            in_memory = database is not None and self.eval(database, scope) in (":memory:", "")
            return None if in_memory else database
        if name in _LOG_FILES:
            return argument(call, 0, "filename")
        if name == "logging.basicConfig":  # takes keywords only
            return next((k.value for k in call.keywords if k.arg == "filename"), None)
        return None

    def method_sink(self, call: ast.Call, func: ast.Attribute, scope: Scope) -> list[Value]:
        """`path.open("w")`, `path.write_text(...)` and friends on a value."""
        if func.attr in _PATH_WRITERS:
            return [self.eval(func.value, scope)]
        if func.attr in ("rename", "replace") and len(call.args) + len(call.keywords) == 1:
            target = argument(call, 0, "target")  # one argument: not str.replace(old, new)
            return [self.eval(target, scope)] if target is not None else []
        if func.attr == "open":
            receiver = self.eval(func.value, scope)
            mode_node = argument(call, 0, "mode")
            mode = self.eval(mode_node, scope) if mode_node is not None else "r"
            if isinstance(mode, str):
                writes = _MODE.fullmatch(mode) is not None and any(c in mode for c in "wax+")
            else:  # `browser.open(url)` is no write; `STATE.open(mode)` may be
                writes = receiver is not None
            return [receiver] if writes else []
        return []

    def writes_mode(self, node: ast.expr | None, scope: Scope) -> bool:
        """Whether an `open` mode writes; a mode not known statically is taken to write."""
        mode = "r" if node is None else self.eval(node, scope)
        return not isinstance(mode, str) or any(c in mode for c in "wax+")

    # -- the whole script

    def run(self) -> list[Write]:
        """Writes of the script's top level and what it calls, of the top level of the siblings
        it imports (they run on import), then of functions nothing was seen calling."""
        writes: list[Write] = []
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

    def load_imports(self, module: Module) -> None:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for _, binding in import_bindings(node):
                    if isinstance(binding, Imported) and "." not in binding.module:
                        self.sibling(binding.module)

    def pending_functions(self) -> list[Func]:
        """Functions not yet followed: passed as callbacks, or defined in the script at all."""
        own = [
            Func(n, self.script)
            for n in ast.walk(self.script.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        candidates, self.referenced = [*self.referenced, *own], []
        pending: dict[int, Func] = {}
        for func in candidates:
            if id(func.node) not in self.analysed:
                pending.setdefault(id(func.node), func)
        return list(pending.values())


def _walk(body: Iterable[ast.AST], scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
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
            yield from _walk([node.body], _hiding(scope, params(node)))
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            names = [name for gen in node.generators for name in names_in(gen.target)]
            yield from _walk(ast.iter_child_nodes(node), _hiding(scope, names))
        else:
            yield from _walk(ast.iter_child_nodes(node), scope)


def _hiding(scope: Scope, names: Sequence[str]) -> Scope:
    hidden = Scope(scope, "comprehension", file=scope.file)
    for name in names:
        hidden.bind(name, OPAQUE)
    return hidden


def _snippet(module: Module, node: ast.AST) -> str:
    """A call as it reads in the source, one line, with long or literal arguments elided."""
    if not isinstance(node, ast.Call):
        return _segment(module, node, 60)
    literal = ast.Dict | ast.List | ast.Set | ast.Tuple | ast.ListComp | ast.DictComp
    args = ["..." if isinstance(a, literal) else _segment(module, a, 40) for a in node.args]
    args += [f"{k.arg}=..." if k.arg else "**..." for k in node.keywords]
    return f"{_segment(module, node.func, 40)}({', '.join(args)})"


def _segment(module: Module, node: ast.AST, limit: int) -> str:
    text = " ".join((ast.get_source_segment(module.text, node) or "...").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(site: Site) -> str:
    module, node = site
    return f"{module.name}:{getattr(node, 'lineno', 0)}: {_snippet(module, node)}"


def _describe(write: Write) -> tuple[str | None, str]:
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


def writes(snapshot: Snapshot, script: str) -> StateWrites:
    """The files `script` may write, found without running or importing it."""
    script = norm(script)
    name = PurePosixPath(script).name
    module = load_module(snapshot, script)
    if module is None:
        reason = f"{name}: cannot be read or parsed, so what it writes is not known"
        return StateWrites(script, frozenset(), (reason,), ())
    try:
        found = Analysis(snapshot, module).run()
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
