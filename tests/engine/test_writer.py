"""The writer: a change set is checked whole before anything is written, then each file is
replaced atomically, keeping its mode (real files in a temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from migrate.engine import writer
from migrate.model import FileChange


def test_one_unparsable_file_after_other_changes_stops_the_whole_set(tmp_path: Path) -> None:
    """A deletion and a non-Python file come first: the check still reaches the Python file."""
    (tmp_path / "notes.md").write_text("old\n")
    (tmp_path / "gone.py").write_text("x = 1\n")
    (tmp_path / "a.py").write_text("y = 0\n")
    changes = [
        FileChange("gone.py", "x = 1\n", None),
        FileChange("notes.md", "old\n", "new\n"),
        FileChange("a.py", "y = 0\n", "y = return\n"),
    ]
    with pytest.raises(writer.UnparsableOutput, match=r"a\.py: the transformed file does not"):
        writer.write(tmp_path, changes)
    assert (tmp_path / "notes.md").read_text() == "old\n"
    assert (tmp_path / "gone.py").exists()
    assert (tmp_path / "a.py").read_text() == "y = 0\n"


def test_writes_deletes_and_creates_keeping_modes(tmp_path: Path) -> None:
    (tmp_path / "run.py").write_text("x = 1\n")
    os.chmod(tmp_path / "run.py", 0o750)
    (tmp_path / "gone.py").write_text("x = 1\n")
    old = os.umask(0o022)
    try:
        written = writer.write(
            tmp_path,
            [
                FileChange("run.py", "x = 1\n", "x = 2\n"),
                FileChange("gone.py", "x = 1\n", None),
                FileChange("pkg/new.py", None, "z = 3\n"),
            ],
        )
    finally:
        os.umask(old)
    assert written == ["run.py", "gone.py", "pkg/new.py"]
    assert (tmp_path / "run.py").read_text() == "x = 2\n"
    assert os.stat(tmp_path / "run.py").st_mode & 0o777 == 0o750
    assert not (tmp_path / "gone.py").exists()
    assert (tmp_path / "pkg/new.py").read_text() == "z = 3\n"
    assert os.stat(tmp_path / "pkg/new.py").st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["new.py", "pkg", "run.py"]


@pytest.mark.parametrize("where", ["linked-folder", "linked-file"])
def test_the_writer_itself_refuses_to_write_through_a_symlink(tmp_path: Path, where: str) -> None:
    """Checked where the write happens: a caller that forgot to filter writes nothing."""
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "a.txt").write_text("theirs\n")
    if where == "linked-folder":
        (root / "sub").symlink_to(outside)
        path = "sub/a.txt"
    else:
        (root / "a.txt").symlink_to(outside / "a.txt")
        path = "a.txt"
    fine = FileChange("ok.txt", None, "mine\n")
    with pytest.raises(writer.UserError, match="symlink"):
        writer.write(root, [fine, FileChange(path, "theirs\n", "changed\n")])
    assert (outside / "a.txt").read_text() == "theirs\n"
    assert not (root / "ok.txt").exists()  # nothing at all was written


def test_a_new_file_two_new_folders_deep_is_created(tmp_path: Path) -> None:
    writer.write(tmp_path, [FileChange("pkg/sub/new.py", None, "z = 3\n")])
    assert (tmp_path / "pkg/sub/new.py").read_text() == "z = 3\n"


def test_a_write_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    """os.replace refuses to put a file over a folder: the temporary copy is removed."""
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/inside.txt").write_text("x\n")
    with pytest.raises(OSError):
        writer.atomic_write(tmp_path / "taken", b"data\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
