"""Removing hook registrations from a settings file, keeping every other byte as it was."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from migrate.errors import UserError
from migrate.hooks import jsonedit

Handler = dict[str, Any]


def load(text: str, path: str) -> jsonedit.Node:
    """The settings document; invalid JSON names the file, line and column."""
    try:
        return jsonedit.parse_document(text)
    except jsonedit.JSONShapeError as e:
        line, col = jsonedit.line_col(text, e.pos)
        raise UserError(f"{path}: invalid JSON at line {line}, column {col} ({e}).") from None


def script_names(command: str) -> set[str]:
    """The names a handler's command can be called by: each script's file name, with and without
    its `.py` suffix."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    names = set()
    for word in words:
        name = PurePosixPath(word.replace("\\", "/")).name
        if name.endswith(".py"):
            names |= {name, name[:-3]}
    return names


Wanted = Callable[[str, Handler], bool]  # (event, handler) -> remove it?


def _first_match(root: jsonedit.Node, wanted: Wanted) -> list[tuple[jsonedit.Node, int]] | None:
    """The path (parent, index) from the `hooks` table down to the first wanted handler."""
    hooks = root.member("hooks")
    if hooks is None or not hooks.keys:
        return None
    for e_index, ((event_name, _), event) in enumerate(zip(hooks.keys, hooks.items, strict=True)):
        for g_index, group in enumerate(event.items):
            handlers = group.member("hooks")
            for h_index, handler in enumerate(handlers.items if handlers else []):
                if isinstance(handler.value, dict) and wanted(event_name, handler.value):
                    assert handlers is not None
                    return [(hooks, e_index), (event, g_index), (handlers, h_index)]
    return None


def remove_handlers(text: str, path: str, wanted: Wanted) -> tuple[str, int]:
    """Text without the wanted handlers (emptied matcher groups and events go too), and how many."""
    removed = 0
    while True:
        found = _first_match(load(text, path), wanted)
        if found is None:
            return text, removed
        removed += 1
        # Delete the deepest level whose container would not become empty.
        for parent, index in reversed(found):
            if len(parent.items) > 1 or parent is found[0][0]:
                text = jsonedit.delete_child(text, parent, index)
                break


def disable(text: str, path: str, name: str) -> str:
    """Remove every registration of the hook script `name` (`x` or `x.py`)."""
    new, count = remove_handlers(
        text, path, lambda _, h: name in script_names(str(h.get("command", "")))
    )
    if count == 0:
        raise UserError(f"{path}: no hook named {name!r} is registered.")
    return new
