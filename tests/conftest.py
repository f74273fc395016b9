"""Fixtures shared by every test: a git identity for CI, and real repositories in tmp folders."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import IDENTITY


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background (`.ci/run &`) inherits SIGINT ignored, and so would
    every migrate the tests start: the Ctrl-C tests need it delivered, as in a terminal."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated_git(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's git config, and every test has an identity."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")


@pytest.fixture
def example_repo(tmp_path: Path) -> Iterator[Path]:
    """The bundled example Claude Code project, as a fresh git repository."""
    from migrate.example import build

    yield build(tmp_path / "project")
