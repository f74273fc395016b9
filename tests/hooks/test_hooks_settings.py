"""The settings model and the minimal edits made to settings.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import jsonedit, settings, settings_edit, unified
from migrate.hooks.runtime import matcher_matches
from migrate.transforms.hook_settings import register_hooks, unregister_members


def snap(tmp_path: Path, files: dict[str, str]) -> Snapshot:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return Snapshot(tmp_path, tuple(files))


@pytest.mark.parametrize(
    "command, script, why",
    [
        pytest.param(
            "python3 $CLAUDE_PROJECT_DIR/.claude/hooks/a.py", ".claude/hooks/a.py", None, id="var"
        ),
        pytest.param(
            'python3 "${CLAUDE_PROJECT_DIR}"/.claude/hooks/a.py x',
            ".claude/hooks/a.py",
            None,
            id="braces",
        ),
        pytest.param("python3 .claude/hooks/a.py", ".claude/hooks/a.py", None, id="relative"),
        pytest.param("python3 a.py | tee log", None, "uses shell syntax", id="pipe"),
        pytest.param("python3 a.py && echo ok", None, "uses shell syntax", id="and"),
        pytest.param("python3 a.py > out", None, "uses shell syntax", id="redirect"),
        pytest.param("node hook.js", None, "runs node", id="node"),
        pytest.param("python3 -c pass", None, "without a script", id="inline"),
        pytest.param("python3 /etc/hook.py", None, "outside the project", id="outside"),
    ],
)
def test_which_commands_are_mergeable(
    tmp_path: Path, command: str, script: str | None, why: str | None
) -> None:
    parsed = settings.script_of(command, snap(tmp_path, {}))
    assert parsed.script == script
    assert (parsed.not_mergeable is None) == (why is None)
    if why:
        assert why in str(parsed.not_mergeable)


def test_executable_script_needs_a_python_shebang(tmp_path: Path) -> None:
    s = snap(tmp_path, {"h/a.py": "#!/usr/bin/env python3\nprint(1)\n", "h/b.py": "print(1)\n"})
    (tmp_path / "h/a.py").chmod(0o755)
    assert settings.script_of("h/a.py", s).not_mergeable is None
    assert "shebang" in str(settings.script_of("h/b.py", s).not_mergeable)
    (tmp_path / "h/a.py").chmod(0o644)
    assert "not executable" in str(settings.script_of("h/a.py", s).not_mergeable)


PEP723_SCRIPT = """#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["requests"]
# ///
print(1)
"""
METADATA = PEP723_SCRIPT.split("\n", 1)[1].split("print")[0].strip()
PLAIN = "import sys\n"


@pytest.mark.parametrize(
    "command, files, interpreter, metadata",
    [
        pytest.param("python3 h/a.py", {"h/a.py": PLAIN}, "python3", None, id="python3"),
        pytest.param("python h/a.py", {"h/a.py": PLAIN}, "python", None, id="python"),
        pytest.param("python3.11 h/a.py", {"h/a.py": PLAIN}, "python3.11", None, id="python3.X"),
        pytest.param("python3 -u h/a.py", {"h/a.py": PLAIN}, "python3 -u", None, id="flag"),
        pytest.param(
            "/usr/bin/env python3 $CLAUDE_PROJECT_DIR/h/a.py",
            {"h/a.py": PLAIN},
            "python3",
            None,
            id="usr-bin-env-python3",
        ),
        pytest.param(
            "$CLAUDE_PROJECT_DIR/h/a.py",
            {"h/a.py": "#!/usr/bin/env python3\n"},
            "python3",
            None,
            id="env-shebang",
        ),
        pytest.param(
            "h/a.py",
            {"h/a.py": "#!/usr/bin/python3.12\n"},
            "/usr/bin/python3.12",
            None,
            id="absolute-shebang",
        ),
        pytest.param(
            "h/a.py",
            {"h/a.py": "#!/home/me/proj/.venv/bin/python\n"},
            "/home/me/proj/.venv/bin/python",
            None,
            id="venv-shebang",
        ),
        pytest.param(
            '"$CLAUDE_PROJECT_DIR"/.venv/bin/python "$CLAUDE_PROJECT_DIR"/h/a.py',
            {"h/a.py": PLAIN},
            '"$CLAUDE_PROJECT_DIR"/.venv/bin/python',
            None,
            id="venv-interpreter",
        ),
        pytest.param(
            ".venv/bin/python h/a.py", {"h/a.py": PLAIN}, ".venv/bin/python", None, id="venv-rel"
        ),
        pytest.param("uv run h/a.py", {"h/a.py": PLAIN}, "uv run", None, id="uv-run"),
        pytest.param(
            "uv run --script h/a.py", {"h/a.py": PLAIN}, "uv run --script", None, id="uv-script"
        ),
        pytest.param(
            "uv run python h/a.py", {"h/a.py": PLAIN}, "uv run python", None, id="uv-run-python"
        ),
        pytest.param(
            "uv run --quiet --with rich h/a.py",
            {"h/a.py": PLAIN},
            "uv run --quiet --with rich",
            None,
            id="uv-options",
        ),
        pytest.param(
            "uv run h/a.py", {"h/a.py": PEP723_SCRIPT}, "uv run", METADATA, id="uv-run-pep723"
        ),
        pytest.param(
            "$CLAUDE_PROJECT_DIR/h/a.py",
            {"h/a.py": PEP723_SCRIPT},
            "uv run --script",
            METADATA,
            id="pep723-shebang",
        ),
        pytest.param(
            "uv run python h/a.py",
            {"h/a.py": PEP723_SCRIPT},
            "uv run python",
            None,
            id="uv-run-python-ignores-metadata",
        ),
    ],
)
def test_every_common_python_command_form_is_a_mergeable_member(
    tmp_path: Path, command: str, files: dict[str, str], interpreter: str, metadata: str | None
) -> None:
    """Forms found in public projects' settings.json: `uv run`, `/usr/bin/env python3`, PEP 723
    scripts run through their shebang, venv interpreters and shebangs naming one."""
    s = snap(tmp_path, files)
    (tmp_path / "h/a.py").chmod(0o755)
    parsed = settings.script_of(command, s)
    assert parsed.not_mergeable is None
    assert parsed.script == "h/a.py"
    assert parsed.interpreter == settings.Interpreter(interpreter, metadata)


@pytest.mark.parametrize(
    "command, why",
    [
        pytest.param("python3 -m pkg.hook", "without a script", id="module"),
        pytest.param("uv run -m pkg.hook", "module", id="uv-module"),
        pytest.param("env FOO=1 python3 h/a.py", "variables", id="env-variables"),
        pytest.param("python3 h/a.py | tee log", "shell syntax", id="pipe"),
        pytest.param('cd "$CLAUDE_PROJECT_DIR" && uv run h/a.py', "shell syntax", id="cd-and"),
    ],
)
def test_python_that_is_no_member_is_still_python(tmp_path: Path, command: str, why: str) -> None:
    """The audit counts these as Python hooks, though no unified hook can take them."""
    parsed = settings.script_of(command, snap(tmp_path, {"h/a.py": PLAIN}))
    assert why in str(parsed.not_mergeable)
    assert parsed.interpreter is not None


def test_uv_running_a_tool_is_not_python(tmp_path: Path) -> None:
    parsed = settings.script_of("uv run ruff check", snap(tmp_path, {}))
    assert "not a Python script" in str(parsed.not_mergeable)
    assert parsed.interpreter is None


@pytest.mark.parametrize(
    "handler, why",
    [
        pytest.param(
            {"type": "command", "command": "python3 a.py", "async": True},
            "asynchronously",
            id="async",
        ),
        pytest.param(
            {"type": "command", "command": "python3 a.py", "if": "Bash(git *)"}, "`if`", id="if"
        ),
        pytest.param({"type": "http", "url": "http://x"}, "http handler", id="http"),
    ],
)
def test_handlers_left_alone(tmp_path: Path, handler: dict, why: str) -> None:
    text = json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [handler]}]}})
    (reg,) = settings.parse(text, ".claude/settings.json", snap(tmp_path, {}))
    assert why in str(reg.not_mergeable)


@pytest.mark.parametrize(
    "text, where",
    [
        pytest.param('{"hooks": {"Stop": [}}', "line 1, column", id="invalid-json"),
        pytest.param('{"hooks": []}', "$.hooks", id="hooks-not-object"),
        pytest.param('{"hooks": {"Stop": {}}}', "$.hooks.Stop", id="event-not-list"),
        pytest.param(
            '{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": 3}]}]}}',
            "$.hooks.Stop[0].hooks[0].command",
            id="command-not-string",
        ),
        pytest.param(
            '{"hooks": {"Stop": [{"matcher": 1, "hooks": []}]}}',
            "$.hooks.Stop[0].matcher",
            id="matcher",
        ),
    ],
)
def test_bad_settings_name_file_and_json_path(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(UserError) as error:
        settings.parse(text, ".claude/settings.json", snap(tmp_path, {}))
    assert ".claude/settings.json" in error.value.message and where in error.value.message


@pytest.mark.parametrize(
    "event, matchers, covered, not_covered",
    [
        pytest.param(
            "PreToolUse",
            ["Write|Edit", "Bash"],
            ["Write", "Edit", "Bash"],
            ["Read", "NotebookEdit"],
            id="exact",
        ),
        pytest.param(
            "PreToolUse",
            ["Edit.*", "Bash"],
            ["Edit", "NotebookEdit", "Bash"],
            ["Read", "BashX"],
            id="regex",
        ),
        pytest.param("PreToolUse", ["", "Bash"], ["Read"], [], id="everything"),
        pytest.param("UserPromptSubmit", [""], ["anything"], [], id="no-matcher-event"),
    ],
)
def test_combined_matcher_covers_exactly_its_members(
    event: str, matchers: list[str], covered: list[str], not_covered: list[str]
) -> None:
    combined = unified.combined_matcher(event, matchers)
    for tool in covered:
        assert matcher_matches(event, combined, {"tool_name": tool})
    for tool in not_covered:
        assert not matcher_matches(event, combined, {"tool_name": tool})


SETTINGS = """{
    "env": {"A": "1"},
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [
                {"type": "command", "command": "python3 .claude/hooks/a.py"}
            ]},
            {
                "matcher": "Write|Edit",
                "hooks": [
                    {"type": "command", "command": "python3 .claude/hooks/b.py", "timeout": 7},
                    {"type": "command", "command": "bash lint.sh | tee x"}
                ]
            }
        ]
    },
    "model": "x"
}
"""


def test_register_then_unregister_keeps_every_other_byte(tmp_path: Path) -> None:
    s = snap(tmp_path, {".claude/settings.json": SETTINGS})
    regs = [r for r in settings.load(s) if r.mergeable]
    members = unified.members_from(regs, {})
    hook = unified.UnifiedHook(".claude/hooks/unified_x.py", tuple(members))
    text = register_hooks(SETTINGS, [hook], s)
    text, removed = unregister_members(text, [hook], s)
    assert removed == 2
    data = json.loads(text)
    groups = data["hooks"]["PreToolUse"]
    assert groups[0]["hooks"][0]["command"] == hook.command
    assert groups[0]["matcher"] == "Bash|Write|Edit"
    kept = '            {\n                "matcher": "Write|Edit",\n                "hooks": [\n'
    untouched = '{"type": "command", "command": "bash lint.sh | tee x"}\n'
    assert kept + " " * 20 + untouched in text
    assert groups[0]["hooks"][0]["timeout"] >= 600
    assert groups[1] == {
        "matcher": "Write|Edit",
        "hooks": [{"type": "command", "command": "bash lint.sh | tee x"}],
    }
    assert text.startswith(
        '{\n    "env": {"A": "1"},\n    "hooks": {\n        "PreToolUse": [\n'
        '            {\n                "matcher": "Bash|Write|Edit",'
    )
    assert text.endswith('    },\n    "model": "x"\n}\n')
    again = register_hooks(text, [hook], s)
    assert unregister_members(again, [hook], s) == (text, 0)


def test_json_delete_and_insert_are_local() -> None:
    text = "[1,  2,\n 3]"
    root = jsonedit.parse_document(text)
    assert jsonedit.delete_child(text, root, 1) == "[1,\n 3]"
    assert jsonedit.delete_child(text, root, 0) == "[2,\n 3]"
    assert jsonedit.insert_child(text, root, 1, 9) == "[1,  9,  2,\n 3]"
    assert json.loads(jsonedit.insert_child("[]", jsonedit.parse_document("[]"), 0, 9)) == [9]


def test_disable_removes_emptied_groups_and_events() -> None:
    new = settings_edit.disable(SETTINGS, "s.json", "a")
    assert '"Bash"' not in new
    assert json.loads(new)["hooks"]["PreToolUse"][0]["matcher"] == "Write|Edit"


def test_members_carry_the_stdlib_modules_they_import(tmp_path: Path) -> None:
    s = snap(
        tmp_path,
        {
            "h/a.py": "import json\nfrom concurrent.futures import wait\nimport util\n",
            "h/util.py": "import tempfile\nimport requests\n",
        },
    )
    assert unified.stdlib_imports(s, "h/a.py") == [
        "concurrent",
        "concurrent.futures",
        "json",
        "tempfile",
    ]


def test_runtime_warms_only_what_two_members_share() -> None:
    from migrate.hooks.runtime import WARM_MODULES, warm_modules

    members = [{"imports": ["json", "re"]}, {"imports": ["json"]}, {"imports": ["re", "csv"]}]
    assert sorted(warm_modules(members)) == ["json", "re"]
    assert warm_modules([{"imports": ["json"]}]) == []
    assert warm_modules([{}, {}]) == list(WARM_MODULES)  # generated before `imports` existed


def _start_order(members: list[dict[str, Any]]) -> list[tuple[list[str], set[str]]]:
    from migrate.hooks import runtime

    lanes = runtime._lanes(members, {})
    return [
        ([job.name for job in lane], set(modules))
        for lane, modules in runtime._start_order(lanes, members)
    ]


def test_runtime_starts_members_that_need_fewest_new_imports_first() -> None:
    members = [
        {"script": "heavy.py", "imports": ["json", "re", "pathlib", "tempfile"], "chain": "s"},
        {"script": "light.py", "imports": ["json", "re"]},
        {"script": "spawns.py", "imports": ["json", "subprocess"]},
        {"script": "other.py", "imports": ["pathlib", "tempfile", "subprocess"]},
        {"script": "later.py", "imports": ["csv", "decimal"], "chain": "s"},
        {"script": "alone.py", "imports": ["decimal", "csv"]},
    ]
    assert _start_order(members) == [
        (["light.py"], {"json", "re"}),
        (["spawns.py"], {"subprocess"}),
        (["heavy.py", "later.py"], {"pathlib", "tempfile"}),  # ties keep list order
        (["other.py"], set()),
        (["alone.py"], {"csv", "decimal"}),
        ([], set()),
    ]


def test_runtime_imports_what_only_later_chain_members_share_after_starting_lanes() -> None:
    members = [
        {"script": "a.py", "imports": [], "chain": "x"},
        {"script": "b.py", "imports": ["csv"], "chain": "x"},
        {"script": "c.py", "imports": [], "chain": "y"},
        {"script": "d.py", "imports": ["csv"], "chain": "y"},
    ]
    assert _start_order(members) == [
        (["a.py", "b.py"], set()),
        (["c.py", "d.py"], set()),
        ([], {"csv"}),
    ]
