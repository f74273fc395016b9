"""The wheel ships the built-in recipes and the example, and its `migrate` finds them."""

from __future__ import annotations

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
