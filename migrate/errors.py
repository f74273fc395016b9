"""The one exception type for user errors, and the exit codes the command line returns."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK = 0
EXIT_STEP_FAILED = 1
EXIT_USAGE = 2
EXIT_REPO_STATE = 3
EXIT_BUG = 4
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """A problem the user can fix: its message is one sentence naming the file, recipe or key."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RepoStateError(UserError):
    """The repository is in a state the tool refuses to work on; nothing was changed."""

    exit_code = EXIT_REPO_STATE


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) after some of a run's work was kept: `said` tells what is where."""

    def __init__(self, said: str) -> None:
        super().__init__(said)
        self.said = said


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ "; did you mean 'x'?" when one of `choices` is close to `word` (git's typo help)."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
