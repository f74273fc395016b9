"""The immutable values that flow from a recipe to a commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

Phase = Literal["immediate", "medium", "long"]
PHASES: tuple[Phase, ...] = ("immediate", "medium", "long")
PHASE_TITLES: Mapping[str, str] = MappingProxyType(
    {"immediate": "Immediate", "medium": "Medium-term", "long": "Long-term"}
)

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Validation:
    """Which checks run after a step; a recipe's values override the project's."""

    py_compile: bool = True
    pytest: bool = True
    pytest_command: tuple[str, ...] = ("{python}", "-m", "pytest", "-q")
    pytest_paths: tuple[str, ...] = ("tests",)
    pytest_timeout: float = 900.0
    commands: tuple[str, ...] = ()
    command_timeout: float = 300.0
    hooks_verify: bool = False
    # The project's Python ("" = found: .venv, venv, uv.lock, poetry.lock, else python3).
    python: str = ""
    # Ignored files the checks need, from the user's tree (folders linked, files copied).
    share: tuple[str, ...] = (".venv", "venv", ".env", ".claude/settings.local.json")


@dataclass(frozen=True)
class Recipe:
    """One step of the plan, as read from a TOML file."""

    id: str
    title: str
    phase: Phase
    order: int
    description: str
    transform: str
    paths: tuple[str, ...]
    params: Mapping[str, Any]
    validate: Mapping[str, Any]
    requires: tuple[str, ...]
    source: Path


@dataclass(frozen=True)
class FileChange:
    """A file's text before and after a transform (`before` None: created, `after` None: deleted).

    Texts keep the file's own line endings; `encoding` and `bom` say how to write them back.
    """

    path: str
    before: str | None
    after: str | None
    encoding: str = "utf-8"
    bom: bool = False


# The kind of finding for an edit a transform leaves undone because it may change what a
# working program does (ruff's unsafe fixes): made only with `migrate apply --unsafe`.
UNSAFE = "unsafe-edit"


@dataclass(frozen=True)
class Finding:
    """Something a transform or the audit reports without (or besides) editing it."""

    path: str
    line: int
    kind: str
    message: str
    edited: bool = False


@dataclass(frozen=True)
class TransformResult:
    """What a transform returns: the changes to make, what it noticed, and counts for the report."""

    changes: tuple[FileChange, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=lambda: EMPTY)
