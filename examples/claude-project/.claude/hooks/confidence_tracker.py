#!/usr/bin/env python3
"""Epistemic confidence score (0-100) kept in .claude/memory/confidence.json.

UserPromptSubmit: evidence words in the prompt raise it, doubt lowers it; when it is
low, Claude is told to verify before acting. PostToolUse Bash: passing tests raise
it, failing tests lower it (silently).
"""

import re

from hook_utils import load_json, memory_path, now_iso, read_payload, save_json

START = 70
LOW = 50
PROMPT_RULES = [
    (re.compile(r"\b(verified|confirmed|tests? pass(es|ed)?)\b", re.I), +10),
    (re.compile(r"\b(are you sure|wrong|not sure|guess(ing)?)\b", re.I), -15),
    (re.compile(r"\b(broken|regression|failing)\b", re.I), -10),
]


def adjust_for_prompt(prompt: str) -> int:
    return sum(delta for pattern, delta in PROMPT_RULES if pattern.search(prompt))


def adjust_for_command(payload: dict) -> int:
    command = str(payload.get("tool_input", {}).get("command", ""))
    if "pytest" not in command:
        return 0
    response = payload.get("tool_response", {})
    text = response if isinstance(response, str) else " ".join(
        str(response.get(key, "")) for key in ("stdout", "stderr")
    )
    if re.search(r"\b\d+ failed\b|\berror\b", text, re.I):
        return -10
    if re.search(r"\b\d+ passed\b", text):
        return +10
    return 0


def main() -> int:
    payload = read_payload()
    event = payload.get("hook_event_name")
    if event == "UserPromptSubmit":
        delta = adjust_for_prompt(payload.get("prompt", ""))
    elif event == "PostToolUse":
        delta = adjust_for_command(payload)
    else:
        return 0
    if not delta:
        return 0
    path = memory_path("confidence.json")
    state = load_json(path, {"confidence": START, "history": []})
    state["confidence"] = max(0, min(100, state["confidence"] + delta))
    state["history"] = (state["history"] + [delta])[-20:]
    state["updated"] = now_iso()
    save_json(path, state)
    if event == "UserPromptSubmit" and state["confidence"] < LOW:
        print(
            f"Confidence is low ({state['confidence']}%). Verify with tools before "
            "answering; say what you checked."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
