"""Tests for the bundled example Claude Code project and `migrate.example.build`."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from migrate.engine import git as gitrepo
from migrate.errors import UserError
from migrate.example import build, source
from tests.helpers import IDENTITY, git

HOOK_COMMAND = re.compile(r"^python3 (?:\$CLAUDE_PROJECT_DIR|\$\{CLAUDE_PROJECT_DIR\})/(\S+\.py)$")
PLAIN_TEXT_EVENTS = {"UserPromptSubmit", "SessionStart"}
BLOCKING_EVENTS = {"PreToolUse", "PostToolUse", "UserPromptSubmit", "Stop"}
DECISIONS = {"allow", "deny", "ask"}
PYTHON3 = shutil.which("python3") or sys.executable
BENIGN_PROMPT = "Explain what the release script does."


@dataclass(frozen=True)
class Registration:
    event: str
    matcher: str
    command: str


@dataclass(frozen=True)
class Answer:
    event: str
    script: str
    payload: str
    returncode: int
    stdout: str
    stderr: str


def registrations(project: Path) -> list[Registration]:
    settings = json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))
    return [
        Registration(event, group.get("matcher", ""), hook["command"])
        for event, groups in settings["hooks"].items()
        for group in groups
        for hook in group["hooks"]
    ]


def python_hooks(project: Path) -> list[tuple[Registration, str]]:
    """(registration, project-relative script) for every registered Python hook."""
    found = []
    for reg in registrations(project):
        match = HOOK_COMMAND.match(reg.command)
        if match:
            found.append((reg, match.group(1)))
    return found


def payloads(project: Path, event: str, matcher: str) -> list[dict[str, Any]]:
    """Realistic payloads for one matcher group: ones that should trigger hooks, and benign ones."""

    def tool(name: str, tool_input: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"tool_name": name, "tool_input": tool_input, "tool_use_id": "toolu_01", **extra}

    py_file = str(project / "scripts" / "lib" / "report.py")
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {
        ("UserPromptSubmit", ""): [
            {
                "prompt": "Remember that hooks must stay fast. You said the tests pass but it's "
                "still failing with a traceback, are you sure? Fix every file one by one "
                "and read the entire codebase; check the hook and thread settings."
            },
            {"prompt": BENIGN_PROMPT},
        ],
        ("PreToolUse", "Bash"): [
            tool("Bash", {"command": "rm -rf /", "description": "clean up"}),
            tool("Bash", {"command": "git status"}),
            tool("Bash", {"command": "ls -la scripts"}),
        ],
        ("PreToolUse", "Write|Edit"): [
            tool("Write", {"file_path": str(project / ".env"), "content": "API_KEY=abc\n"}),
            tool("Write", {"file_path": str(project / "tmp_probe.py"), "content": "print(1)\n"}),
            tool(
                "Edit",
                {
                    "file_path": py_file,
                    "old_string": "pass",
                    "new_string": "subprocess.run(['git', 'status'])\n",
                },
            ),
        ],
        ("PreToolUse", "Task"): [
            tool("Task", {"description": "review hooks", "prompt": "Review each of the hooks."})
        ],
        ("PreToolUse", "mcp__.*"): [tool("mcp__github__delete_repository", {"repo": "x/y"})],
        ("PostToolUse", "Write|Edit"): [
            tool(
                "Write",
                {"file_path": py_file, "content": "VALUE = '" + "x" * 120 + "'\n"},
                tool_response={"filePath": py_file, "success": True},
            )
        ],
        ("PostToolUse", "Bash"): [
            tool(
                "Bash",
                {"command": "python3 -m pytest tests/ -q"},
                tool_response={"stdout": "12 passed in 0.80s", "stderr": "", "interrupted": False},
            )
        ],
        ("Stop", ""): [{"stop_hook_active": False}],
        ("SessionStart", "startup|resume"): [{"source": "startup"}],
    }
    common = {
        "session_id": "3f2c9a1e-example",
        "transcript_path": str(project / "transcript.jsonl"),
        "cwd": str(project),
        "hook_event_name": event,
        "permission_mode": "default",
    }
    assert (event, matcher) in samples, f"no sample payload for {event} {matcher!r}"
    return [{**common, **sample} for sample in samples[(event, matcher)]]


def run_hook(project: Path, event: str, script: str, payload: dict[str, Any]) -> Answer:
    result = subprocess.run(
        [PYTHON3, str(project / script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)},
        timeout=30,
    )
    return Answer(
        event, script, json.dumps(payload), result.returncode, result.stdout, result.stderr
    )


def protocol_errors(answer: Answer) -> list[str]:
    """What is wrong with one hook answer under the hooks contract (empty when it is fine)."""
    errors = []
    out = answer.stdout.strip()
    if answer.returncode not in (0, 2):
        errors.append(f"exit {answer.returncode}")
    if answer.returncode == 2:
        if answer.event not in BLOCKING_EVENTS or not answer.stderr.strip():
            errors.append("exit 2 without a reason on stderr, or on an event that cannot block")
        return errors
    if answer.stderr:
        errors.append(f"stderr on success: {answer.stderr[-300:]}")
    if not out:
        return errors
    if not out.startswith("{"):
        if answer.event not in PLAIN_TEXT_EVENTS:
            errors.append("plain text on an event where Claude Code drops it")
        return errors
    try:
        data = json.loads(out)
    except ValueError:
        return [*errors, "stdout starts with { but is not JSON"]
    specific = data.get("hookSpecificOutput", {})
    if specific and specific.get("hookEventName") != answer.event:
        errors.append("hookSpecificOutput.hookEventName is not the event")
    if "permissionDecision" in specific and (
        answer.event != "PreToolUse" or specific["permissionDecision"] not in DECISIONS
    ):
        errors.append("bad permissionDecision")
    if "decision" in data and (data["decision"] != "block" or not data.get("reason")):
        errors.append("bad top-level decision")
    if not specific and "decision" not in data:
        errors.append("JSON answer that decides nothing and adds no context")
    return errors


def test_example_repo_is_committed_and_clean(example_repo: Path) -> None:
    assert git(example_repo, "rev-list", "--count", "HEAD") == "1"
    assert git(example_repo, "log", "-1", "--format=%s") == "Initial project"
    assert git(example_repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(example_repo, "status", "--porcelain", "--untracked-files=all") == ""
    tracked = git(example_repo, "ls-files").splitlines()
    assert ".claude/settings.json" in tracked
    assert not [p for p in tracked if "__pycache__" in p or p.startswith(".claude/memory/")]


def test_settings_registers_existing_hooks(example_repo: Path) -> None:
    text = (example_repo / ".claude" / "settings.json").read_text(encoding="utf-8")
    settings = json.loads(text)
    assert text.startswith('{\n  "permissions"'), "2-space indentation, non-hook keys first"
    assert {"permissions", "env", "hooks"} <= settings.keys()
    hooks = python_hooks(example_repo)
    scripts = {script for _, script in hooks}
    assert len(scripts) >= 20
    missing = sorted(s for s in scripts if not (example_repo / s).is_file())
    assert missing == []
    events = {reg.event for reg, _ in hooks}
    assert events == {"UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "SessionStart"}
    assert sum(reg.event == "UserPromptSubmit" for reg, _ in hooks) >= 10
    matchers = {(reg.event, reg.matcher) for reg, _ in hooks}
    assert {("PreToolUse", m) for m in ("Bash", "Write|Edit", "Task", "mcp__.*")} <= matchers
    others = [r.command for r in registrations(example_repo) if not HOOK_COMMAND.match(r.command)]
    assert others == ["echo session started >> $CLAUDE_PROJECT_DIR/.claude/memory/sessions.log"]


NOISY = {".claude/hooks/prompt_tip.py", ".claude/hooks/context_probe.py"}


def test_every_registered_hook_answers_by_the_contract(example_repo: Path) -> None:
    jobs = [
        (reg.event, script, payload)
        for reg, script in python_hooks(example_repo)
        for payload in payloads(example_repo, reg.event, reg.matcher)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda job: run_hook(example_repo, *job), jobs))

    bad = [
        f"{a.script} ({a.event}) on {a.payload[:80]}...: {'; '.join(errors)}"
        for a in answers
        if (errors := protocol_errors(a))
    ]
    assert bad == []

    def decided(decision: str) -> bool:
        return any(f'"permissionDecision": "{decision}"' in a.stdout for a in answers)

    assert all(decided(d) for d in DECISIONS), "allow, deny and ask each answered at least once"
    assert any(a.returncode == 2 for a in answers)
    assert any("additionalContext" in a.stdout for a in answers)
    assert any(a.stdout and not a.stdout.startswith("{") for a in answers)
    assert any(a.event == "SessionStart" and a.stdout for a in answers)
    benign = [a for a in answers if BENIGN_PROMPT in a.payload]
    # Silence on an ordinary prompt, but for the members that reproduce real hook sets: one
    # adds a random tip in some runs, one always answers with an empty additionalContext.
    assert benign and all(a.stdout == "" for a in benign if a.script not in NOISY), "silence"
    probe = [a for a in benign if a.script.endswith("context_probe.py")]
    assert probe and all('"additionalContext": ""' in a.stdout for a in probe)
    memory = example_repo / ".claude" / "memory"
    for state in ("session_state.json", "lessons.jsonl", "confidence.json"):
        assert (memory / state).is_file(), state
    assert git(example_repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_project_tests_and_upkeep_pass(example_repo: Path) -> None:
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/", "-q"],
        cwd=example_repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout[-2000:] + tests.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", tests.stdout)
    upkeep = subprocess.run(
        [sys.executable, "scripts/ops/upkeep.py"],
        cwd=example_repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert upkeep.returncode == 0, upkeep.stderr
    assert git(example_repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_plan_gaps_are_present(example_repo: Path) -> None:
    hooks_dir = example_repo / ".claude" / "hooks"
    assert not (hooks_dir / "session_context.py").exists()
    assert (hooks_dir / "old_prompt_logger.py").is_file()
    settings_text = (example_repo / ".claude" / "settings.json").read_text(encoding="utf-8")
    assert "old_prompt_logger" not in settings_text
    assert "hook_utils" not in settings_text
    importers = []
    for path in example_repo.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names]
                if "old_prompt_logger" in names:
                    importers.append(path.name)
                if "hook_utils" in names:
                    importers.append("hook_utils")
    assert "hook_utils" in importers, "hook_utils is a helper imported by hooks"
    assert [name for name in importers if name != "hook_utils"] == []
    assert "Performance checklist: parallel agents" not in (example_repo / "CLAUDE.md").read_text(
        encoding="utf-8"
    )


def _max_workers_sites(path: Path) -> tuple[int, int]:
    """(pool calls with max_workers=10, string literals containing 'max_workers=10')."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = strings = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            calls += any(
                k.arg == "max_workers" and isinstance(k.value, ast.Constant) and k.value.value == 10
                for k in node.keywords
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings += "max_workers=10" in node.value
    return calls, strings


def test_recipe_targets_are_present(example_repo: Path) -> None:
    hooks_dir = example_repo / ".claude" / "hooks"
    for name in ("best_practice_enforcer.py", "detect_batch.py"):
        calls, strings = _max_workers_sites(hooks_dir / name)
        assert calls >= 1 and strings >= 1, name
    untimed = 0
    for path in [*hooks_dir.glob("*.py"), *example_repo.glob("scripts/*/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in {"run", "call", "check_call", "check_output", "Popen"}:
                    untimed += not any(k.arg in {"timeout", None} for k in node.keywords)
    assert untimed >= 10
    writers = [
        p.name for p in hooks_dir.glob("*.py") if "session_state.json" in p.read_text("utf-8")
    ]
    assert {"command_tracker.py", "session_state_tracker.py"} <= set(writers)


def test_build_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="not an empty folder"):
        build(dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(empty) == empty
    assert (empty / ".git").is_dir()


def test_build_without_identity_uses_a_fallback_for_that_commit_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [*IDENTITY, "EMAIL"]:
        monkeypatch.delenv(key, raising=False)
    repo = build(tmp_path / "anon")
    assert git(repo, "log", "-1", "--format=%an <%ae>") == (
        "migrate-example <example@migrate.invalid>"
    )
    local = subprocess.run(
        ["git", "config", "--get", "user.name"], cwd=repo, capture_output=True, timeout=30
    )
    assert local.returncode == 1, "the fallback identity is not written to the repo config"


def test_build_takes_the_email_from_EMAIL_when_git_config_has_only_a_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git itself falls back to $EMAIL for a missing user.email, so the build needs no
    stand-in identity then."""
    for key in IDENTITY:
        monkeypatch.delenv(key, raising=False)
    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text("[user]\n\tname = Ada\n", encoding="utf-8")
    monkeypatch.setenv("EMAIL", "ada@example.com")
    repo = build(tmp_path / "env-email")
    assert git(repo, "log", "-1", "--format=%an <%ae>") == "Ada <ada@example.com>"


def test_build_without_git_on_path_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(UserError, match=r"Could not build the example project in .*'git'"):
        build(tmp_path / "no-git")


def test_build_names_what_git_said_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's reason, from stderr; a refusal git prints on stdout only, from its last line."""
    Path(os.environ["GIT_CONFIG_GLOBAL"]).write_text("[user\n", encoding="utf-8")
    with pytest.raises(UserError, match="bad config line 1"):
        build(tmp_path / "bad-config")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert gitrepo.create_with_commit(empty, "first") == (
        'nothing to commit (create/copy files and use "git add" to track)'
    )


def test_build_keeps_a_configured_identity_and_skips_litter(tmp_path: Path) -> None:
    repo = build(tmp_path / "named")
    assert git(repo, "log", "-1", "--format=%an") == IDENTITY["GIT_AUTHOR_NAME"]
    shipped_files = {
        p.relative_to(source()).as_posix()
        for p in source().rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and ".pytest_cache" not in p.parts
        and "memory" not in p.parts
        and ".benchmarks" not in p.parts
        and p.suffix != ".pyc"
    }
    assert set(git(repo, "ls-files").splitlines()) == shipped_files


def test_make_example_script(tmp_path: Path) -> None:
    script = source().parent / "make_example.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "made")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == tmp_path / "made"
    again = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "made")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2 and "not an empty folder" in again.stderr
