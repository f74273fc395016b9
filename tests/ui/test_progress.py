"""Live progress for long steps: a spinner with elapsed time for each running check of `apply`,
payload counts for `hooks verify` and `hooks bench` — in a terminal only, results unchanged."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect

from migrate.hooks import bench, verify
from tests.helpers import git, one_hook_project, run_migrate

PAYLOADS = [{"hook_event_name": "UserPromptSubmit", "prompt": f"p {i}"} for i in range(3)]


def hooked(tmp_path: Path) -> Path:
    return one_hook_project(tmp_path)


def test_verify_reports_every_payload_replayed_and_the_same_result(tmp_path: Path) -> None:
    repo = hooked(tmp_path)
    heard: list[tuple[int, int]] = []
    report = verify.verify(
        repo, "HEAD~1", None, PAYLOADS, progress=lambda d, t: heard.append((d, t))
    )
    assert heard[-1] == (6, 6)  # 3 payloads, before and after
    assert [d for d, _ in heard] == sorted(d for d, _ in heard)
    assert report.as_dict() == verify.verify(repo, "HEAD~1", None, PAYLOADS).as_dict()


def test_bench_reports_every_payload_run(tmp_path: Path) -> None:
    repo = hooked(tmp_path)
    heard: list[tuple[int, int]] = []
    result = bench.measure(repo, None, PAYLOADS, runs=1, progress=lambda d, t: heard.append((d, t)))
    # 3 payloads x 3 models x (1 warm-up + 1 run), more only if a difference must reproduce
    assert heard[0][1] >= 18 and heard[-1][0] == heard[-1][1]
    assert result.events[0].payloads == 3


def _spawn(repo: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100", "NO_COLOR": "1"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "migrate", *args],
        cwd=str(repo),
        env=env,
        encoding="utf-8",
        dimensions=(24, 100),
        timeout=120,
    )


def test_apply_shows_each_running_check_in_a_terminal_only(example_repo: Path) -> None:
    child = _spawn(example_repo, "apply", "max-workers", "--yes")
    child.expect(r"running  pytest.*0:00:0\d")  # the spinner names the check and its time
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    git(example_repo, "checkout", "-q", "main")
    piped = run_migrate(example_repo, "apply", "max-workers", "--yes")
    assert piped.returncode == 0 and "running" not in piped.stdout + piped.stderr


def test_hooks_verify_counts_payloads_on_stderr_in_a_terminal(tmp_path: Path) -> None:
    repo = hooked(tmp_path)
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_text("".join(json.dumps(p) + "\n" for p in PAYLOADS))
    child = _spawn(repo, "hooks", "verify", "--payloads", str(payloads))
    child.expect(r"replaying payloads.*\d/6")
    child.expect("same effect")
    child.expect(pexpect.EOF)
    piped = run_migrate(repo, "hooks", "verify", "--payloads", str(payloads))
    assert piped.returncode == 0 and "replaying" not in piped.stdout + piped.stderr
