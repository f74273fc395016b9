"""Reading files as text without losing their encoding, BOM or line endings, and matching globs."""

from __future__ import annotations

import codecs
import io
import os
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from migrate.errors import UserError

PYTHON = (".py", ".pyi")


@dataclass(frozen=True)
class SourceFile:
    """A file's text with newlines kept as they are, and how to encode it back."""

    path: str
    text: str
    encoding: str
    bom: bool


def decode(path: str, data: bytes) -> SourceFile | None:
    """Decode `data`; Python files honour their coding cookie. None when it is not text."""
    if b"\0" in data:
        return None
    bom = data.startswith(codecs.BOM_UTF8)
    encoding = "utf-8"
    if path.endswith(PYTHON):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            return None
        encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return SourceFile(path, text, encoding, bom)


def encode(text: str, encoding: str, bom: bool) -> bytes:
    """The bytes that `decode` would read back as `text`."""
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


def newline_of(text: str) -> str:
    """The line ending a file already uses (LF for a file without one)."""
    index = text.find("\n")
    if index > 0 and text[index - 1] == "\r":
        return "\r\n"
    if index < 0 and "\r" in text:
        return "\r"
    return "\n"


def check_relative(pattern: str) -> str | None:
    """Why a path or glob may not be used (absolute, or leaving the repository), or None."""
    if pattern.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", pattern):
        return "is absolute; paths are relative to the repository root"
    if ".." in PurePosixPath(pattern.replace("\\", "/")).parts:
        return "leaves the repository ('..')"
    return None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def match_glob(pattern: str, path: str) -> bool:
    """True when the posix relative `path` matches `pattern` (`**` crosses folders, `*` not)."""
    return _glob_regex(pattern.rstrip("/")).match(path) is not None


def select(paths: tuple[str, ...], patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The paths matching any of the patterns, in the order given."""
    return tuple(p for p in paths if any(match_glob(g, p) for g in patterns))


@dataclass(frozen=True)
class Snapshot:
    """A read-only view of the repository a transform works on.

    `files` are the paths the recipe's globs selected; `read` may look at any file of the repo.
    """

    root: Path
    files: tuple[str, ...]

    def read(self, path: str) -> SourceFile | None:
        """The file's text, or None when it does not exist, is not text, or lies behind a
        symlink that leaves the repository (never followed)."""
        if leaves(self.root, path):
            return None
        try:
            data = (self.root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        return decode(path, data)

    def require(self, path: str) -> SourceFile:
        """The file's text; a missing or binary file is the user's error."""
        if leaves(self.root, path):
            raise UserError(
                f"{path}: lies behind a symlink that leaves the repository; migrate does not"
                " follow it."
            )
        source = self.read(path)
        if source is None:
            raise UserError(f"{path}: the file is missing or is not text.")
        return source

    def exists(self, path: str) -> bool:
        return not leaves(self.root, path) and (self.root / path).exists()


def leaves(root: Path, path: str) -> bool:
    """True when `path` resolves outside `root` (through a symlink)."""
    real = os.path.realpath(root / path)
    top = os.path.realpath(root)
    return os.path.commonpath([real, top]) != top


def link_problem(root: Path, path: str) -> str | None:
    """Why `path` must not be written: it is a symlink (never replaced by a file), or lies
    behind one (the write would land where the link points, maybe outside the repository)."""
    current = root
    parts = PurePosixPath(path).parts
    for i, part in enumerate(parts):
        current = current / part
        if not current.is_symlink():
            continue
        target = os.readlink(current)  # as written: resolved, it would name the run's worktree
        where = "outside the repository" if leaves(root, "/".join(parts[: i + 1])) else "a link"
        if i == len(parts) - 1:
            return f"is a symlink to {target}; migrate never replaces a link with a file"
        return f"lies behind the symlink {'/'.join(parts[: i + 1])} ({where}: {target})"
    return None


NOT_TEXT = "holds NUL bytes: not a text file"


def binary(path: str, why: str | None) -> bool:
    """Whether `unreadable`'s answer `why` is a binary file (an image, an archive) that no
    text transform has anything to change in; a Python file with NUL bytes is a broken one."""
    return why == NOT_TEXT and not path.endswith(PYTHON)


def unreadable(root: Path, path: str) -> str | None:
    """Why a selected file cannot be read as text (a transform would silently skip it)."""
    try:
        data = (root / path).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    if b"\0" in data:
        return NOT_TEXT
    if decode(path, data) is None:
        return "is not valid text in its encoding (UTF-8 without a coding cookie)"
    if b"\r" in data and b"\n" not in data and path.endswith(PYTHON):
        return "has old Mac (CR-only) line endings, which the Python parsers here cannot keep"
    return None
