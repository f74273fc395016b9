"""`migrate demo`: the bundled example project built in a folder, and the whole plan walked
on it without prompts; the folder is removed at the end unless the user keeps it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from migrate import example
from migrate.ui import guide, render


def run(keep: Path | None, verbose: bool) -> int:
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
