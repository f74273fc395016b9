"""What the audit looks for, and the options the recipes in effect imply (so the audit says
what `migrate apply` will do)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.compat import tomllib
from migrate.resources import REPO_RECIPES, shipped
from migrate.transforms.subprocess_timeouts import HookCap

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class AuditOptions:
    """What the audit looks for; `timeouts` and `timeout_paths` are the subprocess-timeouts
    recipe's params and paths (None: every file), `workers_threshold` the max-workers recipe's
    `from` (the one value it changes) and `callees` its callees."""

    timeouts: Mapping[str, Any] = field(default_factory=dict)
    workers_threshold: int = 10
    callees: tuple[str, ...] = ("run_parallel",)
    timeout_paths: tuple[str, ...] | None = None
    hook_caps: Mapping[str, HookCap] = field(default_factory=dict)  # set by `audit`


def recipe_options(root: Path) -> AuditOptions:
    """The options the recipes in effect for `root` imply (the built-in ones, overridden by the
    repository's `.migrate/recipes`): so the audit says what `migrate apply` will do.

    Read straight from the TOML files (no transform is imported); a file that cannot be read
    leaves the defaults, as `migrate apply` will then refuse it with the reason.
    """
    found: dict[str, Mapping[str, Any]] = {}
    for folder in (shipped("recipes"), root / REPO_RECIPES):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                with path.open("rb") as f:
                    data = tomllib.load(f)
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if data.get("transform") in ("subprocess-timeouts", "max-workers"):
                found[data["transform"]] = data
    options = AuditOptions()
    timeouts, workers = found.get("subprocess-timeouts"), found.get("max-workers")
    if timeouts is not None:
        paths = timeouts.get("paths")
        options = replace(
            options,
            timeouts=dict(timeouts.get("params") or {}),
            timeout_paths=tuple(paths) if isinstance(paths, list) else None,
        )
    params = (workers or {}).get("params") or {}
    if isinstance(params.get("from"), int):
        options = replace(options, workers_threshold=params["from"])
    if isinstance(params.get("callees"), list):
        options = replace(options, callees=tuple(params["callees"]))
    return options
