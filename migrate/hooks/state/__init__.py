"""Which files a hook script writes, found statically with `ast` (the code is never imported),
and which members of a unified hook must therefore run one after another in a chain.

A small symbolic evaluator turns path expressions into repository-relative paths: string
constants, `__file__`, `$CLAUDE_PROJECT_DIR`, `pathlib` and `os.path` arithmetic, names bound in
the script or in sibling modules it imports, and the return values of their functions.

The package: `bindings` (what names are bound to, in the `pysource.scopes` model), `paths` (path
arithmetic), `evaluate` (what an expression is), `sinks` (which calls write, and where), and
`chaining` (which members of a unified hook run one after another).
"""

from __future__ import annotations

from migrate.hooks.state.chaining import UNKNOWN_CHAIN, Chains, chains
from migrate.hooks.state.evaluate import MAX_DEPTH, PROJECT_ENV
from migrate.hooks.state.sinks import StateWrites, writes

__all__ = ["MAX_DEPTH", "PROJECT_ENV", "UNKNOWN_CHAIN", "Chains", "StateWrites", "chains", "writes"]
