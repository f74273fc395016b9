"""The skeleton of a module: bodies that mention none of the words cut, positions kept."""

from __future__ import annotations

import ast
import py_compile
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from migrate.audit import as_json, audit
from migrate.audit import tree as audit_tree
from migrate.pysource.skeleton import skeleton

WORDS = ("run", "import")


def _cut_lines(before: str, after: str) -> list[int]:
    """The line numbers that differ (every other line must be the same)."""
    a, b = before.split("\n"), after.split("\n")
    assert len(a) == len(b)
    return [number for number, (x, y) in enumerate(zip(a, b, strict=True), 1) if x != y]


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        pytest.param(
            "def f():\n    x = 1\n    return x\n\ndef g():\n    run()\n",
            [2, 3],
            id="irrelevant-function",
        ),
        pytest.param(
            "class C:\n    def a(self):\n        x = 1\n        return x\n    def b(self):\n"
            "        self.run()\n",
            [3, 4],
            id="method-in-relevant-class",
        ),
        pytest.param(
            "class C:\n    x = 1\n    def a(self):\n        return 2\n", [2, 3, 4], id="whole-class"
        ),
        pytest.param(
            "def f():\n    '''Docstring.\ndef g():\n    run()\n'''\n    return 1\n",
            [6],  # a docstring stays: the body starts at its first line of code
            id="def-inside-a-docstring",
        ),
        pytest.param(
            "def f():\n    x = g(\n1)\n    return x\nrun()\n", [2, 3, 4], id="bracket-at-column-0"
        ),
        pytest.param(
            "def f():\n    x = 1 + \\\n2\n    return x\n", [2, 3, 4], id="backslash-continuation"
        ),
        pytest.param("@decorator(\n  1)\nasync def f():\n    await x\n", [4], id="decorated-async"),
        pytest.param("def f(): return 1\nrun()\n", [], id="one-line-def"),
        pytest.param(
            "def f():\n    x = 1  # run\n    return x\n", [], id="word-in-a-comment-counts"
        ),
        pytest.param("def f():\n    runner()\n    return 1\n", [2, 3], id="whole-words-only"),
        pytest.param(
            'def f():\n    s = """a\n\n  b"""\n    return s\n',
            [2, 4, 5],  # line 3 was blank already
            id="blank-line-in-string",
        ),
        pytest.param("def f(a,\n      b):\n    return a\n", [3], id="header-over-two-lines"),
    ],
)
def test_skeleton_cuts_bodies_without_the_words(text: str, cut: list[int]) -> None:
    after = skeleton(text, WORDS)
    if not cut:
        assert after is None
        return
    assert after is not None
    assert _cut_lines(text, after) == cut
    ast.parse(after)  # still a module, with every kept line where it was


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x = 1\r\ndef f():\r\n    pass\r\n", id="crlf"),
        pytest.param("def f():\n\treturn 1\n", id="tab"),
    ],
)
def test_skeleton_leaves_what_it_does_not_measure(text: str) -> None:
    assert skeleton(text, WORDS) is None


@pytest.mark.slow
def test_audit_of_the_stdlib_is_the_same_with_and_without_skeletons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    with_skeletons, without, cut = audit_both_ways(stdlib, monkeypatch)
    assert sum(cut) > 50  # the stdlib's bytecode cache let the audit cut bodies
    assert with_skeletons == without


def audit_both_ways(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], dict[str, Any], list[bool]]:
    """The audit's JSON with skeletons and without, and whether each skeleton cut anything."""
    cut = []

    def recording(text: str, words: tuple[str, ...]) -> str | None:
        result = skeleton(text, words)
        cut.append(result is not None)
        return result

    monkeypatch.setattr(audit_tree, "skeleton", recording)
    with_skeletons = as_json(audit(root, jobs=1))
    monkeypatch.setattr(audit_tree, "skeleton", lambda text, words: None)
    without = as_json(audit(root, jobs=1))
    for report in (with_skeletons, without):
        report["summary"].pop("seconds")
    return with_skeletons, without, cut


@pytest.mark.parametrize(
    "text", ["", "a", "a\n", "a\nbc", "a\n\nbc\n", "\n", "a\r\nb\r\n", "a\rb\nc", "é\n☕\n"]
)
def test_line_starts_are_where_ast_starts_lines(text: str) -> None:
    import re

    from migrate.pysource.edits import Lines

    expected = [0, *(m.end() for m in re.finditer(r"\r\n?|\n", text))]
    assert [Lines(text).line_start(n) for n in range(1, len(expected) + 1)] == expected


# Each file reaches a subprocess call only through the kind of import its id names, from a body
# that could be cut; `pad` mentions nothing and is always cut.
PAD = "\n\ndef pad():\n    x = 1\n    return x\n"
REACHED = {
    "module_alias.py": "import subprocess as sp\n\ndef f():\n    sp.run(['ls'])\n",
    "from_import.py": "from subprocess import run, call\n\ndef f():\n    call(['ls'])\n",
    "from_alias.py": "from subprocess import check_output as co\n\ndef f():\n    co(['ls'])\n",
    "star.py": "from subprocess import *\n\ndef f():\n    check_call(['ls'])\n",
    "comment_in_list.py": (
        "from subprocess import (run,  # (see below)\n    check_output)\n\n"
        "def f():\n    check_output(['ls'])\n"
    ),
    "popen_alias.py": (
        "from subprocess import Popen as P\n\ndef f():\n    p = P(['ls'])\n    p.communicate()\n"
    ),
    "global_popen.py": (
        "import subprocess\np = subprocess.Popen(['ls'])\n\ndef f():\n    global p\n    p.wait()\n"
    ),
    "os_system.py": "import os as o\n\ndef f():\n    o.system('ls')\n",
    "asyncio.py": (
        "import asyncio as aio\n\nasync def f():\n    await aio.create_subprocess_exec('ls')\n"
    ),
    "global.py": (
        "import subprocess\nrun = None\n\ndef f():\n    global run\n    run = subprocess.run\n"
        "\ndef g():\n    subprocess.call(['ls'])\n"
    ),
    "pool_alias.py": (
        "from concurrent.futures import ThreadPoolExecutor as Pool\n\n"
        "def f():\n    return Pool(max_workers=2)\n"
    ),
}


def test_every_way_to_reach_a_site_keeps_its_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in REACHED.items():
        (tmp_path / name).write_text(text + PAD)
        py_compile.compile(str(tmp_path / name), doraise=True)  # the skeleton needs the cache
    with_skeletons, without, cut = audit_both_ways(tmp_path, monkeypatch)
    assert cut == [True] * len(REACHED)
    assert with_skeletons == without
    found = {f["path"] for f in without["findings"]}
    assert found == set(REACHED)
