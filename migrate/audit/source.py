"""A file as the audit reads it: its bytes, read once, and whether CPython's bytecode cache for
this interpreter says it compiles (the import system's own test, so no parse is needed)."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


_PYC_MAGIC = importlib.util.MAGIC_NUMBER


@dataclass(frozen=True)
class Source:
    """A file's bytes and status, as read once; `newer_syntax`: try LibCST where `ast` fails."""

    file: str
    path: str
    data: bytes
    stat: os.stat_result
    newer_syntax: bool

    @classmethod
    def read(cls, root: str, path: str, newer_syntax: bool = True) -> Source:
        # os.open/os.read: a quarter of what `open()` and its buffered reader cost per file.
        file = os.path.join(root, path)
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            status = os.fstat(fd)
            data = os.read(fd, status.st_size + 1)
            while more := os.read(fd, 1 << 20):  # the file grew since fstat, or a short read
                data += more
        finally:
            os.close(fd)
        return cls(file, path, data, status, newer_syntax)

    def mentions(self, words: Sequence[bytes]) -> bool:
        return any(word in self.data for word in words)

    @functools.cached_property
    def compiles(self) -> bool:
        """Whether the bytecode cache says the file compiles (see `_cached_compile`)."""
        return _cached_compile(self)


# -- is it parsable? ---------------------------------------------------------------------------


def _cached_compile(source: Source) -> bool:
    """Whether this interpreter's `__pycache__` holds a valid compilation of exactly this file.

    The import system's own test: magic number, then the source hash, or mtime and size.
    """
    try:
        fd = os.open(importlib.util.cache_from_source(source.file), os.O_RDONLY)
    except (OSError, ValueError, NotImplementedError):
        return False
    try:
        head = os.read(fd, 16)
    except OSError:
        return False
    finally:
        os.close(fd)
    if len(head) < 16 or head[:4] != _PYC_MAGIC:
        return False
    if int.from_bytes(head[4:8], "little") & 1:
        return head[8:16] == importlib.util.source_hash(source.data)
    mtime = int.from_bytes(head[8:12], "little")
    size = int.from_bytes(head[12:16], "little")
    status = source.stat
    return mtime == int(status.st_mtime) & 0xFFFFFFFF and size == status.st_size & 0xFFFFFFFF
