"""Which members of a unified hook must run one after another in a chain: the ones sharing a
file they write, writing files not known statically, or listed together in `sequential`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from migrate.files import Snapshot
from migrate.hooks.state.paths import norm
from migrate.hooks.state.sinks import writes

UNKNOWN_CHAIN = "state:unknown"


@dataclass(frozen=True)
class Chains:
    """Which members of a unified hook run one after another, and why."""

    chain_of: Mapping[str, str | None]  # script -> chain name (None: runs in parallel)
    why: Mapping[str, str]  # chain name -> human explanation


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, items: Sequence[str]) -> None:
        for item in items[1:]:
            self.parent[self.find(item)] = self.find(items[0])


def _label(scripts: Sequence[str]) -> str:
    names = [PurePosixPath(s).name for s in scripts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _matches(script: str, entry: str) -> bool:
    """A `sequential` entry names a script by its repo path or its file name."""
    return norm(entry) == norm(script) or PurePosixPath(script).name == entry


def chains(
    snapshot: Snapshot, scripts: Sequence[str], sequential: Sequence[Sequence[str]] = ()
) -> Chains:
    """Chains for a unified hook's members (in registration order): members sharing a written
    file, writing files not known statically, or listed together in `sequential`."""
    members = list(dict.fromkeys(scripts))
    found = {s: writes(snapshot, s) for s in members}
    by_path: dict[str, list[str]] = {}
    for script in members:
        for path in found[script].paths:
            by_path.setdefault(path, []).append(script)
    unknown = [s for s in members if found[s].unknown]
    listed = [[s for s in members if any(_matches(s, e) for e in group)] for group in sequential]
    chain_of: dict[str, str | None] = dict.fromkeys(members)
    why: dict[str, str] = {}
    for component in _components(members, [*by_path.values(), unknown, *listed]):
        if len(component) < 2:
            continue  # a chain of one runs in parallel anyway
        inside = set(component)
        shared = {p: w for p, w in sorted(by_path.items()) if len(w) > 1 and w[0] in inside}
        unknown_here = [s for s in unknown if s in inside]
        name = _chain_name(component, shared, len(unknown_here) > 1)
        why[name] = _explain(shared, unknown_here, [g for g in listed if set(g) & inside])
        for script in component:
            chain_of[script] = name
    return Chains(chain_of, why)


def _components(members: Sequence[str], together: Iterable[Sequence[str]]) -> list[list[str]]:
    """The members joined transitively by the groups `together`, each in registration order."""
    groups = _UnionFind(members)
    for group in together:
        groups.join(group)
    components: dict[str, list[str]] = {}
    for script in members:
        components.setdefault(groups.find(script), []).append(script)
    return list(components.values())


def _chain_name(component: Sequence[str], shared: Mapping[str, object], unknown: bool) -> str:
    if unknown:
        return UNKNOWN_CHAIN
    if shared:
        return f"state:{next(iter(shared))}"
    return f"sequential:{PurePosixPath(component[0]).name}"


def _explain(
    shared: Mapping[str, Sequence[str]], unknown: Sequence[str], listed: Sequence[Sequence[str]]
) -> str:
    clauses = [
        f"{_label(w)} {'both' if len(w) == 2 else 'all'} write {path}" for path, w in shared.items()
    ]
    if len(unknown) > 1:
        clauses.append(f"{_label(unknown)} write files not known statically")
    clauses += [f"{_label(g)} are listed together in `sequential`" for g in listed if len(g) > 1]
    return "; ".join(clauses)
