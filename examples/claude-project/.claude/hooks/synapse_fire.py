#!/usr/bin/env python3
"""UserPromptSubmit: associative memory.

Keywords in the prompt "fire" synapses from .claude/synapses.json; the associated
notes are added to Claude's context. Fire counts are kept in
.claude/memory/synapse_stats.json.
"""

import json
import re

from hook_utils import load_json, memory_path, now_iso, project_dir, read_payload, save_json


def load_synapses() -> dict:
    try:
        with open(project_dir() / ".claude" / "synapses.json", encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def fire(prompt: str, synapses: dict) -> list[tuple[str, str]]:
    words = set(re.findall(r"[a-z]+", prompt.lower()))
    fired = []
    for key in sorted(synapses):
        if key in words or key + "s" in words:
            fired.append((key, synapses[key]))
    return fired


def main() -> int:
    payload = read_payload()
    fired = fire(payload.get("prompt", ""), load_synapses())
    if not fired:
        return 0
    stats_file = memory_path("synapse_stats.json")
    stats = load_json(stats_file, {"counts": {}})
    for key, _ in fired:
        stats["counts"][key] = stats["counts"].get(key, 0) + 1
    stats["updated"] = now_iso()
    save_json(stats_file, stats)
    print("Synapses fired:")
    for key, note in fired:
        print(f"- {key}: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
