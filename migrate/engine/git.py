"""The git gateway: every git call migrate makes, as named verbs over one runner.

Verbs on an open repository (`open_repo`) run through GitPython, behind `_run`; the
read-only questions of commands that need no repository object (`top`, `common_dir`,
`listed`, `archive`) run `git` directly through `_plain`, because importing GitPython takes
a sixth of a second, more than the questions. GitPython is imported only when a repository
is opened. The verbs that write act on the run's own worktree and refs; the only ones that
touch the user's checkout (`fast_forward`, `checkout`) are git's own safe moves, which refuse
to overwrite local changes.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.errors import RepoStateError, UserError

if TYPE_CHECKING:
    from git import Repo as Repo

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
    from git import Repo
    from git.exc import InvalidGitRepositoryError, NoSuchPathError

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


class GitError(Exception):
    """git exited non-zero; the message is the last line it wrote to stderr."""


def _run(repo: Repo, *args: str, env: Mapping[str, str] | None = None) -> str:
    """The one runner for an open repository: git's output without its last newline."""
    from git.exc import GitCommandError

    try:
        return str(repo.git.execute(["git", *args], env=env))
    except GitCommandError as e:
        # GitPython quotes stderr (`stderr: '...'`): a message ending in a newline leaves the
        # closing quote alone on the last line, which is no reason.
        quoted = (
            ln.strip().removeprefix("stderr: ").strip("'").strip()
            for ln in str(e.stderr or e).splitlines()
        )
        lines = [ln for ln in quoted if ln]
        raise GitError(lines[-1] if lines else "") from None


def _plain(folder: Path, *args: str, timeout: float = 60) -> bytes | None:
    """git's output in `folder` without a repository object, or None when it fails or is
    missing."""
    done = _command(folder, *args, timeout=timeout)
    return done.stdout if isinstance(done, subprocess.CompletedProcess) else None


def _command(
    folder: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[bytes] | str:
    """git run in `folder`: its completed process when it exits 0, else why it failed."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if done.returncode:
        # git says why on stderr, but some refusals ("nothing to commit") only on stdout
        said = done.stderr.strip() or done.stdout.strip().rpartition(b"\n")[2]
        return os.fsdecode(said) or f"git exited {done.returncode} without a message"
    return done


def root_of(path: Path) -> Path:
    """The top of the work tree containing `path` (refused outside one, like `open_repo`)."""
    with open_repo(path) as repo:
        return root(repo)


def check_revisions(path: Path, revisions: Mapping[str, str | None]) -> None:
    """Each named revision (option -> revision, None: not given) exists in the repository."""
    with open_repo(path) as repo:
        for option, rev in revisions.items():
            if rev is not None and ref_sha(repo, rev) is None:
                raise UserError(f"{option} {rev}: no such revision in {root(repo)}.")


def root(repo: Repo) -> Path:
    return Path(str(repo.working_tree_dir))


def git_dir(repo: Repo) -> Path:
    """The common git directory (shared by linked worktrees)."""
    return Path(repo.common_dir)


def head_sha(repo: Repo) -> str | None:
    """The commit HEAD points to, or None in a repository without commits."""
    try:
        return str(_run(repo, "rev-parse", "--verify", "-q", "HEAD"))
    except GitError:
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
    return sorted(set(_z(_run(repo, "diff", "--name-only", "--diff-filter=U", "-z"))))


def dirty_paths(repo: Repo) -> list[str]:
    """Modified, staged and untracked (not ignored) paths."""
    out = _run(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    paths, entries = [], _z(out)
    i = 0
    while i < len(entries):
        entry = entries[i]
        paths.append(entry[3:])
        i += 2 if entry[0] in "RC" else 1  # renames carry the old path as the next entry
    return paths


def tracked_paths(repo: Repo) -> tuple[str, ...]:
    """Tracked and untracked-but-not-ignored files: what a recipe's globs may select."""
    out = _run(repo, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
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
        _run(repo, "var", "GIT_COMMITTER_IDENT")
        _run(repo, "var", "GIT_AUTHOR_IDENT")
        return {}
    except GitError:
        return {k: os.environ.get(k, v) for k, v in _FALLBACK_IDENTITY.items()}


def update_ref(repo: Repo, ref: str, sha: str) -> None:
    _run(repo, "update-ref", ref, sha)


def ref_sha(repo: Repo, ref: str) -> str | None:
    try:
        return str(_run(repo, "rev-parse", "--verify", "-q", ref + "^{commit}"))
    except GitError:
        return None


def log_messages(repo: Repo, rev: str = "HEAD") -> list[tuple[str, str]]:
    """(sha, message) of every commit reachable from `rev`, newest first."""
    if head_sha(repo) is None:
        return []
    return _records(_run(repo, "log", rev, "--format=%H%x00%B%x01", "--grep=^Migrate-"))


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


def _refused(e: GitError, what: str) -> RepoStateError:
    return RepoStateError(f"git refused to {what}: {str(e) or 'unknown error'}")


def valid_branch_name(repo: Repo, name: str) -> bool:
    try:
        _run(repo, "check-ref-format", "--branch", name)
    except GitError:
        return False
    return not name.startswith("-")


def add_worktree(repo: Repo, path: Path, sha: str) -> None:
    """A worktree of our own at `path`, detached at `sha` (no branch is checked out there)."""
    try:
        _run(repo, *_NO_HOOKS, "worktree", "add", "-q", "--detach", str(path), sha)
    except GitError as e:
        raise _refused(e, f"create the run's worktree {path}") from None


def remove_worktree(repo: Repo, path: Path) -> None:
    """Remove a worktree of ours; whatever git cannot remove is deleted and pruned. A path
    outside `.git/migrate/worktrees/` (a damaged lock record) is never touched."""
    ours = (git_dir(repo) / "migrate" / "worktrees").resolve()
    if ours not in path.resolve().parents:
        return
    try:
        _run(repo, "worktree", "remove", "--force", "--force", str(path))
    except GitError:
        if path.is_symlink():  # never followed: the folder is ours, a link in it is not
            path.unlink()
        elif path.exists():
            shutil.rmtree(path, ignore_errors=True)
    _run(repo, "worktree", "prune")


def checked_out(repo: Repo) -> dict[str, Path]:
    """Each checked-out branch (full ref name) and the worktree that has it."""
    found: dict[str, Path] = {}
    where: Path | None = None
    for line in _run(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            where = Path(line[len("worktree ") :])
        elif line.startswith("branch ") and where is not None:
            found[line[len("branch ") :]] = where
    return found


def has_uncommitted(repo: Repo) -> bool:
    """Whether a tracked path is changed (staged or not), without refreshing the index (it
    is the user's)."""
    return bool(
        _run(repo, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=no")
    )


def stage_tree(repo: Repo, paths: Iterable[str]) -> str:
    """Stage exactly `paths` in the run's worktree and return the tree they make: what is
    committed is what was written, whatever the checks do to the files afterwards."""
    work = root(repo)
    present = [p for p in paths if (work / p).exists() or (work / p).is_symlink()]
    gone = [p for p in paths if p not in present]
    if present:
        _run(repo, "add", "-A", "--", *present)
    if gone:
        _run(repo, "rm", "--cached", "-q", "--ignore-unmatch", "--", *gone)
    return str(_run(repo, "write-tree"))


def commit_tree(repo: Repo, tree: str, parent: str, message: str) -> str:
    """A commit of `tree` on `parent`, signed when the user's config asks for it (as `git
    commit` would); a commit git refuses (signing without a key...) is the user's to fix."""
    env = _identity_env(repo)
    sign = ["-S"] if config_flag(repo, "commit.gpgsign") else []
    try:
        sha = _run(repo, "commit-tree", *sign, tree, "-p", parent, "-m", message, env=env or None)
    except GitError as e:
        raise _refused(e, "make the commit (check commit signing and your git config)") from None
    return str(sha).strip()


def clean_to(repo: Repo, sha: str, keep: Iterable[str] = ()) -> None:
    """The run's worktree exactly at `sha`: tracked files reset, anything else removed (ignored
    files too, except the paths in `keep`: what the run shared into it)."""
    _run(repo, "reset", "--hard", "-q", sha)
    excluded = [arg for path in keep for arg in ("-e", "/" + path)]
    _run(repo, "clean", "-ffdxq", *excluded)


def config_flag(repo: Repo, key: str) -> bool:
    """A boolean setting of the user's git config (false when unset)."""
    try:
        return _run(repo, "config", "--bool", "--get", key) == "true"
    except GitError:
        return False


def set_ref(repo: Repo, ref: str, new: str, old: str | None) -> bool:
    """Move `ref` to `new` only if still at `old` (None: must not exist); False if it moved."""
    return _succeeds(repo, "update-ref", "-m", "migrate", ref, new, old or ZERO)


def _succeeds(repo: Repo, *args: str) -> bool:
    """Whether git exits 0 (a refusal is an answer here, not an error)."""
    try:
        _run(repo, *args)
    except GitError:
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
        _run(repo, "revert", "--no-commit", sha)
    except GitError:
        _succeeds(repo, "revert", "--abort")
        return False
    return True


def is_ancestor(repo: Repo, older: str, newer: str) -> bool:
    return _succeeds(repo, "merge-base", "--is-ancestor", older, newer)


def commits_between(repo: Repo, base: str, tip: str) -> list[tuple[str, str]]:
    """(sha, message) of the commits in base..tip, newest first."""
    return _records(_run(repo, "log", f"{base}..{tip}", "--format=%H%x00%B%x01"))


def staged_paths(repo: Repo) -> list[str]:
    """Paths whose staged content differs from HEAD."""
    return _z(_run(repo, "diff", "--cached", "--name-only", "-z"))


def changed_in(repo: Repo, sha: str) -> list[str]:
    """The paths commit `sha` changes."""
    return _z(_run(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", sha))


def changed_between(repo: Repo, base: str, tip: str, paths: Iterable[str]) -> list[str]:
    """Which of `paths` differ between two commits."""
    return _run(repo, "diff", "--name-only", base, tip, "--", *paths).splitlines()


def differs_from_head(repo: Repo, path: str) -> bool:
    """Whether `path` in the work tree or index differs from HEAD."""
    return bool(_run(repo, "diff", "HEAD", "--name-only", "--", path))


def restore_from(repo: Repo, sha: str, path: str) -> None:
    """`path` in the index and work tree as it is in commit `sha`."""
    _run(repo, "checkout", sha, "--", path)


def remove_path(repo: Repo, path: str) -> None:
    """`path` removed from the index and the work tree."""
    _run(repo, "rm", "-q", "--", path)


def exists_at(repo: Repo, sha: str, path: str) -> bool:
    return _succeeds(repo, "cat-file", "-e", f"{sha}:{path}")


def delete_branch(repo: Repo, name: str) -> None:
    _run(repo, "branch", "-D", name)


def parent_of(repo: Repo, sha: str) -> str:
    return _run(repo, "rev-parse", f"{sha}^")


def subjects_between(repo: Repo, base: str, tip: str) -> list[tuple[str, str]]:
    """(sha, subject) of the commits in base..tip, oldest first."""
    out = _run(repo, "log", "--reverse", "--format=%H%x09%s", f"{base}..{tip}")
    return [(sha, subject) for sha, _, subject in (x.partition("\t") for x in out.splitlines())]


def commit_time(repo: Repo, sha: str) -> str:
    """The committer date of `sha`, ISO 8601."""
    return _run(repo, "show", "-s", "--format=%cI", sha)


# ------------------------------------------------------- without a repository object


def top(path: Path) -> Path | None:
    """The work tree containing `path`; None outside one, in a bare repository, or without git."""
    done = _plain(path, "rev-parse", "--show-toplevel")
    if done is None or not done.strip():
        return None
    return Path(os.fsdecode(done.rstrip(b"\n")))


def common_dir(path: Path) -> Path | None:
    """The repository's common git directory (shared by its worktrees), or None outside one."""
    done = _plain(path, "rev-parse", "--path-format=absolute", "--git-common-dir")
    if done is None or not done.strip():
        return None
    return Path(os.fsdecode(done.rstrip(b"\n")))


def listed(folder: Path) -> list[str] | None:
    """The files git tracks or would track under `folder`, relative to it: tracked, and
    untracked but not ignored. None outside a work tree, when `folder` itself is ignored, or
    when git refuses (e.g. "dubious ownership")."""
    if _plain(folder, "check-ignore", "-q", os.path.abspath(folder)) is not None:
        return None  # exit 0: git ignores it (outside a work tree, git fails, and so does ls-files)
    out = _plain(folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    return None if out is None else [os.fsdecode(p) for p in out.split(b"\0") if p]


@contextmanager
def scratch_copy(repo: Repo, rev: str | None, prefix: str = "migrate-") -> Iterator[Path]:
    """A throwaway copy of the project at `rev` (None: the work tree's tracked and untracked
    files as they are now), in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        target = Path(tmp) / "project"
        target.mkdir()
        work = root(repo)
        if rev is None:
            for rel in tracked_paths(repo):
                source = work / rel
                if source.is_file():
                    (target / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target / rel)
        else:
            data = _plain(work, "archive", "--format=tar", rev, timeout=300)
            if data is None:
                raise RepoStateError(f"{work}: git could not export {rev}.")
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                archive.extractall(target, filter="data")
        yield target


_STAND_IN = ("-c", "user.name=migrate-example", "-c", "user.email=example@migrate.invalid")


def create_with_commit(folder: Path, message: str) -> str | None:
    """`git init` `folder` and commit all it holds as the first commit; None, or why git
    failed. A fixture, not the user's work: their commit hooks and signing do not apply, and
    a stand-in identity is used when git has none."""
    for args in (("init", "-q", "-b", "main"), ("add", "-A")):
        done = _command(folder, *args)
        if isinstance(done, str):
            return done
    identity = () if _has_identity(folder) else _STAND_IN
    commit = ("-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message)
    done = _command(folder, *identity, *commit)
    return done if isinstance(done, str) else None


def _has_identity(folder: Path) -> bool:
    """Whether git can name both the author and the committer of a commit in `folder`."""
    env = os.environ

    def config(key: str) -> str:
        return os.fsdecode(_plain(folder, "config", "--get", key) or b"").strip()

    name, email = config("user.name"), config("user.email") or env.get("EMAIL", "")
    return all(
        env.get(f"GIT_{role}_{field}") or fallback
        for role in ("AUTHOR", "COMMITTER")
        for field, fallback in (("NAME", name), ("EMAIL", email))
    )
