"""A run never touches what it does not own: kills, races, a user working beside the run,
symlinks, merged runs, a damaged journal. Real repositories, real processes, real signals."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, run_migrate

CLAUDE = "# Project\n\nInstructions.\n"
POOL = "from concurrent.futures import ThreadPoolExecutor\nThreadPoolExecutor(max_workers=10)\n"
BASE: dict[str, str | bytes] = {
    "CLAUDE.md": CLAUDE,
    "scripts/pool.py": POOL,
    "README.md": "# readme\n",
}


def doc_recipe(command: str, requires: str = "") -> dict[str, str | bytes]:
    """A recipe editing CLAUDE.md whose check runs `command` (in the run's worktree)."""
    extra = f"requires = [{json.dumps(requires)}]\n" if requires else ""
    return {
        ".migrate/recipes/doc-check.toml": (
            'id = "doc-check"\ntitle = "Doc with a check"\ntransform = "agent-parallelism-doc"\n'
            f'paths = ["CLAUDE.md"]\n{extra}[validate]\npytest = false\n'
            f"commands = [{json.dumps(command)}]\n"
        )
    }


def repo_with(tmp_path: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    return make_repo(tmp_path / "repo", {**BASE, **(extra or {})})


def start_apply(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "migrate", "apply", *args],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").splitlines()


def kill_9_when(started: Path, repo: Path, *args: str) -> None:
    """`migrate apply *args`, killed with SIGKILL (its whole group) once `started` appears."""
    proc = start_apply(repo, *args)
    wait_for(started)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_kill_9_of_the_whole_group_then_the_user_works_before_the_next_command(
    tmp_path: Path,
) -> None:
    """The check (in its own session) outlives migrate; the user commits, edits, creates a
    file and switches branch; the next command kills the check and touches none of it."""
    started, late = tmp_path / "check-started", tmp_path / "late-write"
    check = f"touch {started}; sleep 3; touch {late}; echo late >> CLAUDE.md"
    repo = repo_with(tmp_path, doc_recipe(check))
    kill_9_when(started, repo, "doc-check", "--yes")
    (repo / "README.md").write_text("# readme\nmy commit\n")
    git(repo, "commit", "-qam", "user commit on main")
    mine = git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("# readme\nmy commit\nuncommitted edit\n")
    (repo / "new-user-file.txt").write_text("mine\n")
    git(repo, "checkout", "-q", "-b", "elsewhere")
    result = run_migrate(repo, "status")
    assert "killed" in result.stdout
    cleaned = run_migrate(repo, "recover")
    assert cleaned.returncode == 0, cleaned.stderr
    assert "died" in cleaned.stdout
    assert "recipe 'doc-check' was not applied" in cleaned.stdout  # the journal knew the run
    time.sleep(3.5)  # the check would have written by now, had it lived
    assert not late.exists()
    assert git(repo, "rev-parse", "elsewhere") == mine == git(repo, "rev-parse", "main")
    assert (repo / "README.md").read_text().endswith("uncommitted edit\n")
    assert (repo / "new-user-file.txt").read_text() == "mine\n"
    assert (repo / "CLAUDE.md").read_text() == CLAUDE
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "elsewhere"
    assert not any(p.name for p in (repo / ".git/migrate/worktrees").iterdir())


def test_two_applies_started_together_one_refuses_naming_the_other(tmp_path: Path) -> None:
    started = tmp_path / "check-started"
    repo = repo_with(tmp_path, doc_recipe(f"touch {started}; sleep 2"))
    first = start_apply(repo, "doc-check", "--yes")
    second = start_apply(repo, "max-workers", "--yes")
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 3], (out1, err1, out2, err2)
    refused = err1 if first.returncode == 3 else err2
    assert "is working on this repository" in refused and "pid" in refused
    assert len([b for b in branches(repo) if b.startswith("migrate/")]) == 1


def test_files_the_user_creates_while_a_check_runs_are_kept_and_not_committed(
    tmp_path: Path,
) -> None:
    started, go = tmp_path / "check-started", tmp_path / "go-on"
    wait = f"while [ ! -e {go} ]; do sleep 0.05; done"
    check = f"touch {started}; {wait}; ! grep -q Performance CLAUDE.md"
    repo = repo_with(tmp_path, doc_recipe(check))
    proc = start_apply(repo, "doc-check", "--yes")
    wait_for(started)
    (repo / "created-meanwhile.txt").write_text("mine\n")
    (repo / "scripts/pool.py").write_text(POOL + "# my edit\n")
    go.touch()
    proc.communicate(timeout=60)
    assert proc.returncode == 1  # the step failed and was dropped
    assert (repo / "created-meanwhile.txt").read_text() == "mine\n"
    assert (repo / "scripts/pool.py").read_text() == POOL + "# my edit\n"
    assert git(repo, "status", "--porcelain", "--", "CLAUDE.md") == ""


def test_a_check_that_edits_and_deletes_files_changes_nothing_committed(tmp_path: Path) -> None:
    check = "echo 'test was here' >> CLAUDE.md; rm README.md; echo junk > left-behind.txt"
    repo = repo_with(tmp_path, doc_recipe(check))
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    committed = git(repo, "show", "HEAD:CLAUDE.md")
    assert "Performance" in committed and "test was here" not in committed
    assert git(repo, "show", "HEAD:README.md") == "# readme"
    assert (repo / "README.md").exists()
    assert not (repo / "left-behind.txt").exists()
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("what", ["claude-folder", "claude-md"])
def test_symlinks_out_of_the_repository_are_never_written_through(
    tmp_path: Path, what: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "CLAUDE.md").write_text(CLAUDE)
    (outside / "hooks").mkdir()
    (outside / "hooks/a.py").write_text("print('a')\n")
    (outside / "hooks/b.py").write_text("print('b')\n")
    hooks = [{"type": "command", "command": f"python3 .claude/hooks/{n}.py"} for n in "ab"]
    (outside / "settings.json").write_text(
        json.dumps({"hooks": {"Stop": [{"hooks": hooks}]}}, indent=2) + "\n"
    )
    repo = repo_with(tmp_path)
    if what == "claude-folder":
        (repo / ".claude").symlink_to(outside)
        recipes = ["parallel-hook-runner"]
    else:
        (repo / "CLAUDE.md").unlink()
        (repo / "CLAUDE.md").symlink_to(outside / "CLAUDE.md")
        recipes = ["agent-parallelism-doc"]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "links")
    before = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    result = run_migrate(repo, "apply", *recipes, "--yes")
    assert "Traceback" not in result.stderr, result.stderr
    after = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in (outside / "hooks").iterdir()) == ["a.py", "b.py"]
    if what == "claude-md":
        assert result.returncode == 0, result.stdout + result.stderr
        link = f"is a symlink to {outside / 'CLAUDE.md'}; migrate never replaces a link"
        assert result.stdout.count(f"  note: skipped CLAUDE.md: {link}") == 1
        assert result.stdout.count(f"  CLAUDE.md:0: {link}") == 1  # 0: the whole file
    else:
        assert result.returncode == 2, result.stdout + result.stderr
        assert "symlink that leaves the repository" in result.stderr
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""
    assert (repo / ("CLAUDE.md" if what == "claude-md" else ".claude")).is_symlink()


def _merged_run(tmp_path: Path) -> tuple[Path, str]:
    repo = repo_with(tmp_path)
    base = git(repo, "rev-parse", "HEAD")
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    run_branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", run_branch)
    (repo / "README.md").write_text("# readme\nlater user work\n")
    git(repo, "commit", "-qam", "later user commit")
    return repo, base


@pytest.mark.parametrize("journal", ["kept", "lost"])
def test_rollback_all_of_a_merged_run_makes_revert_commits(tmp_path: Path, journal: str) -> None:
    repo, base = _merged_run(tmp_path)
    mine = git(repo, "rev-parse", "HEAD")
    if journal == "lost":
        subprocess.run(["rm", "-rf", str(repo / ".git/migrate")], check=True)
    result = run_migrate(repo, "rollback", "--all", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    revert = git(repo, "rev-parse", "HEAD")
    assert "main holds commits migrate did not make" in result.stdout
    assert f"not reset: commit {revert[:10]} reverts the run's 1 step(s)" in result.stdout
    assert git(repo, "rev-parse", "HEAD~1") == mine  # the user's commit is still there
    assert (repo / "README.md").read_text() == "# readme\nlater user work\n"
    assert (repo / "scripts/pool.py").read_text() == POOL
    assert git(repo, "diff", base, "HEAD", "--", "scripts") == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    again = run_migrate(repo, "rollback", "--all", "--yes")
    assert again.returncode == 0 and "already" in again.stdout, again.stdout + again.stderr


def test_rollback_refuses_a_step_a_later_applied_step_requires(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, doc_recipe("true", requires="max-workers"))
    assert run_migrate(repo, "apply", "max-workers", "doc-check", "--yes").returncode == 0
    tip = git(repo, "rev-parse", "HEAD")
    refused = run_migrate(repo, "rollback", "max-workers")
    assert refused.returncode == 2
    assert "doc-check" in refused.stderr and "--with-dependents" in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == tip
    both = run_migrate(repo, "rollback", "max-workers", "--with-dependents")
    assert both.returncode == 0, both.stderr
    assert (repo / "CLAUDE.md").read_text() == CLAUDE
    assert (repo / "scripts/pool.py").read_text() == POOL


def test_rollback_refused_for_a_chain_of_dependents_names_the_newest_first(
    tmp_path: Path,
) -> None:
    """doc-two requires doc-check, which requires max-workers: doc-two is undone first."""
    two = (
        'id = "doc-two"\ntitle = "Timeouts"\ntransform = "subprocess-timeouts"\n'
        'paths = ["scripts/run.py"]\nrequires = ["doc-check"]\n[validate]\npytest = false\n'
    )
    run_py = "import subprocess\nsubprocess.run(['ls'], capture_output=True)\n"
    extra = {**doc_recipe("true", requires="max-workers"), "scripts/run.py": run_py}
    repo = repo_with(tmp_path, {**extra, ".migrate/recipes/doc-two.toml": two})
    applied = run_migrate(repo, "apply", "max-workers", "doc-check", "doc-two", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    refused = run_migrate(repo, "rollback", "max-workers")
    assert refused.returncode == 2
    assert "is required by doc-two, doc-check, applied after it;" in refused.stderr
    assert "roll back 'doc-two' first" in refused.stderr, refused.stderr


def test_rollback_file_never_touched_is_exit_2(tmp_path: Path) -> None:
    repo = repo_with(tmp_path)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    tip = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "rollback", "--file", "README.md")
    assert result.returncode == 2 and "did not change" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == tip


def test_rollback_that_git_refuses_to_commit_leaves_nothing_half_done(tmp_path: Path) -> None:
    """Commit signing switched on without a key: the revert is never half applied."""
    repo = repo_with(tmp_path)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    tip = git(repo, "rev-parse", "HEAD")
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", str(tmp_path / "no-such-gpg"))
    result = run_migrate(repo, "rollback", "max-workers")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "git refused" in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "rev-parse", "HEAD") == tip
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".git/REVERT_HEAD").exists()
    git(repo, "config", "commit.gpgsign", "false")
    assert run_migrate(repo, "rollback", "max-workers").returncode == 0


def test_a_refused_commit_is_explained_by_the_last_line_git_printed(tmp_path: Path) -> None:
    """A signing program that fails in three lines: the last one says why."""
    repo = repo_with(tmp_path)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    signer = tmp_path / "ssh-keygen"
    signer.write_text(
        "#!/bin/sh\necho loading >&2\necho trying >&2\necho 'no key, no signature' >&2\nexit 1\n"
    )
    signer.chmod(0o755)
    for key, value in {
        "commit.gpgsign": "true",
        "gpg.format": "ssh",
        "gpg.ssh.program": str(signer),
        "user.signingkey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE",
    }.items():
        git(repo, "config", key, value)
    result = run_migrate(repo, "rollback", "max-workers")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.rstrip().endswith("no key, no signature"), result.stderr


def test_a_damaged_journal_is_rebuilt_from_the_commits(tmp_path: Path) -> None:
    repo = repo_with(tmp_path)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    for record in (repo / ".git/migrate/runs").glob("*.json"):
        record.write_text('{"id": "trunc')
    result = run_migrate(repo, "status", "--json")
    assert result.returncode == 0, result.stderr
    assert "could not be read" in result.stderr
    steps = json.loads(result.stdout)["run"]["steps"]
    assert [(s["recipe"], s["status"]) for s in steps] == [("max-workers", "applied")]


def test_a_stale_lock_of_a_dead_process_is_cleared_with_a_message(tmp_path: Path) -> None:
    repo = repo_with(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = repo / ".git/migrate/lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": dead.pid, "start": "1", "command": "apply"}))
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"pid {dead.pid}" in result.stdout


def test_a_command_refused_by_a_lock_taken_a_moment_ago_names_its_holder(
    tmp_path: Path,
) -> None:
    """The holder has the lock but writes its record a moment later: the second command reads
    the record again until it is there, and names the holder rather than "another migrate"."""
    from migrate.engine.safety import Lock
    from migrate.errors import RepoStateError

    folder = tmp_path / "migrate"
    folder.mkdir()
    held = os.open(folder / "lock.json", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # another open file: flock refuses this process too
    record = json.dumps({"pid": 4242, "start": None, "command": "apply"}).encode()
    late = threading.Timer(0.1, os.write, (held, record))
    late.start()
    try:
        with pytest.raises(RepoStateError, match=r"`migrate apply` \(pid 4242\) is working"):
            Lock(folder).acquire("status")
    finally:
        late.join()
        os.close(held)


@pytest.mark.parametrize(
    "args, files, fragment",
    [
        pytest.param(
            ["apply", "max-workers", "--branch", "bad..name"], {}, "bad..name", id="branch"
        ),
        pytest.param(
            ["hooks", "verify", "--before", "nosuchrev"],
            {},
            "--before nosuchrev: no such revision in",
            id="revision",
        ),
        pytest.param(
            ["apply", "max-workers"],
            {".migrate/recipes/latin.toml": b'id = "caf\xe9"\n'},
            "not UTF-8",
            id="recipe-not-utf8",
        ),
        pytest.param(
            ["apply", "max-workers"],
            {".migrate/config.toml": "[validate]\npytest_command = []\n"},
            "pytest_command",
            id="empty-pytest-command",
        ),
        pytest.param(
            ["apply", "boom"],
            {
                ".migrate/recipes/boom.toml": (
                    'id = "boom"\ntitle = "t"\ntransform = "libcst:boom.py"\npaths = ["**/*.py"]\n'
                ),
                ".migrate/recipes/boom.py": (
                    "import libcst, sys\n"
                    "class T(libcst.CSTTransformer):\n"
                    "    def leave_Module(self, o, u):\n        sys.exit(3)\n"
                ),
            },
            "SystemExit",
            id="user-transform-exits",
        ),
        pytest.param(
            ["apply", "boom"],
            {
                ".migrate/recipes/boom.toml": (
                    'id = "boom"\ntitle = "t"\ntransform = "libcst:boom.py"\npaths = ["**/*.py"]\n'
                ),
                ".migrate/recipes/boom.py": (
                    "import libcst\n"
                    "class T(libcst.CSTTransformer):\n"
                    "    def leave_Module(self, o, u):\n        raise ValueError('no way')\n"
                ),
            },
            "ValueError: no way",
            id="user-transform-raises",
        ),
        pytest.param(
            ["apply", "create-unified-hooks"],
            {".claude/settings.json": b'{"hooks": {"Stop": "caf\xe9"}}\n'},
            "not UTF-8",
            id="settings-not-utf8",
        ),
        pytest.param(
            ["apply", "create-unified-hooks"],
            {".claude/settings.json": '{"hooks": ' + "[" * 5000 + "]" * 5000 + "}\n"},
            "nested too deeply",
            id="settings-nested-too-deep",
        ),
    ],
)
def test_user_errors_are_one_sentence_and_change_nothing(
    tmp_path: Path, args: list[str], files: dict[str, str | bytes], fragment: str
) -> None:
    repo = repo_with(tmp_path, files)
    refs = git(repo, "for-each-ref")
    result = run_migrate(repo, *args, "--yes") if args[0] == "apply" else run_migrate(repo, *args)
    assert result.returncode in (2, 3), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert git(repo, "for-each-ref") == refs  # no branch left behind
    assert git(repo, "status", "--porcelain") == ""


def test_a_recipe_that_would_write_behind_a_symlink_changes_nothing(tmp_path: Path) -> None:
    """Pattern: `.claude/hooks` is a symlink to a folder shared in the repository. The
    dispatcher would be written through the link: the recipe stops before it registers a
    script that would not exist, and names the file and the link."""
    hooks = [{"type": "command", "command": f"python3 .claude/hooks/{n}.py"} for n in "ab"]
    registered = json.dumps({"hooks": {"Stop": [{"hooks": hooks}]}}, indent=2) + "\n"
    repo = repo_with(
        tmp_path,
        {f"tools/hooks/{n}.py": f"print('{n}')\n" for n in "ab"}
        | {".claude/settings.json": registered},
    )
    (repo / ".claude/hooks").symlink_to("../tools/hooks")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shared hooks")
    refs = git(repo, "for-each-ref")
    result = run_migrate(repo, "apply", "parallel-hook-runner", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        "migrate: .claude/hooks/dispatch_stop.py (and 1 more): lies behind the symlink"
        " .claude/hooks (a link: ../tools/hooks); recipe 'parallel-hook-runner' changed nothing"
        " (migrate never writes through a symlink).\n"
    )
    assert git(repo, "for-each-ref") == refs
    assert sorted(p.name for p in (repo / "tools/hooks").iterdir()) == ["a.py", "b.py"]


def test_unreadable_files_stop_the_recipe_unless_skipped(tmp_path: Path) -> None:
    latin = b"x = 'caf\xe9'\nThreadPoolExecutor(max_workers=10)\n"
    repo = repo_with(tmp_path, {"scripts/latin.py": latin, "scripts/latin2.py": latin})
    refused = run_migrate(repo, "apply", "max-workers", "--yes")
    assert refused.returncode == 2
    assert "scripts/latin.py (and 1 more): " in refused.stderr
    assert "--skip-unreadable" in refused.stderr
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""
    shown = run_migrate(repo, "apply", "max-workers", "--dry-run", "--json", "--skip-unreadable")
    found = json.loads(shown.stdout)["recipes"][0]["findings"]
    whole = {(f["path"], f["line"]) for f in found if f["kind"] == "unreadable"}
    assert whole == {("scripts/latin.py", 0), ("scripts/latin2.py", 0)}  # 0: the whole file
    result = run_migrate(repo, "apply", "max-workers", "--yes", "--skip-unreadable")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped scripts/latin.py" in result.stdout
    assert "max_workers=50" in (repo / "scripts/pool.py").read_text()


EVERY_FILE = {
    ".migrate/recipes/doc-all.toml": (
        'id = "doc-all"\ntitle = "Doc"\ntransform = "agent-parallelism-doc"\npaths = ["**"]\n'
        "[validate]\npytest = false\n"
    )
}


def test_binary_files_a_recipe_takes_in_are_left_out_with_one_note(tmp_path: Path) -> None:
    """Pattern: a `.DS_Store` committed beside the hook scripts, and images for the README. A
    recipe over every file (as remove-old-hooks, which looks for names anywhere) goes on
    without them, and says so; a Python file with NUL bytes still stops it."""
    binaries: dict[str, str | bytes] = {
        ".claude/hooks/.DS_Store": b"\x00\x00\x00\x01Bud1\x00\x00",
        "images/flow.gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        "images/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "images/arch.webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    }
    repo = repo_with(tmp_path, {**EVERY_FILE, **binaries})
    result = run_migrate(repo, "apply", "doc-all", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "left out 4 binary file(s), which hold no text to change: .claude/hooks/.DS_Store,"
        " images/arch.webp, images/flow.gif and 1 more"
    ) in " ".join(result.stdout.split())
    assert "Performance checklist" in (repo / "CLAUDE.md").read_text()
    git(repo, "reset", "-q", "--hard", "main")
    shown = run_migrate(repo, "apply", "doc-all", "--dry-run", "--json")
    found = json.loads(shown.stdout)["recipes"][0]["findings"]
    assert {(f["path"], f["line"]) for f in found if f["kind"] == "binary"} == {
        (path, 0)
        for path in binaries  # 0: the whole file
    }
    three = {path: data for path, data in binaries.items() if "DS_Store" not in path}
    broken = tmp_path / "broken"
    repo = make_repo(broken, {**BASE, **EVERY_FILE, **three, "scripts/nul.py": b"x = 1\x00\n"})
    refused = run_migrate(repo, "apply", "doc-all", "--yes")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "scripts/nul.py: holds NUL bytes: not a text file" in refused.stderr
    skipped = run_migrate(repo, "apply", "doc-all", "--yes", "--skip-unreadable")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    said = " ".join(skipped.stdout.split())
    assert "skipped scripts/nul.py: holds NUL bytes: not a text file" in said
    assert (
        "left out 3 binary file(s), which hold no text to change: images/arch.webp,"
        " images/flow.gif, images/logo.png"
    ) in said
    assert "images/logo.png and" not in said  # all three named, no "and 0 more"


def test_ignored_files_the_checks_need_are_shared_into_the_run(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path, {**doc_recipe("test -f .env && test -d .venv"), ".gitignore": ".env\n.venv/\n"}
    )
    (repo / ".env").write_text("SECRET=1\n")
    (repo / ".venv").mkdir()
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo / ".env").read_text() == "SECRET=1\n"


def test_a_step_already_reverted_by_hand_is_nothing_to_do(tmp_path: Path) -> None:
    repo = repo_with(tmp_path)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    git(repo, "revert", "--no-edit", "HEAD")
    tip = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "rollback", "max-workers")
    assert result.returncode == 0, result.stderr
    assert "already undone by hand" in result.stdout
    assert git(repo, "rev-parse", "HEAD") == tip


def test_rollback_file_the_run_created_deletes_it_in_a_commit(tmp_path: Path) -> None:
    repo = repo_with(tmp_path)
    (repo / "CLAUDE.md").unlink()
    git(repo, "commit", "-qam", "no CLAUDE.md")
    assert run_migrate(repo, "apply", "agent-parallelism-doc", "--yes").returncode == 0
    assert (repo / "CLAUDE.md").exists()
    result = run_migrate(repo, "rollback", "--file", "CLAUDE.md")
    assert result.returncode == 0, result.stderr
    short = git(repo, "rev-parse", "--short=10", "HEAD")
    assert result.stdout.endswith(f"restored CLAUDE.md with commit {short}.\n")
    assert not (repo / "CLAUDE.md").exists()
    assert git(repo, "status", "--porcelain") == ""
    assert "Migrate-Rollback-File: CLAUDE.md" in git(repo, "log", "-1", "--format=%B")


def test_the_journal_is_rebuilt_from_the_newest_run_of_two_in_history(tmp_path: Path) -> None:
    """Two runs merged into main, then the journal lost: only the newest run comes back, and
    rolling it back leaves the older run's step alone."""
    repo = repo_with(tmp_path)
    for recipe in ("max-workers", "agent-parallelism-doc"):  # two runs, each merged
        applied = run_migrate(repo, "apply", recipe, "--yes")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        run_branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD")
        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", run_branch)
    newest, older = (
        git(repo, "log", "-1", "--format=%(trailers:key=Migrate-Run,valueonly)", rev)
        for rev in ("HEAD", "HEAD~1")
    )
    assert newest and older and newest != older
    subprocess.run(["rm", "-rf", str(repo / ".git/migrate")], check=True)
    shown = run_migrate(repo, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)["run"]
    assert run["id"] == newest
    assert [(s["recipe"], s["status"]) for s in run["steps"]] == [
        ("agent-parallelism-doc", "applied")
    ]
    rolled = run_migrate(repo, "rollback", "--all", "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert (repo / "CLAUDE.md").read_text() == CLAUDE
    assert "max_workers=50" in (repo / "scripts/pool.py").read_text()


def test_an_intent_to_add_file_and_a_staged_change_stay_the_users(tmp_path: Path) -> None:
    """`git add -N` and a staged edit in the user's index: the run neither refuses nor
    touches them (it starts from HEAD in its own worktree)."""
    repo = repo_with(tmp_path)
    (repo / "planned.py").write_text("x = 1\n")
    git(repo, "add", "-N", "planned.py")
    (repo / "README.md").write_text("# readme\nstaged\n")
    git(repo, "add", "README.md")
    index_before = git(repo, "diff", "--cached", "--name-status")
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not included" in result.stdout and "planned.py" in result.stdout
    assert git(repo, "diff", "--cached", "--name-status") == index_before
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # not switched: not clean
    branch = git(repo, "branch", "--list", "migrate/*", "--format=%(refname:short)")
    assert "max_workers=50" in git(repo, "show", f"{branch}:scripts/pool.py")


def test_a_lock_record_naming_a_folder_outside_migrates_own_is_never_removed(
    tmp_path: Path,
) -> None:
    """A damaged or forged record of a dead run must not make cleanup delete the user's files."""
    repo = repo_with(tmp_path)
    lock = repo / ".git/migrate/lock.json"
    lock.parent.mkdir(parents=True)
    record = {"pid": 1, "start": "forged", "command": "apply", "worktrees": [str(repo)]}
    lock.write_text(json.dumps(record))
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo / "README.md").read_text() == "# readme\n"
    assert (repo / "CLAUDE.md").read_text() == CLAUDE


def test_a_dead_runs_folder_that_git_does_not_know_as_a_worktree_is_removed(
    tmp_path: Path,
) -> None:
    """`git worktree remove` refuses a folder it has no record of: it is deleted all the same."""
    repo = repo_with(tmp_path)
    leftover = repo / ".git/migrate/worktrees/20260101-000000-dead"
    leftover.mkdir(parents=True)
    (leftover / "CLAUDE.md").write_text("half written\n")
    record = {"pid": 1, "start": "forged", "command": "apply", "worktrees": [str(leftover)]}
    (repo / ".git/migrate/lock.json").write_text(json.dumps(record))
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cleared the lock" in result.stdout
    assert not leftover.exists()


def test_a_lock_record_whose_pid_was_reused_is_a_dead_run(tmp_path: Path) -> None:
    """The pid is alive but its process did not start when the record says (start "0": no
    process starts at boot tick 0): the run that wrote the record is dead."""
    repo = repo_with(tmp_path)
    lock = repo / ".git/migrate/lock.json"
    lock.parent.mkdir(parents=True)
    other = subprocess.Popen(["sleep", "30"])
    try:
        lock.write_text(json.dumps({"pid": other.pid, "start": "0", "command": "apply"}))
        result = run_migrate(repo, "status", "--json")
    finally:
        other.kill()
        other.wait()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["interrupted"] is True


@pytest.mark.parametrize("record", ['{"pid": 12', '{"owner": "someone"}'], ids=["cut", "alien"])
def test_a_torn_lock_record_is_a_dead_run_and_is_cleared(tmp_path: Path, record: str) -> None:
    """A record cut short by a crash mid-write, or not ours, names nobody alive."""
    repo = repo_with(tmp_path)
    lock = repo / ".git/migrate/lock.json"
    lock.parent.mkdir(parents=True)
    lock.write_text(record)
    shown = run_migrate(repo, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["interrupted"] is True
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cleared the lock of a migrate run that died" in result.stdout


def test_status_during_a_run_is_not_an_interrupted_one(tmp_path: Path) -> None:
    """The holder is alive and is the process that took the lock: nothing was interrupted."""
    started, go = tmp_path / "check-started", tmp_path / "go-on"
    check = f"touch {started}; while [ ! -e {go} ]; do sleep 0.05; done"
    repo = repo_with(tmp_path, doc_recipe(check))
    proc = start_apply(repo, "doc-check", "--yes")
    try:
        wait_for(started)
        shown = run_migrate(repo, "status", "--json")
    finally:
        go.touch()
        proc.communicate(timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["interrupted"] is False


def test_share_goes_past_entries_it_cannot_share_and_makes_missing_parents(
    tmp_path: Path,
) -> None:
    """`share` lists a folder that does not exist, a committed file the user is editing and a
    folder behind a committed symlink (none shared), then an ignored folder two levels deep,
    which the check needs."""
    config = '[validate]\nshare = ["no-such-folder", "README.md", "linked/cache", "deep/er/data"]\n'
    recipe = doc_recipe(
        "test -f deep/er/data/x && test ! -e linked/cache && ! grep -q mine README.md"
    )
    files = {**recipe, ".migrate/config.toml": config, ".gitignore": "deep/\n", "real/keep": ""}
    repo = repo_with(tmp_path, files)
    os.symlink("real", repo / "linked")
    git(repo, "add", "linked")
    git(repo, "commit", "-qm", "a linked folder")
    (repo / "deep/er/data").mkdir(parents=True)
    (repo / "deep/er/data/x").write_text("needed\n")
    (repo / "real/cache").mkdir()
    (repo / "README.md").write_text("# readme\nmine, not committed\n")  # stays out of the run
    result = run_migrate(repo, "apply", "doc-check", "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    check = json.loads(result.stdout)["steps"][0]["checks"][0]
    assert check["outcome"] == "passed"  # not "fails at base", where share runs too
    # the lock file is the user's alone (it names the command and process running)
    assert (repo / ".git/migrate/lock.json").stat().st_mode & 0o777 == 0o600


def test_a_dead_runs_check_group_whose_number_was_reused_is_not_killed(tmp_path: Path) -> None:
    """The record names a check's process group, but the process leading that group now did
    not start when the record says: it is somebody else's, and it lives on."""
    repo = repo_with(tmp_path)
    lock = repo / ".git/migrate/lock.json"
    lock.parent.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        record = {"pid": dead.pid, "start": "0", "command": "apply", "group": other.pid}
        lock.write_text(json.dumps({**record, "group_start": "0"}))
        result = run_migrate(repo, "apply", "max-workers", "--yes")
        assert result.returncode == 0, result.stdout + result.stderr
        assert other.poll() is None  # still running
    finally:
        other.kill()
        other.wait()


def test_a_transform_failing_in_the_run_removes_the_worktree_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    """A user's transform that raises is the user's error, not a bug of migrate's: one
    sentence, and the run's worktree is removed (it is kept only after a bug of ours)."""
    transform = (
        "import libcst\n"
        "class Boom(libcst.CSTTransformer):\n"
        "    def leave_Name(self, original, updated):\n"
        "        raise RuntimeError('boom')\n"
    )
    recipe = 'id = "boom"\ntitle = "Boom"\ntransform = "libcst:boom.py"\npaths = ["scripts/*.py"]\n'
    repo = repo_with(
        tmp_path, {".migrate/recipes/boom.toml": recipe, ".migrate/recipes/boom.py": transform}
    )
    result = run_migrate(repo, "apply", "boom", "--yes")
    assert result.returncode in (2, 3), result.stdout + result.stderr
    assert "the transform failed on scripts/pool.py" in result.stderr
    assert "kept for inspection" not in result.stderr
    assert list((repo / ".git/migrate/worktrees").glob("*")) == []


def test_share_in_a_recipe_is_refused_it_is_the_projects(tmp_path: Path) -> None:
    """A run's one worktree serves every step: `share` belongs to .migrate/config.toml."""
    recipe = doc_recipe("true")
    recipe[".migrate/recipes/doc-check.toml"] += 'share = [".cache"]\n'  # type: ignore[operator]
    repo = repo_with(tmp_path, recipe)
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "key 'validate.share' is a project setting" in result.stderr
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""


def test_the_journal_is_rebuilt_from_a_run_whose_commits_interleave_with_anothers(
    tmp_path: Path,
) -> None:
    """Run A's first step, then run B (from main), then A's second step, both branches merged
    into main: by date, A's commits come before and after B's. With the journal lost, A is
    rebuilt with both of its steps."""
    readme = (
        'id = "readme-doc"\ntitle = "Readme"\ntransform = "agent-parallelism-doc"\n'
        'paths = ["README.md"]\n[validate]\npytest = false\n'
    )
    repo = repo_with(tmp_path, {".migrate/recipes/readme-doc.toml": readme})

    def apply(recipe: str, second: int) -> str:
        when = f"2026-01-01T00:00:{second:02d}"
        dated = {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
        applied = run_migrate(repo, "apply", recipe, "--yes", env=dated)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        return git(repo, "rev-parse", "--abbrev-ref", "HEAD")

    run_a = apply("max-workers", 1)
    git(repo, "checkout", "-q", "main")
    run_b = apply("readme-doc", 2)
    git(repo, "checkout", "-q", run_a)
    assert apply("agent-parallelism-doc", 3) == run_a  # joins run A
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", run_a)
    git(repo, "merge", "-q", "--no-edit", run_b)
    subprocess.run(["rm", "-rf", str(repo / ".git/migrate")], check=True)
    shown = run_migrate(repo, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    run = json.loads(shown.stdout)["run"]
    assert run["id"] == run_a.removeprefix("migrate/")
    assert [s["recipe"] for s in run["steps"]] == ["max-workers", "agent-parallelism-doc"]


def test_a_dead_runs_check_group_is_killed_and_reaped_and_the_next_command_goes_on(
    tmp_path: Path,
) -> None:
    """The dead run's check is still running, and its parent reaps it as soon as it dies (as
    init does on most machines): the group is gone while the next command waits for it. The
    check's program is named `sl)eep`: /proc/<pid>/stat is read past the last parenthesis."""
    repo = repo_with(tmp_path)
    shown = run_migrate(repo, "status", "--json")  # no lock file yet: nobody holds it
    assert shown.returncode == 0 and json.loads(shown.stdout)["interrupted"] is False
    dead = subprocess.Popen(["true"])
    dead.wait()
    program = tmp_path / "sl)eep"
    shutil.copy("/bin/sleep", program)
    check = subprocess.Popen([str(program), "30"], start_new_session=True)
    reaper = threading.Thread(target=check.wait)
    reaper.start()
    try:
        # starttime is field 22 of /proc/<pid>/stat (proc(5)), counted after the name
        started = Path(f"/proc/{check.pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[19]
        record = {"pid": dead.pid, "start": "0", "command": "apply", "group": check.pid}
        lock = repo / ".git/migrate/lock.json"
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text(json.dumps({**record, "group_start": started.decode()}))
        result = run_migrate(repo, "apply", "max-workers", "--yes")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "cleared the lock of a migrate run that died" in result.stdout
        reaper.join(timeout=10)
        assert check.returncode == -signal.SIGKILL
    finally:
        check.kill()
        reaper.join()


def test_a_kill_9_after_a_base_check_still_leaves_the_runs_worktree_to_clean(
    tmp_path: Path,
) -> None:
    """The first step fails its check, which then runs on the base in a worktree of its own;
    the second step's check hangs and migrate is killed. The lock still names the run's
    worktree, so the next command removes it."""
    started = tmp_path / "check-started"
    hang = {
        ".migrate/recipes/pool-check.toml": (
            'id = "pool-check"\ntitle = "Pool"\ntransform = "max-workers"\n'
            'paths = ["scripts/*.py"]\n[validate]\npytest = false\n'
            f"commands = [{json.dumps(f'touch {started}; sleep 30')}]\n"
        )
    }
    fails = "if grep -q Performance CLAUDE.md; then exit 1; fi"
    repo = repo_with(tmp_path, {**doc_recipe(fails), **hang})
    kill_9_when(started, repo, "doc-check", "pool-check", "--keep-going", "--yes")
    cleaned = run_migrate(repo, "recover")
    assert cleaned.returncode == 0, cleaned.stderr
    assert "died" in cleaned.stdout
    assert not any((repo / ".git/migrate/worktrees").iterdir())
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_kill_9_during_a_base_check_leaves_no_worktree_behind(tmp_path: Path) -> None:
    """migrate is killed while a failed check runs again on the base, in a second worktree:
    the next command removes both the base's worktree and the run's."""
    started = tmp_path / "check-started"
    check = f"if grep -q Performance CLAUDE.md; then exit 1; else touch {started}; sleep 30; fi"
    repo = repo_with(tmp_path, doc_recipe(check))
    kill_9_when(started, repo, "doc-check", "--yes")
    cleaned = run_migrate(repo, "recover")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not any((repo / ".git/migrate/worktrees").iterdir())
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_worktree_git_cannot_create_is_one_sentence(tmp_path: Path) -> None:
    """git fails to add the run's worktree (here `.git/worktrees` is a file): the command
    says what git refused, exits 3, and leaves nothing behind."""
    repo = repo_with(tmp_path)
    (repo / ".git/worktrees").write_text("not a folder\n")
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "git refused to create the run's worktree" in result.stderr
    assert "Traceback" not in result.stderr
    assert git(repo, "for-each-ref", "refs/heads/migrate", "refs/migrate") == ""


def test_a_worktree_deleted_by_hand_does_not_block_the_next_run(tmp_path: Path) -> None:
    """The user deleted a base check's worktree folder after a crash, without `git worktree
    prune`: git still has it registered, and the next check of that base replaces it."""
    repo = repo_with(tmp_path, doc_recipe("if grep -q Performance CLAUDE.md; then exit 1; fi"))
    stale = repo / f".git/migrate/worktrees/base-{git(repo, 'rev-parse', 'HEAD')[:12]}"
    stale.parent.mkdir(parents=True)
    git(repo, "worktree", "add", "-q", "--detach", str(stale))
    shutil.rmtree(stale)
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr  # the step failed its check
    assert "reverted" in result.stdout and "git refused" not in result.stderr
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_a_stale_folder_where_a_worktree_goes_is_removed_first(tmp_path: Path) -> None:
    """A base check's worktree is named after the commit it checks out; a folder of that name
    left by an earlier crash (the lock record torn, so nothing named it) is removed first."""
    repo = repo_with(tmp_path, doc_recipe("if grep -q Performance CLAUDE.md; then exit 1; fi"))
    stale = repo / f".git/migrate/worktrees/base-{git(repo, 'rev-parse', 'HEAD')[:12]}"
    stale.mkdir(parents=True)
    (stale / "CLAUDE.md").write_text("half written\n")
    result = run_migrate(repo, "apply", "doc-check", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr  # the step failed its check
    assert "reverted" in result.stdout
    assert not stale.exists()


def test_a_kill_9_after_a_validated_step_keeps_that_step_on_the_runs_branch(
    tmp_path: Path,
) -> None:
    """max-workers is validated and committed in the run's worktree; migrate is killed during
    the next step's check. The next command puts the validated step on the run's branch."""
    started = tmp_path / "check-started"
    repo = repo_with(tmp_path, doc_recipe(f"touch {started}; sleep 30"))
    kill_9_when(started, repo, "max-workers", "doc-check", "--yes")
    cleaned = run_migrate(repo, "recover")
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert "recipe 'doc-check' was not applied" in cleaned.stdout
    [branch] = [b for b in branches(repo) if b.startswith("migrate/")]
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # the user stays put
    assert "max_workers=50" in git(repo, "show", f"{branch}:scripts/pool.py")
    assert git(repo, "show", f"{branch}:CLAUDE.md") == CLAUDE.rstrip("\n")
