"""The project's formatter on the lines a codemod changed, and on no other line."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from migrate import transforms
from migrate.files import Snapshot
from migrate.model import TransformResult
from migrate.transforms import formatting

MIGRATE_PYTHON = '[validate]\npython = "{migrate_python}"\n'
RUFF_60 = "[tool.ruff]\nline-length = 60\n"
BLACK_60 = "[tool.black]\nline-length = 60\n"
# Other lines are badly formatted on purpose: none of them may change.
BEFORE = (
    "import subprocess\n"
    "x = [1,2,   3]\n"
    "def f():\n"
    '    return subprocess.run(["git", "status"], capture_output=True)\n'
    "y = {  'a':1 }\n"
)
UNFORMATTED = BEFORE.replace("capture_output=True)", "capture_output=True, timeout=10)")
FORMATTED = (
    "import subprocess\n"
    "x = [1,2,   3]\n"
    "def f():\n"
    "    return subprocess.run(\n"
    '        ["git", "status"], capture_output=True, timeout=10\n'
    "    )\n"
    "y = {  'a':1 }\n"
)


def run(root: Path, transform: str, files: Mapping[str, str], **params: Any) -> TransformResult:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode())
    spec = transforms.get(transform)
    assert spec is not None
    py = tuple(name for name in files if name.endswith(".py"))
    return spec.run(Snapshot(root, py), spec.with_defaults(params))


def timeouts(root: Path, files: Mapping[str, str]) -> TransformResult:
    return run(root, "subprocess-timeouts", files)


def _ruff_beside_migrate_python() -> None:
    if not (Path(sys.executable).parent / "ruff").is_file():
        pytest.skip("ruff is not installed next to this Python")


def test_ruff_formats_the_changed_call_and_no_other_line(tmp_path: Path) -> None:
    _ruff_beside_migrate_python()
    files = {"pyproject.toml": RUFF_60, ".migrate/config.toml": MIGRATE_PYTHON, "a.py": BEFORE}
    result = timeouts(tmp_path, files)
    assert result.changes[0].after == FORMATTED
    assert result.notes == ("formatted the changed lines with ruff format in 1 file(s)",)


def test_ruff_toml_and_crlf_are_kept(tmp_path: Path) -> None:
    _ruff_beside_migrate_python()
    files = {
        "ruff.toml": "line-length = 60\n[format]\nquote-style = 'single'\n",
        ".migrate/config.toml": MIGRATE_PYTHON,
        "a.py": BEFORE.replace("\n", "\r\n"),
    }
    after = timeouts(tmp_path, files).changes[0].after
    assert after == FORMATTED.replace('"', "'").replace("\n", "\r\n")


def test_max_workers_lines_are_formatted_too(tmp_path: Path) -> None:
    _ruff_beside_migrate_python()
    source = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "x = [1,2,   3]\n"
        "pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix='worker')\n"
    )
    files = {"pyproject.toml": RUFF_60, ".migrate/config.toml": MIGRATE_PYTHON, "p.py": source}
    result = run(tmp_path, "max-workers", files, to=5000)
    assert result.changes[0].after == (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "x = [1,2,   3]\n"
        "pool = ThreadPoolExecutor(\n"
        '    max_workers=5000, thread_name_prefix="worker"\n'
        ")\n"
    )


def test_two_edited_calls_in_one_file_are_both_formatted(tmp_path: Path) -> None:
    _ruff_beside_migrate_python()
    source = BEFORE + 'subprocess.run(["git", "log", "--oneline"], capture_output=True)\n'
    files = {"pyproject.toml": RUFF_60, ".migrate/config.toml": MIGRATE_PYTHON, "a.py": source}
    after = timeouts(tmp_path, files).changes[0].after
    assert after == FORMATTED + (
        "subprocess.run(\n"
        '    ["git", "log", "--oneline"],\n'
        "    capture_output=True,\n"
        "    timeout=10,\n"
        ")\n"
    )


@pytest.mark.skipif(importlib.util.find_spec("black") is not None, reason="black is installed")
def test_black_configured_but_not_installed_reports_long_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    files = {"pyproject.toml": BLACK_60, ".migrate/config.toml": MIGRATE_PYTHON, "a.py": BEFORE}
    result = timeouts(tmp_path, files)
    assert result.changes[0].after == UNFORMATTED
    assert result.notes == (
        "1 changed line(s) exceed the line length of 60 (black is configured but not"
        " installed): a.py",
    )


def test_black_formats_the_changed_lines_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    black = shutil.which("black")
    if black is None:
        pytest.skip("black is not on PATH")
    monkeypatch.setenv("PATH", str(Path(black).parent))
    files = {"pyproject.toml": BLACK_60, ".migrate/config.toml": MIGRATE_PYTHON, "a.py": BEFORE}
    result = timeouts(tmp_path, files)
    assert result.changes[0].after == FORMATTED
    assert result.notes == ("formatted the changed lines with black in 1 file(s)",)


def _fake_environment(tmp_path: Path, ruff_script: str) -> str:
    """A project Python with a `ruff` next to it that runs `ruff_script`."""
    bin_ = tmp_path / "env" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").symlink_to(sys.executable)
    (bin_ / "ruff").write_text(f"#!/bin/sh\n{ruff_script}\n")
    (bin_ / "ruff").chmod(0o755)
    return f'[validate]\npython = "{bin_ / "python"}"\n'


def test_a_failing_formatter_leaves_the_text_and_says_so(tmp_path: Path) -> None:
    config = _fake_environment(tmp_path, "echo 'error: boom' >&2; exit 2")
    files = {"pyproject.toml": RUFF_60, ".migrate/config.toml": config, "a.py": BEFORE}
    result = timeouts(tmp_path, files)
    assert result.changes[0].after == UNFORMATTED
    assert result.notes == (
        "ruff format failed on a.py (error: boom); its changed lines are left as written",
        "1 changed line(s) exceed the line length of 60: a.py",
    )


def test_a_formatter_that_touches_other_lines_is_refused(tmp_path: Path) -> None:
    """Whatever the formatter answers, lines outside the changed statements stay."""
    config = _fake_environment(tmp_path, "sed 's/x = \\[1,2,   3\\]/x = [1, 2, 3]/'")
    files = {"pyproject.toml": RUFF_60, ".migrate/config.toml": config, "a.py": BEFORE}
    result = timeouts(tmp_path, files)
    assert result.changes[0].after == UNFORMATTED
    assert "it would change lines the codemod did not change" in result.notes[0]


def test_no_formatter_configured_changes_nothing_and_says_nothing(tmp_path: Path) -> None:
    files = {".migrate/config.toml": MIGRATE_PYTHON, "a.py": BEFORE}
    result = timeouts(tmp_path, files)
    assert result.changes[0].after == UNFORMATTED
    assert result.notes == ()


@pytest.mark.parametrize(
    ("before", "after", "spans"),
    [
        pytest.param("a\nb\nc\n", "a\nB\nc\n", [(2, 2)], id="one line"),
        pytest.param("a\nb\n", "a\nb1\nb2\nb3\n", [(2, 4)], id="one line becomes three"),
        pytest.param("a\x0cb\nc\n", "a\x0cb\nC\n", [(2, 2)], id="a form feed is no line end"),
        pytest.param("a\r\nb\r\n", "a\r\nb\n", [(2, 2)], id="a new line ending is a change"),
    ],
)
def test_changed_spans(before: str, after: str, spans: list[tuple[int, int]]) -> None:
    assert formatting.changed_spans(before, after) == spans


def test_regions_grow_to_whole_statements_and_merge() -> None:
    text = "f(\n    a,\n    b,\n)\ng(c)\nh(d)\n"
    assert formatting.regions(text, [(3, 3), (5, 5)]) == [(1, 5)]
    assert formatting.regions(text, [(6, 6)]) == [(6, 6)]


def test_the_project_python_is_asked_first(tmp_path: Path) -> None:
    config = _fake_environment(tmp_path, "exit 0")
    (tmp_path / ".migrate").mkdir()
    (tmp_path / ".migrate" / "config.toml").write_text(config)
    found = formatting.find_formatter(tmp_path, "ruff")
    assert found == (str(tmp_path / "env" / "bin" / "ruff"),)
    assert os.access(found[0], os.X_OK)
