"""Loading recipes from TOML files and checking every key, with one clear sentence per mistake."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from migrate import transforms
from migrate.compat import tomllib
from migrate.errors import UserError, did_you_mean
from migrate.files import check_relative
from migrate.model import PHASES, Recipe, Validation
from migrate.resources import REPO_RECIPES, shipped

USER_TRANSFORM_PREFIXES = ("libcst:", "bowler:")
_REQUIRED = {"id": str, "title": str, "transform": str}
_OPTIONAL: dict[str, tuple[type, Any]] = {
    "phase": (str, "immediate"),
    "order": (int, 100),
    "description": (str, ""),
    "paths": (list, ["**/*.py"]),
    "params": (dict, {}),
    "validate": (dict, {}),
    "requires": (list, []),
}
_TYPE_NAMES = {str: "a string", int: "an integer", list: "a list", dict: "a table"}


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; a syntax error names the file and line."""
    try:
        with path.open("rb") as f:
            data: dict[str, Any] = tomllib.load(f)
            return data
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: invalid TOML ({e}).") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: the file is not UTF-8 text, as TOML requires.") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({e.strerror}).") from None


def _typed(path: Path, key: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UserError(f"{path}: key '{key}' must be {_TYPE_NAMES[kind]}, got {value!r}.")
    return value


def _str_list(path: Path, key: str, value: list[Any]) -> tuple[str, ...]:
    for item in value:
        _typed(path, key, item, str)
    return tuple(value)


def check_validation(path: Path, table: Mapping[str, Any], prefix: str = "validate") -> None:
    """Every key of a `validate` table must be a `Validation` field of the right type."""
    known = {f.name: f for f in fields(Validation)}
    defaults = Validation()
    for key, value in table.items():
        if key not in known:
            hint = did_you_mean(key, known) or f" (known: {', '.join(sorted(known))})."
            raise UserError(f"{path}: unknown key '{prefix}.{key}'{hint}")
        default = getattr(defaults, key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        elif isinstance(default, str):
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, list) and all(isinstance(x, str) for x in value)
        if not ok:
            expect = type(default).__name__ if not isinstance(default, tuple) else "list of strings"
            raise UserError(f"{path}: key '{prefix}.{key}' must be a {expect}, got {value!r}.")
        if key == "pytest_command" and not (value and value[0].strip()):
            raise UserError(f"{path}: key '{prefix}.{key}' is empty; name the command to run.")
        for item in value if key == "share" else ():
            why = check_relative(item)
            if why:
                raise UserError(f"{path}: key '{prefix}.{key}': {item!r} {why}.")


def _check_params(path: Path, transform: str, params: dict[str, Any]) -> dict[str, Any]:
    if transform.startswith(USER_TRANSFORM_PREFIXES):
        return params
    spec = transforms.get(transform)
    if spec is None:
        known = ", ".join(transforms.names())
        raise UserError(f"{path}: key 'transform' names unknown transform {transform!r} ({known}).")
    for key, value in params.items():
        param = spec.params.get(key)
        if param is None:
            hint = did_you_mean(key, spec.params) or (
                f" (known: {', '.join(sorted(spec.params)) or 'none'})."
            )
            raise UserError(f"{path}: unknown key 'params.{key}' for transform {transform!r}{hint}")
        if not param.check(value):
            raise UserError(f"{path}: key 'params.{key}' must be {param.expect}, got {value!r}.")
    return spec.with_defaults(params)


def _check_user_transform(path: Path, transform: str) -> None:
    if not transform.startswith(USER_TRANSFORM_PREFIXES):
        return
    module = transform.split(":", 1)[1]
    problem = check_relative(module) if module else "is empty"
    if problem is None and not (path.parent / module).is_file():
        problem = f"does not exist (looked for {path.parent / module})"
    if problem:
        raise UserError(f"{path}: key 'transform': the module {module!r} {problem}.")


def parse_recipe(path: Path, data: Mapping[str, Any]) -> Recipe:
    """Check a recipe's keys and types and build the `Recipe`."""
    for key in data:
        if key not in _REQUIRED and key not in _OPTIONAL:
            hint = did_you_mean(key, [*_REQUIRED, *_OPTIONAL])
            known = hint or f" (known: {', '.join([*_REQUIRED, *_OPTIONAL])})."
            raise UserError(f"{path}: unknown key '{key}'{known}")
    for key, kind in _REQUIRED.items():
        if key not in data:
            raise UserError(f"{path}: missing key '{key}'.")
        _typed(path, key, data[key], kind)
    values = {k: _typed(path, k, data.get(k, d), t) for k, (t, d) in _OPTIONAL.items()}
    if values["phase"] not in PHASES:
        raise UserError(f"{path}: key 'phase' must be one of {', '.join(PHASES)}.")
    paths = _str_list(path, "paths", values["paths"])
    for glob in paths:
        problem = check_relative(glob)
        if problem:
            raise UserError(f"{path}: key 'paths': {glob!r} {problem}.")
    _check_user_transform(path, data["transform"])
    params = _check_params(path, data["transform"], values["params"])
    check_validation(path, values["validate"])
    if "share" in values["validate"]:  # one worktree serves every step of a run
        raise UserError(
            f"{path}: key 'validate.share' is a project setting; set it in .migrate/config.toml."
        )
    return Recipe(
        id=data["id"],
        title=data["title"],
        phase=values["phase"],
        order=values["order"],
        description=values["description"].strip(),
        transform=data["transform"],
        paths=paths,
        params=MappingProxyType(params),
        validate=MappingProxyType(values["validate"]),
        requires=_str_list(path, "requires", values["requires"]),
        source=path,
    )


def recipe_dirs(repo: Path | None, extra: Iterable[Path] = ()) -> list[Path]:
    """Built-in recipes first, then the repository's, then `--recipes` folders (later wins)."""
    dirs = [shipped("recipes")]
    if repo is not None:
        dirs.append(repo / REPO_RECIPES)
    dirs.extend(extra)
    return dirs


def load_all(dirs: Iterable[Path]) -> dict[str, Recipe]:
    """Every recipe in the folders, by id, with `requires` checked; later folders override."""
    recipes: dict[str, Recipe] = {}
    for folder in dirs:
        if not folder.is_dir():
            if folder.exists():
                raise UserError(f"{folder}: recipes folder is not a folder.")
            continue
        for path in sorted(folder.glob("*.toml")):
            recipe = parse_recipe(path, read_toml(path))
            recipes[recipe.id] = recipe
    _check_requires(recipes)
    return dict(sorted(recipes.items(), key=lambda kv: plan_key(kv[1])))


def plan_key(recipe: Recipe) -> tuple[int, int, str]:
    return (PHASES.index(recipe.phase), recipe.order, recipe.id)


def _check_requires(recipes: Mapping[str, Recipe]) -> None:
    for recipe in recipes.values():
        for req in recipe.requires:
            if req not in recipes:
                raise UserError(f"{recipe.source}: key 'requires' names unknown recipe {req!r}.")
    state: dict[str, int] = {}

    def visit(rid: str, chain: list[str]) -> None:
        if state.get(rid) == 2:
            return
        if state.get(rid) == 1:
            cycle = " -> ".join([*chain[chain.index(rid) :], rid])
            raise UserError(f"{recipes[rid].source}: key 'requires' forms a cycle ({cycle}).")
        state[rid] = 1
        for req in recipes[rid].requires:
            visit(req, [*chain, rid])
        state[rid] = 2

    for rid in recipes:
        visit(rid, [])


def select_recipes(recipes: Mapping[str, Recipe], ids: Iterable[str]) -> list[Recipe]:
    """The named recipes in plan order; an unknown id is the user's error."""
    chosen = []
    for rid in ids:
        if rid not in recipes:
            hint = did_you_mean(rid, recipes) or f"; known: {', '.join(recipes)}"
            raise UserError(f"unknown recipe {rid!r}{hint} (`migrate list` shows them all).")
        chosen.append(recipes[rid])
    return sorted({r.id: r for r in chosen}.values(), key=plan_key)


def with_unsafe(recipe: Recipe) -> Recipe:
    """The recipe making its unsafe edits too (`--unsafe`), when its transform has any."""
    spec = transforms.get(recipe.transform)
    if spec is None or "unsafe" not in spec.params:
        return recipe
    return replace(recipe, params=MappingProxyType({**recipe.params, "unsafe": True}))
