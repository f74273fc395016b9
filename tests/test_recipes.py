"""Recipe files: every mistake is one sentence naming the file and key, exit 2, nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.errors import UserError
from migrate.recipes import load_all, recipe_dirs
from tests.helpers import git, make_repo, run_migrate

GOOD = 'id = "{id}"\ntitle = "T"\ntransform = "agent-parallelism-doc"\npaths = ["CLAUDE.md"]\n'


@pytest.mark.parametrize(
    "text, key",
    [
        pytest.param(GOOD.format(id="x") + "colour = 1\n", "'colour'", id="unknown-key"),
        pytest.param('title = "T"\ntransform = "max-workers"\n', "'id'", id="missing-id"),
        pytest.param(GOOD.format(id="x") + "order = 'first'\n", "'order'", id="wrong-type"),
        pytest.param(GOOD.format(id="x") + 'phase = "later"\n', "'phase'", id="bad-phase"),
        pytest.param(
            'id = "x"\ntitle = "T"\ntransform = "no-such"\n', "'transform'", id="unknown-transform"
        ),
        pytest.param(
            GOOD.format(id="x").replace('["CLAUDE.md"]', '["../outside/*.py"]'),
            "'paths'",
            id="path-outside",
        ),
        pytest.param(
            GOOD.format(id="x").replace('["CLAUDE.md"]', '["/etc/*.py"]'), "'paths'", id="absolute"
        ),
        pytest.param(
            GOOD.format(id="x") + "[params]\nfile = 3\n", "'params.file'", id="param-type"
        ),
        pytest.param(
            GOOD.format(id="x") + "[params]\nfiel = 'a'\n", "'params.fiel'", id="param-key"
        ),
        pytest.param(
            GOOD.format(id="x") + "[validate]\npytest = 'yes'\n", "'validate.pytest'", id="v"
        ),
        pytest.param(
            GOOD.format(id="x") + "[validate]\nlint = true\n", "'validate.lint'", id="v-key"
        ),
        pytest.param(GOOD.format(id="x") + 'requires = ["nope"]\n', "'requires'", id="requires"),
        pytest.param("id = [unclosed\n", "invalid TOML", id="toml-syntax"),
        pytest.param(
            'id = "x"\ntitle = "T"\ntransform = "libcst:missing.py"\n', "'transform'", id="user-mod"
        ),
    ],
)
def test_bad_recipe_is_one_sentence_exit_2(tmp_path: Path, text: str, key: str) -> None:
    repo = make_repo(tmp_path / "repo", {".migrate/recipes/bad.toml": text, "CLAUDE.md": "# x\n"})
    head = git(repo, "rev-parse", "HEAD")
    result = run_migrate(repo, "apply", "agent-parallelism-doc", "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "bad.toml" in result.stderr and key in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--list", "migrate/*") == ""


def test_cycle_in_requires_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "a.toml").write_text(GOOD.format(id="a") + 'requires = ["b"]\n')
    (folder / "b.toml").write_text(GOOD.format(id="b") + 'requires = ["a"]\n')
    with pytest.raises(UserError, match=r"cycle \((a -> b -> a|b -> a -> b)\)"):
        load_all([folder])


def test_repo_and_extra_folders_override_builtins_in_order(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".migrate/recipes").mkdir(parents=True)
    (repo / ".migrate/recipes/doc.toml").write_text(
        GOOD.format(id="agent-parallelism-doc").replace('title = "T"', 'title = "Repo"')
    )
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "mine.toml").write_text(GOOD.format(id="mine"))
    loaded = load_all(recipe_dirs(repo, [extra]))
    assert loaded["agent-parallelism-doc"].title == "Repo"
    assert "mine" in loaded and "max-workers" in loaded


def test_list_groups_by_phase_and_shows_status(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"CLAUDE.md": "# x\n"})
    assert run_migrate(repo, "apply", "agent-parallelism-doc").returncode == 0
    result = run_migrate(repo, "list")
    assert result.returncode == 0
    lines = {line.split("│")[2].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "applied" in lines["agent-parallelism-doc"]
    assert "pending" in lines["max-workers"]
    assert "Immediate" in lines["max-workers"]


def test_show_prints_params(tmp_path: Path) -> None:
    result = run_migrate(tmp_path, "show", "max-workers")
    assert result.returncode == 0
    assert "params.to = 50" in result.stdout


def test_unknown_recipe_id_is_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    result = run_migrate(repo, "apply", "no-such-recipe")
    assert result.returncode == 2
    assert "no-such-recipe" in result.stderr
