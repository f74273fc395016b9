"""What a recipe would change: its transform run over the files its globs select, on HEAD's
files; nothing is written. The preview (`--dry-run`) and every step start here."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from migrate import files, transforms
from migrate.engine import checks, git, journal
from migrate.errors import UserError
from migrate.files import Snapshot, select
from migrate.model import Finding, Recipe, TransformResult


@dataclass(frozen=True)
class ApplyOptions:
    branch: str | None = None
    in_place: bool = False
    keep_going: bool = False
    run_name: str | None = None
    skip_unparsable: bool = False
    skip_unreadable: bool = False
    dry: bool = False  # build and check every step, keep nothing (`--dry-run --validate`)
    bisect: bool = False  # a failed step that changed several files keeps the good ones
    config_note: str = ""  # said in each commit message (an uncommitted .migrate/ was used)


def compute(
    root: Path, recipe: Recipe, paths: Sequence[str], options: ApplyOptions
) -> TransformResult:
    """Run the recipe's transform over the files its globs select; nothing is written.

    A file the transform cannot parse or read as text stops the recipe (unless skipped
    explicitly): a silently skipped file would look migrated when it is not. A binary file
    (an image) has no text to change: it is left out with a note. A path behind a symlink is
    never read or written; it is reported.
    """
    run = transforms.for_recipe(recipe.transform, recipe.source)
    chosen = select(tuple(paths), recipe.paths)
    linked = [Finding(p, 0, "symlink", why) for p in chosen if (why := files.link_problem(root, p))]
    chosen = tuple(p for p in chosen if p not in {f.path for f in linked})
    unreadable, binary = [], []
    for path in chosen:
        why = files.unreadable(root, path)
        if why is None:
            continue
        if files.binary(path, why):
            binary.append(Finding(path, 0, "binary", why))  # an image: no text to change
        else:
            unreadable.append(Finding(path, 0, "unreadable", why))
    _refuse(recipe, unreadable, options.skip_unreadable, "--skip-unreadable")
    chosen = tuple(p for p in chosen if p not in {f.path for f in (*unreadable, *binary)})
    try:
        result = run(Snapshot(root, chosen), recipe.params)
    except UserError as e:
        if str(recipe.source) in e.message:
            raise
        raise type(e)(f"{recipe.source}: {e.message}") from None
    unparsable = [f for f in result.findings if f.kind == "parse-error"]
    _refuse(recipe, unparsable, options.skip_unparsable, "--skip-unparsable")
    return _without_links(recipe, root, result, (*linked, *unreadable, *binary))


def _refuse(recipe: Recipe, bad: Sequence[Finding], skip: bool, flag: str | None) -> None:
    """Stop the recipe on the `bad` files, unless `skip` (the user passed `flag`; with no
    flag, nothing lets the recipe go on without them)."""
    if bad and not skip:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        how = (
            f"pass {flag} to apply it to the other files"
            if flag
            else "migrate never writes through a symlink"
        )
        raise UserError(
            f"{first.path}{more}: {first.message}; recipe {recipe.id!r} changed nothing ({how})."
        )


def _without_links(
    recipe: Recipe, root: Path, result: TransformResult, found: Sequence[Finding]
) -> TransformResult:
    """Leave out the files `found` reports (behind a symlink, unreadable): the recipe goes on
    without them. A file the recipe would write behind a symlink stops it: writing the rest
    would leave it half done (a settings.json naming a script that was never written)."""
    known = {f.path for f in found}
    blocked = [
        Finding(c.path, 0, "symlink", why)
        for c in result.changes
        if c.path not in known and (why := files.link_problem(root, c.path))
    ]
    _refuse(recipe, blocked, False, None)
    if not found:
        return result
    return replace(
        result,
        changes=tuple(c for c in result.changes if c.path not in known),
        findings=(*result.findings, *found),
        notes=(*result.notes, *_skipped(found)),
    )


def _skipped(found: Sequence[Finding]) -> list[str]:
    """One note per file left out; binary files (often many images) in one."""
    notes = [f"skipped {f.path}: {f.message}" for f in found if f.kind != "binary"]
    binary = [f.path for f in found if f.kind == "binary"]
    if binary:
        shown = ", ".join(binary[:3]) + (f" and {len(binary) - 3} more" if len(binary) > 3 else "")
        notes.append(
            f"left out {len(binary)} binary file(s), which hold no text to change: {shown}"
        )
    return notes


def preview(
    root: Path, recipes: Sequence[Recipe], options: ApplyOptions
) -> list[tuple[Recipe, TransformResult]]:
    """What each recipe would change if applied now (the `--dry-run`). A run starts from
    HEAD, so with uncommitted changes the preview is computed in a throwaway worktree."""
    with git.open_repo(root) as repo:
        checks.project_validation(git.root(repo))  # a config typo is found here too
    with at_head(root) as (tree, paths):
        return [(r, compute(tree, r, paths, options)) for r in recipes]


@contextmanager
def at_head(root: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """HEAD's files, as a run would start from them, and their paths: the user's tree when it
    is clean, else a throwaway worktree (removed afterwards)."""
    with git.open_repo(root) as repo:
        if not git.dirty_paths(repo):
            yield git.root(repo), git.tracked_paths(repo)
            return
        path = journal.folder(repo) / "worktrees" / f"preview-{secrets.token_hex(4)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        git.add_worktree(repo, path, str(git.head_sha(repo)))
        try:
            with git.open_repo(path) as wt:
                yield path, git.tracked_paths(wt)
        finally:
            git.remove_worktree(repo, path)
