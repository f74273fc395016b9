"""User recipes (`libcst:` and `bowler:`) go through the same preview, validation and revert."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import git, make_repo, run_migrate

LIBCST_MODULE = """
import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand


class RenameOld(VisitorBasedCodemodCommand):
    DESCRIPTION = "Rename old_name to new_name."

    def __init__(self, context, new="new_name"):
        super().__init__(context)
        self.new = new

    def leave_Name(self, original_node, updated_node):
        if updated_node.value == "old_name":
            return updated_node.with_changes(value=self.new)
        return updated_node
"""
BOWLER_MODULE = """
def query(q):
    return q.select_function("old_name").rename("new_name")
"""
CODE = "def old_name():\r\n    return 1  # keep\r\n\r\n\r\nold_name()\r\n"
MATCH = "def old_name():\n    pass\n\n\nmatch 1:\n    case 1:\n        old_name()\n"


def recipe(kind: str, module: str, extra: str = "") -> dict[str, str | bytes]:
    return {
        f".migrate/recipes/{kind}_mod.py": module,
        f".migrate/recipes/{kind}.toml": (
            f'id = "{kind}-rename"\ntitle = "Rename"\ntransform = "{kind}:{kind}_mod.py"\n'
            f'paths = ["src/**/*.py"]\n{extra}[validate]\npytest = false\n'
        ),
    }


def test_libcst_codemod_recipe_with_params(tmp_path: Path) -> None:
    files = {"src/a.py": CODE, "src/b.py": "x = 1\n", **recipe("libcst", LIBCST_MODULE)}
    files[".migrate/recipes/libcst.toml"] = str(files[".migrate/recipes/libcst.toml"]).replace(
        "[validate]", '[params]\nnew = "renamed"\n[validate]'
    )
    repo = make_repo(tmp_path / "repo", files)
    result = run_migrate(repo, "apply", "libcst-rename", "--yes", "--json")
    assert result.returncode == 0, result.stderr
    assert (repo / "src/a.py").read_bytes() == CODE.replace("old_name", "renamed").encode()
    assert (repo / "src/b.py").read_text() == "x = 1\n"
    assert json.loads(result.stdout)["steps"][0]["files"] == ["src/a.py"]


def test_bowler_recipe_keeps_crlf_and_comments(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"src/a.py": CODE, **recipe("bowler", BOWLER_MODULE)})
    result = run_migrate(repo, "apply", "bowler-rename", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo / "src/a.py").read_bytes() == CODE.replace("old_name", "new_name").encode()


def test_bowler_unparsable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    files = {"src/a.py": CODE, "src/m.py": MATCH, **recipe("bowler", BOWLER_MODULE)}
    repo = make_repo(tmp_path / "repo", files)
    head = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "apply", "bowler-rename", "--yes")
    assert result.returncode == 2
    assert "src/m.py" in result.stderr and "--skip-unparsable" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "src/a.py").read_bytes() == CODE.encode()
    skipped = run_migrate(repo, "apply", "bowler-rename", "--yes", "--skip-unparsable")
    assert skipped.returncode == 0, skipped.stderr
    assert "src/m.py" in skipped.stdout
    assert "new_name" in (repo / "src/a.py").read_text()
    assert (repo / "src/m.py").read_text() == MATCH


def test_libcst_handles_match_statements(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"src/m.py": MATCH, **recipe("libcst", LIBCST_MODULE)})
    result = run_migrate(repo, "apply", "libcst-rename", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "+        new_name()" in result.stdout


def test_user_module_without_a_transform_is_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"src/a.py": CODE, **recipe("bowler", "X = 1\n")})
    result = run_migrate(repo, "apply", "bowler-rename", "--yes")
    assert result.returncode == 2
    assert "bowler_mod.py" in result.stderr and "query" in result.stderr
