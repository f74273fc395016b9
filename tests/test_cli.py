"""The command line's thin layer: audit, hooks bench, show, and the error boundary."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, run_migrate


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


# --------------------------------------------------------------------------- errors like git

SMALL_REPO: dict[str, str | bytes] = {"scripts/a.py": "import subprocess\n"}


def _error(result: object) -> tuple[int, str]:
    code, err = result.returncode, result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err  # one sentence, on one line
    return code, err.strip()


def test_typos_get_did_you_mean_for_recipes_commands_and_config_keys(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", SMALL_REPO)
    code, err = _error(run_migrate(repo, "apply", "max-worker", "--dry-run"))
    assert code == 2
    assert err == (
        "migrate: unknown recipe 'max-worker'; did you mean 'max-workers'?"
        " (`migrate list` shows them all)."
    )
    code, err = _error(run_migrate(repo, "show", "subprocess-timeout"))
    assert code == 2 and "did you mean 'subprocess-timeouts'?" in err
    code, err = _error(run_migrate(repo, "lst"))
    assert code == 2 and "Did you mean 'list'?" in err and "`migrate --help`" in err
    config = repo / ".migrate" / "config.toml"
    config.parent.mkdir()
    config.write_text("[validate]\npytest_timout = 5\n", encoding="utf-8")
    code, err = _error(run_migrate(repo, "apply", "max-workers", "--dry-run"))
    assert code == 2
    assert err.endswith(
        "config.toml: unknown key 'validate.pytest_timout'; did you mean 'pytest_timeout'?"
    )
    config.write_text("[valdate]\npytest = false\n", encoding="utf-8")
    code, err = _error(run_migrate(repo, "apply", "max-workers", "--dry-run"))
    assert code == 2 and err.endswith("unknown key 'valdate'; did you mean 'validate'?")


def test_outside_a_repository_and_top_level_dash_c(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", SMALL_REPO)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code, err = _error(run_migrate(outside, "apply", "--all", "--dry-run"))
    assert code == 3
    assert err == (
        f"migrate: {outside}: not a git repository (run it in your project or pass -C DIR)."
    )
    result = run_migrate(outside, "-C", str(repo), "status", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["run"] is None
    code, err = _error(run_migrate(outside, "-C", str(tmp_path / "nope"), "status"))
    assert code == 2 and "'-C'" in err and "does not exist" in err


def test_dash_h_and_an_example_in_every_command_help(tmp_path: Path) -> None:
    import click

    from migrate.cli import cli

    def commands(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [prefix]
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found += commands(command, (*prefix, name))
            else:
                found.append((*prefix, name))
        return found

    for path in commands(cli, ()):
        result = run_migrate(tmp_path, *path, "-h")
        assert result.returncode == 0, (path, result.stderr)
        assert "Example:\n      migrate " in result.stdout or "Example:\n    migrate " in (
            result.stdout
        ), path


def test_quiet_and_verbose(tmp_path: Path) -> None:
    files = {
        "scripts/pool.py": (
            "from concurrent.futures import ThreadPoolExecutor\n\n"
            "with ThreadPoolExecutor(max_workers=10) as ex:\n    pass\n"
        ),
        ".migrate/config.toml": "[validate]\npytest = false\n",
    }
    repo = make_repo(tmp_path / "r", files)
    quiet = run_migrate(repo, "--quiet", "apply", "max-workers", "--dry-run", "--validate")
    assert quiet.returncode == 0, quiet.stderr
    assert "→ max-workers" not in quiet.stdout and "dry run: 1 of 1" in quiet.stdout
    loud = run_migrate(repo, "-v", "apply", "max-workers", "--dry-run", "--validate")
    assert "→ max-workers" in loud.stdout and "+with ThreadPoolExecutor(max_workers=50)" in (
        loud.stdout
    )
    assert run_migrate(repo, "-q", "-v", "list").returncode == 2


def test_a_closed_pipe_ends_quietly_like_git(example_repo: Path) -> None:
    """`migrate audit | head -1`: git dies of SIGPIPE (the shell shows 141), no message. The
    reader here leaves before migrate writes (`| true`): with `head -1` the whole report may
    fit in the pipe before head closes it, and then nothing is refused at all."""
    import os
    import subprocess
    import sys

    pipeline = f'{sys.executable} -m migrate audit | true; echo "rc=${{PIPESTATUS[0]}}"'
    result = subprocess.run(
        ["bash", "-c", pipeline],
        cwd=example_repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert result.stdout.strip().endswith("rc=141"), result.stdout + result.stderr
    assert result.stderr == ""


def test_sarif_has_the_project_url_rule_help_and_stable_fingerprints(example_repo: Path) -> None:
    """SARIF 2.1.0's required fields, checked by hand (no schema package is installed):
    version, runs[].tool.driver.name, results[].message.text; plus what code scanning uses."""
    from migrate import PROJECT_URL

    first = json.loads(run_migrate(example_repo, "audit", "--sarif").stdout)
    assert first["version"] == "2.1.0" and first["$schema"].startswith("https://")
    driver = first["runs"][0]["tool"]["driver"]
    assert driver["name"] == "migrate" and driver["informationUri"] == PROJECT_URL
    assert all(rule["help"]["text"] and rule["helpUri"] == PROJECT_URL for rule in driver["rules"])
    results = first["runs"][0]["results"]
    prints = [r["partialFingerprints"]["migrateFinding/v1"] for r in results]
    assert all(r["message"]["text"] for r in results)
    assert len(set(prints)) == len(prints)  # one alert per finding
    # Lines moving (a comment added on top of each file) keep every fingerprint.
    for path in {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}:
        target = example_repo / path
        target.write_text("# moved\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    again = json.loads(run_migrate(example_repo, "audit", "--sarif").stdout)
    assert [r["partialFingerprints"]["migrateFinding/v1"] for r in again["runs"][0]["results"]] == (
        prints
    )


def test_dry_run_check_exits_1_while_something_would_change(tmp_path: Path) -> None:
    pool = (
        "from concurrent.futures import ThreadPoolExecutor\n\nThreadPoolExecutor(max_workers={})\n"
    )
    repo = make_repo(tmp_path / "r", {"scripts/pool.py": pool.format(10)})
    gate = ("apply", "max-workers", "--dry-run", "--check")
    assert run_migrate(repo, *gate).returncode == 1
    assert run_migrate(repo, *gate, "--json").returncode == 1
    (repo / "scripts/pool.py").write_text(pool.format(50), encoding="utf-8")
    git(repo, "commit", "-qam", "migrated")
    assert run_migrate(repo, *gate).returncode == 0
    code, err = _error(run_migrate(repo, "apply", "max-workers", "--check"))
    assert code == 2 and "--check goes with --dry-run" in err


def test_a_bug_is_exit_4_with_its_traceback_saved_privately(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inside a repository (here from a linked worktree's subfolder), the traceback goes to
    the common `.git/migrate/logs/`; outside one, to a private temporary file."""
    from migrate import cli, recipes

    def broken(*args: object) -> None:
        raise RuntimeError("planted bug")

    monkeypatch.setattr(recipes, "load_all", broken)
    repo = make_repo(tmp_path / "repo", {"sub/a.txt": "a\n"})
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    monkeypatch.chdir(tmp_path / "linked" / "sub")
    assert cli.main(["list"]) == 4
    err = capsys.readouterr().err
    logs = list((repo / ".git" / "migrate" / "logs").iterdir())
    assert len(logs) == 1 and logs[0].name.startswith("crash-")
    assert f"the traceback is saved in {logs[0]}" in err and "RuntimeError: planted bug" in err
    assert "planted bug" in logs[0].read_text(encoding="utf-8")
    assert logs[0].stat().st_mode & 0o777 == 0o600
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    assert cli.main(["list", "-C", str(repo)]) == 4
    [saved] = (tmp_path / "tmp").iterdir()
    assert saved.name.startswith("migrate-crash-") and saved.stat().st_mode & 0o777 == 0o600
    assert "planted bug" in saved.read_text(encoding="utf-8")
