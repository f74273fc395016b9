"""Tests for `migrate.audit`: exact counts per kind, the plan's header, output formats, speed."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import py_compile
import subprocess
import sys
import sysconfig
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from migrate import audit as module
from migrate.audit import AuditOptions, AuditReport, as_json, as_sarif, audit, python_files
from migrate.audit.file import audit_chunk
from migrate.errors import UserError
from migrate.ui.audit_view import render
from tests.helpers import make_repo

DEPLOY = """\
import os
import subprocess


def deploy(hosts):
    for host in hosts:
        subprocess.run(["ssh", host, "restart"], check=True)
    os.system("echo done")


def push():
    subprocess.run(["git", "push"], timeout=30)


def retry(cmd):
    for _ in range(3):
        result = subprocess.run(cmd, timeout=10)
        if result.returncode == 0:
            break


def chain(steps):
    previous = ""
    for step in steps:
        previous = subprocess.check_output(["tool", step, previous], timeout=5)
"""

POOLS = """\
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import ThreadPoolExecutor as Pool

from helpers import run_parallel


def fan_out(items):
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(str, items))
    with ThreadPoolExecutor() as pool:
        list(pool.map(str, items))
    with Pool(4) as pool:
        list(pool.map(str, items))
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(str, items))
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(str, items))
    run_parallel(str, items, max_workers=8)
    run_parallel(str, items)
    options = {"max_workers": 5}
    run_parallel(str, items, **options)
    return "ThreadPoolExecutor(max_workers=1)"
"""

GOOD = """\
import asyncio
import subprocess


def check(paths):
    return subprocess.run(["ruff", "check", *paths], timeout=60, check=False)


async def gather_all(coros):
    return await asyncio.gather(*coros)
"""

SIZED = """\
from concurrent.futures import ThreadPoolExecutor


def fetch(urls, fetch_one):
    with ThreadPoolExecutor(max_workers=50) as pool:
        return list(pool.map(fetch_one, urls))
"""

WRAPPER = """\
import subprocess


def git(*args, **kwargs):
    return subprocess.run(["git", *args], **kwargs)
"""

AIO = """\
import asyncio


async def main():
    proc = await asyncio.create_subprocess_exec("ls")
    await proc.wait()
"""

PEP695 = """\
type Pair[T] = tuple[T, T]


def first[T](pair: Pair[T]) -> T:
    return pair[0]
"""

PEP695_SUBPROCESS = """\
import subprocess

type Command = list[str]


def run_it[T](command: Command) -> None:
    subprocess.run(command)
"""

HOOK = 'import subprocess\nsubprocess.check_call(["true"])\n'
SKIPPED = 'import subprocess\nsubprocess.run(["ls"])\n'

SETTINGS = {
    "hooks": {
        "UserPromptSubmit": [
            {
                "hooks": [
                    {"type": "command", "command": "python3 .claude/hooks/hook.py"},
                    {"type": "command", "command": "python3 -m some_module"},
                ]
            }
        ],
        "PreToolUse": [
            {
                "matcher": "Bash",
                "hooks": [
                    {"type": "command", "command": "python3 .claude/hooks/hook.py"},
                    {"type": "command", "command": "bash .claude/hooks/check.sh"},
                ],
            }
        ],
    }
}

TREE: Mapping[str, str] = {
    "scripts/deploy.py": DEPLOY,
    "scripts/pools.py": POOLS,
    "lib/good.py": GOOD,
    "lib/sized.py": SIZED,
    "lib/wrapper.py": WRAPPER,
    "lib/aio.py": AIO,
    "broken.py": "def broken(:\n    pass\n",
    "modern.py": PEP695,
    "modern_subprocess.py": PEP695_SUBPROCESS,
    "plain.py": 'print("hello")\n',
    ".claude/hooks/hook.py": HOOK,
    ".claude/settings.json": json.dumps(SETTINGS, indent=2),
    # Not Python files of the project: a virtual environment, node_modules, a hidden folder.
    "venv/pyvenv.cfg": "home = /usr/bin\n",
    "venv/lib/site.py": SKIPPED,
    "node_modules/pkg/tool.py": SKIPPED,
    ".tox/py/tool.py": SKIPPED,
    "notes.txt": "subprocess.run(['ls'])\n",
}

EXPECTED_KINDS = {
    "subprocess-timeout": 3,  # deploy (ssh), modern_subprocess (PEP 695), the hook
    "os-system": 1,
    "asyncio-subprocess": 1,
    "subprocess-kwargs": 1,
    # Only the value the max-workers recipe changes (its `from`, 10) is an issue; missing ones
    # and smaller ones (alias Pool(4), run_parallel 8) are informational.
    "pool-workers": 1,
    "pool-workers-info": 4,
    "sequential-subprocess": 1,
    "parse-error": 1,
}


def write(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write(tmp_path / "project", TREE)


def by_path(report: AuditReport) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for f in report.findings:
        out.setdefault(f.path, []).append((f.line, f.kind))
    return out


# -- counts -------------------------------------------------------------------------------------


def test_counts_by_kind_and_the_plan_header(tree: Path) -> None:
    report = audit(tree)
    assert report.by_kind() == EXPECTED_KINDS
    assert report.files_analyzed == 11
    assert report.header() == "11 Python files analyzed, 6 files with issues (7 total issues)"
    assert (report.findings_count, report.files_with_findings) == (13, 7)
    assert by_path(report) == {
        ".claude/hooks/hook.py": [(2, "subprocess-timeout")],
        "broken.py": [(1, "parse-error")],
        "lib/aio.py": [(5, "asyncio-subprocess")],
        "lib/wrapper.py": [(5, "subprocess-kwargs")],
        "modern_subprocess.py": [(7, "subprocess-timeout")],
        "scripts/deploy.py": [
            (6, "sequential-subprocess"),
            (7, "subprocess-timeout"),
            (8, "os-system"),
        ],
        "scripts/pools.py": [
            (8, "pool-workers"),
            *((n, "pool-workers-info") for n in (10, 12, 18, 19)),
        ],
    }


def test_good_patterns_and_metrics(tree: Path) -> None:
    report = audit(tree)
    assert {g.path: g.reasons for g in report.good_files} == {
        "lib/good.py": ("its subprocess call has a timeout", "fans out with asyncio.gather"),
        "lib/sized.py": ("pools set max_workers explicitly", "fans out with concurrent.futures"),
    }
    assert (report.subprocess_calls, report.calls_with_timeout) == (10, 4)
    assert report.metrics() == {
        "subprocess calls without timeout": 3,
        # ssh with nothing captured, and the PEP 695 and hook calls are interactive runs
        "subprocess calls without timeout, by what the recipe does": {
            "adds a timeout": 0,
            "left unsafe": 3,
            "outside its paths": 0,
        },
        "max_workers values": Counter({10: 1, 4: 1, 32: 1, 2: 1, 8: 1, 50: 1}),
        "hooks per event": {"UserPromptSubmit": 2, "PreToolUse": 2},
        "estimated hook latency ms": 150,
    }


def test_hooks_per_event_estimate_python_hooks_only(tree: Path) -> None:
    hooks = {e.event: (e.hooks, e.python_hooks, e.estimated_ms) for e in audit(tree).hooks}
    assert hooks == {"UserPromptSubmit": (2, 2, 100), "PreToolUse": (2, 1, 50)}


PYTHON_FORMS = {
    "Stop": [
        {
            "hooks": [
                {"type": "command", "command": f"{start} $CLAUDE_PROJECT_DIR/.claude/hooks/{n}"}
                for start, n in [
                    ("uv run", "a.py"),
                    ("uv run --script", "b.py"),
                    ("uv run python", "c.py"),
                    ("/usr/bin/env python3", "d.py"),
                    ("python3.12", "e.py"),
                    (".venv/bin/python", "f.py"),
                    ("", "pep723.py"),
                    ("", "venv_shebang.py"),
                    ("cd $CLAUDE_PROJECT_DIR && uv run", "g.py"),
                ]
            ]
            + [{"type": "command", "command": "uv run ruff check"}]
        }
    ],
    # One command under three matchers: Claude Code runs it once.
    "PreToolUse": [
        {"matcher": m, "hooks": [{"type": "command", "command": "uv run .claude/hooks/guard.py"}]}
        for m in ("Bash", "Write|Edit", "Bash")
    ],
}


def test_every_python_hook_form_is_counted_and_identical_commands_once(tmp_path: Path) -> None:
    """Patterns of public projects: `uv run`, env, PEP 723 and venv-shebang hooks (all Python,
    the audit used to say 0), and one command registered under three matchers."""
    hooks = tmp_path / ".claude/hooks"
    hooks.mkdir(parents=True)
    (hooks / "pep723.py").write_text("#!/usr/bin/env -S uv run --script\n# /// script\n# ///\n")
    (hooks / "venv_shebang.py").write_text("#!/home/me/proj/.venv/bin/python3\nprint(1)\n")
    (tmp_path / ".claude/settings.json").write_text(json.dumps({"hooks": PYTHON_FORMS}))
    report = audit(tmp_path)
    found = {e.event: (e.hooks, e.python_hooks, e.registrations) for e in report.hooks}
    assert found == {"Stop": (10, 9, 10), "PreToolUse": (1, 1, 3)}
    assert report.estimated_hook_ms == 10 * 50


def test_a_broken_settings_file_is_a_finding_not_a_crash(tree: Path) -> None:
    (tree / ".claude/settings.json").write_text('{"hooks": []}')
    report = audit(tree)
    assert [(f.path, f.kind) for f in report.findings if f.path.endswith(".json")] == [
        (".claude/settings.json", "parse-error")
    ]
    assert report.hooks == ()


def test_the_threshold_is_a_parameter(tree: Path) -> None:
    report = audit(tree, ["scripts/pools.py"], options=AuditOptions(workers_threshold=4))
    assert [f.line for f in report.findings] == [10, 12, 19]  # missing, 4, missing


def test_example_project(example_repo: Path) -> None:
    report = audit(example_repo)
    assert report.header() == "38 Python files analyzed, 12 files with issues (21 total issues)"
    assert report.by_kind() == {
        "subprocess-timeout": 16,
        "os-system": 1,
        "subprocess-kwargs": 1,
        "pool-workers": 4,  # the four max_workers=10
        "pool-workers-info": 3,
        "sequential-subprocess": 1,
    }
    assert [g.path for g in report.good_files] == ["scripts/lib/parallel.py", "tests/conftest.py"]
    metrics = report.metrics()
    assert metrics["subprocess calls without timeout"] == 16
    assert metrics["max_workers values"] == Counter({10: 4, 4: 2, 2: 1})
    # token_tracker.py is registered under two PostToolUse matchers: Claude Code runs it once.
    assert sum(metrics["hooks per event"].values()) == report.hooks_count == 28
    assert sum(e.registrations for e in report.hooks) == 29
    assert metrics["estimated hook latency ms"] == 27 * 50


# -- parse errors and exotic files ---------------------------------------------------------------


def test_unparsable_files_are_findings_whatever_they_mention(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "plain_broken.py": "x = (\n",
            "subprocess_broken.py": "import subprocess\nsubprocess.run(\n",
            "pool_broken.py": "from concurrent.futures import ThreadPoolExecutor\nx = [\n",
            "py2.py": 'print "hello"\n',
            "null.py": b"x = 1\0\n",
            "bad_encoding.py": b"# -*- coding: utf-8 -*-\nx = '\xff'\n",
        },
    )
    report = audit(tmp_path)
    assert {f.path for f in report.findings} == {
        "plain_broken.py",
        "subprocess_broken.py",
        "pool_broken.py",
        "py2.py",
        "null.py",
        "bad_encoding.py",
    }
    assert {f.kind for f in report.findings} == {"parse-error"}
    assert report.issues_count == 6


def test_syntax_newer_than_the_interpreter_is_not_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"modern.py": PEP695, "match.py": "match x:\n    case 1:\n        pass\n"})
    assert audit(tmp_path).findings == ()


NEVER_VALID = {
    "print.py": 'print "hello"\n',
    "exec.py": 'exec "x = 1"\n',
    "octal.py": "mode = 0777\n",
    "character.py": "price€ = 1\n",
    "non_printable.py": "x = 1\u00a0+ 2\n",
    "null.py": b"x = 1\0\n",
    "bad_utf8.py": b"# -*- coding: utf-8 -*-\nx = '\xff'\n",
}


def test_errors_no_python_accepts_are_reported_without_trying_libcst(tmp_path: Path) -> None:
    """LibCST is there for syntax newer than this interpreter; it refuses these too."""
    write(tmp_path, NEVER_VALID)
    code = (
        "import sys; from pathlib import Path; from migrate.audit import audit;"
        " r = audit(Path(sys.argv[1]), jobs=1);"
        " print(sorted(f.path for f in r.findings if f.kind == 'parse-error'),"
        " 'libcst' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"{sorted(NEVER_VALID)} False"


def test_non_utf8_crlf_and_bom_files_keep_their_lines(tmp_path: Path) -> None:
    latin = '# -*- coding: latin-1 -*-\nimport subprocess\n# caf\xe9\nsubprocess.run(["ls"])\n'
    write(
        tmp_path,
        {
            "latin.py": latin.encode("latin-1"),
            "crlf.py": "import subprocess\r\n\r\nsubprocess.run(['ls'])\r\n",
            "bom.py": b"\xef\xbb\xbfimport os\nos.system('ls')\n",
        },
    )
    assert by_path(audit(tmp_path)) == {
        "bom.py": [(2, "os-system")],
        "crlf.py": [(3, "subprocess-timeout")],
        "latin.py": [(4, "subprocess-timeout")],
    }


def test_the_bytecode_cache_is_trusted_only_when_it_matches(tmp_path: Path) -> None:
    source = write(tmp_path, {"m.py": "x = 1\n"}) / "m.py"
    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    assert Path(importlib.util.cache_from_source(str(source))).is_file()
    stat = source.stat()
    source.write_text("x = (\n")  # same size, same mtime: only the hash tells
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert [f.kind for f in audit(tmp_path).findings] == ["parse-error"]


# -- the loop heuristic ----------------------------------------------------------------------------

HEADER = "import asyncio\nimport subprocess\nimport time\n\n"

SEQUENTIAL = [  # (loop body, the line of the loop reported)
    pytest.param('for f in files:\n    subprocess.run(["lint", f], timeout=5)\n', 1, id="timeout"),
    pytest.param(
        'for f in files:\n    p = subprocess.Popen(["x", f])\n    p.wait()\n', 1, id="wait"
    ),
    pytest.param(
        'while queue:\n    item = queue.pop()\n    subprocess.run(["x", item])\n', 1, id="work list"
    ),
    pytest.param(
        'for f in files:\n    out = subprocess.check_output(["x", f])\n    results.append(out)\n',
        1,
        id="results collected",
    ),
    pytest.param(
        'for f in files:\n    total += subprocess.run(["x", f]).returncode\n', 1, id="a sum"
    ),
    pytest.param(
        "async def main(files):\n    for f in files:\n"
        '        p = await asyncio.create_subprocess_exec("x", f)\n        await p.wait()\n',
        2,
        id="asyncio",
    ),
    pytest.param(
        'for d in dirs:\n    for f in d:\n        subprocess.run(["x", f])\n', 2, id="inner loop"
    ),
]

NOT_SEQUENTIAL = [
    pytest.param(
        "for _ in range(3):\n    r = subprocess.run(cmd)\n    if r.returncode:\n        break\n",
        id="retry with break",
    ),
    pytest.param(
        'prev = ""\nfor s in steps:\n    prev = subprocess.check_output(["x", s, prev])\n',
        id="result carried over",
    ),
    pytest.param("for _ in range(3):\n    subprocess.run(cmd)\n", id="same command each time"),
    pytest.param(
        "done = False\nwhile not done:\n    done = subprocess.run(cmd).returncode == 0\n",
        id="while condition set by the body",
    ),
    pytest.param("while True:\n    subprocess.run(cmd)\n    time.sleep(1)\n", id="polling loop"),
    pytest.param(
        "def first(files):\n    for f in files:\n"
        '        if subprocess.run(["x", f]).returncode:\n            return f\n',
        id="return",
    ),
    pytest.param(
        'for f in files:\n    def job():\n        subprocess.run(["x", f])\n', id="nested def"
    ),
    pytest.param(
        'for line in subprocess.check_output(["ls"]).splitlines():\n    print(line)\n',
        id="call in the iterable",
    ),
    pytest.param('for f in files:\n    print(f)\nsubprocess.run(["x"])\n', id="after the loop"),
    pytest.param(
        'for f in files:\n    pass\nelse:\n    subprocess.run(["x", f])\n', id="the loop's else"
    ),
    pytest.param(
        'for f in files:\n    jobs.append(lambda: subprocess.run(["x", f]))\n', id="lambda"
    ),
    pytest.param('for f in files:\n    helper.run(["x", f])\n', id="not subprocess"),
]


def sequential_lines(tmp_path: Path, body: str) -> list[int]:
    write(tmp_path, {"m.py": HEADER + body})
    findings = audit(tmp_path).findings
    return [f.line - 4 for f in findings if f.kind == "sequential-subprocess"]


@pytest.mark.parametrize(("body", "line"), SEQUENTIAL)
def test_sequential_subprocess_calls_are_reported(tmp_path: Path, body: str, line: int) -> None:
    assert sequential_lines(tmp_path, body) == [line]


@pytest.mark.parametrize("body", NOT_SEQUENTIAL)
def test_dependent_or_non_subprocess_loops_are_not(tmp_path: Path, body: str) -> None:
    assert sequential_lines(tmp_path, body) == []


# -- which files -------------------------------------------------------------------------------


def test_a_git_repository_lists_tracked_and_untracked_but_not_ignored_files(
    tmp_path: Path,
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {".gitignore": "ignored/\n.venv/\n", "a.py": SKIPPED, ".venv/lib/x.py": SKIPPED},
    )
    write(repo, {"new.py": SKIPPED, "ignored/z.py": SKIPPED, "build/gen.py": SKIPPED})
    assert python_files(repo) == ["a.py", "build/gen.py", "new.py"]
    assert python_files(repo, ["ignored/z.py"]) == ["ignored/z.py"]  # named explicitly
    assert python_files(repo / "build") == ["gen.py"]


def test_an_ignored_folder_inside_a_repository_is_walked(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".gitignore": "vendor/\n", "a.py": "x = 1\n"})
    write(repo, {"vendor/lib/b.py": SKIPPED})
    assert python_files(repo / "vendor") == ["lib/b.py"]


def test_only_regular_files_are_audited(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "x = 1\n", "folder.py/b.py": "y = 2\n"})
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "linked.py").symlink_to(tmp_path / "a.py")
    assert python_files(tmp_path) == ["a.py", "folder.py/b.py", "linked.py"]
    assert audit(tmp_path).files_analyzed == 3


def test_paths_select_files_folders_and_globs(tree: Path) -> None:
    assert python_files(tree, ["lib"]) == [
        "lib/aio.py",
        "lib/good.py",
        "lib/sized.py",
        "lib/wrapper.py",
    ]
    assert python_files(tree, ["scripts/*.py", "plain.py"]) == [
        "plain.py",
        "scripts/deploy.py",
        "scripts/pools.py",
    ]
    assert python_files(tree, [str(tree / "lib" / "good.py")]) == ["lib/good.py"]
    assert ".claude/hooks/hook.py" in python_files(tree)


@pytest.mark.parametrize(
    ("path", "why"),
    [("missing", "no such file or folder"), ("../x", "leaves the repository"), ("/", "outside")],
)
def test_bad_paths_are_user_errors(tree: Path, path: str, why: str) -> None:
    with pytest.raises(UserError, match=why):
        audit(tree, [path])


# -- jobs and progress -------------------------------------------------------------------------


def test_one_or_two_processes_give_the_same_report(tree: Path) -> None:
    one, two = audit(tree, jobs=1), audit(tree, jobs=2)
    assert (two.jobs, one.jobs) == (2, 1)
    assert as_json(one) | {"summary": None} == as_json(two) | {"summary": None}
    assert one.header() == two.header()


def test_workers_leave_files_only_libcst_may_parse_to_the_parent(tmp_path: Path) -> None:
    files = {
        "modern.py": PEP695_SUBPROCESS,  # LibCST reads it where `ast` is older than 3.12
        "broken.py": "x = (\n",  # LibCST may read what `ast` does not: it is asked
        "py2.py": 'print "hello"\n',  # no Python reads it: a parse error at once
        "ok.py": "import subprocess\nsubprocess.run(['ls'])\n",
    }
    write(tmp_path, files | {f"pad{i}.py": f"x = {i}\n" * 50 for i in range(300)})
    left = audit_chunk(str(tmp_path), AuditOptions(), False, list(files))
    newer = sys.version_info < (3, 12)
    assert [r.redo for r in left] == [newer, True, False, False]
    assert all(r.findings == () for r in left if r.redo)  # nothing said yet: the parent says it
    one, two = audit(tmp_path, jobs=1), audit(tmp_path, jobs=2)
    assert as_json(one) | {"summary": None} == as_json(two) | {"summary": None}
    assert {f.path for f in two.findings} == {"modern.py", "broken.py", "py2.py", "ok.py"}


def test_progress_counts_increase_to_the_total(tree: Path) -> None:
    calls: list[tuple[int, int]] = []
    audit(tree, jobs=2, progress=lambda done, total: calls.append((done, total)))
    dones = [done for done, _ in calls]
    assert calls[0] == (0, 11) and calls[-1] == (11, 11)
    assert dones == sorted(dones) and len(calls) > 2


def test_parallel_map_keeps_the_order_of_the_items() -> None:
    items = list(range(50))
    assert module.parallel_map(_double, items, jobs=2, weights=[1] * 50) == [2 * i for i in items]
    assert module.parallel_map(_double, [], jobs=2) == []


def _double(chunk: Any) -> list[int]:
    return [2 * i for i in chunk]


# -- output -------------------------------------------------------------------------------------


def test_json_shape(tree: Path) -> None:
    data = json.loads(json.dumps(as_json(audit(tree))))
    assert set(data) == {
        "schema",
        "kind",
        "root",
        "summary",
        "by_kind",
        "findings",
        "hooks",
        "good_files",
        "metrics",
    }
    assert data["summary"]["header"].startswith("11 Python files analyzed")
    assert data["by_kind"] == EXPECTED_KINDS
    assert data["findings"][0] == {
        "path": ".claude/hooks/hook.py",
        "line": 2,
        "kind": "subprocess-timeout",
        "message": "subprocess.check_call has no timeout; unsafe: interactive: output not"
        " captured and stdin inherited (it may wait for a user) (use --unsafe)",
        "issue": True,
    }
    assert data["hooks"]["estimated_sequential_ms"] == 150
    assert "estimate" in data["hooks"]["note"]
    assert (data["schema"], data["kind"]) == (1, "audit")
    assert data["metrics"]["max_workers_values"] == {
        "2": 1,
        "4": 1,
        "8": 1,
        "10": 1,
        "32": 1,
        "50": 1,
    }


def check_sarif(log: Any) -> list[str]:
    """The essential structure of a SARIF 2.1.0 log that GitHub code scanning reads."""
    problems = []
    if not str(log.get("$schema", "")).endswith("sarif-schema-2.1.0.json"):
        problems.append("$schema")
    if log.get("version") != "2.1.0" or len(log.get("runs", [])) != 1:
        problems.append("version or runs")
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    if driver.get("name") != "migrate":
        problems.append("driver name")
    ids = [rule["id"] for rule in driver["rules"]]
    for rule in driver["rules"]:
        if not (rule["shortDescription"]["text"] and rule["help"]["text"]):
            problems.append(f"rule {rule['id']}")
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        if result["ruleId"] not in ids or ids.index(result["ruleId"]) != result["ruleIndex"]:
            problems.append(f"ruleId {result['ruleId']}")
        if result["level"] not in ("error", "warning", "note") or not result["message"]["text"]:
            problems.append("level or message")
        if uri.startswith("/") or "\\" in uri or ":" in uri:
            problems.append(f"uri {uri}")
        line = location["region"]["startLine"]
        if not (isinstance(line, int) and line >= 1):
            problems.append("startLine")
    return problems


def test_sarif_is_a_valid_code_scanning_log(tree: Path) -> None:
    write(tree, {"with space/x.py": SKIPPED})
    log = json.loads(json.dumps(as_sarif(audit(tree))))
    assert check_sarif(log) == []
    results = log["runs"][0]["results"]
    assert len(results) == 14
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "with%20space/x.py" in uris and ".claude/hooks/hook.py" in uris
    levels = Counter(r["level"] for r in results)
    assert levels == Counter({"warning": 7, "note": 6, "error": 1})


def test_render_prints_the_summary_tables_and_caps_the_file_list(tree: Path) -> None:
    out = Console(file=io.StringIO(), width=160, no_color=True)
    render(audit(tree), out, limit=5)
    text = out.file.getvalue()  # type: ignore[attr-defined]
    assert "11 Python files analyzed" in text
    assert "6 files with issues (7 total issues)" in text
    assert "GOOD: 2 files using good patterns" in text
    assert "... and 8 more" in text
    assert "Hooks per event" in text and "UserPromptSubmit" in text
    assert "lib/sized.py: pools set max_workers explicitly" in text


# -- the standard library ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_whole_standard_library_read_only() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    before = {p: p.stat().st_mtime_ns for p in sorted(stdlib.glob("*.py"))[:50]}
    report = audit(stdlib, jobs=2)
    assert report.files_analyzed > 500
    assert report.by_kind().get("subprocess-timeout", 0) > 50
    assert "internal-error" not in report.by_kind()
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_suppression_comments_hide_findings_and_are_counted(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": "import subprocess\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "subprocess.run(['ls'], capture_output=True)  # migrate: ignore[subprocess-timeout]\n"
            "ThreadPoolExecutor(max_workers=10)  # migrate: ignore\n"
            "ThreadPoolExecutor(max_workers=10)\n"
        },
    )
    report = audit(tmp_path)
    assert [(f.line, f.kind) for f in report.findings] == [(5, "pool-workers")]
    assert report.suppressed == 2


def test_calls_outside_the_recipes_paths_are_said_so(tmp_path: Path) -> None:
    write(
        tmp_path, {"lib/a.py": "import subprocess\nsubprocess.run(['ls'], capture_output=True)\n"}
    )
    report = audit(tmp_path, options=AuditOptions(timeout_paths=("scripts/**/*.py",)))
    (finding,) = report.findings
    assert "outside the recipe's paths (add them with `paths`)" in finding.message
    assert report.without_timeout == {"adds a timeout": 0, "left unsafe": 0, "outside its paths": 1}


# Pool-call spellings found in real projects; the audit must report exactly the calls the
# max-workers recipe edits (one rule, `pysource.pool_calls.callee`, behind both).
POOL_SPELLINGS = {
    "relative import renamed (package-local helper)": (
        "from .pool import run_parallel as rp\n\ndef go(jobs):\n    rp(jobs, max_workers=10)\n"
    ),
    "bare relative import renamed": (
        "from . import run_parallel as fan\n\ndef go(jobs):\n    fan(jobs, max_workers=10)\n"
    ),
    "absolute import renamed executor": (
        "from concurrent.futures import ThreadPoolExecutor as TPE\n\n"
        "with TPE(max_workers=10) as pool:\n    pass\n"
    ),
    "module attribute": (
        "import concurrent.futures as cf\n\nwith cf.ThreadPoolExecutor(max_workers=10):\n    pass\n"
    ),
    "PEP 695 file read by LibCST, relative rename": (
        "from .pool import run_parallel as rp\n\ntype Jobs = list[str]\n\n"
        "def go(jobs):\n    rp(jobs, max_workers=10)\n"
    ),
}


@pytest.mark.parametrize("pattern", sorted(POOL_SPELLINGS))
def test_the_audit_reports_exactly_the_pool_calls_the_recipe_edits(
    tmp_path: Path, pattern: str
) -> None:
    from migrate import transforms
    from migrate.files import Snapshot

    source = POOL_SPELLINGS[pattern]
    if "type Jobs" in source and sys.version_info >= (3, 12):
        pytest.skip("this interpreter reads PEP 695 itself; the LibCST path is not taken")
    write(tmp_path, {"pkg/mod.py": source})
    report = audit(tmp_path)
    reported = [f.line for f in report.findings if f.kind == "pool-workers"]
    spec = transforms.get("max-workers")
    assert spec is not None
    result = spec.run(Snapshot(tmp_path, ("pkg/mod.py",)), spec.with_defaults({}))
    edited = [
        number
        for change in result.changes
        for number, (old, new) in enumerate(
            zip(str(change.before).splitlines(), str(change.after).splitlines(), strict=True),
            start=1,
        )
        if old != new
    ]
    assert edited, pattern  # the recipe does change it
    assert reported == edited
