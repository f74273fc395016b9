"""`migrate report`: on a real run of the example (table, Markdown parsed by markdown-it, JSON
against the schema in docs/report.md), hook latency from recorded payloads, and the agent
parallelization counter on transcripts written in Claude Code's format with known answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt

from migrate.hooks import transcripts
from migrate.ui.agent_use import agent_metric, agent_use
from migrate.ui.report_model import parse_time
from tests.helpers import git, make_repo, run_migrate

DOCS = Path(__file__).parents[2] / "docs" / "report.md"


def schema() -> dict[str, Any]:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert block, "docs/report.md has no JSON schema block"
    return json.loads(block.group(1))


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every table of the Markdown as rows of cell texts (header first), parsed by markdown-it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables: list[list[list[str]]] = []
    for previous, token in zip([None, *tokens], tokens, strict=False):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif (
            token.type == "inline"
            and previous is not None
            and previous.type in ("th_open", "td_open")
        ):
            tables[-1][-1].append(token.content)
    return tables


def metric(data: dict[str, Any], metric_id: str) -> dict[str, Any]:
    return next(m for m in data["metrics"] if m["id"] == metric_id)


def test_report_of_a_real_run_of_the_example_in_three_formats(example_repo: Path) -> None:
    applied = run_migrate(example_repo, "apply", "subprocess-timeouts", "max-workers")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    head = git(example_repo, "rev-parse", "HEAD")
    status = git(example_repo, "status", "--porcelain", "--untracked-files=all")

    shown = run_migrate(example_repo, "report", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    jsonschema.validate(data, schema())
    assert data["schema"] == 1 and data["run"]["tip"] == head
    hangs = metric(data, "subprocess_hangs")
    assert hangs["plan"] == "32 risks → 0 risks"
    assert hangs["before"]["value"]["total"] == 16
    assert hangs["before"]["value"]["adds a timeout"] == 4
    assert hangs["after"]["value"] == {
        "total": 12,
        "adds a timeout": 0,
        "left unsafe": 12,
        "outside its paths": 0,
    }
    assert "plan: 32 calls missing timeouts" in hangs["how"] and "audit: 16" in hangs["how"]
    workers = metric(data, "batch_performance")
    assert workers["before"]["value"]["10"] == 4 and workers["after"]["value"]["50"] == 4
    assert "10" not in workers["after"]["value"]
    assert metric(data, "agent_parallelization")["before"]["text"] == ["no transcripts"]
    latency = metric(data, "hook_latency.measured")
    assert latency["before"]["value"] is None and "changed no hook registration" in latency["how"]
    assert {
        "plan": "32 subprocess calls missing timeouts",
        "audit": "16 subprocess calls missing timeouts",
    } in data["plan_vs_audit"]
    timeouts, pools = data["recipes"]
    assert (timeouts["recipe"], timeouts["status"]) == ("subprocess-timeouts", "applied")
    assert timeouts["safe_edits_left"] == 0 and len(timeouts["unsafe_edits_left"]) == 12
    assert timeouts["counts"]["calls"] == 4 and len(timeouts["files"]) == 3
    pytest_check = next(c for c in timeouts["checks"] if c["name"] == "pytest")
    assert pytest_check["outcome"] == "passed" and pytest_check["environment"]
    assert pools["safe_edits_left"] == 0 and pools["unsafe_edits_left"] == []
    assert [c["subject"] for c in data["commits"]] == [
        "migrate: Add subprocess timeouts",
        "migrate: Increase max_workers",
    ]
    merge = data["commands"][0]["command"]
    assert merge == f"git checkout main && git merge --ff-only {data['run']['branch']}"

    shown = run_migrate(example_repo, "report", "--format", "markdown")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "\x1b" not in text
    tables = markdown_tables(text)
    metrics_table = tables[0]
    assert metrics_table[0] == ["Metric", "Plan", "Before", "After"]
    rows = {r[0]: r for r in metrics_table[1:]}
    assert rows["Subprocess hangs"][1] == "32 risks → 0 risks"
    assert rows["Subprocess hangs"][2].startswith("16 calls without timeout<br>")
    assert rows["Subprocess hangs"][3].startswith("12 calls without timeout<br>")
    assert rows["Batch performance"][3] == "max\\_workers 2 ×1, 4 ×2, 50 ×4"
    assert rows["Agent parallelization"][2:] == ["no transcripts", "no transcripts"]
    assert ["32 subprocess calls missing timeouts", "16 subprocess calls missing timeouts"] in (
        tables[1]
    )
    checks = tables[2]
    assert checks[0] == ["Check", "Result", "Environment", "Detail"]
    assert any(r[0] == "pytest" and r[1] == "passed" and r[2] for r in checks[1:])
    assert "<details><summary>12 unsafe edits</summary>" in text
    assert "```sh\n# merge\ngit checkout main && git merge --ff-only" in text

    shown = run_migrate(example_repo, "report", env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "Success metrics (the plan's table, measured)" in shown.stdout
    assert "plan: 32 subprocess calls missing timeouts; audit: 16 subprocess calls" in shown.stdout
    assert "edits left: 0 safe, 12 unsafe" in shown.stdout
    # Read-only: the user's tree, HEAD and the journal's runs are as they were.
    assert git(example_repo, "rev-parse", "HEAD") == head
    assert git(example_repo, "status", "--porcelain", "--untracked-files=all") == status


def test_report_without_a_run_or_with_an_unknown_one_is_one_sentence(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "p", {"a.py": "x = 1\n"})
    result = run_migrate(repo, "report")
    assert result.returncode == 2 and "no migrate run" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_migrate(repo, "report", "--run", "nosuchrun")
    assert result.returncode == 2 and "--run nosuchrun: no such run" in result.stderr


HOOKS = {
    ".claude/settings.json": json.dumps(
        {
            "hooks": {
                "UserPromptSubmit": [
                    {
                        "hooks": [
                            {"type": "command", "command": "python3 .claude/hooks/one.py"},
                            {"type": "command", "command": "python3 .claude/hooks/two.py"},
                        ]
                    }
                ]
            }
        }
    ),
    ".claude/hooks/one.py": "import json\nimport sys\n\njson.load(sys.stdin)\n",
    ".claude/hooks/two.py": "import json\nimport sys\n\njson.load(sys.stdin)\nprint('ok')\n",
    "tests/test_ok.py": "def test_ok():\n    assert True\n",
    ".migrate/config.toml": '[validate]\npython = "{migrate_python}"\n',
}


def test_hook_latency_uses_recorded_payloads_when_there_are_some(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "hooks", HOOKS)
    applied = run_migrate(repo, "apply", "parallel-hook-runner")
    assert applied.returncode == 0, applied.stdout + applied.stderr

    data = json.loads(run_migrate(repo, "report", "--format", "json").stdout)
    latency = metric(data, "hook_latency.measured")
    assert "built-in sample payloads" in latency["how"]
    assert set(latency["before"]["value"]) >= {"UserPromptSubmit"}

    recorded = repo / ".git" / "migrate" / "payloads.jsonl"
    payload = {"session_id": "s", "cwd": str(repo), "hook_event_name": "UserPromptSubmit"}
    recorded.write_text(json.dumps(payload | {"prompt": "batch it"}) + "\n", encoding="utf-8")
    data = json.loads(run_migrate(repo, "report", "--format", "json").stdout)
    latency = metric(data, "hook_latency.measured")
    assert "your 1 recorded payloads" in latency["how"]
    assert list(latency["after"]["value"]) == ["UserPromptSubmit"]
    jsonschema.validate(data, schema())


# --------------------------------------------------------------------------- agent calls


def _assistant(project: Path, message: str, when: str, *tools: str) -> dict[str, Any]:
    blocks = [
        {"type": "tool_use", "id": f"toolu_{message}_{i}", "name": name, "input": {"x": i}}
        for i, name in enumerate(tools)
    ]
    return {
        "type": "assistant",
        "uuid": f"u-{message}",
        "sessionId": "s",
        "cwd": str(project),
        "timestamp": when,
        "isSidechain": False,
        "message": {"id": message, "role": "assistant", "content": blocks},
    }


def write_session(home: Path, project: Path, name: str, turns: list[tuple[str, ...]]) -> Path:
    """A transcript: a prompt, then one assistant message per turn making those tool calls
    (the first turn with two calls written as Claude Code does: one line per block)."""
    folder = home / ".claude" / "projects" / transcripts.encode(project)
    folder.mkdir(parents=True, exist_ok=True)
    when = f"2026-01-0{name[-1]}T10:00:00.000Z"
    lines: list[dict[str, Any]] = [
        {
            "type": "user",
            "cwd": str(project),
            "timestamp": when,
            "sessionId": name,
            "message": {"role": "user", "content": "go"},
        }
    ]
    for index, tools in enumerate(turns):
        message = f"msg_{name}_{index}"
        if len(tools) > 1 and index == 0:
            lines += [_assistant(project, message, when, tool) for tool in tools]
            for i, line in enumerate(lines[-len(tools) :]):
                line["message"]["content"][0]["id"] = f"toolu_{message}_{i}"
        else:
            lines.append(_assistant(project, message, when, *tools))
    lines.append("not json {")  # type: ignore[arg-type]
    path = folder / f"{name}.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


CASES = {
    # name: (turns, agent turns, parallel turns, sequential runs, calls in them)
    "parallel": ([("Task", "Task"), ("Read",), ("Agent", "Agent", "Bash")], 2, 2, 0, 0),
    "sequential": ([("Task",), ("Task",), ("Task",), ("Read",), ("Task",)], 4, 0, 1, 3),
    "mixed": ([("Task",), ("Task", "Task"), ("Task",), ("Agent",), ("Bash",)], 4, 1, 1, 2),
    "none": ([("Read",), ("Bash", "Grep")], 0, 0, 0, 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_agent_counter_on_claude_code_transcripts(tmp_path: Path, case: str) -> None:
    turns, agent_turns, parallel, runs, calls = CASES[case]
    project = tmp_path / "project"
    project.mkdir()
    write_session(tmp_path, project, "s1", turns)
    use = agent_use(transcripts.sessions(project, tmp_path))
    assert (use.sessions, use.agent_turns, use.parallel_turns) == (1, agent_turns, parallel)
    assert (use.sequential_runs, use.sequential_calls) == (runs, calls)


def test_agent_row_splits_sessions_at_the_first_commit(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for day, case in enumerate(["sequential", "sequential", "mixed", "parallel"], 1):
        write_session(tmp_path, project, f"s{day}", CASES[case][0])
    since = parse_time("2026-01-04T00:00:00+00:00")
    row = agent_metric(project, since, tmp_path)
    assert row.before.lines[0] == "1 of 12 agent turns parallel (8%)"
    assert row.before.value["sequential_runs"] == 3
    assert row.after.lines == ("not enough sessions yet: 1",)
    assert row.after.value["parallel_turns"] == 2
    assert agent_metric(tmp_path / "other", since, tmp_path).before.lines == ("no transcripts",)
