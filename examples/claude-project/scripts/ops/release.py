#!/usr/bin/env python3
"""Cut a release: bump the version in pyproject.toml, build, tag and push.

Usage: release.py major|minor|patch [--dry-run]
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from subprocess import check_call, run

ROOT = Path(__file__).resolve().parents[2]
VERSION = re.compile(r'^version = "(\d+)\.(\d+)\.(\d+)"$', re.M)


def bump(version: tuple[int, int, int], part: str) -> tuple[int, int, int]:
    major, minor, patch = version
    match part:
        case "major":
            return major + 1, 0, 0
        case "minor":
            return major, minor + 1, 0
        case "patch":
            return major, minor, patch + 1
        case _:
            raise ValueError(f"unknown version part: {part}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"major", "minor", "patch"}:
        print(__doc__, file=sys.stderr)
        return 2
    pyproject = ROOT / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    found = VERSION.search(text)
    if not found:
        print("no version in pyproject.toml", file=sys.stderr)
        return 1
    new = ".".join(map(str, bump(tuple(map(int, found.groups())), argv[0])))
    if "--dry-run" in argv:
        print(f"would release {new}")
        return 0
    pyproject.write_text(VERSION.sub(f'version = "{new}"', text, count=1), encoding="utf-8")
    check_call(["python3", "-m", "build"], cwd=ROOT)
    os.system(f"git commit -am 'Release {new}' && git tag -a v{new} -m 'Release {new}'")
    run(["git", "push", "--follow-tags"], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
