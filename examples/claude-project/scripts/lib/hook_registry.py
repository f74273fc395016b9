"""Read .claude/settings.json and list the hook commands it registers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

SCRIPT = re.compile(r"^python3?\s+(?:\$\{?CLAUDE_PROJECT_DIR\}?/)?(?P<path>\S+\.py)(\s|$)")


@dataclass(frozen=True)
class Registration:
    event: str
    matcher: str
    command: str
    timeout: int | None

    @property
    def script(self) -> str | None:
        """Project-relative path of the Python script this command runs, if it is one."""
        match = SCRIPT.match(self.command)
        return match.group("path") if match else None


def registrations(project: Path) -> list[Registration]:
    settings = json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))
    found = []
    for event, groups in settings.get("hooks", {}).items():
        for group in groups:
            for hook in group.get("hooks", []):
                if hook.get("type") == "command":
                    found.append(
                        Registration(
                            event, group.get("matcher", ""), hook["command"], hook.get("timeout")
                        )
                    )
    return found


def registered_scripts(project: Path) -> set[str]:
    return {r.script for r in registrations(project) if r.script}
