"""The command line's thin layer: audit, hooks bench, show, and the error boundary."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git, make_repo, run_migrate


def test_audit_json_sarif_and_fail_on_findings(example_repo: Path) -> None:
    result = run_migrate(example_repo, "audit", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["files_analyzed"] > 20
    sarif = json.loads(run_migrate(example_repo, "audit", "--sarif").stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]
    assert run_migrate(example_repo, "audit", "--fail-on-findings").returncode == 1
    only_clean = run_migrate(example_repo, "audit", "tests", "--fail-on-findings", "--json")
    assert json.loads(only_clean.stdout)["summary"]["files_analyzed"] < 20
    assert run_migrate(example_repo, "audit", "--json", "--sarif").returncode == 2


def test_audit_human_output_has_the_plan_header(example_repo: Path) -> None:
    result = run_migrate(example_repo, "audit")
    assert result.returncode == 0
    assert "Python files analyzed" in result.stdout and "total issues" in result.stdout


def test_hooks_bench_json_and_work_tree_untouched(example_repo: Path, tmp_path: Path) -> None:
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_text(json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": "hi"}) + "\n")
    result = run_migrate(
        example_repo, "hooks", "bench", "--runs", "1", "--payloads", str(payloads), "--json"
    )
    assert result.returncode == 0, result.stderr
    assert "UserPromptSubmit" in result.stdout and "PreToolUse" not in result.stdout
    assert git(example_repo, "status", "--porcelain", "--ignored") == ""
    assert run_migrate(example_repo, "hooks", "bench", "--runs", "0").returncode == 2


def test_show_parallel_hook_runner_explains_chains(example_repo: Path) -> None:
    result = run_migrate(example_repo, "show", "parallel-hook-runner")
    assert result.returncode == 0, result.stderr
    assert "session_state.json" in result.stdout


def test_usage_error_is_exit_2(tmp_path: Path) -> None:
    result = run_migrate(tmp_path, "apply", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_audit_json_imports_neither_libcst_nor_git_nor_rich(tmp_path: Path) -> None:
    """Each takes a sixth to a third of a second to import; `ast` reads every file this Python
    knows, `git` itself lists the files, and JSON needs no terminal rendering."""
    import subprocess
    import sys

    call = "import subprocess\nsubprocess.run(['ls'])\n"
    make_repo(tmp_path, {"a.py": call, ".gitignore": "build/\n"})
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "b.py").write_text(call)  # ignored: git's listing leaves it out
    code = (
        "import sys; from migrate.cli import main;"
        " code = main(['audit', '--json', '-C', sys.argv[1]]);"
        " print(sorted({m.split('.')[0] for m in sys.modules} & {'libcst', 'git', 'rich'}), code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert '"subprocess-timeout": 1' in done.stdout  # the audit ran, through git's listing
    assert done.stdout.splitlines()[-1] == "[] 0"
