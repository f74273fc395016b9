"""Validation in the project's own environment, against a baseline, and never vacuous."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, one_hook_project, run_migrate

CLAUDE = "# Project\n\nInstructions.\n"
# A check the recipe's edit breaks: CLAUDE.md must not mention agents.
BREAKS = "def test_doc():\n    assert 'Performance' not in open('CLAUDE.md').read()\n"
ALREADY_BROKEN = "def test_old():\n    assert False, 'broken before any step'\n"
DOC_RECIPE = (
    'id = "doc"\ntitle = "Doc"\ntransform = "agent-parallelism-doc"\npaths = ["CLAUDE.md"]\n'
)


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    base: dict[str, str | bytes] = {
        "CLAUDE.md": CLAUDE,
        ".migrate/recipes/doc.toml": DOC_RECIPE,
        ".gitignore": ".venv/\n",
    }
    return make_repo(tmp_path / "repo", {**base, **files})


def make_venv(repo: Path, with_pytest: bool) -> Path:
    """A real `.venv` of the project's own (no pip: fast); with pytest made importable by a
    .pth file naming the test run's site-packages, and a package migrate's env lacks."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    purelib = next((repo / ".venv/lib").glob("python3*/site-packages"))
    extra = repo.parent / "venv-only"
    (extra / "only_in_venv").mkdir(parents=True)
    (extra / "only_in_venv/__init__.py").write_text("VALUE = 42\n")
    lines = [str(extra)] + ([p for p in site.getsitepackages()] if with_pytest else [])
    (purelib / "project.pth").write_text("\n".join(lines) + "\n")
    return repo / ".venv/bin/python"


def test_checks_run_with_the_projects_venv(tmp_path: Path) -> None:
    test = "import only_in_venv\n\ndef test_venv():\n    assert only_in_venv.VALUE == 42\n"
    repo = project(tmp_path, {"tests/test_env.py": test})
    make_venv(repo, with_pytest=True)
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(.venv/bin/python) 1 passed" in result.stdout
    log = next((repo / ".git/migrate/logs").rglob("doc-pytest.log")).read_text()
    assert log.startswith("$ " + str(repo / ".venv/bin/python")) and "# exit code 0" in log


def test_pytest_missing_from_the_project_env_fails_the_step(tmp_path: Path) -> None:
    repo = project(tmp_path, {"tests/test_ok.py": "def test_ok():\n    pass\n"})
    make_venv(repo, with_pytest=False)
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pytest is not installed for .venv/bin/python" in result.stdout
    assert "pytest = false" in result.stdout


def test_pytest_false_is_the_explicit_opt_out_and_the_commit_says_so(tmp_path: Path) -> None:
    config = "[validate]\npytest = false\n"
    repo = project(
        tmp_path, {"tests/test_ok.py": "def test_ok(): pass\n", ".migrate/config.toml": config}
    )
    make_venv(repo, with_pytest=False)
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "turned off by configuration: pytest" in git(repo, "log", "-1", "--format=%B")


def test_failures_already_at_the_base_are_not_the_steps(tmp_path: Path) -> None:
    config = '[validate]\npython = "{migrate_python}"\n'
    repo = project(tmp_path, {"tests/test_old.py": ALREADY_BROKEN, ".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fails at the base too (1 failure(s), none new)" in result.stdout


def test_a_new_failure_beside_old_ones_reverts_naming_only_the_new(tmp_path: Path) -> None:
    config = '[validate]\npython = "{migrate_python}"\n'
    files = {
        "tests/test_old.py": ALREADY_BROKEN,
        "tests/test_doc.py": BREAKS,
        ".migrate/config.toml": config,
    }
    repo = project(tmp_path, files)
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 new failure(s)" in result.stdout
    assert "tests/test_doc.py::test_doc" in result.stdout
    assert "tests/test_old.py::test_old" not in result.stdout.split("new failure")[1]


def test_a_recipe_that_is_not_idempotent_is_reverted_as_a_recipe_bug(tmp_path: Path) -> None:
    appender = (
        "import libcst\n"
        "class Grow(libcst.CSTTransformer):\n"
        "    def leave_Module(self, original, updated):\n"
        "        more = libcst.parse_statement('x = 1')\n"
        "        return updated.with_changes(body=[*updated.body, more])\n"
    )
    recipe = 'id = "grow"\ntitle = "Grow"\ntransform = "libcst:grow.py"\npaths = ["src/*.py"]\n'
    sources: dict[str, str | bytes] = {f"src/{n}.py": "y = 0\n" for n in "abcdef"}
    repo = project(
        tmp_path,
        {
            **sources,
            ".migrate/recipes/grow.toml": recipe + "[validate]\npytest = false\n",
            ".migrate/recipes/grow.py": appender,
        },
    )
    result = run_migrate(repo, "apply", "grow", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not idempotent" in result.stdout
    named = ", ".join(f"src/{n}.py" for n in "abcde")  # the first five of six
    assert f"it changes {named}; this is a bug" in " ".join(result.stdout.split())
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""


def test_a_config_typo_is_found_by_the_dry_run(tmp_path: Path) -> None:
    repo = project(tmp_path, {".migrate/config.toml": "[validate]\npytest_timout = 5\n"})
    result = run_migrate(repo, "apply", "doc", "--dry-run")
    assert result.returncode == 2
    assert "pytest_timout" in result.stderr and "config.toml" in result.stderr


def test_an_unknown_table_in_the_config_is_named_with_a_hint(tmp_path: Path) -> None:
    """A near miss gets a suggestion; anything else is told the only table there is."""
    near = project(tmp_path / "near", {".migrate/config.toml": "[valdate]\npytest = false\n"})
    result = run_migrate(near, "apply", "doc", "--dry-run")
    assert result.returncode == 2
    assert "unknown key 'valdate'; did you mean 'validate'?" in result.stderr
    far = project(tmp_path / "far", {".migrate/config.toml": "[tools]\nx = 1\n"})
    result = run_migrate(far, "apply", "doc", "--dry-run")
    assert result.returncode == 2
    assert "unknown key 'tools' (the only table is [validate])." in result.stderr


def test_an_uncommitted_migrate_folder_is_the_users_config(tmp_path: Path) -> None:
    repo = project(tmp_path, {})
    config = '[validate]\npytest = false\ncommands = ["! grep -q Performance CLAUDE.md"]\n'
    (repo / ".migrate/config.toml").write_text(config)
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr  # the uncommitted check ran
    assert "grep" in result.stdout
    (repo / ".migrate/config.toml").write_text("[validate]\npytest = false\n")
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    message = git(repo, "log", "-1", "--format=%B", "migrate/" + _last_run(repo))
    assert "uncommitted .migrate/ of the work tree was used" in message


def _last_run(repo: Path) -> str:
    shown = json.loads(run_migrate(repo, "status", "--json").stdout)
    return (shown["run"] or shown["last_run"])["id"]


POOLS = "from concurrent.futures import ThreadPoolExecutor\nThreadPoolExecutor(max_workers=10)\n"
# Four scripts whose pool may grow; one (c.py) is checked to keep 10 workers.
CHECKED = "def test_c_keeps_ten():\n    assert 'max_workers=10' in open('scripts/c.py').read()\n"


def five_scripts(tmp_path: Path, names: str = "abcde") -> Path:
    files: dict[str, str | bytes] = {f"scripts/{n}.py": POOLS for n in names}
    files["tests/test_c.py"] = CHECKED
    files[".migrate/config.toml"] = '[validate]\npython = "{migrate_python}"\n'
    return project(tmp_path, files)


@pytest.mark.parametrize("names", ["abcde", "bcdef", "bc"])
def test_bisect_keeps_the_files_that_pass(tmp_path: Path, names: str) -> None:
    """Five files (the bad one in the middle or second), or two: the one that breaks a test
    is left out, the others kept."""
    repo = five_scripts(tmp_path, names)
    result = run_migrate(repo, "apply", "max-workers", "--bisect", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left out scripts/c.py" in result.stdout
    changed = git(repo, "diff", "--name-only", "main", "HEAD").splitlines()
    assert changed == [f"scripts/{n}.py" for n in names if n != "c"]
    assert "tests/test_c.py::test_c_keeps_ten" in result.stdout


def test_without_bisect_the_whole_step_is_reverted(tmp_path: Path) -> None:
    repo = five_scripts(tmp_path)
    result = run_migrate(repo, "apply", "max-workers", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""


def test_a_validated_dry_run_checks_every_step_and_keeps_nothing(tmp_path: Path) -> None:
    repo = five_scripts(tmp_path)
    refs = git(repo, "for-each-ref")
    result = run_migrate(repo, "apply", "max-workers", "doc", "--dry-run", "--validate")
    assert result.returncode == 1, result.stdout + result.stderr  # max-workers fails its check
    assert "+ThreadPoolExecutor(max_workers=50)" in result.stdout
    assert "reverted" in result.stdout and "test_c_keeps_ten" in result.stdout
    assert "nothing was kept" in result.stdout
    assert git(repo, "for-each-ref") == refs
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".git/migrate/runs").exists() or not list(
        (repo / ".git/migrate/runs").iterdir()
    )
    assert not list((repo / ".git/migrate/worktrees").iterdir())
    passing = run_migrate(repo, "apply", "doc", "--dry-run", "--validate")
    assert passing.returncode == 0, passing.stdout + passing.stderr  # a validated step...
    assert git(repo, "for-each-ref") == refs  # ...leaves no ref either


PYTEST_HERE = '[validate]\npython = "{migrate_python}"\n'


def test_a_test_the_step_breaks_fails_pytest_and_reverts_the_step(tmp_path: Path) -> None:
    """pytest really runs and really fails: the failure depends on the step's edit, so the
    step's base passes and the failure is the step's."""
    repo = project(tmp_path, {"tests/test_doc.py": BREAKS, ".migrate/config.toml": PYTEST_HERE})
    base = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "exit code 1" in result.stdout and "test_doc" in result.stdout
    assert "fails at the base" not in result.stdout
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""
    assert git(repo, "rev-parse", "HEAD") == base and (repo / "CLAUDE.md").read_text() == CLAUDE
    log = next((repo / ".git/migrate/logs").rglob("doc-pytest.log")).read_text()
    assert "1 failed" in log and log.rstrip().splitlines()[-1].startswith("# exit code 1 after")


def test_pytest_collecting_no_tests_is_said_and_not_a_pass(tmp_path: Path) -> None:
    """pytest exit 5: a tests/ folder without tests; the step applies, and the commit says
    "no tests" rather than "passed"."""
    files = {"tests/helpers.py": "VALUE = 1\n", ".migrate/config.toml": PYTEST_HERE}
    repo = project(tmp_path, files)
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    message = git(repo, "log", "-1", "--format=%B")
    assert "pytest: no tests ((migrate's Python) no tests collected" in message
    assert "pytest: passed" not in message


def test_a_check_command_past_its_timeout_fails_and_is_killed(tmp_path: Path) -> None:
    """A command that hangs once the step's edit is there: a failure, not a pass, and the
    run does not wait for it."""
    marker = tmp_path / "still-running"
    hang = f"if grep -q Performance CLAUDE.md; then sleep 30; touch {marker}; fi"
    config = f"[validate]\npytest = false\ncommand_timeout = 1\ncommands = [{json.dumps(hang)}]\n"
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes", timeout=25)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "timed out after 1 s" in result.stdout
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""
    assert not marker.exists()  # the whole group was killed, not left to finish


def test_pytest_past_its_timeout_fails_the_step(tmp_path: Path) -> None:
    slow = (
        "import time\n\ndef test_slow():\n"
        "    if 'Performance' in open('CLAUDE.md').read():\n        time.sleep(30)\n"
    )
    config = PYTEST_HERE + "pytest_timeout = 4\n"
    repo = project(tmp_path, {"tests/test_slow.py": slow, ".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes", timeout=25)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "timed out after 4 s" in result.stdout
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""


def test_a_uv_lock_without_uv_is_named_when_the_checks_fall_back(tmp_path: Path) -> None:
    """Pattern from public Claude Code projects: `uv.lock` committed, uv not installed here
    (a stale poetry.lock beside it: uv is looked for first, and named first)."""
    files = {"tests/test_ok.py": "def test_ok():\n    pass\n", "uv.lock": "", "poetry.lock": ""}
    repo = project(tmp_path, files)
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    result = run_migrate(repo, "apply", "doc", "--yes", env=env)
    assert "uv.lock found but uv is not installed" in result.stdout, result.stdout


def test_a_command_that_cannot_start_before_or_after_the_step_is_never_the_same_failure(
    tmp_path: Path,
) -> None:
    """exit 127 at the base too is no excuse: a check that cannot run fails the step."""
    config = '[validate]\npytest = false\ncommands = ["no-such-checker-command"]\n'
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fails at the base" not in result.stdout
    assert git(repo, "for-each-ref", "refs/heads/migrate") == ""


def test_the_hooks_verify_check_reports_its_own_duration(tmp_path: Path) -> None:
    """A recipe validated by replaying the hooks: the check passes and says how long it took."""
    repo = one_hook_project(tmp_path)
    recipe = DOC_RECIPE + "[validate]\npytest = false\nhooks_verify = true\n"
    (repo / ".migrate/recipes").mkdir(parents=True)
    (repo / ".migrate/recipes/doc.toml").write_text(recipe)
    (repo / "CLAUDE.md").write_text(CLAUDE)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a recipe validated by hooks verify")
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    shown = json.loads(run_migrate(repo, "status", "--json").stdout)
    checks = {c["name"]: c for c in shown["run"]["steps"][-1]["checks"]}
    assert checks["hooks verify"]["outcome"] == "passed"
    assert 0 <= checks["hooks verify"]["seconds"] < 120


def returns_at_module_level(paths: str) -> dict[str, str | bytes]:
    """A user recipe `ret` that appends `return 1` to each module of `paths`: it parses (ast,
    LibCST) but does not compile."""
    transform = (
        "import libcst\n"
        "class T(libcst.CSTTransformer):\n"
        "    def leave_Module(self, o, u):\n"
        "        return u.with_changes(body=[*u.body, libcst.parse_statement('return 1\\n')])\n"
    )
    recipe = (
        f'id = "ret"\ntitle = "t"\ntransform = "libcst:ret.py"\npaths = ["{paths}"]\n'
        "[validate]\npytest = false\n"
    )
    return {".migrate/recipes/ret.toml": recipe, ".migrate/recipes/ret.py": transform}


def test_python_that_parses_but_does_not_compile_fails_py_compile(tmp_path: Path) -> None:
    """`return` outside a function parses (ast, LibCST) but does not compile: the step's
    output compiled before the step, so the failure is the step's."""
    files = returns_at_module_level("app.py")
    repo = project(tmp_path, {**files, "app.py": "x = 1\n"})
    result = run_migrate(repo, "apply", "ret", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "py_compile" in result.stdout and "'return' outside function" in result.stdout
    assert (repo / "app.py").read_text() == "x = 1\n"


def test_a_pytest_command_that_cannot_start_fails_with_exit_127(tmp_path: Path) -> None:
    config = '[validate]\npytest_command = ["no-such-pytest-program"]\n'
    files = {".migrate/config.toml": config, "tests/test_ok.py": "def test_ok():\n    pass\n"}
    repo = project(tmp_path, files)
    result = run_migrate(repo, "apply", "doc", "--yes", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    check = json.loads(result.stdout)["steps"][0]["checks"][-1]
    assert "exit code 127" in check["detail"]
    assert "no-such-pytest-program: No such file or directory" in check["detail"]  # the program
    assert 0 <= check["seconds"] < 60


def test_a_failing_check_shows_the_last_twenty_lines_of_its_output(tmp_path: Path) -> None:
    command = "if grep -q Performance CLAUDE.md; then seq -f 'line-%02g' 1 30; exit 1; fi"
    config = f"[validate]\npytest = false\ncommands = [{json.dumps(command)}]\n"
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "line-11" in result.stdout and "line-30" in result.stdout
    assert "line-10" not in result.stdout


def test_a_check_command_failing_the_same_way_at_the_base_is_not_the_steps(
    tmp_path: Path,
) -> None:
    """Exit 3 before and after the step: the step is kept, the commit says why."""
    config = '[validate]\npytest = false\ncommands = ["echo broken already; exit 3"]\n'
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fails at the base too (exit code 3, the same exit code)" in result.stdout
    assert "Migrate-Recipe: doc" in git(repo, "log", "-1", "--format=%B")


def test_a_failing_commands_log_is_named_for_it_and_says_how_long_it_ran(tmp_path: Path) -> None:
    """The first command's log is `<step>-command1.log`; its last line and the step's JSON say
    the exit code and the seconds it ran (not a clock reading)."""
    failing = "if grep -q Performance CLAUDE.md; then echo failing; exit 3; fi"
    config = f'[validate]\npytest = false\ncommands = ["true", {json.dumps(failing)}]\n'
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["steps"][0]["checks"]}
    first, second = checks["true"], checks[failing]
    assert first["outcome"] == "passed" and second["outcome"] == "failed"
    assert first["log"].endswith("-command1.log") and second["log"].endswith("-command2.log")
    assert 0 < second["seconds"] < 60
    log = (repo / second["log"]).read_text("utf-8").splitlines()
    assert log[-1].startswith("# exit code 3 after ") and float(log[-1].split()[-2]) < 60


def test_uv_or_poetry_on_path_without_their_lock_file_is_not_how_the_checks_run(
    tmp_path: Path,
) -> None:
    """Only a project with a uv.lock (a poetry.lock) runs its checks through uv (poetry): a
    `uv` and a `poetry` on PATH (here ones that fail whatever they are asked) are not used for
    the others."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("uv", "poetry"):
        (tools / tool).write_text(f"#!/bin/sh\necho '{tool} was called'\nexit 9\n")
        (tools / tool).chmod(0o755)
    warns = "import warnings\n\ndef test_ok():\n    warnings.warn('a warning')\n"
    repo = project(tmp_path, {"tests/test_ok.py": warns})
    path = f"{tools}:{os.environ['PATH']}"
    result = run_migrate(repo, "apply", "doc", "--yes", "--json", env={"PATH": path})
    assert result.returncode == 0, result.stdout + result.stderr
    checks = json.loads(result.stdout)["steps"][0]["checks"]
    pytest_check = next(c for c in checks if c["name"] == "pytest")
    assert pytest_check["outcome"] == "passed"
    # pytest's last line, after its warnings summary
    assert pytest_check["detail"].startswith("(python3 on PATH) 1 passed, 1 warning in ")
    assert "was called" not in (repo / pytest_check["log"]).read_text("utf-8")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this syntax compiles from 3.12 on")
def test_a_file_with_syntax_newer_than_the_interpreter_passes_py_compile_when_it_parses(
    tmp_path: Path,
) -> None:
    """A 3.12 `type` statement does not compile on 3.11, before the step or after it; LibCST
    parses it, so py_compile is not the step's failure."""
    source = (
        "import subprocess\ntype Alias = int\n"
        "subprocess.run(['git', 'status'], capture_output=True)\n"
    )
    repo = project(
        tmp_path, {"scripts/new.py": source, ".migrate/config.toml": "[validate]\npytest = false\n"}
    )
    result = run_migrate(repo, "apply", "subprocess-timeouts", "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    step = json.loads(result.stdout)["steps"][0]
    assert step["status"] == "applied"
    compiled = next(c for c in step["checks"] if c["name"] == "py_compile")
    assert compiled["outcome"] == "passed" and 0 <= compiled["seconds"] < 60
    assert "timeout=" in git(repo, "show", "HEAD:scripts/new.py")


def test_a_check_printing_an_exit_code_line_is_judged_by_its_own_exit_code(
    tmp_path: Path,
) -> None:
    """The command prints a line like the log's own `# exit code N` and exits 3 at the base, 4
    after the step: the exit codes differ, so the failure is the step's."""
    command = "echo '# exit code 9'; if grep -q Performance CLAUDE.md; then exit 4; fi; exit 3"
    config = f"[validate]\npytest = false\ncommands = [{json.dumps(command)}]\n"
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fails at the base" not in result.stdout and "exit code 4" in result.stdout


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="the `type` statement compiles from 3.12 on"
)
def test_a_file_excused_for_newer_syntax_does_not_end_py_compile(tmp_path: Path) -> None:
    """Two files get a module-level `return`: a_newer.py (a 3.12 `type` statement, which no
    3.11 compile accepts, before or after) is excused; app.py, checked after it, still fails."""
    files = returns_at_module_level("*.py")
    repo = project(tmp_path, {**files, "a_newer.py": "type A = int\n", "app.py": "x = 1\n"})
    result = run_migrate(repo, "apply", "ret", "--yes", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    compiled = next(c for c in json.loads(result.stdout)["steps"][0]["checks"])
    assert compiled["name"] == "py_compile" and compiled["outcome"] == "failed"
    assert "app.py: 'return' outside function" in compiled["detail"]
    assert "a_newer.py" not in compiled["detail"]


def test_bisect_names_at_most_five_of_the_tests_a_file_fails(tmp_path: Path) -> None:
    checks = "".join(
        f"def test_c_{i}():\n    assert 'max_workers=10' in open('scripts/c.py').read()\n"
        for i in range(1, 8)
    )
    repo = five_scripts(tmp_path)
    (repo / "tests/test_c.py").write_text(checks)
    git(repo, "commit", "-qam", "seven checks of c.py")
    result = run_migrate(repo, "apply", "max-workers", "--bisect", "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    note = next(c for c in json.loads(result.stdout)["steps"][0]["checks"] if c["name"] == "bisect")
    named = re.findall(r"test_c_\d", note["detail"])
    assert named == [f"test_c_{i}" for i in range(1, 6)], note["detail"]


def test_the_commit_message_records_each_check_and_those_turned_off(tmp_path: Path) -> None:
    """The commit says what validated it: each check with its detail, and the checks the
    project turned off. Applied again, the recipe changes nothing: a no-changes step."""
    config = '[validate]\npytest = false\ncommands = ["echo ok"]\n'
    repo = project(tmp_path, {"scripts/a.py": POOLS, ".migrate/config.toml": config})
    assert run_migrate(repo, "apply", "max-workers", "--yes").returncode == 0
    message = git(repo, "log", "-1", "--format=%B", "HEAD")
    assert "Validation: py_compile: passed (1 file(s)); echo ok: passed.\n" in message
    assert "Checks turned off by configuration: pytest.\n" in message
    again = run_migrate(repo, "apply", "max-workers", "--yes", "--json")
    steps = json.loads(again.stdout)["steps"]
    assert [(s["status"], s["summary"]) for s in steps] == [("no-changes", "0 file(s) changed")]


def test_the_first_failing_check_ends_the_step(tmp_path: Path) -> None:
    """The checks after a failed one are not run: the step is reverted either way."""
    first = "if grep -q Performance CLAUDE.md; then exit 1; fi"
    config = f'[validate]\npytest = false\ncommands = [{json.dumps(first)}, "echo second"]\n'
    repo = project(tmp_path, {".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "doc", "--yes", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    checks = json.loads(result.stdout)["steps"][0]["checks"]
    assert [(c["name"], c["outcome"]) for c in checks] == [(first, "failed")]


def test_skip_unparsable_applies_the_recipe_to_the_files_that_parse(tmp_path: Path) -> None:
    """Pattern: a repository with a Python 2 script beside the others. With the flag, the
    step is made, and checked again on its own result without stopping at that file."""
    files = {"scripts/a.py": POOLS, "scripts/old.py": "print 'ThreadPoolExecutor(max_workers=2)'\n"}
    config = "[validate]\npytest = false\n"
    repo = project(tmp_path, {**files, ".migrate/config.toml": config})
    result = run_migrate(repo, "apply", "max-workers", "--skip-unparsable", "--yes", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [s["status"] for s in json.loads(result.stdout)["steps"]] == ["applied"]
    assert git(repo, "diff", "--name-only", "main", "HEAD") == "scripts/a.py"
