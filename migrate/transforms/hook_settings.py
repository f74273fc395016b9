"""`update-settings`: register the unified hooks in `.claude/settings.json` in place of their
members, keeping every other byte of the file as it was."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import jsonedit, settings, settings_edit, unified
from migrate.model import FileChange, TransformResult
from migrate.transforms import register

SETTINGS = settings.SETTINGS_FILES[0]


def registration(hook: unified.UnifiedHook, event: str) -> dict[str, Any]:
    """The matcher group that registers `hook` for `event`."""
    members = [m for m in hook.members if m["event"] == event]
    handler = {
        "type": "command",
        "command": hook.command,
        "timeout": unified.registration_timeout(members),
    }
    matcher = unified.combined_matcher(event, [x for m in members for x in m["matchers"]])
    return ({"matcher": matcher} if matcher is not None else {}) | {"hooks": [handler]}


def _script(handler: Mapping[str, Any], snapshot: Snapshot) -> str | None:
    return settings.script_of(str(handler.get("command", "")), snapshot).script


def _first_member_group(event: jsonedit.Node, scripts: set[str | None], snapshot: Snapshot) -> int:
    for index, group in enumerate(event.items):
        handlers = group.member("hooks")
        for handler in handlers.items if handlers else []:
            if isinstance(handler.value, dict) and _script(handler.value, snapshot) in scripts:
                return index
    return len(event.items)


def _registered(event: jsonedit.Node, command: str) -> bool:
    return any(
        isinstance(h, dict) and h.get("command") == command
        for group in event.value
        if isinstance(group, dict)
        for h in group.get("hooks", [])
    )


def register_hooks(text: str, hooks: Sequence[unified.UnifiedHook], snapshot: Snapshot) -> str:
    """Insert each unified hook's registration where its first member was registered."""
    for hook in hooks:
        for event_name in hook.events():
            root = settings_edit.load(text, SETTINGS)
            table = root.member("hooks")
            event = table.member(event_name) if table else None
            if event is None or _registered(event, hook.command):
                continue
            scripts = {_member_path(m) for m in hook.members if m["event"] == event_name}
            index = _first_member_group(event, scripts, snapshot)
            text = jsonedit.insert_child(text, event, index, registration(hook, event_name))
    return text


def _member_path(member: Mapping[str, Any]) -> str | None:
    return settings.project_path(member["script"])


def unregister_members(
    text: str, hooks: Sequence[unified.UnifiedHook], snapshot: Snapshot
) -> tuple[str, int]:
    """Remove every registration a unified hook took over."""
    taken = {(m["event"], _member_path(m)) for h in hooks for m in h.members}

    def wanted(event: str, handler: dict[str, Any]) -> bool:
        return (event, _script(handler, snapshot)) in taken

    return settings_edit.remove_handlers(text, SETTINGS, wanted)


@register("update-settings", "Register the unified hooks in settings.json in their members' place.")
def update_settings(snapshot: Snapshot, params: Mapping[str, Any]) -> TransformResult:
    source = snapshot.require(SETTINGS)
    hooks = [
        hook
        for path in snapshot.files
        if (script := snapshot.read(path)) and (hook := unified.parse(path, script.text))
    ]
    if not hooks:
        note = "no unified hooks found in .claude/hooks/; apply create-unified-hooks first."
        return TransformResult(notes=(note,))
    text = register_hooks(source.text, hooks, snapshot)
    text, removed = unregister_members(text, hooks, snapshot)
    changes = [FileChange(SETTINGS, source.text, text, source.encoding, source.bom)]
    counts = {"unified hooks": len(hooks), "registrations replaced": removed}
    return TransformResult(tuple(c for c in changes if c.before != c.after), (), (), counts)
