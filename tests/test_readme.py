"""The README true to the letter: its counts of the bundled example, its quote of the report, its
table of commands and options, and the links of every document are checked against the tool
itself, so none of them can drift."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click

from tests.helpers import run_migrate

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _words(text: str) -> str:
    """Markdown's line breaks are spaces."""
    return re.sub(r"\s+", " ", text)


def _audit(repo: Path) -> dict:  # type: ignore[type-arg]
    result = run_migrate(repo, "audit", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_examples_counts_are_what_its_audit_and_its_tests_say(example_repo: Path) -> None:
    claim = re.search(
        r"bundled example Claude Code project \((\d+) registered hooks on (\d+) events, (\d+)"
        r" subprocess calls of which (\d+) have no timeout, (\d+) pools at `max_workers=(\d+)`,"
        r" a test suite of (\d+) passing tests\)",
        _words(README),
    )
    assert claim, "README's 'Try it' no longer states the example's counts in the tested words"
    hooks, events, calls, without, pools, workers, tests = map(int, claim.groups())
    audit = _audit(example_repo)
    assert hooks == audit["hooks"]["total"]
    assert events == len(audit["hooks"]["events"])
    assert calls == audit["summary"]["subprocess_calls"]
    assert without == audit["metrics"]["subprocess_calls_without_timeout"]
    assert pools == audit["metrics"]["max_workers_values"].get(str(workers), 0)
    # The plan raises exactly that value (the max-workers recipe's `from`).
    assert f"from = {workers}\n" in (ROOT / "recipes" / "max-workers.toml").read_text()
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=example_repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert re.search(rf"\b{tests} passed\b", suite.stdout), suite.stdout

    # "Six of the seven recipes apply" (test_demo checks which one does not).
    assert "Six of the seven recipes apply; `remove-old-hooks` ends" in _words(README)
    assert len(list((ROOT / "recipes").glob("*.toml"))) == 7

    # docs/json.md's audit example is the example's audit too.
    json_doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    block = json_doc.split("## `audit`", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    summary = block.split('"summary":', 1)[1].split('"by_kind"', 1)[0]
    numbers = dict(re.findall(r'"(\w+)": (\d+)\b', summary))
    actual = dict(audit["summary"], **audit["summary"]["calls_without_timeout"])
    for key in ("seconds", "jobs"):  # measured, not the example's
        numbers.pop(key, None)
    assert numbers and {k: int(v) for k, v in numbers.items()} == {k: actual[k] for k in numbers}
    assert f'"total": {hooks}, "estimated_sequential_ms": ' in block


def test_the_reports_quote_is_what_the_report_says(example_repo: Path) -> None:
    quote = re.search(
        r'on the example: "(plan: \d+ subprocess calls missing timeouts;'
        r' audit: \d+ subprocess calls missing timeouts)"',
        _words(README),
    )
    assert quote, "README no longer quotes the report's plan-vs-audit line"
    applied = run_migrate(example_repo, "apply", "agent-parallelism-doc", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    report = run_migrate(example_repo, "report")
    assert report.returncode == 0, report.stderr
    lines = [line.strip() for line in report.stdout.splitlines()]
    assert quote.group(1) in lines, report.stdout


def _commands() -> dict[str, click.Command]:
    from migrate.cli import cli

    found: dict[str, click.Command] = {}

    def walk(command: click.Command, name: str) -> None:
        found[name] = command
        if isinstance(command, click.Group):
            for sub, child in command.commands.items():
                walk(child, f"{name} {sub}")

    walk(cli, "migrate")
    return found


def _table() -> dict[str, set[str]]:
    """README's table of commands: `migrate X [ARGS]` -> the options it names."""
    start = README.index("| command | options |")
    rows: dict[str, set[str]] = {}
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("| `migrate"):
            break
        command, options = line.split(" | ", 1)
        name = " ".join(
            w for w in command.strip("| `").split() if not (w.startswith("[") or w.isupper())
        )
        rows[name] = {flag.split()[0] for flag in re.findall(r"`(-[^`]*)`", options)}
    return rows


def test_every_command_and_option_is_in_the_readme() -> None:
    """Each row names every option of its command, none that does not exist; -C/--repo, which
    every command but demo takes, is said once above the table."""
    table = _table()
    commands = _commands()
    with_options = {n for n, c in commands.items() if not isinstance(c, click.Group) or c.params}
    assert set(table) == with_options
    assert "every command but `demo` also takes `-C DIR`/`--repo DIR`" in _words(README)
    for name, documented in table.items():
        options = [p for p in commands[name].params if isinstance(p, click.Option)]
        visible = [o for o in options if not o.hidden]
        names = {n for o in options for n in (*o.opts, *o.secondary_opts)}
        assert documented <= names, (name, documented - names)  # nothing stale
        repo = [o for o in visible if "--repo" in o.opts]
        assert bool(repo) == (name not in ("migrate", "migrate demo")), name
        for option in visible:
            if option in repo:
                continue
            assert documented & {*option.opts, *option.secondary_opts}, (name, option.opts)


def test_every_relative_link_of_the_documents_resolves() -> None:
    documents = [ROOT / "README.md", ROOT / "ROLLBACK.md", *sorted((ROOT / "docs").glob("*.md"))]
    for document in documents:
        text = document.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            assert (document.parent / target).exists(), (document.name, target)


def test_the_validate_block_names_every_key_and_the_tool_accepts_it(tmp_path: Path) -> None:
    import dataclasses

    from migrate.model import Validation
    from tests.helpers import make_repo

    block = README.split("```toml\n[validate]\n", 1)[1].split("```", 1)[0]
    keys = re.findall(r"^(\w+) = ", block, re.MULTILINE)
    assert sorted(keys) == sorted(f.name for f in dataclasses.fields(Validation))
    config = "[validate]\n" + block.replace("scripts/ops/upkeep.py", "check.py")
    repo = make_repo(tmp_path / "r", {".migrate/config.toml": config, "check.py": ""})
    result = run_migrate(repo, "apply", "max-workers", "--dry-run")
    assert result.returncode == 0, result.stderr
