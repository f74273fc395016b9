"""The command line's thin layer: audit, hooks bench, show, and the error boundary."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git, run_migrate


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


def test_libcst_is_not_imported_until_a_file_needs_it(tmp_path: Path) -> None:
    """LibCST takes a third of a second to import; `ast` reads every file this Python knows."""
    import subprocess
    import sys

    (tmp_path / "a.py").write_text("import subprocess\nsubprocess.run(['ls'])\n")
    code = (
        "import sys; from pathlib import Path; import migrate.cli; from migrate.audit import audit;"
        f" audit(Path({str(tmp_path)!r}), jobs=1); print(sorted(m for m in sys.modules"
        " if m.split('.')[0] == 'libcst'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
