"""Tests for the `max-workers` transform: what must change, what must not, and how bytes survive."""

from __future__ import annotations

import ast
import codecs
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate import transforms
from migrate.errors import UserError
from migrate.files import Snapshot, encode
from migrate.model import TransformResult
from migrate.transforms import max_workers as module


def run(root: Path, files: Mapping[str, bytes | str], **params: Any) -> TransformResult:
    """Write `files` under `root` and run the transform over them with `params` over defaults."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    spec = transforms.get("max-workers")
    assert spec is not None
    return spec.run(Snapshot(root, tuple(files)), spec.with_defaults(params))


def rewrite(root: Path, src: str, **params: Any) -> str:
    """The new text of one file `t.py` holding `src` (the same text when nothing changes)."""
    result = run(root, {"t.py": src}, **params)
    return result.changes[0].after if result.changes else src  # type: ignore[return-value]


MUST_CHANGE = [
    pytest.param(
        "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(max_workers=10) as ex:\n"
        "    pass\n",
        "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(max_workers=50) as ex:\n"
        "    pass\n",
        id="thread pool",
    ),
    pytest.param(
        "import concurrent.futures\nconcurrent.futures.ThreadPoolExecutor(max_workers=10)\n",
        "import concurrent.futures\nconcurrent.futures.ThreadPoolExecutor(max_workers=50)\n",
        id="dotted module attribute",
    ),
    pytest.param(
        "from concurrent import futures\nfutures.ProcessPoolExecutor(max_workers=10)\n",
        "from concurrent import futures\nfutures.ProcessPoolExecutor(max_workers=50)\n",
        id="process pool through module",
    ),
    pytest.param(
        "from concurrent.futures import ThreadPoolExecutor as Pool\nPool(max_workers=10)\n",
        "from concurrent.futures import ThreadPoolExecutor as Pool\nPool(max_workers=50)\n",
        id="imported alias",
    ),
    pytest.param(
        "def f():\n    return Pool(max_workers=10)\n"
        "from concurrent.futures import ProcessPoolExecutor as Pool\n",
        "def f():\n    return Pool(max_workers=50)\n"
        "from concurrent.futures import ProcessPoolExecutor as Pool\n",
        id="alias imported after use",
    ),
    pytest.param(
        "run_parallel(jobs, max_workers=10)\nlib.run_parallel(jobs, max_workers=10)\n",
        "run_parallel(jobs, max_workers=50)\nlib.run_parallel(jobs, max_workers=50)\n",
        id="listed callee, plain and dotted",
    ),
    pytest.param(
        "from lib import run_parallel as rp\nrp(jobs, max_workers=10)\n",
        "from lib import run_parallel as rp\nrp(jobs, max_workers=50)\n",
        id="listed callee through alias",
    ),
    pytest.param(
        "ex = ThreadPoolExecutor(\n    max_workers=10,  # ten is too few\n)\n",
        "ex = ThreadPoolExecutor(\n    max_workers=50,  # ten is too few\n)\n",
        id="comment next to argument",
    ),
    pytest.param(
        "ex = ThreadPoolExecutor(\n    max_workers\n    =\n    10\n)\n",
        "ex = ThreadPoolExecutor(\n    max_workers\n    =\n    50\n)\n",
        id="keyword spread over lines",
    ),
    pytest.param(
        "ex = ThreadPoolExecutor(max_workers = 10)\n",
        "ex = ThreadPoolExecutor(max_workers = 50)\n",
        id="spaces around equals kept",
    ),
    pytest.param(
        "ex = ThreadPoolExecutor(max_workers=(10))\n",
        "ex = ThreadPoolExecutor(max_workers=(50))\n",
        id="parenthesised value",
    ),
    pytest.param(
        "if True:\n\tex = ThreadPoolExecutor(\n\t\tmax_workers=10,\n\t)\n",
        "if True:\n\tex = ThreadPoolExecutor(\n\t\tmax_workers=50,\n\t)\n",
        id="tabs",
    ),
    pytest.param(
        'ex = ThreadPoolExecutor(thread_name_prefix="café ☕", max_workers=10)\n',
        'ex = ThreadPoolExecutor(thread_name_prefix="café ☕", max_workers=50)\n',
        id="non-ascii before the number on its line",
    ),
    pytest.param(
        "match cmd:\n"
        "    case 'go':\n"
        "        ThreadPoolExecutor(max_workers=10)\n"
        "    case _:\n"
        "        pass\n",
        "match cmd:\n"
        "    case 'go':\n"
        "        ThreadPoolExecutor(max_workers=50)\n"
        "    case _:\n"
        "        pass\n",
        id="match statement",
    ),
    pytest.param(
        "a = ThreadPoolExecutor(max_workers=10); b = ProcessPoolExecutor(max_workers=10)\n",
        "a = ThreadPoolExecutor(max_workers=50); b = ProcessPoolExecutor(max_workers=50)\n",
        id="two on one line",
    ),
]

MUST_NOT_CHANGE = [
    pytest.param("n = 10\nThreadPoolExecutor(max_workers=n)\n", id="variable value"),
    pytest.param("ThreadPoolExecutor(max_workers=100)\n", id="different number, longer"),
    pytest.param("ThreadPoolExecutor(max_workers=1)\n", id="different number, shorter"),
    pytest.param("ThreadPoolExecutor(max_workers=10.0)\n", id="float"),
    pytest.param("ThreadPoolExecutor(max_workers=-10)\n", id="negative"),
    pytest.param("ThreadPoolExecutor(10)\n", id="positional"),
    pytest.param("other(max_workers=10)\nlib.spawn(max_workers=10)\n", id="callee not listed"),
    pytest.param("def run_parallel(jobs, max_workers=10):\n    pass\n", id="default in def"),
    pytest.param("max_workers = 10\n", id="assignment"),
    pytest.param("ThreadPoolExecutor()  # max_workers=10\n", id="comment"),
    pytest.param('doc = "use max_workers=10"\n', id="string without include_strings"),
    pytest.param("ThreadPoolExecutor(workers=10)\n", id="no max_workers at all"),
]

STRINGS_CHANGE = [
    pytest.param(
        'def f():\n    """Run with max_workers=10."""\n',
        'def f():\n    """Run with max_workers=50."""\n',
        id="docstring, sentence ends after the number",
    ),
    pytest.param(
        "msg = 'max_workers = 10'\n",
        "msg = 'max_workers = 50'\n",
        id="spacing kept",
    ),
    pytest.param(
        'msg = f"{n} max_workers=10"\n',
        'msg = f"{n} max_workers=50"\n',
        id="f-string text",
    ),
    pytest.param(
        'msg = (\n    "a "\n    "max_workers=10"\n)\n',
        'msg = (\n    "a "\n    "max_workers=50"\n)\n',
        id="implicit concatenation",
    ),
    pytest.param(
        "CMD = '''\nsed s/max_workers=10/x/\n'''\n",
        "CMD = '''\nsed s/max_workers=50/x/\n'''\n",
        id="triple quoted over lines",
    ),
]

STRINGS_DO_NOT_CHANGE = [
    pytest.param('raw = b"max_workers=10"\nraw2 = Rb"max_workers=10"\n', id="bytes"),
    pytest.param('doc = "max_workers=100 or self_max_workers=10"\n', id="other text"),
    pytest.param("x = 1  # max_workers=10\n", id="comment"),
    pytest.param('doc = "max_workers==10"\n', id="comparison"),
]


@pytest.mark.parametrize(("before", "after"), MUST_CHANGE)
def test_changes(tmp_path: Path, before: str, after: str) -> None:
    assert rewrite(tmp_path, before) == after


@pytest.mark.parametrize("src", MUST_NOT_CHANGE)
def test_does_not_change(tmp_path: Path, src: str) -> None:
    result = run(tmp_path, {"t.py": src})
    assert result.changes == ()
    assert result.counts == {"code": 0, "strings": 0}


@pytest.mark.parametrize(("before", "after"), STRINGS_CHANGE)
def test_strings_change_when_included(tmp_path: Path, before: str, after: str) -> None:
    result = run(tmp_path, {"t.py": before}, include_strings=True)
    assert [c.after for c in result.changes] == [after]
    assert result.counts == {"code": 0, "strings": 1}


@pytest.mark.parametrize(("before", "after"), STRINGS_CHANGE)
def test_strings_unchanged_by_default(tmp_path: Path, before: str, after: str) -> None:
    assert run(tmp_path, {"t.py": before}).changes == ()


@pytest.mark.parametrize("src", STRINGS_DO_NOT_CHANGE)
def test_strings_that_do_not_change(tmp_path: Path, src: str) -> None:
    assert run(tmp_path, {"t.py": src}, include_strings=True).changes == ()


@pytest.mark.parametrize(("before", "after"), MUST_CHANGE)
def test_idempotent(tmp_path: Path, before: str, after: str) -> None:
    once = rewrite(tmp_path, before)
    assert rewrite(tmp_path, once) == once


def test_code_and_strings_counted_apart(tmp_path: Path) -> None:
    src = (
        'def f():\n    """Use max_workers=10."""\n'
        '    return ThreadPoolExecutor(max_workers=10), f"{run_parallel(max_workers=10)}"\n'
    )
    result = run(tmp_path, {"t.py": src}, include_strings=True)
    assert result.changes[0].after == src.replace("=10", "=50")
    assert result.counts == {"code": 2, "strings": 1}
    edits = [(f.line, f.kind, f.edited) for f in result.findings]
    assert edits == [(2, "max-workers", True), (3, "max-workers", True), (3, "max-workers", True)]


def test_other_params(tmp_path: Path) -> None:
    src = "spawn(max_workers=4)\nrun_parallel(max_workers=4)\nThreadPoolExecutor(max_workers=4)\n"
    after = rewrite(tmp_path, src, callees=["spawn"], **{"from": 4, "to": 16})
    assert after == "spawn(max_workers=16)\nrun_parallel(max_workers=4)\n" + (
        "ThreadPoolExecutor(max_workers=16)\n"
    )


@pytest.mark.parametrize("key", ["from", "to"])
def test_non_positive_values_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(UserError, match=rf"params\.{key}"):
        run(tmp_path, {"t.py": "ThreadPoolExecutor(max_workers=10)\n"}, **{key: 0})


def test_only_python_files(tmp_path: Path) -> None:
    files = {
        "notes.txt": "ThreadPoolExecutor(max_workers=10)\n",
        "t.pyi": "x = f'max_workers=10'\n",
    }
    result = run(tmp_path, files, include_strings=True)
    assert [c.path for c in result.changes] == ["t.pyi"]


def test_crlf_kept(tmp_path: Path) -> None:
    before = b"import os\r\nex = ThreadPoolExecutor(\r\n    max_workers=10,\r\n)\r\n"
    (change,) = run(tmp_path, {"t.py": before}).changes
    assert encode(change.after or "", change.encoding, change.bom) == before.replace(b"10", b"50")


def test_utf8_bom_kept(tmp_path: Path) -> None:
    before = codecs.BOM_UTF8 + "é = ThreadPoolExecutor(max_workers=10)\n".encode()
    (change,) = run(tmp_path, {"t.py": before}).changes
    assert change.bom
    assert encode(change.after or "", change.encoding, change.bom) == before.replace(b"10", b"50")


def test_latin1_with_coding_cookie(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\nex = Pool(x='café', max_workers=10)  # café\n"
    before = text.replace("Pool", "ThreadPoolExecutor").encode("latin-1")
    (change,) = run(tmp_path, {"t.py": before}).changes
    assert change.encoding == "iso-8859-1"
    assert encode(change.after or "", change.encoding, change.bom) == before.replace(b"10", b"50")


PEP_695 = "type Jobs = list[str]\r\n\r\ndef go[T](x: T) -> T:\r\n    return x\r\n"


def test_pep695_file_uses_libcst_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def spy(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    from migrate.transforms import _max_workers_cst

    original = _max_workers_cst.cst_find
    monkeypatch.setattr(_max_workers_cst, "cst_find", spy)
    src = (
        PEP_695 + "from concurrent.futures import ProcessPoolExecutor as P\r\n"
        "p = P(name='é☕', max_workers=10)  # é\r\n"
        "doc = 'max_workers=10'; raw = b'max_workers=10'\r\n"
    )
    result = run(tmp_path, {"t.py": src}, include_strings=True, cpus=64)
    assert result.changes[0].after == src.replace("=10'", "=50'", 1).replace("=10)", "=50)")
    assert result.counts == {"code": 1, "strings": 1}
    assert [f.line for f in result.findings] == [6, 7]
    assert bool(calls) == (sys.version_info < (3, 12))


def test_unparsable_file_reported(tmp_path: Path) -> None:
    result = run(tmp_path, {"bad.py": "def f(:\n    ThreadPoolExecutor(max_workers=10)\n"})
    assert result.changes == ()
    ((path, kind),) = [(f.path, f.kind) for f in result.findings]
    assert (path, kind) == ("bad.py", "parse-error")


def test_undecodable_file_reported(tmp_path: Path) -> None:
    result = run(tmp_path, {"bad.py": b"x = '\xff max_workers=10'\n"})
    assert result.changes == ()
    assert [f.kind for f in result.findings] == ["parse-error"]


PROCESS = (
    "from concurrent.futures import ProcessPoolExecutor\nProcessPoolExecutor(max_workers=10)\n"
)


def test_process_pool_over_cpus_warns(tmp_path: Path) -> None:
    result = run(tmp_path, {"t.py": PROCESS}, cpus=4)
    warnings = [f for f in result.findings if f.kind == "max-workers-process-pool"]
    assert [(w.path, w.line, w.edited) for w in warnings] == [("t.py", 2, False)]


def test_process_pool_within_cpus_is_quiet(tmp_path: Path) -> None:
    result = run(tmp_path, {"t.py": PROCESS}, cpus=64)
    assert [f.kind for f in result.findings] == ["max-workers"]


def test_machine_cpus_asked_only_for_process_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cpu_count() -> int:
        raise AssertionError("os.cpu_count() asked without a process pool")

    monkeypatch.setattr(module.os, "cpu_count", no_cpu_count)
    assert run(tmp_path, {"t.py": "ThreadPoolExecutor(max_workers=10)\n"}).changes
    monkeypatch.setattr(module.os, "cpu_count", lambda: 2)
    kinds = [f.kind for f in run(tmp_path, {"t.py": PROCESS}).findings]
    assert kinds == ["max-workers", "max-workers-process-pool"]


SNIPPETS = [
    "ThreadPoolExecutor(max_workers=10)",
    "futures.ProcessPoolExecutor(max_workers = 10)",
    "run_parallel(jobs,\n    max_workers=10,  # comment\n)",
    "other(max_workers=10)",
    "ThreadPoolExecutor(max_workers=n)",
    "x = 'max_workers=10'",
    "y = b'max_workers=10'",
    'z = f"{a} max_workers=10 {run_parallel(max_workers=10)}"',
    '"""max_workers=10"""',
    "# max_workers=10",
    "match x:\n    case 1:\n        ThreadPoolExecutor(max_workers=10)",
    "if x:\n\tThreadPoolExecutor(max_workers=10)",
    "def f(max_workers=10): pass",
    "s = 'café'",
    "",
]


def _run_once(files: Mapping[str, str | bytes], **params: Any) -> TransformResult:
    with tempfile.TemporaryDirectory() as root:
        return run(Path(root), files, **params)


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(st.sampled_from(SNIPPETS), max_size=8),
    newline=st.sampled_from(["\n", "\r\n"]),
    include_strings=st.booleans(),
)
def test_output_parses_and_only_numbers_change(
    parts: list[str], newline: str, include_strings: bool
) -> None:
    src = newline.join(p.replace("\n", newline) for p in parts) + newline
    result = _run_once({"t.py": src}, include_strings=include_strings)
    after = result.changes[0].after if result.changes else src
    assert after is not None
    ast.parse(after)
    assert len(after) == len(src)
    assert {(a, b) for a, b in zip(src, after, strict=True) if a != b} <= {("1", "5")}
    assert _run_once({"t.py": after}, include_strings=include_strings).changes == ()


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("max_workers=19 ()\n\r\t'\"#:fb\\é")), max_size=60))
def test_never_crashes_and_keeps_parsing(src: str) -> None:
    text = "max_workers=10\n" + src
    result = _run_once({"t.py": text.encode()}, include_strings=True)
    if result.changes and _parses(text):
        ast.parse(result.changes[0].after or "")
    if "10" not in text[15:]:
        assert result.changes == ()


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def test_suppression_comment_keeps_the_value_and_is_counted(tmp_path: Path) -> None:
    src = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "a = ThreadPoolExecutor(max_workers=10)  # migrate: ignore[max-workers]\n"
        "b = ThreadPoolExecutor(max_workers=10)\n"
    )
    (tmp_path / "a.py").write_text(src)
    spec = transforms.get("max-workers")
    assert spec is not None
    result = spec.run(Snapshot(tmp_path, ("a.py",)), spec.with_defaults({}))
    (change,) = result.changes
    assert change.after == src.replace(
        "b = ThreadPoolExecutor(max_workers=10)", "b = ThreadPoolExecutor(max_workers=50)"
    )
    assert result.counts["suppressed"] == 1 and result.counts["code"] == 1


@pytest.mark.parametrize(
    "cpus, warned",
    [pytest.param(50, False, id="as-many-cpus"), pytest.param(49, True, id="one-fewer")],
)
def test_process_pool_warning_boundary_is_the_cpu_count(
    tmp_path: Path, cpus: int, warned: bool
) -> None:
    """50 workers (the default `to`) on 50 CPUs is fine; on 49 it is one process too many."""
    result = run(tmp_path, {"t.py": PROCESS}, cpus=cpus)
    warnings = [f for f in result.findings if f.kind == "max-workers-process-pool"]
    assert bool(warnings) is warned
    if warned:
        assert "gets 50 workers but there are 49 CPUs" in warnings[0].message
