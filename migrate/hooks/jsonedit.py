"""Minimal edits to JSON text: parse with positions, then delete or replace single values.

Used for `.claude/settings.json`, where every byte the user wrote outside the edit must stay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


@dataclass
class Node:
    """A JSON value and where it stands in the text; containers keep their children's nodes."""

    start: int
    end: int
    value: Any
    items: list[Node] = field(default_factory=list)
    keys: list[tuple[str, int]] = field(default_factory=list)  # (key, where the key starts)

    def member(self, key: str) -> Node | None:
        for (name, _), node in zip(self.keys, self.items, strict=True):
            if name == key:
                return node
        return None


class JSONShapeError(ValueError):
    """The text is not JSON; `pos` says where."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _expect(text: str, i: int, ch: str) -> int:
    i = _skip(text, i)
    if i >= len(text) or text[i] != ch:
        raise JSONShapeError(f"expected {ch!r}", i)
    return i + 1


def _container(text: str, start: int, close: str, is_object: bool) -> Node:
    node = Node(start, start, {} if is_object else [])
    i = _skip(text, start + 1)
    if i < len(text) and text[i] == close:
        node.end = i + 1
        return node
    while True:
        i = _skip(text, i)
        if is_object:
            key_start = i
            key, i = scanstring(text, _expect(text, i, '"'))
            i = _expect(text, i, ":")
            child = parse(text, i)
            node.keys.append((key, key_start))
            node.value[key] = child.value
        else:
            child = parse(text, i)
            node.value.append(child.value)
        node.items.append(child)
        i = _skip(text, child.end)
        if i < len(text) and text[i] == close:
            node.end = i + 1
            return node
        i = _expect(text, i, ",")


def parse(text: str, i: int = 0) -> Node:
    """The JSON value starting at (or after whitespace from) `i`."""
    i = _skip(text, i)
    if i >= len(text):
        raise JSONShapeError("unexpected end of text", i)
    if text[i] == "{":
        return _container(text, i, "}", True)
    if text[i] == "[":
        return _container(text, i, "]", False)
    try:
        value, end = _DECODER.raw_decode(text, i)
    except json.JSONDecodeError as e:
        raise JSONShapeError(e.msg, e.pos) from None
    return Node(i, end, value)


def parse_document(text: str) -> Node:
    try:
        root = parse(text)
    except RecursionError:
        raise JSONShapeError("nested too deeply to read", 0) from None
    if _skip(text, root.end) != len(text):
        raise JSONShapeError("extra data after the JSON value", _skip(text, root.end))
    return root


def delete_child(text: str, parent: Node, index: int) -> str:
    """Text without child `index` of `parent` (an array item or an object member), commas fixed."""
    start = parent.keys[index][1] if parent.keys else parent.items[index].start
    end = parent.items[index].end
    if len(parent.items) == 1:
        return text[: parent.start + 1] + text[parent.end - 1 :]
    if index > 0:
        return text[: parent.items[index - 1].end] + text[end:]
    following = parent.keys[1][1] if parent.keys else parent.items[1].start
    return text[:start] + text[following:]


def line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def indent_unit(text: str) -> str:
    """The file's indentation step (two spaces when it has none)."""
    widths = [
        len(line) - len(line.lstrip(" \t"))
        for line in text.splitlines()
        if line.strip() and line[:1] in " \t"
    ]
    if not widths:
        return "  "
    smallest = min(widths)
    char = "\t" if any(line.startswith("\t") for line in text.splitlines()) else " "
    return char * smallest


def render(value: Any, unit: str, column: str) -> str:
    """`value` as JSON in the file's style, its continuation lines indented by `column`."""
    lines = json.dumps(value, indent=unit, ensure_ascii=False).split("\n")
    return "\n".join([lines[0], *(column + line for line in lines[1:])])


def _space_before(text: str, pos: int) -> str:
    start = pos
    while start > 0 and text[start - 1] in _WS:
        start -= 1
    return text[start:pos]


def insert_child(text: str, array: Node, index: int, value: Any) -> str:
    """Text with `value` inserted into `array` at `index`, in the style of its neighbours."""
    unit = indent_unit(text)
    if not array.items:
        line_start = text.rfind("\n", 0, array.start) + 1
        column = text[line_start : array.start]
        column = column[: len(column) - len(column.lstrip(" \t"))]
        return text[: array.start] + render([value], unit, column) + text[array.end :]
    anchor = array.items[min(index, len(array.items) - 1)]
    space = _space_before(text, anchor.start)
    column = space.rsplit("\n", 1)[-1] if "\n" in space else ""
    rendered = render(value, unit, column) if "\n" in space else json.dumps(value)
    if index < len(array.items):
        return text[: anchor.start] + rendered + "," + space + text[anchor.start :]
    return text[: anchor.end] + "," + space + rendered + text[anchor.end :]
