"""Where the files shipped with the tool (built-in recipes, the example project) are."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
REPO_RECIPES = Path(".migrate/recipes")  # a repository's own recipes


def shipped(name: str) -> Path:
    """The shipped folder `name`: inside the package in a wheel, beside it in a checkout."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name
