"""The record of runs the tool owns, kept in the git directory (never in the work tree).

The journal is a cache: every applied step is also in its commit's trailers, so `from_git`
rebuilds a run when the journal is gone, and a file that cannot be read is set aside with a
warning instead of stopping a command.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from migrate.engine import git
from migrate.errors import UserError

if TYPE_CHECKING:
    from migrate.engine.git import Repo

StepStatus = Literal["applied", "reverted", "interrupted", "no-changes", "skipped", "rolled-back"]
RunState = Literal["open", "rolled-back"]


@dataclass(frozen=True)
class CheckResult:
    """One validation check after a step."""

    name: str
    # "fails at base": it fails, but exactly as it did before the step (not the step's fault).
    outcome: Literal["passed", "failed", "no tests", "skipped", "fails at base"]
    detail: str = ""
    log: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Step:
    recipe: str
    status: StepStatus
    pre_commit: str
    commit: str | None = None
    summary: str = ""
    checks: tuple[CheckResult, ...] = ()
    files: tuple[str, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()  # the transform's counts, for `migrate report`


@dataclass(frozen=True)
class Run:
    id: str
    branch: str | None
    base_branch: str | None
    base_commit: str
    in_place: bool
    created: str
    state: RunState = "open"
    steps: tuple[Step, ...] = ()
    created_branch: bool = False  # only a branch migrate created may ever be deleted

    def applied(self) -> dict[str, Step]:
        """The steps currently in effect on the branch, by recipe id."""
        return {s.recipe: s for s in self.steps if s.status == "applied"}

    def last_status(self) -> dict[str, StepStatus]:
        return {s.recipe: s.status for s in self.steps}

    def with_step(self, step: Step) -> Run:
        return replace(self, steps=(*self.steps, step))


def folder(repo: Repo) -> Path:
    return git.git_dir(repo) / "migrate"


def logs_folder(repo: Repo, run_id: str) -> Path:
    path = folder(repo) / "logs" / run_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _step_from(data: dict[str, Any]) -> Step:
    checks = tuple(CheckResult(**c) for c in data.pop("checks", ()))
    counts = tuple((str(k), int(v)) for k, v in data.pop("counts", ()))
    return Step(
        **{**data, "checks": checks, "files": tuple(data.get("files", ())), "counts": counts}
    )


def _run_from(data: dict[str, Any]) -> Run:
    steps = tuple(_step_from(dict(s)) for s in data.pop("steps", ()))
    return Run(**{**data, "steps": steps})


def _read_run(path: Path) -> Run | None:
    """One journal file, or None (with a warning, the file set aside) when it is damaged."""
    try:
        return _run_from(json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as e:
        aside = path.with_name(path.name + ".damaged")
        os.replace(path, aside)
        sys.stderr.write(
            f"migrate: warning: {path} could not be read ({type(e).__name__}); set aside as"
            f" {aside.name}, the run is rebuilt from its commits.\n"
        )
        return None


def save_run(repo: Repo, run: Run) -> None:
    _write_json(folder(repo) / "runs" / f"{run.id}.json", asdict(run))


def load_runs(repo: Repo) -> list[Run]:
    """Every run in the journal, oldest first."""
    runs_dir = folder(repo) / "runs"
    if not runs_dir.is_dir():
        return []
    runs = [run for p in runs_dir.glob("*.json") if (run := _read_run(p)) is not None]
    return sorted(runs, key=lambda r: (r.created, r.id))


def load_run(repo: Repo, run_id: str) -> Run | None:
    path = folder(repo) / "runs" / f"{run_id}.json"
    return _read_run(path) if path.is_file() else None


def current_run(repo: Repo) -> Run | None:
    """The open run HEAD is on (see `open_run_for`)."""
    return open_run_for(repo, git.current_branch(repo), git.head_sha(repo))


def open_run_for(repo: Repo, branch: str | None, head: str | None) -> Run | None:
    """The open run that HEAD is on: its branch is checked out (or, in place, HEAD is its tip)."""
    for run in reversed(load_runs(repo)):
        if run.state != "open":
            continue
        if branch is not None and run.branch == branch:
            return run
        if branch is None and run.in_place and head in {s.commit for s in run.steps}:
            return run
    return from_git(repo) if branch is not None else None


def open_run_based_on(repo: Repo, branch: str | None) -> Run | None:
    """The newest open run started from `branch` (its own branch is elsewhere)."""
    for run in reversed(load_runs(repo)):
        if run.state == "open" and branch is not None and run.base_branch == branch != run.branch:
            return run
    return None


def from_git(repo: Repo) -> Run | None:
    """Rebuild the newest run on HEAD's history from commit trailers (the journal was lost)."""
    steps: list[Step] = []
    rolled_back: set[str] = set()
    run_id = None
    for sha, message in git.log_messages(repo):
        found = git.trailers_all(message)
        run_of = found.get("Migrate-Run", [None])[0]
        run_id = run_id or run_of
        # every commit of the newest run: merged beside another run's, its commits and the
        # other's interleave by date, so the whole history is read
        if run_of is None or run_of != run_id:
            continue
        rolled_back.update(found.get("Migrate-Rollback", []))
        for recipe in found.get("Migrate-Recipe", []):
            parent = git.parent_of(repo, sha)
            status: StepStatus = "rolled-back" if recipe in rolled_back else "applied"
            steps.append(Step(recipe, status, parent, sha))
    if run_id is None or not steps or any(r.id == run_id for r in load_runs(repo)):
        return None
    steps.reverse()
    branch = git.current_branch(repo)
    return Run(run_id, branch, None, steps[0].pre_commit, False, "", "open", tuple(steps))


def recipe_status(path: Path) -> dict[str, str]:
    """Each recipe's state in the run HEAD is on (applied, reverted, ...); empty outside a
    repository or without a run."""
    top = git.top(path)
    if top is None:
        return {}
    with git.open_repo(top) as repo:
        if git.head_sha(repo) is None:
            return {}
        run = current_run(repo)
        return dict(run.last_status()) if run else {}


def default_base(path: Path) -> str:
    """What a change is compared with by default: the open run's base, else HEAD~1."""
    with git.open_repo(path) as repo:
        run = current_run(repo)
        if run is not None:
            return run.base_commit
        if git.head_sha(repo) is None:
            raise UserError("the repository has no commits yet; nothing to compare with.")
        if git.ref_sha(repo, "HEAD~1") is None:
            raise UserError("HEAD has no parent to compare with; pass --before REV.")
        return "HEAD~1"
