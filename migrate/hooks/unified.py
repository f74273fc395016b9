"""Unified hooks: which registrations a unified hook takes over, the script generated for it,
and the registration that replaces its members in settings.json."""

from __future__ import annotations

import ast
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from migrate.files import Snapshot
from migrate.hooks import runtime
from migrate.hooks.settings import PEP723, HookRegistration
from migrate.pysource.parse import ast_module

HOOKS_DIR = ".claude/hooks"
RUNTIME_FILE = f"{HOOKS_DIR}/_unified_runtime.py"
PROJECT_PREFIXES = ("$CLAUDE_PROJECT_DIR/", "${CLAUDE_PROJECT_DIR}/", '"$CLAUDE_PROJECT_DIR"/')
# Timeout handling inside the runner needs a moment on top of the longest member chain.
TIMEOUT_MARGIN = 5
_EXACT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- ,|")

Member = dict[str, Any]
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(runtime.WARM_MODULES)


@dataclass(frozen=True)
class UnifiedHook:
    """A generated hook script and the members it runs, one entry per (member, event)."""

    path: str
    members: tuple[Member, ...]
    # The members' own interpreter command, which the hook must be started with too (never
    # another Python), and their PEP 723 metadata when uv builds their environment from it.
    interpreter: str = "python3"
    metadata: str | None = None

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).stem

    @property
    def command(self) -> str:
        """`<interpreter> <path>` spelled like the members' own commands (same project
        variable)."""
        first = str(self.members[0]["script"]) if self.members else ""
        prefix = next((p for p in PROJECT_PREFIXES if first.startswith(p)), "")
        return f"{self.interpreter} {prefix}{self.path}"

    def events(self) -> list[str]:
        return list(dict.fromkeys(m["event"] for m in self.members))

    def scripts(self) -> set[str]:
        return {m["name"] for m in self.members}


def by_interpreter(
    registrations: Sequence[HookRegistration],
) -> list[list[HookRegistration]]:
    """The registrations grouped by the interpreter and environment their commands start, in
    order of first appearance: only members of one group may share a unified hook."""
    groups: dict[object, list[HookRegistration]] = {}
    for reg in registrations:
        key = reg.interpreter.key if reg.interpreter else None
        groups.setdefault(key, []).append(reg)
    return list(groups.values())


def separate_note(where: str, alone: HookRegistration, others: Sequence[HookRegistration]) -> str:
    """Why a member stays registered on its own: no other member runs under its Python."""
    mine = alone.interpreter.describe() if alone.interpreter else "its own command"
    theirs = sorted({r.interpreter.describe() for r in others if r.interpreter})
    under = f" (the others run under {', '.join(theirs)})" if theirs else ""
    return (
        f"{where}: {alone.name} runs under {mine}{under}; no other member runs under the same"
        " Python and environment, so it stays registered as it is."
    )


def for_members(
    path: str, members: Sequence[Member], registrations: Sequence[HookRegistration]
) -> UnifiedHook:
    """The unified hook at `path`, started the way its members' registrations start Python."""
    first = registrations[0].interpreter if registrations else None
    if first is None:
        return UnifiedHook(path, tuple(members))
    return UnifiedHook(path, tuple(members), first.command, first.metadata)


def stdlib_imports(snapshot: Snapshot, script: str) -> list[str]:
    """Standard modules the script imports, itself or through modules beside it (one level),
    so the runtime can import the shared ones once before forking."""
    source = snapshot.read(script)
    tree = ast_module(source.text, script) if source else None
    if tree is None:
        return []
    names = _imported(tree)
    folder = PurePosixPath(script).parent
    for sibling in sorted(names - STDLIB):
        module = snapshot.read(str(folder / f"{sibling}.py"))
        sibling_tree = ast_module(module.text, sibling) if module else None
        names |= _imported(sibling_tree) if sibling_tree else set()
    return sorted(n for n in names if n.split(".")[0] in STDLIB and n != "__future__")


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {n for name in names for n in _with_parents(name)}


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def members_from(
    registrations: Iterable[HookRegistration],
    chain_of: Mapping[str, str | None],
    imports_of: Callable[[str], list[str]] | None = None,
) -> list[Member]:
    """One member entry per script, arguments and event, with every matcher it had there."""
    entries: dict[tuple[str, tuple[str, ...], str], Member] = {}
    for reg in registrations:
        assert reg.script is not None
        key = (reg.script, reg.args, reg.event)
        entry = entries.setdefault(
            key,
            {
                "name": PurePosixPath(reg.script).name,
                "script": reg.script_word,
                "args": list(reg.args),
                "event": reg.event,
                "matchers": [],
                "timeout": reg.timeout,
                "chain": chain_of.get(reg.script),
            }
            | ({"imports": imports_of(reg.script)} if imports_of else {}),
        )
        matcher = reg.matcher or ""
        if matcher not in entry["matchers"]:
            entry["matchers"].append(matcher)
        if reg.timeout is not None and (entry["timeout"] or 0) < reg.timeout:
            entry["timeout"] = reg.timeout
    return list(entries.values())


def combined_matcher(event: str, matchers: Sequence[str]) -> str | None:
    """One matcher covering all of them (None for events that ignore matchers)."""
    if event not in runtime.EVENT_MATCHER_FIELD:
        return None
    if any(m in ("", "*") for m in matchers):
        return "*"
    if all(set(m) <= _EXACT for m in matchers):
        names = [n.strip() for m in matchers for n in m.replace(",", "|").split("|")]
        return "|".join(dict.fromkeys(n for n in names if n))
    parts = [f"^(?:{m})$" if set(m) <= _EXACT else f"(?:{m})" for m in matchers]
    return "|".join(dict.fromkeys(parts))


def registration_timeout(members: Sequence[Member]) -> int:
    """Enough for the longest chain of members run one after another."""
    lanes: dict[str, float] = {}
    for i, member in enumerate(members):
        lane = member["chain"] or f"#{i}"
        lanes[lane] = lanes.get(lane, 0.0) + float(member["timeout"] or runtime.DEFAULT_TIMEOUT)
    return math.ceil(max(lanes.values(), default=0.0)) + TIMEOUT_MARGIN


def render(hook: UnifiedHook, title: str) -> str:
    """The generated script: readable, stdlib only, importing the runtime beside it."""
    names = ", ".join(dict.fromkeys(m["name"] for m in hook.members))
    lines = [
        *_shebang(hook.interpreter),
        *([hook.metadata] if hook.metadata else []),
        f'"""Unified hook `{hook.name}` ({title}), generated by migrate.',
        "",
        f"Runs {names}",
        "as one registered hook, with the same effect as registering them one by one:",
        "each member gets the same stdin, cwd, environment, sys.argv and __file__, and runs",
        "only when its own event and matcher match, within its own timeout. Members with the",
        "same `chain` (they write the same state) run one after another; the rest in parallel.",
        "See _unified_runtime.py beside this file.",
        "",
        "INTERPRETER is how the members' own commands started Python: the hook is registered",
        "with the same command, so the same Python and environment run every member.",
        '"""',
        "",
        "import os",
        "import sys",
        "",
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))",
        "from _unified_runtime import main  # noqa: E402",
        "",
        f"INTERPRETER = {hook.interpreter!r}",
        "MEMBERS = [",
        *(f"    {member!r}," for member in hook.members),
        "]",
        "",
        'if __name__ == "__main__":',
        "    main(MEMBERS)",
        "",
    ]
    return "\n".join(lines)


def _shebang(interpreter: str) -> list[str]:
    """The `#!` line naming the interpreter the hook is registered with (for the reader: the
    registration names the interpreter itself); none when a `#!` line cannot name it."""
    if "$" in interpreter or "'" in interpreter or '"' in interpreter:
        return []
    if interpreter.startswith("/") and " " not in interpreter:
        return [f"#!{interpreter}"]
    return [f"#!/usr/bin/env {'-S ' if ' ' in interpreter else ''}{interpreter}"]


def parse(path: str, text: str) -> UnifiedHook | None:
    """Read a generated unified hook back (its MEMBERS list and INTERPRETER); None when it is
    not one."""
    tree = ast_module(text, path)
    if tree is None:
        return None
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("MEMBERS", "INTERPRETER"):
                values[target.id] = ast.literal_eval(node.value)
    if "MEMBERS" not in values:
        return None
    interpreter = values.get("INTERPRETER")
    found = PEP723.search(text)
    return UnifiedHook(
        path,
        tuple(values["MEMBERS"]),
        interpreter if isinstance(interpreter, str) and interpreter else "python3",
        found.group(0).strip() if found else None,
    )


def runtime_source() -> str:
    return Path(runtime.__file__).read_text(encoding="utf-8")
