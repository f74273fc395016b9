#!/usr/bin/env python3
"""SessionStart (startup|resume): plain-text context with the project rules and recent lessons."""

from hook_utils import memory_path, read_jsonl, read_payload

RULES = [
    "Read CLAUDE.md before changing code.",
    "Run python3 -m pytest tests/ -q before finishing.",
    "Throwaway scripts go in scratch/.",
]


def main() -> int:
    payload = read_payload()
    source = payload.get("source", "startup")
    print("Session resumed." if source == "resume" else "New session.")
    print("Project rules:")
    for rule in RULES:
        print(f"- {rule}")
    lessons = [r for r in read_jsonl(memory_path("lessons.jsonl")) if r.get("kind") == "remember"]
    if lessons:
        print("Remembered lessons:")
        for record in lessons[-3:]:
            print(f"- {record.get('text', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
