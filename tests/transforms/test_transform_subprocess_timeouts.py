"""Tests for the `subprocess-timeouts` transform: what must change, what must not, bytes, speed."""

from __future__ import annotations

import ast
import codecs
import difflib
import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate import transforms
from migrate.errors import UserError
from migrate.files import Snapshot, encode
from migrate.model import UNSAFE, TransformResult
from migrate.pysource.parse import Unparsable
from migrate.pysource.subprocess_sites.read import read_facts
from migrate.recipes import parse_recipe, read_toml
from migrate.transforms import subprocess_timeouts as module
from migrate.transforms.subprocess_timeouts import scan

RECIPE = Path(__file__).parents[2] / "recipes" / "subprocess-timeouts.toml"
# Most calls here (`run(["ls"])`) are interactive runs, unsafe edits: the tests about where and
# how `timeout=` is written make every edit; the safe/unsafe tests pass `unsafe=False`.
DEFAULTS = {**{key: param.default for key, param in module.PARAMS.items()}, "unsafe": True}


def run(root: Path, files: Mapping[str, bytes | str], **params: Any) -> TransformResult:
    """Write `files` under `root` and run the transform over them with `params` over defaults."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return module.subprocess_timeouts(Snapshot(root, tuple(files)), {**DEFAULTS, **params})


def rewrite(src: str, parser: module.Parser = "ast", **params: Any) -> str:
    return scan("t.py", src, {**DEFAULTS, **params}, parser).after


MUST_CHANGE = [
    pytest.param(
        'import subprocess\nsubprocess.run(["ls"], check=True)\n',
        'import subprocess\nsubprocess.run(["ls"], check=True, timeout=10)\n',
        id="one line",
    ),
    pytest.param(
        'import subprocess as sp\nsp.call(["ls"])\n',
        'import subprocess as sp\nsp.call(["ls"], timeout=10)\n',
        id="import as",
    ),
    pytest.param(
        'from subprocess import run\nrun(["ls"])\n',
        'from subprocess import run\nrun(["ls"], timeout=10)\n',
        id="from import",
    ),
    pytest.param(
        'from subprocess import check_output as co\nco(["ls"])\n',
        'from subprocess import check_output as co\nco(["ls"], timeout=10)\n',
        id="from import as",
    ),
    pytest.param(
        'from subprocess import *\ncheck_call(["ls"])\n',
        'from subprocess import *\ncheck_call(["ls"], timeout=10)\n',
        id="star import",
    ),
    pytest.param(
        'import os, subprocess\nsubprocess.check_call(["ls"])\n',
        'import os, subprocess\nsubprocess.check_call(["ls"], timeout=10)\n',
        id="import list",
    ),
    pytest.param(
        'def f():\n    import subprocess\n    subprocess.run(["ls"])\n',
        'def f():\n    import subprocess\n    subprocess.run(["ls"], timeout=10)\n',
        id="import inside a function",
    ),
    pytest.param(
        'import subprocess\nclass C:\n    out = subprocess.check_output(["ls"])\n'
        '    def m(self):\n        return subprocess.run(["ls"])\n',
        'import subprocess\nclass C:\n    out = subprocess.check_output(["ls"], timeout=10)\n'
        '    def m(self):\n        return subprocess.run(["ls"], timeout=10)\n',
        id="class body and method",
    ),
    pytest.param(
        'from subprocess import Popen\np = Popen(["ls"])\np.wait()\n',
        'from subprocess import Popen\np = Popen(["ls"])\np.wait(timeout=10)\n',
        id="popen variable wait",
    ),
    pytest.param(
        'import subprocess\ndef f():\n    p = subprocess.Popen(["ls"])\n'
        "    out, err = p.communicate()\n",
        'import subprocess\ndef f():\n    p = subprocess.Popen(["ls"])\n'
        "    out, err = p.communicate(timeout=10)\n",
        id="popen variable communicate in a function",
    ),
    pytest.param(
        'import subprocess\np = subprocess.Popen(["cat"])\np.communicate(b"x")\n',
        'import subprocess\np = subprocess.Popen(["cat"])\np.communicate(b"x", timeout=10)\n',
        id="communicate with input",
    ),
    pytest.param(
        'import subprocess\nsubprocess.Popen(["ls"]).wait()\n',
        'import subprocess\nsubprocess.Popen(["ls"]).wait(timeout=10)\n',
        id="popen call wait",
    ),
    pytest.param(
        'import subprocess\nwith subprocess.Popen(["ls"]) as p:\n    p.communicate()\n',
        'import subprocess\nwith subprocess.Popen(["ls"]) as p:\n    p.communicate(timeout=10)\n',
        id="with popen as",
    ),
    pytest.param(
        'import subprocess\np = None\np = subprocess.Popen(["ls"])\np.wait()\n',
        'import subprocess\np = None\np = subprocess.Popen(["ls"])\np.wait(timeout=10)\n',
        id="popen variable first set to None",
    ),
    pytest.param(
        "import subprocess\np = subprocess.Popen(['ls'])\np.wait( )\n",
        "import subprocess\np = subprocess.Popen(['ls'])\np.wait(timeout=10)\n",
        id="empty call with space",
    ),
    pytest.param(
        "import subprocess\np = subprocess.Popen(['ls'])\np.wait(  # forever\n)\n",
        "import subprocess\np = subprocess.Popen(['ls'])\np.wait(timeout=10  # forever\n)\n",
        id="empty call with comment",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(\n    ["ls"],\n    check=True,\n)\n',
        'import subprocess\nsubprocess.run(\n    ["ls"],\n    check=True,\n    timeout=10,\n)\n',
        id="one argument per line, trailing comma",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(\n    ["ls"],\n    check=True,  # why\n    # more\n)\n',
        'import subprocess\nsubprocess.run(\n    ["ls"],\n    check=True,  # why\n'
        "    timeout=10,\n    # more\n)\n",
        id="trailing comma with comments",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(\n    ["ls"],\n    check=True\n)\n',
        'import subprocess\nsubprocess.run(\n    ["ls"],\n    check=True, timeout=10\n)\n',
        id="multi-line without trailing comma",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(["ls"],\n               check=True)  # done\n',
        'import subprocess\nsubprocess.run(["ls"],\n'
        "               check=True, timeout=10)  # done\n",
        id="hanging indent",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(["ls"],\n    check=True  # why\n)\n',
        'import subprocess\nsubprocess.run(["ls"],\n    check=True, timeout=10  # why\n)\n',
        id="comment after the last argument",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(["ls"], check=True,)\n',
        'import subprocess\nsubprocess.run(["ls"], check=True, timeout=10,)\n',
        id="trailing comma on one line",
    ),
    pytest.param(
        "import subprocess\nif x:\n\tsubprocess.run(\n\t\t['ls'],\n\t)\n",
        "import subprocess\nif x:\n\tsubprocess.run(\n\t\t['ls'],\n\t\ttimeout=10,\n\t)\n",
        id="tabs",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(["ls"], env={\n    "A": "1",\n},\n)\n',
        'import subprocess\nsubprocess.run(["ls"], env={\n    "A": "1",\n},\n    timeout=10,\n)\n',
        id="last argument does not start its line",
    ),
    pytest.param(
        "import subprocess\nsubprocess.run((cmd))\n",
        "import subprocess\nsubprocess.run((cmd), timeout=10)\n",
        id="parenthesized argument",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(["a"], input=subprocess.check_output(["b"]))\n',
        'import subprocess\nsubprocess.run(["a"], input=subprocess.check_output(["b"], timeout=10),'
        " timeout=10)\n",
        id="nested calls",
    ),
    pytest.param(
        'import subprocess\nout = f(subprocess.run(["ls"]).stdout)\n',
        'import subprocess\nout = f(subprocess.run(["ls"], timeout=10).stdout)\n',
        id="call inside an expression",
    ),
    pytest.param(
        'import subprocess\nmatch x:\n    case {"cmd": cmd}:\n        subprocess.run(cmd)\n',
        'import subprocess\nmatch x:\n    case {"cmd": cmd}:\n'
        "        subprocess.run(cmd, timeout=10)\n",
        id="match statement",
    ),
    pytest.param(
        'import subprocess\nsubprocess.run(["ls"]) ; x = "é"\n',
        'import subprocess\nsubprocess.run(["ls"], timeout=10) ; x = "é"\n',
        id="non-ascii after the call",
    ),
    pytest.param(
        'import subprocess\nx = "é"; subprocess.run(["ls", "é"])\n',
        'import subprocess\nx = "é"; subprocess.run(["ls", "é"], timeout=10)\n',
        id="non-ascii before the call",
    ),
    pytest.param(
        'import subprocess\ndef f(p=subprocess.run(["ls"])):\n    pass\n',
        'import subprocess\ndef f(p=subprocess.run(["ls"], timeout=10)):\n    pass\n',
        id="default argument",
    ),
    pytest.param(
        'import subprocess\ng = lambda: subprocess.run(["ls"])\n',
        'import subprocess\ng = lambda: subprocess.run(["ls"], timeout=10)\n',
        id="lambda",
    ),
    pytest.param(
        "import subprocess\nout = [subprocess.run([c]) for c in cmds]\n",
        "import subprocess\nout = [subprocess.run([c], timeout=10) for c in cmds]\n",
        id="comprehension",
    ),
]

MUST_NOT_CHANGE = [
    pytest.param('from subprocess import run\ndef f(run):\n    run(["ls"])\n', id="parameter"),
    pytest.param(
        'from subprocess import run\ndef f():\n    def run(c):\n        pass\n    run(["ls"])\n',
        id="nested def",
    ),
    pytest.param(
        'from subprocess import run\ndef f():\n    run = print\n    run("x")\n', id="local"
    ),
    pytest.param(
        'from subprocess import run\ndef f():\n    run("x")\n    from shlex import split as run\n',
        id="local import after use",
    ),
    pytest.param(
        "from subprocess import run\nclass C:\n    def run(self, c):\n        pass\n"
        '    run(None, ["ls"])\n',
        id="class body method",
    ),
    pytest.param(
        'from subprocess import run\nf = lambda run: run(["ls"])\n', id="lambda parameter"
    ),
    pytest.param(
        "from subprocess import run\nx = [run(1) for run in fns]\n", id="comprehension var"
    ),
    pytest.param(
        'from subprocess import run\ndef run(c):\n    pass\nrun(["ls"])\n', id="ambiguous"
    ),
    pytest.param(
        'from subprocess import run\ndef f():\n    global run\n    run = print\nrun(["ls"])\n',
        id="rebound through global",
    ),
    pytest.param('import subprocess\nself.run(["ls"])\nobj.call(["ls"])\n', id="other objects"),
    pytest.param(
        'import subprocess\nclass C:\n    def m(self):\n        self.run(["ls"])\n', id="self.run"
    ),
    pytest.param('import subprocess\nsubprocess.run(["ls"], timeout=5)\n', id="has timeout"),
    pytest.param('import subprocess\nsubprocess.run(["ls"], timeout=None)\n', id="timeout=None"),
    pytest.param(
        'import subprocess\np = subprocess.Popen(["ls"])\np.wait(5)\np.communicate(None, 5)\n',
        id="positional timeout",
    ),
    pytest.param('import subprocess\nsubprocess.run(["ls"], **kwargs)\n', id="**kwargs"),
    pytest.param(
        'import subprocess\np = subprocess.Popen(["ls"])\np.communicate(*args)\n', id="*args"
    ),
    pytest.param('import os\nos.system("ls")\nos.popen("ls")\n', id="os.system"),
    pytest.param('from os import system\nsystem("ls")\n', id="from os import system"),
    pytest.param(
        "import asyncio\nasync def f():\n    await asyncio.create_subprocess_exec('ls')\n",
        id="asyncio",
    ),
    pytest.param('import subprocess\nsubprocess.Popen(["ls"])\n', id="Popen itself"),
    pytest.param(
        'import subprocess\nwith subprocess.Popen(["ls"]) as p:\n    pass\n', id="with Popen"
    ),
    pytest.param(
        "import threading\np = threading.Event()\np.wait()\n", id="wait on another object"
    ),
    pytest.param(
        'import subprocess\np = subprocess.Popen(["ls"])\np = other()\np.wait()\n',
        id="popen variable rebound",
    ),
    pytest.param(
        'import subprocess\np = subprocess.Popen(["ls"])\ndef f():\n    p.wait()\n',
        id="popen variable from another scope",
    ),
    pytest.param('from invoke import run\nrun("ls")\n', id="another module's run"),
    pytest.param('import mysub as subprocess\nsubprocess.run(["ls"])\n', id="renamed module"),
    pytest.param(
        'from asyncio import subprocess\nsubprocess.run(["ls"])\n', id="asyncio.subprocess"
    ),
    pytest.param('from .subprocess import run\nrun(["ls"])\n', id="relative import"),
    pytest.param('subprocess.run(["ls"])\n', id="no import"),
    pytest.param(
        'import subprocess\nx = "subprocess.run([\'ls\'])"\n# subprocess.run(["ls"])\n',
        id="strings and comments",
    ),
    pytest.param("import subprocess\nx = f\"{subprocess.run(['ls'])}\"\n", id="inside an f-string"),
    pytest.param('import os\nprint("the system is up")\n', id="no calls"),
]


@pytest.mark.parametrize(("src", "expected"), MUST_CHANGE)
def test_must_change(src: str, expected: str) -> None:
    assert rewrite(src) == expected


@pytest.mark.parametrize("src", MUST_NOT_CHANGE)
def test_must_not_change(src: str) -> None:
    assert rewrite(src) == src


@pytest.mark.parametrize(("src", "expected"), MUST_CHANGE)
def test_libcst_front_end_agrees(src: str, expected: str) -> None:
    assert scan("t.py", src, DEFAULTS, "libcst") == scan("t.py", src, DEFAULTS)


@pytest.mark.parametrize("src", MUST_NOT_CHANGE)
def test_libcst_front_end_agrees_on_unchanged(src: str) -> None:
    assert scan("t.py", src, DEFAULTS, "libcst") == scan("t.py", src, DEFAULTS)


@pytest.mark.parametrize(("src", "expected"), MUST_CHANGE)
def test_idempotent(src: str, expected: str) -> None:
    assert rewrite(expected) == expected


# -- the value by command -------------------------------------------------------------------------

COMMANDS = [
    ('["ls", "-l"]', 10),
    ('["git", "status"]', 10),
    ('["git", "push"]', 30),
    ('("git", "push", "origin", "main")', 30),
    ('["git", "-C", repo, "push"]', 30),
    ('["git", "--no-pager", "push"]', 30),
    ('["git", "-c", "user.name=x", "push"]', 30),
    ('["/usr/bin/git", "push"]', 30),
    ('"git push --tags"', 30),
    ('["pytest", "-q"]', 60),
    ('["python", "-m", "pytest"]', 60),
    ('["python3", "-m", "pytest", "tests/"]', 60),
    ('["python3.12", "-u", "-m", "pytest"]', 60),
    ('[sys.executable, "-m", "pytest"]', 60),
    ('["tox", "-e", "py311"]', 60),
    ('["nox"]', 60),
    ('["python", "-m", "unittest", "discover"]', 60),
    ('"env CI=1 pytest -x"', 60),
    ('["pip", "install", "-r", "requirements.txt"]', 120),
    ('["pip3", "install", "x"]', 120),
    ('["python", "-m", "pip", "install", "x"]', 120),
    ('[sys.executable, "-m", "pip", "install", "x"]', 120),
    ('["uv", "sync"]', 120),
    ('["poetry", "install"]', 120),
    ('["npm", "ci"]', 120),
    ('["yarn"]', 120),
    ('["pnpm", "i"]', 120),
    ('["apt", "update"]', 120),
    ('["sudo", "apt-get", "install", "-y", "git"]', 120),
    ('["brew", "install", "jq"]', 120),
    ('["conda", "install", "numpy"]', 120),
    ('["cargo", "build"]', 120),
    ('"pip install x"', 120),
    ('"cd build && pip install -r req.txt"', 120),
    ('"git add . && git push 2>&1 | tee log"', 30),
    ('"pytest; pip install x"', 120),
    ('f"git push {remote}"', 30),
    ('["git", f"--git-dir={d}", "push"]', 30),
    ('["python", "script.py"]', 10),
    ('["python", "-c", "import pip"]', 10),
    ('["git", *args] + ["push"]', 10),
]


@pytest.mark.parametrize(("command", "seconds"), COMMANDS)
def test_value_by_command(command: str, seconds: int) -> None:
    shell = ", shell=True" if command.startswith(('"', 'f"')) else ""
    src = f"import subprocess, sys\nsubprocess.run({command}{shell})\n"
    assert f"timeout={seconds})" in rewrite(src)


def test_list_with_shell_runs_its_first_item() -> None:
    src = 'import subprocess\nsubprocess.run(["pip install x", "ignored"], shell=True)\n'
    assert "timeout=120)" in rewrite(src)


@pytest.mark.parametrize(
    "command",
    ["cmd", "get_command()", '["git", *args]', "[program]", '"".join(x)', '"echo \'unbalanced"'],
)
def test_unknown_command_gets_the_default_and_is_marked(command: str) -> None:
    result = scan("t.py", f"import subprocess\nsubprocess.run({command})\n", DEFAULTS)
    assert result.after.endswith(", timeout=10)\n")
    (finding,) = result.findings
    assert finding.kind == "subprocess-timeout" and finding.edited
    assert "command not recognised: default 10 s" in finding.message
    assert result.counts["calls"] == 1 and result.counts["default"] == 1


def test_command_from_a_name_bound_to_a_literal() -> None:
    src = 'import subprocess\ndef f():\n    cmd = ["git", "push"]\n    subprocess.run(cmd)\n'
    assert "subprocess.run(cmd, timeout=30)" in rewrite(src)


def test_command_from_a_module_constant() -> None:
    src = 'import subprocess\nPIP = ["pip", "install"]\ndef f():\n    subprocess.run(PIP + ["x"])\n'
    assert "timeout=120)" in rewrite(src)


def test_command_rebound_is_unknown() -> None:
    src = 'import subprocess\ncmd = ["pip"]\ncmd = ["ls"]\nsubprocess.run(cmd)\n'
    assert "command not recognised" in scan("t.py", src, DEFAULTS).findings[0].message


def test_popen_command_sets_the_value_of_wait() -> None:
    src = 'import subprocess\np = subprocess.Popen(["npm", "ci"])\np.wait()\n'
    assert rewrite(src).endswith("p.wait(timeout=120)\n")


def test_args_keyword() -> None:
    assert "timeout=120)" in rewrite('import subprocess\nsubprocess.run(args=["pip", "install"])\n')


def test_params_change_the_values() -> None:
    src = 'import subprocess\nsubprocess.run(["mytest"])\nsubprocess.run(["pytest"])\n'
    out = rewrite(src, default=5, rules={"tests": 90}, test_runners=["mytest"])
    assert out.splitlines()[1:] == [
        'subprocess.run(["mytest"], timeout=90)',
        'subprocess.run(["pytest"], timeout=5)',
    ]


# -- findings and counts --------------------------------------------------------------------------


def test_findings_and_counts() -> None:
    src = (
        "import asyncio, os, subprocess\n"
        'subprocess.run(["git", "push"])\n'
        "subprocess.run(cmd)\n"
        'subprocess.run(["ls"], **kw)\n'
        'subprocess.run(["ls"], timeout=3)\n'
        'os.system("ls")\n'
        'os.popen("ls")\n'
        "asyncio.create_subprocess_shell('ls')\n"
    )
    result = scan("t.py", src, DEFAULTS)
    kinds = [(f.line, f.kind, f.edited) for f in result.findings]
    assert kinds == [
        (2, "subprocess-timeout", True),
        (3, "subprocess-timeout", True),
        (4, "subprocess-kwargs", False),
        (6, "os-system", False),
        (7, "os-system", False),
        (8, "asyncio-subprocess", False),
    ]
    messages = [f.message for f in result.findings]
    assert messages[0].startswith("subprocess.run: added timeout=30 (git push); unsafe: interac")
    assert "may already pass timeout" in messages[2]
    assert "subprocess.run" in messages[4] and "wait_for" in messages[5]
    assert dict(result.counts) == {
        "calls": 2,
        "unsafe_edited": 2,
        "default": 1,
        "kwargs": 1,
        "has_timeout": 1,
        "os_system": 2,
        "asyncio_subprocess": 1,
    }


def test_fstring_call_is_reported_not_edited() -> None:
    result = scan("t.py", "import subprocess\nx = f\"{subprocess.run(['ls'])}\"\n", DEFAULTS)
    (finding,) = result.findings
    assert (finding.line, finding.kind, finding.edited) == (2, "subprocess-timeout", False)


def test_parse_error_is_a_finding() -> None:
    src = "import subprocess\nsubprocess.run(['ls'\n"
    result = scan("bad.py", src, DEFAULTS)
    assert result.after == src
    (finding,) = result.findings
    assert finding.kind == "parse-error" and finding.path == "bad.py"


def test_broken_edit_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, layout: Any, keyword: str) -> module.Edit:
        return module.Edit(layout.end - 1, layout.end - 1, f", {keyword} (")

    monkeypatch.setattr(module, "insertion", broken)
    src = 'import subprocess\nx = 1\nsubprocess.run(["ls"])\n'
    result = scan("t.py", src, DEFAULTS)
    assert result.after == src and not result.edits
    (finding,) = result.findings
    assert (finding.kind, finding.line) == ("internal-error", 3)


def test_a_broken_edit_after_nested_calls_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested calls are checked with the call around them; the calls after them still are."""
    right = module.insertion

    def broken_for_call(text: str, layout: Any, keyword: str) -> module.Edit:
        if text.startswith("subprocess.call", layout.start):
            return module.Edit(layout.end - 1, layout.end - 1, f", {keyword} (")
        return right(text, layout, keyword)

    monkeypatch.setattr(module, "insertion", broken_for_call)
    src = (
        "import subprocess\n"
        'subprocess.run(subprocess.check_output(["a"]).split())\n'
        'subprocess.call(["b"])\n'
    )
    result = scan("t.py", src, DEFAULTS)
    assert result.after == src and not result.edits
    assert [(f.kind, f.line) for f in result.findings] == [("internal-error", 3)]


def test_transform_counts_and_changes(tmp_path: Path) -> None:
    files = {
        "scripts/a.py": 'import subprocess\nsubprocess.run(["pip", "install", "x"])\n',
        "scripts/b.py": "import os\nos.system('ls')\n",
        "scripts/c.py": "print('nothing')\n",
        "scripts/data.txt": "subprocess.run(['ls'])\n",
    }
    result = run(tmp_path, files)
    assert [c.path for c in result.changes] == ["scripts/a.py"]
    assert result.counts["calls"] == 1 and result.counts["files"] == 1
    assert result.counts["os_system"] == 1 and result.counts["default"] == 0
    assert {f.kind for f in result.findings} == {"subprocess-timeout", "os-system"}


# -- bytes survive --------------------------------------------------------------------------------


def test_crlf(tmp_path: Path) -> None:
    src = b'import subprocess\r\nsubprocess.run(\r\n    ["ls"],\r\n)\r\nsubprocess.run(["ls"])\r\n'
    result = run(tmp_path, {"t.py": src})
    (change,) = result.changes
    assert encode(change.after or "", change.encoding, change.bom) == (
        b'import subprocess\r\nsubprocess.run(\r\n    ["ls"],\r\n    timeout=10,\r\n)\r\n'
        b'subprocess.run(["ls"], timeout=10)\r\n'
    )


def test_utf8_bom(tmp_path: Path) -> None:
    src = codecs.BOM_UTF8 + 'import subprocess\nsubprocess.run(["écho"])\n'.encode()
    (change,) = run(tmp_path, {"t.py": src}).changes
    assert change.bom
    assert encode(change.after or "", change.encoding, change.bom) == (
        codecs.BOM_UTF8 + 'import subprocess\nsubprocess.run(["écho"], timeout=10)\n'.encode()
    )


def test_latin1_with_coding_cookie(tmp_path: Path) -> None:
    src = '# -*- coding: latin-1 -*-\nimport subprocess\nsubprocess.run(["café"])\n'
    (change,) = run(tmp_path, {"t.py": src.encode("latin-1")}).changes
    assert codecs.lookup(change.encoding).name == "iso8859-1"
    expected = src.replace('"café"]', '"café"], timeout=10')
    assert encode(change.after or "", change.encoding, change.bom) == expected.encode("latin-1")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="ast reads PEP 695 from 3.12 on")
def test_pep695_uses_the_libcst_fallback() -> None:
    src = (
        "import subprocess\n"
        "type Cmd = list[str]\n"
        "def f[T](cmd: T) -> T:\n"
        '    return subprocess.run(["ls"])\n'
        "class C[T]:\n"
        "    def run(self, x: T) -> None:\n"
        "        self.run(x)\n"
    )
    with pytest.raises(SyntaxError):
        ast.parse(src)
    assert rewrite(src) == src.replace('["ls"])', '["ls"], timeout=10)')


def test_libcst_fallback_resolves_scopes() -> None:
    src = 'from subprocess import run\ntype X = int\ndef f[T](run: T) -> None:\n    run(["ls"])\n'
    assert rewrite(src) == src


# -- registration and the recipe ------------------------------------------------------------------


def test_registered() -> None:
    spec = transforms.get("subprocess-timeouts")
    assert spec is not None and spec.run is module.subprocess_timeouts
    assert "subprocess_timeouts" in transforms.BUILTIN_MODULES


def test_recipe_loads_with_defaults() -> None:
    recipe = parse_recipe(RECIPE, read_toml(RECIPE))
    assert (recipe.phase, recipe.order, recipe.transform) == (
        "immediate",
        10,
        "subprocess-timeouts",
    )
    assert recipe.paths == (".claude/hooks/**/*.py", "scripts/**/*.py")
    assert dict(recipe.params) == {**DEFAULTS, "unsafe": False}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rules": {"git-pus": 30}}, "key 'params.rules' must be a table of seconds"),
        ({"rules": {"tests": 0}}, "positive whole numbers"),
        ({"default": "10"}, "key 'params.default' must be a positive whole number of seconds"),
        ({"test_runners": "pytest"}, "key 'params.test_runners' must be a list of strings"),
        ({"timeouts": {}}, "unknown key 'params.timeouts'"),
    ],
)
def test_recipe_params_are_checked(params: dict[str, Any], message: str) -> None:
    data = {**read_toml(RECIPE), "params": params}
    with pytest.raises(UserError, match=message) as error:
        parse_recipe(RECIPE, data)
    assert str(RECIPE) in error.value.message


# -- properties -----------------------------------------------------------------------------------

IMPORTS = [
    "import subprocess",
    "import subprocess as sp",
    "from subprocess import run, Popen",
    "from subprocess import check_output as co",
    "import os",
    "import sys",
]
CALLS = [
    'subprocess.run(["git", "push"])',
    "sp.call(cmd, shell=True)",
    'run(["pytest"],\n    check=True)',
    'co(\n    ["pip", "install"],\n    text=True,\n)',
    'p = Popen(["ls"])\np.wait()',
    "subprocess.check_call(args, timeout=3)",
    "os.system('ls')",
    "run(**kw)",
    'subprocess.run(  # c\n    ["ls"]  # d\n)',
]
NEUTRAL = [
    *("x = 1", "print(run)", "y = [i for i in range(3)]", "pass  # run(['ls'])"),
    "s = 'subprocess'",
]
WRAPPERS = [
    "{}",
    "def f(cmd, args, kw):\n{}",
    "def run():\n{}",
    "class C:\n{}",
    "if x:\n{}",
    "with open(f) as p:\n{}",
]


def _indent(code: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in code.splitlines(True))


@st.composite
def programs(draw: st.DrawFn, calls: list[str]) -> str:
    lines = draw(st.lists(st.sampled_from(IMPORTS), max_size=3))
    for _ in range(draw(st.integers(1, 4))):
        body = "\n".join(draw(st.lists(st.sampled_from(calls), min_size=1, max_size=3)))
        wrapper = draw(st.sampled_from(WRAPPERS))
        lines.append(wrapper.format(_indent(body)) if wrapper != "{}" else body)
    text = "\n".join(lines) + "\n"
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(CALLS + NEUTRAL))
def test_property_idempotent_parsing_and_both_front_ends(src: str) -> None:
    once = scan("t.py", src, DEFAULTS)
    ast.parse(once.after)
    assert rewrite(once.after) == once.after
    assert scan("t.py", src, DEFAULTS, "libcst") == once
    for line in once.after.splitlines():
        assert line == line.rstrip() or line in src.splitlines()


@settings(max_examples=60, deadline=None)
@given(programs([*NEUTRAL, "self.run(['ls'])", "obj.wait()", "system = 1"]))
def test_property_files_without_matches_are_untouched(src: str) -> None:
    result = scan("t.py", src, DEFAULTS)
    assert result.after == src and not result.findings


# -- the standard library -------------------------------------------------------------------------


def _changed_lines_are_edits(before: str, after: str, edits: tuple[module.Edit, ...]) -> bool:
    """Every line the diff shows as changed holds (part of) an edit."""
    edited: set[int] = set()
    for edit in edits:
        edited.update(range(before.count("\n", 0, edit.start), before.count("\n", 0, edit.end) + 1))
    matcher = difflib.SequenceMatcher(None, before.split("\n"), after.split("\n"), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        lines = range(i1, i2) if tag != "insert" else range(i1 - 1, i1)
        if tag != "equal" and not set(lines) <= edited:
            return False
    return True


@pytest.mark.slow
def test_stdlib(tmp_path: Path) -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    root = tmp_path / "stdlib"
    files = []
    for path in sorted(stdlib.rglob("*.py")):
        rel = path.relative_to(stdlib)
        if rel.parts[0] == "site-packages" or not path.is_file():
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / rel)
        files.append(rel.as_posix())
    (root / "zz_broken.py").write_text("import subprocess\nsubprocess.run(['ls'\n")
    files.append("zz_broken.py")
    snapshot = Snapshot(root, tuple(files))
    result = module.subprocess_timeouts(snapshot, DEFAULTS)  # one bad file stops nothing
    assert result.counts["calls"] > 100 and result.counts["internal_errors"] == 0
    assert [f.path for f in result.findings if f.kind == "parse-error"][-1] == "zz_broken.py"
    for change in result.changes:
        assert change.before is not None and change.after is not None
        compile(change.after, change.path, "exec", dont_inherit=True)
        edits = scan(change.path, change.before, DEFAULTS).edits
        assert _changed_lines_are_edits(change.before, change.after, edits), change.path
        new_lines = set(change.after.splitlines()) - set(change.before.splitlines())
        assert all(line == line.rstrip() for line in new_lines), change.path
        (root / change.path).write_bytes(encode(change.after, change.encoding, change.bom))
    again = module.subprocess_timeouts(snapshot, DEFAULTS)
    assert again.changes == ()
    assert again.counts["has_timeout"] == result.counts["has_timeout"] + result.counts["calls"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("import subprocess\nsubprocess.run([])", id="module"),
        pytest.param("import os, subprocess as sp\nsp . check_output([])", id="alias-in-list"),
        pytest.param("import subprocess as sp\n(sp\n  .call)([])", id="attribute-across-lines"),
        pytest.param("import \\\n  subprocess\nsubprocess.call([])", id="backslash-import"),
        pytest.param("import subprocess\nsubprocess.Popen([]).wait()", id="popen-wait"),
        pytest.param("from subprocess import (\n  PIPE,\n  run as r,\n)\nr([])", id="from-list"),
        pytest.param("from subprocess import *\n", id="star"),
        pytest.param("from subprocess import (  # see f()\n  run)\n", id="comment-in-list"),
        pytest.param("from \\\n subprocess import check_call", id="backslash-from"),
        pytest.param("def f():\n    import subprocess as s; s.run([])", id="local-import"),
        pytest.param("import os\nos.system('x')", id="os-system"),
        pytest.param("import os.path\nos.popen('x')", id="os-dotted-import"),
        pytest.param("import os as o\no.\\\n  popen('x')", id="os-alias"),
        pytest.param("from os import popen as p", id="from-os"),
        pytest.param("import asyncio\nasyncio.create_subprocess_exec('x')", id="asyncio"),
    ],
)
def test_prefilter_keeps_every_way_to_call(text: str) -> None:
    assert module.may_call(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("import subprocess\nsubprocess.PIPE", id="constant-only"),
        pytest.param("import subprocess\np = subprocess.Popen([])", id="popen-never-waited"),
        pytest.param("from subprocess import PIPE, CalledProcessError", id="from-other-names"),
        pytest.param("import os\nos.path.join('a', 'system')", id="os-without-system"),
        pytest.param("# subprocess.run([])\nimport os", id="no-import"),
        pytest.param("import mysubprocess\nmysubprocess.run([])", id="other-module"),
        pytest.param("import subprocess\nfoo_subprocess.run([])", id="longer-name"),
    ],
)
def test_prefilter_skips_files_that_cannot_call(text: str) -> None:
    assert not module.may_call(text)
    assert scan("f.py", text, DEFAULTS, facts=read_facts(text, "f.py")).counts == {}


@pytest.mark.slow
def test_prefilter_never_skips_a_file_with_a_site_in_the_stdlib() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    checked = 0
    for path in sorted(stdlib.rglob("*.py")):
        data = path.read_bytes()
        if b"subprocess" not in data and b"system" not in data and b"popen" not in data:
            continue  # no site can be spelt without one of these
        text = data.decode("utf-8", "replace")
        if module.may_call(text):
            continue
        facts = read_facts(text, str(path))
        if isinstance(facts, Unparsable):
            continue
        checked += 1
        assert facts.sites == (), path
    assert checked > 100


# -- safe and unsafe edits ---------------------------------------------------------------------

UNSAFE_CASES = [
    pytest.param(
        "import subprocess\n\n\ndef run_cmd(cmd, **kw):\n"
        "    return subprocess.run(cmd, capture_output=True, text=True)\n",
        "the command comes from the caller (`cmd`)",
        id="generic runner run_cmd(cmd, **kw)",
    ),
    pytest.param(
        "import subprocess\n\n\ndef cmd_output(*cmd, cwd=None):\n"
        "    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE)\n"
        "    try:\n        out, _ = proc.communicate()\n"
        "    except subprocess.TimeoutExpired:\n        proc.kill()\n        raise\n"
        "    return out\n",
        "the command comes from the caller (`cmd`)",
        id="hooks framework cmd_output(*cmd) over Popen",
    ),
    pytest.param(
        "import subprocess\n\n\ndef main():\n    subprocess.run(['vim', 'notes.txt'])\n",
        "interactive: output not captured and stdin inherited",
        id="interactive run(cmd)",
    ),
    pytest.param(
        "import subprocess, sys\n\n\ndef install(*packages):\n"
        "    subprocess.check_call([sys.executable, '-m', 'pip', 'install', *packages],"
        " stdout=subprocess.DEVNULL)\n",
        "`pip install` is known to run long, past 120 s",
        id="pip install wrapper",
    ),
    pytest.param(
        "import subprocess\n\n\ndef head():\n    try:\n"
        "        return subprocess.check_output(['git', 'rev-parse', 'HEAD'])\n"
        "    except subprocess.CalledProcessError:\n        return None\n",
        "inside a `try` whose handlers (subprocess.CalledProcessError) do not catch",
        id="except CalledProcessError",
    ),
    pytest.param(
        "import subprocess\n\n\ndef tail():\n"
        "    p = subprocess.Popen(['tail', '-f', 'log'], stdout=subprocess.PIPE)\n"
        "    p.wait()\n",
        "the child would be left running when the wait times out",
        id="Popen child left running",
    ),
]


@pytest.mark.parametrize(("src", "reason"), UNSAFE_CASES)
def test_unsafe_site_is_listed_and_left_unless_unsafe(
    tmp_path: Path, src: str, reason: str
) -> None:
    safe = run(tmp_path, {"scripts/x.py": src}, unsafe=False)
    assert safe.changes == ()
    (finding,) = [f for f in safe.findings if f.kind == UNSAFE]
    assert reason in finding.message and "(use --unsafe)" in finding.message
    assert not finding.edited and safe.counts["unsafe"] == 1
    made = run(tmp_path, {"scripts/x.py": src}, unsafe=True)
    (change,) = made.changes
    assert "timeout=" in (change.after or "") and made.counts["unsafe_edited"] == 1
    assert not [f for f in made.findings if f.kind == UNSAFE]


SAFE_TWINS = [  # (an unsafe call, the same call made safe)
    pytest.param(
        "import subprocess\nsubprocess.run(['git', 'status'])\n",
        "import subprocess\nsubprocess.run(['git', 'status'], capture_output=True)\n",
        id="output captured",
    ),
    pytest.param(
        "import subprocess\ntry:\n    subprocess.run(['ls'], capture_output=True)\n"
        "except subprocess.CalledProcessError:\n    pass\n",
        "import subprocess\ntry:\n    subprocess.run(['ls'], capture_output=True)\n"
        "except (OSError, subprocess.SubprocessError):\n    pass\n",
        id="handlers catch SubprocessError",
    ),
    pytest.param(
        "import subprocess\n\n\ndef lint(cmd):\n"
        "    return subprocess.run(cmd, capture_output=True)\n",
        "import subprocess\n\n\ndef lint(path):\n"
        "    return subprocess.run(['ruff', 'check', path], capture_output=True)\n",
        id="a parameter as an argument, not the command",
    ),
    pytest.param(
        "import subprocess\np = subprocess.Popen(['ls'], stdout=subprocess.PIPE)\n"
        "p.communicate()\n",
        "import subprocess\np = subprocess.Popen(['ls'], stdout=subprocess.PIPE)\ntry:\n"
        "    p.communicate()\nexcept subprocess.TimeoutExpired:\n    p.kill()\n",
        id="Popen killed on expiry",
    ),
]


@pytest.mark.parametrize(("unsafe", "safe"), SAFE_TWINS)
def test_the_safe_twin_is_edited_the_unsafe_one_is_not(unsafe: str, safe: str) -> None:
    params = {**DEFAULTS, "unsafe": False}
    assert scan("t.py", unsafe, params).after == unsafe
    assert "timeout=" in scan("t.py", safe, params).after


def test_hook_script_gets_at_most_its_registered_timeout_minus_a_margin(tmp_path: Path) -> None:
    """A hook registered with `"timeout": 20`: a test runner's 60 s would outlive the hook."""
    settings = {
        "hooks": {
            "Stop": [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "command": "python3 .claude/hooks/check.py",
                            "timeout": 20,
                        }
                    ]
                }
            ]
        }
    }
    hook = "import subprocess\nsubprocess.run(['git', 'push'], capture_output=True)\n"
    files = {".claude/settings.json": json.dumps(settings), ".claude/hooks/check.py": hook}
    result = run(tmp_path, files, unsafe=False)
    (change,) = result.changes
    assert "timeout=15" in (change.after or "")
    (finding,) = result.findings
    assert "at most 15 s inside a hook registered with 20 s" in finding.message
    files[".claude/settings.json"] = json.dumps({"hooks": {}})
    (change,) = run(tmp_path, files, unsafe=False).changes
    assert "timeout=30" in (change.after or "")  # not a hook: git push's own value


@pytest.mark.parametrize(
    "comment", ["# migrate: ignore", "# migrate: ignore[subprocess-timeout]", "#migrate:ignore"]
)
def test_suppression_comment_is_honoured_and_counted(comment: str) -> None:
    src = f"import subprocess\nsubprocess.run(['ls'], capture_output=True)  {comment}\n"
    result = scan("t.py", src, DEFAULTS)
    assert result.after == src and result.findings == ()
    assert result.counts == {"suppressed": 1}
    other = src.replace("ignore", "ignore[pool-workers]").replace("[subprocess-timeout]", "")
    assert "timeout=10" in scan("t.py", other, DEFAULTS).after  # another code: not suppressed


HANDLERS = [
    "subprocess.CalledProcessError",
    "subprocess.TimeoutExpired",
    "subprocess.SubprocessError",
    "OSError",
    "ValueError",
    "Exception",
    "(OSError, subprocess.TimeoutExpired)",
    "(ValueError, subprocess.CalledProcessError)",
    "",
]


@st.composite
def guarded_calls(draw: st.DrawFn) -> str:
    """A call nested in 0-3 `try` statements, each with 1-2 handlers (or only `finally`)."""
    call = (
        "subprocess.run([sys.executable, '-c', 'import time; time.sleep(5)'], capture_output=True)"
    )
    lines = [call]
    for depth in range(draw(st.integers(0, 3))):
        body = ["try:", *("    " + line for line in lines)]
        if draw(st.booleans()) or depth == 0:
            handlers = draw(st.lists(st.sampled_from(HANDLERS), min_size=1, max_size=2))
            for handler in sorted(set(handlers), key=lambda h: h == ""):  # bare `except:` last
                body += [f"except {handler}:".replace("except :", "except:"), "    caught()"]
        else:
            body += ["finally:", "    pass"]
        lines = body
    return "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(guarded_calls())
def test_safe_edits_never_add_an_uncaught_timeout(body: str) -> None:
    """Run each safe edit with a tiny timeout: inside a `try` with handlers, a handler catches
    the TimeoutExpired; the edit is unsafe exactly when none would."""
    src = "import subprocess, sys\n\n\ndef f(caught):\n" + "".join(
        f"    {line}\n" for line in body.splitlines()
    )
    result = scan("t.py", src, {**DEFAULTS, "unsafe": False})
    if result.after == src:
        assert result.counts["unsafe"] == 1
        return
    namespace: dict[str, Any] = {}
    exec(result.after.replace("timeout=10", "timeout=0.05"), namespace)
    hits: list[int] = []
    guarded = "except" in body
    try:
        namespace["f"](lambda: hits.append(1))
    except subprocess.TimeoutExpired:
        assert not guarded, "a safe edit let TimeoutExpired out of a try with handlers"
    else:
        assert hits, "the call timed out, yet nothing caught it"
