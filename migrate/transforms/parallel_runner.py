"""`parallel-hook-runner`: one dispatcher per event (`.claude/hooks/dispatch_<event>.py`) that runs
every mergeable hook of the event in one interpreter: members writing the same state file one
after another, in registration order, the rest in parallel.

Unified hooks already registered are not run as members: their own members are taken instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import jsonedit, runtime, settings, settings_edit, unified
from migrate.hooks.settings import HookRegistration
from migrate.model import FileChange, TransformResult
from migrate.transforms import register
from migrate.transforms.hook_settings import register_hooks, registration, unregister_members
from migrate.transforms.unified_hooks import PARAMS as UNIFIED_PARAMS
from migrate.transforms.unified_hooks import build, script_changes

SETTINGS = settings.SETTINGS_FILES[0]
PARAMS = {"sequential": UNIFIED_PARAMS["sequential"]}
# Keys a member entry of a generated unified hook always has (see runtime.py's docstring).
_MEMBER_KEYS = frozenset({"name", "script", "event"})


@dataclass(frozen=True)
class Dispatcher:
    """The generated hook for one event, and the registrations it takes the place of."""

    event: str
    hook: unified.UnifiedHook
    taken: tuple[HookRegistration, ...]  # as registered: plain hooks and unified hooks
    why: Mapping[str, str]  # chain name -> why its members run one after another

    def chains(self) -> dict[str, list[str]]:
        """Chain name -> its members' names, in the order they run."""
        found: dict[str, list[str]] = {}
        for member in self.hook.members:
            if member["chain"] is not None and member["name"] not in found.get(member["chain"], []):
                found.setdefault(member["chain"], []).append(member["name"])
        return found

    def parallel(self) -> list[str]:
        return list(dict.fromkeys(m["name"] for m in self.hook.members if m["chain"] is None))


def dispatcher_path(event: str) -> str:
    """`.claude/hooks/dispatch_user_prompt_submit.py` for `UserPromptSubmit`."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", event).lower()
    return f"{unified.HOOKS_DIR}/dispatch_{re.sub(r'[^a-z0-9_]', '_', snake)}.py"


def unified_hook(snapshot: Snapshot, script: str | None) -> unified.UnifiedHook | None:
    """The generated unified hook (or dispatcher) at `script`; None for any other script."""
    source = snapshot.read(script) if script else None
    if script is None or source is None or "_unified_runtime" not in source.text:
        return None
    try:
        hook = unified.parse(script, source.text)
    except (SyntaxError, ValueError):
        return None
    members_ok = hook is not None and all(
        isinstance(m, dict) and m.keys() >= _MEMBER_KEYS for m in hook.members
    )
    return hook if members_ok else None


@dataclass(frozen=True)
class _Flat:
    """Registrations with every unified hook replaced by its members."""

    regs: list[HookRegistration]
    taken: list[HookRegistration]
    sequential: list[list[str]]  # chains the unified hooks had, kept
    notes: list[str]


def _covers(reg: HookRegistration, members: Sequence[unified.Member]) -> bool:
    """Whether a unified hook's registration lets through every payload its members match, so
    that the members' own matchers alone decide (else the two would have to be intersected)."""
    if reg.event not in runtime.EVENT_MATCHER_FIELD or reg.matcher in (None, "", "*"):
        return True
    matchers = [x for m in members for x in m.get("matchers") or [""]]
    return reg.matcher == unified.combined_matcher(reg.event, matchers)


def _member_registrations(
    snapshot: Snapshot, reg: HookRegistration, member: unified.Member
) -> list[HookRegistration]:
    """A unified hook's member as if it were registered on its own, once per matcher, started
    by the interpreter the unified hook is registered with (that is what runs it now)."""
    word = str(member["script"])
    args = tuple(str(a) for a in member.get("args") or [])
    interpreter = reg.interpreter.command if reg.interpreter else "python3"
    command = " ".join([interpreter, settings.shell_word(word), *map(settings.shell_word, args)])
    parsed = settings.script_of(command, snapshot)
    return [
        HookRegistration(
            file=reg.file,
            event=reg.event,
            matcher=matcher or None,
            type="command",
            command=command,
            timeout=member.get("timeout"),
            is_async=False,
            if_rule=None,
            script=settings.project_path(word),
            script_word=word,
            args=args,
            not_mergeable=None,
            interpreter=parsed.interpreter,
        )
        for matcher in member.get("matchers") or [""]
    ]


def _not_flattened(
    reg: HookRegistration, members: Sequence[unified.Member], inner: Sequence[HookRegistration]
) -> str | None:
    """Why a unified hook's members cannot simply take its place, or None."""
    if not _covers(reg, members):
        return f"is registered under the matcher {reg.matcher!r}, narrower than its members'"
    if any(r.script is None for r in inner):
        return "has a member outside the project"
    return None


def _chain(members: Sequence[unified.Member], reg: HookRegistration) -> str | None:
    return next((m.get("chain") for m in members if m["script"] == reg.script_word), None)


def _flatten(
    snapshot: Snapshot, regs: Sequence[HookRegistration], seen: frozenset[str], own: str
) -> _Flat:
    """`regs` with each unified hook replaced by its members, keeping the chains it had (not
    those of the dispatcher `own` itself: they are worked out again, so `sequential` can shrink).
    """
    flat = _Flat([], [], [], [])
    for reg in regs:
        hook = unified_hook(snapshot, reg.script) if reg.script not in seen else None
        if hook is None:
            flat.regs.append(reg)
            flat.taken.append(reg)
            continue
        members = [m for m in hook.members if m["event"] == reg.event]
        inner = [r for m in members for r in _member_registrations(snapshot, reg, m)]
        why = _not_flattened(reg, members, inner)
        if why:
            flat.notes.append(f"{reg.event}: {hook.name} {why}; left registered as it is.")
            continue
        nested = _flatten(snapshot, inner, seen | {hook.path}, own)
        flat.regs.extend(nested.regs)
        flat.taken.append(reg)
        flat.sequential.extend(nested.sequential)
        flat.notes.extend(nested.notes)
        kept = [m["chain"] for m in members if m.get("chain") is not None and hook.path != own]
        for chain in dict.fromkeys(kept):
            flat.sequential.append(
                [r.script for r in inner if r.script and _chain(members, r) == chain]
            )
    return flat


def dispatchers(
    snapshot: Snapshot,
    event: str,
    regs: Sequence[HookRegistration],
    sequential: Sequence[Sequence[str]] = (),
    path: str | None = None,
) -> tuple[list[Dispatcher], list[str]]:
    """A dispatcher for the mergeable registrations of `event` among `regs`, one per interpreter
    and environment they start (a dispatcher never changes which Python runs a hook), and notes
    on unified hooks it had to leave alone."""
    base = path or dispatcher_path(event)
    mine = [r for r in regs if r.event == event and r.mergeable]
    found: list[Dispatcher] = []
    notes: list[str] = []
    for index, part in enumerate(unified.by_interpreter(mine)):
        where = base if index == 0 else base.removesuffix(".py") + f"_{index + 1}.py"
        flat = _flatten(snapshot, part, frozenset(), where)
        notes.extend(flat.notes)
        if not flat.regs:
            continue
        hook, why = build(snapshot, event, flat.regs, [*sequential, *flat.sequential])
        hook = replace(hook, path=where)
        found.append(Dispatcher(event, hook, tuple(flat.taken), why))
    return found, notes


@dataclass(frozen=True)
class Plan:
    dispatchers: tuple[Dispatcher, ...]
    notes: tuple[str, ...]


def _local_duplicates(regs: Sequence[HookRegistration], event: str) -> set[str]:
    """Commands registered for `event` in a local settings file as well: Claude Code runs an
    identical command once, so moving the settings.json copy into a dispatcher would run it
    twice."""
    here = [r for r in regs if r.event == event]
    local = {r.command for r in here if r.file != SETTINGS}
    return {r.command for r in here if r.file == SETTINGS and r.command in local}


def plan(snapshot: Snapshot, sequential: Sequence[Sequence[str]]) -> Plan:
    """A dispatcher for each event of settings.json with at least two mergeable hooks."""
    regs = settings.load(snapshot)
    dispatchers_: list[Dispatcher] = []
    notes: list[str] = []
    for event in dict.fromkeys(r.event for r in regs if r.file == SETTINGS):
        twice = _local_duplicates(regs, event)
        mine = [r for r in regs if r.file == SETTINGS and r.command not in twice]
        notes.extend(
            f"{event}: {r.name} is registered in a local settings file too; left as it is."
            for r in regs
            if r.event == event and r.command in twice and r.file == SETTINGS
        )
        notes.extend(
            f"{event}: `{r.command}` stays registered as it is: it {r.not_mergeable}."
            for r in mine
            if r.event == event and not r.mergeable
        )
        found, skipped = dispatchers(snapshot, event, mine, sequential)
        notes.extend(skipped)
        for d in found:
            names = list(dict.fromkeys(m["name"] for m in d.hook.members))
            if len(names) >= 2:
                dispatchers_.append(d)
                continue
            others = [r for e in found if e is not d for r in e.taken]
            if others:
                notes.append(unified.separate_note(event, d.taken[0], others))
            else:
                notes.append(
                    f"{event}: only {names[0]} to run; a dispatcher would add an interpreter start"
                    " and save nothing, so it stays registered as it is."
                )
    return Plan(tuple(dispatchers_), tuple(notes))


def chain_notes(d: Dispatcher) -> list[str]:
    """'command_tracker.py, session_state_tracker.py run in order: <why>' for each chain."""
    return [
        f"{d.hook.name}: {', '.join(names)} run in order: {d.why.get(chain, 'listed together')}"
        for chain, names in d.chains().items()
    ]


def explain(snapshot: Snapshot, params: Mapping[str, Any]) -> list[str]:
    """What the recipe would generate for this repository: each dispatcher, its chains and why."""
    found = plan(snapshot, params.get("sequential", []))
    lines = []
    for d in found.dispatchers:
        lines.append(f"{d.event}: {d.hook.path} runs {len(d.hook.scripts())} hooks")
        lines.extend(f"  {line}" for line in chain_notes(d))
        if d.parallel():
            lines.append(f"  in parallel: {', '.join(d.parallel())}")
    lines.extend(found.notes)
    if not found.dispatchers:
        lines.append("no event has two or more mergeable hooks in .claude/settings.json.")
    return lines


def _takeover(d: Dispatcher) -> unified.UnifiedHook:
    """A stand-in whose members are the registrations the dispatcher replaces (plain hooks and
    unified hooks alike, never the dispatcher itself), for `unregister_members` to remove."""
    members = tuple(
        {"event": r.event, "script": r.script_word} for r in d.taken if r.script != d.hook.path
    )
    return unified.UnifiedHook(d.hook.path, members)


def _find(text: str, d: Dispatcher, snapshot: Snapshot) -> tuple[jsonedit.Node, int, int] | None:
    """The event array, group and handler index where an earlier run registered `d`'s script."""
    table = settings_edit.load(text, SETTINGS).member("hooks")
    event = table.member(d.event) if table else None
    for g, group in enumerate(event.items if event else []):
        handlers = group.member("hooks")
        for h, handler in enumerate(handlers.items if handlers else []):
            command = handler.value.get("command") if isinstance(handler.value, dict) else None
            if command and settings.script_of(str(command), snapshot).script == d.hook.path:
                assert event is not None
                return event, g, h
    return None


def _refresh(text: str, d: Dispatcher, snapshot: Snapshot) -> str:
    """Update, in place, a dispatcher registered by an earlier run whose command, matcher or
    timeout no longer fits its members (hooks were added or changed since)."""
    found = _find(text, d, snapshot)
    if found is None:
        return text
    event, g, h = found
    group, wanted = event.items[g], registration(d.hook, d.event)
    handler = group.value["hooks"][h]
    current = (group.value.get("matcher"), handler.get("command"), handler.get("timeout"))
    new = wanted["hooks"][0]
    if current == (wanted.get("matcher"), new["command"], new["timeout"]):
        return text
    # Insert the new registration after the old one, then delete the old one: no container
    # is ever left empty (which would make the event's array go away).
    text = jsonedit.insert_child(text, event, g + 1, wanted)
    event, g, h = _find(text, d, snapshot) or found
    handlers = event.items[g].member("hooks")
    assert handlers is not None
    if len(handlers.items) == 1:
        return jsonedit.delete_child(text, event, g)
    return jsonedit.delete_child(text, handlers, h)


def rewrite_settings(
    text: str, dispatchers: Sequence[Dispatcher], snapshot: Snapshot
) -> tuple[str, int]:
    """settings.json with each dispatcher registered once for its event, where the first hook it
    replaces was, and the registrations it took over removed; how many were removed."""
    for d in dispatchers:
        text = _refresh(text, d, snapshot)
    text = register_hooks(text, [d.hook for d in dispatchers], snapshot)
    return unregister_members(text, [_takeover(d) for d in dispatchers], snapshot)


@register(
    "parallel-hook-runner",
    "One dispatcher per event running all its mergeable hooks in one interpreter.",
    PARAMS,
)
def parallel_hook_runner(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    source = snapshot.require(SETTINGS)
    found = plan(snapshot, params["sequential"])
    titled = [(d.hook, f"every mergeable {d.event} hook") for d in found.dispatchers]
    changes = script_changes(snapshot, titled)
    text, removed = rewrite_settings(source.text, found.dispatchers, snapshot)
    if text != source.text:
        changes.append(FileChange(SETTINGS, source.text, text, source.encoding, source.bom))
    notes = [line for d in found.dispatchers for line in chain_notes(d)]
    counts = {
        "dispatchers": len(found.dispatchers),
        "members": sum(len(d.hook.scripts()) for d in found.dispatchers),
        "registrations replaced": removed,
    }
    return TransformResult(tuple(changes), (), (*notes, *found.notes), counts)
