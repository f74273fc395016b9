"""The record of runs the tool owns, kept in the git directory (never in the work tree).

Every applied step is also in its commit's trailers, so `runs_from_git` rebuilds a run when the
journal is gone.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from git import Repo

from migrate import gitrepo

StepStatus = Literal["applied", "reverted", "interrupted", "no-changes", "skipped", "rolled-back"]
RunState = Literal["open", "rolled-back"]


@dataclass(frozen=True)
class CheckResult:
    """One validation check after a step."""

    name: str
    outcome: Literal["passed", "failed", "no tests", "skipped"]
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

    def applied(self) -> dict[str, Step]:
        """The steps currently in effect on the branch, by recipe id."""
        return {s.recipe: s for s in self.steps if s.status == "applied"}

    def last_status(self) -> dict[str, StepStatus]:
        return {s.recipe: s.status for s in self.steps}

    def with_step(self, step: Step) -> Run:
        return replace(self, steps=(*self.steps, step))


@dataclass(frozen=True)
class Inflight:
    """Written before anything touches the repo, removed after: its presence means a crash."""

    pid: int
    run: str
    branch_before: str | None
    head_before: str
    stash_ref: str | None = None
    recipe: str | None = None
    pre_commit: str | None = None
    untracked_before: tuple[str, ...] = field(default=())


def folder(repo: Repo) -> Path:
    return gitrepo.git_dir(repo) / "migrate"


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
    return Step(**{**data, "checks": checks, "files": tuple(data.get("files", ()))})


def _run_from(data: dict[str, Any]) -> Run:
    steps = tuple(_step_from(dict(s)) for s in data.pop("steps", ()))
    return Run(**{**data, "steps": steps})


def save_run(repo: Repo, run: Run) -> None:
    _write_json(folder(repo) / "runs" / f"{run.id}.json", asdict(run))


def load_runs(repo: Repo) -> list[Run]:
    """Every run in the journal, oldest first."""
    runs_dir = folder(repo) / "runs"
    if not runs_dir.is_dir():
        return []
    runs = [_run_from(json.loads(p.read_text("utf-8"))) for p in runs_dir.glob("*.json")]
    return sorted(runs, key=lambda r: (r.created, r.id))


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
    run_id = None
    for sha, message in gitrepo.log_messages(repo):
        found = gitrepo.trailers(message)
        if "Migrate-Run" not in found or "Migrate-Recipe" not in found:
            continue
        if run_id is None:
            run_id = found["Migrate-Run"]
        if found["Migrate-Run"] != run_id:
            break
        parent = str(repo.git.rev_parse(f"{sha}^"))
        steps.append(Step(found["Migrate-Recipe"], "applied", parent, sha))
    if run_id is None or any(r.id == run_id for r in load_runs(repo)):
        return None
    steps.reverse()
    branch = gitrepo.current_branch(repo)
    return Run(run_id, branch, None, steps[0].pre_commit, False, "", "open", tuple(steps))


def write_inflight(repo: Repo, inflight: Inflight) -> None:
    _write_json(folder(repo) / "inflight.json", asdict(inflight))


def read_inflight(repo: Repo) -> Inflight | None:
    path = folder(repo) / "inflight.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text("utf-8"))
    data["untracked_before"] = tuple(data.get("untracked_before", ()))
    return Inflight(**data)


def clear_inflight(repo: Repo) -> None:
    (folder(repo) / "inflight.json").unlink(missing_ok=True)
