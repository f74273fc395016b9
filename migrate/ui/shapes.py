"""The JSON the commands print: one versioned family of shapes (docs/json.md), each checked
against its JSON Schema in migrate/schemas/. Every object says `"schema": 1` and its `"kind"`;
keys are snake_case; paths are relative to the repository root, the one absolute `root`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.labels import json_counts
from migrate.model import UNSAFE, Finding, Recipe, TransformResult
from migrate.resources import shipped

if TYPE_CHECKING:
    from migrate.engine.journal import Run, Step

SCHEMA = 1


def envelope(kind: str, root: Path, body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields every shape starts with, then the command's own."""
    return {"schema": SCHEMA, "kind": kind, "root": str(root), **body}


def relative(path: str | Path, root: Path) -> str:
    """`path` relative to the repository root (git's `/` separators); "" stays ""."""
    if not str(path) or not Path(path).is_absolute():
        return str(path)
    return Path(os.path.relpath(path, root)).as_posix()


def step(s: Step, root: Path) -> dict[str, Any]:
    data = asdict(s)
    data["checks"] = [{**c, "log": relative(c["log"], root)} for c in data["checks"]]
    return data


def run(r: Run, root: Path) -> dict[str, Any]:
    return {**asdict(r), "steps": [step(s, root) for s in r.steps]}


def finding(f: Finding) -> dict[str, Any]:
    return {"path": f.path, "line": f.line, "kind": f.kind, "message": f.message}


def preview(recipe: Recipe, result: TransformResult, diff: str) -> dict[str, Any]:
    """What one recipe would change (`apply --dry-run --json`)."""
    return {
        "recipe": recipe.id,
        "files": [c.path for c in result.changes],
        "counts": json_counts(result.counts),
        "edits": [finding(f) for f in result.findings if f.edited],
        "unsafe": [finding(f) for f in result.findings if f.kind == UNSAFE],
        "findings": [finding(f) for f in result.findings if not f.edited and f.kind != UNSAFE],
        "diff": diff,
    }


def recipe_source(recipe: Recipe, root: Path | None) -> dict[str, Any]:
    """Where a recipe is defined: built in (its file name) or a file (relative to the root when
    it is in the repository; a `--recipes` folder elsewhere stays absolute)."""
    builtin = shipped("recipes")
    source = recipe.source.resolve()
    if source.is_relative_to(builtin.resolve()):
        return {"builtin": True, "source": source.relative_to(builtin.resolve()).as_posix()}
    if root is not None and source.is_relative_to(root.resolve()):
        return {"builtin": False, "source": source.relative_to(root.resolve()).as_posix()}
    return {"builtin": False, "source": str(source)}


def recipe_summary(recipe: Recipe, status: str, root: Path | None) -> dict[str, Any]:
    """One row of `list --json`."""
    return {
        "id": recipe.id,
        "title": recipe.title,
        "phase": recipe.phase,
        "order": recipe.order,
        "status": status,
        "transform": recipe.transform,
        "requires": list(recipe.requires),
        **recipe_source(recipe, root),
    }


def recipe_detail(recipe: Recipe, root: Path | None) -> dict[str, Any]:
    """Everything `show --json` says about a recipe."""
    return {
        "id": recipe.id,
        "title": recipe.title,
        "phase": recipe.phase,
        "order": recipe.order,
        "transform": recipe.transform,
        "description": recipe.description,
        "paths": list(recipe.paths),
        "requires": list(recipe.requires),
        "params": dict(recipe.params),
        "validate": dict(recipe.validate),
        **recipe_source(recipe, root),
    }


def echo(data: object) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()
