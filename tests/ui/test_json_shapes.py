"""Every command's `--json` against the JSON Schemas shipped in migrate/schemas/ (docs/json.md):
`"schema": 1`, a `"kind"`, snake_case keys, paths relative to the one absolute `root`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from tests.helpers import one_hook_project, run_migrate

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "migrate" / "schemas"
KINDS = (
    "audit",
    "apply",
    "preview",
    "status",
    "hooks_verify",
    "hooks_bench",
    "hooks_bench_comparison",
    "recipe_list",
    "recipe",
)
# Maps keyed by data rather than by field name: their keys are the user's words.
DATA_MAPS = {"params", "validate", "before", "after"}


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def check(data: Any, kind: str, root: Path) -> None:
    """`data` is valid against `kind`'s schema, says what it is, and names no absolute path
    but its root."""
    schema = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, registry=_registry())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors
    assert (data["schema"], data["kind"]) == (1, kind)
    assert Path(data["root"]) == root.resolve()
    rest = json.dumps({k: v for k, v in data.items() if k != "root"})
    assert str(root.resolve()) not in rest, "an absolute path besides root"
    assert not [k for k in _field_names(data) if " " in k], "a key with spaces"


def _field_names(data: Any) -> list[str]:
    if isinstance(data, list):
        return [k for item in data for k in _field_names(item)]
    if not isinstance(data, dict):
        return []
    keys = list(data)
    for key, value in data.items():
        if key not in DATA_MAPS:
            keys += _field_names(value)
    return keys


def run_json(repo: Path, *args: str) -> Any:
    result = run_migrate(repo, *args, "--json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_every_kind_has_a_schema_and_a_section_in_the_docs() -> None:
    doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert (SCHEMAS / f"{kind}.json").is_file(), kind
        assert re.search(rf'"kind": "{kind}"', doc), kind


def test_audit_list_show_and_preview_match_their_schemas(example_repo: Path) -> None:
    audit = run_json(example_repo, "audit")
    check(audit, "audit", example_repo)
    metrics = audit["metrics"]
    assert metrics["subprocess_calls_without_timeout"] == 16
    assert audit["summary"]["calls_without_timeout"]["adds_timeout"] == 4
    listed = run_json(example_repo, "list")
    check(listed, "recipe_list", example_repo)
    first = listed["recipes"][0]
    assert (first["id"], first["builtin"], first["source"]) == (
        "subprocess-timeouts",
        True,
        "subprocess-timeouts.toml",
    )
    shown = run_json(example_repo, "show", "parallel-hook-runner")
    check(shown, "recipe", example_repo)
    assert any("session_state.json" in line for line in shown["in_this_repository"])
    preview = run_json(example_repo, "apply", "subprocess-timeouts", "max-workers", "--dry-run")
    check(preview, "preview", example_repo)
    assert preview["would_change"] is True
    assert preview["recipes"][0]["counts"]["has_timeout"] == 1  # machine keys stay


def test_apply_and_status_match_their_schemas_with_relative_logs(example_repo: Path) -> None:
    applied = run_json(example_repo, "apply", "max-workers", "--yes")
    check(applied, "apply", example_repo)
    logs = [c["log"] for c in applied["steps"][0]["checks"] if c["log"]]
    assert logs and all(log.startswith(".git/migrate/logs/") for log in logs)
    assert all((example_repo / log).is_file() for log in logs)
    status = run_json(example_repo, "status")
    check(status, "status", example_repo)
    assert status["run"]["steps"][0]["recipe"] == "max-workers"


@pytest.fixture
def hooked(tmp_path: Path) -> tuple[Path, Path]:
    """A project with one Python hook on UserPromptSubmit, two commits, and one payload."""
    repo = one_hook_project(tmp_path)
    payloads = tmp_path / "payloads.jsonl"
    payloads.write_text(json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": "a b"}) + "\n")
    return repo, payloads


def test_hooks_verify_and_bench_match_their_schemas(hooked: tuple[Path, Path]) -> None:
    repo, payloads = hooked
    verified = run_json(repo, "hooks", "verify", "--payloads", str(payloads))
    check(verified, "hooks_verify", repo)
    assert (verified["ok"], verified["before"], verified["after"]) == (True, "HEAD~1", "work tree")
    bench = run_json(repo, "hooks", "bench", "--runs", "1", "--payloads", str(payloads))
    check(bench, "hooks_bench", repo)
    assert list(bench["events"]) == ["UserPromptSubmit"]
    compared = run_json(
        repo, "hooks", "bench", "--runs", "1", "--payloads", str(payloads), "--before", "HEAD~1"
    )
    check(compared, "hooks_bench_comparison", repo)
