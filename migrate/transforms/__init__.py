"""The registry of transforms: pure functions of (snapshot, params) to a `TransformResult`.

Each built-in transform lives in its own module here and registers itself with `@register`.
"""

from __future__ import annotations

import copy
import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.errors import UserError
from migrate.transforms._signature import TransformFn

BUILTIN_MODULES = (
    "subprocess_timeouts",
    "max_workers",
    "agent_doc",
    "unified_hooks",
    "hook_settings",
    "remove_old_hooks",
    "parallel_runner",
)


@dataclass(frozen=True)
class Param:
    """One parameter a transform accepts: default, a check, and the expected type in words."""

    default: Any
    expect: str
    check: Callable[[Any], bool]
    help: str = ""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def int_param(default: int, help: str = "") -> Param:
    return Param(default, "an integer", _is_int, help)


def bool_param(default: bool, help: str = "") -> Param:
    return Param(default, "true or false", lambda v: isinstance(v, bool), help)


def str_param(default: str, help: str = "") -> Param:
    return Param(default, "a string", lambda v: isinstance(v, str), help)


def str_list_param(default: list[str], help: str = "") -> Param:
    return Param(default, "a list of strings", _is_str_list, help)


def table_param(default: Mapping[str, Any], expect: str, check: Callable[[Any], bool]) -> Param:
    return Param(default, expect, lambda v: isinstance(v, dict) and check(v))


@dataclass(frozen=True)
class TransformSpec:
    name: str
    description: str
    run: TransformFn
    params: Mapping[str, Param]

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The recipe's params with every missing one set to its default."""
        defaults = {key: copy.deepcopy(p.default) for key, p in self.params.items()}
        return defaults | dict(params)


_REGISTRY: dict[str, TransformSpec] = {}


def register(
    name: str, description: str, params: Mapping[str, Param] | None = None
) -> Callable[[TransformFn], TransformFn]:
    """Registers the function below it: `@register("max-workers", "...", {...})`."""

    def decorate(fn: TransformFn) -> TransformFn:
        _REGISTRY[name] = TransformSpec(name, description, fn, dict(params or {}))
        return fn

    return decorate


@functools.cache
def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(f"migrate.transforms.{module}")


def get(name: str) -> TransformSpec | None:
    """The registered transform called `name`, or None."""
    _load_builtins()
    return _REGISTRY.get(name)


def names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def for_recipe(transform: str, source: Path) -> TransformFn:
    """The function behind a recipe's `transform` key (built-in name, or a user module)."""
    if transform.startswith(("libcst:", "bowler:")):
        from migrate.transforms.user import load

        return load(transform, source)
    spec = get(transform)
    if spec is None:
        raise UserError(f"{source}: key 'transform' names unknown transform {transform!r}.")
    return spec.run
