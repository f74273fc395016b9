"""`create-unified-hooks`: generate `.claude/hooks/unified_<group>.py` for groups of hooks."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import settings, state, unified
from migrate.model import FileChange, TransformResult
from migrate.transforms import Param, register

PLAN_GROUPS = {
    "memory": ["synapse_fire.py", "auto_remember.py", "session_context.py"],
    "detection": [
        "detect_batch.py",
        "detect_gaslight.py",
        "detect_success_auto_learn.py",
        "detect_failure_auto_learn.py",
        "detect_confidence_penalty.py",
    ],
    "epistemology": ["command_tracker.py", "confidence_tracker.py", "session_state_tracker.py"],
    "performance": ["performance_gate.py", "best_practice_enforcer.py", "detect_parallel.py"],
}


def _groups_ok(value: Any) -> bool:
    return all(
        isinstance(k, str)
        and k.isidentifier()
        and isinstance(v, list)
        and all(isinstance(x, str) for x in v)
        for k, v in value.items()
    )


def _lists_ok(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(x, list) and all(isinstance(y, str) for y in x) for x in value
    )


PARAMS = {
    "groups": Param(
        PLAN_GROUPS,
        "a table of group name = [hook file names]",
        lambda v: isinstance(v, dict) and _groups_ok(v),
    ),
    "sequential": Param(
        [], "a list of lists of hook file names that must run one after another", _lists_ok
    ),
}


def _script_path(name: str) -> str:
    return name if "/" in name else f"{unified.HOOKS_DIR}/{name}"


def pick_members(
    snapshot: Snapshot, regs: Sequence[settings.HookRegistration], names: Sequence[str]
) -> tuple[list[settings.HookRegistration], list[str]]:
    """The mergeable registrations of the named hooks, and a note for each one skipped."""
    picked, notes = [], []
    for name in names:
        script = _script_path(name)
        mine = [r for r in regs if r.script == script]
        usable = [r for r in mine if r.mergeable and r.file == settings.SETTINGS_FILES[0]]
        if not snapshot.exists(script):
            notes.append(f"{name} named by the plan does not exist; skipped.")
        elif not mine:
            notes.append(_unregistered(regs, script, name))
        elif not usable:
            why = next((r.not_mergeable for r in mine if r.not_mergeable), "is in a local file")
            notes.append(f"{name} {why}; left registered as it is.")
        picked.extend(usable)
    return picked, notes


def _unregistered(regs: Sequence[settings.HookRegistration], script: str, name: str) -> str:
    """Why a named hook is not a member: registered in a form no unified hook can take, or not
    registered at all."""
    named = [r for r in regs if r.not_mergeable and script in r.command]
    if named:
        reg = named[0]
        return f"{name} is registered as `{reg.command}`, which {reg.not_mergeable}; left as it is."
    return f"{name} is not registered in any settings file; skipped."


def build(
    snapshot: Snapshot,
    name: str,
    members: Sequence[settings.HookRegistration],
    sequential: Sequence[Sequence[str]],
) -> tuple[unified.UnifiedHook, dict[str, str]]:
    """The unified hook for these registrations, and why its chains were formed."""
    scripts = list(dict.fromkeys(r.script for r in members if r.script))
    sequential_paths = [[_script_path(n) for n in chain] for chain in sequential]
    chains = state.chains(snapshot, scripts, sequential_paths)
    imports = functools.cache(lambda script: unified.stdlib_imports(snapshot, script))
    entries = unified.members_from(members, chains.chain_of, imports)
    path = f"{unified.HOOKS_DIR}/unified_{name}.py"
    return unified.for_members(path, entries, members), dict(chains.why)


def file_change(snapshot: Snapshot, path: str, text: str) -> FileChange | None:
    """Create or update `path` to `text`; None when it already holds exactly that."""
    current = snapshot.read(path)
    if current is not None and current.text == text:
        return None
    return FileChange(path, current.text if current else None, text)


def script_changes(
    snapshot: Snapshot, titled: Sequence[tuple[unified.UnifiedHook, str]]
) -> list[FileChange]:
    """The generated scripts (and the runtime beside them) that differ from what is there."""
    texts = {hook.path: unified.render(hook, title) for hook, title in titled}
    if titled:
        texts[unified.RUNTIME_FILE] = unified.runtime_source()
    return [c for p, t in texts.items() if (c := file_change(snapshot, p, t))]


def _described(part: Sequence[settings.HookRegistration]) -> str:
    first = part[0].interpreter
    return first.describe() if first else "their own command"


@register("create-unified-hooks", "Generate unified hooks that run groups of hooks as one.", PARAMS)
def create_unified_hooks(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    regs = settings.load(snapshot)
    hooks, notes = [], []
    for group, names in params["groups"].items():
        members, skipped = pick_members(snapshot, regs, names)
        notes.extend(skipped)
        made = 0
        for part in unified.by_interpreter(members):
            if len({r.script for r in part}) < 2:
                if len(part) < len(members):
                    others = [r for r in members if r not in part]
                    notes.append(unified.separate_note(f"group {group}", part[0], others))
                continue
            name = group if made == 0 else f"{group}_{made + 1}"
            hook, why = build(snapshot, name, part, params["sequential"])
            notes.extend(
                f"{hook.name}: {chain} runs in order because {reason}"
                for chain, reason in why.items()
            )
            if made == 0 and len(part) < len(members):
                notes.append(f"{hook.name}: runs its members under {_described(part)}.")
            hooks.append(hook)
            made += 1
        if made == 0:
            notes.append(f"group {group}: fewer than two hooks to merge; no unified hook.")
    titled = [(h, f"the plan's {PurePosixPath(h.path).stem} group") for h in hooks]
    changes = script_changes(snapshot, titled)
    counts = {"unified hooks": len(hooks), "members": sum(len(h.scripts()) for h in hooks)}
    return TransformResult(tuple(changes), (), tuple(notes), counts)
