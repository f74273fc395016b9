"""Tests for the `agent-parallelism-doc` transform: the checklist block is added once, in place."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from migrate import transforms
from migrate.errors import UserError
from migrate.files import Snapshot, encode
from migrate.model import TransformResult
from migrate.transforms.agent_doc import DEFAULT_BLOCK

BLOCK = DEFAULT_BLOCK


def run(root: Path, content: bytes | None, **params: Any) -> TransformResult:
    """Run the transform over `root`, with CLAUDE.md holding `content` (None: no such file)."""
    if content is not None:
        (root / "CLAUDE.md").write_bytes(content)
    spec = transforms.get("agent-parallelism-doc")
    assert spec is not None
    return spec.run(Snapshot(root, ("CLAUDE.md",)), spec.with_defaults(params))


def written(root: Path, content: bytes | None, **params: Any) -> bytes:
    """The bytes CLAUDE.md would hold after the transform."""
    (change,) = run(root, content, **params).changes
    return encode(change.after or "", change.encoding, change.bom)


MUST_CHANGE = [
    pytest.param(b"# Project\n", b"# Project\n\n" + BLOCK.encode(), id="trailing newline"),
    pytest.param(b"# Project", b"# Project\n\n" + BLOCK.encode(), id="no newline at end"),
    pytest.param(b"# Project\n\n", b"# Project\n\n" + BLOCK.encode(), id="blank line at end"),
    pytest.param(b"# Project\n  ", b"# Project\n  \n" + BLOCK.encode(), id="blank unended line"),
    pytest.param(b"", BLOCK.encode(), id="empty file"),
    pytest.param(
        b"# Project\r\n\r\nRules.\r\n",
        b"# Project\r\n\r\nRules.\r\n\r\n" + BLOCK.replace("\n", "\r\n").encode(),
        id="crlf",
    ),
    pytest.param(
        codecs.BOM_UTF8 + b"# Project\n",
        codecs.BOM_UTF8 + b"# Project\n\n" + BLOCK.encode(),
        id="utf-8 bom",
    ),
    pytest.param(
        b"\tTabs stay.\n5. Multiple agents needed?\n",
        b"\tTabs stay.\n5. Multiple agents needed?\n\n" + BLOCK.encode(),
        id="part of the block only",
    ),
]

MUST_NOT_CHANGE = [
    pytest.param(b"# Project\n\n" + BLOCK.encode() + b"\nMore.\n", id="present"),
    pytest.param(BLOCK.encode().rstrip(b"\n"), id="present without newline at end"),
    pytest.param(b"# P\r\n\r\n" + BLOCK.replace("\n", "\r\n").encode(), id="present with crlf"),
    pytest.param(BLOCK.replace("\n", "  \n").encode(), id="present with trailing spaces"),
    pytest.param(codecs.BOM_UTF8 + BLOCK.encode(), id="present after bom"),
]


@pytest.mark.parametrize(("before", "after"), MUST_CHANGE)
def test_appends_block(tmp_path: Path, before: bytes, after: bytes) -> None:
    assert written(tmp_path, before) == after


@pytest.mark.parametrize("before", MUST_NOT_CHANGE)
def test_block_present(tmp_path: Path, before: bytes) -> None:
    result = run(tmp_path, before)
    assert result.changes == ()
    assert result.counts == {"inserted": 0}
    assert "already present" in result.notes[0]


@pytest.mark.parametrize(("before", "after"), MUST_CHANGE)
def test_idempotent(tmp_path: Path, before: bytes, after: bytes) -> None:
    once = written(tmp_path, before)
    assert run(tmp_path, once).changes == ()


def test_missing_file_created(tmp_path: Path) -> None:
    result = run(tmp_path, None)
    (change,) = result.changes
    assert (change.path, change.before, change.after) == ("CLAUDE.md", None, BLOCK)
    assert result.counts == {"inserted": 1}
    assert [(f.line, f.edited) for f in result.findings] == [(1, True)]


def test_finding_names_first_line_of_block(tmp_path: Path) -> None:
    result = run(tmp_path, b"# P\r\nrules\r\n")
    assert [(f.path, f.line, f.kind) for f in result.findings] == [
        ("CLAUDE.md", 4, "agent-parallelism-doc")
    ]


def test_other_file_and_block(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "AGENTS.md").write_bytes(b"# Agents\n")
    block = "\n\n## Using agents\r\nUse agents.\r\n\n"
    result = run(tmp_path, None, file="docs/AGENTS.md", block=block)
    (change,) = result.changes
    expected = "# Agents\n\n## Using agents\nUse agents.\n"
    assert (change.path, change.after) == ("docs/AGENTS.md", expected)


@pytest.mark.parametrize("path", ["/etc/motd", "../CLAUDE.md", "docs/../../x.md", "C:/x.md"])
def test_file_outside_repository_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(UserError, match=r"params\.file"):
        run(tmp_path, None, file=path)


def test_empty_block_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"params\.block"):
        run(tmp_path, b"# P\n", block=" \n\n")


def test_binary_file_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not text"):
        run(tmp_path, b"\0\1\2")


def test_after_a_numbered_list_the_block_is_a_section_of_its_own(tmp_path: Path) -> None:
    """The plan's item "5. Multiple agents needed?" once landed in CLAUDE.md files that had no
    such list, reading as a fifth item of the file's last list."""
    before = "# Rules\n\n1. Read first.\n2. Test.\n"
    after = written(tmp_path, before.encode()).decode()
    added = after[len(before) :].splitlines()
    assert added[:2] == ["", "## ⚡ Performance checklist: parallel agents"]
    assert not any(line[:1].isdigit() for line in added)
    assert run(tmp_path, after.encode()).changes == ()


def test_a_block_without_a_heading_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"params\.block must start with a Markdown heading"):
        run(tmp_path, b"# P\n", block="5. Multiple agents needed?\n")


def test_the_heading_alone_counts_as_present(tmp_path: Path) -> None:
    edited = "# P\n\n## ⚡ Performance checklist: parallel agents\n\nOur own words.\n"
    result = run(tmp_path, edited.encode())
    assert result.changes == () and "heading is already present at line 3" in result.notes[0]
