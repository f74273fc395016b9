"""The hooks part of the audit: handlers per event from the settings files, and the timeout
caps of the hook scripts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migrate.audit.results import HookEvent
from migrate.errors import UserError
from migrate.files import Snapshot
from migrate.hooks import settings
from migrate.model import Finding
from migrate.transforms.subprocess_timeouts import HookCap, hook_caps

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


def hook_events(root: Path) -> tuple[tuple[HookEvent, ...], list[Finding], dict[str, HookCap]]:
    """Hooks per event from the settings files (a broken one is a finding), and the timeout
    caps of the hook scripts."""
    snapshot = Snapshot(root, ())
    registrations: list[settings.HookRegistration] = []
    findings = []
    for file in settings.SETTINGS_FILES:
        try:
            registrations += settings.load(snapshot, (file,))
        except UserError as error:
            findings.append(Finding(file, 1, "parse-error", error.message))
    by_event: dict[str, list[settings.HookRegistration]] = {}
    for registration in registrations:
        by_event.setdefault(registration.event, []).append(registration)
    events = tuple(_event(event, regs) for event, regs in by_event.items())
    caps = hook_caps(snapshot) if registrations and not findings else {}
    return events, findings, caps


def _event(event: str, regs: Sequence[settings.HookRegistration]) -> HookEvent:
    """Claude Code runs an identical command once per event, however many matcher groups or
    settings files register it: count it once."""
    distinct = {_identity(r): r for r in regs}
    python = sum(r.runs_python for r in distinct.values())
    return HookEvent(event, len(distinct), python, len(regs))


def _identity(registration: settings.HookRegistration) -> tuple[str, str]:
    return registration.type, registration.command.strip() or str(id(registration))
