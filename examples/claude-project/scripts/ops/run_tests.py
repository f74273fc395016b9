#!/usr/bin/env python3
"""Run the test suite: everything at once (default), or file by file with --each.

--install first installs the development requirements.
"""

from __future__ import annotations

import argparse
import subprocess as sp
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def install_requirements() -> int:
    return sp.call(["pip", "install", "-r", "requirements-dev.txt"], cwd=ROOT)


def run_all() -> int:
    return sp.run(["python3", "-m", "pytest", "tests/", "-q"], cwd=ROOT).returncode


def run_each() -> int:
    failed = []
    for test_file in sorted((ROOT / "tests").glob("test_*.py")):
        proc = sp.Popen(["python3", "-m", "pytest", str(test_file), "-q"], cwd=ROOT)
        if proc.wait():
            failed.append(test_file.name)
    print("failed: " + ", ".join(failed) if failed else "all test files passed")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--each", action="store_true", help="one pytest run per test file")
    parser.add_argument("--install", action="store_true", help="pip install dev requirements")
    args = parser.parse_args()
    if args.install and install_requirements():
        return 1
    return run_each() if args.each else run_all()


if __name__ == "__main__":
    sys.exit(main())
