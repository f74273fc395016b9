"""Progress on stderr for the long read-only commands (the audit, hook replays and benches);
nothing off a terminal or with `--quiet`. Imports no engine module: `migrate audit` stays fast."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.ui import render

if TYPE_CHECKING:
    from migrate.audit import AuditReport


def audit(root: Path, paths: Sequence[str], options: Any) -> AuditReport:
    """The audit, with a progress bar on a terminal (the files done of those listed)."""
    from rich.progress import Progress

    from migrate import audit as auditing

    err = render.console(stderr=True)
    if not err.is_terminal or render.verbosity() < 0:
        return auditing.audit(root, paths, options=options)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("auditing", total=None)
        return auditing.audit(
            root,
            paths,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            options=options,
        )


@contextmanager
def counting(what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A live "what  done/total" line on stderr in a terminal (None elsewhere: no progress)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    err = render.console(stderr=True)
    if not err.is_terminal or render.verbosity() < 0:
        yield None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
