"""Everything the tool asks of git, through GitPython: state checks, worktrees, commits, refs.

The verbs that write act on the run's own worktree and refs; the only ones that touch the
user's checkout (`fast_forward`, `checkout`) are git's own safe moves, which refuse to
overwrite local changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from git import Repo
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from migrate.errors import RepoStateError

_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "migrate",
    "GIT_AUTHOR_EMAIL": "migrate@localhost",
    "GIT_COMMITTER_NAME": "migrate",
    "GIT_COMMITTER_EMAIL": "migrate@localhost",
}
_IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or am",
    "BISECT_LOG": "a bisect",
}


@contextmanager
def open_repo(path: Path) -> Iterator[Repo]:
    """The repository containing `path`; refuses a folder that is not in a work tree."""
    try:
        repo = Repo(path, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise RepoStateError(
            f"{path.resolve()}: not a git repository (run it in your project or pass -C DIR)."
        ) from None
    try:
        if repo.bare:
            raise RepoStateError(f"{path}: the repository is bare; migrate needs a work tree.")
        yield repo
    finally:
        repo.close()


def root(repo: Repo) -> Path:
    return Path(str(repo.working_tree_dir))


def git_dir(repo: Repo) -> Path:
    """The common git directory (shared by linked worktrees)."""
    return Path(repo.common_dir)


def head_sha(repo: Repo) -> str | None:
    """The commit HEAD points to, or None in a repository without commits."""
    try:
        return str(repo.git.rev_parse("--verify", "-q", "HEAD"))
    except GitCommandError:
        return None


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    return None if repo.head.is_detached else repo.head.ref.name


def operation_in_progress(repo: Repo) -> str | None:
    gdir = Path(repo.git_dir)
    for name, what in _IN_PROGRESS.items():
        if (gdir / name).exists():
            return what
    return None


def _z(output: str) -> list[str]:
    return [p for p in output.split("\0") if p]


def unmerged_paths(repo: Repo) -> list[str]:
    return sorted(set(_z(repo.git.diff("--name-only", "--diff-filter=U", "-z"))))


def dirty_paths(repo: Repo) -> list[str]:
    """Modified, staged and untracked (not ignored) paths."""
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all")
    paths, entries = [], _z(out)
    i = 0
    while i < len(entries):
        entry = entries[i]
        paths.append(entry[3:])
        i += 2 if entry[0] in "RC" else 1  # renames carry the old path as the next entry
    return paths


def tracked_paths(repo: Repo) -> tuple[str, ...]:
    """Tracked and untracked-but-not-ignored files: what a recipe's globs may select."""
    out = repo.git.ls_files("--cached", "--others", "--exclude-standard", "-z")
    return tuple(sorted(set(_z(out))))


def check_state(repo: Repo, *, allow_detached: bool) -> list[str]:
    """Refuse a repository migrate must not work on; returns the uncommitted paths."""
    where = root(repo)
    if head_sha(repo) is None:
        raise RepoStateError(f"{where}: the repository has no commits yet; commit something first.")
    what = operation_in_progress(repo)
    if what:
        raise RepoStateError(f"{where}: {what} is in progress; finish or abort it first.")
    unmerged = unmerged_paths(repo)
    if unmerged:
        raise RepoStateError(f"{where}: unmerged paths: {', '.join(unmerged)}; resolve them first.")
    if repo.head.is_detached and not allow_detached:
        raise RepoStateError(
            f"{where}: HEAD is detached; check out a branch, or pass --in-place to work here."
        )
    return dirty_paths(repo)


def _identity_env(repo: Repo) -> dict[str, str]:
    """A fallback identity only when git has none (CI machines often have none)."""
    try:
        repo.git.var("GIT_COMMITTER_IDENT")
        repo.git.var("GIT_AUTHOR_IDENT")
        return {}
    except GitCommandError:
        return {k: os.environ.get(k, v) for k, v in _FALLBACK_IDENTITY.items()}


def update_ref(repo: Repo, ref: str, sha: str) -> None:
    repo.git.update_ref(ref, sha)


def ref_sha(repo: Repo, ref: str) -> str | None:
    try:
        return str(repo.git.rev_parse("--verify", "-q", ref + "^{commit}"))
    except GitCommandError:
        return None


def log_messages(repo: Repo, rev: str = "HEAD") -> list[tuple[str, str]]:
    """(sha, message) of every commit reachable from `rev`, newest first."""
    if head_sha(repo) is None:
        return []
    return _records(repo.git.log(rev, "--format=%H%x00%B%x01", "--grep=^Migrate-"))


def _records(out: str) -> list[tuple[str, str]]:
    pairs = []
    for record in out.split("\x01"):
        if "\0" in record:
            sha, message = record.strip("\n").split("\0", 1)
            pairs.append((sha.strip(), message))
    return pairs


def trailers(message: str) -> dict[str, str]:
    """The `Migrate-*: value` trailers of a commit message's last paragraph (the last value
    of a key that appears more than once)."""
    return {key: values[-1] for key, values in trailers_all(message).items()}


def trailers_all(message: str) -> dict[str, list[str]]:
    """Like `trailers`, keeping every value of a key that appears more than once."""
    last = message.strip().split("\n\n")[-1]
    found: dict[str, list[str]] = {}
    for line in last.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key.startswith("Migrate-"):
            found.setdefault(key, []).append(value.strip())
    return found


def branch_exists(repo: Repo, name: str) -> bool:
    return ref_sha(repo, f"refs/heads/{name}") is not None


ZERO = "0" * 40
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")  # the user's git hooks never run in our worktree


def _refused(e: GitCommandError, what: str) -> RepoStateError:
    # GitPython quotes stderr (`stderr: '...'`): a message ending in a newline leaves the
    # closing quote alone on the last line, which is no reason
    quoted = (
        ln.strip().removeprefix("stderr: ").strip("'").strip()
        for ln in str(e.stderr or e).splitlines()
    )
    lines = [ln for ln in quoted if ln]
    why = lines[-1] if lines else "unknown error"
    return RepoStateError(f"git refused to {what}: {why}")


def valid_branch_name(repo: Repo, name: str) -> bool:
    try:
        repo.git.check_ref_format("--branch", name)
    except GitCommandError:
        return False
    return not name.startswith("-")


def add_worktree(repo: Repo, path: Path, sha: str) -> None:
    """A worktree of our own at `path`, detached at `sha` (no branch is checked out there)."""
    try:
        repo.git.execute(["git", *_NO_HOOKS, "worktree", "add", "-q", "--detach", str(path), sha])
    except GitCommandError as e:
        raise _refused(e, f"create the run's worktree {path}") from None


def remove_worktree(repo: Repo, path: Path) -> None:
    """Remove a worktree of ours; whatever git cannot remove is deleted and pruned. A path
    outside `.git/migrate/worktrees/` (a damaged lock record) is never touched."""
    from migrate.isolation import remove_tree

    ours = (git_dir(repo) / "migrate" / "worktrees").resolve()
    if ours not in path.resolve().parents:
        return
    try:
        repo.git.worktree("remove", "--force", "--force", str(path))
    except GitCommandError:
        remove_tree(path)
    repo.git.worktree("prune")


def checked_out(repo: Repo) -> dict[str, Path]:
    """Each checked-out branch (full ref name) and the worktree that has it."""
    found: dict[str, Path] = {}
    where: Path | None = None
    for line in repo.git.worktree("list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            where = Path(line[len("worktree ") :])
        elif line.startswith("branch ") and where is not None:
            found[line[len("branch ") :]] = where
    return found


def uncommitted(repo: Repo) -> list[str]:
    """Changed tracked paths (staged or not), without refreshing the index (it is the user's)."""
    out = repo.git.execute(
        ["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=no"]
    )
    return [entry[3:] for entry in _z(str(out)) if len(entry) > 3 and entry[2] == " "]


def stage_tree(repo: Repo, paths: Iterable[str]) -> str:
    """Stage exactly `paths` in the run's worktree and return the tree they make: what is
    committed is what was written, whatever the checks do to the files afterwards."""
    work = root(repo)
    present = [p for p in paths if (work / p).exists() or (work / p).is_symlink()]
    gone = [p for p in paths if p not in present]
    if present:
        repo.git.add("-A", "--", *present)
    if gone:
        repo.git.rm("--cached", "-q", "--ignore-unmatch", "--", *gone)
    return str(repo.git.write_tree())


def commit_tree(repo: Repo, tree: str, parent: str, message: str) -> str:
    """A commit of `tree` on `parent`, signed when the user's config asks for it (as `git
    commit` would); a commit git refuses (signing without a key...) is the user's to fix."""
    env = _identity_env(repo)
    sign = (
        ["-S"]
        if repo.git.config("--bool", "--get", "commit.gpgsign", with_exceptions=False) == "true"
        else []
    )
    try:
        sha = repo.git.commit_tree(*sign, tree, "-p", parent, "-m", message, env=env or None)
    except GitCommandError as e:
        raise _refused(e, "make the commit (check commit signing and your git config)") from None
    return str(sha).strip()


def clean_to(repo: Repo, sha: str, keep: Iterable[str] = ()) -> None:
    """The run's worktree exactly at `sha`: tracked files reset, anything else removed (ignored
    files too, except the paths in `keep`: what the run shared into it)."""
    repo.git.reset("--hard", "-q", sha)
    excluded = [arg for path in keep for arg in ("-e", "/" + path)]
    repo.git.clean("-ffdxq", *excluded)


def set_ref(repo: Repo, ref: str, new: str, old: str | None) -> bool:
    """Move `ref` to `new` only if still at `old` (None: must not exist); False if it moved."""
    return _succeeds(repo, "update-ref", "-m", "migrate", ref, new, old or ZERO)


def _succeeds(repo: Repo, *args: str) -> bool:
    """Whether git exits 0 (a refusal is an answer here, not an error)."""
    try:
        repo.git.execute(["git", *args])
    except GitCommandError:
        return False
    return True


def fast_forward(repo: Repo, sha: str) -> bool:
    """Move the user's checkout forward to `sha` the way `git merge --ff-only` does (it never
    overwrites local changes); False when git refuses."""
    return _succeeds(repo, *_NO_HOOKS, "merge", "--ff-only", "-q", sha)


def checkout(repo: Repo, branch: str) -> bool:
    """`git checkout branch` in the user's tree; False when git refuses (local changes)."""
    return _succeeds(repo, "checkout", "-q", branch)


def revert_in(repo: Repo, sha: str) -> bool:
    """Revert `sha` into the index and files of the run's worktree; False on a conflict."""
    try:
        repo.git.revert("--no-commit", sha)
    except GitCommandError:
        repo.git.execute(["git", "revert", "--abort"], with_exceptions=False)
        return False
    return True


def is_ancestor(repo: Repo, older: str, newer: str) -> bool:
    return _succeeds(repo, "merge-base", "--is-ancestor", older, newer)


def commits_between(repo: Repo, base: str, tip: str) -> list[tuple[str, str]]:
    """(sha, message) of the commits in base..tip, newest first."""
    return _records(repo.git.log(f"{base}..{tip}", "--format=%H%x00%B%x01"))
