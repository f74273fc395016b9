"""The guided migration (`migrate` / `migrate guide`), driven in a real pseudo-terminal with
pexpect, and without a terminal, on the example project and small real repositories."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.helpers import git, make_repo, run_migrate

DOWN = "\x1b[B"
SPACE = " "
ENTER = "\r"
CTRL_C = "\x03"
TIMEOUT = 120  # a step runs the example's tests; the machine may be busy
# A file's yes/no question still waiting (once answered it is redrawn with the answer).
UNANSWERED_FILE = r"Apply (\S+) \[y,n,a,d,q,\?\]\? "
END_OF_REVIEW = r"Apply the \d+ accepted file\(s\) \(\d+ skipped\) \[y,r,n,q,\?\]\? "
PROMPT_TEXTS = ("Recipes to apply", "Apply these changes", ",q,?]? ", "Go on with")


def spawn(repo: Path, *args: str) -> pexpect.spawn:
    """`python -m migrate` in a pseudo-terminal in `repo`; `child.logfile_read` keeps the screen."""
    # PAGER=cat, as git's own tests do: previews longer than the screen are printed as they are.
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "50", "NO_COLOR": "1"}
    env["PAGER"] = "cat"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "migrate", *args],
        cwd=str(repo),
        env=env,
        encoding="utf-8",
        dimensions=(50, 120),
        timeout=TIMEOUT,
        # A runner started in the background may ignore SIGINT, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    child.logfile_read = io.StringIO()
    return child


def keys(child: pexpect.spawn, *presses: str) -> None:
    time.sleep(0.3)  # let the prompt take the terminal before typing
    for press in presses:
        child.send(press)
        time.sleep(0.05)


def pick(child: pexpect.spawn, *moves: str) -> None:
    """At the recipe checkbox (every pending recipe pre-selected): clear it, then `moves`."""
    child.expect("Recipes to apply")
    keys(child, "i", *moves, ENTER)


def approve(child: pexpect.spawn, *moves: str) -> None:
    """At "Apply these changes?": 0 downs apply all, 1 reviews, 2 skips, 3 quits."""
    child.expect(r"Apply these changes\?")
    keys(child, *moves, ENTER)


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    child.close()
    screen = child.logfile_read.getvalue()
    return child.exitstatus if child.exitstatus is not None else -child.signalstatus, screen


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def commit_doc_recipe(repo: Path, rid: str, command: str) -> str:
    """Commit a repo recipe that edits CLAUDE.md, first in the plan, validated only by
    `command`, which runs only once the step's edit is there (before it, the check passes:
    a failure is the step's); returns the new HEAD."""
    command = f"if grep -q Performance CLAUDE.md; then {command}; fi"
    path = repo / ".migrate" / "recipes" / f"{rid}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'id = "{rid}"\ntitle = "Doc checked by a command"\ntransform = "agent-parallelism-doc"\n'
        'order = 5\npaths = ["CLAUDE.md"]\n[validate]\npytest = false\n'
        f"commands = [{json.dumps(command)}]\n",
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"add recipe {rid}")
    return head(repo)


def run_status(repo: Path) -> dict:
    result = run_migrate(repo, "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def clean(repo: Path) -> bool:
    return git(repo, "status", "--porcelain", "--untracked-files=all") == ""


# --------------------------------------------------------------------------- in a terminal


def test_walk_through_review_reject_a_file_apply_and_report(example_repo: Path) -> None:
    base = head(example_repo)
    tracker = (example_repo / ".claude/hooks/session_state_tracker.py").read_text(encoding="utf-8")
    child = spawn(example_repo)
    child.expect("Python files analyzed")
    child.expect("The plan")
    # subprocess-timeouts, max-workers, agent-parallelism-doc: the immediate phase.
    pick(child, SPACE, DOWN, SPACE, DOWN, SPACE)
    child.expect(r"Also make the 12 unsafe edit\(s\) of subprocess-timeouts\?")
    keys(child, ENTER)  # no, the default
    approve(child, DOWN, DOWN)  # review file by file
    reviewed = []
    while True:
        found = child.expect([UNANSWERED_FILE, END_OF_REVIEW, r"passed +py_compile"])
        if found == 2:
            break
        if found == 1:
            child.sendline("y")  # apply the accepted ones
            continue
        path = child.match.group(1)
        reviewed.append(path)
        child.sendline("n" if path == ".claude/hooks/session_state_tracker.py" else "y")
    # The safe edits only: the other calls are unsafe edits, offered apart and not picked.
    assert len(reviewed) == len(set(reviewed)) == 3
    assert ".claude/hooks/session_state_tracker.py" in reviewed
    child.expect(r"applied +subprocess-timeouts")
    approve(child)  # max-workers: apply all
    child.expect(r"applied +max-workers")
    approve(child)  # agent-parallelism-doc
    child.expect(r"applied +agent-parallelism-doc")
    child.expect("Final report")
    child.expect(r"git checkout main && git merge --ff-only (migrate/\S+)")
    branch = child.match.group(1)
    code, screen = finish(child)
    assert code == 0, screen
    assert "running  pytest" in screen  # the live view of a check
    assert "Subprocess hangs" in screen and "Batch performance" in screen
    assert "Hooks registered" in screen and "plan: 32 subprocess calls missing timeouts" in screen
    assert "migrate rollback --all" in screen
    # The repository: three commits with trailers on the run's branch, the rejected file as it was.
    assert git(example_repo, "branch", "--show-current") == branch
    log = git(example_repo, "log", "--format=%B", f"{base}..HEAD")
    for recipe in ("subprocess-timeouts", "max-workers", "agent-parallelism-doc"):
        assert f"Migrate-Recipe: {recipe}" in log
    assert log.count("Migrate-Run: ") == 3
    assert "files rejected in review: 1" in log  # the commit says what the review left out
    for line in git(example_repo, "log", "--oneline", f"{base}..HEAD").splitlines():
        assert line.split()[0] in screen  # the report lists each commit
    assert (example_repo / ".claude/hooks/session_state_tracker.py").read_text(
        encoding="utf-8"
    ) == tracker
    assert "timeout=" in (example_repo / "scripts/lib/git_utils.py").read_text(encoding="utf-8")
    assert "timeout=" not in (example_repo / "scripts/ops/run_tests.py").read_text(encoding="utf-8")
    assert "Unsafe edits" in screen
    assert clean(example_repo)


def test_failed_validation_is_reverted_then_the_next_recipe_applies(example_repo: Path) -> None:
    start = commit_doc_recipe(example_repo, "doc-fails", "echo broken doc; exit 3")
    claude = (example_repo / "CLAUDE.md").read_text(encoding="utf-8")
    child = spawn(example_repo)
    pick(child, SPACE, DOWN, DOWN, SPACE)  # doc-fails, max-workers
    approve(child)
    child.expect("failed +.*echo broken doc")
    child.expect("broken doc")  # the output's tail
    child.expect(r"reverted: nothing of it was kept")
    child.expect(r"Go on with max-workers\?")
    keys(child, "y")
    approve(child)
    child.expect(r"applied +max-workers")
    child.expect("Final report")
    code, screen = finish(child)
    assert code == 1, screen
    steps = {s["recipe"]: s["status"] for s in run_status(example_repo)["run"]["steps"]}
    assert steps == {"doc-fails": "reverted", "max-workers": "applied"}
    assert git(example_repo, "rev-list", "--count", f"{start}..HEAD") == "1"
    assert (example_repo / "CLAUDE.md").read_text(encoding="utf-8") == claude
    assert clean(example_repo)


def test_ctrl_c_at_a_prompt_exits_130_and_changes_nothing(example_repo: Path) -> None:
    base = head(example_repo)
    child = spawn(example_repo)
    child.expect("Recipes to apply")
    keys(child, CTRL_C)
    code, screen = finish(child)
    assert code == 130, screen
    assert git(example_repo, "branch", "--show-current") == "main"
    assert git(example_repo, "branch", "--list", "migrate/*") == ""

    child = spawn(example_repo)
    pick(child, DOWN, SPACE)  # max-workers
    child.expect(r"Apply these changes\?")
    keys(child, CTRL_C)
    code, screen = finish(child)
    assert code == 130, screen
    assert "interrupted" in screen
    assert head(example_repo) == base
    assert clean(example_repo)


def test_ctrl_c_during_validation_restores_the_pre_step_commit(
    example_repo: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "check-started"
    start = commit_doc_recipe(example_repo, "slow-doc", f"touch {marker}; sleep 30")
    child = spawn(example_repo)
    pick(child, SPACE)  # slow-doc only
    approve(child)
    child.expect("running  if grep -q Performance")
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists()
    child.send(CTRL_C)
    code, screen = finish(child)
    assert code == 130, screen
    assert head(example_repo) == start
    assert clean(example_repo)
    shown = run_status(example_repo)
    steps = (shown["run"] or shown["last_run"])["steps"]
    assert [(s["recipe"], s["status"]) for s in steps] == [("slow-doc", "interrupted")]
    assert "were not touched" in screen


def test_quit_then_resume_continues_the_same_run(example_repo: Path) -> None:
    base = head(example_repo)
    child = spawn(example_repo)
    pick(child, DOWN, SPACE, DOWN, SPACE)  # max-workers, agent-parallelism-doc
    approve(child)
    child.expect(r"applied +max-workers")
    approve(child, DOWN, DOWN, DOWN, DOWN)  # quit
    child.expect("stopped: the steps applied so far are kept")
    child.expect("Final report")
    code, screen = finish(child)
    assert code == 0, screen
    run_id = run_status(example_repo)["run"]["id"]

    # Again on the run's branch: it continues the run; max-workers shows as applied.
    child = spawn(example_repo)
    child.expect(f"continuing run {run_id}")
    child.expect(r"max-workers +│ applied")
    pick(child, DOWN, SPACE)  # max-workers is applied, so down lands on agent-parallelism-doc
    approve(child)
    child.expect(r"applied +agent-parallelism-doc")
    code, screen = finish(child)
    assert code == 0, screen
    run = run_status(example_repo)["run"]
    assert run["id"] == run_id
    assert [(s["recipe"], s["status"]) for s in run["steps"]] == [
        ("max-workers", "applied"),
        ("agent-parallelism-doc", "applied"),
    ]
    branch = run["branch"]

    # From the base branch without a terminal: the open run is named, nothing changes.
    git(example_repo, "checkout", "-q", "main")
    result = run_migrate(example_repo, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert f"run {run_id} (branch {branch}, 2 step(s) applied) is open" in result.stdout
    assert head(example_repo) == base

    # In a terminal: it offers to switch to the run's branch and continues there.
    child = spawn(example_repo)
    child.expect(r"Switch to its branch and continue it\?")
    keys(child, "y")
    child.expect(f"switched to {branch}")
    pick(child)  # nothing more: the report of the run
    child.expect(r"Final report")
    code, screen = finish(child)
    assert code == 0, screen
    assert git(example_repo, "branch", "--show-current") == branch
    assert run_status(example_repo)["run"]["id"] == run_id


# --------------------------------------------------------------------------- without a terminal

HOOK_SETTINGS = """{
  "hooks": {
    "UserPromptSubmit": [
      {
        "hooks": [
          {"type": "command", "command": "python3 .claude/hooks/remember.py"},
          {"type": "command", "command": "python3 .claude/hooks/detect.py"}
        ]
      }
    ]
  }
}
"""
SMALL: dict[str, str | bytes] = {
    ".claude/settings.json": HOOK_SETTINGS,
    ".claude/hooks/remember.py": "import json\nimport sys\n\njson.load(sys.stdin)\n",
    ".claude/hooks/detect.py": (
        "import json\nimport sys\n\npayload = json.load(sys.stdin)\n"
        'if "batch" in payload.get("prompt", ""):\n    print("batch detected")\n'
    ),
    ".claude/hooks/detect_batch.py": (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "with ThreadPoolExecutor(max_workers=10) as ex:\n    pass\n"
    ),
    "tests/test_ok.py": "def test_ok():\n    assert 1 + 1 == 2\n",
    "CLAUDE.md": "# Project\n\nInstructions.\n",
    ".migrate/config.toml": '[validate]\npython = "{migrate_python}"\n',
}


def test_yes_without_a_terminal_applies_every_pending_recipe(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "small", SMALL)
    base = head(repo)
    result = run_migrate(repo, "guide", "--yes")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert not any(text in out for text in PROMPT_TEXTS)
    assert "not applicable" in out  # subprocess-timeouts: no subprocess call here
    assert "Final report" in out
    assert "Hook latency (measured)" in out  # the registration changed: measured
    assert re.search(
        r"│ UserPromptSubmit: [\d.]+ / [\d.]+ / [\d.]+ +│ UserPromptSubmit: [\d.]+ / ", out
    )
    assert "built-in sample payloads" in out  # no recorded payloads: the row says so
    assert "git checkout main && git merge --ff-only migrate/" in out
    steps = run_status(repo)["run"]["steps"]
    assert [(s["recipe"], s["status"]) for s in steps] == [
        ("max-workers", "applied"),
        ("agent-parallelism-doc", "applied"),
        ("parallel-hook-runner", "applied"),
    ]
    assert git(repo, "rev-list", "--count", f"{base}..HEAD") == "3"
    assert clean(repo)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        pytest.param(b"print 'ThreadPoolExecutor(max_workers=2)'\n", "cannot parse", id="python-2"),
        pytest.param(
            b"x = 'caf\xe9'\nThreadPoolExecutor(max_workers=10)\n", "is not valid", id="latin-1"
        ),
    ],
)
def test_yes_never_skips_a_file_it_cannot_read(tmp_path: Path, text: bytes, why: str) -> None:
    """Pattern: a Python 2 script, or one saved in Latin-1, beside the hooks. The guide
    applies no recipe that would leave that file out without saying so: max-workers is shown
    with the reason and not applied; the other recipes go on."""
    repo = make_repo(tmp_path / "small", {**SMALL, "scripts/legacy.py": text})
    result = run_migrate(repo, "guide", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"scripts/legacy.py: {why}" in " ".join(result.stdout.split())
    assert re.search(r"max-workers +│ blocked +│", result.stdout), result.stdout
    steps = run_status(repo)["run"]["steps"]
    assert "max-workers" not in [s["recipe"] for s in steps]
    assert "max_workers=10" in (repo / ".claude/hooks/detect_batch.py").read_text()


def test_yes_never_bisects_on_its_own(tmp_path: Path) -> None:
    """A step over several files fails a test: with --yes the guide reverts it whole; keeping
    part of a step (bisect) is offered only to someone who can answer."""
    pool = "from concurrent.futures import ThreadPoolExecutor\nThreadPoolExecutor(max_workers=10)\n"
    keep = "def test_c_keeps_ten():\n    assert 'max_workers=10' in open('scripts/c.py').read()\n"
    files = {"scripts/a.py": pool, "scripts/c.py": pool, "tests/test_c.py": keep}
    repo = make_repo(tmp_path / "small", {**SMALL, **files})
    result = run_migrate(repo, "guide", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bisecting" not in result.stdout and "left out" not in result.stdout
    steps = {s["recipe"]: s["status"] for s in run_status(repo)["run"]["steps"]}
    assert steps["max-workers"] == "reverted"


def test_yes_continues_the_open_run_started_from_this_branch(tmp_path: Path) -> None:
    """`apply` made a run and the user went back to main: the guide goes on with that run, on
    its branch, instead of starting a second one."""
    repo = make_repo(tmp_path / "small", SMALL)
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    run = run_status(repo)["run"]
    git(repo, "checkout", "-q", "main")
    result = run_migrate(repo, "guide", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"switched to {run['branch']}; continuing run {run['id']}" in result.stdout
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == run["branch"]
    steps = [s["recipe"] for s in run_status(repo)["run"]["steps"]]
    assert steps[0] == "max-workers" and len(steps) > 1


def test_without_a_terminal_it_shows_the_plan_and_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "small", SMALL)
    base = head(repo)
    result = run_migrate(repo)
    assert result.returncode == 0, result.stderr
    assert "not a terminal: pass --yes to apply, or use migrate apply" in result.stdout
    assert "Immediate" in result.stdout and "pending" in result.stdout
    assert not any(text in result.stdout for text in PROMPT_TEXTS)
    assert head(repo) == base
    assert git(repo, "branch", "--show-current") == "main"


def test_outside_git_it_refuses_like_apply(tmp_path: Path) -> None:
    result = run_migrate(tmp_path, "guide", "--yes")
    assert result.returncode == 3
    assert "not a git repository" in result.stderr


# --------------------------------------------------------------------------- review like git add -p

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
HUNK_PROMPT = r"Apply this hunk to (\S+) \[y,n,a,d,A,(?:s,)?q,\?\]\? "


def spawn_at(repo: Path, rows: int, cols: int, *args: str, **env: str) -> pexpect.spawn:
    """`migrate` in a terminal of `rows`x`cols` with colours on (NO_COLOR unset)."""
    shown = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    shown.update({"TERM": "xterm", "COLUMNS": str(cols), "LINES": str(rows), **env})
    child = pexpect.spawn(
        sys.executable,
        ["-m", "migrate", *args],
        cwd=str(repo),
        env=shown,
        encoding="utf-8",
        dimensions=(rows, cols),
        timeout=TIMEOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    child.logfile_read = io.StringIO()
    return child


def plain(screen: str) -> list[str]:
    return ANSI.sub("", screen).split("\n")


def test_at_80_columns_the_inserted_timeout_is_visible_and_long_diffs_are_paged(
    example_repo: Path, tmp_path: Path
) -> None:
    """Issue 15: at 80 columns the `+` line used to be cut before `timeout=`."""
    paged = tmp_path / "paged.txt"
    child = spawn_at(example_repo, 24, 80, PAGER=f"tee {paged}")
    pick(child, SPACE)  # subprocess-timeouts
    child.expect(r"unsafe edit\(s\) of subprocess-timeouts\?")
    keys(child, ENTER)
    child.expect(r"Apply these changes\?")
    keys(child, CTRL_C)
    code, screen = finish(child)
    assert code == 130, screen
    lines = plain(screen)
    # The long git_utils.py call wraps; its `timeout=10` keeps the `+` gutter on every row.
    assert any(re.match(r"\+.*timeout=10\)", line) for line in lines), screen
    start = next(i for i, x in enumerate(lines) if x.startswith("--- a/"))
    end = next(i for i, x in enumerate(lines) if "Apply these changes" in x)
    assert all(len(line) <= 80 for line in lines[start:end]), lines[start:end]
    # The preview is longer than the screen: it went through $PAGER, highlighted.
    assert "\x1b[1;7;32m, timeout=10" in paged.read_text(encoding="utf-8")


def test_diff_markers_stay_on_wrapped_lines_with_no_color(example_repo: Path) -> None:
    child = spawn_at(
        example_repo, 24, 80, "apply", "subprocess-timeouts", "--dry-run", NO_COLOR="1", PAGER=""
    )
    code, screen = finish(child)
    assert code == 0, screen
    assert "\x1b[32m" not in screen  # no colours
    lines = plain(screen)
    start = lines.index("+++ b/scripts/lib/git_utils.py")
    hunk = lines[start + 1 : start + 9]
    assert hunk[3].startswith("-") and hunk[4].startswith("-")  # one old line, wrapped
    assert hunk[5].startswith("+") and hunk[6].startswith("+") and "timeout=10" in hunk[6]


def test_pager_only_on_a_terminal_and_not_with_no_pager(example_repo: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    args = ("apply", "subprocess-timeouts", "--dry-run")
    child = spawn_at(example_repo, 24, 80, "--no-pager", *args, PAGER=f"tee {paged}")
    assert finish(child)[0] == 0
    assert not paged.exists()
    result = run_migrate(example_repo, *args, env={"PAGER": f"tee {paged}"})
    assert result.returncode == 0 and "timeout=10" in result.stdout
    assert not paged.exists()  # stdout is a pipe: never a pager
    child = spawn_at(example_repo, 24, 80, *args, PAGER=f"tee {paged}")
    assert finish(child)[0] == 0
    assert "timeout=10" in paged.read_text(encoding="utf-8")


CALL = "    return subprocess.run(['git', '{}'], capture_output=True, text=True)\n"
TWO_HUNKS: dict[str, str | bytes] = {
    "scripts/run.py": (
        "import subprocess\n\n\ndef status():\n"
        + CALL.format("status")
        + "\n" * 8
        + "def log():\n"
        + CALL.format("log")
    ),
    "tests/test_ok.py": "def test_ok():\n    assert 1 + 1 == 2\n",
    ".migrate/config.toml": '[validate]\npython = "{migrate_python}"\n',
}


def test_hunk_review_applies_one_hunk_of_two_after_revisiting_the_skipped_one(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "two", TWO_HUNKS)
    base = head(repo)
    child = spawn(repo, "-C", str(repo))
    pick(child, SPACE)  # subprocess-timeouts
    approve(child, DOWN)  # review hunk by hunk
    child.expect(r"\(1/2\) " + HUNK_PROMPT)
    child.sendline("y")
    child.expect(r"\(2/2\) " + HUNK_PROMPT)
    child.sendline("?")
    child.expect("s - split this hunk")
    child.sendline("n")
    child.expect(r"Apply the 1 accepted hunk\(s\) \(1 skipped\) \[y,r,n,q,\?\]\? ")
    child.sendline("r")  # the skipped hunk comes back
    child.expect(r"\(2/2\) " + HUNK_PROMPT)
    child.sendline("n")
    child.expect(r"\(1 skipped\) \[y,r,n,q,\?\]\? ")
    child.sendline("y")
    child.expect(r"applied +subprocess-timeouts")
    code, screen = finish(child)
    assert code == 0, screen
    text = (repo / "scripts/run.py").read_text(encoding="utf-8")
    assert "'status'], capture_output=True, text=True, timeout=10)" in text
    assert "'log'], capture_output=True, text=True)" in text
    assert "files with hunks rejected in review: 1" in git(repo, "log", "-1", "--format=%B")
    assert git(repo, "rev-list", "--count", f"{base}..HEAD") == "1"
    assert clean(repo)


def test_hunk_review_quit_keeps_what_was_accepted_and_stops(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "two", TWO_HUNKS)
    child = spawn(repo)
    pick(child, SPACE, DOWN, SPACE)  # subprocess-timeouts, agent-parallelism-doc
    approve(child, DOWN)
    child.expect(r"\(1/2\) " + HUNK_PROMPT)
    child.sendline("y")
    child.expect(r"\(2/2\) " + HUNK_PROMPT)
    child.sendline("q")
    child.expect(r"applied +subprocess-timeouts")
    child.expect("stopped: the steps applied so far are kept")
    code, screen = finish(child)
    assert code == 0, screen
    assert "Apply these changes" not in screen.split("applied")[-1]  # the doc not offered
    text = (repo / "scripts/run.py").read_text(encoding="utf-8")
    assert text.count("timeout=10") == 1


def test_the_guide_offers_bisect_for_a_failed_step_over_several_files(example_repo: Path) -> None:
    """One of the four pools the plan raises must keep 10 workers: the guide offers to find it
    and applies the other three."""
    keep = (
        "def test_upkeep_keeps_ten():\n"
        "    assert 'max_workers=10' in open('scripts/ops/upkeep.py').read()\n"
    )
    (example_repo / "tests/test_upkeep_pool.py").write_text(keep, encoding="utf-8")
    git(example_repo, "add", "-A")
    git(example_repo, "commit", "-q", "-m", "upkeep keeps ten workers")
    child = spawn(example_repo)
    pick(child, DOWN, SPACE)  # max-workers
    approve(child)
    child.expect(r"reverted: nothing of it was kept", timeout=300)
    child.expect(r"\(bisect\)")
    keys(child, "y")
    child.expect(r"bisecting max-workers")
    approve(child)  # the same changes, asked again
    child.expect(r"left out scripts/ops/upkeep\.py", timeout=600)
    child.expect("Final report", timeout=300)
    code, screen = finish(child)
    assert code == 1, screen  # the first attempt was reverted
    assert "max_workers=10" in (example_repo / "scripts/ops/upkeep.py").read_text()
    changed = git(example_repo, "diff", "--name-only", "main", "HEAD").splitlines()
    assert "scripts/ops/upkeep.py" not in changed
    assert ".claude/hooks/detect_batch.py" in changed
