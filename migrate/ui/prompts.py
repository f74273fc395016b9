"""The guide's questions: questionary in a terminal, plain numbered questions under
`TERM=dumb`; Ctrl-C or Escape at any question is `Quit`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import questionary
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    pass


class Quit(Exception):
    """The user chose to stop: what was applied stays, the next `migrate` continues the run."""


def answer(question: questionary.Question) -> Any:
    """The answer; Ctrl-C (questionary's None or KeyboardInterrupt) unwinds as KeyboardInterrupt."""
    reply = question.unsafe_ask()
    if reply is None:
        raise KeyboardInterrupt
    return reply


def confirm(message: str, default: bool = True) -> bool:
    if dumb():
        reply = line(f"{message} [{'Y/n' if default else 'y/N'}] ").lower()
        return default if not reply else reply.startswith("y")
    return bool(answer(questionary.confirm(message, default=default)))


def dumb() -> bool:
    """TERM=dumb: no cursor movement, so plain numbered prompts instead of questionary's."""
    return os.environ.get("TERM", "") == "dumb"


def line(prompt: str) -> str:
    """One line typed by the user; end of input is Ctrl-C (nothing more will be answered)."""
    try:
        return input(prompt).strip()
    except EOFError:
        raise KeyboardInterrupt from None


def select_plain(message: str, choices: Sequence[questionary.Choice]) -> Any:
    for n, choice in enumerate(choices, 1):
        print(f"  {n}) {choice.title}")
    while True:
        reply = line(f"{message} [1-{len(choices)}, Enter: 1] ") or "1"
        if reply.isdigit() and 1 <= int(reply) <= len(choices):
            return choices[int(reply) - 1].value


def checkbox_plain(message: str, choices: Sequence[questionary.Choice]) -> list[str]:
    offered = [c for c in choices if not c.disabled]
    for n, choice in enumerate(offered, 1):
        print(f"  {n}) [{'x' if choice.checked else ' '}] {choice.title}")
    while True:
        reply = line(f"{message} (numbers, Enter: the [x] ones, 0: none) ")
        if not reply:
            return [str(c.value) for c in offered if c.checked]
        words = reply.replace(",", " ").split()
        if all(w.isdigit() and 0 <= int(w) <= len(offered) for w in words):
            return [str(offered[int(w) - 1].value) for w in words if w != "0"]


def choose(out: Console, question: str, allowed: str, help_: str) -> str:
    """git's `[y,n,q,...]?` prompt: a plain line read from the terminal (no cursor escapes,
    so it works under TERM=dumb); an empty or unknown answer shows the help and asks again."""
    while True:
        out.print(Text(f"{question} [{','.join(allowed)},?]? ", style="bold blue"), end="")
        try:
            reply = input().strip()
        except EOFError:
            return "q"
        if reply and reply[0] in allowed:
            return reply[0]
        out.print(help_, markup=False, style="red" if reply != "?" else "")
