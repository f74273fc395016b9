"""One model of what Claude Code shows (`runtime.Shown`), used by the unified hook to merge
its members and by verify/bench to compare: the unified hook shows what its members show."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrate.hooks import runtime

EVENTS = [
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "SessionStart",
    "Stop",
    "SubagentStop",
    "PreCompact",
    "Notification",
    "SessionEnd",
]
# Few characters, but the ones that matter: labels, newlines, blanks.
TEXT = st.text(alphabet="ab [].:\n", max_size=10)


def _outputs(event: str) -> st.SearchStrategy[dict[str, Any]]:
    specific = st.fixed_dictionaries(
        {"hookEventName": st.just(event)},
        optional={
            "permissionDecision": st.sampled_from(["allow", "ask", "defer", "deny", "maybe"]),
            "permissionDecisionReason": TEXT,
            "additionalContext": TEXT,
            "updatedInput": st.dictionaries(st.sampled_from("xy"), st.integers(0, 3), max_size=2),
            "decision": st.fixed_dictionaries(
                {"behavior": st.sampled_from(["allow", "deny"])},
                optional={"message": TEXT, "interrupt": st.booleans()},
            ),
            "watchPaths": st.lists(st.sampled_from("ab"), max_size=2),
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "continue": st.booleans(),
            "stopReason": TEXT,
            "systemMessage": TEXT,
            "suppressOutput": st.booleans(),
            "decision": st.sampled_from(["block", "approve", "allow"]),
            "reason": TEXT,
            "hookSpecificOutput": specific,
            "extra": st.integers(0, 2),
        },
    )


@st.composite
def _member(draw: st.DrawFn, event: str, index: int) -> runtime.MemberResult:
    kind = draw(st.sampled_from(["json", "json", "text", "empty", "broken"]))
    stdout = {
        "json": lambda: json.dumps(draw(_outputs(event))),
        "text": lambda: draw(TEXT),
        "empty": lambda: "",
        "broken": lambda: "{not json",
    }[kind]()
    code = draw(st.sampled_from([0, 0, 0, 1, 2]))
    stderr = draw(TEXT)
    timed_out = draw(st.booleans().map(lambda b: b and draw(st.booleans())))
    name = f"member_{index}.py"
    return runtime.classify(event, name, code, stdout.encode(), stderr.encode(), timed_out)


@st.composite
def _event_and_members(draw: st.DrawFn) -> tuple[str, list[runtime.MemberResult]]:
    event = draw(st.sampled_from(EVENTS))
    count = draw(st.integers(1, 5))
    return event, [draw(_member(event, i)) for i in range(count)]


@settings(max_examples=1500, deadline=None)
@given(_event_and_members())
@example(  # a text that is blank, then looks like a label: dropped alike either way
    (
        "PreToolUse",
        [
            runtime.classify("PreToolUse", "member_0.py", 0, b"{}", b"", False),
            runtime.classify(
                "PreToolUse", "member_1.py", 0, b'{"systemMessage": " [:]"}', b"", False
            ),
        ],
    )
)
def test_the_unified_hook_shows_what_its_members_show_separately(
    case: tuple[str, list[runtime.MemberResult]],
) -> None:
    event, members = case
    separately = runtime.shown(event, members).comparable()
    code, out, err = runtime.combine(event, members)
    unified = runtime.classify(event, "unified_test.py", code, out, err, False)
    assert runtime.shown(event, [unified]).comparable() == separately, (
        [(m.exit_code, m.stdout, m.stderr, m.kind) for m in members],
        out,
        err,
    )


def _run(event: str, name: str, stdout: Any = "", code: int = 0, stderr: str = "") -> Any:
    text = stdout if isinstance(stdout, str) else json.dumps(stdout)
    return runtime.classify(event, name, code, text.encode(), stderr.encode(), False)


def _unified(event: str, members: list[runtime.MemberResult]) -> runtime.Shown:
    code, out, err = runtime.combine(event, members)
    return runtime.shown(event, [runtime.classify(event, "unified.py", code, out, err, False)])


def test_an_always_empty_context_member_shows_nothing() -> None:
    """Pattern: a member that always prints `{"hookSpecificOutput": {"additionalContext": ""}}`
    beside one that adds context: no "[member]" label for the empty one."""
    event = "UserPromptSubmit"
    empty = {"hookSpecificOutput": {"hookEventName": event, "additionalContext": ""}}
    members = [_run(event, "empty_ctx.py", empty), _run(event, "notes.py", "remember X")]
    code, out, _ = runtime.combine(event, members)
    assert code == 0 and b"empty_ctx.py" not in out
    assert json.loads(out)["hookSpecificOutput"]["additionalContext"] == "[notes.py]\nremember X"
    assert runtime.shown(event, members[:1]).comparable()["to_claude"] == []


def test_allow_with_reason_beside_deny_with_suppress_output() -> None:
    """Pattern: validators that allow with a reason beside one that denies with suppressOutput:
    the deny wins, its reason goes to Claude, the allow reasons stay where the user sees them."""
    event = "PreToolUse"

    def verdict(decision: str, reason: str, **extra: Any) -> dict[str, Any]:
        specific = {"permissionDecision": decision, "permissionDecisionReason": reason}
        return {"hookSpecificOutput": {"hookEventName": event, **specific}, **extra}

    members = [
        _run(event, "fmt_ok.py", verdict("allow", "formatting fine")),
        _run(event, "no_rm.py", verdict("deny", "rm -rf / refused", suppressOutput=True)),
        _run(event, "path_ok.py", verdict("allow", "path inside project", suppressOutput=True)),
    ]
    merged = json.loads(runtime.combine(event, members)[1])
    assert merged == {
        "systemMessage": "[fmt_ok.py] formatting fine\n[path_ok.py] path inside project",
        "hookSpecificOutput": {
            "hookEventName": event,
            "permissionDecision": "deny",
            "permissionDecisionReason": "[no_rm.py] rm -rf / refused",
        },
    }
    model = runtime.shown(event, members).comparable()
    assert model["to_user"] == ["formatting fine", "path inside project"]
    assert model["to_claude"] == ["rm -rf / refused"] and not model["hidden"]
    assert _unified(event, members).comparable() == model
    # Every member that printed JSON asked to stay out of the transcript: so does the result.
    hidden = [_run(event, m.name, {**(m.output or {}), "suppressOutput": True}) for m in members]
    assert json.loads(runtime.combine(event, hidden)[1])["suppressOutput"] is True


def test_legacy_approve_beside_another_member() -> None:
    """Pattern: an old hook printing `{"decision": "approve"}` beside a newer one that asks."""
    event = "PreToolUse"
    ask = {"hookSpecificOutput": {"hookEventName": event, "permissionDecision": "ask"}}
    members = [
        _run(event, "old.py", {"decision": "approve", "reason": "trusted command"}),
        _run(event, "new.py", {**ask, "systemMessage": "double-check this"}),
    ]
    merged = json.loads(runtime.combine(event, members)[1])
    assert merged["hookSpecificOutput"]["permissionDecision"] == "ask"
    assert merged["systemMessage"] == "[new.py] double-check this\n[old.py] trusted command"
    assert _unified(event, members).comparable() == runtime.shown(event, members).comparable()
