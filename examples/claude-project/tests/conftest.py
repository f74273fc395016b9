"""Shared fixtures: run a hook script the way Claude Code does (JSON on stdin)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".claude" / "hooks"
sys.path.insert(0, str(ROOT / "scripts" / "lib"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A throwaway CLAUDE_PROJECT_DIR, so hook state never lands in the repository."""
    (tmp_path / ".claude").mkdir()
    shutil.copy(ROOT / ".claude" / "synapses.json", tmp_path / ".claude" / "synapses.json")
    return tmp_path


@pytest.fixture
def run_hook(project: Path):
    def run(name: str, payload: dict) -> subprocess.CompletedProcess:
        payload = {"session_id": "test-session", "cwd": str(ROOT), **payload}
        return subprocess.run(
            [sys.executable, str(HOOKS / name)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "CLAUDE_PROJECT_DIR": str(project)},
            timeout=20,
        )

    return run
