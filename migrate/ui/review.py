"""Reviewing a recipe's diff before it is applied, like `git add -p`: all, by file, by hunk
(y/n/a/d/A/s/q/?), skipped hunks offered again; only what was accepted is applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import questionary
from rich.console import Console
from rich.text import Text

from migrate.model import FileChange, Recipe, TransformResult
from migrate.ui import hunks, render
from migrate.ui.plan_view import summary_line
from migrate.ui.prompts import Quit, answer, choose, dumb, select_plain

if TYPE_CHECKING:
    pass


APPROVAL = (
    questionary.Choice("apply all", "all"),
    questionary.Choice("review hunk by hunk (like git add -p)", "hunks"),
    questionary.Choice("review file by file", "files"),
    questionary.Choice("skip this recipe", "skip"),
    questionary.Choice("quit (keep what was applied; `migrate` continues later)", "quit"),
)

HUNK_HELP = """y - apply this hunk
n - do not apply this hunk (you can come back to it before applying)
a - apply this hunk and the rest of this file
d - do not apply this hunk nor the rest of this file
A - apply this hunk and every remaining one (the rest of the recipe)
s - split this hunk into smaller hunks
q - quit: apply what was accepted so far, then stop
? - this help"""

FILE_HELP = """y - apply the change to this file
n - do not apply it (you can come back to it before applying)
a - apply this file and every remaining one
d - do not apply this file nor any remaining one
q - quit: apply what was accepted so far, then stop
? - this help"""

END_HELP = """y - apply what was accepted
r - review the skipped ones again
n - apply nothing of this recipe (skip it)
q - apply what was accepted, then stop
? - this help"""


def print_preview(out: Console, recipe: Recipe, result: TransformResult) -> None:
    """What the recipe will change: files, counts, notes, then the diff of each file (through
    the pager when it does not fit on the screen)."""
    with render.paged(out):
        out.print(f"  to change: {summary_line(recipe, result)}", markup=False)
        for change in result.changes:
            added, removed = _line_counts(change)
            out.print(f"    {_verb(change):<8} {change.path}  +{added} −{removed}", markup=False)
        render.print_notes(out, result)
        for change in result.changes:
            render.print_diff(out, change)


def _line_counts(change: FileChange) -> tuple[int, int]:
    lines = render.unified_diff(change).splitlines()
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return added, removed


def _verb(change: FileChange) -> str:
    if change.before is None:
        return "create"
    return "delete" if change.after is None else "edit"


@dataclass(frozen=True)
class Decision:
    """What the review kept (None: skip the recipe) and whether the user asked to stop after it."""

    result: TransformResult | None
    quit: bool = False


def decide(out: Console, result: TransformResult) -> Decision:
    if dumb():
        choice = select_plain("Apply these changes?", APPROVAL)
    else:
        choice = answer(questionary.select("Apply these changes?", choices=list(APPROVAL)))
    if choice == "all":
        return Decision(result)
    if choice == "hunks":
        return _review(out, result, by_hunk=True)
    if choice == "files":
        return _review(out, result, by_hunk=False)
    if choice == "skip":
        return Decision(None)
    raise Quit


@dataclass
class _Reviewed:
    """One file under review: its diff, its hunks (split ones replace the original), and the
    verdict per hunk, keyed by the opcodes the hunk changes."""

    shown: hunks.Diff
    units: list[hunks.Hunk]
    verdicts: dict[tuple[int, ...], bool] = field(default_factory=dict)

    def accepted(self) -> set[int]:
        return {i for h in self.units if self.verdicts.get(h.changes) for i in h.changes}


def _review(out: Console, result: TransformResult, by_hunk: bool) -> Decision:
    """`git add -p` over the recipe's changes (or file by file): accept, skip, split, accept or
    skip the rest, quit keeping what was accepted; skipped ones can be reviewed again."""
    files = [_reviewed(change, by_hunk) for change in result.changes]
    quit_ = _walk(out, files, by_hunk)
    while not quit_:
        skipped = sum(1 for f in files for h in f.units if f.verdicts.get(h.changes) is False)
        if not skipped:
            break
        accepted = sum(1 for f in files for h in f.units if f.verdicts.get(h.changes))
        what = "hunk(s)" if by_hunk else "file(s)"
        key = choose(
            out, f"Apply the {accepted} accepted {what} ({skipped} skipped)", "yrnq", END_HELP
        )
        if key == "n":
            return Decision(None)
        if key != "r":
            quit_ = key == "q"
            break
        for f in files:
            f.verdicts = {k: v for k, v in f.verdicts.items() if v}
        quit_ = _walk(out, files, by_hunk)
    kept = [c for f in files if (c := f.shown.keeping(f.accepted())) is not None]
    return Decision(keeping(result, kept) if kept else None, quit_)


def _reviewed(change: FileChange, by_hunk: bool) -> _Reviewed:
    shown = hunks.diff(change)
    units = shown.hunks()
    if not by_hunk:  # the whole file as one unit
        every = tuple(i for h in units for i in h.changes)
        units = [hunks.Hunk(tuple(op for h in units for op in h.opcodes), every)]
    return _Reviewed(shown, units)


def _walk(out: Console, files: Sequence[_Reviewed], by_hunk: bool) -> bool:
    """Ask about every hunk without a verdict; True when the user quit."""
    keys, help_ = ("ynadAsq", HUNK_HELP) if by_hunk else ("ynadq", FILE_HELP)
    for n, f in enumerate(files, 1):
        position = 0
        while position < len(f.units):
            hunk = f.units[position]
            if hunk.changes in f.verdicts:
                position += 1
                continue
            path = f.shown.change.path
            with render.paged(out):
                out.print(Text(f"\nfile {n}/{len(files)}: {path}", style="bold"))
                if by_hunk:
                    render.print_hunk(out, f.shown, hunk)
                else:
                    render.print_diff(out, f.shown.change)
            what = f"({position + 1}/{len(f.units)}) Apply this hunk to" if by_hunk else "Apply"
            allowed = keys if hunk.can_split() else keys.replace("s", "")
            key = choose(out, f"{what} {path}", allowed, help_)
            if key == "q":
                return True
            if key == "s":
                f.units[position : position + 1] = f.shown.split(hunk)
                continue
            f.verdicts[hunk.changes] = key in "yaA"
            if key in "ad":
                for rest in f.units[position + 1 :]:
                    f.verdicts.setdefault(rest.changes, key == "a")
                if not by_hunk:
                    _rest_of_recipe(files, n, key == "a")
            if key == "A":
                _rest_of_recipe(files, n - 1, True)
            position += 1
    return False


def _rest_of_recipe(files: Sequence[_Reviewed], after: int, verdict: bool) -> None:
    """The same verdict for every hunk not yet decided, in the files after the `after`th."""
    for f in files[after:]:
        for hunk in f.units:
            f.verdicts.setdefault(hunk.changes, verdict)


def keeping(result: TransformResult, kept: Sequence[FileChange]) -> TransformResult:
    """The result with only what the review kept; notes and counts say what was left out."""
    paths = {c.path for c in kept}
    rejected = [c.path for c in result.changes if c.path not in paths]
    partial = [c.path for c in kept if c not in result.changes]
    if not rejected and not partial:
        return result
    notes, counts = list(result.notes), dict(result.counts)
    # The transform's counts cover every file; say how much was left out rather than guess.
    if rejected:
        notes.append(f"rejected in review: {', '.join(rejected)}")
        counts["files rejected in review"] = len(rejected)
    if partial:
        notes.append(f"some hunks rejected in review: {', '.join(partial)}")
        counts["files with hunks rejected in review"] = len(partial)
    return replace(
        result,
        changes=tuple(kept),
        findings=tuple(f for f in result.findings if f.path in paths or not f.edited),
        notes=tuple(notes),
        counts=counts,
    )
