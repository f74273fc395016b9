"""`remove-old-hooks`: delete the hook scripts unification replaced, and nothing else.

A registered unified hook or dispatcher runs its members' own scripts, so those always stay. What
unification replaces is a unified hook that a dispatcher took over: registered nowhere now, every
member it ran run by a registered dispatcher, and named by nothing else in the repository (no
other settings file, document, shell script, test or import). Every other script is kept and
listed with the reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import settings, unified
from migrate.model import FileChange, Finding, TransformResult
from migrate.pysource.parse import ast_module
from migrate.transforms import register
from migrate.transforms.parallel_runner import unified_hook

MIGRATE_DIR = ".migrate/"
NOTHING_UNIFIED = "no unified hook or dispatcher is registered; no hook script removed."


@dataclass(frozen=True)
class _Reference:
    """A place that names a hook script: `README.md:118`, or why it is kept otherwise."""

    source: str  # the file holding the reference
    reason: str  # "named in README.md:118"


def _registered_generated(
    snapshot: Snapshot, regs: Sequence[settings.HookRegistration]
) -> list[unified.UnifiedHook]:
    """The unified hooks and dispatchers that a settings file registers now."""
    found: dict[str, unified.UnifiedHook] = {}
    for reg in regs:
        hook = unified_hook(snapshot, reg.script) if reg.script not in found else None
        if hook is not None:
            found[hook.path] = hook
    return list(found.values())


def _members(hooks: Sequence[unified.UnifiedHook]) -> list[str]:
    paths = (settings.project_path(str(m["script"])) for h in hooks for m in h.members)
    return sorted({p for p in paths if p})


def _name_pattern(script: str) -> re.Pattern[str]:
    """The file name as a word of its own: `a.py` is not named by `data.py` or `a.pyc`."""
    name = re.escape(PurePosixPath(script).name)
    return re.compile(rf"(?<![\w.-]){name}(?![\w])")


def _references(
    snapshot: Snapshot, candidates: Sequence[str], ignored: frozenset[str]
) -> dict[str, list[_Reference]]:
    """For each candidate, every file of the repository that names it (each file read once),
    apart from the `ignored` ones and the candidate itself."""
    patterns = {c: _name_pattern(c) for c in candidates}
    found: dict[str, list[_Reference]] = {c: [] for c in candidates}
    for path in snapshot.files:
        # migrate's own recipes name the members to unify: that is no use of them.
        own = path in ignored or path.startswith(MIGRATE_DIR)
        source = None if own else snapshot.read(path)
        if source is None:
            continue
        for script, pattern in patterns.items():
            reason = _named_in(source.text, path, script, pattern) if path != script else None
            if reason:
                found[script].append(_Reference(path, reason))
    return found


def _named_in(text: str, path: str, script: str, pattern: re.Pattern[str]) -> str | None:
    """`named in README.md:118` when the text names the script (or imports it as a module)."""
    hit = pattern.search(text)
    if hit:
        return f"named in {path}:{text.count(chr(10), 0, hit.start()) + 1}"
    stem = PurePosixPath(script).stem
    line = _import_line(text, path, stem) if path.endswith(".py") and stem in text else None
    return f"imported by {path}:{line}" if line else None


def _import_line(text: str, path: str, stem: str) -> int | None:
    tree = ast_module(text, path)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[-1] == stem for a in node.names):
                return node.lineno
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module.split(".")[-1]] if node.module else []
            if stem in modules or any(a.name == stem for a in node.names):
                return node.lineno
    return None


def _kept(snapshot: Snapshot, candidates: Sequence[str], ignored: frozenset[str]) -> dict[str, str]:
    """Why each candidate that something still names stays. References from scripts that are
    removed themselves do not count, so members that only name each other all go."""
    refs = _references(snapshot, candidates, ignored)
    kept: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        removed = {c for c in candidates if c not in kept}
        for script in sorted(removed):
            live = [r for r in refs[script] if r.source not in removed]
            if live:
                kept[script] = live[0].reason
                changed = True
    return kept


def _generated(snapshot: Snapshot) -> list[unified.UnifiedHook]:
    """Every unified hook and dispatcher script of the repository, registered or not."""
    found = []
    for path in snapshot.files:
        hook = unified_hook(snapshot, path) if path.endswith(".py") else None
        if hook is not None:
            found.append(hook)
    return found


def _runs(hook: unified.UnifiedHook) -> set[tuple[str, str | None]]:
    return {(str(m["event"]), settings.project_path(str(m["script"]))) for m in hook.members}


def _replaced(
    hook: unified.UnifiedHook, registered: Sequence[unified.UnifiedHook]
) -> unified.UnifiedHook | None:
    """The registered hook (or dispatcher) that runs every member `hook` ran, if one does."""
    for other in registered:
        if _runs(hook) <= _runs(other):
            return other
    return None


@register("remove-old-hooks", "Delete the hook scripts unification replaced and nothing names.")
def remove_old_hooks(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    regs = settings.load(snapshot)
    registered = _registered_generated(snapshot, regs)
    if not registered:
        return TransformResult(notes=(NOTHING_UNIFIED,), counts={"removed": 0})
    kept: dict[str, str] = {}
    # A member's script is what the unified hook runs: it is never replaced.
    for hook in registered:
        for member in _members([hook]):
            kept.setdefault(member, f"a member the registered {hook.name} runs")
    candidates: dict[str, str] = {}
    mine = {h.path for h in registered}
    for hook in _generated(snapshot):
        if hook.path in mine:
            continue
        by = _replaced(hook, registered)
        if by is None:
            kept[hook.path] = (
                "a unified hook registered nowhere, but no registered one runs all of its members"
            )
        else:
            candidates[hook.path] = by.name
    ignored = frozenset(mine | {unified.RUNTIME_FILE})
    kept |= _kept(snapshot, sorted(candidates), ignored)
    changes, findings = [], []
    for path in sorted(p for p in candidates if p not in kept):
        source = snapshot.read(path)
        if source is None:
            continue
        changes.append(FileChange(path, source.text, None, source.encoding, source.bom))
        why = f"replaced by {candidates[path]}, registered nowhere, named nowhere: removed"
        findings.append(Finding(path, 1, "dead-hook", why, True))
    notes = [f"removed: {c.path} (replaced by {candidates[c.path]})" for c in changes]
    notes += [f"kept: {path}: {why}" for path, why in sorted(kept.items())]
    counts = {"removed": len(changes), "kept": len(kept)}
    return TransformResult(tuple(changes), tuple(findings), tuple(notes), counts)
