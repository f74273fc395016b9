"""`remove-old-hooks`: delete hook scripts nothing runs or imports any more."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from migrate.files import Snapshot, match_glob
from migrate.hooks import settings, unified
from migrate.model import FileChange, Finding, TransformResult
from migrate.transforms import register
from migrate.transforms._source import parse

HOOK_SCRIPTS = f"{unified.HOOKS_DIR}/*.py"


def _imported_modules(snapshot: Snapshot, names: set[str]) -> set[str]:
    """Which of the module `names` some Python file of the repository imports."""
    found: set[str] = set()
    for path in snapshot.files:
        source = snapshot.read(path) if path.endswith(".py") else None
        if source is None or not any(n in source.text for n in names - found):
            continue
        tree = parse(source.text, path)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[-1] for a in node.names} & names
            elif isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module.split(".")[-1]} & names
    return found


def _generated_hooks(snapshot: Snapshot, hooks: list[str]) -> list[unified.UnifiedHook]:
    """Unified hooks and dispatchers: any hook script that carries a MEMBERS list."""
    found = []
    for path in hooks:
        source = snapshot.read(path)
        hook = unified.parse(path, source.text) if source and "MEMBERS" in source.text else None
        if hook is not None:
            found.append(hook)
    return found


def _mentioned(regs: list[settings.HookRegistration], name: str) -> bool:
    return any(name in r.command for r in regs)


@register("remove-old-hooks", "Delete hook scripts that nothing registers, runs or imports.")
def remove_old_hooks(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    regs = settings.load(snapshot)
    hooks = [p for p in snapshot.files if match_glob(HOOK_SCRIPTS, p)]
    generated = _generated_hooks(snapshot, hooks)
    keep = {unified.RUNTIME_FILE} | {h.path for h in generated}
    keep |= {settings.project_path(m["script"]) or "" for h in generated for m in h.members}
    candidates = {p for p in hooks if p not in keep and not _mentioned(regs, PurePosixPath(p).name)}
    imported = _imported_modules(snapshot, {PurePosixPath(p).stem for p in candidates})
    dead = sorted(p for p in candidates if PurePosixPath(p).stem not in imported)
    changes, findings = [], []
    for path in dead:
        source = snapshot.read(path)
        if source is None:
            continue
        changes.append(FileChange(path, source.text, None, source.encoding, source.bom))
        findings.append(
            Finding(path, 1, "dead-hook", "registered nowhere, not imported: removed", True)
        )
    notes = tuple(f"dead hook: {p}" for p in dead)
    return TransformResult(tuple(changes), tuple(findings), notes, {"removed": len(changes)})
