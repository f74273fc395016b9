"""Path arithmetic on the values the evaluator knows: joins, parents, `Path` attributes and
methods, all on repository-relative posix paths."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from migrate.hooks.state.bindings import TEMP, Value


def norm(path: str) -> str:
    return posixpath.normpath(path) if path else "."


def join(parts: Sequence[Value]) -> Value:
    if TEMP in parts and None not in parts:
        return TEMP
    strings = [p for p in parts if isinstance(p, str)]
    if not parts or len(strings) < len(parts):
        return None
    return norm(posixpath.join(*strings))


def parent(path: Value) -> Value:
    if not isinstance(path, str):
        return None
    normal = norm(path)
    if posixpath.basename(normal) in (".", ".."):
        return norm(normal + "/..")
    return posixpath.dirname(normal) or "."


def attribute(value: Value, attr: str) -> Value:
    if value is TEMP:
        return TEMP if attr == "name" else None
    if not isinstance(value, str):
        return None
    if attr == "parent":
        return parent(value)
    if attr == "name":
        return posixpath.basename(norm(value))
    return None


def method(value: Value, attr: str, args: Sequence[Value]) -> Value:
    """`Path` methods that give another path."""
    if attr in ("resolve", "absolute", "as_posix", "expanduser"):
        return None if isinstance(value, str) and value.startswith("~") else value
    if attr == "joinpath":
        return join([value, *args])
    if attr == "with_name" and len(args) == 1:
        return join([parent(value), args[0]])
    if attr == "with_suffix" and len(args) == 1 and isinstance(value, str):
        suffix = args[0]
        return posixpath.splitext(value)[0] + suffix if isinstance(suffix, str) else None
    return None
