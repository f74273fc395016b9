"""The wheel ships the built-in recipes and the example, and its `migrate` finds them."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_lists_builtin_recipes(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("migrate_plan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "migrate/recipes/max-workers.toml" in names
    assert "migrate/schemas/audit.json" in names and "migrate/schemas/defs.json" in names
    assert any(n.startswith("migrate/examples/claude-project/.claude/hooks/") for n in names)
    # Under a name free on the index (`migrate` there is someone else's), with its licence.
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(wheel).read(info).decode()
    assert "Name: migrate-plan\n" in metadata
    assert "Classifier: License :: OSI Approved :: MIT License" in metadata
    assert "Project-URL: Homepage, https://pypi.org/project/migrate-plan/" in metadata
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [
            str(bindir / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    # The dependencies come from this environment; the package itself only from the wheel.
    purelib = subprocess.run(
        [str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib, "deps.pth").write_text("\n".join(sorted(deps)) + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(bindir / "python"), "-c", "import migrate; print(migrate.__file__)"],
        cwd=outside,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    ).stdout
    assert str(venv) in where
    listed = subprocess.run(
        [str(bindir / "migrate"), "list"],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    for recipe in ("max-workers", "agent-parallelism-doc"):
        assert recipe in listed.stdout
    _installed_runs_on_its_example(bindir, outside, env)


def _installed_runs_on_its_example(bindir: Path, outside: Path, env: dict[str, str]) -> None:
    """The installed tool builds its shipped example and audits and previews it, in the JSON
    its shipped schemas describe (`migrate demo` takes minutes: the same parts, quicker)."""
    import jsonschema

    def run(*args: str, cwd: Path = outside) -> str:
        done = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    python = str(bindir / "python")
    build = "import sys; from pathlib import Path; from migrate import example;"
    build += " print(example.build(Path(sys.argv[1])))"
    project = Path(run(python, "-c", build, str(outside / "example")).strip())
    schemas = Path(run(python, "-c", "import migrate; print(migrate.__file__)").strip()).parent
    schemas = schemas / "schemas"
    audit = json.loads(run(str(bindir / "migrate"), "audit", "--json", cwd=project))
    assert audit["summary"]["files_analyzed"] > 20
    schema = json.loads((schemas / "audit.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(audit)
    preview = json.loads(
        run(str(bindir / "migrate"), "apply", "--all", "--dry-run", "--json", cwd=project)
    )
    assert preview["kind"] == "preview" and preview["would_change"]
