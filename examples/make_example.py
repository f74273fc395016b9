"""Build the bundled example Claude Code project: python examples/make_example.py DEST"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout without install

from migrate.errors import UserError
from migrate.example import build


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python examples/make_example.py DEST", file=sys.stderr)
        return 2
    try:
        print(build(Path(argv[0])))
    except UserError as e:
        print(f"make_example: {e.message}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
