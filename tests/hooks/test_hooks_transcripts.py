"""Real payloads from Claude Code's session transcripts: the tolerant reader, sampling, the file
`migrate hooks payloads` writes, and `hooks verify` / `hooks bench` / the guide using it.

Transcript lines are written in Claude Code's format (`type`, `message.content` blocks,
`tool_use` / `tool_result` paired by id, `toolUseResult`, `isMeta`, `cwd`, `sessionId`).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from migrate.hooks import payloads, replay, transcripts
from tests.helpers import make_repo, run_migrate

SESSION = "5d2c1f9e-0b7a-4c51-9f3e-2a8d6b4e7c10"


def _line(kind: str, cwd: Path, content: Any, **extra: Any) -> dict[str, Any]:
    return {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": str(cwd),
        "sessionId": SESSION,
        "version": "1.0.80",
        "gitBranch": "main",
        "type": kind,
        "message": {"role": kind, "content": content},
        "uuid": f"u-{kind}-{len(str(content))}",
        "timestamp": "2025-08-01T10:00:00.000Z",
        **extra,
    }


def _tool_use(call_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}


def _result(call_id: str, text: str, error: bool = False) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": call_id, "content": text, "is_error": error}


def transcript_lines(cwd: Path) -> list[str]:
    """One session: a prompt, two Bash calls made at once (one fails), a Write, noise."""
    assistant = {"id": "msg_01", "type": "message", "role": "assistant"}
    lines = [
        {"type": "summary", "summary": "Fix the tests", "leafUuid": "x"},
        _line("user", cwd, "<command-name>/clear</command-name>"),
        _line("user", cwd, "Caveat: generated", isMeta=True),
        _line("user", cwd, "fix the failing test in src/app.py"),
        {
            **_line(
                "assistant",
                cwd,
                [
                    {"type": "text", "text": "Looking."},
                    _tool_use("toolu_01", "Bash", {"command": f"cd {cwd} && pytest -q"}),
                    _tool_use("toolu_02", "Bash", {"command": "false"}),
                ],
            ),
            "message": {
                **assistant,
                "content": [
                    {"type": "text", "text": "Looking."},
                    _tool_use("toolu_01", "Bash", {"command": f"cd {cwd} && pytest -q"}),
                    _tool_use("toolu_02", "Bash", {"command": "false"}),
                ],
            },
        },
        _line(
            "user",
            cwd,
            [_result("toolu_01", "1 passed")],
            toolUseResult={"stdout": "1 passed", "stderr": "", "interrupted": False},
        ),
        _line("user", cwd, [_result("toolu_02", "Exit code 1", error=True)]),
        _line(
            "assistant",
            cwd,
            [_tool_use("toolu_03", "Write", {"file_path": f"{cwd}/src/app.py", "content": "x=1"})],
        ),
        _line(
            "user",
            cwd,
            [_result("toolu_03", "File created")],
            toolUseResult={"type": "create", "filePath": f"{cwd}/src/app.py", "content": "x=1"},
        ),
        _line("user", cwd, [{"type": "text", "text": "thanks, now commit"}], newField={"a": 1}),
        _line("file-history-snapshot", cwd, None),
    ]
    return [json.dumps(line) for line in lines] + ["{not json", "[1, 2]", ""]


def write_transcript(home: Path, project: Path, lines: list[str] | None = None) -> Path:
    folder = home / ".claude/projects" / transcripts.encode(project)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{SESSION}.jsonl"
    path.write_text("\n".join(lines or transcript_lines(project)) + "\n")
    return path


def test_reader_pairs_calls_with_results_and_skips_what_it_does_not_know(tmp_path: Path) -> None:
    project = tmp_path / "my.project"
    path = write_transcript(tmp_path, project)
    (session,) = transcripts.sessions(project, tmp_path)
    assert session.path == path and session.id == SESSION and session.cwd == str(project)
    assert [p.text for p in session.prompts] == [
        "fix the failing test in src/app.py",
        "thanks, now commit",
    ]
    assert [(c.name, c.answered, c.is_error) for c in session.calls] == [
        ("Bash", True, False),
        ("Bash", True, True),
        ("Write", True, False),
    ]
    # The two Bash calls were made at once (one assistant message), the Write later.
    assert session.calls[0].message == session.calls[1].message != session.calls[2].message
    assert session.calls[0].result == {"stdout": "1 passed", "stderr": "", "interrupted": False}
    assert session.skipped == 2  # "{not json" and a JSON list


def test_a_folder_of_another_project_is_not_read(tmp_path: Path) -> None:
    """The folder name is not trusted: a session whose cwd is elsewhere does not belong."""
    project = tmp_path / "proj"
    write_transcript(tmp_path, project, transcript_lines(tmp_path / "other"))
    assert transcripts.sessions(project, tmp_path) == []


def test_payloads_per_event_sampled_and_relocated(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write_transcript(tmp_path, project)
    found, sessions = payloads.collect(project, 1, tmp_path)
    assert sessions == 1
    assert [payloads.key(p) for p in found] == [
        "UserPromptSubmit",
        "PreToolUse Bash",
        "PostToolUse Bash",
        "PreToolUse Write",
        "PostToolUse Write",
        "Stop",
    ]
    pre_bash = found[1]
    assert pre_bash["tool_input"] == {"command": f"cd {project} && pytest -q"}
    assert pre_bash["cwd"] == str(project) and pre_bash["session_id"] == SESSION
    assert found[-1]["stop_hook_active"] is False
    tree = tmp_path / "scratch"
    moved = json.loads(replay.prepare(found[3], tree))
    assert moved["tool_input"]["file_path"] == f"{tree}/src/app.py"  # never the real project
    assert moved["cwd"] == str(tree)
    both, _ = payloads.collect(project, 5, tmp_path)
    assert sum(payloads.key(p) == "PreToolUse Bash" for p in both) == 2


def _hook_project(tmp_path: Path) -> Path:
    hook = "import json, sys\np = json.load(sys.stdin)\nprint(p.get('tool_name', 'prompt'))\n"
    settings = {
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "python3 h.py"}]}
            ],
            "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "python3 h.py"}]}],
        }
    }
    return make_repo(
        tmp_path / "proj", {"h.py": hook, ".claude/settings.json": json.dumps(settings)}
    )


def test_hooks_payloads_writes_a_private_file_and_verify_and_bench_take_it(
    tmp_path: Path,
) -> None:
    repo = _hook_project(tmp_path)
    home = Path(os.environ["HOME"])
    write_transcript(home, repo)
    result = run_migrate(repo, "hooks", "payloads", "--max", "3")
    assert result.returncode == 0, result.stderr
    target = repo / ".git/migrate/payloads.jsonl"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "fix the failing test" not in result.stdout  # counts only, never the contents
    assert "PreToolUse Bash: 2" in result.stdout
    assert len(replay.load_payloads(target)) == 8

    verify = run_migrate(repo, "hooks", "verify", "--before", "HEAD", "--payloads", str(target))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "8 payloads" in verify.stdout
    bench = run_migrate(repo, "hooks", "bench", "--runs", "1", "--payloads", str(target), "--json")
    assert bench.returncode == 0, bench.stderr
    events = json.loads(bench.stdout)["events"]
    assert set(events) == {"PreToolUse", "UserPromptSubmit"}
    assert events["PreToolUse"]["payloads"] == 2  # the recorded Bash calls; Write matches none


def test_without_transcripts_one_sentence_and_the_samples(tmp_path: Path) -> None:
    repo = _hook_project(tmp_path)
    result = run_migrate(repo, "hooks", "payloads")
    assert result.returncode == 0
    assert result.stdout.count("\n") == 1
    assert "No Claude Code transcripts" in result.stdout and "built-in sample" in result.stdout
    assert not (repo / ".git/migrate/payloads.jsonl").exists()
    guide = run_migrate(repo)
    assert "No Claude Code transcripts" in guide.stdout


def test_the_guide_offers_real_payloads_when_transcripts_exist(tmp_path: Path) -> None:
    repo = _hook_project(tmp_path)
    write_transcript(Path(os.environ["HOME"]), repo)
    guide = run_migrate(repo)
    assert "transcripts of this project: 1 sessions" in guide.stdout
    assert "migrate hooks payloads" in guide.stdout
