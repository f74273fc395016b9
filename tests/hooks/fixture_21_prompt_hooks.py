"""A project with 21 UserPromptSubmit hooks, as on the plan's own repository: one member adds
a random line in some runs, several always answer with an empty additionalContext, the rest
add fixed context, stay silent or keep a state file. Used by the tests and bench/hooks.py."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import make_repo

RANDOM = """\
import json, random, sys
json.load(sys.stdin)
if random.random() < 0.5:
    print("tip: " + random.choice(["batch the edits", "run the tests", "read the docs"]))
"""
EMPTY_CONTEXT = """\
import json, sys
json.load(sys.stdin)
print(json.dumps({"hookSpecificOutput": {"hookEventName": "UserPromptSubmit",
                                         "additionalContext": ""}}))
"""
CONTEXT = """\
import json, sys
prompt = json.load(sys.stdin)["prompt"]
if "{word}" in prompt.lower():
    print("{name}: the prompt mentions {word}")
"""
SILENT = "import json, sys\njson.load(sys.stdin)\n"
STATE = """\
import json, os, sys
prompt = json.load(sys.stdin)["prompt"]
path = os.path.join(os.environ["CLAUDE_PROJECT_DIR"], ".claude", "{name}.state")
with open(path, "a", encoding="utf-8") as f:
    f.write("%d words\\n" % len(prompt.split()))
"""

# The plan's member names, so that create-unified-hooks finds its groups, and others.
EMPTY = ["detect_gaslight", "detect_batch", "confidence_tracker", "context_probe", "rules_probe"]
WORDS = {
    "synapse_fire": "remember",
    "auto_remember": "remember",
    "detect_success_auto_learn": "thanks",
    "detect_failure_auto_learn": "wrong",
    "detect_confidence_penalty": "wrong",
    "performance_gate": "loop",
    "detect_parallel": "batch",
    "best_practice_enforcer": "files",
}
STATEFUL = ["command_tracker", "session_state_tracker"]
SILENT_NAMES = ["lint_probe", "style_probe", "audit_probe", "spell_probe", "budget_probe"]


def sources() -> dict[str, str]:
    hooks = {"prompt_tip": RANDOM}
    hooks |= {name: EMPTY_CONTEXT for name in EMPTY}
    hooks |= {name: CONTEXT.format(name=name, word=word) for name, word in WORDS.items()}
    hooks |= {name: STATE.format(name=name) for name in STATEFUL}
    hooks |= {name: SILENT for name in SILENT_NAMES}
    assert len(hooks) == 21
    return {f".claude/hooks/{name}.py": text for name, text in hooks.items()}


def build(path: Path) -> Path:
    files = sources()
    handlers = [
        {"type": "command", "command": f"python3 $CLAUDE_PROJECT_DIR/{script}"} for script in files
    ]
    settings = {"hooks": {"UserPromptSubmit": [{"hooks": handlers}]}}
    files[".claude/settings.json"] = json.dumps(settings, indent=2) + "\n"
    files[".gitignore"] = ".claude/*.state\n"
    return make_repo(path, files)
