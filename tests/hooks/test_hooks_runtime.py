"""The unified hook runtime: a generated hook, run as Claude Code runs it, against its members.

Each end-to-end test writes tiny member scripts into a temporary project, runs the generated
unified hook (`python3 .claude/hooks/unified_test.py`, payload on stdin) and compares it with
each member run alone as `python3 member.py` (the reference), with fork and without.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from migrate.hooks import runtime, unified
from migrate.hooks.runtime import classify, combine, matcher_matches

UNIFIED_TEMPLATE = '''#!/usr/bin/env python3
"""Unified hook `unified_test`: written by the tests."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _unified_runtime import main
MEMBERS = {members!r}
if __name__ == "__main__":
    main(MEMBERS)
'''


class Project:
    """A temporary Claude Code project with hooks in `.claude/hooks/`."""

    def __init__(self, root: Path, no_fork: bool) -> None:
        self.root = root
        self.hooks = root / ".claude" / "hooks"
        self.hooks.mkdir(parents=True)
        (self.hooks / "_unified_runtime.py").write_text(Path(runtime.__file__).read_text())
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        self.env["CLAUDE_PROJECT_DIR"] = str(root)
        self.env.pop("MIGRATE_HOOKS_NO_FORK", None)
        if no_fork:
            self.env["MIGRATE_HOOKS_NO_FORK"] = "1"
        self.pidfd = True  # False: as on Linux before 5.3 and on macOS, without os.pidfd_open

    def hook(self, name: str, source: str, **registration: Any) -> dict[str, Any]:
        """Write `.claude/hooks/<name>` and return its member entry."""
        path = self.hooks / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        member = {
            "name": name,
            "script": f"$CLAUDE_PROJECT_DIR/.claude/hooks/{name}",
            "args": [],
            "event": "PreToolUse",
            "matchers": ["*"],
            "timeout": 60,
            "chain": None,
        }
        member.update(registration)
        return member

    def run_unified(self, members: list[dict[str, Any]], payload: Any) -> Run:
        script = self.hooks / "unified_test.py"
        source = UNIFIED_TEMPLATE.format(members=members)
        if not self.pidfd:
            source = source.replace("import os, sys\n", "import os, sys\ndel os.pidfd_open\n")
        script.write_text(source)
        return self._run([str(script)], payload)

    def run_alone(self, member: dict[str, Any], payload: Any) -> Run:
        """The reference: the member's original command, `python3 script args...`."""
        words = [member["script"], *member["args"]]
        argv = [w.replace("${CLAUDE_PROJECT_DIR}", str(self.root)) for w in words]
        argv = [w.replace("$CLAUDE_PROJECT_DIR", str(self.root)) for w in argv]
        return self._run(argv, payload)

    def _run(self, argv: list[str], payload: Any) -> Run:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, *argv],
            input=data,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            timeout=30,
        )
        return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


class Run:
    def __init__(self, code: int, stdout: bytes, stderr: bytes, seconds: float) -> None:
        self.code, self.stdout, self.stderr, self.seconds = code, stdout, stderr, seconds

    @property
    def triple(self) -> tuple[int, bytes, bytes]:
        return self.code, self.stdout, self.stderr

    @property
    def json(self) -> dict[str, Any]:
        assert self.code == 0, self.stderr
        value = json.loads(self.stdout)
        assert isinstance(value, dict)
        return value


@pytest.fixture(params=["fork", "no-fork"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    return Project(tmp_path / "project", no_fork=request.param == "no-fork")


def pre_tool(tool: str = "Bash", **extra: Any) -> dict[str, Any]:
    return {
        "session_id": "s1",
        "cwd": "/somewhere",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": {"command": "ls"},
        **extra,
    }


def event(name: str, **extra: Any) -> dict[str, Any]:
    return {"session_id": "s1", "hook_event_name": name, **extra}


def prints_json(value: dict[str, Any], sleep: float = 0.0) -> str:
    """Source of a member that reads stdin, maybe sleeps, and prints `value` as JSON."""
    return (
        "import json, sys, time\njson.load(sys.stdin)\n"
        f"time.sleep({sleep})\nprint(json.dumps({value!r}))\n"
    )


def decision(value: str, reason: str) -> dict[str, Any]:
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": value,
            "permissionDecisionReason": reason,
        }
    }


# --- Matchers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_name", "matcher", "payload", "expected"),
    [
        pytest.param("PreToolUse", "*", {"tool_name": "Bash"}, True, id="star"),
        pytest.param("PreToolUse", "", {"tool_name": "Bash"}, True, id="empty"),
        pytest.param("PreToolUse", None, {"tool_name": "Bash"}, True, id="missing"),
        pytest.param("PreToolUse", "Bash", {"tool_name": "Bash"}, True, id="exact"),
        pytest.param("PreToolUse", "bash", {"tool_name": "Bash"}, False, id="case-sensitive"),
        pytest.param("PreToolUse", "Edit", {"tool_name": "NotebookEdit"}, False, id="exact-whole"),
        pytest.param("PreToolUse", "Write|Edit", {"tool_name": "Edit"}, True, id="list"),
        pytest.param("PreToolUse", "Write|Edit", {"tool_name": "MultiEdit"}, False, id="list-out"),
        pytest.param("PreToolUse", "Write, Edit", {"tool_name": "Edit"}, True, id="comma-list"),
        pytest.param("PreToolUse", "Edit.*", {"tool_name": "NotebookEdit"}, True, id="regex"),
        pytest.param("PreToolUse", "^Edit$", {"tool_name": "NotebookEdit"}, False, id="anchored"),
        pytest.param("PreToolUse", "mcp__.*", {"tool_name": "mcp__mem__get"}, True, id="mcp"),
        pytest.param("PreToolUse", "Bash", {}, False, id="no-field"),
        pytest.param("SessionStart", "compact", {"source": "compact"}, True, id="source"),
        pytest.param("SessionStart", "compact", {"source": "startup"}, False, id="source-out"),
        pytest.param("Notification", "idle_prompt", {"notification_type": "x"}, False, id="notif"),
        pytest.param("UserPromptSubmit", "Bash", {"prompt": "hi"}, True, id="no-matcher-event"),
        pytest.param("Stop", "Nothing", {}, True, id="stop-ignores"),
        pytest.param("PreToolUse", "Bash(", {"tool_name": "Bash("}, False, id="broken-pattern"),
    ],
)
def test_matcher_rules(
    event_name: str, matcher: str | None, payload: dict[str, Any], expected: bool
) -> None:
    assert matcher_matches(event_name, matcher, payload) is expected


def test_member_whose_matcher_does_not_match_is_not_run(project: Project) -> None:
    writer = project.hook(
        "writer.py",
        "open('ran.txt', 'w').write('ran')\nprint('{\"systemMessage\": \"ran\"}')\n",
        matchers=["Write"],
    )
    assert project.run_unified([writer], pre_tool("Bash")).triple == (0, b"", b"")
    assert not (project.root / "ran.txt").exists()
    assert project.run_unified([writer], pre_tool("Write")).json == {"systemMessage": "ran"}
    assert (project.root / "ran.txt").exists()


@pytest.mark.parametrize(
    ("matchers", "tools_run", "tools_not_run"),
    [
        pytest.param(
            ["Edit.*"], ["Edit", "NotebookEdit", "EditX"], ["Write", "MultiEd"], id="regex"
        ),
        pytest.param(["Write|Edit"], ["Write", "Edit"], ["MultiEdit", "NotebookEdit"], id="exact"),
        pytest.param(["Bash", "Write|Edit"], ["Bash", "Edit"], ["Read"], id="several"),
    ],
)
def test_member_runs_only_for_tools_its_matchers_match(
    project: Project, matchers: list[str], tools_run: list[str], tools_not_run: list[str]
) -> None:
    member = project.hook("m.py", prints_json({"systemMessage": "ran"}), matchers=matchers)
    for tool in tools_run:
        assert project.run_unified([member], pre_tool(tool)).json == {"systemMessage": "ran"}
    for tool in tools_not_run:
        assert project.run_unified([member], pre_tool(tool)).triple == (0, b"", b"")


def test_member_of_another_event_is_not_run(project: Project) -> None:
    member = project.hook("m.py", prints_json({"systemMessage": "ran"}), event="PostToolUse")
    assert project.run_unified([member], pre_tool()).triple == (0, b"", b"")


def test_payload_that_is_not_json_runs_nothing(project: Project) -> None:
    member = project.hook("m.py", "open('ran.txt', 'w').write('ran')\n")
    assert project.run_unified([member], b"this is not json").triple == (0, b"", b"")
    assert not (project.root / "ran.txt").exists()


# --- One member: reproduced exactly ----------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "import sys\nsys.stdin.read()\nsys.stderr.write('no rm\\n')\nsys.exit(2)\n", id="exit-2"
        ),
        pytest.param("import sys\nsys.exit('message for the user')\n", id="sys-exit-text"),
        pytest.param("import sys\nsys.exit(3)\n", id="sys-exit-3"),
        pytest.param("import sys\nsys.exit()\n", id="sys-exit-none"),
        pytest.param("print('x' * 300000)\n", id="output-larger-than-a-pipe"),
        pytest.param(
            "import sys\nprint(sys.stdin.mode, sys.stdout.mode, sys.stderr.mode)\n",
            id="stream-modes",
        ),
        pytest.param(
            "def f(x: int) -> None:\n    pass\nprint(f.__annotations__)\n",
            id="annotations-not-postponed",
        ),
        pytest.param(
            "import sys\nprint('text')\nsys.stdout.buffer.write(b'bytes first\\n')\n",
            id="text-then-bytes",
        ),
        pytest.param(
            "import os, sys\nsys.stdout.close()\nos.write(1, b'fd 1 is still open\\n')\n"
            "sys.stderr.write('stderr is still flushed')\n",
            id="stdout-closed-not-fd-1",
        ),
        pytest.param("import json, sys\nraise RuntimeError('boom')\n", id="traceback"),
        pytest.param("def broken(:\n    pass\n", id="syntax-error"),
        pytest.param(
            "import os\nprint('buffered')\nos.write(1, b'raw\\n')\nprint('again')\n", id="os-write"
        ),
        pytest.param(
            "import atexit\natexit.register(lambda: print('from atexit'))\nprint('main')\n",
            id="atexit",
        ),
        pytest.param(
            "import threading, time\n"
            "def late():\n    time.sleep(0.2)\n    print('thread done')\n"
            "threading.Thread(target=late).start()\nprint('main done')\n",
            id="thread",
        ),
        pytest.param(prints_json(decision("deny", "not here")), id="json-deny"),
        pytest.param("import sys\nsys.stderr.write('only a note\\n')\n", id="stderr-only"),
        pytest.param(
            "import os, sys\nsys.stdin.buffer.peek(1)\nsys.stdout.buffer.write(b'never')\n"
            "os._exit(0)\n",
            id="buffered-streams",
        ),
    ],
)
def test_single_member_behaves_as_run_alone(project: Project, source: str) -> None:
    member = project.hook("m.py", source)
    alone = project.run_alone(member, pre_tool())
    assert project.run_unified([member], pre_tool()).triple == alone.triple


def test_unbuffered_python_is_reproduced_too(project: Project) -> None:
    project.env["PYTHONUNBUFFERED"] = "1"
    member = project.hook("m.py", "import os\nprint('first')\nos.write(1, b'second\\n')\n")
    alone = project.run_alone(member, pre_tool())
    assert alone.stdout == b"first\nsecond\n"
    assert project.run_unified([member], pre_tool()).triple == alone.triple


def test_missing_script_fails_like_python(project: Project) -> None:
    member = project.hook("m.py", "")
    member["script"] = "$CLAUDE_PROJECT_DIR/.claude/hooks/gone.py"
    alone = project.run_alone(member, pre_tool())
    unified = project.run_unified([member], pre_tool())
    assert unified.code == alone.code == 2
    assert unified.stderr.split(b":", 1)[1] == alone.stderr.split(b":", 1)[1]


@pytest.mark.parametrize(
    ("script", "args"),
    [
        pytest.param("$CLAUDE_PROJECT_DIR/.claude/hooks/probe.py", [], id="absolute"),
        pytest.param(
            ".claude/hooks/probe.py", ["--flag", "${CLAUDE_PROJECT_DIR}/x"], id="relative"
        ),
    ],
)
def test_member_sees_file_name_argv_and_path_as_python3_gives_them(
    project: Project, script: str, args: list[str]
) -> None:
    member = project.hook(
        "probe.py",
        """
        import json, sys
        print(json.dumps({"file": __file__, "name": __name__, "argv": sys.argv, "path": sys.path,
                          "main": sys.modules["__main__"].__dict__ is globals(),
                          "stdin": sys.stdin.read()}))
        """,
        script=script,
        args=args,
    )
    alone = project.run_alone(member, pre_tool())
    assert json.loads(alone.stdout)["argv"][0] == script.replace(
        "$CLAUDE_PROJECT_DIR", str(project.root)
    )
    assert project.run_unified([member], pre_tool()).triple == alone.triple


def test_member_imports_its_own_sibling_not_the_runtimes(project: Project) -> None:
    (project.hooks / "helper.py").write_text("WHO = 'runtime folder'\n")
    member = project.hook("sub/m.py", "import helper\nprint(helper.WHO)\n")
    (project.hooks / "sub" / "helper.py").write_text("WHO = 'member folder'\n")
    alone = project.run_alone(member, pre_tool())
    assert alone.stdout == b"member folder\n"
    assert project.run_unified([member], pre_tool()).triple == alone.triple


# --- Process isolation and timeouts ----------------------------------------------------


def test_timed_out_member_is_killed_and_its_output_discarded(project: Project) -> None:
    slow = project.hook(
        "slow.py",
        """
        import subprocess, time
        helper = subprocess.Popen(["sleep", "30"])
        open("helper.pid", "w").write(str(helper.pid))
        print("too late", flush=True)
        time.sleep(5)
        """,
        timeout=1,
    )
    fast = project.hook("fast.py", prints_json({"systemMessage": "fast is fine"}))
    unified = project.run_unified([slow, fast], pre_tool())
    assert unified.seconds < 3.5
    assert unified.json == {
        "systemMessage": "[slow.py] timed out; its output was discarded\n[fast.py] fast is fine"
    }
    helper = int((project.root / "helper.pid").read_text())
    assert _ended(helper), "the process the timed-out member started was not killed"


def _ended(pid: int) -> bool:
    """Whether `pid` is gone (or a zombie) within a second."""
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.01)
    return False


def test_single_timed_out_member_gives_only_the_note(project: Project) -> None:
    slow = project.hook(
        "slow.py", "import time\nprint('too late', flush=True)\ntime.sleep(5)\n", timeout=1
    )
    unified = project.run_unified([slow], pre_tool())
    assert unified.seconds < 3.5
    assert unified.json == {"systemMessage": "[slow.py] timed out; its output was discarded"}


def test_process_left_running_by_a_member_neither_delays_nor_corrupts_the_result(
    project: Project,
) -> None:
    spawner = project.hook(
        "spawner.py",
        """
        import subprocess
        subprocess.Popen(["sh", "-c", "sleep 3; echo LATE"])
        print('{"systemMessage": "spawned"}')
        """,
    )
    other = project.hook("other.py", prints_json({"systemMessage": "other"}))
    unified = project.run_unified([spawner], pre_tool())
    assert unified.seconds < 2.5
    assert unified.triple == (0, b'{"systemMessage": "spawned"}\n', b"")
    both = project.run_unified([spawner, other], pre_tool())
    assert both.seconds < 2.5
    assert both.json == {"systemMessage": "[spawner.py] spawned\n[other.py] other"}


def test_members_that_read_part_or_none_of_a_large_payload_do_not_block(project: Project) -> None:
    payload = event("UserPromptSubmit", prompt="x" * 1_500_000)
    members = [
        project.hook(
            "head.py",
            "import sys\nprint(sys.stdin.buffer.read(12).decode())\n",
            event="UserPromptSubmit",
        ),
        project.hook("none.py", "print('did not read')\n", event="UserPromptSubmit"),
        project.hook(
            "line.py", "import sys\nprint(len(sys.stdin.readline()))\n", event="UserPromptSubmit"
        ),
    ]
    alone = [project.run_alone(m, payload) for m in members]
    unified = project.run_unified(members, payload)
    assert unified.seconds < 10
    expected = "\n\n".join(
        f"[{m['name']}]\n{a.stdout.decode().strip()}" for m, a in zip(members, alone, strict=True)
    )
    assert unified.json["hookSpecificOutput"]["additionalContext"] == expected
    assert "did not read" in expected and '{"session_id' in expected and "1500" in expected


def test_chained_members_run_one_after_another_in_registration_order(project: Project) -> None:
    append = "import sys, time\ntime.sleep({sleep})\nopen('state.txt', 'a').write('{name}\\n')\n"
    chain = "state:state.txt"
    members = [
        project.hook("first.py", append.format(sleep=0.5, name="first"), chain=chain),
        project.hook("second.py", append.format(sleep=0, name="second"), chain=chain),
        project.hook("third.py", append.format(sleep=0, name="third"), chain=chain),
        project.hook("free.py", append.format(sleep=0.1, name="free")),
    ]
    assert project.run_unified(members, pre_tool()).triple == (0, b"", b"")
    lines = (project.root / "state.txt").read_text().splitlines()
    assert [line for line in lines if line != "free"] == ["first", "second", "third"]
    assert lines.index("free") < lines.index("first")  # the unchained member did not wait


def test_unchained_members_run_in_parallel(project: Project) -> None:
    members = [project.hook(f"m{i}.py", "import time\ntime.sleep(0.6)\n") for i in range(4)]
    unified = project.run_unified(members, pre_tool())
    assert unified.triple == (0, b"", b"")
    assert unified.seconds < 1.8  # one after another would take 2.4 s


# --- Merge rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        pytest.param(["allow", "ask", "defer", "deny"], "deny", id="deny-wins"),
        pytest.param(["allow", "defer", "ask"], "defer", id="defer-over-ask"),
        pytest.param(["ask", "defer"], "defer", id="defer-over-an-earlier-ask"),
        pytest.param(["ask", "allow"], "ask", id="ask-over-allow"),
        pytest.param(["allow", "allow"], "allow", id="allow"),
    ],
)
def test_strongest_permission_decision_wins(
    project: Project, decisions: list[str], expected: str
) -> None:
    members = [
        project.hook(f"{d}{i}.py", prints_json(decision(d, f"{d} from {i}")))
        for i, d in enumerate(decisions)
    ]
    members.append(project.hook("silent.py", "import sys\nsys.stdin.read()\n"))
    alone = [project.run_alone(m, pre_tool()) for m in members]
    said = [json.loads(a.stdout)["hookSpecificOutput"]["permissionDecision"] for a in alone[:-1]]
    assert said == decisions and alone[-1].triple == (0, b"", b"")
    specific = project.run_unified(members, pre_tool()).json["hookSpecificOutput"]
    assert specific["hookEventName"] == "PreToolUse"
    assert specific["permissionDecision"] == expected
    winners = [
        f"[{expected}{i}.py] {expected} from {i}" for i, d in enumerate(decisions) if d == expected
    ]
    assert specific["permissionDecisionReason"] == "\n".join(winners)


def test_no_member_decided_means_no_decision(project: Project) -> None:
    members = [
        project.hook("note.py", prints_json({"systemMessage": "just saying"})),
        project.hook(
            "ctx.py",
            prints_json(
                {"hookSpecificOutput": {"hookEventName": "PreToolUse", "additionalContext": "fyi"}}
            ),
        ),
        project.hook("text.py", "print('plain text is only logged on PreToolUse')\n"),
    ]
    assert project.run_unified(members, pre_tool()).json == {
        "systemMessage": "[note.py] just saying",
        "hookSpecificOutput": {"hookEventName": "PreToolUse", "additionalContext": "[ctx.py]\nfyi"},
    }


def test_silence_is_never_turned_into_allow(project: Project) -> None:
    members = [
        project.hook("reads.py", "import sys\nsys.stdin.read()\n"),
        project.hook("logs.py", "import sys\nprint('only a log line', file=sys.stderr)\n"),
        project.hook("nothing.py", ""),
    ]
    assert project.run_unified(members, pre_tool()).triple == (0, b"", b"")


def test_plain_context_is_labelled_in_registration_order(project: Project) -> None:
    members = [
        project.hook(
            "slow_ctx.py",
            "import time\ntime.sleep(0.3)\nprint('remember the milk')\n",
            event="UserPromptSubmit",
        ),
        project.hook(
            "json_ctx.py",
            prints_json(
                {
                    "hookSpecificOutput": {
                        "hookEventName": "UserPromptSubmit",
                        "additionalContext": "json context",
                    }
                }
            ),
            event="UserPromptSubmit",
        ),
        project.hook(
            "fast_ctx.py", "print('line one')\nprint('line two')\n", event="UserPromptSubmit"
        ),
    ]
    payload = event("UserPromptSubmit", prompt="hello")
    alone = [project.run_alone(m, payload) for m in members]
    assert alone[0].stdout == b"remember the milk\n" and alone[2].stdout == b"line one\nline two\n"
    assert project.run_unified(members, payload).json == {
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": "[slow_ctx.py]\nremember the milk\n\n[json_ctx.py]\njson context"
            "\n\n[fast_ctx.py]\nline one\nline two",
        }
    }


def test_block_decisions_are_joined_in_registration_order(project: Project) -> None:
    members = [
        project.hook(
            "a.py", prints_json({"decision": "block", "reason": "tests fail"}, 0.3), event="Stop"
        ),
        project.hook(
            "b.py", prints_json({"decision": "block", "reason": "lint fails"}), event="Stop"
        ),
        project.hook("c.py", prints_json({"systemMessage": "checked"}), event="Stop"),
    ]
    assert project.run_unified(members, event("Stop", stop_hook_active=False)).json == {
        "decision": "block",
        "reason": "[a.py] tests fail\n[b.py] lint fails",
        "systemMessage": "[c.py] checked",
    }


def test_continue_false_wins_and_stop_reasons_are_joined(project: Project) -> None:
    members = [
        project.hook(
            "halt.py",
            prints_json({"continue": False, "stopReason": "budget spent"}),
            event="UserPromptSubmit",
        ),
        project.hook(
            "go.py",
            prints_json({"continue": True, "systemMessage": "all good"}),
            event="UserPromptSubmit",
        ),
        project.hook("ctx.py", "print('some context')\n", event="UserPromptSubmit"),
    ]
    assert project.run_unified(members, event("UserPromptSubmit", prompt="x")).json == {
        "continue": False,
        "stopReason": "[halt.py] budget spent",
        "systemMessage": "[go.py] all good",
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": "[ctx.py]\nsome context",
        },
    }


def test_exit_2_beside_json_blocks_and_keeps_what_the_others_said(project: Project) -> None:
    """Claude Code runs every hook: an exit-2 block does not hide a sibling's message."""
    members = [
        project.hook("json_deny.py", prints_json(decision("deny", "json says no"), 0.2)),
        project.hook("exit2.py", "import sys\nsys.stderr.write('exit says no\\n')\nsys.exit(2)\n"),
        project.hook("ctx.py", prints_json({"systemMessage": "the user still sees this"})),
    ]
    assert project.run_unified(members, pre_tool()).json == {
        "systemMessage": "[ctx.py] the user still sees this",
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "[json_deny.py] json says no\n[exit2.py] exit says no",
        },
    }


def test_exit_2_blocks_with_every_blocking_reason_on_stderr(project: Project) -> None:
    members = [
        project.hook("first.py", "import sys\nsys.stderr.write('first no\\n')\nsys.exit(2)\n"),
        project.hook("exit2.py", "import sys\nsys.stderr.write('exit says no\\n')\nsys.exit(2)\n"),
        project.hook("quiet.py", "import sys\nsys.stdin.read()\n"),
    ]
    assert project.run_unified(members, pre_tool()).triple == (
        2,
        b"",
        b"[first.py] first no\n[exit2.py] exit says no\n",
    )


def test_exit_2_on_post_tool_use_goes_back_to_claude(project: Project) -> None:
    members = [
        project.hook(
            "a.py",
            "import sys\nprint('fix the tests', file=sys.stderr)\nsys.exit(2)\n",
            event="PostToolUse",
        ),
        project.hook(
            "b.py",
            "import sys\nprint('and the lint', file=sys.stderr)\nsys.exit(2)\n",
            event="PostToolUse",
        ),
    ]
    payload = {**pre_tool(), "hook_event_name": "PostToolUse", "tool_response": {}}
    assert project.run_unified(members, payload).triple == (
        2,
        b"",
        b"[a.py] fix the tests\n[b.py] and the lint\n",
    )


def test_exit_2_where_the_event_cannot_block_is_a_non_blocking_error(project: Project) -> None:
    members = [
        project.hook(
            "a.py",
            "import sys\nprint('cannot block here', file=sys.stderr)\nsys.exit(2)\n",
            event="Notification",
        ),
        project.hook("b.py", prints_json({"systemMessage": "hello"}), event="Notification"),
        project.hook(
            "c.py",
            'import sys\nprint(\'{"systemMessage": "ignored"}\')\n'
            "print('nor this', file=sys.stderr)\nsys.exit(2)\n",
            event="Notification",
        ),
    ]
    payload = event("Notification", message="hi", notification_type="idle_prompt")
    assert project.run_unified(members, payload).json == {
        "systemMessage": "[a.py] failed with exit code 2: cannot block here\n[b.py] hello"
        "\n[c.py] failed with exit code 2: nor this"  # exit 2: its JSON is not read
    }


def test_crashing_member_is_its_error_not_the_runners(project: Project) -> None:
    members = [
        project.hook("crash.py", "raise RuntimeError('boom')\n", event="UserPromptSubmit"),
        project.hook("oops.py", "import sys\nsys.exit('bad config')\n", event="UserPromptSubmit"),
        project.hook("ok.py", "print('still here')\n", event="UserPromptSubmit"),
    ]
    payload = event("UserPromptSubmit", prompt="x")
    assert project.run_alone(members[0], payload).stderr.startswith(b"Traceback (most recent")
    assert project.run_unified(members, payload).json == {
        "systemMessage": "[crash.py] failed with exit code 1: Traceback (most recent call last):\n"
        "[oops.py] failed with exit code 1: bad config",
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": "[ok.py]\nstill here",
        },
    }


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param("raise SystemExit(1)\n", id="exit-1"),
        pytest.param(  # exit code -1 inside the runtime
            "import os, signal, sys\nsys.stdout.flush()\n"  # SIGHUP as it is by default, even
            "signal.signal(signal.SIGHUP, signal.SIG_DFL)\n"  # under nohup, which ignores it
            "os.kill(os.getpid(), signal.SIGHUP)\n",
            id="killed-by-sighup",
        ),
    ],
)
def test_other_exit_code_with_json_still_decides(project: Project, ending: str) -> None:
    members = [
        project.hook("a.py", prints_json(decision("deny", "no")) + ending),
        project.hook("b.py", prints_json(decision("allow", "yes"))),
    ]
    specific = project.run_unified(members, pre_tool()).json["hookSpecificOutput"]
    assert (specific["permissionDecision"], specific["permissionDecisionReason"]) == (
        "deny",
        "[a.py] no",
    )


def rewrite(command: str, then: str | None = None) -> dict[str, Any]:
    specific: dict[str, Any] = {"hookEventName": "PreToolUse", "updatedInput": {"command": command}}
    if then:
        specific["permissionDecision"] = then
    return {"hookSpecificOutput": specific}


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        pytest.param(
            [rewrite("ls -la"), decision("allow", "fine")],
            {
                "permissionDecision": "allow",
                "permissionDecisionReason": "[b.py] fine",
                "updatedInput": {"command": "ls -la"},
            },
            id="one-rewrite-applied",
        ),
        pytest.param(
            [rewrite("ls -la"), decision("ask", "sure?")],
            {"permissionDecision": "ask", "permissionDecisionReason": "[b.py] sure?"},
            id="not-with-ask",
        ),
        pytest.param(
            [rewrite("ls -la", "allow"), decision("deny", "no")],
            {"permissionDecision": "deny", "permissionDecisionReason": "[b.py] no"},
            id="not-with-deny",
        ),
    ],
)
def test_updated_input_rule(
    project: Project, outputs: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    members = [project.hook(f"{n}.py", prints_json(o)) for n, o in zip("ab", outputs, strict=True)]
    out = project.run_unified(members, pre_tool()).json
    assert out["hookSpecificOutput"] == {"hookEventName": "PreToolUse", **expected}


def test_several_rewrites_keep_the_last_and_say_so(project: Project) -> None:
    members = [
        project.hook("a.py", prints_json(rewrite("ls -a"))),
        project.hook("b.py", prints_json(rewrite("ls -b"), 0.2)),
        project.hook("c.py", prints_json(decision("allow", "ok"))),
    ]
    out = project.run_unified(members, pre_tool()).json
    assert out["hookSpecificOutput"]["updatedInput"] == {"command": "ls -b"}
    assert (
        out["systemMessage"]
        == "[b.py] several members rewrote the tool input (a.py, b.py); kept b.py's"
    )


def test_session_start_plain_text_is_context(project: Project) -> None:
    members = [
        project.hook("a.py", "print('branch: main')\n", event="SessionStart", matchers=["startup"]),
        project.hook(
            "b.py", "print('3 open tasks')\n", event="SessionStart", matchers=["startup|resume"]
        ),
        project.hook("c.py", "print('compacted')\n", event="SessionStart", matchers=["compact"]),
    ]
    assert project.run_unified(members, event("SessionStart", source="startup")).json == {
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": "[a.py]\nbranch: main\n\n[b.py]\n3 open tasks",
        }
    }


# --- Policy details, on the pure functions ---------------------------------------------


def result(
    name: str,
    stdout: str = "",
    code: int = 0,
    stderr: str = "",
    event_name: str = "UserPromptSubmit",
) -> runtime.MemberResult:
    return classify(event_name, name, code, stdout.encode(), stderr.encode(), False)


def test_context_over_the_cap_is_cut_fairly() -> None:
    results = [result("a.py", "a" * 9000), result("b.py", "b" * 9000), result("c.py", "short")]
    code, out, err = combine("UserPromptSubmit", results)
    context = json.loads(out)["hookSpecificOutput"]["additionalContext"]
    assert (code, err) == (0, b"")
    assert len(context) == runtime.OUTPUT_CAP  # the cap is used whole, and not passed
    parts = context.split("\n\n")
    assert parts[2] == "[c.py]\nshort"
    for part, letter in zip(parts[:2], "ab", strict=True):
        assert part.startswith(f"[{letter}.py]\n{letter * 4000}")
        assert part.endswith("characters cut by the unified hook]")


def test_context_under_the_cap_is_untouched() -> None:
    results = [result("a.py", "a" * 4000), result("b.py", "b" * 4000)]
    context = json.loads(combine("UserPromptSubmit", results)[1])["hookSpecificOutput"][
        "additionalContext"
    ]
    assert context == f"[a.py]\n{'a' * 4000}\n\n[b.py]\n{'b' * 4000}"


@pytest.mark.parametrize(
    ("kind_args", "kind"),
    [
        pytest.param(
            {"code": 2, "stderr": "no", "event_name": "PreToolUse"}, "block", id="exit-2-blocks"
        ),
        pytest.param(
            {"code": 2, "stderr": "no", "event_name": "SessionStart"}, "error", id="exit-2-no-block"
        ),
        pytest.param(
            {"code": 1, "stdout": '{"decision": "block"}', "event_name": "Stop"},
            "json",
            id="exit-1-json",
        ),
        pytest.param(
            {"code": 1, "stdout": "text", "event_name": "Stop"}, "error", id="exit-1-text"
        ),
        pytest.param({"stdout": "text", "event_name": "UserPromptSubmit"}, "context", id="context"),
        pytest.param({"stdout": "text", "event_name": "PreToolUse"}, "silent", id="text-dropped"),
        pytest.param(
            {"stdout": "{not json", "event_name": "SessionStart"}, "context", id="bad-json"
        ),
        pytest.param({}, "silent", id="nothing"),
    ],
)
def test_classify(kind_args: dict[str, Any], kind: str) -> None:
    assert result("m.py", **kind_args).kind == kind


def test_exit_2_reason_prefers_the_json_reason() -> None:
    stdout = json.dumps({"decision": "block", "reason": "from json"})
    assert result("m.py", stdout, 2, "from stderr", "Stop").text == "from json"
    assert result("m.py", "", 2, "from stderr", "Stop").text == "from stderr"


@pytest.mark.parametrize(
    "asked, hidden",
    [
        pytest.param([True, True], True, id="every-json-member"),
        pytest.param([True, False], False, id="first-only"),
        pytest.param([False, True], False, id="last-only"),
    ],
)
def test_suppress_output_only_when_every_json_member_asks(
    project: Project, asked: list[bool], hidden: bool
) -> None:
    """A member that asked to stay out of the transcript beside one that did not: one hook
    has one stdout, so the output is shown (a plain-text member does not count)."""
    members = [
        project.hook(f"m{i}.py", prints_json({"systemMessage": f"note {i}", "suppressOutput": s}))
        for i, s in enumerate(asked)
    ]
    members.append(project.hook("log.py", "print('plain text is only logged')\n"))
    shown = project.run_unified(members, pre_tool()).json
    assert shown.get("suppressOutput", False) is hidden
    assert shown["systemMessage"] == "[m0.py] note 0\n[m1.py] note 1"


def test_the_context_cap_is_ten_thousand_characters() -> None:
    """Claude Code keeps 10,000 characters of a hook's output: a joined context of exactly
    that many is untouched, one more is cut."""
    label = len("[a.py]\n") + len("\n\n[b.py]\n")
    for total, cut in ((10_000, False), (10_001, True)):
        first = (total - label) // 2
        results = [result("a.py", "a" * first), result("b.py", "b" * (total - label - first))]
        shown = json.loads(combine("UserPromptSubmit", results)[1])
        context = shown["hookSpecificOutput"]["additionalContext"]
        assert ("characters cut by the unified hook" in context) is cut, total


def test_one_speaking_member_beside_silent_ones_is_passed_through_as_it_printed() -> None:
    silent = classify("UserPromptSubmit", "quiet.py", 0, b"", b"", False)
    speaking = classify("UserPromptSubmit", "notes.py", 0, b"notes: 3 words\n", b"", False)
    assert combine("UserPromptSubmit", [silent, speaking]) == (0, b"notes: 3 words\n", b"")


def test_an_error_is_named_by_the_first_line_of_its_stderr() -> None:
    failed = classify("PostToolUse", "lint.py", 1, b"", b"lint failed\n  at line 3\n", False)
    assert (failed.kind, failed.text) == ("error", "lint failed")


def test_two_different_rewrites_of_the_tool_input_are_not_the_same_effect() -> None:
    def rewrite(command: str) -> runtime.MemberResult:
        out = {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "updatedInput": {"command": command},
            }
        }
        return classify("PreToolUse", "fix.py", 0, json.dumps(out).encode(), b"", False)

    one, other = (runtime.shown("PreToolUse", [rewrite(c)]).comparable() for c in ("ls", "ls -a"))
    assert one["updated_input"] == '{"command": "ls"}' and one != other
    assert runtime.shown("PreToolUse", []).comparable()["updated_input"] is None


def test_a_permission_request_decision_is_compared_by_what_it_changes() -> None:
    """PermissionRequest: an allow that rewrites the input or the permissions is not the same
    effect as a plain allow, nor as an allow that rewrites them otherwise."""

    def allow(**changes: Any) -> dict[str, Any]:
        out = {
            "hookSpecificOutput": {
                "hookEventName": "PermissionRequest",
                "decision": {"behavior": "allow", **changes},
            }
        }
        member = classify("PermissionRequest", "gate.py", 0, json.dumps(out).encode(), b"", False)
        return runtime.shown("PermissionRequest", [member]).comparable()

    plain, one, other = allow(), allow(updatedInput={"a": 1}), allow(updatedInput={"a": 2})
    assert plain["other"] == "{}"
    assert len({plain["other"], one["other"], other["other"]}) == 3


def test_a_closed_stdout_exits_120_as_python3_does(project: Project) -> None:
    """Claude Code stopped reading before the hook printed: python3 exits 120 when it cannot
    flush stdout, and so does the unified hook."""
    member = project.hook("m.py", "import time\ntime.sleep(0.3)\nprint('x' * 100)\n")
    script = project.hooks / "unified_test.py"
    alone = member["script"].replace("$CLAUDE_PROJECT_DIR", str(project.root))

    def closed(argv: list[str]) -> int:
        proc = subprocess.Popen(
            [sys.executable, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=project.root,
            env=project.env,
        )
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before anything is printed
        proc.communicate(json.dumps(pre_tool()).encode(), timeout=30)
        return proc.returncode

    script.write_text(UNIFIED_TEMPLATE.format(members=[member]))
    assert closed([alone]) == closed([str(script)]) == 120
    # even a block (exit 2): python3 then exits 120 too
    source = "import sys, time\ntime.sleep(0.3)\nprint('x' * 100)\nsys.exit(2)\n"
    blocks = project.hook("b.py", source)
    script.write_text(UNIFIED_TEMPLATE.format(members=[blocks]))
    alone = blocks["script"].replace("$CLAUDE_PROJECT_DIR", str(project.root))
    assert closed([alone]) == closed([str(script)]) == 120


def test_a_member_closing_its_own_stdout_exits_120_as_under_python3(project: Project) -> None:
    member = project.hook("m.py", "import os\nos.close(1)\nprint('lost')\n")
    alone = project.run_alone(member, pre_tool())
    assert alone.code == 120
    assert project.run_unified([member], pre_tool()).code == 120


# --- Where members cannot start, and the Windows lanes ----------------------------------


def test_members_that_cannot_start_for_want_of_descriptors_are_their_errors(
    project: Project,
) -> None:
    """Pattern: many members under a low open-files limit (`ulimit -n`): the members whose
    pipes cannot be made are each a non-blocking error naming its script (exit code 1); the
    others run, and nothing blocks."""
    source = "import json, sys\njson.load(sys.stdin)\nprint('ran')\n"
    members = [
        project.hook(f"m{i}.py", source, event="UserPromptSubmit", timeout=30, args=["-v"])
        for i in range(40)
    ]
    script = project.hooks / "unified_test.py"
    script.write_text(UNIFIED_TEMPLATE.format(members=members))
    done = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps(event("UserPromptSubmit", prompt="hi")).encode(),
        cwd=project.root,
        env=project.env,
        capture_output=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48)),
    )
    assert (done.returncode, done.stderr) == (0, b"")
    out = json.loads(done.stdout)
    failed = out["systemMessage"].split("\n")
    for line in failed:
        name = line[1 : line.index("]")]
        assert line.startswith(
            f"[{name}] failed with exit code 1: cannot start {project.hooks / name}: [Errno 24]"
        )
    ran = out["hookSpecificOutput"]["additionalContext"].split("\n\n")
    assert 0 < len(failed) < 40 and len(failed) + len(ran) == 40


def test_windows_lanes_run_members_as_python3_does(tmp_path: Path) -> None:
    """The Windows way (a thread per lane, `communicate`) runs here too: each member's exit
    code and output, a timed-out member killed with its output dropped, a chain in order, and
    a member that cannot start (its folder is gone) as its error, exit code 1."""
    project = Project(tmp_path / "project", no_fork=True)
    members = [
        project.hook(
            "say.py", "import sys\nprint(sys.stdin.read()[:5])\nsys.exit(3)\n", args=["--flag"]
        ),
        project.hook("slow.py", "import time\nprint('late')\ntime.sleep(30)\n", timeout=0.5),
        project.hook("one.py", "import time\ntime.sleep(0.2)\nopen('one', 'w')\n", chain="c"),
        project.hook("two.py", "import os, sys\nsys.stderr.write(str(os.listdir()))\n", chain="c"),
    ]
    env = {**project.env, "PWD": str(project.root)}
    lanes = runtime._lanes(members, env)
    runs = runtime._run_with_threads(lanes, b'{"a": 1}', env, str(project.root))
    seen = {n: (r.name, r.exit_code, r.stdout, r.stderr, r.timed_out) for n, r in runs.items()}
    assert seen[0] == ("say.py", 3, b'{"a":\n', b"", False)
    assert seen[1][1:] == (-9, b"", b"", True)
    assert seen[2] == ("one.py", 0, b"", b"", False)
    assert seen[3][1:3] == (0, b"") and b"'one'" in seen[3][3]  # after one.py, in the folder
    gone = runtime._run_with_threads(lanes[:1], b"{}", env, str(tmp_path / "gone"))[0]
    assert (gone.exit_code, gone.stdout, gone.timed_out) == (1, b"", False)
    assert gone.stderr.startswith(f"cannot start {project.hooks / 'say.py'}: [Errno 2]".encode())


def test_without_pidfd_the_runner_polls_and_gives_the_same_results(project: Project) -> None:
    """No `os.pidfd_open` (Linux before 5.3, macOS): the runner looks for ended members by
    polling. A process a member leaves holding its stdout neither delays nor corrupts the
    result, and a member past its timeout is still killed."""
    project.pidfd = False
    spawner = project.hook(
        "spawner.py",
        """
        import subprocess
        subprocess.Popen(["sh", "-c", "sleep 3; echo LATE"])
        print('{"systemMessage": "spawned"}')
        """,
    )
    alone = project.run_unified([spawner], pre_tool())
    assert alone.seconds < 2.5  # not when its background process ends, 3 s later
    assert alone.triple == (0, b'{"systemMessage": "spawned"}\n', b"")
    slow = project.hook("slow.py", "import time\nprint('too late')\ntime.sleep(5)\n", timeout=1)
    unified = project.run_unified([spawner, slow], pre_tool())
    assert unified.seconds < 2.5
    assert unified.json == {
        "systemMessage": "[spawner.py] spawned\n[slow.py] timed out; its output was discarded"
    }


def test_a_script_under_home_is_found_as_the_shell_finds_it(project: Project) -> None:
    """Pattern: hooks kept in the user's home, registered as `python3 ~/.claude/hooks/x.py`:
    a leading `~` or `~/` is HOME, as the shell expands it; a `~` elsewhere stays."""
    project.env["HOME"] = str(project.root)
    args = ["~/x", "a~b", "~other/x"]  # ~other is another user's home: left to the shell
    member = project.hook("m.py", "import sys\nprint(sys.argv[1:])\n", args=args)
    member["script"] = "~/.claude/hooks/m.py"
    unified = project.run_unified([member], pre_tool())
    assert unified.triple == (0, f"['{project.root}/x', 'a~b', '~other/x']\n".encode(), b"")


def test_missing_script_run_by_python3_on_path_gives_python3s_own_message(tmp_path: Path) -> None:
    """Claude Code runs `python3 script.py`, python3 found on PATH: the message for a script
    that is not there starts with the program as typed, `python3:`, as python3's does. (With
    MIGRATE_HOOKS_NO_FORK=1 a member is started as `sys.executable script`, as documented.)"""
    project = Project(tmp_path / "project", no_fork=False)
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(sys.executable)
    env = {**project.env, "PATH": f"{folder}{os.pathsep}{project.env['PATH']}"}
    member = project.hook("m.py", "")
    member["script"] = ".claude/hooks/gone.py"
    (project.hooks / "unified_test.py").write_text(UNIFIED_TEMPLATE.format(members=[member]))
    payload = json.dumps(pre_tool()).encode()
    ran = [
        subprocess.run(
            ["python3", script], input=payload, cwd=project.root, env=env, capture_output=True
        )
        for script in (".claude/hooks/gone.py", ".claude/hooks/unified_test.py")
    ]
    alone, unified = ((r.returncode, r.stdout, r.stderr) for r in ran)
    assert alone[2].startswith(b"python3: can't open file")
    assert unified == alone


def test_a_share_smaller_than_the_cut_note_keeps_only_the_note() -> None:
    """250 members that each add context (a share of 38 characters, shorter than the note that
    says a part was cut): each part is its note alone, never a longer part."""
    results = [result(f"m{i}.py", "x" * 100) for i in range(250)]
    context = json.loads(combine("UserPromptSubmit", results)[1])["hookSpecificOutput"][
        "additionalContext"
    ]
    assert "x" not in context
    assert context.count("characters cut by the unified hook]") == 250
    assert context.startswith("\n[... 108 characters cut by the unified hook]\n\n")


def test_the_last_rewrite_is_kept_and_named_even_when_it_empties_the_input() -> None:
    empty = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {}}}
    results = [
        result("a.py", json.dumps(rewrite("ls -a")), event_name="PreToolUse"),
        result("b.py", json.dumps(empty), event_name="PreToolUse"),
    ]
    out = json.loads(combine("PreToolUse", results)[1])
    assert out["hookSpecificOutput"]["updatedInput"] == {}
    assert out["systemMessage"] == (
        "[b.py] several members rewrote the tool input (a.py, b.py); kept b.py's"
    )


FDS = "import os\nprint(sorted(os.listdir('/proc/self/fd'), key=int))\n"


def test_members_get_only_the_descriptors_python3_would_give_them(project: Project) -> None:
    """Parallel members and a chain: none inherits the runner's descriptors or another
    member's pipes (a daemon a hook starts would hold them open for ever), not even those of
    a member before it in its chain whose background process still holds its output."""
    alone = project.run_alone(project.hook("alone.py", FDS), pre_tool())
    leaves = "import subprocess\nsubprocess.Popen(['sleep', '2'])\n" + FDS
    members = [
        project.hook("p1.py", FDS, event="UserPromptSubmit"),
        project.hook("p2.py", FDS, event="UserPromptSubmit"),
        project.hook("c1.py", leaves, event="UserPromptSubmit", chain="c"),
        project.hook("c2.py", FDS, event="UserPromptSubmit", chain="c"),
    ]
    out = project.run_unified(members, event("UserPromptSubmit", prompt="hi")).json
    context = out["hookSpecificOutput"]["additionalContext"]
    seen = alone.stdout.decode().strip()
    assert context == "\n\n".join(f"[{m['name']}]\n{seen}" for m in members)


def _specific(event_name: str, **fields: Any) -> str:
    return json.dumps({"hookSpecificOutput": {"hookEventName": event_name, **fields}})


def test_a_denial_reason_goes_to_claude_and_other_reasons_to_the_user() -> None:
    deny = result(
        "d.py",
        _specific("PreToolUse", permissionDecision="deny", permissionDecisionReason="no"),
        event_name="PreToolUse",
    )
    ask = result(
        "a.py",
        _specific("PreToolUse", permissionDecision="ask", permissionDecisionReason=""),
        event_name="PreToolUse",
    )
    model = runtime.shown("PreToolUse", [deny, ask]).comparable()
    assert (model["to_claude"], model["to_user"]) == (["no"], [])


def test_permission_request_keeps_the_decision_object_beside_an_exit_2_denial() -> None:
    """PermissionRequest: one member denies with exit 2, another with a decision that also
    interrupts Claude: the merged decision keeps the interrupt."""
    gate = result("gate.py", "", 2, "no", event_name="PermissionRequest")
    stop = result(
        "stop.py",
        _specific("PermissionRequest", decision={"behavior": "deny", "interrupt": True}),
        event_name="PermissionRequest",
    )
    out = json.loads(combine("PermissionRequest", [gate, stop])[1])
    assert out["hookSpecificOutput"]["decision"] == {
        "behavior": "deny",
        "interrupt": True,
        "message": "[gate.py] no",
    }


def test_other_fields_of_hook_specific_output_pass_through_as_they_are() -> None:
    """A field the merge has no rule for is kept; a `decision` outside PermissionRequest is
    such a field, not a permission."""
    watch = result(
        "w.py",
        _specific("PostToolUse", decision={"behavior": "deny"}, note=1),
        event_name="PostToolUse",
    )
    other = result("o.py", "ok", event_name="PostToolUse")
    model = runtime.shown("PostToolUse", [watch, other])
    assert model.decision() is None
    assert json.loads(model.comparable()["other"]) == {
        "hookSpecificOutput.decision": {"behavior": "deny"},
        "hookSpecificOutput.note": 1,
    }
    allow = result(
        "a.py",
        _specific("PermissionRequest", decision={"behavior": "allow"}, note=2),
        event_name="PermissionRequest",
    )
    merged = runtime.shown("PermissionRequest", [allow, allow])
    assert json.loads(merged.comparable()["other"]) == {"hookSpecificOutput.note": 2}


def test_texts_are_compared_normalised_when_asked() -> None:
    timed = result("t.py", "took 12 ms")
    assert runtime.shown("UserPromptSubmit", [timed]).comparable()["to_claude"] == ["took 12 ms"]
    model = runtime.shown("UserPromptSubmit", [timed]).comparable(lambda t: t.replace("12", "N"))
    assert model["to_claude"] == ["took N ms"]


def test_run_members_gives_a_timed_out_member_its_signal_as_exit_code(tmp_path: Path) -> None:
    """The API (bench and replay use it): a member killed at its timeout ends with -9, fork
    or not, called from a plain python3 as documented. The `env` and `cwd` it is given are
    the member's; a `cwd` that does not exist is the member's error (exit code 1)."""
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(30)\n")
    member = {
        "name": "slow.py",
        "script": str(tmp_path / "slow.py"),
        "args": [],
        "event": "Stop",
        "matchers": ["*"],
        "timeout": 0.3,
        "chain": None,
    }
    code = (
        "import sys\nfrom migrate.hooks import runtime\n"
        f"run = runtime.run_members([{member!r}], b'{{}}')[0]\n"
        "print(run.exit_code, run.timed_out)\n"
    )
    assert _python3_both_ways(code) == ["-9 True\n"] * 2
    (tmp_path / "where.py").write_text("import os\nprint(os.getcwd(), os.environ['ONLY_HERE'])\n")
    where = {**member, "name": "where.py", "script": str(tmp_path / "where.py"), "timeout": 30}
    code = (
        "import os, sys\nfrom migrate.hooks import runtime\n"
        f"env = {{**os.environ, 'ONLY_HERE': 'yes'}}\n"
        f"for cwd in ({str(tmp_path)!r}, {str(tmp_path / 'gone')!r}):\n"
        f"    run = runtime.run_members([{where!r}], b'{{}}', env=env, cwd=cwd)[0]\n"
        "    print(run.exit_code, run.stdout, b'No such file or directory' in run.stderr)\n"
    )
    assert _python3_both_ways(code) == [f"0 b'{tmp_path} yes\\n' False\n1 b'' True\n"] * 2


def _python3_both_ways(code: str) -> list[str]:
    """What `python3 -c code` prints, with fork and without (MIGRATE_HOOKS_NO_FORK=1)."""
    printed = []
    for no_fork in ("", "1"):
        env = {**os.environ, "MIGRATE_HOOKS_NO_FORK": no_fork}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        printed.append(done.stdout)
    return printed


def test_a_member_writes_in_the_encoding_python3_would_use(project: Project) -> None:
    """PYTHONIOENCODING=latin-1 (or a non-UTF-8 locale): a member prints in that encoding, as
    under python3, not in UTF-8."""
    project.env["PYTHONIOENCODING"] = "latin-1"
    member = project.hook("m.py", "print('caf\\u00e9')\n")
    alone = project.run_alone(member, pre_tool())
    assert alone.stdout == "café\n".encode("latin-1")
    assert project.run_unified([member], pre_tool()).triple == alone.triple
    project.env["PYTHONIOENCODING"] = "ascii:replace"  # and its error handler
    alone = project.run_alone(member, pre_tool())
    assert alone.stdout == b"caf?\n"
    assert project.run_unified([member], pre_tool()).triple == alone.triple


def test_with_no_fork_each_member_is_a_fresh_python3(tmp_path: Path) -> None:
    """MIGRATE_HOOKS_NO_FORK=1, for a member that cannot share the runner's interpreter: the
    member starts from nothing, as under python3 (a forked member would have the runner's
    modules already imported)."""
    project = Project(tmp_path / "project", no_fork=True)
    member = project.hook("m.py", "import sys\nprint('_unified_runtime' in sys.modules)\n")
    assert project.run_unified([member], pre_tool()).triple == (0, b"False\n", b"")


def test_merged_output_keeps_non_ascii_text_as_it_is() -> None:
    results = [result("a.py", "café"), result("b.py", "naïve")]
    out = combine("UserPromptSubmit", results)[1]
    assert "[a.py]\\ncafé\\n\\n[b.py]\\nnaïve".encode() in out


def test_other_fields_compare_equal_whatever_order_the_members_gave_them() -> None:
    one = result("a.py", json.dumps({"x": 1}))
    two = result("b.py", json.dumps({"y": 2}))
    first = runtime.shown("UserPromptSubmit", [one, two]).comparable()
    again = runtime.shown("UserPromptSubmit", [two, one]).comparable()
    assert first["other"] == again["other"] == '{"x": 1, "y": 2}'


def test_of_three_rewrites_the_last_is_kept_and_named() -> None:
    results = [
        result(f"{n}.py", json.dumps(rewrite(f"ls -{n}")), event_name="PreToolUse") for n in "abc"
    ]
    out = json.loads(combine("PreToolUse", results)[1])
    assert out["hookSpecificOutput"]["updatedInput"] == {"command": "ls -c"}
    assert out["systemMessage"] == (
        "[c.py] several members rewrote the tool input (a.py, b.py, c.py); kept c.py's"
    )


def test_a_member_without_a_timeout_gets_claude_codes_default_of_600_s() -> None:
    """hooks-contract.md: a command hook without a timeout has 600 s; the unified hook's own
    registration leaves room for it."""
    member = {
        "name": "m.py",
        "script": "m.py",
        "args": [],
        "event": "Stop",
        "matchers": ["*"],
        "timeout": None,
        "chain": None,
    }
    [[job]] = runtime._lanes([member], {})
    assert job.timeout == 600
    assert unified.registration_timeout([member]) == 600 + unified.TIMEOUT_MARGIN


def test_comparable_rewrites_ignore_key_order_and_extra_dicts_stay_where_they_are() -> None:
    def shows(output: dict[str, Any]) -> dict[str, Any]:
        member = result("m.py", json.dumps(output), event_name="PreToolUse")
        return runtime.shown("PreToolUse", [member]).comparable()

    ab = shows(
        {"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"a": 1, "b": 2}}}
    )
    ba = shows(
        {"hookSpecificOutput": {"hookEventName": "PreToolUse", "updatedInput": {"b": 2, "a": 1}}}
    )
    assert ab["updated_input"] == ba["updated_input"] == '{"a": 1, "b": 2}'
    assert shows({"extra": {"x": 1}})["other"] == '{"extra": {"x": 1}}'


@pytest.mark.parametrize(
    ("event_name", "to_claude", "to_user"),
    [("UserPromptSubmit", [], ["no"]), ("PostToolUse", ["no"], [])],
)
def test_a_blocking_reason_goes_where_the_event_sends_it(
    event_name: str, to_claude: list[str], to_user: list[str]
) -> None:
    """UserPromptSubmit shows a block's reason to the user (the prompt is erased); on
    PostToolUse it goes back to Claude."""
    block = result("b.py", json.dumps({"decision": "block", "reason": "no"}), event_name=event_name)
    model = runtime.shown(event_name, [block]).comparable()
    assert (model["to_claude"], model["to_user"]) == (to_claude, to_user)
