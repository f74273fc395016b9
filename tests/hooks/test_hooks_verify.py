"""hooks verify on fixtures that reproduce patterns of real hook sets: a random member, an
always-empty-context member, a `uv run` hook without uv, hooks no payload runs, a hook whose
child keeps stdout open, local settings, a python3 shim on PATH; nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from migrate.hooks import replay, verify
from migrate.hooks.settings import HookRegistration
from tests.helpers import git, make_repo, run_migrate

PROMPTS = [p for p in replay.SAMPLES if p["hook_event_name"] == "UserPromptSubmit"]

RANDOM_TIP = """\
import json, os, sys
json.load(sys.stdin)
print("tip of the day: " + os.urandom(6).hex())
"""
EMPTY_CONTEXT = """\
import json, sys
json.load(sys.stdin)
print(json.dumps({"hookSpecificOutput": {"hookEventName": "UserPromptSubmit",
                                         "additionalContext": ""}}))
"""
NOTES = """\
import json, sys
prompt = json.load(sys.stdin)["prompt"]
print("notes: %d words" % len(prompt.split()))
"""


def settings(*commands: str, event: str = "UserPromptSubmit", **handler: Any) -> str:
    hooks = [{"type": "command", "command": c, **handler} for c in commands]
    return json.dumps({"hooks": {event: [{"hooks": hooks}]}}, indent=2) + "\n"


def python_hook(name: str) -> str:
    return f"python3 $CLAUDE_PROJECT_DIR/.claude/hooks/{name}"


def project(tmp_path: Path, hooks: dict[str, str], registered: str) -> Path:
    files = {f".claude/hooks/{name}": text for name, text in hooks.items()}
    return make_repo(tmp_path / "project", {**files, ".claude/settings.json": registered})


def test_a_random_member_is_reported_not_reverted(tmp_path: Path) -> None:
    """Pattern: a member that adds a random line, beside an always-empty-context member."""
    hooks = {"tip.py": RANDOM_TIP, "empty_ctx.py": EMPTY_CONTEXT, "notes.py": NOTES}
    repo = project(tmp_path, hooks, settings(*map(python_hook, hooks)))
    report = verify.verify(repo, "HEAD", None, PROMPTS)
    assert report.ok, report.failure_lines()
    assert {n.members for n in report.nondeterministic} == {("tip.py",)}
    assert {n.event for n in report.nondeterministic} == {"UserPromptSubmit"}
    assert "nondeterministic: tip.py on UserPromptSubmit" in report.nondeterministic[0].describe()
    assert report.as_dict()["handler_runs"] == {"before": 9, "after": 9}
    assert report.summary() == (
        f"{len(PROMPTS)} payloads, 9 hook runs before and 9 after: same effect, 3 nondeterministic."
    )


def test_a_real_difference_still_fails_beside_a_random_member(tmp_path: Path) -> None:
    hooks = {"tip.py": RANDOM_TIP, "notes.py": NOTES}
    repo = project(tmp_path, hooks, settings(*map(python_hook, hooks)))
    notes = repo / ".claude/hooks/notes.py"
    notes.write_text(NOTES.replace("words", "words!"))
    result = run_migrate(repo, "hooks", "verify", "--before", "HEAD")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "to_claude differs" in result.stdout and "words!" in result.stdout
    assert "nondeterministic: tip.py on UserPromptSubmit" in result.stdout


def test_uv_run_without_uv_cannot_verify(tmp_path: Path) -> None:
    """Pattern: hooks run as `uv run .claude/hooks/x.py` on a machine without uv."""
    command = "uv run $CLAUDE_PROJECT_DIR/.claude/hooks/guard.py"
    repo = project(tmp_path, {"guard.py": NOTES}, settings(command))
    bin_dir = tmp_path / "bin"  # a PATH with sh and python3, without uv
    bin_dir.mkdir()
    for tool in ("sh", "python3", "git"):
        found = subprocess.run(["which", tool], capture_output=True, text=True, check=True)
        (bin_dir / tool).symlink_to(found.stdout.strip())
    env = {"PATH": str(bin_dir)}
    result = run_migrate(repo, "hooks", "verify", "--before", "HEAD", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"cannot verify: 3 of 3 runs could not start: {command}: " in result.stdout
    assert "not found" in result.stdout and "same effect" not in result.stdout


def test_registered_hooks_that_no_payload_runs_fail(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "hooks": {
                "PreToolUse": [
                    {"matcher": "NoSuchTool", "hooks": [{"type": "command", "command": "true"}]}
                ]
            }
        }
    )
    repo = make_repo(tmp_path / "project", {".claude/settings.json": text})
    report = verify.verify(repo, "HEAD", None)
    assert not report.ok
    assert report.problems[0] == (
        f"cannot verify: 1 hook(s) registered, but none runs for the {len(replay.SAMPLES)}"
        " payload(s)"
    )


def test_local_settings_are_replayed_too(tmp_path: Path) -> None:
    repo = project(tmp_path, {"notes.py": NOTES}, settings())
    (repo / ".gitignore").write_text(".claude/settings.local.json\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore local settings")
    (repo / replay.LOCAL_SETTINGS).write_text(settings(python_hook("notes.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS)
    assert report.ok and report.as_dict()["handler_runs"] == {"before": 3, "after": 3}


def _registration(command: str, timeout: float) -> HookRegistration:
    return HookRegistration(
        "test", "Stop", None, "command", command, timeout, False, None, None, "", (), None
    )


def test_a_child_holding_stdout_costs_at_most_the_timeout(tmp_path: Path) -> None:
    """Pattern: a hook that starts a background process which inherits its stdout."""
    pid_file = tmp_path / "child.pid"
    command = f"sleep 60 & echo $! > {pid_file}; echo done"
    started = time.monotonic()
    run = replay.run_handler(_registration(command, 1), tmp_path, b"{}")
    assert time.monotonic() - started < 10
    assert run.timed_out
    child = int(pid_file.read_text())
    time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)  # killed with its group


def test_a_background_process_left_by_a_hook_does_not_outlive_the_replay(tmp_path: Path) -> None:
    """Pattern: a hook that starts a detached helper (`cmd > /dev/null &`) and exits at once:
    in a scratch copy about to be deleted, the helper is ended with the hook's group."""
    pid_file = tmp_path / "child.pid"
    command = f"sleep 60 > /dev/null 2>&1 & echo $! > {pid_file}"
    run = replay.run_handler(_registration(command, 30), tmp_path, b"{}")
    assert not run.timed_out and run.wall < 10
    child = int(pid_file.read_text())
    time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_hooks_run_through_the_python3_on_path_and_no_folder_is_left(tmp_path: Path) -> None:
    """Pattern: a pyenv-style `python3` shim first on PATH: hooks go through it, as in Claude
    Code, and verify leaves no temporary folder behind."""
    marker = tmp_path / "shim-used"
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3"
    shim.write_text(f'#!/bin/sh\ntouch {marker}\nexec {sys.executable} "$@"\n')
    shim.chmod(0o755)
    repo = project(tmp_path, {"notes.py": NOTES}, settings(python_hook("notes.py")))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(scratch)}
    result = run_migrate(repo, "hooks", "verify", "--before", "HEAD", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert marker.exists()
    assert list(scratch.iterdir()) == []


def test_sigterm_kills_the_hooks_and_removes_the_scratch_copies(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    slow = (
        f"import os, time\nopen({str(pids)!r}, 'a').write('%d\\n' % os.getpid())\ntime.sleep(60)\n"
    )
    repo = project(tmp_path, {"slow.py": slow}, settings(python_hook("slow.py")))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrate", "hooks", "verify", "--before", "HEAD"],
        cwd=repo,
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while (not pids.exists() or len(pids.read_text().split()) < 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids.exists(), "the hooks never started"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) != 0
    for pid in map(int, pids.read_text().split()):
        assert not Path(f"/proc/{pid}").exists() or _state(pid) == "Z"
    assert list(scratch.iterdir()) == []


PRE_TOOL = [p for p in replay.SAMPLES if p["hook_event_name"] == "PreToolUse"]
WRITES_STATE = NOTES + "open('.claude/state.log', 'a').write('seen\\n')\n"


@pytest.mark.parametrize("side", ["before", "after"])
def test_a_hook_that_writes_a_file_on_one_side_only_differs(tmp_path: Path, side: str) -> None:
    """Pattern: a hook that keeps a state or log file; the edit drops (or adds) the write."""
    old, new = (WRITES_STATE, NOTES) if side == "before" else (NOTES, WRITES_STATE)
    repo = project(tmp_path, {"notes.py": old}, settings(python_hook("notes.py")))
    (repo / ".claude/hooks/notes.py").write_text(new)
    report = verify.verify(repo, "HEAD", None, PROMPTS)
    assert not report.ok
    assert any(".claude/state.log" in line for line in report.failure_lines())
    assert any(line.startswith("files changed by the hooks") for line in report.failure_lines())
    assert report.as_dict()["handler_runs"] == {"before": 3, "after": 3}
    assert [(d["payload"], d["event"]) for d in report.as_dict()["differences"]] == [(-1, "files")]


def _decides(decision: str) -> str:
    said = {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": "checked by policy",
        }
    }
    return f"import json, sys\njson.load(sys.stdin)\nprint(json.dumps({said!r}))\n"


def test_a_block_allow_flip_with_identical_text_is_a_difference(tmp_path: Path) -> None:
    """Same reason text, opposite decision: what Claude is allowed to do changed."""
    registered = settings(python_hook("policy.py"), event="PreToolUse")
    repo = project(tmp_path, {"policy.py": _decides("allow")}, registered)
    (repo / ".claude/hooks/policy.py").write_text(_decides("deny"))
    result = run_migrate(repo, "hooks", "verify", "--before", "HEAD")
    assert result.returncode == 1, result.stdout + result.stderr
    report = verify.verify(repo, "HEAD", None, PRE_TOOL)
    assert not report.ok and report.differences
    assert any("decision" in line for line in report.failure_lines()), report.failure_lines()


COUNTED_TIP = """\
import json, pathlib, sys
json.load(sys.stdin)
counter = pathlib.Path({counter!r})
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
if {shows}:
    print("Tip: hooks must stay fast.")
"""


def test_a_random_tip_drawn_alike_by_chance_is_run_again_before_it_counts(tmp_path: Path) -> None:
    """Pattern: a member that adds a random tip (the example's prompt_tip.py). By chance every
    run of the original drew the same tip while the consolidated side's runs varied: a
    coincidence of four runs, not a reproducible difference. The invocation counter stands
    in for the random draw, so the coincidence happens every time."""
    before = COUNTED_TIP.format(counter=str(tmp_path / "before.count"), shows="n <= 4 or n % 2")
    after = COUNTED_TIP.format(counter=str(tmp_path / "after.count"), shows="n % 2 == 0")
    repo = project(tmp_path, {"tip.py": before}, settings(python_hook("tip.py")))
    (repo / ".claude/hooks/tip.py").write_text(after)
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert report.ok, report.failure_lines()
    assert {n.members for n in report.nondeterministic} == {("tip.py",)}
    assert (tmp_path / "before.count").read_text() == "8"  # run four times again


def test_without_a_run_verify_compares_with_head_1_and_no_hooks_cannot_verify(
    tmp_path: Path,
) -> None:
    """The default base without a run is HEAD~1; with no command hook on either side there
    is nothing to compare, and that is said, never "same effect"."""
    repo = make_repo(tmp_path / "repo", {"README.md": "one\n"})
    (repo / "notes.md").write_text("two\n")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-q", "-m", "second")
    result = run_migrate(repo, "hooks", "verify", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    shown = json.loads(result.stdout)
    assert shown["before"] == "HEAD~1" and shown["ok"] is False
    assert shown["handler_runs"] == {"before": 0, "after": 0}
    assert any("no command hook is registered" in p for p in shown["problems"])
    assert "same effect" not in run_migrate(repo, "hooks", "verify").stdout


@pytest.mark.parametrize(
    ("commits", "message"),
    [
        (0, "the repository has no commits yet; nothing to compare with."),
        (1, "HEAD has no parent to compare with; pass --before REV."),
    ],
)
def test_without_a_run_or_a_parent_there_is_nothing_to_compare_with(
    tmp_path: Path, commits: int, message: str
) -> None:
    repo = tmp_path / "repo"
    if commits:
        make_repo(repo, {"README.md": "one\n"})
    else:
        repo.mkdir()
        git(repo, "init", "-q")
    result = run_migrate(repo, "hooks", "verify")
    assert (result.returncode, result.stderr.strip()) == (2, f"migrate: {message}")


def test_volatile_values_are_counted_once_each(tmp_path: Path) -> None:
    """A hook that adds a time and a duration to the prompt's context: two values masked per
    run, on each side."""
    clock = "print('checked at 2026-01-01T10:00:00 in 12 ms')\n"
    repo = project(tmp_path, {"clock.py": clock}, settings(python_hook("clock.py")))
    seen: list[tuple[int, int]] = []
    report = verify.verify(repo, "HEAD", None, PROMPTS, progress=lambda *p: seen.append(p))
    assert report.ok, report.failure_lines()
    assert report.as_dict()["volatile_values_normalised"] == 2 * 2 * len(PROMPTS)
    assert seen[-1] == (2 * len(PROMPTS), 2 * len(PROMPTS))  # no difference: nothing rerun


def test_volatile_values_in_a_file_the_hooks_write_are_counted_too(tmp_path: Path) -> None:
    """The same clock line, appended to a log file by each run: the log after three prompts
    holds three lines of two values, on each side."""
    clock = "line = 'checked at 2026-01-01T10:00:00 in 12 ms'\nprint(line)\n"
    logs = clock + "open('.claude/clock.log', 'a').write(line + '\\n')\n"
    repo = project(tmp_path, {"clock.py": logs}, settings(python_hook("clock.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS)
    assert report.ok, report.failure_lines()
    printed, logged = 2 * 2 * len(PROMPTS), 2 * 2 * len(PROMPTS)
    assert report.as_dict()["volatile_values_normalised"] == printed + logged


COUNTED_DECISION = """\
import json, pathlib, sys
json.load(sys.stdin)
counter = pathlib.Path({counter!r})
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
decision = {decision}
print(json.dumps({{"hookSpecificOutput": {{"hookEventName": "PreToolUse",
                                          "permissionDecision": decision}}}}))
"""


def test_a_decision_that_varies_in_the_original_is_reported_not_compared(tmp_path: Path) -> None:
    """The original decides allow and deny by turns (a counter stands in for chance); the new
    hook always denies. What varies in the original is not held against the new one."""
    first = next(p for p in replay.SAMPLES if p["hook_event_name"] == "PreToolUse")
    before = COUNTED_DECISION.format(
        counter=str(tmp_path / "before.count"), decision="'allow' if n % 2 else 'deny'"
    )
    after = COUNTED_DECISION.format(counter=str(tmp_path / "after.count"), decision="'deny'")
    repo = project(
        tmp_path, {"gate.py": before}, settings(python_hook("gate.py"), event="PreToolUse")
    )
    (repo / ".claude/hooks/gate.py").write_text(after)
    seen: list[tuple[int, int]] = []
    report = verify.verify(repo, "HEAD", None, [first], progress=lambda *p: seen.append(p))
    assert report.ok, report.failure_lines()
    assert [n.what for n in report.nondeterministic] == [("decision",)]
    # progress: every replay is counted, up to the total, which grew with the reruns
    assert seen[-1][0] == seen[-1][1] > 2 and [d for d, _ in seen] == sorted(d for d, _ in seen)


DELETES_STATE = """\
import json, os, sys
json.load(sys.stdin)
path = os.path.join(os.environ["CLAUDE_PROJECT_DIR"], ".claude", "old.log")
if os.path.exists(path):
    os.remove(path)
"""


def test_a_hook_that_deletes_a_file_on_one_side_only_differs(tmp_path: Path) -> None:
    """Pattern: a hook that clears an old log; the edit drops the clean-up."""
    hooks = {"clean.py": DELETES_STATE}
    repo = project(tmp_path, hooks, settings(python_hook("clean.py")))
    (repo / ".claude/old.log").write_text("old\n")
    git(repo, "add", ".claude/old.log")
    git(repo, "commit", "-qm", "an old log")
    (repo / ".claude/hooks/clean.py").write_text(NOTES)
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert not report.ok
    assert any('before "<deleted>"' in line for line in report.failure_lines())


def test_a_hook_script_that_is_not_executable_cannot_verify(tmp_path: Path) -> None:
    """Pattern: a shell hook registered by path, committed without its executable bit:
    /bin/sh answers 126, and nothing was verified."""
    repo = project(
        tmp_path,
        {"check.sh": "#!/bin/sh\necho ok\n"},
        settings("$CLAUDE_PROJECT_DIR/.claude/hooks/check.sh"),
    )
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert not report.ok
    assert report.problems[0].startswith("cannot verify: 1 of 1 runs could not start: ")
    assert "Permission denied" in report.problems[0]


@pytest.mark.parametrize(
    ("hook", "cause"),
    [
        pytest.param(None, "can't open file", id="script-missing"),
        pytest.param("import no_such_module_xyz\n", "No module named", id="module-missing"),
    ],
)
def test_a_hook_that_never_got_to_run_its_code_cannot_verify(
    tmp_path: Path, hook: str | None, cause: str
) -> None:
    """Pattern: a registration naming a script that is not there (python3 exits 2), or a hook
    whose import is not installed (exit 1): no payload ran the hook's code."""
    hooks = {} if hook is None else {"gone.py": hook}
    repo = project(tmp_path, hooks, settings(python_hook("gone.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert not report.ok
    assert report.problems[0].startswith("cannot verify: 1 of 1 runs could not start: ")
    assert cause in report.problems[0]


def test_a_steady_difference_is_run_four_times_and_no_more(tmp_path: Path) -> None:
    """Nothing varies: the difference is confirmed by three more runs of each side (two
    payloads: 4 runs of each on each side)."""
    counted = COUNTED_TIP.format(counter=str(tmp_path / "before.count"), shows="True")
    repo = project(tmp_path, {"tip.py": counted}, settings(python_hook("tip.py")))
    (repo / ".claude/hooks/tip.py").write_text(NOTES)
    seen: list[tuple[int, int]] = []
    report = verify.verify(repo, "HEAD", None, PROMPTS[:2], progress=lambda *p: seen.append(p))
    assert not report.ok and not report.nondeterministic
    assert report.failure_lines()[0].startswith("payload 0 (UserPromptSubmit): to_claude differs")
    assert (tmp_path / "before.count").read_text() == "8"
    assert seen[-1] == (16, 16)  # the progress counted the runs again


def test_a_new_hook_that_varies_where_the_original_did_not_is_a_difference(
    tmp_path: Path,
) -> None:
    """The original always denies; the new hook allows and denies by turns."""
    first = next(p for p in replay.SAMPLES if p["hook_event_name"] == "PreToolUse")
    before = COUNTED_DECISION.format(counter=str(tmp_path / "before.count"), decision="'deny'")
    after = COUNTED_DECISION.format(
        counter=str(tmp_path / "after.count"), decision="'allow' if n % 2 else 'deny'"
    )
    registered = settings(python_hook("gate.py"), event="PreToolUse")
    repo = project(tmp_path, {"gate.py": before}, registered)
    (repo / ".claude/hooks/gate.py").write_text(after)
    report = verify.verify(repo, "HEAD", None, [first])
    assert not report.ok
    assert any('after "varies between runs"' in line for line in report.failure_lines())


def test_hooks_added_where_there_were_none_are_compared_not_refused(tmp_path: Path) -> None:
    """Before the change no hook is registered; after it, one adds context: a difference to
    show, not a check that cannot run."""
    repo = make_repo(tmp_path / "project", {"README.md": "no hooks yet\n"})
    (repo / ".claude/hooks").mkdir(parents=True)
    (repo / ".claude/hooks/notes.py").write_text(NOTES)
    (repo / ".claude/settings.json").write_text(settings(python_hook("notes.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert not report.ok and not report.problems
    assert report.differences[0].what == "to_claude"


RANDOM_STATE = NOTES + "import os\nopen('.claude/state.log', 'a').write(os.urandom(4).hex())\n"


def test_a_file_the_hooks_write_at_random_varies_and_is_not_a_difference(tmp_path: Path) -> None:
    """Pattern: a hook that logs a session id or a random token to a file. The file differs
    between any two runs, the edit's or not: it is named as varying, on the files."""
    repo = project(tmp_path, {"notes.py": RANDOM_STATE}, settings(python_hook("notes.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert report.ok, report.failure_lines()
    assert [n.describe() for n in report.nondeterministic] == [
        "nondeterministic: the hooks on files: .claude/state.log varies between runs of the"
        " original; compared on its stable parts"
    ]


def test_a_long_value_is_cut_to_120_characters_in_a_difference_line() -> None:
    whole = "x" * 118  # 120 characters as JSON
    assert verify._short(whole) == json.dumps(whole)
    longer = "x" * 119
    assert verify._short(longer) == json.dumps(longer)[:117] + "..."


def test_the_stable_part_of_list_values_is_what_every_run_had() -> None:
    """Context lines of three runs: an item that one run lacked, the second, is not stable."""
    assert verify._stable([["a", "b"], ["a"], ["a", "b"]]) == (False, ["a"])
    assert verify._stable([["a"], ["a", "b"], ["a", "b"]]) == (False, ["a"])
    assert verify._stable([["b", "a"], ["a", "b"]]) == (False, ["a", "b"])
    assert verify._stable([1, 2]) == (False, None)


def test_what_varies_is_named_by_the_original_hook_not_by_its_replacement(tmp_path: Path) -> None:
    """Pattern: the random-tip hook moved into a consolidated script. The report names the
    member of the original registration that varies, as the user knows it."""
    repo = project(tmp_path, {"tip.py": RANDOM_TIP}, settings(python_hook("tip.py")))
    (repo / ".claude/hooks/all_prompts.py").write_text(RANDOM_TIP)
    (repo / ".claude/settings.json").write_text(settings(python_hook("all_prompts.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert report.ok, report.failure_lines()
    assert [n.members for n in report.nondeterministic] == [("tip.py",)]


def test_a_file_that_varies_only_after_the_change_is_a_difference(tmp_path: Path) -> None:
    """The same rule as for what the hooks show: the original writes the same line each time,
    the edit writes a random token. What varies only after the change is a difference."""
    keeps = "open('.claude/kept.log', 'a').write('kept')\n"  # the same on both sides
    steady = NOTES + "open('.claude/state.log', 'a').write('seen')\n" + keeps
    repo = project(tmp_path, {"notes.py": steady}, settings(python_hook("notes.py")))
    (repo / ".claude/hooks/notes.py").write_text(RANDOM_STATE + keeps)
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert [n.what for n in report.nondeterministic] == [(".claude/state.log",)]
    assert not report.ok
    assert report.failure_lines() == [
        'files changed by the hooks: .claude/state.log differs: before "seen",'
        ' after "varies between runs"'
    ]
    assert report.as_dict()["differences"][0]["payload"] == -1


GUARD = """\
import json, sys
command = json.load(sys.stdin)["tool_input"].get("command", "")
if "rm -rf" in command:
    sys.stderr.write("blocked: rm -rf\\n")
    sys.exit(2)
"""


def test_a_hook_that_blocks_with_exit_2_is_replayed_and_compared(tmp_path: Path) -> None:
    """Pattern: the guard hook of most Claude Code projects (exit 2 and a reason on stderr).
    A block is an effect to compare, not a hook that could not start."""
    registered = settings(python_hook("guard.py"), event="PreToolUse")
    repo = project(tmp_path, {"guard.py": GUARD}, registered)
    report = verify.verify(repo, "HEAD", None, PRE_TOOL)
    assert report.ok and not report.problems, report.failure_lines()
    assert any(run.exit_code == 2 for runs in report.before.runs for run in runs)
    (repo / ".claude/hooks/guard.py").write_text(GUARD.replace("sys.exit(2)", "sys.exit(0)"))
    changed = verify.verify(repo, "HEAD", None, PRE_TOOL)
    assert not changed.ok and not changed.problems
    assert any("blocked" in line for line in changed.failure_lines())


def test_hooks_the_change_registers_that_no_payload_runs_cannot_verify(tmp_path: Path) -> None:
    """After the change, the only hook is registered for a tool no payload uses: there is
    nothing to compare the original's effects with."""
    repo = project(tmp_path, {"notes.py": NOTES}, settings(python_hook("notes.py")))
    moved = settings(python_hook("notes.py"), event="PreToolUse")
    (repo / ".claude/settings.json").write_text(
        moved.replace('"hooks": [', '"matcher": "Nope", "hooks": [')
    )
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert report.problems == (
        "after the change: cannot verify: 1 hook(s) registered, but none runs for the 1 payload(s)",
    )


def test_a_command_not_found_is_named_by_the_last_line_of_its_error(tmp_path: Path) -> None:
    """A hook command that says something on stderr before the shell finds no program: the
    cause is the shell's last line."""
    hook = "echo starting >&2; no-such-program-here"
    repo = project(tmp_path, {}, settings(hook))
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert len(report.problems) == 1
    assert report.problems[0].endswith("not found"), report.problems


def test_a_hook_that_exits_1_is_a_run_to_compare_not_one_that_could_not_start(
    tmp_path: Path,
) -> None:
    """Pattern: a hook that warns with sys.exit('message') (exit 1, a non-blocking error)."""
    warns = "import json, sys\njson.load(sys.stdin)\nsys.exit('lint warnings: 3')\n"
    repo = project(tmp_path, {"warns.py": warns}, settings(python_hook("warns.py")))
    report = verify.verify(repo, "HEAD", None, PROMPTS[:1])
    assert report.ok and not report.problems, report.failure_lines()
