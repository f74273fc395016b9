"""`migrate demo`: the bundled example project built in a folder, and the whole plan walked
on it without prompts; the folder is removed at the end unless the user keeps it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from migrate import example
from migrate.errors import UserError
from migrate.ui import guide, render


def run(keep: Path | None, verbose: bool) -> int:
    _need_pytest()
    out = render.console()
    folder = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="migrate-demo-")) / "project"
    project = example.build(folder)
    where = "kept" if keep else "temporary, removed at the end: pass --keep DIR to keep it"
    out.print(f"[bold]example project:[/bold] {project} ({where})", markup=True)
    out.print(f"The commands below (merge, roll back) are for this example, in {project}.")
    markdown = project.parent / "migrate-report.md"
    try:
        code = guide.run(project, yes=True, recipe_dirs=(), brief=not verbose, report_to=markdown)
    finally:
        if not keep:
            shutil.rmtree(project, ignore_errors=True)
    if keep:
        out.print(f"inspect it: cd {project} && git log --stat main..", markup=False)
    else:
        out.print(f"the example project {project} was removed (--keep DIR keeps it).", markup=False)
    return code


def _need_pytest() -> None:
    """The example's tests run with migrate's own Python: without pytest there, every step
    would be reverted for a check that cannot run; say so before anything is built."""
    probe = [sys.executable, "-c", "import pytest"]
    if subprocess.run(probe, capture_output=True, check=False, timeout=120).returncode:
        raise UserError(
            f"the demo runs the example's tests with pytest, which migrate's Python"
            f" ({sys.executable}) cannot import; install it there (with pipx: pipx inject"
            " migrate-plan pytest) and run `migrate demo` again."
        )
